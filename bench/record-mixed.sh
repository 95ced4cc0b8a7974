#!/usr/bin/env bash
# Shared by the benchmarks (not a test): records SIZE_MB of real mixed traffic
# (HTTP downloads of random binary files 1 kB..4 MB, TLS, DNS; four parallel
# clients) between two network namespaces it creates and removes, into OUT.
# Sourced: `. bench/record-mixed.sh; bw_record_mixed OUT SIZE_MB PREFIX NET`
# (PREFIX names the namespaces, NET is the /24 used, e.g. 10.99.2); run as a
# program it takes the same arguments. Needs root.

# bw_record_mixed OUT SIZE_MB PREFIX NET: records into OUT (overwritten);
# returns non-zero on failure. Cleans up its namespaces and servers itself.
bw_record_mixed() {
  local out=$1 size_mb=$2 prefix=$3 net=$4
  [ "$(id -u)" -eq 0 ] || { echo "recording needs root (network namespaces)" >&2; return 1; }
  (
    set -euo pipefail
    local A=${prefix}a B=${prefix}b VA=${prefix}va VB=${prefix}vb
    local tmp pids=()
    tmp=$(mktemp -d /tmp/bw-record.XXXXXX)
    cleanup() {
      for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
      wait 2>/dev/null || true
      ip netns del "$A" 2>/dev/null || true
      ip netns del "$B" 2>/dev/null || true
      rm -rf "$tmp"
    }
    trap cleanup EXIT
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    ip netns add "$A"
    ip netns add "$B"
    ip link add "$VA" netns "$A" type veth peer name "$VB" netns "$B"
    ip -n "$A" addr add "$net.1/24" dev "$VA"
    ip -n "$B" addr add "$net.2/24" dev "$VB"
    for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
    ip -n "$A" link set "$VA" up
    ip -n "$B" link set "$VB" up
    # Segments of at most the MTU on the wire, as on a real network (no
    # GRO/TSO super-packets in the capture).
    ip netns exec "$A" ethtool -K "$VA" tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$B" ethtool -K "$VB" tso off gso off gro off >/dev/null 2>&1 || true

    # Servers in B: HTTP (python), TLS (openssl s_server -WWW), DNS (dnsmasq).
    mkdir -p "$tmp/www"
    for s in 1 4 16 64 256 1024 4096; do head -c $((s * 1024)) /dev/urandom >"$tmp/www/f$s.bin"; done
    (cd "$tmp/www" && exec ip netns exec "$B" python3 -m http.server 8080 --bind "$net.2" \
      >/dev/null 2>&1) &
    pids+=($!)
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
      -days 1 -subj /CN=bench >/dev/null 2>&1
    (cd "$tmp/www" && exec ip netns exec "$B" openssl s_server -quiet -accept 8443 -WWW \
      -cert "$tmp/cert.pem" -key "$tmp/key.pem" >/dev/null 2>&1) &
    pids+=($!)
    ip netns exec "$B" dnsmasq -k --no-resolv --no-hosts --listen-address="$net.2" \
      --bind-interfaces --address=/bench.test/"$net.2" --pid-file="$tmp/dnsmasq.pid" \
      >/dev/null 2>&1 &
    pids+=($!)
    sleep 1

    local cap=$tmp/rec.pcap
    ip netns exec "$A" tcpdump -i "$VA" -s 0 -B 262144 -U -n -w "$cap" 2>/dev/null &
    local tdpid=$!
    pids+=($tdpid)
    sleep 1
    local want=$((size_mb * 1024 * 1024))
    client() { # one client loop: mixed requests until the capture is big enough
      local i=$1 n=0 h=http://$net.2:8080
      while [ "$(stat -c %s "$cap")" -lt "$want" ]; do
        n=$((n + 1))
        case $(((i + n) % 6)) in
          0) ip netns exec "$A" curl -s -o /dev/null $h/f4096.bin ;;
          1) ip netns exec "$A" curl -s -o /dev/null $h/f1.bin -o /dev/null $h/f4.bin \
               -o /dev/null $h/f16.bin ;;
          2) ip netns exec "$A" curl -s -o /dev/null $h/f1024.bin ;;
          3) ip netns exec "$A" curl -sk -o /dev/null "https://$net.2:8443/f256.bin" ;;
          4) ip netns exec "$A" dig +short +tries=1 +time=1 @"$net.2" "h$n-$i.bench.test" \
               >/dev/null ;;
          5) ip netns exec "$A" curl -s -o /dev/null $h/f64.bin ;;
        esac
      done
    }
    local cpids=()
    for i in 1 2 3 4; do client $i & cpids+=($!); done
    pids+=("${cpids[@]}")
    wait "${cpids[@]}" 2>/dev/null || true
    sleep 0.5
    kill -INT $tdpid
    wait $tdpid 2>/dev/null || true
    mkdir -p "$(dirname "$out")"
    mv "$cap" "$out"
  )
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -eq 4 ] || { echo "usage: $0 OUT SIZE_MB PREFIX NET" >&2; exit 2; }
  bw_record_mixed "$@"
fi
