/* parse.h - typed value parsing shared by every source (SPEC section 7, "Reading").
 *
 * Each parser takes a field as bytes (not NUL-terminated), trims ASCII whitespace and
 * returns one of the OFI_PV_* results. A field that is empty after trimming is NULL.
 * All functions are pure and thread-safe.
 */
#ifndef OFI_PARSE_H
#define OFI_PARSE_H

#include "ofi/ofi.h"

#include <stddef.h>
#include <stdint.h>

enum {
    OFI_PV_OK = 0,    /* parsed; *out is set */
    OFI_PV_NULL = 1,  /* empty or whitespace-only: NULL; *out untouched */
    OFI_PV_BAD = 2,   /* does not parse */
    OFI_PV_RANGE = 3  /* parses but does not fit the type */
};

/* 1 when the field is empty or only ASCII whitespace. */
int ofi_is_blank(const char *s, size_t n);

/* Integer: optional sign, digits, optionally '.' and zeros ("12.0"). Fits int64 except
 * INT64_MIN (OFI_PV_RANGE). */
int ofi_parse_int(const char *s, size_t n, int64_t *out);

/* Decimal: d, d.d, .d, with an optional exponent, or a comma as the decimal mark.
 * nan and inf are OFI_PV_BAD, values beyond a double OFI_PV_RANGE. Correctly rounded. */
int ofi_parse_dec(const char *s, size_t n, double *out);

/* Money: the decimal grammar above, rounded half-up (away from zero) to integer cents,
 * exactly (no binary floating point involved). OFI_PV_RANGE beyond int64 cents. */
int ofi_parse_money(const char *s, size_t n, int64_t *cents);

/* DATE: YYYY-MM-DD, optionally followed by ' ' or 'T' and a time HH:MM[:SS[.f]].
 * *days is the day number of date.h. */
int ofi_parse_date(const char *s, size_t n, int32_t *days);

/* DATETIME: YYYY-MM-DD[ T]HH:MM[:SS[.f]]; the time is required. *days gets the date part
 * (the engine only needs the day of an event); *tod, when not NULL, gets the time of day
 * in nanoseconds (fraction digits past the ninth ignored), so that rows can be compared. */
int ofi_parse_datetime(const char *s, size_t n, int32_t *days, uint64_t *tod);

#endif
