/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Splitting a line into words as a POSIX shell does (kz_cmd_split), for the
 * shell, scripts and one-shot mode alike. */
#include <stdlib.h>
#include <string.h>

#include "kizuna/xalloc.h"
#include "kizuna/cmd.h"

static void
push(char ***argv, int *argc, int *cap, char *word)
{
    if (*argc + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *argv = kz_xrealloc(*argv, (size_t)*cap * sizeof(**argv));
    }
    (*argv)[(*argc)++] = word;
    (*argv)[*argc] = NULL;
}

/* A lone "--" and after it the rest of the line (from rest on), verbatim but
 * for the blanks that start it and the line end: one more word unless empty. */
static void
push_rest(char ***argv, int *argc, int *cap, const char *rest)
{
    char *word;
    size_t rl;

    push(argv, argc, cap, kz_xstrdup("--"));
    while (*rest == ' ' || *rest == '\t')
        rest++;
    rl = strlen(rest);
    while (rl > 0 && (rest[rl - 1] == '\n' || rest[rl - 1] == '\r'))
        rl--;
    if (rl > 0) {
        word = kz_xmalloc(rl + 1);
        memcpy(word, rest, rl);
        word[rl] = '\0';
        push(argv, argc, cap, word);
    }
}

int
kz_cmd_split(const char *line, int *argc, char ***argv, struct kz_err *err)
{
    size_t n = strlen(line), k = 0, home_len;
    char *word = NULL;
    int cap = 0, in_word = 0;
    char quote = 0;
    const char *p, *home = getenv("HOME");

    *argc = 0;
    *argv = NULL;
    push(argv, argc, &cap, NULL);
    *argc = 0;
    home_len = home != NULL && home[0] == '/' ? strlen(home) : 0;
    for (p = line;; p++) {
        char c = *p;
        if (quote == 0 && (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            if (in_word) {
                word[k] = '\0';
                push(argv, argc, &cap, word);
                word = NULL;
                in_word = 0;
            }
            if (c == '\0')
                break;
            continue;
        }
        if (!in_word) {
            if (quote == 0 && c == '#')
                break;
            if (quote == 0 && c == '-' && p[1] == '-' &&
                (p[2] == '\0' || p[2] == ' ' || p[2] == '\t')) {
                push_rest(argv, argc, &cap, p + 2);
                break;
            }
            word = kz_xmalloc(n + 1 + home_len);
            k = 0;
            in_word = 1;
            if (quote == 0 && c == '~' && home_len > 0 &&
                (p[1] == '/' || p[1] == '\0' || p[1] == ' ' || p[1] == '\t')) {
                /* An unquoted ~ or ~/ starting a word is the home folder, as in sh. */
                memcpy(word, home, home_len);
                k = home_len;
                continue;
            }
        }
        if (quote == 0 && (c == '\'' || c == '"')) {
            quote = c;
        } else if (quote != 0 && c == quote) {
            quote = 0;
        } else if (c == '\0') {
            explicit_bzero(word, n + 1 + home_len);
            free(word);
            kz_cmd_free_argv(*argc, *argv);
            *argc = 0;
            *argv = NULL;
            return kz_fail(err, KZ_EUSAGE,
                           "unterminated %s quote (free text needs no quotes after a lone '--')",
                           quote == '"' ? "double" : "single");
        } else if (c == '\\' && quote != '\'' && p[1] != '\0') {
            p++;
            if (*p == 'n' && quote == '"')
                word[k++] = '\n';
            else
                word[k++] = *p;
        } else {
            word[k++] = c;
        }
    }
    return KZ_OK;
}

void
kz_cmd_free_argv(int argc, char **argv)
{
    int i;

    if (argv == NULL)
        return;
    for (i = 0; i < argc; i++) {
        if (argv[i] != NULL) {
            explicit_bzero(argv[i], strlen(argv[i]));
            free(argv[i]);
        }
    }
    free(argv);
}
