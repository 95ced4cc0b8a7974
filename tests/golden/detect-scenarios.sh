#!/bin/bash
# Every recorded scenario through `breachwatch sensor` with the default rule pack:
# each exfil scenario (pcaps/*.truth.json) raises an alert whose actor is the truth
# file's actor_ip with records within 5% of the truth; no benign scenario raises an
# alert of severity 1 or 2. (The server logs of pcaps/logs/: detect-logs.sh.)
# The sorted semantic lines (rule, actor, records, severity, verdict) are compared
# with detect-scenarios.golden; BW_UPDATE_GOLDEN=1 rewrites it (explicitly).
set -uo pipefail
SRC=${BW_SRC:?}
BIN=${BW_BIN:?}
GOLDEN=$SRC/tests/golden/detect-scenarios.golden
ls "$SRC"/pcaps/*.truth.json >/dev/null 2>&1 || { echo "no pcaps/*.truth.json"; exit 77; }
T=$(mktemp -d /tmp/bw-detect-golden.XXXXXX)
trap 'rm -rf "$T"' EXIT

if ! "$BIN" sensor --help >/dev/null 2>&1; then
	echo "breachwatch has no sensor command yet"
	exit 77
fi
cat >"$T/bw.yaml" <<EOT
state_dir: $T/state
sensor_id: golden
# the project's data inventory: records per API page, rows and key of the
# tables (records from statements), the export record size (opaque uploads)
inventory: $SRC/config/inventory.yaml
geoip:
  country_db: $SRC/config/geoip/breachwatch-geo.mmdb
logs:
  formats:
    postgresql:
      log_line_prefix: "%m [%p] %q%u@%d %h "
EOT
# The pgsql parser must be present, or nothing here can be judged.
"$BIN" sensor -c "$T/bw.yaml" -r "$SRC/pcaps/exfil-pgsql-bulk.pcap" --eve "$T/probe.json" \
	--rules "$SRC/rules/default" --redis none >/dev/null 2>"$T/probe.err"
if ! grep -q '"event_type":"pgsql"' "$T/probe.json" 2>/dev/null; then
	echo "the sensor produced no pgsql events (parsers not present yet):"
	head -5 "$T/probe.err"
	exit 77
fi

fail=0
: >"$T/out"
for truth in "$SRC"/pcaps/*.truth.json; do
	s=$(basename "$truth" .truth.json)
	rm -rf "$T/state"
	# a fixed PII key: records estimated from distinct PII values are the same every run
	mkdir -p "$T/state" && printf 'breachwatch-test' >"$T/state/pii.key" && chmod 600 "$T/state/pii.key"
	"$BIN" sensor -c "$T/bw.yaml" -r "$SRC/pcaps/$s.pcap" --eve "$T/$s.json" \
		--rules "$SRC/rules/default" --redis none >/dev/null 2>"$T/$s.err" ||
		{ echo "sensor failed on $s:"; cat "$T/$s.err"; fail=1; }
	python3 "$SRC/tests/golden/detect-check.py" pcap "$truth" "$T/$s.json" >>"$T/out" || fail=1
done
sort -o "$T/out" "$T/out"
cat "$T/out"
if [ "${BW_UPDATE_GOLDEN:-0}" = 1 ]; then
	cp "$T/out" "$GOLDEN"
	echo "updated $GOLDEN"
elif [ -f "$GOLDEN" ]; then
	diff -u "$GOLDEN" "$T/out" || { echo "FAIL: output differs from $GOLDEN"; fail=1; }
else
	echo "FAIL: no $GOLDEN (run with BW_UPDATE_GOLDEN=1 once the output is right)"
	fail=1
fi
[ "$fail" = 0 ] && echo "PASS" || echo "FAIL"
exit "$fail"
