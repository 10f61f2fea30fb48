/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: the entries each command file exports, and shared helpers. */
#ifndef KIZUNA_CMD_CMDS_H
#define KIZUNA_CMD_CMDS_H

#include "kizuna/cmd.h"

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

#endif
