#!/usr/bin/env bash
# The multi-worker sensor offline: with --workers 2 and 3 the events of every
# capture in pcaps/ (each alone, and all of them in one run) equal those of
# one worker, order aside (tests/tools/eve-compare.py says what "equal"
# means), every frame is handled by exactly one worker (decoder packet counts
# add up to the capture's), no ring drops a frame, and the stats event has one
# entry per worker. With ../shared present, its public captures too.
set -euo pipefail
: "${BW_BIN:?}" "${BW_SRC:?}"
W=$(mktemp -d /tmp/bw-scale-det.XXXXXX)
trap 'rm -rf "$W"' EXIT
CMP="python3 $BW_SRC/tests/tools/eve-compare.py"
run() { # OUT WORKERS FILES...
  local out=$1 n=$2
  shift 2
  rm -rf "$W/state" "$out" && mkdir "$W/state"
  # The same PII key in every run: distinct estimates depend on it.
  printf 'breachwatch-test' >"$W/state/pii.key" && chmod 600 "$W/state/pii.key"
  printf 'state_dir: %s\n' "$W/state" >"$W/bw.yaml"
  local args=()
  for f in "$@"; do args+=(-r "$f"); done
  "$BW_BIN" sensor -c "$W/bw.yaml" --redis none --eve "$out" --workers "$n" --sensor-id det \
    "${args[@]}" 2>>"$W/err" || true
}
caps=("$BW_SRC"/pcaps/*.pcap)
[ "${#caps[@]}" -gt 5 ] || { echo "no captures in pcaps/" >&2; exit 1; }
fail=0
check() { # NAME FILES...
  local name=$1
  shift
  run "$W/one.eve" 1 "$@"
  for n in 2 3; do
    rm -f "$W/many.eve"
    run "$W/many.eve" $n "$@"
    if ! out=$($CMP "$W/one.eve" "$W/many.eve"); then
      echo "FAIL $name workers=$n: $out"
      fail=1
    fi
    python3 - "$W/one.eve" "$W/many.eve" "$n" "$name" <<'PY' || fail=1
import json, sys
def last_stats(p):
    s = None
    for l in open(p):
        e = json.loads(l)
        if e.get("event_type") == "stats":
            s = e["stats"]
    return s
one, many, n, name = last_stats(sys.argv[1]), last_stats(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ok = True
if len(many.get("workers", [])) != n:
    print("FAIL %s: %d workers in stats, want %d" % (name, len(many.get("workers", [])), n)); ok = False
per = sum(w["packets"] for w in many["workers"])
if not (per == many["decoder"]["pkts"] == one["decoder"]["pkts"] == many["capture"]["packets"]):
    print("FAIL %s: packets one=%d many=%d per-worker=%d capture=%d" % (name, one["decoder"]["pkts"],
          many["decoder"]["pkts"], per, many["capture"]["packets"])); ok = False
if many["ring_drops"] != 0:
    print("FAIL %s: %d ring drops offline" % (name, many["ring_drops"])); ok = False
for k in ("created", "ended"):
    if one["flow"][k] != many["flow"][k]:
        print("FAIL %s: flow.%s one=%d many=%d" % (name, k, one["flow"][k], many["flow"][k])); ok = False
sys.exit(0 if ok else 1)
PY
  done
}
# Several files in one run: in the order of their first packet, so that packet
# time does not run backwards. (When it does, which flows end as "timeout"
# rather than "shutdown" depends on each flow table's LRU order: see
# docs/scaling.md.)
by_time() { capinfos -a -T -r "$@" 2>/dev/null | sort -t$'\t' -k2 | cut -f1; }
for f in "${caps[@]}"; do check "$(basename "$f")" "$f"; done
command -v capinfos >/dev/null || { echo "capinfos (wireshark-common) missing" >&2; exit 1; }
mapfile -t sorted < <(by_time "${caps[@]}")
check all-pcaps "${sorted[@]}"
if [ -n "${BW_SHARED:-}" ] && [ -d "$BW_SHARED/pcaps-public" ]; then
  mapfile -t pub < <(find "$BW_SHARED/pcaps-public" -name '*.pcap' -o -name '*.pcapng' | sort)
  mapfile -t pub < <(by_time "${pub[@]}")
  [ "${#pub[@]}" -gt 0 ] && check pcaps-public "${pub[@]}"
fi
[ "$fail" -eq 0 ] && echo "ok: ${#caps[@]} captures, workers 2 and 3 equal to 1"
exit $fail
