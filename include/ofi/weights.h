/* weights.h - weight variants (SPEC section 3) and the INI weights file.
 *
 * A weight is a fraction points/per; a component is (x * points) / per in double
 * precision. A plain number n is n/1.
 *
 * Ownership: ofi_weights_free releases what the parser allocated (accepts a zeroed set).
 */
#ifndef OFI_WEIGHTS_H
#define OFI_WEIGHTS_H

#include "ofi/ofi.h"

#include <stddef.h>

/* Components, in the order of the score's sum. Priority has three weights. */
enum {
    OFI_W_PRIO_LOW,
    OFI_W_PRIO_MEDIUM,
    OFI_W_PRIO_HIGH,
    OFI_W_ESCALATION,
    OFI_W_REOPEN,
    OFI_W_REFUND_FLAG,
    OFI_W_DELAY,
    OFI_W_RESOLUTION,
    OFI_W_REFUND,
    OFI_W_TOUCH,
    OFI_W_ISSUE,
    OFI_W_N
};

typedef struct ofi_weight {
    double points, per;
    char text[48]; /* as written (or the default), for reports and the manifest */
} ofi_weight;

typedef struct ofi_variant {
    char name[64];
    ofi_weight w[OFI_W_N];
    int severity_multiplier; /* 0 off, 1 on */
    int segment_multiplier;
} ofi_variant;

typedef struct ofi_weights {
    int n;
    ofi_variant *v;
} ofi_weights;

/* The file key of a weight (e.g. "priority.low", "delay"). */
const char *ofi_weight_key(int w);

/* The reference pipeline's weights, named name. */
void ofi_variant_default(ofi_variant *v, const char *name);

/* Parse an INI weights file. Errors name the file, line and key:
 * "w.ini:3: key delay: bad number \"x\"".
 * @return OFI_OK; OFI_E_USAGE for a bad file or one that cannot be read (a weights file
 * is configuration: exit 1); OFI_E_NOMEM. */
ofi_status ofi_weights_load(ofi_ctx *ctx, const char *path, ofi_weights *out);

/* Same from text in memory; path is only used in messages. */
ofi_status ofi_weights_parse(ofi_ctx *ctx, const char *path, const char *text, size_t len,
                             ofi_weights *out);

/* A set holding only the default variant, named "default". */
ofi_status ofi_weights_default(ofi_weights *out);

/* Index of the variant named name, or -1. */
int ofi_weights_find(const ofi_weights *w, const char *name);

void ofi_weights_free(ofi_weights *w);

#endif
