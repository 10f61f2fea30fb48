/* SPDX-License-Identifier: GPL-3.0-or-later */
/* goal list and goal show: a couple's (or one partner's) goals, followed with
 * dated 0-10 scores shown as a sparkline. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "goal.h"

/* ---- list ---- */

struct item {
    unsigned char id[KZ_RECORD_ID_BYTES];
    unsigned char parent[KZ_RECORD_ID_BYTES];
    char code[KZ_CODE_MAX + 1];
    uint32_t num;
};

struct listing {
    const unsigned char *couple; /* NULL: every couple */
    int status;                  /* -1: all */
    struct item *items;
    size_t n, cap;
};

static int
gather(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct listing *l = ctx;
    struct item *it;

    if (hi->kind != KZ_KIND_GOAL)
        return 0;
    if (l->couple != NULL && memcmp(hi->parent, l->couple, KZ_RECORD_ID_BYTES) != 0)
        return 0;
    if (l->status >= 0 && hi->status != l->status)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->items = kz_xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    it = &l->items[l->n++];
    memcpy(it->id, id, KZ_RECORD_ID_BYTES);
    memcpy(it->parent, hi->parent, KZ_RECORD_ID_BYTES);
    it->num = hi->num;
    it->code[0] = '\0';
    return 0;
}

static int
by_code_num(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->code, y->code);

    if (c != 0)
        return c;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* The couple bodies a listing needs, each opened once. */
struct couples {
    unsigned char (*ids)[KZ_RECORD_ID_BYTES];
    json_t **docs;
    size_t n;
};

static const json_t *
couple_doc(struct kz_state *st, struct couples *cs, const unsigned char *cid)
{
    json_t *c = NULL;
    size_t i;

    for (i = 0; i < cs->n; i++) {
        if (memcmp(cs->ids[i], cid, KZ_RECORD_ID_BYTES) == 0)
            return cs->docs[i];
    }
    if (kz_rec_load(st, cid, &c, NULL) != KZ_OK)
        c = NULL; /* gone: the goal shows "partner N" */
    cs->ids = kz_xrealloc(cs->ids, (cs->n + 1) * KZ_RECORD_ID_BYTES);
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of json_t pointers */
    cs->docs = kz_xrealloc(cs->docs, (cs->n + 1) * sizeof(*cs->docs));
    memcpy(cs->ids[cs->n], cid, KZ_RECORD_ID_BYTES);
    cs->docs[cs->n] = c;
    return cs->docs[cs->n++];
}

static void
couples_free(struct couples *cs)
{
    size_t i;

    for (i = 0; i < cs->n; i++)
        json_decref(cs->docs[i]);
    free(cs->ids);
    free(cs->docs);
}

/* One row of goal list: the goal g of item it. */
static json_t *
list_row(struct kz_state *st, struct couples *cs, const struct item *it, const struct kz_goal *g,
         int style)
{
    const struct kz_goal_entry *last = kz_goal_latest(g);
    char gid[16], who[160], target[11], shown[11], last_date[11];

    kz_goal_cmd_for_text(g->partner ? couple_doc(st, cs, it->parent) : NULL, g->partner, who,
                         sizeof(who));
    kz_goal_id_text(it->num, gid, sizeof(gid));
    kz_date_format(g->target, target);
    if (last != NULL)
        kz_date_format(last->date, last_date);
    return json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:o,s:o}", "id", gid, "couple", it->code,
                     "partner", g->partner, "for", who, "title", g->title, "target",
                     kz_cmd_date_shown(style, target, shown), "status",
                     kz_status_name(g->status), "last",
                     last != NULL ? json_integer(last->score) : json_null(), "last_date",
                     last != NULL ? json_string(last_date) : json_null());
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    /* Widths keep a row within 80 columns: 5+8+10+22+10+8+4 and 2 between each. */
    static const struct kz_col cols[] = {
        {"id", "ID", 0},         {"couple", "COUPLE", 8},  {"for", "FOR", 10},
        {"title", "TITLE", 22},  {"target", "TARGET", 10}, {"status", "STATUS", 8},
        {"last", "LAST", 4},     {NULL, NULL, 0},
    };
    const char *status = "active";
    const struct kz_opt opts[] = {{"status", 0, 1, &status, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct listing l;
    struct couples cs = {NULL, NULL, 0};
    struct kz_goal g;
    json_t *rows = NULL, *row;
    char *pos[1];
    size_t i;
    int rc, npos, style;

    memset(&l, 0, sizeof(l));
    memset(&g, 0, sizeof(g));
    if ((rc = kz_cmd_parse(st, "goal list", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK ||
        (rc = kz_goal_status_filter(status, &l.status, err)) != KZ_OK)
        return rc;
    if (npos == 1) {
        if ((rc = kz_rec_find_couple(st, pos[0], cid, NULL, err)) != KZ_OK)
            return rc;
        l.couple = cid;
    }
    if ((rc = kz_rec_scan_kind(st, KZ_KIND_GOAL, l.couple, gather, &l, err)) != KZ_OK)
        goto out;
    for (i = 0; i < l.n; i++)
        kz_rec_parent_code(st, l.items[i].parent, l.items[i].code);
    if (l.n > 1) /* items is NULL when there are none */
        qsort(l.items, l.n, sizeof(*l.items), by_code_num);
    rows = json_array();
    style = kz_cmd_date_style(st);
    for (i = 0; i < l.n; i++) {
        if ((rc = kz_goal_cmd_read(st, l.items[i].id, &g, err)) != KZ_OK)
            goto out;
        if ((row = list_row(st, &cs, &l.items[i], &g, style)) == NULL)
            kz_die("out of memory");
        json_array_append_new(rows, row);
        kz_goal_free(&g);
    }
    kz_ui_table(&st->ui, rows, cols,
                l.status == KZ_ST_ACTIVE ? "no active goals ('goal add CODE TITLE' adds one)"
                                         : "no goals");
    rows = NULL;
out:
    kz_goal_free(&g);
    json_decref(rows);
    couples_free(&cs);
    free(l.items);
    return rc;
}

/* ---- show ---- */

/* "2026-01-10 ▂▃▅▆▇ 2026-06-02  (3 → 8)" for the latest KZ_GOAL_SPARK_MAX entries. */
static void
add_sparkline(struct kz_buf *b, const struct kz_goal *g, int style)
{
    char da[11], dz[11], isoa[11], isoz[11];
    size_t n = g->nprogress, first = kz_goal_spark_first(g, KZ_GOAL_SPARK_MAX), i;
    int *scores = kz_xcalloc(n - first, sizeof(*scores));
    char *bars = kz_xmalloc(3 * (n - first) + 2);
    const char *a, *z;

    for (i = first; i < n; i++)
        scores[i - first] = g->progress[i].score;
    kz_sparkline(scores, n - first, bars, 3 * (n - first) + 2);
    kz_date_format(g->progress[first].date, isoa);
    kz_date_format(g->progress[n - 1].date, isoz);
    a = kz_cmd_date_shown(style, isoa, da);
    z = kz_cmd_date_shown(style, isoz, dz);
    if (n - first == 1)
        kz_buf_printf(b, "%s %s  (%d)", a, bars, scores[0]);
    else
        kz_buf_printf(b, "%s %s %s  (%d \xe2\x86\x92 %d)", a, bars, z, scores[0],
                      scores[n - first - 1]);
    if (first > 0)
        kz_buf_printf(b, "  the last %d of %zu", KZ_GOAL_SPARK_MAX, n);
    kz_buf_add(b, "\n");
    /* Scores are clinical data too. */
    sodium_memzero(scores, (n - first) * sizeof(*scores));
    sodium_memzero(bars, 3 * (n - first) + 2);
    free(scores);
    free(bars);
}

/* goal show as text: the goal g (gid, of couple code, for who). */
static void
show_text(struct kz_buf *b, const struct kz_goal *g, const char *gid, const char *code,
          const char *who, int named, int style)
{
    char iso[11], shown[11];
    size_t i;

    kz_buf_printf(b, "Goal %s — %s\n\n", gid, g->title);
    kz_buf_printf(b, "couple       %s\n", code);
    if (named)
        kz_buf_printf(b, "for          %s (partner %d)\n", who, g->partner);
    else
        kz_buf_printf(b, "for          %s\n", who);
    kz_date_format(g->target, iso);
    kz_buf_printf(b, "target       %s\n", *iso ? kz_cmd_date_shown(style, iso, shown) : "none");
    kz_date_format(g->closed, iso);
    kz_buf_printf(b, "status       %s%s%s\n", kz_status_name(g->status), *iso ? " on " : "",
                  *iso ? kz_cmd_date_shown(style, iso, shown) : "");
    if (*g->description)
        kz_buf_printf(b, "\n%s\n", g->description);
    if (g->nprogress == 0) {
        kz_buf_printf(b, "\nNo progress yet ('goal progress %s SCORE' records one).\n", gid);
        return;
    }
    kz_buf_add(b, "\nProgress  ");
    add_sparkline(b, g, style);
    kz_buf_add(b, "\n");
    for (i = 0; i < g->nprogress; i++) {
        const struct kz_goal_entry *e = &g->progress[i];
        kz_date_format(e->date, iso);
        kz_buf_printf(b, "  %s  %2d  %-6s %s\n", kz_cmd_date_shown(style, iso, shown), e->score,
                      *e->session ? e->session : "-", e->note != NULL ? e->note : "");
    }
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf b = {NULL, 0, 0};
    struct kz_goal g;
    char *pos[1], gid[16], code[KZ_CODE_MAX + 1], who[160], date[11];
    json_t *c = NULL, *doc;
    const struct kz_goal_entry *last;
    int rc, npos, named;

    memset(&g, 0, sizeof(g));
    if ((rc = kz_cmd_parse(st, "goal show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: goal show ID");
    if ((rc = kz_goal_cmd_load(st, pos[0], id, &hi, &g, err)) != KZ_OK)
        goto out;
    kz_goal_id_text(hi.num, gid, sizeof(gid));
    kz_rec_parent_code(st, hi.parent, code);
    if (g.partner != 0 && kz_rec_load(st, hi.parent, &c, NULL) != KZ_OK)
        c = NULL;
    named = kz_goal_cmd_for_text(c, g.partner, who, sizeof(who));
    if (st->ui.json) {
        /* The shape goal list gives, and more (kizuna(1), JSON output): the
         * id as "g1", the couple's code; no storage fields. */
        doc = kz_goal_export(&g, code);
        last = kz_goal_latest(&g);
        if (last != NULL)
            kz_date_format(last->date, date);
        json_object_set_new(doc, "last", last != NULL ? json_integer(last->score) : json_null());
        json_object_set_new(doc, "last_date", last != NULL ? json_string(date) : json_null());
        json_object_set_new(doc, "for", json_string(who));
        kz_ui_show(&st->ui, doc, NULL);
        goto out;
    }
    show_text(&b, &g, gid, code, who, named, kz_cmd_date_style(st));
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_buf_free(&b);
    json_decref(c);
    kz_goal_free(&g);
    return rc;
}

static const char *const list_opts[] = {"--status", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_goal_list = {
    "goal list", "[CODE] [--status active|achieved|dropped|all]",
    "the goals (active ones by default) with their latest score", NULL, CMD_NEEDS_KEY,
    list_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_goal_show = {
    "goal show", "ID", "a goal with its progress as a sparkline", NULL, CMD_NEEDS_KEY, no_opts,
    cmd_show};
