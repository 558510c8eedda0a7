/* outset.h - a set of output files written to temporary names and renamed together.
 *
 * Each file is written to "<dir>/.<name>.tmp" while its size and XXH64 are computed;
 * ofi_outset_commit renames every file into place at the end of a successful run, so a
 * reader never sees a half-written file and a failed run replaces nothing (a rename that
 * fails half way puts back the files replaced before it, kept meanwhile as
 * "<dir>/.<name>.prev");
 * ofi_outset_abort removes the temporary files.
 *
 * Sets that write the same files exclude each other: ofi_outset_lock takes an exclusive
 * lock named for what the set writes ("<root>/.ofi-<what>.lock", flock; the file holds
 * the pid; never a symbolic link), held and the file removed by ofi_outset_free, so that
 * two runs cannot write the same temporary files or interleave their renames, while sets
 * that write other files (a run and `ofi variants`) go on side by side. On a file system
 * that refuses locks the set goes on unlocked, with a warning through the context's log.
 *
 * Ownership: the set owns its paths; ofi_outset_free releases them (after commit or abort).
 */
#ifndef OFI_OUTSET_H
#define OFI_OUTSET_H

#include "ofi/ofi.h"
#include "ofi/outbuf.h"

#include <stdint.h>

typedef struct ofi_outfile {
    char *rel;   /* path relative to the root, e.g. "ofi/kpi_summary.csv" */
    char *path;  /* final path */
    char *tmp;   /* temporary path */
    char *prev;  /* the previous file's name while the set commits: "<dir>/.<name>.prev" */
    int kept;    /* during the commit: 1 when prev names the file it replaces, 0 when none, -1 when
                    it could not be linked */
    int sig_slot; /* its slot for ofi_outset_signal_cleanup, or -1 */
    uint64_t size;
    uint64_t xxh64;
} ofi_outfile;

/* Locks a set may hold (ofi_outset_lock). */
#define OFI_OUTSET_LOCKS 4

/* One lock of a set: fd holds an exclusive flock on path. */
typedef struct ofi_outlock {
    int fd;
    int slot; /* path's slot for ofi_outset_signal_cleanup, or -1 */
    char *path;
} ofi_outlock;

typedef struct ofi_outset {
    char *root;
    ofi_outfile *f;
    size_t n, cap;
    ofi_outlock locks[OFI_OUTSET_LOCKS];
    int n_locks;
} ofi_outset;

/* An output file being written. Bytes are staged in an aligned buffer of
 * OFI_OUTSTREAM_STAGE bytes; a file that fills it is written with O_DIRECT from then on
 * (unless ctx->no_direct, or the file system refuses it), so that a big file's bytes go
 * from the stage to the device without a page-cache copy; its tail is written buffered.
 * Full stages are hashed and written by a thread of the stream's own while the caller
 * fills the next one (two stages), so the device's time is not the caller's. */
typedef struct ofi_outstream {
    int fd;      /* -1: closed */
    int direct;  /* -1: not tried yet; 0: buffered; 1: O_DIRECT */
    size_t idx;  /* its entry in the set */
    void *hash;  /* XXH64 state */
    char *stage; /* NULL until the first write */
    size_t len;  /* bytes staged */
    struct ofi_writer *w; /* the background writer of full stages, NULL until the first */
    uint64_t direct_bytes; /* bytes written with O_DIRECT (read it once the stream is closed) */
    int no_threads;        /* ctx->no_writer_threads when opened */
} ofi_outstream;

/* Bytes staged before a write: a multiple of every logical block size in use (4096). */
#define OFI_OUTSTREAM_STAGE ((size_t)4 << 20)

/* Create root (and parents) if needed. @return OFI_OK or OFI_E_OUTPUT. */
ofi_status ofi_outset_init(ofi_ctx *ctx, ofi_outset *set, const char *root);

/* Lock what the set writes, named by what ("run", "variants"...; a set may take up to
 * OFI_OUTSET_LOCKS), before opening any file: a set of another process holding the same
 * name makes it fail. @return OFI_OK; OFI_E_OUTPUT when another process holds it (its pid
 * named when known) or the lock file cannot be made (a symbolic link, a directory);
 * OFI_E_USAGE past OFI_OUTSET_LOCKS. */
ofi_status ofi_outset_lock(ofi_ctx *ctx, ofi_outset *set, const char *what);

/* Start writing rel (its directory is created) into a new temporary file (whatever was at
 * its temporary name, a symbolic link included, is removed first). @return OFI_OK or
 * OFI_E_OUTPUT. */
ofi_status ofi_outset_open(ofi_ctx *ctx, ofi_outset *set, const char *rel, ofi_outstream *s);

ofi_status ofi_outstream_write(ofi_ctx *ctx, ofi_outset *set, ofi_outstream *s, const void *p,
                               size_t n);

/* Flush, check and close the stream, recording size and hash. */
ofi_status ofi_outset_close(ofi_ctx *ctx, ofi_outset *set, ofi_outstream *s);

/* Write a whole buffer as rel. Fails with OFI_E_NOMEM when the buffer had failed. */
ofi_status ofi_outset_put(ofi_ctx *ctx, ofi_outset *set, const char *rel, const ofi_outbuf *b);

/* The temporary path of rel, a file of this set written so far, so that a later output can
 * read it back before the commit (reports/dashboard.html reads the small views). Its stream
 * must be closed (ofi_outset_close) before the file is read.
 * @return the path (owned by the set, valid until ofi_outset_free), or NULL when rel was
 * not written. Not thread-safe against a concurrent ofi_outset_open. */
const char *ofi_outset_tmp(const ofi_outset *set, const char *rel);

/* Rename every file into place (see ofi_outset_signal_cleanup for signals). When a rename
 * fails (a full disk can refuse one), the files renamed before it are put back: the
 * previous ones, kept as hard links to ".<name>.prev" during the renames, return, and new
 * ones that had none are removed; the set then replaces nothing (on a file system without
 * hard links, only what existed before the failure can be kept that way: the new files
 * stay, and the error says so).
 * @return OFI_OK or OFI_E_OUTPUT. */
ofi_status ofi_outset_commit(ofi_ctx *ctx, ofi_outset *set);

/* Remove the temporary files of an unfinished set. */
void ofi_outset_abort(ofi_outset *set);

void ofi_outset_free(ofi_outset *set);

/* For a program's signal handler (async-signal-safe, any thread): remove the temporary
 * files of every set of the process not yet renamed into place, then each set's lock
 * file; the first OFI_OUTSET_SIGNAL_FILES files of a process are covered (slots are not
 * reused). Once it has run, the process is taken to be ending: no set opens a file or
 * commits afterwards (OFI_E_OUTPUT, "stopped by a signal").
 * @return 0 when removed; 1 when sets are renaming their files into place at this moment
 * (ofi_outset_commit, milliseconds): nothing was removed, the caller should act once the
 * commit has returned (calling it again then); 2 when another call (another thread's
 * handler) is removing them, and will end the process. */
int ofi_outset_signal_cleanup(void);

/* Async-signal-safe: 1 when a set of this process has renamed its files into place (its
 * outputs replaced the previous ones), else 0. For a handler's message. */
int ofi_outset_committed(void);
#define OFI_OUTSET_SIGNAL_FILES 512

#endif
