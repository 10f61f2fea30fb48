/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Feedback flags from a measure's series (model_flags.h): pure. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kizuna/model_flags.h"

#define MILLI_LIMIT 1e12 /* |x| beyond this is clamped (no total comes near it) */

/* x in thousandths, rounded; NaN reads 0, huge values are clamped. */
static long long
milli(double x)
{
    if (isnan(x))
        return 0;
    if (x > MILLI_LIMIT)
        x = MILLI_LIMIT;
    if (x < -MILLI_LIMIT)
        x = -MILLI_LIMIT;
    x *= 1000.0; /* rounded half away from zero, without libm */
    return (long long)(x >= 0 ? x + 0.5 : x - 0.5);
}

/* How much better b is than a on measure m, in thousandths (< 0: worse). */
static long long
gain(const struct kz_measure *m, double a, double b)
{
    long long d = milli(b) - milli(a);

    return m->higher_is_better ? d : -d;
}

static void
flag_init(struct kz_flag *f, const struct kz_series *s, int kind, int partner)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->partner = partner;
    snprintf(f->measure, sizeof(f->measure), "%s", s->m.name);
    f->rci = s->m.rci;
    f->cutoff = s->m.cutoff;
}

/* Adds f to out when there is room; counts it either way. */
static void
raise_flag(const struct kz_flag *f, struct kz_flag *out, size_t max, size_t *n)
{
    if (*n < max)
        out[*n] = *f;
    (*n)++;
}

/* Whether partner k (0 or 1) improved reliably: latest better than first by
 * rci (thousandths) or more. */
static int
improved(const struct kz_series *s, int k, long long rci)
{
    const struct kz_score_point *p = s->p[k];
    size_t n = s->n[k];

    return n >= 2 && gain(&s->m, p[0].total, p[n - 1].total) >= rci;
}

/* Partner k's own flags (NO_IMPROVEMENT, DROP, LOW_ALLIANCE). */
static void
partner_flags(const struct kz_series *s, int k, int judge, struct kz_flag *out, size_t max,
              size_t *count)
{
    const struct kz_score_point *p = s->p[k];
    size_t n = s->n[k];
    long long rci = milli(s->m.rci);
    struct kz_flag f;

    if (p == NULL || n == 0)
        return;
    if (judge && s->m.role == KZ_MEASURE_OUTCOME && n >= 4 && !improved(s, k, rci)) {
        flag_init(&f, s, KZ_FLAG_NO_IMPROVEMENT, k + 1);
        f.from = p[0].total;
        f.to = p[n - 1].total;
        f.session = p[n - 1].session;
        f.count = n;
        raise_flag(&f, out, max, count);
    }
    if (judge && n >= 2 && -gain(&s->m, p[n - 2].total, p[n - 1].total) >= rci) {
        flag_init(&f, s, KZ_FLAG_DROP, k + 1);
        f.from = p[n - 2].total;
        f.to = p[n - 1].total;
        f.session = p[n - 1].session;
        f.count = 2;
        raise_flag(&f, out, max, count);
    }
    if (s->m.role == KZ_MEASURE_ALLIANCE && gain(&s->m, s->m.cutoff, p[n - 1].total) < 0) {
        flag_init(&f, s, KZ_FLAG_LOW_ALLIANCE, k + 1);
        f.from = f.to = p[n - 1].total;
        f.session = p[n - 1].session;
        f.count = 1;
        raise_flag(&f, out, max, count);
    }
}

/* The later of two points: by date, then session number. */
static const struct kz_score_point *
later(const struct kz_score_point *a, const struct kz_score_point *b)
{
    if (a->date != b->date)
        return a->date > b->date ? a : b;
    return a->session >= b->session ? a : b;
}

size_t
kz_flags_compute(const struct kz_series *s, struct kz_flag *out, size_t max)
{
    long long rci;
    size_t n = 0;
    int judge, k, up[2];
    struct kz_flag f;

    if (s == NULL)
        return 0;
    if (out == NULL)
        max = 0;
    rci = milli(s->m.rci);
    judge = isfinite(s->m.rci) && rci > 0; /* a change can be judged reliable */
    for (k = 0; k < 2; k++)
        partner_flags(s, k, judge, out, max, &n);
    if (!judge || s->m.role != KZ_MEASURE_OUTCOME || s->p[0] == NULL || s->p[1] == NULL ||
        s->n[0] < 2 || s->n[1] < 2)
        return n;
    up[0] = improved(s, 0, rci);
    up[1] = improved(s, 1, rci);
    if (up[0] == up[1])
        return n;
    k = up[0] ? 0 : 1;
    flag_init(&f, s, KZ_FLAG_DIVERGING, k + 1);
    f.from = s->p[k][0].total;
    f.to = s->p[k][s->n[k] - 1].total;
    f.count = s->n[k];
    f.other_from = s->p[1 - k][0].total;
    f.other_to = s->p[1 - k][s->n[1 - k] - 1].total;
    f.other_count = s->n[1 - k];
    f.session =
        later(&s->p[0][s->n[0] - 1], &s->p[1][s->n[1] - 1])->session;
    raise_flag(&f, out, max, &n);
    return n;
}

const char *
kz_flag_kind_name(int kind)
{
    switch (kind) {
    case KZ_FLAG_NO_IMPROVEMENT:
        return "no_improvement";
    case KZ_FLAG_DROP:
        return "drop";
    case KZ_FLAG_LOW_ALLIANCE:
        return "low_alliance";
    case KZ_FLAG_DIVERGING:
        return "diverging";
    default:
        return "unknown";
    }
}

/* A total as shown: thousandths at most, no trailing zeros ("26.5", "22"). */
static double
shown(double x)
{
    return (double)milli(x) / 1000.0;
}

void
kz_flag_text(const struct kz_flag *f, const char *name1, const char *name2, char *buf,
             size_t size)
{
    const char *who, *other;

    if (buf == NULL || size == 0)
        return;
    buf[0] = '\0';
    if (f == NULL)
        return;
    name1 = name1 != NULL && *name1 != '\0' ? name1 : "Partner 1";
    name2 = name2 != NULL && *name2 != '\0' ? name2 : "Partner 2";
    who = f->partner == 2 ? name2 : name1;
    other = f->partner == 2 ? name1 : name2;
    switch (f->kind) {
    case KZ_FLAG_NO_IMPROVEMENT:
        snprintf(buf, size,
                 "%s: %s has not improved reliably over %zu sessions (%g → %g; reliable "
                 "change is %g): worth asking together what is and is not helping.",
                 who, f->measure, f->count, shown(f->from), shown(f->to), shown(f->rci));
        break;
    case KZ_FLAG_DROP:
        snprintf(buf, size,
                 "%s: %s %s by %g since the session before (%g → %g; reliable change is "
                 "%g): worth asking what has changed since then.",
                 who, f->measure, f->to < f->from ? "fell" : "rose",
                 (double)(milli(f->to) > milli(f->from) ? milli(f->to) - milli(f->from)
                                                         : milli(f->from) - milli(f->to)) /
                     1000.0,
                 shown(f->from), shown(f->to),
                 shown(f->rci));
        break;
    case KZ_FLAG_LOW_ALLIANCE:
        snprintf(buf, size,
                 "%s: %s at the last session was %g, %s the cut-off of %g: worth asking how "
                 "the sessions are working for them and what could change.",
                 who, f->measure, shown(f->to), f->to < f->cutoff ? "below" : "above",
                 shown(f->cutoff));
        break;
    case KZ_FLAG_DIVERGING:
        snprintf(buf, size,
                 "%s's %s improved reliably (%g → %g) while %s's did not (%g → %g; reliable "
                 "change is %g): worth talking together about how each of them sees what is "
                 "changing.",
                 who, f->measure, shown(f->from), shown(f->to), other, shown(f->other_from),
                 shown(f->other_to), shown(f->rci));
        break;
    default:
        snprintf(buf, size, "%s: %s raised a flag this kizuna does not know.", who,
                 f->measure);
        break;
    }
}
