#!/usr/bin/env python3
"""Compares two EVE files as sets of events, ignoring order (tests of the
multi-worker sensor). Protocol, flow and access events must be equal as
multisets (every field); `stats` events are skipped; alerts are compared by
(rule, signature_id, dataset) as a set, since their running figures depend on
the order in which the detection engine saw access events (docs/scaling.md).
Usage: eve-compare.py A.eve B.eve   exit 0 when equal, 1 with a diff."""
import collections
import json
import sys


def load(path):
    events, alerts = [], set()
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            t = e.get("event_type")
            if t == "stats":
                continue
            if t == "alert":
                b = e.get("breach", {})
                alerts.add((b.get("rule"), e["alert"]["signature_id"], b.get("dataset")))
                continue
            e.pop("sensor_id", None)
            events.append(json.dumps(e, sort_keys=True))
    return collections.Counter(events), alerts


ea, aa = load(sys.argv[1])
eb, ab = load(sys.argv[2])
bad = 0
for x in list((ea - eb).elements())[:5]:
    print("only in A:", x[:300]); bad = 1
for x in list((eb - ea).elements())[:5]:
    print("only in B:", x[:300]); bad = 1
if aa != ab:
    print("alerts differ:", sorted(aa ^ ab)); bad = 1
print("%d events, %d alert kinds: %s" % (sum(ea.values()), len(aa), "DIFFER" if bad else "equal"))
sys.exit(bad)
