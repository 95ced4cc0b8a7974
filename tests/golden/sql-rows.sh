#!/usr/bin/env bash
# Rows per query on the project's own database captures (pcaps/*.truth.json,
# channel pgsql or mysql): our pgsql/mysql events must give, for every
# rows_by_query entry, the same number of queries and rows as the truth file,
# and the total rows must equal tshark's own count (PostgreSQL DataRow +
# CopyData messages from the server, MySQL row packets).
set -euo pipefail
R=$BW_TOOLS/bwt-sqlreplay
command -v tshark >/dev/null || { echo "skipped: tshark not installed"; exit 77; }
ls "$BW_SRC"/pcaps/*.truth.json >/dev/null 2>&1 || { echo "skipped: no pcaps/*.truth.json"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for t in "$BW_SRC"/pcaps/*.truth.json; do
    s=$(basename "$t" .truth.json)
    read -r ch port < <(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(t["channel"], t.get("server_port") or 0)' "$t")
    case $ch in pgsql | mysql) ;; *) continue ;; esac
    p=$BW_SRC/pcaps/$s.pcap
    "$R" "$p" >"$tmp/$s.eve"
    if [ "$ch" = pgsql ]; then
        tshark -r "$p" -d tcp.port=="$port",pgsql -Y "tcp.srcport==$port" -T fields -e pgsql.type 2>/dev/null |
            tr ',' '\n' | grep -c -e '^Data row$' -e '^Copy data$' >"$tmp/$s.tshark" || true
    else
        tshark -r "$p" -d tcp.port=="$port",mysql -Y "tcp.srcport==$port" -T pdml 2>/dev/null |
            grep -c 'showname="[^"]*row packet' >"$tmp/$s.tshark" || true
    fi
    n=$((n + 1))
done
[ $n -gt 0 ] || { echo "skipped: no pgsql/mysql captures"; exit 77; }

python3 - "$tmp" "$BW_SRC/pcaps" <<'PY'
import glob, json, os, sys
d, pc = sys.argv[1], sys.argv[2]
fails = 0
def check(what, got, want):
    global fails
    ok = got == want
    print(("ok   " if ok else "FAIL ") + what + ": got %r, want %r" % (got, want))
    fails += not ok
for path in sorted(glob.glob(os.path.join(d, "*.eve"))):
    s = os.path.basename(path)[:-4]
    truth = json.load(open(os.path.join(pc, s + ".truth.json")))
    ch = truth["channel"]
    txs = []
    for line in open(path):
        e = json.loads(line)
        if e.get("event_type") != ch:
            continue
        m = e[ch]
        if ch == "pgsql":
            q = m["request"].get("simple_query", m["request"].get("statement"))
            if q is None:
                continue
            txs.append((q, m["response"]["data_rows"]))
        elif m["command"] in ("query", "stmt_execute"):
            txs.append((m["query"], m["rows"]))
    for e in truth.get("rows_by_query", []):
        if "query" in e:
            hit = [r for q, r in txs if q == e["query"]]
            what = e["query"]
        else:
            hit = [r for q, r in txs if q.startswith(e["prefix"])]
            what = e["prefix"] + "..."
        check("%s: %s" % (s, what[:60]), (len(hit), sum(hit)), (e["queries"], e["rows"]))
    total = sum(r for _, r in txs)
    check("%s: total rows = tshark" % s, total, int(open(os.path.join(d, s + ".tshark")).read().strip() or 0))
print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
PY
