/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to the backup commands (src/cmd/backup_*.c, recipients.c): whom a
 * backup is for, and opening one to check or restore it. */
#ifndef KIZUNA_CMD_BACKUP_H
#define KIZUNA_CMD_BACKUP_H

#include <stddef.h>

#include "kizuna/cmd.h"

struct kz_age_recipient;

/* ---- src/cmd/recipients.c ---- */
/* Whom backup create encrypts to: --to (to, nto), else the vault's configured
 * recipients; with passphrase (--passphrase) or passfile (its file) a backup
 * passphrase instead, asked twice on a terminal and checked for strength
 * (*pass in secure memory, also in (*r)[0]). *r malloc'd. KZ_EUSAGE for both
 * kinds at once or for none configured. */
int kz_backup_recipients(struct kz_state *st, const char *const *to, int nto, int passphrase,
                         const char *passfile, struct kz_age_recipient **r, size_t *nr,
                         char **pass, struct kz_err *err);

/* ---- src/cmd/backup_open.c ---- */
/* A temporary file for the decrypted (still sealed) vault: /dev/shm when it is
 * a tmpfs, else beside near. Its descriptor (path its name), or -1 with err. */
int kz_backup_scratch(const char *near, char *path, size_t size, struct kz_err *err);
/* Removes a vault file at path and its -wal, -shm and -journal. */
void kz_backup_unlink_db(const char *path);
/* How messages name the backup: its path, or standard input for "-". */
const char *kz_backup_name(const char *file);
/* Decrypts the backup file ("-": standard input) into outfd, with identity,
 * passfile or a passphrase asked (max_work: --max-work-factor), showing
 * progress as label. KZ_EINTEGRITY naming what failed in a damaged file or
 * one that is no age file. */
int kz_backup_decrypt(struct kz_state *st, const char *file, const char *identity,
                      const char *passfile, const char *max_work, int outfd, const char *label,
                      struct kz_err *err);
/* Opens the decrypted vault at path (name: the backup, for messages): SQLite
 * integrity, header, and with a key (the unlocked shell's, or the vault
 * passphrase given) every record. *authenticated: records opened (-1 when not
 * tried, -2 when the shell's key does not fit). */
int kz_backup_check_vault(struct kz_state *st, const char *path, const char *name,
                          long long *records, long *authenticated, struct kz_err *err);

#endif
