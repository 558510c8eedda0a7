/* load.h - loading the eight tables into an ofi_db.
 *
 * A source hands over records as fields; the loader parses them into typed columns in
 * parallel (one range of records per thread), rejects unreadable rows, removes duplicate
 * ids (first row wins, in source order), counts data-quality facts, and streams
 * case_timeline and refunds through the join. Tables load in section-1 order, so cases
 * are complete (and indexed) before their events and refunds arrive.
 *
 * Rejected rows go to a callback as they are found, in (table, row) order.
 */
#ifndef OFI_LOAD_H
#define OFI_LOAD_H

#include "ofi/mysql.h"
#include "ofi/ofi.h"
#include "ofi/table.h"

#include <stddef.h>
#include <stdint.h>

/* Receives one rejected row: its 1-based record number, the reason (naming the column
 * where there is one) and the record re-serialised as CSV. Return non-OK to abort. */
typedef ofi_status (*ofi_reject_fn)(void *user, ofi_table_id table, uint64_t row,
                                    const char *reason, const char *raw, size_t raw_len);

/* Seconds spent per phase while loading. */
typedef struct ofi_load_times {
    double read; /* reading, splitting, parsing, dedup, appending */
    double join; /* streaming timeline and refunds into the cases, resolving parents */
} ofi_load_times;

/* Load every table from dir/<table>.csv into db (prepared with ofi_db_init), then resolve
 * the cases' parents and dates (ofi_join_cases).
 * @return OFI_OK; OFI_E_SOURCE for a missing file or primary-key column, invalid UTF-8
 * or broken quoting (message: file, line); OFI_E_NOMEM; or the reject callback's status. */
ofi_status ofi_load_csv_dir(ofi_ctx *ctx, const char *dir, ofi_db *db, ofi_reject_fn reject,
                            void *reject_user, ofi_load_times *times);

/* Receives a MySQL table's rows as they stream, to write outputs/extracts/: once at the
 * table's start (names of the nf columns read, rows NULL), once per chunk (rows: n_rows x
 * nf fields, SQL NULL as empty), once at its end (names NULL, rows NULL). */
typedef ofi_status (*ofi_extract_fn)(void *user, ofi_table_id table, const char *const *names,
                                     int nf, const ofi_field *rows, size_t n_rows);

/* The same from an open MySQL/MariaDB connection: each table streams with
 * SELECT <its section-1 columns> ORDER BY <primary key>. Errors name the table. extract
 * (optional) sees every row as read. */
ofi_status ofi_load_mysql(ofi_ctx *ctx, ofi_mysql *conn, ofi_db *db, ofi_reject_fn reject,
                          void *reject_user, ofi_extract_fn extract, void *extract_user,
                          ofi_load_times *times);

#endif
