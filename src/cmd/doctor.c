/* SPDX-License-Identifier: GPL-3.0-or-later */
/* doctor: a security self-check a practice can run from cron. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "kizuna/kdf.h"
#include "kizuna/secmem.h"
#include "cmds.h"
#include "couple_cmd.h"
#include "doctor.h"

enum { OK_, WARN_, FAIL_, BAD_ }; /* BAD_: an integrity failure (exit 4) */

struct report {
    json_t *rows;
    int worst; /* 0 ok, 1 warn, 2 fail, 3 integrity */
};

static void
check(struct report *r, const char *name, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
check(struct report *r, const char *name, int status, const char *fmt, ...)
{
    static const char *const names[] = {"ok", "warn", "FAIL", "FAIL"};
    char detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    json_array_append_new(r->rows, json_pack("{s:s,s:s,s:s,s:b}", "check", name, "status",
                                             names[status], "detail", detail, "integrity",
                                             status == BAD_));
    if (status > r->worst)
        r->worst = status;
}

static void
check_files(struct kz_state *st, struct report *r)
{
    struct stat sb;
    char *dir = kz_xstrdup(st->vault_path), *slash = strrchr(dir, '/');

    if (stat(st->vault_path, &sb) != 0)
        check(r, "file permissions", FAIL_, "cannot stat %s", st->vault_path);
    else if (sb.st_mode & 077)
        check(r, "file permissions", FAIL_,
              "%s is mode %03o: others can read or change it (chmod 600)", st->vault_path,
              (unsigned)(sb.st_mode & 0777));
    else
        check(r, "file permissions", OK_, "%s is mode %03o", st->vault_path,
              (unsigned)(sb.st_mode & 0777));
    if (slash != NULL) {
        *slash = '\0';
    } else {
        free(dir);
        dir = kz_xstrdup(".");
    }
    if (stat(slash == dir ? "/" : dir, &sb) == 0) {
        if (sb.st_mode & 002)
            check(r, "folder permissions", FAIL_, "%s is writable by everyone",
                  slash == dir ? "/" : dir);
        else if (sb.st_mode & 077)
            check(r, "folder permissions", WARN_, "%s is mode %03o (700 hides even the names)",
                  slash == dir ? "/" : dir, (unsigned)(sb.st_mode & 0777));
        else
            check(r, "folder permissions", OK_, "%s is mode %03o", slash == dir ? "/" : dir,
                  (unsigned)(sb.st_mode & 0777));
    }
    free(dir);
}

static void
check_kdf(struct report *r, const struct kz_vault_info *info)
{
    const struct kz_kdf_params *k = &info->kdf;
    double t;

    if (kz_kdf_below_floor(k)) {
        check(r, "key derivation", FAIL_,
              "Argon2id t=%u, m=%u KiB is below RFC 9106's floor (t=3, m=64 MiB): 'passwd' "
              "after 'init --kdf-time 1' costs",
              k->t, k->m_kib);
        return;
    }
    t = kz_kdf_seconds(k);
    if (t >= 0 && t < 0.5)
        check(r, "key derivation", WARN_,
              "Argon2id t=%u, m=%u MiB takes %.2f s here: a 1 s target would be stronger", k->t,
              k->m_kib / 1024, t);
    else
        check(r, "key derivation", OK_, "Argon2id t=%u, m=%u MiB, %u lanes: %.2f s here", k->t,
              k->m_kib / 1024, k->lanes, t);
}

static int
count_record(void *ctx, const unsigned char *id, const unsigned char *h, size_t hl,
             const char *b, size_t bl)
{
    (void)id;
    (void)h;
    (void)hl;
    (void)b;
    (void)bl;
    atomic_fetch_add((atomic_long *)ctx, 1); /* the walk's two threads both count */
    return 0;
}

/* The last-backup row: its verdict and detail from doctor_backup.c. */
static void
check_backup(struct report *r, const struct kz_last_backup *lb, long warn_days)
{
    char detail[512];
    int warn = kz_doctor_backup_detail(lb, warn_days, detail, sizeof(detail));

    check(r, "last backup", warn ? WARN_ : OK_, "%s", detail);
}

/* The header, its key derivation and the key slots. */
static void
check_keys(struct kz_state *st, struct report *r)
{
    struct kz_vault_info info;
    struct kz_err e;

    kz_err_clear(&e);
    if (kz_vault_info(st->vault, &info, &e) != KZ_OK) {
        check(r, "vault header", BAD_, "%s", e.msg);
        return;
    }
    check_kdf(r, &info);
    kz_err_clear(&e);
    if (!info.recovery_slot)
        check(r, "key slots", FAIL_, "%s", "no recovery slot: 'recovery rotate' makes one");
    else if (kz_vault_slots_check(st->vault, &e) != KZ_OK)
        check(r, "key slots", BAD_, "%s (%s)", e.msg,
              strstr(e.msg, "custodian") != NULL  ? "'custodian revoke' removes it"
              : strstr(e.msg, "recovery") != NULL ? "'recovery rotate' makes a new one"
                                                  : "'passwd' seals it anew");
    else
        check(r, "key slots", OK_, "passphrase and recovery key slots as written");
}

/* An opening by custodian shares that the therapist has not acknowledged. */
static void
check_custodian(struct kz_state *st, struct report *r)
{
    char t[32], how[96];
    int pending = 0;
    struct kz_err e;

    kz_err_clear(&e);
    if (kz_cmd_custodian_opening(st, t, sizeof(t), how, sizeof(how), &pending, &e) != KZ_OK)
        return; /* the audit chain row names it */
    if (pending)
        check(r, "custodian opening", WARN_,
              "the vault was opened with %s at %s: 'custodian acknowledge' once you know why", how,
              t);
    else
        check(r, "custodian opening", OK_, "%s",
              *t != '\0' ? "the last opening by custodian shares was acknowledged"
                         : "never opened with custodian shares");
}

/* What was sealed: SQLite integrity, the commitment, every record, the audit
 * chain (the last backups into *lb on the way) and the backup recipients. */
static void
check_seals(struct kz_state *st, struct report *r, struct kz_last_backup *lb)
{
    unsigned long long gen = 0, count = 0;
    atomic_long records = 0;
    long long strays = 0;
    struct kz_err e;

    kz_err_clear(&e);
    if (kz_store_integrity(kz_vault_store(st->vault), &e) != KZ_OK)
        check(r, "SQLite integrity", BAD_, "%s", e.msg);
    else
        check(r, "SQLite integrity", OK_, "integrity_check ok");
    kz_err_clear(&e);
    if (kz_vault_commitment_check(st->vault, &gen, &count, &e) != KZ_OK)
        check(r, "commitment", BAD_, "%s", e.msg);
    else
        check(r, "commitment", OK_,
              "%llu records, the audit head and the header as committed (generation %llu)",
              count, gen);
    kz_err_clear(&e);
    if (kz_vault_record_foreach_parallel(st->vault, count_record, &records, &e) != KZ_OK)
        check(r, "records", BAD_, "%s", e.msg);
    else if (kz_store_record_strays(kz_vault_store(st->vault), &strays, &e) != KZ_OK ||
             strays > 0)
        check(r, "records", BAD_, "%s",
              strays > 0 ? "a head without its body or a body without its head: the file "
                           "was altered"
                         : e.msg);
    else
        check(r, "records", OK_, "all %ld records authenticate", (long)atomic_load(&records));
    kz_err_clear(&e);
    if (kz_vault_audit_walk(st->vault, kz_doctor_find_backup, lb, &e) != KZ_OK ||
        kz_vault_audit_inbox_check(st->vault, &e) != KZ_OK)
        check(r, "audit chain", BAD_, "%s", e.msg);
    else
        check(r, "audit chain", OK_, "verifies");
    kz_err_clear(&e);
    if (kz_vault_recipients_check(st->vault, &e) != KZ_OK)
        check(r, "backup recipients", BAD_, "%s", e.msg);
    else
        check(r, "backup recipients", OK_, "as the therapist set them");
}

/* This process and this machine: secure_delete, core dumps, swap, a test clock. */
static void
check_runtime(struct kz_state *st, struct report *r)
{
    struct rlimit rl;

    check(r, "secure_delete", kz_store_secure_delete(kz_vault_store(st->vault)) ? OK_ : FAIL_,
          "%s", kz_store_secure_delete(kz_vault_store(st->vault)) ? "on: freed pages are zeroed"
                                                                  : "off");
    if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 && prctl(PR_GET_DUMPABLE) == 0)
        check(r, "core dumps", OK_, "disabled (RLIMIT_CORE 0, not dumpable)");
    else if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0)
        check(r, "core dumps", WARN_, "RLIMIT_CORE 0 (this build stays dumpable for its "
                                      "sanitizer)");
    else
        check(r, "core dumps", FAIL_, "a crash could write memory to disk");
    {
        char detail[512];
        int warn = kz_doctor_swap_detail("/proc/swaps", "/sys", detail, sizeof(detail));
        check(r, "swap", warn ? WARN_ : OK_, "%s", detail);
    }
    if (getenv("KIZUNA_TEST_TODAY") != NULL) {
        char today[11];
        kz_date_format(kz_date_today(), today);
        check(r, "today", WARN_, "KIZUNA_TEST_TODAY is set (for the test suites only): "
                                 "today is taken as %s", today);
    }
}

/* Editor files a killed kizuna left in /dev/shm; shredded with fix (--fix). */
static void
check_editor(struct report *r, int fix)
{
    int fixed = 0, leftovers = kz_ui_editor_leftovers(fix, &fixed);

    if (leftovers == 0)
        check(r, "editor files", OK_, "none left in /dev/shm");
    else if (fix && fixed == leftovers)
        check(r, "editor files", OK_, "%d kizuna-edit file(s) left in /dev/shm: shredded",
              fixed);
    else if (fix)
        check(r, "editor files", FAIL_,
              "%d kizuna-edit file(s) left in /dev/shm, %d shredded: the others could not be "
              "removed",
              leftovers, fixed);
    else
        check(r, "editor files", FAIL_,
              "%d kizuna-edit file(s) left in /dev/shm: 'doctor --fix' shreds them", leftovers);
}

/* Closed couples past retention (issue #16): a warning row, only when there
 * are some (it is the therapist's to erase or hold them, not an error). */
static void
check_retention(struct kz_state *st, struct report *r)
{
    json_t *rows = NULL;
    size_t n;
    int years;

    if (kz_retention_due(st, KZ_DATE_ISO, &rows, &years, NULL) != KZ_OK)
        return;
    n = json_array_size(rows);
    json_decref(rows);
    if (n > 0)
        check(r, "retention", WARN_,
              "%zu closed couple%s past retention (%d years after closing): 'retention' "
              "lists them",
              n, n == 1 ? "" : "s", years);
}

static int
cmd_doctor(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"status", "", 0}, {"check", "CHECK", 0}, {"detail", "DETAIL", 0}, {NULL, NULL, 0}};
    struct report r = {json_array(), 0};
    struct kz_last_backup lb = {"", "", ""};
    char *pos[1];
    int rc, npos, fix = 0;
    const struct kz_opt opts[] = {{"fix", 0, 0, NULL, &fix}, {NULL, 0, 0, NULL, NULL}};

    if ((rc = kz_cmd_parse(st, "doctor", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        goto out;
    /* The rows in this order: the table and the tests read them so. */
    check_files(st, &r);
    check_keys(st, &r);
    check_seals(st, &r, &lb);
    check_custodian(st, &r);
    check_backup(&r, &lb, kz_doctor_warn_days(st));
    check_runtime(st, &r);
    check_editor(&r, fix);
    check_retention(st, &r);
    kz_ui_table(&st->ui, r.rows, cols, NULL);
    r.rows = NULL;
    if (r.worst == BAD_)
        rc = kz_fail(err, KZ_EINTEGRITY, "doctor: an integrity check failed");
    else if (r.worst == FAIL_)
        rc = kz_fail(err, KZ_ERR, "doctor: a check failed");
out:
    json_decref(r.rows);
    return rc;
}

static const char *const doctor_opts[] = {"--fix", NULL};

const struct kz_cmd_entry kz_cmd_doctor = {
    "doctor", "[--fix]", "security self-check; exit 4 on an integrity failure, 1 on another",
    "Checks: file and folder permissions, key derivation against the floor and a 1 s target,\n"
    "the recovery slot, SQLite integrity, every record, the audit chain, the backup\n"
    "recipients, days since the last backup, secure_delete, core dumps, swap that is not\n"
    "encrypted (warn), editor leftovers,\n"
    "an opening by custodian shares not yet acknowledged ('custodian acknowledge').\n"
    "Only a backup whose event was written with the key counts: a keyless (unverified)\n"
    "one is named, and leaves the backup check at warn. --fix shreds (zeros, then removes)\n"
    "the editor files a kizuna that was killed left in /dev/shm; those of a kizuna still\n"
    "running are left alone.",
    CMD_NEEDS_KEY, doctor_opts, cmd_doctor};
