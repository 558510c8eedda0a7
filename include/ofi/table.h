/* table.h - loaded tables as struct-of-arrays columns, and the database of one run.
 *
 * A stored table keeps its kept rows (first row of each primary key, source order) as one
 * array per column: ids as int64 (OFI_NULL_I64 for NULL), INT columns as int32 and flags
 * as int8 (NULL and "wide" sentinels; the rare value that does not fit lives in the
 * column's sorted side list, see ofi_table_int), decimals as double (NaN for NULL), money
 * as int64 cents (OFI_NULL_I64), dates as int32 day numbers (OFI_NO_DATE), text as uint32
 * dictionary codes (0 for NULL). case_timeline and refunds are not stored: their rows
 * stream through the join into per-case counters.
 *
 * Data-quality counters (records, rejects, duplicates, missing values) are filled while
 * loading, never by re-reading.
 *
 * Ownership: ofi_db_free releases everything (accepts a zeroed db).
 */
#ifndef OFI_TABLE_H
#define OFI_TABLE_H

#include "ofi/dict.h"
#include "ofi/idmap.h"
#include "ofi/ofi.h"
#include "ofi/schema.h"

#include <math.h>
#include <stdint.h>

typedef union ofi_colvals {
    int8_t *i8;
    uint8_t *u8;
    int64_t *i64;
    double *f64;
    int32_t *i32;
    uint32_t *code;
    void *p;
} ofi_colvals;

/* Narrow integer columns: sentinels for NULL and for a value kept in the side list. */
#define OFI_I8_NULL INT8_MIN
#define OFI_I8_WIDE (INT8_MIN + 1)
#define OFI_I32_NULL INT32_MIN
#define OFI_I32_WIDE (INT32_MIN + 1)

/* Values of a narrow column that do not fit it, by row (ascending). */
typedef struct ofi_wide {
    uint64_t *row;
    int64_t *val;
    size_t n, cap;
} ofi_wide;

typedef struct ofi_table {
    ofi_table_id id;
    const ofi_tablespec *spec;
    int stored;                     /* rows kept in memory */
    int present[OFI_MAX_COLS];      /* the column was found in the source */
    size_t n_rows, cap_rows;        /* kept rows (stored tables) */
    ofi_colvals col[OFI_MAX_COLS];  /* stored tables only */
    ofi_dict dict[OFI_MAX_COLS];    /* text columns of stored tables */
    ofi_wide wide[OFI_MAX_COLS];    /* side lists of narrow integer columns */
    uint8_t code8[OFI_MAX_COLS];    /* text column stored as uint8 codes (small dictionary) */
    uint8_t by_row[OFI_MAX_COLS];   /* cases' foreign keys: stored as the parent's row
                                       (uint32 in col[].code, UINT32_MAX for NULL or
                                       orphan), orphan ids in the side list; the parents
                                       load first. See ofi_case_fk. */
    ofi_idmap index;                /* primary key -> row (stored) or key set */
    int ids_dense;                  /* row r's id is id_base + r, for every row (a stored
                                       table's ids in order without gaps: auto-increment
                                       keys, exported in key order): a lookup is a
                                       subtraction (see ofi_table_mark_dense) */
    int64_t id_base;
    /* data quality */
    int loaded;
    uint64_t n_records;  /* data records in the source, rejected ones included */
    uint64_t n_rejected; /* rows that could not be read */
    uint64_t n_kept;     /* rows kept after duplicate-id rejection */
    uint64_t n_full_dups, n_pk_dups;
    uint64_t missing[OFI_MAX_COLS];
} ofi_table;

/* Per-case results of the timeline and refund joins, and resolved parents. Arrays of
 * cases.n_rows entries; the *_row arrays are aliases of the cases table's columns. */
typedef struct ofi_case_links {
    uint32_t *touch;         /* kept timeline events of the case */
    int32_t *first_event;    /* date of the earliest event timestamp, or OFI_NO_DATE */
    int64_t *refund_cents;   /* exact sum of kept refund amounts */
    uint32_t *refund_n;      /* kept refund rows */
    int32_t *case_date;      /* calendar date, else first_event, else OFI_NO_DATE */
    uint32_t *customer_row;  /* row in customers, or UINT32_MAX (NULL or orphan) */
    uint32_t *agent_row;
    uint32_t *product_row;
    uint32_t *issue_row;
} ofi_case_links;

/* The database of one run. */
typedef struct ofi_db {
    ofi_table t[OFI_N_TABLES];
    ofi_case_links links;
    uint64_t orphans[OFI_N_FKS]; /* per foreign key of ofi_fks */
    uint64_t refund_overflow;    /* 1 + the first case row whose refund cents left the
                                    int64 range as they were summed; 0: none */
} ofi_db;

/* Prepare an empty database whose indexes have n_parts partitions.
 * @return OFI_OK or OFI_E_NOMEM. */
ofi_status ofi_db_init(ofi_db *db, int n_parts);

void ofi_db_free(ofi_db *db);


/* Typed NULL tests for stored values. */
static inline int ofi_is_null_i64(int64_t v)
{
    return v == INT64_MIN;
}
static inline int ofi_is_null_f64(double v)
{
    return isnan(v);
}

/* Bytes a stored value of a column type takes. */
size_t ofi_col_width(ofi_ctype type);

/* Bytes a stored value of a table's column takes (4 for a key held as a parent row). */
size_t ofi_table_col_width(const ofi_table *t, int col);

/* The value behind an OFI_I8_WIDE / OFI_I32_WIDE sentinel. */
int64_t ofi_table_wide(const ofi_table *t, int col, size_t row);

/* The value of an integer column (ID, INT or FLAG) at a row, whatever its width:
 * OFI_NULL_I64 for NULL. Inline: it sits in per-case loops. */
static inline int64_t ofi_table_int(const ofi_table *t, int col, size_t row)
{
    switch (t->spec->cols[col].type) {
    case OFI_COL_FLAG: {
        const int8_t v = t->col[col].i8[row];
        return v == OFI_I8_NULL ? OFI_NULL_I64 : v == OFI_I8_WIDE ? ofi_table_wide(t, col, row) : v;
    }
    case OFI_COL_INT: {
        const int32_t v = t->col[col].i32[row];
        return v == OFI_I32_NULL ? OFI_NULL_I64 : v == OFI_I32_WIDE ? ofi_table_wide(t, col, row) : v;
    }
    default:
        return t->col[col].i64[row];
    }
}

/* Find a stored table's row by primary key. @return the row, or UINT32_MAX. */
uint32_t ofi_table_lookup(const ofi_table *t, int64_t key);

/* Set ids_dense and id_base when a loaded stored table's ids are id_base + row for
 * every row. */
void ofi_table_mark_dense(ofi_table *t);

/* Row r's primary key. */
static inline int64_t ofi_table_key(const ofi_table *t, uint32_t r)
{
    return t->ids_dense ? t->id_base + (int64_t)r : t->col[0].i64[r];
}

/* The dictionary code of a text column at a row, whatever its width (0 for NULL). */
static inline uint32_t ofi_table_code(const ofi_table *t, int col, size_t row)
{
    return t->code8[col] ? t->col[col].u8[row] : t->col[col].code[row];
}

/* The text of a stored text column at row r: NULL yields (NULL, 0). */
static inline const char *ofi_table_text(const ofi_table *t, int col, size_t row, size_t *len)
{
    const uint32_t code = ofi_table_code(t, col, row);
    if (code == 0) {
        *len = 0;
        return NULL;
    }
    return ofi_dict_str(&t->dict[col], code, len);
}

/* Shrink the db once it is fully loaded and joined, so that scoring and aggregation peak
 * lower: free the id indexes of every table (ofi_table_lookup is unavailable afterwards),
 * the cases' first-event dates and calendar rows (case_date holds the result); store
 * small-dictionary text columns of cases as one byte per row. @return OFI_OK or
 * OFI_E_NOMEM (the db stays consistent). */
ofi_status ofi_db_compact(ofi_db *db);

/* A foreign-key id of case row i (col one of OFI_CAS_CUSTOMER, _AGENT, _PRODUCT, _ISSUE):
 * the parent's id, the orphan id from the side list, or OFI_NULL_I64 for NULL.
 * @pre ofi_join_cases ran (links hold the rows). */
static inline int64_t ofi_case_fk(const ofi_db *db, int col, size_t i)
{
    const ofi_table *cs = &db->t[OFI_T_CASES];
    if (!cs->by_row[col])
        return cs->col[col].i64[i];
    const ofi_case_links *L = &db->links;
    const uint32_t *rows = col == OFI_CAS_CUSTOMER ? L->customer_row
                           : col == OFI_CAS_AGENT  ? L->agent_row
                           : col == OFI_CAS_PRODUCT ? L->product_row
                                                    : L->issue_row;
    const ofi_table *parent = col == OFI_CAS_CUSTOMER ? &db->t[OFI_T_CUSTOMERS]
                              : col == OFI_CAS_AGENT  ? &db->t[OFI_T_AGENTS]
                              : col == OFI_CAS_PRODUCT ? &db->t[OFI_T_PRODUCTS]
                                                       : &db->t[OFI_T_ISSUES];
    const uint32_t r = rows[i];
    return r != UINT32_MAX ? ofi_table_key(parent, r) : ofi_table_wide(cs, col, i);
}

#endif
