/* aggregate.h - ranking, quantiles and grouped measures of the scored cases.
 *
 * Every sum is exact (xsum.h) or an integer, every order a total order with an id as the
 * last key, so all results are independent of thread count and input chunking.
 */
#ifndef OFI_AGGREGATE_H
#define OFI_AGGREGATE_H

#include "ofi/ofi.h"
#include "ofi/score.h"
#include "ofi/table.h"

#include <stddef.h>
#include <stdint.h>

/* Sort 0..n-1 by value descending, then id ascending, in parallel; -0.0 and 0.0 are equal.
 * Rows in id order (the usual case) need one 12-byte record per row: a stable radix scatter
 * on the top 16 bits of the values' key range, then each run sorted alone; otherwise a
 * stable LSD radix sort by id, then by value, through two. The permutation is the same
 * for any thread count. @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_sort_desc(ofi_ctx *ctx, size_t n, const double *value, const int64_t *id,
                         uint32_t *order);

/* ofi_sort_desc, and where tied is not NULL, tied[k] = 1 when value[order[k]] equals
 * value[order[k - 1]] (tied[0] = 0): the runs of equal values in sorted order, read from
 * the sort's own keys (a caller ranking ties need not gather the values at random). */
ofi_status ofi_sort_desc_ties(ofi_ctx *ctx, size_t n, const double *value, const int64_t *id,
                              uint32_t *order, uint8_t *tied);

/* numpy's default (linear) quantile of ascending a[0..n) at q, bit for bit (SPEC 4).
 * @pre n > 0. */
double ofi_quantile(const double *a, size_t n, double q);

/* The same quantile of v[0..n) given order, the indices of v by value descending (as
 * ofi_sort_desc makes it): no sorted copy needed. @pre n > 0. */
double ofi_quantile_desc(const double *v, const uint32_t *order, size_t n, double q);

/* Measures of a group of cases. */
typedef struct ofi_gstat {
    /* Case counts are 32-bit (a table holds fewer than 2^32 rows): 64 bytes a group, not
     * 88; the customer view holds one per customer. */
    uint32_t count;
    uint32_t escalated, reopened, delayed; /* cases with the flag non-zero */
    uint32_t refunded;                     /* cases with >= 1 kept refund row */
    uint32_t first;                        /* the group's first case (smallest case index) */
    uint64_t refund_rows;
    int64_t refund_cents;
    double resolution;  /* sum of max(resolution_minutes, 0), NULL as 0: exact, correctly
                         * rounded (values beyond 32 bits may sum past 64) */
    double total_ofi;   /* exact sum, correctly rounded */
    double max_ofi;
} ofi_gstat;

/* Group cases by key[i] in 0..n_groups-1 (UINT32_MAX leaves a case out; key NULL puts
 * every case in group 0) and measure each group (a group without cases has count 0).
 * Exact OFI sums take a fixed-point path: when every score is a multiple of one power of
 * two and sums fit in 126 bits (always, for real scores), each value becomes an exact
 * 128-bit integer and groups are summed without sorting, each thread owning a range of
 * groups, minutes in 64 bits. Otherwise, or when the minutes' total needs more than 63
 * bits (f->minutes_past_64), ofi_group_plain runs.
 * @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_group(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f, const double *ofi,
                     const uint32_t *key, uint32_t n_groups, ofi_gstat *out);

/* The fixed-point scale of ofi_group's fast path for scores ofi[0..n), or -1 when the
 * values need the general path. One scan: compute it once per score array. */
int ofi_group_scale(ofi_ctx *ctx, const double *ofi, size_t n);

/* ofi_group with the scale already known (ofi_group_scale of the same array). Many groups
 * accumulate in out's own memory, which must then have malloc's (16-byte) alignment;
 * an out less aligned takes ofi_group_plain, with the same results. */
ofi_status ofi_group_scaled(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f,
                            const double *ofi, int scale, const uint32_t *key, uint32_t n_groups,
                            ofi_gstat *out);

/* Cases per call of an ofi_group_keys_fn. */
#define OFI_GROUP_BLOCK 1024

/* Group numbers of cases [lo, hi) (hi - lo <= OFI_GROUP_BLOCK) in each of several
 * groupings: keys[j * OFI_GROUP_BLOCK + (i - lo)] is case i's group in grouping j,
 * UINT32_MAX to leave the case out of it. Called from several threads at once. */
typedef void (*ofi_group_keys_fn)(const void *arg, size_t lo, size_t hi, uint32_t *keys);

/* ofi_group_scaled for n_g groupings at once, with one pass over the cases for all those
 * of up to 4096 groups (threads take contiguous ranges into private measures, merged in
 * thread order); a grouping with more groups, or scores off the fixed-point path
 * (scale < 0), or minutes summing past 63 bits (see ofi_group), has its keys gathered into
 * an array and goes through ofi_group_scaled.
 * out[j] receives n_groups[j] measures; results are those of ofi_group_scaled, grouping by
 * grouping, for any thread count. @return OFI_OK, OFI_E_NOMEM, or OFI_E_USAGE when n_g is
 * over 16. */
ofi_status ofi_group_fused(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f,
                           const double *ofi, int scale, int n_g, const uint32_t *n_groups,
                           ofi_group_keys_fn keys, const void *arg, ofi_gstat *const *out);

/* The general path: counting sort by group, then Shewchuk sums per group. Same results
 * as ofi_group, for any values; tests check one against the other. */
ofi_status ofi_group_plain(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f,
                           const double *ofi, const uint32_t *key, uint32_t n_groups,
                           ofi_gstat *out);

/* Exact per-group sums: out[g] = the correctly rounded sum of v[i] over the i with
 * key[i] == g (UINT32_MAX leaves i out; a group with none sums to 0.0), and, when total
 * is not NULL, *total = that of every v[i], those left out included (as math.fsum). Only
 * the sums: ofi_group's other measures do not depend on the scores (`ofi variants` counts
 * them once). scale is ofi_group_scale(ctx, v, n): 128-bit fixed-point sums, each thread
 * owning a range of groups; with scale < 0 the groups are summed one by one after a
 * counting sort (Shewchuk). The same result for any thread count.
 * @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_group_sums(ofi_ctx *ctx, const double *v, size_t n, int scale,
                          const uint32_t *key, uint32_t n_groups, double *out, double *total);

/* Map 64-bit keys (UINT64_MAX = none) to dense group numbers in order of first
 * appearance. *n_groups receives the count; firsts, when not NULL, gets a malloc'd
 * array of each group's key. @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_densify(ofi_ctx *ctx, size_t n, const uint64_t *keys, uint32_t *group,
                       uint32_t *n_groups, uint64_t **group_keys);

#endif
