/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shamir secret sharing over GF(256) and a share's text (src/crypto/shamir.c,
 * src/crypto/share_text.c).
 *
 * The field: every one of the 65,536 products against a textbook multiply
 * (with branches), commutativity on all pairs, associativity and
 * distributivity on 256 x 256 x 37 triples, the inverse of all 255 nonzero
 * elements, FIPS-197's worked examples. Sharing: a fixed polynomial's values,
 * every K-subset of N shares opens for 2 <= K <= N <= 10 and every (K-1)-subset
 * does not; K-1 shares are independent of the secret (chi-square, below).
 * Text: round trips, every single mistyped character located, swapped groups,
 * transposed characters, cancelling mistakes caught by the whole-share check.
 *
 * The chi-square tests draw fresh randomness (randombytes_buf cannot be
 * seeded). Each statistic is compared with its 0.999 quantile, so a correct
 * implementation exceeds it in 1 run of 1000; a statistic fails the test only
 * when 3 independent repetitions all exceed it: 1e-9 per statistic, and with
 * the 7 statistics below under 1e-8 per run of this test. A leaky scheme
 * (last coefficient zero) is shown to exceed the same thresholds by far.
 */
#include "testutil.h"

#include <math.h>
#include <sodium.h>

#include "kizuna/err.h"
#include "kizuna/secmem.h"
#include "kizuna/shamir.h"

/* ---- the field ---- */

static unsigned char
ref_mul(unsigned a, unsigned b)
{
    unsigned r = 0;

    while (b != 0) {
        if (b & 1)
            r ^= a;
        a <<= 1;
        if (a & 0x100)
            a ^= 0x11b;
        b >>= 1;
    }
    return (unsigned char)r;
}

static void
test_gf_products(void **state)
{
    unsigned a, b;

    (void)state;
    for (a = 0; a < 256; a++)
        for (b = 0; b < 256; b++) {
            unsigned char p = kz_gf256_mul((unsigned char)a, (unsigned char)b);

            assert_int_equal(p, ref_mul(a, b));
            assert_int_equal(p, kz_gf256_mul((unsigned char)b, (unsigned char)a));
            if (a != 0 && b != 0)
                assert_int_not_equal(p, 0); /* no zero divisors */
        }
    /* FIPS-197 section 4.2: {57}{83} = {c1}, {57}{13} = {fe}. */
    assert_int_equal(kz_gf256_mul(0x57, 0x83), 0xc1);
    assert_int_equal(kz_gf256_mul(0x57, 0x13), 0xfe);
}

static void
test_gf_axioms(void **state)
{
    unsigned a, b, c;

    (void)state;
    for (a = 0; a < 256; a++) {
        assert_int_equal(kz_gf256_mul((unsigned char)a, 1), a);
        assert_int_equal(kz_gf256_mul((unsigned char)a, 0), 0);
        for (b = 0; b < 256; b++)
            for (c = (a * 7 + b) % 7; c < 256; c += 7) {
                unsigned char x = (unsigned char)a, y = (unsigned char)b, z = (unsigned char)c;

                assert_int_equal(kz_gf256_mul(kz_gf256_mul(x, y), z),
                                 kz_gf256_mul(x, kz_gf256_mul(y, z)));
                assert_int_equal(kz_gf256_mul(x, (unsigned char)(y ^ z)),
                                 kz_gf256_mul(x, y) ^ kz_gf256_mul(x, z));
            }
    }
}

static void
test_gf_inverse(void **state)
{
    unsigned a, seen[256] = {0}, p = 1, order = 0;

    (void)state;
    assert_int_equal(kz_gf256_inv(0), 0);
    for (a = 1; a < 256; a++) {
        unsigned char i = kz_gf256_inv((unsigned char)a);

        assert_int_equal(kz_gf256_mul((unsigned char)a, i), 1);
        assert_int_equal(seen[i]++, 0); /* a bijection */
    }
    assert_int_equal(kz_gf256_inv(0x53), 0xca); /* the AES S-box example */
    /* 3 generates the multiplicative group: its order is 255. */
    do {
        p = ref_mul(p, 3);
        order++;
    } while (p != 1);
    assert_int_equal(order, 255);
}

/* ---- sharing ---- */

static void
test_known_answer(void **state)
{
    /* f(x) = 0x42 + 0x17 x + 0xa5 x^2, its values computed by hand. */
    static const unsigned char f[5] = {0xf0, 0xce, 0x7c, 0xa0, 0x12};
    const unsigned char xs[3] = {1, 3, 5}, xs2[3] = {4, 2, 3};
    const unsigned char *ys[3] = {&f[0], &f[2], &f[4]};
    const unsigned char *ys2[3] = {&f[3], &f[1], &f[2]};
    unsigned char s = 0;

    (void)state;
    assert_int_equal(kz_shamir_combine(xs, ys, 3, 1, &s), 0);
    assert_int_equal(s, 0x42);
    assert_int_equal(kz_shamir_combine(xs2, ys2, 3, 1, &s), 0);
    assert_int_equal(s, 0x42);
    /* Two of them give some line through two points, not 0x42's parabola. */
    assert_int_equal(kz_shamir_combine(xs, ys, 2, 1, &s), 0);
    assert_int_not_equal(s, 0x42);
    /* The polynomial's own values at 1..5 are what split would give for it. */
    for (unsigned x = 1; x <= 5; x++)
        assert_int_equal(f[x - 1], 0x42 ^ ref_mul(0x17, x) ^ ref_mul(0xa5, ref_mul(x, x)));
}

static void
test_bad_arguments(void **state)
{
    unsigned char secret[4] = {1, 2, 3, 4}, buf[11][4], out[4];
    unsigned char *ys[11];
    const unsigned char *cys[3];
    unsigned char xs[3] = {1, 2, 2}, x0[2] = {0, 1};
    int i;

    (void)state;
    for (i = 0; i < 11; i++) {
        ys[i] = buf[i];
        memset(buf[i], 0xee, 4);
    }
    assert_int_equal(kz_shamir_split(secret, 4, 1, 3, ys), -1);
    assert_int_equal(kz_shamir_split(secret, 4, 4, 3, ys), -1);
    assert_int_equal(kz_shamir_split(secret, 4, 2, 11, ys), -1);
    for (i = 0; i < 11; i++)
        assert_int_equal(buf[i][0], 0xee); /* nothing written */
    assert_int_equal(kz_shamir_split(secret, 4, 10, 10, ys), 0);
    for (i = 0; i < 3; i++)
        cys[i] = buf[i];
    assert_int_equal(kz_shamir_combine(xs, cys, 3, 4, out), -1);  /* x twice */
    assert_int_equal(kz_shamir_combine(x0, cys, 2, 4, out), -1);  /* x = 0 */
    assert_int_equal(kz_shamir_combine(xs, cys, 0, 4, out), -1);
}

/* Every subset of n shares (bitmask): those of k or more open, those of k-1 not. */
static unsigned opened, refused;

static void
check_subsets(const unsigned char *secret, unsigned char *const *ys, unsigned k, unsigned n)
{
    unsigned char got[KZ_SHARE_SECRET], xs[KZ_SHAMIR_MAX];
    const unsigned char *sub[KZ_SHAMIR_MAX];
    unsigned mask, i, m;

    for (mask = 1; mask < (1u << n); mask++) {
        m = 0;
        for (i = 0; i < n; i++)
            if (mask & (1u << i)) {
                xs[m] = (unsigned char)(i + 1);
                sub[m++] = ys[i];
            }
        if (m + 1 < k)
            continue;
        assert_int_equal(kz_shamir_combine(xs, sub, m, KZ_SHARE_SECRET, got), 0);
        if (m >= k) {
            assert_memory_equal(got, secret, KZ_SHARE_SECRET);
            opened++;
        } else {
            assert_memory_not_equal(got, secret, KZ_SHARE_SECRET);
            refused++;
        }
    }
}

static void
test_every_subset(void **state)
{
    unsigned char secret[KZ_SHARE_SECRET], buf[KZ_SHAMIR_MAX][KZ_SHARE_SECRET];
    unsigned char *ys[KZ_SHAMIR_MAX];
    unsigned k, n, i;

    (void)state;
    for (i = 0; i < KZ_SHAMIR_MAX; i++)
        ys[i] = buf[i];
    for (n = 2; n <= KZ_SHAMIR_MAX; n++)
        for (k = 2; k <= n; k++) {
            randombytes_buf(secret, sizeof(secret));
            assert_int_equal(kz_shamir_split(secret, sizeof(secret), k, n, ys), 0);
            check_subsets(secret, ys, k, n);
        }
    assert_int_equal(opened, 7181);  /* sum of C(N, m) for m >= K */
    assert_int_equal(refused, 2026); /* sum of C(N, K - 1) */
}

/* ---- K-1 shares say nothing about the secret (chi-square) ---- */

#define SPLITS 20000
#define JOINT (256 * 256)

/* The 0.999 quantile of chi-square with df degrees of freedom (Wilson and
 * Hilferty; 330.55 for 255, within 0.01% of the exact 330.52). */
static double
q999(double df)
{
    double h = 2.0 / (9.0 * df), t = 1.0 - h + 3.090232 * sqrt(h);

    return df * t * t * t;
}

static double
chi_uniform(const unsigned *count, size_t bins, double total)
{
    double e = total / (double)bins, x = 0;
    size_t i;

    for (i = 0; i < bins; i++)
        x += ((double)count[i] - e) * ((double)count[i] - e) / e;
    return x;
}

/* Two samples of equal size: sum (a-b)^2/(a+b); *df gets the bins used - 1. */
static double
chi_two(const unsigned *a, const unsigned *b, size_t bins, double *df)
{
    double x = 0;
    size_t i, used = 0;

    for (i = 0; i < bins; i++)
        if (a[i] + b[i] > 0) {
            double d = (double)a[i] - (double)b[i];

            x += d * d / ((double)a[i] + (double)b[i]);
            used++;
        }
    *df = (double)used - 1;
    return x;
}

enum { SECRET_ZERO, SECRET_FF, SECRET_RANDOM };

/* SPLITS splits (k = 3, n = 5) of one kind of secret: counts of share 1's and
 * share 2's bytes (marginal, 256 bins) and of the pairs (joint, 65,536 bins).
 * leaky: the degree-2 coefficient is zero (a broken scheme, for the control). */
static void
observe(int kind, int leaky, unsigned *marg, unsigned *joint)
{
    unsigned char secret[KZ_SHARE_SECRET], buf[5][KZ_SHARE_SECRET], a1[KZ_SHARE_SECRET];
    unsigned char *ys[5];
    unsigned s, j, i;

    for (i = 0; i < 5; i++)
        ys[i] = buf[i];
    memset(marg, 0, 256 * sizeof(*marg));
    memset(joint, 0, JOINT * sizeof(*joint));
    for (s = 0; s < SPLITS; s++) {
        if (kind == SECRET_RANDOM)
            randombytes_buf(secret, sizeof(secret));
        else
            memset(secret, kind == SECRET_ZERO ? 0x00 : 0xff, sizeof(secret));
        if (leaky) {
            randombytes_buf(a1, sizeof(a1));
            for (j = 0; j < KZ_SHARE_SECRET; j++)
                for (i = 0; i < 2; i++)
                    buf[i][j] = secret[j] ^ kz_gf256_mul(a1[j], (unsigned char)(i + 1));
        } else {
            assert_int_equal(kz_shamir_split(secret, sizeof(secret), 3, 5, ys), 0);
        }
        for (j = 0; j < KZ_SHARE_SECRET; j++) {
            marg[buf[0][j]]++;
            marg[buf[1][j]]++;
            joint[buf[0][j] * 256 + buf[1][j]]++;
        }
    }
}

struct stats {
    double x[7], limit[7];
};

/* The 7 statistics of one repetition: marginal and joint uniformity for the
 * secrets 00..00, ff..ff and random ones, and joint 00..00 against ff..ff. */
static void
repetition(int leaky, struct stats *st)
{
    unsigned *marg = calloc(256 * 3, sizeof(unsigned));
    unsigned *joint = calloc((size_t)JOINT * 3, sizeof(unsigned));
    double df;
    int kind;

    assert_non_null(marg);
    assert_non_null(joint);
    for (kind = 0; kind < 3; kind++) {
        observe(kind, leaky, marg + 256 * kind, joint + (size_t)JOINT * kind);
        st->x[kind] = chi_uniform(marg + 256 * kind, 256, 2.0 * SPLITS * KZ_SHARE_SECRET);
        st->limit[kind] = q999(255);
        st->x[3 + kind] = chi_uniform(joint + (size_t)JOINT * kind, JOINT,
                                      (double)SPLITS * KZ_SHARE_SECRET);
        st->limit[3 + kind] = q999(JOINT - 1);
    }
    st->x[6] = chi_two(joint, joint + JOINT, JOINT, &df);
    st->limit[6] = q999(df);
    free(marg);
    free(joint);
}

static void
test_independence(void **state)
{
    struct stats st;
    int failing[7], rep, i, any = 1;

    (void)state;
    for (i = 0; i < 7; i++)
        failing[i] = 1;
    for (rep = 0; rep < 3 && any; rep++) {
        repetition(0, &st);
        any = 0;
        for (i = 0; i < 7; i++) {
            failing[i] = failing[i] && st.x[i] > st.limit[i];
            any |= failing[i];
            if (rep == 0)
                print_message("chi-square %d: %.1f (0.999 quantile %.1f)\n", i, st.x[i],
                              st.limit[i]);
        }
    }
    for (i = 0; i < 7; i++)
        assert_int_equal(failing[i], 0);
}

/* Control: the same statistics do see a scheme whose two shares give away the
 * secret (degree 1 instead of 2): the joint counts are far from uniform. */
static void
test_independence_control(void **state)
{
    struct stats st;

    (void)state;
    repetition(1, &st);
    assert_true(st.x[3] > 10 * st.limit[3]); /* secret 00..00 */
    assert_true(st.x[4] > 10 * st.limit[4]); /* secret ff..ff */
    assert_true(st.x[6] > 10 * st.limit[6]); /* 00..00 against ff..ff */
}

/* ---- the share's text ---- */

static void
random_share(struct kz_share *s)
{
    randombytes_buf(s, sizeof(*s));
    s->n = (unsigned char)(2 + randombytes_uniform(KZ_SHAMIR_MAX - 1));
    s->k = (unsigned char)(2 + randombytes_uniform(s->n - 1u));
    s->x = (unsigned char)(1 + randombytes_uniform(s->n));
}

static void
fixed_share(struct kz_share *s)
{
    unsigned i;

    for (i = 0; i < sizeof(s->vault_id); i++)
        s->vault_id[i] = (unsigned char)(0x10 + i);
    for (i = 0; i < sizeof(s->setup_id); i++)
        s->setup_id[i] = (unsigned char)(0xa0 + i);
    for (i = 0; i < sizeof(s->y); i++)
        s->y[i] = (unsigned char)(i * 37 + 5);
    s->x = 2;
    s->k = 3;
    s->n = 5;
}

static void
decode_ok(const char *text, const struct kz_share *want)
{
    struct kz_share got;
    struct kz_err err;

    kz_err_clear(&err);
    if (kz_share_decode(text, &got, &err) != KZ_OK)
        fail_msg("decode '%s': %s", text, err.msg);
    assert_memory_equal(&got, want, sizeof(got));
}

/* Decoding fails with KZ_EUSAGE and a message holding want. */
static void
decode_bad(const char *text, const char *want)
{
    struct kz_share got;
    struct kz_err err;

    kz_err_clear(&err);
    assert_int_equal(kz_share_decode(text, &got, &err), KZ_EUSAGE);
    if (strstr(err.msg, want) == NULL)
        fail_msg("decode '%s': got '%s', wanted '%s'", text, err.msg, want);
    assert_null(strchr(err.msg, '\n'));
    for (size_t i = 0; i < sizeof(got); i++)
        assert_int_equal(((unsigned char *)&got)[i], 0); /* wiped */
}

static void
test_text_round_trip(void **state)
{
    struct kz_share s;
    char text[KZ_SHARE_TEXT_SIZE], lines[KZ_SHARE_LINES_SIZE];
    int i;

    (void)state;
    for (i = 0; i < 2000; i++) {
        random_share(&s);
        assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
        assert_int_equal(strlen(text), KZ_SHARE_TEXT_SIZE - 1);
        decode_ok(text, &s);
        assert_int_equal(kz_share_encode_lines(&s, lines, sizeof(lines)), 0);
        assert_int_equal(strlen(lines), KZ_SHARE_LINES_SIZE - 1);
        decode_ok(lines, &s);
    }
    fixed_share(&s);
    assert_int_equal(kz_share_encode_lines(&s, lines, sizeof(lines)), 0);
    print_message("%s", lines);
    assert_int_equal(strncmp(lines, "1: ", 3), 0);
    assert_non_null(strstr(lines, "\n5: "));
    assert_int_equal(kz_share_encode(&s, text, KZ_SHARE_TEXT_SIZE - 1), -1);
    assert_string_equal(text, "");
    assert_int_equal(kz_share_encode_lines(&s, lines, KZ_SHARE_LINES_SIZE - 1), -1);
}

static void
test_text_tolerance(void **state)
{
    struct kz_share s;
    char text[KZ_SHARE_TEXT_SIZE], v[4 * KZ_SHARE_TEXT_SIZE];
    size_t i, o;

    (void)state;
    fixed_share(&s);
    s.vault_id[0] = 0; /* zeros, so that the text has 0s and 1s to vary */
    s.y[3] = 0x21;
    assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
    assert_non_null(strchr(text, '0'));
    assert_non_null(strchr(text, '1'));
    /* Lower case, O for 0, I / l / L / i for 1, spaces, tabs, newlines. */
    for (i = o = 0; text[i] != '\0'; i++) {
        char c = text[i];

        if (c == '0')
            c = (i & 1) ? 'O' : 'o';
        else if (c == '1')
            c = "IlLi"[i % 4];
        else if (c == '-')
            c = " \t\n-"[i % 4];
        else if (i % 3 == 0)
            c = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        v[o++] = c;
        if (c == ' ')
            v[o++] = ' ';
    }
    v[o] = '\0';
    decode_ok(v, &s);
    /* No separators at all, and leading and trailing blank lines. */
    for (i = o = 0; text[i] != '\0'; i++)
        if (text[i] != '-')
            v[o++] = text[i];
    v[o] = '\0';
    decode_ok(v, &s);
    snprintf(v, sizeof(v), "\n\n  %s  \n\n", text);
    decode_ok(v, &s);
    /* The sheet's labels, with or without a space after them. */
    assert_int_equal(kz_share_encode_lines(&s, text, sizeof(text)), -1); /* 150 < 166 */
    {
        char lines[KZ_SHARE_LINES_SIZE];

        assert_int_equal(kz_share_encode_lines(&s, lines, sizeof(lines)), 0);
        decode_ok(lines, &s);
        for (i = o = 0; lines[i] != '\0'; i++)
            if (!(i > 0 && lines[i] == ' ' && lines[i - 1] == ':'))
                v[o++] = lines[i];
        v[o] = '\0';
        assert_non_null(strstr(v, "\n2:"));
        decode_ok(v, &s);
    }
}

/* Every single character of the fixed share changed into each other one is
 * caught, and the message names its group. */
static void
test_text_single_errors(void **state)
{
    static const char alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    struct kz_share s;
    char text[KZ_SHARE_TEXT_SIZE], bad[KZ_SHARE_TEXT_SIZE], want[80];
    unsigned p, a, tried = 0;

    (void)state;
    for (int round = 0; round < 2; round++) {
        if (round == 0)
            fixed_share(&s);
        else
            random_share(&s);
        assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
        for (p = 0; p < 125; p++) {
            unsigned at = p + p / 5, g = p / 5 + 1; /* past the hyphens */

            for (a = 0; a < 32; a++) {
                if (alpha[a] == text[at])
                    continue;
                memcpy(bad, text, sizeof(bad));
                bad[at] = alpha[a];
                snprintf(want, sizeof(want), "group %u does not match its check character", g);
                decode_bad(bad, want);
                tried++;
            }
            bad[at] = 'U';
            snprintf(want, sizeof(want), "group %u: 'U' is not a character of a share", g);
            decode_bad(bad, want);
        }
    }
    assert_int_equal(tried, 2 * 125 * 31);
}

static void
test_text_swaps(void **state)
{
    struct kz_share s;
    char text[KZ_SHARE_TEXT_SIZE], bad[KZ_SHARE_TEXT_SIZE], want[80];
    unsigned g, h, i, swaps = 0;

    (void)state;
    random_share(&s);
    assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
    for (g = 0; g < 25; g++)
        for (h = g + 1; h < 25; h++) {
            if (memcmp(text + 6 * g, text + 6 * h, 5) == 0)
                continue;
            memcpy(bad, text, sizeof(bad));
            memcpy(bad + 6 * g, text + 6 * h, 5);
            memcpy(bad + 6 * h, text + 6 * g, 5);
            snprintf(want, sizeof(want), "groups %u and %u are swapped", g + 1, h + 1);
            decode_bad(bad, want);
            swaps++;
        }
    assert_true(swaps > 250);
    /* Two neighbouring characters of a group swapped, check character too. */
    for (g = 0; g < 25; g++)
        for (i = 0; i < 4; i++) {
            char *c = bad + 6 * g + i;

            memcpy(bad, text, sizeof(bad));
            if (c[0] == c[1])
                continue;
            c[0] = text[6 * g + i + 1];
            c[1] = text[6 * g + i];
            snprintf(want, sizeof(want), "group %u does not match", g + 1);
            decode_bad(bad, want);
        }
}

/* GF(32) as the text uses it, written again here to forge texts. */
static unsigned
gf32(unsigned a, unsigned b)
{
    unsigned r = 0;

    for (; b != 0; b >>= 1) {
        if (b & 1)
            r ^= a;
        a <<= 1;
        if (a & 0x20)
            a ^= 0x25;
    }
    return r;
}

static int
sym(char c)
{
    return (int)(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c) - "0123456789ABCDEFGHJKMNPQRSTVWXYZ");
}

/* Group g's check character rewritten to match its (changed) characters. */
static void
fix_group(char *text, unsigned g)
{
    unsigned c = g + 1, w = 2, i;

    for (i = 0; i < 4; i++) {
        c ^= gf32(w, (unsigned)sym(text[6 * g + i]));
        w = gf32(w, 2);
    }
    text[6 * g + 4] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[c];
}

static void
test_text_forged(void **state)
{
    struct kz_share s;
    char text[KZ_SHARE_TEXT_SIZE], bad[KZ_SHARE_TEXT_SIZE];
    unsigned g, d, tried = 0;

    (void)state;
    fixed_share(&s);
    assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
    /* fix_group agrees with the encoder. */
    memcpy(bad, text, sizeof(bad));
    for (g = 0; g < 25; g++)
        fix_group(bad, g);
    assert_string_equal(bad, text);
    /* Two mistakes in one group that cancel in its check (d in the first
     * character, d/a in the second, for a = x): every group, every d. The
     * whole-share check refuses them all. */
    for (g = 0; g < 25; g++)
        for (d = 1; d < 32; d++) {
            memcpy(bad, text, sizeof(bad));
            bad[6 * g] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(unsigned)sym(text[6 * g]) ^ d];
            bad[6 * g + 1] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(unsigned)sym(text[6 * g + 1]) ^
                                                                    gf32(d, 18)]; /* 18 = 1/x */
            decode_bad(bad, "checksum does not match");
            tried++;
        }
    assert_int_equal(tried, 25 * 31);
    /* Version 9 (first character 1), its group check made to match; the
     * whole-share check (version 1's) then cannot tell it from a mistake. */
    memcpy(bad, text, sizeof(bad));
    assert_int_equal(bad[0], '0');
    bad[0] = '1';
    fix_group(bad, 0);
    decode_bad(bad, "format version 9");
    /* x, k or n out of range, with every check right (the encoder writes what it is given). */
    s.x = 6;
    assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
    decode_bad(text, "not a valid share: share 6 of 5, 3 needed");
    s.x = 1;
    s.k = 1;
    assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
    decode_bad(text, "not a valid share");
    s.k = 3;
    s.n = 11;
    assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
    decode_bad(text, "not a valid share");
}

static void
test_text_shape(void **state)
{
    struct kz_share s;
    char text[KZ_SHARE_TEXT_SIZE], v[2 * KZ_SHARE_TEXT_SIZE];

    (void)state;
    fixed_share(&s);
    assert_int_equal(kz_share_encode(&s, text, sizeof(text)), 0);
    decode_bad("", "no share");
    decode_bad(" \n- \t", "no share");
    decode_bad("hello world", "not a kizuna share");
    decode_bad("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
               "not a kizuna share");
    decode_bad("the quick brown fox jumps over the lazy dog, again and again and again",
               "not a kizuna share");
    /* Another share's groups, each right, but 25 random groups: not a share. */
    memset(v, 'Z', 125);
    v[125] = '\0';
    decode_bad(v, "not a kizuna share");
    /* The last group missing; one group extra; group 7 one character short. */
    snprintf(v, sizeof(v), "%.*s", 24 * 6 - 1, text);
    decode_bad(v, "too short: 120 of the 125 characters");
    snprintf(v, sizeof(v), "%s-%.5s", text, text);
    decode_bad(v, "too long: 130 characters");
    snprintf(v, sizeof(v), "%.*s%s", 6 * 6 + 4, text, text + 6 * 6 + 5);
    decode_bad(v, "group 7 has 4 characters instead of 5");
    /* A label that is not ours. */
    snprintf(v, sizeof(v), "share: %s", text);
    decode_bad(v, "not a kizuna share");
}

static void
test_match(void **state)
{
    struct kz_share a, b;

    (void)state;
    fixed_share(&a);
    b = a;
    assert_int_equal(kz_share_match(&a, &b), KZ_SHARE_DUPLICATE);
    b.x = 3;
    assert_int_equal(kz_share_match(&a, &b), KZ_SHARE_SAME_SET);
    b.k = 2;
    assert_int_equal(kz_share_match(&a, &b), KZ_SHARE_OTHER_THRESHOLD);
    b = a;
    b.setup_id[7] ^= 1;
    assert_int_equal(kz_share_match(&a, &b), KZ_SHARE_OTHER_SETUP);
    assert_string_equal(kz_share_rel_text(KZ_SHARE_OTHER_SETUP),
                        "a share from another custodian setup (revoked or replaced)");
    b.vault_id[0] ^= 1;
    assert_int_equal(kz_share_match(&a, &b), KZ_SHARE_OTHER_VAULT);
    assert_string_equal(kz_share_rel_text(KZ_SHARE_OTHER_VAULT), "a share of another vault");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gf_products),
        cmocka_unit_test(test_gf_axioms),
        cmocka_unit_test(test_gf_inverse),
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_every_subset),
        cmocka_unit_test(test_independence),
        cmocka_unit_test(test_independence_control),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_text_tolerance),
        cmocka_unit_test(test_text_single_errors),
        cmocka_unit_test(test_text_swaps),
        cmocka_unit_test(test_text_forged),
        cmocka_unit_test(test_text_shape),
        cmocka_unit_test(test_match),
    };

    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
