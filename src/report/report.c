/* report.c - the manager's report (text), the summary CSV and the JSON run manifest.
 *
 * Numbers come from ofi_summary and the db's counters, never recomputed here. The report
 * and the manifest carry timings and times of day, so unlike every other output they
 * differ from run to run.
 */
#include "ofi/report.h"

#include "ofi/date.h"

#include "ofi/outbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void putf(ofi_outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(ofi_outbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        ofi_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void f6(char *out, double v)
{
    int n = ofi_format_f6(v, out);
    out[n] = '\0';
}

/* @pre out holds 32 bytes (an int64 of cents: at most 22). */
static void money(char *out, int64_t cents)
{
    *ofi_raw_money(out, cents) = '\0';
}

/* Data text for a line of the report: control characters (a newline or CR in a group
 * name would break the line) become spaces. @pre strlen(s) < cap. */
static const char *line_text(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s[n] && n + 1 < cap; n++) {
        const unsigned char ch = (unsigned char)s[n];
        out[n] = ch < 0x20 || ch == 0x7F ? ' ' : (char)ch;
    }
    out[n] = '\0';
    return out;
}

ofi_status ofi_reports_write(ofi_ctx *ctx, ofi_outset *set, const ofi_report_in *in)
{
    const ofi_summary *s = &in->res->sum;
    const ofi_db *db = in->db;
    const ofi_phase_times *t = &in->res->t;
    ofi_outbuf r = {0}, c = {0};
    char a[400], b2[400], m[32], txt[256];

    putf(&r, "Operational Friction Index - run report\n");
    putf(&r, "========================================\n\n");
    putf(&r, "ofi %s, started %s, source %s, weights variant \"%s\"\n\n", OFI_VERSION, in->started,
         in->source, in->v->name);

    putf(&r, "Key findings\n------------\n");
    if (s->cases == 0) {
        putf(&r, "- No cases were scored.\n");
    } else {
        if (s->n_groups > 0) { /* the first product group and root cause by total OFI */
            f6(a, s->groups[0].share * 100.0);
            putf(&r, "- Largest cost driver: product group \"%s\" carries %s%% of all friction.\n",
                 line_text(txt, sizeof txt, s->groups[0].name), a);
        }
        if (s->n_roots > 0) {
            f6(a, s->roots[0].total_ofi);
            putf(&r, "- Worst root cause: \"%s\", total OFI %s.\n",
                 line_text(txt, sizeof txt, s->roots[0].name), a);
        }
        if (s->have_trend) {
            f6(a, s->last4_avg);
            f6(b2, s->prev4_avg);
            const char *dir = s->last4_avg > s->prev4_avg   ? "rising"
                              : s->last4_avg < s->prev4_avg ? "falling"
                                                            : "flat";
            putf(&r, "- Trend: average OFI over the last 4 weeks is %s vs %s the 4 weeks before (%s).\n",
                 a, b2, dir);
            if (s->have_partial_week) {
                char d[16];
                d[ofi_format_date(s->partial_week, d)] = '\0';
                putf(&r, "  (full ISO weeks; the week of %s, where the data ends, is left out.)\n",
                     d);
            }
        } else {
            putf(&r, "- Trend: fewer than 8 weeks of dated cases, no trend computed.\n");
        }
        f6(a, s->top1pct_share * 100.0);
        putf(&r, "- Concentration: the top 1%% of cases hold %s%% of total friction.\n", a);
    }

    putf(&r, "\nOFI distribution\n----------------\n");
    money(m, s->refund_cents);
    putf(&r, "cases %llu, customers %llu, total refunds EUR %s\n", (unsigned long long)s->cases,
         (unsigned long long)s->customers, m);
    if (s->cases) {
        char p50[400], p90[400], p99[400], mx[400];
        f6(a, s->avg_ofi);
        f6(p50, s->p50);
        f6(p90, s->p90);
        f6(p99, s->p99);
        f6(mx, s->max_ofi);
        putf(&r, "avg %s  p50 %s  p90 %s  p99 %s  max %s\n", a, p50, p90, p99, mx);
        f6(a, s->escalation_rate);
        f6(b2, s->reopen_rate);
        putf(&r, "escalation rate %s, reopen rate %s\n", a, b2);
    }

    putf(&r, "\nTop cases\n---------\n");
    for (size_t i = 0; i < s->n_top; i++) {
        f6(a, s->top_case_ofi[i]);
        putf(&r, "%2zu. case %lld  OFI %s\n", i + 1, (long long)s->top_case_id[i], a);
    }

    putf(&r, "\nCustomer tiers\n--------------\n");
    f6(a, s->tier_t1);
    f6(b2, s->tier_t2);
    if (s->customers)
        putf(&r, "thresholds: low <= %s < medium <= %s < high\n", a, b2);
    else
        putf(&r, "thresholds: none (no customer has a case)\n");
    putf(&r, "Low Friction %llu, Medium Friction %llu, High Friction %llu\n",
         (unsigned long long)s->tier_count[0], (unsigned long long)s->tier_count[1],
         (unsigned long long)s->tier_count[2]);

    putf(&r, "\nCost drivers\n------------\n");
    const struct {
        const char *title;
        const ofi_driver *d;
        size_t n;
    } drivers[2] = {{"product groups", s->groups, s->n_groups}, {"root causes", s->roots, s->n_roots}};
    for (int k = 0; k < 2; k++) {
        putf(&r, "%s by total OFI (share of all friction, cases, average OFI):\n", drivers[k].title);
        if (drivers[k].n == 0)
            putf(&r, "  none\n");
        for (size_t i = 0; i < drivers[k].n; i++) {
            const ofi_driver *d = &drivers[k].d[i];
            char tot[400], share[400], avg[400];
            f6(tot, d->total_ofi);
            f6(share, d->share * 100.0);
            f6(avg, d->avg_ofi);
            putf(&r, "  %zu. %s: total %s (%s%%), %llu cases, average %s\n", i + 1,
                 line_text(txt, sizeof txt, d->name), tot, share, (unsigned long long)d->cases, avg);
        }
    }

    putf(&r, "\nData quality\n------------\n");
    for (int ti = 0; ti < OFI_N_TABLES; ti++) {
        const ofi_table *tb = &db->t[ti];
        putf(&r, "%-14s rows %llu, rejected %llu, duplicate ids %llu, full-row duplicates %llu\n",
             tb->spec->name, (unsigned long long)tb->n_records, (unsigned long long)tb->n_rejected,
             (unsigned long long)tb->n_pk_dups, (unsigned long long)tb->n_full_dups);
    }
    static const char *const rules[8] = {"unknown priority", "escalated_flag not 0/1",
                                         "reopened_flag not 0/1", "is_delayed not 0/1",
                                         "is_cancelled not 0/1", "has_refund not 0/1",
                                         "negative delay_minutes", "negative resolution_minutes"};
    for (int k = 0; k < 8; k++)
        putf(&r, "domain: %-28s %llu\n", rules[k], (unsigned long long)in->domain[k]);

    putf(&r, "\nIntegrity (orphan foreign keys)\n-------------------------------\n");
    for (int k = 0; k < OFI_N_FKS; k++) {
        const ofi_fkspec *fk = &ofi_fks[k];
        putf(&r, "%s.%s -> %s: %llu\n", ofi_schema[fk->child].name,
             ofi_schema[fk->child].cols[fk->child_col].name, ofi_schema[fk->parent].name,
             (unsigned long long)db->orphans[k]);
    }

    putf(&r, "\nPhase timings (seconds)\n-----------------------\n");
    putf(&r, "read %.3f  join %.3f  score %.3f  sort %.3f  aggregate %.3f  write %.3f  total %.3f\n",
         t->read, t->join, t->score, t->sort, t->aggregate, t->write, t->total);
    if (in->res->peak_rss_kb)
        putf(&r, "peak memory %zu MiB\n", in->res->peak_rss_kb / 1024);

    /* ofi_summary.csv: deterministic numbers only (no timings). */
    ofi_puts(&c, "metric,value\n");
    putf(&c, "variant,");
    ofi_put_text(&c, in->v->name, strlen(in->v->name));
    ofi_putc(&c, '\n');
    putf(&c, "cases,%llu\ncustomers_with_cases,%llu\n", (unsigned long long)s->cases,
         (unsigned long long)s->customers);
    money(m, s->refund_cents);
    putf(&c, "total_refund_eur,%s\n", m);
    f6(a, s->total_ofi);
    putf(&c, "total_ofi,%s\n", a);
    if (s->cases) {
        f6(a, s->avg_ofi);
        putf(&c, "avg_ofi,%s\n", a);
        f6(a, s->top1pct_share);
        putf(&c, "top_1pct_share_of_ofi,%s\n", a);
    } else {
        putf(&c, "avg_ofi,\ntop_1pct_share_of_ofi,\n");
    }
    putf(&c, "low_friction_customers,%llu\nmedium_friction_customers,%llu\n"
             "high_friction_customers,%llu\n",
         (unsigned long long)s->tier_count[0], (unsigned long long)s->tier_count[1],
         (unsigned long long)s->tier_count[2]);
    putf(&c, "rejected_rows,%llu\nduplicate_ids,%llu\norphan_keys,%llu\ndomain_violations,%llu\n",
         (unsigned long long)in->res->rejected, (unsigned long long)in->res->duplicates,
         (unsigned long long)in->res->orphans, (unsigned long long)in->res->violations);

    ofi_status st = ofi_outset_put(ctx, set, "reports/project_report.txt", &r);
    if (st == OFI_OK)
        st = ofi_outset_put(ctx, set, "reports/ofi_summary.csv", &c);
    ofi_outbuf_free(&r);
    ofi_outbuf_free(&c);
    return st;
}

/* A JSON string literal. */
static void jstr(ofi_outbuf *b, const char *s)
{
    ofi_putc(b, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            ofi_putc(b, '\\');
            ofi_putc(b, (char)ch);
        } else if (ch < 0x20) {
            putf(b, "\\u%04x", ch);
        } else {
            ofi_putc(b, (char)ch);
        }
    }
    ofi_putc(b, '"');
}

ofi_status ofi_manifest_write(ofi_ctx *ctx, ofi_outset *set, const ofi_report_in *in,
                              const char *ended)
{
    ofi_outbuf b = {0};
    putf(&b, "{\n  \"version\": ");
    jstr(&b, OFI_VERSION);
    putf(&b, ",\n  \"started\": ");
    jstr(&b, in->started);
    putf(&b, ",\n  \"ended\": ");
    jstr(&b, ended);
    putf(&b, ",\n  \"source\": ");
    jstr(&b, in->source);
    if (in->opts->csv_dir == NULL)
        putf(&b, ",\n  \"source_consistent\": %s,\n  \"source_resumes\": %u,\n  \"source_connections\": %d",
             in->res->consistent ? "true" : "false", in->res->resumes, in->res->connections);
    if (in->opts->command_line) {
        putf(&b, ",\n  \"command\": ");
        jstr(&b, in->opts->command_line);
    }
    putf(&b, ",\n  \"threads\": %d", ctx->n_threads);
    putf(&b, ",\n  \"weights\": {\n    \"file\": ");
    jstr(&b, in->opts->weights_path ? in->opts->weights_path : "");
    putf(&b, ",\n    \"variant\": ");
    jstr(&b, in->v->name);
    for (int w = 0; w < OFI_W_N; w++) {
        putf(&b, ",\n    ");
        jstr(&b, ofi_weight_key(w));
        putf(&b, ": {\"text\": ");
        jstr(&b, in->v->w[w].text);
        putf(&b, ", \"points\": %.17g, \"per\": %.17g}", in->v->w[w].points, in->v->w[w].per);
    }
    putf(&b, ",\n    \"severity_multiplier\": %s,\n    \"segment_multiplier\": %s\n  }",
         in->v->severity_multiplier ? "true" : "false", in->v->segment_multiplier ? "true" : "false");
    putf(&b, ",\n  \"row_counts\": {");
    for (int ti = 0; ti < OFI_N_TABLES; ti++) {
        const ofi_table *t = &in->db->t[ti];
        putf(&b, "%s\n    ", ti ? "," : "");
        jstr(&b, t->spec->name);
        putf(&b, ": {\"rows\": %llu, \"rejected\": %llu, \"kept\": %llu}",
             (unsigned long long)t->n_records, (unsigned long long)t->n_rejected,
             (unsigned long long)t->n_kept);
    }
    putf(&b, "\n  },\n  \"outputs\": [");
    for (size_t i = 0; i < set->n; i++) {
        putf(&b, "%s\n    {\"path\": ", i ? "," : "");
        jstr(&b, set->f[i].rel);
        putf(&b, ", \"bytes\": %llu, \"xxh64\": \"%016llx\"}", (unsigned long long)set->f[i].size,
             (unsigned long long)set->f[i].xxh64);
    }
    putf(&b, "\n  ]\n}\n");
    /* One per command, beside the outputs it lists: `ofi variants`, `sensitivity` and
     * `extract` write into an --out that may hold a run's outputs (and each other's),
     * whose manifests they must not replace. */
    const char *rel = in->opts->variants      ? "variants/variants_manifest.json"
                      : in->opts->sensitivity ? "variants/sensitivity_manifest.json"
                      : in->opts->extract_only ? "extracts/extract_manifest.json"
                                               : "reports/run_manifest.json";
    ofi_status st = ofi_outset_put(ctx, set, rel, &b);
    ofi_outbuf_free(&b);
    return st;
}
