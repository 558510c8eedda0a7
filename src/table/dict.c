/* dict.c - string dictionary: byte arena + offsets + linear-probing table of codes.
 *
 * offs has n + 1 entries so that a code's length is offs[code + 1] - offs[code]; code 0
 * (NULL) has the empty range [0, 0).
 */
#include "ofi/dict.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdlib.h>
#include <string.h>

void ofi_dict_free(ofi_dict *d)
{
    if (d == NULL)
        return;
    free(d->bytes);
    free(d->offs);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

static int dict_start(ofi_dict *d)
{
    d->cap_offs = 16;
    d->offs = malloc(d->cap_offs * sizeof *d->offs);
    d->cap_slots = 32;
    d->slots = calloc(d->cap_slots, sizeof *d->slots);
    if (!d->offs || !d->slots)
        return 0;
    d->offs[0] = 0;
    d->offs[1] = 0;
    d->n = 1;
    return 1;
}

static int rehash(ofi_dict *d)
{
    uint32_t cap = d->cap_slots * 2;
    uint32_t *s = calloc(cap, sizeof *s);
    if (s == NULL)
        return 0;
    for (uint32_t c = 1; c < d->n; c++) {
        size_t len;
        const char *str = ofi_dict_str(d, c, &len);
        uint32_t i = (uint32_t)XXH3_64bits(str, len) & (cap - 1);
        while (s[i] != 0)
            i = (i + 1) & (cap - 1);
        s[i] = c;
    }
    free(d->slots);
    d->slots = s;
    d->cap_slots = cap;
    return 1;
}

uint32_t ofi_dict_intern(ofi_dict *d, const char *str, size_t len)
{
    return ofi_dict_intern_hashed(d, str, len, XXH3_64bits(str, len));
}

uint32_t ofi_dict_intern_hashed(ofi_dict *d, const char *str, size_t len, uint64_t hash)
{
    if (d->n == 0 && !dict_start(d))
        return 0;
    const uint32_t mask = d->cap_slots - 1;
    uint32_t i = (uint32_t)hash & mask;
    for (; d->slots[i] != 0; i = (i + 1) & mask) {
        size_t l;
        const char *s = ofi_dict_str(d, d->slots[i], &l);
        if (l == len && memcmp(s, str, len) == 0)
            return d->slots[i];
    }
    /* New string: append to the arena, then register the code. */
    if (d->n_bytes + len > d->cap_bytes) {
        size_t cap = d->cap_bytes ? d->cap_bytes * 2 : 256;
        while (cap < d->n_bytes + len)
            cap *= 2;
        char *b = realloc(d->bytes, cap);
        if (b == NULL)
            return 0;
        d->bytes = b;
        d->cap_bytes = cap;
    }
    if (d->n + 1 >= d->cap_offs) {
        uint64_t *o = realloc(d->offs, (size_t)d->cap_offs * 2 * sizeof *o);
        if (o == NULL)
            return 0;
        d->offs = o;
        d->cap_offs *= 2;
    }
    if (len)
        memcpy(d->bytes + d->n_bytes, str, len);
    d->n_bytes += len;
    uint32_t code = d->n++;
    d->offs[code + 1] = d->n_bytes;
    d->slots[i] = code;
    if ((uint64_t)d->n * 10 >= (uint64_t)d->cap_slots * 7 && !rehash(d)) {
        d->n--; /* keep the dict consistent: forget the new code */
        d->n_bytes -= len;
        d->slots[i] = 0;
        return 0;
    }
    return code;
}
