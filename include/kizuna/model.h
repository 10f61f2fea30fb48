/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_H
#define KIZUNA_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"

/*
 * The domain model: what the sealed records hold. Each record has a body (a
 * JSON document) and a head (a small binary index entry, sealed too) with what
 * listing needs: kind, short id, parent couple, date, minutes, flags, code, tags.
 */
enum kz_kind {
    KZ_KIND_CONFIG = 1,
    KZ_KIND_COUPLE = 2,
    KZ_KIND_SESSION = 3,
    KZ_KIND_GOAL = 4,
    KZ_KIND_THEMES = 5,
    KZ_KIND_SCORE = 6, /* a partner's score on a measure at a session (model_measure.h) */
};

/* Head flags. */
#define KZ_HF_SIGNED 0x01      /* session: signed, immutable */
#define KZ_HF_PARTNER1 0x02    /* session: partner 1 alone; goal: for partner 1 */
#define KZ_HF_PARTNER2 0x04    /* session: partner 2 alone; goal: for partner 2 */
#define KZ_HF_VOID 0x08        /* session: voided (kept, hidden from lists and search) */

/* Status values (couple: active/paused/closed; goal: active/achieved/dropped). */
enum { KZ_ST_ACTIVE = 0, KZ_ST_PAUSED = 1, KZ_ST_CLOSED = 2, KZ_ST_ACHIEVED = 3, KZ_ST_DROPPED = 4 };

#define KZ_CODE_MAX 32
#define KZ_TAGS_MAX 400
#define KZ_HEAD_MAX (32 + 16 + KZ_CODE_MAX + KZ_TAGS_MAX)

struct kz_head_info {
    int kind;
    uint32_t num;                   /* short id of a session or goal */
    unsigned char parent[16];       /* the couple's record id (session, goal) */
    uint32_t date;                  /* yyyymmdd: session date, goal target, couple intake */
    uint16_t minutes;
    uint8_t flags;
    uint8_t status;
    char code[KZ_CODE_MAX + 1];     /* couple CODE */
    char tags[KZ_TAGS_MAX + 1];     /* session themes "a,b"; goal title */
};

/* Encodes h (version byte, little-endian fields) into out (KZ_HEAD_MAX); returns length. */
size_t kz_head_encode(const struct kz_head_info *h, unsigned char *out);
/* Decodes; -1 on a malformed head. */
int kz_head_decode(const unsigned char *in, size_t len, struct kz_head_info *h);
/* The kind, short id and (parent not NULL) where the parent's 16-byte id is
 * in in, without copying the strings: the scans over every head that want
 * one kind, one short id or one couple's. -1 as kz_head_decode. */
int kz_head_peek(const unsigned char *in, size_t len, int *kind, uint32_t *num,
                 const unsigned char **parent);
/* 1 if the comma-separated tags hold theme as a whole tag (never for ""). */
int kz_head_has_tag(const char *tags, const char *theme);

/* Dates are yyyymmdd numbers (0: none) and stored as "YYYY-MM-DD" always.
 * Years outside KZ_DATE_YEAR_MIN..MAX are refused everywhere. */
#define KZ_DATE_YEAR_MIN 1900
#define KZ_DATE_YEAR_MAX 2200
/* How dates are shown (config date-format); JSON output is always ISO. */
enum { KZ_DATE_ISO = 0, KZ_DATE_DMY_DOT = 1, KZ_DATE_DMY_SLASH = 2, KZ_DATE_MDY_SLASH = 3 };

/* A stored date: exactly "YYYY-MM-DD", a real calendar day -> yyyymmdd, or 0. */
uint32_t kz_date_parse(const char *s);
/* A date as a person types it -> yyyymmdd, or 0 with why (may be NULL) set to
 * the rest of a sentence about s ("is not a date (February 2026
 * has 28 days)"). Accepted: YYYY-MM-DD; D.M.YYYY and DD.MM.YYYY (day first);
 * today, yesterday; -Nd, +Nd, -Nw, +Nw (N days or weeks from today, N at most
 * 4 digits); and D/M/YYYY or M/D/YYYY only when style is KZ_DATE_DMY_SLASH or
 * KZ_DATE_MDY_SLASH (the order dates are shown in). today is yyyymmdd. */
uint32_t kz_date_read(const char *s, uint32_t today, int style, char *why, size_t size);
/* yyyymmdd -> "YYYY-MM-DD" into buf (11 bytes); "" for 0. */
void kz_date_format(uint32_t d, char *buf);
/* yyyymmdd -> text in the style (KZ_DATE_*) into buf (11 bytes); "" for 0. */
void kz_date_format_style(uint32_t d, int style, char *buf);
/* Style names: "iso" (also "yyyy-mm-dd"), "dd.mm.yyyy", "dd/mm/yyyy",
 * "mm/dd/yyyy", any case -> KZ_DATE_*, or -1; and back (canonical name). */
int kz_date_style_parse(const char *name);
const char *kz_date_style_name(int style);
/* Days from a to b (both valid yyyymmdd): b - a. */
long kz_date_diff(uint32_t a, uint32_t b);
/* Today as yyyymmdd (local time). For the test suites only, the environment
 * variable KIZUNA_TEST_TODAY=YYYY-MM-DD fixes it: it moves nothing but the
 * calendar day that "today", relative dates and the default dates mean (never
 * a timestamp, the audit trail's times or the idle lock), as typing --date
 * would; doctor reports it when set. */
uint32_t kz_date_today(void);
/* Now as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (21 bytes). */
void kz_time_now(char *buf);

/* Statuses by name ("active" ...) and back; -1 if unknown. */
int kz_status_parse(const char *s);
const char *kz_status_name(int st);
/* Who attended a session, one vocabulary everywhere (option, body, list,
 * show, JSON): "both", "partner1", "partner2". Also reads "1", "2", "P1 alone"
 * and "P2 alone" (list text before 0.2) and any case; NULL if unknown. */
const char *kz_attended_parse(const char *s);

/* Themes: the starter vocabulary from the field, NULL-terminated. */
extern const char *const kz_starter_themes[];
/* A theme name is 1-40 characters of lower-case letters, digits and '-'
 * (UTF-8 letters allowed); returns 0 if valid. */
int kz_theme_check(const char *name);

/* Couples. kz_couple_new makes the skeleton with every field. */
json_t *kz_couple_new(const char *code, const char *today);
/* Sets FIELD=VALUE (dotted path) with validation; KZ_EUSAGE naming the field. */
int kz_couple_set(json_t *couple, const char *field, const char *value, struct kz_err *err);
/* 0 if CODE is 1-32 of letters, digits, '-' and '_', not starting with '-'. */
int kz_code_check(const char *code);
/* Every settable field of a couple as (field, value text) in a stable order,
 * in the FIELD=VALUE syntax kz_couple_set reads back. */
void kz_couple_fields(const json_t *couple,
                      void (*cb)(void *ctx, const char *field, const char *value), void *ctx);
/* "Aiko (Japan, foreign) & Jonas (Germany, local)" into buf. */
void kz_couple_partners_line(const json_t *couple, char *buf, size_t size);

/* Session note templates: skeleton text with the template's headings. */
const char *kz_template_skeleton(const char *name); /* NULL if unknown */
extern const char *const kz_template_names[];

/* Sparkline of scores 0-10 as UTF-8 block characters into buf. */
void kz_sparkline(const int *scores, size_t n, char *buf, size_t size);

/* Decodes the code point at s (left bytes there) into *cp; returns its byte
 * length (1, with *cp the byte itself, for a stray byte or a cut sequence). */
size_t kz_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp);

/* One code point folded as the search folds it: ASCII A-Z lowered; a letter
 * with an accent or other mark (canonically a letter and combining marks:
 * é, Ö, ñ, ç, ő, ș, ά, ё) as that letter, and so a letter with a stroke
 * or the dotless i (ø, ł, đ, ı, ħ, ŧ); a full-width form of ASCII
 * (U+FF01-U+FF5E) as that ASCII character, lowered, and the ideographic
 * space (U+3000) as a space; then through towlower
 * (the locale's case table). A combining mark itself (U+0300-U+036F) is KZ_UTF8_MARK: a
 * match passes over it, and it is part of no word. */
#define KZ_UTF8_MARK 0xffffffffu
/* ß, as kz_utf8_fold leaves it (and ẞ lowered): the matcher and the
 * search index read it as "ss". */
#define KZ_UTF8_SHARP_S 0xdfu
uint32_t kz_utf8_fold(uint32_t cp);
/* The character at s (left bytes there) decoded and folded as the search
 * compares it (kz_utf8_fold) into *cp; returns its byte length. A byte that
 * does not begin valid UTF-8 is KZ_UTF8_STRAY | the byte, length 1: it
 * matches only itself (it used to be read as a Latin-1 character). */
#define KZ_UTF8_STRAY 0xdc00u
size_t kz_utf8_decode_fold(const unsigned char *s, size_t left, uint32_t *cp);
/* UTF-8 search without regard to case or accents: finds needle in hay (both
 * UTF-8), each character compared folded (kz_utf8_fold) and the combining
 * marks after each matched one taken with it; the needle's own marks ask for
 * nothing. ß and ẞ, in either, are "ss": a match may begin at a ß's second
 * 's' or end at its first, and then holds the whole ß. Returns the byte
 * offset and sets *mlen to the matched length, or -1 (also for a needle of
 * marks alone). */
long kz_find_folded(const char *hay, size_t haylen, const char *needle, size_t *mlen);
/* A snippet of about width characters around [off, off+mlen) with the match
 * marked by open/close strings, newlines folded to spaces (malloc'd). */
char *kz_snippet(const char *text, size_t off, size_t mlen, int width, const char *open,
                 const char *close);
/* A match in a text: byte offset and length. */
struct kz_span {
    size_t off, len;
    int first; /* the first place of one of the terms */
};
/* Every place in text where one of the terms (at most 64) occurs, folded as
 * kz_find_folded folds: up to max spans into spans, sorted by offset, the
 * overlapping ones merged; returns how many. *found gets bit t set for each
 * term t that occurs (even past max). */
size_t kz_find_spans(const char *text, size_t len, const char *const *terms, size_t nterms,
                     struct kz_span *spans, size_t max, uint64_t *found);
/* A snippet of about width characters (malloc'd): around spans[0] when it is
 * the only first place of a term, else a fragment around each first place
 * (joined with an ellipsis), every span inside marked (spans sorted, not
 * overlapping, as kz_find_spans gives them). */
char *kz_snippet_spans(const char *text, const struct kz_span *spans, size_t nspans, int width,
                       const char *open, const char *close);

#endif
