#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_pgsql, fuzz_mysql and fuzz_stream from the
project's own captures in tests/data/sql (tshark reads them), each TCP stream
cut to its first packets so seeds stay small. Usage: mkseeds-sql.py"""
import os, struct, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.join(here, "..", "data", "sql")
MAXPKTS = 24
caps = {"pgsql": "pgsql-shop.pcap", "mysql": "mysql-shop.pcap"}

def packets(path):
    out = subprocess.run(["tshark", "-r", path, "-Y", "tcp", "-T", "fields", "-e", "tcp.stream",
                          "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.ack", "-e",
                          "tcp.flags", "-e", "tcp.payload"], capture_output=True, text=True,
                         check=True).stdout
    first = {}
    for line in out.splitlines():
        f = line.split("\t")
        stream, sport = f[0], f[1]
        first.setdefault(stream, sport)
        dir_ = 0 if sport == first[stream] else 1
        yield stream, dir_, int(f[2]), int(f[3] or 0), int(f[4], 16), bytes.fromhex(f[5]) if f[5] else b""

def write(name, idx, data):
    d = os.path.join(here, "corpus", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-%02d" % idx), "wb") as fh:
        fh.write(data)

for proto, rel in caps.items():
    seeds = {}
    for stream, dir_, seq, ack, flags, pl in packets(os.path.join(src, rel)):
        app, strm, n = seeds.setdefault(stream, [bytearray(), bytearray([0]), 0])
        if n >= MAXPKTS:
            continue
        seeds[stream][2] += 1
        for off in range(0, len(pl), 100):
            ch = pl[off:off + 100]
            app += bytes([((len(ch) - 1) << 1) | dir_]) + ch
        ctl = dir_ | (2 if flags & 2 else 0) | (4 if flags & 1 else 0) | \
            (8 if flags & 4 else 0) | (16 if flags & 16 else 0)
        strm += struct.pack(">BIIH", ctl, seq, ack, len(pl)) + pl[:4096]
    for i, (app, strm, _) in enumerate(seeds.values()):
        write(proto, i, bytes(app))
        write("stream", i + (0 if proto == "pgsql" else 10), bytes(strm))
