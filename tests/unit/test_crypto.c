/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Argon2id (RFC 9106 vector), KDF encoding and floor, sealing with associated data. */
#include "testutil.h"

#include <sodium.h>

#include "kizuna/kdf.h"
#include "kizuna/seal.h"
#include "kizuna/secmem.h"

static void
test_argon2id_rfc9106(void **state)
{
    /* RFC 9106 section 5.3 (../shared/testkit/README.md). */
    static const char want[] =
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";
    unsigned char pwd[32], salt[16], secret[8], ad[12], out[32];
    char hex[65];

    (void)state;
    memset(pwd, 0x01, sizeof(pwd));
    memset(salt, 0x02, sizeof(salt));
    memset(secret, 0x03, sizeof(secret));
    memset(ad, 0x04, sizeof(ad));
    assert_int_equal(kz_kdf_argon2id_raw(3, 32, 4, pwd, sizeof(pwd), salt, sizeof(salt), secret,
                                         sizeof(secret), ad, sizeof(ad), out, sizeof(out)),
                     0);
    sodium_bin2hex(hex, sizeof(hex), out, sizeof(out));
    assert_string_equal(hex, want);
}

static void
test_kdf_encode_roundtrip_and_floor(void **state)
{
    struct kz_kdf_params p = {3, 65536, 4, {0}}, q;
    unsigned char enc[KZ_KDF_ENCODED_BYTES];
    struct kz_err err;

    (void)state;
    randombytes_buf(p.salt, sizeof(p.salt));
    kz_kdf_encode(&p, enc);
    assert_int_equal(kz_kdf_decode(enc, sizeof(enc), &q, &err), KZ_OK);
    assert_memory_equal(&p, &q, sizeof(p));
    assert_false(kz_kdf_below_floor(&p));
    p.m_kib = 8192;
    assert_true(kz_kdf_below_floor(&p));
    p.m_kib = 65536;
    p.t = 2;
    assert_true(kz_kdf_below_floor(&p));
    /* Unknown version and absurd costs are refused. */
    enc[0] = 9;
    assert_int_equal(kz_kdf_decode(enc, sizeof(enc), &q, &err), KZ_EINTEGRITY);
    enc[0] = 1;
    enc[2] = enc[3] = enc[4] = enc[5] = 0; /* t = 0 */
    assert_int_equal(kz_kdf_decode(enc, sizeof(enc), &q, &err), KZ_EINTEGRITY);
    /* Each cost up to init's maximum is read; one beyond it is refused by name. */
    p.t = KZ_KDF_MAX_T;
    p.m_kib = KZ_KDF_MAX_M_KIB;
    p.lanes = KZ_KDF_MAX_LANES;
    kz_kdf_encode(&p, enc);
    assert_int_equal(kz_kdf_decode(enc, sizeof(enc), &q, &err), KZ_OK);
    p.m_kib = KZ_KDF_MAX_M_KIB + 1;
    kz_kdf_encode(&p, enc);
    assert_int_equal(kz_kdf_decode(enc, sizeof(enc), &q, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "memory"));
    p.m_kib = KZ_KDF_MAX_M_KIB;
    p.t = KZ_KDF_MAX_T + 1;
    kz_kdf_encode(&p, enc);
    assert_int_equal(kz_kdf_decode(enc, sizeof(enc), &q, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "iterations"));
    p.t = KZ_KDF_MAX_T;
    p.lanes = KZ_KDF_MAX_LANES + 1;
    kz_kdf_encode(&p, enc);
    assert_int_equal(kz_kdf_decode(enc, sizeof(enc), &q, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "lanes"));
    assert_int_equal(kz_kdf_parse_size("64M"), 65536);
    assert_int_equal(kz_kdf_parse_size("8m"), 8192);
    assert_int_equal(kz_kdf_parse_size("1G"), 1048576);
    assert_int_equal(kz_kdf_parse_size("512"), 512);
    assert_int_equal(kz_kdf_parse_size("x"), -1);
    assert_int_equal(kz_kdf_parse_size("12Q"), -1);
}

static void
test_kdf_derive_depends_on_every_cost(void **state)
{
    struct kz_kdf_params p = {1, 256, 1, {0}}, q;
    unsigned char *a = kz_secure_alloc(32), *b = kz_secure_alloc(32);

    (void)state;
    assert_int_equal(kz_kdf_derive(&p, "pass phrase", 11, a, NULL), KZ_OK);
    q = p;
    q.t = 2;
    assert_int_equal(kz_kdf_derive(&q, "pass phrase", 11, b, NULL), KZ_OK);
    assert_int_not_equal(sodium_memcmp(a, b, 32), 0);
    q = p;
    q.m_kib = 512;
    assert_int_equal(kz_kdf_derive(&q, "pass phrase", 11, b, NULL), KZ_OK);
    assert_int_not_equal(sodium_memcmp(a, b, 32), 0);
    q = p;
    q.salt[0] ^= 1;
    assert_int_equal(kz_kdf_derive(&q, "pass phrase", 11, b, NULL), KZ_OK);
    assert_int_not_equal(sodium_memcmp(a, b, 32), 0);
    kz_secure_free(a);
    kz_secure_free(b);
}

/* Doctor's and init's figure: after a derivation with the same costs (an
 * unlock), kz_kdf_seconds gives that run's time as often as it is asked,
 * where runs of their own would differ in their nanoseconds; other costs get
 * a run of their own, which then is the last. */
static void
test_kdf_seconds_reuses_the_last_derivation_with_those_costs(void **state)
{
    struct kz_kdf_params p = {1, 256, 1, {0}}, q, r;
    unsigned char *out = kz_secure_alloc(32);
    double a, b = 0;

    (void)state;
    assert_int_equal(kz_kdf_derive(&p, "pass phrase", 11, out, NULL), KZ_OK);
    a = kz_kdf_seconds(&p);
    assert_true(a > 0);
    assert_true(kz_kdf_seconds(&p) == a);
    q = p;
    q.salt[0] ^= 1; /* the salt costs nothing more */
    assert_true(kz_kdf_seconds(&q) == a);
    for (int k = 0; k < 3; k++) {
        q = p;
        if (k == 0)
            q.t = 2;
        else if (k == 1)
            q.m_kib = 512;
        else
            q.lanes = 2;
        b = kz_kdf_seconds(&q); /* a run of its own, now the last */
        assert_true(b > 0);
        assert_true(kz_kdf_seconds(&q) == b);
        assert_true(kz_kdf_seconds(&q) == b);
    }
    /* A derivation that fails (more lanes than its memory allows) is not
     * the last: the two-lane run above still is. */
    r = q;
    q.lanes = 1000;
    assert_int_not_equal(kz_kdf_derive(&q, "pass phrase", 11, out, NULL), KZ_OK);
    assert_true(kz_kdf_seconds(&r) == b);
    kz_secure_free(out);
}

static void
test_seal_roundtrip_and_ad_binding(void **state)
{
    unsigned char key[KZ_KEY_BYTES], *blob = NULL, *pt = NULL;
    size_t bloblen = 0, ptlen = 0;
    struct kz_err err;
    const char msg[] = "{\"note\":\"she misses her mother's cooking\"}";

    (void)state;
    randombytes_buf(key, sizeof(key));
    kz_seal(key, (const unsigned char *)"ad-1", 4, msg, strlen(msg), KZ_RECORD_PAD, &blob,
            &bloblen);
    assert_int_equal(kz_open(key, (const unsigned char *)"ad-1", 4, blob, bloblen,
                             KZ_RECORD_PAD, 0, &pt, &ptlen, "record", &err),
                     KZ_OK);
    assert_int_equal(ptlen, strlen(msg));
    assert_memory_equal(pt, msg, ptlen);
    kz_plain_free(pt, ptlen, 0);
    /* Other associated data, another key, or one flipped bit: refused. */
    assert_int_equal(kz_open(key, (const unsigned char *)"ad-2", 4, blob, bloblen,
                             KZ_RECORD_PAD, 0, &pt, &ptlen, "record", &err),
                     KZ_EINTEGRITY);
    assert_null(pt);
    key[0] ^= 1;
    assert_int_equal(kz_open(key, (const unsigned char *)"ad-1", 4, blob, bloblen,
                             KZ_RECORD_PAD, 0, &pt, &ptlen, "record", &err),
                     KZ_EINTEGRITY);
    key[0] ^= 1;
    blob[bloblen / 2] ^= 0x20;
    assert_int_equal(kz_open(key, (const unsigned char *)"ad-1", 4, blob, bloblen,
                             KZ_RECORD_PAD, 0, &pt, &ptlen, "record", &err),
                     KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "failed authentication"));
    /* Truncated to nothing useful. */
    assert_int_equal(kz_open(key, (const unsigned char *)"ad-1", 4, blob, 10, KZ_RECORD_PAD, 0,
                             &pt, &ptlen, "record", &err),
                     KZ_EINTEGRITY);
    free(blob);
}

static void
test_padding_hides_length(void **state)
{
    unsigned char key[KZ_KEY_BYTES], *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    char big[300];

    (void)state;
    randombytes_buf(key, sizeof(key));
    memset(big, 'x', sizeof(big));
    kz_seal(key, NULL, 0, big, 10, KZ_RECORD_PAD, &a, &alen);
    kz_seal(key, NULL, 0, big, 200, KZ_RECORD_PAD, &b, &blen);
    assert_int_equal(alen, blen); /* both pad to one 256-byte block */
    free(b);
    kz_seal(key, NULL, 0, big, 300, KZ_RECORD_PAD, &b, &blen);
    assert_int_equal(blen, alen + KZ_RECORD_PAD);
    /* Fresh nonces: the same plaintext never seals to the same bytes. */
    free(b);
    kz_seal(key, NULL, 0, big, 10, KZ_RECORD_PAD, &b, &blen);
    assert_int_not_equal(memcmp(a, b, alen), 0);
    free(a);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argon2id_rfc9106),
        cmocka_unit_test(test_kdf_encode_roundtrip_and_floor),
        cmocka_unit_test(test_kdf_derive_depends_on_every_cost),
        cmocka_unit_test(test_kdf_seconds_reuses_the_last_derivation_with_those_costs),
        cmocka_unit_test(test_seal_roundtrip_and_ad_binding),
        cmocka_unit_test(test_padding_hides_length),
    };

    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
