/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Commands about the vault itself: init, info, unlock, lock, passwd, recovery rotate. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/kdf.h"
#include "kizuna/secmem.h"
#include "cmds.h"

#define NEW_PASS_TRIES 3

static const char *const no_opts[] = {NULL};

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

static json_t *
kdf_json(const struct kz_kdf_params *k)
{
    return json_pack("{s:s,s:i,s:i,s:i}", "algorithm", "argon2id", "iterations", (int)k->t,
                     "memory_kib", (int)k->m_kib, "lanes", (int)k->lanes);
}

static void
kdf_text(const struct kz_kdf_params *k, char *buf, size_t size)
{
    if (k->m_kib % 1024 == 0)
        snprintf(buf, size, "Argon2id, t=%u, m=%u MiB, %u lanes", k->t, k->m_kib / 1024,
                 k->lanes);
    else
        snprintf(buf, size, "Argon2id, t=%u, m=%u KiB, %u lanes", k->t, k->m_kib, k->lanes);
}

/* Creates the folders above path (0700) where missing. */
static int
make_parent_dirs(const char *path, struct kz_err *err)
{
    char *dir = kz_xstrdup(path), *p;
    int rc = KZ_OK;

    for (p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            rc = kz_fail(err, KZ_ERR, "cannot create folder %s: %s", dir, strerror(errno));
            break;
        }
        *p = '/';
    }
    free(dir);
    return rc;
}

static long long
parse_count(const char *s, long long lo, long long hi)
{
    char *end;
    long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    return (errno != 0 || *end != '\0' || v < lo || v > hi) ? -1 : v;
}

static int
cmd_init(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *time_s = NULL, *mem_s = NULL, *iter_s = NULL, *lanes_s = NULL;
    const struct kz_opt opts[] = {
        {"kdf-time", 0, 1, &time_s, NULL},
        {"kdf-memory", 0, 1, &mem_s, NULL},
        {"kdf-iterations", 0, 1, &iter_s, NULL},
        {"kdf-lanes", 0, 1, &lanes_s, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    struct kz_kdf_params kdf;
    struct kz_vault *v = NULL;
    char *pass = NULL, *recovery = NULL, *pos[1], kdesc[128];
    size_t passlen = 0;
    double target = 1.0, unlock_s;
    struct stat sb;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "init", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if (time_s != NULL) {
        char *end;
        target = strtod(time_s, &end);
        if (*end != '\0' || !(target > 0.0 && target <= 60.0))
            return kz_fail(err, KZ_EUSAGE, "init: --kdf-time takes seconds between 0 and 60");
    }
    memset(&kdf, 0, sizeof(kdf));
    if (mem_s != NULL || iter_s != NULL || lanes_s != NULL) {
        long long m = mem_s ? kz_kdf_parse_size(mem_s) : KZ_KDF_FLOOR_M_KIB;
        long long t = iter_s ? parse_count(iter_s, 1, KZ_KDF_MAX_T) : KZ_KDF_FLOOR_T;
        long long p = lanes_s ? parse_count(lanes_s, 1, KZ_KDF_MAX_LANES) : KZ_KDF_FLOOR_LANES;
        if (m < 0 || m > KZ_KDF_MAX_M_KIB)
            return kz_fail(err, KZ_EUSAGE,
                           "init: --kdf-memory takes a size such as 64M or 1G, at most %uG",
                           KZ_KDF_MAX_M_KIB / 1024 / 1024);
        if (t < 0)
            return kz_fail(err, KZ_EUSAGE, "init: --kdf-iterations takes a number from 1 to %u",
                           KZ_KDF_MAX_T);
        if (p < 0)
            return kz_fail(err, KZ_EUSAGE, "init: --kdf-lanes takes a number from 1 to %u",
                           KZ_KDF_MAX_LANES);
        if (m < 8 * p)
            return kz_fail(err, KZ_EUSAGE, "init: --kdf-memory must be at least 8 KiB per lane");
        kdf.t = (uint32_t)t;
        kdf.m_kib = (uint32_t)m;
        kdf.lanes = (uint32_t)p;
    }
    if (lstat(st->vault_path, &sb) == 0)
        return kz_fail(err, KZ_ERR, "%s already exists; refusing to overwrite it",
                       st->vault_path);
    /* The passphrase first: a Ctrl-C or a refused passphrase leaves no folder behind. */
    if ((rc = kz_cmd_new_passphrase(st, NULL, 1, &pass, &passlen, err)) != KZ_OK)
        goto out;
    if ((rc = make_parent_dirs(st->vault_path, err)) != KZ_OK)
        goto out;
    if (kdf.t == 0) {
        kz_ui_say(&st->ui, "Calibrating Argon2id to about %.1f s on this machine...\n", target);
        if ((rc = kz_kdf_calibrate(target, &kdf, err)) != KZ_OK)
            goto out;
    } else if (kz_kdf_below_floor(&kdf)) {
        kz_ui_warn(&st->ui, "key-derivation costs below RFC 9106's floor (t=3, m=64 MiB): "
                            "fine for tests, not for real notes");
    }
    if ((rc = kz_vault_create(st->vault_path, pass, passlen, &kdf, &recovery, &v, err)) != KZ_OK)
        goto out;
    kz_vault_close(st->vault);
    st->vault = v;
    unlock_s = kz_kdf_measure(&kdf);
    kdf_text(&kdf, kdesc, sizeof(kdesc));
    if (st->ui.json) {
        kz_ui_object(&st->ui,
                     json_pack("{s:s,s:o,s:s}", "vault", st->vault_path, "kdf", kdf_json(&kdf),
                               "recovery_key", recovery),
                     NULL);
    } else {
        kz_ui_say(&st->ui,
                  "Created %s\n  key derivation: %s (%.2f s to unlock here)\n\n"
                  "Recovery key. Write it down and keep it apart from this computer: it opens\n"
                  "the vault if the passphrase is lost, and it is shown only this once.\n\n"
                  "    %s\n\n",
                  st->vault_path, kdesc, unlock_s, recovery);
        st->ui.emitted = 1;
    }
out:
    kz_secure_free(pass);
    kz_secure_free(recovery);
    return rc;
}

static int
cmd_info(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_field fields[] = {
        {"vault", "vault"},       {"format", "format"},   {"vault_id", "vault id"},
        {"kdf_text", "key derivation"}, {"slots", "key slots"}, {"records", "records"},
        {"size", "file size"},    {"state", "state"},     {NULL, NULL},
    };
    struct kz_vault_info info;
    char id[2 * KZ_VAULT_ID_BYTES + 1], kdesc[128];
    struct stat sb;
    json_t *doc, *slots;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "info", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = kz_vault_info(st->vault, &info, err)) != KZ_OK)
        return rc;
    kz_hex(info.id, sizeof(info.id), id);
    kdf_text(&info.kdf, kdesc, sizeof(kdesc));
    slots = json_array();
    if (info.passphrase_slot)
        json_array_append_new(slots, json_string("passphrase"));
    if (info.recovery_slot)
        json_array_append_new(slots, json_string("recovery"));
    doc = json_pack("{s:s,s:i,s:s,s:o,s:o,s:I,s:i,s:s}", "vault", st->vault_path, "format",
                    info.format, "vault_id", id, "kdf", kdf_json(&info.kdf), "slots", slots,
                    "records", (json_int_t)info.records, "key_epoch", (int)info.epoch, "state",
                    kz_vault_unlocked(st->vault) ? "unlocked" : "locked");
    if (stat(st->vault_path, &sb) == 0)
        json_object_set_new(doc, "size", json_integer((json_int_t)sb.st_size));
    if (!st->ui.json)
        json_object_set_new(doc, "kdf_text", json_string(kdesc));
    kz_ui_object(&st->ui, doc, fields);
    return KZ_OK;
}

static int
cmd_unlock(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int npos, rc, recovery = 0;
    const struct kz_opt opts[] = {{"recovery", 0, 0, NULL, &recovery}, {NULL, 0, 0, NULL, NULL}};
    char *pos[1];

    if ((rc = kz_cmd_parse(st, "unlock", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    /* The unlock itself happens here (the entry does not ask for the key
     * first), so that --recovery is known before anything is asked. */
    st->want_recovery = recovery;
    rc = kz_state_unlock(st, err);
    st->want_recovery = 0;
    if (rc != KZ_OK)
        return rc;
    st->locked_by_idle = 0;
    kz_ui_done(&st->ui, json_pack("{s:s}", "state", "unlocked"), "vault unlocked");
    return KZ_OK;
}

static int
cmd_lock(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1];
    int npos, rc;

    if ((rc = kz_cmd_parse(st, "lock", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    kz_state_lock(st, "manual");
    kz_ui_done(&st->ui, json_pack("{s:s}", "state", "locked"),
               "vault locked: keys wiped from memory");
    return KZ_OK;
}

/* The current passphrase again (rekey, recovery rotate, passwd --rekey): the
 * passphrase slot is wrapped again under the new master key. */
static int
pass_again(struct kz_state *st, const char *cmd, char **pass, size_t *len, struct kz_err *err)
{
    if (st->passphrase_file != NULL)
        return kz_ui_read_secret_file(st->passphrase_file, pass, len, err);
    if (st->passphrase_fd >= 0)
        return kz_fail(err, KZ_EUSAGE, "%s reads the passphrase again: use --passphrase-file",
                       cmd);
    if (st->interactive || kz_ui_have_terminal())
        return kz_ui_read_secret_tty("Current passphrase again, to wrap the new key: ", pass,
                                     len, err);
    return kz_fail(err, KZ_EAUTH, "%s needs the passphrase (--passphrase-file)", cmd);
}

static void
rekey_progress(void *ctx, unsigned long long done, unsigned long long total)
{
    kz_ui_progress(ctx, "rekey", done, total);
}

/* A new master key (kz_vault_rekey), with a new passphrase when newpass is
 * given; says what was revoked and shows the new recovery key once. */
static int
rekey_and_say(struct kz_state *st, const char *cmd, const char *newpass, size_t newlen,
              int progress, const char *revoked, struct kz_err *err)
{
    char *pass = NULL, *recovery = NULL;
    size_t len = 0;
    int rc;

    if ((rc = pass_again(st, cmd, &pass, &len, err)) != KZ_OK)
        return rc;
    rc = kz_vault_rekey(st->vault, pass, len, newpass, newlen, &recovery,
                        (progress || kz_ui_have_terminal()) ? rekey_progress : NULL, &st->ui, err);
    kz_secure_free(pass);
    if (rc != KZ_OK)
        return rc;
    if (st->ui.json) {
        kz_ui_object(&st->ui,
                     json_pack("{s:b,s:s,s:s}", "rekeyed", 1, "revoked", revoked,
                               "recovery_key", recovery),
                     NULL);
    } else {
        kz_ui_say(&st->ui,
                  "New master key: every record is sealed under it, and the audit trail goes\n"
                  "on under it. %s\nThe new recovery key, shown only this once:\n\n    %s\n\n",
                  revoked, recovery);
        st->ui.emitted = 1;
    }
    kz_secure_free(recovery);
    return KZ_OK;
}

static int
cmd_passwd(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *file = NULL;
    int rekey = 0;
    const struct kz_opt opts[] = {
        {"new-passphrase-file", 0, 1, &file, NULL},
        {"rekey", 0, 0, NULL, &rekey},
        {NULL, 0, 0, NULL, NULL},
    };
    char *pass = NULL, *pos[1];
    size_t len = 0;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "passwd", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    /* --passphrase-file/-fd carried the current passphrase; the new one comes
     * from --new-passphrase-file or the terminal. */
    if ((rc = kz_cmd_new_passphrase(st, file, 0, &pass, &len, err)) != KZ_OK)
        return rc;
    if (rekey) {
        rc = rekey_and_say(st, "passwd --rekey", pass, len, 0,
                           "The old passphrase and the old recovery key no longer open this "
                           "vault,\nand nothing written from now on opens with the old master "
                           "key.",
                           err);
        goto out;
    }
    if ((rc = kz_vault_set_passphrase(st->vault, pass, len, NULL, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, NULL, "passphrase changed (the recovery key still works)");
out:
    kz_secure_free(pass);
    return rc;
}

static int
cmd_recovery_rotate(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "recovery rotate", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    return rekey_and_say(st, "recovery rotate", NULL, 0, 0,
                         "The old recovery key no longer opens this vault, and nothing\n"
                         "written from now on opens with the master key it unwrapped.",
                         err);
}

static int
cmd_rekey(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int progress = 0, rc, npos;
    const struct kz_opt opts[] = {{"progress", 0, 0, NULL, &progress}, {NULL, 0, 0, NULL, NULL}};
    char *pos[1];

    if ((rc = kz_cmd_parse(st, "rekey", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    return rekey_and_say(st, "rekey", NULL, 0, progress,
                         "The old recovery key no longer opens this vault.", err);
}

static const char *const rekey_opts[] = {"--progress", NULL};

const struct kz_cmd_entry kz_cmd_rekey = {
    "rekey", "[--progress]", "rotate the master key: re-seal every record under a new key",
    "One transaction: a crash midway leaves the old vault whole. The passphrase is asked\n"
    "again (or read from --passphrase-file) and a new recovery key is printed once. The\n"
    "audit trail keeps its entries: a head saved before a rekey still verifies.",
    CMD_NEEDS_KEY, rekey_opts, cmd_rekey};

static const char *const init_opts[] = {"--kdf-time", "--kdf-memory", "--kdf-iterations",
                                        "--kdf-lanes", NULL};
static const char *const passwd_opts[] = {"--new-passphrase-file", "--rekey", NULL};

const struct kz_cmd_entry kz_cmd_init = {
    "init", "[--kdf-time S] [--kdf-memory SIZE] [--kdf-iterations N] [--kdf-lanes N]",
    "create the vault and print its recovery key once",
    "Asks for the new passphrase twice (or takes --passphrase-file/-fd): 12 characters\n"
    "or more and at least 50 bits of guessing (zxcvbn), e.g. four unrelated words. Key derivation\n"
    "is calibrated to --kdf-time seconds (default 1), never below t=3, m=64 MiB, 4 lanes;\n"
    "explicit --kdf-* costs are for tests. At most 4G of memory, 64 iterations, 64 lanes:\n"
    "a vault header asking for more is refused (exit 4). Refuses to overwrite a file.",
    CMD_NO_VAULT, init_opts, cmd_init};
const struct kz_cmd_entry kz_cmd_info = {
    "info", "", "header facts: format, key derivation, slots, record count (no passphrase)",
    NULL, 0, no_opts, cmd_info};
static const char *const unlock_opts[] = {"--recovery", NULL};

const struct kz_cmd_entry kz_cmd_unlock = {
    "unlock", "[--recovery]", "ask for the passphrase (or the recovery key) and unlock",
    "On a terminal, Enter alone at the passphrase prompt asks for the recovery key\n"
    "instead; --recovery asks for it at once (no echo). After an unlock with the\n"
    "recovery key kizuna offers to set a new passphrase ('passwd'). Scripts give\n"
    "--passphrase-file, --passphrase-fd or --recovery-key-file.",
    0, unlock_opts, cmd_unlock};
const struct kz_cmd_entry kz_cmd_lock = {
    "lock", "", "wipe the keys from memory", NULL, 0, no_opts, cmd_lock};
const struct kz_cmd_entry kz_cmd_passwd = {
    "passwd", "[--new-passphrase-file FILE] [--rekey]",
    "change the passphrase (rewraps its key slot)",
    "The current passphrase unlocks; the new one is asked twice on a terminal or read from\n"
    "FILE. The master key, the records and the recovery key stay as they are, unless\n"
    "--rekey (a passphrase someone else may know): then a new master key as 'rekey' makes,\n"
    "the current passphrase asked again, and a new recovery key printed once.",
    CMD_NEEDS_KEY, passwd_opts, cmd_passwd};
const struct kz_cmd_entry kz_cmd_recovery_rotate = {
    "recovery rotate", "", "make a new recovery key and retire the old one (a new master key)",
    "A new master key as 'rekey' makes, so that the old recovery key opens nothing written\n"
    "afterwards, even with an old copy of its key slot. Asks for the passphrase again.",
    CMD_NEEDS_KEY, no_opts, cmd_recovery_rotate};
