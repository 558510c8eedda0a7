/* main.c - the `ofi` command: parses options, runs the library, prints, exits.
 *
 * Subcommands: run, gen, version, help. Messages go to stderr as
 * "ofi: error: <what>", usage errors add "try 'ofi --help'". Exit codes are SPEC
 * section 6's; out of memory exits 2. Progress is a live line on stderr only when stderr
 * is a terminal, and never with --quiet.
 */
#include "ofi/gen.h"
#include "ofi/ofi.h"
#include "ofi/run.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct cli_log {
    int quiet;
    int tty;
} cli_log;

static void log_cb(void *user, int level, const char *msg)
{
    const cli_log *l = user;
    if (l->quiet)
        return;
    if (level == OFI_LOG_PROGRESS) {
        if (l->tty)
            fprintf(stderr, "\r\033[Kofi: %s", msg);
        return;
    }
    if (l->tty)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr, "ofi: %s%s\n", level == OFI_LOG_WARN ? "warning: " : "", msg);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "ofi: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\ntry 'ofi --help'\n");
    return 1;
}

static int exit_code(ofi_status st)
{
    return st == OFI_E_NOMEM ? 2 : (int)st;
}

static const char main_help[] =
    "usage: ofi COMMAND [OPTIONS]\n"
    "\n"
    "Operational Friction Index engine: scores support cases and writes the CSV views,\n"
    "data-quality and integrity reports that dashboards read.\n"
    "\n"
    "commands:\n"
    "  run       load the eight tables, score every case, write outputs/\n"
    "  gen       generate a synthetic dataset (the eight tables as CSV)\n"
    "  version   print the version\n"
    "  help      this text; 'ofi COMMAND --help' for a command's options\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read the source\n"
    "(or out of memory), 3 data-quality failure under --strict, 4 cannot write outputs\n";

static const char run_help[] =
    "usage: ofi run [--source mysql|csv:DIR] [--out DIR] [--threads N] [--chunk-rows N]\n"
    "               [--weights FILE] [--variant NAME] [--top N] [--strict] [--quiet]\n"
    "\n"
    "Load the eight tables, score every case (SPEC section 3) and write outputs/ofi,\n"
    "outputs/dq, outputs/fk and outputs/reports. Every file is written to a temporary\n"
    "name and renamed into place at the end: a failed run replaces nothing.\n"
    "\n"
    "  --source SRC     csv:DIR reads DIR/<table>.csv; mysql (the default) is not\n"
    "                   available in this version\n"
    "  --out DIR        output root (default: outputs)\n"
    "  --threads N      worker threads (default: all cores); outputs do not depend on it\n"
    "  --chunk-rows N   records per parse chunk, approximately (default 262144);\n"
    "                   bounds reader memory; outputs do not depend on it\n"
    "  --weights FILE   INI weights file of [variant NAME] sections\n"
    "  --variant NAME   variant to score (default: the file's first)\n"
    "  --top N          rows of ofi/top_50_cases.csv (default 50)\n"
    "  --strict         exit 3 when rows were rejected or duplicated, keys orphaned or\n"
    "                   domain rules violated (outputs are still written)\n"
    "  --quiet          no progress or warnings on stderr\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read the source\n"
    "(or out of memory), 3 data-quality failure under --strict, 4 cannot write outputs\n";

static const char gen_help[] =
    "usage: ofi gen --cases N [--seed S] --out DIR [--threads N] [--dirty RATE] [--quiet]\n"
    "\n"
    "Write DIR/<table>.csv for the eight tables: N cases with realistic distributions,\n"
    "about N/4 customers and 7 timeline events per case. The bytes depend only on N,\n"
    "the seed (default 1) and RATE, never on --threads. --dirty RATE (0..1) injects that\n"
    "fraction of data-quality problems (bad ids, duplicates, orphans, malformed rows).\n";

/* Parse a non-negative integer option value. */
static int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    if (s == NULL || *s == '\0' || *s == '-')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    /* Accept a k/M suffix for convenience: 10M cases. */
    if (*end == 'k' || *end == 'K')
        v *= 1000ULL, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1000000ULL, end++;
    if (errno || *end != '\0' || v > max)
        return 0;
    *out = v;
    return 1;
}

/* Fetch an option's value: "--opt VALUE" or "--opt=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        return "";
    return argv[++*i];
}

static void setup_ctx(ofi_ctx *ctx, cli_log *lg, int threads, unsigned long long chunk_rows)
{
    ofi_ctx_init(ctx);
    ctx->n_threads = threads > 0 ? threads : omp_get_num_procs();
    if (ctx->n_threads < 1)
        ctx->n_threads = 1;
    if (chunk_rows)
        ctx->chunk_bytes = chunk_rows * 64 < 4096 ? 4096 : (size_t)chunk_rows * 64;
    lg->tty = isatty(STDERR_FILENO);
    ctx->log = log_cb;
    ctx->log_user = lg;
}

static int cmd_run(int argc, char **argv)
{
    ofi_run_opts o = {0};
    o.out_dir = "outputs";
    o.top_n = 50;
    const char *source = "mysql";
    unsigned long long threads = 0, chunk_rows = 0, top = 50;
    cli_log lg = {0, 0};
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(run_help, stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--source"))) {
            source = v;
        } else if ((v = opt_value(argc, argv, &i, "--out"))) {
            if (*v == '\0')
                return usage_error("--out needs a directory%s", "");
            o.out_dir = v;
        } else if ((v = opt_value(argc, argv, &i, "--threads"))) {
            if (!parse_count(v, 1024, &threads) || threads == 0)
                return usage_error("--threads: expected 1..1024, got \"%s\"", v);
        } else if ((v = opt_value(argc, argv, &i, "--chunk-rows"))) {
            if (!parse_count(v, 1ULL << 32, &chunk_rows) || chunk_rows == 0)
                return usage_error("--chunk-rows: expected a positive count, got \"%s\"", v);
        } else if ((v = opt_value(argc, argv, &i, "--weights"))) {
            o.weights_path = v;
        } else if ((v = opt_value(argc, argv, &i, "--variant"))) {
            o.variant = v;
        } else if ((v = opt_value(argc, argv, &i, "--top"))) {
            if (!parse_count(v, 1ULL << 32, &top))
                return usage_error("--top: expected a count, got \"%s\"", v);
            o.top_n = (size_t)top;
        } else if (strcmp(argv[i], "--strict") == 0) {
            o.strict = 1;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            lg.quiet = 1;
        } else {
            return usage_error("run: unknown option \"%s\"", argv[i]);
        }
    }
    if (strncmp(source, "csv:", 4) == 0 && source[4] != '\0') {
        o.csv_dir = source + 4;
    } else if (strcmp(source, "mysql") == 0) {
        fprintf(stderr, "ofi: error: the mysql source is not available in this version; "
                        "use --source csv:DIR\n");
        return 2;
    } else {
        return usage_error("--source: expected mysql or csv:DIR, got \"%s\"", source);
    }
    ofi_ctx ctx;
    setup_ctx(&ctx, &lg, (int)threads, chunk_rows);
    /* The manifest records the command line; it holds no secret for the CSV source. */
    char cmdline[2048] = "ofi";
    for (int i = 1; i < argc; i++) {
        size_t l = strlen(cmdline);
        snprintf(cmdline + l, sizeof cmdline - l, " %s", argv[i]);
    }
    o.command_line = cmdline;
    ofi_run_result res;
    ofi_status st = ofi_run(&ctx, &o, &res);
    if (lg.tty && !lg.quiet)
        fprintf(stderr, "\r\033[K");
    if (st != OFI_OK) {
        fprintf(stderr, "ofi: error: %s\n", ctx.err[0] ? ctx.err : "failed");
        return exit_code(st);
    }
    if (!lg.quiet)
        fprintf(stderr,
                "ofi: scored %llu cases in %.2f s (read %.2f, join %.2f, score %.2f, sort %.2f, "
                "aggregate %.2f, write %.2f; peak %zu MiB); outputs in %s/\n",
                (unsigned long long)res.sum.cases, res.t.total, res.t.read, res.t.join,
                res.t.score, res.t.sort, res.t.aggregate, res.t.write, res.peak_rss_kb / 1024,
                o.out_dir);
    return 0;
}

static int cmd_gen(int argc, char **argv)
{
    ofi_gen_opts g = {0, 1, NULL, 0.0};
    unsigned long long threads = 0, cases = 0, seed = 1;
    int have_cases = 0;
    cli_log lg = {0, 0};
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(gen_help, stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--cases"))) {
            if (!parse_count(v, UINT32_MAX, &cases))
                return usage_error("--cases: expected a count, got \"%s\"", v);
            have_cases = 1;
        } else if ((v = opt_value(argc, argv, &i, "--seed"))) {
            if (!parse_count(v, ULLONG_MAX, &seed))
                return usage_error("--seed: expected a non-negative integer, got \"%s\"", v);
        } else if ((v = opt_value(argc, argv, &i, "--out"))) {
            g.out_dir = v;
        } else if ((v = opt_value(argc, argv, &i, "--threads"))) {
            if (!parse_count(v, 1024, &threads) || threads == 0)
                return usage_error("--threads: expected 1..1024, got \"%s\"", v);
        } else if ((v = opt_value(argc, argv, &i, "--dirty"))) {
            char *end;
            g.dirty_rate = strtod(v, &end);
            if (*v == '\0' || *end != '\0' || !(g.dirty_rate >= 0.0 && g.dirty_rate <= 1.0))
                return usage_error("--dirty: expected a rate in 0..1, got \"%s\"", v);
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            lg.quiet = 1;
        } else {
            return usage_error("gen: unknown option \"%s\"", argv[i]);
        }
    }
    if (!have_cases)
        return usage_error("gen: --cases N is required%s", "");
    if (g.out_dir == NULL || *g.out_dir == '\0')
        return usage_error("gen: --out DIR is required%s", "");
    g.n_cases = cases;
    g.seed = seed;
    ofi_ctx ctx;
    lg.quiet = 1; /* the generator's per-table lines are noise */
    setup_ctx(&ctx, &lg, (int)threads, 0);
    ofi_status st = ofi_gen_write(&ctx, &g);
    if (st != OFI_OK) {
        fprintf(stderr, "ofi: error: %s\n", ctx.err[0] ? ctx.err : "failed");
        return exit_code(st);
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* A batch engine allocates and frees big column arrays phase after phase. By default
     * glibc serves each with a fresh mmap, which the kernel must zero page by page (a
     * quarter of a run's time went to clear_page). Keeping freed memory in the heap lets
     * later phases reuse warm pages. */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    if (argc < 2)
        return usage_error("no command given%s", "");
    const char *cmd = argv[1];
    int rc;
    if (strcmp(cmd, "run") == 0)
        rc = cmd_run(argc, argv);
    else if (strcmp(cmd, "gen") == 0)
        rc = cmd_gen(argc, argv);
    else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        rc = printf("ofi %s\n", OFI_VERSION) < 0;
    else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        rc = fputs(main_help, stdout) < 0;
    else
        return usage_error("unknown command \"%s\"", cmd);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ofi: error: cannot write to standard output\n");
        return 4;
    }
    return rc;
}
