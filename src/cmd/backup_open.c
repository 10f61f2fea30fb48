/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What backup verify and restore share: a backup decrypted to a scratch file
 * (records still sealed), then opened and checked as a vault. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"
#include "backup.h"
#include "cmds.h"

struct sink {
    int fd;
    struct kz_ui *ui;
    const char *label;
    unsigned long long done, total; /* total: the age file's size, near enough */
};

static int
sink_fd(void *ctx, const void *buf, size_t len)
{
    struct sink *s = ctx;

    if (kz_age_fd_write(&s->fd, buf, len) != 0)
        return -1;
    s->done += len;
    if (s->total > 0) /* unknown from standard input */
        kz_ui_progress(s->ui, s->label, s->done < s->total ? s->done : s->total - 1, s->total);
    return 0;
}

/* A temporary file for the decrypted (still sealed) vault: /dev/shm when it is
 * a tmpfs, else beside near. */
int
kz_backup_scratch(const char *near, char *path, size_t size, struct kz_err *err)
{
    struct statfs sfs;
    char base[4200];

    if (statfs("/dev/shm", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
        snprintf(base, sizeof(base), "/dev/shm/kizuna-verify");
    else
        snprintf(base, sizeof(base), "%s", near);
    return kz_cmd_tmpfile(base, path, size, err);
}

void
kz_backup_unlink_db(const char *path)
{
    char p[4300];

    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-journal", path);
    unlink(p);
}

/* How messages name the backup: its path, or standard input for "-". */
const char *
kz_backup_name(const char *file)
{
    return strcmp(file, "-") == 0 ? "the backup on standard input" : file;
}

int
kz_backup_decrypt(struct kz_state *st, const char *file, const char *identity, const char *passfile,
                  const char *max_work, int outfd, const char *label, struct kz_err *err)
{
    struct kz_age_identity *ids = NULL;
    struct sink sk = {outfd, &st->ui, label, 0, 0};
    struct kz_cmd_agein ai = {-1, NULL, 0, 0, 0, 1};
    const char *name = kz_backup_name(file);
    struct stat sb;
    size_t nids = 0;
    int rc, status = 0, from_stdin = strcmp(file, "-") == 0;

    ai.fd = from_stdin ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
    if (ai.fd < 0)
        return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", file,
                       strerror(errno));
    if (!from_stdin && fstat(ai.fd, &sb) == 0)
        sk.total = (unsigned long long)sb.st_size + 1;
    /* The header first: what opens it (no passphrase is asked for a backup only
     * age keys open), and a file that is no age file is named before anything
     * is asked. */
    rc = kz_cmd_age_needs(st, name, &ai, identity, passfile, &status, err);
    if (rc == KZ_OK &&
        (rc = kz_cmd_identities(st, identity, passfile, max_work, &ids, &nids, err)) == KZ_OK) {
        rc = kz_age_decrypt(kz_cmd_agein_read, &ai, ids, nids, sink_fd, &sk, &status, err);
        if (rc == KZ_OK)
            kz_ui_progress(&st->ui, label, sk.total, sk.total);
        if (status == KZ_AGE_LIMIT)
            rc = kz_cmd_age_limit(name, status, err);
    }
    if (rc != KZ_OK && status != KZ_AGE_OK && rc != KZ_EAUTH && rc != KZ_ERR) {
        char msg[sizeof(err->msg)];
        const char *head = (const char *)ai.buf;
        snprintf(msg, sizeof(msg), "%s", err->msg);
        /* Neither binary age nor armor (a bare vault, say): say so plainly. */
        /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): 5 bytes, no NUL */
        if (status == KZ_AGE_ARMOR && ai.len > 0 && memchr("-\t\r\n ", head[0], 5) == NULL)
            kz_fail(err, KZ_EINTEGRITY, "%s is not an age file (no age-encryption.org/v1 "
                                        "header, no armor)", name);
        else
            kz_fail(err, KZ_EINTEGRITY, "%s%s is damaged (%s): %s", strcmp(file, "-") == 0 ? "" : "backup ", name,
                    kz_age_status_name(status), msg);
    }
    kz_cmd_identities_free(ids, nids);
    kz_cmd_agein_free(&ai);
    if (!from_stdin)
        close(ai.fd);
    return rc;
}

struct count {
    long records;
};

static int
count_one(void *ctx, const unsigned char *id, const unsigned char *h, size_t hl,
          const char *b, size_t bl)
{
    (void)id;
    (void)h;
    (void)hl;
    (void)b;
    (void)bl;
    ((struct count *)ctx)->records++;
    return 0;
}

/* In the unlocked vault v: every record opens, the whole audit chain verifies
 * and no head or body is without its other half; *authenticated the records
 * opened. */
static int
check_records(struct kz_vault *v, long *authenticated, struct kz_err *err)
{
    struct count c = {0};
    long long strays = 0;
    int rc;

    if ((rc = kz_vault_record_foreach(v, count_one, &c, err)) != KZ_OK ||
        (rc = kz_vault_audit_walk(v, NULL, NULL, err)) != KZ_OK ||
        (rc = kz_store_record_strays(kz_vault_store(v), &strays, err)) != KZ_OK)
        return rc;
    if (strays > 0)
        return kz_fail(err, KZ_EINTEGRITY,
                       "the backup holds %lld heads or bodies without their other half", strays);
    *authenticated = c.records;
    return KZ_OK;
}

/* Opens the decrypted vault at path: SQLite integrity, header, and with a
 * passphrase every record. *authenticated: records opened (-1 when not tried). */
int
kz_backup_check_vault(struct kz_state *st, const char *path, const char *name, long long *records,
                      long *authenticated, struct kz_err *err)
{
    struct kz_vault *v = NULL;
    struct kz_vault_info info;
    char *secret = NULL;
    size_t len = 0;
    int rc;

    *authenticated = -1;
    /* The decrypted copy has a scratch name that is gone when the command
     * ends: messages name the backup instead. */
    if ((rc = kz_vault_open(path, &v, err)) != KZ_OK) {
        /* A file that is no vault at all is named as the backup; a vault that
         * opening refused (planted SQL, a damaged header) says why, naming the
         * backup instead of the scratch copy. */
        if (rc != KZ_EBUSY && (strstr(err->msg, "not a kizuna vault") != NULL ||
                               strstr(err->msg, path) != NULL))
            rc = kz_fail(err, KZ_EINTEGRITY, "%s does not hold a kizuna vault", name);
        else if (rc != KZ_EBUSY) {
            char why[sizeof(err->msg)];
            snprintf(why, sizeof(why), "%s", err->msg);
            rc = kz_fail(err, rc, "%s: %s", name, why);
        }
        return rc;
    }
    if ((rc = kz_store_integrity(kz_vault_store(v), err)) != KZ_OK ||
        (rc = kz_vault_info(v, &info, err)) != KZ_OK) {
        if (rc != KZ_EBUSY)
            rc = kz_fail(err, KZ_EINTEGRITY, "%s does not hold a kizuna vault", name);
        goto out;
    }
    *records = info.records;
    if (st->vault != NULL && kz_vault_unlocked(st->vault)) {
        /* An unlocked shell: its key opens a backup of its own vault, and no
         * passphrase is asked or read again. A backup of another vault, or
         * from before a rekey, is checked as far as it can be without its key. */
        struct kz_err e;
        if (kz_vault_unlock_as(v, st->vault, &e) == KZ_OK)
            rc = check_records(v, authenticated, err);
        else
            *authenticated = -2; /* the open vault's key does not fit */
    } else if (st->passphrase_file != NULL || st->passphrase_fd >= 0 ||
               st->recovery_file != NULL) {
        if (st->recovery_file != NULL)
            rc = kz_ui_read_secret_file(st->recovery_file, &secret, &len, err);
        else if (st->passphrase_file != NULL)
            rc = kz_ui_read_secret_file(st->passphrase_file, &secret, &len, err);
        else
            rc = kz_ui_read_secret_fd(st->passphrase_fd, &secret, &len, err);
        if (rc != KZ_OK)
            goto out;
        rc = st->recovery_file != NULL ? kz_vault_unlock_recovery(v, secret, len, err)
                                       : kz_vault_unlock(v, secret, len, err);
        if (rc != KZ_OK)
            goto out;
        /* The unlock checked the commitment (records, audit head, header);
         * every record and the whole chain must open too. */
        rc = check_records(v, authenticated, err);
    }
out:
    kz_secure_free(secret);
    kz_vault_close(v);
    return rc;
}
