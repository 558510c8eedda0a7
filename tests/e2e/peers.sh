#!/usr/bin/env bash
# peers.sh BIN - the peers bench (bench/peers.sh) end to end at 2000 cases, one run each, on
# its own private MariaDB (started here in a temporary datadir, stopped at the end): every
# tool runs - ofi from CSV and from MySQL, DuckDB, pandas, SQL in MariaDB, the stock client
# floor - and every peer's outputs pass every check against ofi's; the results file and
# the SVG chart are written. No timing is asserted. A peer that cannot run fails the test
# (the bench prints `peers: skipping NAME: reason`); OFI_PEERS_ALLOW_SKIP=1 accepts that.
# Then the checker itself: ofi's own outputs pass it, and one changed value in each file
# makes the check of that file fail. And bench/run.sh, the engine's bench, at the same
# size: its summary and chart.
# Needs what `scripts/deps.sh --test` installs (nodejs and npm, python3-pandas,
# python3-sqlalchemy, python3-pymysql); the first run fetches @duckdb/node-api with `npm ci`.
set -u
. "$(dirname "$0")/e2e_lib.sh"
e2e_setup peers "$1"
root=$(cd "$here/../.." && pwd)
export OFI_MARIADB_DIR="$tmp/db"
trap '[ "$BASHPID" != $$ ] || { "$root/scripts/mariadb.sh" stop >/dev/null 2>&1; rm -rf "$tmp"; }' EXIT # main shell only
check() { if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1" "${@:3}"; fi; }

"$root/bench/peers.sh" --build "$(dirname "$BIN")" --cases 2000 --reps 1 --limit 120 \
    --cache "$tmp/cache" --results "$tmp/results" >"$tmp/bench.out" 2>"$tmp/bench.err"
check "bench/peers.sh exits 0" $? "$(tail -n 20 "$tmp/bench.err")"
raw=$(ls -d "$tmp"/results/raw/peers-* 2>/dev/null | head -n 1)
for tool in "ofi (CSV)" "ofi (MySQL)" "DuckDB (CSV)" "pandas (MySQL)" "SQL in MariaDB" "stock client"; do
    if grep -qF "peers: skipping $tool:" "$tmp/bench.err"; then
        [ "${OFI_PEERS_ALLOW_SKIP:-0}" = 1 ]
        check "$tool skipped, with its line (OFI_PEERS_ALLOW_SKIP=${OFI_PEERS_ALLOW_SKIP:-0})" $? \
            "$(grep -F "peers: skipping $tool:" "$tmp/bench.err")"
        continue
    fi
    awk -F'\t' -v t="$tool" '$2 == t && $7 == "ok" { n++ } END { exit !(n == 1) }' "$raw/runs.tsv"
    check "$tool ran once, exit 0" $? "$(grep -F "$tool" "$raw/runs.tsv" 2>&1)"
    case "$tool" in
        "DuckDB (CSV)"|"pandas (MySQL)"|"SQL in MariaDB") want=6 ;; # top_50 case_scores customers tiers weekly monthly
        "ofi (MySQL)") want=1 ;;                                      # byte-identical to the CSV run
        *) continue ;;
    esac
    awk -F'\t' -v t="$tool" -v w="$want" '$2 == t { n++; if ($3 != "OK") bad++ } END { exit !(n == w && !bad) }' \
        "$raw/checks.tsv"
    check "$tool: all $want checks OK" $? "$(grep -F "$tool" "$raw/checks.tsv" 2>&1)"
done
md="$tmp/results/peers-latest.md"
grep -q "^## 2000 cases" "$md" && grep -q "^## Targets" "$md" && grep -q "^| ofi (CSV) |" "$md" &&
    ! grep -q "FAIL" "$md"
check "peers-latest.md: the size, the targets, no failed check" $? "$(head -c 3000 "$md" 2>&1)"
"$PYTHON" -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(not r.tag.endswith("svg") or len(r.findall(".//{http://www.w3.org/2000/svg}rect")) < 6)' \
    "$tmp/results/peers-latest.svg"
check "peers-latest.svg is an SVG with its bars" $?

# The checker: ofi's own outputs, presented as a peer's files, pass; a changed value fails.
data="$tmp/cache/gen2-2000-seed42"
"$BIN" run --source "csv:$data" --out "$tmp/ofi" --quiet
self="$tmp/self"
mkdir -p "$self"
for f in top_50_cases customer_tiers weekly_friction_trend monthly_friction_trend; do
    cp "$tmp/ofi/ofi/$f.csv" "$self/"
done
cp "$tmp/ofi/ofi/ofi_case_scores.csv" "$self/case_scores.csv"
"$PYTHON" "$root/bench/peers/check.py" "$tmp/ofi" "$self" >"$tmp/self.out"
check "check.py: ofi's own outputs pass" $? "$(cat "$tmp/self.out")"
[ "$(grep -c '^OK' "$tmp/self.out")" = 6 ]; check "check.py: six checks" $? "$(cat "$tmp/self.out")"
tamper() { # tamper NAME FILE CHECK PYTHON-EXPR-ON-ROWS: change one value, expect CHECK to fail
    local name=$1 file=$2 want=$3 expr=$4
    rm -rf "$tmp/bad"; cp -r "$self" "$tmp/bad"
    "$PYTHON" - "$tmp/bad/$file" "$expr" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
h = rows[0]
exec(sys.argv[2])
csv.writer(open(sys.argv[1], "w", newline=""), lineterminator="\n").writerows(rows)
PY
    "$PYTHON" "$root/bench/peers/check.py" "$tmp/ofi" "$tmp/bad" >"$tmp/bad.out"
    [ $? -eq 1 ] && grep -q "^FAIL $want:" "$tmp/bad.out" && [ "$(grep -c '^FAIL' "$tmp/bad.out")" = 1 ]
    check "check.py: $name fails $want only" $? "$(cat "$tmp/bad.out")"
}
tamper "two top-50 cases swapped" top_50_cases.csv top_50 \
    'i = h.index("case_id"); rows[1][i], rows[2][i] = rows[2][i], rows[1][i]'
tamper "a case score off by 1e-5" case_scores.csv case_scores \
    'i = h.index("ofi"); rows[500][i] = "%.6f" % (float(rows[500][i]) + 1e-5)'
tamper "a High customer called Low" customer_tiers.csv tiers \
    'i = h.index("tier"); rows[1][i] = "Low Friction"'
tamper "a customer average off by 1e-5" customer_tiers.csv customers \
    'i = h.index("avg_ofi"); rows[-1][i] = "%.6f" % (float(rows[-1][i]) + 1e-5)'
tamper "a weekly count off by one" weekly_friction_trend.csv weekly \
    'i = h.index("case_count"); rows[3][i] = str(int(rows[3][i]) + 1)'
tamper "a month missing" monthly_friction_trend.csv monthly 'del rows[5]'

# The engine's own bench, end to end at 2000 cases with 1 and 2 threads: its summary has
# a row per (cases, threads) and its chart is an SVG with a bar per row.
"$root/bench/run.sh" --build "$(dirname "$BIN")" --cases 2000 --threads 1,2 --reps 1 \
    --cache "$tmp/cache" --results "$tmp/engine" >"$tmp/run.out" 2>"$tmp/run.err"
check "bench/run.sh exits 0" $? "$(tail -n 20 "$tmp/run.err")"
[ "$(grep -c '^| 2000 | [12] |' "$tmp/engine/latest.md" 2>/dev/null)" = 2 ]
check "bench/run.sh: a summary row per thread count" $? "$(cat "$tmp/engine/latest.md" 2>&1)"
"$PYTHON" - "$tmp/engine/latest.svg" <<'PY'
import sys, xml.dom.minidom
svg = xml.dom.minidom.parse(sys.argv[1])
texts = [t.firstChild.data for t in svg.getElementsByTagName("text") if t.firstChild]
assert sum(t.startswith("2k cases, ") for t in texts) == 2, texts
assert len(svg.getElementsByTagName("rect")) >= 1 + 6 + 2 * 6, "legend and bars"
PY
check "bench/run.sh: the chart has a bar per thread count" $?

echo "peers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
