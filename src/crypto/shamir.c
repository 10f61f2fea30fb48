/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shamir secret sharing over GF(2^8), byte by byte (include/kizuna/shamir.h).
 *
 * The field arithmetic runs in the same time for every value: the multiply
 * is shift-and-add with masks instead of branches, the reduction by 0x11b is
 * masked too, and the inverse is a fixed chain of multiplications (a^254), so
 * no branch and no memory address depends on a secret byte.
 */
#include <sodium.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "kizuna/shamir.h"

unsigned char
kz_gf256_mul(unsigned char a, unsigned char b)
{
    unsigned r = 0, x = a, y = b;
    int i;

    for (i = 0; i < 8; i++) {
        r ^= x & (0u - (y & 1u));                 /* add x when bit i of b is set */
        x = (x << 1) ^ (0x11bu & (0u - (x >> 7))); /* x *= 2, reduced when bit 7 was set */
        y >>= 1;
    }
    return (unsigned char)r;
}

unsigned char
kz_gf256_inv(unsigned char a)
{
    /* a^(2^k - 1) for k = 1..7 by x = x^2 * a, then one squaring: a^254,
     * which is a^-1 for a != 0 (the group has order 255) and 0 for 0. */
    unsigned char x = a;
    int i;

    for (i = 0; i < 6; i++)
        x = kz_gf256_mul(kz_gf256_mul(x, x), a);
    return kz_gf256_mul(x, x);
}

int
kz_shamir_split(const unsigned char *secret, size_t len, unsigned k, unsigned n,
                unsigned char *const *ys)
{
    unsigned char *coef;
    size_t j;
    unsigned i, c;

    if (k < 2 || k > n || n > KZ_SHAMIR_MAX || secret == NULL || ys == NULL)
        return -1;
    for (i = 0; i < n; i++)
        if (ys[i] == NULL)
            return -1;
    /* coef[j * (k - 1) + c - 1] is coefficient c of byte j's polynomial. */
    coef = kz_secure_alloc(len * (k - 1));
    randombytes_buf(coef, len * (k - 1));
    for (i = 0; i < n; i++) {
        unsigned char x = (unsigned char)(i + 1);

        for (j = 0; j < len; j++) {
            const unsigned char *a = coef + j * (k - 1);
            unsigned char v = a[k - 2];

            /* Horner: ((a_{k-1} x + a_{k-2}) x + ...) x + secret */
            for (c = k - 1; c-- > 1;)
                v = kz_gf256_mul(v, x) ^ a[c - 1];
            ys[i][j] = kz_gf256_mul(v, x) ^ secret[j];
        }
    }
    kz_secure_free(coef); /* wipes */
    return 0;
}

int
kz_shamir_combine(const unsigned char *xs, const unsigned char *const *ys, size_t k,
                  size_t len, unsigned char *secret)
{
    size_t i, m, j;

    if (k < 1 || xs == NULL || ys == NULL || secret == NULL)
        return -1;
    for (i = 0; i < k; i++) {
        if (xs[i] == 0 || ys[i] == NULL)
            return -1;
        for (m = i + 1; m < k; m++)
            if (xs[i] == xs[m])
                return -1;
    }
    memset(secret, 0, len);
    for (i = 0; i < k; i++) {
        /* Lagrange basis at 0: l_i = prod_{m != i} x_m / (x_m - x_i); in
         * GF(2^8) subtraction is xor. The xs are public; only ys are secret. */
        unsigned char num = 1, den = 1, l;

        for (m = 0; m < k; m++) {
            if (m == i)
                continue;
            num = kz_gf256_mul(num, xs[m]);
            den = kz_gf256_mul(den, (unsigned char)(xs[m] ^ xs[i]));
        }
        l = kz_gf256_mul(num, kz_gf256_inv(den));
        for (j = 0; j < len; j++)
            secret[j] ^= kz_gf256_mul(l, ys[i][j]);
    }
    return 0;
}
