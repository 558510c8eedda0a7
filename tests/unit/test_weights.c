/* test_weights.c - weight variants and the INI weights file (weights.h, SPEC 3, 5, 7).
 *
 * Error cases check the exact message (file, line, key) and the status OFI_E_USAGE.
 */
#include "ofi/weights.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    double points, per;
    const char *text;
} DEFAULTS[OFI_W_N] = {
    {1, 1, "1"},     {2, 1, "2"},       {3, 1, "3"},      {2, 1, "2"},       {1.5, 1, "1.5"}, {0, 1, "0"},
    {1, 60, "1/60"}, {1, 120, "1/120"}, {1, 20, "1/20"}, {0.5, 1, "0.5/1"}, {0, 1, "0"},
};

static ofi_status parse(ofi_ctx *ctx, const char *text, ofi_weights *w)
{
    ofi_ctx_init(ctx);
    memset(w, 0, sizeof *w);
    return ofi_weights_parse(ctx, "w.ini", text, strlen(text), w);
}

static void expect_weight(const ofi_variant *v, int k, double points, double per, const char *text)
{
    cr_expect_eq(v->w[k].points, points, "%s %s: points %.17g, expected %.17g", v->name,
                 ofi_weight_key(k), v->w[k].points, points);
    cr_expect_eq(v->w[k].per, per, "%s %s: per %.17g, expected %.17g", v->name, ofi_weight_key(k),
                 v->w[k].per, per);
    if (text)
        cr_expect_str_eq(v->w[k].text, text, "%s %s: text", v->name, ofi_weight_key(k));
}

static void expect_defaults_except(const ofi_variant *v, unsigned changed_mask)
{
    for (int k = 0; k < OFI_W_N; k++)
        if (!(changed_mask & (1u << k)))
            expect_weight(v, k, DEFAULTS[k].points, DEFAULTS[k].per, DEFAULTS[k].text);
}

Test(weights, keys)
{
    static const char *const want[OFI_W_N] = {
        "priority.low", "priority.medium", "priority.high", "escalation", "reopen",
        "refund_flag",  "delay",           "resolution",    "refund",     "touch", "issue"};
    for (int k = 0; k < OFI_W_N; k++)
        cr_expect_str_eq(ofi_weight_key(k), want[k]);
}

Test(weights, default_variant)
{
    ofi_variant v;
    memset(&v, 0x5A, sizeof v);
    ofi_variant_default(&v, "base");
    cr_expect_str_eq(v.name, "base");
    expect_defaults_except(&v, 0);
    cr_expect_eq(v.severity_multiplier, 0);
    cr_expect_eq(v.segment_multiplier, 0);

    ofi_weights w = {0, NULL};
    cr_assert_eq(ofi_weights_default(&w), OFI_OK);
    cr_assert_eq(w.n, 1);
    cr_expect_str_eq(w.v[0].name, "default");
    expect_defaults_except(&w.v[0], 0);
    cr_expect_eq(ofi_weights_find(&w, "default"), 0);
    cr_expect_eq(ofi_weights_find(&w, "Default"), -1);
    ofi_weights_free(&w);
    cr_expect_eq(w.n, 0);
    ofi_weights_free(&w);
    ofi_weights_free(NULL);
}

Test(weights, one_variant_defaults_kept)
{
    ofi_ctx ctx;
    ofi_weights w;
    cr_assert_eq(parse(&ctx, "[variant base]\n", &w), OFI_OK, "%s", ctx.err);
    cr_assert_eq(w.n, 1);
    cr_expect_str_eq(w.v[0].name, "base");
    expect_defaults_except(&w.v[0], 0);
    cr_expect_eq(w.v[0].severity_multiplier, 0);
    cr_expect_eq(w.v[0].segment_multiplier, 0);
    cr_expect_str_eq(ctx.err, "");
    ofi_weights_free(&w);
}

Test(weights, values_and_fractions)
{
    ofi_ctx ctx;
    ofi_weights w;
    const char *text = "[variant custom]\n"
                       "delay = 1/30\n"
                       "resolution = 2 / 240\n"
                       "touch = 0.25\n"
                       "refund = 1e-2\n"
                       "priority.high = 5\n"
                       "issue = 0/7\n"
                       "escalation = -0\n";
    cr_assert_eq(parse(&ctx, text, &w), OFI_OK, "%s", ctx.err);
    cr_assert_eq(w.n, 1);
    const ofi_variant *v = &w.v[0];
    expect_weight(v, OFI_W_DELAY, 1, 30, "1/30");
    expect_weight(v, OFI_W_RESOLUTION, 2, 240, "2 / 240");
    expect_weight(v, OFI_W_TOUCH, 0.25, 1, "0.25");
    expect_weight(v, OFI_W_REFUND, 0.01, 1, "1e-2");
    expect_weight(v, OFI_W_PRIO_HIGH, 5, 1, "5");
    expect_weight(v, OFI_W_ISSUE, 0, 7, "0/7");
    expect_weight(v, OFI_W_ESCALATION, 0, 1, "-0");
    cr_expect_not(signbit(v->w[OFI_W_ESCALATION].points), "\"-0\" is stored as +0");
    expect_defaults_except(v, 1u << OFI_W_DELAY | 1u << OFI_W_RESOLUTION | 1u << OFI_W_TOUCH |
                                  1u << OFI_W_REFUND | 1u << OFI_W_PRIO_HIGH | 1u << OFI_W_ISSUE |
                                  1u << OFI_W_ESCALATION);
    ofi_weights_free(&w);
}

Test(weights, reference_sql_variant)
{
    ofi_ctx ctx;
    ofi_weights w;
    const char *text = "[variant default]\n"
                       "[variant reference_sql]\n"
                       "priority.low = 0\npriority.medium = 0\npriority.high = 0\n"
                       "escalation = 20\nreopen = 15\nrefund_flag = 25\n"
                       "delay = 1/1\nresolution = 1/1\nrefund = 0\ntouch = 0\nissue = 10\n";
    cr_assert_eq(parse(&ctx, text, &w), OFI_OK, "%s", ctx.err);
    cr_assert_eq(w.n, 2);
    cr_expect_str_eq(w.v[0].name, "default");
    expect_defaults_except(&w.v[0], 0);
    const ofi_variant *v = &w.v[1];
    cr_expect_str_eq(v->name, "reference_sql");
    expect_weight(v, OFI_W_PRIO_LOW, 0, 1, "0");
    expect_weight(v, OFI_W_ESCALATION, 20, 1, "20");
    expect_weight(v, OFI_W_REOPEN, 15, 1, "15");
    expect_weight(v, OFI_W_REFUND_FLAG, 25, 1, "25");
    expect_weight(v, OFI_W_DELAY, 1, 1, "1/1");
    expect_weight(v, OFI_W_RESOLUTION, 1, 1, "1/1");
    expect_weight(v, OFI_W_REFUND, 0, 1, "0");
    expect_weight(v, OFI_W_TOUCH, 0, 1, "0");
    expect_weight(v, OFI_W_ISSUE, 10, 1, "10");
    cr_expect_eq(ofi_weights_find(&w, "reference_sql"), 1);
    ofi_weights_free(&w);
}

Test(weights, case_insensitive_keys_and_switches)
{
    ofi_ctx ctx;
    ofi_weights w;
    const char *text = "[Variant Mixed]\n"
                       "DELAY = 2/60\n"
                       "Priority.Medium = 4\n"
                       "Severity_Multiplier = ON\n"
                       "segment_multiplier = Off\n"
                       "[VARIANT other]\n"
                       "severity_multiplier = off\n"
                       "SEGMENT_MULTIPLIER = on\n";
    cr_assert_eq(parse(&ctx, text, &w), OFI_OK, "%s", ctx.err);
    cr_assert_eq(w.n, 2);
    cr_expect_str_eq(w.v[0].name, "Mixed", "names keep their case");
    expect_weight(&w.v[0], OFI_W_DELAY, 2, 60, "2/60");
    expect_weight(&w.v[0], OFI_W_PRIO_MEDIUM, 4, 1, "4");
    cr_expect_eq(w.v[0].severity_multiplier, 1);
    cr_expect_eq(w.v[0].segment_multiplier, 0);
    cr_expect_eq(w.v[1].severity_multiplier, 0);
    cr_expect_eq(w.v[1].segment_multiplier, 1);
    expect_defaults_except(&w.v[1], 0);
    ofi_weights_free(&w);
}

Test(weights, comments_blank_lines_crlf)
{
    ofi_ctx ctx;
    ofi_weights w;
    const char *text = "# a weights file\r\n"
                       "; another comment\r\n"
                       "\r\n"
                       "   \t\r\n"
                       "[variant a] # the baseline\r\n"
                       "delay = 1/10 # inline\r\n"
                       "reopen = 3 ; inline too\r\n"
                       "  touch=2  \r\n"
                       "# escalation = 99\r\n"
                       "delay = 1/15\r\n" /* a repeated key takes its last value */
                       "[variant b]";     /* last line without a line end */
    cr_assert_eq(parse(&ctx, text, &w), OFI_OK, "%s", ctx.err);
    cr_assert_eq(w.n, 2);
    cr_expect_str_eq(w.v[0].name, "a");
    expect_weight(&w.v[0], OFI_W_DELAY, 1, 15, "1/15");
    expect_weight(&w.v[0], OFI_W_REOPEN, 3, 1, "3");
    expect_weight(&w.v[0], OFI_W_TOUCH, 2, 1, "2");
    expect_weight(&w.v[0], OFI_W_ESCALATION, 2, 1, "2");
    cr_expect_str_eq(w.v[1].name, "b");
    expect_defaults_except(&w.v[1], 0);
    ofi_weights_free(&w);
}

Test(weights, sixty_four_variants)
{
    char *text = malloc(64 * 64);
    size_t len = 0;
    for (int i = 0; i < 64; i++)
        len += (size_t)sprintf(text + len, "[variant v%02d]\nescalation = %d/4\n", i, i);
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_weights w = {0, NULL};
    cr_assert_eq(ofi_weights_parse(&ctx, "w.ini", text, len, &w), OFI_OK, "%s", ctx.err);
    cr_assert_eq(w.n, 64);
    for (int i = 0; i < 64; i++) {
        char name[8];
        snprintf(name, sizeof name, "v%02d", i);
        cr_expect_str_eq(w.v[i].name, name);
        cr_expect_eq(w.v[i].w[OFI_W_ESCALATION].points, i);
        cr_expect_eq(w.v[i].w[OFI_W_ESCALATION].per, 4);
        cr_expect_eq(ofi_weights_find(&w, name), i);
        expect_defaults_except(&w.v[i], 1u << OFI_W_ESCALATION);
    }
    ofi_weights_free(&w);
    free(text);
}

/* ---- errors ---------------------------------------------------------------------------- */

static void expect_error(const char *text, const char *msg)
{
    ofi_ctx ctx;
    ofi_weights w;
    ofi_status st = parse(&ctx, text, &w);
    cr_expect_eq(st, OFI_E_USAGE, "status %d for:\n%s", st, text);
    cr_expect_eq(ctx.status, OFI_E_USAGE);
    cr_expect_str_eq(ctx.err, msg, "message \"%s\", expected \"%s\"", ctx.err, msg);
    cr_expect_eq(w.n, 0, "*out untouched on error");
    cr_expect_null(w.v);
}

Test(weights, error_unknown_key)
{
    expect_error("[variant a]\nescalation = 1\nfoo = 2\n", "w.ini:3: key foo: unknown key");
    expect_error("[variant a]\npriority.urgent = 4\n", "w.ini:2: key priority.urgent: unknown key");
    expect_error("[variant a]\n\n\n# c\nsev_mult = on\n", "w.ini:5: key sev_mult: unknown key");
}

Test(weights, error_bad_number)
{
    expect_error("[variant a]\ndelay = x\n", "w.ini:2: key delay: bad number \"x\"");
    expect_error("[variant a]\ndelay = 1/\n", "w.ini:2: key delay: bad number \"1/\"");
    expect_error("[variant a]\ndelay = /60\n", "w.ini:2: key delay: bad number \"/60\"");
    expect_error("[variant a]\ndelay = 1/2/3\n", "w.ini:2: key delay: bad number \"1/2/3\"");
    expect_error("[variant a]\nrefund = nan\n", "w.ini:2: key refund: bad number \"nan\"");
    expect_error("[variant a]\nrefund = inf\n", "w.ini:2: key refund: bad number \"inf\"");
    expect_error("[variant a]\nrefund = 1e400\n", "w.ini:2: key refund: bad number \"1e400\"");
    expect_error("[variant a]\nrefund = 0x10\n", "w.ini:2: key refund: bad number \"0x10\"");
    expect_error("[variant a]\nrefund = 1e\n", "w.ini:2: key refund: bad number \"1e\"");
    expect_error("[variant a]\nrefund = 1,5\n", "w.ini:2: key refund: bad number \"1,5\"");
    expect_error("[variant a]\nrefund =\n", "w.ini:2: key refund: bad number \"\"");
    expect_error("[variant a]\nseverity_multiplier = yes\n",
                 "w.ini:2: key severity_multiplier: expected on or off, found \"yes\"");
}

Test(weights, error_denominator)
{
    expect_error("[variant a]\ndelay = 1/0\n",
                 "w.ini:2: key delay: denominator must be > 0 in \"1/0\"");
    expect_error("[variant a]\ndelay = 1/-60\n",
                 "w.ini:2: key delay: denominator must be > 0 in \"1/-60\"");
}

Test(weights, error_negative_weight)
{
    expect_error("[variant a]\nreopen = -1\n", "w.ini:2: key reopen: negative weight \"-1\"");
    expect_error("[variant a]\ndelay = -1/60\n", "w.ini:2: key delay: negative weight \"-1/60\"");
}

Test(weights, error_duplicate_variant)
{
    expect_error("[variant a]\ndelay = 1\n[variant a]\n", "w.ini:3: variant a: duplicate variant name");
    expect_error("[variant a]\n[variant b]\n[variant  a ]\n",
                 "w.ini:3: variant a: duplicate variant name");
}

Test(weights, error_key_outside_section)
{
    expect_error("delay = 1\n[variant a]\n",
                 "w.ini:1: key delay: outside any [variant NAME] section");
    expect_error("# header\n\nescalation = 2\n",
                 "w.ini:3: key escalation: outside any [variant NAME] section");
}

Test(weights, error_no_sections)
{
    expect_error("", "w.ini: no [variant NAME] section");
    expect_error("# only comments\n; here\n\n", "w.ini: no [variant NAME] section");
}

Test(weights, error_bad_sections_and_lines)
{
    expect_error("[weights]\n", "w.ini:1: unknown section [weights] (expected [variant NAME])");
    expect_error("[variant]\n", "w.ini:1: unknown section [variant] (expected [variant NAME])");
    expect_error("[variantx]\n", "w.ini:1: unknown section [variantx] (expected [variant NAME])");
    expect_error("[variant a\n", "w.ini:1: bad section header \"[variant a\"");
    expect_error("[variant a]\ndelay 5\n", "w.ini:2: expected key = value, found \"delay 5\"");
    char long_name[200];
    snprintf(long_name, sizeof long_name, "[variant %0100d]\n", 7);
    expect_error(long_name, "w.ini:1: variant name missing or too long");
}

/* ---- the file loader ------------------------------------------------------------------- */

Test(weights, load_file)
{
    const char *text = "[variant base]\n[variant heavy]\nescalation = 10\n";
    char *path = unit_temp_file(text, strlen(text));
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_weights w = {0, NULL};
    cr_assert_eq(ofi_weights_load(&ctx, path, &w), OFI_OK, "%s", ctx.err);
    cr_assert_eq(w.n, 2);
    cr_expect_eq(w.v[1].w[OFI_W_ESCALATION].points, 10);
    ofi_weights_free(&w);
    /* Errors name the real path. */
    const char *bad = "[variant base]\nfoo = 1\n";
    char *bad_path = unit_temp_file(bad, strlen(bad));
    ofi_ctx_init(&ctx);
    cr_expect_eq(ofi_weights_load(&ctx, bad_path, &w), OFI_E_USAGE);
    char want[512];
    snprintf(want, sizeof want, "%s:2: key foo: unknown key", bad_path);
    cr_expect_str_eq(ctx.err, want);
    unlink(path);
    unlink(bad_path);
    free(path);
    free(bad_path);
}

Test(weights, load_missing_file)
{
    /* weights.h: a weights file is configuration, so one that cannot be read is
     * OFI_E_USAGE (exit 1), with the path in the message. */
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_weights w = {0, NULL};
    ofi_status st = ofi_weights_load(&ctx, "/nonexistent/ofi/w.ini", &w);
    cr_expect_neq(st, OFI_OK);
    cr_expect(strstr(ctx.err, "/nonexistent/ofi/w.ini") != NULL, "%s", ctx.err);
    cr_expect_eq(st, OFI_E_USAGE, "got %d (\"%s\")", st, ctx.err);
}
