#!/usr/bin/env python3
"""Count the rows in a database capture with tshark's own pgsql and mysql dissectors and
compare them with the capture's truth file. Used by pcaps/check.sh.

Rows are attributed to the query that asked for them (per TCP stream, the last Query /
COM_QUERY before them): PostgreSQL DataRow and CopyData messages, MySQL text-protocol row
packets. For every rows_by_query entry of the truth file the number of matching queries
and their rows must be equal; the rows of entries marked customer_rows must add up to the
truth's records; for PostgreSQL every CommandComplete tag (SELECT n / COPY n) must agree
with the messages counted.
Usage: check-rows.py CAPTURE.pcap TRUTH.json   exit 0 when everything agrees
"""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def norm(q):
    return re.sub(r"\s+", " ", q.strip()).rstrip(";").strip()


def dissect(pcap, truth):
    port = truth["server_port"]
    proto = truth["channel"]
    cmd = ["tshark", "-n", "-r", pcap, "-d", "tcp.port==%d,%s" % (port, proto),
           "-Y", proto, "-T", "pdml"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    current = {}          # tcp stream -> index into queries
    queries = []          # [query text, rows, datarows, copydata, tags]
    for ev, el in ET.iterparse(p.stdout, events=("end",)):
        if el.tag != "packet":
            continue
        stream = None
        for pr in el.iter("proto"):
            name = pr.get("name")
            if name == "tcp":
                for f in pr.iter("field"):
                    if f.get("name") == "tcp.stream":
                        stream = f.get("show")
            elif name == proto:
                q = None
                typ = None
                tag = None
                for f in pr.iter("field"):
                    n = f.get("name")
                    if n in ("pgsql.query", "mysql.query"):
                        q = f.get("show")
                    elif n == "pgsql.type":
                        typ = f.get("show")
                    elif n == "pgsql.tag":
                        tag = f.get("show")
                if q is not None:
                    queries.append([norm(q), 0, 0, 0, []])
                    current[stream] = len(queries) - 1
                    continue
                cur = current.get(stream)
                if cur is None:
                    continue
                if proto == "pgsql":
                    if typ == "Data row":
                        queries[cur][1] += 1
                        queries[cur][2] += 1
                    elif typ == "Copy data":
                        queries[cur][1] += 1
                        queries[cur][3] += 1
                    if tag is not None:
                        queries[cur][4].append(tag)
                elif pr.get("showname", "").endswith("row packet"):
                    queries[cur][1] += 1
        el.clear()
    p.wait()
    if p.returncode:
        raise SystemExit("tshark failed on %s" % pcap)
    return queries


def main():
    pcap, truth_path = sys.argv[1], sys.argv[2]
    with open(truth_path) as f:
        truth = json.load(f)
    queries = dissect(pcap, truth)
    bad = []
    total_rows = sum(q[1] for q in queries)
    for q in queries:
        for tag in q[4]:
            m = re.match(r"(SELECT|COPY) (\d+)$", tag)
            if m and int(m.group(2)) != q[1]:
                bad.append("tag %r but %d rows counted for %r" % (tag, q[1], q[0][:60]))
    customer = 0
    lines = []
    for e in truth["rows_by_query"]:
        if "query" in e:
            hit = [q for q in queries if q[0] == norm(e["query"])]
            what = e["query"]
        else:
            hit = [q for q in queries if q[0].startswith(e["prefix"])]
            what = e["prefix"] + "..."
        n, rows = len(hit), sum(q[1] for q in hit)
        ok = n == e["queries"] and rows == e["rows"]
        lines.append("    %-4s %3d/%-3d queries %6d/%-6d rows  %s" % (
            "ok" if ok else "BAD", n, e["queries"], rows, e["rows"], what[:70]))
        if not ok:
            bad.append("%s: %d queries, %d rows in capture; truth %d, %d" % (
                what[:60], n, rows, e["queries"], e["rows"]))
        if e.get("customer_rows"):
            customer += rows
    if customer != truth["records"]:
        bad.append("customer rows %d != truth records %d" % (customer, truth["records"]))
    print("%-20s %-5s %3d queries, %6d rows in all; customer rows %d, truth records %d: %s" % (
        truth["scenario"], truth["channel"], len(queries), total_rows, customer,
        truth["records"], "OK" if not bad else "MISMATCH"))
    print("\n".join(lines))
    for b in bad:
        print("    MISMATCH: " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
