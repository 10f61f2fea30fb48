/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The custodian key slot (emergency access): its setup, its check, and the
 * unlock with K of its N shares. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kizuna/bytes.h"
#include "kizuna/secmem.h"
#include "kizuna/seal.h"
#include "kizuna/shamir.h"
#include "kizuna/vault.h"
#include "internal.h"

#define INFO_VERSION 1
#define INFO_BYTES (1 + KZ_SHARE_SETUP_ID + 1 + 1 + 8)
#define LABEL_CUST "kizuna slot custodian v1"
#define CUST_AD_MAX (sizeof(LABEL_CUST) + KZ_VAULT_ID_BYTES + KZ_SHARE_SETUP_ID + 4 + 2)

/* AD: label, vault id, setup id, key epoch, K and N. */
static size_t
cust_ad(unsigned char *ad, const struct kz_vault *v, const unsigned char *setup, unsigned k,
        unsigned n)
{
    size_t len = kz_vault_ad(ad, LABEL_CUST, sizeof(LABEL_CUST) - 1, v);

    memcpy(ad + len, setup, KZ_SHARE_SETUP_ID);
    len += KZ_SHARE_SETUP_ID;
    kz_put32(ad + len, v->epoch);
    len += 4;
    ad[len++] = (unsigned char)k;
    ad[len++] = (unsigned char)n;
    return len;
}

static int
info_decode(const unsigned char *b, size_t len, struct kz_custodian_info *ci,
            struct kz_err *err)
{
    if (len != INFO_BYTES || b[0] != INFO_VERSION || b[1 + KZ_SHARE_SETUP_ID] < 2 ||
        b[1 + KZ_SHARE_SETUP_ID] > b[2 + KZ_SHARE_SETUP_ID] ||
        b[2 + KZ_SHARE_SETUP_ID] > KZ_SHAMIR_MAX)
        return kz_fail(err, KZ_EINTEGRITY,
                       "the custodian setup in the vault header is malformed: it was altered "
                       "outside kizuna");
    ci->present = 1;
    memcpy(ci->setup_id, b + 1, KZ_SHARE_SETUP_ID);
    ci->k = b[1 + KZ_SHARE_SETUP_ID];
    ci->n = b[2 + KZ_SHARE_SETUP_ID];
    ci->created = (long long)kz_get64(b + 3 + KZ_SHARE_SETUP_ID);
    return KZ_OK;
}

int
kz_vault_custodian_info(struct kz_vault *v, struct kz_custodian_info *ci, struct kz_err *err)
{
    unsigned char *b = NULL;
    size_t len = 0;
    int rc;

    memset(ci, 0, sizeof(*ci));
    if ((rc = kz_vault_begin_read(v, err)) != KZ_OK)
        return rc;
    rc = kz_store_header_get(kz_vault_store(v), H_CUST_INFO, &b, &len, err);
    if (rc == KZ_ENOTFOUND)
        rc = KZ_OK;
    else if (rc == KZ_OK)
        rc = info_decode(b, len, ci, err);
    kz_vault_end_read(v);
    free(b);
    return rc;
}

/* The setup's rows: info, the master key sealed under key, the MAC. */
static int
cust_write(struct kz_vault *v, const unsigned char *key, const unsigned char *setup, unsigned k,
           unsigned n, struct kz_err *err)
{
    unsigned char info[INFO_BYTES], ad[CUST_AD_MAX], mac[32], *blob = NULL;
    size_t adlen = cust_ad(ad, v, setup, k, n), bloblen = 0;
    int rc;

    info[0] = INFO_VERSION;
    memcpy(info + 1, setup, KZ_SHARE_SETUP_ID);
    info[1 + KZ_SHARE_SETUP_ID] = (unsigned char)k;
    info[2 + KZ_SHARE_SETUP_ID] = (unsigned char)n;
    kz_put64(info + 3 + KZ_SHARE_SETUP_ID, (uint64_t)time(NULL));
    kz_seal(key, ad, adlen, v->master, KZ_KEY_BYTES, 1, &blob, &bloblen);
    kz_vault_slot_mac(v, H_CUST_SLOT, blob, bloblen, info, sizeof(info), mac);
    if ((rc = kz_store_header_put(v->st, H_CUST_INFO, info, sizeof(info), err)) == KZ_OK &&
        (rc = kz_store_header_put(v->st, H_CUST_SLOT, blob, bloblen, err)) == KZ_OK)
        rc = kz_store_header_put(v->st, H_CUST_MAC, mac, sizeof(mac), err);
    free(blob);
    return rc;
}

int
kz_vault_custodian_setup(struct kz_vault *v, unsigned k, unsigned n, struct kz_share *shares,
                         struct kz_err *err)
{
    unsigned char setup[KZ_SHARE_SETUP_ID], *key = NULL, *ys[KZ_SHAMIR_MAX];
    unsigned i;
    int rc;

    if (k < 2 || n < k || n > KZ_SHAMIR_MAX)
        return kz_fail(err, KZ_EUSAGE, "custodian: 2 <= threshold <= shares <= %d",
                       KZ_SHAMIR_MAX);
    if (v->master == NULL)
        return kz_fail(err, KZ_EAUTH, "the vault is locked");
    if ((rc = kz_vault_begin(v, err)) != KZ_OK)
        return rc;
    key = kz_secure_alloc(KZ_SHARE_SECRET);
    randombytes_buf(key, KZ_SHARE_SECRET);
    randombytes_buf(setup, sizeof(setup));
    for (i = 0; i < n; i++)
        ys[i] = shares[i].y;
    if (kz_shamir_split(key, KZ_SHARE_SECRET, k, n, ys) != 0) {
        rc = kz_fail(err, KZ_ERR, "internal error: the custodian key could not be split");
        goto fail;
    }
    for (i = 0; i < n; i++) {
        memcpy(shares[i].vault_id, v->id, KZ_VAULT_ID_BYTES);
        memcpy(shares[i].setup_id, setup, sizeof(setup));
        shares[i].x = (unsigned char)(i + 1);
        shares[i].k = (unsigned char)k;
        shares[i].n = (unsigned char)n;
    }
    if ((rc = cust_write(v, key, setup, k, n, err)) != KZ_OK ||
        (rc = kz_vault_commit(v, err)) != KZ_OK)
        goto fail;
    kz_secure_free(key);
    return KZ_OK;
fail:
    kz_vault_rollback(v);
    sodium_memzero(shares, n * sizeof(*shares));
    kz_secure_free(key);
    return rc;
}

/* Which shares count: each names this vault and this setup; the distinct
 * share numbers go into xs/ys (the first k of them). */
static int
shares_pick(const struct kz_vault *v, const struct kz_custodian_info *ci,
            const struct kz_share *shares, size_t count, unsigned char *xs,
            const unsigned char **ys, size_t *m, struct kz_err *err)
{
    size_t i, j;

    *m = 0;
    for (i = 0; i < count; i++) {
        if (sodium_memcmp(shares[i].vault_id, v->id, KZ_VAULT_ID_BYTES) != 0)
            return kz_fail(err, KZ_EAUTH,
                           "share %u of %u is a share of another vault, not of this one",
                           shares[i].x, shares[i].n);
    }
    if (!ci->present)
        return kz_fail(err, KZ_EAUTH,
                       "this vault has no custodian setup (revoked, or never made): shares "
                       "open nothing");
    for (i = 0; i < count; i++) {
        if (sodium_memcmp(shares[i].setup_id, ci->setup_id, KZ_SHARE_SETUP_ID) != 0)
            return kz_fail(err, KZ_EAUTH,
                           "share %u of %u is from another custodian setup (revoked or "
                           "replaced)",
                           shares[i].x, shares[i].n);
        if (shares[i].k != ci->k || shares[i].n != ci->n || shares[i].x < 1 ||
            shares[i].x > ci->n)
            return kz_fail(err, KZ_EAUTH, "share %u does not fit this custodian setup (%u of %u)",
                           shares[i].x, ci->k, ci->n);
        for (j = 0; j < *m && xs[j] != shares[i].x; j++)
            ;
        if (j == *m && *m < ci->k) {
            xs[*m] = shares[i].x;
            ys[(*m)++] = shares[i].y;
        }
    }
    if (*m < ci->k)
        return kz_fail(err, KZ_EAUTH, "%u shares needed, %zu given", ci->k, *m);
    return KZ_OK;
}

int
kz_vault_unlock_shares(struct kz_vault *v, const struct kz_share *shares, size_t count,
                       struct kz_err *err)
{
    struct kz_custodian_info ci;
    unsigned char xs[KZ_SHAMIR_MAX], ad[CUST_AD_MAX], *key = NULL;
    const unsigned char *ys[KZ_SHAMIR_MAX];
    size_t m = 0, adlen;
    int rc;

    if (count == 0)
        return kz_fail(err, KZ_EUSAGE, "no shares given");
    kz_vault_lock(v);
    if ((rc = kz_vault_begin_read(v, err)) != KZ_OK)
        return rc;
    if ((rc = kz_vault_custodian_info(v, &ci, err)) != KZ_OK ||
        (rc = shares_pick(v, &ci, shares, count, xs, ys, &m, err)) != KZ_OK)
        goto out;
    key = kz_secure_alloc(KZ_SHARE_SECRET);
    if (kz_shamir_combine(xs, (const unsigned char *const *)ys, m, KZ_SHARE_SECRET, key) != 0) {
        rc = kz_fail(err, KZ_EAUTH, "these shares do not open the custodian slot");
        goto out;
    }
    adlen = cust_ad(ad, v, ci.setup_id, ci.k, ci.n);
    rc = kz_vault_open_slot(v, H_CUST_SLOT, key, ad, adlen, err);
    if (rc == KZ_EAUTH)
        kz_fail(err, KZ_EAUTH, "these shares do not open the custodian slot");
out:
    kz_vault_end_read(v);
    kz_secure_free(key);
    return rc == KZ_OK ? kz_vault_after_open(v, err) : rc;
}
