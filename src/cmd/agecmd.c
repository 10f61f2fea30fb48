/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What export, import and backup share: recipients, identities, safe files. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/cleanup.h"
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
        return kz_age_identity_file_read(identity_file, ids, n, err);
    if (passfile != NULL)
        rc = kz_ui_read_secret_file(passfile, &pass, &len, err);
    else if (st->interactive || kz_ui_have_terminal())
        rc = kz_ui_read_secret_tty("Backup passphrase: ", &pass, &len, err);
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

int
kz_cmd_tmpfile(const char *path, char *tmp, size_t size, struct kz_err *err)
{
    int fd;

    if ((size_t)snprintf(tmp, size, "%s.tmp-XXXXXX", path) >= size) {
        kz_fail(err, KZ_EUSAGE, "path too long: %s", path);
        return -1;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot create %s: %s", tmp,
                strerror(errno));
        return -1;
    }
    fchmod(fd, 0600);
    return fd;
}

int
kz_cmd_commit_file(int fd, const char *tmp, const char *path, int noreplace,
                   struct kz_err *err)
{
    char *copy = kz_xstrdup(path);
    int dfd, rc = KZ_OK;

    if (fsync(fd) != 0)
        rc = kz_fail(err, KZ_ERR, "cannot write %s: %s", path, strerror(errno));
    else if (noreplace && kz_rename_noreplace(tmp, path) != 0)
        rc = errno == EEXIST
                 ? kz_fail(err, KZ_ERR, "%s appeared meanwhile; refusing to overwrite it", path)
                 : kz_fail(err, KZ_ERR, "cannot rename to %s: %s", path, strerror(errno));
    else if (!noreplace && rename(tmp, path) != 0)
        rc = kz_fail(err, KZ_ERR, "cannot rename to %s: %s", path, strerror(errno));
    if (rc == KZ_OK && (dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(dfd);
        close(dfd);
    }
    if (rc != KZ_OK)
        kz_shred_path(tmp);
    free(copy);
    return rc;
}
