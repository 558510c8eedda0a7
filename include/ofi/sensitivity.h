/* sensitivity.h - Monte Carlo uncertainty of the rankings under random weights (issue #4).
 *
 * Sample s (1..S) multiplies every baseline weight by its own factor u, uniform in
 * [1 - F, 1 + F]: the sampled weight is the double (points / per) * u, a plain number
 * (per 1), so a sample is an ordinary variant: `ofi run --weights` with the values of
 * sensitivity_samples.csv reproduces its scores bit for bit. The factors come from a
 * counter-based generator (splitmix64 of seed and (s, weight)), so they do not depend
 * on the thread count or on S.
 *
 * Every rank is exact: ranks among all cases (score desc, case_id asc) and among all
 * customers with cases (avg_ofi desc, customer_id asc), averages from correctly rounded
 * sums, tiers from the exact quantiles of each sample. Most cases never need a per-sample
 * rank: with u in [1 - F, 1 + F] each score lies between bounds known from the baseline's
 * components, so a case whose upper bound is below every top case's lower bound can never
 * outrank one of them (issue #4's hint, extended to components of either sign).
 */
#ifndef OFI_SENSITIVITY_H
#define OFI_SENSITIVITY_H

#include "ofi/ofi.h"
#include "ofi/outset.h"
#include "ofi/score.h"
#include "ofi/table.h"
#include "ofi/weights.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ofi_sens_opts {
    uint64_t samples; /* S >= 1 */
    double spread;    /* F, 0 <= F <= 1 */
    uint64_t seed;
    size_t top_n;     /* N of the top-N questions */
} ofi_sens_opts;

/* The factor u of weight w in sample s (1-based) for a seed and spread: exactly
 * (1 - F) + (2 F) * U with U = (splitmix64(seed + (s * OFI_W_N + w + 1) * golden) >> 11)
 * * 2^-53. Exposed for tests. */
double ofi_sens_factor(uint64_t seed, uint64_t s, int w, double spread);

/* Write variants/sensitivity_samples.csv (sample, then the eleven sampled weights as %.17g),
 * sensitivity_cases.csv (the baseline's top-N cases: baseline_rank, case_id,
 * baseline_ofi, median_rank, p05_rank, p95_rank, top_n_share), sensitivity_customers.csv
 * (the baseline's top-N customers: baseline_rank, customer_id, baseline_avg_ofi,
 * median_rank, p05_rank, p95_rank, top_n_share) and sensitivity_tiers.csv (every customer
 * with cases, in the baseline's order: customer_id, baseline_tier, low_share,
 * medium_share, high_share). Rank percentiles are SPEC section 4's quantile over the S
 * ranks. base is the baseline variant; its multipliers apply to every sample.
 * @return OFI_OK, OFI_E_OUTPUT or OFI_E_NOMEM. */
ofi_status ofi_sensitivity_write(ofi_ctx *ctx, ofi_outset *set, const ofi_db *db,
                                 const ofi_features *f, const ofi_variant *base,
                                 const ofi_sens_opts *o);

#endif
