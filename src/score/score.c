/* score.c - per-case features, the OFI formula, and the cases' domain rules.
 *
 * The formula lives in two inline functions: terms(), the nine components from a case's
 * inputs, and score_one(), their sum and the multipliers. They serve the reference loop
 * (components discarded) and the writer (components kept, from the case's row or from
 * inputs it gathered itself: ofi_score_terms): the two cannot disagree. It is evaluated exactly as written in SPEC section 3 - each term (x * points) / per,
 * summed left to right, then the multipliers - so the default weights reproduce the
 * reference pipeline bit for bit. Build flags keep that true: no -ffast-math, and
 * -ffp-contract=off so no multiply-add is fused.
 */
#include "ofi/score.h"

#include "ofi/schema.h"

#include <emmintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ofi_priority_class(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                   s[len - 1] == '\n'))
        len--;
    if (len == 3 && strncasecmp(s, "low", 3) == 0)
        return OFI_PRIO_LOW;
    if ((len == 6 && strncasecmp(s, "medium", 6) == 0) || (len == 3 && strncasecmp(s, "med", 3) == 0))
        return OFI_PRIO_MEDIUM;
    if (len == 4 && strncasecmp(s, "high", 4) == 0)
        return OFI_PRIO_HIGH;
    return OFI_PRIO_UNKNOWN;
}

void ofi_features_free(ofi_features *f)
{
    if (f == NULL)
        return;
    free(f->prio);
    free(f->flags);
    free(f->issue_fw);
    free(f->issue_sev);
    free(f->cust_seg);
    memset(f, 0, sizeof *f);
}

static int bad_flag(int64_t v)
{
    return v != OFI_NULL_I64 && v != 0 && v != 1;
}

static int flag(const ofi_table *t, int col, size_t i)
{
    const int8_t v = t->col[col].i8[i];
    if (v == OFI_I8_WIDE)
        return ofi_table_wide(t, col, i) != 0;
    return v != OFI_I8_NULL && v != 0;
}

ofi_status ofi_features_build(ofi_ctx *ctx, const ofi_db *db, ofi_features *f)
{
    const ofi_table *cs = &db->t[OFI_T_CASES];
    const ofi_table *is = &db->t[OFI_T_ISSUES];
    const ofi_table *cu = &db->t[OFI_T_CUSTOMERS];
    const ofi_case_links *L = &db->links;
    const size_t n = cs->n_rows, m = n ? n : 1;
    memset(f, 0, sizeof *f);
    f->n = n;
    f->cases = cs;
    f->delay_min = cs->col[OFI_CAS_DELAY_MIN].i32;
    f->resolution_min = cs->col[OFI_CAS_RESOLUTION_MIN].i32;
    /* Values of 32 bits sum to less than 2^63 over fewer than 2^32 cases; only wider ones
     * (rare: a side list) can take the total past it. */
    f->minutes_past_64 = 0;
    if (cs->wide[OFI_CAS_RESOLUTION_MIN].n > 0) {
        __int128 total = 0;
        for (size_t i = 0; i < f->n; i++)
            total += ofi_feature_minutes(f, f->resolution_min, OFI_CAS_RESOLUTION_MIN, i);
        f->minutes_past_64 = total > (__int128)INT64_MAX;
    }
    f->refund_cents = L->refund_cents;
    f->touch = L->touch;
    f->issue_row = L->issue_row;
    f->customer_row = L->customer_row;
    f->n_issues = (uint32_t)is->n_rows;
    f->n_customers = (uint32_t)cu->n_rows;
    f->prio = malloc(m);
    f->flags = malloc(m);
    f->issue_fw = malloc((is->n_rows + 1) * sizeof(double));
    f->issue_sev = malloc((is->n_rows + 1) * sizeof(double));
    f->cust_seg = malloc((cu->n_rows + 1) * sizeof(double));
    /* Priority class per dictionary code, computed once. */
    const ofi_dict *pd = &cs->dict[OFI_CAS_PRIORITY];
    const uint32_t n_codes = ofi_dict_size(pd);
    uint8_t *pclass = malloc(n_codes);
    if (!f->prio || !f->flags || !f->issue_fw || !f->issue_sev || !f->cust_seg || !pclass) {
        free(pclass);
        ofi_features_free(f);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for case features");
    }
    pclass[0] = OFI_PRIO_UNKNOWN;
    for (uint32_t c = 1; c < n_codes; c++) {
        size_t len;
        const char *s = ofi_dict_str(pd, c, &len);
        pclass[c] = (uint8_t)ofi_priority_class(s, len);
    }
    const double *fw = is->col[OFI_ISS_FRICTION].f64, *sm = is->col[OFI_ISS_SEVMUL].f64,
                 *gm = cu->col[OFI_CUS_SEGMUL].f64;
    for (size_t r = 0; r < is->n_rows; r++) {
        f->issue_fw[r] = isnan(fw[r]) ? 0.0 : fw[r];
        f->issue_sev[r] = isnan(sm[r]) ? 1.0 : sm[r];
    }
    f->issue_fw[is->n_rows] = 0.0;
    f->issue_sev[is->n_rows] = 1.0;
    for (size_t r = 0; r < cu->n_rows; r++)
        f->cust_seg[r] = isnan(gm[r]) ? 1.0 : gm[r];
    f->cust_seg[cu->n_rows] = 1.0;
    unsigned other = 0; /* bit b: flag b's column holds a value other than 0 and 1 */
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static) reduction(| : other)
    for (long li = 0; li < (long)n; li++) {
        const size_t i = (size_t)li;
        f->prio[i] = pclass[ofi_table_code(cs, OFI_CAS_PRIORITY, i)];
        f->flags[i] = (uint8_t)(flag(cs, OFI_CAS_ESCALATED, i) | flag(cs, OFI_CAS_REOPENED, i) << 1 |
                                flag(cs, OFI_CAS_HAS_REFUND, i) << 2 |
                                flag(cs, OFI_CAS_DELAYED, i) << 3);
        other |= (unsigned)((uint8_t)cs->col[OFI_CAS_ESCALATED].i8[i] > 1) |
                 (unsigned)((uint8_t)cs->col[OFI_CAS_REOPENED].i8[i] > 1) << 1 |
                 (unsigned)((uint8_t)cs->col[OFI_CAS_HAS_REFUND].i8[i] > 1) << 2 |
                 (unsigned)((uint8_t)cs->col[OFI_CAS_DELAYED].i8[i] > 1) << 3;
    }
    f->flags_exact = ~other & 15u;
    free(pclass);
    return OFI_OK;
}

/* (x * points) / per. Dividing by 1.0 is exact in IEEE arithmetic, so skipping it when
 * per is 1 changes no bit; the branch is the same for every case of a variant, so it is
 * always predicted, and most weights are plain numbers. */
static inline double term(double x, const ofi_weight *w)
{
    const double y = x * w->points;
    return w->per == 1.0 ? y : y / w->per;
}

/* Case i's inputs, as the formula takes them. */
static inline ofi_case_in case_in(const ofi_features *f, size_t i)
{
    ofi_case_in in;
    in.prio = f->prio[i];
    in.flags = f->flags[i];
    in.issue_row = f->issue_row[i];
    in.touch = f->touch[i];
    in.delay = ofi_feature_minutes(f, f->delay_min, OFI_CAS_DELAY_MIN, i);
    in.resolution = ofi_feature_minutes(f, f->resolution_min, OFI_CAS_RESOLUTION_MIN, i);
    in.refund_cents = f->refund_cents[i];
    return in;
}

/* The nine terms of a case, in output order, and the issue row they used. */
static inline uint32_t terms(const ofi_features *f, const ofi_variant *v, const ofi_case_in *in,
                             double c[9])
{
    const int pc = in->prio == OFI_PRIO_UNKNOWN ? OFI_PRIO_LOW : in->prio;
    const unsigned fl = in->flags;
    const uint32_t ir = in->issue_row == UINT32_MAX ? f->n_issues : in->issue_row;
    c[0] = term(1.0, &v->w[OFI_W_PRIO_LOW + pc]);
    c[1] = term((double)(fl & 1u), &v->w[OFI_W_ESCALATION]);
    c[2] = term((double)((fl >> 1) & 1u), &v->w[OFI_W_REOPEN]);
    c[3] = term((double)((fl >> 2) & 1u), &v->w[OFI_W_REFUND_FLAG]);
    c[4] = term((double)in->delay, &v->w[OFI_W_DELAY]);
    c[5] = term((double)in->resolution, &v->w[OFI_W_RESOLUTION]);
    c[6] = term((double)in->refund_cents / 100.0, &v->w[OFI_W_REFUND]);
    c[7] = term((double)in->touch, &v->w[OFI_W_TOUCH]);
    c[8] = term(f->issue_fw[ir], &v->w[OFI_W_ISSUE]);
    return ir;
}

static inline double score_one(const ofi_features *f, const ofi_variant *v, size_t i, double *c)
{
    const ofi_case_in in = case_in(f, i);
    double t[9];
    const uint32_t ir = terms(f, v, &in, t);
    double s = ((((((((t[0] + t[1]) + t[2]) + t[3]) + t[4]) + t[5]) + t[6]) + t[7]) + t[8]);
    if (v->severity_multiplier)
        s = s * f->issue_sev[ir];
    if (v->segment_multiplier) {
        const uint32_t cr = f->customer_row[i] == UINT32_MAX ? f->n_customers : f->customer_row[i];
        s = s * f->cust_seg[cr];
    }
    if (c)
        memcpy(c, t, sizeof t);
    return s;
}

double ofi_score_components(const ofi_features *f, const ofi_variant *v, size_t i, double comp[9])
{
    return score_one(f, v, i, comp);
}

ofi_case_in ofi_case_inputs(const ofi_features *f, size_t i)
{
    return case_in(f, i);
}

void ofi_score_terms(const ofi_features *f, const ofi_variant *v, const ofi_case_in *in,
                     double comp[9])
{
    terms(f, v, in, comp);
}

void ofi_score_all(ofi_ctx *ctx, const ofi_features *f, const ofi_variant *v, double *ofi)
{
    const long n = (long)f->n;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
    for (long i = 0; i < n; i++)
        ofi[i] = score_one(f, v, (size_t)i, NULL);
}

/* ---- many variants in one pass ----------------------------------------------------------- */

#define BLOCK 512

/* A block of cases' inputs, read once for every variant. */
typedef struct block {
    uint8_t pc[BLOCK], fl[BLOCK];
    double d[BLOCK], r[BLOCK], ref[BLOCK], t[BLOCK], fw[BLOCK], sev[BLOCK], seg[BLOCK];
} block;

/* A variant's constants: the terms that only take a few values, computed by term() itself. */
typedef struct vconst {
    double prio[3];    /* per priority class (unknown scores as low) */
    double flag[3][2]; /* escalation, reopen, refund flag: the terms of 0 and of 1 */
    const ofi_weight *w[5]; /* delay, resolution, refund, touch, issue */
    int sev, seg;
} vconst;

static void variant_consts(const ofi_variant *v, vconst *c)
{
    for (int k = 0; k < 3; k++)
        c->prio[k] = term(1.0, &v->w[OFI_W_PRIO_LOW + k]);
    static const int fw[3] = {OFI_W_ESCALATION, OFI_W_REOPEN, OFI_W_REFUND_FLAG};
    for (int k = 0; k < 3; k++) {
        c->flag[k][0] = term(0.0, &v->w[fw[k]]);
        c->flag[k][1] = term(1.0, &v->w[fw[k]]);
    }
    c->w[0] = &v->w[OFI_W_DELAY];
    c->w[1] = &v->w[OFI_W_RESOLUTION];
    c->w[2] = &v->w[OFI_W_REFUND];
    c->w[3] = &v->w[OFI_W_TOUCH];
    c->w[4] = &v->w[OFI_W_ISSUE];
    c->sev = v->severity_multiplier;
    c->seg = v->segment_multiplier;
}

/* Gather a block's inputs; the multipliers only when a variant uses them (the customers'
 * segment multiplier is a random access into a table of millions). */
static void block_load(const ofi_features *f, size_t i0, size_t m, int sev, int seg, block *b)
{
    for (size_t j = 0; j < m; j++) {
        const size_t i = i0 + j;
        b->pc[j] = f->prio[i] == OFI_PRIO_UNKNOWN ? OFI_PRIO_LOW : f->prio[i];
        b->fl[j] = f->flags[i];
        b->d[j] = (double)ofi_feature_minutes(f, f->delay_min, OFI_CAS_DELAY_MIN, i);
        b->r[j] = (double)ofi_feature_minutes(f, f->resolution_min, OFI_CAS_RESOLUTION_MIN, i);
        b->ref[j] = (double)f->refund_cents[i] / 100.0;
        b->t[j] = (double)f->touch[i];
        const uint32_t ir = f->issue_row[i] == UINT32_MAX ? f->n_issues : f->issue_row[i];
        b->fw[j] = f->issue_fw[ir];
        if (sev)
            b->sev[j] = f->issue_sev[ir];
        if (seg) {
            const uint32_t cr =
                f->customer_row[i] == UINT32_MAX ? f->n_customers : f->customer_row[i];
            b->seg[j] = f->cust_seg[cr];
        }
    }
}

/* One variant's scores of a block in one fused loop: score_one's operations in its order,
 * each case's sum kept in a register. The five continuous terms divide by per only where
 * per is not 1 (dividing by 1 changes no bit but costs a division): the d* arguments are
 * constants at each call of the switch below, so every combination compiles to its own
 * loop without branches. */
static inline __attribute__((always_inline)) void
fused(const block *restrict b, size_t m, const vconst *restrict c, double *restrict acc,
      const int dd, const int dr, const int dref, const int dt, const int dis)
{
    const double p0 = c->prio[0], p1 = c->prio[1], p2 = c->prio[2];
    const double e0 = c->flag[0][0], e1 = c->flag[0][1], r0 = c->flag[1][0],
                 r1 = c->flag[1][1], f0 = c->flag[2][0], f1 = c->flag[2][1];
    const double pd = c->w[0]->points, qd = c->w[0]->per, pr = c->w[1]->points,
                 qr = c->w[1]->per, pf = c->w[2]->points, qf = c->w[2]->per,
                 pt = c->w[3]->points, qt = c->w[3]->per, pi = c->w[4]->points,
                 qi = c->w[4]->per;
#pragma omp simd
    for (size_t j = 0; j < m; j++) {
        const unsigned fl = b->fl[j];
        double a = b->pc[j] == 0 ? p0 : b->pc[j] == 1 ? p1 : p2;
        a = a + (fl & 1u ? e1 : e0);
        a = a + ((fl >> 1) & 1u ? r1 : r0);
        a = a + ((fl >> 2) & 1u ? f1 : f0);
        a = a + (dd ? (b->d[j] * pd) / qd : b->d[j] * pd);
        a = a + (dr ? (b->r[j] * pr) / qr : b->r[j] * pr);
        a = a + (dref ? (b->ref[j] * pf) / qf : b->ref[j] * pf);
        a = a + (dt ? (b->t[j] * pt) / qt : b->t[j] * pt);
        a = a + (dis ? (b->fw[j] * pi) / qi : b->fw[j] * pi);
        acc[j] = a;
    }
}

/* One variant's scores of a block. Cloned for AVX-512 and AVX2: IEEE operations give the
 * same bits at any vector width (no multiply-add is fused: -ffp-contract=off). */
OFI_CLONES static void
block_score(const block *restrict b, size_t m, const vconst *restrict c, double *restrict out)
{
    double acc[BLOCK];
    const int mask = (c->w[0]->per != 1.0) | (c->w[1]->per != 1.0) << 1 |
                     (c->w[2]->per != 1.0) << 2 | (c->w[3]->per != 1.0) << 3 |
                     (c->w[4]->per != 1.0) << 4;
    switch (mask) {
#define F1(k)                                                                                      \
    case k:                                                                                        \
        fused(b, m, c, acc, (k) & 1, ((k) >> 1) & 1, ((k) >> 2) & 1, ((k) >> 3) & 1, ((k) >> 4) & 1); \
        break;
#define F4(k) F1(k) F1(k + 1) F1(k + 2) F1(k + 3)
#define F16(k) F4(k) F4(k + 4) F4(k + 8) F4(k + 12)
        F16(0)
        F16(16)
#undef F16
#undef F4
#undef F1
    }
    if (c->sev) {
#pragma omp simd
        for (size_t j = 0; j < m; j++)
            acc[j] = acc[j] * b->sev[j];
    }
    if (c->seg) {
#pragma omp simd
        for (size_t j = 0; j < m; j++)
            acc[j] = acc[j] * b->seg[j];
    }
    /* Non-temporal stores: the scores of many variants go to memory, not to the cache they
     * would evict, and without reading each line first. */
    size_t j = 0;
    if (((uintptr_t)out & 15) == 0)
        for (; j + 2 <= m; j += 2)
            _mm_stream_pd(out + j, _mm_loadu_pd(acc + j));
    for (; j < m; j++)
        out[j] = acc[j];
}

ofi_status ofi_score_multi(ofi_ctx *ctx, const ofi_features *f, const ofi_variant *v, int k,
                           double *const *out)
{
    vconst *c = malloc((size_t)(k > 0 ? k : 1) * sizeof *c);
    if (c == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for %d variants", k);
    int any_sev = 0, any_seg = 0;
    for (int q = 0; q < k; q++) {
        variant_consts(&v[q], &c[q]);
        any_sev |= c[q].sev;
        any_seg |= c[q].seg;
    }
    const long n_blocks = (long)((f->n + BLOCK - 1) / BLOCK);
    int oom = 0;
#pragma omp parallel num_threads(ctx->n_threads) reduction(| : oom)
    {
        block *b = malloc(sizeof *b);
        if (b == NULL)
            oom = 1;
#pragma omp for schedule(static)
        for (long bi = 0; bi < n_blocks; bi++) {
            if (b == NULL)
                continue;
            const size_t i0 = (size_t)bi * BLOCK, m = f->n - i0 < BLOCK ? f->n - i0 : BLOCK;
            block_load(f, i0, m, any_sev, any_seg, b);
            for (int q = 0; q < k; q++)
                block_score(b, m, &c[q], out[q] + i0);
        }
        free(b);
    }
    _mm_sfence();
    free(c);
    return oom ? ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variant blocks") : OFI_OK;
}

void ofi_domain_violations(ofi_ctx *ctx, const ofi_db *db, uint64_t out[8])
{
    const ofi_table *cs = &db->t[OFI_T_CASES];
    const long n = (long)cs->n_rows;
    const ofi_dict *pd = &cs->dict[OFI_CAS_PRIORITY];
    /* Whether each priority text is unknown, classified once per dictionary code (a
     * dictionary of more than 4096 texts is classified row by row). */
    uint8_t unk_code[4096];
    const uint32_t n_codes = ofi_dict_size(pd);
    const int by_code = n_codes <= sizeof unk_code;
    for (uint32_t c = 0; by_code && c < n_codes; c++) {
        size_t len;
        const char *s = c ? ofi_dict_str(pd, c, &len) : NULL;
        unk_code[c] = c == 0 || ofi_priority_class(s, len) == OFI_PRIO_UNKNOWN;
    }
    uint64_t unknown = 0, f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, nd = 0, nr = 0;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)                              \
    reduction(+ : unknown, f0, f1, f2, f3, f4, nd, nr)
    for (long i = 0; i < n; i++) {
        const uint32_t code = ofi_table_code(cs, OFI_CAS_PRIORITY, (size_t)i);
        if (by_code) {
            unknown += unk_code[code];
        } else if (code == 0) {
            unknown++;
        } else {
            size_t len;
            const char *s = ofi_dict_str(pd, code, &len);
            unknown += ofi_priority_class(s, len) == OFI_PRIO_UNKNOWN;
        }
#define BAD_FLAG(col) bad_flag(ofi_table_int(cs, (col), (size_t)i))
        f0 += BAD_FLAG(OFI_CAS_ESCALATED);
        f1 += BAD_FLAG(OFI_CAS_REOPENED);
        f2 += BAD_FLAG(OFI_CAS_DELAYED);
        f3 += BAD_FLAG(OFI_CAS_CANCELLED);
        f4 += BAD_FLAG(OFI_CAS_HAS_REFUND);
#undef BAD_FLAG
        const int64_t dm = ofi_table_int(cs, OFI_CAS_DELAY_MIN, (size_t)i);
        const int64_t rm = ofi_table_int(cs, OFI_CAS_RESOLUTION_MIN, (size_t)i);
        nd += dm != OFI_NULL_I64 && dm < 0;
        nr += rm != OFI_NULL_I64 && rm < 0;
    }
    out[0] = unknown, out[1] = f0, out[2] = f1, out[3] = f2, out[4] = f3, out[5] = f4;
    out[6] = nd, out[7] = nr;
}
