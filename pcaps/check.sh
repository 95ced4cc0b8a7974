#!/bin/bash
# check.sh - confirm, with tshark's own dissectors, that each database capture in pcaps/
# holds exactly the rows its truth file states (see helpers/check-rows.py), and that the
# DNS tunnel capture carries exactly its truth's records. Exit status 0 only if all agree.
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
	*) continue ;;
	esac
	n=$((n + 1))
done
if [ "$fail" = 0 ]; then echo "check.sh: $n captures agree with their truth files"; else echo "check.sh: MISMATCH"; fi
exit $fail
