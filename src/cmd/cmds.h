/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: the entries each command file exports, and shared helpers. */
#ifndef KIZUNA_CMD_CMDS_H
#define KIZUNA_CMD_CMDS_H

#include "kizuna/cmd.h"
#include "kizuna/model.h"

extern const struct kz_cmd_entry kz_cmd_init, kz_cmd_info, kz_cmd_passwd, kz_cmd_lock,
    kz_cmd_unlock, kz_cmd_recovery_rotate;
extern const struct kz_cmd_entry kz_cmd_config_set, kz_cmd_config_get, kz_cmd_config_list,
    kz_cmd_config_unset;
extern const struct kz_cmd_entry kz_cmd_help, kz_cmd_quit;

/* Reads a new passphrase: from file if given, else (use_global) from
 * --passphrase-fd/-file, else twice on the terminal; checks its strength.
 * *out in secure memory. */
int kz_cmd_new_passphrase(struct kz_state *st, const char *file, int use_global, char **out,
                          size_t *len, struct kz_err *err);

/* ---- records (src/cmd/records.c): the heads index and sealed JSON bodies ---- */

/* Calls cb for every record head (decoded); cb returns non-zero to stop. */
int kz_rec_scan(struct kz_state *st, int (*cb)(void *ctx, const unsigned char *id,
                                               const struct kz_head_info *hi),
                void *ctx, struct kz_err *err);
/* The first record of a kind (config, themes): KZ_OK, or KZ_ENOTFOUND quietly. */
int kz_rec_find_kind(struct kz_state *st, int kind, unsigned char *id, struct kz_head_info *hi,
                     struct kz_err *err);
/* The couple with CODE (exact, case-sensitive): KZ_ENOTFOUND "no couple CODE". */
int kz_rec_find_couple(struct kz_state *st, const char *code, unsigned char *id,
                       struct kz_head_info *hi, struct kz_err *err);
/* A session ("s12" or "12") or goal ("g3" or "3") by short id. */
int kz_rec_find_num(struct kz_state *st, int kind, const char *arg, unsigned char *id,
                    struct kz_head_info *hi, struct kz_err *err);
/* The couple CODE a record's parent id names ("?" if gone) into code. */
void kz_rec_parent_code(struct kz_state *st, const unsigned char *parent, char *code);
/* The next short id for sessions or goals. */
uint32_t kz_rec_next_num(struct kz_state *st, int kind);
/* Opens and parses a body (KZ_EINTEGRITY if it is not a JSON object). */
int kz_rec_load(struct kz_state *st, const unsigned char *id, json_t **doc, struct kz_err *err);
/* Seals doc with the head hi under id. */
int kz_rec_save(struct kz_state *st, const unsigned char *id, const struct kz_head_info *hi,
                json_t *doc, struct kz_err *err);
/* "s12" / "g3" for display. */
void kz_rec_num_text(int kind, uint32_t num, char *buf, size_t size);

#endif
