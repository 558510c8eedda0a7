/* extract.h - outputs/extracts/<table>.csv: each table as read from a MySQL source.
 *
 * An ofi_extract_fn (load.h) that writes the rows as they stream, so no second query is
 * needed: a header of the columns read, then one CSV line per row (quoted where needed,
 * SQL NULL as an empty field), into the run's output set (temporary names, renamed with
 * everything else at the end).
 *
 * Ownership: the sink borrows ctx and set; ofi_extracts_close releases its buffer and
 * closes a file left open by a failed load.
 */
#ifndef OFI_EXTRACT_H
#define OFI_EXTRACT_H

#include "ofi/load.h"
#include "ofi/outbuf.h"
#include "ofi/outset.h"

typedef struct ofi_extracts {
    ofi_ctx *ctx;
    ofi_outset *set;
    ofi_outstream out;
    int open;
    ofi_outbuf buf;
} ofi_extracts;

/* The ofi_extract_fn; user is an ofi_extracts with ctx and set filled in. */
ofi_status ofi_extract_write(void *user, ofi_table_id table, const char *const *names, int nf,
                             const ofi_field *rows, size_t n_rows);

void ofi_extracts_close(ofi_extracts *x);

#endif
