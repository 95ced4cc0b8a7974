#!/usr/bin/env bash
# Redis answering with error replies while alerts flow: restarted with a
# dataset that takes seconds to load (-LOADING), then stalled by a long script
# (-BUSY). The responder decides nothing on an error reply: every alert ends
# up in its incident exactly once, each block action is decided (its exec hook
# run) exactly once, and nothing is left pending.
. "$(dirname "$0")/lib/responder.sh"
# The real Redis in its failure modes: key-load-delay (a debug setting of
# Redis >= 6) stretches the loading of the padding keys below to seconds, and
# a small loading-process-events-interval-bytes makes it answer meanwhile.
redis_up() { # extra redis-server args
  redis-server --port 0 --unixsocket "$SOCK" --dir "$T" --save "" --appendonly yes \
    --appendfsync always --enable-debug-command local --busy-reply-threshold 50 \
    --daemonize no "$@" >>"$T/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 200); do
    [ -S "$SOCK" ] && [ -n "$(rcli PING 2>/dev/null)" ] && return 0
    sleep 0.02
  done
  echo "redis-server did not start"; cat "$T/redis.log"; exit 1
}
entries_read() { rcli XINFO GROUPS bw:alerts 2>/dev/null | awk 'f{print; exit} /^entries-read$/{f=1}'; }
wait_read() { # n
  local r
  for _ in $(seq 300); do
    r=$(entries_read)
    [ -n "$r" ] && [ "$r" != "(nil)" ] && [ "$r" -ge "$1" ] 2>/dev/null && return 0
    sleep 0.02
  done
  fail "the responder did not read $1 alerts (read: $r)"
}

redis_up
rcli DEBUG POPULATE 40000 pad 16 >/dev/null
rcli BGREWRITEAOF >/dev/null
for _ in $(seq 200); do
  rcli INFO persistence | grep -q '^aof_rewrite_in_progress:0' && break
  sleep 0.05
done
cat >"$T/hook.sh" <<'EOS'
#!/bin/sh
cat >/dev/null
printf '%s\n' "$BW_ACTION_ID" >>"$1"
EOS
chmod +x "$T/hook.sh"
: >"$T/hook.log"
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
  exec:
    - name: count
      argv: [$T/hook.sh, $T/hook.log]
      on: [block]
EOC
t0=1700000000
N=${N:-360}
for i in $(seq 1 $N); do
  xadd_alert "e$i" 0 bulk-read-customers 2 "10.8.0.$(( i % 12 + 1 ))" $(( 1000 + i )) $(( t0 + i ))
done
responder_bg "$T/r.err" --consumer steady
rpid=$BG_PID

# 1. -LOADING: killed and restarted with a slow load while alerts are handled.
wait_read 40
kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=; rm -f "$SOCK"
redis_up --key-load-delay 60 --loading-process-events-interval-bytes 4096
loading=$(rcli GET nothing 2>&1 || true)
echo "after restart: $loading (read before: $(entries_read))"
case $loading in LOADING*) ;; *) fail "Redis was not loading after the restart: $loading" ;; esac
for _ in $(seq 300); do
  rcli INFO persistence 2>/dev/null | grep -q '^loading:0' && break
  sleep 0.05
done

# 2. -BUSY: a script that runs for 1.5 s while alerts are handled.
wait_read $(( $(entries_read) + 32 ))
busy_script='local s = redis.call("TIME") while true do local n = redis.call("TIME") if (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 1500000 then break end end return 1'
rcli EVAL "$busy_script" 0 >/dev/null &
spid=$!
sleep 0.3
busy=$(rcli GET nothing 2>&1 || true)
wait "$spid" || true
echo "during the script: $busy"
case $busy in BUSY*) ;; *) fail "Redis did not answer BUSY during the script: $busy" ;; esac

for _ in $(seq 600); do
  lag=$(rcli XINFO GROUPS bw:alerts | awk 'f{print; exit} /^lag$/{f=1}')
  pend=$(rcli XPENDING bw:alerts responders | head -1)
  [ "$lag" = 0 ] && [ "$pend" = 0 ] && break
  sleep 0.1
done
kill -TERM "$rpid"; wait "$rpid" || fail "responder exited with an error: $(cat "$T/r.err")"
tail -1 "$T/r.err"
[ "$pend" = 0 ] && [ "$lag" = 0 ] || fail "not everything handled (lag $lag, pending $pend)"
grep -q "LOADING" "$T/r.err" || fail "the responder never met -LOADING"
grep -q "BUSY" "$T/r.err" || fail "the responder never met -BUSY"
deferred=$(sed -n 's/.* \([0-9]*\) deferred,.*/\1/p' "$T/r.err")
echo "alerts deferred on error replies: $deferred"
grep -q " 12 incidents opened, 12 actions," "$T/r.err" || fail "incidents or actions decided twice"
[ "$(wc -l <"$T/hook.log")" = 12 ] || { cat "$T/hook.log"; fail "hook ran $(wc -l <"$T/hook.log") times, expected 12"; }
[ "$(sort -u "$T/hook.log" | wc -l)" = 12 ] || fail "hook ran twice for one action"
[ "$(stat -c %s "$T/state/journal/steady.jnl")" = 0 ] || fail "journal not written through"
[ "$(rcli ZCARD bw:incidents)" = 12 ] || fail "$(rcli ZCARD bw:incidents) incidents, expected 12"
: >"$T/ids.raw"
for id in $(rcli ZRANGE bw:incidents 0 -1); do
  incidents verify "$id" >/dev/null || { incidents verify "$id"; fail "verify $id"; }
  [ "$(rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -c '"action":"block"')" = 1 ] || fail "$id: block action repeated or missing"
  a=$(rcli HGET "bw:incident:{$id}" alerts)
  [ "$a" = $(( N / 12 )) ] || fail "$id: incident counts $a alerts, expected $(( N / 12 ))"
  rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -o '"alert_id":"e[0-9]*"' >>"$T/ids.raw"
done
sort "$T/ids.raw" >"$T/ids"
[ "$(wc -l <"$T/ids")" = $N ] || fail "$(wc -l <"$T/ids") alert entries, expected $N"
[ "$(sort -u "$T/ids" | wc -l)" = $N ] || fail "duplicate alert entries"
echo "PASS (deferred $deferred)"
