/* outset.c - temporary output files, hashed as written, renamed into place at the end.
 */
#include "ofi/outset.h"

#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Alignment of the stage's address, of every direct write's length and file offset. */
#define DIRECT_ALIGN 4096

/* mkdir -p for the directory part of path (or all of it when whole is set). */
static int mkdirs(const char *path, int whole)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    if (!whole) {
        char *slash = strrchr(buf, '/');
        if (slash == NULL)
            return 0;
        *slash = '\0';
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* ---- temporary files removed on a signal ----------------------------------------------
 * Process-wide state, against the house rule of one context passed down: a signal
 * handler reaches nothing else. It reads only what is safe there, at any moment and in any
 * thread: paths copied into slots of their own (never reused, never freed) published by an
 * atomic flag, which a set clears once its file is renamed or removed; and one state word:
 * the number of sets renaming their files (any number of sets, in any threads), or
 * SIG_STOPPING once a handler has begun removing, for good (the process is ending by the
 * signal): no commit and no new file starts after that. */
#define SIG_PATH 4096
#define SIG_STOPPING (-1)
static char sig_path[OFI_OUTSET_SIGNAL_FILES][SIG_PATH];
static atomic_int sig_live[OFI_OUTSET_SIGNAL_FILES];
static atomic_int sig_used; /* slots handed out */
static atomic_int sig_state;
static atomic_int sig_committed; /* a set of this process has renamed its files */

/* Remember path for ofi_outset_signal_cleanup. @return its slot, or -1 (no slot left, or
 * too long a path: that file is not removed on a signal). */
static int sig_register(const char *path)
{
    const size_t len = strlen(path);
    if (len >= SIG_PATH)
        return -1;
    const int k = atomic_fetch_add(&sig_used, 1);
    if (k < 0 || k >= OFI_OUTSET_SIGNAL_FILES) /* k < 0: the count wrapped */
        return -1;
    memcpy(sig_path[k], path, len + 1);
    atomic_store(&sig_live[k], 1);
    return k;
}

static void sig_forget(int slot)
{
    if (slot >= 0)
        atomic_store(&sig_live[slot], 0);
}

static int sig_stopping(void)
{
    return atomic_load(&sig_state) == SIG_STOPPING;
}

int ofi_outset_signal_cleanup(void)
{
    int v = atomic_load(&sig_state);
    for (;;) {
        if (v == SIG_STOPPING)
            return 2; /* another handler removes them */
        if (v > 0)
            return 1; /* sets are renaming: after them */
        if (atomic_compare_exchange_weak(&sig_state, &v, SIG_STOPPING))
            break;
    }
    /* Newest slots first, so a set's lock file (registered before its files) goes after
     * them; again while other threads still registered files meanwhile (a file registered
     * once the state is SIG_STOPPING is removed by ofi_outset_open itself). */
    int done = 0, used;
    while ((used = atomic_load(&sig_used)) != done) {
        const int n = used < OFI_OUTSET_SIGNAL_FILES ? used : OFI_OUTSET_SIGNAL_FILES;
        for (int k = n - 1; k >= 0; k--)
            if (atomic_load(&sig_live[k]))
                unlink(sig_path[k]);
        done = used;
    }
    return 0;
}

/* The lock files are removed when the set is freed; a run that opened one just before may
 * then lock a file no longer in the directory, so a lock counts only on the file the path
 * still names. A lock file is never followed through a symbolic link, and a file system
 * without locks runs unlocked, with a warning. */
ofi_status ofi_outset_lock(ofi_ctx *ctx, ofi_outset *set, const char *what)
{
    if (set->n_locks == OFI_OUTSET_LOCKS)
        return ofi_fail(ctx, OFI_E_USAGE, "ofi_outset_lock: more than %d locks", OFI_OUTSET_LOCKS);
    const size_t len = strlen(set->root) + strlen(what) + sizeof "/.ofi-.lock";
    char *path = malloc(len);
    ofi_status st = OFI_OK;
    int fd = -1;
    if (path == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    snprintf(path, len, "%s/.ofi-%s.lock", set->root, what);
    for (;;) {
        int created = 1;
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST) {
            created = 0;
            fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 && errno == EACCES) /* another user's file: flock needs no write */
                fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 && errno == ENOENT) /* removed meanwhile */
                continue;
        }
        struct stat a, b;
        if (fd < 0 || fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot use it as the lock file: %s", path,
                          fd < 0 ? strerror(errno) : "not a regular file");
            goto cleanup;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            if (err != EWOULDBLOCK) { /* a file system without locks: go on without */
                if (created)
                    unlink(path);
                ofi_log(ctx, OFI_LOG_WARN,
                        "%s: the file system refuses locks (%s); running without the lock "
                        "that keeps two %s commands apart",
                        set->root, strerror(err), what);
                goto cleanup;
            }
            /* The holder writes its pid just after locking: give it a few milliseconds. */
            char buf[32] = {0};
            ssize_t r = 0;
            for (int tries = 0; tries < 20 && (r = pread(fd, buf, sizeof buf - 1, 0)) <= 0; tries++)
                nanosleep(&(struct timespec){0, 1000000L}, NULL);
            const long pid = r > 0 ? strtol(buf, NULL, 10) : 0;
            if (pid > 0)
                st = ofi_fail(ctx, OFI_E_OUTPUT,
                              "%s: another ofi (pid %ld) is writing its %s files in this output "
                              "directory; nothing was changed",
                              set->root, pid, what);
            else
                st = ofi_fail(ctx, OFI_E_OUTPUT,
                              "%s: another process holds its lock %s; nothing was changed",
                              set->root, path);
            goto cleanup;
        }
        if (stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            break;
        close(fd); /* removed by the run that held it: lock the new one */
        fd = -1;
    }
    /* The pid names the holder in another run's message; the lock holds without it (a
     * file opened read-only). */
    char buf[32];
    const int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    const int wrote = ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n;
    (void)wrote;
    ofi_outlock *l = &set->locks[set->n_locks++];
    l->slot = sig_register(path);
    l->fd = fd;
    l->path = path;
    return OFI_OK;
cleanup:
    if (fd >= 0)
        close(fd);
    free(path);
    return st;
}

ofi_status ofi_outset_init(ofi_ctx *ctx, ofi_outset *set, const char *root)
{
    memset(set, 0, sizeof *set);
    set->root = strdup(root);
    if (set->root == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    if (mkdirs(root, 1) != 0)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot create output directory: %s", root,
                        strerror(errno));
    return OFI_OK;
}

ofi_status ofi_outset_open(ofi_ctx *ctx, ofi_outset *set, const char *rel, ofi_outstream *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->direct = ctx->no_direct ? 0 : -1;
    s->no_threads = ctx->no_writer_threads;
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 32;
        ofi_outfile *f = realloc(set->f, cap * sizeof *f);
        if (f == NULL)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        set->f = f;
        set->cap = cap;
    }
    ofi_outfile *o = &set->f[set->n];
    memset(o, 0, sizeof *o);
    o->sig_slot = -1;
    size_t rl = strlen(set->root) + strlen(rel) + 16;
    o->rel = strdup(rel);
    o->path = malloc(rl);
    o->tmp = malloc(rl);
    o->prev = malloc(rl + 1);
    if (!o->rel || !o->path || !o->tmp || !o->prev) {
        free(o->rel);
        free(o->path);
        free(o->tmp);
        free(o->prev);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    }
    snprintf(o->path, rl, "%s/%s", set->root, rel);
    const char *base = strrchr(rel, '/');
    snprintf(o->tmp, rl, "%s/%.*s.%s.tmp", set->root, base ? (int)(base - rel + 1) : 0, rel,
             base ? base + 1 : rel);
    snprintf(o->prev, rl + 1, "%s/%.*s.%s.prev", set->root, base ? (int)(base - rel + 1) : 0,
             rel, base ? base + 1 : rel);
    o->sig_slot = sig_register(o->tmp); /* before the file exists: a signal may come now */
    s->idx = set->n++;
    if (mkdirs(o->path, 0) != 0)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot create directory: %s", o->path,
                        strerror(errno));
    /* A fresh file, never one already there: a symbolic link left at the temporary name
     * would have been written through (and then renamed into place). The set's lock
     * (ofi_outset_lock) keeps other runs writing these files away from these names. */
    if (unlink(o->tmp) != 0 && errno != ENOENT && errno != ENOTDIR)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot write: %s", o->tmp, strerror(errno));
    s->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (s->fd < 0)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot write: %s", o->tmp, strerror(errno));
    if (sig_stopping()) { /* a signal's cleanup began, perhaps after this file's removal */
        close(s->fd);
        s->fd = -1;
        unlink(o->tmp);
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: stopped by a signal", o->tmp);
    }
    XXH64_state_t *h = XXH64_createState();
    if (h == NULL) {
        close(s->fd); /* the temporary file goes with the set (ofi_outset_abort) */
        s->fd = -1;
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    }
    XXH64_reset(h, 0);
    s->hash = h;
    return OFI_OK;
}

/* Switch the descriptor's O_DIRECT flag. @return 0 on success. */
static int set_direct(int fd, int on)
{
    const int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT);
}

/* Write n staged bytes. A direct write the file system refuses (EINVAL: no O_DIRECT
 * there, or an alignment it does not take) is retried through the page cache, which
 * the stream keeps from then on. */
static int write_all(ofi_outstream *s, const char *p, size_t n)
{
    while (n > 0) {
        const ssize_t w = write(s->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EINVAL && s->direct == 1 && set_direct(s->fd, 0) == 0) {
                s->direct = 0;
                continue;
            }
            return -1;
        }
        if (s->direct == 1)
            s->direct_bytes += (uint64_t)w;
        p += w;
        n -= (size_t)w;
        if (s->direct == 1 && n > 0 && (w % DIRECT_ALIGN) != 0) { /* offset now unaligned */
            if (set_direct(s->fd, 0) != 0)
                return -1;
            s->direct = 0;
        }
    }
    return 0;
}

/* Write a full stage, directly when the stream may. @return 0, or -1 and errno. */
static int write_full(ofi_outstream *s, const char *stage)
{
    if (s->direct == -1)
        s->direct = set_direct(s->fd, 1) == 0;
    return write_all(s, stage, OFI_OUTSTREAM_STAGE);
}

/* A stage is mapped apart from the heap: only the pages a small file fills are touched (a
 * heap block would grow the heap by whole 2 MiB pages under glibc.malloc.hugetlb, and give
 * them back at every file). */
static char *map_stage(void)
{
    void *m = mmap(NULL, OFI_OUTSTREAM_STAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* The background pipeline of a stream's full stages: a hashing thread and a writing
 * thread, over a ring of WRITER_RING stages. The caller fills one stage while the one
 * before is hashed and the one before that written, so neither the hash (10M case list:
 * ~0.25 s) nor the device (direct writes: ~1.3 s for its 1.7 GB, which the ordered
 * section of the parallel writer used to wait for in turn) is the caller's time. Bytes
 * reach the hash and the file in the order they were written: stage k is hashed after
 * stage k - 1, and written after it too. */
#define WRITER_RING 3

typedef struct ofi_writer {
    pthread_t hasher, writer;
    int n_threads; /* started: 0, 1 (the hasher) or 2 */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ofi_outstream *s;           /* the hasher's: hash; the writer's: fd, direct */
    char *buf[WRITER_RING];     /* stage k lives in buf[k % WRITER_RING] */
    uint64_t filled, hashed, written; /* stages handed over, hashed, written */
    int quit;                   /* no more stages will come */
    int err;                    /* errno of the first failed write; later stages dropped */
} ofi_writer;

static void *hasher_main(void *arg)
{
    ofi_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->hashed == w->filled && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->hashed == w->filled)
            break;
        const char *stage = w->buf[w->hashed % WRITER_RING];
        pthread_mutex_unlock(&w->mu);
        XXH64_update(w->s->hash, stage, OFI_OUTSTREAM_STAGE);
        pthread_mutex_lock(&w->mu);
        w->hashed++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void *writer_main(void *arg)
{
    ofi_writer *w = arg;
    ofi_outstream *s = w->s;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->written == w->hashed && !(w->quit && w->written == w->filled))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->written == w->hashed)
            break;
        const char *stage = w->buf[w->written % WRITER_RING];
        const int failed = w->err != 0;
        pthread_mutex_unlock(&w->mu);
        const int err = failed || write_full(s, stage) == 0 ? 0 : errno;
        pthread_mutex_lock(&w->mu);
        if (err != 0)
            w->err = err;
        w->written++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Stop the threads and free the writer and its stages, all but the one being filled
 * (s->stage). @return the first write error (an errno) or 0. */
static int writer_stop(ofi_outstream *s)
{
    ofi_writer *w = s->w;
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->n_threads > 0)
        pthread_join(w->hasher, NULL);
    if (w->n_threads > 1)
        pthread_join(w->writer, NULL);
    const int err = w->err;
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    for (int k = 0; k < WRITER_RING; k++)
        if (w->buf[k] != NULL && w->buf[k] != s->stage)
            munmap(w->buf[k], OFI_OUTSTREAM_STAGE);
    free(w);
    s->w = NULL;
    return err;
}

/* Start the stream's pipeline, its stage the ring's first. @return 0, or -1 (no memory
 * or no thread: the caller writes its stages itself). */
static int writer_start(ofi_outstream *s)
{
    ofi_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return -1;
    w->s = s;
    w->buf[0] = s->stage;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    s->w = w;
    int ok = 1;
    for (int k = 1; k < WRITER_RING && ok; k++)
        ok = (w->buf[k] = map_stage()) != NULL;
    if (ok && pthread_create(&w->hasher, NULL, hasher_main, w) == 0)
        w->n_threads = 1;
    if (w->n_threads == 1 && pthread_create(&w->writer, NULL, writer_main, w) == 0)
        w->n_threads = 2;
    if (w->n_threads < 2) { /* nothing was handed over: stopping loses nothing */
        writer_stop(s);
        return -1;
    }
    return 0;
}

/* The stage is full: hand it over and go on with the next one of the ring once it is
 * free (written here when there is no pipeline). @return 0, or -1 and errno. */
static int flush_stage(ofi_outstream *s)
{
    if (s->w == NULL && (s->no_threads || writer_start(s) != 0)) {
        XXH64_update(s->hash, s->stage, OFI_OUTSTREAM_STAGE);
        if (write_full(s, s->stage) != 0)
            return -1;
        s->len = 0;
        return 0;
    }
    ofi_writer *w = s->w;
    pthread_mutex_lock(&w->mu);
    w->filled++;
    pthread_cond_broadcast(&w->cv);
    while (w->filled - w->written >= WRITER_RING && w->err == 0)
        pthread_cond_wait(&w->cv, &w->mu);
    const int err = w->err;
    s->stage = w->buf[w->filled % WRITER_RING];
    pthread_mutex_unlock(&w->mu);
    if (err != 0) {
        errno = err;
        return -1;
    }
    s->len = 0;
    return 0;
}

ofi_status ofi_outstream_write(ofi_ctx *ctx, ofi_outset *set, ofi_outstream *s, const void *p,
                               size_t n)
{
    ofi_outfile *o = &set->f[s->idx];
    if (n == 0)
        return OFI_OK;
    if (s->stage == NULL && (s->stage = map_stage()) == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    o->size += n;
    const char *q = p;
    while (n > 0) {
        size_t k = OFI_OUTSTREAM_STAGE - s->len;
        if (k > n)
            k = n;
        memcpy(s->stage + s->len, q, k);
        s->len += k;
        q += k;
        n -= k;
        if (s->len == OFI_OUTSTREAM_STAGE && flush_stage(s) != 0)
            return ofi_fail(ctx, OFI_E_OUTPUT, "%s: write error: %s", o->tmp, strerror(errno));
    }
    return OFI_OK;
}

ofi_status ofi_outset_close(ofi_ctx *ctx, ofi_outset *set, ofi_outstream *s)
{
    ofi_status st = OFI_OK;
    if (s->fd < 0)
        return OFI_OK;
    ofi_outfile *o = &set->f[s->idx];
    const int err = s->w != NULL ? writer_stop(s) : 0;
    if (err != 0)
        st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: write error: %s", o->tmp, strerror(err));
    /* The tail is shorter than a block: written through the page cache. */
    if (s->len > 0 && s->direct == 1 && set_direct(s->fd, 0) == 0)
        s->direct = 0;
    if (s->len > 0 && s->hash)
        XXH64_update(s->hash, s->stage, s->len);
    if (st == OFI_OK && s->len > 0 && write_all(s, s->stage, s->len) != 0)
        st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: write error: %s", o->tmp, strerror(errno));
    if (close(s->fd) != 0 && st == OFI_OK)
        st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: close error: %s", o->tmp, strerror(errno));
    s->fd = -1;
    if (s->stage != NULL)
        munmap(s->stage, OFI_OUTSTREAM_STAGE);
    s->stage = NULL;
    s->len = 0;
    if (s->hash) {
        o->xxh64 = XXH64_digest(s->hash);
        XXH64_freeState(s->hash);
        s->hash = NULL;
    }
    return st;
}

ofi_status ofi_outset_put(ofi_ctx *ctx, ofi_outset *set, const char *rel, const ofi_outbuf *b)
{
    if (ofi_outbuf_failed(b))
        return ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory while formatting", rel);
    ofi_outstream s;
    ofi_status st = ofi_outset_open(ctx, set, rel, &s);
    if (st == OFI_OK)
        st = ofi_outstream_write(ctx, set, &s, b->p, b->len);
    ofi_status st2 = ofi_outset_close(ctx, set, &s);
    return st != OFI_OK ? st : st2;
}

const char *ofi_outset_tmp(const ofi_outset *set, const char *rel)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->f[i].rel, rel) == 0)
            return set->f[i].tmp;
    return NULL;
}

/* Before o's rename: the file it replaces, if any, gets a second name (o->prev), so that
 * a later failure can put it back. o->kept: 1 when linked, 0 when there was no file, -1
 * when it could not be linked: a file system without hard links (EPERM on vfat, ENOSYS
 * on some FUSE ones), or a full one (the link needs a directory entry the rename does
 * not). The rename then goes on without a way back, as it did before there was one:
 * the link is a safety net, not a condition of the commit. */
static void keep_previous(ofi_outfile *o)
{
    unlink(o->prev); /* left by a run killed while committing; if it stays, link fails */
    if (link(o->path, o->prev) == 0)
        o->kept = 1;
    else
        o->kept = errno == ENOENT ? 0 : -1;
}

/* After a failed commit: files 0..n_renamed-1 were renamed; put back what they replaced
 * (file n_renamed, when it exists, failed: its second name goes). The first error stays
 * the context's; files that could not be put back are named after it. */
static void put_back(ofi_ctx *ctx, ofi_outset *set, size_t n_renamed)
{
    size_t not_back = 0;
    const ofi_outfile *first = NULL;
    for (size_t j = 0; j < n_renamed; j++) {
        ofi_outfile *o = &set->f[j];
        const int ok = o->kept == 1   ? rename(o->prev, o->path) == 0
                       : o->kept == 0 ? unlink(o->path) == 0 || errno == ENOENT
                                      : 0;
        if (!ok && not_back++ == 0)
            first = o;
    }
    if (n_renamed < set->n && set->f[n_renamed].kept == 1)
        unlink(set->f[n_renamed].prev);
    if (not_back) {
        const size_t len = strlen(ctx->err);
        snprintf(ctx->err + len, sizeof ctx->err - len,
                 "; %zu file%s already renamed could not be put back (%s%s%s)", not_back,
                 not_back == 1 ? "" : "s", first->path,
                 first->kept == 1 ? ": its previous version is " : "",
                 first->kept == 1 ? first->prev : "");
    }
}

ofi_status ofi_outset_commit(ofi_ctx *ctx, ofi_outset *set)
{
    /* What would stop a rename half way (a directory where a file goes) is looked for
     * before the first one, so that it replaces nothing. */
    for (size_t i = 0; i < set->n; i++) {
        struct stat sb;
        if (lstat(set->f[i].path, &sb) == 0 && S_ISDIR(sb.st_mode))
            return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot rename into place: %s",
                            set->f[i].path, strerror(EISDIR));
    }
    /* Renames and a signal handler's removals exclude each other: renaming while the
     * handler removes would leave some new files in place and the others gone. */
    int v = atomic_load(&sig_state);
    do {
        if (v == SIG_STOPPING)
            return ofi_fail(ctx, OFI_E_OUTPUT, "%s: stopped by a signal before the renames",
                            set->root);
    } while (!atomic_compare_exchange_weak(&sig_state, &v, v + 1));
    ofi_status st = OFI_OK;
    size_t i = 0;
    for (; i < set->n; i++) {
        ofi_outfile *o = &set->f[i];
        o->kept = 0;
        if (ctx->commit_pause_ms > 0)
            nanosleep(&(struct timespec){ctx->commit_pause_ms / 1000,
                                         (long)(ctx->commit_pause_ms % 1000) * 1000000L},
                      NULL);
        keep_previous(o);
        if (rename(o->tmp, o->path) != 0) {
            st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot rename into place: %s", o->path,
                          strerror(errno));
            break;
        }
        sig_forget(o->sig_slot);
    }
    if (st == OFI_OK) {
        for (size_t j = 0; j < set->n; j++)
            if (set->f[j].kept == 1)
                unlink(set->f[j].prev);
    } else {
        put_back(ctx, set, i);
    }
    if (st == OFI_OK && set->n > 0)
        atomic_store(&sig_committed, 1);
    atomic_fetch_sub(&sig_state, 1);
    return st;
}

int ofi_outset_committed(void)
{
    return atomic_load(&sig_committed);
}

void ofi_outset_abort(ofi_outset *set)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->f[i].tmp) {
            unlink(set->f[i].tmp);
            sig_forget(set->f[i].sig_slot);
        }
}

void ofi_outset_free(ofi_outset *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++) {
        sig_forget(set->f[i].sig_slot); /* renamed or removed by now, or left to the caller */
        free(set->f[i].rel);
        free(set->f[i].path);
        free(set->f[i].tmp);
        free(set->f[i].prev);
    }
    free(set->f);
    free(set->root);
    for (int k = 0; k < set->n_locks; k++) { /* removed while locked, then released */
        ofi_outlock *l = &set->locks[k];
        sig_forget(l->slot); /* first: once unlinked, the name may be another run's */
        unlink(l->path);
        close(l->fd);
        free(l->path);
    }
    memset(set, 0, sizeof *set);
}
