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

#include <mysql.h>

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct ofi_mysql {
    MYSQL *conn;
    ofi_mysql_cfg cfg; /* borrowed strings: the caller's settings outlive the connection */
    char where[512];   /* "user@host:port/db", for messages */
    unsigned resumes;
    uint64_t rows_read;
};

/* One chunk of rows: field bytes in an arena, fields pointing into it. */
typedef struct chunk {
    char *arena;
    size_t cap_arena;
    ofi_field *fields;
    size_t cap_fields;
    size_t n_rows;
    ofi_status st;     /* of the fetch that filled it */
    char err[1024];
} chunk;

/* A table being read. A fetch thread fills chunk k+1 (from the socket) while the loader
 * parses chunk k: two chunks, used in turn, one ahead at most. */
/* How a column is bound and turned back into text. */
enum { BIND_INT, BIND_UINT, BIND_DATE, BIND_DATETIME, BIND_DOUBLE, BIND_TEXT };

struct ofi_mysql_stream {
    ofi_mysql *m;
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
    char table[64];
    char select[4096];  /* the SELECT without ORDER BY, for resuming */
    char pk[64];        /* the primary key column, quoted */
    char last_pk[32];   /* the last primary key read ("" before the first row) */
    int nf;
    chunk c[2];
    pthread_t thread;
    int started, stop, finished;
    uint64_t filled, taken; /* chunks filled by the thread, handed to the loader */
    size_t max_rows;
    ofi_log_fn log;
    void *log_user;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

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
    mysql_options(m->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    OFI_TRY(set_tls(ctx, m->conn, cfg));
    const char *host = cfg->host && *cfg->host ? cfg->host : NULL;
    const char *sock = cfg->socket && *cfg->socket ? cfg->socket : NULL;
    if (mysql_real_connect(m->conn, host, cfg->user, cfg->password, cfg->database, cfg->port, sock,
                           CLIENT_LOCAL_FILES) == NULL)
        /* The connector's messages name user and host, never the password. */
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: cannot connect: %s", m->where, mysql_error(m->conn));
    return OFI_OK;
}

ofi_status ofi_mysql_connect(ofi_ctx *ctx, const ofi_mysql_cfg *cfg, ofi_mysql **out)
{
    *out = NULL;
    ofi_mysql *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    m->cfg = *cfg;
    ofi_mysql_describe(cfg, m->where, sizeof m->where);
    ofi_status st = open_conn(ctx, m);
    if (st != OFI_OK) {
        ofi_mysql_close(m);
        return st;
    }
    *out = m;
    return OFI_OK;
}

unsigned ofi_mysql_resumes(const ofi_mysql *m)
{
    return m->resumes;
}

ofi_status ofi_mysql_snapshot(ofi_ctx *ctx, ofi_mysql *m)
{
    return query(ctx, m, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "snapshot");
}

void ofi_mysql_close(ofi_mysql *m)
{
    if (m == NULL)
        return;
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

/* Issue the stream's SELECT, after the last key read when resuming, and start reading. The
 * key is pasted as a number: it is checked to be one (the column is an integer key). */
static ofi_status start_select(ofi_ctx *ctx, ofi_mysql_stream *s)
{
    char sql[sizeof s->select + 3 * sizeof s->pk + sizeof s->last_pk + 32];
    const char *k = s->last_pk;
    if (*k) {
        for (const char *p = k; *p; p++)
            if (!((*p >= '0' && *p <= '9') || (p == k && *p == '-')))
                return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: cannot resume after key \"%s\"",
                                s->m->where, s->table, k);
        snprintf(sql, sizeof sql, "%s WHERE %s > %s ORDER BY %s", s->select, s->pk, k, s->pk);
    } else {
        snprintf(sql, sizeof sql, "%s ORDER BY %s", s->select, s->pk);
    }
    ofi_mysql *m = s->m;
    s->stmt = mysql_stmt_init(m->conn);
    if (s->stmt == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "%s: table %s: out of memory", m->where, s->table);
    unsigned long cursor = CURSOR_TYPE_NO_CURSOR;
    if (mysql_stmt_prepare(s->stmt, sql, (unsigned long)strlen(sql)) != 0 ||
        mysql_stmt_attr_set(s->stmt, STMT_ATTR_CURSOR_TYPE, &cursor) != 0 ||
        mysql_stmt_execute(s->stmt) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: %s", m->where, s->table,
                        mysql_stmt_error(s->stmt));
    MYSQL_RES *meta = mysql_stmt_result_metadata(s->stmt);
    if (meta == NULL || (int)mysql_num_fields(meta) != s->nf) {
        if (meta)
            mysql_free_result(meta);
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: unexpected result columns", m->where,
                        s->table);
    }
    const MYSQL_FIELD *fd = mysql_fetch_fields(meta);
    memset(s->bind, 0, sizeof s->bind);
    for (int c = 0; c < s->nf; c++) {
        MYSQL_BIND *b = &s->bind[c];
        b->length = &s->len[c];
        b->is_null = &s->isnull[c];
        b->error = &s->trunc[c];
        s->decimals[c] = fd[c].decimals;
        switch (fd[c].type) {
        case MYSQL_TYPE_TINY:
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_INT24:
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_LONGLONG:
        case MYSQL_TYPE_YEAR:
            s->kind[c] = fd[c].flags & UNSIGNED_FLAG ? BIND_UINT : BIND_INT;
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->is_unsigned = s->kind[c] == BIND_UINT;
            b->buffer = &s->iv[c];
            break;
        case MYSQL_TYPE_DATE:
            s->kind[c] = BIND_DATE;
            b->buffer_type = MYSQL_TYPE_DATE;
            b->buffer = &s->tv[c];
            break;
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP:
            s->kind[c] = BIND_DATETIME;
            b->buffer_type = MYSQL_TYPE_DATETIME;
            b->buffer = &s->tv[c];
            break;
        case MYSQL_TYPE_FLOAT:
        case MYSQL_TYPE_DOUBLE:
            s->kind[c] = BIND_DOUBLE;
            b->buffer_type = MYSQL_TYPE_DOUBLE;
            b->buffer = &s->dv[c];
            break;
        default:
            s->kind[c] = BIND_TEXT;
            if (s->sv[c] == NULL) {
                s->svcap[c] = 256;
                s->sv[c] = malloc(s->svcap[c]);
                if (s->sv[c] == NULL) {
                    mysql_free_result(meta);
                    return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
                }
            }
            b->buffer_type = MYSQL_TYPE_STRING;
            b->buffer = s->sv[c];
            b->buffer_length = s->svcap[c];
            break;
        }
    }
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(s->stmt, s->bind) != 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: %s", m->where, s->table,
                        mysql_stmt_error(s->stmt));
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
static int fetch_row_binary(ofi_mysql_stream *s, const char **vals, unsigned long *lens)
{
    int r = mysql_stmt_fetch(s->stmt);
    if (r == MYSQL_NO_DATA)
        return 0;
    if (r == 1)
        return -1;
    for (int c = 0; c < s->nf; c++) {
        if (s->isnull[c]) {
            vals[c] = NULL;
            lens[c] = 0;
            continue;
        }
        char *t = s->txt[c];
        const MYSQL_TIME *tm = &s->tv[c];
        switch (s->kind[c]) {
        case BIND_INT:
        case BIND_UINT:
            lens[c] = fmt_i64(t, s->iv[c], s->kind[c] == BIND_UINT);
            vals[c] = t;
            break;
        case BIND_DATE:
            lens[c] = (unsigned long)fmt_time(t, tm, 0, 0);
            vals[c] = t;
            break;
        case BIND_DATETIME: /* exactly the column's fraction digits, as text would print */
            lens[c] = (unsigned long)fmt_time(t, tm, 1, s->decimals[c] <= 6 ? s->decimals[c] : 0);
            vals[c] = t;
            break;
        case BIND_DOUBLE:
            lens[c] = (unsigned long)snprintf(t, sizeof s->txt[c], "%.17g", s->dv[c]);
            vals[c] = t;
            break;
        default:
            if (s->trunc[c] || s->len[c] > s->svcap[c]) { /* longer than the buffer */
                unsigned long cap = s->svcap[c];
                while (cap < s->len[c] + 1)
                    cap *= 2;
                char *nb = realloc(s->sv[c], cap);
                if (nb == NULL)
                    return -1;
                s->sv[c] = nb;
                s->svcap[c] = cap;
                s->bind[c].buffer = nb;
                s->bind[c].buffer_length = cap;
                if (mysql_stmt_fetch_column(s->stmt, &s->bind[c], (unsigned)c, 0) != 0)
                    return -1;
                mysql_stmt_bind_result(s->stmt, s->bind);
            }
            vals[c] = s->sv[c];
            lens[c] = s->len[c];
            break;
        }
    }
    return 1;
}

/* Kill our own connection from a second one (or shut the whole server down): the fault
 * injection of cfg. */
static void inject_fault(ofi_mysql *m, int shutdown)
{
    ofi_ctx quiet;
    ofi_ctx_init(&quiet);
    ofi_mysql killer = {0};
    killer.cfg = m->cfg;
    snprintf(killer.where, sizeof killer.where, "%s", m->where);
    if (open_conn(&quiet, &killer) == OFI_OK) {
        char sql[64];
        if (shutdown)
            snprintf(sql, sizeof sql, "SHUTDOWN");
        else
            snprintf(sql, sizeof sql, "KILL CONNECTION %lu", mysql_thread_id(m->conn));
        mysql_real_query(killer.conn, sql, strlen(sql));
    }
    if (killer.conn)
        mysql_close(killer.conn);
}

/* The connection broke mid-stream: reconnect with backoff and resume after the last key.
 * @return OFI_OK when reading can go on. */
static ofi_status resume(ofi_ctx *ctx, ofi_mysql_stream *s, const char *why)
{
    ofi_mysql *m = s->m;
    const int max = m->cfg.max_retries == 0 ? 5 : m->cfg.max_retries < 0 ? 0 : m->cfg.max_retries;
    char reason[sizeof ctx->err];
    snprintf(reason, sizeof reason, "%s", why);
    if (s->stmt) {
        mysql_stmt_close(s->stmt);
        s->stmt = NULL;
    }
    for (int attempt = 1; attempt <= max; attempt++) {
        struct timespec ts = {0, 200000000L << (attempt < 4 ? attempt - 1 : 3)};
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec = ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
        }
        nanosleep(&ts, NULL);
        if (m->conn)
            mysql_close(m->conn);
        m->conn = NULL;
        ofi_ctx probe;
        ofi_ctx_init(&probe);
        if (open_conn(&probe, m) != OFI_OK) {
            snprintf(reason, sizeof reason, "%s", probe.err);
            continue;
        }
        if (s->stmt) {
            mysql_stmt_close(s->stmt);
            s->stmt = NULL;
        }
        if (start_select(&probe, s) == OFI_OK) {
            m->resumes++;
            ofi_log(ctx, OFI_LOG_WARN, "%s: table %s: connection lost (%s); resumed after key %s",
                    m->where, s->table, why, *s->last_pk ? s->last_pk : "(none)");
            return OFI_OK;
        }
        snprintf(reason, sizeof reason, "%s", probe.err);
    }
    return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: connection lost, %d reconnection%s failed: %s",
                    m->where, s->table, max, max == 1 ? "" : "s", reason);
}

ofi_status ofi_mysql_open_table(ofi_ctx *ctx, ofi_mysql *m, const ofi_tablespec *spec,
                                int present[OFI_MAX_COLS], ofi_mysql_stream **out)
{
    *out = NULL;
    /* Which section-1 columns does the server's table have? */
    char esc[2 * 64 + 1];
    mysql_real_escape_string(m->conn, esc, spec->name, (unsigned long)strlen(spec->name));
    char sql[4096];
    snprintf(sql, sizeof sql,
             "SELECT LOWER(column_name) FROM information_schema.columns "
             "WHERE table_schema = DATABASE() AND table_name = '%s'",
             esc);
    OFI_TRY(query(ctx, m, sql, spec->name));
    MYSQL_RES *cols = mysql_store_result(m->conn); /* a handful of rows */
    if (cols == NULL)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: %s", m->where, spec->name,
                        mysql_error(m->conn));
    int found = 0;
    for (int c = 0; c < spec->n_cols; c++)
        present[c] = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(cols)) != NULL) {
        found = 1;
        for (int c = 0; c < spec->n_cols; c++) {
            const ofi_colspec *cs = &spec->cols[c];
            if (row[0] && (strcasecmp(row[0], cs->name) == 0 ||
                           (cs->alias && strcasecmp(row[0], cs->alias) == 0)))
                present[c] = 1;
        }
    }
    mysql_free_result(cols);
    if (!found)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s does not exist", m->where, spec->name);
    if (!present[0])
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: table %s: missing primary key column %s", m->where,
                        spec->name, spec->cols[0].name);
    /* SELECT the present columns in section-1 order, by primary key. */
    strcpy(sql, "SELECT ");
    int nf = 0;
    for (int c = 0; c < spec->n_cols; c++) {
        if (!present[c])
            continue;
        if (nf++)
            strcat(sql, ", ");
        quote_ident(sql, sizeof sql, spec->cols[c].name);
    }
    strcat(sql, " FROM ");
    quote_ident(sql, sizeof sql, spec->name);
    ofi_mysql_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    s->m = m;
    s->nf = nf;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    snprintf(s->table, sizeof s->table, "%s", spec->name);
    snprintf(s->select, sizeof s->select, "%s", sql);
    quote_ident(s->pk, sizeof s->pk, spec->cols[0].name);
    ofi_status st = start_select(ctx, s);
    if (st != OFI_OK) {
        ofi_mysql_stream_close(s);
        return st;
    }
    *out = s;
    return OFI_OK;
}

/* Fill cb with up to max_rows rows (in the fetch thread). */
static ofi_status fetch_chunk(ofi_ctx *ctx, ofi_mysql_stream *s, chunk *cb, size_t max_rows)
{
    size_t used = 0, n = 0;
    /* Offsets first (the arena may move while it grows), pointers at the end. */
    while (n < max_rows) {
        ofi_mysql *m = s->m;
        if (m->cfg.fault_kill_after_rows && m->rows_read == m->cfg.fault_kill_after_rows) {
            m->rows_read++; /* once */
            inject_fault(m, 0);
        }
        if (m->cfg.fault_shutdown_after_rows && m->rows_read == m->cfg.fault_shutdown_after_rows) {
            m->rows_read++;
            inject_fault(m, 1);
        }
        const char *row[OFI_MAX_COLS];
        unsigned long len[OFI_MAX_COLS];
        const int got = fetch_row_binary(s, row, len);
        if (got == 0)
            break; /* the end of the table */
        if (got < 0) {
            char why[256];
            snprintf(why, sizeof why, "%s", mysql_stmt_error(s->stmt));
            OFI_TRY(resume(ctx, s, why));
            continue;
        }
        m->rows_read++;
        size_t row_bytes = 0;
        for (int c = 0; c < s->nf; c++)
            row_bytes += row[c] ? len[c] : 0;
        if (used + row_bytes > cb->cap_arena) {
            size_t cap = cb->cap_arena ? cb->cap_arena * 2 : (size_t)1 << 20;
            while (cap < used + row_bytes)
                cap *= 2;
            char *a = realloc(cb->arena, cap);
            if (a == NULL)
                return ofi_fail(ctx, OFI_E_NOMEM, "out of memory reading %s", s->table);
            cb->arena = a;
            cb->cap_arena = cap;
        }
        if ((n + 1) * (size_t)s->nf > cb->cap_fields) {
            size_t cap = cb->cap_fields ? cb->cap_fields * 2 : 4096;
            while (cap < (n + 1) * (size_t)s->nf)
                cap *= 2;
            ofi_field *f = realloc(cb->fields, cap * sizeof *f);
            if (f == NULL)
                return ofi_fail(ctx, OFI_E_NOMEM, "out of memory reading %s", s->table);
            cb->fields = f;
            cb->cap_fields = cap;
        }
        for (int c = 0; c < s->nf; c++) {
            ofi_field *f = &cb->fields[n * (size_t)s->nf + (size_t)c];
            const size_t l = row[c] ? len[c] : 0;
            memcpy(cb->arena + used, row[c] ? row[c] : "", l);
            f->p = (const char *)(uintptr_t)used; /* an offset until the chunk is complete */
            f->len = (uint32_t)l;
            f->quoted = 0;
            f->escaped = 0;
            used += l;
        }
        /* Remember the key: the first column. */
        const size_t kl = row[0] && len[0] < sizeof s->last_pk ? len[0] : 0;
        memcpy(s->last_pk, row[0] ? row[0] : "", kl);
        s->last_pk[kl] = '\0';
        n++;
    }
    for (size_t i = 0; i < n * (size_t)s->nf; i++)
        cb->fields[i].p = cb->arena + (uintptr_t)cb->fields[i].p;
    cb->n_rows = n;
    return OFI_OK;
}

static void *fetch_thread(void *arg)
{
    ofi_mysql_stream *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        /* Chunk `filled` reuses the buffer of chunk filled - 2: wait until the loader has
         * asked for chunk filled - 1, which releases it. */
        while (!s->stop && s->filled > s->taken)
            pthread_cond_wait(&s->cv, &s->mu);
        const int stop = s->stop;
        const uint64_t k = s->filled;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        chunk *cb = &s->c[k % 2];
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ctx.log = s->log;
        ctx.log_user = s->log_user;
        cb->n_rows = 0;
        cb->st = fetch_chunk(&ctx, s, cb, s->max_rows);
        memcpy(cb->err, ctx.err, sizeof cb->err);
        pthread_mutex_lock(&s->mu);
        s->filled++;
        const int last = cb->st != OFI_OK || cb->n_rows == 0;
        if (last)
            s->finished = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        if (last)
            break;
    }
    return NULL;
}

ofi_status ofi_mysql_next(ofi_ctx *ctx, ofi_mysql_stream *s, size_t max_rows,
                          const ofi_field **fields, size_t *n_rows, int *n_fields)
{
    *n_fields = s->nf;
    *n_rows = 0;
    *fields = NULL;
    if (!s->started) {
        s->max_rows = max_rows;
        s->log = ctx->log;
        s->log_user = ctx->log_user;
        if (pthread_create(&s->thread, NULL, fetch_thread, s) != 0)
            return ofi_fail(ctx, OFI_E_NOMEM, "%s: table %s: cannot start a fetch thread",
                            s->m->where, s->table);
        s->started = 1;
    }
    pthread_mutex_lock(&s->mu);
    const uint64_t k = s->taken;
    while (s->filled <= k && !(s->finished && s->filled <= k))
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->filled <= k) { /* the thread is done and nothing is left */
        pthread_mutex_unlock(&s->mu);
        return OFI_OK;
    }
    s->taken = k + 1; /* releases the buffer of chunk k - 1 to the thread */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    chunk *cb = &s->c[k % 2];
    if (cb->st != OFI_OK)
        return ofi_fail(ctx, cb->st, "%s", cb->err);
    *fields = cb->fields;
    *n_rows = cb->n_rows;
    return OFI_OK;
}

void ofi_mysql_stream_close(ofi_mysql_stream *s)
{
    if (s == NULL)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    if (s->stmt)
        mysql_stmt_close(s->stmt); /* drains what is left of the result */
    for (int c = 0; c < OFI_MAX_COLS; c++)
        free(s->sv[c]);
    for (int i = 0; i < 2; i++) {
        free(s->c[i].arena);
        free(s->c[i].fields);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
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

ofi_status ofi_mysql_load_dir(ofi_ctx *ctx, const ofi_mysql_cfg *cfg, const char *dir)
{
    ofi_mysql *m = NULL;
    OFI_TRY(ofi_mysql_connect(ctx, cfg, &m));
    ofi_status st = run_script(ctx, m, ofi_schema_sql);
    char *sql = malloc(65536);
    if (sql == NULL)
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    for (int ti = 0; st == OFI_OK && ti < OFI_N_TABLES; ti++) {
        const ofi_tablespec *spec = &ofi_schema[ti];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.csv", dir, spec->name);
        ofi_csv_reader r;
        st = ofi_csv_open(ctx, path, &r);
        if (st != OFI_OK) {
            ofi_csv_close(&r);
            break;
        }
        /* Line ends as the header has them. */
        int crlf = 0;
        {
            FILE *f = fopen(path, "rb");
            int c, prev = 0;
            while (f && (c = fgetc(f)) != EOF && c != '\n')
                prev = c;
            crlf = prev == '\r';
            if (f)
                fclose(f);
        }
        char esc[8192];
        mysql_real_escape_string(m->conn, esc, path, (unsigned long)strlen(path));
        snprintf(sql, 65536, "TRUNCATE TABLE ");
        quote_ident(sql, 65536, spec->name);
        st = query(ctx, m, sql, spec->name);
        if (st != OFI_OK) {
            ofi_csv_close(&r);
            break;
        }
        snprintf(sql, 65536,
                 "LOAD DATA LOCAL INFILE '%s' INTO TABLE ", esc);
        quote_ident(sql, 65536, spec->name);
        size_t n = strlen(sql);
        n += (size_t)snprintf(sql + n, 65536 - n,
                              " CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY "
                              "ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '%s' "
                              "IGNORE 1 LINES (",
                              crlf ? "\\r\\n" : "\\n");
        /* Each field into a variable; matched columns are set from it below. */
        for (int k = 0; k < r.n_header; k++)
            n += (size_t)snprintf(sql + n, 65536 - n, "%s@v%d", k ? ", " : "", k);
        n += (size_t)snprintf(sql + n, 65536 - n, ") SET ");
        int first = 1;
        for (int c = 0; c < spec->n_cols; c++) {
            const ofi_colspec *cs = &spec->cols[c];
            int src = -1;
            for (int k = 0; k < r.n_header && src < 0; k++)
                if (strcasecmp(r.header_names[k], cs->name) == 0)
                    src = k;
            for (int k = 0; cs->alias && k < r.n_header && src < 0; k++)
                if (strcasecmp(r.header_names[k], cs->alias) == 0)
                    src = k;
            if (src < 0)
                continue;
            if (!first)
                n += (size_t)snprintf(sql + n, 65536 - n, ", ");
            first = 0;
            sql[n] = '\0';
            quote_ident(sql, 65536, cs->name);
            n = strlen(sql);
            /* Empty (or blank) is NULL; a comma decimal becomes a point. */
            if (cs->type == OFI_COL_TEXT)
                n += (size_t)snprintf(sql + n, 65536 - n, " = IF(TRIM(@v%d) = '', NULL, @v%d)", src,
                                      src);
            else if (cs->type == OFI_COL_DEC || cs->type == OFI_COL_MONEY)
                n += (size_t)snprintf(sql + n, 65536 - n,
                                      " = NULLIF(REPLACE(TRIM(@v%d), ',', '.'), '')", src);
            else
                n += (size_t)snprintf(sql + n, 65536 - n, " = NULLIF(TRIM(@v%d), '')", src);
        }
        ofi_csv_close(&r);
        if (first)
            continue; /* no known column at all: nothing to load */
        st = query(ctx, m, sql, path);
    }
    free(sql);
    ofi_mysql_close(m);
    return st;
}
