/* views.c - the twelve outputs/ofi/ files: case list, customers and tiers, trends, drivers.
 *
 * Each grouped view maps cases to dense group numbers (ofi_densify on a 64-bit key),
 * measures the groups (ofi_group: exact sums), orders them as SPEC section 4 says, and
 * formats them. Text shown for a group comes from a dictionary; NULL, a missing parent row
 * and the literal text "(unknown)" are one group shown as "(unknown)".
 *
 * The case list (millions of rows) is formatted in parallel blocks and written in order.
 */
#include "ofi/views.h"

#include "ofi/aggregate.h"
#include "ofi/date.h"
#include "ofi/outbuf.h"
#include "ofi/xsum.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------ */

/* Per-case key loops: independent iterations, run on every thread. */
#define PAR_FOR _Pragma("omp parallel for num_threads(ctx->n_threads) schedule(static)")

/* The code standing for "(unknown)" in a dictionary, or 0 (NULL) when absent: grouping
 * maps both to 0. */
static uint32_t unknown_code(const ofi_dict *d)
{
    for (uint32_t c = 1; c < ofi_dict_size(d); c++) {
        size_t len;
        const char *s = ofi_dict_str(d, c, &len);
        if (len == sizeof OFI_UNKNOWN - 1 && memcmp(s, OFI_UNKNOWN, len) == 0)
            return c;
    }
    return 0;
}

static const char *code_text(const ofi_dict *d, uint32_t code, size_t *len)
{
    if (code == 0) {
        *len = sizeof OFI_UNKNOWN - 1;
        return OFI_UNKNOWN;
    }
    return ofi_dict_str(d, code, len);
}

/* Copy text into a summary's name buffer of cap bytes, cut at a UTF-8 character boundary
 * when it does not fit. */
static void name_copy(char *dst, size_t cap, const char *s, size_t len)
{
    if (len > cap - 1) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static int bytecmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return (al > bl) - (al < bl);
}

static void put_avg(ofi_outbuf *b, double total, uint64_t n)
{
    if (n)
        ofi_put_f6(b, total / (double)n);
}

static void put_rate(ofi_outbuf *b, uint64_t k, uint64_t n)
{
    if (n)
        ofi_put_f6(b, (double)k / (double)n);
}

static void put_opt_i64(ofi_outbuf *b, int64_t v)
{
    if (v != OFI_NULL_I64)
        ofi_put_i64(b, v);
}

/* ---- the case list -------------------------------------------------------------------- */

static const char case_header[] =
    "case_id,case_date,customer_id,agent_id,product_id,issue_id,channel,status,priority,"
    "severity,escalated_flag,reopened_flag,is_delayed,delay_minutes,is_cancelled,"
    "resolution_minutes,has_refund,refund_eur,refund_count,touch_count,priority_score,"
    "escalation_score,reopen_score,refund_flag_score,delay_score,resolution_score,"
    "refund_score,touch_score,issue_score,ofi\n";

/* Longest text of a dictionary, for sizing a row before writing it. */
static size_t dict_max_len(const ofi_dict *d)
{
    size_t m = 0;
    for (uint32_t c = 1; c < ofi_dict_size(d); c++) {
        size_t len;
        ofi_dict_str(d, c, &len);
        if (len > m)
            m = len;
    }
    return m;
}

/* Upper bound of one case row's length: numbers, 4 texts quoted at worst, separators. */
static size_t case_row_max(const ofi_db *db)
{
    const ofi_table *cs = &db->t[OFI_T_CASES];
    size_t t = dict_max_len(&cs->dict[OFI_CAS_CHANNEL]) + dict_max_len(&cs->dict[OFI_CAS_STATUS]) +
               dict_max_len(&cs->dict[OFI_CAS_PRIORITY]) +
               dict_max_len(&db->t[OFI_T_ISSUES].dict[OFI_ISS_SEVERITY]);
    return 2 * t + 8 + 30 * 24 + 10 * 340;
}

static char *raw_stored_text(char *p, const ofi_table *t, int col, uint32_t row)
{
    size_t len;
    const char *s = row == UINT32_MAX ? NULL : ofi_table_text(t, col, row, &len);
    return s ? ofi_raw_text(p, s, len) : p;
}

static char *raw_opt_i64(char *p, int64_t v)
{
    return v != OFI_NULL_I64 ? ofi_raw_i64(p, v) : p;
}

/* The bit of ofi_features.flags holding each case-list column from escalated_flag to
 * has_refund (-1: none). Where the column holds only 0 and 1 (flags_exact), the row prints
 * the bit and skips the column's cache line: 4 of the ~26 random lines a row read. */
static const int flag_bit[OFI_CAS_HAS_REFUND - OFI_CAS_ESCALATED + 1] = {
    [OFI_CAS_ESCALATED - OFI_CAS_ESCALATED] = 0, [OFI_CAS_REOPENED - OFI_CAS_ESCALATED] = 1,
    [OFI_CAS_DELAYED - OFI_CAS_ESCALATED] = 3,   [OFI_CAS_DELAY_MIN - OFI_CAS_ESCALATED] = -1,
    [OFI_CAS_CANCELLED - OFI_CAS_ESCALATED] = -1, [OFI_CAS_RESOLUTION_MIN - OFI_CAS_ESCALATED] = -1,
    [OFI_CAS_HAS_REFUND - OFI_CAS_ESCALATED] = 2};

/* What one row of ofi_case_scores prints, read from the case's ~20 columns. */
typedef struct case_vals {
    int64_t id, fk[4], ints[OFI_CAS_HAS_REFUND - OFI_CAS_ESCALATED + 1], refund_cents;
    double comp[9], ofi;
    int32_t date;
    uint32_t code[3], issue_row, refund_n, touch;
} case_vals;

/* Read case i's values. Only loads and the score's arithmetic: the loads of many cases
 * are independent, so a loop of these keeps many cache misses in flight. */
static void load_case(const ofi_scored *s, uint32_t i, case_vals *v)
{
    const ofi_table *cs = &s->db->t[OFI_T_CASES];
    const ofi_case_links *L = &s->db->links;
    v->ofi = ofi_score_components(s->f, s->v, i, v->comp);
    v->id = cs->col[OFI_CAS_ID].i64[i];
    v->date = L->case_date[i];
    for (int c = OFI_CAS_CUSTOMER; c <= OFI_CAS_ISSUE; c++)
        v->fk[c - OFI_CAS_CUSTOMER] = ofi_case_fk(s->db, c, i);
    for (int c = OFI_CAS_CHANNEL; c <= OFI_CAS_PRIORITY; c++)
        v->code[c - OFI_CAS_CHANNEL] = ofi_table_code(cs, c, i);
    v->issue_row = L->issue_row[i];
    for (int c = OFI_CAS_ESCALATED; c <= OFI_CAS_HAS_REFUND; c++) {
        const int bit = flag_bit[c - OFI_CAS_ESCALATED];
        v->ints[c - OFI_CAS_ESCALATED] = bit >= 0 && (s->f->flags_exact >> bit & 1u)
                                             ? (int64_t)(s->f->flags[i] >> bit & 1u) /* the line score_one read */
                                             : ofi_table_int(cs, c, i);
    }
    v->refund_cents = L->refund_cents[i];
    v->refund_n = L->refund_n[i];
    v->touch = L->touch[i];
}

static char *raw_code_text(char *p, const ofi_table *t, int col, uint32_t code)
{
    if (code == 0)
        return p;
    size_t len = 0;
    const char *txt = ofi_dict_str(&t->dict[col], code, &len);
    return ofi_raw_text(p, txt, len);
}

/* Format one row of ofi_case_scores. Writes through a raw pointer into room reserved for
 * the longest possible row: no per-field capacity checks on the hottest output loop. */
static void format_case(ofi_outbuf *b, const ofi_scored *s, const case_vals *v, size_t row_max)
{
    if (!ofi_outbuf_room(b, row_max))
        return;
    const ofi_table *cs = &s->db->t[OFI_T_CASES];
    char *p = b->p + b->len;
    p = ofi_raw_i64(p, v->id);
    *p++ = ',';
    if (v->date != OFI_NO_DATE)
        p += ofi_format_date(v->date, p);
    for (int k = 0; k < 4; k++) {
        *p++ = ',';
        p = raw_opt_i64(p, v->fk[k]);
    }
    for (int c = OFI_CAS_CHANNEL; c <= OFI_CAS_PRIORITY; c++) {
        *p++ = ',';
        p = raw_code_text(p, cs, c, v->code[c - OFI_CAS_CHANNEL]);
    }
    *p++ = ',';
    p = raw_stored_text(p, &s->db->t[OFI_T_ISSUES], OFI_ISS_SEVERITY, v->issue_row);
    for (int k = 0; k <= OFI_CAS_HAS_REFUND - OFI_CAS_ESCALATED; k++) {
        *p++ = ',';
        p = raw_opt_i64(p, v->ints[k]);
    }
    *p++ = ',';
    p = ofi_raw_money(p, v->refund_cents);
    *p++ = ',';
    p = ofi_raw_i64(p, v->refund_n);
    *p++ = ',';
    p = ofi_raw_i64(p, v->touch);
    for (int k = 0; k < 9; k++) {
        *p++ = ',';
        p += ofi_format_f6(v->comp[k], p);
    }
    *p++ = ',';
    p += ofi_format_f6(v->ofi, p);
    *p++ = '\n';
    b->len = (size_t)(p - b->p);
}

static void put_case(ofi_outbuf *b, const ofi_scored *s, uint32_t i, size_t row_max)
{
    case_vals v;
    load_case(s, i, &v);
    format_case(b, s, &v, row_max);
}

/* Reads what row k prints into slot (at most ROW_SLOT bytes). */
typedef void (*load_fn)(size_t k, void *slot, const void *arg);
/* Formats a row from what load_fn read into its slot. */
typedef void (*row_fn)(ofi_outbuf *b, const void *slot, const void *arg);

/* Prepares rows lo..hi (a window of window_rows rows) before they are loaded. */
typedef void (*window_fn)(size_t lo, size_t hi, void *state);

typedef struct rows_def {
    load_fn load;
    row_fn row;
    const void *arg;
    window_fn window; /* NULL: none */
    void *state;      /* window's argument (arg, writable) */
    size_t window_rows; /* a multiple of ROW_BLOCK */
} rows_def;

#define ROW_BLOCK 32768
/* Rows are written in the order of a sort, so each column a row reads (~20 for the case
 * list) is a cache miss on a random line. A window of rows is loaded first: load_fn
 * copies each row's values into a slot in a loop of plain loads, independent from row to
 * row, which the core keeps many of in flight; the rows are then formatted from the
 * slots (WINDOW slots: 64 KiB, in L2). This replaced a sweep of software prefetches
 * before formatting, whose lines the formatting still waited on (a microbenchmark here,
 * 20 random gathers per row: 11 ns a line with plain loads, 15 with a prefetch sweep
 * first). The case list of 10M cases, 2 threads (bench/ab.sh, 3 alternated runs): write
 * 4.88 -> 3.93 s, peak memory unchanged. */
#define WINDOW 256
#define ROW_SLOT 256

static void format_block(ofi_outbuf *b, const rows_def *d, size_t lo, size_t hi)
{
    _Alignas(64) unsigned char slots[WINDOW * ROW_SLOT];
    for (size_t w = lo; w < hi; w += WINDOW) {
        const size_t e = w + WINDOW < hi ? w + WINDOW : hi;
        for (size_t k = w; k < e; k++)
            d->load(k, slots + (k - w) * ROW_SLOT, d->arg);
        for (size_t k = w; k < e; k++)
            d->row(b, slots + (k - w) * ROW_SLOT, d->arg);
    }
}

/* Write a file of n rows formatted in parallel: thread t formats blocks t, t + nt, ... of
 * ROW_BLOCK rows into its own buffer and writes each block when its turn comes (an
 * ordered section), so that one block is written while the next ones are formatted. The
 * bytes do not depend on the thread count. */
/* A thread's buffer on a cache line of its own: its length changes with every value
 * formatted, and buffers sharing a line would make the threads take turns owning it. */
typedef struct thread_buf {
    _Alignas(64) ofi_outbuf b;
} thread_buf;

static ofi_status write_rows(ofi_ctx *ctx, ofi_outset *set, ofi_scored *sc, const char *rel,
                             const char *header, size_t n, const rows_def *d)
{
    const double t0 = ofi_now();
    const int nt = ctx->n_threads < 1 ? 1 : ctx->n_threads;
    thread_buf *bufs = aligned_alloc(_Alignof(thread_buf), (size_t)nt * sizeof *bufs);
    if (bufs != NULL)
        memset(bufs, 0, (size_t)nt * sizeof *bufs);
    ofi_outstream out;
    ofi_status st = OFI_OK;
    if (bufs == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    OFI_CHECK(ofi_outset_open(ctx, set, rel, &out));
    OFI_CHECK(ofi_outstream_write(ctx, set, &out, header, strlen(header)));
    const size_t win = d->window != NULL ? d->window_rows : n;
    int stop = 0; /* a write failed: format no more */
    for (size_t w0 = 0; w0 < n && st == OFI_OK; w0 += win) {
        const size_t w1 = n - w0 > win ? w0 + win : n;
        if (d->window != NULL)
            d->window(w0, w1, d->state);
        const long b0 = (long)(w0 / ROW_BLOCK), b1 = (long)((w1 + ROW_BLOCK - 1) / ROW_BLOCK);
#pragma omp parallel for ordered num_threads(nt) schedule(static, 1)
        for (long blk = b0; blk < b1; blk++) {
            ofi_outbuf *b = &bufs[omp_get_thread_num()].b;
            const size_t lo = (size_t)blk * ROW_BLOCK;
            const size_t hi = lo + ROW_BLOCK < w1 ? lo + ROW_BLOCK : w1;
            int stopped;
#pragma omp atomic read
            stopped = stop;
            b->len = 0;
            if (!stopped)
                format_block(b, d, lo, hi);
#pragma omp ordered
            {
                if (st == OFI_OK) {
                    st = ofi_outbuf_failed(b)
                             ? ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory while formatting", rel)
                             : ofi_outstream_write(ctx, set, &out, b->p, b->len);
                    if (st != OFI_OK) {
#pragma omp atomic write
                        stop = 1;
                    }
                }
            }
        }
    }
cleanup:;
    ofi_status st2 = ofi_outset_close(ctx, set, &out);
    if (st == OFI_OK)
        st = st2;
    for (int t = 0; t < nt; t++)
        ofi_outbuf_free(&bufs[t].b);
    free(bufs);
    sc->write_seconds += ofi_now() - t0;
    return st;
}

/* ---- the case list, gathered in windows of ranks -------------------------------------- */

/* Read row by row in rank order, a case row costs ~20 cache misses, one per column, at
 * random places (the 10M list: about 1 s of its write). Instead the list is written in
 * CASE_WINDOWS windows of ranks: for each, one pass over the cases in storage order reads
 * the columns as streams and packs each case of the window into its rank's slot (one
 * random line or two per case); the rows are then formatted from the slots in order. The
 * windows cost a rank per case (4 bytes) and one window of 96-byte slots (12 bytes a case
 * with 8 windows); without that memory the rows load from the columns. */
#define CASE_WINDOWS 8

/* What one case row prints, packed. Values a field cannot hold mark the slot (code[0] =
 * PACK_SLOW): that row loads from the columns. */
typedef struct case_pack {
    int64_t id, fk[4], refund_cents;
    double ofi;
    int32_t date;
    int32_t delay, resolution; /* ints[3] and ints[5]; INT32_MIN: NULL */
    uint32_t issue_row, refund_n, touch, row;
    uint16_t code[3];
    int8_t fl[5];       /* ints[0, 1, 2, 4, 6]; INT8_MIN: NULL */
    uint8_t prio_flags; /* ofi_features' prio | flags << 4 */
} case_pack;

_Static_assert(sizeof(case_pack) == 96, "a packed case is 96 bytes");
_Static_assert(OFI_CAS_HAS_REFUND - OFI_CAS_ESCALATED == 6 &&
                   OFI_CAS_DELAY_MIN - OFI_CAS_ESCALATED == 3 &&
                   OFI_CAS_RESOLUTION_MIN - OFI_CAS_ESCALATED == 5,
               "the packed ints' places");

#define PACK_SLOW UINT16_MAX

typedef struct case_rows {
    const ofi_scored *s;
    size_t row_max;
    int n_threads;
    const uint32_t *rank; /* rank of each case; NULL: rows load from the columns */
    case_pack *pack;      /* the window's rows, slot k - lo for rank k */
    size_t lo;            /* the window's first rank */
} case_rows;

_Static_assert(sizeof(case_vals) <= ROW_SLOT, "a case row's values fit a slot");

static void pack_case(const ofi_scored *s, uint32_t i, case_pack *p)
{
    const ofi_table *cs = &s->db->t[OFI_T_CASES];
    const ofi_case_links *L = &s->db->links;
    int slow = 0;
    p->id = cs->col[OFI_CAS_ID].i64[i];
    for (int c = OFI_CAS_CUSTOMER; c <= OFI_CAS_ISSUE; c++)
        p->fk[c - OFI_CAS_CUSTOMER] = ofi_case_fk(s->db, c, i);
    p->refund_cents = L->refund_cents[i];
    p->ofi = s->ofi[i];
    p->date = L->case_date[i];
    p->issue_row = L->issue_row[i];
    p->refund_n = L->refund_n[i];
    p->touch = L->touch[i];
    p->row = i;
    for (int c = OFI_CAS_CHANNEL; c <= OFI_CAS_PRIORITY; c++) {
        const uint32_t code = ofi_table_code(cs, c, i);
        slow |= code >= PACK_SLOW;
        p->code[c - OFI_CAS_CHANNEL] = (uint16_t)code;
    }
    for (int k = 0, j = 0; k <= OFI_CAS_HAS_REFUND - OFI_CAS_ESCALATED; k++) {
        const int64_t x = ofi_table_int(cs, OFI_CAS_ESCALATED + k, i);
        if (k == 3 || k == 5) {
            slow |= x != OFI_NULL_I64 && (x <= INT32_MIN || x > INT32_MAX);
            *(k == 3 ? &p->delay : &p->resolution) = x == OFI_NULL_I64 ? INT32_MIN : (int32_t)x;
        } else {
            slow |= x != OFI_NULL_I64 && (x <= INT8_MIN || x > INT8_MAX);
            p->fl[j++] = x == OFI_NULL_I64 ? INT8_MIN : (int8_t)x;
        }
    }
    p->prio_flags = (uint8_t)(s->f->prio[i] | s->f->flags[i] << 4);
    if (slow)
        p->code[0] = PACK_SLOW;
}

/* A case row's values from its slot: what load_case reads from the columns. */
static void unpack_case(const ofi_scored *s, const case_pack *p, case_vals *v)
{
    if (p->code[0] == PACK_SLOW) {
        load_case(s, p->row, v);
        return;
    }
    v->id = p->id;
    memcpy(v->fk, p->fk, sizeof v->fk);
    v->date = p->date;
    for (int k = 0; k < 3; k++)
        v->code[k] = p->code[k];
    v->issue_row = p->issue_row;
    for (int k = 0, j = 0; k <= OFI_CAS_HAS_REFUND - OFI_CAS_ESCALATED; k++) {
        if (k == 3 || k == 5) {
            const int32_t x = k == 3 ? p->delay : p->resolution;
            v->ints[k] = x == INT32_MIN ? OFI_NULL_I64 : x;
        } else {
            const int8_t x = p->fl[j++];
            v->ints[k] = x == INT8_MIN ? OFI_NULL_I64 : x;
        }
    }
    v->refund_cents = p->refund_cents;
    v->refund_n = p->refund_n;
    v->touch = p->touch;
    const ofi_case_in in = {
        .prio = (uint8_t)(p->prio_flags & 15u),
        .flags = (uint8_t)(p->prio_flags >> 4),
        .issue_row = p->issue_row,
        .touch = p->touch,
        .delay = p->delay > 0 ? p->delay : 0, /* NULL (INT32_MIN) as 0, as the score has it */
        .resolution = p->resolution > 0 ? p->resolution : 0,
        .refund_cents = p->refund_cents,
    };
    ofi_score_terms(s->f, s->v, &in, v->comp);
    v->ofi = p->ofi;
}

/* Cases ahead of the one being packed whose slot and customer id are prefetched: the
 * slot's lines are written at random places and the customer's id is read at one, and the
 * pass does ~100 instructions per case packed, too many for the core to reach the next
 * case's misses by itself (10M cases: the 8 passes 0.69 -> 0.54 s; 64 to 256: the same). */
#define PACK_AHEAD 128

/* Pack the cases of ranks lo..hi into their slots: one pass over every case. */
static void case_window(size_t lo, size_t hi, void *state)
{
    case_rows *c = state;
    const uint32_t *rank = c->rank;
    const size_t w = hi - lo;
    c->lo = lo;
    const ofi_db *db = c->s->db;
    const uint32_t *crow = db->links.customer_row;
    const ofi_table *cu = &db->t[OFI_T_CUSTOMERS];
    const int64_t *cid =
        db->t[OFI_T_CASES].by_row[OFI_CAS_CUSTOMER] && !cu->ids_dense ? cu->col[0].i64 : NULL;
    const long n = (long)c->s->f->n;
#pragma omp parallel for num_threads(c->n_threads) schedule(static)
    for (long i = 0; i < n; i++) {
        if (i + PACK_AHEAD < n) {
            const size_t r2 = (size_t)rank[i + PACK_AHEAD] - lo;
            if (r2 < w) {
                __builtin_prefetch(&c->pack[r2], 1);
                __builtin_prefetch((const char *)&c->pack[r2] + 64, 1);
                if (cid != NULL && crow[i + PACK_AHEAD] != UINT32_MAX)
                    __builtin_prefetch(&cid[crow[i + PACK_AHEAD]]);
            }
        }
        const size_t r = (size_t)rank[i] - lo; /* wraps above w when rank[i] < lo */
        if (r < w)
            pack_case(c->s, (uint32_t)i, &c->pack[r]);
    }
}

static void load_packed_slot(size_t k, void *slot, const void *arg)
{
    const case_rows *c = arg;
    unpack_case(c->s, &c->pack[k - c->lo], slot);
}

static void load_case_slot(size_t k, void *slot, const void *arg)
{
    const ofi_scored *s = ((const case_rows *)arg)->s;
    load_case(s, s->order[k], slot);
}

static void case_row_slot(ofi_outbuf *b, const void *slot, const void *arg)
{
    const case_rows *c = arg;
    format_case(b, c->s, slot, c->row_max);
}

static ofi_status write_cases(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s)
{
    const size_t n = s->f->n;
    case_rows c = {s, case_row_max(s->db), ctx->n_threads, NULL, NULL, 0};
    rows_def d = {load_case_slot, case_row_slot, &c, NULL, NULL, 0};
    size_t win = (n + CASE_WINDOWS - 1) / CASE_WINDOWS;
    win = (win + ROW_BLOCK - 1) / ROW_BLOCK * ROW_BLOCK;
    uint32_t *rank = n ? malloc(n * sizeof *rank) : NULL;
    case_pack *pack = n ? malloc((win < n ? win : n) * sizeof *pack) : NULL;
    if (rank != NULL && pack != NULL) {
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
        for (long k = 0; k < (long)n; k++)
            rank[s->order[k]] = (uint32_t)k;
        c.rank = rank;
        c.pack = pack;
        d = (rows_def){load_packed_slot, case_row_slot, &c, case_window, &c, win};
    }
    const ofi_status st = write_rows(ctx, set, s, "ofi/ofi_case_scores.csv", case_header, n, &d);
    free(rank);
    free(pack);
    return st;
}

static ofi_status write_top(ofi_ctx *ctx, ofi_outset *set, const ofi_scored *s)
{
    ofi_outbuf b = {0};
    ofi_puts(&b, "rank,");
    ofi_put(&b, case_header, sizeof case_header - 1);
    size_t n = s->top_n < s->f->n ? s->top_n : s->f->n;
    const size_t row_max = case_row_max(s->db);
    for (size_t k = 0; k < n; k++) {
        ofi_put_u64(&b, k + 1);
        ofi_putc(&b, ',');
        put_case(&b, s, s->order[k], row_max);
    }
    ofi_status st = ofi_outset_put(ctx, set, "ofi/top_50_cases.csv", &b);
    ofi_outbuf_free(&b);
    return st;
}

/* ---- grouped views ------------------------------------------------------------------------ */

/* A grouping: dense group of each case, the measures, and each group's key. */
typedef struct grouping {
    uint32_t *group;
    uint32_t n;
    uint64_t *keys;
    ofi_gstat *st;
} grouping;

static void grouping_free(grouping *g)
{
    free(g->group);
    free(g->keys);
    free(g->st);
    memset(g, 0, sizeof *g);
}

/* Measures of n groups, one 64-byte group per cache line: a heap block of this size is
 * mapped 16 bytes past a page start, where every group would straddle two lines, and the
 * customer view updates millions at random (10M cases: grouping 0.30 -> 0.21 s). Free it
 * with free(). */
static ofi_gstat *gstat_alloc(size_t n)
{
    return aligned_alloc(64, (n ? n : 1) * sizeof(ofi_gstat));
}

/* The grouping of the raw groups 0..n_raw-1 that have cases, from their measures raw,
 * which it takes (compacted in place: g->st is raw; on failure raw is freed): raw group
 * k's key is keys[k] when keys is given, else lo + k * step. remap, when not NULL,
 * receives each raw group's new number (UINT32_MAX for a group without cases). */
static ofi_status grouping_from_raw(ofi_ctx *ctx, ofi_gstat *raw, uint32_t n_raw, uint64_t lo,
                                    uint64_t step, const uint64_t *keys, uint32_t *remap,
                                    grouping *g)
{
    memset(g, 0, sizeof *g);
    uint32_t m = 0;
    for (uint32_t k = 0; k < n_raw; k++)
        m += raw[k].count != 0;
    g->st = raw;
    g->keys = malloc((m ? m : 1) * sizeof *g->keys);
    if (g->keys == NULL) {
        grouping_free(g);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
    }
    for (uint32_t k = 0; k < n_raw; k++) { /* g->n <= k: no entry moves before it is read */
        if (remap)
            remap[k] = raw[k].count ? g->n : UINT32_MAX;
        if (raw[k].count == 0)
            continue;
        g->st[g->n] = raw[k];
        g->keys[g->n++] = keys ? keys[k] : lo + (uint64_t)k * step;
    }
    return OFI_OK;
}

/* Group the cases by keys[i] (UINT64_MAX = left out), and drop empty groups. Keys in a
 * narrow range (ids, dates, dictionary codes: nearly always) map to groups by offset, with
 * no hashing; wide ranges go through ofi_densify. Frees keys. */
static ofi_status group_by(ofi_ctx *ctx, ofi_scored *s, uint64_t *keys, grouping *g)
{
    const size_t n = s->f->n;
    uint64_t lo = UINT64_MAX, hi = 0;
    ofi_status st = OFI_OK;
    uint32_t *remap = NULL;
    ofi_gstat *raw = NULL;
    memset(g, 0, sizeof *g);
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)                              \
    reduction(min : lo) reduction(max : hi)
    for (long i = 0; i < (long)n; i++) {
        if (keys[i] == UINT64_MAX)
            continue;
        if (keys[i] < lo)
            lo = keys[i];
        if (keys[i] > hi)
            hi = keys[i];
    }
    g->group = malloc((n ? n : 1) * sizeof *g->group);
    if (g->group == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
        goto cleanup;
    }
    uint32_t n_raw = 0;
    const uint64_t span = lo <= hi ? hi - lo + 1 : 0;
    const int direct = span <= 4 * (uint64_t)n + 4096 && span < UINT32_MAX;
    if (direct) {
        n_raw = (uint32_t)span;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
        for (long i = 0; i < (long)n; i++)
            g->group[i] = keys[i] == UINT64_MAX ? UINT32_MAX : (uint32_t)(keys[i] - lo);
    } else {
        OFI_CHECK(ofi_densify(ctx, n, keys, g->group, &n_raw, &g->keys));
    }
    free(keys); /* the group numbers say it all now: free before the next allocations */
    keys = NULL;
    raw = gstat_alloc(n_raw);
    remap = malloc((n_raw ? n_raw : 1) * sizeof *remap);
    if (raw == NULL || remap == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
        goto cleanup;
    }
    OFI_CHECK(ofi_group_scaled(ctx, s->db, s->f, s->ofi, s->scale, g->group, n_raw, raw));
    /* Keep the groups that have cases (grouping_from_raw resets g: keep group apart). */
    uint32_t *group = g->group;
    uint64_t *dense_keys = g->keys; /* NULL when direct: keys are lo + k */
    st = grouping_from_raw(ctx, raw, n_raw, lo, 1, dense_keys, remap, g);
    raw = NULL;
    free(dense_keys);
    g->group = group;
    if (st != OFI_OK)
        goto cleanup;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
    for (long i = 0; i < (long)n; i++)
        if (g->group[i] != UINT32_MAX)
            g->group[i] = remap[g->group[i]];
cleanup:
    free(keys);
    free(raw);
    free(remap);
    if (st != OFI_OK)
        grouping_free(g);
    return st;
}

static uint64_t *alloc_keys(ofi_ctx *ctx, size_t n)
{
    uint64_t *k = malloc((n ? n : 1) * sizeof *k);
    if (k == NULL)
        ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
    return k;
}

/* Keys of a foreign key of the cases (OFI_CAS_CUSTOMER, _AGENT, _ISSUE): the parent's id,
 * orphans included, and null_key for a NULL id. NULL on out of memory (reported). */
static uint64_t *fk_keys(ofi_ctx *ctx, const ofi_db *db, size_t n, int col, uint64_t null_key)
{
    uint64_t *keys = alloc_keys(ctx, n);
    if (keys == NULL)
        return NULL;
    PAR_FOR
    for (long i = 0; i < (long)n; i++) {
        const int64_t id = ofi_case_fk(db, col, (size_t)i);
        keys[i] = id == OFI_NULL_I64 ? null_key : (uint64_t)id;
    }
    return keys;
}

static uint32_t *alloc_order(ofi_ctx *ctx, size_t n)
{
    uint32_t *o = malloc((n ? n : 1) * sizeof *o);
    if (o == NULL)
        ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    for (size_t i = 0; o && i < n; i++)
        o[i] = (uint32_t)i;
    return o;
}

/* What a group comparator needs (qsort_r's argument): the grouping and the run, plus what
 * the view's order reads - kind (0 total_ofi, 1 avg_ofi), the text dictionary, the radixes
 * of the severity trend's composite key. */
typedef struct gsort_ctx {
    const grouping *g;
    const ofi_scored *s;
    int kind;
    const ofi_dict *dict;
    uint64_t sev_radix, prio_radix;
} gsort_ctx;

static int cmp_key_asc(const void *a, const void *b, void *arg);
static int cmp_sev(const void *a, const void *b, void *arg);
static int cmp_text_groups(const void *a, const void *b, void *arg);
static int cmp_roots(const void *a, const void *b, void *arg);

/* Order the groups of g with cmp, given how (its g and s are filled here): *ord receives
 * the group numbers in output order (free it; on failure g is freed and nothing is left). */
static ofi_status order_groups(ofi_ctx *ctx, ofi_scored *s, gsort_ctx how,
                               int (*cmp)(const void *, const void *, void *), grouping *g,
                               uint32_t **ord)
{
    *ord = alloc_order(ctx, g->n);
    if (*ord == NULL) {
        grouping_free(g);
        return OFI_E_NOMEM;
    }
    how.g = g;
    how.s = s;
    qsort_r(*ord, g->n, sizeof **ord, cmp, &how);
    return OFI_OK;
}

/* Group the cases by keys (freed), then order_groups. */
static ofi_status group_sorted(ofi_ctx *ctx, ofi_scored *s, uint64_t *keys, gsort_ctx how,
                               int (*cmp)(const void *, const void *, void *), grouping *g,
                               uint32_t **ord)
{
    OFI_TRY(group_by(ctx, s, keys, g));
    return order_groups(ctx, s, how, cmp, g, ord);
}

/* ---- the few-group views, measured in one pass ------------------------------------------ */

/* The KPIs, the weekly and monthly trends, the severity trend, the product groups, the
 * teams and the root causes (issues) put every case in one of a few groups: one pass over
 * the cases measures all seven
 * (ofi_group_fused), where each alone would write a keys array and a group array and read
 * the cases again. A grouping's raw groups are its keys' offsets from the smallest (in
 * steps of 7 days for weeks); one spanning more than FEW_SPAN raw groups (dates over
 * decades, thousands of priority texts) groups alone through group_by, as before. */
enum { FEW_ALL, FEW_WEEK, FEW_MONTH, FEW_SEV, FEW_PRODUCT, FEW_TEAM, FEW_ISSUE, FEW_N };
#define FEW_SPAN 4096

/* Time keys are offset to stay non-negative as unsigned. */
#define TKEY(v) ((uint64_t)((int64_t)(v) + ((int64_t)1 << 40)))
#define TVAL(k) ((int32_t)((int64_t)(k) - ((int64_t)1 << 40)))

/* The Monday of a date's week: day 0 (1970-01-01) is a Thursday. */
static inline int32_t monday_of(int32_t d)
{
    return d - (((d + 3) % 7) + 7) % 7;
}

/* severity_trend keys: a mixed-radix number (month index, severity code, priority code),
 * codes canonical (0 for NULL, missing and "(unknown)"), so keys stay in a narrow range. */
typedef struct sev_keys {
    const ofi_table *cs, *is;
    const uint32_t *issue_row;
    uint32_t sev_unknown, prio_unknown;
    uint64_t sev_radix, prio_radix;
    int32_t min_month; /* the earliest date's month */
} sev_keys;

static void sev_keys_init(sev_keys *k, const ofi_db *db, int32_t min_month)
{
    k->cs = &db->t[OFI_T_CASES];
    k->is = &db->t[OFI_T_ISSUES];
    k->issue_row = db->links.issue_row;
    k->sev_unknown = unknown_code(&k->is->dict[OFI_ISS_SEVERITY]);
    k->prio_unknown = unknown_code(&k->cs->dict[OFI_CAS_PRIORITY]);
    k->sev_radix = ofi_dict_size(&k->is->dict[OFI_ISS_SEVERITY]);
    k->prio_radix = ofi_dict_size(&k->cs->dict[OFI_CAS_PRIORITY]);
    k->min_month = min_month;
}

/* The key of case i, of month min_month + m. */
static inline uint64_t sev_key(const sev_keys *k, size_t i, uint32_t m)
{
    const uint32_t ir = k->issue_row[i];
    uint32_t sev = ir == UINT32_MAX ? 0 : k->is->col[OFI_ISS_SEVERITY].code[ir];
    uint32_t pr = ofi_table_code(k->cs, OFI_CAS_PRIORITY, i);
    if (sev == k->sev_unknown)
        sev = 0;
    if (pr == k->prio_unknown)
        pr = 0;
    return ((uint64_t)m * k->sev_radix + sev) * k->prio_radix + pr;
}

/* A parent's text column code of a case, by the parent's row: the canonical code, 0 for a
 * NULL key, a missing parent, a NULL text or the text "(unknown)". */
static inline uint32_t parent_code(const ofi_table *parent, int col, uint32_t unk, uint32_t r)
{
    const uint32_t code = r == UINT32_MAX ? 0 : ofi_table_code(parent, col, r);
    return code == unk ? 0 : code;
}

/* Case dates span at most this many days for the per-day tables (358 years; wider spans
 * have over 4096 months: no date grouping is in the pass then). */
#define FEW_DAYS (1 << 17)

typedef struct few {
    const int32_t *cd; /* case dates */
    int32_t day_lo;    /* the earliest date */
    int32_t day_hi;    /* the latest date (day_lo > day_hi: no dated case) */
    uint32_t *day_wk;  /* per day from day_lo: its week's and its month's raw group (a */
    uint32_t *day_mo;  /* table: a month is a civil-date conversion); NULL when too wide */
    int32_t week_lo;   /* the earliest Monday */
    sev_keys sev;      /* its min_month is the earliest month */
    const ofi_table *pr;
    const uint32_t *product_row;
    uint32_t prd_unknown;
    const ofi_table *ag;
    const uint32_t *agent_row;
    uint32_t team_unknown;
    const uint32_t *issue_row; /* raw issue group: the issue's row, n_issues for NULL (in
                                  the pass only without orphan issue ids) */
    uint32_t n_issues;
    uint32_t n_raw[FEW_N]; /* raw groups of each grouping measured in the pass, else 0 */
    ofi_gstat *raw[FEW_N]; /* their measures; NULL for a grouping left to group_by */
} few;

static void few_keys(const void *arg, size_t lo, size_t hi, uint32_t *keys)
{
    const few *fw = arg;
    uint32_t *all = keys + FEW_ALL * OFI_GROUP_BLOCK, *wk = keys + FEW_WEEK * OFI_GROUP_BLOCK,
             *mo = keys + FEW_MONTH * OFI_GROUP_BLOCK, *sv = keys + FEW_SEV * OFI_GROUP_BLOCK,
             *pd = keys + FEW_PRODUCT * OFI_GROUP_BLOCK, *tm = keys + FEW_TEAM * OFI_GROUP_BLOCK,
             *is = keys + FEW_ISSUE * OFI_GROUP_BLOCK;
    for (size_t i = lo; i < hi; i++) {
        const size_t o = i - lo;
        const int32_t d = fw->cd[i];
        all[o] = 0;
        if (d == OFI_NO_DATE || fw->day_wk == NULL) {
            wk[o] = mo[o] = sv[o] = UINT32_MAX;
        } else { /* a grouping too wide for the pass has n_raw 0: its keys go unread */
            wk[o] = fw->day_wk[d - fw->day_lo];
            mo[o] = fw->day_mo[d - fw->day_lo];
            sv[o] = (uint32_t)sev_key(&fw->sev, i, mo[o]);
        }
        pd[o] = parent_code(fw->pr, OFI_PRD_GROUP, fw->prd_unknown, fw->product_row[i]);
        tm[o] = parent_code(fw->ag, OFI_AGT_TEAM, fw->team_unknown, fw->agent_row[i]);
        is[o] = fw->issue_row[i] == UINT32_MAX ? fw->n_issues : fw->issue_row[i];
    }
}

static void few_free(few *fw)
{
    for (int j = 0; j < FEW_N; j++)
        free(fw->raw[j]);
    free(fw->day_wk);
    free(fw->day_mo);
}

/* Measure the few-group groupings of the scored cases in one pass. */
static ofi_status few_measure(ofi_ctx *ctx, const ofi_scored *s, few *fw)
{
    const ofi_db *db = s->db;
    const size_t n = s->f->n;
    memset(fw, 0, sizeof *fw);
    fw->cd = db->links.case_date;
    int32_t lo = INT32_MAX, hi = INT32_MIN;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)                              \
    reduction(min : lo) reduction(max : hi)
    for (long i = 0; i < (long)n; i++) {
        const int32_t d = fw->cd[i];
        if (d == OFI_NO_DATE)
            continue;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    const int dated = lo <= hi;
    fw->day_lo = lo;
    fw->day_hi = hi;
    fw->week_lo = dated ? monday_of(lo) : 0;
    sev_keys_init(&fw->sev, db, dated ? ofi_month_key(lo) : 0);
    if (dated && (int64_t)hi - lo < FEW_DAYS) {
        const size_t days = (size_t)(hi - lo) + 1;
        fw->day_wk = malloc(days * sizeof *fw->day_wk);
        fw->day_mo = malloc(days * sizeof *fw->day_mo);
        if (fw->day_wk == NULL || fw->day_mo == NULL) {
            few_free(fw);
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
        }
        for (size_t k = 0; k < days; k++) {
            const int32_t d = lo + (int32_t)k;
            fw->day_wk[k] = (uint32_t)((monday_of(d) - fw->week_lo) / 7);
            fw->day_mo[k] = (uint32_t)(ofi_month_key(d) - fw->sev.min_month);
        }
    }
    fw->pr = &db->t[OFI_T_PRODUCTS];
    fw->product_row = db->links.product_row;
    fw->prd_unknown = unknown_code(&fw->pr->dict[OFI_PRD_GROUP]);
    fw->ag = &db->t[OFI_T_AGENTS];
    fw->agent_row = db->links.agent_row;
    fw->team_unknown = unknown_code(&fw->ag->dict[OFI_AGT_TEAM]);
    fw->issue_row = db->links.issue_row;
    fw->n_issues = (uint32_t)db->t[OFI_T_ISSUES].n_rows;
    const ofi_table *cs = &db->t[OFI_T_CASES];
    /* Issues group by id: by row only when every non-NULL issue id has a row. */
    const int issues_by_row = cs->by_row[OFI_CAS_ISSUE] && cs->wide[OFI_CAS_ISSUE].n == 0;
    const uint64_t months = dated ? (uint64_t)(ofi_month_key(hi) - fw->sev.min_month) + 1 : 0;
    uint64_t span[FEW_N];
    span[FEW_ALL] = 1;
    span[FEW_WEEK] = dated ? (uint64_t)((monday_of(hi) - fw->week_lo) / 7) + 1 : 0;
    span[FEW_MONTH] = months;
    span[FEW_SEV] = months * fw->sev.sev_radix * fw->sev.prio_radix;
    span[FEW_PRODUCT] = ofi_dict_size(&fw->pr->dict[OFI_PRD_GROUP]);
    span[FEW_TEAM] = ofi_dict_size(&fw->ag->dict[OFI_AGT_TEAM]);
    span[FEW_ISSUE] = issues_by_row ? (uint64_t)fw->n_issues + 1 : FEW_SPAN + 1;
    for (int j = 0; j < FEW_N; j++) {
        if (span[j] > FEW_SPAN)
            continue; /* grouped alone */
        fw->n_raw[j] = (uint32_t)span[j];
        fw->raw[j] = malloc((span[j] ? span[j] : 1) * sizeof *fw->raw[j]);
        if (fw->raw[j] == NULL) {
            few_free(fw);
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
        }
    }
    ofi_status st = ofi_group_fused(ctx, db, s->f, s->ofi, s->scale, FEW_N, fw->n_raw, few_keys,
                                    fw, fw->raw);
    if (st != OFI_OK)
        few_free(fw);
    return st;
}

/* Grouping j of the few-group views, ordered by cmp: from the pass (raw group k has key
 * lo + k * step), or, when j was too wide for it, grouped alone by key_of each case. */
static ofi_status few_grouping(ofi_ctx *ctx, ofi_scored *s, few *fw, int j, uint64_t lo,
                               uint64_t step, uint64_t (*key_of)(const few *, size_t),
                               gsort_ctx how, int (*cmp)(const void *, const void *, void *),
                               grouping *g, uint32_t **ord)
{
    memset(g, 0, sizeof *g);
    if (fw->raw[j] == NULL) {
        const size_t n = s->f->n;
        uint64_t *keys = alloc_keys(ctx, n);
        if (keys == NULL)
            return OFI_E_NOMEM;
        PAR_FOR
        for (long i = 0; i < (long)n; i++)
            keys[i] = key_of(fw, (size_t)i);
        return group_sorted(ctx, s, keys, how, cmp, g, ord);
    }
    ofi_gstat *raw = fw->raw[j];
    fw->raw[j] = NULL; /* the grouping takes it */
    OFI_TRY(grouping_from_raw(ctx, raw, fw->n_raw[j], lo, step, NULL, NULL, g));
    return order_groups(ctx, s, how, cmp, g, ord);
}

/* Each grouping's key of case i when it groups alone (UINT64_MAX: left out). */
static uint64_t week_key_of(const few *fw, size_t i)
{
    return fw->cd[i] == OFI_NO_DATE ? UINT64_MAX : TKEY(monday_of(fw->cd[i]));
}

static uint64_t month_key_of(const few *fw, size_t i)
{
    return fw->cd[i] == OFI_NO_DATE ? UINT64_MAX : TKEY(ofi_month_key(fw->cd[i]));
}

static uint64_t sev_key_of(const few *fw, size_t i)
{
    const int32_t d = fw->cd[i];
    return d == OFI_NO_DATE ? UINT64_MAX
                            : sev_key(&fw->sev, i, (uint32_t)(ofi_month_key(d) - fw->sev.min_month));
}

static uint64_t product_key_of(const few *fw, size_t i)
{
    return parent_code(fw->pr, OFI_PRD_GROUP, fw->prd_unknown, fw->product_row[i]);
}

static uint64_t team_key_of(const few *fw, size_t i)
{
    return parent_code(fw->ag, OFI_AGT_TEAM, fw->team_unknown, fw->agent_row[i]);
}

/* ---- customers ------------------------------------------------------------------------- */

static const char *tier_name(double avg, double t1, double t2, int *k)
{
    if (avg <= t1)
        return *k = 0, "Low Friction";
    if (avg <= t2)
        return *k = 1, "Medium Friction";
    return *k = 2, "High Friction";
}

/* What a customer row prints, loaded first (see ROW_SLOT): the measures, the id, the
 * average and the codes of country, region and segment. */
typedef struct cust_vals {
    ofi_gstat x;
    int64_t id;
    double avg;
    uint32_t code[OFI_CUS_SEGMENT - OFI_CUS_COUNTRY + 1];
} cust_vals;

_Static_assert(sizeof(cust_vals) <= ROW_SLOT, "a customer row's values fit a slot");

/* The customers' rows, in order: ord[k] is the k-th group. (Gathered in windows of ranks
 * like the case list, they took as long, 10M cases: 2.4M rows of ~4 random lines.) */
typedef struct cust_rows {
    const ofi_db *db;
    const grouping *g;
    const double *avg;
    const int64_t *ids;
    const uint32_t *ord;
    double t1, t2;
    int with_texts; /* the rows show country, region, segment (the customers file) */
    size_t row_max; /* customer_row_max */
} cust_rows;

static void load_customer(size_t k, void *slot, const void *arg)
{
    const cust_rows *c = arg;
    cust_vals *v = slot;
    const uint32_t gi = c->ord[k];
    v->x = c->g->st[gi];
    v->id = c->ids[gi];
    v->avg = c->avg[gi];
    if (!c->with_texts)
        return;
    const ofi_table *cu = &c->db->t[OFI_T_CUSTOMERS];
    /* The customer's row: from its id when ids are dense, else through its first case. */
    const uint32_t crow = cu->ids_dense ? ofi_table_lookup(cu, v->id)
                                        : c->db->links.customer_row[v->x.first];
    for (int col = OFI_CUS_COUNTRY; col <= OFI_CUS_SEGMENT; col++)
        v->code[col - OFI_CUS_COUNTRY] = crow == UINT32_MAX ? 0 : ofi_table_code(cu, col, crow);
}

/* Format a customer row (the customers file, or with_texts 0 the tiers file) through a
 * raw pointer into room reserved for the longest possible row (c->row_max), as the case
 * list does: no capacity check per field. */
static void customer_row(ofi_outbuf *b, const void *slot, const void *arg)
{
    const cust_rows *c = arg;
    const cust_vals *v = slot;
    if (!ofi_outbuf_room(b, c->row_max))
        return;
    char *p = b->p + b->len;
    int tk;
    p = ofi_raw_i64(p, v->id);
    if (c->with_texts) {
        const ofi_table *cu = &c->db->t[OFI_T_CUSTOMERS];
        for (int col = OFI_CUS_COUNTRY; col <= OFI_CUS_SEGMENT; col++) {
            *p++ = ',';
            p = raw_code_text(p, cu, col, v->code[col - OFI_CUS_COUNTRY]);
        }
    }
    *p++ = ',';
    p = ofi_raw_u64(p, v->x.count);
    *p++ = ',';
    p += ofi_format_f6(v->avg, p);
    if (c->with_texts) {
        *p++ = ',';
        p += ofi_format_f6(v->x.total_ofi, p);
        *p++ = ',';
        p += ofi_format_f6(v->x.max_ofi, p);
        *p++ = ',';
        p = ofi_raw_money(p, v->x.refund_cents);
        *p++ = ',';
        p = ofi_raw_u64(p, v->x.escalated);
        *p++ = ',';
        p = ofi_raw_u64(p, v->x.reopened);
    }
    *p++ = ',';
    const char *tier = tier_name(v->avg, c->t1, c->t2, &tk);
    const size_t tl = strlen(tier);
    memcpy(p, tier, tl);
    p += tl;
    *p++ = '\n';
    b->len = (size_t)(p - b->p);
}

/* Upper bound of a customer row's length: numbers, 3 texts quoted at worst, separators. */
static size_t customer_row_max(const ofi_db *db)
{
    const ofi_table *cu = &db->t[OFI_T_CUSTOMERS];
    size_t t = 0;
    for (int col = OFI_CUS_COUNTRY; col <= OFI_CUS_SEGMENT; col++)
        t += 2 * dict_max_len(&cu->dict[col]) + 2;
    return t + 16 + 6 * 24 + 3 * 340 + sizeof "Medium Friction";
}

static ofi_status write_customers(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s,
                                  ofi_summary *sum)
{
    const ofi_db *db = s->db;
    const size_t n = s->f->n;
    grouping g;
    double *avg = NULL;
    int64_t *ids = NULL;
    uint32_t *ord = NULL;
    ofi_status st = OFI_OK;
    const ofi_table *cs = &db->t[OFI_T_CASES], *cu = &db->t[OFI_T_CUSTOMERS];
    if (cs->by_row[OFI_CAS_CUSTOMER] && cs->wide[OFI_CAS_CUSTOMER].n == 0) {
        /* No orphan customer ids: every case's customer is its row in the customers table
         * (UINT32_MAX for NULL), which the loader holds: group by it, with no key array,
         * no min/max pass and no group array. Group order is immaterial (ranked below). */
        ofi_gstat *raw = gstat_alloc(cu->n_rows);
        if (raw == NULL)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
        st = ofi_group_scaled(ctx, db, s->f, s->ofi, s->scale, db->links.customer_row,
                              (uint32_t)cu->n_rows, raw);
        if (st != OFI_OK) {
            free(raw);
            return st;
        }
        OFI_TRY(grouping_from_raw(ctx, raw, (uint32_t)cu->n_rows, 0, 0,
                                  (const uint64_t *)cu->col[OFI_CUS_ID].i64, NULL, &g));
    } else {
        uint64_t *keys = fk_keys(ctx, db, n, OFI_CAS_CUSTOMER, UINT64_MAX);
        if (keys == NULL)
            return OFI_E_NOMEM;
        OFI_TRY(group_by(ctx, s, keys, &g));
    }
    const uint32_t ng = g.n;
    avg = malloc((ng ? ng : 1) * sizeof *avg);
    ids = malloc((ng ? ng : 1) * sizeof *ids);
    ord = malloc((ng ? ng : 1) * sizeof *ord);
    if (!avg || !ids || !ord) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        goto cleanup;
    }
    for (uint32_t k = 0; k < ng; k++) {
        avg[k] = g.st[k].total_ofi / (double)g.st[k].count;
        ids[k] = (int64_t)g.keys[k];
    }
    OFI_CHECK(ofi_sort_desc(ctx, ng, avg, ids, ord));
    double t1 = 0, t2 = 0;
    if (ng) {
        t1 = ofi_quantile_desc(avg, ord, ng, 1.0 / 3.0);
        t2 = ofi_quantile_desc(avg, ord, ng, 2.0 / 3.0);
    }
    sum->customers = ng;
    sum->tier_t1 = t1;
    sum->tier_t2 = t2;
    for (uint32_t k = 0; k < ng; k++) {
        int tk;
        tier_name(avg[ord[k]], t1, t2, &tk);
        sum->tier_count[tk]++;
    }
    cust_rows cr = {db, &g, avg, ids, ord, t1, t2, 1, customer_row_max(db)};
    const rows_def cd = {load_customer, customer_row, &cr, NULL, NULL, 0};
    OFI_CHECK(write_rows(ctx, set, s, "ofi/high_friction_customers.csv",
                         "customer_id,country,region,segment,case_count,avg_ofi,total_ofi,max_ofi,"
                         "total_refund_eur,escalated_cases,reopened_cases,tier\n",
                         ng, &cd));
    cust_rows tr = cr;
    tr.with_texts = 0;
    const rows_def td = {load_customer, customer_row, &tr, NULL, NULL, 0};
    OFI_CHECK(write_rows(ctx, set, s, "ofi/customer_tiers.csv", "customer_id,case_count,avg_ofi,tier\n",
                         ng, &td));
cleanup:
    grouping_free(&g);
    free(avg);
    free(ids);
    free(ord);
    return st;
}

/* ---- time trends ---------------------------------------------------------------------- */

static int cmp_key_asc(const void *a, const void *b, void *arg)
{
    const gsort_ctx *gsc = arg;
    const uint64_t *k = gsc->g->keys;
    uint64_t x = k[*(const uint32_t *)a], y = k[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

static void put_trend_measures(ofi_outbuf *b, const ofi_gstat *x)
{
    ofi_put_u64(b, x->count);
    ofi_putc(b, ',');
    put_avg(b, x->total_ofi, x->count);
    ofi_putc(b, ',');
    ofi_put_f6(b, x->total_ofi);
    ofi_putc(b, ',');
    put_rate(b, x->escalated, x->count);
    ofi_putc(b, ',');
    put_avg(b, x->resolution, x->count);
    ofi_putc(b, ',');
    ofi_put_money(b, x->refund_cents);
    ofi_putc(b, '\n');
}

static ofi_status write_weekly(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, few *fw,
                               ofi_summary *sum)
{
    grouping g;
    uint32_t *ord;
    OFI_TRY(few_grouping(ctx, s, fw, FEW_WEEK, TKEY(fw->week_lo), 7, week_key_of,
                         (gsort_ctx){.kind = 0}, cmp_key_asc, &g, &ord));
    ofi_status st = OFI_OK;
    ofi_outbuf b = {0};
    ofi_puts(&b, "week_start,iso_year,iso_week,case_count,avg_ofi,total_ofi,escalation_rate,"
                 "avg_resolution_minutes,total_refund_eur\n");
    for (uint32_t k = 0; k < g.n; k++) {
        const ofi_gstat *x = &g.st[ord[k]];
        int32_t mon;
        int y, w;
        ofi_iso_week(TVAL(g.keys[ord[k]]), &mon, &y, &w);
        ofi_put_date(&b, mon);
        ofi_putc(&b, ',');
        ofi_put_i64(&b, y);
        ofi_putc(&b, ',');
        ofi_put_i64(&b, w);
        ofi_putc(&b, ',');
        put_trend_measures(&b, x);
    }
    /* Trend direction for the report: the last 4 weeks vs the 4 before, by total / count.
     * A last week the data stops in the middle of (its Sunday after the latest case date)
     * is left out: a week of three days is not a week to compare. */
    uint32_t end = g.n;
    if (g.n > 0) {
        int32_t mon;
        int y, w;
        ofi_iso_week(TVAL(g.keys[ord[g.n - 1]]), &mon, &y, &w);
        if (fw->day_hi < mon + 6) {
            end = g.n - 1;
            sum->partial_week = mon;
            sum->have_partial_week = 1;
        }
    }
    if (end >= 8) {
        ofi_xsum a, p;
        uint64_t na = 0, np = 0;
        ofi_xsum_init(&a);
        ofi_xsum_init(&p);
        for (uint32_t k = end - 8; k < end; k++) {
            const ofi_gstat *x = &g.st[ord[k]];
            if (k >= end - 4)
                ofi_xsum_add(&a, x->total_ofi), na += x->count;
            else
                ofi_xsum_add(&p, x->total_ofi), np += x->count;
        }
        sum->last4_avg = ofi_xsum_result(&a) / (double)na;
        sum->prev4_avg = ofi_xsum_result(&p) / (double)np;
        sum->have_trend = 1;
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "ofi/weekly_friction_trend.csv", &b));
cleanup:
    grouping_free(&g);
    ofi_outbuf_free(&b);
    free(ord);
    return st;
}

static ofi_status write_monthly(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, few *fw)
{
    grouping g;
    uint32_t *ord;
    OFI_TRY(few_grouping(ctx, s, fw, FEW_MONTH, TKEY(fw->sev.min_month), 1, month_key_of,
                         (gsort_ctx){.kind = 0}, cmp_key_asc, &g, &ord));
    ofi_status st = OFI_OK;
    ofi_outbuf b = {0}, r = {0};
    ofi_puts(&b, "month,case_count,avg_ofi,total_ofi,escalation_rate,avg_resolution_minutes,"
                 "total_refund_eur\n");
    ofi_puts(&r, "month,refunded_cases,refund_count,total_refund_eur\n");
    for (uint32_t k = 0; k < g.n; k++) {
        const ofi_gstat *x = &g.st[ord[k]];
        const int32_t mk = TVAL(g.keys[ord[k]]);
        ofi_put_month(&b, mk);
        ofi_putc(&b, ',');
        put_trend_measures(&b, x);
        ofi_put_month(&r, mk);
        ofi_putc(&r, ',');
        ofi_put_u64(&r, x->refunded);
        ofi_putc(&r, ',');
        ofi_put_u64(&r, x->refund_rows);
        ofi_putc(&r, ',');
        ofi_put_money(&r, x->refund_cents);
        ofi_putc(&r, '\n');
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "ofi/monthly_friction_trend.csv", &b));
    OFI_CHECK(ofi_outset_put(ctx, set, "ofi/monthly_refund_trend.csv", &r));
cleanup:
    grouping_free(&g);
    ofi_outbuf_free(&b);
    ofi_outbuf_free(&r);
    free(ord);
    return st;
}

static int cmp_sev(const void *a, const void *b, void *arg)
{
    const gsort_ctx *gsc = arg;
    const grouping *g = gsc->g;
    const ofi_db *db = gsc->s->db;
    const uint64_t x = g->keys[*(const uint32_t *)a], y = g->keys[*(const uint32_t *)b];
    const uint64_t sev_radix = gsc->sev_radix, prio_radix = gsc->prio_radix;
    const uint64_t mx = x / (sev_radix * prio_radix), my = y / (sev_radix * prio_radix);
    if (mx != my)
        return (mx > my) - (mx < my);
    const ofi_dict *sd = &db->t[OFI_T_ISSUES].dict[OFI_ISS_SEVERITY];
    const ofi_dict *pd = &db->t[OFI_T_CASES].dict[OFI_CAS_PRIORITY];
    size_t l1, l2;
    const char *s1 = code_text(sd, (uint32_t)(x / prio_radix % sev_radix), &l1);
    const char *s2 = code_text(sd, (uint32_t)(y / prio_radix % sev_radix), &l2);
    int c = bytecmp(s1, l1, s2, l2);
    if (c)
        return c;
    s1 = code_text(pd, (uint32_t)(x % prio_radix), &l1);
    s2 = code_text(pd, (uint32_t)(y % prio_radix), &l2);
    return bytecmp(s1, l1, s2, l2);
}

static ofi_status write_severity(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, few *fw)
{
    const ofi_table *cs = fw->sev.cs, *is = fw->sev.is;
    const uint64_t sev_radix = fw->sev.sev_radix, prio_radix = fw->sev.prio_radix;
    const int32_t min_month = fw->sev.min_month;
    grouping g;
    uint32_t *ord;
    OFI_TRY(few_grouping(ctx, s, fw, FEW_SEV, 0, 1, sev_key_of,
                         (gsort_ctx){.sev_radix = sev_radix, .prio_radix = prio_radix}, cmp_sev,
                         &g, &ord));
    ofi_status st = OFI_OK;
    ofi_outbuf b = {0};
    ofi_puts(&b, "month,severity,priority,case_count,avg_ofi,total_refund_eur,escalation_rate\n");
    for (uint32_t k = 0; k < g.n; k++) {
        const ofi_gstat *x = &g.st[ord[k]];
        const uint64_t key = g.keys[ord[k]];
        size_t len;
        const char *txt;
        ofi_put_month(&b, (int32_t)(key / (sev_radix * prio_radix)) + min_month);
        ofi_putc(&b, ',');
        txt = code_text(&is->dict[OFI_ISS_SEVERITY], (uint32_t)(key / prio_radix % sev_radix), &len);
        ofi_put_text(&b, txt, len);
        ofi_putc(&b, ',');
        txt = code_text(&cs->dict[OFI_CAS_PRIORITY], (uint32_t)(key % prio_radix), &len);
        ofi_put_text(&b, txt, len);
        ofi_putc(&b, ',');
        ofi_put_u64(&b, x->count);
        ofi_putc(&b, ',');
        put_avg(&b, x->total_ofi, x->count);
        ofi_putc(&b, ',');
        ofi_put_money(&b, x->refund_cents);
        ofi_putc(&b, ',');
        put_rate(&b, x->escalated, x->count);
        ofi_putc(&b, '\n');
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "ofi/severity_trend.csv", &b));
cleanup:
    grouping_free(&g);
    ofi_outbuf_free(&b);
    free(ord);
    return st;
}

/* ---- text-keyed drivers: product groups and teams --------------------------------------- */

/* Order: kind 0 total_ofi desc, kind 1 avg_ofi desc; then the group's text ascending. The
 * key is the canonical dictionary code of the text in gsc->dict. */
static int cmp_text_groups(const void *a, const void *b, void *arg)
{
    const gsort_ctx *gsc = arg;
    const grouping *g = gsc->g;
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    double vx = g->st[x].total_ofi, vy = g->st[y].total_ofi;
    if (gsc->kind == 1) {
        vx /= (double)g->st[x].count;
        vy /= (double)g->st[y].count;
    }
    if (vx != vy)
        return vx > vy ? -1 : 1;
    size_t l1, l2;
    const char *s1 = code_text(gsc->dict, (uint32_t)g->keys[x], &l1);
    const char *s2 = code_text(gsc->dict, (uint32_t)g->keys[y], &l2);
    return bytecmp(s1, l1, s2, l2);
}

static ofi_status write_products(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, few *fw,
                                 ofi_summary *sum)
{
    const ofi_dict *d = &fw->pr->dict[OFI_PRD_GROUP];
    grouping g;
    uint32_t *ord;
    OFI_TRY(few_grouping(ctx, s, fw, FEW_PRODUCT, 0, 1, product_key_of,
                         (gsort_ctx){.kind = 0, .dict = d}, cmp_text_groups, &g, &ord));
    ofi_status st = OFI_OK;
    ofi_outbuf b = {0};
    ofi_puts(&b, "product_group,case_count,total_refund_eur,avg_ofi,total_ofi,share_of_total_ofi,"
                 "escalation_rate,avg_resolution_minutes\n");
    for (uint32_t k = 0; k < g.n; k++) {
        const ofi_gstat *x = &g.st[ord[k]];
        size_t len;
        const char *txt = code_text(d, (uint32_t)g.keys[ord[k]], &len);
        const double share = sum->total_ofi != 0.0 ? x->total_ofi / sum->total_ofi : 0.0;
        if (k < OFI_SUMMARY_DRIVERS) {
            ofi_driver *dr = &sum->groups[sum->n_groups++];
            name_copy(dr->name, sizeof dr->name, txt, len);
            dr->cases = x->count;
            dr->total_ofi = x->total_ofi;
            dr->avg_ofi = x->total_ofi / (double)x->count;
            dr->share = share;
        }
        ofi_put_text(&b, txt, len);
        ofi_putc(&b, ',');
        ofi_put_u64(&b, x->count);
        ofi_putc(&b, ',');
        ofi_put_money(&b, x->refund_cents);
        ofi_putc(&b, ',');
        put_avg(&b, x->total_ofi, x->count);
        ofi_putc(&b, ',');
        ofi_put_f6(&b, x->total_ofi);
        ofi_putc(&b, ',');
        ofi_put_f6(&b, share);
        ofi_putc(&b, ',');
        put_rate(&b, x->escalated, x->count);
        ofi_putc(&b, ',');
        put_avg(&b, x->resolution, x->count);
        ofi_putc(&b, '\n');
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "ofi/product_group_cost_drivers.csv", &b));
cleanup:
    grouping_free(&g);
    ofi_outbuf_free(&b);
    free(ord);
    return st;
}

static ofi_status write_teams(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, few *fw)
{
    const ofi_db *db = s->db;
    const ofi_table *ag = fw->ag;
    const size_t n = s->f->n;
    const ofi_dict *d = &ag->dict[OFI_AGT_TEAM];
    grouping g;
    uint32_t *ord;
    OFI_TRY(few_grouping(ctx, s, fw, FEW_TEAM, 0, 1, team_key_of,
                         (gsort_ctx){.kind = 1, .dict = d}, cmp_text_groups, &g, &ord));
    ofi_status st = OFI_OK;
    ofi_outbuf b = {0};
    const uint32_t n_codes = ofi_dict_size(d);
    uint64_t *agents = calloc(g.n ? g.n : 1, sizeof *agents);
    uint32_t *code_group = malloc((n_codes ? n_codes : 1) * sizeof *code_group);
    if (agents == NULL || code_group == NULL) {
        st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        goto cleanup;
    }
    /* A team's group is keyed by its text's code (team_key_of). */
    for (uint32_t k = 0; k < g.n; k++)
        code_group[g.keys[k]] = k;
    /* agent_count: distinct non-NULL agent ids among the team's cases (orphans included).
     * An agent id has one team, so each agent is counted once, in the team of its first
     * case. Without orphan ids an agent is its row in the agents table: one sequential
     * pass finds each row's first case. With orphans, cases group by agent id. */
    const ofi_table *cs = &db->t[OFI_T_CASES];
    if (cs->by_row[OFI_CAS_AGENT] && cs->wide[OFI_CAS_AGENT].n == 0) {
        const uint32_t *arow = db->links.agent_row;
        uint32_t *first = malloc((ag->n_rows ? ag->n_rows : 1) * sizeof *first);
        if (first == NULL) {
            st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
            goto cleanup;
        }
        memset(first, 0xFF, (ag->n_rows ? ag->n_rows : 1) * sizeof *first);
        for (size_t i = 0; i < n; i++)
            if (arow[i] != UINT32_MAX && first[arow[i]] == UINT32_MAX)
                first[arow[i]] = (uint32_t)i;
        for (size_t r = 0; r < ag->n_rows; r++)
            if (first[r] != UINT32_MAX)
                agents[code_group[team_key_of(fw, first[r])]]++;
        free(first);
    } else {
        uint64_t *akeys = fk_keys(ctx, db, n, OFI_CAS_AGENT, UINT64_MAX);
        if (akeys == NULL) {
            st = OFI_E_NOMEM;
            goto cleanup;
        }
        grouping ga;
        OFI_CHECK(group_by(ctx, s, akeys, &ga));
        for (uint32_t k = 0; k < ga.n; k++)
            agents[code_group[team_key_of(fw, ga.st[k].first)]]++;
        grouping_free(&ga);
    }
    ofi_puts(&b, "team,agent_count,case_count,avg_ofi,escalation_rate,reopen_rate,"
                 "avg_resolution_minutes\n");
    for (uint32_t k = 0; k < g.n; k++) {
        const ofi_gstat *x = &g.st[ord[k]];
        size_t len;
        const char *txt = code_text(d, (uint32_t)g.keys[ord[k]], &len);
        ofi_put_text(&b, txt, len);
        ofi_putc(&b, ',');
        ofi_put_u64(&b, agents[ord[k]]);
        ofi_putc(&b, ',');
        ofi_put_u64(&b, x->count);
        ofi_putc(&b, ',');
        put_avg(&b, x->total_ofi, x->count);
        ofi_putc(&b, ',');
        put_rate(&b, x->escalated, x->count);
        ofi_putc(&b, ',');
        put_rate(&b, x->reopened, x->count);
        ofi_putc(&b, ',');
        put_avg(&b, x->resolution, x->count);
        ofi_putc(&b, '\n');
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "ofi/team_friction.csv", &b));
cleanup:
    grouping_free(&g);
    ofi_outbuf_free(&b);
    free(ord);
    free(agents);
    free(code_group);
    return st;
}

/* ---- root causes --------------------------------------------------------------------------- */

static int cmp_roots(const void *a, const void *b, void *arg)
{
    const gsort_ctx *gsc = arg;
    const grouping *g = gsc->g;
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const double vx = g->st[x].total_ofi, vy = g->st[y].total_ofi;
    if (vx != vy)
        return vx > vy ? -1 : 1;
    const int64_t ix = (int64_t)g->keys[x], iy = (int64_t)g->keys[y];
    const int nx = ix == OFI_NULL_I64, ny = iy == OFI_NULL_I64; /* NULL issue_id last */
    if (nx != ny)
        return nx - ny;
    return (ix > iy) - (ix < iy);
}

static ofi_status write_roots(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, few *fw,
                              ofi_summary *sum)
{
    const ofi_db *db = s->db;
    const ofi_table *is = &db->t[OFI_T_ISSUES];
    const size_t n = s->f->n;
    grouping g;
    uint32_t *ord;
    if (fw->raw[FEW_ISSUE] != NULL) {
        /* From the pass: raw group r is issue row r's id, n_issues the NULL issue_id. */
        const uint32_t n_raw = fw->n_raw[FEW_ISSUE];
        uint64_t *ids = malloc(n_raw * sizeof *ids);
        if (ids == NULL)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory for grouping");
        for (uint32_t r = 0; r + 1 < n_raw; r++)
            ids[r] = (uint64_t)ofi_table_key(is, r);
        ids[n_raw - 1] = (uint64_t)OFI_NULL_I64;
        ofi_gstat *raw = fw->raw[FEW_ISSUE];
        fw->raw[FEW_ISSUE] = NULL; /* the grouping takes it */
        const ofi_status gs = grouping_from_raw(ctx, raw, n_raw, 0, 0, ids, NULL, &g);
        free(ids);
        OFI_TRY(gs);
        OFI_TRY(order_groups(ctx, s, (gsort_ctx){.kind = 0}, cmp_roots, &g, &ord));
    } else {
        /* A NULL issue_id is a group of its own, keyed by the NULL mark. */
        uint64_t *keys = fk_keys(ctx, db, n, OFI_CAS_ISSUE, (uint64_t)OFI_NULL_I64);
        if (keys == NULL)
            return OFI_E_NOMEM;
        OFI_TRY(group_sorted(ctx, s, keys, (gsort_ctx){.kind = 0}, cmp_roots, &g, &ord));
    }
    ofi_status st = OFI_OK;
    ofi_outbuf b = {0};
    ofi_puts(&b, "issue_id,issue_category,root_cause,severity,case_count,avg_ofi,total_ofi,"
                 "total_refund_eur\n");
    for (uint32_t k = 0; k < g.n; k++) {
        const ofi_gstat *x = &g.st[ord[k]];
        const int64_t id = (int64_t)g.keys[ord[k]];
        const uint32_t row = db->links.issue_row[x->first];
        put_opt_i64(&b, id);
        for (int col = OFI_ISS_CATEGORY; col <= OFI_ISS_SEVERITY; col++) {
            size_t len;
            const char *txt = row == UINT32_MAX ? NULL : ofi_table_text(is, col, row, &len);
            if (txt == NULL)
                txt = OFI_UNKNOWN, len = sizeof OFI_UNKNOWN - 1;
            ofi_putc(&b, ',');
            ofi_put_text(&b, txt, len);
            if (k < OFI_SUMMARY_DRIVERS && col == OFI_ISS_ROOT) {
                ofi_driver *dr = &sum->roots[sum->n_roots++];
                name_copy(dr->name, sizeof dr->name, txt, len);
                dr->cases = x->count;
                dr->total_ofi = x->total_ofi;
                dr->avg_ofi = x->total_ofi / (double)x->count;
                dr->share = sum->total_ofi != 0.0 ? x->total_ofi / sum->total_ofi : 0.0;
            }
        }
        ofi_putc(&b, ',');
        ofi_put_u64(&b, x->count);
        ofi_putc(&b, ',');
        put_avg(&b, x->total_ofi, x->count);
        ofi_putc(&b, ',');
        ofi_put_f6(&b, x->total_ofi);
        ofi_putc(&b, ',');
        ofi_put_money(&b, x->refund_cents);
        ofi_putc(&b, '\n');
    }
    OFI_CHECK(ofi_outset_put(ctx, set, "ofi/root_cause_friction.csv", &b));
cleanup:
    grouping_free(&g);
    ofi_outbuf_free(&b);
    free(ord);
    return st;
}

/* ---- KPIs ------------------------------------------------------------------------------------ */

static ofi_status kpis(ofi_scored *s, const few *fw, ofi_summary *sum)
{
    const size_t n = s->f->n;
    const ofi_gstat x = fw->raw[FEW_ALL][0];
    sum->cases = n;
    sum->refund_cents = x.refund_cents;
    sum->total_ofi = x.total_ofi;
    if (n) {
        sum->avg_ofi = x.total_ofi / (double)n;
        sum->p50 = ofi_quantile_desc(s->ofi, s->order, n, 0.5);
        sum->p90 = ofi_quantile_desc(s->ofi, s->order, n, 0.9);
        sum->p99 = ofi_quantile_desc(s->ofi, s->order, n, 0.99);
        sum->max_ofi = s->ofi[s->order[0]];
        sum->escalation_rate = (double)x.escalated / (double)n;
        sum->reopen_rate = (double)x.reopened / (double)n;
        sum->delay_rate = (double)x.delayed / (double)n;
        sum->avg_resolution = x.resolution / (double)n;
        /* Share of friction in the top 1% of cases (at least one case). */
        size_t k = n / 100 ? n / 100 : 1;
        ofi_xsum top;
        ofi_xsum_init(&top);
        for (size_t i = 0; i < k; i++)
            ofi_xsum_add(&top, s->ofi[s->order[i]]);
        sum->top1pct_share = x.total_ofi != 0.0 ? ofi_xsum_result(&top) / x.total_ofi : 0.0;
    }
    sum->n_top = n < OFI_SUMMARY_TOP ? n : OFI_SUMMARY_TOP;
    for (size_t i = 0; i < sum->n_top; i++) {
        sum->top_case_id[i] = s->db->t[OFI_T_CASES].col[OFI_CAS_ID].i64[s->order[i]];
        sum->top_case_ofi[i] = s->ofi[s->order[i]];
    }
    return OFI_OK;
}

static ofi_status write_kpis(ofi_ctx *ctx, ofi_outset *set, const ofi_summary *sum)
{
    ofi_outbuf b = {0};
    const int have = sum->cases > 0;
    ofi_puts(&b, "metric,value\ncases,");
    ofi_put_u64(&b, sum->cases);
    ofi_puts(&b, "\ncustomers_with_cases,");
    ofi_put_u64(&b, sum->customers);
    ofi_puts(&b, "\ntotal_refund_eur,");
    ofi_put_money(&b, sum->refund_cents);
    static const char *const names[] = {"escalation_rate", "reopen_rate", "delay_rate",
                                        "avg_resolution_minutes", "avg_ofi", "p50_ofi",
                                        "p90_ofi", "p99_ofi", "max_ofi"};
    const double vals[] = {sum->escalation_rate, sum->reopen_rate, sum->delay_rate,
                           sum->avg_resolution, sum->avg_ofi, sum->p50, sum->p90, sum->p99,
                           sum->max_ofi};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ofi_putc(&b, '\n');
        ofi_puts(&b, names[i]);
        ofi_putc(&b, ',');
        if (have)
            ofi_put_f6(&b, vals[i]);
    }
    ofi_putc(&b, '\n');
    ofi_status st = ofi_outset_put(ctx, set, "ofi/kpi_summary.csv", &b);
    ofi_outbuf_free(&b);
    return st;
}

ofi_status ofi_views_write(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, ofi_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    s->scale = ofi_group_scale(ctx, s->ofi, s->f->n); /* once for every grouping below */
    few fw;
    OFI_TRY(few_measure(ctx, s, &fw));
    ofi_status st = kpis(s, &fw, sum);
    if (st == OFI_OK)
        st = write_cases(ctx, set, s);
    if (st == OFI_OK)
        st = write_top(ctx, set, s);
    if (st == OFI_OK)
        st = write_customers(ctx, set, s, sum);
    if (st == OFI_OK)
        st = write_weekly(ctx, set, s, &fw, sum);
    if (st == OFI_OK)
        st = write_monthly(ctx, set, s, &fw);
    if (st == OFI_OK)
        st = write_severity(ctx, set, s, &fw);
    if (st == OFI_OK)
        st = write_products(ctx, set, s, &fw, sum);
    if (st == OFI_OK)
        st = write_roots(ctx, set, s, &fw, sum);
    if (st == OFI_OK)
        st = write_teams(ctx, set, s, &fw);
    if (st == OFI_OK)
        st = write_kpis(ctx, set, sum);
    few_free(&fw);
    return st;
}
