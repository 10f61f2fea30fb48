/* SPDX-License-Identifier: GPL-3.0-or-later */
/* init: create the vault, calibrate its key derivation, show the recovery key once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kizuna/kdf.h"
#include "kizuna/secmem.h"
#include "cmds.h"
#include "vaultcmd.h"

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

/* Explicit key-derivation costs (--kdf-memory SIZE, --kdf-iterations N,
 * --kdf-lanes N; NULL when not given) into *kdf, the floor's for those not
 * given; all zero when none is (init calibrates then). KZ_EUSAGE naming a bad
 * one. */
static int
kdf_costs(const char *mem_s, const char *iter_s, const char *lanes_s, struct kz_kdf_params *kdf,
          struct kz_err *err)
{
    memset(kdf, 0, sizeof(*kdf));
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
        kdf->t = (uint32_t)t;
        kdf->m_kib = (uint32_t)m;
        kdf->lanes = (uint32_t)p;
    }
    return KZ_OK;
}

/* What init made: the vault, its key derivation and the recovery key, shown
 * this once. */
static void
say_created(struct kz_state *st, const struct kz_kdf_params *kdf, const char *recovery)
{
    double unlock_s = kz_kdf_seconds(kdf);
    char kdesc[128];

    kz_cmd_kdf_text(kdf, kdesc, sizeof(kdesc));
    if (st->ui.json) {
        kz_ui_object(&st->ui,
                     json_pack("{s:s,s:o,s:s}", "vault", st->vault_path, "kdf",
                               kz_cmd_kdf_json(kdf), "recovery_key", recovery),
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
    char *pass = NULL, *recovery = NULL, *pos[1];
    size_t passlen = 0;
    double target = 1.0;
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
    if ((rc = kdf_costs(mem_s, iter_s, lanes_s, &kdf, err)) != KZ_OK)
        return rc;
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
    say_created(st, &kdf, recovery);
out:
    kz_secure_free(pass);
    kz_secure_free(recovery);
    return rc;
}

static const char *const init_opts[] = {"--kdf-time", "--kdf-memory", "--kdf-iterations",
                                        "--kdf-lanes", NULL};

const struct kz_cmd_entry kz_cmd_init = {
    "init", "[--kdf-time S] [--kdf-memory SIZE] [--kdf-iterations N] [--kdf-lanes N]",
    "create the vault and print its recovery key once",
    "Asks for the new passphrase twice (or takes --passphrase-file/-fd): 12 characters\n"
    "or more and at least 50 bits of guessing (zxcvbn), e.g. four unrelated words. Key derivation\n"
    "is calibrated to --kdf-time seconds (default 1), never below t=3, m=64 MiB, 4 lanes;\n"
    "explicit --kdf-* costs are for tests. At most 4G of memory, 64 iterations, 64 lanes:\n"
    "a vault header asking for more is refused (exit 4). Refuses to overwrite a file.",
    CMD_NO_VAULT, init_opts, cmd_init};
