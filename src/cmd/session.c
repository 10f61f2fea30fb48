/* SPDX-License-Identifier: GPL-3.0-or-later */
/* session add|list|show|edit|sign|amend: the notes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "cmds.h"

static const char *const modalities[] = {"in-person", "video", "phone", NULL};

/* Options shared by add and edit. */
struct fields {
    const char *date, *minutes, *tmpl, *themes, *goals, *text, *text_file, *modality;
    const char *attended, *language, *interventions, *homework, *process;
    int interpreter, no_interpreter;
};

#define FIELD_OPTS(f)                                                                            \
    {"date", 0, 1, &(f).date, NULL}, {"minutes", 0, 1, &(f).minutes, NULL},                     \
        {"template", 0, 1, &(f).tmpl, NULL}, {"theme", 0, 1, &(f).themes, NULL},                 \
        {"goal", 0, 1, &(f).goals, NULL}, {"text", 0, 1, &(f).text, NULL},                       \
        {"text-file", 0, 1, &(f).text_file, NULL}, {"modality", 0, 1, &(f).modality, NULL},      \
        {"attended", 0, 1, &(f).attended, NULL}, {"language", 0, 1, &(f).language, NULL},        \
        {"interventions", 0, 1, &(f).interventions, NULL},                                      \
        {"homework", 0, 1, &(f).homework, NULL}, {"process-notes", 0, 1, &(f).process, NULL},    \
        {"interpreter", 0, 0, NULL, &(f).interpreter},                                           \
        {"no-interpreter", 0, 0, NULL, &(f).no_interpreter}

static int
one_of(const char *v, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(v, *list) == 0)
            return 1;
    }
    return 0;
}

static json_t *
split_commas(const char *s)
{
    json_t *arr = json_array();
    const char *p = s;

    while (*p != '\0') {
        const char *q = strchr(p, ',');
        size_t n = q != NULL ? (size_t)(q - p) : strlen(p);
        while (n > 0 && (*p == ' '))
            p++, n--;
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n > 0)
            json_array_append_new(arr, json_stringn(p, n));
        if (q == NULL)
            break;
        p = q + 1;
    }
    return arr;
}

/* Applies the options in f to the session body s (couple record id cid). */
static int
apply_fields(struct kz_state *st, json_t *s, const unsigned char *cid, const struct fields *f,
             struct kz_err *err)
{
    if (f->date != NULL) {
        char buf[11];
        uint32_t d = kz_date_parse(f->date);
        if (d == 0)
            return kz_fail(err, KZ_EUSAGE, "--date: '%s' is not a date (YYYY-MM-DD, today, "
                                           "yesterday)",
                           f->date);
        kz_date_format(d, buf);
        json_object_set_new(s, "date", json_string(buf));
    }
    if (f->minutes != NULL) {
        char *end;
        long m;
        errno = 0;
        m = strtol(f->minutes, &end, 10);
        if (errno != 0 || *end != '\0' || m < 1 || m > 600)
            return kz_fail(err, KZ_EUSAGE, "--minutes: a whole number from 1 to 600");
        json_object_set_new(s, "minutes", json_integer(m));
    }
    if (f->tmpl != NULL) {
        if (kz_template_skeleton(f->tmpl) == NULL)
            return kz_fail(err, KZ_EUSAGE,
                           "--template: free, soap, dap, birp or psychodynamic");
        json_object_set_new(s, "template", json_string(f->tmpl));
    }
    if (f->themes != NULL) {
        json_t *arr = split_commas(f->themes), *t;
        size_t i;
        json_array_foreach(arr, i, t) {
            char folded[KZ_THEME_BUF];
            json_string_set(t, kz_theme_fold(json_string_value(t), folded, sizeof(folded)));
            if (!kz_themes_known(st, json_string_value(t))) {
                if (kz_theme_check(json_string_value(t)) != 0)
                    kz_fail(err, KZ_EUSAGE, "'%s' is not a theme ('themes' lists them)",
                            json_string_value(t));
                else
                    kz_fail(err, KZ_EUSAGE, "'%s' is not a theme ('themes' lists them; "
                                            "'themes add %s' adds it)",
                            json_string_value(t), json_string_value(t));
                json_decref(arr);
                return KZ_EUSAGE;
            }
        }
        json_object_set_new(s, "themes", arr);
    }
    if (f->goals != NULL) {
        json_t *arr = split_commas(f->goals), *g, *ids = json_array();
        size_t i;
        json_array_foreach(arr, i, g) {
            unsigned char gid[KZ_RECORD_ID_BYTES];
            struct kz_head_info hi;
            char text[16];
            int rc = kz_rec_find_num(st, KZ_KIND_GOAL, json_string_value(g), gid, &hi, err);
            if (rc == KZ_OK && memcmp(hi.parent, cid, KZ_RECORD_ID_BYTES) != 0)
                rc = kz_fail(err, KZ_EUSAGE, "goal %s belongs to another couple",
                             json_string_value(g));
            if (rc != KZ_OK) {
                json_decref(arr);
                json_decref(ids);
                return rc;
            }
            kz_rec_num_text(KZ_KIND_GOAL, hi.num, text, sizeof(text));
            json_array_append_new(ids, json_string(text));
        }
        json_decref(arr);
        json_object_set_new(s, "goals", ids);
    }
    if (f->modality != NULL) {
        if (!one_of(f->modality, modalities))
            return kz_fail(err, KZ_EUSAGE, "--modality: in-person, video or phone");
        json_object_set_new(s, "modality", json_string(f->modality));
    }
    if (f->attended != NULL) {
        const char *a = f->attended;
        if (strcmp(a, "1") == 0 || strcmp(a, "partner1") == 0)
            a = "partner1";
        else if (strcmp(a, "2") == 0 || strcmp(a, "partner2") == 0)
            a = "partner2";
        else if (strcmp(a, "both") != 0)
            return kz_fail(err, KZ_EUSAGE, "--attended: both, 1 or 2");
        json_object_set_new(s, "attended", json_string(a));
    }
    if (f->language != NULL)
        json_object_set_new(s, "language", json_string(f->language));
    if (f->interpreter && f->no_interpreter)
        return kz_fail(err, KZ_EUSAGE, "--interpreter or --no-interpreter, not both");
    if (f->interpreter || f->no_interpreter)
        json_object_set_new(s, "interpreter", json_boolean(f->interpreter));
    if (f->interventions != NULL)
        json_object_set_new(s, "interventions", json_string(f->interventions));
    if (f->homework != NULL)
        json_object_set_new(s, "homework", json_string(f->homework));
    if (f->process != NULL)
        json_object_set_new(s, "process_notes", json_string(f->process));
    return KZ_OK;
}

static void
head_of(const json_t *s, const unsigned char *cid, uint32_t num, struct kz_head_info *hi)
{
    const char *att = json_string_value(json_object_get(s, "attended"));
    json_t *t;
    size_t i, n = 0;

    memset(hi, 0, sizeof(*hi));
    hi->kind = KZ_KIND_SESSION;
    hi->num = num;
    memcpy(hi->parent, cid, KZ_RECORD_ID_BYTES);
    hi->date = kz_date_parse(json_string_value(json_object_get(s, "date")));
    hi->minutes = (uint16_t)json_integer_value(json_object_get(s, "minutes"));
    if (json_is_string(json_object_get(s, "signed")))
        hi->flags |= KZ_HF_SIGNED;
    if (att != NULL && strcmp(att, "partner1") == 0)
        hi->flags |= KZ_HF_PARTNER1;
    if (att != NULL && strcmp(att, "partner2") == 0)
        hi->flags |= KZ_HF_PARTNER2;
    json_array_foreach(json_object_get(s, "themes"), i, t) {
        const char *name = json_string_value(t);
        size_t l = name != NULL ? strlen(name) : 0; /* an imported record may hold anything */
        if (l == 0)
            continue;
        if (n + l + 2 > sizeof(hi->tags))
            break;
        if (n > 0)
            hi->tags[n++] = ',';
        memcpy(hi->tags + n, name, l);
        n += l;
    }
    hi->tags[n] = '\0';
}

static int
save_session(struct kz_state *st, const unsigned char *id, json_t *s, const unsigned char *cid,
             uint32_t num, struct kz_err *err)
{
    struct kz_head_info hi;
    char now[21];

    kz_time_now(now);
    json_object_set_new(s, "updated", json_string(now));
    head_of(s, cid, num, &hi);
    return kz_rec_save(st, id, &hi, s, err);
}

static int
has_fields(const struct fields *f)
{
    return f->date || f->minutes || f->tmpl || f->themes || f->goals || f->text || f->text_file ||
           f->modality || f->attended || f->language || f->interventions || f->homework ||
           f->process || f->interpreter || f->no_interpreter;
}

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    struct fields f;
    const struct kz_opt opts[] = {FIELD_OPTS(f), {NULL, 0, 0, NULL, NULL}};
    unsigned char cid[KZ_RECORD_ID_BYTES], id[KZ_RECORD_ID_BYTES];
    char *pos[1], *text = NULL, today[11], now[21], sid[16];
    size_t len = 0;
    json_t *s = NULL;
    uint32_t num;
    int rc, npos;

    memset(&f, 0, sizeof(f));
    if ((rc = kz_cmd_parse("session add", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session add CODE [--date D] [--text TEXT] ...");
    if (f.text != NULL && f.text_file != NULL)
        return kz_fail(err, KZ_EUSAGE, "--text or --text-file, not both");
    if ((rc = kz_rec_find_couple(st, pos[0], cid, NULL, err)) != KZ_OK)
        return rc;
    kz_date_format(kz_date_today(), today);
    kz_time_now(now);
    num = kz_rec_next_num(st, KZ_KIND_SESSION);
    s = json_pack("{s:s,s:i,s:i,s:s,s:s,s:i,s:s,s:s,s:s,s:b,s:s,s:[],s:[],s:s,s:s,s:s,s:n,"
                  "s:[],s:s}",
                  "kind", "session", "v", 1, "id", (int)num, "couple", "", "date", today,
                  "minutes", 50, "modality", "in-person", "attended", "both", "language", "",
                  "interpreter", 0, "template", "free", "themes", "goals", "interventions", "",
                  "homework", "", "process_notes", "", "signed", "addenda", "created", now);
    {
        char hex[2 * KZ_RECORD_ID_BYTES + 1];
        kz_hex(cid, KZ_RECORD_ID_BYTES, hex);
        json_object_set_new(s, "couple", json_string(hex));
    }
    if ((rc = apply_fields(st, s, cid, &f, err)) != KZ_OK)
        goto out;
    if ((rc = kz_cmd_text(st, kz_template_skeleton(json_string_value(json_object_get(s, "template"))),
                          f.text, f.text_file, &text, &len, err)) != KZ_OK)
        goto out;
    if (json_object_set_new(s, "text", json_stringn(text, len)) != 0) {
        rc = kz_fail(err, KZ_EUSAGE, "the note is not valid UTF-8 text");
        goto out;
    }
    kz_vault_new_record_id(id);
    if ((rc = save_session(st, id, s, cid, num, err)) != KZ_OK ||
        (rc = kz_rec_claim_num(st, KZ_KIND_SESSION, num, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, num, sid, sizeof(sid));
    snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", sid);
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "added", sid, "couple", pos[0]),
               "added session %s for %s", sid, pos[0]);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    json_decref(s);
    return rc;
}

/* ---- list ---- */

struct row {
    uint32_t num, date;
    uint16_t minutes;
    uint8_t flags;
    unsigned char parent[KZ_RECORD_ID_BYTES];
    char tags[KZ_TAGS_MAX + 1];
};

struct listing {
    const unsigned char *couple; /* NULL: all */
    uint32_t from, to;
    const char *theme;
    struct row *rows;
    size_t n, cap;
};

static int
gather(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct listing *l = ctx;
    struct row *r;

    (void)id;
    if (hi->kind != KZ_KIND_SESSION)
        return 0;
    if (l->couple != NULL && memcmp(hi->parent, l->couple, KZ_RECORD_ID_BYTES) != 0)
        return 0;
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
    r->num = hi->num;
    r->date = hi->date;
    r->minutes = hi->minutes;
    r->flags = hi->flags;
    memcpy(r->parent, hi->parent, KZ_RECORD_ID_BYTES);
    memcpy(r->tags, hi->tags, sizeof(r->tags));
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

/* A JSON string's text, "" when it is missing or not a string (an imported
 * record may hold anything): never a NULL for %s. */
static const char *
text_of(const json_t *v)
{
    const char *s = json_string_value(v);

    return s != NULL ? s : "";
}

static const char *
who(uint8_t flags)
{
    return (flags & KZ_HF_PARTNER1) ? "P1 alone" : (flags & KZ_HF_PARTNER2) ? "P2 alone" : "both";
}

static int
parse_range(const char *from, const char *to, uint32_t *f, uint32_t *t, struct kz_err *err)
{
    *f = *t = 0;
    if (from != NULL && (*f = kz_date_parse(from)) == 0)
        return kz_fail(err, KZ_EUSAGE, "--from: '%s' is not a date (YYYY-MM-DD)", from);
    if (to != NULL && (*t = kz_date_parse(to)) == 0)
        return kz_fail(err, KZ_EUSAGE, "--to: '%s' is not a date (YYYY-MM-DD)", to);
    return KZ_OK;
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"id", "ID", 0},       {"date", "DATE", 0},     {"couple", "COUPLE", 10},
        {"minutes", "MIN", 0}, {"attended", "WHO", 0},  {"themes", "THEMES", 24},
        {"signed", "SIGNED", 0}, {NULL, NULL, 0},
    };
    const char *from = NULL, *to = NULL, *theme = NULL;
    const struct kz_opt opts[] = {
        {"from", 0, 1, &from, NULL},
        {"to", 0, 1, &to, NULL},
        {"theme", 0, 1, &theme, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct listing l;
    char *pos[1], folded[KZ_THEME_BUF];
    json_t *rows;
    int rc, npos;
    size_t i;

    memset(&l, 0, sizeof(l));
    if ((rc = kz_cmd_parse("session list", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (theme != NULL && *theme == '\0')
        return kz_fail(err, KZ_EUSAGE, "session list: --theme needs a theme name");
    if ((rc = parse_range(from, to, &l.from, &l.to, err)) != KZ_OK)
        return rc;
    if (npos == 1) {
        if ((rc = kz_rec_find_couple(st, pos[0], cid, NULL, err)) != KZ_OK)
            return rc;
        l.couple = cid;
    }
    l.theme = theme != NULL ? kz_theme_fold(theme, folded, sizeof(folded)) : NULL;
    if ((rc = kz_rec_scan(st, gather, &l, err)) != KZ_OK)
        goto out;
    if (l.n > 1)
        qsort(l.rows, l.n, sizeof(*l.rows), by_date);
    rows = json_array();
    for (i = 0; i < l.n; i++) {
        char id[16], date[11], code[KZ_CODE_MAX + 1];
        json_t *themes = split_commas(l.rows[i].tags);
        kz_rec_num_text(KZ_KIND_SESSION, l.rows[i].num, id, sizeof(id));
        kz_date_format(l.rows[i].date, date);
        kz_rec_parent_code(st, l.rows[i].parent, code);
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:i,s:s,s:o,s:b}", "id", id, "date",
                                              date, "couple", code, "minutes",
                                              (int)l.rows[i].minutes, "attended",
                                              who(l.rows[i].flags), "themes", themes, "signed",
                                              (l.rows[i].flags & KZ_HF_SIGNED) != 0));
    }
    kz_ui_table(&st->ui, rows, cols, "no sessions");
out:
    kz_wipe_free(l.rows, l.cap * sizeof(*l.rows)); /* themes */
    return rc;
}

/* ---- show, edit, sign, amend ---- */

static int
load_session(struct kz_state *st, const char *arg, unsigned char *id, struct kz_head_info *hi,
             json_t **s, struct kz_err *err)
{
    int rc;

    *s = NULL;
    if ((rc = kz_rec_find_num(st, KZ_KIND_SESSION, arg, id, hi, err)) != KZ_OK)
        return rc;
    return kz_rec_load(st, id, s, err);
}

static const char *
partner_name(struct kz_state *st, const unsigned char *cid, int which, char *buf, size_t size)
{
    json_t *c = NULL;
    char key[9];
    const char *n;

    snprintf(buf, size, "partner %d", which);
    if (kz_rec_load(st, cid, &c, NULL) != KZ_OK)
        return buf;
    snprintf(key, sizeof(key), "partner%d", which);
    n = json_string_value(json_object_get(json_object_get(c, key), "name"));
    if (n != NULL && *n != '\0')
        snprintf(buf, size, "partner %d (%s)", which, n);
    json_decref(c);
    return buf;
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], sid[16], code[KZ_CODE_MAX + 1], pname[160];
    const char *t;
    json_t *s = NULL, *e;
    int rc, npos, alone;
    size_t i;

    if ((rc = kz_cmd_parse("session show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session show ID");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    kz_rec_parent_code(st, hi.parent, code);
    alone = (hi.flags & KZ_HF_PARTNER1) ? 1 : (hi.flags & KZ_HF_PARTNER2) ? 2 : 0;
    if (st->ui.json) {
        json_object_set_new(s, "id", json_string(sid));
        json_object_set_new(s, "couple", json_string(code));
        json_object_set_new(s, "individual", alone ? json_integer(alone) : json_null());
        kz_ui_show(&st->ui, s, NULL);
        s = NULL;
        goto out;
    }
    kz_buf_printf(&b, "Session %s — %s, %s, %" JSON_INTEGER_FORMAT " min, %s%s\n", sid, code,
                  text_of(json_object_get(s, "date")),
                  json_integer_value(json_object_get(s, "minutes")),
                  text_of(json_object_get(s, "modality")),
                  json_is_string(json_object_get(s, "signed")) ? ", signed" : "");
    if (alone)
        kz_buf_printf(&b,
                      "Individual session with %s: this is their disclosure, left out of the "
                      "other partner's export.\n",
                      partner_name(st, hi.parent, alone, pname, sizeof(pname)));
    t = json_string_value(json_object_get(s, "language"));
    if (t != NULL && *t)
        kz_buf_printf(&b, "language   %s%s\n", t,
                      json_is_true(json_object_get(s, "interpreter")) ? " (with interpreter)" : "");
    else if (json_is_true(json_object_get(s, "interpreter")))
        kz_buf_add(&b, "interpreter present\n");
    kz_buf_printf(&b, "template   %s\n", text_of(json_object_get(s, "template")));
    if (json_array_size(json_object_get(s, "themes")) > 0) {
        kz_buf_add(&b, "themes     ");
        json_array_foreach(json_object_get(s, "themes"), i, e)
            kz_buf_printf(&b, "%s%s", i ? ", " : "", text_of(e));
        kz_buf_add(&b, "\n");
    }
    if (json_array_size(json_object_get(s, "goals")) > 0) {
        kz_buf_add(&b, "goals      ");
        json_array_foreach(json_object_get(s, "goals"), i, e)
            kz_buf_printf(&b, "%s%s", i ? ", " : "", text_of(e));
        kz_buf_add(&b, "\n");
    }
    kz_buf_printf(&b, "\n%s\n", text_of(json_object_get(s, "text")));
    t = json_string_value(json_object_get(s, "interventions"));
    if (t != NULL && *t)
        kz_buf_printf(&b, "\nInterventions\n  %s\n", t);
    t = json_string_value(json_object_get(s, "homework"));
    if (t != NULL && *t)
        kz_buf_printf(&b, "\nHomework\n  %s\n", t);
    t = json_string_value(json_object_get(s, "process_notes"));
    if (t != NULL && *t)
        kz_buf_printf(&b, "\nProcess notes (private, not part of the record)\n  %s\n", t);
    json_array_foreach(json_object_get(s, "addenda"), i, e)
        kz_buf_printf(&b, "\nAddendum %s\n  %s\n", text_of(json_object_get(e, "date")),
                      text_of(json_object_get(e, "text")));
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_buf_free(&b);
    json_decref(s);
    return rc;
}

static int
refuse_signed(const json_t *s, const char *sid, struct kz_err *err)
{
    if (!json_is_string(json_object_get(s, "signed")))
        return KZ_OK;
    return kz_fail(err, KZ_EUSAGE,
                   "session %s is signed and cannot change; add a dated addendum with "
                   "'session amend %s'",
                   sid, sid);
}

static int
cmd_edit(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    struct fields f;
    int edit_process = 0;
    const struct kz_opt opts[] = {FIELD_OPTS(f), {"edit-process-notes", 0, 0, NULL, &edit_process},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    char *pos[1], *text = NULL, sid[16];
    size_t len = 0;
    json_t *s = NULL;
    int rc, npos;

    memset(&f, 0, sizeof(f));
    if ((rc = kz_cmd_parse("session edit", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session edit ID [options]");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if ((rc = refuse_signed(s, sid, err)) != KZ_OK)
        goto out;
    if ((rc = apply_fields(st, s, hi.parent, &f, err)) != KZ_OK)
        goto out;
    if (f.text != NULL || f.text_file != NULL || !has_fields(&f)) {
        const char *key = edit_process ? "process_notes" : "text";
        if ((rc = kz_cmd_text(st, json_string_value(json_object_get(s, key)), f.text,
                              f.text_file, &text, &len, err)) != KZ_OK)
            goto out;
        if (json_object_set_new(s, key, json_stringn(text, len)) != 0) {
            rc = kz_fail(err, KZ_EUSAGE, "the note is not valid UTF-8 text");
            goto out;
        }
    }
    if ((rc = save_session(st, id, s, hi.parent, hi.num, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "updated", sid), "updated session %s", sid);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    json_decref(s);
    return rc;
}

static int
cmd_sign(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    char *pos[1], sid[16], now[21], question[128];
    json_t *s = NULL;
    int rc, npos, yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};

    if ((rc = kz_cmd_parse("session sign", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session sign ID [--yes]");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if (json_is_string(json_object_get(s, "signed"))) {
        rc = kz_fail(err, KZ_EUSAGE, "session %s was already signed on %s", sid,
                     json_string_value(json_object_get(s, "signed")));
        goto out;
    }
    /* A person at the terminal is asked; a script (-f, piped) signs as it always did. */
    snprintf(question, sizeof(question),
             "Sign %s? A signed note can't be edited, only amended.", sid);
    if (!yes && st->script_name == NULL && st->script_in == NULL &&
        (st->interactive || kz_ui_have_terminal()) && !kz_ui_confirm(question)) {
        rc = kz_fail(err, KZ_EUSAGE, "not signed; %s is unchanged", sid);
        goto out;
    }
    kz_time_now(now);
    json_object_set_new(s, "signed", json_string(now));
    if ((rc = save_session(st, id, s, hi.parent, hi.num, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "signed", sid, "at", now),
               "signed session %s: it can no longer change; 'session amend %s' adds addenda",
               sid, sid);
out:
    json_decref(s);
    return rc;
}

static int
cmd_amend(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *text_opt = NULL, *file = NULL;
    const struct kz_opt opts[] = {{"text", 0, 1, &text_opt, NULL},
                                  {"text-file", 0, 1, &file, NULL},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    char *pos[1], *text = NULL, sid[16], today[11], now[21];
    size_t len = 0;
    json_t *s = NULL, *add;
    int rc, npos;

    if ((rc = kz_cmd_parse("session amend", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session amend ID [--text TEXT | --text-file F]");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if (!json_is_string(json_object_get(s, "signed"))) {
        rc = kz_fail(err, KZ_EUSAGE, "session %s is not signed: change it with 'session edit %s'",
                     sid, sid);
        goto out;
    }
    if ((rc = kz_cmd_text(st, "", text_opt, file, &text, &len, err)) != KZ_OK)
        goto out;
    if (len == 0) {
        rc = kz_fail(err, KZ_EUSAGE, "an addendum needs some text");
        goto out;
    }
    kz_date_format(kz_date_today(), today);
    kz_time_now(now);
    add = json_pack("{s:s,s:s,s:s%}", "date", today, "at", now, "text", text, len);
    if (add == NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "the addendum is not valid UTF-8 text");
        goto out;
    }
    json_array_append_new(json_object_get(s, "addenda"), add);
    if ((rc = save_session(st, id, s, hi.parent, hi.num, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "amended", sid, "date", today),
               "added an addendum to session %s", sid);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    json_decref(s);
    return rc;
}

static const char *const add_opts[] = {
    "--date",     "--minutes",  "--template",      "--theme",         "--goal",
    "--text",     "--text-file", "--modality",     "--attended",      "--language",
    "--interpreter", "--no-interpreter", "--interventions", "--homework", "--process-notes",
    NULL};
static const char *const edit_opts[] = {
    "--date",     "--minutes",  "--template",      "--theme",         "--goal",
    "--text",     "--text-file", "--modality",     "--attended",      "--language",
    "--interpreter", "--no-interpreter", "--interventions", "--homework", "--process-notes",
    "--edit-process-notes", NULL};
static const char *const list_opts[] = {"--from", "--to", "--theme", NULL};
static const char *const sign_opts[] = {"--yes", NULL};
static const char *const amend_opts[] = {"--text", "--text-file", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_session_add = {
    "session add",
    "CODE [--date D] [--minutes N] [--template T] [--theme T,...] [--goal ID,...] "
    "[--text TEXT | --text-file FILE]",
    "write a session note ($EDITOR on a terminal when no text is given)",
    "Dates: YYYY-MM-DD, today, yesterday. Templates: free, soap, dap, birp, psychodynamic.\n"
    "Also --modality in-person|video|phone, --attended both|1|2 (an individual session is\n"
    "that partner's disclosure), --language L, --interpreter, --interventions TEXT,\n"
    "--homework TEXT, --process-notes TEXT (private working notes, kept apart).\n"
    "In a script without --text, the lines that follow are the note, up to a lone '.'.\n"
    "From a system shell, --text lands in its history and in /proc/PID/cmdline (any\n"
    "user can read it): prefer --text-file - (standard input) or the editor.",
    CMD_NEEDS_KEY | CMD_WRITES, add_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_session_list = {
    "session list", "[CODE] [--from DATE] [--to DATE] [--theme T]",
    "sessions by date (all couples, or one)", NULL, CMD_NEEDS_KEY, list_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_session_show = {
    "session show", "ID", "one session: note, process notes, addenda", NULL, CMD_NEEDS_KEY,
    no_opts, cmd_show};
const struct kz_cmd_entry kz_cmd_session_edit = {
    "session edit", "ID [options of session add] [--edit-process-notes]",
    "change an unsigned session (the note in $EDITOR when no option is given)", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, edit_opts, cmd_edit};
const struct kz_cmd_entry kz_cmd_session_sign = {
    "session sign", "ID [--yes]", "sign a note: it becomes immutable",
    "On a terminal asks first (\"Sign s3? ... [y/N]\"); --yes does not ask. Scripts\n"
    "(-f, commands piped in) sign without asking.",
    CMD_NEEDS_KEY | CMD_WRITES, sign_opts, cmd_sign};
const struct kz_cmd_entry kz_cmd_session_amend = {
    "session amend", "ID [--text TEXT | --text-file FILE]", "add a dated addendum to a signed note",
    NULL, CMD_NEEDS_KEY | CMD_WRITES, amend_opts, cmd_amend};
