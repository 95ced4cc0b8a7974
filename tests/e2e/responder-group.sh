#!/usr/bin/env bash
# Two responders in one consumer group, started together on 200 alerts of 20
# actors: every alert is handled exactly once (one alert entry per alert id in
# all timelines together, nothing pending), and every incident verifies.
. "$(dirname "$0")/lib/responder.sh"
redis_start
write_conf dry-run
t0=1700000000
for i in $(seq 1 200); do
  xadd_alert "g$i" 0 bulk-read-customers 2 "10.9.0.$(( i % 20 + 1 ))" $(( 1000 + i )) $(( t0 + i ))
done
responder --once --consumer r1 2>"$T/r1.err" &
p1=$!
responder --once --consumer r2 2>"$T/r2.err" &
p2=$!
wait $p1 || fail "r1 failed: $(cat "$T/r1.err")"
wait $p2 || fail "r2 failed: $(cat "$T/r2.err")"
cat "$T/r1.err" "$T/r2.err"
# An entry one responder holds longer than reclaim_idle (200 ms here) may be
# reclaimed by the other, which then finds it in the timeline already and
# counts it a duplicate: new work = alerts - duplicates.
n1=$(sed -n 's/.*responder: \([0-9]*\) alerts, \([0-9]*\) dup.*/\1-\2/p' "$T/r1.err")
n2=$(sed -n 's/.*responder: \([0-9]*\) alerts, \([0-9]*\) dup.*/\1-\2/p' "$T/r2.err")
[ $(( n1 + n2 )) = 200 ] || fail "handled ($n1) + ($n2), expected 200 new alerts in total"
[ "$(redis_pending bw:alerts responders)" = 0 ] || fail "alerts pending"
[ "$(incident_count)" = 20 ] || fail "expected 20 incidents (one per actor)"
# every incident verifies, one dry-run block per incident, never two
check_incidents 'g[0-9]*'
check_ids 200
echo "PASS (r1 $n1, r2 $n2)"
