/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Completion candidates, from the command table and (unlocked) the index. */
#include <string.h>

#include "kizuna/model_score.h"
#include "cmds.h"
#include "config_cmd.h"

enum arg_kind { ARG_NONE, ARG_COUPLE, ARG_SESSION, ARG_GOAL, ARG_THEME, ARG_TEMPLATE,
                ARG_MEASURE };

struct emit {
    int kind;
    void (*add)(void *ctx, const char *word);
    void *ctx;
};

static int
emit_ids(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct emit *e = ctx;
    char buf[16];

    (void)id;
    if (e->kind == ARG_COUPLE && hi->kind == KZ_KIND_COUPLE) {
        e->add(e->ctx, hi->code);
    } else if ((e->kind == ARG_SESSION && hi->kind == KZ_KIND_SESSION) ||
               (e->kind == ARG_GOAL && hi->kind == KZ_KIND_GOAL)) {
        kz_rec_num_text(hi->kind, hi->num, buf, sizeof(buf));
        e->add(e->ctx, buf);
    }
    return 0;
}

static void
emit_theme(void *ctx, const char *name)
{
    struct emit *e = ctx;

    e->add(e->ctx, name);
}

static void
emit_measure(void *ctx, const struct kz_measure *m)
{
    struct emit *e = ctx;

    e->add(e->ctx, m->name);
}

/* The built-in measures, then the therapist's own (the sealed config record). */
static void
emit_measures(struct kz_state *st, struct emit *e)
{
    const struct kz_measure *b;
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *cfg = NULL;
    size_t i, n;

    b = kz_measure_builtins(&n);
    for (i = 0; i < n; i++)
        e->add(e->ctx, b[i].name);
    if (kz_config_load(st, id, &cfg, NULL) == KZ_OK)
        kz_measure_conf_each(cfg, emit_measure, e);
    json_decref(cfg);
}

/* What the next word is, from the entry and the word before it. */
static int
arg_kind(const struct kz_cmd_entry *e, const char *prev, int npos)
{
    static const char *const takes_couple[] = {"couple set", "couple show", "couple edit",
                                               "couple close", "couple delete", "session add",
                                               "couple erase",
                                               "session list", "goal add", "goal list",
                                               "export", "score list", "flags",
                                               "timeline", "report", "chart",
                                               "couple reopen", "couple hold",
                                               "couple release", NULL};
    static const char *const takes_session[] = {"session show", "session edit", "session sign",
                                                "session amend", "session void",
                                                "session delete", "score add", NULL};
    static const char *const takes_goal[] = {"goal show", "goal progress", "goal done",
                                             "goal drop", NULL};
    const char *const *k;

    if (prev != NULL && strcmp(prev, "--couple") == 0)
        return ARG_COUPLE;
    if (prev != NULL && strcmp(prev, "--session") == 0)
        return ARG_SESSION;
    if (prev != NULL && strcmp(prev, "--goal") == 0)
        return ARG_GOAL;
    if (prev != NULL && strcmp(prev, "--theme") == 0)
        return ARG_THEME;
    if (prev != NULL && strcmp(prev, "--template") == 0)
        return ARG_TEMPLATE;
    if (prev != NULL && strcmp(prev, "--measure") == 0)
        return ARG_MEASURE;
    if (npos > 0)
        return ARG_NONE;
    if (strcmp(e->name, "template show") == 0 || strcmp(e->name, "template remove") == 0)
        return ARG_TEMPLATE;
    for (k = takes_couple; *k != NULL; k++)
        if (strcmp(e->name, *k) == 0)
            return ARG_COUPLE;
    for (k = takes_session; *k != NULL; k++)
        if (strcmp(e->name, *k) == 0)
            return ARG_SESSION;
    for (k = takes_goal; *k != NULL; k++)
        if (strcmp(e->name, *k) == 0)
            return ARG_GOAL;
    return ARG_NONE;
}

void
kz_cmd_complete(struct kz_state *st, int argc, char **argv,
                void (*add)(void *ctx, const char *word), void *ctx)
{
    const struct kz_cmd_entry *const *t = kz_cmd_table();
    const struct kz_cmd_entry *e = NULL;
    struct emit em = {ARG_NONE, add, ctx};
    char word[64];
    int i, used = 0, npos = 0;

    if (argc == 0) {
        for (i = 0; t[i] != NULL; i++) {
            const char *sp = strchr(t[i]->name, ' ');
            size_t n = sp ? (size_t)(sp - t[i]->name) : strlen(t[i]->name);
            memcpy(word, t[i]->name, n);
            word[n] = '\0';
            add(ctx, word);
        }
        return;
    }
    if (strcmp(argv[0], "help") == 0 && argc <= 2) {
        kz_cmd_complete(st, argc - 1, argv + 1, add, ctx);
        return;
    }
    if (argc == 1) {
        size_t n = strlen(argv[0]);
        for (i = 0; t[i] != NULL; i++) {
            if (strncmp(t[i]->name, argv[0], n) == 0 && t[i]->name[n] == ' ')
                add(ctx, t[i]->name + n + 1);
        }
    }
    if (kz_cmd_find(argc, argv, &e, &used, NULL) != KZ_OK || e == NULL)
        return;
    for (i = used; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return; /* free text follows: nothing to complete */
    }
    if (e->options != NULL) {
        for (i = 0; e->options[i] != NULL; i++)
            add(ctx, e->options[i]);
    }
    for (i = used; i < argc; i++) {
        if (argv[i][0] != '-' && (i == used || argv[i - 1][0] != '-' ||
                                  strchr(argv[i - 1], '=') != NULL))
            npos++;
    }
    em.kind = arg_kind(e, argc > used ? argv[argc - 1] : NULL, npos);
    if (em.kind == ARG_NONE || st->vault == NULL || !kz_vault_unlocked(st->vault))
        return;
    if (em.kind == ARG_THEME)
        kz_themes_foreach(st, emit_theme, &em);
    else if (em.kind == ARG_TEMPLATE)
        kz_templates_foreach(st, emit_theme, &em);
    else if (em.kind == ARG_MEASURE)
        emit_measures(st, &em);
    else
        kz_rec_scan(st, emit_ids, &em, NULL);
}
