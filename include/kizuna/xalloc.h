/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_XALLOC_H
#define KIZUNA_XALLOC_H

#include <stddef.h>

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
