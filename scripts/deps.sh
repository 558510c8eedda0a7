#!/usr/bin/env bash
# deps.sh [--test] - install what building ofi needs on Debian 12, when missing; with
# --test (scripts/test.sh) also what the tests need. Safe to run again: it installs only
# missing packages, and only as root (or via sudo).
#
#   building (scripts/demo.sh, scripts/build.sh)  compiler, cmake, xxhash, MariaDB client
#                                                 library, Criterion, python3
#   --test, the dashboard test                    chromium and a font for its screenshots
#                                                 (tests/e2e/dashboard.sh)
#   --test, the fuzz targets and the TSan build   clang, its libFuzzer and sanitizer
#                                                 runtimes, its OpenMP and Archer
#                                                 (scripts/fuzz.sh, scripts/tsan.sh)
#   --test, the peers bench and its test          nodejs and npm (DuckDB's Node.js client,
#                                                 fetched by `npm ci`), python3-pandas,
#                                                 python3-sqlalchemy, python3-pymysql
#                                                 (bench/peers.sh, tests/e2e/peers.sh)
set -euo pipefail
test_deps=0
case "${1:-}" in
  "") ;;
  --test) test_deps=1 ;;
  *) echo "usage: scripts/deps.sh [--test]" >&2; exit 1 ;;
esac

pkgs=(build-essential cmake pkg-config libxxhash-dev libcriterion-dev libmariadb-dev
      libmariadb-dev-compat python3 time)
if [ "$test_deps" = 1 ]; then
  pkgs+=(chromium fonts-dejavu-core python3-pandas python3-sqlalchemy python3-pymysql
         clang libclang-rt-14-dev libomp-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (a newer nodejs bundles its own npm and
# conflicts with Debian's npm package): install Debian's only when the commands are missing.
if [ "$test_deps" = 1 ] && { ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; }; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
