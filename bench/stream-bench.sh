#!/usr/bin/env bash
# Benchmark (not a test): alerts per second from the stream into incidents.
# Adds N alerts (A actors, shaped as the detection engine writes them) to
# bw:alerts, then times `breachwatch responder --once` draining them with 1
# and with 2 responders in the group `responders`, on a single redis-server
# and on a Redis Cluster of three masters with a replica each (writes waited
# for one replica: ?replicas=1). Prints alerts/s and incidents made.
# Usage: bench/stream-bench.sh [BREACHWATCH_BIN] [N] [A]
set -euo pipefail
BIN=$(readlink -f "${1:-build/breachwatch}")
N=${2:-2000}
A=${3:-200}
SRC=$(cd "$(dirname "$0")/.." && pwd)
"$BIN" responder --help >/dev/null 2>&1 || { echo "this build has no responder" >&2; exit 1; }
W=$(mktemp -d /tmp/bw-scale-sbench.XXXXXX)
. "$SRC/tests/lib/redis-cluster.sh"
SPID=
cleanup() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
  cluster_stop "$W/cluster"
  rm -rf "$W"
}
trap cleanup EXIT
gen() { # alerts as redis protocol for redis-cli --pipe
  python3 - "$N" "$A" <<'PY'
import json, sys
n, a = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
for i in range(n):
    ip = "10.%d.%d.%d" % (20 + i % a // 65025, i % a // 255 % 255, i % a % 255 + 1)
    ev = {"timestamp": "2026-01-01T00:%02d:%02d.000000+0000" % (i // 60 % 60, i % 60),
          "event_type": "alert", "sensor_id": "bench", "src_ip": ip, "src_port": 40000,
          "dest_ip": "10.0.0.5", "dest_port": 5432, "proto": "TCP", "app_proto": "pgsql",
          "alert": {"action": "allowed", "gid": 1, "signature_id": 9100001, "rev": 1,
                    "signature": "Bulk read", "category": "Exfiltration", "severity": 2,
                    "metadata": {"mitre_technique_id": ["T1005"]}},
          "breach": {"alert_id": "bench-%d" % i, "update": 0, "count": 1,
                     "rule": "bulk-read-customers", "channel": "pgsql",
                     "actor": {"ip": ip, "user": "app"}, "dataset": "public.customers",
                     "records": 5000, "bytes": 500000, "pii": {"email": 5000}, "window_s": 300}}
    args = [b"XADD", b"bw:alerts", b"*", b"eve", json.dumps(ev).encode()]
    out.write(b"*%d\r\n" % len(args))
    for x in args:
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
PY
}
conf() { # DIR
  mkdir -p "$1"
  cat >"$1/r.yaml" <<EOC
state_dir: $1
incidents: {window: 10m, escalate_alerts: 2}
consumer: {reclaim_idle: 5s}
playbooks:
  - name: note-all
    rules: ["*"]
    mode: dry-run
    action: notify
EOC
}
run() { # label URL CLI-ARGS... : load, then drain with 1 and 2 responders
  local label=$1 url=$2
  shift 2
  for k in 1 2; do
    redis-cli "$@" FLUSHALL >/dev/null
    gen | redis-cli "$@" --pipe >/dev/null
    local t0 t1 ps=()
    t0=$(date +%s.%N)
    for c in $(seq $k); do
      conf "$W/$label-$k-$c"
      "$BIN" responder -p "$W/$label-$k-$c/r.yaml" --redis "$url" --consumer "c$c" --once \
        2>"$W/$label-$k-$c.err" &
      ps+=($!)
    done
    wait "${ps[@]}"
    t1=$(date +%s.%N)
    local inc
    inc=$(redis-cli "$@" ZCARD bw:incidents)
    awk -v l="$label" -v k="$k" -v n="$N" -v s="$(echo "$t1 - $t0" | bc)" -v i="$inc" \
      'BEGIN { printf "| %-14s | %10d | %6d | %6.2f | %9.0f | %9d |\n", l, k, n, s, n / s, i }'
  done
}
echo "| redis          | responders | alerts | wall s | alerts/s | incidents |"
echo "| -------------- | ---------: | -----: | -----: | -------: | --------: |"
redis-server --port 0 --unixsocket "$W/redis.sock" --dir "$W" --save "" --appendonly no \
  >"$W/redis.log" 2>&1 &
SPID=$!
for _ in $(seq 100); do redis-cli -s "$W/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
run single "unix://$W/redis.sock" -s "$W/redis.sock"
kill "$SPID"
SPID=
cluster_start "$W/cluster" 7361
m=$(cluster_master_of bw:alerts)
cluster_cli_all() { for p in $(seq 7361 7366); do redis-cli -p "$p" "$@" >/dev/null 2>&1 || true; done; }
# FLUSHALL in run() reaches one node only: flush the masters before each load.
redis_cluster_flush() { cluster_cli_all FLUSHALL; }
run_cluster() {
  for k in 1 2; do
    redis_cluster_flush
    gen | redis-cli -p "$m" --pipe >/dev/null
    local t0 t1 ps=()
    t0=$(date +%s.%N)
    for c in $(seq $k); do
      conf "$W/cl-$k-$c"
      "$BIN" responder -p "$W/cl-$k-$c/r.yaml" \
        --redis "redis+cluster://127.0.0.1:7361,127.0.0.1:7362?replicas=1" --consumer "c$c" \
        --once 2>"$W/cl-$k-$c.err" &
      ps+=($!)
    done
    wait "${ps[@]}"
    t1=$(date +%s.%N)
    local inc
    inc=$(redis-cli -c -p 7361 ZCARD bw:incidents)
    awk -v k="$k" -v n="$N" -v s="$(echo "$t1 - $t0" | bc)" -v i="$inc" \
      'BEGIN { printf "| %-14s | %10d | %6d | %6.2f | %9.0f | %9d |\n", "cluster 3+3", k, n, s, n / s, i }'
  done
}
run_cluster
