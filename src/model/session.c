/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Session notes: the typed shape, validation, strict JSON both ways, status. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "kizuna/model_session.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"

static const char *const modalities[] = {"in-person", "video", "phone", NULL};

/* ---- strings ---- */

static char *
dupn(const char *s, size_t n)
{
    char *p = kz_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void
wipe_str(char **p)
{
    if (*p != NULL)
        kz_wipe_free(*p, strlen(*p) + 1);
    *p = NULL;
}

static void
wipe_text(char **p, size_t len)
{
    if (*p != NULL)
        kz_wipe_free(*p, len + 1);
    *p = NULL;
}

static void
wipe_list(char ***list, size_t *n)
{
    size_t i;

    for (i = 0; i < *n; i++)
        wipe_str(&(*list)[i]);
    free(*list);
    *list = NULL;
    *n = 0;
}

void
kz_session_set(char **field, const char *value)
{
    char *copy = kz_xstrdup(value != NULL ? value : "");

    wipe_str(field);
    *field = copy;
}

void
kz_session_set_list(char ***list, size_t *n, const char *const *names, size_t count)
{
    char **copy = kz_xcalloc(count > 0 ? count : 1, sizeof(*copy));
    size_t i;

    for (i = 0; i < count; i++)
        copy[i] = kz_xstrdup(names[i]);
    wipe_list(list, n);
    *list = copy;
    *n = count;
}

void
kz_session_free(struct kz_session *s)
{
    size_t i;

    wipe_str(&s->couple);
    wipe_str(&s->date);
    wipe_str(&s->modality);
    wipe_str(&s->attended);
    wipe_str(&s->language);
    wipe_str(&s->tmpl);
    wipe_list(&s->themes, &s->nthemes);
    wipe_list(&s->goals, &s->ngoals);
    wipe_str(&s->interventions);
    wipe_str(&s->homework);
    wipe_text(&s->process_notes, s->process_notes_len);
    wipe_str(&s->signed_at);
    for (i = 0; i < s->naddenda; i++) {
        wipe_str(&s->addenda[i].date);
        wipe_str(&s->addenda[i].at);
        wipe_text(&s->addenda[i].text, s->addenda[i].text_len);
    }
    free(s->addenda);
    wipe_str(&s->created);
    wipe_str(&s->updated);
    wipe_text(&s->text, s->text_len);
    wipe_str(&s->void_reason);
    wipe_str(&s->void_time);
    memset(s, 0, sizeof(*s));
}

/* Every field a reader finds: "" for text, none for lists, "both" attending. */
static void
blank(struct kz_session *s)
{
    memset(s, 0, sizeof(*s));
    s->couple = kz_xstrdup("");
    s->date = kz_xstrdup("");
    s->modality = kz_xstrdup("");
    s->attended = kz_xstrdup("both");
    s->language = kz_xstrdup("");
    s->tmpl = kz_xstrdup("");
    s->interventions = kz_xstrdup("");
    s->homework = kz_xstrdup("");
    s->process_notes = kz_xstrdup("");
    s->has_process_notes = 1;
    s->text = kz_xstrdup("");
}

void
kz_session_init(struct kz_session *s, uint32_t num, const char *couple, const char *today,
                const char *now)
{
    blank(s);
    s->num = num;
    kz_session_set(&s->couple, couple);
    kz_session_set(&s->date, today);
    s->minutes = 50;
    kz_session_set(&s->modality, "in-person");
    kz_session_set(&s->tmpl, "free");
    kz_session_set(&s->created, now);
}

/* ---- decoding ---- */

enum ftype {
    T_KIND,    /* "session" */
    T_V,       /* 1 */
    T_ID,      /* sealed: the short id's number; exported: "s3" */
    T_STR,     /* text */
    T_OPTSTR,  /* text, NULL when absent */
    T_INT,     /* whole number */
    T_BOOL,    /* true or false */
    T_LIST,    /* list of text */
    T_TEXT,    /* free text with its length */
    T_SIGNED,  /* when, or null */
    T_ADDENDA, /* list of {date, at, text} */
    T_VOID,    /* {reason, time}, or null */
};

struct field {
    const char *key;
    enum ftype type;
    size_t off, lenoff; /* where in struct kz_session (T_LIST, T_TEXT: count, length) */
};

#define AT(f) offsetof(struct kz_session, f)

/* In the order session add writes them (and encode does). */
static const struct field fields[] = {
    {"kind", T_KIND, 0, 0},
    {"v", T_V, 0, 0},
    {"id", T_ID, 0, 0},
    {"couple", T_STR, AT(couple), 0},
    {"date", T_STR, AT(date), 0},
    {"minutes", T_INT, AT(minutes), 0},
    {"modality", T_STR, AT(modality), 0},
    {"attended", T_STR, AT(attended), 0},
    {"language", T_STR, AT(language), 0},
    {"interpreter", T_BOOL, AT(interpreter), 0},
    {"template", T_STR, AT(tmpl), 0},
    {"themes", T_LIST, AT(themes), AT(nthemes)},
    {"goals", T_LIST, AT(goals), AT(ngoals)},
    {"interventions", T_STR, AT(interventions), 0},
    {"homework", T_STR, AT(homework), 0},
    {"process_notes", T_TEXT, AT(process_notes), AT(process_notes_len)},
    {"signed", T_SIGNED, 0, 0},
    {"addenda", T_ADDENDA, 0, 0},
    {"created", T_OPTSTR, AT(created), 0},
    {"text", T_TEXT, AT(text), AT(text_len)},
    {"updated", T_OPTSTR, AT(updated), 0},
    {"void", T_VOID, 0, 0},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static char **
str_at(struct kz_session *s, size_t off)
{
    return (char **)(void *)((char *)s + off);
}

static size_t *
size_at(struct kz_session *s, size_t off)
{
    return (size_t *)(void *)((char *)s + off);
}

static const char *
cstr_at(const struct kz_session *s, size_t off)
{
    return *(char *const *)(const void *)((const char *)s + off);
}

static size_t
csize_at(const struct kz_session *s, size_t off)
{
    return *(const size_t *)(const void *)((const char *)s + off);
}

/* A list of text into *list, *n; -1 if v is not one. */
static int
read_list(const json_t *v, char ***list, size_t *n)
{
    size_t i, count = json_array_size(v);
    json_t *e;

    if (!json_is_array(v))
        return -1;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return -1;
    }
    wipe_list(list, n);
    *list = kz_xcalloc(count > 0 ? count : 1, sizeof(**list));
    json_array_foreach(v, i, e)
        (*list)[i] = dupn(json_string_value(e), json_string_length(e));
    *n = count;
    return 0;
}

/* The addenda: why (a sentence's end) on failure. */
static int
read_addenda(const json_t *v, struct kz_session *s, char *why, size_t size)
{
    size_t i, count = json_array_size(v);
    const char *key;
    json_t *a, *f;

    if (!json_is_array(v)) {
        snprintf(why, size, "'addenda' not a list");
        return -1;
    }
    s->addenda = kz_xcalloc(count > 0 ? count : 1, sizeof(*s->addenda));
    json_array_foreach(v, i, a) {
        struct kz_session_addendum *ad = &s->addenda[i];
        if (!json_is_object(a)) {
            snprintf(why, size, "an addendum not an object");
            return -1;
        }
        s->naddenda = i + 1;
        json_object_foreach((json_t *)a, key, f) {
            char **dst = strcmp(key, "date") == 0 ? &ad->date
                         : strcmp(key, "at") == 0 ? &ad->at
                         : strcmp(key, "text") == 0 ? &ad->text
                                                    : NULL;
            if (dst == NULL) {
                snprintf(why, size, "an unknown field 'addenda.%.40s'", key);
                return -1;
            }
            if (!json_is_string(f)) {
                snprintf(why, size, "'addenda.%s' not text", key);
                return -1;
            }
            wipe_str(dst);
            *dst = dupn(json_string_value(f), json_string_length(f));
            if (dst == &ad->text)
                ad->text_len = json_string_length(f);
        }
        if (ad->date == NULL)
            ad->date = kz_xstrdup("");
        if (ad->at == NULL)
            ad->at = kz_xstrdup("");
        if (ad->text == NULL)
            ad->text = kz_xstrdup("");
    }
    return 0;
}

static int
read_void(const json_t *v, struct kz_session *s, char *why, size_t size)
{
    const char *key;
    json_t *f;

    if (json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        snprintf(why, size, "'void' not an object");
        return -1;
    }
    s->voided = 1;
    json_object_foreach((json_t *)v, key, f) {
        char **dst = strcmp(key, "reason") == 0 ? &s->void_reason
                     : strcmp(key, "time") == 0 ? &s->void_time
                                                : NULL;
        if (dst == NULL) {
            snprintf(why, size, "an unknown field 'void.%.40s'", key);
            return -1;
        }
        if (!json_is_string(f)) {
            snprintf(why, size, "'void.%s' not text", key);
            return -1;
        }
        kz_session_set(dst, json_string_value(f));
    }
    if (s->void_reason == NULL)
        s->void_reason = kz_xstrdup("");
    if (s->void_time == NULL)
        s->void_time = kz_xstrdup("");
    return 0;
}

/* One field's value v into s; why on failure. */
static int
read_field(const struct field *f, const json_t *v, enum kz_session_form form,
           struct kz_session *s, char *why, size_t size)
{
    const char *bad = NULL;

    switch (f->type) {
    case T_KIND:
        if (!json_is_string(v) || strcmp(json_string_value(v), "session") != 0)
            bad = "not \"session\"";
        break;
    case T_V:
        if (!json_is_integer(v) || json_integer_value(v) != 1)
            bad = "not 1 (a version this kizuna reads)";
        break;
    case T_ID:
        if (form == KZ_SESSION_EXPORTED && !json_is_string(v))
            bad = "not text";
        else if (form == KZ_SESSION_SEALED &&
                 (!json_is_integer(v) || json_integer_value(v) < 0 ||
                  json_integer_value(v) > 0xffffffffLL))
            bad = "not a short id's number";
        else if (form == KZ_SESSION_SEALED)
            s->num = (uint32_t)json_integer_value(v);
        break;
    case T_STR:
    case T_OPTSTR:
        if (!json_is_string(v))
            bad = "not text";
        else
            kz_session_set(str_at(s, f->off), json_string_value(v));
        break;
    case T_INT:
        if (!json_is_integer(v))
            bad = "not a whole number";
        else
            s->minutes = json_integer_value(v);
        break;
    case T_BOOL:
        if (!json_is_boolean(v))
            bad = "not true or false";
        else
            s->interpreter = json_is_true(v);
        break;
    case T_LIST:
        if (read_list(v, (char ***)(void *)str_at(s, f->off), size_at(s, f->lenoff)) != 0)
            bad = "not a list of text";
        break;
    case T_TEXT:
        if (!json_is_string(v)) {
            bad = "not text";
            break;
        }
        wipe_text(str_at(s, f->off), csize_at(s, f->lenoff));
        *str_at(s, f->off) = dupn(json_string_value(v), json_string_length(v));
        *size_at(s, f->lenoff) = json_string_length(v);
        break;
    case T_SIGNED:
        if (!json_is_null(v) && !json_is_string(v))
            bad = "not a time or null";
        else if (json_is_string(v))
            kz_session_set(&s->signed_at, json_string_value(v));
        break;
    case T_ADDENDA:
        return read_addenda(v, s, why, size);
    case T_VOID:
        return read_void(v, s, why, size);
    }
    if (bad != NULL) {
        snprintf(why, size, "'%s' %s", f->key, bad);
        return -1;
    }
    return 0;
}

/* The message of a refused body. */
static int
refuse(enum kz_session_form form, const char *what, const char *why, struct kz_err *err)
{
    if (form == KZ_SESSION_EXPORTED)
        return kz_fail(err, KZ_EUSAGE, "not a kizuna export: a session with %s", why);
    return kz_fail(err, KZ_EINTEGRITY, "%s holds %s", what != NULL ? what : "a session", why);
}

int
kz_session_decode(const json_t *doc, enum kz_session_form form, const char *what,
                  struct kz_session *s, struct kz_err *err)
{
    char why[160];
    const char *key;
    json_t *v;
    size_t i;

    blank(s);
    if (!json_is_object(doc)) {
        kz_session_free(s);
        return refuse(form, what, "a body that is not an object", err);
    }
    s->has_process_notes = form == KZ_SESSION_SEALED ||
                           json_object_get(doc, "process_notes") != NULL;
    json_object_foreach((json_t *)doc, key, v) {
        for (i = 0; i < NFIELDS; i++) {
            if (strcmp(fields[i].key, key) == 0)
                break;
        }
        /* An export holds neither kind nor version (import sets them). */
        if (i == NFIELDS || (form == KZ_SESSION_EXPORTED && fields[i].type <= T_V)) {
            snprintf(why, sizeof(why), "an unknown field '%.60s'", key);
            goto refused;
        }
        if (read_field(&fields[i], v, form, s, why, sizeof(why)) != 0)
            goto refused;
    }
    /* One vocabulary: an individual session must stay one, or it would reach
     * the other partner's export. A sealed note keeps what it holds (the
     * head was made from it). */
    if (form == KZ_SESSION_EXPORTED) {
        const char *att = kz_attended_parse(s->attended);
        if (att == NULL) {
            kz_session_free(s);
            return kz_fail(err, KZ_EUSAGE, "not a kizuna export: a session's 'attended' is not "
                                           "both, partner1 or partner2");
        }
        kz_session_set(&s->attended, att);
    }
    return KZ_OK;
refused:
    kz_session_free(s);
    return refuse(form, what, why, err);
}

/* ---- the quick reader: a sealed body as kizuna writes it ---- */

/* Every body kizuna seals is jansson's compact dump of kz_session_encode: one
 * object of known fields, no blanks between tokens. Reading that form needs
 * no tree: each string is copied once, straight into the note. Any other form
 * (blanks, a real number, a field given twice or unknown, a nested value, an
 * escape it does not read) is left to jansson and kz_session_decode, which
 * also name what is wrong; so the reader accepts a subset of what they accept
 * and sets exactly what they would (fuzz_record holds it to that). */

struct rd {
    const unsigned char *p, *end;
};

static int
rd_hex4(const unsigned char *p, unsigned *v)
{
    unsigned x = 0;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        x = x << 4 | d;
    }
    *v = x;
    return 0;
}

/* The JSON string at r->p: its text unescaped into a new copy (*out, NUL
 * ended, *len bytes); 0, or -1 to leave the body to jansson. */
static int
rd_string(struct rd *r, char **out, size_t *len)
{
    const unsigned char *p = r->p, *start;
    unsigned char *o;
    int escaped = 0;
    utf8proc_ssize_t u8;
    utf8proc_int32_t cp;
    size_t n;

    if (p >= r->end || *p != '"')
        return -1;
    start = ++p;
    while (p < r->end && *p != '"') {
        if (*p >= 0x20 && *p < 0x80 && *p != '\\') {
            p++;
        } else if (*p == '\\' && r->end - p > 2) {
            escaped = 1;
            p += 2; /* the escape's letter is checked below, a \u's digits too */
        } else if (*p >= 0x80 &&
                   (u8 = utf8proc_iterate(p, r->end - p, &cp)) > 0) {
            p += u8; /* strict UTF-8, as jansson checks it */
        } else {
            return -1; /* a control character or not UTF-8 */
        }
    }
    if (p >= r->end)
        return -1;
    n = (size_t)(p - start);
    r->p = p + 1;
    o = kz_xmalloc(n + 1); /* unescaped text is never longer */
    *out = (char *)o;
    if (!escaped) {
        memcpy(o, start, n);
        o[n] = '\0';
        *len = n;
        return 0;
    }
    for (p = start; p < start + n;) {
        unsigned u, lo;
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        switch (p[1]) {
        case '"': case '\\': case '/':
            *o++ = p[1];
            break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (start + n - p < 6 || rd_hex4(p + 2, &u) != 0 || u == 0 ||
                (u >= 0xdc00 && u <= 0xdfff))
                goto decline; /* NUL (jansson refuses it) or a lone low surrogate */
            if (u >= 0xd800 && u <= 0xdbff) {
                if (start + n - p < 12 || p[6] != '\\' || p[7] != 'u' ||
                    rd_hex4(p + 8, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                    goto decline;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
            if (u < 0x80) {
                *o++ = (unsigned char)u;
            } else if (u < 0x800) {
                *o++ = (unsigned char)(0xc0 | u >> 6);
                *o++ = (unsigned char)(0x80 | (u & 0x3f));
            } else if (u < 0x10000) {
                *o++ = (unsigned char)(0xe0 | u >> 12);
                *o++ = (unsigned char)(0x80 | (u >> 6 & 0x3f));
                *o++ = (unsigned char)(0x80 | (u & 0x3f));
            } else {
                *o++ = (unsigned char)(0xf0 | u >> 18);
                *o++ = (unsigned char)(0x80 | (u >> 12 & 0x3f));
                *o++ = (unsigned char)(0x80 | (u >> 6 & 0x3f));
                *o++ = (unsigned char)(0x80 | (u & 0x3f));
            }
            p += 6;
            continue;
        default:
            goto decline;
        }
        p += 2;
    }
    *o = '\0';
    *len = (size_t)(o - (unsigned char *)*out);
    return 0;
decline:
    kz_wipe_free(*out, n + 1);
    *out = NULL;
    return -1;
}

/* A key without escapes (all kizuna writes) and its ':'; -1 otherwise. */
static int
rd_key(struct rd *r, const char **key, size_t *len)
{
    const unsigned char *p = r->p, *start;

    if (p >= r->end || *p != '"')
        return -1;
    start = ++p;
    while (p < r->end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80)
        p++;
    if (p + 1 >= r->end || *p != '"' || p[1] != ':')
        return -1;
    *key = (const char *)start;
    *len = (size_t)(p - start);
    r->p = p + 2;
    return 0;
}

static int
rd_is(const char *key, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(key, name, len) == 0;
}

/* c at r->p, taken. */
static int
rd_char(struct rd *r, unsigned char c)
{
    if (r->p >= r->end || *r->p != c)
        return 0;
    r->p++;
    return 1;
}

/* The literal word at r->p, taken. */
static int
rd_word(struct rd *r, const char *w)
{
    size_t n = strlen(w);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

/* A whole number as jansson reads it (no fraction or exponent: a real is left
 * to jansson, which the field's check then refuses); at most 18 digits. */
static int
rd_int(struct rd *r, json_int_t *v)
{
    const unsigned char *p = r->p;
    int neg = 0, digits = 0;
    long long x = 0;

    if (p < r->end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p < r->end && *p == '0') {
        p++;
        digits = 1;
    } else {
        while (p < r->end && *p >= '0' && *p <= '9' && digits < 18) {
            x = x * 10 + (*p++ - '0');
            digits++;
        }
    }
    if (digits == 0 ||
        (p < r->end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E')))
        return -1;
    *v = neg ? -x : x;
    r->p = p;
    return 0;
}

/* A list of strings into *list, *n (as read_list leaves it). */
static int
rd_list(struct rd *r, char ***list, size_t *n)
{
    char **l = kz_xcalloc(1, sizeof(*l));
    size_t count = 0, cap = 1, len;

    if (!rd_char(r, '['))
        goto decline;
    if (!rd_char(r, ']')) {
        do {
            if (count == cap) {
                l = kz_wipe_grow(l, cap * sizeof(*l), 2 * cap * sizeof(*l));
                cap *= 2;
            }
            if (rd_string(r, &l[count], &len) != 0)
                goto decline;
            count++;
        } while (rd_char(r, ','));
        if (!rd_char(r, ']'))
            goto decline;
    }
    wipe_list(list, n);
    *list = l;
    *n = count;
    return 0;
decline:
    wipe_list(&l, &count);
    return -1;
}

/* An object of string members named in names[] (each at most once) into
 * dst[] (each NULL before); those missing are "". lens: the members' lengths. */
static int
rd_members(struct rd *r, const char *const *names, size_t nn, char **dst, size_t *lens)
{
    const char *key;
    size_t klen, i, len;

    if (!rd_char(r, '{'))
        return -1;
    if (!rd_char(r, '}')) {
        do {
            if (rd_key(r, &key, &klen) != 0)
                return -1;
            for (i = 0; i < nn && !rd_is(key, klen, names[i]); i++)
                ;
            if (i == nn || dst[i] != NULL || rd_string(r, &dst[i], &len) != 0)
                return -1;
            if (lens != NULL)
                lens[i] = len;
        } while (rd_char(r, ','));
        if (!rd_char(r, '}'))
            return -1;
    }
    for (i = 0; i < nn; i++) {
        if (dst[i] == NULL)
            dst[i] = kz_xstrdup("");
    }
    return 0;
}

static int
rd_addenda(struct rd *r, struct kz_session *s)
{
    static const char *const names[] = {"date", "at", "text"};
    size_t cap = 1;

    if (!rd_char(r, '['))
        return -1;
    s->addenda = kz_xcalloc(cap, sizeof(*s->addenda));
    if (rd_char(r, ']'))
        return 0;
    do {
        struct kz_session_addendum *ad;
        char *dst[3] = {NULL, NULL, NULL};
        size_t lens[3] = {0, 0, 0};
        int rc;
        if (s->naddenda == cap) {
            s->addenda = kz_wipe_grow(s->addenda, cap * sizeof(*s->addenda),
                                      2 * cap * sizeof(*s->addenda));
            cap *= 2;
        }
        ad = &s->addenda[s->naddenda++];
        rc = rd_members(r, names, 3, dst, lens);
        ad->date = dst[0];
        ad->at = dst[1];
        ad->text = dst[2];
        ad->text_len = lens[2];
        if (rc != 0)
            return -1; /* what is set is freed with s */
    } while (rd_char(r, ','));
    return rd_char(r, ']') ? 0 : -1;
}

static int
rd_void(struct rd *r, struct kz_session *s)
{
    static const char *const names[] = {"reason", "time"};
    char *dst[2] = {NULL, NULL};
    int rc;

    if (rd_word(r, "null"))
        return 0;
    s->voided = 1;
    rc = rd_members(r, names, 2, dst, NULL);
    s->void_reason = dst[0];
    s->void_time = dst[1];
    return rc;
}

/* One field's value at r->p into s, as read_field sets it; -1 to leave the
 * body to jansson. */
static int
rd_field(struct rd *r, const struct field *f, struct kz_session *s)
{
    json_int_t v;
    char *text;
    size_t len;

    switch (f->type) {
    case T_KIND: /* written without escapes; one with any is jansson's */
        return rd_word(r, "\"session\"") ? 0 : -1;
    case T_V:
        return rd_int(r, &v) == 0 && v == 1 ? 0 : -1;
    case T_ID:
        if (rd_int(r, &v) != 0 || v < 0 || v > 0xffffffffLL)
            return -1;
        s->num = (uint32_t)v;
        return 0;
    case T_STR:
    case T_OPTSTR:
    case T_TEXT:
        if (rd_string(r, &text, &len) != 0)
            return -1;
        if (f->type == T_TEXT) {
            wipe_text(str_at(s, f->off), csize_at(s, f->lenoff));
            *size_at(s, f->lenoff) = len;
        } else {
            wipe_str(str_at(s, f->off));
        }
        *str_at(s, f->off) = text;
        return 0;
    case T_INT:
        return rd_int(r, &s->minutes);
    case T_BOOL:
        if (rd_word(r, "true"))
            s->interpreter = 1;
        else if (rd_word(r, "false"))
            s->interpreter = 0;
        else
            return -1;
        return 0;
    case T_LIST:
        return rd_list(r, (char ***)(void *)str_at(s, f->off), size_at(s, f->lenoff));
    case T_SIGNED:
        if (rd_word(r, "null"))
            return 0;
        if (rd_string(r, &text, &len) != 0)
            return -1;
        s->signed_at = text;
        return 0;
    case T_ADDENDA:
        return rd_addenda(r, s);
    case T_VOID:
        return rd_void(r, s);
    }
    return -1;
}

int
kz_session_read_sealed(const char *body, size_t len, struct kz_session *s)
{
    struct rd r = {(const unsigned char *)body, (const unsigned char *)body + len};
    unsigned seen = 0;
    const char *key;
    size_t klen, i;

    blank(s);
    if (!rd_char(&r, '{'))
        goto decline;
    if (!rd_char(&r, '}')) {
        do {
            if (rd_key(&r, &key, &klen) != 0)
                goto decline;
            for (i = 0; i < NFIELDS && !rd_is(key, klen, fields[i].key); i++)
                ;
            if (i == NFIELDS || (seen & 1u << i) || rd_field(&r, &fields[i], s) != 0)
                goto decline;
            seen |= 1u << i;
        } while (rd_char(&r, ','));
        if (!rd_char(&r, '}'))
            goto decline;
    }
    if (r.p != r.end)
        goto decline;
    return 1;
decline:
    kz_session_free(s);
    return 0;
}

int
kz_session_parse(const char *body, size_t len, enum kz_session_form form, const char *what,
                 struct kz_session *s, struct kz_err *err)
{
    json_error_t jerr;
    json_t *doc;
    char why[200];
    int rc;

    if (form == KZ_SESSION_SEALED && kz_session_read_sealed(body, len, s))
        return KZ_OK;
    if ((doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
        memset(s, 0, sizeof(*s));
        /* jansson names the key given twice: "duplicate object key near '"x"'". */
        snprintf(why, sizeof(why), "no JSON object (%.150s)", jerr.text);
        return refuse(form, what, why, err);
    }
    rc = kz_session_decode(doc, form, what, s, err);
    json_decref(doc);
    return rc;
}

/* ---- encoding ---- */

static json_t *
list_json(char *const *list, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static json_t *
addenda_json(const struct kz_session *s)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < s->naddenda; i++) {
        const struct kz_session_addendum *ad = &s->addenda[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:s%}", "date", ad->date, "at", ad->at,
                                           "text", ad->text, ad->text_len));
    }
    return a;
}

/* One field's JSON, or NULL to leave it out. */
static json_t *
field_json(const struct field *f, const struct kz_session *s, enum kz_session_form form)
{
    char id[16];

    switch (f->type) {
    case T_KIND:
        return form == KZ_SESSION_SEALED ? json_string("session") : NULL;
    case T_V:
        return form == KZ_SESSION_SEALED ? json_integer(1) : NULL;
    case T_ID:
        if (form == KZ_SESSION_SEALED)
            return json_integer(s->num);
        snprintf(id, sizeof(id), "s%u", s->num);
        return json_string(id);
    case T_STR:
        return json_string(cstr_at(s, f->off));
    case T_OPTSTR:
        return cstr_at(s, f->off) != NULL ? json_string(cstr_at(s, f->off)) : NULL;
    case T_INT:
        return json_integer(s->minutes);
    case T_BOOL:
        return json_boolean(s->interpreter);
    case T_LIST:
        return list_json(*(char **const *)(const void *)((const char *)s + f->off),
                         csize_at(s, f->lenoff));
    case T_TEXT:
        if (f->off == AT(process_notes) && form == KZ_SESSION_EXPORTED && !s->has_process_notes)
            return NULL;
        return json_stringn(cstr_at(s, f->off), csize_at(s, f->lenoff));
    case T_SIGNED:
        return s->signed_at != NULL ? json_string(s->signed_at) : json_null();
    case T_ADDENDA:
        return addenda_json(s);
    case T_VOID:
        return s->voided ? json_pack("{s:s,s:s}", "reason", s->void_reason, "time", s->void_time)
                         : NULL;
    }
    return NULL;
}

json_t *
kz_session_encode(const struct kz_session *s, enum kz_session_form form)
{
    json_t *doc = json_object();
    size_t i;

    for (i = 0; i < NFIELDS; i++) {
        json_t *v = field_json(&fields[i], s, form);
        if (v != NULL)
            json_object_set_new(doc, fields[i].key, v);
    }
    return doc;
}

void
kz_session_head(const struct kz_session *s, const unsigned char *couple, struct kz_head_info *hi)
{
    const char *att = kz_attended_parse(s->attended);
    size_t i, n = 0;

    memset(hi, 0, sizeof(*hi));
    hi->kind = KZ_KIND_SESSION;
    hi->num = s->num;
    memcpy(hi->parent, couple, sizeof(hi->parent));
    hi->date = kz_date_parse(s->date);
    hi->minutes = (uint16_t)s->minutes;
    if (s->signed_at != NULL)
        hi->flags |= KZ_HF_SIGNED;
    if (s->voided)
        hi->flags |= KZ_HF_VOID;
    if (att != NULL && strcmp(att, "partner1") == 0)
        hi->flags |= KZ_HF_PARTNER1;
    if (att != NULL && strcmp(att, "partner2") == 0)
        hi->flags |= KZ_HF_PARTNER2;
    for (i = 0; i < s->nthemes; i++) {
        size_t l = strlen(s->themes[i]);
        if (l == 0)
            continue;
        if (n + l + 2 > sizeof(hi->tags))
            break;
        if (n > 0)
            hi->tags[n++] = ',';
        memcpy(hi->tags + n, s->themes[i], l);
        n += l;
    }
    hi->tags[n] = '\0';
}

/* ---- fields as typed ---- */

int
kz_session_set_minutes(struct kz_session *s, const char *text, struct kz_err *err)
{
    char *end;
    long m;

    errno = 0;
    m = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || m < 1 || m > KZ_SESSION_MINUTES_MAX)
        return kz_fail(err, KZ_EUSAGE, "--minutes: a whole number from 1 to 600");
    s->minutes = m;
    return KZ_OK;
}

int
kz_session_set_modality(struct kz_session *s, const char *value, struct kz_err *err)
{
    const char *const *m;

    for (m = modalities; *m != NULL; m++) {
        if (strcmp(value, *m) == 0) {
            kz_session_set(&s->modality, value);
            return KZ_OK;
        }
    }
    return kz_fail(err, KZ_EUSAGE, "--modality: in-person, video or phone");
}

int
kz_session_set_attended(struct kz_session *s, const char *value, struct kz_err *err)
{
    const char *a = kz_attended_parse(value);

    if (a == NULL)
        return kz_fail(err, KZ_EUSAGE, "--attended: both, partner1 or partner2 (1, 2)");
    kz_session_set(&s->attended, a);
    return KZ_OK;
}

int
kz_session_set_interpreter(struct kz_session *s, int yes, int no, struct kz_err *err)
{
    if (yes && no)
        return kz_fail(err, KZ_EUSAGE, "--interpreter or --no-interpreter, not both");
    if (yes || no)
        s->interpreter = yes != 0;
    return KZ_OK;
}

int
kz_session_text_ok(const char *text, size_t len)
{
    json_t *probe = json_stringn(text, len);

    json_decref(probe);
    return probe != NULL;
}

static int
set_text(char **field, size_t *flen, const char *text, size_t len, struct kz_err *err)
{
    if (!kz_session_text_ok(text, len))
        return kz_fail(err, KZ_EUSAGE, "the note is not valid UTF-8 text");
    wipe_text(field, *flen);
    *field = dupn(text, len);
    *flen = len;
    return KZ_OK;
}

int
kz_session_set_text(struct kz_session *s, const char *text, size_t len, struct kz_err *err)
{
    return set_text(&s->text, &s->text_len, text, len, err);
}

int
kz_session_set_process_notes(struct kz_session *s, const char *text, size_t len,
                             struct kz_err *err)
{
    return set_text(&s->process_notes, &s->process_notes_len, text, len, err);
}

/* ---- status ---- */

int
kz_session_is_signed(const struct kz_session *s)
{
    return s->signed_at != NULL;
}

int
kz_session_is_void(const struct kz_session *s)
{
    return s->voided;
}

/* A voided note never changes again (the void is final). */
static int
refuse_void(const struct kz_session *s, const char *sid, struct kz_err *err)
{
    if (!s->voided)
        return KZ_OK;
    return kz_fail(err, KZ_EUSAGE, "session %s is void and cannot change ('session show %s')",
                   sid, sid);
}

int
kz_session_check_change(const struct kz_session *s, const char *sid, struct kz_err *err)
{
    int rc;

    if ((rc = refuse_void(s, sid, err)) != KZ_OK)
        return rc;
    if (s->signed_at == NULL)
        return KZ_OK;
    return kz_fail(err, KZ_EUSAGE,
                   "session %s is signed and cannot change; add a dated addendum with "
                   "'session amend %s'",
                   sid, sid);
}

int
kz_session_check_sign(const struct kz_session *s, const char *sid, struct kz_err *err)
{
    int rc;

    if ((rc = refuse_void(s, sid, err)) != KZ_OK)
        return rc;
    if (s->signed_at != NULL)
        return kz_fail(err, KZ_EUSAGE, "session %s was already signed on %s", sid, s->signed_at);
    return KZ_OK;
}

void
kz_session_sign(struct kz_session *s, const char *now)
{
    kz_session_set(&s->signed_at, now);
}

int
kz_session_check_amend(const struct kz_session *s, const char *sid, struct kz_err *err)
{
    int rc;

    if ((rc = refuse_void(s, sid, err)) != KZ_OK)
        return rc;
    if (s->signed_at == NULL)
        return kz_fail(err, KZ_EUSAGE, "session %s is not signed: change it with 'session edit %s'",
                       sid, sid);
    return KZ_OK;
}

int
kz_session_amend(struct kz_session *s, const char *today, const char *now, const char *text,
                 size_t len, struct kz_err *err)
{
    struct kz_session_addendum *ad;

    if (!kz_session_text_ok(text, len))
        return kz_fail(err, KZ_EUSAGE, "the addendum is not valid UTF-8 text");
    ad = kz_xcalloc(s->naddenda + 1, sizeof(*ad));
    if (s->naddenda > 0)
        memcpy(ad, s->addenda, s->naddenda * sizeof(*ad));
    free(s->addenda); /* pointers only: the strings moved */
    s->addenda = ad;
    ad = &s->addenda[s->naddenda++];
    ad->date = kz_xstrdup(today);
    ad->at = kz_xstrdup(now);
    ad->text = dupn(text, len);
    ad->text_len = len;
    return KZ_OK;
}

int
kz_session_void_reason(const char *raw, const char **r, size_t *n, struct kz_err *err)
{
    const char *p = raw;
    size_t len, i;

    while (*p == ' ' || *p == '\t')
        p++;
    len = strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len == 0)
        return kz_fail(err, KZ_EUSAGE, "session void: --reason needs some text");
    if (len > KZ_SESSION_REASON_MAX)
        return kz_fail(err, KZ_EUSAGE, "session void: the reason is longer than %d bytes",
                       KZ_SESSION_REASON_MAX);
    for (i = 0; i < len; i++) {
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
            return kz_fail(err, KZ_EUSAGE, "session void: the reason is one line of text");
    }
    *r = p;
    *n = len;
    return KZ_OK;
}

int
kz_session_void(struct kz_session *s, const char *sid, const char *r, size_t n, const char *now,
                struct kz_err *err)
{
    if (s->voided)
        return kz_fail(err, KZ_EUSAGE, "session %s is already void", sid);
    if (!kz_session_text_ok(r, n))
        return kz_fail(err, KZ_EUSAGE, "session void: the reason is not valid UTF-8 text");
    wipe_str(&s->void_reason);
    s->void_reason = dupn(r, n);
    kz_session_set(&s->void_time, now);
    s->voided = 1;
    return KZ_OK;
}

int
kz_session_check_delete(const struct kz_session *s, const char *sid, struct kz_err *err)
{
    if (s->signed_at != NULL)
        return kz_fail(err, KZ_EUSAGE,
                       "session %s is signed and cannot be deleted; 'session void %s --reason "
                       "TEXT' marks it void and keeps it",
                       sid, sid);
    if (s->voided)
        return kz_fail(err, KZ_EUSAGE, "session %s is void: a voided note is kept", sid);
    return KZ_OK;
}

/* ---- for lists and views ---- */

const char *
kz_session_who(uint8_t flags)
{
    /* kz_attended_parse's words: the same in the table, JSON and show */
    return (flags & KZ_HF_PARTNER1) ? "partner1" : (flags & KZ_HF_PARTNER2) ? "partner2" : "both";
}

char *
kz_note_first_line(const char *text)
{
    const char *p = text != NULL ? text : "", *line = NULL, *e;
    size_t n = 0, i;
    char *out;

    while (*p != '\0') {
        const char *q = p;
        e = strchr(p, '\n');
        n = e != NULL ? (size_t)(e - p) : strlen(p);
        while (q < p + n && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        /* Skip blank lines and template headings ("## Subjective"). */
        if (q < p + n && *q != '#') {
            n -= (size_t)(q - p);
            line = q;
            break;
        }
        if (e == NULL)
            break;
        p = e + 1;
    }
    if (line == NULL)
        return kz_xstrdup("");
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        n--;
    out = kz_xmalloc(n + 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            out[i] = '?';
        else
            out[i] = (char)c;
    }
    out[n] = '\0';
    return out;
}
