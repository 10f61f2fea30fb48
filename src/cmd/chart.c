/* SPDX-License-Identifier: GPL-3.0-or-later */
/* chart: both partners' scores on one measure across the couple's sessions,
 * drawn in the terminal (src/ui/chart.c) or given as JSON. */
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/model_score.h"
#include "kizuna/xalloc.h"
#include "couple_cmd.h"
#include "scores.h"

#define CHART_HEIGHT 12 /* rows of the plot */

/* The sessions that have a score of either partner, in the series' order (by
 * date, then number): a merge of the two sorted lists, each partner's points
 * given their place on the x axis. Returns how many sessions; *xs the first
 * date of each (malloc'd), pts[k] the points of partner k + 1. */
static size_t
x_positions(const struct kz_series *s, struct kz_chart_point *pts[2], uint32_t **dates)
{
    size_t i[2] = {0, 0}, nx = 0;
    int k;

    *dates = kz_xcalloc(s->n[0] + s->n[1] + 1, sizeof(**dates));
    for (k = 0; k < 2; k++)
        pts[k] = kz_xcalloc(s->n[k] + 1, sizeof(*pts[k]));
    while (i[0] < s->n[0] || i[1] < s->n[1]) {
        const struct kz_score_point *a = i[0] < s->n[0] ? &s->p[0][i[0]] : NULL;
        const struct kz_score_point *b = i[1] < s->n[1] ? &s->p[1][i[1]] : NULL;
        const struct kz_score_point *first =
            a == NULL || (b != NULL && (b->date < a->date ||
                                        (b->date == a->date && b->session < a->session)))
                ? b
                : a;
        if (first == NULL)
            break;
        for (k = 0; k < 2; k++) {
            const struct kz_score_point *q = k == 0 ? a : b;
            if (q != NULL && q->date == first->date && q->session == first->session) {
                pts[k][i[k]].x = nx;
                pts[k][i[k]].y = q->total;
                i[k]++;
            }
        }
        (*dates)[nx++] = first->date;
    }
    return nx;
}

/* The name partner k (1, 2) has in the couple's profile, else "Partner k". */
static void
partner_name(const json_t *c, int k, char *buf, size_t size)
{
    const char *n = json_string_value(
        json_object_get(json_object_get(c, k == 1 ? "partner1" : "partner2"), "name"));

    if (n != NULL && *n != '\0')
        snprintf(buf, size, "%s", n);
    else
        snprintf(buf, size, "Partner %d", k);
}

/* The JSON document: the couple, the measure's definition and each partner's
 * points (kizuna(1), JSON output). */
static json_t *
chart_json(const char *code, const json_t *c, const struct kz_series *s)
{
    json_t *partners = json_array();
    char name[200], date[11], sref[16], rref[16];
    size_t i;
    int k;

    for (k = 0; k < 2; k++) {
        json_t *pts = json_array();
        for (i = 0; i < s->n[k]; i++) {
            const struct kz_score_point *p = &s->p[k][i];
            kz_date_format(p->date, date);
            snprintf(sref, sizeof(sref), "s%u", (unsigned)p->session);
            snprintf(rref, sizeof(rref), "r%u", (unsigned)p->score);
            json_array_append_new(pts, json_pack("{s:s,s:s,s:f,s:s}", "session", sref, "date",
                                                 date, "total", p->total, "score", rref));
        }
        partner_name(c, k + 1, name, sizeof(name));
        json_array_append_new(partners, json_pack("{s:i,s:s,s:o}", "partner", k + 1, "name",
                                                  name, "points", pts));
    }
    return json_pack("{s:s,s:o,s:o}", "couple", code, "measure", kz_measure_json(&s->m),
                     "partners", partners);
}

/* --width: 20 to 1000 columns. */
static int
read_width(const char *text, int *width, struct kz_err *err)
{
    char *end;
    long v;

    if (text == NULL) {
        *width = kz_ui_columns();
        return KZ_OK;
    }
    v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 20 || v > 1000)
        return kz_fail(err, KZ_EUSAGE, "chart: --width takes 20 to 1000 columns, not '%s'",
                       text);
    *width = (int)v;
    return KZ_OK;
}

/* The chart as text: a title line, the plot, axes and legend. */
static void
chart_text(struct kz_state *st, const char *code, const json_t *c, const struct kz_series *s,
           int width, struct kz_buf *b)
{
    const struct kz_measure *m = &s->m;
    struct kz_chart ch;
    struct kz_chart_point *pts[2];
    uint32_t *dates;
    char names[2][200], from[11], to[11], caption[128], title[160];
    int k, style = kz_cmd_date_style(st);

    memset(&ch, 0, sizeof(ch));
    ch.nx = x_positions(s, pts, &dates);
    for (k = 0; k < 2; k++) {
        partner_name(c, k + 1, names[k], sizeof(names[k]));
        ch.s[k].name = names[k];
        ch.s[k].p = pts[k];
        ch.s[k].n = s->n[k];
        ch.s[k].band_lo = 1;
        ch.s[k].band_hi = 0; /* none until a first score */
        if (s->n[k] > 0) {
            ch.s[k].band_lo = s->p[k][0].total - m->rci;
            ch.s[k].band_hi = s->p[k][0].total + m->rci;
        }
    }
    kz_date_format_style(dates[0], style, from);
    kz_date_format_style(dates[ch.nx - 1], style, to);
    if (ch.nx == 1)
        snprintf(caption, sizeof(caption), "one session with scores: 1 = %s", from);
    else
        snprintf(caption, sizeof(caption), "sessions with scores: 1 = %s, %zu = %s", from,
                 ch.nx, to);
    ch.ymin = m->min;
    ch.ymax = m->max;
    ch.cutoff = m->cutoff;
    ch.has_cutoff = 1;
    ch.rci = m->rci;
    ch.higher_is_better = m->higher_is_better;
    ch.xcaption = caption;
    ch.width = width;
    ch.height = CHART_HEIGHT;
    ch.color = st->ui.color;
    ch.ascii = st->ui.ascii;
    snprintf(title, sizeof(title), "%s  %s%s%s, %g to %g, %s is better", code, m->name,
             m->title[0] != '\0' ? " " : "", m->title, m->min, m->max,
             m->higher_is_better ? "higher" : "lower");
    ch.title = title;
    kz_ui_chart(&ch, b);
    free(pts[0]);
    free(pts[1]);
    free(dates);
}

static int
cmd_chart(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *measure = NULL, *wtext = NULL;
    const struct kz_opt opts[] = {
        {"measure", 'm', 1, &measure, NULL},
        {"width", 'w', 1, &wtext, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_series s;
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], canon[KZ_CODE_MAX + 1];
    json_t *c = NULL;
    int rc, npos, width = 80;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "chart", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: chart CODE [--measure NAME] [--width N]");
    if ((rc = read_width(wtext, &width, err)) != KZ_OK)
        return rc;
    if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK)
        goto out;
    if ((rc = kz_scores_series(st, id, measure, &s, err)) != KZ_OK)
        goto out;
    if (st->ui.json) {
        kz_ui_show(&st->ui, chart_json(pos[0], c, &s), NULL);
    } else if (s.n[0] + s.n[1] == 0) {
        kz_ui_say(&st->ui,
                  "%s has no %s scores yet: score add SESSION --partner 1|2 --measure %s "
                  "VALUES\n",
                  pos[0], s.m.name, s.m.name);
    } else {
        chart_text(st, pos[0], c, &s, width, &b);
        kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
    }
out:
    kz_buf_free(&b);
    kz_series_free(&s);
    json_decref(c);
    return rc;
}

static const char *const chart_opts[] = {"--measure", "--width", NULL};

const struct kz_cmd_entry kz_cmd_chart = {
    "chart", "CODE [--measure NAME] [--width N]",
    "both partners' scores across sessions, drawn in the terminal",
    "Draws one measure (ORS when the couple has ORS scores, else the first\n"
    "they have) for both partners: partner 1 as a line with ● (ASCII *),\n"
    "partner 2 with ○ (o), ◆ (#) where both fall in one cell; the cut-off as\n"
    "a dotted row; each partner's first score ± the reliable change shaded ░.\n"
    "More sessions than columns: a column shows the mean of its sessions.\n"
    "--width N fixes the width (20-1000; default: the terminal's, 80 in a pipe).\n"
    "No colour with NO_COLOR, --no-color or when output is not a terminal.\n"
    "No scores on the measure yet: says so (exit 0). --json: each partner's points.",
    CMD_NEEDS_KEY, chart_opts, cmd_chart};
