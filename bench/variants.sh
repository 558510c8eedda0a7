#!/usr/bin/env bash
# bench/variants.sh - weight variants and Monte Carlo sensitivity (issue #4), each next to
# the naive way in the same run:
#   - scoring K = 1, 8, 64 variants in one pass (ofi_score_multi) against K separate
#     scoring passes, and the store floor (a memset of the K score arrays);
#   - the whole `ofi variants` command with scripts/weights.ini (4 variants) and with 64;
#   - `ofi sensitivity` with S samples (default 1000), F = 0.25, against the naive Monte
#     Carlo (per sample: score every case, sort all, group customers exactly, sort them),
#     timed over a few samples and multiplied out.
#
#   bench/variants.sh [--cases 10M] [--threads 1,2] [--samples 1000] [--seed 42]
#
# Datasets are generated once under bench/cache/ (git-ignored). Results:
# bench/results/variants-latest.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cases=10M threads=1,2 samples=1000 seed=42
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --samples) samples="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "usage: bench/variants.sh [--cases N] [--threads LIST] [--samples S] [--seed S]" >&2; exit 1 ;;
  esac
done
build="$root/build"
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
[ -x "$build/bench/ofi-bench" ] || "$root/scripts/build.sh" "$build" >&2
. "$root/bench/lib.sh"
data=$(bench_dataset "$cases" "$seed")
out="$root/bench/results/variants-latest.md"
{
  echo "# ofi weight-variant and sensitivity bench"
  echo
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "- commit $(git -C "$root" rev-parse --short HEAD), $(date -u +%Y-%m-%d), $cases cases (seed $seed), CSV source"
  echo
  echo "Scoring K variants (medians of 3; the load is not timed):"
  echo
  echo "| threads | K | one pass s | K passes s | K passes / one pass | one pass / (one pass at K=1) | store floor s |"
  echo "|---|---|---|---|---|---|---|"
  for t in ${threads//,/ }; do
    k1=""
    while IFS=, read -r n th k one naive store; do
      [ -z "$k1" ] && k1=$one
      echo "| $th | $k | $one | $naive | $(calc "$naive / $one" 2) | $(calc "$one / $k1" 2) | $store |"
    done < <("$build/bench/ofi-bench" --score-variants "$data" "$t" 1,8,64)
  done
  echo
  echo "The whole \`ofi variants\` command (load, scoring, every variant ranked and compared;"
  echo "medians of 3 runs, wall clock):"
  echo
  echo "| threads | scripts/weights.ini (4 variants) s | 64 variants s | peak RSS MiB (64) |"
  echo "|---|---|---|---|"
  many=/tmp/ofi-bench-64.ini
  for i in $(seq 1 64); do printf '[variant escalation_%d]\nescalation = %d\n\n' "$i" "$i"; done > "$many"
  for t in ${threads//,/ }; do
    cells=()
    for w in "$root/scripts/weights.ini" "$many"; do
      times=()
      for _ in 1 2 3; do
        rm -rf /tmp/ofi-bench-var
        /usr/bin/time -f "%e %M" -o /tmp/ofi-bench-var.time "$build/ofi" variants --source "csv:$data" \
          --weights "$w" --threads "$t" --out /tmp/ofi-bench-var --quiet
        read -r sec rss < /tmp/ofi-bench-var.time
        times+=("$sec")
      done
      cells+=("$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)")
    done
    echo "| $t | ${cells[0]} | ${cells[1]} | $(calc "$rss / 1024" 0) |"
  done
  echo
  echo "Monte Carlo sensitivity, $samples samples, spread 0.25, top 50:"
  echo
  echo "| threads | ofi sensitivity s (whole command) | of which load s | sampling s | naive s per sample | naive $samples samples s (x) | naive / ofi sampling | peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|---|"
  for t in ${threads//,/ }; do
    /usr/bin/time -f "%e %M" -o /tmp/ofi-bench-sens.time "$build/ofi" sensitivity --source "csv:$data" \
      --samples "$samples" --spread 0.25 --seed 1 --threads "$t" --out /tmp/ofi-bench-sens 2>/tmp/ofi-bench-sens.err
    read -r total rss < /tmp/ofi-bench-sens.time
    /usr/bin/time -f "%e" -o /tmp/ofi-bench-sens.t0 "$build/ofi" sensitivity --source "csv:$data" \
      --samples 1 --spread 0.25 --seed 1 --threads "$t" --out /tmp/ofi-bench-sens0 --quiet
    load=$(cat /tmp/ofi-bench-sens.t0)
    naive=$("$build/bench/ofi-bench" --sensitivity-naive "$data" "$t" 5 | cut -d, -f4)
    sampling=$(calc "$total - $load")
    echo "| $t | $total | $load | $sampling | $naive | $(calc "$naive * $samples" 0) | $(calc "$naive * $samples / $sampling" 1) | $(calc "$rss / 1024" 0) |"
  done
  echo
  echo "\"of which load\" is the same command with 1 sample (load, baseline, bounds, outputs)."
  echo "Candidates: $(grep -o '[0-9]* of [0-9]* cases and [0-9]* of [0-9]* customers can reach a top 50' /tmp/ofi-bench-sens.err)."
} > "$out"
cat "$out"
