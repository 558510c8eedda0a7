/* score.c - per-case features, the OFI formula, and the cases' domain rules.
 *
 * The formula lives in one inline function, score_one(), used both by the bulk loop
 * (components discarded) and by the writer (components kept): the two cannot disagree.
 * It is evaluated exactly as written in SPEC section 3 - each term (x * points) / per,
 * summed left to right, then the multipliers - so the default weights reproduce the
 * reference pipeline bit for bit. Build flags keep that true: no -ffast-math, and
 * -ffp-contract=off so no multiply-add is fused.
 */
#include "ofi/score.h"

#include "ofi/schema.h"

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
    free(f->delay);
    free(f->resolution);
    free(f->refund_eur);
    free(f->touch);
    free(f->issue);
    free(f->sev_mult);
    free(f->seg_mult);
    memset(f, 0, sizeof *f);
}

static double minutes(int64_t v)
{
    return v == OFI_NULL_I64 || v < 0 ? 0.0 : (double)v;
}

static int flag(int64_t v)
{
    return v != OFI_NULL_I64 && v != 0;
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
    f->prio = malloc(m);
    f->flags = malloc(m);
    f->delay = malloc(m * sizeof(double));
    f->resolution = malloc(m * sizeof(double));
    f->refund_eur = malloc(m * sizeof(double));
    f->touch = malloc(m * sizeof(double));
    f->issue = malloc(m * sizeof(double));
    f->sev_mult = malloc(m * sizeof(double));
    f->seg_mult = malloc(m * sizeof(double));
    /* Priority class per dictionary code, computed once. */
    const ofi_dict *pd = &cs->dict[OFI_CAS_PRIORITY];
    const uint32_t n_codes = ofi_dict_size(pd);
    uint8_t *pclass = malloc(n_codes);
    if (!f->prio || !f->flags || !f->delay || !f->resolution || !f->refund_eur || !f->touch ||
        !f->issue || !f->sev_mult || !f->seg_mult || !pclass) {
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
    const uint32_t *prio = cs->col[OFI_CAS_PRIORITY].code;
    const int64_t *esc = cs->col[OFI_CAS_ESCALATED].i64, *reo = cs->col[OFI_CAS_REOPENED].i64,
                  *ref = cs->col[OFI_CAS_HAS_REFUND].i64, *del = cs->col[OFI_CAS_DELAYED].i64,
                  *dmin = cs->col[OFI_CAS_DELAY_MIN].i64,
                  *rmin = cs->col[OFI_CAS_RESOLUTION_MIN].i64;
    const double *fw = is->col[OFI_ISS_FRICTION].f64, *sm = is->col[OFI_ISS_SEVMUL].f64,
                 *gm = cu->col[OFI_CUS_SEGMUL].f64;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
    for (long li = 0; li < (long)n; li++) {
        const size_t i = (size_t)li;
        f->prio[i] = pclass[prio[i]];
        f->flags[i] = (uint8_t)(flag(esc[i]) | flag(reo[i]) << 1 | flag(ref[i]) << 2 |
                                flag(del[i]) << 3);
        f->delay[i] = minutes(dmin[i]);
        f->resolution[i] = minutes(rmin[i]);
        f->refund_eur[i] = (double)L->refund_cents[i] / 100.0;
        f->touch[i] = (double)L->touch[i];
        const uint32_t ir = L->issue_row[i], cr = L->customer_row[i];
        f->issue[i] = ir != UINT32_MAX && !isnan(fw[ir]) ? fw[ir] : 0.0;
        f->sev_mult[i] = ir != UINT32_MAX && !isnan(sm[ir]) ? sm[ir] : 1.0;
        f->seg_mult[i] = cr != UINT32_MAX && !isnan(gm[cr]) ? gm[cr] : 1.0;
    }
    free(pclass);
    return OFI_OK;
}

static inline double term(double x, const ofi_weight *w)
{
    return (x * w->points) / w->per;
}

static inline double score_one(const ofi_features *f, const ofi_variant *v, size_t i, double *c)
{
    const int pc = f->prio[i] == OFI_PRIO_UNKNOWN ? OFI_PRIO_LOW : f->prio[i];
    const unsigned fl = f->flags[i];
    const double p = term(1.0, &v->w[OFI_W_PRIO_LOW + pc]);
    const double e = term((double)(fl & 1u), &v->w[OFI_W_ESCALATION]);
    const double r = term((double)((fl >> 1) & 1u), &v->w[OFI_W_REOPEN]);
    const double rf = term((double)((fl >> 2) & 1u), &v->w[OFI_W_REFUND_FLAG]);
    const double d = term(f->delay[i], &v->w[OFI_W_DELAY]);
    const double res = term(f->resolution[i], &v->w[OFI_W_RESOLUTION]);
    const double ref = term(f->refund_eur[i], &v->w[OFI_W_REFUND]);
    const double t = term(f->touch[i], &v->w[OFI_W_TOUCH]);
    const double is = term(f->issue[i], &v->w[OFI_W_ISSUE]);
    double s = ((((((((p + e) + r) + rf) + d) + res) + ref) + t) + is);
    if (v->severity_multiplier)
        s = s * f->sev_mult[i];
    if (v->segment_multiplier)
        s = s * f->seg_mult[i];
    if (c) {
        c[0] = p, c[1] = e, c[2] = r, c[3] = rf, c[4] = d, c[5] = res, c[6] = ref, c[7] = t,
        c[8] = is;
    }
    return s;
}

double ofi_score_components(const ofi_features *f, const ofi_variant *v, size_t i, double comp[9])
{
    return score_one(f, v, i, comp);
}

void ofi_score_all(ofi_ctx *ctx, const ofi_features *f, const ofi_variant *v, double *ofi)
{
    const long n = (long)f->n;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
    for (long i = 0; i < n; i++)
        ofi[i] = score_one(f, v, (size_t)i, NULL);
}

void ofi_domain_violations(ofi_ctx *ctx, const ofi_db *db, uint64_t out[8])
{
    const ofi_table *cs = &db->t[OFI_T_CASES];
    const long n = (long)cs->n_rows;
    static const int flag_cols[5] = {OFI_CAS_ESCALATED, OFI_CAS_REOPENED, OFI_CAS_DELAYED,
                                     OFI_CAS_CANCELLED, OFI_CAS_HAS_REFUND};
    const ofi_dict *pd = &cs->dict[OFI_CAS_PRIORITY];
    uint64_t unknown = 0, f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, nd = 0, nr = 0;
    const int64_t *fc[5];
    for (int k = 0; k < 5; k++)
        fc[k] = cs->col[flag_cols[k]].i64;
    const int64_t *dmin = cs->col[OFI_CAS_DELAY_MIN].i64, *rmin = cs->col[OFI_CAS_RESOLUTION_MIN].i64;
    const uint32_t *prio = cs->col[OFI_CAS_PRIORITY].code;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)                              \
    reduction(+ : unknown, f0, f1, f2, f3, f4, nd, nr)
    for (long i = 0; i < n; i++) {
        if (prio[i] == 0) {
            unknown++;
        } else {
            size_t len;
            const char *s = ofi_dict_str(pd, prio[i], &len);
            unknown += ofi_priority_class(s, len) == OFI_PRIO_UNKNOWN;
        }
#define BAD_FLAG(v) ((v) != OFI_NULL_I64 && (v) != 0 && (v) != 1)
        f0 += BAD_FLAG(fc[0][i]);
        f1 += BAD_FLAG(fc[1][i]);
        f2 += BAD_FLAG(fc[2][i]);
        f3 += BAD_FLAG(fc[3][i]);
        f4 += BAD_FLAG(fc[4][i]);
#undef BAD_FLAG
        nd += dmin[i] != OFI_NULL_I64 && dmin[i] < 0;
        nr += rmin[i] != OFI_NULL_I64 && rmin[i] < 0;
    }
    out[0] = unknown, out[1] = f0, out[2] = f1, out[3] = f2, out[4] = f3, out[5] = f4;
    out[6] = nd, out[7] = nr;
}
