# Helpers shared by the GeoIP shell tests (tests/conformance/geoip.sh and
# mkmmdb.sh); sourced, never run on its own.
# shellcheck shell=sh

fails=0
checks=0

# find_geo_lookup: set GEO_LOOKUP to the tests/tools/geo-lookup driver.
find_geo_lookup() {
	for c in "${GEO_LOOKUP:-}" "${BW_TOOLS:-.}/bwt-geo-lookup" "${BW_BUILD:-.}/tests/bwt-geo-lookup" \
		"${BW_BUILD:-.}/tests/tools/geo-lookup"; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			GEO_LOOKUP=$c
			return 0
		fi
	done
	echo "FAIL: geo-lookup driver not built (bwt-geo-lookup in \$BW_TOOLS)" >&2
	exit 1
}

# lookup DB_ARGS... -- ADDR: print "country asn org" for ADDR via geo-lookup.
# Exits the script on a crash (status >= 128).
lookup() {
	out=$("$GEO_LOOKUP" "$@")
	st=$?
	if [ "$st" -ge 128 ]; then
		echo "FAIL: geo-lookup crashed (status $st) on: $*" >&2
		exit 1
	fi
	printf '%s\n' "$out" | sed -n 's/^[^ ]* country=\([A-Z]*\) asn=\([0-9]*\) org="\(.*\)" rc=.*$/\1|\2|\3/p' | head -n 1
}

# expect WHAT GOT WANT: count one check, report a mismatch.
expect() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: got '$2', want '$3'" >&2
		fails=$((fails + 1))
	fi
}

# finish NAME: print the summary and exit 0 or 1.
finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$1: $fails of $checks checks failed" >&2
		exit 1
	fi
	echo "$1: all $checks checks passed"
	exit 0
}
