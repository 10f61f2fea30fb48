/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit chain and the inbox for events recorded without the key. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kizuna/bytes.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "internal.h"

#define H_INBOX_PK "inbox.pk"
#define H_INBOX_SK "inbox.sk"
/* Entries are sealed padded to 256 bytes, so that nearly every event has one
 * size whatever its kind (older vaults' entries were padded to 64: opened with
 * any padding). */
#define AUDIT_PAD 256
#define PENDING_MAX 4096

static const char chain_label[] = "kizuna chain v1";

size_t
kz_vault_ad(unsigned char *ad, const char *label, size_t labellen, const struct kz_vault *v)
{
    memcpy(ad, label, labellen);
    memcpy(ad + labellen, v->id, KZ_VAULT_ID_BYTES);
    return labellen + KZ_VAULT_ID_BYTES;
}

void
kz_vault_subkey(const struct kz_vault *v, const unsigned char *master, uint64_t id,
                const char ctx[8], unsigned char *out)
{
    (void)v;
    crypto_kdf_derive_from_key(out, KZ_KEY_BYTES, id, ctx, master);
}

/* The trail's two keys for the master the vault holds now (at unlock, and
 * when rekey swaps the master in or back out). */
void
kz_vault_audit_keys(struct kz_vault *v)
{
    if (v->audit_keys == NULL)
        v->audit_keys = kz_secure_alloc(2 * KZ_KEY_BYTES);
    kz_vault_subkey(v, v->master, KZ_SUBKEY_AUDIT, "kzaudit_", v->audit_keys);
    kz_vault_subkey(v, v->master, KZ_SUBKEY_CHAIN, "kzchain_", v->audit_keys + KZ_KEY_BYTES);
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
    const unsigned char *keys; /* the seal key, then the chain key */
    int rc;

    if ((rc = locked(v, err)) != KZ_OK)
        return rc;
    if ((rc = kz_store_audit_last(v->st, &seq, prev, err)) != KZ_OK)
        return rc;
    seq++;
    keys = v->audit_keys;
    adlen = entry_ad(ad, v, seq, v->epoch);
    kz_seal(keys, ad, adlen, json, len, AUDIT_PAD, &blob, &bloblen);
    link_mac(keys + KZ_KEY_BYTES, prev, seq, blob, bloblen, mac);
    rc = kz_store_audit_append(v->st, seq, blob, bloblen, mac, err);
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

    return kz_vault_ad(ad, label, sizeof(label) - 1, v);
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

/* The chain's keys of every epoch: those of past epochs from the key history
 * (sealed under the current master key), then the current ones. */
struct epoch_keys {
    uint32_t epoch;
    struct keys k;
};

#define H_HISTORY "audit.keys"
#define HISTORY_ITEM (4 + 2 * KZ_KEY_BYTES)
#define HISTORY_MAX 4096

static size_t
history_ad(unsigned char *ad, const struct kz_vault *v, uint32_t epoch)
{
    static const char label[] = "kizuna audit keys v1";
    size_t n = kz_vault_ad(ad, label, sizeof(label) - 1, v);

    kz_put32(ad + n, epoch);
    return n + 4;
}

static void
ekeys_free(struct epoch_keys *e, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        keys_free(&e[i].k);
    free(e);
}

/* Past epochs' keys from the history under master (as of epoch), then the keys
 * master itself gives for epoch: *out (free with ekeys_free), *n of them. */
static int
ekeys_load(struct kz_vault *v, const unsigned char *master, uint32_t epoch,
           struct epoch_keys **out, size_t *n, struct kz_err *err)
{
    unsigned char *blob = NULL, *pt = NULL, ad[64], *key = kz_secure_alloc(KZ_KEY_BYTES);
    size_t bloblen = 0, len = 0, i, items = 0, adlen = history_ad(ad, v, epoch);
    struct epoch_keys *e = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    rc = kz_store_header_get(v->st, H_HISTORY, &blob, &bloblen, err);
    if (rc == KZ_ENOTFOUND) {
        rc = KZ_OK;
    } else if (rc == KZ_OK) {
        kz_vault_subkey(v, master, KZ_SUBKEY_HISTORY, "kzhistry", key);
        rc = kz_open(key, ad, adlen, blob, bloblen, 1, 1, &pt, &len, "the audit key history",
                     err);
        if (rc == KZ_OK && (len % HISTORY_ITEM != 0 || len / HISTORY_ITEM > HISTORY_MAX))
            rc = kz_fail(err, KZ_EINTEGRITY, "the audit key history is malformed");
        if (rc == KZ_OK)
            items = len / HISTORY_ITEM;
    }
    if (rc != KZ_OK)
        goto out;
    e = kz_xcalloc(items + 1, sizeof(*e));
    for (i = 0; i < items; i++) {
        const unsigned char *p = pt + i * HISTORY_ITEM;
        e[i].epoch = kz_get32(p);
        e[i].k.seal = kz_secure_alloc(KZ_KEY_BYTES);
        e[i].k.chain = kz_secure_alloc(KZ_KEY_BYTES);
        memcpy(e[i].k.seal, p + 4, KZ_KEY_BYTES);
        memcpy(e[i].k.chain, p + 4 + KZ_KEY_BYTES, KZ_KEY_BYTES);
    }
    e[items].epoch = epoch;
    keys_derive(v, master, &e[items].k);
    *out = e;
    *n = items + 1;
out:
    kz_plain_free(pt, len, 1);
    kz_secure_free(key);
    free(blob);
    return rc;
}

/* The chain is read a batch of entries at a time: each entry's link (its MAC
 * over the MAC stored before it) and its opening on every core, then, in
 * order on this thread, what a sequential reading decides (the sequence, the
 * key epoch, a transition's entry) and the callback. */
#define WALK_BATCH 4096
/* Fewer entries than this are checked on this thread alone. */
#define WALK_PARTS_MIN 256

struct wentry {
    unsigned long long seq;
    size_t off, len;  /* the blob in the batch's arena; its plaintext at off + index */
    unsigned char mac[KZ_AUDIT_MAC_BYTES];
    int mac_ok;       /* the stored MAC has its length */
    int epoch;        /* the key epoch (from the batch's first) whose link verifies; -1 none */
    int opened;       /* its blob opened under that epoch's key */
    size_t plen;
};

struct walk {
    struct kz_vault *v;
    struct epoch_keys *ek;
    size_t nek, cur;
    unsigned char prev[KZ_AUDIT_MAC_BYTES];
    unsigned long long expect;
    int (*cb)(void *ctx, unsigned long long seq, const char *json, size_t len);
    void *ctx;
    struct kz_err *err;
    /* The batch: entries, their blobs (arena) and plaintexts (plain, wiped). */
    struct wentry *e;
    size_t n;
    unsigned char *arena, *plain;
    size_t used, cap;
};

struct wpart {
    struct walk *w;
    size_t from, to;
};

/* One part of the batch, on its thread: each entry's link under the epochs
 * from the current one on, and its opening under the epoch that verified. */
static void
check_part(void *arg)
{
    struct wpart *p = arg;
    struct walk *w = p->w;
    unsigned char want[KZ_AUDIT_MAC_BYTES], ad[64];
    size_t j, k;

    for (j = p->from; j < p->to; j++) {
        struct wentry *e = &w->e[j];
        const unsigned char *prev = j == 0 ? w->prev : w->e[j - 1].mac;
        const unsigned char *blob = w->arena + e->off;
        e->epoch = -1;
        e->opened = 0;
        for (k = w->cur; e->mac_ok && k < w->nek; k++) {
            link_mac(w->ek[k].k.chain, prev, e->seq, blob, e->len, want);
            if (sodium_memcmp(want, e->mac, KZ_AUDIT_MAC_BYTES) == 0) {
                e->epoch = (int)k;
                break;
            }
        }
        if (e->epoch >= 0) {
            size_t adlen = entry_ad(ad, w->v, e->seq, w->ek[e->epoch].epoch);
            e->opened = kz_open_into(w->ek[e->epoch].k.seal, ad, adlen, blob, e->len,
                                     KZ_PAD_SCAN, w->plain + e->off + j, e->len + 1,
                                     &e->plen) == KZ_OK;
        }
    }
    kz_stack_wipe(); /* the opening's frames */
}

/* The batch checked on every core, then decided and handed on in order. */
static int
walk_batch(struct walk *w)
{
    struct wpart parts[KZ_STORE_WALK_PARTS];
    int np = w->n >= WALK_PARTS_MIN ? kz_vault_parts_wanted() : 1, k, rc = KZ_OK;
    size_t j;

    for (k = 0; k < np; k++) {
        parts[k].w = w;
        parts[k].from = w->n * (size_t)k / (size_t)np;
        parts[k].to = w->n * (size_t)(k + 1) / (size_t)np;
    }
    kz_vault_parts_run(check_part, parts, sizeof(*parts), np);
    for (j = 0; j < w->n && rc == KZ_OK; j++) {
        const struct wentry *e = &w->e[j];
        const char *pt = (const char *)w->plain + e->off + j;
        int next;
        if (e->seq != w->expect) {
            rc = kz_fail(w->err, KZ_EINTEGRITY,
                         e->seq > w->expect ? "audit chain broken: entry %llu is missing"
                                            : "audit chain broken at entry %llu: out of order",
                         w->expect);
            break;
        }
        /* Under the current key, or the next one's first entry (a rekey's
         * transition); nothing else. */
        if (e->epoch < 0 || ((size_t)e->epoch != w->cur && (size_t)e->epoch != w->cur + 1)) {
            rc = kz_fail(w->err, KZ_EINTEGRITY,
                         "audit chain broken at entry %llu: its link does not verify "
                         "(altered, removed or reordered entries)",
                         e->seq);
            break;
        }
        next = (size_t)e->epoch == w->cur + 1;
        w->cur = (size_t)e->epoch;
        if (!e->opened) {
            rc = kz_fail(w->err, KZ_EINTEGRITY, "audit chain broken at entry %llu: it does not open",
                         e->seq);
            break;
        }
        if (next && strstr(pt, "\"key_transition\"") == NULL) {
            rc = kz_fail(w->err, KZ_EINTEGRITY,
                         "audit chain broken at entry %llu: a new key without a transition",
                         e->seq);
            break;
        }
        memcpy(w->prev, e->mac, KZ_AUDIT_MAC_BYTES);
        w->expect++;
        if (w->cb != NULL && (rc = w->cb(w->ctx, e->seq, pt, e->plen)) != 0)
            break;
    }
    sodium_memzero(w->plain, w->used + w->n);
    w->n = w->used = 0;
    return rc;
}

/* A row of the audit table into the batch; a full batch is checked. */
static int
walk_one(void *ctx, unsigned long long seq, const unsigned char *blob, size_t len,
         const unsigned char *mac, size_t maclen)
{
    struct walk *w = ctx;
    struct wentry *e;

    if (w->used + len > w->cap) { /* the batch's arenas hold at least one entry */
        int rc = w->n > 0 ? walk_batch(w) : KZ_OK;
        if (rc != KZ_OK)
            return rc;
        if (len > w->cap) {
            kz_wipe_free(w->plain, w->cap + WALK_BATCH);
            free(w->arena);
            w->cap = len;
            w->arena = kz_xmalloc(w->cap);
            w->plain = kz_xmalloc(w->cap + WALK_BATCH);
        }
    }
    e = &w->e[w->n++];
    e->seq = seq;
    e->off = w->used;
    e->len = len;
    e->mac_ok = maclen == KZ_AUDIT_MAC_BYTES;
    memset(e->mac, 0, sizeof(e->mac));
    if (e->mac_ok)
        memcpy(e->mac, mac, KZ_AUDIT_MAC_BYTES);
    if (len > 0) /* an emptied blob: SQLite gives NULL, and memcpy takes no NULL */
        memcpy(w->arena + w->used, blob, len);
    w->used += len;
    return w->n == WALK_BATCH ? walk_batch(w) : KZ_OK;
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
    if ((rc = ekeys_load(v, v->master, v->epoch, &w.ek, &w.nek, err)) != KZ_OK)
        return rc;
    w.cap = WALK_BATCH * 512; /* an entry's blob is a few hundred bytes */
    w.e = kz_xcalloc(WALK_BATCH, sizeof(*w.e));
    w.arena = kz_xmalloc(w.cap);
    w.plain = kz_xmalloc(w.cap + WALK_BATCH);
    rc = kz_store_audit_foreach(v->st, walk_one, &w, err);
    if (rc == KZ_OK && w.n > 0)
        rc = walk_batch(&w);
    /* Entries end under an older key than the vault's: the transition is gone. */
    if (rc == KZ_OK && w.expect > 1 && w.cur + 1 != w.nek)
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "audit chain broken: it ends before the last rekey's transition");
    ekeys_free(w.ek, w.nek);
    kz_wipe_free(w.plain, w.cap + WALK_BATCH);
    free(w.arena);
    free(w.e);
    return rc;
}

int
kz_vault_audit_head(struct kz_vault *v, unsigned long long *seq, unsigned char *mac,
                    struct kz_err *err)
{
    return kz_store_audit_last(v->st, seq, mac, err);
}

/* ---- rekey: a transition, not a rewrite ---- */

int
kz_vault_audit_rekey(struct kz_vault *v, const unsigned char *new_master, uint32_t new_epoch,
                     struct kz_err *err)
{
    struct epoch_keys *ek = NULL;
    struct keys fresh = {NULL, NULL};
    unsigned char *sk = NULL, *pt = NULL, *key = kz_secure_alloc(KZ_KEY_BYTES), *blob = NULL;
    unsigned char ad[64], prev[KZ_AUDIT_MAC_BYTES], mac[KZ_AUDIT_MAC_BYTES];
    unsigned long long seq = 0;
    size_t nek = 0, i, adlen, bloblen = 0, len;
    char json[160];
    int rc;

    /* 1. Every epoch's keys so far, sealed under the new master key. */
    if ((rc = ekeys_load(v, v->master, v->epoch, &ek, &nek, err)) != KZ_OK)
        goto out;
    len = nek * HISTORY_ITEM;
    pt = kz_secure_alloc(len);
    for (i = 0; i < nek; i++) {
        unsigned char *p = pt + i * HISTORY_ITEM;
        kz_put32(p, ek[i].epoch);
        memcpy(p + 4, ek[i].k.seal, KZ_KEY_BYTES);
        memcpy(p + 4 + KZ_KEY_BYTES, ek[i].k.chain, KZ_KEY_BYTES);
    }
    kz_vault_subkey(v, new_master, KZ_SUBKEY_HISTORY, "kzhistry", key);
    adlen = history_ad(ad, v, new_epoch);
    kz_seal(key, ad, adlen, pt, len, 1, &blob, &bloblen);
    if ((rc = kz_store_header_put(v->st, H_HISTORY, blob, bloblen, err)) != KZ_OK)
        goto out;
    free(blob);
    blob = NULL;
    /* 2. The inbox key under the new master key. */
    if ((rc = open_inbox_sk(v, &sk, err)) != KZ_OK ||
        (rc = seal_inbox_sk(v, new_master, sk, err)) != KZ_OK)
        goto out;
    /* 3. The transition: the first entry under the new keys links to the old head. */
    if ((rc = kz_store_audit_last(v->st, &seq, prev, err)) != KZ_OK)
        goto out;
    seq++;
    {
        char t[21];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(json, sizeof(json),
                 "{\"t\":\"%s\",\"event\":\"key_transition\",\"cmd\":\"rekey\","
                 "\"from_epoch\":%u,\"to_epoch\":%u}",
                 t, (unsigned)v->epoch, (unsigned)new_epoch);
    }
    keys_derive(v, new_master, &fresh);
    adlen = entry_ad(ad, v, seq, new_epoch);
    kz_seal(fresh.seal, ad, adlen, json, strlen(json), AUDIT_PAD, &blob, &bloblen);
    link_mac(fresh.chain, prev, seq, blob, bloblen, mac);
    rc = kz_store_audit_append(v->st, seq, blob, bloblen, mac, err);
out:
    if (ek != NULL)
        ekeys_free(ek, nek);
    keys_free(&fresh);
    kz_secure_free(pt);
    kz_secure_free(key);
    kz_secure_free(sk);
    free(blob);
    return rc;
}
