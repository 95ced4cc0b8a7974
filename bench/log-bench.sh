#!/usr/bin/env bash
# Log sensor throughput: lines/s on a 2-million-line nginx combined log, against
# fail2ban-regex with its stock nginx-botsearch filter (the stock nginx filter that
# reads access logs; nginx-http-auth and nginx-limit-req read the error log) and
# against `grep -c .` as the floor, in the same run, each pinned to CPU 0.
# The sensor is timed as a user runs it (every line an EVE access event), with
# EVE to /dev/null and to a file on disk, without rules (the log path and the
# EVE writer) and with the shipped rule pack (detection on every event).
# The rule pack is timed on two logs: one where almost every line comes from a new
# client address (a group per rule for nearly every line: the detectors' worst
# case) and one drawn from 50,000 clients with Zipf-like weights (a public
# server's log). Each sensor run starts in the bench folder with an empty state
# directory, so learned baselines of an earlier run are not loaded or saved.
# Usage: bench/log-bench.sh [BUILD_DIR] [LINES]     (default build, 2000000)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
LINES=${2:-2000000}
W=$(mktemp -d /tmp/bw-logs-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
LOG=$W/access.log
ZLOG=$W/access-zipf.log
python3 "$SRC/bench/gen-nginx-log.py" "$LINES" "$LOG"
python3 "$SRC/bench/gen-nginx-log.py" "$LINES" "$ZLOG" 50000
BYTES=$(stat -c %s "$LOG")
# The sensor command, one-shot (--once: logs are the only input, so it would
# follow otherwise), with the shipped inventory (records per response); an
# empty rules folder, or the shipped pack.
mkdir "$W/norules"
SENSOR=("$BUILD/breachwatch" sensor --once --log "nginx:$LOG" --redis none)
NORULES=(--rules "$W/norules")
RULES=(--rules "$SRC/rules/default")
cat "$LOG" > /dev/null # page cache
# Prints "wall cpu" seconds for the command (cpu = user + sys: the machine may be
# shared, and CPU time is what one core spends whatever else runs).
t() {
  rm -rf "$W/.breachwatch"
  /usr/bin/time -f "%e %U %S" -o "$W/time" taskset -c 0 "$@" > "$W/out" 2> "$W/err"
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$W/time"
}
echo "log: $LINES lines, $BYTES bytes, $(cut -d' ' -f1 "$LOG" | sort -u | wc -l) client addresses;" \
  "Zipf log: $(cut -d' ' -f1 "$ZLOG" | sort -u | wc -l) client addresses; $(nproc) cores, pinned to CPU 0"
ts=$(t "${SENSOR[@]}" "${NORULES[@]}" --eve /dev/null)
# EVE to a file on disk (the bench folder is under /tmp; see `df /tmp`),
# removed before each run so every run writes the whole file.
rm -f "$W/eve"
tsf=$(t "${SENSOR[@]}" "${NORULES[@]}" --eve "$W/eve")
n=$(grep -c '"event_type":"access"' "$W/eve")
[ "$n" -eq "$LINES" ] || { echo "sensor wrote $n access events for $LINES lines"; exit 1; }
rm -f "$W/eve"
tsr=$(t "${SENSOR[@]}" "${RULES[@]}" --eve /dev/null)
cat "$ZLOG" > /dev/null
tsz=$(t "$BUILD/breachwatch" sensor --once --log "nginx:$ZLOG" --redis none "${RULES[@]}" --eve /dev/null)
tzn=$(t "$BUILD/breachwatch" sensor --once --log "nginx:$ZLOG" --redis none "${NORULES[@]}" --eve /dev/null)
tp=
[ -x "$BUILD/tests/bwt-logrun" ] && tp=$(t "$BUILD/tests/bwt-logrun" --count-only "nginx:$LOG")
tg=$(t grep -c . "$LOG")
F2B=/etc/fail2ban/filter.d/nginx-botsearch.conf
if command -v fail2ban-regex >/dev/null && [ -f $F2B ]; then
  tf=$(t fail2ban-regex "$LOG" $F2B)
else
  tf=
fi
row() { # name "wall cpu"
  set -- "$1" $2
  printf '%-44s %7.2f s wall %7.2f s cpu %11.0f lines/s (cpu) %11.0f lines/s (wall)\n' "$1" "$2" "$3" \
    "$(echo "$LINES / ($3 + 0.001)" | bc -l)" "$(echo "$LINES / ($2 + 0.001)" | bc -l)"
}
row "breachwatch --log nginx, EVE to /dev/null" "$ts"
row "breachwatch --log nginx, EVE to a file" "$tsf"
row "  with the shipped rules (detection)" "$tsr"
row "Zipf clients: EVE to /dev/null, no rules" "$tzn"
row "  with the shipped rules (detection)" "$tsz"
[ -n "$tp" ] && row "  parsers + access events only (no EVE)" "$tp"
[ -n "$tf" ] && row "fail2ban-regex (nginx-botsearch)" "$tf"
row "grep -c . (floor)" "$tg"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
