#!/usr/bin/env bash
# bench/mysql.sh - MySQL read throughput: ofi's streaming reader against the stock client
# (`mariadb --quick --batch`, the floor any client pays) and against a bare binary-protocol
# fetch (unbuffered prepared statement, native types, nothing copied) of the same rows, in
# the same run,
# on the private MariaDB of scripts/mariadb.sh; then a whole `ofi run` from MySQL next to
# one from the same data as CSV. The reader runs as one stream and partitioned (key ranges
# over 2 and 4 connections at once, `--partitions`).
#
#   bench/mysql.sh [--cases 1M] [--reps 3] [--seed 42]
#
# The dataset is generated (bench/cache/) and loaded once per size; results go to
# bench/results/mysql-latest.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cases=1M reps=3 seed=42
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "usage: bench/mysql.sh [--cases N] [--reps N] [--seed S]" >&2; exit 1 ;;
  esac
done
build="$root/build"
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; } # calc EXPR [DECIMALS]
[ -x "$build/bench/ofi-bench" ] || "$root/scripts/build.sh" "$build" >&2
"$root/scripts/mariadb.sh" start
dbdir="${OFI_MARIADB_DIR:-$root/.mariadb}"
env="$dbdir/ofi.env"
# shellcheck disable=SC1090
. "$env"
. "$root/bench/lib.sh"
data=$(bench_dataset "$cases" "$seed")
stamp="$dbdir/loaded-gen2-$cases-seed$seed"
if [ ! -f "$stamp" ]; then
  echo "bench: loading $data" >&2
  rm -f "$dbdir"/loaded-*
  t0=$(date +%s.%N)
  "$build/ofi" load --from "$data" --env "$env"
  t1=$(date +%s.%N)
  echo "bench: loaded in $(calc "$t1 - $t0" 1) s" >&2
  touch "$stamp"
fi
export MYSQL_PWD="$MYSQL_PASSWORD" # the stock client reads it from the environment, not argv
cols() { # the SELECT list ofi uses, for the stock client
  case "$1" in
    cases) echo "case_id, date_id, customer_id, agent_id, product_id, issue_id, channel, status, priority, escalated_flag, reopened_flag, is_delayed, delay_minutes, is_cancelled, resolution_minutes, has_refund" ;;
    case_timeline) echo "event_id, case_id, event_type, event_timestamp" ;;
  esac
}
pk() { case "$1" in cases) echo case_id ;; case_timeline) echo event_id ;; esac; }
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
out="$root/bench/results/mysql-latest.md"
{
  echo "# ofi MySQL read bench"
  echo
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(mariadb --version | cut -d, -f1)"
  echo "- commit $(git -C "$root" rev-parse --short HEAD), $cases cases (seed $seed), medians of $reps, private MariaDB on 127.0.0.1"
  echo
  echo "| table | rows | MB (as text) | stock client s | ofi reader s | ofi / stock | ofi rows/s | ofi MB/s | bare binary fetch s | bare / ofi | ofi 2 partitions s | 2p / stock | ofi 4 partitions s | 4p / stock |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for t in cases case_timeline; do
    stock=() ours=() bin=() p2=() p4=() line=""
    for _ in $(seq 1 "$reps"); do
      t0=$(date +%s.%N)
      mariadb --no-defaults -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER" --quick --batch \
        --skip-column-names -e "SELECT $(cols $t) FROM $t ORDER BY $(pk $t)" "$MYSQL_DATABASE" > /dev/null
      t1=$(date +%s.%N)
      stock+=("$(calc "$t1 - $t0")")
      line=$("$build/bench/ofi-bench" --mysql-stream "$env" "$t")
      ours+=("$(echo "$line" | cut -d, -f4)")
      bin+=("$("$build/bench/ofi-bench" --mysql-stream-binary "$env" "$t" | cut -d, -f4)")
      p2+=("$("$build/bench/ofi-bench" --mysql-stream "$env" "$t" 2 | cut -d, -f4)")
      p4+=("$("$build/bench/ofi-bench" --mysql-stream "$env" "$t" 4 | cut -d, -f4)")
    done
    rows=$(echo "$line" | cut -d, -f2) bytes=$(echo "$line" | cut -d, -f3)
    s=$(printf '%s\n' "${stock[@]}" | med) o=$(printf '%s\n' "${ours[@]}" | med)
    b=$(printf '%s\n' "${bin[@]}" | med)
    q2=$(printf '%s\n' "${p2[@]}" | med) q4=$(printf '%s\n' "${p4[@]}" | med)
    echo "| $t | $rows | $(calc "$bytes / 1000000" 1) | $s | $o | $(calc "$o / $s" 2) | $(calc "$rows / $o" 0) | $(calc "$bytes / 1000000 / $o" 1) | $b | $(calc "$b / $o" 2) | $q2 | $(calc "$q2 / $s" 2) | $q4 | $(calc "$q4 / $s" 2) |"
  done
  echo
  runs_m=() runs_c=() runs_1=()
  for _ in $(seq 1 "$reps"); do
    t0=$(date +%s.%N); "$build/ofi" run --source mysql --env "$env" --out /tmp/ofi-bench-my --no-extract --quiet; t1=$(date +%s.%N)
    runs_m+=("$(calc "$t1 - $t0")")
    t0=$(date +%s.%N); "$build/ofi" run --source mysql --env "$env" --out /tmp/ofi-bench-my --no-extract --quiet --partitions 1; t1=$(date +%s.%N)
    runs_1+=("$(calc "$t1 - $t0")")
    t0=$(date +%s.%N); "$build/ofi" run --source "csv:$data" --out /tmp/ofi-bench-csv --quiet; t1=$(date +%s.%N)
    runs_c+=("$(calc "$t1 - $t0")")
  done
  m=$(printf '%s\n' "${runs_m[@]}" | med) c=$(printf '%s\n' "${runs_c[@]}" | med)
  m1=$(printf '%s\n' "${runs_1[@]}" | med)
  echo "Whole \`ofi run\` (all threads): from MySQL $m s (default partitions: one connection per two threads), $m1 s with \`--partitions 1\`; from CSV $c s (MySQL / CSV $(calc "$m / $c" 2))."
} > "$out"
cat "$out"
