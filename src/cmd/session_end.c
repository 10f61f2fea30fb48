/* SPDX-License-Identifier: GPL-3.0-or-later */
/* session void and delete: a note marked void and kept, or an unsigned one
 * gone for good. */
#include <string.h>

#include "kizuna/buf.h"
#include "session.h"
#include "score.h"

static int
cmd_void(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *reason_opt = NULL;
    const struct kz_opt opts[] = {{"reason", 0, 1, &reason_opt, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf reason = {NULL, 0, 0};
    struct kz_session s;
    char *pos[64], sid[16], now[21];
    const char *r = NULL;
    int rc, npos, i;
    size_t n = 0;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "session void", argc, argv, opts, pos, 64, &npos, err)) != KZ_OK)
        return rc;
    if (npos < 1 || reason_opt == NULL)
        return kz_fail(err, KZ_EUSAGE, "usage: session void ID --reason TEXT (the reason is "
                                       "required)");
    /* The words after the reason's first belong to it: --reason wrong couple. */
    kz_buf_add(&reason, reason_opt);
    for (i = 1; i < npos; i++) {
        kz_buf_add(&reason, " ");
        kz_buf_add(&reason, pos[i]);
    }
    if ((rc = kz_session_void_reason(kz_buf_str(&reason), &r, &n, err)) != KZ_OK ||
        (rc = kz_sess_load(st, pos[0], id, &hi, sid, &s, err)) != KZ_OK)
        goto out;
    kz_time_now(now);
    if ((rc = kz_session_void(&s, sid, r, n, now, err)) != KZ_OK ||
        (rc = kz_sess_save(st, id, &s, hi.parent, err)) != KZ_OK)
        goto out;
    /* The event, with its reason, in this change's transaction: both or neither. */
    if ((rc = kz_audit_event_reason(st, "void", "session void", sid, s.void_reason, err)) !=
        KZ_OK)
        goto out;
    st->audited = 1;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "voided", sid, "at", now),
               "voided session %s: it stays in the vault and in exports, marked void; lists "
               "and search show it with --all",
               sid);
out:
    kz_buf_free(&reason);
    kz_session_free(&s);
    return rc;
}

static int
cmd_delete(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_session s;
    char *pos[1], sid[16], code[KZ_CODE_MAX + 1], question[160];
    int rc, npos, nscores = 0;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "session delete", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session delete ID [--yes]");
    if ((rc = kz_sess_load(st, pos[0], id, &hi, sid, &s, err)) != KZ_OK ||
        (rc = kz_rec_child_writable(st, &hi, err)) != KZ_OK ||
        (rc = kz_session_check_delete(&s, sid, err)) != KZ_OK)
        goto out;
    kz_rec_parent_code(st, hi.parent, code);
    snprintf(question, sizeof(question), "Delete the unsigned session %s of %s (%s) for good?",
             sid, code, s.date);
    if ((rc = kz_cmd_confirm(st, yes, question, err)) != KZ_OK)
        goto out;
    /* The event first, while the note (and so its couple) can still be named. */
    if ((rc = kz_audit_event(st, "delete", "session delete", sid, NULL, err)) != KZ_OK)
        goto out;
    st->audited = 1;
    /* Its scores go with it, in the same transaction. */
    if ((rc = kz_vault_record_delete(st->vault, id, err)) != KZ_OK ||
        (rc = kz_score_cmd_drop_session(st, hi.parent, hi.num, &nscores, err)) != KZ_OK)
        goto out;
    if (nscores > 0)
        snprintf(question, sizeof(question), " and its %d score%s", nscores,
                 nscores == 1 ? "" : "s");
    else
        question[0] = '\0';
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:s,s:i}", "deleted", sid, "couple", code, "scores", nscores),
               "deleted session %s of %s%s", sid, code, question);
out:
    kz_session_free(&s);
    return rc;
}

static const char *const void_opts[] = {"--reason", NULL};
static const char *const delete_opts[] = {"--yes", NULL};

const struct kz_cmd_entry kz_cmd_session_void = {
    "session void", "ID --reason TEXT",
    "void a note (signed or not) with a reason: kept, marked, hidden from lists",
    "Irreversible, and itself a change: the note keeps its text, gains the reason and time\n"
    "(in exports too), and can no longer be edited, signed or amended. The audit trail\n"
    "records the void with its reason. 'session list --all' and 'search --all' show it.",
    CMD_NEEDS_KEY | CMD_WRITES, void_opts, cmd_void};
const struct kz_cmd_entry kz_cmd_session_delete = {
    "session delete", "ID [--yes]", "delete an unsigned note for good",
    "Asks on a terminal; scripts must say --yes. A signed note cannot be deleted: void it\n"
    "('session void ID --reason TEXT').",
    CMD_NEEDS_KEY | CMD_WRITES, delete_opts, cmd_delete};
