/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_keys: the age key strings and identity files. The input goes, as a
 * string, to kz_age_recipient_parse and kz_age_identity_parse; as bytes to
 * kz_bech32_decode (with a few output sizes); and as a whole file to
 * kz_age_identity_file_read (a memfd, opened through /proc/self/fd). Invariants:
 *   - a parsed recipient or identity formats back to exactly the input;
 *   - a decoded Bech32 string encodes back to the input (ignoring case);
 *   - an error about an identity never quotes the would-be key;
 *   - an identity file read has at least one key, each one 32 bytes that
 *     format to a valid identity.
 * The first line also goes to kz_ui_check_passphrase, the strength check
 * init, passwd and backup create --passphrase make (zxcvbn, then
 * libpwquality and cracklib): accepted, or refused with exit 2's code and one
 * line of kizuna's own words. (Freeing libpwquality's auxiliary error made
 * it abort on passphrases cracklib refuses: corpus/keys/crash-pwquality-aux.)
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"
#include "fuzz_util.h"

static unsigned char *sk; /* secure memory, as the callers use it */
static char *idtext;      /* secure: formatted identity */
static int memfd = -1;
static char idpath[4200];

/* A line that looks like an identity: its text must never be quoted. */
static int
would_be_key(const char *s, size_t len)
{
    return len > 20 && strncasecmp(s, "AGE-SECRET-KEY-", 15) == 0;
}

/* No line of the input that looks like a key appears in msg. */
static int
quotes_no_key(const uint8_t *data, size_t size, const char *msg)
{
    size_t i = 0, start, len;

    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        start = i;
        len = (nl != NULL ? (size_t)(nl - data) : size) - i;
        i += len + 1;
        if (len > 0 && data[start + len - 1] == '\r')
            len--;
        if (would_be_key((const char *)data + start, len) &&
            memmem(msg, strlen(msg), data + start, len) != NULL)
            return 0;
    }
    return 1;
}

static void
strings(const char *s)
{
    unsigned char pk[32];
    char out[KZ_AGE_IDENTITY_LEN + 1];
    struct kz_err err;

    kz_err_clear(&err);
    if (kz_age_recipient_parse(s, pk, &err) == KZ_OK) {
        KZF_CHECK(kz_age_recipient_format(pk, out, sizeof(out)) == 0);
        KZF_CHECK(strcmp(out, s) == 0);
    } else {
        KZF_CHECK(err.code == KZ_EUSAGE && err.msg[0] != '\0');
    }
    kz_err_clear(&err);
    if (kz_age_identity_parse(s, sk, &err) == KZ_OK) {
        KZF_CHECK(kz_age_identity_format(sk, idtext, KZ_AGE_IDENTITY_LEN + 1) == 0);
        KZF_CHECK(strcmp(idtext, s) == 0);
    } else {
        KZF_CHECK(err.code == KZ_EUSAGE && err.msg[0] != '\0');
        KZF_CHECK(!would_be_key(s, strlen(s)) || strstr(err.msg, s) == NULL);
    }
}

static void
bech32(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {0, 1, 20, 32, 33, 90, 1024};
    char hrp[100], *again;
    unsigned char out[1024];
    size_t len = 0, i;

    for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        size_t hcap = 1 + (size > 0 ? data[0] % sizeof(hrp) : 0);
        if (kz_bech32_decode((const char *)data, size, hrp, i % 2 ? hcap : sizeof(hrp), out,
                             caps[i], &len) != 0) {
            KZF_CHECK(len == 0);
            continue;
        }
        KZF_CHECK(len <= caps[i] && strlen(hrp) < sizeof(hrp));
        again = kz_xmalloc(size + 2);
        KZF_CHECK(kz_bech32_encode(again, size + 1, hrp, out, len) == (int)size);
        KZF_CHECK(strncasecmp(again, (const char *)data, size) == 0);
        /* One byte too small must fail. */
        KZF_CHECK(kz_bech32_encode(again, size, hrp, out, len) == -1);
        free(again);
    }
}

static void
identity_file(const uint8_t *data, size_t size)
{
    struct kz_age_identity *ids = NULL;
    struct kz_err err;
    char check[KZ_AGE_IDENTITY_LEN + 1];
    size_t n = 0, i;
    int rc;

    KZF_CHECK(ftruncate(memfd, 0) == 0);
    KZF_CHECK(size == 0 || pwrite(memfd, data, size, 0) == (ssize_t)size);
    kz_err_clear(&err);
    rc = kz_age_identity_file_read(idpath, &ids, &n, &err);
    if (rc != KZ_OK) {
        KZF_CHECK(ids == NULL && n == 0 && err.msg[0] != '\0');
        KZF_CHECK(quotes_no_key(data, size, err.msg));
        return;
    }
    KZF_CHECK(n >= 1 && ids != NULL);
    for (i = 0; i < n; i++) {
        KZF_CHECK(!ids[i].scrypt && ids[i].sk != NULL);
        KZF_CHECK(kz_age_identity_format(ids[i].sk, check, sizeof(check)) == 0);
        KZF_CHECK(memmem(data, size, check, KZ_AGE_IDENTITY_LEN) != NULL);
    }
    sodium_memzero(check, sizeof(check));
    kz_age_identities_free(ids, n);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kzf_init();
    sk = kz_secure_alloc(32);
    idtext = kz_secure_alloc(KZ_AGE_IDENTITY_LEN + 1);
    memfd = memfd_create("kz-fuzz-identity", MFD_CLOEXEC);
    if (memfd < 0)
        kzf_fail(__FILE__, __LINE__, "memfd_create failed");
    snprintf(idpath, sizeof(idpath), "/proc/self/fd/%d", memfd);
    if (access(idpath, R_OK) != 0) {
        /* No /proc: a file in the scratch folder, rewritten through the fd. */
        char *p = kzf_path("identity.txt");
        close(memfd);
        kzf_write(p, "", 0);
        memfd = open(p, O_RDWR | O_CLOEXEC);
        snprintf(idpath, sizeof(idpath), "%s", p);
        free(p);
        if (memfd < 0)
            kzf_fail(__FILE__, __LINE__, "cannot open the identity file");
    }
    return 0;
}

/* The strength check on the first line of s as a passphrase. */
static void
passphrase(const char *s)
{
    size_t len = strcspn(s, "\r\n");
    char *p = kzf_strndup((const uint8_t *)s, len);
    struct kz_err err;
    int rc;

    if (len > 1024) { /* a passphrase file's line; cracklib's cost grows with it */
        free(p);
        return;
    }
    kz_err_clear(&err);
    rc = kz_ui_check_passphrase(p, &err);
    KZF_CHECK(rc == KZ_OK || rc == KZ_EUSAGE);
    if (rc != KZ_OK) {
        /* kizuna's own words, one line (they never quote the passphrase) */
        KZF_CHECK(strncmp(err.msg, "passphrase too ", 15) == 0 && strchr(err.msg, '\n') == NULL);
    }
    free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = kzf_strndup(data, size), *line, *save = NULL;

    passphrase(s);
    strings(s);
    /* Every line on its own, as identity files and recipient lists hold them. */
    if (memchr(s, '\n', strlen(s)) != NULL) {
        for (line = strtok_r(s, "\r\n", &save); line != NULL; line = strtok_r(NULL, "\r\n", &save))
            strings(line);
    }
    free(s);
    bech32(data, size);
    identity_file(data, size);
    return 0;
}
