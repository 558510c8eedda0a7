#!/usr/bin/env bash
# build.sh [BUILD_DIR] - configure and build ofi (Release, warnings as errors).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DOFI_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
