/* SPDX-License-Identifier: GPL-3.0-or-later */
/* session list, and the count of past notes left unsigned (the shell's hint). */
#include <stdlib.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "session.h"

/* What sorts a session (at 100,000 notes every one is gathered and sorted);
 * the rest is read again from the heads of the rows shown. */
struct row {
    unsigned char id[KZ_RECORD_ID_BYTES];
    uint32_t num, date;
};

struct listing {
    struct kz_state *st;
    const unsigned char *couple; /* NULL: all */
    int archived;  /* closed couples' sessions too (--archived, or a CODE given) */
    size_t left_out; /* sessions of closed couples left out */
    uint32_t from, to;
    int all;      /* voided notes too */
    int unsigned_; /* only notes not yet signed (nor voided) */
    const char *theme;
    struct row *rows;
    size_t n, cap;
};

static int
gather(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct listing *l = ctx;
    struct row *r;

    if (hi->kind != KZ_KIND_SESSION)
        return 0;
    if ((hi->flags & KZ_HF_VOID) && !l->all)
        return 0;
    if (l->unsigned_ && (hi->flags & (KZ_HF_SIGNED | KZ_HF_VOID)))
        return 0;
    if (l->couple != NULL && memcmp(hi->parent, l->couple, KZ_RECORD_ID_BYTES) != 0)
        return 0;
    if (!l->archived && kz_rec_couple_closed(l->st, hi->parent, NULL)) {
        l->left_out++; /* a closed couple is archived */
        return 0;
    }
    if ((l->from && hi->date < l->from) || (l->to && hi->date > l->to))
        return 0;
    if (l->theme != NULL && !kz_head_has_tag(hi->tags, l->theme))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        l->rows = kz_wipe_grow(l->rows, l->cap * sizeof(*l->rows), cap * sizeof(*l->rows));
        l->cap = cap;
    }
    r = &l->rows[l->n++];
    memcpy(r->id, id, KZ_RECORD_ID_BYTES);
    r->num = hi->num;
    r->date = hi->date;
    return 0;
}

static int
by_date(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}

static int
parse_range(struct kz_state *st, const char *from, const char *to, uint32_t *f, uint32_t *t,
            struct kz_err *err)
{
    int rc;

    *f = *t = 0;
    if (from != NULL && (rc = kz_cmd_date_read(st, "--from", from, f, err)) != KZ_OK)
        return rc;
    if (to != NULL && (rc = kz_cmd_date_read(st, "--to", to, t, err)) != KZ_OK)
        return rc;
    return KZ_OK;
}

/* What a shown row takes from its note: its first line and its void. The
 * notes are opened on every core (kz_vault_records_open), each into its own
 * slot; the rows are made from these and the heads afterwards. */
struct shown {
    char *first; /* plaintext: wiped when freed */
    int voided;
    char *void_reason, *void_time;
};

struct showing {
    const struct row *rows; /* the shown rows, in date order */
    struct shown *sh;       /* one per shown row */
};

static void
shown_free(struct shown *sh)
{
    if (sh->first != NULL)
        kz_wipe_free(sh->first, strlen(sh->first) + 1);
    if (sh->void_reason != NULL)
        kz_wipe_free(sh->void_reason, strlen(sh->void_reason) + 1);
    free(sh->void_time);
    memset(sh, 0, sizeof(*sh));
}

/* A shown row's note, on one of the walk's threads: decoded as session show
 * decodes it (a note that is not a session of this vault's stops the list). */
static int
open_note(void *ctx, size_t i, const unsigned char *id, const unsigned char *head,
          size_t headlen, const char *body, size_t bodylen, struct kz_err *err)
{
    struct showing *w = ctx;
    struct shown *sh = &w->sh[i];
    struct kz_session s;
    int rc;

    (void)head;
    (void)headlen;
    if ((rc = kz_sess_parse(id, w->rows[i].num, body, bodylen, &s, err)) != KZ_OK)
        return rc;
    sh->first = kz_note_first_line(s.text);
    sh->voided = s.voided;
    if (s.voided) {
        sh->void_reason = kz_xstrdup(s.void_reason != NULL ? s.void_reason : "");
        sh->void_time = kz_xstrdup(s.void_time != NULL ? s.void_time : "");
    }
    kz_session_free(&s);
    return KZ_OK;
}

/* The row of r: the head's fields and what its note gave (sh); for people a
 * voided note says VOID where SIGNED stands, its line struck through. */
static int
row_of(struct kz_state *st, const struct row *r, const struct shown *sh, int style, json_t **row,
       struct kz_err *err)
{
    char id[16], date[11], code[KZ_CODE_MAX + 1];
    const struct kz_head *h = kz_vault_head(st->vault, r->id);
    struct kz_head_info hi;
    json_t *v;

    *row = NULL;
    if (h == NULL || kz_head_decode(h->data, h->len, &hi) != 0) /* scanned in this read */
        return h == NULL ? kz_fail(err, KZ_EINTEGRITY, "a session's head went missing")
                         : kz_rec_malformed(h, err);
    kz_rec_num_text(KZ_KIND_SESSION, r->num, id, sizeof(id));
    kz_date_format_style(r->date, style, date);
    kz_rec_parent_code(st, hi.parent, code);
    v = sh->voided ? json_pack("{s:s,s:s}", "reason", sh->void_reason, "time", sh->void_time)
                   : json_null();
    *row = json_pack("{s:s,s:s,s:s,s:i,s:s,s:o,s:b,s:o,s:s}", "id", id, "date", date, "couple",
                     code, "minutes", (int)hi.minutes, "attended", kz_session_who(hi.flags),
                     "themes", kz_sess_split(hi.tags), "signed", (hi.flags & KZ_HF_SIGNED) != 0,
                     "void", v, "first_line", sh->first);
    if (!st->ui.json && (hi.flags & KZ_HF_VOID)) {
        size_t fl = strlen(sh->first);
        char *struck = kz_xmalloc(fl + 3);
        struck[0] = KZ_UI_STRIKE[0];
        memcpy(struck + 1, sh->first, fl);
        struck[fl + 1] = KZ_UI_UNSTRIKE[0];
        struck[fl + 2] = '\0';
        json_object_set_new(*row, "signed", json_string("VOID"));
        json_object_set_new(*row, "first_line", json_string(struck));
        kz_wipe_free(struck, fl + 3);
    }
    return KZ_OK;
}

/* The rows from first on: their notes opened on every core, then each row. */
static int
rows_of(struct kz_state *st, const struct listing *l, size_t first, json_t *rows,
        struct kz_err *err)
{
    size_t n = l->n - first, i;
    unsigned char (*ids)[KZ_RECORD_ID_BYTES];
    struct showing w;
    int rc, style = kz_cmd_date_style(st);
    json_t *row;

    if (n == 0) /* no rows (l->rows is NULL) */
        return KZ_OK;
    ids = kz_xcalloc(n, sizeof(*ids));
    w.rows = l->rows + first;
    w.sh = kz_xcalloc(n, sizeof(struct shown));

    for (i = 0; i < n; i++)
        memcpy(ids[i], l->rows[first + i].id, KZ_RECORD_ID_BYTES);
    rc = kz_vault_records_open(st->vault, (const unsigned char (*)[KZ_RECORD_ID_BYTES])ids, n,
                               open_note, &w, err);
    for (i = 0; rc == KZ_OK && i < n; i++) {
        if ((rc = row_of(st, &l->rows[first + i], &w.sh[i], style, &row, err)) == KZ_OK)
            json_array_append_new(rows, row);
    }
    for (i = 0; i < n; i++)
        shown_free(&w.sh[i]);
    free(w.sh);
    free(ids);
    return rc;
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"id", "ID", 0},       {"date", "DATE", 0},     {"couple", "COUPLE", 10},
        {"minutes", "MIN", 0}, {"attended", "WHO", 0},  {"themes", "THEMES", 24},
        {"signed", "SIGNED", 0}, {"first_line", "NOTE", 32}, {NULL, NULL, 0},
    };
    const char *from = NULL, *to = NULL, *theme = NULL, *limit_s = NULL;
    int all = 0, unsig = 0, archived = 0;
    const struct kz_opt opts[] = {
        {"from", 0, 1, &from, NULL},
        {"to", 0, 1, &to, NULL},
        {"since", 0, 1, &from, NULL}, /* audit log's names for the same */
        {"until", 0, 1, &to, NULL},
        {"theme", 0, 1, &theme, NULL},
        {"all", 0, 0, NULL, &all},
        {"unsigned", 0, 0, NULL, &unsig},
        {"archived", 0, 0, NULL, &archived},
        {"limit", 0, 1, &limit_s, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct listing l;
    char *pos[1], folded[KZ_THEME_BUF];
    json_t *rows = NULL;
    int rc, npos;
    long limit;
    size_t first;

    memset(&l, 0, sizeof(l));
    if ((rc = kz_cmd_parse(st, "session list", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (theme != NULL && *theme == '\0')
        return kz_fail(err, KZ_EUSAGE, "session list: --theme needs a theme name");
    if ((rc = parse_range(st, from, to, &l.from, &l.to, err)) != KZ_OK)
        return rc;
    if ((rc = kz_cmd_limit(st, "session list", limit_s, &limit, err)) != KZ_OK)
        return rc;
    if (npos == 1) {
        if ((rc = kz_rec_find_couple(st, pos[0], cid, NULL, err)) != KZ_OK)
            return rc;
        l.couple = cid;
    }
    l.theme = theme != NULL ? kz_theme_fold(theme, folded, sizeof(folded)) : NULL;
    l.all = all;
    l.unsigned_ = unsig;
    l.st = st;
    l.archived = archived || npos == 1;
    if ((rc = kz_rec_scan_kind(st, KZ_KIND_SESSION, l.couple, gather, &l, err)) != KZ_OK)
        goto out;
    if (l.n > 1)
        qsort(l.rows, l.n, sizeof(*l.rows), by_date);
    /* --limit N: the latest N, in date order; only their notes are opened. */
    first = limit > 0 && (size_t)limit < l.n ? l.n - (size_t)limit : 0;
    rows = json_array();
    if ((rc = rows_of(st, &l, first, rows, err)) != KZ_OK)
        goto out;
    kz_ui_table(&st->ui, rows, cols, unsig ? "no unsigned sessions" : "no sessions");
    rows = NULL;
    if (first > 0) {
        char n[32];
        kz_ui_say(&st->ui, "%s %ssessions; the latest %zu shown: --limit 0 for all\n",
                  kz_cmd_grouped(l.n, n, sizeof(n)), unsig ? "unsigned " : "", l.n - first);
    }
    if (l.left_out > 0)
        kz_ui_say(&st->ui, "%zu session%s of closed (archived) couples left out: session list "
                           "--archived\n",
                  l.left_out, l.left_out == 1 ? "" : "s");
out:
    json_decref(rows);
    kz_wipe_free(l.rows, l.cap * sizeof(*l.rows)); /* ids and dates */
    return rc;
}

struct past {
    struct kz_state *st;
    uint32_t today;
    size_t n;
};

static int
count_past(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct past *p = ctx;

    (void)id;
    if (hi->kind == KZ_KIND_SESSION && !(hi->flags & (KZ_HF_SIGNED | KZ_HF_VOID)) &&
        hi->date != 0 && hi->date < p->today &&
        !kz_rec_couple_closed(p->st, hi->parent, NULL)) /* archived: cannot be signed */
        p->n++;
    return 0;
}

int
kz_cmd_unsigned_past(struct kz_state *st, size_t *n)
{
    struct past p = {st, kz_date_today(), 0};
    struct kz_err err;
    int rc;

    *n = 0;
    if (st->vault == NULL || !kz_vault_unlocked(st->vault))
        return KZ_EAUTH;
    /* From the committed state, as every command reads (another process may
     * have signed since). */
    if ((rc = kz_vault_begin_read(st->vault, &err)) != KZ_OK)
        return rc;
    rc = kz_rec_scan_kind(st, KZ_KIND_SESSION, NULL, count_past, &p, &err);
    kz_vault_end_read(st->vault);
    if (rc == KZ_OK)
        *n = p.n;
    return rc;
}

static const char *const list_opts[] = {"--from", "--to", "--theme", "--unsigned", "--all",
                                        "--archived", "--limit", NULL};

const struct kz_cmd_entry kz_cmd_session_list = {
    "session list",
    "[CODE] [--from DATE] [--to DATE] [--theme T] [--unsigned] [--all] [--archived] "
    "[--limit N]",
    "sessions by date (all couples, or one), with each note's first line",
    "--unsigned lists the notes not yet signed. Voided notes are left out unless --all;\n"
    "then SIGNED says VOID and the line is struck through where the terminal can.\n"
    "Sessions of closed (archived) couples are left out, with a count, unless --archived\n"
    "or the CODE names the couple. --limit N shows the latest N (0: all); without it a\n"
    "terminal gets the latest screenful, and scripts, pipes and --json every session.",
    CMD_NEEDS_KEY, list_opts, cmd_list};
