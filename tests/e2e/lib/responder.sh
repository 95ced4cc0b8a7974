# Helpers for the responder end-to-end scripts (sourced, not run): a private
# redis-server on a Unix socket (tests/lib/redis.sh), alert lines in the shape
# the detection engine writes, the responder under test, and the checks the
# scripts share.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
. "$BW_SRC/tests/lib/redis.sh"
redis_need
T=$(mktemp -d /tmp/bw-responder-e2e.XXXXXX)
cleanup() {
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
bw_on_exit cleanup
redis_setup "$T"
SOCK=$REDIS_SOCK
URL=$REDIS_URL

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

# Enforced blocks, no nft, no rate limit, and an exec hook run on each block:
# with no arguments the counting hook $T/hook.sh, which appends each action id
# to $T/hook.log (one line per run); else the hook's argv as given (a test's
# own hook).
write_block_conf() {
  if [ $# -eq 0 ]; then
    cat >"$T/hook.sh" <<'EOS'
#!/bin/sh
cat >/dev/null
printf '%s\n' "$BW_ACTION_ID" >>"$1"
EOS
    chmod +x "$T/hook.sh"
    set -- "$T/hook.sh" "$T/hook.log"
  fi
  : >"$T/hook.log"
  local argv=$1 a
  shift
  for a in "$@"; do argv="$argv, $a"; done
  cat >"$RCONF" <<EOC
state_dir: $T/state
incidents: {window: 10m, escalate_alerts: 100}
consumer: {reclaim_idle: 200ms}
playbooks:
  - name: block-bulk
    rules: [bulk-read-customers]
    max_severity: 2
    mode: enforce
    action: block
    ttl: 1h
containment:
  nft: {enabled: false}
  blocks_per_minute: 0
  exec:
    - name: count
      argv: [$argv]
      on: [block]
EOC
}
incident_count() { rcli ZCARD bw:incidents; }
# Every incident verifies and holds exactly one block action (and PER alerts
# when given); the alert ids '"alert_id":"ID"' matching ID-REGEX in all the
# timelines go sorted to $T/ids.
check_incidents() { # id-regex [per]
  local id a
  : >"$T/ids.raw"
  for id in $(rcli ZRANGE bw:incidents 0 -1); do
    incidents verify "$id" >/dev/null || { incidents verify "$id"; fail "verify $id"; }
    [ "$(rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -c '"action":"block"')" = 1 ] ||
      fail "$id: block action repeated or missing"
    if [ -n "${2:-}" ]; then
      a=$(rcli HGET "bw:incident:{$id}" alerts)
      [ "$a" = "$2" ] || fail "$id: incident counts $a alerts, expected $2"
    fi
    rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -o "\"alert_id\":\"$1\"" >>"$T/ids.raw"
  done
  sort "$T/ids.raw" >"$T/ids"
}
# $T/ids holds N alert entries, none twice.
check_ids() { # n
  [ "$(wc -l <"$T/ids")" = "$1" ] || fail "$(wc -l <"$T/ids") alert entries, expected $1"
  [ "$(sort -u "$T/ids" | wc -l)" = "$1" ] || fail "duplicate alert entries"
}
