#!/usr/bin/env bash
# The project's own SQL captures (tests/data/sql): per-query rows, fields,
# affected rows, tables and errors; totals equal tshark's dissector counts; and
# the same events whatever the segmentation (1-byte, reordered, duplicated,
# overlapping, conflicting overlaps).
set -euo pipefail
D=$BW_SRC/tests/data/sql
R=$BW_TOOLS/bwt-sqlreplay
command -v tshark >/dev/null || { echo "skipped: tshark not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in pgsql-shop mysql-shop; do
    "$R" --access="$tmp/$n.access" "$D/$n.pcap" >"$tmp/$n.eve"
    for m in onebyte reorder dup overlap mix conflict; do
        "$R" --mode=$m --seed=7 --stats "$D/$n.pcap" >"$tmp/$n.$m.eve" 2>"$tmp/$n.$m.stats"
    done
done
tshark -r "$D/pgsql-shop.pcap" -d tcp.port==6432,pgsql -T fields -e pgsql.type 2>/dev/null |
    tr ',' '\n' >"$tmp/pg.types"
tshark -r "$D/mysql-shop.pcap" -d tcp.port==3307,mysql -T pdml 2>/dev/null |
    grep -c 'name="mysql.row.text"' >"$tmp/my.cells" || true

python3 - "$tmp" <<'PY'
import json, os, sys
d = sys.argv[1]
fails = 0
def check(what, got, want):
    global fails
    ok = got == want
    print(("ok   " if ok else "FAIL ") + what + ": got %r, want %r" % (got, want))
    fails += not ok
def load(path, kind):
    return [json.loads(l)[kind] for l in open(path) if '"event_type":"%s"' % kind in l]

pg = load(os.path.join(d, "pgsql-shop.eve"), "pgsql")
def q(text):
    return [e for e in pg if e["request"].get("simple_query") == text]
r = q("SELECT * FROM customers;")[0]["response"]
check("pg: SELECT * rows/fields", (r["data_rows"], r["field_count"], r["command_completed"]), (2000, 4, "SELECT 2000"))
e = q("SELECT c.name, n.body FROM crm.notes n JOIN customers c ON c.id = n.customer_id WHERE n.id <= 10;")[0]
check("pg: join rows and tables", (e["response"]["data_rows"], e["tables"]), (10, ["crm.notes", "public.customers"]))
r = q("COPY customers TO STDOUT;")[0]["response"]
check("pg: COPY out rows", (r["data_rows"], r["copy_data_out"]["row_count"], r["command_completed"]), (2000, 2000, "COPY 2000"))
r = q("SELECT * FROM nonexistent_table;")[0]["response"]
check("pg: error", r.get("error", {}).get("code"), "42P01")
ext = [e for e in pg if "statement" in e["request"]]
check("pg: extended-query statements", [(e["request"]["statement"], e["response"]["data_rows"]) for e in ext],
      [("SELECT id, email FROM customers WHERE id = 42;", 1)] * 3)
check("pg: database names", sorted(set(e["database"] for e in pg if "database" in e)), ["postgres", "shop"])
types = open(os.path.join(d, "pg.types")).read().split("\n")
check("pg: data rows = tshark DataRow count", sum(e["response"].get("data_rows", 0) - e["response"].get("copy_data_out", {}).get("row_count", 0) for e in pg), types.count("Data row"))
check("pg: copy rows = tshark CopyData count", sum(e["response"].get("copy_data_out", {}).get("row_count", 0) for e in pg), types.count("Copy data"))
acc = [json.loads(l) for l in open(os.path.join(d, "pgsql-shop.access"))]
big = [a for a in acc if a["detail"] == "SELECT * FROM customers;"]
check("pg: access event", [(a["channel"], a["actor_user"], a["dataset"], a["records"], a["records_src"], a["direction"], a["dest_port"]) for a in big],
      [("pgsql", "postgres", "public.customers", 2000, "rows", "read", 6432)])

my = load(os.path.join(d, "mysql-shop.eve"), "mysql")
def mq(text):
    return [e for e in my if e.get("query") == text]
e = mq("SELECT * FROM customers")[0]
check("my: SELECT * rows/fields/tables", (e["rows"], e["field_count"], e["tables"]), (1000, 3, ["shop.customers"]))
check("my: INSERT affected", [e["affected_rows"] for e in my if e.get("query", "").startswith("INSERT")], [1000])
check("my: UPDATE/DELETE affected", [e["affected_rows"] for e in my if e.get("query", "").startswith(("UPDATE", "DELETE"))], [3, 100])
check("my: USE mysql refused", [e["error"]["code"] for e in my if e["command"] == "init_db" and "error" in e], [1044])
check("my: missing table", [e["error"]["code"] for e in mq("SELECT * FROM nonexistent")], [1146])
check("my: logins", [(e["user"], e["success"]) for e in my if e["command"] == "login"], [("app", True), ("app", False)])
acc = [json.loads(l) for l in open(os.path.join(d, "mysql-shop.access"))]
check("my: access dataset", [(a["dataset"], a["records"]) for a in acc if a["detail"] == "SELECT * FROM customers"], [("shop.customers", 1000)])
cells = int(open(os.path.join(d, "my.cells")).read().strip() or 0)
check("my: row cells = tshark mysql.row.text count", sum(e["rows"] * e.get("field_count", 0) for e in my), cells)

for n, kind in (("pgsql-shop", "pgsql"), ("mysql-shop", "mysql")):
    base = [json.dumps(x, sort_keys=True) for x in load(os.path.join(d, n + ".eve"), kind)]
    for m in ("onebyte", "reorder", "dup", "overlap", "mix", "conflict"):
        got = [json.dumps(x, sort_keys=True) for x in load(os.path.join(d, "%s.%s.eve" % (n, m)), kind)]
        st = json.loads(open(os.path.join(d, "%s.%s.stats" % (n, m))).read())
        check("%s %s: same events, no gaps" % (n, m), (got == base, st["gaps"]), (True, 0))
    st = json.loads(open(os.path.join(d, n + ".conflict.stats")).read())
    check("%s conflict: conflicts counted" % n, st["overlap_conflicts"] > 0, True)
print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
PY
