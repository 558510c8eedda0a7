/* mysql.h - the MySQL/MariaDB source: connection settings, streaming table reads, loading.
 *
 * Built on MariaDB Connector/C (libmysqlclient compatible). Tables stream with
 * mysql_use_result (never buffered whole on the client) in chunks of rows whose fields
 * point into a chunk arena, which the loader parses exactly like CSV records.
 *
 * Faults: a connection lost mid-table (server restart, KILL, network cut) is reopened
 * and the read resumes after the last primary key read (keyset resume), with backoff,
 * max_retries times; then the read fails. Rows already read are kept, so the result is
 * the same as one uninterrupted stream (of a possibly newer snapshot).
 *
 * Secrets: the password is only handed to the connector; no message, log or manifest of
 * this module contains it.
 *
 * Ownership: streams and connections are closed by their close functions (accepting
 * zeroed or NULL values). Thread safety: one connection per thread.
 */
#ifndef OFI_MYSQL_H
#define OFI_MYSQL_H

#include "ofi/csv.h"
#include "ofi/ofi.h"
#include "ofi/schema.h"

#include <stddef.h>
#include <stdint.h>

/* Connection settings. NULL or 0 fields keep the connector's defaults, which come from the
 * [client] group of the standard option files when read_option_files is set. */
typedef struct ofi_mysql_cfg {
    const char *host;
    unsigned port;
    const char *user;
    const char *password;
    const char *database;
    const char *socket;
    const char *ssl_mode; /* DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY */
    const char *ssl_ca;
    int read_option_files; /* read [client] from ~/.my.cnf and the system option files */
    /* Seconds to connect and receive the server's greeting (0: 30; -1: no limit), and that
     * one read or write may wait on the server (0: 600; -1: no limit): past it the
     * connection counts as lost, so a read reconnects and resumes (max_retries) instead of
     * hanging on a server or network that stopped answering. */
    int connect_timeout;
    int read_timeout;
    int max_retries;       /* reconnections allowed per table after a lost connection
                              (default when 0: 5); -1 for none */
    /* Connections for partitioned reads (ofi_mysql_snapshot opens the extra ones): a big
     * table is split into primary-key ranges read by all of them at once. 0 or 1: one
     * stream per table. */
    int partitions;
    /* Split the tables allowed to split whatever their size (into at least `partitions`
     * ranges); otherwise only tables of more rows than the connections' read-ahead. */
    int partitions_forced;
    /* Fault injection, for tests: after this many rows (all tables together), kill the
     * reading connection from a second one (a real server-side KILL). 0 = never. */
    uint64_t fault_kill_after_rows;
    /* Likewise, but shut the server down (needs the SHUTDOWN privilege): the server
     * stopped mid-run. 0 = never. */
    uint64_t fault_shutdown_after_rows;
    /* Likewise, but run this statement (a concurrent write, say) from a second
     * connection, once per reading connection. */
    uint64_t fault_sql_after_rows;
    const char *fault_sql;
} ofi_mysql_cfg;

typedef struct ofi_mysql ofi_mysql; /* an open connection */

/* Connect. Errors name the server (host:port or socket) and the connector's message:
 * OFI_E_SOURCE for a wrong password, unknown host, missing database...; OFI_E_USAGE for
 * a bad ssl_mode. */
ofi_status ofi_mysql_connect(ofi_ctx *ctx, const ofi_mysql_cfg *cfg, ofi_mysql **out);

void ofi_mysql_close(ofi_mysql *m);

/* Where the settings point, without the password: "mysql://user@host:port/db". */
void ofi_mysql_describe(const ofi_mysql_cfg *cfg, char *out, size_t cap);

/* The connection as the connector resolved it (option files included), in
 * ofi_mysql_describe's form: "mysql://user@host:port/db". Never the password. */
const char *ofi_mysql_where(const ofi_mysql *m);

/* A table being read. */
typedef struct ofi_mysql_stream ofi_mysql_stream;

/* Start streaming the columns of spec from the server's table, in spec order,
 * ORDER BY the primary key, in chunks of chunk_rows rows (0: 65536) read ahead by fetch
 * threads. With may_split and the extra connections of ofi_mysql_snapshot, an integer key
 * is split into ranges ([MIN, MAX] in equal parts, sized from the server's row estimate)
 * that the connections read at once, each range one SELECT; the loader still receives
 * range after range, so the rows come in the order of the single stream. A column is
 * found under its name or its alias (calendar's `date`); a missing table or column is
 * OFI_E_SOURCE naming it, so present[c] is set for every column. Not thread-safe with
 * other uses of m's connections. */
ofi_status ofi_mysql_open_table(ofi_ctx *ctx, ofi_mysql *m, const ofi_tablespec *spec,
                                size_t chunk_rows, int may_split, int present[OFI_MAX_COLS],
                                ofi_mysql_stream **out);

/* The next rows: *fields holds *n_rows * *n_fields fields (row-major), SQL NULL as an
 * empty field, valid until the next call. *n_rows is 0 at the end.
 * @return OFI_OK, OFI_E_SOURCE (connection lost: message names the table), OFI_E_NOMEM. */
ofi_status ofi_mysql_next(ofi_ctx *ctx, ofi_mysql_stream *s, const ofi_field **fields,
                          size_t *n_rows, int *n_fields);

void ofi_mysql_stream_close(ofi_mysql_stream *s);

/* Reconnections made so far on m and its extra connections (after lost connections). */
unsigned ofi_mysql_resumes(const ofi_mysql *m);

/* Open the extra connections of cfg.partitions (fewer, with a warning, when the server
 * refuses some) and start one snapshot on every connection (START TRANSACTION WITH
 * CONSISTENT SNAPSHOT, READ ONLY): the eight tables as of one moment. With several
 * connections the snapshots are taken under FLUSH TABLES WITH READ LOCK, held for
 * milliseconds, as mydumper does; without the RELOAD privilege (or after a 30 s lock wait)
 * each connection reads its own snapshot, with a warning. @return OFI_OK or OFI_E_SOURCE. */
ofi_status ofi_mysql_snapshot(ofi_ctx *ctx, ofi_mysql *m);

/* 1 when every row came from one snapshot: shared by all connections and no read resumed
 * (a resumed read starts a new one). */
int ofi_mysql_consistent(const ofi_mysql *m);

/* Connections open for reading: 1 + the extra ones. */
int ofi_mysql_connections(const ofi_mysql *m);

/* `ofi load`: create the schema (scripts/schema.sql, compiled in) and bulk-load
 * dir/<table>.csv into each table with LOAD DATA LOCAL INFILE fed by ofi's CSV reader:
 * the rows `ofi run --source csv:dir` keeps, values in canonical form, NULL as \N; the
 * records that run rejects and repeated ids are left out and counted (a warning). Each
 * table loads into <table>__ofi_load and one RENAME TABLE replaces all eight at the end:
 * on any failure the database is as it was. Another load into the same database is
 * refused (a server lock per database); <table>__ofi_old tables that a load cut after its
 * swap left are dropped first. With ctx->stop, the load arms it before its first staging
 * table; a stop requested after that is seen at the next run of records, before the next
 * table, while a lock wait holds a statement back (lock waits are a second long, retried)
 * or in a read a signal interrupted, and fails the load the same way ("stopped by signal
 * N"): the staging tables are dropped, the tables are as they were. A stop that comes
 * after the swap leaves the load complete (OFI_OK): the caller tells the two apart by the
 * status. Files are read, never mapped; one whose size or modification time changed
 * since its open fails the load. @return OFI_OK, OFI_E_SOURCE (a file, the server, a
 * stop, the lock) or OFI_E_NOMEM. */
ofi_status ofi_mysql_load_dir(ofi_ctx *ctx, const ofi_mysql_cfg *cfg, const char *dir);

/* The schema, as compiled in from scripts/schema.sql. */
extern const char ofi_schema_sql[];

#endif
