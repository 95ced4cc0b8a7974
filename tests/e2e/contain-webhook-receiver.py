#!/usr/bin/env python3
"""Webhook receiver for tests/e2e/contain-webhook.sh: records every POST (time,
path, headers, body) as one JSON line and answers with the status the path's
plan gives: /flaky fails with 500 twice then 200, /gone always 404, /down
always 503, anything else 200. Listens on 127.0.0.1 (port 0 = any; the port is
written to the file named by the second argument)."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

LOG = sys.argv[1]
counts = {}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        counts[self.path] = counts.get(self.path, 0) + 1
        if self.path == "/flaky":
            status = 500 if counts[self.path] <= 2 else 200
        elif self.path == "/gone":
            status = 404
        elif self.path == "/down":
            status = 503
        else:
            status = 200
        with open(LOG, "a") as f:
            f.write(json.dumps({"t": time.monotonic(), "path": self.path, "status": status,
                                "ctype": self.headers.get("Content-Type"),
                                "key": self.headers.get("Idempotency-Key"),
                                "body": body}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
