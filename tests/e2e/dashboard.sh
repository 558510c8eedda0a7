#!/usr/bin/env bash
# dashboard.sh - reports/dashboard.html (issue #6) as a browser shows it: headless Chromium
# loads the page of real runs, and the rendered DOM is checked against the run's CSVs.
#
# usage: tests/e2e/dashboard.sh BIN
#
# Checks:
#   static     the page's tags and style sheet hold no script, no event handler, no link
#              or resource outside the page (src=, <link>, <img>, href other than #id,
#              url(, @import); no CR byte; it ends with "\n"
#   console    Chromium logs no console message and no uncaught error while loading it
#   sections   every section (kpis, weekly-trend, ..., weights) is in the rendered DOM,
#              once, with its h2
#   numbers    the DOM shows the CSV text: kpi_summary.csv's values in the tiles, the first
#              product group's total_ofi, the first root cause, the first top case's rank,
#              id, date and ofi, every row of the monthly and weekly trend tables, and
#              dq/row_counts.csv's rows
#   screenshot a 1280 px wide PNG of the page, kept as $OFI_TEST_ARTIFACTS/dashboard.png
#              (default build/test-artifacts/): PNG signature, width 1280, not blank
#   hostile    a dataset whose country, region, segment, root cause, category, severity,
#              team, product group, channel and variant name hold <script>, quotes, &amp;,
#              </svg>, comment and tag openers: those texts are in the DOM as text, no
#              script or img element exists, and every section is still there (screenshot
#              kept as dashboard-hostile.png)
#   empty      a dataset with no case: the page is written, loads cleanly and every section
#              says "No data" where it has none
# Chromium is Debian's `chromium` package (scripts/deps.sh installs it); when it is missing
# the test fails, it does not skip. CHROMIUM=PATH picks another binary.
# Prints one line per check and "dashboard: N passed, M failed"; exits 1 on failure.
# Needs bash, coreutils, python3 (standard library) and chromium.

. "$(cd "$(dirname "$0")" && pwd)/e2e_lib.sh"
e2e_setup dashboard "$1"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
    fail "chromium" "no chromium binary found: scripts/deps.sh installs Debian's chromium package" \
        "(or set CHROMIUM=/path/to/chromium)"
    echo "dashboard: $passed passed, $failed failed"
    exit 1
fi
artifacts=${OFI_TEST_ARTIFACTS:-$PWD/build/test-artifacts}
mkdir -p "$artifacts" || exit 2

# chrome ARGS... URL: headless Chromium with a throw-away profile, logging to stderr.
chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --no-default-browser-check --disable-extensions --hide-scrollbars --mute-audio \
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 "$@"
}

# render NAME HTML: dump the DOM to $tmp/NAME.dom (log NAME.log) and screenshot to
# $artifacts/dashboard[-NAME].png; checks the console log and the PNG.
render() {
    local name=$1 html=$2 png=$artifacts/dashboard.png
    [ "$name" = main ] || png=$artifacts/dashboard-$name.png
    chrome --dump-dom "file://$html" > "$tmp/$name.dom" 2> "$tmp/$name.log"
    local rc=$?
    chrome --window-size=1280,2400 --screenshot="$png" "file://$html" > /dev/null 2> "$tmp/$name.shot.log"
    local rc2=$?
    local problems=()
    [ $rc -eq 0 ] || problems+=("chromium --dump-dom exited $rc: $(tail -3 "$tmp/$name.log")")
    [ $rc2 -eq 0 ] || problems+=("chromium --screenshot exited $rc2: $(tail -3 "$tmp/$name.shot.log")")
    [ -s "$tmp/$name.dom" ] || problems+=("empty DOM dump")
    if grep -hE 'CONSOLE|Uncaught|Refused to|Failed to load' "$tmp/$name.log" "$tmp/$name.shot.log" > "$tmp/$name.console"; then
        problems+=("console messages:" "$(head -5 "$tmp/$name.console")")
    fi
    if [ ${#problems[@]} -eq 0 ]; then pass "$name: console: page loaded, no console message"; else fail "$name: console" "${problems[@]}"; fi
    "$PYTHON" - "$png" > "$tmp/$name.png.txt" 2>&1 << 'EOF'
import struct, sys, zlib
path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"{path}: no PNG signature")
w, h = struct.unpack(">II", data[16:24])
if w != 1280:
    sys.exit(f"{path}: width {w}, expected 1280")
if h < 600:
    sys.exit(f"{path}: height {h}")
# The pixels: concatenated IDAT chunks, inflated. A blank page would be one colour.
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
if len(set(raw[: 4 * 1280 * 600])) < 16:
    sys.exit(f"{path}: looks blank ({len(set(raw))} distinct byte values)")
print(f"{path}: {w}x{h}, {len(data)} bytes")
EOF
    if [ $? -eq 0 ]; then
        pass "$name: screenshot $(cat "$tmp/$name.png.txt")"
        echo "dashboard: screenshot kept at $png"
    else
        fail "$name: screenshot" "$(cat "$tmp/$name.png.txt")"
    fi
}

# static_check NAME HTML: what the page's source must not hold. Text from the data is
# escaped, so every raw '<' opens a real tag: the tags and the style sheet are checked.
static_check() {
    local name=$1 html=$2
    "$PYTHON" - "$html" > "$tmp/$name.static" 2>&1 << 'EOF'
import re, sys
src = open(sys.argv[1], "rb").read()
problems = []
if b"\r" in src:
    problems.append("holds a CR byte")
if not src.endswith(b"\n"):
    problems.append("does not end with a line end")
text = src.decode("utf-8")
if re.search(r"<script", text, re.I):
    problems.append("holds <script")
allowed_meta = ('<meta charset="utf-8">', '<meta name="viewport"')
for tag in re.findall(r"<[a-zA-Z][^>]*>", text):
    name = re.match(r"<([a-zA-Z0-9]+)", tag).group(1).lower()
    if name in ("script", "link", "img", "iframe", "object", "embed", "audio", "video",
                "source", "base", "meta", "form") and not tag.startswith(allowed_meta):
        problems.append(f"tag {tag[:60]}")
    for attr, val in re.findall(r'\s([a-zA-Z:-]+)="([^"]*)"', tag):
        a = attr.lower()
        if a in ("src", "srcset", "action", "formaction", "background") or a.startswith("on"):
            problems.append(f"attribute {a} in {tag[:60]}")
        if a in ("href", "xlink:href") and not val.startswith("#"):
            problems.append(f"link {val[:60]}")
        if a == "style" and re.search(r"url\(|@import|expression", val, re.I):
            problems.append(f"style {val[:60]}")
sheets = re.findall(r"<style>(.*?)</style>", text, re.S)
if len(sheets) != 1:
    problems.append(f"{len(sheets)} style sheets, expected 1")
for css in sheets:
    if re.search(r"url\(|@import|@font-face|https?:", css, re.I):
        problems.append("the style sheet refers to something outside")
print("\n".join(problems) if problems else f"{len(src)} bytes")
sys.exit(1 if problems else 0)
EOF
    if [ $? -eq 0 ]; then
        pass "$name: static: self-contained, no script, no link out ($(cat "$tmp/$name.static"))"
    else
        fail "$name: static" "$(head -10 "$tmp/$name.static")"
    fi
}

# dom_check NAME OUT [EXPECT...]: parse $tmp/NAME.dom and check sections, numbers against
# OUT's CSVs, and that each EXPECT string is in the DOM's text.
dom_check() {
    local name=$1 out=$2
    shift 2
    "$PYTHON" - "$tmp/$name.dom" "$out" "$name" "$@" > "$tmp/$name.check" 2>&1 << 'EOF'
import csv, html.parser, os, sys
dom_path, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
expect = [os.fsencode(a).decode("utf-8") for a in sys.argv[4:]]
IDS = ["kpis", "weekly-trend", "monthly-trend", "severity-heatmap", "cost-drivers",
       "root-causes", "refund-trend", "top-cases", "tiers", "customers", "teams",
       "data-quality", "weights"]

class Dom(html.parser.HTMLParser):
    """Text per section, table rows per section, and every element name."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.sections, self.stack = [], [], []
        self.text, self.rows, self.h2 = {}, {}, {}
        self.section = None
        self.row = self.cell = None
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "section":
            self.section = dict(attrs).get("id")
            self.sections.append(self.section)
            self.text.setdefault(self.section, [])
            self.rows.setdefault(self.section, [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "h2" and self.section:
            self.h2[self.section] = True
    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(("td" if tag == "td" else "th", "".join(self.cell)))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.section and any(k == "td" for k, _ in self.row):
                self.rows[self.section].append([v for _, v in self.row])
            self.row = None
    def handle_data(self, data):
        if self.section:
            self.text[self.section].append(data)
        if self.cell is not None:
            self.cell.append(data)
        self.all = getattr(self, "all", []) + [data]

dom = Dom()
dom.feed(open(dom_path, encoding="utf-8").read())
text = {k: "".join(v) for k, v in dom.text.items()}
alltext = "".join(getattr(dom, "all", []))
problems = []
for i in IDS:
    n = dom.sections.count(i)
    if n != 1:
        problems.append(f"section {i}: found {n} times")
    elif i not in dom.h2:
        problems.append(f"section {i}: no h2")
extra = [s for s in dom.sections if s not in IDS]
if extra:
    problems.append(f"unexpected sections: {extra}")
for bad in ("script", "img", "iframe", "object", "embed", "link"):
    if bad in dom.tags:
        problems.append(f"the DOM holds a <{bad}> element")
if dom.tags.count("h1") != 1:
    problems.append(f"{dom.tags.count('h1')} h1 elements, expected 1")

def rows(rel):
    with open(os.path.join(out, rel), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

kpi = {r["metric"]: r["value"] for r in rows("ofi/kpi_summary.csv")}
cases = int(kpi["cases"])
for m in ("cases", "customers_with_cases", "total_refund_eur", "avg_ofi", "p50_ofi",
          "p90_ofi", "p99_ofi", "max_ofi", "escalation_rate", "avg_resolution_minutes"):
    if kpi[m] and kpi[m] not in text.get("kpis", ""):
        problems.append(f"kpis: {m} {kpi[m]!r} not shown")
if cases:
    pg = rows("ofi/product_group_cost_drivers.csv")[0]
    t = text.get("cost-drivers", "")
    if pg["product_group"] not in t or pg["total_ofi"] not in t:
        problems.append(f"cost-drivers: first group {pg['product_group']!r} {pg['total_ofi']} not shown")
    table = dom.rows.get("cost-drivers", [])
    if not table or table[0][0] != pg["product_group"] or table[0][4] != pg["total_ofi"]:
        problems.append(f"cost-drivers: first table row {table[:1]}, CSV {pg}")
    rc = rows("ofi/root_cause_friction.csv")[0]
    table = dom.rows.get("root-causes", [])
    if not table or table[0][:3] != [rc["issue_id"], rc["issue_category"], rc["root_cause"]] \
            or table[0][6] != rc["total_ofi"]:
        problems.append(f"root-causes: first table row {table[:1]}, CSV {rc}")
    top = rows("ofi/top_50_cases.csv")[0]
    table = dom.rows.get("top-cases", [])
    if not table or table[0][:3] != [top["rank"], top["case_id"], top["case_date"]] \
            or table[0][-1] != top["ofi"]:
        problems.append(f"top-cases: first row {table[:1]}, CSV rank {top['rank']} case "
                        f"{top['case_id']} {top['case_date']} ofi {top['ofi']}")
    for sec, rel, cols in (
            ("monthly-trend", "ofi/monthly_friction_trend.csv",
             ["month", "case_count", "avg_ofi", "total_ofi", "escalation_rate",
              "avg_resolution_minutes", "total_refund_eur"]),
            ("weekly-trend", "ofi/weekly_friction_trend.csv",
             ["week_start", "iso_year", "iso_week", "case_count", "avg_ofi", "total_ofi",
              "escalation_rate", "avg_resolution_minutes", "total_refund_eur"]),
            ("refund-trend", "ofi/monthly_refund_trend.csv",
             ["month", "refunded_cases", "refund_count", "total_refund_eur"])):
        want = [[r[c] for c in cols] for r in rows(rel)]
        got = dom.rows.get(sec, [])
        if got != want:
            problems.append(f"{sec}: table differs from {rel}: {got[:2]} vs {want[:2]} "
                            f"({len(got)} vs {len(want)} rows)")
    tiers = rows("ofi/customer_tiers.csv")
    t = text.get("tiers", "")
    for tier in ("Low Friction", "Medium Friction", "High Friction"):
        n = str(sum(1 for r in tiers if r["tier"] == tier))
        if f"{tier}: {n}" not in t:
            problems.append(f"tiers: {tier} count {n} not shown")
else:
    for sec in IDS:
        if sec not in ("kpis", "data-quality", "weights") and "No data" not in text.get(sec, ""):
            problems.append(f"{sec}: no cases, but no 'No data' message")
dq = dom.rows.get("data-quality", [])
for r in rows("dq/row_counts.csv"):
    if [r["table"], r["rows"], r["cols"]] not in [x[:3] for x in dq]:
        problems.append(f"data-quality: row_counts {r} not shown")
for s in expect:
    if s not in alltext:
        problems.append(f"text {s!r} is not in the DOM's text")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(IDS)} sections; {len(expect)} expected texts found")
EOF
    if [ $? -eq 0 ]; then pass "$name: dom: $(tail -1 "$tmp/$name.check")"; else fail "$name: dom" "$(head -20 "$tmp/$name.check")"; fi
}

# --- 1. a generated dataset: 20k cases --------------------------------------------------------
if "$BIN" gen --cases 20000 --seed 1 --out "$tmp/data" --quiet 2> "$tmp/gen.err" &&
    "$BIN" run --source "csv:$tmp/data" --out "$tmp/out" --quiet 2> "$tmp/run.err"; then
    html=$tmp/out/reports/dashboard.html
    static_check main "$html"
    render main "$html"
    dom_check main "$tmp/out"
    # The report's cost drivers are the first rows of the two views, in their order.
    if "$PYTHON" - "$tmp/out" << 'EOF'
import csv, re, sys
out = sys.argv[1]
rep = open(out + "/reports/project_report.txt", encoding="utf-8").read()
sec = rep.split("\nCost drivers\n")[1].split("\nData quality\n")[0]
lines = re.findall(r"^  \d+\. (.*): total ([0-9.]+) \(", sec, re.M)
want = []
for name, key in (("product_group_cost_drivers.csv", "product_group"), ("root_cause_friction.csv", "root_cause")):
    rows = list(csv.DictReader(open(out + "/ofi/" + name, encoding="utf-8")))[:5]
    want += [(r[key], r["total_ofi"]) for r in rows]
sys.exit(0 if lines == want else 1)
EOF
    then
        pass "main: the report's cost drivers are the views' first rows"
    else
        fail "main: the report's cost drivers are the views' first rows" "$(sed -n '/Cost drivers/,/Data quality/p' "$tmp/out/reports/project_report.txt" | head -14)"
    fi
    # The customers table says how many customers there are, not "more than 20".
    ncust=$(sed -n 's/^customers_with_cases,//p' "$tmp/out/reports/ofi_summary.csv")
    if [ -n "$ncust" ] && grep -qF "The first 20 customers of $ncust, in the file" "$html"; then
        pass "main: the customers table counts all $ncust customers"
    else
        fail "main: the customers table counts all customers" "$(grep -o 'The first [0-9]* customers of [^<]*' "$html")"
    fi
    # The trend compares full weeks: the data ends on Wednesday 2025-12-31, so the week of
    # 2025-12-29 is left out and the 8 weeks before it are compared.
    if "$PYTHON" - "$tmp/out" << 'EOF'
import csv, math, re, sys
out = sys.argv[1]
rep = open(out + "/reports/project_report.txt", encoding="utf-8").read()
m = re.search(r"last 4 weeks is ([0-9.]+) vs ([0-9.]+) the 4 weeks before", rep)
rows = list(csv.DictReader(open(out + "/ofi/weekly_friction_trend.csv", encoding="utf-8")))
assert rows[-1]["week_start"] == "2025-12-29" and "the week of 2025-12-29, where the data ends, is left out" in rep
def avg(rs):
    return math.fsum(float(r["total_ofi"]) for r in rs) / sum(int(r["case_count"]) for r in rs)
last, prev = avg(rows[-5:-1]), avg(rows[-9:-5])
sys.exit(0 if m and abs(float(m.group(1)) - last) < 2e-6 and abs(float(m.group(2)) - prev) < 2e-6 else 1)
EOF
    then
        pass "main: the report's trend compares full weeks"
    else
        fail "main: the report's trend compares full weeks" "$(grep -A1 'Trend' "$tmp/out/reports/project_report.txt")"
    fi
    if grep -q '"path": "reports/dashboard.html", "bytes": '"$(wc -c < "$html")" "$tmp/out/reports/run_manifest.json"; then
        pass "main: the manifest lists the dashboard with its size"
    else
        fail "main: the manifest lists the dashboard with its size" "$(grep dashboard "$tmp/out/reports/run_manifest.json")"
    fi
    # `ofi variants` writes no dashboard.
    printf '[variant a]\n[variant b]\nescalation = 5\n' > "$tmp/w.ini"
    if "$BIN" variants --source "csv:$tmp/data" --weights "$tmp/w.ini" --out "$tmp/var" --quiet 2> "$tmp/var.err" &&
        [ ! -e "$tmp/var/reports/dashboard.html" ]; then
        pass "variants: writes no dashboard"
    else
        fail "variants: writes no dashboard" "$(head -3 "$tmp/var.err")"
    fi
else
    fail "main: gen and run" "$(head -5 "$tmp/gen.err" "$tmp/run.err" 2> /dev/null)"
fi
rm -rf "$tmp/data" "$tmp/var"

# --- 2. hostile text in every text column shown -------------------------------------------------
hostile=('<script>alert(1)</script>' '"q"' '&amp;' '</svg>' "it's" 'a,b "c", d'
         '<b>bold</b> & <i>it</i>' '</table></section><h1>x' '<!-- c -->'
         '<img src=x onerror=alert(2)>' '</style><style>body{display:none}' 'caf'$'\xc3\xa9'' & ok')
if "$BIN" gen --cases 3000 --seed 5 --out "$tmp/hdata" --quiet 2> "$tmp/gen.err" &&
    "$PYTHON" - "$tmp/hdata" "${hostile[@]}" << 'EOF'
import csv, os, sys
d, H = sys.argv[1], [os.fsencode(a).decode("utf-8") for a in sys.argv[2:]]
def rewrite(name, cols, first_only=None):
    path = os.path.join(d, name)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    for i, r in enumerate(rows[1:]):
        for k, c in enumerate(cols):
            if first_only and c in first_only and i != 0:
                continue
            r[head.index(c)] = H[(i + k) % len(H)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
rewrite("customers.csv", ["country", "region", "segment"])
rewrite("issue_catalog.csv", ["root_cause", "issue_category", "severity"], first_only={"severity"})
rewrite("agents.csv", ["team"])
rewrite("products.csv", ["product_group"])
rewrite("cases.csv", ["channel"])
EOF
then
    printf '[variant <script>alert(3)</script> & "v" '"'"'x'"'"']\nescalation = 5\n' > "$tmp/hw.ini"
    if "$BIN" run --source "csv:$tmp/hdata" --out "$tmp/hout" --weights "$tmp/hw.ini" --quiet 2> "$tmp/hrun.err"; then
        html=$tmp/hout/reports/dashboard.html
        static_check hostile "$html"
        render hostile "$html"
        dom_check hostile "$tmp/hout" "${hostile[@]}" '<script>alert(3)</script> & "v" '"'"'x'"'"
        if grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$html" && grep -qF '&lt;/svg&gt;' "$html" &&
            grep -qF 'it&#39;s' "$html" && grep -qF '&amp;amp;' "$html" && grep -qF '&quot;q&quot;' "$html"; then
            pass "hostile: the source holds the texts escaped"
        else
            fail "hostile: the source holds the texts escaped" "$(grep -o '.\{0,40\}alert(1).\{0,40\}' "$html" | head -3)"
        fi
    else
        fail "hostile: run" "$(head -5 "$tmp/hrun.err")"
    fi
else
    fail "hostile: preparing the data" "$(head -5 "$tmp/gen.err")"
fi

# --- 2b. line breaks in data text do not break the report's lines ---------------------------
# Every product group holds a newline and every root cause a CR LF (quoted, legal CSV):
# the report's "Largest cost driver" and "Worst root cause" lines stay one line each.
mkdir -p "$tmp/nl" && cp "$here/../golden/basic/input/"*.csv "$tmp/nl/"
"$PYTHON" - "$tmp/nl" << 'EOF'
import csv, os, sys
d = sys.argv[1]
for name, col, text in (("products.csv", "product_group", "Home\nand garden"),
                        ("issue_catalog.csv", "root_cause", "Late\r\ncourier")):
    path = os.path.join(d, name)
    rows = list(csv.reader(open(path, newline="", encoding="utf-8")))
    k = rows[0].index(col)
    for r in rows[1:]:
        r[k] = text
    csv.writer(open(path, "w", newline="", encoding="utf-8"), lineterminator="\n").writerows(rows)
EOF
if "$BIN" run --source "csv:$tmp/nl" --out "$tmp/nlout" --quiet 2> "$tmp/nl.err"; then
    rep=$tmp/nlout/reports/project_report.txt
    if grep -q '^- Largest cost driver: product group "Home and garden" carries .* of all friction\.$' "$rep" &&
        grep -q '^- Worst root cause: "Late  courier", total OFI ' "$rep" && ! grep -q $'\r' "$rep"; then
        pass "report: names with line breaks stay on their line"
    else
        fail "report: names with line breaks stay on their line" "$(grep -A1 -e 'cost driver' -e 'root cause' "$rep" | head -6)"
    fi
else
    fail "report: names with line breaks: run" "$(head -3 "$tmp/nl.err")"
fi

# --- 3. no case at all ------------------------------------------------------------------------
if "$BIN" run --source "csv:$here/../golden/empty/input" --out "$tmp/eout" --quiet 2> "$tmp/erun.err"; then
    html=$tmp/eout/reports/dashboard.html
    static_check empty "$html"
    render empty "$html"
    dom_check empty "$tmp/eout"
else
    fail "empty: run" "$(head -5 "$tmp/erun.err")"
fi

echo "dashboard: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
