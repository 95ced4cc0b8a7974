#!/usr/bin/env bash
# PII scanner throughput on one core: HTML/JSON/SQL-result text with about 1%
# personal data and the same kind of text with none, fed in 64 KiB chunks and
# in 1460-byte segments, next to `cat >/dev/null` and `grep -c` on the same
# files as a floor. All figures are MB/s of CPU time (user + system) of the
# process, best of three, so other load on the machine does not skew them;
# cat and grep are timed over ten runs each (10 ms clock resolution).
#   bench/pii-bench.sh [BUILD_DIR] [SIZE_MB]     (default build/gcc, 64 MB)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build/gcc}
size=${2:-64}
bin=$build/bench/pii-bench
[ -x "$bin" ] || { echo "build first: cmake --build $build (missing $bin)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$src/tests/pii-corpus/gen.py" bench-mixed "$dir/mixed.txt" "$size"
python3 "$src/tests/pii-corpus/gen.py" bench-clean "$dir/clean.txt" "$size"
core="taskset -c 0"
# not /dev/null: GNU grep stops at the first match when its output is /dev/null
export OUT=$dir/out
mbps() { # bytes seconds
    awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'
}
timed() { # command... -> user+system CPU seconds per run (10 runs, best of 3)
    local best=999 t
    for _ in 1 2 3; do
        t=$( { /usr/bin/time -f '%U %S' sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do "$@" >"$OUT"; done' sh "$@"; } 2>&1 | tail -1 | awk '{ print ($1 + $2) / 10 }')
        best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
    done
    awk -v b="$best" 'BEGIN { print (b > 0) ? b : 0.001 }'
}
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), one core (taskset -c 0)"
for f in clean mixed; do
    bytes=$(stat -c %s "$dir/$f.txt")
    cat "$dir/$f.txt" >/dev/null # page cache
    echo "== $f text, $bytes bytes"
    t=$(OUT=/dev/null timed $core cat "$dir/$f.txt")
    echo "  cat >/dev/null          $(mbps "$bytes" "$t") MB/s"
    t=$(timed $core grep -c '@' "$dir/$f.txt")
    echo "  grep -c '@'             $(mbps "$bytes" "$t") MB/s"
    t=$(timed $core grep -cE '[0-9]{11}' "$dir/$f.txt")
    echo "  grep -cE '[0-9]{11}'    $(mbps "$bytes" "$t") MB/s"
    for chunk in 65536 1460; do
        best=0
        for _ in 1 2 3; do
            r=$($core "$bin" "$dir/$f.txt" "$chunk" 1 | sed 's/.*: \([0-9]*\) MB\/s cpu.*/\1/')
            [ "$r" -gt "$best" ] && best=$r
        done
        printf '  pii scanner, %5s B   %s MB/s\n' "$chunk" "$best"
    done
done
