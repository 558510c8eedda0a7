#!/usr/bin/env python3
"""report.py - the results of bench/peers.sh as markdown and an SVG bar chart.

    python3 bench/peers/report.py RAW_DIR OUT.md OUT.svg

RAW_DIR holds what bench/peers.sh recorded: meta.tsv (key, value), runs.tsv (size, tool,
rep, wall_s, exit code, peak RSS MiB, ok|failed|timeout), checks.tsv (size, tool, OK|FAIL,
the check's line), skipped.tsv (tool, reason) and phases.tsv (size, threads, score +
aggregate s, write s, total s of one ofi-bench run). A peer's time counts only when every
check of its outputs passed. Standard library only (the chart is written by hand).
"""
import collections
import html
import math
import os
import re
import statistics
import sys

TOOLS = [  # name, what it is, its source
    ("ofi (CSV)", "`ofi run` from the CSV files, end to end (all 12 views, dq, fk, reports)", "csv"),
    ("ofi (MySQL)", "`ofi run --source mysql --no-extract`, end to end", "mysql"),
    ("DuckDB (CSV)", "DuckDB SQL over the same CSV files (`@duckdb/node-api`)", "csv"),
    ("pandas (MySQL)", "`pandas.read_sql` from MariaDB, then pandas", "mysql"),
    ("SQL in MariaDB", "one SQL script in the server, stock `mariadb` client", "mysql"),
    ("stock client", "floor: `mariadb --quick --batch` streams the 8 tables to /dev/null", "mysql"),
    ("memory copy", "floor: copy loop over the per-case bytes scoring and aggregation touch", "-"),
]
PEERS = {"DuckDB (CSV)", "pandas (MySQL)", "SQL in MariaDB"}
COLOURS = {"ofi (CSV)": "#1f6feb", "ofi (MySQL)": "#54aeff", "DuckDB (CSV)": "#d29922",
           "pandas (MySQL)": "#8250df", "SQL in MariaDB": "#cf222e", "stock client": "#6e7781",
           "memory copy": "#afb8c1"}


def tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def size_key(size):
    units = {"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
    return float(size[:-1]) * units[size[-1]] if size[-1] in units else float(size)


class Tool:
    """One tool at one size: its runs, its checks, and what may be said of its time."""

    def __init__(self, name):
        self.name, self.runs, self.checks = name, [], []

    @property
    def ok_times(self):
        return [float(r[3]) for r in self.runs if r[6] == "ok"]

    @property
    def failure(self):
        bad = [r for r in self.runs if r[6] != "ok"]
        if not bad:
            return None
        r = bad[0]
        if r[6] == "timeout":
            return "timed out after %.0f s" % float(r[3])
        return "failed (exit %s after %.1f s)" % (r[4], float(r[3]))

    @property
    def checked(self):
        """True: every check passed; False: one failed; None: none ran."""
        if not self.checks:
            return None
        return all(c[2] == "OK" for c in self.checks)

    @property
    def counts(self):
        """The median time when it may be compared (ran, and its checks passed)."""
        if self.failure or not self.ok_times or self.checked is False:
            return None
        return statistics.median(self.ok_times)

    def cell(self):
        if self.failure:
            return self.failure
        t = self.ok_times
        if len(t) == 1:
            return "%s (1 run)" % secs(t[0])
        return "%s [%s..%s] (%d runs)" % (secs(statistics.median(t)), secs(min(t)), secs(max(t)), len(t))

    def rss(self):
        vals = [float(r[5]) for r in self.runs if r[6] == "ok" and float(r[5]) > 0]
        return "%.0f" % max(vals) if vals else ""

    def check_cell(self):
        if self.name in ("stock client", "memory copy"):
            return "floor"
        if self.name == "ofi (CSV)":
            return "reference"
        if self.checked is None:
            return "not checked"
        failed = [c for c in self.checks if c[2] != "OK"]
        if failed:
            return "**FAIL** %d of %d: %s" % (len(failed), len(self.checks),
                                              "; ".join(c[3].split(":")[0] for c in failed))
        ties = [re.match(r"tiers: (\d+) of", c[3]) for c in self.checks if "tie on a tier boundary" in c[3]]
        return "OK (%d checks%s)" % (len(self.checks), "; tier ties: %s" % ties[0].group(1) if ties else "")


def secs(t):
    return "%.3f" % t if t < 1 else "%.2f" % t if t < 100 else "%.0f" % t


def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b else "—"


def main():
    raw, md_path, svg_path = sys.argv[1:4]
    meta = dict((r[0], r[1]) for r in tsv(os.path.join(raw, "meta.tsv")))
    skipped = dict((r[0], r[1]) for r in tsv(os.path.join(raw, "skipped.tsv")))
    by_size = collections.defaultdict(dict)
    for r in tsv(os.path.join(raw, "runs.tsv")):
        by_size[r[0]].setdefault(r[1], Tool(r[1])).runs.append(r)
    for c in tsv(os.path.join(raw, "checks.tsv")):
        by_size[c[0]].setdefault(c[1], Tool(c[1])).checks.append(c)
    sizes = sorted(by_size, key=size_key)
    phases = collections.defaultdict(list)
    for r in tsv(os.path.join(raw, "phases.tsv")):
        phases[r[0]].append(r)

    out = ["# ofi against the tools users would pick instead (issue #5)", ""]
    out.append("- machine: %s; 1-minute load average %s before the run, %s after (the machine is "
               "shared: read ratios, not absolute times)" % (
                   meta.get("machine", "?"), meta.get("load_before", "?"), meta.get("load_after", "?")))
    out.append("- date %s, commit %s" % (meta.get("date", "?"), meta.get("commit", "?")))
    for key in ("ofi", "DuckDB", "pandas", "MariaDB"):
        if key in meta:
            out.append("- %s: %s" % (key, meta[key]))
    for tool, why in skipped.items():
        out.append("- **skipped %s**: %s" % (tool, why))
    out.append("- data: `ofi gen --cases N --seed 42` (about 7 timeline events per case), the same "
               "CSV files for the CSV tools (read once, untimed, before each of their runs, so every "
               "run starts with them in the page cache), loaded once into the private MariaDB for "
               "the others")
    out.append("- time: wall clock of the whole command, start to exit, outputs written; median "
               "[min..max] of up to %s runs (a command over a minute ran once); limit %s s per "
               "command. Peak RSS is the client process's (the MariaDB server's memory is not "
               "counted)." % (meta.get("reps", "?"), meta.get("limit", "?")))
    out.append("- a peer's time counts only when its outputs pass every check against ofi's "
               "(bench/peers/check.py: top-50 ids in order, every case's score, every customer's "
               "average and tier, weekly and monthly counts and averages)")
    out.append("")

    summary = []
    for size in sizes:
        tools = by_size[size]
        get = lambda name: tools.get(name) or Tool(name)
        ofi_csv, ofi_my = get("ofi (CSV)").counts, get("ofi (MySQL)").counts
        out.append("## %s cases" % size)
        out.append("")
        out.append("| tool | what | time s | / ofi (CSV) | / ofi, same source | peak RSS MiB | check |")
        out.append("|---|---|---|---|---|---|---|")
        for name, what, source in TOOLS:
            if name in skipped:
                out.append("| %s | %s | skipped: %s | — | — | | |" % (name, what, skipped[name]))
                continue
            if name not in tools:
                continue
            t = tools[name]
            same = ofi_my if source == "mysql" else ofi_csv if source == "csv" else None
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, what, t.cell(), ratio(t.counts, ofi_csv if source != "-" else None), ratio(t.counts, same),
                t.rss(), t.check_cell()))
        for ph in phases.get(size, []):
            copy = get("memory copy").ok_times
            out.append("")
            out.append("ofi-bench on the same data (%s threads, one run): score + aggregate %s s, %s the "
                       "memory-copy floor; the write phase %s s of %s s (mostly the full case list, "
                       "`ofi_case_scores.csv`, 30 columns; the peers write a 2-column case list and four "
                       "small files)." % (ph[1], secs(float(ph[2])), ratio(float(ph[2]), copy[0] if copy else None),
                                          secs(float(ph[3])), secs(float(ph[4]))))
        out.append("")
        duck, pandas_, floor = get("DuckDB (CSV)").counts, get("pandas (MySQL)").counts, get("stock client").counts
        summary.append((size, [
            ("end to end from CSV: DuckDB's time / ofi's", ratio(duck, ofi_csv), ">= 2x",
             duck is not None and ofi_csv and duck / ofi_csv >= 2),
            ("pandas reference's time / ofi's (from CSV)", ratio(pandas_, ofi_csv), ">= 30x",
             pandas_ is not None and ofi_csv and pandas_ / ofi_csv >= 30),
            ("ofi from MySQL / the stock client's streaming floor", ratio(ofi_my, floor), "<= 1.3x",
             ofi_my is not None and floor and ofi_my / floor <= 1.3),
        ]))

    out.append("## Targets")
    out.append("")
    out.append("| cases | measure | measured | target | met |")
    out.append("|---|---|---|---|---|")
    for size, rows in summary:
        for what, got, target, met in rows:
            out.append("| %s | %s | %s | %s | %s |" % (size, what, got, target,
                                                       "—" if got == "—" else "yes" if met else "**no**"))
    out.append("")
    out.append("## Checks")
    out.append("")
    for size in sizes:
        for name, _, _ in TOOLS:
            t = by_size[size].get(name)
            for c in t.checks if t else []:
                out.append("- %s, %s: %s %s" % (size, name, c[2], c[3]))
    out.append("")
    out.append("Reproduce: `bench/peers.sh --cases %s --reps %s`." % (",".join(sizes), meta.get("reps", "3")))
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    with open(svg_path, "w", encoding="utf-8") as f:
        f.write(svg(sizes, by_size, skipped, meta))


def svg(sizes, by_size, skipped, meta):
    """Horizontal bars, one group per size, log-scaled seconds (the tools span 1000x)."""
    rows = []
    for size in sizes:
        rows.append(("head", size))
        for name, _, _ in TOOLS:
            if name in by_size[size] or name in skipped:
                rows.append(("bar", size, name))
    times = [t for s in sizes for tool in by_size[s].values() for t in tool.ok_times if t > 0]
    times += [float(r[3]) for s in sizes for tool in by_size[s].values() for r in tool.runs if r[6] == "timeout"]
    lo = 10 ** math.floor(math.log10(min(times))) if times else 0.01
    hi = 10 ** math.ceil(math.log10(max(times))) if times else 10
    left, width, bar, gap, top = 150, 560, 16, 6, 56
    height = top + sum(26 if r[0] == "head" else bar + gap for r in rows) + 34
    x = lambda s: left + width * (math.log10(max(s, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    e = html.escape
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
             'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">' % (left + width + 170, height,
                                                                            left + width + 170, height),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="10" y="20" font-size="15" font-weight="bold">ofi and its peers: seconds, end to end '
             '(log scale; shorter is faster)</text>',
             '<text x="10" y="38" fill="#57606a">%s; %s, commit %s</text>' % (
                 e(meta.get("machine", "")), e(meta.get("date", "")), e(meta.get("commit", "")))]
    decade = lo
    while decade <= hi * 1.0001:
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d0d7de"/>' % (
            x(decade), top - 6, x(decade), height - 30))
        parts.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#57606a">%g s</text>' % (
            x(decade), height - 14, decade))
        decade *= 10
    y = top
    for r in rows:
        if r[0] == "head":
            parts.append('<text x="10" y="%d" font-weight="bold">%s cases</text>' % (y + 16, e(r[1])))
            y += 26
            continue
        _, size, name = r
        t = by_size[size].get(name)
        parts.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 12, e(name)))
        if name in skipped or t is None:
            label, end, fill = "skipped", None, None
        elif t.failure:
            spent = float([q for q in t.runs if q[6] != "ok"][0][3])
            label, end, fill = t.failure, spent if "timed out" in t.failure else None, "url(#hatch)"
        else:
            med = statistics.median(t.ok_times)
            ok = t.checked is not False
            label = "%s s%s" % (secs(med), "" if ok else " (check FAILED)")
            end, fill = med, COLOURS.get(name, "#888") if ok else "url(#hatch)"
        if end is not None:
            parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (
                left, y, max(x(end) - left, 1), bar, fill))
        parts.append('<text x="%.1f" y="%d">%s</text>' % ((x(end) if end else left) + 5, y + 12, e(label)))
        y += bar + gap
    parts.insert(1, '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eaeef2"/>'
                    '<line x1="0" y1="0" x2="0" y2="6" stroke="#8c959f" stroke-width="3"/></pattern></defs>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    main()
