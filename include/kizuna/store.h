/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_STORE_H
#define KIZUNA_STORE_H

#include <stddef.h>

#include "kizuna/err.h"

/*
 * The SQLite file: a header table of named blobs, the records as two tables
 * keyed by a random 16-byte id (sealed heads, sealed bodies) and an audit table. This module is the only
 * one that speaks SQL; it sees sealed bytes only, never a key or plaintext.
 */
#define KZ_RECORD_ID_BYTES 16
#define KZ_STORE_FORMAT 2

struct kz_store;

/* Opens (create = 0) or creates (create = 1, refusing an existing file) the vault
 * file at path. Returns KZ_OK; KZ_ENOTFOUND if missing; KZ_ERR if it exists on
 * create; KZ_EINTEGRITY if it is not a kizuna vault; KZ_EBUSY when locked. */
int kz_store_open(const char *path, int create, struct kz_store **out, struct kz_err *err);
void kz_store_close(struct kz_store *st);
/* KZ_ERR when path-wal, path-shm or path-journal exist: a vault put at path
 * would open another vault's log (a vault moved away while in use). */
int kz_store_companions(const char *path, struct kz_err *err);

/* Write transactions (BEGIN IMMEDIATE: waits for the busy timeout, then KZ_EBUSY).
 * Nested begin/commit pairs are counted; only the outermost touches SQLite. */
int kz_store_begin(struct kz_store *st, struct kz_err *err);
int kz_store_commit(struct kz_store *st, struct kz_err *err);
void kz_store_rollback(struct kz_store *st);
/* A read snapshot (BEGIN DEFERRED): every statement until the matching
 * commit/end sees one committed state. Nested inside any open transaction it
 * only counts. A change (kz_store_begin) inside a read snapshot is refused:
 * end it first (kz_store_end ends the outermost transaction at any depth). */
enum { KZ_TXN_NONE = 0, KZ_TXN_READ = 1, KZ_TXN_WRITE = 2 };
int kz_store_begin_read(struct kz_store *st, struct kz_err *err);
void kz_store_end(struct kz_store *st);
/* KZ_TXN_NONE, KZ_TXN_READ or KZ_TXN_WRITE. */
int kz_store_txn(const struct kz_store *st);
/* 1 when the vault file was renamed or unlinked since it was opened: its WAL
 * keeps the old name, so SQLite will not checkpoint it at close and whatever
 * is written now would be found only under the old name. */
int kz_store_moved(struct kz_store *st);
/* After a change: a passive checkpoint (never waits), so that the file itself
 * holds the change and a vault moved or copied while a process keeps it open
 * is whole. At most one every 500 ms: a change that comes sooner is only
 * marked due, for kz_store_settle (each checkpoint costs two fsyncs, the
 * file's and, on the next change, the restarted log's header). */
void kz_store_checkpoint(struct kz_store *st);
/* Runs the checkpoint a change left due, outside any transaction, unless the
 * file was moved (kz_store_moved). Called when a command ends and nothing
 * else is waiting (the shell, one-shot), at the end of a script, and by
 * kz_store_close. */
void kz_store_settle(struct kz_store *st);
/* Outside any transaction: copies the whole WAL into the file and truncates it
 * to nothing (PRAGMA wal_checkpoint(TRUNCATE)), so that no earlier version of a
 * page stays in the log. Waits for other processes' read transactions as the
 * busy timeout allows, twice; KZ_EBUSY when one still holds an older snapshot
 * (its pages then stay in the file and the log until it ends). */
int kz_store_wal_truncate(struct kz_store *st, struct kz_err *err);
/* How many begins are open (0: none). */
int kz_store_depth(const struct kz_store *st);
/* 1 inside an outermost change (depth 1) that has changed no row yet. */
int kz_store_unwritten(const struct kz_store *st);
/* PRAGMA data_version: changes when another connection has committed since the
 * last call (within a transaction: as of its snapshot). */
int kz_store_data_version(struct kz_store *st, long long *dv, struct kz_err *err);
/* Outside a transaction: gives the page cache's memory back (sealed pages
 * only) when it holds more than keep bytes, or (growth) when it grew by more
 * than keep since the last call; a long-lived process calls it between
 * commands so that a search's walk does not stay resident (growth: while the
 * pages small changes touch do). */
void kz_store_trim(struct kz_store *st, size_t keep, int growth);

/* Header entries: *val malloc'd. get returns KZ_ENOTFOUND if absent. */
int kz_store_header_get(struct kz_store *st, const char *name, unsigned char **val,
                        size_t *len, struct kz_err *err);
int kz_store_header_put(struct kz_store *st, const char *name, const void *val, size_t len,
                        struct kz_err *err);
int kz_store_header_delete(struct kz_store *st, const char *name, struct kz_err *err);
/* Calls cb for each header entry whose name starts with prefix, in name order. */
int kz_store_header_foreach(struct kz_store *st, const char *prefix,
                            int (*cb)(void *ctx, const char *name, const unsigned char *val,
                                      size_t len),
                            void *ctx, struct kz_err *err);

/* Records by id (KZ_RECORD_ID_BYTES): a sealed head (the record's index entry)
 * and a sealed body. put inserts or replaces; replace changes a row that must be
 * there (KZ_ENOTFOUND when none has the id); get's outputs may be NULL to skip. */
int kz_store_record_put(struct kz_store *st, const unsigned char *id, const void *head,
                        size_t headlen, const void *body, size_t bodylen, struct kz_err *err);
int kz_store_record_replace(struct kz_store *st, const unsigned char *id, const void *head,
                            size_t headlen, const void *body, size_t bodylen,
                            struct kz_err *err);
int kz_store_record_get(struct kz_store *st, const unsigned char *id, unsigned char **head,
                        size_t *headlen, unsigned char **body, size_t *bodylen,
                        struct kz_err *err);
int kz_store_record_delete(struct kz_store *st, const unsigned char *id, struct kz_err *err);
int kz_store_record_count(struct kz_store *st, long long *n, struct kz_err *err);
/* Up to limit bodies with ids above after (NULL: from the first), in id order,
 * through cb; *n how many. The statement is done when it returns, so the
 * caller may then change those rows (a rekey, batch after batch). */
int kz_store_body_batch(struct kz_store *st, const unsigned char *after, int limit,
                        int (*cb)(void *ctx, const unsigned char *id,
                                  const unsigned char *blob, size_t len),
                        void *ctx, int *n, struct kz_err *err);
/* Heads without a body and bodies without a head (a whole scan: doctor, backup
 * verify): *n, 0 in a sound vault. */
int kz_store_record_strays(struct kz_store *st, long long *n, struct kz_err *err);
/* A walk over every record's head (table 0) or body (table 1) in up to nparts
 * (at most KZ_STORE_WALK_PARTS; kz_store_walk_parts says how many) key ranges
 * that together hold every row once, each in id order. The parts may be
 * stepped at once, one thread a part: part 0 reads on the store's connection
 * in a read transaction (nested in the caller's when there is one), each
 * other on a connection of its own whose snapshot holds the same header row
 * same_row (a row every commit that changes a record rewrites; NULL: one
 * part). One part too inside a change that has written rows, or for a file
 * under 1 MiB. */
#define KZ_STORE_WALK_PARTS 16
struct kz_store_walk;
int kz_store_walk_open(struct kz_store *st, int table, int nparts, const char *same_row,
                       struct kz_store_walk **out, struct kz_err *err);
int kz_store_walk_parts(const struct kz_store_walk *w);
/* Part part's next row: *id (KZ_RECORD_ID_BYTES) and *blob / *len, valid until
 * that part's next call; *id NULL at its end. */
int kz_store_walk_next(struct kz_store_walk *w, int part, const unsigned char **id,
                       const unsigned char **blob, size_t *len, struct kz_err *err);
/* A walk of table KZ_WALK_POINT reads bodies by id, not in order: part
 * part's body of id in *blob / *len, valid until that part's next call
 * (KZ_ENOTFOUND: none). Its parts are each on a connection of their own as
 * above, in one snapshot. */
#define KZ_WALK_POINT 2
int kz_store_walk_get(struct kz_store_walk *w, int part, const unsigned char *id,
                      const unsigned char **blob, size_t *len, struct kz_err *err);
/* Ends one part, on the thread that stepped it: its rows are gone, its
 * connection closed and its mapping undone while the other parts go on. */
void kz_store_walk_end_part(struct kz_store_walk *w, int part);
/* Ends the walk (and any part not ended), every part stopped. */
void kz_store_walk_close(struct kz_store_walk *w);

/* A consistent copy of the whole file (SQLite online backup) into a new file at
 * dest (created 0600 by the caller or here): sealed bytes only. */
int kz_store_snapshot(struct kz_store *st, const char *dest, struct kz_err *err);

/* Streams a consistent image of the whole file through sink in chunks of up to
 * 64 KiB, without a temporary copy: the WAL is checkpointed, then the file is
 * read raw under a read transaction (no checkpoint can change it meanwhile).
 * KZ_EBUSY when another connection keeps the WAL from emptying: then use
 * kz_store_snapshot. *total gets the image's size before the first sink. */
int kz_store_stream(struct kz_store *st, int (*sink)(void *ctx, const void *buf, size_t len),
                    void *ctx, unsigned long long *total, struct kz_err *err);

/* The audit chain: (seq, sealed entry, MAC linking it to the one before), and
 * pending entries sealed to the vault's inbox key by processes without the key. */
#define KZ_AUDIT_MAC_BYTES 32
int kz_store_audit_append(struct kz_store *st, unsigned long long seq, const void *blob,
                          size_t len, const unsigned char *mac, struct kz_err *err);
/* The newest entry's seq and MAC (0 and zeros for an empty chain). */
int kz_store_audit_last(struct kz_store *st, unsigned long long *seq, unsigned char *mac,
                        struct kz_err *err);
int kz_store_audit_foreach(struct kz_store *st,
                           int (*cb)(void *ctx, unsigned long long seq,
                                     const unsigned char *blob, size_t len,
                                     const unsigned char *mac, size_t maclen),
                           void *ctx, struct kz_err *err);
int kz_store_pending_add(struct kz_store *st, const void *blob, size_t len, struct kz_err *err);
/* Calls cb for each pending entry in order, then deletes them all (in the
 * caller's transaction). */
int kz_store_pending_take(struct kz_store *st,
                          int (*cb)(void *ctx, const unsigned char *blob, size_t len),
                          void *ctx, struct kz_err *err);

/* PRAGMA integrity_check: KZ_OK or KZ_EINTEGRITY naming the first problem. */
int kz_store_integrity(struct kz_store *st, struct kz_err *err);
/* PRAGMA secure_delete as set on this connection (1 on). */
int kz_store_secure_delete(struct kz_store *st);
/* The path this store was opened with. */
const char *kz_store_path(const struct kz_store *st);

#endif
