/* idmap.h - a partitioned index of 64-bit ids: 4 to 8 bytes per id when ids are dense.
 *
 * Each id carries a 32-bit fingerprint of its first row (to tell full-row duplicates; 0 is
 * never stored) and optionally a 32-bit value (a row number). A keys-only map keeps
 * neither: one bit per id in pages (8 bytes per id when hashed), for a streamed table whose
 * source can be read again to find its repeated ids' first rows (see load.c).
 *
 * Partitions: ids are split into n_parts independent partitions by the XXH3 hash of their
 * page number (id >> OFI_ID_PAGE_BITS). A parallel loop gives each thread one partition;
 * each thread visits a batch's rows in source order and handles the ids of its own
 * partition. So there are no atomics, "the first row wins" keeps its sequential meaning,
 * and results do not depend on the thread count (only the memory layout does).
 *
 * Storage per partition, chosen by the data:
 *  - paged (the start): ids live in pages of 4096 consecutive ids, each a plain array of
 *    fingerprints (and values) indexed by id - page base, or a bitmap when keys only.
 *    Real ids are mostly dense (auto-increment keys): 4 bytes per id, 8 with values, 1 bit
 *    keys only, and a lookup is one small directory probe plus an array read.
 *  - hashed: when pages turn out sparse (fewer than 1 id in 16 slots), the partition
 *    converts itself once into an open-addressing table keyed by XXH3 of the id (linear
 *    probing, load <= 70%): 16 bytes per slot.
 *
 * Growth happens inside insert (the number of pages a batch needs is unknown before it is
 * seen); an insert that cannot allocate returns -1 and leaves the map consistent.
 *
 * Ownership: the map owns its memory; ofi_idmap_free accepts a zeroed map.
 * Thread safety: concurrent calls are safe on distinct partitions only.
 */
#ifndef OFI_IDMAP_H
#define OFI_IDMAP_H

#include "ofi/ofi.h"

#include <stddef.h>
#include <stdint.h>

#define OFI_ID_PAGE_BITS 12
#define OFI_ID_PAGE (1u << OFI_ID_PAGE_BITS)

typedef struct ofi_idpage ofi_idpage;

typedef struct ofi_idpart {
    int hashed;        /* 0 paged, 1 hashed */
    size_t n;          /* ids stored */
    /* paged: directory of pages, open addressing on page numbers */
    int64_t *dir_no;   /* page number, OFI_NULL_I64 = empty */
    ofi_idpage **dir;
    size_t dir_cap, n_pages;
    ofi_idpage *last;  /* the page of the last insert (ids in order fill one page after
                          another: no directory probe) */
    /* hashed */
    int64_t *keys;     /* OFI_NULL_I64 = empty */
    uint32_t *fps;
    uint32_t *vals;
    size_t cap;
} ofi_idpart;

typedef struct ofi_idmap {
    int with_val;
    int keys_only; /* no fingerprints (and no values) */
    int part_bits; /* n_parts = 1 << part_bits */
    ofi_idpart *parts;
} ofi_idmap;

/* The partition hash of an id: XXH3 of its page number. Rows carry it so that each thread
 * can skip the ids of other partitions cheaply. */
uint64_t ofi_id_hash(int64_t key);

/* Create an empty map with at least n_parts partitions (rounded up to a power of two),
 * with a 32-bit value per id when with_val. @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_idmap_init(ofi_idmap *m, int n_parts, int with_val);

void ofi_idmap_free(ofi_idmap *m);

/* Keep no fingerprints: insert then reports presence only (*fpp set to NULL).
 * @pre the map is empty and was created without values. */
void ofi_idmap_set_keys_only(ofi_idmap *m);

static inline int ofi_idmap_n_parts(const ofi_idmap *m)
{
    return 1 << m->part_bits;
}

/* The partition of an id whose ofi_id_hash is h. */
static inline int ofi_idmap_part_of(const ofi_idmap *m, uint64_t h)
{
    return m->part_bits == 0 ? 0 : (int)(h >> (64 - m->part_bits));
}

/* Insert key with fingerprint fp (0 is stored as 1) unless present. Either way *fpp and
 * *valp (NULL without values) point at the id's fingerprint (NULL when keys only) and value.
 * @pre key != OFI_NULL_I64, and key belongs to partition p.
 * @return 1 when inserted, 0 when it was present, -1 when out of memory (nothing set). */
int ofi_idpart_insert(const ofi_idmap *m, ofi_idpart *p, int64_t key, uint32_t fp, uint32_t **fpp,
                      uint32_t **valp);

/* Find key in partition p. @return 1 and set *valp (when not NULL) if present, else 0. */
int ofi_idpart_get(const ofi_idmap *m, const ofi_idpart *p, int64_t key, uint32_t *valp);

/* Find a key in whichever partition holds it (sequential convenience). */
int ofi_idmap_get(const ofi_idmap *m, int64_t key, uint32_t *valp);

/* Start loading the cache lines that ofi_idmap_get(m, key) will read: a loop that looks
 * up random keys (a big parent table's ids) calls it some rows ahead, so that the misses
 * overlap. No effect on any result; key may be absent (or OFI_NULL_I64: nothing done).
 * Thread-safe against concurrent gets. */
void ofi_idmap_prefetch(const ofi_idmap *m, int64_t key);

/* Total number of ids. */
size_t ofi_idmap_size(const ofi_idmap *m);

/* Bytes of memory held, for reports. */
size_t ofi_idmap_bytes(const ofi_idmap *m);

/* Fold a 64-bit row fingerprint into the stored 32 bits (never 0). */
static inline uint32_t ofi_fp32(uint64_t fp)
{
    uint32_t f = (uint32_t)(fp ^ (fp >> 32));
    return f ? f : 1;
}

#endif
