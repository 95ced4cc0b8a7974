#!/usr/bin/env bash
# Containment on a real network: three namespaces, nginx in the server one;
# `breachwatch contain IP` (nftables in the server namespace, an exec hook)
# stops the attacker's next connection while the other client still gets
# through, repeats are harmless, and `breachwatch release IP` restores access.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
. "$BW_SRC/tests/e2e/lib/contain-net.bash"
ct_need_root
bw_on_exit ct_cleanup
fail() { echo "FAIL: $*" >&2; exit 1; }
ct_setup_net
ct_start_nginx 500

cat > "$CT_TMP/hook.sh" <<HOOK
#!/bin/sh
cat > "$CT_TMP/hook-\$BW_ACTION.json"
echo "\$BW_ACTION \$BW_IP \$BW_TTL" >> "$CT_TMP/hook.log"
HOOK
chmod +x "$CT_TMP/hook.sh"
cat > "$CT_TMP/responder.yaml" <<YAML
state_dir: $CT_TMP/state
containment:
  ttl: 10m
  allowlist: [$CT_CLI_IP/32]
  nft: {table: breachwatch, family: inet}
  exec:
    - {name: note, argv: ['$CT_TMP/hook.sh'], timeout: 5s}
YAML
srv() { ip netns exec $CT_SRV "$@"; }

ct_fetch $CT_ATT || fail "attacker cannot fetch before the block"
ct_fetch $CT_CLI || fail "client cannot fetch before the block"
grep -q customer500@example.com "$CT_TMP/fetch.$CT_ATT" || fail "API content"

srv "$BW_BIN" contain $CT_ATT_IP --ttl 5m --reason "e2e" -p "$CT_TMP/responder.yaml" \
  > "$CT_TMP/out" || fail "contain failed: $(cat "$CT_TMP/out")"
grep -q "^nft .*ok .*added $CT_ATT_IP in inet breachwatch block4, timeout 300s" "$CT_TMP/out" ||
  fail "nft result: $(cat "$CT_TMP/out")"
set4() { srv nft list set inet breachwatch block4 > "$CT_TMP/set.txt"; cat "$CT_TMP/set.txt"; }
set4 >/dev/null
grep -q "$CT_ATT_IP timeout 5m" "$CT_TMP/set.txt" || fail "no element"
if ct_fetch $CT_ATT; then fail "attacker still connects after the block"; fi
ct_fetch $CT_CLI || fail "other client blocked too"
srv nft list table inet breachwatch > "$CT_TMP/table.txt"
grep -Eq "counter packets [1-9]" "$CT_TMP/table.txt" ||
  fail "drop rule counted nothing"
grep -q "^block $CT_ATT_IP 300$" "$CT_TMP/hook.log" || fail "hook not run with the block"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['ip']==sys.argv[2] and d['ttl_s']==300, d" \
  "$CT_TMP/hook-block.json" $CT_ATT_IP || fail "hook stdin JSON"

# The allowlisted client is refused by the rails, nothing reaches nft.
if srv "$BW_BIN" contain $CT_CLI_IP -p "$CT_TMP/responder.yaml" > "$CT_TMP/out"; then
  fail "allowlisted address was blocked"
fi
grep -q "allowlisted" "$CT_TMP/out" || fail "refusal not explained"
set4 >/dev/null
grep -q "$CT_CLI_IP" "$CT_TMP/set.txt" && fail "allowlisted element present"

# Release restores access; a second release reports nothing to do, still exit 0.
srv "$BW_BIN" release $CT_ATT_IP -p "$CT_TMP/responder.yaml" > "$CT_TMP/out" || fail "release"
grep -q "deleted $CT_ATT_IP" "$CT_TMP/out" || fail "release result: $(cat "$CT_TMP/out")"
ct_fetch $CT_ATT || fail "attacker cannot connect after release"
srv "$BW_BIN" release $CT_ATT_IP -p "$CT_TMP/responder.yaml" > "$CT_TMP/out" || fail "2nd release"
grep -q "not present" "$CT_TMP/out" || fail "second release: $(cat "$CT_TMP/out")"
[ "$(grep -c "^release $CT_ATT_IP" "$CT_TMP/hook.log")" -eq 2 ] || fail "release hooks"
echo "contain-netns: ok"
