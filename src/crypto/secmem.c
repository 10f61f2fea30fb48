/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>
#include <string.h>

#include "kizuna/secmem.h"

int
kz_crypto_init(void)
{
    /* libsodium's own ChaCha20 generator, seeded from getrandom(2) and reseeded
     * after fork: one system call per process instead of one per nonce. */
    randombytes_set_implementation(&randombytes_internal_implementation);
    return sodium_init() < 0 ? -1 : 0;
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
