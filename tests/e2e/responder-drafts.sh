#!/usr/bin/env bash
# The responder's notice drafts right after an alert whose playbook action
# ran, against a real redis-server: one alert of one actor, an enforce block
# (an exec hook counts its calls), and the drafts exist when the responder is
# done, stating that alert's records and the incident as contained. Then the
# same with Redis killed by the hook while the block runs (the action's
# records reach only the journal): the alert is not acknowledged without its
# drafts; once Redis is back it is handled again, the block is not repeated,
# and the drafts state the incident with its action.
. "$(dirname "$0")/lib/responder.sh"
redis_start --aof # the restart in part 2 keeps what Redis acknowledged

cat >"$T/hook.sh" <<'EOS'
#!/bin/sh
# $1 = call log, $2 = pid file of a redis-server to kill during the call
printf '%s\n' "$BW_ACTION_ID" >>"$1"
cat >/dev/null
if [ -f "$2" ]; then kill -9 "$(cat "$2")"; rm -f "$2"; fi
exit 0
EOS
chmod +x "$T/hook.sh"
write_block_conf "$T/hook.sh" "$T/hook.log" "$T/kill.pid"
SRC=$(cd "$BW_SRC" && pwd)
cat >"$T/breachwatch.yaml" <<EOC
state_dir: $T/state
organisation:
  name: Example Shop GmbH
  address: Musterstrasse 1, 10115 Berlin, Germany
  contact: privacy@shop.example
  dpo: {name: DPO, email: dpo@shop.example, phone: +49 30 0000001}
  supervisory_authority: Berliner Beauftragte fuer Datenschutz und Informationsfreiheit
  eu_establishment: true
  data_classes: $SRC/config/data-classes.yaml
  inventory: $SRC/tests/data/notices/inventory.yaml
  auto_notice: {max_severity: 2, dir: $T/notices}
EOC
run() { "$BW_BIN" responder -c "$T/breachwatch.yaml" -p "$RCONF" --redis "$URL" --once "$@"; }
count() { sed -n "s/.* \([0-9]*\) $1.*/\1/p" "$2"; }

# check ID RECORDS: the drafts of incident ID exist, are in its timeline, and
# state one alert of RECORDS records with the block applied.
check() {
  local id=$1 rec=$2 N=$T/notices/$1
  [ -f "$N/gdpr-art33.en.json" ] && [ -f "$N/gdpr-art33.en.md" ] ||
    { ls -R "$T/notices" 2>/dev/null || true; fail "$id: no drafts after the alert"; }
  python3 - "$N/gdpr-art33.en.json" "$rec" <<'PY' || fail "$id: the drafts do not state the alert"
import json, sys
d = json.load(open(sys.argv[1]))["assessment"]
inc, want = d["incident"], int(sys.argv[2])
assert inc["alerts"] == 1, inc
assert inc["status"] == "contained", inc["status"]
assert d["records"]["best"]["value"] == want, d["records"]
PY
  local tl ndraft
  tl=$(rcli --raw XRANGE "bw:incident:{$id}:timeline" - +)
  ndraft=$(printf '%s\n' "$tl" | grep -c '^notice$' || true)
  [ "$ndraft" -ge 3 ] || fail "$id: $ndraft notice entries in the timeline"
  [ "$ndraft" = "$(find "$N" -type f | wc -l)" ] || fail "$id: drafts on disk and timeline differ"
  printf '%s\n' "$tl" | grep -q '^notices:' || fail "$id: no drafting note"
  [ "$(rcli HGET "bw:incident:{$id}" status)" = contained ] || fail "$id: status"
  incidents verify "$id" >/dev/null || { incidents verify "$id" || true; fail "verify $id"; }
}

# 1. Redis serving: one alert, one block, the drafts at once.
t0=1700000000
xadd_alert d1 0 bulk-read-customers 2 10.6.6.1 4000 $t0
run 2>"$T/r1.err" || { cat "$T/r1.err"; fail "responder failed"; }
tail -1 "$T/r1.err"
grep -q "1 alerts, 0 duplicates, 0 malformed, 1 incidents opened, 1 actions" "$T/r1.err" ||
  fail "counts"
[ "$(wc -l <"$T/hook.log")" = 1 ] || fail "hook ran $(wc -l <"$T/hook.log") times"
id1=$(rcli GET "bw:actor:{10.6.6.1}")
check "$id1" 4000
[ "$(rcli XPENDING bw:alerts responders | head -1)" = 0 ] || fail "alert left pending"

# 2. Redis killed while the block runs: the records wait in the journal.
xadd_alert d2 0 bulk-read-customers 2 10.6.6.2 6000 $((t0 + 60))
echo "$REDIS_PID" >"$T/kill.pid"
run -v 2>"$T/r2.err" &
rpid=$!
for _ in $(seq 500); do [ -f "$T/kill.pid" ] || break; sleep 0.01; done
[ ! -f "$T/kill.pid" ] || fail "the block did not run"
wait "$REDIS_PID" 2>/dev/null || true
REDIS_PID=
sleep 1 # the responder meets the outage
[ "$(ls "$T/notices" | grep -vc "^$id1\$" || true)" = 0 ] || fail "drafts written while Redis was away"
rm -f "$SOCK"
redis_start --aof
wait "$rpid" || { cat "$T/r2.err"; fail "responder failed after the outage"; }
tail -1 "$T/r2.err"
[ "$(wc -l <"$T/hook.log")" = 2 ] || fail "hook ran $(wc -l <"$T/hook.log") times: block repeated"
deferred=$(count deferred, "$T/r2.err") waits=$(count "journal waits" "$T/r2.err")
echo "deferred $deferred, journal waits $waits"
[ "${deferred:-0}" -ge 1 ] || fail "the alert was not deferred"
[ "${waits:-0}" -ge 1 ] || fail "no journal wait: Redis was not away"
grep -q "1 alerts, 1 duplicates, 0 malformed, 1 incidents opened, 1 actions, 1 not repeated" \
  "$T/r2.err" || fail "counts after the outage"
id2=$(rcli GET "bw:actor:{10.6.6.2}")
check "$id2" 6000
[ "$(rcli XPENDING bw:alerts responders | head -1)" = 0 ] || fail "alert left pending"
[ "$(stat -c %s "$T/state/journal/"*.jnl | sort -u)" = 0 ] || fail "journal not written through"
[ "$(rcli ZCARD bw:incidents)" = 2 ] || fail "incidents: $(rcli ZCARD bw:incidents)"
echo "PASS (deferred $deferred, journal waits $waits)"
