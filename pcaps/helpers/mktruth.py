#!/usr/bin/env python3
"""Write pcaps/<scenario>.truth.json from a scenario's stated facts (the spec record.sh
wrote), the generated customers (which records were exposed, which categories they
hold) and the rewritten capture (packets, bytes, sha256).

Keys: scenario, label, actor_ip, server_ip, channel, dataset, records, categories,
pii_counts, dest_ip, dest_country, dest_asn, ... (see pcaps/README.md).
"""
import argparse
import csv
import datetime
import hashlib
import ipaddress
import json
import os
import struct

CATEGORIES = ["name", "email", "phone", "cn_resident_id", "card_number", "ssn", "address",
              "birth_date"]


def pcap_facts(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    return {"file": os.path.basename(path), "linktype": linktype, "packets": n,
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def iso(ts):
    return datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc).isoformat(
        timespec="microseconds")


def main():
    ap = argparse.ArgumentParser()
    for a in ("scenario", "csv", "geo", "stats", "pcap", "out"):
        ap.add_argument("--" + a, required=True)
    a = ap.parse_args()
    with open(os.path.join(a.stats, a.scenario + ".spec")) as f:
        spec = json.load(f)
    with open(a.csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(a.geo) as f:
        geo = {g["address"]: g for g in json.load(f)}

    ex = spec.pop("exposed")
    where, cols = ex["where"], ex["columns"]
    sel = rows
    if "country" in where:
        sel = [r for r in sel if r["country"] == where["country"]]
    if "id_range" in where:
        lo, hi = where["id_range"]
        sel = [r for r in sel if lo <= int(r["id"]) <= hi]
    if "ids" in where:
        want = set(where["ids"])
        if len(want) != len(where["ids"]):
            raise SystemExit("%s: duplicate ids in spec" % a.scenario)
        sel = [r for r in sel if int(r["id"]) in want]
    pii = {c: sum(1 for r in sel if r[c] != "") for c in CATEGORIES if c in cols}
    pii = {c: n for c, n in pii.items() if n}
    records = len(sel)
    for q in spec.get("rows_by_query", []):
        if q.get("rows") == "@records":
            q["rows"] = records

    def country(ip):
        if ip is None or ipaddress.ip_address(ip).is_private:
            return None, None
        g = geo[ip]
        return g["country"], g["asn"]

    dc, dasn = country(spec["dest_ip"])
    ac, _ = country(spec["actor_ip"])
    out = {"scenario": a.scenario, "label": spec.pop("label"),
           "actor_ip": spec.pop("actor_ip"), "actor_country": ac,
           "user": spec.pop("user", None),
           "server_ip": spec.pop("server_ip"), "server_port": spec.pop("server_port"),
           "channel": spec.pop("channel"), "dataset": spec.pop("dataset"),
           "records": records, "categories": [c for c in CATEGORIES if c in pii],
           "pii_counts": pii, "columns": cols,
           "dest_ip": spec.pop("dest_ip"), "dest_country": dc, "dest_asn": dasn}
    if records and len(sel) <= 300:
        out["record_ids"] = [int(r["id"]) for r in sel]
    elif records:
        out["record_id_span"] = [int(sel[0]["id"]), int(sel[-1]["id"])]
    out.update(spec)
    st = os.path.join(a.stats, a.scenario)
    with open(st + ".start") as f1, open(st + ".end") as f2:
        out["recorded"] = {"start": iso(f1.read()), "end": iso(f2.read())}
    if os.path.exists(st + ".json"):
        with open(st + ".json") as f:
            out["observed"] = json.load(f)
    out["pcap"] = pcap_facts(a.pcap)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
