#!/usr/bin/env bash
# bench/run.sh - the engine's benchmark: phases, throughput and memory per dataset size
# and thread count, medians over repeated runs, with the memory-bandwidth floor measured
# in the same process.
#
#   bench/run.sh [--cases 1M,10M] [--threads 1,2] [--reps 3] [--seed 42]
#                [--results DIR] [--cache DIR] [--build DIR]
#
# Datasets are generated once by `ofi gen` and cached under --cache (default bench/cache/,
# git-ignored); --build is the build tree (default build/, built when missing).
# Results go to --results DIR (default bench/results/): raw lines to DIR/raw/
# (git-ignored), the summary to DIR/latest.md and a chart of the phases and of the
# scaling (bench/chart.py) to DIR/latest.svg (commit them with the machine they name).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cases_list="1M,10M"
threads_list="1,2"
reps=3
seed=42
results="$root/bench/results"
cache="$root/bench/cache"
build="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases_list="$2"; shift 2 ;;
    --threads) threads_list="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --results) results="$2"; shift 2 ;;
    --cache) cache="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    *) echo "usage: bench/run.sh [--cases 1M,10M] [--threads 1,2] [--reps N] [--seed S]" \
            "[--results DIR] [--cache DIR] [--build DIR]" >&2; exit 1 ;;
  esac
done

if [ ! -x "$build/bench/ofi-bench" ] || [ ! -x "$build/ofi" ]; then
  "$root/scripts/build.sh" "$build" >&2
fi
. "$root/bench/lib.sh"
raw_dir="$results/raw"
mkdir -p "$cache" "$raw_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
raw="$raw_dir/run-$stamp.csv"
"$build/bench/ofi-bench" --header > "$raw"
out="$(mktemp -d)"
trap '[ "$BASHPID" != $$ ] || rm -rf "$out"' EXIT # main shell only

IFS=, read -r -a cases_arr <<< "$cases_list"
IFS=, read -r -a threads_arr <<< "$threads_list"
for c in "${cases_arr[@]}"; do
  data=$(bench_dataset "$c" "$seed")
  for t in "${threads_arr[@]}"; do
    for r in $(seq 1 "$reps"); do
      echo "bench: $c cases, $t threads, run $r/$reps" >&2
      "$build/bench/ofi-bench" --data "$data" --threads "$t" --out "$out/o" >> "$raw"
    done
  done
done

python3 "$root/bench/summarize.py" "$raw" > "$results/latest.md"
python3 "$root/bench/chart.py" "$raw" "$results/latest.svg"
cat "$results/latest.md"
