/* test_format.c - number and text formatting of the CSV writer (outbuf.h).
 *
 * ofi_format_f6 must print exactly what glibc's printf("%.6f") prints (which rounds the
 * exact binary value half to even), except that -0.0 prints as 0.000000.
 */
#include "ofi/outbuf.h"

#include "ofi/date.h"
#include "unit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void expect_f6_printf(double v)
{
    char got[512], want[512];
    memset(got, 0, sizeof got);
    int n = ofi_format_f6(v, got);
    int m = snprintf(want, sizeof want, "%.6f", v);
    cr_assert(n == m && memcmp(got, want, (size_t)n) == 0,
              "f6(%a = %.17g): \"%.*s\" (%d), printf \"%s\" (%d)", v, v, n > 0 && n < 512 ? n : 0,
              got, n, want, m);
}

static void expect_f6(double v, const char *want)
{
    char got[512];
    int n = ofi_format_f6(v, got);
    cr_expect(n == (int)strlen(want) && memcmp(got, want, (size_t)n) == 0,
              "f6(%.17g): \"%.*s\", expected \"%s\"", v, n > 0 && n < 512 ? n : 0, got, want);
}

Test(format_f6, zeros_and_signs)
{
    expect_f6(0.0, "0.000000");
    expect_f6(-0.0, "0.000000"); /* SPEC section 7 */
    expect_f6(-1e-9, "-0.000000"); /* as printf: a negative value rounding to zero */
    expect_f6(1e-9, "0.000000");
    expect_f6(-4e-7, "-0.000000");
    expect_f6(-5e-7, "-0.000000"); /* (double)5e-7 is just below half a unit */
    expect_f6(-6e-7, "-0.000001");
    expect_f6(1.0, "1.000000");
    expect_f6(-2.5, "-2.500000");
    expect_f6(123456.789, "123456.789000");
    expect_f6(5e-324, "0.000000");
    expect_f6(-5e-324, "-0.000000");
}

Test(format_f6, halfway_cases)
{
    /* Decimal "halves" are not exact in binary: printf decides by the exact value. */
    static const double v[] = {0.0000005, 1.0000005, 2.5e-7, 0.0000015, 0.0000025, 2.0000005,
                               1e-6,      0.1234565, 0.5,    1.5,       1234.0000005};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        expect_f6_printf(v[i]);
        expect_f6_printf(-v[i]);
    }
    /* Exact binary halves: k / 2^7 has 7 decimals and ends in 5: ties to even. */
    expect_f6(1.0 / 128.0, "0.007812");  /* 0.0078125 */
    expect_f6(3.0 / 128.0, "0.023438");  /* 0.0234375 */
    expect_f6(-1.0 / 128.0, "-0.007812");
    for (int e = 1; e <= 40; e++)
        for (int64_t k = -2000; k <= 2000; k++)
            expect_f6_printf(ldexp((double)k, -e));
    /* k/2^20 for every k < 2^20: every 20-bit fraction, many exact ties. */
    for (int64_t k = 0; k < (1 << 20); k += 1)
        expect_f6_printf((double)k / 1048576.0 + (double)(k % 7));
}

Test(format_f6, random_bit_patterns)
{
    unit_rng r = unit_seed("format_f6.random_bit_patterns");
    long tested = 0;
    while (tested < 1000000) {
        uint64_t b = unit_next(&r);
        double v;
        if (tested % 2) {
            /* Exponent biased to the range where 6 decimals matter: 2^-30 .. 2^40. */
            b = (b & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1023 - 30 + unit_below(&r, 70)) << 52);
        }
        memcpy(&v, &b, sizeof v);
        if (!isfinite(v) || !(fabs(v) < 1e12))
            continue;
        expect_f6_printf(v);
        tested++;
    }
}

Test(format_f6, near_fast_path_limit_and_large)
{
    /* Around the fast path's limit, and beyond (snprintf fallback). */
    static const double v[] = {9.19999999e12, 9.2e12, 9.2000000001e12, 9.223372036854775e12,
                               1e13, 4503599627370495.5, 9007199254740993.0, 1e15, 1e20, 1e22};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        expect_f6_printf(v[i]);
        expect_f6_printf(-v[i]);
        expect_f6_printf(nextafter(v[i], 0));
        expect_f6_printf(nextafter(v[i], INFINITY));
    }
}

Test(format_f6, huge_values_fit_the_result)
{
    /* outbuf.h: "at least 32 bytes; up to 330 for huge values": values >= ~1e24 print
     * more than 31 characters, and the returned length must match what was written. */
    expect_f6_printf(1e25);
    expect_f6_printf(1e30);
    expect_f6_printf(-1.7976931348623157e308);
}

Test(format_f6, put_f6_any_double)
{
    static const double v[] = {0.0, -0.0, 1.5, -1e-9, 1e12, 1e30, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ofi_outbuf b = {0};
        ofi_put_f6(&b, v[i]);
        char want[512];
        int m = snprintf(want, sizeof want, "%.6f", v[i] == 0.0 ? 0.0 : v[i]);
        cr_expect(!ofi_outbuf_failed(&b));
        cr_expect(b.len == (size_t)m && memcmp(b.p, want, b.len) == 0,
                  "put_f6(%.17g): \"%.*s\", expected \"%s\"", v[i], (int)b.len, b.p, want);
        ofi_outbuf_free(&b);
    }
}

static void expect_buf(ofi_outbuf *b, const char *want)
{
    cr_expect(!ofi_outbuf_failed(b));
    cr_expect(b->len == strlen(want) && memcmp(b->p, want, b->len) == 0,
              "buffer \"%.*s\", expected \"%s\"", (int)b->len, b->p ? b->p : "", want);
    b->len = 0;
}

Test(format_money, cents)
{
    ofi_outbuf b = {0};
    static const struct {
        int64_t c;
        const char *s;
    } cases[] = {
        {0, "0.00"},         {5, "0.05"},          {-5, "-0.05"},        {50, "0.50"},
        {100, "1.00"},       {-100, "-1.00"},      {123456, "1234.56"},  {-123456, "-1234.56"},
        {99, "0.99"},        {-1, "-0.01"},        {1000000000, "10000000.00"},
        {INT64_MAX, "92233720368547758.07"},       {INT64_MIN, "-92233720368547758.08"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ofi_put_money(&b, cases[i].c);
        expect_buf(&b, cases[i].s);
    }
    ofi_outbuf_free(&b);
}

Test(format_text, quoting)
{
    ofi_outbuf b = {0};
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {" padded ", " padded "},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"\"", "\"\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\rhere", "\"cr\rhere\""},
        {"caf\xC3\xA9", "caf\xC3\xA9"},
        {"semi;colon", "semi;colon"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ofi_put_text(&b, cases[i].in, strlen(cases[i].in));
        expect_buf(&b, cases[i].out);
    }
    /* Appends, growing the buffer. */
    for (int i = 0; i < 10000; i++)
        ofi_put_text(&b, "x,\"y\"", 5);
    cr_expect_eq(b.len, 10000u * 9u);
    cr_expect(memcmp(b.p, "\"x,\"\"y\"\"\"\"x,", 12) == 0);
    ofi_outbuf_free(&b);
    ofi_outbuf_free(&b);
    ofi_outbuf_free(NULL);
}

Test(format_misc, integers_dates_months)
{
    ofi_outbuf b = {0};
    ofi_put_i64(&b, 0);
    expect_buf(&b, "0");
    ofi_put_i64(&b, -42);
    expect_buf(&b, "-42");
    ofi_put_i64(&b, INT64_MIN);
    expect_buf(&b, "-9223372036854775808");
    ofi_put_i64(&b, INT64_MAX);
    expect_buf(&b, "9223372036854775807");
    ofi_put_u64(&b, UINT64_MAX);
    expect_buf(&b, "18446744073709551615");
    ofi_put_date(&b, 19782);
    expect_buf(&b, "2024-02-29");
    ofi_put_date(&b, 0);
    expect_buf(&b, "1970-01-01");
    ofi_put_month(&b, 2024 * 12 + 1);
    expect_buf(&b, "2024-02");
    ofi_puts(&b, "ab");
    ofi_putc(&b, ',');
    ofi_put(&b, "cde", 2);
    expect_buf(&b, "ab,cd");
    ofi_outbuf_free(&b);
}

static void expect_raw_i64(int64_t v)
{
    char got[32], want[32];
    const int n = (int)(ofi_raw_i64(got, v) - got);
    const int m = snprintf(want, sizeof want, "%lld", (long long)v);
    cr_assert(n == m && memcmp(got, want, (size_t)n) == 0, "raw_i64(%lld): \"%.*s\"", (long long)v,
              n > 0 && n < 32 ? n : 0, got);
}

static void expect_raw_money(int64_t cents)
{
    char got[40], want[40];
    const int n = (int)(ofi_raw_money(got, cents) - got);
    const uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    const int m = snprintf(want, sizeof want, "%s%llu.%02llu", cents < 0 ? "-" : "",
                           (unsigned long long)(a / 100), (unsigned long long)(a % 100));
    cr_assert(n == m && memcmp(got, want, (size_t)n) == 0, "raw_money(%lld): \"%.*s\", want %s",
              (long long)cents, n > 0 && n < 40 ? n : 0, got, want);
}

/* Every digit count, both sides of each power of ten, the extremes, and random values. */
Test(format_raw, integers_and_money_every_length)
{
    for (int k = 0; k <= 18; k++) {
        int64_t p = 1;
        for (int i = 0; i < k; i++)
            p *= 10;
        /* 10p - 1, the largest of k + 1 digits, passes INT64_MAX at 19 digits. */
        const int64_t around[] = {p - 1, p, p + 1, 2 * p - 1, 9 * p,
                                  k < 18 ? 9 * p + (p - 1) : INT64_MAX};
        for (size_t j = 0; j < sizeof around / sizeof around[0]; j++) {
            expect_raw_i64(around[j]);
            expect_raw_i64(-around[j]);
            expect_raw_money(around[j]);
            expect_raw_money(-around[j]);
        }
    }
    const int64_t ends[] = {0, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    for (size_t j = 0; j < sizeof ends / sizeof ends[0]; j++) {
        expect_raw_i64(ends[j]);
        expect_raw_money(ends[j]);
    }
    unit_rng r = unit_seed("format_raw.integers_and_money_every_length");
    for (int i = 0; i < 200000; i++) {
        const int64_t v = (int64_t)(unit_next(&r) >> unit_below(&r, 64));
        expect_raw_i64(v);
        expect_raw_money(v);
    }
}
