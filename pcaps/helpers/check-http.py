#!/usr/bin/env python3
"""Check an HTTP capture against its truth file with tshark's http dissector: count the
distinct customer ids in the bodies (JSON objects {"id": N, ...} in API responses, CSV
lines "N,..." in an uploaded file) and compare them with the truth's records and record
ids. Used by pcaps/check.sh.
Usage: check-http.py CAPTURE.pcap TRUTH.json
"""
import json
import re
import subprocess
import sys


def main():
    pcap, tp = sys.argv[1], sys.argv[2]
    with open(tp) as f:
        t = json.load(f)
    upload = t["server_ip"] == t["dest_ip"]          # the records travel to the server
    flt = "http.request and ip.dst == %s" % t["server_ip"] if upload else \
        "http.response and ip.src == %s" % t["server_ip"]
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", flt, "-T", "fields",
                          "-e", "http.file_data"], capture_output=True, text=True,
                         check=True).stdout
    msgs = [l for l in out.splitlines() if l]
    if upload:
        ids = [int(x) for x in re.findall(r"(?:^|\\n)(\d+),", "\\n".join(msgs))]
    else:
        ids = [int(x) for x in re.findall(r'\{"id": (\d+),', "\n".join(msgs))]
    want = set(t.get("record_ids") or range(t["record_id_span"][0], t["record_id_span"][1] + 1))
    ok = len(set(ids)) == t["records"] and set(ids) == want
    print("%-20s http  %d %s, %d customer ids (%d distinct) in bodies, truth records %d: %s" % (
        t["scenario"], len(msgs), "requests" if upload else "responses", len(ids), len(set(ids)),
        t["records"], "OK" if ok else "MISMATCH"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
