/* hugepages.h - back the process's heap with transparent huge pages (executables only).
 *
 * The engine reads its per-case arrays in random order (joins, ordered output), where the
 * 4 KiB-page TLB misses of a virtual machine cost as much as the memory access. glibc backs
 * its heap with huge pages only when its tunable glibc.malloc.hugetlb=1 is set in the
 * environment before the process starts, so ofi_hugepages_reexec re-executes the program
 * once with it set. It does nothing (and returns) when OFI_HUGEPAGES=0 is set, when the
 * tunable is already set, when the kernel's THP mode is not "madvise" ("always" needs no
 * help, "never" cannot be helped) or when the re-exec fails.
 */
#ifndef OFI_CLI_HUGEPAGES_H
#define OFI_CLI_HUGEPAGES_H

void ofi_hugepages_reexec(char **argv);

#endif
