/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_SECMEM_H
#define KIZUNA_SECMEM_H

#include <stddef.h>

/* The x* wrappers and kz_die live at the bottom (src/util/xalloc.c). */
#include "kizuna/xalloc.h"

/*
 * Secure memory: every secret (keys, passphrases, plaintext of keys) lives in
 * sodium_malloc'd pages (guard pages, mlock'd, never swapped or dumped) and is
 * wiped before it is freed.
 */

/* Initialises libsodium once; returns 0, or -1 if it cannot. */
int kz_crypto_init(void);

/* sodium_malloc(size) or, if memory is exhausted, wipes what it can and aborts
 * with a message (the only place allowed to end the process). */
void *kz_secure_alloc(size_t size);

/* Wipes and frees memory from kz_secure_alloc; NULL is a no-op. */
void kz_secure_free(void *p);

/* Like kz_secure_alloc(len + 1) holding a NUL-terminated copy of s[0..len). */
char *kz_secure_strndup(const char *s, size_t len);

#endif
