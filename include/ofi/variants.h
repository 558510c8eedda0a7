/* variants.h - scoring K weight variants and comparing their rankings (SPEC section 5).
 *
 * For every variant of a weights file (the first is the baseline) the cases are scored,
 * ranked and grouped by customer, and compared with the baseline: top-N overlap,
 * Spearman correlation of the cases' and of the customers' scores (average ranks for
 * ties), Kendall's tau-b over the union of the two top-N sets, customers changing tier.
 * Correlations use exact integer sums of doubled ranks, so they do not depend on order.
 */
#ifndef OFI_VARIANTS_H
#define OFI_VARIANTS_H

#include "ofi/ofi.h"
#include "ofi/outset.h"
#include "ofi/score.h"
#include "ofi/table.h"
#include "ofi/weights.h"

#include <stddef.h>

/* Write variants/variant_summary.csv, variant_top_cases.csv and
 * variant_tier_migration.csv (SPEC section 5) for every variant of w, with top_n cases per
 * top list, and two more files: variant_rank_shifts.csv (variant,
 * mean_abs_rank_shift_cases, mean_abs_rank_shift_customers, tier_change_share: positions
 * in each ranking, ties broken by id, against the baseline's) and variant_top_changes.csv
 * (variant, change = entering|leaving, case_id, baseline_rank, variant_rank: cases that
 * enter or leave the top N, entering in the variant's order then leaving in the
 * baseline's).
 * @return OFI_OK, OFI_E_OUTPUT or OFI_E_NOMEM. */
ofi_status ofi_variants_write(ofi_ctx *ctx, ofi_outset *set, const ofi_db *db,
                              const ofi_features *f, const ofi_weights *w, size_t top_n);

#endif
