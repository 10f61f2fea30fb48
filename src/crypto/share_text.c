/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A share's printable text (include/kizuna/shamir.h): 62 bytes in Crockford's
 * base32, 25 groups of 4 characters each followed by a check character.
 *
 * The check character of group g (0..24) makes
 *     a^1 v0 + a^2 v1 + a^3 v2 + a^4 v3 + c = g + 1
 * hold in GF(32) (x^5 + x^2 + 1, a = x): the weights a^1..a^4 and 1 are
 * distinct and nonzero, so any one changed character, and any two characters
 * of the group swapped, breaks the equation; and groups g and h swapped break
 * it in both places, as g + 1 != h + 1. The characters hold the share, so the
 * arithmetic here is branch-free too, and the buffers are secure memory.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "kizuna/shamir.h"

#define RAW_DATA 60                      /* version .. y */
#define RAW_LEN (RAW_DATA + 2)           /* + the whole-share check */
#define DATA_SYMS 100                    /* 62 bytes = 496 bits, 4 zero bits */
#define ALL_SYMS (KZ_SHARE_GROUPS * KZ_SHARE_GROUP_LEN) /* 125 */
#define MAX_SYMS 400                     /* read at most this many characters */

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const unsigned char check_key[crypto_generichash_KEYBYTES_MIN] = "kizuna-share-v1";

static unsigned
gf32_mul(unsigned a, unsigned b)
{
    unsigned r = 0;
    int i;

    for (i = 0; i < 5; i++) {
        r ^= a & (0u - (b & 1u));
        a = (a << 1) ^ (0x25u & (0u - ((a >> 4) & 1u)));
        b >>= 1;
    }
    return r & 31u;
}

/* The check character's value for group g's four data symbols. */
static unsigned
group_check(const unsigned char *v, unsigned g)
{
    unsigned w = 2, c = (g + 1) & 31u;
    int i;

    for (i = 0; i < 4; i++) {
        c ^= gf32_mul(w, v[i]);
        w = gf32_mul(w, 2);
    }
    return c;
}

/* A typed character's symbol: 0..31, or -1. O reads as 0, I and L as 1. */
static int
sym_of(int ch)
{
    const char *p;

    if (ch >= 'a' && ch <= 'z')
        ch -= 'a' - 'A';
    if (ch == 'O')
        ch = '0';
    else if (ch == 'I' || ch == 'L')
        ch = '1';
    if (ch == 0 || (p = strchr(alphabet, ch)) == NULL)
        return -1;
    return (int)(p - alphabet);
}

/* The whole-share check: the first 2 bytes of BLAKE2b-128 keyed with
 * check_key over raw[0..60). Not secret: it only catches mistakes. */
static void
whole_check(const unsigned char *raw, unsigned char out[2])
{
    unsigned char h[crypto_generichash_BYTES_MIN];

    crypto_generichash(h, sizeof(h), raw, RAW_DATA, check_key, sizeof(check_key));
    memcpy(out, h, 2);
    sodium_memzero(h, sizeof(h));
}

static void
share_to_raw(const struct kz_share *s, unsigned char *raw)
{
    raw[0] = KZ_SHARE_VERSION;
    memcpy(raw + 1, s->vault_id, 16);
    memcpy(raw + 17, s->setup_id, KZ_SHARE_SETUP_ID);
    raw[25] = s->x;
    raw[26] = s->k;
    raw[27] = s->n;
    memcpy(raw + 28, s->y, KZ_SHARE_SECRET);
    whole_check(raw, raw + RAW_DATA);
}

/* The 125 symbols (with check characters) of s into sym. */
static void
share_to_syms(const struct kz_share *s, unsigned char *sym)
{
    unsigned char *raw = kz_secure_alloc(RAW_LEN + DATA_SYMS);
    unsigned char *data = raw + RAW_LEN;
    unsigned acc = 0, bits = 0, g, i, d = 0;

    share_to_raw(s, raw);
    for (i = 0; i < RAW_LEN; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            data[d++] = (unsigned char)((acc >> bits) & 31u);
        }
        acc &= (1u << bits) - 1u;
    }
    data[d] = (unsigned char)((acc << (5 - bits)) & 31u); /* 4 bits and a zero */
    for (g = 0; g < KZ_SHARE_GROUPS; g++) {
        memcpy(sym + g * 5, data + g * 4, 4);
        sym[g * 5 + 4] = (unsigned char)group_check(data + g * 4, g);
    }
    kz_secure_free(raw);
}

int
kz_share_encode(const struct kz_share *s, char *out, size_t size)
{
    unsigned char *sym;
    size_t o = 0;
    unsigned i;

    if (size > 0)
        out[0] = '\0';
    if (size < KZ_SHARE_TEXT_SIZE)
        return -1;
    sym = kz_secure_alloc(ALL_SYMS);
    share_to_syms(s, sym);
    for (i = 0; i < ALL_SYMS; i++) {
        if (i > 0 && i % 5 == 0)
            out[o++] = '-';
        out[o++] = alphabet[sym[i]];
    }
    out[o] = '\0';
    kz_secure_free(sym);
    return 0;
}

int
kz_share_encode_lines(const struct kz_share *s, char *out, size_t size)
{
    unsigned char *sym;
    size_t o = 0;
    unsigned g, i;

    if (size > 0)
        out[0] = '\0';
    if (size < KZ_SHARE_LINES_SIZE)
        return -1;
    sym = kz_secure_alloc(ALL_SYMS);
    share_to_syms(s, sym);
    for (g = 0; g < KZ_SHARE_GROUPS; g++) {
        if (g % KZ_SHARE_LINE_GROUPS == 0) {
            out[o++] = (char)('1' + g / KZ_SHARE_LINE_GROUPS);
            out[o++] = ':';
        }
        out[o++] = ' ';
        for (i = 0; i < 5; i++)
            out[o++] = alphabet[sym[g * 5 + i]];
        if (g % KZ_SHARE_LINE_GROUPS == KZ_SHARE_LINE_GROUPS - 1)
            out[o++] = '\n';
    }
    out[o] = '\0';
    kz_secure_free(sym);
    return 0;
}

/* ---- reading ---- */

struct reader {
    unsigned char *sym; /* MAX_SYMS, secure memory */
    size_t n;           /* symbols read */
    int foreign;        /* a label that is not ours */
    size_t bad;         /* characters no share has */
    size_t bad_at;      /* symbol count when the first one came */
    int bad_ch;
    size_t short_group; /* 1-based group of the first token of 1..9 chars not 5, or 0 */
    size_t short_len;
};

static int
is_sep(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' ||
           ch == '\f' || ch == '-';
}

/* One token (no separators): an optional "N:" line label, then symbols. */
static void
read_token(struct reader *r, const char *t, size_t len)
{
    const char *colon = memchr(t, ':', len);
    size_t i, start = r->n;

    if (colon != NULL) {
        size_t lab = (size_t)(colon - t);
        int digits = lab >= 1 && lab <= 2;

        for (i = 0; i < lab; i++)
            digits = digits && t[i] >= '0' && t[i] <= '9';
        if (!digits) {
            r->foreign = 1;
            return;
        }
        len -= lab + 1;
        t = colon + 1;
    }
    for (i = 0; i < len; i++) {
        int v = sym_of((unsigned char)t[i]);

        if (v < 0) {
            if (r->bad++ == 0) {
                r->bad_at = r->n;
                r->bad_ch = (unsigned char)t[i];
            }
        } else if (r->n < MAX_SYMS) {
            r->sym[r->n++] = (unsigned char)v;
        } else {
            r->n = MAX_SYMS + 1;
        }
    }
    if (len > 0 && len < 10 && len != 5 && r->short_group == 0) {
        r->short_group = start / 5 + 1;
        r->short_len = len;
    }
}

static void
read_text(struct reader *r, const char *text)
{
    const char *p = text;

    while (*p != '\0') {
        size_t len = 0;

        while (*p != '\0' && is_sep((unsigned char)*p))
            p++;
        while (p[len] != '\0' && !is_sep((unsigned char)p[len]))
            len++;
        if (len > 0)
            read_token(r, p, len);
        p += len;
    }
}

/* Characters and length: KZ_OK when r holds exactly 125 symbols. */
static int
check_shape(const struct reader *r, struct kz_err *err)
{
    if (r->n == 0 && r->bad == 0)
        return kz_fail(err, KZ_EUSAGE, "no share: the text is empty");
    if (r->foreign || r->bad > 2 || r->n < ALL_SYMS / 3 || r->n > 2 * ALL_SYMS)
        return kz_fail(err, KZ_EUSAGE, "not a kizuna share");
    if (r->bad > 0) {
        if (r->bad_ch > ' ' && r->bad_ch < 127)
            return kz_fail(err, KZ_EUSAGE,
                           "group %zu: '%c' is not a character of a share "
                           "(0-9 and A-Z without U): look at it again",
                           r->bad_at / 5 + 1, r->bad_ch);
        return kz_fail(err, KZ_EUSAGE,
                       "group %zu holds a character no share has: look at it again",
                       r->bad_at / 5 + 1);
    }
    /* Every share begins with 0 (the version byte's top bits): a text of
     * the wrong length that does not is something else. */
    if (r->n != ALL_SYMS && r->sym[0] != 0)
        return kz_fail(err, KZ_EUSAGE, "not a kizuna share");
    if (r->n != ALL_SYMS && r->short_group != 0)
        return kz_fail(err, KZ_EUSAGE, "group %zu has %zu characters instead of 5: look at it again",
                       r->short_group, r->short_len);
    if (r->n < ALL_SYMS)
        return kz_fail(err, KZ_EUSAGE, "too short: %zu of the %d characters of a share (%d groups of 5)",
                       r->n, ALL_SYMS, KZ_SHARE_GROUPS);
    if (r->n > ALL_SYMS)
        return kz_fail(err, KZ_EUSAGE, "too long: %zu characters, a share has %d (%d groups of 5)",
                       r->n, ALL_SYMS, KZ_SHARE_GROUPS);
    return KZ_OK;
}

static int
group_ok(const unsigned char *sym, unsigned at, unsigned g)
{
    return group_check(sym + at * 5, g) == sym[at * 5 + 4];
}

/* The check characters: KZ_OK, or names the groups that do not match. */
static int
check_groups(const unsigned char *sym, struct kz_err *err)
{
    unsigned bad[KZ_SHARE_GROUPS], nbad = 0, g;
    char list[160];
    size_t o = 0;

    for (g = 0; g < KZ_SHARE_GROUPS; g++)
        if (!group_ok(sym, g, g))
            bad[nbad++] = g;
    if (nbad == 0)
        return KZ_OK;
    if (nbad > KZ_SHARE_GROUPS / 2)
        return kz_fail(err, KZ_EUSAGE, "not a kizuna share");
    if (nbad == 1)
        return kz_fail(err, KZ_EUSAGE, "group %u does not match its check character: "
                       "look at it again", bad[0] + 1);
    if (nbad == 2 && group_ok(sym, bad[0], bad[1]) && group_ok(sym, bad[1], bad[0]))
        return kz_fail(err, KZ_EUSAGE, "groups %u and %u are swapped: each one belongs "
                       "in the other's place", bad[0] + 1, bad[1] + 1);
    for (g = 0; g < nbad; g++)
        o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u",
                              g == 0 ? "" : g + 1 == nbad ? " and " : ", ", bad[g] + 1);
    return kz_fail(err, KZ_EUSAGE, "groups %s do not match their check characters: "
                   "look at them again", list);
}

/* Symbols (checked) to bytes; -1 when the 4 bits after the last byte are not zero. */
static int
syms_to_raw(const unsigned char *sym, unsigned char *raw)
{
    unsigned acc = 0, bits = 0, r = 0, i;

    for (i = 0; i < DATA_SYMS; i++) {
        acc = (acc << 5) | sym[(i / 4) * 5 + i % 4];
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            raw[r++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    return acc == 0 ? 0 : -1;
}

static int
check_raw(const unsigned char *raw, int pad, struct kz_share *s, struct kz_err *err)
{
    unsigned char mine[2];
    int ok;

    whole_check(raw, mine);
    ok = pad == 0 && sodium_memcmp(mine, raw + RAW_DATA, 2) == 0;
    if (raw[0] != KZ_SHARE_VERSION && ok)
        return kz_fail(err, KZ_EUSAGE, "a share of format version %u: this kizuna reads "
                       "version %d (a newer kizuna wrote it?)", raw[0], KZ_SHARE_VERSION);
    if (raw[0] != KZ_SHARE_VERSION)
        return kz_fail(err, KZ_EUSAGE, "the share's checksum does not match, or it is of "
                       "format version %u, which this kizuna does not read: look at every "
                       "group again", raw[0]);
    if (!ok)
        return kz_fail(err, KZ_EUSAGE, "the share's checksum does not match although every "
                       "group does (mistakes that hide each other): look at every group again");
    if (raw[26] < 2 || raw[26] > raw[27] || raw[27] > KZ_SHAMIR_MAX || raw[25] < 1 ||
        raw[25] > raw[27])
        return kz_fail(err, KZ_EUSAGE, "not a valid share: share %u of %u, %u needed",
                       raw[25], raw[27], raw[26]);
    memcpy(s->vault_id, raw + 1, 16);
    memcpy(s->setup_id, raw + 17, KZ_SHARE_SETUP_ID);
    s->x = raw[25];
    s->k = raw[26];
    s->n = raw[27];
    memcpy(s->y, raw + 28, KZ_SHARE_SECRET);
    return KZ_OK;
}

int
kz_share_decode(const char *text, struct kz_share *s, struct kz_err *err)
{
    struct reader r = {0};
    unsigned char *raw = kz_secure_alloc(RAW_LEN);
    int rc, pad;

    sodium_memzero(s, sizeof(*s));
    r.sym = kz_secure_alloc(MAX_SYMS);
    read_text(&r, text);
    rc = check_shape(&r, err);
    if (rc == KZ_OK)
        rc = check_groups(r.sym, err);
    if (rc == KZ_OK) {
        pad = syms_to_raw(r.sym, raw);
        rc = check_raw(raw, pad, s, err);
    }
    if (rc != KZ_OK)
        sodium_memzero(s, sizeof(*s));
    kz_secure_free(r.sym);
    kz_secure_free(raw);
    return rc;
}

int
kz_share_match(const struct kz_share *a, const struct kz_share *b)
{
    if (sodium_memcmp(a->vault_id, b->vault_id, sizeof(a->vault_id)) != 0)
        return KZ_SHARE_OTHER_VAULT;
    if (sodium_memcmp(a->setup_id, b->setup_id, sizeof(a->setup_id)) != 0)
        return KZ_SHARE_OTHER_SETUP;
    if (a->k != b->k || a->n != b->n)
        return KZ_SHARE_OTHER_THRESHOLD;
    if (a->x == b->x)
        return KZ_SHARE_DUPLICATE;
    return KZ_SHARE_SAME_SET;
}

const char *
kz_share_rel_text(int rel)
{
    switch (rel) {
    case KZ_SHARE_SAME_SET:
        return "a share of this set";
    case KZ_SHARE_OTHER_VAULT:
        return "a share of another vault";
    case KZ_SHARE_OTHER_SETUP:
        return "a share from another custodian setup (revoked or replaced)";
    case KZ_SHARE_OTHER_THRESHOLD:
        return "a share whose threshold does not match the others (damaged or forged)";
    case KZ_SHARE_DUPLICATE:
        return "the same share twice";
    default:
        return "an unknown share";
    }
}
