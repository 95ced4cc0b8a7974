#!/usr/bin/env python3
"""Builds the EVE alerts of the notice tests from the recorded scenarios.

Each exfil scenario of pcaps/ becomes the alert the detection rules raise for it
(DESIGN.md `breach` object), with its facts taken from the scenario's truth file
(actor, user, channel, dataset, records, destination, country, ASN, time) and its
`breach.pii` counts computed from the generated customer rows the scenario sent
(pcaps/gen-customers.py, the same seed as the recording), per PII scanner type.
TLS is opaque and the DNS tunnel's payload is base32, so their alerts carry no
`pii` counts, as the scanner sees none.

Usage: mk-alerts.py PCAPS_DIR OUT_DIR   (writes <scenario>.eve.json and all.eve.json)
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

RULES = {
    "pgsql": ("bulk-read-customers", 9100001, "Bulk read of customer records", "T1005"),
    "mysql": ("bulk-read-customers", 9100001, "Bulk read of customer records", "T1005"),
    "http-read": ("api-scraping", 9100004, "Enumeration of customer records over the API", "T1119"),
    "http": ("upload-external", 9100003, "Customer records uploaded to an external host", "T1048"),
    "tls": ("upload-external", 9100003, "Large upload to an external host", "T1048"),
    "dns": ("dns-tunnel", 9100005, "DNS tunnelling", "T1071.004"),
}


def eve_time(iso, add_s=0.0):
    t = datetime.datetime.fromisoformat(iso) + datetime.timedelta(seconds=add_s)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def pii_counts(rows, columns):
    c = {}

    def add(k, n=1):
        c[k] = c.get(k, 0) + n

    for r in rows:
        if "name" in columns and r["name"]:
            add("person_name")
        if "email" in columns and r["email"]:
            add("email")
        if "phone" in columns and r["phone"]:
            p = r["phone"].replace(" ", "")
            add("cn_mobile" if p.startswith("+86") or (len(p) == 11 and p[0] == "1") else "phone_intl")
        if "cn_resident_id" in columns and r["cn_resident_id"]:
            add("cn_resident_id")
        if "card_number" in columns and r["card_number"]:
            add("card_number")
        if "ssn" in columns and r["ssn"]:
            add("us_ssn")
    return dict(sorted(c.items()))


def main():
    pcaps, out = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(pcaps, "gen-customers.py"), tmp], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "customers.json"), encoding="utf-8") as f:
            customers = {r["id"]: r for r in json.load(f)}
    every = []
    for name in sorted(os.listdir(pcaps)):
        if not (name.startswith("exfil-") and name.endswith(".truth.json")):
            continue
        with open(os.path.join(pcaps, name), encoding="utf-8") as f:
            t = json.load(f)
        if t.get("record_ids"):
            ids = t["record_ids"]
        else:
            lo, hi = t["record_id_span"]
            ids = list(range(lo, hi + 1))
        rows = [customers[i] for i in ids]
        if len(rows) != t["records"]:
            rows = [r for r in rows if r["country"] == "CN"]   # the WHERE country = 'CN' read
        assert len(rows) == t["records"], name
        ch = t["channel"]
        key = "http-read" if ch == "http" and t["dest_ip"] == t["actor_ip"] else ch
        rule, sid, sig, mitre = RULES[key]
        sends = t["dest_ip"] != t["actor_ip"]
        external = t["dest_country"] is not None
        nat = any(r["cn_resident_id"] or r["ssn"] for r in rows)
        pii = {} if ch in ("tls", "dns") else pii_counts(rows, t["columns"])
        base = {
            "timestamp": eve_time(t["recorded"]["start"], 1.0),
            "sensor_id": "s1",
            "event_type": "alert",
            "src_ip": t["actor_ip"],
            "src_port": 40000,
            "dest_ip": t["dest_ip"] if sends else t["server_ip"],
            "dest_port": 53 if ch == "dns" else t["server_port"] if not sends else 443 if ch == "tls" else 80,
            "proto": "UDP" if ch == "dns" else "TCP",
            "app_proto": ch,
            "alert": {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 1,
                      "signature": sig, "category": "Potential Data Exfiltration",
                      "severity": 1 if external and nat else 2,
                      "metadata": {"mitre_technique_id": [mitre]}},
        }
        updates = [t["records"]]
        if t["scenario"] == "exfil-pgsql-drip":
            updates = [1000, t["records"]]   # a growing alert: update 0, then update 1
        lines = []
        for u, rec in enumerate(updates):
            ev = json.loads(json.dumps(base))
            if u:
                ev["timestamp"] = eve_time(t["recorded"]["start"], 60.0)
            scale = rec / t["records"]
            # The activity the alert covers: from the scenario's first packet to
            # its last one, or to the alert's own time when it fires earlier.
            last = min(eve_time(t["recorded"]["end"]), ev["timestamp"])
            br = {"alert_id": "s1-%s-1" % t["scenario"], "update": u, "count": u + 1,
                  "first_seen": eve_time(t["recorded"]["start"]), "last_seen": last,
                  "rule": rule, "channel": ch,
                  "actor": {"ip": t["actor_ip"]} if not t["user"] else
                           {"ip": t["actor_ip"], "user": t["user"]},
                  "dataset": t["dataset"], "records": rec,
                  "bytes": int((t.get("upload_bytes") or t["pcap"]["size"]) * scale),
                  "pii": {k: int(v * scale) for k, v in pii.items()},
                  "window_s": 300,
                  "threshold": {"measure": "records", "value": rec, "limit": 1000}}
            if br["dataset"] is None:
                del br["dataset"]
            if external:
                br["dest_geo"] = {"country": t["dest_country"], "asn": t["dest_asn"] or 0}
            ev["breach"] = br
            lines.append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
        with open(os.path.join(out, t["scenario"] + ".eve.json"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        every.extend(lines)
    every.sort(key=lambda l: json.loads(l)["timestamp"])
    with open(os.path.join(out, "all.eve.json"), "w", encoding="utf-8") as f:
        f.write("\n".join(every) + "\n")


if __name__ == "__main__":
    main()
