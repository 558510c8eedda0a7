/* test_quantile.c - numpy's default linear quantile, to the bit (aggregate.h, SPEC 4). */
#include "ofi/aggregate.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* SPEC section 4, written out: pos = (n-1)*q, i = floor(pos), t = pos - i; a[n-1] when
 * i >= n-1; else d = a[i+1] - a[i] and a[i] + d*t (t < 0.5) or a[i+1] - d*(1-t). */
static double spec_quantile(const double *a, size_t n, double q)
{
    double pos = (double)(n - 1) * q;
    double fl = floor(pos);
    size_t i = (size_t)fl;
    double t = pos - fl;
    if (i >= n - 1)
        return a[n - 1];
    double d = a[i + 1] - a[i];
    if (t < 0.5)
        return a[i] + d * t;
    return a[i + 1] - d * (1.0 - t);
}

static const double QS[] = {1.0 / 3.0, 2.0 / 3.0, 0.5, 0.9, 0.99};
#define N_QS (sizeof QS / sizeof QS[0])

static void expect_same(const double *a, size_t n, double q)
{
    double got = ofi_quantile(a, n, q), want = spec_quantile(a, n, q);
    cr_assert(memcmp(&got, &want, sizeof got) == 0, "n %zu q %.17g: got %a, expected %a", n, q,
              got, want);
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

Test(quantile, known_values)
{
    const double one[1] = {7.25};
    for (size_t k = 0; k < N_QS; k++)
        cr_expect_eq(ofi_quantile(one, 1, QS[k]), 7.25);
    const double two[2] = {1.0, 3.0};
    cr_expect_eq(ofi_quantile(two, 2, 0.5), 2.0);
    cr_expect_eq(ofi_quantile(two, 2, 0.99), 3.0 - 2.0 * (1.0 - 0.99));
    const double three[3] = {1.0, 2.0, 4.0};
    cr_expect_eq(ofi_quantile(three, 3, 0.5), 2.0);
    const double four[4] = {1, 2, 3, 4};
    /* 3 * (1/3) and 3 * (2/3) round to exactly 1 and 2: numpy gives 2.0 and 3.0. */
    cr_expect_eq(ofi_quantile(four, 4, 1.0 / 3.0), 2.0);
    cr_expect_eq(ofi_quantile(four, 4, 2.0 / 3.0), 3.0);
    double ten[10];
    for (int i = 0; i < 10; i++)
        ten[i] = i;
    cr_expect_eq(ofi_quantile(ten, 10, 0.5), 4.5);
    /* np.quantile(range(10), 0.9) == 8.1 and (0.99) == 8.91 (as doubles, numpy's bits). */
    cr_expect_eq(ofi_quantile(ten, 10, 0.9), 8.1);
    cr_expect_eq(ofi_quantile(ten, 10, 0.99), 8.91);
    cr_expect_eq(ofi_quantile(ten, 10, 1.0 / 3.0), 3.0);
    cr_expect_eq(ofi_quantile(ten, 10, 2.0 / 3.0), 6.0);
    cr_expect_eq(ofi_quantile(ten, 10, 0.0), 0.0);
    cr_expect_eq(ofi_quantile(ten, 10, 1.0), 9.0);
}

Test(quantile, spec_formula_small_n)
{
    unit_rng r = unit_seed("quantile.spec_formula_small_n");
    static const size_t ns[] = {1, 2, 3, 10};
    double a[10];
    for (int round = 0; round < 2000; round++) {
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
            size_t n = ns[k];
            for (size_t i = 0; i < n; i++) {
                switch (unit_below(&r, 3)) {
                case 0:
                    a[i] = (double)unit_below(&r, 5) * 0.1; /* ties, inexact values */
                    break;
                case 1:
                    a[i] = ldexp((double)(unit_next(&r) >> 11), (int)unit_below(&r, 40) - 60);
                    break;
                default:
                    a[i] = (double)(int64_t)(unit_next(&r) >> 30) * 1e-3 - 1e10;
                    break;
                }
            }
            qsort(a, n, sizeof *a, cmp_d);
            for (size_t q = 0; q < N_QS; q++)
                expect_same(a, n, QS[q]);
        }
    }
}

Test(quantile, ties)
{
    const double same[5] = {0.1, 0.1, 0.1, 0.1, 0.1};
    for (size_t q = 0; q < N_QS; q++)
        cr_expect_eq(ofi_quantile(same, 5, QS[q]), 0.1, "all equal: the value itself");
    const double t[6] = {1.0, 1.0, 1.0, 2.0, 2.0, 2.0};
    cr_expect_eq(ofi_quantile(t, 6, 1.0 / 3.0), 1.0);
    cr_expect_eq(ofi_quantile(t, 6, 0.5), 1.5);
    cr_expect_eq(ofi_quantile(t, 6, 2.0 / 3.0), 2.0);
    cr_expect_eq(ofi_quantile(t, 6, 0.9), 2.0);
    for (size_t q = 0; q < N_QS; q++)
        expect_same(t, 6, QS[q]);
    /* t >= 0.5 between equal neighbours returns the upper one exactly. */
    const double u[3] = {0.3, 0.7, 0.7};
    for (size_t q = 0; q < N_QS; q++)
        expect_same(u, 3, QS[q]);
    cr_expect_eq(ofi_quantile(u, 3, 0.9), 0.7);
}

Test(quantile, large_n)
{
    unit_rng r = unit_seed("quantile.large_n");
    const size_t n = 100003;
    double *a = malloc(n * sizeof *a);
    cr_assert_not_null(a);
    for (size_t i = 0; i < n; i++)
        a[i] = (double)(unit_next(&r) >> 11) / 0x1p40;
    qsort(a, n, sizeof *a, cmp_d);
    for (size_t q = 0; q < N_QS; q++)
        expect_same(a, n, QS[q]);
    free(a);
}

/* ofi_quantile_desc reads the same values through a descending order, with no copy. */
Test(quantile, through_a_descending_order)
{
    unit_rng r = unit_seed("quantile.through_a_descending_order");
    const size_t sizes[] = {1, 2, 3, 10, 1001};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const size_t n = sizes[s];
        double *v = malloc(n * sizeof *v), *asc = malloc(n * sizeof *asc);
        uint32_t *order = malloc(n * sizeof *order);
        cr_assert(v && asc && order);
        for (size_t i = 0; i < n; i++)
            v[i] = (double)unit_below(&r, 50) / 7.0; /* ties on purpose */
        memcpy(asc, v, n * sizeof *v);
        qsort(asc, n, sizeof *asc, cmp_d);
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        int64_t *ids = malloc(n * sizeof *ids);
        cr_assert(ids);
        for (size_t i = 0; i < n; i++)
            ids[i] = (int64_t)i;
        cr_assert_eq(ofi_sort_desc(&ctx, n, v, ids, order), OFI_OK);
        for (size_t q = 0; q < N_QS; q++) {
            double want = ofi_quantile(asc, n, QS[q]), got = ofi_quantile_desc(v, order, n, QS[q]);
            cr_expect(memcmp(&want, &got, sizeof want) == 0, "n %zu q %g: %a vs %a", n, QS[q],
                      want, got);
        }
        free(v);
        free(asc);
        free(order);
        free(ids);
    }
}
