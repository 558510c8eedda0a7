/* bench.c - one measured run of the engine on a dataset, plus the memory-bandwidth floor.
 *
 * Prints one CSV line (see HEADER) for: the phases of ofi_run (read, join, score, sort,
 * aggregate, write), rows per second, peak RSS and bytes per case; and the time of a plain
 * copy loop, with the same thread count, over as many bytes as the per-case data the score
 * and aggregate phases need (each array once; see run.c) - the memory-bandwidth bound
 * those phases are compared with.
 *
 * One process per measurement, so that peak RSS is this run's own. The driver is
 * bench/run.sh, which repeats runs, takes medians and writes bench/results/.
 */
#include "runtime.h"
#include "ofi/load.h"
#include "ofi/mysql.h"
#include "ofi/ofi.h"
#include "ofi/run.h"
#include "ofi/aggregate.h"
#include "ofi/score.h"
#include "ofi/sensitivity.h"
#include "ofi/weights.h"

#include <malloc.h>
#include <mysql.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HEADER                                                                                     \
    "cases,threads,read_s,join_s,score_s,sort_s,aggregate_s,write_s,total_s,cases_per_s,"        \
    "peak_rss_mib,bytes_per_case,copy_floor_s\n"

/* Seconds to copy n bytes from one buffer to another with nt threads (median of 5). */
static double copy_floor(size_t n, int nt)
{
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) {
        free(a);
        free(b);
        return -1;
    }
    memset(a, 1, n);
    memset(b, 2, n);
    double t[5];
    for (int r = 0; r < 5; r++) {
        double t0 = ofi_now();
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int k = 0; k < nt; k++) {
            size_t lo = n / (size_t)nt * (size_t)k, hi = k == nt - 1 ? n : n / (size_t)nt * (size_t)(k + 1);
            memcpy(b + lo, a + lo, hi - lo);
        }
        t[r] = ofi_now() - t0;
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (t[j] < t[i]) {
                double x = t[i];
                t[i] = t[j];
                t[j] = x;
            }
    volatile char sink = b[n / 2];
    (void)sink;
    free(a);
    free(b);
    return t[2];
}

/* KEY=VALUE settings file (as written by scripts/mariadb.sh) into cfg; strings leak on
 * purpose (the process is short). */
static int read_settings(const char *path, ofi_mysql_cfg *cfg)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        char *v = strdup(eq + 1);
        if (strcmp(line, "MYSQL_HOST") == 0)
            cfg->host = v;
        else if (strcmp(line, "MYSQL_PORT") == 0)
            cfg->port = (unsigned)atoi(v);
        else if (strcmp(line, "MYSQL_USER") == 0)
            cfg->user = v;
        else if (strcmp(line, "MYSQL_PASSWORD") == 0)
            cfg->password = v;
        else if (strcmp(line, "MYSQL_DATABASE") == 0)
            cfg->database = v;
        else
            free(v);
    }
    fclose(f);
    return 1;
}

/* Stream one table through ofi's MySQL reader (fetch and copy into chunks, no parsing),
 * over `parts` connections in key ranges when parts > 1: prints "table,rows,bytes,seconds". */
static int stream_table(const char *env, const char *table, int parts)
{
    ofi_mysql_cfg cfg = {0};
    if (!read_settings(env, &cfg)) {
        fprintf(stderr, "ofi-bench: cannot read %s\n", env);
        return 1;
    }
    int ti = -1;
    for (int i = 0; i < OFI_N_TABLES; i++)
        if (strcmp(ofi_schema[i].name, table) == 0)
            ti = i;
    if (ti < 0) {
        fprintf(stderr, "ofi-bench: no table %s\n", table);
        return 1;
    }
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_mysql *m = NULL;
    ofi_mysql_stream *s = NULL;
    int present[OFI_MAX_COLS];
    const double t0 = ofi_now();
    cfg.partitions = parts;
    if (ofi_mysql_connect(&ctx, &cfg, &m) != OFI_OK || ofi_mysql_snapshot(&ctx, m) != OFI_OK ||
        ofi_mysql_open_table(&ctx, m, &ofi_schema[ti], 65536, 1, present, &s) != OFI_OK) {
        fprintf(stderr, "ofi-bench: %s\n", ctx.err);
        ofi_mysql_close(m);
        return 2;
    }
    uint64_t rows = 0, bytes = 0;
    for (;;) {
        const ofi_field *f;
        size_t n;
        int nf;
        if (ofi_mysql_next(&ctx, s, &f, &n, &nf) != OFI_OK) {
            fprintf(stderr, "ofi-bench: %s\n", ctx.err);
            return 2;
        }
        if (n == 0)
            break;
        rows += n;
        for (size_t i = 0; i < n * (size_t)nf; i++)
            bytes += f[i].len + 1; /* as text with a separator, like the stock client */
    }
    const double t = ofi_now() - t0;
    ofi_mysql_stream_close(s);
    ofi_mysql_close(m);
    printf("%s,%llu,%llu,%.3f\n", table, (unsigned long long)rows, (unsigned long long)bytes, t);
    return 0;
}

/* The same rows through the binary protocol: an unbuffered prepared statement (no
 * mysql_stmt_store_result, no server cursor), results bound in their native types
 * (integers as int64, dates as MYSQL_TIME, the rest as text). Prints like stream_table. */
static int stream_table_binary(const char *env, const char *table)
{
    ofi_mysql_cfg cfg = {0};
    if (!read_settings(env, &cfg))
        return 1;
    int ti = -1;
    for (int i = 0; i < OFI_N_TABLES; i++)
        if (strcmp(ofi_schema[i].name, table) == 0)
            ti = i;
    if (ti < 0)
        return 1;
    const ofi_tablespec *spec = &ofi_schema[ti];
    MYSQL *c = mysql_init(NULL);
    const double t0 = ofi_now();
    if (!mysql_real_connect(c, cfg.host, cfg.user, cfg.password, cfg.database, cfg.port, NULL, 0)) {
        fprintf(stderr, "ofi-bench: %s\n", mysql_error(c));
        return 2;
    }
    char sql[2048] = "SELECT ";
    for (int k = 0; k < spec->n_cols; k++) {
        strcat(sql, k ? ", `" : "`");
        strcat(sql, spec->cols[k].name);
        strcat(sql, "`");
    }
    strcat(sql, " FROM `");
    strcat(sql, spec->name);
    strcat(sql, "` ORDER BY `");
    strcat(sql, spec->cols[0].name);
    strcat(sql, "`");
    MYSQL_STMT *st = mysql_stmt_init(c);
    unsigned long cursor = CURSOR_TYPE_NO_CURSOR;
    if (mysql_stmt_prepare(st, sql, strlen(sql)) || mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &cursor) ||
        mysql_stmt_execute(st)) {
        fprintf(stderr, "ofi-bench: %s\n", mysql_stmt_error(st));
        return 2;
    }
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    const unsigned nf = mysql_num_fields(meta);
    MYSQL_FIELD *fd = mysql_fetch_fields(meta);
    MYSQL_BIND bind[OFI_MAX_COLS];
    int64_t ival[OFI_MAX_COLS];
    MYSQL_TIME tval[OFI_MAX_COLS];
    char sval[OFI_MAX_COLS][256];
    unsigned long len[OFI_MAX_COLS];
    my_bool isnull[OFI_MAX_COLS];
    memset(bind, 0, sizeof bind);
    for (unsigned k = 0; k < nf; k++) {
        bind[k].length = &len[k];
        bind[k].is_null = &isnull[k];
        switch (fd[k].type) {
        case MYSQL_TYPE_LONGLONG:
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_TINY:
            bind[k].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[k].buffer = &ival[k];
            break;
        case MYSQL_TYPE_DATE:
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP:
            bind[k].buffer_type = fd[k].type;
            bind[k].buffer = &tval[k];
            break;
        default:
            bind[k].buffer_type = MYSQL_TYPE_STRING;
            bind[k].buffer = sval[k];
            bind[k].buffer_length = sizeof sval[k];
            break;
        }
    }
    mysql_stmt_bind_result(st, bind);
    uint64_t rows = 0, bytes = 0;
    int r;
    while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED) {
        rows++;
        for (unsigned k = 0; k < nf; k++)
            bytes += isnull[k] ? 1 : len[k] + 1;
    }
    const double t = ofi_now() - t0;
    mysql_free_result(meta);
    mysql_stmt_close(st);
    mysql_close(c);
    printf("%s,%llu,%llu,%.3f\n", table, (unsigned long long)rows, (unsigned long long)bytes, t);
    return 0;
}

static ofi_status no_reject(void *user, ofi_table_id table, uint64_t row, const char *reason,
                            const char *raw, size_t raw_len)
{
    (void)user, (void)table, (void)row, (void)reason, (void)raw, (void)raw_len;
    return OFI_OK;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median3(double t[3])
{
    qsort(t, 3, sizeof *t, cmp_double);
    return t[1];
}

/* Load a CSV dataset and build its score features (not timed). @return 0, or 2 after
 * printing the error. */
static int load_features(const char *data, int threads, ofi_ctx *ctx, ofi_db *db,
                         ofi_features *f)
{
    ofi_ctx_init(ctx);
    ctx->n_threads = threads;
    if (ofi_db_init(db, threads) != OFI_OK ||
        ofi_load_csv_dir(ctx, data, db, no_reject, NULL, NULL) != OFI_OK ||
        ofi_db_compact(db) != OFI_OK || ofi_features_build(ctx, db, f) != OFI_OK) {
        fprintf(stderr, "ofi-bench: %s\n", ctx->err);
        return 2;
    }
    return 0;
}

/* Scoring K variants: one pass (ofi_score_multi) against K passes of ofi_score_all, on the
 * features of a CSV dataset. Variant q multiplies each default weight's points by a factor
 * in [0.75, 1.25] (a fixed sequence), per kept. Prints "cases,threads,k,one_pass_s,
 * k_passes_s,store_floor_s" per K, medians of 3; the store floor is a parallel memset of
 * the K score arrays (the bytes any scoring must write). */
static int score_variants(const char *data, int threads, const char *ks)
{
    ofi_ctx ctx;
    ofi_db db;
    ofi_features f;
    if (load_features(data, threads, &ctx, &db, &f) != 0)
        return 2;
    const size_t n = f.n;
    for (const char *p = ks; *p;) {
        const int k = atoi(p);
        ofi_variant *v = malloc((size_t)k * sizeof *v);
        double **out = malloc((size_t)k * sizeof *out);
        if (k < 1 || v == NULL || out == NULL)
            return 1;
        uint64_t x = 0x9E3779B97F4A7C15u;
        for (int q = 0; q < k; q++) {
            ofi_variant_default(&v[q], "bench");
            for (int w = 0; w < OFI_W_N && q > 0; w++) {
                x = x * 6364136223846793005u + 1442695040888963407u;
                v[q].w[w].points *= 0.75 + 0.5 * (double)(x >> 11) / 9007199254740992.0;
            }
            out[q] = malloc((n ? n : 1) * sizeof *out[q]);
            if (out[q] == NULL)
                return 2;
            memset(out[q], 0, (n ? n : 1) * sizeof *out[q]); /* pages touched before timing */
        }
        double one[3], naive[3], store[3];
        for (int r = 0; r < 3; r++) {
            double t0s = ofi_now();
#pragma omp parallel for num_threads(threads) schedule(static)
            for (long b = 0; b < (long)k * 64; b++) { /* the K arrays, in 64 slices each */
                const size_t q = (size_t)b / 64, sl = (size_t)b % 64;
                const size_t lo = n * sl / 64, hi = n * (sl + 1) / 64;
                memset(out[q] + lo, 0, (hi - lo) * sizeof(double));
            }
            store[r] = ofi_now() - t0s;
            double t0 = ofi_now();
            if (ofi_score_multi(&ctx, &f, v, k, out) != OFI_OK)
                return 2;
            one[r] = ofi_now() - t0;
            t0 = ofi_now();
            for (int q = 0; q < k; q++)
                ofi_score_all(&ctx, &f, &v[q], out[q]);
            naive[r] = ofi_now() - t0;
        }
        printf("%zu,%d,%d,%.4f,%.4f,%.4f\n", n, threads, k, median3(one), median3(naive),
               median3(store));
        fflush(stdout);
        for (int q = 0; q < k; q++)
            free(out[q]);
        free(out);
        free(v);
        p = strchr(p, ',');
        p = p ? p + 1 : "";
    }
    ofi_features_free(&f);
    ofi_db_free(&db);
    return 0;
}

/* The naive Monte Carlo: per sample, score every case, sort them all, group them by
 * customer (exact sums), sort the customers - what a tool without bounds or lanes does.
 * Prints "cases,threads,samples,seconds_per_sample" (median of the samples). */
static int sensitivity_naive(const char *data, int threads, int samples)
{
    ofi_ctx ctx;
    ofi_db db;
    ofi_features f;
    if (load_features(data, threads, &ctx, &db, &f) != 0)
        return 2;
    const size_t n = f.n;
    uint64_t *keys = malloc((n ? n : 1) * sizeof *keys), *gkeys = NULL;
    uint32_t *group = malloc((n ? n : 1) * sizeof *group), ng = 0;
    double *score = malloc((n ? n : 1) * sizeof *score);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!keys || !group || !score || !order)
        return 2;
    for (size_t i = 0; i < n; i++) {
        const int64_t id = ofi_case_fk(&db, OFI_CAS_CUSTOMER, i);
        keys[i] = id == OFI_NULL_I64 ? UINT64_MAX : (uint64_t)id;
    }
    if (ofi_densify(&ctx, n, keys, group, &ng, &gkeys) != OFI_OK)
        return 2;
    ofi_gstat *gs = malloc((ng ? ng : 1) * sizeof *gs);
    double *avg = malloc((ng ? ng : 1) * sizeof *avg);
    uint32_t *gorder = malloc((ng ? ng : 1) * sizeof *gorder);
    int64_t *gid = malloc((ng ? ng : 1) * sizeof *gid);
    double *t = malloc((size_t)samples * sizeof *t);
    if (!gs || !avg || !gorder || !gid || !t)
        return 2;
    for (uint32_t g = 0; g < ng; g++)
        gid[g] = (int64_t)gkeys[g];
    for (int s = 0; s < samples; s++) {
        ofi_variant v;
        ofi_variant_default(&v, "sample");
        for (int w = 0; w < OFI_W_N; w++) {
            v.w[w].points = v.w[w].points / v.w[w].per * ofi_sens_factor(1, (uint64_t)s + 1, w, 0.25);
            v.w[w].per = 1.0;
        }
        const double t0 = ofi_now();
        ofi_score_all(&ctx, &f, &v, score);
        if (ofi_sort_desc(&ctx, n, score, db.t[OFI_T_CASES].col[OFI_CAS_ID].i64, order) != OFI_OK ||
            ofi_group(&ctx, &db, &f, score, group, ng, gs) != OFI_OK)
            return 2;
        for (uint32_t g = 0; g < ng; g++)
            avg[g] = gs[g].total_ofi / (double)gs[g].count;
        if (ofi_sort_desc(&ctx, ng, avg, gid, gorder) != OFI_OK)
            return 2;
        t[s] = ofi_now() - t0;
    }
    qsort(t, (size_t)samples, sizeof *t, cmp_double);
    printf("%zu,%d,%d,%.4f\n", n, threads, samples, t[samples / 2]);
    return 0;
}

/* What touching memory for the first time costs, with 4 KiB pages and with transparent
 * huge pages: map `mib` MiB of anonymous memory (huge pages advised or refused), write one
 * byte per 4 KiB page (the faults, and the kernel's zeroing), then write every byte again
 * (plain stores); unmap, and repeat three times per kind. Prints seconds per GiB for each
 * round. On a VM whose host backs guest memory lazily and takes freed memory back (free
 * page reporting hands back whole free 2 MiB blocks), every huge page is a fresh host
 * page, while 4 KiB pages often come from memory the guest still holds. */
static int fresh_memory(long mib)
{
    if (mib <= 0)
        return 1;
    const size_t n = (size_t)mib << 20;
    const double gib = (double)n / (double)(1u << 30);
    printf("pages,round,fault_s_per_gib,rewrite_s_per_gib\n");
    for (int huge = 0; huge <= 1; huge++)
        for (int r = 1; r <= 3; r++) {
            const double t0 = ofi_now();
            char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED)
                return 2;
            madvise(p, n, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
            for (size_t i = 0; i < n; i += 4096)
                ((volatile char *)p)[i] = 1;
            const double t1 = ofi_now();
            memset(p, 2, n);
            const double t2 = ofi_now();
            munmap(p, n);
            printf("%s,%d,%.3f,%.3f\n", huge ? "2M" : "4K", r, (t1 - t0) / gib, (t2 - t1) / gib);
        }
    return 0;
}

int main(int argc, char **argv)
{
    ofi_runtime_reexec(argv);
    if (argc == 5 && strcmp(argv[1], "--sensitivity-naive") == 0)
        return sensitivity_naive(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc == 5 && strcmp(argv[1], "--score-variants") == 0)
        return score_variants(argv[2], atoi(argv[3]), argv[4]);
    if (argc == 4 && strcmp(argv[1], "--mysql-stream-binary") == 0)
        return stream_table_binary(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "--fresh-memory") == 0)
        return fresh_memory(atol(argv[2]));
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "--mysql-stream") == 0)
        return stream_table(argv[2], argv[3], argc == 5 ? atoi(argv[4]) : 1);
    /* The same heap settings as the ofi command (src/cli/main.c), so the bench measures
     * what users run. */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    const char *data = NULL, *out = "/tmp/ofi-bench-out";
    int threads = 1, header = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--header") == 0)
            header = 1;
        else {
            fprintf(stderr, "usage: ofi-bench --data DIR [--out DIR] [--threads N] [--header]\n"
                            "       ofi-bench --mysql-stream ENV_FILE TABLE [PARTITIONS]\n"
                            "       ofi-bench --score-variants DATA_DIR THREADS K[,K...]\n"
                            "       ofi-bench --sensitivity-naive DATA_DIR THREADS SAMPLES\n"
                            "       ofi-bench --fresh-memory MIB\n");
            return 1;
        }
    }
    if (header) {
        fputs(HEADER, stdout);
        return 0;
    }
    if (data == NULL || threads < 1) {
        fprintf(stderr, "ofi-bench: --data DIR is required\n");
        return 1;
    }
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.n_threads = threads;
    ofi_run_opts o = {0};
    o.csv_dir = data;
    o.out_dir = out;
    o.top_n = 50;
    ofi_run_result res;
    ofi_status st = ofi_run(&ctx, &o, &res);
    if (st != OFI_OK) {
        fprintf(stderr, "ofi-bench: %s\n", ctx.err);
        return (int)st;
    }
    const double n = (double)res.sum.cases;
    const double floor = copy_floor((size_t)(res.score_bytes + res.aggregate_bytes), threads);
    printf("%llu,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.0f,%.1f,%.1f,%.4f\n",
           (unsigned long long)res.sum.cases, threads, res.t.read, res.t.join, res.t.score,
           res.t.sort, res.t.aggregate, res.t.write, res.t.total, n / res.t.total,
           (double)res.peak_rss_kb / 1024.0, n ? (double)res.peak_rss_kb * 1024.0 / n : 0.0,
           floor);
    return 0;
}
