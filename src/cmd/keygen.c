/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keygen: an age identity for backups, as age-keygen makes. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/cleanup.h"
#include "kizuna/secmem.h"
#include "cmds.h"

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

static const char *const keygen_opts[] = {"--output", NULL};

const struct kz_cmd_entry kz_cmd_keygen = {
    "keygen", "[-o FILE]", "make an age identity for backups (as age-keygen does)",
    "Writes the identity (0600, refusing to overwrite) and prints its recipient, which\n"
    "'recipients add' takes. Keep the identity off this computer: it opens every backup.",
    CMD_NO_VAULT, keygen_opts, cmd_keygen};
