/* test_csv.c - the CSV record splitter, quoting, and the streaming reader (csv.h).
 *
 * Splitter tests feed literal byte strings to ofi_csv_split. Reader tests write temporary
 * files, read them with a 4096-byte chunk and several split counts, re-split every range
 * and compare the records with the list they were generated from: every record must come
 * back exactly once, in order, whatever the chunk and range boundaries.
 */
#include "ofi/csv.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- splitter helpers -------------------------------------------------------------------- */

typedef struct split_out {
    int st, nf;
    ofi_field f[32];
    const char *next;
    uint64_t lines;
} split_out;

static split_out split_n(const char *s, size_t n)
{
    split_out o;
    memset(&o, 0, sizeof o);
    o.st = ofi_csv_split(s, s + n, o.f, 32, &o.nf, &o.next, &o.lines);
    return o;
}

static split_out split_s(const char *s)
{
    return split_n(s, strlen(s));
}

static void expect_field(const ofi_field *f, const char *want, int quoted)
{
    char buf[4096];
    cr_assert(f->len < sizeof buf);
    size_t n = ofi_csv_unescape(f, buf);
    buf[n] = '\0';
    cr_expect_eq(n, strlen(want), "field \"%s\": length %zu, expected %zu (\"%s\")", buf, n,
                 strlen(want), want);
    cr_expect(memcmp(buf, want, n) == 0, "field \"%s\", expected \"%s\"", buf, want);
    cr_expect_eq(f->quoted, quoted, "field \"%s\": quoted %d, expected %d", want, f->quoted,
                 quoted);
}

/* ---- splitting --------------------------------------------------------------------------- */

Test(csv_split, plain_record)
{
    const char *s = "a,bc,,d\nnext";
    split_out o = split_s(s);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 4);
    expect_field(&o.f[0], "a", 0);
    expect_field(&o.f[1], "bc", 0);
    expect_field(&o.f[2], "", 0);
    expect_field(&o.f[3], "d", 0);
    cr_expect_eq(o.next, s + 8);
    cr_expect_eq(o.lines, 1);
}

Test(csv_split, quoted_commas)
{
    const char *s = "a,\"b,c\",\",\",d\n";
    split_out o = split_s(s);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 4);
    expect_field(&o.f[0], "a", 0);
    expect_field(&o.f[1], "b,c", 1);
    expect_field(&o.f[2], ",", 1);
    expect_field(&o.f[3], "d", 0);
    cr_expect_eq(o.f[1].escaped, 0);
    cr_expect_eq(o.next, s + strlen(s));
    cr_expect_eq(o.lines, 1);
}

Test(csv_split, doubled_quotes)
{
    const char *s = "\"he said \"\"hi\"\"\",\"\"\"\",\"\"\n";
    split_out o = split_s(s);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 3);
    cr_expect_eq(o.f[0].escaped, 1);
    cr_expect_eq(o.f[0].len, 14); /* raw content: he said ""hi"" */
    expect_field(&o.f[0], "he said \"hi\"", 1);
    cr_expect_eq(o.f[1].escaped, 1);
    expect_field(&o.f[1], "\"", 1);
    /* An empty quoted field is quoted, not escaped, and not a blank line. */
    cr_expect_eq(o.f[2].escaped, 0);
    expect_field(&o.f[2], "", 1);
    cr_expect_eq(o.lines, 1);
}

Test(csv_split, unescape_unescaped_is_copy)
{
    ofi_field f = {"abc\"def", 7, 1, 0};
    char out[16];
    cr_assert_eq(ofi_csv_unescape(&f, out), 7);
    cr_assert(memcmp(out, "abc\"def", 7) == 0);
}

Test(csv_split, newline_inside_quotes)
{
    const char *s = "\"line1\nline2\nline3\",b\nc\n";
    split_out o = split_s(s);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 2);
    expect_field(&o.f[0], "line1\nline2\nline3", 1);
    expect_field(&o.f[1], "b", 0);
    cr_expect_eq(o.lines, 3, "n_lines %llu, expected 3", (unsigned long long)o.lines);
    cr_expect_eq(*o.next, 'c');
    /* CRLF inside quotes is kept as data. */
    split_out q = split_s("\"x\r\ny\"\r\n");
    cr_assert_eq(q.st, OFI_CSV_OK);
    cr_assert_eq(q.nf, 1);
    expect_field(&q.f[0], "x\r\ny", 1);
    cr_expect_eq(q.lines, 2);
}

Test(csv_split, crlf_line_ends)
{
    const char *s = "a,b\r\nc,\"d\"\r\n,\r\n";
    split_out o = split_s(s);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 2);
    expect_field(&o.f[0], "a", 0);
    expect_field(&o.f[1], "b", 0);
    cr_expect_eq(o.lines, 1);
    cr_assert_eq(o.next, s + 5);
    split_out o2 = split_s(o.next);
    cr_assert_eq(o2.st, OFI_CSV_OK);
    cr_assert_eq(o2.nf, 2);
    expect_field(&o2.f[0], "c", 0);
    expect_field(&o2.f[1], "d", 1);
    cr_expect_eq(o2.lines, 1);
    cr_assert_eq(o2.next, s + 12);
    split_out o3 = split_s(o2.next);
    cr_assert_eq(o3.st, OFI_CSV_OK);
    cr_assert_eq(o3.nf, 2);
    expect_field(&o3.f[0], "", 0);
    expect_field(&o3.f[1], "", 0);
    cr_expect_eq(o3.next, s + strlen(s));
}

Test(csv_split, lone_cr_is_an_error_outside_quotes)
{
    /* SPEC allows LF and CRLF line ends only: a lone CR outside quotes is a read error
     * (old Mac files would otherwise read as one giant record). */
    split_out o = split_s("a\rb,c\n");
    cr_expect_eq(o.st, OFI_CSV_BADEOL);
    cr_expect_eq(o.nf, 1);
    split_out e = split_s("x,y\r");
    cr_expect_eq(e.st, OFI_CSV_BADEOL);
    cr_expect_eq(e.nf, 2);
    /* Inside quotes a CR is data. */
    split_out q = split_s("\"a\rb\",c\n");
    cr_assert_eq(q.st, OFI_CSV_OK);
    cr_assert_eq(q.nf, 2);
    expect_field(&q.f[0], "a\rb", 1);
    cr_expect_str_eq(ofi_csv_strerror(OFI_CSV_BADEOL),
                     "lone CR line end (only LF and CRLF are supported)");
    cr_expect_eq(e.lines, 0);
}

Test(csv_split, blank_lines)
{
    split_out o = split_s("\nx\n");
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 1);
    cr_expect(ofi_csv_is_blank(o.f, o.nf));
    cr_expect_eq(o.lines, 1);
    cr_expect_eq(*o.next, 'x');

    split_out crlf = split_s("\r\n");
    cr_assert_eq(crlf.st, OFI_CSV_OK);
    cr_expect(ofi_csv_is_blank(crlf.f, crlf.nf));
    cr_expect_eq(crlf.lines, 1);

    split_out quoted = split_s("\"\"\n");
    cr_assert_eq(quoted.st, OFI_CSV_OK);
    cr_expect_not(ofi_csv_is_blank(quoted.f, quoted.nf), "\"\" is an empty quoted field");

    split_out comma = split_s(",\n");
    cr_expect_eq(comma.nf, 2);
    cr_expect_not(ofi_csv_is_blank(comma.f, comma.nf));

    /* Whitespace alone is a blank line too (pandas skips it); quoted, or with a comma or
     * any other byte, it is a record. */
    split_out space = split_s(" \t \r\nx\n");
    cr_assert_eq(space.st, OFI_CSV_OK);
    cr_expect(ofi_csv_is_blank(space.f, space.nf));
    cr_expect_eq(space.lines, 1);
    cr_expect_eq(*space.next, 'x');
    split_out qspace = split_s("\" \"\n");
    cr_expect_not(ofi_csv_is_blank(qspace.f, qspace.nf), "a quoted space is a field");
    split_out spaces_comma = split_s(" , \n");
    cr_expect_not(ofi_csv_is_blank(spaces_comma.f, spaces_comma.nf));
    split_out nbsp = split_s("\xc2\xa0\n");
    cr_expect_not(ofi_csv_is_blank(nbsp.f, nbsp.nf), "U+00A0 is not whitespace here");
}

Test(csv_split, last_record_without_line_end)
{
    const char *s = "a,b";
    split_out o = split_s(s);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 2);
    expect_field(&o.f[1], "b", 0);
    cr_expect_eq(o.next, s + 3);
    cr_expect_eq(o.lines, 0);

    const char *t = "a,";
    split_out o2 = split_s(t);
    cr_assert_eq(o2.st, OFI_CSV_OK);
    cr_assert_eq(o2.nf, 2);
    expect_field(&o2.f[1], "", 0);
    cr_expect_eq(o2.next, t + 2);

    const char *u = "1,\"x,\ny\"";
    split_out o3 = split_s(u);
    cr_assert_eq(o3.st, OFI_CSV_OK);
    cr_assert_eq(o3.nf, 2);
    expect_field(&o3.f[1], "x,\ny", 1);
    cr_expect_eq(o3.next, u + strlen(u));
    cr_expect_eq(o3.lines, 1);
}

Test(csv_split, more_fields_than_room)
{
    const char *s = "a,b,c,d,e\n";
    ofi_field f[2];
    int nf;
    const char *next;
    uint64_t lines;
    cr_assert_eq(ofi_csv_split(s, s + strlen(s), f, 2, &nf, &next, &lines), OFI_CSV_OK);
    cr_expect_eq(nf, 5);
    expect_field(&f[0], "a", 0);
    expect_field(&f[1], "b", 0);
    cr_expect_eq(next, s + strlen(s));
}

Test(csv_split, broken_quoting)
{
    /* Unterminated quote: runs to the end of the data. */
    const char *s1 = "a,\"abc\nmore";
    split_out o1 = split_s(s1);
    cr_expect_eq(o1.st, OFI_CSV_BADQUOTE);
    cr_expect_eq(o1.nf, 2);
    cr_expect_eq(o1.next, s1 + strlen(s1));

    /* A character after the closing quote. */
    const char *s2 = "\"abc\"x,d\nnext\n";
    split_out o2 = split_s(s2);
    cr_expect_eq(o2.st, OFI_CSV_BADQUOTE);
    cr_expect_eq(o2.nf, 1);
    cr_expect_eq(*o2.next, 'n', "after an error the splitter skips to the next line");

    /* A space after the closing quote is also broken. */
    split_out o2b = split_s("\"abc\" ,d\n");
    cr_expect_eq(o2b.st, OFI_CSV_BADQUOTE);

    /* A lone CR after the closing quote. */
    split_out o2c = split_s("\"abc\"\rx\n");
    cr_expect_eq(o2c.st, OFI_CSV_BADQUOTE);

    /* A quote inside an unquoted field is text, as Excel and Python read it. */
    const char *s3 = "ok,ab\"c,d\nnext";
    split_out o3 = split_s(s3);
    cr_expect_eq(o3.st, OFI_CSV_OK);
    cr_expect_eq(o3.nf, 3);
    expect_field(&o3.f[1], "ab\"c", 0);
    cr_expect_eq(*o3.next, 'n');

    /* So is a quote after leading spaces: the field is not a quoted one. */
    split_out o4 = split_s(" \"a\",b\n");
    cr_expect_eq(o4.st, OFI_CSV_OK);
    cr_expect_eq(o4.nf, 2);
    expect_field(&o4.f[0], " \"a\"", 0);
}

static void expect_badutf8(const char *s, int field)
{
    split_out o = split_s(s);
    cr_expect_eq(o.st, OFI_CSV_BADUTF8, "input \"%s\": status %d, expected BADUTF8", s, o.st);
    cr_expect_eq(o.nf - 1, field, "input \"%s\": bad field %d, expected %d", s, o.nf - 1, field);
}

Test(csv_split, invalid_utf8)
{
    expect_badutf8("\xC0\xAF\n", 0);                  /* overlong '/' (2 bytes) */
    expect_badutf8("a,\xC1\xBF\n", 1);                /* overlong (C1) */
    expect_badutf8("a,b\xE0\x80\xAF\n", 1);           /* overlong (3 bytes) */
    expect_badutf8("\xF0\x82\x82\xAC,x\n", 0);        /* overlong (4 bytes) */
    expect_badutf8("x,\xED\xA0\x80\n", 1);            /* surrogate U+D800 */
    expect_badutf8("x,\xED\xBF\xBF,y\n", 1);          /* surrogate U+DFFF */
    expect_badutf8("\xF4\x90\x80\x80\n", 0);          /* above U+10FFFF */
    expect_badutf8("\xF5\x80\x80\x80\n", 0);          /* invalid lead byte */
    expect_badutf8("ab\xE2\x82,c\n", 0);              /* truncated before a comma */
    expect_badutf8("ab,\xE2\x82", 1);                 /* truncated at the end of the data */
    expect_badutf8("ab,c\xE2\x82\n", 1);              /* truncated before the line end */
    expect_badutf8("\xE2\x82x\n", 0);                 /* continuation byte missing */
    expect_badutf8("\x80\n", 0);                      /* lone continuation byte */
    expect_badutf8("\xFF\n", 0);
    expect_badutf8("\"q,\xC0\xAF\",x\n", 0);          /* inside quotes */
    expect_badutf8("x,\"\xED\xA0\x80\"\n", 1);
    expect_badutf8("x,\"\xE2\x82\"\n", 1);
}

Test(csv_split, valid_multibyte_utf8)
{
    const char *s = "\xC3\xA9t\xC3\xA9,\xE2\x82\xAC" "5,\xF0\x9D\x84\x9E,\"\xF4\x8F\xBF\xBF,\xED\x9F\xBF\","
                    "\xEE\x80\x80,\xC2\x80,\xDF\xBF,\xE0\xA0\x80,\xF0\x90\x80\x80\n";
    split_out o = split_s(s);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 9);
    expect_field(&o.f[0], "\xC3\xA9t\xC3\xA9", 0);              /* été */
    expect_field(&o.f[1], "\xE2\x82\xAC" "5", 0);               /* €5 */
    expect_field(&o.f[2], "\xF0\x9D\x84\x9E", 0);               /* U+1D11E */
    expect_field(&o.f[3], "\xF4\x8F\xBF\xBF,\xED\x9F\xBF", 1); /* U+10FFFF, U+D7FF */
    expect_field(&o.f[4], "\xEE\x80\x80", 0);                   /* U+E000 */
    expect_field(&o.f[5], "\xC2\x80", 0);                       /* smallest 2-byte */
    expect_field(&o.f[6], "\xDF\xBF", 0);
    expect_field(&o.f[7], "\xE0\xA0\x80", 0);                   /* smallest 3-byte */
    expect_field(&o.f[8], "\xF0\x90\x80\x80", 0);               /* smallest 4-byte */
}

/* Unquoted fields are scanned 16 bytes at a time: put each kind of special byte at every
 * position of the first three blocks, with and without data after it, so that every lane,
 * block boundary and tail of the scan is crossed. */
Test(csv_split, special_bytes_at_every_position)
{
    char buf[96], want0[64];
    for (int len = 0; len < 48; len++) {
        for (int kind = 0; kind < 4; kind++) {
            for (int tail = 0; tail < 2; tail++) {
                memset(buf, 'a', sizeof buf);
                for (int j = 0; j < len; j++)
                    buf[j] = (char)('a' + j % 26);
                memcpy(want0, buf, (size_t)len);
                want0[len] = '\0';
                size_t n = (size_t)len;
                /* kind 0: ','; 1: LF; 2: CRLF; 3: 'é' inside the field, then LF */
                if (kind == 0) {
                    buf[n++] = ',';
                } else if (kind == 1) {
                    buf[n++] = '\n';
                } else if (kind == 2) {
                    buf[n++] = '\r';
                    buf[n++] = '\n';
                } else {
                    buf[n++] = '\xC3';
                    buf[n++] = '\xA9';
                    memcpy(want0 + len, "\xC3\xA9", 3);
                    buf[n++] = '\n';
                }
                if (tail) { /* a second field long enough to be scanned by blocks too */
                    memcpy(buf + n, "0123456789abcdefghij\n", 21);
                    n += 21;
                }
                split_out o = split_n(buf, n);
                cr_assert_eq(o.st, OFI_CSV_OK, "len %d kind %d tail %d", len, kind, tail);
                expect_field(&o.f[0], want0, 0);
                if (kind == 0) {
                    cr_assert_eq(o.nf, 2, "len %d tail %d", len, tail);
                    expect_field(&o.f[1], tail ? "0123456789abcdefghij" : "", 0);
                } else {
                    cr_assert_eq(o.nf, 1, "len %d kind %d tail %d", len, kind, tail);
                    cr_assert_eq(o.lines, 1);
                }
                cr_assert_eq(o.next, kind == 0 || !tail ? buf + n : buf + n - 21);
            }
        }
    }
    /* A lone CR and an invalid byte at every position are still errors. */
    for (int len = 0; len < 40; len++) {
        memset(buf, 'x', sizeof buf);
        buf[len] = '\r';
        buf[len + 1] = 'y';
        buf[len + 2] = '\n';
        cr_assert_eq(split_n(buf, (size_t)len + 3).st, OFI_CSV_BADEOL, "len %d", len);
        buf[len] = '\xFF';
        cr_assert_eq(split_n(buf, (size_t)len + 3).st, OFI_CSV_BADUTF8, "len %d", len);
    }
}

/* ---- quoting ------------------------------------------------------------------------------ */

Test(csv_quote, rules)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {" spaced ", " spaced "},
        {"a,b", "\"a,b\""},
        {"say \"x\"", "\"say \"\"x\"\"\""},
        {"\"", "\"\"\"\""},
        {"a\nb", "\"a\nb\""},
        {"a\rb", "\"a\rb\""},
        {"tab\there", "tab\there"},
        {"\xC3\xA9", "\xC3\xA9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        len = 0;
        cr_assert(ofi_csv_quote(&buf, &len, &cap, cases[i].in, strlen(cases[i].in)));
        cr_expect_eq(len, strlen(cases[i].out), "quote(\"%s\"): length %zu", cases[i].in, len);
        cr_expect(memcmp(buf, cases[i].out, len) == 0, "quote(\"%s\") = \"%.*s\", expected \"%s\"",
                  cases[i].in, (int)len, buf, cases[i].out);
    }
    free(buf);
}

Test(csv_quote, appends_and_grows)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char big[1000];
    memset(big, '"', sizeof big);
    cr_assert(ofi_csv_quote(&buf, &len, &cap, "x", 1));
    cr_assert(ofi_csv_quote(&buf, &len, &cap, ",", 1));
    cr_assert(ofi_csv_quote(&buf, &len, &cap, big, sizeof big));
    cr_assert_eq(len, 1 + 3 + 2 + 2 * sizeof big);
    cr_assert(cap >= len);
    cr_expect(memcmp(buf, "x\",\"\"", 5) == 0);
    /* Round trip through the splitter. */
    char *rec = malloc(len + 4);
    memcpy(rec, "a,", 2);
    size_t off = 2;
    len = 0;
    cr_assert(ofi_csv_quote(&buf, &len, &cap, big, sizeof big));
    memcpy(rec + off, buf, len);
    off += len;
    split_out o = split_n(rec, off);
    cr_assert_eq(o.st, OFI_CSV_OK);
    cr_assert_eq(o.nf, 2);
    char out[sizeof big];
    cr_assert_eq(ofi_csv_unescape(&o.f[1], out), sizeof big);
    cr_expect(memcmp(out, big, sizeof big) == 0);
    free(rec);
    free(buf);
}

/* ---- the reader --------------------------------------------------------------------------- */

/* A generated table: records of n_cols fields, and its file image. */
typedef struct gen_table {
    int n_cols;
    size_t n_rec;
    char ***rec;   /* rec[i][j]: NUL-terminated field text */
    size_t **flen; /* flen[i][j]: field length */
    char *file;    /* header + body */
    size_t file_len, body_off;
    uint64_t body_lines; /* '\n' bytes in the body */
} gen_table;

static void append(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (n == 0 && *b != NULL)
        return;
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n)
            c *= 2;
        *b = realloc(*b, c);
        cr_assert_not_null(*b);
        *cap = c;
    }
    if (n)
        memcpy(*b + *len, s, n);
    *len += n;
}

/* A random field: empty, plain, UTF-8, quoted with specials, or long multi-line. */
/* A random field; plain: only the first 8 pieces (no comma, quote or line end). */
static char *gen_field(unit_rng *r, size_t *len, int long_ok, int plain)
{
    static const char *const pieces[] = {"a",  "Zz", "42",  " ",     "-1.5",  "\xC3\xA9",
                                         "\xE2\x82\xAC", "\xF0\x9D\x84\x9E", ",", "\"", "\n",
                                         "\r\n", "x\ry", "\"\"", ",,"};
    size_t kind = unit_below(r, 10);
    size_t n_pieces = kind == 0 ? 0 : kind < 9 || !long_ok ? 1 + unit_below(r, 6) : 100 + unit_below(r, 400);
    char *b = NULL;
    size_t l = 0, cap = 0;
    append(&b, &l, &cap, "", 0);
    for (size_t i = 0; i < n_pieces; i++) {
        size_t k = kind < 4 || plain ? unit_below(r, 8)
                                     : unit_below(r, sizeof pieces / sizeof pieces[0]);
        append(&b, &l, &cap, pieces[k], strlen(pieces[k]));
    }
    append(&b, &l, &cap, "", 1); /* NUL */
    *len = l - 1;
    return b;
}

static void put_field(char **b, size_t *len, size_t *cap, const char *s, size_t n, int force)
{
    int need = force;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            need = 1;
    if (!need) {
        append(b, len, cap, s, n);
        return;
    }
    append(b, len, cap, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        append(b, len, cap, s + i, 1);
        if (s[i] == '"')
            append(b, len, cap, "\"", 1);
    }
    append(b, len, cap, "\"", 1);
}

/* A random table and its file image; plain: not a quote in the file. */
static gen_table gen_make(unit_rng *r, size_t n_rec, int n_cols, int bom, int big_every,
                          int plain)
{
    gen_table t;
    memset(&t, 0, sizeof t);
    t.n_cols = n_cols;
    t.n_rec = n_rec;
    t.rec = calloc(n_rec, sizeof *t.rec);
    t.flen = calloc(n_rec, sizeof *t.flen);
    size_t cap = 0;
    if (bom)
        append(&t.file, &t.file_len, &cap, "\xEF\xBB\xBF", 3);
    for (int j = 0; j < n_cols; j++) {
        char name[32];
        int n = snprintf(name, sizeof name, "%s col%d ", j ? "," : "", j);
        append(&t.file, &t.file_len, &cap, name, (size_t)n);
    }
    append(&t.file, &t.file_len, &cap, "\r\n", 2);
    t.body_off = t.file_len;
    for (size_t i = 0; i < n_rec; i++) {
        t.rec[i] = calloc((size_t)n_cols, sizeof **t.rec);
        t.flen[i] = calloc((size_t)n_cols, sizeof **t.flen);
        if (unit_below(r, 20) == 0) { /* a blank line */
            if (unit_below(r, 2))
                append(&t.file, &t.file_len, &cap, "\n", 1);
            else
                append(&t.file, &t.file_len, &cap, "\r\n", 2);
        }
        for (int j = 0; j < n_cols; j++) {
            int big = big_every && unit_below(r, (uint64_t)big_every) == 0;
            t.rec[i][j] = gen_field(r, &t.flen[i][j], big, plain);
            if (j)
                append(&t.file, &t.file_len, &cap, ",", 1);
            put_field(&t.file, &t.file_len, &cap, t.rec[i][j], t.flen[i][j],
                      !plain && unit_below(r, 5) == 0);
        }
        /* Every record ends with LF or CRLF, except perhaps the last one. */
        if (i + 1 < n_rec || unit_below(r, 2)) {
            if (unit_below(r, 2))
                append(&t.file, &t.file_len, &cap, "\n", 1);
            else
                append(&t.file, &t.file_len, &cap, "\r\n", 2);
        }
    }
    /* n_cols >= 2, so no record reads as a blank line. */
    for (size_t i = t.body_off; i < t.file_len; i++)
        t.body_lines += t.file[i] == '\n';
    return t;
}

static void gen_free(gen_table *t)
{
    for (size_t i = 0; i < t->n_rec; i++) {
        for (int j = 0; j < t->n_cols; j++)
            free(t->rec[i][j]);
        free(t->rec[i]);
        free(t->flen[i]);
    }
    free(t->rec);
    free(t->flen);
    free(t->file);
    memset(t, 0, sizeof *t);
}

/* Print up to 300 bytes, escaped, to stderr (failure diagnostics). */
static void dump_bytes(const char *what, const char *p, size_t n)
{
    fprintf(stderr, "%s: \"", what);
    for (size_t i = 0; i < n && i < 300; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n')
            fputs("\\n", stderr);
        else if (c == '\r')
            fputs("\\r", stderr);
        else if (c < 0x20 || c >= 0x7F)
            fprintf(stderr, "\\x%02X", c);
        else
            fputc(c, stderr);
    }
    fprintf(stderr, "\"%s\n", n > 300 ? " ..." : "");
}

/* Read path with the given split count and compare every record with t, mapping the
 * file (no_map 0; a regular file must then be mapped) or reading it into the buffer.
 * Returns the reader's final buffer capacity. */
/* 1: read as the loader does: ofi_csv_next_lines, and ofi_csv_again for a chunk that
 * holds a quote (whose line ends may be inside quoted fields). */
static int lines_first;

static size_t read_and_check_nt(const char *path, const gen_table *t, int n_split, size_t chunk,
                                int n_threads, int no_map)
{
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.chunk_bytes = chunk;
    ctx.n_threads = n_threads;
    ctx.no_map = no_map;
    ofi_csv_reader r;
    cr_assert_eq(ofi_csv_open(&ctx, path, &r), OFI_OK, "open: %s", ctx.err);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(r.map != NULL, S_ISREG(sb.st_mode) && !no_map, "%s: mapped %d, no_map %d", path,
                 r.map != NULL, no_map);
    cr_assert_eq(r.n_header, t->n_cols);
    for (int j = 0; j < t->n_cols; j++) {
        char want[32];
        snprintf(want, sizeof want, "col%d", j);
        cr_expect_str_eq(r.header_names[j], want);
    }
    cr_expect_eq(r.line_of_first_record, 2);
    size_t splits[65];
    size_t idx = 0, n_chunks = 0;
    uint64_t lines = 0;
    char *concat = NULL;
    size_t concat_len = 0, concat_cap = 0;
    ofi_field f[64];
    char *tmp = malloc(1 << 20);
    cr_assert_not_null(tmp);
    for (;;) {
        const char *data;
        size_t len;
        if (lines_first) {
            cr_assert_eq(ofi_csv_next_lines(&ctx, &r, n_split, splits, &data, &len), OFI_OK,
                         "next_lines: %s", ctx.err);
            if (len > 0 && memchr(data, '"', len) != NULL)
                cr_assert_eq(ofi_csv_again(&ctx, &r, n_split, splits, &data, &len), OFI_OK,
                             "again: %s", ctx.err);
        } else {
            cr_assert_eq(ofi_csv_next(&ctx, &r, n_split, splits, &data, &len), OFI_OK,
                         "next: %s", ctx.err);
        }
        if (len == 0)
            break;
        n_chunks++;
        cr_assert_eq(splits[0], 0);
        cr_assert_eq(splits[n_split], len);
        for (int k = 0; k < n_split; k++) {
            cr_assert(splits[k] <= splits[k + 1], "splits not monotonic");
            /* Every range starts on a record boundary: at 0, just after a '\n', or at the
             * end (an empty range). */
            if (splits[k] > 0 && splits[k] < len)
                cr_assert_eq(data[splits[k] - 1], '\n', "range %d starts inside a line", k);
        }
        append(&concat, &concat_len, &concat_cap, data, len);
        for (int k = 0; k < n_split; k++) {
            const char *p = data + splits[k], *end = data + splits[k + 1];
            while (p < end) {
                int nf;
                const char *next;
                uint64_t nl;
                int st = ofi_csv_split(p, end, f, 64, &nf, &next, &nl);
                if (st != OFI_CSV_OK)
                    dump_bytes("bad record", p, (size_t)(end - p));
                cr_assert_eq(st, OFI_CSV_OK, "record %zu: split status %d (n_split %d)", idx, st,
                             n_split);
                cr_assert(next > p && next <= end);
                lines += nl;
                p = next;
                if (ofi_csv_is_blank(f, nf))
                    continue;
                cr_assert(idx < t->n_rec, "more records than written");
                cr_assert_eq(nf, t->n_cols, "record %zu: %d fields", idx, nf);
                for (int j = 0; j < nf; j++) {
                    size_t l = ofi_csv_unescape(&f[j], tmp);
                    cr_assert_eq(l, t->flen[idx][j], "record %zu field %d: length %zu vs %zu", idx,
                                 j, l, t->flen[idx][j]);
                    cr_assert(memcmp(tmp, t->rec[idx][j], l) == 0, "record %zu field %d differs",
                              idx, j);
                }
                idx++;
            }
        }
    }
    cr_expect_eq(idx, t->n_rec, "records read %zu, written %zu (n_split %d)", idx, t->n_rec,
                 n_split);
    cr_expect_eq(lines, t->body_lines, "line ends counted %llu, in file %llu",
                 (unsigned long long)lines, (unsigned long long)t->body_lines);
    cr_expect_eq(concat_len, t->file_len - t->body_off);
    cr_expect(concat_len == t->file_len - t->body_off &&
                  memcmp(concat, t->file + t->body_off, concat_len) == 0,
              "the concatenated chunks differ from the file body");
    /* The end stays the end. */
    const char *data;
    size_t len = 1;
    cr_expect_eq(ofi_csv_next(&ctx, &r, n_split, splits, &data, &len), OFI_OK);
    cr_expect_eq(len, 0);
    size_t cap = r.cap;
    ofi_csv_close(&r);
    free(tmp);
    free(concat);
    return cap;
}

/* Both ways of reading a file: mapped and copied into the buffer. They must grow the
 * window and the buffer alike. */
static size_t read_and_check(const char *path, const gen_table *t, int n_split, size_t chunk)
{
    const size_t mapped = read_and_check_nt(path, t, n_split, chunk, 1, 0);
    const size_t copied = read_and_check_nt(path, t, n_split, chunk, 1, 1);
    cr_expect_eq(mapped, copied, "final window %zu, buffer %zu", mapped, copied);
    lines_first = 1;
    read_and_check_nt(path, t, n_split, chunk, 1, 0);
    read_and_check_nt(path, t, n_split, chunk, 1, 1);
    lines_first = 0;
    return copied;
}

/* Copied chunks of 4 MiB and more are read by one pread per thread: the records must come
 * back the same with 2, 3 and 7 threads, chunk sizes that do and do not divide evenly, and
 * a file that ends inside a thread's part; mapped, too. */
Test(csv_reader, parallel_reads_of_big_chunks)
{
    unit_rng r = unit_seed("csv_reader.parallel_reads_of_big_chunks");
    gen_table t = gen_make(&r, 240000, 4, 0, 40, 0);
    cr_assert(t.file_len > 9u << 20, "file of %zu bytes: too small for the test", t.file_len);
    char *path = unit_temp_file(t.file, t.file_len);
    for (int no_map = 0; no_map <= 1; no_map++) {
        read_and_check_nt(path, &t, 2, (size_t)6 << 20, 2, no_map);
        read_and_check_nt(path, &t, 3, ((size_t)5 << 20) + 12345, 3, no_map);
        read_and_check_nt(path, &t, 7, (size_t)4 << 20, 7, no_map);
    }
    unlink(path);
    free(path);
    gen_free(&t);
    /* Without a quote in the file, big chunks are checked for quotes in parallel and cut at
     * line ends alone. */
    t = gen_make(&r, 240000, 4, 0, 40, 1);
    cr_assert(memchr(t.file, '"', t.file_len) == NULL);
    path = unit_temp_file(t.file, t.file_len);
    for (int no_map = 0; no_map <= 1; no_map++) {
        read_and_check_nt(path, &t, 2, (size_t)6 << 20, 2, no_map);
        read_and_check_nt(path, &t, 7, ((size_t)4 << 20) + 777, 7, no_map);
    }
    unlink(path);
    free(path);
    gen_free(&t);
}

Test(csv_reader, random_records_all_splits)
{
    unit_rng r = unit_seed("csv_reader.random_records_all_splits");
    for (int round = 0; round < 3; round++) {
        gen_table t = gen_make(&r, 1500 + unit_below(&r, 1500), 2 + (int)unit_below(&r, 5),
                               round == 1, round == 2 ? 0 : 40, round == 2);
        char *path = unit_temp_file(t.file, t.file_len);
        static const int splits[] = {1, 2, 3, 4, 7, 16, 64};
        for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++)
            read_and_check(path, &t, splits[s], 4096);
        read_and_check(path, &t, 5, 5000); /* a chunk size that is not a power of two */
        unlink(path);
        free(path);
        gen_free(&t);
    }
}

Test(csv_reader, quoted_newlines_span_chunks)
{
    /* Records of ~1 KiB whose quoted field is mostly newlines: a 4096-byte chunk ends
     * inside a quoted field again and again. */
    unit_rng r = unit_seed("csv_reader.quoted_newlines_span_chunks");
    gen_table t;
    memset(&t, 0, sizeof t);
    t.n_cols = 3;
    t.n_rec = 400;
    t.rec = calloc(t.n_rec, sizeof *t.rec);
    t.flen = calloc(t.n_rec, sizeof *t.flen);
    size_t cap = 0;
    append(&t.file, &t.file_len, &cap, "col0,col1,col2\n", 15);
    t.body_off = t.file_len;
    for (size_t i = 0; i < t.n_rec; i++) {
        t.rec[i] = calloc(3, sizeof **t.rec);
        t.flen[i] = calloc(3, sizeof **t.flen);
        char id[32];
        int n = snprintf(id, sizeof id, "%zu", i);
        t.rec[i][0] = strdup(id);
        t.flen[i][0] = (size_t)n;
        size_t l = 900 + unit_below(&r, 300);
        char *s = malloc(l + 1);
        for (size_t k = 0; k < l; k++)
            s[k] = k % 3 == 0 ? '\n' : k % 7 == 0 ? ',' : k % 11 == 0 ? '"' : 'q';
        s[l] = '\0';
        t.rec[i][1] = s;
        t.flen[i][1] = l;
        t.rec[i][2] = strdup("\r\n");
        t.flen[i][2] = 2;
        put_field(&t.file, &t.file_len, &cap, t.rec[i][0], t.flen[i][0], 0);
        append(&t.file, &t.file_len, &cap, ",", 1);
        put_field(&t.file, &t.file_len, &cap, s, l, 0);
        append(&t.file, &t.file_len, &cap, ",", 1);
        put_field(&t.file, &t.file_len, &cap, t.rec[i][2], 2, 0);
        append(&t.file, &t.file_len, &cap, "\r\n", 2);
    }
    for (size_t i = t.body_off; i < t.file_len; i++)
        t.body_lines += t.file[i] == '\n';
    char *path = unit_temp_file(t.file, t.file_len);
    for (int s = 1; s <= 8; s++)
        read_and_check(path, &t, s, 4096);
    unlink(path);
    free(path);
    gen_free(&t);
}

Test(csv_reader, record_longer_than_buffer)
{
    unit_rng r = unit_seed("csv_reader.record_longer_than_buffer");
    gen_table t = gen_make(&r, 300, 3, 0, 0, 0);
    /* Replace record 150's middle field by a 50000-byte multi-line field. */
    size_t big = 50000;
    char *s = malloc(big + 1);
    for (size_t k = 0; k < big; k++)
        s[k] = k % 100 == 99 ? '\n' : k % 37 == 0 ? ',' : (char)('a' + k % 26);
    s[big] = '\0';
    free(t.rec[150][1]);
    t.rec[150][1] = s;
    t.flen[150][1] = big;
    /* Rebuild the file image from the records. */
    free(t.file);
    t.file = NULL;
    t.file_len = 0;
    size_t cap = 0;
    append(&t.file, &t.file_len, &cap, "col0,col1,col2\n", 15);
    t.body_off = t.file_len;
    for (size_t i = 0; i < t.n_rec; i++) {
        for (int j = 0; j < 3; j++) {
            if (j)
                append(&t.file, &t.file_len, &cap, ",", 1);
            put_field(&t.file, &t.file_len, &cap, t.rec[i][j], t.flen[i][j], 0);
        }
        append(&t.file, &t.file_len, &cap, "\n", 1);
    }
    t.body_lines = 0;
    for (size_t i = t.body_off; i < t.file_len; i++)
        t.body_lines += t.file[i] == '\n';
    char *path = unit_temp_file(t.file, t.file_len);
    for (int sp = 1; sp <= 4; sp++) {
        size_t cap_after = read_and_check(path, &t, sp, 4096);
        cr_expect(cap_after > big, "buffer should have grown past %zu, cap %zu", big, cap_after);
    }
    unlink(path);
    free(path);
    gen_free(&t);
}

Test(csv_reader, header_only_file)
{
    static const char *const files[] = {"a,b,c\n", "a,b,c\r\n", "a,b,c"};
    for (size_t i = 0; i < 3; i++) {
        char *path = unit_temp_file(files[i], strlen(files[i]));
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ctx.chunk_bytes = 4096;
        ofi_csv_reader r;
        cr_assert_eq(ofi_csv_open(&ctx, path, &r), OFI_OK, "%s", ctx.err);
        cr_assert_eq(r.n_header, 3);
        cr_expect_str_eq(r.header_names[0], "a");
        cr_expect_str_eq(r.header_names[2], "c");
        size_t splits[4];
        const char *data;
        size_t len = 99;
        cr_assert_eq(ofi_csv_next(&ctx, &r, 3, splits, &data, &len), OFI_OK);
        cr_expect_eq(len, 0, "file %zu: header only, got %zu bytes", i, len);
        ofi_csv_close(&r);
        unlink(path);
        free(path);
    }
}

Test(csv_reader, bom_and_trimmed_header)
{
    const char *file = "\xEF\xBB\xBF id ,\tName\t,\"  x, y  \", \r\n1,2,3,4\r\n";
    char *path = unit_temp_file(file, strlen(file));
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.chunk_bytes = 4096;
    ofi_csv_reader r;
    cr_assert_eq(ofi_csv_open(&ctx, path, &r), OFI_OK, "%s", ctx.err);
    cr_assert_eq(r.n_header, 4);
    cr_expect_str_eq(r.header_names[0], "id");
    cr_expect_str_eq(r.header_names[1], "Name");
    cr_expect_str_eq(r.header_names[2], "x, y");
    cr_expect_str_eq(r.header_names[3], "");
    cr_expect_eq(r.line_of_first_record, 2);
    size_t splits[2];
    const char *data;
    size_t len;
    cr_assert_eq(ofi_csv_next(&ctx, &r, 1, splits, &data, &len), OFI_OK);
    cr_assert_eq(len, 9);
    cr_expect(memcmp(data, "1,2,3,4\r\n", 9) == 0);
    ofi_csv_close(&r);
    unlink(path);
    free(path);
}

Test(csv_reader, bom_only_in_first_position)
{
    /* A BOM is skipped only at the very start; without one the first name is intact. */
    const char *file = "id,v\n1,\xEF\xBB\xBF\n";
    char *path = unit_temp_file(file, strlen(file));
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_csv_reader r;
    cr_assert_eq(ofi_csv_open(&ctx, path, &r), OFI_OK, "%s", ctx.err);
    cr_expect_str_eq(r.header_names[0], "id");
    size_t splits[2];
    const char *data;
    size_t len;
    cr_assert_eq(ofi_csv_next(&ctx, &r, 1, splits, &data, &len), OFI_OK);
    cr_expect_eq(len, 6);
    ofi_csv_close(&r);
    unlink(path);
    free(path);
}

Test(csv_reader, multiline_header)
{
    const char *file = "\"a\nb\",c\n1,2\n";
    char *path = unit_temp_file(file, strlen(file));
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_csv_reader r;
    cr_assert_eq(ofi_csv_open(&ctx, path, &r), OFI_OK, "%s", ctx.err);
    cr_assert_eq(r.n_header, 2);
    cr_expect_str_eq(r.header_names[0], "a\nb");
    cr_expect_eq(r.line_of_first_record, 3);
    ofi_csv_close(&r);
    unlink(path);
    free(path);
}

Test(csv_reader, header_longer_than_buffer)
{
    char *file = NULL;
    size_t len = 0, cap = 0;
    for (int j = 0; j < 200; j++) {
        char name[64];
        int n = snprintf(name, sizeof name, "%sa_rather_long_column_name_%03d", j ? "," : "", j);
        append(&file, &len, &cap, name, (size_t)n);
    }
    append(&file, &len, &cap, "\n", 1);
    cr_assert(len > 4096);
    for (int j = 0; j < 200; j++)
        append(&file, &len, &cap, j ? ",7" : "7", j ? 2 : 1);
    append(&file, &len, &cap, "\n", 1);
    char *path = unit_temp_file(file, len);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ctx.chunk_bytes = 4096;
    ofi_csv_reader r;
    cr_assert_eq(ofi_csv_open(&ctx, path, &r), OFI_OK, "%s", ctx.err);
    cr_assert_eq(r.n_header, 200);
    cr_expect_str_eq(r.header_names[0], "a_rather_long_column_name_000");
    cr_expect_str_eq(r.header_names[199], "a_rather_long_column_name_199");
    size_t splits[3];
    const char *data;
    size_t dlen;
    cr_assert_eq(ofi_csv_next(&ctx, &r, 2, splits, &data, &dlen), OFI_OK);
    cr_expect_eq(dlen, 200 * 2);
    ofi_csv_close(&r);
    unlink(path);
    free(path);
    free(file);
}

static void expect_open_error(const char *file, size_t n, const char *fragment)
{
    char *path = unit_temp_file(file, n);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_csv_reader r;
    cr_expect_eq(ofi_csv_open(&ctx, path, &r), OFI_E_SOURCE);
    cr_expect_eq(ctx.status, OFI_E_SOURCE);
    cr_expect(strstr(ctx.err, path) != NULL, "message \"%s\" should name the file", ctx.err);
    cr_expect(strstr(ctx.err, fragment) != NULL, "message \"%s\" should say \"%s\"", ctx.err,
              fragment);
    ofi_csv_close(&r);
    unlink(path);
    free(path);
}

Test(csv_reader, open_errors)
{
    expect_open_error("", 0, "empty file");
    expect_open_error("\xEF\xBB\xBF", 3, "empty file");
    expect_open_error("a,\"b\n1,2\n", 9, "broken quoting");
    expect_open_error("a,b\rc,d\r", 8, "lone CR");
    expect_open_error("a,\xC0\xAF\n", 6, "invalid UTF-8");

    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_csv_reader r;
    cr_expect_eq(ofi_csv_open(&ctx, "/nonexistent/ofi/cases.csv", &r), OFI_E_SOURCE);
    cr_expect(strstr(ctx.err, "/nonexistent/ofi/cases.csv") != NULL, "%s", ctx.err);
    ofi_csv_close(&r); /* a failed open is safe to close */

    /* A directory opens but cannot be read. */
    ofi_ctx_init(&ctx);
    cr_expect_eq(ofi_csv_open(&ctx, "/", &r), OFI_E_SOURCE);
    cr_expect(strstr(ctx.err, "read error") != NULL, "%s", ctx.err);
    ofi_csv_close(&r);
}

Test(csv_reader, close_zeroed_reader_keeps_fd_0)
{
    /* csv.h: "ofi_csv_close ... accepts a zeroed reader". A zeroed reader has fd 0, which
     * must not be closed (it is stdin, not a file the reader opened).
     * BUG (reported): ofi_csv_close closes any fd >= 0, so fd 0 of a zeroed reader. */
    int devnull = open("/dev/null", O_RDONLY);
    cr_assert(devnull >= 0);
    cr_assert_eq(dup2(devnull, 0), 0);
    close(devnull);
    ofi_csv_reader r;
    memset(&r, 0, sizeof r);
    ofi_csv_close(&r);
    cr_expect_neq(fcntl(0, F_GETFD), -1, "ofi_csv_close closed fd 0 of a zeroed reader");
}

/* A header of n columns c0,c1,...; a data row of as many fields. */
static char *wide_file(int n)
{
    size_t cap = (size_t)n * 16 + 16, len = 0;
    char *s = malloc(cap);
    cr_assert(s != NULL);
    for (int row = 0; row < 2; row++)
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(s + len, cap - len, row ? "%d%c" : "c%d%c", i,
                                    i + 1 < n ? ',' : '\n');
    return s;
}

Test(csv_reader, wide_header_up_to_the_limit)
{
    /* Exports carry thousands of columns besides ours: 4096 are read, 4097 are an error
     * naming the file and the limit. */
    for (int n = OFI_CSV_MAX_HEADER; n <= OFI_CSV_MAX_HEADER + 1; n++) {
        char *file = wide_file(n);
        char *path = unit_temp_file(file, strlen(file));
        ofi_ctx ctx;
        ofi_ctx_init(&ctx);
        ofi_csv_reader r;
        const ofi_status st = ofi_csv_open(&ctx, path, &r);
        if (n == OFI_CSV_MAX_HEADER) {
            cr_assert_eq(st, OFI_OK, "%s", ctx.err);
            cr_assert_eq(r.n_header, n);
            cr_expect_str_eq(r.header_names[0], "c0");
            cr_expect_str_eq(r.header_names[n - 1], "c4095");
        } else {
            cr_assert_eq(st, OFI_E_SOURCE);
            char want[512];
            snprintf(want, sizeof want, "%s:1: header: more than 4096 columns", path);
            cr_expect_str_eq(ctx.err, want);
        }
        ofi_csv_close(&r);
        unlink(path);
        free(path);
        free(file);
    }
}
