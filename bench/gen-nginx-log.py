#!/usr/bin/env python3
"""Writes a realistic nginx combined access log with a fixed seed.
Usage: gen-nginx-log.py LINES OUT [CLIENTS]
Without CLIENTS every line comes from a random address (almost every line a new
client: the detectors' worst case, a group for each). With CLIENTS the
addresses are drawn from that many clients with Zipf-like weights 1/rank^1.1
(a few busy clients, a long tail), as a public server's log looks."""
import itertools, random, sys

n, out = int(sys.argv[1]), sys.argv[2]
clients = int(sys.argv[3]) if len(sys.argv) > 3 else 0
rng = random.Random(20261201)

def random_ip():
    return "%d.%d.%d.%d" % (rng.choice((10, 172, 192, 203, 198)), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))

if clients:
    pool = [random_ip() for _ in range(clients)]
    cum = list(itertools.accumulate(1.0 / (r + 1) ** 1.1 for r in range(clients)))
    picks = iter(rng.choices(pool, cum_weights=cum, k=n))
    next_ip = lambda: next(picks)
else:
    next_ip = random_ip
uas = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
       "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
       "curl/7.88.1", "python-requests/2.31.0", "okhttp/4.12.0",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"]
paths = ["/api/customers/%d", "/api/orders/%d", "/api/customers/%d/invoices", "/static/app.%d.js",
         "/", "/login", "/api/search?q=x%d", "/wp-login.php", "/api/export?page=%d"]
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
t = 0
with open(out, "w") as f:
    w = f.write
    for i in range(n):
        t += rng.random() * 0.05
        s = int(t)
        hh, mm, ss = (7 + s // 3600) % 24, (s // 60) % 60, s % 60
        ip = next_ip()
        p = rng.choice(paths)
        if "%d" in p:
            p = p % rng.randrange(1, 200000)
        st = rng.choice((200, 200, 200, 200, 200, 304, 404, 401, 500))
        size = rng.randrange(0, 40000) if st == 200 else rng.randrange(0, 600)
        user = rng.choice(("-", "-", "-", "alice", "svc-export"))
        ref = rng.choice(("-", "-", "https://shop.example.com/", "https://www.google.com/"))
        w('%s - %s [01/Dec/2026:%02d:%02d:%02d +0000] "%s %s HTTP/1.1" %d %d "%s" "%s"\n' % (
            ip, user, hh, mm, ss, rng.choice(("GET", "GET", "GET", "POST")), p, st, size, ref, rng.choice(uas)))
