#!/usr/bin/env python3
"""chart.py - the engine bench's chart: time per phase for each dataset size and thread
count (stacked bars, medians of the runs), and scaling with threads and with data size
(cases per second, printed beside each bar).

    python3 bench/chart.py RAW.csv OUT.svg

RAW.csv is a file of ofi-bench lines as bench/run.sh writes them. Standard library only.
"""
import csv
import statistics
import sys

PHASES = ["read", "join", "score", "sort", "aggregate", "write"]
COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"]


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def label_cases(n):
    return "%gM" % (n / 1e6) if n >= 1e6 else "%gk" % (n / 1e3)


def main():
    raw, out = sys.argv[1:3]
    rows = {}
    with open(raw, newline="") as f:
        for r in csv.DictReader(f):
            key = (int(r["cases"]), int(r["threads"]))
            rows.setdefault(key, []).append(r)
    keys = sorted(rows)
    if not keys:
        sys.exit("chart.py: no runs in " + raw)
    med = {}
    for k in keys:
        med[k] = {p: statistics.median(float(r[p + "_s"]) for r in rows[k]) for p in PHASES}
        med[k]["total"] = statistics.median(float(r["total_s"]) for r in rows[k])
        med[k]["runs"] = len(rows[k])
    # One bar per (cases, threads); each size scaled to its own slowest bar, so that
    # sizes ten times apart stay readable: the seconds are printed.
    left, bar_w, row_h, top = 150, 520, 26, 70
    width = left + bar_w + 260
    p = ['<rect width="100%" height="100%" fill="white"/>',
         '<text x="10" y="20" font-size="15" font-weight="bold">ofi run from CSV: seconds per '
         'phase (medians), each size scaled to its slowest bar</text>',
         '<text x="10" y="38" fill="#555">%s</text>' % esc(raw.split("/")[-1])]
    x = left
    for i, ph in enumerate(PHASES):
        p.append('<rect x="%d" y="48" width="12" height="12" fill="%s"/>' % (x, COLORS[i]))
        p.append('<text x="%d" y="58">%s</text>' % (x + 16, ph))
        x += 16 + 8 * len(ph) + 14
    y = top
    last_size = None
    for k in keys:
        cases, threads = k
        if cases != last_size:
            if last_size is not None:
                y += 16
            last_size = cases
            scale = max(med[j]["total"] for j in keys if j[0] == cases)
            base1 = med.get((cases, min(t for c, t in keys if c == cases)))
        m = med[k]
        p.append('<text x="%d" y="%d" text-anchor="end">%s cases, %d thread%s</text>'
                 % (left - 8, y + 15, label_cases(cases), threads, "" if threads == 1 else "s"))
        x = float(left)
        for i, ph in enumerate(PHASES):
            w = bar_w * m[ph] / scale if scale > 0 else 0
            p.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %.3f s'
                     '</title></rect>' % (x, y, w, row_h - 6, COLORS[i], ph, m[ph]))
            x += w
        speed = "%.2fx" % (base1["total"] / m["total"]) if base1 and m["total"] > 0 else ""
        p.append('<text x="%.1f" y="%d">%.2f s, %.2fM cases/s%s</text>'
                 % (x + 6, y + 15, m["total"], cases / m["total"] / 1e6 if m["total"] else 0,
                    (", " + speed + " the fewest threads") if threads != min(
                        t for c, t in keys if c == cases) else ""))
        y += row_h
    # Scaling with data size: cases per second per thread count.
    y += 24
    for t in sorted({k[1] for k in keys}):
        pts = ["%s %.2fM/s" % (label_cases(c), c / med[(c, t)]["total"] / 1e6)
               for c, tt in keys if tt == t]
        p.append('<text x="10" y="%d">%d thread%s, cases per second by size: %s</text>'
                 % (y, t, "" if t == 1 else "s", esc(", ".join(pts))))
        y += 18
    height = y
    p.insert(0, '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                'viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">'
             % (width, height, width, height))
    p.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(p) + "\n")


if __name__ == "__main__":
    main()
