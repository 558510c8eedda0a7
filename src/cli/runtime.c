/* runtime.c - see runtime.h. Measured on this project's 2-core VMs, runs with and without
 * alternated in one session (bench/ab.sh; the MySQL pairs with the same alternation by
 * hand, before ab.sh took mysql:ENV_FILE):
 * - huge pages, 10M cases from CSV, on an AMD EPYC VM (2026-12-04, an earlier build):
 *   21.8 -> 21.3 s (median of 4) and 24.5 -> 22.2 s (median of 3), the gain in the read
 *   and join phases; on an Intel Xeon VM (2026-12-05, ef6f79f): 11.40 -> 12.82 s (median
 *   of 6; read 6.29 -> 7.22, join 0.46 -> 0.79, sort 0.18 -> 0.31), 1M cases 1.106 ->
 *   1.099 s. That VM's host takes freed 2 MiB blocks back (free page reporting), so every
 *   huge page faults into the host: `ofi-bench --fresh-memory 1024` there, first touch
 *   1.6-2.6 s per GiB with huge pages, 0.32-0.34 with 4 KiB pages
 *   (bench/results/2026-12-05-fresh-memory.md). Hence off by default, on with
 *   OFI_HUGEPAGES=1;
 * - passive waits, 10M cases from CSV: 24.1 -> 24.0 s (median of 3: no change); from the
 *   local MariaDB: 73.1 -> 66.1 s and 73.1 -> 72.0 s (two pairs), the read phase sharing
 *   the 2 cores with the server and the fetch thread.
 */
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TUNABLE "glibc.malloc.hugetlb=1"

static int thp_mode_is_madvise(void)
{
    char buf[128] = {0};
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f == NULL)
        return 0;
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "[madvise]") != NULL;
}

int ofi_runtime_tunables(const char *hugepages, const char *tunables, int thp_madvise, char *out,
                         size_t size)
{
    if (hugepages == NULL || strcmp(hugepages, "1") != 0 || !thp_madvise)
        return 0;
    if (tunables != NULL && strstr(tunables, "glibc.malloc.hugetlb") != NULL)
        return 0; /* the user's own choice */
    const int n = tunables != NULL && *tunables ? snprintf(out, size, "%s:%s", tunables, TUNABLE)
                                                : snprintf(out, size, "%s", TUNABLE);
    return n > 0 && (size_t)n < size;
}

/* Set name to value, remembering the old value (or its absence) in *saved. @return 1 when
 * set. */
static int set_saved(const char *name, const char *value, char **saved, int *had)
{
    const char *old = getenv(name);
    *had = old != NULL;
    *saved = old != NULL ? strdup(old) : NULL;
    if (old != NULL && *saved == NULL)
        return 0;
    if (setenv(name, value, 1) != 0) {
        free(*saved);
        *saved = NULL;
        return 0;
    }
    return 1;
}

static void restore(const char *name, char *saved, int had)
{
    if (had)
        setenv(name, saved, 1);
    else
        unsetenv(name);
    free(saved);
}

/* Valgrind runs the program on its own CPU emulator: re-executing /proc/self/exe there
 * would start the emulator's binary, not ours. Its preload library gives it away. */
static int under_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");
    return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

void ofi_runtime_reexec(char **argv)
{
    /* OFI_RUNTIME_SET marks the re-executed process: whatever the loader did with the
     * environment (glibc may drop tunables for a set-user-ID program), never twice. */
    if (under_valgrind() || getenv("OFI_RUNTIME_SET") != NULL)
        return;
    char *saved_tun = NULL, *saved_wait = NULL;
    int had_tun = 0, had_wait = 0, set_tun = 0, set_wait = 0;

    char value[1024];
    if (ofi_runtime_tunables(getenv("OFI_HUGEPAGES"), getenv("GLIBC_TUNABLES"),
                             thp_mode_is_madvise(), value, sizeof value))
        set_tun = set_saved("GLIBC_TUNABLES", value, &saved_tun, &had_tun);
    if (getenv("OMP_WAIT_POLICY") == NULL)
        set_wait = set_saved("OMP_WAIT_POLICY", "passive", &saved_wait, &had_wait);
    if ((set_tun || set_wait) && setenv("OFI_RUNTIME_SET", "1", 1) == 0) {
        execv("/proc/self/exe", argv);
        unsetenv("OFI_RUNTIME_SET");
    }
    /* Nothing to add, or the exec failed: carry on as started. */
    if (set_tun)
        restore("GLIBC_TUNABLES", saved_tun, had_tun);
    if (set_wait)
        restore("OMP_WAIT_POLICY", saved_wait, had_wait);
}
