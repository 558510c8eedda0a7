/* runtime.h - runtime settings that only the environment at process start can give
 * (executables only; the library never reads the environment).
 *
 * ofi_runtime_reexec re-executes the program once, with the same arguments, when it can
 * add one of these to the environment:
 *
 * - glibc.malloc.hugetlb=1 (in GLIBC_TUNABLES), only when OFI_HUGEPAGES=1 asks for it:
 *   glibc backs its heap with transparent huge pages. The engine reads its per-case
 *   arrays in random order (joins, ordered output), where 4 KiB-page TLB misses can cost
 *   as much as the memory access itself; but where a VM's host reclaims freed memory,
 *   every huge page is a fresh host fault, which costs more (runtime.c has both
 *   measurements). Added only when the kernel's THP mode is "madvise" ("always" needs no
 *   help, "never" cannot be helped).
 * - OMP_WAIT_POLICY=passive: OpenMP threads waiting at a barrier sleep instead of
 *   spinning, leaving the cores to the database server, the fetch and I/O threads and the
 *   kernel that share them with the engine. Added only when OMP_WAIT_POLICY is unset.
 *
 * Nothing is changed by a user's own setting, a failed exec leaves the environment as it
 * was, and the re-executed process (marked by OFI_RUNTIME_SET=1) never re-executes
 * again. Under valgrind nothing is done (the re-exec would leave its emulator).
 */
#ifndef OFI_CLI_RUNTIME_H
#define OFI_CLI_RUNTIME_H

#include <stddef.h>

void ofi_runtime_reexec(char **argv);

/* The GLIBC_TUNABLES value the re-exec sets, from OFI_HUGEPAGES (hugepages), the current
 * GLIBC_TUNABLES (tunables; NULL when unset) and whether the kernel's THP mode is
 * "madvise". @return 1 with the value in out (size bytes), 0 when nothing is to be set
 * (huge pages not asked for, THP not in madvise mode, the user's own hugetlb tunable, or
 * a value that does not fit). */
int ofi_runtime_tunables(const char *hugepages, const char *tunables, int thp_madvise, char *out,
                         size_t size);

#endif
