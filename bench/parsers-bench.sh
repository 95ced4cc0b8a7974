#!/usr/bin/env bash
# Benchmark (not a test): the sensor with every parser and the PII scanner on,
# over the project's own recorded captures (PostgreSQL, MariaDB, HTTP, DNS, TLS),
# against `tcpdump -r F -w /dev/null` in the same run; then peak RSS when the
# same capture is read once and ten times over (memory must stay flat).
# Usage: bench/parsers-bench.sh [BREACHWATCH_BIN] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(readlink -f "${1:-build/gcc/breachwatch}")
RUNS=${2:-5}
tmp=$(mktemp -d /tmp/bw-parsers-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
F=$tmp/all.pcap
mergecap -a -F pcap -w "$F" pcaps/*.pcap
pkts=$(capinfos -c -M "$F" | awk '/Number of packets/ {print $NF}')
bytes=$(stat -c %s "$F")
printf 'state_dir: %s/state\n' "$tmp" > "$tmp/bw.yaml"
mkdir -p "$tmp/state"

# best-of-RUNS wall seconds and peak RSS (KiB) of a command
measure() {
  local best=999999 rss=0 t r
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>&1
    read -r t r < "$tmp/t"
    best=$(python3 -c "print(min($best, $t))")
    rss=$r
  done
  echo "$best $rss"
}
echo "capture: $F ($pkts packets, $bytes bytes; all of pcaps/ concatenated)"
read -r td tdr < <(measure tcpdump -r "$F" -w /dev/null)
read -r bw bwr < <(measure "$BIN" sensor -c "$tmp/bw.yaml" -r "$F" --redis none --eve /dev/null)
read -r bwx bwxr < <(measure "$BIN" sensor -c "$tmp/bw.yaml" -r "$F" --redis none --eve /dev/null --rules rules/default)
python3 - "$pkts" "$bytes" "$td" "$tdr" "$bw" "$bwr" "$bwx" "$bwxr" <<'PY'
import sys
p, b = int(sys.argv[1]), int(sys.argv[2])
rows = [("tcpdump -r F -w /dev/null", *sys.argv[3:5]), ("sensor, all parsers + PII", *sys.argv[5:7]),
        ("sensor, + default rules", *sys.argv[7:9])]
base = float(rows[0][1])
print(f"{'command':32} {'wall s':>8} {'Mpps':>7} {'Gbit/s':>7} {'x tcpdump':>9} {'peak RSS MiB':>12}")
for name, t, r in rows:
    t = float(t)
    print(f"{name:32} {t:8.3f} {p/t/1e6:7.3f} {b*8/t/1e9:7.3f} {t/base:9.2f} {int(r)/1024:12.1f}")
PY
# Ten times over: the same file given ten times.
ten=()
for _ in $(seq 10); do ten+=(-r "$F"); done
read -r _ r1 < <(RUNS=1 measure "$BIN" sensor -c "$tmp/bw.yaml" -r "$F" --redis none --eve /dev/null)
read -r _ r10 < <(RUNS=1 measure "$BIN" sensor -c "$tmp/bw.yaml" "${ten[@]}" --redis none --eve /dev/null)
# Ten copies shifted in time (packet time moves on, as in a replay).
. bench/replay-shifted.sh
bw_replay_shifted "$F" 10 "$tmp" |
  /usr/bin/time -f '%e %M' -o "$tmp/t" "$BIN" sensor -c "$tmp/bw.yaml" -r - --redis none \
    --eve /dev/null >/dev/null 2>&1
read -r _ rs <"$tmp/t"
echo "peak RSS reading the capture once: $((r1 / 1024)) MiB; ten times over (-r F x10, packet" \
  "time repeats): $((r10 / 1024)) MiB; ten copies shifted in time: $((rs / 1024)) MiB"
