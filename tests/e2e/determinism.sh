#!/usr/bin/env bash
# determinism.sh - outputs must not depend on the thread count or the chunk size
# (SPEC section 4), and the generator's bytes must not depend on --threads.
#
# usage: tests/e2e/determinism.sh BIN
#
# 1. `ofi gen --cases 200000 --seed 42 --dirty 0.01`, then `ofi run` with --threads 1
#    (the reference), --threads 2, --threads 2 --chunk-rows 5000, --threads 2
#    --chunk-rows 64 (the smallest chunks: thousands of chunk boundaries) and --threads 3
#    --chunk-rows 20000 (more threads than a 2-core machine has), and OFI_NO_MMAP=1
#    OFI_NO_DIRECT=1 OFI_NO_WRITER_THREADS=1 --threads 2 --chunk-rows 70000 (inputs read
#    into buffers, not mapped; the 35 MB case list written through the page cache, not
#    with O_DIRECT, and hashed and written by the formatting thread), and
#    OFI_GENERIC_PARSE=1 --threads 2 (no record through the loader's fast path); every file
#    under ofi/, dq/, fk/ and reports/dashboard.html must be byte-identical to the
#    reference, and the file sets equal.
# 2. `ofi gen --cases 20000 --seed 7 --dirty 0.05` with --threads 1 and --threads 2: the
#    eight CSV files must be byte-identical.
# 3. A 3000-case dataset rewritten with CRLF line ends and quoted multi-line fields (commas,
#    doubled quotes, LF and CRLF inside), run with --threads 1, and --threads 2 with
#    --chunk-rows 1 and 7 (4 KiB chunks: boundaries fall inside quoted fields).
# Prints one line per check and "determinism: N passed, M failed"; exits 1 on failure.
# Needs bash, coreutils, diff, python3 (standard library).

. "$(cd "$(dirname "$0")" && pwd)/e2e_lib.sh"
e2e_setup determinism "$1"

# compare_trees NAME A B DIRS...: files under A/<dir> and B/<dir> equal, byte for byte.
compare_trees() {
    local name=$1 a=$2 b=$3 d f
    shift 3
    local problems=()
    local fa fb
    fa=$(cd "$a" && for d in "$@"; do [ -d "$d" ] && find "$d" -type f; done | sort)
    fb=$(cd "$b" && for d in "$@"; do [ -d "$d" ] && find "$d" -type f; done | sort)
    if [ -z "$fa" ]; then
        problems+=("no output files in $a")
    elif [ "$fa" != "$fb" ]; then
        problems+=("file sets differ: $(diff <(echo "$fa") <(echo "$fb") | grep '^[<>]' | tr '\n' ' ')")
    fi
    while IFS= read -r f; do
        [ -n "$f" ] && [ -f "$b/$f" ] || continue
        if ! cmp -s "$a/$f" "$b/$f"; then
            problems+=("$f differs: $(cmp "$a/$f" "$b/$f" 2>&1 | head -1)")
            problems+=("$(diff "$a/$f" "$b/$f" | head -6)")
        fi
    done <<< "$fa"
    if [ ${#problems[@]} -eq 0 ]; then
        pass "$name ($(echo "$fa" | wc -l) files identical)"
    else
        fail "$name" "${problems[@]}"
    fi
}

# --- 1. the run: 200k cases, 1% dirty ---------------------------------------------------
data=$tmp/data
if ! "$BIN" gen --cases 200000 --seed 42 --dirty 0.01 --out "$data" --quiet 2> "$tmp/gen.err"; then
    fail "gen 200000 cases" "$(head -5 "$tmp/gen.err")"
else
    configs=("threads1:--threads 1"
             "threads2:--threads 2"
             "threads2_chunk5000:--threads 2 --chunk-rows 5000"
             "threads2_chunk64:--threads 2 --chunk-rows 64"
             "threads3_chunk20000:--threads 3 --chunk-rows 20000"
             "threads2_buffered:--threads 2 --chunk-rows 70000"
             "threads2_generic:--threads 2")
    ok_runs=()
    for c in "${configs[@]}"; do
        name=${c%%:*}
        read -r -a opts <<< "${c#*:}"
        out=$tmp/out_$name
        # The buffered config reads its inputs into buffers, not through mappings, and
        # writes its outputs through the page cache from the formatting thread itself.
        if [ "$name" = threads2_buffered ]; then
            OFI_NO_MMAP=1 OFI_NO_DIRECT=1 OFI_NO_WRITER_THREADS=1 "$BIN" run --source "csv:$data" --out "$out" --quiet "${opts[@]}" \
                > /dev/null 2> "$tmp/$name.err"
        elif [ "$name" = threads2_generic ]; then
            OFI_GENERIC_PARSE=1 "$BIN" run --source "csv:$data" --out "$out" --quiet "${opts[@]}" \
                > /dev/null 2> "$tmp/$name.err"
        else
            "$BIN" run --source "csv:$data" --out "$out" --quiet "${opts[@]}" > /dev/null 2> "$tmp/$name.err"
        fi
        rc=$?
        if [ $rc -ne 0 ]; then
            fail "run ${c#*:}" "exit $rc" "$(head -5 "$tmp/$name.err")"
        else
            ok_runs+=("$name")
        fi
    done
    if [ "${ok_runs[0]}" = threads1 ]; then
        for name in "${ok_runs[@]:1}"; do
            compare_trees "run $name == threads1 (ofi/ dq/ fk/)" \
                "$tmp/out_threads1" "$tmp/out_$name" ofi dq fk
            # The dashboard holds no time and no timing: the same bytes too.
            d=reports/dashboard.html
            if [ -s "$tmp/out_threads1/$d" ] && cmp -s "$tmp/out_threads1/$d" "$tmp/out_$name/$d"; then
                pass "run $name == threads1 ($d)"
            else
                fail "run $name == threads1 ($d)" "$(cmp "$tmp/out_threads1/$d" "$tmp/out_$name/$d" 2>&1 | head -1)"
            fi
        done
    fi
    rm -rf "$data" "$tmp"/out_*
fi

# --- 2. the generator: 20k cases, 5% dirty, 1 vs 2 threads --------------------------------
for t in 1 2; do
    if ! "$BIN" gen --cases 20000 --seed 7 --dirty 0.05 --threads $t --out "$tmp/gen$t" \
            --quiet 2> "$tmp/gen$t.err"; then
        fail "gen --threads $t" "$(head -5 "$tmp/gen$t.err")"
    fi
done
if [ -d "$tmp/gen1" ] && [ -d "$tmp/gen2" ]; then
    n=$(find "$tmp/gen1" -name '*.csv' | wc -l)
    if [ "$n" -ne 8 ]; then
        fail "gen writes the eight tables" "found $n CSV files"
    else
        compare_trees "gen --threads 2 == --threads 1 (8 tables)" "$tmp/gen1" "$tmp/gen2" .
    fi
fi

# --- 3. records that span lines, across chunk boundaries -----------------------------------
# A parallel reader splits the file into chunks; a chunk boundary that falls inside a
# quoted field (with commas, doubled quotes, LF and CRLF in it) must not change a record.
ml=$tmp/multiline
if "$BIN" gen --cases 3000 --seed 21 --dirty 0.02 --out "$ml" --quiet 2> "$tmp/gen.err" &&
    "${PYTHON:-python3}" - "$ml" << 'EOF'
import csv, io, os, sys
d = sys.argv[1]
for name, col in (("cases.csv", "status"), ("case_timeline.csv", "event_type"),
                  ("customers.csv", "country")):
    path = os.path.join(d, name)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    k = rows[0].index(col)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(rows[0])
    for i, r in enumerate(rows[1:]):
        if len(r) > k and i % 3 == 0:
            r[k] = r[k] + '\n"line, two"\r\n' + "x" * (i % 50)
        w.writerow(r)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(out.getvalue())
EOF
then
    ok=1
    for c in "a:--threads 1" "b:--threads 2 --chunk-rows 1" "c:--threads 2 --chunk-rows 7"; do
        read -r -a opts <<< "${c#*:}"
        if ! "$BIN" run --source "csv:$ml" --out "$tmp/ml_${c%%:*}" --quiet "${opts[@]}" 2> "$tmp/ml.err"; then
            fail "multi-line records: run ${c#*:}" "$(head -5 "$tmp/ml.err")"
            ok=0
        fi
    done
    if [ $ok -eq 1 ]; then
        compare_trees "multi-line records: --threads 2 --chunk-rows 1 == --threads 1" \
            "$tmp/ml_a" "$tmp/ml_b" ofi dq fk
        compare_trees "multi-line records: --threads 2 --chunk-rows 7 == --threads 1" \
            "$tmp/ml_a" "$tmp/ml_c" ofi dq fk
    fi
else
    fail "multi-line records: preparing the data" "$(head -5 "$tmp/gen.err")"
fi

echo "determinism: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
