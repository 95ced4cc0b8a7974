#!/usr/bin/env bash
# Many sensors and responders on one Redis Cluster (six redis-server on
# loopback: three masters with a replica each). Two sensors (ids s1 and s2,
# two workers each) read the recorded exfiltration captures and add their
# alerts to bw:alerts; two responders share the consumer group `responders`.
# Between the two sensors' runs the master holding bw:alerts is killed with
# SIGKILL; its replica takes over (the old master comes back as a replica).
# Then: every alert either sensor wrote is in the stream (nothing that was
# acknowledged is lost), both sensor ids are there, nothing is pending, every
# alert is in exactly one incident, and every incident verifies.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}" "${BW_TOOLS:?}"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || exit 77
if ! "$BW_BIN" responder --help >/dev/null 2>&1; then
  echo "this build has no responder command: skipped"
  exit 77
fi
W=$(mktemp -d /tmp/bw-scale-e2e.XXXXXX)
. "$BW_SRC/tests/lib/redis-cluster.sh"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  cluster_stop "$W"
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
bw_on_exit cleanup
fail() { echo "FAIL: $*"; exit 1; }
cluster_start "$W"
URL="redis+cluster://127.0.0.1:${CL_PORTS[0]},127.0.0.1:${CL_PORTS[1]},127.0.0.1:${CL_PORTS[2]}?replicas=1"
rc() { # redis-cli on any live node, following redirections
  local p
  for p in "${CL_PORTS[@]}"; do
    redis-cli -c -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 && { redis-cli -c -h 127.0.0.1 -p "$p" "$@"; return; }
  done
  return 1
}

for s in s1 s2; do
  mkdir -p "$W/$s"
  printf 'state_dir: %s\n' "$W/$s" >"$W/$s.yaml"
done
for r in r1 r2; do
  mkdir -p "$W/$r"
  cat >"$W/$r.yaml" <<EOC
state_dir: $W/$r
incidents: {window: 10m, escalate_alerts: 2}
consumer: {reclaim_idle: 500ms}
playbooks:
  - name: note-all
    rules: ["*"]
    mode: dry-run
    action: notify
EOC
  "$BW_BIN" responder -p "$W/$r.yaml" --redis "$URL" --consumer "$r" \
    2>"$W/$r.err" &
  pids+=($!)
done
sensor() { # id files...
  local id=$1
  shift
  local args=()
  for f in "$@"; do args+=(-r "$BW_SRC/pcaps/$f.pcap"); done
  (cd "$BW_SRC" && "$BW_BIN" sensor -c "$W/$id.yaml" --sensor-id "$id" --workers 2 \
    --redis "$URL" --eve "$W/$id.eve" "${args[@]}") 2>"$W/$id.err" || true
}
sensor s1 exfil-pgsql-bulk exfil-mysql-bulk exfil-pgdump exfil-pgsql-drip
n1=$(grep -c '"event_type":"alert"' "$W/s1.eve" || true)
[ "$n1" -gt 0 ] || fail "sensor s1 raised no alert: $(cat "$W/s1.err")"
victim=$(cluster_master_of bw:alerts)
cluster_kill9 "$victim"
echo "s1: $n1 alerts; killed the master of bw:alerts (127.0.0.1:$victim)"
cluster_wait_failover "$victim"
cluster_restart "$victim"
cluster_wait_replica "$victim"
echo "failover: bw:alerts now on 127.0.0.1:$(cluster_master_of bw:alerts)"
sensor s2 exfil-api-scrape exfil-dns-tunnel exfil-http-upload exfil-tls-upload
n2=$(grep -c '"event_type":"alert"' "$W/s2.eve" || true)
[ "$n2" -gt 0 ] || fail "sensor s2 raised no alert: $(cat "$W/s2.err")"
echo "s2: $n2 alerts"

# Wait until the group has read everything and acknowledged it.
for _ in $(seq 600); do
  info=$(rc XINFO GROUPS bw:alerts 2>/dev/null | tr '\n' ' ')
  pend=$(echo "$info" | sed -n 's/.*pending \([0-9]*\).*/\1/p')
  lag=$(echo "$info" | sed -n 's/.*lag \([0-9]*\).*/\1/p')
  [ "$pend" = 0 ] && [ "$lag" = 0 ] && break
  sleep 0.1
done
echo "group: $info"
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
[ "$pend" = 0 ] && [ "$lag" = 0 ] || fail "group not drained (pending $pend, lag $lag)"
tail -n 2 "$W/r1.err" "$W/r2.err"

# 1. Every alert event of both sensors is in the stream, with its sensor id.
"$BW_TOOLS/bwt-redis-cluster" field "$URL" eve >"$W/stream.jsonl"
python3 - "$W/s1.eve" "$W/s2.eve" "$W/stream.jsonl" <<'PY' || fail "stream check"
import json, sys
def key(e):
    return (e.get("sensor_id"), e["breach"]["alert_id"], e["breach"].get("update"))
wrote = set()
for p in sys.argv[1:3]:
    for l in open(p):
        e = json.loads(l)
        if e.get("event_type") == "alert":
            wrote.add(key(e))
stream = [key(json.loads(l)) for l in open(sys.argv[3])]
missing = wrote - set(stream)
print("alerts written %d, stream entries %d (distinct %d), missing %d" %
      (len(wrote), len(stream), len(set(stream)), len(missing)))
print("sensor ids in the stream:", sorted({k[0] for k in stream}))
ok = not missing and {k[0] for k in stream} >= {"s1", "s2"}
sys.exit(0 if ok else 1)
PY

# 2. Every alert in exactly one incident; every incident verifies.
rc ZRANGE bw:incidents 0 -1 >"$W/incidents"
ninc=$(wc -l <"$W/incidents")
[ "$ninc" -gt 0 ] || fail "no incidents"
while read -r id; do
  rc --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -o '"alert_id":"[^"]*"' | sort -u |
    sed "s/^/$id /"
  "$BW_BIN" incidents -p "$W/r1.yaml" --redis "$URL" verify "$id" >/dev/null ||
    fail "incident $id does not verify"
done <"$W/incidents" >"$W/alert-incident"
python3 - "$W/stream.jsonl" "$W/alert-incident" <<'PY' || fail "incident check"
import collections, json, sys
alerts = {json.loads(l)["breach"]["alert_id"] for l in open(sys.argv[1])}
where = collections.defaultdict(set)
for l in open(sys.argv[2]):
    inc, aid = l.split(" ", 1)
    where[aid.strip().split(":", 1)[1].strip('"')].add(inc)
multi = {a: i for a, i in where.items() if len(i) > 1}
missing = alerts - set(where)
print("alerts %d, in incidents %d, in more than one %d, in none %d" %
      (len(alerts), len(where), len(multi), len(missing)))
sys.exit(0 if not multi and not missing else 1)
PY
echo "ok: $ninc incidents verified"
