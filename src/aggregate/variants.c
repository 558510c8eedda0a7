/* variants.c - every variant's scores, ranks, customer tiers, and how they move from the
 * baseline's.
 *
 * The scores of all variants come from one pass over the cases (ofi_score_multi; in groups
 * when they would not fit in a quarter of the memory). Per variant: radix-sort them (score desc, case_id asc), derive doubled
 * average ranks (X = 2 * rank: integers even with ties), group by customer with exact
 * sums, tier the customers, and compare with the baseline kept from the first variant.
 * Spearman is Pearson over ranks from exact 128-bit sums; Kendall's tau-b counts pairs
 * over the union of the two top-N sets (small).
 */
#include "ofi/variants.h"

#include "ofi/aggregate.h"
#include "ofi/outbuf.h"
#include "ofi/xsum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Doubled ascending average ranks from a descending order: a block of m equal scores at
 * descending positions k..k+m-1 holds ascending ranks n-k-m+1 .. n-k, whose mean doubled
 * is 2n - 2k - m + 1. */
static void doubled_ranks(const double *v, const uint32_t *order, size_t n, uint32_t *x)
{
    for (size_t k = 0; k < n;) {
        size_t m = 1;
        while (k + m < n && v[order[k + m]] == v[order[k]])
            m++;
        const uint32_t r = (uint32_t)(2 * n - 2 * k - m + 1);
        for (size_t j = k; j < k + m; j++)
            x[order[j]] = r;
        k += m;
    }
}

/* Pearson correlation of two doubled-rank series, from exact sums. 0 on success (in *r),
 * -1 when undefined (fewer than 2 values or a constant series). */
static int spearman(const uint32_t *x, const uint32_t *y, size_t n, double *r)
{
    if (n < 2)
        return -1;
    __int128 sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        sx += x[i];
        sy += y[i];
        sxx += (__int128)x[i] * x[i];
        syy += (__int128)y[i] * y[i];
        sxy += (__int128)x[i] * y[i];
    }
    const __int128 nn = (__int128)n;
    const __int128 num = nn * sxy - sx * sy, dx = nn * sxx - sx * sx, dy = nn * syy - sy * sy;
    if (dx == 0 || dy == 0)
        return -1;
    *r = (double)num / sqrt((double)dx * (double)dy);
    return 0;
}

static int sgn(double a, double b)
{
    return (a > b) - (a < b);
}

/* Kendall's tau-b of (x[i], y[i]) over the cases in idx[0..m). */
static int kendall(const double *x, const double *y, const uint32_t *idx, size_t m, double *tau)
{
    if (m < 2)
        return -1;
    int64_t c = 0, d = 0, tx = 0, ty = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            const int a = sgn(x[idx[i]], x[idx[j]]), b = sgn(y[idx[i]], y[idx[j]]);
            if (a * b > 0)
                c++;
            else if (a * b < 0)
                d++;
            tx += a == 0;
            ty += b == 0;
        }
    const int64_t n0 = (int64_t)(m * (m - 1) / 2);
    if (n0 - tx == 0 || n0 - ty == 0)
        return -1;
    *tau = (double)(c - d) / sqrt((double)(n0 - tx) * (double)(n0 - ty));
    return 0;
}

static int tier_of(double avg, double t1, double t2)
{
    return avg <= t1 ? 0 : avg <= t2 ? 1 : 2;
}

static const char *const tier_names[3] = {"Low Friction", "Medium Friction", "High Friction"};

/* What each variant needs, with the baseline's copy kept for the comparisons. */
typedef struct ranking {
    double *score;      /* per case */
    uint32_t *order;    /* cases by score desc, case_id asc */
    uint32_t *rank2;    /* doubled ranks per case */
    double *cust_avg;   /* per customer group */
    uint32_t *cust_order;
    uint32_t *cust_rank2;
    uint8_t *tier;      /* per customer group */
} ranking;

static void ranking_free(ranking *r)
{
    free(r->score);
    free(r->order);
    free(r->rank2);
    free(r->cust_avg);
    free(r->cust_order);
    free(r->cust_rank2);
    free(r->tier);
    memset(r, 0, sizeof *r);
}

static ofi_status ranking_alloc(ofi_ctx *ctx, ranking *r, size_t n, size_t ng)
{
    memset(r, 0, sizeof *r);
    const size_t a = n ? n : 1, b = ng ? ng : 1;
    r->score = malloc(a * sizeof *r->score);
    r->order = malloc(a * sizeof *r->order);
    r->rank2 = malloc(a * sizeof *r->rank2);
    r->cust_avg = malloc(b * sizeof *r->cust_avg);
    r->cust_order = malloc(b * sizeof *r->cust_order);
    r->cust_rank2 = malloc(b * sizeof *r->cust_rank2);
    r->tier = malloc(b);
    if (!r->score || !r->order || !r->rank2 || !r->cust_avg || !r->cust_order || !r->cust_rank2 ||
        !r->tier) {
        ranking_free(r);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
    }
    return OFI_OK;
}

/* Rank and tier one variant whose scores are in r->score. */
static ofi_status rank_variant(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f,
                               const uint32_t *cust_group, uint32_t ng, const int64_t *cust_ids,
                               ofi_gstat *gs, double t[2], ranking *r)
{
    const size_t n = f->n;
    OFI_TRY(ofi_sort_desc(ctx, n, r->score, db->t[OFI_T_CASES].col[OFI_CAS_ID].i64, r->order));
    doubled_ranks(r->score, r->order, n, r->rank2);
    OFI_TRY(ofi_group(ctx, db, f, r->score, cust_group, ng, gs));
    for (uint32_t g = 0; g < ng; g++)
        r->cust_avg[g] = gs[g].total_ofi / (double)gs[g].count;
    OFI_TRY(ofi_sort_desc(ctx, ng, r->cust_avg, cust_ids, r->cust_order));
    doubled_ranks(r->cust_avg, r->cust_order, ng, r->cust_rank2);
    t[0] = t[1] = 0;
    if (ng) {
        t[0] = ofi_quantile_desc(r->cust_avg, r->cust_order, ng, 1.0 / 3.0);
        t[1] = ofi_quantile_desc(r->cust_avg, r->cust_order, ng, 2.0 / 3.0);
    }
    for (uint32_t g = 0; g < ng; g++)
        r->tier[g] = (uint8_t)tier_of(r->cust_avg[g], t[0], t[1]);
    return OFI_OK;
}

static void put_opt_f6(ofi_outbuf *b, int undefined, double v)
{
    if (!undefined)
        ofi_put_f6(b, v);
}

ofi_status ofi_variants_write(ofi_ctx *ctx, ofi_outset *set, const ofi_db *db,
                              const ofi_features *f, const ofi_weights *w, size_t top_n)
{
    const size_t n = f->n;
    const size_t top = top_n < n ? top_n : n;
    ofi_status st = OFI_OK;
    ranking base = {0}, cur = {0};
    uint32_t *cust_group = NULL, *uni = NULL;
    uint64_t *keys = NULL, *gkeys = NULL;
    int64_t *cust_ids = NULL;
    ofi_gstat *gs = NULL;
    uint8_t *in_base_top = NULL;
    ofi_outbuf sum = {0}, tops = {0}, mig = {0}, shifts = {0}, moves = {0};
    uint32_t *pos_base = NULL, *cpos_base = NULL, *pos_cur = NULL;
    uint32_t ng = 0;
    double **scores = NULL;
    int group = 0;

    /* Customers with cases (NULL customer ids left out), numbered once for all variants. */
    keys = malloc((n ? n : 1) * sizeof *keys);
    cust_group = malloc((n ? n : 1) * sizeof *cust_group);
    in_base_top = calloc(n ? n : 1, 1);
    uni = malloc((2 * top + 1) * sizeof *uni);
    if (!keys || !cust_group || !in_base_top || !uni) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const int64_t id = ofi_case_fk(db, OFI_CAS_CUSTOMER, i);
        keys[i] = id == OFI_NULL_I64 ? UINT64_MAX : (uint64_t)id;
    }
    OFI_CHECK(ofi_densify(ctx, n, keys, cust_group, &ng, &gkeys));
    cust_ids = malloc((ng ? ng : 1) * sizeof *cust_ids);
    gs = malloc((ng ? ng : 1) * sizeof *gs);
    if (!cust_ids || !gs) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
        goto cleanup;
    }
    for (uint32_t g = 0; g < ng; g++)
        cust_ids[g] = (int64_t)gkeys[g];
    OFI_CHECK(ranking_alloc(ctx, &base, n, ng));
    OFI_CHECK(ranking_alloc(ctx, &cur, n, ng));
    pos_base = malloc((n ? n : 1) * sizeof *pos_base);
    cpos_base = malloc((ng ? ng : 1) * sizeof *cpos_base);
    pos_cur = malloc((n ? n : 1) * sizeof *pos_cur);
    if (!pos_base || !cpos_base || !pos_cur) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
        goto cleanup;
    }

    ofi_puts(&sum, "variant,avg_ofi,p50_ofi,p90_ofi,p99_ofi,max_ofi,topN_overlap,spearman_cases,"
                   "spearman_customers,kendall_tau_top,tier_changes\n");
    ofi_puts(&tops, "variant,rank,case_id,ofi\n");
    ofi_puts(&mig, "variant,from_tier,to_tier,customers\n");
    ofi_puts(&shifts, "variant,mean_abs_rank_shift_cases,mean_abs_rank_shift_customers,"
                      "tier_change_share\n");
    ofi_puts(&moves, "variant,change,case_id,baseline_rank,variant_rank\n");
    /* Scores of as many variants as a quarter of the memory holds (all of them, usually),
     * in one pass over the cases; then each variant is ranked in turn. */
    const size_t per_variant = (n ? n : 1) * sizeof(double);
    const double mem = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    group = mem > 0 ? (int)(mem / 4.0 / (double)per_variant) : 1;
    group = group < 1 ? 1 : group > w->n ? w->n : group;
    scores = calloc((size_t)group, sizeof *scores);
    if (scores == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
        goto cleanup;
    }
    for (int q = 0; q < group; q++)
        if ((scores[q] = malloc(per_variant)) == NULL) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for the scores of %d variants", group);
            goto cleanup;
        }
    for (int vi = 0; vi < w->n; vi++) {
        const ofi_variant *v = &w->v[vi];
        ranking *r = vi == 0 ? &base : &cur;
        double t[2];
        if (vi % group == 0) {
            const int k = w->n - vi < group ? w->n - vi : group;
            OFI_CHECK(ofi_score_multi(ctx, f, &w->v[vi], k, scores));
        }
        memcpy(r->score, scores[vi % group], per_variant);
        OFI_CHECK(rank_variant(ctx, db, f, cust_group, ng, cust_ids, gs, t, r));
        if (vi == 0) {
            for (size_t k = 0; k < top; k++)
                in_base_top[base.order[k]] = 1;
            for (size_t k = 0; k < n; k++)
                pos_base[base.order[k]] = (uint32_t)k;
            for (uint32_t k = 0; k < ng; k++)
                cpos_base[base.cust_order[k]] = k;
        }
        /* Summary row. */
        ofi_put_text(&sum, v->name, strlen(v->name));
        ofi_putc(&sum, ',');
        if (n) {
            const double total = ofi_fsum(r->score, n);
            ofi_put_f6(&sum, total / (double)n);
            ofi_putc(&sum, ',');
            ofi_put_f6(&sum, ofi_quantile_desc(r->score, r->order, n, 0.5));
            ofi_putc(&sum, ',');
            ofi_put_f6(&sum, ofi_quantile_desc(r->score, r->order, n, 0.9));
            ofi_putc(&sum, ',');
            ofi_put_f6(&sum, ofi_quantile_desc(r->score, r->order, n, 0.99));
            ofi_putc(&sum, ',');
            ofi_put_f6(&sum, r->score[r->order[0]]);
        } else {
            ofi_puts(&sum, ",,,,");
        }
        size_t overlap = 0, m = 0;
        for (size_t k = 0; k < top; k++) {
            overlap += in_base_top[r->order[k]];
            uni[m++] = base.order[k];
        }
        for (size_t k = 0; k < top; k++)
            if (!in_base_top[r->order[k]])
                uni[m++] = r->order[k];
        double rho, rhoc, tau;
        const int bad_rho = spearman(base.rank2, r->rank2, n, &rho);
        const int bad_rhoc = spearman(base.cust_rank2, r->cust_rank2, ng, &rhoc);
        const int bad_tau = kendall(base.score, r->score, uni, m, &tau);
        uint64_t changes = 0, moved[3][3] = {{0}};
        for (uint32_t g = 0; g < ng; g++) {
            changes += base.tier[g] != r->tier[g];
            moved[base.tier[g]][r->tier[g]]++;
        }
        ofi_putc(&sum, ',');
        ofi_put_u64(&sum, overlap);
        ofi_putc(&sum, ',');
        put_opt_f6(&sum, bad_rho, rho);
        ofi_putc(&sum, ',');
        put_opt_f6(&sum, bad_rhoc, rhoc);
        ofi_putc(&sum, ',');
        put_opt_f6(&sum, bad_tau, tau);
        ofi_putc(&sum, ',');
        ofi_put_u64(&sum, changes);
        ofi_putc(&sum, '\n');
        /* Rank shifts (positions in each ranking, ties broken by id) and tier changes. */
        uint64_t shift = 0, cshift = 0;
        for (size_t k = 0; k < n; k++) {
            const uint32_t b = pos_base[r->order[k]];
            shift += b > k ? b - k : k - b;
        }
        for (uint32_t k = 0; k < ng; k++) {
            const uint32_t b = cpos_base[r->cust_order[k]];
            cshift += b > k ? b - k : k - b;
        }
        ofi_put_text(&shifts, v->name, strlen(v->name));
        ofi_putc(&shifts, ',');
        if (n)
            ofi_put_f6(&shifts, (double)shift / (double)n);
        ofi_putc(&shifts, ',');
        if (ng) {
            ofi_put_f6(&shifts, (double)cshift / (double)ng);
            ofi_putc(&shifts, ',');
            ofi_put_f6(&shifts, (double)changes / (double)ng);
        } else {
            ofi_putc(&shifts, ',');
        }
        ofi_putc(&shifts, '\n');
        /* Top-N cases entering (in the variant's, not the baseline's) and leaving. */
        for (size_t k = 0; k < n; k++)
            pos_cur[r->order[k]] = (uint32_t)k;
        for (int leaving = 0; leaving < 2; leaving++)
            for (size_t k = 0; k < top; k++) {
                const uint32_t i = leaving ? base.order[k] : r->order[k];
                const size_t vpos = pos_cur[i];
                if (leaving ? vpos < top : in_base_top[i] != 0)
                    continue;
                ofi_put_text(&moves, v->name, strlen(v->name));
                ofi_puts(&moves, leaving ? ",leaving," : ",entering,");
                ofi_put_i64(&moves, db->t[OFI_T_CASES].col[OFI_CAS_ID].i64[i]);
                ofi_putc(&moves, ',');
                ofi_put_u64(&moves, (uint64_t)pos_base[i] + 1);
                ofi_putc(&moves, ',');
                ofi_put_u64(&moves, (uint64_t)vpos + 1);
                ofi_putc(&moves, '\n');
            }
        /* Top cases. */
        for (size_t k = 0; k < top; k++) {
            ofi_put_text(&tops, v->name, strlen(v->name));
            ofi_putc(&tops, ',');
            ofi_put_u64(&tops, k + 1);
            ofi_putc(&tops, ',');
            ofi_put_i64(&tops, db->t[OFI_T_CASES].col[OFI_CAS_ID].i64[r->order[k]]);
            ofi_putc(&tops, ',');
            ofi_put_f6(&tops, r->score[r->order[k]]);
            ofi_putc(&tops, '\n');
        }
        /* Tier migration: all nine pairs. */
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                ofi_put_text(&mig, v->name, strlen(v->name));
                ofi_putc(&mig, ',');
                ofi_puts(&mig, tier_names[a]);
                ofi_putc(&mig, ',');
                ofi_puts(&mig, tier_names[b]);
                ofi_putc(&mig, ',');
                ofi_put_u64(&mig, moved[a][b]);
                ofi_putc(&mig, '\n');
            }
        ofi_log(ctx, OFI_LOG_PROGRESS, "variant %d/%d (%s) scored", vi + 1, w->n, v->name);
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/variant_summary.csv", &sum));
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/variant_top_cases.csv", &tops));
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/variant_tier_migration.csv", &mig));
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/variant_rank_shifts.csv", &shifts));
    OFI_CHECK(ofi_outset_put(ctx, set, "variants/variant_top_changes.csv", &moves));
cleanup:
    for (int q = 0; scores && q < group; q++)
        free(scores[q]);
    free(scores);
    ranking_free(&base);
    ranking_free(&cur);
    free(keys);
    free(gkeys);
    free(cust_group);
    free(cust_ids);
    free(gs);
    free(in_base_top);
    free(uni);
    ofi_outbuf_free(&sum);
    ofi_outbuf_free(&tops);
    ofi_outbuf_free(&mig);
    ofi_outbuf_free(&shifts);
    ofi_outbuf_free(&moves);
    free(pos_base);
    free(cpos_base);
    free(pos_cur);
    return st;
}
