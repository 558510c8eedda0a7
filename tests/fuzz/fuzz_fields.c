/* fuzz_fields.c - libFuzzer target for the typed-field parsers (parse.h).
 *
 * The first byte picks a parser, the rest is the field. Checks against independent
 * readings where one exists:
 *   int      an accepted value is strtoll's reading of the same digits;
 *   decimal  an accepted value is finite and strtod's (correctly rounded, as ours must be)
 *            of the same text with a comma decimal mark turned into a point;
 *   money    an accepted amount agrees with the decimal reading to within a cent;
 *   date     an accepted day formats as YYYY-MM-DD and reads back as the same day;
 *   datetime likewise for its day, and a time of day below 24 h.
 */
#include "fuzz.h"
#include "ofi/date.h"
#include "ofi/parse.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The field trimmed of ASCII whitespace, NUL-terminated, into out (size n + 1). */
static size_t trimmed(const char *s, size_t n, char *out)
{
    size_t a = 0, b = n;
    while (a < b && (s[a] == ' ' || (s[a] >= '\t' && s[a] <= '\r')))
        a++;
    while (b > a && (s[b - 1] == ' ' || (s[b - 1] >= '\t' && s[b - 1] <= '\r')))
        b--;
    memcpy(out, s + a, b - a);
    out[b - a] = '\0';
    return b - a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 256)
        return 0;
    const char *s = (const char *)data + 1;
    const size_t n = size - 1;
    if (memchr(s, '\0', n) != NULL)
        return 0; /* the references below read C strings */
    char t[260];
    const size_t tn = trimmed(s, n, t);
    switch (data[0] % 5) {
    case 0: {
        int64_t v;
        if (ofi_parse_int(s, n, &v) == OFI_PV_OK) {
            char *e;
            const long long r = strtoll(t, &e, 10);
            CHECK(r == v);
            CHECK(*e == '\0' || *e == '.');
            if (*e == '.') /* "12.0": only zeros after the point */
                for (const char *z = e + 1; *z; z++)
                    CHECK(*z == '0');
        }
        break;
    }
    case 1: {
        double v;
        if (ofi_parse_dec(s, n, &v) == OFI_PV_OK) {
            CHECK(isfinite(v));
            char *comma = memchr(t, ',', tn);
            if (comma)
                *comma = '.';
            char *e;
            const double r = strtod(t, &e);
            CHECK(*e == '\0');
            CHECK(memcmp(&r, &v, sizeof r) == 0 || (r == 0 && v == 0));
        }
        break;
    }
    case 2: {
        int64_t cents;
        double v;
        if (ofi_parse_money(s, n, &cents) == OFI_PV_OK && ofi_parse_dec(s, n, &v) == OFI_PV_OK &&
            fabs(v) < 1e15)
            CHECK(fabs((double)cents - v * 100.0) <= 1.0 + fabs(v) * 1e-13);
        break;
    }
    case 3: {
        int32_t days, again;
        if (ofi_parse_date(s, n, &days) == OFI_PV_OK) {
            char buf[16];
            const int k = ofi_format_date(days, buf);
            CHECK(k == 10);
            CHECK(ofi_parse_date(buf, (size_t)k, &again) == OFI_PV_OK && again == days);
        }
        break;
    }
    default: {
        int32_t days, again;
        uint64_t tod;
        if (ofi_parse_datetime(s, n, &days, &tod) == OFI_PV_OK) {
            CHECK(tod < UINT64_C(86400000000000));
            char buf[16];
            const int k = ofi_format_date(days, buf);
            CHECK(k == 10);
            CHECK(ofi_parse_date(buf, (size_t)k, &again) == OFI_PV_OK && again == days);
        }
        break;
    }
    }
    return 0;
}
