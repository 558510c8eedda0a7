/* test_outset.c - output files: staged writes, direct and buffered, size and hash, commit
 * (and a commit that fails half way: rename and link are wrapped, see the end).
 *
 * A stream stages bytes in OFI_OUTSTREAM_STAGE-byte blocks; a file that fills one is
 * written with O_DIRECT from then on (unless ctx->no_direct) and its tail through the page
 * cache. Whatever the write sizes and the mode, the file must hold exactly the bytes
 * written, and the set must record their count and XXH64.
 */
#include "ofi/outbuf.h"
#include "ofi/outset.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static char *make_dir(const char *base)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "%s/ofi-outset-XXXXXX", base);
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void remove_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
}

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f != NULL, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    cr_assert(p != NULL);
    cr_assert(fread(p, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* A file holding text (a link's target, a stale lock file). */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "%s: %s", path, strerror(errno));
    cr_assert(fputs(text, f) >= 0 && fclose(f) == 0);
}

/* Expect path to hold exactly text. */
static void expect_text(const char *path, const char *text, const char *what)
{
    size_t n;
    char *got = read_all(path, &n);
    cr_expect(n == strlen(text) && memcmp(got, text, n) == 0, "%s: %s holds \"%.*s\"", what, path,
              (int)n, got);
    free(got);
}

/* Write text as the set's file rel (ofi_outset_put: open, write, close). */
static void put_text(ofi_ctx *ctx, ofi_outset *set, const char *rel, const char *text)
{
    ofi_outbuf b = {0};
    ofi_puts(&b, text);
    cr_assert(ofi_outset_put(ctx, set, rel, &b) == OFI_OK, "%s", ctx->err);
    ofi_outbuf_free(&b);
}

/* Whether the file system under dir takes O_DIRECT at all. */
static int takes_direct(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0666);
    if (fd >= 0)
        close(fd);
    unlink(path);
    return fd >= 0;
}

/* Write data[0..n) to rel in pieces of the sizes given (cycled), close, commit, and check
 * the file, its recorded size and hash, and the mode the stream ended in. */
static void write_and_check(const char *base, int no_direct, const char *data, size_t n,
                            const size_t *pieces, int n_pieces, int no_threads)
{
    char *dir = make_dir(base);
    cr_assert(dir != NULL);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.no_direct = no_direct;
    ctx.no_writer_threads = no_threads;
    ofi_outset set;
    cr_assert(ofi_outset_init(&ctx, &set, dir) == OFI_OK, "%s", ctx.err);
    ofi_outstream s;
    cr_assert(ofi_outset_open(&ctx, &set, "ofi/big.csv", &s) == OFI_OK, "%s", ctx.err);
    size_t off = 0;
    int reached_direct = 0;
    for (int k = 0; off < n; k++) {
        size_t m = pieces[k % n_pieces];
        if (m > n - off)
            m = n - off;
        cr_assert(ofi_outstream_write(&ctx, &set, &s, data + off, m) == OFI_OK, "%s", ctx.err);
        off += m;
    }
    cr_assert(ofi_outset_close(&ctx, &set, &s) == OFI_OK, "%s", ctx.err);
    reached_direct = s.direct_bytes > 0;
    if (no_direct)
        cr_expect(!reached_direct, "no_direct set, yet the stream went direct");
    else if (n >= OFI_OUTSTREAM_STAGE && takes_direct(dir))
        cr_expect(reached_direct, "%zu bytes on a file system taking O_DIRECT, never direct", n);
    else if (n < OFI_OUTSTREAM_STAGE)
        cr_expect(!reached_direct, "%zu bytes (under one stage) went direct", n);
    if (reached_direct)
        cr_expect(s.direct_bytes % OFI_OUTSTREAM_STAGE == 0 && s.direct_bytes <= n,
                  "%llu bytes written direct of %zu: not whole stages",
                  (unsigned long long)s.direct_bytes, n);
    cr_expect(set.f[0].size == n, "recorded size %llu, wrote %zu", (unsigned long long)set.f[0].size, n);
    cr_expect(set.f[0].xxh64 == XXH64(data, n, 0), "recorded hash differs");
    cr_assert(ofi_outset_commit(&ctx, &set) == OFI_OK, "%s", ctx.err);
    char path[512];
    snprintf(path, sizeof path, "%s/ofi/big.csv", dir);
    size_t got_n;
    char *got = read_all(path, &got_n);
    cr_expect(got_n == n, "file has %zu bytes, wrote %zu", got_n, n);
    size_t first = 0;
    while (first < n && first < got_n && got[first] == data[first])
        first++;
    cr_expect(first == n, "file differs from what was written at byte %zu", first);
    snprintf(path, sizeof path, "%s/ofi/.big.csv.tmp", dir);
    cr_expect(access(path, F_OK) != 0, "temporary file left after commit");
    free(got);
    ofi_outset_free(&set);
    remove_tree(dir);
    free(dir);
}

static char *pattern(size_t n, uint64_t seed)
{
    unit_rng r = {seed};
    char *p = malloc(n ? n : 1);
    cr_assert(p != NULL);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(' ' + unit_below(&r, 95));
    return p;
}

static const size_t S = OFI_OUTSTREAM_STAGE;

Test(outset, sizes_around_the_stage_both_modes)
{
    const size_t sizes[] = {0, 1, 4095, 4096, S - 1, S, S + 1, 2 * S, 3 * S + 4097};
    const size_t one[] = {1u << 30};                  /* the whole file in one write */
    const size_t odd[] = {1, 4095, 777777, 3, 65536}; /* writes straddling every boundary */
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char *d = pattern(sizes[k], 0x5eed + k);
        /* Buffered and direct, each with the writer threads and without them. */
        for (int mode = 0; mode < 4; mode++) {
            write_and_check("/tmp", mode & 1, d, sizes[k], one, 1, mode >> 1);
            write_and_check("/tmp", mode & 1, d, sizes[k], odd, 5, mode >> 1);
        }
        free(d);
    }
}

Test(outset, random_writes)
{
    unit_rng r = unit_seed("outset.random_writes");
    const size_t n = 2 * S + unit_below(&r, S);
    char *d = pattern(n, unit_next(&r));
    size_t pieces[7];
    for (int k = 0; k < 7; k++)
        pieces[k] = 1 + unit_below(&r, k < 4 ? 9000 : 3 * S);
    write_and_check("/tmp", 0, d, n, pieces, 7, 0);
    write_and_check("/tmp", 0, d, n, pieces, 7, 1);
    free(d);
}

/* A file system that refuses O_DIRECT (tmpfs before Linux 6.6) leaves the stream buffered,
 * with the same bytes. */
Test(outset, shared_memory_file_system)
{
    struct stat sb;
    if (stat("/dev/shm", &sb) != 0 || !S_ISDIR(sb.st_mode))
        cr_skip_test("no /dev/shm");
    const size_t n = 2 * S + 12345;
    char *d = pattern(n, 42);
    const size_t odd[] = {100000, 1};
    write_and_check("/dev/shm", 0, d, n, odd, 2, 0);
    free(d);
}

Test(outset, directory_in_the_way)
{
    char *dir = make_dir("/tmp");
    cr_assert(dir != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/ofi", dir);
    FILE *f = fopen(path, "w"); /* a file where the ofi/ directory should go */
    cr_assert(f != NULL);
    fclose(f);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_outset set;
    cr_assert(ofi_outset_init(&ctx, &set, dir) == OFI_OK);
    ofi_outstream s;
    cr_expect(ofi_outset_open(&ctx, &set, "ofi/x.csv", &s) == OFI_E_OUTPUT);
    char want[600];
    snprintf(want, sizeof want, "%s/ofi/.x.csv.tmp: cannot write: Not a directory", dir);
    cr_expect(strcmp(ctx.err, want) == 0, "error \"%s\", expected \"%s\"", ctx.err, want);
    cr_expect(ofi_outset_close(&ctx, &set, &s) == OFI_OK, "closing a stream never opened");
    ofi_outset_free(&set);
    remove_tree(dir);
    free(dir);
}

/* A write that fails on the writer thread (here: past the process's file size limit,
 * EFBIG) fails a later write or the close with the file's name and the reason, both
 * buffered and direct, and so does one on the caller's thread (no writer threads); what
 * was written up to the failure is never reported as the file. */
Test(outset, failed_write_is_reported)
{
    signal(SIGXFSZ, SIG_IGN);
    const struct rlimit lim = {3 * S / 2, 3 * S / 2};
    cr_assert(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit: %s", strerror(errno));
    const size_t n = 6 * S;
    char *d = pattern(n, 7);
    for (int mode = 0; mode < 4; mode++) { /* buffered or direct, writer threads or not */
        char *dir = make_dir("/tmp");
        cr_assert(dir != NULL);
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ctx.no_direct = mode & 1;
        ctx.no_writer_threads = mode >> 1;
        ofi_outset set;
        cr_assert(ofi_outset_init(&ctx, &set, dir) == OFI_OK);
        ofi_outstream s;
        cr_assert(ofi_outset_open(&ctx, &set, "ofi/big.csv", &s) == OFI_OK, "%s", ctx.err);
        ofi_status st = OFI_OK;
        for (size_t off = 0; off < n && st == OFI_OK; off += S / 4)
            st = ofi_outstream_write(&ctx, &set, &s, d + off, S / 4);
        const ofi_status st_close = ofi_outset_close(&ctx, &set, &s);
        cr_expect(st != OFI_OK || st_close != OFI_OK, "a write past the limit was not reported");
        cr_expect((st == OFI_OK ? st_close : st) == OFI_E_OUTPUT);
        char want[600];
        snprintf(want, sizeof want, "%s/ofi/.big.csv.tmp: write error: File too large", dir);
        cr_expect(strcmp(ctx.err, want) == 0, "error \"%s\", expected \"%s\"", ctx.err, want);
        ofi_outset_abort(&set);
        snprintf(want, sizeof want, "%s/ofi/.big.csv.tmp", dir);
        cr_expect(access(want, F_OK) != 0, "temporary file left after abort");
        ofi_outset_free(&set);
        remove_tree(dir);
        free(dir);
    }
    free(d);
}

/* Sets writing the same files exclude each other: a second set taking the same lock
 * (here in the same process: a lock belongs to an open file) is refused with the holder's
 * pid and creates nothing, while another name goes on beside it; freeing the first
 * removes its lock file and lets the next one in; a lock file left without a holder (a
 * run killed with SIGKILL) does not stop a run; more than OFI_OUTSET_LOCKS is a usage
 * error. */
Test(outset, one_set_at_a_time_per_lock)
{
    char *dir = make_dir("/tmp");
    cr_assert(dir != NULL);
    char lock[600], want[700];
    snprintf(lock, sizeof lock, "%s/.ofi-run.lock", dir);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_outset a, b, c;
    cr_assert(ofi_outset_init(&ctx, &a, dir) == OFI_OK, "%s", ctx.err);
    cr_assert(ofi_outset_lock(&ctx, &a, "run") == OFI_OK, "%s", ctx.err);
    snprintf(want, sizeof want, "%ld\n", (long)getpid());
    expect_text(lock, want, "the lock file names its holder");
    cr_assert(ofi_outset_init(&ctx, &b, dir) == OFI_OK, "%s", ctx.err);
    cr_expect(ofi_outset_lock(&ctx, &b, "run") == OFI_E_OUTPUT, "a second set with the same lock");
    snprintf(want, sizeof want,
             "%s: another ofi (pid %ld) is writing its run files in this output directory; "
             "nothing was changed",
             dir, (long)getpid());
    cr_expect(strcmp(ctx.err, want) == 0, "error \"%s\", expected \"%s\"", ctx.err, want);
    ofi_outset_free(&b);
    cr_expect(access(lock, F_OK) == 0, "the refused set removed the holder's lock file");
    ofi_ctx_init(&ctx);
    cr_assert(ofi_outset_init(&ctx, &c, dir) == OFI_OK, "%s", ctx.err);
    cr_expect(ofi_outset_lock(&ctx, &c, "variants") == OFI_OK, "another lock name: %s", ctx.err);
    ofi_outset_free(&c);
    ofi_outset_free(&a);
    cr_expect(access(lock, F_OK) != 0, "lock file left after ofi_outset_free");
    write_text(lock, "999999999\n"); /* a stale lock file: no process holds it */
    cr_assert(ofi_outset_init(&ctx, &b, dir) == OFI_OK, "%s", ctx.err);
    cr_expect(ofi_outset_lock(&ctx, &b, "run") == OFI_OK, "a stale lock file: %s", ctx.err);
    const char *names[] = {"a", "b", "c"};
    for (int k = 0; k < 3; k++)
        cr_expect(ofi_outset_lock(&ctx, &b, names[k]) == OFI_OK, "%s", ctx.err);
    cr_expect(ofi_outset_lock(&ctx, &b, "d") == OFI_E_USAGE, "a fifth lock");
    ofi_outset_free(&b);
    cr_expect(access(lock, F_OK) != 0, "lock file left after ofi_outset_free");
    remove_tree(dir);
    free(dir);
}

/* What a signal handler calls: every temporary file not yet renamed, and the lock file, are
 * removed; a file already renamed into place stays; afterwards nothing opens or commits. */
Test(outset, signal_cleanup_removes_temporary_files)
{
    char *dir = make_dir("/tmp");
    cr_assert(dir != NULL);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_outset done, open;
    cr_assert(ofi_outset_init(&ctx, &done, dir) == OFI_OK, "%s", ctx.err);
    put_text(&ctx, &done, "ofi/a.csv", "a\n");
    cr_assert(ofi_outset_commit(&ctx, &done) == OFI_OK, "%s", ctx.err);
    ofi_outset_free(&done);
    cr_assert(ofi_outset_init(&ctx, &open, dir) == OFI_OK, "%s", ctx.err);
    cr_assert(ofi_outset_lock(&ctx, &open, "run") == OFI_OK, "%s", ctx.err);
    put_text(&ctx, &open, "ofi/a.csv", "new\n");
    put_text(&ctx, &open, "dq/b.csv", "new\n");
    char path[600];
    snprintf(path, sizeof path, "%s/dq/.b.csv.tmp", dir);
    cr_assert(access(path, F_OK) == 0, "the temporary file was not written");
    cr_expect(ofi_outset_signal_cleanup() == 0);
    const char *gone[] = {"ofi/.a.csv.tmp", "dq/.b.csv.tmp", ".ofi-run.lock"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, gone[k]);
        cr_expect(access(path, F_OK) != 0, "%s left after the cleanup", gone[k]);
    }
    snprintf(path, sizeof path, "%s/ofi/a.csv", dir);
    expect_text(path, "a\n", "the file renamed before");
    /* The process is ending now: a second handler leaves it to the first, and no set
     * renames or opens a file any more. */
    cr_expect(ofi_outset_signal_cleanup() == 2);
    cr_expect(ofi_outset_commit(&ctx, &open) == OFI_E_OUTPUT, "renamed files after the cleanup");
    char want[700];
    snprintf(want, sizeof want, "%s: stopped by a signal before the renames", dir);
    cr_expect(strcmp(ctx.err, want) == 0, "error \"%s\", expected \"%s\"", ctx.err, want);
    ofi_outstream s;
    cr_expect(ofi_outset_open(&ctx, &open, "ofi/c.csv", &s) == OFI_E_OUTPUT);
    snprintf(path, sizeof path, "%s/ofi/.c.csv.tmp", dir);
    cr_expect(access(path, F_OK) != 0, "a file opened after the cleanup was left");
    cr_expect(ofi_outset_close(&ctx, &open, &s) == OFI_OK);
    ofi_outset_free(&open);
    remove_tree(dir);
    free(dir);
}

/* The lock file is never followed through a symbolic link (its target would be
 * overwritten with the pid): such a root is refused, the target untouched. */
Test(outset, lock_file_is_not_a_symbolic_link)
{
    char *dir = make_dir("/tmp");
    cr_assert(dir != NULL);
    char target[600], lock[600];
    snprintf(target, sizeof target, "%s/victim.txt", dir);
    snprintf(lock, sizeof lock, "%s/.ofi-run.lock", dir);
    write_text(target, "keep me\n");
    cr_assert(symlink(target, lock) == 0);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_outset set;
    cr_assert(ofi_outset_init(&ctx, &set, dir) == OFI_OK, "%s", ctx.err);
    cr_expect(ofi_outset_lock(&ctx, &set, "run") == OFI_E_OUTPUT, "a symbolic link taken as the lock");
    char want[700];
    snprintf(want, sizeof want, "%s: cannot use it as the lock file: %s", lock, strerror(ELOOP));
    cr_expect(strcmp(ctx.err, want) == 0, "error \"%s\", expected \"%s\"", ctx.err, want);
    ofi_outset_free(&set);
    expect_text(target, "keep me\n", "the link's target");
    remove_tree(dir);
    free(dir);
}

/* Whatever lies at a temporary name is replaced, never written through: a symbolic link
 * there (pointing outside the output directory) leaves its target untouched, and the file
 * renamed into place is a regular file with the bytes written. ofi_outset_committed says
 * when a set has renamed its files. */
Test(outset, temporary_name_is_a_new_file)
{
    char *dir = make_dir("/tmp");
    cr_assert(dir != NULL);
    char target[600], link[600], path[600];
    snprintf(target, sizeof target, "%s/victim.txt", dir);
    snprintf(path, sizeof path, "%s/ofi/x.csv", dir);
    write_text(target, "keep me\n");
    snprintf(link, sizeof link, "%s/ofi", dir);
    cr_assert(mkdir(link, 0777) == 0);
    snprintf(link, sizeof link, "%s/ofi/.x.csv.tmp", dir);
    cr_assert(symlink(target, link) == 0);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_outset set;
    cr_assert(ofi_outset_init(&ctx, &set, dir) == OFI_OK, "%s", ctx.err);
    cr_expect(ofi_outset_committed() == 0);
    put_text(&ctx, &set, "ofi/x.csv", "new\n");
    cr_assert(ofi_outset_commit(&ctx, &set) == OFI_OK, "%s", ctx.err);
    cr_expect(ofi_outset_committed() == 1);
    ofi_outset_free(&set);
    expect_text(target, "keep me\n", "the link's target");
    struct stat sb;
    cr_assert(lstat(path, &sb) == 0);
    cr_expect(S_ISREG(sb.st_mode), "the output renamed into place is not a regular file");
    expect_text(path, "new\n", "the output");
    remove_tree(dir);
    free(dir);
}

/* ---- a commit that fails half way -------------------------------------------------------
 * rename and link are wrapped for this suite (tests/unit/CMakeLists.txt): by default they
 * pass through; a test sets which calls fail. */
static const char *fail_rename_to; /* a rename onto a path ending so fails (EIO) */
static int fail_put_back;          /* renames from a ".prev" name fail (EIO) */
static int link_errno;             /* non-zero: every link fails with it */

int __real_rename(const char *from, const char *to);
int __real_link(const char *from, const char *to);

static int ends_with(const char *s, const char *tail)
{
    const size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

int __wrap_rename(const char *from, const char *to)
{
    if ((fail_put_back && ends_with(from, ".prev")) ||
        (fail_rename_to && ends_with(to, fail_rename_to) && !ends_with(from, ".prev"))) {
        errno = EIO;
        return -1;
    }
    return __real_rename(from, to);
}

int __wrap_link(const char *from, const char *to)
{
    if (link_errno) {
        errno = link_errno;
        return -1;
    }
    return __real_link(from, to);
}

/* A directory with old a.csv and c.csv (b.csv has none), and a set writing all three
 * (in that order) with new bytes, closed, not committed. */
static char *three_files(ofi_ctx *ctx, ofi_outset *set)
{
    char *dir = make_dir("/tmp");
    cr_assert(dir != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/a.csv", dir);
    write_text(path, "old a\n");
    snprintf(path, sizeof path, "%s/c.csv", dir);
    write_text(path, "old c\n");
    ofi_ctx_init(ctx);
    cr_assert(ofi_outset_init(ctx, set, dir) == OFI_OK, "%s", ctx->err);
    put_text(ctx, set, "a.csv", "new a\n");
    put_text(ctx, set, "b.csv", "new b\n");
    put_text(ctx, set, "c.csv", "new c\n");
    return dir;
}

/* Nothing but the named files in dir (no .tmp, no .prev). */
static void expect_only(const char *dir, const char *const *names, int n)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | tr '\\n' ' '", dir);
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL);
    char got[512] = "", want[512] = "";
    if (fgets(got, sizeof got, p) == NULL)
        got[0] = '\0'; /* an empty directory */
    pclose(p);
    for (int i = 0; i < n; i++) {
        strcat(want, names[i]);
        strcat(want, " ");
    }
    cr_expect(strcmp(got, want) == 0, "%s holds \"%s\", expected \"%s\"", dir, got, want);
}

/* The last rename fails: the two before it are undone, a.csv's old file returns (the
 * same file: its inode), b.csv, which replaced nothing, goes. */
Test(outset, failed_rename_puts_back_the_earlier_ones)
{
    ofi_ctx ctx;
    ofi_outset set;
    char *dir = three_files(&ctx, &set);
    char path[600], want[800];
    snprintf(path, sizeof path, "%s/a.csv", dir);
    struct stat before, after;
    cr_assert(stat(path, &before) == 0);
    fail_rename_to = "/c.csv";
    cr_expect(ofi_outset_commit(&ctx, &set) == OFI_E_OUTPUT);
    snprintf(want, sizeof want, "%s/c.csv: cannot rename into place: %s", dir, strerror(EIO));
    cr_expect(strcmp(ctx.err, want) == 0, "error \"%s\", expected \"%s\"", ctx.err, want);
    ofi_outset_abort(&set);
    ofi_outset_free(&set);
    expect_text(path, "old a\n", "a.csv put back");
    cr_assert(stat(path, &after) == 0);
    cr_expect(after.st_ino == before.st_ino, "a.csv is a copy, not the file put back");
    snprintf(path, sizeof path, "%s/c.csv", dir);
    expect_text(path, "old c\n", "c.csv never replaced");
    expect_only(dir, (const char *const[]){"a.csv", "c.csv"}, 2);
    remove_tree(dir);
    free(dir);
}

/* On a file system without hard links (ENOSYS: some FUSE ones; EPERM: vfat) the commit
 * goes on without a way back, and succeeds. */
Test(outset, commit_without_hard_links)
{
    ofi_ctx ctx;
    ofi_outset set;
    char *dir = three_files(&ctx, &set);
    link_errno = ENOSYS;
    cr_expect(ofi_outset_commit(&ctx, &set) == OFI_OK, "%s", ctx.err);
    ofi_outset_free(&set);
    char path[600];
    const char *names[3] = {"a.csv", "b.csv", "c.csv"};
    for (int i = 0; i < 3; i++) {
        char want[16];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(want, sizeof want, "new %c\n", names[i][0]);
        expect_text(path, want, "committed");
    }
    expect_only(dir, names, 3);
    remove_tree(dir);
    free(dir);
}

/* When putting back fails too, the error says which file could not be, and where its
 * previous version is: that .prev file is left as it is. */
Test(outset, failed_put_back_names_the_previous_file)
{
    ofi_ctx ctx;
    ofi_outset set;
    char *dir = three_files(&ctx, &set);
    fail_rename_to = "/c.csv";
    fail_put_back = 1;
    cr_expect(ofi_outset_commit(&ctx, &set) == OFI_E_OUTPUT);
    char want[1200], path[600];
    snprintf(want, sizeof want,
             "%s/c.csv: cannot rename into place: %s; 1 file already renamed could not be put "
             "back (%s/a.csv: its previous version is %s/.a.csv.prev)",
             dir, strerror(EIO), dir, dir);
    cr_expect(strcmp(ctx.err, want) == 0, "error \"%s\", expected \"%s\"", ctx.err, want);
    ofi_outset_abort(&set);
    ofi_outset_free(&set);
    snprintf(path, sizeof path, "%s/.a.csv.prev", dir);
    expect_text(path, "old a\n", "the previous a.csv");
    snprintf(path, sizeof path, "%s/a.csv", dir);
    expect_text(path, "new a\n", "a.csv could not be put back");
    expect_only(dir, (const char *const[]){".a.csv.prev", "a.csv", "c.csv"}, 3);
    remove_tree(dir);
    free(dir);
}
