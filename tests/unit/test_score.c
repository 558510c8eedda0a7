/* test_score.c - the OFI formula (score.h, SPEC 3 and 7), checked bit for bit.
 *
 * Features are built by hand; the expected score is the formula as written in the spec,
 * restated here: each term (x * points) / per, summed left to right, then the severity
 * and segment multipliers when the variant turns them on.
 */
#include "ofi/score.h"

#include "ofi/weights.h"
#include "unit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- hand-built features -------------------------------------------------------------- */

/* The features view borrows the case columns and join results; the test owns them here.
 * Minutes are narrow int32 columns: OFI_I32_NULL for NULL, OFI_I32_WIDE for a value kept
 * in the cases table's side list (ofi_table_wide). */
typedef struct hand {
    ofi_features f;
    ofi_table *cases;
    int32_t *delay, *res;
    int64_t *cents;
    uint32_t *touch, *issue_row, *cust_row;
    size_t n_wide_d, n_wide_r;
} hand;

#define NULL_MIN INT64_MIN

typedef struct hcase {
    int prio;
    unsigned flags;
    int64_t delay, res; /* NULL_MIN for NULL; outside int32 goes to the side list */
    int64_t cents;
    uint32_t touch, issue, cust; /* issue / customer row, UINT32_MAX when missing */
} hcase;

enum { ESC = 1, REO = 2, REF = 4, DEL = 8 };

static const double ISSUE_FW[3] = {2.0, 0.35, 1.7};
static const double ISSUE_SEV[3] = {1.0, 1.25, 0.9};
static const double CUST_SEG[3] = {0.8, 1.15, 1.9};

static void hand_alloc(hand *h, size_t n)
{
    memset(h, 0, sizeof *h);
    size_t m = n ? n : 1;
    h->cases = calloc(1, sizeof *h->cases);
    h->delay = malloc(m * sizeof *h->delay);
    h->res = malloc(m * sizeof *h->res);
    h->cents = malloc(m * sizeof *h->cents);
    h->touch = malloc(m * sizeof *h->touch);
    h->issue_row = malloc(m * sizeof *h->issue_row);
    h->cust_row = malloc(m * sizeof *h->cust_row);
    ofi_wide *wd = &h->cases->wide[OFI_CAS_DELAY_MIN], *wr = &h->cases->wide[OFI_CAS_RESOLUTION_MIN];
    wd->row = malloc(m * sizeof *wd->row);
    wd->val = malloc(m * sizeof *wd->val);
    wr->row = malloc(m * sizeof *wr->row);
    wr->val = malloc(m * sizeof *wr->val);
    ofi_features *f = &h->f;
    f->n = n;
    f->prio = malloc(m);
    f->flags = malloc(m);
    f->cases = h->cases;
    f->delay_min = h->delay;
    f->resolution_min = h->res;
    f->refund_cents = h->cents;
    f->touch = h->touch;
    f->issue_row = h->issue_row;
    f->customer_row = h->cust_row;
    f->n_issues = 3;
    f->n_customers = 3;
    f->issue_fw = malloc(4 * sizeof(double));
    f->issue_sev = malloc(4 * sizeof(double));
    f->cust_seg = malloc(4 * sizeof(double));
    cr_assert(h->cases && h->delay && h->res && h->cents && h->touch && h->issue_row &&
              h->cust_row && wd->row && wd->val && wr->row && wr->val && f->prio && f->flags &&
              f->issue_fw && f->issue_sev && f->cust_seg);
    for (int k = 0; k < 3; k++) {
        f->issue_fw[k] = ISSUE_FW[k];
        f->issue_sev[k] = ISSUE_SEV[k];
        f->cust_seg[k] = CUST_SEG[k];
    }
    f->issue_fw[3] = 0.0;  /* a missing issue: no friction */
    f->issue_sev[3] = 1.0; /* and multiplies by 1 */
    f->cust_seg[3] = 1.0;
}

static int32_t narrow(ofi_wide *w, size_t i, int64_t v)
{
    if (v == NULL_MIN)
        return OFI_I32_NULL;
    if (v > INT32_MIN + 1 && v <= INT32_MAX)
        return (int32_t)v;
    w->row[w->n] = i; /* rows are set in ascending order */
    w->val[w->n] = v;
    w->n++;
    return OFI_I32_WIDE;
}

static void hand_set(hand *h, size_t i, const hcase *c)
{
    h->f.prio[i] = (uint8_t)c->prio;
    h->f.flags[i] = (uint8_t)c->flags;
    h->delay[i] = narrow(&h->cases->wide[OFI_CAS_DELAY_MIN], i, c->delay);
    h->res[i] = narrow(&h->cases->wide[OFI_CAS_RESOLUTION_MIN], i, c->res);
    h->cents[i] = c->cents;
    h->touch[i] = c->touch;
    h->issue_row[i] = c->issue;
    h->cust_row[i] = c->cust;
}

static void hand_free(hand *h)
{
    ofi_features_free(&h->f); /* frees the owned arrays, zeroes the view */
    for (int c = 0; c < OFI_MAX_COLS; c++) {
        free(h->cases->wide[c].row);
        free(h->cases->wide[c].val);
    }
    free(h->cases);
    free(h->delay);
    free(h->res);
    free(h->cents);
    free(h->touch);
    free(h->issue_row);
    free(h->cust_row);
    memset(h, 0, sizeof *h);
}

/* Five cases: every component, unknown priority, NULL and negative minutes, minutes
 * beyond int32 (side list), missing issue and customer rows, inexact fractions. */
static const hcase FIVE[5] = {
    {OFI_PRIO_HIGH, ESC | REO, 60, 240, 1000, 3, 0, UINT32_MAX},
    {OFI_PRIO_MEDIUM, ESC | REF | DEL, 7, 1234, 12345, 5, 1, 0},
    {OFI_PRIO_UNKNOWN, REO | REF, NULL_MIN, -30, 0, 0, UINT32_MAX, 1},
    {OFI_PRIO_LOW, DEL, 13, 77, 7, 1, 2, 1},
    {OFI_PRIO_HIGH, ESC | REO | REF | DEL, 3000000000ll, -5000000000ll, 9999999, 250, 2, 2},
};

static void five_cases(hand *h)
{
    hand_alloc(h, 5);
    for (size_t i = 0; i < 5; i++)
        hand_set(h, i, &FIVE[i]);
}

/* ---- the formula, as written in SPEC section 3 ----------------------------------------- */

static double spec_term(double x, const ofi_weight *w)
{
    return (x * w->points) / w->per;
}

/* x of a minutes term: the value as read, negative or NULL as 0. */
static double spec_minutes(const ofi_table *cases, int col, const int32_t *v, size_t i)
{
    int64_t x = v[i];
    if (x == OFI_I32_NULL)
        return 0.0;
    if (x == OFI_I32_WIDE)
        x = ofi_table_wide(cases, col, i);
    return x < 0 ? 0.0 : (double)x;
}

static double spec_score(const ofi_features *f, const ofi_variant *v, size_t i, double c[9])
{
    int pc = f->prio[i] == OFI_PRIO_UNKNOWN ? OFI_PRIO_LOW : f->prio[i];
    unsigned fl = f->flags[i];
    uint32_t ir = f->issue_row[i] == UINT32_MAX ? f->n_issues : f->issue_row[i];
    uint32_t cr = f->customer_row[i] == UINT32_MAX ? f->n_customers : f->customer_row[i];
    c[0] = spec_term(1.0, &v->w[OFI_W_PRIO_LOW + pc]);
    c[1] = spec_term((fl & ESC) ? 1.0 : 0.0, &v->w[OFI_W_ESCALATION]);
    c[2] = spec_term((fl & REO) ? 1.0 : 0.0, &v->w[OFI_W_REOPEN]);
    c[3] = spec_term((fl & REF) ? 1.0 : 0.0, &v->w[OFI_W_REFUND_FLAG]);
    c[4] = spec_term(spec_minutes(f->cases, OFI_CAS_DELAY_MIN, f->delay_min, i), &v->w[OFI_W_DELAY]);
    c[5] = spec_term(spec_minutes(f->cases, OFI_CAS_RESOLUTION_MIN, f->resolution_min, i),
                     &v->w[OFI_W_RESOLUTION]);
    c[6] = spec_term((double)f->refund_cents[i] / 100.0, &v->w[OFI_W_REFUND]);
    c[7] = spec_term((double)f->touch[i], &v->w[OFI_W_TOUCH]);
    c[8] = spec_term(f->issue_fw[ir], &v->w[OFI_W_ISSUE]);
    double s = c[0];
    s = s + c[1];
    s = s + c[2];
    s = s + c[3];
    s = s + c[4];
    s = s + c[5];
    s = s + c[6];
    s = s + c[7];
    s = s + c[8];
    if (v->severity_multiplier)
        s = s * f->issue_sev[ir];
    if (v->segment_multiplier)
        s = s * f->cust_seg[cr];
    return s;
}

static void set_w(ofi_variant *v, int k, double points, double per)
{
    v->w[k].points = points;
    v->w[k].per = per;
}

static void reference_sql_variant(ofi_variant *v)
{
    ofi_variant_default(v, "reference_sql");
    for (int k = 0; k < OFI_W_N; k++)
        set_w(v, k, 0, 1);
    set_w(v, OFI_W_RESOLUTION, 1, 1);
    set_w(v, OFI_W_DELAY, 1, 1);
    set_w(v, OFI_W_ESCALATION, 20, 1);
    set_w(v, OFI_W_REOPEN, 15, 1);
    set_w(v, OFI_W_REFUND_FLAG, 25, 1);
    set_w(v, OFI_W_ISSUE, 10, 1);
}

static void same_bits(double got, double want, const char *what, size_t i)
{
    cr_expect(memcmp(&got, &want, sizeof got) == 0, "case %zu %s: got %a (%.17g), expected %a (%.17g)",
              i, what, got, got, want, want);
}

static void check_variant(const ofi_features *f, const ofi_variant *v)
{
    static const char *const names[9] = {"priority", "escalation", "reopen", "refund_flag", "delay",
                                         "resolution", "refund",   "touch",  "issue"};
    double all1[64], all4[64];
    cr_assert(f->n <= 64);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_score_all(&ctx, f, v, all1);
    ctx.n_threads = 4;
    ofi_score_all(&ctx, f, v, all4);
    for (size_t i = 0; i < f->n; i++) {
        double want_c[9], got_c[9];
        double want = spec_score(f, v, i, want_c);
        double got = ofi_score_components(f, v, i, got_c);
        for (int k = 0; k < 9; k++)
            same_bits(got_c[k], want_c[k], names[k], i);
        /* The writer's path: the inputs gathered, then the terms from them. */
        const ofi_case_in in = ofi_case_inputs(f, i);
        double in_c[9];
        ofi_score_terms(f, v, &in, in_c);
        for (int k = 0; k < 9; k++)
            same_bits(in_c[k], want_c[k], names[k], i);
        same_bits(got, want, "ofi", i);
        same_bits(all1[i], want, "ofi_score_all (1 thread)", i);
        same_bits(all4[i], want, "ofi_score_all (4 threads)", i);
    }
}

/* ---- tests ---------------------------------------------------------------------------- */

Test(score, default_variant_known_values)
{
    hand h;
    five_cases(&h);
    const ofi_features *f = &h.f;
    ofi_variant v;
    ofi_variant_default(&v, "default");
    double c[9];
    /* Case 0: 3 + 2 + 1.5 + 0 + 60/60 + 240/120 + 10/20 + 3*0.5 + 0 = 11.5 exactly. */
    cr_expect_eq(ofi_score_components(f, &v, 0, c), 11.5);
    const double want0[9] = {3, 2, 1.5, 0, 1, 2, 0.5, 1.5, 0};
    for (int k = 0; k < 9; k++)
        cr_expect_eq(c[k], want0[k], "component %d: %.17g", k, c[k]);
    /* Case 2: unknown priority scores as low; reopened 1.5; refund flag 0 points; NULL
     * delay and negative resolution count as 0. */
    cr_expect_eq(ofi_score_components(f, &v, 2, c), 2.5);
    cr_expect_eq(c[0], 1.0);
    cr_expect_eq(c[4], 0.0);
    cr_expect_eq(c[5], 0.0);
    /* Case 3: is_delayed alone does not score; 13/60 and 77/120 are inexact. */
    double s3 = ofi_score_components(f, &v, 3, c);
    cr_expect_eq(c[4], (13.0 * 1.0) / 60.0);
    cr_expect_eq(c[5], (77.0 * 1.0) / 120.0);
    cr_expect_eq(c[6], (0.07 * 1.0) / 20.0);
    cr_expect_eq(s3, ((((((((1.0 + 0.0) + 0.0) + 0.0) + 13.0 / 60.0) + 77.0 / 120.0) + 0.07 / 20.0) +
                        0.5) +
                       0.0));
    /* Case 1; multipliers are off by default. */
    cr_expect_eq(ofi_score_components(f, &v, 1, c),
                 ((((((((2.0 + 2.0) + 0.0) + 0.0) + 7.0 / 60.0) + 1234.0 / 120.0) + 123.45 / 20.0) +
                   2.5) +
                  0.0));
    /* Case 4: minutes beyond int32 come from the side list; negative ones count as 0. */
    ofi_score_components(f, &v, 4, c);
    cr_expect_eq(c[4], 3000000000.0 / 60.0);
    cr_expect_eq(c[5], 0.0);
    cr_expect_eq(c[6], 99999.99 / 20.0);
    check_variant(f, &v);
    hand_free(&h);
}

Test(score, reference_sql_variant)
{
    hand h;
    five_cases(&h);
    const ofi_features *f = &h.f;
    ofi_variant v;
    reference_sql_variant(&v);
    double c[9];
    /* Case 0: 0 + 20 + 15 + 0 + 60 + 240 + 0 + 0 + 2*10 = 355. */
    cr_expect_eq(ofi_score_components(f, &v, 0, c), 355.0);
    /* Case 2: reopened 15 + refund flag 25; the missing issue has no friction. */
    cr_expect_eq(ofi_score_components(f, &v, 2, c), 40.0);
    cr_expect_eq(c[3], 25.0);
    cr_expect_eq(c[8], 0.0);
    check_variant(f, &v);
    hand_free(&h);
}

Test(score, multipliers)
{
    hand h;
    five_cases(&h);
    const ofi_features *f = &h.f;
    ofi_variant v;
    ofi_variant_default(&v, "sev");
    v.severity_multiplier = 1;
    check_variant(f, &v);
    double c[9];
    double base = ofi_score_components(f, &v, 1, c);
    double sum = ((((((((2.0 + 2.0) + 0.0) + 0.0) + 7.0 / 60.0) + 1234.0 / 120.0) + 123.45 / 20.0) +
                   2.5) +
                  0.0);
    cr_expect_eq(base, sum * 1.25);
    /* Components are before the multipliers. */
    cr_expect_eq(c[1], 2.0);
    /* A missing issue row multiplies by 1. */
    cr_expect_eq(ofi_score_components(f, &v, 2, c), 2.5);

    v.segment_multiplier = 1;
    check_variant(f, &v);
    cr_expect_eq(ofi_score_components(f, &v, 1, c), (sum * 1.25) * 0.8,
                 "(sum x severity) x segment, in that order");
    /* A missing customer row multiplies by 1: case 0 is 11.5 x 1.0 x 1. */
    cr_expect_eq(ofi_score_components(f, &v, 0, c), 11.5);

    v.severity_multiplier = 0;
    check_variant(f, &v);
    cr_expect_eq(ofi_score_components(f, &v, 1, c), sum * 0.8);

    reference_sql_variant(&v);
    v.severity_multiplier = 1;
    v.segment_multiplier = 1;
    check_variant(f, &v);
    hand_free(&h);
}

Test(score, fractions_as_written)
{
    /* (x * points) / per, not x * (points / per): the formula's order is kept. */
    hand h;
    five_cases(&h);
    ofi_variant v;
    ofi_variant_default(&v, "frac");
    set_w(&v, OFI_W_DELAY, 3, 7);
    set_w(&v, OFI_W_RESOLUTION, 0.1, 3);
    set_w(&v, OFI_W_REFUND, 1.1, 0.3);
    set_w(&v, OFI_W_TOUCH, 2, 3);
    set_w(&v, OFI_W_ISSUE, 0.7, 1);
    check_variant(&h.f, &v);
    double c[9];
    ofi_score_components(&h.f, &v, 3, c);
    cr_expect_eq(c[4], (13.0 * 3.0) / 7.0);
    cr_expect_eq(c[6], (0.07 * 1.1) / 0.3);
    hand_free(&h);
}

enum { WIDE_DELAY, WIDE_RES };

/* A random case: NULL minutes one time in null_in, one minutes column (which) wide one
 * time in wide_in (a delay often outside int32, or a resolution above it), refunds in
 * cents from cents_min, missing issue and customer rows one time in 10. */
static hcase random_case(unit_rng *r, uint64_t null_in, int which, uint64_t wide_in,
                         int64_t cents_min)
{
    hcase c;
    c.prio = (int)unit_below(r, 4);
    c.flags = (unsigned)unit_below(r, 16);
    c.delay = unit_below(r, null_in) == 0 ? NULL_MIN : (int64_t)unit_below(r, 5000) - 100;
    c.res = unit_below(r, null_in) == 0 ? NULL_MIN : (int64_t)unit_below(r, 20000) - 100;
    if (unit_below(r, wide_in) == 0) {
        if (which == WIDE_DELAY)
            c.delay = (int64_t)(unit_next(r) >> 30) - ((int64_t)1 << 33);
        else
            c.res = (int64_t)(unit_next(r) >> 30);
    }
    c.cents = (int64_t)unit_below(r, 10000000) + cents_min;
    c.touch = (uint32_t)unit_below(r, 30);
    c.issue = unit_below(r, 10) == 0 ? UINT32_MAX : (uint32_t)unit_below(r, 3);
    c.cust = unit_below(r, 10) == 0 ? UINT32_MAX : (uint32_t)unit_below(r, 3);
    return c;
}

Test(score, random_cases_all_thread_counts)
{
    unit_rng r = unit_seed("score.random_cases_all_thread_counts");
    const size_t n = 50000;
    hand h;
    hand_alloc(&h, n);
    for (size_t i = 0; i < n; i++) {
        const hcase c = random_case(&r, 50, WIDE_DELAY, 500, 0);
        hand_set(&h, i, &c);
    }
    ofi_variant vs[3];
    ofi_variant_default(&vs[0], "default");
    reference_sql_variant(&vs[1]);
    ofi_variant_default(&vs[2], "mult");
    vs[2].severity_multiplier = vs[2].segment_multiplier = 1;
    set_w(&vs[2], OFI_W_DELAY, 3, 7);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    cr_assert(a && b);
    for (int k = 0; k < 3; k++) {
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ofi_score_all(&ctx, &h.f, &vs[k], a);
        static const int threads[] = {2, 3, 4, 8};
        for (int t = 0; t < 4; t++) {
            ctx.n_threads = threads[t];
            memset(b, 0, n * sizeof *b);
            ofi_score_all(&ctx, &h.f, &vs[k], b);
            cr_assert(memcmp(a, b, n * sizeof *a) == 0, "variant %s: %d threads differ from 1",
                      vs[k].name, threads[t]);
        }
        for (size_t i = 0; i < n; i++) {
            double c[9], g[9];
            double want = spec_score(&h.f, &vs[k], i, c);
            cr_assert(memcmp(&a[i], &want, sizeof want) == 0, "variant %s case %zu: %a vs %a",
                      vs[k].name, i, a[i], want);
            double got = ofi_score_components(&h.f, &vs[k], i, g);
            cr_assert(memcmp(&got, &want, sizeof want) == 0 && memcmp(g, c, sizeof c) == 0,
                      "variant %s case %zu: components differ", vs[k].name, i);
            const ofi_case_in in = ofi_case_inputs(&h.f, i);
            ofi_score_terms(&h.f, &vs[k], &in, g);
            cr_assert(memcmp(g, c, sizeof c) == 0,
                      "variant %s case %zu: components from the inputs differ", vs[k].name, i);
        }
    }
    free(a);
    free(b);
    hand_free(&h);
}

Test(score, empty_features)
{
    ofi_features f;
    memset(&f, 0, sizeof f);
    ofi_variant v;
    ofi_variant_default(&v, "default");
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    double out[1] = {42.0};
    ofi_score_all(&ctx, &f, &v, out);
    cr_expect_eq(out[0], 42.0);
    ofi_features_free(&f);
}

Test(score, priority_class)
{
    static const struct {
        const char *s;
        int want;
    } cases[] = {
        {" high ", OFI_PRIO_HIGH}, {"High", OFI_PRIO_HIGH},     {"HIGH", OFI_PRIO_HIGH},
        {"\thigh\r\n", OFI_PRIO_HIGH}, {"MED", OFI_PRIO_MEDIUM}, {"med", OFI_PRIO_MEDIUM},
        {"Medium", OFI_PRIO_MEDIUM}, {" medium ", OFI_PRIO_MEDIUM}, {"low", OFI_PRIO_LOW},
        {"LoW", OFI_PRIO_LOW},     {"urgent", OFI_PRIO_UNKNOWN}, {"", OFI_PRIO_UNKNOWN},
        {"   ", OFI_PRIO_UNKNOWN}, {"hi", OFI_PRIO_UNKNOWN},     {"mediu", OFI_PRIO_UNKNOWN},
        {"lowest", OFI_PRIO_UNKNOWN}, {"high high", OFI_PRIO_UNKNOWN}, {"me d", OFI_PRIO_UNKNOWN},
        {"1", OFI_PRIO_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(ofi_priority_class(cases[i].s, strlen(cases[i].s)), cases[i].want,
                     "\"%s\": class %d, expected %d", cases[i].s,
                     ofi_priority_class(cases[i].s, strlen(cases[i].s)), cases[i].want);
    /* Only len bytes count. */
    cr_expect_eq(ofi_priority_class("lowx", 3), OFI_PRIO_LOW);
    cr_expect_eq(ofi_priority_class("medium", 3), OFI_PRIO_MEDIUM);
}

/* ofi_score_multi: K variants in one pass give, bit for bit, what K separate passes give -
 * negative and fractional weights, zero weights of either sign, multipliers, NULL and wide
 * minutes, missing parents - at several thread counts and for a case count that is not a
 * multiple of the block. */
Test(score, many_variants_one_pass)
{
    unit_rng r = unit_seed("score.many_variants_one_pass");
    const size_t n = 5003;
    hand h;
    hand_alloc(&h, n);
    for (size_t i = 0; i < n; i++) {
        const hcase c = random_case(&r, 30, WIDE_RES, 300, -1000);
        hand_set(&h, i, &c);
    }
    enum { K = 64 };
    ofi_variant *vs = malloc(K * sizeof *vs);
    double *out[K];
    double *want = malloc(n * sizeof *want);
    cr_assert(vs && want);
    ofi_variant_default(&vs[0], "default");
    reference_sql_variant(&vs[1]);
    for (int k = 2; k < K; k++) {
        ofi_variant_default(&vs[k], "random");
        for (int w = 0; w < OFI_W_N; w++) {
            const uint64_t kind = unit_below(&r, 5);
            const double pts = kind == 0   ? 0.0
                               : kind == 1 ? -0.0
                                           : (double)((int64_t)unit_below(&r, 2000) - 500) / 7.0;
            const double per = unit_below(&r, 2) ? 1.0 : (double)(1 + unit_below(&r, 240));
            set_w(&vs[k], w, pts, per);
        }
        vs[k].severity_multiplier = (int)unit_below(&r, 2);
        vs[k].segment_multiplier = (int)unit_below(&r, 2);
    }
    for (int k = 0; k < K; k++) {
        out[k] = malloc(n * sizeof *out[k]);
        cr_assert(out[k]);
    }
    static const int threads[] = {1, 2, 3};
    for (int t = 0; t < 3; t++) {
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ctx.n_threads = threads[t];
        cr_assert_eq(ofi_score_multi(&ctx, &h.f, vs, K, out), OFI_OK);
        for (int k = 0; k < K; k++) {
            ofi_score_all(&ctx, &h.f, &vs[k], want);
            for (size_t i = 0; i < n; i++)
                cr_assert(memcmp(&out[k][i], &want[i], sizeof want[i]) == 0,
                          "variant %d case %zu (%d threads): %a vs %a", k, i, threads[t],
                          out[k][i], want[i]);
        }
    }
    for (int k = 0; k < K; k++)
        free(out[k]);
    free(vs);
    free(want);
    hand_free(&h);
}
