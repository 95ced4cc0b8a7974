#!/usr/bin/env bash
# Benchmark (not a test): the multi-worker sensor. Records SIZE_MB of real
# mixed traffic (HTTP of varied sizes, TLS, DNS, many flows) between two
# network namespaces it creates, as bench/flow-bench.sh does (or reads the
# capture given as CAPTURE), then reads it with `breachwatch sensor --workers
# 1` and `--workers 2` (best of three each), reporting wall time, Mpps,
# Gbit/s, peak RSS and the per-worker packet split.
# Usage: bench/scale-bench.sh [BREACHWATCH_BIN] [SIZE_MB] [CAPTURE]  (root to record;
# BW_BENCH_SAVE=FILE keeps the recording)
set -euo pipefail
BIN=${1:-build/breachwatch}
BIN=$(readlink -f "$BIN")
SIZE_MB=${2:-256}
CAP=${3:-}
A=bw-scale-ba B=bw-scale-bb VA=bw-scale-va VB=bw-scale-vb
tmp=$(mktemp -d /tmp/bw-scale-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ -n "$CAP" ]; then
  cap=$(readlink -f "$CAP")
else
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
ip netns del $A 2>/dev/null || true
ip netns del $B 2>/dev/null || true
ip netns add $A
ip netns add $B
ip link add $VA netns $A type veth peer name $VB netns $B
ip -n $A addr add 10.99.7.1/24 dev $VA
ip -n $B addr add 10.99.7.2/24 dev $VB
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set $VA up
ip -n $B link set $VB up
# Segments of at most the MTU on the wire, as on a real network (no GRO/TSO
# super-packets in the capture).
ip netns exec $A ethtool -K $VA tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec $B ethtool -K $VB tso off gso off gro off >/dev/null 2>&1 || true

# Servers in B: HTTP (python), TLS (openssl s_server -WWW), DNS (dnsmasq).
mkdir -p "$tmp/www"
for s in 1 4 16 64 256 1024 4096; do head -c $((s * 1024)) /dev/urandom >"$tmp/www/f$s.bin"; done
(cd "$tmp/www" && exec ip netns exec $B python3 -m http.server 8080 --bind 10.99.7.2 >/dev/null 2>&1) &
pids+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  -days 1 -subj /CN=bench >/dev/null 2>&1
(cd "$tmp/www" && exec ip netns exec $B openssl s_server -quiet -accept 8443 -WWW \
  -cert "$tmp/cert.pem" -key "$tmp/key.pem" >/dev/null 2>&1) &
pids+=($!)
ip netns exec $B dnsmasq -k --no-resolv --no-hosts --listen-address=10.99.7.2 --bind-interfaces \
  --address=/bench.test/10.99.7.2 --pid-file="$tmp/dnsmasq.pid" >/dev/null 2>&1 &
pids+=($!)
sleep 1

cap=$tmp/all.pcap
ip netns exec $A tcpdump -i $VA -s 0 -U -n -w "$cap" 2>/dev/null &
tdpid=$!
pids+=($tdpid)
sleep 1
want=$((SIZE_MB * 1024 * 1024))
client() { # one client loop: mixed requests until the capture is big enough
  local i=$1 n=0
  while [ "$(stat -c %s "$cap")" -lt "$want" ]; do
    n=$((n + 1))
    case $(((i + n) % 6)) in
      0) ip netns exec $A curl -s -o /dev/null http://10.99.7.2:8080/f4096.bin ;;
      1) ip netns exec $A curl -s -o /dev/null http://10.99.7.2:8080/f1.bin \
           -o /dev/null http://10.99.7.2:8080/f4.bin -o /dev/null http://10.99.7.2:8080/f16.bin ;;
      2) ip netns exec $A curl -s -o /dev/null http://10.99.7.2:8080/f1024.bin ;;
      3) ip netns exec $A curl -sk -o /dev/null https://10.99.7.2:8443/f256.bin ;;
      4) ip netns exec $A dig +short +tries=1 +time=1 @10.99.7.2 "h$n-$i.bench.test" >/dev/null ;;
      5) ip netns exec $A curl -s -o /dev/null http://10.99.7.2:8080/f64.bin ;;
    esac
  done
}
for i in 1 2 3 4; do client $i & pids+=($!); done
wait "${pids[@]: -4}" 2>/dev/null || true
sleep 0.5
kill -INT $tdpid
wait $tdpid 2>/dev/null || true

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
