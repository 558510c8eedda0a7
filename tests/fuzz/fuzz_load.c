/* fuzz_load.c - libFuzzer target: a whole run on a fuzzed table, two ways, same bytes.
 *
 * The first byte picks one of the eight tables (SPEC section 1 order), the rest is that
 * table's CSV file; the seven others come from a small valid dataset (the golden case
 * named by OFI_FUZZ_BASE at build time, or the OFI_FUZZ_BASE environment variable). The
 * run is done twice:
 *   A  one thread, one 16 MiB chunk, the file mapped, the loader's fast path;
 *   B  two threads, 4096-byte chunks, the file read with pread, every record through
 *      the generic splitter (ctx->generic_parse).
 * Both must return the same status and message, and when they succeed write the same
 * bytes in every ofi/, dq/ and fk/ file (SPEC section 4: byte-identical whatever the
 * thread count and chunk size). Any difference aborts with both files named.
 */
#include "ofi/run.h"

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OFI_FUZZ_BASE
#define OFI_FUZZ_BASE "tests/golden/basic/input"
#endif

static const char *const TABLES[8] = {"calendar",      "customers", "agents",
                                      "products",      "issue_catalog", "cases",
                                      "case_timeline", "refunds"};

/* What the two runs must agree on: every file of ofi/, dq/ and fk/. */
static const char *const FILES[] = {
    "ofi/ofi_case_scores.csv",         "ofi/top_50_cases.csv",
    "ofi/high_friction_customers.csv", "ofi/customer_tiers.csv",
    "ofi/weekly_friction_trend.csv",   "ofi/monthly_friction_trend.csv",
    "ofi/severity_trend.csv",          "ofi/product_group_cost_drivers.csv",
    "ofi/root_cause_friction.csv",     "ofi/team_friction.csv",
    "ofi/monthly_refund_trend.csv",    "ofi/kpi_summary.csv",
    "dq/row_counts.csv",               "dq/missing_values.csv",
    "dq/duplicates.csv",               "dq/domain_violations.csv",
    "dq/rejected_rows.csv",            "fk/fk_orphans_summary.csv"};

static char work[256];
static char *base[8];
static size_t base_len[8];

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fuzz_load: %s: %s: %s\n", what, path, strerror(errno));
    abort();
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            char *nb = realloc(b, cap);
            if (nb == NULL)
                die("out of memory", path);
            b = nb;
        }
        const size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    *len = n;
    return b;
}

static void spill(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        die("cannot write", path);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* The working directory goes at exit (libFuzzer ends a campaign with exit()). */
static void remove_work(void)
{
    nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *dir = getenv("OFI_FUZZ_BASE");
    if (dir == NULL)
        dir = OFI_FUZZ_BASE;
    const char *t = getenv("TMPDIR");
    snprintf(work, sizeof work, "%s/ofi-fuzz-load.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : t ? t : "/tmp");
    if (mkdtemp(work) == NULL)
        die("cannot create", work);
    atexit(remove_work);
    char path[512];
    snprintf(path, sizeof path, "%s/in", work);
    if (mkdir(path, 0777) != 0)
        die("cannot create", path);
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, TABLES[i]);
        if ((base[i] = slurp(path, &base_len[i])) == NULL)
            die("cannot read", path);
        snprintf(path, sizeof path, "%s/in/%s.csv", work, TABLES[i]);
        spill(path, base[i], base_len[i]);
    }
    return 0;
}

static ofi_status run_once(ofi_ctx *ctx, const char *out)
{
    char in[512];
    snprintf(in, sizeof in, "%s/in", work);
    ofi_run_opts o = {0};
    o.csv_dir = in;
    o.out_dir = out;
    o.top_n = 50;
    ofi_run_result res;
    memset(&res, 0, sizeof res);
    return ofi_run(ctx, &o, &res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int t = data[0] % 8;
    char path[512], a_dir[512], b_dir[512];
    snprintf(path, sizeof path, "%s/in/%s.csv", work, TABLES[t]);
    spill(path, (const char *)data + 1, size - 1);
    snprintf(a_dir, sizeof a_dir, "%s/a", work);
    snprintf(b_dir, sizeof b_dir, "%s/b", work);

    ofi_ctx a, b;
    ofi_ctx_init(&a);
    a.no_direct = 1;
    a.no_writer_threads = 1;
    ofi_ctx_init(&b);
    b.n_threads = 2;
    b.chunk_bytes = 4096;
    b.no_map = 1;
    b.generic_parse = 1;
    b.no_direct = 1;
    b.no_writer_threads = 1;
    const ofi_status sa = run_once(&a, a_dir), sb = run_once(&b, b_dir);
    if (sa != sb || strcmp(a.err, b.err) != 0) {
        fprintf(stderr, "fuzz_load: table %s: A %d \"%s\", B %d \"%s\"\n", TABLES[t], (int)sa,
                a.err, (int)sb, b.err);
        abort();
    }
    if (sa == OFI_OK || sa == OFI_E_DQ)
        for (size_t k = 0; k < sizeof FILES / sizeof FILES[0]; k++) {
            char pa[600], pb[600];
            size_t la = 0, lb = 0;
            snprintf(pa, sizeof pa, "%s/%s", a_dir, FILES[k]);
            snprintf(pb, sizeof pb, "%s/%s", b_dir, FILES[k]);
            char *fa = slurp(pa, &la), *fb = slurp(pb, &lb);
            if (fa == NULL || fb == NULL || la != lb || memcmp(fa, fb, la) != 0) {
                fprintf(stderr, "fuzz_load: table %s: %s and %s differ\n", TABLES[t], pa, pb);
                abort();
            }
            free(fa);
            free(fb);
        }
    spill(path, base[t], base_len[t]); /* the next input starts from the base again */
    return 0;
}
