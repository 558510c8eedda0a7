/* test_xsum.c - exact, correctly rounded, order-free sums (xsum.h).
 *
 * Vectors from CPython's test_math.testFsum, half-way rounding cases, merges of partial
 * accumulators, and random sums checked against an exact reference: values that are
 * integer multiples of 2^-40 below 2^60, summed exactly as __int128 and rounded once.
 */
/* xsum.h uses size_t without including <stddef.h> (reported); include it first. */
#include <stddef.h>

#include "ofi/xsum.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sum_of(const double *x, size_t n)
{
    return ofi_fsum(x, n);
}

static void expect_bits(double got, double want, const char *what)
{
    cr_expect(memcmp(&got, &want, sizeof got) == 0, "%s: got %a (%.17g), expected %a (%.17g)",
              what, got, got, want, want);
}

Test(xsum, cancellation_every_order)
{
    const double v[3] = {1e16, 1.0, -1e16};
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int p = 0; p < 6; p++) {
        double x[3] = {v[perm[p][0]], v[perm[p][1]], v[perm[p][2]]};
        expect_bits(sum_of(x, 3), 1.0, "1e16 + 1 - 1e16");
    }
    const double w[3] = {1e100, 1.0, -1e100};
    expect_bits(sum_of(w, 3), 1.0, "[1e100, 1.0, -1e100]");
}

Test(xsum, cpython_vectors)
{
    expect_bits(sum_of(NULL, 0), 0.0, "[]");
    const double z[1] = {0.0};
    expect_bits(sum_of(z, 1), 0.0, "[0.0]");
    double tenth[10];
    for (int i = 0; i < 10; i++)
        tenth[i] = 0.1;
    expect_bits(sum_of(tenth, 10), 1.0, "[0.1]*10");
    const double a[7] = {1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50};
    expect_bits(sum_of(a, 7), 1e-100, "[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50]");
    const double b[3] = {0x1p53, -0.5, -0x1p-54};
    expect_bits(sum_of(b, 3), 0x1p53 - 1.0, "[2**53, -0.5, -2**-54]");
    const double c[3] = {0x1p53, 1.0, 0x1p-100};
    expect_bits(sum_of(c, 3), 0x1p53 + 2.0, "[2**53, 1.0, 2**-100]");
    const double d[3] = {0x1p53 + 10.0, 1.0, 0x1p-100};
    expect_bits(sum_of(d, 3), 0x1p53 + 12.0, "[2**53+10, 1.0, 2**-100]");
    const double e[3] = {0x1p53 - 4.0, 0.5, 0x1p-54};
    expect_bits(sum_of(e, 3), 0x1p53 - 3.0, "[2**53-4, 0.5, 2**-54]");
    double h[1000];
    for (int n = 1; n <= 1000; n++)
        h[n - 1] = 1.0 / n;
    expect_bits(sum_of(h, 1000), 0x1.df11f45f4e61ap+2, "[1/n for n in 1..1000]");
    for (int n = 1; n <= 1000; n++)
        h[n - 1] = (n % 2 ? -1.0 : 1.0) / n;
    expect_bits(sum_of(h, 1000), -0x1.62a2af1bd3624p-1, "[(-1)**n/n for n in 1..1000]");
    const double f[3] = {1e16, 1., 1e-16};
    expect_bits(sum_of(f, 3), 10000000000000002.0, "[1e16, 1., 1e-16]");
    const double g[4] = {1e16 - 2., 1. - 0x1p-53, -(1e16 - 2.), -(1. - 0x1p-53)};
    expect_bits(sum_of(g, 4), 0.0, "[1e16-2, 1-2**-53, -(1e16-2), -(1-2**-53)]");
    /* Telescoping differences of 1.7**i: each difference is exact (Sterbenz). */
    double t[1002], terms[1001];
    for (int i = 0; i <= 1000; i++)
        terms[i] = pow(1.7, i);
    for (int i = 0; i < 1000; i++)
        t[i] = terms[i + 1] - terms[i];
    t[1000] = -terms[1000];
    expect_bits(sum_of(t, 1001), -terms[0], "telescoping 1.7**i");
}

Test(xsum, cpython_many_partials)
{
    /* [2**n - 2**(n+50) + 2**(n+52) for n in range(-1074, 972, 2)] + [-2**1022]: exercises
     * a long list of partials spread over the whole exponent range (CPython needs 1022).
     * BUG (reported): ofi_xsum_add drops the running sum once OFI_XSUM_MAX (64) partials
     * are in use, so the result is wrong, not just inexact. */
    double v[1100];
    size_t k = 0;
    for (int n = -1074; n < 972; n += 2)
        v[k++] = ldexp(1.0, n) - ldexp(1.0, n + 50) + ldexp(1.0, n + 52);
    v[k++] = -ldexp(1.0, 1022);
    expect_bits(sum_of(v, k), 0x1.5555555555555p+970, "CPython partials vector");
}

Test(xsum, more_than_64_partials_modest_range)
{
    /* The same pattern over exponents -120..20 only: 70 values, each leaving one partial,
     * so the exact sum needs 70 partials (math.fsum: 0x1.0000000000001p+70). xsum.h's
     * "at most ~40 partials" does not hold: non-overlapping partials may hold a few bits
     * each. */
    double v[70];
    size_t k = 0;
    for (int n = -120; n < 20; n += 2)
        v[k++] = ldexp(1.0, n) - ldexp(1.0, n + 50) + ldexp(1.0, n + 52);
    expect_bits(sum_of(v, k), 0x1.0000000000001p+70, "70 partials");
}

Test(xsum, halfway_rounding)
{
    const double u = 0x1p-53; /* half an ulp of 1.0 */
    const double a[2] = {1.0, u};
    expect_bits(sum_of(a, 2), 1.0, "1 + 2**-53: tie to even (down)");
    const double b[3] = {1.0, u, 0x1p-106};
    expect_bits(sum_of(b, 3), 1.0 + 0x1p-52, "1 + 2**-53 + 2**-106: above the tie");
    const double c[3] = {1.0, u, -0x1p-106};
    expect_bits(sum_of(c, 3), 1.0, "1 + 2**-53 - 2**-106: below the tie");
    const double d[2] = {1.0 + 0x1p-52, u};
    expect_bits(sum_of(d, 2), 1.0 + 0x1p-51, "odd + half: tie to even (up)");
    const double e[3] = {1.0 + 0x1p-52, u, -0x1p-106};
    expect_bits(sum_of(e, 3), 1.0 + 0x1p-52, "odd + half - tiny: below the tie");
    const double f[4] = {1.0, u, 0x1p-300, -0x1p-301};
    expect_bits(sum_of(f, 4), 1.0 + 0x1p-52, "tie broken by a far partial");
    const double g[3] = {-1.0, -u, -0x1p-106};
    expect_bits(sum_of(g, 3), -1.0 - 0x1p-52, "negative, above the tie");
    const double h[4] = {0x1p-106, 1.0, -0x1p-107, u};
    expect_bits(sum_of(h, 4), 1.0 + 0x1p-52, "tie broken, values in another order");
    const double i[2] = {0x1p53, 1.0};
    expect_bits(sum_of(i, 2), 0x1p53, "2**53 + 1: tie to even");
    const double j[3] = {0x1p53, 1.0, 0x1p-60};
    expect_bits(sum_of(j, 3), 0x1p53 + 2.0, "2**53 + 1 + tiny");
}

Test(xsum, accumulator_api_and_merge)
{
    ofi_xsum a, b, all;
    ofi_xsum_init(&a);
    cr_expect_eq(ofi_xsum_result(&a), 0.0);
    ofi_xsum_add(&a, 0.0);
    cr_expect_eq(a.n, 0, "zeros add no partial");
    ofi_xsum_init(&b);
    ofi_xsum_init(&all);
    const double v[6] = {1e16, 3.0, 0.1, -1e16, 0x1p-60, -0.1};
    for (int i = 0; i < 6; i++) {
        ofi_xsum_add(i < 3 ? &a : &b, v[i]);
        ofi_xsum_add(&all, v[i]);
    }
    ofi_xsum_merge(&a, &b);
    expect_bits(ofi_xsum_result(&a), ofi_xsum_result(&all), "merge of two halves");
    expect_bits(ofi_xsum_result(&a), 3.0 + 0x1p-60, "exact value");
    /* Merging an empty accumulator changes nothing; merging into one copies. */
    ofi_xsum e;
    ofi_xsum_init(&e);
    ofi_xsum_merge(&a, &e);
    expect_bits(ofi_xsum_result(&a), 3.0 + 0x1p-60, "merge of empty");
    ofi_xsum_merge(&e, &all);
    expect_bits(ofi_xsum_result(&e), 3.0 + 0x1p-60, "merge into empty");
}

/* Values m * 2^s with m < 2^53 and s in [-40, 6]: multiples of 2^-40 below 2^59. */
static double rand_value(unit_rng *r, __int128 *fixed)
{
    const int64_t m = (int64_t)(unit_next(r) >> 11);
    int s;
    switch (unit_below(r, 4)) {
    case 0:
        s = -40; /* small, many bits below 1 */
        break;
    case 1:
        s = 6; /* large */
        break;
    default:
        s = (int)unit_below(r, 47) - 40;
        break;
    }
    const int neg = (int)unit_below(r, 2);
    *fixed = (__int128)m << (s + 40);
    if (neg)
        *fixed = -*fixed;
    return ldexp(neg ? -(double)m : (double)m, s);
}

/* The exact sum, rounded once: (double) of an __int128 rounds to nearest even (libgcc's
 * __floattidf), and the scaling by 2^-40 is exact. */
static double ref_round(__int128 s)
{
    return ldexp((double)s, -40);
}

Test(xsum, random_against_exact_reference)
{
    unit_rng r = unit_seed("xsum.random_against_exact_reference");
    enum { N = 4000 };
    static double v[N];
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + unit_below(&r, N);
        __int128 exact = 0;
        for (size_t i = 0; i < n; i++) {
            __int128 f;
            v[i] = rand_value(&r, &f);
            exact += f;
            /* Heavy cancellation: often follow a value by almost its negation. */
            if (i + 1 < n && unit_below(&r, 3) == 0) {
                i++;
                v[i] = -v[i - 1] + ldexp((double)unit_below(&r, 1024) - 512.0, -40);
                /* Still on the 2^-40 grid: below 2^13 the sum is exact, above it the
                 * rounded double is a multiple of its ulp (>= 2^-40). */
                double t = ldexp(v[i], 40);
                cr_assert(t == (double)(__int128)t);
                exact += (__int128)t;
            }
        }
        double want = ref_round(exact);
        double got = ofi_fsum(v, n);
        cr_assert(memcmp(&got, &want, sizeof got) == 0,
                  "round %d (n %zu): fsum %a, exact %a", round, n, got, want);
    }
}

Test(xsum, permutation_and_merge_independent)
{
    unit_rng r = unit_seed("xsum.permutation_and_merge_independent");
    enum { N = 20000 };
    static double v[N];
    for (int round = 0; round < 20; round++) {
        /* Wide magnitudes, both signs: 1e-20 .. 1e20 and exact opposites. */
        for (size_t i = 0; i < N; i++) {
            double m = (double)(unit_next(&r) >> 11) / 0x1p53;
            int e = (int)unit_below(&r, 133) - 66;
            v[i] = ldexp(unit_below(&r, 2) ? -m : m, e);
            if (i && unit_below(&r, 5) == 0)
                v[i] = -v[unit_below(&r, i)];
        }
        const double base = ofi_fsum(v, N);
        for (int shuffle = 0; shuffle < 3; shuffle++) {
            for (size_t i = N - 1; i > 0; i--) {
                size_t j = unit_below(&r, i + 1);
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
            double got = ofi_fsum(v, N);
            cr_assert(memcmp(&got, &base, sizeof got) == 0, "shuffled sum %a, first %a", got,
                      base);
            /* Split into k accumulators at random cuts and merge them in order. */
            int k = 2 + (int)unit_below(&r, 7);
            ofi_xsum acc[9];
            size_t cut = 0;
            for (int a = 0; a < k; a++) {
                ofi_xsum_init(&acc[a]);
                size_t end = a + 1 == k ? N : cut + unit_below(&r, N - cut + 1);
                for (; cut < end; cut++)
                    ofi_xsum_add(&acc[a], v[cut]);
            }
            for (int a = k - 1; a > 0; a--)
                ofi_xsum_merge(&acc[a - 1], &acc[a]);
            double merged = ofi_xsum_result(&acc[0]);
            cr_assert(memcmp(&merged, &base, sizeof merged) == 0,
                      "merged (%d parts) %a, sequential %a", k, merged, base);
        }
    }
}
