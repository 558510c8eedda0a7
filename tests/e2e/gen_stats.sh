#!/usr/bin/env bash
# gen_stats.sh - `ofi gen` reproduces the real sample's statistics (the sample itself is
# not in the repository: its figures, measured once on its 60 000 cases, are written here).
#
# usage: tests/e2e/gen_stats.sh BIN
#
# 60 000 generated cases (seed 1) against the sample, each within a tolerance a few
# standard errors wide: priority mix; the High share of each of the ten issues (3, 4, 6
# always High; 8, 9, 10 about 5%); status 86 / 7 / 7 and Escalated as often among
# escalated cases as among the others; flag rates and median resolution by priority;
# refunded cases; customers N/4 and at most ~15 cases each; 7.0 events per case, 1..22;
# the event type mix; the timeline's six columns. Prints one line per check; exits 1 on failure.

. "$(cd "$(dirname "$0")" && pwd)/e2e_lib.sh"
e2e_setup gen_stats "$1"

if ! "$BIN" gen --cases 60000 --seed 1 --out "$tmp/g" --quiet 2> "$tmp/gen.err"; then
    fail "ofi gen --cases 60000" "$(head -3 "$tmp/gen.err")"
    echo "gen_stats: $passed passed, $failed failed"
    exit 1
fi
"$PYTHON" - "$tmp/g" > "$tmp/checks" << 'PY'
import collections, csv, sys
d = sys.argv[1]
cases = list(csv.DictReader(open(d + "/cases.csv", encoding="utf-8")))
n = len(cases)
def share(rows, pred):
    rows = list(rows)
    return sum(1 for r in rows if pred(r)) / max(1, len(rows))
checks = []
def near(name, got, want, tol):
    checks.append((abs(got - want) <= tol, "%s: %.4f (sample %.4f, +-%.4f)" % (name, got, want, tol)))
for p, want in (("High", 0.368), ("Medium", 0.349), ("Low", 0.283)):
    near("priority %s" % p, share(cases, lambda r: r["priority"] == p), want, 0.012)
HIGH_BY_ISSUE = {1: .172, 2: .142, 3: 1.0, 4: 1.0, 5: .075, 6: 1.0, 7: .123, 8: .058, 9: .054, 10: .051}
for i, want in HIGH_BY_ISSUE.items():
    near("High share of issue %d" % i,
         share((r for r in cases if r["issue_id"] == str(i)), lambda r: r["priority"] == "High"), want, 0.025)
for st, want in (("Closed", 0.86), ("Open", 0.07), ("Escalated", 0.07)):
    near("status %s" % st, share(cases, lambda r: r["status"] == st), want, 0.012)
near("Escalated among escalated_flag = 1",
     share((r for r in cases if r["escalated_flag"] == "1"), lambda r: r["status"] == "Escalated"), 0.07, 0.03)
for p, want in (("Low", 0.0), ("Medium", 0.0), ("High", 0.149)):
    near("escalated among %s" % p,
         share((r for r in cases if r["priority"] == p), lambda r: r["escalated_flag"] == "1"), want, 0.015)
for p, want in (("Low", 0.095), ("Medium", 0.25), ("High", 0.236)):
    near("delayed among %s" % p,
         share((r for r in cases if r["priority"] == p), lambda r: r["is_delayed"] == "1"), want, 0.02)
for p, want in (("Low", 60), ("Medium", 79), ("High", 97)):
    mins = sorted(int(r["resolution_minutes"]) for r in cases if r["priority"] == p)
    near("median resolution_minutes among %s" % p, mins[len(mins) // 2], want, 4)
near("refunded cases", share(cases, lambda r: r["has_refund"] == "1"), 0.0836, 0.008)
per_customer = collections.Counter(r["customer_id"] for r in cases)
customers = sum(1 for _ in open(d + "/customers.csv")) - 1
near("customers / cases", customers / n, 0.25, 0.001)
checks.append((max(per_customer.values()) <= 20, "most cases of one customer: %d (sample 14)" % max(per_customer.values())))
tl = csv.reader(open(d + "/case_timeline.csv", encoding="utf-8"))
header = next(tl)
checks.append((header == ["event_id", "case_id", "event_timestamp", "event_type", "actor_type", "channel"],
               "timeline columns: %s" % ",".join(header)))
per_case, types = collections.Counter(), collections.Counter()
for r in tl:
    per_case[r[1]] += 1
    types[r[3]] += 1
events = sum(per_case.values())
near("events per case", events / n, 7.0, 0.1)
checks.append((1 <= min(per_case.values()) and max(per_case.values()) <= 22,
               "events of a case: %d..%d (sample 1..23)" % (min(per_case.values()), max(per_case.values()))))
for t, want in (("agent_reply", 1.59), ("customer_reply", 1.56), ("resolved", 0.914), ("closed", 0.86)):
    near("%s per case" % t, types[t] / n, want, 0.04)
for ok, text in checks:
    print(("PASS " if ok else "FAIL ") + text)
PY
while IFS= read -r line; do
    case "$line" in
        PASS\ *) pass "${line#PASS }" ;;
        FAIL\ *) fail "${line#FAIL }" ;;
    esac
done < "$tmp/checks"
[ -s "$tmp/checks" ] || fail "the statistics script ran" "no output"
echo "gen_stats: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
