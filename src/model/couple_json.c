/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The couple record made strict: its fields and their types, the head it is
 * listed by, and what its sessions and goals add up to. */
#include <stdio.h>
#include <string.h>

#include "kizuna/model_couple.h"

enum type {
    T_STR,      /* a string */
    T_INT,      /* a whole number */
    T_BOOL,     /* true or false */
    T_BOOLNULL, /* true, false or null */
    T_STRS,     /* a list of strings */
    T_PARTNER,  /* an object: partner fields */
    T_LANGS,    /* a list of {lang, fluency} */
    T_CHILDREN, /* a list of {name, birth_year, languages} */
    T_CONSENT,  /* an object of booleans, any names */
    T_FORM,     /* an object: formulation sections */
    T_HOLD,     /* null, or an object: {reason, since} (a legal hold) */
};

struct field {
    const char *name;
    enum type type;
};

/* Every field any kizuna has written (git history of the writers: the
 * skeleton, the setters, couple add's created, every save's updated). */
static const struct field top_fields[] = {
    {"kind", T_STR},       {"v", T_INT},           {"code", T_STR},
    {"status", T_STR},     {"intake", T_STR},      {"created", T_STR},
    {"updated", T_STR},    {"partner1", T_PARTNER}, {"partner2", T_PARTNER},
    {"residence", T_STR},  {"home_languages", T_STRS}, {"children_languages", T_STRS},
    {"children", T_CHILDREN}, {"support", T_STR},  {"referral", T_STR},
    {"consent", T_CONSENT}, {"formulation", T_FORM}, {"notes", T_STR},
    /* Issue #16: the closing date, the last reopening, a legal hold. */
    {"closed", T_STR},     {"reopened", T_STR},    {"hold", T_HOLD},
    {NULL, T_STR},
};
static const struct field partner_fields[] = {
    {"name", T_STR},  {"pronouns", T_STR}, {"origin", T_STR},    {"cultures", T_STRS},
    {"languages", T_LANGS}, {"local", T_BOOLNULL}, {NULL, T_STR},
};
static const struct field lang_fields[] = {{"lang", T_STR}, {"fluency", T_STR}, {NULL, T_STR}};
static const struct field child_fields[] = {
    {"name", T_STR}, {"birth_year", T_INT}, {"languages", T_STRS}, {NULL, T_STR}};
static const struct field hold_fields[] = {{"reason", T_STR}, {"since", T_STR}, {NULL, T_STR}};
static const struct field form_fields[] = {
    {"problem", T_STR},  {"causes", T_STR}, {"stressors", T_STR},     {"identity", T_STR},
    {"coping", T_STR},   {"relationship", T_STR}, {NULL, T_STR},
};

/* What a value of each type should be, for the message. */
static const char *
what(enum type t)
{
    switch (t) {
    case T_STR: return "a string";
    case T_INT: return "a whole number";
    case T_BOOL: return "true or false";
    case T_BOOLNULL: return "true, false or null";
    case T_STRS: return "a list of strings";
    case T_LANGS:
    case T_CHILDREN: return "a list of objects";
    case T_PARTNER:
    case T_CONSENT:
    case T_FORM: return "an object";
    case T_HOLD: return "null or an object";
    }
    return "valid";
}

/* Refuses as from asks: sealed, KZ_EINTEGRITY; import, KZ_EUSAGE. */
static int
refuse(int from, struct kz_err *err, const char *path, const char *why)
{
    if (from == KZ_COUPLE_IMPORT)
        return kz_fail(err, KZ_EUSAGE, "not a kizuna export: the couple's field '%s' %s", path,
                       why);
    return kz_fail(err, KZ_EINTEGRITY, "couple record: field '%s' %s", path, why);
}

static int
wrong_type(int from, struct kz_err *err, const char *path, enum type t)
{
    char why[64];

    snprintf(why, sizeof(why), "is not %s", what(t));
    return refuse(from, err, path, why);
}

static int check_value(const json_t *v, enum type t, const char *path, int from,
                       struct kz_err *err);

/* Every key of obj is one of fields, each value of its type. */
static int
check_object(const json_t *obj, const struct field *fields, const char *path, int from,
             struct kz_err *err)
{
    const struct field *f;
    const char *key;
    char sub[160];
    json_t *v;
    int rc;

    json_object_foreach((json_t *)obj, key, v) {
        if (snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key) < 0)
            sub[0] = '\0';
        for (f = fields; f->name != NULL && strcmp(f->name, key) != 0; f++)
            ;
        if (f->name == NULL)
            return refuse(from, err, sub, "is unknown");
        if ((rc = check_value(v, f->type, sub, from, err)) != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

/* Each element of the list arr is an object of fields (or, fields NULL, a string). */
static int
check_list(const json_t *arr, const struct field *fields, const char *path, int from,
           struct kz_err *err)
{
    char sub[160];
    size_t i;
    json_t *e;
    int rc;

    json_array_foreach(arr, i, e) {
        if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i) < 0)
            sub[0] = '\0';
        if (fields == NULL && !json_is_string(e))
            return wrong_type(from, err, sub, T_STR);
        if (fields != NULL && !json_is_object(e))
            return wrong_type(from, err, sub, T_PARTNER);
        if (fields != NULL && (rc = check_object(e, fields, sub, from, err)) != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

static int
check_value(const json_t *v, enum type t, const char *path, int from, struct kz_err *err)
{
    const char *key;
    json_t *e;
    char sub[160];

    switch (t) {
    case T_STR:
        return json_is_string(v) ? KZ_OK : wrong_type(from, err, path, t);
    case T_INT:
        return json_is_integer(v) ? KZ_OK : wrong_type(from, err, path, t);
    case T_BOOL:
        return json_is_boolean(v) ? KZ_OK : wrong_type(from, err, path, t);
    case T_BOOLNULL:
        return json_is_boolean(v) || json_is_null(v) ? KZ_OK : wrong_type(from, err, path, t);
    case T_STRS:
        return json_is_array(v) ? check_list(v, NULL, path, from, err)
                                : wrong_type(from, err, path, t);
    case T_LANGS:
        return json_is_array(v) ? check_list(v, lang_fields, path, from, err)
                                : wrong_type(from, err, path, t);
    case T_CHILDREN:
        return json_is_array(v) ? check_list(v, child_fields, path, from, err)
                                : wrong_type(from, err, path, t);
    case T_PARTNER:
        return json_is_object(v) ? check_object(v, partner_fields, path, from, err)
                                 : wrong_type(from, err, path, t);
    case T_FORM:
        return json_is_object(v) ? check_object(v, form_fields, path, from, err)
                                 : wrong_type(from, err, path, t);
    case T_HOLD:
        if (json_is_null(v))
            return KZ_OK;
        return json_is_object(v) ? check_object(v, hold_fields, path, from, err)
                                 : wrong_type(from, err, path, t);
    case T_CONSENT:
        if (!json_is_object(v))
            return wrong_type(from, err, path, t);
        json_object_foreach((json_t *)v, key, e) {
            if (snprintf(sub, sizeof(sub), "%s.%s", path, key) < 0)
                sub[0] = '\0';
            if (!json_is_boolean(e))
                return wrong_type(from, err, sub, T_BOOL);
        }
        return KZ_OK;
    }
    return wrong_type(from, err, path, t);
}

/* Issue #16's lifecycle fields beyond their types (model_couple.h). */
/* A present string field that is not a real "YYYY-MM-DD": 1. */
static int
bad_date(const json_t *v)
{
    return v != NULL && kz_date_parse(json_string_value(v)) == 0;
}

int
kz_couple_check_life(const json_t *c, int from, struct kz_err *err)
{
    const json_t *closed = json_object_get(c, "closed"), *hold = json_object_get(c, "hold");
    const char *reason;

    if (bad_date(closed))
        return refuse(from, err, "closed", "is not a date (YYYY-MM-DD)");
    if (closed != NULL && kz_couple_status(c) != KZ_ST_CLOSED)
        return refuse(from, err, "closed", "is set on a couple that is not closed");
    if (bad_date(json_object_get(c, "reopened")))
        return refuse(from, err, "reopened", "is not a date (YYYY-MM-DD)");
    if (!json_is_object(hold))
        return KZ_OK;
    reason = json_string_value(json_object_get(hold, "reason"));
    if (reason == NULL || *reason == '\0')
        return refuse(from, err, "hold.reason", "is missing or empty");
    if (json_object_get(hold, "since") == NULL || bad_date(json_object_get(hold, "since")))
        return refuse(from, err, "hold.since", "is missing or not a date (YYYY-MM-DD)");
    return KZ_OK;
}

int
kz_couple_check(const json_t *c, int from, struct kz_err *err)
{
    const char *kind = json_string_value(json_object_get(c, "kind"));
    json_t *v = json_object_get(c, "v");
    int rc;

    if (!json_is_object(c))
        return from == KZ_COUPLE_IMPORT
                   ? kz_fail(err, KZ_EUSAGE, "not a kizuna export: the couple is not an object")
                   : kz_fail(err, KZ_EINTEGRITY, "couple record: not a JSON object");
    if (kz_couple_status(c) < 0 || !json_is_object(json_object_get(c, "partner1")) ||
        !json_is_object(json_object_get(c, "partner2"))) {
        if (from == KZ_COUPLE_IMPORT)
            return kz_fail(err, KZ_EUSAGE,
                           "not a kizuna export: the couple's status or partners are malformed");
        return kz_fail(err, KZ_EINTEGRITY,
                       "couple record: status (active, paused or closed) or a partner missing");
    }
    if (kind == NULL || strcmp(kind, "couple") != 0)
        return refuse(from, err, "kind", "is not \"couple\"");
    if (!json_is_integer(v) || json_integer_value(v) != KZ_COUPLE_VERSION)
        return refuse(from, err, "v", "is not 1");
    if ((rc = check_object(c, top_fields, "", from, err)) != KZ_OK)
        return rc;
    return kz_couple_check_life(c, from, err);
}

int
kz_couple_decode(const char *text, size_t len, json_t **out, struct kz_err *err)
{
    json_error_t jerr;
    int rc;

    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL)
        return kz_fail(err, KZ_EINTEGRITY, "couple record: not JSON (%s)", jerr.text);
    if ((rc = kz_couple_check(*out, KZ_COUPLE_SEALED, err)) != KZ_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int
kz_couple_status_parse(const char *name)
{
    int s = name != NULL ? kz_status_parse(name) : -1;

    return s >= KZ_ST_ACTIVE && s <= KZ_ST_CLOSED ? s : -1;
}

int
kz_couple_status(const json_t *c)
{
    return kz_couple_status_parse(json_string_value(json_object_get(c, "status")));
}

void
kz_couple_stamp(json_t *c, const char *field, const char *now)
{
    json_object_set_new(c, field, json_string(now));
}

void
kz_couple_head(const json_t *c, struct kz_head_info *hi)
{
    const char *code = json_string_value(json_object_get(c, "code"));
    int s = kz_couple_status(c);

    memset(hi, 0, sizeof(*hi));
    hi->kind = KZ_KIND_COUPLE;
    hi->status = (uint8_t)(s < 0 ? 0 : s);
    hi->date = kz_date_parse(json_string_value(json_object_get(c, "intake")));
    snprintf(hi->code, sizeof(hi->code), "%s", code != NULL ? code : "");
}

int
kz_couple_is_child(const struct kz_head_info *hi)
{
    return hi->kind == KZ_KIND_SESSION || hi->kind == KZ_KIND_GOAL || hi->kind == KZ_KIND_SCORE;
}

void
kz_couple_tally_add(struct kz_couple_tally *t, const struct kz_head_info *child)
{
    if (child->kind == KZ_KIND_GOAL) {
        t->goals++;
        t->active_goals += child->status == KZ_ST_ACTIVE;
    } else if (child->kind == KZ_KIND_SCORE) {
        t->scores++;
    } else if (child->kind == KZ_KIND_SESSION) {
        t->sessions++;
        if (child->date > t->last)
            t->last = child->date;
    }
}

int
kz_couple_child_cmp(const struct kz_head_info *x, const struct kz_head_info *y)
{
    if (x->kind != y->kind)
        return x->kind - y->kind;
    if (x->kind == KZ_KIND_SESSION && x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}
