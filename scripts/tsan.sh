#!/usr/bin/env bash
# tsan.sh - build `ofi` with ThreadSanitizer (clang, its libomp and Archer) and run every
# multi-threaded command on a generated dirty dataset: any data race fails.
#
#   scripts/tsan.sh [--build DIR] [--cases N] [--no-mysql]
#
# What runs, with 2 to 4 threads (more than the 2 cores of the project's machines: the
# threads interleave more): `ofi gen`; `ofi run` from CSV four ways (3 threads; 2 threads
# in 1000-row chunks; 4 threads, 700-row chunks, the generic parser and no mapping; no
# writer threads), whose ofi/ dq/ fk/ files must be equal; `ofi variants`; `ofi
# sensitivity`; a run stopped by SIGTERM part way; and, unless
# --no-mysql, against a private MariaDB (scripts/mariadb.sh, its datadir in DIR/mariadb):
# `ofi load`, `ofi run` and `ofi extract` over 3 and 4 connections (the fetch threads),
# `ofi variants`. The outputs from MySQL must equal those from CSV (dq/ aside: the rows
# `ofi load` leaves out are not in MySQL).
#
# OpenMP's barriers and reductions are only visible to TSan through Archer (an OMPT tool
# shipped with clang's libomp, loaded by OMP_TOOL_LIBRARIES); first a small canary with
# one racy and one clean OpenMP loop must report exactly its race, so that a clean run
# means something. Criterion cannot start under TSan (Criterion issue 274: its arena),
# so the unit tests are not run here. DIR defaults to build-tsan (git-ignored).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-tsan" cases=30k mysql=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --no-mysql) mysql=0; shift ;;
    *) echo "usage: scripts/tsan.sh [--build DIR] [--cases N] [--no-mysql]" >&2; exit 1 ;;
  esac
done
cc=$(command -v clang || true)
[ -n "$cc" ] || { echo "tsan.sh: clang is missing (scripts/deps.sh --test installs it)" >&2; exit 2; }
archer="$(dirname "$(dirname "$(readlink -f "$cc")")")/lib/libarcher.so"
[ -f "$archer" ] || { echo "tsan.sh: $archer is missing (libomp-dev)" >&2; exit 2; }
mkdir -p "$build"
CC="$cc" cmake -S "$root" -B "$build" -DOFI_TSAN=ON -DOFI_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
  > "$build/cmake.log" 2>&1 || { cat "$build/cmake.log" >&2; exit 2; }
cmake --build "$build" -j "$(nproc)" --target ofi > "$build/build.log" 2>&1 ||
  { tail -30 "$build/build.log" >&2; exit 2; }
ofi="$build/ofi"
# The library itself instrumented, not only main.c (a build type's flags could drop them).
objdump -d --disassemble=ofi_sort_desc "$ofi" | grep -q __tsan_func_entry ||
  { echo "tsan.sh: $ofi: the library is not instrumented" >&2; exit 2; }

export OMP_TOOL_LIBRARIES="$archer"
# Reports go to stderr and make the process exit 66; the runtime libraries (libc, the
# MySQL client) are not instrumented: their own accesses are not reported. Options the
# caller set come after these (TSan takes the last of a name).
export TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=0 exitcode=66 ${TSAN_OPTIONS:-}"
work="$build/work"
rm -rf "$work"
mkdir -p "$work"
fail=0

# name, expected exit code, then the command: its stderr in $work/name.log.
step() {
  local name=$1 want=$2 rc=0
  shift 2
  "$@" > "$work/$name.log" 2>&1 || rc=$?
  if grep -q "ThreadSanitizer" "$work/$name.log" || [ "$rc" != "$want" ]; then
    echo "tsan.sh: $name: exit $rc (expected $want)" >&2
    head -80 "$work/$name.log" >&2
    fail=1
  else
    echo "tsan.sh: $name: ok" >&2
  fi
}

same() { # two output roots: equal ofi/ dq/ fk/ files (ofi/ fk/ only with a third argument)
  local d dirs=(ofi dq fk)
  [ $# -lt 3 ] || dirs=(ofi fk)
  for d in "${dirs[@]}"; do
    diff -r "$1/$d" "$2/$d" > "$work/diff.log" 2>&1 ||
      { echo "tsan.sh: $1/$d differs from $2/$d" >&2; head -20 "$work/diff.log" >&2; fail=1; }
  done
}

# The canary: the racy loop must be reported (exit 66), and nothing else.
cat > "$work/canary.c" << 'EOF'
#include <stdio.h>
int main(void)
{
    long clean = 0, racy = 0;
#pragma omp parallel for num_threads(2) reduction(+ : clean)
    for (int i = 0; i < 100000; i++)
        clean += i;
#pragma omp parallel for num_threads(2)
    for (int i = 0; i < 100000; i++)
        racy += i;
    printf("%ld %ld\n", clean, racy);
    return 0;
}
EOF
"$cc" -fopenmp=libomp -fsanitize=thread -g -O1 "$work/canary.c" -o "$work/canary"
rc=0
"$work/canary" > "$work/canary.log" 2>&1 || rc=$?
races=$(grep -c "WARNING: ThreadSanitizer: data race" "$work/canary.log" || true)
if [ "$rc" != 66 ] || [ "$races" != 1 ] || ! grep -q "canary.c:10" "$work/canary.log"; then
  echo "tsan.sh: the canary's race was not reported as expected (exit $rc, $races reports):" \
    "TSan or Archer does not work here" >&2
  head -40 "$work/canary.log" >&2
  exit 1
fi

data="$work/data"
step gen 0 "$ofi" gen --cases "$cases" --seed 3 --dirty 0.02 --threads 3 --out "$data"
step run-3 0 "$ofi" run --source csv:"$data" --out "$work/run-3" --threads 3 --quiet
step run-2-chunks 0 "$ofi" run --source csv:"$data" --out "$work/run-2" --threads 2 \
  --chunk-rows 1000 --quiet
step run-4-generic 0 env OFI_GENERIC_PARSE=1 OFI_NO_MMAP=1 "$ofi" run --source csv:"$data" \
  --out "$work/run-4" --threads 4 --chunk-rows 700 --quiet
step run-no-writer-threads 0 env OFI_NO_WRITER_THREADS=1 "$ofi" run --source csv:"$data" \
  --out "$work/run-nw" --threads 2 --quiet
for o in run-2 run-4 run-nw; do same "$work/run-3" "$work/$o"; done
step variants 0 "$ofi" variants --source csv:"$data" --weights "$root/scripts/weights.ini" \
  --out "$work/variants" --threads 3 --quiet
step sensitivity 0 "$ofi" sensitivity --source csv:"$data" --samples 30 --spread 0.25 --seed 5 \
  --out "$work/sensitivity" --threads 3 --quiet

# SIGTERM part way through a run (the handler, the output set's cleanup and the writer
# threads meet): exit 143, no report. The test hook holds each final rename 100 ms, so
# the run cannot be over before the signal whatever the machine's speed (one that comes
# during the renames waits for them, then ends the run by the signal all the same).
OFI_TEST_COMMIT_PAUSE_MS=100 "$ofi" run --source csv:"$data" --out "$work/signal" --threads 3 \
  --quiet 2> "$work/signal.log" &
pid=$!
sleep 0.4
kill -TERM "$pid" 2> /dev/null || true
rc=0
wait "$pid" || rc=$?
if grep -q "ThreadSanitizer" "$work/signal.log" || [ "$rc" != 143 ]; then
  echo "tsan.sh: signal: exit $rc" >&2
  head -80 "$work/signal.log" >&2
  fail=1
else
  echo "tsan.sh: signal: ok" >&2
fi

if [ "$mysql" = 1 ]; then
  export OFI_MARIADB_DIR="$build/mariadb"
  # The server is this script's own: stopped at the end whatever happens.
  trap '[ "$BASHPID" != $$ ] || "$root/scripts/mariadb.sh" stop > /dev/null 2>&1 || true' EXIT
  "$root/scripts/mariadb.sh" start > "$work/mariadb.log" 2>&1 ||
    { cat "$work/mariadb.log" >&2; exit 2; }
  "$root/scripts/mariadb.sh" env > "$work/db.env"
  step load 0 "$ofi" load --from "$data" --env "$work/db.env" --quiet
  step mysql-run-3 0 "$ofi" run --env "$work/db.env" --out "$work/mysql-3" --threads 3 \
    --partitions 3 --chunk-rows 1000 --quiet
  # What `ofi load` left out (rejected rows, repeated ids) is not in MySQL: dq/ differs.
  same "$work/run-3" "$work/mysql-3" ofi-fk
  step mysql-extract-4 0 "$ofi" extract --env "$work/db.env" --out "$work/mysql-4" --threads 4 \
    --partitions 4 --quiet
  diff -r "$work/mysql-3/extracts" "$work/mysql-4/extracts" -x extract_manifest.json \
    > "$work/diff.log" 2>&1 || { echo "tsan.sh: the extracts differ" >&2; fail=1; }
  step mysql-variants 0 "$ofi" variants --env "$work/db.env" --weights "$root/scripts/weights.ini" \
    --out "$work/mysql-variants" --threads 3 --partitions 2 --quiet
  diff -r "$work/variants/variants" "$work/mysql-variants/variants" -x variants_manifest.json \
    > "$work/diff.log" 2>&1 ||
    { echo "tsan.sh: variants from MySQL differ from CSV" >&2; fail=1; }
fi
[ "$fail" = 0 ] && echo "tsan.sh: no data race" >&2
exit "$fail"
