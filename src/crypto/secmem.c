/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/secmem.h"

static void (*fatal_wipe)(void);

int
kz_crypto_init(void)
{
    /* libsodium's own ChaCha20 generator, seeded from getrandom(2) and reseeded
     * after fork: one system call per process instead of one per nonce. */
    randombytes_set_implementation(&randombytes_internal_implementation);
    return sodium_init() < 0 ? -1 : 0;
}

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
kz_secure_alloc(size_t size)
{
    void *p = sodium_malloc(size == 0 ? 1 : size);

    if (p == NULL)
        kz_die("out of secure memory (raise RLIMIT_MEMLOCK?)");
    return p;
}

void
kz_secure_free(void *p)
{
    if (p != NULL)
        sodium_free(p); /* sodium_free wipes before unmapping */
}

char *
kz_secure_strndup(const char *s, size_t len)
{
    char *p = kz_secure_alloc(len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
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
