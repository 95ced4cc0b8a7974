#!/usr/bin/env python3
"""Scores `breachwatch pii scan --matches` output against corpus labels.

  score.py LABELS.tsv MATCHES.jsonl [--min TYPE=P,R]...

A match counts as a true positive when a label of the same type overlaps its
span; every other match is a false positive, every label without one a false
negative. Prints precision and recall per type; exits 1 when a --min target
is missed."""
import json
import sys


def main():
    labels, matches = sys.argv[1], sys.argv[2]
    mins = {}
    for a in sys.argv[3:]:
        if a.startswith("--min="):
            t, pr = a[6:].split("=")
            p, r = pr.split(",")
            mins[t] = (float(p), float(r))
    lab = {}
    for line in open(labels):
        if line.startswith("#"):
            continue
        s, e, t = line.split()
        lab.setdefault(t, []).append((int(s), int(e)))
    got = {}
    for line in open(matches):
        m = json.loads(line)
        got.setdefault(m["type"], []).append((m["start"], m["end"]))
    types = sorted(set(lab) | set(got))
    fail = False
    print("%-16s %7s %7s %7s %7s %9s %9s" % ("type", "labels", "tp", "fp", "fn", "precision",
                                              "recall"))
    for t in types:
        ls = sorted(lab.get(t, []))
        ms = sorted(got.get(t, []))
        # sweep: both sorted by start, spans of one type never overlap each other
        hit = [False] * len(ls)
        tp = fp = 0
        j = 0
        for s, e in ms:
            while j < len(ls) and ls[j][1] <= s:
                j += 1
            if j < len(ls) and ls[j][0] < e:
                tp += 1
                hit[j] = True
            else:
                fp += 1
        fn = hit.count(False)
        p = tp / (tp + fp) if tp + fp else 1.0
        r = (len(ls) - fn) / len(ls) if ls else 1.0
        flag = ""
        if t in mins and (p < mins[t][0] or r < mins[t][1]):
            flag = "  BELOW TARGET %.2f/%.2f" % mins[t]
            fail = True
        print("%-16s %7d %7d %7d %7d %9.4f %9.4f%s" % (t, len(ls), tp, fp, fn, p, r, flag))
    sys.exit(1 if fail else 0)


if __name__ == "__main__":
    main()
