/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_SHAMIR_H
#define KIZUNA_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"

/*
 * Emergency access (issue #16): a custodian key slot's key split into N
 * Shamir shares over GF(2^8), any K of which open it; and the printable text
 * form of one share (a sheet), with a checksum per group so a mistyped group
 * is located.
 *
 * Secret sharing is byte-wise: for each byte of the secret a random
 * polynomial of degree K-1 over GF(256) (reduction polynomial x^8+x^4+x^3+x+1,
 * 0x11b) whose constant term is that byte; share x (1..N) holds the
 * polynomial's value at x. Arithmetic without secret-dependent branches or
 * table lookups indexed by secret bytes. Random coefficients come from
 * randombytes_buf and are wiped.
 */
#define KZ_SHAMIR_MAX 10       /* N at most */
#define KZ_SHARE_SECRET 32     /* the custodian slot key split into shares */
#define KZ_SHARE_SETUP_ID 8    /* names one custodian setup */

/* Splits secret (len bytes) with threshold k among n shares (2 <= k <= n <=
 * KZ_SHAMIR_MAX): ys[i] (len bytes each) gets the share whose x is i + 1.
 * 0, or -1 on bad k or n (nothing written). */
int kz_shamir_split(const unsigned char *secret, size_t len, unsigned k, unsigned n,
                    unsigned char *const *ys);
/* Interpolates at 0 from k shares (xs distinct, 1..255; ys len bytes each)
 * into secret. 0, or -1 when k < 1 or two xs are equal or one is 0. With
 * fewer shares than the threshold the result is a value unrelated to the
 * secret (the caller finds out when the slot does not open). */
int kz_shamir_combine(const unsigned char *xs, const unsigned char *const *ys, size_t k,
                      size_t len, unsigned char *secret);

/* One share as printed on a sheet. */
struct kz_share {
    unsigned char vault_id[16];
    unsigned char setup_id[KZ_SHARE_SETUP_ID];
    unsigned char x;                  /* share number, 1..n */
    unsigned char k, n;
    unsigned char y[KZ_SHARE_SECRET];
};

#endif
