/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search: every note, process note, goal and profile field, opened in memory
 * and matched there. Nothing about a search is ever written anywhere. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "cmds.h"

#define SNIPPET_WIDTH 34

struct search {
    struct kz_state *st;
    const char *query;
    const unsigned char *couple; /* NULL: every couple */
    int sessions_only;           /* --theme, --from or --to given */
    const char *theme;
    uint32_t from, to;
    const char *open, *close;
    json_t *rows;
    pthread_mutex_t mu; /* visit runs on two threads: rows is shared */
};

/* Adds a row if text holds the query. */
static void
try_field(struct search *s, const char *text, const char *code, const char *id,
          const char *date, const char *where, uint32_t sortdate)
{
    size_t mlen = 0;
    long off;
    char *snip;

    if (text == NULL || *text == '\0')
        return;
    off = kz_find_folded(text, strlen(text), s->query, &mlen);
    if (off < 0)
        return;
    snip = kz_snippet(text, (size_t)off, mlen, SNIPPET_WIDTH, s->open, s->close);
    pthread_mutex_lock(&s->mu);
    json_array_append_new(s->rows,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:s%,s:i}", "couple", code, "id", id,
                                    "date", date, "where", where, "snippet", snip, "match",
                                    text + off, mlen, "sortdate", (int)sortdate));
    pthread_mutex_unlock(&s->mu);
    sodium_memzero(snip, strlen(snip));
    free(snip);
}

struct field_ctx {
    struct search *s;
    const char *code;
};

static void
profile_field(void *ctx, const char *field, const char *value)
{
    struct field_ctx *f = ctx;
    char where[96];

    snprintf(where, sizeof(where), "profile %s", field);
    try_field(f->s, value, f->code, "", "", where, 0);
}

static int
visit(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
      const char *body, size_t bodylen)
{
    struct search *s = ctx;
    struct kz_head_info hi;
    size_t mlen, i;
    json_t *doc, *e;
    char code[KZ_CODE_MAX + 1], sid[16], date[11];

    if (kz_head_decode(head, headlen, &hi) != 0)
        return 0;
    if (hi.kind != KZ_KIND_SESSION && hi.kind != KZ_KIND_GOAL && hi.kind != KZ_KIND_COUPLE)
        return 0;
    if (s->couple != NULL &&
        memcmp(hi.kind == KZ_KIND_COUPLE ? id : hi.parent, s->couple, KZ_RECORD_ID_BYTES) != 0)
        return 0;
    if (s->sessions_only) {
        if (hi.kind != KZ_KIND_SESSION || (s->from && hi.date < s->from) ||
            (s->to && hi.date > s->to) || (s->theme != NULL && !kz_head_has_tag(hi.tags, s->theme)))
            return 0;
    }
    /* Cheap test on the whole document first; most records do not match. */
    if (kz_find_folded(body, bodylen, s->query, &mlen) < 0)
        return 0;
    if ((doc = json_loadb(body, bodylen, 0, NULL)) == NULL)
        return 0;
    if (hi.kind == KZ_KIND_COUPLE) {
        struct field_ctx f = {s, hi.code};
        kz_couple_fields(doc, profile_field, &f);
    } else {
        kz_rec_parent_code(s->st, hi.parent, code);
        kz_rec_num_text(hi.kind, hi.num, sid, sizeof(sid));
        kz_date_format(hi.date, date);
        if (hi.kind == KZ_KIND_SESSION) {
            try_field(s, json_string_value(json_object_get(doc, "text")), code, sid, date,
                      "note", hi.date);
            try_field(s, json_string_value(json_object_get(doc, "process_notes")), code, sid,
                      date, "process notes", hi.date);
            try_field(s, json_string_value(json_object_get(doc, "interventions")), code, sid,
                      date, "interventions", hi.date);
            try_field(s, json_string_value(json_object_get(doc, "homework")), code, sid, date,
                      "homework", hi.date);
            json_array_foreach(json_object_get(doc, "addenda"), i, e)
                try_field(s, json_string_value(json_object_get(e, "text")), code, sid,
                          json_string_value(json_object_get(e, "date")), "addendum", hi.date);
        } else {
            try_field(s, json_string_value(json_object_get(doc, "title")), code, sid, "",
                      "goal", 0);
            try_field(s, json_string_value(json_object_get(doc, "description")), code, sid, "",
                      "goal description", 0);
            json_array_foreach(json_object_get(doc, "progress"), i, e)
                try_field(s, json_string_value(json_object_get(e, "note")), code, sid,
                          json_string_value(json_object_get(e, "date")), "goal progress",
                          kz_date_parse(json_string_value(json_object_get(e, "date"))));
        }
    }
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

static int
cmd_search(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"couple", "COUPLE", 8}, {"id", "ID", 0},          {"date", "DATE", 0},
        {"where", "WHERE", 14},  {"snippet", "MATCH", 36}, {NULL, NULL, 0},
    };
    const char *code = NULL, *theme = NULL, *from = NULL, *to = NULL;
    const struct kz_opt opts[] = {
        {"couple", 0, 1, &code, NULL}, {"theme", 0, 1, &theme, NULL},
        {"from", 0, 1, &from, NULL},   {"to", 0, 1, &to, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct search s;
    char *pos[1], folded[KZ_THEME_BUF];
    json_t **sorted = NULL, *out, *row;
    size_t i, n;
    int rc, npos;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse("search", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1 || *pos[0] == '\0')
        return kz_fail(err, KZ_EUSAGE, "usage: search QUERY [--couple CODE] [--theme T] "
                                       "[--from DATE] [--to DATE]");
    if (theme != NULL && *theme == '\0')
        return kz_fail(err, KZ_EUSAGE, "search: --theme needs a theme name");
    if ((from != NULL && (s.from = kz_date_parse(from)) == 0) ||
        (to != NULL && (s.to = kz_date_parse(to)) == 0))
        return kz_fail(err, KZ_EUSAGE, "search: dates are YYYY-MM-DD, today or yesterday");
    if (code != NULL) {
        if ((rc = kz_rec_find_couple(st, code, cid, NULL, err)) != KZ_OK)
            return rc;
        s.couple = cid;
    }
    s.st = st;
    s.query = pos[0];
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
    if ((rc = kz_vault_record_foreach_parallel(st->vault, visit, &s, err)) != KZ_OK)
        goto out;
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
out:
    free(sorted);
    json_decref(s.rows);
    pthread_mutex_destroy(&s.mu);
    return rc;
}

static const char *const search_opts[] = {"--couple", "--theme", "--from", "--to", NULL};

const struct kz_cmd_entry kz_cmd_search = {
    "search", "QUERY [--couple CODE] [--theme T] [--from DATE] [--to DATE]",
    "find words in notes, process notes, goals and profiles (in memory only)",
    "Case-insensitive on UTF-8 text (Müller finds MÜLLER). --theme, --from and --to limit\n"
    "the search to sessions. Everything is decrypted in memory: no index is ever written.",
    CMD_NEEDS_KEY, search_opts, cmd_search};
