#!/usr/bin/env bash
# Saved read positions: the follower is stopped mid-file (SIGTERM) while a
# writer goes on, then restarted from its saved position; and once more after
# the log was rotated while it was down. No line may be lost or doubled.
set -euo pipefail
: "${BW_TOOLS:?}" "${BW_SRC:?}"
RUN=$BW_TOOLS/bwt-logrun
W=$(mktemp -d /tmp/bw-logs-rst.XXXXXX)
FPID=
cleanup() { [ -n "$FPID" ] && kill "$FPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
cat > "$W/bw.yaml" <<YAML
state_dir: $W/state
logs:
  poll_interval: 10ms
YAML
start() { "$RUN" -c "$W/bw.yaml" --follow --eve "$W/out.eve" "nginx:$W/access.log" 2>> "$W/err" & FPID=$!; }
stop() { kill -TERM "$FPID"; wait "$FPID"; FPID=; }

python3 "$BW_SRC/tests/tools/logwriter.py" "$W/access.log" 2000 "" &
WPID=$!
start
sleep 0.3
stop            # mid-file: the writer is still going
sleep 0.3       # lines written while the follower is down
start
sleep 0.2
stop
start
wait $WPID
sleep 0.5
stop
[ -s "$W/state/positions/"* ] || { echo "FAIL: no position saved"; exit 1; }
# A restart with nothing new reads nothing.
before=$(wc -l < "$W/out.eve")
start; sleep 0.3; stop
[ "$(wc -l < "$W/out.eve")" -eq "$before" ] || { echo "FAIL: restart re-read lines"; exit 1; }
grep -o '"detail":"/n/[0-9]*"' "$W/out.eve" | grep -o '[0-9]*' | sort -n > "$W/got"
if ! cmp -s "$W/got" <(seq 1 2000); then
  echo "FAIL: $(wc -l < "$W/got") events for 2000 lines"
  diff <(seq 1 2000) "$W/got" | head
  exit 1
fi
echo "ok: 2000 lines over 4 runs, each exactly once"
# The log replaced while the follower was down: read from its start.
printf '127.0.0.1 - - [01/Dec/2026:08:00:00 +0000] "GET /n/9999 HTTP/1.1" 200 1 "-" "w"\n' > "$W/new.log"
mv "$W/new.log" "$W/access.log"
start; sleep 0.3; stop
[ "$(grep -c '/n/9999' "$W/out.eve")" -eq 1 ] || { echo "FAIL: replaced file not read from its start"; exit 1; }
echo "ok: a replaced file is read from its start"
