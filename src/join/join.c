/* join.c - stream events and refunds into per-case counters; resolve the cases' parents.
 *
 * The cases index is partitioned by key hash (idmap.h). A child row goes to the thread
 * that owns its case id's partition, so each case's counters are written by one thread
 * only: plain increments, no atomics, and minima and sums that cannot depend on order.
 */
#include "ofi/join.h"

#include "ofi/date.h"

#include <math.h>
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
    const ofi_table *cs = &db->t[OFI_T_CASES];
    const ofi_idmap *ix = &cs->index;
    const int np = ofi_idmap_n_parts(ix);
    /* Dense case ids (ofi_table_mark_dense): a case's row is its id less the first id. */
    const int dense = cs->ids_dense;
    const uint64_t base = (uint64_t)cs->id_base, n_cases = cs->n_rows;
    ofi_case_links *L = &db->links;
    uint64_t orphans = 0;
    uint32_t over = UINT32_MAX; /* the first case row whose cents overflow */
#pragma omp parallel for num_threads(ctx->n_threads) schedule(dynamic, 1) reduction(+ : orphans) \
    reduction(min : over)
    for (int p = 0; p < np; p++) {
        const ofi_idpart *part = &ix->parts[p];
        for (int k = 0; k < nb; k++) {
            const ofi_child_rows *r = &rows[k];
            for (size_t i = 0; i < r->n; i++) {
                if ((r->skip && r->skip[i]) || r->case_id[i] == OFI_NULL_I64 ||
                    ofi_idmap_part_of(ix, r->case_h[i]) != p)
                    continue;
                uint32_t row;
                if (dense) {
                    const uint64_t x = (uint64_t)r->case_id[i] - base;
                    if (x >= n_cases) {
                        orphans++;
                        continue;
                    }
                    row = (uint32_t)x;
                } else if (!ofi_idpart_get(ix, part, r->case_id[i], &row)) {
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
                    int64_t sum;
                    L->refund_n[row]++;
                    if (r->cents[i] == OFI_NULL_I64)
                        continue;
                    if (__builtin_add_overflow(L->refund_cents[row], r->cents[i], &sum))
                        over = row < over ? row : over;
                    else
                        L->refund_cents[row] = sum;
                }
            }
        }
    }
    db->orphans[fk] += orphans;
    if (over != UINT32_MAX && (db->refund_overflow == 0 || over < db->refund_overflow - 1))
        db->refund_overflow = (uint64_t)over + 1;
}

/* Every sum of refund cents the views make (a case's, a group's, all cases') is exact
 * in 64 bits when the cases' absolute cents sum to at most INT64_MAX (amounts beyond
 * DECIMAL(12,2) by far: ~92 000 000 000 000 000 EUR in all). approx is their double sum
 * (relative error below n * 2^-53, far under the 2% margin): exact only when it comes
 * near. */
static ofi_status check_refund_range(ofi_ctx *ctx, const ofi_db *db, double approx)
{
    const int64_t *cents = db->links.refund_cents;
    if (cents == NULL || approx < 9.0e18)
        return OFI_OK;
    const size_t n = db->t[OFI_T_CASES].n_rows;
    int big = 0;
    uint64_t total = 0; /* kept <= INT64_MAX, so adding |x| < 2^63 cannot wrap */
    for (size_t i = 0; i < n && !big; i++) {
        total += cents[i] < 0 ? (uint64_t)0 - (uint64_t)cents[i] : (uint64_t)cents[i];
        big = total > (uint64_t)INT64_MAX;
    }
    if (big)
        return ofi_fail(ctx, OFI_E_SOURCE,
                        "refunds: the refund amounts of all cases sum beyond the exact range "
                        "of cents (64-bit: +-92233720368547758.07 EUR in all)");
    return OFI_OK;
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
    ofi_table *cs = &db->t[OFI_T_CASES];
    if (db->refund_overflow != 0)
        return ofi_fail(ctx, OFI_E_SOURCE,
                        "refunds: the refund amounts of case %lld sum beyond the exact range of "
                        "cents (64-bit: +-92233720368547758.07 EUR)",
                        (long long)ofi_table_key(cs, (uint32_t)(db->refund_overflow - 1)));
    const ofi_table *cal = &db->t[OFI_T_CALENDAR];
    ofi_case_links *L = &db->links;
    const long n = (long)cs->n_rows;
    /* The loader stored each foreign key as its parent's row (UINT32_MAX when NULL or
     * orphan) and each orphan id in the column's side list: the rows are the links. */
    L->customer_row = cs->col[OFI_CAS_CUSTOMER].code;
    L->agent_row = cs->col[OFI_CAS_AGENT].code;
    L->product_row = cs->col[OFI_CAS_PRODUCT].code;
    L->issue_row = cs->col[OFI_CAS_ISSUE].code;
    for (int f = 0; f < 5; f++)
        db->orphans[f] += cs->wide[ofi_fks[f].child_col].n;
    L->case_date = malloc((n ? (size_t)n : 1) * sizeof *L->case_date);
    if (L->case_date == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for %ld cases", n);
    const uint32_t *cal_row = cs->col[OFI_CAS_DATE_ID].code;
    const int32_t *cal_date = cal->col[OFI_CAL_DATE].i32;
    const int64_t *cents = L->refund_cents;
    double approx = 0; /* the cases' absolute refund cents, for check_refund_range */
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static) reduction(+ : approx)
    for (long i = 0; i < n; i++) {
        /* The calendar's date, else the first event's date. */
        const uint32_t r = cal_row[i];
        L->case_date[i] = r != UINT32_MAX && cal_date[r] != OFI_NO_DATE ? cal_date[r] : L->first_event[i];
        if (cents != NULL)
            approx += fabs((double)cents[i]);
    }
    return check_refund_range(ctx, db, approx);
}
