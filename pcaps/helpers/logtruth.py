#!/usr/bin/env python3
"""Write pcaps/logs/<log>.truth.json for the server logs record.sh collected: per actor
the requests/statements/queries the log holds (counted from the log) and the customer
records that actor was shown (from the scenarios' truth files, which know them exactly;
PostgreSQL's stderr log has no row counts at all).

Usage: logtruth.py PCAPS_DIR
"""
import collections
import glob
import json
import os
import re
import sys
import urllib.parse

ROWS = 10000


def truths(d):
    out = []
    for p in sorted(glob.glob(os.path.join(d, "*.truth.json"))):
        with open(p, encoding="utf-8") as f:
            out.append(json.load(f))
    return out


def scen(ts, channel, ip, user=None):
    hit = [t for t in ts if t["channel"] == channel
           and (t["actor_ip"] == ip or ip in t.get("actors", []))
           and (user is None or t.get("user") == user)]
    return [{"scenario": t["scenario"], "label": t["label"], "records": t["records"]} for t in hit]


def write(d, name, obj):
    with open(os.path.join(d, "logs", name + ".truth.json"), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


NGINX = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+) "[^"]*" "[^"]*"$')


def nginx(d, ts):
    actors = collections.OrderedDict()
    lines = 0
    with open(os.path.join(d, "logs", "nginx-access.log"), encoding="utf-8") as f:
        for line in f:
            m = NGINX.match(line.rstrip("\n"))
            if not m:
                raise SystemExit("nginx-access.log: unparsed line %r" % line)
            lines += 1
            ip, _, _, uri, status, size = m.groups()
            a = actors.setdefault(ip, {"ip": ip, "requests": 0, "status": {}, "bytes": 0,
                                       "records": 0})
            a["requests"] += 1
            a["status"][status] = a["status"].get(status, 0) + 1
            a["bytes"] += int(size)
            u = urllib.parse.urlsplit(uri)
            if status != "200":
                continue
            if u.path == "/api/customers":
                q = urllib.parse.parse_qs(u.query)
                page, per = int(q.get("page", ["1"])[0]), int(q.get("per_page", ["50"])[0])
                a["records"] += max(0, min(per, ROWS - (page - 1) * per))
            elif u.path.startswith("/api/customers/"):
                a["records"] += 1
    for a in actors.values():
        a["scenarios"] = scen(ts, "http", a["ip"])
    write(d, "nginx-access", {
        "log": "nginx-access.log", "format": "nginx", "lines": lines,
        "dataset": "/api/customers",
        "records_rule": "200 on /api/customers?page=P&per_page=N is N records (fewer on the last page); 200 on /api/customers/{id} is 1",
        "actors": list(actors.values())})


def mariadb(d, ts):
    actors = collections.OrderedDict()
    n = 0
    cur = None
    with open(os.path.join(d, "logs", "mariadb-slow.log"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"# User@Host: (\S+)\[[^\]]*\] @ +(\S*) \[([^\]]*)\]", line)
            if m:
                user, ip = m.group(1), m.group(3)
                cur = actors.setdefault((user, ip), {"user": user, "ip": ip, "entries": 0,
                                                     "rows_sent": 0, "rows_examined": 0})
                cur["entries"] += 1
                n += 1
                continue
            m = re.search(r"Rows_sent: (\d+)\s+Rows_examined: (\d+)", line)
            if m and cur is not None:
                cur["rows_sent"] += int(m.group(1))
                cur["rows_examined"] += int(m.group(2))
    for a in actors.values():
        s = scen(ts, "mysql", a["ip"], a["user"])
        a["records"] = sum(x["records"] for x in s)
        a["scenarios"] = s
    write(d, "mariadb-slow", {
        "log": "mariadb-slow.log", "format": "mysql-slow", "long_query_time": 0,
        "entries": n, "dataset": "shop.customers",
        "note": "rows_sent includes non-customer rows (COUNT(*), GROUP BY results); records counts only customer records",
        "actors": list(actors.values())})


PG = re.compile(r"^(\S+ \S+ UTC) \[(\d+)\] (\S+)@(\S+) (\S+) (LOG|ERROR|FATAL|WARNING):  (.*)$")


def postgresql(d, ts):
    actors = collections.OrderedDict()
    n = 0
    with open(os.path.join(d, "logs", "postgresql.log"), encoding="utf-8") as f:
        for line in f:
            m = PG.match(line.rstrip("\n"))
            if not m:
                continue   # continuation lines of multi-line statements
            n += 1
            _, _, user, db, host, _, msg = m.groups()
            if user == "[unknown]":
                continue
            a = actors.setdefault((user, host), {"user": user, "ip": host, "database": db,
                                                 "connections": 0, "statements": 0,
                                                 "customer_statements": 0})
            if msg.startswith("connection authorized"):
                a["connections"] += 1
            elif msg.startswith("statement: "):
                a["statements"] += 1
                if re.search(r"\b(public\.)?customers\b", msg) and not re.search(r"pg_catalog|relname", msg):
                    a["customer_statements"] += 1
    for a in actors.values():
        s = scen(ts, "pgsql", a["ip"], a["user"])
        a["records"] = sum(x["records"] for x in s)
        a["scenarios"] = s
    write(d, "postgresql", {
        "log": "postgresql.log", "format": "postgresql",
        "log_line_prefix": "%m [%p] %q%u@%d %h ", "log_statement": "all", "log_duration": True,
        "entries": n, "dataset": "public.customers",
        "note": "the stderr log has no row counts; records come from the captures' truth files",
        "actors": list(actors.values())})


DNSQ = re.compile(r"^\w{3} [ \d]\d \S+ dnsmasq\[\d+\]: query\[(\w+)\] (\S+) from (\S+)$")


def dnsmasq(d, ts):
    actors = collections.OrderedDict()
    fwd = collections.Counter()
    with open(os.path.join(d, "logs", "dnsmasq.log"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = DNSQ.match(line)
            if m:
                qtype, name, ip = m.groups()
                a = actors.setdefault(ip, {"ip": ip, "queries": 0, "types": {}, "domains": {},
                                           "max_name_len": 0})
                a["queries"] += 1
                a["types"][qtype] = a["types"].get(qtype, 0) + 1
                dom = ".".join(name.split(".")[-2:])
                a["domains"][dom] = a["domains"].get(dom, 0) + 1
                a["max_name_len"] = max(a["max_name_len"], len(name))
                continue
            m = re.search(r"forwarded \S+ to (\S+)$", line)
            if m:
                fwd[m.group(1)] += 1
    for a in actors.values():
        s = scen(ts, "dns", a["ip"])
        a["records"] = sum(x["records"] for x in s)
        a["scenarios"] = s
    write(d, "dnsmasq", {
        "log": "dnsmasq.log", "format": "dnsmasq", "server": "10.77.0.53",
        "queries": sum(a["queries"] for a in actors.values()), "forwarded": dict(fwd),
        "actors": list(actors.values())})


def main():
    d = sys.argv[1]
    ts = truths(d)
    nginx(d, ts)
    mariadb(d, ts)
    postgresql(d, ts)
    dnsmasq(d, ts)


if __name__ == "__main__":
    main()
