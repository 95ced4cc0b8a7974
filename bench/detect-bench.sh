#!/bin/bash
# Cost of detection: the sensor with the default rule pack against the sensor with
# no rules (an empty rule directory) on the same capture, in the same run,
# alternating, best of N each. Target: at most 1.2x the time without rules.
#
# usage: bench/detect-bench.sh [BUILD_DIR] [CAPTURE] [N]
#   BUILD_DIR defaults to build; CAPTURE to bench/bench.pcap if present, else all of
#   pcaps/*.pcap merged (mergecap); N to 5.
# Also measures the engine alone (bwt-detect-feed over synthetic access events),
# which works before the packet pipeline does.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$HERE/build}
CAP=${2:-}
N=${3:-5}
BIN=$B/breachwatch
FEED=$B/tests/bwt-detect-feed
T=$(mktemp -d /tmp/bw-detect-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/empty"
cat >"$T/bw.yaml" <<EOT
state_dir: $T/state
geoip:
  country_db: $HERE/config/geoip/breachwatch-geo.mmdb
EOT

best() { # command... -> best wall time in seconds over N runs
	local b=999999 s e t
	for _ in $(seq "$N"); do
		rm -rf "$T/state"
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		b=$(echo "if ($t < $b) $t else $b" | bc -l)
	done
	printf "%.3f" "$b"
}

echo "== engine alone: bwt-detect-feed, synthetic access events"
python3 - "$T/events" <<'PY'
import random, sys
r = random.Random(7)
chans = ["pgsql", "mysql", "http", "dns", "flow"]
with open(sys.argv[1], "w") as f:
    t = 1764576000.0
    for i in range(400000):
        t += 0.002
        c = chans[i % 5]
        # 500 actors, a few of them busy (Zipf-like), as on a real network
        actor = "10.1.%d.%d" % divmod(min(int(r.paretovariate(1.2)) - 1, 499), 250)
        if c == "dns":
            f.write("%.6f dns send %s - 10.77.0.53 corp.test 0 60 h%d.corp.test\n" % (t, actor, r.randrange(50)))
        elif c == "flow":
            f.write("%.6f flow send %s - 89.160.20.112 - 0 %d\n" % (t, actor, r.randrange(100, 5000)))
        elif c == "http":
            f.write("%.6f http read %s - 10.77.0.20 /api/customers 1 700 /api/customers/%d\n" % (t, actor, r.randrange(10000)))
        else:
            f.write("%.6f %s read %s app 10.77.0.10 public.customers %d %d SELECT\n" % (t, c, actor, r.randrange(1, 20), 1500))
PY
e_none=$(best "$FEED" -c "$T/bw.yaml" --rules "$T/empty" --eve /dev/null "$T/events")
e_pack=$(best "$FEED" -c "$T/bw.yaml" --rules "$HERE/rules/default" --eve /dev/null "$T/events")
echo "events=400000 no-rules=${e_none}s default-pack=${e_pack}s ratio=$(echo "scale=3; $e_pack / $e_none" | bc -l)"
echo "(the no-rules time is the feeder's own parsing; the difference is the engine:"
echo " $(echo "scale=3; ($e_pack - $e_none) * 1000000 / 400000" | bc -l) us per event for $(ls "$HERE"/rules/default/*.yaml | wc -l) files of rules)"

echo "== sensor: default pack vs no rules"
if [ -z "$CAP" ]; then
	if [ -f "$HERE/bench/bench.pcap" ]; then
		CAP=$HERE/bench/bench.pcap
	else
		CAP=$T/all.pcap
		mergecap -F pcap -w "$CAP" "$HERE"/pcaps/*.pcap
	fi
fi
if ! "$BIN" sensor -c "$T/bw.yaml" -r "$CAP" --eve /dev/null --rules "$T/empty" --redis none >/dev/null 2>&1; then
	echo "the sensor cannot read $CAP with --rules yet: skipped"
	exit 0
fi
s_none=$(best "$BIN" sensor -c "$T/bw.yaml" -r "$CAP" --eve /dev/null --rules "$T/empty" --redis none)
s_pack=$(best "$BIN" sensor -c "$T/bw.yaml" -r "$CAP" --eve /dev/null --rules "$HERE/rules/default" --redis none)
ratio=$(echo "scale=3; $s_pack / $s_none" | bc -l)
echo "capture=$(basename "$CAP") size=$(stat -c %s "$CAP") no-rules=${s_none}s default-pack=${s_pack}s ratio=$ratio (target <= 1.2)"
