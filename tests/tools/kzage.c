/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kzage: a test tool (not installed) that drives kizuna's age module from the
 * command line, so the CLI tests can check it against the stock age tool.
 *
 *   kzage -e -r RECIPIENT [-r RECIPIENT ...] [-a]   encrypt stdin to stdout
 *   kzage -e -p [-a]        encrypt with the passphrase in $KZAGE_PASSPHRASE
 *   kzage -d -i IDENTITYFILE [-i ...]               decrypt stdin to stdout
 *   kzage -d -p             decrypt with the passphrase in $KZAGE_PASSPHRASE
 *
 * Exit status as kizuna's (err.h): 0 success, 1 I/O, 2 usage, 3 no identity
 * matched, 4 integrity failure; the kz_err message goes to stderr. On a
 * payload failure the chunks released before it have been written already
 * (as with age): callers must discard the output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/err.h"
#include "kizuna/secmem.h"

#define MAX_ARGS 32

static void
usage(void)
{
    fputs("usage: kzage -e (-r RECIPIENT ... | -p) [-a] < in > out\n"
          "       kzage -d (-i IDENTITYFILE ... | -p) < in > out\n"
          "       (-p reads the passphrase from $KZAGE_PASSPHRASE)\n",
          stderr);
}

static int
encrypt(const char *const *rcpt, size_t nr, const char *pass, int armor, struct kz_err *err)
{
    struct kz_age_recipient r[MAX_ARGS];
    struct kz_age_enc *enc = NULL;
    unsigned char *chunk;
    int out = STDOUT_FILENO, rc;
    size_t i, n = 0;
    ssize_t got;

    memset(r, 0, sizeof(r));
    if (pass != NULL) {
        r[0].scrypt = 1;
        r[0].passphrase = pass;
        r[0].passlen = strlen(pass);
        n = 1;
    } else {
        for (i = 0; i < nr; i++) {
            if ((rc = kz_age_recipient_parse(rcpt[i], r[i].pk, err)) != KZ_OK)
                return rc;
        }
        n = nr;
    }
    if ((rc = kz_age_enc_begin(&enc, r, n, armor, kz_age_fd_write, &out, err)) != KZ_OK)
        return rc;
    chunk = malloc(KZ_AGE_CHUNK);
    if (chunk == NULL) {
        kz_age_enc_abort(enc);
        return kz_fail(err, KZ_ERR, "out of memory");
    }
    for (;;) {
        int in = STDIN_FILENO;
        got = kz_age_fd_read(&in, chunk, KZ_AGE_CHUNK);
        if (got < 0) {
            rc = kz_fail(err, KZ_ERR, "cannot read stdin: %s", strerror(errno));
            kz_age_enc_abort(enc);
            free(chunk);
            return rc;
        }
        if (got == 0)
            break;
        if ((rc = kz_age_enc_update(enc, chunk, (size_t)got, err)) != KZ_OK) {
            kz_age_enc_abort(enc);
            free(chunk);
            return rc;
        }
    }
    free(chunk);
    return kz_age_enc_final(enc, err);
}

static int
sink_out(void *ctx, const void *buf, size_t len)
{
    return kz_age_fd_write(ctx, buf, len);
}

static int
decrypt(const char *const *files, size_t nf, const char *pass, struct kz_err *err)
{
    struct kz_age_identity *all = NULL, *ids, one;
    size_t i, n = 0, k;
    int in = STDIN_FILENO, out = STDOUT_FILENO, rc = KZ_OK, status = 0;

    memset(&one, 0, sizeof(one));
    if (pass != NULL) {
        one.scrypt = 1;
        one.passphrase = pass;
        one.passlen = strlen(pass);
        rc = kz_age_decrypt(kz_age_fd_read, &in, &one, 1, sink_out, &out, &status, err);
        goto done;
    }
    /* Every identity of every file, in order. */
    for (i = 0; i < nf; i++) {
        size_t m = 0;
        struct kz_age_identity *grown;
        if ((rc = kz_age_identity_file_read(files[i], &ids, &m, err)) != KZ_OK)
            goto done;
        grown = realloc(all, (n + m) * sizeof(*all));
        if (grown == NULL) {
            kz_age_identities_free(ids, m);
            rc = kz_fail(err, KZ_ERR, "out of memory");
            goto done;
        }
        all = grown;
        for (k = 0; k < m; k++) {
            all[n + k] = ids[k];
            ids[k].sk = NULL;
        }
        n += m;
        free(ids);
    }
    rc = kz_age_decrypt(kz_age_fd_read, &in, all, n, sink_out, &out, &status, err);
done:
    if (rc != KZ_OK && rc != KZ_EUSAGE && status != KZ_AGE_OK) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        kz_fail(err, rc, "%s: %s", kz_age_status_name(status), msg);
    }
    for (i = 0; i < n; i++)
        kz_secure_free(all[i].sk);
    free(all);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *rcpt[MAX_ARGS], *idf[MAX_ARGS], *pass = NULL;
    size_t nr = 0, ni = 0;
    int mode = 0, armor = 0, usepass = 0, opt, rc;
    struct kz_err err;

    kz_err_clear(&err);
    while ((opt = getopt(argc, argv, "edr:i:ap")) != -1) {
        switch (opt) {
        case 'e':
        case 'd':
            if (mode != 0 && mode != opt) {
                usage();
                return KZ_EUSAGE;
            }
            mode = opt;
            break;
        case 'r':
            if (nr == MAX_ARGS) {
                usage();
                return KZ_EUSAGE;
            }
            rcpt[nr++] = optarg;
            break;
        case 'i':
            if (ni == MAX_ARGS) {
                usage();
                return KZ_EUSAGE;
            }
            idf[ni++] = optarg;
            break;
        case 'a':
            armor = 1;
            break;
        case 'p':
            usepass = 1;
            break;
        default:
            usage();
            return KZ_EUSAGE;
        }
    }
    if (optind != argc || mode == 0 || (mode == 'e' && ni > 0) || (mode == 'd' && nr > 0) ||
        (mode == 'd' && armor) || (usepass && (nr > 0 || ni > 0)) ||
        (!usepass && nr == 0 && ni == 0)) {
        usage();
        return KZ_EUSAGE;
    }
    if (usepass) {
        pass = getenv("KZAGE_PASSPHRASE");
        if (pass == NULL || *pass == '\0') {
            fputs("kzage: -p needs the passphrase in $KZAGE_PASSPHRASE\n", stderr);
            return KZ_EUSAGE;
        }
    }
    if (kz_crypto_init() != 0) {
        fputs("kzage: cannot initialise libsodium\n", stderr);
        return KZ_ERR;
    }
    rc = mode == 'e' ? encrypt(rcpt, nr, pass, armor, &err) : decrypt(idf, ni, pass, &err);
    if (rc != KZ_OK)
        fprintf(stderr, "kzage: %s\n", err.msg[0] != '\0' ? err.msg : "failed");
    return rc;
}
