#!/usr/bin/env bash
# The main job on bundled data: builds, then runs `breachwatch demo`, which
# replays the bundled captures and logs through the sensor and the responder
# and prints what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/gcc -j "$(nproc)" >/dev/null
exec build/gcc/breachwatch demo "$@"
