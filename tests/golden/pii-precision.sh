#!/usr/bin/env bash
# Precision and recall of `breachwatch pii scan` per type on the labelled
# corpus (tests/pii-corpus, made by gen.py with a fixed seed). Targets: 0.99
# precision and 0.98 recall on the checksum-validated types, 0.95/0.95 on the
# others. Also checks that the committed corpus is what gen.py makes.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
command -v python3 >/dev/null || exit 77
dir=$BW_SRC/tests/pii-corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$dir/gen.py" corpus "$tmp/corpus.bin" "$tmp/labels.tsv"
cmp "$tmp/corpus.bin" "$dir/corpus.bin"
cmp "$tmp/labels.tsv" "$dir/labels.tsv"
"$BW_BIN" pii scan --matches "$dir/corpus.bin" >"$tmp/matches.jsonl"
python3 "$dir/score.py" "$dir/labels.tsv" "$tmp/matches.jsonl" \
    --min=cn_resident_id=0.99,0.98 --min=card_number=0.99,0.98 --min=iban=0.99,0.98 \
    --min=email=0.95,0.95 --min=cn_mobile=0.95,0.95 --min=phone_intl=0.95,0.95 \
    --min=us_ssn=0.95,0.95 --min=passport=0.95,0.95 --min=person_name=0.95,0.95
# the summary agrees with the matches
"$BW_BIN" pii scan "$dir/corpus.bin" >"$tmp/summary.json"
python3 - "$tmp/summary.json" "$tmp/matches.jsonl" <<'PY'
import json, sys, collections
s = json.load(open(sys.argv[1]))
c = collections.Counter(json.loads(l)["type"] for l in open(sys.argv[2]))
assert all(s["counts"][t] == c.get(t, 0) for t in s["counts"]), (s["counts"], c)
assert sum(s["confidence_histogram"].values()) == sum(c.values())
# distinct counts: fewer distinct values than matches, within HLL error of the truth
assert all(s["distinct"][t] <= s["counts"][t] for t in s["counts"])
PY
