/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bech32 (BIP 173) as age uses it: the BIP 173 checksum without its
 * 90-character limit. Encoding and decoding stream through the data, so no
 * buffer of 5-bit groups (which would hold secret key bits) is left behind.
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "kizuna/age.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
polymod_step(uint32_t chk, unsigned int v)
{
    static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                     0x3d4233dd, 0x2a1462b3 };
    uint32_t top = chk >> 25;
    int i;

    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (i = 0; i < 5; i++) {
        if ((top >> i) & 1)
            chk ^= gen[i];
    }
    return chk;
}

static int
lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Checksum state after the expanded (lower-cased) human-readable part. */
static uint32_t
polymod_hrp(const char *hrp, size_t len)
{
    uint32_t chk = 1;
    size_t i;

    for (i = 0; i < len; i++)
        chk = polymod_step(chk, (unsigned int)lower((unsigned char)hrp[i]) >> 5);
    chk = polymod_step(chk, 0);
    for (i = 0; i < len; i++)
        chk = polymod_step(chk, (unsigned int)lower((unsigned char)hrp[i]) & 31);
    return chk;
}

/* 0 if s[0..len) has no upper-case letter, 1 if no lower-case, -1 if mixed. */
static int
case_of(const char *s, size_t len)
{
    int has_lower = 0, has_upper = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] >= 'a' && s[i] <= 'z')
            has_lower = 1;
        else if (s[i] >= 'A' && s[i] <= 'Z')
            has_upper = 1;
    }
    if (has_lower && has_upper)
        return -1;
    return has_upper;
}

static int
charset_index(int c)
{
    const char *p;

    if (c == '\0')
        return -1;
    p = strchr(charset, lower(c));
    return p == NULL ? -1 : (int)(p - charset);
}

int
kz_bech32_encode(char *out, size_t outlen, const char *hrp,
                 const unsigned char *data, size_t len)
{
    size_t hlen = strlen(hrp), need, o = 0, i;
    uint32_t chk = 0, acc = 0;
    unsigned int bits = 0, v;
    int upper, ret = -1;

    upper = case_of(hrp, hlen);
    if (hlen == 0 || upper < 0)
        goto out;
    for (i = 0; i < hlen; i++) {
        if ((unsigned char)hrp[i] < 33 || (unsigned char)hrp[i] > 126)
            goto out;
    }
    if (len > (SIZE_MAX - hlen - 16) / 2)
        goto out;
    need = hlen + 1 + (len * 8 + 4) / 5 + 6 + 1;
    if (outlen < need)
        goto out;

    memcpy(out, hrp, hlen);
    o = hlen;
    out[o++] = '1';
    chk = polymod_hrp(hrp, hlen);
    for (i = 0; i < len; i++) {
        acc = ((acc << 8) | data[i]) & 0xfff;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            v = (acc >> bits) & 31;
            chk = polymod_step(chk, v);
            out[o++] = charset[v];
        }
    }
    if (bits > 0) {
        v = (acc << (5 - bits)) & 31;
        chk = polymod_step(chk, v);
        out[o++] = charset[v];
    }
    for (i = 0; i < 6; i++)
        chk = polymod_step(chk, 0);
    chk ^= 1;
    for (i = 0; i < 6; i++)
        out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
    out[o] = '\0';
    if (upper) {
        for (i = hlen + 1; i < o; i++) {
            if (out[i] >= 'a' && out[i] <= 'z')
                out[i] = (char)(out[i] - 'a' + 'A');
        }
    }
    ret = (int)o;

out:
    sodium_memzero(&acc, sizeof(acc));
    sodium_memzero(&chk, sizeof(chk));
    sodium_memzero(&v, sizeof(v));
    return ret;
}

int
kz_bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpcap,
                 unsigned char *data, size_t datacap, size_t *datalen)
{
    size_t pos, i, n = 0;
    uint32_t chk = 0, acc = 0;
    unsigned int bits = 0;
    int v = 0, ret = -1;

    *datalen = 0;
    if (case_of(s, slen) < 0)
        goto out;
    for (pos = slen; pos > 0 && s[pos - 1] != '1'; pos--)
        ;
    if (pos == 0)
        goto out;
    pos--; /* index of the separator */
    if (pos < 1 || pos + 7 > slen || pos + 1 > hrpcap)
        goto out;
    for (i = 0; i < pos; i++) {
        if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
            goto out;
    }

    /* First pass: characters and checksum. */
    chk = polymod_hrp(s, pos);
    for (i = pos + 1; i < slen; i++) {
        v = charset_index((unsigned char)s[i]);
        if (v < 0)
            goto out;
        chk = polymod_step(chk, (unsigned int)v);
    }
    if (chk != 1)
        goto out;

    /* Second pass: 5-bit groups to bytes, strict padding. */
    for (i = pos + 1; i < slen - 6; i++) {
        v = charset_index((unsigned char)s[i]);
        acc = ((acc << 5) | (unsigned int)v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (n == datacap)
                goto out;
            data[n++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    if (bits >= 5 || ((acc << (8 - bits)) & 0xff) != 0)
        goto out;

    memcpy(hrp, s, pos);
    hrp[pos] = '\0';
    *datalen = n;
    ret = 0;

out:
    if (ret != 0 && n > 0)
        sodium_memzero(data, n);
    sodium_memzero(&acc, sizeof(acc));
    sodium_memzero(&chk, sizeof(chk));
    sodium_memzero(&v, sizeof(v));
    return ret;
}
