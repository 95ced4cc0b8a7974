#!/usr/bin/env bash
# `breachwatch pii scan` on the customers data the capture recorder uses
# (pcaps/gen-customers.py, written independently of the scanner): in the CSV
# upload, the JSON API response and both SQL dumps, every e-mail, phone,
# resident ID, card number and SSN is counted exactly once, and names where
# they carry a "name" key (JSON). Truth is taken from the CSV columns.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
gen=$BW_SRC/pcaps/gen-customers.py
[ -f "$gen" ] && command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$gen" --rows 3000 "$tmp" >/dev/null
for f in customers.csv customers.json pg.sql mysql.sql; do
    "$BW_BIN" pii scan "$tmp/$f" >"$tmp/$f.out"
done
python3 - "$tmp" <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/customers.csv", encoding="utf-8")))
def n(col, pred=lambda v: True):
    return sum(1 for r in rows if r[col] and pred(r[col]))
cn = lambda p: p.startswith("+86") or p.startswith("1")
truth = {"email": n("email"), "cn_mobile": n("phone", cn),
         "phone_intl": n("phone", lambda p: not cn(p)), "cn_resident_id": n("cn_resident_id"),
         "card_number": n("card_number"), "us_ssn": n("ssn"), "iban": 0, "passport": 0}
bad = 0
for f in ["customers.csv", "customers.json", "pg.sql", "mysql.sql"]:
    got = json.load(open("%s/%s.out" % (d, f)))["counts"]
    want = dict(truth, person_name=len(rows) if f.endswith(".json") else 0)
    for t, v in want.items():
        if got[t] != v:
            print("%s: %s = %d, want %d" % (f, t, got[t], v))
            bad += 1
sys.exit(1 if bad else 0)
PY
