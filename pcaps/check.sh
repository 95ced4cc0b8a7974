#!/bin/bash
# check.sh - confirm, with tshark's own dissectors, that each database capture in pcaps/
# holds exactly the rows its truth file states (helpers/check-rows.py); and that the HTTP,
# DNS and TLS captures agree with theirs (helpers/check-{http,dns,tls}.py). Exit 0 only if all agree.
# Usage: pcaps/check.sh [DIR]    (DIR defaults to the folder of this script)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-$HERE}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
command -v tshark >/dev/null || { echo "check.sh needs tshark (apt-get install -y tshark)" >&2; exit 2; }
echo "tshark: $(tshark --version 2>/dev/null | head -1)"
fail=0 n=0
for t in "$DIR"/*.truth.json; do
	s=$(basename "$t" .truth.json)
	ch=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["channel"])' "$t")
	case $ch in
	pgsql | mysql) $PY "$HERE/helpers/check-rows.py" "$DIR/$s.pcap" "$t" || fail=1 ;;
	dns) $PY "$HERE/helpers/check-dns.py" "$DIR/$s.pcap" "$t" || fail=1 ;;
	http) $PY "$HERE/helpers/check-http.py" "$DIR/$s.pcap" "$t" || fail=1 ;;
	tls) $PY "$HERE/helpers/check-tls.py" "$DIR/$s.pcap" "$t" || fail=1 ;;
	*) continue ;;
	esac
	n=$((n + 1))
done
# nothing of the recording network may remain: external hosts were 198.18.0.11-15 while
# recording and must appear only as their public test addresses (geo-addresses.json)
leak=$(grep -la '198\.18\.0\.1[1-5]\|/tmp/bwrec\.' "$DIR"/*.pcap "$DIR"/*.truth.json "$DIR"/logs/*.log "$DIR"/logs/*.json 2>/dev/null)
for p in "$DIR"/*.pcap; do
	[ -n "$(tshark -n -r "$p" -Y 'ip.addr == 198.18.0.0/15' -c 1 2>/dev/null)" ] && leak="$leak $p"
done
if [ -n "$leak" ]; then
	echo "recording addresses or temp paths left in:$leak"
	fail=1
else
	echo "no recording-time addresses (198.18.0.0/15) or temp paths left in captures and logs"
fi
if [ "$fail" = 0 ]; then echo "check.sh: $n captures agree with their truth files"; else echo "check.sh: MISMATCH"; fi
exit $fail
