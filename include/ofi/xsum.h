/* xsum.h - exact, correctly rounded sums of doubles (Python's math.fsum), order-free.
 *
 * An accumulator keeps the running sum exactly as a short list of non-overlapping
 * partials (Shewchuk's algorithm). The rounded result depends only on the multiset of
 * values added, never on their order or on how partial sums were merged, which is what
 * makes every total identical across thread counts and chunk sizes.
 *
 * Partials are non-overlapping, so finite doubles (exponents -1074..1023) never need more
 * than 2098 of them; the fixed array has room for all (16 KiB: keep accumulators on the
 * stack or in small numbers). Real data needs a handful. Values must be finite (the
 * loaders reject nan and inf); an overflowing total is not supported (it needs
 * magnitudes near 1e308).
 */
#ifndef OFI_XSUM_H
#define OFI_XSUM_H

#include <stddef.h>

#define OFI_XSUM_MAX 2100

typedef struct ofi_xsum {
    int n;
    double p[OFI_XSUM_MAX];
} ofi_xsum;

static inline void ofi_xsum_init(ofi_xsum *s)
{
    s->n = 0;
}

/* Add x exactly. */
void ofi_xsum_add(ofi_xsum *s, double x);

/* Add every partial of b to a (exact). */
void ofi_xsum_merge(ofi_xsum *a, const ofi_xsum *b);

/* The sum correctly rounded to a double (round half to even), as math.fsum. */
double ofi_xsum_result(const ofi_xsum *s);

/* Exact sum of n values, correctly rounded. */
double ofi_fsum(const double *x, size_t n);

#endif
