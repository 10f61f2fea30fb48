/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What export, import and backup share: recipients, identities, safe files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

int
kz_cmd_abspath(const char *path, char *out, size_t size)
{
    char *copy = kz_xstrdup(path), *copy2 = kz_xstrdup(path), *dir, *base, *real;
    int rc = -1;

    dir = dirname(copy);
    base = basename(copy2);
    real = realpath(dir, NULL);
    if (real != NULL && strcmp(base, "/") != 0 && strcmp(base, ".") != 0 &&
        strcmp(base, "..") != 0 &&
        (size_t)snprintf(out, size, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base) <
            size)
        rc = 0;
    if (rc != 0)
        snprintf(out, size, "%s", path);
    free(real);
    free(copy);
    free(copy2);
    return rc;
}

/* A file or folder named name in dir; type 'f' a regular file, 'd' a folder,
 * 0 either. */
static int
has_entry(const char *dir, const char *name, int type)
{
    char p[4300];
    struct stat sb;

    if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p) || lstat(p, &sb) != 0)
        return 0;
    return type == 0 || (type == 'f' && S_ISREG(sb.st_mode)) ||
           (type == 'd' && S_ISDIR(sb.st_mode));
}

/* Nextcloud's and ownCloud's sync journal: .sync_<id>.db (older: ._sync_<id>.db). */
static int
has_sync_journal(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;

    if (d == NULL)
        return 0;
    while (!found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        found = (strncmp(e->d_name, ".sync_", 6) == 0 || strncmp(e->d_name, "._sync_", 7) == 0) &&
                n > 3 && strcmp(e->d_name + n - 3, ".db") == 0;
    }
    closedir(d);
    return found;
}

/* The folder names of services that mount or sync a cloud drive (no marker
 * file): the whole component, or its start for "Dropbox (Team)", "OneDrive -
 * Firma". */
static const char *
named_service(const char *comp, size_t n)
{
    static const struct {
        const char *name, *service;
        int prefix;
    } names[] = {
        {"Dropbox", "Dropbox", 1},          {"OneDrive", "OneDrive", 1},
        {"iCloud Drive", "iCloud", 0},      {"Mobile Documents", "iCloud", 0},
        {"iCloudDrive", "iCloud", 0},       {"Google Drive", "Google Drive", 0},
        {"GoogleDrive", "Google Drive", 0}, {"My Drive", "Google Drive", 0},
        {"pCloudDrive", "pCloud", 0},       {"pCloud Drive", "pCloud", 0},
        {"Seafile", "Seafile", 0},
    };
    size_t i, l;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        l = strlen(names[i].name);
        if ((n == l || (names[i].prefix && n > l && (comp[l] == ' ' || comp[l] == '-'))) &&
            strncasecmp(comp, names[i].name, l) == 0)
            return names[i].service;
    }
    return NULL;
}

int
kz_cmd_sync_folder(const char *path, char *where, size_t wsize, const char **service)
{
    char dir[4300], *slash;
    const char *name;

    /* The real folder the file lands in (symbolic links followed): a link
     * into a synced folder is still that folder. */
    if (kz_cmd_abspath(path, dir, sizeof(dir)) != 0 || dir[0] != '/')
        return 0;
    slash = strrchr(dir, '/');
    *slash = '\0';
    /* A folder named after a service, anywhere on the way (Dropbox, OneDrive). */
    for (name = dir + 1; *name != '\0';) {
        const char *end = strchr(name, '/');
        size_t n = end != NULL ? (size_t)(end - name) : strlen(name);
        if ((*service = named_service(name, n)) != NULL) {
            snprintf(where, wsize, "%.*s", (int)(name - dir + (ptrdiff_t)n), dir);
            return 1;
        }
        if (end == NULL)
            break;
        name = end + 1;
    }
    /* Marker files in the folder or one above it. */
    for (;;) {
        const char *d = dir[0] != '\0' ? dir : "/";
        *service = NULL;
        if (has_entry(d, ".git", 0))
            *service = "git";
        else if (has_entry(d, ".dropbox.cache", 'd') || has_entry(d, ".dropbox", 'f'))
            *service = "Dropbox";
        else if (has_entry(d, ".stfolder", 0))
            *service = "Syncthing";
        else if (has_entry(d, ".nextcloudsync.log", 0) || has_sync_journal(d))
            *service = "Nextcloud";
        else if (has_entry(d, ".owncloudsync.log", 0) || has_entry(d, ".csync_journal.db", 0))
            *service = "ownCloud";
        else if (has_entry(d, ".849C9593-D756-4E56-8D6E-42412F2A707B", 0))
            *service = "OneDrive";
        else if (has_entry(d, ".seafile-data", 0))
            *service = "Seafile";
        if (*service != NULL) {
            snprintf(where, wsize, "%s", d);
            return 1;
        }
        if (dir[0] == '\0')
            return 0;
        slash = strrchr(dir, '/');
        *slash = '\0';
    }
}
