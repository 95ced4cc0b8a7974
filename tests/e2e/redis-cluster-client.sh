#!/usr/bin/env bash
# common/redis.c against a real Redis Cluster on loopback (six redis-server,
# three masters with a replica each): routing by slot, transactions, scripts,
# streams, ASK and MOVED during a live slot migration (bwt-redis-cluster
# check); then two producers write to bw:alerts while the stream's master is
# killed with SIGKILL and its replica takes over: every entry a producer saw
# acknowledged (URL ?replicas=1: on a replica too) is in the stream afterwards,
# after the old master has come back as a replica of the new one.
set -euo pipefail
: "${BW_TOOLS:?}" "${BW_SRC:?}"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || exit 77
T=$BW_TOOLS/bwt-redis-cluster
W=$(mktemp -d /tmp/bw-scale-clc.XXXXXX)
. "$BW_SRC/tests/lib/redis-cluster.sh"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  cluster_stop "$W"
  rm -rf "$W"
}
bw_on_exit cleanup
cluster_start "$W"
URL="redis+cluster://127.0.0.1:${CL_PORTS[0]},127.0.0.1:${CL_PORTS[1]}?replicas=1"

"$T" check "$URL"

victim=$(cluster_master_of bw:alerts)
echo "bw:alerts is served by 127.0.0.1:$victim; producers start"
"$T" produce "$URL" 1500 a >"$W/acked-a" 2>"$W/prod-a.log" & pids+=($!)
"$T" produce "$URL" 1500 b >"$W/acked-b" 2>"$W/prod-b.log" & pids+=($!)
while [ "$(cat "$W/acked-a" "$W/acked-b" | wc -l)" -lt 600 ]; do sleep 0.05; done
before=$(cat "$W/acked-a" "$W/acked-b" | wc -l)
cluster_kill9 "$victim"
echo "killed master $victim after $before acknowledged writes"
cluster_wait_failover "$victim"
newm=$(cluster_master_of bw:alerts)
echo "failover: bw:alerts now on $newm"
# The promoted master has no replica until the old one comes back: writes
# wait (?replicas=1) and are not acknowledged before that.
cluster_restart "$victim"
cluster_wait_replica "$victim"
wait "${pids[@]}"
pids=()
cat "$W/prod-a.log" "$W/prod-b.log"
"$T" ids "redis+cluster://127.0.0.1:$newm" | sort >"$W/stored"
sort "$W/acked-a" "$W/acked-b" >"$W/acked"
acked=$(wc -l <"$W/acked")
stored=$(sort -u "$W/stored" | wc -l)
lost=$(comm -23 "$W/acked" <(sort -u "$W/stored") | wc -l)
dups=$(($(wc -l <"$W/stored") - stored))
echo "acknowledged=$acked stored_distinct=$stored lost=$lost duplicates=$dups"
[ "$acked" -eq 3000 ] || { echo "FAIL: producers did not finish" >&2; exit 1; }
[ "$lost" -eq 0 ] || { echo "FAIL: $lost acknowledged writes lost in the failover" >&2; exit 1; }
[ "$newm" != "$victim" ] || { echo "FAIL: no failover" >&2; exit 1; }
grep -q 'moved=[1-9]\|node_failures=[1-9]' "$W/prod-a.log" ||
  { echo "FAIL: producer a never saw the failover" >&2; exit 1; }
echo "ok"
