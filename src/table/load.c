/* load.c - parse records into typed columns in parallel, drop duplicate ids, fill tables.
 *
 * The path of a chunk of records:
 *   1. parse   (parallel, one range of records per thread) -> one batch per thread: typed
 *              values of readable rows, their fingerprints and key hashes, thread-local
 *              dictionaries, missing-value counts, and unreadable rows as rejects;
 *   2. number  rows globally (prefix sums over the batches, in order);
 *   3. dedup   (parallel, one index partition per thread; every thread walks all rows in
 *              source order and handles the keys of its partition) -> first row wins;
 *   4. reject  duplicates and unreadable rows, merged in row order, to the callback;
 *   5. keep    stored tables append their kept rows (dictionary codes remapped to the
 *              table's dictionary in first-appearance order); case_timeline and refunds
 *              stream their kept rows through the join.
 * Every step's result is independent of the thread count: only batches' boundaries move.
 *
 * A full-row duplicate has the same primary key as an earlier row, so it is found in the
 * dedup step: each id keeps a 32-bit fingerprint (of XXH3 over the parsed values) of its
 * first row, and a small side set keeps fingerprints of later rows with the same key.
 *
 * Batches belong to the loader and are reused chunk after chunk; thread-local buffers
 * grow inside the parallel region (their size is unknown before parsing), which records
 * out-of-memory per thread and is checked after the region.
 */
#include "ofi/load.h"

#include "ofi/csv.h"
#include "ofi/date.h"
#include "ofi/join.h"
#include "ofi/mysql.h"
#include "ofi/parse.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_FIELDS OFI_CSV_MAX_HEADER

/* ---- batches -------------------------------------------------------------------------- */

typedef struct rejrec {
    uint64_t row;
    char *reason;
    char *raw;
    size_t raw_len;
    int owned; /* in emit_rejects: the strings belong to this list (duplicates) */
} rejrec;

/* Fingerprints of rows whose key repeats with other contents: (key, fp) pairs. */
typedef struct pairset {
    uint64_t *k; /* pairs stored as k[2i], k[2i+1]; both 0 = empty (fp 0 remapped to 1) */
    size_t cap, n;
} pairset;

/* One per thread, side by side in an array: each starts on its own cache line, or the
 * counters one thread bumps per row (n, n_records, ...) would share a line with the end
 * of its neighbour's, and the two parsing threads would take turns owning it. */
typedef struct batch {
    _Alignas(64) size_t n;       /* readable rows */
    size_t cap;
    ofi_colvals col[OFI_MAX_COLS];
    uint64_t *row;               /* record number: local while parsing, then global */
    uint64_t *fp;                /* fingerprint of the parsed row */
    uint64_t *h;                 /* hash of the primary key */
    uint64_t *h_fk;              /* hash of column 1 (the case id of events and refunds) */
    uint64_t *rec_off;           /* offset of the record in the chunk */
    uint32_t **valp;             /* where a kept row's row number goes in the index */
    uint8_t *dup;                /* 0 kept, 1 duplicate id */
    ofi_dict dict[OFI_MAX_COLS]; /* thread-local dictionaries of stored text columns */
    uint32_t *remap[OFI_MAX_COLS];
    uint64_t missing[OFI_MAX_COLS];
    uint64_t n_records, n_lines;
    rejrec *rej;
    size_t n_rej, cap_rej;
    char *scratch;
    size_t cap_scratch;
    int oom;
    int err;             /* OFI_CSV_* error of the first unreadable record, 0 when none */
    int saw_quote;       /* a record of the range holds a '"' (see next_chunk) */
    uint64_t err_line;   /* lines before it, within the range */
    int err_field;       /* its field (0-based) where the error is */
    uint64_t month_key;  /* fast path: "YYYY-MM-" of the last date parsed (0: none) */
    int32_t month_day0;  /* its day number of the 0th of the month */
    int month_len;       /* its days */
    int64_t id_page[2];  /* the id page (ofi_id_hash) of the last primary key and case id */
    uint64_t id_hash[2]; /* hashed, and its hash: ids in order share a page 4096 times */
} batch;

/* Start a batch's caches (after its memory is zeroed). */
static void batch_init(batch *b)
{
    for (int k = 0; k < 2; k++) {
        b->id_page[k] = 0;
        b->id_hash[k] = ofi_id_hash(0);
    }
}

/* ofi_id_hash(key) through the batch's cache k. */
static inline uint64_t id_hash_cached(batch *b, int k, int64_t key)
{
    const int64_t page = key >> OFI_ID_PAGE_BITS;
    if (page != b->id_page[k]) {
        b->id_page[k] = page;
        b->id_hash[k] = ofi_id_hash(key);
    }
    return b->id_hash[k];
}

typedef struct colmap {
    int n_header;
    int src[OFI_MAX_COLS]; /* field index of each spec column, -1 when absent */
    /* The fast path (fast_record): the spec column each field fills (-1: ignored), and
     * the spec columns the file lacks (NULL in every row). fast = 0: generic path only. */
    int fast;
    int8_t field_col[MAX_FIELDS];
    uint32_t absent;
} colmap;

static size_t elem_size(ofi_ctype t)
{
    switch (t) {
    case OFI_COL_DATE:
    case OFI_COL_DATETIME:
        return sizeof(int32_t);
    case OFI_COL_TEXT:
        return sizeof(uint32_t);
    default:
        return sizeof(int64_t);
    }
}

static void *grow(void *p, size_t n, size_t size)
{
    return realloc(p, n * size);
}

static int batch_reserve(batch *b, const ofi_tablespec *spec, size_t need)
{
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < need)
        cap *= 2;
    void *p;
#define GROW(field)                                                                                \
    do {                                                                                           \
        if ((p = grow(b->field, cap, sizeof *b->field)) == NULL)                                   \
            return b->oom = 1, 0;                                                                  \
        b->field = p;                                                                              \
    } while (0)
    GROW(row);
    GROW(fp);
    GROW(h);
    GROW(h_fk);
    GROW(rec_off);
    GROW(valp);
    GROW(dup);
#undef GROW
    for (int c = 0; c < spec->n_cols; c++) {
        if ((p = grow(b->col[c].p, cap, elem_size(spec->cols[c].type))) == NULL)
            return b->oom = 1, 0;
        b->col[c].p = p;
    }
    b->cap = cap;
    return 1;
}

static void batch_reset(batch *b)
{
    b->n = 0;
    memset(b->missing, 0, sizeof b->missing);
    b->n_records = 0;
    b->n_lines = 0;
    b->err = 0;
    b->err_line = 0;
    b->saw_quote = 0;
    for (size_t i = 0; i < b->n_rej; i++) {
        free(b->rej[i].reason);
        free(b->rej[i].raw);
    }
    b->n_rej = 0;
}

static void batch_free(batch *b)
{
    batch_reset(b);
    free(b->row);
    free(b->fp);
    free(b->h);
    free(b->h_fk);
    free(b->rec_off);
    free(b->valp);
    free(b->dup);
    for (int c = 0; c < OFI_MAX_COLS; c++) {
        free(b->col[c].p);
        ofi_dict_free(&b->dict[c]);
        free(b->remap[c]);
    }
    free(b->rej);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

static char *scratch(batch *b, size_t n)
{
    if (n > b->cap_scratch) {
        size_t cap = b->cap_scratch ? b->cap_scratch : 256;
        while (cap < n)
            cap *= 2;
        char *s = realloc(b->scratch, cap);
        if (s == NULL) {
            b->oom = 1;
            return NULL;
        }
        b->scratch = s;
        b->cap_scratch = cap;
    }
    return b->scratch;
}

/* Re-serialise a record's fields as one CSV line (no line end). */
static char *serialise(const ofi_field *f, int nf, size_t *out_len)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int n = nf < MAX_FIELDS ? nf : MAX_FIELDS;
    if (n == 1 && f[0].len == 0) {
        /* A lone empty field must be quoted or it reads back as a blank line. */
        buf = malloc(3);
        if (buf)
            memcpy(buf, "\"\"", 3);
        *out_len = 2;
        return buf;
    }
    for (int i = 0; i < n; i++) {
        char *tmp = malloc(f[i].len + 1);
        if (tmp == NULL)
            goto fail;
        size_t tl = ofi_csv_unescape(&f[i], tmp);
        int ok = (i == 0 || ofi_csv_quote(&buf, &len, &cap, ",", 0)) &&
                 ofi_csv_quote(&buf, &len, &cap, tmp, tl);
        free(tmp);
        if (!ok)
            goto fail;
        if (i + 1 < n) {
            if (len + 1 > cap && !ofi_csv_quote(&buf, &len, &cap, "", 0))
                goto fail;
            buf[len++] = ',';
        }
    }
    if (buf == NULL)
        buf = calloc(1, 1);
    *out_len = len;
    return buf;
fail:
    free(buf);
    return NULL;
}

/* Record an unreadable row. The reason is "column <col>: <what>", followed by the field
 * as written in quotes when fld is given, or just <what> when col is NULL. */
static void add_reject(batch *b, uint64_t row, const ofi_field *f, int nf, const char *col,
                       const char *what, const ofi_field *fld)
{
    if (b->n_rej == b->cap_rej) {
        size_t cap = b->cap_rej ? b->cap_rej * 2 : 16;
        rejrec *r = realloc(b->rej, cap * sizeof *r);
        if (r == NULL) {
            b->oom = 1;
            return;
        }
        b->rej = r;
        b->cap_rej = cap;
    }
    size_t flen = fld ? fld->len : 0;
    size_t cap = strlen(what) + (col ? strlen(col) : 0) + flen + 16;
    char *reason = malloc(cap);
    if (reason == NULL) {
        b->oom = 1;
        return;
    }
    int n = col ? snprintf(reason, cap, "column %s: %s", col, what) : snprintf(reason, cap, "%s", what);
    if (fld) {
        reason[n++] = ' ';
        reason[n++] = '"';
        n += (int)ofi_csv_unescape(fld, reason + n);
        reason[n++] = '"';
        reason[n] = '\0';
    }
    rejrec *r = &b->rej[b->n_rej];
    r->row = row;
    r->reason = reason;
    r->raw = serialise(f, nf, &r->raw_len);
    if (r->raw == NULL) {
        free(r->reason);
        b->oom = 1;
        return;
    }
    b->n_rej++;
}

/* ---- parsing one record ---------------------------------------------------------------- */

static const char *type_word(ofi_ctype t)
{
    switch (t) {
    case OFI_COL_ID:
    case OFI_COL_INT:
    case OFI_COL_FLAG:
        return "integer";
    case OFI_COL_DEC:
    case OFI_COL_MONEY:
        return "decimal";
    case OFI_COL_DATE:
        return "date";
    case OFI_COL_DATETIME:
        return "datetime";
    default:
        return "text";
    }
}

/* Row b->n, its values parsed: its record number, fingerprint (of the 2 words per column
 * in fpv), key hashes and place in the chunk. Both parse paths end here. A table whose id
 * index keeps no fingerprints (keys only, the first read of a streamed table) needs none:
 * its repeats are fingerprinted by the second read. A fingerprint is only ever compared
 * with those of rows of the same id, so the id's own words (column 0) are left out: the
 * cases' 16 columns then hash 240 bytes, XXH3's mid-size path, not 256 and its long one
 * (10M cases: read 0.23 s faster without any fingerprint, timed with and without). */
static inline void commit_row(batch *b, const ofi_table *t, const uint64_t *fpv, uint64_t recno,
                              size_t rec_off)
{
    const ofi_tablespec *spec = t->spec;
    const size_t i = b->n;
    b->row[i] = recno;
    b->fp[i] = t->index.keys_only
                   ? 0
                   : XXH3_64bits(fpv + 2, (size_t)(spec->n_cols - 1) * 2 * sizeof fpv[0]);
    b->h[i] = id_hash_cached(b, 0, b->col[0].i64[i]);
    b->h_fk[i] = spec->n_cols > 1 && spec->cols[1].type == OFI_COL_ID
                     ? id_hash_cached(b, 1, b->col[1].i64[i])
                     : 0;
    b->rec_off[i] = rec_off;
    b->dup[i] = 0;
    b->n = i + 1;
}

static void parse_record(batch *b, const ofi_table *t, const colmap *m, const ofi_field *f, int nf,
                         uint64_t recno, size_t rec_off)
{
    const ofi_tablespec *spec = t->spec;
    if (nf != m->n_header) {
        char what[64];
        snprintf(what, sizeof what, "expected %d fields, found %d", m->n_header, nf);
        add_reject(b, recno, f, nf, NULL, what, NULL);
        return;
    }
    if (!batch_reserve(b, spec, b->n + 1))
        return;
    const size_t i = b->n;
    uint64_t fpv[2 * OFI_MAX_COLS];
    uint32_t nulls = 0;
    for (int c = 0; c < spec->n_cols; c++) {
        const ofi_colspec *cs = &spec->cols[c];
        const int s = m->src[c];
        const ofi_field *fld = s >= 0 ? &f[s] : NULL;
        const char *p = fld ? fld->p : "";
        const size_t len = fld ? fld->len : 0;
        uint64_t bits = 0, tag = 1; /* the value's fingerprint words: present, value */
        int st = OFI_PV_NULL;
        switch (cs->type) {
        case OFI_COL_TEXT: {
            uint32_t code = 0;
            if (fld && !ofi_is_blank(p, len)) {
                const char *txt = p;
                size_t tl = len;
                if (fld->escaped) {
                    char *sc = scratch(b, len);
                    if (sc == NULL)
                        return;
                    tl = ofi_csv_unescape(fld, sc);
                    txt = sc;
                }
                bits = XXH3_64bits(txt, tl);
                if (t->stored) {
                    code = ofi_dict_intern_hashed(&b->dict[c], txt, tl, bits);
                    if (code == 0) {
                        b->oom = 1;
                        return;
                    }
                }
                st = OFI_PV_OK;
            }
            b->col[c].code[i] = code;
            break;
        }
        case OFI_COL_ID:
        case OFI_COL_INT:
        case OFI_COL_FLAG:
        case OFI_COL_MONEY: { /* all held as int64 while parsing; money in cents */
            int64_t v = OFI_NULL_I64;
            st = cs->type == OFI_COL_MONEY ? ofi_parse_money(p, len, &v) : ofi_parse_int(p, len, &v);
            if (st != OFI_PV_OK)
                v = OFI_NULL_I64;
            b->col[c].i64[i] = v;
            bits = (uint64_t)v;
            break;
        }
        case OFI_COL_DEC: {
            double v = NAN;
            st = ofi_parse_dec(p, len, &v);
            if (st != OFI_PV_OK)
                v = NAN;
            b->col[c].f64[i] = v;
            double norm = v == 0.0 ? 0.0 : v; /* -0.0 equals 0.0 */
            memcpy(&bits, &norm, sizeof bits);
            break;
        }
        case OFI_COL_DATE:
        case OFI_COL_DATETIME: {
            int32_t d = OFI_NO_DATE;
            uint64_t tod = 0;
            st = cs->type == OFI_COL_DATE ? ofi_parse_date(p, len, &d)
                                          : ofi_parse_datetime(p, len, &d, &tod);
            if (st != OFI_PV_OK)
                d = OFI_NO_DATE;
            b->col[c].i32[i] = d;
            tag = 1 | (uint64_t)(uint32_t)d << 1; /* the day beside the time: no hash */
            bits = tod;
            break;
        }
        }
        if (st == OFI_PV_BAD || st == OFI_PV_RANGE) {
            char what[48];
            if (st == OFI_PV_BAD)
                snprintf(what, sizeof what, "bad %s", type_word(cs->type));
            else
                snprintf(what, sizeof what, "%s out of range", type_word(cs->type));
            add_reject(b, recno, f, nf, cs->name, what, fld);
            return;
        }
        if (st == OFI_PV_NULL) {
            if (c == 0) {
                add_reject(b, recno, f, nf, cs->name, "NULL primary key", NULL);
                return;
            }
            nulls |= 1u << c;
            fpv[2 * c] = 0;
            fpv[2 * c + 1] = 0;
        } else {
            fpv[2 * c] = tag;
            fpv[2 * c + 1] = bits;
        }
    }
    for (int c = 0; c < spec->n_cols; c++)
        b->missing[c] += (nulls >> c) & 1u;
    commit_row(b, t, fpv, recno, rec_off);
}

/* ---- fast path ---------------------------------------------------------------------------- */

/* A record without a quote is one line, its fields the text between commas. fast_record
 * reads such a record in one pass, each field straight into its typed column, without
 * splitting it into an ofi_field array first, and takes only the common shapes: integers
 * of digits alone, "YYYY-MM-DD" dates, "YYYY-MM-DD HH:MM:SS" datetimes, texts that start
 * with no blank and hold no byte >= 0x80. Anything else (a quote, a NULL, a sign, a space,
 * a fraction, a bad or missing field, a blank line) makes it give the record back
 * untouched, and parse_record reads it: both paths give every value, fingerprint and
 * reject the same bytes (tests/golden/twins holds each shape twice; run_golden.sh and
 * determinism.sh rerun with OFI_GENERIC_PARSE=1, which turns the fast path off).
 * 10M cases, 2 threads (bench/ab.sh, 3 alternated runs): read 7.43 -> 6.72 s. */

static void fast_plan(colmap *m, const ofi_tablespec *spec)
{
    m->fast = m->n_header > 0 && m->n_header <= MAX_FIELDS && spec->n_cols <= 32 && m->src[0] >= 0;
    m->absent = 0;
    for (int j = 0; j < MAX_FIELDS; j++)
        m->field_col[j] = -1;
    for (int c = 0; c < spec->n_cols; c++) {
        const int j = m->src[c];
        if (j < 0)
            m->absent |= 1u << c;
        else if (m->field_col[j] >= 0)
            m->fast = 0; /* one field named by two columns */
        else
            m->field_col[j] = (int8_t)c;
    }
}

/* The first byte of [p, end) that ends or quotes a field or is not ASCII, or end. */
static inline const char *fast_field_end(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'),
                  quote = _mm_set1_epi8('"');
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)p);
        const __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
                         _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)));
        const unsigned mask = (unsigned)(_mm_movemask_epi8(hit) | _mm_movemask_epi8(v));
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && *p != ',' && *p != '\n' && *p != '\r' && *p != '"' && !(*p & 0x80))
        p++;
    return p;
}

static inline int two(const char *s)
{
    const unsigned a = (unsigned)(s[0] - '0'), b = (unsigned)(s[1] - '0');
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* "YYYY-MM-DD" at s (10 bytes readable): its day number, the month's looked up once per
 * run of dates in one month. @return 0 when not such a date. */
static inline int fast_date(batch *b, const char *s, int32_t *days)
{
    uint64_t key;
    memcpy(&key, s, 8); /* "YYYY-MM-" */
    const int d = two(s + 8);
    if (key != b->month_key) {
        const int y1 = two(s), y2 = two(s + 2), mo = two(s + 5);
        if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || s[4] != '-' || s[7] != '-')
            return 0;
        const int y = y1 * 100 + y2;
        if (y < 1)
            return 0;
        b->month_key = key;
        b->month_day0 = ofi_days_from_civil(y, mo, 1) - 1;
        b->month_len = ofi_days_in_month(y, mo);
    }
    if (d < 1 || d > b->month_len)
        return 0;
    *days = b->month_day0 + d;
    return 1;
}

/* The digits at p as a number: the first eight found with one 8-byte load and no branch
 * on their count, the rest one by one. @return the end of the digits (p: none). */
static inline const char *fast_digits(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *e = p;
    if (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        const uint64_t y = x ^ 0x3030303030303030ull; /* digits become bytes 0..9 */
        /* High bit of each byte that is not a digit: 0x80+ already, or > 9 (no carries). */
        const uint64_t bad = (((y & 0x7F7F7F7F7F7F7F7Full) + 0x7676767676767676ull) | y) &
                             0x8080808080808080ull;
        const int n = bad ? __builtin_ctzll(bad) >> 3 : 8; /* little-endian: first byte low */
        if (n == 0) {
            *out = 0;
            return p;
        }
        uint64_t d = y << (8 * (8 - n)); /* the n digits in the high bytes, zeros below */
        d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFull;
        d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFull;
        d = (d * 10000 + (d >> 32)) & 0x00000000FFFFFFFFull;
        v = d;
        e = p + n;
        if (n < 8) {
            *out = v;
            return e;
        }
    }
    while (e < end && (unsigned)(*e - '0') < 10)
        v = v * 10 + (unsigned)(*e++ - '0');
    *out = v;
    return e;
}

/* Read the record at p, or leave it to parse_record. @return 1 when read (*next set, the
 * row committed, or b->oom set), 0 when nothing was changed. */
static int fast_record(batch *b, const ofi_table *t, const colmap *m, const char *p, const char *end,
                       const char **next, uint64_t recno, size_t rec_off)
{
    const ofi_tablespec *spec = t->spec;
    if (!batch_reserve(b, spec, b->n + 1))
        return 1;
    const size_t i = b->n;
    uint64_t fpv[2 * OFI_MAX_COLS]; /* every word written below: no 256-byte clear */
    struct {
        const char *p;
        uint32_t len;
        uint64_t hash;
    } txt[OFI_MAX_COLS];
    const int nh = m->n_header;
    int eol = 0; /* the record ends with a line end, not at the chunk's end */
    for (int j = 0; j < nh; j++) {
        const int c = m->field_col[j];
        const char *e;
        if (c < 0) {
            e = fast_field_end(p, end);
        } else {
            switch (spec->cols[c].type) {
            case OFI_COL_ID:
            case OFI_COL_INT:
            case OFI_COL_FLAG: {
                uint64_t v;
                e = fast_digits(p, end, &v);
                if (e == p || e - p > 18) /* empty, not a digit, or maybe out of range */
                    return 0;
                b->col[c].i64[i] = (int64_t)v;
                fpv[2 * c] = 1;
                fpv[2 * c + 1] = v;
                break;
            }
            case OFI_COL_DATE:
            case OFI_COL_DATETIME: {
                const size_t w = spec->cols[c].type == OFI_COL_DATE ? 10 : 19;
                int32_t d;
                uint64_t tod = 0;
                if ((size_t)(end - p) < w || !fast_date(b, p, &d))
                    return 0;
                if (w == 19) {
                    const int h = two(p + 11), mi = two(p + 14), se = two(p + 17);
                    if ((p[10] != ' ' && p[10] != 'T') || p[13] != ':' || p[16] != ':' || h < 0 ||
                        h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
                        return 0;
                    tod = ((uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)se) * 1000000000u;
                }
                e = p + w;
                b->col[c].i32[i] = d;
                fpv[2 * c] = 1 | (uint64_t)(uint32_t)d << 1;
                fpv[2 * c + 1] = tod;
                break;
            }
            case OFI_COL_TEXT: {
                e = fast_field_end(p, end);
                if (e == p || *p == ' ' || *p == '\t' || *p == '\v' || *p == '\f')
                    return 0; /* NULL, or perhaps blank */
                txt[c].p = p;
                txt[c].len = (uint32_t)(e - p);
                /* For the dictionary (stored tables) and the fingerprint (see commit_row). */
                txt[c].hash = t->stored || !t->index.keys_only
                                  ? XXH3_64bits(p, (size_t)(e - p))
                                  : 0;
                fpv[2 * c] = 1;
                fpv[2 * c + 1] = txt[c].hash;
                break;
            }
            case OFI_COL_MONEY: {
                e = fast_field_end(p, end);
                int64_t v;
                if (ofi_parse_money(p, (size_t)(e - p), &v) != OFI_PV_OK)
                    return 0;
                b->col[c].i64[i] = v;
                fpv[2 * c] = 1;
                fpv[2 * c + 1] = (uint64_t)v;
                break;
            }
            case OFI_COL_DEC: {
                e = fast_field_end(p, end);
                double v;
                if (ofi_parse_dec(p, (size_t)(e - p), &v) != OFI_PV_OK)
                    return 0;
                b->col[c].f64[i] = v;
                const double norm = v == 0.0 ? 0.0 : v;
                fpv[2 * c] = 1;
                memcpy(&fpv[2 * c + 1], &norm, sizeof norm);
                break;
            }
            default:
                return 0;
            }
        }
        /* The field must end where its record says: a comma before the last field, a line
         * end (or the chunk's end) after it. */
        if (j + 1 < nh) {
            if (e == end || *e != ',')
                return 0;
            p = e + 1;
        } else if (e == end) {
            p = e;
        } else if (*e == '\n') {
            p = e + 1;
            eol = 1;
        } else if (*e == '\r' && e + 1 < end && e[1] == '\n') {
            p = e + 2;
            eol = 1;
        } else {
            return 0;
        }
    }
    /* Every field read: commit. */
    for (int c = 0; c < spec->n_cols; c++) {
        if (m->absent >> c & 1u) {
            fpv[2 * c] = fpv[2 * c + 1] = 0;
            if (spec->cols[c].type == OFI_COL_TEXT)
                b->col[c].code[i] = 0;
            else if (spec->cols[c].type == OFI_COL_DEC)
                b->col[c].f64[i] = NAN;
            else if (spec->cols[c].type == OFI_COL_DATE || spec->cols[c].type == OFI_COL_DATETIME)
                b->col[c].i32[i] = OFI_NO_DATE;
            else
                b->col[c].i64[i] = OFI_NULL_I64;
            b->missing[c]++;
        } else if (spec->cols[c].type == OFI_COL_TEXT) {
            uint32_t code = 0;
            if (t->stored) {
                code = ofi_dict_intern_hashed(&b->dict[c], txt[c].p, txt[c].len, txt[c].hash);
                if (code == 0) {
                    b->oom = 1;
                    return 1;
                }
            }
            b->col[c].code[i] = code;
        }
    }
    b->n_records++;
    b->n_lines += (uint64_t)eol;
    commit_row(b, t, fpv, recno, rec_off);
    *next = p;
    return 1;
}

/* Parse the records in [from, to) of a chunk. Stops at the first unreadable record. */
static void parse_range(batch *b, const ofi_table *t, const colmap *m, const char *base, size_t from,
                        size_t to)
{
    const char *p = base + from, *end = base + to;
    ofi_field f[MAX_FIELDS];
    while (p < end && !b->oom) {
        const char *rec = p;
        if (m->fast && fast_record(b, t, m, p, end, &p, b->n_records + 1, (size_t)(rec - base)))
            continue;
        int nf;
        uint64_t lines;
        int st = ofi_csv_split(p, end, f, MAX_FIELDS, &nf, &p, &lines);
        /* Every record with a '"' comes here: the fast path takes none. */
        if (!b->saw_quote && memchr(rec, '"', (size_t)((st != OFI_CSV_OK ? end : p) - rec)))
            b->saw_quote = 1;
        if (st != OFI_CSV_OK) {
            b->err = st;
            b->err_line = b->n_lines;
            b->err_field = nf - 1;
            return;
        }
        b->n_lines += lines;
        if (ofi_csv_is_blank(f, nf))
            continue;
        b->n_records++;
        parse_record(b, t, m, f, nf, b->n_records, (size_t)(rec - base));
    }
}

/* ---- dedup ------------------------------------------------------------------------------ */

/* Insert (key, fp) unless present. @return 1 when inserted, 0 when present, -1 on OOM. */
static int pairset_add(pairset *s, int64_t key, uint64_t fp)
{
    uint64_t k = (uint64_t)key, v = fp ? fp : 1;
    if ((s->n + 1) * 10 >= s->cap * 7) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *nk = calloc(cap * 2, sizeof *nk);
        if (nk == NULL)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (s->k[2 * i + 1] == 0)
                continue;
            size_t j = XXH3_64bits(&s->k[2 * i], 16) & (cap - 1);
            while (nk[2 * j + 1] != 0)
                j = (j + 1) & (cap - 1);
            nk[2 * j] = s->k[2 * i];
            nk[2 * j + 1] = s->k[2 * i + 1];
        }
        free(s->k);
        s->k = nk;
        s->cap = cap;
    }
    uint64_t pair[2] = {k, v};
    size_t j = XXH3_64bits(pair, 16) & (s->cap - 1);
    for (; s->k[2 * j + 1] != 0; j = (j + 1) & (s->cap - 1))
        if (s->k[2 * j] == k && s->k[2 * j + 1] == v)
            return 0;
    s->k[2 * j] = k;
    s->k[2 * j + 1] = v;
    s->n++;
    return 1;
}

typedef struct loader {
    ofi_ctx *ctx;
    ofi_db *db;
    int n_threads;
    batch *b;      /* n_threads batches */
    pairset *side; /* one per index partition, per table */
    ofi_reject_fn reject;
    void *reject_user;
    ofi_load_times *times;
    /* A table loaded with a keys-only index (see load_all): the ids that repeat, and the
     * record number of the last row that repeats one, per partition. */
    ofi_idmap *repeated;
    uint64_t *last_repeat;
} loader;

static ofi_status dedup(loader *L, ofi_table *t)
{
    const int nb = L->n_threads, np = ofi_idmap_n_parts(&t->index);
    uint64_t *pk = calloc((size_t)np, sizeof *pk), *full = calloc((size_t)np, sizeof *full);
    int *oom = calloc((size_t)np, sizeof *oom);
    ofi_status st = OFI_OK;
    if (!pk || !full || !oom) {
        st = ofi_fail(L->ctx, OFI_E_NOMEM, "%s: out of memory", t->spec->name);
        goto cleanup;
    }
#pragma omp parallel for num_threads(L->n_threads) schedule(dynamic, 1)
    for (int p = 0; p < np; p++) {
        ofi_idpart *part = &t->index.parts[p];
        pairset *side = &L->side[p];
        for (int k = 0; k < nb && !oom[p]; k++) {
            batch *b = &L->b[k];
            for (size_t i = 0; i < b->n; i++) {
                if (ofi_idmap_part_of(&t->index, b->h[i]) != p)
                    continue;
                const int64_t key = b->col[0].i64[i];
                const uint32_t fp = ofi_fp32(b->fp[i]);
                uint32_t *fpp, *valp;
                int r = ofi_idpart_insert(&t->index, part, key, fp, &fpp, &valp);
                if (r < 0) {
                    oom[p] = 1;
                    break;
                }
                if (r > 0) {
                    b->valp[i] = valp;
                    b->dup[i] = 0;
                    continue;
                }
                b->dup[i] = 1;
                pk[p]++;
                /* Without the first rows' fingerprints (keys only), note the id: the
                 * full-row duplicates are counted after the table (count_full_dups). */
                if (fpp == NULL) {
                    ofi_idpart *rp = &L->repeated->parts[p];
                    uint32_t *rf, *rv;
                    if (ofi_idpart_insert(L->repeated, rp, key, 1, &rf, &rv) < 0)
                        oom[p] = 1;
                    if (b->row[i] > L->last_repeat[p])
                        L->last_repeat[p] = b->row[i];
                    continue;
                }
                /* A full-row duplicate equals the first row of its id, or an earlier
                 * duplicate of it (kept in the side set). */
                if (*fpp == fp) {
                    full[p]++;
                } else {
                    int added = pairset_add(side, key, b->fp[i]);
                    if (added < 0)
                        oom[p] = 1;
                    else if (added == 0)
                        full[p]++;
                }
            }
        }
    }
    for (int p = 0; p < np; p++) {
        if (oom[p])
            st = ofi_fail(L->ctx, OFI_E_NOMEM, "%s: out of memory for the id index", t->spec->name);
        t->n_pk_dups += pk[p];
        t->n_full_dups += full[p];
    }
cleanup:
    free(pk);
    free(full);
    free(oom);
    return st;
}

/* ---- rejects ---------------------------------------------------------------------------- */

/* Where a chunk's records are, to re-read a rejected duplicate's fields: a CSV chunk
 * (records at byte offsets) or a block of rows of nf fields each (records by index). */
typedef struct rec_source {
    const char *base, *end;
    const ofi_field *rows;
    int nf;
} rec_source;

static void record_fields(const rec_source *src, uint64_t off, ofi_field *f, int *nf)
{
    if (src->rows != NULL) {
        int n = src->nf < MAX_FIELDS ? src->nf : MAX_FIELDS;
        memcpy(f, src->rows + off * (uint64_t)src->nf, (size_t)n * sizeof *f);
        *nf = src->nf;
        return;
    }
    const char *next;
    uint64_t lines;
    ofi_csv_split(src->base + off, src->end, f, MAX_FIELDS, nf, &next, &lines);
}

static int cmp_rej(const void *a, const void *b)
{
    const rejrec *x = a, *y = b;
    return (x->row > y->row) - (x->row < y->row);
}

/* Send this chunk's unreadable and duplicate rows to the callback, in row order. */
static ofi_status emit_rejects(loader *L, ofi_table *t, const rec_source *src)
{
    rejrec *all = NULL;
    size_t n = 0, cap = 0;
    ofi_status st = OFI_OK;
    for (int k = 0; k < L->n_threads; k++) {
        batch *b = &L->b[k];
        size_t want = n + b->n_rej;
        for (size_t i = 0; i < b->n; i++)
            want += b->dup[i] != 0;
        if (want > cap) {
            cap = want * 2;
            rejrec *r = realloc(all, cap * sizeof *r);
            if (r == NULL) {
                st = ofi_fail(L->ctx, OFI_E_NOMEM, "out of memory");
                goto cleanup;
            }
            all = r;
        }
        for (size_t i = 0; i < b->n_rej; i++)
            all[n++] = (rejrec){b->rej[i].row, b->rej[i].reason, b->rej[i].raw, b->rej[i].raw_len, 0};
        for (size_t i = 0; i < b->n; i++) {
            if (!b->dup[i])
                continue;
            ofi_field f[MAX_FIELDS];
            int nf;
            record_fields(src, b->rec_off[i], f, &nf);
            char reason[128];
            snprintf(reason, sizeof reason, "column %s: duplicate id %lld", t->spec->cols[0].name,
                     (long long)b->col[0].i64[i]);
            size_t raw_len;
            char *raw = serialise(f, nf, &raw_len);
            char *rs = strdup(reason);
            if (raw == NULL || rs == NULL) {
                free(raw);
                free(rs);
                st = ofi_fail(L->ctx, OFI_E_NOMEM, "out of memory");
                goto cleanup;
            }
            all[n++] = (rejrec){b->row[i], rs, raw, raw_len, 1};
        }
    }
    if (n)
        qsort(all, n, sizeof *all, cmp_rej);
    for (size_t i = 0; i < n && st == OFI_OK; i++)
        st = L->reject(L->reject_user, t->id, all[i].row, all[i].reason, all[i].raw,
                       all[i].raw_len);
cleanup:
    /* Parse rejects belong to their batch; only the duplicates' strings are ours. */
    for (size_t i = 0; i < n; i++) {
        if (all[i].owned) {
            free(all[i].reason);
            free(all[i].raw);
        }
    }
    free(all);
    return st;
}

/* ---- keeping rows ------------------------------------------------------------------------ */

/* Grow a stored table to hold need rows. The first reservation comes from an estimate of
 * the file's row count (see load_table); growth beyond it is by a quarter, not a
 * doubling, so that columns never carry more than ~25% of slack. */
static ofi_status table_reserve(ofi_table *t, size_t need)
{
    if (need <= t->cap_rows)
        return OFI_OK;
    size_t cap = t->cap_rows ? t->cap_rows : 1024;
    while (cap < need)
        cap += cap / 4 + 1024;
    for (int c = 0; c < t->spec->n_cols; c++) {
        void *p = realloc(t->col[c].p, cap * ofi_table_col_width(t, c));
        if (p == NULL)
            return OFI_E_NOMEM;
        t->col[c].p = p;
    }
    t->cap_rows = cap;
    return OFI_OK;
}

/* A value for a narrow column whose two lowest values are the NULL and "wide" marks: the
 * value itself when it fits (above the wide mark, up to hi), else the wide mark, setting
 * *wide so the caller moves it to the side list. */
static inline int64_t narrow(int64_t v, int64_t null_mark, int64_t wide_mark, int64_t hi, int *wide)
{
    if (v == OFI_NULL_I64)
        return null_mark;
    if (v > wide_mark && v <= hi)
        return v;
    *wide = 1;
    return wide_mark;
}

/* A parent table with more rows than this has an id index larger than a core's cache. */
#define BIG_PARENT 65536
#define PREFETCH_ROWS 16

/* Append the kept rows of all batches to a stored table. */
static ofi_status keep_rows(loader *L, ofi_table *t)
{
    const int nb = L->n_threads;
    const ofi_tablespec *spec = t->spec;
    size_t base[1024];
    size_t total = t->n_rows;
    if (nb > 1024)
        return ofi_fail(L->ctx, OFI_E_USAGE, "too many threads");
    for (int k = 0; k < nb; k++) {
        base[k] = total;
        for (size_t i = 0; i < L->b[k].n; i++)
            total += !L->b[k].dup[i];
    }
    if (total > UINT32_MAX - 1)
        return ofi_fail(L->ctx, OFI_E_SOURCE, "%s: more than %u rows", spec->name, UINT32_MAX - 1);
    if (table_reserve(t, total) != OFI_OK)
        return ofi_fail(L->ctx, OFI_E_NOMEM, "%s: out of memory for %zu rows", spec->name, total);
    /* Merge thread dictionaries in batch order: codes follow first appearance. */
    for (int c = 0; c < spec->n_cols; c++) {
        if (spec->cols[c].type != OFI_COL_TEXT)
            continue;
        for (int k = 0; k < nb; k++) {
            batch *b = &L->b[k];
            uint32_t n = ofi_dict_size(&b->dict[c]);
            uint32_t *r = realloc(b->remap[c], n * sizeof *r);
            if (r == NULL)
                return ofi_fail(L->ctx, OFI_E_NOMEM, "out of memory");
            b->remap[c] = r;
            r[0] = 0;
            for (uint32_t code = 1; code < n; code++) {
                size_t len;
                const char *s = ofi_dict_str(&b->dict[c], code, &len);
                r[code] = ofi_dict_intern(&t->dict[c], s, len);
                if (r[code] == 0)
                    return ofi_fail(L->ctx, OFI_E_NOMEM, "out of memory");
            }
            ofi_dict_free(&b->dict[c]); /* the next chunk starts a fresh local dictionary */
        }
    }
    const ofi_table *parent[OFI_MAX_COLS] = {0};
    for (int f = 0; f < OFI_N_FKS; f++)
        if (ofi_fks[f].child == t->id && t->by_row[ofi_fks[f].child_col])
            parent[ofi_fks[f].child_col] = &L->db->t[ofi_fks[f].parent];
    /* Foreign keys into a big parent (customers: millions of ids in random order) miss
     * the cache on every lookup; their lookups are prefetched PREFETCH_ROWS rows ahead. */
    int far[OFI_MAX_COLS], n_far = 0;
    for (int c = 0; c < spec->n_cols; c++)
        if (parent[c] && parent[c]->n_rows > BIG_PARENT && !parent[c]->ids_dense)
            far[n_far++] = c;
    int any_wide = 0;
#pragma omp parallel for num_threads(L->n_threads) schedule(static, 1) reduction(| : any_wide)
    for (int k = 0; k < nb; k++) {
        batch *b = &L->b[k];
        size_t o = base[k];
        for (size_t i = 0; i < b->n; i++) {
            for (int j = 0; j < n_far && i + PREFETCH_ROWS < b->n; j++)
                ofi_idmap_prefetch(&parent[far[j]]->index, b->col[far[j]].i64[i + PREFETCH_ROWS]);
            if (b->dup[i])
                continue;
            for (int c = 0; c < spec->n_cols; c++) {
                switch (spec->cols[c].type) {
                case OFI_COL_TEXT:
                    t->col[c].code[o] = b->remap[c][b->col[c].code[i]];
                    break;
                case OFI_COL_FLAG:
                    t->col[c].i8[o] = (int8_t)narrow(b->col[c].i64[i], OFI_I8_NULL, OFI_I8_WIDE,
                                                     INT8_MAX, &any_wide);
                    break;
                case OFI_COL_INT:
                    t->col[c].i32[o] = (int32_t)narrow(b->col[c].i64[i], OFI_I32_NULL, OFI_I32_WIDE,
                                                       INT32_MAX, &any_wide);
                    break;
                case OFI_COL_DATE:
                case OFI_COL_DATETIME:
                    t->col[c].i32[o] = b->col[c].i32[i];
                    break;
                case OFI_COL_DEC:
                    t->col[c].f64[o] = b->col[c].f64[i];
                    break;
                default: {
                    const int64_t v = b->col[c].i64[i];
                    if (!t->by_row[c]) {
                        t->col[c].i64[o] = v;
                        break;
                    }
                    /* A foreign key held as its parent's row (parents load first); an
                     * orphan's id goes to the side list below. */
                    const uint32_t r = v == OFI_NULL_I64 ? UINT32_MAX : ofi_table_lookup(parent[c], v);
                    t->col[c].code[o] = r;
                    any_wide |= r == UINT32_MAX && v != OFI_NULL_I64;
                    break;
                }
                }
            }
            if (b->valp[i])
                *b->valp[i] = (uint32_t)o;
            o++;
        }
    }
    /* Values too wide for their narrow column go to its side list, in row order (rare:
     * a sequential pass only when some exist). */
    for (int k = 0; any_wide && k < nb; k++) {
        batch *b = &L->b[k];
        size_t o = base[k];
        for (size_t i = 0; i < b->n; i++) {
            if (b->dup[i])
                continue;
            for (int c = 0; c < spec->n_cols; c++) {
                const ofi_ctype ty = spec->cols[c].type;
                if (ty != OFI_COL_FLAG && ty != OFI_COL_INT && !t->by_row[c])
                    continue;
                const int64_t v = b->col[c].i64[i];
                const int wide = t->by_row[c]     ? t->col[c].code[o] == UINT32_MAX && v != OFI_NULL_I64
                                 : ty == OFI_COL_FLAG ? t->col[c].i8[o] == OFI_I8_WIDE
                                                      : t->col[c].i32[o] == OFI_I32_WIDE;
                if (!wide)
                    continue;
                ofi_wide *w = &t->wide[c];
                if (w->n == w->cap) {
                    size_t cap = w->cap ? w->cap * 2 : 64;
                    uint64_t *r = realloc(w->row, cap * sizeof *r);
                    if (r == NULL)
                        return ofi_fail(L->ctx, OFI_E_NOMEM, "out of memory");
                    w->row = r;
                    int64_t *vv = realloc(w->val, cap * sizeof *vv);
                    if (vv == NULL)
                        return ofi_fail(L->ctx, OFI_E_NOMEM, "out of memory");
                    w->val = vv;
                    w->cap = cap;
                }
                w->row[w->n] = o;
                w->val[w->n++] = v;
            }
            o++;
        }
    }
    t->n_rows = total;
    return OFI_OK;
}

/* Views of this chunk's kept rows for the join. */
static void child_views(loader *L, ofi_child_rows *v, int date_col, int cents_col)
{
    for (int k = 0; k < L->n_threads; k++) {
        batch *b = &L->b[k];
        v[k] = (ofi_child_rows){b->n,
                                b->col[1].i64,
                                b->h_fk,
                                b->dup,
                                date_col >= 0 ? b->col[date_col].i32 : NULL,
                                cents_col >= 0 ? b->col[cents_col].i64 : NULL};
    }
}

/* ---- one table from CSV ------------------------------------------------------------------- */

static ofi_status map_header(ofi_ctx *ctx, const ofi_csv_reader *r, ofi_table *t, colmap *m,
                             const char *path)
{
    m->n_header = r->n_header;
    for (int c = 0; c < t->spec->n_cols; c++) {
        const ofi_colspec *cs = &t->spec->cols[c];
        m->src[c] = -1;
        for (int k = 0; k < r->n_header && m->src[c] < 0; k++)
            if (strcasecmp(r->header_names[k], cs->name) == 0)
                m->src[c] = k;
        for (int k = 0; cs->alias && k < r->n_header && m->src[c] < 0; k++)
            if (strcasecmp(r->header_names[k], cs->alias) == 0)
                m->src[c] = k;
        t->present[c] = m->src[c] >= 0;
        if (c == 0 && m->src[c] < 0)
            return ofi_fail(ctx, OFI_E_SOURCE, "%s:1: missing primary key column %s", path,
                            cs->name);
    }
    fast_plan(m, t->spec);
    if (ctx->generic_parse)
        m->fast = 0;
    return OFI_OK;
}

/* After the parallel parse of a chunk: stop at the first unreadable record (CSV) or out of
 * memory, number rows globally, add up the data-quality counts. */
static ofi_status number_chunk(loader *L, ofi_table *t, const char *name,
                               const ofi_csv_reader *r, uint64_t *rec_base, uint64_t *line)
{
    for (int k = 0; k < L->n_threads; k++) {
        batch *b = &L->b[k];
        if (b->oom)
            return ofi_fail(L->ctx, OFI_E_NOMEM, "%s: out of memory while parsing", name);
        if (b->err) /* CSV only (r set): the line where the record starts, the column */
            return ofi_csv_fail_at(L->ctx, r, name, *line + b->err_line, b->err, b->err_field);
        for (size_t i = 0; i < b->n; i++)
            b->row[i] += *rec_base;
        for (size_t i = 0; i < b->n_rej; i++)
            b->rej[i].row += *rec_base;
        *rec_base += b->n_records;
        *line += b->n_lines;
        t->n_records += b->n_records;
        t->n_rejected += b->n_rej;
        for (int c = 0; c < t->spec->n_cols; c++)
            t->missing[c] += b->missing[c];
    }
    return OFI_OK;
}

/* Size a stored table's columns once, from the first chunk: est rows in all. */
static ofi_status presize(loader *L, ofi_table *t, const char *name, double est)
{
    if (!t->stored || est >= 4e9)
        return OFI_OK;
    if (table_reserve(t, (size_t)est) != OFI_OK)
        return ofi_fail(L->ctx, OFI_E_NOMEM, "%s: out of memory for ~%.0f rows", name, est);
    return OFI_OK;
}

/* The rest of a chunk's path: dedup, rejects, then keep (stored tables) or join. */
static ofi_status finish_chunk(loader *L, ofi_table *t, const rec_source *src, double t0)
{
    ofi_ctx *ctx = L->ctx;
    const int nt = L->n_threads;
    OFI_TRY(dedup(L, t));
    OFI_TRY(emit_rejects(L, t, src));
    for (int k = 0; k < nt; k++)
        for (size_t i = 0; i < L->b[k].n; i++)
            t->n_kept += !L->b[k].dup[i];
    if (t->stored)
        OFI_TRY(keep_rows(L, t));
    double t1 = ofi_now();
    L->times->read += t1 - t0;
    if (!t->stored) {
        ofi_child_rows v[1024];
        if (t->id == OFI_T_TIMELINE) {
            child_views(L, v, OFI_TL_TIMESTAMP, -1);
            ofi_join_timeline(ctx, L->db, v, nt);
        } else {
            child_views(L, v, -1, OFI_REF_AMOUNT);
            ofi_join_refunds(ctx, L->db, v, nt);
        }
        L->times->join += ofi_now() - t1;
    }
    return OFI_OK;
}

/* Open a table's file (dir/<name>.csv, its path in path) and map its header. On failure
 * the reader is still safe to close. */
static ofi_status open_table(loader *L, ofi_table *t, const char *dir, ofi_csv_reader *r, colmap *m,
                             char path[static 4096])
{
    snprintf(path, 4096, "%s/%s.csv", dir, t->spec->name);
    OFI_TRY(ofi_csv_open(L->ctx, path, r));
    return map_header(L->ctx, r, t, m, path);
}

/* Parse a chunk's records into the batches, one range per thread. */
static void parse_chunk(loader *L, const ofi_table *t, const colmap *m, const char *data,
                        const size_t *splits)
{
    const int nt = L->n_threads;
    for (int k = 0; k < nt; k++)
        batch_reset(&L->b[k]);
#pragma omp parallel for num_threads(nt) schedule(static, 1)
    for (int k = 0; k < nt; k++)
        parse_range(&L->b[k], t, m, data, splits[k], splits[k + 1]);
}

/* The next chunk of r, parsed into the batches (*len 0: the end). Until the file shows a
 * quote (*quotes 0), a chunk is split at line ends (ofi_csv_next_lines) and parsed; the
 * parse sees every byte, so when no range met a '"' the chunk holds none and those were
 * its record boundaries. Otherwise (a quoted field may hold a line end) it is split again
 * with quotes in view and parsed again, the first parse's rows, rejects and local
 * dictionaries dropped, and so are the file's later chunks from the start (*quotes 1):
 * a file with quotes parses one chunk twice, at most. */
static ofi_status next_chunk(loader *L, const ofi_table *t, const colmap *m,
                             ofi_csv_reader *r, int *quotes, size_t *splits, const char **data,
                             size_t *len)
{
    const int nt = L->n_threads;
    if (*quotes) {
        OFI_TRY(ofi_csv_next(L->ctx, r, nt, splits, data, len));
        if (*len > 0)
            parse_chunk(L, t, m, *data, splits);
        return OFI_OK;
    }
    OFI_TRY(ofi_csv_next_lines(L->ctx, r, nt, splits, data, len));
    if (*len == 0)
        return OFI_OK;
    parse_chunk(L, t, m, *data, splits);
    for (int k = 0; k < nt; k++)
        *quotes |= L->b[k].saw_quote;
    if (!*quotes)
        return OFI_OK;
    for (int k = 0; k < nt; k++)
        for (int c = 0; c < OFI_MAX_COLS; c++)
            ofi_dict_free(&L->b[k].dict[c]);
    OFI_TRY(ofi_csv_again(L->ctx, r, nt, splits, data, len));
    parse_chunk(L, t, m, *data, splits);
    return OFI_OK;
}

static ofi_status load_table(loader *L, ofi_table *t, const char *dir)
{
    char path[4096];
    ofi_csv_reader r = {0};
    colmap m;
    ofi_status st;
    OFI_CHECK(open_table(L, t, dir, &r, &m, path));
    size_t splits[1025];
    int quotes = 0;
    uint64_t line = r.line_of_first_record;
    uint64_t rec_base = 0;
    struct stat sb;
    const double file_bytes = fstat(r.fd, &sb) == 0 ? (double)sb.st_size : 0.0;
    int estimated = 0;
    for (;;) {
        const char *data;
        size_t len;
        double t0 = ofi_now();
        OFI_CHECK(next_chunk(L, t, &m, &r, &quotes, splits, &data, &len));
        if (len == 0)
            break;
        OFI_CHECK(number_chunk(L, t, path, &r, &rec_base, &line));
        if (!estimated && rec_base > 0) {
            /* The file's rows, from the first chunk's bytes per record. */
            estimated = 1;
            OFI_CHECK(presize(L, t, path, file_bytes / (double)len * (double)rec_base * 1.02 + 1024.0));
        }
        rec_source src = {data, data + len, NULL, 0};
        OFI_CHECK(finish_chunk(L, t, &src, t0));
    }
    t->loaded = 1;
cleanup:
    ofi_csv_close(&r);
    return st;
}

/* Loads one table from a source (arg: the directory of CSV files, or the connection). */
typedef ofi_status (*table_fn)(loader *L, ofi_table *t, void *arg);

/* The second read of a table loaded with a keys-only index (count_full_dups): each chunk
 * is parsed as the first time, its rows are narrowed to those whose id repeats, and those
 * go through dedup again, now into an index with fingerprints. It stops after the last
 * row that repeats an id. */
static ofi_status csv_repeats(loader *L, ofi_table *t, void *arg)
{
    ofi_ctx *ctx = L->ctx;
    const ofi_idmap *rep = L->repeated;
    const int np = ofi_idmap_n_parts(rep);
    uint64_t last = 0;
    for (int p = 0; p < np; p++)
        last = L->last_repeat[p] > last ? L->last_repeat[p] : last;
    char path[4096];
    ofi_csv_reader r = {0};
    colmap m;
    ofi_status st;
    OFI_CHECK(open_table(L, t, arg, &r, &m, path));
    const int nt = L->n_threads;
    size_t splits[1025];
    int quotes = 0;
    uint64_t rec_base = 0;
    while (rec_base < last) {
        const char *data;
        size_t len;
        OFI_CHECK(next_chunk(L, t, &m, &r, &quotes, splits, &data, &len));
        if (len == 0)
            break;
        uint64_t base[1024];
        for (int k = 0; k < nt; k++) {
            const batch *b = &L->b[k];
            if (b->oom)
                OFI_CHECK(ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory while parsing", path));
            if (b->err)
                OFI_CHECK(ofi_fail(ctx, OFI_E_SOURCE, "%s: changed while it was read", path));
            base[k] = rec_base;
            rec_base += b->n_records;
        }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
        for (int k = 0; k < nt; k++) {
            batch *b = &L->b[k];
            size_t o = 0;
            for (size_t i = 0; i < b->n; i++) {
                const int64_t key = b->col[0].i64[i];
                if (b->row[i] + base[k] > last || !ofi_idmap_get(rep, key, NULL))
                    continue;
                b->col[0].i64[o] = key;
                b->fp[o] = b->fp[i];
                b->h[o] = b->h[i];
                b->row[o] = b->row[i] + base[k];
                o++;
            }
            b->n = o;
        }
        OFI_CHECK(dedup(L, t));
    }
cleanup:
    ofi_csv_close(&r);
    return st;
}

/* Full-row duplicates of a table loaded with a keys-only index. The first read counted
 * the rows whose id repeats (duplicate ids, rejected as such) and noted those ids in
 * L->repeated; reread reads the source again and sends the rows of those ids, in order,
 * through dedup with a fingerprinting index: the same counting, row by row, as a load
 * with fingerprints from the start, with an index as large as the ids that repeat. */
static ofi_status count_full_dups(loader *L, ofi_table *t, int np, table_fn reread, void *arg)
{
    if (ofi_idmap_size(L->repeated) == 0)
        return OFI_OK;
    const uint64_t pk = t->n_pk_dups;
    OFI_TRY(ofi_idmap_init(&t->index, np, 0) == OFI_OK
                ? OFI_OK
                : ofi_fail(L->ctx, OFI_E_NOMEM, "%s: out of memory", t->spec->name));
    ofi_status st = reread(L, t, arg);
    /* The second read must see the first one's repeats, no more, no fewer. */
    if (st == OFI_OK && t->n_pk_dups - pk != pk)
        st = ofi_fail(L->ctx, OFI_E_SOURCE, "%s: changed while it was read", t->spec->name);
    ofi_idmap_free(&t->index);
    t->n_pk_dups = pk; /* the second read counted them again */
    return st;
}

/* Parse rows [lo, hi) of a block of nf-field rows. */
static void parse_rows(batch *b, const ofi_table *t, const colmap *m, const ofi_field *rows, int nf,
                       size_t lo, size_t hi)
{
    for (size_t r = lo; r < hi && !b->oom; r++) {
        b->n_records++;
        parse_record(b, t, m, rows + r * (size_t)nf, nf, b->n_records, r);
    }
}

#define MYSQL_CHUNK_ROWS 65536

typedef struct mysql_arg {
    ofi_mysql *conn;
    ofi_extract_fn extract;
    void *extract_user;
} mysql_arg;

static ofi_status load_table_mysql(loader *L, ofi_table *t, const mysql_arg *a)
{
    ofi_mysql *conn = a->conn;
    ofi_ctx *ctx = L->ctx;
    ofi_mysql_stream *s = NULL;
    int present[OFI_MAX_COLS];
    colmap m;
    /* The big tables may be read in key ranges over several connections. */
    const int split = t->id == OFI_T_CASES || t->id == OFI_T_TIMELINE || t->id == OFI_T_REFUNDS;
    ofi_status st = ofi_mysql_open_table(ctx, conn, t->spec, MYSQL_CHUNK_ROWS, split, present, &s);
    if (st != OFI_OK)
        goto cleanup;
    m.n_header = 0;
    m.fast = 0; /* rows arrive as fields: parse_record reads them */
    const char *names[OFI_MAX_COLS];
    for (int c = 0; c < t->spec->n_cols; c++) {
        t->present[c] = present[c];
        if (present[c])
            names[m.n_header] = t->spec->cols[c].name;
        m.src[c] = present[c] ? m.n_header++ : -1;
    }
    if (a->extract)
        OFI_CHECK(a->extract(a->extract_user, t->id, names, m.n_header, NULL, 0));
    const int nt = L->n_threads;
    uint64_t rec_base = 0, line = 0;
    for (;;) {
        const ofi_field *rows;
        size_t n_rows;
        int nf;
        double t0 = ofi_now();
        OFI_CHECK(ofi_mysql_next(ctx, s, &rows, &n_rows, &nf));
        if (n_rows == 0)
            break;
        if (a->extract)
            OFI_CHECK(a->extract(a->extract_user, t->id, names, nf, rows, n_rows));
        for (int k = 0; k < nt; k++)
            batch_reset(&L->b[k]);
#pragma omp parallel for num_threads(nt) schedule(static, 1)
        for (int k = 0; k < nt; k++)
            parse_rows(&L->b[k], t, &m, rows, nf, n_rows * (size_t)k / (size_t)nt,
                       n_rows * (size_t)(k + 1) / (size_t)nt);
        OFI_CHECK(number_chunk(L, t, t->spec->name, NULL, &rec_base, &line));
        rec_source src = {NULL, NULL, rows, nf};
        OFI_CHECK(finish_chunk(L, t, &src, t0));
    }
    if (a->extract)
        OFI_CHECK(a->extract(a->extract_user, t->id, NULL, 0, NULL, 0));
    t->loaded = 1;
cleanup:
    ofi_mysql_stream_close(s);
    return st;
}

/* One table from whichever source the loader reads. */
static ofi_status csv_table(loader *L, ofi_table *t, void *arg)
{
    return load_table(L, t, arg);
}

static ofi_status mysql_table(loader *L, ofi_table *t, void *arg)
{
    return load_table_mysql(L, t, arg);
}

static ofi_status load_all(ofi_ctx *ctx, ofi_db *db, ofi_reject_fn reject, void *reject_user,
                           ofi_load_times *times, table_fn fn, table_fn reread, void *arg);

ofi_status ofi_load_csv_dir(ofi_ctx *ctx, const char *dir, ofi_db *db, ofi_reject_fn reject,
                            void *reject_user, ofi_load_times *times)
{
    return load_all(ctx, db, reject, reject_user, times, csv_table, csv_repeats, (void *)dir);
}

ofi_status ofi_load_mysql(ofi_ctx *ctx, ofi_mysql *conn, ofi_db *db, ofi_reject_fn reject,
                          void *reject_user, ofi_extract_fn extract, void *extract_user,
                          ofi_load_times *times)
{
    mysql_arg a = {conn, extract, extract_user};
    return load_all(ctx, db, reject, reject_user, times, mysql_table, NULL, &a);
}

/* Load every table through fn. With reread (a source that can be read twice: files), the
 * streamed tables' id indexes keep no fingerprints, one bit per id instead of 32 (70M
 * events: ~9 MB, not 280), and when ids repeat, the full-row duplicates among them are
 * counted by reading the file a second time (count_full_dups). */
static ofi_status load_all(ofi_ctx *ctx, ofi_db *db, ofi_reject_fn reject, void *reject_user,
                           ofi_load_times *times, table_fn fn, table_fn reread, void *arg)
{
    ofi_load_times dummy = {0};
    loader L = {ctx, db, ctx->n_threads < 1 ? 1 : ctx->n_threads, NULL, NULL, reject, reject_user,
                times ? times : &dummy, NULL, NULL};
    if (L.n_threads > 1024)
        L.n_threads = 1024;
    ofi_status st = OFI_OK;
    const int np = ofi_idmap_n_parts(&db->t[0].index);
    L.b = aligned_alloc(_Alignof(batch), (size_t)L.n_threads * sizeof *L.b);
    if (L.b == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    memset(L.b, 0, (size_t)L.n_threads * sizeof *L.b);
    for (int k = 0; k < L.n_threads; k++)
        batch_init(&L.b[k]);
    for (int ti = 0; ti < OFI_N_TABLES; ti++) {
        ofi_table *t = &db->t[ti];
        L.side = calloc((size_t)np, sizeof *L.side);
        if (L.side == NULL) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
            goto cleanup;
        }
        if (ti == OFI_T_TIMELINE || ti == OFI_T_REFUNDS) {
            double t0 = ofi_now();
            OFI_CHECK(ofi_join_prepare(ctx, db, (ofi_table_id)ti));
            L.times->join += ofi_now() - t0;
        }
        for (int k = 0; k < L.n_threads; k++)
            L.b[k].cap = 0; /* column arrays were sized for the previous table's types */
        ofi_idmap repeated = {0};
        uint64_t last_repeat[1024] = {0};
        const int keys_only = reread != NULL && !t->stored && np <= 1024;
        if (keys_only && ofi_idmap_init(&repeated, np, 0) != OFI_OK) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        } else {
            if (keys_only) {
                ofi_idmap_set_keys_only(&repeated);
                ofi_idmap_set_keys_only(&t->index);
                L.repeated = &repeated;
                L.last_repeat = last_repeat;
            }
            st = fn(&L, t, arg);
        }
        if (st == OFI_OK)
            ofi_table_mark_dense(t);
        /* Events' and refunds' ids only served their own dedup; the cases index only the
         * joins. Free them as soon as they are done: the load's memory peak is here. */
        if (!t->stored)
            ofi_idmap_free(&t->index);
        if (st == OFI_OK && keys_only) {
            const double t0 = ofi_now();
            st = count_full_dups(&L, t, np, reread, arg);
            L.times->read += ofi_now() - t0;
        }
        ofi_idmap_free(&repeated);
        L.repeated = NULL;
        L.last_repeat = NULL;
        if (ti == OFI_T_REFUNDS)
            ofi_idmap_free(&db->t[OFI_T_CASES].index);
        for (int p = 0; p < np; p++)
            free(L.side[p].k);
        free(L.side);
        L.side = NULL;
        if (st != OFI_OK)
            goto cleanup;
        ofi_log(ctx, OFI_LOG_PROGRESS, "loaded %s: %llu rows", t->spec->name,
                (unsigned long long)t->n_records);
    }
    double t0 = ofi_now();
    OFI_CHECK(ofi_join_cases(ctx, db));
    L.times->join += ofi_now() - t0;
cleanup:
    if (L.side != NULL) { /* a table's failure before its own release above */
        for (int p = 0; p < np; p++)
            free(L.side[p].k);
        free(L.side);
    }
    for (int k = 0; k < L.n_threads; k++)
        batch_free(&L.b[k]);
    free(L.b);
    return st;
}
