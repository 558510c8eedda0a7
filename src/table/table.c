/* table.c - the run's database: creation, lookups, release.
 *
 * Stored tables index their primary key to a row (fingerprint + value); case_timeline and
 * refunds keep only a key set with fingerprints, for duplicate detection.
 */
#include "ofi/table.h"

#include <stdlib.h>
#include <string.h>

ofi_status ofi_db_init(ofi_db *db, int n_parts)
{
    memset(db, 0, sizeof *db);
    for (int i = 0; i < OFI_N_TABLES; i++) {
        ofi_table *t = &db->t[i];
        t->id = (ofi_table_id)i;
        t->spec = &ofi_schema[i];
        t->stored = i != OFI_T_TIMELINE && i != OFI_T_REFUNDS;
        if (i == OFI_T_CASES) /* date, customer, agent, product, issue: parent rows */
            for (int f = 0; f < 5; f++)
                t->by_row[ofi_fks[f].child_col] = 1;
        if (ofi_idmap_init(&t->index, n_parts, t->stored) != OFI_OK) {
            ofi_db_free(db);
            return OFI_E_NOMEM;
        }
    }
    return OFI_OK;
}

void ofi_db_free(ofi_db *db)
{
    if (db == NULL)
        return;
    for (int i = 0; i < OFI_N_TABLES; i++) {
        ofi_table *t = &db->t[i];
        for (int c = 0; c < OFI_MAX_COLS; c++) {
            free(t->col[c].p);
            ofi_dict_free(&t->dict[c]);
            free(t->wide[c].row);
            free(t->wide[c].val);
        }
        ofi_idmap_free(&t->index);
    }
    ofi_case_links *L = &db->links; /* the *_row arrays alias cases columns */
    free(L->touch);
    free(L->first_event);
    free(L->refund_cents);
    free(L->refund_n);
    free(L->case_date);
    memset(db, 0, sizeof *db);
}

uint32_t ofi_table_lookup(const ofi_table *t, int64_t key)
{
    if (t->ids_dense) {
        const uint64_t r = (uint64_t)key - (uint64_t)t->id_base;
        return r < t->n_rows ? (uint32_t)r : UINT32_MAX;
    }
    uint32_t row;
    return ofi_idmap_get(&t->index, key, &row) ? row : UINT32_MAX;
}

void ofi_table_mark_dense(ofi_table *t)
{
    t->ids_dense = 0;
    if (!t->stored || t->n_rows == 0)
        return;
    const int64_t *id = t->col[0].i64, base = id[0];
    if (base > INT64_MAX - (int64_t)(t->n_rows - 1)) /* the last id would overflow */
        return;
    for (size_t r = 1; r < t->n_rows; r++)
        if (id[r] != base + (int64_t)r)
            return;
    t->id_base = base;
    t->ids_dense = 1;
}

size_t ofi_table_col_width(const ofi_table *t, int col)
{
    return t->by_row[col] ? sizeof(uint32_t) : ofi_col_width(t->spec->cols[col].type);
}

size_t ofi_col_width(ofi_ctype type)
{
    switch (type) {
    case OFI_COL_FLAG:
        return 1;
    case OFI_COL_INT:
    case OFI_COL_DATE:
    case OFI_COL_DATETIME:
    case OFI_COL_TEXT:
        return 4;
    default:
        return 8;
    }
}

int64_t ofi_table_wide(const ofi_table *t, int col, size_t row)
{
    const ofi_wide *w = &t->wide[col];
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->row[mid] < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->n && w->row[lo] == row ? w->val[lo] : OFI_NULL_I64;
}

/* Re-store a text column as one byte per row when its dictionary is small. */
static ofi_status narrow_codes(ofi_table *t, int col)
{
    if (t->code8[col] || ofi_dict_size(&t->dict[col]) > 256)
        return OFI_OK;
    uint8_t *c8 = malloc(t->n_rows ? t->n_rows : 1);
    if (c8 == NULL)
        return OFI_E_NOMEM;
    for (size_t i = 0; i < t->n_rows; i++)
        c8[i] = (uint8_t)t->col[col].code[i];
    free(t->col[col].p);
    t->col[col].u8 = c8;
    t->code8[col] = 1;
    return OFI_OK;
}

ofi_status ofi_db_compact(ofi_db *db)
{
    for (int i = 0; i < OFI_N_TABLES; i++)
        ofi_idmap_free(&db->t[i].index);
    free(db->links.first_event);
    db->links.first_event = NULL;
    ofi_table *cs = &db->t[OFI_T_CASES];
    free(cs->col[OFI_CAS_DATE_ID].p);
    cs->col[OFI_CAS_DATE_ID].p = NULL;
    OFI_TRY(narrow_codes(cs, OFI_CAS_CHANNEL));
    OFI_TRY(narrow_codes(cs, OFI_CAS_STATUS));
    OFI_TRY(narrow_codes(cs, OFI_CAS_PRIORITY));
    return OFI_OK;
}
