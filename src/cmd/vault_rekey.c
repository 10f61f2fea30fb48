/* SPDX-License-Identifier: GPL-3.0-or-later */
/* passwd, recovery rotate and rekey: a new passphrase slot, or a new master key. */
#include <stddef.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "cmds.h"

/* The current passphrase again (rekey, recovery rotate, passwd --rekey): the
 * passphrase slot is wrapped again under the new master key. The one this
 * command unlocked with is not asked twice; a shell unlocked before is. */
static int
pass_again(struct kz_state *st, const char *cmd, char **pass, size_t *len, struct kz_err *err)
{
    if (st->unlock_pass != NULL) {
        *pass = kz_secure_strndup(st->unlock_pass, st->unlock_passlen);
        *len = st->unlock_passlen;
        return KZ_OK;
    }
    if (st->passphrase_file != NULL)
        return kz_ui_read_secret_file(st->passphrase_file, pass, len, err);
    if (st->passphrase_fd >= 0)
        return kz_fail(err, KZ_EUSAGE, "%s reads the passphrase again: use --passphrase-file",
                       cmd);
    if (st->interactive || kz_ui_have_terminal())
        return kz_ui_read_secret_tty("Current passphrase again, to wrap the new key: ", pass,
                                     len, err);
    return kz_fail(err, KZ_EAUTH, "%s needs the passphrase (--passphrase-file)", cmd);
}

static void
rekey_progress(void *ctx, unsigned long long done, unsigned long long total)
{
    kz_ui_progress(ctx, "rekey", done, total);
}

/* A new master key (kz_vault_rekey), with a new passphrase when newpass is
 * given; says what was revoked and shows the new recovery key once. */
int
kz_cmd_rekey_and_say(struct kz_state *st, const char *cmd, const char *newpass, size_t newlen,
                     int progress, const char *revoked, struct kz_err *err)
{
    char *pass = NULL, *recovery = NULL;
    struct kz_custodian_info ci;
    size_t len = 0;
    int rc;

    if ((rc = kz_vault_custodian_info(st->vault, &ci, err)) != KZ_OK)
        return rc;
    if ((rc = pass_again(st, cmd, &pass, &len, err)) != KZ_OK)
        return rc;
    rc = kz_vault_rekey(st->vault, pass, len, newpass, newlen, &recovery,
                        (progress || kz_ui_have_terminal()) ? rekey_progress : NULL, &st->ui, err);
    kz_secure_free(pass);
    if (rc != KZ_OK)
        return rc;
    if (st->ui.json) {
        kz_ui_object(&st->ui,
                     json_pack("{s:b,s:s,s:s}", "rekeyed", 1, "revoked", revoked,
                               "recovery_key", recovery),
                     NULL);
    } else {
        kz_ui_say(&st->ui,
                  "New master key: every record is sealed under it, and the audit trail goes\n"
                  "on under it. %s\nThe new recovery key, shown only this once:\n\n    %s\n\n",
                  revoked, recovery);
        st->ui.emitted = 1;
        if (ci.present && strcmp(cmd, "custodian revoke") != 0)
            kz_ui_say(&st->ui,
                      "The custodian setup (any %u of %u shares) went with the old key: its\n"
                      "shares open nothing now. 'custodian setup' makes new ones.\n",
                      ci.k, ci.n);
    }
    kz_secure_free(recovery);
    return KZ_OK;
}

static int
cmd_passwd(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *file = NULL;
    int rekey = 0;
    const struct kz_opt opts[] = {
        {"new-passphrase-file", 0, 1, &file, NULL},
        {"rekey", 0, 0, NULL, &rekey},
        {NULL, 0, 0, NULL, NULL},
    };
    char *pass = NULL, *pos[1];
    size_t len = 0;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "passwd", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    /* --passphrase-file/-fd carried the current passphrase; the new one comes
     * from --new-passphrase-file or the terminal. */
    if ((rc = kz_cmd_new_passphrase(st, file, 0, &pass, &len, err)) != KZ_OK)
        return rc;
    if (rekey) {
        rc = kz_cmd_rekey_and_say(st, "passwd --rekey", pass, len, 0,
                                  "The old passphrase and the old recovery key no longer open "
                                  "this vault,\nand nothing written from now on opens with the "
                                  "old master key.",
                                  err);
        goto out;
    }
    if ((rc = kz_vault_set_passphrase(st->vault, pass, len, NULL, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, NULL, "passphrase changed (the recovery key still works)");
out:
    kz_secure_free(pass);
    return rc;
}

static int
cmd_recovery_rotate(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "recovery rotate", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    return kz_cmd_rekey_and_say(st, "recovery rotate", NULL, 0, 0,
                                "The old recovery key no longer opens this vault, and nothing\n"
                                "written from now on opens with the master key it unwrapped.",
                                err);
}

static int
cmd_rekey(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int progress = 0, rc, npos;
    const struct kz_opt opts[] = {{"progress", 0, 0, NULL, &progress}, {NULL, 0, 0, NULL, NULL}};
    char *pos[1];

    if ((rc = kz_cmd_parse(st, "rekey", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    return kz_cmd_rekey_and_say(st, "rekey", NULL, 0, progress,
                                "The old recovery key no longer opens this vault.", err);
}

static const char *const no_opts[] = {NULL};
static const char *const rekey_opts[] = {"--progress", NULL};

const struct kz_cmd_entry kz_cmd_rekey = {
    "rekey", "[--progress]", "rotate the master key: re-seal every record under a new key",
    "One transaction: a crash midway leaves the old vault whole. The passphrase is asked\n"
    "again (or read from --passphrase-file) and a new recovery key is printed once. The\n"
    "audit trail keeps its entries: a head saved before a rekey still verifies.",
    CMD_NEEDS_KEY, rekey_opts, cmd_rekey};

static const char *const passwd_opts[] = {"--new-passphrase-file", "--rekey", NULL};

const struct kz_cmd_entry kz_cmd_passwd = {
    "passwd", "[--new-passphrase-file FILE] [--rekey]",
    "change the passphrase (rewraps its key slot)",
    "The current passphrase unlocks; the new one is asked twice on a terminal or read from\n"
    "FILE. The master key, the records and the recovery key stay as they are, unless\n"
    "--rekey (a passphrase someone else may know): then a new master key as 'rekey' makes,\n"
    "the current passphrase asked again, and a new recovery key printed once.",
    CMD_NEEDS_KEY, passwd_opts, cmd_passwd};
const struct kz_cmd_entry kz_cmd_recovery_rotate = {
    "recovery rotate", "", "make a new recovery key and retire the old one (a new master key)",
    "A new master key as 'rekey' makes, so that the old recovery key opens nothing written\n"
    "afterwards, even with an old copy of its key slot. Asks for the passphrase again.",
    CMD_NEEDS_KEY, no_opts, cmd_recovery_rotate};
