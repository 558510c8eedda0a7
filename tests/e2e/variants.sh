#!/usr/bin/env bash
# variants.sh - `ofi variants` (SPEC section 5) against the reference implementation
# tests/ref/ofi_ref.py --variants (pure Python, standard library; definitions V1-V9 in its
# docstring).
#
# usage: tests/e2e/variants.sh BIN
#
# Datasets (ofi gen): 3000 cases clean (seed 31) and 2000 cases --dirty 0.05 (seed 32).
# Each is scored by both programs with
#   tests/ref/weights_variants.ini  4 variants: baseline (defaults), reference_sql,
#                                   escalation_heavy, money_first
#   tests/ref/weights_same.ini      a variant and `copy`, an identical second variant
#   no --weights                    the single variant `default` (SPEC 7)
# and --top 50 and --top 7: the exit codes must agree and variants/variant_summary.csv,
# variant_top_cases.csv, variant_tier_migration.csv and the extras of issue 4,
# variant_rank_shifts.csv and variant_top_changes.csv, must be byte-identical.
#   copy  with weights_same.ini the `copy` row of variant_summary.csv (the oracle's, and
#         the engine's when it wrote one) reads topN_overlap N, spearman_cases 1.000000,
#         spearman_customers 1.000000, kendall_tau_top 1.000000, tier_changes 0
#   many  a generated weights file of 64 variants (escalation = 1..64) on the first
#         dataset: the engine exits 0 and lists the 64 variants in file order in
#         variant_summary.csv, byte-identical to the oracle's outputs
#   golden   the golden inputs empty (0 cases), ties and badrows, --top 3: byte-identical
#   threads  --threads 1 and 3 write the same variants/ files
# Prints one line per check and "variants: N passed, M failed"; exits 1 on failure.
# Needs bash, coreutils, diff, python3.

. "$(cd "$(dirname "$0")" && pwd)/e2e_lib.sh"
e2e_setup variants "$1"
WEIGHTS_VARIANTS=$here/../ref/weights_variants.ini
WEIGHTS_SAME=$here/../ref/weights_same.ini

FILES=(variants/variant_summary.csv variants/variant_top_cases.csv
       variants/variant_tier_migration.csv variants/variant_rank_shifts.csv
       variants/variant_top_changes.csv)
eo=$tmp/engine_out
ro=$tmp/ref_out

# compare_run NAME CSV_DIR WEIGHTS TOP: run both programs into $eo and $ro (left in place
# for the checks that follow) and compare exit codes and the variants/ files (FILES).
# Returns 0 when both programs succeeded.
compare_run() {
    local name=$1 csv=$2 weights=$3 top=$4 erc rrc f nsame=0
    local problems=() wopt=(--weights "$weights")
    [ "$weights" = - ] && wopt=()
    rm -rf "$eo" "$ro"
    "$BIN" variants --source "csv:$csv" "${wopt[@]}" --out "$eo" --top "$top" \
        --quiet > /dev/null 2> "$tmp/e.err"
    erc=$?
    "$PYTHON" "$REF" --csv "$csv" "${wopt[@]}" --out "$ro" --top "$top" \
        --variants > /dev/null 2> "$tmp/r.err"
    rrc=$?
    if [ $erc -ne $rrc ]; then
        problems+=("exit codes: engine $erc, oracle $rrc")
        problems+=("engine: $(head -3 "$tmp/e.err")" "oracle: $(head -3 "$tmp/r.err")")
    elif [ $erc -eq 0 ]; then
        for f in "${FILES[@]}"; do
            if [ ! -f "$ro/$f" ]; then
                problems+=("the oracle wrote no $f")
            elif [ ! -f "$eo/$f" ]; then
                problems+=("the engine wrote no $f")
            elif cmp -s "$eo/$f" "$ro/$f"; then
                nsame=$((nsame + 1))
            else
                problems+=("$f differs (< engine, > oracle):")
                problems+=("$(diff "$eo/$f" "$ro/$f" | head -8)")
            fi
        done
    fi
    if [ ${#problems[@]} -ne 0 ]; then
        fail "$name" "${problems[@]}"
    elif [ $erc -eq 0 ]; then
        pass "$name ($nsame files identical)"
    else
        pass "$name (both exit $erc)"
    fi
    [ $erc -eq 0 ] && [ $rrc -eq 0 ]
}

# check_copy_row NAME SUMMARY_CSV TOP: the `copy` row agrees perfectly with the baseline.
check_copy_row() {
    local name=$1 summary=$2 top=$3 row want
    row=$(grep '^copy,' "$summary" 2> /dev/null)
    want="$top,1.000000,1.000000,1.000000,0"
    if [ -z "$row" ]; then
        fail "$name" "no copy row in $summary"
    elif [ "$(echo "$row" | cut -d, -f7-11)" != "$want" ]; then
        fail "$name" "expected topN_overlap..tier_changes = $want" "got: $row"
    else
        pass "$name"
    fi
}

# check_extras NAME OUT TOP: the engine's two extra files agree with its summary: every
# variant's entering and leaving top-N cases number TOP - topN_overlap, and the `copy`
# variant (when present) shifts nothing.
check_extras() {
    local name=$1 out=$2 top=$3 problems=() v ov ent lea
    local summary=$out/variants/variant_summary.csv moves=$out/variants/variant_top_changes.csv
    local shifts=$out/variants/variant_rank_shifts.csv
    [ -f "$moves" ] && [ -f "$shifts" ] || { fail "$name" "missing extra files"; return; }
    while IFS=, read -r v _ _ _ _ _ ov _; do
        [ "$v" = variant ] && continue
        ent=$(grep -c "^$v,entering," "$moves")
        lea=$(grep -c "^$v,leaving," "$moves")
        [ "$ent" = $((top - ov)) ] && [ "$lea" = $((top - ov)) ] ||
            problems+=("$v: entering $ent, leaving $lea, expected $((top - ov)) each")
    done < "$summary"
    if grep -q '^copy,' "$shifts" && [ "$(grep '^copy,' "$shifts")" != "copy,0.000000,0.000000,0.000000" ]; then
        problems+=("copy shifts: $(grep '^copy,' "$shifts")")
    fi
    if [ ${#problems[@]} -ne 0 ]; then fail "$name" "${problems[@]}"; else pass "$name"; fi
}

datasets=("clean3000:--cases 3000 --seed 31"
          "dirty2000:--cases 2000 --seed 32 --dirty 0.05")
first_data=

for ds in "${datasets[@]}"; do
    dname=${ds%%:*}
    read -r -a gopts <<< "${ds#*:}"
    data=$tmp/$dname
    if ! "$BIN" gen "${gopts[@]}" --out "$data" --quiet > /dev/null 2> "$tmp/gen.err"; then
        fail "$dname: ofi gen ${ds#*:}" "$(head -5 "$tmp/gen.err")"
        continue
    fi
    [ -n "$first_data" ] || first_data=$data
    for top in 50 7; do
        compare_run "$dname weights_variants --top $top" "$data" "$WEIGHTS_VARIANTS" "$top"
        compare_run "$dname weights_same --top $top" "$data" "$WEIGHTS_SAME" "$top"
        if [ -f "$ro/${FILES[0]}" ]; then
            check_copy_row "$dname weights_same --top $top: copy row (oracle)" \
                "$ro/${FILES[0]}" "$top"
        else
            fail "$dname weights_same --top $top: copy row (oracle)" "the oracle failed"
        fi
        if [ -f "$eo/${FILES[0]}" ]; then
            check_copy_row "$dname weights_same --top $top: copy row (engine)" \
                "$eo/${FILES[0]}" "$top"
            check_extras "$dname weights_same --top $top: rank shifts and top changes" "$eo" "$top"
        fi
        compare_run "$dname weights_variants --top $top (again, for the extras)" "$data" \
            "$WEIGHTS_VARIANTS" "$top" &&
            check_extras "$dname weights_variants --top $top: rank shifts and top changes" "$eo" "$top"
    done
done

# --- the shipped example weights file, and no weights file (SPEC 7: the single variant
# is then `default`) ------------------------------------------------------------------------
if [ -n "$first_data" ]; then
    compare_run "shipped scripts/weights.ini" "$first_data" "$(dirname "$REF")/../../scripts/weights.ini" 50
    if compare_run "no --weights" "$first_data" - 50; then
        rows=$(tail -n +2 "$eo/${FILES[0]}" | cut -d, -f1 | tr '\n' ' ')
        if [ "$rows" = "default " ]; then
            pass "no --weights: one variant, default"
        else
            fail "no --weights: one variant, default" "variants: $rows"
        fi
    fi
fi

# --- small hand-made sets: no case at all (every statistic empty, the tier pairs at 0),
# exact ties everywhere, dirty rows (tests/golden) -------------------------------------------
for g in empty ties badrows; do
    compare_run "golden $g weights_variants --top 3" "$here/../golden/$g/input" "$WEIGHTS_VARIANTS" 3
done

# --- 64 variants ----------------------------------------------------------------------
many=$tmp/many.ini
for i in $(seq 1 64); do
    printf '[variant escalation_%d]\nescalation = %d\n\n' "$i" "$i"
done > "$many"
seq 1 64 | sed 's/^/escalation_/' > "$tmp/many.names"
if [ -z "$first_data" ]; then
    fail "64 variants" "no dataset"
else
    compare_run "64 variants --top 50" "$first_data" "$many" 50
    for side in engine oracle; do
        [ $side = engine ] && summary=$eo/${FILES[0]} || summary=$ro/${FILES[0]}
        if [ ! -f "$summary" ]; then
            fail "64 variants: 64 summary rows ($side)" "no $summary"
        elif ! tail -n +2 "$summary" | cut -d, -f1 | cmp -s - "$tmp/many.names"; then
            fail "64 variants: 64 summary rows ($side)" \
                "$(($(wc -l < "$summary") - 1)) rows; variants (< $side, > expected):" \
                "$(tail -n +2 "$summary" | cut -d, -f1 | diff - "$tmp/many.names" | head -8)"
        else
            pass "64 variants: 64 summary rows ($side)"
        fi
    done
fi

# --- any thread count, the same bytes (the per-variant ranking runs in parallel: doubled
# ranks over ranges of positions whose tie blocks may cross them, 128-bit sums per thread)
if [ -n "$first_data" ]; then
    problems=()
    for t in 1 3; do
        rm -rf "$tmp/thr$t"
        "$BIN" variants --source "csv:$tmp/dirty2000" --weights "$WEIGHTS_VARIANTS" --top 7 \
            --threads "$t" --out "$tmp/thr$t" --quiet || problems+=("--threads $t: exit $?")
    done
    for f in "${FILES[@]}"; do
        cmp -s "$tmp/thr1/$f" "$tmp/thr3/$f" || problems+=("$f differs between --threads 1 and 3")
    done
    if [ ${#problems[@]} -eq 0 ]; then
        pass "--threads 1 and 3: the same ${#FILES[@]} files"
    else
        fail "--threads 1 and 3: the same ${#FILES[@]} files" "${problems[@]}"
    fi
fi

echo "variants: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
