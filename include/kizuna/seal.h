/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_SEAL_H
#define KIZUNA_SEAL_H

#include <stddef.h>

#include "kizuna/err.h"

/*
 * Sealed blobs: version byte 0x01 || 24-byte random nonce ||
 * XChaCha20-Poly1305-IETF(key, nonce, ad, sodium_pad(plaintext, block)).
 * Associated data is the caller's: it binds the blob to where it belongs.
 */
#define KZ_KEY_BYTES 32
#define KZ_SEAL_NONCE_BYTES 24
#define KZ_SEAL_OVERHEAD (1 + KZ_SEAL_NONCE_BYTES + 16)
/* Record plaintext is padded to this block size, so a blob shows its size only
 * to the nearest 256 bytes. */
#define KZ_RECORD_PAD 256
/* block KZ_PAD_BUCKET: pad to a size bucket instead (kz_pad_bucket), so that a
 * record's size tells neither its kind nor its length: every record up to
 * 2 KiB looks alike, larger ones round up by at most 12% (Padme). */
#define KZ_PAD_BUCKET 0
#define KZ_PAD_MIN 2048

/* block KZ_PAD_SCAN, to open only: any 7816-4 padding (the blob authenticated,
 * so its padding is the sealer's): entries sealed with different blocks. */
#define KZ_PAD_SCAN ((size_t)-1)

/* The bucket n bytes (plaintext and its padding marker) are padded to. */
size_t kz_pad_bucket(size_t n);

/* Seals pt into *out (malloc'd, not secret) of *outlen bytes, padding to block
 * (>= 1). Cannot fail except by running out of memory (which aborts). */
void kz_seal(const unsigned char *key, const unsigned char *ad, size_t adlen,
             const void *pt, size_t ptlen, size_t block, unsigned char **out, size_t *outlen);
/* kz_seal with the caller's nonce (KZ_SEAL_NONCE_BYTES, fresh from
 * randombytes_buf and never used twice): a record's head and body take
 * theirs from one draw (libsodium's generator asks the kernel for the pid on
 * every call). */
void kz_seal_nonce(const unsigned char *key, const unsigned char *ad, size_t adlen,
                   const void *pt, size_t ptlen, size_t block, const unsigned char *nonce,
                   unsigned char **out, size_t *outlen);

/* Opens a sealed blob into *pt (malloc'd, NUL-terminated for convenience, wipe
 * with kz_plain_free) of *ptlen bytes. Returns KZ_OK or KZ_EINTEGRITY ("what"
 * names the thing in the message). secure != 0 puts *pt in secure memory. */
int kz_open(const unsigned char *key, const unsigned char *ad, size_t adlen,
            const unsigned char *blob, size_t bloblen, size_t block, int secure,
            unsigned char **pt, size_t *ptlen, const char *what, struct kz_err *err);

/* Opens a sealed blob into buf (cap >= bloblen, not secure memory), without
 * allocating: for walks over many records. Returns KZ_OK with *ptlen, or
 * KZ_EINTEGRITY with nothing in err (the caller names the record). */
int kz_open_into(const unsigned char *key, const unsigned char *ad, size_t adlen,
                 const unsigned char *blob, size_t bloblen, size_t block, unsigned char *buf,
                 size_t cap, size_t *ptlen);

/* Wipes and frees plaintext from kz_open (secure or not, as it was opened). */
void kz_plain_free(unsigned char *pt, size_t ptlen, int secure);

#endif
