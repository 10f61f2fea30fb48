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
    /* Where each head's plaintext lives: own[i] != 0, a malloc of its own
     * (written by this process); 0, in one of the arena's blocks (a load
     * opens them a batch to a block). Both wiped when the index drops. */
    unsigned char *own;
    unsigned char **arena;
    size_t *arenalen, narena, caparena;
    int heads_loaded;
    /* What the in-memory state (heads, epoch, commitment) was read at: SQLite's
     * data_version on this connection; another process's commit changes it. */
    long long dv;
    long long released_dv; /* dv when kz_vault_release let a change go */
    int format; /* the header's format: 1 (upgraded at unlock) or 2 */
    /* The whole-vault commitment (format 2), once the heads index matched it:
     * generation, record count and the sum of each record's (id, version) PRF. */
    unsigned char *commit_key; /* KZ_KEY_BYTES, secure; seals the commitment */
    unsigned char *elem_key;   /* KZ_KEY_BYTES, secure; first 16 bytes key the PRF */
    /* The audit trail's seal key, then its chain key (2 * KZ_KEY_BYTES, secure):
     * every command appends an entry, and a sodium_malloc per entry (map, guard
     * pages, lock, unmap) cost more than the entry's own crypto. */
    unsigned char *audit_keys;
    int commit_ok;
    uint64_t gen, count, sum[2];
    uint32_t counters[KZ_COUNTERS];
    /* What an upper layer keeps from opened records (search's index): wiped
     * by lock_hook whenever the keys are (kz_vault_set_lock_hook). */
    void (*lock_hook)(void *ctx);
    void *lock_ctx;
    /* Told of each change to the heads index (kz_vault_set_heads_hook). */
    kz_vault_heads_fn heads_hook;
    void *heads_ctx;
    void (*heads_free)(void *ctx);
};

/* Purpose keys derived from the master key (crypto_kdf subkey ids). */
enum {
    KZ_SUBKEY_RECORDS = 1,
    KZ_SUBKEY_AUDIT = 2,
    KZ_SUBKEY_RECIPIENTS = 3,
    KZ_SUBKEY_CHAIN = 4,
    KZ_SUBKEY_INBOX = 5,
    KZ_SUBKEY_SLOTS = 6,
    KZ_SUBKEY_COMMIT = 7,
    KZ_SUBKEY_ELEMENT = 8,
    KZ_SUBKEY_HISTORY = 9,
};

/* Associated data that begins with a label and the vault id: writes both into
 * ad (room for labellen + KZ_VAULT_ID_BYTES + what the caller adds) and
 * returns their length. label is a literal, labellen its sizeof() - 1. */
size_t kz_vault_ad(unsigned char *ad, const char *label, size_t labellen,
                   const struct kz_vault *v);

/* fn on each of the n parts' arguments (args, size bytes apart, n at most
 * KZ_STORE_WALK_PARTS): the first on this thread, every other on a thread of
 * its own; returns when all are done. kz_vault_parts_wanted: one a core. */
void kz_vault_parts_run(void (*fn)(void *arg), void *args, size_t size, int n);
int kz_vault_parts_wanted(void);

/* v->audit_keys for the master v holds now (unlock; rekey swapping masters). */
void kz_vault_audit_keys(struct kz_vault *v);
/* out (KZ_KEY_BYTES) = the master key's subkey id under an 8-character context. */
void kz_vault_subkey(const struct kz_vault *v, const unsigned char *master, uint64_t id,
                     const char ctx[8], unsigned char *out);

/* Creates the inbox key pair of a new vault (header inbox.pk, inbox.sk sealed
 * under master). */
int kz_vault_inbox_create(struct kz_vault *v, struct kz_err *err);
/* Rekey's part of the audit trail: the chain's keys of every epoch so far go
 * into the key history (sealed under new_master), inbox.sk is re-sealed, and a
 * transition entry under the new keys links to the old head. Old entries stay
 * as they are, so a head kept before a rekey still verifies. */
int kz_vault_audit_rekey(struct kz_vault *v, const unsigned char *new_master, uint32_t new_epoch,
                         struct kz_err *err);

/* Shared with src/vault/custodian.c (the custodian slot): its header rows. */
#define H_CUST_INFO "custodian"
#define H_CUST_SLOT "slot.custodian"
#define H_CUST_MAC "slot.custodian.mac"
/* mac = BLAKE2b(slots key, vault id || slot name || blob || extra). */
void kz_vault_slot_mac(const struct kz_vault *v, const char *name, const unsigned char *blob,
                       size_t bloblen, const unsigned char *extra, size_t extralen,
                       unsigned char mac[32]);
/* Opens the slot blob in the header row slot with kek (AD ad): KZ_OK and the
 * vault holds the master key, KZ_EAUTH when it does not open. Inside the
 * caller's snapshot. */
int kz_vault_open_slot(struct kz_vault *v, const char *slot, const unsigned char *kek,
                       const unsigned char *ad, size_t adlen, struct kz_err *err);
/* After a slot opened: upgrade an old vault, load and check the heads index. */
int kz_vault_after_open(struct kz_vault *v, struct kz_err *err);

#endif
