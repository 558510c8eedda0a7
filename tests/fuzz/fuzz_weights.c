/* fuzz_weights.c - libFuzzer target for the INI weights parser (ofi_weights_parse).
 *
 * Any text. A file it accepts must hold what SPEC section 3 allows: at least one variant,
 * names non-empty, distinct and NUL-terminated, every weight's points finite and >= 0 and
 * its per finite and > 0, the two multipliers 0 or 1. A file it refuses must say why, with
 * the file's name first, and leave nothing allocated.
 */
#include "fuzz.h"
#include "ofi/weights.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ofi_ctx ctx;
    ofi_ctx_init(&ctx);
    ofi_weights w = {0};
    const ofi_status st = ofi_weights_parse(&ctx, "fuzz.ini", (const char *)data, size, &w);
    if (st != OFI_OK) {
        CHECK(st == OFI_E_USAGE || st == OFI_E_NOMEM);
        CHECK(strncmp(ctx.err, "fuzz.ini", 8) == 0);
        CHECK(w.v == NULL && w.n == 0);
        return 0;
    }
    CHECK(w.n >= 1 && w.v != NULL);
    for (int i = 0; i < w.n; i++) {
        const ofi_variant *v = &w.v[i];
        CHECK(memchr(v->name, '\0', sizeof v->name) != NULL && v->name[0] != '\0');
        for (int j = 0; j < i; j++)
            CHECK(strcmp(w.v[j].name, v->name) != 0);
        for (int k = 0; k < OFI_W_N; k++) {
            CHECK(isfinite(v->w[k].points) && v->w[k].points >= 0);
            CHECK(isfinite(v->w[k].per) && v->w[k].per > 0);
            CHECK(memchr(v->w[k].text, '\0', sizeof v->w[k].text) != NULL);
        }
        CHECK(v->severity_multiplier == 0 || v->severity_multiplier == 1);
        CHECK(v->segment_multiplier == 0 || v->segment_multiplier == 1);
    }
    ofi_weights_free(&w);
    return 0;
}
