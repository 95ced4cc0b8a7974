#!/usr/bin/env python3
"""Upload receiver of the external hosts, run behind their nginx (stdlib only).

Accepts POST/PUT on any path, reads the whole body and answers 201 with its size.
Usage: upload-sink.py ADDR PORT
"""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "drop/0.9"
    sys_version = ""

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        got = 0
        while got < n:
            chunk = self.rfile.read(min(65536, n - got))
            if not chunk:
                break
            got += len(chunk)
        body = json.dumps({"stored": True, "bytes": got}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
