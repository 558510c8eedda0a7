/* test_dict.c - dictionary encoding of text (dict.h): codes in first-appearance order. */
#include "ofi/dict.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <xxhash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_str(const ofi_dict *d, uint32_t code, const char *want, size_t want_len)
{
    size_t len = 0;
    const char *s = ofi_dict_str(d, code, &len);
    cr_expect_eq(len, want_len, "code %u: length %zu, expected %zu", code, len, want_len);
    cr_expect(len == want_len && (len == 0 || memcmp(s, want, len) == 0),
              "code %u: \"%.*s\", expected \"%.*s\"", code, (int)len, s, (int)want_len, want);
}

Test(dict, empty_dict)
{
    ofi_dict d;
    memset(&d, 0, sizeof d);
    cr_expect_eq(ofi_dict_size(&d), 1, "a never-used dict has only NULL's code 0");
    ofi_dict_free(&d);
    ofi_dict_free(NULL);
}

Test(dict, first_appearance_order)
{
    ofi_dict d;
    memset(&d, 0, sizeof d);
    cr_assert_eq(ofi_dict_intern(&d, "High", 4), 1);
    cr_assert_eq(ofi_dict_intern(&d, "Low", 3), 2);
    cr_assert_eq(ofi_dict_intern(&d, "High", 4), 1);
    cr_assert_eq(ofi_dict_intern(&d, "high", 4), 3, "case matters");
    cr_assert_eq(ofi_dict_intern(&d, "High ", 5), 4, "spaces matter (text kept as written)");
    cr_assert_eq(ofi_dict_intern(&d, "Low", 3), 2);
    cr_expect_eq(ofi_dict_size(&d), 5);
    expect_str(&d, 1, "High", 4);
    expect_str(&d, 2, "Low", 3);
    expect_str(&d, 3, "high", 4);
    expect_str(&d, 4, "High ", 5);
    /* Code 0 is NULL: an empty range. */
    cr_expect_eq(d.offs[0], 0);
    cr_expect_eq(d.offs[1], 0);
    ofi_dict_free(&d);
    cr_expect_eq(ofi_dict_size(&d), 1);
}

Test(dict, empty_string_and_prefixes)
{
    ofi_dict d;
    memset(&d, 0, sizeof d);
    cr_assert_eq(ofi_dict_intern(&d, "abc", 3), 1);
    uint32_t e = ofi_dict_intern(&d, "", 0);
    cr_assert_eq(e, 2, "the empty string is a real string with its own code");
    cr_assert_eq(ofi_dict_intern(&d, "ab", 2), 3);
    cr_assert_eq(ofi_dict_intern(&d, "a", 1), 4);
    cr_assert_eq(ofi_dict_intern(&d, "abcd", 4), 5);
    cr_assert_eq(ofi_dict_intern(&d, "", 0), 2);
    cr_assert_eq(ofi_dict_intern(&d, "abcdef", 3), 1, "only len bytes count");
    expect_str(&d, 2, "", 0);
    expect_str(&d, 3, "ab", 2);
    /* Embedded NUL bytes are data. */
    cr_assert_eq(ofi_dict_intern(&d, "a\0b", 3), 6);
    cr_assert_eq(ofi_dict_intern(&d, "a\0c", 3), 7);
    cr_assert_eq(ofi_dict_intern(&d, "a\0b", 3), 6);
    expect_str(&d, 6, "a\0b", 3);
    ofi_dict_free(&d);
}

Test(dict, many_strings_grow)
{
    unit_rng r = unit_seed("dict.many_strings_grow");
    const uint32_t n = 200000;
    ofi_dict d;
    memset(&d, 0, sizeof d);
    char s[64];
    /* First pass: new strings get consecutive codes, interleaved with repeats. */
    for (uint32_t i = 0; i < n; i++) {
        int len = snprintf(s, sizeof s, "key-%u-%s", i, i % 3 ? "x" : "a-longer-suffix");
        cr_assert_eq(ofi_dict_intern(&d, s, (size_t)len), i + 1, "string %u", i);
        if (i > 0 && unit_below(&r, 4) == 0) {
            uint32_t j = (uint32_t)unit_below(&r, i);
            len = snprintf(s, sizeof s, "key-%u-%s", j, j % 3 ? "x" : "a-longer-suffix");
            cr_assert_eq(ofi_dict_intern(&d, s, (size_t)len), j + 1, "repeat of string %u", j);
        }
    }
    cr_expect_eq(ofi_dict_size(&d), n + 1);
    /* Second pass, in random order: same codes, same bytes. */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = (uint32_t)unit_below(&r, n);
        int len = snprintf(s, sizeof s, "key-%u-%s", i, i % 3 ? "x" : "a-longer-suffix");
        cr_assert_eq(ofi_dict_intern(&d, s, (size_t)len), i + 1);
        size_t l;
        const char *p = ofi_dict_str(&d, i + 1, &l);
        cr_assert_eq(l, (size_t)len);
        cr_assert(memcmp(p, s, l) == 0);
    }
    cr_expect_eq(ofi_dict_size(&d), n + 1, "no new codes on the second pass");
    ofi_dict_free(&d);
}

/* ofi_dict_intern_hashed with the string's XXH3 gives the codes ofi_dict_intern gives,
 * through growth and repeats. */
Test(dict, intern_hashed_equals_intern)
{
    ofi_dict a = {0}, b = {0};
    for (int round = 0; round < 2; round++)
        for (int k = 0; k < 5000; k++) {
            char s[32];
            const int len = snprintf(s, sizeof s, "text %d", k * 7919 % 3001);
            const uint32_t ca = ofi_dict_intern(&a, s, (size_t)len);
            const uint32_t cb = ofi_dict_intern_hashed(&b, s, (size_t)len, XXH3_64bits(s, (size_t)len));
            cr_assert(ca != 0 && ca == cb, "\"%s\": code %u vs %u", s, ca, cb);
        }
    cr_assert_eq(ofi_dict_size(&a), 3002);
    cr_assert_eq(ofi_dict_size(&b), 3002);
    ofi_dict_free(&a);
    ofi_dict_free(&b);
}
