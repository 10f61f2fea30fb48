/* SPDX-License-Identifier: GPL-3.0-or-later */
/* New files that export and backup write, made safely: a temporary name, then
 * renamed; where a file lands, and whether that folder is synced elsewhere. */
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

#include "kizuna/cleanup.h"
#include "kizuna/secmem.h"
#include "cmds.h"

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
