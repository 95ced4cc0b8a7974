#!/usr/bin/env bash
# Benchmark (not a test): the sensor as a user runs it (default config: every
# parser, the PII scanner, the default rules; EVE to /dev/null) against
# `tcpdump -r F -w /dev/null` on about 1 GB of real mixed traffic (HTTP of
# random binary files 1 kB..4 MB, TLS, DNS; bench/record-mixed.sh), same run,
# alternating, RUNS times each: best and median wall, CPU, Mpps, Gbit/s; then
# peak RSS with the capture read once and ten times over (-r F given 10 times,
# and ten copies shifted in time so that packet time moves on, as a replay).
# The recording is kept in BW_BENCH_DIR (default /var/tmp/bw-bench) and reused;
# it is made (root) when absent or when BW_BENCH_RECORD=1 (namespaces named
# BW_BENCH_NS..., default bw-fc-b).
# Usage: bench/flow-bench.sh [BREACHWATCH_BIN] [SIZE_MB] [RUNS]   (results on stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(readlink -f "${1:-build/breachwatch}")
SIZE_MB=${2:-1024}
RUNS=${3:-5}
DIR=${BW_BENCH_DIR:-/var/tmp/bw-bench}
cap=$DIR/mixed-$SIZE_MB.pcap
. bench/record-mixed.sh
. bench/replay-shifted.sh
if [ ! -s "$cap" ] || [ "${BW_BENCH_RECORD:-0}" = 1 ]; then
  echo "recording $SIZE_MB MB into $cap ..." >&2
  bw_record_mixed "$cap" "$SIZE_MB" "${BW_BENCH_NS:-bw-fc-b}" 10.99.2
fi
tmp=$(mktemp -d /tmp/bw-flow-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/state"
printf 'state_dir: %s/state\n' "$tmp" >"$tmp/bw.yaml" # the defaults, keys kept out of the tree
sensor=("$BIN" sensor -c "$tmp/bw.yaml" --redis none --eve /dev/null)

pk=$(capinfos -c -M "$cap" | awk '/Number of packets/ {print $NF}')
by=$(capinfos -d -M "$cap" | awk '/Data size/ {print $(NF-1)}')
cat "$cap" >/dev/null # page cache warm for both readers
run() { # label cmd...: one run, appends "label wall cpu rss_kib" to $tmp/runs
  local label=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; exit 1; }
  read -r w u s r <"$tmp/t"
  echo "$label $w $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $r" >>"$tmp/runs"
}
: >"$tmp/runs"
for _ in $(seq "$RUNS"); do # alternating, so drift in machine speed hits both
  run tcpdump tcpdump -r "$cap" -w /dev/null
  run sensor "${sensor[@]}" -r "$cap"
done
ten=()
for _ in $(seq 10); do ten+=(-r "$cap"); done
run once "${sensor[@]}" -r "$cap"
run ten "${sensor[@]}" "${ten[@]}"
# Ten times over as a replay would be: each copy shifted past the previous
# one's end, so packet time moves on and earlier copies' flows end.
bw_replay_shifted "$cap" 10 "$tmp" |
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "${sensor[@]}" -r - >/dev/null 2>"$tmp/err"
read -r w u s r <"$tmp/t"
echo "shifted $w $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $r" >>"$tmp/runs"
"$BIN" sensor -c "$tmp/bw.yaml" --redis none --eve "$tmp/eve.json" -r "$cap" >/dev/null 2>&1

echo "capture: $cap ($pk packets, $by bytes of packet data); $RUNS runs each, alternating"
python3 - "$tmp/runs" "$pk" "$by" "$tmp/eve.json" <<'PY'
import json, statistics, sys
runs, pk, by = {}, int(sys.argv[2]), int(sys.argv[3])
for line in open(sys.argv[1]):
    k, w, c, r = line.split()
    runs.setdefault(k, []).append((float(w), float(c), int(r)))
print(f"| reader | best wall s | median wall s | median cpu s | Mpps (median) | Gbit/s (median) | peak RSS MiB |")
print(f"| --- | --: | --: | --: | --: | --: | --: |")
med = {}
for k, name in (("tcpdump", "tcpdump -r F -w /dev/null"), ("sensor", "sensor, default config")):
    w = [x[0] for x in runs[k]]
    c = [x[1] for x in runs[k]]
    med[k] = statistics.median(w)
    print(f"| {name} | {min(w):.2f} | {med[k]:.2f} | {statistics.median(c):.2f} | "
          f"{pk / med[k] / 1e6:.3f} | {by * 8 / med[k] / 1e9:.2f} | {max(x[2] for x in runs[k]) / 1024:.1f} |")
print(f"sensor / tcpdump wall (medians): {med['sensor'] / med['tcpdump']:.2f}x; "
      f"best: {min(x[0] for x in runs['sensor']) / min(x[0] for x in runs['tcpdump']):.2f}x")
print(f"peak RSS reading the capture once: {runs['once'][0][2] / 1024:.1f} MiB; "
      f"ten times over (-r F x10, packet time repeats): {runs['ten'][0][2] / 1024:.1f} MiB "
      f"({runs['ten'][0][0]:.2f} s); ten copies shifted in time: "
      f"{runs['shifted'][0][2] / 1024:.1f} MiB ({runs['shifted'][0][0]:.2f} s)")
st = None
for l in open(sys.argv[4]):
    e = json.loads(l)
    if e["event_type"] == "stats":
        st = e["stats"]
if st:
    http = st["app_layer"]["http"]
    print(f"sensor stats: flows {st['flow']['created']}, stream bytes {st['stream']['bytes_delivered']}, "
          f"gaps {st['stream']['gaps']}, http events {http['events']}, "
          f"PII-skipped body bytes {http.get('pii_skipped_bytes', 'n/a')}")
PY
