/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: recording audit events for commands (src/cmd/events.c).
 * The dispatcher, the state (unlock, lock) and the commands use it; it uses
 * no command, so that none of them loops back through it. */
#ifndef KIZUNA_CMD_EVENTS_H
#define KIZUNA_CMD_EVENTS_H

#include <jansson.h>
#include <stddef.h>

#include "kizuna/cmd.h"

/* The audit event a command is (NULL: not audited). */
const char *kz_audit_event_of(const char *cmd);

/* Records an audit event (JSON: time, event, command, record, couple): in the
 * chain when unlocked, else sealed to the vault's inbox for the next unlock.
 * Runs in the current transaction if one is open, else in its own. */
int kz_audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
                   const char *how, struct kz_err *err);
/* kz_audit_event with a reason the event carries (a void's), shown in audit log. */
int kz_audit_event_reason(struct kz_state *st, const char *event, const char *cmd,
                          const char *ref, const char *reason, struct kz_err *err);
/* kz_audit_event_reason with further fields (counts; borrowed, never
 * overriding the ones above): couple erase's. */
int kz_audit_event_extra(struct kz_state *st, const char *event, const char *cmd,
                         const char *ref, const char *reason, json_t *extra, struct kz_err *err);
/* Records a command's own event before its output appears (views, exports):
 * when the event cannot be saved, err says what was refused and why. */
int kz_audit_first(struct kz_state *st, const char *event, const char *cmd, const char *ref,
                   const char *refused, struct kz_err *err);

/* A pending (keyless) event as it joins the chain, for kz_vault_audit_fold. */
char *kz_audit_vet_pending(const char *json, size_t len);
/* True if the chain event e was recorded without the key (anyone who can write
 * the vault file could have sealed it); then "t" is when it was folded and
 * "claimed" the time it claimed (an event folded by an older kizuna is
 * rewritten so in e). */
int kz_audit_unverified(json_t *e);

#endif
