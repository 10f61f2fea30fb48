/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_PSEUDO_H
#define KIZUNA_MODEL_PSEUDO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pseudonymization for supervision and intervision (export --pseudonymize):
 * the names and places of a couple's profile become stable roles ("Partner A
 * (Japan)", "Child 1", "city in Germany", "support person 1", "referrer"),
 * everywhere they occur, and calendar dates become therapy weeks ("week 3").
 * Pure: never prints, never touches the vault.
 *
 * Names are matched as kz_find_folded folds (any case and accent: "ÄIKO",
 * "aiko"; "José", "Jose"), as
 * whole words: a letter or digit on either side is no match ("Ken" is not in
 * "Kenya" or "token"), except that a name's side written in CJK (kana, kanji,
 * hangul) needs no boundary (those scripts put no spaces between words:
 * "愛子さん" holds "愛子"). A possessive stays one: "Aiko's" becomes "Partner
 * A (Japan)'s", and the German "Aikos" becomes "Partner A (Japan)'s" too.
 * The longest name wins where names overlap ("Annabelle" before "Anna").
 *
 * Week 1 is the week (7 days) that starts on the first day of therapy: the
 * intake date, or the first session's when that is earlier. A date before it
 * becomes "N weeks before the start".
 */

struct kz_pseudo_name {
    char *name;   /* as in the profile */
    char *role;   /* what replaces it */
    size_t count; /* replacements made so far */
    int common;   /* the name is also a common word: the therapist should check */
    int written_out; /* "Juergen" for "Jürgen": added by kizuna, not in the profile */
};

struct kz_pseudo {
    struct kz_pseudo_name *names; /* longest first (kz_pseudo_add keeps the order) */
    size_t n;
    uint32_t start; /* yyyymmdd: the first day of week 1 (0: unknown) */
    int style;      /* KZ_DATE_*: how D/M/YYYY in a text is read (MDY or else DMY) */
    size_t dates;   /* dates turned into weeks (or "[date]") so far */
};

/* An empty replacement table; start as above, style the vault's date format. */
void kz_pseudo_init(struct kz_pseudo *p, uint32_t start, int style);
/* Wipes the names and frees them (p is empty afterwards). */
void kz_pseudo_free(struct kz_pseudo *p);
/* Adds name (trimmed) with its role, and each of its words of at least two
 * characters ("Aiko Tanaka": also "Aiko" and "Tanaka") with the same role. A
 * name already there keeps its first role; an empty one is ignored. Each is
 * also added as it is written out without the letters that stand for two
 * ("Jürgen": "Juergen"; ä ö ü æ œ ø å þ as ae oe ue ae oe oe aa th), which
 * the matching alone does not find (it reads ß as "ss" itself). */
void kz_pseudo_add(struct kz_pseudo *p, const char *name, const char *role);
/* 1 if word (any case) is also a common English, German or romanized Japanese
 * word ("Will", "May", "Hope", "Yuki"): replaced all the same, reported. */
int kz_pseudo_common_word(const char *word);

/* The therapy week of yyyymmdd date into buf: "week 3", "2 weeks before the
 * start", or "[date]" when start or date is 0. */
void kz_pseudo_week(const struct kz_pseudo *p, uint32_t date, char *buf, size_t size);
/* text[0..len) with every name replaced by its role and every date written
 * YYYY-MM-DD (with a time after it), D.M.YYYY, D/M/YYYY or YYYY年M月D日
 * replaced by its week ("[date]" when it is no calendar day): malloc'd, NUL
 * terminated, its length in *outlen (may be NULL). Counts into p. */
char *kz_pseudo_text(struct kz_pseudo *p, const char *text, size_t len, size_t *outlen);

/* Fills p with the roles of a couple profile (the export's "couple"):
 * partner names ("Partner A (Japan)": origin when known), children ("Child
 * 1"), the residence's city ("Leipzig, Germany": "city in Germany"; one word
 * that is no partner's origin: "a city"), and the capitalized words of the
 * support and referral fields that are no common word, title or kin word
 * ("support person 1", "referrer", "referrer 2"). */
void kz_pseudo_profile(struct kz_pseudo *p, const json_t *couple);
/* The first day of therapy in an export document: the earliest of the
 * couple's intake and the sessions' dates (yyyymmdd, 0 if none). */
uint32_t kz_pseudo_start(const json_t *doc);
/* Pseudonymizes an export document in place: format becomes
 * "kizuna-export-pseudonymized" (import refuses it), "pseudonymized" is
 * added; the export time, practice, therapist and every created, updated and
 * "at" time are dropped; a residence becomes its role; a child's birth_year
 * becomes age_at_start; every string that is a date or a timestamp becomes
 * its week, and every other string goes through kz_pseudo_text. */
void kz_pseudo_doc(struct kz_pseudo *p, json_t *doc);

#endif
