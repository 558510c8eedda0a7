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
        }
        ofi_idmap_free(&t->index);
    }
    ofi_case_links *L = &db->links;
    free(L->touch);
    free(L->first_event);
    free(L->refund_cents);
    free(L->refund_n);
    free(L->case_date);
    free(L->customer_row);
    free(L->agent_row);
    free(L->product_row);
    free(L->issue_row);
    memset(db, 0, sizeof *db);
}

uint32_t ofi_table_lookup(const ofi_table *t, int64_t key)
{
    uint32_t row;
    return ofi_idmap_get(&t->index, key, &row) ? row : UINT32_MAX;
}
