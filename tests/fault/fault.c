/* fault.c - failure injection for ofi-fault, a test build of the ofi command.
 *
 * ofi-fault is the ofi command linked with -Wl,--wrap=SYMBOL for the allocation and file
 * calls listed below, so each such call that the ofi library and command make goes through
 * a counter here (the calls made inside libc, libgomp or the MySQL client are not wrapped,
 * and not counted). One environment variable picks one call to fail:
 *
 *   OFI_FAULT=alloc:N   the N-th allocation (1-based) returns NULL with errno ENOMEM
 *   OFI_FAULT=io:N      the N-th file call fails: -1 (NULL, MAP_FAILED) with errno EIO,
 *                       ENOSPC for the writes
 *   OFI_FAULT_COUNT=F   at exit, write "alloc A\nio B\n" to F: how many calls the run
 *                       made, so that a test can walk through every one
 *   OFI_FAULT_TRACE=1   print the stack of the failed call to stderr (ofi-fault is linked
 *                       with -rdynamic: the frames are named)
 *
 * tests/e2e/faults.sh walks them and checks what a failure must leave: exit 2 (out of
 * memory, cannot read) or 4 (cannot write) with one error line, the previous outputs
 * untouched, no temporary file. Counters are atomic: threads may allocate at once (the
 * walk runs with --threads 1, where the order is fixed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { KIND_ALLOC, KIND_IO };

static atomic_ulong calls[2];
static unsigned long fail_at[2]; /* 0: none */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *count_path;
static int trace;

FILE *__real_fopen(const char *path, const char *mode);

/* Not counted itself: __real_fopen, past the wrapper. */
static void write_counts(void)
{
    FILE *f = __real_fopen(count_path, "w");
    if (f == NULL)
        return;
    fprintf(f, "alloc %lu\nio %lu\n", atomic_load(&calls[KIND_ALLOC]), atomic_load(&calls[KIND_IO]));
    fclose(f);
}

/* Read the settings, once. */
static void setup(void)
{
    const char *s = getenv("OFI_FAULT");
    if (s && strncmp(s, "alloc:", 6) == 0)
        fail_at[KIND_ALLOC] = strtoul(s + 6, NULL, 10);
    else if (s && strncmp(s, "io:", 3) == 0)
        fail_at[KIND_IO] = strtoul(s + 3, NULL, 10);
    trace = getenv("OFI_FAULT_TRACE") != NULL;
    count_path = getenv("OFI_FAULT_COUNT");
    if (count_path && *count_path)
        atexit(write_counts);
}

/* 1 when this call is the one to fail. */
static int fails(int kind)
{
    pthread_once(&once, setup);
    const unsigned long k = atomic_fetch_add(&calls[kind], 1) + 1;
    if (fail_at[kind] == 0 || k != fail_at[kind])
        return 0;
    if (trace) {
        void *frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
    }
    return 1;
}

#define FAIL_IF(kind, err, ret)                                                                    \
    do {                                                                                           \
        if (fails(kind)) {                                                                         \
            errno = (err);                                                                         \
            return ret;                                                                            \
        }                                                                                          \
    } while (0)

/* ---- allocation ------------------------------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t m, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
char *__real_strdup(const char *s);

void *__wrap_malloc(size_t n)
{
    FAIL_IF(KIND_ALLOC, ENOMEM, NULL);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t m, size_t n)
{
    FAIL_IF(KIND_ALLOC, ENOMEM, NULL);
    return __real_calloc(m, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    FAIL_IF(KIND_ALLOC, ENOMEM, NULL);
    return __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t a, size_t n)
{
    FAIL_IF(KIND_ALLOC, ENOMEM, NULL);
    return __real_aligned_alloc(a, n);
}

char *__wrap_strdup(const char *s)
{
    FAIL_IF(KIND_ALLOC, ENOMEM, NULL);
    return __real_strdup(s);
}

/* ---- files ----------------------------------------------------------------------------- */

int __real_open(const char *path, int flags, ...);
FILE *__real_fopen(const char *path, const char *mode);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
void *__real_mmap(void *addr, size_t n, int prot, int flags, int fd, off_t off);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
size_t __real_fwrite(const void *p, size_t size, size_t n, FILE *f);
int __real_ftruncate(int fd, off_t len);
int __real_rename(const char *from, const char *to);
int __real_link(const char *from, const char *to);
int __real_mkdir(const char *path, mode_t mode);

int __wrap_open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) { /* O_TMPFILE holds O_DIRECTORY */
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    FAIL_IF(KIND_IO, EIO, -1);
    return __real_open(path, flags, mode);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
    FAIL_IF(KIND_IO, EIO, NULL);
    return __real_fopen(path, mode);
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    FAIL_IF(KIND_IO, EIO, -1);
    return __real_read(fd, buf, n);
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
    FAIL_IF(KIND_IO, EIO, -1);
    return __real_pread(fd, buf, n, off);
}

void *__wrap_mmap(void *addr, size_t n, int prot, int flags, int fd, off_t off)
{
    FAIL_IF(KIND_IO, ENOMEM, MAP_FAILED);
    return __real_mmap(addr, n, prot, flags, fd, off);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    FAIL_IF(KIND_IO, ENOSPC, -1);
    return __real_write(fd, buf, n);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    FAIL_IF(KIND_IO, ENOSPC, -1);
    return __real_pwrite(fd, buf, n, off);
}

/* The stream's error flag stays clear: callers here check the count. */
size_t __wrap_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    FAIL_IF(KIND_IO, ENOSPC, 0);
    return __real_fwrite(p, size, n, f);
}

int __wrap_ftruncate(int fd, off_t len)
{
    FAIL_IF(KIND_IO, EIO, -1);
    return __real_ftruncate(fd, len);
}

int __wrap_rename(const char *from, const char *to)
{
    FAIL_IF(KIND_IO, EIO, -1);
    return __real_rename(from, to);
}

int __wrap_link(const char *from, const char *to)
{
    FAIL_IF(KIND_IO, EPERM, -1);
    return __real_link(from, to);
}

int __wrap_mkdir(const char *path, mode_t mode)
{
    FAIL_IF(KIND_IO, EIO, -1);
    return __real_mkdir(path, mode);
}
