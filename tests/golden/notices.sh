#!/usr/bin/env bash
# Notice drafts per regime and language, golden: incidents built from the
# recorded scenarios (tests/data/notices/*.eve.json, made by mk-alerts.py from
# pcaps/ truth files and generated rows) rendered with the test organisation.
# The fixtures must still be what mk-alerts.py makes from pcaps/. Regenerate
# the golden files only with BW_UPDATE_GOLDEN=1 (or UPDATE=1, its older name).
set -euo pipefail
D=$BW_SRC/tests/data/notices
G=$BW_SRC/tests/golden/notices
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# The fixtures are reproducible from the captures' truth files.
python3 "$D/mk-alerts.py" "$BW_SRC/pcaps" "$tmp"
for f in "$D"/*.eve.json; do
    cmp -s "$f" "$tmp/$(basename "$f")" || { echo "FAIL fixture $(basename "$f") differs from mk-alerts.py output"; fail=1; }
done

render() { # NAME EVE ARGS...
    local name=$1 eve=$2; shift 2
    "$BW_BIN" notice "INC-$name" -c "$D/breachwatch.yaml" --from-eve "$D/$eve" "$@"
}
mkdir -p "$tmp/out"
for s in exfil-pgsql-bulk exfil-mysql-bulk exfil-http-upload exfil-tls-upload exfil-pgsql-drip; do
    for r in gdpr-art33 gdpr-art34 ccpa pipl; do
        for l in en zh; do
            render "$s" "$s.eve.json" --regime $r --lang $l --format md -o "$tmp/out/$s.$r.$l.md"
        done
    done
done
# The compromised host's whole incident: every alert of 10.77.0.66.
for r in gdpr-art33 gdpr-art34 ccpa pipl; do
    for l in en zh; do
        render compromised-host all.eve.json --actor 10.77.0.66 --regime $r --lang $l \
            -o "$tmp/out/compromised-host.$r.$l.md"
    done
done
render compromised-host all.eve.json --actor 10.77.0.66 --regime gdpr-art33 --format json \
    -o "$tmp/out/compromised-host.gdpr-art33.en.json"
render compromised-host all.eve.json --actor 10.77.0.66 --regime ccpa --format html \
    -o "$tmp/out/compromised-host.ccpa.en.html"
render exfil-mysql-bulk exfil-mysql-bulk.eve.json --regime pipl --lang zh --format html \
    -o "$tmp/out/exfil-mysql-bulk.pipl.zh.html"

if [ "${BW_UPDATE_GOLDEN:-${UPDATE:-0}}" = 1 ]; then
    rm -f "$G"/*
    cp "$tmp"/out/* "$G"/
    echo "updated $(ls "$G" | wc -l) golden files in $G"
    exit $fail
fi
n=0
for f in "$tmp"/out/*; do
    n=$((n + 1))
    if ! diff -u "$G/$(basename "$f")" "$f" >"$tmp/diff" 2>&1; then
        echo "FAIL $(basename "$f")"; head -40 "$tmp/diff"; fail=1
    fi
done
[ "$(ls "$G" | wc -l)" -eq "$n" ] || { echo "FAIL golden folder holds files no longer produced"; fail=1; }
[ $fail = 0 ] && echo "ok: $n drafts equal their golden files"
exit $fail
