/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple add|set|list|show|edit|close|delete: the couple profiles. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "cmds.h"

#define MAX_FIELDS 64

static void
head_of(const json_t *c, struct kz_head_info *hi)
{
    const char *st = json_string_value(json_object_get(c, "status"));
    const char *code = json_string_value(json_object_get(c, "code"));
    int s = st != NULL ? kz_status_parse(st) : 0;

    memset(hi, 0, sizeof(*hi));
    hi->kind = KZ_KIND_COUPLE;
    hi->status = (uint8_t)(s < 0 ? 0 : s);
    hi->date = kz_date_parse(json_string_value(json_object_get(c, "intake")));
    snprintf(hi->code, sizeof(hi->code), "%s", code != NULL ? code : "");
}

/* Applies FIELD=VALUE words to c. */
static int
apply(json_t *c, int n, char **words, struct kz_err *err)
{
    int i, rc;

    for (i = 0; i < n; i++) {
        char *eq = strchr(words[i], '=');
        char field[128];
        size_t flen;
        if (eq == NULL || eq == words[i])
            return kz_fail(err, KZ_EUSAGE, "'%s' is not FIELD=VALUE", words[i]);
        flen = (size_t)(eq - words[i]);
        if (flen >= sizeof(field))
            return kz_fail(err, KZ_EUSAGE, "field name too long");
        memcpy(field, words[i], flen);
        field[flen] = '\0';
        if ((rc = kz_couple_set(c, field, eq + 1, err)) != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

/* An intake date that FIELD=VALUE words changed from before asks first when
 * it is unlikely (kz_cmd_date_check). */
static int
check_intake(struct kz_state *st, const json_t *c, const char *before, int yes,
             struct kz_err *err)
{
    const char *now = json_string_value(json_object_get(c, "intake"));
    uint32_t d = kz_date_parse(now);

    if (d == 0 || strcmp(before, now) == 0)
        return KZ_OK;
    return kz_cmd_date_check(st, "intake", d, 1, yes, err);
}

static int
save_couple(struct kz_state *st, const unsigned char *id, json_t *c, struct kz_err *err)
{
    struct kz_head_info hi;
    char now[21];

    kz_time_now(now);
    json_object_set_new(c, "updated", json_string(now));
    head_of(c, &hi);
    return kz_rec_save(st, id, &hi, c, err);
}

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[MAX_FIELDS + 1], today[11];
    json_t *c = NULL;
    int rc, npos, yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};

    if ((rc = kz_cmd_parse(st, "couple add", argc, argv, opts, pos, MAX_FIELDS + 1, &npos, err)) !=
        KZ_OK)
        return rc;
    if (npos < 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple add CODE [FIELD=VALUE ...]");
    if (kz_code_check(pos[0]) != 0)
        return kz_fail(err, KZ_EUSAGE,
                       "'%s' is not a couple code: 1-32 letters, digits, '-' or '_', not "
                       "starting with '-' (a pseudonym such as C014, never a name)",
                       pos[0]);
    {
        /* Codes are matched without regard to case: c004 beside C004 is refused. */
        struct kz_head_info have;
        rc = kz_rec_find_couple(st, pos[0], id, &have, err);
        if (rc == KZ_OK && strcmp(have.code, pos[0]) != 0)
            return kz_fail(err, KZ_EUSAGE,
                           "couple %s already exists (codes are matched without regard to "
                           "case: %s is %s)",
                           have.code, pos[0], have.code);
        if (rc == KZ_OK)
            return kz_fail(err, KZ_EUSAGE, "couple %s already exists", pos[0]);
        if (rc != KZ_ENOTFOUND)
            return rc;
    }
    kz_err_clear(err);
    kz_date_format(kz_date_today(), today);
    c = kz_couple_new(pos[0], today);
    if ((rc = apply(c, npos - 1, pos + 1, err)) != KZ_OK ||
        (rc = check_intake(st, c, today, yes, err)) != KZ_OK)
        goto out;
    {
        char now[21];
        kz_time_now(now);
        json_object_set_new(c, "created", json_string(now));
    }
    kz_vault_new_record_id(id);
    if ((rc = save_couple(st, id, c, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "added", pos[0]), "added couple %s", pos[0]);
out:
    json_decref(c);
    return rc;
}

/* Finds the couple *code names (any case) and loads it; *code then points to
 * the code as stored (in canon, KZ_CODE_MAX + 1 bytes), for the messages. */
static int
load_couple(struct kz_state *st, char **code, char *canon, unsigned char *id, json_t **c,
            struct kz_err *err)
{
    struct kz_head_info hi;
    int rc;

    *c = NULL;
    if ((rc = kz_rec_find_couple(st, *code, id, &hi, err)) != KZ_OK)
        return rc;
    memcpy(canon, hi.code, sizeof(hi.code));
    *code = canon;
    return kz_rec_load(st, id, c, err);
}

static int
cmd_set(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[MAX_FIELDS + 1], before[16], canon[KZ_CODE_MAX + 1];
    json_t *c = NULL;
    int rc, npos, yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};

    if ((rc = kz_cmd_parse(st, "couple set", argc, argv, opts, pos, MAX_FIELDS + 1, &npos, err)) !=
        KZ_OK)
        return rc;
    if (npos < 2)
        return kz_fail(err, KZ_EUSAGE, "usage: couple set CODE FIELD=VALUE ...");
    if ((rc = load_couple(st, &pos[0], canon, id, &c, err)) != KZ_OK)
        goto out;
    snprintf(before, sizeof(before), "%s",
             json_is_string(json_object_get(c, "intake"))
                 ? json_string_value(json_object_get(c, "intake"))
                 : "");
    if ((rc = apply(c, npos - 1, pos + 1, err)) != KZ_OK ||
        (rc = check_intake(st, c, before, yes, err)) != KZ_OK ||
        (rc = save_couple(st, id, c, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:i}", "updated", pos[0], "fields", npos - 1),
               "updated couple %s (%d field%s)", pos[0], npos - 1, npos == 2 ? "" : "s");
out:
    json_decref(c);
    return rc;
}

/* ---- list ---- */

struct stats {
    unsigned char id[KZ_RECORD_ID_BYTES];
    char code[KZ_CODE_MAX + 1];
    int status;
    int sessions;
    int goals;
    uint32_t last;
};

struct gather {
    struct stats *s;
    size_t n, cap;
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
by_id(const void *a, const void *b)
{
    return memcmp(((const struct stats *)a)->id, ((const struct stats *)b)->id,
                  KZ_RECORD_ID_BYTES);
}

/* Counts sessions and goals into g->s (sorted by id). */
static int
count_children(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct gather *g = ctx;
    struct stats key, *s;

    (void)id;
    if (hi->kind != KZ_KIND_SESSION && hi->kind != KZ_KIND_GOAL)
        return 0;
    memset(&key, 0, sizeof(key));
    memcpy(key.id, hi->parent, KZ_RECORD_ID_BYTES);
    if (g->n == 0 || (s = bsearch(&key, g->s, g->n, sizeof(*g->s), by_id)) == NULL)
        return 0;
    if (hi->kind == KZ_KIND_GOAL) {
        s->goals += hi->status == KZ_ST_ACTIVE;
    } else {
        s->sessions++;
        if (hi->date > s->last)
            s->last = hi->date;
    }
    return 0;
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

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"code", "CODE", 8},        {"status", "STATUS", 0}, {"partners", "PARTNERS", 47},
        {"sessions", "SESS", 0},    {"last_session", "LAST", 0}, {NULL, NULL, 0},
    };
    const char *status = "active";
    const struct kz_opt opts[] = {{"status", 0, 1, &status, NULL}, {NULL, 0, 0, NULL, NULL}};
    struct gather g = {NULL, 0, 0};
    char *pos[1], line[512], last[11];
    json_t *rows = NULL;
    int rc, npos, want, style;
    size_t i;

    if ((rc = kz_cmd_parse(st, "couple list", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    want = strcmp(status, "all") == 0 ? -1 : kz_status_parse(status);
    if (strcmp(status, "all") != 0 && (want < 0 || want > KZ_ST_CLOSED))
        return kz_fail(err, KZ_EUSAGE, "couple list: --status active, paused, closed or all");
    if ((rc = kz_rec_scan(st, gather_couples, &g, err)) != KZ_OK)
        goto out;
    if (g.n > 1)
        qsort(g.s, g.n, sizeof(*g.s), by_id);
    if ((rc = kz_rec_scan(st, count_children, &g, err)) != KZ_OK)
        goto out;
    if (g.n > 1)
        qsort(g.s, g.n, sizeof(*g.s), by_code);
    rows = json_array();
    style = kz_cmd_date_style(st);
    for (i = 0; i < g.n; i++) {
        json_t *c = NULL, *row;
        if (want >= 0 && g.s[i].status != want)
            continue;
        if ((rc = kz_rec_load(st, g.s[i].id, &c, err)) != KZ_OK)
            goto out;
        kz_couple_partners_line(c, line, sizeof(line));
        kz_date_format_style(g.s[i].last, style, last);
        row = json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "code", g.s[i].code, "status",
                        kz_status_name(g.s[i].status), "partners", line, "sessions",
                        g.s[i].sessions, "active_goals", g.s[i].goals, "last_session", last);
        if (st->ui.json) {
            json_object_set(row, "partner1", json_object_get(c, "partner1"));
            json_object_set(row, "partner2", json_object_get(c, "partner2"));
            json_object_set(row, "residence", json_object_get(c, "residence"));
        }
        json_array_append_new(rows, row);
        json_decref(c);
    }
    kz_ui_table(&st->ui, rows, cols,
                g.n == 0 ? "no couples yet ('couple add CODE' adds one)" : "no couples");
    rows = NULL;
    say_hidden(st, &g, want);
out:
    json_decref(rows);
    free(g.s);
    return rc;
}

/* ---- show ---- */

/* A JSON string's text, "" when it is missing or not a string (an imported
 * record may hold anything): never a NULL for %s. */
static const char *
text_of(const json_t *v)
{
    const char *s = json_string_value(v);

    return s != NULL ? s : "";
}

static void
add_partner(struct kz_buf *b, const json_t *p, int k)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *pron = json_string_value(json_object_get(p, "pronouns"));
    const char *origin = json_string_value(json_object_get(p, "origin"));
    json_t *local = json_object_get(p, "local"), *e;
    size_t i;

    kz_buf_printf(b, "Partner %d   %s%s%s%s\n", k, name && *name ? name : "(no name)",
                  pron && *pron ? " (" : "", pron && *pron ? pron : "", pron && *pron ? ")" : "");
    if (origin && *origin)
        kz_buf_printf(b, "  from       %s%s\n", origin,
                      json_is_true(local)    ? " — lives in their own home country (local)"
                      : json_is_false(local) ? " — lives abroad (the foreign partner)"
                                             : "");
    if (json_array_size(json_object_get(p, "cultures")) > 0) {
        kz_buf_add(b, "  cultures   ");
        json_array_foreach(json_object_get(p, "cultures"), i, e)
            kz_buf_printf(b, "%s%s", i ? ", " : "", text_of(e));
        kz_buf_add(b, "\n");
    }
    if (json_array_size(json_object_get(p, "languages")) > 0) {
        kz_buf_add(b, "  languages  ");
        json_array_foreach(json_object_get(p, "languages"), i, e) {
            const char *fl = json_string_value(json_object_get(e, "fluency"));
            kz_buf_printf(b, "%s%s%s%s%s", i ? ", " : "",
                          text_of(json_object_get(e, "lang")), fl && *fl ? " (" : "",
                          fl && *fl ? fl : "", fl && *fl ? ")" : "");
        }
        kz_buf_add(b, "\n");
    }
}

struct show_ctx {
    struct kz_buf *b;
    int style; /* how dates are shown (KZ_DATE_*) */
};

static void
add_field(void *ctx, const char *field, const char *value)
{
    struct show_ctx *sc = ctx;
    char shown[11];

    if (strncmp(field, "partner", 7) == 0 || *value == '\0' || strcmp(field, "status") == 0)
        return;
    if (strncmp(field, "formulation.", 12) == 0)
        return;
    if (strcmp(field, "intake") == 0)
        value = kz_cmd_date_shown(sc->style, value, shown);
    kz_buf_printf(sc->b, "%-19s %s\n", field, value);
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const char *const cfi[][2] = {
        {"problem", "Cultural definition of the problem"},
        {"causes", "Perceived causes, context and support"},
        {"stressors", "Stressors and supports"},
        {"identity", "Role of cultural identity"},
        {"coping", "Coping and help seeking"},
        {"relationship", "Therapist-client relationship"},
    };
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_buf b = {NULL, 0, 0};
    struct gather g = {NULL, 0, 0};
    json_t *c = NULL, *f;
    char *pos[1], last[11], intake[11], canon[KZ_CODE_MAX + 1];
    int rc, npos, style;
    size_t i;

    if ((rc = kz_cmd_parse(st, "couple show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple show CODE");
    if ((rc = load_couple(st, &pos[0], canon, id, &c, err)) != KZ_OK)
        goto out;
    g.s = kz_xcalloc(1, sizeof(*g.s));
    g.n = g.cap = 1;
    memcpy(g.s[0].id, id, KZ_RECORD_ID_BYTES);
    if ((rc = kz_rec_scan(st, count_children, &g, err)) != KZ_OK)
        goto out;
    kz_date_format(g.s[0].last, last);
    if (st->ui.json) {
        /* The shape couple list gives, and more (kizuna(1), JSON output). */
        char line[512];
        kz_couple_partners_line(c, line, sizeof(line));
        json_object_del(c, "kind");
        json_object_del(c, "v");
        json_object_set_new(c, "code", json_string(pos[0]));
        json_object_set_new(c, "partners", json_string(line));
        json_object_set_new(c, "sessions", json_integer(g.s[0].sessions));
        json_object_set_new(c, "active_goals", json_integer(g.s[0].goals));
        json_object_set_new(c, "last_session", json_string(last));
        kz_ui_show(&st->ui, c, NULL);
        c = NULL;
        goto out;
    }
    style = kz_cmd_date_style(st);
    kz_date_format_style(g.s[0].last, style, last);
    kz_buf_printf(&b, "Couple %s — %s, intake %s\n\n", pos[0],
                  json_string_value(json_object_get(c, "status")),
                  kz_cmd_date_shown(style, json_string_value(json_object_get(c, "intake")),
                                    intake));
    add_partner(&b, json_object_get(c, "partner1"), 1);
    add_partner(&b, json_object_get(c, "partner2"), 2);
    kz_buf_add(&b, "\n");
    {
        struct show_ctx sc = {&b, style};
        kz_couple_fields(c, add_field, &sc);
    }
    f = json_object_get(c, "formulation");
    for (i = 0; i < sizeof(cfi) / sizeof(cfi[0]); i++) {
        const char *t = json_string_value(json_object_get(f, cfi[i][0]));
        if (t != NULL && *t != '\0')
            kz_buf_printf(&b, "\n%s\n  %s\n", cfi[i][1], t);
    }
    kz_buf_printf(&b, "\n%d session%s (last %s), %d active goal%s\n", g.s[0].sessions,
                  g.s[0].sessions == 1 ? "" : "s", *last ? last : "none", g.s[0].goals,
                  g.s[0].goals == 1 ? "" : "s");
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_buf_free(&b);
    free(g.s);
    json_decref(c);
    return rc;
}

/* ---- edit ---- */

static void
add_line(void *ctx, const char *field, const char *value)
{
    kz_buf_printf(ctx, "%s = %s\n", field, value);
}

struct diff {
    json_t *orig;
    const char *field;
    const char *value;
    int same;
};

static void
find_value(void *ctx, const char *field, const char *value)
{
    struct diff *d = ctx;

    if (strcmp(field, d->field) == 0 && strcmp(value, d->value) == 0)
        d->same = 1;
}

/* Applies the edited "field = value" lines, changing only what differs. */
static int
apply_edited(json_t *c, char *text, struct kz_err *err)
{
    json_t *orig = json_deep_copy(c);
    char *line = text, *next;
    int rc = KZ_OK, lineno = 0;

    for (; line != NULL && *line != '\0'; line = next) {
        char *eq, *f, *v, *e;
        struct diff d;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '#' || *line == '\0')
            continue;
        if ((eq = strchr(line, '=')) == NULL) {
            rc = kz_fail(err, KZ_EUSAGE, "line %d: expected 'field = value'", lineno);
            break;
        }
        *eq = '\0';
        f = line;
        v = eq + 1;
        for (e = eq; e > f && (e[-1] == ' ' || e[-1] == '\t'); e--)
            e[-1] = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
            e[-1] = '\0';
        d.orig = orig;
        d.field = f;
        d.value = v;
        d.same = 0;
        kz_couple_fields(orig, find_value, &d);
        if (d.same)
            continue;
        if ((rc = kz_couple_set(c, f, v, err)) != KZ_OK) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            kz_fail(err, rc, "line %d: %s", lineno, msg);
            break;
        }
    }
    json_decref(orig);
    return rc;
}

/* couple edit on a terminal, like crontab -e and visudo: a line that is
 * refused is shown, and the therapist edits the text as left again or
 * abandons; in a script the edit fails (exit 2) and nothing is kept. */
static int
cmd_edit(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], *text = NULL, *initial = NULL, canon[KZ_CODE_MAX + 1];
    size_t len = 0, ilen = 0;
    json_t *c = NULL, *work = NULL;
    int rc, npos, on_terminal = st->interactive || kz_ui_have_terminal();

    if ((rc = kz_cmd_parse(st, "couple edit", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple edit CODE");
    if ((rc = load_couple(st, &pos[0], canon, id, &c, err)) != KZ_OK)
        goto out;
    kz_buf_printf(&b, "# Couple %s. Change the values after '='; lines starting with # are "
                      "ignored.\n# Lists: a, b, c   languages: ja:native, de:B2   children: "
                      "Mia:2019:de ja; Ken:2021\n# consent.NAME = yes/no adds a consent.\n",
                  pos[0]);
    kz_couple_fields(c, add_line, &b);
    for (;;) {
        char *scratch;
        if ((rc = kz_cmd_text(st, initial != NULL ? initial : kz_buf_str(&b), NULL, NULL, &text,
                              &len, err)) != KZ_OK)
            goto out;
        work = json_deep_copy(c);
        scratch = kz_xstrdup(text); /* apply_edited cuts it into lines */
        rc = apply_edited(work, scratch, err);
        kz_vault_plain_free(scratch, strlen(scratch));
        if (rc == KZ_OK)
            break;
        json_decref(work);
        work = NULL;
        if (!on_terminal)
            goto out; /* a script: exit 2, nothing kept */
        kz_ui_error(&st->ui, err);
        if (kz_ui_choose("e(dit again) / a(bandon)?", "ea") != 'e') {
            rc = kz_fail(err, KZ_ERR, "edit abandoned; couple %s unchanged", pos[0]);
            goto out;
        }
        kz_err_clear(err);
        if (initial != NULL)
            kz_vault_plain_free(initial, ilen);
        initial = text; /* the editor opens on the text as the therapist left it */
        ilen = len;
        text = NULL;
        len = 0;
    }
    if (json_equal(work, c)) {
        st->audited = 1; /* nothing written: no new version, no event */
        kz_ui_done(&st->ui, json_pack("{s:s,s:b}", "couple", pos[0], "changed", 0), "no change");
        goto out;
    }
    if ((rc = save_couple(st, id, work, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "updated", pos[0]), "updated couple %s", pos[0]);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    if (initial != NULL)
        kz_vault_plain_free(initial, ilen);
    kz_buf_free(&b);
    json_decref(work);
    json_decref(c);
    return rc;
}

static int
cmd_close(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[1], canon[KZ_CODE_MAX + 1];
    json_t *c = NULL;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "couple close", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple close CODE");
    if ((rc = load_couple(st, &pos[0], canon, id, &c, err)) != KZ_OK)
        goto out;
    json_object_set_new(c, "status", json_string("closed"));
    if ((rc = save_couple(st, id, c, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "code", pos[0], "status", "closed"),
               "closed couple %s (its records stay; 'couple set %s status=active' reopens)",
               pos[0], pos[0]);
out:
    json_decref(c);
    return rc;
}

static int
cmd_delete(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    int yes = 0, rc, npos;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};
    struct kz_rec_child *kids = NULL;
    char *pos[1], question[256];
    struct kz_head_info hi;
    int sessions = 0, goals = 0;
    size_t i, nkids = 0;

    if ((rc = kz_cmd_parse(st, "couple delete", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple delete CODE [--yes]");
    /* Among two codes that differ only in case the exact one: the way out. */
    if ((rc = kz_rec_find_couple_exact(st, pos[0], id, &hi, err)) != KZ_OK)
        return rc;
    pos[0] = hi.code;
    if ((rc = kz_rec_children(st, id, &kids, &nkids, err)) != KZ_OK)
        goto out;
    for (i = 0; i < nkids; i++) {
        if (kids[i].hi.kind == KZ_KIND_SESSION)
            sessions++;
        else
            goals++;
    }
    snprintf(question, sizeof(question),
             "Delete couple %s with %d session%s and %d goal%s for good?", pos[0], sessions,
             sessions == 1 ? "" : "s", goals, goals == 1 ? "" : "s");
    if ((rc = kz_cmd_confirm(st, yes, question, err)) != KZ_OK)
        goto out;
    /* One transaction (CMD_WRITES): all of it goes, or none. */
    for (i = 0; i < nkids; i++) {
        if ((rc = kz_vault_record_delete(st->vault, kids[i].id, err)) != KZ_OK)
            goto out;
    }
    if ((rc = kz_vault_record_delete(st->vault, id, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:i,s:i}", "deleted", pos[0], "sessions", sessions, "goals", goals),
               "deleted couple %s, %d session%s and %d goal%s", pos[0], sessions,
               sessions == 1 ? "" : "s", goals, goals == 1 ? "" : "s");
out:
    kz_wipe_free(kids, nkids * sizeof(*kids)); /* goal titles, themes */
    return rc;
}

static const char *const no_opts[] = {NULL};
static const char *const yes_opts[] = {"--yes", NULL};
static const char *const list_opts[] = {"--status", NULL};
static const char *const delete_opts[] = {"--yes", NULL};

const struct kz_cmd_entry kz_cmd_couple_add = {
    "couple add", "CODE [FIELD=VALUE ...]", "add a couple under a pseudonymous CODE",
    "FIELDs are dotted paths: partner1.name, partner1.pronouns, partner1.origin,\n"
    "partner1.cultures (a, b), partner1.languages (ja:native, de:B2), partner1.local\n"
    "(yes: lives in their own home country), partner2.*, residence, home_languages,\n"
    "children_languages, children (Mia:2019:de ja; Ken:2021), support, referral, intake,\n"
    "status, consent.NAME (yes/no), formulation.problem|causes|stressors|identity|coping|\n"
    "relationship (DSM-5 Cultural Formulation Interview), notes.\n"
    "An intake date more than a day ahead or before 1950 asks first (scripts: --yes).",
    CMD_NEEDS_KEY | CMD_WRITES, yes_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_couple_set = {
    "couple set", "CODE FIELD=VALUE ... [--yes]", "change profile fields (see 'help couple add')",
    NULL, CMD_NEEDS_KEY | CMD_WRITES, yes_opts, cmd_set};
const struct kz_cmd_entry kz_cmd_couple_list = {
    "couple list", "[--status active|paused|closed|all]", "the couples, with sessions and last date",
    "Shows the active couples and says how many it left out (1 paused, 2 closed).\n"
    "A CODE is matched without regard to case everywhere: c014 is C014.",
    CMD_NEEDS_KEY, list_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_couple_show = {
    "couple show", "CODE", "the whole profile, partners and cultural formulation", NULL,
    CMD_NEEDS_KEY, no_opts, cmd_show};
const struct kz_cmd_entry kz_cmd_couple_edit = {
    "couple edit", "CODE", "edit the profile in $EDITOR (a file in /dev/shm, shredded after)",
    "A line that cannot be taken is shown; on a terminal 'e' edits the text as left\n"
    "again, 'a' abandons (nothing kept). In a script: exit 2, nothing kept. An edit\n"
    "that changes nothing says 'no change' and writes nothing.", CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_edit};
const struct kz_cmd_entry kz_cmd_couple_close = {
    "couple close", "CODE", "mark the couple's therapy closed (records stay)", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_close};
const struct kz_cmd_entry kz_cmd_couple_delete = {
    "couple delete", "CODE [--yes]", "delete a couple with its sessions and goals",
    "Asks on a terminal; scripts must say --yes. One transaction: all or nothing.\n"
    "Two couples whose codes differ only in case (from an older kizuna) are refused as\n"
    "ambiguous everywhere; export and delete take the code spelt exactly as stored:\n"
    "export one, import it --as a new code, then delete it.",
    CMD_NEEDS_KEY | CMD_WRITES, delete_opts, cmd_delete};
