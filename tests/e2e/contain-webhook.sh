#!/usr/bin/env bash
# Webhook backend against a real HTTP receiver on loopback (python3
# http.server subclass recording POSTs): JSON body and headers, retries with
# exponential backoff on 500/503, no retry on 404, and a hook-less rails check
# that a re-delivered action posts nothing.
set -euo pipefail
: "${BW_TOOLS:?}" "${BW_SRC:?}"
command -v python3 >/dev/null || { echo "python3 missing; skipped"; exit 77; }
tmp=$(mktemp -d /tmp/bw-ct-webhook.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
python3 "$BW_SRC/tests/e2e/contain-webhook-receiver.py" "$tmp/posts.jsonl" "$tmp/port" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
fail() { echo "FAIL: $*" >&2; cat "$tmp/out" >&2 || true; exit 1; }

conf() { # name path retries
  cat > "$tmp/$1.yaml" <<YAML
containment:
  nft: {enabled: false}
  blocks_per_minute: 0
  webhooks:
    - name: $1
      url: http://127.0.0.1:$port/$2
      timeout: 2s
      retries: $3
      backoff: 200ms
      max_backoff: 1s
YAML
}

# 1. 500, 500, 200: three attempts, waits of >= 200 ms then >= 400 ms.
conf flaky flaky 3
"$BW_TOOLS/bwt-contain" "$tmp/flaky.yaml" "$tmp/s1" "block:203.0.113.9/600/INC-W:block:203.0.113.9:1" > "$tmp/out"
grep -q '"backend":"webhook:flaky","ok":true' "$tmp/out" || fail "flaky webhook not ok"
grep -q '"exit_status":200' "$tmp/out" || fail "status 200 not recorded"
grep -q 'after 3 attempts' "$tmp/out" || fail "not 3 attempts"
python3 - "$tmp/posts.jsonl" <<'PY' || fail "receiver log check"
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1]) if '"/flaky"' in l]
assert [p["status"] for p in posts] == [500, 500, 200], posts
gaps = [b["t"] - a["t"] for a, b in zip(posts, posts[1:])]
assert gaps[0] >= 0.19 and gaps[1] >= 0.39 and gaps[1] < 1.5, gaps
for p in posts:
    assert p["ctype"] == "application/json", p
    assert p["key"] == "INC-W:block:203.0.113.9:1", p
    body = json.loads(p["body"])
    assert body["action"] == "block" and body["ip"] == "203.0.113.9", body
    assert body["ttl_s"] == 600 and body["incident"] == {"id": "INC-BWT"}, body
print("backoff gaps", [round(g, 3) for g in gaps])
PY

# 2. The same action again: the rails answer, nothing is posted.
before=$(wc -l < "$tmp/posts.jsonl")
"$BW_TOOLS/bwt-contain" "$tmp/flaky.yaml" "$tmp/s1" "block:203.0.113.9/600/INC-W:block:203.0.113.9:1" > "$tmp/out"
grep -q '"backend":"rails","ok":true,"already":true' "$tmp/out" || fail "re-delivery not deduplicated"
[ "$(wc -l < "$tmp/posts.jsonl")" -eq "$before" ] || fail "re-delivery posted again"

# 3. 404: no retry.
conf gone gone 3
"$BW_TOOLS/bwt-contain" "$tmp/gone.yaml" "$tmp/s2" "block:203.0.113.10" > "$tmp/out"
grep -q '"backend":"webhook:gone","ok":false,"already":false,"exit_status":404' "$tmp/out" || fail "404 not recorded"
[ "$(grep -c '"/gone"' "$tmp/posts.jsonl")" -eq 1 ] || fail "404 was retried"

# 4. 503 forever: 1 + retries attempts, then failure recorded.
conf down down 2
"$BW_TOOLS/bwt-contain" "$tmp/down.yaml" "$tmp/s3" "block:203.0.113.11" > "$tmp/out"
grep -q 'failed after 3 attempts: HTTP 503' "$tmp/out" || fail "503 retries not recorded"
[ "$(grep -c '"/down"' "$tmp/posts.jsonl")" -eq 3 ] || fail "503 attempts != 3"

# 5. Connection refused: retried, then recorded as failed.
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
conf flaky2 flaky 1
"$BW_TOOLS/bwt-contain" "$tmp/flaky2.yaml" "$tmp/s4" "block:203.0.113.12" > "$tmp/out"
grep -q 'failed after 2 attempts' "$tmp/out" || fail "connection error not retried"
echo "contain-webhook: ok"
