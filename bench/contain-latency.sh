#!/usr/bin/env bash
# Containment latency: time from the start of a block action to the element
# being present in the kernel's nft set, over N incidents (default 100), in a
# network namespace this script creates (bw-ct-bench, removed on exit).
# The element's arrival is observed by `nft monitor` (a separate process
# timestamping each netlink event as it is read), and cross-checked with the
# backend's own timing of the nft transaction (result duration_us).
# With the responder built (`breachwatch responder`), a second run measures
# the whole path: XADD of an alert into bw:alerts of a real redis-server ->
# responder (enforce mode) -> element seen by nft monitor.
# Usage: sudo bench/contain-latency.sh [BUILD_DIR] [N]
set -euo pipefail
build=${1:-build}
n=${2:-100}
tool=$build/tests/bwt-contain
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespace, nftables)" >&2; exit 77; }
[ -x "$tool" ] || { echo "$tool missing: build first" >&2; exit 1; }
ns=bw-ct-bench-$$ # per run: two benches at once must not share it
tmp=$(mktemp -d /tmp/bw-ct-bench.XXXXXX)
mon=
cleanup() {
  [ -n "$mon" ] && kill "$mon" 2>/dev/null
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
cat > "$tmp/r.yaml" <<YAML
containment:
  ttl: 10m
  blocks_per_minute: 0
  nft: {table: breachwatch, family: inet}
YAML
# The driver opens the handle (creating table, sets, chains) and then waits
# for actions on a FIFO: one long-lived process, as the responder is.
mkfifo "$tmp/fifo"
ip netns exec "$ns" "$tool" "$tmp/r.yaml" "$tmp/state" - < "$tmp/fifo" > "$tmp/results.jsonl" &
drv=$!
exec 3> "$tmp/fifo"
for _ in $(seq 200); do
  ip netns exec "$ns" nft list set inet breachwatch block4 >/dev/null 2>&1 && break; sleep 0.02
done
sleep 0.2
ip netns exec "$ns" python3 -u - "$tmp/mon.log" 3>&- <<'PY' &
import signal, subprocess, sys, time
out = open(sys.argv[1], "a", buffering=1)  # append: the log is truncated between phases
p = subprocess.Popen(["stdbuf", "-oL", "nft", "monitor", "elements"], stdout=subprocess.PIPE,
                     bufsize=0)
def stop(*_):
    p.terminate()
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
out.write("ready\n")
for line in iter(p.stdout.readline, b""):
    out.write("%d %s" % (time.time_ns() // 1000, line.decode()))
PY
mon=$!
for _ in $(seq 200); do grep -q ready "$tmp/mon.log" 2>/dev/null && break; sleep 0.02; done
sleep 0.3 # nft monitor subscribes after it starts
# Incidents arrive 20 ms apart (as alerts would), not as one burst.
for i in $(seq 1 "$n"); do
  echo "block:10.200.$((i / 250)).$((i % 250 + 1))/600/INC-BENCH-$i:block" >&3
  sleep 0.02
done
exec 3>&-
wait "$drv"
sleep 0.5
python3 - "$tmp/results.jsonl" "$tmp/mon.log" "$n" <<'PY'
import json, math, re, sys
res = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[3])
start, nft_us, ip_of = {}, {}, {}
for r in res:
    assert r["backend"] == "nft" and r["ok"], r
    ip = re.search(r"added (\S+) in", r["detail"]).group(1)
    start[ip] = r["start_us"]
    nft_us[ip] = r["duration_us"]
seen = {}
for line in open(sys.argv[2]):
    m = re.match(r"(\d+) add element inet breachwatch block4 \{ (\S+) ", line)
    if m and m.group(2) not in seen:
        seen[m.group(2)] = int(m.group(1))
missing = [ip for ip in start if ip not in seen]
assert len(start) == n and not missing, (len(start), missing[:5])
lat = sorted((seen[ip] - start[ip]) / 1000.0 for ip in start)
inproc = sorted(v / 1000.0 for v in nft_us.values())
def pct(v, p):  # nearest rank
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]
print("incidents: %d" % n)
print("action start -> element seen by nft monitor: p50 %.2f ms  p99 %.2f ms  max %.2f ms"
      % (pct(lat, 50), pct(lat, 99), lat[-1]))
print("nft transaction inside the backend (duration_us): p50 %.2f ms  p99 %.2f ms  max %.2f ms"
      % (pct(inproc, 50), pct(inproc, 99), inproc[-1]))
print("target p99 <= 100 ms: %s" % ("met" if pct(lat, 99) <= 100 else "MISSED"))
PY

# ---- whole path: XADD -> responder -> nft element
bin=$build/breachwatch
if ! "$bin" help | grep -q "breachwatch responder"; then
  echo "xadd path: breachwatch responder not built; not measured"
  exit 0
fi
ip netns exec "$ns" nft delete table inet breachwatch
: > "$tmp/mon.log"
sock=$tmp/redis.sock
redis-server --port 0 --unixsocket "$sock" --dir "$tmp" --save "" --appendonly no >/dev/null 2>&1 &
red=$!
for _ in $(seq 200); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.02; done
cat > "$tmp/rx.yaml" <<YAML
state_dir: $tmp/state-x
playbooks:
  - {name: block-bulk, rules: [bulk-read-customers], max_severity: 4, mode: enforce, action: block, ttl: 10m}
containment:
  blocks_per_minute: 0
  nft: {table: breachwatch, family: inet}
YAML
ip netns exec "$ns" "$bin" responder -p "$tmp/rx.yaml" --redis "unix://$sock" 2> "$tmp/resp.err" &
resp=$!
for _ in $(seq 200); do
  ip netns exec "$ns" nft list set inet breachwatch block4 >/dev/null 2>&1 && break; sleep 0.02
done
sleep 0.3
python3 "$(dirname "$0")/contain-latency-xadd.py" "$sock" "$n" "$tmp/xadd.log"
sleep 1
kill "$resp" "$red" 2>/dev/null || true
python3 - "$tmp/xadd.log" "$tmp/mon.log" "$n" <<'PY'
import math, re, sys
start = {}
for l in open(sys.argv[1]):
    t, ip = l.split()
    start[ip] = int(t)
seen = {}
for line in open(sys.argv[2]):
    m = re.match(r"(\d+) add element inet breachwatch block4 \{ (\S+) timeout", line)
    if m and m.group(2) not in seen:
        seen[m.group(2)] = int(m.group(1))
missing = [ip for ip in start if ip not in seen]
assert len(start) == int(sys.argv[3]) and not missing, (len(start), missing[:5])
lat = sorted((seen[ip] - start[ip]) / 1000.0 for ip in start)
def pct(v, p):
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]
print("XADD -> responder -> element seen by nft monitor: p50 %.2f ms  p99 %.2f ms  max %.2f ms"
      % (pct(lat, 50), pct(lat, 99), lat[-1]))
print("target p99 <= 100 ms: %s" % ("met" if pct(lat, 99) <= 100 else "MISSED"))
PY
