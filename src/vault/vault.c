/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/bytes.h"
#include "kizuna/secmem.h"
#include "kizuna/seal.h"
#include "kizuna/vault.h"
#include "kizuna/wipe.h"
#include "internal.h"

#define H_FORMAT "format"
#define H_ID "vault_id"
#define H_EPOCH "epoch"
#define H_COMMIT "commit" /* the commitment: every commit that changes a record rewrites it */
#define H_KDF "kdf"
#define H_SLOT_PASS "slot.passphrase"
#define H_SLOT_RECOVERY "slot.recovery"
/* Each slot's MAC under the master key: the slot a person did not unlock with
 * cannot authenticate itself, so damage to it would go unseen until the day it
 * is needed. */
#define H_SLOT_PASS_MAC "slot.passphrase.mac"
#define H_SLOT_RECOVERY_MAC "slot.recovery.mac"

#define RECOVERY_BYTES 20 /* 160 bits: 32 base32 characters */



static struct kz_vault *open_vaults;

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford */

void
kz_hex(const unsigned char *b, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

/* Slot associated data: a label, the vault id and (for the passphrase slot) the
 * encoded KDF parameters, so a changed parameter cannot open the slot. */
static size_t
slot_ad(unsigned char *ad, const char *label, const unsigned char *vid, const unsigned char *kdf)
{
    size_t n = strlen(label);

    memcpy(ad, label, n);
    memcpy(ad + n, vid, KZ_VAULT_ID_BYTES);
    n += KZ_VAULT_ID_BYTES;
    if (kdf != NULL) {
        memcpy(ad + n, kdf, KZ_KDF_ENCODED_BYTES);
        n += KZ_KDF_ENCODED_BYTES;
    }
    return n;
}

#define SLOT_AD_MAX (32 + KZ_VAULT_ID_BYTES + KZ_KDF_ENCODED_BYTES)
#define LABEL_PASS "kizuna slot passphrase v1"
#define LABEL_RECOVERY "kizuna slot recovery v1"

/* Record associated data: label, vault id, record id, key epoch, part (0 head,
 * 1 body) and, from format 2, the record's version (the generation that wrote
 * it), so that a head of one version never goes with a body of another. */
static size_t
record_ad(unsigned char *ad, const struct kz_vault *v, const unsigned char *rid, int part,
          uint64_t ver)
{
    static const char label[] = "kizuna record v1";
    size_t n = sizeof(label) - 1;

    memcpy(ad, label, n);
    if (v->format >= 2)
        ad[n - 1] = '2'; /* "kizuna record v2" */
    memcpy(ad + n, v->id, KZ_VAULT_ID_BYTES);
    n += KZ_VAULT_ID_BYTES;
    memcpy(ad + n, rid, KZ_RECORD_ID_BYTES);
    n += KZ_RECORD_ID_BYTES;
    kz_put32(ad + n, v->epoch);
    ad[n + 4] = (unsigned char)part;
    n += 5;
    if (v->format >= 2) {
        kz_put64(ad + n, ver);
        n += 8;
    }
    return n;
}

/* Format 2 pads every head to one size and every body to a size bucket: a
 * record's bytes tell neither its kind nor its length. */
#define HEAD2_PAD 512
#define VER_BYTES 8

static size_t
head_pad(const struct kz_vault *v)
{
    return v->format >= 2 ? HEAD2_PAD : KZ_HEAD_PAD;
}

static size_t
body_pad(const struct kz_vault *v)
{
    return v->format >= 2 ? KZ_PAD_BUCKET : KZ_RECORD_PAD;
}

/* Recovery code text <-> bytes. */
static char *
recovery_format(const unsigned char *raw)
{
    char *out = kz_secure_alloc(KZ_RECOVERY_CODE_LEN);
    unsigned int acc = 0;
    int bits = 0, k = 0, groups = 0;
    size_t i;

    for (i = 0; i < RECOVERY_BYTES; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            out[k++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
            if (++groups % 4 == 0 && groups < 32)
                out[k++] = '-';
        }
    }
    out[k] = '\0';
    sodium_memzero(&acc, sizeof(acc)); /* bits of the code: a plain store would be dropped */
    return out;
}

static int
b32_value(char c)
{
    const char *p;

    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    if (c == 'O')
        c = '0';
    if (c == 'I' || c == 'L')
        c = '1';
    p = c != '\0' ? strchr(b32, c) : NULL;
    return p == NULL ? -1 : (int)(p - b32);
}

static int
recovery_parse(const char *code, size_t len, unsigned char *raw)
{
    unsigned int acc = 0;
    int bits = 0, nchars = 0, rc = -1;
    size_t i, k = 0;

    for (i = 0; i < len; i++) {
        int d;
        if (code[i] == '-' || code[i] == ' ' || code[i] == '\t')
            continue;
        if ((d = b32_value(code[i])) < 0 || nchars >= 32)
            goto out;
        nchars++;
        acc = (acc << 5) | (unsigned int)d;
        bits += 5;
        if (bits >= 8) {
            raw[k++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    rc = (nchars == 32 && k == RECOVERY_BYTES) ? 0 : -1;
out:
    sodium_memzero(&acc, sizeof(acc));
    return rc;
}

static void
recovery_key(const unsigned char *raw, const unsigned char *vid, unsigned char *key)
{
    crypto_generichash(key, KZ_KEY_BYTES, vid, KZ_VAULT_ID_BYTES, raw, RECOVERY_BYTES);
}

static void
derive_record_key(struct kz_vault *v)
{
    if (v->record_key == NULL)
        v->record_key = kz_secure_alloc(KZ_KEY_BYTES);
    if (v->commit_key == NULL)
        v->commit_key = kz_secure_alloc(KZ_KEY_BYTES);
    if (v->elem_key == NULL)
        v->elem_key = kz_secure_alloc(KZ_KEY_BYTES);
    kz_vault_subkey(v, v->master, KZ_SUBKEY_RECORDS, "kzrecord", v->record_key);
    kz_vault_subkey(v, v->master, KZ_SUBKEY_COMMIT, "kzcommit", v->commit_key);
    kz_vault_subkey(v, v->master, KZ_SUBKEY_ELEMENT, "kzelemnt", v->elem_key);
    kz_vault_audit_keys(v);
}

static void heads_drop(struct kz_vault *v);
static int heads_load(struct kz_vault *v, struct kz_err *err);

void
kz_vault_lock(struct kz_vault *v)
{
    if (v == NULL)
        return;
    heads_drop(v);
    if (v->lock_hook != NULL)
        v->lock_hook(v->lock_ctx);
    kz_secure_free(v->master); /* sodium_free wipes */
    kz_secure_free(v->record_key);
    kz_secure_free(v->commit_key);
    kz_secure_free(v->elem_key);
    kz_secure_free(v->audit_keys);
    v->master = NULL;
    v->audit_keys = NULL;
    v->record_key = NULL;
    v->commit_key = NULL;
    v->elem_key = NULL;
}

void
kz_vault_trim(struct kz_vault *v, int growth)
{
    if (v != NULL)
        kz_store_trim(v->st, (size_t)4 << 20, growth);
}

void
kz_vault_set_lock_hook(struct kz_vault *v, void (*fn)(void *ctx), void *ctx)
{
    v->lock_hook = fn;
    v->lock_ctx = ctx;
}

void
kz_vault_set_heads_hook(struct kz_vault *v, kz_vault_heads_fn fn, void *ctx,
                        void (*free_ctx)(void *ctx))
{
    if (v->heads_free != NULL)
        v->heads_free(v->heads_ctx);
    v->heads_hook = fn;
    v->heads_ctx = ctx;
    v->heads_free = free_ctx;
}

void *
kz_vault_heads_hook_ctx(const struct kz_vault *v, kz_vault_heads_fn fn)
{
    return v->heads_hook == fn ? v->heads_ctx : NULL;
}

int
kz_vault_unlocked(const struct kz_vault *v)
{
    return v != NULL && v->master != NULL;
}

void
kz_vault_wipe_all(void)
{
    struct kz_vault *v;

    for (v = open_vaults; v != NULL; v = v->next) {
        if (v->master != NULL)
            sodium_memzero(v->master, KZ_KEY_BYTES);
        if (v->record_key != NULL)
            sodium_memzero(v->record_key, KZ_KEY_BYTES);
        if (v->commit_key != NULL)
            sodium_memzero(v->commit_key, KZ_KEY_BYTES);
        if (v->elem_key != NULL)
            sodium_memzero(v->elem_key, KZ_KEY_BYTES);
    }
}

static void
track(struct kz_vault *v)
{
    v->next = open_vaults;
    open_vaults = v;
    kz_secure_on_fatal(kz_vault_wipe_all);
}

static void
untrack(struct kz_vault *v)
{
    struct kz_vault **pp;

    for (pp = &open_vaults; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == v) {
            *pp = v->next;
            return;
        }
    }
}

void
kz_vault_close(struct kz_vault *v)
{
    if (v == NULL)
        return;
    kz_vault_lock(v);
    kz_vault_set_heads_hook(v, NULL, NULL, NULL);
    untrack(v);
    kz_store_close(v->st);
    free(v);
}

static int
read_fixed(struct kz_store *st, const char *name, unsigned char *out, size_t want,
           struct kz_err *err)
{
    unsigned char *val = NULL;
    size_t len = 0;
    int rc = kz_store_header_get(st, name, &val, &len, err);

    if (rc == KZ_ENOTFOUND)
        rc = kz_fail(err, KZ_EINTEGRITY, "vault header is missing %s", name);
    else if (rc == KZ_OK && len != want)
        rc = kz_fail(err, KZ_EINTEGRITY, "vault header: %s has the wrong size", name);
    else if (rc == KZ_OK)
        memcpy(out, val, want);
    free(val);
    return rc;
}

int
kz_vault_open(const char *path, struct kz_vault **out, struct kz_err *err)
{
    struct kz_vault *v = kz_xcalloc(1, sizeof(*v));
    unsigned char b4[4];
    int rc;

    *out = NULL;
    v->dv = -1;
    if ((rc = kz_store_open(path, 0, &v->st, err)) != KZ_OK)
        goto fail;
    if ((rc = read_fixed(v->st, H_FORMAT, b4, 4, err)) != KZ_OK)
        goto fail;
    v->format = (int)kz_get32(b4);
    if (kz_get32(b4) != KZ_STORE_FORMAT && kz_get32(b4) != 1) {
        /* Nothing tells a newer kizuna's format from a damaged header: neither can
         * be read, and neither is trusted (exit 4). */
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "vault header format %u is not one this kizuna reads (%u): a damaged "
                     "header or a newer kizuna's vault",
                     kz_get32(b4), (unsigned)KZ_STORE_FORMAT);
        goto fail;
    }
    if ((rc = read_fixed(v->st, H_ID, v->id, KZ_VAULT_ID_BYTES, err)) != KZ_OK ||
        (rc = read_fixed(v->st, H_EPOCH, b4, 4, err)) != KZ_OK)
        goto fail;
    v->epoch = kz_get32(b4);
    track(v);
    *out = v;
    return KZ_OK;
fail:
    kz_store_close(v->st);
    free(v);
    return rc;
}

/* mac = BLAKE2b(slots key, vault id || slot name || blob || extra). */
void
kz_vault_slot_mac(const struct kz_vault *v, const char *name, const unsigned char *blob,
                  size_t bloblen, const unsigned char *extra, size_t extralen,
                  unsigned char mac[32])
{
    unsigned char key[KZ_KEY_BYTES];
    crypto_generichash_state s;

    kz_vault_subkey(v, v->master, KZ_SUBKEY_SLOTS, "kzslots_", key);
    crypto_generichash_init(&s, key, sizeof(key), 32);
    crypto_generichash_update(&s, v->id, sizeof(v->id));
    crypto_generichash_update(&s, (const unsigned char *)name, strlen(name) + 1);
    crypto_generichash_update(&s, blob, bloblen);
    if (extralen > 0)
        crypto_generichash_update(&s, extra, extralen);
    crypto_generichash_final(&s, mac, 32);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(&s, sizeof(s));
}

/* Seals the master key into the passphrase slot under kek; enc is the encoded
 * KDF parameters the slot is bound to (and that the header keeps). */
static int
seal_pass_slot(struct kz_vault *v, const unsigned char *kek,
               const unsigned char enc[KZ_KDF_ENCODED_BYTES], struct kz_err *err)
{
    unsigned char ad[SLOT_AD_MAX], *blob = NULL;
    size_t adlen = slot_ad(ad, LABEL_PASS, v->id, enc), bloblen = 0;
    int rc;

    unsigned char mac[32];

    kz_seal(kek, ad, adlen, v->master, KZ_KEY_BYTES, 1, &blob, &bloblen);
    kz_vault_slot_mac(v, H_SLOT_PASS, blob, bloblen, enc, KZ_KDF_ENCODED_BYTES, mac);
    if ((rc = kz_store_header_put(v->st, H_KDF, enc, KZ_KDF_ENCODED_BYTES, err)) == KZ_OK &&
        (rc = kz_store_header_put(v->st, H_SLOT_PASS, blob, bloblen, err)) == KZ_OK)
        rc = kz_store_header_put(v->st, H_SLOT_PASS_MAC, mac, sizeof(mac), err);
    free(blob);
    return rc;
}

/* Seals the master key into the passphrase slot with kdf's costs and salt. */
static int
write_pass_slot(struct kz_vault *v, const char *pass, size_t passlen,
                const struct kz_kdf_params *kdf, struct kz_err *err)
{
    unsigned char enc[KZ_KDF_ENCODED_BYTES], *kek = kz_secure_alloc(KZ_KEY_BYTES);
    int rc;

    kz_kdf_encode(kdf, enc);
    if ((rc = kz_kdf_derive(kdf, pass, passlen, kek, err)) == KZ_OK)
        rc = seal_pass_slot(v, kek, enc, err);
    kz_secure_free(kek);
    return rc;
}

static int
write_recovery_slot(struct kz_vault *v, char **recovery, struct kz_err *err)
{
    unsigned char *raw = kz_secure_alloc(RECOVERY_BYTES);
    unsigned char *kek = kz_secure_alloc(KZ_KEY_BYTES), *blob = NULL;
    unsigned char ad[SLOT_AD_MAX];
    size_t adlen, bloblen = 0;
    int rc;

    randombytes_buf(raw, RECOVERY_BYTES);
    recovery_key(raw, v->id, kek);
    adlen = slot_ad(ad, LABEL_RECOVERY, v->id, NULL);
    unsigned char mac[32];

    kz_seal(kek, ad, adlen, v->master, KZ_KEY_BYTES, 1, &blob, &bloblen);
    kz_vault_slot_mac(v, H_SLOT_RECOVERY, blob, bloblen, NULL, 0, mac);
    rc = kz_store_header_put(v->st, H_SLOT_RECOVERY, blob, bloblen, err);
    if (rc == KZ_OK)
        rc = kz_store_header_put(v->st, H_SLOT_RECOVERY_MAC, mac, sizeof(mac), err);
    if (rc == KZ_OK)
        *recovery = recovery_format(raw);
    kz_secure_free(raw);
    kz_secure_free(kek);
    free(blob);
    return rc;
}

int
kz_vault_create(const char *path, const char *pass, size_t passlen,
                const struct kz_kdf_params *kdf, char **recovery, struct kz_vault **out,
                struct kz_err *err)
{
    struct kz_vault *v = kz_xcalloc(1, sizeof(*v));
    struct kz_kdf_params k = *kdf;
    unsigned char b4[4];
    int rc, created = 0;

    *out = NULL;
    *recovery = NULL;
    if ((rc = kz_store_open(path, 1, &v->st, err)) != KZ_OK)
        goto fail;
    created = 1;
    randombytes_buf(v->id, sizeof(v->id));
    randombytes_buf(k.salt, sizeof(k.salt));
    v->epoch = 1;
    v->format = KZ_STORE_FORMAT;
    v->master = kz_secure_alloc(KZ_KEY_BYTES);
    crypto_kdf_keygen(v->master);
    derive_record_key(v);
    if ((rc = kz_store_begin(v->st, err)) != KZ_OK ||
        (rc = kz_store_data_version(v->st, &v->dv, err)) != KZ_OK)
        goto fail;
    /* An empty vault: no records, generation 0; the first commitment is
     * written with the header below. */
    v->heads_loaded = 1;
    v->commit_ok = 1;
    kz_put32(b4, KZ_STORE_FORMAT);
    if ((rc = kz_store_header_put(v->st, H_FORMAT, b4, 4, err)) != KZ_OK ||
        (rc = kz_store_header_put(v->st, H_ID, v->id, sizeof(v->id), err)) != KZ_OK)
        goto rollback;
    kz_put32(b4, v->epoch);
    if ((rc = kz_store_header_put(v->st, H_EPOCH, b4, 4, err)) != KZ_OK ||
        (rc = write_pass_slot(v, pass, passlen, &k, err)) != KZ_OK ||
        (rc = write_recovery_slot(v, recovery, err)) != KZ_OK ||
        (rc = kz_vault_inbox_create(v, err)) != KZ_OK ||
        (rc = kz_vault_commit(v, err)) != KZ_OK)
        goto rollback;
    track(v);
    *out = v;
    return KZ_OK;
rollback:
    kz_store_rollback(v->st);
fail:
    kz_secure_free(*recovery);
    *recovery = NULL;
    kz_vault_lock(v);
    kz_store_close(v->st);
    free(v);
    if (created)
        remove(path);
    return rc;
}

const char *
kz_vault_path(const struct kz_vault *v)
{
    return kz_store_path(v->st);
}

struct kz_store *
kz_vault_store(struct kz_vault *v)
{
    return v->st;
}

static int
has_header(struct kz_store *st, const char *name)
{
    unsigned char *val = NULL;
    size_t len = 0;
    int rc = kz_store_header_get(st, name, &val, &len, NULL);

    free(val);
    return rc == KZ_OK;
}

int
kz_vault_info(struct kz_vault *v, struct kz_vault_info *info, struct kz_err *err)
{
    unsigned char *enc = NULL;
    size_t len = 0;
    int rc;

    memset(info, 0, sizeof(*info));
    info->format = v->format;
    memcpy(info->id, v->id, sizeof(v->id));
    info->epoch = v->epoch;
    if ((rc = kz_store_header_get(v->st, H_KDF, &enc, &len, err)) != KZ_OK)
        goto out;
    if ((rc = kz_kdf_decode(enc, len, &info->kdf, err)) != KZ_OK)
        goto out;
    info->passphrase_slot = has_header(v->st, H_SLOT_PASS);
    info->recovery_slot = has_header(v->st, H_SLOT_RECOVERY);
    rc = kz_store_record_count(v->st, &info->records, err);
out:
    free(enc);
    return rc;
}

/* Opens a slot blob with kek; on success the vault holds the master key. */
int
kz_vault_open_slot(struct kz_vault *v, const char *slot, const unsigned char *kek,
                   const unsigned char *ad, size_t adlen, struct kz_err *err)
{
    unsigned char *blob = NULL, *mk = NULL;
    size_t bloblen = 0, mklen = 0;
    struct kz_err ignored;
    int rc;

    if ((rc = kz_store_header_get(v->st, slot, &blob, &bloblen, err)) != KZ_OK) {
        if (rc == KZ_ENOTFOUND)
            rc = kz_fail(err, KZ_EAUTH, "this vault has no %s", slot);
        goto out;
    }
    if (kz_open(kek, ad, adlen, blob, bloblen, 1, 1, &mk, &mklen, slot, &ignored) != KZ_OK ||
        mklen != KZ_KEY_BYTES) {
        rc = KZ_EAUTH;
        goto out;
    }
    kz_vault_lock(v);
    v->master = kz_secure_alloc(KZ_KEY_BYTES);
    memcpy(v->master, mk, KZ_KEY_BYTES);
    derive_record_key(v);
    rc = KZ_OK;
out:
    kz_plain_free(mk, mklen, 1);
    free(blob);
    return rc;
}

int
kz_vault_unlock(struct kz_vault *v, const char *pass, size_t passlen, struct kz_err *err)
{
    struct kz_kdf_params kdf;
    unsigned char *enc = NULL, *kek = kz_secure_alloc(KZ_KEY_BYTES);
    unsigned char ad[SLOT_AD_MAX];
    size_t len = 0, adlen;
    int rc, snap = 0;

    kz_vault_lock(v);
    if ((rc = kz_vault_begin_read(v, err)) != KZ_OK)
        goto out;
    snap = 1;
    if ((rc = kz_store_header_get(v->st, H_KDF, &enc, &len, err)) != KZ_OK) {
        if (rc == KZ_ENOTFOUND)
            rc = kz_fail(err, KZ_EINTEGRITY, "vault header has no key-derivation parameters");
        goto out;
    }
    if ((rc = kz_kdf_decode(enc, len, &kdf, err)) != KZ_OK)
        goto out;
    if ((rc = kz_kdf_derive(&kdf, pass, passlen, kek, err)) != KZ_OK)
        goto out;
    adlen = slot_ad(ad, LABEL_PASS, v->id, enc);
    rc = kz_vault_open_slot(v, H_SLOT_PASS, kek, ad, adlen, err);
    if (rc == KZ_EAUTH && err != NULL && err->code != KZ_EAUTH)
        kz_fail(err, KZ_EAUTH, "wrong passphrase");
out:
    if (snap)
        kz_vault_end_read(v);
    kz_secure_free(kek);
    free(enc);
    return rc == KZ_OK ? kz_vault_after_open(v, err) : rc;
}

int
kz_vault_unlock_as(struct kz_vault *v, const struct kz_vault *keyed, struct kz_err *err)
{
    if (keyed == NULL || keyed->master == NULL)
        return kz_fail(err, KZ_EAUTH, "no open vault to take the key from");
    if (sodium_memcmp(v->id, keyed->id, KZ_VAULT_ID_BYTES) != 0)
        return kz_fail(err, KZ_EAUTH, "it is a copy of another vault");
    kz_vault_lock(v);
    v->master = kz_secure_alloc(KZ_KEY_BYTES);
    memcpy(v->master, keyed->master, KZ_KEY_BYTES);
    derive_record_key(v);
    return kz_vault_after_open(v, err);
}

int
kz_vault_unlock_recovery(struct kz_vault *v, const char *code, size_t len, struct kz_err *err)
{
    unsigned char *raw = kz_secure_alloc(RECOVERY_BYTES), *kek = kz_secure_alloc(KZ_KEY_BYTES);
    unsigned char ad[SLOT_AD_MAX];
    size_t adlen;
    int rc;

    if (recovery_parse(code, len, raw) != 0) {
        rc = kz_fail(err, KZ_EAUTH,
                     "that is not a recovery key (32 characters in groups of 4, e.g. ABCD-EFGH-...)");
        goto out;
    }
    recovery_key(raw, v->id, kek);
    adlen = slot_ad(ad, LABEL_RECOVERY, v->id, NULL);
    kz_vault_lock(v);
    if ((rc = kz_vault_begin_read(v, err)) != KZ_OK)
        goto out;
    rc = kz_vault_open_slot(v, H_SLOT_RECOVERY, kek, ad, adlen, err);
    if (rc == KZ_EAUTH && err != NULL && err->code != KZ_EAUTH)
        kz_fail(err, KZ_EAUTH, "wrong recovery key");
    kz_vault_end_read(v);
out:
    kz_secure_free(raw);
    kz_secure_free(kek);
    return rc == KZ_OK ? kz_vault_after_open(v, err) : rc;
}

static int
need_key(const struct kz_vault *v, struct kz_err *err)
{
    return v->master != NULL ? KZ_OK : kz_fail(err, KZ_EAUTH, "the vault is locked");
}

int
kz_vault_set_passphrase(struct kz_vault *v, const char *pass, size_t passlen,
                        const struct kz_kdf_params *kdf, struct kz_err *err)
{
    struct kz_kdf_params k;
    unsigned char *enc = NULL;
    size_t len = 0;
    int rc;

    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if (kdf != NULL) {
        k = *kdf;
    } else {
        if ((rc = kz_store_header_get(v->st, H_KDF, &enc, &len, err)) != KZ_OK ||
            (rc = kz_kdf_decode(enc, len, &k, err)) != KZ_OK)
            goto out;
    }
    randombytes_buf(k.salt, sizeof(k.salt));
    if ((rc = kz_vault_begin(v, err)) != KZ_OK)
        goto out;
    if ((rc = write_pass_slot(v, pass, passlen, &k, err)) != KZ_OK ||
        (rc = kz_vault_commit(v, err)) != KZ_OK)
        kz_vault_rollback(v);
out:
    free(enc);
    return rc;
}


/* One slot against its MAC; extra_name: a header value the MAC also covers. */
static int
slot_check(struct kz_vault *v, const char *name, const char *mac_name, const char *extra_name,
           const char *what, struct kz_err *err)
{
    unsigned char *blob = NULL, *mac = NULL, *extra = NULL, want[32];
    size_t bloblen = 0, maclen = 0, extralen = 0;
    int rc;

    rc = kz_store_header_get(v->st, name, &blob, &bloblen, err);
    if (rc == KZ_ENOTFOUND) {
        rc = kz_fail(err, KZ_EINTEGRITY, "the %s slot is missing from the vault header", what);
        goto out;
    }
    if (rc != KZ_OK)
        goto out;
    if (extra_name != NULL &&
        (rc = kz_store_header_get(v->st, extra_name, &extra, &extralen, err)) != KZ_OK &&
        rc != KZ_ENOTFOUND)
        goto out;
    rc = kz_store_header_get(v->st, mac_name, &mac, &maclen, err);
    if (rc != KZ_OK && rc != KZ_ENOTFOUND)
        goto out;
    kz_vault_slot_mac(v, name, blob, bloblen, extra, extralen, want);
    rc = (mac != NULL && maclen == sizeof(want) && sodium_memcmp(mac, want, sizeof(want)) == 0)
             ? KZ_OK
             : kz_fail(err, KZ_EINTEGRITY,
                       "the %s slot was altered: the %s may no longer open the vault", what,
                       what);
out:
    free(blob);
    free(mac);
    free(extra);
    return rc;
}

/* The custodian slot (src/vault/custodian.c makes it): its rows against their
 * MAC, and their removal at a rekey. */
/* None of the rows at all is fine; KZ_EINTEGRITY naming the slot when one is
 * altered, planted or missing. */
static int
custodian_check(struct kz_vault *v, struct kz_err *err)
{
    unsigned char *info = NULL, *blob = NULL, *mac = NULL, want[32];
    size_t infolen = 0, bloblen = 0, maclen = 0;
    int rc, ri, rb, rm;

    ri = kz_store_header_get(v->st, H_CUST_INFO, &info, &infolen, err);
    rb = kz_store_header_get(v->st, H_CUST_SLOT, &blob, &bloblen, err);
    rm = kz_store_header_get(v->st, H_CUST_MAC, &mac, &maclen, err);
    if ((ri != KZ_OK && ri != KZ_ENOTFOUND) || (rb != KZ_OK && rb != KZ_ENOTFOUND) ||
        (rm != KZ_OK && rm != KZ_ENOTFOUND)) {
        rc = ri != KZ_OK && ri != KZ_ENOTFOUND ? ri : rb != KZ_OK && rb != KZ_ENOTFOUND ? rb : rm;
        goto out;
    }
    if (ri == KZ_ENOTFOUND && rb == KZ_ENOTFOUND && rm == KZ_ENOTFOUND) {
        rc = KZ_OK;
        goto out;
    }
    if (ri != KZ_OK || rb != KZ_OK || rm != KZ_OK) {
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the custodian slot is incomplete (its %s is missing): it was planted or "
                     "removed outside kizuna",
                     ri != KZ_OK ? "setup" : rb != KZ_OK ? "key slot" : "MAC");
        goto out;
    }
    kz_vault_slot_mac(v, H_CUST_SLOT, blob, bloblen, info, infolen, want);
    rc = (maclen == sizeof(want) && sodium_memcmp(mac, want, sizeof(want)) == 0)
             ? KZ_OK
             : kz_fail(err, KZ_EINTEGRITY,
                       "the custodian slot was altered or planted outside kizuna: its MAC "
                       "does not match (the custodian's shares may not open the vault)");
out:
    free(info);
    free(blob);
    free(mac);
    return rc;
}

/* Rekey: the slot's key cannot wrap a new master key. In the caller's change. */
static int
custodian_drop(struct kz_vault *v, struct kz_err *err)
{
    int rc;

    if ((rc = kz_store_header_delete(v->st, H_CUST_INFO, err)) == KZ_OK &&
        (rc = kz_store_header_delete(v->st, H_CUST_SLOT, err)) == KZ_OK)
        rc = kz_store_header_delete(v->st, H_CUST_MAC, err);
    return rc;
}

int
kz_vault_slots_check(struct kz_vault *v, struct kz_err *err)
{
    int rc;

    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if ((rc = slot_check(v, H_SLOT_PASS, H_SLOT_PASS_MAC, H_KDF, "passphrase", err)) != KZ_OK)
        return rc;
    if ((rc = slot_check(v, H_SLOT_RECOVERY, H_SLOT_RECOVERY_MAC, NULL, "recovery key", err)) !=
        KZ_OK)
        return rc;
    return custodian_check(v, err);
}

void
kz_vault_new_record_id(unsigned char id[KZ_RECORD_ID_BYTES])
{
    randombytes_buf(id, KZ_RECORD_ID_BYTES);
}

/* ---- the index of heads ---- */

static size_t
id_hash(const unsigned char *id)
{
    uint64_t h;

    memcpy(&h, id, sizeof(h)); /* ids are random: their bytes are a fine hash */
    return (size_t)h;
}

static void
heads_drop(struct kz_vault *v)
{
    size_t i;

    if (v->heads_hook != NULL)
        v->heads_hook(v->heads_ctx, NULL, NULL, 0, NULL, 0);
    for (i = 0; i < v->nheads; i++) {
        if (v->own[i]) {
            sodium_memzero(v->heads[i].data, v->heads[i].len);
            free(v->heads[i].data);
        }
    }
    for (i = 0; i < v->narena; i++) {
        sodium_memzero(v->arena[i], v->arenalen[i]);
        free(v->arena[i]);
    }
    free(v->arena);
    free(v->arenalen);
    free(v->own);
    free(v->heads);
    free(v->slots);
    v->heads = NULL;
    v->slots = NULL;
    v->own = NULL;
    v->arena = NULL;
    v->arenalen = NULL;
    v->narena = v->caparena = 0;
    v->nheads = v->capheads = v->nslots = 0;
    v->heads_loaded = 0;
    v->commit_ok = 0; /* the commitment is checked again with the next load */
}

static size_t *
slot_for(struct kz_vault *v, const unsigned char *id)
{
    size_t mask = v->nslots - 1, i = id_hash(id) & mask;

    for (;; i = (i + 1) & mask) {
        size_t p = v->slots[i];
        if (p == 0 || memcmp(v->heads[p - 1].id, id, KZ_RECORD_ID_BYTES) == 0)
            return &v->slots[i];
    }
}

static void
rehash(struct kz_vault *v, size_t nslots)
{
    size_t i;

    free(v->slots);
    v->nslots = nslots;
    v->slots = kz_xcalloc(nslots, sizeof(size_t));
    for (i = 0; i < v->nheads; i++)
        *slot_for(v, v->heads[i].id) = i + 1;
}

/* The commitment's element of one record: a keyed PRF of (id, version), added
 * into two 64-bit lanes. Without the key nobody can tell which set of
 * (id, version) pairs gives a sum, so no older versions or subset of records
 * can be put together to match it. */
static void
elem(const struct kz_vault *v, const unsigned char *id, uint64_t ver, uint64_t out[2])
{
    unsigned char in[KZ_RECORD_ID_BYTES + 8], h[crypto_shorthash_siphashx24_BYTES];

    memcpy(in, id, KZ_RECORD_ID_BYTES);
    kz_put64(in + KZ_RECORD_ID_BYTES, ver);
    crypto_shorthash_siphashx24(h, in, sizeof(in), v->elem_key);
    out[0] = kz_get64(h);
    out[1] = kz_get64(h + 8);
}

static void
sum_add(struct kz_vault *v, const unsigned char *id, uint64_t ver, int sign)
{
    uint64_t e[2];

    if (v->elem_key == NULL)
        return;
    elem(v, id, ver, e);
    if (sign > 0) {
        v->sum[0] += e[0];
        v->sum[1] += e[1];
        v->count++;
    } else {
        v->sum[0] -= e[0];
        v->sum[1] -= e[1];
        v->count--;
    }
}

/* Wipes the plaintext of the head at pos, and frees it when it has a malloc
 * of its own (an arena block is freed whole when the index drops). */
static void
head_release(struct kz_vault *v, size_t pos)
{
    sodium_memzero(v->heads[pos].data, v->heads[pos].len);
    if (v->own[pos])
        free(v->heads[pos].data);
}

/* Adds a head the index does not hold yet (slot: its empty slot); data is
 * owned (own != 0: its own malloc) or in the arena. The commitment's sum is
 * the caller's. */
static void
heads_append(struct kz_vault *v, size_t *slot, const unsigned char *id, unsigned char *data,
             size_t len, uint64_t ver, int own)
{
    if (v->nheads == v->capheads) {
        v->capheads = v->capheads ? v->capheads * 2 : 256;
        v->heads = kz_xrealloc(v->heads, v->capheads * sizeof(*v->heads));
        v->own = kz_xrealloc(v->own, v->capheads);
    }
    memcpy(v->heads[v->nheads].id, id, KZ_RECORD_ID_BYTES);
    v->heads[v->nheads].data = data;
    v->heads[v->nheads].len = len;
    v->heads[v->nheads].ver = ver;
    v->own[v->nheads] = (unsigned char)(own != 0);
    v->nheads++;
    *slot = v->nheads;
}

/* Makes room in the hash table for one more head. */
static void
heads_grow(struct kz_vault *v)
{
    if (v->nslots == 0 || (v->nheads + 1) * 2 > v->nslots)
        rehash(v, v->nslots ? v->nslots * 2 : 1024);
}

/* Makes room for n more heads at once: one rehash and one array, not one
 * doubling after another while they come in. */
static void
heads_reserve(struct kz_vault *v, size_t n)
{
    size_t want = v->nslots ? v->nslots : 1024;

    while ((v->nheads + n + 1) * 2 > want)
        want *= 2;
    if (want != v->nslots)
        rehash(v, want);
    if (v->nheads + n > v->capheads) {
        v->capheads = v->nheads + n;
        v->heads = kz_xrealloc(v->heads, v->capheads * sizeof(*v->heads));
        v->own = kz_xrealloc(v->own, v->capheads);
    }
}

/* Takes ownership of data (a malloc of its own). */
static void
heads_set(struct kz_vault *v, const unsigned char *id, unsigned char *data, size_t len,
          uint64_t ver)
{
    size_t *slot;

    heads_grow(v);
    slot = slot_for(v, id);
    if (*slot != 0) {
        struct kz_head *h = &v->heads[*slot - 1];
        if (v->heads_hook != NULL)
            v->heads_hook(v->heads_ctx, id, h->data, h->len, data, len);
        sum_add(v, id, h->ver, -1);
        sum_add(v, id, ver, +1);
        head_release(v, *slot - 1);
        h->data = data;
        h->len = len;
        h->ver = ver;
        v->own[*slot - 1] = 1;
        return;
    }
    if (v->heads_hook != NULL)
        v->heads_hook(v->heads_ctx, id, NULL, 0, data, len);
    heads_append(v, slot, id, data, len, ver, 1);
    sum_add(v, id, ver, +1);
}

/* Whether the heads index (as loaded so far) holds id. */
static int
heads_has(struct kz_vault *v, const unsigned char *id)
{
    return v->nslots != 0 && *slot_for(v, id) != 0;
}

static void
heads_remove(struct kz_vault *v, const unsigned char *id)
{
    size_t pos;

    if (!heads_has(v, id))
        return;
    pos = *slot_for(v, id) - 1;
    if (v->heads_hook != NULL)
        v->heads_hook(v->heads_ctx, id, v->heads[pos].data, v->heads[pos].len, NULL, 0);
    sum_add(v, id, v->heads[pos].ver, -1);
    head_release(v, pos);
    v->heads[pos] = v->heads[--v->nheads];
    v->own[pos] = v->own[v->nheads];
    rehash(v, v->nslots); /* positions moved: rebuild (deletes are rare) */
}

static void
record_name(const unsigned char *id, int part, char *what, size_t size)
{
    char hex[2 * KZ_RECORD_ID_BYTES + 1];

    kz_hex(id, 8, hex);
    snprintf(what, size, "record %s%s", hex, part == 0 ? " (head)" : "");
}

static int
record_fail(struct kz_err *err, const unsigned char *id, int part)
{
    char what[64];

    record_name(id, part, what, sizeof(what));
    return kz_fail(err, KZ_EINTEGRITY, "%s failed authentication (altered, moved or corrupt)",
                   what);
}

/* Opens a sealed head into buf (cap >= bloblen + 1): *ver and the head's bytes
 * at *data (inside buf), *len of them. KZ_EINTEGRITY with nothing in err. */
static int
head_open(const struct kz_vault *v, const unsigned char *key, const unsigned char *id,
          const unsigned char *blob, size_t bloblen, unsigned char *buf, size_t cap,
          uint64_t *ver, unsigned char **data, size_t *len)
{
    unsigned char ad[96];
    size_t adlen = record_ad(ad, v, id, 0, 0), n = 0;

    if (kz_open_into(key, ad, adlen, blob, bloblen, head_pad(v), buf, cap, &n) != KZ_OK)
        return KZ_EINTEGRITY;
    if (v->format < 2) {
        *ver = 0;
        *data = buf;
        *len = n;
        return KZ_OK;
    }
    if (n < VER_BYTES)
        return KZ_EINTEGRITY;
    *ver = kz_get64(buf);
    *data = buf + VER_BYTES;
    *len = n - VER_BYTES;
    return KZ_OK;
}

/* Seals a head (with its version in front, format 2) and a body under key. */
static void
record_seal(const struct kz_vault *v, const unsigned char *key, const unsigned char *id,
            uint64_t ver, const void *head, size_t headlen, const void *body, size_t bodylen,
            unsigned char **hblob, size_t *hlen, unsigned char **bblob, size_t *blen)
{
    unsigned char ad[96], hbuf[HEAD2_PAD], nonces[2 * KZ_SEAL_NONCE_BYTES];
    size_t adlen = record_ad(ad, v, id, 0, 0);

    randombytes_buf(nonces, sizeof(nonces)); /* one draw for both */
    if (v->format >= 2) {
        kz_put64(hbuf, ver);
        memcpy(hbuf + VER_BYTES, head, headlen);
        kz_seal_nonce(key, ad, adlen, hbuf, headlen + VER_BYTES, head_pad(v), nonces, hblob,
                      hlen);
        sodium_memzero(hbuf, sizeof(hbuf));
    } else {
        kz_seal_nonce(key, ad, adlen, head, headlen, head_pad(v), nonces, hblob, hlen);
    }
    adlen = record_ad(ad, v, id, 1, ver);
    kz_seal_nonce(key, ad, adlen, body, bodylen, body_pad(v), nonces + KZ_SEAL_NONCE_BYTES, bblob,
                  blen);
}

/* Makes *buf (plaintext scratch, wiped before it is let go) hold need bytes. */
static void
buf_reserve(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    if (*buf != NULL) {
        sodium_memzero(*buf, *cap);
        free(*buf);
    }
    *cap = need * 2;
    *buf = kz_xmalloc(*cap);
}

/* ---- work on every core: SQLite on the caller's thread, crypto on workers ----
 *
 * The caller reads sealed rows into jobs (a batch of records, their sealed
 * bytes copied into the job: SQLite's pointers last one step) and submits
 * them; workers open (and seal) them, each with a scratch buffer of its own
 * that is reused for every record and wiped at the end; the caller takes the
 * jobs back, in the order it submitted them when it must (the index, rekey's
 * writes). Workers never touch SQLite nor write the vault handle: they read
 * the keys and the heads index, which nothing changes while they run. */

#define PIPE_WORKERS_MAX 16
#define JOB_ITEMS 512
#define JOB_BYTES (1u << 20) /* a job is full at this many sealed bytes too */

struct pitem {
    unsigned char id[KZ_RECORD_ID_BYTES];
    size_t off, len;     /* the sealed row in job->in */
    unsigned char *data; /* heads: the plaintext head, in job->out */
    size_t dlen;
    uint64_t ver;
    unsigned char *nh, *nb; /* rekey: the new sealed head and body */
    size_t nhl, nbl;
};

struct pjob {
    struct pjob *next;
    size_t seq, n;
    struct pitem items[JOB_ITEMS];
    unsigned char *in; /* sealed bytes only: no wipe needed */
    size_t inused, incap;
    unsigned char *out; /* heads: the job's plaintext heads, one block */
    size_t outlen;
    size_t failed; /* the first item that failed (n: none) */
    int rc;        /* the job's first error (walk: a callback's return) */
    struct kz_err err;
    uint64_t sum[2], count; /* commitment elements of the items before failed */
};

struct pipe {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct pjob *todo, *todo_tail, *ready;
    size_t submitted, pending; /* pending: submitted, not yet taken back */
    int closed;
    atomic_int stop; /* skip the jobs not yet begun */
    void (*run)(struct pipe *p, struct pjob *j, unsigned char **buf, size_t *cap);
    void *ctx;
    pthread_t th[PIPE_WORKERS_MAX];
    int nth;
};

static void
job_free(struct pjob *j)
{
    size_t i;

    if (j == NULL)
        return;
    for (i = 0; i < j->n; i++) {
        free(j->items[i].nh);
        free(j->items[i].nb);
    }
    if (j->out != NULL) {
        sodium_memzero(j->out, j->outlen);
        free(j->out);
    }
    free(j->in);
    free(j);
}

static struct pjob *
job_new(void)
{
    struct pjob *j = kz_xcalloc(1, sizeof(*j));

    j->rc = KZ_OK;
    return j;
}

/* Copies one sealed row into j; 1 when j is full. */
static int
job_add(struct pjob *j, const unsigned char *id, const unsigned char *blob, size_t len)
{
    struct pitem *it = &j->items[j->n++];

    if (j->in == NULL || j->inused + len > j->incap) { /* j->in + off is never NULL + 0 */
        j->incap = (j->inused + len) * 2 > JOB_BYTES ? (j->inused + len) * 2 : JOB_BYTES;
        j->in = kz_xrealloc(j->in, j->incap);
    }
    memcpy(it->id, id, KZ_RECORD_ID_BYTES);
    it->off = j->inused;
    it->len = len;
    if (len > 0) /* an empty blob: SQLite gives NULL, and memcpy takes no NULL */
        memcpy(j->in + j->inused, blob, len);
    j->inused += len;
    return j->n == JOB_ITEMS || j->inused >= JOB_BYTES;
}

static void *
pipe_worker(void *arg)
{
    struct pipe *p = arg;
    unsigned char *buf = NULL;
    size_t cap = 0;
    struct pjob *j;

    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->todo == NULL && !p->closed)
            pthread_cond_wait(&p->work, &p->mu);
        if ((j = p->todo) != NULL && (p->todo = j->next) == NULL)
            p->todo_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        if (j == NULL)
            break;
        if (!atomic_load(&p->stop))
            p->run(p, j, &buf, &cap);
        pthread_mutex_lock(&p->mu);
        j->next = p->ready;
        p->ready = j;
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
    if (buf != NULL) {
        sodium_memzero(buf, cap);
        free(buf);
    }
    kz_stack_wipe(); /* run's frames: glibc keeps this stack for the next thread */
    return NULL;
}

/* Starts a worker for every core online (none started: the caller runs the
 * jobs itself as it submits them). */
static void
pipe_start(struct pipe *p, void (*run)(struct pipe *, struct pjob *, unsigned char **, size_t *),
           void *ctx)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    int i;

    memset(p, 0, sizeof(*p));
    p->run = run;
    p->ctx = ctx;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (n < 1)
        n = 1;
    if (n > PIPE_WORKERS_MAX)
        n = PIPE_WORKERS_MAX;
    for (i = 0; i < n; i++) {
        if (pthread_create(&p->th[p->nth], NULL, pipe_worker, p) == 0)
            p->nth++;
    }
}

/* Jobs in flight before the caller waits for one back. */
static size_t
pipe_limit(const struct pipe *p)
{
    return 2 * (size_t)p->nth + 2;
}

static void
pipe_submit(struct pipe *p, struct pjob *j)
{
    j->seq = p->submitted++;
    j->next = NULL;
    if (p->nth == 0) {
        unsigned char *buf = NULL;
        size_t cap = 0;
        if (!atomic_load(&p->stop))
            p->run(p, j, &buf, &cap);
        if (buf != NULL) {
            sodium_memzero(buf, cap);
            free(buf);
        }
        j->next = p->ready;
        p->ready = j;
        p->pending++;
        return;
    }
    pthread_mutex_lock(&p->mu);
    if (p->todo_tail != NULL)
        p->todo_tail->next = j;
    else
        p->todo = j;
    p->todo_tail = j;
    p->pending++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
}

/* A job done and taken back: number seq (or any when seq is (size_t)-1);
 * NULL when none is ready and block is 0, or none is pending. */
static struct pjob *
pipe_next(struct pipe *p, size_t seq, int block)
{
    struct pjob *j = NULL, **pp;

    pthread_mutex_lock(&p->mu);
    while (p->pending > 0) {
        for (pp = &p->ready; *pp != NULL; pp = &(*pp)->next) {
            if (seq == (size_t)-1 || (*pp)->seq == seq) {
                j = *pp;
                *pp = j->next;
                p->pending--;
                goto out;
            }
        }
        if (!block)
            break;
        pthread_cond_wait(&p->done, &p->mu);
    }
out:
    pthread_mutex_unlock(&p->mu);
    return j;
}

/* Takes back the jobs done, in order from *want, each through take (waiting
 * for the next when block, or when too many are in flight); the first error
 * stops the pipe and is returned. */
static int
pipe_drain(struct pipe *p, size_t *want, int block, int (*take)(void *ctx, struct pjob *j),
           void *ctx)
{
    struct pjob *j;
    int rc;

    while ((j = pipe_next(p, *want, block || p->pending > pipe_limit(p))) != NULL) {
        (*want)++;
        rc = take(ctx, j);
        job_free(j);
        if (rc != KZ_OK) {
            atomic_store(&p->stop, 1);
            return rc;
        }
    }
    return KZ_OK;
}

/* Stops the workers (the jobs not begun are skipped when stop is set) and
 * frees every job not taken back. */
static void
pipe_end(struct pipe *p)
{
    struct pjob *j;
    int i;

    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    while ((j = p->ready) != NULL) {
        p->ready = j->next;
        job_free(j);
    }
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
}

/* ---- walks in parts: one key range a thread ---- */

/* A part's end, on its thread: its reading ended, its scratch wiped. */
static void
part_done(struct kz_store_walk *sw, int part, unsigned char *buf, size_t cap)
{
    kz_store_walk_end_part(sw, part);
    if (buf != NULL) {
        sodium_memzero(buf, cap);
        free(buf);
    }
}

/* ---- loading the index ---- */

/* Opens a job's heads into one block (job->out, exactly their size) and sums
 * their commitment elements; stops at the first that fails. */
static void
heads_open_job(const struct kz_vault *v, struct pjob *j, unsigned char **buf, size_t *cap)
{
    size_t i, need = 0, used = 0, out = 0;
    uint64_t e[2];

    for (i = 0; i < j->n; i++)
        need += j->items[i].len + 1;
    buf_reserve(buf, cap, need > 0 ? need : 1); /* never NULL below (the analyzer) */
    for (i = 0; i < j->n; i++) {
        struct pitem *it = &j->items[i];
        if (head_open(v, v->record_key, it->id, j->in + it->off, it->len, *buf + used,
                      it->len + 1, &it->ver, &it->data, &it->dlen) != KZ_OK)
            break;
        used += it->len + 1;
        out += it->dlen + 1;
        if (v->elem_key != NULL) {
            elem(v, it->id, it->ver, e);
            j->sum[0] += e[0];
            j->sum[1] += e[1];
            j->count++;
        }
    }
    j->failed = i;
    j->outlen = out;
    j->out = kz_xmalloc(out > 0 ? out : 1);
    for (i = 0, out = 0; i < j->failed; i++) {
        struct pitem *it = &j->items[i];
        memcpy(j->out + out, it->data, it->dlen);
        j->out[out + it->dlen] = '\0';
        it->data = j->out + out;
        out += it->dlen + 1;
    }
    /* What was opened, a head that failed its padding check included. */
    sodium_memzero(*buf, j->failed < j->n ? used + j->items[j->failed].len + 1 : used);
}

/* One key range of the heads, read and opened on one thread into jobs kept
 * in key order for the caller to take in. */
struct hpart {
    const struct kz_vault *v;
    struct kz_store_walk *sw;
    atomic_int *stop; /* a part failed: the others stop at their next row */
    int part;
    struct pjob *first, *last;
    int rc; /* SQLite's error while reading the part */
    struct kz_err err;
};

static void
hpart_walk(void *arg)
{
    struct hpart *hp = arg;
    struct pjob *cur = job_new(), *next;
    unsigned char *buf = NULL;
    size_t cap = 0;

    for (;;) {
        const unsigned char *id = NULL, *blob;
        size_t len;
        int rc = atomic_load(hp->stop) ? -1
                                       : kz_store_walk_next(hp->sw, hp->part, &id, &blob, &len,
                                                            &hp->err);
        if (rc > 0) {
            hp->rc = rc;
            atomic_store(hp->stop, 1);
        }
        if (rc != KZ_OK)
            break;
        if (id != NULL && !job_add(cur, id, blob, len))
            continue;
        if (cur->n > 0) {
            heads_open_job(hp->v, cur, &buf, &cap);
            next = job_new(); /* takes the sealed bytes' buffer on */
            next->in = cur->in;
            next->incap = cur->incap;
            cur->in = NULL;
            cur->incap = cur->inused = 0;
            if (hp->last != NULL)
                hp->last->next = cur;
            else
                hp->first = cur;
            hp->last = cur;
            if (cur->failed < cur->n)
                atomic_store(hp->stop, 1); /* the caller names it */
            cur = next;
        }
        if (id == NULL)
            break;
    }
    job_free(cur);
    part_done(hp->sw, hp->part, buf, cap);
}

/* One job's heads into the index, in the order they were read, with the
 * checks a record at a time would make (the first head that fails, a record
 * listed twice); the job's block joins the arena. */
static int
load_take(struct kz_vault *v, struct pjob *j, struct kz_err *err)
{
    size_t i, *slot;

    for (i = 0; i < j->n; i++) {
        if (i == j->failed)
            return record_fail(err, j->items[i].id, 0);
        heads_grow(v);
        slot = slot_for(v, j->items[i].id);
        if (*slot != 0)
            return kz_fail(err, KZ_EINTEGRITY, "the vault lists a record twice");
        heads_append(v, slot, j->items[i].id, j->items[i].data, j->items[i].dlen,
                     j->items[i].ver, 0);
    }
    if (v->narena == v->caparena) {
        v->caparena = v->caparena ? v->caparena * 2 : 64;
        v->arena = kz_xrealloc(v->arena, v->caparena * sizeof(*v->arena));
        v->arenalen = kz_xrealloc(v->arenalen, v->caparena * sizeof(*v->arenalen));
    }
    v->arena[v->narena] = j->out;
    v->arenalen[v->narena++] = j->outlen;
    j->out = NULL;
    v->sum[0] += j->sum[0];
    v->sum[1] += j->sum[1];
    v->count += j->count;
    return KZ_OK;
}

/* The heads of every record into the index, with the commitment's sum and
 * count: the heads in key ranges, each read through a connection of its own
 * and opened on a thread of its own (the first on this one), all in one
 * snapshot (kz_store_walk_open); then taken in here in key order. */
static int
heads_read(struct kz_vault *v, struct kz_err *err)
{
    struct kz_store_walk *sw = NULL;
    struct hpart *parts;
    atomic_int stop;
    size_t total = 0;
    int rc, n, k;
    struct pjob *j;

    n = kz_vault_parts_wanted();
    if ((rc = kz_store_walk_open(v->st, 0, n, v->format >= 2 ? H_COMMIT : NULL, &sw, err)) !=
        KZ_OK)
        return rc;
    n = kz_store_walk_parts(sw);
    atomic_init(&stop, 0);
    parts = kz_xcalloc((size_t)n, sizeof(*parts));
    for (k = 0; k < n; k++) {
        parts[k].v = v;
        parts[k].sw = sw;
        parts[k].stop = &stop;
        parts[k].part = k;
    }
    kz_vault_parts_run(hpart_walk, parts, sizeof(*parts), n);
    kz_store_walk_close(sw);
    for (k = 0; k < n; k++)
        for (j = parts[k].first; j != NULL; j = j->next)
            total += j->n;
    heads_reserve(v, total);
    /* In key order: the first failure in it is the one named. */
    for (k = 0; k < n && rc == KZ_OK; k++) {
        for (j = parts[k].first; j != NULL && rc == KZ_OK; j = j->next)
            rc = load_take(v, j, err);
        if (rc == KZ_OK && parts[k].rc != KZ_OK) {
            rc = parts[k].rc;
            if (err != NULL)
                *err = parts[k].err;
        }
    }
    for (k = 0; k < n; k++) {
        while ((j = parts[k].first) != NULL) {
            parts[k].first = j->next;
            job_free(j);
        }
    }
    sodium_memzero(parts, (size_t)n * sizeof(*parts));
    free(parts);
    return rc;
}

static int commit_check(struct kz_vault *v, struct kz_err *err);

/* Loads the heads index and checks it against the commitment, in one read
 * snapshot (nested inside the caller's transaction when there is one). */
static int
heads_load(struct kz_vault *v, struct kz_err *err)
{
    int rc;

    if ((rc = kz_vault_begin_read(v, err)) != KZ_OK)
        return rc;
    if (!v->heads_loaded) {
        heads_drop(v);
        v->count = v->sum[0] = v->sum[1] = 0;
        if ((rc = heads_read(v, err)) != KZ_OK)
            goto out;
        if (v->format >= 2 && (rc = commit_check(v, err)) != KZ_OK)
            goto out;
        v->heads_loaded = 1;
    }
out:
    if (rc != KZ_OK)
        heads_drop(v);
    kz_vault_end_read(v);
    return rc;
}

int
kz_vault_heads(struct kz_vault *v, const struct kz_head **heads, size_t *n, struct kz_err *err)
{
    int rc;

    *heads = NULL;
    *n = 0;
    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if (!v->heads_loaded && (rc = heads_load(v, err)) != KZ_OK)
        return rc;
    *heads = v->heads;
    *n = v->nheads;
    return KZ_OK;
}

const struct kz_head *
kz_vault_head(struct kz_vault *v, const unsigned char *id)
{
    const struct kz_head *all;
    size_t n, *slot;

    if (kz_vault_heads(v, &all, &n, NULL) != KZ_OK || v->nslots == 0)
        return NULL;
    slot = slot_for(v, id);
    return *slot == 0 ? NULL : &v->heads[*slot - 1];
}

/* A record the heads index holds that the file cannot find by its id. Inside a
 * transaction the index and the file are one snapshot, so the file is damaged;
 * outside one, another process may have deleted it meanwhile. */
static int
known_missing(struct kz_vault *v, const unsigned char *id, int rc, struct kz_err *err)
{
    char hex[17];

    if (rc != KZ_ENOTFOUND || !v->heads_loaded || !heads_has(v, id))
        return rc;
    kz_hex(id, 8, hex);
    if (kz_store_txn(v->st) == KZ_TXN_NONE)
        return kz_fail(err, KZ_EBUSY,
                       "record %s was changed by another process meanwhile: try again", hex);
    return kz_fail(err, KZ_EINTEGRITY,
                   "record %s is listed in the vault but cannot be found by its id: the vault "
                   "file is damaged",
                   hex);
}

/* The version records written in the current transaction get. */
static uint64_t
next_ver(const struct kz_vault *v)
{
    return v->gen + 1;
}

int
kz_vault_record_put(struct kz_vault *v, const unsigned char *id, const void *head,
                    size_t headlen, const char *body, size_t bodylen, struct kz_err *err)
{
    unsigned char *hblob = NULL, *bblob = NULL, *copy;
    size_t hlen = 0, blen = 0;
    const struct kz_head *all;
    size_t n;
    uint64_t ver = next_ver(v);
    int rc;

    if (headlen > KZ_HEAD_MAX_BYTES)
        return kz_fail(err, KZ_ERR, "internal error: a record head of %zu bytes", headlen);
    if (kz_store_txn(v->st) != KZ_TXN_WRITE)
        return kz_fail(err, KZ_ERR, "internal error: a record written outside a change");
    if ((rc = kz_vault_heads(v, &all, &n, err)) != KZ_OK)
        return rc;
    record_seal(v, v->record_key, id, ver, head, headlen, body, bodylen, &hblob, &hlen, &bblob,
                &blen);
    if (heads_has(v, id))
        rc = known_missing(v, id,
                           kz_store_record_replace(v->st, id, hblob, hlen, bblob, blen, err), err);
    else
        rc = kz_store_record_put(v->st, id, hblob, hlen, bblob, blen, err);
    if (rc == KZ_OK) {
        copy = kz_xmalloc(headlen + 1);
        memcpy(copy, head, headlen);
        copy[headlen] = '\0';
        heads_set(v, id, copy, headlen, ver);
    }
    free(hblob);
    free(bblob);
    return rc;
}

int
kz_vault_record_get(struct kz_vault *v, const unsigned char *id, char **body, size_t *len,
                    struct kz_err *err)
{
    unsigned char *blob = NULL, *plain = NULL, ad[96];
    const struct kz_head *h, *all;
    size_t n;
    char what[64];
    size_t bloblen = 0, adlen;
    int rc;

    *body = NULL;
    *len = 0;
    if ((rc = kz_vault_heads(v, &all, &n, err)) != KZ_OK) /* the body's AD needs its head */
        return rc;
    if ((h = kz_vault_head(v, id)) == NULL)
        return kz_fail(err, KZ_ENOTFOUND, "no such record");
    adlen = record_ad(ad, v, id, 1, h->ver);
    rc = known_missing(v, id, kz_store_record_get(v->st, id, NULL, NULL, &blob, &bloblen, err),
                       err);
    record_name(id, 1, what, sizeof(what));
    if (rc == KZ_OK && (rc = kz_open(v->record_key, ad, adlen, blob, bloblen, body_pad(v), 0,
                                     &plain, len, what, err)) == KZ_OK)
        *body = (char *)plain;
    free(blob);
    return rc;
}

void
kz_vault_plain_free(char *plain, size_t len)
{
    kz_plain_free((unsigned char *)plain, len, 0);
}

int
kz_vault_record_delete(struct kz_vault *v, const unsigned char *id, struct kz_err *err)
{
    const struct kz_head *all;
    size_t n;
    int rc;

    if (kz_store_txn(v->st) != KZ_TXN_WRITE)
        return kz_fail(err, KZ_ERR, "internal error: a record deleted outside a change");
    if ((rc = kz_vault_heads(v, &all, &n, err)) != KZ_OK)
        return rc;
    if ((rc = known_missing(v, id, kz_store_record_delete(v->st, id, err), err)) == KZ_OK)
        heads_remove(v, id);
    return rc;
}

/* Opens one record's body (its head from the index) into buf (cap >= bloblen
 * + 1): *head / *hlen the index's plaintext head, *body / *blen the body.
 * KZ_EINTEGRITY naming the record when the body fails or has no head. Reads
 * the index only: safe on worker threads while nothing writes it. */
static int
body_open_into(struct kz_vault *v, const unsigned char *id, const unsigned char *bblob,
               size_t bbloblen, unsigned char *buf, const unsigned char **head, size_t *hlen,
               unsigned char **body, size_t *blen, struct kz_err *err)
{
    unsigned char ad[96];
    const struct kz_head *h;
    size_t *slot, adlen;
    char hex[17];

    slot = v->nslots != 0 ? slot_for(v, id) : NULL;
    if (slot == NULL || *slot == 0) {
        kz_hex(id, 8, hex);
        return kz_fail(err, KZ_EINTEGRITY,
                       "record %s has a body but no head: the vault file was altered", hex);
    }
    h = &v->heads[*slot - 1];
    adlen = record_ad(ad, v, id, 1, h->ver);
    if (kz_open_into(v->record_key, ad, adlen, bblob, bbloblen, body_pad(v), buf, bbloblen + 1,
                     blen) != KZ_OK)
        return record_fail(err, id, 1);
    *head = h->data;
    *hlen = h->len;
    *body = buf;
    return KZ_OK;
}

/* After a walk over the bodies: every head must have had one. */
static int
walk_complete(struct kz_vault *v, size_t seen, struct kz_err *err)
{
    return seen == v->nheads
               ? KZ_OK
               : kz_fail(err, KZ_EINTEGRITY,
                         "%zu record%s no body: the vault file was altered",
                         v->nheads > seen ? v->nheads - seen : seen - v->nheads,
                         v->nheads - seen == 1 ? " has" : "s have");
}


struct walk {
    struct kz_vault *v;
    int (*cb)(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
              const char *body, size_t bodylen);
    void *ctx;
    struct kz_err *err;
    unsigned char *buf; /* reused for every record, wiped at the end */
    size_t cap, seen;
};

static int
walk_one(void *ctx, const unsigned char *id, const unsigned char *bblob, size_t bbloblen)
{
    struct walk *w = ctx;
    const unsigned char *head = NULL;
    unsigned char *body = NULL;
    size_t hlen = 0, blen = 0;
    int rc;

    buf_reserve(&w->buf, &w->cap, bbloblen + 1);
    if ((rc = body_open_into(w->v, id, bblob, bbloblen, w->buf, &head, &hlen, &body, &blen,
                             w->err)) != KZ_OK)
        return rc;
    w->seen++;
    return w->cb(w->ctx, id, head, hlen, (const char *)body, blen);
}

/* Every body in id order, in one part on the vault's connection, each
 * opened by walk_one; a non-zero return stops the walk and is returned. */
static int
walk_bodies(struct kz_vault *v, struct walk *w)
{
    struct kz_store_walk *sw = NULL;
    const unsigned char *id, *blob;
    size_t len;
    int rc;

    if ((rc = kz_store_walk_open(v->st, 1, 1, NULL, &sw, w->err)) != KZ_OK)
        return rc;
    while ((rc = kz_store_walk_next(sw, 0, &id, &blob, &len, w->err)) == KZ_OK && id != NULL) {
        if ((rc = walk_one(w, id, blob, len)) != 0)
            break;
    }
    kz_store_walk_close(sw);
    return rc;
}

int
kz_vault_record_foreach(struct kz_vault *v,
                        int (*cb)(void *ctx, const unsigned char *id, const unsigned char *head,
                                  size_t headlen, const char *body, size_t bodylen),
                        void *ctx, struct kz_err *err)
{
    struct walk w = {v, cb, ctx, err, NULL, 0, 0};
    const struct kz_head *heads;
    size_t n;
    int rc;

    if ((rc = kz_vault_heads(v, &heads, &n, err)) != KZ_OK)
        return rc;
    rc = walk_bodies(v, &w);
    if (rc == KZ_OK)
        rc = walk_complete(v, w.seen, err);
    if (w.buf != NULL) {
        sodium_memzero(w.buf, w.cap);
        free(w.buf);
    }
    return rc;
}

/* ---- transactions, the committed state and the commitment ---- */

#define COMMIT_VERSION 1
#define COMMIT_BYTES (1 + 8 + 8 + 16 + 8 + KZ_AUDIT_MAC_BYTES + 32 + 4 * KZ_COUNTERS)

/* Brings what this process holds up to the committed state when another
 * process has committed since it last looked: the heads index and the
 * commitment are dropped (to load again, checked, on next use) and the key
 * epoch is read again. A vault re-keyed under an unlocked process locks it:
 * its key no longer opens anything written from now on. Runs inside the
 * caller's snapshot. */
static int
sync_state(struct kz_vault *v, struct kz_err *err)
{
    unsigned char b4[4];
    long long dv;
    int rc;

    if (kz_store_moved(v->st))
        return kz_fail(err, KZ_ERR,
                       "the vault file %s was moved or deleted while open; nothing was done: "
                       "open it again where it is now",
                       kz_store_path(v->st));

    if ((rc = kz_store_data_version(v->st, &dv, err)) != KZ_OK)
        return rc;
    if (dv == v->dv)
        return KZ_OK;
    heads_drop(v);
    if ((rc = read_fixed(v->st, H_FORMAT, b4, 4, err)) != KZ_OK)
        return rc;
    v->format = (int)kz_get32(b4);
    if ((rc = read_fixed(v->st, H_EPOCH, b4, 4, err)) != KZ_OK)
        return rc;
    v->dv = dv;
    if (kz_get32(b4) != v->epoch) {
        v->epoch = kz_get32(b4);
        if (v->master != NULL) {
            kz_vault_lock(v);
            return kz_fail(err, KZ_EAUTH,
                           "the vault was re-keyed by another process: unlock it again");
        }
    }
    return KZ_OK;
}

int
kz_vault_release(struct kz_vault *v)
{
    if (kz_store_txn(v->st) != KZ_TXN_WRITE || !kz_store_unwritten(v->st))
        return 0;
    /* Nothing written: the heads index is the file's, and stays. */
    kz_store_rollback(v->st);
    v->released_dv = v->dv;
    return 1;
}

int
kz_vault_retake(struct kz_vault *v, int *moved, struct kz_err *err)
{
    int rc = kz_vault_begin(v, err);

    *moved = rc == KZ_OK && v->dv != v->released_dv;
    return rc;
}

int
kz_vault_begin_read(struct kz_vault *v, struct kz_err *err)
{
    int rc;

    if (kz_store_txn(v->st) != KZ_TXN_NONE)
        return kz_store_begin_read(v->st, err);
    if ((rc = kz_store_begin_read(v->st, err)) != KZ_OK)
        return rc;
    if ((rc = sync_state(v, err)) != KZ_OK)
        kz_store_end(v->st);
    return rc;
}

int
kz_vault_begin_idle(struct kz_vault *v, struct kz_err *err)
{
    long long dv;
    int rc;

    if (kz_store_txn(v->st) != KZ_TXN_NONE)
        return kz_fail(err, KZ_ERR, "internal error: work between commands inside a command");
    if ((rc = kz_store_begin_read(v->st, err)) != KZ_OK)
        return rc;
    /* data_version within the snapshot: a commit just before it counts. */
    if ((rc = kz_store_data_version(v->st, &dv, err)) == KZ_OK && dv != v->dv)
        rc = kz_fail(err, KZ_EBUSY, "another process changed the vault: the next command reads it");
    if (rc == KZ_OK && kz_store_moved(v->st))
        rc = kz_fail(err, KZ_EBUSY, "the vault file was moved: the next command says so");
    if (rc != KZ_OK)
        kz_store_end(v->st);
    return rc;
}

void
kz_vault_end_read(struct kz_vault *v)
{
    /* The outermost read snapshot ends; nested in a change it only counts. */
    if (kz_store_txn(v->st) != KZ_TXN_NONE)
        kz_store_commit(v->st, NULL);
}

int
kz_vault_begin(struct kz_vault *v, struct kz_err *err)
{
    int rc;

    if (kz_store_txn(v->st) == KZ_TXN_WRITE)
        return kz_store_begin(v->st, err);
    /* A change leaves the read snapshot a command ran in: its reads are done,
     * and the change starts from the state committed now. */
    if (kz_store_txn(v->st) == KZ_TXN_READ)
        kz_store_end(v->st);
    if ((rc = kz_store_begin(v->st, err)) != KZ_OK)
        return rc;
    if ((rc = sync_state(v, err)) != KZ_OK)
        goto fail;
    /* The commitment this change will advance must be the one in the file. */
    if (v->master != NULL && v->format >= 2 && !v->heads_loaded &&
        (rc = heads_load(v, err)) != KZ_OK)
        goto fail;
    return KZ_OK;
fail:
    kz_store_rollback(v->st);
    heads_drop(v);
    return rc;
}

static int
digest_row(void *ctx, const char *name, const unsigned char *val, size_t len)
{
    crypto_generichash_state *s = ctx;
    unsigned char b8[8];

    if (strcmp(name, H_COMMIT) == 0)
        return 0;
    kz_put64(b8, strlen(name));
    crypto_generichash_update(s, b8, 8);
    crypto_generichash_update(s, (const unsigned char *)name, strlen(name));
    kz_put64(b8, len);
    crypto_generichash_update(s, b8, 8);
    crypto_generichash_update(s, val, len);
    return 0;
}

/* BLAKE2b over every header row but the commitment: format, ids, epoch, KDF
 * parameters, key slots and their MACs, recipients, the inbox key pair. */
static int
header_digest(struct kz_vault *v, unsigned char out[32], struct kz_err *err)
{
    crypto_generichash_state s;
    int rc;

    crypto_generichash_init(&s, NULL, 0, 32);
    rc = kz_store_header_foreach(v->st, "", digest_row, &s, err);
    crypto_generichash_final(&s, out, 32);
    return rc;
}

static size_t
commit_ad(unsigned char *ad, const struct kz_vault *v)
{
    static const char label[] = "kizuna commit v1";
    size_t n = kz_vault_ad(ad, label, sizeof(label) - 1, v);

    kz_put32(ad + n, v->epoch);
    return n + 4;
}

/* Seals the commitment of generation gen + 1 (what this change leaves) into
 * the header. Runs last in a change, after every other write. */
static int
commit_write(struct kz_vault *v, struct kz_err *err)
{
    unsigned char pt[COMMIT_BYTES], ad[64], *blob = NULL, *p = pt;
    unsigned long long seq = 0;
    size_t bloblen = 0, adlen;
    int rc;

    *p++ = COMMIT_VERSION;
    kz_put64(p, v->gen + 1);
    kz_put64(p + 8, v->count);
    kz_put64(p + 16, v->sum[0]);
    kz_put64(p + 24, v->sum[1]);
    p += 32;
    if ((rc = kz_store_audit_last(v->st, &seq, p + 8, err)) != KZ_OK)
        return rc;
    kz_put64(p, seq);
    p += 8 + KZ_AUDIT_MAC_BYTES;
    if ((rc = header_digest(v, p, err)) != KZ_OK)
        return rc;
    p += 32;
    for (int i = 0; i < KZ_COUNTERS; i++)
        kz_put32(p + 4 * i, v->counters[i]);
    adlen = commit_ad(ad, v);
    kz_seal(v->commit_key, ad, adlen, pt, sizeof(pt), 1, &blob, &bloblen);
    rc = kz_store_header_put(v->st, H_COMMIT, blob, bloblen, err);
    free(blob);
    return rc;
}

/* Checks the heads just loaded (count and sum), the audit head and the header
 * against the commitment in the file; sets the generation. */
static int
commit_check(struct kz_vault *v, struct kz_err *err)
{
    unsigned char *blob = NULL, *pt = NULL, ad[64], mac[KZ_AUDIT_MAC_BYTES], dig[32];
    unsigned long long seq = 0;
    size_t bloblen = 0, len = 0, adlen = commit_ad(ad, v);
    uint64_t count, cseq;
    int rc;

    rc = kz_store_header_get(v->st, H_COMMIT, &blob, &bloblen, err);
    if (rc == KZ_ENOTFOUND)
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the vault's commitment is missing: its header was altered or rolled back");
    if (rc != KZ_OK)
        goto out;
    if (kz_open(v->commit_key, ad, adlen, blob, bloblen, 1, 1, &pt, &len, "commitment", err) !=
            KZ_OK ||
        len != COMMIT_BYTES || pt[0] != COMMIT_VERSION) {
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the vault's commitment does not open: it was altered or comes from "
                     "another key");
        goto out;
    }
    count = kz_get64(pt + 9);
    if (count != v->count) {
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the vault holds %llu records where %llu were committed: %s outside "
                     "kizuna",
                     (unsigned long long)v->count, (unsigned long long)count,
                     v->count < count ? "a record was deleted" : "a record was added");
        goto out;
    }
    if (kz_get64(pt + 17) != v->sum[0] || kz_get64(pt + 25) != v->sum[1]) {
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the vault's records do not match its commitment: a record was rolled "
                     "back, replaced or mixed with another version outside kizuna");
        goto out;
    }
    if ((rc = kz_store_audit_last(v->st, &seq, mac, err)) != KZ_OK)
        goto out;
    cseq = kz_get64(pt + 33);
    if (cseq != seq || sodium_memcmp(mac, pt + 41, KZ_AUDIT_MAC_BYTES) != 0) {
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the audit trail does not end where the vault's commitment says (entry "
                     "%llu committed, %llu found): entries were removed, added or replaced",
                     (unsigned long long)cseq, seq);
        goto out;
    }
    if ((rc = header_digest(v, dig, err)) != KZ_OK)
        goto out;
    if (sodium_memcmp(dig, pt + 41 + KZ_AUDIT_MAC_BYTES, 32) != 0) {
        /* Name what changed where a MAC of its own can tell. */
        if ((rc = kz_vault_slots_check(v, err)) != KZ_OK ||
            (rc = kz_vault_recipients_check(v, err)) != KZ_OK)
            goto out;
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the vault header was changed outside kizuna (a key slot, the custodian "
                     "slot among them, the key-derivation settings, the recipients or the "
                     "audit inbox key)");
        goto out;
    }
    v->gen = kz_get64(pt + 1);
    for (int i = 0; i < KZ_COUNTERS; i++)
        v->counters[i] = kz_get32(pt + 41 + KZ_AUDIT_MAC_BYTES + 32 + 4 * i);
    v->commit_ok = 1;
    rc = KZ_OK;
out:
    kz_plain_free(pt, len, 1);
    free(blob);
    return rc;
}

int
kz_vault_commitment_check(struct kz_vault *v, unsigned long long *gen,
                          unsigned long long *count, struct kz_err *err)
{
    int rc;

    *gen = *count = 0;
    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if (v->format < 2)
        return kz_fail(err, KZ_EINTEGRITY, "the vault has no commitment (format %d)",
                       v->format);
    heads_drop(v); /* load and check afresh */
    if ((rc = heads_load(v, err)) != KZ_OK)
        return rc;
    *gen = v->gen;
    *count = v->count;
    return KZ_OK;
}

int
kz_vault_counter(struct kz_vault *v, int which, uint32_t *value, struct kz_err *err)
{
    const struct kz_head *heads;
    size_t n;
    int rc;

    *value = 0;
    if (which < 0 || which >= KZ_COUNTERS)
        return kz_fail(err, KZ_ERR, "internal error: no counter %d", which);
    if ((rc = kz_vault_heads(v, &heads, &n, err)) != KZ_OK)
        return rc;
    *value = v->counters[which];
    return KZ_OK;
}

int
kz_vault_counter_claim(struct kz_vault *v, int which, uint32_t num, struct kz_err *err)
{
    uint32_t cur = 0;
    int rc;

    if (kz_store_txn(v->st) != KZ_TXN_WRITE)
        return kz_fail(err, KZ_ERR, "internal error: a counter claimed outside a change");
    if ((rc = kz_vault_counter(v, which, &cur, err)) != KZ_OK)
        return rc;
    if (num > cur)
        v->counters[which] = num;
    return KZ_OK;
}

int
kz_vault_commit(struct kz_vault *v, struct kz_err *err)
{
    int rc, advance;

    if (kz_store_txn(v->st) != KZ_TXN_WRITE)
        return kz_store_commit(v->st, err);
    if (kz_store_depth(v->st) > 1)
        return kz_store_commit(v->st, err);
    advance = v->master != NULL && v->format >= 2;
    if (advance && !v->commit_ok && (rc = heads_load(v, err)) != KZ_OK)
        goto fail;
    if (advance && (rc = commit_write(v, err)) != KZ_OK)
        goto fail;
    if ((rc = kz_store_commit(v->st, err)) != KZ_OK) {
        heads_drop(v);
        return rc;
    }
    if (advance)
        v->gen++;
    kz_store_checkpoint(v->st);
    return KZ_OK;
fail:
    kz_store_rollback(v->st);
    heads_drop(v);
    return rc;
}

void
kz_vault_settle(struct kz_vault *v)
{
    if (v != NULL)
        kz_store_settle(v->st);
}

void
kz_vault_rollback(struct kz_vault *v)
{
    kz_store_rollback(v->st);
    heads_drop(v); /* the index may hold rolled-back changes: reload on next use */
    v->dv = -1;    /* and the next begin reads the committed state again */
}

/* ---- the parallel walk ---- */

struct pwalk {
    struct kz_vault *v;
    int (*want)(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen);
    int (*cb)(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
              const char *body, size_t bodylen);
    void *ctx;
    struct kz_store_walk *sw;
    atomic_int stop; /* a part failed: the others stop at their next row */
};

struct ppart {
    struct pwalk *w;
    int part;
    size_t seen;
    int rc; /* the part's error, or cb's non-zero return (no message then) */
    struct kz_err err;
};

/* want's answer for a body's record by its head; a body without a head is
 * wanted, so that opening it reports it. */
static int
wanted(struct pwalk *w, const unsigned char *id)
{
    size_t *slot = w->v->nslots != 0 ? slot_for(w->v, id) : NULL;
    const struct kz_head *h;

    if (slot == NULL || *slot == 0)
        return 1;
    h = &w->v->heads[*slot - 1];
    return w->want(w->ctx, id, h->data, h->len);
}

/* One key range of the bodies: each read (SQLite's steps take turns on the
 * connection), opened into a scratch buffer and handed to cb on this thread;
 * the first failure stops every part. */
static void
part_walk(void *arg)
{
    struct ppart *pp = arg;
    struct pwalk *w = pp->w;
    unsigned char *buf = NULL;
    size_t cap = 0;

    while (!atomic_load(&w->stop)) {
        const unsigned char *id, *blob, *head = NULL;
        unsigned char *body = NULL;
        size_t len, hl = 0, bl = 0;
        int rc = kz_store_walk_next(w->sw, pp->part, &id, &blob, &len, &pp->err);
        if (rc == KZ_OK && id == NULL)
            break;
        if (rc == KZ_OK && w->want != NULL && !wanted(w, id)) {
            pp->seen++; /* there, and not opened */
            continue;
        }
        if (rc == KZ_OK) {
            buf_reserve(&buf, &cap, len + 1);
            rc = body_open_into(w->v, id, blob, len, buf, &head, &hl, &body, &bl, &pp->err);
        }
        if (rc == KZ_OK) {
            pp->seen++;
            if ((rc = w->cb(w->ctx, id, head, hl, (const char *)body, bl)) != 0)
                pp->err.msg[0] = '\0'; /* cb's own return, no message of ours */
        }
        if (rc != KZ_OK) {
            pp->rc = rc;
            atomic_store(&w->stop, 1);
            break;
        }
    }
    part_done(w->sw, pp->part, buf, cap);
}

int
kz_vault_record_foreach_parallel(struct kz_vault *v,
                                 int (*cb)(void *ctx, const unsigned char *id,
                                           const unsigned char *head, size_t headlen,
                                           const char *body, size_t bodylen),
                                 void *ctx, struct kz_err *err)
{
    return kz_vault_record_foreach_some(v, NULL, cb, ctx, err);
}

int
kz_vault_record_foreach_some(struct kz_vault *v,
                             int (*want)(void *ctx, const unsigned char *id,
                                         const unsigned char *head, size_t headlen),
                             int (*cb)(void *ctx, const unsigned char *id,
                                       const unsigned char *head, size_t headlen,
                                       const char *body, size_t bodylen),
                             void *ctx, struct kz_err *err)
{
    struct pwalk w;
    struct ppart *parts;
    const struct kz_head *heads;
    size_t nheads, seen = 0;
    int rc, n, k;

    /* The parts read the heads index: it is loaded here, and nothing writes it
     * until they are done. */
    if ((rc = kz_vault_heads(v, &heads, &nheads, err)) != KZ_OK)
        return rc;
    n = kz_vault_parts_wanted();
    memset(&w, 0, sizeof(w));
    w.v = v;
    w.want = want;
    w.cb = cb;
    w.ctx = ctx;
    if ((rc = kz_store_walk_open(v->st, 1, n, v->format >= 2 ? H_COMMIT : NULL, &w.sw, err)) !=
        KZ_OK)
        return rc;
    /* Each part on a thread of its own, the first on this one: no reader
     * thread hands rows to others, and no row is copied again. */
    n = kz_store_walk_parts(w.sw);
    parts = kz_xcalloc((size_t)n, sizeof(*parts));
    for (k = 0; k < n; k++) {
        parts[k].w = &w;
        parts[k].part = k;
    }
    kz_vault_parts_run(part_walk, parts, sizeof(*parts), n);
    kz_store_walk_close(w.sw);
    rc = KZ_OK;
    for (k = 0; k < n; k++) {
        seen += parts[k].seen;
        if (rc == KZ_OK && parts[k].rc != KZ_OK) {
            rc = parts[k].rc;
            if (parts[k].err.msg[0] != '\0' && err != NULL)
                *err = parts[k].err;
        }
    }
    if (rc == KZ_OK)
        rc = walk_complete(v, seen, err);
    sodium_memzero(parts, (size_t)n * sizeof(*parts));
    free(parts);
    return rc;
}

/* ---- records by id, on every core ---- */

/* Fewer records than this are opened on the caller's thread alone. */
#define RECORDS_OPEN_PARTS_MIN 64

struct idpos {
    unsigned char id[KZ_RECORD_ID_BYTES];
    size_t i; /* its place in the caller's list */
};

struct pids {
    struct kz_vault *v;
    const struct idpos *e;
    size_t from, to; /* this part's share of e, in id order */
    int (*cb)(void *ctx, size_t i, const unsigned char *id, const unsigned char *head,
              size_t headlen, const char *body, size_t bodylen, struct kz_err *err);
    void *ctx;
    struct kz_store_walk *sw;
    atomic_int *stop;
    int part, rc;
    struct kz_err err;
};

static int
by_id(const void *a, const void *b)
{
    return memcmp(((const struct idpos *)a)->id, ((const struct idpos *)b)->id,
                  KZ_RECORD_ID_BYTES);
}

/* One part's ids, read on its own connection, opened and handed to cb on
 * this thread; the first failure stops every part. */
static void
ids_walk(void *arg)
{
    struct pids *p = arg;
    unsigned char *buf = NULL;
    size_t cap = 0, k;

    for (k = p->from; k < p->to && !atomic_load(p->stop); k++) {
        const unsigned char *id = p->e[k].id, *blob = NULL, *head = NULL;
        unsigned char *body = NULL;
        size_t len = 0, hl = 0, bl = 0;
        int rc = kz_store_walk_get(p->sw, p->part, id, &blob, &len, &p->err);
        if (rc != KZ_OK)
            rc = known_missing(p->v, id, rc, &p->err);
        if (rc == KZ_OK) {
            buf_reserve(&buf, &cap, len + 1);
            rc = body_open_into(p->v, id, blob, len, buf, &head, &hl, &body, &bl, &p->err);
        }
        if (rc == KZ_OK)
            rc = p->cb(p->ctx, p->e[k].i, id, head, hl, (const char *)body, bl, &p->err);
        if (rc != KZ_OK) {
            p->rc = rc;
            atomic_store(p->stop, 1);
        }
    }
    part_done(p->sw, p->part, buf, cap);
}

int
kz_vault_records_open(struct kz_vault *v, const unsigned char (*ids)[KZ_RECORD_ID_BYTES],
                      size_t n,
                      int (*cb)(void *ctx, size_t i, const unsigned char *id,
                                const unsigned char *head, size_t headlen, const char *body,
                                size_t bodylen, struct kz_err *err),
                      void *ctx, struct kz_err *err)
{
    const struct kz_head *heads;
    struct idpos *e;
    struct pids *parts;
    struct kz_store_walk *sw = NULL;
    size_t nheads, k;
    atomic_int stop = 0;
    int rc, np;

    if (n == 0)
        return KZ_OK;
    /* The parts read the heads index (the bodies' AD): loaded here, and
     * nothing writes it until they are done. */
    if ((rc = kz_vault_heads(v, &heads, &nheads, err)) != KZ_OK)
        return rc;
    /* In id order, each part a run of neighbours in the file's b-tree. */
    e = kz_xcalloc(n, sizeof(*e));
    for (k = 0; k < n; k++) {
        memcpy(e[k].id, ids[k], KZ_RECORD_ID_BYTES);
        e[k].i = k;
    }
    qsort(e, n, sizeof(*e), by_id);
    /* A few records are read faster than another connection opens. */
    np = n >= RECORDS_OPEN_PARTS_MIN ? kz_vault_parts_wanted() : 1;
    if ((rc = kz_store_walk_open(v->st, KZ_WALK_POINT, np, v->format >= 2 ? H_COMMIT : NULL,
                                 &sw, err)) != KZ_OK) {
        free(e);
        return rc;
    }
    np = kz_store_walk_parts(sw);
    parts = kz_xcalloc((size_t)np, sizeof(*parts));
    for (k = 0; k < (size_t)np; k++) {
        parts[k].v = v;
        parts[k].e = e;
        parts[k].from = n * k / (size_t)np;
        parts[k].to = n * (k + 1) / (size_t)np;
        parts[k].cb = cb;
        parts[k].ctx = ctx;
        parts[k].sw = sw;
        parts[k].stop = &stop;
        parts[k].part = (int)k;
    }
    kz_vault_parts_run(ids_walk, parts, sizeof(*parts), np);
    kz_store_walk_close(sw);
    rc = KZ_OK;
    for (k = 0; k < (size_t)np; k++) {
        if (rc == KZ_OK && parts[k].rc != KZ_OK) {
            rc = parts[k].rc;
            if (err != NULL)
                *err = parts[k].err;
        }
    }
    sodium_memzero(parts, (size_t)np * sizeof(*parts));
    free(parts);
    free(e);
    return rc;
}

/* ---- backup recipients ---- */

#define H_RECIPIENTS "recipients"
#define H_RECIPIENTS_MAC "recipients.mac"

static void
recipients_mac(struct kz_vault *v, const char *text, unsigned char mac[32])
{
    unsigned char key[32];
    crypto_generichash_state s;

    kz_vault_subkey(v, v->master, KZ_SUBKEY_RECIPIENTS, "kzrecips", key);
    crypto_generichash_init(&s, key, sizeof(key), 32);
    crypto_generichash_update(&s, v->id, sizeof(v->id));
    crypto_generichash_update(&s, (const unsigned char *)text, strlen(text));
    crypto_generichash_final(&s, mac, 32);
    sodium_memzero(key, sizeof(key));
}

int
kz_vault_recipients(struct kz_vault *v, char **text, struct kz_err *err)
{
    unsigned char *val = NULL;
    size_t len = 0;
    int rc = kz_store_header_get(v->st, H_RECIPIENTS, &val, &len, err);

    if (rc == KZ_ENOTFOUND) {
        *text = kz_xstrdup("");
        return KZ_OK;
    }
    *text = (char *)val;
    return rc;
}

int
kz_vault_set_recipients(struct kz_vault *v, const char *text, struct kz_err *err)
{
    unsigned char mac[32];
    int rc;

    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    recipients_mac(v, text, mac);
    if ((rc = kz_store_header_put(v->st, H_RECIPIENTS, text, strlen(text), err)) != KZ_OK)
        return rc;
    return kz_store_header_put(v->st, H_RECIPIENTS_MAC, mac, sizeof(mac), err);
}

int
kz_vault_recipients_check(struct kz_vault *v, struct kz_err *err)
{
    unsigned char want[32], *mac = NULL;
    size_t len = 0;
    char *text = NULL;
    int rc;

    if ((rc = need_key(v, err)) != KZ_OK || (rc = kz_vault_recipients(v, &text, err)) != KZ_OK)
        return rc;
    rc = kz_store_header_get(v->st, H_RECIPIENTS_MAC, &mac, &len, err);
    if (rc == KZ_ENOTFOUND && *text == '\0') {
        rc = KZ_OK; /* never set */
    } else if (rc == KZ_OK || rc == KZ_ENOTFOUND) {
        recipients_mac(v, text, want);
        rc = (mac != NULL && len == 32 && sodium_memcmp(mac, want, 32) == 0)
                 ? KZ_OK
                 : kz_fail(err, KZ_EINTEGRITY,
                           "the backup recipients were changed without the passphrase");
    }
    free(mac);
    free(text);
    return rc;
}

/* ---- rekey, and the upgrade of a format-1 vault ---- */

/* Re-seals every record under new_key as epoch new_epoch in format 2, each at
 * version gen + 1, inside the caller's change; the heads index follows (new
 * versions) and *sum / *count get the commitment's sums under new_elem. The
 * bodies are read in id order a batch at a time (no lookup per record) on the
 * caller's thread, opened and sealed anew on every core, and written back in
 * the order they were read, by the caller: SQLite stays on one thread and the
 * change stays one transaction. */
struct reseal {
    struct kz_vault *v;
    const struct kz_vault *nv;
    const unsigned char *new_key;
    uint64_t newver, sum[2], count;
    struct pipe p;
    struct pjob *cur;
    size_t want;
    void (*progress)(void *ctx, unsigned long long done, unsigned long long total);
    void *pctx;
    struct kz_err *err;
};

/* Worker: opens each body of a job (its head from the index) and seals both
 * under the new key; stops at the first that fails. */
static void
reseal_run(struct pipe *p, struct pjob *j, unsigned char **buf, size_t *cap)
{
    struct reseal *r = p->ctx;
    size_t i;
    uint64_t e[2];

    for (i = 0; i < j->n; i++) {
        struct pitem *it = &j->items[i];
        const unsigned char *head = NULL;
        unsigned char *body = NULL;
        size_t hlen = 0, blen = 0;
        buf_reserve(buf, cap, it->len + 1);
        if ((j->rc = body_open_into(r->v, it->id, j->in + it->off, it->len, *buf, &head, &hlen,
                                    &body, &blen, &j->err)) != KZ_OK)
            break;
        if (hlen > KZ_HEAD_MAX_BYTES) {
            j->rc = record_fail(&j->err, it->id, 0);
            break;
        }
        record_seal(r->nv, r->new_key, it->id, r->newver, head, hlen, body, blen, &it->nh,
                    &it->nhl, &it->nb, &it->nbl);
        elem(r->nv, it->id, r->newver, e);
        j->sum[0] += e[0];
        j->sum[1] += e[1];
        j->count++;
    }
    j->failed = i;
}

/* Caller: writes a job's records back, in order. */
static int
reseal_take(void *ctx, struct pjob *j)
{
    struct reseal *r = ctx;
    size_t i;
    int rc;

    for (i = 0; i < j->failed; i++) {
        struct pitem *it = &j->items[i];
        if ((rc = known_missing(r->v, it->id,
                                kz_store_record_replace(r->v->st, it->id, it->nh, it->nhl, it->nb,
                                                        it->nbl, r->err),
                                r->err)) != KZ_OK)
            return rc;
    }
    if (j->failed < j->n) {
        if (r->err != NULL)
            *r->err = j->err;
        return j->rc;
    }
    r->sum[0] += j->sum[0];
    r->sum[1] += j->sum[1];
    r->count += j->count;
    if (r->progress != NULL)
        r->progress(r->pctx, r->count, r->v->nheads);
    return KZ_OK;
}

static int
reseal_row(void *ctx, const unsigned char *id, const unsigned char *bblob, size_t bbloblen)
{
    struct reseal *r = ctx;

    (void)job_add(r->cur, id, bblob, bbloblen); /* the batch's LIMIT bounds it */
    return 0;
}

static int
reseal_all(struct kz_vault *v, const unsigned char *new_key, const unsigned char *new_elem,
           uint32_t new_epoch, uint64_t sum[2], uint64_t *count,
           void (*progress)(void *ctx, unsigned long long done, unsigned long long total),
           void *pctx, struct kz_err *err)
{
    struct kz_vault nv = *v; /* the record format as it will be */
    struct reseal *r = kz_xcalloc(1, sizeof(*r));
    unsigned char last[KZ_RECORD_ID_BYTES];
    int rc = KZ_OK, got = 0, first = 1;

    nv.epoch = new_epoch;
    nv.format = KZ_STORE_FORMAT;
    nv.elem_key = (unsigned char *)new_elem;
    r->v = v;
    r->nv = &nv;
    r->new_key = new_key;
    r->newver = v->gen + 1;
    r->progress = progress;
    r->pctx = pctx;
    r->err = err;
    pipe_start(&r->p, reseal_run, r);
    do {
        r->cur = job_new();
        rc = kz_store_body_batch(v->st, first ? NULL : last, JOB_ITEMS, reseal_row, r, &got,
                                 err);
        first = 0;
        if (rc == KZ_OK && r->cur->n > 0) {
            memcpy(last, r->cur->items[r->cur->n - 1].id, KZ_RECORD_ID_BYTES);
            pipe_submit(&r->p, r->cur);
            r->cur = NULL;
        }
        job_free(r->cur);
        r->cur = NULL;
        if (rc == KZ_OK)
            rc = pipe_drain(&r->p, &r->want, 0, reseal_take, r);
    } while (rc == KZ_OK && got == JOB_ITEMS);
    if (rc == KZ_OK)
        rc = pipe_drain(&r->p, &r->want, 1, reseal_take, r);
    else
        atomic_store(&r->p.stop, 1);
    pipe_end(&r->p);
    if (rc == KZ_OK)
        rc = walk_complete(v, (size_t)r->count, err);
    sum[0] = r->sum[0];
    sum[1] = r->sum[1];
    *count = r->count;
    free(r);
    return rc;
}

/* After a reseal committed: the index holds the new versions. */
static void
heads_reversion(struct kz_vault *v, uint64_t ver, const uint64_t sum[2], uint64_t count)
{
    size_t i;

    for (i = 0; i < v->nheads; i++)
        v->heads[i].ver = ver;
    v->sum[0] = sum[0];
    v->sum[1] = sum[1];
    v->count = count;
}

/* Checks pass against the passphrase slot as it is now: *kek (secure) gets the
 * key it derives, which wraps the master key again. */
static int
pass_kek(struct kz_vault *v, const char *pass, size_t passlen, unsigned char **kek,
         unsigned char **enc, size_t *enclen, struct kz_kdf_params *kdf, struct kz_err *err)
{
    unsigned char ad[SLOT_AD_MAX], *blob = NULL, *mk = NULL;
    size_t adlen, bloblen = 0, mklen = 0;
    struct kz_err ignored;
    int rc;

    *kek = NULL;
    if ((rc = kz_store_header_get(v->st, H_KDF, enc, enclen, err)) != KZ_OK ||
        (rc = kz_kdf_decode(*enc, *enclen, kdf, err)) != KZ_OK)
        return rc;
    *kek = kz_secure_alloc(KZ_KEY_BYTES);
    if ((rc = kz_kdf_derive(kdf, pass, passlen, *kek, err)) != KZ_OK)
        return rc;
    adlen = slot_ad(ad, LABEL_PASS, v->id, *enc);
    if ((rc = kz_store_header_get(v->st, H_SLOT_PASS, &blob, &bloblen, err)) == KZ_OK) {
        if (kz_open(*kek, ad, adlen, blob, bloblen, 1, 1, &mk, &mklen, "slot", &ignored) !=
                KZ_OK ||
            mklen != KZ_KEY_BYTES || sodium_memcmp(mk, v->master, KZ_KEY_BYTES) != 0)
            rc = kz_fail(err, KZ_EAUTH, "wrong passphrase");
    }
    kz_plain_free(mk, mklen, 1);
    free(blob);
    return rc;
}

/* Long (about 110 lines): the steps of a rekey (check the passphrase, walk
 * the chain, new keys, reseal in batches, new slots, key history, commit)
 * must run in this order inside one transaction, with every secret wiped on
 * each way out; split, each piece would need the whole state passed along. */
int
kz_vault_rekey(struct kz_vault *v, const char *pass, size_t passlen, const char *newpass,
               size_t newpasslen, char **recovery,
               void (*progress)(void *ctx, unsigned long long done, unsigned long long total),
               void *pctx, struct kz_err *err)
{
    unsigned char *new_master = NULL, *new_record = NULL, *new_commit = NULL, *new_elem = NULL;
    unsigned char *old_master = NULL, *old_record = NULL, *old_commit = NULL, *old_elem = NULL;
    unsigned char *kek = NULL, *enc = NULL, b4[4];
    struct kz_kdf_params kdf;
    size_t enclen = 0;
    uint64_t sum[2] = {0, 0}, count = 0;
    uint32_t old_epoch, new_epoch;
    int rc, began = 0;

    *recovery = NULL;
    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if (kz_store_txn(v->st) == KZ_TXN_WRITE)
        return kz_fail(err, KZ_ERR, "internal error: rekey inside another change");
    /* One change from the committed state; the passphrase must open the slot
     * as it is now (one Argon2id run, whose key then wraps the new master key
     * unless a new passphrase is given). */
    if ((rc = kz_vault_begin(v, err)) != KZ_OK)
        goto out;
    began = 1;
    if ((rc = pass_kek(v, pass, passlen, &kek, &enc, &enclen, &kdf, err)) != KZ_OK)
        goto out;
    if (!v->heads_loaded && (rc = heads_load(v, err)) != KZ_OK)
        goto out;
    /* The new key vouches for the chain from here on: it must be whole now. */
    if ((rc = kz_vault_audit_walk(v, NULL, NULL, err)) != KZ_OK)
        goto out;
    new_master = kz_secure_alloc(KZ_KEY_BYTES);
    new_record = kz_secure_alloc(KZ_KEY_BYTES);
    new_commit = kz_secure_alloc(KZ_KEY_BYTES);
    new_elem = kz_secure_alloc(KZ_KEY_BYTES);
    crypto_kdf_keygen(new_master);
    kz_vault_subkey(v, new_master, KZ_SUBKEY_RECORDS, "kzrecord", new_record);
    kz_vault_subkey(v, new_master, KZ_SUBKEY_COMMIT, "kzcommit", new_commit);
    kz_vault_subkey(v, new_master, KZ_SUBKEY_ELEMENT, "kzelemnt", new_elem);
    old_epoch = v->epoch;
    new_epoch = v->epoch + 1;
    if ((rc = reseal_all(v, new_record, new_elem, new_epoch, sum, &count, progress, pctx, err)) !=
        KZ_OK)
        goto out;
    if ((rc = kz_vault_audit_rekey(v, new_master, new_epoch, err)) != KZ_OK)
        goto out;
    /* From here the vault handle holds the new key and epoch. */
    old_master = v->master, old_record = v->record_key;
    old_commit = v->commit_key, old_elem = v->elem_key;
    v->master = new_master, v->record_key = new_record;
    v->commit_key = new_commit, v->elem_key = new_elem;
    new_master = new_record = new_commit = new_elem = NULL;
    kz_vault_audit_keys(v);
    v->epoch = new_epoch;
    v->format = KZ_STORE_FORMAT;
    heads_reversion(v, v->gen + 1, sum, count);
    if (newpass != NULL) {
        randombytes_buf(kdf.salt, sizeof(kdf.salt));
        rc = write_pass_slot(v, newpass, newpasslen, &kdf, err);
    } else {
        rc = seal_pass_slot(v, kek, enc, err);
    }
    if (rc == KZ_OK)
        rc = write_recovery_slot(v, recovery, err);
    /* The custodian slot's key is only in the shares: it cannot wrap the new
     * key, and an old share set must open nothing from now on. */
    if (rc == KZ_OK)
        rc = custodian_drop(v, err);
    kz_put32(b4, new_epoch);
    if (rc == KZ_OK)
        rc = kz_store_header_put(v->st, H_EPOCH, b4, 4, err);
    kz_put32(b4, KZ_STORE_FORMAT);
    if (rc == KZ_OK)
        rc = kz_store_header_put(v->st, H_FORMAT, b4, 4, err);
    if (rc == KZ_OK) {
        /* The recipients' MAC follows the new key. */
        char *text = NULL;
        if ((rc = kz_vault_recipients(v, &text, err)) == KZ_OK && *text != '\0')
            rc = kz_vault_set_recipients(v, text, err);
        free(text);
    }
    if (rc == KZ_OK) {
        v->commit_ok = 1;
        rc = kz_vault_commit(v, err);
        began = 0;
    }
    if (rc != KZ_OK) {
        /* Nothing of it was saved: back to the key the file still has. */
        if (began)
            kz_vault_rollback(v);
        began = 0;
        kz_secure_free(v->master), kz_secure_free(v->record_key);
        kz_secure_free(v->commit_key), kz_secure_free(v->elem_key);
        v->master = old_master, v->record_key = old_record;
        v->commit_key = old_commit, v->elem_key = old_elem;
        old_master = old_record = old_commit = old_elem = NULL;
        kz_vault_audit_keys(v);
        v->epoch = old_epoch;
        v->dv = -1; /* read the state again before the next use */
        heads_drop(v);
    }
out:
    if (began)
        kz_vault_rollback(v);
    if (rc != KZ_OK) {
        kz_secure_free(*recovery);
        *recovery = NULL;
    }
    kz_secure_free(old_master);
    kz_secure_free(old_record);
    kz_secure_free(old_commit);
    kz_secure_free(old_elem);
    kz_secure_free(new_master);
    kz_secure_free(new_record);
    kz_secure_free(new_commit);
    kz_secure_free(new_elem);
    kz_secure_free(kek);
    free(enc);
    return rc;
}

/* A vault of format 1 (kizuna 0.1: no versions, no commitment, kinds visible
 * by size) is brought to format 2 at its first unlock, in one change under the
 * same key: every record re-sealed, then the first commitment. */
static int
upgrade(struct kz_vault *v, struct kz_err *err)
{
    uint64_t sum[2] = {0, 0}, count = 0;
    unsigned char b4[4];
    int rc;

    if ((rc = kz_vault_begin(v, err)) != KZ_OK)
        return rc;
    if (v->format >= 2) /* another process did it meanwhile */
        return kz_vault_commit(v, err);
    if (!v->heads_loaded && (rc = heads_load(v, err)) != KZ_OK)
        goto fail;
    v->gen = 0;
    if ((rc = reseal_all(v, v->record_key, v->elem_key, v->epoch, sum, &count, NULL, NULL,
                         err)) != KZ_OK)
        goto fail;
    kz_put32(b4, KZ_STORE_FORMAT);
    if ((rc = kz_store_header_put(v->st, H_FORMAT, b4, 4, err)) != KZ_OK)
        goto fail;
    v->format = KZ_STORE_FORMAT;
    heads_reversion(v, 1, sum, count);
    v->commit_ok = 1;
    if ((rc = kz_vault_commit(v, err)) == KZ_OK)
        return KZ_OK;
    v->format = 1;
    v->dv = -1;
    return rc;
fail:
    kz_vault_rollback(v);
    return rc;
}

/* After a slot opened: upgrade an old vault, then load the heads index and
 * check it against the commitment. A vault that fails the check stays locked. */
int
kz_vault_after_open(struct kz_vault *v, struct kz_err *err)
{
    const struct kz_head *heads;
    size_t n;
    int rc = KZ_OK;

    if (v->format < 2)
        rc = upgrade(v, err);
    if (rc == KZ_OK)
        rc = kz_vault_heads(v, &heads, &n, err);
    if (rc != KZ_OK)
        kz_vault_lock(v);
    return rc;
}
