#!/usr/bin/env bash
# `breachwatch alerts --follow` on a real terminal (tmux): a private
# redis-server, the follower in a tmux pane, an alert XADDed into bw:alerts
# (the sensor's own alert over an exfiltration capture), and capture-pane must
# show its line within 1 s, in colour; piped output has no colour; a rule
# filter hides it; --json prints the EVE line unchanged.
set -euo pipefail
. "${BW_SRC:?}/tests/lib/redis.sh"
for t in tmux python3; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
redis_need
tmp=$(mktemp -d /tmp/bw-analyst-af.XXXXXX)
tm=(tmux -L "bw-analyst-$BW_RUN" -f /dev/null)
cleanup() {
  "${tm[@]}" kill-server 2>/dev/null || true
  rm -rf "$tmp"
}
bw_on_exit cleanup
fail() { echo "FAIL: $*"; exit 1; }
redis_setup "$tmp"
sock=$REDIS_SOCK
redis_start

# A real alert: the sensor over the bulk-read capture (its state, baselines
# included, in this test's dir: nothing learnt by an earlier run counts).
printf 'state_dir: %s/state\n' "$tmp" >"$tmp/bw.yaml"
"$BW_BIN" sensor -c "$tmp/bw.yaml" -r "$BW_SRC/pcaps/exfil-pgsql-bulk.pcap" --redis none \
  --rules "$BW_SRC/rules/default" --eve "$tmp/eve.json" 2>"$tmp/sensor.err" || true
alert=$(grep -m1 '"event_type":"alert"' "$tmp/eve.json" || true)
if [ -z "$alert" ] && [ ! -e "$BW_SRC/sensor/detect.h" ]; then
  # TEMPORARY until detection is on main: an alert shaped as DESIGN.md says.
  echo "NOTE: detection not in the tree; using a DESIGN.md-shaped alert"
  alert='{"timestamp":"2026-12-01T08:05:43.074772+0000","sensor_id":"t","event_type":"alert","src_ip":"10.77.0.66","src_port":41234,"dest_ip":"10.77.0.10","dest_port":5432,"proto":"TCP","app_proto":"pgsql","alert":{"action":"allowed","gid":1,"signature_id":9100001,"rev":1,"signature":"Bulk read of customer records","category":"Potential Data Exfiltration","severity":2,"metadata":{"mitre_technique_id":["T1005"]}},"breach":{"alert_id":"t-1","update":0,"count":1,"rule":"bulk-read-customers","channel":"pgsql","actor":{"ip":"10.77.0.66","user":"app"},"dataset":"public.customers","records":10000,"bytes":1712345,"pii":{"email":10000},"window_s":300}}'
fi
[ -n "$alert" ] || { cat "$tmp/sensor.err"; fail "the sensor raised no alert over exfil-pgsql-bulk.pcap"; }
rule=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["breach"]["rule"])' "$alert")
actor=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["breach"]["actor"]["ip"])' "$alert")
echo "alert: rule $rule actor $actor"

url="unix://$sock"
"${tm[@]}" new-session -d -s bw -x 220 -y 20 \
  "TERM=xterm-256color '$BW_BIN' alerts --follow --redis $url; sleep 60"
"${tm[@]}" new-window -d -t bw:1 "'$BW_BIN' alerts --follow --redis $url --rule 'no-such-*'; sleep 60"
"${tm[@]}" new-window -d -t bw:2 "'$BW_BIN' alerts --follow --redis $url --json | cat; sleep 60"
# All three followers are blocked in XREAD before the alert arrives.
for _ in $(seq 100); do
  [ "$(rcli client list | grep -c 'cmd=xread')" -ge 3 ] && break
  sleep 0.05
done
[ "$(rcli client list | grep -c 'cmd=xread')" -ge 3 ] || fail "followers are not waiting in XREAD"

t0=$(date +%s%N)
rcli xadd bw:alerts '*' eve "$alert" >/dev/null
seen=
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ]; do
  if "${tm[@]}" capture-pane -p -t bw:0 | grep -q -- "$rule"; then seen=1; break; fi
  sleep 0.02
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -n "$seen" ] || { "${tm[@]}" capture-pane -p -t bw:0; fail "alert line not shown within 1 s"; }
echo "shown after $ms ms"
line=$("${tm[@]}" capture-pane -p -t bw:0 | grep -m1 -- "$rule")
case "$line" in *"$actor"*) ;; *) fail "line lacks the actor: $line" ;; esac
# Colour on the terminal: the pane's cells carry SGR attributes.
"${tm[@]}" capture-pane -e -p -t bw:0 | grep -- "$rule" | grep -q $'\e\[[0-9;]*m' ||
  fail "no colour on the terminal"

# Piped: the same view without escape sequences.
"$BW_BIN" alerts --redis "$url" | cat >"$tmp/piped.txt"
grep -q -- "$rule" "$tmp/piped.txt" || fail "piped view lacks the alert"
if grep -q $'\e' "$tmp/piped.txt"; then fail "escape sequences in piped output"; fi
"${tm[@]}" capture-pane -e -p -t bw:2 >"$tmp/pane2.txt"
if grep -q $'\e\[[0-9;]*[1-9][0-9;]*m' "$tmp/pane2.txt"; then fail "colour in a piped pane"; fi

# --json: the EVE line unchanged (compare parsed objects; the pane wraps).
"$BW_BIN" alerts --redis "$url" --json >"$tmp/json.txt"
python3 - "$tmp/json.txt" "$alert" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
assert got == [json.loads(sys.argv[2])], "--json differs from the stream's eve field"
PY
"${tm[@]}" capture-pane -p -J -t bw:2 | grep -q '"event_type":"alert"' || fail "--json follower shows nothing"

# The rule filter hides it.
if "${tm[@]}" capture-pane -p -t bw:1 | grep -q -- "$rule"; then fail "--rule filter let the alert through"; fi
echo "ok: live line in $ms ms, coloured on the terminal, plain when piped, filters and --json"
