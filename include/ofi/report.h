/* report.h - outputs/reports/: the manager's report, the summary CSV, the run manifest.
 *
 * The report quotes the numbers of ofi_summary (the same values as the CSV files). The
 * manifest lists every output written before it, with its size and XXH64.
 */
#ifndef OFI_REPORT_H
#define OFI_REPORT_H

#include "ofi/ofi.h"
#include "ofi/outset.h"
#include "ofi/run.h"
#include "ofi/table.h"
#include "ofi/weights.h"

typedef struct ofi_report_in {
    const ofi_run_opts *opts;
    const ofi_db *db;
    const ofi_variant *v;
    const ofi_run_result *res;
    const uint64_t *domain; /* 8 counts, ofi_domain_violations order */
    const char *started;    /* ISO 8601 UTC start time */
    const char *source;     /* source description, no password */
} ofi_report_in;

/* Write reports/project_report.txt and reports/ofi_summary.csv. */
ofi_status ofi_reports_write(ofi_ctx *ctx, ofi_outset *set, const ofi_report_in *in);

/* Write the command's manifest listing every file of the set so far, beside them:
 * reports/run_manifest.json (`ofi run`), variants/variants_manifest.json,
 * variants/sensitivity_manifest.json, extracts/extract_manifest.json (so that none
 * replaces another's). */
ofi_status ofi_manifest_write(ofi_ctx *ctx, ofi_outset *set, const ofi_report_in *in,
                              const char *ended);

#endif
