/* SPDX-License-Identifier: GPL-3.0-or-later */
/* config set|get|list|unset: practice settings kept in one sealed record (its
 * shape and the settings' validation: src/model/config.c). */
#include <string.h>

#include "config_cmd.h"

static int
cmd_set(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    const struct kz_setting *s;
    json_t *cfg = NULL, *v;
    char *pos[2];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config set", argc, argv, NULL, pos, 2, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 2)
        return kz_fail(err, KZ_EUSAGE, "usage: config set KEY VALUE");
    if ((s = kz_setting_lookup(pos[0], err)) == NULL)
        return KZ_EUSAGE;
    if ((v = kz_setting_parse(s, pos[1], err)) == NULL)
        return KZ_EUSAGE;
    if ((rc = kz_config_load(st, id, &cfg, err)) != KZ_OK) {
        json_decref(v);
        return rc;
    }
    kz_conf_put(cfg, s->key, v);
    rc = kz_config_save(st, id, cfg, err);
    json_decref(cfg);
    if (rc == KZ_OK)
        kz_ui_done(&st->ui, json_pack("{s:s}", "set", s->key), "%s set", s->key);
    return rc;
}

static int
cmd_unset(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    const struct kz_setting *s;
    json_t *cfg = NULL;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config unset", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: config unset KEY");
    if ((s = kz_setting_lookup(pos[0], err)) == NULL)
        return KZ_EUSAGE;
    if ((rc = kz_config_load(st, id, &cfg, err)) != KZ_OK)
        return rc;
    kz_conf_put(cfg, s->key, NULL);
    rc = kz_config_save(st, id, cfg, err);
    json_decref(cfg);
    if (rc == KZ_OK)
        kz_ui_done(&st->ui, json_pack("{s:s}", "unset", s->key), "%s unset", s->key);
    return rc;
}

static int
cmd_get(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    const struct kz_setting *s;
    json_t *cfg = NULL, *v;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config get", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: config get KEY");
    if ((s = kz_setting_lookup(pos[0], err)) == NULL)
        return KZ_EUSAGE;
    if ((rc = kz_config_load(st, id, &cfg, err)) != KZ_OK)
        return rc;
    v = kz_conf_get(cfg, s->key);
    if (v == NULL && s->deflt != NULL) {
        rc = kz_fail(err, KZ_ENOTFOUND, "%s is not set (the default, %s, applies)", s->key,
                     s->deflt);
    } else if (v == NULL) {
        rc = kz_fail(err, KZ_ENOTFOUND, "%s is not set", s->key);
    } else if (st->ui.json) {
        kz_ui_object(&st->ui, json_pack("{s:s,s:O}", "key", s->key, "value", v), NULL);
    } else if (json_is_string(v)) {
        kz_ui_done(&st->ui, NULL, "%s", json_string_value(v));
    } else {
        kz_ui_done(&st->ui, NULL, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }
    json_decref(cfg);
    return rc;
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"key", "KEY", 0}, {"value", "VALUE", 40}, {"about", "ABOUT", 24}, {NULL, NULL, 0}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    const struct kz_setting *s;
    json_t *cfg = NULL, *rows, *obj;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "config list", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = kz_config_load(st, id, &cfg, err)) != KZ_OK)
        return rc;
    if (st->ui.json) {
        obj = json_object();
        for (s = kz_settings; s->key != NULL; s++) {
            json_t *v = kz_conf_get(cfg, s->key);
            json_object_set(obj, s->key, v != NULL ? v : json_null());
        }
        kz_ui_object(&st->ui, obj, NULL);
    } else {
        rows = json_array();
        for (s = kz_settings; s->key != NULL; s++) {
            json_t *v = kz_conf_get(cfg, s->key);
            const char *d = s->deflt;
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
    json_decref(cfg);
    return KZ_OK;
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
