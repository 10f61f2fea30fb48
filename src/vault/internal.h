/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/vault: the vault handle and what vault.c and audit.c share. */
#ifndef KIZUNA_VAULT_INTERNAL_H
#define KIZUNA_VAULT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kizuna/seal.h"
#include "kizuna/store.h"
#include "kizuna/vault.h"

struct kz_vault {
    struct kz_store *st;
    unsigned char id[KZ_VAULT_ID_BYTES];
    uint32_t epoch;
    unsigned char *master;     /* KZ_KEY_BYTES, secure; NULL when locked */
    unsigned char *record_key; /* KZ_KEY_BYTES, secure; NULL when locked */
    struct kz_vault *next;     /* open vaults, for kz_vault_wipe_all */
    /* The index of heads: an array, and an open-addressing table of positions. */
    struct kz_head *heads;
    size_t nheads, capheads;
    size_t *slots; /* position + 1, 0 = empty; size nslots (a power of two) */
    size_t nslots;
    int heads_loaded;
};

/* Purpose keys derived from the master key (crypto_kdf subkey ids). */
enum {
    KZ_SUBKEY_RECORDS = 1,
    KZ_SUBKEY_AUDIT = 2,
    KZ_SUBKEY_RECIPIENTS = 3,
    KZ_SUBKEY_CHAIN = 4,
    KZ_SUBKEY_INBOX = 5,
    KZ_SUBKEY_SLOTS = 6,
};

/* out (KZ_KEY_BYTES) = the master key's subkey id under an 8-character context. */
void kz_vault_subkey(const struct kz_vault *v, const unsigned char *master, uint64_t id,
                     const char ctx[8], unsigned char *out);

/* Creates the inbox key pair of a new vault (header inbox.pk, inbox.sk sealed
 * under master). */
int kz_vault_inbox_create(struct kz_vault *v, struct kz_err *err);
/* Re-seals inbox.sk and the whole audit chain under a new master key (rekey). */
int kz_vault_audit_rekey(struct kz_vault *v, const unsigned char *new_master, uint32_t new_epoch,
                         struct kz_err *err);

#endif
