#!/usr/bin/env bash
# Builds and runs every test: gcc -O2 -Werror, then clang with ASan+UBSan.
# Usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
status=0
build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DBW_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
}
echo "== gcc -O2 -Werror"
build build/gcc -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE=-O2
(cd build/gcc && ctest --output-on-failure -j "$jobs" "$@") || status=1
echo "== clang ASan+UBSan"
build build/asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DBW_SANITIZE=ON -DBW_FUZZ=ON
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j "$jobs" "$@") || status=1
[ $status -eq 0 ] && echo "all tests passed (both builds)" || echo "TESTS FAILED" >&2
exit $status
