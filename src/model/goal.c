/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Goals: the typed record, its checks with the messages people see, and its
 * strict JSON decoding and encoding (include/kizuna/model_goal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/model_goal.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"

/* Copies at most max bytes of s into out (max + 1 bytes), cut at a UTF-8 boundary. */
static void
copy_utf8(char *out, const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

/* 1 if s is well-formed UTF-8 (what jansson takes as a string). */
static int
utf8_ok(const char *s)
{
    json_t *j = json_string(s);

    json_decref(j);
    return j != NULL;
}

/* 1 if s holds a control character (a title is one line). */
static int
has_control(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    }
    return 0;
}

/* 1 if s holds nothing but blanks (spaces, tabs, line breaks), as
 * kz_cmd_text_empty reads a text. */
static int
blank(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    }
    return 1;
}

static void
free_text(char **s)
{
    if (*s != NULL)
        kz_wipe_free(*s, strlen(*s));
    *s = NULL;
}

static void
set_text(char **dst, const char *s)
{
    free_text(dst);
    *dst = kz_xstrdup(s);
}

void
kz_goal_id_text(uint32_t num, char *buf, size_t size)
{
    snprintf(buf, size, "g%u", num);
}

void
kz_goal_init(struct kz_goal *g, uint32_t num, const char *couple_hex)
{
    memset(g, 0, sizeof(*g));
    g->num = num;
    copy_utf8(g->couple, couple_hex != NULL ? couple_hex : "", sizeof(g->couple) - 1);
    g->title = kz_xstrdup("");
    g->description = kz_xstrdup("");
    g->status = KZ_ST_ACTIVE;
    kz_time_now(g->created);
    memcpy(g->updated, g->created, sizeof(g->updated));
}

void
kz_goal_free(struct kz_goal *g)
{
    size_t i;

    free_text(&g->title);
    free_text(&g->description);
    for (i = 0; i < g->nprogress; i++)
        free_text(&g->progress[i].note);
    kz_wipe_free(g->progress, g->nprogress * sizeof(*g->progress)); /* scores */
    memset(g, 0, sizeof(*g));
}

/* ---- decoding ---- */

/* What a decode reports to: its mode, the label its messages start with. */
struct rd {
    int mode;
    const char *label;
    struct kz_err *err;
};

static int
refuse_code(const struct rd *r)
{
    return r->mode == KZ_GOAL_SEALED ? KZ_EINTEGRITY : KZ_EUSAGE;
}

static int
unknown(const struct rd *r, const char *field)
{
    return kz_fail(r->err, refuse_code(r), "%s has an unknown field '%s'", r->label, field);
}

/* A field of the wrong JSON type, or (import) a value the commands would refuse. */
static int
not_a(const struct rd *r, const char *field, const char *what)
{
    return kz_fail(r->err, refuse_code(r), "%s: '%s' is not %s", r->label, field, what);
}

/* The fields of a goal and of a progress entry, with the JSON types they take. */
struct field {
    const char *name;
    int type;  /* JSON_STRING, JSON_INTEGER, JSON_ARRAY; -1: string or null */
    int type2; /* another type taken (null for a session), or -2 */
};

static const struct field goal_fields[] = {
    {"kind", JSON_STRING, -2},      {"v", JSON_INTEGER, -2},
    {"id", JSON_INTEGER, -2},       {"couple", JSON_STRING, -2},
    {"partner", JSON_INTEGER, -2},  {"title", JSON_STRING, -2},
    {"description", JSON_STRING, -2}, {"target", JSON_STRING, -2},
    {"status", JSON_STRING, -2},    {"progress", JSON_ARRAY, -2},
    {"created", JSON_STRING, -2},   {"updated", JSON_STRING, -2},
    {"closed", JSON_STRING, -2},    {NULL, 0, 0},
};

static const struct field entry_fields[] = {
    {"date", JSON_STRING, -2}, {"score", JSON_INTEGER, -2},
    {"session", JSON_STRING, JSON_NULL}, {"note", JSON_STRING, -2},
    {NULL, 0, 0},
};

static const char *
type_text(int type)
{
    return type == JSON_STRING    ? "a string"
           : type == JSON_INTEGER ? "a whole number"
           : type == JSON_ARRAY   ? "a list"
                                  : "a session id or null";
}

/* Every key of o must be one of fields, of its type. where: "" for the goal,
 * "progress[2]." for an entry (names in messages). */
static int
check_shape(const struct rd *r, const json_t *o, const struct field *fields, const char *where)
{
    const char *key;
    const struct field *f;
    json_t *v;
    char name[96];
    int type;

    json_object_foreach((json_t *)o, key, v) {
        for (f = fields; f->name != NULL && strcmp(f->name, key) != 0; f++)
            ;
        snprintf(name, sizeof(name), "%s%s", where, key);
        if (f->name == NULL)
            return unknown(r, name);
        /* id: a number when sealed, the exported "g3" in an import */
        type = f->type == JSON_INTEGER && strcmp(key, "id") == 0 && r->mode == KZ_GOAL_IMPORT
                   ? JSON_STRING
                   : f->type;
        if ((int)json_typeof(v) != type && (int)json_typeof(v) != f->type2)
            return not_a(r, name, f->type2 == JSON_NULL ? "a string or null" : type_text(type));
    }
    return KZ_OK;
}

static const char *
str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A stored date field: "" or missing is 0; else YYYY-MM-DD (import: refused
 * otherwise; sealed: read as none, as the head index always had it). */
static int
read_date(const struct rd *r, const char *name, const char *s, int required, uint32_t *out)
{
    *out = 0;
    if (s == NULL || *s == '\0') {
        if (required && r->mode == KZ_GOAL_IMPORT)
            return not_a(r, name, "a date (YYYY-MM-DD)");
        return KZ_OK;
    }
    *out = kz_date_parse(s);
    if (*out == 0 && r->mode == KZ_GOAL_IMPORT)
        return not_a(r, name, "a date (YYYY-MM-DD)");
    return KZ_OK;
}

/* A text of at most max bytes (import), set into *dst; missing: "". */
static int
read_text(const struct rd *r, const char *name, const char *s, size_t max, char **dst)
{
    char what[64];

    if (s != NULL && r->mode == KZ_GOAL_IMPORT && strlen(s) > max) {
        snprintf(what, sizeof(what), "at most %zu bytes", max);
        return not_a(r, name, what);
    }
    set_text(dst, s != NULL ? s : "");
    return KZ_OK;
}

/* A short text (a time, a session id) into a buffer of size bytes: longer is
 * refused in an import, cut at a character in a sealed body. */
static int
read_short(const struct rd *r, const char *name, const char *s, const char *what, char *buf,
           size_t size)
{
    if (s == NULL)
        s = "";
    if (strlen(s) >= size && r->mode == KZ_GOAL_IMPORT)
        return not_a(r, name, what);
    copy_utf8(buf, s, size - 1);
    return KZ_OK;
}

static int
read_entry(const struct rd *r, const json_t *e, size_t i, struct kz_goal_entry *out)
{
    char where[32], name[64];
    const json_t *score = json_object_get(e, "score");
    json_int_t sc = json_integer_value(score);
    int rc;

    snprintf(where, sizeof(where), "progress[%zu].", i);
    if (!json_is_object(e)) {
        snprintf(name, sizeof(name), "progress[%zu]", i);
        return not_a(r, name, "an entry (an object)");
    }
    if ((rc = check_shape(r, e, entry_fields, where)) != KZ_OK)
        return rc;
    snprintf(name, sizeof(name), "%sdate", where);
    if ((rc = read_date(r, name, str_of(e, "date"), 1, &out->date)) != KZ_OK)
        return rc;
    snprintf(name, sizeof(name), "%sscore", where);
    if (r->mode == KZ_GOAL_IMPORT && (score == NULL || sc < 0 || sc > 10))
        return not_a(r, name, "a whole number from 0 to 10");
    out->score = sc < -1000000 ? -1000000 : sc > 1000000 ? 1000000 : (int)sc;
    snprintf(name, sizeof(name), "%ssession", where);
    if ((rc = read_short(r, name, str_of(e, "session"), "a session id", out->session,
                         sizeof(out->session))) != KZ_OK)
        return rc;
    out->note = NULL;
    if (json_object_get(e, "note") != NULL) {
        snprintf(name, sizeof(name), "%snote", where);
        if ((rc = read_text(r, name, str_of(e, "note"), KZ_GOAL_TEXT_MAX, &out->note)) != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

/* partner and status: checked in an import, read as the commands read them
 * in a sealed body. */
static int
read_partner_status(const struct rd *r, const json_t *doc, struct kz_goal *g)
{
    json_int_t p = json_integer_value(json_object_get(doc, "partner"));
    const char *s = str_of(doc, "status");
    int st = s != NULL ? kz_status_parse(s) : KZ_ST_ACTIVE;

    if (r->mode == KZ_GOAL_IMPORT && (p < 0 || p > 2))
        return not_a(r, "partner", "0, 1 or 2");
    g->partner = p == 1 || p == 2 ? (int)p : 0;
    if (st != KZ_ST_ACTIVE && st != KZ_ST_ACHIEVED && st != KZ_ST_DROPPED) {
        if (r->mode == KZ_GOAL_IMPORT)
            return not_a(r, "status", "active, achieved or dropped");
        st = KZ_ST_ACTIVE;
    }
    g->status = st;
    return KZ_OK;
}

/* The fields of the goal itself, after check_shape. */
static int
read_goal(const struct rd *r, const json_t *doc, struct kz_goal *g)
{
    const char *title = str_of(doc, "title");
    int rc;

    if (r->mode == KZ_GOAL_SEALED) {
        const char *kind = str_of(doc, "kind");
        const json_t *v = json_object_get(doc, "v");
        if (kind == NULL || strcmp(kind, "goal") != 0)
            return not_a(r, "kind", "\"goal\"");
        if (v != NULL && json_integer_value(v) != 1)
            return not_a(r, "v", "1 (a newer kizuna wrote it?)");
        g->num = (uint32_t)json_integer_value(json_object_get(doc, "id"));
        copy_utf8(g->couple, str_of(doc, "couple") != NULL ? str_of(doc, "couple") : "",
                  sizeof(g->couple) - 1);
    } else if (title == NULL || *title == '\0') {
        return kz_fail(r->err, KZ_EUSAGE, "not a kizuna export: a goal without a title");
    } else if (has_control(title) || strlen(title) > KZ_GOAL_TITLE_MAX) {
        return not_a(r, "title", "one line of 1 to 200 bytes");
    }
    if ((rc = read_partner_status(r, doc, g)) != KZ_OK ||
        (rc = read_text(r, "title", title, KZ_GOAL_TITLE_MAX, &g->title)) != KZ_OK ||
        (rc = read_text(r, "description", str_of(doc, "description"), KZ_GOAL_TEXT_MAX,
                        &g->description)) != KZ_OK ||
        (rc = read_date(r, "target", str_of(doc, "target"), 0, &g->target)) != KZ_OK ||
        (rc = read_date(r, "closed", str_of(doc, "closed"), 0, &g->closed)) != KZ_OK ||
        (rc = read_short(r, "created", str_of(doc, "created"), "a time", g->created,
                         sizeof(g->created))) != KZ_OK ||
        (rc = read_short(r, "updated", str_of(doc, "updated"), "a time", g->updated,
                         sizeof(g->updated))) != KZ_OK)
        return rc;
    return KZ_OK;
}

int
kz_goal_decode(const json_t *doc, int mode, const char *label, struct kz_goal *g,
               struct kz_err *err)
{
    struct rd r = {mode, label, err};
    const json_t *progress = json_object_get(doc, "progress");
    size_t i, n = json_array_size(progress);
    int rc;

    memset(g, 0, sizeof(*g));
    g->title = kz_xstrdup("");
    g->description = kz_xstrdup("");
    if (!json_is_object(doc)) {
        rc = mode == KZ_GOAL_IMPORT
                 ? kz_fail(err, KZ_EUSAGE, "not a kizuna export: a goal without a title")
                 : kz_fail(err, KZ_EINTEGRITY, "%s does not hold a JSON document", label);
        goto out;
    }
    if ((rc = check_shape(&r, doc, goal_fields, "")) != KZ_OK ||
        (rc = read_goal(&r, doc, g)) != KZ_OK)
        goto out;
    g->progress = n > 0 ? kz_xcalloc(n, sizeof(*g->progress)) : NULL;
    for (i = 0; i < n; i++) {
        g->nprogress = i + 1; /* freed up to here on failure */
        if ((rc = read_entry(&r, json_array_get(progress, i), i, &g->progress[i])) != KZ_OK)
            goto out;
    }
out:
    if (rc != KZ_OK)
        kz_goal_free(g);
    return rc;
}

int
kz_goal_parse(const char *text, size_t len, const char *label, struct kz_goal *g,
              struct kz_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc;

    if (doc == NULL) {
        memset(g, 0, sizeof(*g));
        /* jansson names a field given twice: "duplicate object key near '"title"'" */
        return kz_fail(err, KZ_EINTEGRITY, "%s does not hold a goal (%s)", label, jerr.text);
    }
    rc = kz_goal_decode(doc, KZ_GOAL_SEALED, label, g, err);
    json_decref(doc);
    return rc;
}

/* ---- encoding ---- */

static json_t *
entry_json(const struct kz_goal_entry *e)
{
    char date[11];
    json_t *o;

    kz_date_format(e->date, date);
    o = json_pack("{s:s,s:i,s:o}", "date", date, "score", e->score, "session",
                  e->session[0] != '\0' ? json_string(e->session) : json_null());
    if (o == NULL)
        kz_die("out of memory");
    if (e->note != NULL)
        json_object_set_new(o, "note", json_string(e->note));
    return o;
}

json_t *
kz_goal_encode(const struct kz_goal *g)
{
    char target[11], closed[11];
    json_t *progress = json_array(), *doc;
    size_t i;

    for (i = 0; i < g->nprogress; i++)
        json_array_append_new(progress, entry_json(&g->progress[i]));
    kz_date_format(g->target, target);
    doc = json_pack("{s:s,s:i,s:I,s:s,s:i,s:s,s:s,s:s,s:s,s:o,s:s,s:s}", "kind", "goal", "v", 1,
                    "id", (json_int_t)g->num, "couple", g->couple, "partner", g->partner,
                    "title", g->title, "description", g->description, "target", target,
                    "status", kz_status_name(g->status), "progress", progress, "created",
                    g->created, "updated", g->updated);
    if (doc == NULL)
        kz_die("out of memory");
    if (g->closed != 0) {
        kz_date_format(g->closed, closed);
        json_object_set_new(doc, "closed", json_string(closed));
    }
    return doc;
}

json_t *
kz_goal_export(const struct kz_goal *g, const char *code)
{
    json_t *doc = kz_goal_encode(g);
    char gid[16];

    kz_goal_id_text(g->num, gid, sizeof(gid));
    json_object_del(doc, "kind");
    json_object_del(doc, "v");
    json_object_set_new(doc, "id", json_string(gid));
    json_object_set_new(doc, "couple", json_string(code));
    return doc;
}

void
kz_goal_head(const struct kz_goal *g, const unsigned char *parent, struct kz_head_info *hi)
{
    memset(hi, 0, sizeof(*hi));
    hi->kind = KZ_KIND_GOAL;
    hi->num = g->num;
    memcpy(hi->parent, parent, sizeof(hi->parent));
    hi->date = g->target;
    hi->flags = g->partner == 1 ? KZ_HF_PARTNER1 : g->partner == 2 ? KZ_HF_PARTNER2 : 0;
    hi->status = (uint8_t)g->status;
    copy_utf8(hi->tags, g->title, KZ_TAGS_MAX);
}

/* ---- checks and changes ---- */

int
kz_goal_set_title(struct kz_goal *g, const char *title, struct kz_err *err)
{
    if (blank(title))
        return kz_fail(err, KZ_ERR, "nothing written; no goal added (the title is empty)");
    if (has_control(title) || strlen(title) > KZ_GOAL_TITLE_MAX || !utf8_ok(title))
        return kz_fail(err, KZ_EUSAGE, "a goal's title is one line of 1 to %d bytes of UTF-8 text",
                       KZ_GOAL_TITLE_MAX);
    set_text(&g->title, title);
    return KZ_OK;
}

int
kz_goal_set_partner(struct kz_goal *g, const char *text, struct kz_err *err)
{
    if (text == NULL) {
        g->partner = 0;
        return KZ_OK;
    }
    if (strcmp(text, "1") != 0 && strcmp(text, "2") != 0)
        return kz_fail(err, KZ_EUSAGE, "--partner: 1 or 2 (leave it out for the couple)");
    g->partner = text[0] - '0';
    return KZ_OK;
}

/* A text option: at most max bytes of UTF-8. */
static int
text_ok(const char *what, const char *value, size_t max, struct kz_err *err)
{
    if (strlen(value) > max || !utf8_ok(value))
        return kz_fail(err, KZ_EUSAGE, "%s: at most %zu bytes of UTF-8 text", what, max);
    return KZ_OK;
}

int
kz_goal_set_description(struct kz_goal *g, const char *text, struct kz_err *err)
{
    int rc;

    if (text == NULL)
        text = "";
    if ((rc = text_ok("--description", text, KZ_GOAL_TEXT_MAX, err)) != KZ_OK)
        return rc;
    set_text(&g->description, text);
    return KZ_OK;
}

int
kz_goal_score_parse(const char *text, int *score, struct kz_err *err)
{
    if (text[0] >= '0' && text[0] <= '9' && text[1] == '\0')
        *score = text[0] - '0';
    else if (strcmp(text, "10") == 0)
        *score = 10;
    else
        return kz_fail(err, KZ_EUSAGE, "score must be a whole number from 0 to 10");
    return KZ_OK;
}

int
kz_goal_note_check(const char *note, struct kz_err *err)
{
    return text_ok("--note", note != NULL ? note : "", KZ_GOAL_TEXT_MAX, err);
}

void
kz_goal_add_progress(struct kz_goal *g, uint32_t date, int score, const char *session,
                     const char *note)
{
    size_t at = g->nprogress, i;
    struct kz_goal_entry *e;

    for (i = 0; i < g->nprogress; i++) {
        if (g->progress[i].date > date) {
            at = i;
            break;
        }
    }
    g->progress = kz_wipe_grow(g->progress, g->nprogress * sizeof(*g->progress),
                               (g->nprogress + 1) * sizeof(*g->progress));
    memmove(g->progress + at + 1, g->progress + at, (g->nprogress - at) * sizeof(*g->progress));
    g->nprogress++;
    e = &g->progress[at];
    memset(e, 0, sizeof(*e));
    e->date = date;
    e->score = score;
    copy_utf8(e->session, session != NULL ? session : "", sizeof(e->session) - 1);
    e->note = kz_xstrdup(note != NULL ? note : "");
}

int
kz_goal_close(struct kz_goal *g, int to, uint32_t date, struct kz_err *err)
{
    char gid[16];

    if (g->status == to) {
        kz_goal_id_text(g->num, gid, sizeof(gid));
        return kz_fail(err, KZ_EUSAGE, "goal %s is already %s", gid, kz_status_name(to));
    }
    g->status = to;
    g->closed = date;
    return KZ_OK;
}

int
kz_goal_status_filter(const char *text, int *status, struct kz_err *err)
{
    int s = kz_status_parse(text);

    if (strcmp(text, "all") == 0) {
        *status = -1;
        return KZ_OK;
    }
    if (s != KZ_ST_ACTIVE && s != KZ_ST_ACHIEVED && s != KZ_ST_DROPPED)
        return kz_fail(err, KZ_EUSAGE, "goal list: --status active, achieved, dropped or all");
    *status = s;
    return KZ_OK;
}

/* ---- reading ---- */

const struct kz_goal_entry *
kz_goal_latest(const struct kz_goal *g)
{
    return g->nprogress > 0 ? &g->progress[g->nprogress - 1] : NULL;
}

size_t
kz_goal_spark_first(const struct kz_goal *g, size_t max)
{
    return g->nprogress > max ? g->nprogress - max : 0;
}

/* ---- export and import ---- */

void
kz_goal_unlink_session(struct kz_goal *g, const char *sid)
{
    size_t i;

    for (i = 0; i < g->nprogress; i++) {
        if (g->progress[i].session[0] != '\0' && strcmp(g->progress[i].session, sid) == 0) {
            g->progress[i].session[0] = '\0';
            free_text(&g->progress[i].note);
        }
    }
}

void
kz_goal_remap_sessions(struct kz_goal *g, const json_t *map)
{
    size_t i;

    for (i = 0; i < g->nprogress; i++) {
        struct kz_goal_entry *e = &g->progress[i];
        const char *to = e->session[0] != '\0' ? str_of(map, e->session) : NULL;
        copy_utf8(e->session, to != NULL ? to : "", sizeof(e->session) - 1);
    }
}
