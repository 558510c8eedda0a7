/* extract.c - write MySQL tables to outputs/extracts/<table>.csv as they stream.
 */
#include "ofi/extract.h"

#include <stdio.h>
#include <string.h>

ofi_status ofi_extract_write(void *user, ofi_table_id table, const char *const *names, int nf,
                             const ofi_field *rows, size_t n_rows)
{
    ofi_extracts *x = user;
    ofi_outbuf *b = &x->buf;
    b->len = 0;
    if (rows == NULL && names != NULL) { /* a table starts: open its file, write the header */
        char rel[128];
        snprintf(rel, sizeof rel, "extracts/%s.csv", ofi_schema[table].name);
        OFI_TRY(ofi_outset_open(x->ctx, x->set, rel, &x->out));
        x->open = 1;
        for (int c = 0; c < nf; c++) {
            if (c)
                ofi_putc(b, ',');
            ofi_puts(b, names[c]);
        }
        ofi_putc(b, '\n');
    } else if (rows == NULL) { /* the table is done */
        x->open = 0;
        return ofi_outset_close(x->ctx, x->set, &x->out);
    } else {
        for (size_t r = 0; r < n_rows; r++) {
            const ofi_field *f = rows + r * (size_t)nf;
            if (nf == 1 && f[0].len == 0) {
                ofi_puts(b, "\"\"\n"); /* a lone empty field must not read back as a blank line */
                continue;
            }
            for (int c = 0; c < nf; c++) {
                if (c)
                    ofi_putc(b, ',');
                ofi_put_text(b, f[c].p, f[c].len);
            }
            ofi_putc(b, '\n');
        }
    }
    if (ofi_outbuf_failed(b))
        return ofi_fail(x->ctx, OFI_E_NOMEM, "out of memory writing extracts");
    return ofi_outstream_write(x->ctx, x->set, &x->out, b->p, b->len);
}

void ofi_extracts_close(ofi_extracts *x)
{
    if (x->open)
        ofi_outset_close(x->ctx, x->set, &x->out);
    x->open = 0;
    ofi_outbuf_free(&x->buf);
}
