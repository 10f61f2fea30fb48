/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_age: kz_age_decrypt over the input, binary or armored, with the X25519
 * identity and the passphrase of the age test vectors (so their files open).
 * The passphrase is offered only when no scrypt stanza asks for a work factor
 * above KZF_MAX_LOGN: the decoder accepts up to 2^22 (4 GiB), which would turn
 * the fuzzer into a memory test. Invariants:
 *   - the status class and the return code agree, and a failure has a message;
 *   - a success consumed the whole input; header, MAC and no-match failures
 *     released no plaintext;
 *   - the outcome and the plaintext do not depend on how the input is read
 *     (whole, or in small pieces);
 *   - without identities nothing opens;
 *   - the input encrypted to the X25519 key or a passphrase (binary or armored,
 *     sometimes past a 64 KiB chunk boundary) decrypts back to itself.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"
#include "fuzz_util.h"

static struct kz_age_identity ids[2];
static unsigned char pk[32];

struct src {
    const uint8_t *p;
    size_t n, pos, step;
};

static ssize_t
src_read(void *ctx, void *buf, size_t len)
{
    struct src *s = ctx;
    size_t k = s->n - s->pos;

    if (k > len)
        k = len;
    if (k > s->step)
        k = s->step;
    if (k > 0)
        memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

struct out {
    crypto_generichash_state h;
    size_t total;
};

static int
sink(void *ctx, const void *buf, size_t len)
{
    struct out *o = ctx;

    KZF_CHECK(len > 0 && len <= KZ_AGE_CHUNK);
    crypto_generichash_update(&o->h, buf, len);
    o->total += len;
    return 0;
}

struct result {
    int rc, status;
    size_t total;
    unsigned char hash[32];
};

static void
run(const uint8_t *data, size_t size, size_t step, size_t nids, struct result *r)
{
    struct src s = {data, size, 0, step};
    struct out o;
    struct kz_err err;

    memset(&o, 0, sizeof(o));
    crypto_generichash_init(&o.h, NULL, 0, sizeof(r->hash));
    kz_err_clear(&err);
    r->status = -1;
    r->rc = kz_age_decrypt(src_read, &s, ids, nids, sink, &o, &r->status, &err);
    crypto_generichash_final(&o.h, r->hash, sizeof(r->hash));
    r->total = o.total;
    KZF_CHECK((r->rc == KZ_OK) == (r->status == KZ_AGE_OK));
    KZF_CHECK(r->rc == KZ_OK || err.msg[0] != '\0');
    KZF_CHECK(r->rc != KZ_OK || s.pos == s.n);
    if (r->status == KZ_AGE_HEADER || r->status == KZ_AGE_HMAC || r->status == KZ_AGE_NO_MATCH)
        KZF_CHECK(r->total == 0);
}

struct mem {
    unsigned char *p;
    size_t len, cap;
};

static int
mem_write(void *ctx, const void *buf, size_t len)
{
    struct mem *m = ctx;

    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->p = kz_xrealloc(m->p, m->cap);
    }
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return 0;
}

/* Encrypts plaintext (data repeated to len bytes) and decrypts it again. */
static void
roundtrip(const uint8_t *data, size_t size)
{
    static const size_t big[] = {65535, 65536, 65537, 131071, 131072, 131073};
    struct kz_age_recipient r;
    struct kz_age_enc *e = NULL;
    struct mem m = {NULL, 0, 0};
    struct result res;
    struct kz_err err;
    unsigned char *pt, want[32];
    size_t len = size, i, piece;

    if (size > 0 && data[0] == 0xff)
        len = big[size % 6];
    pt = kz_xmalloc(len + 1);
    for (i = 0; i < len; i++)
        pt[i] = data[i % size];
    memset(&r, 0, sizeof(r));
    if (size & 2) {
        r.scrypt = 1;
        r.passphrase = KZF_PASSPHRASE;
        r.passlen = strlen(KZF_PASSPHRASE);
        r.log_n = 1;
    } else {
        memcpy(r.pk, pk, sizeof(pk));
    }
    KZF_CHECK(kz_age_enc_begin(&e, &r, 1, (int)(size & 1), mem_write, &m, &err) == KZ_OK);
    piece = 1 + (size > 1 ? data[1] : 0) * 61;
    for (i = 0; i < len; i += piece)
        KZF_CHECK(kz_age_enc_update(e, pt + i, len - i < piece ? len - i : piece, &err) == KZ_OK);
    KZF_CHECK(kz_age_enc_final(e, &err) == KZ_OK);
    run(m.p, m.len, m.len, 2, &res);
    KZF_CHECK(res.rc == KZ_OK);
    KZF_CHECK(res.total == len);
    crypto_generichash(want, sizeof(want), pt, len, NULL, 0);
    KZF_CHECK(memcmp(want, res.hash, sizeof(want)) == 0);
    free(m.p);
    free(pt);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct kz_err err;

    (void)argc;
    (void)argv;
    kzf_init();
    ids[0].sk = kz_secure_alloc(32);
    if (kz_age_identity_parse(KZF_IDENTITY, ids[0].sk, &err) != KZ_OK)
        kzf_fail(__FILE__, __LINE__, "the fixed identity does not parse");
    kz_age_identity_public(ids[0].sk, pk);
    ids[1].scrypt = 1;
    ids[1].passphrase = KZF_PASSPHRASE;
    ids[1].passlen = strlen(KZF_PASSPHRASE);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct result whole, pieces, none;
    size_t nids = kzf_scrypt_logn(data, size) > KZF_MAX_LOGN ? 1 : 2;

    run(data, size, size, nids, &whole);
    run(data, size, 1 + size % 7, nids, &pieces);
    KZF_CHECK(whole.rc == pieces.rc && whole.status == pieces.status);
    KZF_CHECK(whole.total == pieces.total);
    KZF_CHECK(memcmp(whole.hash, pieces.hash, sizeof(whole.hash)) == 0);
    run(data, size, size, 0, &none);
    KZF_CHECK(none.rc != KZ_OK && none.total == 0);
    roundtrip(data, size);
    return 0;
}
