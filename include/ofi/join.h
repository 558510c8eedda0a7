/* join.h - hash joins of events and refunds into cases, and the cases' parents.
 *
 * Child rows arrive in chunks (struct-of-arrays views of kept rows). Each join is
 * partitioned by the hash of the case id, exactly as the cases index is: one thread per
 * partition, no atomics, so counters and minima are the same for any thread count.
 */
#ifndef OFI_JOIN_H
#define OFI_JOIN_H

#include "ofi/ofi.h"
#include "ofi/table.h"

#include <stddef.h>
#include <stdint.h>

/* A chunk of kept child rows: case ids, their hashes, and the value the join needs. */
typedef struct ofi_child_rows {
    size_t n;
    const int64_t *case_id;  /* OFI_NULL_I64 rows are skipped (missing, not orphans) */
    const uint64_t *case_h;  /* ofi_id_hash(case_id) */
    const uint8_t *skip;     /* rows to ignore (duplicates), or NULL */
    const int32_t *date;     /* timeline: event date or OFI_NO_DATE */
    const int64_t *cents;    /* refunds: amount in cents or OFI_NULL_I64 */
} ofi_child_rows;

/* Allocate the per-case counters a child table fills, just before it streams in:
 * touches and first-event dates for OFI_T_TIMELINE, refund cents and counts for
 * OFI_T_REFUNDS (zero, no dates). @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_join_prepare(ofi_ctx *ctx, ofi_db *db, ofi_table_id child);

/* Stream chunks of rows (nb views, in source order) into the cases: touch counts and
 * first event dates (timeline), or refund cents and counts (refunds). Orphans are added
 * to db->orphans of the table's foreign key. */
void ofi_join_timeline(ofi_ctx *ctx, ofi_db *db, const ofi_child_rows *rows, int nb);
void ofi_join_refunds(ofi_ctx *ctx, ofi_db *db, const ofi_child_rows *rows, int nb);

/* Resolve each case's customer, agent, product and issue rows, count the cases' foreign
 * key orphans, and compute case_date (allocating those arrays). Fails (OFI_E_SOURCE)
 * when refund cents cannot be summed exactly in 64 bits: a case's refunds (as they were
 * summed, in source order), or all cases' absolute amounts together.
 * @pre all tables loaded. @return OFI_OK, OFI_E_SOURCE or OFI_E_NOMEM. */
ofi_status ofi_join_cases(ofi_ctx *ctx, ofi_db *db);

#endif
