/* test_table.c - dense ids: a stored table whose ids are first + row for every row looks
 * them up by subtraction (ofi_table_mark_dense), and the loader, the joins and the cases'
 * parent ids must give the same results whether a table's ids are dense or not.
 */
#include "unit.h"

#include "ofi/gen.h"
#include "ofi/load.h"
#include "ofi/schema.h"
#include "ofi/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mark a stored table holding ids[0..n) and report ids_dense and id_base. */
static int dense_of(const int64_t *ids, size_t n, int64_t *base)
{
    ofi_db db;
    cr_assert_eq(ofi_db_init(&db, 1), OFI_OK);
    ofi_table *t = &db.t[OFI_T_CUSTOMERS];
    int64_t *copy = malloc((n ? n : 1) * sizeof *copy);
    cr_assert(copy != NULL);
    if (n > 0)
        memcpy(copy, ids, n * sizeof *copy);
    free(t->col[0].i64);
    t->col[0].i64 = copy;
    t->n_rows = n;
    ofi_table_mark_dense(t);
    const int d = t->ids_dense;
    *base = t->id_base;
    if (d) {
        /* Every id maps to its row; ids around the range, and far from it, to none. */
        for (size_t r = 0; r < n; r++)
            cr_expect_eq(ofi_table_lookup(t, ids[r]), (uint32_t)r, "id %lld", (long long)ids[r]);
        if (ids[0] > INT64_MIN)
            cr_expect_eq(ofi_table_lookup(t, ids[0] - 1), UINT32_MAX);
        if (ids[n - 1] < INT64_MAX)
            cr_expect_eq(ofi_table_lookup(t, ids[n - 1] + 1), UINT32_MAX);
        cr_expect_eq(ofi_table_lookup(t, INT64_MIN + 1), ids[0] == INT64_MIN + 1 ? 0 : UINT32_MAX);
        cr_expect_eq(ofi_table_lookup(t, INT64_MAX), ids[n - 1] == INT64_MAX ? n - 1 : UINT32_MAX);
        for (size_t r = 0; r < n; r++)
            cr_expect_eq(ofi_table_key(t, (uint32_t)r), ids[r]);
    }
    ofi_db_free(&db);
    return d;
}

Test(table, dense_ids)
{
    int64_t base;
    const int64_t a[] = {1, 2, 3, 4};
    cr_expect(dense_of(a, 4, &base) && base == 1);
    const int64_t b[] = {-2, -1, 0, 1};
    cr_expect(dense_of(b, 4, &base) && base == -2);
    const int64_t c[] = {42};
    cr_expect(dense_of(c, 1, &base) && base == 42);
    const int64_t d[] = {INT64_MAX - 2, INT64_MAX - 1, INT64_MAX};
    cr_expect(dense_of(d, 3, &base) && base == INT64_MAX - 2);
    const int64_t e[] = {INT64_MIN + 1, INT64_MIN + 2};
    cr_expect(dense_of(e, 2, &base) && base == INT64_MIN + 1);
}

Test(table, ids_not_dense)
{
    int64_t base;
    const int64_t gap[] = {1, 2, 4, 5};
    cr_expect(!dense_of(gap, 4, &base));
    const int64_t down[] = {4, 3, 2, 1};
    cr_expect(!dense_of(down, 4, &base));
    const int64_t swap[] = {1, 3, 2, 4};
    cr_expect(!dense_of(swap, 4, &base));
    const int64_t last[] = {7, 8, 9, 11};
    cr_expect(!dense_of(last, 4, &base));
    cr_expect(!dense_of(NULL, 0, &base), "an empty table");
    /* first + row would pass INT64_MAX. */
    const int64_t over[] = {INT64_MAX - 1, INT64_MAX, INT64_MIN};
    cr_expect(!dense_of(over, 3, &base));
}

static ofi_status no_reject(void *user, ofi_table_id t, uint64_t row, const char *reason,
                            const char *raw, size_t raw_len)
{
    (void)user, (void)t, (void)row, (void)reason, (void)raw, (void)raw_len;
    return OFI_OK;
}

static void load(const char *dir, int threads, ofi_db *db)
{
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.n_threads = threads;
    cr_assert_eq(ofi_db_init(db, threads), OFI_OK);
    cr_assert_eq(ofi_load_csv_dir(&ctx, dir, db, no_reject, NULL, NULL), OFI_OK, "%s", ctx.err);
}

static void run_cmd(const char *cmd)
{
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The same data with dense ids, and with the cases and customers files' rows in reverse
 * order (ids descending: not dense): every case's joined counts and parent ids agree,
 * orphans included (the dirty data has orphan events and refunds). */
Test(table, joins_agree_dense_or_not, .timeout = 60)
{
    char dense_dir[] = "/tmp/ofi-test-table.XXXXXX";
    cr_assert(mkdtemp(dense_dir) != NULL);
    char rev_dir[sizeof dense_dir + 4];
    snprintf(rev_dir, sizeof rev_dir, "%s/rev", dense_dir);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_gen_opts g = {3000, 11, dense_dir, 0.0};
    cr_assert_eq(ofi_gen_write(&ctx, &g), OFI_OK, "%s", ctx.err);
    char cmd[2048];
    /* Orphan events, past both ends of the case ids. */
    snprintf(cmd, sizeof cmd,
             "printf '9000001,0,2024-01-02 10:00:00,note,system,System\\n9000002,3001,"
             "2024-01-02 10:00:00,note,system,System\\n' >> %s/case_timeline.csv",
             dense_dir);
    run_cmd(cmd);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && cp %s/*.csv %s/ && cd %s && for t in cases customers; do "
             "(head -1 $t.csv; tail -n +2 $t.csv | tac) > $t.csv.new && mv $t.csv.new $t.csv; "
             "done",
             rev_dir, dense_dir, rev_dir, rev_dir);
    run_cmd(cmd);
    for (int threads = 1; threads <= 2; threads++) {
        ofi_db a, b;
        load(dense_dir, threads, &a);
        load(rev_dir, threads, &b);
        const ofi_table *ca = &a.t[OFI_T_CASES], *cb = &b.t[OFI_T_CASES];
        cr_assert(ca->ids_dense && a.t[OFI_T_CUSTOMERS].ids_dense, "generated ids are dense");
        cr_assert(!cb->ids_dense && !b.t[OFI_T_CUSTOMERS].ids_dense, "reversed ids are not");
        cr_assert_eq(ca->n_rows, cb->n_rows);
        const size_t n = ca->n_rows;
        for (int k = 0; k < OFI_N_FKS; k++)
            cr_expect_eq(a.orphans[k], b.orphans[k], "orphans of foreign key %d", k);
        cr_expect(a.orphans[5] >= 2, "the appended orphan events are counted");
        for (size_t i = 0; i < n; i++) {
            const size_t j = n - 1 - i; /* the same case in the reversed file */
            cr_assert_eq(ca->col[OFI_CAS_ID].i64[i], cb->col[OFI_CAS_ID].i64[j]);
            cr_assert_eq(a.links.touch[i], b.links.touch[j], "case row %zu", i);
            cr_assert_eq(a.links.refund_n[i], b.links.refund_n[j], "case row %zu", i);
            cr_assert_eq(a.links.refund_cents[i], b.links.refund_cents[j], "case row %zu", i);
            cr_assert_eq(a.links.case_date[i], b.links.case_date[j], "case row %zu", i);
            for (int c = OFI_CAS_CUSTOMER; c <= OFI_CAS_ISSUE; c++)
                cr_assert_eq(ofi_case_fk(&a, c, i), ofi_case_fk(&b, c, j), "case row %zu col %d",
                             i, c);
        }
        ofi_db_free(&a);
        ofi_db_free(&b);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dense_dir);
    run_cmd(cmd);
}
