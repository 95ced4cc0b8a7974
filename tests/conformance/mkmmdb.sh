#!/bin/sh
# Conformance of our MaxMind DB writer, tools/mkmmdb.py, with libmaxminddb:
# the committed config/geoip/breachwatch-geo.mmdb is exactly what its JSON
# source builds; every data type, record size (24/28/32) and tree kind
# (IPv4, IPv6 with aliases) reads back through mmdblookup; overlapping
# networks, bad sources and long names behave as documented.
# Exits 77 (ctest: skipped) without python3 or mmdblookup.

for tool in python3 mmdblookup; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done
SRC=${BW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tools/geo-test-lib.sh"
find_geo_lookup
MK=$SRC/tools/mkmmdb.py
export PYTHONDONTWRITEBYTECODE=1 # keep the source tree clean
T=$(mktemp -d "${TMPDIR:-/tmp}/mkmmdb.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# mmval DB IP PATH...: the value at PATH as mmdblookup prints it, one line.
mmval() {
	db=$1
	ip=$2
	shift 2
	mmdblookup -f "$db" -i "$ip" "$@" 2>&1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

# 1. The committed database is reproducible from its source.
python3 "$MK" "$SRC/config/geoip/breachwatch-geo.json" "$T/geo.mmdb"
expect "mkmmdb exit" "$?" 0
cmp -s "$T/geo.mmdb" "$SRC/config/geoip/breachwatch-geo.mmdb"
expect "committed breachwatch-geo.mmdb matches its source (rebuild it)" "$?" 0

# 2. Every type, in all three record sizes.
cat > "$T/types.json" <<'JSON'
{"build_epoch": 1700000000, "database_type": "BW-Types", "description": {"en": "types", "de": "Typen"},
 "languages": ["en", "de"],
 "networks": [
  {"network": "1.1.1.0/24", "data": {
    "utf8_string": "unicode! \u262f - \u266b", "double": {"@type": "double", "value": 42.123456},
    "float": {"@type": "float", "value": 1.1}, "bytes": {"@type": "bytes", "value": "0000002a"},
    "uint16": {"@type": "uint16", "value": 100}, "uint32": 268435456,
    "uint64": {"@type": "uint64", "value": 1152921504606846976},
    "uint128": {"@type": "uint128", "value": 1329227995784915872903807060280344576},
    "int32": -268435456, "int32pos": {"@type": "int32", "value": 7}, "boolean": true, "false": false,
    "array": [1, 2, 3], "map": {"mapX": {"arrayX": [7, 8, 9], "utf8_stringX": "hello"}},
    "zero": {"@type": "uint64", "value": 0}, "empty": "", "long": "LONGSTRING"}},
  {"network": "2001:db8::/32", "country": "SE", "asn": 65000, "asn_org": "Example"},
  {"network": "2001:db8:1::/48", "country": "NO"}
 ]}
JSON
long=$(python3 -c 'print("x" * 70000)')
sed -i "s/LONGSTRING/$long/" "$T/types.json"
for rs in 24 28 32; do
	db=$T/types-$rs.mmdb
	python3 "$MK" --record-size "$rs" "$T/types.json" "$db"
	expect "build $rs" "$?" 0
	expect "$rs record_size" "$(mmdblookup -v -f "$db" -i 1.1.1.1 2>&1 | sed -n 's/^ *Record size: *//p')" "$rs bits"
	expect "$rs utf8" "$(mmval "$db" 1.1.1.1 utf8_string)" '"unicode! ☯ - ♫" <utf8_string>'
	expect "$rs double" "$(mmval "$db" 1.1.1.1 double)" "42.123456 <double>"
	expect "$rs float" "$(mmval "$db" 1.1.1.1 float)" "1.100000 <float>"
	expect "$rs bytes" "$(mmval "$db" 1.1.1.1 bytes)" "0000002A <bytes>"
	expect "$rs uint16" "$(mmval "$db" 1.1.1.1 uint16)" "100 <uint16>"
	expect "$rs uint32" "$(mmval "$db" 1.1.1.1 uint32)" "268435456 <uint32>"
	expect "$rs uint64" "$(mmval "$db" 1.1.1.1 uint64)" "1152921504606846976 <uint64>"
	expect "$rs uint128" "$(mmval "$db" 1.1.1.1 uint128)" "0x01000000000000000000000000000000 <uint128>"
	expect "$rs int32" "$(mmval "$db" 1.1.1.1 int32)" "-268435456 <int32>"
	expect "$rs int32pos" "$(mmval "$db" 1.1.1.1 int32pos)" "7 <int32>"
	expect "$rs boolean" "$(mmval "$db" 1.1.1.1 boolean)" "true <boolean>"
	expect "$rs false" "$(mmval "$db" 1.1.1.1 false)" "false <boolean>"
	expect "$rs array" "$(mmval "$db" 1.1.1.1 array 2)" "3 <uint32>"
	expect "$rs nested" "$(mmval "$db" 1.1.1.1 map mapX arrayX 1)" "8 <uint32>"
	expect "$rs nested str" "$(mmval "$db" 1.1.1.1 map mapX utf8_stringX)" '"hello" <utf8_string>'
	expect "$rs zero" "$(mmval "$db" 1.1.1.1 zero)" "0 <uint64>"
	expect "$rs empty" "$(mmval "$db" 1.1.1.1 empty)" '"" <utf8_string>'
	expect "$rs long" "$(mmval "$db" 1.1.1.1 long | wc -c)" 70016
	expect "$rs v6" "$(lookup "$db" 2001:db8:ffff::1)" "SE|65000|Example"
	# The more specific network wins inside its range and only there.
	expect "$rs v6 nested" "$(lookup "$db" 2001:db8:1::1)" "NO|0|"
	expect "$rs description" "$(mmdblookup -v -f "$db" -i 1.1.1.1 2>&1 | grep -c 'de: *Typen')" 1
done
# 28-bit records split their top nibbles into the middle byte (spec).
expect "28-bit node layout" "$(python3 -c "
import importlib.util as u
s = u.spec_from_file_location('mk', '$MK'); m = u.module_from_spec(s); s.loader.exec_module(m)
print(m.pack_node(0x1234567, 0x89ABCDE, 28).hex(), m.pack_node(0xABCDEF, 0x123456, 24).hex(),
      m.pack_node(0x12345678, 0x9ABCDEF0, 32).hex())")" "234567189abcde abcdef123456 123456789abcdef0"

# Records above 2^24 (a data section over 16 MiB): the high nibbles of
# 28-bit records must be where libmaxminddb reads them.
python3 - "$T/big.json" <<'PY'
import json, sys
json.dump({"build_epoch": 1, "networks": [
    {"network": "10.0.0.0/8", "data": {"pad": "p" * (1 << 24)}},
    {"network": "10.9.0.0/16", "country": "SE", "asn": 64511}]}, open(sys.argv[1], "w"))
PY
python3 "$MK" --record-size 24 "$T/big.json" "$T/big24.mmdb" 2>"$T/big24.err"
expect "24-bit records refuse a 16 MiB data section" "$?" 1
python3 "$MK" "$T/big.json" "$T/big.mmdb"
expect "big: chosen record size" "$(mmdblookup -v -f "$T/big.mmdb" -i 10.9.0.1 2>&1 | sed -n 's/^ *Record size: *//p')" "28 bits"
expect "big: record past 2^24" "$(lookup "$T/big.mmdb" 10.9.1.1)" "SE|64511|"
expect "big: padding record" "$(mmval "$T/big.mmdb" 10.1.1.1 pad | wc -c)" $(((1 << 24) + 16))
rm -f "$T/big.mmdb" "$T/big.json"

# 3. IPv4 tree; IPv6 aliases of the IPv4 subtree in an IPv6 tree.
printf '{"build_epoch":1,"networks":[{"network":"10.1.0.0/16","country":"US"},{"network":"10.1.2.0/24","country":"CA","country_name":"Canada"}]}' >"$T/v4.json"
python3 "$MK" --ip-version 4 "$T/v4.json" "$T/v4.mmdb"
expect "v4 build" "$?" 0
expect "v4 ip_version" "$(mmdblookup -v -f "$T/v4.mmdb" -i 10.1.0.1 2>&1 | sed -n 's/^ *IP version: *//p')" "IPv4"
expect "v4 /16" "$(lookup "$T/v4.mmdb" 10.1.3.1)" "US|0|"
expect "v4 /24" "$(lookup "$T/v4.mmdb" 10.1.2.255)" "CA|0|"
expect "v4 name" "$(mmval "$T/v4.mmdb" 10.1.2.1 country names en)" '"Canada" <utf8_string>'
expect "v4 outside" "$(lookup "$T/v4.mmdb" 10.2.0.1)" "|0|"
expect "v4 db, v6 addr" "$(lookup "$T/v4.mmdb" 2001:db8::1)" "|0|"
python3 "$MK" "$T/v4.json" "$T/v4in6.mmdb"
for ip in 10.1.2.3 ::10.1.2.3 ::ffff:10.1.2.3 2002:a01:203:: 2001:0:a01:203::; do
	expect "alias $ip" "$(mmval "$T/v4in6.mmdb" "$ip" country iso_code)" '"CA" <utf8_string>'
done

# 4. Bad sources are refused with a message naming the entry.
bad() {
	printf '%s' "$2" >"$T/bad.json"
	msg=$(python3 "$MK" "$T/bad.json" "$T/bad.mmdb" 2>&1)
	expect "refuse $1 (status)" "$?" 1
	expect "refuse $1 (message)" "$(printf '%s' "$msg" | grep -c "$3")" 1
}
bad "bad code" '[{"network":"1.2.3.0/24","country":"se"}]' "two letters"
bad "host bits" '[{"network":"1.2.3.4/24","country":"SE"}]' "host bits set"
bad "duplicate" '[{"network":"1.2.3.0/24","country":"SE"},{"network":"1.2.3.0/24","country":"NO"}]' "listed twice"
bad "alias overlap" '[{"network":"2002::/15","country":"SE"}]' "alias"
bad "unknown key" '[{"network":"1.2.3.0/24","contry":"SE"}]' "unknown keys contry"
bad "no name" '[{"network":"1.2.3.0/24","country":"QQ"}]' "country_name"
bad "asn range" '[{"network":"1.2.3.0/24","asn":-5}]' "asn must be"
bad "empty" '[]' "non-empty list"
bad "epoch 0" '{"build_epoch":0,"networks":[{"network":"1.2.3.0/24","country":"SE"}]}' "build_epoch"
bad "not json" '[{' "mkmmdb"

# 5. What sensor/geo.c makes of long and odd organisation names.
python3 - "$T/org.json" <<'PY'
import json, sys
org_long = "\u00e9" * 100                     # 200 bytes: cut at a character boundary
json.dump({"build_epoch": 1, "networks": [
    {"network": "192.0.2.0/25", "asn": 64500, "asn_org": org_long},
    {"network": "192.0.2.128/25", "asn": 64501, "asn_org": "bad\u0001\nname\u007f"},
    {"network": "198.51.100.0/24", "data": {"country": {"iso_code": "s\u00e9"}}},
    {"network": "203.0.113.0/24", "data": {"autonomous_system_number": "1"}}]},
    open(sys.argv[1], "w"))
PY
python3 "$MK" "$T/org.json" "$T/org.mmdb"
expect "org: long name cut at a character" "$(lookup "$T/org.mmdb" 192.0.2.1)" "|64500|$(python3 -c 'print("\u00e9" * 47)')"
expect "org: control characters" "$(lookup "$T/org.mmdb" 192.0.2.200)" "|64501|bad??name?"
expect "bad iso_code is unknown" "$(lookup "$T/org.mmdb" 198.51.100.1)" "|0|"
expect "string ASN is unknown" "$(lookup "$T/org.mmdb" 203.0.113.1)" "|0|"
expect "bad records counted" "$("$GEO_LOOKUP" "$T/org.mmdb" 198.51.100.1 203.0.113.1 | tail -n 1)" \
	"stats lookups=2 hits=0 misses=2 errors=2"

finish mkmmdb
