/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_KDF_H
#define KIZUNA_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"

/* RFC 9106's second recommended set: the floor `init --kdf-time` never goes below. */
#define KZ_KDF_FLOOR_T 3u
#define KZ_KDF_FLOOR_M_KIB 65536u
#define KZ_KDF_FLOOR_LANES 4u
/* The most init chooses or accepts, and so the most a vault header may ask
 * for: a header beyond any of these was not written by kizuna, and is refused
 * (KZ_EINTEGRITY) before anything is allocated or computed. */
#define KZ_KDF_MAX_M_KIB (4u * 1024 * 1024) /* 4 GiB */
#define KZ_KDF_MAX_T 64u
#define KZ_KDF_MAX_LANES 64u
#define KZ_KDF_SALT_BYTES 16
#define KZ_KDF_KEY_BYTES 32
/* Encoded form: version u8, algorithm u8, t u32le, m_kib u32le, lanes u32le, salt. */
#define KZ_KDF_ENCODED_BYTES (2 + 12 + KZ_KDF_SALT_BYTES)

struct kz_kdf_params {
    uint32_t t;      /* iterations */
    uint32_t m_kib;  /* memory in KiB */
    uint32_t lanes;  /* parallel lanes (= threads) */
    unsigned char salt[KZ_KDF_SALT_BYTES];
};

/* Argon2id(pass, salt) with p's costs into out (KZ_KDF_KEY_BYTES, secure memory).
 * Returns KZ_OK, or KZ_ERR with a message (e.g. not enough memory). */
int kz_kdf_derive(const struct kz_kdf_params *p, const char *pass, size_t passlen,
                  unsigned char *out, struct kz_err *err);

/* Raw Argon2id with a secret and associated data, for the RFC 9106 vector. */
int kz_kdf_argon2id_raw(uint32_t t, uint32_t m_kib, uint32_t lanes, const void *pwd,
                        size_t pwdlen, const void *salt, size_t saltlen, const void *secret,
                        size_t secretlen, const void *ad, size_t adlen, unsigned char *out,
                        size_t outlen);

/* Picks costs that take about target_s seconds here, never below the floor
 * (t=3, m=64 MiB, 4 lanes); fills a fresh random salt. */
int kz_kdf_calibrate(double target_s, struct kz_kdf_params *p, struct kz_err *err);

/* Seconds one derivation with p takes on this machine, run now (the bench,
 * calibration); -1 if it cannot run. */
double kz_kdf_measure(const struct kz_kdf_params *p);
/* The same figure without a run of its own when this process has derived with
 * p's costs (t, memory, lanes) already: the last such run's time (a
 * passphrase unlock, init's slot, passwd's), else kz_kdf_measure. For doctor
 * and init's "to unlock here", which cost a second derivation before. */
double kz_kdf_seconds(const struct kz_kdf_params *p);

/* True if p is weaker than the floor in any cost. */
int kz_kdf_below_floor(const struct kz_kdf_params *p);

void kz_kdf_encode(const struct kz_kdf_params *p, unsigned char out[KZ_KDF_ENCODED_BYTES]);
/* Returns KZ_OK, or KZ_EINTEGRITY for an unknown version/algorithm or a cost
 * beyond the KZ_KDF_MAX_* limits (the message names the setting). */
int kz_kdf_decode(const unsigned char *in, size_t len, struct kz_kdf_params *p,
                  struct kz_err *err);

/* Parses "64M", "512K", "1G" or plain KiB into KiB; -1 if malformed. */
long long kz_kdf_parse_size(const char *s);

#endif
