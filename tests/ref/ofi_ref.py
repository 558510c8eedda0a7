#!/usr/bin/env python3
"""ofi_ref.py - an independent reference implementation (test oracle) of the OFI engine.

It implements SPEC.md sections 1-5 and 7 for a CSV source, in plain Python 3 (standard
library only), favouring readability over speed. The C engine's outputs are compared with
this program's outputs byte for byte.

Usage:
    python3 tests/ref/ofi_ref.py --csv DIR --out OUTDIR [--weights FILE] [--variant NAME] [--top N]
    python3 tests/ref/ofi_ref.py --csv DIR --out OUTDIR [--weights FILE] --variants [--top N]

The first form (`ofi run`) writes OUTDIR/ofi/*.csv (the twelve files of section 4),
OUTDIR/dq/{row_counts, missing_values, duplicates, domain_violations, rejected_rows}.csv
and OUTDIR/fk/fk_orphans_summary.csv. The second (`ofi variants`, section 5) writes ONLY
OUTDIR/variants/{variant_summary, variant_top_cases, variant_tier_migration,
variant_rank_shifts, variant_top_changes}.csv (see
"Weight variants" below). Neither writes reports/ or extracts/.

Exit codes: 0 success; 1 usage or weights-file error (message "FILE:LINE: key KEY: ...");
2 the source cannot be read (missing file, missing primary-key column, invalid UTF-8,
broken quoting); 4 an output cannot be written. Messages go to stderr.

CHOICES MADE WHERE THE SPEC IS SILENT (or where its wording needed a precise reading)
====================================================================================

Reading CSV
  R1. A file is read as bytes; one leading UTF-8 BOM is dropped; the rest must be valid
      UTF-8 (else exit 2, naming file and line). Records are split by Python's csv module
      in strict mode (RFC 4180: "" inside quotes is a quote).
  R2. Broken quoting (exit 2) = end of file inside a quoted field, or anything but a comma
      or a line end right after a closing quote (`"ab"c`, `"ab" ,`). A quote inside an
      unquoted field is kept literally (`ab"c` reads as ab"c), as is a space before an
      opening quote (` "a"` reads as  "a" with its quotes).
  R3. Line ends: LF and CRLF. A lone CR outside quotes is a read error (exit 2, "lone CR
      line end"), as SPEC allows only LF and CRLF; inside quotes every byte is kept.
  R4. A blank line is a line with nothing but spaces, tabs, VT or FF before its line end
      (outside quotes; pandas' read_csv skips such lines too); it is skipped everywhere
      (also before the header) and is not counted as a record. A quoted `" "` is a record.
      The header is the first non-blank record; a file with no header at all (empty) is
      treated like a header lacking the primary-key column (exit 2).
  R5. row_number = 1-based number of the record after the header, blank lines not counted
      (a record spanning several lines counts once).
  R6. Header names are trimmed (ASCII whitespace) and compared ASCII-case-insensitively.
      When a name occurs twice the first occurrence is used. In calendar, `date` is used
      for calendar_date only when there is no `calendar_date` column.
  R7. "Whitespace" everywhere (NULL test, trimming) means ASCII space, \\t, \\n, \\r, \\v, \\f.
      Case-insensitive comparisons (headers, priority, weights keys, on/off) fold A-Z only.

Parsing and rejection
  P1. Per-row checks, in this order, give the row's single reason: (a) field count !=
      header field count -> "expected H fields, found N"; (b) then the section-1 columns
      in section-1 order: NULL primary key -> "column <pk>: NULL primary key"; a typed
      value that does not parse -> 'column <col>: bad integer "<field>"' (or bad decimal,
      bad date, bad datetime, integer out of range, decimal out of range; <field> is the
      field as written). Rows passing these checks are "readable". (c) Among readable
      rows a repeated primary key is rejected with "column <pk>: duplicate id <id>".
      So a NULL primary key is a read rejection: missing_values never counts a PK column.
  P2. Integers (every id, every INT column, the five flags): trimmed, regex
      [+-]?[0-9]+(\\.0+)? -- so "12", "+12", "-3", "007", "12.0", "12.000" are accepted and
      "12.", "12.5", "1e3", "1 2", "0x1F" are rejected. Every integer column (not only ids)
      must lie in [-(2^63-1), 2^63-1]; -9223372036854775808 is out of range.
  P3. DECIMAL: trimmed; if the text contains exactly one comma and no dot, the comma is the
      decimal point. Grammar [+-]?([0-9]+|[0-9]+\\.[0-9]+|\\.[0-9]+)([eE][+-]?[0-9]+)? ("3."
      is rejected, like "12." for integers). nan/inf do not match the grammar; a value
      that overflows a double (1e400) is "decimal out of range". Non-money decimals are
      parsed with float() of the normalised text and NOT rounded to their declared scale.
  P4. Money (refund_amount_eur only): decimal.Decimal of the normalised text, rounded
      ROUND_HALF_UP (half away from zero, so -0.005 -> -0.01) to integer cents; cents must
      fit in a signed 64-bit integer (else "decimal out of range").
  P5. DATE: YYYY-MM-DD (exactly 4-2-2 digits, a real calendar date, year >= 1), optionally
      followed by " " or "T" and a time HH:MM[:SS[.f]] (f = one or more digits) that must
      itself be valid (hour 0-23, minute 0-59, second 0-59). The parsed value is the date.
  P6. DATETIME: YYYY-MM-DD[ T]HH:MM[:SS[.f]] exactly as written in the spec: a date alone is
      rejected; no time zone suffix. Timestamps compare by (date, hour, minute, seconds
      with fraction as an exact decimal).
  P7. Untyped columns (calendar year/month/month_name/quarter/day_name/week_of_year and all
      texts) never reject a row; a NULL text prints as an empty field in non-group outputs.
  P8. full_row_duplicates compares the parsed values of all section-1 columns (extra
      columns ignored): NULL == NULL, numbers by value ("1.0" == "1"), money by cents, a
      DATE by its date (time part ignored), texts as written (not trimmed).

Data quality
  D1. missing_values: NULL count per section-1 column over readable rows (a column absent
      from the file counts every readable row); only counts > 0; tables in section-1
      order, columns in section-1 order.
  D2. duplicates: per table (section-1 order) `full_row_duplicates` then
      `duplicate_in_<pk>` (readable rows whose PK equals an earlier readable row's PK).
  D3. domain_violations: a NULL flag is NOT a violation (it is missing, see
      missing_values); a NULL priority IS unknown_priority (the spec says so); NULL minutes
      are not negative. A flag value other than 0 or 1 (2, -1) is a violation and scores
      as 1 (non-zero).
  D4. rejected_rows.raw re-serialises the record (all fields as read, extra columns
      included) with RFC 4180 minimal quoting: a field is quoted iff it contains a comma,
      a quote, CR or LF; a record of one empty field is written `""`. (Python's
      csv.writer is not used for this: with lineterminator '' it leaves fields containing
      LF or CR unquoted, which makes the raw text unreadable.) The same serialiser writes
      every output file, with "\\n" after each row.

Features and score
  F1. Only kept rows are used: kept timeline/refund rows whose case_id is a kept case
      count as touches/refunds; orphans and NULL case_ids are ignored.
  F2. case_date = calendar_date of the case's date_id when that kept calendar row exists
      AND its calendar_date is not NULL; otherwise the date of the earliest non-NULL
      event_timestamp among the case's kept timeline rows; otherwise no date.
  F3. Every component is computed as (x * a) / b with the weight written as a or a/b
      (a plain number means b = 1): priority x = 1 with a/b the points of its category
      (unknown or NULL -> the low points); flags x = 1 when non-zero else 0 (NULL -> 0);
      delay/resolution x = max(minutes, 0) as a double (NULL -> 0); refund x = cents/100;
      touch x = touch_count; issue x = friction_weight (NULL or no catalog row -> 0).
  F4. ofi = left-to-right sum of the nine components, then * severity_multiplier (when on;
      NULL or no catalog row -> 1), then * segment_multiplier (when on; NULL, NULL
      customer_id or orphan -> 1). When a switch is off no multiplication happens.
  F5. Only an exact zero (0.0 or -0.0) is printed as 0.000000; a tiny negative value that
      rounds to zero would still print as -0.000000 (printf behaviour). Non-finite values
      are out of scope.

Weights file
  W1. Read as UTF-8 (BOM tolerated); lines split on LF (a trailing CR is stripped). A
      comment starts at the first '#' or ';' anywhere on a line (so inline comments work;
      names and values cannot contain these characters).
  W2. Section header `[variant NAME]`: the word `variant` is case-insensitive, NAME is the
      trimmed rest (non-empty), compared case-sensitively for duplicates. Any other
      section header, a `key = value` line before the first section, or a line without
      '=' is an error. An empty file / a file without variants is an error.
  W3. A number is [+-]?([0-9]+|[0-9]+.[0-9]+|.[0-9]+)([eE][+-]?[0-9]+)? and must be finite;
      `a/b` may have spaces around '/'. Errors: unknown key, bad number, b <= 0, a < 0
      (-0 is accepted as 0), on/off key with another value, duplicate variant name.
      A key repeated within one variant: the last value wins.
  W4. --variant NAME selects that variant (exit 1 if absent); default the first. The
      weights file is read and checked before the data (a bad file exits 1 first).
      Without --weights the defaults of section 3 are used (the variant is then named
      `default`; --variant with another name exits 1).

Outputs
  O1. ofi_case_scores: ids and minutes/flags print their parsed integer (so "12.0" -> 12,
      a flag 2 -> 2, negative minutes as read); NULL -> empty; priority/severity/channel/
      status as written (untrimmed), NULL or missing parent -> empty.
  O2. Group views (severity_trend, product_group_cost_drivers, root_cause_friction texts,
      team_friction): a NULL key column, a NULL FK or an orphan FK -> "(unknown)"; group
      keys are used as written (not trimmed). root_cause_friction is keyed by issue_id: an
      orphan id keeps its own row with "(unknown)" texts; a catalog row's NULL text also
      shows "(unknown)"; cases with a NULL issue_id form one row with an empty issue_id,
      sorted after every issue_id with an equal total_ofi.
  O3. team agent_count = number of distinct non-NULL agent_ids among the team's cases
      (orphan agent ids included, under "(unknown)").
  O4. avg_resolution_minutes = float(exact integer sum of max(resolution_minutes, 0), NULL
      as 0) / case_count (NULL counts as 0 and the case stays in the denominator). The sum
      is exact and rounded once ("every sum is exact"): math.fsum would round each value
      past 2^53 to a double first (9007199254740993 + 30 -> 9007199254741022, where the
      exact sum rounds to 9007199254741024).
  O5. escalated_cases/reopened_cases and all rates count flags that are non-zero.
  O6. Customer views: cases with a NULL customer_id are skipped; an orphan id keeps its row
      with empty country, region, segment. NULL texts of a kept customer print empty.
  O7. kpi_summary with 0 cases: cases 0, customers_with_cases 0, total_refund_eur 0.00,
      every other value (rates, averages, quantiles and max_ofi) empty.
  O8. Sorting: float keys by their unrounded value; ids numerically; strings by code
      point (= UTF-8 byte order). Ties beyond the spec's keys do not occur.
  O9. --top N must be >= 0 (else exit 1); N larger than the case count gives every case.
  O10. Each output file is written to "<name>.tmp" and renamed into place. Nothing is
      written when reading fails.

Weight variants (--variants; SPEC section 5)
  V1. The variants are every [variant NAME] of --weights in file order (without --weights
      one variant, `default`, with the defaults); the first is the baseline. Every kept
      case i gets a score s_v[i] under each variant v (build_cases with v's weights). A
      variant's case order is score descending, then case_id ascending; N = --top
      (default 50) and topN(v) = the first min(N, n) cases. --variant is not allowed with
      --variants (exit 1). Variant names are written as CSV text (quoted where needed).
  V2. variant_summary.csv: variant, avg_ofi, p50_ofi, p90_ofi, p99_ofi, max_ofi,
      topN_overlap (literally), spearman_cases, spearman_customers, kendall_tau_top,
      tier_changes; one row per variant, baseline included, in file order.
  V3. avg_ofi = fsum(scores) / n; p50/p90/p99 = the section-4 quantile (q = 0.5, 0.9, 0.99)
      over the variant's sorted scores; max_ofi = the maximum. With n = 0 all five are
      empty. topN_overlap = |topN(v) & topN(baseline)|, an integer count.
  V4. Spearman (spearman_cases: over all cases, x = baseline score, y = variant score):
      rank each series ascending, ranks 1..n, tied values getting the mean of their
      positions. With X = 2*rank_x, Y = 2*rank_y (integers): num = n*sum(XY) -
      sum(X)*sum(Y), dx = n*sum(X^2) - sum(X)^2, dy = n*sum(Y^2) - sum(Y)^2, all exact
      integers; empty if n < 2 or dx == 0 or dy == 0; else
      r = float(num) / sqrt(float(dx) * float(dy)) (one division, so that the C side can
      be bit-identical), printed %.6f (-0.0 as 0.000000).
  V5. spearman_customers: the same over the customers with >= 1 case (the customer views'
      set: NULL customer_id skipped, orphan ids included), x = the customer's avg_ofi
      (fsum of its cases' scores / count) under the baseline, y = under the variant.
  V6. kendall_tau_top: tau-b over the set U = topN(baseline) | topN(v) of cases, x =
      baseline score, y = variant score. For every pair i < j in U, sx = sign(x_i - x_j),
      sy = sign(y_i - y_j); C counts sx*sy > 0, D counts sx*sy < 0; n0 = m(m-1)/2
      (m = |U|), n1 = sum over groups of equal x of t(t-1)/2, n2 the same for y. Empty
      when m < 2 or n0 - n1 == 0 or n0 - n2 == 0; else
      tau = float(C - D) / sqrt(float(n0 - n1) * float(n0 - n2)), printed %.6f.
  V7. A variant's tiers: t1, t2 = the quantiles 1/3 and 2/3 over that variant's customer
      avg_ofi values; Low Friction if avg <= t1, Medium Friction if avg <= t2, else High
      Friction (the customer_tiers.csv rule). tier_changes = customers whose tier under v
      differs from their tier under the baseline.
  V8. variant_top_cases.csv: variant, rank, case_id, ofi: for each variant in file order,
      its topN with rank 1.. and ofi %.6f.
  V9. variant_tier_migration.csv: variant, from_tier, to_tier, customers: for each variant
      in file order the 9 pairs, from_tier in the order Low, Medium, High Friction and,
      within each, to_tier in the same order; customers = customers in from_tier under the
      baseline and in to_tier under the variant (zeros included).
  V10. variant_rank_shifts.csv (issue 4's extras): variant, mean_abs_rank_shift_cases,
      mean_abs_rank_shift_customers, tier_change_share: the mean over cases of |position
      in the baseline's ranking - position in the variant's| (rank_cases order), the same
      over customers ranked by avg_ofi desc then customer_id asc, and tier_changes / the
      number of customers; %.6f, empty without cases (customers).
  V11. variant_top_changes.csv: variant, change, case_id, baseline_rank, variant_rank: per
      variant in file order, the cases `entering` its top N (not in the baseline's), in
      the variant's order, then those `leaving` (the baseline's top N cases not in the
      variant's), in the baseline's order; ranks 1-based positions in each full ranking.
"""

import argparse
import csv
import datetime
import decimal
import io
import math
import os
import re
import sys

# ---------------------------------------------------------------------------------------
# Schema (SPEC section 1)
# ---------------------------------------------------------------------------------------

# Column kinds: 'int' (ids, INT columns, flags), 'dec' (DECIMAL parsed to a double),
# 'money' (DECIMAL kept as exact integer cents), 'date', 'datetime', 'text'.
SCHEMA = [
    ("calendar", [
        ("date_id", "int"), ("calendar_date", "date"), ("year", "text"), ("month", "text"),
        ("month_name", "text"), ("quarter", "text"), ("day_name", "text"),
        ("week_of_year", "text"),
    ]),
    ("customers", [
        ("customer_id", "int"), ("country", "text"), ("region", "text"), ("segment", "text"),
        ("signup_year", "int"), ("segment_multiplier", "dec"),
    ]),
    ("agents", [
        ("agent_id", "int"), ("team", "text"), ("shift", "text"), ("tenure_months", "int"),
        ("speed_factor", "dec"),
    ]),
    ("products", [
        ("product_id", "int"), ("product_group", "text"), ("base_price_eur", "dec"),
        ("risk_score", "dec"),
    ]),
    ("issue_catalog", [
        ("issue_id", "int"), ("issue_category", "text"), ("root_cause", "text"),
        ("severity", "text"), ("friction_weight", "dec"), ("severity_multiplier", "dec"),
    ]),
    ("cases", [
        ("case_id", "int"), ("date_id", "int"), ("customer_id", "int"), ("agent_id", "int"),
        ("product_id", "int"), ("issue_id", "int"), ("channel", "text"), ("status", "text"),
        ("priority", "text"), ("escalated_flag", "int"), ("reopened_flag", "int"),
        ("is_delayed", "int"), ("delay_minutes", "int"), ("is_cancelled", "int"),
        ("resolution_minutes", "int"), ("has_refund", "int"),
    ]),
    ("case_timeline", [
        ("event_id", "int"), ("case_id", "int"), ("event_type", "text"),
        ("event_timestamp", "datetime"),
    ]),
    ("refunds", [
        ("refund_id", "int"), ("case_id", "int"), ("refund_type", "text"),
        ("refund_amount_eur", "money"),
    ]),
]
TABLE_NAMES = [name for name, _ in SCHEMA]
COLUMNS = {name: [col for col, _ in cols] for name, cols in SCHEMA}
KINDS = {name: [kind for _, kind in cols] for name, cols in SCHEMA}

# (child table, child column, parent table, parent primary key), in section-1 order.
FOREIGN_KEYS = [
    ("cases", "date_id", "calendar", "date_id"),
    ("cases", "customer_id", "customers", "customer_id"),
    ("cases", "agent_id", "agents", "agent_id"),
    ("cases", "product_id", "products", "product_id"),
    ("cases", "issue_id", "issue_catalog", "issue_id"),
    ("case_timeline", "case_id", "cases", "case_id"),
    ("refunds", "case_id", "cases", "case_id"),
]

FLAGS = ["escalated_flag", "reopened_flag", "is_delayed", "is_cancelled", "has_refund"]

UNKNOWN = "(unknown)"

# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


class ConfigError(Exception):
    """Usage or weights-file error: exit 1."""


class SourceError(Exception):
    """The source cannot be read: exit 2."""


class Reject(Exception):
    """A row cannot be read; the argument is the rejection reason."""


# ---------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------

WHITESPACE = " \t\n\r\v\f"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def trim(s):
    return s.strip(WHITESPACE)


def ascii_lower(s):
    return s.translate(_ASCII_LOWER)


def is_null(field):
    """NULL is an empty or whitespace-only field."""
    return trim(field) == ""


# ---------------------------------------------------------------------------------------
# Typed value parsers (SPEC section 7, "Reading"). Each takes an untrimmed non-NULL field
# and the column name, and returns the parsed value or raises Reject.
# ---------------------------------------------------------------------------------------

INT64_MAX = 2**63 - 1
RE_INT = re.compile(r"[+-]?[0-9]+(?:\.0+)?")
RE_DEC = re.compile(r"[+-]?(?:[0-9]+|[0-9]+\.[0-9]+|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
RE_DATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?"
)


def parse_int(field, col):
    text = trim(field)
    if not RE_INT.fullmatch(text):
        raise Reject("bad integer")
    value = int(text.split(".")[0])  # int() accepts the sign and leading zeros
    if not -INT64_MAX <= value <= INT64_MAX:
        raise Reject("integer out of range")
    return value


def normalise_decimal(field, col):
    """Trim, turn a lone comma decimal into a dot, and check the decimal grammar."""
    text = trim(field)
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not RE_DEC.fullmatch(text):
        raise Reject("bad decimal")
    return text


def parse_dec(field, col):
    value = float(normalise_decimal(field, col))
    if not math.isfinite(value):
        raise Reject("decimal out of range")
    return value


def parse_money(field, col):
    """Exact amount in integer cents, rounded half-up (away from zero)."""
    amount = decimal.Decimal(normalise_decimal(field, col))
    if amount != 0 and amount.adjusted() > 18:  # certainly beyond 2^63 cents
        raise Reject("decimal out of range")
    ctx = decimal.Context(prec=60)
    cents = int(amount.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP,
                                context=ctx).scaleb(2, context=ctx))
    if not -INT64_MAX <= cents <= INT64_MAX:
        raise Reject("decimal out of range")
    return cents


def match_timestamp(text):
    """Match DATE[ TIME]; return (date, time tuple or None), or None when invalid."""
    m = RE_DATE.fullmatch(text)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac = m.groups()
    try:
        day_value = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    if hh is None:
        return day_value, None
    hour, minute = int(hh), int(mm)
    second = decimal.Decimal(ss + "." + (frac or "0")) if ss is not None else decimal.Decimal(0)
    if hour > 23 or minute > 59 or second >= 60:
        return None
    return day_value, (hour, minute, second)


def parse_date(field, col):
    parsed = match_timestamp(trim(field))
    if parsed is None:
        raise Reject("bad date")
    return parsed[0]


def parse_datetime(field, col):
    """A timestamp is (date, hour, minute, seconds as an exact Decimal)."""
    parsed = match_timestamp(trim(field))
    if parsed is None or parsed[1] is None:
        raise Reject("bad datetime")
    return (parsed[0],) + parsed[1]


PARSERS = {
    "int": parse_int,
    "dec": parse_dec,
    "money": parse_money,
    "date": parse_date,
    "datetime": parse_datetime,
    "text": lambda field, col: field,  # as written
}

# ---------------------------------------------------------------------------------------
# CSV serialisation (RFC 4180, quoting only where needed)
# ---------------------------------------------------------------------------------------


def csv_field(value):
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_record(fields):
    if len(fields) == 1 and fields[0] == "":
        return '""'
    return ",".join(csv_field(f) for f in fields)


# ---------------------------------------------------------------------------------------
# Reading one table
# ---------------------------------------------------------------------------------------


BLANK_LINE = re.compile(r"[ \t\v\f]*\r?(\n|$)")


def check_line_ends(text, label):
    """R3: a CR outside quotes must be followed by LF. Quotes open a quoted field only at
    a field's start; inside one, "" is a quote and another quote closes it. Returns the
    numbers of the lines that start outside quotes and are blank (R4)."""
    quoted, at_start, line = False, True, 1
    i, n = 0, len(text)
    blank = set()
    while i < n:
        if at_start and (i == 0 or text[i - 1] == "\n") and BLANK_LINE.match(text, i):
            blank.add(line)
        c = text[i]
        if quoted:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
            elif c == "\n":
                line += 1
        elif c == '"' and at_start:
            quoted = True
        elif c == "\r" and not (i + 1 < n and text[i + 1] == "\n"):
            raise SourceError("%s:%d: lone CR line end (only LF and CRLF are supported)"
                              % (label, line))
        elif c == "\n":
            line += 1
        at_start = c in ",\n" and not quoted
        i += 1
    return blank


def read_records(path, label):
    """Return (header, records): the first non-blank record and the later ones."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise SourceError("%s: file not found (%s)" % (label, path))
    except OSError as e:
        raise SourceError("%s: cannot read: %s" % (label, e.strerror))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise SourceError("%s:%d: invalid UTF-8" % (label, line))

    blank = check_line_ends(text, label)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header, records = None, []
    while True:
        first_line = reader.line_num + 1  # where the next record starts
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise SourceError("%s:%d: broken quoting (%s)" % (label, first_line, e))
        if not record or (len(record) == 1 and first_line in blank):  # a blank line
            continue
        if header is None:
            header = record
        else:
            records.append(record)
    return header, records


class Table:
    """One table as read: counts for data quality, and the kept rows.

    rows:      number of data records (rejected ones included)
    readable:  parsed rows (tuples in section-1 column order) that passed the row checks
    kept:      readable rows without the later repeats of a primary key
    rejected:  (row_number, reason, raw) triples
    """

    def __init__(self, name):
        self.name = name
        self.columns = COLUMNS[name]
        self.rows = 0
        self.readable = []
        self.kept = []
        self.rejected = []
        self.full_row_duplicates = 0
        self.pk_duplicates = 0

    def col(self, column):
        """Index of a column in the parsed tuples."""
        return self.columns.index(column)


def column_positions(name, header, label):
    """Map each section-1 column to its field index in the file (None when absent)."""
    index = {}
    for i, h in enumerate(header or []):
        index.setdefault(ascii_lower(trim(h)), i)
    if name == "calendar" and "calendar_date" not in index and "date" in index:
        index["calendar_date"] = index["date"]
    pk = COLUMNS[name][0]
    if pk not in index:
        raise SourceError("%s: missing primary key column %s" % (label, pk))
    return [index.get(col) for col in COLUMNS[name]]


def parse_record(name, record, n_header, positions):
    """Parse one record into a tuple in section-1 order, or raise Reject."""
    if len(record) != n_header:
        raise Reject("expected %d fields, found %d" % (n_header, len(record)))
    values = []
    for i, (col, kind, pos) in enumerate(zip(COLUMNS[name], KINDS[name], positions)):
        field = record[pos] if pos is not None else ""
        if is_null(field):
            if i == 0:
                raise Reject("column %s: NULL primary key" % col)
            values.append(None)
        else:
            try:
                values.append(PARSERS[kind](field, col))
            except Reject as r:
                raise Reject('column %s: %s "%s"' % (col, r, field))
    return tuple(values)


def load_table(directory, name):
    label = name + ".csv"
    header, records = read_records(os.path.join(directory, label), label)
    positions = column_positions(name, header, label)
    table = Table(name)
    table.rows = len(records)
    for row_number, record in enumerate(records, start=1):
        try:
            values = parse_record(name, record, len(header), positions)
        except Reject as r:
            table.rejected.append((row_number, str(r), csv_record(record)))
        else:
            table.readable.append((row_number, values, record))

    seen_rows, seen_keys = set(), set()
    for row_number, values, record in table.readable:
        if values in seen_rows:
            table.full_row_duplicates += 1
        seen_rows.add(values)
        if values[0] in seen_keys:
            table.pk_duplicates += 1
            table.rejected.append((row_number, "column %s: duplicate id %d" % (table.columns[0], values[0]),
                                   csv_record(record)))
        else:
            seen_keys.add(values[0])
            table.kept.append(values)
    table.rejected.sort(key=lambda r: r[0])
    return table


# ---------------------------------------------------------------------------------------
# Weights (SPEC section 3)
# ---------------------------------------------------------------------------------------

WEIGHT_KEYS = ["priority.low", "priority.medium", "priority.high", "escalation", "reopen",
               "refund_flag", "delay", "resolution", "refund", "touch", "issue"]
SWITCH_KEYS = ["severity_multiplier", "segment_multiplier"]

# Each weight is (a, b): a component is (x * a) / b.
DEFAULT_WEIGHTS = {
    "priority.low": (1.0, 1.0), "priority.medium": (2.0, 1.0), "priority.high": (3.0, 1.0),
    "escalation": (2.0, 1.0), "reopen": (1.5, 1.0), "refund_flag": (0.0, 1.0),
    "delay": (1.0, 60.0), "resolution": (1.0, 120.0), "refund": (1.0, 20.0),
    "touch": (0.5, 1.0), "issue": (0.0, 1.0),
    "severity_multiplier": False, "segment_multiplier": False,
}
RE_NUMBER = re.compile(r"[+-]?(?:[0-9]+|[0-9]+\.[0-9]+|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_weight_number(text):
    """A finite double, or None."""
    text = trim(text)
    if not RE_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_weight(text, where):
    """'a' or 'a/b' -> (a, b); raise ConfigError naming where ("FILE:LINE: key KEY")."""
    parts = text.split("/")
    if len(parts) > 2:
        raise ConfigError('%s: bad number "%s"' % (where, text))
    a = parse_weight_number(parts[0])
    b = parse_weight_number(parts[1]) if len(parts) == 2 else 1.0
    if a is None or b is None:
        raise ConfigError('%s: bad number "%s"' % (where, text))
    if b <= 0:
        raise ConfigError('%s: divisor must be > 0 in "%s"' % (where, text))
    if a < 0:
        raise ConfigError('%s: negative weight "%s"' % (where, text))
    return (a + 0.0, b)  # + 0.0 turns -0 into 0


def read_variants(path):
    """Return every variant of an INI weights file: [(name, weights dict)] in file order."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8-sig")
    except OSError as e:
        raise ConfigError("%s: cannot read weights file: %s" % (path, e.strerror))
    except UnicodeDecodeError:
        raise ConfigError("%s: invalid UTF-8" % path)

    variants = []  # [(name, weights)] in file order
    current = None
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = trim(re.split(r"[#;]", line, maxsplit=1)[0])
        if not line:
            continue
        where = "%s:%d" % (path, line_no)
        if line.startswith("["):
            inner = line[1:-1].split(None, 1) if line.endswith("]") else []
            if len(inner) != 2 or ascii_lower(inner[0]) != "variant" or not trim(inner[1]):
                raise ConfigError("%s: expected a section [variant NAME], got %s"
                                  % (where, line))
            name = trim(inner[1])
            if any(name == n for n, _ in variants):
                raise ConfigError("%s: variant %s: duplicate variant name" % (where, name))
            current = dict(DEFAULT_WEIGHTS)
            variants.append((name, current))
            continue
        if "=" not in line:
            raise ConfigError("%s: expected key = value, got %s" % (where, line))
        key, value = line.split("=", 1)
        key, value = ascii_lower(trim(key)), trim(value)
        where_key = "%s: key %s" % (where, key)
        if current is None:
            raise ConfigError("%s: outside a [variant NAME] section" % where_key)
        if key in SWITCH_KEYS:
            switch = ascii_lower(value)
            if switch not in ("on", "off"):
                raise ConfigError('%s: expected on or off, got "%s"' % (where_key, value))
            current[key] = switch == "on"
        elif key in WEIGHT_KEYS:
            current[key] = parse_weight(value, where_key)
        else:
            raise ConfigError("%s: unknown key" % where_key)

    if not variants:
        raise ConfigError("%s: no [variant NAME] section" % path)
    return variants


def load_weights(path, wanted):
    """Return the weights dict of the chosen variant (default the first) of a weights file."""
    variants = read_variants(path)
    if wanted is None:
        return variants[0][1]
    for name, weights in variants:
        if name == wanted:
            return weights
    raise ConfigError('%s: no variant named "%s"' % (path, wanted))


# ---------------------------------------------------------------------------------------
# Per-case features and score (SPEC sections 2 and 3)
# ---------------------------------------------------------------------------------------

PRIORITY_CLASSES = {"low": "low", "medium": "medium", "med": "medium", "high": "high"}


def priority_class(priority):
    """'low', 'medium', 'high', or None for NULL or anything else."""
    if priority is None:
        return None
    return PRIORITY_CLASSES.get(ascii_lower(trim(priority)))


def component(x, weight):
    a, b = weight
    return (x * a) / b


class Case:
    """One kept case with its features, its parents' attributes and its score."""

    def __init__(self, row):
        for column, value in zip(COLUMNS["cases"], row):
            setattr(self, column, value)
        self.case_date = None
        self.severity = None            # issue's severity as written (None: NULL/missing)
        self.refund_cents = 0
        self.refund_count = 0
        self.touch_count = 0
        self.components = []
        self.ofi = 0.0

    def flag(self, name):
        """1 when the flag is non-zero, else 0 (NULL -> 0)."""
        value = getattr(self, name)
        return 1 if value is not None and value != 0 else 0

    def resolution_for_avg(self):
        value = self.resolution_minutes
        return max(value, 0) if value is not None else 0


def build_cases(tables, weights):
    """Join the tables into scored Case objects, in source order."""
    calendar = {row[0]: row[1] for row in tables["calendar"].kept}
    customers = {row[0]: row for row in tables["customers"].kept}
    issues = {row[0]: row for row in tables["issue_catalog"].kept}
    cust_mult = tables["customers"].col("segment_multiplier")
    iss_sev = tables["issue_catalog"].col("severity")
    iss_fw = tables["issue_catalog"].col("friction_weight")
    iss_mult = tables["issue_catalog"].col("severity_multiplier")

    cases = [Case(row) for row in tables["cases"].kept]
    by_id = {case.case_id: case for case in cases}

    # Money is summed exactly in 64-bit cents: a case's refunds, summed in source order,
    # must stay in range, and so must all cases' absolute amounts together (which bounds
    # every group's total); otherwise the source cannot be scored (exit 2).
    overflow = None  # index of the first case whose running sum left the range
    index = {id(case): k for k, case in enumerate(cases)}
    for _, case_id, _, amount in tables["refunds"].kept:
        case = by_id.get(case_id)
        if case is not None:
            case.refund_count += 1
            total = case.refund_cents + (amount if amount is not None else 0)
            if -2**63 <= total <= INT64_MAX:
                case.refund_cents = total
            elif overflow is None or index[id(case)] < overflow:
                overflow = index[id(case)]
    if overflow is not None:
        raise SourceError("refunds: the refund amounts of case %d sum beyond the exact range "
                          "of cents (64-bit: +-92233720368547758.07 EUR)"
                          % cases[overflow].case_id)
    if sum(abs(case.refund_cents) for case in cases) > INT64_MAX:
        raise SourceError("refunds: the refund amounts of all cases sum beyond the exact "
                          "range of cents (64-bit: +-92233720368547758.07 EUR in all)")

    first_event = {}
    for _, case_id, _, timestamp in tables["case_timeline"].kept:
        case = by_id.get(case_id)
        if case is None:
            continue
        case.touch_count += 1
        if timestamp is not None and (case_id not in first_event
                                      or timestamp < first_event[case_id]):
            first_event[case_id] = timestamp

    for case in cases:
        # case_date: the calendar's date, else the first timeline event's date.
        if case.date_id is not None and calendar.get(case.date_id) is not None:
            case.case_date = calendar[case.date_id]
        elif case.case_id in first_event:
            case.case_date = first_event[case.case_id][0]

        issue = issues.get(case.issue_id) if case.issue_id is not None else None
        customer = customers.get(case.customer_id) if case.customer_id is not None else None
        case.severity = issue[iss_sev] if issue is not None else None
        friction = issue[iss_fw] if issue is not None and issue[iss_fw] is not None else 0.0

        pclass = priority_class(case.priority) or "low"
        delay = case.delay_minutes if case.delay_minutes is not None else 0
        resolution = case.resolution_minutes if case.resolution_minutes is not None else 0
        case.components = [
            component(1, weights["priority." + pclass]),
            component(case.flag("escalated_flag"), weights["escalation"]),
            component(case.flag("reopened_flag"), weights["reopen"]),
            component(case.flag("has_refund"), weights["refund_flag"]),
            component(float(max(delay, 0)), weights["delay"]),
            component(float(max(resolution, 0)), weights["resolution"]),
            component(case.refund_cents / 100, weights["refund"]),
            component(case.touch_count, weights["touch"]),
            component(friction, weights["issue"]),
        ]
        p, e, r, rf, d, res, ref, t, i = case.components
        ofi = ((((((((p + e) + r) + rf) + d) + res) + ref) + t) + i)  # left to right
        if weights["severity_multiplier"]:
            multiplier = issue[iss_mult] if issue is not None else None
            ofi = ofi * (multiplier if multiplier is not None else 1.0)
        if weights["segment_multiplier"]:
            multiplier = customer[cust_mult] if customer is not None else None
            ofi = ofi * (multiplier if multiplier is not None else 1.0)
        case.ofi = ofi
    return cases


# ---------------------------------------------------------------------------------------
# Number formatting and statistics (SPEC section 4)
# ---------------------------------------------------------------------------------------


def fmt_float(x):
    if x == 0:
        x = 0.0  # -0.0 prints as 0.000000
    return "%.6f" % x


def fmt_money(cents):
    sign = "-" if cents < 0 else ""
    return "%s%d.%02d" % (sign, abs(cents) // 100, abs(cents) % 100)


def fmt_int(value):
    return "" if value is None else str(value)


def fmt_text(value):
    return "" if value is None else value


def fmt_date(value):
    return "" if value is None else value.isoformat()


def quantile(sorted_values, q):
    """numpy's default (linear) quantile, to the bit, as written in SPEC section 4."""
    a = sorted_values
    n = len(a)
    pos = (n - 1) * q
    i = math.floor(pos)
    t = pos - i
    if i >= n - 1:
        return a[n - 1]
    d = a[i + 1] - a[i]
    if t < 0.5:
        return a[i] + d * t
    return a[i + 1] - d * (1 - t)


def month_of(day):
    return "%04d-%02d" % (day.year, day.month)


class Group:
    """Measures over a set of cases; sums are exact (fsum, integer cents)."""

    def __init__(self):
        self.cases = []

    def add(self, case):
        self.cases.append(case)

    @property
    def count(self):
        return len(self.cases)

    def total_ofi(self):
        return math.fsum(c.ofi for c in self.cases)

    def avg_ofi(self):
        return self.total_ofi() / self.count

    def max_ofi(self):
        return max(c.ofi for c in self.cases)

    def refund_cents(self):
        return sum(c.refund_cents for c in self.cases)

    def refund_count(self):
        return sum(c.refund_count for c in self.cases)

    def flagged(self, flag):
        return sum(c.flag(flag) for c in self.cases)

    def rate(self, flag):
        return self.flagged(flag) / self.count

    def avg_resolution(self):
        return float(sum(c.resolution_for_avg() for c in self.cases)) / self.count


SKIP = object()  # a group key meaning "leave this case out of the view"


def group_by(cases, key):
    """Dict key -> Group, skipping cases whose key is the marker SKIP."""
    groups = {}
    for case in cases:
        k = key(case)
        if k is SKIP:
            continue
        groups.setdefault(k, Group()).add(case)
    return groups


# ---------------------------------------------------------------------------------------
# Output views
# ---------------------------------------------------------------------------------------

CASE_COLUMNS = [
    "case_id", "case_date", "customer_id", "agent_id", "product_id", "issue_id", "channel",
    "status", "priority", "severity", "escalated_flag", "reopened_flag", "is_delayed",
    "delay_minutes", "is_cancelled", "resolution_minutes", "has_refund", "refund_eur",
    "refund_count", "touch_count", "priority_score", "escalation_score", "reopen_score",
    "refund_flag_score", "delay_score", "resolution_score", "refund_score", "touch_score",
    "issue_score", "ofi",
]


def case_fields(c):
    return ([fmt_int(c.case_id), fmt_date(c.case_date), fmt_int(c.customer_id),
             fmt_int(c.agent_id), fmt_int(c.product_id), fmt_int(c.issue_id),
             fmt_text(c.channel), fmt_text(c.status), fmt_text(c.priority),
             fmt_text(c.severity), fmt_int(c.escalated_flag), fmt_int(c.reopened_flag),
             fmt_int(c.is_delayed), fmt_int(c.delay_minutes), fmt_int(c.is_cancelled),
             fmt_int(c.resolution_minutes), fmt_int(c.has_refund),
             fmt_money(c.refund_cents), str(c.refund_count), str(c.touch_count)]
            + [fmt_float(x) for x in c.components] + [fmt_float(c.ofi)])


def view_case_scores(ranked, top_n):
    scores = [CASE_COLUMNS] + [case_fields(c) for c in ranked]
    top = [["rank"] + CASE_COLUMNS] + [[str(i + 1)] + case_fields(c)
                                       for i, c in enumerate(ranked[:top_n])]
    return scores, top


def customer_groups(cases):
    """customer_id -> Group of its cases (NULL customer_id skipped, orphan ids kept)."""
    return group_by(cases, lambda c: SKIP if c.customer_id is None else c.customer_id)


TIERS = ["Low Friction", "Medium Friction", "High Friction"]


def assign_tiers(averages):
    """customer_id -> tier, from customer_id -> avg_ofi: t1, t2 = the quantiles 1/3 and
    2/3 of the averages; Low if avg <= t1, Medium if avg <= t2, else High."""
    values = sorted(averages.values())
    if not values:
        return {}
    t1, t2 = quantile(values, 1.0 / 3.0), quantile(values, 2.0 / 3.0)
    return {customer_id: (TIERS[0] if avg <= t1 else TIERS[1] if avg <= t2 else TIERS[2])
            for customer_id, avg in averages.items()}


def view_customers(cases, tables):
    customers = {row[0]: row for row in tables["customers"].kept}
    groups = customer_groups(cases)
    order = sorted(groups.items(), key=lambda kv: (-kv[1].avg_ofi(), kv[0]))

    tiers = assign_tiers({customer_id: g.avg_ofi() for customer_id, g in order})

    high = [["customer_id", "country", "region", "segment", "case_count", "avg_ofi",
             "total_ofi", "max_ofi", "total_refund_eur", "escalated_cases", "reopened_cases",
             "tier"]]
    tier_rows = [["customer_id", "case_count", "avg_ofi", "tier"]]
    for customer_id, g in order:
        row = customers.get(customer_id)
        country, region, segment = (row[1], row[2], row[3]) if row else (None, None, None)
        high.append([str(customer_id), fmt_text(country), fmt_text(region), fmt_text(segment),
                     str(g.count), fmt_float(g.avg_ofi()), fmt_float(g.total_ofi()),
                     fmt_float(g.max_ofi()), fmt_money(g.refund_cents()),
                     str(g.flagged("escalated_flag")), str(g.flagged("reopened_flag")),
                     tiers[customer_id]])
        tier_rows.append([str(customer_id), str(g.count), fmt_float(g.avg_ofi()),
                          tiers[customer_id]])
    return high, tier_rows


def trend_measures(g):
    return [str(g.count), fmt_float(g.avg_ofi()), fmt_float(g.total_ofi()),
            fmt_float(g.rate("escalated_flag")), fmt_float(g.avg_resolution()),
            fmt_money(g.refund_cents())]


def view_weekly(cases):
    def week_start(c):
        if c.case_date is None:
            return SKIP
        return c.case_date - datetime.timedelta(days=c.case_date.isoweekday() - 1)

    rows = [["week_start", "iso_year", "iso_week", "case_count", "avg_ofi", "total_ofi",
             "escalation_rate", "avg_resolution_minutes", "total_refund_eur"]]
    for monday, g in sorted(group_by(cases, week_start).items()):
        iso_year, iso_week, _ = monday.isocalendar()
        rows.append([monday.isoformat(), str(iso_year), str(iso_week)] + trend_measures(g))
    return rows


def dated_months(cases):
    return sorted(group_by(cases, lambda c: SKIP if c.case_date is None
                           else month_of(c.case_date)).items())


def view_monthly(cases):
    rows = [["month", "case_count", "avg_ofi", "total_ofi", "escalation_rate",
             "avg_resolution_minutes", "total_refund_eur"]]
    for month, g in dated_months(cases):
        rows.append([month] + trend_measures(g))
    return rows


def group_text(value):
    """A group key as written; NULL (or a missing parent) is '(unknown)'."""
    return UNKNOWN if value is None else value


def view_severity_trend(cases):
    def key(c):
        if c.case_date is None:
            return SKIP
        return (month_of(c.case_date), group_text(c.severity), group_text(c.priority))

    rows = [["month", "severity", "priority", "case_count", "avg_ofi", "total_refund_eur",
             "escalation_rate"]]
    for (month, severity, priority), g in sorted(group_by(cases, key).items()):
        rows.append([month, severity, priority, str(g.count), fmt_float(g.avg_ofi()),
                     fmt_money(g.refund_cents()), fmt_float(g.rate("escalated_flag"))])
    return rows


def parent_text(tables, table, column):
    """A function case -> the parent's text attribute for a group key ('(unknown)')."""
    t = tables[table]
    rows = {row[0]: row for row in t.kept}
    fk = t.columns[0]  # the case's foreign key has the parent's primary-key name
    index = t.col(column)

    def lookup(case):
        key = getattr(case, fk)
        row = rows.get(key) if key is not None else None
        return group_text(row[index] if row is not None else None)
    return lookup


def view_product_groups(cases, tables):
    product_group = parent_text(tables, "products", "product_group")
    groups = group_by(cases, product_group)
    grand_total = math.fsum(c.ofi for c in cases)
    order = sorted(groups.items(), key=lambda kv: (-kv[1].total_ofi(), kv[0]))
    rows = [["product_group", "case_count", "total_refund_eur", "avg_ofi", "total_ofi",
             "share_of_total_ofi", "escalation_rate", "avg_resolution_minutes"]]
    for name, g in order:
        total = g.total_ofi()
        share = total / grand_total if grand_total != 0 else 0.0
        rows.append([name, str(g.count), fmt_money(g.refund_cents()), fmt_float(g.avg_ofi()),
                     fmt_float(total), fmt_float(share), fmt_float(g.rate("escalated_flag")),
                     fmt_float(g.avg_resolution())])
    return rows


def view_root_causes(cases, tables):
    texts = [parent_text(tables, "issue_catalog", col)
             for col in ("issue_category", "root_cause", "severity")]
    groups = group_by(cases, lambda c: c.issue_id)  # None: the NULL issue_id row

    def order_key(kv):
        issue_id, g = kv
        return (-g.total_ofi(), issue_id is None, issue_id if issue_id is not None else 0)

    rows = [["issue_id", "issue_category", "root_cause", "severity", "case_count", "avg_ofi",
             "total_ofi", "total_refund_eur"]]
    for issue_id, g in sorted(groups.items(), key=order_key):
        first = g.cases[0]
        rows.append([fmt_int(issue_id)] + [text(first) for text in texts]
                    + [str(g.count), fmt_float(g.avg_ofi()), fmt_float(g.total_ofi()),
                       fmt_money(g.refund_cents())])
    return rows


def view_teams(cases, tables):
    team = parent_text(tables, "agents", "team")
    groups = group_by(cases, team)
    order = sorted(groups.items(), key=lambda kv: (-kv[1].avg_ofi(), kv[0]))
    rows = [["team", "agent_count", "case_count", "avg_ofi", "escalation_rate",
             "reopen_rate", "avg_resolution_minutes"]]
    for name, g in order:
        agents = {c.agent_id for c in g.cases if c.agent_id is not None}
        rows.append([name, str(len(agents)), str(g.count), fmt_float(g.avg_ofi()),
                     fmt_float(g.rate("escalated_flag")), fmt_float(g.rate("reopened_flag")),
                     fmt_float(g.avg_resolution())])
    return rows


def view_monthly_refunds(cases):
    rows = [["month", "refunded_cases", "refund_count", "total_refund_eur"]]
    for month, g in dated_months(cases):
        refunded = sum(1 for c in g.cases if c.refund_count > 0)
        rows.append([month, str(refunded), str(g.refund_count()), fmt_money(g.refund_cents())])
    return rows


def view_kpis(cases):
    everything = Group()
    for c in cases:
        everything.add(c)
    customers = {c.customer_id for c in cases if c.customer_id is not None}
    values = [("cases", str(len(cases))),
              ("customers_with_cases", str(len(customers))),
              ("total_refund_eur", fmt_money(everything.refund_cents()))]
    names = ["escalation_rate", "reopen_rate", "delay_rate", "avg_resolution_minutes",
             "avg_ofi", "p50_ofi", "p90_ofi", "p99_ofi", "max_ofi"]
    if cases:
        ofis = sorted(c.ofi for c in cases)
        numbers = [everything.rate("escalated_flag"), everything.rate("reopened_flag"),
                   everything.rate("is_delayed"), everything.avg_resolution(),
                   everything.avg_ofi(), quantile(ofis, 0.5), quantile(ofis, 0.9),
                   quantile(ofis, 0.99), max(ofis)]
        values += [(n, fmt_float(v)) for n, v in zip(names, numbers)]
    else:
        values += [(n, "") for n in names]
    return [["metric", "value"]] + [list(v) for v in values]


# ---------------------------------------------------------------------------------------
# Data-quality and integrity views
# ---------------------------------------------------------------------------------------


def view_row_counts(tables):
    return [["table", "rows", "cols"]] + [[t, str(tables[t].rows), str(len(COLUMNS[t]))]
                                          for t in TABLE_NAMES]


def view_missing(tables):
    rows = [["table", "column", "missing_count"]]
    for t in TABLE_NAMES:
        for i, column in enumerate(COLUMNS[t]):
            missing = sum(1 for _, values, _ in tables[t].readable if values[i] is None)
            if missing > 0:
                rows.append([t, column, str(missing)])
    return rows


def view_duplicates(tables):
    rows = [["table", "check", "count"]]
    for t in TABLE_NAMES:
        rows.append([t, "full_row_duplicates", str(tables[t].full_row_duplicates)])
        rows.append([t, "duplicate_in_" + COLUMNS[t][0], str(tables[t].pk_duplicates)])
    return rows


def view_domain(cases):
    def count(pred):
        return str(sum(1 for c in cases if pred(c)))

    rows = [["table", "column", "rule", "count"],
            ["cases", "priority", "unknown_priority",
             count(lambda c: priority_class(c.priority) is None)]]
    for flag in FLAGS:
        rows.append(["cases", flag, "not_0_or_1",
                     count(lambda c, f=flag: getattr(c, f) not in (None, 0, 1))])
    for column in ("delay_minutes", "resolution_minutes"):
        rows.append(["cases", column, "negative",
                     count(lambda c, col=column: getattr(c, col) is not None
                           and getattr(c, col) < 0)])
    return rows


def view_rejected(tables):
    rows = [["table", "row_number", "reason", "raw"]]
    for t in TABLE_NAMES:
        for row_number, reason, raw in tables[t].rejected:
            rows.append([t, str(row_number), reason, raw])
    return rows


def view_fk_orphans(tables):
    rows = [["child_table", "child_fk", "parent_table", "parent_pk", "orphan_count"]]
    for child, fk, parent, pk in FOREIGN_KEYS:
        parent_keys = {row[0] for row in tables[parent].kept}
        index = tables[child].col(fk)
        orphans = sum(1 for row in tables[child].kept
                      if row[index] is not None and row[index] not in parent_keys)
        rows.append([child, fk, parent, pk, str(orphans)])
    return rows


# ---------------------------------------------------------------------------------------
# Weight variants (SPEC section 5; definitions V1-V9 in the docstring)
# ---------------------------------------------------------------------------------------


def rank_cases(cases):
    """Cases by score descending, then case_id ascending (V1)."""
    return sorted(cases, key=lambda c: (-c.ofi, c.case_id))


class Variant:
    """One variant's scores of every kept case, its top N and its customer tiers.

    cases:    the scored cases in source order (the same cases, in the same order, for
              every variant)
    score:    case_id -> ofi
    ranked:   every case, rank_cases order
    top:      the first min(N, n) cases of rank_cases
    averages: customer_id -> avg_ofi (customer_groups: NULL skipped, orphans kept)
    tiers:    customer_id -> tier (assign_tiers over this variant's averages)
    """

    def __init__(self, name, cases, top_n):
        self.name = name
        self.cases = cases
        self.score = {c.case_id: c.ofi for c in cases}
        self.ranked = rank_cases(cases)
        self.top = self.ranked[:top_n]
        self.averages = {customer_id: g.avg_ofi()
                         for customer_id, g in customer_groups(cases).items()}
        self.tiers = assign_tiers(self.averages)


def doubled_ranks(values):
    """2 x the ascending rank of each value (ranks 1..n; tied values share the mean of
    their positions, so a tie group at positions p..q gets 2 x (p + q) / 2 = p + q)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0] * len(values)
    start = 0
    while start < len(order):
        end = start  # the tie group is order[start..end]
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + 1) + (end + 1)
        start = end + 1
    return ranks


def spearman(xs, ys):
    """Spearman's rho of paired series, or None when undefined (V4): exact integer sums
    over doubled average ranks, then one float division."""
    n = len(xs)
    X, Y = doubled_ranks(xs), doubled_ranks(ys)
    sum_x, sum_y = sum(X), sum(Y)
    num = n * sum(x * y for x, y in zip(X, Y)) - sum_x * sum_y
    dx = n * sum(x * x for x in X) - sum_x * sum_x
    dy = n * sum(y * y for y in Y) - sum_y * sum_y
    if n < 2 or dx == 0 or dy == 0:
        return None
    return float(num) / math.sqrt(float(dx) * float(dy))


def sign(v):
    return (v > 0) - (v < 0)


def tied_pairs(values):
    """Sum over groups of equal values of t(t-1)/2."""
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sum(t * (t - 1) // 2 for t in counts.values())


def kendall_tau_b(xs, ys):
    """Kendall's tau-b of paired series, or None when undefined (V6)."""
    m = len(xs)
    concordant = discordant = 0
    for i in range(m):
        for j in range(i + 1, m):
            s = sign(xs[i] - xs[j]) * sign(ys[i] - ys[j])
            if s > 0:
                concordant += 1
            elif s < 0:
                discordant += 1
    n0 = m * (m - 1) // 2
    n1, n2 = tied_pairs(xs), tied_pairs(ys)
    if m < 2 or n0 - n1 == 0 or n0 - n2 == 0:
        return None
    return float(concordant - discordant) / math.sqrt(float(n0 - n1) * float(n0 - n2))


def fmt_stat(value):
    """A correlation: '%.6f', or empty when undefined (None)."""
    return "" if value is None else fmt_float(value)


def view_variant_summary(variants):
    base = variants[0]
    base_top = {c.case_id for c in base.top}
    customers = sorted(base.averages)  # the same customers under every variant
    rows = [["variant", "avg_ofi", "p50_ofi", "p90_ofi", "p99_ofi", "max_ofi",
             "topN_overlap", "spearman_cases", "spearman_customers", "kendall_tau_top",
             "tier_changes"]]
    for v in variants:
        scores = sorted(c.ofi for c in v.cases)
        if scores:
            distribution = [fmt_float(x) for x in (
                math.fsum(scores) / len(scores), quantile(scores, 0.5),
                quantile(scores, 0.9), quantile(scores, 0.99), max(scores))]
        else:
            distribution = [""] * 5
        v_top = {c.case_id for c in v.top}
        union = sorted(base_top | v_top)
        rho_cases = spearman([c.ofi for c in base.cases], [c.ofi for c in v.cases])
        rho_customers = spearman([base.averages[k] for k in customers],
                                 [v.averages[k] for k in customers])
        tau = kendall_tau_b([base.score[k] for k in union], [v.score[k] for k in union])
        changes = sum(1 for k in customers if v.tiers[k] != base.tiers[k])
        rows.append([v.name] + distribution
                    + [str(len(base_top & v_top)), fmt_stat(rho_cases),
                       fmt_stat(rho_customers), fmt_stat(tau), str(changes)])
    return rows


def view_variant_top(variants):
    rows = [["variant", "rank", "case_id", "ofi"]]
    for v in variants:
        for rank, c in enumerate(v.top, start=1):
            rows.append([v.name, str(rank), str(c.case_id), fmt_float(c.ofi)])
    return rows


def view_tier_migration(variants):
    base = variants[0]
    rows = [["variant", "from_tier", "to_tier", "customers"]]
    for v in variants:
        for from_tier in TIERS:
            for to_tier in TIERS:
                count = sum(1 for k, tier in base.tiers.items()
                            if tier == from_tier and v.tiers[k] == to_tier)
                rows.append([v.name, from_tier, to_tier, str(count)])
    return rows


def view_rank_shifts(variants):
    """V10: per variant, the mean over cases of |baseline position - variant position|
    (positions in rank_cases order), the same over customers (ordered by avg_ofi desc,
    customer_id asc), and the share of customers whose tier differs from the baseline's;
    empty when there are no cases (no customers)."""
    base = variants[0]

    def positions(keys):
        return {k: i for i, k in enumerate(keys)}

    def customer_order(v):
        return sorted(v.averages, key=lambda k: (-v.averages[k], k))

    bpos = positions([c.case_id for c in base.ranked])
    bcpos = positions(customer_order(base))
    rows = [["variant", "mean_abs_rank_shift_cases", "mean_abs_rank_shift_customers",
             "tier_change_share"]]
    for v in variants:
        n, ng = len(v.ranked), len(v.averages)
        shift = sum(abs(bpos[c.case_id] - i) for i, c in enumerate(v.ranked))
        cshift = sum(abs(bcpos[k] - i) for i, k in enumerate(customer_order(v)))
        changes = sum(1 for k in base.tiers if base.tiers[k] != v.tiers[k])
        rows.append([v.name, fmt_float(shift / n) if n else "",
                     fmt_float(cshift / ng) if ng else "", fmt_float(changes / ng) if ng else ""])
    return rows


def view_top_changes(variants):
    """V11: per variant, the cases entering its top N (not in the baseline's), in the
    variant's order, then those leaving (the baseline's top N cases not in the variant's),
    in the baseline's order, each with its 1-based rank in both rankings."""
    base = variants[0]
    bpos = {c.case_id: i + 1 for i, c in enumerate(base.ranked)}
    btop = {c.case_id for c in base.top}
    rows = [["variant", "change", "case_id", "baseline_rank", "variant_rank"]]
    for v in variants:
        vpos = {c.case_id: i + 1 for i, c in enumerate(v.ranked)}
        vtop = {c.case_id for c in v.top}
        for c in v.top:
            if c.case_id not in btop:
                rows.append([v.name, "entering", str(c.case_id), str(bpos[c.case_id]),
                             str(vpos[c.case_id])])
        for c in base.top:
            if c.case_id not in vtop:
                rows.append([v.name, "leaving", str(c.case_id), str(bpos[c.case_id]),
                             str(vpos[c.case_id])])
    return rows


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def write_csv(path, rows):
    """Write rows ("\\n" line ends, UTF-8, no BOM) to a temporary name, then rename."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        for row in rows:
            f.write(csv_record(row) + "\n")
    os.replace(tmp, path)


def run_variants(args):
    """--variants: score every variant, write only variants/*.csv."""
    if args.variant is not None:
        raise ConfigError("--variant cannot be used with --variants")
    weights = read_variants(args.weights) if args.weights else [("default", DEFAULT_WEIGHTS)]
    tables = {name: load_table(args.csv, name) for name in TABLE_NAMES}
    variants = [Variant(name, build_cases(tables, w), args.top) for name, w in weights]
    outputs = {
        "variants/variant_summary.csv": view_variant_summary(variants),
        "variants/variant_top_cases.csv": view_variant_top(variants),
        "variants/variant_tier_migration.csv": view_tier_migration(variants),
        "variants/variant_rank_shifts.csv": view_rank_shifts(variants),
        "variants/variant_top_changes.csv": view_top_changes(variants),
    }
    for name, rows in outputs.items():
        write_csv(os.path.join(args.out, name), rows)


MASK64 = (1 << 64) - 1


def sens_factor(seed, sample, w, spread):
    """The factor of weight w (WEIGHT_KEYS index) in sample (1-based): splitmix64 of the seed
    and the counter, as the engine defines it (include/ofi/sensitivity.h)."""
    z = (seed + (sample * len(WEIGHT_KEYS) + w + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z ^= z >> 31
    u = float(z >> 11) * 2.0 ** -53
    return (1.0 - spread) + (2.0 * spread) * u


def rank_stats(ranks, top_n):
    values = sorted(float(r) for r in ranks)
    share = sum(1 for r in ranks if r <= top_n) / len(ranks)
    return [fmt_float(quantile(values, 0.5)), fmt_float(quantile(values, 0.05)),
            fmt_float(quantile(values, 0.95)), fmt_float(share)]


def run_sensitivity(args):
    """--sensitivity S F SEED: brute force - every sample's weights scored over every case,
    every case and customer ranked by sorting, tiers from the sample's quantiles."""
    samples, spread, seed = int(args.sensitivity[0]), float(args.sensitivity[1]), \
        int(args.sensitivity[2])
    base = load_weights(args.weights, args.variant) if args.weights else DEFAULT_WEIGHTS
    tables = {name: load_table(args.csv, name) for name in TABLE_NAMES}
    q = [a if b == 1.0 else a / b for a, b in (base[k] for k in WEIGHT_KEYS)]

    def customer_avgs(cases):
        return {k: g.avg_ofi() for k, g in customer_groups(cases).items()}

    def customer_order(avgs):
        return sorted(avgs, key=lambda k: (-avgs[k], k))

    base_cases = build_cases(tables, base)
    base_ranked = rank_cases(base_cases)
    top_cases = base_ranked[:args.top]
    base_avgs = customer_avgs(base_cases)
    base_customers = customer_order(base_avgs)
    top_customers = base_customers[:args.top]
    base_tiers = assign_tiers(base_avgs)

    sample_rows = [["sample"] + WEIGHT_KEYS + SWITCH_KEYS]
    case_ranks = {c.case_id: [] for c in top_cases}
    cust_ranks = {k: [] for k in top_customers}
    tier_counts = {k: [0, 0, 0] for k in base_avgs}
    for s in range(1, samples + 1):
        ws = dict(base)
        row = [str(s)]
        for w, key in enumerate(WEIGHT_KEYS):
            value = q[w] * sens_factor(seed, s, w, spread)
            ws[key] = (value, 1.0)
            row.append("%.17g" % (value if value != 0 else 0.0))
        row += ["on" if base[key] else "off" for key in SWITCH_KEYS]
        sample_rows.append(row)
        cases = build_cases(tables, ws)
        position = {c.case_id: i + 1 for i, c in enumerate(rank_cases(cases))}
        for c in top_cases:
            case_ranks[c.case_id].append(position[c.case_id])
        avgs = customer_avgs(cases)
        cpos = {k: i + 1 for i, k in enumerate(customer_order(avgs))}
        for k in top_customers:
            cust_ranks[k].append(cpos[k])
        for k, tier in assign_tiers(avgs).items():
            tier_counts[k][TIERS.index(tier)] += 1

    cases_rows = [["baseline_rank", "case_id", "baseline_ofi", "median_rank", "p05_rank",
                   "p95_rank", "top_n_share"]]
    for i, c in enumerate(top_cases):
        cases_rows.append([str(i + 1), str(c.case_id), fmt_float(c.ofi)] +
                          rank_stats(case_ranks[c.case_id], args.top))
    cust_rows = [["baseline_rank", "customer_id", "baseline_avg_ofi", "median_rank", "p05_rank",
                  "p95_rank", "top_n_share"]]
    for i, k in enumerate(top_customers):
        cust_rows.append([str(i + 1), str(k), fmt_float(base_avgs[k])] +
                         rank_stats(cust_ranks[k], args.top))
    tier_rows = [["customer_id", "baseline_tier", "low_share", "medium_share", "high_share"]]
    for k in base_customers:
        tier_rows.append([str(k), base_tiers[k]] + [fmt_float(n / samples) for n in tier_counts[k]])
    outputs = {
        "variants/sensitivity_samples.csv": sample_rows,
        "variants/sensitivity_cases.csv": cases_rows,
        "variants/sensitivity_customers.csv": cust_rows,
        "variants/sensitivity_tiers.csv": tier_rows,
    }
    for name, rows in outputs.items():
        write_csv(os.path.join(args.out, name), rows)


def run(args):
    if args.sensitivity:
        return run_sensitivity(args)
    if args.variants:
        return run_variants(args)
    weights = load_weights(args.weights, args.variant) if args.weights else DEFAULT_WEIGHTS
    if args.weights is None and args.variant is not None and args.variant != "default":
        raise ConfigError('no variant named "%s" (without --weights the only variant is '
                          '"default")' % args.variant)
    tables = {name: load_table(args.csv, name) for name in TABLE_NAMES}
    cases = build_cases(tables, weights)
    ranked = rank_cases(cases)
    scores, top = view_case_scores(ranked, args.top)
    high, tiers = view_customers(cases, tables)

    outputs = {
        "ofi/ofi_case_scores.csv": scores,
        "ofi/top_50_cases.csv": top,
        "ofi/high_friction_customers.csv": high,
        "ofi/customer_tiers.csv": tiers,
        "ofi/weekly_friction_trend.csv": view_weekly(cases),
        "ofi/monthly_friction_trend.csv": view_monthly(cases),
        "ofi/severity_trend.csv": view_severity_trend(cases),
        "ofi/product_group_cost_drivers.csv": view_product_groups(cases, tables),
        "ofi/root_cause_friction.csv": view_root_causes(cases, tables),
        "ofi/team_friction.csv": view_teams(cases, tables),
        "ofi/monthly_refund_trend.csv": view_monthly_refunds(cases),
        "ofi/kpi_summary.csv": view_kpis(cases),
        "dq/row_counts.csv": view_row_counts(tables),
        "dq/missing_values.csv": view_missing(tables),
        "dq/duplicates.csv": view_duplicates(tables),
        "dq/domain_violations.csv": view_domain(cases),
        "dq/rejected_rows.csv": view_rejected(tables),
        "fk/fk_orphans_summary.csv": view_fk_orphans(tables),
    }
    for name, rows in outputs.items():
        write_csv(os.path.join(args.out, name), rows)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("ofi_ref: error: %s\n" % message)
        sys.exit(1)  # usage errors exit 1 (SPEC section 6), not argparse's 2


def main(argv=None):
    parser = ArgumentParser(description="Reference implementation of the OFI engine "
                                        "(SPEC sections 1-5 and 7, CSV source).")
    parser.add_argument("--csv", required=True, metavar="DIR", help="directory of <table>.csv")
    parser.add_argument("--out", required=True, metavar="OUTDIR", help="output directory")
    parser.add_argument("--weights", metavar="FILE", help="INI weights file")
    parser.add_argument("--variant", metavar="NAME", help="variant of the weights file")
    parser.add_argument("--top", type=int, default=50, metavar="N",
                        help="rows of top_50_cases.csv; N of the variants' top N "
                             "(default 50)")
    parser.add_argument("--variants", action="store_true",
                        help="score every variant; write only variants/*.csv")
    parser.add_argument("--sensitivity", nargs=3, metavar=("S", "F", "SEED"),
                        help="Monte Carlo: S samples, spread F, seed; write only "
                             "variants/sensitivity_*.csv (brute force)")
    args = parser.parse_args(argv)
    if args.top < 0:
        parser.error("--top must be >= 0")
    csv.field_size_limit(sys.maxsize)
    try:
        run(args)
    except ConfigError as e:
        sys.stderr.write("ofi_ref: error: %s\n" % e)
        return 1
    except SourceError as e:
        sys.stderr.write("ofi_ref: error: %s\n" % e)
        return 2
    except OSError as e:
        sys.stderr.write("ofi_ref: error: cannot write outputs: %s\n" % e)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
