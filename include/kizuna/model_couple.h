/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_COUPLE_H
#define KIZUNA_MODEL_COUPLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"
#include "kizuna/model.h"

/*
 * The couple record (src/model/couple.c, couple_json.c). Its body stays a
 * jansson object, made strict: every field kizuna has written is known here
 * with its type, and kz_couple_check refuses anything else. Not a C struct:
 * the profile's consent is an open map (consent.NAME), and couple show --json
 * and export print the body in the order its fields were stored, which a
 * struct round trip would change for older records (this is a refactor).
 *
 * The fields (all optional but status, partner1 and partner2):
 *   kind "couple", v 1, code, status (active|paused|closed), intake,
 *   created, updated, residence, support, referral, notes: strings;
 *   partner1, partner2: {name, pronouns, origin: string, cultures: [string],
 *     languages: [{lang, fluency: string}], local: true|false|null};
 *   home_languages, children_languages: [string];
 *   children: [{name: string, birth_year: integer, languages: [string]}];
 *   consent: {NAME: true|false}; formulation: {problem, causes, stressors,
 *     identity, coping, relationship: string};
 *   closed, reopened: "YYYY-MM-DD" (issue #16: the day couple close archived
 *     it, only while closed; the day couple reopen last opened it again);
 *   hold: null or {reason: string, since: "YYYY-MM-DD"} (a legal hold).
 * Bodies older than issue #16 have none of the last three and still open: a
 * couple closed then has no closing date (retention counts from its last
 * session, see kz_couple_retention_end).
 */

#define KZ_COUPLE_VERSION 1

/* Where a couple body comes from: sealed in the vault (a fault is KZ_EINTEGRITY,
 * exit 4) or an export file being imported (KZ_EUSAGE, exit 2, "not a kizuna
 * export: ..."). Either way the message names the field. */
enum { KZ_COUPLE_SEALED = 0, KZ_COUPLE_IMPORT = 1 };

/* Checks c against the fields above: an unknown field, a value of the wrong
 * type, a status that is not active, paused or closed, or a partner missing is
 * refused naming it ("couple record: unknown field 'partner1.age'"). An import
 * whose status or partners are malformed gets the message imports always gave
 * ("not a kizuna export: the couple's status or partners are malformed"). */
int kz_couple_check(const json_t *c, int from, struct kz_err *err);
/* Parses a sealed body (a duplicate field is refused) and checks it: *out, or
 * NULL and KZ_EINTEGRITY. Encoding is jansson's compact dump of the object
 * that kz_couple_new and kz_couple_set build (kz_rec_save). */
int kz_couple_decode(const char *text, size_t len, json_t **out, struct kz_err *err);
/* The six sections of the cultural formulation, NULL-terminated. */
extern const char *const kz_couple_formulation_keys[];

/* The couple's status (KZ_ST_ACTIVE, _PAUSED, _CLOSED), or -1. */
int kz_couple_status(const json_t *c);
/* A couple status by name: active, paused or closed only; else -1. */
int kz_couple_status_parse(const char *name);
/* Stamps c's "created" or "updated" field with now ("YYYY-MM-DDTHH:MM:SSZ"). */
void kz_couple_stamp(json_t *c, const char *field, const char *now);
/* The head of a couple record: kind, code, status and intake date. */
void kz_couple_head(const json_t *c, struct kz_head_info *hi);

/* A couple's children are its sessions and goals: heads whose parent is the
 * couple's record id. What couple list, show and delete say about them: */
struct kz_couple_tally {
    int sessions;     /* every session, voided ones too */
    int goals;        /* every goal */
    int active_goals; /* goals still active */
    int scores;       /* every score (model_measure.h) */
    uint32_t last;    /* the latest session date (yyyymmdd), 0 for none */
};
/* 1 if hi is a session, a goal or a score (a child of some couple). */
int kz_couple_is_child(const struct kz_head_info *hi);
/* Counts one child into t (heads of other kinds are ignored). */
void kz_couple_tally_add(struct kz_couple_tally *t, const struct kz_head_info *child);
/* The order a couple's children are exported in: sessions by date, then
 * goals, each kind by short id within (a qsort-style comparison). */
int kz_couple_child_cmp(const struct kz_head_info *x, const struct kz_head_info *y);

/* The record's lifecycle (issue #16; src/model/couple_life.c). */

/* (couple_json.c) The rules of closed, reopened and hold beyond their types, for
 * kz_couple_check: closed and reopened are real calendar days, closed only on
 * a closed couple; a hold has a non-empty reason and a since date. Refused as
 * from asks (sealed KZ_EINTEGRITY, import KZ_EUSAGE) naming the field. */
int kz_couple_check_life(const json_t *c, int from, struct kz_err *err);
/* The closing date (yyyymmdd), or 0 (not closed, or closed before issue #16). */
uint32_t kz_couple_closed_on(const json_t *c);
/* d (yyyymmdd) plus years; 29 February becomes 28 February in a common year. */
uint32_t kz_date_add_years(uint32_t d, int years);
/* The last day a closed couple's records are kept: its closing date, else
 * (closed before closing dates were written) last_session (yyyymmdd, 0 for
 * none), else its intake date, plus years. 0 when the couple is active or
 * paused (retention runs only once treatment has ended) or has no date. A
 * couple is past retention when today > this date. */
uint32_t kz_couple_retention_end(const json_t *c, uint32_t last_session, int years);
/* 1 if c is under a legal hold (*reason, if reason is not NULL, then points
 * into c: its text), else 0. */
int kz_couple_on_hold(const json_t *c, const char **reason);
/* The hold's since date (yyyymmdd), or 0 when not on hold. */
uint32_t kz_couple_hold_since(const json_t *c);
/* KZ_OK if c may be changed; a closed couple is archived, read-only:
 * KZ_ERR "C014 is closed (archived): couple reopen C014 to change it". */
int kz_couple_writable(const json_t *c, struct kz_err *err);
/* Whether c may be erased on today (yyyymmdd): KZ_OK, or KZ_ERR with the
 * refusal, in this order: under a legal hold ("C014 is on legal hold since
 * 2026-03-01 (reason): couple release C014 first"); not closed ("C014 is
 * active: couple close C014 first"); closed but today is not past its
 * retention end and before_retention is 0 ("C014 is kept until 2036-06-15
 * (10 years after closing, config retention.years): --before-retention
 * --reason TEXT for a client's erasure request"). before_retention lifts only
 * the last refusal, never a hold. */
int kz_couple_erase_check(const json_t *c, uint32_t last_session, int years, uint32_t today,
                          int before_retention, struct kz_err *err);
/* couple close: status closed, closed today. KZ_ERR if already closed. */
int kz_couple_close(json_t *c, uint32_t today, struct kz_err *err);
/* couple reopen: status active, closed dropped, reopened today. KZ_ERR if the
 * couple is not closed. */
int kz_couple_reopen(json_t *c, uint32_t today, struct kz_err *err);
/* couple hold: hold {reason, since today}. KZ_EUSAGE for an empty reason, one
 * with a control character or longer than KZ_HOLD_REASON_MAX bytes; KZ_ERR if
 * already on hold (the hold and how to release it). */
#define KZ_HOLD_REASON_MAX 500
int kz_couple_hold(json_t *c, const char *reason, uint32_t today, struct kz_err *err);
/* couple release: the hold removed. KZ_ERR if c is not on hold. */
int kz_couple_release(json_t *c, struct kz_err *err);

#endif
