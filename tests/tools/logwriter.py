#!/usr/bin/env python3
"""Appends numbered nginx combined lines to a log, rotating it on the way.

Usage: logwriter.py LOG COUNT PLAN [EVE]
PLAN is a comma-separated list of N:ACTION: before line N, do ACTION, one of
  rename      mv LOG LOG.K (the writer reopens LOG for each line, like a server after USR1)
  copytrunc   cp LOG LOG.K, then truncate LOG (the follower is first allowed to catch
              up by waiting until EVE holds N-1 events: copytruncate loses what was not
              read before the truncation, as logrotate documents)
  delete      rm LOG (the next line recreates it)
  pause       sleep 0.5 s
K counts rotations (1, 2, ...), as logrotate's dateext or numbering keeps them apart.
Lines are written one write() each, with a short pause every 50 lines."""
import os, shutil, sys, time

log, count, plan = sys.argv[1], int(sys.argv[2]), sys.argv[3]
eve = sys.argv[4] if len(sys.argv) > 4 else None
actions = {}
for item in filter(None, plan.split(",")):
    n, a = item.split(":")
    actions.setdefault(int(n), []).append(a)

def wait_eve(n):
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with open(eve) as f:
                if sum(1 for _ in f) >= n:
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    sys.exit("logwriter: follower did not catch up to %d" % n)

k = 0
for i in range(1, count + 1):
    for a in actions.get(i, []):
        if a in ("rename", "copytrunc"):
            k += 1
        if a == "rename":
            os.rename(log, "%s.%d" % (log, k))
        elif a == "copytrunc":
            wait_eve(i - 1)
            shutil.copyfile(log, "%s.%d" % (log, k))
            with open(log, "r+") as f:
                f.truncate(0)
        elif a == "delete":
            os.unlink(log)
        elif a == "pause":
            time.sleep(0.5)
    line = '127.0.0.1 - - [01/Dec/2026:08:00:00 +0000] "GET /n/%d HTTP/1.1" 200 %d "-" "w"\n' % (i, i)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, line.encode())
    os.close(fd)
    if i % 50 == 0:
        time.sleep(0.005)
