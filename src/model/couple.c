/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Couple profiles: the skeleton, dotted FIELD=VALUE setters with validation,
 * and the fields as text (the strict check is in couple_json.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/model_couple.h"
#include "kizuna/secmem.h"

#define TEXT_MAX 4000

/* The DSM-5 Cultural Formulation Interview's sections. */
const char *const kz_couple_formulation_keys[] = {
    "problem",      /* cultural definition of the problem */
    "causes",       /* cultural perceptions of cause, context and support */
    "stressors",    /* stressors and supports */
    "identity",     /* role of cultural identity */
    "coping",       /* coping and help seeking (past and present) */
    "relationship", /* therapist-client relationship */
    NULL,
};

static const char *const fluencies[] = {"native", "fluent", "good", "basic", "none",
                                        "A1", "A2", "B1", "B2", "C1", "C2", NULL};

static json_t *
partner_new(void)
{
    return json_pack("{s:s,s:s,s:s,s:[],s:[],s:n}", "name", "", "pronouns", "", "origin", "",
                     "cultures", "languages", "local");
}

json_t *
kz_couple_new(const char *code, const char *today)
{
    json_t *c = json_pack("{s:s,s:i,s:s,s:s,s:s}", "kind", "couple", "v", 1, "code", code,
                          "status", "active", "intake", today);
    const char *const *k;
    json_t *f = json_object();

    json_object_set_new(c, "partner1", partner_new());
    json_object_set_new(c, "partner2", partner_new());
    json_object_set_new(c, "residence", json_string(""));
    json_object_set_new(c, "home_languages", json_array());
    json_object_set_new(c, "children_languages", json_array());
    json_object_set_new(c, "children", json_array());
    json_object_set_new(c, "support", json_string(""));
    json_object_set_new(c, "referral", json_string(""));
    json_object_set_new(c, "consent", json_object());
    for (k = kz_couple_formulation_keys; *k != NULL; k++)
        json_object_set_new(f, *k, json_string(""));
    json_object_set_new(c, "formulation", f);
    json_object_set_new(c, "notes", json_string(""));
    return c;
}

int
kz_code_check(const char *code)
{
    size_t n = strlen(code), i;

    /* A leading dash would read as an option on every command line. */
    if (n == 0 || n > KZ_CODE_MAX || code[0] == '-')
        return -1;
    for (i = 0; i < n; i++) {
        char c = code[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return -1;
    }
    return 0;
}

static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* "a, b ,c" -> ["a","b","c"] (empty items dropped). */
static json_t *
split_list(const char *value, char sep)
{
    char *copy = kz_xstrdup(value), *p = copy, *q;
    json_t *arr = json_array();

    for (;;) {
        q = strchr(p, sep);
        if (q != NULL)
            *q = '\0';
        if (*trim(p) != '\0')
            json_array_append_new(arr, json_string(trim(p)));
        if (q == NULL)
            break;
        p = q + 1;
    }
    free(copy);
    return arr;
}

static int
is_fluency(const char *f)
{
    const char *const *k;

    for (k = fluencies; *k != NULL; k++) {
        if (strcmp(*k, f) == 0)
            return 1;
    }
    return 0;
}

/* "ja:native, de:B2, en" -> [{"lang":"ja","fluency":"native"}, ...]. */
static json_t *
parse_languages(const char *field, const char *value, struct kz_err *err)
{
    json_t *items = split_list(value, ','), *out = json_array(), *it;
    size_t i;

    json_array_foreach(items, i, it) {
        char *s = kz_xstrdup(json_string_value(it)), *colon = strchr(s, ':');
        const char *fl = "";
        if (colon != NULL) {
            *colon = '\0';
            fl = trim(colon + 1);
            if (!is_fluency(fl)) {
                kz_fail(err, KZ_EUSAGE,
                        "%s: fluency '%s' unknown (native, fluent, good, basic, none, or A1-C2)",
                        field, fl);
                free(s);
                json_decref(items);
                json_decref(out);
                return NULL;
            }
        }
        json_array_append_new(out, json_pack("{s:s,s:s}", "lang", trim(s), "fluency", fl));
        free(s);
    }
    json_decref(items);
    return out;
}

/* "Mia:2019:de ja; Ken:2021" -> [{"name":"Mia","birth_year":2019,"languages":["de","ja"]}]. */
static json_t *
parse_children(const char *value, struct kz_err *err)
{
    json_t *items = split_list(value, ';'), *out = json_array(), *it;
    size_t i;

    json_array_foreach(items, i, it) {
        char *s = kz_xstrdup(json_string_value(it)), *f2 = strchr(s, ':'), *f3 = NULL;
        json_t *child;
        long year = 0;
        if (f2 != NULL) {
            *f2++ = '\0';
            if ((f3 = strchr(f2, ':')) != NULL)
                *f3++ = '\0';
            if (*trim(f2) != '\0') {
                char *end;
                year = strtol(trim(f2), &end, 10);
                if (*end != '\0' || year < 1900 || year > 2200) {
                    kz_fail(err, KZ_EUSAGE, "children: birth year '%s' is not a year", trim(f2));
                    free(s);
                    json_decref(items);
                    json_decref(out);
                    return NULL;
                }
            }
        }
        child = json_pack("{s:s}", "name", trim(s));
        if (year != 0)
            json_object_set_new(child, "birth_year", json_integer(year));
        json_object_set_new(child, "languages", f3 != NULL ? split_list(f3, ' ') : json_array());
        json_array_append_new(out, child);
        free(s);
    }
    json_decref(items);
    return out;
}

static int
parse_bool(const char *v)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "y") == 0)
        return 1;
    if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "n") == 0)
        return 0;
    return -1;
}

static int
text_value(json_t *obj, const char *key, const char *field, const char *value,
           struct kz_err *err)
{
    json_t *s;

    if (strlen(value) > TEXT_MAX || (s = json_string(value)) == NULL)
        return kz_fail(err, KZ_EUSAGE, "%s: at most %d bytes of UTF-8 text", field, TEXT_MAX);
    json_object_set_new(obj, key, s);
    return KZ_OK;
}

static int
set_partner(json_t *p, const char *field, const char *sub, const char *value,
            struct kz_err *err)
{
    json_t *v;
    int b;

    if (strcmp(sub, "name") == 0 || strcmp(sub, "pronouns") == 0 || strcmp(sub, "origin") == 0)
        return text_value(p, sub, field, value, err);
    if (strcmp(sub, "cultures") == 0) {
        json_object_set_new(p, "cultures", split_list(value, ','));
        return KZ_OK;
    }
    if (strcmp(sub, "languages") == 0) {
        if ((v = parse_languages(field, value, err)) == NULL)
            return KZ_EUSAGE;
        json_object_set_new(p, "languages", v);
        return KZ_OK;
    }
    if (strcmp(sub, "local") == 0) {
        if (*value == '\0') {
            json_object_set_new(p, "local", json_null());
            return KZ_OK;
        }
        if ((b = parse_bool(value)) < 0)
            return kz_fail(err, KZ_EUSAGE, "%s: yes or no (does this partner live in their "
                                           "own home country?)",
                           field);
        json_object_set_new(p, "local", json_boolean(b));
        return KZ_OK;
    }
    return kz_fail(err, KZ_EUSAGE,
                   "unknown field '%s' (partner fields: name, pronouns, origin, cultures, "
                   "languages, local)",
                   field);
}

int
kz_couple_set(json_t *c, const char *field, const char *value, struct kz_err *err)
{
    const char *dot = strchr(field, '.');
    const char *const *k;
    json_t *v;
    int b;

    if (strncmp(field, "partner1.", 9) == 0 || strncmp(field, "partner2.", 9) == 0) {
        char key[9];
        memcpy(key, field, 8);
        key[8] = '\0';
        return set_partner(json_object_get(c, key), field, field + 9, value, err);
    }
    if (strncmp(field, "consent.", 8) == 0) {
        if (kz_theme_check(field + 8) != 0)
            return kz_fail(err, KZ_EUSAGE, "%s: consent names are lower-case words", field);
        if ((b = parse_bool(value)) < 0)
            return kz_fail(err, KZ_EUSAGE, "%s: yes or no", field);
        json_object_set_new(json_object_get(c, "consent"), field + 8, json_boolean(b));
        return KZ_OK;
    }
    if (strncmp(field, "formulation.", 12) == 0) {
        for (k = kz_couple_formulation_keys; *k != NULL; k++) {
            if (strcmp(*k, field + 12) == 0)
                return text_value(json_object_get(c, "formulation"), *k, field, value, err);
        }
        return kz_fail(err, KZ_EUSAGE,
                       "unknown field '%s' (formulation.problem, .causes, .stressors, "
                       ".identity, .coping, .relationship)",
                       field);
    }
    if (dot == NULL) {
        if (strcmp(field, "residence") == 0 || strcmp(field, "support") == 0 ||
            strcmp(field, "referral") == 0 || strcmp(field, "notes") == 0)
            return text_value(c, field, field, value, err);
        if (strcmp(field, "home_languages") == 0 || strcmp(field, "children_languages") == 0) {
            json_object_set_new(c, field, split_list(value, ','));
            return KZ_OK;
        }
        if (strcmp(field, "children") == 0) {
            if ((v = parse_children(value, err)) == NULL)
                return KZ_EUSAGE;
            json_object_set_new(c, "children", v);
            return KZ_OK;
        }
        if (strcmp(field, "intake") == 0) {
            char buf[11], why[96];
            uint32_t d = kz_date_read(value, kz_date_today(), KZ_DATE_ISO, why, sizeof(why));
            if (d == 0)
                return kz_fail(err, KZ_EUSAGE, "intake: '%s' %s", value, why);
            kz_date_format(d, buf);
            json_object_set_new(c, "intake", json_string(buf));
            return KZ_OK;
        }
        if (strcmp(field, "status") == 0) {
            int was = kz_couple_status(c), now = kz_couple_status_parse(value);
            if (now < 0)
                return kz_fail(err, KZ_EUSAGE, "status: active, paused or closed");
            /* Closing records its date (model_couple.h); leaving closed drops it. */
            if (now == KZ_ST_CLOSED && was != KZ_ST_CLOSED)
                return kz_couple_close(c, kz_date_today(), err);
            if (now != KZ_ST_CLOSED)
                json_object_del(c, "closed");
            json_object_set_new(c, "status", json_string(value));
            return KZ_OK;
        }
        if (strcmp(field, "code") == 0)
            return kz_fail(err, KZ_EUSAGE, "the CODE cannot be changed with set");
    }
    return kz_fail(err, KZ_EUSAGE,
                   "unknown field '%s' (try partner1.name, partner2.origin, residence, "
                   "home_languages, children, support, referral, intake, status, consent.*, "
                   "formulation.*, notes)",
                   field);
}

static void
partner_text(const json_t *p, char *buf, size_t size)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *origin = json_string_value(json_object_get(p, "origin"));
    json_t *local = json_object_get(p, "local");

    snprintf(buf, size, "%s", name != NULL && *name ? name : "?");
    if ((origin != NULL && *origin) || json_is_boolean(local)) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, " (%s%s%s)", origin != NULL ? origin : "",
                 origin != NULL && *origin && json_is_boolean(local) ? ", " : "",
                 json_is_true(local) ? "local" : json_is_false(local) ? "foreign" : "");
    }
}

void
kz_couple_partners_line(const json_t *couple, char *buf, size_t size)
{
    char a[200], b[200];

    partner_text(json_object_get(couple, "partner1"), a, sizeof(a));
    partner_text(json_object_get(couple, "partner2"), b, sizeof(b));
    snprintf(buf, size, "%s & %s", a, b);
}

/* A JSON string's text, "" when it is missing or not a string. */
static const char *
text_of(const json_t *v)
{
    const char *s = json_string_value(v);

    return s != NULL ? s : "";
}

/* Appends the printf-style text to buf (size bytes, NUL-terminated) at *n, as
 * much as fits; nothing once the buffer is full. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (*n >= size)
        return;
    va_start(ap, fmt);
    r = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (r > 0)
        *n += (size_t)r;
}

/* Joins an array of strings, or of {lang, fluency}, or children, as set reads them. */
static void
list_text(const char *field, const json_t *arr, char *buf, size_t size)
{
    size_t i, n = 0;
    json_t *e;

    buf[0] = '\0';
    json_array_foreach(arr, i, e) {
        const char *sep = i == 0 ? "" : strcmp(field, "children") == 0 ? "; " : ", ";
        if (json_is_string(e)) {
            append(buf, size, &n, "%s%s", sep, json_string_value(e));
        } else if (json_object_get(e, "lang") != NULL) {
            const char *fl = json_string_value(json_object_get(e, "fluency"));
            append(buf, size, &n, "%s%s%s%s", sep, text_of(json_object_get(e, "lang")),
                   fl != NULL && *fl ? ":" : "", fl != NULL ? fl : "");
        } else {
            json_t *langs = json_object_get(e, "languages"), *l;
            size_t k;
            append(buf, size, &n, "%s%s", sep, text_of(json_object_get(e, "name")));
            if (json_is_integer(json_object_get(e, "birth_year")) || json_array_size(langs) > 0) {
                append(buf, size, &n, ":");
                if (json_is_integer(json_object_get(e, "birth_year")))
                    append(buf, size, &n, "%" JSON_INTEGER_FORMAT,
                           json_integer_value(json_object_get(e, "birth_year")));
            }
            json_array_foreach(langs, k, l)
                append(buf, size, &n, "%s%s", k == 0 ? ":" : " ", text_of(l));
        }
        if (n >= size)
            break;
    }
}

static void
emit(const json_t *v, const char *field,
     void (*cb)(void *ctx, const char *field, const char *value), void *ctx)
{
    char buf[8192];

    if (json_is_string(v))
        cb(ctx, field, json_string_value(v));
    else if (json_is_array(v)) {
        list_text(field, v, buf, sizeof(buf));
        cb(ctx, field, buf);
    } else if (json_is_boolean(v))
        cb(ctx, field, json_is_true(v) ? "yes" : "no");
    else
        cb(ctx, field, "");
}

void
kz_couple_fields(const json_t *c, void (*cb)(void *ctx, const char *field, const char *value),
                 void *ctx)
{
    static const char *const pfields[] = {"name", "pronouns", "origin", "cultures", "languages",
                                          "local", NULL};
    static const char *const top[] = {"status", "intake", "residence", "home_languages",
                                      "children_languages", "children", "support", "referral",
                                      "notes", NULL};
    const char *const *k;
    const char *key;
    char field[64];
    json_t *v;
    int p;

    for (p = 1; p <= 2; p++) {
        char pk[9];
        snprintf(pk, sizeof(pk), "partner%d", p);
        for (k = pfields; *k != NULL; k++) {
            snprintf(field, sizeof(field), "%s.%s", pk, *k);
            emit(json_object_get(json_object_get(c, pk), *k), field, cb, ctx);
        }
    }
    for (k = top; *k != NULL; k++)
        emit(json_object_get(c, *k), *k, cb, ctx);
    json_object_foreach(json_object_get(c, "consent"), key, v) {
        snprintf(field, sizeof(field), "consent.%s", key);
        emit(v, field, cb, ctx);
    }
    for (k = kz_couple_formulation_keys; *k != NULL; k++) {
        snprintf(field, sizeof(field), "formulation.%s", *k);
        emit(json_object_get(json_object_get(c, "formulation"), *k), field, cb, ctx);
    }
}
