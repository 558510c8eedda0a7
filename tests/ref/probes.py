#!/usr/bin/env python3
"""probes.py - small hand-made datasets aimed at SPEC section 7's rules, one directory each.

    python3 tests/ref/probes.py OUTDIR

They were written in session 10 by a reader of SPEC.md alone (who saw none of the engine,
its tests or tests/ref/ofi_ref.py), for an independent cross-check; tests/e2e/oracle.sh
now runs each through the engine and the oracle and requires the same bytes (or exit
codes for the e_* sets, which must fail). What they probe:
  s_format    BOM, CRLF, header names in odd case and order, extra and missing columns,
              quoted commas, newlines and doubled quotes, blank lines, unicode
  s_values    comma decimals, exponents, `.5`, `12.0`, `12abc`, nan/inf, 2^63-1 and past
              it, negative minutes, flags 2 and -1, priorities `Med`/` high `/`urgent`/
              empty/`NULL`, NULL foreign keys, orphans in every key, duplicate ids and
              full-row duplicates, NULL timestamps, both date fallbacks, NULL refund
              amounts, half-up money, field-count mismatches
  s_empty, s_nocases   every table header-only; parents only
  s_dates     ISO weeks around New Year, NULL calendar dates
  s_ties      many exact ties
  s_i64min    -2^63 as an id (rejected: the NULL marker, a documented choice)
  s_hugemin   minutes of 2^63-1 (sums past 64 bits)
  s_negzero   -0.0 and negative multipliers
  s_parse     ~85 single values probing the INT, DECIMAL, DATE and DATETIME grammars
  e_*         a missing file, a missing key column, invalid UTF-8, broken quoting,
              a missing foreign-key column, a whitespace-only line
"""
import os
import shutil
import sys

BASE = sys.argv[1] if len(sys.argv) > 1 else 'probes'


def w(ds, table, text):
    d = os.path.join(BASE, ds)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, table + '.csv')
    if isinstance(text, bytes):
        open(p, 'wb').write(text)
    else:
        open(p, 'w', encoding='utf-8', newline='').write(text)


def fresh(ds):
    shutil.rmtree(os.path.join(BASE, ds), ignore_errors=True)


CAL_H = 'date_id,calendar_date,year,month,month_name,quarter,day_name,week_of_year\n'
CUST_H = 'customer_id,country,region,segment,signup_year,segment_multiplier\n'
AG_H = 'agent_id,team,shift,tenure_months,speed_factor\n'
PR_H = 'product_id,product_group,base_price_eur,risk_score\n'
IS_H = 'issue_id,issue_category,root_cause,severity,friction_weight,severity_multiplier\n'
CA_H = ('case_id,date_id,customer_id,agent_id,product_id,issue_id,channel,status,priority,escalated_flag,'
        'reopened_flag,is_delayed,delay_minutes,is_cancelled,resolution_minutes,has_refund\n')
TL_H = 'event_id,case_id,event_type,event_timestamp\n'
RF_H = 'refund_id,case_id,refund_type,refund_amount_eur\n'


def base_parents(ds):
    w(ds, 'calendar', CAL_H + ''.join(
        '%d,2024-%02d-%02d,2024,%d,M,1,D,1\n' % (i, 1 + (i - 1) // 28, 1 + (i - 1) % 28, 1 + (i - 1) // 28)
        for i in range(1, 60)) + '100,2020-12-31,2020,12,Dec,4,Thu,53\n101,2021-01-03,2021,1,Jan,1,Sun,53\n'
        '102,2024-12-30,2024,12,Dec,4,Mon,1\n103,2026-01-01,2026,1,Jan,1,Thu,1\n')
    w(ds, 'customers', CUST_H + '1,Spain,East,VIP,2022,1.25\n2,Germany,North,Standard,2023,1.0\n'
      '3,"Côte d\'Ivoire","Nord, Est","Seg ""A""",2021,1.1\n4,Zürich,,Returning,2020,\n')
    w(ds, 'agents', AG_H + '1,Billing,Morning,10,1.0\n2,Ops Core,Evening,20,0.9\n3,Billing,Night,5,1.1\n4,,Night,1,1\n')
    w(ds, 'products', PR_H + '1,Home,10.00,0.5\n2,Electronics,20.5,0.1\n3,Ωmega,1,1\n4,,2,2\n')
    w(ds, 'issue_catalog', IS_H + '1,Delivery,Late delivery,High,3.5,1.6\n2,Delivery,Missed timeslot,Med,2.7,1.25\n'
      '3,Payment,Charged twice,Low,1.0,1.0\n4,Product,Missing item,,2.0,\n')


def make():
    # ---------------------------------------------------------------- s_format
    ds = 's_format'; fresh(ds); base_parents(ds)
    # BOM + CRLF + header case/spaces + reordered + extra cols + missing non-key col (is_cancelled)
    hdr = '\ufeff Case_ID ,PRIORITY,date_id,Customer_Id,agent_id,product_id,issue_id,extra1,channel,status,' \
          'escalated_flag,reopened_flag,is_delayed,delay_minutes,resolution_minutes,has_refund\r\n'
    rows = [
        '1,High,1,1,1,1,1,x,Email,Closed,1,0,1,30,60,0',
        '2,Low,2,2,2,2,2,"a,b",Chat,"Closed, really",0,1,0,0,120,1',
        '3,Medium,3,3,3,3,3,"multi\r\nline",App,"He said ""hi""",0,0,0,0,45,0',
        '',
        '4,med,4,4,4,4,4,,Phone,"line1\nline2",0,0,0,0,10,0',
        '5, high ,5,1,1,1,3,,"Ünïcødé ✓",Open,0,0,0,0,0,0',
    ]
    w(ds, 'cases', hdr + '\r\n'.join(rows) + '\r\n\r\n')
    w(ds, 'case_timeline', '\ufeffEVENT_ID , case_id,event_timestamp,event_type,actor\r\n'
      '1,1,2024-01-01 10:00:00,created,x\r\n2,1,2024-01-01 11:00,closed,y\r\n3,2,"2024-01-02T09:00:00.5",created,z\r\n'
      '\r\n4,3,2024-01-03 08:00:00,"a ""quoted"", event",q\r\n')
    w(ds, 'refunds', RF_H.replace('refund_amount_eur', 'Refund_Amount_EUR ') + '1,2,Full,9.99\n2,2,"Partial, late","3,5"\n')

    # ---------------------------------------------------------------- s_values
    ds = 's_values'; fresh(ds); base_parents(ds)
    rows = [
        # id, date, cust, agent, prod, issue, channel, status, priority, esc, reo, dly, dmin, canc, res, ref
        '1,1,1,1,1,1,Email,Closed,High,1,0,1,30,0,60,1',
        '2,2,2,2,2,2,Chat,Closed,Low,2,1,1,-15,0,-30,0',          # flag 2, negative minutes
        '3,3,3,3,3,3,App,Closed,MEDIUM,-1,0,0,0,-1,45,0',         # flag -1
        '4,4,4,4,4,4,Phone,Closed,Med,0,0,0,0,0,10,0',
        '5,5,1,1,1,1,Email,Closed, high ,0,0,0,0,0,0,0',
        '6,6,2,2,2,2,Email,Closed,urgent,0,0,0,0,0,0,0',          # unknown priority
        '7,7,3,3,3,3,Email,Closed,,0,0,0,0,0,0,0',                 # NULL priority
        '8,8,4,4,4,4,Email,Closed,  ,0,0,0,0,0,0,0',              # whitespace priority
        '9,,,,,,Email,Closed,High,0,0,0,0,0,5,0',                  # NULL fks, no date (fallback event)
        '10,999,99,99,99,99,Email,Closed,High,1,1,1,5,1,5,1',     # orphans everywhere, date fallback
        '11,998,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',           # no calendar, no events -> no date
        '12abc,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',          # bad id
        '13,1,1,1,1,1,Email,Closed,Low,0,0,0,12abc,0,0,0',         # bad int
        '14,1,1,1,1,1,Email,Closed,Low,0,0,0,12.0,0,7.0,0',        # 12.0 ints
        '15,1,1,1,1,1,Email,Closed,Low,0,0,0,12.5,0,0,0',          # 12.5 int -> reject
        '16,1,1,1,1,1,Email,Closed,Low,+1,0,0,+5,0,0,0',           # signs
        '9223372036854775807,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',   # max id
        '9223372036854775808,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',   # beyond
        '17,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0',               # 15 fields
        '18,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0,extra',       # 17 fields
        '1,9,2,2,2,2,Email,Closed,Low,0,0,0,0,0,0,0',              # duplicate id 1
        '4,4,4,4,4,4,Phone,Closed,Med,0,0,0,0,0,10,0',             # full-row duplicate of 4
        ',1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',               # NULL pk
        '  ,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',             # whitespace pk
        '19,1,1,1,1,1,Email,Closed,Low,0,0,0,1e2,0,0,0',           # exponent in INT
        '20, 7 ,1,1, 1 ,1, Email ,Closed,Low, 1 ,0,0, 90 ,0,0,0',  # spaces around numbers; text kept
        '21,1,1,1,1,1,Email,Closed,NULL,0,0,0,0,0,0,0',            # literal NULL text
        '22,1,9223372036854775807,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',  # orphan huge customer id
        '24,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,1,0',
        '25,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,007,0',           # leading zeros
        '26,50,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0',            # date via calendar, no events
        '27,1,1,1,1,1,Email,Closed,Low,0,0,0,12.00,0,0,0',         # 12.00 int
        '28,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,1.0',           # flag 1.0
    ]
    w(ds, 'cases', CA_H + '\n'.join(rows) + '\n')
    tl = [
        '1,1,created,2024-01-01 10:00:00',
        '2,1,closed,',                         # NULL ts still touches
        '3,9,created,2024-03-05 23:59:59',    # fallback for case 9
        '4,9,reply,2024-03-04 10:00',         # earlier -> 2024-03-04
        '5,9,reply,',
        '6,10,created,2023-12-31T12:00:00.25',  # fallback for case 10 (orphan date_id)
        '7,10,reply,2023-12-31T12:00:00.125',
        '8,777,created,2024-01-01 00:00:00',  # orphan event
        '9,,created,2024-01-01 00:00:00',     # NULL case_id
        '10,2,created,2024-13-01 00:00:00',   # bad datetime -> reject
        '11,2,created,2024-01-01',            # date-only datetime
        '1,2,dup,2024-01-01 00:00:00',        # duplicate event id
        '12,2,created,2024-02-30 00:00:00',   # invalid date
        '13,2,created,2024-01-01 24:00:00',   # invalid hour
        '14,12,created,2024-01-01 00:00:00',  # to rejected case (orphan)
        '15,3,x,2024-01-01 00:00:00',
        '15,3,x,2024-01-01 00:00:00',         # full dup
        '16,3,x,nan',
    ]
    w(ds, 'case_timeline', TL_H + '\n'.join(tl) + '\n')
    rf = [
        '1,1,Full,0.125', '2,1,Partial,2.675', '3,2,Partial,1.005', '4,2,Full,',     # NULL amount
        '5,3,Full,"3,5"', '6,3,Full,.5', '7,3,Full,1e1', '8,3,Full,1.2345E1',
        '9,4,Full,nan', '10,4,Full,inf', '11,4,Full,12abc', '12,4,Full,-0.125',
        '13,777,Full,5.00', '14,,Full,6.00', '15,5,Full,0.005', '16,5,Full,0.0049999',
        '2,5,Full,1.00',                     # dup refund id
        '17,5,Full,1.',                       # trailing dot
        '18,5,Full,+2.5', '19,6,Full,1E-2', '20,6,Full,99999999.995',
        '21,7,Full,  4.445  ', '22,7,Full,"  "',
    ]
    w(ds, 'refunds', RF_H + '\n'.join(rf) + '\n')
    # issue catalog with dup + NULL multiplier + comma decimal multiplier
    w(ds, 'issue_catalog', IS_H + '1,Delivery,Late delivery,High,3.5,1.6\n2,Delivery,Missed timeslot,Med,2.7,1.25\n'
      '3,Payment,Charged twice,Low,"1,5",1.0\n4,Product,Missing item,,2.0,\n1,Dup,Dup,Dup,9,9\n5,X,Y,Z,abc,1\n'
      '6,X,Y,Z,inf,1\n')
    w(ds, 'customers', CUST_H + '1,Spain,East,VIP,2022,1.25\n2,Germany,North,Standard,2023,1.0\n'
      '3,"Côte d\'Ivoire","Nord, Est","Seg ""A""",2021,1.1\n4,  ,,Returning,2020,\n1,Dup,Dup,Dup,2000,2\n'
      '2,Germany,North,Standard,2023,1.0\n2,Germany,North,Standard,2023,1.00\n5,X,Y,Z,20x,1\n')
    w(ds, 'calendar', CAL_H + ''.join(
        '%d,2024-%02d-%02d,2024,%d,M,1,D,1\n' % (i, 1 + (i - 1) // 28, 1 + (i - 1) % 28, 1 + (i - 1) // 28)
        for i in range(1, 10)) + '50,2024-05-05 13:00:00,2024,5,May,2,Sun,18\n1,2030-01-01,x,x,x,x,x,x\n'
        '60,2024/01/01,x,x,x,x,x,x\n')

    # ---------------------------------------------------------------- s_empty: every table header only
    ds = 's_empty'; fresh(ds)
    for t, h in [('calendar', CAL_H), ('customers', CUST_H), ('agents', AG_H), ('products', PR_H),
                 ('issue_catalog', IS_H), ('cases', CA_H), ('case_timeline', TL_H), ('refunds', RF_H)]:
        w(ds, t, h)
    # ---------------------------------------------------------------- s_empty2: parents only, header without newline
    ds = 's_nocases'; fresh(ds); base_parents(ds)
    w(ds, 'cases', CA_H.rstrip('\n'))
    w(ds, 'case_timeline', TL_H + '1,1,x,2024-01-01 00:00:00\n')
    w(ds, 'refunds', RF_H + '1,1,Full,1.00')   # no final newline

    # ---------------------------------------------------------------- s_dates: ISO weeks, calendar quirks
    ds = 's_dates'; fresh(ds); base_parents(ds)
    w(ds, 'calendar', 'date_id,DATE,year\n100,2020-12-31,2020\n101,2021-01-03,2021\n102,2024-12-30,2024\n'
      '103,2026-01-01,2026\n104,,x\n105,2024-02-29 00:00:00,2024\n106,2023-01-01T05:06:07,2023\n')
    rows = []
    for i, d in enumerate([100, 101, 102, 103, 104, 105, 106, 100, 102], 1):
        rows.append('%d,%d,%d,%d,%d,%d,Email,Closed,High,%d,0,0,%d,0,%d,0' % (i, d, 1 + i % 4, 1 + i % 3, 1 + i % 4,
                                                                             1 + i % 4, i % 2, i * 7, i * 13))
    w(ds, 'cases', CA_H + '\n'.join(rows) + '\n')
    w(ds, 'case_timeline', TL_H + '1,5,x,2022-06-15 00:00:00\n2,5,y,2022-06-14 23:59:59.999\n')
    w(ds, 'refunds', RF_H + '1,1,Full,10.00\n2,2,Full,0.01\n')

    # ---------------------------------------------------------------- s_ties: many ties
    ds = 's_ties'; fresh(ds); base_parents(ds)
    rows = []
    for i in range(1, 61):
        pr = ['Low', 'Medium', 'High'][i % 3]
        rows.append('%d,%d,%d,%d,%d,%d,Email,Closed,%s,%d,%d,0,%d,0,%d,%d' % (
            i, 1 + i % 5, 1 + i % 4, 1 + i % 4, 1 + i % 4, 1 + i % 4, pr, i % 2, (i // 2) % 2, 60 * (i % 2),
            120 * (i % 3), i % 5 == 0))
    w(ds, 'cases', CA_H + '\n'.join(rows) + '\n')
    w(ds, 'case_timeline', TL_H + ''.join('%d,%d,x,2024-01-01 00:00:00\n' % (j, 1 + j % 60) for j in range(1, 90)))
    w(ds, 'refunds', RF_H + ''.join('%d,%d,Full,20.00\n' % (j, j * 5) for j in range(1, 12)))

    # ---------------------------------------------------------------- s_edge64: INT64_MIN id, huge minutes
    ds = 's_i64min'; fresh(ds); base_parents(ds)
    w(ds, 'cases', CA_H + '1,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0\n'
      '-9223372036854775808,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,0,0\n')
    w(ds, 'case_timeline', TL_H); w(ds, 'refunds', RF_H)
    ds = 's_hugemin'; fresh(ds); base_parents(ds)
    w(ds, 'cases', CA_H + '1,1,1,1,1,1,Email,Closed,Low,0,0,0,9223372036854775807,0,9223372036854775807,0\n'
      '2,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,9223372036854775807,0\n3,1,1,1,1,1,Email,Closed,Low,0,0,0,0,0,130,0\n')
    w(ds, 'case_timeline', TL_H); w(ds, 'refunds', RF_H)

    # ---------------------------------------------------------------- s_negzero: -0.0, negative multipliers
    ds = 's_negzero'; fresh(ds); base_parents(ds)
    w(ds, 'customers', CUST_H + '1,A,B,C,2020,-1\n2,A,B,C,2020,-0.5\n3,A,B,C,2020,0\n4,A,B,C,2020,1e0\n')
    w(ds, 'issue_catalog', IS_H + '1,D,L,High,-2,-1\n2,D,M,Med,-0.0,0\n3,P,C,Low,0,2\n')
    w(ds, 'cases', CA_H + ''.join('%d,%d,%d,1,1,%d,Email,Closed,Low,0,0,0,0,0,0,0\n' % (i, i, 1 + i % 4, 1 + i % 3)
                                  for i in range(1, 13)))
    w(ds, 'case_timeline', TL_H)
    w(ds, 'refunds', RF_H + '1,1,Full,-5.00\n2,2,Full,-0.004\n3,3,Full,-0.005\n4,4,Full,0.005\n')

    # ---------------------------------------------------------------- error datasets
    def err(ds, table, content):
        fresh(ds); base_parents(ds)
        w(ds, 'cases', CA_H + '1,1,1,1,1,1,Email,Closed,High,1,0,1,30,0,60,0\n')
        w(ds, 'case_timeline', TL_H)
        w(ds, 'refunds', RF_H)
        if content is None:
            os.remove(os.path.join(BASE, ds, table + '.csv'))
        else:
            w(ds, table, content)
    err('e_missing_file', 'refunds', None)
    err('e_missing_pk', 'agents', 'team,shift,tenure_months,speed_factor\nBilling,M,1,1\n')
    err('e_utf8', 'customers', CUST_H.encode() + b'1,Spain,East,VIP,2022,1.25\n2,Germ\xff\xfeany,North,S,2023,1.0\n')
    err('e_quote_eof', 'products', PR_H + '1,Home,10.00,0.5\n2,"Electronics,20.5,0.1\n')
    err('e_quote_after', 'products', PR_H + '1,Home,10.00,0.5\n2,"Elec"tronics,20.5,0.1\n')
    err('e_quote_inside', 'products', PR_H + '1,Home,10.00,0.5\n2,Elec"tronics,20.5,0.1\n')
    err('e_missing_fkcol', 'cases', CA_H.replace('customer_id,', '').replace(',has_refund', '') +
        '1,1,1,1,1,Email,Closed,High,1,0,1,30,0,60\n')
    err('e_ws_line', 'agents', AG_H + '1,Billing,Morning,10,1.0\n   \n2,Ops,E,2,1\n')


def make_parse():
    """s_parse: one typed value per row, to probe the accepted number/date grammars."""
    INTS = ['+0', '-0', '0x10', '1_000', ' 12 ', '12.', '12.0e0', '\uff11\uff12', '\u22125', '00012', '12.000',
            '-12.0', '1e3', '12 3', '\t7\t', '+-1', '--1', '9223372036854775807.0', '12.01', '.0', '0.0', '-', '+']
    DECS = ['1.5e+3', '1.5E3', '-.5', '+.5e-1', '"1,5e2"', '"1,"', '",5"', '1.2.3', '0x1p3', '1e400', '1e-400',
            '"2,675"', '"-1,005"', '1.', '"1,234.5"', '" 2.5 "', 'Infinity', '-inf', 'NaN', '1e', 'e5', '5e+',
            '0.0000001', '123456789012.345', '"1 000,5"', '1.5f', '+1.5', '\uff11.5', '1D2', '.5E1']
    DATES = ['2024-05-05T13:00', '2024-05-05 garbage', '2024-05-05 13:00:00.5', '2024-5-5', '20240505',
             '2024-05-05 ', '2024-05-05T', '2024-05-05 25:00', '0000-01-01', '9999-12-31', '2023-02-29',
             '2024-05-05 13', '2024-05-05 13:00:00Z', '2024-05-05 13:00:00+02:00', '2024-05-05 1:00']
    DTS = ['2024-01-01T10:00', '2024-01-01 10:00:00.123456789', '2024-01-01 10:00:60', '2024-01-01  10:00',
           '2024-1-1 10:00', '2024-01-01 10', '2024-01-01 10:00:5', '2024-01-01 10:00:00.', '2024-01-01T10:00:00Z',
           '2024-01-01 10:00:00 ', ' 2024-01-01 10:00:00', '2024-01-01 10:0', '2024-01-01 9:00:00',
           '2024-01-01 23:59:59.9999999999', '2024-01-01 10:00:00,5', '1999-12-31 23:59']
    ds = 's_parse'; fresh(ds); base_parents(ds)
    w(ds, 'issue_catalog', IS_H + ''.join('%d,c,r,High,%s,1\n' % (i + 1, v) for i, v in enumerate(DECS)))
    w(ds, 'calendar', CAL_H + ''.join('%d,%s,,,,,,\n' % (i + 1, v) for i, v in enumerate(DATES)))
    rows = []
    n = max(len(INTS), len(DECS), len(DATES), len(DTS))
    for i in range(n):
        dm = INTS[i] if i < len(INTS) else '1'
        rows.append('%d,%d,1,1,1,%d,Email,Closed,High,0,0,0,%s,0,0,0' % (i + 1, i + 1, (i % len(DECS)) + 1, dm))
    w(ds, 'cases', CA_H + '\n'.join(rows) + '\n')
    w(ds, 'case_timeline', TL_H + ''.join('%d,%d,x,%s\n' % (i + 1, i + 1, v) for i, v in enumerate(DTS)))
    w(ds, 'refunds', RF_H + ''.join('%d,%d,Full,%s\n' % (i + 1, i + 1, v) for i, v in enumerate(DECS)))


if __name__ == '__main__':
    make()
    make_parse()
