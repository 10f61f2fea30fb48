/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The loader of measures and scores (scores.h): measures by name, and a
 * couple's scores as series from the heads index alone (no body opened). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/model_score.h"
#include "kizuna/secmem.h"
#include "config_cmd.h"
#include "scores.h"

int
kz_measure_find(struct kz_state *st, const char *name, struct kz_measure *out,
                struct kz_err *err)
{
    const struct kz_measure *b = kz_measure_builtin(name);
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *cfg = NULL;
    int rc, found;

    if (b != NULL) {
        *out = *b;
        return KZ_OK;
    }
    if ((rc = kz_config_load(st, id, &cfg, err)) != KZ_OK)
        return rc;
    found = kz_measure_conf_get(cfg, name, out) == 0;
    json_decref(cfg);
    if (!found)
        return kz_fail(err, KZ_ENOTFOUND, "no measure %s (measure list shows them)", name);
    return KZ_OK;
}

/* A couple's sessions (number, date, void) and score heads: what its series
 * and measures are made from. */
struct kz_scores_sess {
    uint32_t num, date;
    int voided;
};

void
kz_scores_gather_add(struct kz_scores_gather *g, const struct kz_head_info *hi)
{
    if (hi->kind == KZ_KIND_SESSION) {
        if (g->ns == g->caps) {
            g->caps = g->caps ? g->caps * 2 : 64;
            g->s = kz_xrealloc(g->s, g->caps * sizeof(*g->s));
        }
        g->s[g->ns].num = hi->num;
        g->s[g->ns].date = hi->date;
        g->s[g->ns].voided = (hi->flags & KZ_HF_VOID) != 0;
        g->ns++;
    } else if (hi->kind == KZ_KIND_SCORE) {
        if (g->nr == g->capr) {
            g->capr = g->capr ? g->capr * 2 : 64;
            g->r = kz_xrealloc(g->r, g->capr * sizeof(*g->r));
        }
        g->r[g->nr++] = *hi;
    }
}

static int
by_num(const void *a, const void *b)
{
    const struct kz_scores_sess *x = a, *y = b;

    return x->num < y->num ? -1 : x->num > y->num;
}

void
kz_scores_gather_free(struct kz_scores_gather *g)
{
    free(g->s);
    free(g->r);
    memset(g, 0, sizeof(*g));
}

void
kz_scores_gather_done(struct kz_scores_gather *g)
{
    if (g->nr == 0) {
        kz_scores_gather_free(g); /* no score: nothing is made from its sessions */
        return;
    }
    if (g->ns > 1)
        qsort(g->s, g->ns, sizeof(*g->s), by_num);
}

struct one {
    const unsigned char *couple;
    struct kz_scores_gather *g;
};

static int
collect(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct one *o = ctx;

    (void)id;
    if (memcmp(hi->parent, o->couple, KZ_RECORD_ID_BYTES) == 0)
        kz_scores_gather_add(o->g, hi);
    return 0;
}

int
kz_scores_gather(struct kz_state *st, const unsigned char *couple, struct kz_scores_gather *g,
                 struct kz_err *err)
{
    struct one o = {couple, g};
    int rc;

    memset(g, 0, sizeof(*g));
    if ((rc = kz_rec_scan_kind(st, -1, couple, collect, &o, err)) != KZ_OK) {
        kz_scores_gather_free(g);
        return rc;
    }
    kz_scores_gather_done(g);
    return KZ_OK;
}

/* The session num among the gathered ones, or NULL (sorted by number). */
static const struct kz_scores_sess *
session_of(const struct kz_scores_gather *g, uint32_t num)
{
    struct kz_scores_sess key = {num, 0, 0};

    return g->ns > 0 ? bsearch(&key, g->s, g->ns, sizeof(*g->s), by_num) : NULL;
}

/* The measure, session and total of a score head whose session is there and
 * not voided: the session's date into *date; 0, or -1 to leave it out. */
static int
live_score(const struct kz_scores_gather *g, const struct kz_head_info *hi, char *measure,
           uint32_t *session, double *total, uint32_t *date)
{
    const struct kz_scores_sess *s;

    if (kz_score_tags(hi->tags, measure, session, total) != 0 ||
        (s = session_of(g, *session)) == NULL || s->voided)
        return -1;
    *date = s->date; /* the session's date now, should it have moved */
    return 0;
}

/* Where a measure's name goes among the couple's: built-ins first. */
static int
rank_of(const char *name)
{
    size_t i, n;
    const struct kz_measure *b = kz_measure_builtins(&n);

    for (i = 0; i < n; i++) {
        if (strcasecmp(b[i].name, name) == 0)
            return (int)i;
    }
    return (int)n;
}

static int
by_rank(const void *a, const void *b)
{
    const char *x = a, *y = b;
    int rx = rank_of(x), ry = rank_of(y);

    return rx != ry ? rx - ry : strcasecmp(x, y);
}

size_t
kz_scores_measures_in(const struct kz_scores_gather *g, char names[][KZ_MEASURE_NAME_MAX + 1],
                      size_t max)
{
    char (*all)[KZ_MEASURE_NAME_MAX + 1] = NULL, m[KZ_MEASURE_NAME_MAX + 1];
    size_t i, k, n = 0;
    uint32_t sn, date;
    double total;

    all = kz_xcalloc(g->nr + 1, sizeof(*all));
    for (i = 0; i < g->nr; i++) {
        if (live_score(g, &g->r[i], m, &sn, &total, &date) != 0)
            continue;
        for (k = 0; k < n && strcasecmp(all[k], m) != 0; k++)
            ;
        if (k == n)
            memcpy(all[n++], m, sizeof(m));
    }
    if (n > 1)
        qsort(all, n, sizeof(*all), by_rank);
    for (i = 0; i < n && i < max; i++)
        memcpy(names[i], all[i], sizeof(all[i]));
    free(all);
    return n;
}

size_t
kz_scores_measures(struct kz_state *st, const unsigned char *couple,
                   char names[][KZ_MEASURE_NAME_MAX + 1], size_t max)
{
    struct kz_scores_gather g;
    size_t n;

    if (kz_scores_gather(st, couple, &g, NULL) != KZ_OK)
        return 0;
    n = kz_scores_measures_in(&g, names, max);
    kz_scores_gather_free(&g);
    return n;
}

static int
by_date(const void *a, const void *b)
{
    const struct kz_score_point *x = a, *y = b;

    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->session < y->session ? -1 : x->session > y->session;
}

int
kz_scores_series_in(struct kz_state *st, const struct kz_scores_gather *g, const char *measure,
                    struct kz_series *out, struct kz_err *err)
{
    char first[1][KZ_MEASURE_NAME_MAX + 1], m[KZ_MEASURE_NAME_MAX + 1];
    size_t i;
    uint32_t sn, date;
    double total;
    int rc, p;

    memset(out, 0, sizeof(*out));
    if (measure == NULL) {
        measure = "ORS"; /* the outcome measure when the couple has it */
        if (kz_scores_measures_in(g, first, 1) > 0 && strcasecmp(first[0], "ORS") != 0)
            measure = first[0];
    }
    if ((rc = kz_measure_find(st, measure, &out->m, err)) != KZ_OK)
        return rc;
    for (i = 0; i < 2; i++)
        out->p[i] = kz_xcalloc(g->nr + 1, sizeof(*out->p[i]));
    for (i = 0; i < g->nr; i++) {
        struct kz_score_point *pt;
        if (live_score(g, &g->r[i], m, &sn, &total, &date) != 0 ||
            strcasecmp(m, out->m.name) != 0)
            continue;
        p = (g->r[i].flags & KZ_HF_PARTNER2) ? 1 : 0;
        pt = &out->p[p][out->n[p]++];
        pt->session = sn;
        pt->date = date;
        pt->total = total;
        pt->score = g->r[i].num;
    }
    for (p = 0; p < 2; p++) {
        if (out->n[p] > 1)
            qsort(out->p[p], out->n[p], sizeof(*out->p[p]), by_date);
    }
    return KZ_OK;
}

int
kz_scores_series(struct kz_state *st, const unsigned char *couple, const char *measure,
                 struct kz_series *out, struct kz_err *err)
{
    struct kz_scores_gather g;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = kz_scores_gather(st, couple, &g, err)) != KZ_OK)
        return rc;
    rc = kz_scores_series_in(st, &g, measure, out, err);
    if (rc != KZ_OK)
        kz_series_free(out);
    kz_scores_gather_free(&g);
    return rc;
}
