/* SPDX-License-Identifier: GPL-3.0-or-later */
/* session add|list|show|edit|sign|amend|void|delete: the notes. */
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
    int interpreter, no_interpreter, yes;
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
        {"no-interpreter", 0, 0, NULL, &(f).no_interpreter}, {"yes", 'y', 0, NULL, &(f).yes},    \
        {"", 0, KZ_OPT_REST, &(f).text, NULL}

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
        uint32_t d;
        int rc;
        if ((rc = kz_cmd_date_read(st, "--date", f->date, &d, err)) != KZ_OK ||
            (rc = kz_cmd_date_check(st, "--date", d, 1, f->yes, err)) != KZ_OK)
            return rc;
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
        char *t = NULL;
        int rc = kz_template_text(st, f->tmpl, &t, err);
        if (rc == KZ_ENOTFOUND)
            return kz_fail(err, KZ_EUSAGE,
                           "--template: free, soap, dap, birp, psychodynamic or one of your own "
                           "('template list' shows them)");
        if (rc != KZ_OK)
            return rc;
        kz_vault_plain_free(t, strlen(t));
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
        const char *a = kz_attended_parse(f->attended);
        if (a == NULL)
            return kz_fail(err, KZ_EUSAGE, "--attended: both, partner1 or partner2 (1, 2)");
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
    const char *att = kz_attended_parse(json_string_value(json_object_get(s, "attended")));
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
    if (json_is_object(json_object_get(s, "void")))
        hi->flags |= KZ_HF_VOID;
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
    struct kz_head_info chi;
    char *pos[1], *text = NULL, *skel = NULL, today[11], now[21], sid[16];
    size_t len = 0;
    json_t *s = NULL;
    uint32_t num;
    int rc, npos;

    memset(&f, 0, sizeof(f));
    if ((rc = kz_cmd_parse(st, "session add", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session add CODE [--date D] [--text TEXT] ...");
    if (f.text != NULL && f.text_file != NULL)
        return kz_fail(err, KZ_EUSAGE, "the text once: --text, --text-file or after --");
    if ((rc = kz_rec_find_couple(st, pos[0], cid, &chi, err)) != KZ_OK)
        return rc;
    pos[0] = chi.code; /* as stored, whatever case was typed */
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
    if ((rc = kz_template_text(st, json_string_value(json_object_get(s, "template")), &skel,
                               err)) != KZ_OK ||
        (rc = kz_cmd_text(st, skel != NULL ? skel : "", f.text, f.text_file, &text, &len, err)) !=
        KZ_OK)
        goto out;
    /* An emptied editor file, an unchanged template, no input: nothing is saved,
     * no short id is taken, no event recorded (the transaction rolls back). */
    if (kz_cmd_text_empty(text, len, skel)) {
        rc = kz_fail(err, KZ_ERR, "nothing written; no note added");
        goto out;
    }
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
    if (skel != NULL)
        kz_vault_plain_free(skel, strlen(skel));
    json_decref(s);
    return rc;
}

/* ---- list ---- */

struct row {
    unsigned char id[KZ_RECORD_ID_BYTES];
    uint32_t num, date;
    uint16_t minutes;
    uint8_t flags;
    unsigned char parent[KZ_RECORD_ID_BYTES];
    char tags[KZ_TAGS_MAX + 1];
};

struct listing {
    const unsigned char *couple; /* NULL: all */
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
    /* kz_attended_parse's words: the same in the table, JSON and show */
    return (flags & KZ_HF_PARTNER1) ? "partner1" : (flags & KZ_HF_PARTNER2) ? "partner2" : "both";
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

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"id", "ID", 0},       {"date", "DATE", 0},     {"couple", "COUPLE", 10},
        {"minutes", "MIN", 0}, {"attended", "WHO", 0},  {"themes", "THEMES", 24},
        {"signed", "SIGNED", 0}, {"first_line", "NOTE", 32}, {NULL, NULL, 0},
    };
    const char *from = NULL, *to = NULL, *theme = NULL;
    int all = 0, unsig = 0;
    const struct kz_opt opts[] = {
        {"from", 0, 1, &from, NULL},
        {"to", 0, 1, &to, NULL},
        {"theme", 0, 1, &theme, NULL},
        {"all", 0, 0, NULL, &all},
        {"unsigned", 0, 0, NULL, &unsig},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct listing l;
    char *pos[1], folded[KZ_THEME_BUF];
    json_t *rows;
    int rc, npos, style;
    size_t i;

    memset(&l, 0, sizeof(l));
    if ((rc = kz_cmd_parse(st, "session list", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (theme != NULL && *theme == '\0')
        return kz_fail(err, KZ_EUSAGE, "session list: --theme needs a theme name");
    if ((rc = parse_range(st, from, to, &l.from, &l.to, err)) != KZ_OK)
        return rc;
    if (npos == 1) {
        if ((rc = kz_rec_find_couple(st, pos[0], cid, NULL, err)) != KZ_OK)
            return rc;
        l.couple = cid;
    }
    l.theme = theme != NULL ? kz_theme_fold(theme, folded, sizeof(folded)) : NULL;
    l.all = all;
    l.unsigned_ = unsig;
    if ((rc = kz_rec_scan(st, gather, &l, err)) != KZ_OK)
        goto out;
    if (l.n > 1)
        qsort(l.rows, l.n, sizeof(*l.rows), by_date);
    rows = json_array();
    style = kz_cmd_date_style(st);
    for (i = 0; i < l.n; i++) {
        char id[16], date[11], code[KZ_CODE_MAX + 1], *first;
        json_t *themes = split_commas(l.rows[i].tags), *body = NULL, *row, *v;
        int voided = (l.rows[i].flags & KZ_HF_VOID) != 0;
        kz_rec_num_text(KZ_KIND_SESSION, l.rows[i].num, id, sizeof(id));
        kz_date_format_style(l.rows[i].date, style, date);
        kz_rec_parent_code(st, l.rows[i].parent, code);
        /* The note's first line is in its body (heads hold no text). */
        if ((rc = kz_rec_load(st, l.rows[i].id, &body, err)) != KZ_OK) {
            json_decref(themes);
            json_decref(rows);
            goto out;
        }
        first = kz_note_first_line(json_string_value(json_object_get(body, "text")));
        v = json_object_get(body, "void");
        row = json_pack("{s:s,s:s,s:s,s:i,s:s,s:o,s:b,s:O,s:s}", "id", id, "date", date,
                        "couple", code, "minutes", (int)l.rows[i].minutes, "attended",
                        who(l.rows[i].flags), "themes", themes, "signed",
                        (l.rows[i].flags & KZ_HF_SIGNED) != 0, "void",
                        json_is_object(v) ? v : json_null(), "first_line", first);
        if (!st->ui.json && voided) {
            /* For people: VOID where SIGNED stands, the line struck through. */
            size_t fl = strlen(first);
            char *struck = kz_xmalloc(fl + 3);
            struck[0] = KZ_UI_STRIKE[0];
            memcpy(struck + 1, first, fl);
            struck[fl + 1] = KZ_UI_UNSTRIKE[0];
            struck[fl + 2] = '\0';
            json_object_set_new(row, "signed", json_string("VOID"));
            json_object_set_new(row, "first_line", json_string(struck));
            kz_wipe_free(struck, fl + 3);
        }
        json_array_append_new(rows, row);
        kz_wipe_free(first, strlen(first) + 1);
        json_decref(body);
    }
    kz_ui_table(&st->ui, rows, cols,
                unsig ? "no unsigned sessions" : "no sessions");
out:
    kz_wipe_free(l.rows, l.cap * sizeof(*l.rows)); /* themes */
    return rc;
}

struct past {
    uint32_t today;
    size_t n;
};

static int
count_past(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct past *p = ctx;

    (void)id;
    if (hi->kind == KZ_KIND_SESSION && !(hi->flags & (KZ_HF_SIGNED | KZ_HF_VOID)) &&
        hi->date != 0 && hi->date < p->today)
        p->n++;
    return 0;
}

int
kz_cmd_unsigned_past(struct kz_state *st, size_t *n)
{
    struct past p = {kz_date_today(), 0};
    struct kz_err err;
    int rc;

    *n = 0;
    if (st->vault == NULL || !kz_vault_unlocked(st->vault))
        return KZ_EAUTH;
    /* From the committed state, as every command reads (another process may
     * have signed since). */
    if ((rc = kz_vault_begin_read(st->vault, &err)) != KZ_OK)
        return rc;
    rc = kz_rec_scan(st, count_past, &p, &err);
    kz_vault_end_read(st->vault);
    if (rc == KZ_OK)
        *n = p.n;
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

/* "2026-03-02T10:15:00Z" as "2026-03-02 10:15 UTC" into buf. */
static void
time_text(const char *t, char *buf, size_t size)
{
    if (t != NULL && strlen(t) == 20 && t[10] == 'T' && t[19] == 'Z')
        snprintf(buf, size, "%.10s %.5s UTC", t, t + 11);
    else
        snprintf(buf, size, "%s", t != NULL ? t : "?");
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], sid[16], code[KZ_CODE_MAX + 1], pname[160], shown[11];
    const char *t;
    json_t *s = NULL, *e;
    int rc, npos, alone, style;
    size_t i;

    if ((rc = kz_cmd_parse(st, "session show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session show ID");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    kz_rec_parent_code(st, hi.parent, code);
    alone = (hi.flags & KZ_HF_PARTNER1) ? 1 : (hi.flags & KZ_HF_PARTNER2) ? 2 : 0;
    if (st->ui.json) {
        /* The shape session list gives, and more (kizuna(1), JSON output):
         * ids and couple codes as typed, attended in one vocabulary, signed
         * a boolean with the time beside it; no storage fields. */
        json_t *signed_at = json_object_get(s, "signed");
        json_object_set_new(s, "signed_at",
                            json_is_string(signed_at) ? json_incref(signed_at) : json_null());
        json_object_set_new(s, "signed", json_boolean((hi.flags & KZ_HF_SIGNED) != 0));
        json_object_del(s, "kind");
        json_object_del(s, "v");
        json_object_set_new(s, "id", json_string(sid));
        json_object_set_new(s, "couple", json_string(code));
        json_object_set_new(s, "attended", json_string(who(hi.flags)));
        json_object_set_new(s, "individual", alone ? json_integer(alone) : json_null());
        if (!json_is_object(json_object_get(s, "void")))
            json_object_set_new(s, "void", json_null());
        {
            char *first = kz_note_first_line(json_string_value(json_object_get(s, "text")));
            json_object_set_new(s, "first_line", json_string(first));
            kz_wipe_free(first, strlen(first) + 1);
        }
        kz_ui_show(&st->ui, s, NULL);
        s = NULL;
        goto out;
    }
    style = kz_cmd_date_style(st);
    kz_buf_printf(&b, "%sSession %s — %s, %s, %" JSON_INTEGER_FORMAT " min, %s%s\n",
                  json_is_object(json_object_get(s, "void")) ? "VOID: " : "", sid, code,
                  kz_cmd_date_shown(style, text_of(json_object_get(s, "date")), shown),
                  json_integer_value(json_object_get(s, "minutes")),
                  text_of(json_object_get(s, "modality")),
                  json_is_string(json_object_get(s, "signed")) ? ", signed" : "");
    if (json_is_object(json_object_get(s, "void"))) {
        char when[32];
        json_t *v = json_object_get(s, "void");
        time_text(json_string_value(json_object_get(v, "time")), when, sizeof(when));
        kz_buf_printf(&b, "VOID       voided %s: %s\n", when,
                      text_of(json_object_get(v, "reason")));
    }
    if (json_is_string(json_object_get(s, "signed"))) {
        char when[32];
        time_text(json_string_value(json_object_get(s, "signed")), when, sizeof(when));
        kz_buf_printf(&b, "signed     %s\n", when);
    }
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
        kz_buf_printf(&b, "\nAddendum %s\n  %s\n",
                      kz_cmd_date_shown(style, text_of(json_object_get(e, "date")), shown),
                      text_of(json_object_get(e, "text")));
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_buf_free(&b);
    json_decref(s);
    return rc;
}

/* A voided note never changes again (the void is final). */
static int
refuse_void(const json_t *s, const char *sid, struct kz_err *err)
{
    if (!json_is_object(json_object_get(s, "void")))
        return KZ_OK;
    return kz_fail(err, KZ_EUSAGE, "session %s is void and cannot change ('session show %s')",
                   sid, sid);
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
    json_t *s = NULL, *before = NULL;
    int rc, npos;

    memset(&f, 0, sizeof(f));
    if ((rc = kz_cmd_parse(st, "session edit", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session edit ID [options]");
    if (f.text != NULL && f.text_file != NULL)
        return kz_fail(err, KZ_EUSAGE, "the text once: --text, --text-file or after --");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if ((rc = refuse_void(s, sid, err)) != KZ_OK || (rc = refuse_signed(s, sid, err)) != KZ_OK)
        goto out;
    before = json_deep_copy(s);
    if ((rc = apply_fields(st, s, hi.parent, &f, err)) != KZ_OK)
        goto out;
    if (f.text != NULL || f.text_file != NULL || !has_fields(&f)) {
        const char *key = edit_process ? "process_notes" : "text";
        if ((rc = kz_cmd_text(st, json_string_value(json_object_get(s, key)), f.text,
                              f.text_file, &text, &len, err)) != KZ_OK)
            goto out;
        /* The note itself is never emptied by an edit (process notes may be). */
        if (!edit_process && kz_cmd_text_empty(text, len, NULL)) {
            rc = kz_fail(err, KZ_ERR, "nothing written; session %s left as it was (a note is "
                                      "not emptied)",
                         sid);
            goto out;
        }
        if (json_object_set_new(s, key, json_stringn(text, len)) != 0) {
            rc = kz_fail(err, KZ_EUSAGE, "the note is not valid UTF-8 text");
            goto out;
        }
    }
    if (json_equal(before, s)) {
        st->audited = 1; /* nothing changed: no new version, no event */
        kz_ui_done(&st->ui, json_pack("{s:s,s:b}", "session", sid, "changed", 0),
                   "no change");
        goto out;
    }
    if ((rc = save_session(st, id, s, hi.parent, hi.num, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "updated", sid), "updated session %s", sid);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    json_decref(before);
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

    if ((rc = kz_cmd_parse(st, "session sign", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session sign ID [--yes]");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if ((rc = refuse_void(s, sid, err)) != KZ_OK)
        goto out;
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
                                  {"", 0, KZ_OPT_REST, &text_opt, NULL},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    char *pos[1], *text = NULL, sid[16], today[11], now[21];
    size_t len = 0;
    json_t *s = NULL, *add;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "session amend", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: session amend ID [--text TEXT | --text-file F | -- TEXT]");
    if (text_opt != NULL && file != NULL)
        return kz_fail(err, KZ_EUSAGE, "the text once: --text, --text-file or after --");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if ((rc = refuse_void(s, sid, err)) != KZ_OK)
        goto out;
    if (!json_is_string(json_object_get(s, "signed"))) {
        rc = kz_fail(err, KZ_EUSAGE, "session %s is not signed: change it with 'session edit %s'",
                     sid, sid);
        goto out;
    }
    if ((rc = kz_cmd_text(st, "", text_opt, file, &text, &len, err)) != KZ_OK)
        goto out;
    if (kz_cmd_text_empty(text, len, NULL)) {
        rc = kz_fail(err, KZ_ERR, "nothing written; no amendment added");
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

#define REASON_MAX 500 /* bytes of a void's reason */

static int
cmd_void(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *reason_opt = NULL;
    const struct kz_opt opts[] = {{"reason", 0, 1, &reason_opt, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf reason = {NULL, 0, 0};
    char *pos[64], sid[16], now[21];
    const char *r;
    json_t *s = NULL;
    int rc, npos, i;
    size_t n;

    if ((rc = kz_cmd_parse(st, "session void", argc, argv, opts, pos, 64, &npos, err)) != KZ_OK)
        return rc;
    if (npos < 1 || reason_opt == NULL)
        return kz_fail(err, KZ_EUSAGE, "usage: session void ID --reason TEXT (the reason is "
                                       "required)");
    /* The words after the reason's first belong to it: --reason wrong couple. */
    kz_buf_add(&reason, reason_opt);
    for (i = 1; i < npos; i++) {
        kz_buf_add(&reason, " ");
        kz_buf_add(&reason, pos[i]);
    }
    r = kz_buf_str(&reason);
    while (*r == ' ' || *r == '\t')
        r++;
    n = strlen(r);
    while (n > 0 && (r[n - 1] == ' ' || r[n - 1] == '\t'))
        n--;
    if (n == 0) {
        rc = kz_fail(err, KZ_EUSAGE, "session void: --reason needs some text");
        goto out;
    }
    if (n > REASON_MAX) {
        rc = kz_fail(err, KZ_EUSAGE, "session void: the reason is longer than %d bytes",
                     REASON_MAX);
        goto out;
    }
    for (i = 0; (size_t)i < n; i++) {
        if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f) {
            rc = kz_fail(err, KZ_EUSAGE, "session void: the reason is one line of text");
            goto out;
        }
    }
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if (json_is_object(json_object_get(s, "void"))) {
        rc = kz_fail(err, KZ_EUSAGE, "session %s is already void", sid);
        goto out;
    }
    kz_time_now(now);
    {
        json_t *v = json_object();
        json_t *rs = json_stringn(r, n);
        if (rs == NULL) {
            json_decref(v);
            rc = kz_fail(err, KZ_EUSAGE, "session void: the reason is not valid UTF-8 text");
            goto out;
        }
        json_object_set_new(v, "reason", rs);
        json_object_set_new(v, "time", json_string(now));
        json_object_set_new(s, "void", v);
    }
    if ((rc = save_session(st, id, s, hi.parent, hi.num, err)) != KZ_OK)
        goto out;
    /* The event, with its reason, in this change's transaction: both or neither. */
    if ((rc = kz_audit_event_reason(st, "void", "session void", sid,
                                    json_string_value(json_object_get(
                                        json_object_get(s, "void"), "reason")),
                                    err)) != KZ_OK)
        goto out;
    st->audited = 1;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "voided", sid, "at", now),
               "voided session %s: it stays in the vault and in exports, marked void; lists "
               "and search show it with --all",
               sid);
out:
    kz_buf_free(&reason);
    json_decref(s);
    return rc;
}

static int
cmd_delete(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    char *pos[1], sid[16], code[KZ_CODE_MAX + 1], question[160];
    json_t *s = NULL;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "session delete", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session delete ID [--yes]");
    if ((rc = load_session(st, pos[0], id, &hi, &s, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, hi.num, sid, sizeof(sid));
    if (json_is_string(json_object_get(s, "signed"))) {
        rc = kz_fail(err, KZ_EUSAGE,
                     "session %s is signed and cannot be deleted; 'session void %s --reason "
                     "TEXT' marks it void and keeps it",
                     sid, sid);
        goto out;
    }
    if (json_is_object(json_object_get(s, "void"))) {
        rc = kz_fail(err, KZ_EUSAGE, "session %s is void: a voided note is kept", sid);
        goto out;
    }
    kz_rec_parent_code(st, hi.parent, code);
    snprintf(question, sizeof(question), "Delete the unsigned session %s of %s (%s) for good?",
             sid, code, text_of(json_object_get(s, "date")));
    if ((rc = kz_cmd_confirm(st, yes, question, err)) != KZ_OK)
        goto out;
    /* The event first, while the note (and so its couple) can still be named. */
    if ((rc = kz_audit_event(st, "delete", "session delete", sid, NULL, err)) != KZ_OK)
        goto out;
    st->audited = 1;
    if ((rc = kz_vault_record_delete(st->vault, id, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "deleted", sid, "couple", code),
               "deleted session %s of %s", sid, code);
out:
    json_decref(s);
    return rc;
}

static const char *const add_opts[] = {
    "--yes",      "--date",     "--minutes",  "--template",      "--theme",         "--goal",
    "--text",     "--text-file", "--modality",     "--attended",      "--language",
    "--interpreter", "--no-interpreter", "--interventions", "--homework", "--process-notes",
    NULL};
static const char *const edit_opts[] = {
    "--yes",      "--date",     "--minutes",  "--template",      "--theme",         "--goal",
    "--text",     "--text-file", "--modality",     "--attended",      "--language",
    "--interpreter", "--no-interpreter", "--interventions", "--homework", "--process-notes",
    "--edit-process-notes", NULL};
static const char *const list_opts[] = {"--from", "--to", "--theme", "--unsigned", "--all", NULL};
static const char *const void_opts[] = {"--reason", NULL};
static const char *const delete_opts[] = {"--yes", NULL};
static const char *const sign_opts[] = {"--yes", NULL};
static const char *const amend_opts[] = {"--text", "--text-file", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_session_add = {
    "session add",
    "CODE [--date D] [--minutes N] [--template T] [--theme T,...] [--goal ID,...] "
    "[--text TEXT | --text-file FILE | -- TEXT...]",
    "write a session note ($EDITOR on a terminal when no text is given)",
    "Everything after a lone '--' is the note, as typed, no quoting needed:\n"
    "  session add C014 --theme holidays -- Jonas' mother visited\n"
    "Several lines: leave the text out (the editor), or --text-file - (in the shell,\n"
    "end with Ctrl-D). A note with nothing written is refused (exit 1), nothing saved.\n"
    "Dates: 2026-03-01, 1.3.2026, today, yesterday, -3d, +1d, -2w ('help dates'). A date\n"
    "more than a day ahead or before 1950 asks first; scripts say --yes.\n"
    "Templates: free, soap, dap, birp, psychodynamic and your own ('template list').\n"
    "Also --modality in-person|video|phone, --attended both|partner1|partner2 (or 1, 2; an\n"
    "individual session is that partner's disclosure), --language L, --interpreter,\n"
    "--interventions TEXT,\n"
    "--homework TEXT, --process-notes TEXT (private working notes, kept apart).\n"
    "In a script without --text, the lines that follow are the note, up to a lone '.'.\n"
    "From a system shell, --text (and text after --) lands in its history and in\n"
    "/proc/PID/cmdline (any user can read it): prefer --text-file - (standard\n"
    "input), the editor, or the kizuna shell.",
    CMD_NEEDS_KEY | CMD_WRITES, add_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_session_list = {
    "session list", "[CODE] [--from DATE] [--to DATE] [--theme T] [--unsigned] [--all]",
    "sessions by date (all couples, or one), with each note's first line",
    "--unsigned lists the notes not yet signed. Voided notes are left out unless --all;\n"
    "then SIGNED says VOID and the line is struck through where the terminal can.",
    CMD_NEEDS_KEY, list_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_session_show = {
    "session show", "ID", "one session: note, process notes, addenda, when it was signed",
    "A voided note is shown with VOID, its reason and when it was voided.", CMD_NEEDS_KEY,
    no_opts, cmd_show};
const struct kz_cmd_entry kz_cmd_session_edit = {
    "session edit", "ID [options of session add] [--edit-process-notes] [-- TEXT...]",
    "change an unsigned session (the note in $EDITOR when no option is given)",
    "A note is not emptied (exit 1); an edit that changes nothing says 'no change'\n"
    "and writes nothing.",
    CMD_NEEDS_KEY | CMD_WRITES, edit_opts, cmd_edit};
const struct kz_cmd_entry kz_cmd_session_sign = {
    "session sign", "ID [--yes]", "sign a note: it becomes immutable",
    "On a terminal asks first (\"Sign s3? ... [y/N]\"); --yes does not ask. Scripts\n"
    "(-f, commands piped in) sign without asking.",
    CMD_NEEDS_KEY | CMD_WRITES, sign_opts, cmd_sign};
const struct kz_cmd_entry kz_cmd_session_amend = {
    "session amend", "ID [--text TEXT | --text-file FILE | -- TEXT...]",
    "add a dated addendum to a signed note",
    "An empty addendum is refused: 'nothing written; no amendment added' (exit 1).",
    CMD_NEEDS_KEY | CMD_WRITES, amend_opts, cmd_amend};
const struct kz_cmd_entry kz_cmd_session_void = {
    "session void", "ID --reason TEXT",
    "void a note (signed or not) with a reason: kept, marked, hidden from lists",
    "Irreversible, and itself a change: the note keeps its text, gains the reason and time\n"
    "(in exports too), and can no longer be edited, signed or amended. The audit trail\n"
    "records the void with its reason. 'session list --all' and 'search --all' show it.",
    CMD_NEEDS_KEY | CMD_WRITES, void_opts, cmd_void};
const struct kz_cmd_entry kz_cmd_session_delete = {
    "session delete", "ID [--yes]", "delete an unsigned note for good",
    "Asks on a terminal; scripts must say --yes. A signed note cannot be deleted: void it\n"
    "('session void ID --reason TEXT').",
    CMD_NEEDS_KEY | CMD_WRITES, delete_opts, cmd_delete};
