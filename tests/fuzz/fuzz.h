/* fuzz.h - what the libFuzzer targets share: CHECK, which aborts (a finding) with the
 * failed condition and its line when the condition is false. */
#ifndef OFI_FUZZ_H
#define OFI_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
