#!/usr/bin/env bash
# Payload bytes of a flow count each stream byte once: in a capture of two
# uploads over a lossy path (tests/data/retransmit, recorded by its record.sh
# between network namespaces), the dropped segments appear twice. The `flow`
# access events' payload_bytes (what rules' `estimate` turns into records)
# must equal the bytes the client wrote, for the opaque upload (no parser) and
# the HTTP one, while the flow's wire counters (EVE `flow` record) count every
# frame, retransmissions included, as tshark does. And with the first copy of
# every retransmitted segment cut out of the capture (editcap), as a sensor
# behind the loss would see it, the retransmissions fill holes behind bytes
# already seen and payload_bytes is still what the client wrote.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}" "${BW_TOOLS:?}"
D=$BW_SRC/tests/data/retransmit
command -v tshark >/dev/null && command -v editcap >/dev/null || {
    echo "SKIP: needs tshark and editcap"
    exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BW_TOOLS/bwt-flow-payload" "$D/uploads.pcap" >"$tmp/payload.txt"
printf 'state_dir: %s\n' "$tmp/state" >"$tmp/bw.yaml"
mkdir "$tmp/state"
"$BW_BIN" sensor -c "$tmp/bw.yaml" --redis none -r "$D/uploads.pcap" --eve "$tmp/eve.json"
for port in 443 80; do
    tshark -n -r "$D/uploads.pcap" -Y "tcp.dstport == $port" -T fields -e frame.len -e tcp.seq \
        -e tcp.len >"$tmp/tshark.$port" 2>/dev/null
done
# the frames whose bytes come again later: cut them out
tshark -n -r "$D/uploads.pcap" -Y "tcp.len > 0" -T fields -e frame.number -e tcp.stream -e tcp.seq \
    -e tcp.len 2>/dev/null | python3 -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
later = {}
cut = []
for f, st, s, n in reversed(rows):
    key = (st, s, n)
    if key in later:
        cut.append(f)
    later[key] = f
print(" ".join(sorted(cut, key=int)))' >"$tmp/cut.txt"
[ -s "$tmp/cut.txt" ] || { echo "FAIL: no retransmitted segment to cut"; exit 1; }
# shellcheck disable=SC2046
editcap "$D/uploads.pcap" "$tmp/behind-loss.pcap" $(cat "$tmp/cut.txt")
"$BW_TOOLS/bwt-flow-payload" "$tmp/behind-loss.pcap" >"$tmp/payload-behind.txt"
echo "cut frames: $(cat "$tmp/cut.txt")"
python3 - "$D/uploads.truth.json" "$tmp" <<'PY'
import json, sys
truth, d = json.load(open(sys.argv[1])), sys.argv[2]
fails = 0
def check(what, ok, msg):
    global fails
    print(("ok   " if ok else "FAIL ") + what + ": " + msg)
    fails += not ok
def payloads(path):
    out = {}
    for l in open(path):
        a, dst, _, b, p = l.split()
        out[int(dst.rsplit(":", 1)[1])] = (int(b.split("=")[1]), int(p.split("=")[1]))
    return out
payload = payloads(d + "/payload.txt")
behind = payloads(d + "/payload-behind.txt")
flows = {}
for l in open(d + "/eve.json"):
    e = json.loads(l)
    if e["event_type"] == "flow" and e["src_ip"] == truth["actor_ip"]:
        flows[e["dest_port"]] = e["flow"]
for f in truth["flows"]:
    port, want = f["server_port"], f["toserver_stream_bytes"]
    rows = [l.split() for l in open("%s/tshark.%d" % (d, port)) if l.strip()]
    frames, wire = len(rows), sum(int(r[0]) for r in rows)
    segs = [(int(r[1]), int(r[2])) for r in rows if int(r[2]) > 0]
    seen, dup = set(), 0
    for s, n in segs:
        new = set(range(s, s + n))
        dup += new <= seen
        seen |= new
    on_wire = sum(n for _, n in segs)
    name = "%s :%d" % (f["kind"], port)
    check(name + " capture", dup >= 1 and on_wire > want and len(seen) == want,
          "%d segments carry only bytes seen before; payload on the wire %d, distinct %d, "
          "client wrote %d" % (dup, on_wire, len(seen), want))
    got = payload.get(port)
    check(name + " payload_bytes", got is not None and got[1] == want,
          "payload_bytes %s, client wrote %d" % (got and got[1], want))
    gb = behind.get(port)
    check(name + " behind the loss", gb is not None and gb[1] == want and gb[0] < got[0],
          "first copies cut: payload_bytes %s, client wrote %d" % (gb and gb[1], want))
    fl = flows.get(port)
    check(name + " flow record", fl is not None and fl["pkts_toserver"] == frames and
          fl["bytes_toserver"] == wire,
          "pkts_toserver %s bytes_toserver %s, tshark %d frames %d bytes" %
          (fl and fl["pkts_toserver"], fl and fl["bytes_toserver"], frames, wire))
    check(name + " access bytes", got is not None and got[0] == wire,
          "access event bytes %s = to-server wire bytes %d" % (got and got[0], wire))
sys.exit(1 if fails else 0)
PY
