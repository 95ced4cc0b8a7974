# Sourced by tests and benchmarks: a real Redis Cluster on loopback, six
# redis-server processes (three masters, one replica each) in a temp folder.
#   cluster_start DIR [BASEPORT]
#                  without BASEPORT on ports the kernel says are free (client
#                  and cluster-bus ports, see bw_free_ports), started again on
#                  other ports if one was taken meanwhile; with it on
#                  BASEPORT..BASEPORT+5 (bus ports +10000). Sets CL_PORTS (the
#                  six client ports); returns when the cluster is ok on every
#                  node; cluster_stop DIR runs at exit (bw_on_exit)
#   cluster_stop DIR             kills the nodes this folder started
#   cluster_master_of KEY        port of the master serving KEY's slot
#   cluster_kill9 PORT           SIGKILL one node
#   cluster_wait_failover PORT   waits until PORT's slots have a live master
#   cluster_restart PORT         starts a killed node again (rejoins as replica)
#   cluster_wait_replica PORT    waits until PORT is an in-sync replica
# Needs redis-server and redis-cli (>= 7: --cluster create, cluster-port).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CL_DIR= CL_BASE= CL_PORTS=()
cluster_cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
# Starts node PORT (daemonized) with the bus port kept in DIR/nPORT/bus.
cluster_node_start() {
  local p=$1
  redis-server --port "$p" --cluster-port "$(cat "$CL_DIR/n$p/bus")" --bind 127.0.0.1 \
    --protected-mode no --cluster-enabled yes \
    --cluster-config-file "$CL_DIR/n$p/nodes.conf" --cluster-node-timeout 1000 \
    --dir "$CL_DIR/n$p" --save "" --appendonly no --daemonize yes \
    --pidfile "$CL_DIR/n$p/pid" --logfile "$CL_DIR/n$p/log"
}
# 0 when node PORT answers and is the process this folder started.
cluster_node_ours() {
  local pid
  pid=$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null |
    sed -n 's/^process_id:\([0-9]*\).*/\1/p')
  [ -n "$pid" ] && [ -f "$CL_DIR/n$1/pid" ] && [ "$pid" = "$(cat "$CL_DIR/n$1/pid")" ]
}
# Starts six nodes on the chosen ports; 1 if one of them is not ours.
cluster_spawn() {
  local p i=0 bus=("$@")
  for p in "${CL_PORTS[@]}"; do
    mkdir -p "$CL_DIR/n$p"
    echo "${bus[i]}" >"$CL_DIR/n$p/bus"
    i=$((i + 1))
    cluster_node_start "$p"
  done
  for p in "${CL_PORTS[@]}"; do
    for _ in $(seq 200); do
      cluster_node_ours "$p" && break
      grep -q "Address already in use" "$CL_DIR/n$p/log" 2>/dev/null && break
      sleep 0.05
    done
    cluster_node_ours "$p" || { echo "node $p did not start (port taken?)" >&2; return 1; }
  done
}
cluster_start() {
  CL_DIR=$1 CL_BASE=${2:-}
  local p hosts=() try ports
  if [ -z "$CL_BASE" ]; then
    bw_on_exit "cluster_stop '$CL_DIR'"
  fi
  for try in 1 2 3; do
    if [ -n "$CL_BASE" ]; then
      CL_PORTS=($(seq "$CL_BASE" $((CL_BASE + 5))))
      ports=($(for p in "${CL_PORTS[@]}"; do echo $((p + 10000)); done))
      for p in "${CL_PORTS[@]}"; do
        if cluster_cli "$p" ping >/dev/null 2>&1; then
          echo "port $p already in use" >&2
          return 1
        fi
      done
    else
      ports=($(bw_free_ports 12))
      [ ${#ports[@]} -eq 12 ] || { echo "no free ports" >&2; return 1; }
      CL_PORTS=("${ports[@]:0:6}")
      ports=("${ports[@]:6:6}")
    fi
    cluster_spawn "${ports[@]}" && break
    cluster_stop "$CL_DIR"
    rm -rf "${CL_DIR:?}"/n*
    [ -z "$CL_BASE" ] && [ "$try" -lt 3 ] || return 1
  done
  for p in "${CL_PORTS[@]}"; do hosts+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$CL_DIR/create.log" 2>&1
  for p in "${CL_PORTS[@]}"; do
    for _ in $(seq 200); do
      cluster_cli "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
      sleep 0.05
    done
    cluster_cli "$p" cluster info | grep -q 'cluster_state:ok' || { echo "cluster not ok on $p" >&2; return 1; }
  done
  # Replicas attached and in sync before the test trusts them.
  local up
  for _ in $(seq 300); do
    up=0
    for p in "${CL_PORTS[@]}"; do
      cluster_cli "$p" info replication | grep -q 'master_link_status:up' && up=$((up + 1))
    done
    [ "$up" -eq 3 ] && return 0
    sleep 0.05
  done
  echo "replicas not in sync" >&2
  return 1
}
cluster_stop() {
  local f
  for f in "$1"/n*/pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  return 0
}
cluster_master_of() {
  local slot p
  for p in "${CL_PORTS[@]}"; do
    slot=$(cluster_cli "$p" cluster keyslot "$1" 2>/dev/null) && break
  done
  cluster_cli "$p" cluster nodes | python3 -c '
import sys
slot = int(sys.argv[1])
for line in sys.stdin:
    f = line.split()
    if "master" not in f[2] or "fail" in f[2]:
        continue
    for r in f[8:]:
        if r.startswith("["):
            continue
        lo, _, hi = r.partition("-")
        if int(lo) <= slot <= int(hi or lo):
            print(f[1].split("@")[0].rsplit(":", 1)[1])
' "$slot"
}
cluster_kill9() { kill -9 "$(cat "$CL_DIR/n$1/pid")"; }
# Starts a killed node again from its nodes.conf: it rejoins as a replica.
cluster_restart() { cluster_node_start "$1"; }
# Waits until every slot has a master that is not PORT and the cluster is ok.
cluster_wait_failover() {
  local dead=$1 p alive
  for _ in $(seq 300); do
    alive=
    for p in "${CL_PORTS[@]}"; do
      [ "$p" = "$dead" ] && continue
      alive=$p
      break
    done
    if cluster_cli "$alive" cluster info 2>/dev/null | grep -q 'cluster_state:ok' &&
       cluster_cli "$alive" cluster nodes | grep -q "127.0.0.1:$dead@.*fail[^?]" &&
       [ "$(cluster_cli "$alive" cluster nodes | grep 'master' | grep -vc 'fail')" -eq 3 ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "no failover for $dead" >&2
  return 1
}
# Waits until node PORT replicates its master (master_link_status:up).
cluster_wait_replica() {
  for _ in $(seq 300); do
    cluster_cli "$1" info replication 2>/dev/null | grep -q 'master_link_status:up' && return 0
    sleep 0.1
  done
  echo "$1 did not become an in-sync replica" >&2
  return 1
}
