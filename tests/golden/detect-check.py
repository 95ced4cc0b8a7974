#!/usr/bin/env python3
"""Checks the alerts of one sensor run against a truth file (helper of
detect-scenarios.sh). Prints golden lines (semantic fields only) and the verdict.

usage: detect-check.py pcap TRUTH EVE   |   detect-check.py log TRUTH EVE
exit 0 when the verdict holds, 1 when it does not.
"""
import json
import sys


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


def check(name, label, actor, records, alerts, out, note="", user=None):
    """One truth actor. user is None for a capture (one scenario: every alert
    counts), else the log actor's user ("" when the log names none). With a
    user (log truth files name ip and user), an
    alert that names a user must name this one: app@10.77.0.66 and
    backup@10.77.0.66 are two actors, each with its own alert."""
    mine = [a for a in alerts if a["breach"]["actor"].get("ip") == actor and
            (not user or a["breach"]["actor"].get("user") in (None, user))]
    ok = True
    who = "%s@%s" % (user, actor) if user else actor
    if label == "exfil":
        best = min(mine, key=lambda a: abs(a["breach"]["records"] - records), default=None)
        got = best["breach"]["records"] if best else None
        ok = best is not None and within(got, records)
        out.append("%s\t%s\texfil\t%s\trecords %s/%s\t%s" % (
            name, who, best["breach"]["rule"] if best else "-", got, records,
            "PASS" if ok else "FAIL"))
    else:
        # a benign capture: no alert of severity 1-2 at all; a benign actor of
        # a log (which holds other actors' scenarios too): none for that actor
        high = [a for a in (mine if user is not None else alerts) if a["alert"]["severity"] <= 2]
        ok = not high
        out.append("%s\t%s\tbenign\t%s\t%s%s" % (
            name, who, ",".join(sorted({a["breach"]["rule"] for a in high})) or "-",
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
        who = b["actor"].get("ip")
        if kind == "log" and b["actor"].get("user"):
            who = "%s@%s" % (b["actor"]["user"], who)
        out.append("%s\talert\t%s\t%s\t%s\tsev%d" % (src, b["rule"], who,
                                                    b["records"], a["alert"]["severity"]))
    # Every parser is on main: a scenario whose protocol produced no events
    # is a failure, said so in the golden output.
    need = truth.get("channel") if kind == "pcap" else "access"
    note = "" if need in types else " (no %s events)" % need
    if need not in types and (kind != "pcap" or truth["label"] == "exfil"):
        out.append("%s\t%s\t%s\tFAIL (no %s events)" % (src, truth.get("actor_ip", "-"),
                                                        truth.get("label", "log"), need))
        for line in sorted(out):
            print(line)
        return 1
    if kind == "pcap":
        ok = check(src, truth["label"], truth["actor_ip"], truth["records"], alerts, out, note)
    else:
        for act in truth["actors"]:
            label = "exfil" if any(s["label"] == "exfil" for s in act["scenarios"]) else "benign"
            ok &= check(src, label, act["ip"], act.get("records", 0), alerts, out,
                        user=act.get("user") or "")
    for line in sorted(out):
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
