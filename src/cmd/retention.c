/* SPDX-License-Identifier: GPL-3.0-or-later */
/* retention (issue #16): the closed couples past their retention end (config
 * retention.years after closing), for the therapist to erase or hold; doctor
 * counts them. Also the lifecycle lines couple show prints. */
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "config_cmd.h"
#include "couple_cmd.h"

struct closed {
    unsigned char id[KZ_RECORD_ID_BYTES];
    uint32_t last; /* the latest session (yyyymmdd), 0 for none */
};

struct gather {
    struct closed *c;
    size_t n, cap;
    struct kz_idmap map; /* id -> c[k], while the sessions are read */
};

static int
gather_closed(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct gather *g = ctx;

    if (hi->kind != KZ_KIND_COUPLE || hi->status != KZ_ST_CLOSED)
        return 0;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->c = kz_xrealloc(g->c, g->cap * sizeof(*g->c));
    }
    memcpy(g->c[g->n].id, id, KZ_RECORD_ID_BYTES);
    g->c[g->n++].last = 0;
    return 0;
}

/* A session's date into its couple's last, when the couple is closed. */
static int
last_session(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct gather *g = ctx;
    struct closed *c;

    (void)id;
    if ((c = kz_idmap_find(&g->map, hi->parent)) != NULL && hi->date > c->last)
        c->last = hi->date;
    return 0;
}

/* The closed couples with their last session dates: one pass over the heads
 * for the couples, one over the sessions (it collected every couple's
 * children first, 47 MB at 100,000 notes, then compared each session with
 * each closed couple). */
static int
closed_couples(struct kz_state *st, struct gather *g, struct kz_err *err)
{
    int rc;

    if ((rc = kz_rec_scan_kind(st, KZ_KIND_COUPLE, NULL, gather_closed, g, err)) != KZ_OK ||
        g->n == 0)
        return rc;
    kz_idmap_build(&g->map, g->c, g->n, sizeof(*g->c));
    rc = kz_rec_scan_kind(st, KZ_KIND_SESSION, NULL, last_session, g, err);
    kz_idmap_free(&g->map);
    return rc;
}

/* The row of a couple past its end: code, closed, last session, kept until, hold. */
static json_t *
due_row(const json_t *c, uint32_t last, uint32_t end, int style)
{
    char closed[11], lastd[11], until[11];
    const char *reason = NULL;

    kz_date_format_style(kz_couple_closed_on(c), style, closed);
    kz_date_format_style(last, style, lastd);
    kz_date_format_style(end, style, until);
    return json_pack("{s:s,s:s,s:s,s:s,s:o}", "code",
                     json_string_value(json_object_get(c, "code")), "closed", closed,
                     "last_session", lastd, "kept_until", until, "hold",
                     kz_couple_on_hold(c, &reason) ? json_string(reason) : json_null());
}

int
kz_retention_due(struct kz_state *st, int style, json_t **rows, int *years, struct kz_err *err)
{
    struct gather g = {NULL, 0, 0, {NULL, 0, NULL, 0}};
    uint32_t today = kz_date_today(), end;
    json_t *c = NULL;
    size_t i;
    int rc;

    *rows = json_array();
    if ((rc = kz_config_retention_years(st, years, err)) != KZ_OK ||
        (rc = closed_couples(st, &g, err)) != KZ_OK)
        goto out;
    for (i = 0; i < g.n; i++) {
        if ((rc = kz_couple_load(st, g.c[i].id, &c, err)) != KZ_OK)
            goto out;
        end = kz_couple_retention_end(c, g.c[i].last, *years);
        if (end != 0 && today > end)
            json_array_append_new(*rows, due_row(c, g.c[i].last, end, style));
        json_decref(c);
        c = NULL;
    }
out:
    free(g.c);
    if (rc != KZ_OK) {
        json_decref(*rows);
        *rows = NULL;
    }
    return rc;
}

void
kz_retention_lines(struct kz_state *st, const json_t *c, uint32_t last, int style,
                   struct kz_buf *b)
{
    char day[11], until[11];
    const char *reason = NULL;
    int years = KZ_RETENTION_YEARS_DEFAULT;

    if (kz_couple_status(c) == KZ_ST_CLOSED) {
        (void)kz_config_retention_years(st, &years, NULL);
        kz_date_format_style(kz_couple_closed_on(c), style, day);
        kz_date_format_style(kz_couple_retention_end(c, last, years), style, until);
        kz_buf_printf(b, "Closed%s%s: archived, read-only (couple reopen changes it); kept "
                         "until %s (retention.years %d)\n",
                      *day ? " " : "", day, *until ? until : "?", years);
    }
    if (kz_couple_on_hold(c, &reason)) {
        kz_date_format_style(kz_couple_hold_since(c), style, day);
        kz_buf_printf(b, "Legal hold since %s: %s (no erasure until couple release)\n", day,
                      reason != NULL ? reason : "");
    }
}

static int
cmd_retention(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"code", "CODE", 8},          {"closed", "CLOSED", 0}, {"last_session", "LAST", 0},
        {"kept_until", "KEPT UNTIL", 0}, {"hold", "HOLD", 30}, {NULL, NULL, 0},
    };
    json_t *rows = NULL;
    char *pos[1];
    int rc, npos, years;
    size_t i;

    if ((rc = kz_cmd_parse(st, "retention", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = kz_retention_due(st, kz_cmd_date_style(st), &rows, &years, err)) != KZ_OK)
        return rc;
    for (i = 0; !st->ui.json && i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        if (json_is_null(json_object_get(row, "hold")))
            json_object_set_new(row, "hold", json_string(""));
    }
    kz_ui_table(&st->ui, rows, cols, "none past retention");
    if (!st->ui.json)
        kz_ui_say(&st->ui, "retention.years %d: closed couples are kept that long after "
                           "closing (config set retention.years N)\n",
                  years);
    return KZ_OK;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_retention = {
    "retention", "", "closed couples past their retention end (config retention.years)",
    "Lists each closed couple whose records were kept retention.years (default 10, as\n"
    "Germany's 630f BGB asks) after its closing date (a couple closed before kizuna wrote\n"
    "closing dates: after its last session), with its legal hold if any. --json gives\n"
    "code, closed, last_session, kept_until and hold (the reason, or null).",
    CMD_NEEDS_KEY, no_opts, cmd_retention};
