# Helpers for the responder end-to-end scripts (sourced, not run): a private
# redis-server on a Unix socket, alert lines in the shape the detection engine
# writes, and the responder under test.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
command -v redis-server >/dev/null || { echo "redis-server missing"; exit 77; }
T=$(mktemp -d /tmp/bw-responder-e2e.XXXXXX)
SOCK=$T/redis.sock
URL=unix://$SOCK
REDIS_PID=
redis_start() {
  redis-server --port 0 --unixsocket "$SOCK" --dir "$T" --save "" \
    --appendonly "${REDIS_AOF:-no}" --appendfsync always --daemonize no \
    >"$T/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 200); do [ -S "$SOCK" ] && redis-cli -s "$SOCK" ping >/dev/null 2>&1 && return 0; sleep 0.02; done
  echo "redis-server did not start"; cat "$T/redis.log"; exit 1
}
redis_stop() {
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=
  rm -f "$SOCK"
}
cleanup() {
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  redis_stop
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
rcli() { redis-cli -s "$SOCK" "$@"; }

# alert ID UPDATE RULE SEVERITY IP RECORDS TIME(epoch s) [EXTRA-BREACH-JSON]
alert() {
  local ts
  ts=$(date -u -d "@$7" +%Y-%m-%dT%H:%M:%S.000000+0000)
  printf '{"timestamp":"%s","event_type":"alert","src_ip":"%s","src_port":40000,"dest_ip":"10.0.0.5","dest_port":5432,"proto":"TCP","app_proto":"pgsql","alert":{"action":"allowed","gid":1,"signature_id":1000,"rev":1,"signature":"rule %s","category":"Exfiltration","severity":%s,"metadata":{"mitre_technique_id":["T1005"]}},"breach":{"alert_id":"%s","update":%s,"count":1,"rule":"%s","channel":"pgsql","actor":{"ip":"%s","user":"app"},"dataset":"public.customers","records":%s,"bytes":%s,"pii":{"email":%s},"window_s":300,"threshold":{"measure":"records","value":%s,"limit":1000}%s}}' \
    "$ts" "$5" "$3" "$4" "$1" "$2" "$3" "$5" "$6" $(( $6 * 100 )) "$6" "$6" "${8:+,$8}"
}
xadd_alert() { rcli XADD bw:alerts '*' eve "$(alert "$@")" >/dev/null; }

RCONF=$T/responder.yaml
write_conf() { # mode [extra yaml]
  cat >"$RCONF" <<EOC
state_dir: $T/state
incidents: {window: 10m, escalate_alerts: 2}
consumer: {reclaim_idle: 200ms}
playbooks:
  - name: block-bulk
    rules: [bulk-read-customers]
    max_severity: 2
    mode: $1
    action: block
    ttl: 1h
  - name: note-rest
    rules: ["*"]
    mode: dry-run
    action: notify
${2:-}
EOC
}
responder() { "$BW_BIN" responder -p "$RCONF" --redis "$URL" "$@"; }
# Starts the responder in the background; BG_PID is the responder's own pid
# (not a subshell's), so kill -9 hits the process under test.
responder_bg() { # stderr-file args...
  local errf=$1
  shift
  "$BW_BIN" responder -p "$RCONF" --redis "$URL" "$@" 2>>"$errf" &
  BG_PID=$!
}
incidents() { "$BW_BIN" incidents -p "$RCONF" --redis "$URL" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
