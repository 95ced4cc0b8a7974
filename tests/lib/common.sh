# Sourced by script tests (bash): a per-run id for names that live outside the
# test's temp dir (network namespaces, interfaces), free TCP ports, and one
# EXIT trap that runs a list of cleanup commands. See docs/development.md.
#
#   BW_RUN               short id of this run (the test shell's pid in base 36,
#                        at most 5 characters): unique among running tests, so
#                        two suites at once never pick the same names
#   bw_on_exit [--last] CMD
#                        adds CMD (a string, eval'd) to the cleanup list; at
#                        exit the list runs last-added first (--last: CMD runs
#                        after everything added so far and later, e.g. removing
#                        a namespace after the test has stopped what it ran in
#                        it), every command runs even if one fails, and the
#                        exit status stays the script's. An EXIT trap set
#                        before the first call is kept (it runs before --last
#                        commands). Never set `trap ... EXIT` after it.
#   bw_free_ports N      prints N distinct TCP ports free on 127.0.0.1, one a
#                        line (the kernel picks them: bind to port 0); a port
#                        can be taken by someone else before it is used, so
#                        callers check that the server they start owns it
[ -n "${BW_COMMON_SH:-}" ] && return 0
BW_COMMON_SH=1

bw_base36() {
  local n=$1 d=0123456789abcdefghijklmnopqrstuvwxyz s=
  while :; do
    s=${d:n % 36:1}$s
    n=$((n / 36))
    [ "$n" -gt 0 ] || break
  done
  printf '%s\n' "$s"
}
BW_RUN=$(bw_base36 $$)

BW_EXIT_CMDS=()
bw_exit_run() {
  local rc=$? i
  set +e
  trap - EXIT
  for ((i = ${#BW_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
    eval "${BW_EXIT_CMDS[i]}"
  done
  BW_EXIT_CMDS=()
  exit "$rc"
}
bw_on_exit() {
  local last= cmd prev
  [ "$1" = --last ] && { last=1; shift; }
  cmd=$1
  if [ ${#BW_EXIT_CMDS[@]} -eq 0 ]; then
    prev=$(trap -p EXIT)
    if [ -n "$prev" ]; then
      eval "set -- ${prev#trap -- }"
      [ "$1" = bw_exit_run ] || BW_EXIT_CMDS+=("$1")
    fi
  fi
  if [ -n "$last" ]; then
    BW_EXIT_CMDS=("$cmd" "${BW_EXIT_CMDS[@]}")
  else
    BW_EXIT_CMDS+=("$cmd")
  fi
  trap bw_exit_run EXIT
}
# A signal ends the script through its EXIT trap (the cleanup list runs).
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

bw_free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    held.append(s)
for s in held:
    print(s.getsockname()[1])
PY
}
