/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to the couple commands, export and import: couple records in the
 * vault, read and written through the model (include/kizuna/model_couple.h). */
#ifndef KIZUNA_CMD_COUPLE_CMD_H
#define KIZUNA_CMD_COUPLE_CMD_H

#include "kizuna/model_couple.h"
#include "cmds.h"

/* Opens the couple record id and decodes it strictly (kz_couple_decode): a
 * body that is not a couple as kizuna writes it is KZ_EINTEGRITY naming the
 * record and the field. */
int kz_couple_load(struct kz_state *st, const unsigned char *id, json_t **c,
                   struct kz_err *err);
/* Finds the couple *code names (any case) and loads it; *code then points to
 * the code as stored (in canon, KZ_CODE_MAX + 1 bytes), for the messages. */
int kz_couple_find_load(struct kz_state *st, char **code, char *canon, unsigned char *id,
                        json_t **c, struct kz_err *err);
/* Stamps c "updated" now and seals it under id with its head. A couple closed
 * in the vault is archived: KZ_ERR "C014 is closed (archived): couple reopen
 * C014 to change it". */
int kz_couple_save(struct kz_state *st, const unsigned char *id, json_t *c, struct kz_err *err);
/* kz_couple_save for the lifecycle commands (close, reopen, hold, release):
 * a closed couple too. */
int kz_couple_save_life(struct kz_state *st, const unsigned char *id, json_t *c,
                        struct kz_err *err);
/* What the couple id's sessions and goals add up to (one kz_rec_children). */
int kz_couple_count(struct kz_state *st, const unsigned char *id, struct kz_couple_tally *t,
                    struct kz_err *err);

/* The closed couples past their retention end on today (src/cmd/retention.c):
 * rows {code, closed, last_session, kept_until (dates in style), hold (reason
 * or null)} and the retention.years counted with. */
int kz_retention_due(struct kz_state *st, int style, json_t **rows, int *years,
                     struct kz_err *err);
/* couple show's lines about a closed couple (archived, kept until) and a hold. */
struct kz_buf;
void kz_retention_lines(struct kz_state *st, const json_t *c, uint32_t last, int style,
                        struct kz_buf *b);

#endif
