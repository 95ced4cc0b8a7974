#!/usr/bin/env python3
"""XADDs N alerts (one actor each, 10.201.x.y) into bw:alerts over a Redis
Unix socket (RESP spoken directly, so no process start sits inside the
measurement), 20 ms apart, and writes "<wall_us> <ip>" per alert, the time
taken just before the command is sent. Used by bench/contain-latency.sh."""
import json
import socket
import sys
import time

sock_path, n, out = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "w")
s = socket.socket(socket.AF_UNIX)
s.connect(sock_path)


def cmd(*args):
    b = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        b += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(b)
    return s.recv(4096)


for i in range(1, n + 1):
    ip = "10.201.%d.%d" % (i // 250, i % 250 + 1)
    now = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06d+0000" % int(now % 1 * 1e6)
    eve = {"timestamp": ts, "event_type": "alert", "src_ip": ip, "src_port": 40000,
           "dest_ip": "10.0.0.5", "dest_port": 5432, "proto": "TCP", "app_proto": "pgsql",
           "alert": {"action": "allowed", "gid": 1, "signature_id": 9100001, "rev": 1,
                     "signature": "Bulk read of customer records",
                     "category": "Potential Data Exfiltration", "severity": 2,
                     "metadata": {"mitre_technique_id": ["T1005"]}},
           "breach": {"alert_id": "bench-%d" % i, "update": 0, "count": 1,
                      "rule": "bulk-read-customers", "channel": "pgsql",
                      "actor": {"ip": ip, "user": "app"}, "dataset": "public.customers",
                      "records": 5000, "bytes": 500000, "pii": {"email": 5000},
                      "window_s": 300,
                      "threshold": {"measure": "records", "value": 5000, "limit": 1000}}}
    t = time.time_ns() // 1000
    r = cmd("XADD", "bw:alerts", "*", "eve", json.dumps(eve, separators=(",", ":")))
    assert r.startswith(b"$"), r
    out.write("%d %s\n" % (t, ip))
    out.flush()
    time.sleep(0.02)
