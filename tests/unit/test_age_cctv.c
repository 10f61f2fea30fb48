/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Runs every CCTV age test vector (testkit/age-cctv, README.md there) through
 * kz_age_decrypt: the failure class and the SHA-256 of the plaintext released
 * must match the vector. Each vector is decrypted twice, once fed in one
 * block and once in small odd-sized reads. The testkit folder comes from
 * $KZ_TESTKIT, by default ../shared/testkit (tests run from the repo root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#define ZLIB_CONST
#include <zlib.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"

#define MAX_IDS 16

struct vector {
    char expect[32];
    int has_payload;
    unsigned char payload[32];
    int compressed;
    struct kz_age_identity ids[MAX_IDS];
    size_t nids;
    size_t unsupported;
    unsigned char *data;
    size_t len;
};

struct mem_reader {
    const unsigned char *p;
    size_t len, pos;
    size_t step; /* 0: as much as asked */
    unsigned long calls;
};

struct hash_sink {
    crypto_hash_sha256_state st;
    size_t total;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
    struct mem_reader *m = ctx;
    size_t n = m->len - m->pos;

    if (n > len)
        n = len;
    if (m->step != 0) {
        /* Odd, varying read sizes: 1 .. step. */
        size_t s = 1 + (m->calls * 7919) % m->step;
        if (n > s)
            n = s;
    }
    m->calls++;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

static int
hash_write(void *ctx, const void *buf, size_t len)
{
    struct hash_sink *h = ctx;

    crypto_hash_sha256_update(&h->st, buf, len);
    h->total += len;
    return 0;
}

static int
hex_decode(const char *s, unsigned char *out, size_t outlen)
{
    size_t n = 0;

    if (sodium_hex2bin(out, outlen, s, strlen(s), NULL, &n, NULL) != 0 ||
        n != outlen)
        return -1;
    return 0;
}

/* Inflates a zlib stream into a fresh buffer. Returns 0, or -1. */
static int
inflate_all(const unsigned char *in, size_t inlen, unsigned char **out,
            size_t *outlen)
{
    z_stream z;
    size_t cap = inlen * 4 + 1024;
    unsigned char *buf = kz_xmalloc(cap);
    int r;

    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) {
        free(buf);
        return -1;
    }
    z.next_in = in;
    z.avail_in = (uInt)inlen;
    for (;;) {
        if (z.total_out == cap) {
            cap *= 2;
            buf = kz_xrealloc(buf, cap);
        }
        z.next_out = buf + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        r = inflate(&z, Z_NO_FLUSH);
        if (r == Z_STREAM_END)
            break;
        if (r != Z_OK && r != Z_BUF_ERROR) {
            inflateEnd(&z);
            free(buf);
            return -1;
        }
        if (r == Z_BUF_ERROR && z.avail_in == 0 && z.avail_out != 0) {
            inflateEnd(&z);
            free(buf);
            return -1;
        }
    }
    *outlen = z.total_out;
    *out = buf;
    inflateEnd(&z);
    return 0;
}

static void
vector_free(struct vector *v)
{
    size_t i;

    for (i = 0; i < v->nids; i++)
        kz_secure_free(v->ids[i].sk);
    free(v->data);
    memset(v, 0, sizeof(*v));
}

/* Reads and parses one vector file; the passphrases point into *raw.
 * Returns 0, or -1 with a reason in why. */
static int
vector_load(const char *path, struct vector *v, unsigned char **raw,
            char *why, size_t whylen)
{
    struct kz_err err;
    FILE *f;
    long size;
    unsigned char *buf;
    char *line, *nl, *val;
    size_t pos = 0;

    memset(v, 0, sizeof(*v));
    *raw = NULL;
    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        if (f != NULL)
            fclose(f);
        snprintf(why, whylen, "cannot read");
        return -1;
    }
    buf = kz_xmalloc((size_t)size + 1);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(buf);
        snprintf(why, whylen, "short read");
        return -1;
    }
    fclose(f);
    buf[size] = '\0';
    *raw = buf;

    for (;;) {
        line = (char *)buf + pos;
        nl = memchr(line, '\n', (size_t)size - pos);
        if (nl == NULL) {
            snprintf(why, whylen, "no blank line after the headers");
            return -1;
        }
        *nl = '\0';
        pos = (size_t)(nl - (char *)buf) + 1;
        if (line[0] == '\0')
            break;
        val = strstr(line, ": ");
        if (val == NULL) {
            snprintf(why, whylen, "bad header line");
            return -1;
        }
        *val = '\0';
        val += 2;
        if (strcmp(line, "expect") == 0) {
            snprintf(v->expect, sizeof(v->expect), "%s", val);
        } else if (strcmp(line, "payload") == 0) {
            if (hex_decode(val, v->payload, 32) != 0) {
                snprintf(why, whylen, "bad payload hash");
                return -1;
            }
            v->has_payload = 1;
        } else if (strcmp(line, "compressed") == 0) {
            v->compressed = strcmp(val, "zlib") == 0;
        } else if (strcmp(line, "identity") == 0) {
            if (strncmp(val, "AGE-SECRET-KEY-1", 16) != 0) {
                v->unsupported++; /* post-quantum or unknown */
                continue;
            }
            if (v->nids == MAX_IDS) {
                snprintf(why, whylen, "too many identities");
                return -1;
            }
            v->ids[v->nids].sk = kz_secure_alloc(32);
            v->nids++;
            if (kz_age_identity_parse(val, v->ids[v->nids - 1].sk, &err) !=
                KZ_OK) {
                snprintf(why, whylen, "identity does not parse: %s", err.msg);
                return -1;
            }
        } else if (strcmp(line, "passphrase") == 0) {
            if (v->nids == MAX_IDS) {
                snprintf(why, whylen, "too many identities");
                return -1;
            }
            v->ids[v->nids].scrypt = 1;
            v->ids[v->nids].passphrase = val;
            v->ids[v->nids].passlen = strlen(val);
            v->nids++;
        }
        /* file key, armored, comment: not needed */
    }
    if (v->expect[0] == '\0') {
        snprintf(why, whylen, "no expect: line");
        return -1;
    }
    if (v->compressed) {
        if (inflate_all(buf + pos, (size_t)size - pos, &v->data, &v->len) !=
            0) {
            snprintf(why, whylen, "cannot inflate");
            return -1;
        }
    } else {
        v->len = (size_t)size - pos;
        v->data = kz_xmalloc(v->len);
        memcpy(v->data, buf + pos, v->len);
    }
    return 0;
}

/* Decrypts v; returns 0 if the outcome matches, else -1 with why. */
static int
vector_check(const struct vector *v, size_t step, char *why, size_t whylen)
{
    struct mem_reader m = { v->data, v->len, 0, step, 0 };
    struct hash_sink h;
    struct kz_err err;
    unsigned char hash[32];
    char hex[65], want[65];
    const char *got;
    int status = -1, rc, want_rc;

    crypto_hash_sha256_init(&h.st);
    h.total = 0;
    kz_err_clear(&err);
    rc = kz_age_decrypt(mem_read, &m, v->ids, v->nids, hash_write, &h,
                        &status, &err);
    crypto_hash_sha256_final(&h.st, hash);
    got = kz_age_status_name(status);
    if (strcmp(got, v->expect) != 0) {
        snprintf(why, whylen, "expected %s, got %s (%s)", v->expect, got,
                 err.msg);
        return -1;
    }
    want_rc = status == KZ_AGE_OK         ? KZ_OK
              : status == KZ_AGE_NO_MATCH ? KZ_EAUTH
                                          : KZ_EINTEGRITY;
    if (rc != want_rc || (rc != KZ_OK && (err.code != rc || err.msg[0] == '\0' ||
                                          strchr(err.msg, '\n') != NULL))) {
        snprintf(why, whylen, "%s: return code %d, error %d \"%s\"", got, rc,
                 err.code, err.msg);
        return -1;
    }
    if (v->has_payload && memcmp(hash, v->payload, 32) != 0) {
        sodium_bin2hex(hex, sizeof(hex), hash, 32);
        sodium_bin2hex(want, sizeof(want), v->payload, 32);
        snprintf(why, whylen, "%s as expected, but released plaintext "
                 "(%zu bytes) hashes to %s, expected %s", got, h.total, hex,
                 want);
        return -1;
    }
    if ((status == KZ_AGE_HEADER || status == KZ_AGE_NO_MATCH ||
         status == KZ_AGE_HMAC) && h.total != 0) {
        snprintf(why, whylen, "%s, but %zu bytes were released", got, h.total);
        return -1;
    }
    return 0;
}

static void
test_cctv(void **state)
{
    const char *base = getenv("KZ_TESTKIT");
    struct dirent **names = NULL;
    struct vector v;
    struct stat sb;
    unsigned char *raw;
    char dir[4096], path[4096 + 256], why[1024];
    int n, i, ran = 0, passed = 0, skipped = 0, bad;

    (void)state;
    if (base == NULL || base[0] == '\0')
        base = "../shared/testkit";
    snprintf(dir, sizeof(dir), "%s/age-cctv", base);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        snprintf(dir, sizeof(dir), "%s", base);
    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "age-cctv: cannot open %s\n", dir);
        fail();
    }
    for (i = 0; i < n; i++) {
        const char *name = names[i]->d_name;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (name[0] == '.' || strncmp(name, "README", 6) == 0 ||
            stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(names[i]);
            continue;
        }
        bad = 0;
        if (vector_load(path, &v, &raw, why, sizeof(why)) != 0) {
            bad = 1;
        } else if (v.nids == 0 && v.unsupported > 0) {
            /* Only post-quantum or unknown identities. */
            skipped++;
            vector_free(&v);
            free(raw);
            free(names[i]);
            continue;
        } else if (vector_check(&v, 0, why, sizeof(why)) != 0 ||
                   vector_check(&v, 5000, why, sizeof(why)) != 0) {
            bad = 1;
        }
        ran++;
        if (bad)
            printf("age-cctv: MISMATCH %s: %s\n", name, why);
        else
            passed++;
        vector_free(&v);
        free(raw);
        free(names[i]);
    }
    free(names);
    printf("age-cctv: %d ran, %d passed, %d skipped\n", ran, passed, skipped);
    fflush(stdout);
    assert_true(ran > 0);
    assert_int_equal(ran, passed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cctv),
    };

    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
