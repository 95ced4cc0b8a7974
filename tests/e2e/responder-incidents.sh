#!/usr/bin/env bash
# Responder against a real redis-server: alerts grouped into incidents (same
# actor within the window; a later alert opens a new one and closes the old),
# severity raised by alert count, a re-delivered alert adds nothing, a
# malformed entry is counted and acknowledged, evidence recorded, and
# `incidents verify` names every kind of tampering.
. "$(dirname "$0")/lib/responder.sh"
redis_start
write_conf dry-run
cp "$BW_SRC/pcaps/exfil-pgsql-bulk.pcap" "$T/ev-a1.pcap"
ev_sha=$(sha256sum "$T/ev-a1.pcap" | cut -d' ' -f1)
t0=1700000000
xadd_alert a1 0 bulk-read-customers 3 10.1.1.1 5000 $t0 "\"evidence\":{\"pcap\":\"$T/ev-a1.pcap\",\"sha256\":\"$ev_sha\",\"packets\":12}"
xadd_alert a1 1 bulk-read-customers 3 10.1.1.1 8000 $((t0 + 60))
xadd_alert a2 0 id-enumeration 3 10.1.1.1 300 $((t0 + 120))
xadd_alert a3 0 dns-tunnel 2 10.2.2.2 0 $((t0 + 130))
xadd_alert a4 0 bulk-read-customers 3 10.1.1.1 100 $((t0 + 4000))   # after the 10 min window
rcli XADD bw:alerts '*' eve 'not json' >/dev/null
responder --once 2>"$T/r1.err" || { cat "$T/r1.err"; fail "responder failed"; }
cat "$T/r1.err"
grep -q "5 alerts, 0 duplicates, 1 malformed, 3 incidents opened" "$T/r1.err" || fail "counts"
[ "$(rcli XPENDING bw:alerts responders | head -1)" = 0 ] || fail "alerts left pending"

incidents list | tee "$T/list"
[ "$(wc -l <"$T/list")" = 3 ] || fail "expected 3 incidents"
first=$(rcli ZRANGE bw:incidents 0 0)
second=$(rcli ZRANGE bw:incidents 2 2)
[ "$(rcli HGET "bw:incident:{$first}" alerts)" = 3 ] || fail "first incident should hold 3 alerts"
[ "$(rcli HGET "bw:incident:{$first}" records)" = 8000 ] || fail "records = largest estimate"
# severity 3, two further alerts (escalate_alerts 2) -> 2
[ "$(rcli HGET "bw:incident:{$first}" severity)" = 2 ] || fail "severity not escalated"
[ "$(rcli HGET "bw:incident:{$first}" status)" = closed ] || fail "first incident not closed"
[ "$(rcli HGET "bw:incident:{$second}" status)" = open ] || fail "second incident of 10.1.1.1 not open"
[ "$(rcli GET 'bw:actor:{10.1.1.1}')" = "$second" ] || fail "actor map"
# evidence recorded in the hash and the timeline
rcli HGET "bw:incident:{$first}:evidence" ev-a1.pcap | grep -q "$ev_sha" || fail "evidence hash"
incidents show "$first" | tee "$T/show"
grep -q "evidence .*ev-a1.pcap: 12 packets" "$T/show" || fail "show lacks the evidence entry"
grep -q "block 10.1.1.1: intended (dry-run" "$T/show" || fail "show lacks the dry-run action"
incidents show "$first" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["incident"]["id"]; assert len(d["timeline"])>=5, d'

# Re-delivery of the same alert (same id and update): no new entry.
n_before=$(rcli XLEN "bw:incident:{$first}:timeline")
xadd_alert a1 1 bulk-read-customers 3 10.1.1.1 8000 $((t0 + 60))
responder --once 2>"$T/r2.err"
grep -q "1 alerts, 1 duplicates" "$T/r2.err" || { cat "$T/r2.err"; fail "re-delivery not detected"; }
[ "$(rcli XLEN "bw:incident:{$first}:timeline")" = "$n_before" ] || fail "duplicate entry added"

for id in $(rcli ZRANGE bw:incidents 0 -1); do
  incidents verify "$id" || fail "verify $id before tampering"
done

# Tampering 1: an evidence file changed.
printf 'x' >>"$T/ev-a1.pcap"
if incidents verify "$first" >"$T/v1"; then fail "changed evidence not caught"; fi
cat "$T/v1"
grep -q "evidence ev-a1.pcap: file $T/ev-a1.pcap changed" "$T/v1" || fail "verify did not name the file"
cp "$BW_SRC/pcaps/exfil-pgsql-bulk.pcap" "$T/ev-a1.pcap"
incidents verify "$first" >/dev/null || fail "restored evidence should verify"

# Tampering 2: an entry removed from the middle (XDEL).
second_id=$(rcli --raw XRANGE "bw:incident:{$first}:timeline" - + COUNT 2 | awk 'NR>1 && /^[0-9]+-[0-9]+$/ {print; exit}')
rcli XDEL "bw:incident:{$first}:timeline" "$second_id" >/dev/null
if incidents verify "$first" >"$T/v2"; then fail "deleted entry not caught"; fi
cat "$T/v2"
grep -q "entry 2 (.*prev does not match" "$T/v2" || fail "verify did not name entry 2"

# Tampering 3: an entry rewritten (the stream rebuilt with one data field changed).
id2=$second
python3 - "$SOCK" "$id2" <<'PY'
import subprocess, sys
sock, inc = sys.argv[1], sys.argv[2]
key = "bw:incident:{%s}:timeline" % inc
out = subprocess.run(["redis-cli", "-s", sock, "--raw", "XRANGE", key, "-", "+"], capture_output=True, text=True).stdout.split("\n")
# --raw prints: id, then field/value lines; entries have 9 field pairs
entries, i = [], 0
while i < len(out) and out[i]:
    sid = out[i]; kv = out[i+1:i+19]; entries.append((sid, kv)); i += 19
subprocess.run(["redis-cli", "-s", sock, "DEL", key], capture_output=True)
for n, (sid, kv) in enumerate(entries):
    if n == 0:
        kv = list(kv); j = kv.index("data"); kv[j+1] = kv[j+1].replace('"records":100', '"records":1')
    subprocess.run(["redis-cli", "-s", sock, "XADD", key, sid] + list(kv), capture_output=True, check=True)
PY
if incidents verify "$id2" >"$T/v3"; then fail "rewritten entry not caught"; fi
cat "$T/v3"
grep -q "entry 1 (.*content does not match its hash (modified)" "$T/v3" || fail "verify did not name entry 1"
echo "PASS"
