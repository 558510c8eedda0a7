/* csv.h - streaming RFC 4180 reader: bounded chunks of whole records, split for threads.
 *
 * A regular file is mapped read-only and each ofi_csv_next call returns a window of about
 * ctx->chunk_bytes of it (no copy; pages behind the window are unmapped as it moves, so
 * the memory held stays one window). Anything else (a pipe; a file mmap refuses; any
 * file when ctx->no_map) is read into a buffer the reader owns, of the same size. Either
 * way the call returns the next run of whole records, cut into n_split ranges that start
 * on record boundaries, so that threads can split and parse their ranges independently.
 * The window or buffer grows only when a single record is larger than it.
 * A mapped file that shrinks while it is read raises SIGBUS in the process, as with any
 * mapping; inputs are read once, by one run, after their export has finished.
 *
 * Record boundaries are found by jumping from quote to quote: a quote at a field's start
 * opens a quoted field, "" inside it is a quote, another quote closes it; a '\n' outside
 * quoted fields ends a record. Quotes elsewhere are text (as Excel and Python read them).
 *
 * Ownership: ofi_csv_close frees what ofi_csv_open allocated (accepts a zeroed reader).
 * Thread safety: ofi_csv_split and ofi_csv_unescape are pure; the reader itself is not.
 */
#ifndef OFI_CSV_H
#define OFI_CSV_H

#include "ofi/ofi.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* One field of a record, pointing into the buffer. When escaped is set the content holds
 * doubled quotes ("") that stand for one quote each: see ofi_csv_unescape. */
typedef struct ofi_field {
    const char *p;
    uint32_t len;
    uint8_t quoted;  /* the field was enclosed in quotes */
    uint8_t escaped; /* the content contains doubled quotes */
} ofi_field;

enum { OFI_CSV_OK = 0, OFI_CSV_BADQUOTE = 1, OFI_CSV_BADUTF8 = 2, OFI_CSV_BADEOL = 3 };

/* A short description of a split error, for messages. */
const char *ofi_csv_strerror(int st);


/* Split the record starting at p (p < end). Fills up to max_f fields and sets *nf to the
 * real count (which may exceed max_f), *next to the first byte after the record and its
 * line end, and *n_lines to the number of line ends consumed (at most one per record
 * unless quoted fields hold newlines).
 * A '"' opens a quoted field only as the field's first byte; elsewhere it is text. After
 * a closing quote only ',' or a line end may follow (else OFI_CSV_BADQUOTE). A CR outside
 * quotes must be followed by LF (else OFI_CSV_BADEOL).
 * @return OFI_CSV_OK, OFI_CSV_BADQUOTE, OFI_CSV_BADUTF8 or OFI_CSV_BADEOL (in the field at
 * *nf - 1). */
int ofi_csv_split(const char *p, const char *end, ofi_field *f, int max_f, int *nf,
                  const char **next, uint64_t *n_lines);

/* Copy a field's text into out, turning "" into ". @pre out has room for f->len bytes.
 * @return the text length. */
size_t ofi_csv_unescape(const ofi_field *f, char *out);

/* 1 when the record is a blank line: its only field unquoted and empty or all
 * whitespace (space, tab, VT, FF: the NULL test's, a line end aside). A line of spaces is
 * blank to the reference pipeline too (pandas' read_csv skips it); `"  "` is a record. */
static inline int ofi_csv_is_blank(const ofi_field *f, int nf)
{
    if (nf != 1 || f[0].quoted)
        return 0;
    for (uint32_t k = 0; k < f[0].len; k++) {
        const char c = f[0].p[k];
        if (c != ' ' && c != '\t' && c != '\v' && c != '\f')
            return 0;
    }
    return 1;
}

/* Append text to a growable buffer as one CSV field, quoted only where needed (',', '"',
 * CR or LF inside). @return 0 on out of memory. */
int ofi_csv_quote(char **buf, size_t *len, size_t *cap, const char *s, size_t n);

/* The widest header read (an export may carry thousands of columns besides ours). */
#define OFI_CSV_MAX_HEADER 4096

typedef struct ofi_csv_reader {
    int fd;
    char *path;
    char *buf;    /* the buffer, or the window in the mapping (then never written) */
    size_t cap;   /* buffer or window size */
    size_t len;   /* valid bytes in buf */
    size_t taken; /* bytes of buf handed out by the last ofi_csv_next */
    uint64_t off; /* file offset of buf + len */
    int regular;  /* a regular file: read with pread, in parallel parts */
    struct stat opened; /* the file as opened, before any read (a caller may compare) */
    const char *map;   /* the whole file, mapped read-only; NULL when read into buf */
    uint64_t map_len;  /* its size */
    uint64_t pos;      /* mapped: the file offset of buf, the window's start */
    uint64_t unmapped; /* mapped: bytes at the file's start already unmapped (whole pages) */
    int map_slot;      /* mapped: its slot for ofi_csv_mapped_path, or -1 */
    int eof;
    uint64_t line_of_first_record; /* 1-based line number of the first data record */
    int n_header;
    char **header_names; /* n_header names, trimmed, as written */
} ofi_csv_reader;

/* Open path, skip a UTF-8 BOM and read the header record.
 * @return OFI_OK; OFI_E_SOURCE when the file cannot be opened or read or its header is
 * broken (message names the file); OFI_E_NOMEM. */
ofi_status ofi_csv_open(ofi_ctx *ctx, const char *path, ofi_csv_reader *r);

/* The next run of whole records: [*data, *data + *len), with splits[0] = 0 <=
 * splits[1] <= ... <= splits[n_split] = *len on record boundaries. *len is 0 at the end.
 * The data stays valid until the next call.
 * @return OFI_OK, OFI_E_SOURCE (read error) or OFI_E_NOMEM. */
ofi_status ofi_csv_next(ofi_ctx *ctx, ofi_csv_reader *r, int n_split, size_t *splits,
                        const char **data, size_t *len);

/* ofi_csv_next for a caller that will see every byte of the chunk: the boundaries are the
 * line ends, as if the chunk held no quote, with no pass over it to look for one (on a
 * 10M-case export that pass cost more than a tenth of the read). They are right only
 * when the chunk holds no '"'; a caller that meets one calls ofi_csv_again. */
ofi_status ofi_csv_next_lines(ofi_ctx *ctx, ofi_csv_reader *r, int n_split, size_t *splits,
                              const char **data, size_t *len);

/* The chunk the last call handed out (perhaps longer), split as ofi_csv_next does. */
ofi_status ofi_csv_again(ofi_ctx *ctx, ofi_csv_reader *r, int n_split, size_t *splits,
                         const char **data, size_t *len);

void ofi_csv_close(ofi_csv_reader *r);

/* For a SIGBUS handler (async-signal-safe, any thread): the path of the open reader whose
 * mapping holds addr (a page past the end of a file that shrank while it was read), or
 * NULL when addr is in no reader's mapping. Covers 64 mappings open at once. */
const char *ofi_csv_mapped_path(const void *addr);

/* Record split error st of the record at path:line (OFI_E_SOURCE), naming the column of
 * its field k (0-based) from r's header, or the field's number when k lies past it.
 * @return OFI_E_SOURCE. */
ofi_status ofi_csv_fail_at(ofi_ctx *ctx, const ofi_csv_reader *r, const char *path,
                           uint64_t line, int st, int k);

#endif
