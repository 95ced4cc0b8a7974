#!/usr/bin/env bash
# No value of the customer data appears in any draft: every value of every
# column of the generated customers table (pcaps/gen-customers.py, the rows
# the captures carry; ids and country codes excepted, which are not personal
# data and occur in any text) is searched in every draft of every scenario,
# regime, language and format (JSON decoded, HTML unescaped).
set -euo pipefail
D=$BW_SRC/tests/data/notices
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rows" "$tmp/drafts" "$tmp/text"
python3 "$BW_SRC/pcaps/gen-customers.py" "$tmp/rows" >/dev/null
for f in "$D"/*.eve.json; do
    s=$(basename "$f" .eve.json)
    for r in gdpr-art33 gdpr-art34 ccpa pipl; do
        for l in en zh; do
            for fm in md html json; do
                "$BW_BIN" notice "INC-$s" -c "$D/breachwatch.yaml" --from-eve "$f" --regime $r \
                    --lang $l --format $fm -o "$tmp/drafts/$s.$r.$l.$fm"
            done
        done
    done
done
"$BW_BIN" notice INC-all -c "$D/breachwatch.yaml" --from-eve "$D/all.eve.json" --actor 10.77.0.66 \
    --all "$tmp/drafts/auto" >/dev/null
python3 - "$tmp" <<'PY'
import glob, html, json, os, sys
d = sys.argv[1]
rows = json.load(open(os.path.join(d, "rows", "customers.json"), encoding="utf-8"))
values = set()
for r in rows:
    for k, v in r.items():
        if k in ("id", "country") or v is None:
            continue
        v = str(v)
        values.add(v)
        if k == "phone":
            values.add(v.replace(" ", ""))
# Values shorter than 4 bytes are not identifying on their own (none exist today;
# two-character Chinese names are 6 bytes and are searched).
values = {v for v in values if len(v.encode()) >= 4}
with open(os.path.join(d, "values.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(sorted(values)) + "\n")
n = 0
for p in glob.glob(os.path.join(d, "drafts", "**", "*.*"), recursive=True):
    raw = open(p, encoding="utf-8").read()
    if p.endswith(".json"):
        raw = json.dumps(json.loads(raw), ensure_ascii=False, indent=1)
    elif p.endswith(".html"):
        raw = html.unescape(raw)
    n += 1
    with open(os.path.join(d, "text", "%04d.txt" % n), "w", encoding="utf-8") as f:
        f.write(p + "\n" + raw)
print("%d customer values, %d drafts" % (len(values), n))
if n < 200 or len(values) < 50000:
    sys.exit("too few drafts or values: the test would prove nothing")
PY
if LC_ALL=C.UTF-8 grep -F -o -f "$tmp/values.txt" -r "$tmp/text" | head -20 | grep .; then
    echo "FAIL: customer data in a draft (above: file:value)"
    exit 1
fi
# The search itself works: a draft with a customer value in it is caught.
head -c 2000 "$tmp/text/0001.txt" >"$tmp/probe.txt"
sed -n 5000p "$tmp/values.txt" >>"$tmp/probe.txt"
LC_ALL=C.UTF-8 grep -q -F -f "$tmp/values.txt" "$tmp/probe.txt" || { echo "FAIL: probe not found"; exit 1; }
echo "ok: no customer value in any draft"
