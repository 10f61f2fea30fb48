/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_AGE_H
#define KIZUNA_AGE_H

#include <stddef.h>
#include <sys/types.h>

#include "kizuna/err.h"

/*
 * age v1 (age-encryption.org/v1) on libsodium: X25519 and scrypt (passphrase)
 * recipients, the 64 KiB STREAM payload and the ASCII armor, written and read
 * as streams in constant memory. Every secret (file key, wrap keys, scalars,
 * payload plaintext) lives in sodium_malloc'd memory and is wiped on every
 * path. kz_crypto_init() must have been called first.
 */

#define KZ_AGE_CHUNK 65536            /* plaintext bytes per payload chunk */
#define KZ_AGE_RECIPIENT_LEN 62       /* "age1" + 58 characters */
#define KZ_AGE_IDENTITY_LEN 74        /* "AGE-SECRET-KEY-1" + 58 characters */
#define KZ_AGE_SCRYPT_LOGN 18         /* work factor written by default */
#define KZ_AGE_SCRYPT_MAX_LOGN 22     /* largest work factor ever run on decrypt */
#define KZ_AGE_SCRYPT_LIMIT_LOGN 20   /* largest run unless an identity allows more */

/* Failure class of a decryption (the CCTV test-vector classes), plus I/O. */
enum kz_age_status {
    KZ_AGE_OK = 0,
    KZ_AGE_HEADER,   /* malformed or unsupported header, missing nonce */
    KZ_AGE_ARMOR,    /* malformed ASCII armor, or not an age file at all */
    KZ_AGE_PAYLOAD,  /* payload chunk failed, truncated or extended */
    KZ_AGE_NO_MATCH, /* no identity (key or passphrase) opens the file */
    KZ_AGE_HMAC,     /* header MAC does not match: header was altered */
    KZ_AGE_IO,       /* read()/sink() failed or out of resources */
    KZ_AGE_USAGE,    /* bad arguments from the caller */
    KZ_AGE_LIMIT     /* a well-formed scrypt work factor above the identity's limit */
};

struct kz_age_recipient {            /* one recipient for encryption */
    int scrypt;                      /* 0: X25519 public key; 1: passphrase */
    unsigned char pk[32];            /* X25519 */
    const char *passphrase;          /* scrypt; not copied, used in begin() */
    size_t passlen;
    int log_n;                       /* scrypt work factor 1..22; 0 => 18 */
};

struct kz_age_identity {             /* one identity for decryption */
    int scrypt;                      /* 0: X25519 secret key; 1: passphrase */
    unsigned char *sk;               /* 32 bytes in secure memory (X25519) */
    const char *passphrase;          /* scrypt */
    size_t passlen;
    int max_log_n;                   /* scrypt: the largest work factor to run, 1..22
                                      * (0: KZ_AGE_SCRYPT_LIMIT_LOGN); a file asking
                                      * for more fails (KZ_AGE_LIMIT, KZ_ERR) before
                                      * any memory is spent on it */
};

/* Streaming writer. */
struct kz_age_enc;

/*
 * Starts an age file for the nr recipients r (all X25519, or exactly one
 * passphrase), writing the header (armored when armor is non-zero) through
 * write(wctx, buf, len), which returns 0 once all len bytes are written and
 * -1 on failure (errno describing it). On success *out holds the writer, which
 * keeps one 64 KiB chunk whatever the size of the plaintext. Returns KZ_OK,
 * KZ_EUSAGE (no recipient, scrypt mixed with others, empty passphrase, work
 * factor out of range, low-order public key) or KZ_ERR (write failed).
 */
int kz_age_enc_begin(struct kz_age_enc **out, const struct kz_age_recipient *r,
                     size_t nr, int armor,
                     int (*write)(void *ctx, const void *buf, size_t len),
                     void *wctx, struct kz_err *err);

/*
 * Adds len bytes of plaintext, writing every chunk that is known not to be
 * the last. Returns KZ_OK or KZ_ERR (write failed); after a failure the only
 * valid calls are kz_age_enc_abort and kz_age_enc_final (which then fails).
 */
int kz_age_enc_update(struct kz_age_enc *e, const void *buf, size_t len,
                      struct kz_err *err);

/*
 * Writes the final chunk (and the armor's END line) and frees e, whatever
 * the outcome. Returns KZ_OK or KZ_ERR.
 */
int kz_age_enc_final(struct kz_age_enc *e, struct kz_err *err);

/* Wipes and frees e without finishing the file; NULL is a no-op. */
void kz_age_enc_abort(struct kz_age_enc *e);

/*
 * Decrypts an age file (binary or armored, detected from its first byte)
 * pulled through rd(rctx, buf, len), which returns the number of bytes
 * read, 0 at end of file, -1 on error (errno describing it). Identities are
 * tried in order (nids may be 0: the file is then only checked as far as
 * the header, and the result is KZ_EAUTH at best). Plaintext goes to snk(sctx, buf, len) chunk by chunk, each
 * only after it authenticates; snk returns 0, or non-zero to stop (errno may
 * describe why). On a payload failure the chunks released before it stay
 * released: the caller must discard them. Memory use is constant.
 * Returns KZ_OK; KZ_EINTEGRITY (header, armor, payload, MAC failure);
 * KZ_EAUTH (no identity matched); KZ_ERR (read or sink failed, or a scrypt
 * work factor above the passphrase identity's max_log_n); KZ_EUSAGE.
 * *status (if status is not NULL) gets the enum kz_age_status class.
 */
int kz_age_decrypt(ssize_t (*rd)(void *ctx, void *buf, size_t len),
                   void *rctx, const struct kz_age_identity *ids, size_t nids,
                   int (*snk)(void *ctx, const void *buf, size_t len),
                   void *sctx, int *status, struct kz_err *err);

/* What an age header says about who can open the file: its stanzas by type. */
struct kz_age_header_info {
    int x25519;  /* X25519 recipients (age keys) */
    int scrypt;  /* passphrase stanzas (age allows one, alone) */
    int other;   /* stanzas of other types (plugins, ssh keys) */
    int armored; /* the file is ASCII-armored */
};

/*
 * Reads an age file's header through rd (as kz_age_decrypt does) and counts its
 * stanzas, without opening any: to say what an age file needs before asking
 * for it. Reads a little past the header. Returns KZ_OK, or the failure
 * kz_age_decrypt would report for the header (*status its class).
 */
int kz_age_header_scan(ssize_t (*rd)(void *ctx, void *buf, size_t len), void *rctx,
                       struct kz_age_header_info *info, int *status, struct kz_err *err);

/* read() adapter for kz_age_decrypt: ctx points to an int file descriptor;
 * retries EINTR. Returns bytes read, 0 at end of file, -1 on error. */
ssize_t kz_age_fd_read(void *ctx, void *buf, size_t len);

/* write() adapter for kz_age_enc_begin: ctx points to an int file
 * descriptor; loops over short writes and EINTR. Returns 0 or -1. */
int kz_age_fd_write(void *ctx, const void *buf, size_t len);

/* Human name of a status, as the CCTV vectors spell it ("header failure"). */
const char *kz_age_status_name(int status);

/* Keys */

/* Draws a fresh X25519 identity: sk (32 bytes, secure memory) and its
 * public key pk. */
void kz_age_keygen(unsigned char *sk, unsigned char pk[32]);

/* Parses an "age1..." recipient (lower case) into pk. Returns KZ_OK or
 * KZ_EUSAGE with a message that quotes no key material. */
int kz_age_recipient_parse(const char *s, unsigned char pk[32],
                           struct kz_err *err);

/* Writes the "age1..." string of pk (KZ_AGE_RECIPIENT_LEN characters and a
 * NUL) to out. Returns 0, or -1 if outlen is below KZ_AGE_RECIPIENT_LEN + 1. */
int kz_age_recipient_format(const unsigned char pk[32], char *out,
                            size_t outlen);

/* Parses an "AGE-SECRET-KEY-1..." identity (upper case) into sk (32 bytes,
 * secure memory). Returns KZ_OK or KZ_EUSAGE; the message never quotes s. */
int kz_age_identity_parse(const char *s, unsigned char *sk, struct kz_err *err);

/* Writes the "AGE-SECRET-KEY-1..." string of sk (KZ_AGE_IDENTITY_LEN
 * characters and a NUL) to out, which should be secure memory. Returns 0, or
 * -1 if outlen is below KZ_AGE_IDENTITY_LEN + 1. */
int kz_age_identity_format(const unsigned char *sk, char *out, size_t outlen);

/* Derives the public key of the X25519 secret sk. */
void kz_age_identity_public(const unsigned char *sk, unsigned char pk[32]);

/*
 * Reads an identity file as age-keygen writes it: one AGE-SECRET-KEY-1 line
 * per identity, '#' comment lines and blank lines ignored, LF or CRLF. The
 * file is read into secure memory. On success *ids holds *n (>= 1) X25519
 * identities, each sk in secure memory; free them with
 * kz_age_identities_free. Returns KZ_OK, KZ_ENOTFOUND (no such file), KZ_ERR
 * (cannot read), KZ_EUSAGE (malformed or unsupported line, no identity).
 */
int kz_age_identity_file_read(const char *path, struct kz_age_identity **ids,
                              size_t *n, struct kz_err *err);

/* Wipes and frees what kz_age_identity_file_read allocated; NULL is a no-op. */
void kz_age_identities_free(struct kz_age_identity *ids, size_t n);

/* Bech32 (BIP 173 checksum, no length limit), as age uses it. */

/*
 * Encodes len bytes of data under the human-readable part hrp (not mixed
 * case): out gets hrp, '1', the data and checksum characters, in the case of
 * hrp, and a NUL. Returns the string length, or -1 if hrp is invalid or out
 * is too small. Leaves no copy of data behind.
 */
int kz_bech32_encode(char *out, size_t outlen, const char *hrp,
                     const unsigned char *data, size_t len);

/*
 * Decodes the slen characters of s (all lower or all upper case). hrp gets
 * the human-readable part as written (NUL-terminated, at most hrpcap bytes
 * with the NUL), data at most datacap bytes, *datalen their number.
 * Returns 0, or -1 on any malformation (case, separator, character, checksum,
 * padding, sizes). Leaves no copy of the data behind.
 */
int kz_bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpcap,
                     unsigned char *data, size_t datacap, size_t *datalen);

#endif
