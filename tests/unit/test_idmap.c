/* test_idmap.c - the partitioned id index (idmap.h): paged when dense, hashed when sparse.
 *
 * Keys are inserted the way the loader does it: each key into the partition of its
 * ofi_id_hash, in source order, the first row setting the value and fingerprint. A sorted
 * array of the distinct keys is the reference for membership; the first row of each key
 * is the reference for values and fingerprints.
 */
#include "ofi/idmap.h"

#include "unit.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The fingerprint the tests give row i (any function of the row will do). */
static uint32_t row_fp(size_t i)
{
    return ofi_fp32((uint64_t)i * 0x9E3779B97F4A7C15ull + 12345);
}

/* Insert key of row i. @return 1 inserted, 0 present. */
static int put(ofi_idmap *m, int64_t key, size_t i)
{
    ofi_idpart *p = &m->parts[ofi_idmap_part_of(m, ofi_id_hash(key))];
    uint32_t *fpp = NULL, *valp = NULL;
    int r = ofi_idpart_insert(m, p, key, row_fp(i), &fpp, &valp);
    cr_assert(r == 0 || r == 1, "insert of %lld returned %d", (long long)key, r);
    cr_assert_not_null(fpp);
    if (m->with_val)
        cr_assert_not_null(valp);
    else
        cr_assert_null(valp);
    if (r == 1) {
        cr_assert_eq(*fpp, row_fp(i), "a new id stores its fingerprint");
        if (valp)
            *valp = (uint32_t)i;
    }
    return r;
}

Test(idmap, hash_is_xxh3_of_the_page)
{
    static const int64_t keys[] = {0, 1, 4095, 4096, -1, -4096, -4097, INT64_MAX, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int64_t page = keys[i] >> OFI_ID_PAGE_BITS;
        cr_expect_eq(ofi_id_hash(keys[i]), XXH3_64bits(&page, sizeof page), "key %lld",
                     (long long)keys[i]);
    }
    cr_expect_eq(ofi_id_hash(0), ofi_id_hash(4095), "one page, one hash");
    cr_expect_neq(ofi_id_hash(4095), ofi_id_hash(4096));
    cr_expect_eq(ofi_id_hash(-1), ofi_id_hash(-4096));
}

Test(idmap, fp32_never_zero)
{
    cr_expect_eq(ofi_fp32(0), 1);
    cr_expect_eq(ofi_fp32(0x0000000100000001ull), 1, "halves cancel: stored as 1");
    cr_expect_eq(ofi_fp32(0x00000000DEADBEEFull), 0xDEADBEEFu);
    cr_expect_eq(ofi_fp32(0xDEADBEEF00000000ull), 0xDEADBEEFu);
}

Test(idmap, init_rounds_partitions)
{
    static const int want[][2] = {{1, 1}, {2, 2}, {3, 4}, {5, 8}, {8, 8}, {9, 16}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ofi_idmap m;
        cr_assert_eq(ofi_idmap_init(&m, want[i][0], 1), OFI_OK);
        cr_expect_eq(ofi_idmap_n_parts(&m), want[i][1], "%d parts -> %d", want[i][0],
                     ofi_idmap_n_parts(&m));
        cr_expect_eq(ofi_idmap_size(&m), 0);
        uint32_t v = 77;
        cr_expect_eq(ofi_idmap_get(&m, 42, &v), 0);
        cr_expect_eq(v, 77);
        ofi_idmap_free(&m);
        ofi_idmap_free(&m); /* twice is fine */
    }
    ofi_idmap z;
    memset(&z, 0, sizeof z);
    ofi_idmap_free(&z);
    ofi_idmap_free(NULL);
}

Test(idmap, part_of_uses_top_bits)
{
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 8, 0), OFI_OK);
    cr_expect_eq(ofi_idmap_part_of(&m, 0), 0);
    cr_expect_eq(ofi_idmap_part_of(&m, UINT64_MAX), 7);
    cr_expect_eq(ofi_idmap_part_of(&m, (uint64_t)5 << 61 | 12345), 5);
    ofi_idmap_free(&m);
    cr_assert_eq(ofi_idmap_init(&m, 1, 0), OFI_OK);
    cr_expect_eq(ofi_idmap_part_of(&m, UINT64_MAX), 0);
    ofi_idmap_free(&m);
}

Test(idmap, first_row_wins_and_fp_zero)
{
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 1, 1), OFI_OK);
    ofi_idpart *p = &m.parts[0];
    uint32_t *fpp, *valp;
    cr_assert_eq(ofi_idpart_insert(&m, p, 10, 0, &fpp, &valp), 1);
    cr_expect_eq(*fpp, 1, "fingerprint 0 is stored as 1");
    *valp = 100;
    cr_assert_eq(ofi_idpart_insert(&m, p, 10, 999, &fpp, &valp), 0);
    cr_expect_eq(*fpp, 1, "a repeat does not overwrite the fingerprint");
    cr_expect_eq(*valp, 100, "a repeat sees the first row's value");
    uint32_t v = 0;
    cr_expect_eq(ofi_idpart_get(&m, p, 10, &v), 1);
    cr_expect_eq(v, 100);
    cr_expect_eq(ofi_idpart_get(&m, p, 10, NULL), 1);
    cr_expect_eq(ofi_idpart_get(&m, p, 11, &v), 0);
    cr_expect_eq(ofi_idmap_size(&m), 1);
    ofi_idmap_free(&m);
}

/* Draw a key of one of several shapes. */
static int64_t draw_key(unit_rng *r, const int64_t *prev, size_t n_prev)
{
    switch (unit_below(r, 7)) {
    case 0: /* dense auto-increment range, many repeats */
        return (int64_t)unit_below(r, 20000);
    case 1: /* dense negative range */
        return -(int64_t)unit_below(r, 5000) - 1;
    case 2: /* a repeat of an earlier key */
        return n_prev ? prev[unit_below(r, n_prev)] : 0;
    case 3: /* around the extremes */
        return unit_below(r, 2) ? INT64_MAX - (int64_t)unit_below(r, 10000)
                                : INT64_MIN + 1 + (int64_t)unit_below(r, 10000);
    default: { /* anywhere in 64 bits, never the NULL marker */
        uint64_t x = unit_next(r);
        return x == (uint64_t)INT64_MIN ? 0 : (int64_t)x;
    }
    }
}

static void check_against(const ofi_idmap *m, const int64_t *keys, size_t n, const int64_t *ref,
                          size_t n_ref)
{
    cr_assert_eq(ofi_idmap_size(m), n_ref, "size %zu, distinct keys %zu", ofi_idmap_size(m), n_ref);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = UINT32_MAX;
        cr_assert(ofi_idmap_get(m, keys[i], &v), "key %lld missing (%d parts)", (long long)keys[i],
                  ofi_idmap_n_parts(m));
        cr_assert(v <= i && keys[v] == keys[i], "key %lld: value %u is not one of its rows",
                  (long long)keys[i], v);
        if (i % 1009 == 0) /* spot-check that it is the first row */
            for (size_t j = 0; j < v; j++)
                cr_assert_neq(keys[j], keys[i], "key %lld: row %zu came before row %u",
                              (long long)keys[i], j, v);
        /* The fingerprint is the first row's. */
        ofi_idpart *p = &m->parts[ofi_idmap_part_of(m, ofi_id_hash(keys[i]))];
        uint32_t *fpp, *valp;
        cr_assert_eq(ofi_idpart_insert(m, p, keys[i], 0, &fpp, &valp), 0);
        cr_assert_eq(*fpp, row_fp(v));
    }
    (void)ref;
}

/* 100k random keys with repeats, negatives, dense runs and extremes, with 1 and 8
 * partitions: same membership, same first rows, same fingerprints. */
Test(idmap, random_keys_one_and_eight_partitions)
{
    unit_rng r = unit_seed("idmap.random_keys_one_and_eight_partitions");
    const size_t n = 100000;
    int64_t *keys = malloc(n * sizeof *keys);
    cr_assert_not_null(keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = draw_key(&r, keys, i);
    keys[17] = INT64_MAX;
    keys[18] = INT64_MIN + 1;
    keys[19] = 0;
    keys[20] = -1;
    keys[n - 1] = INT64_MAX; /* a late repeat */

    int64_t *ref = malloc(n * sizeof *ref);
    memcpy(ref, keys, n * sizeof *ref);
    qsort(ref, n, sizeof *ref, cmp_i64);
    size_t n_ref = 0;
    for (size_t i = 0; i < n; i++)
        if (n_ref == 0 || ref[n_ref - 1] != ref[i])
            ref[n_ref++] = ref[i];

    ofi_idmap m1, m8;
    cr_assert_eq(ofi_idmap_init(&m1, 1, 1), OFI_OK);
    cr_assert_eq(ofi_idmap_init(&m8, 8, 1), OFI_OK);
    size_t fresh1 = 0, fresh8 = 0;
    for (size_t i = 0; i < n; i++) {
        fresh1 += (size_t)put(&m1, keys[i], i);
        fresh8 += (size_t)put(&m8, keys[i], i);
    }
    cr_expect_eq(fresh1, n_ref);
    cr_expect_eq(fresh8, n_ref);
    check_against(&m1, keys, n, ref, n_ref);
    check_against(&m8, keys, n, ref, n_ref);

    /* Keys not inserted are absent in both. */
    for (int k = 0; k < 100000; k++) {
        int64_t q = k % 2 ? (int64_t)unit_next(&r) : (int64_t)unit_below(&r, 40000) - 20000;
        if (q == INT64_MIN)
            continue;
        int in_ref = bsearch(&q, ref, n_ref, sizeof *ref, cmp_i64) != NULL;
        uint32_t v;
        cr_assert_eq(ofi_idmap_get(&m1, q, &v), in_ref, "key %lld (1 part)", (long long)q);
        cr_assert_eq(ofi_idmap_get(&m8, q, &v), in_ref, "key %lld (8 parts)", (long long)q);
    }
    /* Each partition of m8 holds only ids of its own partition: the sizes add up to the
     * number of distinct keys falling in each. */
    size_t per[8] = {0};
    for (size_t i = 0; i < n_ref; i++)
        per[ofi_idmap_part_of(&m8, ofi_id_hash(ref[i]))]++;
    for (int pi = 0; pi < 8; pi++)
        cr_expect_eq(m8.parts[pi].n, per[pi], "partition %d", pi);
    ofi_idmap_free(&m1);
    ofi_idmap_free(&m8);
    free(keys);
    free(ref);
}

/* Prefetching in an empty index, a paged one (present, absent page, absent id, NULL) is
 * harmless. */
Test(idmap, prefetch_anything)
{
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 4, 1), OFI_OK);
    ofi_idmap_prefetch(&m, 42);
    for (size_t i = 0; i < 10000; i++)
        put(&m, (int64_t)i * 2, i);
    const int64_t probe[] = {0, 1, 19998, 19999, 1 << 30, -5, INT64_MAX, OFI_NULL_I64};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        ofi_idmap_prefetch(&m, probe[k]);
        uint32_t v = UINT32_MAX;
        const int want = probe[k] >= 0 && probe[k] < 20000 && probe[k] % 2 == 0;
        cr_assert_eq(ofi_idmap_get(&m, probe[k], &v), want, "key %lld", (long long)probe[k]);
        if (want)
            cr_assert_eq(v, (uint32_t)(probe[k] / 2));
    }
    ofi_idmap_free(&m);
}

Test(idmap, dense_ids_stay_paged)
{
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 4, 0), OFI_OK);
    const size_t n = 200000;
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(put(&m, (int64_t)i + 1, i), 1);
    for (int pi = 0; pi < 4; pi++)
        cr_expect_eq(m.parts[pi].hashed, 0, "partition %d of dense ids turned hashed", pi);
    cr_expect_eq(ofi_idmap_size(&m), n);
    /* About 4 bytes per id (pages of fingerprints), far below a hash table's 16. */
    size_t bytes = ofi_idmap_bytes(&m);
    cr_expect(bytes < n * 6, "%zu bytes for %zu dense ids", bytes, n);
    for (size_t i = 0; i < n; i++)
        cr_assert(ofi_idmap_get(&m, (int64_t)i + 1, NULL));
    cr_expect_not(ofi_idmap_get(&m, 0, NULL));
    cr_expect_not(ofi_idmap_get(&m, (int64_t)n + 1, NULL));
    ofi_idmap_free(&m);
}

Test(idmap, sparse_ids_convert_to_hashed)
{
    /* Dense ids first (paged), then sparse ones: the partition converts and keeps every
     * earlier id with its value and fingerprint. */
    unit_rng r = unit_seed("idmap.sparse_ids_convert_to_hashed");
    const size_t n_dense = 5000, n = 60000;
    int64_t *keys = malloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        if (i < n_dense) {
            keys[i] = (int64_t)i * 3 - 7000; /* spans pages, negatives included */
        } else {
            uint64_t x = unit_next(&r);
            keys[i] = x == (uint64_t)INT64_MIN ? 1 : (int64_t)x;
        }
    }
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 1, 1), OFI_OK);
    size_t fresh = 0;
    int converted_at = -1;
    for (size_t i = 0; i < n; i++) {
        fresh += (size_t)put(&m, keys[i], i);
        if (converted_at < 0 && m.parts[0].hashed)
            converted_at = (int)i;
    }
    cr_expect(converted_at >= (int)n_dense, "converted at row %d", converted_at);
    cr_expect_eq(m.parts[0].hashed, 1, "random 64-bit ids should turn the partition hashed");
    cr_expect_eq(ofi_idmap_size(&m), fresh);
    cr_expect(m.parts[0].cap * 7 > m.parts[0].n * 10, "load under 70%%");
    for (size_t i = 0; i < n; i++) {
        uint32_t v = UINT32_MAX;
        if (i + 8 < n) /* as the loader does: prefetching changes nothing */
            ofi_idmap_prefetch(&m, keys[i + 8]);
        cr_assert(ofi_idmap_get(&m, keys[i], &v), "key %lld lost (row %zu)", (long long)keys[i],
                  i);
        cr_assert(keys[v] == keys[i] && v <= i);
    }
    ofi_idmap_prefetch(&m, OFI_NULL_I64);
    ofi_idmap_prefetch(&m, -6999);
    /* Neighbours of dense ids were never inserted. */
    cr_expect_not(ofi_idmap_get(&m, -6999, NULL));
    cr_expect_not(ofi_idmap_get(&m, -7001, NULL));
    ofi_idmap_free(&m);
    free(keys);
}

/* Sparse ids whose XXH3 hashes share their low 12 bits all start probing at one slot of
 * the hashed table: a long probe chain, through several growths. */
Test(idmap, colliding_keys)
{
    enum { N = 400 };
    int64_t *keys = malloc(N * sizeof *keys);
    size_t got = 0;
    for (int64_t k = 1; got < N; k++) {
        int64_t key = k * 104729 * 4096; /* one id per page, far apart: hashed mode */
        if ((XXH3_64bits(&key, sizeof key) & 0xFFF) == 0x5A5)
            keys[got++] = key;
    }
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 1, 1), OFI_OK);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(put(&m, keys[i], i), 1);
        cr_assert_eq(put(&m, keys[i], i + 1000), 0);
        cr_assert_eq(m.parts[0].n, i + 1);
        for (size_t j = 0; j <= i; j += 1 + i / 8) {
            uint32_t v = UINT32_MAX;
            cr_assert(ofi_idmap_get(&m, keys[j], &v), "key %zu lost after %zu inserts", j, i + 1);
            cr_assert_eq(v, j);
        }
    }
    cr_expect_eq(m.parts[0].hashed, 1);
    for (size_t j = 0; j < N; j++) {
        uint32_t v;
        cr_assert(ofi_idmap_get(&m, keys[j], &v));
        cr_assert_eq(v, j);
    }
    /* An absent key with the same low hash bits walks the whole chain and misses. */
    int64_t absent = keys[N - 1] + 1;
    while ((XXH3_64bits(&absent, sizeof absent) & 0xFFF) != 0x5A5)
        absent++;
    cr_expect_not(ofi_idmap_get(&m, absent, NULL));
    ofi_idmap_free(&m);
    free(keys);
}

Test(idmap, without_values)
{
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 2, 0), OFI_OK);
    for (size_t i = 0; i < 1000; i++)
        put(&m, (int64_t)(i * 7919), i);
    uint32_t v = 55;
    cr_expect(ofi_idmap_get(&m, 7919 * 3, &v));
    cr_expect_eq(v, 55, "no values: *valp untouched");
    cr_expect_eq(ofi_idmap_size(&m), 1000);
    ofi_idmap_free(&m);
}

/* Insert into a keys-only map. @return 1 inserted, 0 present. */
static int put_key(ofi_idmap *m, int64_t key)
{
    ofi_idpart *p = &m->parts[ofi_idmap_part_of(m, ofi_id_hash(key))];
    uint32_t *fpp = &(uint32_t){7}, *valp = &(uint32_t){7};
    int r = ofi_idpart_insert(m, p, key, 123, &fpp, &valp);
    cr_assert(r == 0 || r == 1, "insert of %lld returned %d", (long long)key, r);
    cr_assert_null(fpp, "a keys-only map has no fingerprints");
    cr_assert_null(valp);
    return r;
}

/* (key, row) pairs ordered by key, then row: the first of each key is its new insert. */
typedef struct keyrow {
    int64_t key;
    size_t row;
} keyrow;

static int cmp_keyrow(const void *a, const void *b)
{
    const keyrow *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->row > y->row) - (x->row < y->row);
}

Test(idmap, keys_only_dense_then_sparse)
{
    /* Dense ids (a bit per id in pages: every bit of a page's words, page edges, negative
     * pages), repeats, then sparse ids that turn the partitions hashed: each insert says
     * new exactly for the first row of its key. */
    unit_rng r = unit_seed("idmap.keys_only_dense_then_sparse");
    const size_t n_dense = 3 * OFI_ID_PAGE + 100, n = 80000;
    int64_t *keys = malloc(n * sizeof *keys);
    keyrow *kr = malloc(n * sizeof *kr);
    uint8_t *fresh = calloc(n, 1);
    size_t nk = 0;
    for (size_t i = 0; i < n_dense; i++)
        keys[nk++] = (int64_t)i - OFI_ID_PAGE - 33;
    for (size_t i = 0; i < n_dense; i += 7) /* repeats */
        keys[nk++] = (int64_t)i - OFI_ID_PAGE - 33;
    const size_t n_paged = nk;
    while (nk < n) {
        uint64_t x = unit_next(&r);
        keys[nk++] = x == (uint64_t)INT64_MIN ? 2 : (int64_t)x;
    }
    for (size_t i = 0; i < n; i++)
        kr[i] = (keyrow){keys[i], i};
    qsort(kr, n, sizeof *kr, cmp_keyrow);
    size_t n_distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || kr[i].key != kr[i - 1].key) {
            fresh[kr[i].row] = 1;
            n_distinct++;
        }
    ofi_idmap m;
    cr_assert_eq(ofi_idmap_init(&m, 2, 0), OFI_OK);
    ofi_idmap_set_keys_only(&m);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(put_key(&m, keys[i]), fresh[i], "key %lld (row %zu)", (long long)keys[i], i);
        if (i == n_paged - 1) {
            cr_expect_eq(m.parts[0].hashed + m.parts[1].hashed, 0, "dense ids stay paged");
            /* A bit per id: pages of 4096 ids in 512 bytes, plus their directory. */
            const size_t bytes = ofi_idmap_bytes(&m);
            cr_expect(bytes < n_dense / 2, "%zu bytes for %zu dense ids", bytes, n_dense);
        }
    }
    cr_expect_eq(m.parts[0].hashed + m.parts[1].hashed, 2, "sparse ids turn both hashed");
    cr_expect_eq(ofi_idmap_size(&m), n_distinct);
    for (size_t i = 0; i < n; i++) {
        ofi_idmap_prefetch(&m, keys[i]);
        cr_assert(ofi_idmap_get(&m, keys[i], NULL), "key %lld lost", (long long)keys[i]);
    }
    cr_expect_not(ofi_idmap_get(&m, (int64_t)n_dense - OFI_ID_PAGE - 33, NULL));
    ofi_idmap_free(&m);
    free(keys);
    free(kr);
    free(fresh);
}
