#!/bin/bash
# pcaps-truth.sh - the committed scenario captures agree with their truth files
# (pcaps/check.sh: rows per query with tshark's pgsql/mysql dissectors, HTTP/DNS/TLS facts).
# Skipped (77) where tshark is not installed.
set -u
SRC=${BW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v tshark >/dev/null || { echo "tshark not installed: skipped"; exit 77; }
[ -x "$SRC/pcaps/check.sh" ] || { echo "no pcaps/check.sh in $SRC"; exit 1; }
exec "$SRC/pcaps/check.sh" "$SRC/pcaps"
