#!/usr/bin/env python3
"""pandas_peer.py - the pandas peer of bench/peers.sh (issue #5): the reference approach,
pandas.read_sql from MySQL/MariaDB, then the OFI outputs computed with pandas.

    python3 bench/peers/pandas_peer.py --env FILE --out DIR

FILE holds MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE as
scripts/mariadb.sh writes them (the password goes to the driver, never to argv). Needs
Debian's python3-pandas, python3-sqlalchemy and python3-pymysql (run it with the Debian
interpreter, /usr/bin/python3). Writes the same five files as bench/peers/duckdb.mjs
(case_scores, top_50_cases, customer_tiers, weekly and monthly trends), which
bench/peers/check.py compares with ofi's.

Each table is read with pandas.read_sql (SQLAlchemy + PyMySQL), only the columns the
score needs, in chunks of 1M rows from a streaming (server-side) cursor so that 70M
timeline rows fit in memory, then concatenated. The score is SPEC section 3 with the
default weights, each component (x * points) / per in float64 and summed left to right;
refunds are summed in integer cents; tiers use numpy.quantile (linear).
"""
import argparse
import os

import numpy as np
import pandas as pd
import sqlalchemy

CHUNK = 1_000_000
TIERS = np.array(["Low Friction", "Medium Friction", "High Friction"])


def settings(path):
    out = {}
    with open(path) as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep:
                out[key.strip()] = value
    return out


def engine_for(env):
    url = sqlalchemy.engine.URL.create(
        "mysql+pymysql", username=env["MYSQL_USER"], password=env.get("MYSQL_PASSWORD", ""),
        host=env.get("MYSQL_HOST", "127.0.0.1"), port=int(env.get("MYSQL_PORT", 3306)),
        database=env["MYSQL_DATABASE"])
    return sqlalchemy.create_engine(url)


def read(con, sql, **kw):
    return pd.concat(pd.read_sql(sql, con, chunksize=CHUNK, **kw), ignore_index=True)


def component(x, points, per):
    return (x.astype("float64") * points) / per


def flag(col):
    return (col.fillna(0) != 0).astype("int64")


def minutes(col):
    return col.fillna(0).clip(lower=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    engine = engine_for(settings(args.env))
    with engine.connect().execution_options(stream_results=True) as con:
        cases = read(con, "SELECT case_id, date_id, customer_id, issue_id, priority, escalated_flag, "
                          "reopened_flag, has_refund, delay_minutes, resolution_minutes FROM cases")
        timeline = read(con, "SELECT case_id, event_timestamp FROM case_timeline",
                        parse_dates=["event_timestamp"])
        refunds = read(con, "SELECT case_id, refund_amount_eur FROM refunds")
        calendar = read(con, "SELECT date_id, calendar_date FROM calendar", parse_dates=["calendar_date"])
        issues = read(con, "SELECT issue_id, friction_weight FROM issue_catalog")

    # Per-case features.
    events = timeline.groupby("case_id")["event_timestamp"].agg(["size", "min"])
    refunds["cents"] = (refunds["refund_amount_eur"].astype("float64") * 100).round().astype("int64")
    cents = refunds.groupby("case_id")["cents"].sum()
    touches = cases["case_id"].map(events["size"]).fillna(0)
    refund_eur = cases["case_id"].map(cents).fillna(0) / 100
    friction = cases["issue_id"].map(issues.set_index("issue_id")["friction_weight"]).fillna(0)
    case_date = cases["date_id"].map(calendar.set_index("date_id")["calendar_date"])
    case_date = case_date.fillna(cases["case_id"].map(events["min"]).dt.normalize())
    points = (cases["priority"].str.strip().str.lower()
              .map({"low": 1.0, "medium": 2.0, "med": 2.0, "high": 3.0}).fillna(1.0))

    # The score: nine components, summed left to right.
    ofi = (component(points, 1.0, 1.0)
           + component(flag(cases["escalated_flag"]), 2.0, 1.0)
           + component(flag(cases["reopened_flag"]), 1.5, 1.0)
           + component(flag(cases["has_refund"]), 0.0, 1.0)
           + component(minutes(cases["delay_minutes"]), 1.0, 60.0)
           + component(minutes(cases["resolution_minutes"]), 1.0, 120.0)
           + component(refund_eur, 1.0, 20.0)
           + component(touches, 0.5, 1.0)
           + component(friction, 0.0, 1.0))
    scores = pd.DataFrame({"case_id": cases["case_id"], "customer_id": cases["customer_id"],
                           "case_date": case_date, "ofi": ofi})

    ranked = scores.sort_values(["ofi", "case_id"], ascending=[False, True])
    ranked[["case_id", "ofi"]].to_csv(os.path.join(args.out, "case_scores.csv"), index=False)
    top = ranked[["case_id", "ofi"]].head(50)
    top.insert(0, "rank", range(1, len(top) + 1))
    top.to_csv(os.path.join(args.out, "top_50_cases.csv"), index=False)

    customers = (scores.dropna(subset=["customer_id"])
                 .groupby("customer_id")["ofi"].agg(case_count="size", avg_ofi="mean").reset_index())
    customers["customer_id"] = customers["customer_id"].astype("int64")
    t1, t2 = np.quantile(customers["avg_ofi"].to_numpy(), [1.0 / 3.0, 2.0 / 3.0])
    avg = customers["avg_ofi"]
    customers["tier"] = TIERS[np.where(avg <= t1, 0, np.where(avg <= t2, 1, 2))]
    (customers.sort_values(["avg_ofi", "customer_id"], ascending=[False, True])
     .to_csv(os.path.join(args.out, "customer_tiers.csv"), index=False))

    dated = scores.dropna(subset=["case_date"])
    week_start = dated["case_date"] - pd.to_timedelta(dated["case_date"].dt.dayofweek, unit="D")
    weekly = dated.groupby(week_start)["ofi"].agg(case_count="size", avg_ofi="mean", total_ofi="sum")
    weekly.index.name = "week_start"
    weekly = weekly.reset_index()
    iso = weekly["week_start"].dt.isocalendar()
    weekly.insert(1, "iso_year", iso["year"].astype("int64"))
    weekly.insert(2, "iso_week", iso["week"].astype("int64"))
    weekly["week_start"] = weekly["week_start"].dt.strftime("%Y-%m-%d")
    weekly.to_csv(os.path.join(args.out, "weekly_friction_trend.csv"), index=False)

    month = dated["case_date"].dt.strftime("%Y-%m").rename("month")
    monthly = dated.groupby(month)["ofi"].agg(case_count="size", avg_ofi="mean", total_ofi="sum")
    monthly.reset_index().to_csv(os.path.join(args.out, "monthly_friction_trend.csv"), index=False)


if __name__ == "__main__":
    main()
