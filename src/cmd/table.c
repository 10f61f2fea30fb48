/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The command table: every entry, in help order. The dispatcher (cmd.c),
 * completion and main read it; help gets it through st->cmds, so that no
 * command file uses this file, which uses them all. */
#include "cmds.h"

static const struct kz_cmd_entry *const table[] = {
    &kz_cmd_couple_add,
    &kz_cmd_couple_set,
    &kz_cmd_couple_list,
    &kz_cmd_couple_show,
    &kz_cmd_couple_edit,
    &kz_cmd_couple_close,
    &kz_cmd_couple_reopen,
    &kz_cmd_couple_hold,
    &kz_cmd_couple_release,
    &kz_cmd_retention,
    &kz_cmd_couple_delete,
    &kz_cmd_couple_erase,
    &kz_cmd_session_add,
    &kz_cmd_session_list,
    &kz_cmd_session_show,
    &kz_cmd_session_edit,
    &kz_cmd_session_sign,
    &kz_cmd_session_amend,
    &kz_cmd_session_void,
    &kz_cmd_session_delete,
    /* goals and themes (src/cmd/goal.c, src/cmd/themes.c) */
    &kz_cmd_goal_add,
    &kz_cmd_goal_list,
    &kz_cmd_goal_show,
    &kz_cmd_goal_progress,
    &kz_cmd_goal_done,
    &kz_cmd_goal_drop,
    /* measures and scores (src/cmd/score.c, score_view.c, measure.c) */
    &kz_cmd_score_add,
    &kz_cmd_score_list,
    &kz_cmd_score_show,
    &kz_cmd_score_remove,
    &kz_cmd_measure_define,
    &kz_cmd_measure_list,
    &kz_cmd_measure_show,
    &kz_cmd_measure_remove,
    &kz_cmd_themes,
    &kz_cmd_themes_list,
    &kz_cmd_themes_add,
    &kz_cmd_template_add,
    &kz_cmd_template_list,
    &kz_cmd_template_show,
    &kz_cmd_template_remove,
    &kz_cmd_flags, /* feedback flags (src/cmd/flags.c) */
    &kz_cmd_chart, /* src/cmd/chart.c */
    &kz_cmd_search,
    &kz_cmd_timeline,
    &kz_cmd_export,
    &kz_cmd_report,
    &kz_cmd_import,
    &kz_cmd_backup_create,
    &kz_cmd_backup_verify,
    &kz_cmd_backup_restore,
    &kz_cmd_recipients_add,
    &kz_cmd_recipients_list,
    &kz_cmd_recipients_remove,
    &kz_cmd_keygen,
    &kz_cmd_audit_log,
    &kz_cmd_audit_verify,
    &kz_cmd_audit_head,
    &kz_cmd_doctor,
    &kz_cmd_rekey,
    &kz_cmd_custodian_setup,
    &kz_cmd_custodian_status,
    &kz_cmd_custodian_revoke,
    &kz_cmd_custodian_acknowledge,
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

int
kz_cmd_find(int argc, char **argv, const struct kz_cmd_entry **out, int *used,
            struct kz_err *err)
{
    return kz_cmd_find_in(table, argc, argv, out, used, err);
}
