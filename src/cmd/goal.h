/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: goals as the commands (goal_*.c, export, search) read
 * and write them, through the model (include/kizuna/model_goal.h). */
#ifndef KIZUNA_CMD_GOAL_H
#define KIZUNA_CMD_GOAL_H

#include "kizuna/model_goal.h"
#include "cmds.h"

/* Opens the goal record id and decodes it: KZ_EINTEGRITY naming the record
 * ("goal record 1a2b3c4d5e6f7a8b has an unknown field 'x'") when its body is
 * not a goal as the model reads one. g must be freed with kz_goal_free. */
int kz_goal_cmd_read(struct kz_state *st, const unsigned char *id, struct kz_goal *g,
                     struct kz_err *err);
/* Finds the goal named by arg ("g3" or "3") and reads it: id, head and g. */
int kz_goal_cmd_load(struct kz_state *st, const char *arg, unsigned char *id,
                     struct kz_head_info *hi, struct kz_goal *g, struct kz_err *err);
/* Stamps g updated now and seals it under id with its head (parent: the couple). */
int kz_goal_cmd_save(struct kz_state *st, const unsigned char *id, struct kz_goal *g,
                     const unsigned char *parent, struct kz_err *err);
/* Who a goal is for, as people read it: "couple", "partner 1", or the
 * partner's name when the couple's profile c has one (c may be NULL).
 * Returns 1 if it is the name. */
int kz_goal_cmd_for_text(const json_t *c, int partner, char *buf, size_t size);
/* For export: the goal record kid as an export holds it (id "g3", couple
 * code), without the links to the sessions in omitted ("s3": left out of an
 * export for one partner) nor their notes, appended to goals. */
int kz_goal_cmd_export(struct kz_state *st, const struct kz_rec_child *kid, const char *code,
                       const json_t *omitted, json_t *goals, struct kz_err *err);
/* For import: the exported goal e (the at-th, from 0) read strictly
 * (KZ_EUSAGE naming the field), given short id num under the couple cid, its
 * progress linked to the new session ids (map: old to new), sealed as a new
 * record. */
int kz_goal_cmd_import(struct kz_state *st, const json_t *e, size_t at, uint32_t num,
                       const unsigned char *cid, const json_t *map, struct kz_err *err);

#endif
