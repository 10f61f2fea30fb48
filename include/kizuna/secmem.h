/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_SECMEM_H
#define KIZUNA_SECMEM_H

#include <stddef.h>

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

/* Ordinary allocation that aborts cleanly on exhaustion (x* wrappers). */
void *kz_xmalloc(size_t size);
void *kz_xcalloc(size_t n, size_t size);
void *kz_xrealloc(void *p, size_t size);
char *kz_xstrdup(const char *s);

/* Registers a function that wipes all key material; called before an
 * out-of-memory abort and from fatal signal handlers. */
void kz_secure_on_fatal(void (*wipe)(void));

/* Dies with a message after calling the registered wipe function. */
_Noreturn void kz_die(const char *msg);

#endif
