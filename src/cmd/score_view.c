/* SPDX-License-Identifier: GPL-3.0-or-later */
/* score list and score show: a couple's scores per session and partner. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "couple_cmd.h"
#include "goal.h"
#include "score.h"

/* A couple's score records (or those on one measure), with the void marks
 * of their sessions. */
struct item {
    struct kz_rec_child r;
    uint32_t session, date;
    int voided;
};
struct listing {
    const unsigned char *couple;
    const char *measure;
    struct item *it;
    size_t n;
    uint32_t *voids; /* numbers of the couple's void sessions */
    size_t nv;
};

static int
gather(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct listing *l = ctx;
    char name[KZ_MEASURE_NAME_MAX + 1];
    uint32_t sn;
    double total;

    if (memcmp(hi->parent, l->couple, KZ_RECORD_ID_BYTES) != 0)
        return 0;
    if (hi->kind == KZ_KIND_SESSION && (hi->flags & KZ_HF_VOID)) {
        l->voids = kz_xrealloc(l->voids, (l->nv + 1) * sizeof(*l->voids));
        l->voids[l->nv++] = hi->num;
    }
    if (hi->kind != KZ_KIND_SCORE || kz_score_tags(hi->tags, name, &sn, &total) != 0 ||
        (l->measure != NULL && strcasecmp(name, l->measure) != 0))
        return 0;
    l->it = kz_xrealloc(l->it, (l->n + 1) * sizeof(*l->it));
    memcpy(l->it[l->n].r.id, id, KZ_RECORD_ID_BYTES);
    l->it[l->n].r.hi = *hi;
    l->it[l->n].session = sn;
    l->it[l->n].date = hi->date;
    l->it[l->n].voided = 0;
    l->n++;
    return 0;
}

static int
by_date(const void *a, const void *b)
{
    const struct item *x = a, *y = b;

    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    if (x->session != y->session)
        return x->session < y->session ? -1 : 1;
    if (x->r.hi.flags != y->r.hi.flags)
        return x->r.hi.flags < y->r.hi.flags ? -1 : 1;
    return x->r.hi.num < y->r.hi.num ? -1 : x->r.hi.num > y->r.hi.num;
}

/* "6.5 7 5 8", or "" for a total alone. */
static void
values_text(const struct kz_score *s, char *buf, size_t size)
{
    char v[16];
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < s->nvalues && used < size; i++) {
        kz_score_fmt(s->values[i], v, sizeof(v));
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", v);
    }
}

/* One row (or JSON object) for the score s of item it. */
static json_t *
row_of(const struct kz_score *s, const struct item *it, const struct kz_measure *m,
       const json_t *c, int style)
{
    char rid[16], sid[24], iso[11], shown[11], who[160], vals[160], t[16], total[24];
    json_t *values = json_array();
    int beyond = m != NULL && kz_measure_beyond_cutoff(m, s->total);
    size_t i;

    for (i = 0; i < s->nvalues; i++)
        json_array_append_new(values, json_real(s->values[i]));
    kz_score_id_text(it->r.hi.num, rid, sizeof(rid));
    snprintf(sid, sizeof(sid), "s%u%s", it->session, it->voided ? " void" : "");
    kz_date_format(it->date, iso);
    kz_goal_cmd_for_text(c, s->partner, who, sizeof(who));
    values_text(s, vals, sizeof(vals));
    kz_score_fmt(s->total, t, sizeof(t));
    snprintf(total, sizeof(total), "%s%s", t, beyond ? " *" : "");
    return json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:s,s:f,s:s,s:b,s:b}", "id", rid, "session",
                     sid, "date", kz_cmd_date_shown(style, iso, shown), "partner", s->partner,
                     "for", who, "measure", s->measure, "values", values, "subscales", vals,
                     "total", s->total, "shown", total, "beyond_cutoff", beyond, "void",
                     it->voided);
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"id", "ID", 0},        {"session", "SESSION", 0},   {"date", "DATE", 10},
        {"for", "PARTNER", 14}, {"measure", "MEASURE", 8},   {"subscales", "SUBSCALES", 18},
        {"shown", "TOTAL", 0},  {NULL, NULL, 0},
    };
    const char *measure_s = NULL;
    const struct kz_opt opts[] = {{"measure", 0, 1, &measure_s, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct kz_measure m;
    struct listing l;
    struct kz_score s;
    json_t *c = NULL, *rows = NULL, *row;
    char *pos[1];
    size_t i, k;
    int rc, npos, style, have_m, marked = 0;

    memset(&l, 0, sizeof(l));
    if ((rc = kz_cmd_parse(st, "score list", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: score list CODE [--measure NAME]");
    if (measure_s != NULL && (rc = kz_measure_find(st, measure_s, &m, err)) != KZ_OK)
        return rc;
    if ((rc = kz_rec_find_couple(st, pos[0], cid, NULL, err)) != KZ_OK ||
        (rc = kz_couple_load(st, cid, &c, err)) != KZ_OK)
        return rc;
    l.couple = cid;
    l.measure = measure_s != NULL ? m.name : NULL;
    if ((rc = kz_rec_scan_kind(st, -1, l.couple, gather, &l, err)) != KZ_OK)
        goto out;
    for (i = 0; i < l.n; i++) {
        for (k = 0; k < l.nv; k++)
            l.it[i].voided |= l.voids[k] == l.it[i].session;
    }
    if (l.n > 1)
        qsort(l.it, l.n, sizeof(*l.it), by_date);
    rows = json_array();
    style = kz_cmd_date_style(st);
    for (i = 0; i < l.n; i++) {
        if ((rc = kz_score_cmd_read(st, l.it[i].r.id, &l.it[i].r.hi, &s, err)) != KZ_OK)
            goto out;
        have_m = kz_measure_find(st, s.measure, &m, NULL) == KZ_OK;
        if ((row = row_of(&s, &l.it[i], have_m ? &m : NULL, c, style)) == NULL)
            kz_die("out of memory");
        marked |= json_is_true(json_object_get(row, "beyond_cutoff"));
        if (st->ui.json) {
            json_object_del(row, "subscales");
            json_object_del(row, "shown");
        }
        json_array_append_new(rows, row);
    }
    kz_ui_table(&st->ui, rows, cols,
                "no scores ('score add SESSION --partner 1|2 --measure ORS VALUES' adds one)");
    rows = NULL;
    if (!st->ui.json && marked)
        kz_ui_say(&st->ui, "* beyond the measure's cut-off\n");
out:
    json_decref(rows);
    json_decref(c);
    free(l.it);
    free(l.voids);
    return rc;
}

static void
show_text(struct kz_buf *b, const struct kz_score *s, const struct kz_measure *m,
          const char *code, const char *who, int style)
{
    char rid[16], iso[11], shown[11], v[16];
    size_t i;

    kz_score_id_text(s->num, rid, sizeof(rid));
    kz_date_format(s->date, iso);
    kz_buf_printf(b, "Score %s — %s, %s (partner %d)\n\n", rid, s->measure, who, s->partner);
    kz_buf_printf(b, "couple       %s\n", code);
    kz_buf_printf(b, "session      s%u of %s\n", s->session, kz_cmd_date_shown(style, iso, shown));
    for (i = 0; i < s->nvalues; i++) {
        kz_score_fmt(s->values[i], v, sizeof(v));
        kz_buf_printf(b, "  %-14s %s\n", m != NULL && i < m->nsub ? m->sub[i] : "value", v);
    }
    kz_score_fmt(s->total, v, sizeof(v));
    kz_buf_printf(b, "total        %s", v);
    if (m != NULL) {
        char cut[16];
        kz_score_fmt(m->cutoff, cut, sizeof(cut));
        kz_buf_printf(b, " (cut-off %s: %s)", cut,
                      kz_measure_beyond_cutoff(m, s->total) ? "beyond it" : "within");
    }
    kz_buf_add(b, "\n");
}

/* 1 if the session num is void (0 when it is gone). */
static int
session_void(struct kz_state *st, uint32_t num)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    char sid[16];

    snprintf(sid, sizeof(sid), "s%u", num);
    return kz_rec_find_num(st, KZ_KIND_SESSION, sid, id, &hi, NULL) == KZ_OK &&
           (hi.flags & KZ_HF_VOID) != 0;
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf b = {NULL, 0, 0};
    struct kz_measure m;
    struct kz_score s;
    char *pos[1], code[KZ_CODE_MAX + 1], who[160];
    json_t *c = NULL, *doc;
    int rc, npos, have_m;

    if ((rc = kz_cmd_parse(st, "score show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: score show ID");
    if ((rc = kz_rec_find_num(st, KZ_KIND_SCORE, pos[0], id, &hi, err)) != KZ_OK ||
        (rc = kz_score_cmd_read(st, id, &hi, &s, err)) != KZ_OK)
        return rc;
    kz_rec_parent_code(st, hi.parent, code);
    if (kz_couple_load(st, hi.parent, &c, NULL) != KZ_OK)
        c = NULL;
    kz_goal_cmd_for_text(c, s.partner, who, sizeof(who));
    have_m = kz_measure_find(st, s.measure, &m, NULL) == KZ_OK;
    if (st->ui.json) {
        doc = kz_score_export(&s, code);
        json_object_set_new(doc, "for", json_string(who));
        json_object_set_new(doc, "beyond_cutoff",
                            json_boolean(have_m && kz_measure_beyond_cutoff(&m, s.total)));
        json_object_set_new(doc, "void", json_boolean(session_void(st, s.session)));
        kz_ui_show(&st->ui, doc, NULL);
    } else {
        show_text(&b, &s, have_m ? &m : NULL, code, who, kz_cmd_date_style(st));
        kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
    }
    kz_buf_free(&b);
    json_decref(c);
    return KZ_OK;
}

static const char *const list_opts[] = {"--measure", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_score_list = {
    "score list", "CODE [--measure NAME]",
    "a couple's scores by session date: partner, measure, subscales, total",
    "A total beyond the measure's cut-off is marked '*'; a score of a void session is\n"
    "marked 'void' (charts, flags and the timeline leave those out).",
    CMD_NEEDS_KEY, list_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_score_show = {
    "score show", "ID", "one score with its subscales and the measure's cut-off", NULL,
    CMD_NEEDS_KEY, no_opts, cmd_show};
