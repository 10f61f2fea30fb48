/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kizuna/model.h"

static int
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static uint32_t
from_tm(const struct tm *t)
{
    return (uint32_t)((t->tm_year + 1900) * 10000 + (t->tm_mon + 1) * 100 + t->tm_mday);
}

uint32_t
kz_date_today(void)
{
    time_t now = time(NULL);
    struct tm t;

    localtime_r(&now, &t);
    return from_tm(&t);
}

uint32_t
kz_date_parse(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, i;

    if (s == NULL)
        return 0;
    if (strcmp(s, "today") == 0)
        return kz_date_today();
    if (strcmp(s, "yesterday") == 0) {
        time_t now = time(NULL) - 86400;
        struct tm t;
        localtime_r(&now, &t);
        return from_tm(&t);
    }
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
        return 0;
    if (d > mdays[m - 1] + (m == 2 && leap(y)))
        return 0;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

void
kz_date_format(uint32_t d, char *buf)
{
    if (d == 0) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, 11, "%04u-%02u-%02u", (d / 10000) % 10000, (d / 100) % 100, d % 100);
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
