// duckdb.mjs - the DuckDB peer of bench/peers.sh (issue #5): the OFI outputs computed by
// DuckDB's SQL, through its official Node.js client (@duckdb/node-api, pinned in
// package.json / package-lock.json), from the same CSV files ofi reads.
//
//   node bench/peers/duckdb.mjs --data DIR --out DIR [--threads N]
//
// Needs `npm ci` in bench/peers first (bench/peers.sh does it). Writes to --out:
//   case_scores.csv              case_id, ofi            every case, ofi desc, case_id asc
//   top_50_cases.csv             rank, case_id, ofi      the first 50 of those
//   customer_tiers.csv           customer_id, case_count, avg_ofi, tier
//   weekly_friction_trend.csv    week_start, iso_year, iso_week, case_count, avg_ofi, total_ofi
//   monthly_friction_trend.csv   month, case_count, avg_ofi, total_ofi
// which bench/peers/check.py compares with ofi's outputs/ofi/ files.
//
// The score is SPEC section 3 with the default weights, every component (x * points) / per
// in DOUBLE (DuckDB reads 1.0 as a DECIMAL, so every constant is cast) and summed left to
// right; multipliers are off (the default). NULL numbers count as 0, negative minutes as
// 0, touches are timeline rows per case, refunds are summed as DECIMAL (exact cents), the
// priority class comes from the trimmed, lowercased text ('med' = medium, anything else
// low), case_date is the calendar's date or else the first event's. Tier boundaries are
// numpy's quantiles, written out (see viewsSql). The data is assumed clean (ofi gen
// without --dirty): no duplicate ids or malformed rows, which ofi rejects and DuckDB would not.
import { mkdirSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

function parseArgs(argv) {
  const a = { threads: null };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--data' && v) { a.data = v; i++; }
    else if (k === '--out' && v) { a.out = v; i++; }
    else if (k === '--threads' && v) { a.threads = v; i++; }
    else { throw new Error(`usage: node duckdb.mjs --data DIR --out DIR [--threads N] (bad argument ${k})`); }
  }
  if (!a.data || !a.out) throw new Error('usage: node duckdb.mjs --data DIR --out DIR [--threads N]');
  return a;
}

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;

// read_csv with the SPEC section-1 columns and types, nothing sniffed.
function csv(dir, table, columns) {
  const cols = Object.entries(columns).map(([k, t]) => `'${k}': '${t}'`).join(', ');
  return `read_csv(${sqlString(`${dir}/${table}.csv`)}, header = true, auto_detect = false, ` +
    `delim = ',', quote = '"', escape = '"', columns = {${cols}})`;
}

const ID = 'BIGINT';
const TABLES = {
  calendar: { date_id: ID, calendar_date: 'DATE', year: 'VARCHAR', month: 'VARCHAR', month_name: 'VARCHAR',
    quarter: 'VARCHAR', day_name: 'VARCHAR', week_of_year: 'VARCHAR' },
  issue_catalog: { issue_id: ID, issue_category: 'VARCHAR', root_cause: 'VARCHAR', severity: 'VARCHAR',
    friction_weight: 'DOUBLE', severity_multiplier: 'DOUBLE' },
  cases: { case_id: ID, date_id: ID, customer_id: ID, agent_id: ID, product_id: ID, issue_id: ID,
    channel: 'VARCHAR', status: 'VARCHAR', priority: 'VARCHAR', escalated_flag: ID, reopened_flag: ID,
    is_delayed: ID, delay_minutes: ID, is_cancelled: ID, resolution_minutes: ID, has_refund: ID },
  // As `ofi gen` writes it (the real sample's layout): columns are read by position here.
  case_timeline: { event_id: ID, case_id: ID, event_timestamp: 'TIMESTAMP', event_type: 'VARCHAR',
    actor_type: 'VARCHAR', channel: 'VARCHAR' },
  refunds: { refund_id: ID, case_id: ID, refund_type: 'VARCHAR', refund_amount_eur: 'DECIMAL(12,2)' },
};

// (x * points) / per in DOUBLE: one SPEC section-3 component.
const comp = (x, points, per) => `((CAST(${x} AS DOUBLE) * CAST(${points} AS DOUBLE)) / CAST(${per} AS DOUBLE))`;
const flag = (col) => `(CASE WHEN coalesce(c.${col}, 0) <> 0 THEN 1 ELSE 0 END)`;
const minutes = (col) => `greatest(coalesce(c.${col}, 0), 0)`;

function scoreSql(dir) {
  const t = (name) => csv(dir, name, TABLES[name]);
  const priority = `(CASE lower(trim(c.priority)) WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'med' THEN 2 ELSE 1 END)`;
  const parts = [
    comp(priority, 1, 1),                                   // priority: its points, per case
    comp(flag('escalated_flag'), 2, 1),
    comp(flag('reopened_flag'), 1.5, 1),
    comp(flag('has_refund'), 0, 1),
    comp(minutes('delay_minutes'), 1, 60),
    comp(minutes('resolution_minutes'), 1, 120),
    comp('coalesce(rf.refund_eur, 0)', 1, 20),              // exact DECIMAL sum, then DOUBLE
    comp('coalesce(tl.touches, 0)', 0.5, 1),
    comp('coalesce(i.friction_weight, 0)', 0, 1),
  ];
  // ((((((((p + e) + r) + rf) + d) + res) + ref) + t) + i): left to right, as written.
  const ofi = parts.slice(1).reduce((acc, p) => `(${acc} + ${p})`, parts[0]);
  return `CREATE TABLE scores AS
    WITH tl AS (SELECT case_id, count(*) AS touches, min(event_timestamp) AS first_event
                FROM ${t('case_timeline')} GROUP BY case_id),
         rf AS (SELECT case_id, sum(refund_amount_eur) AS refund_eur
                FROM ${t('refunds')} GROUP BY case_id),
         cal AS (SELECT date_id, calendar_date FROM ${t('calendar')}),
         i AS (SELECT issue_id, friction_weight FROM ${t('issue_catalog')})
    SELECT c.case_id, c.customer_id,
           coalesce(cal.calendar_date, CAST(tl.first_event AS DATE)) AS case_date,
           ${ofi} AS ofi
    FROM ${t('cases')} c
    LEFT JOIN tl ON tl.case_id = c.case_id
    LEFT JOIN rf ON rf.case_id = c.case_id
    LEFT JOIN cal ON cal.date_id = c.date_id
    LEFT JOIN i ON i.issue_id = c.issue_id`;
}

function viewsSql(out) {
  const to = (name) => `TO ${sqlString(`${out}/${name}.csv`)} (HEADER, DELIMITER ',')`;
  const trend = `count(*) AS case_count, avg(ofi) AS avg_ofi, sum(ofi) AS total_ofi`;
  return [
    `COPY (SELECT case_id, ofi FROM scores ORDER BY ofi DESC, case_id) ${to('case_scores')}`,
    `COPY (SELECT row_number() OVER (ORDER BY ofi DESC, case_id) AS rank, case_id, ofi
           FROM scores ORDER BY ofi DESC, case_id LIMIT 50) ${to('top_50_cases')}`,
    `CREATE TABLE customers AS SELECT customer_id, count(*) AS case_count, avg(ofi) AS avg_ofi
           FROM scores WHERE customer_id IS NOT NULL GROUP BY customer_id`,
    // The tier boundaries: the quantiles 1/3 and 2/3 exactly as SPEC section 4 (numpy)
    // writes them. quantile_cont interpolates the same line but not to the bit: between two
    // equal neighbours it returned the value one ulp lower, which put the customers whose
    // average equals the boundary in the next tier (50 of them at 1M cases).
    `CREATE TABLE bounds AS
       WITH ranked AS (SELECT avg_ofi, row_number() OVER (ORDER BY avg_ofi) - 1 AS k FROM customers),
            q AS (SELECT name, (n - 1) * q AS pos, floor((n - 1) * q) AS i
                  FROM (SELECT count(*) AS n FROM customers),
                       (VALUES ('t1', CAST(1 AS DOUBLE) / 3), ('t2', CAST(2 AS DOUBLE) / 3)) v(name, q))
       SELECT name, CASE WHEN b.avg_ofi IS NULL THEN a.avg_ofi
                         WHEN pos - i < 0.5 THEN a.avg_ofi + (b.avg_ofi - a.avg_ofi) * (pos - i)
                         ELSE b.avg_ofi - (b.avg_ofi - a.avg_ofi) * (1 - (pos - i)) END AS t
       FROM q JOIN ranked a ON a.k = q.i LEFT JOIN ranked b ON b.k = q.i + 1`,
    `COPY (WITH q AS (SELECT max(t) FILTER (name = 't1') AS t1, max(t) FILTER (name = 't2') AS t2 FROM bounds)
           SELECT customer_id, case_count, avg_ofi,
                  CASE WHEN avg_ofi <= t1 THEN 'Low Friction' WHEN avg_ofi <= t2 THEN 'Medium Friction'
                       ELSE 'High Friction' END AS tier
           FROM customers, q ORDER BY avg_ofi DESC, customer_id) ${to('customer_tiers')}`,
    `COPY (SELECT CAST(date_trunc('week', case_date) AS DATE) AS week_start,
                  isoyear(week_start) AS iso_year, week(week_start) AS iso_week, ${trend}
           FROM scores WHERE case_date IS NOT NULL GROUP BY ALL ORDER BY week_start) ${to('weekly_friction_trend')}`,
    `COPY (SELECT strftime(case_date, '%Y-%m') AS month, ${trend}
           FROM scores WHERE case_date IS NOT NULL GROUP BY ALL ORDER BY month) ${to('monthly_friction_trend')}`,
  ];
}

async function main() {
  const args = parseArgs(process.argv);
  mkdirSync(args.out, { recursive: true });
  const opts = args.threads ? { threads: String(args.threads) } : {};
  const db = await DuckDBInstance.create(':memory:', opts);
  const con = await db.connect();
  await con.run(scoreSql(args.data));
  for (const sql of viewsSql(args.out)) await con.run(sql);
}

main().catch((e) => { console.error(`duckdb peer: ${e.message}`); process.exit(1); });
