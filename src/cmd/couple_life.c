/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple reopen, hold and release (issue #16): a closed couple opened again, a
 * legal hold that blocks erasure and its release, each with its audit event.
 * couple close is in couple.c; the rules are the model's (couple_life.c). */
#include <string.h>

#include "kizuna/buf.h"
#include "couple_cmd.h"

static int
cmd_reopen(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[1], canon[KZ_CODE_MAX + 1];
    json_t *c = NULL;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "couple reopen", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple reopen CODE");
    if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK ||
        (rc = kz_couple_reopen(c, kz_date_today(), err)) != KZ_OK ||
        (rc = kz_couple_save_life(st, id, c, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "code", pos[0], "status", "active"),
               "reopened couple %s: active again (its retention waits for the next closing)",
               pos[0]);
out:
    json_decref(c);
    return rc;
}

/* The words after --reason's first belong to it: --reason court order 12. */
static void
join_reason(struct kz_buf *b, const char *first, char **rest, int n)
{
    int i;

    kz_buf_add(b, first);
    for (i = 0; i < n; i++) {
        kz_buf_add(b, " ");
        kz_buf_add(b, rest[i]);
    }
}

static int
cmd_hold(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *reason_opt = NULL;
    const struct kz_opt opts[] = {{"reason", 0, 1, &reason_opt, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[64], canon[KZ_CODE_MAX + 1];
    struct kz_buf reason = {NULL, 0, 0};
    json_t *c = NULL;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "couple hold", argc, argv, opts, pos, 64, &npos, err)) != KZ_OK)
        return rc;
    if (npos < 1 || reason_opt == NULL)
        return kz_fail(err, KZ_EUSAGE, "usage: couple hold CODE --reason TEXT (the reason is "
                                       "required)");
    join_reason(&reason, reason_opt, pos + 1, npos - 1);
    if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK ||
        (rc = kz_couple_hold(c, kz_buf_str(&reason), kz_date_today(), err)) != KZ_OK ||
        (rc = kz_couple_save_life(st, id, c, err)) != KZ_OK)
        goto out;
    /* The event, with its reason, in this change's transaction: both or neither. */
    if ((rc = kz_audit_event_reason(st, "hold", "couple hold", pos[0], kz_buf_str(&reason),
                                    err)) != KZ_OK)
        goto out;
    st->audited = 1;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "hold", pos[0], "reason", kz_buf_str(&reason)),
               "couple %s is on legal hold: it cannot be erased until 'couple release %s'",
               pos[0], pos[0]);
out:
    kz_buf_free(&reason);
    json_decref(c);
    return rc;
}

static int
cmd_release(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[1], canon[KZ_CODE_MAX + 1];
    struct kz_buf reason = {NULL, 0, 0};
    const char *r = NULL;
    json_t *c = NULL;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "couple release", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple release CODE");
    if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK)
        goto out;
    if (kz_couple_on_hold(c, &r))
        kz_buf_add(&reason, r != NULL ? r : ""); /* the hold released, for the trail */
    if ((rc = kz_couple_release(c, err)) != KZ_OK ||
        (rc = kz_couple_save_life(st, id, c, err)) != KZ_OK ||
        (rc = kz_audit_event_reason(st, "release", "couple release", pos[0],
                                    kz_buf_str(&reason), err)) != KZ_OK)
        goto out;
    st->audited = 1;
    kz_ui_done(&st->ui, json_pack("{s:s}", "released", pos[0]),
               "released the legal hold on couple %s", pos[0]);
out:
    kz_buf_free(&reason);
    json_decref(c);
    return rc;
}

static const char *const no_opts[] = {NULL};
static const char *const hold_opts[] = {"--reason", NULL};

const struct kz_cmd_entry kz_cmd_couple_reopen = {
    "couple reopen", "CODE", "open a closed couple again (active, changeable, listed)",
    "Drops the closing date: retention counts from the next couple close.",
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_reopen};
const struct kz_cmd_entry kz_cmd_couple_hold = {
    "couple hold", "CODE --reason TEXT", "put a legal hold on a couple: no erasure until release",
    "The reason (one line, the words after --reason) and the day are kept in the couple\n"
    "and in the audit trail; couple show and couple list show the hold. A closed couple\n"
    "can be held (it stays closed).",
    CMD_NEEDS_KEY | CMD_WRITES, hold_opts, cmd_hold};
const struct kz_cmd_entry kz_cmd_couple_release = {
    "couple release", "CODE", "lift a couple's legal hold",
    "The audit trail keeps the hold's reason with the release.", CMD_NEEDS_KEY | CMD_WRITES,
    no_opts, cmd_release};
