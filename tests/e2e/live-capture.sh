#!/usr/bin/env bash
# Live capture end to end: two network namespaces joined by a veth pair, an
# HTTP server in one, curl in the other; the sensor captures live on the veth
# while tcpdump records the same interface. The sensor's flow events must
# count exactly the frames and bytes of tcpdump's file (as tshark reads it),
# a stats event with the kernel drop counters must be written, and SIGINT
# must stop the sensor within 2 s.
set -euo pipefail
. "$(dirname "$0")/../lib/netns.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip tcpdump tshark curl python3; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
netns_names bw-fc
A=$NS_A B=$NS_B VA=$NS_VA VB=$NS_VB
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  netns_pair_del $A $B
  rm -rf "$tmp"
}
bw_on_exit cleanup
fail() { echo "FAIL: $*"; exit 1; }
netns_pair $A $B $VA $VB 10.99.1

mkdir "$tmp/www"
head -c 300000 /dev/urandom >"$tmp/www/file.bin"
(cd "$tmp/www" && exec ip netns exec $B python3 -m http.server 8080 --bind 10.99.1.2 \
  >/dev/null 2>&1) &
pids+=($!)

ip netns exec $A tcpdump -i $VA -U -n -w "$tmp/td.pcap" 2>"$tmp/td.err" &
tdpid=$!
pids+=($tdpid)
# --user: the sensor gives up root once the capture handle and the EVE file
# are open (checked below through /proc).
ip netns exec $A "$BW_BIN" sensor -i $VA --user nobody --eve "$tmp/eve.json" 2>"$tmp/sensor.err" &
spid=$!
pids+=($spid)
for _ in $(seq 50); do
  grep -q "listening on" "$tmp/td.err" 2>/dev/null && break
  sleep 0.1
done
# The server is up when it answers.
for _ in $(seq 50); do
  ip netns exec $A curl -s -o /dev/null http://10.99.1.2:8080/ && break
  sleep 0.2
done
sleep 0.5 # the sensor is capturing (its handle was activated before we got here)
kill -0 $spid || { cat "$tmp/sensor.err"; fail "sensor did not start"; }
nobody=$(id -u nobody)
read -r _ ruid euid suid _ < <(grep '^Uid:' /proc/$spid/status)
[ "$ruid $euid $suid" = "$nobody $nobody $nobody" ] || fail "sensor still has uid $ruid/$euid/$suid"
for _ in 1 2 3 4 5; do
  ip netns exec $A curl -s -o "$tmp/got.bin" http://10.99.1.2:8080/file.bin
  cmp -s "$tmp/got.bin" "$tmp/www/file.bin" || fail "download differs"
done
sleep 1

t0=$(date +%s%N)
kill -INT $spid
rc=0
wait $spid || rc=$?
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ $rc -eq 0 ] || { cat "$tmp/sensor.err"; fail "sensor exited $rc"; }
[ $ms -le 2000 ] || fail "shutdown took $ms ms (> 2000)"
kill -INT $tdpid
wait $tdpid || true

python3 - "$tmp/eve.json" "$tmp/td.pcap" <<'PY'
import json, subprocess, sys
eve, pcap = sys.argv[1:3]
ours, stats = {}, []
for line in open(eve):
    e = json.loads(line)
    if e["event_type"] == "stats":
        stats.append(e["stats"])
    if e["event_type"] != "flow" or e["proto"] != "TCP" or 8080 not in (e["src_port"], e["dest_port"]):
        continue
    f = e["flow"]
    key = (e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"])
    assert key not in ours, f"flow {key} twice"
    ours[key] = (f["pkts_toserver"], f["bytes_toserver"], f["pkts_toclient"], f["bytes_toclient"])
out = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp.port == 8080", "-T", "fields",
                      "-e", "frame.len", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst",
                      "-e", "tcp.dstport"], capture_output=True, text=True, check=True).stdout
theirs = {}
for l in out.splitlines():
    ln, s, sp, d, dp = l.split("\t")
    sp, dp, ln = int(sp), int(dp), int(ln)
    if dp == 8080:
        t = theirs.setdefault((s, sp, d, dp), [0, 0, 0, 0]); t[0] += 1; t[1] += ln
    else:
        t = theirs.setdefault((d, dp, s, sp), [0, 0, 0, 0]); t[2] += 1; t[3] += ln
theirs = {k: tuple(v) for k, v in theirs.items()}
big = [k for k, v in ours.items() if v[3] > 300000]
print(f"flows: sensor {len(ours)}, tcpdump {len(theirs)}; 300 kB downloads: {len(big)}")
if ours != theirs:
    for k in sorted(set(ours) | set(theirs)):
        if ours.get(k) != theirs.get(k):
            print(f"  {k}: sensor {ours.get(k)} tcpdump {theirs.get(k)}")
    sys.exit("FAIL: flow counts differ from tcpdump's capture")
if len(big) != 5:
    sys.exit("FAIL: expected 5 download flows")
if not stats:
    sys.exit("FAIL: no stats event")
cap = stats[-1]["capture"]
for k in ("packets", "bytes", "kernel_drops", "kernel_ifdrops"):
    if k not in cap:
        sys.exit(f"FAIL: stats.capture.{k} missing")
if cap["packets"] < sum(v[0] + v[2] for v in ours.values()):
    sys.exit("FAIL: stats.capture.packets below the flows' packets")
print(f"stats: packets {cap['packets']}, kernel_drops {cap['kernel_drops']}")
PY
echo "ok: shutdown in $ms ms"
