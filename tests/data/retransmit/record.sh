#!/usr/bin/env bash
# record.sh - records tests/data/retransmit/uploads.pcap: two uploads from
# 10.77.0.66 to an external host over a lossy path, so the capture holds TCP
# retransmissions (the same bytes twice), and writes uploads.truth.json with
# the bytes each client wrote. Root; network namespaces bw-split-{cli,rtr,srv}
# only, all removed on exit.
#   cli 10.77.0.66 --- rc [rtr] rs --- srv 198.18.0.11 (rewritten to 89.160.20.112)
# The capture is taken on rc, the router's client-side port, and 10% of what
# the router forwards to the server is dropped (netem, or nftables where the
# kernel lacks sch_netem): every segment the client sent
# is in the capture, and so is each retransmission of the ones dropped later.
#   flow 1: :443, 60000 opaque bytes (no parser claims them)
#   flow 2: :80, an HTTP POST with a 40000-byte body (pcaps/helpers/upload-sink.py)
# usage: sudo tests/data/retransmit/record.sh [OUTDIR]
set -euo pipefail
LOSS="netem delay 5ms loss 10% on the router's port toward the server"
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$HERE}
[ "$(id -u)" = 0 ] || { echo "record.sh: needs root (network namespaces)" >&2; exit 1; }
for t in ip tc nft ethtool tcpdump tcprewrite python3 tshark; do
    command -v $t >/dev/null || { echo "record.sh: needs $t" >&2; exit 1; }
done
P=bw-split
T=$(mktemp -d /tmp/bw-split-rec.XXXXXX)
cleanup() {
    set +e
    [ -f "$T/tcpdump.pid" ] && kill "$(cat "$T/tcpdump.pid")" 2>/dev/null
    for pf in "$T"/*.srvpid; do [ -f "$pf" ] && kill "$(cat "$pf")" 2>/dev/null; done
    for n in cli rtr srv; do ip netns del $P-$n 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
for n in cli rtr srv; do ip netns add $P-$n; done
ip link add c0 netns $P-cli type veth peer name rc netns $P-rtr
ip link add rs netns $P-rtr type veth peer name s0 netns $P-srv
# (background processes are started by `ip netns exec` itself, so $! is theirs)
ipn() { local ns=$1; shift; ip netns exec $P-$ns "$@"; }
ipn cli ip addr add 10.77.0.66/24 dev c0
ipn rtr ip addr add 10.77.0.1/24 dev rc
ipn rtr ip addr add 198.18.0.1/24 dev rs
ipn srv ip addr add 198.18.0.11/24 dev s0
for x in "cli c0" "rtr rc" "rtr rs" "srv s0"; do
    set -- $x
    ipn $1 ip link set lo up
    ipn $1 ip link set $2 up
    # wire-sized frames with real checksums, as a SPAN port shows them
    ipn $1 ethtool -K $2 tx off tso off gso off gro off >/dev/null 2>&1 || true
done
ipn cli ip route add default via 10.77.0.1
ipn srv ip route add default via 198.18.0.1
ipn rtr sysctl -qw net.ipv4.ip_forward=1
# netem (tc qdisc netem loss 10%) where the kernel has sch_netem; else the
# same random loss from nftables in the router's forward hook
if ! ipn rtr tc qdisc add dev rs root netem delay 5ms loss 10% 2>/dev/null; then
    ipn rtr nft -f - <<'NFT'
table inet bwsplit {
    chain lossy {
        type filter hook forward priority 0; policy accept;
        ip daddr 198.18.0.11 tcp dport { 80, 443 } numgen random mod 10 == 0 drop
    }
}
NFT
    LOSS="nftables numgen random mod 10 == 0 drop (10%) in the router's forward hook, toward the server"
fi
ip netns exec $P-srv python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.11", 443)); s.listen(1)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
open(sys.argv[1], "w").write(str(n)); c.close()' "$T/got443" >/dev/null 2>&1 &
echo $! >"$T/a.srvpid"
ip netns exec $P-srv python3 "$SRC/pcaps/helpers/upload-sink.py" 198.18.0.11 80 >/dev/null 2>&1 &
echo $! >"$T/b.srvpid"
ip netns exec $P-rtr tcpdump -i rc -s 65535 -U -w "$T/raw.pcap" 'tcp and host 10.77.0.66' \
    >/dev/null 2>&1 &
echo $! >"$T/tcpdump.pid"
sleep 1.5
start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# flow 1: opaque bytes (a deterministic stream that no parser recognises)
ipn cli python3 - "$T/sent443" <<'PY'
import socket, sys, hashlib
data = b"".join(hashlib.sha256(b"bw-split %d" % i).digest() for i in range(1875))  # 60000 bytes
data = b"\x00" + data[1:]
s = socket.create_connection(("198.18.0.11", 443), timeout=30)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
s.close()
open(sys.argv[1], "w").write(str(len(data)))
PY
# flow 2: HTTP POST, the request written by hand so its size is known exactly
ipn cli python3 - "$T/sent80" <<'PY'
import socket, sys
body = b"".join(b"%06d,customer-%06d@example.org\n" % (i, i) for i in range(1, 1251))[:40000]
head = (b"POST /upload/export.bin HTTP/1.1\r\nHost: files.dropzone.example\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n" % len(body))
req = head + body
s = socket.create_connection(("198.18.0.11", 80), timeout=30)
s.sendall(req)
resp = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    resp += b
s.close()
assert b" 201 " in resp.split(b"\r\n")[0], resp[:80]
open(sys.argv[1], "w").write(str(len(req)))
PY
sleep 1
end=$(date -u +%Y-%m-%dT%H:%M:%SZ)
kill "$(cat "$T/tcpdump.pid")"; rm -f "$T/tcpdump.pid"
sleep 0.5
[ "$(cat "$T/got443")" = "$(cat "$T/sent443")" ] || { echo "server got $(cat "$T/got443") of $(cat "$T/sent443")" >&2; exit 1; }
tcprewrite --pnat=198.18.0.11/32:89.160.20.112/32 --fixcsum -i "$T/raw.pcap" -o "$OUT/uploads.pcap"
python3 "$HERE/truth.py" "$OUT/uploads.pcap" "$(cat "$T/sent443")" "$(cat "$T/sent80")" "$start" "$end" \
    "$LOSS" >"$OUT/uploads.truth.json"
cat "$OUT/uploads.truth.json"
