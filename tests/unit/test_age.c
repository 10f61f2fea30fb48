/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the age v1 implementation: Bech32 and keys, identity files,
 * round trips at the chunk edges (binary and armored, X25519 and scrypt),
 * and tampering, each kind of damage landing in its own failure class.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"

#define CH KZ_AGE_CHUNK
#define ENC_CH (KZ_AGE_CHUNK + 16)

/* ---- helpers ------------------------------------------------------ */

struct buf {
    unsigned char *p;
    size_t len, cap;
};

static int
buf_write(void *ctx, const void *data, size_t len)
{
    struct buf *b = ctx;

    if (b->len + len > b->cap) {
        while (b->len + len > b->cap)
            b->cap = b->cap == 0 ? 4096 : b->cap * 2;
        b->p = kz_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

static void
buf_free(struct buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

struct reader {
    const unsigned char *p;
    size_t len, pos, step;
};

static ssize_t
mem_read(void *ctx, void *out, size_t len)
{
    struct reader *r = ctx;
    size_t n = r->len - r->pos;

    if (n > len)
        n = len;
    if (r->step != 0 && n > r->step)
        n = r->step;
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static int
fail_write(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    errno = ENOSPC;
    return -1;
}

static int
fail_sink(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    errno = EPIPE;
    return -1;
}

static unsigned char *
pattern(size_t len)
{
    unsigned char *p = kz_xmalloc(len);

    randombytes_buf(p, len);
    return p;
}

/* Encrypts pt to out in updates of step bytes (0: one update). */
static int
encrypt_to(const struct kz_age_recipient *r, size_t nr, int armor,
           const unsigned char *pt, size_t len, size_t step, struct buf *out)
{
    struct kz_age_enc *e = NULL;
    struct kz_err err;
    size_t off = 0, n;
    int rc;

    kz_err_clear(&err);
    rc = kz_age_enc_begin(&e, r, nr, armor, buf_write, out, &err);
    if (rc != KZ_OK)
        return rc;
    while (off < len) {
        n = step == 0 ? len - off : step;
        if (n > len - off)
            n = len - off;
        rc = kz_age_enc_update(e, pt + off, n, &err);
        if (rc != KZ_OK) {
            kz_age_enc_abort(e);
            return rc;
        }
        off += n;
    }
    return kz_age_enc_final(e, &err);
}

/* Decrypts in to out (released plaintext); returns the kz code. */
static int
decrypt_from(const struct kz_age_identity *ids, size_t nids,
             const unsigned char *in, size_t len, size_t step, struct buf *out,
             int *status, struct kz_err *err)
{
    struct reader r = { in, len, 0, step };

    kz_err_clear(err);
    return kz_age_decrypt(mem_read, &r, ids, nids, buf_write, out, status,
                          err);
}

struct keypair {
    struct kz_age_identity id;
    struct kz_age_recipient rcp;
};

static void
keypair_new(struct keypair *k)
{
    memset(k, 0, sizeof(*k));
    k->id.sk = kz_secure_alloc(32);
    kz_age_keygen(k->id.sk, k->rcp.pk);
}

static void
keypair_free(struct keypair *k)
{
    kz_secure_free(k->id.sk);
    memset(k, 0, sizeof(*k));
}

/* Offset of the payload nonce (just past the "--- MAC" line). */
static size_t
header_len(const struct buf *b)
{
    size_t i;

    for (i = 0; i + 4 < b->len; i++) {
        if (b->p[i] == '\n' && memcmp(b->p + i + 1, "--- ", 4) == 0) {
            const unsigned char *nl = memchr(b->p + i + 1, '\n', b->len - i - 1);
            return nl == NULL ? 0 : (size_t)(nl - b->p) + 1;
        }
    }
    return 0;
}

static size_t
payload_size(size_t len)
{
    size_t chunks = len == 0 ? 1 : (len + CH - 1) / CH;

    return len + 16 * chunks;
}

/* Expects decryption of in to fail with status, releasing exactly the first
 * released bytes of pt. */
static void
expect_failure(const struct kz_age_identity *id, const unsigned char *in,
               size_t len, int want_status, const unsigned char *pt,
               size_t released)
{
    struct buf out = { 0 };
    struct kz_err err;
    int status = -1, rc;

    rc = decrypt_from(id, 1, in, len, 0, &out, &status, &err);
    if (status != want_status)
        fprintf(stderr, "expected %s, got %s: %s\n",
                kz_age_status_name(want_status), kz_age_status_name(status),
                err.msg);
    assert_int_equal(status, want_status);
    assert_int_equal(rc, want_status == KZ_AGE_NO_MATCH ? KZ_EAUTH
                                                        : KZ_EINTEGRITY);
    assert_int_equal(err.code, rc);
    assert_true(err.msg[0] != '\0');
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(out.len, released);
    if (released > 0)
        assert_memory_equal(out.p, pt, released);
    buf_free(&out);
}

/* ---- Bech32 and keys ---------------------------------------------- */

static void
test_spec_keypair(void **state)
{
    static const char id_str[] = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYY"
                                 "SJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
    static const char rcp_str[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye"
                                  "869xeexvn73equnujwj";
    unsigned char *sk = kz_secure_alloc(32), *sk2 = kz_secure_alloc(32);
    unsigned char pk[32], pk2[32];
    char *s = kz_secure_alloc(KZ_AGE_IDENTITY_LEN + 1);
    char r[KZ_AGE_RECIPIENT_LEN + 1];
    struct kz_err err;

    (void)state;
    memset(sk, 0x42, 32);
    assert_int_equal(kz_age_identity_format(sk, s, KZ_AGE_IDENTITY_LEN + 1), 0);
    assert_string_equal(s, id_str);
    kz_age_identity_public(sk, pk);
    assert_int_equal(kz_age_recipient_format(pk, r, sizeof(r)), 0);
    assert_string_equal(r, rcp_str);
    assert_int_equal(strlen(r), KZ_AGE_RECIPIENT_LEN);

    assert_int_equal(kz_age_identity_parse(id_str, sk2, &err), KZ_OK);
    assert_memory_equal(sk, sk2, 32);
    assert_int_equal(kz_age_recipient_parse(rcp_str, pk2, &err), KZ_OK);
    assert_memory_equal(pk, pk2, 32);

    /* Too small an output buffer. */
    assert_int_equal(kz_age_identity_format(sk, s, KZ_AGE_IDENTITY_LEN), -1);
    assert_int_equal(kz_age_recipient_format(pk, r, KZ_AGE_RECIPIENT_LEN), -1);
    kz_secure_free(sk);
    kz_secure_free(sk2);
    kz_secure_free(s);
}

static void
test_bech32_bip173(void **state)
{
    static const char *valid[] = {
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcl"
        "udedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    };
    static const char *invalid[] = {
        "\x20" "1nwldj5",  /* HRP character out of range */
        "\x7f" "1axkwrx",  /* HRP character out of range */
        "pzry9x0s0muk",    /* no separator */
        "1pzry9x0s0muk",   /* empty HRP */
        "x1b4n0q5v",       /* invalid data character */
        "li1dgmt3",        /* checksum too short */
        "de1lg7wt\xff",    /* invalid character in checksum */
        "A1G7SGD8",        /* checksum computed with upper-case HRP */
        "10a06t8",         /* empty HRP */
        "1qzzfhee",        /* empty HRP */
        "A12uEL5L",        /* mixed case */
        "a12uel5m",        /* wrong checksum */
    };
    unsigned char data[64], back[64];
    char hrp[128], s[256];
    size_t i, n, len;

    (void)state;
    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        assert_int_equal(kz_bech32_decode(valid[i], strlen(valid[i]), hrp,
                                          sizeof(hrp), data, sizeof(data), &n),
                         0);
    assert_int_equal(kz_bech32_decode("A12UEL5L", 8, hrp, sizeof(hrp), data,
                                      sizeof(data), &n),
                     0);
    assert_string_equal(hrp, "A");
    assert_int_equal(n, 0);
    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        assert_int_equal(kz_bech32_decode(invalid[i], strlen(invalid[i]), hrp,
                                          sizeof(hrp), data, sizeof(data), &n),
                         -1);
    /* Round trips of every length, both cases. */
    for (len = 0; len <= sizeof(data); len++) {
        randombytes_buf(data, len);
        assert_true(kz_bech32_encode(s, sizeof(s), "test", data, len) > 0);
        assert_int_equal(kz_bech32_decode(s, strlen(s), hrp, sizeof(hrp), back,
                                          sizeof(back), &n),
                         0);
        assert_string_equal(hrp, "test");
        assert_int_equal(n, len);
        assert_memory_equal(back, data, len);
        assert_true(kz_bech32_encode(s, sizeof(s), "TEST", data, len) > 0);
        assert_int_equal(kz_bech32_decode(s, strlen(s), hrp, sizeof(hrp), back,
                                          sizeof(back), &n),
                         0);
        assert_string_equal(hrp, "TEST");
        assert_memory_equal(back, data, len);
    }
    /* Data longer than the room given; mixed-case HRP; output too small. */
    assert_true(kz_bech32_encode(s, sizeof(s), "x", data, 40) > 0);
    assert_int_equal(kz_bech32_decode(s, strlen(s), hrp, sizeof(hrp), back, 39,
                                      &n),
                     -1);
    assert_int_equal(kz_bech32_encode(s, sizeof(s), "Mixed", data, 4), -1);
    assert_int_equal(kz_bech32_encode(s, 10, "age", data, 32), -1);
}

static void
test_keys(void **state)
{
    unsigned char *sk = kz_secure_alloc(32), *sk2 = kz_secure_alloc(32);
    unsigned char pk[32], pk2[32];
    char *s = kz_secure_alloc(KZ_AGE_IDENTITY_LEN + 1);
    char r[KZ_AGE_RECIPIENT_LEN + 1], low[KZ_AGE_IDENTITY_LEN + 1];
    struct kz_err err;
    size_t i;

    (void)state;
    kz_age_keygen(sk, pk);
    kz_age_identity_public(sk, pk2);
    assert_memory_equal(pk, pk2, 32);
    assert_int_equal(kz_age_identity_format(sk, s, KZ_AGE_IDENTITY_LEN + 1), 0);
    assert_int_equal(strlen(s), KZ_AGE_IDENTITY_LEN);
    assert_int_equal(strncmp(s, "AGE-SECRET-KEY-1", 16), 0);
    assert_int_equal(kz_age_identity_parse(s, sk2, &err), KZ_OK);
    assert_memory_equal(sk, sk2, 32);
    assert_int_equal(kz_age_recipient_format(pk, r, sizeof(r)), 0);
    assert_int_equal(strncmp(r, "age1", 4), 0);
    assert_int_equal(kz_age_recipient_parse(r, pk2, &err), KZ_OK);
    assert_memory_equal(pk, pk2, 32);

    /* Lower-case identity, upper-case recipient: refused, as age does. */
    for (i = 0; i <= KZ_AGE_IDENTITY_LEN; i++)
        low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    assert_int_equal(kz_age_identity_parse(low, sk2, &err), KZ_EUSAGE);
    assert_null(strstr(err.msg, low + 16));
    for (i = 0; r[i] != '\0'; i++)
        low[i] = (r[i] >= 'a' && r[i] <= 'z') ? (char)(r[i] - 'a' + 'A') : r[i];
    low[i] = '\0';
    assert_int_equal(kz_age_recipient_parse(low, pk2, &err), KZ_EUSAGE);

    /* Swapped kinds, damaged checksum, junk, truncation. */
    assert_int_equal(kz_age_recipient_parse(s, pk2, &err), KZ_EUSAGE);
    assert_int_equal(kz_age_identity_parse(r, sk2, &err), KZ_EUSAGE);
    memcpy(low, s, sizeof(low));
    low[40] = low[40] == 'Q' ? 'P' : 'Q';
    kz_err_clear(&err);
    assert_int_equal(kz_age_identity_parse(low, sk2, &err), KZ_EUSAGE);
    assert_null(strstr(err.msg, "AGE-SECRET-KEY-1"));
    assert_int_equal(kz_age_recipient_parse("", pk2, &err), KZ_EUSAGE);
    assert_int_equal(kz_age_recipient_parse("age1", pk2, &err), KZ_EUSAGE);
    assert_int_equal(kz_age_recipient_parse("hello world", pk2, &err),
                     KZ_EUSAGE);
    r[KZ_AGE_RECIPIENT_LEN - 1] = '\0';
    assert_int_equal(kz_age_recipient_parse(r, pk2, &err), KZ_EUSAGE);
    assert_int_equal(
        kz_age_identity_parse("AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E5"
                              "22W0A7PU2LHT8EH9W6YLNC3SW78XKG",
                              sk2, &err),
        KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "post-quantum"));
    /* A bech32 string that carries 33 bytes. */
    {
        unsigned char d33[33] = { 0 };
        char longer[128];

        assert_true(kz_bech32_encode(longer, sizeof(longer), "age", d33, 33) >
                    0);
        assert_int_equal(kz_age_recipient_parse(longer, pk2, &err), KZ_EUSAGE);
    }
    kz_secure_free(sk);
    kz_secure_free(sk2);
    kz_secure_free(s);
}

static int
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void
test_identity_file(void **state)
{
    struct kz_age_identity *ids = NULL;
    unsigned char *sk1 = kz_secure_alloc(32), *sk2 = kz_secure_alloc(32);
    unsigned char pk[32];
    char s1[KZ_AGE_IDENTITY_LEN + 1], s2[KZ_AGE_IDENTITY_LEN + 1];
    char r1[KZ_AGE_RECIPIENT_LEN + 1], text[1024], path[] = "/tmp/kz_age_idXXXXXX";
    struct kz_err err;
    size_t n = 0;
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    kz_age_keygen(sk1, pk);
    assert_int_equal(kz_age_recipient_format(pk, r1, sizeof(r1)), 0);
    kz_age_keygen(sk2, pk);
    assert_int_equal(kz_age_identity_format(sk1, s1, sizeof(s1)), 0);
    assert_int_equal(kz_age_identity_format(sk2, s2, sizeof(s2)), 0);

    /* As age-keygen writes it, plus a CRLF line and a last line without LF. */
    snprintf(text, sizeof(text),
             "# created: 2024-01-01T00:00:00Z\n# public key: %s\n%s\n\n"
             "# second\r\n%s", r1, s1, s2);
    assert_int_equal(write_file(path, text), 0);
    assert_int_equal(kz_age_identity_file_read(path, &ids, &n, &err), KZ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0].scrypt, 0);
    assert_memory_equal(ids[0].sk, sk1, 32);
    assert_memory_equal(ids[1].sk, sk2, 32);
    kz_age_identities_free(ids, n);

    snprintf(text, sizeof(text), "%s\r\n%s\r\n", s1, s2);
    assert_int_equal(write_file(path, text), 0);
    assert_int_equal(kz_age_identity_file_read(path, &ids, &n, &err), KZ_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(ids[1].sk, sk2, 32);
    kz_age_identities_free(ids, n);

    /* A malformed line: error naming the line, not the key. */
    snprintf(text, sizeof(text), "# key\n%s\nnot a key\n", s1);
    assert_int_equal(write_file(path, text), 0);
    assert_int_equal(kz_age_identity_file_read(path, &ids, &n, &err),
                     KZ_EUSAGE);
    assert_null(ids);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.msg, "line 3"));
    assert_null(strstr(err.msg, s1));

    assert_int_equal(write_file(path, "# nothing here\n\n"), 0);
    assert_int_equal(kz_age_identity_file_read(path, &ids, &n, &err),
                     KZ_EUSAGE);
    unlink(path);
    assert_int_equal(kz_age_identity_file_read(path, &ids, &n, &err),
                     KZ_ENOTFOUND);
    kz_secure_free(sk1);
    kz_secure_free(sk2);
}

/* ---- round trips ------------------------------------------------- */

static void
roundtrip_one(const struct keypair *k, size_t len, int armor, size_t step)
{
    unsigned char *pt = pattern(len);
    struct buf ct = { 0 }, out = { 0 };
    struct kz_err err;
    size_t hl, i, col;
    int status = -1;

    assert_int_equal(encrypt_to(&k->rcp, 1, armor, pt, len, step, &ct), KZ_OK);
    if (!armor) {
        hl = header_len(&ct);
        assert_true(hl > 0);
        assert_int_equal(ct.len, hl + 16 + payload_size(len));
    } else {
        /* BEGIN, 64-column lines, the last shorter or full, END. */
        assert_int_equal(memcmp(ct.p, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35),
                         0);
        assert_int_equal(memcmp(ct.p + ct.len - 33,
                                "-----END AGE ENCRYPTED FILE-----\n", 33),
                         0);
        for (i = 35, col = 0; i < ct.len - 33; i++) {
            if (ct.p[i] == '\n') {
                assert_true(col > 0 && col <= 64);
                if (col < 64)
                    assert_int_equal(i + 1, ct.len - 33);
                col = 0;
            } else {
                col++;
            }
        }
        assert_int_equal(col, 0);
    }
    assert_int_equal(decrypt_from(&k->id, 1, ct.p, ct.len, 0, &out, &status,
                                  &err),
                     KZ_OK);
    assert_int_equal(status, KZ_AGE_OK);
    assert_int_equal(out.len, len);
    if (len > 0)
        assert_memory_equal(out.p, pt, len);
    buf_free(&out);
    /* The same file fed in awkward read sizes. */
    assert_int_equal(decrypt_from(&k->id, 1, ct.p, ct.len, 4093, &out, &status,
                                  &err),
                     KZ_OK);
    assert_int_equal(out.len, len);
    if (len > 0)
        assert_memory_equal(out.p, pt, len);
    buf_free(&out);
    buf_free(&ct);
    free(pt);
}

static void
test_roundtrip_sizes(void **state)
{
    static const size_t sizes[] = { 0, 1, 47, 48, 65535, 65536, 65537,
                                    2 * 65536, 3 * 1024 * 1024 };
    struct keypair k;
    size_t i;

    (void)state;
    keypair_new(&k);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        roundtrip_one(&k, sizes[i], 0, 0);
        roundtrip_one(&k, sizes[i], 1, 0);
        roundtrip_one(&k, sizes[i], 0, 1000);
        if (sizes[i] < 200000)
            roundtrip_one(&k, sizes[i], 1, 1);
    }
    keypair_free(&k);
}

static void
test_byte_by_byte_read(void **state)
{
    struct keypair k;
    unsigned char *pt = pattern(70000);
    struct buf ct = { 0 }, out = { 0 };
    struct kz_err err;
    int status, armor;

    (void)state;
    keypair_new(&k);
    for (armor = 0; armor <= 1; armor++) {
        assert_int_equal(encrypt_to(&k.rcp, 1, armor, pt, 70000, 0, &ct), KZ_OK);
        assert_int_equal(decrypt_from(&k.id, 1, ct.p, ct.len, 1, &out, &status,
                                      &err),
                         KZ_OK);
        assert_int_equal(out.len, 70000);
        assert_memory_equal(out.p, pt, 70000);
        buf_free(&out);
        buf_free(&ct);
    }
    keypair_free(&k);
    free(pt);
}

static void
test_multiple_recipients(void **state)
{
    struct keypair k[3], stranger;
    struct kz_age_recipient r[3];
    struct kz_age_identity ids[2];
    unsigned char pt[] = "session notes";
    struct buf ct = { 0 }, out = { 0 };
    struct kz_err err;
    int status, i;

    (void)state;
    for (i = 0; i < 3; i++) {
        keypair_new(&k[i]);
        r[i] = k[i].rcp;
    }
    keypair_new(&stranger);
    assert_int_equal(encrypt_to(r, 3, 0, pt, sizeof(pt), 0, &ct), KZ_OK);
    for (i = 0; i < 3; i++) {
        assert_int_equal(decrypt_from(&k[i].id, 1, ct.p, ct.len, 0, &out,
                                      &status, &err),
                         KZ_OK);
        assert_memory_equal(out.p, pt, sizeof(pt));
        buf_free(&out);
    }
    /* A stranger: no match. A stranger first, then a right key: success. */
    assert_int_equal(decrypt_from(&stranger.id, 1, ct.p, ct.len, 0, &out,
                                  &status, &err),
                     KZ_EAUTH);
    assert_int_equal(status, KZ_AGE_NO_MATCH);
    assert_int_equal(out.len, 0);
    ids[0] = stranger.id;
    ids[1] = k[2].id;
    assert_int_equal(decrypt_from(ids, 2, ct.p, ct.len, 0, &out, &status, &err),
                     KZ_OK);
    assert_int_equal(out.len, sizeof(pt));
    buf_free(&out);
    /* No identity at all: no match. */
    assert_int_equal(decrypt_from(NULL, 0, ct.p, ct.len, 0, &out, &status, &err),
                     KZ_EAUTH);
    assert_int_equal(status, KZ_AGE_NO_MATCH);
    buf_free(&ct);
    for (i = 0; i < 3; i++)
        keypair_free(&k[i]);
    keypair_free(&stranger);
}

static void
test_scrypt(void **state)
{
    static const char pass[] = "correct horse battery staple";
    struct kz_age_recipient r;
    struct kz_age_identity id, wrong;
    struct keypair k;
    unsigned char *pt = pattern(100000);
    struct buf ct = { 0 }, out = { 0 };
    struct kz_err err;
    struct kz_age_enc *e = NULL;
    struct kz_age_recipient both[2];
    int status;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.scrypt = 1;
    r.passphrase = pass;
    r.passlen = strlen(pass);
    r.log_n = 10;
    memset(&id, 0, sizeof(id));
    id.scrypt = 1;
    id.passphrase = pass;
    id.passlen = strlen(pass);
    wrong = id;
    wrong.passphrase = "Correct horse battery staple";

    assert_int_equal(encrypt_to(&r, 1, 0, pt, 100000, 0, &ct), KZ_OK);
    assert_non_null(memmem(ct.p, header_len(&ct), " 10\n", 4));
    assert_non_null(memmem(ct.p, header_len(&ct), "\n-> scrypt ", 11));
    assert_int_equal(decrypt_from(&id, 1, ct.p, ct.len, 0, &out, &status, &err),
                     KZ_OK);
    assert_int_equal(out.len, 100000);
    assert_memory_equal(out.p, pt, 100000);
    buf_free(&out);
    assert_int_equal(decrypt_from(&wrong, 1, ct.p, ct.len, 0, &out, &status,
                                  &err),
                     KZ_EAUTH);
    assert_int_equal(status, KZ_AGE_NO_MATCH);
    /* The identity's limit on the work factor: 10 runs at 10, not at 9; the
     * refusal (exit 1, not an integrity failure) releases nothing. */
    id.max_log_n = 10;
    assert_int_equal(decrypt_from(&id, 1, ct.p, ct.len, 0, &out, &status, &err),
                     KZ_OK);
    buf_free(&out);
    id.max_log_n = 9;
    assert_int_equal(decrypt_from(&id, 1, ct.p, ct.len, 0, &out, &status, &err),
                     KZ_ERR);
    assert_int_equal(status, KZ_AGE_LIMIT);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(err.msg, "work factor 10 (1 MiB of memory), above the "
                                    "limit of 9"));
    assert_string_equal(kz_age_status_name(status), "work factor above the limit");
    /* Even the wrong passphrase is refused first: nothing was computed. */
    wrong.max_log_n = 9;
    assert_int_equal(decrypt_from(&wrong, 1, ct.p, ct.len, 0, &out, &status,
                                  &err),
                     KZ_ERR);
    wrong.max_log_n = 0;
    id.max_log_n = 0; /* the default, 20 */
    /* An X25519 identity on a passphrase file: no match. */
    keypair_new(&k);
    assert_int_equal(decrypt_from(&k.id, 1, ct.p, ct.len, 0, &out, &status,
                                  &err),
                     KZ_EAUTH);
    buf_free(&ct);

    /* Armored passphrase file. */
    assert_int_equal(encrypt_to(&r, 1, 1, pt, 1000, 0, &ct), KZ_OK);
    assert_int_equal(decrypt_from(&id, 1, ct.p, ct.len, 0, &out, &status, &err),
                     KZ_OK);
    assert_int_equal(out.len, 1000);
    buf_free(&out);
    buf_free(&ct);

    /* Refused recipient sets. */
    both[0] = r;
    both[1] = k.rcp;
    assert_int_equal(kz_age_enc_begin(&e, both, 2, 0, buf_write, &ct, &err),
                     KZ_EUSAGE);
    assert_null(e);
    r.passlen = 0;
    assert_int_equal(kz_age_enc_begin(&e, &r, 1, 0, buf_write, &ct, &err),
                     KZ_EUSAGE);
    r.passlen = strlen(pass);
    r.log_n = 23;
    assert_int_equal(kz_age_enc_begin(&e, &r, 1, 0, buf_write, &ct, &err),
                     KZ_EUSAGE);
    /* Default work factor: 18. */
    r.log_n = 0;
    assert_int_equal(encrypt_to(&r, 1, 0, pt, 10, 0, &ct), KZ_OK);
    assert_non_null(memmem(ct.p, header_len(&ct), " 18\n", 4));
    buf_free(&ct);
    keypair_free(&k);
    free(pt);
}

static void
test_bad_recipients_and_io(void **state)
{
    struct kz_age_recipient zero;
    struct keypair k;
    struct kz_age_enc *e = NULL;
    struct buf ct = { 0 };
    struct reader rd;
    struct kz_err err;
    unsigned char pt[10] = { 0 };
    int status;

    (void)state;
    memset(&zero, 0, sizeof(zero)); /* all-zero public key: low order */
    assert_int_equal(kz_age_enc_begin(&e, &zero, 1, 0, buf_write, &ct, &err),
                     KZ_EUSAGE);
    assert_int_equal(kz_age_enc_begin(&e, NULL, 0, 0, buf_write, &ct, &err),
                     KZ_EUSAGE);
    keypair_new(&k);
    assert_int_equal(kz_age_enc_begin(&e, &k.rcp, 1, 0, fail_write, NULL, &err),
                     KZ_ERR);
    assert_non_null(strstr(err.msg, strerror(ENOSPC)));
    assert_null(e);

    /* Sink refusing the plaintext. */
    assert_int_equal(encrypt_to(&k.rcp, 1, 0, pt, sizeof(pt), 0, &ct), KZ_OK);
    rd.p = ct.p;
    rd.len = ct.len;
    rd.pos = 0;
    rd.step = 0;
    assert_int_equal(kz_age_decrypt(mem_read, &rd, &k.id, 1, fail_sink, NULL,
                                    &status, &err),
                     KZ_ERR);
    assert_int_equal(status, KZ_AGE_IO);
    buf_free(&ct);
    keypair_free(&k);
}

static void
test_fd_adapters(void **state)
{
    char path[] = "/tmp/kz_age_fdXXXXXX";
    unsigned char *pt = pattern(200000);
    struct keypair k;
    struct kz_age_enc *e = NULL;
    struct buf out = { 0 };
    struct kz_err err;
    int fd, status;

    (void)state;
    keypair_new(&k);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(kz_age_enc_begin(&e, &k.rcp, 1, 1, kz_age_fd_write, &fd,
                                      &err),
                     KZ_OK);
    assert_int_equal(kz_age_enc_update(e, pt, 123456, &err), KZ_OK);
    assert_int_equal(kz_age_enc_update(e, pt + 123456, 200000 - 123456, &err),
                     KZ_OK);
    assert_int_equal(kz_age_enc_final(e, &err), KZ_OK);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(kz_age_decrypt(kz_age_fd_read, &fd, &k.id, 1, buf_write,
                                    &out, &status, &err),
                     KZ_OK);
    assert_int_equal(out.len, 200000);
    assert_memory_equal(out.p, pt, 200000);
    close(fd);
    unlink(path);
    buf_free(&out);
    keypair_free(&k);
    free(pt);
}

/* ---- tampering ---------------------------------------------------- */

static void
test_tamper_payload(void **state)
{
    const size_t len = 3 * CH + 4000; /* three full chunks and a short one */
    unsigned char *pt = pattern(len), *m;
    struct keypair k, other;
    struct buf ct = { 0 };
    size_t hl;

    (void)state;
    keypair_new(&k);
    keypair_new(&other);
    assert_int_equal(encrypt_to(&k.rcp, 1, 0, pt, len, 0, &ct), KZ_OK);
    hl = header_len(&ct);
    m = kz_xmalloc(ct.len + 1);

    /* Truncated by one byte: the short last chunk fails, 3 chunks out. */
    expect_failure(&k.id, ct.p, ct.len - 1, KZ_AGE_PAYLOAD, pt, 3 * CH);
    /* The whole last chunk gone: no final chunk. */
    expect_failure(&k.id, ct.p, hl + 16 + 3 * ENC_CH, KZ_AGE_PAYLOAD, pt,
                   3 * CH);
    /* Only the header and nonce: no chunk at all. */
    expect_failure(&k.id, ct.p, hl + 16, KZ_AGE_PAYLOAD, pt, 0);
    /* Nonce cut short, header cut short. */
    expect_failure(&k.id, ct.p, hl + 7, KZ_AGE_HEADER, pt, 0);
    expect_failure(&k.id, ct.p, hl - 5, KZ_AGE_HEADER, pt, 0);
    expect_failure(&k.id, ct.p, 0, KZ_AGE_HEADER, pt, 0);
    /* Extended by one byte. */
    memcpy(m, ct.p, ct.len);
    m[ct.len] = 0;
    expect_failure(&k.id, m, ct.len + 1, KZ_AGE_PAYLOAD, pt, 3 * CH);
    /* A bit flipped in the second chunk: only the first is released. */
    m[hl + 16 + ENC_CH + 100] ^= 0x01;
    expect_failure(&k.id, m, ct.len, KZ_AGE_PAYLOAD, pt, CH);
    memcpy(m, ct.p, ct.len);
    /* A bit flipped in the nonce. */
    m[hl + 3] ^= 0x80;
    expect_failure(&k.id, m, ct.len, KZ_AGE_PAYLOAD, pt, 0);
    memcpy(m, ct.p, ct.len);
    /* Chunks swapped. */
    memcpy(m + hl + 16, ct.p + hl + 16 + ENC_CH, ENC_CH);
    memcpy(m + hl + 16 + ENC_CH, ct.p + hl + 16, ENC_CH);
    expect_failure(&k.id, m, ct.len, KZ_AGE_PAYLOAD, pt, 0);
    /* The wrong key. */
    expect_failure(&other.id, ct.p, ct.len, KZ_AGE_NO_MATCH, pt, 0);
    buf_free(&ct);

    /* Exact multiple: the full last chunk is final; a byte after it fails
     * once the chunk is out; dropping it leaves a non-final chunk. */
    assert_int_equal(encrypt_to(&k.rcp, 1, 0, pt, 2 * CH, 0, &ct), KZ_OK);
    hl = header_len(&ct);
    assert_int_equal(ct.len, hl + 16 + 2 * ENC_CH);
    memcpy(m, ct.p, ct.len);
    m[ct.len] = 'x';
    expect_failure(&k.id, m, ct.len + 1, KZ_AGE_PAYLOAD, pt, 2 * CH);
    expect_failure(&k.id, ct.p, ct.len - ENC_CH, KZ_AGE_PAYLOAD, pt, CH);
    buf_free(&ct);

    /* Empty plaintext: one tag-only chunk. */
    assert_int_equal(encrypt_to(&k.rcp, 1, 0, pt, 0, 0, &ct), KZ_OK);
    assert_int_equal(ct.len, header_len(&ct) + 16 + 16);
    expect_failure(&k.id, ct.p, ct.len - 1, KZ_AGE_PAYLOAD, pt, 0);
    buf_free(&ct);
    free(m);
    free(pt);
    keypair_free(&k);
    keypair_free(&other);
}

/* Replaces the base64 character at p by another valid one. */
static void
b64_change(unsigned char *p)
{
    *p = *p == 'A' ? 'B' : 'A';
}

static void
test_tamper_header(void **state)
{
    unsigned char pt[5000];
    struct keypair k;
    struct buf ct = { 0 };
    unsigned char *m, *line, *mac;
    size_t hl, body;

    (void)state;
    randombytes_buf(pt, sizeof(pt));
    keypair_new(&k);
    assert_int_equal(encrypt_to(&k.rcp, 1, 0, pt, sizeof(pt), 0, &ct), KZ_OK);
    hl = header_len(&ct);
    m = kz_xmalloc(ct.len + 16);

    /* The MAC itself altered: HMAC failure. */
    memcpy(m, ct.p, ct.len);
    mac = (unsigned char *)memmem(m, hl, "\n--- ", 5) + 5;
    b64_change(mac);
    expect_failure(&k.id, m, ct.len, KZ_AGE_HMAC, pt, 0);
    /* An unknown stanza slipped in (still well-formed): HMAC failure. */
    line = memmem(ct.p, hl, "\n--- ", 5);
    memcpy(m, ct.p, (size_t)(line - ct.p) + 1);
    memcpy(m + (line - ct.p) + 1, "-> grease x\n\n", 13);
    memcpy(m + (line - ct.p) + 14, line + 1, ct.len - (size_t)(line - ct.p) - 1);
    expect_failure(&k.id, m, ct.len + 13, KZ_AGE_HMAC, pt, 0);
    /* The stanza body altered: it no longer opens, no match. */
    memcpy(m, ct.p, ct.len);
    line = (unsigned char *)memchr(m, '\n', hl) + 1; /* "-> X25519 ..." */
    body = (size_t)((unsigned char *)memchr(line, '\n', hl) - m) + 1;
    b64_change(m + body);
    expect_failure(&k.id, m, ct.len, KZ_AGE_NO_MATCH, pt, 0);
    /* Non-canonical last base64 character of the body: header failure. */
    memcpy(m, ct.p, ct.len);
    m[body + 42] = m[body + 42] == 'A' ? 'B' : (unsigned char)(m[body + 42] ^ 1);
    expect_failure(&k.id, m, ct.len, KZ_AGE_HEADER, pt, 0);
    /* Version, spacing, CR: header failures. */
    memcpy(m, ct.p, ct.len);
    m[20] = '2';
    expect_failure(&k.id, m, ct.len, KZ_AGE_HEADER, pt, 0);
    memcpy(m, ct.p, ct.len);
    line = (unsigned char *)memchr(m, '\n', hl) + 1;
    line[2] = '\t';
    expect_failure(&k.id, m, ct.len, KZ_AGE_HEADER, pt, 0);
    memcpy(m, ct.p, ct.len);
    mac = memmem(m, hl, "\n--- ", 5);
    mac[4] = '\r';
    expect_failure(&k.id, m, ct.len, KZ_AGE_HEADER, pt, 0);
    /* A bit flipped in the ephemeral share: no match (or header failure for
     * a low-order point, which a single flip cannot reach here). */
    memcpy(m, ct.p, ct.len);
    line = (unsigned char *)memchr(m, '\n', hl) + 1;
    b64_change(line + 10);
    expect_failure(&k.id, m, ct.len, KZ_AGE_NO_MATCH, pt, 0);
    buf_free(&ct);
    free(m);
    keypair_free(&k);
}

static void
test_tamper_armor(void **state)
{
    unsigned char pt[3000];
    struct keypair k;
    struct buf ct = { 0 };
    unsigned char *m, *last;
    size_t endpos;

    (void)state;
    randombytes_buf(pt, sizeof(pt));
    keypair_new(&k);
    assert_int_equal(encrypt_to(&k.rcp, 1, 1, pt, sizeof(pt), 0, &ct), KZ_OK);
    m = kz_xmalloc(ct.len + 2048);
    endpos = ct.len - 33;

    /* Missing END line. */
    expect_failure(&k.id, ct.p, endpos, KZ_AGE_ARMOR, pt, 0);
    /* Garbage after END; whitespace after END is fine. */
    memcpy(m, ct.p, ct.len);
    memcpy(m + ct.len, "x\n", 2);
    expect_failure(&k.id, m, ct.len + 2, KZ_AGE_ARMOR, pt, 0);
    memcpy(m + ct.len, " \r\n\t\n", 5);
    {
        struct buf out = { 0 };
        struct kz_err err;
        int status;

        assert_int_equal(decrypt_from(&k.id, 1, m, ct.len + 5, 0, &out,
                                      &status, &err),
                         KZ_OK);
        assert_int_equal(out.len, sizeof(pt));
        buf_free(&out);
        /* Leading whitespace lines and CRLF are fine too. */
        memcpy(m, "\n  \n", 4);
        memcpy(m + 4, ct.p, ct.len);
        assert_int_equal(decrypt_from(&k.id, 1, m, ct.len + 4, 0, &out,
                                      &status, &err),
                         KZ_OK);
        buf_free(&out);
        /* Too much leading whitespace. */
        memset(m, ' ', 1100);
        m[1100] = '\n';
        memcpy(m + 1101, ct.p, ct.len);
        expect_failure(&k.id, m, ct.len + 1101, KZ_AGE_ARMOR, pt, 0);
    }
    /* An altered character in the last data line: payload failure. */
    memcpy(m, ct.p, ct.len);
    last = m + endpos - 2;
    while (last[-1] != '\n')
        last--;
    b64_change(last);
    expect_failure(&k.id, m, ct.len, KZ_AGE_PAYLOAD, pt, 0);
    /* A character outside base64, an empty line, a space at a line end. */
    memcpy(m, ct.p, ct.len);
    m[40] = '*';
    expect_failure(&k.id, m, ct.len, KZ_AGE_ARMOR, pt, 0);
    memcpy(m, ct.p, 35);
    m[35] = '\n';
    memcpy(m + 36, ct.p + 35, ct.len - 35);
    expect_failure(&k.id, m, ct.len + 1, KZ_AGE_ARMOR, pt, 0);
    memcpy(m, ct.p, 35 + 64);
    m[35 + 64] = ' ';
    memcpy(m + 36 + 64, ct.p + 35 + 64, ct.len - 35 - 64);
    expect_failure(&k.id, m, ct.len + 1, KZ_AGE_ARMOR, pt, 0);
    /* Not an age file at all. */
    expect_failure(&k.id, (const unsigned char *)"hello\n", 6, KZ_AGE_ARMOR,
                   pt, 0);
    buf_free(&ct);
    free(m);
    keypair_free(&k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_keypair),
        cmocka_unit_test(test_bech32_bip173),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_identity_file),
        cmocka_unit_test(test_roundtrip_sizes),
        cmocka_unit_test(test_byte_by_byte_read),
        cmocka_unit_test(test_multiple_recipients),
        cmocka_unit_test(test_scrypt),
        cmocka_unit_test(test_bad_recipients_and_io),
        cmocka_unit_test(test_fd_adapters),
        cmocka_unit_test(test_tamper_payload),
        cmocka_unit_test(test_tamper_header),
        cmocka_unit_test(test_tamper_armor),
    };

    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
