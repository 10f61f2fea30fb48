/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Finding a command in a table by its words, unique prefixes allowed, with an
 * explicit "ambiguous" error (after tmux's cmd_find). It knows no table: the
 * caller gives one (kz_cmd_find in table.c gives the whole table). */
#include <stdio.h>
#include <string.h>

#include "kizuna/cmd.h"

/* First word of an entry's name into buf; returns a pointer to the second word or NULL. */
static const char *
split_name(const char *name, char *buf, size_t size)
{
    const char *sp = strchr(name, ' ');
    size_t n = sp != NULL ? (size_t)(sp - name) : strlen(name);

    if (n >= size)
        n = size - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return sp != NULL ? sp + 1 : NULL;
}

static int
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The error for a word that names nothing, with the nearest word of the same
 * level when one is near ('sesion': did you mean 'session'?). */
static int
unknown(const struct kz_cmd_entry *const *t, const char *group, const char *token,
        struct kz_err *err)
{
    struct kz_nearest n;
    const char *near;
    char w[64], firsts[64][32]; /* the first words, each once */
    int i, j, k = 0;

    kz_nearest_init(&n, token);
    for (i = 0; t[i] != NULL; i++) {
        const char *second = split_name(t[i]->name, w, sizeof(w));
        if (group != NULL) {
            if (strcmp(w, group) == 0 && second != NULL)
                kz_nearest_offer(&n, second);
            continue;
        }
        for (j = 0; j < k && strcmp(firsts[j], w) != 0; j++)
            ;
        if (j < k || k == 64 || strlen(w) >= sizeof(firsts[0]))
            continue;
        memcpy(firsts[k], w, strlen(w) + 1);
        kz_nearest_offer(&n, firsts[k++]);
    }
    near = kz_nearest_word(&n);
    if (group != NULL)
        return near != NULL ? kz_fail(err, KZ_EUSAGE,
                                      "unknown command '%s %s' (did you mean '%s %s'? try "
                                      "'help %s')",
                                      group, token, group, near, group)
                            : kz_fail(err, KZ_EUSAGE, "unknown command '%s %s' (try 'help %s')",
                                      group, token, group);
    return near != NULL ? kz_fail(err, KZ_EUSAGE,
                                  "unknown command '%s' (did you mean '%s'? try 'help')", token,
                                  near)
                        : kz_fail(err, KZ_EUSAGE, "unknown command '%s' (try 'help')", token);
}

/* Chooses among the words of entries (level 0: first word; 1: second word of
 * group). Returns the chosen word in out, or a kz code. */
static int
choose(const struct kz_cmd_entry *const *t, const char *group, const char *token, char *out,
       size_t outsize, struct kz_err *err)
{
    char names[512] = "", w[64];
    int matches = 0, exact = 0, i;
    size_t used = 0;

    for (i = 0; t[i] != NULL; i++) {
        const char *second = split_name(t[i]->name, w, sizeof(w));
        const char *word = w;
        if (group != NULL) {
            if (strcmp(w, group) != 0 || second == NULL)
                continue;
            word = second;
        }
        if (!starts_with(word, token))
            continue;
        if (strcmp(word, token) == 0) {
            exact = 1;
            snprintf(out, outsize, "%s", word);
            break;
        }
        if (names[0] != '\0' && strstr(names, word) != NULL) {
            /* already listed (a group's first word appears once per member) */
            const char *p = names;
            int dup = 0;
            size_t wl = strlen(word);
            while ((p = strstr(p, word)) != NULL) {
                if ((p == names || p[-1] == ' ') && (p[wl] == ',' || p[wl] == '\0'))
                    dup = 1;
                p += wl;
            }
            if (dup)
                continue;
        }
        used = strlen(names);
        snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", word);
        if (matches++ == 0)
            snprintf(out, outsize, "%s", word);
    }
    if (exact || matches == 1)
        return KZ_OK;
    if (matches == 0)
        return unknown(t, group, token, err);
    return kz_fail(err, KZ_EUSAGE, "ambiguous command '%s': %s", token, names);
}

int
kz_cmd_find_in(const struct kz_cmd_entry *const *t, int argc, char **argv,
               const struct kz_cmd_entry **out, int *used, struct kz_err *err)
{
    const struct kz_cmd_entry *bare = NULL;
    char first[64], second[64], w[64], subs[256] = "";
    int i, rc, grouped = 0;

    *out = NULL;
    *used = 0;
    if (argc < 1)
        return kz_fail(err, KZ_EUSAGE, "no command given (try 'help')");
    if ((rc = choose(t, NULL, argv[0], first, sizeof(first), err)) != KZ_OK)
        return rc;
    for (i = 0; t[i] != NULL; i++) {
        const char *sub = split_name(t[i]->name, w, sizeof(w));
        if (strcmp(w, first) != 0)
            continue;
        if (sub == NULL) {
            bare = t[i];
        } else {
            size_t n = strlen(subs);
            grouped = 1;
            snprintf(subs + n, sizeof(subs) - n, "%s%s", n ? ", " : "", sub);
        }
    }
    if (!grouped || (bare != NULL && argc < 2)) {
        *out = bare;
        *used = 1;
        return KZ_OK;
    }
    if (argc < 2)
        return kz_fail(err, KZ_EUSAGE, "'%s' needs one of: %s", first, subs);
    if ((rc = choose(t, first, argv[1], second, sizeof(second), err)) != KZ_OK) {
        if (bare != NULL) {
            *out = bare;
            *used = 1;
            return KZ_OK;
        }
        return rc;
    }
    for (i = 0; t[i] != NULL; i++) {
        const char *sub = split_name(t[i]->name, w, sizeof(w));
        if (strcmp(w, first) == 0 && sub != NULL && strcmp(sub, second) == 0) {
            *out = t[i];
            *used = 2;
            return KZ_OK;
        }
    }
    return kz_fail(err, KZ_EUSAGE, "unknown command '%s %s'", first, argv[1]);
}
