/* idmap.c - partitioned id index: dense pages of fingerprints, or a hash table when sparse.
 *
 * A page is one allocation: fp[4096] (fp 0 marks an absent id), or in a keys-only map a
 * bitmap of 4096 bits in the same words; with values, val[4096] beside it. The page
 * directory is a tiny linear-probing table keyed by page number. A partition turns hashed
 * the first time a new page would leave its pages less than 1/16 full (counted over all
 * its pages); it converts every id it holds and never goes back.
 */
#include "ofi/idmap.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdlib.h>
#include <string.h>

struct ofi_idpage {
    int64_t no;
    uint32_t *val; /* NULL without values */
    uint32_t fp[]; /* OFI_ID_PAGE fingerprints, or OFI_ID_PAGE bits (keys only) */
};

static size_t page_bytes(const ofi_idmap *m)
{
    return sizeof(ofi_idpage) + (m->keys_only ? OFI_ID_PAGE / 8 : OFI_ID_PAGE * sizeof(uint32_t));
}

static inline int page_has(const ofi_idmap *m, const ofi_idpage *pg, uint32_t k)
{
    return m->keys_only ? (int)((pg->fp[k >> 5] >> (k & 31)) & 1u) : pg->fp[k] != 0;
}

uint64_t ofi_id_hash(int64_t key)
{
    const int64_t page = key >> OFI_ID_PAGE_BITS;
    return XXH3_64bits(&page, sizeof page);
}

static uint64_t key_hash(int64_t key)
{
    return XXH3_64bits(&key, sizeof key);
}

/* Slot hash for the page directory: any mix of the page number will do. */
static uint64_t page_slot(int64_t no)
{
    uint64_t x = (uint64_t)no;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

ofi_status ofi_idmap_init(ofi_idmap *m, int n_parts, int with_val)
{
    memset(m, 0, sizeof *m);
    int bits = 0;
    while ((1 << bits) < n_parts)
        bits++;
    m->with_val = with_val;
    m->part_bits = bits;
    m->parts = calloc((size_t)1 << bits, sizeof *m->parts);
    return m->parts ? OFI_OK : OFI_E_NOMEM;
}

void ofi_idmap_set_keys_only(ofi_idmap *m)
{
    m->keys_only = 1;
}

static void free_pages(ofi_idpart *p)
{
    for (size_t i = 0; i < p->dir_cap; i++)
        if (p->dir[i]) {
            free(p->dir[i]->val);
            free(p->dir[i]);
        }
    free(p->dir_no);
    free(p->dir);
    p->dir_no = NULL;
    p->dir = NULL;
    p->dir_cap = p->n_pages = 0;
    p->last = NULL;
}

void ofi_idmap_free(ofi_idmap *m)
{
    if (m == NULL || m->parts == NULL)
        return;
    for (int i = 0; i < ofi_idmap_n_parts(m); i++) {
        ofi_idpart *p = &m->parts[i];
        free_pages(p);
        free(p->keys);
        free(p->fps);
        free(p->vals);
    }
    free(m->parts);
    m->parts = NULL;
}

/* ---- paged ----------------------------------------------------------------------------- */

static ofi_idpage *page_find(const ofi_idpart *p, int64_t no)
{
    if (p->dir_cap == 0)
        return NULL;
    const size_t mask = p->dir_cap - 1;
    for (size_t i = page_slot(no) & mask;; i = (i + 1) & mask) {
        if (p->dir[i] == NULL)
            return NULL;
        if (p->dir_no[i] == no)
            return p->dir[i];
    }
}

static int dir_put(int64_t *dir_no, ofi_idpage **dir, size_t cap, ofi_idpage *pg)
{
    const size_t mask = cap - 1;
    size_t i = page_slot(pg->no) & mask;
    while (dir[i] != NULL)
        i = (i + 1) & mask;
    dir_no[i] = pg->no;
    dir[i] = pg;
    return 1;
}

static ofi_idpage *page_add(const ofi_idmap *m, ofi_idpart *p, int64_t no)
{
    if ((p->n_pages + 1) * 10 >= p->dir_cap * 7) {
        size_t cap = p->dir_cap ? p->dir_cap * 2 : 16;
        int64_t *nn = malloc(cap * sizeof *nn);
        ofi_idpage **nd = calloc(cap, sizeof *nd);
        if (!nn || !nd) {
            free(nn);
            free(nd);
            return NULL;
        }
        for (size_t i = 0; i < p->dir_cap; i++)
            if (p->dir[i])
                dir_put(nn, nd, cap, p->dir[i]);
        free(p->dir_no);
        free(p->dir);
        p->dir_no = nn;
        p->dir = nd;
        p->dir_cap = cap;
    }
    ofi_idpage *pg = calloc(1, page_bytes(m));
    if (pg == NULL)
        return NULL;
    pg->no = no;
    if (m->with_val && (pg->val = malloc(OFI_ID_PAGE * sizeof *pg->val)) == NULL) {
        free(pg);
        return NULL;
    }
    dir_put(p->dir_no, p->dir, p->dir_cap, pg);
    p->n_pages++;
    return pg;
}

/* ---- hashed ---------------------------------------------------------------------------- */

static size_t hslot(const ofi_idpart *p, int64_t key, int *found)
{
    const size_t mask = p->cap - 1;
    for (size_t i = (size_t)key_hash(key) & mask;; i = (i + 1) & mask) {
        if (p->keys[i] == key) {
            *found = 1;
            return i;
        }
        if (p->keys[i] == OFI_NULL_I64) {
            *found = 0;
            return i;
        }
    }
}

/* Grow (or create) the hash table to hold want ids. @return 0 when out of memory. */
static int hash_grow(const ofi_idmap *m, ofi_idpart *p, size_t want)
{
    size_t cap = p->cap ? p->cap : 64;
    while (want * 10 >= cap * 7)
        cap *= 2;
    if (cap == p->cap)
        return 1;
    ofi_idpart q = *p;
    q.cap = cap;
    q.keys = malloc(cap * sizeof *q.keys);
    q.fps = m->keys_only ? NULL : malloc(cap * sizeof *q.fps);
    q.vals = m->with_val ? malloc(cap * sizeof *q.vals) : NULL;
    if (!q.keys || (!m->keys_only && !q.fps) || (m->with_val && !q.vals)) {
        free(q.keys);
        free(q.fps);
        free(q.vals);
        return 0;
    }
    for (size_t i = 0; i < cap; i++)
        q.keys[i] = OFI_NULL_I64;
    for (size_t i = 0; i < p->cap; i++) {
        if (p->keys[i] == OFI_NULL_I64)
            continue;
        int found;
        size_t s = hslot(&q, p->keys[i], &found);
        q.keys[s] = p->keys[i];
        if (q.fps)
            q.fps[s] = p->fps[i];
        if (q.vals)
            q.vals[s] = p->vals[i];
    }
    free(p->keys);
    free(p->fps);
    free(p->vals);
    p->keys = q.keys;
    p->fps = q.fps;
    p->vals = q.vals;
    p->cap = cap;
    return 1;
}

/* Move every paged id into a hash table. @return 0 when out of memory (still paged). */
static int to_hashed(const ofi_idmap *m, ofi_idpart *p)
{
    if (!hash_grow(m, p, p->n * 2 + 64))
        return 0;
    for (size_t d = 0; d < p->dir_cap; d++) {
        const ofi_idpage *pg = p->dir[d];
        if (pg == NULL)
            continue;
        for (uint32_t k = 0; k < OFI_ID_PAGE; k++) {
            if (!page_has(m, pg, k))
                continue;
            const int64_t key = (int64_t)((uint64_t)pg->no << OFI_ID_PAGE_BITS) + k;
            int found;
            size_t s = hslot(p, key, &found);
            p->keys[s] = key;
            if (p->fps)
                p->fps[s] = pg->fp[k];
            if (p->vals)
                p->vals[s] = pg->val[k];
        }
    }
    free_pages(p);
    p->hashed = 1;
    return 1;
}

/* ---- API ------------------------------------------------------------------------------- */

int ofi_idpart_insert(const ofi_idmap *m, ofi_idpart *p, int64_t key, uint32_t fp, uint32_t **fpp,
                      uint32_t **valp)
{
    if (fp == 0)
        fp = 1;
    if (!p->hashed) {
        const int64_t no = key >> OFI_ID_PAGE_BITS;
        const uint32_t k = (uint32_t)(key & (OFI_ID_PAGE - 1));
        ofi_idpage *pg = p->last != NULL && p->last->no == no ? p->last : page_find(p, no);
        if (pg == NULL) {
            /* A new page: stay paged only while pages are at least 1/16 full. */
            const size_t slots = (p->n_pages + 1) * (size_t)OFI_ID_PAGE;
            if (slots > 16 * (p->n + 1) + 8 * (size_t)OFI_ID_PAGE) {
                if (!to_hashed(m, p))
                    return -1;
                return ofi_idpart_insert(m, p, key, fp, fpp, valp);
            }
            if ((pg = page_add(m, p, no)) == NULL)
                return -1;
        }
        p->last = pg;
        *valp = pg->val ? &pg->val[k] : NULL;
        if (m->keys_only) {
            uint32_t *w = &pg->fp[k >> 5];
            const uint32_t bit = UINT32_C(1) << (k & 31);
            *fpp = NULL;
            if (*w & bit)
                return 0;
            *w |= bit;
            p->n++;
            return 1;
        }
        *fpp = &pg->fp[k];
        if (pg->fp[k] != 0)
            return 0;
        pg->fp[k] = fp;
        p->n++;
        return 1;
    }
    if ((p->n + 1) * 10 >= p->cap * 7 && !hash_grow(m, p, p->n + 1))
        return -1;
    int found;
    size_t s = hslot(p, key, &found);
    *fpp = p->fps ? &p->fps[s] : NULL;
    *valp = p->vals ? &p->vals[s] : NULL;
    if (found)
        return 0;
    p->keys[s] = key;
    if (p->fps)
        p->fps[s] = fp;
    p->n++;
    return 1;
}

int ofi_idpart_get(const ofi_idmap *m, const ofi_idpart *p, int64_t key, uint32_t *valp)
{
    if (!p->hashed) {
        const ofi_idpage *pg = page_find(p, key >> OFI_ID_PAGE_BITS);
        const uint32_t k = (uint32_t)(key & (OFI_ID_PAGE - 1));
        if (pg == NULL || !page_has(m, pg, k))
            return 0;
        if (valp && pg->val)
            *valp = pg->val[k];
        return 1;
    }
    if (p->cap == 0)
        return 0;
    int found;
    size_t s = hslot(p, key, &found);
    if (found && valp && p->vals)
        *valp = p->vals[s];
    return found;
}

void ofi_idmap_prefetch(const ofi_idmap *m, int64_t key)
{
    if (key == OFI_NULL_I64)
        return;
    const ofi_idpart *p = &m->parts[ofi_idmap_part_of(m, ofi_id_hash(key))];
    if (!p->hashed) {
        const ofi_idpage *pg = page_find(p, key >> OFI_ID_PAGE_BITS);
        if (pg == NULL)
            return;
        const uint32_t k = (uint32_t)(key & (OFI_ID_PAGE - 1));
        __builtin_prefetch(&pg->fp[m->keys_only ? k >> 5 : k]);
        if (pg->val)
            __builtin_prefetch(&pg->val[k]);
    } else if (p->cap) {
        const size_t i = (size_t)key_hash(key) & (p->cap - 1);
        __builtin_prefetch(&p->keys[i]);
        if (p->vals)
            __builtin_prefetch(&p->vals[i]);
    }
}

int ofi_idmap_get(const ofi_idmap *m, int64_t key, uint32_t *valp)
{
    const int part = ofi_idmap_part_of(m, ofi_id_hash(key));
    return ofi_idpart_get(m, &m->parts[part], key, valp);
}

size_t ofi_idmap_size(const ofi_idmap *m)
{
    size_t n = 0;
    for (int i = 0; i < ofi_idmap_n_parts(m); i++)
        n += m->parts[i].n;
    return n;
}

size_t ofi_idmap_bytes(const ofi_idmap *m)
{
    size_t b = 0;
    for (int i = 0; i < ofi_idmap_n_parts(m); i++) {
        const ofi_idpart *p = &m->parts[i];
        b += p->n_pages * (page_bytes(m) + (m->with_val ? OFI_ID_PAGE * 4 : 0));
        b += p->dir_cap * (sizeof(int64_t) + sizeof(void *));
        b += p->cap * (8 + (m->keys_only ? 0 : 4) + (m->with_val ? 4 : 0));
    }
    return b;
}
