#!/usr/bin/env python3
"""summarize.py RAW.csv - medians (and min..max spread) per (cases, threads) as markdown."""
import csv
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict


def machine():
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d cores, %.0f GiB, %s" % (cpu, os.cpu_count(), mem, platform.platform())


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    groups = defaultdict(list)
    for r in rows:
        groups[(int(r["cases"]), int(r["threads"]))].append(r)
    phases = ["read_s", "join_s", "score_s", "sort_s", "aggregate_s", "write_s", "total_s"]
    out = []
    out.append("# ofi bench results\n")
    out.append("- machine: %s" % machine())
    try:
        ver = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        ver = "?"
    out.append("- commit: %s; raw data: %s" % (ver, os.path.basename(sys.argv[1])))
    out.append("- medians of %s runs each (spread min..max in brackets); CSV source, "
               "generated data (`ofi gen --seed 42`)\n" % sorted({len(v) for v in groups.values()}))
    out.append("| cases | threads | " + " | ".join(p[:-2] for p in phases) +
               " | cases/s | peak RSS MiB | bytes/case | (score+aggregate) / copy floor |")
    out.append("|" + "---|" * (len(phases) + 6))
    for (n, t), rs in sorted(groups.items()):
        def med(k):
            return statistics.median(float(r[k]) for r in rs)

        def cell(k):
            vals = [float(r[k]) for r in rs]
            return "%.2f [%.2f..%.2f]" % (statistics.median(vals), min(vals), max(vals))
        sa = statistics.median(float(r["score_s"]) + float(r["aggregate_s"]) for r in rs)
        ratio = sa / med("copy_floor_s") if med("copy_floor_s") > 0 else float("nan")
        out.append("| %d | %d | %s | %.0f | %.0f | %.0f | %.1fx |" % (
            n, t, " | ".join(cell(p) for p in phases), med("cases_per_s"), med("peak_rss_mib"),
            med("bytes_per_case"), ratio))
    # Thread scaling: total time with the fewest threads over each count, per size.
    out.append("\nScaling (median total, fewest threads / this count):\n")
    by_n = defaultdict(dict)
    for (n, t), rs in groups.items():
        by_n[n][t] = statistics.median(float(r["total_s"]) for r in rs)
    for n in sorted(by_n):
        ts = sorted(by_n[n])
        base = by_n[n][ts[0]]
        out.append("- %d cases: " % n + ", ".join("%d threads %.2fx" % (t, base / by_n[n][t]) for t in ts))
    print("\n".join(out))


if __name__ == "__main__":
    main()
