#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and run them.
#
#   scripts/fuzz.sh [--time SECONDS | --runs N] [--build DIR] [--jobs J] [TARGET...]
#
# TARGET: csv, fields, weights, load (default: all four). Each target first replays its
# crash regressions (tests/fuzz/regress/<target>/, committed: every input that once found
# a bug), then fuzzes for SECONDS (default 60) or N inputs (`--runs`, with a fixed seed:
# the test suite's smoke run, ctest e2e_fuzz) from its corpus: seeds made here from the
# golden inputs, the weights files and a list of typed values (nothing derived from the
# real sample), plus what earlier campaigns found, kept in DIR/corpus/<target> (the build
# directory, default build-fuzz: git-ignored). A finding stops the run with the
# sanitizer's or the target's report and leaves the input as DIR/crash-*; copy it into
# tests/fuzz/regress/<target>/ with the fix.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=time amount=60 build="$root/build-fuzz" jobs=1 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) mode=time amount="$2"; shift 2 ;;
    --runs) mode=runs amount="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    csv|fields|weights|load) targets+=("$1"); shift ;;
    *) echo "usage: scripts/fuzz.sh [--time SECONDS | --runs N] [--build DIR] [--jobs J] [csv|fields|weights|load]..." >&2; exit 1 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(csv fields weights load)
command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (scripts/deps.sh --test installs it)" >&2; exit 2; }

CC=clang cmake -S "$root" -B "$build" -DOFI_FUZZ=ON -DOFI_TESTS=OFF -DCMAKE_BUILD_TYPE=Release > "$build.cmake.log" 2>&1 ||
  { cat "$build.cmake.log" >&2; exit 2; }
rm -f "$build.cmake.log"
cmake --build "$build" -j "$(nproc)" --target ofi "${targets[@]/#/fuzz_}" > "$build/build.log" 2>&1 ||
  { tail -30 "$build/build.log" >&2; exit 2; }

# Seeds: every input a parser should read, and a few it should refuse.
seeds() {
  local t=$1 dir=$2 g i f
  mkdir -p "$dir"
  case $t in
    csv)
      for g in "$root"/tests/golden/*/input; do
        for f in "$g"/*.csv; do
          if [ -f "$f" ]; then head -c 4096 "$f" > "$dir/$(basename "$(dirname "$g")")-$(basename "$f")"; fi
        done
      done ;;
    fields)
      i=0
      for v in "0" " 12 " "+7" "-3.0" "12abc" "9223372036854775807" "-9223372036854775808" \
               "3,5" "1e-3" ".5" "1E308" "2.675" "-0.005" "nan" "inf" "0x10" \
               "2024-12-30" "2024-02-29 10:00" "2024-01-01T23:59:59.123456789" "2023-02-29" \
               "2025-13-01" "0001-01-01" "9999-12-31 23:59"; do
        for k in 0 1 2 3 4; do
          printf "\\x$(printf %02x $k)%s" "$v" > "$dir/v$i-$k"
        done
        i=$((i + 1))
      done ;;
    weights)
      for f in "$root"/scripts/weights.ini "$root"/tests/ref/*.ini "$root"/tests/golden/*/*.ini; do
        if [ -f "$f" ]; then cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; fi
      done ;;
    load)
      # The golden inputs, and a generated set of dirty rows whose bigger tables span
      # several of run B's 4 KiB chunks.
      local names=(calendar customers agents products issue_catalog cases case_timeline refunds)
      "$build/ofi" gen --cases 60 --seed 11 --dirty 0.1 --out "$build/gen-seed" --quiet
      for g in basic quirks badrows ties gen-seed; do
        for i in 0 1 2 3 4 5 6 7; do
          f="$root/tests/golden/$g/input/${names[$i]}.csv"
          [ $g = gen-seed ] && f="$build/gen-seed/${names[$i]}.csv"
          if [ -f "$f" ]; then { printf "\\x$(printf %02x $i)"; head -c 16000 "$f"; } > "$dir/$g-${names[$i]}"; fi
        done
      done ;;
  esac
}

status=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  corpus="$build/corpus/$t"
  seeds "$t" "$corpus"
  max_len=4096
  [ "$t" = load ] && max_len=16384
  [ "$t" = fields ] && max_len=256
  regress="$root/tests/fuzz/regress/$t"
  if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
    echo "fuzz_$t: replaying $(ls "$regress" | wc -l) regressions" >&2
    "$bin" -runs=0 "$regress"/* > "$build/$t.log" 2>&1 || { tail -40 "$build/$t.log" >&2; status=1; continue; }
  fi
  limit=(-max_total_time="$amount")
  # A whole run per input (two, in fact) makes load ~100x slower than the parsers.
  [ "$mode" = runs ] && limit=(-runs="$([ "$t" = load ] && echo $((amount / 20 + 1)) || echo "$amount")" -seed=1)
  [ "$jobs" -gt 1 ] && limit+=(-jobs="$jobs" -workers="$jobs")
  [ "$t" = load ] && limit+=(-len_control=0) # long inputs from the start: chunk boundaries
  echo "fuzz_$t: $mode $amount" >&2
  if ! (cd "$build" && "$bin" "${limit[@]}" -max_len=$max_len -print_final_stats=1 "$corpus" \
          > "$build/$t.log" 2>&1); then
    tail -40 "$build/$t.log" >&2
    status=1
    continue
  fi
  grep -E "^stat::number_of_executed_units|^Done" "$build/$t.log" | tail -2 >&2 || true
done
exit $status
