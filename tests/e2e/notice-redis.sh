#!/usr/bin/env bash
# Notices from Redis: an incident stored as the responder stores it
# (bw:incident:{ID} hash + :timeline stream whose alert entries carry the
# alert's EVE JSON in "data") gives the same drafts as the same alerts read
# from the EVE file; --all writes every applicable draft and prints SHA-256s
# that match the files. A real redis-server on a private Unix socket.
set -euo pipefail
D=$BW_SRC/tests/data/notices
. "${BW_SRC:?}/tests/lib/redis.sh"
redis_need
tmp=$(mktemp -d)
bw_on_exit 'rm -rf "$tmp"'
redis_setup "$tmp"
sock=$REDIS_SOCK
redis_start
R() { rcli "$@" >/dev/null; }
ID=bw-test-incident-1
key="bw:incident:{$ID}"
R HSET "$key" id "$ID" status open actor 10.77.0.66 actor_user app severity 1 \
    opened "2026-12-01T08:05:42.499307+0000" opened_us 1796112342499307
R ZADD bw:incidents 1796112342499307 "$ID"
prev=0
python3 - "$D/all.eve.json" >"$tmp/alerts" <<'PY'
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    if json.loads(l)["src_ip"] == "10.77.0.66":
        print(l.strip())
PY
n=0
R XADD "$key:timeline" '*' eid note:start type note data '{"note":"not an alert"}'
while IFS= read -r line; do
    n=$((n + 1))
    R XADD "$key:timeline" '*' eid "alert:$n" type alert version 1 host t time x actor a \
        data "$line" prev "$prev"
done <"$tmp/alerts"
fail=0
for r in gdpr-art33 ccpa pipl; do
    for fm in md json; do
        "$BW_BIN" notice "$ID" -c "$D/breachwatch.yaml" --redis "unix://$sock" --regime $r \
            --format $fm -o "$tmp/redis.$r.$fm"
        "$BW_BIN" notice "$ID" -c "$D/breachwatch.yaml" --from-eve "$D/all.eve.json" \
            --actor 10.77.0.66 --regime $r --format $fm -o "$tmp/eve.$r.$fm"
        cmp -s "$tmp/redis.$r.$fm" "$tmp/eve.$r.$fm" ||
            { echo "FAIL $r $fm: Redis and EVE drafts differ"; diff "$tmp/eve.$r.$fm" "$tmp/redis.$r.$fm" | head; fail=1; }
    done
done
grep -q "Incident reference:\*\* $ID" "$tmp/redis.gdpr-art33.md" || { echo "FAIL: incident id"; fail=1; }
# Unknown incident: exit 1 with a message.
if "$BW_BIN" notice nope -c "$D/breachwatch.yaml" --redis "unix://$sock" --regime ccpa \
    >/dev/null 2>"$tmp/err"; then echo "FAIL: unknown incident accepted"; fail=1; fi
grep -q "no alerts found" "$tmp/err" || { echo "FAIL: message"; cat "$tmp/err"; fail=1; }
# Unreachable Redis: exit 1, no crash.
if "$BW_BIN" notice "$ID" -c "$D/breachwatch.yaml" --redis "unix://$tmp/none.sock" --regime ccpa \
    >/dev/null 2>"$tmp/err"; then echo "FAIL: unreachable Redis accepted"; fail=1; fi
# Every applicable draft, with hashes that match.
"$BW_BIN" notice "$ID" -c "$D/breachwatch.yaml" --redis "unix://$sock" --all "$tmp/drafts" >"$tmp/sums"
got=$(wc -l <"$tmp/sums")
[ "$got" -eq 15 ] || { echo "FAIL: $got drafts, want 15 (gdpr-art33, gdpr-art34, ccpa, pipl zh+en; md, html, json)"; cat "$tmp/sums"; fail=1; }
sha256sum -c --quiet "$tmp/sums" || { echo "FAIL: SHA-256 of the drafts"; fail=1; }
[ $fail = 0 ] && echo "ok: Redis incident drafts equal EVE drafts; $got drafts with hashes"
exit $fail
