/* test_dashboard.c - reports/dashboard.html (dashboard.h): HTML escaping, and a page
 * rendered from small CSV files put into an output set, read back through ofi_outset_tmp.
 *
 * The e2e test tests/e2e/dashboard.sh renders whole runs in a browser; here the CSV
 * reading is checked on fields that need RFC 4180 quoting (commas, doubled quotes, line
 * ends) and the escaping on every character it replaces.
 */
#include "ofi/dashboard.h"

#include "ofi/outbuf.h"
#include "ofi/outset.h"
#include "ofi/report.h"
#include "ofi/run.h"
#include "ofi/weights.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *escaped(const char *s, size_t n)
{
    ofi_outbuf b = {0};
    ofi_put_html(&b, s, n);
    ofi_putc(&b, '\0');
    cr_assert(!ofi_outbuf_failed(&b));
    return b.p;
}

static void expect_escaped(const char *in, const char *want)
{
    char *got = escaped(in, strlen(in));
    cr_expect_str_eq(got, want, "escape(\"%s\")", in);
    free(got);
}

Test(html, replaces_the_five_characters_and_nothing_else)
{
    expect_escaped("", "");
    expect_escaped("plain text, 1.5", "plain text, 1.5");
    expect_escaped("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
    expect_escaped("\"q\" & 'a'", "&quot;q&quot; &amp; &#39;a&#39;");
    expect_escaped("&amp;", "&amp;amp;");
    expect_escaped("</svg>", "&lt;/svg&gt;");
    expect_escaped("\xC3\x9Cn\xC3\xAF \xE2\x9C\x93", "\xC3\x9Cn\xC3\xAF \xE2\x9C\x93"); /* UTF-8 */
}

Test(html, control_characters)
{
    expect_escaped("a\tb\nc", "a\tb\nc");
    expect_escaped("a\r\nb", "a&#13;\nb");
    expect_escaped("a\x01" "b\x1f", "a b ");
    char *got = escaped("a\0b", 3); /* a NUL inside the text: a space, not the end */
    cr_expect_str_eq(got, "a b");
    free(got);
}

/* Write text as rel into set. */
static void put_file(ofi_ctx *ctx, ofi_outset *set, const char *rel, const char *text)
{
    ofi_outbuf b = {0};
    ofi_puts(&b, text);
    cr_assert_eq(ofi_outset_put(ctx, set, rel, &b), OFI_OK, "%s", ctx->err);
    ofi_outbuf_free(&b);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    ofi_outbuf b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0)
        ofi_put(&b, tmp, n);
    fclose(fp);
    ofi_putc(&b, '\0');
    cr_assert(!ofi_outbuf_failed(&b));
    return b.p;
}

Test(dashboard, quotes_the_csv_text_and_escapes_it)
{
    char dir[] = "/tmp/ofi_unit_dash_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_outset set;
    cr_assert_eq(ofi_outset_init(&ctx, &set, dir), OFI_OK, "%s", ctx.err);
    cr_expect_null(ofi_outset_tmp(&set, "ofi/kpi_summary.csv"));
    put_file(&ctx, &set, "ofi/kpi_summary.csv",
             "metric,value\ncases,3\ncustomers_with_cases,2\ntotal_refund_eur,10.50\n"
             "escalation_rate,0.333333\navg_ofi,4.250000\n");
    put_file(&ctx, &set, "ofi/product_group_cost_drivers.csv",
             "product_group,case_count,total_refund_eur,avg_ofi,total_ofi,share_of_total_ofi,"
             "escalation_rate,avg_resolution_minutes\n"
             "\"a,b \"\"c\"\"\",2,10.50,5.000000,10.000000,0.784314,0.500000,60.000000\n"
             "\"<script>x</script>\nline 2\",1,0.00,2.750000,2.750000,0.215686,0.000000,"
             "30.000000\n");
    put_file(&ctx, &set, "reports/ofi_summary.csv",
             "metric,value\nvariant,v\ncases,3\ntotal_ofi,12.750000\n");
    const char *tmp = ofi_outset_tmp(&set, "ofi/kpi_summary.csv");
    cr_assert_not_null(tmp);
    cr_expect(strstr(tmp, "/ofi/.kpi_summary.csv.tmp") != NULL, "tmp path %s", tmp);

    ofi_run_opts opts;
    memset(&opts, 0, sizeof opts);
    ofi_run_result res;
    memset(&res, 0, sizeof res);
    ofi_variant v;
    ofi_variant_default(&v, "it's <v>");
    ofi_report_in in = {&opts, NULL, &v, &res, NULL, "", "csv:a&b"};
    cr_assert_eq(ofi_dashboard_write(&ctx, &set, &in), OFI_OK, "%s", ctx.err);
    char *html = slurp(ofi_outset_tmp(&set, "reports/dashboard.html"));

    cr_expect(strstr(html, ">a,b &quot;c&quot;<") != NULL, "a quoted field with a comma");
    cr_expect(strstr(html, ">&lt;script&gt;x&lt;/script&gt;\nline 2<") != NULL,
              "a quoted field with a line end");
    cr_expect(strstr(html, "<script") == NULL, "no script element");
    cr_expect(strstr(html, ">4.250000<") != NULL, "avg_ofi as written");
    cr_expect(strstr(html, ">10.000000 ") != NULL, "the first group's total_ofi");
    cr_expect(strstr(html, "78.4314 %") != NULL, "its share as a percentage");
    cr_expect(strstr(html, "it&#39;s &lt;v&gt;") != NULL, "the variant name");
    cr_expect(strstr(html, "csv:a&amp;b") != NULL, "the source");
    static const char *const ids[] = {"kpis", "weekly-trend", "monthly-trend",
                                      "severity-heatmap", "cost-drivers", "root-causes",
                                      "refund-trend", "top-cases", "tiers", "customers", "teams",
                                      "data-quality", "weights"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "<section id=\"%s\">", ids[i]);
        cr_expect(strstr(html, want) != NULL, "section %s", ids[i]);
    }
    cr_expect(strstr(html, "No data: no dated case.") != NULL, "views not written: no data");
    free(html);
    ofi_outset_abort(&set);
    ofi_outset_free(&set);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
