/* main.c - the `ofi` command: parses options, runs the library, prints, exits.
 *
 * Subcommands: run, gen, version, help. Messages go to stderr as
 * "ofi: error: <what>", usage errors add "try 'ofi --help'". Exit codes are SPEC
 * section 6's; out of memory exits 2. Progress is a live line on stderr only when stderr
 * is a terminal, and never with --quiet.
 */
#include "runtime.h"
#include "ofi/csv.h"
#include "ofi/gen.h"
#include "ofi/mysql.h"
#include "ofi/outset.h"
#include "ofi/ofi.h"
#include "ofi/run.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

/* ---- MySQL connection settings -------------------------------------------------------------
 * Sources, each overriding the ones before: the [client] group of the standard option
 * files (read by the connector), a .env file in the working directory, the environment,
 * then --env FILE. Keys: MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD,
 * MYSQL_DATABASE, MYSQL_SOCKET, MYSQL_SSL_MODE, MYSQL_SSL_CA, MYSQL_CONNECT_TIMEOUT,
 * MYSQL_READ_TIMEOUT. */

enum {
    S_HOST,
    S_PORT,
    S_USER,
    S_PASSWORD,
    S_DATABASE,
    S_SOCKET,
    S_SSL_MODE,
    S_SSL_CA,
    S_CONNECT_TIMEOUT,
    S_READ_TIMEOUT,
    S_N
};
static const char *const setting_keys[S_N] = {
    "MYSQL_HOST",     "MYSQL_PORT",   "MYSQL_USER",            "MYSQL_PASSWORD",
    "MYSQL_DATABASE", "MYSQL_SOCKET", "MYSQL_SSL_MODE",        "MYSQL_SSL_CA",
    "MYSQL_CONNECT_TIMEOUT",          "MYSQL_READ_TIMEOUT"};

typedef struct settings {
    char *v[S_N];
} settings;

/* @return 0, or -1 out of memory (said on stderr). */
static int settings_set(settings *s, const char *key, const char *val)
{
    for (int k = 0; k < S_N; k++)
        if (strcmp(key, setting_keys[k]) == 0) {
            free(s->v[k]);
            if ((s->v[k] = strdup(val)) == NULL) {
                fprintf(stderr, "ofi: error: out of memory reading the MySQL settings\n");
                return -1;
            }
        }
    return 0;
}

static void settings_free(settings *s)
{
    for (int k = 0; k < S_N; k++)
        free(s->v[k]);
}

/* A quoted .env value in place, as python-dotenv decodes it: val starts at the opening
 * quote; inside '...' the escapes \\ and \' are decoded, inside "..." also \" and \a \b
 * \f \n \r \t \v (another backslash stays as written); after the closing quote only
 * blanks and a # comment may follow. @return the value, or NULL when the line is not a
 * valid binding (no closing quote on the line, or text after it). */
static char *dotenv_quoted(char *val)
{
    const char q = val[0];
    const char *esc = q == '"' ? "\\'\"abfnrtv" : "\\'";
    char *r = val + 1, *w = val;
    for (; *r && *r != q; r++) {
        if (*r == '\\' && r[1] && strchr(esc, r[1])) {
            static const char from[] = "abfnrtv", to[] = "\a\b\f\n\r\t\v";
            const char *k = strchr(from, r[1]);
            *w++ = k ? to[k - from] : r[1];
            r++;
        } else {
            *w++ = *r;
        }
    }
    if (*r != q)
        return NULL;
    *w = '\0';
    for (r++; *r == ' ' || *r == '\t'; r++)
        ;
    return *r == '\0' || *r == '#' ? val : NULL;
}

/* Read KEY=VALUE lines as python-dotenv (the reference pipeline's) reads them: # comment
 * lines, an optional "export ", a quoted value decoded by dotenv_quoted (one line; a line
 * it refuses is skipped with a warning), an unquoted value ending where whitespace and
 * '#' start a comment ("pw  # note" is pw; "p#w" and "#pw" keep theirs). A file that
 * does not exist is fine unless required; one that exists but cannot be read (EACCES,
 * EIO, a directory) is an error either way: it may hold the password.
 * @return 0, -1 when the file cannot be read, -2 out of memory (both said on stderr). */
static int read_env_file(const char *path, settings *s, int required, int quiet)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (!required && errno == ENOENT)
            return 0;
        fprintf(stderr, "ofi: error: %s: cannot read: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (!quiet && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077))
        fprintf(stderr, "ofi: warning: %s is readable by other users; it may hold a password "
                        "(chmod 600 %s)\n", path, path);
    char line[4096];
    unsigned long line_no = 0;
    while (fgets(line, sizeof line, f)) {
        line_no++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        if (strncmp(p, "export ", 7) == 0)
            p += 7;
        char *eq = strchr(p, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        char *key = p, *val = eq + 1;
        size_t kl = strlen(key);
        while (kl && (key[kl - 1] == ' ' || key[kl - 1] == '\t'))
            key[--kl] = '\0';
        val[strcspn(val, "\r\n")] = '\0';
        while (*val == ' ' || *val == '\t')
            val++;
        if (val[0] == '"' || val[0] == '\'') {
            if ((val = dotenv_quoted(val)) == NULL) {
                if (!quiet) /* the key only: the value may be a password */
                    fprintf(stderr, "ofi: warning: %s:%lu: %s: a quoted value must close on "
                                    "its line, with only a # comment after it; line not read\n",
                            path, line_no, key);
                continue;
            }
        } else {
            for (char *c = val; *c; c++)
                if (*c == '#' && c > val && (c[-1] == ' ' || c[-1] == '\t')) {
                    *c = '\0';
                    break;
                }
            size_t vl = strlen(val);
            while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
                val[--vl] = '\0';
        }
        if (settings_set(s, key, val) != 0) {
            fclose(f);
            return -2;
        }
    }
    if (ferror(f)) { /* fgets stops on a read error as at the end: a directory, EIO */
        fprintf(stderr, "ofi: error: %s: cannot read: %s\n", path, strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* Gather the settings into cfg (which borrows s's strings). @return 0, or an exit code. */
static int mysql_settings(const char *env_file, int quiet, settings *s, ofi_mysql_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->read_option_files = 1;
    int rc = read_env_file(".env", s, 0, quiet);
    for (int k = 0; k < S_N && rc == 0; k++) {
        const char *e = getenv(setting_keys[k]);
        if (e && settings_set(s, setting_keys[k], e) != 0)
            rc = -2;
    }
    if (rc == 0 && env_file)
        rc = read_env_file(env_file, s, 1, quiet);
    if (rc != 0)
        return rc == -2 ? 2 : 1; /* out of memory; a settings file that cannot be read */
    /* Fault injection and retry budget, for tests and flaky networks. */
    const char *kill = getenv("OFI_FAULT_KILL_AFTER_ROWS");
    if (kill && *kill)
        cfg->fault_kill_after_rows = strtoull(kill, NULL, 10);
    const char *down = getenv("OFI_FAULT_SHUTDOWN_AFTER_ROWS");
    if (down && *down)
        cfg->fault_shutdown_after_rows = strtoull(down, NULL, 10);
    const char *sql_after = getenv("OFI_FAULT_SQL_AFTER_ROWS");
    if (sql_after && *sql_after)
        cfg->fault_sql_after_rows = strtoull(sql_after, NULL, 10);
    cfg->fault_sql = getenv("OFI_FAULT_SQL");
    const char *retries = getenv("OFI_MYSQL_RETRIES");
    if (retries && *retries)
        cfg->max_retries = atoi(retries) == 0 ? -1 : atoi(retries);
    cfg->host = s->v[S_HOST];
    cfg->user = s->v[S_USER];
    cfg->password = s->v[S_PASSWORD];
    cfg->database = s->v[S_DATABASE];
    cfg->socket = s->v[S_SOCKET];
    cfg->ssl_mode = s->v[S_SSL_MODE];
    cfg->ssl_ca = s->v[S_SSL_CA];
    if (s->v[S_PORT] && *s->v[S_PORT]) {
        char *end;
        unsigned long p = strtoul(s->v[S_PORT], &end, 10);
        if (*end != '\0' || p == 0 || p > 65535) {
            fprintf(stderr, "ofi: error: MYSQL_PORT: expected 1..65535, found \"%s\"\n", s->v[S_PORT]);
            return 1;
        }
        cfg->port = (unsigned)p;
    }
    /* Timeouts in seconds; 0 means none (the cfg's -1; its 0 is the default). */
    const int tk[2] = {S_CONNECT_TIMEOUT, S_READ_TIMEOUT};
    int *tv[2] = {&cfg->connect_timeout, &cfg->read_timeout};
    for (int k = 0; k < 2; k++) {
        const char *v = s->v[tk[k]];
        if (v == NULL || *v == '\0')
            continue;
        char *end;
        const unsigned long t = strtoul(v, &end, 10);
        if (*end != '\0' || *v < '0' || *v > '9' || t > 86400) {
            fprintf(stderr, "ofi: error: %s: expected seconds, 0..86400 (0: no limit), found \"%s\"\n",
                    setting_keys[tk[k]], v);
            return 1;
        }
        *tv[k] = t == 0 ? -1 : (int)t;
    }
    return 0;
}

static const char main_help[] =
    "usage: ofi COMMAND [OPTIONS]\n"
    "\n"
    "Operational Friction Index engine: scores support cases and writes the CSV views,\n"
    "data-quality and integrity reports that dashboards read.\n"
    "\n"
    "commands:\n"
    "  run          load the eight tables, score every case, write outputs/\n"
    "  load         create the schema in MySQL/MariaDB and bulk-load a CSV directory\n"
    "  extract      stream the tables from MySQL/MariaDB into outputs/extracts/\n"
    "  variants     score every variant of a weights file and compare their rankings\n"
    "  sensitivity  Monte Carlo uncertainty of the rankings under random weights\n"
    "  gen          generate a synthetic dataset (the eight tables as CSV)\n"
    "  version      print the version\n"
    "  help         this text; 'ofi COMMAND --help' for a command's options\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read the source\n"
    "(or out of memory), 3 data-quality failure under --strict, 4 cannot write outputs\n";

static const char run_help[] =
    "usage: ofi run [--source mysql|csv:DIR] [--env FILE] [--out DIR] [--threads N]\n"
    "               [--chunk-rows N] [--weights FILE] [--variant NAME] [--top N] [--strict]\n"
    "               [--partitions N] [--no-extract] [--quiet]\n"
    "\n"
    "Load the eight tables, score every case (SPEC section 3) and write outputs/ofi,\n"
    "outputs/dq, outputs/fk and outputs/reports. Every file is written to a temporary\n"
    "name and renamed into place at the end: a failed run replaces nothing. Two runs\n"
    "never write in one --out directory at once (the second exits 4; variants and\n"
    "sensitivity, other files, may run beside one); SIGTERM, SIGINT or SIGHUP removes\n"
    "the temporary files and ends the run by that signal.\n"
    "\n"
    "  --source SRC     mysql (the default) reads the database of the MySQL settings;\n"
    "                   csv:DIR reads DIR/<table>.csv\n"
    "  --env FILE       MySQL settings (KEY=VALUE lines), over ~/.my.cnf [client], ./.env\n"
    "                   and the environment: MYSQL_HOST, MYSQL_PORT, MYSQL_USER,\n"
    "                   MYSQL_PASSWORD, MYSQL_DATABASE, MYSQL_SOCKET, MYSQL_SSL_MODE,\n"
    "                   MYSQL_SSL_CA, MYSQL_CONNECT_TIMEOUT (seconds, default 30),\n"
    "                   MYSQL_READ_TIMEOUT (seconds a read may wait, default 600; then\n"
    "                   the read reconnects and resumes; 0: no limit)\n"
    "  --out DIR        output root (default: outputs)\n"
    "  --threads N      worker threads (default: all cores); outputs do not depend on it\n"
    "  --chunk-rows N   records per parse chunk, approximately (default 262144);\n"
    "                   bounds reader memory; outputs do not depend on it\n"
    "  --weights FILE   INI weights file of [variant NAME] sections\n"
    "  --variant NAME   variant to score (default: the file's first)\n"
    "  --top N          rows of ofi/top_50_cases.csv (default 50)\n"
    "  --partitions N   MySQL source: read cases, case_timeline and refunds in primary-key\n"
    "                   ranges over N connections at once, from one snapshot (default:\n"
    "                   half the thread count, 1 to 8, for tables big enough); outputs\n"
    "                   do not depend on it\n"
    "  --no-extract     MySQL source: do not write outputs/extracts/<table>.csv (the\n"
    "                   tables as read, written while they stream)\n"
    "  --strict         exit 3 when rows were rejected or duplicated, keys orphaned or\n"
    "                   domain rules violated (outputs are still written)\n"
    "  --quiet          no progress or warnings on stderr\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read the source\n"
    "(or out of memory), 3 data-quality failure under --strict, 4 cannot write outputs\n"
    "(or another ofi is writing the same files in --out)\n";

static const char extract_help[] =
    "usage: ofi extract [--env FILE] [--out DIR] [--threads N] [--chunk-rows N]\n"
    "                   [--partitions N] [--quiet]\n"
    "\n"
    "Stream the eight tables from MySQL/MariaDB (settings as for 'ofi run') into\n"
    "DIR/extracts/<table>.csv (default DIR: outputs), as read: the columns of SPEC\n"
    "section 1 (a table lacking one is an error), rows by primary key, SQL NULL as an\n"
    "empty field; extracts/extract_manifest.json lists them with their sizes and XXH64.\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read the source\n"
    "(or out of memory), 4 cannot write outputs (or another ofi is writing the same\n"
    "files in --out); SIGTERM, SIGINT or SIGHUP removes the temporary files and ends it\n"
    "by that signal\n";
static const char variants_help[] =
    "usage: ofi variants [--weights FILE] [--source mysql|csv:DIR] [--env FILE] [--out DIR]\n"
    "                    [--top N] [--threads N] [--chunk-rows N] [--partitions N] [--quiet]\n"
    "\n"
    "Score every [variant NAME] of the weights file (the first is the baseline; without\n"
    "--weights, the single variant `default` of SPEC section 3's weights) and write\n"
    "DIR/variants/ (default DIR: outputs): variant_summary.csv (averages, quantiles,\n"
    "top-N overlap, Spearman correlations of cases and customers, Kendall's tau-b over the\n"
    "top-N union, customers changing tier), variant_top_cases.csv (each variant's top N),\n"
    "variant_tier_migration.csv (customers per baseline tier and variant tier),\n"
    "variant_rank_shifts.csv (mean absolute rank shift of cases and customers, share of\n"
    "customers changing tier) and variant_top_changes.csv (cases entering and leaving\n"
    "the top N), with variants_manifest.json listing them.\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read the source\n"
    "(or out of memory), 4 cannot write outputs (or another ofi is writing the same\n"
    "files in --out); SIGTERM, SIGINT or SIGHUP removes the temporary files and ends it\n"
    "by that signal\n";
static const char sensitivity_help[] =
    "usage: ofi sensitivity --samples S --spread F --seed X [--weights FILE] [--variant NAME]\n"
    "                       [--top N] [--source mysql|csv:DIR] [--env FILE] [--out DIR]\n"
    "                       [--threads N] [--chunk-rows N] [--partitions N] [--quiet]\n"
    "\n"
    "Monte Carlo uncertainty of the rankings. Each of S samples multiplies every weight of\n"
    "the baseline (the chosen variant, default the file's first, or the default weights)\n"
    "by its own uniform factor in [1-F, 1+F]; the sampled weight (points/per) * factor is\n"
    "a plain number, written to sensitivity_samples.csv so that `ofi run --weights`\n"
    "reproduces any sample. The same seed gives the same bytes, at any thread count.\n"
    "Writes DIR/variants/ (default DIR: outputs): sensitivity_cases.csv and\n"
    "sensitivity_customers.csv (the baseline's top N: median, 5th and 95th percentile of\n"
    "their exact rank among all cases / customers, share of samples in the top N),\n"
    "sensitivity_tiers.csv (every customer: share of samples per tier) and\n"
    "sensitivity_samples.csv.\n"
    "\n"
    "  --samples S    1..10000000\n"
    "  --spread F     0 <= F <= 1\n"
    "  --seed X       0..2^64-1\n"
    "  --top N        N of the top-N questions (default 50)\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read the source\n"
    "(or out of memory), 4 cannot write outputs (or another ofi is writing the same\n"
    "files in --out); SIGTERM, SIGINT or SIGHUP removes the temporary files and ends it\n"
    "by that signal\n";
static const char load_help[] =
    "usage: ofi load --from DIR [--env FILE] [--quiet]\n"
    "\n"
    "Create the eight tables (scripts/schema.sql, compiled in) in the database of the MySQL\n"
    "settings (see 'ofi run --help') and bulk-load DIR/<table>.csv into them with LOAD DATA\n"
    "LOCAL INFILE. Each file is read as 'ofi run --source csv:DIR' reads it (columns by\n"
    "header name, quotes, blank lines, typed values) and the rows that run keeps are sent;\n"
    "what is left out (unreadable records, NULL or repeated ids) is counted on stderr.\n"
    "Each table loads beside the old one; when all eight have loaded, one RENAME TABLE\n"
    "puts them in place at once: a load that fails leaves the database as it was, and so\n"
    "does a file changed while it loads (exit 2) or SIGTERM, SIGINT or SIGHUP (the load\n"
    "drops what it loaded and ends by that signal; the same signal again ends it at once).\n"
    "Loads into one database exclude each other: a second one is refused (exit 2).\n"
    "MYSQL_READ_TIMEOUT applies here only when set (a big table's last statements may\n"
    "wait long on the server); MYSQL_CONNECT_TIMEOUT as for 'ofi run'.\n"
    "\n"
    "exit codes: 0 success, 1 usage or configuration error, 2 cannot read a file or load\n"
    "the database (the database then as it was), 128+N stopped by signal N\n";
static const char gen_help[] =
    "usage: ofi gen --cases N [--seed S] --out DIR [--threads N] [--dirty RATE] [--quiet]\n"
    "\n"
    "Write DIR/<table>.csv for the eight tables in the real sample's layout and\n"
    "statistics: N cases (10k, 10M: k and M suffixes), about N/4 customers and 7 timeline\n"
    "events per case. The bytes depend only on N, the seed (default 1) and RATE, never\n"
    "on --threads (the generating threads, default all cores). --dirty RATE (0..1)\n"
    "injects that fraction of data-quality problems into cases, events and refunds (bad\n"
    "ids, duplicates, orphans, malformed rows, odd values). The tables are written to\n"
    "temporary names and renamed into place together at the end: a failed gen replaces\n"
    "nothing; SIGTERM, SIGINT or SIGHUP removes the temporary files and ends it by that\n"
    "signal. Nothing is printed but errors (--quiet is accepted for symmetry).\n";

/* Parse a non-negative integer option value. */
static int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    if (s == NULL || *s < '0' || *s > '9') /* digits first: no sign, space or bare suffix */
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    /* Accept a k/M suffix for convenience: 10M cases (a product past 64 bits refused). */
    unsigned long long scale = 1;
    if (*end == 'k' || *end == 'K')
        scale = 1000ULL, end++;
    else if (*end == 'M' || *end == 'm')
        scale = 1000000ULL, end++;
    if (errno || *end != '\0' || __builtin_mul_overflow(v, scale, &v) || v > max)
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
    /* OFI_NO_MMAP=1: copy CSV inputs into a buffer instead of mapping them (an input that
     * may shrink while it is read would raise SIGBUS through a mapping). */
    const char *nm = getenv("OFI_NO_MMAP");
    ctx->no_map = nm != NULL && *nm != '\0' && strcmp(nm, "0") != 0;
    /* OFI_NO_DIRECT=1: write big outputs through the page cache (O_DIRECT off). */
    const char *nd = getenv("OFI_NO_DIRECT");
    ctx->no_direct = nd != NULL && *nd != '\0' && strcmp(nd, "0") != 0;
    /* OFI_NO_WRITER_THREADS=1: big outputs are hashed and written by the formatting
     * thread itself, as when the writer threads cannot start (for tests). */
    const char *nw = getenv("OFI_NO_WRITER_THREADS");
    ctx->no_writer_threads = nw != NULL && *nw != '\0' && strcmp(nw, "0") != 0;
    /* OFI_GENERIC_PARSE=1: no CSV record takes the loader's fast path (for tests). */
    const char *gp = getenv("OFI_GENERIC_PARSE");
    ctx->generic_parse = gp != NULL && *gp != '\0' && strcmp(gp, "0") != 0;
    /* OFI_TEST_COMMIT_PAUSE_MS=N: wait N ms before each final rename (for tests). */
    const char *cp = getenv("OFI_TEST_COMMIT_PAUSE_MS");
    ctx->commit_pause_ms = cp != NULL ? atoi(cp) : 0;
    /* OFI_TEST_MAP_WAIT=NAME: once the CSV input NAME is mapped, say so and wait until
     * its size changes (for tests). */
    const char *mw = getenv("OFI_TEST_MAP_WAIT");
    ctx->map_wait = mw != NULL && *mw != '\0' ? mw : NULL;
    lg->tty = isatty(STDERR_FILENO);
    ctx->log = log_cb;
    ctx->log_user = lg;
}

/* The options of the shared parser that not every command takes, and the commands (bit
 * 1 << mode) that do: the others refuse them rather than ignore them. */
static const struct {
    const char *name;
    unsigned modes;
} scoped_opts[] = {
    {"--source", 1u | 4u | 8u}, {"--weights", 1u | 4u | 8u}, {"--top", 1u | 4u | 8u},
    {"--variant", 1u | 8u},     {"--strict", 1u},            {"--no-extract", 1u},
};

/* NULL when command mode takes option arg (--name or --name=value), else its name. */
static const char *refused_opt(const char *arg, int mode)
{
    for (size_t k = 0; k < sizeof scoped_opts / sizeof scoped_opts[0]; k++) {
        const size_t n = strlen(scoped_opts[k].name);
        if (strncmp(arg, scoped_opts[k].name, n) == 0 && (arg[n] == '\0' || arg[n] == '=') &&
            !(scoped_opts[k].modes >> mode & 1u))
            return scoped_opts[k].name;
    }
    return NULL;
}

/* mode: 0 run, 1 extract, 2 variants, 3 sensitivity */
static int cmd_run(int argc, char **argv, int mode)
{
    static const char *const cmd_names[4] = {"run", "extract", "variants", "sensitivity"};
    const int extract_only = mode == 1;
    ofi_run_opts o = {0};
    o.extract_only = extract_only;
    o.variants = mode == 2;
    o.sensitivity = mode == 3;
    int have_samples = 0, have_spread = 0, have_seed = 0;
    o.out_dir = "outputs";
    o.top_n = 50;
    const char *source = "mysql", *env_file = NULL;
    unsigned long long threads = 0, chunk_rows = 0, top = 50, partitions = 0;
    cli_log lg = {0, 0};
    int asks_help = 0; /* --help anywhere shows the help, whatever else is there */
    for (int i = 2; i < argc; i++)
        asks_help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    for (int i = 2; i < argc; i++) {
        const char *v, *refused = refused_opt(argv[i], mode);
        char what[64];
        if (refused != NULL && !asks_help) {
            snprintf(what, sizeof what, "%s %s", cmd_names[mode], refused);
            return usage_error("%s: the option does not apply to this command", what);
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(mode == 1   ? extract_help
                  : mode == 2 ? variants_help
                  : mode == 3 ? sensitivity_help
                              : run_help,
                  stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--source"))) {
            source = v;
        } else if ((v = opt_value(argc, argv, &i, "--out"))) {
            if (*v == '\0')
                return usage_error("--out needs a directory%s", "");
            o.out_dir = v;
        } else if ((v = opt_value(argc, argv, &i, "--env"))) {
            env_file = v;
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
        } else if (mode == 3 && (v = opt_value(argc, argv, &i, "--samples"))) {
            unsigned long long x;
            if (!parse_count(v, 10000000ULL, &x) || x == 0)
                return usage_error("--samples: expected 1..10000000, got \"%s\"", v);
            o.samples = x;
            have_samples = 1;
        } else if (mode == 3 && (v = opt_value(argc, argv, &i, "--spread"))) {
            char *end;
            errno = 0;
            const double x = strtod(v, &end);
            if (*v == '\0' || *end != '\0' || errno || !(x >= 0.0 && x <= 1.0))
                return usage_error("--spread: expected a number in [0, 1], got \"%s\"", v);
            o.spread = x;
            have_spread = 1;
        } else if (mode == 3 && (v = opt_value(argc, argv, &i, "--seed"))) {
            unsigned long long x;
            if (!parse_count(v, ~0ULL, &x))
                return usage_error("--seed: expected 0..18446744073709551615, got \"%s\"", v);
            o.seed = x;
            have_seed = 1;
        } else if ((v = opt_value(argc, argv, &i, "--partitions"))) {
            if (!parse_count(v, 64, &partitions) || partitions == 0)
                return usage_error("--partitions: expected 1..64, got \"%s\"", v);
        } else if (strcmp(argv[i], "--strict") == 0) {
            o.strict = 1;
        } else if (strcmp(argv[i], "--no-extract") == 0) {
            o.no_extract = 1;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            lg.quiet = 1;
        } else {
            snprintf(what, sizeof what, "%s", cmd_names[mode]);
            fprintf(stderr, "ofi: error: %s: unknown option \"%s\"\ntry 'ofi %s --help'\n", what,
                    argv[i], what);
            return 1;
        }
    }
    settings set = {{0}};
    ofi_mysql_cfg mcfg;
    if (mode == 3 && !(have_samples && have_spread && have_seed))
        return usage_error("sensitivity: --samples S, --spread F and --seed X are required%s", "");
    if (extract_only && strcmp(source, "mysql") != 0)
        return usage_error("extract reads MySQL only, not \"%s\"", source);
    if (strncmp(source, "csv:", 4) == 0 && source[4] != '\0') {
        o.csv_dir = source + 4;
    } else if (strcmp(source, "mysql") == 0) {
        int rc = mysql_settings(env_file, lg.quiet, &set, &mcfg);
        if (rc != 0) {
            settings_free(&set);
            return rc;
        }
        o.mysql = &mcfg;
    } else {
        return usage_error("--source: expected mysql or csv:DIR, got \"%s\"", source);
    }
    ofi_ctx ctx;
    setup_ctx(&ctx, &lg, (int)threads, chunk_rows);
    if (o.mysql) {
        /* Default: a connection per two threads (up to 8), for the tables big enough: the
         * fetch threads and the server share the cores with the parsers (bench/mysql.sh:
         * on 2 cores a second connection reads the timeline 1.25x faster, but the whole
         * run does not gain). */
        const int half = ctx.n_threads / 2;
        mcfg.partitions = partitions ? (int)partitions : half < 1 ? 1 : half > 8 ? 8 : half;
        mcfg.partitions_forced = partitions != 0;
    }
    /* The manifest records the command line: passwords never come through argv (only
     * through the settings files and the environment), so it holds no secret. */
    char cmdline[2048] = "ofi";
    for (int i = 1; i < argc; i++) {
        size_t l = strlen(cmdline);
        snprintf(cmdline + l, sizeof cmdline - l, " %s", argv[i]);
    }
    o.command_line = cmdline;
    ofi_run_result res;
    ofi_status st = ofi_run(&ctx, &o, &res);
    settings_free(&set);
    if (lg.tty && !lg.quiet)
        fprintf(stderr, "\r\033[K");
    if (st != OFI_OK) {
        fprintf(stderr, "ofi: error: %s\n", ctx.err[0] ? ctx.err : "failed");
        return exit_code(st);
    }
    if (!lg.quiet && mode == 3)
        fprintf(stderr, "ofi: %llu samples over %llu cases in %.2f s; outputs in %s/variants/\n",
                (unsigned long long)o.samples, (unsigned long long)res.sum.cases, res.t.total,
                o.out_dir);
    else if (!lg.quiet && mode == 2)
        fprintf(stderr, "ofi: compared the variants of %s over %llu cases in %.2f s; outputs in %s/variants/\n",
                o.weights_path, (unsigned long long)res.sum.cases, res.t.total, o.out_dir);
    else if (!lg.quiet && extract_only)
        fprintf(stderr, "ofi: extracted the eight tables in %.2f s into %s/extracts/\n", res.t.total,
                o.out_dir);
    else if (!lg.quiet)
        fprintf(stderr,
                "ofi: scored %llu cases in %.2f s (read %.2f, join %.2f, score %.2f, sort %.2f, "
                "aggregate %.2f, write %.2f; peak %zu MiB); outputs in %s/\n",
                (unsigned long long)res.sum.cases, res.t.total, res.t.read, res.t.join,
                res.t.score, res.t.sort, res.t.aggregate, res.t.write, res.peak_rss_kb / 1024,
                o.out_dir);
    return 0;
}

static void handle(int sig, void (*handler)(int), void (*info)(int, siginfo_t *, void *));
static void say_stopped(int sig, const char *tail);

/* `ofi load` stops cooperatively once it has staging tables to drop (see ofi_stop and
 * ofi_mysql_load_dir): the handler then only raises the flag the load polls, so that the
 * load can end LOAD DATA and drop them over its connection, which a handler cannot do.
 * Before that (reading the files' headers, connecting, the schema) there is nothing to
 * undo and the signal ends the process at once, as the default action would. The first
 * signal is the one reported; each gets its default action back, so the same signal
 * again ends the process (the staging tables are then left for the next load to drop). */
static ofi_stop load_stop;

static void on_load_signal(int sig)
{
    signal(sig, SIG_DFL);
    if (!load_stop.armed) {
        say_stopped(sig, "; nothing was loaded");
        raise(sig); /* pending until this handler returns, then the default action */
        return;
    }
    if (load_stop.requested == 0)
        load_stop.requested = sig;
}

static int cmd_load(int argc, char **argv)
{
    const char *from = NULL, *env_file = NULL;
    cli_log lg = {0, 0};
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(load_help, stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--from"))) {
            from = v;
        } else if ((v = opt_value(argc, argv, &i, "--env"))) {
            env_file = v;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            lg.quiet = 1;
        } else {
            return usage_error("load: unknown option \"%s\"", argv[i]);
        }
    }
    if (from == NULL || *from == '\0')
        return usage_error("load: --from DIR is required%s", "");
    settings set = {{0}};
    ofi_mysql_cfg mcfg;
    int rc = mysql_settings(env_file, lg.quiet, &set, &mcfg);
    /* LOAD DATA's last answer and the RENAME TABLE swap may wait long on a big table or on
     * readers' locks, and are not resumed: no read timeout unless one is set. */
    if (mcfg.read_timeout == 0)
        mcfg.read_timeout = -1;
    if (rc == 0) {
        ofi_ctx ctx;
        setup_ctx(&ctx, &lg, 1, 0);
        ctx.stop = &load_stop;
        handle(SIGINT, on_load_signal, NULL);
        handle(SIGTERM, on_load_signal, NULL);
        handle(SIGHUP, on_load_signal, NULL);
        ofi_status st = ofi_mysql_load_dir(&ctx, &mcfg, from);
        const int sig = load_stop.requested;
        if (sig) { /* ends the process by that signal, as the default action would */
            settings_free(&set);
            /* A failure of its own that came first is told too. */
            if (st != OFI_OK && strncmp(ctx.err, OFI_STOP_MESSAGE, strlen(OFI_STOP_MESSAGE)) != 0)
                fprintf(stderr, "ofi: error: %s\n", ctx.err);
            say_stopped(sig, st == OFI_OK ? " after the loaded tables were swapped in"
                                          : "; the tables are as they were");
            signal(sig, SIG_DFL);
            raise(sig);
            return 128 + sig; /* not reached */
        }
        if (st != OFI_OK) {
            fprintf(stderr, "ofi: error: %s\n", ctx.err[0] ? ctx.err : "failed");
            rc = exit_code(st);
        }
    }
    settings_free(&set);
    return rc;
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

/* ---- signals -------------------------------------------------------------------------------
 * SIGINT, SIGTERM and SIGHUP (a scheduler's timeout, Ctrl-C, a closed terminal) end a run
 * without its temporary files: the handler removes them, says so and ends the process by
 * the same signal. While files are being renamed into place it only notes the signal, and
 * main handles it once the command has returned (outside a handler the raise ends the
 * process at once). The three signals are blocked while the
 * handler runs in a thread; in another thread a second handler finds the removal under
 * way (ofi_outset_signal_cleanup returns 2) and leaves the ending to the first. */
static volatile sig_atomic_t signal_pending;

/* The concatenation of parts[0..n) and a line end on stderr, with write(2) only (for
 * signal handlers); each part cut to what fits. */
static void say_parts(const char *const *parts, int n)
{
    char msg[4352];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t pl = strlen(parts[i]);
        if (pl > sizeof msg - 1 - len)
            pl = sizeof msg - 1 - len;
        memcpy(msg + len, parts[i], pl);
        len += pl;
    }
    msg[len++] = '\n';
    const ssize_t w = write(STDERR_FILENO, msg, len);
    (void)w;
}

/* "ofi: stopped by signal N<tail>" on stderr. */
static void say_stopped(int sig, const char *tail)
{
    char num[4];
    int nd = 0;
    char d[4];
    for (int v = sig; v > 0 && nd < 3; v /= 10)
        d[nd++] = (char)('0' + v % 10);
    for (int i = 0; i < nd; i++)
        num[i] = d[nd - 1 - i];
    num[nd] = '\0';
    const char *parts[] = {"ofi: stopped by signal ", num, tail};
    say_parts(parts, 3);
}

static void on_signal(int sig)
{
    const int r = ofi_outset_signal_cleanup();
    if (r == 1) { /* renames under way: main acts when the command returns */
        signal_pending = sig;
        return;
    }
    if (r == 2) /* another thread's handler removes the files and ends the process */
        return;
    say_stopped(sig, ofi_outset_committed() ? " after the outputs were renamed into place"
                                             : "; temporary files removed");
    signal(sig, SIG_DFL);
    raise(sig); /* delivered once this handler returns: the process ends by sig */
}

/* SIGBUS: a page of a mapped input past its end, i.e. a CSV file that shrank while it
 * was read (rewritten in place by an export). The run cannot go on: the handler removes
 * the temporary files, names the file and ends the process as a read error (exit 2).
 * Any other SIGBUS (a fault of its own, or one sent by kill: si_code <= 0, no address)
 * removes the files and ends the process by SIGBUS, as the default action would. */
static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    const char *path = si->si_code > 0 ? ofi_csv_mapped_path(si->si_addr) : NULL;
    if (ofi_outset_signal_cleanup() == 2) /* another thread's handler ends the process */
        for (;;)
            pause();
    if (path == NULL) {
        if (si->si_code <= 0) /* sent, as a stopping signal is */
            say_stopped(sig, "; temporary files removed");
        signal(sig, SIG_DFL);
        raise(sig); /* pending while blocked here: ends the process once this returns */
        return;
    }
    const char *parts[] = {"ofi: error: ", path,
                           ": the file shrank while it was being read (rewritten during the "
                           "run?); temporary files removed; OFI_NO_MMAP=1 reads inputs that "
                           "may change"};
    say_parts(parts, 3);
    _exit(OFI_E_SOURCE);
}

/* Install handler for sig (sa_sigaction when info) unless sig is not at its default
 * action: an ignored one (nohup's SIGHUP, a background job's SIGINT) stays ignored. The
 * three stopping signals are blocked while any of these handlers runs. */
static void handle(int sig, void (*handler)(int), void (*info)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL)
        return;
    memset(&sa, 0, sizeof sa);
    if (info) {
        sa.sa_sigaction = info;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = handler;
    }
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaction(sig, &sa, NULL);
}

/* SIGINT, SIGTERM, SIGHUP and SIGBUS get their handlers. SIGXFSZ (a write past the
 * file-size limit, `ulimit -f`) is ignored instead, so that the write fails with EFBIG
 * and the run ends as for a full disk: exit 4 naming the file, temporary files removed. */
static void on_signals(void)
{
    struct sigaction xfsz;
    if (sigaction(SIGXFSZ, NULL, &xfsz) == 0 && xfsz.sa_handler == SIG_DFL)
        signal(SIGXFSZ, SIG_IGN);
    handle(SIGINT, on_signal, NULL);
    handle(SIGTERM, on_signal, NULL);
    handle(SIGHUP, on_signal, NULL);
    handle(SIGBUS, NULL, on_bus);
}

int main(int argc, char **argv)
{
    ofi_runtime_reexec(argv);
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
    /* The commands that write an output set: a signal removes its temporary files. */
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "extract") == 0 || strcmp(cmd, "variants") == 0 ||
        strcmp(cmd, "sensitivity") == 0 || strcmp(cmd, "gen") == 0)
        on_signals();
    if (strcmp(cmd, "run") == 0)
        rc = cmd_run(argc, argv, 0);
    else if (strcmp(cmd, "extract") == 0)
        rc = cmd_run(argc, argv, 1);
    else if (strcmp(cmd, "variants") == 0)
        rc = cmd_run(argc, argv, 2);
    else if (strcmp(cmd, "sensitivity") == 0)
        rc = cmd_run(argc, argv, 3);
    else if (strcmp(cmd, "gen") == 0)
        rc = cmd_gen(argc, argv);
    else if (strcmp(cmd, "load") == 0)
        rc = cmd_load(argc, argv);
    else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        rc = printf("ofi %s\n", OFI_VERSION) < 0;
    else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        rc = fputs(main_help, stdout) < 0;
    else
        return usage_error("unknown command \"%s\"", cmd);
    if (signal_pending) /* it came during the final renames, which have ended */
        on_signal(signal_pending);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ofi: error: cannot write to standard output\n");
        return 4;
    }
    return rc;
}
