/* date.c - civil date <-> day number conversions (Howard Hinnant's algorithms) and ISO weeks.
 *
 * Day 0 is 1970-01-01, a Thursday. Weeks start on Monday (ISO 8601); the ISO year of a
 * week is the year of its Thursday.
 */
#include "ofi/date.h"

int32_t ofi_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void ofi_civil_from_days(int32_t days, int *y, int *m, int *d)
{
    const int z = days + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)yoe + era * 400 + (mm <= 2);
    *m = (int)mm;
    *d = (int)dd;
}

int ofi_days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

void ofi_iso_week(int32_t days, int32_t *monday, int *iso_year, int *iso_week)
{
    /* 1970-01-01 is a Thursday: (days + 3) mod 7 is 0 on Mondays. */
    int wd = (int)(((int64_t)days + 3) % 7);
    if (wd < 0)
        wd += 7;
    const int32_t mon = days - wd;
    const int32_t thu = mon + 3;
    int y, m, d;
    ofi_civil_from_days(thu, &y, &m, &d);
    const int32_t jan1 = ofi_days_from_civil(y, 1, 1);
    *monday = mon;
    *iso_year = y;
    *iso_week = (int)((thu - jan1) / 7) + 1;
}

int32_t ofi_month_key(int32_t days)
{
    int y, m, d;
    ofi_civil_from_days(days, &y, &m, &d);
    return (int32_t)y * 12 + (m - 1);
}

static void put_digits(char *out, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

int ofi_format_date(int32_t days, char *out)
{
    int y, m, d;
    ofi_civil_from_days(days, &y, &m, &d);
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    return 10;
}

int ofi_format_month(int32_t month_key, char *out)
{
    put_digits(out, month_key / 12, 4);
    out[4] = '-';
    put_digits(out + 5, month_key % 12 + 1, 2);
    return 7;
}
