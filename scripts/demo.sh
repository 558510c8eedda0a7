#!/usr/bin/env bash
# demo.sh [CASES] - the main job on a fresh machine: install what is missing, build, start
# the private MariaDB (scripts/mariadb.sh), generate a synthetic dataset (default 1M
# cases, cached under data/), load it into MariaDB once, and run the engine from MySQL,
# writing outputs/. The server keeps running for further runs; `scripts/mariadb.sh stop`
# stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cases="${1:-1000000}"
"$root/scripts/deps.sh"
"$root/scripts/build.sh" "$root/build"
"$root/scripts/mariadb.sh" start
env="${OFI_MARIADB_DIR:-$root/.mariadb}/ofi.env"
data="$root/data/gen2-$cases-seed1"
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"
  echo "demo: generating $cases cases into $data" >&2
  "$root/build/ofi" gen --cases "$cases" --seed 1 --out "$data"
  touch "$data/.complete"
fi
stamp="${OFI_MARIADB_DIR:-$root/.mariadb}/loaded-gen2-$cases-seed1"
if [ ! -f "$stamp" ]; then
  echo "demo: loading $data into MariaDB" >&2
  rm -f "${OFI_MARIADB_DIR:-$root/.mariadb}"/loaded-*
  "$root/build/ofi" load --from "$data" --env "$env"
  touch "$stamp"
fi
"$root/build/ofi" run --source mysql --env "$env" --out "$root/outputs"
echo "demo: outputs in $root/outputs (manager's report: outputs/reports/project_report.txt)" >&2
