#!/usr/bin/env bash
# The whole chain on a real network: attacker, other client and server
# namespaces; nginx with a customer API in the server namespace; the sensor
# capturing live on the server-side bridge with the default rules, alerts into
# a real redis-server; the responder in enforce mode with nftables in the
# server namespace. The attacker pulls the customer records; then: the alert
# is raised, the block applied (the attacker's next connection fails, the
# other client still connects), the incident is in Redis and `incidents
# verify` passes, the evidence pcap reads with tcpdump and matches its hash,
# and `breachwatch release IP` restores access.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
. "$BW_SRC/tests/e2e/lib/contain-net.bash"
ct_need_root
. "$BW_SRC/tests/lib/redis.sh"
redis_need
for c in responder incidents; do
  "$BW_BIN" help | grep -q "breachwatch $c" ||
    { echo "breachwatch $c not built (responder not merged); skipped"; exit 77; }
done
"$BW_BIN" sensor --help 2>&1 | grep -q -- --rules ||
  { echo "sensor without --rules (detection not merged); skipped"; exit 77; }
bw_on_exit ct_cleanup
fail() {
  echo "FAIL: $*" >&2
  for f in sensor.err responder.err; do echo "== $f" >&2; tail -20 "$CT_TMP/$f" >&2 || true; done
  exit 1
}
ct_setup_net
ct_start_nginx 2000
srv() { ip netns exec $CT_SRV "$@"; }

redis_setup "$CT_TMP"
URL=$REDIS_URL
redis_start

mkdir -p "$CT_TMP/state"
cat > "$CT_TMP/breachwatch.yaml" <<YAML
state_dir: $CT_TMP/state
YAML
cat > "$CT_TMP/responder.yaml" <<YAML
state_dir: $CT_TMP/state
incidents: {window: 10m}
consumer: {reclaim_idle: 200ms}
playbooks:
  - name: contain-bulk-read
    rules: [bulk-read-customers, api-page-scraping, first-time-bulk-reader]
    max_severity: 4
    mode: enforce
    action: block
    ttl: 10m
containment:
  ttl: 10m
  allowlist: [$CT_CLI_IP/32]
  nft: {table: breachwatch, family: inet}
YAML

srv "$BW_BIN" sensor -c "$CT_TMP/breachwatch.yaml" -i "$CT_BR" --redis "$URL" \
  --rules "$BW_SRC/rules/default" --eve "$CT_TMP/eve.json" 2> "$CT_TMP/sensor.err" &
CT_PIDS+=($!)
srv "$BW_BIN" responder -c "$CT_TMP/breachwatch.yaml" -p "$CT_TMP/responder.yaml" \
  --redis "$URL" 2> "$CT_TMP/responder.err" &
CT_PIDS+=($!)
sleep 1.5 # capture handle open, consumer group created

ct_fetch $CT_CLI || fail "client cannot fetch"
# The attacker pulls every customer record, then tries again: the block may
# land after the first pull already (the responder is that fast), so only the
# first pull must succeed.
ct_fetch $CT_ATT || fail "the attacker's first pull failed"
grep -q customer2000@example.com "$CT_TMP/fetch.$CT_ATT" || fail "API content"
for _ in 1 2; do ct_fetch $CT_ATT || break; done

# Alert raised and the block applied within 10 s.
blocked=0
for _ in $(seq 100); do
  srv nft list set inet breachwatch block4 > "$CT_TMP/set.txt" 2>/dev/null || true
  grep -q "$CT_ATT_IP" "$CT_TMP/set.txt" && { blocked=1; break; }
  sleep 0.1
done
[ $blocked = 1 ] || fail "no block for $CT_ATT_IP"
[ "$(rcli XLEN bw:alerts)" -ge 1 ] || fail "no alert in bw:alerts"
rcli XRANGE bw:alerts - + | grep -q "\"src_ip\":\"$CT_ATT_IP\"" || fail "alert is not about the attacker"
if ct_fetch $CT_ATT; then fail "attacker still connects after the block"; fi
ct_fetch $CT_CLI || fail "other client blocked too"

# Incident in Redis, verified.
inc=$(rcli GET "bw:actor:{$CT_ATT_IP}")
[ -n "$inc" ] || fail "no incident for the attacker"
rcli ZSCORE bw:incidents "$inc" | grep -q . || fail "incident not in bw:incidents"
for _ in $(seq 50); do
  [ "$(rcli HGET "bw:incident:{$inc}" status)" = contained ] && break; sleep 0.1
done
[ "$(rcli HGET "bw:incident:{$inc}" status)" = contained ] || fail "incident not contained"
rcli HGET "bw:containment:{$CT_ATT_IP}" backend | grep -q nft || fail "bw:containment lacks nft"
"$BW_BIN" incidents -p "$CT_TMP/responder.yaml" --redis "$URL" verify "$inc" || fail "verify"

# Evidence pcap: readable, hash as recorded.
ev=$(rcli HGETALL "bw:incident:{$inc}:evidence" | sed -n 2p)
[ -n "$ev" ] || fail "no evidence recorded"
path=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["path"])' "$ev")
sha=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sha256"])' "$ev")
tcpdump -r "$path" -n > "$CT_TMP/ev.txt" 2>&1 || fail "evidence pcap $path unreadable: $(head -3 "$CT_TMP/ev.txt")"
grep -q "$CT_ATT_IP" "$CT_TMP/ev.txt" || fail "evidence pcap $path without the attacker: $(head -3 "$CT_TMP/ev.txt")"
[ "$(sha256sum "$path" | cut -d' ' -f1)" = "$sha" ] || fail "evidence hash mismatch"

# Release restores access.
srv "$BW_BIN" release $CT_ATT_IP -c "$CT_TMP/breachwatch.yaml" -p "$CT_TMP/responder.yaml" \
  > "$CT_TMP/out" || fail "release: $(cat "$CT_TMP/out")"
ct_fetch $CT_ATT || fail "attacker cannot connect after release"
echo "containment: ok (incident $inc)"
