/* dq.h - the data-quality (outputs/dq/) and integrity (outputs/fk/) files.
 *
 * Everything here was counted while loading (table.h); nothing re-reads the source.
 * Rejected rows are streamed to dq/rejected_rows.csv as the loader finds them, through
 * an ofi_rejects sink.
 */
#ifndef OFI_DQ_H
#define OFI_DQ_H

#include "ofi/ofi.h"
#include "ofi/outset.h"
#include "ofi/schema.h"
#include "ofi/table.h"

#include <stdint.h>

/* The rejected-rows sink: an open output stream plus a count. */
typedef struct ofi_rejects {
    ofi_ctx *ctx;
    ofi_outset *set;
    ofi_outstream out;
    uint64_t n;
} ofi_rejects;

/* Open dq/rejected_rows.csv and write its header. */
ofi_status ofi_rejects_open(ofi_ctx *ctx, ofi_outset *set, ofi_rejects *r);

/* An ofi_reject_fn (load.h) writing one row; user is the ofi_rejects. */
ofi_status ofi_rejects_write(void *user, ofi_table_id table, uint64_t row, const char *reason,
                             const char *raw, size_t raw_len);

ofi_status ofi_rejects_close(ofi_rejects *r);

/* Write row_counts, missing_values, duplicates, domain_violations (domain: the counts of
 * ofi_domain_violations) and fk/fk_orphans_summary.csv. */
ofi_status ofi_dq_write(ofi_ctx *ctx, ofi_outset *set, const ofi_db *db, const uint64_t domain[8]);

#endif
