/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/bytes.h"
#include "kizuna/secmem.h"
#include "kizuna/seal.h"
#include "kizuna/vault.h"
#include "kizuna/wipe.h"
#include "internal.h"

#define H_FORMAT "format"
#define H_ID "vault_id"
#define H_EPOCH "epoch"
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

/* Record associated data: label, vault id, record id, key epoch, part (0 head, 1 body). */
static size_t
record_ad(unsigned char *ad, const struct kz_vault *v, const unsigned char *rid, int part)
{
    static const char label[] = "kizuna record v1";
    size_t n = sizeof(label) - 1;

    memcpy(ad, label, n);
    memcpy(ad + n, v->id, KZ_VAULT_ID_BYTES);
    n += KZ_VAULT_ID_BYTES;
    memcpy(ad + n, rid, KZ_RECORD_ID_BYTES);
    n += KZ_RECORD_ID_BYTES;
    kz_put32(ad + n, v->epoch);
    ad[n + 4] = (unsigned char)part;
    return n + 5;
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
    kz_vault_subkey(v, v->master, KZ_SUBKEY_RECORDS, "kzrecord", v->record_key);
}

static void heads_drop(struct kz_vault *v);

void
kz_vault_lock(struct kz_vault *v)
{
    if (v == NULL)
        return;
    heads_drop(v);
    kz_secure_free(v->master); /* sodium_free wipes */
    kz_secure_free(v->record_key);
    v->master = NULL;
    v->record_key = NULL;
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
    if ((rc = kz_store_open(path, 0, &v->st, err)) != KZ_OK)
        goto fail;
    if ((rc = read_fixed(v->st, H_FORMAT, b4, 4, err)) != KZ_OK)
        goto fail;
    if (kz_get32(b4) != KZ_STORE_FORMAT) {
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
static void
slot_mac(const struct kz_vault *v, const char *name, const unsigned char *blob, size_t bloblen,
         const unsigned char *extra, size_t extralen, unsigned char mac[32])
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
    slot_mac(v, H_SLOT_PASS, blob, bloblen, enc, KZ_KDF_ENCODED_BYTES, mac);
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
    slot_mac(v, H_SLOT_RECOVERY, blob, bloblen, NULL, 0, mac);
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
    v->master = kz_secure_alloc(KZ_KEY_BYTES);
    crypto_kdf_keygen(v->master);
    derive_record_key(v);
    if ((rc = kz_store_begin(v->st, err)) != KZ_OK)
        goto fail;
    kz_put32(b4, KZ_STORE_FORMAT);
    if ((rc = kz_store_header_put(v->st, H_FORMAT, b4, 4, err)) != KZ_OK ||
        (rc = kz_store_header_put(v->st, H_ID, v->id, sizeof(v->id), err)) != KZ_OK)
        goto rollback;
    kz_put32(b4, v->epoch);
    if ((rc = kz_store_header_put(v->st, H_EPOCH, b4, 4, err)) != KZ_OK ||
        (rc = write_pass_slot(v, pass, passlen, &k, err)) != KZ_OK ||
        (rc = write_recovery_slot(v, recovery, err)) != KZ_OK ||
        (rc = kz_vault_inbox_create(v, err)) != KZ_OK ||
        (rc = kz_store_commit(v->st, err)) != KZ_OK)
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
    info->format = KZ_STORE_FORMAT;
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
static int
open_slot(struct kz_vault *v, const char *slot, const unsigned char *kek,
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
    int rc;

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
    rc = open_slot(v, H_SLOT_PASS, kek, ad, adlen, err);
    if (rc == KZ_EAUTH && err != NULL && err->code != KZ_EAUTH)
        kz_fail(err, KZ_EAUTH, "wrong passphrase");
out:
    kz_secure_free(kek);
    free(enc);
    return rc;
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
    rc = open_slot(v, H_SLOT_RECOVERY, kek, ad, adlen, err);
    if (rc == KZ_EAUTH && err != NULL && err->code != KZ_EAUTH)
        kz_fail(err, KZ_EAUTH, "wrong recovery key");
out:
    kz_secure_free(raw);
    kz_secure_free(kek);
    return rc;
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
    if ((rc = kz_store_begin(v->st, err)) != KZ_OK)
        goto out;
    if ((rc = write_pass_slot(v, pass, passlen, &k, err)) != KZ_OK ||
        (rc = kz_store_commit(v->st, err)) != KZ_OK)
        kz_store_rollback(v->st);
out:
    free(enc);
    return rc;
}

int
kz_vault_rotate_recovery(struct kz_vault *v, char **recovery, struct kz_err *err)
{
    int rc;

    *recovery = NULL;
    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if ((rc = kz_store_begin(v->st, err)) != KZ_OK)
        return rc;
    if ((rc = write_recovery_slot(v, recovery, err)) != KZ_OK ||
        (rc = kz_store_commit(v->st, err)) != KZ_OK) {
        kz_store_rollback(v->st);
        kz_secure_free(*recovery);
        *recovery = NULL;
    }
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
    slot_mac(v, name, blob, bloblen, extra, extralen, want);
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

int
kz_vault_slots_check(struct kz_vault *v, struct kz_err *err)
{
    int rc;

    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if ((rc = slot_check(v, H_SLOT_PASS, H_SLOT_PASS_MAC, H_KDF, "passphrase", err)) != KZ_OK)
        return rc;
    return slot_check(v, H_SLOT_RECOVERY, H_SLOT_RECOVERY_MAC, NULL, "recovery key", err);
}

int
kz_vault_begin(struct kz_vault *v, struct kz_err *err)
{
    return kz_store_begin(v->st, err);
}

int
kz_vault_commit(struct kz_vault *v, struct kz_err *err)
{
    return kz_store_commit(v->st, err);
}

void
kz_vault_rollback(struct kz_vault *v)
{
    kz_store_rollback(v->st);
    heads_drop(v); /* the index may hold rolled-back changes: reload on next use */
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

    for (i = 0; i < v->nheads; i++) {
        sodium_memzero(v->heads[i].data, v->heads[i].len);
        free(v->heads[i].data);
    }
    free(v->heads);
    free(v->slots);
    v->heads = NULL;
    v->slots = NULL;
    v->nheads = v->capheads = v->nslots = 0;
    v->heads_loaded = 0;
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

/* Takes ownership of data. */
static void
heads_set(struct kz_vault *v, const unsigned char *id, unsigned char *data, size_t len)
{
    size_t *slot;

    if (v->nslots == 0 || (v->nheads + 1) * 2 > v->nslots)
        rehash(v, v->nslots ? v->nslots * 2 : 1024);
    slot = slot_for(v, id);
    if (*slot != 0) {
        struct kz_head *h = &v->heads[*slot - 1];
        sodium_memzero(h->data, h->len);
        free(h->data);
        h->data = data;
        h->len = len;
        return;
    }
    if (v->nheads == v->capheads) {
        v->capheads = v->capheads ? v->capheads * 2 : 256;
        v->heads = kz_xrealloc(v->heads, v->capheads * sizeof(*v->heads));
    }
    memcpy(v->heads[v->nheads].id, id, KZ_RECORD_ID_BYTES);
    v->heads[v->nheads].data = data;
    v->heads[v->nheads].len = len;
    v->nheads++;
    *slot = v->nheads;
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
    sodium_memzero(v->heads[pos].data, v->heads[pos].len);
    free(v->heads[pos].data);
    v->heads[pos] = v->heads[--v->nheads];
    rehash(v, v->nslots); /* positions moved: rebuild (deletes are rare) */
}

static int
open_part(struct kz_vault *v, const unsigned char *id, int part, const unsigned char *blob,
          size_t bloblen, unsigned char **plain, size_t *len, struct kz_err *err)
{
    unsigned char ad[80];
    char hex[2 * KZ_RECORD_ID_BYTES + 1], what[64];
    size_t adlen = record_ad(ad, v, id, part);

    kz_hex(id, 8, hex);
    snprintf(what, sizeof(what), "record %s%s", hex, part == 0 ? " (head)" : "");
    return kz_open(v->record_key, ad, adlen, blob, bloblen, part == 0 ? KZ_HEAD_PAD : KZ_RECORD_PAD,
                   0, plain, len, what, err);
}

struct load_ctx {
    struct kz_vault *v;
    struct kz_err *err;
};

static int
load_head(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
          const unsigned char *body, size_t bodylen)
{
    struct load_ctx *c = ctx;
    unsigned char ad[80], *plain = kz_xmalloc(headlen + 1);
    size_t len = 0, adlen;

    (void)body;
    (void)bodylen;
    adlen = record_ad(ad, c->v, id, 0);
    if (kz_open_into(c->v->record_key, ad, adlen, head, headlen, KZ_HEAD_PAD, plain, headlen + 1,
                     &len) != KZ_OK) {
        char hex[2 * KZ_RECORD_ID_BYTES + 1];
        free(plain);
        kz_hex(id, 8, hex);
        return kz_fail(c->err, KZ_EINTEGRITY,
                       "record %s (head) failed authentication (altered, moved or corrupt)", hex);
    }
    heads_set(c->v, id, plain, len);
    return 0;
}

int
kz_vault_heads(struct kz_vault *v, const struct kz_head **heads, size_t *n, struct kz_err *err)
{
    struct load_ctx c = {v, err};
    int rc;

    *heads = NULL;
    *n = 0;
    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    if (!v->heads_loaded) {
        heads_drop(v);
        if ((rc = kz_store_record_foreach(v->st, 0, load_head, &c, err)) != KZ_OK) {
            heads_drop(v);
            return rc;
        }
        v->heads_loaded = 1;
    }
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

/* A record the heads index holds that the file cannot find by its id: the
 * table and its id index disagree, so the file is damaged. */
static int
known_missing(struct kz_vault *v, const unsigned char *id, int rc, struct kz_err *err)
{
    char hex[17];

    if (rc != KZ_ENOTFOUND || !v->heads_loaded || !heads_has(v, id))
        return rc;
    kz_hex(id, 8, hex);
    return kz_fail(err, KZ_EINTEGRITY,
                   "record %s is listed in the vault but cannot be found by its id: the vault "
                   "file is damaged",
                   hex);
}

int
kz_vault_record_put(struct kz_vault *v, const unsigned char *id, const void *head,
                    size_t headlen, const char *body, size_t bodylen, struct kz_err *err)
{
    unsigned char ad[80], *hblob = NULL, *bblob = NULL, *copy;
    size_t adlen, hlen = 0, blen = 0;
    const struct kz_head *all;
    size_t n;
    int rc;

    if ((rc = kz_vault_heads(v, &all, &n, err)) != KZ_OK)
        return rc;
    adlen = record_ad(ad, v, id, 0);
    kz_seal(v->record_key, ad, adlen, head, headlen, KZ_HEAD_PAD, &hblob, &hlen);
    adlen = record_ad(ad, v, id, 1);
    kz_seal(v->record_key, ad, adlen, body, bodylen, KZ_RECORD_PAD, &bblob, &blen);
    if (heads_has(v, id))
        rc = known_missing(v, id,
                           kz_store_record_replace(v->st, id, hblob, hlen, bblob, blen, err), err);
    else
        rc = kz_store_record_put(v->st, id, hblob, hlen, bblob, blen, err);
    if (rc == KZ_OK) {
        copy = kz_xmalloc(headlen + 1);
        memcpy(copy, head, headlen);
        copy[headlen] = '\0';
        heads_set(v, id, copy, headlen);
    }
    free(hblob);
    free(bblob);
    return rc;
}

int
kz_vault_record_get(struct kz_vault *v, const unsigned char *id, char **body, size_t *len,
                    struct kz_err *err)
{
    unsigned char *blob = NULL, *plain = NULL;
    size_t bloblen = 0;
    int rc;

    *body = NULL;
    *len = 0;
    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    rc = known_missing(v, id, kz_store_record_get(v->st, id, NULL, NULL, &blob, &bloblen, err),
                       err);
    if (rc == KZ_OK && (rc = open_part(v, id, 1, blob, bloblen, &plain, len, err)) == KZ_OK)
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

    if ((rc = kz_vault_heads(v, &all, &n, err)) != KZ_OK)
        return rc;
    if ((rc = known_missing(v, id, kz_store_record_delete(v->st, id, err), err)) == KZ_OK)
        heads_remove(v, id);
    return rc;
}

struct walk {
    struct kz_vault *v;
    int (*cb)(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
              const char *body, size_t bodylen);
    void *ctx;
    struct kz_err *err;
    unsigned char *buf; /* reused for every record, wiped at the end */
    size_t cap;
};

static int
walk_fail(struct walk *w, const unsigned char *id, int part)
{
    char hex[2 * KZ_RECORD_ID_BYTES + 1];

    kz_hex(id, 8, hex);
    return kz_fail(w->err, KZ_EINTEGRITY,
                   "record %s%s failed authentication (altered, moved or corrupt)", hex,
                   part == 0 ? " (head)" : "");
}

static int
walk_one(void *ctx, const unsigned char *id, const unsigned char *hblob, size_t hbloblen,
         const unsigned char *bblob, size_t bbloblen)
{
    struct walk *w = ctx;
    unsigned char ad[80];
    size_t need = hbloblen + bbloblen + 2, hlen = 0, blen = 0, adlen;

    if (need > w->cap) {
        if (w->buf != NULL) {
            sodium_memzero(w->buf, w->cap);
            free(w->buf);
        }
        w->cap = need * 2;
        w->buf = kz_xmalloc(w->cap);
    }
    adlen = record_ad(ad, w->v, id, 0);
    if (kz_open_into(w->v->record_key, ad, adlen, hblob, hbloblen, KZ_HEAD_PAD, w->buf,
                     hbloblen + 1, &hlen) != KZ_OK)
        return walk_fail(w, id, 0);
    adlen = record_ad(ad, w->v, id, 1);
    if (kz_open_into(w->v->record_key, ad, adlen, bblob, bbloblen, KZ_RECORD_PAD,
                     w->buf + hbloblen + 1, bbloblen + 1, &blen) != KZ_OK)
        return walk_fail(w, id, 1);
    return w->cb(w->ctx, id, w->buf, hlen, (const char *)w->buf + hbloblen + 1, blen);
}

int
kz_vault_record_foreach(struct kz_vault *v,
                        int (*cb)(void *ctx, const unsigned char *id, const unsigned char *head,
                                  size_t headlen, const char *body, size_t bodylen),
                        void *ctx, struct kz_err *err)
{
    struct walk w = {v, cb, ctx, err, NULL, 0};
    int rc;

    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    rc = kz_store_record_foreach(v->st, 1, walk_one, &w, err);
    if (w.buf != NULL) {
        sodium_memzero(w.buf, w.cap);
        free(w.buf);
    }
    return rc;
}

/* ---- the parallel walk ---- */

#define PAR_WORKERS 2
#define PAR_BATCH 256
#define PAR_QUEUE 6

struct par_item {
    unsigned char id[KZ_RECORD_ID_BYTES];
    size_t hoff, hlen, boff, blen;
};

struct par_batch {
    size_t n, used, cap;
    unsigned char *data;
    struct par_item items[PAR_BATCH];
};

struct par {
    struct kz_vault *v;
    int (*cb)(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
              const char *body, size_t bodylen);
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    struct par_batch *free_list[PAR_QUEUE], *full[PAR_QUEUE];
    size_t nfree, nfull;
    struct par_batch *cur;
    int done, rc;
    atomic_int stop;
    struct kz_err err;
};

static struct par_batch *
par_take(struct par *p, struct par_batch **list, size_t *n, int wait_done)
{
    struct par_batch *b = NULL;

    pthread_mutex_lock(&p->mu);
    while (*n == 0 && !(wait_done && p->done) && !p->stop)
        pthread_cond_wait(&p->changed, &p->mu);
    if (*n > 0)
        b = list[--*n];
    pthread_mutex_unlock(&p->mu);
    return b;
}

static void
par_put(struct par *p, struct par_batch **list, size_t *n, struct par_batch *b)
{
    pthread_mutex_lock(&p->mu);
    list[(*n)++] = b;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
}

static void
par_fail(struct par *p, int rc, const struct kz_err *err)
{
    pthread_mutex_lock(&p->mu);
    if (!p->stop) {
        p->stop = 1;
        p->rc = rc;
        if (err != NULL)
            p->err = *err;
    }
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
}

static void *
par_worker(void *arg)
{
    struct par *p = arg;
    unsigned char *buf = NULL, ad[80];
    size_t cap = 0, i;
    struct par_batch *b;

    while ((b = par_take(p, p->full, &p->nfull, 1)) != NULL) {
        for (i = 0; i < b->n && !p->stop; i++) {
            struct par_item *it = &b->items[i];
            size_t need = it->hlen + it->blen + 2, hl = 0, bl = 0, adlen;
            int rc;
            if (need > cap) {
                if (buf != NULL) {
                    sodium_memzero(buf, cap);
                    free(buf);
                }
                cap = need * 2;
                buf = kz_xmalloc(cap);
            }
            adlen = record_ad(ad, p->v, it->id, 0);
            rc = kz_open_into(p->v->record_key, ad, adlen, b->data + it->hoff, it->hlen,
                              KZ_HEAD_PAD, buf, it->hlen + 1, &hl);
            if (rc == KZ_OK) {
                adlen = record_ad(ad, p->v, it->id, 1);
                rc = kz_open_into(p->v->record_key, ad, adlen, b->data + it->boff, it->blen,
                                  KZ_RECORD_PAD, buf + it->hlen + 1, it->blen + 1, &bl);
            }
            if (rc != KZ_OK) {
                struct kz_err e;
                char hex[2 * KZ_RECORD_ID_BYTES + 1];
                kz_hex(it->id, 8, hex);
                kz_fail(&e, KZ_EINTEGRITY,
                        "record %s failed authentication (altered, moved or corrupt)", hex);
                par_fail(p, KZ_EINTEGRITY, &e);
                break;
            }
            if ((rc = p->cb(p->ctx, it->id, buf, hl, (const char *)buf + it->hlen + 1, bl)) != 0)
                par_fail(p, rc, NULL);
        }
        b->n = b->used = 0;
        par_put(p, p->free_list, &p->nfree, b);
    }
    if (buf != NULL) {
        sodium_memzero(buf, cap);
        free(buf);
    }
    kz_stack_wipe(); /* cb's frames: glibc keeps this stack for the next thread */
    return NULL;
}

static void
batch_add(struct par_batch *b, const unsigned char *id, const unsigned char *h, size_t hl,
          const unsigned char *body, size_t bl)
{
    struct par_item *it = &b->items[b->n++];

    if (b->used + hl + bl > b->cap) {
        b->cap = (b->used + hl + bl) * 2;
        b->data = kz_xrealloc(b->data, b->cap); /* sealed bytes only: no wipe needed */
    }
    memcpy(it->id, id, KZ_RECORD_ID_BYTES);
    it->hoff = b->used;
    it->hlen = hl;
    memcpy(b->data + b->used, h, hl);
    b->used += hl;
    it->boff = b->used;
    it->blen = bl;
    memcpy(b->data + b->used, body, bl);
    b->used += bl;
}

static int
par_produce(void *ctx, const unsigned char *id, const unsigned char *h, size_t hl,
            const unsigned char *body, size_t bl)
{
    struct par *p = ctx;

    if (p->stop)
        return 1;
    if (p->cur == NULL && (p->cur = par_take(p, p->free_list, &p->nfree, 0)) == NULL)
        return 1; /* stopped */
    batch_add(p->cur, id, h, hl, body, bl);
    if (p->cur->n == PAR_BATCH) {
        par_put(p, p->full, &p->nfull, p->cur);
        p->cur = NULL;
    }
    return 0;
}

int
kz_vault_record_foreach_parallel(struct kz_vault *v,
                                 int (*cb)(void *ctx, const unsigned char *id,
                                           const unsigned char *head, size_t headlen,
                                           const char *body, size_t bodylen),
                                 void *ctx, struct kz_err *err)
{
    struct par p;
    pthread_t th[PAR_WORKERS];
    struct par_batch *all[PAR_QUEUE];
    int rc, i, started = 0;

    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    memset(&p, 0, sizeof(p));
    p.v = v;
    p.cb = cb;
    p.ctx = ctx;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.changed, NULL);
    for (i = 0; i < PAR_QUEUE; i++) {
        all[i] = kz_xcalloc(1, sizeof(struct par_batch));
        p.free_list[p.nfree++] = all[i];
    }
    for (i = 0; i < PAR_WORKERS; i++) {
        if (pthread_create(&th[i], NULL, par_worker, &p) == 0)
            started++;
    }
    if (started == 0) {
        rc = kz_fail(err, KZ_ERR, "cannot start worker threads");
        goto out;
    }
    rc = kz_store_record_foreach(v->st, 1, par_produce, &p, err);
    if (p.cur != NULL && p.cur->n > 0)
        par_put(&p, p.full, &p.nfull, p.cur);
    pthread_mutex_lock(&p.mu);
    p.done = 1;
    pthread_cond_broadcast(&p.changed);
    pthread_mutex_unlock(&p.mu);
    for (i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (p.stop) {
        rc = p.rc;
        if (p.err.msg[0] != '\0' && err != NULL)
            *err = p.err;
    } else if (rc == 1) {
        rc = KZ_OK;
    }
out:
    for (i = 0; i < PAR_QUEUE; i++) {
        free(all[i]->data);
        free(all[i]);
    }
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.mu);
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

/* ---- rekey ---- */

static int
reseal_one(struct kz_vault *v, const unsigned char *id, const unsigned char *new_key,
           uint32_t new_epoch, struct kz_err *err)
{
    unsigned char *h = NULL, *b = NULL, *hp = NULL, *bp = NULL, *nh = NULL, *nb = NULL, ad[80];
    size_t hl = 0, bl = 0, hpl = 0, bpl = 0, nhl = 0, nbl = 0, adlen;
    uint32_t old_epoch = v->epoch;
    int rc;

    if ((rc = known_missing(v, id, kz_store_record_get(v->st, id, &h, &hl, &b, &bl, err), err)) !=
        KZ_OK)
        goto out;
    if ((rc = open_part(v, id, 0, h, hl, &hp, &hpl, err)) != KZ_OK ||
        (rc = open_part(v, id, 1, b, bl, &bp, &bpl, err)) != KZ_OK)
        goto out;
    v->epoch = new_epoch; /* record_ad reads the epoch */
    adlen = record_ad(ad, v, id, 0);
    kz_seal(new_key, ad, adlen, hp, hpl, KZ_HEAD_PAD, &nh, &nhl);
    adlen = record_ad(ad, v, id, 1);
    kz_seal(new_key, ad, adlen, bp, bpl, KZ_RECORD_PAD, &nb, &nbl);
    v->epoch = old_epoch;
    rc = known_missing(v, id, kz_store_record_replace(v->st, id, nh, nhl, nb, nbl, err), err);
out:
    kz_plain_free(hp, hpl, 0);
    kz_plain_free(bp, bpl, 0);
    free(h);
    free(b);
    free(nh);
    free(nb);
    return rc;
}

int
kz_vault_rekey(struct kz_vault *v, const char *pass, size_t passlen, char **recovery,
               void (*progress)(void *ctx, unsigned long long done, unsigned long long total),
               void *pctx, struct kz_err *err)
{
    unsigned char *new_master = NULL, *new_record = NULL, *old_master = NULL, *old_record = NULL;
    unsigned char (*ids)[KZ_RECORD_ID_BYTES] = NULL, b4[4], *kek = NULL;
    struct kz_kdf_params kdf;
    unsigned char *enc = NULL;
    const struct kz_head *heads;
    size_t n = 0, i, enclen = 0;
    uint32_t new_epoch;
    int rc, began = 0;

    *recovery = NULL;
    if ((rc = need_key(v, err)) != KZ_OK)
        return rc;
    /* The passphrase again: it must open the slot as it is now. Its key (one
     * Argon2id run) then wraps the new master key, under the same salt. */
    if ((rc = kz_store_header_get(v->st, H_KDF, &enc, &enclen, err)) != KZ_OK ||
        (rc = kz_kdf_decode(enc, enclen, &kdf, err)) != KZ_OK)
        goto early;
    kek = kz_secure_alloc(KZ_KEY_BYTES);
    if ((rc = kz_kdf_derive(&kdf, pass, passlen, kek, err)) != KZ_OK)
        goto early;
    {
        unsigned char ad[SLOT_AD_MAX], *blob = NULL, *mk = NULL;
        size_t adlen = slot_ad(ad, LABEL_PASS, v->id, enc), bloblen = 0, mklen = 0;
        struct kz_err ignored;
        if ((rc = kz_store_header_get(v->st, H_SLOT_PASS, &blob, &bloblen, err)) == KZ_OK) {
            if (kz_open(kek, ad, adlen, blob, bloblen, 1, 1, &mk, &mklen, "slot", &ignored) !=
                    KZ_OK ||
                mklen != KZ_KEY_BYTES || sodium_memcmp(mk, v->master, KZ_KEY_BYTES) != 0)
                rc = kz_fail(err, KZ_EAUTH, "wrong passphrase");
        }
        kz_plain_free(mk, mklen, 1);
        free(blob);
        if (rc != KZ_OK)
            goto early;
    }
    if ((rc = kz_vault_heads(v, &heads, &n, err)) != KZ_OK)
        goto early; /* the key the passphrase gave is wiped there */
    ids = kz_xcalloc(n ? n : 1, KZ_RECORD_ID_BYTES);
    for (i = 0; i < n; i++)
        memcpy(ids[i], heads[i].id, KZ_RECORD_ID_BYTES);
    new_master = kz_secure_alloc(KZ_KEY_BYTES);
    new_record = kz_secure_alloc(KZ_KEY_BYTES);
    crypto_kdf_keygen(new_master);
    kz_vault_subkey(v, new_master, KZ_SUBKEY_RECORDS, "kzrecord", new_record);
    new_epoch = v->epoch + 1;
    if ((rc = kz_store_begin(v->st, err)) != KZ_OK)
        goto out;
    began = 1;
    for (i = 0; i < n; i++) {
        if ((rc = reseal_one(v, ids[i], new_record, new_epoch, err)) != KZ_OK)
            goto out;
        if (progress != NULL && (i % 512 == 0 || i + 1 == n))
            progress(pctx, i + 1, n);
    }
    if ((rc = kz_vault_audit_rekey(v, new_master, new_epoch, err)) != KZ_OK)
        goto out;
    /* Slots: the passphrase slot under its key as it was, a new recovery code. */
    old_master = v->master;
    old_record = v->record_key;
    v->master = new_master;
    v->record_key = new_record;
    rc = seal_pass_slot(v, kek, enc, err);
    if (rc == KZ_OK)
        rc = write_recovery_slot(v, recovery, err);
    if (rc == KZ_OK) {
        kz_put32(b4, new_epoch);
        rc = kz_store_header_put(v->st, H_EPOCH, b4, 4, err);
    }
    if (rc == KZ_OK) {
        /* The recipients' MAC follows the new key. */
        char *text = NULL;
        if ((rc = kz_vault_recipients(v, &text, err)) == KZ_OK && *text != '\0')
            rc = kz_vault_set_recipients(v, text, err);
        free(text);
    }
    if (rc == KZ_OK)
        rc = kz_store_commit(v->st, err);
    if (rc != KZ_OK) {
        v->master = old_master;
        v->record_key = old_record;
        old_master = old_record = NULL;
        goto out;
    }
    began = 0;
    v->epoch = new_epoch;
    new_master = new_record = NULL; /* now the vault's */
out:
    if (began) {
        kz_store_rollback(v->st);
        heads_drop(v);
        kz_secure_free(*recovery);
        *recovery = NULL;
    }
    kz_secure_free(old_master);
    kz_secure_free(old_record);
    kz_secure_free(new_master);
    kz_secure_free(new_record);
early:
    kz_secure_free(kek);
    free(enc);
    free(ids);
    return rc;
}
