/* aggregate.c - parallel radix sort of cases, numpy quantiles, exact grouped measures.
 *
 * Grouping sorts the case numbers by group (a counting sort, stable) and then measures
 * each group from its own contiguous run, in parallel over groups. A group's exact OFI
 * sum is a local accumulator on the stack: no per-group accumulator arrays, whatever the
 * number of groups (customers can be millions).
 */
#include "ofi/aggregate.h"

#include "ofi/schema.h"
#include "ofi/xsum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---- sort ------------------------------------------------------------------------------ */

/* A sort record: a 64-bit key and the row it came from, packed into 12 bytes (x86 reads
 * unaligned keys at full speed; the sort's memory is a quarter smaller). */
typedef struct __attribute__((packed)) sortrec {
    uint64_t k;
    uint32_t idx;
} sortrec;

/* Map a double to an unsigned key with the same order (-0.0 as 0.0). */
static uint64_t dkey(double v)
{
    if (v == 0.0)
        v = 0.0;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

#define RADIX_BITS 16
#define RADIX (1u << RADIX_BITS)

/* One stable counting-sort pass on a 16-bit digit, parallel by contiguous blocks: thread
 * t's elements of digit d go after those of all threads < t, so stability holds and the
 * result is the same for any thread count. Skipped when every element shares the digit
 * (the high digits of ids and of similar scores often do). */
static int radix_pass(int nt, size_t n, const sortrec *src, sortrec *dst, int shift,
                      size_t *hist /* nt * RADIX */)
{
    memset(hist, 0, (size_t)nt * RADIX * sizeof *hist);
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        size_t lo = n * (size_t)t / (size_t)nt, hi = n * (size_t)(t + 1) / (size_t)nt;
        size_t *h = hist + (size_t)t * RADIX;
        for (size_t i = lo; i < hi; i++)
            h[(src[i].k >> shift) & (RADIX - 1)]++;
    }
    for (unsigned d = 0; d < RADIX; d++) {
        size_t tot = 0;
        for (int t = 0; t < nt; t++)
            tot += hist[(size_t)t * RADIX + d];
        if (tot == n)
            return 0;
        if (tot)
            break;
    }
    size_t off = 0;
    for (unsigned d = 0; d < RADIX; d++)
        for (int t = 0; t < nt; t++) {
            size_t c = hist[(size_t)t * RADIX + d];
            hist[(size_t)t * RADIX + d] = off;
            off += c;
        }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        size_t lo = n * (size_t)t / (size_t)nt, hi = n * (size_t)(t + 1) / (size_t)nt;
        size_t *h = hist + (size_t)t * RADIX;
        for (size_t i = lo; i < hi; i++)
            dst[h[(src[i].k >> shift) & (RADIX - 1)]++] = src[i];
    }
    return 1;
}

/* Stable LSD radix sort of a[0..n) by k; returns the buffer holding the result. */
static sortrec *radix_sort(int nt, size_t n, sortrec *a, sortrec *b, size_t *hist)
{
    for (int shift = 0; shift < 64; shift += RADIX_BITS)
        if (radix_pass(nt, n, a, b, shift, hist)) {
            sortrec *t = a;
            a = b;
            b = t;
        }
    return a;
}

/* Stable LSD sort of a small run a[0..c) on the low `bits` bits of k, 8 bits a pass, through
 * tmp (c records); insertion sort when short. Sequential: runs are sorted in parallel. */
static void sort_run(sortrec *a, size_t c, sortrec *tmp, int bits)
{
    if (c <= 32) {
        for (size_t i = 1; i < c; i++) {
            const sortrec x = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1].k > x.k; j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
        return;
    }
    sortrec *src = a, *dst = tmp;
    for (int shift = 0; shift < bits; shift += 8) {
        size_t cnt[256] = {0};
        for (size_t i = 0; i < c; i++)
            cnt[(src[i].k >> shift) & 255]++;
        if (cnt[(src[0].k >> shift) & 255] == c)
            continue; /* every record shares this digit */
        size_t off = 0;
        for (int d = 0; d < 256; d++) {
            const size_t x = cnt[d];
            cnt[d] = off;
            off += x;
        }
        for (size_t i = 0; i < c; i++)
            dst[cnt[(src[i].k >> shift) & 255]++] = src[i];
        sortrec *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, c * sizeof *a);
}

/* Runs up to this long are sorted by one thread each with its own scratch; longer ones
 * (many close scores) one after the other, each by all threads. */
#define RUN_SMALL 65536

/* Rows in id order: ties go by row number, so one stable sort on the value alone is the
 * whole job, done with one buffer of records instead of LSD's two (the largest transient
 * allocation of a run). A stable MSD scatter on the top 16 bits of the keys' range, read
 * straight from the values, then every run of one digit sorted on the remaining bits.
 * Keys are stored minus the smallest key, so a run's records differ only in those bits. */
static ofi_status sort_in_row_order(ofi_ctx *ctx, int nt, size_t n, const double *value,
                                    uint32_t *order, uint8_t *tied)
{
    uint64_t lo = UINT64_MAX, hi = 0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(min : lo) reduction(max : hi)
    for (long i = 0; i < (long)n; i++) {
        const uint64_t k = ~dkey(value[i]);
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    if (lo == hi) { /* one value: row order */
#pragma omp parallel for num_threads(nt) schedule(static)
        for (long i = 0; i < (long)n; i++) {
            order[i] = (uint32_t)i;
            if (tied)
                tied[i] = i > 0;
        }
        return OFI_OK;
    }
    const int bits = 64 - __builtin_clzll(hi - lo); /* bits of the largest key - lo */
    const int shift = bits > RADIX_BITS ? bits - RADIX_BITS : 0;
    sortrec *b = malloc(n * sizeof *b);
    size_t *hist = malloc(((size_t)nt + 1) * RADIX * sizeof *hist);
    sortrec *tmp = NULL;
    ofi_status st = OFI_OK;
    if (!b || !hist) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for sorting %zu rows", n);
        goto cleanup;
    }
    memset(hist, 0, (size_t)nt * RADIX * sizeof *hist);
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        const size_t a = n * (size_t)t / (size_t)nt, z = n * (size_t)(t + 1) / (size_t)nt;
        size_t *h = hist + (size_t)t * RADIX;
        for (size_t i = a; i < z; i++)
            h[(~dkey(value[i]) - lo) >> shift]++;
    }
    /* Thread t's rows of digit d go after those of threads < t: stable, any thread count.
     * start[d] (the last RADIX entries of hist) is where digit d's run begins. */
    size_t *start = hist + (size_t)nt * RADIX, off = 0, longest = 0;
    for (unsigned d = 0; d < RADIX; d++) {
        start[d] = off;
        for (int t = 0; t < nt; t++) {
            const size_t c = hist[(size_t)t * RADIX + d];
            hist[(size_t)t * RADIX + d] = off;
            off += c;
        }
        const size_t len = off - start[d];
        longest = len > longest ? len : longest;
    }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        const size_t a = n * (size_t)t / (size_t)nt, z = n * (size_t)(t + 1) / (size_t)nt;
        size_t *h = hist + (size_t)t * RADIX;
        for (size_t i = a; i < z; i++) {
            const uint64_t k = ~dkey(value[i]) - lo;
            b[h[k >> shift]++] = (sortrec){k, (uint32_t)i};
        }
    }
    if (shift > 0) {
        const size_t small = longest < RUN_SMALL ? longest : RUN_SMALL;
        tmp = malloc(((size_t)nt * small + (longest > RUN_SMALL ? longest : 0)) * sizeof *tmp);
        if (!tmp) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for sorting %zu rows", n);
            goto cleanup;
        }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 64)
        for (long d = 0; d < (long)RADIX; d++) {
            const size_t a = start[d], len = (d + 1 < (long)RADIX ? start[d + 1] : n) - a;
            if (len > 1 && len <= RUN_SMALL)
                sort_run(b + a, len, tmp + (size_t)omp_get_thread_num() * small, shift);
        }
        if (longest > RUN_SMALL) {
            sortrec *big = tmp + (size_t)nt * small;
            for (unsigned d = 0; d < RADIX; d++) {
                const size_t a = start[d], len = (d + 1 < RADIX ? start[d + 1] : n) - a;
                if (len <= RUN_SMALL)
                    continue;
                const sortrec *r = radix_sort(nt, len, b + a, big, hist);
                if (r != b + a)
                    memcpy(b + a, r, len * sizeof *b);
            }
        }
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long i = 0; i < (long)n; i++) {
        order[i] = b[i].idx;
        if (tied) /* equal keys, equal values: each record's key is the value's, less lo */
            tied[i] = i > 0 && b[i].k == b[i - 1].k;
    }
cleanup:
    free(b);
    free(hist);
    free(tmp);
    return st;
}

ofi_status ofi_sort_desc(ofi_ctx *ctx, size_t n, const double *value, const int64_t *id,
                         uint32_t *order)
{
    return ofi_sort_desc_ties(ctx, n, value, id, order, NULL);
}

ofi_status ofi_sort_desc_ties(ofi_ctx *ctx, size_t n, const double *value, const int64_t *id,
                              uint32_t *order, uint8_t *tied)
{
    const int nt = ctx->n_threads < 1 ? 1 : ctx->n_threads;
    /* Ties on the value go by id ascending. Rows usually come in id order already; then a
     * stable sort on the value alone is enough. */
    int ascending = 1;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(& : ascending)
    for (long i = 1; i < (long)n; i++)
        ascending &= id[i - 1] < id[i];
    if (ascending)
        return n ? sort_in_row_order(ctx, nt, n, value, order, tied) : OFI_OK;
    /* Otherwise a stable LSD sort by id first, then by the value (secondary key first). */
    sortrec *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    size_t *hist = malloc((size_t)nt * RADIX * sizeof *hist);
    if (!a || !b || !hist) {
        free(a);
        free(b);
        free(hist);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for sorting %zu rows", n);
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long i = 0; i < (long)n; i++)
        a[i] = (sortrec){(uint64_t)id[i] ^ ((uint64_t)1 << 63), (uint32_t)i};
    sortrec *r = radix_sort(nt, n, a, b, hist);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long i = 0; i < (long)n; i++)
        r[i].k = ~dkey(value[r[i].idx]);
    r = radix_sort(nt, n, r, r == a ? b : a, hist);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long i = 0; i < (long)n; i++) {
        order[i] = r[i].idx;
        if (tied)
            tied[i] = i > 0 && r[i].k == r[i - 1].k;
    }
    free(a);
    free(b);
    free(hist);
    return OFI_OK;
}

_Static_assert(sizeof(ofi_gstat) == 64, "ofi_gstat: 64 bytes a group (aggregate.h)");

/* ---- quantiles ------------------------------------------------------------------------- */

/* numpy's linear interpolation between the i-th and (i+1)-th smallest values. */
static double quantile_lerp(double lo, double hi, double t)
{
    const double d = hi - lo;
    return t < 0.5 ? lo + d * t : hi - d * (1.0 - t);
}

/* Position of quantile q among n sorted values: index i and fraction t; i >= n - 1 means
 * the last value. */
static size_t quantile_pos(size_t n, double q, double *t)
{
    const double pos = (double)(n - 1) * q;
    const double fi = __builtin_floor(pos);
    *t = pos - fi;
    return (size_t)fi;
}

double ofi_quantile(const double *a, size_t n, double q)
{
    double t;
    const size_t i = quantile_pos(n, q, &t);
    return i >= n - 1 ? a[n - 1] : quantile_lerp(a[i], a[i + 1], t);
}

double ofi_quantile_desc(const double *v, const uint32_t *order, size_t n, double q)
{
    double t;
    const size_t i = quantile_pos(n, q, &t);
    /* The k-th smallest value is v[order[n - 1 - k]]. */
    if (i >= n - 1)
        return v[order[0]];
    return quantile_lerp(v[order[n - 1 - i]], v[order[n - 2 - i]], t);
}

/* ---- groups ---------------------------------------------------------------------------- */

/* The cases of each group together, in case order (a stable counting sort): group g's are
 * (*perm)[(*start)[g] .. (*start)[g + 1]). key NULL puts every case in group 0; UINT32_MAX
 * leaves a case out. The caller frees both. @return OFI_OK or OFI_E_NOMEM. */
static ofi_status group_perm(ofi_ctx *ctx, size_t n, const uint32_t *key, uint32_t n_groups,
                             size_t **start_out, uint32_t **perm_out)
{
    /* Counted at start[g + 2], summed so that start[g + 1] is where group g begins, then
     * advanced to where it ends by the placing, which leaves start[g] at its beginning. */
    size_t *start = calloc((size_t)n_groups + 2, sizeof *start);
    uint32_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!start || !perm) {
        free(start);
        free(perm);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
    }
    for (size_t i = 0; i < n; i++)
        if ((key ? key[i] : 0) != UINT32_MAX)
            start[(key ? key[i] : 0) + 2]++;
    for (uint32_t g = 0; g < n_groups; g++)
        start[g + 2] += start[g + 1];
    for (size_t i = 0; i < n; i++)
        if ((key ? key[i] : 0) != UINT32_MAX)
            perm[start[(key ? key[i] : 0) + 1]++] = (uint32_t)i;
    *start_out = start;
    *perm_out = perm;
    return OFI_OK;
}

ofi_status ofi_group_plain(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f, const double *ofi,
                     const uint32_t *key, uint32_t n_groups, ofi_gstat *out)
{
    size_t *start;
    uint32_t *perm;
    OFI_TRY(group_perm(ctx, f->n, key, n_groups, &start, &perm));
    const ofi_case_links *L = &db->links;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(dynamic, 256)
    for (long lg = 0; lg < (long)n_groups; lg++) {
        const uint32_t g = (uint32_t)lg;
        ofi_gstat s = {0};
        ofi_xsum acc;
        ofi_xsum_init(&acc);
        __int128 minutes = 0; /* 2^32 values of 63 bits: no overflow */
        s.first = UINT32_MAX;
        for (size_t k = start[g]; k < start[g + 1]; k++) {
            const uint32_t i = perm[k];
            if (s.first == UINT32_MAX)
                s.first = i;
            const unsigned fl = f->flags[i];
            s.count++;
            s.escalated += fl & 1u;
            s.reopened += (fl >> 1) & 1u;
            s.delayed += (fl >> 3) & 1u;
            s.refunded += L->refund_n[i] > 0;
            s.refund_rows += L->refund_n[i];
            s.refund_cents += L->refund_cents[i];
            minutes += ofi_feature_minutes(f, f->resolution_min, OFI_CAS_RESOLUTION_MIN, i);
            ofi_xsum_add(&acc, ofi[i]);
            if (s.count == 1 || ofi[i] > s.max_ofi)
                s.max_ofi = ofi[i];
        }
        s.total_ofi = ofi_xsum_result(&acc);
        s.resolution = (double)minutes; /* rounds to nearest, ties to even */
        out[g] = s;
    }
    free(start);
    free(perm);
    return OFI_OK;
}

/* The fixed-point scale of the fast path: every value times 2^scale is an integer and
 * any sum of n of them fits in 126 bits. @return 0 when no such scale exists (subnormals,
 * or magnitudes too far apart); the plain path handles those. */
static int fixed_scale(ofi_ctx *ctx, const double *v, size_t n, int *scale)
{
    int emin = 2047, emax = 0, sub = 0;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)                              \
    reduction(min : emin) reduction(max : emax) reduction(| : sub)
    for (long i = 0; i < (long)n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], sizeof u);
        const int e = (int)((u >> 52) & 0x7FF);
        if ((u << 1) == 0)
            continue; /* +-0 */
        if (e == 0 || e == 0x7FF)
            sub = 1;
        if (e < emin)
            emin = e;
        if (e > emax)
            emax = e;
    }
    if (sub)
        return 0;
    if (emin > emax) { /* all zeros */
        *scale = 0;
        return 1;
    }
    int bits_n = 1;
    while (bits_n < 64 && ((size_t)1 << bits_n) <= n)
        bits_n++;
    const int sc = 1075 - emin > 0 ? 1075 - emin : 0; /* v * 2^sc is an integer */
    const int top = (emax - 1023) + sc + 1;           /* bits of the largest |v| * 2^sc */
    if (top + bits_n > 126)
        return 0;
    *scale = sc;
    return 1;
}

/* v * 2^scale as an exact 128-bit integer. @pre fixed_scale accepted v. */
static inline __int128 to_fixed(double v, int scale)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    const int e = (int)((u >> 52) & 0x7FF);
    if ((u << 1) == 0)
        return 0;
    const uint64_t m = (u & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    const int shift = e - 1075 + scale;
    __int128 x = shift >= 0 ? (__int128)m << shift : (__int128)(m >> -shift);
    return (u >> 63) ? -x : x;
}

/* The exact sum x * 2^-scale, correctly rounded: __int128 to double rounds to nearest
 * (ties to even), and the power-of-two scaling is exact. */
static double from_fixed(__int128 x, int scale)
{
    return ldexp((double)x, -scale);
}

/* What a case adds to each group it is in, read once for all its groupings. */
typedef struct case_meas {
    __int128 fixed; /* its OFI as a fixed-point integer */
    double ofi;
    int64_t refund_cents;
    int64_t resolution; /* max(resolution_minutes, 0), NULL as 0 */
    uint32_t refund_n;
    uint32_t flags;
} case_meas;

static inline void case_measure(case_meas *m, const ofi_features *f, const ofi_case_links *L,
                                const double *ofi, size_t i, int scale)
{
    m->ofi = ofi[i];
    m->fixed = to_fixed(ofi[i], scale);
    m->refund_cents = L->refund_cents[i];
    m->resolution = ofi_feature_minutes(f, f->resolution_min, OFI_CAS_RESOLUTION_MIN, i);
    m->refund_n = L->refund_n[i];
    m->flags = f->flags[i];
}

/* Add case i, measured in *m, to a group's measures (fixed-point sum in *sum, minutes in
 * *minutes: see minutes_fit). */
static inline void add_meas(ofi_gstat *s, __int128 *sum, int64_t *minutes, const case_meas *m,
                            size_t i)
{
    if (s->count == 0) {
        s->first = (uint32_t)i;
        s->max_ofi = m->ofi;
    } else if (m->ofi > s->max_ofi) {
        s->max_ofi = m->ofi;
    }
    s->count++;
    s->escalated += m->flags & 1u;
    s->reopened += (m->flags >> 1) & 1u;
    s->delayed += (m->flags >> 3) & 1u;
    s->refunded += m->refund_n > 0;
    s->refund_rows += m->refund_n;
    s->refund_cents += m->refund_cents;
    *minutes += m->resolution;
    *sum += m->fixed;
}

/* 1 when every sum of resolution minutes fits 64 bits: their total over all cases does
 * (each is >= 0). The fast paths sum them in 64 bits; otherwise ofi_group_plain in 128. */
static int minutes_fit(const ofi_features *f)
{
    return !f->minutes_past_64;
}

/* Merge thread t's measures part[t * stride + g] (sums psum[...]) of group g, in thread
 * order: counts and fixed-point sums add exactly; first is the earliest thread's. */
static ofi_gstat merge_parts(const ofi_gstat *part, const __int128 *psum, const int64_t *pmin,
                             int nt, size_t stride, size_t g, int scale)
{
    ofi_gstat m = {0};
    __int128 total = 0;
    int64_t minutes = 0;
    m.first = UINT32_MAX;
    for (int t = 0; t < nt; t++) {
        const ofi_gstat *s = &part[(size_t)t * stride + g];
        if (s->count == 0)
            continue;
        if (m.count == 0) {
            m.first = s->first;
            m.max_ofi = s->max_ofi;
        } else if (s->max_ofi > m.max_ofi) {
            m.max_ofi = s->max_ofi;
        }
        m.count += s->count;
        m.escalated += s->escalated;
        m.reopened += s->reopened;
        m.delayed += s->delayed;
        m.refunded += s->refunded;
        m.refund_rows += s->refund_rows;
        m.refund_cents += s->refund_cents;
        minutes += pmin[(size_t)t * stride + g];
        total += psum[(size_t)t * stride + g];
    }
    m.total_ofi = from_fixed(total, scale);
    m.resolution = (double)minutes;
    return m;
}

/* Up to this many groups, threads keep private measures of every group (ofi_group_fused). */
#define FEW_GROUPS 4096
/* Beyond that, how many cases ahead a group's lines are prefetched (ofi_group_scaled). */
#define GROUP_AHEAD 16

/* The keys of one grouping held in an array (NULL: every case in group 0). */
static void array_keys(const void *arg, size_t lo, size_t hi, uint32_t *keys)
{
    const uint32_t *key = arg;
    if (key)
        memcpy(keys, key + lo, (hi - lo) * sizeof *keys);
    else
        memset(keys, 0, (hi - lo) * sizeof *keys);
}

#define FUSED_MAX 16

ofi_status ofi_group_fused(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f,
                           const double *ofi, int scale, int n_g, const uint32_t *n_groups,
                           ofi_group_keys_fn keys, const void *arg, ofi_gstat *const *out)
{
    const size_t n = f->n;
    const int nt = ctx->n_threads < 1 ? 1 : ctx->n_threads;
    if (n_g < 0 || n_g > FUSED_MAX)
        return ofi_fail(ctx, OFI_E_USAGE, "ofi_group_fused: %d groupings (at most %d)", n_g,
                        FUSED_MAX);
    /* In the pass: groupings of few groups on the fixed-point path; base[j] is where
     * grouping j's groups start in a thread's measures. */
    size_t base[FUSED_MAX], stride = 0;
    int in_pass[FUSED_MAX];
    for (int j = 0; j < n_g; j++) {
        in_pass[j] = scale >= 0 && minutes_fit(f) && n_groups[j] <= FEW_GROUPS;
        base[j] = stride;
        if (in_pass[j])
            stride += n_groups[j];
    }
    ofi_status st = OFI_OK;
    uint32_t *col = NULL, *kb = NULL;
    ofi_gstat *part = NULL;
    __int128 *psum = NULL;
    int64_t *pmin = NULL;
    /* The others one by one, from their gathered keys. */
    for (int j = 0; j < n_g; j++) {
        if (in_pass[j] || n_groups[j] == 0)
            continue;
        if (col == NULL) {
            col = malloc((n ? n : 1) * sizeof *col);
            kb = malloc((size_t)nt * (size_t)n_g * OFI_GROUP_BLOCK * sizeof *kb);
            if (col == NULL || kb == NULL) {
                st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
                goto cleanup;
            }
        }
#pragma omp parallel for num_threads(nt) schedule(static)
        for (long b = 0; b < (long)((n + OFI_GROUP_BLOCK - 1) / OFI_GROUP_BLOCK); b++) {
            uint32_t *k = kb + (size_t)omp_get_thread_num() * (size_t)n_g * OFI_GROUP_BLOCK;
            const size_t lo = (size_t)b * OFI_GROUP_BLOCK;
            const size_t hi = lo + OFI_GROUP_BLOCK < n ? lo + OFI_GROUP_BLOCK : n;
            keys(arg, lo, hi, k);
            memcpy(col + lo, k + (size_t)j * OFI_GROUP_BLOCK, (hi - lo) * sizeof *col);
        }
        OFI_CHECK(ofi_group_scaled(ctx, db, f, ofi, scale, col, n_groups[j], out[j]));
    }
    if (stride == 0) /* no grouping in the pass */
        goto cleanup;
    /* Each thread's measures and sums start on a cache line of their own: the KPI group
     * that every case updates would otherwise share a line with the previous thread's
     * last groups. */
    stride = (stride + 7) & ~(size_t)7; /* 8 groups: a line of minutes sums too */
    part = aligned_alloc(64, (size_t)nt * stride * sizeof *part);
    psum = aligned_alloc(64, (size_t)nt * stride * sizeof *psum);
    pmin = aligned_alloc(64, (size_t)nt * stride * sizeof *pmin);
    if (part == NULL || psum == NULL || pmin == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
        goto cleanup;
    }
    memset(part, 0, (size_t)nt * stride * sizeof *part);
    memset(psum, 0, (size_t)nt * stride * sizeof *psum);
    memset(pmin, 0, (size_t)nt * stride * sizeof *pmin);
    const ofi_case_links *L = &db->links;
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        const size_t lo = n * (size_t)t / (size_t)nt, hi = n * (size_t)(t + 1) / (size_t)nt;
        ofi_gstat *s = part + (size_t)t * stride;
        __int128 *sum = psum + (size_t)t * stride;
        int64_t *min = pmin + (size_t)t * stride;
        uint32_t k[FUSED_MAX * OFI_GROUP_BLOCK];
        /* A block's cases are measured once, then added to each of their groupings. */
        case_meas m[OFI_GROUP_BLOCK];
        for (size_t b = lo; b < hi; b += OFI_GROUP_BLOCK) {
            const size_t e = b + OFI_GROUP_BLOCK < hi ? b + OFI_GROUP_BLOCK : hi;
            keys(arg, b, e, k);
            for (size_t i = b; i < e; i++)
                case_measure(&m[i - b], f, L, ofi, i, scale);
            for (int j = 0; j < n_g; j++) {
                if (!in_pass[j])
                    continue;
                const uint32_t *kj = k + (size_t)j * OFI_GROUP_BLOCK, ng = n_groups[j];
                ofi_gstat *sj = s + base[j];
                __int128 *sumj = sum + base[j];
                int64_t *minj = min + base[j];
                for (size_t i = b; i < e; i++)
                    if (kj[i - b] < ng)
                        add_meas(&sj[kj[i - b]], &sumj[kj[i - b]], &minj[kj[i - b]], &m[i - b], i);
            }
        }
    }
    for (int j = 0; j < n_g; j++)
        for (uint32_t g = 0; in_pass[j] && g < n_groups[j]; g++)
            out[j][g] = merge_parts(part, psum, pmin, nt, stride, base[j] + g, scale);
cleanup:
    free(col);
    free(kb);
    free(part);
    free(psum);
    free(pmin);
    return st;
}

int ofi_group_scale(ofi_ctx *ctx, const double *ofi, size_t n)
{
    int scale;
    return fixed_scale(ctx, ofi, n, &scale) ? scale : -1;
}

ofi_status ofi_group(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f, const double *ofi,
                     const uint32_t *key, uint32_t n_groups, ofi_gstat *out)
{
    return ofi_group_scaled(ctx, db, f, ofi, ofi_group_scale(ctx, ofi, f->n), key, n_groups, out);
}

/* A group of ofi_group_scaled's many-group path as it accumulates: its measures and its
 * fixed-point sum in one 64-byte line (a gstat and a separate sum were two random lines a
 * case). It leaves out the first case, and counts refund rows in 32 bits (a table holds
 * fewer than 2^32 rows). */
typedef struct many_acc {
    uint32_t count, escalated, reopened, delayed, refunded, refund_rows;
    int64_t refund_cents, resolution;
    double max_ofi;
    __int128 sum;
} many_acc;

ofi_status ofi_group_scaled(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f,
                            const double *ofi, int scale, const uint32_t *key, uint32_t n_groups,
                            ofi_gstat *out)
{
    const size_t n = f->n;
    if (scale < 0 || !minutes_fit(f))
        return ofi_group_plain(ctx, db, f, ofi, key, n_groups, out);
    if (n_groups <= FEW_GROUPS) {
        ofi_gstat *o[1] = {out};
        return ofi_group_fused(ctx, db, f, ofi, scale, 1, &n_groups, array_keys, key, o);
    }
    /* Many groups (customers): each thread owns a contiguous range of groups, scans every
     * case (a sequential read of key[]) and accumulates the cases of its own groups; no
     * private copies of millions of groups. A group accumulates in one cache line (see
     * many_acc) in out's own memory; the group's first case goes apart, written once. */
    _Static_assert(sizeof(many_acc) == sizeof(ofi_gstat), "an accumulator fills a group's line");
    if ((uintptr_t)out % _Alignof(many_acc) != 0) /* not malloc's alignment: no accumulator */
        return ofi_group_plain(ctx, db, f, ofi, key, n_groups, out);
    many_acc *acc = (many_acc *)(void *)out;
    uint32_t *first = malloc((n_groups ? n_groups : 1) * sizeof *first);
    if (first == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
    const ofi_case_links *L = &db->links;
    const int nt = ctx->n_threads < 1 ? 1 : ctx->n_threads;
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        const uint32_t lo = (uint32_t)((uint64_t)n_groups * (uint64_t)t / (uint64_t)nt);
        const uint32_t hi = (uint32_t)((uint64_t)n_groups * (uint64_t)(t + 1) / (uint64_t)nt);
        memset(&acc[lo], 0, (size_t)(hi - lo) * sizeof *acc);
        for (size_t i = 0; i < n; i++) {
            /* Groups are millions, in random order: start loading the line of the group
             * GROUP_AHEAD cases ahead, so that the misses overlap. */
            const uint32_t ga = key && i + GROUP_AHEAD < n ? key[i + GROUP_AHEAD] : UINT32_MAX;
            if (ga >= lo && ga < hi)
                __builtin_prefetch(&acc[ga], 1);
            const uint32_t g = key ? key[i] : 0;
            if (g < lo || g >= hi) /* also skips UINT32_MAX */
                continue;
            case_meas m;
            case_measure(&m, f, L, ofi, i, scale);
            many_acc *a = &acc[g];
            if (a->count == 0) {
                first[g] = (uint32_t)i;
                a->max_ofi = m.ofi;
            } else if (m.ofi > a->max_ofi) {
                a->max_ofi = m.ofi;
            }
            a->count++;
            a->escalated += m.flags & 1u;
            a->reopened += (m.flags >> 1) & 1u;
            a->delayed += (m.flags >> 3) & 1u;
            a->refunded += m.refund_n > 0;
            a->refund_rows += m.refund_n;
            a->refund_cents += m.refund_cents;
            a->resolution += m.resolution;
            a->sum += m.fixed;
        }
        for (uint32_t g = lo; g < hi; g++) { /* in place: each line copied out, then written */
            many_acc a;
            memcpy(&a, &acc[g], sizeof a); /* a byte copy: no type-based reordering */
            ofi_gstat *o = &out[g];
            memset(o, 0, sizeof *o);
            o->count = a.count;
            o->escalated = a.escalated;
            o->reopened = a.reopened;
            o->delayed = a.delayed;
            o->refunded = a.refunded;
            o->first = a.count ? first[g] : UINT32_MAX;
            o->refund_rows = a.refund_rows;
            o->refund_cents = a.refund_cents;
            o->resolution = (double)a.resolution;
            o->total_ofi = from_fixed(a.sum, scale);
            o->max_ofi = a.count ? a.max_ofi : 0.0;
        }
    }
    free(first);
    return OFI_OK;
}

ofi_status ofi_group_sums(ofi_ctx *ctx, const double *v, size_t n, int scale,
                          const uint32_t *key, uint32_t n_groups, double *out, double *total)
{
    const int nt = ctx->n_threads < 1 ? 1 : ctx->n_threads;
    if (scale < 0) { /* counting sort by group, then a Shewchuk sum per group */
        if (total)
            *total = ofi_fsum(v, n);
        size_t *start;
        uint32_t *perm;
        OFI_TRY(group_perm(ctx, n, key, n_groups, &start, &perm));
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1024)
        for (long lg = 0; lg < (long)n_groups; lg++) {
            ofi_xsum acc;
            ofi_xsum_init(&acc);
            for (size_t k = start[lg]; k < start[lg + 1]; k++)
                ofi_xsum_add(&acc, v[perm[k]]);
            out[lg] = ofi_xsum_result(&acc);
        }
        free(start);
        free(perm);
        return OFI_OK;
    }
    /* Each thread owns a contiguous range of groups and scans every key (sequential),
     * adding the values of its own groups into 16-byte fixed-point sums: no private copies
     * of millions of groups, no merge. */
    /* The total of every value comes from the same pass, exactly: each thread adds up its
     * groups' sums, the first one also the values left out of every group. */
    __int128 *acc = malloc(((size_t)n_groups ? (size_t)n_groups : 1) * sizeof *acc);
    __int128 *part = malloc((size_t)nt * sizeof *part);
    if (acc == NULL || part == NULL) {
        free(acc);
        free(part);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
    }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        const uint32_t lo = (uint32_t)((uint64_t)n_groups * (uint64_t)t / (uint64_t)nt);
        const uint32_t hi = (uint32_t)((uint64_t)n_groups * (uint64_t)(t + 1) / (uint64_t)nt);
        memset(&acc[lo], 0, (size_t)(hi - lo) * sizeof *acc);
        __int128 left_out = 0;
        for (size_t i = 0; i < n; i++) {
            const uint32_t ga = i + GROUP_AHEAD < n ? key[i + GROUP_AHEAD] : UINT32_MAX;
            if (ga >= lo && ga < hi)
                __builtin_prefetch(&acc[ga], 1);
            const uint32_t g = key[i];
            if (g >= lo && g < hi)
                acc[g] += to_fixed(v[i], scale);
            else if (g == UINT32_MAX && t == 0)
                left_out += to_fixed(v[i], scale);
        }
        __int128 sum = left_out;
        for (uint32_t g = lo; g < hi; g++) {
            sum += acc[g];
            out[g] = from_fixed(acc[g], scale);
        }
        part[t] = sum;
    }
    __int128 all = 0;
    for (int t = 0; t < nt; t++)
        all += part[t];
    if (total)
        *total = from_fixed(all, scale);
    free(acc);
    free(part);
    return OFI_OK;
}

ofi_status ofi_densify(ofi_ctx *ctx, size_t n, const uint64_t *keys, uint32_t *group,
                       uint32_t *n_groups, uint64_t **group_keys)
{
    size_t cap = 1024, used = 0, kcap = 256;
    uint64_t *slot_key = malloc(cap * sizeof *slot_key);
    uint32_t *slot_grp = malloc(cap * sizeof *slot_grp);
    uint64_t *gk = malloc(kcap * sizeof *gk);
    ofi_status st = OFI_OK;
    if (!slot_key || !slot_grp || !gk)
        goto oom;
    for (size_t i = 0; i < cap; i++)
        slot_grp[i] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        const uint64_t k = keys[i];
        if (k == UINT64_MAX) {
            group[i] = UINT32_MAX;
            continue;
        }
        size_t s = XXH3_64bits(&k, sizeof k) & (cap - 1);
        while (slot_grp[s] != UINT32_MAX && slot_key[s] != k)
            s = (s + 1) & (cap - 1);
        if (slot_grp[s] == UINT32_MAX) {
            if (used == kcap) {
                kcap *= 2;
                uint64_t *g2 = realloc(gk, kcap * sizeof *gk);
                if (g2 == NULL)
                    goto oom;
                gk = g2;
            }
            gk[used] = k;
            slot_key[s] = k;
            slot_grp[s] = (uint32_t)used++;
            if (used * 10 >= cap * 7) { /* grow and rehash */
                size_t nc = cap * 2;
                uint64_t *nk = malloc(nc * sizeof *nk);
                uint32_t *ng = malloc(nc * sizeof *ng);
                if (!nk || !ng) {
                    free(nk);
                    free(ng);
                    goto oom;
                }
                for (size_t j = 0; j < nc; j++)
                    ng[j] = UINT32_MAX;
                for (size_t j = 0; j < cap; j++) {
                    if (slot_grp[j] == UINT32_MAX)
                        continue;
                    size_t t = XXH3_64bits(&slot_key[j], sizeof(uint64_t)) & (nc - 1);
                    while (ng[t] != UINT32_MAX)
                        t = (t + 1) & (nc - 1);
                    nk[t] = slot_key[j];
                    ng[t] = slot_grp[j];
                }
                free(slot_key);
                free(slot_grp);
                slot_key = nk;
                slot_grp = ng;
                cap = nc;
                group[i] = (uint32_t)(used - 1);
                continue;
            }
        }
        group[i] = slot_grp[s];
    }
    *n_groups = (uint32_t)used;
    if (group_keys)
        *group_keys = gk;
    else
        free(gk);
    gk = NULL;
    goto cleanup;
oom:
    st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
cleanup:
    free(slot_key);
    free(slot_grp);
    free(gk);
    return st;
}
