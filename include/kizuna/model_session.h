/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_SESSION_H
#define KIZUNA_MODEL_SESSION_H

#include "kizuna/model.h"

/*
 * A session note: its one shape, the validation of every field with the
 * message the person typing sees, its JSON in the vault and in an export
 * (strict both ways), and what every command asks of a note (head, status,
 * first line). Never prints, never touches the vault.
 *
 * Every string is a malloc'd copy, wiped when the note is freed; the free text
 * (note, process notes, addenda) keeps its length too (it may hold a NUL, as a
 * JSON string may).
 */

#define KZ_SESSION_MINUTES_MAX 600
#define KZ_SESSION_REASON_MAX 500 /* bytes of a void's reason */

/* Where a body lives: its JSON differs only in these fields. */
enum kz_session_form {
    KZ_SESSION_SEALED,   /* the vault: "kind", "v", "id" a number, "couple" the record id (hex) */
    KZ_SESSION_EXPORTED, /* an export file: "id" "s3", "couple" the CODE, no kind or v, and
                          * "process_notes" only when the export includes them */
};

struct kz_session_addendum {
    char *date; /* "YYYY-MM-DD": the day it was written */
    char *at;   /* "YYYY-MM-DDTHH:MM:SSZ" */
    char *text;
    size_t text_len;
};

struct kz_session {
    uint32_t num;     /* short id (s3: 3); the sealed "id" */
    char *couple;     /* sealed: the couple's record id in hex; exported: its CODE */
    char *date;       /* "YYYY-MM-DD" */
    json_int_t minutes;
    char *modality;   /* in-person, video, phone */
    char *attended;   /* both, partner1, partner2 (as stored: see kz_attended_parse) */
    char *language;
    int interpreter;
    char *tmpl;       /* "template": the note template's name */
    char **themes;    /* theme names */
    size_t nthemes;
    char **goals;     /* linked goals by short id ("g2") */
    size_t ngoals;
    char *interventions, *homework;
    char *process_notes; /* private working notes */
    size_t process_notes_len;
    int has_process_notes; /* exported form: written only when set */
    char *signed_at;       /* "signed": when, or NULL while unsigned */
    struct kz_session_addendum *addenda;
    size_t naddenda;
    char *created, *updated; /* NULL when absent (bodies some tools wrote) */
    char *text;              /* the note */
    size_t text_len;
    int voided;              /* "void": {"reason", "time"} */
    char *void_reason, *void_time;
};

/* The note 'session add' starts from: short id num of the couple (its record
 * id in hex), dated today ("YYYY-MM-DD"), created now, 50 minutes in person,
 * both attending, template free, no text. */
void kz_session_init(struct kz_session *s, uint32_t num, const char *couple, const char *today,
                     const char *now);
/* Wipes and frees what s holds; s is zeroed (freeing twice is harmless). */
void kz_session_free(struct kz_session *s);

/* A body into s, strictly: a field no version of kizuna wrote, or one of the
 * wrong type, is refused. Fields missing get what a reader saw before (0, "",
 * "both", none). Sealed: KZ_EINTEGRITY "WHAT holds an unknown field 'x'"
 * (what: "session s3"). Exported: KZ_EUSAGE "not a kizuna export: a session
 * with an unknown field 'x'"; the stored words of "attended" before 0.2 ("1",
 * "P2 alone") are read as today's, another is refused. On failure s is empty. */
int kz_session_decode(const json_t *doc, enum kz_session_form form, const char *what,
                      struct kz_session *s, struct kz_err *err);
/* The same from JSON text: a field given twice is refused too. */
int kz_session_parse(const char *body, size_t len, enum kz_session_form form, const char *what,
                     struct kz_session *s, struct kz_err *err);
/* A sealed body in the form kizuna writes it (jansson's compact dump of
 * kz_session_encode) read without building a JSON tree: 1, with s as
 * kz_session_parse sets it; or 0, s empty, for a body in any other form,
 * which kz_session_parse then reads with jansson (and names what is wrong).
 * kz_session_parse tries it first. */
int kz_session_read_sealed(const char *body, size_t len, struct kz_session *s);
/* s as JSON in form (new reference), its fields in the order session add
 * writes them. Exported: "id" is "s<num>". */
json_t *kz_session_encode(const struct kz_session *s, enum kz_session_form form);
/* The head that indexes s (couple: the couple's record id): date, minutes,
 * signed, void and attended flags, themes joined by commas (those that fit). */
void kz_session_head(const struct kz_session *s, const unsigned char *couple,
                     struct kz_head_info *hi);

/* ---- fields as typed (KZ_EUSAGE with the message shown, s unchanged) ---- */
/* "--minutes: a whole number from 1 to 600". */
int kz_session_set_minutes(struct kz_session *s, const char *text, struct kz_err *err);
/* "--modality: in-person, video or phone". */
int kz_session_set_modality(struct kz_session *s, const char *value, struct kz_err *err);
/* "--attended: both, partner1 or partner2 (1, 2)"; stored as kz_attended_parse's word. */
int kz_session_set_attended(struct kz_session *s, const char *value, struct kz_err *err);
/* --interpreter / --no-interpreter (0 0: unchanged): "... not both". */
int kz_session_set_interpreter(struct kz_session *s, int yes, int no, struct kz_err *err);
/* The note: "the note is not valid UTF-8 text". */
int kz_session_set_text(struct kz_session *s, const char *text, size_t len, struct kz_err *err);
/* Process notes: the same message. */
int kz_session_set_process_notes(struct kz_session *s, const char *text, size_t len,
                                 struct kz_err *err);
/* 1 if text[0..len) is text a body can hold (valid UTF-8), else 0. */
int kz_session_text_ok(const char *text, size_t len);
/* A text field (date, template, language, interventions, homework, couple,
 * updated...) of s: replaces *field with a copy of value. */
void kz_session_set(char **field, const char *value);
/* Replaces a list (themes, goals) with copies of the n names. */
void kz_session_set_list(char ***list, size_t *n, const char *const *names, size_t count);

/* ---- status: signed, void, addenda ---- */
int kz_session_is_signed(const struct kz_session *s);
int kz_session_is_void(const struct kz_session *s);
/* May the note sid ("s3") be edited? KZ_EUSAGE "session s3 is void and cannot
 * change ..." or "session s3 is signed and cannot change; ...". */
int kz_session_check_change(const struct kz_session *s, const char *sid, struct kz_err *err);
/* Void, then "session s3 was already signed on T". */
int kz_session_check_sign(const struct kz_session *s, const char *sid, struct kz_err *err);
/* Signs s at now ("YYYY-MM-DDTHH:MM:SSZ"). */
void kz_session_sign(struct kz_session *s, const char *now);
/* Void, then "session s3 is not signed: change it with 'session edit s3'". */
int kz_session_check_amend(const struct kz_session *s, const char *sid, struct kz_err *err);
/* Adds a dated addendum: "the addendum is not valid UTF-8 text". */
int kz_session_amend(struct kz_session *s, const char *today, const char *now, const char *text,
                     size_t len, struct kz_err *err);
/* A void's reason as typed: trimmed of blanks at both ends into *r, *n (a
 * part of raw). "session void: --reason needs some text", "... is longer than
 * 500 bytes", "... is one line of text". */
int kz_session_void_reason(const char *raw, const char **r, size_t *n, struct kz_err *err);
/* Voids s at now with the reason r (n bytes): "session s3 is already void",
 * "session void: the reason is not valid UTF-8 text". */
int kz_session_void(struct kz_session *s, const char *sid, const char *r, size_t n,
                    const char *now, struct kz_err *err);
/* May the note be deleted? Signed: "session s3 is signed and cannot be
 * deleted; ..."; void: "session s3 is void: a voided note is kept". */
int kz_session_check_delete(const struct kz_session *s, const char *sid, struct kz_err *err);

/* ---- for lists and views ---- */
/* Who attended, from a head's flags: "both", "partner1" or "partner2". */
const char *kz_session_who(uint8_t flags);
/* The first line of a note worth showing in a list: the first one not blank
 * and not a template heading ("## Plan"), trimmed, controls as '?' (malloc'd;
 * "" when there is none). */
char *kz_note_first_line(const char *text);

#endif
