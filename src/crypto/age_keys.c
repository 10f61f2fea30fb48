/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * age X25519 keys: generation, the Bech32 "age1..." and "AGE-SECRET-KEY-1..."
 * strings, and identity files as age-keygen writes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"

#define IDFILE_MAX (64 * 1024) /* an identity line is 74 bytes */

static const char identity_hrp[] = "AGE-SECRET-KEY-";
static const char recipient_hrp[] = "age";

static int
has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

void
kz_age_keygen(unsigned char *sk, unsigned char pk[32])
{
    randombytes_buf(sk, 32);
    crypto_scalarmult_base(pk, sk);
}

void
kz_age_identity_public(const unsigned char *sk, unsigned char pk[32])
{
    crypto_scalarmult_base(pk, sk);
}

int
kz_age_recipient_parse(const char *s, unsigned char pk[32], struct kz_err *err)
{
    char hrp[16];
    size_t len = 0;
    int rc;

    if (has_prefix(s, "age1pq1"))
        return kz_fail(err, KZ_EUSAGE,
                       "post-quantum age recipients are not supported");
    if (has_prefix(s, "ssh-"))
        return kz_fail(err, KZ_EUSAGE, "SSH recipients are not supported");
    if (kz_bech32_decode(s, strlen(s), hrp, sizeof(hrp), pk, 32, &len) != 0) {
        rc = kz_fail(err, KZ_EUSAGE,
                     "malformed age recipient (bad character or checksum)");
        goto out;
    }
    if (strcmp(hrp, recipient_hrp) != 0) {
        rc = kz_fail(err, KZ_EUSAGE,
                     "not an age recipient (expected \"age1...\" in lower case)");
        goto out;
    }
    if (len != 32) {
        rc = kz_fail(err, KZ_EUSAGE, "malformed age recipient: wrong key length");
        goto out;
    }
    rc = KZ_OK;

out:
    if (rc != KZ_OK)
        sodium_memzero(pk, 32);
    return rc;
}

int
kz_age_recipient_format(const unsigned char pk[32], char *out, size_t outlen)
{
    if (outlen < KZ_AGE_RECIPIENT_LEN + 1)
        return -1;
    return kz_bech32_encode(out, outlen, recipient_hrp, pk, 32) ==
                   KZ_AGE_RECIPIENT_LEN
               ? 0
               : -1;
}

int
kz_age_identity_parse(const char *s, unsigned char *sk, struct kz_err *err)
{
    char hrp[32];
    size_t len = 0;
    int rc;

    if (has_prefix(s, "AGE-SECRET-KEY-PQ-"))
        return kz_fail(err, KZ_EUSAGE,
                       "post-quantum age identities are not supported");
    if (has_prefix(s, "AGE-PLUGIN-"))
        return kz_fail(err, KZ_EUSAGE, "age plugin identities are not supported");
    if (has_prefix(s, "-----BEGIN"))
        return kz_fail(err, KZ_EUSAGE,
                       "SSH private keys are not supported as age identities");
    if (kz_bech32_decode(s, strlen(s), hrp, sizeof(hrp), sk, 32, &len) != 0) {
        rc = kz_fail(err, KZ_EUSAGE,
                     "malformed age identity (bad character or checksum)");
        goto out;
    }
    if (strcmp(hrp, identity_hrp) != 0) {
        rc = kz_fail(err, KZ_EUSAGE,
                     "not an age identity (expected \"AGE-SECRET-KEY-1...\" in "
                     "upper case)");
        goto out;
    }
    if (len != 32) {
        rc = kz_fail(err, KZ_EUSAGE, "malformed age identity: wrong key length");
        goto out;
    }
    rc = KZ_OK;

out:
    if (rc != KZ_OK)
        sodium_memzero(sk, 32);
    return rc;
}

int
kz_age_identity_format(const unsigned char *sk, char *out, size_t outlen)
{
    if (outlen < KZ_AGE_IDENTITY_LEN + 1)
        return -1;
    if (kz_bech32_encode(out, outlen, identity_hrp, sk, 32) !=
        KZ_AGE_IDENTITY_LEN) {
        sodium_memzero(out, outlen);
        return -1;
    }
    return 0;
}

void
kz_age_identities_free(struct kz_age_identity *ids, size_t n)
{
    size_t i;

    if (ids == NULL)
        return;
    for (i = 0; i < n; i++)
        kz_secure_free(ids[i].sk);
    sodium_memzero(ids, n * sizeof(*ids));
    free(ids);
}

/* Finds the line at buf[*pos..len): *start and *l (without its LF and a CR
 * before it), moving *pos past it. Returns 0, or -1 at the end. */
static int
line_span(const char *buf, size_t len, size_t *pos, size_t *start, size_t *l)
{
    const char *nl;

    if (*pos >= len)
        return -1;
    *start = *pos;
    nl = memchr(buf + *pos, '\n', len - *pos);
    *l = nl != NULL ? (size_t)(nl - (buf + *pos)) : len - *pos;
    *pos += *l + (nl != NULL ? 1 : 0);
    if (*l > 0 && buf[*start + *l - 1] == '\r')
        (*l)--;
    return 0;
}

/* Long (about 85 lines): one pass over the file's lines, each of the
 * format's cases (comment, blank, AGE-SECRET-KEY-1, anything else) handled
 * where it is met, with the secret wiped on every way out. */
int
kz_age_identity_file_read(const char *path, struct kz_age_identity **ids,
                          size_t *n, struct kz_err *err)
{
    struct kz_age_identity *out = NULL;
    struct kz_err lerr;
    struct stat st;
    char *buf = NULL;
    size_t len = 0, pos, start, l, count = 0, lineno, i = 0;
    ssize_t r;
    int fd = -1, rc;

    *ids = NULL;
    *n = 0;
    /* O_NONBLOCK: a FIFO is refused below instead of waiting for a writer
     * (reads of a regular file never block). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        rc = kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR,
                     "cannot open identity file %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = kz_fail(err, KZ_EUSAGE, "identity file %s is not a regular file",
                     path);
        goto out;
    }
    /* One byte more than the limit, plus room for a NUL, so that an
     * oversized file is noticed and the last line can be cut. */
    buf = kz_secure_alloc(IDFILE_MAX + 2);
    for (;;) {
        r = read(fd, buf + len, IDFILE_MAX + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = kz_fail(err, KZ_ERR, "cannot read identity file %s: %s", path,
                         strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > IDFILE_MAX) {
            rc = kz_fail(err, KZ_EUSAGE,
                         "identity file %s is too large (over %d bytes)", path,
                         IDFILE_MAX);
            goto out;
        }
    }
    buf[len] = '\0';

    /* First pass: count key lines; second: cut and parse them in place. */
    for (pos = 0; line_span(buf, len, &pos, &start, &l) == 0;) {
        if (l > 0 && buf[start] != '#')
            count++;
    }
    if (count == 0) {
        rc = kz_fail(err, KZ_EUSAGE, "no identity found in %s", path);
        goto out;
    }
    out = kz_xcalloc(count, sizeof(*out));
    for (pos = 0, lineno = 1; line_span(buf, len, &pos, &start, &l) == 0;
         lineno++) {
        if (l == 0 || buf[start] == '#')
            continue;
        if (memchr(buf + start, '\0', l) != NULL) {
            rc = kz_fail(err, KZ_EUSAGE, "%s, line %zu: unexpected NUL byte",
                         path, lineno);
            goto out;
        }
        buf[start + l] = '\0';
        out[i].sk = kz_secure_alloc(32);
        i++;
        kz_err_clear(&lerr);
        if (kz_age_identity_parse(buf + start, out[i - 1].sk, &lerr) != KZ_OK) {
            rc = kz_fail(err, KZ_EUSAGE, "%s, line %zu: %s", path, lineno,
                         lerr.msg);
            goto out;
        }
    }
    *ids = out;
    *n = count;
    out = NULL;
    rc = KZ_OK;

out:
    kz_age_identities_free(out, i);
    kz_secure_free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}
