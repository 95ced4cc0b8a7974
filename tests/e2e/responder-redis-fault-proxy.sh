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
  blocks_per_minute: 0
  exec:
    - name: count
      argv: [$T/hook.sh, $T/hook.log]
      on: [block]
EOC
t0=1700000000
A=140 PER=3
N=$(( A * PER ))
for i in $(seq 0 $(( N - 1 ))); do
  k=$(( i % A ))
  xadd_alert "f$i" 0 bulk-read-customers 2 "10.9.$(( k / 100 )).$(( k % 100 + 1 ))" $(( 1000 + i )) $(( t0 + i ))
done
"$BW_BIN" responder -p "$RCONF" --redis "unix://$PROXY" --consumer steady 2>"$T/r.err" &
rpid=$!
for _ in $(seq 900); do
  lag=$(rcli XINFO GROUPS bw:alerts | awk 'f{print; exit} /^lag$/{f=1}')
  pend=$(rcli XPENDING bw:alerts responders | head -1)
  [ "$lag" = 0 ] && [ "$pend" = 0 ] && break
  sleep 0.1
done
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
[ "$(rcli ZCARD bw:incidents)" = $A ] || fail "$(rcli ZCARD bw:incidents) incidents, expected $A"
: >"$T/ids.raw"
for id in $(rcli ZRANGE bw:incidents 0 -1); do
  incidents verify "$id" >/dev/null || { incidents verify "$id"; fail "verify $id"; }
  [ "$(rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -c '"action":"block"')" = 1 ] || fail "$id: block action repeated or missing"
  a=$(rcli HGET "bw:incident:{$id}" alerts)
  [ "$a" = $PER ] || fail "$id: incident counts $a alerts, expected $PER"
  rcli --raw XRANGE "bw:incident:{$id}:timeline" - + | grep -o '"alert_id":"f[0-9]*"' >>"$T/ids.raw"
done
sort "$T/ids.raw" >"$T/ids"
[ "$(wc -l <"$T/ids")" = $N ] || fail "$(wc -l <"$T/ids") alert entries, expected $N"
[ "$(sort -u "$T/ids" | wc -l)" = $N ] || fail "duplicate alert entries"
echo "PASS (injected $injected, deferred $deferred)"
