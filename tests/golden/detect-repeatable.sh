#!/bin/bash
# Replaying the same input on the same installation gives the same alerts: the
# detectors' hash key comes from the installation key (state_dir/pii.key), not
# from the run. Two runs, each with a fresh state directory holding only the
# first run's key, over captures and logs with distinct-count rules (page
# scraping, DNS tunnel); their alerts must be equal but for alert_id (unique per
# run by design) and the evidence file's path (in the state directory; its
# sha256 must be equal). A third run under another key must still raise the same rules
# for the same actors (the estimates may differ a little).
set -uo pipefail
SRC=${BW_SRC:?}
BIN=${BW_BIN:?}
T=$(mktemp -d /tmp/bw-detect-repeat.XXXXXX)
trap 'rm -rf "$T"' EXIT

run() { # STATE_DIR OUT
	cat >"$T/bw.yaml" <<EOT
state_dir: $1
sensor_id: repeat
inventory: $SRC/config/inventory.yaml
geoip:
  country_db: $SRC/config/geoip/breachwatch-geo.mmdb
EOT
	"$BIN" sensor -c "$T/bw.yaml" --once --redis none --rules "$SRC/rules/default" --eve "$2" \
		-r "$SRC/pcaps/exfil-api-scrape.pcap" -r "$SRC/pcaps/exfil-dns-tunnel.pcap" \
		-r "$SRC/pcaps/benign-api-lookups.pcap" >/dev/null 2>"$2.err" || {
		echo "sensor failed:"
		cat "$2.err"
		exit 1
	}
	"$BIN" sensor -c "$T/bw.yaml" --once --redis none --rules "$SRC/rules/default" --eve "$2" \
		--log nginx:"$SRC/pcaps/logs/nginx-access.log" --log dnsmasq:"$SRC/pcaps/logs/dnsmasq.log" \
		>/dev/null 2>>"$2.err" || {
		echo "sensor (logs) failed:"
		cat "$2.err"
		exit 1
	}
}
alerts() { # EVE -> alerts without alert_id, sorted
	python3 - "$1" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") != "alert":
        continue
    e["breach"].pop("alert_id", None)
    e["breach"].get("evidence", {}).pop("pcap", None)  # named after the state dir and alert id
    out.append(json.dumps(e, sort_keys=True))
print("\n".join(sorted(out)))
PY
}
shape() { # alerts -> (rule, actor) set
	python3 -c '
import json, sys
print("\n".join(sorted({(json.loads(l)["breach"]["rule"] + " " + json.loads(l)["breach"]["actor"]["ip"]) for l in sys.stdin if l.strip()})))'
}

run "$T/s1" "$T/e1.json"
[ -s "$T/s1/pii.key" ] || { echo "no installation key was made in $T/s1"; exit 1; }
mkdir -p "$T/s2" "$T/s3"
cp "$T/s1/pii.key" "$T/s2/pii.key"
run "$T/s2" "$T/e2.json"
alerts "$T/e1.json" >"$T/a1"
alerts "$T/e2.json" >"$T/a2"
n=$(wc -l <"$T/a1")
grep -q '"rule": "api-page-scraping"' "$T/a1" || { echo "no scraping alert to compare"; exit 1; }
grep -q '"rule": "dns-tunnel"' "$T/a1" || { echo "no DNS tunnel alert to compare"; exit 1; }
if ! cmp -s "$T/a1" "$T/a2"; then
	echo "the same input on the same installation gave other alerts:"
	diff "$T/a1" "$T/a2" | head -20
	exit 1
fi
run "$T/s3" "$T/e3.json" # a new key
alerts "$T/e3.json" >"$T/a3"
if ! cmp -s <(shape <"$T/a1") <(shape <"$T/a3"); then
	echo "another key raised other rules or actors:"
	diff <(shape <"$T/a1") <(shape <"$T/a3")
	exit 1
fi
echo "ok: $n alerts equal in two runs under one key; the same rules and actors under another"
