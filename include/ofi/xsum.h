/* xsum.h - exact, correctly rounded sums of doubles (Python's math.fsum), order-free.
 *
 * An accumulator keeps the running sum exactly as a short list of non-overlapping
 * partials (Shewchuk's algorithm). The rounded result depends only on the multiset of
 * values added, never on their order or on how partial sums were merged, which is what
 * makes every total identical across thread counts and chunk sizes.
 *
 * A sum of finite doubles needs at most ~40 partials; the fixed array has room for more.
 * Values must be finite (the loaders reject nan and inf); an overflowing total is not
 * supported (it would need magnitudes near 1e308).
 */
#ifndef OFI_XSUM_H
#define OFI_XSUM_H

#define OFI_XSUM_MAX 64

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
