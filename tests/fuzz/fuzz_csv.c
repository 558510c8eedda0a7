/* fuzz_csv.c - libFuzzer target for the CSV record splitter (ofi_csv_split).
 *
 * Any bytes, split record after record to the end. Checks, beyond the sanitizers': each
 * record moves forward and its fields lie inside it; unescaping never grows a field; and a
 * round trip: the texts of a well-formed record, written again by ofi_csv_quote (quoted
 * where needed) and split again, come back the same, as many as before.
 */
#include "fuzz.h"
#include "ofi/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_F = 64 };

/* One byte after the record written so far (quoting nothing makes room for two). */
static void append(char **out, size_t *len, size_t *cap, char c)
{
    CHECK(ofi_csv_quote(out, len, cap, "", 0));
    (*out)[(*len)++] = c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    ofi_field f[MAX_F], g[MAX_F];
    /* Texts of one record back to back (never longer than the record), and offsets. */
    char *text = malloc(size + 1), *out = NULL, *again = malloc(2 * size + 2 * MAX_F + 2);
    size_t off[MAX_F + 1], len = 0, cap = 0;
    CHECK(text != NULL && again != NULL);
    while (p < end) {
        int nf = 0;
        const char *next = NULL;
        uint64_t lines = 0;
        const int st = ofi_csv_split(p, end, f, MAX_F, &nf, &next, &lines);
        CHECK(next > p && next <= end);
        CHECK(nf >= 1);
        if (st != OFI_CSV_OK)
            break;
        if (nf <= MAX_F) {
            off[0] = 0;
            len = 0;
            for (int i = 0; i < nf; i++) {
                CHECK(f[i].p >= p && f[i].p + f[i].len <= next);
                const size_t n = ofi_csv_unescape(&f[i], text + off[i]);
                CHECK(n <= f[i].len);
                off[i + 1] = off[i] + n;
                if (i > 0)
                    append(&out, &len, &cap, ',');
                CHECK(ofi_csv_quote(&out, &len, &cap, text + off[i], n));
            }
            append(&out, &len, &cap, '\n');
            int ng = 0;
            const char *next2 = NULL;
            CHECK(ofi_csv_split(out, out + len, g, MAX_F, &ng, &next2, &lines) == OFI_CSV_OK);
            CHECK(ng == nf && next2 == out + len);
            for (int i = 0; i < nf; i++) {
                const size_t n = ofi_csv_unescape(&g[i], again);
                CHECK(n == off[i + 1] - off[i] && memcmp(again, text + off[i], n) == 0);
            }
        }
        p = next;
    }
    free(text);
    free(again);
    free(out);
    return 0;
}
