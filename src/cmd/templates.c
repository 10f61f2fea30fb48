/* SPDX-License-Identifier: GPL-3.0-or-later */
/* template add|list|show|remove: note templates of the therapist's own. */
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "config_cmd.h"

/* The therapist's templates live in the sealed config record, beside its
 * settings: "templates": {"NAME": {"text": "## ...", "created": TIME}}
 * (src/model/config.c). */

static int
builtin(const char *name)
{
    return kz_template_skeleton(name) != NULL;
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
    if (name == NULL || !kz_template_name_ok(name))
        return kz_fail(err, KZ_ENOTFOUND, "no template %s", name != NULL ? name : "");
    if ((rc = kz_config_load(st, id, &doc, err)) != KZ_OK)
        return rc;
    if ((t = kz_conf_template(doc, name)) != NULL)
        *out = kz_xstrdup(t);
    else
        rc = kz_fail(err, KZ_ENOTFOUND, "no template %s ('template list' shows them)", name);
    json_decref(doc);
    return rc;
}

struct forward {
    void (*cb)(void *ctx, const char *name);
    void *ctx;
};

static void
own_name(void *ctx, const char *name, const char *text)
{
    const struct forward *fw = ctx;

    (void)text;
    fw->cb(fw->ctx, name);
}

void
kz_templates_foreach(struct kz_state *st, void (*cb)(void *ctx, const char *name), void *ctx)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct forward fw = {cb, ctx};
    const char *const *b;
    json_t *doc = NULL;

    for (b = kz_template_names; *b != NULL; b++)
        cb(ctx, *b);
    if (kz_config_load(st, id, &doc, NULL) != KZ_OK)
        return;
    kz_conf_templates(doc, own_name, &fw);
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
                   name, KZ_TEMPLATE_NAME_MAX);
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
    json_t *doc = NULL;
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
    if (!kz_template_name_ok(pos[0]))
        return bad_name(pos[0], err);
    if ((rc = kz_config_load(st, id, &doc, err)) != KZ_OK)
        goto out;
    if (kz_conf_template(doc, pos[0]) != NULL) {
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
    kz_time_now(now);
    if ((rc = kz_conf_template_add(doc, pos[0], text, len, now, err)) != KZ_OK)
        goto out;
    if ((rc = kz_config_save(st, id, doc, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "added", pos[0]),
               "added template %s ('session add CODE --template %s' uses it)", pos[0], pos[0]);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    json_decref(doc);
    return rc;
}

/* A row of template list for one of the therapist's templates. */
static void
own_row(void *ctx, const char *name, const char *text)
{
    struct kz_buf h = {NULL, 0, 0};

    headings(text, &h);
    json_array_append_new(ctx, json_pack("{s:s,s:s,s:s}", "name", name, "source", "own",
                                         "headings", kz_buf_str(&h)));
    kz_buf_free(&h);
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"name", "TEMPLATE", 0}, {"source", "SOURCE", 0}, {"headings", "HEADINGS", 50},
        {NULL, NULL, 0}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    const char *const *b;
    json_t *doc = NULL, *rows = NULL;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "template list", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = kz_config_load(st, id, &doc, err)) != KZ_OK)
        goto out;
    rows = json_array();
    for (b = kz_template_names; *b != NULL; b++) {
        struct kz_buf h = {NULL, 0, 0};
        headings(kz_template_skeleton(*b), &h);
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s}", "name", *b, "source", "built-in",
                                              "headings", kz_buf_str(&h)));
        kz_buf_free(&h);
    }
    kz_conf_templates(doc, own_row, rows);
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
    if (!kz_template_name_ok(pos[0]))
        return bad_name(pos[0], err);
    if ((rc = kz_config_load(st, id, &doc, err)) != KZ_OK)
        goto out;
    if (kz_conf_template_remove(doc, pos[0]) != 0) {
        rc = kz_fail(err, KZ_ENOTFOUND, "no template %s of your own ('template list' shows "
                                        "them)",
                     pos[0]);
        goto out;
    }
    if ((rc = kz_config_save(st, id, doc, err)) != KZ_OK)
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
