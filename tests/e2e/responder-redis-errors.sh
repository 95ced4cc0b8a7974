#!/usr/bin/env bash
# Redis answering with error replies while alerts flow: restarted with a
# dataset that takes seconds to load (-LOADING), then stalled by a long script
# (-BUSY). The responder decides nothing on an error reply: every alert ends
# up in its incident exactly once, each block action is decided (its exec hook
# run) exactly once, and nothing is left pending. 140 actors take turns, more
# than the responder keeps in memory (128), so every alert's lookups go to
# Redis: taking an error reply for "not recorded yet" opens a second incident
# and runs a second block.
. "$(dirname "$0")/lib/responder.sh"
# The real Redis in its failure modes: key-load-delay (a debug setting of
# Redis >= 6) stretches the loading of the padding keys below to seconds, and
# a small loading-process-events-interval-bytes makes it answer meanwhile.
# Up once it answers at all (-LOADING counts).
redis_up() { # extra redis-server args
  redis_start --aof --any-reply -- --enable-debug-command local --busy-reply-threshold 50 "$@"
}
# Waits until the group has delivered the stream's entry number $1 (1-based);
# compares stream ids, as entries-read and lag are unknown after a restart.
wait_delivered() {
  local want last top
  want=$(rcli XRANGE bw:alerts - + COUNT "$1" | tail -1)
  for _ in $(seq 500); do
    last=$(redis_group_field bw:alerts responders last-delivered-id)
    case $last in [0-9]*-[0-9]*)
      top=$(printf '%s\n%s\n' "$want" "$last" | sort -t- -k1,1n -k2,2n | tail -1)
      [ "$top" = "$last" ] && return 0 ;;
    esac
    sleep 0.01
  done
  fail "the responder did not get to alert $1 (delivered up to $last)"
}

redis_up
rcli DEBUG POPULATE 40000 pad 16 >/dev/null
rcli BGREWRITEAOF >/dev/null
for _ in $(seq 200); do
  rcli INFO persistence | grep -q '^aof_rewrite_in_progress:0' && break
  sleep 0.05
done
write_block_conf
t0=1700000000
A=140 PER=3
N=$(( A * PER ))
for i in $(seq 0 $(( N - 1 ))); do
  k=$(( i % A ))
  xadd_alert "e$i" 0 bulk-read-customers 2 "10.8.$(( k / 100 )).$(( k % 100 + 1 ))" $(( 1000 + i )) $(( t0 + i ))
done
responder_bg "$T/r.err" --consumer steady
rpid=$BG_PID

# 1. -LOADING: killed and restarted with a slow load while alerts are handled.
wait_delivered 60
redis_kill
redis_up --key-load-delay 60 --loading-process-events-interval-bytes 4096
loading=$(rcli GET nothing 2>&1 || true)
echo "after restart: $loading"
case $loading in LOADING*) ;; *) fail "Redis was not loading after the restart: $loading" ;; esac
for _ in $(seq 300); do
  rcli INFO persistence 2>/dev/null | grep -q '^loading:0' && break
  sleep 0.05
done

# 2. -BUSY: a script that runs for 2 s while alerts are handled.
wait_delivered $(( N / 2 ))
busy_script='local s = redis.call("TIME") while true do local n = redis.call("TIME") if (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 2000000 then break end end return 1'
rcli EVAL "$busy_script" 0 >/dev/null &
spid=$!
sleep 0.3
busy=$(rcli GET nothing 2>&1 || true)
wait "$spid" || true
echo "during the script: $busy"
case $busy in BUSY*) ;; *) fail "Redis did not answer BUSY during the script: $busy" ;; esac

redis_wait_drained bw:alerts responders 600 || true
lag=$REDIS_LAG pend=$REDIS_PEND
kill -TERM "$rpid"; wait "$rpid" || fail "responder exited with an error: $(cat "$T/r.err")"
tail -1 "$T/r.err"
[ "$pend" = 0 ] && [ "$lag" = 0 ] || fail "not everything handled (lag $lag, pending $pend)"
grep -q "LOADING" "$T/r.err" || fail "the responder never met -LOADING"
grep -q "BUSY" "$T/r.err" || fail "the responder never met -BUSY"
deferred=$(sed -n 's/.* \([0-9]*\) deferred,.*/\1/p' "$T/r.err")
echo "alerts deferred on error replies: $deferred"
grep -q " $A incidents opened, $A actions," "$T/r.err" || fail "incidents or actions decided twice"
[ "$(wc -l <"$T/hook.log")" = $A ] || fail "hook ran $(wc -l <"$T/hook.log") times, expected $A"
[ "$(sort -u "$T/hook.log" | wc -l)" = $A ] || fail "hook ran twice for one action"
[ "$(stat -c %s "$T/state/journal/steady.jnl")" = 0 ] || fail "journal not written through"
[ "$(incident_count)" = $A ] || fail "$(incident_count) incidents, expected $A"
check_incidents 'e[0-9]*' $PER
check_ids $N
echo "PASS (deferred $deferred)"
