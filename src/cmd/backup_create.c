/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backup create: an age file of the sealed vault, to a file or standard output. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"
#include "backup.h"
#include "cmds.h"

/* Removes an online-backup snapshot (none when snap is ""). */
static void
unlink_snapshot(const char *snap)
{
    char j[4300];

    if (snap[0] == '\0')
        return;
    unlink(snap);
    snprintf(j, sizeof(j), "%s-journal", snap);
    unlink(j);
}

static int
stream_file(struct kz_state *st, const char *path, struct kz_age_enc *enc, const char *label,
            struct kz_err *err)
{
    unsigned char *chunk = kz_xmalloc(KZ_AGE_CHUNK);
    unsigned long long done = 0, total;
    struct stat sb;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = KZ_OK;

    if (fd < 0 || fstat(fd, &sb) != 0) {
        free(chunk);
        if (fd >= 0)
            close(fd);
        return kz_fail(err, KZ_ERR, "cannot read the snapshot: %s", strerror(errno));
    }
    total = (unsigned long long)sb.st_size;
    while ((n = read(fd, chunk, KZ_AGE_CHUNK)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = kz_fail(err, KZ_ERR, "cannot read the snapshot: %s", strerror(errno));
            break;
        }
        if ((rc = kz_age_enc_update(enc, chunk, (size_t)n, err)) != KZ_OK)
            break;
        done += (unsigned long long)n;
        kz_ui_progress(&st->ui, label, done, total);
    }
    close(fd);
    free(chunk);
    return rc;
}


struct counted {
    int fd;
    unsigned long long bytes;
};

static int
counted_write(void *ctx, const void *buf, size_t len)
{
    struct counted *c = ctx;

    if (kz_age_fd_write(&c->fd, buf, len) != 0)
        return -1;
    c->bytes += len;
    return 0;
}

struct stream_ctx {
    struct kz_state *st;
    struct kz_age_enc *enc;
    struct kz_err *err;
    unsigned long long done, total;
    /* Standard output (a pipe): the age file is begun at the first byte of
     * the vault, so that a stream that cannot start (busy) has written nothing. */
    const struct kz_age_recipient *r;
    size_t nr;
    int armor;
    struct counted *out;
};

static int
stream_sink(void *ctx, const void *buf, size_t len)
{
    struct stream_ctx *c = ctx;

    if (c->enc == NULL &&
        kz_age_enc_begin(&c->enc, c->r, c->nr, c->armor, counted_write, c->out, c->err) != KZ_OK)
        return -1;
    if (kz_age_enc_update(c->enc, buf, len, c->err) != KZ_OK)
        return -1;
    c->done += len;
    kz_ui_progress(&c->st->ui, "backup", c->done, c->total);
    return 0;
}

/* backup create - : the age stream to standard output, for rclone rcat or
 * restic backup --stdin. Its event is saved before the first byte (as an
 * export to the screen); every message goes to stderr. */
static int
create_stdout(struct kz_state *st, const struct kz_age_recipient *r, size_t nr, int armor,
              int passphrase, struct kz_err *err)
{
    struct stream_ctx sc = {st, NULL, err, 0, 0, r, nr, armor, NULL};
    struct counted out_fd = {STDOUT_FILENO, 0};
    int rc;
    char snap[4200];
    FILE *out;

    snap[0] = '\0';
    sc.out = &out_fd;
    if ((rc = kz_audit_first(st, "backup", "backup create", "stdout", "no backup written",
                             err)) != KZ_OK)
        return rc;
    st->audited = 1;
    rc = kz_store_stream(kz_vault_store(st->vault), stream_sink, &sc, &sc.total, err);
    if (rc == KZ_EBUSY && sc.enc == NULL) {
        /* Nothing written yet: through an online-backup snapshot instead. */
        int sfd;
        kz_err_clear(err);
        if ((sfd = kz_cmd_tmpfile(kz_vault_path(st->vault), snap, sizeof(snap), err)) < 0)
            return err->code;
        close(sfd);
        unlink(snap); /* SQLite creates it afresh */
        if ((rc = kz_store_snapshot(kz_vault_store(st->vault), snap, err)) == KZ_OK &&
            (rc = kz_age_enc_begin(&sc.enc, r, nr, armor, counted_write, &out_fd, err)) == KZ_OK)
            rc = stream_file(st, snap, sc.enc, "backup", err);
    }
    if (rc == KZ_OK && sc.enc == NULL)
        rc = kz_fail(err, KZ_ERR, "the vault was empty: no backup written");
    if (rc != KZ_OK)
        kz_age_enc_abort(sc.enc);
    else
        rc = kz_age_enc_final(sc.enc, err);
    unlink_snapshot(snap);
    if (rc != KZ_OK)
        return rc;
    /* Standard output is the backup: the confirmation goes to stderr. */
    out = st->ui.out;
    st->ui.out = st->ui.errf;
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:I,s:i,s:s}", "backup", "-", "bytes",
                         (json_int_t)out_fd.bytes, "recipients", (int)nr, "kind",
                         passphrase ? "passphrase" : "x25519"),
               "backup written to standard output (%llu bytes, %s)", out_fd.bytes,
               passphrase ? "passphrase" : nr == 1 ? "1 recipient" : "several recipients");
    st->ui.out = out;
    return KZ_OK;
}

/* Whether FILE may be written: "-" (standard output) only to a pipe unless
 * --armor; an existing file only when the therapist says so. *replace 1 when
 * an existing file is to be replaced. */
static int
create_target(struct kz_state *st, const char *file, int armor, int force, int *replace,
              struct kz_err *err)
{
    char shown[4300], q[4600];
    struct stat sb;

    *replace = 0;
    if (strcmp(file, "-") == 0) {
        if (isatty(STDOUT_FILENO) && !armor)
            return kz_fail(err, KZ_EUSAGE, "backup create -: standard output is a terminal; "
                                           "pipe it (| rclone rcat remote:vault.age) or "
                                           "give --armor");
        return KZ_OK;
    }
    if (lstat(file, &sb) != 0)
        return KZ_OK;
    /* An existing file is replaced only when the therapist says so: asked on
     * a terminal, --force in a script (a nightly job reusing one name). */
    kz_cmd_abspath(file, shown, sizeof(shown));
    if (S_ISDIR(sb.st_mode))
        return kz_fail(err, KZ_EUSAGE, "%s is a folder; give a file name in it", shown);
    snprintf(q, sizeof(q), "%s already exists (%lld bytes). Replace it with this backup?",
             shown, (long long)sb.st_size);
    if (!force && (st->interactive || kz_ui_have_terminal())) {
        int ok, rc;
        if ((rc = kz_cmd_ask(st, q, NULL, &ok, err)) != KZ_OK)
            return rc;
        if (!ok)
            return kz_fail(err, KZ_EUSAGE, "not confirmed; %s left as it was", shown);
    } else if (!force) {
        return kz_fail(err, KZ_EUSAGE, "%s already exists; give --force to replace it", shown);
    }
    *replace = 1;
    return KZ_OK;
}

/* The age file at the temporary name tmp (*fd), finished: a consistent image
 * of the sealed vault, streamed straight from the file when no one else has it
 * open, else through an online-backup snapshot beside file (its name in snap,
 * which the caller removes). */
static int
write_age(struct kz_state *st, const char *file, const char *tmp, int *fd,
          const struct kz_age_recipient *r, size_t nr, int armor, char *snap, size_t snapsize,
          struct kz_err *err)
{
    struct stream_ctx sc = {st, NULL, err, 0, 0, NULL, 0, 0, NULL};
    int rc;

    if ((rc = kz_age_enc_begin(&sc.enc, r, nr, armor, kz_age_fd_write, fd, err)) != KZ_OK)
        return rc;
    rc = kz_store_stream(kz_vault_store(st->vault), stream_sink, &sc, &sc.total, err);
    if (rc == KZ_EBUSY && sc.done == 0) {
        int sfd;
        kz_err_clear(err);
        kz_age_enc_abort(sc.enc);
        sc.enc = NULL;
        if ((sfd = kz_cmd_tmpfile(file, snap, snapsize, err)) < 0) {
            rc = err->code;
            snap[0] = '\0';
            return rc;
        }
        close(sfd);
        unlink(snap); /* SQLite creates it afresh */
        /* Start the age file again from nothing. */
        if (ftruncate(*fd, 0) != 0 || lseek(*fd, 0, SEEK_SET) != 0)
            return kz_fail(err, KZ_ERR, "cannot write %s: %s", tmp, strerror(errno));
        if ((rc = kz_store_snapshot(kz_vault_store(st->vault), snap, err)) != KZ_OK ||
            (rc = kz_age_enc_begin(&sc.enc, r, nr, armor, kz_age_fd_write, fd, err)) != KZ_OK)
            return rc;
        rc = stream_file(st, snap, sc.enc, "backup", err);
    }
    if (rc != KZ_OK) {
        kz_age_enc_abort(sc.enc);
        return rc;
    }
    return kz_age_enc_final(sc.enc, err);
}

static int
cmd_create(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *to[KZ_OPT_MAX], *passfile = NULL;
    int nto = 0, passphrase = 0, armor = 0, force = 0, rc, npos, fd = -1, replace = 0;
    const struct kz_opt opts[] = {
        {"to", 'r', KZ_OPT_REPEAT, to, &nto},
        {"passphrase", 0, 0, NULL, &passphrase},
        {"backup-passphrase-file", 0, 1, &passfile, NULL},
        {"armor", 'a', 0, NULL, &armor},
        {"force", 'f', 0, NULL, &force},
        {NULL, 0, 0, NULL, NULL},
    };
    struct kz_age_recipient *r = NULL;
    char *pos[1], *pass = NULL, tmp[4200], snap[4200], shown[4300];
    size_t nr = 0;
    struct stat sb;

    tmp[0] = snap[0] = '\0';
    if ((rc = kz_cmd_parse(st, "backup create", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: backup create FILE|- [--to age1...] [--passphrase] [--force]");
    if ((rc = create_target(st, pos[0], armor, force, &replace, err)) != KZ_OK)
        return rc;
    /* Given the vault's passphrase (a cron job), unlock so that the backup event
     * is written with the key: a keyless one proves nothing (doctor). */
    if (!kz_vault_unlocked(st->vault) &&
        (st->passphrase_file != NULL || st->passphrase_fd >= 0 || st->recovery_file != NULL) &&
        (rc = kz_state_unlock(st, err)) != KZ_OK)
        return rc;
    if ((rc = kz_backup_recipients(st, to, nto, passphrase, passfile, &r, &nr, &pass, err)) !=
        KZ_OK)
        goto out;
    if (strcmp(pos[0], "-") == 0) {
        rc = create_stdout(st, r, nr, armor, pass != NULL, err);
        goto out;
    }
    /* The age file goes to a temporary name, fsynced, then renamed. */
    if ((fd = kz_cmd_tmpfile(pos[0], tmp, sizeof(tmp), err)) < 0) {
        rc = err->code;
        tmp[0] = '\0';
        goto out;
    }
    /* As for export, the event is saved before the file gets its name: a
     * backup the audit trail could not note does not happen. */
    if ((rc = write_age(st, pos[0], tmp, &fd, r, nr, armor, snap, sizeof(snap), err)) != KZ_OK ||
        (rc = kz_audit_first(st, "backup", "backup create", pos[0], "no backup written",
                             err)) != KZ_OK)
        goto out;
    st->audited = 1;
    /* A file that appeared since the check above is not replaced unasked. */
    if ((rc = kz_cmd_commit_file(fd, tmp, pos[0], !replace, err)) != KZ_OK)
        goto out;
    tmp[0] = '\0';
    stat(pos[0], &sb);
    kz_cmd_abspath(pos[0], shown, sizeof(shown));
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:I,s:i,s:s,s:b}", "backup", shown, "bytes",
                         (json_int_t)sb.st_size, "recipients", (int)nr, "kind",
                         pass != NULL ? "passphrase" : "x25519", "replaced", replace),
               "backup written to %s (%lld bytes, %s%s)", shown, (long long)sb.st_size,
               pass != NULL ? "passphrase" : nr == 1 ? "1 recipient" : "several recipients",
               replace ? "; the older file replaced" : "");
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    unlink_snapshot(snap);
    kz_secure_free(pass);
    free(r);
    return rc;
}

static const char *const create_opts[] = {"--to", "--passphrase", "--backup-passphrase-file",
                                          "--armor", "--force", NULL};

const struct kz_cmd_entry kz_cmd_backup_create = {
    "backup create", "FILE|- [--to age1... ...] [--passphrase] [--armor] [--force]",
    "an age file of the sealed vault (no passphrase needed with recipients)",
    "A consistent snapshot, records still sealed, streamed through age to a temporary\n"
    "name, fsynced, then renamed: FILE is never half written. An existing FILE is\n"
    "replaced whole only when you say so: asked on a terminal, -f/--force in a script\n"
    "(a nightly job reusing one name: backup create --force ~/backups/vault.age).\n"
    "FILE '-' writes the age stream to stdout for other tools (| rclone rcat\n"
    "remote:kizuna/vault.age); refused onto a terminal unless --armor; messages go to\n"
    "stderr. Without --to the vault's recipients are used, so cron can run it.\n"
    "--passphrase asks for a backup passphrase (or --backup-passphrase-file FILE).\n"
    "The stock age tool decrypts it. Its audit event\n"
    "is saved before FILE gets its name (a backup the trail cannot note is not written):\n"
    "with the key when the vault is unlocked or --passphrase-file is given; else it is\n"
    "keyless (unverified), and doctor does not count it as a backup.",
    0, create_opts, cmd_create};
