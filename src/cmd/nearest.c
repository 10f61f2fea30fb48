/* SPDX-License-Identifier: GPL-3.0-or-later */
/* "Did you mean": the known word nearest to a mistyped one, by edit distance
 * (a letter added, dropped, changed, or two neighbours swapped, as git's
 * help.c weighs them all alike here), so that 'sesion' names 'session' and
 * '--limt' names '--limit'. */
#include <ctype.h>
#include <string.h>

#include "kizuna/cmd.h"

#define NEAR_MAX 64 /* longer words are not compared */

/* ASCII lower case of s (at most NEAR_MAX bytes) into out; its length. */
static size_t
lower(const char *s, char *out)
{
    size_t n;

    for (n = 0; n < NEAR_MAX && s[n] != '\0'; n++)
        out[n] = (char)tolower((unsigned char)s[n]);
    out[n] = '\0';
    return n;
}

/* Optimal string alignment distance between a and b, ASCII case folded. */
static unsigned
distance(const char *a0, const char *b0)
{
    char a[NEAR_MAX + 1], b[NEAR_MAX + 1];
    unsigned char d[NEAR_MAX + 1][NEAR_MAX + 1];
    size_t la = lower(a0, a), lb = lower(b0, b), i, j;

    for (i = 0; i <= la; i++)
        d[i][0] = (unsigned char)i;
    for (j = 0; j <= lb; j++)
        d[0][j] = (unsigned char)j;
    for (i = 1; i <= la; i++) {
        for (j = 1; j <= lb; j++) {
            unsigned best = d[i - 1][j - 1] + (unsigned)(a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1u < best)
                best = d[i - 1][j] + 1u;
            if (d[i][j - 1] + 1u < best)
                best = d[i][j - 1] + 1u;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1u < best)
                best = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)best;
        }
    }
    return d[la][lb];
}

void
kz_nearest_init(struct kz_nearest *n, const char *typed)
{
    n->typed = typed;
    n->best = NULL;
    n->dist = NEAR_MAX + 1;
    n->tied = 0;
}

void
kz_nearest_init_option(struct kz_nearest *n, const char *arg, char *buf, size_t size)
{
    size_t len;

    if (strncmp(arg, "--", 2) == 0)
        arg += 2;
    len = strcspn(arg, "=");
    if (len >= size)
        len = size - 1;
    memcpy(buf, arg, len);
    buf[len] = '\0';
    kz_nearest_init(n, buf);
}

void
kz_nearest_offer(struct kz_nearest *n, const char *word)
{
    unsigned d;

    if (strlen(n->typed) > NEAR_MAX || strlen(word) > NEAR_MAX)
        return;
    d = distance(n->typed, word);
    if (d < n->dist) {
        n->best = word;
        n->dist = d;
        n->tied = 0;
    } else if (d == n->dist && n->best != NULL && strcmp(word, n->best) != 0) {
        n->tied = 1;
    }
}

const char *
kz_nearest_word(const struct kz_nearest *n)
{
    size_t len = strlen(n->typed);
    unsigned limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;

    if (n->best == NULL || n->tied || n->dist > limit || strcmp(n->best, n->typed) == 0)
        return NULL;
    return n->best;
}
