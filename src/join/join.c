/* join.c - stream events and refunds into per-case counters; resolve the cases' parents.
 *
 * The cases index is partitioned by key hash (idmap.h). A child row goes to the thread
 * that owns its case id's partition, so each case's counters are written by one thread
 * only: plain increments, no atomics, and minima and sums that cannot depend on order.
 */
#include "ofi/join.h"

#include "ofi/date.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

ofi_status ofi_join_prepare(ofi_ctx *ctx, ofi_db *db, ofi_table_id child)
{
    ofi_case_links *L = &db->links;
    const size_t n = db->t[OFI_T_CASES].n_rows;
    const size_t m = n ? n : 1;
    if (child == OFI_T_TIMELINE) {
        L->touch = calloc(m, sizeof *L->touch);
        L->first_event = malloc(m * sizeof *L->first_event);
        if (!L->touch || !L->first_event)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for %zu cases", n);
        for (size_t i = 0; i < n; i++)
            L->first_event[i] = OFI_NO_DATE;
    } else {
        L->refund_cents = calloc(m, sizeof *L->refund_cents);
        L->refund_n = calloc(m, sizeof *L->refund_n);
        if (!L->refund_cents || !L->refund_n)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for %zu cases", n);
    }
    return OFI_OK;
}

/* The join kernel, shared by events and refunds: kind 0 counts touches and dates, kind 1
 * sums refunds. One generic loop; the branch on kind is uniform and predicted. */
static void join_rows(ofi_ctx *ctx, ofi_db *db, const ofi_child_rows *rows, int nb, int kind,
                      int fk)
{
    const ofi_idmap *ix = &db->t[OFI_T_CASES].index;
    const int np = ofi_idmap_n_parts(ix);
    ofi_case_links *L = &db->links;
    uint64_t orphans = 0;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(dynamic, 1) reduction(+ : orphans)
    for (int p = 0; p < np; p++) {
        const ofi_idpart *part = &ix->parts[p];
        for (int k = 0; k < nb; k++) {
            const ofi_child_rows *r = &rows[k];
            for (size_t i = 0; i < r->n; i++) {
                if ((r->skip && r->skip[i]) || r->case_id[i] == OFI_NULL_I64 ||
                    ofi_idmap_part_of(ix, r->case_h[i]) != p)
                    continue;
                uint32_t row;
                if (!ofi_idpart_get(ix, part, r->case_id[i], &row)) {
                    orphans++;
                    continue;
                }
                if (kind == 0) {
                    L->touch[row]++;
                    const int32_t d = r->date[i];
                    if (d != OFI_NO_DATE &&
                        (L->first_event[row] == OFI_NO_DATE || d < L->first_event[row]))
                        L->first_event[row] = d;
                } else {
                    L->refund_n[row]++;
                    if (r->cents[i] != OFI_NULL_I64)
                        L->refund_cents[row] += r->cents[i];
                }
            }
        }
    }
    db->orphans[fk] += orphans;
}

void ofi_join_timeline(ofi_ctx *ctx, ofi_db *db, const ofi_child_rows *rows, int nb)
{
    join_rows(ctx, db, rows, nb, 0, 5);
}

void ofi_join_refunds(ofi_ctx *ctx, ofi_db *db, const ofi_child_rows *rows, int nb)
{
    join_rows(ctx, db, rows, nb, 1, 6);
}

ofi_status ofi_join_cases(ofi_ctx *ctx, ofi_db *db)
{
    const ofi_table *cases = &db->t[OFI_T_CASES];
    const ofi_table *cal = &db->t[OFI_T_CALENDAR];
    ofi_case_links *L = &db->links;
    const long n = (long)cases->n_rows;
    const size_t m = n ? (size_t)n : 1;
    L->case_date = malloc(m * sizeof *L->case_date);
    L->customer_row = malloc(m * sizeof *L->customer_row);
    L->agent_row = malloc(m * sizeof *L->agent_row);
    L->product_row = malloc(m * sizeof *L->product_row);
    L->issue_row = malloc(m * sizeof *L->issue_row);
    if (!L->case_date || !L->customer_row || !L->agent_row || !L->product_row || !L->issue_row)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for %ld cases", n);
    uint32_t *rows_of[5] = {NULL, L->customer_row, L->agent_row, L->product_row, L->issue_row};
    uint64_t orphans[5] = {0};
    for (int f = 0; f < 5; f++) {
        const ofi_fkspec *fk = &ofi_fks[f];
        const ofi_table *parent = &db->t[fk->parent];
        const int64_t *key = cases->col[fk->child_col].i64;
        uint64_t o = 0;
        uint32_t *out = rows_of[f];
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static) reduction(+ : o)
        for (long i = 0; i < n; i++) {
            uint32_t r = UINT32_MAX;
            if (key[i] != OFI_NULL_I64) {
                r = ofi_table_lookup(parent, key[i]);
                o += r == UINT32_MAX;
            }
            if (out)
                out[i] = r;
            else /* the calendar: the case date, else the first event's date */
                L->case_date[i] = r != UINT32_MAX && cal->col[OFI_CAL_DATE].i32[r] != OFI_NO_DATE
                                      ? cal->col[OFI_CAL_DATE].i32[r]
                                      : L->first_event[i];
        }
        orphans[f] = o;
    }
    for (int f = 0; f < 5; f++)
        db->orphans[f] += orphans[f];
    return OFI_OK;
}
