/* SPDX-License-Identifier: GPL-3.0-or-later */
/* template add|list|show|remove: note templates of the therapist's own. */
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "cmds.h"

/* The therapist's templates live in the sealed config record, beside its
 * settings: "templates": {"NAME": {"text": "## ...", "created": TIME}}. */

#define NAME_MAX_LEN 32
#define TEMPLATE_MAX (16 * 1024)

/* 1-32 characters of a-z, 0-9 and '-', not first. */
static int
name_ok(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > NAME_MAX_LEN || name[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

static int
builtin(const char *name)
{
    return kz_template_skeleton(name) != NULL;
}

/* Loads the config record into *doc with its id, or (none yet) a new one with
 * a fresh id; *doc always has a "templates" object. */
static int
load(struct kz_state *st, unsigned char *id, json_t **doc, struct kz_err *err)
{
    int rc;

    *doc = NULL;
    rc = kz_rec_find_kind(st, KZ_KIND_CONFIG, id, NULL, err);
    if (rc == KZ_ENOTFOUND) {
        if (err != NULL)
            kz_err_clear(err);
        kz_vault_new_record_id(id);
        *doc = json_pack("{s:s,s:i,s:{}}", "kind", "config", "v", 1, "settings");
    } else if (rc != KZ_OK || (rc = kz_rec_load(st, id, doc, err)) != KZ_OK) {
        return rc;
    }
    if (!json_is_object(json_object_get(*doc, "templates")))
        json_object_set_new(*doc, "templates", json_object());
    return KZ_OK;
}

static int
save(struct kz_state *st, const unsigned char *id, json_t *doc, struct kz_err *err)
{
    struct kz_head_info hi;

    memset(&hi, 0, sizeof(hi));
    hi.kind = KZ_KIND_CONFIG;
    return kz_rec_save(st, id, &hi, doc, err);
}

/* The text of one of the therapist's templates in doc, or NULL. */
static const char *
own_text(const json_t *doc, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "templates"), name), "text"));
}

int
kz_template_text(struct kz_state *st, const char *name, char **out, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    const char *t;
    json_t *doc = NULL;
    int rc;

    *out = NULL;
    if (name != NULL && (t = kz_template_skeleton(name)) != NULL) {
        *out = kz_xstrdup(t);
        return KZ_OK;
    }
    if (name == NULL || !name_ok(name))
        return kz_fail(err, KZ_ENOTFOUND, "no template %s", name != NULL ? name : "");
    if ((rc = load(st, id, &doc, err)) != KZ_OK)
        return rc;
    if ((t = own_text(doc, name)) != NULL)
        *out = kz_xstrdup(t);
    else
        rc = kz_fail(err, KZ_ENOTFOUND, "no template %s ('template list' shows them)", name);
    json_decref(doc);
    return rc;
}

void
kz_templates_foreach(struct kz_state *st, void (*cb)(void *ctx, const char *name), void *ctx)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    const char *const *b, *key;
    json_t *doc = NULL, *v;

    for (b = kz_template_names; *b != NULL; b++)
        cb(ctx, *b);
    if (load(st, id, &doc, NULL) != KZ_OK)
        return;
    json_object_foreach(json_object_get(doc, "templates"), key, v)
        cb(ctx, key);
    json_decref(doc);
}

/* "Subjective, Objective, ..." : the headings ("#" lines) of a template. */
static void
headings(const char *text, struct kz_buf *b)
{
    const char *p = text;

    while (*p != '\0') {
        const char *eol = strchr(p, '\n'), *h = p;
        size_t n = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (*h == '#') {
            while (n > 0 && (*h == '#' || *h == ' ')) {
                h++;
                n--;
            }
            if (n > 0)
                kz_buf_printf(b, "%s%.*s", b->len ? ", " : "", (int)n, h);
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
}

static int
bad_name(const char *name, struct kz_err *err)
{
    return kz_fail(err, KZ_EUSAGE,
                   "'%s' is not a template name: 1-%d characters of a-z, 0-9 and '-' (not "
                   "first), e.g. intake or ifs-parts",
                   name, NAME_MAX_LEN);
}

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *text_opt = NULL, *file = NULL;
    const struct kz_opt opts[] = {{"text", 0, 1, &text_opt, NULL},
                                  {"text-file", 0, 1, &file, NULL},
                                  {"", 0, KZ_OPT_REST, &text_opt, NULL},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[1], *text = NULL, now[21];
    size_t len = 0;
    json_t *doc = NULL, *body;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "template add", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: template add NAME [--text-file FILE | -- TEXT] (else $EDITOR)");
    if (text_opt != NULL && file != NULL)
        return kz_fail(err, KZ_EUSAGE, "the text once: --text, --text-file or after --");
    if (builtin(pos[0]))
        return kz_fail(err, KZ_EUSAGE, "'%s' is a built-in template; choose another name",
                       pos[0]);
    if (!name_ok(pos[0]))
        return bad_name(pos[0], err);
    if ((rc = load(st, id, &doc, err)) != KZ_OK)
        goto out;
    if (json_object_get(json_object_get(doc, "templates"), pos[0]) != NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "template %s already exists ('template remove %s' first)",
                     pos[0], pos[0]);
        goto out;
    }
    if ((rc = kz_cmd_text(st, "", text_opt, file, &text, &len, err)) != KZ_OK)
        goto out;
    if (kz_cmd_text_empty(text, len, NULL)) {
        rc = kz_fail(err, KZ_ERR, "nothing written; no template added");
        goto out;
    }
    if (len > TEMPLATE_MAX) {
        rc = kz_fail(err, KZ_EUSAGE, "a template is at most 16 KiB");
        goto out;
    }
    kz_time_now(now);
    body = json_pack("{s:s%,s:s}", "text", text, len, "created", now);
    if (body == NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "the template is not valid UTF-8 text");
        goto out;
    }
    json_object_set_new(json_object_get(doc, "templates"), pos[0], body);
    if ((rc = save(st, id, doc, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "added", pos[0]),
               "added template %s ('session add CODE --template %s' uses it)", pos[0], pos[0]);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    json_decref(doc);
    return rc;
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"name", "TEMPLATE", 0}, {"source", "SOURCE", 0}, {"headings", "HEADINGS", 50},
        {NULL, NULL, 0}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    const char *const *b, *key;
    json_t *doc = NULL, *rows = NULL, *v;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "template list", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = load(st, id, &doc, err)) != KZ_OK)
        goto out;
    rows = json_array();
    for (b = kz_template_names; *b != NULL; b++) {
        struct kz_buf h = {NULL, 0, 0};
        headings(kz_template_skeleton(*b), &h);
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s}", "name", *b, "source", "built-in",
                                              "headings", kz_buf_str(&h)));
        kz_buf_free(&h);
    }
    json_object_foreach(json_object_get(doc, "templates"), key, v) {
        struct kz_buf h = {NULL, 0, 0};
        const char *t = json_string_value(json_object_get(v, "text"));
        headings(t != NULL ? t : "", &h);
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s}", "name", key, "source", "own",
                                              "headings", kz_buf_str(&h)));
        kz_buf_free(&h);
    }
    kz_ui_table(&st->ui, rows, cols, NULL);
    rows = NULL;
out:
    json_decref(rows);
    json_decref(doc);
    return rc;
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1], *text;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "template show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: template show NAME");
    if ((rc = kz_template_text(st, pos[0], &text, err)) != KZ_OK)
        return rc;
    if (st->ui.json)
        kz_ui_show(&st->ui,
                   json_pack("{s:s,s:s,s:s}", "name", pos[0], "source",
                             builtin(pos[0]) ? "built-in" : "own", "text", text),
                   NULL);
    else
        kz_ui_show(&st->ui, json_null(), *text != '\0' ? text : "(an empty page)\n");
    kz_vault_plain_free(text, strlen(text));
    return KZ_OK;
}

static int
cmd_remove(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *doc = NULL;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "template remove", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: template remove NAME");
    if (builtin(pos[0]))
        return kz_fail(err, KZ_EUSAGE, "'%s' is a built-in template and stays", pos[0]);
    if (!name_ok(pos[0]))
        return bad_name(pos[0], err);
    if ((rc = load(st, id, &doc, err)) != KZ_OK)
        goto out;
    if (json_object_get(json_object_get(doc, "templates"), pos[0]) == NULL) {
        rc = kz_fail(err, KZ_ENOTFOUND, "no template %s of your own ('template list' shows "
                                        "them)",
                     pos[0]);
        goto out;
    }
    json_object_del(json_object_get(doc, "templates"), pos[0]);
    if ((rc = save(st, id, doc, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "removed", pos[0]),
               "removed template %s (notes written with it keep their text)", pos[0]);
out:
    json_decref(doc);
    return rc;
}

static const char *const add_opts[] = {"--text", "--text-file", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_template_add = {
    "template add", "NAME [--text-file FILE | -- TEXT]",
    "a note template of your own: its headings ($EDITOR on a terminal)",
    "NAME is 1-32 characters of a-z, 0-9 and '-'; the built-in names (free, soap,\n"
    "dap, birp, psychodynamic) are taken. Write the headings as the note should\n"
    "start, e.g. '## Presenting', '## Between sessions', '## Plan'. In a script,\n"
    "--text-file - or the lines that follow, up to a lone '.'. Kept sealed in the\n"
    "vault; 'session add CODE --template NAME' starts a note from it.",
    CMD_NEEDS_KEY | CMD_WRITES, add_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_template_list = {
    "template list", "", "the built-in note templates, then your own, with their headings",
    NULL, CMD_NEEDS_KEY, no_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_template_show = {
    "template show", "NAME", "the text a template starts a note with", NULL, CMD_NEEDS_KEY,
    no_opts, cmd_show};
const struct kz_cmd_entry kz_cmd_template_remove = {
    "template remove", "NAME", "remove a template of your own (notes keep their text)", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_remove};
