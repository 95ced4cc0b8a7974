#!/usr/bin/env python3
"""Check a DNS capture against its truth file with tshark's dns dissector: for a tunnel,
decode the query names (base32 labels, r<id>p<part>of<n>) back into CSV lines and count
the distinct complete customer records; for ordinary look-ups, count queries. Used by
pcaps/check.sh.
Usage: check-dns.py CAPTURE.pcap TRUTH.json
"""
import base64
import collections
import json
import re
import subprocess
import sys


def main():
    pcap, tp = sys.argv[1], sys.argv[2]
    with open(tp) as f:
        t = json.load(f)
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "dns.flags.response == 0",
                          "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "dns.qry.name"],
                         capture_output=True, text=True, check=True).stdout
    q = [l.split("\t") for l in out.splitlines() if l]
    actor = [x for x in q if x[0] == t["actor_ip"] and x[1] == t["server_ip"]]
    bad = []
    if t["label"] == "exfil":
        dom = t["dataset"]
        fwd = [x for x in q if x[1] == t["dest_ip"]]
        parts = collections.defaultdict(dict)
        for _, _, name in actor:
            if not name.endswith("." + dom):
                continue
            labels = name[:-len(dom) - 1].split(".")
            m = re.match(r"r(\d+)p(\d+)of(\d+)$", labels[-2])
            if m:
                parts[int(m.group(1))][int(m.group(2))] = ("".join(labels[:-2]), int(m.group(3)))
        recs = 0
        for rid, p in parts.items():
            n = next(iter(p.values()))[1]
            if len(p) == n:
                s = "".join(p[i][0] for i in range(1, n + 1)).upper()
                line = base64.b32decode(s + "=" * (-len(s) % 8)).decode("utf-8")
                if line.split(",", 1)[0] == str(rid):
                    recs += 1
        print("%-20s dns   %d queries actor->resolver, %d resolver->%s; decoded records %d, truth records %d: %s" % (
            t["scenario"], len(actor), len(fwd), t["dest_ip"], recs, t["records"],
            "OK" if recs == t["records"] and len(fwd) == len(actor) else "MISMATCH"))
        if recs != t["records"]:
            bad.append("records")
        if len(fwd) != len(actor):
            bad.append("forwarded")
        if "observed" in t and t["observed"]["queries"] != len(actor):
            bad.append("queries %d != observed %d" % (len(actor), t["observed"]["queries"]))
    else:
        want = t.get("observed", {}).get("queries")
        got = len([x for x in q if x[1] == t["server_ip"]])
        print("%-20s dns   %d queries, truth %s, records 0: %s" % (
            t["scenario"], got, want, "OK" if got == want and t["records"] == 0 else "MISMATCH"))
        if got != want or t["records"] != 0:
            bad.append("queries")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
