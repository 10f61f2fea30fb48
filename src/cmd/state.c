/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state every command receives: made and freed, the vault opened,
 * unlocked (with the audit events an unlock records) and locked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "kizuna/shamir.h"
#include "kizuna/wipe.h"
#include "cmds.h"

#define UNLOCK_TRIES 3

void
kz_state_init(struct kz_state *st)
{
    memset(st, 0, sizeof(*st));
    kz_ui_init(&st->ui, 0, 0);
    st->passphrase_fd = -1;
    st->script_fd = -1;
    st->idle_lock = -1;
}

void
kz_state_drop_pass(struct kz_state *st)
{
    kz_secure_free(st->unlock_pass);
    st->unlock_pass = NULL;
    st->unlock_passlen = 0;
}

/* Keeps secret (the passphrase just unlocked with) for the rest of the
 * running command: a rekey wraps the passphrase slot under the new key with
 * it instead of asking again. Takes secret over; frees it when nothing runs. */
static void
hold_pass(struct kz_state *st, char *secret, size_t len)
{
    kz_state_drop_pass(st);
    if (!st->hold_pass) {
        kz_secure_free(secret);
        return;
    }
    st->unlock_pass = secret;
    st->unlock_passlen = len;
}

void
kz_state_free(struct kz_state *st)
{
    kz_state_drop_pass(st);
    kz_cmd_text_forget(st);
    kz_search_forget(st);
    kz_vault_close(st->vault);
    st->vault = NULL;
    free(st->vault_path);
    free(st->passphrase_file);
    free(st->recovery_file);
    st->vault_path = st->passphrase_file = st->recovery_file = NULL;
    while (st->nshare_files > 0)
        free(st->share_files[--st->nshare_files]);
    kz_cmd_parse_end(st);
    kz_ui_wipe_stdout(&st->ui);
}

int
kz_state_open(struct kz_state *st, struct kz_err *err)
{
    int rc;

    if (st->vault != NULL)
        return KZ_OK;
    rc = kz_vault_open(st->vault_path, &st->vault, err);
    if (rc == KZ_ENOTFOUND)
        kz_fail(err, KZ_ENOTFOUND, "no vault at %s (create one with 'kizuna init')",
                st->vault_path);
    return rc;
}

static int
unlock_with(struct kz_state *st, int recovery, const char *secret, size_t len,
            struct kz_err *err)
{
    return recovery ? kz_vault_unlock_recovery(st->vault, secret, len, err)
                    : kz_vault_unlock(st->vault, secret, len, err);
}

/* After an unlock: the events recorded without the key join the chain, then
 * the unlock itself. A failure here is reported but does not undo the unlock,
 * and a fold that fails (a damaged inbox key) does not keep the unlock out.
 * KZ_EAUTH when another process re-keyed the vault meanwhile (the key just
 * opened is no longer the vault's, and the vault locked itself): unlock again. */
static int
after_unlock(struct kz_state *st, const char *how)
{
    struct kz_err err;
    int folded = 0, rc;

    kz_err_clear(&err);
    if ((rc = kz_vault_begin(st->vault, &err)) == KZ_OK) {
        if ((rc = kz_vault_audit_fold(st->vault, kz_audit_vet_pending, &folded, &err)) == KZ_OK)
            rc = kz_vault_commit(st->vault, &err);
        else
            kz_vault_rollback(st->vault);
    }
    if (!kz_vault_unlocked(st->vault))
        return KZ_EAUTH;
    if (rc != KZ_OK)
        kz_ui_warn(&st->ui, "audit trail: %s", err.msg);
    kz_err_clear(&err);
    rc = kz_audit_event(st, "unlock", "unlock", NULL, how, &err);
    if (!kz_vault_unlocked(st->vault))
        return KZ_EAUTH;
    if (rc != KZ_OK)
        kz_ui_warn(&st->ui, "audit trail: %s", err.msg);
    /* The slot not used to unlock cannot vouch for itself: its MAC does. */
    kz_err_clear(&err);
    if (kz_vault_slots_check(st->vault, &err) != KZ_OK)
        kz_ui_warn(&st->ui, "%s; 'doctor' checks the vault", err.msg);
    return KZ_OK;
}

static void
failed_unlock(struct kz_state *st, const char *how)
{
    struct kz_err err;

    if (kz_audit_event(st, "unlock_failed", "unlock", NULL, how, &err) != KZ_OK)
        kz_ui_warn(&st->ui, "audit trail: %s", err.msg);
}

/* Unlocks with secret and settles the unlock (after_unlock); a rekey by
 * another process between the two is met by unlocking again, a few times.
 * A wrong secret is recorded as a failed unlock; a rekey race is not one. */
static int
unlock_settled(struct kz_state *st, int recovery, const char *secret, size_t len,
               const char *how, struct kz_err *err)
{
    int rc, attempt;

    for (attempt = 0; attempt < 3; attempt++) {
        if ((rc = unlock_with(st, recovery, secret, len, err)) != KZ_OK) {
            if (rc == KZ_EAUTH && len > 0)
                failed_unlock(st, how);
            return rc;
        }
        if (after_unlock(st, how) == KZ_OK)
            return KZ_OK;
    }
    return kz_fail(err, KZ_EAUTH, "the vault was re-keyed by another process: unlock it again");
}

/* Unlocks with custodian shares (--share-file, or asked: unlock --shares); the
 * unlock is audited as "custodian shares 1, 3, 5" and a new passphrase offered. */
static int
unlock_with_shares(struct kz_state *st, struct kz_err *err)
{
    struct kz_share *s = kz_secure_alloc(KZ_CMD_SHARES_MAX * sizeof(*s));
    size_t count = 0;
    char how[96];
    int rc;

    if ((rc = kz_cmd_read_shares(st, s, &count, err)) == KZ_OK) {
        kz_cmd_shares_how(s, count, how, sizeof(how));
        rc = kz_vault_unlock_shares(st->vault, s, count, err);
        if (rc == KZ_OK)
            rc = after_unlock(st, how);
        else if (rc == KZ_EAUTH)
            failed_unlock(st, "custodian shares");
    }
    if (rc == KZ_OK)
        st->offer_passwd = 2;
    kz_secure_free(s);
    return rc;
}

/* Unlocks with the secret given on the command line: the recovery-key file,
 * else the passphrase file or descriptor. */
static int
unlock_from_option(struct kz_state *st, struct kz_err *err)
{
    int recovery = st->recovery_file != NULL, rc;
    const char *how = recovery ? "recovery key" : "passphrase";
    char *secret = NULL;
    size_t len = 0;

    if (recovery)
        rc = (rc = kz_cmd_not_vault(st, st->recovery_file, err)) != KZ_OK
                 ? rc
                 : kz_ui_read_secret_file(st->recovery_file, &secret, &len, err);
    else if (st->passphrase_file != NULL)
        rc = (rc = kz_cmd_not_vault(st, st->passphrase_file, err)) != KZ_OK
                 ? rc
                 : kz_ui_read_secret_file(st->passphrase_file, &secret, &len, err);
    else
        rc = kz_ui_read_secret_fd(st->passphrase_fd, &secret, &len, err);
    /* A descriptor gives its passphrase once: read again after a lock, it is
     * empty. The shell asks on the terminal from then on. */
    if (!recovery && st->passphrase_file == NULL && st->interactive)
        st->passphrase_fd = -1;
    if (rc == KZ_OK)
        rc = unlock_settled(st, recovery, secret, len, how, err);
    if (rc == KZ_OK && !recovery)
        hold_pass(st, secret, len);
    else
        kz_secure_free(secret);
    st->offer_passwd = recovery && rc == KZ_OK;
    return rc;
}

/* Asks on the terminal, up to UNLOCK_TRIES times. The recovery key is one
 * Enter away: an empty line at the passphrase prompt asks for it instead
 * (unlock --recovery goes there at once). */
static int
unlock_on_terminal(struct kz_state *st, struct kz_err *err)
{
    char *secret = NULL, prompt[768];
    size_t len = 0;
    int rc = KZ_EAUTH, tries, use_recovery = st->want_recovery;

    for (tries = 0; tries < UNLOCK_TRIES; tries++) {
        if (use_recovery)
            snprintf(prompt, sizeof(prompt), "Recovery key for %s: ", st->vault_path);
        else if (st->interactive && !st->unlock_hint_shown)
            snprintf(prompt, sizeof(prompt),
                     "(Passphrase forgotten? Press Enter on the empty line for the recovery "
                     "key.)\nPassphrase for %s: ",
                     st->vault_path);
        else
            snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", st->vault_path);
        st->unlock_hint_shown = 1;
        rc = kz_ui_read_secret_tty(prompt, &secret, &len, err);
        if (rc == KZ_OK) {
            rc = unlock_settled(st, use_recovery, secret, len,
                                use_recovery ? "recovery key" : "passphrase", err);
            if (rc == KZ_OK && !use_recovery)
                hold_pass(st, secret, len);
            else
                kz_secure_free(secret);
            secret = NULL;
            if (rc == KZ_OK) {
                st->offer_passwd = use_recovery;
                return KZ_OK;
            }
            if (rc == KZ_EAUTH && !use_recovery && strcmp(err->msg, "wrong passphrase") == 0)
                kz_fail(err, KZ_EAUTH, "wrong passphrase (forgotten? press Enter on the empty "
                                       "line for the recovery key)");
        } else if (strcmp(err->msg, "cancelled") == 0) {
            return rc; /* Ctrl-C */
        } else if (rc == KZ_EAUTH && !use_recovery) {
            use_recovery = 1; /* Enter alone: the recovery key, not a try */
            tries--;
            continue;
        } else if (rc == KZ_EAUTH) {
            kz_fail(err, KZ_EAUTH, "no recovery key given"); /* a stray Enter: one try */
        }
        if (rc != KZ_EAUTH)
            return rc;
        if (tries + 1 < UNLOCK_TRIES)
            kz_ui_error(&st->ui, err);
    }
    if (rc == KZ_EAUTH && !use_recovery && strncmp(err->msg, "wrong passphrase", 16) == 0)
        kz_fail(err, KZ_EAUTH, "wrong passphrase ('kizuna unlock --recovery' asks for the "
                               "recovery key)");
    return rc;
}

int
kz_state_unlock(struct kz_state *st, struct kz_err *err)
{
    struct kz_vault_info info;
    int rc;

    if ((rc = kz_state_open(st, err)) != KZ_OK)
        return rc;
    if (kz_vault_unlocked(st->vault))
        return KZ_OK;
    if (st->nshare_files > 0 || st->want_shares)
        return unlock_with_shares(st, err);
    if (st->recovery_file != NULL ||
        (!st->want_recovery && (st->passphrase_file != NULL || st->passphrase_fd >= 0)))
        return unlock_from_option(st, err);
    if (!st->interactive && !kz_ui_secret_askable())
        return kz_fail(err, KZ_EAUTH,
                       st->want_recovery
                           ? "no terminal to ask for the recovery key (use --recovery-key-file)"
                           : "the vault is locked and there is no terminal to ask for the "
                             "passphrase (use --passphrase-fd or --passphrase-file)");
    /* A header the passphrase cannot be used with (key-derivation costs
     * beyond kizuna's limits, say) is refused before the passphrase is asked. */
    if ((rc = kz_vault_info(st->vault, &info, err)) == KZ_EINTEGRITY)
        return rc;
    return unlock_on_terminal(st, err);
}

int
kz_state_idle_seconds(struct kz_state *st)
{
    int cfg;

    if (st->idle_lock >= 0)
        return st->idle_lock;
    cfg = kz_config_idle_lock(st);
    return cfg >= 0 ? cfg : KZ_IDLE_LOCK_DEFAULT;
}

int
kz_state_unlock_asks(const struct kz_state *st)
{
    return st->passphrase_file == NULL && st->passphrase_fd < 0 && st->recovery_file == NULL &&
           st->nshare_files == 0 && (st->interactive || kz_ui_secret_askable());
}

/* Logs the lock, then wipes the keys and what the views left behind. */
void
kz_state_lock(struct kz_state *st, const char *how)
{
    struct kz_err err;

    if (st->vault == NULL || !kz_vault_unlocked(st->vault))
        return;
    if (kz_audit_event(st, "lock", "lock", NULL, how, &err) != KZ_OK)
        kz_ui_warn(&st->ui, "the lock was not written to the audit trail: %s", err.msg);
    kz_vault_lock(st->vault);
    kz_ui_wipe_stdout(&st->ui); /* what the views printed */
    kz_stack_wipe();            /* records decoded into locals, printf's buffers */
}
