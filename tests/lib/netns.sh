# Two network namespaces joined by a veth pair, for tests and benchmarks that
# need traffic on a real interface (source it; bash). Only the namespaces the
# caller names are created or removed.
#
#   netns_pair A B VA VB NET   A gets NET.1 on VA, B gets NET.2 on VB (/24);
#                              stale namespaces of the same names go first
#   netns_pair_del A B         removes both (ignores absent ones)

netns_pair_del() {
  ip netns del "$1" 2>/dev/null || true
  ip netns del "$2" 2>/dev/null || true
}

netns_pair() {
  local a=$1 b=$2 va=$3 vb=$4 net=$5
  netns_pair_del "$a" "$b"
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
