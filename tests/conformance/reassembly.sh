#!/usr/bin/env bash
# Reassembly: each SQL session of the public captures, replayed in order,
# cut into 1-byte and 7-byte segments, reordered, with retransmissions, with
# overlaps and with conflicting overlaps, gives the same pgsql/mysql events as
# the original; the engine counters show each transformation really happened.
# Tight caps turn held data into counted gaps, never a crash.
set -euo pipefail
if [ -z "${BW_SHARED:-}" ] || [ ! -d "$BW_SHARED/pcaps-public" ]; then
    echo "skipped: BW_SHARED/pcaps-public not available"
    exit 77
fi
P=$BW_SHARED/pcaps-public
R=$BW_TOOLS/bwt-sqlreplay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

caps=(sv-pgsql-bug-5579/input.pcap sv-pgsql-ssl-rejected-md5-auth-simple-query/input.pcap
      sv-pgsql-copy-data-out/input.pcap sv-pgsql-query-keyword-01/input.pcap
      zeek-pgsql-create-insert-select/psql-create-insert-select-delete-drop.pcap
      zeek-pgsql-greenhouse-app/greenhouse-app.pcap zeek-mysql-wireshark-sample/mysql.pcap
      zeek-mysql-auth-failures/auth.pcap
      zeek-mysql-show-engine-innodb-status/mysql-show-engine-innodb-status-no-password.pcap)

for c in "${caps[@]}"; do
    n=${c%%/*}
    "$R" --stats "$P/$c" >"$tmp/$n.asis.eve" 2>"$tmp/$n.asis.stats"
    for m in onebyte reseg:7 reorder dup overlap mix conflict; do
        for seed in 1 2; do
            "$R" --mode=$m --seed=$seed --stats "$P/$c" >"$tmp/$n.$m.$seed.eve" 2>"$tmp/$n.$m.$seed.stats"
        done
    done
    "$R" --mode=reorder --seed=1 --flow-ooo-cap=40 --stats "$P/$c" >"$tmp/$n.cap.eve" 2>"$tmp/$n.cap.stats"
    "$R" --mode=reorder --seed=1 --memcap=4096 --stats "$P/$c" >"$tmp/$n.memcap.eve" 2>"$tmp/$n.memcap.stats"
done

python3 - "$tmp" "${caps[@]}" <<'PY'
import json, os, sys
d, caps = sys.argv[1], [c.split("/")[0] for c in sys.argv[2:]]
fails = 0

def sem(path):
    out = []
    for line in open(path):
        e = json.loads(line)
        t = e.get("event_type")
        if t in ("pgsql", "mysql"):
            out.append((t, e["src_port"], json.dumps(e[t], sort_keys=True)))
    return out

def stats(path):
    return json.loads(open(path).read().strip().splitlines()[-1])

def check(what, ok):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1

total = {}
for n in caps:
    base = sem(os.path.join(d, n + ".asis.eve"))
    check("%s: has SQL events (%d)" % (n, len(base)), len(base) > 0)
    for m in ("onebyte", "reseg:7", "reorder", "dup", "overlap", "mix", "conflict"):
        for seed in (1, 2):
            got = sem(os.path.join(d, "%s.%s.%d.eve" % (n, m, seed)))
            check("%s %s seed %d: same events" % (n, m, seed), got == base)
            st = stats(os.path.join(d, "%s.%s.%d.stats" % (n, m, seed)))
            check("%s %s seed %d: no gaps, no parser errors" % (n, m, seed),
                  st["gaps"] == 0 and st["parser_errors"] == 0)
            for k in ("ooo_segments", "retransmissions", "overlaps", "overlap_conflicts"):
                total[(m, k)] = total.get((m, k), 0) + st[k]
    for lim in ("cap", "memcap"):
        st = stats(os.path.join(d, "%s.%s.stats" % (n, lim)))
        total[(lim, "gaps")] = total.get((lim, "gaps"), 0) + st["gaps"]
        total[(lim, "memcap_drops")] = total.get((lim, "memcap_drops"), 0) + st["memcap_drops"]

# The transformations really happened (counted by the engine).
check("onebyte: delivered in order", total[("onebyte", "ooo_segments")] == 0)
check("reorder: out-of-order segments seen (%d)" % total[("reorder", "ooo_segments")], total[("reorder", "ooo_segments")] > 0)
check("dup: retransmissions seen (%d)" % total[("dup", "retransmissions")], total[("dup", "retransmissions")] > 0)
check("overlap: overlaps seen, no conflicts", total[("overlap", "overlaps")] > 0 and total[("overlap", "overlap_conflicts")] == 0)
check("conflict: conflicts counted (%d), first-seen bytes won" % total[("conflict", "overlap_conflicts")], total[("conflict", "overlap_conflicts")] > 0)
check("per-flow cap 40 B: gaps reported (%d)" % total[("cap", "gaps")], total[("cap", "gaps")] > 0)
check("memcap 4 KiB: drops counted (%d)" % total[("memcap", "memcap_drops")], total[("memcap", "memcap_drops")] > 0)
print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
PY
