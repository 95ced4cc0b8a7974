#!/usr/bin/env bash
# Notices from the real pipeline: the sensor with the default rules reads the
# recorded exfil captures, and each scenario's alerts become an incident
# (--from-eve). Every regime and language renders; the draft's record count
# is the largest the sensor reported; the destination country of the uploads
# and of the scraper comes out as pcaps/README.md states it; no customer value
# appears. Not golden: the detectors' numbers belong to their own tests.
set -euo pipefail
D=$BW_SRC/tests/data/notices
[ -d "$BW_SRC/rules/default" ] || { echo "skipped: no rules/default"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s#^state_dir:.*#state_dir: $tmp/state#" \
    -e "s#country_db: .*#country_db: $BW_SRC/config/geoip/breachwatch-geo.mmdb#" \
    -e "s#data_classes: .*#data_classes: $BW_SRC/config/data-classes.yaml#" \
    -e "s#inventory: .*#inventory: $D/inventory.yaml#" "$D/breachwatch.yaml" >"$tmp/c.yaml"
declare -A country=([exfil-tls-upload]="the United States" [exfil-api-scrape]="the United Kingdom"
                    [exfil-http-upload]="Sweden")
fail=0 n=0
for s in exfil-pgsql-bulk exfil-mysql-bulk exfil-pgdump exfil-pgsql-drip exfil-http-upload \
         exfil-tls-upload exfil-dns-tunnel exfil-api-scrape; do
    "$BW_BIN" sensor -c "$tmp/c.yaml" -r "$BW_SRC/pcaps/$s.pcap" --eve - --redis none \
        --rules "$BW_SRC/rules/default" 2>/dev/null | grep '"event_type":"alert"' >"$tmp/$s.eve" || true
    if [ ! -s "$tmp/$s.eve" ]; then echo "note: $s raised no alert today"; continue; fi
    want=$(python3 -c "
import json,sys
print('{:,}'.format(max(json.loads(l)['breach']['records'] for l in open(sys.argv[1]))))" "$tmp/$s.eve")
    for r in gdpr-art33 gdpr-art34 ccpa pipl; do
        for l in en zh; do
            for fm in md html; do
                "$BW_BIN" notice "INC-$s" -c "$tmp/c.yaml" --from-eve "$tmp/$s.eve" --regime $r \
                    --lang $l --format $fm -o "$tmp/$s.$r.$l.$fm"
                n=$((n + 1))
            done
        done
    done
    if [ "$want" != 0 ] && ! grep -q "About $want records\|About $want\.\|About $want (" "$tmp/$s.gdpr-art33.en.md"; then
        echo "FAIL $s: records $want not in the draft"; fail=1
    fi
    if [ -n "${country[$s]:-}" ] && ! grep -q "external address in ${country[$s]}" "$tmp/$s.gdpr-art33.en.md"; then
        echo "FAIL $s: destination ${country[$s]} not in the draft"; grep -i destination "$tmp/$s.gdpr-art33.en.md"; fail=1
    fi
done
if [ -s "$tmp/exfil-dns-tunnel.eve" ] &&
    ! grep -q "name servers of the domain exfil-tunnel.test" "$tmp/exfil-dns-tunnel.gdpr-art33.en.md"; then
    echo "FAIL exfil-dns-tunnel: destination is not the tunnel domain's name servers"; fail=1
fi
[ $n -gt 0 ] || { echo "FAIL: the sensor raised no alert on any capture"; exit 1; }
python3 "$BW_SRC/pcaps/gen-customers.py" "$tmp/rows" >/dev/null
python3 - "$tmp/rows/customers.json" >"$tmp/values" <<'PY'
import json, sys
v = {str(x) for r in json.load(open(sys.argv[1], encoding="utf-8"))
     for k, x in r.items() if k not in ("id", "country") and x is not None}
print("\n".join(sorted(x for x in v if len(x.encode()) >= 4)))
PY
if LC_ALL=C.UTF-8 grep -F -o -f "$tmp/values" "$tmp"/*.md "$tmp"/*.html | head -5 | grep .; then
    echo "FAIL: customer data in a draft"; fail=1
fi
[ $fail = 0 ] && echo "ok: $n drafts from the sensor's own alerts"
exit $fail
