/* SPDX-License-Identifier: GPL-3.0-or-later */
/* recipients add|list|remove: the age keys backups are encrypted to; and whom
 * a backup is for (kz_backup_recipients). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/age.h"
#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "backup.h"
#include "cmds.h"

static int
cmd_rcpt_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char pk[32];
    char *pos[1], *text = NULL;
    struct kz_buf b = {NULL, 0, 0};
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "recipients add", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: recipients add age1...");
    if ((rc = kz_age_recipient_parse(pos[0], pk, err)) != KZ_OK)
        return rc;
    if ((rc = kz_vault_recipients(st->vault, &text, err)) != KZ_OK)
        return rc;
    if (strstr(text, pos[0]) != NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "%s is already a backup recipient", pos[0]);
        goto out;
    }
    kz_buf_add(&b, text);
    kz_buf_printf(&b, "%s\n", pos[0]);
    if ((rc = kz_vault_set_recipients(st->vault, kz_buf_str(&b), err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "added", pos[0]),
               "backups will also be encrypted to %s", pos[0]);
out:
    kz_buf_free(&b);
    free(text);
    return rc;
}

static int
cmd_rcpt_remove(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1], *text = NULL, *line, *save = NULL;
    struct kz_buf b = {NULL, 0, 0};
    int rc, npos, found = 0;

    if ((rc = kz_cmd_parse(st, "recipients remove", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: recipients remove age1...");
    if ((rc = kz_vault_recipients(st->vault, &text, err)) != KZ_OK)
        return rc;
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (strcmp(line, pos[0]) == 0)
            found = 1;
        else
            kz_buf_printf(&b, "%s\n", line);
    }
    if (!found) {
        rc = kz_fail(err, KZ_ENOTFOUND, "%s is not a backup recipient", pos[0]);
        goto out;
    }
    if ((rc = kz_vault_set_recipients(st->vault, kz_buf_str(&b), err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "removed", pos[0]), "removed %s", pos[0]);
out:
    kz_buf_free(&b);
    free(text);
    return rc;
}

static int
cmd_rcpt_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {{"recipient", "RECIPIENT", 0}, {NULL, NULL, 0}};
    char *pos[1], *text = NULL, *line, *save = NULL;
    json_t *rows;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "recipients list", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = kz_vault_recipients(st->vault, &text, err)) != KZ_OK)
        return rc;
    rows = json_array();
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        json_array_append_new(rows, json_pack("{s:s}", "recipient", line));
    free(text);
    kz_ui_table(&st->ui, rows, cols,
                "no backup recipients ('keygen -o FILE' makes a key; 'recipients add age1...')");
    return KZ_OK;
}

/* ---- whom a backup is for ---- */

/* Recipients: --to, else the vault's configured ones; --passphrase instead. */
int
kz_backup_recipients(struct kz_state *st, const char *const *to, int nto, int passphrase,
                     const char *passfile, struct kz_age_recipient **r, size_t *nr, char **pass,
                     struct kz_err *err)
{
    const char *list[KZ_OPT_MAX];
    char *text = NULL, *line, *save = NULL;
    size_t len = 0;
    int n = 0, rc;

    *r = NULL;
    *nr = 0;
    *pass = NULL;
    if (passphrase || passfile != NULL) {
        if (nto > 0)
            return kz_fail(err, KZ_EUSAGE, "backup: --passphrase or --to, not both (age allows "
                                           "a passphrase only alone)");
        if (passfile != NULL)
            rc = kz_ui_read_secret_file(passfile, pass, &len, err);
        else if (st->interactive || kz_ui_secret_askable())
            rc = kz_ui_read_secret_tty("Passphrase for the backup: ", pass, &len, err);
        else
            rc = kz_fail(err, KZ_EAUTH, "no terminal to ask for the backup passphrase "
                                        "(--backup-passphrase-file FILE)");
        if (rc != KZ_OK)
            return rc;
        if ((rc = kz_ui_check_passphrase(*pass, err)) == KZ_OK && passfile == NULL) {
            /* Typed: a typo would make the backup unopenable, so ask again. */
            char *again = NULL;
            size_t alen = 0;
            rc = kz_ui_read_secret_tty("Repeat the backup passphrase: ", &again, &alen, err);
            if (rc == KZ_OK && (alen != len || sodium_memcmp(*pass, again, len) != 0))
                rc = kz_fail(err, KZ_EUSAGE, "the two backup passphrases differ");
            kz_secure_free(again);
        }
        if (rc != KZ_OK) {
            kz_secure_free(*pass);
            *pass = NULL;
            return rc;
        }
        *r = kz_xcalloc(1, sizeof(**r));
        (*r)[0].scrypt = 1;
        (*r)[0].passphrase = *pass;
        (*r)[0].passlen = len;
        *nr = 1;
        return KZ_OK;
    }
    if (nto > 0)
        return kz_cmd_parse_recipients(to, nto, r, nr, err);
    if ((rc = kz_vault_recipients(st->vault, &text, err)) != KZ_OK)
        return rc;
    for (line = strtok_r(text, "\n", &save); line != NULL && n < KZ_OPT_MAX;
         line = strtok_r(NULL, "\n", &save))
        list[n++] = line;
    if (n == 0)
        rc = kz_fail(err, KZ_EUSAGE, "backup: no recipients: give --to age1... or --passphrase, "
                                     "or configure them with 'recipients add'");
    else
        rc = kz_cmd_parse_recipients(list, n, r, nr, err);
    free(text);
    return rc;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_recipients_add = {
    "recipients add", "age1...", "encrypt backups to this public key too", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_rcpt_add};
const struct kz_cmd_entry kz_cmd_recipients_list = {
    "recipients list", "", "the backup recipients (no passphrase needed)", NULL, 0, no_opts,
    cmd_rcpt_list};
const struct kz_cmd_entry kz_cmd_recipients_remove = {
    "recipients remove", "age1...", "stop encrypting backups to this key", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_rcpt_remove};
