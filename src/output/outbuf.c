/* outbuf.c - output buffer and number formatting.
 *
 * ofi_format_f6: a finite double is m * 2^e exactly (m < 2^53). Its value times 10^6 is
 * m * 10^6 * 2^e, with m * 10^6 < 2^73: an unsigned __int128 holds it. For e < 0 the
 * integer part of value*10^6 is that product shifted right by -e, and the bits shifted out
 * decide the rounding: above half rounds up, exactly half rounds to even - the same
 * correctly rounded result glibc's printf gives, in a few nanoseconds instead of a few
 * hundred. Values too large for this path (|v| >= 2^63 / 10^6) fall back to snprintf.
 */
#include "ofi/outbuf.h"

#include "ofi/date.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ofi_outbuf_free(ofi_outbuf *b)
{
    if (b == NULL)
        return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

int ofi_outbuf_room(ofi_outbuf *b, size_t n)
{
    if (b->failed)
        return 0;
    if (b->len + n <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void ofi_put(ofi_outbuf *b, const char *s, size_t n)
{
    if (n == 0 || !ofi_outbuf_room(b, n)) /* n 0: s may be NULL (an empty text) */
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void ofi_puts(ofi_outbuf *b, const char *s)
{
    ofi_put(b, s, strlen(s));
}

void ofi_putc(ofi_outbuf *b, char c)
{
    if (!ofi_outbuf_room(b, 1))
        return;
    b->p[b->len++] = c;
}

void ofi_put_text(ofi_outbuf *b, const char *s, size_t n)
{
    int need = 0;
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"')
            quotes++, need = 1;
        else if (c == ',' || c == '\n' || c == '\r')
            need = 1;
    }
    if (!need) {
        ofi_put(b, s, n);
        return;
    }
    if (!ofi_outbuf_room(b, n + quotes + 2))
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        *o++ = s[i];
        if (s[i] == '"')
            *o++ = '"';
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

/* "00" to "99": two digits per division. */
static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                               "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                               "8081828384858687888990919293949596979899";

/* Decimal digits of v (1 for 0). */
static inline int n_digits(uint64_t v)
{
    int n = 1;
    for (;;) { /* four digits per step: at most five steps */
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* The n digits of v (n = n_digits(v)) at p. @return p + n. */
static inline char *put_uint(char *p, uint64_t v, int n)
{
    char *e = p + n, *q = e;
    while (v >= 100) {
        const unsigned r = (unsigned)(v % 100);
        v /= 100;
        q -= 2;
        memcpy(q, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, pairs + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    return e;
}

/* Digits of v into the end of a buffer; returns the start. */
static char *utoa_end(uint64_t v, char *end)
{
    const int n = n_digits(v);
    put_uint(end - n, v, n);
    return end - n;
}

void ofi_put_u64(ofi_outbuf *b, uint64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp;
    char *s = utoa_end(v, e);
    ofi_put(b, s, (size_t)(e - s));
}

void ofi_put_i64(ofi_outbuf *b, int64_t v)
{
    if (v < 0) {
        ofi_putc(b, '-');
        ofi_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        ofi_put_u64(b, (uint64_t)v);
    }
}

int ofi_format_f6(double v, char *out)
{
    if (v == 0.0) { /* both zeros: -0.0 prints as 0.000000 (SPEC section 7) */
        memcpy(out, "0.000000", 8);
        return 8;
    }
    const double a = fabs(v);
    if (!(a < 9.2e12)) /* the fast path needs the scaled integer below 2^63 */
        return snprintf(out, 330, "%.6f", v); /* DBL_MAX needs 316 bytes */
    /* a = m * 2^-shift exactly, read from the bits (a is finite and nonzero). */
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    const int be = (int)(bits >> 52);            /* biased exponent; 0: subnormal */
    const uint64_t frac = bits & ((UINT64_C(1) << 52) - 1);
    const uint64_t m = be ? frac | UINT64_C(1) << 52 : frac;
    const int shift = be ? 1075 - be : 1074;
    unsigned __int128 n = (unsigned __int128)m * 1000000u;
    uint64_t q;
    if (shift <= 0) {
        q = (uint64_t)(n << -shift);
    } else if (shift >= 128) {
        q = 0; /* far below half a unit: rounds to 0 */
    } else {
        const unsigned __int128 one = 1;
        const unsigned __int128 mask = (one << shift) - 1, half = one << (shift - 1);
        const unsigned __int128 rem = n & mask;
        q = (uint64_t)(n >> shift);
        if (rem > half || (rem == half && (q & 1)))
            q++;
    }
    const uint64_t ip = q / 1000000;
    const unsigned fp = (unsigned)(q % 1000000);
    char *p = out;
    if (v < 0)
        *p++ = '-';
    p = put_uint(p, ip, n_digits(ip));
    *p++ = '.';
    memcpy(p, pairs + 2 * (fp / 10000), 2);
    memcpy(p + 2, pairs + 2 * (fp / 100 % 100), 2);
    memcpy(p + 4, pairs + 2 * (fp % 100), 2);
    return (int)(p + 6 - out);
}

void ofi_put_f6(ofi_outbuf *b, double v)
{
    char tmp[400];
    int n = fabs(v) < 9.2e12 || v == 0.0 ? ofi_format_f6(v, tmp) : snprintf(tmp, sizeof tmp, "%.6f", v);
    ofi_put(b, tmp, (size_t)n);
}

void ofi_put_money(ofi_outbuf *b, int64_t cents)
{
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    char tmp[32], *e = tmp + sizeof tmp, *s = e;
    *--s = (char)('0' + a % 10);
    *--s = (char)('0' + a / 10 % 10);
    *--s = '.';
    s = utoa_end(a / 100, s);
    if (cents < 0)
        *--s = '-';
    ofi_put(b, s, (size_t)(e - s));
}

void ofi_put_date(ofi_outbuf *b, int32_t days)
{
    if (!ofi_outbuf_room(b, 10))
        return;
    b->len += (size_t)ofi_format_date(days, b->p + b->len);
}

void ofi_put_month(ofi_outbuf *b, int32_t month_key)
{
    if (!ofi_outbuf_room(b, 7))
        return;
    b->len += (size_t)ofi_format_month(month_key, b->p + b->len);
}

char *ofi_raw_u64(char *p, uint64_t v)
{
    return put_uint(p, v, n_digits(v));
}

char *ofi_raw_i64(char *p, int64_t v)
{
    const uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    return put_uint(p, a, n_digits(a));
}

char *ofi_raw_money(char *p, int64_t cents)
{
    const uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        *p++ = '-';
    p = put_uint(p, a / 100, n_digits(a / 100));
    *p++ = '.';
    memcpy(p, pairs + 2 * (a % 100), 2);
    return p + 2;
}

char *ofi_raw_text(char *p, const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            break;
    if (i == n) {
        memcpy(p, s, n);
        return p + n;
    }
    *p++ = '"';
    for (i = 0; i < n; i++) {
        *p++ = s[i];
        if (s[i] == '"')
            *p++ = '"';
    }
    *p++ = '"';
    return p;
}
