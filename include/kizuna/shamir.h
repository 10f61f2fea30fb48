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

/* GF(256) with x^8+x^4+x^3+x+1, without branches or table lookups: the
 * product, and the inverse (a^254; 0 for 0). For split/combine and tests. */
unsigned char kz_gf256_mul(unsigned char a, unsigned char b);
unsigned char kz_gf256_inv(unsigned char a);

/*
 * A share's text: version byte (KZ_SHARE_VERSION), vault_id, setup_id, x, k,
 * n, y, then 2 bytes of a keyed BLAKE2b over those 60 (the whole-share check),
 * in Crockford's base32 (0-9, A-Z without I L O U) with 4 zero bits at the
 * end: 100 characters, 25 groups of 4, each followed by a check character
 * that depends on the group's position and its 4 characters (GF(32) weights:
 * every single mistyped character and every swap of two characters in the
 * group, or of two groups, is caught and located). The whole-share check
 * catches what the group checks let through (errors that cancel in a group).
 */
#define KZ_SHARE_VERSION 1
#define KZ_SHARE_GROUPS 25      /* groups of 4 characters + 1 check character */
#define KZ_SHARE_GROUP_LEN 5
#define KZ_SHARE_LINE_GROUPS 5  /* groups per line on the sheet */
/* One line, groups joined by '-' (what a QR code or a share file holds). */
#define KZ_SHARE_TEXT_SIZE (KZ_SHARE_GROUPS * (KZ_SHARE_GROUP_LEN + 1))        /* 150 */
/* The sheet's form: 5 lines "N: GGGGG GGGGG GGGGG GGGGG GGGGG\n". */
#define KZ_SHARE_LINES_SIZE (KZ_SHARE_GROUPS / KZ_SHARE_LINE_GROUPS * 33 + 1) /* 166 */

/* Writes s as one line of 25 groups joined by '-' and a NUL into out (size
 * at least KZ_SHARE_TEXT_SIZE). 0, or -1 when out is too small (out then
 * holds "" if size > 0). The text is the share: the caller wipes it. */
int kz_share_encode(const struct kz_share *s, char *out, size_t size);
/* The same groups in 5 numbered lines for the sheet (size at least
 * KZ_SHARE_LINES_SIZE); kz_share_decode reads this form too. 0 or -1. */
int kz_share_encode_lines(const struct kz_share *s, char *out, size_t size);
/* Reads a share typed or pasted in any case, with any whitespace or hyphens
 * between (or within) groups, with or without the sheet's "N:" line labels;
 * O reads as 0, I and L as 1. KZ_OK, or KZ_EUSAGE and err names what is
 * wrong in one line: not a kizuna share; a character no share has (and its
 * group); a group of the wrong length; too short or too long; the group(s)
 * whose check character does not match ("group 7 does not match its check
 * character: look at it again"), two groups swapped; the whole-share check;
 * another format version; x, k or n out of range. s is wiped on failure. */
int kz_share_decode(const char *text, struct kz_share *s, struct kz_err *err);

/* How share b relates to share a (both decoded). */
enum kz_share_rel {
    KZ_SHARE_SAME_SET = 0,    /* same vault and setup, another x: goes with a */
    KZ_SHARE_OTHER_VAULT,     /* vault_id differs */
    KZ_SHARE_OTHER_SETUP,     /* same vault, setup_id differs (revoked or replaced) */
    KZ_SHARE_OTHER_THRESHOLD, /* same setup but k or n differ: damaged or forged */
    KZ_SHARE_DUPLICATE        /* the same share number x twice */
};
int kz_share_match(const struct kz_share *a, const struct kz_share *b);
/* A phrase for a kz_share_rel: "a share of another vault", ... */
const char *kz_share_rel_text(int rel);

#endif
