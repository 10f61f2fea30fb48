/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_BYTES_H
#define KIZUNA_BYTES_H

#include <stdint.h>

/* Little-endian integers in the vault's formats (KDF parameters, heads,
 * associated data, header values). */
static inline void
kz_put32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}

static inline uint32_t
kz_get32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline void
kz_put64(unsigned char *b, uint64_t v)
{
    kz_put32(b, (uint32_t)v);
    kz_put32(b + 4, (uint32_t)(v >> 32));
}

static inline uint64_t
kz_get64(const unsigned char *b)
{
    return (uint64_t)kz_get32(b) | (uint64_t)kz_get32(b + 4) << 32;
}

#endif
