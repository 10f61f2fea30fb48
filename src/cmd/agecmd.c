/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What export, import and backup share about age: recipients, identities, and
 * an age file read from a file or standard input. */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"
#include "cmds.h"

int
kz_cmd_parse_recipients(const char *const *to, int nto, struct kz_age_recipient **r, size_t *n,
                        struct kz_err *err)
{
    int i, rc;

    *r = kz_xcalloc((size_t)(nto > 0 ? nto : 1), sizeof(**r));
    *n = 0;
    for (i = 0; i < nto; i++) {
        if ((rc = kz_age_recipient_parse(to[i], (*r)[i].pk, err)) != KZ_OK) {
            free(*r);
            *r = NULL;
            return rc;
        }
    }
    *n = (size_t)nto;
    return KZ_OK;
}

int
kz_cmd_age_write(int *fd, const void *text, size_t len, const struct kz_age_recipient *r,
                 size_t nr, int armor, struct kz_err *err)
{
    struct kz_age_enc *enc = NULL;
    int rc;

    if ((rc = kz_age_enc_begin(&enc, r, nr, armor, kz_age_fd_write, fd, err)) != KZ_OK)
        return rc;
    if ((rc = kz_age_enc_update(enc, text, len, err)) != KZ_OK) {
        kz_age_enc_abort(enc);
        return rc;
    }
    return kz_age_enc_final(enc, err);
}

int
kz_cmd_identities(struct kz_state *st, const char *identity_file, const char *passfile,
                  const char *max_work, struct kz_age_identity **ids, size_t *n,
                  struct kz_err *err)
{
    char *pass = NULL, *end;
    size_t len = 0;
    long max_log_n = KZ_AGE_SCRYPT_LIMIT_LOGN;
    int rc;

    *ids = NULL;
    *n = 0;
    if (max_work != NULL) {
        errno = 0;
        max_log_n = strtol(max_work, &end, 10);
        if (errno != 0 || end == max_work || *end != '\0' || max_log_n < 1 ||
            max_log_n > KZ_AGE_SCRYPT_MAX_LOGN)
            return kz_fail(err, KZ_EUSAGE, "--max-work-factor takes a number from 1 to %d",
                           KZ_AGE_SCRYPT_MAX_LOGN);
    }
    if (identity_file != NULL)
        return (rc = kz_cmd_not_vault(st, identity_file, err)) != KZ_OK
                   ? rc
                   : kz_age_identity_file_read(identity_file, ids, n, err);
    if (passfile != NULL)
        rc = kz_cmd_secret_file(st, passfile, &pass, &len, err);
    else if (st->interactive || kz_ui_secret_askable())
        rc = kz_cmd_ask_secret(st, "Backup passphrase: ", &pass, &len, err);
    else
        return kz_fail(err, KZ_EAUTH,
                       "give --identity FILE (or --backup-passphrase-file FILE) to open it");
    if (rc != KZ_OK)
        return rc;
    *ids = kz_xcalloc(1, sizeof(**ids));
    (*ids)[0].scrypt = 1;
    (*ids)[0].passphrase = pass;
    (*ids)[0].passlen = len;
    (*ids)[0].max_log_n = (int)max_log_n;
    *n = 1;
    return KZ_OK;
}

int
kz_cmd_age_limit(const char *file, int status, struct kz_err *err)
{
    char msg[sizeof(err->msg)];

    if (status != KZ_AGE_LIMIT)
        return err->code;
    snprintf(msg, sizeof(msg), "%s", err->msg);
    return kz_fail(err, KZ_ERR, "%s: %s (--max-work-factor N allows up to %d)", file, msg,
                   KZ_AGE_SCRYPT_MAX_LOGN);
}

void
kz_cmd_identities_free(struct kz_age_identity *ids, size_t n)
{
    if (ids == NULL)
        return;
    if (n == 1 && ids[0].scrypt) {
        kz_secure_free((char *)(uintptr_t)ids[0].passphrase);
        free(ids);
        return;
    }
    kz_age_identities_free(ids, n);
}

ssize_t
kz_cmd_agein_read(void *ctx, void *buf, size_t len)
{
    struct kz_cmd_agein *a = ctx;
    ssize_t n;

    if (a->pos < a->len) {
        size_t k = a->len - a->pos < len ? a->len - a->pos : len;
        memcpy(buf, a->buf + a->pos, k);
        a->pos += k;
        return (ssize_t)k;
    }
    if (a->fd < 0) /* read from memory only: its end */
        return 0;
    n = kz_age_fd_read(&a->fd, buf, len);
    if (n > 0 && a->recording) {
        if (a->len + (size_t)n > a->cap) {
            while (a->len + (size_t)n > a->cap)
                a->cap = a->cap == 0 ? 65536 : a->cap * 2;
            a->buf = kz_xrealloc(a->buf, a->cap);
        }
        memcpy(a->buf + a->len, buf, (size_t)n);
        a->len += (size_t)n;
        a->pos = a->len;
    }
    return n;
}

void
kz_cmd_agein_rewind(struct kz_cmd_agein *a)
{
    a->pos = 0;
    a->recording = 0;
}

void
kz_cmd_agein_free(struct kz_cmd_agein *a)
{
    if (a->buf != NULL)
        sodium_memzero(a->buf, a->cap);
    free(a->buf);
    a->buf = NULL;
    a->len = a->cap = a->pos = 0;
}

int
kz_cmd_age_needs(struct kz_state *st, const char *name, struct kz_cmd_agein *in,
                 const char *identity, const char *passfile, int *status, struct kz_err *err)
{
    struct kz_age_header_info info;
    char *text = NULL, known[400];
    int rc;

    *status = KZ_AGE_OK;
    rc = kz_age_header_scan(kz_cmd_agein_read, in, &info, status, err);
    kz_cmd_agein_rewind(in);
    if (rc != KZ_OK || identity != NULL || passfile != NULL || info.x25519 == 0 ||
        info.scrypt > 0)
        return rc;
    /* Encrypted to age keys only: a passphrase cannot open it, so none is asked
     * for. The stanzas do not say which keys (age hides the recipients); the
     * vault's own backup recipients are the likely ones. */
    known[0] = '\0';
    if (st->vault != NULL && kz_vault_recipients(st->vault, &text, NULL) == KZ_OK &&
        text != NULL && text[0] != '\0') {
        char *nl = strchr(text, '\n');
        if (nl != NULL)
            *nl = '\0';
        snprintf(known, sizeof(known), " (this vault's backups go to %s%s)", text,
                 nl != NULL && nl[1] != '\0' ? " and others: 'recipients list'" : "");
    }
    free(text);
    return kz_fail(err, KZ_EAUTH,
                   "%s is encrypted to %d age key%s (X25519), not to a passphrase: give its "
                   "identity file with -i FILE%s",
                   name, info.x25519, info.x25519 == 1 ? "" : "s", known);
}
