/* gen.h - the synthetic data generator: writes the eight input tables of SPEC section 1.
 *
 * The generator produces realistic support-case data (distributions taken from the
 * statistics of a real sample) for tests and benchmarks, optionally with injected
 * data-quality problems. Its output is a pure function of (n_cases, seed, dirty_rate): the
 * bytes are identical whatever ctx->n_threads is, and on every machine (all sampling is
 * integer arithmetic on a fixed RNG; see the comment at the top of src/gen/gen.c).
 */
#ifndef OFI_GEN_H
#define OFI_GEN_H

#include <stdint.h>

#include "ofi/ofi.h"

/* What to generate. */
typedef struct ofi_gen_opts {
    uint64_t n_cases;  /* cases to write (ids 1..n_cases, at most 2^32 - 1); 0 writes
                          empty fact tables */
    uint64_t seed;     /* any value; the same seed gives the same bytes */
    const char *out_dir; /* directory for the eight <table>.csv files (created if missing) */
    double dirty_rate; /* 0 = clean data; in (0, 1]: the fraction of case, timeline and
                          refund rows given one injected problem (bad ids, orphans,
                          duplicates, malformed rows, NULLs, odd text, ...) */
} ofi_gen_opts;

/* Write out_dir/{calendar,customers,agents,products,issue_catalog,cases,case_timeline,
 * refunds}.csv: UTF-8, '\n' line ends, one header row with the section-1 columns in
 * section-1 order. Sizes: about n_cases/4 customers, max(20, n_cases/500) agents,
 * max(50, n_cases/240) products, ~7 timeline events and ~0.09 refunds per case.
 *
 * Uses ctx->n_threads OpenMP threads; memory is about 40 MiB per thread, whatever n_cases.
 * Files are written in place (not via a temporary name); an existing file is replaced.
 *
 * @pre ctx initialised (ofi_ctx_init); opts non-NULL.
 * @return OFI_OK;
 *         OFI_E_USAGE when out_dir is NULL or empty, dirty_rate is not in [0, 1] or
 *         n_cases > 2^32 - 1;
 *         OFI_E_OUTPUT when out_dir cannot be created, a file cannot be written, closed
 *         or renamed into place, or another gen is writing out_dir (the message in
 *         ctx->err names the directory or file);
 *         OFI_E_NOMEM when a buffer cannot be allocated.
 *         The files are written to temporary names and renamed into place together at
 *         the end (ofi_outset): on failure nothing in out_dir is replaced.
 * Thread safety: reentrant; calls with different contexts may run concurrently (two on
 * the same out_dir: the second fails, OFI_E_OUTPUT).
 */
ofi_status ofi_gen_write(ofi_ctx *ctx, const ofi_gen_opts *opts);

#endif
