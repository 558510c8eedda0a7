/* test_group.c - ofi_group's fixed-point fast path against ofi_group_plain (sort +
 * Shewchuk), on a generated and scored dataset, with 1, 2 and 5 threads and several
 * keyings; and a dataset whose scores force the plain path. ofi_group_sums (the groups'
 * sums and the total), both paths, against the same.
 */
#include "unit.h"

#include "ofi/aggregate.h"
#include "ofi/gen.h"
#include "ofi/load.h"
#include "ofi/schema.h"
#include "ofi/score.h"
#include "ofi/table.h"
#include "ofi/weights.h"
#include "ofi/xsum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static ofi_status no_reject(void *user, ofi_table_id t, uint64_t row, const char *reason,
                            const char *raw, size_t raw_len)
{
    (void)user, (void)t, (void)row, (void)reason, (void)raw, (void)raw_len;
    return OFI_OK;
}

typedef struct fixture {
    char dir[64];
    ofi_db db;
    ofi_features f;
    double *ofi;
} fixture;

static void setup_fixture(fixture *x, uint64_t cases, double dirty)
{
    strcpy(x->dir, "/tmp/ofi-test-group.XXXXXX");
    cr_assert(mkdtemp(x->dir) != NULL);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.n_threads = 2;
    ofi_gen_opts g = {cases, 7, x->dir, dirty};
    cr_assert_eq(ofi_gen_write(&ctx, &g), OFI_OK, "%s", ctx.err);
    cr_assert_eq(ofi_db_init(&x->db, 2), OFI_OK);
    cr_assert_eq(ofi_load_csv_dir(&ctx, x->dir, &x->db, no_reject, NULL, NULL), OFI_OK, "%s",
                 ctx.err);
    cr_assert_eq(ofi_features_build(&ctx, &x->db, &x->f), OFI_OK);
    x->ofi = malloc(x->f.n * sizeof *x->ofi);
    cr_assert(x->ofi != NULL);
    ofi_variant v;
    ofi_variant_default(&v, "default");
    v.severity_multiplier = 1;
    v.segment_multiplier = 1;
    ofi_score_all(&ctx, &x->f, &v, x->ofi);
}

static void teardown_fixture(fixture *x)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", x->dir);
    cr_assert_eq(system(cmd), 0);
    free(x->ofi);
    ofi_features_free(&x->f);
    ofi_db_free(&x->db);
}

static void expect_same(const ofi_gstat *a, const ofi_gstat *b, uint32_t n)
{
    for (uint32_t g = 0; g < n; g++) {
        cr_assert_eq(a[g].count, b[g].count, "group %u", g);
        cr_assert_eq(a[g].escalated, b[g].escalated, "group %u", g);
        cr_assert_eq(a[g].reopened, b[g].reopened, "group %u", g);
        cr_assert_eq(a[g].delayed, b[g].delayed, "group %u", g);
        cr_assert_eq(a[g].refunded, b[g].refunded, "group %u", g);
        cr_assert_eq(a[g].refund_rows, b[g].refund_rows, "group %u", g);
        cr_assert_eq(a[g].refund_cents, b[g].refund_cents, "group %u", g);
        cr_assert_eq(a[g].resolution, b[g].resolution, "group %u", g);
        if (a[g].count == 0)
            continue;
        cr_assert_eq(a[g].first, b[g].first, "group %u", g);
        cr_assert(memcmp(&a[g].total_ofi, &b[g].total_ofi, sizeof(double)) == 0,
                  "group %u: total %a vs %a", g, a[g].total_ofi, b[g].total_ofi);
        cr_assert(memcmp(&a[g].max_ofi, &b[g].max_ofi, sizeof(double)) == 0, "group %u", g);
    }
}

/* Compare both paths for one keying with several thread counts. */
static void check_keying(fixture *x, const uint32_t *key, uint32_t n_groups)
{
    ofi_gstat *plain = calloc(n_groups, sizeof *plain), *fast = calloc(n_groups, sizeof *fast);
    double *sums = malloc(n_groups * sizeof *sums);
    cr_assert(plain && fast && sums);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    cr_assert_eq(ofi_group_plain(&ctx, &x->db, &x->f, x->ofi, key, n_groups, plain), OFI_OK);
    const int threads[] = {1, 2, 5};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        ctx.n_threads = threads[t];
        memset(fast, 0xAB, n_groups * sizeof *fast);
        cr_assert_eq(ofi_group(&ctx, &x->db, &x->f, x->ofi, key, n_groups, fast), OFI_OK);
        expect_same(plain, fast, n_groups);
        /* The sums alone and the total of every score (ofi_group_sums), on the fixed-point
         * path when the scores allow it and forced onto the plain one: the same bits. */
        const int scale = ofi_group_scale(&ctx, x->ofi, x->f.n);
        const double want_total = ofi_fsum(x->ofi, x->f.n);
        for (int sc = scale; ; sc = -1) {
            memset(sums, 0xAB, n_groups * sizeof *sums);
            double total = -1.0;
            cr_assert_eq(ofi_group_sums(&ctx, x->ofi, x->f.n, sc, key, n_groups, sums, &total),
                         OFI_OK);
            for (uint32_t g = 0; g < n_groups; g++)
                cr_expect(memcmp(&sums[g], &plain[g].total_ofi, sizeof(double)) == 0,
                          "group %u (scale %d, %d threads): sum %.17g, plain %.17g", g, sc,
                          threads[t], sums[g], plain[g].total_ofi);
            cr_expect(memcmp(&total, &want_total, sizeof total) == 0,
                      "total (scale %d, %d threads): %.17g, fsum %.17g", sc, threads[t], total,
                      want_total);
            if (sc < 0)
                break;
        }
    }
    free(plain);
    free(fast);
    free(sums);
}

Test(group, fast_path_equals_plain_path)
{
    fixture x;
    setup_fixture(&x, 30000, 0.02);
    const size_t n = x.f.n;
    uint32_t *key = malloc(n * sizeof *key);
    cr_assert(key != NULL);
    /* One group, every case. */
    for (size_t i = 0; i < n; i++)
        key[i] = 0;
    check_keying(&x, key, 1);
    /* Many small groups with some cases left out, and empty groups. */
    unit_rng r = unit_seed("group.fast_path_equals_plain_path");
    for (size_t i = 0; i < n; i++)
        key[i] = unit_below(&r, 10) == 0 ? UINT32_MAX : (uint32_t)unit_below(&r, 9000);
    check_keying(&x, key, 10000);
    /* Few big groups. */
    for (size_t i = 0; i < n; i++)
        key[i] = (uint32_t)(i % 7);
    check_keying(&x, key, 7);
    free(key);
    teardown_fixture(&x);
}

Test(group, values_beyond_the_fixed_point_range_take_the_plain_path)
{
    fixture x;
    setup_fixture(&x, 2000, 0.0);
    const size_t n = x.f.n;
    /* A subnormal and a huge value: no common fixed-point scale exists. */
    x.ofi[0] = 4.9e-324;
    x.ofi[1] = 1e300;
    x.ofi[2] = -1e300;
    uint32_t *key = malloc(n * sizeof *key);
    cr_assert(key != NULL);
    for (size_t i = 0; i < n; i++)
        key[i] = (uint32_t)(i % 3);
    check_keying(&x, key, 3);
    /* The exact sums survive the cancellation of +-1e300 in group 1 and 2. */
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_gstat st[3];
    cr_assert_eq(ofi_group(&ctx, &x.db, &x.f, x.ofi, key, 3, st), OFI_OK);
    cr_assert(st[1].total_ofi > 9e299);
    free(key);
    teardown_fixture(&x);
}

/* ofi_group_fused's keyings: arrays, read by block. */
#define N_FUSED 5
typedef struct fused_arg {
    const uint32_t *key[N_FUSED];
} fused_arg;

static void fused_keys(const void *arg, size_t lo, size_t hi, uint32_t *keys)
{
    const fused_arg *a = arg;
    for (int j = 0; j < N_FUSED; j++)
        memcpy(keys + (size_t)j * OFI_GROUP_BLOCK, a->key[j] + lo, (hi - lo) * sizeof *keys);
}

/* Several keyings in one pass give what each gives alone through ofi_group_plain: few
 * groups (in the pass), 10000 groups (too many for the pass: grouped alone), no group at
 * all; any thread count; and with scale -1 (every keying grouped alone, plain path). */
Test(group, fused_equals_one_by_one)
{
    fixture x;
    setup_fixture(&x, 30000, 0.02);
    const size_t n = x.f.n;
    unit_rng r = unit_seed("group.fused_equals_one_by_one");
    const uint32_t n_groups[N_FUSED] = {1, 10000, 7, 300, 0};
    uint32_t *key[N_FUSED];
    fused_arg a;
    for (int j = 0; j < N_FUSED; j++) {
        key[j] = malloc(n * sizeof *key[j]);
        cr_assert(key[j] != NULL);
        a.key[j] = key[j];
    }
    for (size_t i = 0; i < n; i++) {
        key[0][i] = 0;
        key[1][i] = unit_below(&r, 10) == 0 ? UINT32_MAX : (uint32_t)unit_below(&r, 9000);
        key[2][i] = (uint32_t)(i % 7);
        key[3][i] = unit_below(&r, 4) == 0 ? UINT32_MAX : (uint32_t)unit_below(&r, 150) * 2;
        key[4][i] = UINT32_MAX;
    }
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_gstat *want[N_FUSED], *got[N_FUSED];
    for (int j = 0; j < N_FUSED; j++) {
        want[j] = calloc(n_groups[j] + 1, sizeof *want[j]);
        got[j] = calloc(n_groups[j] + 1, sizeof *got[j]);
        cr_assert(want[j] && got[j]);
        cr_assert_eq(ofi_group_plain(&ctx, &x.db, &x.f, x.ofi, key[j], n_groups[j], want[j]),
                     OFI_OK);
    }
    const int scale = ofi_group_scale(&ctx, x.ofi, n);
    cr_assert(scale >= 0, "generated scores take the fixed-point path");
    const int threads[] = {1, 2, 5};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        for (int sc = 0; sc < 2; sc++) {
            ctx.n_threads = threads[t];
            for (int j = 0; j < N_FUSED; j++)
                memset(got[j], 0xAB, (n_groups[j] + 1) * sizeof *got[j]);
            cr_assert_eq(ofi_group_fused(&ctx, &x.db, &x.f, x.ofi, sc ? -1 : scale, N_FUSED,
                                         n_groups, fused_keys, &a, got),
                         OFI_OK, "%s", ctx.err);
            for (int j = 0; j < N_FUSED; j++)
                expect_same(want[j], got[j], n_groups[j]);
            /* A keying of no group has no measures to write: the guard entry is untouched. */
            const unsigned char *guard = (const unsigned char *)got[4];
            cr_assert_eq(guard[0], 0xAB);
        }
    }
    /* More groupings than one pass takes is a usage error, with nothing written. */
    uint32_t many_groups[17] = {0};
    ofi_gstat *many_out[17] = {0};
    ofi_ctx_init(&ctx);
    cr_assert_eq(ofi_group_fused(&ctx, &x.db, &x.f, x.ofi, scale, 17, many_groups, fused_keys,
                                 &a, many_out),
                 OFI_E_USAGE);
    cr_assert_str_eq(ctx.err, "ofi_group_fused: 17 groupings (at most 16)");
    for (int j = 0; j < N_FUSED; j++) {
        free(key[j]);
        free(want[j]);
        free(got[j]);
    }
    teardown_fixture(&x);
}

/* ofi_features.flags_exact: a flag column's bit is set exactly when the column holds only
 * 0 and 1, and then the packed bit is the column's value (the case list prints it). */
Test(group, flags_exact_marks_binary_flag_columns)
{
    static const int cols[4] = {OFI_CAS_ESCALATED, OFI_CAS_REOPENED, OFI_CAS_HAS_REFUND,
                                OFI_CAS_DELAYED};
    const double dirt[2] = {0.0, 0.2};
    for (int d = 0; d < 2; d++) {
        fixture x;
        setup_fixture(&x, 3000, dirt[d]);
        const ofi_table *cs = &x.db.t[OFI_T_CASES];
        unsigned want = 0;
        for (int b = 0; b < 4; b++) {
            int binary = 1;
            for (size_t i = 0; i < x.f.n; i++)
                binary &= cs->col[cols[b]].i8[i] == 0 || cs->col[cols[b]].i8[i] == 1;
            want |= (unsigned)binary << b;
            for (size_t i = 0; binary && i < x.f.n; i++)
                cr_assert_eq(x.f.flags[i] >> b & 1, (unsigned)cs->col[cols[b]].i8[i],
                             "flag %d, case %zu", b, i);
        }
        cr_assert_eq(x.f.flags_exact, want, "dirt %.1f: flags_exact %u, expected %u", dirt[d],
                     x.f.flags_exact, want);
        if (d == 0)
            cr_assert_eq(want, 15u, "clean data: every flag column is binary");
        else
            cr_assert_neq(want, 15u, "dirty data: some flag column is not");
        teardown_fixture(&x);
    }
}
