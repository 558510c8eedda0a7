/* score.h - the Operational Friction Index of each case (SPEC section 3 and 7).
 *
 * Scoring reads the cases' columns and their links (join.h) through an ofi_features
 * view prepared once per run: per-case inputs already reduced to what the formula needs
 * (flags as 0/1, minutes clamped at 0, refund euros, the issue's friction weight and the
 * multipliers), so that scoring one or many variants is a tight loop over flat arrays.
 */
#ifndef OFI_SCORE_H
#define OFI_SCORE_H

#include "ofi/ofi.h"
#include "ofi/table.h"
#include "ofi/weights.h"

#include <stddef.h>
#include <stdint.h>

/* Priority classes of a priority text. */
enum { OFI_PRIO_LOW, OFI_PRIO_MEDIUM, OFI_PRIO_HIGH, OFI_PRIO_UNKNOWN };

/* Flat per-case inputs of the score. Owned by the struct; see ofi_features_free. */
typedef struct ofi_features {
    size_t n;
    uint8_t *prio;      /* OFI_PRIO_*; unknown scores as low */
    uint8_t *flags;     /* bit 0 escalated, 1 reopened, 2 has_refund, 3 is_delayed */
    double *delay;      /* max(delay_minutes, 0), NULL as 0 */
    double *resolution; /* max(resolution_minutes, 0), NULL as 0 */
    double *refund_eur; /* refund cents / 100 */
    double *touch;      /* touch count */
    double *issue;      /* friction_weight of the case's issue, 0 when NULL or missing */
    double *sev_mult;   /* severity_multiplier, 1 when NULL or missing */
    double *seg_mult;   /* segment_multiplier, 1 when NULL or missing */
} ofi_features;

/* The class of a priority text (trimmed, case-insensitive; "med" is medium). */
int ofi_priority_class(const char *s, size_t len);

/* Build the features of every case. @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_features_build(ofi_ctx *ctx, const ofi_db *db, ofi_features *f);

void ofi_features_free(ofi_features *f);

/* The nine component scores of case i, in output order, and its OFI. */
double ofi_score_components(const ofi_features *f, const ofi_variant *v, size_t i, double comp[9]);

/* The OFI of every case into ofi[0..n). Parallel; identical results for any thread count. */
void ofi_score_all(ofi_ctx *ctx, const ofi_features *f, const ofi_variant *v, double *ofi);

/* Domain-rule counts over the kept cases, in dq/domain_violations.csv order:
 * [0] unknown priority, [1..5] the five flags not 0 or 1 (section-1 order),
 * [6] negative delay_minutes, [7] negative resolution_minutes. */
void ofi_domain_violations(ofi_ctx *ctx, const ofi_db *db, uint64_t out[8]);

#endif
