#!/usr/bin/env bash
# Redis killed and restarted while the responder works: the responder keeps
# its timeline entries and state changes in the local journal, writes them
# through when Redis is back, in order and without duplicates, and every
# alert ends up handled exactly once with every chain intact.
. "$(dirname "$0")/lib/responder.sh"
redis_start --aof
write_conf dry-run
t0=1700000000
N=600
for i in $(seq 1 $N); do
  xadd_alert "j$i" 0 bulk-read-customers 2 "10.7.0.$(( i % 12 + 1 ))" $(( 1000 + i )) $(( t0 + i ))
done
responder_bg "$T/r.err" --consumer steady
rpid=$BG_PID
# kill Redis while the responder is part-way through
for _ in $(seq 100); do
  done_n=$(redis_group_field bw:alerts responders entries-read)
  [ -n "$done_n" ] && [ "$done_n" != "(nil)" ] && [ "$done_n" -ge 50 ] && break
  sleep 0.02
done
redis_kill
echo "redis killed after ~$done_n alerts read"
sleep 1.5
jsize=$(stat -c %s "$T/state/journal/steady.jnl")
echo "journal holds $jsize bytes while Redis is down"
redis_start --aof
redis_wait_drained bw:alerts responders || true
lag=$REDIS_LAG pend=$REDIS_PEND
kill -TERM "$rpid"; wait "$rpid" || fail "responder exited with an error: $(cat "$T/r.err")"
cat "$T/r.err" | tail -3
[ "$pend" = 0 ] && [ "$lag" = 0 ] || fail "not everything handled (lag $lag, pending $pend)"
grep -q " 12 incidents opened, 12 actions," "$T/r.err" || fail "an action was decided twice"
waits=$(sed -n 's/.* \([0-9]*\) journal waits/\1/p' "$T/r.err")
deferred=$(sed -n 's/.* \([0-9]*\) deferred,.*/\1/p' "$T/r.err")
# The outage must have been met: writes waited in the journal, or reads that
# could not be answered deferred an alert (kept pending, handled again later).
[ $((waits + deferred)) -ge 1 ] ||
  fail "the outage was not met (journal waits $waits, deferred $deferred)"
[ "$(stat -c %s "$T/state/journal/steady.jnl")" = 0 ] || fail "journal not written through"
check_incidents 'j[0-9]*'
check_ids $N
echo "PASS (journal waits $waits, deferred $deferred)"
