#!/usr/bin/env bash
# test.sh - the one command that runs every test on a fresh Debian 12 machine:
# installs missing packages (scripts/deps.sh --test: the build's and the tests'), builds
# (Release, -Werror), runs the Criterion unit suites and the end-to-end tests (golden
# files, determinism, oracle, CLI, MySQL, dashboard, peers bench) through ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh" --test
build="$root/build"
"$root/scripts/build.sh" "$build"
cd "$build"
export LC_ALL=C
ctest --output-on-failure --timeout 900 "$@"
