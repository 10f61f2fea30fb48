/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_SCORE_H
#define KIZUNA_MODEL_SCORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"
#include "kizuna/model_measure.h"

/*
 * Measures and scores as the commands check, seal and read them (the structs
 * are in model_measure.h). Pure: never prints, never touches the vault.
 *
 * The therapist's own measures live in the config record under "measures":
 *   {NAME: {title: string, min, max, cutoff, rci: numbers, higher_is_better:
 *    boolean, alliance: boolean, subscales: [string], created: string}}
 *
 * A score's sealed body is one JSON object (kind "score", v 1) with exactly
 *   kind, v, id (short id number), couple (the couple record's id in hex),
 *   session ("s12"), date (YYYY-MM-DD, the session's), partner (1 or 2),
 *   measure (its name), values ([numbers], one per subscale, or [] when a
 *   total was given), total (number), created (time).
 * Exports carry it without kind and v, id as "r3" and couple as the code.
 */

/* ---- measures ---- */

/* 1 if name is 1-24 letters, digits, '-' and '_' (a measure's or a subscale's name). */
int kz_measure_name_ok(const char *name);
/* Checks a definition as `measure define` would keep it: the name (not a
 * built-in's), min < max, the cut-off within the range, 0 < rci < max - min,
 * at most 8 subscales, each named, none twice (any case), the title one line
 * of at most 64 bytes. KZ_EUSAGE with a one-line message. */
int kz_measure_check(const struct kz_measure *m, struct kz_err *err);
/* A number as typed for opt (--min ...): at most one decimal place, between
 * -100000 and 100000. */
int kz_measure_number(const char *opt, const char *text, double *out, struct kz_err *err);
/* "a,b,c" into m's subscales (KZ_EUSAGE naming a bad one). */
int kz_measure_set_subscales(struct kz_measure *m, const char *list, struct kz_err *err);

/* The config record's "measures" object checked strictly: an unknown field,
 * a field of the wrong type or a definition kz_measure_check refuses is
 * KZ_EINTEGRITY naming it ("config record: measure 'X': ..."). */
int kz_measure_conf_check(const json_t *measures, struct kz_err *err);
/* The therapist's measure name (any case) from cfg into out: 0, or -1. */
int kz_measure_conf_get(const json_t *cfg, const char *name, struct kz_measure *out);
/* Calls cb for each of the therapist's measures in cfg, in the order defined. */
void kz_measure_conf_each(const json_t *cfg, void (*cb)(void *ctx, const struct kz_measure *m),
                          void *ctx);
/* Adds m (checked) to cfg, made at now: KZ_EUSAGE when a measure of that
 * name (any case) exists. */
int kz_measure_conf_add(json_t *cfg, const struct kz_measure *m, const char *now,
                        struct kz_err *err);
/* Removes the therapist's measure name (any case): 0, or -1 if there is none. */
int kz_measure_conf_remove(json_t *cfg, const char *name);
/* The definition as measure list --json and measure show --json give it. */
json_t *kz_measure_json(const struct kz_measure *m);
/* 1 if total lies on the wrong side of m's cut-off (below it when higher is
 * better, above it when lower is). */
int kz_measure_beyond_cutoff(const struct kz_measure *m, double total);

/* ---- scores ---- */

/* A number shown the way scores are: "26.5", "7", "-2" (buf: 16 bytes). */
void kz_score_fmt(double v, char *buf, size_t size);
/* "r3" into buf. */
void kz_score_id_text(uint32_t num, char *buf, size_t size);
/* Reads VALUES for m as typed: one number per subscale ("6.5,7,5,8"; the
 * total is their sum) or a single total; each with at most one decimal place,
 * within the subscale's range (min/nsub .. max/nsub) and the total within
 * m's range. Sets s->values, nvalues, total. KZ_EUSAGE naming the value. */
int kz_score_set_values(struct kz_score *s, const struct kz_measure *m, const char *text,
                        struct kz_err *err);
/* Checks s's values against m as kz_score_set_values does (an import). */
int kz_score_check(const struct kz_score *s, const struct kz_measure *m, struct kz_err *err);

/* How a body is read: as sealed, or from an export being imported. */
enum { KZ_SCORE_SEALED = 0, KZ_SCORE_IMPORT = 1 };
/* Reads doc into s, strictly: a field not listed above, or one of the wrong
 * JSON type, is refused naming it; label starts each message. SEALED:
 * KZ_EINTEGRITY, kind "score" and v 1 required. IMPORT: KZ_EUSAGE, id is
 * "r3", couple the code (ignored), session "s3", partner 1 or 2, date ISO. */
int kz_score_decode(const json_t *doc, int mode, const char *label, struct kz_score *s,
                    struct kz_err *err);
/* kz_score_decode(SEALED) of text: not JSON or a field given twice is
 * KZ_EINTEGRITY naming it. */
int kz_score_parse(const char *text, size_t len, const char *label, struct kz_score *s,
                   struct kz_err *err);
/* The sealed body, every field. */
json_t *kz_score_encode(const struct kz_score *s);
/* As exports and score show --json give it: no kind or v, id "r3", couple code. */
json_t *kz_score_export(const struct kz_score *s, const char *code);
/* The head (model_measure.h): kind, num, parent, date, partner flag, tags. */
void kz_score_head(const struct kz_score *s, const unsigned char *parent,
                   struct kz_head_info *hi);
/* A score head's tags "MEASURE s12 26.5" read back: 0, or -1 if malformed. */
int kz_score_tags(const char *tags, char *measure, uint32_t *session, double *total);

#endif
