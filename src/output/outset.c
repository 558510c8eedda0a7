/* outset.c - temporary output files, hashed as written, renamed into place at the end.
 */
#include "ofi/outset.h"

#include <xxhash.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p for the directory part of path (or all of it when whole is set). */
static int mkdirs(const char *path, int whole)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    if (!whole) {
        char *slash = strrchr(buf, '/');
        if (slash == NULL)
            return 0;
        *slash = '\0';
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

ofi_status ofi_outset_init(ofi_ctx *ctx, ofi_outset *set, const char *root)
{
    memset(set, 0, sizeof *set);
    set->root = strdup(root);
    if (set->root == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    if (mkdirs(root, 1) != 0)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot create output directory: %s", root,
                        strerror(errno));
    return OFI_OK;
}

ofi_status ofi_outset_open(ofi_ctx *ctx, ofi_outset *set, const char *rel, ofi_outstream *s)
{
    memset(s, 0, sizeof *s);
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 32;
        ofi_outfile *f = realloc(set->f, cap * sizeof *f);
        if (f == NULL)
            return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
        set->f = f;
        set->cap = cap;
    }
    ofi_outfile *o = &set->f[set->n];
    memset(o, 0, sizeof *o);
    size_t rl = strlen(set->root) + strlen(rel) + 16;
    o->rel = strdup(rel);
    o->path = malloc(rl);
    o->tmp = malloc(rl);
    if (!o->rel || !o->path || !o->tmp) {
        free(o->rel);
        free(o->path);
        free(o->tmp);
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    }
    snprintf(o->path, rl, "%s/%s", set->root, rel);
    const char *base = strrchr(rel, '/');
    snprintf(o->tmp, rl, "%s/%.*s.%s.tmp", set->root, base ? (int)(base - rel + 1) : 0, rel,
             base ? base + 1 : rel);
    s->idx = set->n++;
    if (mkdirs(o->path, 0) != 0)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot create directory: %s", o->path,
                        strerror(errno));
    s->fp = fopen(o->tmp, "wb");
    if (s->fp == NULL)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot write: %s", o->tmp, strerror(errno));
    XXH64_state_t *h = XXH64_createState();
    if (h == NULL)
        return ofi_fail(ctx, OFI_E_NOMEM, "out of memory");
    XXH64_reset(h, 0);
    s->hash = h;
    return OFI_OK;
}

ofi_status ofi_outstream_write(ofi_ctx *ctx, ofi_outset *set, ofi_outstream *s, const void *p,
                               size_t n)
{
    ofi_outfile *o = &set->f[s->idx];
    if (n == 0)
        return OFI_OK;
    if (fwrite(p, 1, n, s->fp) != n)
        return ofi_fail(ctx, OFI_E_OUTPUT, "%s: write error: %s", o->tmp, strerror(errno));
    XXH64_update(s->hash, p, n);
    o->size += n;
    return OFI_OK;
}

ofi_status ofi_outset_close(ofi_ctx *ctx, ofi_outset *set, ofi_outstream *s)
{
    ofi_status st = OFI_OK;
    if (s->fp == NULL)
        return OFI_OK;
    ofi_outfile *o = &set->f[s->idx];
    if (fflush(s->fp) != 0 || ferror(s->fp))
        st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: write error: %s", o->tmp, strerror(errno));
    if (fclose(s->fp) != 0 && st == OFI_OK)
        st = ofi_fail(ctx, OFI_E_OUTPUT, "%s: close error: %s", o->tmp, strerror(errno));
    s->fp = NULL;
    if (s->hash) {
        o->xxh64 = XXH64_digest(s->hash);
        XXH64_freeState(s->hash);
        s->hash = NULL;
    }
    return st;
}

ofi_status ofi_outset_put(ofi_ctx *ctx, ofi_outset *set, const char *rel, const ofi_outbuf *b)
{
    if (ofi_outbuf_failed(b))
        return ofi_fail(ctx, OFI_E_NOMEM, "%s: out of memory while formatting", rel);
    ofi_outstream s;
    ofi_status st = ofi_outset_open(ctx, set, rel, &s);
    if (st == OFI_OK)
        st = ofi_outstream_write(ctx, set, &s, b->p, b->len);
    ofi_status st2 = ofi_outset_close(ctx, set, &s);
    return st != OFI_OK ? st : st2;
}

const char *ofi_outset_tmp(const ofi_outset *set, const char *rel)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->f[i].rel, rel) == 0)
            return set->f[i].tmp;
    return NULL;
}

ofi_status ofi_outset_commit(ofi_ctx *ctx, ofi_outset *set)
{
    for (size_t i = 0; i < set->n; i++)
        if (rename(set->f[i].tmp, set->f[i].path) != 0)
            return ofi_fail(ctx, OFI_E_OUTPUT, "%s: cannot rename into place: %s", set->f[i].path,
                            strerror(errno));
    return OFI_OK;
}

void ofi_outset_abort(ofi_outset *set)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->f[i].tmp)
            unlink(set->f[i].tmp);
}

void ofi_outset_free(ofi_outset *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++) {
        free(set->f[i].rel);
        free(set->f[i].path);
        free(set->f[i].tmp);
    }
    free(set->f);
    free(set->root);
    memset(set, 0, sizeof *set);
}
