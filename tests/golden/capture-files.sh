#!/usr/bin/env bash
# Offline capture: several -r files read in order, a truncated file reported
# as "FILE: error" with a counter while what was read is kept, a missing file
# reported without stopping the others, BPF filters, deterministic output.
set -euo pipefail
if [ -z "${BW_SHARED:-}" ] || [ ! -d "$BW_SHARED/pcaps-public" ]; then
  echo "SKIP: ../shared not present"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
P=$BW_SHARED/pcaps-public
a=$P/sv-dns-udp-eve-txt/input.pcap
b=$P/sv-http-ipv6/input.pcap
fail() { echo "FAIL: $*"; exit 1; }
flows() {
  python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e["event_type"]=="flow": print(e["src_ip"],e.get("src_port"),e["dest_ip"],e.get("dest_port"),e["flow"]["pkts_toserver"],e["flow"]["pkts_toclient"])' "$1"
}
capstat() {
  python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e["event_type"]=="stats": print(e["stats"]["capture"][sys.argv[2]])' "$1" "$2"
}

# Two files in order: the flows of both, one stats event counting all packets.
"$BW_BIN" sensor -r "$a" -r "$b" --eve "$tmp/two.json"
[ "$(flows "$tmp/two.json" | wc -l)" -eq 3 ] || fail "expected 3 flows from two files"
[ "$(capstat "$tmp/two.json" packets)" -eq 18 ] || fail "expected 18 packets"
[ "$(capstat "$tmp/two.json" file_errors)" -eq 0 ] || fail "no file errors expected"
# Deterministic: the same run gives the same bytes.
"$BW_BIN" sensor -r "$a" -r "$b" --eve "$tmp/two-again.json"
cmp -s "$tmp/two.json" "$tmp/two-again.json" || fail "offline output is not deterministic"

# A file cut in the middle of its last packet: an error naming the file, a
# counter, the packets before the cut still counted, exit status 1.
size=$(wc -c <"$b")
head -c $((size - 50)) "$b" >"$tmp/cut.pcap"
rc=0
"$BW_BIN" sensor -r "$tmp/cut.pcap" -r "$a" --eve "$tmp/cut.json" 2>"$tmp/cut.err" || rc=$?
[ $rc -eq 1 ] || fail "truncated file: exit $rc, expected 1"
grep -q "$tmp/cut.pcap: truncated" "$tmp/cut.err" || { cat "$tmp/cut.err"; fail "no 'FILE: truncated' message"; }
[ "$(capstat "$tmp/cut.json" file_errors)" -eq 1 ] || fail "file_errors should be 1"
[ "$(capstat "$tmp/cut.json" packets)" -eq 17 ] || fail "13 packets before the cut + 4 of the next file"
flows "$tmp/cut.json" | grep -q '^::1 55717 ::1 8000 7 6$' || { flows "$tmp/cut.json"; fail "flow of the cut file"; }

# A file that does not exist and one that is not a capture: both reported, the
# good one still read.
printf 'not a pcap at all, just text\n' >"$tmp/text.pcap"
rc=0
"$BW_BIN" sensor -r "$tmp/missing.pcap" -r "$tmp/text.pcap" -r "$a" --eve "$tmp/bad.json" \
  2>"$tmp/bad.err" || rc=$?
[ $rc -eq 1 ] || fail "bad files: exit $rc, expected 1"
grep -q "$tmp/missing.pcap: " "$tmp/bad.err" || fail "missing file not named"
grep -q "$tmp/text.pcap: " "$tmp/bad.err" || fail "non-capture file not named"
[ "$(capstat "$tmp/bad.json" file_errors)" -eq 2 ] || fail "file_errors should be 2"
[ "$(flows "$tmp/bad.json" | wc -l)" -eq 2 ] || fail "the good file's flows are missing"

# Usage errors exit 2.
rc=0
"$BW_BIN" sensor >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "no input: exit $rc, expected 2"
rc=0
"$BW_BIN" sensor -r "$a" --log bogus:/dev/null >/dev/null 2>"$tmp/err" || rc=$?
[ $rc -ne 0 ] || fail "--log with an unknown format must fail"
grep -q "unknown log format 'bogus'" "$tmp/err" || fail "--log: no message naming the format"
rc=0
"$BW_BIN" sensor -r "$a" --follow --once >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--follow --once: exit $rc, expected 2"
# A BPF filter applies to files too.
"$BW_BIN" sensor -r "$a" -r "$b" --filter "ip6" --eve "$tmp/f.json"
[ "$(flows "$tmp/f.json" | wc -l)" -eq 1 ] || fail "--filter ip6 should leave one flow"
echo "ok"
