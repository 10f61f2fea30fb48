/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_GOAL_H
#define KIZUNA_MODEL_GOAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"
#include "kizuna/model.h"

/*
 * A goal: a couple's (or one partner's) aim, followed with dated 0-10 scores.
 * The sealed body is one JSON object (kind "goal", v 1) with exactly these
 * fields, the same in every version so far:
 *
 *   kind, v, id (short id number), couple (the couple record's id in hex),
 *   partner (0 the couple, 1 or 2), title, description, target ("" or
 *   YYYY-MM-DD), status (active, achieved, dropped), progress (list of
 *   {date, score, session, note}), created, updated, and closed (YYYY-MM-DD,
 *   once done or dropped).
 *
 * A progress entry's session is a session's short id ("s3") or null; its note
 * is missing in goals imported from an export made for one partner (a note of
 * a session left out goes with the link).
 *
 * The model never prints and never touches the vault: commands load a body,
 * decode it here, change the struct through the functions below (which carry
 * the messages people see), encode it and save it.
 */

#define KZ_GOAL_TITLE_MAX 200   /* bytes of UTF-8, one line */
#define KZ_GOAL_TEXT_MAX 4000   /* description, a progress note */
#define KZ_GOAL_TARGET_AHEAD 3653 /* days: a target further ahead asks first */
#define KZ_GOAL_SPARK_MAX 50    /* entries a sparkline draws (the latest) */
#define KZ_GOAL_SID_MAX 16      /* "s4294967295" and its NUL fit */
#define KZ_GOAL_TIME_MAX 32     /* created, updated: "YYYY-MM-DDTHH:MM:SSZ" */

struct kz_goal_entry {
    uint32_t date;                  /* yyyymmdd (0: not a date; an old import) */
    int score;                      /* 0-10 */
    char session[KZ_GOAL_SID_MAX];  /* "s3", or "" for none (null) */
    char *note;                     /* NULL: none stored (not even "") */
};

struct kz_goal {
    uint32_t num;                   /* short id: g<num> */
    char couple[33];                /* the couple record's id in hex */
    int partner;                    /* 0 the couple, 1 or 2 */
    char *title, *description;      /* never NULL after init or decode */
    uint32_t target;                /* yyyymmdd, 0: none */
    int status;                     /* KZ_ST_ACTIVE, KZ_ST_ACHIEVED or KZ_ST_DROPPED */
    uint32_t closed;                /* yyyymmdd it was done or dropped, 0: never */
    struct kz_goal_entry *progress; /* sorted by date, an entry after its day's others */
    size_t nprogress;
    char created[KZ_GOAL_TIME_MAX], updated[KZ_GOAL_TIME_MAX];
};

/* An empty active goal for the couple (hex id) with number num; created and
 * updated are now. Free with kz_goal_free. */
void kz_goal_init(struct kz_goal *g, uint32_t num, const char *couple_hex);
/* Wipes the texts (clinical data) and frees them; g is empty afterwards. */
void kz_goal_free(struct kz_goal *g);

/* How a body is read: as sealed in the vault, or from an export being imported. */
enum { KZ_GOAL_SEALED = 0, KZ_GOAL_IMPORT = 1 };

/*
 * Reads doc into g (kz_goal_init'd or not: g is overwritten). Strict about
 * the shape in both modes: a field not listed above, or one of the wrong JSON
 * type, is refused naming the field ("progress[2].score"). label starts each
 * message ("goal record 1a2b3c4d5e6f7a8b", or for an import "not a kizuna
 * export: goal g3").
 *
 * KZ_GOAL_SEALED: refusals are KZ_EINTEGRITY. kind must be "goal" and v 1;
 * missing fields read as a new goal's. Values an earlier import could store
 * unchecked are read as the commands always read them: a partner other than 1
 * or 2 is the couple's goal, a status other than achieved or dropped is
 * active, a date that is not YYYY-MM-DD is none (0), a score is as stored.
 *
 * KZ_GOAL_IMPORT: refusals are KZ_EUSAGE. id is the exported short id (text),
 * couple the exported code (ignored), kind and v may be missing; a missing or
 * empty title is "not a kizuna export: a goal without a title"; values are
 * checked as the commands check them (title one line of 1-200 bytes, texts at
 * most 4000 bytes, partner 0-2, status, ISO dates, scores 0-10, a session id
 * or null).
 */
int kz_goal_decode(const json_t *doc, int mode, const char *label, struct kz_goal *g,
                   struct kz_err *err);
/* kz_goal_decode(KZ_GOAL_SEALED) of a body as text: not JSON, or a field
 * given twice, is KZ_EINTEGRITY naming it. */
int kz_goal_parse(const char *text, size_t len, const char *label, struct kz_goal *g,
                  struct kz_err *err);
/* The sealed body (every field, in the order goal add writes them). */
json_t *kz_goal_encode(const struct kz_goal *g);
/* The body as exports and goal show --json give it: no kind or v, id as
 * "g3" and couple as the couple's code. */
json_t *kz_goal_export(const struct kz_goal *g, const char *code);
/* The head of a goal (kind, short id, couple, target, partner flags, status,
 * the title cut at a character boundary as tags). parent: the couple's id. */
void kz_goal_head(const struct kz_goal *g, const unsigned char *parent, struct kz_head_info *hi);

/* "g3" into buf. */
void kz_goal_id_text(uint32_t num, char *buf, size_t size);

/* ---- what goal add, progress, done and drop check (their messages) ---- */

/* The title of goal add: KZ_ERR "nothing written; no goal added (the title is
 * empty)" when blank, KZ_EUSAGE "a goal's title is one line of 1 to 200 bytes
 * of UTF-8 text" when not one line or too long. */
int kz_goal_set_title(struct kz_goal *g, const char *title, struct kz_err *err);
/* --partner "1" or "2" (NULL: the couple). */
int kz_goal_set_partner(struct kz_goal *g, const char *text, struct kz_err *err);
/* --description: at most 4000 bytes of UTF-8 text (NULL: ""). */
int kz_goal_set_description(struct kz_goal *g, const char *text, struct kz_err *err);
/* A score as typed: a whole number from 0 to 10. */
int kz_goal_score_parse(const char *text, int *score, struct kz_err *err);
/* --note: at most 4000 bytes of UTF-8 text. */
int kz_goal_note_check(const char *note, struct kz_err *err);
/* Adds a progress entry (session "" or NULL for none; note NULL for ""),
 * kept in date order: it joins the others of its day at their end. */
void kz_goal_add_progress(struct kz_goal *g, uint32_t date, int score, const char *session,
                          const char *note);
/* Marks g achieved or dropped (to) on date: KZ_EUSAGE "goal g3 is already
 * achieved" when it is so already. */
int kz_goal_close(struct kz_goal *g, int to, uint32_t date, struct kz_err *err);
/* goal list --status: active, achieved, dropped, or all (-1). */
int kz_goal_status_filter(const char *text, int *status, struct kz_err *err);

/* ---- what the commands read ---- */

/* The latest progress entry (the last by date), or NULL when there is none. */
const struct kz_goal_entry *kz_goal_latest(const struct kz_goal *g);
/* The first entry a sparkline of at most max entries draws (the latest ones). */
size_t kz_goal_spark_first(const struct kz_goal *g, size_t max);

/* ---- export and import ---- */

/* For an export to one partner: an entry linked to session sid (left out)
 * loses the link and its note, keeps date and score. */
void kz_goal_unlink_session(struct kz_goal *g, const char *sid);
/* For an import: each entry's session becomes map[session] (a JSON object of
 * old to new short ids), or none when the map has no such session. */
void kz_goal_remap_sessions(struct kz_goal *g, const json_t *map);

#endif
