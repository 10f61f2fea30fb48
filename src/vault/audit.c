/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit chain and the inbox for events recorded without the key. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/bytes.h"
#include "kizuna/secmem.h"
#include "internal.h"

#define H_INBOX_PK "inbox.pk"
#define H_INBOX_SK "inbox.sk"
#define AUDIT_PAD 64
#define PENDING_MAX 4096

static const char chain_label[] = "kizuna chain v1";

void
kz_vault_subkey(const struct kz_vault *v, const unsigned char *master, uint64_t id,
                const char ctx[8], unsigned char *out)
{
    (void)v;
    crypto_kdf_derive_from_key(out, KZ_KEY_BYTES, id, ctx, master);
}

static size_t
entry_ad(unsigned char *ad, const struct kz_vault *v, unsigned long long seq, uint32_t epoch)
{
    static const char label[] = "kizuna audit v1";
    size_t n = sizeof(label) - 1;

    memcpy(ad, label, n);
    memcpy(ad + n, v->id, KZ_VAULT_ID_BYTES);
    n += KZ_VAULT_ID_BYTES;
    kz_put64(ad + n, seq);
    n += 8;
    ad[n++] = (unsigned char)epoch;
    ad[n++] = (unsigned char)(epoch >> 8);
    ad[n++] = (unsigned char)(epoch >> 16);
    ad[n++] = (unsigned char)(epoch >> 24);
    return n;
}

static void
link_mac(const unsigned char *chain_key, const unsigned char *prev, unsigned long long seq,
         const unsigned char *blob, size_t len, unsigned char *mac)
{
    crypto_generichash_state s;
    unsigned char b8[8];

    kz_put64(b8, seq);
    crypto_generichash_init(&s, chain_key, KZ_KEY_BYTES, KZ_AUDIT_MAC_BYTES);
    crypto_generichash_update(&s, (const unsigned char *)chain_label, sizeof(chain_label) - 1);
    crypto_generichash_update(&s, prev, KZ_AUDIT_MAC_BYTES);
    crypto_generichash_update(&s, b8, 8);
    crypto_generichash_update(&s, blob, len);
    crypto_generichash_final(&s, mac, KZ_AUDIT_MAC_BYTES);
}

struct keys {
    unsigned char *seal;  /* KZ_KEY_BYTES, secure */
    unsigned char *chain; /* KZ_KEY_BYTES, secure */
};

static void
keys_derive(const struct kz_vault *v, const unsigned char *master, struct keys *k)
{
    k->seal = kz_secure_alloc(KZ_KEY_BYTES);
    k->chain = kz_secure_alloc(KZ_KEY_BYTES);
    kz_vault_subkey(v, master, KZ_SUBKEY_AUDIT, "kzaudit_", k->seal);
    kz_vault_subkey(v, master, KZ_SUBKEY_CHAIN, "kzchain_", k->chain);
}

static void
keys_free(struct keys *k)
{
    kz_secure_free(k->seal);
    kz_secure_free(k->chain);
    k->seal = k->chain = NULL;
}

static int
locked(const struct kz_vault *v, struct kz_err *err)
{
    return v->master != NULL ? KZ_OK : kz_fail(err, KZ_EAUTH, "the vault is locked");
}

int
kz_vault_audit_append(struct kz_vault *v, const char *json, size_t len, struct kz_err *err)
{
    unsigned char prev[KZ_AUDIT_MAC_BYTES], mac[KZ_AUDIT_MAC_BYTES], ad[64], *blob = NULL;
    unsigned long long seq = 0;
    size_t adlen, bloblen = 0;
    struct keys k = {NULL, NULL};
    int rc;

    if ((rc = locked(v, err)) != KZ_OK)
        return rc;
    if ((rc = kz_store_audit_last(v->st, &seq, prev, err)) != KZ_OK)
        return rc;
    seq++;
    keys_derive(v, v->master, &k);
    adlen = entry_ad(ad, v, seq, v->epoch);
    kz_seal(k.seal, ad, adlen, json, len, AUDIT_PAD, &blob, &bloblen);
    link_mac(k.chain, prev, seq, blob, bloblen, mac);
    rc = kz_store_audit_append(v->st, seq, blob, bloblen, mac, err);
    keys_free(&k);
    free(blob);
    return rc;
}

int
kz_vault_audit_pending(struct kz_vault *v, const char *json, size_t len, struct kz_err *err)
{
    unsigned char *pk = NULL, *box;
    size_t pklen = 0;
    int rc;

    if (len > PENDING_MAX)
        return kz_fail(err, KZ_EUSAGE, "audit event too large");
    if ((rc = kz_store_header_get(v->st, H_INBOX_PK, &pk, &pklen, err)) != KZ_OK)
        return rc;
    if (pklen != crypto_box_PUBLICKEYBYTES) {
        free(pk);
        return kz_fail(err, KZ_EINTEGRITY, "vault header: malformed inbox key");
    }
    box = kz_xmalloc(len + crypto_box_SEALBYTES);
    crypto_box_seal(box, (const unsigned char *)json, len, pk);
    rc = kz_store_pending_add(v->st, box, len + crypto_box_SEALBYTES, err);
    free(box);
    free(pk);
    return rc;
}

static size_t
inbox_ad(unsigned char *ad, const struct kz_vault *v)
{
    static const char label[] = "kizuna inbox v1";
    size_t n = sizeof(label) - 1;

    memcpy(ad, label, n);
    memcpy(ad + n, v->id, KZ_VAULT_ID_BYTES);
    return n + KZ_VAULT_ID_BYTES;
}

static int
seal_inbox_sk(struct kz_vault *v, const unsigned char *master, const unsigned char *sk,
              struct kz_err *err)
{
    unsigned char *key = kz_secure_alloc(KZ_KEY_BYTES), *blob = NULL, ad[64];
    size_t bloblen = 0, adlen = inbox_ad(ad, v);
    int rc;

    kz_vault_subkey(v, master, KZ_SUBKEY_INBOX, "kzinbox_", key);
    kz_seal(key, ad, adlen, sk, crypto_box_SECRETKEYBYTES, 1, &blob, &bloblen);
    rc = kz_store_header_put(v->st, H_INBOX_SK, blob, bloblen, err);
    kz_secure_free(key);
    free(blob);
    return rc;
}

int
kz_vault_inbox_create(struct kz_vault *v, struct kz_err *err)
{
    unsigned char pk[crypto_box_PUBLICKEYBYTES], *sk = kz_secure_alloc(crypto_box_SECRETKEYBYTES);
    int rc;

    crypto_box_keypair(pk, sk);
    if ((rc = kz_store_header_put(v->st, H_INBOX_PK, pk, sizeof(pk), err)) == KZ_OK)
        rc = seal_inbox_sk(v, v->master, sk, err);
    kz_secure_free(sk);
    return rc;
}

/* Opens inbox.sk into *sk (secure memory). */
static int
open_inbox_sk(struct kz_vault *v, unsigned char **sk, struct kz_err *err)
{
    unsigned char *key = kz_secure_alloc(KZ_KEY_BYTES), *blob = NULL, ad[64];
    size_t bloblen = 0, len = 0, adlen = inbox_ad(ad, v);
    int rc;

    *sk = NULL;
    kz_vault_subkey(v, v->master, KZ_SUBKEY_INBOX, "kzinbox_", key);
    if ((rc = kz_store_header_get(v->st, H_INBOX_SK, &blob, &bloblen, err)) == KZ_OK) {
        rc = kz_open(key, ad, adlen, blob, bloblen, 1, 1, sk, &len, "the audit inbox key", err);
        if (rc == KZ_OK && len != crypto_box_SECRETKEYBYTES) {
            kz_plain_free(*sk, len, 1);
            *sk = NULL;
            rc = kz_fail(err, KZ_EINTEGRITY, "vault header: malformed inbox key");
        }
    }
    kz_secure_free(key);
    free(blob);
    return rc;
}

int
kz_vault_audit_inbox_check(struct kz_vault *v, struct kz_err *err)
{
    unsigned char *pk = NULL, *sk = NULL, derived[crypto_box_PUBLICKEYBYTES];
    size_t pklen = 0;
    int rc;

    if ((rc = locked(v, err)) != KZ_OK)
        return rc;
    rc = kz_store_header_get(v->st, H_INBOX_PK, &pk, &pklen, err);
    if (rc == KZ_OK)
        rc = open_inbox_sk(v, &sk, err);
    if (rc == KZ_ENOTFOUND)
        rc = kz_fail(err, KZ_EINTEGRITY, "vault header is missing the audit inbox key");
    if (rc == KZ_OK) {
        crypto_scalarmult_base(derived, sk);
        if (pklen != sizeof(derived) || sodium_memcmp(derived, pk, sizeof(derived)) != 0)
            rc = kz_fail(err, KZ_EINTEGRITY,
                         "vault header: the audit inbox keys do not match (keyless events "
                         "would be lost)");
    }
    kz_secure_free(sk);
    free(pk);
    return rc;
}

struct fold {
    struct kz_vault *v;
    unsigned char pk[crypto_box_PUBLICKEYBYTES];
    unsigned char *sk;
    char *(*vet)(const char *json, size_t len);
    int n;
    struct kz_err *err;
};

/* A pending blob that does not open (or is too large to try) joins the chain
 * as "pending_unreadable": through vet(NULL, len) when there is one. */
static int
fold_unreadable(struct fold *f, size_t len)
{
    static const char bad[] = "{\"event\":\"pending_unreadable\",\"cmd\":\"\"}";
    char *text;
    int rc;

    f->n++;
    if (f->vet == NULL)
        return kz_vault_audit_append(f->v, bad, sizeof(bad) - 1, f->err);
    text = f->vet(NULL, len);
    rc = kz_vault_audit_append(f->v, text, strlen(text), f->err);
    free(text);
    return rc;
}

static int
fold_one(void *ctx, const unsigned char *blob, size_t len)
{
    struct fold *f = ctx;
    unsigned char *plain;
    int rc;

    if (len <= crypto_box_SEALBYTES || len > PENDING_MAX + crypto_box_SEALBYTES)
        return fold_unreadable(f, len);
    plain = kz_xmalloc(len - crypto_box_SEALBYTES + 1);
    if (crypto_box_seal_open(plain, blob, len, f->pk, f->sk) != 0) {
        free(plain);
        return fold_unreadable(f, len);
    }
    if (f->vet != NULL) {
        char *text = f->vet((const char *)plain, len - crypto_box_SEALBYTES);
        rc = kz_vault_audit_append(f->v, text, strlen(text), f->err);
        kz_plain_free((unsigned char *)text, strlen(text), 0);
    } else {
        rc = kz_vault_audit_append(f->v, (const char *)plain, len - crypto_box_SEALBYTES, f->err);
    }
    sodium_memzero(plain, len - crypto_box_SEALBYTES);
    free(plain);
    f->n++;
    return rc;
}

int
kz_vault_audit_fold(struct kz_vault *v, char *(*vet)(const char *json, size_t len), int *n,
                    struct kz_err *err)
{
    struct fold f;
    unsigned char *pk = NULL;
    size_t pklen = 0;
    int rc;

    *n = 0;
    memset(&f, 0, sizeof(f));
    f.v = v;
    f.vet = vet;
    f.err = err;
    if ((rc = locked(v, err)) != KZ_OK)
        return rc;
    if ((rc = kz_store_header_get(v->st, H_INBOX_PK, &pk, &pklen, err)) != KZ_OK)
        return rc;
    if (pklen != sizeof(f.pk)) {
        free(pk);
        return kz_fail(err, KZ_EINTEGRITY, "vault header: malformed inbox key");
    }
    memcpy(f.pk, pk, sizeof(f.pk));
    free(pk);
    if ((rc = open_inbox_sk(v, &f.sk, err)) != KZ_OK)
        return rc;
    rc = kz_store_pending_take(v->st, fold_one, &f, err);
    kz_secure_free(f.sk);
    *n = f.n;
    return rc;
}

struct walk {
    struct kz_vault *v;
    struct keys k;
    unsigned char prev[KZ_AUDIT_MAC_BYTES];
    unsigned long long expect;
    int (*cb)(void *ctx, unsigned long long seq, const char *json, size_t len);
    void *ctx;
    struct kz_err *err;
    unsigned char *buf;
    size_t cap;
};

static int
walk_one(void *ctx, unsigned long long seq, const unsigned char *blob, size_t len,
         const unsigned char *mac, size_t maclen)
{
    struct walk *w = ctx;
    unsigned char want[KZ_AUDIT_MAC_BYTES], ad[64];
    size_t plen = 0, adlen;

    if (seq != w->expect)
        return kz_fail(w->err, KZ_EINTEGRITY,
                       seq > w->expect ? "audit chain broken: entry %llu is missing"
                                       : "audit chain broken at entry %llu: out of order",
                       w->expect);
    link_mac(w->k.chain, w->prev, seq, blob, len, want);
    if (maclen != KZ_AUDIT_MAC_BYTES || sodium_memcmp(want, mac, KZ_AUDIT_MAC_BYTES) != 0)
        return kz_fail(w->err, KZ_EINTEGRITY,
                       "audit chain broken at entry %llu: its link does not verify "
                       "(altered, removed or reordered entries)",
                       seq);
    if (len + 1 > w->cap) {
        if (w->buf != NULL) {
            sodium_memzero(w->buf, w->cap);
            free(w->buf);
        }
        w->cap = len * 2 + 64;
        w->buf = kz_xmalloc(w->cap);
    }
    adlen = entry_ad(ad, w->v, seq, w->v->epoch);
    if (kz_open_into(w->k.seal, ad, adlen, blob, len, AUDIT_PAD, w->buf, w->cap, &plen) != KZ_OK)
        return kz_fail(w->err, KZ_EINTEGRITY,
                       "audit chain broken at entry %llu: it does not open", seq);
    memcpy(w->prev, mac, KZ_AUDIT_MAC_BYTES);
    w->expect++;
    return w->cb != NULL ? w->cb(w->ctx, seq, (const char *)w->buf, plen) : 0;
}

int
kz_vault_audit_walk(struct kz_vault *v,
                    int (*cb)(void *ctx, unsigned long long seq, const char *json, size_t len),
                    void *ctx, struct kz_err *err)
{
    struct walk w;
    int rc;

    if ((rc = locked(v, err)) != KZ_OK)
        return rc;
    memset(&w, 0, sizeof(w));
    w.v = v;
    w.expect = 1;
    w.cb = cb;
    w.ctx = ctx;
    w.err = err;
    keys_derive(v, v->master, &w.k);
    rc = kz_store_audit_foreach(v->st, walk_one, &w, err);
    keys_free(&w.k);
    if (w.buf != NULL) {
        sodium_memzero(w.buf, w.cap);
        free(w.buf);
    }
    return rc;
}

int
kz_vault_audit_head(struct kz_vault *v, unsigned long long *seq, unsigned char *mac,
                    struct kz_err *err)
{
    return kz_store_audit_last(v->st, seq, mac, err);
}

/* ---- rekey: the chain under new keys ---- */

struct rechain {
    struct kz_vault *v;
    struct keys old, fresh;
    uint32_t epoch;
    unsigned char prev_old[KZ_AUDIT_MAC_BYTES], prev_new[KZ_AUDIT_MAC_BYTES];
    unsigned long long expect;
    struct kz_err *err;
    /* Collected first (the walk holds a statement open), rewritten after. */
    unsigned long long *seqs;
    unsigned char **blobs;
    size_t *lens;
    size_t n, cap;
};

static int
rechain_one(void *ctx, unsigned long long seq, const unsigned char *blob, size_t len,
            const unsigned char *mac, size_t maclen)
{
    struct rechain *r = ctx;
    unsigned char want[KZ_AUDIT_MAC_BYTES], ad[64], *plain;
    size_t plen = 0, adlen, bloblen = 0;

    link_mac(r->old.chain, r->prev_old, seq, blob, len, want);
    if (seq != r->expect || maclen != KZ_AUDIT_MAC_BYTES ||
        sodium_memcmp(want, mac, KZ_AUDIT_MAC_BYTES) != 0)
        return kz_fail(r->err, KZ_EINTEGRITY,
                       "audit chain broken at entry %llu: rekey refuses to re-seal it "
                       "(run 'audit verify')",
                       r->expect);
    memcpy(r->prev_old, mac, KZ_AUDIT_MAC_BYTES);
    plain = kz_xmalloc(len + 1);
    adlen = entry_ad(ad, r->v, seq, r->v->epoch);
    if (kz_open_into(r->old.seal, ad, adlen, blob, len, AUDIT_PAD, plain, len + 1, &plen) !=
        KZ_OK) {
        free(plain);
        return kz_fail(r->err, KZ_EINTEGRITY, "audit entry %llu does not open", seq);
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->seqs = kz_xrealloc(r->seqs, r->cap * sizeof(*r->seqs));
        r->blobs = kz_xrealloc(r->blobs, r->cap * sizeof(*r->blobs));
        r->lens = kz_xrealloc(r->lens, r->cap * sizeof(*r->lens));
    }
    adlen = entry_ad(ad, r->v, seq, r->epoch);
    kz_seal(r->fresh.seal, ad, adlen, plain, plen, AUDIT_PAD, &r->blobs[r->n], &bloblen);
    sodium_memzero(plain, len + 1);
    free(plain);
    r->seqs[r->n] = seq;
    r->lens[r->n] = bloblen;
    r->n++;
    r->expect++;
    return 0;
}

int
kz_vault_audit_rekey(struct kz_vault *v, const unsigned char *new_master, uint32_t new_epoch,
                     struct kz_err *err)
{
    struct rechain r;
    unsigned char *sk = NULL, mac[KZ_AUDIT_MAC_BYTES];
    size_t i;
    int rc;

    memset(&r, 0, sizeof(r));
    r.v = v;
    r.epoch = new_epoch;
    r.expect = 1;
    r.err = err;
    keys_derive(v, v->master, &r.old);
    keys_derive(v, new_master, &r.fresh);
    if ((rc = kz_store_audit_foreach(v->st, rechain_one, &r, err)) != KZ_OK)
        goto out;
    for (i = 0; i < r.n; i++) {
        link_mac(r.fresh.chain, r.prev_new, r.seqs[i], r.blobs[i], r.lens[i], mac);
        if ((rc = kz_store_audit_replace(v->st, r.seqs[i], r.blobs[i], r.lens[i], mac, err)) !=
            KZ_OK)
            goto out;
        memcpy(r.prev_new, mac, sizeof(mac));
    }
    if ((rc = open_inbox_sk(v, &sk, err)) != KZ_OK)
        goto out;
    rc = seal_inbox_sk(v, new_master, sk, err);
out:
    kz_secure_free(sk);
    keys_free(&r.old);
    keys_free(&r.fresh);
    for (i = 0; i < r.n; i++)
        free(r.blobs[i]);
    free(r.blobs);
    free(r.seqs);
    free(r.lens);
    return rc;
}
