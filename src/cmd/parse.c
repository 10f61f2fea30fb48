/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Option parsing inside a command (kz_cmd_parse): what every command calls
 * first. Its state for the running command lives in struct kz_state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/xalloc.h"
#include "cmds.h"

static void
rest_free(struct kz_state *st)
{
    if (st->rest_text != NULL) {
        explicit_bzero(st->rest_text, strlen(st->rest_text));
        free(st->rest_text);
        st->rest_text = NULL;
    }
}

void
kz_cmd_parse_end(struct kz_state *st)
{
    rest_free(st);
    st->first_positional = NULL;
}

/* Everything after "--": the words joined by single spaces into *o->value. */
static int
take_rest(struct kz_state *st, const char *cmd, const struct kz_opt *o, int argc, char **argv,
          struct kz_err *err)
{
    size_t n = 1, k = 0;
    char *text;
    int i;

    if (*o->value != NULL)
        return kz_fail(err, KZ_EUSAGE, "%s: the text is given twice (--text and after --)",
                       cmd);
    for (i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    text = st->rest_text = kz_xmalloc(n);
    for (i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]);
        if (i > 0)
            text[k++] = ' ';
        memcpy(text + k, argv[i], l);
        k += l;
    }
    text[k] = '\0';
    *o->value = text;
    if (o->flag != NULL)
        *o->flag = 1;
    return KZ_OK;
}

/* The option of opts that takes the free text after "--", or NULL. */
static const struct kz_opt *
rest_opt(const struct kz_opt *opts)
{
    const struct kz_opt *o;

    for (o = opts; o != NULL && o->name != NULL; o++) {
        if (o->has_arg == KZ_OPT_REST)
            return o;
    }
    return NULL;
}

/* A positional argument a into pos, or KZ_EUSAGE when there is no room. */
static int
take_positional(struct kz_state *st, const char *cmd, const struct kz_opt *opts, char *a,
                char **pos, int maxpos, int *npos, struct kz_err *err)
{
    if (*npos >= maxpos) {
        if (rest_opt(opts) != NULL)
            return kz_fail(err, KZ_EUSAGE,
                           "%s: unexpected argument '%s' (free text goes after a lone '--': "
                           "%s ... -- TEXT)",
                           cmd, a, cmd);
        return kz_fail(err, KZ_EUSAGE, "%s: unexpected argument '%s'", cmd, a);
    }
    if (st->first_positional == NULL)
        st->first_positional = a;
    pos[(*npos)++] = a;
    return KZ_OK;
}

/* The option a ("--name", "--name=value" or "-x") names in opts, or NULL;
 * *eq is set to the '=' of a long option's value, if any. */
static const struct kz_opt *
find_opt(const struct kz_opt *opts, const char *a, const char **eq)
{
    const struct kz_opt *o;

    *eq = NULL;
    if (a[1] == '-') {
        const char *name = a + 2;
        size_t nlen;
        *eq = strchr(name, '=');
        nlen = *eq != NULL ? (size_t)(*eq - name) : strlen(name);
        for (o = opts; o != NULL && o->name != NULL; o++) {
            if (o->has_arg != KZ_OPT_REST && strlen(o->name) == nlen &&
                strncmp(o->name, name, nlen) == 0)
                return o;
        }
        return NULL;
    }
    for (o = opts; o != NULL && o->name != NULL; o++) {
        if (o->short_name != 0 && o->short_name == a[1])
            return o;
    }
    return NULL;
}

/* An unknown long option's error, naming the nearest known one ('--limt':
 * did you mean '--limit'?) when one is near. */
static int
unknown_option(const char *cmd, const char *a, const struct kz_opt *opts, struct kz_err *err)
{
    const struct kz_opt *o;
    struct kz_nearest n;
    const char *near;
    char typed[64];

    kz_nearest_init_option(&n, a, typed, sizeof(typed));
    for (o = opts; o != NULL && o->name != NULL; o++) {
        if (o->has_arg != KZ_OPT_REST && o->name[0] != '\0')
            kz_nearest_offer(&n, o->name);
    }
    if ((near = kz_nearest_word(&n)) != NULL)
        return kz_fail(err, KZ_EUSAGE,
                       "%s: unknown option '--%s' (did you mean '--%s'? try 'help %s')", cmd,
                       typed, near, cmd);
    return kz_fail(err, KZ_EUSAGE, "%s: unknown option '%s' (try 'help %s')", cmd, a, cmd);
}

int
kz_cmd_parse(struct kz_state *st, const char *cmd, int argc, char **argv,
             const struct kz_opt *opts, char **pos, int maxpos, int *npos, struct kz_err *err)
{
    const struct kz_opt *o;
    int i, rc, only_pos = 0;

    *npos = 0;
    rest_free(st);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *eq = NULL;
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            rc = take_positional(st, cmd, opts, argv[i], pos, maxpos, npos, err);
            if (rc != KZ_OK)
                return rc;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            if ((o = rest_opt(opts)) != NULL)
                return take_rest(st, cmd, o, argc - i - 1, argv + i + 1, err);
            only_pos = 1;
            continue;
        }
        if (a[1] != '-' && a[2] != '\0')
            return kz_fail(err, KZ_EUSAGE, "%s: unknown option '%s'", cmd, a);
        if ((o = find_opt(opts, a, &eq)) == NULL)
            return unknown_option(cmd, a, opts, err);
        if (o->has_arg) {
            const char *val;
            if (eq != NULL)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return kz_fail(err, KZ_EUSAGE, "%s: option --%s needs a value", cmd, o->name);
            if (o->has_arg == KZ_OPT_REPEAT) {
                if (*o->flag >= KZ_OPT_MAX)
                    return kz_fail(err, KZ_EUSAGE, "%s: --%s given more than %d times", cmd,
                                   o->name, KZ_OPT_MAX);
                o->value[(*o->flag)++] = val;
            } else {
                *o->value = val;
            }
        } else {
            if (eq != NULL)
                return kz_fail(err, KZ_EUSAGE, "%s: option --%s takes no value", cmd, o->name);
            *o->flag = 1;
        }
    }
    return KZ_OK;
}

#define LIMIT_MAX 100000000L

int
kz_cmd_limit(struct kz_state *st, const char *cmd, const char *text, long *out,
             struct kz_err *err)
{
    char *end;
    long v;
    int rows;

    *out = 0;
    if (text == NULL) {
        if (!st->ui.json && (rows = kz_ui_screen_rows()) > 0)
            *out = rows - 6 > 10 ? rows - 6 : 10;
        return KZ_OK;
    }
    if (text[0] < '0' || text[0] > '9' || (v = strtol(text, &end, 10)) < 0 || *end != '\0' ||
        v > LIMIT_MAX)
        return kz_fail(err, KZ_EUSAGE, "%s: --limit takes a number of rows (0 for all), not '%s'",
                       cmd, text);
    *out = v;
    return KZ_OK;
}

const char *
kz_cmd_grouped(size_t n, char *buf, size_t size)
{
    char raw[32];
    size_t len, i, k = 0;

    snprintf(raw, sizeof(raw), "%zu", n);
    len = strlen(raw);
    for (i = 0; i < len && k + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = raw[i];
    }
    buf[k] = '\0';
    return buf;
}
