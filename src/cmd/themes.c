/* SPDX-License-Identifier: GPL-3.0-or-later */
/* themes [list] | add: the starter vocabulary and the therapist's own themes. */
#include <string.h>

#include "cmds.h"

/* The therapist's own themes live in one sealed record of kind KZ_KIND_THEMES:
 * {"kind":"themes","v":1,"custom":["name", ...]} (sorted), made on the first add. */

static int
is_starter(const char *name)
{
    const char *const *t;

    for (t = kz_starter_themes; *t != NULL; t++) {
        if (strcmp(*t, name) == 0)
            return 1;
    }
    return 0;
}

/* Loads the themes record into *doc with its id, or (none yet) a new empty one
 * with a fresh id. KZ_OK, or the error of the lookup or the load. */
static int
load(struct kz_state *st, unsigned char *id, json_t **doc, struct kz_err *err)
{
    int rc;

    *doc = NULL;
    rc = kz_rec_find_kind(st, KZ_KIND_THEMES, id, NULL, err);
    if (rc == KZ_ENOTFOUND) {
        kz_err_clear(err);
        kz_vault_new_record_id(id);
        *doc = json_pack("{s:s,s:i,s:[]}", "kind", "themes", "v", 1, "custom");
        return KZ_OK;
    }
    if (rc != KZ_OK)
        return rc;
    if ((rc = kz_rec_load(st, id, doc, err)) != KZ_OK)
        return rc;
    if (!json_is_array(json_object_get(*doc, "custom")))
        json_object_set_new(*doc, "custom", json_array());
    return KZ_OK;
}

const char *
kz_theme_fold(const char *name, char *buf, size_t size)
{
    size_t n = strlen(name), i;

    if (n >= size)
        return name;
    for (i = 0; i <= n; i++) {
        if (name[i] >= 'A' && name[i] <= 'Z')
            buf[i] = (char)(name[i] - 'A' + 'a');
        else
            buf[i] = name[i];
    }
    return buf;
}

int
kz_themes_known(struct kz_state *st, const char *name)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *doc = NULL, *t;
    size_t i;
    int found = 0;

    if (is_starter(name))
        return 1;
    if (load(st, id, &doc, NULL) != KZ_OK)
        goto out;
    json_array_foreach(json_object_get(doc, "custom"), i, t) {
        if (json_is_string(t) && strcmp(json_string_value(t), name) == 0) {
            found = 1;
            break;
        }
    }
out:
    json_decref(doc);
    return found;
}

void
kz_themes_foreach(struct kz_state *st, void (*cb)(void *ctx, const char *name), void *ctx)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    const char *const *s;
    json_t *doc = NULL, *t;
    size_t i;

    for (s = kz_starter_themes; *s != NULL; s++)
        cb(ctx, *s);
    /* A record that cannot be read leaves the starter vocabulary only. */
    if (load(st, id, &doc, NULL) != KZ_OK)
        goto out;
    json_array_foreach(json_object_get(doc, "custom"), i, t) {
        if (json_is_string(t))
            cb(ctx, json_string_value(t));
    }
out:
    json_decref(doc);
}

static int
list(struct kz_state *st, const char *name, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"name", "THEME", 0}, {"source", "SOURCE", 0}, {NULL, NULL, 0}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    const char *const *s;
    json_t *doc = NULL, *rows = NULL, *t;
    char *pos[1];
    size_t i;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, name, argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = load(st, id, &doc, err)) != KZ_OK)
        goto out;
    rows = json_array();
    for (s = kz_starter_themes; *s != NULL; s++)
        json_array_append_new(rows, json_pack("{s:s,s:s}", "name", *s, "source", "starter"));
    json_array_foreach(json_object_get(doc, "custom"), i, t) {
        if (json_is_string(t))
            json_array_append_new(rows, json_pack("{s:O,s:s}", "name", t, "source", "own"));
    }
    kz_ui_table(&st->ui, rows, cols, NULL);
    rows = NULL;
out:
    json_decref(rows);
    json_decref(doc);
    return rc;
}

static int
cmd_themes(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return list(st, "themes", argc, argv, err);
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return list(st, "themes list", argc, argv, err);
}

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    json_t *doc = NULL, *custom, *t, *name = NULL;
    char *pos[1];
    size_t i, at;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "themes add", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: themes add NAME");
    if (kz_theme_check(pos[0]) != 0 || (name = json_string(pos[0])) == NULL)
        return kz_fail(err, KZ_EUSAGE,
                       "'%s' is not a theme name: 1-40 characters of lower-case letters, "
                       "digits and '-' (not first), e.g. in-laws or 家族",
                       pos[0]);
    if (is_starter(pos[0])) {
        rc = kz_fail(err, KZ_EUSAGE, "'%s' is already a theme (from the starter vocabulary)",
                     pos[0]);
        goto out;
    }
    if ((rc = load(st, id, &doc, err)) != KZ_OK)
        goto out;
    custom = json_object_get(doc, "custom");
    at = json_array_size(custom);
    json_array_foreach(custom, i, t) {
        int c = strcmp(json_string_value(t) != NULL ? json_string_value(t) : "", pos[0]);
        if (c == 0) {
            rc = kz_fail(err, KZ_EUSAGE, "'%s' is already a theme", pos[0]);
            goto out;
        }
        if (c > 0 && at == json_array_size(custom))
            at = i;
    }
    json_array_insert(custom, at, name);
    memset(&hi, 0, sizeof(hi));
    hi.kind = KZ_KIND_THEMES;
    if ((rc = kz_rec_save(st, id, &hi, doc, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "added", pos[0]), "added theme %s", pos[0]);
out:
    json_decref(name);
    json_decref(doc);
    return rc;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_themes = {
    "themes", "", "the themes sessions are tagged with (same as 'themes list')", NULL,
    CMD_NEEDS_KEY, no_opts, cmd_themes};
const struct kz_cmd_entry kz_cmd_themes_list = {
    "themes list", "", "the starter vocabulary, then your own themes", NULL, CMD_NEEDS_KEY,
    no_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_themes_add = {
    "themes add", "NAME", "add a theme of your own to tag sessions with",
    "NAME is 1-40 characters: lower-case letters (any script), digits and '-'\n"
    "(--theme takes A-Z as a-z),\n"
    "e.g. in-laws, religion, 家族. Starter themes: isolation, dependency, language,\n"
    "bridge-role, autonomy, parenting, holidays, affection, conflict, family-of-origin,\n"
    "silence, identity, migration.",
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_add};
