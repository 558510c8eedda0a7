#!/usr/bin/env bash
# bench/ab.sh - measure one change: two or more builds (or environments) of `ofi run`,
# alternated run by run on the same data so that the machine's noise falls on all of them
# alike; prints each arm's median per phase and peak memory (MiB, from
# reports/project_report.txt) and its total against the first arm's.
#
#   bench/ab.sh RUNS DATA 'ENV' OFI [ 'ENV' OFI ... ]
#
# DATA is a directory of CSV files, or mysql:ENV_FILE to read the database that file
# names (`--source mysql --no-extract`, e.g. mysql:.mariadb/ofi.env after `ofi load`).
# ENV is a space-separated list of VAR=value for that arm (use X=1 for none), OFI the
# binary. Example, huge pages off (the default) and on with the same build:
#   bench/ab.sh 4 bench/cache/gen2-10M-seed42 X=1 build/ofi OFI_HUGEPAGES=1 build/ofi
# The commit messages' "alternated" medians come from this script.
# AB_COMMAND='variants --weights FILE' (or another command's options) times that command
# instead of `ofi run`: wall seconds and peak memory (/usr/bin/time) per run, as "total".
# DATA `-` passes no source and no --out: AB_COMMAND is the whole command line, e.g.
#   AB_COMMAND='load --from bench/cache/gen2-1M-seed42 --env .mariadb/ofi.env' \
#     bench/ab.sh 3 - X=1 OLD/ofi X=1 build/ofi
set -euo pipefail
if [ $# -lt 4 ] || [ $(( ($# - 2) % 2 )) -ne 0 ]; then
  echo "usage: bench/ab.sh RUNS DATA_DIR|mysql:ENV_FILE 'ENV' OFI ['ENV' OFI ...]" >&2
  exit 1
fi
runs=$1 data=$2
shift 2
case "$data" in
  -) src=() ;;
  mysql:*) src=(--source mysql --env "${data#mysql:}" --no-extract) ;;
  *) src=(--source "csv:$data") ;;
esac
[ "$data" != - ] || [ -n "${AB_COMMAND:-}" ] || { echo "bench/ab.sh: DATA - needs AB_COMMAND" >&2; exit 1; }
envs=() bins=()
while [ $# -gt 0 ]; do envs+=("$1"); bins+=("$2"); shift 2; done
work="$(mktemp -d "${TMPDIR:-/tmp}/ofi-ab.XXXXXX")"
trap '[ "$BASHPID" != $$ ] || rm -rf "$work"' EXIT # main shell only
for r in $(seq "$runs"); do
  for j in "${!bins[@]}"; do
    if [ -n "${AB_COMMAND:-}" ]; then
      rm -rf "$work/out$j"
      # shellcheck disable=SC2086 # ENV and AB_COMMAND are word lists
      out=(--out "$work/out$j" --quiet)
      [ "$data" != - ] || out=(--quiet)
      env ${envs[$j]} /usr/bin/time -f '%e %M' -o "$work/time" "${bins[$j]}" $AB_COMMAND \
        ${src[@]+"${src[@]}"} "${out[@]}"
      read -r sec kib < "$work/time"
      printf '%s total %s peak_mib %s\n' "$j" "$sec" "$((kib / 1024))" >> "$work/log"
      continue
    fi
    # shellcheck disable=SC2086 # ENV is a list of assignments
    env ${envs[$j]} "${bins[$j]}" run "${src[@]}" --out "$work/out$j" --quiet
    rep="$work/out$j/reports/project_report.txt"
    printf '%s %s peak_mib %s\n' "$j" "$(grep -A2 'Phase timings' "$rep" | tail -1)" \
      "$(sed -n 's/^peak memory \([0-9]*\) MiB$/\1/p' "$rep")" >> "$work/log"
  done
done
python3 - "$work/log" "$runs" "${envs[@]}" <<'PY'
import collections, statistics, sys
log, runs, envs = sys.argv[1], sys.argv[2], sys.argv[3:]
d = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(log):
    w = line.split()
    for k in range(1, len(w) - 1, 2):
        d[int(w[0])][w[k]].append(float(w[k + 1]))
base = statistics.median(d[0]["total"])
print(f"medians of {runs} alternated runs, seconds")
for j in sorted(d):
    phases = "  ".join(f"{k} {statistics.median(v):.3f}" for k, v in d[j].items())
    print(f"arm {j} [{envs[j]}]: {phases}  total/arm0 {statistics.median(d[j]['total']) / base:.3f}")
PY
