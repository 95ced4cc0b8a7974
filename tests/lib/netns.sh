# Two network namespaces joined by a veth pair, for tests and benchmarks that
# need traffic on a real interface (source it; bash). Only the namespaces the
# caller names are created or removed. Names carry the run's id ($BW_RUN of
# tests/lib/common.sh) so that two runs at once never share a namespace:
#
#   netns_names PREFIX         sets NS_A NS_B (PREFIX-a-RUN, PREFIX-b-RUN) and
#                              NS_VA NS_VB (PREFIX-va-RUN, PREFIX-vb-RUN; the
#                              interface names, so PREFIX is at most 5 chars)
#   netns_pair A B VA VB NET   A gets NET.1 on VA, B gets NET.2 on VB (/24);
#                              stale namespaces of the same names (a dead run
#                              of the same pid) go first; removed again at exit
#                              (bw_on_exit --last: after the caller's own cleanup)
#   netns_pair_del A B         removes both (ignores absent ones), killing what
#                              still runs in them
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

netns_names() {
  NS_A=$1-a-$BW_RUN NS_B=$1-b-$BW_RUN NS_VA=$1-va-$BW_RUN NS_VB=$1-vb-$BW_RUN
  if [ ${#NS_VA} -gt 15 ]; then
    echo "netns_names: interface name $NS_VA longer than 15 characters" >&2
    return 1
  fi
}

netns_pair_del() {
  local ns p
  for ns in "$1" "$2"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

netns_pair() {
  local a=$1 b=$2 va=$3 vb=$4 net=$5
  if [ ${#va} -gt 15 ] || [ ${#vb} -gt 15 ]; then
    echo "netns_pair: interface names $va $vb: at most 15 characters" >&2
    return 1
  fi
  netns_pair_del "$a" "$b"
  bw_on_exit --last "netns_pair_del '$a' '$b'"
  ip netns add "$a"
  ip netns add "$b"
  ip link add "$va" netns "$a" type veth peer name "$vb" netns "$b"
  ip -n "$a" addr add "$net.1/24" dev "$va"
  ip -n "$b" addr add "$net.2/24" dev "$vb"
  local ns
  for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
  ip -n "$a" link set "$va" up
  ip -n "$b" link set "$vb" up
}
