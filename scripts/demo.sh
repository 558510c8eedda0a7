#!/usr/bin/env bash
# demo.sh [CASES] - the main job on a fresh machine: install what is missing, build,
# generate a synthetic dataset (default 1M cases, cached under data/) and run the
# engine on it, writing outputs/. Until the MySQL source lands the run reads CSV.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cases="${1:-1000000}"
"$root/scripts/deps.sh"
"$root/scripts/build.sh" "$root/build"
data="$root/data/gen-$cases-seed1"
if [ ! -f "$data/.complete" ]; then
  rm -rf "$data"
  echo "demo: generating $cases cases into $data" >&2
  "$root/build/ofi" gen --cases "$cases" --seed 1 --out "$data"
  touch "$data/.complete"
fi
"$root/build/ofi" run --source "csv:$data" --out "$root/outputs"
echo "demo: outputs in $root/outputs (manager's report: outputs/reports/project_report.txt)" >&2
