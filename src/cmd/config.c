/* SPDX-License-Identifier: GPL-3.0-or-later */
/* config set|get|list|unset: practice settings kept in one sealed record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "cmds.h"

#define TEXT_MAX 200

enum kind { TEXT, DURATION, DAYS, DATEFMT, ONOFF };

static const struct setting {
    const char *key;
    enum kind kind;
    const char *help;
} settings[] = {
    {"practice.name", TEXT, "name of the practice, shown on exports"},
    {"therapist.name", TEXT, "the therapist's name, shown on exports"},
    {"idle-lock", DURATION, "idle time before the shell locks: 600, 10m, 1h; 0 never"},
    {"backup.warn-days", DAYS, "doctor warns when the newest backup is older than this"},
    {"date-format", DATEFMT, "how dates are shown: iso, dd.mm.yyyy, dd/mm/yyyy, mm/dd/yyyy"},
    {"pager", ONOFF, "on: long output on a terminal goes through $PAGER (less -R); off"},
    {NULL, TEXT, NULL},
};

/* What an unset key means, as config list and get show it; NULL: nothing
 * (the key is simply left out where it would appear). The shell's idle lock
 * (KZ_IDLE_LOCK_DEFAULT) and doctor's backup age (BACKUP_WARN_DAYS) are the
 * numbers kept here. */
static const char *
default_of(const char *key)
{
    if (strcmp(key, "idle-lock") == 0)
        return "600";
    if (strcmp(key, "backup.warn-days") == 0)
        return "7";
    if (strcmp(key, "date-format") == 0)
        return "iso";
    if (strcmp(key, "pager") == 0)
        return "on";
    return NULL;
}

struct found {
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *doc;
};

/* Loads the config record (or a new empty one) into f. */
static int
load(struct kz_state *st, struct found *f, struct kz_err *err)
{
    int rc;

    memset(f, 0, sizeof(*f));
    rc = kz_rec_find_kind(st, KZ_KIND_CONFIG, f->id, NULL, err);
    if (rc == KZ_OK) {
        if ((rc = kz_rec_load(st, f->id, &f->doc, err)) != KZ_OK)
            return rc;
    } else if (rc == KZ_ENOTFOUND) {
        kz_vault_new_record_id(f->id);
        f->doc = json_pack("{s:s,s:i,s:{}}", "kind", "config", "v", 1, "settings");
    } else {
        return rc;
    }
    if (!json_is_object(json_object_get(f->doc, "settings")))
        json_object_set_new(f->doc, "settings", json_object());
    return KZ_OK;
}

static int
save(struct kz_state *st, struct found *f, struct kz_err *err)
{
    struct kz_head_info hi;

    memset(&hi, 0, sizeof(hi));
    hi.kind = KZ_KIND_CONFIG;
    return kz_rec_save(st, f->id, &hi, f->doc, err);
}

static const struct setting *
lookup(const char *key, struct kz_err *err)
{
    const struct setting *s;
    char names[256] = "";
    size_t n;

    for (s = settings; s->key != NULL; s++) {
        if (strcmp(s->key, key) == 0)
            return s;
    }
    for (s = settings; s->key != NULL; s++) {
        n = strlen(names);
        snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", s->key);
    }
    kz_fail(err, KZ_EUSAGE, "unknown setting '%s' (known: %s)", key, names);
    return NULL;
}

/* Parses a value for s into a JSON value, or NULL with err set. */
static json_t *
parse_value(const struct setting *s, const char *val, struct kz_err *err)
{
    char *end;
    long long v;

    if (s->kind == ONOFF) {
        if (strcmp(val, "on") == 0 || strcmp(val, "off") == 0)
            return json_string(val);
        kz_fail(err, KZ_EUSAGE,
                "%s: on or off (the program is $PAGER, else less -R; set PAGER to choose it)",
                s->key);
        return NULL;
    }
    if (s->kind == TEXT) {
        json_t *j = strlen(val) <= TEXT_MAX ? json_string(val) : NULL;
        if (j == NULL)
            kz_fail(err, KZ_EUSAGE, "%s: at most %d bytes of UTF-8 text", s->key, TEXT_MAX);
        return j;
    }
    if (s->kind == DATEFMT) {
        int style = kz_date_style_parse(val);
        if (style < 0) {
            kz_fail(err, KZ_EUSAGE,
                    "%s: iso (2026-03-01, the default), dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy",
                    s->key);
            return NULL;
        }
        return json_string(kz_date_style_name(style));
    }
    errno = 0;
    v = (*val >= '0' && *val <= '9') ? strtoll(val, &end, 10) : -1;
    if (v < 0 || errno != 0)
        goto bad;
    if (s->kind == DURATION) {
        if (*end == 'm' && end[1] == '\0')
            v *= 60;
        else if (*end == 'h' && end[1] == '\0')
            v *= 3600;
        else if (!(*end == '\0' || (*end == 's' && end[1] == '\0')))
            goto bad;
        if (v > 86400)
            goto bad;
    } else if (*end != '\0' || v > 3650) {
        goto bad;
    }
    return json_integer(v);
bad:
    kz_fail(err, KZ_EUSAGE, "%s: %s", s->key,
            s->kind == DURATION ? "takes seconds (or 10m, 1h), at most a day; 0 means never"
                                : "takes a number of days from 0 to 3650");
    return NULL;
}

static int
cmd_set(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const struct setting *s;
    struct found f;
    char *pos[2];
    json_t *v;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config set", argc, argv, NULL, pos, 2, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 2)
        return kz_fail(err, KZ_EUSAGE, "usage: config set KEY VALUE");
    if ((s = lookup(pos[0], err)) == NULL)
        return KZ_EUSAGE;
    if ((v = parse_value(s, pos[1], err)) == NULL)
        return KZ_EUSAGE;
    if ((rc = load(st, &f, err)) != KZ_OK) {
        json_decref(v);
        return rc;
    }
    json_object_set_new(json_object_get(f.doc, "settings"), s->key, v);
    rc = save(st, &f, err);
    json_decref(f.doc);
    if (rc == KZ_OK)
        kz_ui_done(&st->ui, json_pack("{s:s}", "set", s->key), "%s set", s->key);
    return rc;
}

static int
cmd_unset(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const struct setting *s;
    struct found f;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config unset", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: config unset KEY");
    if ((s = lookup(pos[0], err)) == NULL)
        return KZ_EUSAGE;
    if ((rc = load(st, &f, err)) != KZ_OK)
        return rc;
    json_object_del(json_object_get(f.doc, "settings"), s->key);
    rc = save(st, &f, err);
    json_decref(f.doc);
    if (rc == KZ_OK)
        kz_ui_done(&st->ui, json_pack("{s:s}", "unset", s->key), "%s unset", s->key);
    return rc;
}

static int
cmd_get(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const struct setting *s;
    struct found f;
    char *pos[1];
    json_t *v;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config get", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: config get KEY");
    if ((s = lookup(pos[0], err)) == NULL)
        return KZ_EUSAGE;
    if ((rc = load(st, &f, err)) != KZ_OK)
        return rc;
    v = json_object_get(json_object_get(f.doc, "settings"), s->key);
    if (v == NULL && default_of(s->key) != NULL) {
        rc = kz_fail(err, KZ_ENOTFOUND, "%s is not set (the default, %s, applies)", s->key,
                     default_of(s->key));
    } else if (v == NULL) {
        rc = kz_fail(err, KZ_ENOTFOUND, "%s is not set", s->key);
    } else if (st->ui.json) {
        kz_ui_object(&st->ui, json_pack("{s:s,s:O}", "key", s->key, "value", v), NULL);
    } else if (json_is_string(v)) {
        kz_ui_done(&st->ui, NULL, "%s", json_string_value(v));
    } else {
        kz_ui_done(&st->ui, NULL, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }
    json_decref(f.doc);
    return rc;
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"key", "KEY", 0}, {"value", "VALUE", 40}, {"about", "ABOUT", 24}, {NULL, NULL, 0}};
    const struct setting *s;
    struct found f;
    json_t *rows, *set, *obj;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config list", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = load(st, &f, err)) != KZ_OK)
        return rc;
    set = json_object_get(f.doc, "settings");
    if (st->ui.json) {
        obj = json_object();
        for (s = settings; s->key != NULL; s++) {
            json_t *v = json_object_get(set, s->key);
            json_object_set(obj, s->key, v != NULL ? v : json_null());
        }
        kz_ui_object(&st->ui, obj, NULL);
    } else {
        rows = json_array();
        for (s = settings; s->key != NULL; s++) {
            json_t *v = json_object_get(set, s->key);
            const char *d = default_of(s->key);
            char shown[64];
            if (v == NULL)
                snprintf(shown, sizeof(shown), "%s", d != NULL ? d : "(not set)");
            if (v == NULL && d != NULL)
                snprintf(shown, sizeof(shown), "%s (default)", d);
            json_array_append_new(rows, json_pack("{s:s,s:o,s:s}", "key", s->key, "value",
                                                  v != NULL ? json_incref(v) : json_string(shown),
                                                  "about", s->help));
        }
        kz_ui_table(&st->ui, rows, cols, NULL);
    }
    json_decref(f.doc);
    return KZ_OK;
}

int
kz_config_idle_lock(struct kz_state *st)
{
    struct found f;
    json_t *v;
    int secs = -1;

    if (st->vault == NULL || !kz_vault_unlocked(st->vault) || load(st, &f, NULL) != KZ_OK)
        return -1;
    v = json_object_get(json_object_get(f.doc, "settings"), "idle-lock");
    if (json_is_integer(v))
        secs = (int)json_integer_value(v);
    json_decref(f.doc);
    return secs;
}

int
kz_config_date_style(struct kz_state *st)
{
    struct found f;
    int style;

    if (st->vault == NULL || !kz_vault_unlocked(st->vault) || load(st, &f, NULL) != KZ_OK)
        return KZ_DATE_ISO;
    style = kz_date_style_parse(
        json_string_value(json_object_get(json_object_get(f.doc, "settings"), "date-format")));
    json_decref(f.doc);
    return style < 0 ? KZ_DATE_ISO : style;
}

int
kz_config_pager(struct kz_state *st)
{
    struct found f;
    const char *v;
    int on = 1;

    if (st->vault == NULL || !kz_vault_unlocked(st->vault) || load(st, &f, NULL) != KZ_OK)
        return -1;
    v = json_string_value(json_object_get(json_object_get(f.doc, "settings"), "pager"));
    if (v != NULL && strcmp(v, "off") == 0)
        on = 0;
    json_decref(f.doc);
    return on;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_config_set = {
    "config set", "KEY VALUE", "change a setting (kept sealed in the vault)",
    "Keys: practice.name, therapist.name, idle-lock (seconds, 10m, 1h; 0 never),\n"
    "backup.warn-days, date-format (iso, dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy: how\n"
    "dates are shown; JSON output stays ISO), pager (on or off: long output on a\n"
    "terminal through $PAGER).",
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_set};
const struct kz_cmd_entry kz_cmd_config_get = {
    "config get", "KEY", "print one setting (exit 6 if unset)", NULL, CMD_NEEDS_KEY, no_opts,
    cmd_get};
const struct kz_cmd_entry kz_cmd_config_list = {
    "config list", "", "every setting with its value; an unset one shows its default",
    "A key never set shows the value that applies, marked \"(default)\"; one without a\n"
    "default shows \"(not set)\". With --json an unset key is null.", CMD_NEEDS_KEY, no_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_config_unset = {
    "config unset", "KEY", "return a setting to its default", NULL, CMD_NEEDS_KEY | CMD_WRITES,
    no_opts, cmd_unset};
