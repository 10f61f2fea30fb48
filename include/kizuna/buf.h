/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_BUF_H
#define KIZUNA_BUF_H

#include <stddef.h>

/* A growing text buffer for composing views; wiped when freed (it may hold notes). */
struct kz_buf {
    char *p;
    size_t len;
    size_t cap;
};

void kz_buf_add(struct kz_buf *b, const char *s);
void kz_buf_addn(struct kz_buf *b, const char *s, size_t n);
/* Room for n more bytes (and the NUL) without moving the text again. */
void kz_buf_reserve(struct kz_buf *b, size_t n);
void kz_buf_printf(struct kz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" if empty); valid until the next change. */
const char *kz_buf_str(struct kz_buf *b);
void kz_buf_free(struct kz_buf *b);
/* Wipes the text and empties b, keeping its memory for reuse. */
void kz_buf_clear(struct kz_buf *b);

#endif
