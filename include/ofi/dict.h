/* dict.h - dictionary encoding of low-cardinality text columns.
 *
 * Each distinct string gets a code 1, 2, ... in order of first appearance; code 0 is
 * NULL. Strings live in one growing byte arena; a small open-addressing table maps
 * strings to codes.
 *
 * Ownership: the dict owns its memory; ofi_dict_free accepts a zeroed dict.
 * Thread safety: none; parallel parsers keep one dict per thread and merge them in order.
 */
#ifndef OFI_DICT_H
#define OFI_DICT_H

#include "ofi/ofi.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ofi_dict {
    char *bytes;       /* arena of all strings, back to back */
    size_t n_bytes, cap_bytes;
    uint64_t *offs;    /* offs[code] = start in bytes; offs[n] = n_bytes; offs[0] = 0 */
    uint32_t n;        /* number of codes, NULL included (so n >= 1 once used) */
    uint32_t cap_offs;
    uint32_t *slots;   /* hash table of codes, 0 = empty */
    uint32_t cap_slots;
} ofi_dict;

void ofi_dict_free(ofi_dict *d);

/* The code of s[0..len), adding it when new. @return the code, or 0 on out of memory
 * (a real string never has code 0). */
uint32_t ofi_dict_intern(ofi_dict *d, const char *s, size_t len);

/* ofi_dict_intern when the caller already holds hash = XXH3_64bits(s, len) (the loader
 * computes it for the row's fingerprint): the same result, one hash fewer.
 * @pre hash is exactly that value. */
uint32_t ofi_dict_intern_hashed(ofi_dict *d, const char *s, size_t len, uint64_t hash);

/* Number of codes including NULL's 0 (0 for a dict never used). */
static inline uint32_t ofi_dict_size(const ofi_dict *d)
{
    return d->n == 0 ? 1 : d->n;
}

/* The string of a code (not NUL-terminated). @pre 0 < code < size. */
static inline const char *ofi_dict_str(const ofi_dict *d, uint32_t code, size_t *len)
{
    *len = (size_t)(d->offs[code + 1] - d->offs[code]);
    return d->bytes + d->offs[code];
}

#endif
