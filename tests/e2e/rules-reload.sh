#!/bin/bash
# The rules CLI and reload: `rules check` passes the shipped pack and names the
# file:line:col of a broken rule (exit 1); start-up with a broken rule fails with
# that position; SIGHUP with a broken rule keeps the old set running; SIGHUP with
# a valid set reloads it and keeps the window state of rule ids that remain (an
# actor's reads before and after the reload add up to one alert).
set -euo pipefail
BIN=${BW_BIN:?}
FEED=${BW_TOOLS:?}/bwt-detect-feed
T=$(mktemp -d /tmp/bw-detect-reload.XXXXXX)
FPID=
cleanup() { [ -n "$FPID" ] && kill "$FPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

"$BIN" rules check "$BW_SRC/rules/default" >"$T/check.out"
grep -q "rules in 5 files" "$T/check.out"
"$BIN" rules list "$BW_SRC/rules/default" | grep -q "^bulk-read-customers  *2 "

mkdir -p "$T/bad"
printf 'rules:\n  - id: x\n    name: X\n    severity: 2\n    threshold: 10\n    windo: 5m\n' >"$T/bad/a.yaml"
if "$BIN" rules check "$T/bad" >"$T/bad.out" 2>&1; then echo "FAIL: broken rule accepted"; exit 1; fi
grep -q "$T/bad/a.yaml:6:5: unknown key 'windo'" "$T/bad.out" || { cat "$T/bad.out"; exit 1; }
printf 'state_dir: %s/state\n' "$T" >"$T/bw.yaml"
if "$FEED" -c "$T/bw.yaml" --rules "$T/bad" --eve /dev/null </dev/null 2>"$T/start.err"; then
	echo "FAIL: started with a broken rule"; exit 1
fi
grep -q "a.yaml:6:5: unknown key 'windo'" "$T/start.err" || { cat "$T/start.err"; exit 1; }

# live reload: 600 rows, reload (broken, then valid with the same id), 600 rows
mkdir -p "$T/rules"
rule() { printf 'rules:\n  - id: bulk\n    name: %s\n    severity: 2\n    window: 5m\n    threshold: %s\n' "$1" "$2"; }
rule "Bulk v1" 1000 >"$T/rules/r.yaml"
mkfifo "$T/in"
"$FEED" -c "$T/bw.yaml" --rules "$T/rules" --eve "$T/eve.json" "$T/in" 2>"$T/feed.err" &
FPID=$!
exec 3>"$T/in"
echo "1764576000 pgsql read 10.77.0.66 app 10.77.0.10 public.customers 600 1000" >&3
sleep 0.5
printf 'rules:\n  - id: bulk\n    name: [broken\n' >"$T/rules/r.yaml"
kill -HUP "$FPID"; sleep 0.2
echo "1764576001 pgsql read 10.77.0.66 app 10.77.0.10 public.customers 1 1" >&3
sleep 0.5
rule "Bulk v2" 1100 >"$T/rules/r.yaml"
kill -HUP "$FPID"; sleep 0.2
echo "1764576002 pgsql read 10.77.0.66 app 10.77.0.10 public.customers 1 1" >&3
echo "1764576003 pgsql read 10.77.0.66 app 10.77.0.10 public.customers 600 1000" >&3
exec 3>&-
wait "$FPID"; FPID=
cat "$T/feed.err"
grep -q "reload failed, the old rules stay: .*r.yaml:4:1: " "$T/feed.err" || { echo "FAIL: broken reload not reported"; exit 1; }
grep -q "reloads=1" "$T/feed.err" || { echo "FAIL: valid reload not applied"; exit 1; }
n=$(grep -c '"event_type":"alert"' "$T/eve.json")
[ "$n" = 1 ] || { echo "FAIL: $n alerts, want 1"; exit 1; }
grep -q '"signature":"Bulk v2"' "$T/eve.json" || { echo "FAIL: alert not from the reloaded rule"; exit 1; }
grep -q '"records":1202' "$T/eve.json" || { echo "FAIL: window state lost in reload"; cat "$T/eve.json"; exit 1; }
echo PASS
