/* SPDX-License-Identifier: GPL-3.0-or-later */
/* unlock and lock: the master key into memory, and wiped from it. */
#include "cmds.h"

static int
cmd_unlock(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int npos, rc, recovery = 0, shares = 0;
    const struct kz_opt opts[] = {{"recovery", 0, 0, NULL, &recovery},
                                  {"shares", 0, 0, NULL, &shares},
                                  {NULL, 0, 0, NULL, NULL}};
    char *pos[1];

    if ((rc = kz_cmd_parse(st, "unlock", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    /* The unlock itself happens here (the entry does not ask for the key
     * first), so that --recovery is known before anything is asked. */
    if (recovery && shares)
        return kz_fail(err, KZ_EUSAGE, "unlock: --recovery or --shares, not both");
    st->want_recovery = recovery;
    st->want_shares = shares;
    rc = kz_state_unlock(st, err);
    st->want_recovery = st->want_shares = 0;
    if (rc != KZ_OK)
        return rc;
    st->locked_by_idle = 0;
    kz_ui_done(&st->ui, json_pack("{s:s}", "state", "unlocked"), "vault unlocked");
    return KZ_OK;
}

static int
cmd_lock(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1];
    int npos, rc;

    if ((rc = kz_cmd_parse(st, "lock", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    kz_state_lock(st, "manual");
    kz_ui_done(&st->ui, json_pack("{s:s}", "state", "locked"),
               "vault locked: keys wiped from memory");
    return KZ_OK;
}

static const char *const no_opts[] = {NULL};
static const char *const unlock_opts[] = {"--recovery", "--shares", NULL};

const struct kz_cmd_entry kz_cmd_unlock = {
    "unlock", "[--recovery | --shares]",
    "ask for the passphrase (or the recovery key, or custodian shares) and unlock",
    "On a terminal, Enter alone at the passphrase prompt asks for the recovery key\n"
    "instead; --recovery asks for it at once (no echo). After an unlock with the\n"
    "recovery key kizuna offers to set a new passphrase ('passwd'). --shares asks for\n"
    "custodian shares one after another (a mistyped group is named and asked again);\n"
    "the opening is audited, 'doctor' warns until 'custodian acknowledge', and a new\n"
    "passphrase is offered. Scripts give --passphrase-file, --passphrase-fd,\n"
    "--recovery-key-file, or --share-file F once per share.",
    0, unlock_opts, cmd_unlock};
const struct kz_cmd_entry kz_cmd_lock = {
    "lock", "", "wipe the keys from memory", NULL, 0, no_opts, cmd_lock};
