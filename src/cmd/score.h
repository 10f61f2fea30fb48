/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: score records as the commands (score.c, score_view.c,
 * session delete, export, import) read and write them, through the model
 * (include/kizuna/model_score.h). */
#ifndef KIZUNA_CMD_SCORE_H
#define KIZUNA_CMD_SCORE_H

#include "kizuna/model_score.h"
#include "cmds.h"
#include "scores.h"

/* Opens the score record id and decodes it strictly: KZ_EINTEGRITY naming
 * the record ("score record 1a2b3c4d5e6f7a8b has an unknown field 'x'").
 * The head's short id wins over the body's. */
int kz_score_cmd_read(struct kz_state *st, const unsigned char *id,
                      const struct kz_head_info *hi, struct kz_score *s, struct kz_err *err);
/* The same for a body already opened (kz_vault_records_open's callbacks). */
int kz_score_cmd_parse(const unsigned char *id, const struct kz_head_info *hi, const char *body,
                       size_t len, struct kz_score *s, struct kz_err *err);
/* Deletes the scores of the couple's session num (session delete, in its
 * transaction): how many into *n. */
int kz_score_cmd_drop_session(struct kz_state *st, const unsigned char *couple, uint32_t num,
                              int *n, struct kz_err *err);
/* For import: the exported score e (the at-th) read strictly (KZ_EUSAGE
 * naming the field), its session mapped through sessions (the export's "s3"
 * to {"num": new number, "date": "YYYY-MM-DD", "attended": "both"|...}), its
 * measure known here and its values in range, not a second score of the same
 * session, partner and measure (seen: keys so far), sealed under num. */
int kz_score_cmd_import(struct kz_state *st, const json_t *e, size_t at, uint32_t num,
                        const unsigned char *cid, const json_t *sessions, json_t *seen,
                        struct kz_err *err);

#endif
