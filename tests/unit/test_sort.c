/* test_sort.c - ofi_sort_desc (aggregate.h): value descending, then id ascending, stable;
 * ofi_sort_desc_ties' runs of equal values.
 *
 * The reference is qsort on (value desc, id asc, index asc): the radix sort is stable, so
 * rows equal in value and id keep their input order. Thread counts 1, 2 and 4 must give
 * the same permutation.
 */
#include "ofi/aggregate.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double *g_val;
static const int64_t *g_id;

static int ref_cmp(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    double va = g_val[a], vb = g_val[b]; /* -0.0 == 0.0 under these comparisons */
    if (va != vb)
        return va > vb ? -1 : 1;
    if (g_id[a] != g_id[b])
        return g_id[a] < g_id[b] ? -1 : 1;
    return (a > b) - (a < b);
}

static void ref_sort(size_t n, const double *v, const int64_t *id, uint32_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    g_val = v;
    g_id = id;
    qsort(order, n, sizeof *order, ref_cmp);
}

/* Any finite double, every bit pattern equally likely. */
static double any_finite(unit_rng *r)
{
    double d;
    do {
        const uint64_t b = unit_next(r);
        memcpy(&d, &b, sizeof d);
    } while (!isfinite(d));
    return d;
}

/* A value to sort: a few values with many ties, zeros of both signs, any finite double,
 * or a score (0..200 with 6 decimals, most often). */
static double random_value(unit_rng *r)
{
    switch (unit_below(r, 5)) {
    case 0:
        return (double)((int)unit_below(r, 41) - 20) / 8.0;
    case 1:
        return unit_below(r, 2) ? 0.0 : -0.0;
    case 2:
        return any_finite(r);
    default:
        return (double)unit_below(r, 200000000) / 1e6;
    }
}

static void sort_with(int threads, size_t n, const double *v, const int64_t *id, uint32_t *order)
{
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.n_threads = threads;
    cr_assert_eq(ofi_sort_desc(&ctx, n, v, id, order), OFI_OK, "%s", ctx.err);
}

static void check_all_threads(size_t n, const double *v, const int64_t *id)
{
    uint32_t *want = malloc((n ? n : 1) * sizeof *want);
    uint32_t *got = malloc((n ? n : 1) * sizeof *got);
    cr_assert(want && got);
    ref_sort(n, v, id, want);
    static const int threads[] = {1, 2, 4};
    for (size_t t = 0; t < 3; t++) {
        memset(got, 0xFF, (n ? n : 1) * sizeof *got);
        sort_with(threads[t], n, v, id, got);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(got[i], want[i],
                         "%d threads, n %zu: position %zu holds row %u (%.17g, id %lld), "
                         "expected row %u (%.17g, id %lld)",
                         threads[t], n, i, got[i], v[got[i] % n], (long long)id[got[i] % n],
                         want[i], v[want[i]], (long long)id[want[i]]);
        /* ofi_sort_desc_ties: the same order, and the runs of equal values. */
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ctx.n_threads = threads[t];
        uint8_t *tied = malloc(n ? n : 1);
        cr_assert(tied != NULL);
        memset(tied, 0xEE, n ? n : 1);
        cr_assert_eq(ofi_sort_desc_ties(&ctx, n, v, id, got, tied), OFI_OK, "%s", ctx.err);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(got[i], want[i], "ties: %d threads, n %zu: position %zu", threads[t], n, i);
            const int eq = i > 0 && v[want[i]] == v[want[i - 1]];
            cr_assert_eq(tied[i], eq, "%d threads, n %zu: tied[%zu] = %d (%.17g after %.17g)",
                         threads[t], n, i, tied[i], v[want[i]], i ? v[want[i - 1]] : 0.0);
        }
        free(tied);
    }
    free(want);
    free(got);
}

Test(sort, empty_and_one)
{
    uint32_t order[1] = {12345};
    double v = 1.0;
    int64_t id = 7;
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    cr_assert_eq(ofi_sort_desc(&ctx, 0, &v, &id, order), OFI_OK);
    cr_expect_eq(order[0], 12345, "n = 0 writes nothing");
    ctx.n_threads = 4;
    cr_assert_eq(ofi_sort_desc(&ctx, 0, &v, &id, order), OFI_OK);
    for (int t = 1; t <= 4; t *= 2) {
        order[0] = 12345;
        sort_with(t, 1, &v, &id, order);
        cr_expect_eq(order[0], 0);
    }
}

Test(sort, small_known)
{
    const double v[6] = {1.5, 3.0, -2.0, 3.0, 0.0, 1.5};
    const int64_t id[6] = {10, 20, 30, -5, 40, 9};
    uint32_t order[6];
    sort_with(1, 6, v, id, order);
    const uint32_t want[6] = {3, 1, 5, 0, 4, 2};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(order[i], want[i], "position %d: %u, expected %u", i, order[i], want[i]);
}

Test(sort, negative_zero_equals_zero)
{
    const double v[6] = {0.0, -0.0, 0.0, -0.0, -1e-300, 1e-300};
    const int64_t id[6] = {4, 3, 2, 1, 0, 100};
    uint32_t order[6];
    for (int t = 1; t <= 4; t *= 2) {
        sort_with(t, 6, v, id, order);
        /* 1e-300 first; then the four zeros by id ascending; then -1e-300. */
        const uint32_t want[6] = {5, 3, 2, 1, 0, 4};
        for (int i = 0; i < 6; i++)
            cr_expect_eq(order[i], want[i], "%d threads, position %d: %u, expected %u", t, i,
                         order[i], want[i]);
    }
}

Test(sort, extreme_ids_and_values)
{
    const double v[8] = {1.0, 1.0, 1.0, 1.0, 1.0, INFINITY, -INFINITY, 1.7976931348623157e308};
    const int64_t id[8] = {INT64_MAX, INT64_MIN + 1, -1, 0, 1, 5, 5, 5};
    check_all_threads(8, v, id);
    uint32_t order[8];
    sort_with(1, 8, v, id, order);
    const uint32_t want[8] = {5, 7, 1, 2, 3, 4, 0, 6};
    for (int i = 0; i < 8; i++)
        cr_expect_eq(order[i], want[i], "position %d: %u, expected %u", i, order[i], want[i]);
}

Test(sort, random_100k_many_ties)
{
    unit_rng r = unit_seed("sort.random_100k_many_ties");
    const size_t n = 100000;
    double *v = malloc(n * sizeof *v);
    int64_t *id = malloc(n * sizeof *id);
    cr_assert(v && id);
    for (size_t i = 0; i < n; i++) {
        v[i] = random_value(&r);
        switch (unit_below(&r, 3)) {
        case 0:
            id[i] = (int64_t)unit_below(&r, 50) - 25; /* repeated ids, negatives */
            break;
        case 1:
            id[i] = (int64_t)i;
            break;
        default: {
            uint64_t x = unit_next(&r);
            id[i] = x == (uint64_t)INT64_MIN ? INT64_MAX : (int64_t)x;
            break;
        }
        }
    }
    check_all_threads(n, v, id);
    /* Odd sizes, so that thread blocks have unequal lengths. */
    check_all_threads(1001, v, id);
    check_all_threads(3, v, id);
    free(v);
    free(id);
}

Test(sort, all_equal_keys_keep_input_order)
{
    const size_t n = 5000;
    double *v = malloc(n * sizeof *v);
    int64_t *id = malloc(n * sizeof *id);
    for (size_t i = 0; i < n; i++) {
        v[i] = i % 2 ? -0.0 : 0.0;
        id[i] = 42;
    }
    uint32_t *order = malloc(n * sizeof *order);
    for (int t = 1; t <= 4; t *= 2) {
        sort_with(t, n, v, id, order);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(order[i], i, "%d threads: position %zu holds %u", t, i, order[i]);
    }
    free(v);
    free(id);
    free(order);
}

/* Rows in id order take the one-buffer path (a scatter on the top 16 bits of the key
 * range, then each run sorted alone): every shape of run it distinguishes. */
Test(sort, rows_in_id_order)
{
    unit_rng r = unit_seed("sort.rows_in_id_order");
    const size_t n = 300000;
    double *v = malloc(n * sizeof *v);
    int64_t *id = malloc(n * sizeof *id);
    cr_assert(v && id);
    for (size_t i = 0; i < n; i++)
        id[i] = (int64_t)i * 3 - 1000;
    for (size_t i = 0; i < n; i++)
        v[i] = random_value(&r);
    check_all_threads(n, v, id);
    check_all_threads(1001, v, id);
    /* Runs of one top digit longer than a thread's scratch (65536): most values within a
     * few ulps-thousands of one score, the rest spread. */
    for (size_t i = 0; i < n; i++)
        v[i] = i % 10 ? 100.0 + (double)unit_below(&r, 1000000) * 1e-12
                      : (double)unit_below(&r, 1000000);
    check_all_threads(n, v, id);
    /* Runs whose keys differ only above their low 32 bits (multiples of 1/1024 near 1024;
     * the extremes widen the range, so a run is 1/32 of an octave, thousands of rows). */
    for (size_t i = 0; i < n; i++)
        v[i] = i % 2 ? 1024.0 + (double)unit_below(&r, 65536) / 1024.0 : i % 4 ? 1e-300 : 1e300;
    check_all_threads(n, v, id);
    /* A key range of at most 16 bits: the scatter alone sorts (every run is one value). */
    for (size_t i = 0; i < n; i++) {
        v[i] = 7.0;
        for (uint64_t k = unit_below(&r, 300); k > 0; k--)
            v[i] = nextafter(v[i], 8.0);
    }
    check_all_threads(n, v, id);
    /* One value: row order. */
    for (size_t i = 0; i < n; i++)
        v[i] = 2.5;
    check_all_threads(n, v, id);
    free(v);
    free(id);
}
