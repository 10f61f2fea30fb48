/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backup verify and backup restore: an age file of the vault, checked or
 * restored to a new vault file. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "cmds.h"

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
    if ((fd = kz_backup_scratch(strcmp(pos[0], "-") == 0 ? "kizuna-verify" : pos[0], tmp,
                                sizeof(tmp), err)) < 0) {
        tmp[0] = '\0';
        rc = err->code;
        goto out;
    }
    if ((rc = kz_backup_decrypt(st, pos[0], identity, passfile, max_work, fd, "verify", err)) !=
        KZ_OK)
        goto out;
    close(fd);
    fd = -1;
    if ((rc = kz_backup_check_vault(st, tmp, kz_backup_name(pos[0]), &records, &authenticated,
                                    err)) != KZ_OK)
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
               strcmp(pos[0], "-") == 0 ? "" : "backup ", kz_backup_name(pos[0]), records);
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        kz_backup_unlink_db(tmp);
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
    if ((rc = kz_backup_decrypt(st, pos[0], identity, passfile, max_work, fd, "restore", err)) !=
        KZ_OK)
        goto out;
    if ((rc = kz_backup_check_vault(st, tmp, kz_backup_name(pos[0]), &records, &authenticated,
                                    err)) != KZ_OK)
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
               kz_backup_name(pos[0]), dest,
               records, dest);
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        kz_backup_unlink_db(tmp);
    return rc;
}

static const char *const verify_opts[] = {"--identity", "--backup-passphrase-file",
                                          "--max-work-factor", NULL};
static const char *const restore_opts[] = {"--to-vault", "--identity",
                                           "--backup-passphrase-file", "--max-work-factor",
                                           NULL};

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
