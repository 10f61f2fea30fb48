/* SPDX-License-Identifier: GPL-3.0-or-later */
/* timeline --json: every session, gap, theme, goal and score of the couple. */
#include <stdlib.h>

#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "session.h"
#include "timeline.h"


static json_t *
date_json(uint32_t d)
{
    char iso[11];

    if (d == 0)
        return json_null();
    kz_date_format(d, iso);
    return json_string(iso);
}

static json_t *
sessions_json(const struct tl_data *d)
{
    static const char *const who[3] = {"both", "partner1", "partner2"};
    json_t *a = json_array();
    char id[16];
    size_t i;

    for (i = 0; i < d->ns; i++) {
        const struct kz_tl_session *s = &d->s[i];
        kz_rec_num_text(KZ_KIND_SESSION, s->num, id, sizeof(id));
        json_array_append_new(
            a, json_pack("{s:s,s:o,s:s,s:b,s:b,s:o}", "id", id, "date", date_json(s->date),
                         "attended", who[s->who], "signed", s->state == KZ_TL_SIGNED, "void",
                         s->state == KZ_TL_VOID, "themes", kz_sess_split(s->tags)));
    }
    return a;
}

static json_t *
gaps_json(const struct tl_data *d)
{
    size_t n = kz_tl_gaps(d->s, d->ns, NULL, 0), i;
    struct kz_tl_gap *g = kz_xcalloc(n + 1, sizeof(*g));
    json_t *a = json_array();
    char text[32];

    kz_tl_gaps(d->s, d->ns, g, n);
    for (i = 0; i < n; i++) {
        kz_tl_span_text(g[i].days, text, sizeof(text));
        json_array_append_new(a, json_pack("{s:o,s:o,s:I,s:s}", "from", date_json(g[i].from),
                                           "to", date_json(g[i].to), "days",
                                           (json_int_t)g[i].days, "text", text));
    }
    free(g);
    return a;
}

static json_t *
themes_json(const struct tl_data *d)
{
    size_t n = kz_tl_themes(d->s, d->ns, NULL, 0), i;
    struct kz_tl_theme *t = kz_xcalloc(n + 1, sizeof(*t));
    json_t *a = json_array();

    kz_tl_themes(d->s, d->ns, t, n);
    for (i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s,s:I,s:o,s:o}", "name", t[i].name, "count",
                                           (json_int_t)t[i].count, "first",
                                           date_json(t[i].first), "last", date_json(t[i].last)));
    kz_wipe_free(t, (n + 1) * sizeof(*t));
    return a;
}

static json_t *
goals_json(const struct tl_data *d)
{
    json_t *a = json_array(), *p;
    char id[16];
    size_t i, j;

    for (i = 0; i < d->ngoals; i++) {
        const struct kz_goal *g = &d->g[i];
        p = json_array();
        for (j = 0; j < g->nprogress; j++)
            json_array_append_new(p, json_pack("{s:o,s:i}", "date",
                                               date_json(g->progress[j].date), "score",
                                               g->progress[j].score));
        kz_goal_id_text(g->num, id, sizeof(id));
        json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:s,s:o}", "id", id, "title", g->title,
                                           "partner", g->partner, "status",
                                           kz_status_name(g->status), "progress", p));
    }
    return a;
}

static json_t *
scores_json(const struct tl_data *d)
{
    json_t *a = json_array(), *p;
    char sid[16];
    size_t i, j;
    int k;

    for (i = 0; i < d->nseries; i++) {
        const struct kz_series *s = &d->series[i];
        for (k = 0; k < 2; k++) {
            if (s->n[k] == 0)
                continue;
            p = json_array();
            for (j = 0; j < s->n[k]; j++) {
                kz_rec_num_text(KZ_KIND_SESSION, s->p[k][j].session, sid, sizeof(sid));
                json_array_append_new(p, json_pack("{s:o,s:s,s:f}", "date",
                                                   date_json(s->p[k][j].date), "session", sid,
                                                   "total", s->p[k][j].total));
            }
            json_array_append_new(a, json_pack("{s:s,s:i,s:f,s:f,s:o}", "measure", s->m.name,
                                               "partner", k + 1, "min", s->m.min, "max",
                                               s->m.max, "points", p));
        }
    }
    return a;
}

json_t *
kz_timeline_json(const char *code, const struct tl_data *d)
{
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "couple", code, "sessions", sessions_json(d),
                     "gaps", gaps_json(d), "themes", themes_json(d), "goals", goals_json(d),
                     "scores", scores_json(d));
}
