/* test_date.c - day numbers, ISO weeks, month keys and date formatting (date.h).
 *
 * The references are independent of the library: a day counter walked through the
 * calendar with its own leap-year rule, and glibc's strftime %G/%V for ISO weeks.
 */
#include "ofi/date.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int ref_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int ref_dim(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ref_leap(y) ? 29 : d[m - 1];
}

static void expect_week(int y, int m, int d, int want_year, int want_week, int my, int mm, int md)
{
    int32_t days = ofi_days_from_civil(y, m, d), monday = 0;
    int iy = 0, iw = 0;
    ofi_iso_week(days, &monday, &iy, &iw);
    cr_expect_eq(iy, want_year, "%04d-%02d-%02d: ISO year %d, expected %d", y, m, d, iy, want_year);
    cr_expect_eq(iw, want_week, "%04d-%02d-%02d: ISO week %d, expected %d", y, m, d, iw, want_week);
    int32_t want_mon = ofi_days_from_civil(my, mm, md);
    cr_expect_eq(monday, want_mon, "%04d-%02d-%02d: Monday day %d, expected %d", y, m, d, monday,
                 want_mon);
}

Test(date, iso_week_known)
{
    expect_week(2024, 12, 30, 2025, 1, 2024, 12, 30);
    expect_week(2025, 12, 29, 2026, 1, 2025, 12, 29);
    expect_week(2026, 1, 1, 2026, 1, 2025, 12, 29);
    expect_week(2021, 1, 3, 2020, 53, 2020, 12, 28);
    expect_week(2020, 12, 31, 2020, 53, 2020, 12, 28);
    expect_week(2021, 1, 4, 2021, 1, 2021, 1, 4);
    expect_week(2008, 12, 29, 2009, 1, 2008, 12, 29);
    expect_week(2010, 1, 3, 2009, 53, 2009, 12, 28);
    expect_week(1970, 1, 1, 1970, 1, 1969, 12, 29);
    expect_week(1969, 12, 28, 1969, 52, 1969, 12, 22);
    expect_week(1900, 1, 1, 1900, 1, 1900, 1, 1);
    expect_week(2024, 2, 29, 2024, 9, 2024, 2, 26);
}

Test(date, known_day_numbers)
{
    cr_expect_eq(ofi_days_from_civil(1970, 1, 1), 0);
    cr_expect_eq(ofi_days_from_civil(1969, 12, 31), -1);
    cr_expect_eq(ofi_days_from_civil(2000, 3, 1), 11017);
    cr_expect_eq(ofi_days_from_civil(2024, 2, 29), 19782);
    cr_expect_eq(ofi_days_from_civil(1900, 1, 1), -25567);
    cr_expect_eq(ofi_days_from_civil(1, 1, 1), -719162);
    cr_expect_eq(ofi_days_from_civil(9999, 12, 31), 2932896);
}

Test(date, civil_round_trip_1900_2100)
{
    /* Walk the calendar day by day with an independent counter. */
    int32_t n = ofi_days_from_civil(1900, 1, 1);
    cr_assert_eq(n, -25567);
    for (int y = 1900; y <= 2100; y++) {
        for (int m = 1; m <= 12; m++) {
            cr_assert_eq(ofi_days_in_month(y, m), ref_dim(y, m), "days in %04d-%02d", y, m);
            for (int d = 1; d <= ref_dim(y, m); d++, n++) {
                cr_assert_eq(ofi_days_from_civil(y, m, d), n, "%04d-%02d-%02d", y, m, d);
                int yy, mm, dd;
                ofi_civil_from_days(n, &yy, &mm, &dd);
                cr_assert(yy == y && mm == m && dd == d, "day %d -> %04d-%02d-%02d, expected "
                          "%04d-%02d-%02d", n, yy, mm, dd, y, m, d);
                cr_assert_eq(ofi_month_key(n), y * 12 + m - 1, "month key of %04d-%02d-%02d", y,
                             m, d);
            }
        }
    }
    cr_expect_eq(n, ofi_days_from_civil(2101, 1, 1));
}

Test(date, iso_week_against_strftime)
{
    /* glibc's %G (ISO year) and %V (ISO week), via gmtime of the day's midnight. */
    for (int32_t n = ofi_days_from_civil(1900, 1, 1); n <= ofi_days_from_civil(2100, 12, 31); n++) {
        time_t t = (time_t)n * 86400;
        struct tm tm;
        cr_assert_not_null(gmtime_r(&t, &tm));
        char buf[32];
        strftime(buf, sizeof buf, "%G %V %u", &tm);
        int gy, gw, wd;
        cr_assert_eq(sscanf(buf, "%d %d %d", &gy, &gw, &wd), 3);
        int32_t monday;
        int iy, iw;
        ofi_iso_week(n, &monday, &iy, &iw);
        cr_assert(iy == gy && iw == gw, "day %d: ISO %d-W%02d, strftime %d-W%02d", n, iy, iw, gy,
                  gw);
        cr_assert_eq(monday, n - (wd - 1), "day %d: Monday %d", n, monday);
    }
}

Test(date, days_in_month)
{
    cr_expect_eq(ofi_days_in_month(2024, 2), 29);
    cr_expect_eq(ofi_days_in_month(2023, 2), 28);
    cr_expect_eq(ofi_days_in_month(2000, 2), 29);
    cr_expect_eq(ofi_days_in_month(1900, 2), 28);
    cr_expect_eq(ofi_days_in_month(2024, 4), 30);
    cr_expect_eq(ofi_days_in_month(2024, 12), 31);
    cr_expect_eq(ofi_days_in_month(2024, 1), 31);
}

static void expect_fmt_date(int32_t days, const char *want)
{
    char out[16];
    memset(out, '#', sizeof out);
    cr_assert_eq(ofi_format_date(days, out), 10);
    cr_expect(memcmp(out, want, 10) == 0, "day %d: \"%.10s\", expected \"%s\"", days, out, want);
    cr_expect_eq(out[10], '#', "ofi_format_date wrote past 10 bytes");
}

Test(date, format_date)
{
    expect_fmt_date(0, "1970-01-01");
    expect_fmt_date(-1, "1969-12-31");
    expect_fmt_date(19782, "2024-02-29");
    expect_fmt_date(-25567, "1900-01-01");
    expect_fmt_date(ofi_days_from_civil(999, 5, 6), "0999-05-06");
    expect_fmt_date(ofi_days_from_civil(1, 1, 1), "0001-01-01");
    expect_fmt_date(2932896, "9999-12-31");
}

static void expect_fmt_month(int32_t key, const char *want)
{
    char out[16];
    memset(out, '#', sizeof out);
    cr_assert_eq(ofi_format_month(key, out), 7);
    cr_expect(memcmp(out, want, 7) == 0, "month key %d: \"%.7s\", expected \"%s\"", key, out, want);
    cr_expect_eq(out[7], '#', "ofi_format_month wrote past 7 bytes");
}

Test(date, format_month)
{
    expect_fmt_month(2024 * 12 + 0, "2024-01");
    expect_fmt_month(2024 * 12 + 11, "2024-12");
    expect_fmt_month(1970 * 12 + 5, "1970-06");
    expect_fmt_month(ofi_month_key(19782), "2024-02");
    expect_fmt_month(ofi_month_key(-1), "1969-12");
    expect_fmt_month(5 * 12 + 8, "0005-09");
}
