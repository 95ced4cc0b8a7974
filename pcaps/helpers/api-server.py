#!/usr/bin/env python3
"""Customer API backend of the recorder, run behind nginx (stdlib only).

GET /api/customers?page=N&per_page=M   JSON array of customers, ordered by id (page >= 1,
                                       1 <= per_page <= 100, default 50)
GET /api/customers/{id}                one customer as a JSON object, 404 if absent
Usage: api-server.py CUSTOMERS.json ADDR PORT
"""
import http.server
import json
import sys
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "shop-api/1.0"
    sys_version = ""

    def send_json(self, code, obj):
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        rows = self.server.rows
        if u.path == "/api/customers":
            try:
                page = int(q.get("page", ["1"])[0])
                per = int(q.get("per_page", ["50"])[0])
            except ValueError:
                return self.send_json(400, {"error": "bad page"})
            if page < 1 or not 1 <= per <= 100:
                return self.send_json(400, {"error": "bad page"})
            return self.send_json(200, rows[(page - 1) * per:page * per])
        if u.path.startswith("/api/customers/"):
            try:
                i = int(u.path.rsplit("/", 1)[1])
            except ValueError:
                return self.send_json(400, {"error": "bad id"})
            if 1 <= i <= len(rows):
                return self.send_json(200, rows[i - 1])
            return self.send_json(404, {"error": "not found"})
        if u.path == "/healthz":
            return self.send_json(200, {"ok": True})
        return self.send_json(404, {"error": "not found"})

    def log_message(self, *args):
        pass


def main():
    srv = http.server.ThreadingHTTPServer((sys.argv[2], int(sys.argv[3])), Handler)
    with open(sys.argv[1], encoding="utf-8") as f:
        srv.rows = json.load(f)
    srv.serve_forever()


if __name__ == "__main__":
    main()
