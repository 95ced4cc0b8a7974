#!/usr/bin/env python3
"""Fault-injecting proxy for the responder e2e tests: listens on a Unix
socket, relays each RESP command to a real redis-server and its reply back,
but answers a read command outside MULTI with an error reply instead
(-LOADING or -BUSY, chosen at random with probability P, seeded), so reads
fail while writes go through. Writes the number of injected errors to
COUNTFILE on exit (SIGTERM).
usage: redis-fault-proxy.py LISTEN_SOCK REDIS_SOCK P SEED COUNTFILE"""
import os
import random
import signal
import socket
import sys
import threading

READS = {b"GET", b"HGET", b"HGETALL", b"HEXISTS", b"HMGET", b"EXISTS", b"XRANGE"}
ERRORS = [b"-LOADING Redis is loading the dataset in memory\r\n",
          b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"]


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def exact(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def value(self, raw):
        """One RESP value; appends its bytes to raw, returns it (bulk as bytes)."""
        ln = self.line()
        raw.append(ln + b"\r\n")
        t, rest = ln[:1], ln[1:]
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.exact(n + 2)
            raw.append(data)
            return data[:-2]
        if t == b"*":
            n = int(rest)
            return [self.value(raw) for _ in range(max(n, 0))]
        return rest


state = {"injected": 0}
lock = threading.Lock()


def serve(client, redis_path, p, rng):
    up = socket.socket(socket.AF_UNIX)
    up.connect(redis_path)
    cr, ur = Reader(client), Reader(up)
    in_multi = False
    try:
        while True:
            raw = []
            cmd = cr.value(raw)
            name = (cmd[0] if isinstance(cmd, list) and cmd else b"").upper()
            if name == b"MULTI":
                in_multi = True
            elif name in (b"EXEC", b"DISCARD"):
                in_multi = False
            with lock:
                fault = not in_multi and name in READS and rng.random() < p
                if fault:
                    state["injected"] += 1
                    err = rng.choice(ERRORS)
            if fault:
                client.sendall(err)
                continue
            up.sendall(b"".join(raw))
            rraw = []
            ur.value(rraw)
            client.sendall(b"".join(rraw))
    except (EOFError, OSError):
        pass
    finally:
        client.close()
        up.close()


def main():
    listen, redis_path, p, seed, countfile = sys.argv[1:6]
    rng = random.Random(int(seed))
    srv = socket.socket(socket.AF_UNIX)
    if os.path.exists(listen):
        os.unlink(listen)
    srv.bind(listen)
    srv.listen(16)

    def done(*_):
        with open(countfile, "w") as f:
            f.write("%d\n" % state["injected"])
        os._exit(0)

    signal.signal(signal.SIGTERM, done)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, redis_path, float(p), rng), daemon=True).start()


main()
