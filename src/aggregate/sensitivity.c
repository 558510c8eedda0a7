/* sensitivity.c - Monte Carlo uncertainty of the rankings: S samples of random weights.
 *
 * Data layout. The per-case inputs are copied once into flat arrays (struct feat) in
 * customer order: the cases of customer group 0, then group 1, ..., then the cases
 * without a customer; row_of[i] maps a case to its row. Samples are processed LANES at a
 * time: one pass over the rows computes the LANES scores of each case (the lanes are the
 * vector), adds them into the customer's running two-sum, and at the customer's last case
 * stores its exact average per lane (avg[lane][group]). Then, per lane: the two tier
 * quantiles (a selection among the customers whose bounds allow them to be there), the
 * tier of every customer, and the ranks of the baseline's top-N cases and customers among
 * the candidates that can reach them.
 *
 * Exactness. Per case, the score is the formula of score.c with per = 1, in its order.
 * Customer sums are Ogita-Rump-Oishi's cascaded two-sum: s + c with the error of c
 * bounded; when that bound cannot prove s + c rounds like the exact sum, the customer's
 * sum is recomputed with the exact summation of xsum.h (rare: a sum within 2^-100 of a
 * rounding boundary). Bounds: a score under factors u in [1-F, 1+F] lies within
 * M * sum_c [min, max](u * a_c) of the baseline components a_c (scores use per = 1, so
 * a_c = x_c * points/per), padded by far more than the rounding of 12 operations.
 *
 * Ownership: everything is allocated and freed inside ofi_sensitivity_write.
 */
#include "ofi/sensitivity.h"

#include "ofi/aggregate.h"
#include "ofi/outbuf.h"
#include "ofi/xsum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANES 8

double ofi_sens_factor(uint64_t seed, uint64_t s, int w, double spread)
{
    uint64_t z = seed + (s * (uint64_t)OFI_W_N + (uint64_t)w + 1u) * 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    const double u = (double)(z >> 11) * 0x1p-53;
    return (1.0 - spread) + (2.0 * spread) * u;
}

/* Per-case inputs, in row order (see the header). */
typedef struct feat {
    uint8_t *pc, *fl;
    double *d, *r, *ref, *t, *fw, *sev, *seg;
} feat;

/* The weights of LANES samples, lane-major per weight. */
typedef struct lanew {
    double w[OFI_W_N][LANES];
} lanew;

/* The LANES scores of row k: score_one's operations with per = 1, in its order. */
static inline __attribute__((always_inline)) void
lane_scores(const feat *F, size_t k, const lanew *W, int sev, int seg, double out[LANES])
{
    const int pc = F->pc[k];
    const unsigned fl = F->fl[k];
    const double xe = (double)(fl & 1u), xr = (double)((fl >> 1) & 1u),
                 xf = (double)((fl >> 2) & 1u);
    const double d = F->d[k], r = F->r[k], ref = F->ref[k], t = F->t[k], fw = F->fw[k];
    const double *wp = W->w[OFI_W_PRIO_LOW + pc];
#pragma omp simd
    for (int l = 0; l < LANES; l++) {
        double s = 1.0 * wp[l];
        s = s + xe * W->w[OFI_W_ESCALATION][l];
        s = s + xr * W->w[OFI_W_REOPEN][l];
        s = s + xf * W->w[OFI_W_REFUND_FLAG][l];
        s = s + d * W->w[OFI_W_DELAY][l];
        s = s + r * W->w[OFI_W_RESOLUTION][l];
        s = s + ref * W->w[OFI_W_REFUND][l];
        s = s + t * W->w[OFI_W_TOUCH][l];
        s = s + fw * W->w[OFI_W_ISSUE][l];
        out[l] = s;
    }
    if (sev) {
        const double m = F->sev[k];
#pragma omp simd
        for (int l = 0; l < LANES; l++)
            out[l] = out[l] * m;
    }
    if (seg) {
        const double m = F->seg[k];
#pragma omp simd
        for (int l = 0; l < LANES; l++)
            out[l] = out[l] * m;
    }
}

static inline int round_proved(double s, double c, double err, double *out);

/* The exact average per lane of customers [g0, g1): a cascaded two-sum of their cases'
 * scores (the errors of the errors' sum tracked too), proved correctly rounded or redone
 * with xsum. Cloned for AVX-512 and AVX2 (same bits: IEEE operations, nothing fused). */
OFI_CLONES static void
customer_avgs(const feat *F, const lanew *W, int sev_on, int seg_on, const uint32_t *gstart,
              uint32_t g0, uint32_t g1, uint32_t ng, double *avg)
{
    for (uint32_t g = g0; g < g1; g++) {
        double s[LANES] = {0}, c[LANES] = {0}, e[LANES] = {0}, sc[LANES];
        for (uint32_t k = gstart[g]; k < gstart[g + 1]; k++) {
            lane_scores(F, k, W, sev_on, seg_on, sc);
#pragma omp simd
            for (int l = 0; l < LANES; l++) {
                const double x = s[l] + sc[l]; /* two-sum: x + err = s + sc exactly */
                const double bb = x - s[l];
                const double err = (s[l] - (x - bb)) + (sc[l] - bb);
                const double y = c[l] + err; /* and y + ec = c + err exactly */
                const double bc = y - c[l];
                const double ec = (c[l] - (y - bc)) + (err - bc);
                s[l] = x;
                c[l] = y;
                e[l] = e[l] + fabs(ec);
            }
        }
        const uint32_t k = gstart[g + 1] - gstart[g];
        for (int l = 0; l < LANES; l++) {
            double total;
            /* |c - sum of the errors| <= sum |ec| <= e (1 + k 2^-53) */
            if (!round_proved(s[l], c[l], e[l] * (1.0 + (double)k * 0x1p-50), &total)) {
                ofi_xsum x;
                ofi_xsum_init(&x);
                for (uint32_t j = gstart[g]; j < gstart[g + 1]; j++) {
                    lane_scores(F, j, W, sev_on, seg_on, sc);
                    ofi_xsum_add(&x, sc[l]);
                }
                total = ofi_xsum_result(&x);
            }
            avg[(size_t)l * ng + g] = total / (double)k;
        }
    }
}

/* The unit in the last place of a normal r (0 for zero and subnormals). */
static inline double ulp_of(double r)
{
    uint64_t b;
    memcpy(&b, &r, sizeof b);
    b &= 0x7ff0000000000000u;
    double e;
    memcpy(&e, &b, sizeof e);
    return e * 0x1p-52;
}

static inline int pow2(double r)
{
    uint64_t b;
    memcpy(&b, &r, sizeof b);
    return (b & 0x000fffffffffffffu) == 0;
}

/* 1 when s + c (c = a rounded sum of exact errors, |c - exact| <= err) rounds like the
 * exact sum; *out gets fl(s + c). */
static inline int round_proved(double s, double c, double err, double *out)
{
    const double r = s + c;
    const double bb = r - s;
    const double delta = (s - (r - bb)) + (c - bb);
    *out = r;
    if (err == 0.0) /* c is the exact sum of the errors: s + c is the sum, r its rounding */
        return 1;
    const double u = ulp_of(r);
    const double half = pow2(r) ? u * 0.25 : u * 0.5;
    return fabs(delta) + err < half;
}

/* The k-th smallest of a[0..n) (a reordered: Hoare's selection, median-of-three pivots);
 * the elements after position k are >= it. @pre k < n. */
static double select_kth(double *a, size_t n, size_t k)
{
    long lo = 0, hi = (long)n - 1;
    const long kk = (long)k;
    while (hi > lo) {
        const long mid = lo + (hi - lo) / 2;
        const double x = a[lo], y = a[mid], z = a[hi];
        const double piv = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < piv)
                i++;
            while (a[j] > piv)
                j--;
            if (i <= j) {
                const double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* a[lo..j] <= piv, a[i..hi] >= piv, a[j+1..i-1] == piv */
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* SPEC section 4's quantile from the two order statistics around pos = (n-1) q. */
static double quantile_of(double ai, double ai1, size_t n, size_t i, double q)
{
    const double pos = (double)(n - 1) * q;
    const double t = pos - (double)i;
    if (i >= n - 1)
        return ai;
    const double d = ai1 - ai;
    return t < 0.5 ? ai + d * t : ai1 - d * (1.0 - t);
}

/* An order-preserving integer key of a double (no NaN). */
static inline uint64_t dkey(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u >> 63 ? ~u : u | 0x8000000000000000u;
}

#define NBUCKET 65536

/* Buckets of values for a selection: key - kmin, shifted to fit NBUCKET (clamped: the
 * mapping stays monotone whatever the value). */
typedef struct buckets {
    uint64_t kmin, kmax;
    int shift;
} buckets;

static inline uint32_t bucket_of(const buckets *b, double x)
{
    uint64_t k = dkey(x);
    k = k < b->kmin ? b->kmin : k > b->kmax ? b->kmax : k;
    return (uint32_t)((k - b->kmin) >> b->shift);
}

/* The values at ascending positions pos[0..np) of a[0..n), by a bucket histogram then a
 * selection inside the few buckets holding them: two passes over a. hist has NBUCKET
 * entries, tmp room for n values. */
static void select_positions(const double *a, size_t n, const buckets *bk, const size_t *pos,
                             int np, uint32_t *hist, double *tmp, double *val)
{
    memset(hist, 0, NBUCKET * sizeof *hist);
    for (size_t g = 0; g < n; g++)
        hist[bucket_of(bk, a[g])]++;
    uint32_t pb[4];
    size_t pstart[4];
    {
        size_t acc = 0;
        int p = 0;
        for (uint32_t b = 0; b < NBUCKET && p < np; b++) {
            while (p < np && pos[p] < acc + hist[b]) {
                pb[p] = b;
                pstart[p] = acc;
                p++;
            }
            acc += hist[b];
        }
    }
    /* Collect the needed buckets' values, bucket after bucket, into tmp. */
    size_t off[4], fill[4];
    int nb = 0;
    uint32_t ub[4];
    for (int p = 0; p < np; p++)
        if (nb == 0 || ub[nb - 1] != pb[p])
            ub[nb++] = pb[p];
    size_t o = 0;
    for (int j = 0; j < nb; j++) {
        off[j] = fill[j] = o;
        o += hist[ub[j]];
    }
    for (size_t g = 0; g < n; g++) {
        const uint32_t b = bucket_of(bk, a[g]);
        for (int j = 0; j < nb; j++)
            if (b == ub[j]) {
                tmp[fill[j]++] = a[g];
                break;
            }
    }
    for (int p = 0; p < np; p++) {
        int j = 0;
        while (ub[j] != pb[p])
            j++;
        val[p] = select_kth(tmp + off[j], hist[ub[j]], pos[p] - pstart[p]);
    }
}

/* A tier quantile: q and the position i = floor((n-1) q) of its lower order statistic. */
typedef struct qband {
    size_t i;
    double q;
} qband;

static int cmp_dbl(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One candidate of a top-N question: value and id, for the rank order. */
typedef struct cand {
    double v;
    int64_t id;
} cand;

/* Does a come before b (value desc, id asc)? -0.0 equals 0.0. */
static inline int before(double av, int64_t aid, double bv, int64_t bid)
{
    return av > bv || (av == bv && aid < bid);
}

/* Ranks (1-based, among the candidates) of the n_top tops, given the candidates' values;
 * tops[k] is the candidate index of top k. */
static void rank_tops(const cand *c, size_t nc, const uint32_t *tops, size_t n_top, uint32_t *rank,
                      uint32_t *scratch)
{
    /* Sort the tops by the order, then count each candidate once against them. */
    for (size_t k = 0; k < n_top; k++)
        scratch[k] = (uint32_t)k;
    for (size_t a = 1; a < n_top; a++) { /* insertion sort: n_top is small */
        const uint32_t x = scratch[a];
        size_t b = a;
        while (b > 0 && before(c[tops[x]].v, c[tops[x]].id, c[tops[scratch[b - 1]]].v,
                               c[tops[scratch[b - 1]]].id)) {
            scratch[b] = scratch[b - 1];
            b--;
        }
        scratch[b] = x;
    }
    uint32_t *cnt = scratch + n_top; /* cnt[p]: candidates before sorted top p but not p-1 */
    memset(cnt, 0, (n_top + 1) * sizeof *cnt);
    for (size_t j = 0; j < nc; j++) {
        /* The first sorted top that j does not come before... j precedes tops p.. */
        size_t lo = 0, hi = n_top;
        while (lo < hi) {
            const size_t mid = (lo + hi) / 2;
            const cand *t = &c[tops[scratch[mid]]];
            if (before(c[j].v, c[j].id, t->v, t->id) || (c[j].v == t->v && c[j].id == t->id))
                hi = mid;
            else
                lo = mid + 1;
        }
        cnt[lo]++; /* j comes before (or is) sorted tops lo.. */
    }
    size_t acc = 0;
    for (size_t p = 0; p < n_top; p++) {
        acc += cnt[p];
        /* acc counts candidates up to and including sorted top p itself */
        rank[scratch[p]] = (uint32_t)acc;
    }
}

/* The percentiles and top-N share of one top item's S ranks (sorted in place). */
static void put_rank_stats(ofi_outbuf *b, uint32_t *r, size_t S, size_t top_n, double *tmp)
{
    size_t in = 0;
    for (size_t s = 0; s < S; s++) {
        tmp[s] = (double)r[s];
        in += r[s] <= top_n;
    }
    qsort(tmp, S, sizeof *tmp, cmp_dbl);
    ofi_put_f6(b, ofi_quantile(tmp, S, 0.5));
    ofi_putc(b, ',');
    ofi_put_f6(b, ofi_quantile(tmp, S, 0.05));
    ofi_putc(b, ',');
    ofi_put_f6(b, ofi_quantile(tmp, S, 0.95));
    ofi_putc(b, ',');
    ofi_put_f6(b, (double)in / (double)S);
    ofi_putc(b, '\n');
}

/* One row of sensitivity_cases.csv or sensitivity_customers.csv: the k-th top item's
 * baseline rank, id and baseline value, then its rank statistics. */
static void put_rank_row(ofi_outbuf *b, size_t k, int64_t id, double baseline, uint32_t *r,
                         size_t S, size_t top_n, double *tmp)
{
    ofi_put_u64(b, k + 1);
    ofi_putc(b, ',');
    ofi_put_i64(b, id);
    ofi_putc(b, ',');
    ofi_put_f6(b, baseline);
    ofi_putc(b, ',');
    put_rank_stats(b, r, S, top_n, tmp);
}

static const char *const tier_names[3] = {"Low Friction", "Medium Friction", "High Friction"};

ofi_status ofi_sensitivity_write(ofi_ctx *ctx, ofi_outset *set, const ofi_db *db,
                                 const ofi_features *f, const ofi_variant *base,
                                 const ofi_sens_opts *o)
{
    const size_t n = f->n, S = (size_t)o->samples;
    const double F = o->spread;
    const int sev_on = base->severity_multiplier, seg_on = base->segment_multiplier;
    const int64_t *case_id = db->t[OFI_T_CASES].col[OFI_CAS_ID].i64;
    ofi_status st = OFI_OK;
    /* Everything freed at cleanup. */
    double *bscore = NULL, *lo = NULL, *hi = NULL, *glo = NULL, *ghi = NULL, *gavg = NULL;
    double *avg = NULL, *tmp = NULL, *wsample = NULL, *rk = NULL;
    uint32_t *border = NULL, *group = NULL, *gorder = NULL, *gstart = NULL, *row_of = NULL;
    uint32_t *rows_case = NULL, *case_rank = NULL, *cust_rank = NULL, *cnt = NULL;
    uint32_t *cc = NULL, *gc = NULL, *ctop = NULL, *gtop = NULL, *scratch = NULL, *pos = NULL;
    uint32_t *rbuf = NULL;
    uint64_t *keys = NULL, *gkeys = NULL;
    int64_t *gid = NULL;
    uint8_t *btier = NULL;
    cand *ccand = NULL, *gcand = NULL;
    ofi_gstat *gs = NULL;
    feat F_ = {0};
    qband band[2] = {{0, 0.0}, {0, 0.0}};
    buckets bk = {0, 0, 0};
    uint32_t *hist = NULL;
    ofi_outbuf out_s = {0}, out_c = {0}, out_g = {0}, out_t = {0};
    uint32_t ng = 0;
    size_t nc = 0, ngc = 0;
#define ALLOC(p, count)                                                                            \
    do {                                                                                           \
        const size_t n_alloc_ = (count);                                                           \
        (p) = malloc((n_alloc_ ? n_alloc_ : 1) * sizeof *(p));                                     \
        if ((p) == NULL) {                                                                         \
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for sensitivity");                      \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

    /* ---- the baseline: scores, order, customers, tiers ---------------------------------- */
    ALLOC(bscore, n);
    ALLOC(border, n);
    OFI_CHECK(ofi_score_multi(ctx, f, base, 1, &bscore));
    OFI_CHECK(ofi_sort_desc(ctx, n, bscore, case_id, border));
    ALLOC(keys, n);
    ALLOC(group, n);
    for (size_t i = 0; i < n; i++) {
        const int64_t id = ofi_case_fk(db, OFI_CAS_CUSTOMER, i);
        keys[i] = id == OFI_NULL_I64 ? UINT64_MAX : (uint64_t)id;
    }
    OFI_CHECK(ofi_densify(ctx, n, keys, group, &ng, &gkeys));
    ALLOC(gid, ng);
    ALLOC(gs, ng);
    ALLOC(gavg, ng);
    ALLOC(gorder, ng);
    ALLOC(btier, ng);
    for (uint32_t g = 0; g < ng; g++)
        gid[g] = (int64_t)gkeys[g];
    OFI_CHECK(ofi_group(ctx, db, f, bscore, group, ng, gs));
    for (uint32_t g = 0; g < ng; g++)
        gavg[g] = gs[g].total_ofi / (double)gs[g].count;
    OFI_CHECK(ofi_sort_desc(ctx, ng, gavg, gid, gorder));
    if (ng) {
        const double t1 = ofi_quantile_desc(gavg, gorder, ng, 1.0 / 3.0);
        const double t2 = ofi_quantile_desc(gavg, gorder, ng, 2.0 / 3.0);
        for (uint32_t g = 0; g < ng; g++)
            btier[g] = (uint8_t)(gavg[g] <= t1 ? 0 : gavg[g] <= t2 ? 1 : 2);
    }

    /* ---- rows in customer order, and the inputs ------------------------------------------ */
    ALLOC(gstart, (size_t)ng + 1);
    ALLOC(row_of, n);
    ALLOC(rows_case, n);
    memset(gstart, 0, ((size_t)ng + 1) * sizeof *gstart);
    size_t n_cust_rows = 0;
    for (size_t i = 0; i < n; i++)
        if (group[i] != UINT32_MAX) {
            gstart[group[i] + 1]++;
            n_cust_rows++;
        }
    for (uint32_t g = 0; g < ng; g++)
        gstart[g + 1] += gstart[g];
    {
        size_t other = n_cust_rows;
        uint32_t *fill = cnt = malloc(((size_t)ng + 1) * sizeof *cnt);
        if (fill == NULL) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for sensitivity");
            goto cleanup;
        }
        memcpy(fill, gstart, ((size_t)ng + 1) * sizeof *fill);
        for (size_t i = 0; i < n; i++) {
            const size_t k = group[i] != UINT32_MAX ? fill[group[i]]++ : other++;
            row_of[i] = (uint32_t)k;
            rows_case[k] = (uint32_t)i;
        }
        free(cnt);
        cnt = NULL;
    }
    ALLOC(F_.pc, n);
    ALLOC(F_.fl, n);
    ALLOC(F_.d, n);
    ALLOC(F_.r, n);
    ALLOC(F_.ref, n);
    ALLOC(F_.t, n);
    ALLOC(F_.fw, n);
    ALLOC(F_.sev, n);
    ALLOC(F_.seg, n);
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
    for (long lk = 0; lk < (long)n; lk++) {
        const size_t k = (size_t)lk, i = rows_case[k];
        F_.pc[k] = f->prio[i] == OFI_PRIO_UNKNOWN ? OFI_PRIO_LOW : f->prio[i];
        F_.fl[k] = f->flags[i];
        F_.d[k] = (double)ofi_feature_minutes(f, f->delay_min, OFI_CAS_DELAY_MIN, i);
        F_.r[k] = (double)ofi_feature_minutes(f, f->resolution_min, OFI_CAS_RESOLUTION_MIN, i);
        F_.ref[k] = (double)f->refund_cents[i] / 100.0;
        F_.t[k] = (double)f->touch[i];
        const uint32_t ir = f->issue_row[i] == UINT32_MAX ? f->n_issues : f->issue_row[i];
        F_.fw[k] = f->issue_fw[ir];
        F_.sev[k] = f->issue_sev[ir];
        const uint32_t cr = f->customer_row[i] == UINT32_MAX ? f->n_customers : f->customer_row[i];
        F_.seg[k] = f->cust_seg[cr];
    }

    /* ---- bounds of every case and customer over all samples -------------------------------- */
    double q[OFI_W_N]; /* points / per: the weight a factor multiplies */
    for (int w = 0; w < OFI_W_N; w++)
        q[w] = base->w[w].per == 1.0 ? base->w[w].points : base->w[w].points / base->w[w].per;
    ALLOC(lo, n);
    ALLOC(hi, n);
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
    for (long li = 0; li < (long)n; li++) {
        const size_t i = (size_t)li, k = row_of[i];
        const unsigned fl = F_.fl[k];
        const double a[9] = {q[OFI_W_PRIO_LOW + F_.pc[k]], (double)(fl & 1u) * q[OFI_W_ESCALATION],
                             (double)((fl >> 1) & 1u) * q[OFI_W_REOPEN],
                             (double)((fl >> 2) & 1u) * q[OFI_W_REFUND_FLAG],
                             F_.d[k] * q[OFI_W_DELAY], F_.r[k] * q[OFI_W_RESOLUTION],
                             F_.ref[k] * q[OFI_W_REFUND], F_.t[k] * q[OFI_W_TOUCH],
                             F_.fw[k] * q[OFI_W_ISSUE]};
        double l = 0, h = 0, mag = 0;
        for (int c = 0; c < 9; c++) {
            l += a[c] >= 0 ? (1.0 - F) * a[c] : (1.0 + F) * a[c];
            h += a[c] >= 0 ? (1.0 + F) * a[c] : (1.0 - F) * a[c];
            mag += fabs(a[c]);
        }
        double m = 1.0;
        if (sev_on)
            m *= F_.sev[k];
        if (seg_on)
            m *= F_.seg[k];
        double L = l * m, H = h * m;
        if (m < 0) {
            const double x = L;
            L = H;
            H = x;
        }
        /* Far wider than the rounding of the dozen operations of a score and of u. */
        const double pad = 1e-9 * (mag * (1.0 + F) * fabs(m)) + 1e-300;
        lo[i] = L - pad;
        hi[i] = H + pad;
    }
    ALLOC(glo, ng);
    ALLOC(ghi, ng);
    for (uint32_t g = 0; g < ng; g++) {
        double l = 0, h = 0, mag = 0;
        for (uint32_t k = gstart[g]; k < gstart[g + 1]; k++) {
            const uint32_t i = rows_case[k];
            l += lo[i];
            h += hi[i];
            mag += fabs(lo[i]) + fabs(hi[i]);
        }
        const double c = (double)(gstart[g + 1] - gstart[g]);
        const double pad = 1e-9 * mag / c + 1e-300;
        glo[g] = l / c - pad;
        ghi[g] = h / c + pad;
    }

    /* ---- candidates of the top-N questions ------------------------------------------------- */
    const size_t top = o->top_n < n ? o->top_n : n;
    const size_t gtop_n = o->top_n < ng ? o->top_n : ng;
    double theta = INFINITY;
    for (size_t k = 0; k < top; k++)
        theta = lo[border[k]] < theta ? lo[border[k]] : theta;
    ALLOC(cc, n);
    for (size_t i = 0; i < n; i++)
        if (top && hi[i] >= theta)
            cc[nc++] = (uint32_t)i;
    for (size_t k = 0; k < top; k++) /* a top case is always a candidate */
        if (!(hi[border[k]] >= theta))
            cc[nc++] = border[k];
    double gtheta = INFINITY;
    for (size_t k = 0; k < gtop_n; k++)
        gtheta = glo[gorder[k]] < gtheta ? glo[gorder[k]] : gtheta;
    ALLOC(gc, ng);
    for (uint32_t g = 0; g < ng; g++)
        if (gtop_n && ghi[g] >= gtheta)
            gc[ngc++] = g;
    for (size_t k = 0; k < gtop_n; k++)
        if (!(ghi[gorder[k]] >= gtheta))
            gc[ngc++] = gorder[k];
    /* Candidate index of each top item. */
    ALLOC(ctop, top);
    ALLOC(gtop, gtop_n);
    ALLOC(pos, n > ng ? n : ng);
    for (size_t j = 0; j < nc; j++)
        pos[cc[j]] = (uint32_t)j;
    for (size_t k = 0; k < top; k++)
        ctop[k] = pos[border[k]];
    for (size_t j = 0; j < ngc; j++)
        pos[gc[j]] = (uint32_t)j;
    for (size_t k = 0; k < gtop_n; k++)
        gtop[k] = pos[gorder[k]];
    ofi_log(ctx, OFI_LOG_INFO,
            "sensitivity: %zu samples, %zu of %zu cases and %zu of %u customers can reach a top "
            "%zu",
            S, nc, n, ngc, ng, o->top_n);

    /* ---- the tier quantiles: positions, and buckets over the averages' bounds ------------- */
    if (ng) {
        double mn = glo[0], mx = ghi[0];
        for (uint32_t g = 1; g < ng; g++) {
            mn = glo[g] < mn ? glo[g] : mn;
            mx = ghi[g] > mx ? ghi[g] : mx;
        }
        for (int b = 0; b < 2; b++) {
            band[b].q = b ? 2.0 / 3.0 : 1.0 / 3.0;
            band[b].i = (size_t)((double)(ng - 1) * band[b].q);
        }
        bk.kmin = dkey(mn);
        bk.kmax = dkey(mx);
        while (((bk.kmax - bk.kmin) >> bk.shift) >= NBUCKET)
            bk.shift++;
    }

    /* ---- the samples ------------------------------------------------------------------------- */
    ALLOC(wsample, S * OFI_W_N);
    for (size_t s = 0; s < S; s++)
        for (int w = 0; w < OFI_W_N; w++)
            wsample[s * OFI_W_N + (size_t)w] = q[w] * ofi_sens_factor(o->seed, s + 1, w, F);
    ALLOC(avg, (size_t)LANES * ng);
    ALLOC(cnt, (size_t)ng * 3);
    memset(cnt, 0, (size_t)ng * 3 * sizeof *cnt);
    ALLOC(case_rank, top * S);
    ALLOC(cust_rank, gtop_n * S);
    ALLOC(ccand, (size_t)LANES * nc);
    ALLOC(gcand, (size_t)LANES * ngc);
    ALLOC(scratch, (size_t)LANES * (2 * (o->top_n + 1) + 1));
    const size_t nu_max = ng;
    ALLOC(tmp, (size_t)LANES * (nu_max + 1)); /* a lane's selection: at worst every customer */
    ALLOC(hist, (size_t)LANES * NBUCKET);
    const size_t rmax = top > gtop_n ? top : gtop_n;
    ALLOC(rbuf, (size_t)LANES * (rmax + 1));
    for (size_t s0 = 0; s0 < S; s0 += LANES) {
        const int nl = S - s0 < LANES ? (int)(S - s0) : LANES;
        lanew W;
        for (int w = 0; w < OFI_W_N; w++)
            for (int l = 0; l < LANES; l++) /* spare lanes repeat the last sample */
                W.w[w][l] = wsample[(s0 + (size_t)(l < nl ? l : nl - 1)) * OFI_W_N + (size_t)w];
        /* Customers' exact averages per lane. */
#pragma omp parallel for num_threads(ctx->n_threads) schedule(dynamic, 1)
        for (long lb = 0; lb < (long)((ng + 1023) / 1024); lb++) {
            const uint32_t g0 = (uint32_t)lb * 1024, g1 = ng - g0 < 1024 ? ng : g0 + 1024;
            customer_avgs(&F_, &W, sev_on, seg_on, gstart, g0, g1, ng, avg);
        }
        /* Candidate cases' scores per lane. */
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
        for (long lj = 0; lj < (long)nc; lj++) {
            double sc[LANES];
            const uint32_t i = cc[lj];
            lane_scores(&F_, row_of[i], &W, sev_on, seg_on, sc);
            for (int l = 0; l < LANES; l++) {
                ccand[(size_t)l * nc + (size_t)lj].v = sc[l];
                ccand[(size_t)l * nc + (size_t)lj].id = case_id[i];
            }
        }
        /* Per lane: quantiles, ranks. */
        double t1[LANES] = {0}, t2[LANES] = {0};
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static, 1)
        for (int l = 0; l < nl; l++) {
            const double *al = avg + (size_t)l * ng;
            double *tl = tmp + (size_t)l * (nu_max + 1);
            if (ng) {
                /* Order statistics i and i+1 of both quantiles (positions ascending). */
                size_t pos[4];
                int np = 0;
                for (int b = 0; b < 2; b++) {
                    pos[np++] = band[b].i;
                    if (band[b].i + 1 < ng)
                        pos[np++] = band[b].i + 1;
                }
                double val[4];
                select_positions(al, ng, &bk, pos, np, hist + (size_t)l * NBUCKET, tl, val);
                int p = 0;
                for (int b = 0; b < 2; b++) {
                    const double ai = val[p++];
                    const double ai1 = band[b].i + 1 < ng ? val[p++] : ai;
                    (b ? t2 : t1)[l] = quantile_of(ai, ai1, ng, band[b].i, band[b].q);
                }
            }
            uint32_t *scr = scratch + (size_t)l * (2 * (o->top_n + 1) + 1);
            cand *cl = ccand + (size_t)l * nc;
            uint32_t *r = rbuf + (size_t)l * (rmax + 1);
            if (top) {
                rank_tops(cl, nc, ctop, top, r, scr);
                for (size_t k = 0; k < top; k++)
                    case_rank[k * S + s0 + (size_t)l] = r[k];
            }
            if (gtop_n) {
                cand *gl = gcand + (size_t)l * ngc;
                for (size_t j = 0; j < ngc; j++) {
                    gl[j].v = al[gc[j]];
                    gl[j].id = gid[gc[j]];
                }
                rank_tops(gl, ngc, gtop, gtop_n, r, scr);
                for (size_t k = 0; k < gtop_n; k++)
                    cust_rank[k * S + s0 + (size_t)l] = r[k];
            }
        }
        /* Tiers of every customer. */
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
        for (long lg = 0; lg < (long)ng; lg++) {
            for (int l = 0; l < nl; l++) {
                const double a = avg[(size_t)l * ng + (size_t)lg];
                cnt[(size_t)lg * 3 + (a <= t1[l] ? 0 : a <= t2[l] ? 1 : 2)]++;
            }
        }
        if ((s0 / LANES) % 16 == 15)
            ofi_log(ctx, OFI_LOG_PROGRESS, "sensitivity: %zu of %zu samples", s0 + (size_t)nl, S);
    }

    /* ---- outputs ------------------------------------------------------------------------------- */
    /* The weights, then the baseline's two switches: a row is a whole weights section. */
    ofi_puts(&out_s, "sample");
    for (int w = 0; w < OFI_W_N; w++) {
        ofi_putc(&out_s, ',');
        ofi_puts(&out_s, ofi_weight_key(w));
    }
    ofi_puts(&out_s, ",severity_multiplier,segment_multiplier\n");
    const char *const switches[4] = {",off,off", ",on,off", ",off,on", ",on,on"};
    const char *sw = switches[(sev_on ? 1 : 0) + (seg_on ? 2 : 0)];
    for (size_t s = 0; s < S; s++) {
        ofi_put_u64(&out_s, s + 1);
        for (int w = 0; w < OFI_W_N; w++) {
            char num[40];
            const double v = wsample[s * OFI_W_N + (size_t)w];
            const int len = snprintf(num, sizeof num, ",%.17g", v == 0.0 ? 0.0 : v);
            ofi_put(&out_s, num, (size_t)len);
        }
        ofi_puts(&out_s, sw);
        ofi_putc(&out_s, '\n');
    }
    ALLOC(rk, S);
    ofi_puts(&out_c, "baseline_rank,case_id,baseline_ofi,median_rank,p05_rank,p95_rank,top_n_share\n");
    for (size_t k = 0; k < top; k++)
        put_rank_row(&out_c, k, case_id[border[k]], bscore[border[k]], case_rank + k * S, S,
                     o->top_n, rk);
    ofi_puts(&out_g, "baseline_rank,customer_id,baseline_avg_ofi,median_rank,p05_rank,p95_rank,"
                     "top_n_share\n");
    for (size_t k = 0; k < gtop_n; k++)
        put_rank_row(&out_g, k, gid[gorder[k]], gavg[gorder[k]], cust_rank + k * S, S, o->top_n,
                     rk);
    ofi_puts(&out_t, "customer_id,baseline_tier,low_share,medium_share,high_share\n");
    for (uint32_t k = 0; k < ng; k++) {
        const uint32_t g = gorder[k];
        ofi_put_i64(&out_t, gid[g]);
        ofi_putc(&out_t, ',');
        ofi_puts(&out_t, tier_names[btier[g]]);
        for (int t = 0; t < 3; t++) {
            ofi_putc(&out_t, ',');
            ofi_put_f6(&out_t, (double)cnt[(size_t)g * 3 + (size_t)t] / (double)S);
        }
        ofi_putc(&out_t, '\n');
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/sensitivity_samples.csv", &out_s));
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/sensitivity_cases.csv", &out_c));
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/sensitivity_customers.csv", &out_g));
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/sensitivity_tiers.csv", &out_t));
#undef ALLOC
cleanup:
    free(bscore);
    free(border);
    free(lo);
    free(hi);
    free(glo);
    free(ghi);
    free(gavg);
    free(avg);
    free(tmp);
    free(wsample);
    free(group);
    free(gorder);
    free(gstart);
    free(row_of);
    free(rows_case);
    free(case_rank);
    free(cust_rank);
    free(cnt);
    free(cc);
    free(gc);
    free(ctop);
    free(gtop);
    free(scratch);
    free(pos);
    free(rbuf);
    free(hist);
    free(rk);
    free(keys);
    free(gkeys);
    free(gid);
    free(btier);
    free(ccand);
    free(gcand);
    free(gs);
    free(F_.pc);
    free(F_.fl);
    free(F_.d);
    free(F_.r);
    free(F_.ref);
    free(F_.t);
    free(F_.fw);
    free(F_.sev);
    free(F_.seg);
    ofi_outbuf_free(&out_s);
    ofi_outbuf_free(&out_c);
    ofi_outbuf_free(&out_g);
    ofi_outbuf_free(&out_t);
    return st;
}
