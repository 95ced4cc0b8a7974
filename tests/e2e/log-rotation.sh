#!/usr/bin/env bash
# The log follower under rotation: a writer appends numbered nginx lines while
# the log is renamed, copy-truncated, deleted and recreated, and first appears
# after the follower started. Every number must arrive exactly once.
set -euo pipefail
: "${BW_TOOLS:?}" "${BW_SRC:?}"
RUN=$BW_TOOLS/bwt-logrun
W=$(mktemp -d /tmp/bw-logs-rot.XXXXXX)
FPID=
cleanup() { [ -n "$FPID" ] && kill "$FPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
cat > "$W/bw.yaml" <<YAML
state_dir: $W/state
logs:
  poll_interval: 10ms
YAML

check() { # name count
  local name=$1 n=$2
  grep -o '"detail":"/n/[0-9]*"' "$W/$name.eve" | grep -o '[0-9]*' | sort -n > "$W/$name.got"
  seq 1 "$n" > "$W/$name.want"
  if ! cmp -s "$W/$name.got" "$W/$name.want"; then
    echo "FAIL $name: $(wc -l < "$W/$name.got") events for $n lines; missing/duplicated:"
    diff "$W/$name.want" "$W/$name.got" | head -10
    exit 1
  fi
  echo "ok   $name: $n lines, each exactly once"
}

scenario() { # name count plan
  local name=$1 n=$2 plan=$3
  rm -f "$W"/access.log*
  rm -rf "$W/state"
  "$RUN" -c "$W/bw.yaml" --follow --eve "$W/$name.eve" --stats "$W/$name.stats" \
    "nginx:$W/access.log" 2> "$W/$name.err" &
  FPID=$!
  sleep 0.2
  python3 "$BW_SRC/tests/tools/logwriter.py" "$W/access.log" "$n" "$plan" "$W/$name.eve"
  for _ in $(seq 200); do
    [ "$(wc -l < "$W/$name.eve" 2>/dev/null || echo 0)" -ge "$n" ] && break
    sleep 0.05
  done
  sleep 0.3 # would catch duplicates arriving late
  kill -TERM "$FPID"; wait "$FPID"; FPID=
  check "$name" "$n"
}

# The file does not exist when the follower starts (late appearance) in all of them.
scenario rename 3000 "700:rename,1500:rename,2200:pause,2201:rename"
scenario copytruncate 3000 "800:copytrunc,1900:copytrunc"
scenario delete 3000 "600:delete,1400:pause,1401:delete,2500:delete"
scenario mixed 4000 "500:rename,1000:copytrunc,1500:delete,2000:rename,2500:copytrunc,3000:delete"
grep -q '"rotations":[1-9]' "$W/rename.stats" || { echo "FAIL: no rotation counted"; exit 1; }
grep -q '"truncations":2' "$W/copytruncate.stats" || { echo "FAIL: truncations not counted"; cat "$W/copytruncate.stats"; exit 1; }
echo "log-rotation: all scenarios passed"
