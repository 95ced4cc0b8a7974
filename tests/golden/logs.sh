#!/usr/bin/env bash
# The recorded servers' logs (pcaps/logs/) through `breachwatch sensor --log`
# (one-shot, --once): the EVE access events, summed per actor, must equal
# what pcaps/logs/*.truth.json says each log shows -- nginx requests, status
# counts, bytes and records (records from config/inventory.yaml: per_page
# and one per /api/customers/{n}); slow-log entries and Rows_sent;
# PostgreSQL statements, statements on customers and records estimated from
# the statements; dnsmasq queries, query
# types, domains and the longest name. Also: an offline run with -r reads the
# capture first, then the logs.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
L=$BW_SRC/pcaps/logs
[ -f "$L/nginx-access.truth.json" ] || { echo "skipped: no pcaps/logs"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/state"
cat >"$tmp/bw.yaml" <<YAML
state_dir: $tmp/state
inventory: $BW_SRC/config/inventory.yaml
geoip:
  country_db: $BW_SRC/config/geoip/breachwatch-geo.mmdb
logs:
  formats:
    postgresql: {log_line_prefix: '%m [%p] %q%u@%d %h '}
YAML
"$BW_BIN" sensor -c "$tmp/bw.yaml" --once --eve "$tmp/logs.eve" \
    --log "nginx:$L/nginx-access.log" --log "mysql-slow:$L/mariadb-slow.log" \
    --log "postgresql:$L/postgresql.log" --log "dnsmasq:$L/dnsmasq.log"
# Offline order: the capture's events, then the log's.
"$BW_BIN" sensor -c "$tmp/bw.yaml" -r "$BW_SRC/pcaps/exfil-api-scrape.pcap" \
    --log "nginx:$L/nginx-access.log" --eve "$tmp/order.eve"
python3 - "$tmp" "$L" <<'PY'
import collections, json, sys
d, L = sys.argv[1], sys.argv[2]
fails = 0
def check(what, got, want):
    global fails
    ok = got == want
    print(("ok   " if ok else "FAIL ") + what + ": got %r, want %r" % (got, want))
    fails += not ok
ev = [json.loads(l) for l in open(d + "/logs.eve")]
acc = [e for e in ev if e["event_type"] == "access"]
by = collections.defaultdict(list)
for e in acc:
    by[e["access"]["format"]].append(e["access"])
def actor(a, user):
    return (a["actor"].get("ip"), a["actor"].get("user") if user else None)

t = json.load(open(L + "/nginx-access.truth.json"))
check("nginx lines", len(by["nginx"]), t["lines"])
for w in t["actors"]:
    mine = [a for a in by["nginx"] if a["actor"].get("ip") == w["ip"]]
    check("nginx %s requests" % w["ip"], len(mine), w["requests"])
    check("nginx %s records" % w["ip"], sum(a["records"] for a in mine), w["records"])
    check("nginx %s bytes" % w["ip"], sum(a["bytes"] for a in mine), w["bytes"])
    check("nginx %s status" % w["ip"], dict(collections.Counter(str(a["status"]) for a in mine)), w["status"])
    check("nginx %s records_source" % w["ip"], sorted(set(a["records_source"] for a in mine)), ["inventory"])

t = json.load(open(L + "/mariadb-slow.truth.json"))
check("mysql-slow entries", len(by["mysql-slow"]), t["entries"])
for w in t["actors"]:
    mine = [a for a in by["mysql-slow"] if actor(a, 1) == (w["ip"], w["user"])]
    check("mysql-slow %s@%s entries" % (w["user"], w["ip"]), len(mine), w["entries"])
    check("mysql-slow %s@%s rows_sent" % (w["user"], w["ip"]), sum(a["records"] for a in mine), w["rows_sent"])

t = json.load(open(L + "/postgresql.truth.json"))
for w in t["actors"]:
    mine = [a for a in by["postgresql"] if actor(a, 1) == (w["ip"], w["user"])]
    check("postgresql %s@%s statements" % (w["user"], w["ip"]), len(mine), w["statements"])
    check("postgresql %s@%s on customers" % (w["user"], w["ip"]),
          sum(1 for a in mine if a["dataset"] == "public.customers"), w["customer_statements"])
    # no row counts in the stderr log: records estimated from the statements
    # (sensor/sql-estimate.c: LIMIT, whole table, key, aggregate) with the
    # inventory's rows and key; equal to the captures' truth here
    cust = [a for a in mine if a["dataset"] == "public.customers"]
    check("postgresql %s@%s records" % (w["user"], w["ip"]), sum(a["records"] for a in cust), w["records"])
    check("postgresql %s@%s records_source" % (w["user"], w["ip"]),
          sorted(set(a["records_source"] for a in cust if a["records"] > 0)), ["statement"])
    check("postgresql %s@%s LOCK TABLE: no estimate" % (w["user"], w["ip"]),
          sorted(set(a["records_source"] for a in cust if a["detail"].startswith("LOCK "))),
          ["none"] if any(a["detail"].startswith("LOCK ") for a in cust) else [])

t = json.load(open(L + "/dnsmasq.truth.json"))
qt = {1: "A", 28: "AAAA", 15: "MX", 16: "TXT"}
check("dnsmasq queries", len(by["dnsmasq"]), t["queries"])
for w in t["actors"]:
    mine = [a for a in by["dnsmasq"] if a["actor"].get("ip") == w["ip"]]
    check("dnsmasq %s queries" % w["ip"], len(mine), w["queries"])
    check("dnsmasq %s types" % w["ip"], dict(collections.Counter(qt.get(a["dns"]["qtype"], a["dns"]["qtype"]) for a in mine)), w["types"])
    check("dnsmasq %s domains" % w["ip"], dict(collections.Counter(a["dataset"] for a in mine)), w["domains"])
    check("dnsmasq %s max_name_len" % w["ip"], max(a["dns"]["name_len"] for a in mine), w["max_name_len"])

types = [json.loads(l)["event_type"] for l in open(d + "/order.eve")]
first_access = types.index("access")
check("offline order: capture events before log events",
      [x for x in types[first_access:] if x not in ("access", "alert")], ["stats"])
check("offline order: capture's http events present", types[:first_access].count("http"), 40)
sys.exit(1 if fails else 0)
PY
