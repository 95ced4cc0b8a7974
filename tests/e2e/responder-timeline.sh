#!/usr/bin/env bash
# The incident timeline when alerts arrive out of order (a sensor's spool
# delivering late): the later alert is processed first, the earlier second.
# Against a real redis-server: the incident's detection time is the earliest
# alert, its breach dates are the span of the alerts' breach.first_seen ..
# breach.last_seen, the notice drafts state both (GDPR deadline 72 h from
# detection), while the opening time, the incident id and the playbook's
# action id stay those of the first alert processed, so the re-delivery of
# both alerts repeats no containment action (an exec hook counts its calls).
. "$(dirname "$0")/lib/responder.sh"
redis_start

# An epoch boundary of the 1 h block TTL lies between the two alerts: an
# action id taken from the earliest alert would differ from the one the
# first-processed alert gave, and the block would run twice.
B=$(( (1700000000 / 3600 + 1) * 3600 ))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000000+0000; }
text() { date -u -d "@$1" "+%Y-%m-%d %H:%M:%S UTC"; }
span() { printf '"first_seen":"%s","last_seen":"%s"' "$(iso "$1")" "$(iso "$2")"; }
late_ts=$((B + 120)) late_first=$((B + 60)) late_last=$((B + 110))
early_ts=$((B - 60)) early_first=$((B - 300)) early_last=$((B - 70))

cat >"$T/hook.sh" <<'EOS'
#!/bin/sh
printf '%s %s\n' "$BW_ACTION_ID" "$(cat)" >>"$1"
EOS
chmod +x "$T/hook.sh"
write_block_conf "$T/hook.sh" "$T/hook.log"
SRC=$(cd "$BW_SRC" && pwd) # the config's paths are relative to the config file
cat >"$T/breachwatch.yaml" <<EOC
state_dir: $T/state
organisation:
  name: Example Shop GmbH
  address: Musterstrasse 1, 10115 Berlin, Germany
  contact: privacy@shop.example
  dpo: {name: DPO, email: dpo@shop.example, phone: +49 30 0000001}
  supervisory_authority: Berliner Beauftragte fuer Datenschutz und Informationsfreiheit
  eu_establishment: true
  us_states: {CA: 0.12}
  data_classes: $SRC/config/data-classes.yaml
  inventory: $SRC/tests/data/notices/inventory.yaml
  auto_notice: {max_severity: 2, dir: $T/notices}
EOC
run() { "$BW_BIN" responder -c "$T/breachwatch.yaml" -p "$RCONF" --redis "$URL" --once "$@"; }

alert t-late 0 bulk-read-customers 2 10.5.5.5 4000 $late_ts "$(span $late_first $late_last)" >"$T/late"
alert t-early 0 bulk-read-customers 2 10.5.5.5 2500 $early_ts "$(span $early_first $early_last)" >"$T/early"
rcli XADD bw:alerts '*' eve "$(cat "$T/late")" >/dev/null
rcli XADD bw:alerts '*' eve "$(cat "$T/early")" >/dev/null
run 2>"$T/r1.err" || { cat "$T/r1.err"; fail "responder failed"; }
cat "$T/r1.err"
grep -q "2 alerts, 0 duplicates, 0 malformed, 1 incidents opened" "$T/r1.err" || fail "counts"

[ "$(rcli ZCARD bw:incidents)" = 1 ] || fail "one incident expected"
id=$(rcli ZRANGE bw:incidents 0 0)
h() { rcli HGET "bw:incident:{$id}" "$1"; }
us() { echo "$1"000000; }
# Opening: the first alert processed (the later one), as the id and epoch need.
[ "$(h opened_us)" = "$(us $late_ts)" ] || fail "opened_us $(h opened_us), want the first processed"
[ "$(rcli ZSCORE bw:incidents "$id")" = "$(us $late_ts)" ] || fail "bw:incidents score moved"
case $id in INC-$(date -u -d "@$late_ts" +%Y%m%d)-*) ;; *) fail "id $id" ;; esac
# Awareness and breach dates: order-independent.
[ "$(h detected_us)" = "$(us $early_ts)" ] || fail "detected_us $(h detected_us)"
[ "$(h detected)" = "$(iso $early_ts)" ] || fail "detected $(h detected)"
[ "$(h activity_first_us)" = "$(us $early_first)" ] || fail "activity_first_us $(h activity_first_us)"
[ "$(h activity_last_us)" = "$(us $late_last)" ] || fail "activity_last_us $(h activity_last_us)"
[ "$(h activity_first)" = "$(iso $early_first)" ] || fail "activity_first $(h activity_first)"
[ "$(h activity_last)" = "$(iso $late_last)" ] || fail "activity_last $(h activity_last)"
[ "$(h last_us)" = "$(us $late_ts)" ] || fail "last_us"

# One block, under the id of the first alert's epoch, the hook called once.
[ "$(wc -l <"$T/hook.log")" = 1 ] || { cat "$T/hook.log"; fail "hook ran $(wc -l <"$T/hook.log") times"; }
aid="$id:block:10.5.5.5:$((late_ts / 3600))"
grep -q "^$aid " "$T/hook.log" || { cat "$T/hook.log"; fail "action id is not $aid"; }
[ "$(rcli HLEN "bw:incident:{$id}:actions")" = 1 ] || fail "more than one action recorded"
[ "$(h status)" = contained ] || fail "status $(h status)"

# incidents show states the breach dates and the detection.
incidents show "$id" | tee "$T/show"
grep -q "breach      $(iso $early_first) .. $(iso $late_last)" "$T/show" || fail "show: breach dates"
grep -q "detected    $(iso $early_ts) " "$T/show" || fail "show: detected"

# The drafts: made after the first alert, made again after the second (its
# earlier detection and activity start change the dates they state).
N=$T/notices/$id
[ -f "$N/gdpr-art33.en.md" ] || { ls -R "$T/notices"; fail "no drafts"; }
[ "$(h severity)" = 2 ] || fail "severity $(h severity)"
# The responder drafts zh for PIPL only; the other zh notices come from
# `breachwatch notice` on the same Redis incident.
for r in gdpr-art33 gdpr-art34 ccpa; do
  "$BW_BIN" notice "$id" -c "$T/breachwatch.yaml" --redis "$URL" --regime $r --lang zh \
    -o "$N/$r.zh.md" || fail "notice $r zh"
done
g() { grep -qF -- "$2" "$N/$1" || { grep -n "between\|aware\|至" "$N/$1"; fail "$1 lacks: $2"; }; }
A=$(text $early_first) Z=$(text $late_last) D=$(text $early_ts)
g gdpr-art33.en.md "When the breach happened: between $A and $Z"
g gdpr-art33.en.md "When the controller became aware of it: $D"
g gdpr-art33.en.md "Deadline: $(text $((early_ts + 72 * 3600))) (72 hours from awareness"
g gdpr-art33.en.md "awareness taken as $D"
g gdpr-art33.zh.md "泄露发生时间：$A 至 $Z"
g gdpr-art33.zh.md "控制者知悉时间：$D"
g gdpr-art34.en.md "Between $A and $Z, customer records"
g gdpr-art34.en.md "detected this on $D"
g gdpr-art34.zh.md "$A 至 $Z，客户记录"
g ccpa.en.md "Date of the breach: between $A and $Z (date range)"
g ccpa.en.md "We became aware of it on $D"
g ccpa.zh.md "泄露日期：$A 至 $Z"
g pipl.zh.md "原因：$A 至 $Z（事件发生时间"
g pipl.zh.md "发现时间：$D"
g pipl.en.md "Cause: between $A and $Z (the time of the incident"
python3 - "$N/gdpr-art33.en.json" "$early_ts" "$early_first" "$late_last" "$late_ts" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["assessment"]
det, af, al, op = (int(x) * 1000000 for x in sys.argv[2:])
inc = d["incident"]
assert inc["detected"]["us"] == det, inc
assert inc["activity_first"]["us"] == af and inc["activity_last"]["us"] == al, inc
assert inc["opened"]["us"] == op, inc
assert d["regimes"]["awareness"]["us"] == det, d["regimes"]["awareness"]
assert d["regimes"]["gdpr"]["deadline"]["us"] == det + 72 * 3600 * 1000000
PY

# Re-delivery of both alerts, in the same (wrong) order: nothing new.
n_tl=$(rcli XLEN "bw:incident:{$id}:timeline")
rcli XADD bw:alerts '*' eve "$(cat "$T/late")" >/dev/null
rcli XADD bw:alerts '*' eve "$(cat "$T/early")" >/dev/null
run 2>"$T/r2.err" || { cat "$T/r2.err"; fail "responder (re-delivery) failed"; }
cat "$T/r2.err"
grep -q "2 alerts, 2 duplicates, 0 malformed, 0 incidents opened, 0 actions, 2 not repeated" \
  "$T/r2.err" || fail "re-delivery counts"
[ "$(wc -l <"$T/hook.log")" = 1 ] || fail "re-delivery ran the block again"
[ "$(rcli XLEN "bw:incident:{$id}:timeline")" = "$n_tl" ] || fail "re-delivery added entries"
[ "$(h detected_us)" = "$(us $early_ts)" ] && [ "$(h opened_us)" = "$(us $late_ts)" ] ||
  fail "re-delivery moved the times"
incidents verify "$id" || fail "verify"
echo "PASS"
