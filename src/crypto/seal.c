/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/seal.h"
#include "kizuna/secmem.h"

#define SEAL_VERSION 0x01

size_t
kz_pad_bucket(size_t n)
{
    size_t e = 0, s = 0, mask;

    if (n <= KZ_PAD_MIN)
        return KZ_PAD_MIN;
    while ((n >> (e + 1)) != 0)
        e++; /* floor(log2 n) */
    while ((e >> (s + 1)) != 0)
        s++;
    s++; /* floor(log2 e) + 1 */
    if (e <= s)
        return n; /* not reached: n > KZ_PAD_MIN gives e >= 11, s <= 4 */
    mask = ((size_t)1 << (e - s)) - 1;
    return (n + mask) & ~mask;
}

static size_t
padded_size(size_t ptlen, size_t block)
{
    return block == KZ_PAD_BUCKET ? kz_pad_bucket(ptlen + 1) : (ptlen / block + 1) * block;
}

void
kz_seal(const unsigned char *key, const unsigned char *ad, size_t adlen, const void *pt,
        size_t ptlen, size_t block, unsigned char **out, size_t *outlen)
{
    unsigned char nonce[KZ_SEAL_NONCE_BYTES];

    randombytes_buf(nonce, sizeof(nonce));
    kz_seal_nonce(key, ad, adlen, pt, ptlen, block, nonce, out, outlen);
}

void
kz_seal_nonce(const unsigned char *key, const unsigned char *ad, size_t adlen, const void *pt,
              size_t ptlen, size_t block, const unsigned char *nonce, unsigned char **out,
              size_t *outlen)
{
    size_t padded = padded_size(ptlen, block);
    unsigned char *blob = kz_xmalloc(1 + KZ_SEAL_NONCE_BYTES + padded +
                                     crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned char *body = blob + 1 + KZ_SEAL_NONCE_BYTES;
    unsigned long long clen = 0;

    /* Pad (ISO/IEC 7816-4, as sodium_pad: 0x80 then zeros to the block) and
     * encrypt in place: the plaintext is never copied anywhere else. sodium_pad's
     * constant-time loop over the block cost a tenth of a bulk insert; the
     * padding of our own plaintext is not a secret worth hiding from timing. */
    memcpy(body, pt, ptlen);
    body[ptlen] = 0x80;
    memset(body + ptlen + 1, 0, padded - ptlen - 1);
    blob[0] = SEAL_VERSION;
    memcpy(blob + 1, nonce, KZ_SEAL_NONCE_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(body, &clen, body, padded, ad, adlen, NULL,
                                               blob + 1, key);
    *out = blob;
    *outlen = 1 + KZ_SEAL_NONCE_BYTES + (size_t)clen;
}

/* Padding is removed only after the blob authenticated, so a variable-time
 * scan reveals nothing an attacker could not already read; sodium_unpad's
 * constant-time scan of the whole block costs a third of a bulk walk. */
static int
unpad_fast(const unsigned char *buf, size_t len, size_t block, size_t *unpadded)
{
    size_t i = len, floor;

    if (block == KZ_PAD_SCAN) {
        if (len == 0)
            return -1;
        floor = 0;
    } else if (block == KZ_PAD_BUCKET) {
        if (len == 0 || kz_pad_bucket(len) != len)
            return -1;
        floor = 0;
    } else {
        if (len == 0 || len % block != 0)
            return -1;
        floor = len >= block ? len - block : 0;
    }
    /* Eight zero bytes at a time first: a 512-byte head holds some 400 bytes
     * of padding, and a byte loop over them cost a third of opening it. */
    while (i >= floor + 8) {
        uint64_t w;
        memcpy(&w, buf + i - 8, 8);
        if (w != 0)
            break;
        i -= 8;
    }
    while (i > floor && buf[i - 1] == 0x00)
        i--;
    if (i == floor || buf[i - 1] != 0x80)
        return -1;
    *unpadded = i - 1;
    return 0;
}

int
kz_open_into(const unsigned char *key, const unsigned char *ad, size_t adlen,
             const unsigned char *blob, size_t bloblen, size_t block, unsigned char *buf,
             size_t cap, size_t *ptlen)
{
    unsigned long long mlen = 0;

    *ptlen = 0;
    if (bloblen < KZ_SEAL_OVERHEAD + 1 || blob[0] != SEAL_VERSION ||
        cap < bloblen - KZ_SEAL_OVERHEAD + 1)
        return KZ_EINTEGRITY;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(buf, &mlen, NULL,
                                                   blob + 1 + KZ_SEAL_NONCE_BYTES,
                                                   bloblen - 1 - KZ_SEAL_NONCE_BYTES, ad, adlen,
                                                   blob + 1, key) != 0 ||
        unpad_fast(buf, (size_t)mlen, block, ptlen) != 0)
        return KZ_EINTEGRITY;
    buf[*ptlen] = '\0';
    return KZ_OK;
}

int
kz_open(const unsigned char *key, const unsigned char *ad, size_t adlen,
        const unsigned char *blob, size_t bloblen, size_t block, int secure, unsigned char **pt,
        size_t *ptlen, const char *what, struct kz_err *err)
{
    unsigned char *buf = NULL;
    size_t cap = 0, unpadded = 0;
    unsigned long long mlen = 0;
    int rc = KZ_OK;

    *pt = NULL;
    *ptlen = 0;
    if (bloblen < KZ_SEAL_OVERHEAD + 1 || blob[0] != SEAL_VERSION) {
        rc = kz_fail(err, KZ_EINTEGRITY, "%s is corrupt (bad sealed-blob header)", what);
        goto out;
    }
    cap = bloblen - KZ_SEAL_OVERHEAD + 1;
    buf = secure ? kz_secure_alloc(cap) : kz_xmalloc(cap);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            buf, &mlen, NULL, blob + 1 + KZ_SEAL_NONCE_BYTES,
            bloblen - 1 - KZ_SEAL_NONCE_BYTES, ad, adlen, blob + 1, key) != 0) {
        rc = kz_fail(err, KZ_EINTEGRITY, "%s failed authentication (altered, moved or corrupt)",
                     what);
        goto out;
    }
    if (unpad_fast(buf, (size_t)mlen, block, &unpadded) != 0) {
        rc = kz_fail(err, KZ_EINTEGRITY, "%s has bad padding", what);
        goto out;
    }
    buf[unpadded] = '\0';
    *pt = buf;
    *ptlen = unpadded;
    buf = NULL;
out:
    if (buf != NULL)
        kz_plain_free(buf, cap, secure);
    return rc;
}

void
kz_plain_free(unsigned char *pt, size_t ptlen, int secure)
{
    if (pt == NULL)
        return;
    if (secure) {
        kz_secure_free(pt);
        return;
    }
    sodium_memzero(pt, ptlen);
    free(pt);
}
