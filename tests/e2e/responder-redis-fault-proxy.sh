#!/usr/bin/env bash
# Reads that fail while writes go through: a proxy in front of a real
# redis-server answers 5% of the responder's read commands (GET, HGETALL,
# HEXISTS...) with -LOADING or -BUSY. An error reply is "unknown", never "not
# recorded yet": 140 actors (more than the responder keeps in memory) with 3
# alerts each still give 140 incidents of 3 alerts, 140 blocks and 140 hook
# runs, nothing pending.
. "$(dirname "$0")/lib/responder.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
redis_start
PROXY=$T/proxy.sock
python3 "$BW_SRC/tests/e2e/lib/redis-fault-proxy.py" "$PROXY" "$SOCK" 0.05 "${SEED:-7}" "$T/injected" &
ppid=$!
for _ in $(seq 100); do [ -S "$PROXY" ] && break; sleep 0.02; done
write_block_conf
t0=1700000000
A=140 PER=3
N=$(( A * PER ))
for i in $(seq 0 $(( N - 1 ))); do
  k=$(( i % A ))
  xadd_alert "f$i" 0 bulk-read-customers 2 "10.9.$(( k / 100 )).$(( k % 100 + 1 ))" $(( 1000 + i )) $(( t0 + i ))
done
"$BW_BIN" responder -p "$RCONF" --redis "unix://$PROXY" --consumer steady 2>"$T/r.err" &
rpid=$!
redis_wait_drained bw:alerts responders 900 || true
lag=$REDIS_LAG pend=$REDIS_PEND
kill -TERM "$rpid"; wait "$rpid" || fail "responder exited with an error: $(tail -3 "$T/r.err")"
kill -TERM "$ppid"; wait "$ppid" 2>/dev/null || true
tail -1 "$T/r.err"
injected=$(cat "$T/injected")
deferred=$(sed -n 's/.* \([0-9]*\) deferred,.*/\1/p' "$T/r.err")
echo "error replies injected: $injected, alerts deferred: $deferred"
[ "$pend" = 0 ] && [ "$lag" = 0 ] || fail "not everything handled (lag $lag, pending $pend)"
[ "$injected" -ge 10 ] || fail "only $injected error replies injected"
grep -q " $A incidents opened, $A actions," "$T/r.err" || fail "incidents or actions decided twice"
[ "$(wc -l <"$T/hook.log")" = $A ] || fail "hook ran $(wc -l <"$T/hook.log") times, expected $A"
[ "$(sort -u "$T/hook.log" | wc -l)" = $A ] || fail "hook ran twice for one action"
[ "$(incident_count)" = $A ] || fail "$(incident_count) incidents, expected $A"
check_incidents 'f[0-9]*' $PER
check_ids $N
echo "PASS (injected $injected, deferred $deferred)"
