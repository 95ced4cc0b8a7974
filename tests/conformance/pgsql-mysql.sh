#!/usr/bin/env bash
# Conformance: the pgsql and mysql events for the public captures carry the
# facts stated in ../shared/pcaps-public/README.md (rows, fields, bytes,
# queries, failed logins). Runs `breachwatch sensor` when it exists, else the
# bwt-sqlreplay harness (same stream + parsers, test-only decoding).
set -euo pipefail
if [ -z "${BW_SHARED:-}" ] || [ ! -d "$BW_SHARED/pcaps-public" ]; then
    echo "skipped: BW_SHARED/pcaps-public not available"
    exit 77
fi
P=$BW_SHARED/pcaps-public
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {
    if "$BW_BIN" help 2>/dev/null | grep -q "breachwatch sensor"; then
        "$BW_BIN" sensor -r "$1" --eve - --redis none 2>"$tmp/err"
    else
        "$BW_TOOLS/bwt-sqlreplay" "$1" 2>"$tmp/err"
    fi
}

for c in sv-pgsql-bug-5579/input.pcap \
         sv-pgsql-ssl-rejected-md5-auth-simple-query/input.pcap \
         sv-pgsql-query-keyword-01/input.pcap \
         sv-pgsql-copy-data-out/input.pcap \
         sv-pgsql-events/UnknownMessage.pcap \
         zeek-pgsql-create-insert-select/psql-create-insert-select-delete-drop.pcap \
         zeek-pgsql-greenhouse-app/greenhouse-app.pcap \
         zeek-mysql-wireshark-sample/mysql.pcap \
         zeek-mysql-auth-failures/auth.pcap \
         zeek-mysql-show-engine-innodb-status/mysql-show-engine-innodb-status-no-password.pcap; do
    name=${c%%/*}
    run "$P/$c" >"$tmp/$name.json"
done

python3 - "$tmp" <<'PY'
import json, os, sys
d = sys.argv[1]
fails = 0

def events(name, kind):
    out = []
    with open(os.path.join(d, name + ".json")) as f:
        for line in f:
            e = json.loads(line)
            if e.get("event_type") == kind:
                out.append(e[kind])
    return out

def check(what, got, want):
    global fails
    ok = got == want
    print(("ok   " if ok else "FAIL ") + what + ": got %r, want %r" % (got, want))
    if not ok:
        fails += 1

def query(evs, text):
    return [e for e in evs if e.get("request", {}).get("simple_query") == text]

# sv-pgsql-bug-5579
ev = events("sv-pgsql-bug-5579", "pgsql")
q = query(ev, "SELECT password FROM accounts WHERE username = 'test' OR 1 = '1' UNION SELECT username FROM accounts")
check("5579 one injection query", len(q), 1)
r = q[0]["response"] if q else {}
check("5579 rows/fields/bytes/tag", (r.get("data_rows"), r.get("field_count"), r.get("data_size"), r.get("command_completed")), (4, 1, 73, "SELECT 4"))
check("5579 user/database", (q[0].get("user"), q[0].get("database")) if q else None, ("ctfpost", "ctfbase"))
check("5579 tables", q[0].get("tables") if q else None, ["public.accounts"])

# sv-pgsql-ssl-rejected-md5-auth-simple-query
ev = events("sv-pgsql-ssl-rejected-md5-auth-simple-query", "pgsql")
ssl = [e for e in ev if e["request"].get("message") == "SSL Request"]
check("ssl-rejected: 2 SSL requests, refused", [e["response"]["ssl_accepted"] for e in ssl], [False, False])
q = query(ev, "select * from rules where sid = 2021701;")
check("ssl-rejected: query once", len(q), 1)
r = q[0]["response"] if q else {}
check("ssl-rejected rows/fields/bytes", (r.get("data_rows"), r.get("field_count"), r.get("data_size"), r.get("command_completed")), (3, 10, 1104, "SELECT 3"))
check("ssl-rejected user/database", (q[0].get("user"), q[0].get("database")) if q else None, ("indexer", "indexer"))

# sv-pgsql-query-keyword-01
ev = events("sv-pgsql-query-keyword-01", "pgsql")
q = query(ev, "SELECT 1;")
check("keyword SELECT 1", [(e["response"]["data_rows"], e["response"]["field_count"], e["response"]["data_size"]) for e in q], [(1, 1, 1)])
q = query(ev, "LISTEN rules;")
check("keyword LISTEN", [(e["response"]["data_rows"], e["response"]["command_completed"]) for e in q], [(0, "LISTEN")])

# sv-pgsql-copy-data-out
ev = events("sv-pgsql-copy-data-out", "pgsql")
q = query(ev, "COPY (SELECT * FROM rules WHERE source = 'tgreen/hunting' LIMIT 5) TO STDOUT")
r = q[0]["response"] if q else {}
check("copy-out rows/bytes/tag", (r.get("data_rows"), r.get("data_size"), r.get("command_completed")), (5, 2779, "COPY 5"))
check("copy-out copy_data_out", r.get("copy_data_out"), {"row_count": 5, "data_size": 2779})
check("copy-out tables", q[0].get("tables") if q else None, ["public.rules"])

# sv-pgsql-events: unknown message flagged, no crash
ev = events("sv-pgsql-events", "pgsql")
check("events: unknown message flagged", [e.get("anomaly") for e in ev], ["unknown_message"])

# zeek create-insert-select
ev = events("zeek-pgsql-create-insert-select", "pgsql")
qs = [e for e in ev if "simple_query" in e["request"]]
check("zeek-cis: 7 queries", len(qs), 7)
check("zeek-cis: rows per query", [e["response"]["data_rows"] for e in qs], [0, 0, 0, 0, 2, 0, 0])
check("zeek-cis: user", sorted(set(e.get("user") for e in qs)), ["postgres"])

# zeek greenhouse: 84 simple queries, 22 rows, all 0 or 1
ev = events("zeek-pgsql-greenhouse-app", "pgsql")
qs = [e for e in ev if "simple_query" in e["request"]]
check("greenhouse: simple queries", len(qs), 84)
check("greenhouse: rows total", sum(e["response"]["data_rows"] for e in qs), 22)
check("greenhouse: rows per query in {0,1}", sorted(set(e["response"]["data_rows"] for e in qs)), [0, 1])
ret = [e for e in qs if "RETURNING" in e["request"]["simple_query"]]
check("greenhouse: INSERT ... RETURNING gives 1", sorted(set(e["response"]["data_rows"] for e in ret)), [1])
check("greenhouse: databases", sorted(set(e.get("database") for e in qs)), ["plant_service_db", "user_service_db"])

# zeek mysql wireshark sample
ev = events("zeek-mysql-wireshark-sample", "mysql")
def rows_of(text):
    return [e["rows"] for e in ev if e.get("query") == text]
check("mysql: total rows", sum(e["rows"] for e in ev), 9)
check("mysql: version_comment", rows_of("select @@version_comment limit 1"), [1])
check("mysql: SELECT DATABASE()", rows_of("SELECT DATABASE()"), [1])
check("mysql: show databases", rows_of("show databases"), [2])
check("mysql: show tables", rows_of("show tables"), [1])
check("mysql: select * from foo (twice)", rows_of("select * from foo"), [2, 1])
check("mysql: select count(*)", rows_of("select count(*) from foo"), [1])
aff = [(e["query"], e["affected_rows"]) for e in ev if e.get("query", "").lower().startswith(("insert", "delete"))]
check("mysql: affected rows", [a for _, a in aff], [1, 1, 1, 0, 1])
check("mysql: user", sorted(set(e["user"] for e in ev)), ["tfoerste"])
check("mysql: commands", [e["command"] for e in ev if e["command"] != "query"], ["login", "init_db", "field_list", "quit"])
sel = [e for e in ev if e.get("query") == "select * from foo"]
check("mysql: tables with default schema", sel[0]["tables"] if sel else None, ["test.foo"])

# zeek mysql auth failures
ev = events("zeek-mysql-auth-failures", "mysql")
logins = [e for e in ev if e["command"] == "login"]
fail = [e["user"] for e in logins if not e["success"]]
check("auth: failed logins", len(fail), 9)
check("auth: failed users", (fail.count("root_nope"), fail.count("root")), (5, 4))
check("auth: one success as root", [e["user"] for e in logins if e["success"]], ["root"])
check("auth: version_comment rows", [e["rows"] for e in ev if e.get("query") == "select @@version_comment limit 1"], [1])

# zeek innodb status
ev = events("zeek-mysql-show-engine-innodb-status", "mysql")
q = [e for e in ev if e.get("query") == "SHOW ENGINE INNODB STATUS"]
check("innodb: 1 row, 3 columns", [(e["rows"], e.get("field_count")) for e in q], [(1, 3)])
check("innodb: version_comment 1 row", [e["rows"] for e in ev if e.get("query") == "select @@version_comment limit 1"], [1])

print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
PY
