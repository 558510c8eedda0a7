/* csv.c - the streaming CSV reader: chunking by quote parity, record splitting, quoting.
 *
 * Chunking scans only for '"' (memchr); between two quotes the parity is fixed, so record
 * boundaries there are the '\n's, found with memchr/memrchr. On quote-free data this
 * touches each byte a couple of times at memchr speed, far below the cost of parsing.
 */
#include "ofi/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- mapped inputs, for a SIGBUS handler ----------------------------------------------
 * A file mapped for reading that shrinks meanwhile (an export rewritten in place during
 * the run) raises SIGBUS in the thread that touches a page past its new end. The handler
 * can only tell which input it was from process-wide state (as outset.c's temporary file
 * slots): each mapping's range and a copy of its path, published by an atomic flag,
 * cleared when the reader closes. Slots are reused; a handler reads them without locks. */
#define MAP_SLOTS 64
#define MAP_PATH 4096
static char map_path[MAP_SLOTS][MAP_PATH];
static atomic_uintptr_t map_lo[MAP_SLOTS], map_hi[MAP_SLOTS];
static atomic_int map_live[MAP_SLOTS];
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "a signal handler reads these atomics: they must be lock-free");

/* @return the slot of [lo, lo + len) named path, or -1 (none free: that mapping's SIGBUS
 * is reported as an unknown one). */
static int map_register(const void *lo, uint64_t len, const char *path)
{
    const size_t n = strlen(path);
    for (int k = 0; k < MAP_SLOTS && n < MAP_PATH; k++) {
        int free_slot = 0;
        if (!atomic_compare_exchange_strong(&map_live[k], &free_slot, 1))
            continue;
        memcpy(map_path[k], path, n + 1);
        atomic_store(&map_lo[k], (uintptr_t)lo);
        atomic_store(&map_hi[k], (uintptr_t)lo + (uintptr_t)len);
        return k;
    }
    return -1;
}

static void map_forget(int slot)
{
    if (slot < 0)
        return;
    atomic_store(&map_hi[slot], 0);
    atomic_store(&map_live[slot], 0);
}

const char *ofi_csv_mapped_path(const void *addr)
{
    const uintptr_t a = (uintptr_t)addr;
    for (int k = 0; k < MAP_SLOTS; k++) {
        const uintptr_t hi = atomic_load(&map_hi[k]);
        if (hi != 0 && a >= atomic_load(&map_lo[k]) && a < hi)
            return map_path[k];
    }
    return NULL;
}

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* 1 when [s, s+n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        unsigned cp = c & (0x3F >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* ---- splitting ------------------------------------------------------------------------- */

/* Byte classes for the unquoted-field scanner: 0 plain (a '"' inside an unquoted field is
 * plain text, as in Excel and Python's csv), 1 ',', 2 '\n', 4 '\r'; bytes >= 0x80 are
 * class 5 (non-ASCII, validated as UTF-8 at the field's end). */
static const unsigned char cls[128] = {[','] = 1, ['\n'] = 2, ['\r'] = 4};

static inline unsigned byte_class(unsigned char c)
{
    return c & 0x80 ? 5u : cls[c];
}

/* The first byte of [p, end) that is not plain (class 0), or end. Sixteen bytes at a time
 * with SSE2 (every x86-64 has it) while sixteen remain; fields are short, so most are
 * settled by one load. */
static inline const char *skip_plain(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)p);
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
                                         _mm_cmpeq_epi8(v, cr));
        /* movemask of v itself: the bytes >= 0x80 */
        const unsigned mask = (unsigned)(_mm_movemask_epi8(hit) | _mm_movemask_epi8(v));
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && byte_class((unsigned char)*p) == 0)
        p++;
    return p;
}

int ofi_csv_split(const char *p, const char *end, ofi_field *f, int max_f, int *nf,
                  const char **next, uint64_t *n_lines)
{
    int k = 0;
    uint64_t lines = 0;
    int st = OFI_CSV_OK;
    for (;;) {
        ofi_field fld = {p, 0, 0, 0};
        int ended = 0; /* the record ends after this field */
        if (p < end && *p == '"') {
            const char *s = ++p;
            fld.quoted = 1;
            for (;;) {
                const char *q = memchr(p, '"', (size_t)(end - p));
                if (q == NULL) {
                    st = OFI_CSV_BADQUOTE;
                    p = end;
                    goto done_field;
                }
                for (const char *c = p; (c = memchr(c, '\n', (size_t)(q - c))) != NULL; c++)
                    lines++;
                if (q + 1 < end && q[1] == '"') {
                    fld.escaped = 1;
                    p = q + 2;
                    continue;
                }
                fld.p = s;
                fld.len = (uint32_t)(q - s);
                p = q + 1;
                break;
            }
            if (!utf8_valid((const unsigned char *)fld.p, fld.len))
                st = OFI_CSV_BADUTF8;
            if (p == end) {
                ended = 1;
            } else if (*p == ',') {
                p++;
            } else if (*p == '\n') {
                p++;
                lines++;
                ended = 1;
            } else if (*p == '\r' && p + 1 < end && p[1] == '\n') {
                p += 2;
                lines++;
                ended = 1;
            } else {
                st = OFI_CSV_BADQUOTE;
            }
        } else {
            const char *s = p;
            int high = 0;
            for (;;) {
                p = skip_plain(p, end);
                if (p == end) {
                    ended = 1;
                    fld.len = (uint32_t)(p - s);
                    break;
                }
                unsigned c = byte_class((unsigned char)*p);
                if (c == 1) {
                    fld.len = (uint32_t)(p - s);
                    p++;
                    break;
                } else if (c == 2) {
                    fld.len = (uint32_t)(p - s);
                    p++;
                    lines++;
                    ended = 1;
                    break;
                } else if (c == 4) {
                    if (p + 1 < end && p[1] == '\n') {
                        fld.len = (uint32_t)(p - s);
                        p += 2;
                        lines++;
                        ended = 1;
                        break;
                    }
                    st = OFI_CSV_BADEOL; /* a lone CR: neither LF nor CRLF */
                    fld.len = (uint32_t)(p - s);
                    break;
                } else {
                    high = 1;
                    p++;
                }
            }
            if (high && st == OFI_CSV_OK && !utf8_valid((const unsigned char *)s, fld.len))
                st = OFI_CSV_BADUTF8;
        }
    done_field:
        if (k < max_f)
            f[k] = fld;
        k++;
        if (st != OFI_CSV_OK || ended)
            break;
    }
    if (st != OFI_CSV_OK) {
        /* Skip to the end of the physical line so a caller can still count lines. */
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        p = nl ? nl + 1 : end;
    }
    *nf = k;
    *next = p;
    *n_lines = lines;
    return st;
}

ofi_status ofi_csv_fail_at(ofi_ctx *ctx, const ofi_csv_reader *r, const char *path,
                           uint64_t line, int st, int k)
{
    if (k >= 0 && k < r->n_header)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s:%llu: %s (column %s)", path,
                        (unsigned long long)line, ofi_csv_strerror(st), r->header_names[k]);
    return ofi_fail(ctx, OFI_E_SOURCE, "%s:%llu: %s (field %d, past the header's %d)", path,
                    (unsigned long long)line, ofi_csv_strerror(st), k + 1, r->n_header);
}

const char *ofi_csv_strerror(int st)
{
    switch (st) {
    case OFI_CSV_BADQUOTE:
        return "broken quoting";
    case OFI_CSV_BADUTF8:
        return "invalid UTF-8";
    case OFI_CSV_BADEOL:
        return "lone CR line end (only LF and CRLF are supported)";
    default:
        return "ok";
    }
}

size_t ofi_csv_unescape(const ofi_field *f, char *out)
{
    if (!f->escaped) {
        memcpy(out, f->p, f->len);
        return f->len;
    }
    size_t o = 0;
    for (uint32_t i = 0; i < f->len; i++) {
        out[o++] = f->p[i];
        if (f->p[i] == '"')
            i++; /* the second quote of a pair */
    }
    return o;
}

int ofi_csv_quote(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    int need = 0;
    size_t extra = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ',' || c == '\n' || c == '\r')
            need = 1;
        else if (c == '"')
            need = 1, extra++;
    }
    size_t want = *len + n + extra + 2;
    if (want > *cap) {
        size_t nc = *cap ? *cap : 64;
        while (nc < want)
            nc *= 2;
        char *b = realloc(*buf, nc);
        if (b == NULL)
            return 0;
        *buf = b;
        *cap = nc;
    }
    char *o = *buf + *len;
    if (need)
        *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        *o++ = s[i];
        if (s[i] == '"')
            *o++ = '"';
    }
    if (need)
        *o++ = '"';
    *len = (size_t)(o - *buf);
    return 1;
}

/* ---- the reader ------------------------------------------------------------------------ */

/* Below this many bytes, one thread does a chunk-wide step (a fill, a quote search). */
#define PARALLEL_MIN (4u << 20)

/* Mapped: the window is the file from pos on, at most cap bytes; the one after it is
 * announced to the kernel (MADV_WILLNEED), so that a file not yet in the page cache is read
 * ahead while this window is parsed. */
static void map_window(ofi_csv_reader *r)
{
    const uint64_t left = r->map_len - r->pos;
    r->buf = (char *)r->map + r->pos; /* read-only: never written in mapped mode */
    r->len = left < r->cap ? (size_t)left : r->cap;
    r->eof = r->len == left;
    r->off = r->pos + r->len;
    if (!r->eof) {
        const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        const uintptr_t a = (uintptr_t)(r->buf + r->len) & ~(page - 1);
        const size_t more = left - r->len < r->cap ? (size_t)(left - r->len) : r->cap;
        madvise((void *)a, (size_t)((uintptr_t)(r->buf + r->len) - a) + more, MADV_WILLNEED);
    }
}

/* Mapped: move the window's start forward by n bytes and unmap the whole pages behind it
 * (nothing points there any more: records handed out before are dead by contract). */
static void map_advance(ofi_csv_reader *r, size_t n)
{
    r->pos += n;
    const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    const uint64_t done = r->pos & ~(page - 1);
    if (done > r->unmapped) {
        munmap((void *)(r->map + r->unmapped), (size_t)(done - r->unmapped));
        r->unmapped = done;
    }
    map_window(r);
}

/* Fill the buffer from the file until full or end of file; mapped, take the next window.
 * A regular file that is not mapped is read with one pread() per thread over equal parts
 * of the free space, so that copying a chunk out of the page cache (a serial step between
 * parallel parses otherwise) takes 1/n of the time; the bytes are the same. A part that
 * comes back short (end of file, or a short read) ends the parallel step there, and the
 * plain loop finishes the fill. */
static ofi_status fill(ofi_ctx *ctx, ofi_csv_reader *r)
{
    if (r->map) {
        map_window(r);
        return OFI_OK;
    }
    const int nt = ctx->n_threads;
    const size_t room = r->cap - r->len;
    if (r->regular && !r->eof && nt > 1 && room >= PARALLEL_MIN) {
        ssize_t got[64];
        int err[64];
        const int np = nt < 64 ? nt : 64;
        const size_t part = room / (size_t)np;
#pragma omp parallel for num_threads(np) schedule(static, 1)
        for (int k = 0; k < np; k++) {
            const size_t lo = part * (size_t)k, n = k == np - 1 ? room - lo : part;
            ssize_t g;
            do
                g = pread(r->fd, r->buf + r->len + lo, n, (off_t)(r->off + lo));
            while (g < 0 && errno == EINTR);
            got[k] = g;
            err[k] = g < 0 ? errno : 0;
        }
        for (int k = 0; k < np; k++) {
            if (got[k] < 0)
                return ofi_fail(ctx, OFI_E_SOURCE, "%s: read error: %s", r->path, strerror(err[k]));
            r->len += (size_t)got[k];
            r->off += (uint64_t)got[k];
            const size_t want = k == np - 1 ? room - part * (size_t)k : part;
            if ((size_t)got[k] < want)
                break; /* the parts after a short one are not contiguous with it */
        }
    }
    while (!r->eof && r->len < r->cap) {
        ssize_t got = r->regular ? pread(r->fd, r->buf + r->len, r->cap - r->len, (off_t)r->off)
                                 : read(r->fd, r->buf + r->len, r->cap - r->len);
        if (got < 0) {
            /* A signal: read on, unless it asked a cooperative stop (a pipe or a FIFO may
             * block for long: see ofi_stop). */
            if (errno == EINTR && !ofi_stopped(ctx))
                continue;
            if (errno == EINTR)
                return ctx->status;
            return ofi_fail(ctx, OFI_E_SOURCE, "%s: read error: %s", r->path, strerror(errno));
        }
        if (got == 0)
            r->eof = 1;
        r->len += (size_t)got;
        r->off += (uint64_t)got;
    }
    return OFI_OK;
}

static ofi_status grow(ofi_ctx *ctx, ofi_csv_reader *r)
{
    if (r->map) { /* a wider window; fill() maps it */
        r->cap *= 2;
        return OFI_OK;
    }
    char *b = realloc(r->buf, r->cap * 2);
    if (b == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory for a record", r->path);
    r->buf = b;
    r->cap *= 2;
    return OFI_OK;
}

static void trim_name(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t' || **s == '\r')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

ofi_status ofi_csv_open(ofi_ctx *ctx, const char *path, ofi_csv_reader *r)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->map_slot = -1;
    r->path = strdup(path);
    r->cap = ctx->chunk_bytes < 4096 ? 4096 : ctx->chunk_bytes;
    if (r->path == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory", path);
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return ofi_fail(ctx, OFI_E_SOURCE, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    r->regular = fstat(r->fd, &sb) == 0 && S_ISREG(sb.st_mode);
    r->opened = sb;
    /* Mapping saves copying every byte out of the page cache (a serial memcpy the size of
     * the input, before any parsing); pages are mapped as the parse threads touch them. */
    if (r->regular && !ctx->no_map && sb.st_size > 0 && (uint64_t)sb.st_size <= SIZE_MAX) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
        if (m != MAP_FAILED) {
            r->map = m;
            r->map_len = (uint64_t)sb.st_size;
            r->map_slot = map_register(m, r->map_len, path);
            const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
            if (ctx->map_wait != NULL && strcmp(base, ctx->map_wait) == 0) {
                /* A test shrinks the file now: wait until it has (20 s at most). */
                ofi_log(ctx, OFI_LOG_INFO, "test: mapped %s", path);
                struct stat now;
                for (int i = 0; i < 2000 && fstat(r->fd, &now) == 0 && now.st_size == sb.st_size;
                     i++)
                    nanosleep(&(struct timespec){0, 10000000L}, NULL);
            }
        }
    }
    if (r->map == NULL && (r->buf = malloc(r->cap)) == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory", path);
    OFI_TRY(fill(ctx, r));
    size_t start = 0;
    uint64_t blank_lines = 0;
    if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    /* The header: one record, possibly with quoted names. Grow until it fits. */
    for (;;) {
        ofi_field f[OFI_CSV_MAX_HEADER];
        int nf;
        const char *next;
        uint64_t lines;
        const char *b = r->buf + start, *e = r->buf + r->len;
        if (b == e) {
            if (!r->eof) {
                OFI_TRY(grow(ctx, r));
                OFI_TRY(fill(ctx, r));
                continue;
            }
            return ofi_fail(ctx, OFI_E_SOURCE, "%s:1: empty file, no header row", path);
        }
        int st = ofi_csv_split(b, e, f, OFI_CSV_MAX_HEADER, &nf, &next, &lines);
        if (st == OFI_CSV_OK && ofi_csv_is_blank(f, nf) && next < e) {
            start = (size_t)(next - r->buf); /* blank lines before the header */
            blank_lines += lines;
            continue;
        }
        if (next == e && !r->eof) {
            /* The header may go on past the buffer: read more and split again. */
            if (r->len == r->cap)
                OFI_TRY(grow(ctx, r));
            OFI_TRY(fill(ctx, r));
            continue;
        }
        const unsigned long long hl = (unsigned long long)blank_lines + 1;
        if (st != OFI_CSV_OK)
            return ofi_fail(ctx, OFI_E_SOURCE, "%s:%llu: header: %s", path, hl, ofi_csv_strerror(st));
        if (nf > OFI_CSV_MAX_HEADER)
            return ofi_fail(ctx, OFI_E_SOURCE, "%s:%llu: header: more than %d columns", path, hl,
                            OFI_CSV_MAX_HEADER);
        r->header_names = calloc((size_t)nf, sizeof *r->header_names);
        if (r->header_names == NULL)
            return ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory", path);
        for (int i = 0; i < nf; i++) {
            char *name = malloc((size_t)f[i].len + 1);
            if (name == NULL)
                return ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory", path);
            size_t n = ofi_csv_unescape(&f[i], name);
            const char *s = name;
            trim_name(&s, &n);
            memmove(name, s, n);
            name[n] = '\0';
            r->header_names[r->n_header++] = name; /* freed by ofi_csv_close */
        }
        r->line_of_first_record = 1 + blank_lines + (lines ? lines : 1);
        /* Drop the header from the buffer. */
        size_t used = (size_t)(next - r->buf);
        if (r->map) {
            map_advance(r, used);
            return OFI_OK;
        }
        memmove(r->buf, r->buf + used, r->len - used);
        r->len -= used;
        return OFI_OK;
    }
}

/* Scan buf[0, len) for record boundaries. Returns the end of the last whole record (0 when
 * none) and puts into splits[1..n_split-1] the first boundary at or after each target.
 *
 * Only quotes change the state, so the scan jumps from quote to quote with memchr. A
 * quote opens a quoted field only at a field's start (after ',' or a line end, or at the
 * chunk start, which is a record start); elsewhere outside quotes it is text. Inside
 * quotes, "" is a quote and any other quote closes the field. Between quotes, outside a
 * quoted field, every '\n' ends a record. */
static size_t scan_boundaries(const char *buf, size_t len, int n_split, size_t *splits,
                              int quote_free)
{
    size_t last = 0, pos = 0;
    int quoted = 0, k = 1;
    while (pos < len) {
        const char *q = quote_free ? NULL : memchr(buf + pos, '"', len - pos);
        const size_t qpos = q ? (size_t)(q - buf) : len;
        if (quoted) {
            if (q == NULL)
                break; /* unterminated: no boundary after the opening quote */
            if (qpos + 1 < len && buf[qpos + 1] == '"') {
                pos = qpos + 2; /* an escaped quote */
                continue;
            }
            quoted = 0;
            pos = qpos + 1;
            continue;
        }
        if (qpos > pos) {
            while (k < n_split) {
                size_t target = len / (size_t)n_split * (size_t)k;
                size_t from = target > pos ? target : pos;
                if (from >= qpos)
                    break;
                const char *nl = memchr(buf + from, '\n', qpos - from);
                if (nl == NULL)
                    break;
                splits[k++] = (size_t)(nl - buf) + 1;
            }
            const char *nl = memrchr(buf + pos, '\n', qpos - pos);
            if (nl)
                last = (size_t)(nl - buf) + 1;
        }
        if (q == NULL)
            break;
        if (qpos == 0 || buf[qpos - 1] == ',' || buf[qpos - 1] == '\n')
            quoted = 1;
        pos = qpos + 1;
    }
    for (; k < n_split; k++)
        splits[k] = len; /* clamped to the chunk end by the caller */
    return last;
}

/* 1 when buf[0, len) holds no quote, looked for by nt threads over equal parts when the
 * chunk is big: on quote-free data (most exports) the record boundaries are then just line
 * ends, and the one serial pass over the chunk before the parallel parse (which, for a
 * mapped file, also took every page fault) is gone. */
static int quote_free(const char *buf, size_t len, int nt)
{
    if (nt < 2 || len < PARALLEL_MIN)
        return memchr(buf, '"', len) == NULL;
    int found = 0;
#pragma omp parallel for num_threads(nt) schedule(static, 1) reduction(| : found)
    for (int t = 0; t < nt; t++) {
        const size_t lo = len / (size_t)nt * (size_t)t;
        const size_t hi = t == nt - 1 ? len : len / (size_t)nt * (size_t)(t + 1);
        found |= memchr(buf + lo, '"', hi - lo) != NULL;
    }
    return !found;
}

/* ofi_csv_next, and with trust ofi_csv_next_lines: every line end taken for a record
 * boundary, no quote looked for. */
static ofi_status next_chunk(ofi_ctx *ctx, ofi_csv_reader *r, int n_split, size_t *splits,
                             const char **data, size_t *len, int trust)
{
    /* Drop what the last call handed out. */
    if (r->taken && r->map) {
        map_advance(r, r->taken);
        r->taken = 0;
    } else if (r->taken) {
        memmove(r->buf, r->buf + r->taken, r->len - r->taken);
        r->len -= r->taken;
        r->taken = 0;
    }
    for (;;) {
        OFI_TRY(fill(ctx, r));
        size_t end = scan_boundaries(r->buf, r->len, n_split, splits,
                                     trust || quote_free(r->buf, r->len, ctx->n_threads));
        if (r->eof)
            end = r->len; /* the last record may lack its line end */
        if (end == 0 && r->len > 0) {
            OFI_TRY(grow(ctx, r)); /* one record larger than the buffer */
            continue;
        }
        splits[0] = 0;
        for (int k = 1; k < n_split; k++) {
            if (splits[k] > end)
                splits[k] = end;
            if (splits[k] < splits[k - 1])
                splits[k] = splits[k - 1];
        }
        splits[n_split] = end;
        *data = r->buf;
        *len = end;
        r->taken = end;
        return OFI_OK;
    }
}

ofi_status ofi_csv_next(ofi_ctx *ctx, ofi_csv_reader *r, int n_split, size_t *splits,
                        const char **data, size_t *len)
{
    return next_chunk(ctx, r, n_split, splits, data, len, 0);
}

ofi_status ofi_csv_next_lines(ofi_ctx *ctx, ofi_csv_reader *r, int n_split, size_t *splits,
                              const char **data, size_t *len)
{
    return next_chunk(ctx, r, n_split, splits, data, len, 1);
}

ofi_status ofi_csv_again(ofi_ctx *ctx, ofi_csv_reader *r, int n_split, size_t *splits,
                         const char **data, size_t *len)
{
    r->taken = 0; /* hand out the same bytes, and perhaps more */
    return next_chunk(ctx, r, n_split, splits, data, len, 0);
}

void ofi_csv_close(ofi_csv_reader *r)
{
    if (r == NULL)
        return;
    if (r->path != NULL && r->fd >= 0) /* a zeroed reader has fd 0 but no path */
        close(r->fd);
    if (r->map) {
        map_forget(r->map_slot);
        munmap((void *)(r->map + r->unmapped), (size_t)(r->map_len - r->unmapped));
    } else {
        free(r->buf);
    }
    free(r->path);
    for (int i = 0; i < r->n_header; i++)
        free(r->header_names[i]);
    free(r->header_names);
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->map_slot = -1;
}
