#!/usr/bin/env python3
"""check.py - does a peer's output agree with ofi's? (bench/peers.sh, issue #5)

    python3 bench/peers/check.py OFI_OUT PEER_DIR

OFI_OUT is an `ofi run --out` directory (its ofi/ files are read); PEER_DIR holds the
peer's CSV files (columns found by name, extra columns ignored):
    top_50_cases.csv            rank, case_id, ofi
    customer_tiers.csv          customer_id, case_count, avg_ofi, tier
    weekly_friction_trend.csv   week_start, iso_year, iso_week, case_count, avg_ofi, total_ofi
    monthly_friction_trend.csv  month, case_count, avg_ofi, total_ofi
    case_scores.csv (optional)  case_id, ofi: every case, ofi desc then case_id asc

Prints one line per check, `OK name: detail` or `FAIL name: detail`, and exits 0 when no
check failed (1 otherwise, 2 when a file is missing or unreadable). The checks:
  top_50        the same case ids in the same order, each ofi within 1e-6
  case_scores   the same number of cases; walking both lists in order, every ofi within
                1e-6, and within each run of equal printed ofi the same set of case ids
  customers     the same customers, the same case_count, every avg_ofi within 1e-6
  tiers         the peer's tiers follow SPEC section 4's quantiles (numpy's, to the bit)
                of its own averages, and match ofi's for every customer. A customer whose
                tier differs only because its average sits on a tier boundary (within
                1e-9 of the peer's quantile 1/3 or 2/3) is a tie that the rounding of a
                float sum may break either way: counted and reported, not a failure. Any
                other difference fails.
  weekly        the same weeks (week_start, iso_year, iso_week), case_count equal,
                avg_ofi within 1e-6, total_ofi within 1e-9 relative
  monthly       the same months, the same measures
Standard library only.
"""
import csv
import math
import os
import sys

TOL = 1e-6
TIERS = ("Low Friction", "Medium Friction", "High Friction")


class Missing(Exception):
    pass


def read(path, columns):
    """Rows of `path` as lists of the named columns' text."""
    if not os.path.isfile(path):
        raise Missing("missing file %s" % path)
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = [h.strip() for h in next(r, [])]
        try:
            idx = [header.index(c) for c in columns]
        except ValueError:
            raise Missing("%s: expected columns %s, found %s" % (path, columns, header))
        return [[row[i] for i in idx] for row in r if row]


def close(a, b, tol=TOL):
    return abs(float(a) - float(b)) <= tol


def check_top(ofi, peer):
    ours = read(os.path.join(ofi, "ofi", "top_50_cases.csv"), ["case_id", "ofi"])
    theirs = read(os.path.join(peer, "top_50_cases.csv"), ["case_id", "ofi"])
    if [int(r[0]) for r in ours] != [int(r[0]) for r in theirs]:
        first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if int(a[0]) != int(b[0])),
                     min(len(ours), len(theirs)))
        return False, "case ids differ from rank %d (%d vs %d rows)" % (first + 1, len(ours), len(theirs))
    bad = sum(not close(a[1], b[1]) for a, b in zip(ours, theirs))
    if bad:
        return False, "%d of %d ofi values differ by more than 1e-6" % (bad, len(ours))
    return True, "%d case ids in the same order, ofi within 1e-6" % len(ours)


def case_lines(path):
    """(case_id, ofi text) per data record, for the big per-case files. The fast path splits
    a line on its first and last comma (ids and scores are never quoted); a line holding a
    quote goes through the csv module, with the next lines while a quoted field is open."""
    with open(path, newline="", encoding="utf-8") as f:
        header = [h.strip() for h in next(csv.reader([f.readline()]))]
        i_id, i_ofi = header.index("case_id"), header.index("ofi")
        fast = i_id == 0 and i_ofi == len(header) - 1
        for line in f:
            if fast and '"' not in line:
                yield int(line[:line.index(",")]), line[line.rindex(",") + 1:].strip()
                continue
            while line.count('"') % 2:
                line += next(f)
            rec = next(csv.reader([line]))
            yield int(rec[i_id]), rec[i_ofi]


def check_case_scores(ofi, peer):
    path = os.path.join(peer, "case_scores.csv")
    if not os.path.isfile(path):
        return None, "no case_scores.csv"
    n = bad_value = bad_set = 0
    block_key, ours_ids, theirs_ids = None, set(), set()
    ours_iter = case_lines(os.path.join(ofi, "ofi", "ofi_case_scores.csv"))
    theirs_iter = case_lines(path)
    sentinel = (None, None)
    while True:
        a = next(ours_iter, sentinel)
        b = next(theirs_iter, sentinel)
        if a is sentinel or b is sentinel:
            if a is not b:
                rest = sum(1 for _ in (ours_iter if b is sentinel else theirs_iter)) + 1
                return False, "row counts differ (%s has %d more)" % ("ofi" if b is sentinel else "peer", rest)
            break
        n += 1
        if not close(a[1], b[1]):
            bad_value += 1
        # A run of cases with the same printed score may come in any order.
        if a[1] != block_key:
            if ours_ids != theirs_ids:
                bad_set += 1
            block_key, ours_ids, theirs_ids = a[1], set(), set()
        ours_ids.add(a[0])
        theirs_ids.add(b[0])
    if ours_ids != theirs_ids:
        bad_set += 1
    if bad_value or bad_set:
        return False, "%d cases: %d ofi values off by more than 1e-6, %d runs of equal score hold other case ids" % (
            n, bad_value, bad_set)
    return True, "%d cases in the same order, ofi within 1e-6" % n


def quantile(a, q):
    """numpy's linear quantile, as SPEC section 4 writes it."""
    pos = (len(a) - 1) * q
    i = math.floor(pos)
    if i >= len(a) - 1:
        return a[-1]
    d, t = a[i + 1] - a[i], pos - i
    return a[i] + d * t if t < 0.5 else a[i + 1] - d * (1 - t)


def check_customers(ofi, peer):
    ours = read(os.path.join(ofi, "ofi", "customer_tiers.csv"), ["customer_id", "case_count", "avg_ofi", "tier"])
    theirs = read(os.path.join(peer, "customer_tiers.csv"), ["customer_id", "case_count", "avg_ofi", "tier"])
    o = {int(r[0]): r for r in ours}
    t = {int(r[0]): r for r in theirs}
    results = []
    if o.keys() != t.keys():
        results.append(("customers", False, "%d customers vs %d: %d only in ofi, %d only in the peer" % (
            len(o), len(t), len(o.keys() - t.keys()), len(t.keys() - o.keys()))))
        return results
    bad_count = sum(int(o[k][1]) != int(t[k][1]) for k in o)
    bad_avg = sum(not close(o[k][2], t[k][2]) for k in o)
    if bad_count or bad_avg:
        results.append(("customers", False, "%d customers: %d case counts differ, %d avg_ofi differ by more than 1e-6" % (
            len(o), bad_count, bad_avg)))
    else:
        results.append(("customers", True, "%d customers, case_count equal, avg_ofi within 1e-6" % len(o)))
    if any(r[3] not in TIERS for r in t.values()):
        results.append(("tiers", False, "a tier other than %s" % ", ".join(TIERS)))
        return results
    # The tier boundaries of SPEC section 4 over the peer's own (unrounded) averages: the
    # peer must follow them exactly; it may differ from ofi only where its average sits on
    # a boundary, which the rounding of a float sum can move either way.
    values = sorted(float(r[2]) for r in t.values())
    bounds = [quantile(values, 1.0 / 3.0), quantile(values, 2.0 / 3.0)] if values else []
    own = [k for k in t if t[k][3] != TIERS[sum(float(t[k][2]) > b for b in bounds)]]
    differ = [k for k in o if o[k][3] != t[k][3]]
    ties = [k for k in differ if any(abs(float(t[k][2]) - b) <= 1e-9 for b in bounds)]
    if own:
        k = own[0]
        results.append(("tiers", False, "%d of %d customers' tiers do not follow SPEC's quantiles of the peer's own "
                        "averages (%r, %r); e.g. customer %d: avg %s, tier %s" % (
                            len(own), len(t), bounds[0], bounds[1], k, t[k][2], t[k][3])))
    elif len(differ) > len(ties):
        k = next(k for k in differ if k not in ties)
        results.append(("tiers", False, "%d of %d customers in another tier (%d at a boundary); e.g. customer %d: "
                        "ofi %s avg %s, peer %s avg %s" % (len(differ), len(o), len(ties), k, o[k][3], o[k][2],
                                                           t[k][3], t[k][2])))
    elif ties:
        results.append(("tiers", True, "%d of %d customers in another tier, each a tie on a tier boundary "
                        "(the peer's float sum rounds its average onto it)" % (len(ties), len(o))))
    else:
        results.append(("tiers", True, "every one of %d customers in the same tier" % len(o)))
    return results


def check_trend(ofi, peer, name, keys):
    cols = keys + ["case_count", "avg_ofi", "total_ofi"]
    ours = read(os.path.join(ofi, "ofi", name), cols)
    theirs = read(os.path.join(peer, name), cols)
    nk = len(keys)
    o = {tuple(r[:nk]): r[nk:] for r in ours}
    t = {tuple(r[:nk]): r[nk:] for r in theirs}
    if o.keys() != t.keys():
        return False, "%d rows vs %d: %d keys only in ofi, %d only in the peer" % (
            len(o), len(t), len(o.keys() - t.keys()), len(t.keys() - o.keys()))
    bad = [k for k in o if int(o[k][0]) != int(t[k][0]) or not close(o[k][1], t[k][1])
           or not math.isclose(float(o[k][2]), float(t[k][2]), rel_tol=1e-9, abs_tol=TOL)]
    if bad:
        k = bad[0]
        return False, "%d of %d rows differ; e.g. %s: ofi %s, peer %s" % (len(bad), len(o), ",".join(k), o[k], t[k])
    return True, "%d rows, case_count equal, avg_ofi within 1e-6, total_ofi within 1e-9 relative" % len(o)


def main():
    if len(sys.argv) != 3:
        print("usage: check.py OFI_OUT PEER_DIR", file=sys.stderr)
        return 2
    ofi, peer = sys.argv[1], sys.argv[2]
    failed = 0
    try:
        results = [("top_50",) + check_top(ofi, peer)]
        ok, detail = check_case_scores(ofi, peer)
        if ok is not None:
            results.append(("case_scores", ok, detail))
        results += check_customers(ofi, peer)
        results.append(("weekly",) + check_trend(ofi, peer, "weekly_friction_trend.csv",
                                                 ["week_start", "iso_year", "iso_week"]))
        results.append(("monthly",) + check_trend(ofi, peer, "monthly_friction_trend.csv", ["month"]))
    except (Missing, OSError, ValueError, csv.Error) as e:
        print("FAIL files: %s" % e)
        return 2
    for name, ok, detail in results:
        print("%s %s: %s" % ("OK" if ok else "FAIL", name, detail))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
