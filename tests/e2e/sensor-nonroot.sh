#!/usr/bin/env bash
# The sensor's privilege drop, as the systemd unit uses it: started as root
# with --user nobody on a live interface (a veth in namespaces this test
# makes), it gives up every id and capability and still captures the traffic
# sent afterwards (its flows are reported); started without privileges it
# refuses cleanly (exit 1, one message naming the interface, no crash).
set -euo pipefail
. "$(dirname "$0")/../lib/netns.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip setpriv python3; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
netns_names bw-an
A=$NS_A B=$NS_B VA=$NS_VA VB=$NS_VB
tmp=$(mktemp -d /tmp/bw-analyst-nr.XXXXXX)
chmod 755 "$tmp"
spid=
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
  wait 2>/dev/null || true
  netns_pair_del $A $B
  rm -rf "$tmp"
}
bw_on_exit cleanup
fail() { echo "FAIL: $*"; exit 1; }
netns_pair $A $B $VA $VB 10.99.7

# 1. Root with --user nobody, confined as config/systemd/breachwatch-sensor.service
# confines it: no new privileges, its capability bounding set, the EVE file in
# a folder owned by the unprivileged user.
bset=$(sed -n 's/^CapabilityBoundingSet=//p' "$BW_SRC/config/systemd/breachwatch-sensor.service" |
       tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
[ -n "$bset" ] || fail "no CapabilityBoundingSet in the sensor unit"
mkdir -m 0750 "$tmp/log"
chown nobody: "$tmp/log"
ip netns exec $A setpriv --no-new-privs --bounding-set "-all,$bset" -- \
  "$BW_BIN" sensor -i $VA --user nobody --eve "$tmp/log/eve.json" 2>"$tmp/sensor.err" &
spid=$!
nobody=$(id -u nobody)
ok=
for _ in $(seq 50); do
  if [ -r /proc/$spid/status ] && grep -q "^Uid:[[:space:]]*$nobody[[:space:]]" /proc/$spid/status; then
    ok=1; break
  fi
  sleep 0.1
done
[ -n "$ok" ] || { cat "$tmp/sensor.err"; fail "sensor did not switch to nobody"; }
read -r _ ruid euid suid fsuid < <(grep '^Uid:' /proc/$spid/status)
read -r _ rgid egid sgid fsgid < <(grep '^Gid:' /proc/$spid/status)
caps=$(awk '/^CapEff:/ {print $2}' /proc/$spid/status)
[ "$ruid $euid $suid $fsuid" = "$nobody $nobody $nobody $nobody" ] || fail "uids $ruid/$euid/$suid/$fsuid"
ngid=$(id -g nobody)
[ "$rgid $egid $sgid $fsgid" = "$ngid $ngid $ngid $ngid" ] || fail "gids $rgid/$egid/$sgid/$fsgid"
[ "$caps" = "0000000000000000" ] || fail "effective capabilities left: $caps"
groups=$(awk '/^Groups:/ {$1=""; print $0}' /proc/$spid/status | xargs)
[ -z "$groups" ] || [ "$groups" = "$ngid" ] || fail "supplementary groups left: $groups"
echo "bounding set $bset; dropped: uid $euid gid $egid caps $caps groups [${groups}]"

# Traffic after the drop: the handle opened as root keeps delivering packets.
# A UDP echo across the veth: 5 datagrams each way.
ip netns exec $A python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.99.7.1", 9999)); s.settimeout(10)
for _ in range(5):
    d, a = s.recvfrom(2048); s.sendto(d, a)
' &
epid=$!
sleep 0.3
ip netns exec $B python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for i in range(5):
    s.sendto(b"x" * 100, ("10.99.7.1", 9999)); s.recvfrom(2048)
' || fail "UDP echo through the veth failed"
wait $epid || fail "echo server failed"
sleep 0.3
kill -INT $spid
rc=0
wait $spid || rc=$?
spid=
[ $rc -eq 0 ] || { cat "$tmp/sensor.err"; fail "sensor exited $rc"; }
python3 - "$tmp/log/eve.json" <<'PY'
import json, sys
flows = [e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "flow"]
udp = [f for f in flows if f["proto"] == "UDP" and f["dest_port"] == 9999
       and (f["src_ip"], f["dest_ip"]) == ("10.99.7.2", "10.99.7.1")]
assert udp, f"no UDP flow between the namespaces in {len(flows)} flows"
f = udp[0]["flow"]
assert f["pkts_toserver"] >= 5 and f["pkts_toclient"] >= 5, f"flow counts {f}"
print(f"captured after the drop: {f['pkts_toserver']}+{f['pkts_toclient']} packets")
PY

# 2. Without privileges: a clean refusal.
rc=0
ip netns exec $A setpriv --reuid=nobody --regid="$ngid" --clear-groups --inh-caps=-all -- \
  "$BW_BIN" sensor -i $VA --eve /dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
[ $rc -eq 1 ] || { cat "$tmp/err"; fail "unprivileged sensor exited $rc (want 1)"; }
[ "$(wc -l <"$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "want exactly one error line"; }
grep -q "breachwatch sensor: $VA: .*permission" "$tmp/err" || { cat "$tmp/err"; fail "unclear refusal"; }
[ ! -s "$tmp/out" ] || fail "refusal wrote to stdout"
echo "refused: $(cat "$tmp/err")"

# 3. Without privileges, --user naming someone else is refused too.
rc=0
ip netns exec $A setpriv --reuid=nobody --regid="$ngid" --clear-groups -- \
  "$BW_BIN" sensor -r "$BW_SRC/pcaps/benign-dns.pcap" --user root --eve /dev/null 2>"$tmp/err2" || rc=$?
[ $rc -eq 1 ] || { cat "$tmp/err2"; fail "--user root as nobody exited $rc (want 1)"; }
echo "refused: $(cat "$tmp/err2")"
echo "ok"
