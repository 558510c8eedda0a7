/* run.c - the pipeline of one run: weights -> load+join -> score -> sort -> views -> dq ->
 * reports -> dashboard -> commit.
 *
 * Owns the db, the features, the scores and the output set for the length of the run and
 * frees them all at its single cleanup label. Outputs are committed (renamed into place)
 * only at the very end, after every file was written and closed without error.
 */
#include "ofi/run.h"

#include "ofi/aggregate.h"
#include "ofi/dashboard.h"
#include "ofi/dq.h"
#include "ofi/extract.h"
#include "ofi/load.h"
#include "ofi/mysql.h"
#include "ofi/report.h"
#include "ofi/score.h"
#include "ofi/sensitivity.h"
#include "ofi/table.h"
#include "ofi/variants.h"
#include "ofi/weights.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* `ofi extract` writes the tables as read: unreadable rows are not its business. */
static ofi_status ignore_reject(void *user, ofi_table_id table, uint64_t row, const char *reason,
                                const char *raw, size_t raw_len)
{
    (void)user, (void)table, (void)row, (void)reason, (void)raw, (void)raw_len;
    return OFI_OK;
}

static void utc_now(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

ofi_status ofi_run(ofi_ctx *ctx, const ofi_run_opts *opts, ofi_run_result *res)
{
    const double t_start = ofi_now();
    ofi_weights w = {0};
    ofi_db db;
    ofi_features f = {0};
    ofi_outset set = {0};
    ofi_rejects rej = {0};
    double *ofi = NULL;
    uint32_t *order = NULL;
    ofi_mysql *conn = NULL;
    ofi_extracts ext = {ctx, &set, {0}, 0, {0}};
    int rej_open = 0, committed = 0;
    ofi_status st = OFI_OK;
    char started[32], ended[32], source[4200];
    memset(res, 0, sizeof *res);
    memset(&db, 0, sizeof db);
    utc_now(started, sizeof started);
    if (opts->csv_dir)
        snprintf(source, sizeof source, "csv:%s", opts->csv_dir);
    else
        ofi_mysql_describe(opts->mysql, source, sizeof source);

    /* Weights first: a bad file fails before any data is read. */
    if (opts->weights_path)
        OFI_CHECK(ofi_weights_load(ctx, opts->weights_path, &w));
    else
        OFI_CHECK(ofi_weights_default(&w) == OFI_OK ? OFI_OK
                                                     : ofi_fail(ctx, OFI_E_NOMEM, "out of memory"));
    int vi = 0;
    if (opts->variant) {
        vi = ofi_weights_find(&w, opts->variant);
        if (vi < 0) {
            st = ofi_fail(ctx, OFI_E_USAGE, "%s: no variant named \"%s\"",
                          opts->weights_path ? opts->weights_path : "default weights",
                          opts->variant);
            goto cleanup;
        }
    }
    const ofi_variant *v = &w.v[vi];

    if (ofi_db_init(&db, ctx->n_threads) != OFI_OK) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        goto cleanup;
    }
    OFI_CHECK(ofi_outset_init(ctx, &set, opts->out_dir ? opts->out_dir : "outputs"));
    /* Commands writing the same files exclude each other; the others share the root. A
     * run from MySQL writes extracts/ as `ofi extract` does. */
    const int writes_extracts = !opts->csv_dir && (!opts->no_extract || opts->extract_only) &&
                                !opts->variants && !opts->sensitivity;
    const char *what = opts->extract_only ? "extract"
                       : opts->variants  ? "variants"
                       : opts->sensitivity ? "sensitivity"
                                           : "run";
    OFI_CHECK(ofi_outset_lock(ctx, &set, what));
    if (writes_extracts && !opts->extract_only)
        OFI_CHECK(ofi_outset_lock(ctx, &set, "extract"));
    if (!opts->extract_only && !opts->variants && !opts->sensitivity) {
        OFI_CHECK(ofi_rejects_open(ctx, &set, &rej));
        rej_open = 1;
    }
    ofi_load_times lt = {0, 0};
    if (opts->csv_dir) {
        OFI_CHECK(ofi_load_csv_dir(ctx, opts->csv_dir, &db,
                                   rej_open ? ofi_rejects_write : ignore_reject, &rej, &lt));
    } else {
        OFI_CHECK(ofi_mysql_connect(ctx, opts->mysql, &conn));
        snprintf(source, sizeof source, "%s", ofi_mysql_where(conn));
        OFI_CHECK(ofi_mysql_snapshot(ctx, conn));
        OFI_CHECK(ofi_load_mysql(ctx, conn, &db, rej_open ? ofi_rejects_write : ignore_reject, &rej,
                                 writes_extracts ? ofi_extract_write : NULL, &ext, &lt));
        res->resumes = ofi_mysql_resumes(conn);
        res->consistent = ofi_mysql_consistent(conn);
        res->connections = ofi_mysql_connections(conn);
        ofi_mysql_close(conn);
        conn = NULL;
    }
    if (rej_open) {
        rej_open = 0;
        OFI_CHECK(ofi_rejects_close(&rej));
    }
    res->t.read = lt.read;
    res->t.join = lt.join;
    if (opts->extract_only) { /* `ofi extract`: the tables as read, nothing computed */
        res->t.total = ofi_now() - t_start;
        utc_now(ended, sizeof ended);
        ofi_report_in rin0 = {opts, &db, v, res, NULL, started, source};
        OFI_CHECK(ofi_manifest_write(ctx, &set, &rin0, ended));
        OFI_CHECK(ofi_outset_commit(ctx, &set));
        committed = 1;
        goto cleanup;
    }
    if (ofi_db_compact(&db) != OFI_OK) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory while compacting the tables");
        goto cleanup;
    }
#ifdef __GLIBC__
    /* From MySQL the events' index keeps fingerprints (~280 MB at 10M cases) in many small
     * heap blocks, free now; glibc keeps their pages unless asked, and the later big
     * blocks (the case list's windows) are mapped apart, on top of them. 10M cases: peak
     * 1385 -> 1198 MiB. From CSV (bench/ab.sh, 10M cases, twice 3 runs) the peak fell by
     * less (1219 -> 1123 MiB: it is met at 128 B/case) and the write phase took 0.23 s
     * more, the pages faulted in again: not there. */
    if (!opts->csv_dir)
        malloc_trim(0);
#endif

    double t0 = ofi_now();
    const size_t n = db.t[OFI_T_CASES].n_rows;
    OFI_CHECK(ofi_features_build(ctx, &db, &f));
    if (opts->variants || opts->sensitivity) { /* `ofi variants`, `ofi sensitivity` */
        if (opts->variants) { /* every variant, compared with the first */
            OFI_CHECK(ofi_variants_write(ctx, &set, &db, &f, &w, opts->top_n));
        } else {
            const ofi_sens_opts so = {opts->samples, opts->spread, opts->seed, opts->top_n};
            OFI_CHECK(ofi_sensitivity_write(ctx, &set, &db, &f, v, &so));
        }
        res->t.score = ofi_now() - t0;
        res->t.total = ofi_now() - t_start;
        res->sum.cases = n;
        utc_now(ended, sizeof ended);
        ofi_report_in rinv = {opts, &db, v, res, NULL, started, source};
        OFI_CHECK(ofi_manifest_write(ctx, &set, &rinv, ended));
        OFI_CHECK(ofi_outset_commit(ctx, &set));
        committed = 1;
        goto cleanup;
    }
    ofi = malloc((n ? n : 1) * sizeof *ofi);
    order = malloc((n ? n : 1) * sizeof *order);
    if (ofi == NULL || order == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for %zu scores", n);
        goto cleanup;
    }
    /* The blocked, vectorised kernel: bit-identical to ofi_score_all (tests/unit/test_score.c),
     * 0.64x its time at 10M cases (bench/variants.sh, K = 1). */
    OFI_CHECK(ofi_score_multi(ctx, &f, v, 1, &ofi));
    uint64_t domain[8];
    ofi_domain_violations(ctx, &db, domain);
    double t1 = ofi_now();
    res->t.score = t1 - t0;
    OFI_CHECK(ofi_sort_desc(ctx, n, ofi, db.t[OFI_T_CASES].col[OFI_CAS_ID].i64, order));
    double t2 = ofi_now();
    res->t.sort = t2 - t1;
    ofi_log(ctx, OFI_LOG_PROGRESS, "scored and ranked %zu cases", n);

    ofi_scored sc = {&db, &f, v, ofi, order, opts->top_n, 0.0, -1};
    OFI_CHECK(ofi_views_write(ctx, &set, &sc, &res->sum));
    OFI_CHECK(ofi_dq_write(ctx, &set, &db, domain));
    double t3 = ofi_now();
    /* Writing the big row files (cases, customers, tiers) is the write phase; the other
     * views are small, their formatting counts with the aggregation that produced them. */
    res->t.write = sc.write_seconds;
    res->t.aggregate = t3 - t2 - sc.write_seconds;
    /* The bytes per case these phases need, each read or written once (the floor an ideal
     * single pass would stream): scoring reads the priority code, four flags and the
     * score inputs (38), writes features (2) and scores (8), and checks the domain rules
     * (14): 59; aggregation reads the score, flags, refund count and cents, resolution,
     * case date, four parent rows and the priority code: 46. */
    res->score_bytes = (uint64_t)n * 59;
    res->aggregate_bytes = (uint64_t)n * 46;

    for (int ti = 0; ti < OFI_N_TABLES; ti++) {
        res->rejected += db.t[ti].n_rejected;
        res->duplicates += db.t[ti].n_pk_dups;
    }
    for (int k = 0; k < OFI_N_FKS; k++)
        res->orphans += db.orphans[k];
    for (int k = 0; k < 8; k++)
        res->violations += domain[k];

    res->t.total = ofi_now() - t_start;
    {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            res->peak_rss_kb = (size_t)ru.ru_maxrss;
    }
    ofi_report_in rin = {opts, &db, v, res, domain, started, source};
    OFI_CHECK(ofi_reports_write(ctx, &set, &rin));
    /* After the views, dq/, fk/ and ofi_summary.csv: the page quotes their text. */
    OFI_CHECK(ofi_dashboard_write(ctx, &set, &rin));
    utc_now(ended, sizeof ended);
    OFI_CHECK(ofi_manifest_write(ctx, &set, &rin, ended));
    OFI_CHECK(ofi_outset_commit(ctx, &set));
    committed = 1;
    if (opts->strict && (res->rejected || res->duplicates || res->orphans || res->violations))
        st = ofi_fail(ctx, OFI_E_DQ,
                      "data-quality check failed (--strict): %llu rejected rows, %llu duplicate "
                      "ids, %llu orphan keys, %llu domain violations; see %s/dq/",
                      (unsigned long long)res->rejected, (unsigned long long)res->duplicates,
                      (unsigned long long)res->orphans, (unsigned long long)res->violations,
                      opts->out_dir ? opts->out_dir : "outputs");
cleanup:
    ofi_extracts_close(&ext);
    ofi_mysql_close(conn);
    if (rej_open)
        ofi_rejects_close(&rej);
    if (!committed)
        ofi_outset_abort(&set);
    ofi_outset_free(&set);
    ofi_weights_free(&w);
    ofi_features_free(&f);
    ofi_db_free(&db);
    free(ofi);
    free(order);
    return st;
}
