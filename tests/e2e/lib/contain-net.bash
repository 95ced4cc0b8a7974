# Sourced by tests/e2e/contain*.sh: three network namespaces (attacker,
# other client, server; named bw-ct-att-RUN etc., RUN = $BW_RUN of
# tests/lib/common.sh, so parallel runs never share one), the clients' veths
# bridged inside the server namespace ($CT_BR, 10.88.0.1), nginx in the server
# namespace serving a JSON API of customer records, and ct_cleanup for the
# cleanup list (bw_on_exit ct_cleanup).
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"
CT_ATT=bw-ct-att-$BW_RUN
CT_CLI=bw-ct-cli-$BW_RUN
CT_SRV=bw-ct-srv-$BW_RUN
# Interfaces (at most 15 characters): the bridge and the server-side veth ends.
CT_BR=bw-ctbr-$BW_RUN
CT_VATT=bw-ctva-$BW_RUN
CT_VCLI=bw-ctvc-$BW_RUN
CT_SRV_IP=10.88.0.1
CT_ATT_IP=10.88.0.66
CT_CLI_IP=10.88.0.77
CT_TMP=$(mktemp -d /tmp/bw-ct-e2e.XXXXXX)
CT_PIDS=()

ct_cleanup() {
  local p
  for p in "${CT_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$CT_TMP/nginx.pid" ] && kill -QUIT "$(cat "$CT_TMP/nginx.pid")" 2>/dev/null
  # A process that ignores SIGTERM for 5 s is a bug worth a line, not a hang.
  local i alive
  for i in $(seq 50); do
    alive=""
    for p in "${CT_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  if [ -n "$alive" ]; then
    echo "cleanup: still running 5 s after SIGTERM:$alive ($(ps -o comm= -p ${alive// /,} | tr '\n' ' '))" >&2
    for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done
  fi
  wait 2>/dev/null || true
  for n in $CT_ATT $CT_CLI $CT_SRV; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  rm -rf "$CT_TMP"
}

ct_setup_net() {
  local n
  for n in $CT_ATT $CT_CLI $CT_SRV; do
    ip netns del "$n" 2>/dev/null || true
    ip netns add "$n"
    ip netns exec "$n" ip link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  done
  ip -n $CT_SRV link add $CT_BR type bridge stp_state 0 forward_delay 0
  ip -n $CT_SRV addr add $CT_SRV_IP/24 dev $CT_BR
  ip -n $CT_SRV link set $CT_BR up
  local h ipaddr ns veth
  for h in att cli; do
    ipaddr=$CT_ATT_IP ns=$CT_ATT veth=$CT_VATT
    [ $h = cli ] && ipaddr=$CT_CLI_IP ns=$CT_CLI veth=$CT_VCLI
    ip -n $CT_SRV link add "$veth" type veth peer name eth0 netns "$ns"
    ip -n $CT_SRV link set "$veth" master $CT_BR up
    ip -n "$ns" addr add "$ipaddr/24" dev eth0
    ip -n "$ns" link set eth0 up
    # Wire-sized frames for the sensor, as a SPAN port would see them.
    ip netns exec "$ns" ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec $CT_SRV ethtool -K "$veth" tso off gso off gro off >/dev/null 2>&1 || true
  done
}

# nginx on 10.88.0.1:80 with /api/customers (N records with names, e-mails, phones).
ct_start_nginx() {
  local n=${1:-2000}
  mkdir -p "$CT_TMP/www/api" "$CT_TMP/nginx-tmp"
  python3 - "$CT_TMP/www/api/customers" "$n" <<'PY'
import json, sys
n = int(sys.argv[2])
rows = [{"id": i, "name": "Customer %d" % i, "email": "customer%d@example.com" % i,
         "phone": "+46 70 %03d %02d %02d" % (i % 1000, i % 97, i % 89),
         "city": "Uppsala"} for i in range(1, n + 1)]
json.dump({"customers": rows}, open(sys.argv[1], "w"))
PY
  cat > "$CT_TMP/nginx.conf" <<NGX
worker_processes 1;
pid $CT_TMP/nginx.pid;
error_log $CT_TMP/nginx-error.log;
events { worker_connections 64; }
http {
    access_log $CT_TMP/nginx-access.log combined;
    client_body_temp_path $CT_TMP/nginx-tmp/body;
    proxy_temp_path $CT_TMP/nginx-tmp/proxy;
    fastcgi_temp_path $CT_TMP/nginx-tmp/fastcgi;
    uwsgi_temp_path $CT_TMP/nginx-tmp/uwsgi;
    scgi_temp_path $CT_TMP/nginx-tmp/scgi;
    gzip off;
    server_tokens off;
    server {
        listen $CT_SRV_IP:80;
        root $CT_TMP/www;
        default_type application/json;
        location / { try_files \$uri =404; }
    }
}
NGX
  chmod -R a+rX "$CT_TMP"
  ip netns exec $CT_SRV nginx -c "$CT_TMP/nginx.conf"
  local i
  for i in $(seq 100); do
    ip netns exec $CT_CLI curl -s -o /dev/null --max-time 1 "http://$CT_SRV_IP/api/customers" && return 0
    sleep 0.05
  done
  echo "nginx did not come up" >&2
  return 1
}

# Exit status 0 when the namespace can fetch the API within 2 s.
ct_fetch() {
  ip netns exec "$1" curl -s -o "$CT_TMP/fetch.$1" --connect-timeout 2 --max-time 3 \
    "http://$CT_SRV_IP/api/customers"
}

ct_need_root() {
  [ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, nftables); skipped"; exit 77; }
  local c
  for c in ip nft nginx curl python3; do
    command -v $c >/dev/null || { echo "$c missing; skipped"; exit 77; }
  done
}
