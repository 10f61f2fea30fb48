/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keygen, recipients, backup create|verify|restore: age files of the sealed vault. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/buf.h"
#include "kizuna/cleanup.h"
#include "kizuna/secmem.h"
#include "cmds.h"

/* ---- keygen ---- */

static int
cmd_keygen(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *out = NULL;
    const struct kz_opt opts[] = {{"output", 'o', 1, &out, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char *sk = kz_secure_alloc(32), pk[32];
    char *id = kz_secure_alloc(KZ_AGE_IDENTITY_LEN + 1), rcp[KZ_AGE_RECIPIENT_LEN + 1];
    char *text = kz_secure_alloc(512), created[21], *pos[1], tmp[4200];
    int rc, npos, fd = -1, cleanup = -1;
    struct stat sb;
    size_t len;

    tmp[0] = '\0';
    if ((rc = kz_cmd_parse(st, "keygen", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        goto out;
    kz_age_keygen(sk, pk);
    kz_age_identity_format(sk, id, KZ_AGE_IDENTITY_LEN + 1);
    kz_age_recipient_format(pk, rcp, sizeof(rcp));
    kz_time_now(created);
    len = (size_t)snprintf(text, 512, "# created: %s\n# public key: %s\n%s\n", created, rcp, id);
    if (out == NULL) {
        if (kz_ui_raw(&st->ui, text, len) != 0)
            rc = kz_fail(err, KZ_ERR, "cannot write the identity");
        goto out;
    }
    if (lstat(out, &sb) == 0) {
        rc = kz_fail(err, KZ_ERR, "%s already exists; refusing to overwrite it", out);
        goto out;
    }
    /* Written whole under a temporary name (shredded if a signal ends us
     * there: it is a secret key), then named without ever replacing a file
     * that appeared meanwhile. */
    if ((fd = kz_cmd_tmpfile(out, tmp, sizeof(tmp), err)) < 0) {
        rc = err->code;
        tmp[0] = '\0';
        goto out;
    }
    cleanup = kz_cleanup_add(tmp, -1);
    if (kz_age_fd_write(&fd, text, len) != 0) {
        rc = kz_fail(err, KZ_ERR, "cannot write %s: %s", out, strerror(errno));
        goto out;
    }
    if ((rc = kz_cmd_commit_file(fd, tmp, out, 1, err)) != KZ_OK)
        goto out;
    tmp[0] = '\0';
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "identity", out, "recipient", rcp),
               "Public key: %s", rcp);
out:
    if (tmp[0] != '\0')
        kz_shred_path(tmp);
    kz_cleanup_remove(cleanup);
    if (fd >= 0)
        close(fd);
    kz_secure_free(sk);
    kz_secure_free(id);
    kz_secure_free(text);
    return rc;
}

/* ---- recipients ---- */

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

/* ---- backup create ---- */

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

/* Recipients: --to, else the vault's configured ones; --passphrase instead. */
static int
backup_recipients(struct kz_state *st, const char *const *to, int nto, int passphrase,
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
        else if (st->interactive || kz_ui_have_terminal())
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
    if (snap[0] != '\0') {
        char j[4300];
        unlink(snap);
        snprintf(j, sizeof(j), "%s-journal", snap);
        unlink(j);
    }
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
    struct stream_ctx sc = {st, NULL, err, 0, 0, NULL, 0, 0, NULL};
    char *pos[1], *pass = NULL, tmp[4200], snap[4200], shown[4300];
    size_t nr = 0;
    struct stat sb;

    tmp[0] = snap[0] = '\0';
    if ((rc = kz_cmd_parse(st, "backup create", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: backup create FILE|- [--to age1...] [--passphrase] [--force]");
    if (strcmp(pos[0], "-") == 0) {
        if (isatty(STDOUT_FILENO) && !armor)
            return kz_fail(err, KZ_EUSAGE, "backup create -: standard output is a terminal; "
                                           "pipe it (| rclone rcat remote:vault.age) or "
                                           "give --armor");
    } else if (lstat(pos[0], &sb) == 0) {
        /* An existing file is replaced only when the therapist says so: asked on
         * a terminal, --force in a script (a nightly job reusing one name). */
        char q[4600];
        kz_cmd_abspath(pos[0], shown, sizeof(shown));
        if (S_ISDIR(sb.st_mode))
            return kz_fail(err, KZ_EUSAGE, "%s is a folder; give a file name in it", shown);
        snprintf(q, sizeof(q), "%s already exists (%lld bytes). Replace it with this backup?",
                 shown, (long long)sb.st_size);
        if (!force && (st->interactive || kz_ui_have_terminal())) {
            if (!kz_ui_confirm(q))
                return kz_fail(err, KZ_EUSAGE, "not confirmed; %s left as it was", shown);
        } else if (!force) {
            return kz_fail(err, KZ_EUSAGE, "%s already exists; give --force to replace it",
                           shown);
        }
        replace = 1;
    }
    /* Given the vault's passphrase (a cron job), unlock so that the backup event
     * is written with the key: a keyless one proves nothing (doctor). */
    if (!kz_vault_unlocked(st->vault) &&
        (st->passphrase_file != NULL || st->passphrase_fd >= 0 || st->recovery_file != NULL) &&
        (rc = kz_state_unlock(st, err)) != KZ_OK)
        return rc;
    if ((rc = backup_recipients(st, to, nto, passphrase, passfile, &r, &nr, &pass, err)) != KZ_OK)
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
    if ((rc = kz_age_enc_begin(&sc.enc, r, nr, armor, kz_age_fd_write, &fd, err)) != KZ_OK)
        goto out;
    /* A consistent image of the sealed vault: streamed straight from the file
     * when no one else has it open, else through an online-backup snapshot. */
    rc = kz_store_stream(kz_vault_store(st->vault), stream_sink, &sc, &sc.total, err);
    if (rc == KZ_EBUSY && sc.done == 0) {
        int sfd;
        kz_err_clear(err);
        kz_age_enc_abort(sc.enc);
        sc.enc = NULL;
        if ((sfd = kz_cmd_tmpfile(pos[0], snap, sizeof(snap), err)) < 0) {
            rc = err->code;
            snap[0] = '\0';
            goto out;
        }
        close(sfd);
        unlink(snap); /* SQLite creates it afresh */
        /* Start the age file again from nothing. */
        if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
            rc = kz_fail(err, KZ_ERR, "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
        if ((rc = kz_store_snapshot(kz_vault_store(st->vault), snap, err)) != KZ_OK ||
            (rc = kz_age_enc_begin(&sc.enc, r, nr, armor, kz_age_fd_write, &fd, err)) != KZ_OK)
            goto out;
        rc = stream_file(st, snap, sc.enc, "backup", err);
    }
    if (rc != KZ_OK) {
        kz_age_enc_abort(sc.enc);
        goto out;
    }
    /* As for export, the event is saved before the file gets its name: a
     * backup the audit trail could not note does not happen. */
    if ((rc = kz_age_enc_final(sc.enc, err)) != KZ_OK ||
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
    if (snap[0] != '\0') {
        char j[4300];
        unlink(snap);
        snprintf(j, sizeof(j), "%s-journal", snap);
        unlink(j);
    }
    kz_secure_free(pass);
    free(r);
    return rc;
}

/* ---- verify and restore ---- */

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
static int
scratch(const char *near, char *path, size_t size, struct kz_err *err)
{
    struct statfs sfs;
    char base[4200];

    if (statfs("/dev/shm", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
        snprintf(base, sizeof(base), "/dev/shm/kizuna-verify");
    else
        snprintf(base, sizeof(base), "%s", near);
    return kz_cmd_tmpfile(base, path, size, err);
}

static void
unlink_db(const char *path)
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
static const char *
backup_name(const char *file)
{
    return strcmp(file, "-") == 0 ? "the backup on standard input" : file;
}

static int
decrypt_to(struct kz_state *st, const char *file, const char *identity, const char *passfile,
           const char *max_work, int outfd, const char *label, struct kz_err *err)
{
    struct kz_age_identity *ids = NULL;
    struct sink sk = {outfd, &st->ui, label, 0, 0};
    struct kz_cmd_agein ai = {-1, NULL, 0, 0, 0, 1};
    const char *name = backup_name(file);
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

/* Opens the decrypted vault at path: SQLite integrity, header, and with a
 * passphrase every record. *authenticated: records opened (-1 when not tried). */
static int
check_vault(struct kz_state *st, const char *path, const char *name, long long *records,
            long *authenticated, struct kz_err *err)
{
    struct kz_vault *v = NULL;
    struct kz_vault_info info;
    struct count c = {0};
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
        if (kz_vault_unlock_as(v, st->vault, &e) == KZ_OK) {
            long long strays = 0;
            if ((rc = kz_vault_record_foreach(v, count_one, &c, err)) != KZ_OK ||
                (rc = kz_vault_audit_walk(v, NULL, NULL, err)) != KZ_OK ||
                (rc = kz_store_record_strays(kz_vault_store(v), &strays, err)) != KZ_OK)
                goto out;
            if (strays > 0) {
                rc = kz_fail(err, KZ_EINTEGRITY,
                             "the backup holds %lld heads or bodies without their other half",
                             strays);
                goto out;
            }
            *authenticated = c.records;
        } else {
            *authenticated = -2; /* the open vault's key does not fit */
        }
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
        long long strays = 0;
        if ((rc = kz_vault_record_foreach(v, count_one, &c, err)) != KZ_OK ||
            (rc = kz_vault_audit_walk(v, NULL, NULL, err)) != KZ_OK ||
            (rc = kz_store_record_strays(kz_vault_store(v), &strays, err)) != KZ_OK)
            goto out;
        if (strays > 0) {
            rc = kz_fail(err, KZ_EINTEGRITY,
                         "the backup holds %lld heads or bodies without their other half",
                         strays);
            goto out;
        }
        *authenticated = c.records;
    }
out:
    kz_secure_free(secret);
    kz_vault_close(v);
    return rc;
}

static int
cmd_verify(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *identity = NULL, *passfile = NULL, *max_work = NULL;
    const struct kz_opt opts[] = {
        {"identity", 'i', 1, &identity, NULL},
        {"backup-passphrase-file", 0, 1, &passfile, NULL},
        {"max-work-factor", 0, 1, &max_work, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    char *pos[1], tmp[4200];
    long long records = 0;
    long authenticated = -1;
    int rc, npos, fd = -1;

    tmp[0] = '\0';
    if ((rc = kz_cmd_parse(st, "backup verify", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: backup verify FILE|- [--identity FILE]");
    if ((fd = scratch(strcmp(pos[0], "-") == 0 ? "kizuna-verify" : pos[0], tmp, sizeof(tmp),
                      err)) < 0) {
        tmp[0] = '\0';
        rc = err->code;
        goto out;
    }
    if ((rc = decrypt_to(st, pos[0], identity, passfile, max_work, fd, "verify", err)) != KZ_OK)
        goto out;
    close(fd);
    fd = -1;
    if ((rc = check_vault(st, tmp, backup_name(pos[0]), &records, &authenticated, err)) !=
        KZ_OK)
        goto out;
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:b,s:I,s:I}", "backup", pos[0], "ok", 1, "records",
                         (json_int_t)records, "authenticated",
                         (json_int_t)(authenticated >= 0 ? authenticated : -1)),
               authenticated >= 0 ? "%s%s is intact: %lld records, every one authenticated"
               : authenticated == -2
                   ? "%s%s is intact as a file: %lld records, not authenticated (this "
                     "vault's key does not open them: a backup of another vault, or from "
                     "before a rekey; --passphrase-file FILE checks each record)"
                   : "%s%s is intact: %lld records (give the vault passphrase to "
                     "authenticate each record too)",
               strcmp(pos[0], "-") == 0 ? "" : "backup ", backup_name(pos[0]), records);
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink_db(tmp);
    return rc;
}

static int
cmd_restore(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *identity = NULL, *passfile = NULL, *dest = NULL, *max_work = NULL;
    const struct kz_opt opts[] = {
        {"to-vault", 0, 1, &dest, NULL},
        {"identity", 'i', 1, &identity, NULL},
        {"backup-passphrase-file", 0, 1, &passfile, NULL},
        {"max-work-factor", 0, 1, &max_work, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    char *pos[1], tmp[4200];
    long long records = 0;
    long authenticated = -1;
    struct stat sb;
    int rc, npos, fd = -1;

    tmp[0] = '\0';
    if ((rc = kz_cmd_parse(st, "backup restore", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1 || dest == NULL)
        return kz_fail(err, KZ_EUSAGE, "usage: backup restore FILE|- --to-vault PATH");
    if (lstat(dest, &sb) == 0)
        return kz_fail(err, KZ_ERR, "%s already exists; refusing to overwrite it", dest);
    if ((rc = kz_store_companions(dest, err)) != KZ_OK)
        return rc;
    if ((fd = kz_cmd_tmpfile(dest, tmp, sizeof(tmp), err)) < 0) {
        tmp[0] = '\0';
        rc = err->code;
        goto out;
    }
    if ((rc = decrypt_to(st, pos[0], identity, passfile, max_work, fd, "restore", err)) !=
        KZ_OK)
        goto out;
    if ((rc = check_vault(st, tmp, backup_name(pos[0]), &records, &authenticated, err)) !=
        KZ_OK)
        goto out;
    /* Never replaces a file, even one that appeared since the check above. */
    /* Again at the last moment: the restore may have taken a while. */
    if ((rc = kz_store_companions(dest, err)) != KZ_OK ||
        (rc = kz_cmd_commit_file(fd, tmp, dest, 1, err)) != KZ_OK)
        goto out;
    tmp[0] = '\0';
    {
        /* The restored vault learns it was restored at its next unlock. */
        struct kz_vault *v = NULL;
        struct kz_err e;
        char now[21], ev[160];
        kz_time_now(now);
        snprintf(ev, sizeof(ev),
                 "{\"t\":\"%s\",\"event\":\"restore\",\"cmd\":\"backup restore\",\"keyless\":true}",
                 now);
        if (kz_vault_open(dest, &v, &e) != KZ_OK || kz_vault_begin(v, &e) != KZ_OK ||
            kz_vault_audit_pending(v, ev, strlen(ev), &e) != KZ_OK ||
            kz_vault_commit(v, &e) != KZ_OK)
            kz_ui_warn(&st->ui, "the restore was not written to its audit trail: %s", e.msg);
        kz_vault_close(v);
    }
    kz_ui_done(&st->ui, json_pack("{s:s,s:s,s:I}", "restored", pos[0], "vault", dest, "records",
                                  (json_int_t)records),
               "restored %s to %s (%lld records); open it with kizuna --vault %s",
               backup_name(pos[0]), dest,
               records, dest);
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink_db(tmp);
    return rc;
}

static const char *const keygen_opts[] = {"--output", NULL};
static const char *const create_opts[] = {"--to", "--passphrase", "--backup-passphrase-file",
                                          "--armor", "--force", NULL};
static const char *const verify_opts[] = {"--identity", "--backup-passphrase-file",
                                          "--max-work-factor", NULL};
static const char *const restore_opts[] = {"--to-vault", "--identity",
                                           "--backup-passphrase-file", "--max-work-factor",
                                           NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_keygen = {
    "keygen", "[-o FILE]", "make an age identity for backups (as age-keygen does)",
    "Writes the identity (0600, refusing to overwrite) and prints its recipient, which\n"
    "'recipients add' takes. Keep the identity off this computer: it opens every backup.",
    CMD_NO_VAULT, keygen_opts, cmd_keygen};
const struct kz_cmd_entry kz_cmd_recipients_add = {
    "recipients add", "age1...", "encrypt backups to this public key too", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_rcpt_add};
const struct kz_cmd_entry kz_cmd_recipients_list = {
    "recipients list", "", "the backup recipients (no passphrase needed)", NULL, 0, no_opts,
    cmd_rcpt_list};
const struct kz_cmd_entry kz_cmd_recipients_remove = {
    "recipients remove", "age1...", "stop encrypting backups to this key", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_rcpt_remove};
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
const struct kz_cmd_entry kz_cmd_backup_verify = {
    "backup verify", "FILE|- [--identity FILE] [--max-work-factor N]",
    "decrypt a backup in memory and check it; with the passphrase, every record",
    "FILE '-' reads the backup from stdin (rclone cat remote:vault.age | ...). A backup\n"
    "only age keys open needs its identity (-i FILE): no passphrase is asked for it. In\n"
    "the unlocked shell the shell's key opens every record of this vault's backups.\n"
    "Exit 4 if the file is truncated, extended or altered, naming what failed. A passphrase\n"
    "file asking for an scrypt work factor above 20 (1 GiB) is refused (exit 1) unless\n"
    "--max-work-factor N (up to 22) allows it.",
    CMD_NO_VAULT, verify_opts, cmd_verify};
const struct kz_cmd_entry kz_cmd_backup_restore = {
    "backup restore", "FILE|- --to-vault PATH [--identity FILE] [--max-work-factor N]",
    "restore a backup to a new vault file (never overwrites)",
    "FILE '-' reads the backup from stdin. --max-work-factor N: as for backup verify (an\n"
    "scrypt work factor above 20 is refused).",
    CMD_NO_VAULT, restore_opts, cmd_restore};
