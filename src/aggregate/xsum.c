/* xsum.c - Shewchuk's exact summation with CPython's final correct rounding (math.fsum).
 *
 * Invariant: p[0..n) are non-zero, non-overlapping and increasing in magnitude, and their
 * exact sum is the exact sum of everything added. Must be compiled without -ffast-math
 * and with -ffp-contract=off: each two-sum below relies on IEEE rounding of every step.
 */
#include <stddef.h>

#include "ofi/xsum.h"

void ofi_xsum_add(ofi_xsum *s, double x)
{
    int i = 0;
    for (int j = 0; j < s->n; j++) {
        double y = s->p[j];
        if ((x < 0 ? -x : x) < (y < 0 ? -y : y)) {
            double t = x;
            x = y;
            y = t;
        }
        double hi = x + y;
        double lo = y - (hi - x);
        if (lo != 0.0)
            s->p[i++] = lo;
        x = hi;
    }
    if (x != 0.0 && i < OFI_XSUM_MAX) /* i < 2098 always holds for finite doubles */
        s->p[i++] = x;
    s->n = i;
}

void ofi_xsum_merge(ofi_xsum *a, const ofi_xsum *b)
{
    for (int j = 0; j < b->n; j++)
        ofi_xsum_add(a, b->p[j]);
}

double ofi_xsum_result(const ofi_xsum *s)
{
    int n = s->n;
    double hi = 0.0, lo = 0.0;
    if (n > 0) {
        hi = s->p[--n];
        /* Sum from the top until the result becomes inexact. */
        while (n > 0) {
            double x = hi;
            double y = s->p[--n];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0)
                break;
        }
        /* Round half-even correctly when the rest would tip a tie: make the half-way case
         * exact by looking at the sign of the next partial, as CPython does. */
        if (n > 0 && ((lo < 0.0 && s->p[n - 1] < 0.0) || (lo > 0.0 && s->p[n - 1] > 0.0))) {
            double y = lo * 2.0;
            double x = hi + y;
            double yr = x - hi;
            if (y == yr)
                hi = x;
        }
    }
    return hi;
}

double ofi_fsum(const double *x, size_t n)
{
    ofi_xsum s;
    ofi_xsum_init(&s);
    for (size_t i = 0; i < n; i++)
        ofi_xsum_add(&s, x[i]);
    return ofi_xsum_result(&s);
}
