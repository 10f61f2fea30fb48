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
 *     identity, coping, relationship: string}.
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

#endif
