# Sourced by script tests (bash): one private redis-server for the test, on a
# Unix socket in the test's temp dir (no TCP port unless asked), shut down at
# exit through the cleanup list of tests/lib/common.sh. See docs/development.md.
#
#   redis_need               exit 77 (skipped) unless redis-server and redis-cli exist
#   redis_setup DIR          data dir and socket (DIR/redis.sock); sets REDIS_DIR,
#                            REDIS_SOCK, REDIS_URL (unix://...), REDIS_LOG.
#                            Without it the first redis_start makes a temp dir
#                            (removed at exit)
#   redis_start [OPTS] [-- REDIS-SERVER ARGS...]
#                            starts the server (again, after a stop) and waits
#                            until it answers PING (10 s, else exit 1 with its log)
#       --aof                appendonly yes, appendfsync always (restart keeps data)
#       --tcp                also listen on a free port of 127.0.0.1: REDIS_PORT
#       --any-reply          up once it answers anything (e.g. -LOADING), not only PONG
#     sets REDIS_PID (a child of the test shell); the log is appended to REDIS_LOG
#   redis_stop               SIGTERM (a clean shutdown), waits, removes the socket
#   redis_kill               SIGKILL (a crash), waits, removes the socket
#   rcli ARGS...             redis-cli on the socket
#   redis_group_field STREAM GROUP FIELD   one field of XINFO GROUPS (lag,
#                            entries-read, last-delivered-id, pending...), first group
#                            of that name; empty if there is none
#   redis_pending STREAM GROUP   entries pending in GROUP (XPENDING count)
#   redis_wait_drained STREAM GROUP [TRIES]   waits (TRIES x 0.1 s, default 600)
#                            until the group's lag and pending are 0; sets
#                            REDIS_LAG and REDIS_PEND; returns 1 if they never are
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REDIS_DIR= REDIS_SOCK= REDIS_URL= REDIS_LOG= REDIS_PID= REDIS_PORT= REDIS_OWN_DIR=
REDIS_CLEANUP_SET=

redis_need() {
  local t
  for t in redis-server redis-cli; do
    command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
  done
}

redis_setup() {
  REDIS_DIR=$1
  REDIS_SOCK=$REDIS_DIR/redis.sock
  REDIS_URL=unix://$REDIS_SOCK
  REDIS_LOG=$REDIS_DIR/redis.log
  if [ -z "$REDIS_CLEANUP_SET" ]; then
    bw_on_exit redis_cleanup
    REDIS_CLEANUP_SET=1
  fi
}

rcli() { redis-cli -s "$REDIS_SOCK" "$@"; }

redis_start() {
  local aof=no any= tcp= args=()
  while [ $# -gt 0 ]; do
    case $1 in
      --aof) aof=yes ;;
      --tcp) tcp=1 ;;
      --any-reply) any=1 ;;
      --) shift; args=("$@"); break ;;
      *) echo "redis_start: unknown option $1" >&2; exit 1 ;;
    esac
    shift
  done
  if [ -z "$REDIS_DIR" ]; then
    redis_setup "$(mktemp -d /tmp/bw-redis.XXXXXX)"
    REDIS_OWN_DIR=1
  fi
  [ -z "$REDIS_PID" ] || { echo "redis_start: already running (pid $REDIS_PID)" >&2; exit 1; }
  local try port=0
  for try in 1 2 3; do
    if [ -n "$tcp" ]; then
      port=$(bw_free_ports 1)
      REDIS_PORT=$port
    fi
    rm -f "$REDIS_SOCK"
    redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$REDIS_SOCK" --dir "$REDIS_DIR" \
      --save "" --appendonly "$aof" --appendfsync always --daemonize no "${args[@]}" \
      >>"$REDIS_LOG" 2>&1 &
    REDIS_PID=$!
    local r
    for _ in $(seq 500); do
      if [ -S "$REDIS_SOCK" ]; then
        r=$(rcli PING 2>/dev/null || true)
        if [ "$r" = PONG ] || { [ -n "$any" ] && [ -n "$r" ]; }; then
          return 0
        fi
      fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.02
    done
    kill -KILL "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
    # Only a TCP port taken meanwhile is worth another try.
    [ -n "$tcp" ] && grep -q "Address already in use" "$REDIS_LOG" || break
  done
  echo "redis-server did not start"
  cat "$REDIS_LOG"
  exit 1
}

redis_stop() {
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  REDIS_PID=
  rm -f "$REDIS_SOCK"
}

redis_kill() {
  if [ -n "$REDIS_PID" ]; then
    kill -KILL "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  REDIS_PID=
  rm -f "$REDIS_SOCK"
}

# At exit: SHUTDOWN NOSAVE, SIGKILL after 2 s if it is still there (stalled
# in a script, stopped), then the temp dir if redis_start made it.
redis_cleanup() {
  if [ -n "$REDIS_PID" ]; then
    timeout 2 redis-cli -s "$REDIS_SOCK" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
    for _ in $(seq 100); do
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.02
    done
    kill -KILL "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
  fi
  [ -z "$REDIS_OWN_DIR" ] || [ -n "${KEEP:-}" ] || rm -rf "$REDIS_DIR"
}

redis_group_field() {
  rcli XINFO GROUPS "$1" 2>/dev/null |
    awk -v g="$2" -v f="$3" 'p == "name" { cur = $0 } cur == g && p == f { print; exit } { p = $0 }'
}

redis_pending() { rcli XPENDING "$1" "$2" | head -1; }

redis_wait_drained() {
  local tries=${3:-600}
  for _ in $(seq "$tries"); do
    REDIS_LAG=$(redis_group_field "$1" "$2" lag)
    REDIS_PEND=$(redis_pending "$1" "$2")
    [ "$REDIS_LAG" = 0 ] && [ "$REDIS_PEND" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
