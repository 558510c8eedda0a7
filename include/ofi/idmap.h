/* idmap.h - a partitioned open-addressing index of 64-bit ids (XXH3-hashed).
 *
 * The index is split into n_parts independent tables by the top bits of each key's
 * hash. A parallel loop gives each thread one partition; each thread then visits the
 * rows of a batch in source order and touches only keys of its own partition. So there
 * are no atomics, "the first row wins" keeps its sequential meaning, and the result does
 * not depend on the number of threads (only the memory layout does).
 *
 * Each slot holds a key, and optionally a 64-bit row fingerprint (to tell full-row
 * duplicates) and a 32-bit value (a row number). OFI_NULL_I64 marks an empty slot and is
 * never a key.
 *
 * Ownership: the map owns its arrays; ofi_idmap_free releases them (accepts a zeroed map).
 * Thread safety: concurrent calls are safe on distinct partitions only.
 */
#ifndef OFI_IDMAP_H
#define OFI_IDMAP_H

#include "ofi/ofi.h"

#include <stddef.h>
#include <stdint.h>

enum { OFI_IDMAP_FP = 1, OFI_IDMAP_VAL = 2 };

typedef struct ofi_idpart {
    int64_t *keys;
    uint64_t *fps;  /* NULL unless OFI_IDMAP_FP */
    uint32_t *vals; /* NULL unless OFI_IDMAP_VAL */
    size_t cap;     /* power of two, or 0 */
    size_t n;
} ofi_idpart;

typedef struct ofi_idmap {
    int flags;
    int part_bits; /* n_parts = 1 << part_bits */
    ofi_idpart *parts;
} ofi_idmap;

/* The hash of a key (XXH3 64-bit of its 8 bytes). */
uint64_t ofi_id_hash(int64_t key);

/* Create an empty map with at least n_parts partitions (rounded up to a power of two).
 * @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_idmap_init(ofi_idmap *m, int n_parts, int flags);

void ofi_idmap_free(ofi_idmap *m);

static inline int ofi_idmap_n_parts(const ofi_idmap *m)
{
    return 1 << m->part_bits;
}

/* The partition a hash belongs to. */
static inline int ofi_idmap_part_of(const ofi_idmap *m, uint64_t h)
{
    return m->part_bits == 0 ? 0 : (int)(h >> (64 - m->part_bits));
}

/* Make room in every partition p for add[p] more keys (sequential; allocates).
 * @return OFI_OK or OFI_E_NOMEM (the map is unchanged then). */
ofi_status ofi_idmap_reserve(ofi_idmap *m, const size_t *add);

/* Find key in partition p. @return its slot index, or SIZE_MAX when absent. */
size_t ofi_idpart_find(const ofi_idpart *p, int64_t key, uint64_t h);

/* Find key, inserting it when absent. @pre room was reserved. Sets *found.
 * @return the slot index. */
size_t ofi_idpart_upsert(ofi_idpart *p, int64_t key, uint64_t h, int *found);

/* Total number of keys. */
size_t ofi_idmap_size(const ofi_idmap *m);

/* Convenience for sequential code: find a key anywhere. @return slot, or SIZE_MAX; *part
 * receives the partition. */
size_t ofi_idmap_find(const ofi_idmap *m, int64_t key, int *part);

#endif
