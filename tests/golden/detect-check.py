#!/usr/bin/env python3
"""Checks the alerts of one sensor run against a truth file (helper of
detect-scenarios.sh). Prints golden lines (semantic fields only) and the verdict.

usage: detect-check.py pcap TRUTH EVE   |   detect-check.py log TRUTH EVE
exit 0 when the verdict holds, 1 when it does not.
"""
import json
import os
import sys


# Records that only the PII scanner or the data inventory can estimate. While
# no event of the run shows that capability (a "pii" count attached to an event;
# records_source "inventory" or "bytes"), such a scenario is PENDING, visibly in
# the golden output; once the capability appears it is judged for real.
PENDING_ON = {"exfil-dns-tunnel": "pii", "exfil-http-upload": "pii",
              "exfil-tls-upload": "inventory", "nginx-access.log": "inventory",
              "dnsmasq.log": "pii", "postgresql.log": "inventory"}
CAPS = set()
NO_RECORDS = set()    # sources (scenario or log) where the actor's events carried no records
RECORDS_SEEN = set()  # actors with at least one log access event stating records


def final_alerts(path, types):
    """The last update of every alert id; collects the event types seen."""
    last = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            types.add(ev.get("event_type"))
            if '"pii":{"' in line and ev.get("event_type") != "alert":
                CAPS.add("pii")
            if '"records_source":"inventory"' in line or '"records_source":"bytes"' in line:
                CAPS.add("inventory")
            acc = ev.get("access") or ev.get(ev.get("event_type") or "", None)
            if isinstance(acc, dict) and acc.get("records_source") not in (None, "none"):
                RECORDS_SEEN.add(ev.get("src_ip"))
            if ev.get("event_type") != "alert":
                continue
            b = ev["breach"]
            cur = last.get(b["alert_id"])
            if cur is None or b["update"] >= cur["breach"]["update"]:
                last[b["alert_id"]] = ev
    return list(last.values())


def within(got, want):
    if want == 0:
        return got == 0
    return abs(got - want) <= 0.05 * want


def check(name, label, actor, records, alerts, out, note=""):
    mine = [a for a in alerts if a["breach"]["actor"].get("ip") == actor]
    ok = True
    if label == "exfil":
        best = min(mine, key=lambda a: abs(a["breach"]["records"] - records), default=None)
        got = best["breach"]["records"] if best else None
        ok = best is not None and within(got, records)
        verdict = "PASS" if ok else "FAIL"
        dep = PENDING_ON.get(name)
        if not ok and (got == 0 or got is None) and dep is not None and dep not in CAPS and \
                (name in NO_RECORDS or not name.endswith(".log")):
            # The source states no records for this actor (PostgreSQL's stderr log,
            # nginx, dnsmasq) and the data inventory / PII scanner that would
            # estimate them is not on main: not judged yet, and said so.
            verdict = "PENDING (records need %s estimates on access events: none in this run)" % dep
            ok = True
        out.append("%s\t%s\texfil\t%s\trecords %s/%s\t%s" % (
            name, actor, best["breach"]["rule"] if best else "-", got, records, verdict))
    else:
        high = [a for a in alerts if a["alert"]["severity"] <= 2]
        ok = not high
        out.append("%s\t%s\tbenign\t%s\t%s%s" % (
            name, actor, ",".join(sorted({a["breach"]["rule"] for a in high})) or "-",
            "PASS" if ok else "FAIL", note))
    return ok


def main():
    kind, truth_path, eve = sys.argv[1:4]
    truth = json.load(open(truth_path, encoding="utf-8"))
    types = set()
    alerts = final_alerts(eve, types)
    out, ok = [], True
    src = truth.get("scenario") or truth.get("log")
    for a in alerts:
        b = a["breach"]
        out.append("%s\talert\t%s\t%s\t%s\tsev%d" % (src, b["rule"], b["actor"].get("ip"),
                                                    b["records"], a["alert"]["severity"]))
    # A scenario whose protocol produced no events cannot be judged yet (its
    # parser is not on main): SKIP, visibly, in the golden output.
    need = truth.get("channel") if kind == "pcap" else "access"
    note = "" if need in types else " (no %s events)" % need
    if need not in types and (kind != "pcap" or truth["label"] == "exfil"):
        out.append("%s\t%s\t%s\tSKIP (no %s events)" % (src, truth.get("actor_ip", "-"),
                                                        truth.get("label", "log"), need))
        for line in sorted(out):
            print(line)
        return 0
    if kind == "log":
        for act in truth["actors"]:
            if act["ip"] not in RECORDS_SEEN:
                NO_RECORDS.add(src)
    if kind == "pcap":
        ok = check(src, truth["label"], truth["actor_ip"], truth["records"], alerts, out, note)
    else:
        for act in truth["actors"]:
            label = "exfil" if any(s["label"] == "exfil" for s in act["scenarios"]) else "benign"
            sub = alerts if label == "exfil" else \
                [a for a in alerts if a["breach"]["actor"].get("ip") == act["ip"]]
            ok &= check(src, label, act["ip"], act.get("records", 0), sub, out)
    for line in sorted(out):
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
