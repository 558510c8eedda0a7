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

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Doubled ascending average ranks from a descending order: a block of m equal scores at
 * descending positions k..k+m-1 holds ascending ranks n-k-m+1 .. n-k, whose mean doubled
 * is 2n - 2k - m + 1. The blocks come from the sort's tied flags (ofi_sort_desc_ties), not
 * from the values gathered at random. In parallel over ranges of positions: a block
 * belongs to the range it starts in, the range before it may run past its end to finish it. */
static void doubled_ranks(int nt, const uint8_t *tied, const uint32_t *order, size_t n, uint32_t *x)
{
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int t = 0; t < nt; t++) {
        size_t k = n * (size_t)t / (size_t)nt;
        const size_t hi = n * (size_t)(t + 1) / (size_t)nt;
        while (k < hi && k > 0 && tied[k]) /* the end of a block begun in the range before */
            k++;
        while (k < hi) {
            size_t m = 1;
            while (k + m < n && tied[k + m])
                m++;
            const uint32_t r = (uint32_t)(2 * n - 2 * k - m + 1);
            for (size_t j = k; j < k + m; j++)
                x[order[j]] = r;
            k += m;
        }
    }
}

/* Pearson correlation of two doubled-rank series, from exact sums. 0 on success (in *r),
 * -1 when undefined (fewer than 2 values or a constant series). */
static int spearman(int nt, const uint32_t *x, const uint32_t *y, size_t n, double *r)
{
    if (n < 2)
        return -1;
    /* Exact integer sums per thread (OpenMP has no 128-bit reduction), added in order. */
    enum { MAX_PARTS = 256 };
    __int128 part[MAX_PARTS][5];
    const int np = nt < 1 ? 1 : nt < MAX_PARTS ? nt : MAX_PARTS;
#pragma omp parallel for num_threads(np) schedule(static, 1)
    for (int t = 0; t < np; t++) {
        __int128 sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        const size_t lo = n * (size_t)t / (size_t)np, hi = n * (size_t)(t + 1) / (size_t)np;
        for (size_t i = lo; i < hi; i++) {
            sx += x[i];
            sy += y[i];
            sxx += (__int128)x[i] * x[i];
            syy += (__int128)y[i] * y[i];
            sxy += (__int128)x[i] * y[i];
        }
        part[t][0] = sx, part[t][1] = sy, part[t][2] = sxx, part[t][3] = syy, part[t][4] = sxy;
    }
    __int128 sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int t = 0; t < np; t++) {
        sx += part[t][0], sy += part[t][1], sxx += part[t][2], syy += part[t][3];
        sxy += part[t][4];
    }
    const __int128 nn = (__int128)n;
    const __int128 num = nn * sxy - sx * sy, dx = nn * sxx - sx * sx, dy = nn * syy - sy * sy;
    if (dx == 0 || dy == 0)
        return -1;
    *r = (double)num / sqrt((double)dx * (double)dy);
    return 0;
}

/* Sum of |pos_base[order[k]] - k| over k: how far each item moved from the baseline's
 * position (exact, any thread count). */
static uint64_t rank_shift(int nt, const uint32_t *pos_base, const uint32_t *order, size_t n)
{
    uint64_t shift = 0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : shift)
    for (long k = 0; k < (long)n; k++) {
        const uint32_t b = pos_base[order[k]];
        shift += b > (uint32_t)k ? b - (uint32_t)k : (uint32_t)k - b;
    }
    return shift;
}

/* Position of case i in order (score desc, then case id asc): the count of cases before
 * it, by binary search (a few dozen reads, where filling a position per case for the few
 * cases asked took a random write per case). */
static size_t position_of(const double *score, const int64_t *id, const uint32_t *order, size_t n,
                          uint32_t i)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const uint32_t j = order[mid];
        if (score[j] > score[i] || (score[j] == score[i] && id[j] < id[i]))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
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

/* The customer groups every variant shares. */
typedef struct customers {
    uint32_t *group;   /* per case: its customer's group, UINT32_MAX for a NULL id */
    uint32_t n;        /* customers with cases */
    int64_t *ids;      /* per group */
    uint32_t *n_cases; /* per group */
} customers;

/* Rank and tier one variant whose scores are in r->score; *total gets their exact sum.
 * sums (one per customer group) and tied (one per case) are scratch. */
static ofi_status rank_variant(ofi_ctx *ctx, const ofi_db *db, const ofi_features *f,
                               const customers *cu, double *sums, uint8_t *tied, double t[2],
                               double *total, ranking *r)
{
    const size_t n = f->n;
    const int nt = ctx->n_threads < 1 ? 1 : ctx->n_threads;
    const uint32_t ng = cu->n;
    OFI_TRY(ofi_sort_desc_ties(ctx, n, r->score, db->t[OFI_T_CASES].col[OFI_CAS_ID].i64,
                               r->order, tied));
    doubled_ranks(nt, tied, r->order, n, r->rank2);
    const int scale = ofi_group_scale(ctx, r->score, n);
    OFI_TRY(ofi_group_sums(ctx, r->score, n, scale, cu->group, ng, sums, total));
    for (uint32_t g = 0; g < ng; g++)
        r->cust_avg[g] = sums[g] / (double)cu->n_cases[g];
    OFI_TRY(ofi_sort_desc_ties(ctx, ng, r->cust_avg, cu->ids, r->cust_order, tied));
    doubled_ranks(nt, tied, r->cust_order, ng, r->cust_rank2);
    t[0] = t[1] = 0;
    if (ng) {
        t[0] = ofi_quantile_desc(r->cust_avg, r->cust_order, ng, 1.0 / 3.0);
        t[1] = ofi_quantile_desc(r->cust_avg, r->cust_order, ng, 2.0 / 3.0);
    }
    for (uint32_t g = 0; g < ng; g++)
        r->tier[g] = (uint8_t)tier_of(r->cust_avg[g], t[0], t[1]);
    return OFI_OK;
}

/* Number the customers with cases. With every customer id a row of the customers table
 * (no orphan ids, the usual case), a group is a row that has cases, numbered in row order;
 * otherwise the ids are numbered in order of first appearance (ofi_densify). The numbering
 * does not show: groups are ranked by (average, id). On failure *cu holds what was
 * allocated so far: customers_free releases it. */
static ofi_status customers_init(ofi_ctx *ctx, const ofi_db *db, size_t n, customers *cu)
{
    memset(cu, 0, sizeof *cu);
    const ofi_table *cs = &db->t[OFI_T_CASES], *ct = &db->t[OFI_T_CUSTOMERS];
    cu->group = malloc((n ? n : 1) * sizeof *cu->group);
    if (cu->group == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
    if (cs->by_row[OFI_CAS_CUSTOMER] && cs->wide[OFI_CAS_CUSTOMER].n == 0) {
        const uint32_t *row = db->links.customer_row;
        const size_t nr = ct->n_rows;
        uint32_t *map = calloc(nr ? nr : 1, sizeof *map); /* row -> cases, then -> group */
        if (map == NULL)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
        for (size_t i = 0; i < n; i++)
            if (row[i] != UINT32_MAX)
                map[row[i]]++;
        for (size_t k = 0; k < nr; k++)
            cu->n += map[k] != 0;
        cu->ids = malloc((cu->n ? cu->n : 1) * sizeof *cu->ids);
        cu->n_cases = malloc((cu->n ? cu->n : 1) * sizeof *cu->n_cases);
        if (cu->ids == NULL || cu->n_cases == NULL) {
            free(map);
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
        }
        uint32_t g = 0;
        for (size_t k = 0; k < nr; k++)
            if (map[k]) {
                cu->ids[g] = ofi_table_key(ct, (uint32_t)k);
                cu->n_cases[g] = map[k];
                map[k] = g++;
            }
        for (size_t i = 0; i < n; i++)
            cu->group[i] = row[i] == UINT32_MAX ? UINT32_MAX : map[row[i]];
        free(map);
        return OFI_OK;
    }
    uint64_t *keys = malloc((n ? n : 1) * sizeof *keys), *gkeys = NULL;
    if (keys == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
    for (size_t i = 0; i < n; i++) {
        const int64_t id = ofi_case_fk(db, OFI_CAS_CUSTOMER, i);
        keys[i] = id == OFI_NULL_I64 ? UINT64_MAX : (uint64_t)id;
    }
    ofi_status st = ofi_densify(ctx, n, keys, cu->group, &cu->n, &gkeys);
    free(keys);
    if (st != OFI_OK)
        return st;
    cu->ids = malloc((cu->n ? cu->n : 1) * sizeof *cu->ids);
    cu->n_cases = calloc(cu->n ? cu->n : 1, sizeof *cu->n_cases);
    if (cu->ids == NULL || cu->n_cases == NULL) {
        free(gkeys);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
    }
    for (uint32_t g = 0; g < cu->n; g++)
        cu->ids[g] = (int64_t)gkeys[g];
    free(gkeys);
    for (size_t i = 0; i < n; i++)
        if (cu->group[i] != UINT32_MAX)
            cu->n_cases[cu->group[i]]++;
    return OFI_OK;
}

static void customers_free(customers *cu)
{
    free(cu->group);
    free(cu->ids);
    free(cu->n_cases);
    memset(cu, 0, sizeof *cu);
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
    customers cu = {0};
    uint32_t *uni = NULL;
    double *sums = NULL;
    uint8_t *in_base_top = NULL, *tied = NULL;
    ofi_outbuf sum = {0}, tops = {0}, mig = {0}, shifts = {0}, moves = {0};
    uint32_t *pos_base = NULL, *cpos_base = NULL;
    double **scores = NULL;
    int group = 0;
    const int nt = ctx->n_threads < 1 ? 1 : ctx->n_threads;
    const int64_t *case_ids = db->t[OFI_T_CASES].col[OFI_CAS_ID].i64;

    /* Customers with cases (NULL customer ids left out), numbered once for all variants. */
    OFI_CHECK(customers_init(ctx, db, n, &cu));
    const uint32_t ng = cu.n;
    in_base_top = calloc(n ? n : 1, 1);
    uni = malloc((2 * top + 1) * sizeof *uni);
    sums = malloc((ng ? ng : 1) * sizeof *sums);
    tied = malloc(n ? n : 1); /* n >= ng */
    if (!in_base_top || !uni || !sums || !tied) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for variants");
        goto cleanup;
    }
    OFI_CHECK(ranking_alloc(ctx, &base, n, ng));
    OFI_CHECK(ranking_alloc(ctx, &cur, n, ng));
    pos_base = malloc((n ? n : 1) * sizeof *pos_base);
    cpos_base = malloc((ng ? ng : 1) * sizeof *cpos_base);
    if (!pos_base || !cpos_base) {
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
        double t[2], total;
        if (vi % group == 0) {
            const int k = w->n - vi < group ? w->n - vi : group;
            OFI_CHECK(ofi_score_multi(ctx, f, &w->v[vi], k, scores));
        }
        memcpy(r->score, scores[vi % group], per_variant);
        OFI_CHECK(rank_variant(ctx, db, f, &cu, sums, tied, t, &total, r));
        if (vi == 0) {
            for (size_t k = 0; k < top; k++)
                in_base_top[base.order[k]] = 1;
#pragma omp parallel for num_threads(nt) schedule(static)
            for (long k = 0; k < (long)n; k++)
                pos_base[base.order[k]] = (uint32_t)k;
            for (uint32_t k = 0; k < ng; k++)
                cpos_base[base.cust_order[k]] = k;
        }
        /* Summary row. */
        ofi_put_text(&sum, v->name, strlen(v->name));
        ofi_putc(&sum, ',');
        if (n) {
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
        const int bad_rho = spearman(nt, base.rank2, r->rank2, n, &rho);
        const int bad_rhoc = spearman(nt, base.cust_rank2, r->cust_rank2, ng, &rhoc);
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
        const uint64_t shift = rank_shift(nt, pos_base, r->order, n);
        const uint64_t cshift = rank_shift(nt, cpos_base, r->cust_order, ng);
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
        for (int leaving = 0; leaving < 2; leaving++)
            for (size_t k = 0; k < top; k++) {
                const uint32_t i = leaving ? base.order[k] : r->order[k];
                if (!leaving && in_base_top[i])
                    continue;
                const size_t vpos = leaving ? position_of(r->score, case_ids, r->order, n, i) : k;
                if (leaving && vpos < top)
                    continue;
                ofi_put_text(&moves, v->name, strlen(v->name));
                ofi_puts(&moves, leaving ? ",leaving," : ",entering,");
                ofi_put_i64(&moves, case_ids[i]);
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
            ofi_put_i64(&tops, case_ids[r->order[k]]);
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
    customers_free(&cu);
    free(sums);
    free(tied);
    free(in_base_top);
    free(uni);
    ofi_outbuf_free(&sum);
    ofi_outbuf_free(&tops);
    ofi_outbuf_free(&mig);
    ofi_outbuf_free(&shifts);
    ofi_outbuf_free(&moves);
    free(pos_base);
    free(cpos_base);
    return st;
}
