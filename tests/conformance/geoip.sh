#!/bin/sh
# Conformance of sensor/geo.c with MaxMind's test databases in
# $BW_SHARED/geoip (see its README): country (not registered_country) and
# ASN lookups for IPv4 and IPv6, the bad-data files (fail to open or give
# errors/unknown, never crash), and agreement of our own database
# config/geoip/breachwatch-geo.mmdb with GeoIP2-Country-Test for every
# address of its source and of pcaps/geo-addresses.json when present.
# Exits 77 (ctest: skipped) when ../shared is not present.

if [ -z "${BW_SHARED:-}" ] || [ ! -d "${BW_SHARED}/geoip" ]; then
	echo "SKIP: ../shared not present (BW_SHARED='${BW_SHARED:-}')"
	exit 77
fi
SRC=${BW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
G=$BW_SHARED/geoip
. "$SRC/tests/tools/geo-test-lib.sh"
find_geo_lookup

COUNTRY=$G/GeoIP2-Country-Test.mmdb
LCITY=$G/GeoLite2-City-Test.mmdb
LCOUNTRY=$G/GeoLite2-Country-Test.mmdb
ASN=$G/GeoLite2-ASN-Test.mmdb
OURS=$SRC/config/geoip/breachwatch-geo.mmdb

# address | GeoIP2-Country | GeoLite2-City | GeoLite2-ASN number | org
# (the README's table; "-" = no entry or field)
while IFS='|' read -r ip c lc asn org; do
	[ -n "$ip" ] || continue
	[ "$c" = - ] && c=
	[ "$lc" = - ] && lc=
	[ "$asn" = - ] && asn=0
	[ "$org" = - ] && org=
	expect "$ip in GeoIP2-Country-Test" "$(lookup "$COUNTRY" "$ip" | cut -d'|' -f1)" "$c"
	expect "$ip in GeoLite2-City-Test" "$(lookup "$LCITY" "$ip" | cut -d'|' -f1)" "$lc"
	expect "$ip in GeoLite2-ASN-Test" "$(lookup --asn-db "$ASN" - "$ip")" "|$asn|$org"
	# Country and ASN files together, as production runs them.
	expect "$ip in Country+ASN" "$(lookup --asn-db "$ASN" "$COUNTRY" "$ip")" "$c|$asn|$org"
done <<'TABLE'
81.2.69.142|GB|GB|-|-
81.2.69.160|GB|GB|-|-
89.160.20.112|SE|SE|29518|Bredband2 AB
89.160.20.128|SE|SE|29518|Bredband2 AB
2.125.160.216|GB|GB|-|-
216.160.83.56|US|US|209|-
175.16.199.1|CN|CN|-|-
67.43.156.1|BT|BT|35908|-
202.196.224.1|PH|PH|-|-
149.101.100.1|US|-|6167|CELLCO-PART
214.78.120.1|US|-|721|DoD Network Information Center
111.235.160.1|CN|-|-|-
217.65.48.1|GI|-|-|-
50.114.0.1|US|-|-|-
214.1.1.1|-|-|721|DoD Network Information Center
1.0.0.1|-|-|15169|Google Inc.
1.128.0.1|-|-|1221|Telstra Pty Ltd
12.81.92.1|-|-|7018|AT&T Services
38.0.0.1|-|-|174|Cogent Communications
8.8.8.8|-|-|-|-
10.0.0.1|-|-|-|-
192.168.1.1|-|-|-|-
2001:218::1|JP|JP|-|-
2001:2e0::1|HK|HK|-|-
2001:480:10::1|US|US|-|-
2a02:d180::1|DE|DE|-|-
2a02:d3c0::1|GB|GB|-|-
2001:1700::1|-|-|6730|Sunrise Communications AG
2003::1|-|-|3320|Deutsche Telekom AG
::81.2.69.142|GB|GB|-|-
::ffff:81.2.69.142|GB|GB|-|-
TABLE

# 175.16.199.1 is CN in GeoIP2-Country-Test but absent from GeoLite2-Country-Test.
expect "175.16.199.1 in GeoLite2-Country-Test" "$(lookup "$LCOUNTRY" 175.16.199.1)" "|0|"
expect "89.160.20.112 in GeoLite2-Country-Test" "$(lookup "$LCOUNTRY" 89.160.20.112 | cut -d'|' -f1)" "SE"
# The country field, not registered_country (81.2.69.142 is registered US).
expect "81.2.69.142 in GeoIP2-City-Test" "$(lookup "$G/GeoIP2-City-Test.mmdb" 81.2.69.142 | cut -d'|' -f1)" "GB"

# Format-test databases: no country/ASN fields, IPv6 in an IPv4-only tree.
for db in MaxMind-DB-test-ipv4-24 MaxMind-DB-test-ipv4-32 MaxMind-DB-test-mixed-24 \
	MaxMind-DB-test-decoder MaxMind-DB-no-ipv4-search-tree; do
	expect "$db 1.1.1.1" "$(lookup "$G/$db.mmdb" 1.1.1.1)" "|0|"
	expect "$db 2001:db8::1" "$(lookup "$G/$db.mmdb" 2001:db8::1)" "|0|"
done

# Bad data: open fails (status 1, message) or every lookup is unknown and
# at least one read error is counted; never a crash.
BADADDRS="81.2.69.142 175.16.199.1 2001:220::1 1.1.1.1 89.160.20.112 ::1 8.8.8.8"
for f in "$G"/bad-data/*.mmdb; do
	name=$(basename "$f")
	# shellcheck disable=SC2086
	out=$("$GEO_LOOKUP" "$f" $BADADDRS 2>/dev/null)
	st=$?
	checks=$((checks + 1))
	if [ "$st" -ge 128 ]; then
		echo "FAIL: $name: geo-lookup crashed (status $st)" >&2
		fails=$((fails + 1))
		continue
	fi
	if [ "$st" -eq 1 ]; then
		echo "ok: $name: refused at open"
		continue
	fi
	errors=$(printf '%s\n' "$out" | sed -n 's/^stats .* errors=\([0-9]*\)$/\1/p')
	unknown=$(printf '%s\n' "$out" | grep -c ' rc=1$')
	echo "ok: $name: opened, $unknown unknown, $errors errors"
	if [ "$st" -ne 0 ] || { [ "${errors:-0}" -eq 0 ] && [ "$unknown" -ne "$(echo "$BADADDRS" | wc -w)" ]; }; then
		echo "FAIL: $name: opened and gave data without errors" >&2
		fails=$((fails + 1))
	fi
done
# The broken-double file must report its corrupt records, not use them.
expect "Broken-Double 175.16.199.1" "$(lookup "$G/bad-data/GeoIP2-City-Test-Broken-Double-Format.mmdb" 175.16.199.1)" "|0|"
expect "Broken-Double 2001:220::1" "$(lookup "$G/bad-data/GeoIP2-City-Test-Broken-Double-Format.mmdb" 2001:220::1)" "|0|"
expect "metadata-marker-only refused" "$("$GEO_LOOKUP" "$G/bad-data/libmaxminddb-metadata-marker-only.mmdb" 1.1.1.1 >/dev/null 2>&1; echo $?)" "1"
expect "offset-integer-overflow refused" "$("$GEO_LOOKUP" "$G/bad-data/libmaxminddb-offset-integer-overflow.mmdb" 1.1.1.1 >/dev/null 2>&1; echo $?)" "1"

# Our database agrees with GeoIP2-Country-Test (country) and, where it has
# an ASN, with GeoLite2-ASN-Test, for the first, second and last address of
# every network in its source, and for every address the captures use.
addrs=$(python3 - "$SRC/config/geoip/breachwatch-geo.json" "$SRC/pcaps/geo-addresses.json" <<'PY'
import ipaddress, json, sys
src = json.load(open(sys.argv[1]))
for e in src["networks"] if isinstance(src, dict) else src:
    n = ipaddress.ip_network(e["network"])
    for a in (n[0], n[1], n[-1]):
        print(a, e.get("asn", ""))
try:
    caps = json.load(open(sys.argv[2]))
except OSError:
    caps = []
# Entries {"address", "country", "asn"} say what the capture expects: check
# our database against that claim too ("=" lines), then against MaxMind.
for e in caps if isinstance(caps, list) else []:
    if isinstance(e, dict) and "address" in e:
        print("=", e["address"], e.get("country") or "", e.get("asn") or 0)
def walk(v):
    if isinstance(v, str):
        try:
            yield str(ipaddress.ip_address(v))
        except ValueError:
            pass
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from walk(k)
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
for a in sorted(set(walk(caps))):
    print(a, "?")
PY
)
while read -r ip asn claim_cc claim_asn; do
	[ -n "$ip" ] || continue
	if [ "$ip" = "=" ]; then
		# "= ADDR COUNTRY ASN" from pcaps/geo-addresses.json.
		expect "$asn (geo-addresses.json) in ours" "$(lookup "$OURS" "$asn" | cut -d'|' -f1,2)" \
			"$claim_cc|$claim_asn"
		continue
	fi
	want=$(lookup "$COUNTRY" "$ip" | cut -d'|' -f1)
	got=$(lookup "$OURS" "$ip" | cut -d'|' -f1)
	if [ "$asn" = "?" ] && [ -z "$want" ]; then
		echo "note: capture address $ip has no country in GeoIP2-Country-Test (ours: '$got')"
		continue
	fi
	expect "$ip ours vs GeoIP2-Country-Test" "$got" "$want"
	if [ -n "$asn" ] && [ "$asn" != "?" ]; then
		expect "$ip ours vs GeoLite2-ASN-Test" "$(lookup "$OURS" "$ip" | cut -d'|' -f2)" \
			"$(lookup --asn-db "$ASN" - "$ip" | cut -d'|' -f2)"
	fi
done <<EOF
$addrs
EOF

finish geoip
