#!/usr/bin/env bash
# Benchmark (not a test): the multi-worker sensor. Records SIZE_MB of real
# mixed traffic (HTTP of varied sizes, TLS, DNS, many flows) between two
# network namespaces (bench/record-mixed.sh, shared with bench/flow-bench.sh),
# or reads the capture given as CAPTURE, then reads it with `breachwatch sensor --workers
# 1` and `--workers 2` (best of three each), reporting wall time, Mpps,
# Gbit/s, peak RSS and the per-worker packet split.
# Usage: bench/scale-bench.sh [BREACHWATCH_BIN] [SIZE_MB] [CAPTURE]  (root to record;
# BW_BENCH_SAVE=FILE keeps the recording)
set -euo pipefail
BIN=${1:-build/breachwatch}
BIN=$(readlink -f "$BIN")
SIZE_MB=${2:-256}
CAP=${3:-}
tmp=$(mktemp -d /tmp/bw-scale-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$CAP" ]; then
  cap=$(readlink -f "$CAP")
else
  . "$(dirname "$0")/record-mixed.sh"
  cap=$tmp/all.pcap
  bw_record_mixed "$cap" "$SIZE_MB" bw-scale-b 10.99.7
  [ -n "${BW_BENCH_SAVE:-}" ] && cp "$cap" "$BW_BENCH_SAVE" # reuse: pass it as CAPTURE
fi
total=$(capinfos -c -M "$cap" | awk '/Number of packets/ {print $NF}')
bytes=$(capinfos -d -M "$cap" | awk '/Data size/ {print $(NF-1)}')
cat "$cap" >/dev/null # page cache warm
measure() { # workers
  local n=$1 wall=999999 rss=0 w r
  for _ in 1 2 3; do
    /usr/bin/time -v "$BIN" sensor -r "$cap" --redis none --eve /dev/null --workers "$n" \
      2>"$tmp/time" >/dev/null
    w=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time" |
      awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    r=$(awk -F': ' '/Maximum resident/ {print $2}' "$tmp/time")
    wall=$(awk -v a="$wall" -v b="$w" 'BEGIN { print (b < a) ? b : a }')
    [ "$r" -gt "$rss" ] && rss=$r
  done
  awk -v n="$n" -v w="$wall" -v p="$total" -v b="$bytes" -v r="$rss" \
    'BEGIN { printf "| %7d | %9d | %7.0f | %6.2f | %6.3f | %6.2f | %7.1f |\n",
             n, p, b / 1048576, w, p / w / 1e6, b * 8 / w / 1e9, r / 1024 }'
}
echo "capture: $total packets, $bytes bytes ($(nproc) cores)"
echo "| workers |   packets |     MiB | wall s |   Mpps | Gbit/s | RSS MiB |"
echo "| ------: | --------: | ------: | -----: | -----: | -----: | ------: |"
measure 1
measure 2
"$BIN" sensor -r "$cap" --redis none --eve "$tmp/eve.json" --workers 2 >/dev/null 2>&1 || true
python3 - "$tmp/eve.json" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event_type"] == "stats": st = e["stats"]
print("workers=2 split:", [(w["id"], w["packets"], w["flows_created"]) for w in st["workers"]],
      "ring_drops:", st["ring_drops"], "ring_waits:", [w["ring_waits"] for w in st["workers"]])
PY
