/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_ERASE_H
#define KIZUNA_MODEL_ERASE_H

#include <stddef.h>

#include "kizuna/model.h"

/*
 * What `couple erase` says before and after it removes a couple
 * (src/model/erase.c): pure functions over heads and audit events.
 */

/* Every record of one couple besides its profile, by kind. */
struct kz_erase_tally {
    int sessions;        /* every session, voided ones too */
    int signed_sessions; /* of which signed */
    int goals;
    int scores;
};
/* Counts one child head into t (heads of other kinds are ignored). */
void kz_erase_tally_add(struct kz_erase_tally *t, const struct kz_head_info *child);
/* "C014: 9 sessions (7 signed), 2 goals, 54 scores, the profile" into buf
 * (size bytes, always terminated); a kind with none is named with 0. */
void kz_erase_describe(const char *code, const struct kz_erase_tally *t, char *buf,
                       size_t size);
/* 1 when json (an audit event as the chain holds it) is a backup at or after
 * since ("YYYY-MM-DDTHH:MM:SSZ"; NULL or "" counts every backup), else 0. A
 * keyless backup event counts too: the data may be in it all the same. */
int kz_erase_backup_since(const char *json, size_t len, const char *since);

#endif
