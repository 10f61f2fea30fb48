/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cmds.h"

static const struct kz_cmd_entry *const table[] = {
    &kz_cmd_init,
    &kz_cmd_info,
    &kz_cmd_unlock,
    &kz_cmd_lock,
    &kz_cmd_passwd,
    &kz_cmd_recovery_rotate,
    &kz_cmd_config_set,
    &kz_cmd_config_get,
    &kz_cmd_config_list,
    &kz_cmd_config_unset,
    &kz_cmd_help,
    &kz_cmd_quit,
    NULL,
};

const struct kz_cmd_entry *const *
kz_cmd_table(void)
{
    return table;
}
