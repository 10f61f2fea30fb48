/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kzforge: a test tool (not installed) that forges a keyless audit event as
 * anyone who can write a vault file can: it reads the inbox public key from
 * the header, seals the event to it (crypto_box_seal, as kz_vault_audit_pending
 * does) and queues it in audit_pending, without any key or passphrase.
 *
 *   kzforge VAULT JSON      queue JSON (any bytes, not only JSON)
 *   kzforge VAULT -         queue standard input (up to 1 MiB)
 *
 * kizuna folds the event into the chain at the next unlock. Exit status as
 * kizuna's (err.h); the message goes to stderr.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/err.h"
#include "kizuna/secmem.h"
#include "kizuna/store.h"

#define FORGE_MAX (1024 * 1024)

static int
forge(const char *path, const unsigned char *event, size_t len, struct kz_err *err)
{
    struct kz_store *st = NULL;
    unsigned char *pk = NULL, *box = NULL;
    size_t pklen = 0;
    int rc;

    if ((rc = kz_store_open(path, 0, &st, err)) != KZ_OK)
        return rc;
    if ((rc = kz_store_header_get(st, "inbox.pk", &pk, &pklen, err)) != KZ_OK)
        goto out;
    if (pklen != crypto_box_PUBLICKEYBYTES) {
        rc = kz_fail(err, KZ_EINTEGRITY, "inbox.pk is %zu bytes, not %d", pklen,
                     crypto_box_PUBLICKEYBYTES);
        goto out;
    }
    box = malloc(len + crypto_box_SEALBYTES);
    if (box == NULL) {
        rc = kz_fail(err, KZ_ERR, "out of memory");
        goto out;
    }
    crypto_box_seal(box, event, len, pk);
    if ((rc = kz_store_begin(st, err)) != KZ_OK)
        goto out;
    if ((rc = kz_store_pending_add(st, box, len + crypto_box_SEALBYTES, err)) == KZ_OK)
        rc = kz_store_commit(st, err);
    else
        kz_store_rollback(st);
out:
    free(box);
    free(pk);
    kz_store_close(st);
    return rc;
}

int
main(int argc, char **argv)
{
    unsigned char *in = NULL;
    size_t len = 0;
    struct kz_err err;
    int rc;

    kz_err_clear(&err);
    if (argc != 3) {
        fputs("usage: kzforge VAULT JSON | kzforge VAULT - < event\n", stderr);
        return KZ_EUSAGE;
    }
    if (kz_crypto_init() != 0) {
        fputs("kzforge: cannot initialise libsodium\n", stderr);
        return KZ_ERR;
    }
    if (strcmp(argv[2], "-") == 0) {
        size_t n;
        in = malloc(FORGE_MAX + 1);
        if (in == NULL)
            return KZ_ERR;
        while ((n = fread(in + len, 1, FORGE_MAX + 1 - len, stdin)) > 0 && len + n <= FORGE_MAX)
            len += n;
        if (len + n > FORGE_MAX || ferror(stdin)) {
            fputs("kzforge: standard input is over 1 MiB or unreadable\n", stderr);
            free(in);
            return KZ_EUSAGE;
        }
        rc = forge(argv[1], in, len, &err);
        free(in);
    } else {
        rc = forge(argv[1], (const unsigned char *)argv[2], strlen(argv[2]), &err);
    }
    if (rc != KZ_OK)
        fprintf(stderr, "kzforge: %s\n", err.msg);
    return rc;
}
