/* idmap.c - partitioned open-addressing id index with linear probing.
 *
 * Layout per partition: parallel arrays keys[cap] (+ fps[cap], vals[cap]); the slot of a
 * key starts at the low bits of its hash (the top bits chose the partition, so the two
 * never correlate). Load stays under 70%: reserve() grows before inserts, so inserts
 * never allocate and can run inside parallel regions.
 */
#include "ofi/idmap.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdlib.h>
#include <string.h>

uint64_t ofi_id_hash(int64_t key)
{
    return XXH3_64bits(&key, sizeof key);
}

ofi_status ofi_idmap_init(ofi_idmap *m, int n_parts, int flags)
{
    memset(m, 0, sizeof *m);
    int bits = 0;
    while ((1 << bits) < n_parts)
        bits++;
    m->flags = flags;
    m->part_bits = bits;
    m->parts = calloc((size_t)1 << bits, sizeof *m->parts);
    return m->parts ? OFI_OK : OFI_E_NOMEM;
}

static void part_free(ofi_idpart *p)
{
    free(p->keys);
    free(p->fps);
    free(p->vals);
    memset(p, 0, sizeof *p);
}

void ofi_idmap_free(ofi_idmap *m)
{
    if (m == NULL || m->parts == NULL)
        return;
    for (int i = 0; i < ofi_idmap_n_parts(m); i++)
        part_free(&m->parts[i]);
    free(m->parts);
    m->parts = NULL;
}

size_t ofi_idpart_find(const ofi_idpart *p, int64_t key, uint64_t h)
{
    if (p->cap == 0)
        return SIZE_MAX;
    const size_t mask = p->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (p->keys[i] == key)
            return i;
        if (p->keys[i] == OFI_NULL_I64)
            return SIZE_MAX;
    }
}

size_t ofi_idpart_upsert(ofi_idpart *p, int64_t key, uint64_t h, int *found)
{
    const size_t mask = p->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (p->keys[i] == key) {
            *found = 1;
            return i;
        }
        if (p->keys[i] == OFI_NULL_I64) {
            p->keys[i] = key;
            p->n++;
            *found = 0;
            return i;
        }
    }
}

/* Rehash p into a table of new_cap slots. */
static ofi_status part_grow(ofi_idpart *p, size_t new_cap, int flags)
{
    ofi_idpart q = {0};
    q.cap = new_cap;
    q.keys = malloc(new_cap * sizeof *q.keys);
    if (flags & OFI_IDMAP_FP)
        q.fps = malloc(new_cap * sizeof *q.fps);
    if (flags & OFI_IDMAP_VAL)
        q.vals = malloc(new_cap * sizeof *q.vals);
    if (!q.keys || ((flags & OFI_IDMAP_FP) && !q.fps) || ((flags & OFI_IDMAP_VAL) && !q.vals)) {
        part_free(&q);
        return OFI_E_NOMEM;
    }
    for (size_t i = 0; i < new_cap; i++)
        q.keys[i] = OFI_NULL_I64;
    for (size_t i = 0; i < p->cap; i++) {
        if (p->keys[i] == OFI_NULL_I64)
            continue;
        int found;
        size_t s = ofi_idpart_upsert(&q, p->keys[i], ofi_id_hash(p->keys[i]), &found);
        if (q.fps)
            q.fps[s] = p->fps[i];
        if (q.vals)
            q.vals[s] = p->vals[i];
    }
    part_free(p);
    *p = q;
    return OFI_OK;
}

ofi_status ofi_idmap_reserve(ofi_idmap *m, const size_t *add)
{
    for (int i = 0; i < ofi_idmap_n_parts(m); i++) {
        ofi_idpart *p = &m->parts[i];
        size_t want = p->n + add[i];
        if (want == 0 || want * 10 < p->cap * 7)
            continue;
        size_t cap = p->cap ? p->cap : 16;
        while (want * 10 >= cap * 7)
            cap *= 2;
        OFI_TRY(part_grow(p, cap, m->flags));
    }
    return OFI_OK;
}

size_t ofi_idmap_size(const ofi_idmap *m)
{
    size_t n = 0;
    for (int i = 0; i < ofi_idmap_n_parts(m); i++)
        n += m->parts[i].n;
    return n;
}

size_t ofi_idmap_find(const ofi_idmap *m, int64_t key, int *part)
{
    uint64_t h = ofi_id_hash(key);
    int p = ofi_idmap_part_of(m, h);
    *part = p;
    return ofi_idpart_find(&m->parts[p], key, h);
}
