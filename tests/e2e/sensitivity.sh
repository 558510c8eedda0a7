#!/usr/bin/env bash
# sensitivity.sh - `ofi sensitivity` (issue #4's Monte Carlo) against a brute force: the
# reference tests/ref/ofi_ref.py --sensitivity scores every sample over every case, ranks by
# sorting, takes each sample's tier quantiles over all customers - none of the engine's
# bounds or candidate sets. The four variants/sensitivity_*.csv files must be identical.
#
# usage: tests/e2e/sensitivity.sh BIN
#
# Datasets (ofi gen): 3000 cases (seed 41; generated data has many tied scores), a copy with
# negative refunds, friction weights and segment multipliers (bounds of either sign), and
# 1500 dirty cases (seed 42, --dirty 0.05), and a hand-made set whose customer sum only the
# exact fallback rounds right. Baselines: the default weights; a variant with
# both multipliers on; one with zero weights. Top N 10, 50
# and one larger than the customer count. Then: any thread count and a repeated seed give
# the same bytes; another seed other samples; a sample's written weights, run through
# `ofi run --weights`, give the very tiers and ranks the sample counted (S = 1); the bounds
# rule most cases out; bad options exit 1 with their message.
# Prints one line per check and "sensitivity: N passed, M failed"; exits 1 on failure.

. "$(cd "$(dirname "$0")" && pwd)/e2e_lib.sh"
e2e_setup sensitivity "$1"
FILES=(sensitivity_samples.csv sensitivity_cases.csv sensitivity_customers.csv sensitivity_tiers.csv)

"$BIN" gen --cases 3000 --seed 41 --out "$tmp/d1" --quiet || exit 2
"$BIN" gen --cases 1500 --seed 42 --dirty 0.05 --out "$tmp/d2" --quiet || exit 2
cat > "$tmp/w.ini" <<'INI'
[variant mult]
severity_multiplier = on
segment_multiplier = on
refund_flag = 4
[variant signs]
reopen = 0
issue = 2
segment_multiplier = on
INI
# Components and multipliers of either sign: negative refunds, friction weights and
# segment multipliers in a copy of the first dataset.
cp -r "$tmp/d1" "$tmp/d3"
"$PYTHON" - "$tmp/d3" <<'PY'
import csv, sys
d = sys.argv[1]
def edit(name, col, fn):
    rows = list(csv.reader(open("%s/%s.csv" % (d, name))))
    k = rows[0].index(col)
    for i, r in enumerate(rows[1:]):
        r[k] = fn(i, r[k])
    csv.writer(open("%s/%s.csv" % (d, name), "w", newline=""), lineterminator="\n").writerows(rows)
edit("refunds", "refund_amount_eur", lambda i, v: "-" + v if i % 3 == 0 else v)
edit("issue_catalog", "friction_weight", lambda i, v: "-" + v if i % 2 == 0 else v)
edit("customers", "segment_multiplier", lambda i, v: "-0.5" if i % 7 == 0 else v)
PY

# same NAME DIR1 DIR2: the four files identical
same() {
    local f bad=()
    for f in "${FILES[@]}"; do
        cmp -s "$2/variants/$f" "$3/variants/$f" || bad+=("$f differs: $(diff "$2/variants/$f" "$3/variants/$f" | head -4)")
    done
    if [ ${#bad[@]} -eq 0 ]; then pass "$1"; else fail "$1" "${bad[@]}"; fi
}

# oracle NAME CSV S F SEED TOP [ARGS...]: engine vs brute force
oracle() {
    local name=$1 csv=$2 S=$3 F=$4 seed=$5 top=$6
    shift 6
    rm -rf "$tmp/e" "$tmp/r"
    if ! "$BIN" sensitivity --source "csv:$csv" --out "$tmp/e" --samples "$S" --spread "$F" \
        --seed "$seed" --top "$top" --quiet "$@" 2>"$tmp/e.err"; then
        fail "$name: engine exits 0" "$(head -3 "$tmp/e.err")"
        return
    fi
    if ! "$PYTHON" "$REF" --csv "$csv" --out "$tmp/r" --sensitivity "$S" "$F" "$seed" --top "$top" "$@" 2>"$tmp/r.err"; then
        fail "$name: oracle exits 0" "$(head -3 "$tmp/r.err")"
        return
    fi
    same "$name: engine = brute force" "$tmp/e" "$tmp/r"
}

oracle "defaults, N 10" "$tmp/d1" 40 0.25 7 10
oracle "defaults, N 50" "$tmp/d1" 30 0.25 8 50
oracle "multipliers on" "$tmp/d1" 30 0.3 9 20 --weights "$tmp/w.ini" --variant mult
oracle "components of either sign, zero weights" "$tmp/d3" 30 0.25 10 20 --weights "$tmp/w.ini" --variant signs
oracle "dirty data" "$tmp/d2" 25 0.5 11 15
oracle "N above the customer count" "$tmp/d2" 9 0.25 12 5000
oracle "spread 0 and 1" "$tmp/d2" 9 1 13 10
oracle "spread 0" "$tmp/d2" 5 0 14 10

# A customer average whose fast sum cannot be proved correctly rounded, so the engine
# redoes it exactly: scores 2^57, 16 and 1e-18 (resolution 1/1, touch 1e-18) sum to
# 2^57 + 16 + 1e-18, just past a tie, which rounds up to 2^57 + 32; the fast sum lands on
# the tie and rounds down. Customer 5's one case (48038396025285296) lies between the two
# averages, so the samples' customer ranks and tiers tell them apart.
mkdir -p "$tmp/d4" && cp "$here/../golden/ties/input/"*.csv "$tmp/d4/"
cat > "$tmp/d4/cases.csv" <<'CSV'
case_id,date_id,customer_id,agent_id,product_id,issue_id,channel,status,priority,escalated_flag,reopened_flag,is_delayed,delay_minutes,is_cancelled,resolution_minutes,has_refund
1,1,1,1,1,7,Chat,Closed,High,0,0,0,0,0,144115188075855872,0
2,1,1,1,1,7,Chat,Closed,High,0,0,0,0,0,16,0
3,1,1,1,1,7,Chat,Closed,High,0,0,0,0,0,0,0
4,1,2,1,1,7,Chat,Closed,High,0,0,0,0,0,144115188075855904,0
5,1,3,1,1,7,Chat,Closed,High,0,0,0,0,0,5,0
6,1,4,1,1,7,Chat,Closed,High,0,0,0,0,0,144115188075855872,0
7,1,5,1,1,7,Chat,Closed,High,0,0,0,0,0,48038396025285296,0
CSV
printf 'event_id,case_id,event_type,event_timestamp\n1,3,created,2025-01-06 10:00:00\n' > "$tmp/d4/case_timeline.csv"
printf '5,NL,EU,SMB,2021,1.0\n' >> "$tmp/d4/customers.csv"
printf '[variant tiny]\npriority.low = 0\npriority.medium = 0\npriority.high = 0\nescalation = 0\nreopen = 0\ndelay = 0\nresolution = 1/1\nrefund = 0\ntouch = 1e-18/1\n' > "$tmp/tiny.ini"
oracle "a customer sum past a tie (the exact fallback)" "$tmp/d4" 3 0 1 5 --weights "$tmp/tiny.ini"

# Determinism: thread counts, the same seed twice; another seed differs.
for t in 1 2 3; do
    "$BIN" sensitivity --source "csv:$tmp/d1" --out "$tmp/t$t" --samples 21 --spread 0.25 --seed 5 \
        --threads "$t" --quiet 2>/dev/null
done
same "1 thread = 2 threads" "$tmp/t1" "$tmp/t2"
same "1 thread = 3 threads" "$tmp/t1" "$tmp/t3"
"$BIN" sensitivity --source "csv:$tmp/d1" --out "$tmp/t4" --samples 21 --spread 0.25 --seed 6 --quiet
if cmp -s "$tmp/t1/variants/sensitivity_samples.csv" "$tmp/t4/variants/sensitivity_samples.csv"; then
    fail "another seed, other samples"
else
    pass "another seed, other samples"
fi

# A sample is an ordinary variant: its row (weights and the two multiplier switches)
# through `ofi run` gives what it counted, with the default baseline and with both
# multipliers on.
sample_run() { # sample_run NAME [ARGS...]
    local name=$1
    shift
    rm -rf "$tmp/one" "$tmp/onerun" "$tmp/one.check"
    if ! "$BIN" sensitivity --source "csv:$tmp/d1" --out "$tmp/one" --samples 1 --spread 0.25 \
        --seed 99 --top 50 --quiet "$@"; then
        fail "a sample's row through ofi run ($name): sensitivity exits 0"
        return
    fi
"$PYTHON" - "$tmp/one/variants/sensitivity_samples.csv" > "$tmp/one.ini" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
print("[variant sample1]")
for key, value in zip(rows[0][1:], rows[1][1:]):
    print("%s = %s" % (key, value))
PY
if ! "$BIN" run --source "csv:$tmp/d1" --out "$tmp/onerun" --weights "$tmp/one.ini" --quiet; then
    fail "a sample's row through ofi run ($name): run exits 0"
    return
fi
"$PYTHON" - "$tmp/one/variants" "$tmp/onerun/ofi" <<'PY' > "$tmp/one.check"
import csv, sys
sv, ofi = sys.argv[1], sys.argv[2]
tiers = {r["customer_id"]: r["tier"] for r in csv.DictReader(open(ofi + "/customer_tiers.csv"))}
names = {"low_share": "Low Friction", "medium_share": "Medium Friction", "high_share": "High Friction"}
bad = 0
for r in csv.DictReader(open(sv + "/sensitivity_tiers.csv")):
    got = [names[k] for k in names if r[k] == "1.000000"]
    bad += got != [tiers[r["customer_id"]]]
rank = {r["case_id"]: i + 1 for i, r in enumerate(csv.DictReader(open(ofi + "/ofi_case_scores.csv")))}
for r in csv.DictReader(open(sv + "/sensitivity_cases.csv")):
    bad += float(r["median_rank"]) != rank[r["case_id"]]
crank = {r["customer_id"]: i + 1 for i, r in enumerate(csv.DictReader(open(ofi + "/high_friction_customers.csv")))}
for r in csv.DictReader(open(sv + "/sensitivity_customers.csv")):
    bad += float(r["median_rank"]) != crank[r["customer_id"]]
print(bad)
PY
if [ "$(cat "$tmp/one.check")" = 0 ]; then
    pass "a sample's row through ofi run ($name): the same tiers and ranks"
else
    fail "a sample's row through ofi run ($name): the same tiers and ranks" "$(cat "$tmp/one.check") mismatches"
fi
}
sample_run "default weights"
sample_run "multipliers on" --weights "$tmp/w.ini" --variant mult


# The bounds rule most cases out of the top-N questions.
"$BIN" sensitivity --source "csv:$tmp/d1" --out "$tmp/b" --samples 3 --spread 0.25 --seed 1 \
    --top 10 2>"$tmp/b.err"
if grep -Eq "sensitivity: 3 samples, [0-9]+ of 3000 cases" "$tmp/b.err" &&
   [ "$(grep -Eo '[0-9]+ of 3000 cases' "$tmp/b.err" | cut -d' ' -f1)" -lt 1500 ]; then
    pass "bounds: fewer than half the cases need per-sample ranks"
else
    fail "bounds: fewer than half the cases need per-sample ranks" "$(cat "$tmp/b.err")"
fi

# Bad options: exit 1 and a message naming the option.
bad_opt() {
    local frag=$1
    shift
    "$BIN" sensitivity --source "csv:$tmp/d1" --out "$tmp/bad" "$@" 2>"$tmp/bad.err"
    local rc=$?
    if [ $rc -eq 1 ] && grep -qF -- "$frag" "$tmp/bad.err"; then
        pass "bad options: $* -> exit 1, \"$frag\""
    else
        fail "bad options: $* -> exit 1, \"$frag\"" "exit $rc: $(head -2 "$tmp/bad.err")"
    fi
}
bad_opt "--samples S, --spread F and --seed X are required" --samples 5 --spread 0.2
bad_opt "--samples: expected 1..10000000" --samples 0 --spread 0.2 --seed 1
bad_opt "--spread: expected a number in [0, 1]" --samples 5 --spread 1.5 --seed 1
bad_opt "--spread: expected a number in [0, 1]" --samples 5 --spread x --seed 1
bad_opt "--seed: expected" --samples 5 --spread 0.2 --seed -3
bad_opt "no variant named" --samples 5 --spread 0.2 --seed 1 --weights "$tmp/w.ini" --variant nope
[ ! -e "$tmp/bad/variants" ] && pass "bad options write nothing" || fail "bad options write nothing"

echo "sensitivity: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
