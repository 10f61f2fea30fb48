/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Ordinary allocation that dies cleanly on exhaustion (the x* wrappers), and
 * the one way to die: after the registered wipe of all key material. At the
 * bottom layer (util), so that every layer may allocate; the wipe function
 * is registered from above (the vault), never called by name. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/xalloc.h"

static void (*fatal_wipe)(void);

void
kz_secure_on_fatal(void (*wipe)(void))
{
    fatal_wipe = wipe;
}

_Noreturn void
kz_die(const char *msg)
{
    static const char prefix[] = "kizuna: fatal: ";

    if (fatal_wipe != NULL)
        fatal_wipe();
    /* write(2) only: this may run when malloc itself has failed. */
    if (write(STDERR_FILENO, prefix, sizeof(prefix) - 1) < 0 ||
        write(STDERR_FILENO, msg, strlen(msg)) < 0 ||
        write(STDERR_FILENO, "\n", 1) < 0) {
        /* nothing more we can do */
    }
    _exit(1);
}

void *
kz_xmalloc(size_t size)
{
    void *p = malloc(size == 0 ? 1 : size);

    if (p == NULL)
        kz_die("out of memory");
    return p;
}

void *
kz_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

    if (p == NULL)
        kz_die("out of memory");
    return p;
}

void *
kz_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size == 0 ? 1 : size);

    if (q == NULL)
        kz_die("out of memory");
    return q;
}

char *
kz_xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL)
        kz_die("out of memory");
    return p;
}
