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

/* Per-case inputs of the score: a view over the cases' columns and join results, plus
 * two bytes per case (priority class and flags) and small per-parent arrays (the issue's
 * friction weight and severity multiplier, the customer's segment multiplier, with one
 * extra entry for a missing parent). Nothing per case is copied beyond those two bytes.
 * Owned arrays are freed by ofi_features_free; the rest is borrowed from the db, which
 * must outlive the features. */
typedef struct ofi_features {
    size_t n;
    uint8_t *prio;  /* OFI_PRIO_*; unknown scores as low */
    uint8_t *flags; /* bit 0 escalated, 1 reopened, 2 has_refund, 3 is_delayed */
    unsigned flags_exact; /* bit b set: flag b's column holds only 0 and 1 (no NULL, no
                           * other value), so flags[i] bit b is the column's value itself */
    const ofi_table *cases;
    const int32_t *delay_min, *resolution_min; /* narrow columns with sentinels */
    int minutes_past_64; /* 1: the sum of max(resolution_minutes, 0) over all cases needs
                          * more than 63 bits (then groupings sum minutes in 128) */
    const int64_t *refund_cents;
    const uint32_t *touch;
    const uint32_t *issue_row, *customer_row;
    double *issue_fw;  /* friction_weight per issue row, 0 when NULL; [n_issues] = 0 */
    double *issue_sev; /* severity_multiplier per issue row, 1 when NULL; [n_issues] = 1 */
    double *cust_seg;  /* segment_multiplier per customer row, 1 when NULL; [n_customers] = 1 */
    uint32_t n_issues, n_customers;
} ofi_features;

/* max(minutes, 0) of case i from a narrow minutes column, NULL as 0. */
static inline int64_t ofi_feature_minutes(const ofi_features *f, const int32_t *col, int colno,
                                          size_t i)
{
    int64_t v = col[i];
    if (v == OFI_I32_NULL)
        return 0;
    if (v == OFI_I32_WIDE)
        v = ofi_table_wide(f->cases, colno, i);
    return v > 0 ? v : 0;
}

/* The class of a priority text (trimmed, case-insensitive; "med" is medium). */
int ofi_priority_class(const char *s, size_t len);

/* Build the features of every case. @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_features_build(ofi_ctx *ctx, const ofi_db *db, ofi_features *f);

void ofi_features_free(ofi_features *f);

/* The nine component scores of case i, in output order, and its OFI. */
double ofi_score_components(const ofi_features *f, const ofi_variant *v, size_t i, double comp[9]);

/* A case's inputs of the formula, as ofi_features holds them for case i. */
typedef struct ofi_case_in {
    uint8_t prio, flags;  /* as ofi_features */
    uint32_t issue_row;   /* UINT32_MAX: none */
    uint32_t touch;
    int64_t delay, resolution; /* minutes, clamped at 0, NULL as 0 */
    int64_t refund_cents;
} ofi_case_in;

ofi_case_in ofi_case_inputs(const ofi_features *f, size_t i);

/* The nine component scores of a case from its inputs: the same arithmetic as
 * ofi_score_components (one function computes both), for a writer that gathered the
 * inputs itself. */
void ofi_score_terms(const ofi_features *f, const ofi_variant *v, const ofi_case_in *in,
                     double comp[9]);

/* The OFI of every case into ofi[0..n), case by case: the plain loop, kept as the reference
 * the blocked kernel (ofi_score_multi, which runs use) is tested against. Parallel;
 * identical results for any thread count. */
void ofi_score_all(ofi_ctx *ctx, const ofi_features *f, const ofi_variant *v, double *ofi);

/* The OFI of k variants in one pass over the cases: out[q][0..n) receives v[q]'s scores,
 * bit-identical to ofi_score_all(v[q]). Cases are read once per block of 512 (their inputs
 * gathered into flat arrays) and every variant is computed over the block in vectorised
 * loops (AVX-512 or AVX2 when the CPU has them, chosen at load time). Parallel over
 * blocks; identical results for any thread count. @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_score_multi(ofi_ctx *ctx, const ofi_features *f, const ofi_variant *v, int k,
                           double *const *out);

/* Domain-rule counts over the kept cases, in dq/domain_violations.csv order:
 * [0] unknown priority, [1..5] the five flags not 0 or 1 (section-1 order),
 * [6] negative delay_minutes, [7] negative resolution_minutes. */
void ofi_domain_violations(ofi_ctx *ctx, const ofi_db *db, uint64_t out[8]);

#endif
