/* unit.h - helpers shared by the Criterion unit suites: a seeded PRNG and temp files.
 *
 * Random tests take their seed from OFI_TEST_SEED when set (decimal or 0x hex), else from
 * the clock, and print it to stderr so that a failure can be replayed.
 */
#ifndef OFI_TEST_UNIT_H
#define OFI_TEST_UNIT_H

#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* splitmix64: small, fast, good enough for test data. */
typedef struct unit_rng {
    uint64_t s;
} unit_rng;

static inline uint64_t unit_next(unit_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0; the tiny modulo bias does not matter here). */
static inline uint64_t unit_below(unit_rng *r, uint64_t n)
{
    return unit_next(r) % n;
}

/* The seed of a random test, printed with the test's name. */
static inline unit_rng unit_seed(const char *test)
{
    const char *env = getenv("OFI_TEST_SEED");
    uint64_t seed;
    if (env != NULL && *env != '\0') {
        seed = strtoull(env, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
    }
    fprintf(stderr, "%s: seed = %llu (replay with OFI_TEST_SEED=%llu)\n", test,
            (unsigned long long)seed, (unsigned long long)seed);
    cr_log_info("%s: seed = %llu", test, (unsigned long long)seed);
    unit_rng r = {seed};
    return r;
}

/* Write len bytes to a new temporary file; returns its malloc'd path (unlink + free it). */
static inline char *unit_temp_file(const char *data, size_t len)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    cr_assert_not_null(path);
    snprintf(path, n, "%s/ofi_unit_XXXXXX", dir);
    int fd = mkstemp(path);
    cr_assert(fd >= 0, "mkstemp %s failed", path);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        cr_assert(w > 0, "write to %s failed", path);
        off += (size_t)w;
    }
    close(fd);
    return path;
}

#endif
