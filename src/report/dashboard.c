/* dashboard.c - reports/dashboard.html: KPI tiles, trends, heat map, drivers, tables, data
 * quality and weights, as one page of HTML with inline CSS and SVG and no script.
 *
 * Data flow: each section reads one small CSV file of this run back from its temporary name
 * into a csvtab (every field NUL-terminated in one buffer, their offsets in another; both
 * freed by tab_free) and shows the fields' text as written. Chart geometry parses the same
 * text (ofi_parse_dec); the numbers printed beside bars and points, in tooltips and in
 * tables are the CSV text itself, never reformatted. The few numbers that no CSV holds
 * (rejected rows per table, tier thresholds, weights, heat map sums of case_count) come
 * from the db, ofi_summary and the variant. Text from the data goes through ofi_put_html
 * and nowhere else.
 *
 * The page is built in one ofi_outbuf and written with ofi_outset_put. Nothing here reads
 * the clock, the thread count or the machine: the bytes are a function of the files read,
 * the db counters, the variant and the source description.
 */
#include "ofi/dashboard.h"

#include "ofi/parse.h"
#include "ofi/schema.h"
#include "ofi/table.h"
#include "ofi/views.h"
#include "ofi/weights.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 100000   /* rows read from one view at most: bounds memory on odd data */
#define CHART_ROWS 25     /* bars of a ranked chart (the CSV's first rows) */
#define TOP_ROWS 50       /* rows of the top-cases table */
#define CUSTOMER_ROWS 20  /* rows of the worst-customers table */
#define LABEL_CHARS 40    /* code points of a chart label; its tooltip holds the whole text */
#define HEAT_MAX 32       /* distinct severities and priorities in the heat map */

/* ---- escaping ----------------------------------------------------------------------------- */

void ofi_put_html(ofi_outbuf *b, const char *s, size_t n)
{
    size_t run = 0; /* bytes copied as they are, flushed before each replacement */
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        const char *rep;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\r': rep = "&#13;"; break; /* the same text, and no CR byte in the file */
        default:
            rep = c < 0x20 && c != '\t' && c != '\n' ? " " : NULL;
            break;
        }
        if (rep == NULL) {
            run++;
            continue;
        }
        ofi_put(b, s + i - run, run);
        run = 0;
        ofi_puts(b, rep);
    }
    ofi_put(b, s + n - run, run);
}

static void esc(ofi_outbuf *b, const char *s)
{
    ofi_put_html(b, s, strlen(s));
}

/* A chart label: at most LABEL_CHARS code points of s, then an ellipsis when cut. */
static void put_label(ofi_outbuf *b, const char *s)
{
    size_t i = 0, chars = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue; /* a UTF-8 continuation byte: same code point */
        if (chars++ == LABEL_CHARS)
            break;
    }
    ofi_put_html(b, s, i);
    if (s[i])
        ofi_puts(b, "\xE2\x80\xA6");
}

/* ---- small CSV files read back -------------------------------------------------------- */

typedef struct csvtab {
    ofi_outbuf text; /* fields, NUL-terminated, back to back; offset 0 is "" */
    size_t *off;     /* (n_rows + 1) * n_cols field offsets; row 0 is the header */
    size_t n_off, cap_off;
    size_t n_rows, n_cols;
    int more;        /* rows past the cap were left unread */
} csvtab;

static void tab_free(csvtab *t)
{
    ofi_outbuf_free(&t->text);
    free(t->off);
    memset(t, 0, sizeof *t);
}

static int push_off(csvtab *t, size_t v)
{
    if (t->n_off == t->cap_off) {
        size_t cap = t->cap_off ? t->cap_off * 2 : 256;
        size_t *o = realloc(t->off, cap * sizeof *o);
        if (o == NULL)
            return 0;
        t->off = o;
        t->cap_off = cap;
    }
    t->off[t->n_off++] = v;
    return 1;
}

/* Read one RFC 4180 record of fp: each field's offset goes to t->off, its text (quotes
 * removed, "" read as ") to t->text. Written by this run's CSV writer, so line ends are
 * "\n" and a quote opens a field only at its start.
 * @return the number of fields, 0 at the end of the file, -1 when out of memory. */
static long read_record(FILE *fp, csvtab *t)
{
    int c = getc(fp);
    if (c == EOF)
        return 0;
    long nf = 0;
    for (;;) {
        if (!push_off(t, t->text.len))
            return -1;
        if (c == '"') {
            for (;;) {
                c = getc(fp);
                if (c == EOF)
                    break;
                if (c == '"' && (c = getc(fp)) != '"')
                    break; /* the closing quote; c is the byte after it */
                ofi_putc(&t->text, (char)c);
            }
        }
        while (c != ',' && c != '\n' && c != EOF) {
            ofi_putc(&t->text, (char)c);
            c = getc(fp);
        }
        ofi_putc(&t->text, '\0');
        nf++;
        if (c != ',')
            return nf;
        c = getc(fp);
    }
}

/* Read rel, written by this run, up to max_rows data rows. A file the run did not write
 * reads as empty (the section says "no data").
 * @return OFI_OK, OFI_E_OUTPUT (cannot read it back) or OFI_E_NOMEM. */
static ofi_status tab_read(ofi_ctx *ctx, const ofi_outset *set, const char *rel,
                           size_t max_rows, csvtab *t)
{
    memset(t, 0, sizeof *t);
    ofi_putc(&t->text, '\0');
    const char *path = ofi_outset_tmp(set, rel);
    if (path == NULL)
        return OFI_OK;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot read back: %s", path, strerror(errno));
    ofi_status st = OFI_OK;
    long nf = read_record(fp, t);
    if (nf > 0)
        t->n_cols = (size_t)nf;
    while (nf > 0 && t->n_rows < max_rows) {
        const size_t start = t->n_off;
        nf = read_record(fp, t);
        if (nf <= 0) {
            t->n_off = start;
            break;
        }
        /* Exactly n_cols fields per row: extra ones dropped, missing ones "". */
        t->n_off = start + ((size_t)nf < t->n_cols ? (size_t)nf : t->n_cols);
        while (t->n_off < start + t->n_cols && nf > 0)
            if (!push_off(t, 0))
                nf = -1;
        if (nf > 0)
            t->n_rows++;
    }
    if (nf > 0 && t->n_rows == max_rows)
        t->more = getc(fp) != EOF;
    if (nf < 0 || ofi_outbuf_failed(&t->text))
        st = ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory while reading it back", rel);
    else if (ferror(fp))
        st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: read error: %s", path, strerror(errno));
    fclose(fp);
    return st;
}

/* Column index of name in the header, or -1. */
static int col(const csvtab *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->text.p + t->off[c], name) == 0)
            return (int)c;
    return -1;
}

/* Field (r, c) of the data rows; "" outside the table. */
static const char *cell(const csvtab *t, size_t r, int c)
{
    if (c < 0 || (size_t)c >= t->n_cols || r >= t->n_rows)
        return "";
    return t->text.p + t->off[(r + 1) * t->n_cols + (size_t)c];
}

/* The value of metric in a metric,value file; "" when absent. */
static const char *metric(const csvtab *t, const char *name)
{
    const int cm = col(t, "metric"), cv = col(t, "value");
    for (size_t r = 0; r < t->n_rows; r++)
        if (strcmp(cell(t, r, cm), name) == 0)
            return cell(t, r, cv);
    return "";
}

/* s as a number (SPEC decimals). @return 1 when s is a finite number (in *v), else 0. */
static int num(const char *s, double *v)
{
    return ofi_parse_dec(s, strlen(s), v) == OFI_PV_OK && isfinite(*v);
}

/* ---- number text ---------------------------------------------------------------------- */

/* A rate's text times 100 as a percentage, by moving the decimal point (exact: "0.053400"
 * reads "5.3400 %"). Nothing when s is not a plain decimal. */
static void put_pct(ofi_outbuf *b, const char *s)
{
    const char *p = s;
    int neg = *p == '-';
    p += neg;
    size_t ni = strspn(p, "0123456789");
    if (ni == 0 || ni > 40 || (p[ni] != '.' && p[ni] != '\0'))
        return;
    const char *frac = p[ni] == '.' ? p + ni + 1 : "";
    size_t nfr = strspn(frac, "0123456789");
    if (frac[nfr] != '\0')
        return;
    char digits[64];
    size_t nd = 0;
    for (size_t i = 0; i < ni; i++)
        digits[nd++] = p[i];
    for (size_t i = 0; i < 2; i++)
        digits[nd++] = i < nfr ? frac[i] : '0';
    size_t lead = 0;
    while (lead + 1 < nd && digits[lead] == '0')
        lead++;
    if (neg)
        ofi_putc(b, '-');
    ofi_put(b, digits + lead, nd - lead);
    if (nfr > 2) {
        ofi_putc(b, '.');
        ofi_put(b, frac + 2, nfr - 2);
    }
    ofi_puts(b, " %");
}

/* An SVG coordinate with one decimal. */
static void put_px(ofi_outbuf *b, double v)
{
    if (!(v > -1e7))
        v = -1e7;
    if (!(v < 1e7))
        v = 1e7;
    long long t = llround(v * 10.0);
    if (t < 0) {
        ofi_putc(b, '-');
        t = -t;
    }
    ofi_put_i64(b, t / 10);
    if (t % 10) {
        ofi_putc(b, '.');
        ofi_putc(b, (char)('0' + t % 10));
    }
}

static void attr_px(ofi_outbuf *b, const char *name, double v)
{
    ofi_putc(b, ' ');
    ofi_puts(b, name);
    ofi_puts(b, "=\"");
    put_px(b, v);
    ofi_putc(b, '"');
}

/* An axis tick: %.6f without trailing zeros. */
static void put_tick(ofi_outbuf *b, double v)
{
    char tmp[400];
    int n = ofi_format_f6(v, tmp);
    while (n > 1 && tmp[n - 1] == '0')
        n--;
    if (tmp[n - 1] == '.')
        n--;
    if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
        n = 1, tmp[0] = '0';
    ofi_put(b, tmp, (size_t)n);
}

/* A round step (1, 2 or 5 times a power of ten) of at least x. */
static double nice_step(double x)
{
    if (!(x > 0.0))
        return 1.0;
    const double e = pow(10.0, floor(log10(x)));
    const double f = x / e;
    return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * e;
}

/* An axis range [lo, hi] holding [min, max], cut in round steps. */
typedef struct axis {
    double lo, hi, step;
} axis;

static axis make_axis(double min, double max, int from_zero)
{
    axis a;
    if (from_zero && min > 0.0)
        min = 0.0;
    if (!(max > min)) {
        max = min + 1.0;
        if (!from_zero)
            min -= 1.0;
    }
    a.step = nice_step((max - min) / 4.0);
    a.lo = floor(min / a.step) * a.step;
    a.hi = ceil(max / a.step) * a.step;
    if (!(a.hi > a.lo))
        a.hi = a.lo + a.step;
    return a;
}

/* The number of steps from lo to hi: 4 to 8 normally; at most 20 whatever the values (a
 * degenerate range must not loop for ever). */
static int axis_steps(const axis *a)
{
    const double k = (a->hi - a->lo) / a->step;
    return k >= 1.0 && k <= 20.0 ? (int)lround(k) : 1;
}

/* ---- page pieces -------------------------------------------------------------------------- */

static void section_open(ofi_outbuf *b, const char *id, const char *title, const char *from)
{
    ofi_puts(b, "<section id=\"");
    ofi_puts(b, id);
    ofi_puts(b, "\">\n<h2>");
    ofi_puts(b, title);
    ofi_puts(b, "</h2>\n");
    if (from) {
        ofi_puts(b, "<p class=\"src\">from ");
        ofi_puts(b, from);
        ofi_puts(b, "</p>\n");
    }
}

static void section_close(ofi_outbuf *b)
{
    ofi_puts(b, "</section>\n");
}

static void no_data(ofi_outbuf *b, const char *what)
{
    ofi_puts(b, "<p class=\"empty\">No data: ");
    ofi_puts(b, what);
    ofi_puts(b, "</p>\n");
}

/* "the first k of n rows" note under a chart or table cut short; total, when not
 * empty, is the file's row count known from elsewhere (the file was read only so far). */
static void shown_note_of(ofi_outbuf *b, size_t shown, const csvtab *t, const char *unit,
                          const char *total)
{
    if (shown >= t->n_rows && !t->more)
        return;
    ofi_puts(b, "<p class=\"note\">The first ");
    ofi_put_u64(b, shown);
    ofi_puts(b, " ");
    ofi_puts(b, unit);
    ofi_puts(b, " of ");
    if (t->more && total != NULL && *total != '\0') {
        esc(b, total);
    } else {
        if (t->more)
            ofi_puts(b, "more than ");
        ofi_put_u64(b, t->n_rows);
    }
    ofi_puts(b, ", in the file's order.</p>\n");
}

static void shown_note(ofi_outbuf *b, size_t shown, const csvtab *t, const char *unit)
{
    shown_note_of(b, shown, t, unit, NULL);
}

/* A table of the columns cols (CSV names) of the first max_rows rows, headed heads;
 * kind[k] is 'n' for a number (right-aligned), 'd' for a date (never wrapped), 't' for
 * text. */
static void table(ofi_outbuf *b, const csvtab *t, const char *const *cols, const char *const *heads,
                  const char *kind, size_t n_cols, size_t max_rows)
{
    int ci[32];
    ofi_puts(b, "<table>\n<thead><tr>");
    for (size_t k = 0; k < n_cols && k < 32; k++) {
        ci[k] = col(t, cols[k]);
        ofi_puts(b, kind[k] == 'n' ? "<th class=\"n\">" : "<th>");
        ofi_puts(b, heads[k]);
        ofi_puts(b, "</th>");
    }
    ofi_puts(b, "</tr></thead>\n<tbody>\n");
    for (size_t r = 0; r < t->n_rows && r < max_rows; r++) {
        ofi_puts(b, "<tr>");
        for (size_t k = 0; k < n_cols && k < 32; k++) {
            ofi_puts(b, kind[k] == 'n'   ? "<td class=\"n\">"
                        : kind[k] == 'd' ? "<td class=\"d\">"
                                         : "<td>");
            esc(b, cell(t, r, ci[k]));
            ofi_puts(b, "</td>");
        }
        ofi_puts(b, "</tr>\n");
    }
    ofi_puts(b, "</tbody>\n</table>\n");
}

/* One bar of a horizontal bar chart: its label and secondary label, the value (text, as
 * in the CSV) and a note shown after it. */
typedef struct bar {
    const char *label, *sub, *value, *note;
    int note_pct;      /* the note is a rate: shown as a percentage */
    const char *color; /* this bar's fill, or NULL for the chart's */
} bar;

static void put_note(ofi_outbuf *b, const bar *x)
{
    if (x->note_pct)
        put_pct(b, x->note);
    else
        esc(b, x->note);
}

#define HB_LABEL 330.0 /* labels right-aligned before this x */
#define HB_MAX 1010.0  /* the longest bar ends here */
#define HB_ROW 24.0

static void hbars(ofi_outbuf *b, const bar *bars, size_t n, const char *aria, const char *color)
{
    double max = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (num(bars[i].value, &v) && v > max)
            max = v;
    }
    ofi_puts(b, "<svg class=\"chart\" viewBox=\"0 0 1200 ");
    put_px(b, (double)n * HB_ROW + 8.0);
    ofi_puts(b, "\" role=\"img\" aria-label=\"");
    ofi_puts(b, aria);
    ofi_puts(b, "\">\n");
    for (size_t i = 0; i < n; i++) {
        const bar *x = &bars[i];
        double v = 0.0;
        if (!num(x->value, &v) || v < 0.0 || max <= 0.0)
            v = 0.0;
        const double y = 4.0 + (double)i * HB_ROW;
        const double w = max > 0.0 ? v / max * (HB_MAX - HB_LABEL) : 0.0;
        ofi_puts(b, "<g><title>");
        esc(b, x->label);
        if (x->sub && *x->sub) {
            ofi_puts(b, " (");
            esc(b, x->sub);
            ofi_putc(b, ')');
        }
        ofi_puts(b, ": ");
        esc(b, x->value);
        if (x->note && *x->note) {
            ofi_puts(b, ", ");
            put_note(b, x);
        }
        ofi_puts(b, "</title><text class=\"lbl\" text-anchor=\"end\"");
        attr_px(b, "x", HB_LABEL - 8.0);
        attr_px(b, "y", y + 16.0);
        ofi_putc(b, '>');
        put_label(b, x->label);
        if (x->sub && *x->sub) {
            ofi_puts(b, " <tspan class=\"sub\">");
            put_label(b, x->sub);
            ofi_puts(b, "</tspan>");
        }
        ofi_puts(b, "</text><rect");
        attr_px(b, "x", HB_LABEL);
        attr_px(b, "y", y + 3.0);
        attr_px(b, "width", w > 0.0 && w < 1.0 ? 1.0 : w);
        attr_px(b, "height", HB_ROW - 6.0);
        ofi_puts(b, " fill=\"");
        ofi_puts(b, x->color ? x->color : color);
        ofi_puts(b, "\"/><text class=\"val\"");
        attr_px(b, "x", HB_LABEL + w + 6.0);
        attr_px(b, "y", y + 16.0);
        ofi_putc(b, '>');
        esc(b, x->value);
        if (x->note && *x->note) {
            ofi_puts(b, " <tspan class=\"sub\">");
            put_note(b, x);
            ofi_puts(b, "</tspan>");
        }
        ofi_puts(b, "</text></g>\n");
    }
    ofi_puts(b, "</svg>\n");
}

/* Bars for up to CHART_ROWS rows of t: label column lc (and a secondary one, sc), value
 * column vc, and a note column nc shown after the value (a percentage when pct is set). */
static void hbars_tab(ofi_outbuf *b, const csvtab *t, const char *lc, const char *sc,
                      const char *vc, const char *nc, int pct, const char *aria,
                      const char *color)
{
    bar bars[CHART_ROWS];
    const int cl = col(t, lc), cs = sc ? col(t, sc) : -1, cv = col(t, vc);
    const int cn = nc ? col(t, nc) : -1;
    size_t n = t->n_rows < CHART_ROWS ? t->n_rows : CHART_ROWS;
    for (size_t r = 0; r < n; r++) {
        bars[r].label = cell(t, r, cl);
        bars[r].sub = cs >= 0 ? cell(t, r, cs) : NULL;
        bars[r].value = cell(t, r, cv);
        bars[r].note = cn >= 0 ? cell(t, r, cn) : NULL;
        bars[r].note_pct = pct;
        bars[r].color = NULL;
    }
    hbars(b, bars, n, aria, color);
}

/* The trend chart: bars of count column cc (right axis) under a line of value column cv
 * (left axis), one point per row of t, labelled by column cx. */
#define TR_L 70.0
#define TR_R 1130.0
#define TR_T 14.0
#define TR_B 250.0

static void trend_chart(ofi_outbuf *b, const csvtab *t, const char *xc, const char *cc,
                        const char *vc, const char *aria)
{
    const int cx = col(t, xc), ccount = col(t, cc), cv = col(t, vc);
    const size_t n = t->n_rows;
    double vmin = INFINITY, vmax = -INFINITY, cmax = 0.0;
    for (size_t r = 0; r < n; r++) {
        double v;
        if (num(cell(t, r, cv), &v)) {
            vmin = v < vmin ? v : vmin;
            vmax = v > vmax ? v : vmax;
        }
        if (num(cell(t, r, ccount), &v) && v > cmax)
            cmax = v;
    }
    if (vmin > vmax)
        vmin = vmax = 0.0;
    const axis ay = make_axis(vmin, vmax, 0), ac = make_axis(0.0, cmax, 1);
    const double slot = (TR_R - TR_L) / (double)(n ? n : 1);
    const double bw = slot * 0.7 > 1.0 ? slot * 0.7 : 1.0;
#define Y_OF(a, v) (TR_B - ((v) - (a).lo) / ((a).hi - (a).lo) * (TR_B - TR_T))
    ofi_puts(b, "<svg class=\"chart\" viewBox=\"0 0 1200 290\" role=\"img\" aria-label=\"");
    ofi_puts(b, aria);
    ofi_puts(b, "\">\n");
    /* Grid and the left axis (the line's values), the right axis (counts). */
    for (int k = 0; k <= axis_steps(&ay); k++) {
        const double g = ay.lo + k * ay.step, y = Y_OF(ay, g);
        ofi_puts(b, "<line class=\"grid\"");
        attr_px(b, "x1", TR_L);
        attr_px(b, "x2", TR_R);
        attr_px(b, "y1", y);
        attr_px(b, "y2", y);
        ofi_puts(b, "/><text class=\"ax\" text-anchor=\"end\"");
        attr_px(b, "x", TR_L - 6.0);
        attr_px(b, "y", y + 4.0);
        ofi_putc(b, '>');
        put_tick(b, g);
        ofi_puts(b, "</text>\n");
    }
    for (int k = 0; k <= axis_steps(&ac); k++) {
        const double g = ac.lo + k * ac.step;
        ofi_puts(b, "<text class=\"ax cnt\"");
        attr_px(b, "x", TR_R + 6.0);
        attr_px(b, "y", Y_OF(ac, g) + 4.0);
        ofi_putc(b, '>');
        put_tick(b, g);
        ofi_puts(b, "</text>\n");
    }
    /* Count bars. */
    for (size_t r = 0; r < n; r++) {
        double c;
        if (!num(cell(t, r, ccount), &c) || c <= 0.0)
            continue;
        const double y = Y_OF(ac, c);
        ofi_puts(b, "<rect class=\"cntbar\"");
        attr_px(b, "x", TR_L + (double)r * slot + (slot - bw) / 2.0);
        attr_px(b, "y", y);
        attr_px(b, "width", bw);
        attr_px(b, "height", TR_B - y);
        ofi_puts(b, "><title>");
        esc(b, cell(t, r, cx));
        ofi_puts(b, ": ");
        esc(b, cell(t, r, ccount));
        ofi_puts(b, " cases</title></rect>\n");
    }
    /* The line, broken where a value is missing, then its points with their text. */
    ofi_puts(b, "<polyline class=\"line\" points=\"");
    int started = 0;
    for (size_t r = 0; r < n; r++) {
        double v;
        if (!num(cell(t, r, cv), &v)) {
            if (started)
                ofi_puts(b, "\"/>\n<polyline class=\"line\" points=\"");
            started = 0;
            continue;
        }
        if (started)
            ofi_putc(b, ' ');
        put_px(b, TR_L + ((double)r + 0.5) * slot);
        ofi_putc(b, ',');
        put_px(b, Y_OF(ay, v));
        started = 1;
    }
    ofi_puts(b, "\"/>\n");
    for (size_t r = 0; r < n; r++) {
        double v;
        if (!num(cell(t, r, cv), &v))
            continue;
        ofi_puts(b, "<circle class=\"pt\"");
        attr_px(b, "cx", TR_L + ((double)r + 0.5) * slot);
        attr_px(b, "cy", Y_OF(ay, v));
        ofi_puts(b, n > 60 ? " r=\"1.8\"><title>" : " r=\"3\"><title>");
        esc(b, cell(t, r, cx));
        ofi_puts(b, ": ");
        ofi_puts(b, vc);
        ofi_putc(b, ' ');
        esc(b, cell(t, r, cv));
        ofi_puts(b, ", ");
        esc(b, cell(t, r, ccount));
        ofi_puts(b, " cases</title></circle>\n");
    }
    /* About a dozen x labels, evenly spaced. */
    const size_t every = n > 12 ? (n + 11) / 12 : 1;
    for (size_t r = 0; r < n; r += every) {
        ofi_puts(b, "<text class=\"ax\" text-anchor=\"middle\"");
        attr_px(b, "x", TR_L + ((double)r + 0.5) * slot);
        attr_px(b, "y", TR_B + 18.0);
        ofi_putc(b, '>');
        put_label(b, cell(t, r, cx));
        ofi_puts(b, "</text>\n");
    }
    ofi_puts(b, "<text class=\"ax\" transform=\"rotate(-90)\" text-anchor=\"middle\" x=\"-132\" "
                "y=\"16\">");
    ofi_puts(b, vc);
    ofi_puts(b, "</text><text class=\"ax cnt\" transform=\"rotate(90)\" text-anchor=\"middle\" "
                "x=\"132\" y=\"-1188\">");
    ofi_puts(b, cc);
    ofi_puts(b, "</text>\n</svg>\n");
#undef Y_OF
}

/* "N units, first to last. Highest v (x), lowest v (x)" in the CSV's text, then tail. */
static void trend_summary(ofi_outbuf *b, const csvtab *t, const char *xc, const char *vc,
                          const char *unit, const char *tail)
{
    const int cx = col(t, xc), cv = col(t, vc);
    size_t hi = SIZE_MAX, lo = SIZE_MAX;
    double vhi = 0, vlo = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        double v;
        if (!num(cell(t, r, cv), &v))
            continue;
        if (hi == SIZE_MAX || v > vhi)
            hi = r, vhi = v;
        if (lo == SIZE_MAX || v < vlo)
            lo = r, vlo = v;
    }
    ofi_puts(b, "<p class=\"note\">");
    ofi_put_u64(b, t->n_rows);
    ofi_putc(b, ' ');
    ofi_puts(b, unit);
    ofi_puts(b, ", ");
    esc(b, cell(t, 0, cx));
    ofi_puts(b, " to ");
    esc(b, cell(t, t->n_rows - 1, cx));
    if (hi != SIZE_MAX) {
        ofi_puts(b, ". Highest ");
        ofi_puts(b, vc);
        ofi_puts(b, " <b>");
        esc(b, cell(t, hi, cv));
        ofi_puts(b, "</b> (");
        esc(b, cell(t, hi, cx));
        ofi_puts(b, "), lowest <b>");
        esc(b, cell(t, lo, cv));
        ofi_puts(b, "</b> (");
        esc(b, cell(t, lo, cx));
        ofi_puts(b, ")");
    }
    ofi_puts(b, tail);
    ofi_puts(b, "</p>\n");
}

static void legend(ofi_outbuf *b, const char *line, const char *bars)
{
    ofi_puts(b, "<p class=\"legend\"><span class=\"sw swl\"></span>");
    ofi_puts(b, line);
    ofi_puts(b, " <span class=\"sw swb\"></span>");
    ofi_puts(b, bars);
    ofi_puts(b, "</p>\n");
}

/* Vertical bars of value column vc, one per row of t labelled by column xc. */
static void vbars_chart(ofi_outbuf *b, const csvtab *t, const char *xc, const char *vc,
                        const char *unit, const char *aria)
{
    const int cx = col(t, xc), cv = col(t, vc);
    const size_t n = t->n_rows;
    double vmax = 0.0;
    for (size_t r = 0; r < n; r++) {
        double v;
        if (num(cell(t, r, cv), &v) && v > vmax)
            vmax = v;
    }
    const axis ay = make_axis(0.0, vmax, 1);
    const double slot = (TR_R - TR_L) / (double)(n ? n : 1);
    const double bw = slot * 0.7 > 1.0 ? slot * 0.7 : 1.0;
#define Y_OF(a, v) (TR_B - ((v) - (a).lo) / ((a).hi - (a).lo) * (TR_B - TR_T))
    ofi_puts(b, "<svg class=\"chart\" viewBox=\"0 0 1200 290\" role=\"img\" aria-label=\"");
    ofi_puts(b, aria);
    ofi_puts(b, "\">\n");
    for (int k = 0; k <= axis_steps(&ay); k++) {
        const double g = ay.lo + k * ay.step, y = Y_OF(ay, g);
        ofi_puts(b, "<line class=\"grid\"");
        attr_px(b, "x1", TR_L);
        attr_px(b, "x2", TR_R);
        attr_px(b, "y1", y);
        attr_px(b, "y2", y);
        ofi_puts(b, "/><text class=\"ax\" text-anchor=\"end\"");
        attr_px(b, "x", TR_L - 6.0);
        attr_px(b, "y", y + 4.0);
        ofi_putc(b, '>');
        put_tick(b, g);
        ofi_puts(b, "</text>\n");
    }
    for (size_t r = 0; r < n; r++) {
        double v;
        if (!num(cell(t, r, cv), &v) || v <= 0.0)
            continue;
        const double y = Y_OF(ay, v);
        ofi_puts(b, "<rect class=\"vbar\"");
        attr_px(b, "x", TR_L + (double)r * slot + (slot - bw) / 2.0);
        attr_px(b, "y", y);
        attr_px(b, "width", bw);
        attr_px(b, "height", TR_B - y);
        ofi_puts(b, "><title>");
        esc(b, cell(t, r, cx));
        ofi_puts(b, ": ");
        esc(b, cell(t, r, cv));
        ofi_putc(b, ' ');
        ofi_puts(b, unit);
        ofi_puts(b, "</title></rect>\n");
    }
    const size_t every = n > 12 ? (n + 11) / 12 : 1;
    for (size_t r = 0; r < n; r += every) {
        ofi_puts(b, "<text class=\"ax\" text-anchor=\"middle\"");
        attr_px(b, "x", TR_L + ((double)r + 0.5) * slot);
        attr_px(b, "y", TR_B + 18.0);
        ofi_putc(b, '>');
        put_label(b, cell(t, r, cx));
        ofi_puts(b, "</text>\n");
    }
    ofi_puts(b, "<text class=\"ax\" transform=\"rotate(-90)\" text-anchor=\"middle\" x=\"-132\" "
                "y=\"16\">");
    ofi_puts(b, vc);
    ofi_puts(b, "</text>\n</svg>\n");
#undef Y_OF
}

/* ---- sections ------------------------------------------------------------------------------ */

typedef struct page {
    ofi_ctx *ctx;
    const ofi_outset *set;
    const ofi_report_in *in;
    ofi_outbuf *b;
    csvtab kpi, summary; /* read once: several sections quote them */
} page;

static void tile(ofi_outbuf *b, const char *label, const char *value, const char *unit, int pct)
{
    ofi_puts(b, "<div class=\"tile\"><div class=\"k\">");
    ofi_puts(b, label);
    if (unit) {
        ofi_puts(b, " (");
        ofi_puts(b, unit);
        ofi_puts(b, ")");
    }
    ofi_puts(b, "</div><div class=\"v\">");
    if (*value) {
        esc(b, value);
    } else {
        ofi_puts(b, "&#8212;"); /* an em dash: no value (no cases) */
    }
    ofi_puts(b, "</div>");
    if (pct && *value) {
        ofi_puts(b, "<div class=\"p\">");
        put_pct(b, value);
        ofi_puts(b, "</div>");
    }
    ofi_puts(b, "</div>\n");
}

static void sec_kpis(page *pg)
{
    static const struct {
        const char *metric, *label, *unit;
        int pct;
    } k[] = {
        {"cases", "Cases", NULL, 0},
        {"customers_with_cases", "Customers with cases", NULL, 0},
        {"total_refund_eur", "Total refunds", "EUR", 0},
        {"escalation_rate", "Escalation rate", NULL, 1},
        {"reopen_rate", "Reopen rate", NULL, 1},
        {"delay_rate", "Delay rate", NULL, 1},
        {"avg_resolution_minutes", "Avg resolution", "minutes", 0},
        {"avg_ofi", "Avg OFI", NULL, 0},
        {"p50_ofi", "p50 OFI", NULL, 0},
        {"p90_ofi", "p90 OFI", NULL, 0},
        {"p99_ofi", "p99 OFI", NULL, 0},
        {"max_ofi", "Max OFI", NULL, 0},
    };
    ofi_outbuf *b = pg->b;
    section_open(b, "kpis", "Key figures", "ofi/kpi_summary.csv, reports/ofi_summary.csv");
    if (pg->kpi.n_rows == 0) {
        no_data(b, "ofi/kpi_summary.csv has no rows.");
    } else {
        ofi_puts(b, "<div class=\"tiles\">\n");
        for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
            tile(b, k[i].label, metric(&pg->kpi, k[i].metric), k[i].unit, k[i].pct);
        ofi_puts(b, "</div>\n");
        const char *share = metric(&pg->summary, "top_1pct_share_of_ofi");
        ofi_puts(b, "<p class=\"note\">Total OFI <b>");
        esc(b, metric(&pg->summary, "total_ofi"));
        ofi_puts(b, "</b>");
        if (*share) {
            ofi_puts(b, "; the top 1% of cases hold <b>");
            esc(b, share);
            ofi_puts(b, "</b> of it (");
            put_pct(b, share);
            ofi_puts(b, ")");
        }
        ofi_puts(b, ".</p>\n");
        if (strcmp(metric(&pg->kpi, "cases"), "0") == 0)
            no_data(b, "no case was scored.");
    }
    section_close(b);
}

/* A collapsed table of every row (details: shown on demand, left out of print). */
static void details_table(ofi_outbuf *b, const csvtab *t, const char *const *cols,
                          const char *const *heads, const char *kind, size_t n_cols)
{
    ofi_puts(b, "<details><summary>Every row (");
    ofi_put_u64(b, t->n_rows);
    ofi_puts(b, ")</summary>\n");
    table(b, t, cols, heads, kind, n_cols, t->n_rows);
    ofi_puts(b, "</details>\n");
}

/* Weekly or monthly friction trend: case volume as bars, avg_ofi as a line. */
static ofi_status sec_trend(page *pg, int weekly)
{
    static const char *const wcols[] = {"week_start", "iso_year", "iso_week", "case_count",
                                        "avg_ofi", "total_ofi", "escalation_rate",
                                        "avg_resolution_minutes", "total_refund_eur"};
    static const char *const mcols[] = {"month", "case_count", "avg_ofi", "total_ofi",
                                        "escalation_rate", "avg_resolution_minutes",
                                        "total_refund_eur"};
    const char *rel = weekly ? "ofi/weekly_friction_trend.csv" : "ofi/monthly_friction_trend.csv";
    const char *xc = weekly ? "week_start" : "month";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, MAX_ROWS, &t);
    if (st == OFI_OK) {
        section_open(b, weekly ? "weekly-trend" : "monthly-trend",
                     weekly ? "Weekly friction trend" : "Monthly friction trend", rel);
        if (t.n_rows == 0) {
            no_data(b, "no dated case.");
        } else {
            trend_summary(b, &t, xc, "avg_ofi", weekly ? "weeks" : "months",
                          ". Bars: case_count (right axis); line: avg_ofi (left axis).");
            trend_chart(b, &t, xc, "case_count", "avg_ofi",
                        weekly ? "average OFI and cases per ISO week"
                               : "average OFI and cases per month");
            legend(b, "avg_ofi", "case_count");
            if (weekly)
                details_table(b, &t, wcols, wcols, "dnnnnnnnn", 9);
            else
                details_table(b, &t, mcols, mcols, "dnnnnnn", 7);
        }
        section_close(b);
    }
    tab_free(&t);
    return st;
}

/* The usual order of severities and priorities; other texts after them, by bytes. */
static int level_rank(const char *s)
{
    static const char *const order[] = {"Low", "Med", "Medium", "High", "Critical"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return 100;
}

static int cmp_level(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int rx = level_rank(x), ry = level_rank(y);
    return rx != ry ? (rx > ry) - (rx < ry) : strcmp(x, y);
}

/* Index of s in names[0..*n), added when absent and room remains; -1 when full. */
static int level_index(const char **names, int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    if (*n == HEAT_MAX)
        return -1;
    names[*n] = s;
    return (*n)++;
}

static void heat_cell(ofi_outbuf *b, uint64_t v, uint64_t max)
{
    /* From #eff6ff (few cases) to #1e40af (the most), linear in the count. */
    const double f = max ? (double)v / (double)max : 0.0;
    const int rgb[3] = {(int)lround(239 + (30 - 239) * f), (int)lround(246 + (64 - 246) * f),
                        (int)lround(255 + (175 - 255) * f)};
    static const char hex[] = "0123456789abcdef";
    char col6[8] = "#";
    for (int i = 0; i < 3; i++) {
        col6[1 + 2 * i] = hex[(rgb[i] >> 4) & 15];
        col6[2 + 2 * i] = hex[rgb[i] & 15];
    }
    col6[7] = '\0';
    ofi_puts(b, "<td class=\"n\" style=\"background:");
    ofi_puts(b, col6);
    ofi_puts(b, f > 0.5 ? ";color:#fff\">" : "\">");
    ofi_put_u64(b, v);
    ofi_puts(b, "</td>");
}

/* Severity x priority: the case_count of severity_trend.csv summed over its months. */
static ofi_status sec_heatmap(page *pg)
{
    const char *rel = "ofi/severity_trend.csv";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, MAX_ROWS, &t);
    if (st != OFI_OK) {
        tab_free(&t);
        return st;
    }
    const char *sev[HEAT_MAX], *pri[HEAT_MAX];
    int ns = 0, np = 0, dropped = 0;
    const int cs = col(&t, "severity"), cp = col(&t, "priority"), cc = col(&t, "case_count");
    for (size_t r = 0; r < t.n_rows; r++)
        if (level_index(sev, &ns, cell(&t, r, cs)) < 0 ||
            level_index(pri, &np, cell(&t, r, cp)) < 0)
            dropped = 1;
    qsort(sev, (size_t)ns, sizeof *sev, cmp_level);
    qsort(pri, (size_t)np, sizeof *pri, cmp_level);
    uint64_t(*m)[HEAT_MAX] = calloc(HEAT_MAX, sizeof *m);
    if (m == NULL) {
        tab_free(&t);
        return ofi_fail(pg->ctx, OFI_E_NOMEM, "out of memory");
    }
    uint64_t max = 0, rows[HEAT_MAX] = {0}, cols[HEAT_MAX] = {0}, all = 0;
    for (size_t r = 0; r < t.n_rows; r++) {
        int i = -1, j = -1;
        for (int k = 0; k < ns; k++)
            if (strcmp(sev[k], cell(&t, r, cs)) == 0)
                i = k;
        for (int k = 0; k < np; k++)
            if (strcmp(pri[k], cell(&t, r, cp)) == 0)
                j = k;
        int64_t c;
        const char *txt = cell(&t, r, cc);
        if (i < 0 || j < 0 || ofi_parse_int(txt, strlen(txt), &c) != OFI_PV_OK || c < 0)
            continue;
        m[i][j] += (uint64_t)c;
        rows[i] += (uint64_t)c;
        cols[j] += (uint64_t)c;
        all += (uint64_t)c;
    }
    for (int i = 0; i < ns; i++)
        for (int j = 0; j < np; j++)
            max = m[i][j] > max ? m[i][j] : max;
    section_open(b, "severity-heatmap", "Severity &#215; priority", rel);
    if (t.n_rows == 0) {
        no_data(b, "no case with a month.");
    } else {
        ofi_puts(b, "<p class=\"note\">Cases per issue severity (rows) and case priority "
                    "(columns): case_count summed over every month of the file. Darker: "
                    "more cases.</p>\n<table class=\"heat\">\n<thead><tr><th>severity \\ "
                    "priority</th>");
        for (int j = 0; j < np; j++) {
            ofi_puts(b, "<th class=\"n\">");
            esc(b, pri[j]);
            ofi_puts(b, "</th>");
        }
        ofi_puts(b, "<th class=\"n\">all</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < ns; i++) {
            ofi_puts(b, "<tr><th>");
            esc(b, sev[i]);
            ofi_puts(b, "</th>");
            for (int j = 0; j < np; j++)
                heat_cell(b, m[i][j], max);
            ofi_puts(b, "<td class=\"n tot\">");
            ofi_put_u64(b, rows[i]);
            ofi_puts(b, "</td></tr>\n");
        }
        ofi_puts(b, "<tr><th>all</th>");
        for (int j = 0; j < np; j++) {
            ofi_puts(b, "<td class=\"n tot\">");
            ofi_put_u64(b, cols[j]);
            ofi_puts(b, "</td>");
        }
        ofi_puts(b, "<td class=\"n tot\">");
        ofi_put_u64(b, all);
        ofi_puts(b, "</td></tr>\n</tbody>\n</table>\n");
        if (dropped)
            ofi_puts(b, "<p class=\"note\">More than 32 severities or priorities: the others "
                        "are left out.</p>\n");
    }
    section_close(b);
    free(m);
    tab_free(&t);
    return OFI_OK;
}

/* Product groups by total_ofi: bars (share of all OFI after each) and the whole rows. */
static ofi_status sec_drivers(page *pg)
{
    static const char *const cols[] = {"product_group", "case_count", "total_refund_eur",
                                       "avg_ofi", "total_ofi", "share_of_total_ofi",
                                       "escalation_rate", "avg_resolution_minutes"};
    const char *rel = "ofi/product_group_cost_drivers.csv";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, MAX_ROWS, &t);
    if (st == OFI_OK) {
        section_open(b, "cost-drivers", "Cost drivers by product group", rel);
        if (t.n_rows == 0) {
            no_data(b, "no case.");
        } else {
            ofi_puts(b, "<p class=\"note\">Bars: total_ofi, in the file's order (total_ofi "
                        "descending); after each, its share of all OFI.</p>\n");
            hbars_tab(b, &t, "product_group", NULL, "total_ofi", "share_of_total_ofi", 1,
                      "total OFI by product group", "#2563eb");
            shown_note(b, CHART_ROWS, &t, "product groups");
            table(b, &t, cols, cols, "tnnnnnnn", 8, CHART_ROWS);
        }
        section_close(b);
    }
    tab_free(&t);
    return st;
}

/* Root causes by total_ofi: bars and rows. */
static ofi_status sec_roots(page *pg)
{
    static const char *const cols[] = {"issue_id", "issue_category", "root_cause", "severity",
                                       "case_count", "avg_ofi", "total_ofi", "total_refund_eur"};
    const char *rel = "ofi/root_cause_friction.csv";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, MAX_ROWS, &t);
    if (st == OFI_OK) {
        section_open(b, "root-causes", "Root causes", rel);
        if (t.n_rows == 0) {
            no_data(b, "no case.");
        } else {
            ofi_puts(b, "<p class=\"note\">Bars: total_ofi per issue (root cause, then its "
                        "category), in the file's order (total_ofi descending).</p>\n");
            hbars_tab(b, &t, "root_cause", "issue_category", "total_ofi", NULL, 0,
                      "total OFI by root cause", "#7c3aed");
            shown_note(b, CHART_ROWS, &t, "issues");
            table(b, &t, cols, cols, "nttnnnnn", 8, CHART_ROWS);
        }
        section_close(b);
    }
    tab_free(&t);
    return st;
}

/* Refunds per month: bars of total_refund_eur. */
static ofi_status sec_refunds(page *pg)
{
    static const char *const cols[] = {"month", "refunded_cases", "refund_count",
                                       "total_refund_eur"};
    const char *rel = "ofi/monthly_refund_trend.csv";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, MAX_ROWS, &t);
    if (st == OFI_OK) {
        section_open(b, "refund-trend", "Monthly refunds", rel);
        if (t.n_rows == 0) {
            no_data(b, "no case with a month.");
        } else {
            trend_summary(b, &t, "month", "total_refund_eur", "months",
                          ". Bars: total_refund_eur (EUR).");
            vbars_chart(b, &t, "month", "total_refund_eur", "EUR", "refunds in EUR per month");
            details_table(b, &t, cols, cols, "dnnn", 4);
        }
        section_close(b);
    }
    tab_free(&t);
    return st;
}

/* The first TOP_ROWS rows of top_50_cases.csv. */
static ofi_status sec_top(page *pg)
{
    static const char *const cols[] = {
        "rank", "case_id", "case_date", "customer_id", "product_id", "channel", "priority",
        "severity", "escalated_flag", "reopened_flag", "delay_minutes", "resolution_minutes",
        "refund_eur", "touch_count", "ofi"};
    static const char *const heads[] = {
        "rank", "case", "date", "customer", "product", "channel", "priority", "severity",
        "escalated", "reopened", "delay min", "resolution min", "refund EUR", "touches", "ofi"};
    const char *rel = "ofi/top_50_cases.csv";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, TOP_ROWS, &t);
    if (st == OFI_OK) {
        section_open(b, "top-cases", "Top cases", rel);
        if (t.n_rows == 0) {
            no_data(b, "no case.");
        } else {
            ofi_puts(b, "<p class=\"note\">The cases with the highest OFI (ties by case_id); "
                        "every score component is in the file.</p>\n");
            table(b, &t, cols, heads, "nndnntttnnnnnnn", 15, TOP_ROWS);
            shown_note(b, TOP_ROWS, &t, "cases");
        }
        section_close(b);
    }
    tab_free(&t);
    return st;
}

/* Customer tiers: the three counts of ofi_summary.csv and the thresholds. */
static void sec_tiers(page *pg)
{
    ofi_outbuf *b = pg->b;
    const ofi_summary *s = &pg->in->res->sum;
    section_open(b, "tiers", "Customer tiers",
                 "reports/ofi_summary.csv (tiers as in ofi/customer_tiers.csv)");
    const bar bars[3] = {
        {"Low Friction", NULL, metric(&pg->summary, "low_friction_customers"), NULL, 0, "#16a34a"},
        {"Medium Friction", NULL, metric(&pg->summary, "medium_friction_customers"), NULL, 0,
         "#d97706"},
        {"High Friction", NULL, metric(&pg->summary, "high_friction_customers"), NULL, 0,
         "#dc2626"},
    };
    if (s->customers == 0 || pg->summary.n_rows == 0) {
        no_data(b, "no customer has a case.");
    } else {
        char t1[400], t2[400];
        t1[ofi_format_f6(s->tier_t1, t1)] = '\0';
        t2[ofi_format_f6(s->tier_t2, t2)] = '\0';
        ofi_puts(b, "<p class=\"note\">Customers with cases by their avg_ofi: Low Friction "
                    "&#8804; ");
        ofi_puts(b, t1);
        ofi_puts(b, " &lt; Medium Friction &#8804; ");
        ofi_puts(b, t2);
        ofi_puts(b, " &lt; High Friction (thresholds: the 1/3 and 2/3 quantiles).</p>\n");
        hbars(b, bars, 3, "customers per tier", "#0f766e");
    }
    section_close(b);
}

/* The first CUSTOMER_ROWS rows of high_friction_customers.csv (read no further). */
static ofi_status sec_customers(page *pg)
{
    static const char *const cols[] = {"customer_id", "country", "region", "segment",
                                       "case_count", "avg_ofi", "total_ofi", "max_ofi",
                                       "total_refund_eur", "escalated_cases", "reopened_cases",
                                       "tier"};
    static const char *const heads[] = {"customer_id", "country", "region", "segment", "cases",
                                        "avg_ofi", "total_ofi", "max_ofi", "total_refund_eur",
                                        "escalated", "reopened", "tier"};
    const char *rel = "ofi/high_friction_customers.csv";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, CUSTOMER_ROWS, &t);
    if (st == OFI_OK) {
        section_open(b, "customers", "Highest-friction customers", rel);
        if (t.n_rows == 0) {
            no_data(b, "no customer has a case.");
        } else {
            ofi_puts(b, "<p class=\"note\">By avg_ofi descending, then customer_id.</p>\n");
            table(b, &t, cols, heads, "ntttnnnnnnnt", 12, CUSTOMER_ROWS);
            shown_note_of(b, CUSTOMER_ROWS, &t, "customers",
                          metric(&pg->summary, "customers_with_cases"));
        }
        section_close(b);
    }
    tab_free(&t);
    return st;
}

/* Teams by avg_ofi. */
static ofi_status sec_teams(page *pg)
{
    static const char *const cols[] = {"team", "agent_count", "case_count", "avg_ofi",
                                       "escalation_rate", "reopen_rate",
                                       "avg_resolution_minutes"};
    const char *rel = "ofi/team_friction.csv";
    ofi_outbuf *b = pg->b;
    csvtab t;
    ofi_status st = tab_read(pg->ctx, pg->set, rel, MAX_ROWS, &t);
    if (st == OFI_OK) {
        section_open(b, "teams", "Teams", rel);
        if (t.n_rows == 0) {
            no_data(b, "no case.");
        } else {
            ofi_puts(b, "<p class=\"note\">Bars: avg_ofi per team, in the file's order (avg_ofi "
                        "descending); after each, its escalation_rate.</p>\n");
            hbars_tab(b, &t, "team", NULL, "avg_ofi", "escalation_rate", 1,
                      "average OFI by team", "#ea580c");
            shown_note(b, CHART_ROWS, &t, "teams");
            table(b, &t, cols, cols, "tnnnnnn", 7, CHART_ROWS);
        }
        section_close(b);
    }
    tab_free(&t);
    return st;
}

/* Rows rejected from the table named name (db counter), as text into out. */
static const char *rejected_of(const ofi_db *db, const char *name, char *out)
{
    out[0] = '\0';
    for (int ti = 0; db && ti < OFI_N_TABLES; ti++)
        if (strcmp(db->t[ti].spec->name, name) == 0)
            snprintf(out, 24, "%llu", (unsigned long long)db->t[ti].n_rejected);
    return out;
}

/* The value of column vc in the first row whose columns k1, k2 are v1, v2; "" if none. */
static const char *lookup2(const csvtab *t, const char *k1, const char *v1, const char *k2,
                           const char *v2, const char *vc)
{
    const int c1 = col(t, k1), c2 = col(t, k2), cv = col(t, vc);
    for (size_t r = 0; r < t->n_rows; r++)
        if (strcmp(cell(t, r, c1), v1) == 0 &&
            (v2 == NULL ? strncmp(cell(t, r, c2), "duplicate_in_", 13) == 0
                        : strcmp(cell(t, r, c2), v2) == 0))
            return cell(t, r, cv);
    return "";
}

/* A table of every column of t as it is; cells of column hot_col that are not "0" are
 * highlighted. */
static void plain_table(ofi_outbuf *b, const csvtab *t, const char *hot_col)
{
    const int hot = hot_col ? col(t, hot_col) : -1;
    ofi_puts(b, "<table>\n<thead><tr>");
    for (size_t c = 0; c < t->n_cols; c++) {
        ofi_puts(b, (int)c == hot ? "<th class=\"n\">" : "<th>");
        esc(b, t->text.p + t->off[c]);
        ofi_puts(b, "</th>");
    }
    ofi_puts(b, "</tr></thead>\n<tbody>\n");
    for (size_t r = 0; r < t->n_rows; r++) {
        ofi_puts(b, "<tr>");
        for (size_t c = 0; c < t->n_cols; c++) {
            const char *v = cell(t, r, (int)c);
            if ((int)c == hot)
                ofi_puts(b, strcmp(v, "0") ? "<td class=\"n hot\">" : "<td class=\"n\">");
            else
                ofi_puts(b, "<td>");
            esc(b, v);
            ofi_puts(b, "</td>");
        }
        ofi_puts(b, "</tr>\n");
    }
    ofi_puts(b, "</tbody>\n</table>\n");
}

static ofi_status sec_dq(page *pg)
{
    ofi_outbuf *b = pg->b;
    csvtab rc, du, dv, mv, fk;
    ofi_status st = OFI_OK;
    memset(&rc, 0, sizeof rc), memset(&du, 0, sizeof du), memset(&dv, 0, sizeof dv);
    memset(&mv, 0, sizeof mv), memset(&fk, 0, sizeof fk);
    OFI_CHECK(tab_read(pg->ctx, pg->set, "dq/row_counts.csv", MAX_ROWS, &rc));
    OFI_CHECK(tab_read(pg->ctx, pg->set, "dq/duplicates.csv", MAX_ROWS, &du));
    OFI_CHECK(tab_read(pg->ctx, pg->set, "dq/domain_violations.csv", MAX_ROWS, &dv));
    OFI_CHECK(tab_read(pg->ctx, pg->set, "dq/missing_values.csv", MAX_ROWS, &mv));
    OFI_CHECK(tab_read(pg->ctx, pg->set, "fk/fk_orphans_summary.csv", MAX_ROWS, &fk));
    section_open(b, "data-quality", "Data quality and integrity",
                 "dq/row_counts.csv, dq/duplicates.csv, dq/domain_violations.csv, "
                 "dq/missing_values.csv, fk/fk_orphans_summary.csv, reports/ofi_summary.csv; "
                 "the rows themselves, unreadable ones and repeated ids, are in "
                 "dq/rejected_rows.csv");
    ofi_puts(b, "<div class=\"tiles\">\n");
    tile(b, "Unreadable rows", metric(&pg->summary, "rejected_rows"), NULL, 0);
    tile(b, "Duplicate ids", metric(&pg->summary, "duplicate_ids"), NULL, 0);
    tile(b, "Orphan keys", metric(&pg->summary, "orphan_keys"), NULL, 0);
    tile(b, "Domain violations", metric(&pg->summary, "domain_violations"), NULL, 0);
    ofi_puts(b, "</div>\n<div class=\"cols\"><div>\n<h3>Tables</h3>\n");
    if (rc.n_rows == 0) {
        no_data(b, "dq/row_counts.csv has no rows.");
    } else {
        ofi_puts(b, "<table>\n<thead><tr><th>table</th><th class=\"n\">rows</th><th "
                    "class=\"n\">cols</th><th class=\"n\">rejected</th><th class=\"n\">"
                    "duplicate ids</th><th class=\"n\">full-row duplicates</th></tr></thead>\n"
                    "<tbody>\n");
        const int ct = col(&rc, "table"), cr = col(&rc, "rows"), cc = col(&rc, "cols");
        for (size_t r = 0; r < rc.n_rows; r++) {
            const char *name = cell(&rc, r, ct);
            char rej[24];
            const char *cells[5] = {
                cell(&rc, r, cr), cell(&rc, r, cc), rejected_of(pg->in->db, name, rej),
                lookup2(&du, "table", name, "check", NULL, "count"),
                lookup2(&du, "table", name, "check", "full_row_duplicates", "count")};
            ofi_puts(b, "<tr><td>");
            esc(b, name);
            ofi_puts(b, "</td>");
            for (int k = 0; k < 5; k++) {
                ofi_puts(b, k >= 2 && *cells[k] && strcmp(cells[k], "0") ? "<td class=\"n hot\">"
                                                                          : "<td class=\"n\">");
                esc(b, cells[k]);
                ofi_puts(b, "</td>");
            }
            ofi_puts(b, "</tr>\n");
        }
        ofi_puts(b, "</tbody>\n</table>\n");
    }
    ofi_puts(b, "<h3>Missing values</h3>\n");
    if (mv.n_rows == 0)
        ofi_puts(b, "<p class=\"note\">No NULL or empty field.</p>\n");
    else
        plain_table(b, &mv, "missing_count");
    ofi_puts(b, "</div><div>\n<h3>Domain rules</h3>\n");
    if (dv.n_rows == 0)
        no_data(b, "dq/domain_violations.csv has no rows.");
    else
        plain_table(b, &dv, "count");
    ofi_puts(b, "<h3>Integrity: orphan foreign keys</h3>\n");
    if (fk.n_rows == 0)
        no_data(b, "fk/fk_orphans_summary.csv has no rows.");
    else
        plain_table(b, &fk, "orphan_count");
    ofi_puts(b, "</div></div>\n");
    section_close(b);
cleanup:
    tab_free(&rc);
    tab_free(&du);
    tab_free(&dv);
    tab_free(&mv);
    tab_free(&fk);
    return st;
}

static void sec_weights(page *pg)
{
    ofi_outbuf *b = pg->b;
    const ofi_variant *v = pg->in->v;
    section_open(b, "weights", "Weights used", NULL);
    ofi_puts(b, "<p class=\"note\">Variant <b>");
    esc(b, v->name);
    ofi_puts(b, "</b> of ");
    if (pg->in->opts && pg->in->opts->weights_path) {
        ofi_puts(b, "the weights file <code>");
        esc(b, pg->in->opts->weights_path);
        ofi_puts(b, "</code>");
    } else {
        ofi_puts(b, "the built-in weights (the reference pipeline)");
    }
    ofi_puts(b, ". A weight a/b gives a points per b units of its input.</p>\n<table class="
                "\"narrow\">\n<thead><tr><th>weight</th><th class=\"n\">value</th></tr></thead>"
                "\n<tbody>\n");
    for (int w = 0; w < OFI_W_N; w++) {
        ofi_puts(b, "<tr><td>");
        esc(b, ofi_weight_key(w));
        ofi_puts(b, "</td><td class=\"n\">");
        esc(b, v->w[w].text);
        ofi_puts(b, "</td></tr>\n");
    }
    ofi_puts(b, "<tr><td>severity_multiplier</td><td class=\"n\">");
    ofi_puts(b, v->severity_multiplier ? "on" : "off");
    ofi_puts(b, "</td></tr>\n<tr><td>segment_multiplier</td><td class=\"n\">");
    ofi_puts(b, v->segment_multiplier ? "on" : "off");
    ofi_puts(b, "</td></tr>\n</tbody>\n</table>\n");
    section_close(b);
}

/* ---- the page ------------------------------------------------------------------------------ */

static const char css[] =
    ":root{--ink:#1e293b;--mute:#64748b}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f1f5f9;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\n"
    "header{background:#0f172a;color:#f8fafc;padding:16px 24px}\n"
    "header h1{margin:0;font-size:22px;font-weight:650}\n"
    "header p{margin:4px 0 0;color:#cbd5e1;font-size:13px;overflow-wrap:anywhere}\n"
    "nav{max-width:1240px;margin:10px auto 0;padding:0 12px;font-size:13px}\n"
    "nav a{color:#1d4ed8;margin-right:14px;text-decoration:none;white-space:nowrap}\n"
    "main{max-width:1240px;margin:0 auto;padding:10px 12px}\n"
    "section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 18px;"
    "margin:0 0 14px;break-inside:avoid;page-break-inside:avoid}\n"
    "h2{font-size:17px;margin:0 0 2px}\n"
    "h3{font-size:14px;margin:12px 0 4px}\n"
    ".src,.note,.legend{color:var(--mute);font-size:12px;margin:0 0 8px;overflow-wrap:anywhere}\n"
    ".empty{color:#b45309;font-weight:600}\n"
    ".tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin:4px 0 8px}\n"
    ".tile{border:1px solid #e2e8f0;border-radius:6px;padding:8px 10px;background:#f8fafc}\n"
    ".tile .k{font-size:12px;color:var(--mute)}\n"
    ".tile .v{font-size:20px;font-weight:650;font-variant-numeric:tabular-nums;"
    "overflow-wrap:anywhere}\n"
    ".tile .p{font-size:12px;color:#1d4ed8}\n"
    "svg.chart{display:block;width:100%;height:auto;margin:4px 0}\n"
    "svg text{font-size:12px;fill:#334155}\n"
    "svg .ax{font-size:11px;fill:#64748b}\n"
    "svg .cnt,svg .sub{fill:#94a3b8}\n"
    "svg .grid{stroke:#e2e8f0;stroke-width:1}\n"
    "svg .line{fill:none;stroke:#2563eb;stroke-width:2}\n"
    "svg .pt{fill:#2563eb}\n"
    "svg .cntbar{fill:#cbd5e1}\n"
    "svg .vbar{fill:#0f766e}\n"
    "table{border-collapse:collapse;width:100%;font-size:12px;font-variant-numeric:tabular-nums}\n"
    "table.narrow{width:auto;min-width:360px}\n"
    /* anywhere, not break-word: a long unbroken name then narrows the column (an
     * auto-layout table sizes by min-content), instead of pushing the numbers off the
     * page. isolate: a bidi override in data text stays inside its own cell or label. */
    "th,td{padding:3px 6px;border-bottom:1px solid #e2e8f0;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere;unicode-bidi:isolate}\n"
    "svg text,.tile .v,.src,.note{unicode-bidi:isolate}\n"
    "th{background:#f8fafc;font-weight:600}\n"
    ".n{text-align:right;white-space:nowrap}\n"
    ".d{white-space:nowrap}\n"
    ".hot{background:#fee2e2;color:#991b1b;font-weight:600}\n"
    ".heat{width:auto}\n"
    ".heat th{vertical-align:middle}\n"
    ".heat td{min-width:90px;font-weight:600;padding:8px 10px}\n"
    ".heat td.tot{background:#f8fafc;color:var(--ink)}\n"
    ".legend .sw{display:inline-block;width:14px;height:10px;margin:0 4px 0 10px;"
    "vertical-align:middle}\n"
    ".swl{background:#2563eb}.swb{background:#cbd5e1}\n"
    "details summary{cursor:pointer;color:#1d4ed8;font-size:12px;margin:4px 0}\n"
    ".cols{display:grid;grid-template-columns:1fr 1fr;gap:18px}\n"
    "code{font-size:12px}\n"
    "footer{max-width:1240px;margin:0 auto;padding:0 12px 24px;color:var(--mute);font-size:12px}\n"
    "@media print{body{background:#fff;font-size:12px}nav,details{display:none}"
    "header{background:#fff;color:#000;padding:0 0 8px}header p{color:#333}"
    "main{max-width:none;padding:0}section{border-color:#cbd5e1;break-inside:avoid;"
    "page-break-inside:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

static const struct {
    const char *id, *name;
} nav[] = {
    {"kpis", "Key figures"},
    {"weekly-trend", "Weekly trend"},
    {"monthly-trend", "Monthly trend"},
    {"severity-heatmap", "Severity &#215; priority"},
    {"cost-drivers", "Cost drivers"},
    {"root-causes", "Root causes"},
    {"refund-trend", "Refunds"},
    {"top-cases", "Top cases"},
    {"tiers", "Tiers"},
    {"customers", "Customers"},
    {"teams", "Teams"},
    {"data-quality", "Data quality"},
    {"weights", "Weights"},
};

static void page_head(page *pg)
{
    ofi_outbuf *b = pg->b;
    ofi_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>OFI dashboard</title>\n<style>\n");
    ofi_puts(b, css);
    ofi_puts(b, "</style>\n</head>\n<body>\n<header>\n<h1>Operational Friction Index "
                "&#8212; dashboard</h1>\n<p>ofi " OFI_VERSION " &#183; source <b>");
    esc(b, pg->in->source);
    ofi_puts(b, "</b> &#183; weights variant <b>");
    esc(b, pg->in->v->name);
    ofi_puts(b, "</b> &#183; ");
    esc(b, metric(&pg->kpi, "cases"));
    ofi_puts(b, " cases</p>\n</header>\n<nav>");
    for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++) {
        ofi_puts(b, "<a href=\"#");
        ofi_puts(b, nav[i].id);
        ofi_puts(b, "\">");
        ofi_puts(b, nav[i].name);
        ofi_puts(b, "</a>");
    }
    ofi_puts(b, "</nav>\n<main>\n");
}

static void page_foot(ofi_outbuf *b)
{
    ofi_puts(b, "</main>\n<footer>Written by <code>ofi run</code>. Every number is the text "
                "of the file named under its section (outputs/ofi/, dq/, fk/, reports/), "
                "except the heat map's sums of case_count, the rejected rows per table and "
                "the tier thresholds, which come from the same run. The page is "
                "self-contained: no script, no font, no link outside it.</footer>\n"
                "</body>\n</html>\n");
}

ofi_status ofi_dashboard_write(ofi_ctx *ctx, ofi_outset *set, const ofi_report_in *in)
{
    ofi_outbuf b = {0};
    page pg;
    memset(&pg, 0, sizeof pg);
    pg.ctx = ctx;
    pg.set = set;
    pg.in = in;
    pg.b = &b;
    ofi_status st = OFI_OK;
    OFI_CHECK(tab_read(ctx, set, "ofi/kpi_summary.csv", MAX_ROWS, &pg.kpi));
    OFI_CHECK(tab_read(ctx, set, "reports/ofi_summary.csv", MAX_ROWS, &pg.summary));
    page_head(&pg);
    sec_kpis(&pg);
    OFI_CHECK(sec_trend(&pg, 1));
    OFI_CHECK(sec_trend(&pg, 0));
    OFI_CHECK(sec_heatmap(&pg));
    OFI_CHECK(sec_drivers(&pg));
    OFI_CHECK(sec_roots(&pg));
    OFI_CHECK(sec_refunds(&pg));
    OFI_CHECK(sec_top(&pg));
    sec_tiers(&pg);
    OFI_CHECK(sec_customers(&pg));
    OFI_CHECK(sec_teams(&pg));
    OFI_CHECK(sec_dq(&pg));
    sec_weights(&pg);
    page_foot(&b);
    OFI_CHECK(ofi_outset_put(ctx, set, "reports/dashboard.html", &b));
cleanup:
    tab_free(&pg.kpi);
    tab_free(&pg.summary);
    ofi_outbuf_free(&b);
    return st;
}
