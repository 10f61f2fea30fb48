/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple list: the couples, with their sessions, active goals and last date. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "couple_cmd.h"
#include "flags.h"
#include "scores.h"

struct stats {
    unsigned char id[KZ_RECORD_ID_BYTES];
    char code[KZ_CODE_MAX + 1];
    int status;
    struct kz_couple_tally t;
    struct kz_scores_gather sg; /* its sessions and scores, for its flags */
};

struct gather {
    struct stats *s;
    size_t n, cap;
    struct kz_idmap map; /* id -> s[k], while counting */
};

static int
gather_couples(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct gather *g = ctx;

    if (hi->kind != KZ_KIND_COUPLE)
        return 0;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 32;
        g->s = kz_xrealloc(g->s, g->cap * sizeof(*g->s));
    }
    memset(&g->s[g->n], 0, sizeof(g->s[g->n]));
    memcpy(g->s[g->n].id, id, KZ_RECORD_ID_BYTES);
    memcpy(g->s[g->n].code, hi->code, sizeof(hi->code));
    g->s[g->n].status = hi->status;
    g->n++;
    return 0;
}

static int
tally_child(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct gather *g = ctx;
    struct stats *s;

    (void)id;
    if (!kz_couple_is_child(hi) || g->n == 0)
        return 0;
    if ((s = kz_idmap_find(&g->map, hi->parent)) != NULL) {
        kz_couple_tally_add(&s->t, hi);
        kz_scores_gather_add(&s->sg, hi);
    }
    return 0;
}

/* Counts every couple's sessions and goals into g->s, and gathers its
 * sessions and scores for its flags: one walk over the heads, each counted as
 * it is decoded (collecting 100,000 decoded heads first cost more than the
 * counting; a pass for each couple's flags, three a couple with scores, made
 * the list 9 times slower when every couple had them). */
static int
count_children(struct kz_state *st, struct gather *g, struct kz_err *err)
{
    size_t i;
    int rc;

    kz_idmap_build(&g->map, g->s, g->n, sizeof(*g->s));
    rc = kz_rec_scan(st, tally_child, g, err);
    kz_idmap_free(&g->map);
    for (i = 0; i < g->n; i++)
        kz_scores_gather_done(&g->s[i].sg);
    return rc;
}

static int
by_code(const void *a, const void *b)
{
    const char *x = ((const struct stats *)a)->code, *y = ((const struct stats *)b)->code;
    int c = strcasecmp(x, y);

    return c != 0 ? c : strcmp(x, y);
}

/* Text mode: what the filter left out ("2 closed, 1 paused: couple list
 * --status all"), and codes that differ only in case (older vaults). */
static void
say_hidden(struct kz_state *st, const struct gather *g, int want)
{
    static const int order[] = {KZ_ST_ACTIVE, KZ_ST_PAUSED, KZ_ST_CLOSED};
    char line[160] = "";
    size_t i, k, used;

    for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        int n = 0;
        if (want < 0 || order[k] == want)
            continue;
        for (i = 0; i < g->n; i++)
            n += g->s[i].status == order[k];
        used = strlen(line);
        if (n > 0)
            snprintf(line + used, sizeof(line) - used, "%s%d %s", used ? ", " : "", n,
                     kz_status_name(order[k]));
    }
    if (line[0] != '\0')
        kz_ui_say(&st->ui, "%s: couple list --status all\n", line);
    for (i = 0; i + 1 < g->n; i++) {
        if (strcasecmp(g->s[i].code, g->s[i + 1].code) == 0)
            kz_ui_warn(&st->ui,
                       "couples %s and %s differ only in case: either code is refused as "
                       "ambiguous (see 'help couple delete')",
                       g->s[i].code, g->s[i + 1].code);
    }
}

/* The couple's row into rows: its flags (a mark in text, the objects in
 * JSON; *marked counts the couples with flags), its partners from the body. */
static int
add_row(struct kz_state *st, const struct stats *s, int style, json_t *rows, size_t *marked,
        struct kz_err *err)
{
    struct kz_flag *flags = NULL;
    size_t nflags = 0;
    char line[512], last[11];
    json_t *c = NULL, *row;
    int rc;

    /* Only a couple with scores can have flags: the others cost no scan. */
    if (s->t.scores > 0 && (rc = kz_couple_flags_in(st, &s->sg, &flags, &nflags, err)) != KZ_OK)
        return rc;
    if ((rc = kz_couple_load(st, s->id, &c, err)) != KZ_OK)
        goto out;
    *marked += nflags > 0;
    kz_couple_partners_line(c, line, sizeof(line));
    kz_date_format_style(s->t.last, style, last);
    row = json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "code", s->code, "status",
                    kz_status_name(s->status), "partners", line, "sessions", s->t.sessions,
                    "active_goals", s->t.active_goals, "last_session", last);
    if (kz_couple_on_hold(c, NULL)) /* a legal hold (issue #16) */
        json_object_set_new(row, "status", json_pack("s+", kz_status_name(s->status), " (hold)"));
    json_object_set(row, "hold", json_is_object(json_object_get(c, "hold"))
                                     ? json_object_get(c, "hold")
                                     : json_null());
    if (st->ui.json) {
        json_object_set_new(row, "status", json_string(kz_status_name(s->status)));
        json_object_set_new(row, "flags", kz_flags_json(st, s->code, c, flags, nflags));
        json_object_set(row, "partner1", json_object_get(c, "partner1"));
        json_object_set(row, "partner2", json_object_get(c, "partner2"));
        json_object_set(row, "residence", json_object_get(c, "residence"));
    } else {
        json_object_set_new(row, "mark", json_string(nflags > 0 ? kz_flags_mark(st) : ""));
    }
    json_array_append_new(rows, row);
out:
    kz_wipe_free(flags, nflags * sizeof(*flags));
    json_decref(c);
    return rc;
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"code", "CODE", 8},        {"status", "STATUS", 0}, {"partners", "PARTNERS", 47},
        {"sessions", "SESS", 0},    {"last_session", "LAST", 0}, {NULL, NULL, 0},
    };
    /* With a mark column when a couple shown has flags (flags.h). */
    static const struct kz_col cols_marked[] = {
        {"code", "CODE", 8},        {"mark", "F", 0},        {"status", "STATUS", 0},
        {"partners", "PARTNERS", 47},
        {"sessions", "SESS", 0},    {"last_session", "LAST", 0}, {NULL, NULL, 0},
    };
    const char *status = "active";
    const struct kz_opt opts[] = {{"status", 0, 1, &status, NULL}, {NULL, 0, 0, NULL, NULL}};
    struct gather g;
    char *pos[1];
    json_t *rows = NULL;
    int rc, npos, want, style;
    size_t i, marked = 0;

    memset(&g, 0, sizeof(g));
    if ((rc = kz_cmd_parse(st, "couple list", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    want = strcmp(status, "all") == 0 ? -1 : kz_status_parse(status);
    if (strcmp(status, "all") != 0 && (want < 0 || want > KZ_ST_CLOSED))
        return kz_fail(err, KZ_EUSAGE, "couple list: --status active, paused, closed or all");
    if ((rc = kz_rec_scan_kind(st, KZ_KIND_COUPLE, NULL, gather_couples, &g, err)) != KZ_OK)
        goto out;
    if ((rc = count_children(st, &g, err)) != KZ_OK)
        goto out;
    if (g.n > 1)
        qsort(g.s, g.n, sizeof(*g.s), by_code);
    rows = json_array();
    style = kz_cmd_date_style(st);
    for (i = 0; i < g.n; i++) {
        if (want >= 0 && g.s[i].status != want)
            continue;
        if ((rc = add_row(st, &g.s[i], style, rows, &marked, err)) != KZ_OK)
            goto out;
    }
    kz_ui_table(&st->ui, rows, marked > 0 ? cols_marked : cols,
                g.n == 0 ? "no couples yet ('couple add CODE' adds one)" : "no couples");
    rows = NULL;
    say_hidden(st, &g, want);
out:
    json_decref(rows);
    for (i = 0; i < g.n; i++)
        kz_scores_gather_free(&g.s[i].sg);
    free(g.s);
    return rc;
}

static const char *const list_opts[] = {"--status", NULL};

const struct kz_cmd_entry kz_cmd_couple_list = {
    "couple list", "[--status active|paused|closed|all]", "the couples, with sessions and last date",
    "Shows the active couples and says how many it left out (1 paused, 2 closed).\n"
    "Closed couples are archived: shown with --status closed or all. A legal hold shows\n"
    "as (hold) after the status; --json gives it as hold {reason, since} or null.\n"
    "A CODE is matched without regard to case everywhere: c014 is C014.",
    CMD_NEEDS_KEY, list_opts, cmd_list};
