/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search: every note, process note, goal and profile field, opened in memory
 * and matched there. Nothing about a search is ever written anywhere. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/model_session.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "cmds.h"
#include "goal.h"

#define SNIPPET_WIDTH 34

#define TERMS_MAX 16  /* words or phrases in one search */
#define SPANS_MAX 64  /* matches marked in one field */

struct search {
    struct kz_state *st;
    const char *terms[TERMS_MAX]; /* every one must occur in the record (AND) */
    size_t nterms;
    int raw_test[TERMS_MAX]; /* the term reads the same inside JSON: test the body first */
    int all;                 /* --all: voided notes too */
    int archived;            /* --archived (or --couple): closed couples' records too */
    size_t left_out;         /* matches in closed couples' records left out (under mu) */
    const unsigned char *couple; /* NULL: every couple */
    int sessions_only;           /* --theme, --from or --to given */
    const char *theme;
    uint32_t from, to;
    int style; /* how the DATE column shows dates (KZ_DATE_*) */
    const char *open, *close;
    json_t *rows;
    pthread_mutex_t mu; /* visit runs on two threads: rows is shared */
    struct kz_err bad;  /* a note the model refused (under mu) */
};

/* One searchable field of a record, and where its row points. */
struct field {
    const char *text, *id, *date, *where;
    char where_buf[96];
    uint32_t sortdate;
    uint64_t found; /* bit t: term t occurs in it */
    char *own;      /* text is this copy (a profile value lives only in its callback) */
};

struct record {
    const char *code;
    int archived; /* a closed couple's record */
    struct field *f; /* field names and pointers into the document only */
    size_t n, cap;
};

static struct field *
next_field(struct record *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->f = kz_xrealloc(r->f, r->cap * sizeof(*r->f));
    }
    return &r->f[r->n];
}

static void
add_field(struct record *r, const char *text, const char *id, const char *date,
          const char *where, uint32_t sortdate)
{
    struct field *f;

    if (text == NULL || *text == '\0')
        return;
    f = next_field(r);
    r->n++;
    f->text = text;
    f->id = id;
    f->date = date != NULL ? date : "";
    f->where = where;
    f->sortdate = sortdate;
    f->own = NULL;
}

/* A record matches when every term occurs in one of its fields (not
 * necessarily the same one); then each field holding a term is a row, its
 * snippet marking every term. */
static void
match_record(struct search *s, struct record *r)
{
    struct kz_span spans[SPANS_MAX];
    uint64_t all = 0, want;
    size_t i, nspans;

    want = s->nterms >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << s->nterms) - 1;
    /* One term: a record matches where a field does (no pass for the mask). */
    for (i = 0; i < r->n && s->nterms > 1; i++) {
        (void)kz_find_spans(r->f[i].text, strlen(r->f[i].text), s->terms, s->nterms, spans, 0,
                            &r->f[i].found);
        all |= r->f[i].found;
    }
    if (s->nterms > 1 && all != want)
        return;
    for (i = 0; i < r->n && r->archived && !s->archived; i++) {
        /* A closed couple is archived: its matches are counted, not shown. */
        (void)kz_find_spans(r->f[i].text, strlen(r->f[i].text), s->terms, s->nterms, spans, 0,
                            &r->f[i].found);
        if (r->f[i].found == 0)
            continue;
        pthread_mutex_lock(&s->mu);
        s->left_out++;
        pthread_mutex_unlock(&s->mu);
    }
    for (i = 0; i < r->n && (!r->archived || s->archived); i++) {
        char *snip, shown[11];
        const char *date;
        if (s->nterms > 1 && r->f[i].found == 0)
            continue;
        nspans = kz_find_spans(r->f[i].text, strlen(r->f[i].text), s->terms, s->nterms, spans,
                               SPANS_MAX, &r->f[i].found);
        if (nspans == 0)
            continue;
        snip = kz_snippet_spans(r->f[i].text, spans, nspans, SNIPPET_WIDTH, s->open, s->close);
        date = kz_cmd_date_shown(s->style, r->f[i].date, shown);
        pthread_mutex_lock(&s->mu);
        json_array_append_new(
            s->rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s%,s:i}", "couple", r->code, "id",
                               r->f[i].id, "date", date, "where",
                               r->f[i].where != NULL ? r->f[i].where : r->f[i].where_buf,
                               "snippet", snip, "match", r->f[i].text + spans[0].off,
                               spans[0].len, "sortdate", (int)r->f[i].sortdate));
        pthread_mutex_unlock(&s->mu);
        sodium_memzero(snip, strlen(snip));
        free(snip);
    }
}

static void
profile_field(void *ctx, const char *field, const char *value)
{
    struct record *r = ctx;
    struct field *f;

    if (value == NULL || *value == '\0')
        return;
    f = next_field(r); /* room for it, so add_field fills this one */
    snprintf(f->where_buf, sizeof(f->where_buf), "profile %s", field);
    add_field(r, value, "", "", NULL, 0); /* NULL: where_buf (the array may move) */
    f->own = kz_xstrdup(value);
    f->text = f->own;
}

/* A session's fields: the note, process notes, interventions, homework and
 * each addendum, read through the model (strict: a body it refuses stops the
 * search with KZ_EINTEGRITY naming the note). */
static int
visit_session(struct search *s, const struct kz_head_info *hi, const char *body, size_t bodylen)
{
    struct kz_session n;
    struct kz_err e;
    struct record r;
    char code[KZ_CODE_MAX + 1], sid[16], date[11], what[32];
    size_t i;

    kz_rec_num_text(KZ_KIND_SESSION, hi->num, sid, sizeof(sid));
    snprintf(what, sizeof(what), "session %s", sid);
    if (kz_session_parse(body, bodylen, KZ_SESSION_SEALED, what, &n, &e) != KZ_OK) {
        pthread_mutex_lock(&s->mu);
        if (s->bad.code == KZ_OK)
            s->bad = e;
        pthread_mutex_unlock(&s->mu);
        return KZ_EINTEGRITY;
    }
    memset(&r, 0, sizeof(r));
    kz_rec_parent_code(s->st, hi->parent, code);
    r.code = code;
    r.archived = kz_rec_couple_closed(s->st, hi->parent, NULL);
    kz_date_format(hi->date, date);
    add_field(&r, n.text, sid, date, "note", hi->date);
    add_field(&r, n.process_notes, sid, date, "process notes", hi->date);
    add_field(&r, n.interventions, sid, date, "interventions", hi->date);
    add_field(&r, n.homework, sid, date, "homework", hi->date);
    for (i = 0; i < n.naddenda; i++)
        add_field(&r, n.addenda[i].text, sid, n.addenda[i].date, "addendum", hi->date);
    match_record(s, &r);
    free(r.f);
    kz_session_free(&n);
    return 0;
}

static int
visit(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
      const char *body, size_t bodylen)
{
    struct search *s = ctx;
    struct kz_head_info hi;
    struct record *r;
    size_t mlen, i;
    json_t *doc;
    char code[KZ_CODE_MAX + 1], sid[16], date[11], (*dates)[11] = NULL;
    struct kz_goal g;

    if (kz_head_decode(head, headlen, &hi) != 0)
        return 0;
    if (hi.kind != KZ_KIND_SESSION && hi.kind != KZ_KIND_GOAL && hi.kind != KZ_KIND_COUPLE)
        return 0;
    if (hi.kind == KZ_KIND_SESSION && (hi.flags & KZ_HF_VOID) && !s->all)
        return 0;
    if (s->couple != NULL &&
        memcmp(hi.kind == KZ_KIND_COUPLE ? id : hi.parent, s->couple, KZ_RECORD_ID_BYTES) != 0)
        return 0;
    if (s->sessions_only) {
        if (hi.kind != KZ_KIND_SESSION || (s->from && hi.date < s->from) ||
            (s->to && hi.date > s->to) || (s->theme != NULL && !kz_head_has_tag(hi.tags, s->theme)))
            return 0;
    }
    /* Cheap test on the whole document first: most records lack a term. */
    for (i = 0; i < s->nterms; i++) {
        if (s->raw_test[i] && kz_find_folded(body, bodylen, s->terms[i], &mlen) < 0)
            return 0;
    }
    if (hi.kind == KZ_KIND_SESSION)
        return visit_session(s, &hi, body, bodylen);
    if ((doc = json_loadb(body, bodylen, 0, NULL)) == NULL)
        return 0;
    memset(&g, 0, sizeof(g));
    r = kz_xcalloc(1, sizeof(*r));
    r->archived = hi.kind == KZ_KIND_COUPLE ? hi.status == KZ_ST_CLOSED
                                            : kz_rec_couple_closed(s->st, hi.parent, NULL);
    if (hi.kind == KZ_KIND_COUPLE) {
        r->code = hi.code;
        kz_couple_fields(doc, profile_field, r);
    } else {
        kz_rec_parent_code(s->st, hi.parent, code);
        r->code = code;
        kz_rec_num_text(hi.kind, hi.num, sid, sizeof(sid));
        kz_date_format(hi.date, date);
        if (kz_goal_decode(doc, KZ_GOAL_SEALED, "goal", &g, NULL) == KZ_OK) {
            /* A goal the model does not read is left out, as a body that is not JSON. */
            dates = kz_xcalloc(g.nprogress + 1, sizeof(*dates));
            add_field(r, g.title, sid, "", "goal", 0);
            add_field(r, g.description, sid, "", "goal description", 0);
            for (i = 0; i < g.nprogress; i++) {
                kz_date_format(g.progress[i].date, dates[i]);
                add_field(r, g.progress[i].note, sid, dates[i], "goal progress",
                          g.progress[i].date);
            }
        }
    }
    match_record(s, r);
    for (i = 0; i < r->n; i++) {
        if (r->f[i].own != NULL)
            kz_wipe_free(r->f[i].own, strlen(r->f[i].own));
    }
    free(r->f);
    free(r);
    kz_goal_free(&g);
    free(dates);
    json_decref(doc);
    return 0;
}

static int
by_couple_date(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(x, "couple")),
                   json_string_value(json_object_get(y, "couple")));

    json_int_t dx = json_integer_value(json_object_get(x, "sortdate")),
               dy = json_integer_value(json_object_get(y, "sortdate"));
    const char *ix, *iy, *wx, *wy;

    if (c != 0)
        return c;
    if (dx != dy)
        return dx < dy ? -1 : 1;
    /* Same couple, same day: by id (s2 before s10), then where it matched, so
     * that the order never depends on the file's or the threads' order. */
    ix = json_string_value(json_object_get(x, "id"));
    iy = json_string_value(json_object_get(y, "id"));
    ix = ix != NULL ? ix : "";
    iy = iy != NULL ? iy : "";
    if (ix[0] != iy[0])
        return (unsigned char)ix[0] < (unsigned char)iy[0] ? -1 : 1;
    if (strlen(ix) != strlen(iy))
        return strlen(ix) < strlen(iy) ? -1 : 1;
    if ((c = strcmp(ix, iy)) != 0)
        return c;
    wx = json_string_value(json_object_get(x, "where"));
    wy = json_string_value(json_object_get(y, "where"));
    return strcmp(wx != NULL ? wx : "", wy != NULL ? wy : "");
}

/* Long (about 90 lines) because it is the options, the terms and their
 * checks, one walk and the table in the order a reader follows them; each
 * part is a few lines over helpers. */
static int
cmd_search(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"couple", "COUPLE", 8}, {"id", "ID", 0},          {"date", "DATE", 0},
        {"where", "WHERE", 14},  {"snippet", "MATCH", 36}, {NULL, NULL, 0},
    };
    const char *code = NULL, *theme = NULL, *from = NULL, *to = NULL;
    int all = 0, archived = 0;
    const struct kz_opt opts[] = {
        {"couple", 0, 1, &code, NULL}, {"theme", 0, 1, &theme, NULL},
        {"from", 0, 1, &from, NULL},   {"to", 0, 1, &to, NULL},
        {"all", 0, 0, NULL, &all},     {"archived", 0, 0, NULL, &archived},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct search s;
    char *pos[TERMS_MAX + 1], folded[KZ_THEME_BUF];
    json_t **sorted = NULL, *out, *row;
    size_t i, n;
    int rc, npos;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "search", argc, argv, opts, pos, TERMS_MAX + 1, &npos, err)) !=
        KZ_OK)
        return rc;
    if (npos == 0)
        return kz_fail(err, KZ_EUSAGE, "usage: search WORD... [--couple CODE] [--theme T] "
                                       "[--from DATE] [--to DATE] [--all] [--archived]");
    if (npos > TERMS_MAX)
        return kz_fail(err, KZ_EUSAGE, "search: at most %d words or phrases", TERMS_MAX);
    for (i = 0; i < (size_t)npos; i++) {
        const char *p = pos[i];
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '\0')
            return kz_fail(err, KZ_EUSAGE, "search: an empty word or phrase");
        s.terms[i] = pos[i];
        /* A quote, backslash or control is escaped inside the JSON body: such
         * a term is looked for in the fields only. */
        s.raw_test[i] = strpbrk(pos[i], "\"\\") == NULL;
        for (p = pos[i]; *p != '\0' && s.raw_test[i]; p++)
            s.raw_test[i] = (unsigned char)*p >= 0x20 && *p != 0x7f;
    }
    s.nterms = (size_t)npos;
    s.all = all;
    s.archived = archived || code != NULL; /* a couple named is searched, closed or not */
    if (theme != NULL && *theme == '\0')
        return kz_fail(err, KZ_EUSAGE, "search: --theme needs a theme name");
    if ((from != NULL && (rc = kz_cmd_date_read(st, "--from", from, &s.from, err)) != KZ_OK) ||
        (to != NULL && (rc = kz_cmd_date_read(st, "--to", to, &s.to, err)) != KZ_OK))
        return rc;
    if (code != NULL) {
        if ((rc = kz_rec_find_couple(st, code, cid, NULL, err)) != KZ_OK)
            return rc;
        s.couple = cid;
    }
    s.st = st;
    s.style = kz_cmd_date_style(st);
    s.theme = theme != NULL ? kz_theme_fold(theme, folded, sizeof(folded)) : NULL;
    s.sessions_only = theme != NULL || from != NULL || to != NULL;
    s.open = st->ui.color && !st->ui.json ? KZ_UI_MARK : "\xc2\xab";     /* « */
    s.close = st->ui.color && !st->ui.json ? KZ_UI_UNMARK : "\xc2\xbb";  /* » */
    s.rows = json_array();
    pthread_mutex_init(&s.mu, NULL);
    /* Heads first: the walk's threads only read the index (parent codes). */
    {
        const struct kz_head *heads;
        if ((rc = kz_vault_heads(st->vault, &heads, &n, err)) != KZ_OK)
            goto out;
    }
    if ((rc = kz_vault_record_foreach_parallel(st->vault, visit, &s, err)) != KZ_OK) {
        if (s.bad.code != KZ_OK)
            *err = s.bad;
        goto out;
    }
    n = json_array_size(s.rows);
    sorted = kz_xcalloc(n, sizeof(*sorted)); /* NOLINT(bugprone-sizeof-expression): json_t * */
    json_array_foreach(s.rows, i, row)
        sorted[i] = row;
    if (n > 1)
        qsort(sorted, n, sizeof(*sorted), by_couple_date); /* NOLINT(bugprone-sizeof-expression) */
    out = json_array();
    for (i = 0; i < n; i++) {
        json_object_del(sorted[i], "sortdate");
        json_array_append(out, sorted[i]);
    }
    kz_ui_table(&st->ui, out, cols, "no match");
    if (s.left_out > 0)
        kz_ui_say(&st->ui, "%zu match%s in closed (archived) couples left out: add --archived\n",
                  s.left_out, s.left_out == 1 ? "" : "es");
out:
    free(sorted);
    json_decref(s.rows);
    pthread_mutex_destroy(&s.mu);
    return rc;
}

static const char *const search_opts[] = {"--couple", "--theme", "--from", "--to", "--all",
                                          "--archived", NULL};

const struct kz_cmd_entry kz_cmd_search = {
    "search", "WORD... [--couple CODE] [--theme T] [--from DATE] [--to DATE] [--all] [--archived]",
    "find words in notes, process notes, goals and profiles (in memory only)",
    "Case-insensitive on UTF-8 text (Müller finds MÜLLER). Several words find the records\n"
    "that hold all of them, in any order; \"quoted words\" are one phrase. Every match is\n"
    "marked. --theme, --from and --to limit the search to sessions; voided notes are left\n"
    "out unless --all. Closed (archived) couples are left out, with a count of their matches,\n"
    "unless --archived or --couple names one. Everything is decrypted in memory: no index is\n"
    "ever written.",
    CMD_NEEDS_KEY, search_opts, cmd_search};
