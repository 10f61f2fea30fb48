/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Record heads: version 1, explicit little-endian fields, length-prefixed strings. */
#include <string.h>

#include "kizuna/bytes.h"
#include "kizuna/model.h"

#define HEAD_VERSION 1
#define FIXED (1 + 1 + 1 + 1 + 4 + 4 + 2 + 16)

static void
put16(unsigned char *b, uint16_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
}

size_t
kz_head_encode(const struct kz_head_info *h, unsigned char *out)
{
    size_t n = 0, cl = strnlen(h->code, KZ_CODE_MAX), tl = strnlen(h->tags, KZ_TAGS_MAX);

    out[n++] = HEAD_VERSION;
    out[n++] = (unsigned char)h->kind;
    out[n++] = h->flags;
    out[n++] = h->status;
    kz_put32(out + n, h->num);
    n += 4;
    kz_put32(out + n, h->date);
    n += 4;
    put16(out + n, h->minutes);
    n += 2;
    memcpy(out + n, h->parent, 16);
    n += 16;
    out[n++] = (unsigned char)cl;
    memcpy(out + n, h->code, cl);
    n += cl;
    put16(out + n, (uint16_t)tl);
    n += 2;
    memcpy(out + n, h->tags, tl);
    return n + tl;
}

int
kz_head_decode(const unsigned char *in, size_t len, struct kz_head_info *h)
{
    size_t n = FIXED, cl, tl;

    /* No memset of the whole struct: this runs for every record on every list. */
    h->code[0] = h->tags[0] = '\0';
    if (len < FIXED + 3 || in[0] != HEAD_VERSION)
        return -1;
    h->kind = in[1];
    h->flags = in[2];
    h->status = in[3];
    h->num = kz_get32(in + 4);
    h->date = kz_get32(in + 8);
    h->minutes = (uint16_t)(in[12] | in[13] << 8);
    memcpy(h->parent, in + 14, 16);
    cl = in[n++];
    if (cl > KZ_CODE_MAX || n + cl + 2 > len)
        return -1;
    memcpy(h->code, in + n, cl);
    h->code[cl] = '\0';
    n += cl;
    tl = (size_t)(in[n] | in[n + 1] << 8);
    n += 2;
    if (tl > KZ_TAGS_MAX || n + tl != len)
        return -1;
    memcpy(h->tags, in + n, tl);
    h->tags[tl] = '\0';
    return 0;
}

int
kz_head_peek(const unsigned char *in, size_t len, int *kind, uint32_t *num,
             const unsigned char **parent)
{
    if (len < FIXED + 3 || in[0] != HEAD_VERSION)
        return -1;
    *kind = in[1];
    *num = kz_get32(in + 4);
    if (parent != NULL)
        *parent = in + 14;
    return 0;
}

int
kz_head_has_tag(const char *tags, const char *theme)
{
    size_t tl = strlen(theme);
    const char *p = tags;

    if (tl == 0)
        return 0;
    while ((p = strstr(p, theme)) != NULL) {
        if ((p == tags || p[-1] == ',') && (p[tl] == ',' || p[tl] == '\0'))
            return 1;
        p += tl;
    }
    return 0;
}
