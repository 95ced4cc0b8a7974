#!/usr/bin/env python3
"""Truth file of uploads.pcap (record.sh): the bytes each client wrote, next to
what tshark's dissection of the capture shows of the same flow: data segments,
the bytes they carry, the distinct stream bytes among them (the union of their
sequence ranges) and the segments that carry only bytes seen before.
usage: truth.py PCAP SENT443 SENT80 START END LOSS > uploads.truth.json"""
import hashlib
import json
import struct
import subprocess
import sys


def segments(pcap, port):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "tcp.dstport == %d && tcp.len > 0" % port,
                          "-T", "fields", "-e", "tcp.seq", "-e", "tcp.len"],
                         capture_output=True, text=True, check=True).stdout
    return [tuple(int(x) for x in l.split()) for l in out.splitlines() if l.strip()]


def measure(segs):
    """wire payload bytes, distinct stream bytes, segments with nothing new"""
    seen, dup = set(), 0
    for s, n in segs:
        new = set(range(s, s + n))
        if new <= seen:
            dup += 1
        seen |= new
    return sum(n for _, n in segs), len(seen), dup


def main():
    pcap, s443, s80, start, end, loss = sys.argv[1:]
    raw = open(pcap, "rb").read()
    n, off = 0, 24
    while off < len(raw):
        off += 16 + struct.unpack("<I", raw[off + 8:off + 12])[0]
        n += 1
    flows = []
    for port, kind, sent in ((443, "opaque", s443), (80, "http", s80)):
        wire, distinct, dup = measure(segments(pcap, port))
        flows.append({"server_ip": "89.160.20.112", "server_port": port, "kind": kind,
                      "toserver_stream_bytes": int(sent), "toserver_payload_on_wire": wire,
                      "toserver_distinct_in_capture": distinct, "duplicate_segments": dup})
    truth = {
        "scenario": "retransmit-uploads",
        "description": "two uploads over a path losing 10% of what the router forwards; the capture, "
                       "taken before the loss, holds each dropped segment and its retransmission",
        "actor_ip": "10.77.0.66",
        "flows": flows,
        "loss": loss,
        "capture": "on the router's client-side port, before the loss",
        "recorded": {"start": start, "end": end},
        "pcap": {"packets": n, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest(), "linktype": 1},
    }
    json.dump(truth, sys.stdout, indent=2)
    sys.stdout.write("\n")


main()
