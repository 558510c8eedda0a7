/* parse.c - typed value parsing: integers, decimals, exact money, dates and datetimes.
 *
 * Grammar is strict: "12abc" is not 12, "1e5" is not an integer, "nan" is not a decimal.
 * Decimals go through strtod on a normalised copy ('.' as the mark), which glibc rounds
 * correctly; strtod is only reached after our own grammar check, so locale and hex floats
 * never matter. Money never touches binary floating point.
 */
#include "ofi/parse.h"

#include "ofi/date.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len > 0 && is_ws(p[0])) {
        p++;
        len--;
    }
    while (len > 0 && is_ws(p[len - 1]))
        len--;
    *s = p;
    *n = len;
}

int ofi_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ws(s[i]))
            return 0;
    return 1;
}

int ofi_parse_int(const char *s, size_t n, int64_t *out)
{
    trim(&s, &n);
    if (n == 0)
        return OFI_PV_NULL;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    if (i == n || !is_digit(s[i]))
        return OFI_PV_BAD;
    uint64_t v = 0;
    int over = 0;
    for (; i < n && is_digit(s[i]); i++) {
        unsigned dgt = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            over = 1;
        else
            v = v * 10 + dgt;
    }
    if (i < n && s[i] == '.') { /* "12.0": a fraction of zeros, at least one */
        size_t z = ++i;
        for (; i < n && s[i] == '0'; i++)
            ;
        if (i == z)
            return OFI_PV_BAD;
    }
    if (i != n)
        return OFI_PV_BAD;
    /* INT64_MIN is reserved as the NULL marker, so the range is symmetric. */
    if (over || v > (uint64_t)INT64_MAX)
        return OFI_PV_RANGE;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return OFI_PV_OK;
}

/* Checks the decimal grammar. On success fills the position of the mark (or n) and of
 * the exponent letter (or n). */
static int dec_shape(const char *s, size_t n, size_t *mark, size_t *expo)
{
    size_t i = 0, digits = 0;
    *mark = n;
    *expo = n;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit(s[i]); i++)
        digits++;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        *mark = i;
        size_t frac = 0;
        for (i++; i < n && is_digit(s[i]); i++)
            frac++;
        if (frac == 0)
            return 0; /* "3." is not in the grammar */
        digits += frac;
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *expo = i;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        for (; i < n && is_digit(s[i]); i++)
            ed++;
        if (ed == 0)
            return 0;
    }
    return i == n;
}

int ofi_parse_dec(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    if (n == 0)
        return OFI_PV_NULL;
    size_t mark, expo;
    if (!dec_shape(s, n, &mark, &expo))
        return OFI_PV_BAD;
    char stackbuf[128];
    char *buf = n < sizeof stackbuf ? stackbuf : malloc(n + 1);
    if (buf == NULL)
        return OFI_PV_BAD;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (mark < n)
        buf[mark] = '.';
    char *end;
    double v = strtod(buf, &end);
    int ok = end == buf + n;
    if (buf != stackbuf)
        free(buf);
    if (!ok)
        return OFI_PV_BAD;
    if (!isfinite(v))
        return OFI_PV_RANGE; /* "1e400": well-formed, beyond a double */
    *out = v;
    return OFI_PV_OK;
}

int ofi_parse_money(const char *s, size_t n, int64_t *cents)
{
    trim(&s, &n);
    if (n == 0)
        return OFI_PV_NULL;
    size_t mark, expo;
    if (!dec_shape(s, n, &mark, &expo))
        return OFI_PV_BAD;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    /* Exponent, clamped: beyond +-100000 the value is 0 or out of range anyway. */
    long e10 = 0;
    if (expo < n) {
        size_t j = expo + 1;
        int eneg = 0;
        if (s[j] == '+' || s[j] == '-')
            eneg = s[j++] == '-';
        for (; j < n; j++)
            if (e10 < 100000)
                e10 = e10 * 10 + (s[j] - '0');
        if (eneg)
            e10 = -e10;
    }
    const size_t mant_end = expo < n ? expo : n;
    /* value = digits * 10^(e10 - frac_digits); cents keep the digits whose position,
     * counted from the decimal point shifted by e10 + 2, is integral. */
    long frac_digits = mark < mant_end ? (long)(mant_end - mark - 1) : 0;
    long shift = e10 + 2 - frac_digits; /* cents = digits * 10^shift */
    uint64_t v = 0;
    int round_up = 0, seen = 0;
    long n_digits = 0;
    for (size_t j = i; j < mant_end; j++)
        if (is_digit(s[j]))
            n_digits++;
    /* The digit at index k (0-based from the left) has weight 10^(n_digits-1-k+shift);
     * digits of negative weight are below a cent: the first of them decides half-up. */
    long k = 0;
    for (size_t j = i; j < mant_end; j++) {
        if (!is_digit(s[j]))
            continue;
        long w = n_digits - 1 - k + shift;
        unsigned dgt = (unsigned)(s[j] - '0');
        k++;
        if (w >= 0) {
            if (v > (UINT64_MAX - dgt) / 10)
                return OFI_PV_RANGE;
            v = v * 10 + dgt;
            seen = 1;
        } else if (w == -1) {
            round_up = dgt >= 5;
        }
    }
    (void)seen;
    for (long z = 0; z < shift && v != 0; z++) {
        if (v > UINT64_MAX / 10)
            return OFI_PV_RANGE;
        v *= 10;
    }
    if (round_up && v == UINT64_MAX)
        return OFI_PV_RANGE;
    v += (uint64_t)round_up;
    if (v > (uint64_t)INT64_MAX)
        return OFI_PV_RANGE;
    *cents = neg ? -(int64_t)v : (int64_t)v;
    return OFI_PV_OK;
}

static int num(const char *s, size_t w, int *out)
{
    int v = 0;
    for (size_t i = 0; i < w; i++) {
        if (!is_digit(s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Parses YYYY-MM-DD at s (needs n >= 10). */
static int date_part(const char *s, size_t n, int32_t *days)
{
    int y, m, d;
    if (n < 10 || s[4] != '-' || s[7] != '-')
        return 0;
    if (!num(s, 4, &y) || !num(s + 5, 2, &m) || !num(s + 8, 2, &d))
        return 0;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > ofi_days_in_month(y, m))
        return 0;
    *days = ofi_days_from_civil(y, m, d);
    return 1;
}

/* Parses HH:MM[:SS[.f]] filling exactly [s, s+n); *tod gets nanoseconds of the day. */
static int time_part(const char *s, size_t n, uint64_t *tod)
{
    int h, mi, se = 0;
    uint64_t ns = 0;
    if (n < 5 || s[2] != ':' || !num(s, 2, &h) || !num(s + 3, 2, &mi) || h > 23 || mi > 59)
        return 0;
    if (n > 5) {
        if (n < 8 || s[5] != ':' || !num(s + 6, 2, &se) || se > 59)
            return 0;
        if (n > 8) {
            if (s[8] != '.' || n == 9)
                return 0;
            uint64_t scale = 100000000;
            for (size_t i = 9; i < n; i++) {
                if (!is_digit(s[i]))
                    return 0;
                ns += (uint64_t)(s[i] - '0') * scale;
                scale /= 10;
            }
        }
    }
    *tod = ((uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)se) * 1000000000u + ns;
    return 1;
}

int ofi_parse_date(const char *s, size_t n, int32_t *days)
{
    trim(&s, &n);
    if (n == 0)
        return OFI_PV_NULL;
    int32_t dd;
    if (!date_part(s, n, &dd))
        return OFI_PV_BAD;
    uint64_t tod;
    if (n > 10 && !((s[10] == ' ' || s[10] == 'T') && time_part(s + 11, n - 11, &tod)))
        return OFI_PV_BAD;
    *days = dd;
    return OFI_PV_OK;
}

int ofi_parse_datetime(const char *s, size_t n, int32_t *days, uint64_t *tod)
{
    trim(&s, &n);
    if (n == 0)
        return OFI_PV_NULL;
    int32_t dd;
    uint64_t t;
    if (!date_part(s, n, &dd) || n < 11 || (s[10] != ' ' && s[10] != 'T') ||
        !time_part(s + 11, n - 11, &t))
        return OFI_PV_BAD;
    *days = dd;
    if (tod)
        *tod = t;
    return OFI_PV_OK;
}
