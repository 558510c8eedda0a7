/* views.h - the outputs/ofi/ files of SPEC section 4, and the numbers reports reuse.
 *
 * ofi_views_write computes every view from the scored cases and writes it into the output
 * set. It fills an ofi_summary with the headline numbers so that the reports quote the
 * very same values as the CSV files.
 */
#ifndef OFI_VIEWS_H
#define OFI_VIEWS_H

#include "ofi/ofi.h"
#include "ofi/outset.h"
#include "ofi/score.h"
#include "ofi/table.h"

#include <stddef.h>
#include <stdint.h>

#define OFI_UNKNOWN "(unknown)"
#define OFI_SUMMARY_TOP 10
#define OFI_SUMMARY_DRIVERS 5 /* product groups and root causes the report lists */

/* One line of the report's cost drivers: a group's name, cases, total and average OFI,
 * share of all friction. */
typedef struct ofi_driver {
    char name[128];
    uint64_t cases;
    double total_ofi, avg_ofi, share;
} ofi_driver;

typedef struct ofi_summary {
    uint64_t cases, customers, dated_cases;
    int64_t refund_cents;
    double total_ofi, avg_ofi, p50, p90, p99, max_ofi;
    double escalation_rate, reopen_rate, delay_rate, avg_resolution;
    double tier_t1, tier_t2;
    uint64_t tier_count[3]; /* low, medium, high */
    double top1pct_share;   /* share of total OFI held by the top 1% of cases */
    size_t n_top;
    int64_t top_case_id[OFI_SUMMARY_TOP];
    double top_case_ofi[OFI_SUMMARY_TOP];
    double last4_avg, prev4_avg; /* weekly avg OFI, last 4 full weeks vs the 4 before */
    int have_trend;
    int have_partial_week;       /* the last week with cases ends after the latest date: */
    int32_t partial_week;        /* its Monday, left out of the trend */
    size_t n_groups, n_roots; /* the first product groups and root causes by total OFI */
    ofi_driver groups[OFI_SUMMARY_DRIVERS], roots[OFI_SUMMARY_DRIVERS];
} ofi_summary;

/* Inputs of the views: the loaded db, the features, the chosen variant's scores, and the
 * case order (ofi desc, case_id asc). */
typedef struct ofi_scored {
    const ofi_db *db;
    const ofi_features *f;
    const ofi_variant *v;
    const double *ofi;
    const uint32_t *order;
    size_t top_n;
    double write_seconds;     /* out: time formatting and writing the big row files (cases,
                                 customers, tiers) */
    int scale;                /* internal: ofi_group_scale of ofi, set by ofi_views_write */
} ofi_scored;

/* Write the twelve ofi/ files. @return OFI_OK, OFI_E_OUTPUT or OFI_E_NOMEM. */
ofi_status ofi_views_write(ofi_ctx *ctx, ofi_outset *set, ofi_scored *s, ofi_summary *sum);

#endif
