/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/xalloc.h"

static void
grow(struct kz_buf *b, size_t more)
{
    size_t cap;
    char *p;

    if (b->len + more + 1 <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    /* Move by hand so the old copy can be wiped (realloc would leave it behind). */
    p = kz_xmalloc(cap);
    if (b->p != NULL) {
        memcpy(p, b->p, b->len + 1);
        sodium_memzero(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
}

void
kz_buf_reserve(struct kz_buf *b, size_t n)
{
    grow(b, n);
}

void
kz_buf_addn(struct kz_buf *b, const char *s, size_t n)
{
    grow(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void
kz_buf_add(struct kz_buf *b, const char *s)
{
    kz_buf_addn(b, s, strlen(s));
}

void
kz_buf_printf(struct kz_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *
kz_buf_str(struct kz_buf *b)
{
    return b->p != NULL ? b->p : "";
}

void
kz_buf_clear(struct kz_buf *b)
{
    if (b->p != NULL)
        sodium_memzero(b->p, b->cap);
    b->len = 0;
}

void
kz_buf_free(struct kz_buf *b)
{
    if (b->p != NULL) {
        sodium_memzero(b->p, b->cap);
        free(b->p);
    }
    b->p = NULL;
    b->len = b->cap = 0;
}
