/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A new passphrase (init, passwd): from a file or descriptor, else asked twice
 * on the terminal; always checked for strength. */
#include <sodium.h>
#include <stddef.h>

#include "kizuna/secmem.h"
#include "cmds.h"

#define NEW_PASS_TRIES 3

/* Asks twice on the terminal; KZ_OK with *out, or the reason it failed. */
static int
ask_new_twice(char **out, size_t *len, struct kz_err *err)
{
    char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    int rc;

    if ((rc = kz_ui_read_secret_tty("New passphrase: ", &a, &alen, err)) != KZ_OK)
        goto out;
    if ((rc = kz_ui_check_passphrase(a, err)) != KZ_OK)
        goto out;
    if ((rc = kz_ui_read_secret_tty("Repeat the new passphrase: ", &b, &blen, err)) != KZ_OK)
        goto out;
    if (alen != blen || sodium_memcmp(a, b, alen) != 0) {
        rc = kz_fail(err, KZ_EUSAGE, "the two passphrases differ");
        goto out;
    }
    *out = a;
    *len = alen;
    a = NULL;
out:
    kz_secure_free(a);
    kz_secure_free(b);
    return rc;
}

int
kz_cmd_new_passphrase(struct kz_state *st, const char *file, int use_global, char **out,
                      size_t *len, struct kz_err *err)
{
    char *a = NULL;
    size_t alen = 0;
    int rc, tries;

    *out = NULL;
    *len = 0;
    if (file != NULL || (use_global && (st->passphrase_file != NULL || st->passphrase_fd >= 0))) {
        if (file != NULL)
            rc = kz_ui_read_secret_file(file, &a, &alen, err);
        else if (st->passphrase_file != NULL)
            rc = kz_ui_read_secret_file(st->passphrase_file, &a, &alen, err);
        else
            rc = kz_ui_read_secret_fd(st->passphrase_fd, &a, &alen, err);
        if (rc == KZ_OK && (rc = kz_ui_check_passphrase(a, err)) == KZ_OK) {
            *out = a;
            *len = alen;
            return KZ_OK;
        }
        kz_secure_free(a);
        return rc;
    }
    if (!st->interactive && !kz_ui_have_terminal())
        return kz_fail(err, KZ_EAUTH, "no terminal to ask for the new passphrase (give it with %s)",
                       use_global ? "--passphrase-file or --passphrase-fd"
                                  : "--new-passphrase-file FILE");
    for (tries = 0; tries < NEW_PASS_TRIES; tries++) {
        rc = ask_new_twice(out, len, err);
        if (rc != KZ_EUSAGE)
            return rc;
        if (tries + 1 < NEW_PASS_TRIES)
            kz_ui_error(&st->ui, err);
    }
    return rc;
}
