/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_CONFIG_H
#define KIZUNA_MODEL_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"

/*
 * The config record (src/model/config.c): one sealed record of kind
 * KZ_KIND_CONFIG with the practice's settings and the therapist's own note
 * templates. Its body stays a jansson object, made strict by kz_conf_check:
 *   kind "config", v 1,
 *   settings: {KEY: value} for the keys of kz_settings only, each of its type,
 *   templates: {NAME: {text: string, created: string}},
 *   counters: {session: integer, goal: integer} (short-id counters that
 *     vaults kept here before they moved to the commitment: read, never written).
 */

/* The kinds of setting value. */
enum kz_setting_type {
    KZ_SET_TEXT,     /* UTF-8 text, at most KZ_SETTING_TEXT_MAX bytes (a string) */
    KZ_SET_DURATION, /* seconds, 0 to a day: 600, 10m, 1h (an integer) */
    KZ_SET_DAYS,     /* 0 to 3650 days (an integer) */
    KZ_SET_DATEFMT,  /* a date style's canonical name (a string) */
    KZ_SET_ONOFF,    /* "on" or "off" (a string) */
    KZ_SET_YEARS,    /* 1 to 100 years (an integer): retention.years */
};

/* retention.years (issue #16): how long a closed couple's records are kept
 * after closing. The default is Germany's (630f BGB: ten years after the end
 * of treatment); other jurisdictions set their own. */
#define KZ_RETENTION_YEARS_DEFAULT 10
#define KZ_RETENTION_YEARS_MIN 1
#define KZ_RETENTION_YEARS_MAX 100

#define KZ_SETTING_TEXT_MAX 200

struct kz_setting {
    const char *key;
    enum kz_setting_type type;
    const char *help;  /* config list's ABOUT */
    const char *deflt; /* what an unset key means, as shown; NULL: nothing */
};

/* Every setting, in config list's order, ending with a NULL key. */
extern const struct kz_setting kz_settings[];

/* The setting KEY, or NULL with KZ_EUSAGE "unknown setting 'K' (known: ...)". */
const struct kz_setting *kz_setting_lookup(const char *key, struct kz_err *err);
/* A value typed for s -> the JSON value to keep (new reference), or NULL with
 * KZ_EUSAGE naming the key and what it takes. */
json_t *kz_setting_parse(const struct kz_setting *s, const char *val, struct kz_err *err);

/* A new config body: {"kind":"config","v":1,"settings":{}}. */
json_t *kz_conf_new(void);
/* Checks a config body as above: an unknown field or setting, or a value of
 * the wrong type, is KZ_EINTEGRITY naming it ("config record: unknown
 * setting 'colour'"). A missing settings or templates object is fine. */
int kz_conf_check(const json_t *cfg, struct kz_err *err);
/* Parses a sealed body (a duplicate field is refused) and checks it. */
int kz_conf_decode(const char *text, size_t len, json_t **out, struct kz_err *err);

/* The value kept for a setting key, or NULL when unset (borrowed). */
json_t *kz_conf_get(const json_t *cfg, const char *key);
/* Keeps v (a reference is taken over) for key; v NULL unsets it. */
void kz_conf_put(json_t *cfg, const char *key, json_t *v);
/* The settings the program acts on, each with its default when unset:
 * idle-lock seconds (-1: unset), backup.warn-days (def when unset), the date
 * style (KZ_DATE_*), the pager (1 on, 0 off). */
int kz_conf_idle_lock(const json_t *cfg);
long kz_conf_warn_days(const json_t *cfg, long def);
int kz_conf_date_style(const json_t *cfg);
int kz_conf_pager(const json_t *cfg);
/* retention.years: 1 to 100, KZ_RETENTION_YEARS_DEFAULT when unset. */
int kz_conf_retention_years(const json_t *cfg);
/* The short-id counter an older vault kept for kind (KZ_KIND_SESSION or
 * KZ_KIND_GOAL), 0 if none. */
uint32_t kz_conf_counter(const json_t *cfg, int kind);

/* Templates of the therapist's own. */
#define KZ_TEMPLATE_NAME_MAX 32
#define KZ_TEMPLATE_MAX (16 * 1024)
/* 1 if name is 1-32 characters of a-z, 0-9 and '-', not first. */
int kz_template_name_ok(const char *name);
/* The text of the template name in cfg, or NULL (borrowed). */
const char *kz_conf_template(const json_t *cfg, const char *name);
/* Calls cb for each template name in cfg, in the order they were added. */
void kz_conf_templates(const json_t *cfg, void (*cb)(void *ctx, const char *name,
                                                     const char *text),
                       void *ctx);
/* Adds the template name (text of len bytes, made at now): KZ_EUSAGE when it
 * exists, is over KZ_TEMPLATE_MAX, or is not UTF-8 text. */
int kz_conf_template_add(json_t *cfg, const char *name, const char *text, size_t len,
                         const char *now, struct kz_err *err);
/* Removes the template name: 0, or -1 if there is none. */
int kz_conf_template_remove(json_t *cfg, const char *name);

#endif
