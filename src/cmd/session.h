/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to the session command files (session*.c): the options add and edit
 * share, and loading and saving a note through the model. */
#ifndef KIZUNA_CMD_SESSION_H
#define KIZUNA_CMD_SESSION_H

#include "kizuna/model_session.h"
#include "cmds.h"

/* Options shared by add and edit. */
struct kz_sess_fields {
    const char *date, *minutes, *tmpl, *themes, *goals, *text, *text_file, *modality;
    const char *attended, *language, *interventions, *homework, *process;
    int interpreter, no_interpreter, yes;
};

#define KZ_SESS_FIELD_OPTS(f)                                                                    \
    {"date", 0, 1, &(f).date, NULL}, {"minutes", 0, 1, &(f).minutes, NULL},                     \
        {"template", 0, 1, &(f).tmpl, NULL}, {"theme", 0, 1, &(f).themes, NULL},                 \
        {"goal", 0, 1, &(f).goals, NULL}, {"text", 0, 1, &(f).text, NULL},                       \
        {"text-file", 0, 1, &(f).text_file, NULL}, {"modality", 0, 1, &(f).modality, NULL},      \
        {"attended", 0, 1, &(f).attended, NULL}, {"language", 0, 1, &(f).language, NULL},        \
        {"interventions", 0, 1, &(f).interventions, NULL},                                      \
        {"homework", 0, 1, &(f).homework, NULL}, {"process-notes", 0, 1, &(f).process, NULL},    \
        {"interpreter", 0, 0, NULL, &(f).interpreter},                                           \
        {"no-interpreter", 0, 0, NULL, &(f).no_interpreter}, {"yes", 'y', 0, NULL, &(f).yes},    \
        {"", 0, KZ_OPT_REST, &(f).text, NULL}

/* Applies the options in f to the note s of the couple cid: each value
 * checked (the model's messages; themes, goals, templates and dates against
 * the vault). On failure s may hold some of the options. */
int kz_sess_apply(struct kz_state *st, struct kz_session *s, const unsigned char *cid,
                  const struct kz_sess_fields *f, struct kz_err *err);
/* 1 if any option of f but --yes was given. */
int kz_sess_has_fields(const struct kz_sess_fields *f);
/* Session num's opened body (record id) into s: in kizuna's own form by the
 * quick reader, else through jansson and the model, which name what is wrong
 * (KZ_EINTEGRITY: "record 0c49... does not hold a JSON document", "session s3
 * holds ..."). Touches no state: kz_vault_records_open's callbacks use it. */
int kz_sess_parse(const unsigned char *id, uint32_t num, const char *body, size_t len,
                  struct kz_session *s, struct kz_err *err);
/* The note with short id arg ("s3" or "3"): its record id, head, "s3" in sid
 * (16 bytes) and the decoded note (strict: KZ_EINTEGRITY naming it). */
int kz_sess_load(struct kz_state *st, const char *arg, unsigned char *id, struct kz_head_info *hi,
                 char *sid, struct kz_session *s, struct kz_err *err);
/* Seals s under id, updated now, with its head (cid: its couple). */
int kz_sess_save(struct kz_state *st, const unsigned char *id, struct kz_session *s,
                 const unsigned char *cid, struct kz_err *err);
/* "a, b,c" as a JSON list of the trimmed, non-empty items. */
json_t *kz_sess_split(const char *s);

#endif
