#!/usr/bin/env bash
# Start-up of a long-running responder (as under systemd) against a real
# redis-server that is not serving yet: restarted with a dataset whose load
# (-LOADING) lasts longer than 10 s (key-load-delay, a debug setting of Redis
# >= 6). The responder waits however long it takes, logging what it waits
# for about once every 10 s, then handles the alert that was in the stream.
# SIGTERM while it waits is a clean exit; a configuration error that waiting
# does not cure (missing password: NOAUTH; a forbidden command: NOPERM) ends
# it at once with a message.
. "$(dirname "$0")/lib/responder.sh"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
write_conf dry-run

# A dataset that loads in >= 12 s: 12000 keys, 1 ms each.
KEYS=12000
redis_start --aof -- --enable-debug-command local
[ "$(rcli DEBUG POPULATE $KEYS pad 16)" = OK ] || fail "DEBUG POPULATE"
rcli BGREWRITEAOF >/dev/null
for _ in $(seq 200); do
  rcli INFO persistence | grep -q '^aof_rewrite_in_progress:0' && break
  sleep 0.05
done
xadd_alert s1 0 bulk-read-customers 2 10.7.7.1 3000 1700000000
redis_kill
# up as soon as it answers at all (-LOADING)
redis_start --aof --any-reply -- --enable-debug-command local --key-load-delay 1000 \
  --loading-process-events-interval-bytes 4096
t0=$(now)
loading=$(rcli GET nothing 2>&1 || true)
case $loading in LOADING*) ;; *) fail "Redis was not loading after the restart: $loading" ;; esac

# 1. The responder waits out the load, then handles the alert.
responder_bg "$T/r.err" --consumer svc
rpid=$BG_PID
for _ in $(seq 600); do
  rcli INFO persistence 2>/dev/null | grep -q '^loading:0' && break
  kill -0 "$rpid" 2>/dev/null || { cat "$T/r.err"; fail "the responder gave up after $(since "$t0") s"; }
  sleep 0.05
done
load_s=$(since "$t0")
echo "Redis loaded after $load_s s"
awk -v s="$load_s" 'BEGIN { exit !(s > 10.5) }' || fail "the load lasted only $load_s s"
kill -0 "$rpid" 2>/dev/null || { cat "$T/r.err"; fail "the responder exited during the load"; }
for _ in $(seq 200); do
  [ "$(rcli XPENDING bw:alerts responders 2>/dev/null | head -1)" = 0 ] &&
    [ -n "$(rcli GET "bw:actor:{10.7.7.1}")" ] && break
  sleep 0.05
done
kill -TERM "$rpid"; wait "$rpid" || { cat "$T/r.err"; fail "the responder exited with an error"; }
cat "$T/r.err"
grep -q "1 alerts, 0 duplicates, 0 malformed, 1 incidents opened" "$T/r.err" ||
  fail "the alert was not handled after the load"
nwait=$(grep -c "waiting for redis" "$T/r.err" || true)
# Once at the start and about once per 10 s after: 2 lines for 10-20 s.
max=$(awk -v s="$load_s" 'BEGIN { print int(s / 10) + 1 }')
[ "$nwait" -ge 2 ] && [ "$nwait" -le "$max" ] || fail "$nwait waiting lines over $load_s s (want 2..$max)"
[ "$(grep "waiting for redis" "$T/r.err" | grep -c LOADING)" = "$nwait" ] ||
  fail "the waiting lines do not say LOADING"
grep -q "serves after" "$T/r.err" || fail "no line when Redis served"

# 2. SIGTERM while waiting (no Redis at that socket): a clean, prompt exit.
t1=$(now)
"$BW_BIN" responder -p "$RCONF" --redis "unix://$T/nothing.sock" 2>"$T/term.err" &
tpid=$!
sleep 1
kill -TERM "$tpid"
trc=0
wait "$tpid" || trc=$?
[ "$trc" = 0 ] || { cat "$T/term.err"; fail "SIGTERM while waiting: exit status $trc"; }
awk -v s="$(since "$t1")" 'BEGIN { exit !(s < 4) }' || fail "SIGTERM took $(since "$t1") s"
grep -q "waiting for redis" "$T/term.err" || fail "no waiting line"

# 3. Configuration errors end the responder at once (timeout: it kept waiting).
cfg_error() { # what-to-find
  local t2 rc=0
  t2=$(now)
  timeout 15 "$BW_BIN" responder -p "$RCONF" --redis "$URL" 2>"$T/cfg.err" || rc=$?
  cat "$T/cfg.err"
  [ "$rc" != 124 ] || fail "kept waiting on a configuration error ($1)"
  [ "$rc" != 0 ] || fail "exit status 0 on a configuration error ($1)"
  grep -q "$1" "$T/cfg.err" || fail "the message does not name $1"
  awk -v s="$(since "$t2")" 'BEGIN { exit !(s < 5) }' || fail "$1: took $(since "$t2") s"
}
rcli CONFIG SET requirepass s3cret >/dev/null
cfg_error NOAUTH
redis-cli -s "$SOCK" --no-auth-warning -a s3cret CONFIG SET requirepass "" >/dev/null
rcli ACL SETUSER default -xgroup >/dev/null
cfg_error NOPERM
rcli ACL SETUSER default +@all >/dev/null
echo "PASS (load $load_s s, $nwait waiting lines)"
