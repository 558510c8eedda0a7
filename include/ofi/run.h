/* run.h - one whole run: load, join, score, aggregate, write every output.
 *
 * ofi_run is what `ofi run` does; tests and the bench call it too. All outputs are
 * written to temporary names and renamed into place only when everything succeeded: a
 * failed run replaces no file.
 */
#ifndef OFI_RUN_H
#define OFI_RUN_H

#include "ofi/ofi.h"
#include "ofi/views.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ofi_run_opts {
    const char *csv_dir;      /* CSV source directory, or NULL to read MySQL */
    const struct ofi_mysql_cfg *mysql; /* MySQL source settings when csv_dir is NULL */
    const char *out_dir;      /* outputs root (default "outputs") */
    const char *weights_path; /* INI weights file, or NULL for the defaults */
    const char *variant;      /* variant to score, or NULL for the file's first */
    size_t top_n;             /* rows of top_50_cases.csv (default 50) */
    int strict;               /* data-quality problems make the run fail with OFI_E_DQ */
    const char *command_line; /* for the manifest (must hold no secret), or NULL */
    int no_extract;           /* MySQL source: do not write outputs/extracts/ */
    int extract_only;         /* MySQL source: write outputs/extracts/ (and the manifest) only */
    int variants;             /* score every variant of the weights file and write
                                 outputs/variants/ (and the manifest) only */
    int sensitivity;          /* Monte Carlo: write outputs/variants/sensitivity_*.csv (and
                                 the manifest) only, baseline = the chosen variant */
    uint64_t samples;         /* sensitivity: S */
    double spread;            /* sensitivity: F */
    uint64_t seed;            /* sensitivity: the factors' seed */
} ofi_run_opts;

/* Phase timings, seconds. */
typedef struct ofi_phase_times {
    double read, join, score, sort, aggregate, write, total;
} ofi_phase_times;

typedef struct ofi_run_result {
    ofi_phase_times t;
    ofi_summary sum;
    uint64_t rejected, orphans, duplicates, violations;
    size_t peak_rss_kb; /* the process's peak resident memory at the end of the run */
    unsigned resumes;   /* MySQL: reads resumed after a lost connection */
    int consistent;     /* MySQL: every table read from one snapshot */
    int connections;    /* MySQL: connections that read (partitioned reads) */
    uint64_t score_bytes, aggregate_bytes; /* bytes of per-case data those phases need,
                                              read or written once (the bench's floor) */
} ofi_run_result;

/* Run the pipeline. @return OFI_OK; OFI_E_DQ under strict when rows were rejected or
 * duplicated, foreign keys orphaned or domain rules violated (outputs are still written);
 * OFI_E_USAGE (weights), OFI_E_SOURCE, OFI_E_OUTPUT or OFI_E_NOMEM. */
ofi_status ofi_run(ofi_ctx *ctx, const ofi_run_opts *opts, ofi_run_result *res);

#endif
