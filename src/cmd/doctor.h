/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to doctor (src/cmd/doctor.c): its last-backup check, in
 * src/cmd/doctor_backup.c, and its swap check, in src/cmd/doctor_swap.c. */
#ifndef KIZUNA_CMD_DOCTOR_H
#define KIZUNA_CMD_DOCTOR_H

#include <stddef.h>

#include "kizuna/cmd.h"

/* Days after the last backup before doctor warns, unless the practice's
 * config says otherwise (backup.warn-days). */
#define KZ_DOCTOR_BACKUP_WARN_DAYS 7

/* The newest backup event written with the key (t, its time), and the newest
 * written without it after that one (keyless: its fold time; claimed: the time
 * it claimed): anyone who can write the vault file can seal a backup event to
 * the inbox key, so only the first counts. Strings, "" when none. */
struct kz_last_backup {
    char t[32];
    char keyless[32], claimed[32];
};

/* For kz_vault_audit_walk over the chain, oldest first: ctx a struct
 * kz_last_backup, each backup event noted as above. Never stops the walk. */
int kz_doctor_find_backup(void *ctx, unsigned long long seq, const char *json, size_t len);
/* The practice's own threshold (config set backup.warn-days N), else
 * KZ_DOCTOR_BACKUP_WARN_DAYS. */
long kz_doctor_warn_days(struct kz_state *st);
/* The last-backup row's detail into detail (size bytes): 1 when it warns (no
 * backup written with the key, or one more than warn_days days ago), else 0.
 * A keyless event after the last keyed one is named but satisfies nothing. */
int kz_doctor_backup_detail(const struct kz_last_backup *lb, long warn_days, char *detail,
                            size_t size);

/* The swap row's detail into detail (size bytes) from swaps (/proc/swaps)
 * and the sysfs root sys (/sys): 1 when it warns, a swap area neither
 * dm-crypt (or on it: LVM on LUKS) nor zram, or swaps unreadable; else 0. */
int kz_doctor_swap_detail(const char *swaps, const char *sys, char *detail, size_t size);

#endif
