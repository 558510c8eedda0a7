/* mysql.c - MySQL/MariaDB source over Connector/C: connect, stream tables, bulk-load CSV.
 *
 * Streaming: one SELECT per table through the binary protocol - an unbuffered prepared
 * statement (no mysql_stmt_store_result, no server cursor: rows come off the socket as they
 * are fetched, the client never holds the whole result). bench/mysql.sh measured it faster
 * than the text protocol (mysql_use_result) on the same rows. Integers and dates arrive in
 * binary and are written back as the text the text protocol would have sent (so parsing,
 * extracts and outputs are unchanged); DECIMAL and strings arrive as text. Each chunk's rows are
 * copied into a chunk arena (bytes + ofi_field entries), so the loader can parse them in
 * parallel while the result set stays open. SQL NULL becomes an empty field, which the
 * loader reads as NULL like an empty CSV field.
 *
 * Identifiers are never pasted raw: they come from the compiled-in schema and are quoted
 * with backticks (a backtick inside doubled); string literals go through
 * mysql_real_escape_string. The password goes to the connector only.
 */
#include "ofi/mysql.h"

#include "ofi/csv.h"
#include "ofi/date.h"
#include "ofi/outbuf.h"
#include "ofi/parse.h"

#include <mysql.h>

#include <pthread.h>

#include <errno.h>
#include <poll.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

struct ofi_mysql {
    MYSQL *conn;
    ofi_mysql_cfg cfg; /* borrowed strings: the caller's settings outlive the connection */
    char where[512];   /* "user@host:port/db", for messages */
    unsigned resumes;
    uint64_t rows_read;
    struct ofi_mysql **pool; /* the further connections of partitioned reads (owned) */
    int n_pool;
    int shared;              /* every connection reads the snapshot of the first */
};

/* One chunk of rows: field bytes in an arena, fields pointing into it. */
typedef struct chunk {
    char *arena;
    size_t cap_arena;
    ofi_field *fields;
    size_t cap_fields;
    size_t n_rows;
    int eor;           /* the last chunk of its key range */
    ofi_status st;     /* of the fetch that filled it */
    char err[1024];
} chunk;

/* How a column is bound and turned back into text. */
enum { BIND_INT, BIND_UINT, BIND_DATE, BIND_DATETIME, BIND_DOUBLE, BIND_TEXT };

/* A primary-key range [lo, hi] of a partitioned read. The first range has no lower bound
 * (and holds the NULL keys a key column without NOT NULL may have: ORDER BY puts them
 * first), the last no upper bound, so the ranges cover the table whatever its keys. */
typedef struct krange {
    int64_t lo, hi;
} krange;

#define RING_MAX 4

/* One connection's share of a table: the ranges index, index + n_readers, ... in turn, each
 * one SELECT. Its fetch thread fills a ring of chunks ahead of the loader: depth 2 for a
 * single stream (one chunk parsed, one filling), 4 for a partitioned one, so that a reader
 * fetches its next range while the loader is busy with the other readers' ranges. */
typedef struct reader {
    struct ofi_mysql_stream *s;
    ofi_mysql *m; /* its connection */
    int index;
    int range;    /* the range being read, or past the last one */
    MYSQL_STMT *stmt;
    MYSQL_BIND bind[OFI_MAX_COLS];
    int kind[OFI_MAX_COLS];
    unsigned decimals[OFI_MAX_COLS];
    int64_t iv[OFI_MAX_COLS];
    double dv[OFI_MAX_COLS];
    MYSQL_TIME tv[OFI_MAX_COLS];
    char *sv[OFI_MAX_COLS];
    unsigned long svcap[OFI_MAX_COLS];
    unsigned long len[OFI_MAX_COLS];
    my_bool isnull[OFI_MAX_COLS], trunc[OFI_MAX_COLS];
    char txt[OFI_MAX_COLS][48];
    char last_pk[32]; /* the last primary key read in the range ("" before the first row) */
    chunk c[RING_MAX];
    int depth;
    pthread_t thread;
    int started, stop, finished;
    uint64_t filled, taken; /* chunks filled by the thread, handed to the loader */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} reader;

/* A table being read: its ranges in key order, read by n_readers connections in turn. The
 * loader takes range 0's chunks, then range 1's, ...: the rows of one ORDER BY stream. */
struct ofi_mysql_stream {
    char table[64];
    char select[4096]; /* the SELECT without WHERE and ORDER BY */
    char pk[64];       /* the primary key column, quoted */
    int nf;
    krange *ranges;
    int n_ranges;
    reader *rd;
    int n_readers;
    int cur;           /* the range the loader is reading */
    size_t max_rows;
    ofi_log_fn log;
    void *log_user;
};

const char *ofi_mysql_where(const ofi_mysql *m)
{
    return m->where;
}

void ofi_mysql_describe(const ofi_mysql_cfg *cfg, char *out, size_t cap)
{
    if (cfg->socket && *cfg->socket && (!cfg->host || !*cfg->host))
        snprintf(out, cap, "mysql://%s@localhost/%s?socket=%s", cfg->user ? cfg->user : "",
                 cfg->database ? cfg->database : "", cfg->socket);
    else
        snprintf(out, cap, "mysql://%s@%s:%u/%s", cfg->user ? cfg->user : "",
                 cfg->host && *cfg->host ? cfg->host : "localhost", cfg->port ? cfg->port : 3306,
                 cfg->database ? cfg->database : "");
}

static ofi_status set_tls(ofi_ctx *ctx, MYSQL *c, const ofi_mysql_cfg *cfg)
{
    if (cfg->ssl_ca && *cfg->ssl_ca)
        mysql_options(c, MYSQL_OPT_SSL_CA, cfg->ssl_ca);
    if (cfg->ssl_mode == NULL || *cfg->ssl_mode == '\0' || strcasecmp(cfg->ssl_mode, "PREFERRED") == 0)
        return OFI_OK;
    my_bool yes = 1, no = 0;
    if (strcasecmp(cfg->ssl_mode, "DISABLED") == 0) {
        mysql_options(c, MYSQL_OPT_SSL_ENFORCE, &no);
        mysql_options(c, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
    } else if (strcasecmp(cfg->ssl_mode, "REQUIRED") == 0) {
        mysql_options(c, MYSQL_OPT_SSL_ENFORCE, &yes);
    } else if (strcasecmp(cfg->ssl_mode, "VERIFY_CA") == 0 ||
               strcasecmp(cfg->ssl_mode, "VERIFY_IDENTITY") == 0) {
        mysql_options(c, MYSQL_OPT_SSL_ENFORCE, &yes);
        mysql_options(c, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
    } else {
        return ofi_fail(ctx, OFI_E_USAGE,
                        "MYSQL_SSL_MODE: expected DISABLED, PREFERRED, REQUIRED, VERIFY_CA or "
                        "VERIFY_IDENTITY, found \"%s\"",
                        cfg->ssl_mode);
    }
    return OFI_OK;
}

static ofi_status query(ofi_ctx *ctx, ofi_mysql *m, const char *sql, const char *what);

/* Open m->conn with m->cfg. @return OFI_OK or an error naming the server. */
static ofi_status open_conn(ofi_ctx *ctx, ofi_mysql *m)
{
    const ofi_mysql_cfg *cfg = &m->cfg;
    m->conn = mysql_init(NULL);
    if (m->conn == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for a MySQL connection");
    if (cfg->read_option_files)
        mysql_options(m->conn, MYSQL_READ_DEFAULT_GROUP, "client");
    unsigned int local_infile = 1;
    mysql_options(m->conn, MYSQL_OPT_LOCAL_INFILE, &local_infile);
    const unsigned connect_s = cfg->connect_timeout == 0 ? 30u : (unsigned)cfg->connect_timeout;
    const unsigned io_s = cfg->read_timeout == 0 ? 600u : (unsigned)cfg->read_timeout;
    if (cfg->connect_timeout >= 0)
        mysql_options(m->conn, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
    if (cfg->read_timeout >= 0) {
        mysql_options(m->conn, MYSQL_OPT_READ_TIMEOUT, &io_s);
        mysql_options(m->conn, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
    }
    mysql_options(m->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    OFI_TRY(set_tls(ctx, m->conn, cfg));
    const char *host = cfg->host && *cfg->host ? cfg->host : NULL;
    const char *sock = cfg->socket && *cfg->socket ? cfg->socket : NULL;
    const double t0 = ofi_now();
    if (mysql_real_connect(m->conn, host, cfg->user, cfg->password, cfg->database, cfg->port, sock,
                           CLIENT_LOCAL_FILES) == NULL) {
        /* The connector's messages name user and host, never the password; its timeouts
         * read "Lost connection ... system error: 110" (no greeting) or "Can't connect
         * ... (110)" (no TCP answer): say which setting ran out. */
        const unsigned e = mysql_errno(m->conn);
        const int timed_out = cfg->connect_timeout >= 0 &&
                              (e == 2013 /* CR_SERVER_LOST */ || e == 2002 /* CR_CONNECTION_ERROR */ ||
                               e == 2003 /* CR_CONN_HOST_ERROR */) &&
                              ofi_now() - t0 >= (double)connect_s - 0.5;
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: cannot connect: %s%s", m->where,
                        mysql_error(m->conn),
                        timed_out ? " (no answer within MYSQL_CONNECT_TIMEOUT)" : "");
    }
    /* MYSQL_OPT_SSL_ENFORCE is not honoured by every connector (MariaDB Connector/C 3.3
     * connects in clear to a server without TLS): a mode requiring TLS checks the cipher
     * once connected, before any query (the handshake has happened by then). A Unix socket
     * is local, a secure transport as the servers count it: no TLS asked of it. */
    const char *mode = cfg->ssl_mode;
    const int local = m->conn->unix_socket != NULL && *m->conn->unix_socket != '\0';
    if (mode && !local &&
        (strcasecmp(mode, "REQUIRED") == 0 || strcasecmp(mode, "VERIFY_CA") == 0 ||
         strcasecmp(mode, "VERIFY_IDENTITY") == 0) &&
        mysql_get_ssl_cipher(m->conn) == NULL)
        return ofi_fail(ctx, OFI_E_SOURCE,
                        "%s: cannot connect: MYSQL_SSL_MODE=%s, but the connection is not "
                        "encrypted (the server offers no TLS)",
                        m->where, mode);
    return OFI_OK;
}

ofi_status ofi_mysql_connect(ofi_ctx *ctx, const ofi_mysql_cfg *cfg, ofi_mysql **out)
{
    *out = NULL;
    ofi_mysql *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    m->cfg = *cfg;
    m->shared = 1;
    ofi_mysql_describe(cfg, m->where, sizeof m->where);
    ofi_status st = open_conn(ctx, m);
    if (st == OFI_OK) { /* what the connector resolved (option files included) */
        const MYSQL *c = m->conn;
        const ofi_mysql_cfg eff = {.host = c->unix_socket && *c->unix_socket ? NULL : c->host,
                                   .port = c->port,
                                   .user = c->user,
                                   .database = c->db,
                                   .socket = c->unix_socket};
        ofi_mysql_describe(&eff, m->where, sizeof m->where);
    }
    if (st != OFI_OK) {
        ofi_mysql_close(m);
        return st;
    }
    *out = m;
    return OFI_OK;
}

unsigned ofi_mysql_resumes(const ofi_mysql *m)
{
    unsigned n = m->resumes;
    for (int j = 0; j < m->n_pool; j++)
        n += m->pool[j]->resumes;
    return n;
}

int ofi_mysql_consistent(const ofi_mysql *m)
{
    return m->shared && ofi_mysql_resumes(m) == 0;
}

int ofi_mysql_connections(const ofi_mysql *m)
{
    return 1 + m->n_pool;
}

/* Sessions that stream: a reader whose ring is full leaves the server waiting on the
 * socket while the loader works on the other readers' ranges; do not let it time out. */
static void stream_session(ofi_mysql *m)
{
    static const char sql[] = "SET SESSION net_write_timeout = 3600";
    mysql_real_query(m->conn, sql, sizeof sql - 1);
}

ofi_status ofi_mysql_snapshot(ofi_ctx *ctx, ofi_mysql *m)
{
    const int want = m->cfg.partitions > 1 ? m->cfg.partitions : 1;
    if (want > 1) {
        m->pool = calloc((size_t)want - 1, sizeof *m->pool);
        if (m->pool == NULL)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        for (int j = 0; j + 1 < want; j++) {
            ofi_ctx probe;
            ofi_ctx_init(&probe);
            ofi_mysql *w = NULL;
            if (ofi_mysql_connect(&probe, &m->cfg, &w) != OFI_OK) {
                ofi_log(ctx, OFI_LOG_WARN, "partitioned reads: only %d of %d connections (%s)",
                        1 + j, want, probe.err);
                break;
            }
            m->pool[m->n_pool++] = w;
        }
    }
    stream_session(m);
    int locked = 0;
    if (m->n_pool > 0) {
        /* One snapshot for every connection, as mydumper takes it: hold the global read
         * lock (the RELOAD privilege) while each connection starts its transaction. A
         * short lock wait: a long-running write must not stall the batch, nor the batch
         * the server. */
        ofi_ctx probe;
        ofi_ctx_init(&probe);
        query(&probe, m, "SET SESSION lock_wait_timeout = 30", "lock wait");
        locked = query(&probe, m, "FLUSH TABLES WITH READ LOCK", "global read lock") == OFI_OK;
        if (!locked)
            ofi_log(ctx, OFI_LOG_WARN,
                    "%s: no global read lock (%s): the %d connections read separate snapshots",
                    m->where, mysql_error(m->conn), 1 + m->n_pool);
    }
    ofi_status st = OFI_OK;
    static const char begin[] = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    for (int j = -1; j < m->n_pool && st == OFI_OK; j++) {
        ofi_mysql *c = j < 0 ? m : m->pool[j];
        if (j >= 0)
            stream_session(c);
        st = query(ctx, c, begin, "snapshot");
    }
    if (locked) {
        ofi_ctx probe;
        ofi_ctx_init(&probe);
        if (query(&probe, m, "UNLOCK TABLES", "unlock") != OFI_OK && st == OFI_OK)
            st = ofi_fail(ctx, OFI_E_SOURCE, "%s", probe.err);
    }
    m->shared = m->n_pool == 0 || locked;
    return st;
}

void ofi_mysql_close(ofi_mysql *m)
{
    if (m == NULL)
        return;
    for (int j = 0; j < m->n_pool; j++)
        ofi_mysql_close(m->pool[j]);
    free(m->pool);
    if (m->conn)
        mysql_close(m->conn);
    free(m);
}

/* Append `name` quoted as an identifier. */
static void quote_ident(char *buf, size_t cap, const char *name)
{
    size_t n = strlen(buf);
    if (n + 1 < cap)
        buf[n++] = '`';
    for (const char *p = name; *p && n + 3 < cap; p++) {
        buf[n++] = *p;
        if (*p == '`')
            buf[n++] = '`';
    }
    if (n + 1 < cap)
        buf[n++] = '`';
    buf[n] = '\0';
}

static ofi_status query(ofi_ctx *ctx, ofi_mysql *m, const char *sql, const char *what)
{
    if (mysql_real_query(m->conn, sql, strlen(sql)) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: %s: %s", m->where, what, mysql_error(m->conn));
    return OFI_OK;
}

/* Issue the reader's SELECT for its range (after the last key read when resuming) and start
 * reading. Keys are pasted as numbers: bounds are integers, and a resumed key is checked to
 * be one (the column is an integer key). */
static ofi_status start_select(ofi_ctx *ctx, reader *r)
{
    const ofi_mysql_stream *s = r->s;
    ofi_mysql *m = r->m;
    char sql[sizeof s->select + 6 * sizeof s->pk + sizeof r->last_pk + 128];
    char lo[sizeof s->pk + sizeof r->last_pk + 32] = "", hi[sizeof s->pk + 32] = "";
    const char *k = r->last_pk;
    const int first = r->range == 0, last = r->range == s->n_ranges - 1;
    if (*k) {
        for (const char *p = k; *p; p++)
            if (!((*p >= '0' && *p <= '9') || (p == k && *p == '-')))
                return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: cannot resume after key \"%s\"",
                                m->where, s->table, k);
        snprintf(lo, sizeof lo, "%s > %s", s->pk, k);
    } else if (!first) {
        snprintf(lo, sizeof lo, "%s >= %lld", s->pk, (long long)s->ranges[r->range].lo);
    }
    if (!last)
        snprintf(hi, sizeof hi, "%s <= %lld", s->pk, (long long)s->ranges[r->range].hi);
    if (*lo && *hi)
        snprintf(sql, sizeof sql, "%s WHERE %s AND %s ORDER BY %s", s->select, lo, hi, s->pk);
    else if (*lo)
        snprintf(sql, sizeof sql, "%s WHERE %s ORDER BY %s", s->select, lo, s->pk);
    else if (*hi)
        snprintf(sql, sizeof sql, "%s WHERE (%s IS NULL OR %s) ORDER BY %s", s->select, s->pk, hi,
                 s->pk);
    else
        snprintf(sql, sizeof sql, "%s ORDER BY %s", s->select, s->pk);
    r->stmt = mysql_stmt_init(m->conn);
    if (r->stmt == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "%s: table %s: out of memory", m->where, s->table);
    unsigned long cursor = CURSOR_TYPE_NO_CURSOR;
    if (mysql_stmt_prepare(r->stmt, sql, (unsigned long)strlen(sql)) != 0 ||
        mysql_stmt_attr_set(r->stmt, STMT_ATTR_CURSOR_TYPE, &cursor) != 0 ||
        mysql_stmt_execute(r->stmt) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: %s", m->where, s->table,
                        mysql_stmt_error(r->stmt));
    MYSQL_RES *meta = mysql_stmt_result_metadata(r->stmt);
    if (meta == NULL || (int)mysql_num_fields(meta) != s->nf) {
        if (meta)
            mysql_free_result(meta);
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: unexpected result columns", m->where,
                        s->table);
    }
    const MYSQL_FIELD *fd = mysql_fetch_fields(meta);
    memset(r->bind, 0, sizeof r->bind);
    for (int c = 0; c < s->nf; c++) {
        MYSQL_BIND *b = &r->bind[c];
        b->length = &r->len[c];
        b->is_null = &r->isnull[c];
        b->error = &r->trunc[c];
        r->decimals[c] = fd[c].decimals;
        switch (fd[c].type) {
        case MYSQL_TYPE_TINY:
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_INT24:
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_LONGLONG:
        case MYSQL_TYPE_YEAR:
            r->kind[c] = fd[c].flags & UNSIGNED_FLAG ? BIND_UINT : BIND_INT;
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->is_unsigned = r->kind[c] == BIND_UINT;
            b->buffer = &r->iv[c];
            break;
        case MYSQL_TYPE_DATE:
            r->kind[c] = BIND_DATE;
            b->buffer_type = MYSQL_TYPE_DATE;
            b->buffer = &r->tv[c];
            break;
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP:
            r->kind[c] = BIND_DATETIME;
            b->buffer_type = MYSQL_TYPE_DATETIME;
            b->buffer = &r->tv[c];
            break;
        case MYSQL_TYPE_FLOAT:
        case MYSQL_TYPE_DOUBLE:
            r->kind[c] = BIND_DOUBLE;
            b->buffer_type = MYSQL_TYPE_DOUBLE;
            b->buffer = &r->dv[c];
            break;
        default:
            r->kind[c] = BIND_TEXT;
            if (r->sv[c] == NULL) {
                r->svcap[c] = 256;
                r->sv[c] = malloc(r->svcap[c]);
                if (r->sv[c] == NULL) {
                    mysql_free_result(meta);
                    return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
                }
            }
            b->buffer_type = MYSQL_TYPE_STRING;
            b->buffer = r->sv[c];
            b->buffer_length = r->svcap[c];
            break;
        }
    }
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(r->stmt, r->bind) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: %s", m->where, s->table,
                        mysql_stmt_error(r->stmt));
    return OFI_OK;
}

/* Digits of v into p (at most 20 + sign). @return the length. */
static size_t fmt_i64(char *p, int64_t v, int is_unsigned)
{
    char tmp[24], *e = tmp + sizeof tmp, *q = e;
    uint64_t a = is_unsigned ? (uint64_t)v : v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--q = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    if (!is_unsigned && v < 0)
        *--q = '-';
    memcpy(p, q, (size_t)(e - q));
    return (size_t)(e - q);
}

/* Zero-padded decimal digits of v, width w. */
static char *digits(char *p, unsigned long v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + w;
}

/* "YYYY-MM-DD", then " HH:MM:SS" and d fraction digits for a datetime (no printf: millions
 * of rows). @return the length. */
static size_t fmt_time(char *t, const MYSQL_TIME *tm, int with_time, unsigned d)
{
    char *p = digits(t, tm->year, 4);
    *p++ = '-';
    p = digits(p, tm->month, 2);
    *p++ = '-';
    p = digits(p, tm->day, 2);
    if (with_time) {
        *p++ = ' ';
        p = digits(p, tm->hour, 2);
        *p++ = ':';
        p = digits(p, tm->minute, 2);
        *p++ = ':';
        p = digits(p, tm->second, 2);
        if (d) {
            char frac[6];
            digits(frac, tm->second_part, 6);
            *p++ = '.';
            memcpy(p, frac, d);
            p += d;
        }
    }
    return (size_t)(p - t);
}

/* The next row as the text protocol would have sent it: vals[c] (NULL for SQL NULL) and
 * lens[c]. @return 1 for a row, 0 at the end, -1 on an error (message in the stmt). */
static int fetch_row_binary(reader *r, const char **vals, unsigned long *lens)
{
    const int got = mysql_stmt_fetch(r->stmt);
    if (got == MYSQL_NO_DATA)
        return 0;
    if (got == 1)
        return -1;
    for (int c = 0; c < r->s->nf; c++) {
        if (r->isnull[c]) {
            vals[c] = NULL;
            lens[c] = 0;
            continue;
        }
        char *t = r->txt[c];
        const MYSQL_TIME *tm = &r->tv[c];
        switch (r->kind[c]) {
        case BIND_INT:
        case BIND_UINT:
            lens[c] = fmt_i64(t, r->iv[c], r->kind[c] == BIND_UINT);
            vals[c] = t;
            break;
        case BIND_DATE:
            lens[c] = (unsigned long)fmt_time(t, tm, 0, 0);
            vals[c] = t;
            break;
        case BIND_DATETIME: /* exactly the column's fraction digits, as text would print */
            lens[c] = (unsigned long)fmt_time(t, tm, 1, r->decimals[c] <= 6 ? r->decimals[c] : 0);
            vals[c] = t;
            break;
        case BIND_DOUBLE:
            lens[c] = (unsigned long)snprintf(t, sizeof r->txt[c], "%.17g", r->dv[c]);
            vals[c] = t;
            break;
        default:
            if (r->trunc[c] || r->len[c] > r->svcap[c]) { /* longer than the buffer */
                unsigned long cap = r->svcap[c];
                while (cap < r->len[c] + 1)
                    cap *= 2;
                char *nb = realloc(r->sv[c], cap);
                if (nb == NULL)
                    return -1;
                r->sv[c] = nb;
                r->svcap[c] = cap;
                r->bind[c].buffer = nb;
                r->bind[c].buffer_length = cap;
                if (mysql_stmt_fetch_column(r->stmt, &r->bind[c], (unsigned)c, 0) != 0)
                    return -1;
                mysql_stmt_bind_result(r->stmt, r->bind);
            }
            vals[c] = r->sv[c];
            lens[c] = r->len[c];
            break;
        }
    }
    return 1;
}


/* Kill our own connection from a second one, shut the whole server down, or run cfg's
 * fault_sql: the fault injection of cfg. */
static void inject_fault(ofi_mysql *m, int what)
{
    ofi_ctx quiet;
    ofi_ctx_init(&quiet);
    ofi_mysql killer = {0};
    killer.cfg = m->cfg;
    snprintf(killer.where, sizeof killer.where, "%s", m->where);
    if (open_conn(&quiet, &killer) == OFI_OK) {
        char sql[64];
        if (what == 1)
            snprintf(sql, sizeof sql, "SHUTDOWN");
        else
            snprintf(sql, sizeof sql, "KILL CONNECTION %lu", mysql_thread_id(m->conn));
        const char *q = what == 2 ? m->cfg.fault_sql : sql;
        if (mysql_real_query(killer.conn, q, strlen(q)) == 0 && what == 2)
            mysql_commit(killer.conn);
    }
    if (killer.conn)
        mysql_close(killer.conn);
}

static int retries_allowed(const ofi_mysql *m)
{
    return m->cfg.max_retries == 0 ? 5 : m->cfg.max_retries < 0 ? 0 : m->cfg.max_retries;
}

/* Wait before reconnection `attempt` (0.2 s, 0.4, 0.8, then 1.6 s) and reopen m. */
static ofi_status reconnect(ofi_ctx *ctx, ofi_mysql *m, int attempt)
{
    struct timespec ts = {0, 200000000L << (attempt < 4 ? attempt - 1 : 3)};
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec = ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
    }
    nanosleep(&ts, NULL);
    if (m->conn)
        mysql_close(m->conn);
    m->conn = NULL;
    OFI_TRY(open_conn(ctx, m));
    stream_session(m);
    return OFI_OK;
}

/* Is e (mysql_errno) a lost connection rather than a bad statement? */
static int conn_lost(unsigned e)
{
    return e == 2006 /* CR_SERVER_GONE_ERROR */ || e == 2013 /* CR_SERVER_LOST */ ||
           e == 1927 /* ER_CONNECTION_KILLED */ || e == 1053 /* ER_SERVER_SHUTDOWN */ ||
           e == 2055 /* CR_SERVER_LOST_EXTENDED */;
}

/* query, on a connection that may have been lost since its last statement: reopened as a
 * lost read is (a new snapshot, counted as a resume). */
static ofi_status query_retry(ofi_ctx *ctx, ofi_mysql *m, const char *sql, const char *what)
{
    ofi_ctx probe;
    ofi_ctx_init(&probe);
    if (query(&probe, m, sql, what) == OFI_OK)
        return OFI_OK;
    if (!conn_lost(mysql_errno(m->conn)))
        return ofi_fail(ctx, probe.status, "%s", probe.err);
    const int max = retries_allowed(m);
    for (int attempt = 1; attempt <= max; attempt++) {
        ofi_ctx_init(&probe);
        if (reconnect(&probe, m, attempt) == OFI_OK && query(&probe, m, sql, what) == OFI_OK) {
            m->resumes++;
            ofi_log(ctx, OFI_LOG_WARN,
                    "%s: table %s: connection lost before its read; reconnected (a new snapshot)",
                    m->where, what);
            return OFI_OK;
        }
    }
    return ofi_fail(ctx, OFI_E_SOURCE, "%s: %s: connection lost, %d reconnection%s failed: %s",
                    m->where, what, max, max == 1 ? "" : "s", probe.err);
}

/* The connection broke mid-stream: reconnect with backoff and resume the range after its
 * last key. @return OFI_OK when reading can go on. */
static ofi_status resume(ofi_ctx *ctx, reader *r, const char *why)
{
    ofi_mysql *m = r->m;
    const ofi_mysql_stream *s = r->s;
    const int max = retries_allowed(m);
    char reason[sizeof ctx->err];
    snprintf(reason, sizeof reason, "%s", why);
    if (r->stmt) {
        mysql_stmt_close(r->stmt);
        r->stmt = NULL;
    }
    for (int attempt = 1; attempt <= max; attempt++) {
        ofi_ctx probe;
        ofi_ctx_init(&probe);
        if (reconnect(&probe, m, attempt) != OFI_OK) {
            snprintf(reason, sizeof reason, "%s", probe.err);
            continue;
        }
        if (r->stmt) {
            mysql_stmt_close(r->stmt);
            r->stmt = NULL;
        }
        if (start_select(&probe, r) == OFI_OK) {
            m->resumes++;
            ofi_log(ctx, OFI_LOG_WARN, "%s: table %s: connection lost (%s); resumed after key %s",
                    m->where, s->table, why, *r->last_pk ? r->last_pk : "(none)");
            return OFI_OK;
        }
        snprintf(reason, sizeof reason, "%s", probe.err);
    }
    return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: connection lost, %d reconnection%s failed: %s",
                    m->where, s->table, max, max == 1 ? "" : "s", reason);
}

/* Start the reader's SELECT; a connection found dead (killed between two statements, with
 * the end of the last result already received) is reopened as a lost read is. */
static ofi_status select_or_resume(ofi_ctx *ctx, reader *r)
{
    ofi_ctx probe;
    ofi_ctx_init(&probe);
    if (start_select(&probe, r) == OFI_OK)
        return OFI_OK;
    const unsigned e = r->stmt ? mysql_stmt_errno(r->stmt) : mysql_errno(r->m->conn);
    if (!conn_lost(e))
        return ofi_fail(ctx, probe.status, "%s", probe.err);
    return resume(ctx, r, probe.err);
}

/* The first row of a query's first two columns into a and b, "" for NULL, no row or an
 * error (the caller falls back). */
static void query_row(ofi_mysql *m, const char *sql, char *a, char *b, size_t cap)
{
    *a = *b = '\0';
    if (mysql_real_query(m->conn, sql, strlen(sql)) != 0)
        return;
    MYSQL_RES *res = mysql_store_result(m->conn);
    if (res == NULL)
        return;
    MYSQL_ROW row = mysql_fetch_row(res);
    const unsigned nc = mysql_num_fields(res);
    if (row && row[0])
        snprintf(a, cap, "%s", row[0]);
    if (row && nc > 1 && row[1])
        snprintf(b, cap, "%s", row[1]);
    mysql_free_result(res);
}

static int parse_i64(const char *p, int64_t *v)
{
    if (*p == '\0')
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(p, &end, 10);
    if (errno != 0 || *end != '\0')
        return 0;
    *v = x;
    return 1;
}

/* Split s by its integer key for a read over n connections: ranges of about `per` rows
 * (from the server's row estimate) over [MIN, MAX] of the key, a multiple of n of them
 * (at least n when forced). Leaves one range (the whole table, no bounds) when the table
 * is small or the keys do not allow it. Statements run on m, inside the snapshot. */
static ofi_status plan_ranges(ofi_ctx *ctx, ofi_mysql *m, ofi_mysql_stream *s,
                              const char *name, size_t per, int n, int force)
{
    s->n_ranges = 1;
    if (n < 2)
        return OFI_OK;
    char sql[4096], val[64], vmax[64], esc[2 * 64 + 1], qt[160] = "";
    mysql_real_escape_string(m->conn, esc, name, (unsigned long)strlen(name));
    quote_ident(qt, sizeof qt, name);
    snprintf(sql, sizeof sql,
             "SELECT table_rows FROM information_schema.tables "
             "WHERE table_schema = DATABASE() AND table_name = '%s'",
             esc);
    query_row(m, sql, val, vmax, sizeof val);
    const double est = strtod(val, NULL);
    int64_t nr = (int64_t)(est / (double)per + 0.999);
    if (nr < n && !force)
        return OFI_OK;
    if (nr < n)
        nr = n;
    if (nr > 1 << 20)
        nr = 1 << 20;
    nr = (nr + n - 1) / n * n;
    int64_t lo, hi;
    snprintf(sql, sizeof sql, "SELECT MIN(%s), MAX(%s) FROM %s", s->pk, s->pk, qt);
    query_row(m, sql, val, vmax, sizeof val);
    if (!parse_i64(val, &lo) || !parse_i64(vmax, &hi) || hi < lo)
        return OFI_OK; /* not an integer key, or an empty table */
    const unsigned __int128 span = (unsigned __int128)((__int128)hi - (__int128)lo) + 1;
    if ((unsigned __int128)nr > span)
        nr = (int64_t)span;
    if (nr < 2)
        return OFI_OK;
    s->ranges = malloc((size_t)nr * sizeof *s->ranges);
    if (s->ranges == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    for (int64_t i = 0; i < nr; i++) {
        s->ranges[i].lo = (int64_t)((__int128)lo + (__int128)(span * (unsigned __int128)i / (unsigned __int128)nr));
        s->ranges[i].hi = (int64_t)((__int128)lo + (__int128)(span * (unsigned __int128)(i + 1) / (unsigned __int128)nr) - 1);
    }
    s->n_ranges = (int)nr;
    return OFI_OK;
}

static void *fetch_thread(void *arg);

ofi_status ofi_mysql_open_table(ofi_ctx *ctx, ofi_mysql *m, const ofi_tablespec *spec,
                                size_t chunk_rows, int may_split, int present[OFI_MAX_COLS],
                                ofi_mysql_stream **out)
{
    *out = NULL;
    /* Which section-1 columns does the server's table have? */
    char esc[2 * 64 + 1];
    mysql_real_escape_string(m->conn, esc, spec->name, (unsigned long)strlen(spec->name));
    char sql[4096];
    snprintf(sql, sizeof sql,
             "SELECT LOWER(column_name), LOWER(data_type) FROM information_schema.columns "
             "WHERE table_schema = DATABASE() AND table_name = '%s'",
             esc);
    OFI_TRY(query_retry(ctx, m, sql, spec->name));
    MYSQL_RES *cols = mysql_store_result(m->conn); /* a handful of rows */
    if (cols == NULL)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: %s", m->where, spec->name,
                        mysql_error(m->conn));
    int found = 0;
    /* The server's name of each column: its own, else its alias (calendar's `date`, as in
     * a CSV file: only when the table has no calendar_date). */
    const char *name[OFI_MAX_COLS];
    int approx[OFI_MAX_COLS]; /* a FLOAT or DOUBLE column (see the SELECT below) */
    int bits[OFI_MAX_COLS];   /* a BIT column (the same) */
    int integer[OFI_MAX_COLS]; /* an integer column (the key's ranges need one) */
    for (int c = 0; c < spec->n_cols; c++) {
        present[c] = 0;
        name[c] = NULL;
        approx[c] = bits[c] = integer[c] = 0;
    }
    static const char *const int_types[] = {"tinyint", "smallint", "mediumint", "int", "integer",
                                            "bigint"};
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(cols)) != NULL) {
        found = 1;
        const int is_approx = row[1] && (strcmp(row[1], "float") == 0 || strcmp(row[1], "double") == 0 ||
                                         strcmp(row[1], "real") == 0);
        const int is_bit = row[1] && strcmp(row[1], "bit") == 0;
        int is_int = 0;
        for (size_t k = 0; row[1] && k < sizeof int_types / sizeof int_types[0]; k++)
            is_int |= strcmp(row[1], int_types[k]) == 0;
        for (int c = 0; c < spec->n_cols; c++) {
            const ofi_colspec *cs = &spec->cols[c];
            const int own = row[0] && strcasecmp(row[0], cs->name) == 0;
            if (own || (row[0] && cs->alias && strcasecmp(row[0], cs->alias) == 0 && name[c] == NULL)) {
                name[c] = own ? cs->name : cs->alias;
                approx[c] = is_approx;
                bits[c] = is_bit;
                integer[c] = is_int;
            }
        }
    }
    mysql_free_result(cols);
    if (!found)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s does not exist", m->where, spec->name);
    if (name[0] == NULL)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: missing primary key column %s", m->where,
                        spec->name, spec->cols[0].name);
    /* A database holds the whole schema: a column it lacks is an error (issue 3), where a
     * CSV file's missing column reads as NULL (SPEC 7). */
    for (int c = 1; c < spec->n_cols; c++)
        if (name[c] == NULL)
            return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: missing column %s", m->where,
                            spec->name, spec->cols[c].name);
    /* SELECT the columns in section-1 order, by primary key. A FLOAT or DOUBLE column
     * (a schema other than SPEC's DECIMALs) comes as the server's text of it, the text
     * the text protocol sends and a CSV export holds: in binary a FLOAT 1.1 is
     * 1.10000002384185791, which would score otherwise than the "1.1" of that export.
     * (CAST(... AS CHAR) gave the text protocol's very bytes for 20 000 random FLOAT and
     * DOUBLE values on MariaDB 10.11.) */
    strcpy(sql, "SELECT ");
    int nf = 0;
    for (int c = 0; c < spec->n_cols; c++) {
        present[c] = 1;
        if (nf++)
            strcat(sql, ", ");
        /* An id, INT or flag held as a FLOAT or DOUBLE (pandas stores an integer column
         * with NULLs as DOUBLE) comes in binary and prints as the integer it holds: the
         * server's text of a double from 1e15 up is in exponent form, which no integer
         * column reads. */
        /* A BIT column (a flag as BIT(1)) comes as raw bytes, 0x01 for 1, in either
         * protocol: it is selected as the unsigned integer it holds. */
        const ofi_ctype ty = spec->cols[c].type;
        const int cast = approx[c] && ty != OFI_COL_ID && ty != OFI_COL_INT && ty != OFI_COL_FLAG;
        if (cast || bits[c])
            strcat(sql, "CAST(");
        quote_ident(sql, sizeof sql, name[c]);
        if (cast)
            strcat(sql, " AS CHAR)");
        else if (bits[c])
            strcat(sql, " AS UNSIGNED)");
    }
    strcat(sql, " FROM ");
    quote_ident(sql, sizeof sql, spec->name);
    ofi_mysql_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    s->nf = nf;
    s->max_rows = chunk_rows ? chunk_rows : 65536;
    s->log = ctx->log;
    s->log_user = ctx->log_user;
    snprintf(s->table, sizeof s->table, "%s", spec->name);
    snprintf(s->select, sizeof s->select, "%s", sql);
    quote_ident(s->pk, sizeof s->pk, spec->cols[0].name);
    const int n_conn = may_split ? 1 + m->n_pool : 1;
    const int depth = n_conn > 1 ? RING_MAX : 2;
    /* Key ranges need an integer key: a text key's ranges, numeric, would not follow its
     * ORDER BY (text order), and the rows' order would depend on the connections. */
    ofi_status st = plan_ranges(ctx, m, s, spec->name, (size_t)(depth - 1) * s->max_rows,
                                integer[0] ? n_conn : 1, m->cfg.partitions_forced);
    if (st != OFI_OK)
        goto fail;
    s->n_readers = s->n_ranges < n_conn ? s->n_ranges : n_conn;
    s->rd = calloc((size_t)s->n_readers, sizeof *s->rd);
    if (s->rd == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        goto fail;
    }
    for (int j = 0; j < s->n_readers; j++) {
        reader *r = &s->rd[j];
        r->s = s;
        r->m = j == 0 ? m : m->pool[j - 1];
        r->index = j;
        r->range = j;
        r->depth = s->n_readers > 1 ? RING_MAX : 2;
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        /* The first SELECT here, so that its errors (a privilege, say) come from open. */
        st = select_or_resume(ctx, r);
        if (st != OFI_OK)
            goto fail;
    }
    for (int j = 0; j < s->n_readers; j++) {
        reader *r = &s->rd[j];
        if (pthread_create(&r->thread, NULL, fetch_thread, r) != 0) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "%s: table %s: cannot start a fetch thread",
                          m->where, s->table);
            goto fail;
        }
        r->started = 1;
    }
    if (s->n_ranges > 1)
        ofi_log(ctx, OFI_LOG_INFO, "%s: table %s: %d key ranges over %d connections", m->where,
                s->table, s->n_ranges, s->n_readers);
    *out = s;
    return OFI_OK;
fail:
    ofi_mysql_stream_close(s);
    return st;
}

/* Fill cb with up to max_rows rows of the reader's range (in its fetch thread); cb->eor
 * when the range ended. */
static ofi_status fetch_chunk(ofi_ctx *ctx, reader *r, chunk *cb, size_t max_rows)
{
    const int nf = r->s->nf;
    size_t used = 0, n = 0;
    /* Offsets first (the arena may move while it grows), pointers at the end. */
    while (n < max_rows) {
        ofi_mysql *m = r->m;
        if (m->cfg.fault_kill_after_rows && m->rows_read == m->cfg.fault_kill_after_rows) {
            m->rows_read++; /* once */
            inject_fault(m, 0);
        }
        if (m->cfg.fault_shutdown_after_rows && m->rows_read == m->cfg.fault_shutdown_after_rows) {
            m->rows_read++;
            inject_fault(m, 1);
        }
        if (m->cfg.fault_sql && m->cfg.fault_sql_after_rows &&
            m->rows_read == m->cfg.fault_sql_after_rows) {
            m->rows_read++;
            inject_fault(m, 2);
        }
        const char *row[OFI_MAX_COLS];
        unsigned long len[OFI_MAX_COLS];
        const int got = fetch_row_binary(r, row, len);
        if (got == 0) {
            cb->eor = 1; /* the end of the range */
            break;
        }
        if (got < 0) {
            char why[256];
            const char *e = mysql_stmt_error(r->stmt);
            snprintf(why, sizeof why, "%s", *e ? e : *mysql_error(m->conn) ? mysql_error(m->conn)
                                                                             : "fetch failed");
            OFI_TRY(resume(ctx, r, why));
            continue;
        }
        m->rows_read++;
        size_t row_bytes = 0;
        for (int c = 0; c < nf; c++)
            row_bytes += row[c] ? len[c] : 0;
        if (used + row_bytes > cb->cap_arena) {
            size_t cap = cb->cap_arena ? cb->cap_arena * 2 : (size_t)1 << 20;
            while (cap < used + row_bytes)
                cap *= 2;
            char *a = realloc(cb->arena, cap);
            if (a == NULL)
                return ofi_fail(ctx, OFI_E_NOMEM, "out of memory reading %s", r->s->table);
            cb->arena = a;
            cb->cap_arena = cap;
        }
        if ((n + 1) * (size_t)nf > cb->cap_fields) {
            size_t cap = cb->cap_fields ? cb->cap_fields * 2 : 4096;
            while (cap < (n + 1) * (size_t)nf)
                cap *= 2;
            ofi_field *f = realloc(cb->fields, cap * sizeof *f);
            if (f == NULL)
                return ofi_fail(ctx, OFI_E_NOMEM, "out of memory reading %s", r->s->table);
            cb->fields = f;
            cb->cap_fields = cap;
        }
        for (int c = 0; c < nf; c++) {
            ofi_field *f = &cb->fields[n * (size_t)nf + (size_t)c];
            const size_t l = row[c] ? len[c] : 0;
            memcpy(cb->arena + used, row[c] ? row[c] : "", l);
            f->p = (const char *)(uintptr_t)used; /* an offset until the chunk is complete */
            f->len = (uint32_t)l;
            f->quoted = 0;
            f->escaped = 0;
            used += l;
        }
        /* Remember the key: the first column. */
        const size_t kl = row[0] && len[0] < sizeof r->last_pk ? len[0] : 0;
        memcpy(r->last_pk, row[0] ? row[0] : "", kl);
        r->last_pk[kl] = '\0';
        n++;
    }
    for (size_t i = 0; i < n * (size_t)nf; i++)
        cb->fields[i].p = cb->arena + (uintptr_t)cb->fields[i].p;
    cb->n_rows = n;
    return OFI_OK;
}

/* A reader's thread: its ranges in turn, chunk after chunk, at most depth - 1 chunks ahead
 * of the loader (chunk k reuses the buffer of chunk k - depth, free once the loader has
 * asked for chunk k - depth + 1). */
static void *fetch_thread(void *arg)
{
    reader *r = arg;
    const ofi_mysql_stream *s = r->s;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->stop && r->filled + 2 > r->taken + (uint64_t)r->depth)
            pthread_cond_wait(&r->cv, &r->mu);
        const int stop = r->stop;
        const uint64_t k = r->filled;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        chunk *cb = &r->c[k % (uint64_t)r->depth];
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ctx.log = s->log;
        ctx.log_user = s->log_user;
        cb->n_rows = 0;
        cb->eor = 0;
        cb->st = r->stmt ? OFI_OK : select_or_resume(&ctx, r);
        if (cb->st == OFI_OK)
            cb->st = fetch_chunk(&ctx, r, cb, s->max_rows);
        memcpy(cb->err, ctx.err, sizeof cb->err);
        if (cb->st == OFI_OK && cb->eor) { /* on to this reader's next range */
            mysql_stmt_close(r->stmt);
            r->stmt = NULL;
            r->last_pk[0] = '\0';
            r->range += s->n_readers;
        }
        pthread_mutex_lock(&r->mu);
        r->filled++;
        const int last = cb->st != OFI_OK || r->range >= s->n_ranges;
        if (last)
            r->finished = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (last)
            break;
    }
    return NULL;
}

ofi_status ofi_mysql_next(ofi_ctx *ctx, ofi_mysql_stream *s, const ofi_field **fields,
                          size_t *n_rows, int *n_fields)
{
    *n_fields = s->nf;
    *n_rows = 0;
    *fields = NULL;
    while (s->cur < s->n_ranges) {
        reader *r = &s->rd[s->cur % s->n_readers];
        pthread_mutex_lock(&r->mu);
        const uint64_t k = r->taken;
        while (r->filled <= k)
            pthread_cond_wait(&r->cv, &r->mu); /* the thread always fills the chunk we wait for */
        r->taken = k + 1; /* releases the buffer of the chunk before */
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        const chunk *cb = &r->c[k % (uint64_t)r->depth];
        if (cb->st != OFI_OK)
            return ofi_fail(ctx, cb->st, "%s", cb->err);
        if (cb->eor)
            s->cur++;
        if (cb->n_rows) {
            *fields = cb->fields;
            *n_rows = cb->n_rows;
            return OFI_OK;
        }
    }
    return OFI_OK;
}

void ofi_mysql_stream_close(ofi_mysql_stream *s)
{
    if (s == NULL)
        return;
    for (int j = 0; s->rd && j < s->n_readers; j++) {
        reader *r = &s->rd[j];
        if (r->started) {
            pthread_mutex_lock(&r->mu);
            r->stop = 1;
            pthread_cond_broadcast(&r->cv);
            pthread_mutex_unlock(&r->mu);
            pthread_join(r->thread, NULL);
        }
        if (r->stmt)
            mysql_stmt_close(r->stmt); /* drains what is left of the result */
        for (int c = 0; c < OFI_MAX_COLS; c++)
            free(r->sv[c]);
        for (int i = 0; i < RING_MAX; i++) {
            free(r->c[i].arena);
            free(r->c[i].fields);
        }
        if (r->s) {
            pthread_mutex_destroy(&r->mu);
            pthread_cond_destroy(&r->cv);
        }
    }
    free(s->rd);
    free(s->ranges);
    free(s);
}


/* ---- ofi load ------------------------------------------------------------------------------ */

/* Run every statement of the schema script (split at ';' ending a line). */
static ofi_status run_script(ofi_ctx *ctx, ofi_mysql *m, const char *script)
{
    const char *p = script;
    char stmt[8192];
    while (*p) {
        size_t n = 0;
        int in_comment = 0;
        for (; *p; p++) {
            if (!in_comment && p[0] == '-' && p[1] == '-')
                in_comment = 1;
            if (*p == '\n')
                in_comment = 0;
            if (in_comment)
                continue;
            if (*p == ';') {
                p++;
                break;
            }
            if (n + 1 < sizeof stmt)
                stmt[n++] = *p;
        }
        stmt[n] = '\0';
        size_t k = 0;
        while (stmt[k] == ' ' || stmt[k] == '\n' || stmt[k] == '\t' || stmt[k] == '\r')
            k++;
        if (stmt[k] == '\0')
            continue;
        OFI_TRY(query(ctx, m, stmt + k, "schema"));
    }
    return OFI_OK;
}

/* `ofi load` reads each CSV file with the engine's own reader and hands the server the
 * rows `ofi run --source csv:DIR` keeps, through a LOAD DATA LOCAL stream of its own
 * (mysql_set_local_infile_handler): records split by ofi_csv_split (BOM, CRLF, quotes,
 * blank lines as the run has them), typed values checked by the run's parsers and sent
 * in canonical form, NULL as \N. A record the run would reject (a field count off, a
 * value that does not parse, a NULL primary key) is not sent; a repeated id is skipped by
 * the server, which keeps the first (LOAD DATA LOCAL ignores duplicate keys), as the run
 * does. What was left out is counted and reported. */
typedef struct load_feed {
    ofi_ctx *ctx;
    ofi_csv_reader *r;
    const char *path;
    const ofi_tablespec *spec;
    const int *src;          /* field of each column, -1 when the file lacks it */
    const char *data;        /* the current run of records */
    size_t len, pos;
    uint64_t line;           /* line of the record at pos */
    ofi_outbuf out;          /* normalised rows, handed over from out_pos */
    size_t out_pos;
    char *scratch;           /* an unescaped field */
    size_t scratch_cap;
    int done;
    int failed;              /* the reader failed: ctx holds the error */
    uint64_t sent, unreadable, null_key;
} load_feed;

/* Append text as a LOAD DATA field: backslash escapes for the separators. */
static int feed_text(load_feed *f, const char *t, size_t n)
{
    if (!ofi_outbuf_room(&f->out, 2 * n))
        return 0;
    char *o = f->out.p + f->out.len;
    for (size_t k = 0; k < n; k++) {
        const char c = t[k];
        switch (c) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\0': *o++ = '\\'; *o++ = '0'; break;
        default: *o++ = c;
        }
    }
    f->out.len = (size_t)(o - f->out.p);
    return 1;
}

/* A record's fields as one normalised row. @return 1 sent, 0 left out, -1 no memory. */
static int feed_record(load_feed *f, const ofi_field *fd)
{
    const ofi_tablespec *spec = f->spec;
    const size_t mark = f->out.len;
    int any = 0;
    for (int c = 0; c < spec->n_cols; c++) {
        if (f->src[c] < 0)
            continue;
        const ofi_field *x = &fd[f->src[c]];
        const char *t = x->p;
        size_t n = x->len;
        if (x->escaped) {
            if (f->scratch_cap < n) {
                char *p = realloc(f->scratch, n);
                if (p == NULL)
                    return -1;
                f->scratch = p;
                f->scratch_cap = n;
            }
            n = ofi_csv_unescape(x, f->scratch);
            t = f->scratch;
        }
        if (!ofi_outbuf_room(&f->out, 64))
            return -1;
        if (any++)
            f->out.p[f->out.len++] = '\t';
        if (ofi_is_blank(t, n)) {
            if (c == 0) { /* a NULL primary key: the run rejects the row */
                f->out.len = mark;
                f->null_key++;
                return 0;
            }
            memcpy(f->out.p + f->out.len, "\\N", 2);
            f->out.len += 2;
            continue;
        }
        char *o = f->out.p + f->out.len;
        int pv = OFI_PV_OK;
        switch (spec->cols[c].type) {
        case OFI_COL_TEXT:
            if (!feed_text(f, t, n))
                return -1;
            continue;
        case OFI_COL_ID:
        case OFI_COL_INT:
        case OFI_COL_FLAG: {
            int64_t v;
            if ((pv = ofi_parse_int(t, n, &v)) == OFI_PV_OK)
                o = ofi_raw_i64(o, v);
            break;
        }
        case OFI_COL_MONEY: {
            int64_t v;
            if ((pv = ofi_parse_money(t, n, &v)) == OFI_PV_OK)
                o = ofi_raw_money(o, v);
            break;
        }
        case OFI_COL_DEC: {
            double v;
            if ((pv = ofi_parse_dec(t, n, &v)) == OFI_PV_OK) {
                /* The shortest of 15 or 17 digits that reads back as v: "1.1", not
                 * "1.1000000000000001", which a DECIMAL(4,2) would note as truncated. */
                int k = sprintf(o, "%.15g", v);
                if (strtod(o, NULL) != v)
                    k = sprintf(o, "%.17g", v);
                o += k;
            }
            break;
        }
        case OFI_COL_DATE: {
            int32_t d;
            if ((pv = ofi_parse_date(t, n, &d)) == OFI_PV_OK)
                o += ofi_format_date(d, o);
            break;
        }
        case OFI_COL_DATETIME: {
            int32_t d;
            uint64_t tod;
            if ((pv = ofi_parse_datetime(t, n, &d, &tod)) == OFI_PV_OK) {
                o += ofi_format_date(d, o);
                const uint64_t sec = tod / 1000000000u, us = tod % 1000000000u / 1000u;
                o += sprintf(o, " %02u:%02u:%02u.%06u", (unsigned)(sec / 3600),
                             (unsigned)(sec / 60 % 60), (unsigned)(sec % 60), (unsigned)us);
            }
            break;
        }
        default:
            pv = OFI_PV_BAD;
        }
        if (pv != OFI_PV_OK) { /* the run rejects the row */
            f->out.len = mark;
            f->unreadable++;
            return 0;
        }
        f->out.len = (size_t)(o - f->out.p);
    }
    if (!ofi_outbuf_room(&f->out, 1))
        return -1;
    f->out.p[f->out.len++] = '\n';
    f->sent++;
    return 1;
}

/* A statement of the load that takes table locks (DROP, CREATE ... LIKE, RENAME). The
 * session waits at most a second per try (lock_wait_timeout, set by the load), so that a
 * stop is seen while a reader's lock holds the swap back: a timed-out try is retried
 * until it goes through or a stop comes (then the stop is the failure). A reader of the
 * tables (`ofi run` in its snapshot) only delays the swap, as a single long wait would. */
static ofi_status load_ddl(ofi_ctx *ctx, ofi_mysql *m, const char *sql, const char *what)
{
    for (;;) {
        if (mysql_real_query(m->conn, sql, strlen(sql)) == 0)
            return OFI_OK;
        if (mysql_errno(m->conn) != 1205 /* ER_LOCK_WAIT_TIMEOUT */)
            return ofi_fail(ctx, OFI_E_SOURCE, "%s: %s: %s", m->where, what,
                            mysql_error(m->conn));
        if (ofi_stopped(ctx))
            return ctx->status;
    }
}

/* The plain secondary indexes of a staging table, as "DROP INDEX `a`, ..." and "ADD KEY
 * `a` (...), ..." in their order: SHOW CREATE TABLE's "  KEY" lines taken verbatim
 * (columns, prefixes, comments). Unique, full-text and spatial keys are not among them (a
 * unique key decides which repeated rows LOAD DATA skips). drop and add are "" when there
 * is none, or when they would not fit cap (the indexes then stay through the load). */
static ofi_status plain_indexes(ofi_ctx *ctx, ofi_mysql *m, const char *stage, char *drop,
                                char *add, size_t cap)
{
    char sql[128] = "SHOW CREATE TABLE ";
    quote_ident(sql, sizeof sql, stage);
    *drop = *add = '\0';
    if (mysql_real_query(m->conn, sql, strlen(sql)) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: %s: %s", m->where, stage, mysql_error(m->conn));
    MYSQL_RES *res = mysql_store_result(m->conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    size_t nd = 0, na = 0;
    int fits = 1;
    for (const char *p = row && row[1] ? row[1] : ""; *p && fits;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > 7 && memcmp(p, "  KEY `", 7) == 0) {
            size_t def = len - (p[len - 1] == ',');  /* the line less its comma */
            size_t nlen = 0;                            /* the quoted name, "``" inside */
            while (7 + nlen < def && !(p[7 + nlen] == '`' && p[8 + nlen] != '`'))
                nlen += p[7 + nlen] == '`' ? 2 : 1;
            fits = nd + nlen + 16 < cap && na + def + 8 < cap;
            if (fits) {
                nd += (size_t)snprintf(drop + nd, cap - nd, "%sDROP INDEX `%.*s`", nd ? ", " : "",
                                       (int)nlen, p + 7);
                na += (size_t)snprintf(add + na, cap - na, "%sADD %.*s", na ? ", " : "",
                                       (int)(def - 2), p + 2);
            }
        }
        p += len + (eol != NULL);
    }
    if (res)
        mysql_free_result(res);
    if (!fits)
        *drop = *add = '\0';
    return OFI_OK;
}

/* A statement sent, then waited for a tenth of a second at a time, so that a stop can end
 * it: a stop asks the server to kill the query, from a second connection (this one is
 * busy), and the statement then fails with the stop. */
static ofi_status send_and_wait(ofi_ctx *ctx, ofi_mysql *m, const char *sql, const char *what)
{
    if (mysql_send_query(m->conn, sql, (unsigned long)strlen(sql)) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: %s: %s", m->where, what, mysql_error(m->conn));
    int killed = 0;
    struct pollfd pf = {(int)mysql_get_socket(m->conn), POLLIN, 0};
    while (poll(&pf, 1, 100) == 0 || (pf.revents == 0 && errno == EINTR)) {
        if (killed || ctx->stop == NULL || ctx->stop->requested == 0)
            continue;
        killed = 1;
        ofi_ctx kc = *ctx; /* the kill's own failures are not the load's */
        kc.err[0] = '\0';
        kc.log = NULL;
        ofi_mysql *k = NULL;
        if (ofi_mysql_connect(&kc, &m->cfg, &k) == OFI_OK) {
            char kill[64];
            snprintf(kill, sizeof kill, "KILL QUERY %lu", mysql_thread_id(m->conn));
            mysql_real_query(k->conn, kill, strlen(kill));
        }
        ofi_mysql_close(k);
    }
    if (mysql_read_query_result(m->conn) != 0)
        return ofi_stopped(ctx) ? ctx->status
                                 : ofi_fail(ctx, OFI_E_SOURCE, "%s: %s: %s", m->where, what,
                                            mysql_error(m->conn));
    return OFI_OK;
}

/* A statement that may run long on the server (an index built over a whole table), run so
 * that a stop ends it (send_and_wait). Its lock waits are not cut to a second, as the
 * load's other statements' are: the kill ends them too, so the session's
 * lock_wait_timeout is lifted around it. */
static ofi_status long_query(ofi_ctx *ctx, ofi_mysql *m, const char *sql, const char *what)
{
    ofi_status st = query(ctx, m, "SET SESSION lock_wait_timeout = 31536000", what);
    if (st == OFI_OK)
        st = send_and_wait(ctx, m, sql, what);
    const ofi_status reset = query(ctx, m, "SET SESSION lock_wait_timeout = 1", what);
    return st != OFI_OK ? st : reset;
}

/* Normalise records until about 1 MiB of rows is ready or the file ends. */
static int feed_fill(load_feed *f)
{
    ofi_field fd[OFI_CSV_MAX_HEADER + 1];
    f->out.len = f->out_pos = 0;
    while (f->out.len < (1u << 20)) {
        if (f->pos == f->len) {
            /* Polled once per run of records (a chunk of the file): failing the read makes
             * the server end LOAD DATA, and the caller drops the staging tables. */
            if (ofi_stopped(f->ctx)) {
                f->failed = 1;
                return -1;
            }
            size_t splits[2];
            if (ofi_csv_next(f->ctx, f->r, 1, splits, &f->data, &f->len) != OFI_OK) {
                f->failed = 1;
                return -1;
            }
            f->pos = 0;
            if (f->len == 0) {
                f->done = 1;
                return 0;
            }
        }
        const char *p = f->data + f->pos, *end = f->data + f->len, *next;
        int nf;
        uint64_t lines;
        const int st = ofi_csv_split(p, end, fd, OFI_CSV_MAX_HEADER + 1, &nf, &next, &lines);
        if (st != OFI_CSV_OK) {
            ofi_csv_fail_at(f->ctx, f->r, f->path, f->line, st, nf - 1);
            f->failed = 1;
            return -1;
        }
        f->pos = (size_t)(next - f->data);
        f->line += lines;
        if (ofi_csv_is_blank(fd, nf))
            continue;
        if (nf != f->r->n_header) {
            f->unreadable++;
            continue;
        }
        if (feed_record(f, fd) < 0) {
            ofi_fail(f->ctx, OFI_E_NOMEM, "%s: out of memory", f->path);
            f->failed = 1;
            return -1;
        }
    }
    return 0;
}

static int feed_init(void **state, const char *name, void *user)
{
    (void)name;
    *state = user;
    return 0;
}

static int feed_read(void *state, char *buf, unsigned int n)
{
    load_feed *f = state;
    unsigned int put = 0;
    while (put < n) {
        if (f->out_pos == f->out.len) {
            if (f->done || feed_fill(f) != 0)
                break;
            continue;
        }
        size_t k = f->out.len - f->out_pos;
        if (k > n - put)
            k = n - put;
        memcpy(buf + put, f->out.p + f->out_pos, k);
        f->out_pos += k;
        put += (unsigned int)k;
    }
    return f->failed ? -1 : (int)put;
}

static void feed_end(void *state)
{
    (void)state;
}

static int feed_error(void *state, char *msg, unsigned int n)
{
    load_feed *f = state;
    snprintf(msg, n, "%s", f->ctx->err[0] ? f->ctx->err : "cannot read the file");
    return 2000; /* CR_UNKNOWN_ERROR */
}

/* The field of each column of spec in a file's header (name, else alias), -1 if none. */
static void map_header(const ofi_csv_reader *r, const ofi_tablespec *spec, int src[OFI_MAX_COLS])
{
    for (int c = 0; c < spec->n_cols; c++) {
        const ofi_colspec *cs = &spec->cols[c];
        src[c] = -1;
        for (int k = 0; k < r->n_header && src[c] < 0; k++)
            if (strcasecmp(r->header_names[k], cs->name) == 0)
                src[c] = k;
        for (int k = 0; cs->alias && k < r->n_header && src[c] < 0; k++)
            if (strcasecmp(r->header_names[k], cs->alias) == 0)
                src[c] = k;
    }
}

/* Loads into one database exclude each other: the staging tables have fixed names, so a
 * second load would drop the first's and either could swap in the other's half-loaded
 * table. A named server lock (GET_LOCK) held by the load's session for its whole length:
 * released by the server when the session ends, however the process ends. The name is
 * the database's, cut to fit the 64-character limit of lock names (two databases whose
 * names share their first 55 characters share a lock: they only wait for each other). */
static ofi_status load_lock(ofi_ctx *ctx, ofi_mysql *m)
{
    static const char name[] = "CONCAT('ofi_load_', LEFT(DATABASE(), 55))";
    char db[8], got[32], holder[32], sql[160];
    snprintf(sql, sizeof sql, "SELECT DATABASE() IS NOT NULL, GET_LOCK(%s, 0), IS_USED_LOCK(%s)",
             name, name);
    if (mysql_real_query(m->conn, sql, strlen(sql)) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: taking the load lock: %s", m->where,
                        mysql_error(m->conn));
    MYSQL_RES *res = mysql_store_result(m->conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    snprintf(db, sizeof db, "%s", row && row[0] ? row[0] : "");
    snprintf(got, sizeof got, "%s", row && row[1] ? row[1] : "");
    snprintf(holder, sizeof holder, "%s", row && row[2] ? row[2] : "?");
    if (res)
        mysql_free_result(res);
    if (strcmp(db, "1") != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: no database selected (set MYSQL_DATABASE)",
                        m->where);
    if (strcmp(got, "1") == 0)
        return OFI_OK;
    if (strcmp(got, "0") != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: the server gave no load lock (GET_LOCK: %s)",
                        m->where, got[0] ? got : "NULL");
    return ofi_fail(ctx, OFI_E_SOURCE,
                    "%s: another ofi load is loading this database (server connection %s); "
                    "nothing was changed",
                    m->where, holder);
}

ofi_status ofi_mysql_load_dir(ofi_ctx *ctx, const ofi_mysql_cfg *cfg, const char *dir)
{
    ofi_csv_reader r[OFI_N_TABLES];
    char path[OFI_N_TABLES][4096];
    int src[OFI_N_TABLES][OFI_MAX_COLS]; /* each table's columns in its file's header */
    int opened = 0;
    ofi_status st = OFI_OK;
    ofi_mysql *m = NULL;
    char *sql = NULL;
    /* Files are read, never mapped: one rewritten while it loads cannot end the process
     * by SIGBUS (leaving the staging tables); the change is noticed below instead. */
    const int no_map = ctx->no_map;
    ctx->no_map = 1;
    /* Every file and its primary-key column first; then each table loads into a new
     * table (<table>__ofi_load, like it), and only when all eight loaded does one RENAME
     * TABLE (atomic) put them in place: a file that fails half way (broken quoting deep
     * in the timeline) leaves the database as it was. */
    for (; opened < OFI_N_TABLES && st == OFI_OK; opened++) {
        const ofi_tablespec *spec = &ofi_schema[opened];
        snprintf(path[opened], sizeof path[opened], "%s/%s.csv", dir, spec->name);
        st = ofi_csv_open(ctx, path[opened], &r[opened]);
        if (st != OFI_OK) {
            ofi_csv_close(&r[opened]);
            break;
        }
        map_header(&r[opened], spec, src[opened]);
        if (src[opened][0] < 0)
            st = ofi_fail(ctx, OFI_E_SOURCE, "%s:%llu: missing primary key column %s",
                          path[opened], (unsigned long long)(r[opened].line_of_first_record - 1),
                          spec->cols[0].name);
    }
    ctx->no_map = no_map;
    if (st == OFI_OK)
        st = ofi_mysql_connect(ctx, cfg, &m);
    if (st == OFI_OK)
        st = load_lock(ctx, m);
    if (st == OFI_OK)
        st = run_script(ctx, m, ofi_schema_sql);
    if (st == OFI_OK && (sql = malloc(65536)) == NULL)
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    if (st == OFI_OK)
        st = query(ctx, m, "SET SESSION lock_wait_timeout = 1", "setting lock_wait_timeout");
    if (st == OFI_OK) {
        /* A load ended after its swap but before dropping the old tables (SIGKILL, the same
         * signal twice, a lost connection) left <table>__ofi_old, which the next swap
         * would collide with: the tables in place are the loaded ones, these are stale. */
        snprintf(sql, 65536, "DROP TABLE IF EXISTS ");
        for (int ti = 0; ti < OFI_N_TABLES; ti++) {
            char name[96];
            snprintf(name, sizeof name, "%s__ofi_old", ofi_schema[ti].name);
            if (ti)
                strcat(sql, ", ");
            quote_ident(sql, 65536, name);
        }
        st = load_ddl(ctx, m, sql, "dropping the tables an earlier load left");
    }
    /* From here on there is something to undo: a signal no longer ends the process but
     * asks the load to stop (the staging tables dropped, the tables as they were). */
    if (ctx->stop)
        ctx->stop->armed = 1;
    for (int ti = 0; st == OFI_OK && ti < OFI_N_TABLES; ti++) {
        if (ofi_stopped(ctx)) {
            st = ctx->status;
            break;
        }
        const ofi_tablespec *spec = &ofi_schema[ti];
        load_feed f = {0};
        f.ctx = ctx;
        f.r = &r[ti];
        f.path = path[ti];
        f.spec = spec;
        f.line = r[ti].line_of_first_record;
        f.src = src[ti];
        char stage[96];
        snprintf(stage, sizeof stage, "%s__ofi_load", spec->name);
        snprintf(sql, 65536, "DROP TABLE IF EXISTS ");
        quote_ident(sql, 65536, stage);
        st = load_ddl(ctx, m, sql, spec->name);
        if (st == OFI_OK) {
            snprintf(sql, 65536, "CREATE TABLE ");
            quote_ident(sql, 65536, stage);
            strcat(sql, " LIKE ");
            quote_ident(sql, 65536, spec->name);
            st = load_ddl(ctx, m, sql, spec->name);
        }
        /* A column the user made BIT (a flag as BIT(1)) would take the text "1" as the
         * byte 0x31: it loads through a variable, as the number. */
        uint32_t bit_cols = 0;
        if (st == OFI_OK) {
            snprintf(sql, 65536,
                     "SELECT LOWER(column_name) FROM information_schema.columns WHERE "
                     "table_schema = DATABASE() AND table_name = '%s' AND data_type = 'bit'",
                     stage);
            st = query(ctx, m, sql, spec->name);
        }
        if (st == OFI_OK) {
            MYSQL_RES *res = mysql_store_result(m->conn);
            MYSQL_ROW row;
            while (res != NULL && (row = mysql_fetch_row(res)) != NULL)
                for (int c = 0; c < spec->n_cols; c++)
                    if (row[0] && strcasecmp(row[0], spec->cols[c].name) == 0)
                        bit_cols |= 1u << c;
            if (res != NULL)
                mysql_free_result(res);
        }
        if (st != OFI_OK)
            break;
        /* The plain secondary indexes are built after the load, each by one sorted pass,
         * rather than a random insert per row into each as rows arrive: 1M cases into the
         * private MariaDB, 41.0 -> 26.6 s (bench/ab.sh, medians of 3 alternated). A stop
         * during the build kills it (long_query). */
        char drop_ix[4096], add_ix[4096];
        if (st == OFI_OK)
            st = plain_indexes(ctx, m, stage, drop_ix, add_ix, sizeof drop_ix);
        if (st == OFI_OK && drop_ix[0]) {
            snprintf(sql, 65536, "ALTER TABLE ");
            quote_ident(sql, 65536, stage);
            snprintf(sql + strlen(sql), 65536 - strlen(sql), " %s", drop_ix);
            st = query(ctx, m, sql, spec->name);
        }
        if (st != OFI_OK)
            break;
        snprintf(sql, 65536, "LOAD DATA LOCAL INFILE 'ofi-load' INTO TABLE ");
        quote_ident(sql, 65536, stage);
        size_t n = strlen(sql);
        n += (size_t)snprintf(sql + n, 65536 - n,
                              " CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY "
                              "'\\\\' LINES TERMINATED BY '\\n' (");
        int k = 0;
        for (int c = 0; c < spec->n_cols; c++) {
            if (f.src[c] < 0)
                continue; /* the file lacks it: NULL, as the run reads it */
            if (k++)
                strcat(sql, ", ");
            if (bit_cols >> c & 1u)
                snprintf(sql + strlen(sql), 65536 - strlen(sql), "@bit%d", c);
            else
                quote_ident(sql, 65536, spec->cols[c].name);
        }
        strcat(sql, ")");
        for (int c = 0, set = 0; c < spec->n_cols; c++) {
            if (f.src[c] < 0 || !(bit_cols >> c & 1u))
                continue;
            strcat(sql, set++ ? ", " : " SET ");
            quote_ident(sql, 65536, spec->cols[c].name);
            snprintf(sql + strlen(sql), 65536 - strlen(sql), " = CAST(@bit%d AS UNSIGNED)", c);
        }
        mysql_set_local_infile_handler(m->conn, feed_init, feed_read, feed_end, feed_error, &f);
        if (mysql_real_query(m->conn, sql, strlen(sql)) != 0)
            st = f.failed ? ctx->status
                          : ofi_fail(ctx, OFI_E_SOURCE, "%s: %s: %s", m->where, path[ti],
                                     mysql_error(m->conn));
        mysql_set_local_infile_default(m->conn);
        /* A file changed between its open (before any byte was read) and now. Size and
         * modification time only: a rewrite with the same size inside the file system's
         * time granularity goes unseen. */
        struct stat now;
        const struct stat *was = &r[ti].opened;
        if (st == OFI_OK && r[ti].regular && fstat(r[ti].fd, &now) == 0 &&
            (now.st_size != was->st_size || now.st_mtim.tv_sec != was->st_mtim.tv_sec ||
             now.st_mtim.tv_nsec != was->st_mtim.tv_nsec))
            st = ofi_fail(ctx, OFI_E_SOURCE,
                          "%s: the file changed while it was being loaded (rewritten during "
                          "the load?); the tables are as they were",
                          path[ti]);
        if (st == OFI_OK) {
            /* "Records: N  Deleted: 0  Skipped: K  Warnings: W": K repeated keys. */
            unsigned long long rec = 0, del = 0, skip = 0, warn = 0;
            const char *info = mysql_info(m->conn);
            if (info)
                sscanf(info, "Records: %llu Deleted: %llu Skipped: %llu Warnings: %llu", &rec,
                       &del, &skip, &warn);
            if (f.unreadable || f.null_key || skip)
                ofi_log(ctx, OFI_LOG_WARN,
                        "%s: %llu rows loaded; not loaded, as `ofi run` rejects them: %llu "
                        "unreadable records, %llu with a NULL %s, %llu repeating an id",
                        path[ti], (unsigned long long)(f.sent - skip),
                        (unsigned long long)f.unreadable, (unsigned long long)f.null_key,
                        spec->cols[0].name, skip);
            if (warn > skip)
                ofi_log(ctx, OFI_LOG_WARN,
                        "%s: the server changed %llu values to fit its columns (SHOW WARNINGS "
                        "after a load lists them)",
                        path[ti], warn - skip);
        }
        if (st == OFI_OK && add_ix[0]) {
            snprintf(sql, 65536, "ALTER TABLE ");
            quote_ident(sql, 65536, stage);
            snprintf(sql + strlen(sql), 65536 - strlen(sql), " %s", add_ix);
            st = long_query(ctx, m, sql, spec->name);
        }
        ofi_outbuf_free(&f.out);
        free(f.scratch);
    }
    if (st == OFI_OK && ofi_stopped(ctx))
        st = ctx->status;
    if (st == OFI_OK) { /* all loaded: swap them in at once, then drop the old ones */
        snprintf(sql, 65536, "RENAME TABLE ");
        for (int ti = 0; ti < OFI_N_TABLES; ti++) {
            char name[96];
            const char *t = ofi_schema[ti].name;
            if (ti)
                strcat(sql, ", ");
            quote_ident(sql, 65536, t);
            strcat(sql, " TO ");
            snprintf(name, sizeof name, "%s__ofi_old", t);
            quote_ident(sql, 65536, name);
            strcat(sql, ", ");
            snprintf(name, sizeof name, "%s__ofi_load", t);
            quote_ident(sql, 65536, name);
            strcat(sql, " TO ");
            quote_ident(sql, 65536, t);
        }
        st = load_ddl(ctx, m, sql, "swapping the loaded tables in");
    }
    /* After the swap the old tables go, after a failure the staging ones. Once swapped the
     * load is done: a drop that fails, or that a stop cuts short while a reader of an old
     * table (a run started before the swap) holds it, leaves <table>__ofi_old tables for
     * the next load to drop: a warning, not a failure. */
    const int swapped = st == OFI_OK;
    for (int ti = 0; m != NULL && sql != NULL && ti < OFI_N_TABLES; ti++) {
        char name[96];
        snprintf(name, sizeof name, "%s%s", ofi_schema[ti].name,
                 swapped ? "__ofi_old" : "__ofi_load");
        snprintf(sql, 65536, "DROP TABLE IF EXISTS ");
        quote_ident(sql, 65536, name);
        int err;
        while ((err = mysql_real_query(m->conn, sql, strlen(sql)) != 0 ? (int)mysql_errno(m->conn)
                                                                        : 0) == 1205 &&
               (ctx->stop == NULL || ctx->stop->requested == 0))
            ; /* a reader holds it: wait on, a second at a time */
        if (err != 0) {
            ofi_log(ctx, OFI_LOG_WARN, "%s: %s was not dropped: %s; the next load drops it",
                    m->where, name,
                    err == 1205 ? "stopped while a reader held it" : mysql_error(m->conn));
            if (err == 1205 && swapped)
                break; /* stopped: the other old tables' readers would hold them the same way */
        }
    }
    free(sql);
    ofi_mysql_close(m);
    for (int ti = 0; ti < opened; ti++)
        ofi_csv_close(&r[ti]);
    return st;
}
