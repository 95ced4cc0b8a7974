#!/usr/bin/env bash
# A responder SIGKILLed mid-work (several rounds, at random points) and
# restarted: nothing is lost (every alert has exactly one timeline entry and
# nothing stays pending) and no action is repeated (one block entry per
# incident), and every incident's chain verifies. A second restart under
# another consumer name takes over through XAUTOCLAIM.
. "$(dirname "$0")/lib/responder.sh"
redis_start
write_conf dry-run
t0=1700000000
N=400
for i in $(seq 1 $N); do
  xadd_alert "k$i" 0 bulk-read-customers 2 "10.8.0.$(( i % 10 + 1 ))" $(( 1000 + i )) $(( t0 + i ))
done
kills=0
for round in 1 2 3; do
  responder_bg "$T/r.err" --consumer crashy
  pid=$BG_PID
  # let it get partway, then kill it without warning
  sleep 0.$(( RANDOM % 4 + 2 ))
  kill -9 $pid 2>/dev/null && kills=$((kills + 1)) || true
  wait $pid 2>/dev/null || true
done
echo "killed $kills times; pending now: $(redis_pending bw:alerts responders)"
[ "$kills" -ge 1 ] || fail "the responder finished before it could be killed"
# restart under the same name: re-reads its pending entries (id 0) first
responder --once --consumer crashy 2>"$T/r2.err" || fail "restart failed: $(cat "$T/r2.err")"
cat "$T/r2.err"
# a last alert handled by another consumer, and any leftovers reclaimed
xadd_alert "k-last" 0 bulk-read-customers 2 10.8.0.1 10 $(( t0 + N + 1 ))
sleep 0.3
responder --once --consumer other 2>"$T/r3.err" || fail "other failed"
[ "$(redis_pending bw:alerts responders)" = 0 ] || fail "alerts left pending"
check_incidents 'k[-0-9a-z]*'
check_ids $((N + 1))
[ "$(incident_count)" = 10 ] || fail "expected 10 incidents"
echo "PASS"
