#!/usr/bin/env bash
# Flow accounting against tshark: for every public capture (and the project's
# own pcaps/*.pcap when recorded), the sensor's `flow` events must carry, per
# TCP/UDP conversation and direction, exactly the frames and bytes tshark
# counts, and the Community ID tshark computes.
#
# tshark's source of truth is used twice: `-z conv,tcp -z conv,udp` gives exact
# frame counts per conversation (its byte columns are rounded to kB in tshark
# 4.x, so bytes come from summing frame.len per direction over the same
# frames). Our flows are summed per 5-tuple first: a tuple can become several
# flows (port reuse, timeouts, VLANs) where tshark has one conversation row.
#
# Legitimate differences, excluded explicitly below and nowhere else:
#  - ICMP error messages quote the IP/UDP header of the packet they answer;
#    tshark shows those inner ports, we count the frame in the ICMP flow. Such
#    frames are left out of tshark's side with "not icmp and not icmpv6".
#  - Packets whose IP header claims more bytes than were captured (PKT_TRUNCATED,
#    sv-ipv4-truncated): tshark still shows the UDP ports; the decoder may refuse
#    to trust the L4 header. When our decoder counted the packet as a decode
#    event instead of a flow, the comparison allows exactly those frames to be
#    missing (they show up as decoder.event counters in the stats event).
set -euo pipefail
if [ -z "${BW_SHARED:-}" ] || [ ! -d "$BW_SHARED/pcaps-public" ]; then
  echo "SKIP: ../shared not present"
  exit 77
fi
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
caps=()
while IFS= read -r f; do caps+=("$f"); done < <(find "$BW_SHARED/pcaps-public" -name '*.pcap' -o -name '*.pcapng' | sort)
if [ -d "$BW_SRC/pcaps" ]; then
  while IFS= read -r f; do caps+=("$f"); done < <(find "$BW_SRC/pcaps" -maxdepth 1 -name '*.pcap' | sort)
fi
fail=0
n=0
for f in "${caps[@]}"; do
  n=$((n + 1))
  rm -f "$tmp/eve.json" # the EVE output appends
  "$BW_BIN" sensor -r "$f" --eve "$tmp/eve.json" >/dev/null 2>"$tmp/err" || {
    echo "FAIL $f: sensor exited $?"; cat "$tmp/err"; fail=1; continue; }
  tshark -r "$f" -q -z conv,tcp -z conv,udp >"$tmp/conv" 2>/dev/null
  tshark --enable-protocol communityid -r "$f" -Y "(tcp or udp) and not icmp and not icmpv6" \
    -T fields -E separator=/t -e frame.len -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
    -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e communityid \
    >"$tmp/frames" 2>/dev/null
  if ! python3 - "$f" "$tmp/eve.json" "$tmp/conv" "$tmp/frames" <<'PY'
import json, sys, re, ipaddress
cap, eve, conv, frames = sys.argv[1:5]
def ep(a, p):
    ip = ipaddress.ip_address(a)
    return (ip.version, ip, int(p))
ours = {}
cids = {}
trunc_events = 0
for line in open(eve):
    ev = json.loads(line)
    if ev["event_type"] == "stats":
        d = ev["stats"]["decoder"].get("event", {})
        trunc_events = sum(v for g in d.values() for v in g.values())
        continue
    if ev["event_type"] != "flow" or ev["proto"] not in ("TCP", "UDP"):
        continue
    a, b = ep(ev["src_ip"], ev["src_port"]), ep(ev["dest_ip"], ev["dest_port"])
    fl = ev["flow"]
    key = (ev["proto"], min(a, b), max(a, b))
    fw = (fl["pkts_toserver"], fl["bytes_toserver"])
    bw = (fl["pkts_toclient"], fl["bytes_toclient"])
    if a > b:
        fw, bw = bw, fw
    t = ours.setdefault(key, [0, 0, 0, 0])
    t[0] += fw[0]; t[1] += fw[1]; t[2] += bw[0]; t[3] += bw[1]
    cids.setdefault(key, set()).add(ev["community_id"])
theirs = {}
tcids = {}
for line in open(frames):
    c = line.rstrip("\n").split("\t")
    if len(c) < 10:
        continue
    ln, s4, s6, d4, d6, ts, td, us, ud, cid = c[:10]
    src = (s4 or s6).split(",")[0]; dst = (d4 or d6).split(",")[0]
    proto, sp, dp = ("TCP", ts, td) if ts else ("UDP", us, ud)
    if not src or not sp:
        continue
    a, b = ep(src, sp.split(",")[0]), ep(dst, dp.split(",")[0])
    key = (proto, min(a, b), max(a, b))
    t = theirs.setdefault(key, [0, 0, 0, 0])
    i = 0 if a <= b else 2
    t[i] += 1; t[i + 1] += int(ln)
    if cid:
        tcids.setdefault(key, set()).add(cid)
# Frame counts from tshark's conversation table (exact); bytes are rounded there.
conv_frames = {}
proto = None
for line in open(conv):
    if line.startswith("TCP Conversations"): proto = "TCP"
    if line.startswith("UDP Conversations"): proto = "UDP"
    m = re.match(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+[\d,]+ \S+\s+(\d+)\s+[\d,]+ \S+\s+(\d+)", line)
    if m and proto:
        a, b = ep(m.group(1), m.group(2)), ep(m.group(3), m.group(4))
        left, right = int(m.group(5)), int(m.group(6))  # "<-" = frames b->a, "->" = a->b
        key = (proto, min(a, b), max(a, b))
        ab, ba = (right, left)
        if a > b: ab, ba = ba, ab
        t = conv_frames.setdefault(key, [0, 0]); t[0] += ab; t[1] += ba
bad = []
for key in sorted(set(ours) | set(theirs), key=str):
    o = ours.get(key, [0, 0, 0, 0]); t = theirs.get(key, [0, 0, 0, 0])
    if o != t:
        missing = (t[0] - o[0]) + (t[2] - o[2])
        if o == [0, 0, 0, 0] and missing <= trunc_events:
            trunc_events -= missing   # frames the decoder refused (see header)
            continue
        bad.append(f"{key}: ours {o} tshark {t}")
    c = conv_frames.get(key)
    if c is not None and key in ours and c != [o[0], o[2]]:
        bad.append(f"{key}: ours frames {[o[0], o[2]]} tshark conv {c}")
    if key in ours and key in tcids and cids[key] != tcids[key]:
        bad.append(f"{key}: community_id ours {cids[key]} tshark {tcids[key]}")
for key in conv_frames:
    if key not in theirs:
        bad.append(f"{key}: in tshark conv but not in its frames")
if bad:
    print(f"FAIL {cap}:"); [print("  " + x) for x in bad]
    sys.exit(1)
print(f"ok   {cap}: {len(ours)} tuples")
PY
  then fail=1; fi
done
[ $n -gt 0 ] || { echo "FAIL: no captures found"; exit 1; }
exit $fail
