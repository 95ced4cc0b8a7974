#!/usr/bin/env bash
# Redis killed and restarted while the responder works: the responder keeps
# its timeline entries and state changes in the local journal, writes them
# through when Redis is back, in order and without duplicates, and every
# alert ends up handled exactly once with every chain intact.
. "$(dirname "$0")/lib/responder.sh"
REDIS_AOF=yes
redis_start
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
  done_n=$(rcli XINFO GROUPS bw:alerts 2>/dev/null | awk 'f{print; exit} /^entries-read$/{f=1}')
  [ -n "$done_n" ] && [ "$done_n" != "(nil)" ] && [ "$done_n" -ge 50 ] && break
  sleep 0.02
done
kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=; rm -f "$SOCK"
echo "redis killed after ~$done_n alerts read"
sleep 1.5
jsize=$(stat -c %s "$T/state/journal/steady.jnl")
echo "journal holds $jsize bytes while Redis is down"
redis_start
for _ in $(seq 600); do
  lag=$(rcli XINFO GROUPS bw:alerts | awk 'f{print; exit} /^lag$/{f=1}')
  pend=$(rcli XPENDING bw:alerts responders | head -1)
  [ "$lag" = 0 ] && [ "$pend" = 0 ] && break
  sleep 0.1
done
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
for id in $(rcli ZRANGE bw:incidents 0 -1); do
  incidents verify "$id" >/dev/null || { incidents verify "$id"; fail "verify $id"; }
  [ "$(rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -c '"action":"block"')" = 1 ] || fail "$id: block action repeated or missing"
  rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -o '"alert_id":"j[0-9]*"'
done | sort >"$T/ids"
[ "$(wc -l <"$T/ids")" = $N ] || fail "$(wc -l <"$T/ids") alert entries, expected $N"
[ "$(sort -u "$T/ids" | wc -l)" = $N ] || fail "duplicate alert entries"
echo "PASS (journal waits $waits, deferred $deferred)"
