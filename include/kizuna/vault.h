/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_VAULT_H
#define KIZUNA_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"
#include "kizuna/kdf.h"
#include "kizuna/store.h"

/*
 * The vault: a store plus the keys that open it. Locked, it knows only the
 * public header. Unlocked, it holds the master key (secure memory) and the
 * record key derived from it; lock wipes both.
 *
 * Key hierarchy: passphrase --Argon2id--> slot key --XChaCha20-Poly1305--> master key;
 * recovery code --BLAKE2b(vault id)--> slot key --> the same master key;
 * master key --crypto_kdf("kzrecord", epoch)--> record key.
 */
#define KZ_VAULT_ID_BYTES 16
#define KZ_RECOVERY_CODE_LEN 40 /* 32 base32 characters in groups of 4, with hyphens */

struct kz_vault;

struct kz_vault_info {
    int format;
    unsigned char id[KZ_VAULT_ID_BYTES];
    struct kz_kdf_params kdf;
    uint32_t epoch;
    int passphrase_slot;
    int recovery_slot;
    long long records;
};

/* Creates a new vault file at path (refusing an existing file), with a fresh
 * master key wrapped under pass (KDF costs from kdf; its salt is replaced) and
 * under a new recovery code, returned in *recovery (secure memory, free with
 * kz_secure_free). The vault is returned unlocked. */
int kz_vault_create(const char *path, const char *pass, size_t passlen,
                    const struct kz_kdf_params *kdf, char **recovery, struct kz_vault **out,
                    struct kz_err *err);

/* Opens an existing vault, locked. */
int kz_vault_open(const char *path, struct kz_vault **out, struct kz_err *err);

/* Locks (wiping keys) and closes; NULL is a no-op. */
void kz_vault_close(struct kz_vault *v);

int kz_vault_info(struct kz_vault *v, struct kz_vault_info *info, struct kz_err *err);
const char *kz_vault_path(const struct kz_vault *v);

/* Unlock with the passphrase or the recovery code: KZ_OK, KZ_EAUTH if it does
 * not open the slot (wrong secret, or the header's KDF parameters changed),
 * KZ_EINTEGRITY if the header is malformed. */
int kz_vault_unlock(struct kz_vault *v, const char *pass, size_t passlen, struct kz_err *err);
int kz_vault_unlock_recovery(struct kz_vault *v, const char *code, size_t len,
                             struct kz_err *err);
void kz_vault_lock(struct kz_vault *v);
/* Unlocks v (a copy of the vault keyed is open in: a backup being checked) with
 * keyed's key, without a passphrase: KZ_EAUTH if keyed is locked or v is another
 * vault (its id differs); what the key then fails to open is reported as by an
 * unlock (the commitment) and by every later read. */
int kz_vault_unlock_as(struct kz_vault *v, const struct kz_vault *keyed, struct kz_err *err);
int kz_vault_unlocked(const struct kz_vault *v);
/* fn(ctx) runs whenever the vault locks (kz_vault_lock, close, an unlock that
 * fails, a vault that locks itself because another process re-keyed it),
 * before the keys are wiped: for what an upper layer keeps from opened records
 * (search's in-memory index), which must not outlive the key. One hook per
 * vault; fn NULL removes it. */
void kz_vault_set_lock_hook(struct kz_vault *v, void (*fn)(void *ctx), void *ctx);
/* fn is told of each change to the index of heads (kz_vault_heads), so that
 * an upper layer can keep lookups of its own over it up to date: id NULL when
 * the whole index is dropped (it loads again on next use: read it then, no
 * head loaded is told one by one); else record id's plaintext head before
 * (old NULL: a new record) and after (now NULL: deleted). ctx is the vault's
 * from here (the lookups live as long as the vault, whichever state uses it):
 * free_ctx(ctx) runs when the vault closes or another hook takes its place.
 * One hook per vault. */
typedef void (*kz_vault_heads_fn)(void *ctx, const unsigned char *id, const unsigned char *old,
                                  size_t oldlen, const unsigned char *now, size_t nowlen);
void kz_vault_set_heads_hook(struct kz_vault *v, kz_vault_heads_fn fn, void *ctx,
                             void (*free_ctx)(void *ctx));
/* The hook's ctx if the hook is fn, else NULL. */
void *kz_vault_heads_hook_ctx(const struct kz_vault *v, kz_vault_heads_fn fn);

/* Rewraps the passphrase slot under a new passphrase (new salt, same costs
 * unless kdf is given). Needs the vault unlocked. One transaction. */
int kz_vault_set_passphrase(struct kz_vault *v, const char *pass, size_t passlen,
                            const struct kz_kdf_params *kdf, struct kz_err *err);

/*
 * Transactions. Every command starts from the committed state: a change
 * (kz_vault_begin: BEGIN IMMEDIATE) and a read snapshot (kz_vault_begin_read)
 * first look whether another process committed since this one last looked
 * (SQLite's data_version) and, if so, drop the heads index to load again and
 * read the key epoch again. When another process re-keyed the vault, an
 * unlocked vault locks itself and the begin fails with KZ_EAUTH ("re-keyed by
 * another process"): nothing is written with a key that is no longer the
 * vault's. A change begun inside a read snapshot ends the snapshot first.
 * The outermost commit of a change made with the key advances the vault's
 * commitment (see SECURITY.md): every record's (id, version), the audit head
 * and the header, sealed under the master key.
 */
int kz_vault_begin(struct kz_vault *v, struct kz_err *err);
int kz_vault_commit(struct kz_vault *v, struct kz_err *err);
void kz_vault_rollback(struct kz_vault *v);
/* Copies what the changes committed so far left in the log into the vault
 * file (kz_store_settle): commits do so themselves at most every 500 ms; the
 * dispatcher calls this when a command ends with nothing else waiting, and
 * at the end of a script. */
void kz_vault_settle(struct kz_vault *v);
/* While a command waits for a person (the editor, typed text), its change
 * must not keep other processes from writing. kz_vault_release lets go of a
 * change that has written nothing yet (1), keeping the heads index; 0 when
 * it cannot (nested, or written to: it stays held). kz_vault_retake begins
 * it again from the state committed now (waiting as the busy timeout allows)
 * and sets *moved when another process committed meanwhile, so that what the
 * command read before may be stale: it runs again. */
int kz_vault_release(struct kz_vault *v);
int kz_vault_retake(struct kz_vault *v, int *moved, struct kz_err *err);
int kz_vault_begin_read(struct kz_vault *v, struct kz_err *err);
/* A read snapshot for work between commands (the shell's pauses): KZ_EBUSY,
 * with nothing taken in, when another process committed since this one last
 * read the vault. A begin takes such news in (reloads the heads, may find the
 * vault re-keyed and lock it with an error its command reports); in a pause
 * it would go unreported, so the next command takes it in. End it with
 * kz_vault_end_read. */
int kz_vault_begin_idle(struct kz_vault *v, struct kz_err *err);
void kz_vault_end_read(struct kz_vault *v);

/*
 * Records: each has a head (its small index entry: kind, relations, dates) and
 * a body (the JSON document). Both are sealed with associated data binding
 * (vault id, record id, key epoch, part, and the record's version). In format
 * 2 every head is padded to 512 bytes and every body to a size bucket
 * (KZ_PAD_BUCKET); format 1 (read only to be upgraded) padded heads to
 * KZ_HEAD_PAD and bodies to KZ_RECORD_PAD. The heads of every record are
 * opened into an in-memory index (wiped at lock) and checked against the
 * vault's commitment, so listing never opens bodies.
 */
#define KZ_HEAD_PAD 64
/* The largest head a record may carry (format 2 pads every head to 512 bytes,
 * its 8-byte version and the padding marker included). */
#define KZ_HEAD_MAX_BYTES 503

struct kz_head {
    unsigned char id[KZ_RECORD_ID_BYTES];
    unsigned char *data; /* plaintext head */
    size_t len;
    uint64_t ver; /* the generation that wrote it (bound into its seal) */
};

void kz_vault_new_record_id(unsigned char id[KZ_RECORD_ID_BYTES]);
/* Inserts or replaces a record. Needs the vault unlocked. */
int kz_vault_record_put(struct kz_vault *v, const unsigned char *id, const void *head,
                        size_t headlen, const char *body, size_t bodylen, struct kz_err *err);
/* Opens a record's body: *body malloc'd, NUL-terminated; release with
 * kz_vault_plain_free. KZ_ENOTFOUND, KZ_EINTEGRITY (naming the record). */
int kz_vault_record_get(struct kz_vault *v, const unsigned char *id, char **body, size_t *len,
                        struct kz_err *err);
void kz_vault_plain_free(char *plain, size_t len);
int kz_vault_record_delete(struct kz_vault *v, const unsigned char *id, struct kz_err *err);
/* The index of heads (loaded on first use after unlock; valid until the next
 * put, delete, rollback or lock). KZ_EINTEGRITY if a head fails to open. */
int kz_vault_heads(struct kz_vault *v, const struct kz_head **heads, size_t *n,
                   struct kz_err *err);
/* One head by record id, or NULL. */
const struct kz_head *kz_vault_head(struct kz_vault *v, const unsigned char *id);
/* Opens every record in turn, head and body; a record that fails authentication
 * stops the walk with KZ_EINTEGRITY naming it. cb's non-zero return stops it too. */
int kz_vault_record_foreach(struct kz_vault *v,
                            int (*cb)(void *ctx, const unsigned char *id,
                                      const unsigned char *head, size_t headlen,
                                      const char *body, size_t bodylen),
                            void *ctx, struct kz_err *err);

/* The same walk on every core: the bodies in key ranges, each read through a
 * connection of its own, opened and handed to cb on a thread of its own (the
 * first on the caller's), all in one snapshot (kz_store_walk_open). cb may run
 * concurrently and in any order, so it must guard what it shares and not
 * touch the vault except kz_vault_head(s). For doctor; search walks with
 * kz_vault_record_foreach_some. */
int kz_vault_record_foreach_parallel(struct kz_vault *v,
                                     int (*cb)(void *ctx, const unsigned char *id,
                                               const unsigned char *head, size_t headlen,
                                               const char *body, size_t bodylen),
                                     void *ctx, struct kz_err *err);
/* The same walk over the records want (called on the walk's threads with the
 * record's head, before its body is opened) answers non-zero for: the others'
 * bodies are read but never opened (nor authenticated), so a search within
 * one couple opens only that couple's notes. */
int kz_vault_record_foreach_some(struct kz_vault *v,
                                 int (*want)(void *ctx, const unsigned char *id,
                                             const unsigned char *head, size_t headlen),
                                 int (*cb)(void *ctx, const unsigned char *id,
                                           const unsigned char *head, size_t headlen,
                                           const char *body, size_t bodylen),
                                 void *ctx, struct kz_err *err);

/* Opens the records ids[0..n) (each a body and its head from the index) on
 * every core, in one snapshot, each read by its id: cb gets ids[i] with its
 * place i, on the walk's threads, concurrently and in any order (so it must
 * guard what it shares, as kz_vault_record_foreach_parallel's cb); its err is
 * its thread's own, returned with a non-zero return, which stops the rest. A
 * record that fails authentication stops it with KZ_EINTEGRITY naming it; one
 * the vault does not hold, KZ_ENOTFOUND. For lists that show many notes. */
int kz_vault_records_open(struct kz_vault *v, const unsigned char (*ids)[KZ_RECORD_ID_BYTES],
                          size_t n,
                          int (*cb)(void *ctx, size_t i, const unsigned char *id,
                                    const unsigned char *head, size_t headlen, const char *body,
                                    size_t bodylen, struct kz_err *err),
                          void *ctx, struct kz_err *err);

/*
 * Backup recipients: public "age1..." keys kept in the header as text, so that
 * backups run without the passphrase. Changing them needs the key: the list
 * carries a MAC under a key derived from the master key, which
 * kz_vault_recipients_check verifies (doctor), so a recipient slipped into the
 * file by someone without the passphrase is detected.
 */
/* *text: malloc'd, one recipient a line ("" if none). */
int kz_vault_recipients(struct kz_vault *v, char **text, struct kz_err *err);
int kz_vault_set_recipients(struct kz_vault *v, const char *text, struct kz_err *err);
/* KZ_OK, or KZ_EINTEGRITY if the list was changed without the key. Needs the key. */
int kz_vault_recipients_check(struct kz_vault *v, struct kz_err *err);
/* Both key slots (and the KDF parameters) against their MACs under the master
 * key: the slot not used to unlock cannot vouch for itself. KZ_EINTEGRITY names
 * the altered slot. */
int kz_vault_slots_check(struct kz_vault *v, struct kz_err *err);

/*
 * The audit trail: an append-only chain of events (JSON), each sealed like a
 * record (AD: vault id, seq, key epoch) and linked to the one before by a keyed
 * BLAKE2b MAC: mac[n] = BLAKE2b(chain key, "kizuna chain v1" || mac[n-1] || seq || blob).
 * Processes without the key (a failed unlock, a backup from cron) seal their
 * event to the vault's inbox public key; the next unlock folds those in.
 */
int kz_vault_audit_append(struct kz_vault *v, const char *json, size_t len, struct kz_err *err);
int kz_vault_audit_pending(struct kz_vault *v, const char *json, size_t len,
                           struct kz_err *err);
/* Opens the pending events and appends each to the chain as vet(json, len)
 * returns it (malloc'd JSON text, wiped and freed here; vet NULL: as given),
 * a blob that does not open as vet(NULL, its size) returns it; returns how
 * many in *n. Anyone who can write the file can seal an event to the inbox
 * key, so vet must mark each as keyless. Needs the key; one transaction with
 * the caller's. */
int kz_vault_audit_fold(struct kz_vault *v, char *(*vet)(const char *json, size_t len), int *n,
                        struct kz_err *err);
/* KZ_OK if the inbox key pair is whole (inbox.sk opens under the key and is
 * inbox.pk's secret key), else KZ_EINTEGRITY: keyless events would be lost. */
int kz_vault_audit_inbox_check(struct kz_vault *v, struct kz_err *err);
/* Verifies the whole chain in order, calling cb (may be NULL) with each entry;
 * KZ_EINTEGRITY names the first bad entry. cb's non-zero return stops the walk. */
int kz_vault_audit_walk(struct kz_vault *v,
                        int (*cb)(void *ctx, unsigned long long seq, const char *json,
                                  size_t len),
                        void *ctx, struct kz_err *err);
/* The newest link: its seq and MAC (seq 0 for an empty chain). */
int kz_vault_audit_head(struct kz_vault *v, unsigned long long *seq, unsigned char *mac,
                        struct kz_err *err);

/* Rotates the master key: every record (re-sealed at a new version), the
 * inbox key and both slots under a new key and key epoch; the passphrase slot
 * is wrapped again under pass (which must open it now) or, when newpass is
 * given, under newpass; the recovery slot gets a new code (*recovery, secure
 * memory). The audit chain keeps its entries: the old epoch's keys go into a
 * key history sealed under the new key and a transition entry links the old
 * head to the new key. One transaction of its own: on any failure, or a crash,
 * the old vault stays whole. progress (may be NULL) is called now and then
 * with done/total records. */
int kz_vault_rekey(struct kz_vault *v, const char *pass, size_t passlen, const char *newpass,
                   size_t newpasslen, char **recovery,
                   void (*progress)(void *ctx, unsigned long long done, unsigned long long total),
                   void *pctx, struct kz_err *err);

/* Loads the heads index afresh and checks it, the audit head and the header
 * against the commitment: KZ_OK with its generation and record count, or
 * KZ_EINTEGRITY naming what does not match (doctor). */
int kz_vault_commitment_check(struct kz_vault *v, unsigned long long *gen,
                              unsigned long long *count, struct kz_err *err);

/* Short-id counters (sessions, goals, and kinds to come), kept in the vault's
 * commitment, which every change rewrites: no write tells a record's kind by
 * what else it touches. counter: as committed (and raised in this change);
 * claim: raises it to num inside a change. */
enum { KZ_COUNTER_SESSION = 0, KZ_COUNTER_GOAL = 1, KZ_COUNTER_SCORE = 2, KZ_COUNTERS = 4 };
int kz_vault_counter(struct kz_vault *v, int which, uint32_t *value, struct kz_err *err);
int kz_vault_counter_claim(struct kz_vault *v, int which, uint32_t num, struct kz_err *err);

/* Between commands of a long-lived process: SQLite's page cache (sealed
 * pages) beyond a few MiB given back (kz_store_trim); between a script's
 * commands (growth), only what one command grew it by beyond that. */
void kz_vault_trim(struct kz_vault *v, int growth);

/* The store underneath (for backup, doctor): sealed bytes only. */
struct kz_store *kz_vault_store(struct kz_vault *v);

/* Wipes the keys of every open vault (fatal paths: out of memory, signals). */
void kz_vault_wipe_all(void);

/*
 * Emergency access (issue #16): a custodian key slot. A random 32-byte slot
 * key wraps the master key (XChaCha20-Poly1305, AD: label, vault id, setup id,
 * key epoch, K, N) and is split into N Shamir shares, any K of which open the
 * slot; the key itself is kept nowhere. The header keeps the setup (id, K, N,
 * created) and the slot, both under a MAC of the master key and in the
 * commitment. A new master key (rekey, custodian revoke) drops the slot.
 */
struct kz_share;

struct kz_custodian_info {
    int present; /* 0: no custodian setup (the fields below are 0) */
    unsigned char setup_id[8];
    unsigned k, n;
    long long created; /* seconds since the epoch */
};

/* The setup as the header says (no key needed). */
int kz_vault_custodian_info(struct kz_vault *v, struct kz_custodian_info *ci,
                            struct kz_err *err);
/* A new setup (replacing any old one: its shares then name another setup):
 * shares[0..n-1] get shares 1..n (caller's memory: secure, wiped by the
 * caller). 2 <= k <= n <= 10, else KZ_EUSAGE. Needs the key; one change. */
int kz_vault_custodian_setup(struct kz_vault *v, unsigned k, unsigned n, struct kz_share *shares,
                             struct kz_err *err);
/* Unlocks with shares: KZ_EAUTH "share 2 is a share of another vault", "share 2
 * is from another custodian setup (revoked or replaced)", "this vault has no
 * custodian setup", "3 shares needed, 2 given" (distinct share numbers) or
 * "these shares do not open the custodian slot"; KZ_EUSAGE when none given. */
int kz_vault_unlock_shares(struct kz_vault *v, const struct kz_share *shares, size_t count,
                           struct kz_err *err);

/* Formats bytes as lower-case hex into out (2n+1 bytes). */
void kz_hex(const unsigned char *b, size_t n, char *out);

#endif
