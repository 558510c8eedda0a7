/* test_runtime.c - what the executables' re-exec adds to GLIBC_TUNABLES (runtime.h):
 * huge pages only when asked for with OFI_HUGEPAGES=1 and the kernel's THP mode is
 * "madvise", appended to the user's tunables, never over their own hugetlb setting. */
#include "runtime.h"

#include <criterion/criterion.h>
#include <string.h>

static int plan(const char *huge, const char *tun, int madvise, char *out, size_t size)
{
    memset(out, 'x', size);
    return ofi_runtime_tunables(huge, tun, madvise, out, size);
}

Test(runtime, huge_pages_only_when_asked)
{
    char out[256];
    cr_expect_eq(plan(NULL, NULL, 1, out, sizeof out), 0, "off by default");
    cr_expect_eq(plan("0", NULL, 1, out, sizeof out), 0);
    cr_expect_eq(plan("yes", NULL, 1, out, sizeof out), 0, "only the value 1 asks");
    cr_expect_eq(plan("1", NULL, 0, out, sizeof out), 0, "THP mode not madvise");
    cr_assert_eq(plan("1", NULL, 1, out, sizeof out), 1);
    cr_expect_str_eq(out, "glibc.malloc.hugetlb=1");
    cr_assert_eq(plan("1", "", 1, out, sizeof out), 1);
    cr_expect_str_eq(out, "glibc.malloc.hugetlb=1");
}

Test(runtime, users_tunables_are_kept)
{
    char out[256];
    cr_assert_eq(plan("1", "glibc.malloc.arena_max=2", 1, out, sizeof out), 1);
    cr_expect_str_eq(out, "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
    cr_expect_eq(plan("1", "glibc.malloc.hugetlb=0", 1, out, sizeof out), 0,
                 "the user's own hugetlb setting wins");
    char small[16];
    cr_expect_eq(plan("1", NULL, 1, small, sizeof small), 0, "a value that does not fit");
}
