/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The config record: the practice's settings and the therapist's own note
 * templates, their validation and strict decoding. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/model.h"
#include "kizuna/model_config.h"
#include "kizuna/model_score.h"

/* The shell's idle lock (KZ_IDLE_LOCK_DEFAULT) and doctor's backup age
 * (BACKUP_WARN_DAYS) are the numbers the defaults here show. */
const struct kz_setting kz_settings[] = {
    {"practice.name", KZ_SET_TEXT, "name of the practice, shown on exports", NULL},
    {"therapist.name", KZ_SET_TEXT, "the therapist's name, shown on exports", NULL},
    {"idle-lock", KZ_SET_DURATION, "idle time before the shell locks: 600, 10m, 1h; 0 never",
     "600"},
    {"backup.warn-days", KZ_SET_DAYS, "doctor warns when the newest backup is older than this",
     "7"},
    {"date-format", KZ_SET_DATEFMT,
     "how dates are shown: iso, dd.mm.yyyy, dd/mm/yyyy, mm/dd/yyyy", "iso"},
    {"pager", KZ_SET_ONOFF, "on: long output on a terminal goes through $PAGER (less -R); off",
     "on"},
    {"retention.years", KZ_SET_YEARS,
     "years a closed couple's records are kept after closing (Germany, 630f BGB: 10)", "10"},
    {NULL, KZ_SET_TEXT, NULL, NULL},
};

const struct kz_setting *
kz_setting_lookup(const char *key, struct kz_err *err)
{
    const struct kz_setting *s;
    char names[256] = "";
    size_t n;

    for (s = kz_settings; s->key != NULL; s++) {
        if (strcmp(s->key, key) == 0)
            return s;
    }
    for (s = kz_settings; s->key != NULL; s++) {
        n = strlen(names);
        snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", s->key);
    }
    kz_fail(err, KZ_EUSAGE, "unknown setting '%s' (known: %s)", key, names);
    return NULL;
}

/* A number of seconds or days for s, or NULL with err set. */
static json_t *
parse_number(const struct kz_setting *s, const char *val, struct kz_err *err)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = (*val >= '0' && *val <= '9') ? strtoll(val, &end, 10) : -1;
    if (v < 0 || errno != 0)
        goto bad;
    if (s->type == KZ_SET_DURATION) {
        if (*end == 'm' && end[1] == '\0')
            v *= 60;
        else if (*end == 'h' && end[1] == '\0')
            v *= 3600;
        else if (!(*end == '\0' || (*end == 's' && end[1] == '\0')))
            goto bad;
        if (v > 86400)
            goto bad;
    } else if (s->type == KZ_SET_YEARS) {
        if (*end != '\0' || v < KZ_RETENTION_YEARS_MIN || v > KZ_RETENTION_YEARS_MAX)
            goto bad;
    } else if (*end != '\0' || v > 3650) {
        goto bad;
    }
    return json_integer(v);
bad:
    kz_fail(err, KZ_EUSAGE, "%s: %s", s->key,
            s->type == KZ_SET_DURATION ? "takes seconds (or 10m, 1h), at most a day; 0 means never"
            : s->type == KZ_SET_YEARS
                ? "takes a number of years from 1 to 100 (the default 10 is Germany's, 630f BGB)"
                : "takes a number of days from 0 to 3650");
    return NULL;
}

json_t *
kz_setting_parse(const struct kz_setting *s, const char *val, struct kz_err *err)
{
    json_t *j;
    int style;

    switch (s->type) {
    case KZ_SET_ONOFF:
        if (strcmp(val, "on") == 0 || strcmp(val, "off") == 0)
            return json_string(val);
        kz_fail(err, KZ_EUSAGE,
                "%s: on or off (the program is $PAGER, else less -R; set PAGER to choose it)",
                s->key);
        return NULL;
    case KZ_SET_TEXT:
        j = strlen(val) <= KZ_SETTING_TEXT_MAX ? json_string(val) : NULL;
        if (j == NULL)
            kz_fail(err, KZ_EUSAGE, "%s: at most %d bytes of UTF-8 text", s->key,
                    KZ_SETTING_TEXT_MAX);
        return j;
    case KZ_SET_DATEFMT:
        if ((style = kz_date_style_parse(val)) < 0) {
            kz_fail(err, KZ_EUSAGE,
                    "%s: iso (2026-03-01, the default), dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy",
                    s->key);
            return NULL;
        }
        return json_string(kz_date_style_name(style));
    case KZ_SET_DURATION:
    case KZ_SET_DAYS:
    case KZ_SET_YEARS:
        return parse_number(s, val, err);
    }
    kz_fail(err, KZ_EUSAGE, "%s: not a value", s->key);
    return NULL;
}

json_t *
kz_conf_new(void)
{
    return json_pack("{s:s,s:i,s:{}}", "kind", "config", "v", 1, "settings");
}

/* Every key of settings is a known setting with a value of its type. */
static int
check_settings(const json_t *set, struct kz_err *err)
{
    const struct kz_setting *s;
    const char *key;
    json_t *v;

    if (!json_is_object(set))
        return kz_fail(err, KZ_EINTEGRITY, "config record: field 'settings' is not an object");
    json_object_foreach((json_t *)set, key, v) {
        int text;
        if ((s = kz_setting_lookup(key, NULL)) == NULL)
            return kz_fail(err, KZ_EINTEGRITY, "config record: unknown setting '%s'", key);
        text = s->type == KZ_SET_TEXT || s->type == KZ_SET_DATEFMT || s->type == KZ_SET_ONOFF;
        if (text ? !json_is_string(v) : !json_is_integer(v))
            return kz_fail(err, KZ_EINTEGRITY, "config record: setting '%s' is not %s", key,
                           text ? "a string" : "a whole number");
    }
    return KZ_OK;
}

/* Every template is {text, created}: strings. */
static int
check_templates(const json_t *tpl, struct kz_err *err)
{
    const char *name, *key;
    json_t *t, *v;

    if (!json_is_object(tpl))
        return kz_fail(err, KZ_EINTEGRITY, "config record: field 'templates' is not an object");
    json_object_foreach((json_t *)tpl, name, t) {
        if (!json_is_object(t) || !json_is_string(json_object_get(t, "text")))
            return kz_fail(err, KZ_EINTEGRITY, "config record: template '%s' has no text",
                           name);
        json_object_foreach(t, key, v) {
            if (strcmp(key, "text") != 0 && strcmp(key, "created") != 0)
                return kz_fail(err, KZ_EINTEGRITY,
                               "config record: unknown field 'templates.%s.%s'", name, key);
            if (!json_is_string(v))
                return kz_fail(err, KZ_EINTEGRITY,
                               "config record: field 'templates.%s.%s' is not a string", name,
                               key);
        }
    }
    return KZ_OK;
}

/* The counters older vaults kept: {session, goal} whole numbers. */
static int
check_counters(const json_t *c, struct kz_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(c))
        return kz_fail(err, KZ_EINTEGRITY, "config record: field 'counters' is not an object");
    json_object_foreach((json_t *)c, key, v) {
        if (strcmp(key, "session") != 0 && strcmp(key, "goal") != 0)
            return kz_fail(err, KZ_EINTEGRITY, "config record: unknown field 'counters.%s'",
                           key);
        if (!json_is_integer(v))
            return kz_fail(err, KZ_EINTEGRITY,
                           "config record: field 'counters.%s' is not a whole number", key);
    }
    return KZ_OK;
}

int
kz_conf_check(const json_t *cfg, struct kz_err *err)
{
    const char *key;
    json_t *v;
    int rc;

    if (!json_is_object(cfg))
        return kz_fail(err, KZ_EINTEGRITY, "config record: not a JSON object");
    json_object_foreach((json_t *)cfg, key, v) {
        if (strcmp(key, "kind") == 0)
            rc = json_is_string(v) && strcmp(json_string_value(v), "config") == 0
                     ? KZ_OK
                     : kz_fail(err, KZ_EINTEGRITY, "config record: field 'kind' is not "
                                                   "\"config\"");
        else if (strcmp(key, "v") == 0)
            rc = json_is_integer(v) && json_integer_value(v) == 1
                     ? KZ_OK
                     : kz_fail(err, KZ_EINTEGRITY, "config record: field 'v' is not 1");
        else if (strcmp(key, "settings") == 0)
            rc = check_settings(v, err);
        else if (strcmp(key, "templates") == 0)
            rc = check_templates(v, err);
        else if (strcmp(key, "counters") == 0)
            rc = check_counters(v, err);
        else if (strcmp(key, "measures") == 0)
            rc = kz_measure_conf_check(v, err);
        else
            rc = kz_fail(err, KZ_EINTEGRITY, "config record: unknown field '%s'", key);
        if (rc != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

int
kz_conf_decode(const char *text, size_t len, json_t **out, struct kz_err *err)
{
    json_error_t jerr;
    int rc;

    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL)
        return kz_fail(err, KZ_EINTEGRITY, "config record: not JSON (%s)", jerr.text);
    if ((rc = kz_conf_check(*out, err)) != KZ_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

json_t *
kz_conf_get(const json_t *cfg, const char *key)
{
    return json_object_get(json_object_get(cfg, "settings"), key);
}

void
kz_conf_put(json_t *cfg, const char *key, json_t *v)
{
    json_t *set = json_object_get(cfg, "settings");

    if (!json_is_object(set)) {
        set = json_object();
        json_object_set_new(cfg, "settings", set);
    }
    if (v != NULL)
        json_object_set_new(set, key, v);
    else
        json_object_del(set, key);
}

int
kz_conf_idle_lock(const json_t *cfg)
{
    json_t *v = kz_conf_get(cfg, "idle-lock");

    return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

long
kz_conf_warn_days(const json_t *cfg, long def)
{
    json_t *v = kz_conf_get(cfg, "backup.warn-days");

    return json_is_integer(v) ? (long)json_integer_value(v) : def;
}

int
kz_conf_retention_years(const json_t *cfg)
{
    json_t *v = kz_conf_get(cfg, "retention.years");
    json_int_t y = json_is_integer(v) ? json_integer_value(v) : KZ_RETENTION_YEARS_DEFAULT;

    if (y < KZ_RETENTION_YEARS_MIN || y > KZ_RETENTION_YEARS_MAX)
        return KZ_RETENTION_YEARS_DEFAULT;
    return (int)y;
}

int
kz_conf_date_style(const json_t *cfg)
{
    int style = kz_date_style_parse(json_string_value(kz_conf_get(cfg, "date-format")));

    return style < 0 ? KZ_DATE_ISO : style;
}

int
kz_conf_pager(const json_t *cfg)
{
    const char *v = json_string_value(kz_conf_get(cfg, "pager"));

    return v != NULL && strcmp(v, "off") == 0 ? 0 : 1;
}

uint32_t
kz_conf_counter(const json_t *cfg, int kind)
{
    json_int_t used;

    if (kind != KZ_KIND_SESSION && kind != KZ_KIND_GOAL)
        return 0; /* scores came after the counters moved */
    used = json_integer_value(json_object_get(
        json_object_get(cfg, "counters"), kind == KZ_KIND_SESSION ? "session" : "goal"));

    return used > 0 && used < 0xffffffffLL ? (uint32_t)used : 0;
}

int
kz_template_name_ok(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > KZ_TEMPLATE_NAME_MAX || name[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

const char *
kz_conf_template(const json_t *cfg, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(cfg, "templates"), name), "text"));
}

void
kz_conf_templates(const json_t *cfg, void (*cb)(void *ctx, const char *name, const char *text),
                  void *ctx)
{
    const char *key;
    json_t *v;

    json_object_foreach(json_object_get(cfg, "templates"), key, v) {
        const char *t = json_string_value(json_object_get(v, "text"));
        cb(ctx, key, t != NULL ? t : "");
    }
}

int
kz_conf_template_add(json_t *cfg, const char *name, const char *text, size_t len,
                     const char *now, struct kz_err *err)
{
    json_t *tpl = json_object_get(cfg, "templates"), *body;

    if (kz_conf_template(cfg, name) != NULL)
        return kz_fail(err, KZ_EUSAGE, "template %s already exists ('template remove %s' first)",
                       name, name);
    if (len > KZ_TEMPLATE_MAX)
        return kz_fail(err, KZ_EUSAGE, "a template is at most 16 KiB");
    if ((body = json_pack("{s:s%,s:s}", "text", text, len, "created", now)) == NULL)
        return kz_fail(err, KZ_EUSAGE, "the template is not valid UTF-8 text");
    if (!json_is_object(tpl)) {
        tpl = json_object();
        json_object_set_new(cfg, "templates", tpl);
    }
    json_object_set_new(tpl, name, body);
    return KZ_OK;
}

int
kz_conf_template_remove(json_t *cfg, const char *name)
{
    return json_object_del(json_object_get(cfg, "templates"), name) == 0 ? 0 : -1;
}
