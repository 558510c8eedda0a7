/* dq.c - data-quality and foreign-key integrity files, in section-1 order.
 */
#include "ofi/dq.h"

#include "ofi/outbuf.h"

#include <string.h>

ofi_status ofi_rejects_open(ofi_ctx *ctx, ofi_outset *set, ofi_rejects *r)
{
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->set = set;
    OFI_TRY(ofi_outset_open(ctx, set, "dq/rejected_rows.csv", &r->out));
    static const char header[] = "table,row_number,reason,raw\n";
    return ofi_outstream_write(ctx, set, &r->out, header, sizeof header - 1);
}

ofi_status ofi_rejects_write(void *user, ofi_table_id table, uint64_t row, const char *reason,
                             const char *raw, size_t raw_len)
{
    ofi_rejects *r = user;
    ofi_outbuf b = {0};
    ofi_puts(&b, ofi_schema[table].name);
    ofi_putc(&b, ',');
    ofi_put_u64(&b, row);
    ofi_putc(&b, ',');
    ofi_put_text(&b, reason, strlen(reason));
    ofi_putc(&b, ',');
    ofi_put_text(&b, raw, raw_len);
    ofi_putc(&b, '\n');
    ofi_status st = ofi_outbuf_failed(&b) ? ofi_fail(r->ctx, OFI_E_NOMEM, "out of memory")
                                          : ofi_outstream_write(r->ctx, r->set, &r->out, b.p, b.len);
    ofi_outbuf_free(&b);
    r->n++;
    return st;
}

ofi_status ofi_rejects_close(ofi_rejects *r)
{
    return ofi_outset_close(r->ctx, r->set, &r->out);
}

ofi_status ofi_dq_write(ofi_ctx *ctx, ofi_outset *set, const ofi_db *db, const uint64_t domain[8])
{
    ofi_outbuf rc = {0}, mv = {0}, du = {0}, dv = {0}, fk = {0};
    ofi_puts(&rc, "table,rows,cols\n");
    ofi_puts(&mv, "table,column,missing_count\n");
    ofi_puts(&du, "table,check,count\n");
    for (int ti = 0; ti < OFI_N_TABLES; ti++) {
        const ofi_table *t = &db->t[ti];
        const ofi_tablespec *sp = t->spec;
        ofi_puts(&rc, sp->name);
        ofi_putc(&rc, ',');
        ofi_put_u64(&rc, t->n_records);
        ofi_putc(&rc, ',');
        ofi_put_u64(&rc, (uint64_t)sp->n_cols);
        ofi_putc(&rc, '\n');
        for (int c = 0; c < sp->n_cols; c++) {
            if (t->missing[c] == 0)
                continue;
            ofi_puts(&mv, sp->name);
            ofi_putc(&mv, ',');
            ofi_puts(&mv, sp->cols[c].name);
            ofi_putc(&mv, ',');
            ofi_put_u64(&mv, t->missing[c]);
            ofi_putc(&mv, '\n');
        }
        ofi_puts(&du, sp->name);
        ofi_puts(&du, ",full_row_duplicates,");
        ofi_put_u64(&du, t->n_full_dups);
        ofi_putc(&du, '\n');
        ofi_puts(&du, sp->name);
        ofi_puts(&du, ",duplicate_in_");
        ofi_puts(&du, sp->cols[0].name);
        ofi_putc(&du, ',');
        ofi_put_u64(&du, t->n_pk_dups);
        ofi_putc(&du, '\n');
    }
    static const struct {
        const char *column, *rule;
    } rules[8] = {
        {"priority", "unknown_priority"},   {"escalated_flag", "not_0_or_1"},
        {"reopened_flag", "not_0_or_1"},    {"is_delayed", "not_0_or_1"},
        {"is_cancelled", "not_0_or_1"},     {"has_refund", "not_0_or_1"},
        {"delay_minutes", "negative"},      {"resolution_minutes", "negative"},
    };
    ofi_puts(&dv, "table,column,rule,count\n");
    for (int k = 0; k < 8; k++) {
        ofi_puts(&dv, "cases,");
        ofi_puts(&dv, rules[k].column);
        ofi_putc(&dv, ',');
        ofi_puts(&dv, rules[k].rule);
        ofi_putc(&dv, ',');
        ofi_put_u64(&dv, domain[k]);
        ofi_putc(&dv, '\n');
    }
    ofi_puts(&fk, "child_table,child_fk,parent_table,parent_pk,orphan_count\n");
    for (int k = 0; k < OFI_N_FKS; k++) {
        const ofi_tablespec *c = &ofi_schema[ofi_fks[k].child];
        const ofi_tablespec *p = &ofi_schema[ofi_fks[k].parent];
        ofi_puts(&fk, c->name);
        ofi_putc(&fk, ',');
        ofi_puts(&fk, c->cols[ofi_fks[k].child_col].name);
        ofi_putc(&fk, ',');
        ofi_puts(&fk, p->name);
        ofi_putc(&fk, ',');
        ofi_puts(&fk, p->cols[0].name);
        ofi_putc(&fk, ',');
        ofi_put_u64(&fk, db->orphans[k]);
        ofi_putc(&fk, '\n');
    }
    ofi_status st = ofi_outset_put(ctx, set, "dq/row_counts.csv", &rc);
    if (st == OFI_OK)
        st = ofi_outset_put(ctx, set, "dq/missing_values.csv", &mv);
    if (st == OFI_OK)
        st = ofi_outset_put(ctx, set, "dq/duplicates.csv", &du);
    if (st == OFI_OK)
        st = ofi_outset_put(ctx, set, "dq/domain_violations.csv", &dv);
    if (st == OFI_OK)
        st = ofi_outset_put(ctx, set, "fk/fk_orphans_summary.csv", &fk);
    ofi_outbuf_free(&rc);
    ofi_outbuf_free(&mv);
    ofi_outbuf_free(&du);
    ofi_outbuf_free(&dv);
    ofi_outbuf_free(&fk);
    return st;
}
