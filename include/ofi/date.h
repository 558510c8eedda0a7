/* date.h - proleptic Gregorian dates as day numbers, and ISO weeks.
 *
 * A date is an int32 count of days since 1970-01-01 (negative before). OFI_NO_DATE marks
 * the absence of a date. All functions are pure and thread-safe.
 */
#ifndef OFI_DATE_H
#define OFI_DATE_H

#include <stdint.h>

#define OFI_NO_DATE INT32_MIN

/* Days since 1970-01-01 of y-m-d. @pre m in 1..12, d in 1..31. */
int32_t ofi_days_from_civil(int y, int m, int d);

/* Inverse of ofi_days_from_civil. */
void ofi_civil_from_days(int32_t days, int *y, int *m, int *d);

/* Number of days in month m of year y. */
int ofi_days_in_month(int y, int m);

/* ISO 8601 week of a date: the Monday that starts it, its ISO year and week number. */
void ofi_iso_week(int32_t days, int32_t *monday, int *iso_year, int *iso_week);

/* A month key, y * 12 + (m - 1), of a date: months sort as integers. */
int32_t ofi_month_key(int32_t days);

/* Writes "YYYY-MM-DD" (10 bytes, no terminator) and returns 10. @pre year 0..9999. */
int ofi_format_date(int32_t days, char *out);

/* Writes "YYYY-MM" (7 bytes, no terminator) for a month key and returns 7. */
int ofi_format_month(int32_t month_key, char *out);

#endif
