#!/bin/bash
# The server logs of the recorded scenarios (pcaps/logs/) through `breachwatch sensor
# --log FORMAT:PATH` with the default rule pack: for every actor of a log truth file
# with an exfil scenario, an alert with that actor and records within 5% of the
# actor's records; no alert of severity 1 or 2 for an actor with only benign ones.
# The sorted semantic lines (rule, actor, records, severity, verdict) are compared
# with detect-logs.golden; BW_UPDATE_GOLDEN=1 rewrites it (explicitly).
set -uo pipefail
SRC=${BW_SRC:?}
BIN=${BW_BIN:?}
GOLDEN=$SRC/tests/golden/detect-logs.golden
ls "$SRC"/pcaps/logs/*.truth.json >/dev/null 2>&1 || { echo "no pcaps/logs/*.truth.json"; exit 77; }
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
# The log sources must be present, or nothing here can be judged.
"$BIN" sensor -c "$T/bw.yaml" --once --log nginx:"$SRC/pcaps/logs/nginx-access.log" --eve "$T/probe.json" \
	--rules "$SRC/rules/default" --redis none >/dev/null 2>"$T/probe.err"
if ! grep -q '"event_type":"access"' "$T/probe.json" 2>/dev/null; then
	echo "the sensor produced no access events from logs (log sources not present yet):"
	head -5 "$T/probe.err"
	exit 77
fi

fail=0
: >"$T/out"
declare -A FMT=([nginx-access]=nginx [mariadb-slow]=mysql-slow [postgresql]=postgresql [dnsmasq]=dnsmasq)
for truth in "$SRC"/pcaps/logs/*.truth.json; do
	l=$(basename "$truth" .truth.json)
	rm -rf "$T/state"
	# a fixed PII key: records estimated from distinct PII values are the same every run
	mkdir -p "$T/state" && printf 'breachwatch-test' >"$T/state/pii.key" && chmod 600 "$T/state/pii.key"
	"$BIN" sensor -c "$T/bw.yaml" --once --log "${FMT[$l]}:$SRC/pcaps/logs/$l.log" --eve "$T/log-$l.json" \
		--rules "$SRC/rules/default" --redis none >/dev/null 2>"$T/log-$l.err" ||
		{ echo "sensor failed on log $l:"; cat "$T/log-$l.err"; fail=1; }
	python3 "$SRC/tests/golden/detect-check.py" log "$truth" "$T/log-$l.json" >>"$T/out" || fail=1
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
