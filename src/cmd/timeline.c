/* SPDX-License-Identifier: GPL-3.0-or-later */
/* timeline CODE [--width N]: one screen of a couple's therapy, drawn by
 * src/ui/timeline from the heads index (sessions, goals) and the scores
 * loader; only the goals' bodies are opened (their progress). */
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "timeline.h"

#define TL_LINES 24 /* one screen */
#define TL_MEASURES_MAX 8

static void
tl_free(struct tl_data *d)
{
    size_t i;

    for (i = 0; i < d->ngoals; i++) {
        kz_wipe_free((void *)d->goals[i].p, d->goals[i].n * sizeof(*d->goals[i].p));
        kz_goal_free(&d->g[i]);
    }
    for (i = 0; i < d->nscores; i++)
        kz_wipe_free((void *)d->scores[i].p, d->scores[i].n * sizeof(*d->scores[i].p));
    for (i = 0; i < d->nseries; i++)
        kz_series_free(&d->series[i]);
    free(d->g);
    free(d->series);
    free(d->goals);
    free(d->scores);
    kz_wipe_free(d->labels, (d->ngoals + d->nscores + 1) * sizeof(*d->labels));
    kz_wipe_free(d->s, d->ns * sizeof(*d->s));
    kz_wipe_free(d->kids, d->nkids * sizeof(*d->kids));
}

static int
by_date(const void *a, const void *b)
{
    const struct kz_tl_session *x = a, *y = b;

    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* The sessions from the heads: who, signed or not, void, themes. */
static void
gather_sessions(struct tl_data *d)
{
    size_t i;

    d->s = kz_xcalloc(d->nkids + 1, sizeof(*d->s));
    for (i = 0; i < d->nkids; i++) {
        const struct kz_head_info *hi = &d->kids[i].hi;
        struct kz_tl_session *s;
        if (hi->kind != KZ_KIND_SESSION || hi->date == 0)
            continue;
        s = &d->s[d->ns++];
        s->num = hi->num;
        s->date = hi->date;
        s->who = (hi->flags & KZ_HF_PARTNER1) ? KZ_TL_P1
                 : (hi->flags & KZ_HF_PARTNER2) ? KZ_TL_P2
                                                : KZ_TL_JOINT;
        s->state = (hi->flags & KZ_HF_VOID)     ? KZ_TL_VOID
                   : (hi->flags & KZ_HF_SIGNED) ? KZ_TL_SIGNED
                                                : KZ_TL_UNSIGNED;
        s->tags = hi->tags;
    }
    if (d->ns > 1)
        qsort(d->s, d->ns, sizeof(*d->s), by_date);
}

static int
goal_order(const void *a, const void *b)
{
    const struct kz_goal *x = a, *y = b;

    return x->num < y->num ? -1 : x->num > y->num;
}

/* The goals' bodies (their progress), in the order of their short ids. */
static int
gather_goals(struct kz_state *st, struct tl_data *d, struct kz_err *err)
{
    size_t i, j, n = 0;
    int rc;

    for (i = 0; i < d->nkids; i++)
        n += d->kids[i].hi.kind == KZ_KIND_GOAL;
    d->g = kz_xcalloc(n + 1, sizeof(*d->g));
    d->goals = kz_xcalloc(n + 1, sizeof(*d->goals));
    for (i = 0; i < d->nkids; i++) {
        if (d->kids[i].hi.kind != KZ_KIND_GOAL)
            continue;
        if ((rc = kz_goal_cmd_read(st, d->kids[i].id, &d->g[d->ngoals], err)) != KZ_OK)
            return rc;
        d->ngoals++;
    }
    if (d->ngoals > 1)
        qsort(d->g, d->ngoals, sizeof(*d->g), goal_order);
    for (i = 0; i < d->ngoals; i++) {
        struct kz_tl_point *p = kz_xcalloc(d->g[i].nprogress + 1, sizeof(*p));
        for (j = 0; j < d->g[i].nprogress; j++) {
            p[j].date = d->g[i].progress[j].date;
            p[j].value = d->g[i].progress[j].score;
        }
        d->goals[i].p = p;
        d->goals[i].n = d->g[i].nprogress;
        d->goals[i].min = 0;
        d->goals[i].max = 10;
        d->goals[i].status = kz_status_name(d->g[i].status);
    }
    return KZ_OK;
}

/* Each measure's series, a line per partner who has scores on it. */
static int
gather_scores(struct kz_state *st, const unsigned char *cid, struct tl_data *d,
              struct kz_err *err)
{
    char names[TL_MEASURES_MAX][KZ_MEASURE_NAME_MAX + 1];
    struct kz_scores_gather g;
    size_t nm, i, j;
    int k, rc;

    /* One pass over the heads for every measure's series. */
    if ((rc = kz_scores_gather(st, cid, &g, err)) != KZ_OK)
        return rc;
    nm = kz_scores_measures_in(&g, names, TL_MEASURES_MAX);
    if (nm > TL_MEASURES_MAX)
        nm = TL_MEASURES_MAX;
    d->series = kz_xcalloc(nm + 1, sizeof(*d->series));
    d->scores = kz_xcalloc(2 * nm + 1, sizeof(*d->scores));
    for (i = 0; i < nm; i++) {
        struct kz_series *s = &d->series[d->nseries];
        if ((rc = kz_scores_series_in(st, &g, names[i], s, err)) != KZ_OK) {
            kz_scores_gather_free(&g);
            return rc;
        }
        d->nseries++;
        for (k = 0; k < 2; k++) {
            struct kz_tl_line *l;
            struct kz_tl_point *p;
            if (s->n[k] == 0)
                continue;
            l = &d->scores[d->nscores++];
            p = kz_xcalloc(s->n[k], sizeof(*p));
            for (j = 0; j < s->n[k]; j++) {
                p[j].date = s->p[k][j].date;
                p[j].value = s->p[k][j].total;
            }
            l->p = p;
            l->n = s->n[k];
            l->min = s->m.min;
            l->max = s->m.max;
        }
    }
    kz_scores_gather_free(&g);
    return KZ_OK;
}

/* s cut by snprintf ends at a whole UTF-8 character. */
static void
utf8_whole(char *s)
{
    size_t n = strlen(s), i = n, need;
    unsigned char lead;

    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0 || (lead = (unsigned char)s[i - 1]) < 0xc0)
        return;
    need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (n - (i - 1) < need)
        s[i - 1] = '\0';
}

/* Labels: "g1 Fewer fights", "ORS P1". */
static void
label_lines(struct tl_data *d)
{
    size_t i, k = 0, line = 0;
    int p;

    d->labels = kz_xcalloc(d->ngoals + d->nscores + 1, sizeof(*d->labels));
    for (i = 0; i < d->ngoals; i++, line++) {
        snprintf(d->labels[line], TL_LABEL, "g%u %s", (unsigned)d->g[i].num, d->g[i].title);
        utf8_whole(d->labels[line]);
        d->goals[i].label = d->labels[line];
    }
    for (i = 0; i < d->nseries; i++) {
        for (p = 0; p < 2; p++) {
            if (d->series[i].n[p] == 0)
                continue;
            snprintf(d->labels[line], TL_LABEL, "%s P%d", d->series[i].m.name, p + 1);
            d->scores[k++].label = d->labels[line++];
        }
    }
}

/* ---- the command ---- */

static const char *
date_text(void *ctx, uint32_t date, char *buf)
{
    kz_date_format_style(date, *(const int *)ctx, buf);
    return buf;
}

static int
width_of(const char *text, int *width, struct kz_err *err)
{
    char *end;
    long w;

    if (text == NULL) {
        *width = kz_ui_columns();
        if (*width < 40)
            *width = 40;
        return KZ_OK;
    }
    w = strtol(text, &end, 10);
    if (*text < '0' || *text > '9' || *end != '\0' || w < 40 || w > 500)
        return kz_fail(err, KZ_EUSAGE, "timeline: --width is a whole number from 40 to 500");
    *width = (int)w;
    return KZ_OK;
}

static int
cmd_timeline(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *width_text = NULL;
    const struct kz_opt opts[] = {{"width", 0, 1, &width_text, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct kz_head_info chi;
    struct tl_data d;
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1];
    int rc, npos, width = 80;

    memset(&d, 0, sizeof(d));
    if ((rc = kz_cmd_parse(st, "timeline", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: timeline CODE [--width N]");
    if ((rc = width_of(width_text, &width, err)) != KZ_OK ||
        (rc = kz_rec_find_couple(st, pos[0], cid, &chi, err)) != KZ_OK)
        return rc;
    if ((rc = kz_rec_children(st, cid, &d.kids, &d.nkids, err)) != KZ_OK)
        goto out;
    gather_sessions(&d);
    if ((rc = gather_goals(st, &d, err)) != KZ_OK || (rc = gather_scores(st, cid, &d, err)) != KZ_OK)
        goto out;
    label_lines(&d);
    if (st->ui.json) {
        kz_ui_show(&st->ui, kz_timeline_json(chi.code, &d), NULL);
        goto out;
    }
    memset(&t, 0, sizeof(t));
    d.style = kz_cmd_date_style(st);
    t.code = chi.code;
    t.today = kz_date_today();
    t.s = d.s;
    t.ns = d.ns;
    t.goals = d.goals;
    t.ngoals = d.ngoals;
    t.scores = d.scores;
    t.nscores = d.nscores;
    t.date_text = date_text;
    t.date_ctx = &d.style;
    kz_tl_render(&t, width, TL_LINES, st->ui.ascii, st->ui.color, &b);
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_buf_free(&b);
    tl_free(&d);
    return rc;
}

static const char *const tl_opts[] = {"--width", NULL};

const struct kz_cmd_entry kz_cmd_timeline = {
    "timeline", "CODE [--width N]",
    "one screen of a couple's therapy: sessions, themes, goals, scores, gaps",
    "Sessions by date along a time axis: a row for joint sessions and one for each\n"
    "partner's own (signed, unsigned and void marked apart); the most frequent themes\n"
    "as a band over the same axis; goals' progress and each partner's scores as bars;\n"
    "gaps of more than a month between sessions named. It fits 24 lines, left out\n"
    "rows counted in their heading. --width N: 40 to 500 columns (default: the\n"
    "terminal's, 80 when not one). --json gives every session, gap, theme, goal and score.",
    CMD_NEEDS_KEY, tl_opts, cmd_timeline};
