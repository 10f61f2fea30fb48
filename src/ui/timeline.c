/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The timeline of one couple (kz_tl_render): the axis fitted to the width,
 * the gaps between sessions, the themes by frequency, and the screen drawn
 * from them. Pure: plain data in, text out; nothing here reads the vault. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/days.h"
#include "kizuna/ui.h"
#include "kizuna/wipe.h"

/* ---- dates ---- */

static long
month_of(uint32_t d)
{
    return (long)(d / 10000) * 12 + (long)(d / 100 % 100) - 1;
}

long
kz_tl_days(uint32_t a, uint32_t b)
{
    return kz_days_from_civil(b) - kz_days_from_civil(a);
}

/* ---- the axis ---- */

void
kz_tl_axis_fit(uint32_t first, uint32_t last, int avail, struct kz_tl_axis *ax)
{
    static const int cpms[] = {31, 16, 8, 6, 4, 3, 2, 1};
    static const int mpcs[] = {2, 3, 4, 6, 12, 24, 60, 120};
    long m0 = month_of(first), m1 = month_of(last), months;
    size_t i;

    if (m1 < m0)
        m1 = m0;
    months = m1 - m0 + 1;
    memset(ax, 0, sizeof(*ax));
    ax->start_month = m0;
    for (i = 0; i < sizeof(cpms) / sizeof(cpms[0]); i++) {
        if (months * cpms[i] <= avail) {
            ax->cpm = cpms[i];
            ax->ncols = (int)(months * cpms[i]);
            return;
        }
    }
    for (i = 0; i < sizeof(mpcs) / sizeof(mpcs[0]); i++) {
        long start = m0 - m0 % mpcs[i];
        ax->mpc = mpcs[i];
        ax->start_month = start;
        ax->ncols = (int)((m1 - start) / mpcs[i] + 1);
        if (ax->ncols <= avail)
            return;
    }
    /* Over a thousand years: the last columns fall off the edge. */
    ax->ncols = avail;
}

int
kz_tl_col(const struct kz_tl_axis *ax, uint32_t date)
{
    long m = month_of(date) - ax->start_month;
    long day = (long)(date % 100);

    if (ax->cpm > 0)
        return (int)(m * ax->cpm + (day - 1) * ax->cpm / 31);
    return (int)(m >= 0 ? m / ax->mpc : -1);
}

/* ---- gaps and themes ---- */

static int
gap_order(const void *a, const void *b)
{
    const struct kz_tl_gap *x = a, *y = b;

    if (x->days != y->days)
        return x->days > y->days ? -1 : 1;
    return x->from < y->from ? -1 : x->from > y->from;
}

size_t
kz_tl_gaps(const struct kz_tl_session *s, size_t n, struct kz_tl_gap *out, size_t max)
{
    struct kz_tl_gap *all = NULL;
    size_t i, count = 0, cap = 0;
    uint32_t prev = 0;

    for (i = 0; i < n; i++) {
        long days;
        if (s[i].state == KZ_TL_VOID)
            continue;
        if (prev != 0 && (days = kz_tl_days(prev, s[i].date)) > 31) {
            if (count == cap) {
                size_t grown = cap ? cap * 2 : 16;
                all = kz_wipe_grow(all, cap * sizeof(*all), grown * sizeof(*all));
                cap = grown;
            }
            all[count].from = prev;
            all[count].to = s[i].date;
            all[count].days = days;
            count++;
        }
        prev = s[i].date;
    }
    if (count > 1)
        qsort(all, count, sizeof(*all), gap_order);
    if (count > 0 && max > 0)
        memcpy(out, all, (count < max ? count : max) * sizeof(*out));
    kz_wipe_free(all, cap * sizeof(*all));
    return count;
}

void
kz_tl_span_text(long days, char *buf, size_t size)
{
    long n;

    if (days < 91) {
        n = (days + 3) / 7;
        snprintf(buf, size, "%ld week%s", n, n == 1 ? "" : "s");
    } else if (days < 730) {
        n = (days * 100 + 1522) / 3044; /* months of 30.44 days, rounded */
        snprintf(buf, size, "%ld months", n);
    } else {
        n = (days * 10 + 1826) / 3652; /* years, rounded */
        snprintf(buf, size, "%ld years", n);
    }
}

struct theme_acc {
    struct kz_tl_theme *t;
    size_t n, cap;
};

static void
theme_count(struct theme_acc *acc, const char *name, size_t len, uint32_t date)
{
    size_t i;

    if (len == 0 || len >= KZ_TL_THEME_MAX)
        return;
    for (i = 0; i < acc->n; i++) {
        if (strncmp(acc->t[i].name, name, len) == 0 && acc->t[i].name[len] == '\0') {
            acc->t[i].count++;
            acc->t[i].last = date;
            return;
        }
    }
    if (acc->n == acc->cap) {
        size_t grown = acc->cap ? acc->cap * 2 : 32;
        acc->t = kz_wipe_grow(acc->t, acc->cap * sizeof(*acc->t), grown * sizeof(*acc->t));
        acc->cap = grown;
    }
    memcpy(acc->t[acc->n].name, name, len);
    acc->t[acc->n].name[len] = '\0';
    acc->t[acc->n].count = 1;
    acc->t[acc->n].first = acc->t[acc->n].last = date;
    acc->n++;
}

static int
theme_order(const void *a, const void *b)
{
    const struct kz_tl_theme *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

size_t
kz_tl_themes(const struct kz_tl_session *s, size_t n, struct kz_tl_theme *out, size_t max)
{
    struct theme_acc acc = {NULL, 0, 0};
    size_t i, total;

    for (i = 0; i < n; i++) {
        const char *p = s[i].tags, *comma;
        if (s[i].state == KZ_TL_VOID || p == NULL)
            continue;
        while (*p != '\0') {
            comma = strchr(p, ',');
            if (comma == NULL)
                comma = p + strlen(p);
            theme_count(&acc, p, (size_t)(comma - p), s[i].date);
            p = *comma ? comma + 1 : comma;
        }
    }
    if (acc.n > 1)
        qsort(acc.t, acc.n, sizeof(*acc.t), theme_order);
    if (acc.n > 0 && max > 0)
        memcpy(out, acc.t, (acc.n < max ? acc.n : max) * sizeof(*out));
    total = acc.n;
    kz_wipe_free(acc.t, acc.cap * sizeof(*acc.t));
    return total;
}

int
kz_tl_has_tag(const char *tags, const char *theme)
{
    size_t n = strlen(theme);
    const char *p = tags;

    if (n == 0)
        return 0;
    while ((p = strstr(p, theme)) != NULL) {
        if ((p == tags || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p++;
    }
    return 0;
}
