/* ofi.h - the OFI engine's common vocabulary: status codes, the run context, helpers.
 *
 * Every library function returns an ofi_status and reports the details of a failure
 * (file, line, row, column, server error text) in the run context's message slot, as
 * sqlite3_errmsg() does. The library never prints, never exits and never reads the
 * environment: the `ofi` command does those things.
 *
 * Ownership: an ofi_ctx is created by the caller (usually on the stack, initialised with
 * ofi_ctx_init) and borrowed by every call. It holds no heap memory.
 * Thread safety: one context per run; the library's parallel regions never touch it.
 */
#ifndef OFI_OFI_H
#define OFI_OFI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define OFI_VERSION "0.1.0"

/* Status codes. The first five are the process exit codes of SPEC section 6. */
typedef enum ofi_status {
    OFI_OK = 0,
    OFI_E_USAGE = 1,  /* usage or configuration error (bad option, bad weights file) */
    OFI_E_SOURCE = 2, /* cannot read the source (missing file or column, bad encoding) */
    OFI_E_DQ = 3,     /* data-quality failure under --strict */
    OFI_E_OUTPUT = 4, /* cannot write outputs */
    OFI_E_NOMEM = 5   /* out of memory; the command exits with 2 (documented in --help) */
} ofi_status;

/* A hot kernel compiled for AVX-512, AVX2 and the baseline, the best chosen at load time
 * (an ifunc). Not under ThreadSanitizer: the ifunc's resolver runs before TSan's runtime
 * is set up and crashes in its instrumentation, so a TSan build keeps the baseline. */
#if defined(__SANITIZE_THREAD__)
#define OFI_CLONES
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OFI_CLONES
#endif
#endif
#ifndef OFI_CLONES
#define OFI_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

/* The NULL marker of 64-bit integer columns: the one int64 value excluded from ids. */
#define OFI_NULL_I64 INT64_MIN

/* Log levels passed to the log callback. */
enum { OFI_LOG_INFO = 0, OFI_LOG_WARN = 1, OFI_LOG_PROGRESS = 2 };

typedef void (*ofi_log_fn)(void *user, int level, const char *msg);

/* A stop asked by a signal, for an operation that must undo its work over a connection,
 * which a signal handler cannot do (`ofi load` drops its staging tables). The operation
 * sets `armed` once it has something to undo; until then the handler may end the process
 * at once. Once armed, the handler only sets `requested` to the signal's number, and the
 * operation polls it. Both fields are written by one side each. */
typedef struct ofi_stop {
    volatile sig_atomic_t requested; /* 0, or the signal that asked to stop */
    volatile sig_atomic_t armed;     /* set by the operation, never cleared */
} ofi_stop;

/* The failure message of a stop, "stopped by signal N": a caller that reports the stop
 * itself tells it from another failure by this prefix. */
#define OFI_STOP_MESSAGE "stopped by signal"

/* The run context: settings that every stage needs, and the error slot. */
typedef struct ofi_ctx {
    int n_threads;      /* OpenMP threads for parallel regions, >= 1 */
    size_t chunk_bytes; /* bytes a streaming reader takes per chunk, >= 4096 */
    int no_map;         /* 1: readers copy regular files with pread, never map them */
    int no_direct;      /* 1: output files are written through the page cache only */
    int no_writer_threads; /* 1: a big file's stages are hashed and written by the caller,
                            * as when the writer threads cannot start (tests) */
    int generic_parse;  /* 1: every CSV record through the generic splitter, none through
                         * the loader's fast path (tests compare the two) */
    int commit_pause_ms; /* > 0: ofi_outset_commit waits this long before each rename, so
                          * that a test can signal a run in the middle of its renames */
    const char *map_wait; /* a CSV file name (no directory): a reader that maps the file
                           * of that name logs it and waits until its size changes, so
                           * that a test can shrink it mid-read; NULL: none */
    ofi_stop *stop;     /* optional: a cooperative stop shared with a signal handler
                         * (`ofi load`, see ofi_mysql_load_dir); NULL: never stopped */
    ofi_log_fn log;     /* optional: progress and warnings; NULL to discard */
    void *log_user;
    ofi_status status;  /* status of the last failure recorded */
    char err[1024];     /* message of the last failure, "" when none */
} ofi_ctx;

/* Initialise ctx with 1 thread, 16 MiB chunks, no log callback and an empty error. */
void ofi_ctx_init(ofi_ctx *ctx);

/* Record a failure: formats the message into ctx->err (truncated to fit) and returns st.
 * A later failure overwrites an earlier one only when ctx->err is empty, so the first,
 * most precise cause survives propagation through callers. */
ofi_status ofi_fail(ofi_ctx *ctx, ofi_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether ctx->stop asks to stop; if so the stop is recorded as the failure
 * (OFI_STOP_MESSAGE " N", OFI_E_SOURCE). */
int ofi_stopped(ofi_ctx *ctx);

/* Send a message to the log callback, if any. */
void ofi_log(const ofi_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Seconds on a monotonic clock, for phase timings. */
double ofi_now(void);

/* Propagate a failure: evaluates expr once and returns its status when not OFI_OK. */
#define OFI_TRY(expr)                                                                              \
    do {                                                                                           \
        ofi_status ofi_try_st_ = (expr);                                                           \
        if (ofi_try_st_ != OFI_OK)                                                                 \
            return ofi_try_st_;                                                                    \
    } while (0)

/* Set st and jump to the function's cleanup label when expr fails. */
#define OFI_CHECK(expr)                                                                            \
    do {                                                                                           \
        st = (expr);                                                                               \
        if (st != OFI_OK)                                                                          \
            goto cleanup;                                                                          \
    } while (0)

#endif
