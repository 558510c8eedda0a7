/* weights.c - the INI weights file: [variant NAME] sections of key = value lines.
 *
 * Grammar: '#' or ';' starts a comment (anywhere on a line); keys and on/off are
 * case-insensitive; a value is a number or a/b (spaces around '/' allowed). A key left
 * out keeps its default; a repeated key takes its last value. Errors: an unknown key or
 * section, a bad number, b <= 0, a negative weight, a duplicate variant name, a key
 * outside any section, a file without variants.
 */
#include "ofi/weights.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const keys[OFI_W_N] = {
    "priority.low", "priority.medium", "priority.high", "escalation", "reopen", "refund_flag",
    "delay",        "resolution",      "refund",        "touch",      "issue",
};

static const struct {
    double points, per;
    const char *text;
} defaults[OFI_W_N] = {
    {1, 1, "1"},   {2, 1, "2"},     {3, 1, "3"},    {2, 1, "2"},       {1.5, 1, "1.5"}, {0, 1, "0"},
    {1, 60, "1/60"}, {1, 120, "1/120"}, {1, 20, "1/20"}, {0.5, 1, "0.5/1"}, {0, 1, "0"},
};

const char *ofi_weight_key(int w)
{
    return keys[w];
}

void ofi_variant_default(ofi_variant *v, const char *name)
{
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    for (int i = 0; i < OFI_W_N; i++) {
        v->w[i].points = defaults[i].points;
        v->w[i].per = defaults[i].per;
        snprintf(v->w[i].text, sizeof v->w[i].text, "%s", defaults[i].text);
    }
}

ofi_status ofi_weights_default(ofi_weights *out)
{
    out->v = malloc(sizeof *out->v);
    if (out->v == NULL)
        return OFI_E_NOMEM;
    out->n = 1;
    ofi_variant_default(&out->v[0], "default");
    return OFI_OK;
}

void ofi_weights_free(ofi_weights *w)
{
    if (w == NULL)
        return;
    free(w->v);
    w->v = NULL;
    w->n = 0;
}

int ofi_weights_find(const ofi_weights *w, const char *name)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->v[i].name, name) == 0)
            return i;
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* A plain decimal number: digits with an optional '.', an optional exponent. */
static int number(const char *s, double *out)
{
    const char *p = s;
    int digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    while (isdigit((unsigned char)*p))
        p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++, digits++;
    }
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p != '\0')
        return 0;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

ofi_status ofi_weights_parse(ofi_ctx *ctx, const char *path, const char *text, size_t len,
                             ofi_weights *out)
{
    ofi_weights w = {0, NULL};
    int cap = 0;
    ofi_variant *cur = NULL;
    ofi_status st = OFI_OK;
    char line[1024];
    size_t pos = 0;
    int lineno = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* a UTF-8 BOM, as Windows editors write */
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        lineno++;
        size_t n = e - pos < sizeof line - 1 ? e - pos : sizeof line - 1;
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = e + 1;
        char *c = strpbrk(line, "#;");
        if (c)
            *c = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        if (*s == '[') {
            size_t sl = strlen(s);
            if (s[sl - 1] != ']') {
                st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: bad section header \"%s\"", path, lineno, s);
                goto cleanup;
            }
            s[sl - 1] = '\0';
            char *inner = trim(s + 1);
            if (strncasecmp(inner, "variant", 7) != 0 || (inner[7] != ' ' && inner[7] != '\t')) {
                st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: unknown section [%s] (expected [variant NAME])",
                              path, lineno, inner);
                goto cleanup;
            }
            char *name = trim(inner + 7);
            if (*name == '\0' || strlen(name) >= sizeof cur->name) {
                st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: variant name missing or too long", path,
                              lineno);
                goto cleanup;
            }
            if (ofi_weights_find(&w, name) >= 0) {
                st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: variant %s: duplicate variant name", path,
                              lineno, name);
                goto cleanup;
            }
            if (w.n == cap) {
                cap = cap ? cap * 2 : 8;
                ofi_variant *v = realloc(w.v, (size_t)cap * sizeof *v);
                if (v == NULL) {
                    st = ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
                    goto cleanup;
                }
                w.v = v;
            }
            cur = &w.v[w.n++];
            ofi_variant_default(cur, name);
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: expected key = value, found \"%s\"", path,
                          lineno, s);
            goto cleanup;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (cur == NULL) {
            st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: key %s: outside any [variant NAME] section",
                          path, lineno, key);
            goto cleanup;
        }
        if (strcasecmp(key, "severity_multiplier") == 0 ||
            strcasecmp(key, "segment_multiplier") == 0) {
            int on;
            if (strcasecmp(val, "on") == 0)
                on = 1;
            else if (strcasecmp(val, "off") == 0)
                on = 0;
            else {
                st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: key %s: expected on or off, found \"%s\"",
                              path, lineno, key, val);
                goto cleanup;
            }
            if (tolower((unsigned char)key[1]) == 'e' && tolower((unsigned char)key[2]) == 'v')
                cur->severity_multiplier = on;
            else
                cur->segment_multiplier = on;
            continue;
        }
        int k = -1;
        for (int i = 0; i < OFI_W_N && k < 0; i++)
            if (strcasecmp(key, keys[i]) == 0)
                k = i;
        if (k < 0) {
            st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: key %s: unknown key", path, lineno, key);
            goto cleanup;
        }
        double a, b = 1;
        char num[256];
        snprintf(num, sizeof num, "%s", val);
        char *slash = strchr(num, '/');
        if (slash)
            *slash = '\0';
        if (!number(trim(num), &a) || (slash && !number(trim(slash + 1), &b))) {
            st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: key %s: bad number \"%s\"", path, lineno, key,
                          val);
            goto cleanup;
        }
        if (b <= 0) {
            st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: key %s: denominator must be > 0 in \"%s\"", path,
                          lineno, key, val);
            goto cleanup;
        }
        if (a < 0) {
            st = ofi_fail(ctx, OFI_E_USAGE, "%s:%d: key %s: negative weight \"%s\"", path, lineno,
                          key, val);
            goto cleanup;
        }
        cur->w[k].points = a == 0 ? 0.0 : a; /* "-0" is 0 */
        cur->w[k].per = b;
        snprintf(cur->w[k].text, sizeof cur->w[k].text, "%s", val);
    }
    if (w.n == 0) {
        st = ofi_fail(ctx, OFI_E_USAGE, "%s: no [variant NAME] section", path);
        goto cleanup;
    }
    *out = w;
    return OFI_OK;
cleanup:
    ofi_weights_free(&w);
    return st;
}

ofi_status ofi_weights_load(ofi_ctx *ctx, const char *path, ofi_weights *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ofi_fail(ctx, OFI_E_USAGE, "%s: cannot open weights file: %s", path,
                        strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            char *b = realloc(buf, cap);
            if (b == NULL) {
                free(buf);
                fclose(f);
                return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
            }
            buf = b;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ofi_fail(ctx, OFI_E_USAGE, "%s: cannot read weights file", path);
    }
    ofi_status st = ofi_weights_parse(ctx, path, buf, len, out);
    free(buf);
    return st;
}
