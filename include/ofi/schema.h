/* schema.h - the eight input tables of SPEC section 1: names, columns and their types.
 *
 * The tables and their columns are listed in section-1 order; every output that lists
 * tables or columns (dq/, fk/) uses this order. Column 0 is always the primary key.
 */
#ifndef OFI_SCHEMA_H
#define OFI_SCHEMA_H

typedef enum ofi_ctype {
    OFI_COL_ID,       /* primary or foreign key: int64 */
    OFI_COL_INT,      /* INT: int64 */
    OFI_COL_FLAG,     /* one of the five 0/1 flags: int64 */
    OFI_COL_DEC,      /* DECIMAL: double */
    OFI_COL_MONEY,    /* DECIMAL money: int64 cents */
    OFI_COL_DATE,     /* DATE: int32 day number */
    OFI_COL_DATETIME, /* DATETIME: int32 day number of its date */
    OFI_COL_TEXT      /* text: dictionary code */
} ofi_ctype;

typedef enum ofi_table_id {
    OFI_T_CALENDAR,
    OFI_T_CUSTOMERS,
    OFI_T_AGENTS,
    OFI_T_PRODUCTS,
    OFI_T_ISSUES,
    OFI_T_CASES,
    OFI_T_TIMELINE,
    OFI_T_REFUNDS,
    OFI_N_TABLES
} ofi_table_id;

#define OFI_MAX_COLS 16

typedef struct ofi_colspec {
    const char *name;
    ofi_ctype type;
    const char *alias; /* another accepted header name, or NULL */
} ofi_colspec;

typedef struct ofi_tablespec {
    const char *name;
    int n_cols;
    ofi_colspec cols[OFI_MAX_COLS];
} ofi_tablespec;

/* Column indices, per table. */
enum { OFI_CAL_DATE_ID, OFI_CAL_DATE };
enum { OFI_CUS_ID, OFI_CUS_COUNTRY, OFI_CUS_REGION, OFI_CUS_SEGMENT, OFI_CUS_SIGNUP, OFI_CUS_SEGMUL };
enum { OFI_AGT_ID, OFI_AGT_TEAM };
enum { OFI_PRD_ID, OFI_PRD_GROUP };
enum { OFI_ISS_ID, OFI_ISS_CATEGORY, OFI_ISS_ROOT, OFI_ISS_SEVERITY, OFI_ISS_FRICTION, OFI_ISS_SEVMUL };
enum {
    OFI_CAS_ID, OFI_CAS_DATE_ID, OFI_CAS_CUSTOMER, OFI_CAS_AGENT, OFI_CAS_PRODUCT, OFI_CAS_ISSUE,
    OFI_CAS_CHANNEL, OFI_CAS_STATUS, OFI_CAS_PRIORITY, OFI_CAS_ESCALATED, OFI_CAS_REOPENED,
    OFI_CAS_DELAYED, OFI_CAS_DELAY_MIN, OFI_CAS_CANCELLED, OFI_CAS_RESOLUTION_MIN, OFI_CAS_HAS_REFUND
};
enum { OFI_TL_EVENT_ID, OFI_TL_CASE_ID, OFI_TL_EVENT_TYPE, OFI_TL_TIMESTAMP };
enum { OFI_REF_ID, OFI_REF_CASE_ID, OFI_REF_TYPE, OFI_REF_AMOUNT };

/* The eight table specifications, indexed by ofi_table_id. */
extern const ofi_tablespec ofi_schema[OFI_N_TABLES];

/* A foreign key of SPEC section 1. */
typedef struct ofi_fkspec {
    ofi_table_id child;
    int child_col;
    ofi_table_id parent;
} ofi_fkspec;

#define OFI_N_FKS 7
extern const ofi_fkspec ofi_fks[OFI_N_FKS];

#endif
