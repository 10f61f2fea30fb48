/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kizuna/model.h"
#include "kizuna/days.h"

static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};

static int
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in(int y, int m)
{
    return mdays[m - 1] + (m == 2 && leap(y));
}

static uint32_t
from_tm(const struct tm *t)
{
    return (uint32_t)((t->tm_year + 1900) * 10000 + (t->tm_mon + 1) * 100 + t->tm_mday);
}

/* The yyyymmdd of a day count since 1970-01-01 (kz_days_from_civil back). */
static uint32_t
from_days(long z)
{
    long era, doe, yoe, y, doy, mp, d, m;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

long
kz_date_diff(uint32_t a, uint32_t b)
{
    return kz_days_from_civil(b) - kz_days_from_civil(a);
}

/* KIZUNA_TEST_TODAY (for the test suites only, see model.h): a strict ISO
 * date taken as today; anything else in it is ignored. */
uint32_t
kz_date_today(void)
{
    const char *fixed = secure_getenv("KIZUNA_TEST_TODAY");
    time_t now;
    struct tm t;
    uint32_t d;

    if (fixed != NULL && (d = kz_date_parse(fixed)) != 0)
        return d;
    now = time(NULL);
    localtime_r(&now, &t);
    return from_tm(&t);
}

/* Reads up to max digits at *p into *v (at least one): 1, or 0 if none. */
static int
digits(const char **p, int max, int *v)
{
    int n = 0;

    *v = 0;
    while (n < max && **p >= '0' && **p <= '9') {
        *v = *v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n;
}

/* Checks y-m-d: the date, or 0 with why set. */
static uint32_t
check_ymd(int y, int m, int d, char *why, size_t size)
{
    if (m < 1 || m > 12) {
        snprintf(why, size, "is not a date (there is no month %d)", m);
        return 0;
    }
    if (d < 1) {
        snprintf(why, size, "is not a date (there is no day 0)");
        return 0;
    }
    if (y < KZ_DATE_YEAR_MIN || y > KZ_DATE_YEAR_MAX) {
        snprintf(why, size, "is outside the years %d to %d", KZ_DATE_YEAR_MIN, KZ_DATE_YEAR_MAX);
        return 0;
    }
    if (d > days_in(y, m)) {
        snprintf(why, size, "is not a date (%s %d has %d days)", month_names[m - 1], y,
                 days_in(y, m));
        return 0;
    }
    return (uint32_t)(y * 10000 + m * 100 + d);
}

uint32_t
kz_date_parse(const char *s)
{
    char ignored[128];
    int i;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    }
    return check_ymd((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'),
                     (s[5] - '0') * 10 + (s[6] - '0'), (s[8] - '0') * 10 + (s[9] - '0'), ignored,
                     sizeof(ignored));
}

uint32_t
kz_date_read(const char *s, uint32_t today, int style, char *why, size_t size)
{
    const char *p = s;
    int a, b, y, n;
    char sep;

    char ignored[128];

    if (why == NULL || size == 0) {
        why = ignored;
        size = sizeof(ignored);
    }
    snprintf(why, size, "is not a date");
    if (s == NULL)
        return 0;
    if (strcmp(s, "today") == 0)
        return today;
    if (strcmp(s, "yesterday") == 0)
        return from_days(kz_days_from_civil(today) - 1);
    if ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9') {
        /* -3d, +2w: whole days or weeks from today, at most 4 digits. */
        p = s + 1;
        if (digits(&p, 4, &n) == 0 || (p[0] != 'd' && p[0] != 'w') || p[1] != '\0')
            return 0;
        n *= p[0] == 'w' ? 7 : 1;
        a = (int)(from_days(kz_days_from_civil(today) + (s[0] == '-' ? -n : n)) / 10000);
        if (a < KZ_DATE_YEAR_MIN || a > KZ_DATE_YEAR_MAX) {
            snprintf(why, size, "is outside the years %d to %d", KZ_DATE_YEAR_MIN,
                     KZ_DATE_YEAR_MAX);
            return 0;
        }
        return from_days(kz_days_from_civil(today) + (s[0] == '-' ? -n : n));
    }
    if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
        if (digits(&p, 4, &y) != 4 || *p++ != '-' || digits(&p, 2, &a) != 2 || *p++ != '-' ||
            digits(&p, 2, &b) != 2 || *p != '\0')
            return 0;
        return check_ymd(y, a, b, why, size);
    }
    /* D.M.YYYY (day first), and D/M/YYYY or M/D/YYYY only when dates are shown so. */
    if (digits(&p, 2, &a) == 0)
        return 0;
    sep = *p++;
    if (sep != '.' && !(sep == '/' && (style == KZ_DATE_DMY_SLASH || style == KZ_DATE_MDY_SLASH)))
        return 0;
    if (digits(&p, 2, &b) == 0 || *p++ != sep || digits(&p, 4, &y) != 4 || *p != '\0')
        return 0;
    if (sep == '/' && style == KZ_DATE_MDY_SLASH)
        return check_ymd(y, a, b, why, size);
    return check_ymd(y, b, a, why, size);
}

static const char *const style_names[] = {"iso", "dd.mm.yyyy", "dd/mm/yyyy", "mm/dd/yyyy"};

int
kz_date_style_parse(const char *name)
{
    int i;

    if (name == NULL)
        return -1;
    if (strcasecmp(name, "yyyy-mm-dd") == 0)
        return KZ_DATE_ISO;
    for (i = 0; i < 4; i++) {
        if (strcasecmp(name, style_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *
kz_date_style_name(int style)
{
    return style >= 0 && style < 4 ? style_names[style] : style_names[0];
}

void
kz_date_format(uint32_t d, char *buf)
{
    kz_date_format_style(d, KZ_DATE_ISO, buf);
}

void
kz_date_format_style(uint32_t d, int style, char *buf)
{
    unsigned y = (d / 10000) % 10000, m = (d / 100) % 100, dd = d % 100;

    if (d == 0) {
        buf[0] = '\0';
        return;
    }
    if (style == KZ_DATE_DMY_DOT)
        snprintf(buf, 11, "%02u.%02u.%04u", dd, m, y);
    else if (style == KZ_DATE_DMY_SLASH)
        snprintf(buf, 11, "%02u/%02u/%04u", dd, m, y);
    else if (style == KZ_DATE_MDY_SLASH)
        snprintf(buf, 11, "%02u/%02u/%04u", m, dd, y);
    else
        snprintf(buf, 11, "%04u-%02u-%02u", y, m, dd);
}

void
kz_time_now(char *buf)
{
    time_t now = time(NULL);
    struct tm t;

    gmtime_r(&now, &t);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &t);
}

int
kz_status_parse(const char *s)
{
    static const char *const names[] = {"active", "paused", "closed", "achieved", "dropped"};
    int i;

    for (i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0)
            return i;
    }
    return -1;
}

const char *
kz_status_name(int st)
{
    static const char *const names[] = {"active", "paused", "closed", "achieved", "dropped"};

    return (st >= 0 && st < 5) ? names[st] : "?";
}
