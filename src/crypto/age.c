/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * age v1 (age-encryption.org/v1) on libsodium 1.0.18: the header with X25519
 * and scrypt stanzas and its HMAC, the STREAM payload (64 KiB
 * ChaCha20-Poly1305 chunks) and the ASCII armor, all streaming in constant
 * memory. Parsing follows the reference implementation and the CCTV test
 * vectors (shared/AGE-NOTES.md).
 */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/secmem.h"

#define INTRO "age-encryption.org/v1"
#define INTRO_VERSIONLESS "age-encryption.org/"
#define ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END "-----END AGE ENCRYPTED FILE-----"

#define CHUNK KZ_AGE_CHUNK
#define TAG crypto_aead_chacha20poly1305_ietf_ABYTES
#define ENC_CHUNK (CHUNK + TAG)
#define COLS 64            /* base64 columns per line, header and armor */
#define LINE_BYTES 48      /* bytes per full base64 line */
#define MAX_HEADER (1024 * 1024)
#define MAX_WHITESPACE 1024
#define ARMOR_LINE_MAX 1024
#define RAW_BUF 16384
#define ARMOR_OUT 65536

#define RD_ERR (-1)
#define RD_EOF (-2)

static const char x25519_label[] = "age-encryption.org/v1/X25519";
static const char scrypt_label[] = "age-encryption.org/v1/scrypt";
static const unsigned char zero_nonce[12];

/* Every secret of one file, in one sodium_malloc'd block. */
struct secrets {
    unsigned char file_key[16];
    unsigned char mac_key[32];
    unsigned char payload_key[32];
    unsigned char shared[32];
    unsigned char wrap[32];
    unsigned char eph[32];
};

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */
/* ------------------------------------------------------------------ */

const char *
kz_age_status_name(int status)
{
    switch (status) {
    case KZ_AGE_OK: return "success";
    case KZ_AGE_HEADER: return "header failure";
    case KZ_AGE_ARMOR: return "armor failure";
    case KZ_AGE_PAYLOAD: return "payload failure";
    case KZ_AGE_NO_MATCH: return "no match";
    case KZ_AGE_HMAC: return "HMAC failure";
    case KZ_AGE_IO: return "I/O failure";
    case KZ_AGE_USAGE: return "usage error";
    case KZ_AGE_LIMIT: return "work factor above the limit";
    default: return "unknown";
    }
}

/* The kz error code of a failure class. */
static int
status_code(int status)
{
    switch (status) {
    case KZ_AGE_OK: return KZ_OK;
    case KZ_AGE_NO_MATCH: return KZ_EAUTH;
    case KZ_AGE_IO:
    case KZ_AGE_LIMIT: return KZ_ERR;
    case KZ_AGE_USAGE: return KZ_EUSAGE;
    default: return KZ_EINTEGRITY;
    }
}

/*
 * HKDF-SHA-256 with a one-block (32-byte) output: PRK = HMAC(salt, ikm),
 * OKM = HMAC(PRK, info || 0x01). Wipes its intermediate state.
 */
static void
hkdf_sha256(unsigned char out[32], const unsigned char *ikm, size_t ikmlen,
            const unsigned char *salt, size_t saltlen, const char *info)
{
    static const unsigned char one = 1;
    crypto_auth_hmacsha256_state st;
    unsigned char prk[32];

    if (salt == NULL)
        salt = (const unsigned char *)"";
    crypto_auth_hmacsha256_init(&st, salt, saltlen);
    crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
    crypto_auth_hmacsha256_final(&st, prk);
    crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)info,
                                  strlen(info));
    crypto_auth_hmacsha256_update(&st, &one, 1);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
    sodium_memzero(prk, sizeof(prk));
}

/* HMAC-SHA-256 of the header bytes under HKDF(file key, "", "header"). */
static void
header_mac(struct secrets *sec, const void *hdr, size_t len,
           unsigned char mac[32])
{
    crypto_auth_hmacsha256_state st;

    hkdf_sha256(sec->mac_key, sec->file_key, sizeof(sec->file_key), NULL, 0,
                "header");
    crypto_auth_hmacsha256_init(&st, sec->mac_key, sizeof(sec->mac_key));
    crypto_auth_hmacsha256_update(&st, hdr, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof(st));
    sodium_memzero(sec->mac_key, sizeof(sec->mac_key));
}

/*
 * Decodes exactly the len characters of s as base64 of the given libsodium
 * variant into at most cap bytes. libsodium rejects non-zero trailing bits;
 * requiring the whole string to be consumed rejects padding, CR, spaces.
 * Returns 0, or -1.
 */
static int
b64_decode(const char *s, size_t len, unsigned char *out, size_t cap,
           size_t *outlen, int variant)
{
    const char *end = NULL;

    *outlen = 0;
    if (sodium_base642bin(out, cap, s, len, NULL, outlen, &end, variant) != 0)
        return -1;
    if (end != s + len) {
        *outlen = 0;
        return -1;
    }
    return 0;
}

/* Payload chunk nonce: 11-byte big-endian counter, then the last-chunk flag. */
static void
chunk_nonce(unsigned char nonce[12], uint64_t counter, int last)
{
    int i;

    memset(nonce, 0, 12);
    for (i = 0; i < 8; i++)
        nonce[10 - i] = (unsigned char)(counter >> (8 * i));
    nonce[11] = last ? 1 : 0;
}

/* scrypt wrap key: scrypt(passphrase, label || salt, 2^logn, 8, 1). */
static int
scrypt_wrap(unsigned char wrap[32], const char *pass, size_t passlen,
            const unsigned char salt[16], int logn)
{
    unsigned char s[sizeof(scrypt_label) - 1 + 16];

    memcpy(s, scrypt_label, sizeof(scrypt_label) - 1);
    memcpy(s + sizeof(scrypt_label) - 1, salt, 16);
    if (pass == NULL)
        pass = "";
    return crypto_pwhash_scryptsalsa208sha256_ll(
        (const uint8_t *)pass, passlen, s, sizeof(s), (uint64_t)1 << logn, 8,
        1, wrap, 32);
}

ssize_t
kz_age_fd_read(void *ctx, void *buf, size_t len)
{
    int fd = *(int *)ctx;
    ssize_t r;

    do {
        r = read(fd, buf, len);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -1 : r;
}

int
kz_age_fd_write(void *ctx, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    int fd = *(int *)ctx;
    ssize_t w;

    while (len > 0) {
        w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

struct kz_age_enc {
    int (*write)(void *ctx, const void *buf, size_t len);
    void *wctx;
    int armor;
    int failed;
    unsigned char *pt;     /* secure: plaintext of the pending chunk */
    size_t ptlen;
    unsigned char *ct;     /* one encrypted chunk */
    unsigned char *key;    /* secure: payload key */
    uint64_t counter;
    unsigned char a_in[LINE_BYTES]; /* armor: bytes waiting for a full line */
    size_t a_inlen;
    char a_out[ARMOR_OUT]; /* armor: text waiting to be written */
    size_t a_outlen;
};

/* Growable text buffer for the header (public data only). */
struct sbuf {
    char *p;
    size_t len, cap;
};

static void
sb_add(struct sbuf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        while (b->len + len > b->cap)
            b->cap = b->cap == 0 ? 512 : b->cap * 2;
        b->p = kz_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void
sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* Appends the unpadded base64 of data (at most 48 bytes: one line). */
static void
sb_b64(struct sbuf *b, const unsigned char *data, size_t len)
{
    char line[COLS + 1];

    sodium_bin2base64(line, sizeof(line), data, len,
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    sb_str(b, line);
}

static int
enc_write_fail(struct kz_age_enc *e, struct kz_err *err, int saved_errno)
{
    e->failed = 1;
    return kz_fail(err, KZ_ERR, "cannot write the encrypted file: %s",
                   saved_errno != 0 ? strerror(saved_errno) : "write error");
}

static int
enc_raw_write(struct kz_age_enc *e, const void *buf, size_t len,
              struct kz_err *err)
{
    errno = 0;
    if (len > 0 && e->write(e->wctx, buf, len) != 0)
        return enc_write_fail(e, err, errno);
    return KZ_OK;
}

static int
armor_flush(struct kz_age_enc *e, struct kz_err *err)
{
    int rc = enc_raw_write(e, e->a_out, e->a_outlen, err);

    e->a_outlen = 0;
    return rc;
}

/* Stages text for the armored output, flushing when the stage is full. */
static int
armor_text(struct kz_age_enc *e, const char *s, size_t len, struct kz_err *err)
{
    int rc;

    if (e->a_outlen + len > sizeof(e->a_out)) {
        rc = armor_flush(e, err);
        if (rc != KZ_OK)
            return rc;
    }
    memcpy(e->a_out + e->a_outlen, s, len);
    e->a_outlen += len;
    return KZ_OK;
}

/* Emits the pending armor bytes as one padded base64 line. */
static int
armor_line_out(struct kz_age_enc *e, struct kz_err *err)
{
    char line[COLS + 2];
    size_t n;

    sodium_bin2base64(line, sizeof(line), e->a_in, e->a_inlen,
                      sodium_base64_VARIANT_ORIGINAL);
    n = strlen(line);
    line[n++] = '\n';
    e->a_inlen = 0;
    return armor_text(e, line, n, err);
}

/* Writes bytes of the age file, through the armor when asked. */
static int
enc_out(struct kz_age_enc *e, const unsigned char *buf, size_t len,
        struct kz_err *err)
{
    size_t n;
    int rc;

    if (!e->armor)
        return enc_raw_write(e, buf, len, err);
    while (len > 0) {
        n = LINE_BYTES - e->a_inlen;
        if (n > len)
            n = len;
        memcpy(e->a_in + e->a_inlen, buf, n);
        e->a_inlen += n;
        buf += n;
        len -= n;
        if (e->a_inlen == LINE_BYTES) {
            rc = armor_line_out(e, err);
            if (rc != KZ_OK)
                return rc;
        }
    }
    return KZ_OK;
}

/* Encrypts and writes the pending chunk. */
static int
enc_flush_chunk(struct kz_age_enc *e, int last, struct kz_err *err)
{
    unsigned char nonce[12];
    unsigned long long clen = 0;

    chunk_nonce(nonce, e->counter, last);
    crypto_aead_chacha20poly1305_ietf_encrypt(e->ct, &clen, e->pt, e->ptlen,
                                              NULL, 0, NULL, nonce, e->key);
    e->counter++;
    e->ptlen = 0;
    return enc_out(e, e->ct, (size_t)clen, err);
}

void
kz_age_enc_abort(struct kz_age_enc *e)
{
    if (e == NULL)
        return;
    kz_secure_free(e->pt);
    kz_secure_free(e->key);
    free(e->ct);
    sodium_memzero(e, sizeof(*e));
    free(e);
}

/* Checks the recipient list; returns KZ_OK or KZ_EUSAGE. */
static int
check_recipients(const struct kz_age_recipient *r, size_t nr,
                 struct kz_err *err)
{
    size_t i;

    if (r == NULL || nr == 0)
        return kz_fail(err, KZ_EUSAGE, "no recipient to encrypt to");
    for (i = 0; i < nr; i++) {
        if (!r[i].scrypt)
            continue;
        if (nr != 1)
            return kz_fail(err, KZ_EUSAGE,
                           "a passphrase cannot be combined with other "
                           "recipients");
        if (r[i].passphrase == NULL || r[i].passlen == 0)
            return kz_fail(err, KZ_EUSAGE, "the passphrase is empty");
        if (r[i].log_n < 0 || r[i].log_n > KZ_AGE_SCRYPT_MAX_LOGN)
            return kz_fail(err, KZ_EUSAGE,
                           "scrypt work factor %d is out of range (1 to %d)",
                           r[i].log_n, KZ_AGE_SCRYPT_MAX_LOGN);
    }
    return KZ_OK;
}

/* Appends the stanza wrapping the file key for recipient r (index i). */
static int
add_stanza(struct sbuf *h, const struct kz_age_recipient *r, size_t i,
           struct secrets *sec, struct kz_err *err)
{
    unsigned char share[32], salt[64], body[16 + TAG];
    char num[4];
    int logn, rc;

    if (!r->scrypt) {
        randombytes_buf(sec->eph, sizeof(sec->eph));
        crypto_scalarmult_base(share, sec->eph);
        if (crypto_scalarmult(sec->shared, sec->eph, r->pk) != 0) {
            rc = kz_fail(err, KZ_EUSAGE,
                         "recipient %zu is not a valid X25519 public key",
                         i + 1);
            goto out;
        }
        memcpy(salt, share, 32);
        memcpy(salt + 32, r->pk, 32);
        hkdf_sha256(sec->wrap, sec->shared, sizeof(sec->shared), salt, 64,
                    x25519_label);
        crypto_aead_chacha20poly1305_ietf_encrypt(
            body, NULL, sec->file_key, sizeof(sec->file_key), NULL, 0, NULL,
            zero_nonce, sec->wrap);
        sb_str(h, "-> X25519 ");
        sb_b64(h, share, sizeof(share));
    } else {
        logn = r->log_n == 0 ? KZ_AGE_SCRYPT_LOGN : r->log_n;
        randombytes_buf(salt, 16);
        if (scrypt_wrap(sec->wrap, r->passphrase, r->passlen, salt, logn) !=
            0) {
            rc = kz_fail(err, KZ_ERR, "scrypt failed (out of memory?)");
            goto out;
        }
        crypto_aead_chacha20poly1305_ietf_encrypt(
            body, NULL, sec->file_key, sizeof(sec->file_key), NULL, 0, NULL,
            zero_nonce, sec->wrap);
        sb_str(h, "-> scrypt ");
        sb_b64(h, salt, 16);
        num[0] = ' ';
        if (logn >= 10) {
            num[1] = (char)('0' + logn / 10);
            num[2] = (char)('0' + logn % 10);
            num[3] = '\0';
        } else {
            num[1] = (char)('0' + logn);
            num[2] = '\0';
        }
        sb_str(h, num);
    }
    /* A 32-byte body is one short line. */
    sb_str(h, "\n");
    sb_b64(h, body, sizeof(body));
    sb_str(h, "\n");
    rc = KZ_OK;

out:
    sodium_memzero(sec->eph, sizeof(sec->eph));
    sodium_memzero(sec->shared, sizeof(sec->shared));
    sodium_memzero(sec->wrap, sizeof(sec->wrap));
    return rc;
}

int
kz_age_enc_begin(struct kz_age_enc **out, const struct kz_age_recipient *r,
                 size_t nr, int armor,
                 int (*wr)(void *ctx, const void *buf, size_t len), void *wctx,
                 struct kz_err *err)
{
    struct kz_age_enc *e = NULL;
    struct secrets *sec = NULL;
    struct sbuf h = { NULL, 0, 0 };
    unsigned char mac[32], nonce[16];
    size_t i;
    int rc;

    *out = NULL;
    if (wr == NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "no output for the encrypted file");
        goto out;
    }
    rc = check_recipients(r, nr, err);
    if (rc != KZ_OK)
        goto out;

    e = kz_xcalloc(1, sizeof(*e));
    e->write = wr;
    e->wctx = wctx;
    e->armor = armor != 0;
    e->pt = kz_secure_alloc(CHUNK);
    e->key = kz_secure_alloc(32);
    e->ct = kz_xmalloc(ENC_CHUNK);
    sec = kz_secure_alloc(sizeof(*sec));
    randombytes_buf(sec->file_key, sizeof(sec->file_key));

    sb_str(&h, INTRO "\n");
    for (i = 0; i < nr; i++) {
        rc = add_stanza(&h, &r[i], i, sec, err);
        if (rc != KZ_OK)
            goto out;
    }
    sb_str(&h, "---");
    header_mac(sec, h.p, h.len, mac);
    sb_str(&h, " ");
    sb_b64(&h, mac, sizeof(mac));
    sb_str(&h, "\n");

    randombytes_buf(nonce, sizeof(nonce));
    hkdf_sha256(e->key, sec->file_key, sizeof(sec->file_key), nonce,
                sizeof(nonce), "payload");

    if (e->armor) {
        rc = armor_text(e, ARMOR_BEGIN "\n", sizeof(ARMOR_BEGIN), err);
        if (rc != KZ_OK)
            goto out;
    }
    rc = enc_out(e, (const unsigned char *)h.p, h.len, err);
    if (rc == KZ_OK)
        rc = enc_out(e, nonce, sizeof(nonce), err);
    if (rc != KZ_OK)
        goto out;
    *out = e;
    e = NULL;

out:
    kz_age_enc_abort(e);
    kz_secure_free(sec);
    free(h.p);
    return rc;
}

int
kz_age_enc_update(struct kz_age_enc *e, const void *buf, size_t len,
                  struct kz_err *err)
{
    const unsigned char *p = buf;
    size_t n;
    int rc;

    if (e->failed)
        return kz_fail(err, KZ_ERR, "the encrypted file was not written");
    while (len > 0) {
        if (e->ptlen == CHUNK) {
            /* More data follows, so this full chunk is not the last. */
            rc = enc_flush_chunk(e, 0, err);
            if (rc != KZ_OK)
                return rc;
        }
        n = CHUNK - e->ptlen;
        if (n > len)
            n = len;
        memcpy(e->pt + e->ptlen, p, n);
        e->ptlen += n;
        p += n;
        len -= n;
    }
    return KZ_OK;
}

int
kz_age_enc_final(struct kz_age_enc *e, struct kz_err *err)
{
    int rc;

    if (e->failed) {
        rc = kz_fail(err, KZ_ERR, "the encrypted file was not written");
        goto out;
    }
    /* Short, full, or (only for an empty plaintext) empty: the last chunk. */
    rc = enc_flush_chunk(e, 1, err);
    if (rc != KZ_OK || !e->armor)
        goto out;
    if (e->a_inlen > 0) {
        rc = armor_line_out(e, err);
        if (rc != KZ_OK)
            goto out;
    }
    rc = armor_text(e, ARMOR_END "\n", sizeof(ARMOR_END), err);
    if (rc == KZ_OK)
        rc = armor_flush(e, err);

out:
    kz_age_enc_abort(e);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

struct stanza {
    size_t line;    /* offset of its "-> " line in the header */
    size_t linelen; /* without the LF */
    size_t body;    /* offset of its body in dec.bodies */
    size_t bodylen;
};

struct dec {
    ssize_t (*read)(void *ctx, void *buf, size_t len);
    void *rctx;
    struct kz_err *err;
    int status;

    /* Raw input. */
    unsigned char raw[RAW_BUF];
    size_t rpos, rlen;
    int reof;

    /* Armor decoding. */
    int armored;
    int astate; /* 0: before BEGIN, 1: inside, 2: after END */
    unsigned char abuf[LINE_BYTES];
    size_t apos, alen;
    char aline[ARMOR_LINE_MAX + 1];

    /* Header, as read (the MAC covers these bytes). */
    char *hdr;
    size_t hdrlen, hdrcap, maclen;
    unsigned char mac[32];
    struct stanza *st;
    size_t nst, stcap;
    unsigned char *bodies;
    size_t blen, bcap;

    /* Payload. */
    unsigned char *ct;   /* one encrypted chunk */
    unsigned char *pt;   /* secure: its plaintext */
    struct secrets *sec; /* secure */
};

/* Records the failure class; returns its kz code (for kz_fail). */
static int
dfail(struct dec *d, int status)
{
    d->status = status;
    return status_code(status);
}

/* Makes raw bytes available. Returns 1, 0 at end of file, RD_ERR. */
static int
raw_fill(struct dec *d)
{
    ssize_t r;
    int e;

    if (d->rpos < d->rlen)
        return 1;
    if (d->reof)
        return 0;
    d->rpos = d->rlen = 0;
    errno = 0;
    r = d->read(d->rctx, d->raw, sizeof(d->raw));
    if (r < 0 || (size_t)r > sizeof(d->raw)) {
        e = errno;
        kz_fail(d->err, dfail(d, KZ_AGE_IO), "cannot read the encrypted file: %s",
                e != 0 ? strerror(e) : "read error");
        return RD_ERR;
    }
    if (r == 0) {
        d->reof = 1;
        return 0;
    }
    d->rlen = (size_t)r;
    return 1;
}

/* Next raw byte, RD_EOF or RD_ERR. */
static int
raw_getc(struct dec *d)
{
    int r = raw_fill(d);

    if (r <= 0)
        return r == 0 ? RD_EOF : RD_ERR;
    return d->raw[d->rpos++];
}

static int
armor_fail(struct dec *d, const char *msg)
{
    kz_fail(d->err, dfail(d, KZ_AGE_ARMOR), "%s", msg);
    return RD_ERR;
}

static int
is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/*
 * Reads one armor line into d->aline, without its LF and a CR before it.
 * Returns 1 with *len set, 0 at end of file before any byte, RD_ERR.
 */
static int
armor_getline(struct dec *d, size_t *len)
{
    const unsigned char *p, *nl;
    size_t n = 0, take;
    int r;

    for (;;) {
        r = raw_fill(d);
        if (r == RD_ERR)
            return RD_ERR;
        if (r == 0) {
            if (n == 0)
                return 0;
            break;
        }
        p = d->raw + d->rpos;
        nl = memchr(p, '\n', d->rlen - d->rpos);
        take = nl != NULL ? (size_t)(nl - p) : d->rlen - d->rpos;
        if (take > ARMOR_LINE_MAX - n)
            return armor_fail(d, "invalid armor: line too long");
        memcpy(d->aline + n, p, take);
        n += take;
        d->rpos += take;
        if (nl != NULL) {
            d->rpos++;
            break;
        }
    }
    if (n > 0 && d->aline[n - 1] == '\r')
        n--;
    d->aline[n] = '\0';
    *len = n;
    return 1;
}

static int
armor_line_is(const struct dec *d, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(d->aline, s, len) == 0;
}

/* After END: at most 1023 bytes of whitespace, then end of file. */
static int
armor_drain(struct dec *d)
{
    size_t n = 0;
    int c;

    for (;;) {
        c = raw_getc(d);
        if (c == RD_ERR)
            return RD_ERR;
        if (c == RD_EOF)
            break;
        if (!is_space(c))
            return armor_fail(d, "invalid armor: data after the END line");
        if (++n >= MAX_WHITESPACE)
            return armor_fail(d, "invalid armor: too much whitespace after "
                                 "the END line");
    }
    d->astate = 2;
    return 0;
}

/*
 * Decodes the next armor line into d->abuf. Returns 1 with bytes, 0 once
 * the END line is reached (and only whitespace followed it), RD_ERR.
 */
static int
armor_fill(struct dec *d)
{
    size_t len, ws = 0, n, i;
    int r;

    d->apos = d->alen = 0;
    while (d->astate == 0) {
        r = armor_getline(d, &len);
        if (r == RD_ERR)
            return RD_ERR;
        if (r == 0)
            return armor_fail(d, "not an age file: nothing but whitespace");
        for (i = 0; i < len && is_space((unsigned char)d->aline[i]); i++)
            ;
        if (i == len) {
            ws += len + 1;
            if (ws > MAX_WHITESPACE)
                return armor_fail(d, "invalid armor: too much whitespace "
                                     "before the BEGIN line");
            continue;
        }
        if (!armor_line_is(d, len, ARMOR_BEGIN))
            return armor_fail(d, "not an age file: it starts with neither \""
                                 INTRO "\" nor \"" ARMOR_BEGIN "\"");
        d->astate = 1;
    }
    if (d->astate == 2)
        return 0;
    r = armor_getline(d, &len);
    if (r == RD_ERR)
        return RD_ERR;
    if (r == 0)
        return armor_fail(d, "armored file is truncated: no END line");
    if (armor_line_is(d, len, ARMOR_END))
        return armor_drain(d);
    if (len == 0)
        return armor_fail(d, "invalid armor: empty line");
    if (len > COLS)
        return armor_fail(d, "invalid armor: line longer than 64 columns");
    if (b64_decode(d->aline, len, d->abuf, sizeof(d->abuf), &n,
                   sodium_base64_VARIANT_ORIGINAL) != 0)
        return armor_fail(d, "invalid armor: bad base64");
    if (n < LINE_BYTES) {
        /* A short line is the last one: END must follow. */
        r = armor_getline(d, &len);
        if (r == RD_ERR)
            return RD_ERR;
        if (r == 0 || !armor_line_is(d, len, ARMOR_END))
            return armor_fail(d, "invalid armor: a short line is not "
                                 "followed by the END line");
        if (armor_drain(d) != 0)
            return RD_ERR;
    }
    d->alen = n;
    return 1;
}

/* Reads up to len bytes of the age file (armor removed). Returns the count,
 * 0 at end of file, or -1 (failure recorded). */
static ssize_t
src_read(struct dec *d, unsigned char *buf, size_t len)
{
    size_t n;
    int r;

    if (!d->armored) {
        r = raw_fill(d);
        if (r <= 0)
            return r == 0 ? 0 : -1;
        n = d->rlen - d->rpos;
        if (n > len)
            n = len;
        memcpy(buf, d->raw + d->rpos, n);
        d->rpos += n;
        return (ssize_t)n;
    }
    if (d->apos == d->alen) {
        r = armor_fill(d);
        if (r <= 0)
            return r == 0 ? 0 : -1;
    }
    n = d->alen - d->apos;
    if (n > len)
        n = len;
    memcpy(buf, d->abuf + d->apos, n);
    d->apos += n;
    return (ssize_t)n;
}

/* Reads len bytes, fewer only at end of file. Returns 0, or -1. */
static int
src_read_full(struct dec *d, unsigned char *buf, size_t len, size_t *got)
{
    ssize_t r;

    *got = 0;
    while (*got < len) {
        r = src_read(d, buf + *got, len - *got);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

static int
header_fail(struct dec *d, const char *msg)
{
    return kz_fail(d->err, dfail(d, KZ_AGE_HEADER), "%s", msg);
}

/* Appends the next header line (with its LF) to d->hdr; *start and *len
 * (without the LF) locate it. Returns KZ_OK or a failure. */
static int
hdr_line(struct dec *d, size_t *start, size_t *len)
{
    unsigned char c;
    ssize_t r;

    *start = d->hdrlen;
    for (;;) {
        r = src_read(d, &c, 1);
        if (r < 0)
            return status_code(d->status);
        if (r == 0)
            return header_fail(d, d->hdrlen == 0
                                      ? "encrypted file is empty"
                                      : "encrypted file is truncated: the "
                                        "header ends early");
        if (d->hdrlen == d->hdrcap) {
            if (d->hdrcap >= MAX_HEADER)
                return header_fail(d, "age header is too large");
            d->hdrcap = d->hdrcap == 0 ? 1024 : d->hdrcap * 2;
            d->hdr = kz_xrealloc(d->hdr, d->hdrcap);
        }
        d->hdr[d->hdrlen++] = (char)c;
        if (c == '\n')
            break;
    }
    *len = d->hdrlen - *start - 1;
    return KZ_OK;
}

/* "-> " then arguments: non-empty, printable ASCII, single spaces. */
static int
stanza_line_ok(const char *line, size_t len)
{
    size_t i;
    unsigned char c;

    if (len < 4 || line[2] != ' ')
        return 0;
    for (i = 3; i < len; i++) {
        c = (unsigned char)line[i];
        if (c == ' ') {
            if (line[i - 1] == ' ' || i + 1 == len)
                return 0;
        } else if (c < 33 || c > 126) {
            return 0;
        }
    }
    return 1;
}

static void
add_body(struct dec *d, const unsigned char *b, size_t n)
{
    if (n == 0)
        return;
    if (d->blen + n > d->bcap) {
        while (d->blen + n > d->bcap)
            d->bcap = d->bcap == 0 ? 256 : d->bcap * 2;
        d->bodies = kz_xrealloc(d->bodies, d->bcap);
    }
    memcpy(d->bodies + d->blen, b, n);
    d->blen += n;
    d->st[d->nst - 1].bodylen += n;
}

/* Reads and checks the header syntax, through the MAC line. */
static int
parse_header(struct dec *d)
{
    unsigned char b[LINE_BYTES];
    const char *line;
    size_t start = 0, len = 0, n;
    int in_body = 0, rc;

    rc = hdr_line(d, &start, &len);
    if (rc != KZ_OK)
        return rc;
    if (len != strlen(INTRO) || memcmp(d->hdr, INTRO, len) != 0) {
        if (len >= strlen(INTRO_VERSIONLESS) &&
            memcmp(d->hdr, INTRO_VERSIONLESS, strlen(INTRO_VERSIONLESS)) == 0)
            return header_fail(d, "unsupported age format version (or a "
                                  "malformed first line)");
        return header_fail(d, "not an age file: bad first line");
    }
    for (;;) {
        rc = hdr_line(d, &start, &len);
        if (rc != KZ_OK)
            return rc;
        line = d->hdr + start;
        if (in_body) {
            /* Body lines: full 64-column lines, then a short (maybe empty)
             * one. */
            if (len > COLS ||
                b64_decode(line, len, b, sizeof(b), &n,
                           sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
                return header_fail(d, "malformed age header: bad stanza body "
                                      "line");
            add_body(d, b, n);
            if (n < LINE_BYTES)
                in_body = 0;
            continue;
        }
        if (len >= 3 && memcmp(line, "---", 3) == 0) {
            d->maclen = start + 3;
            if (len < 4 || line[3] != ' ' ||
                b64_decode(line + 4, len - 4, d->mac, sizeof(d->mac), &n,
                           sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
                n != sizeof(d->mac))
                return header_fail(d, "malformed age header: bad MAC line");
            return KZ_OK;
        }
        if (len >= 2 && memcmp(line, "->", 2) == 0) {
            if (!stanza_line_ok(line, len))
                return header_fail(d, "malformed age header: bad stanza line");
            if (d->nst == d->stcap) {
                d->stcap = d->stcap == 0 ? 4 : d->stcap * 2;
                d->st = kz_xrealloc(d->st, d->stcap * sizeof(*d->st));
            }
            d->st[d->nst].line = start;
            d->st[d->nst].linelen = len;
            d->st[d->nst].body = d->blen;
            d->st[d->nst].bodylen = 0;
            d->nst++;
            in_body = 1;
            continue;
        }
        return header_fail(d, "malformed age header: unexpected line");
    }
}

/* Number of arguments of stanza s (its type included); points *arg and
 * *alen at argument idx when there is one. */
static size_t
stanza_arg(const struct dec *d, const struct stanza *s, size_t idx,
           const char **arg, size_t *alen)
{
    const char *p = d->hdr + s->line + 3, *end = d->hdr + s->line + s->linelen;
    const char *q;
    size_t n = 0;

    *arg = NULL;
    *alen = 0;
    while (p < end) {
        q = memchr(p, ' ', (size_t)(end - p));
        if (q == NULL)
            q = end;
        if (n == idx) {
            *arg = p;
            *alen = (size_t)(q - p);
        }
        n++;
        p = q + 1;
    }
    return n;
}

static int
stanza_is(const struct dec *d, const struct stanza *s, const char *type)
{
    const char *a;
    size_t alen;

    stanza_arg(d, s, 0, &a, &alen);
    return alen == strlen(type) && memcmp(a, type, alen) == 0;
}

/*
 * Tries the X25519 identity sk (public key pk) on stanza s. Returns KZ_OK
 * with the file key in d->sec, KZ_EAUTH (not for this identity, no status
 * recorded), or a header failure.
 */
static int
unwrap_x25519(struct dec *d, const struct stanza *s, const unsigned char *sk,
              const unsigned char pk[32])
{
    unsigned char share[32], salt[64];
    const char *a;
    size_t alen, n;
    int rc;

    if (stanza_arg(d, s, 1, &a, &alen) != 2)
        return header_fail(d, "malformed X25519 stanza: wrong number of "
                              "arguments");
    if (b64_decode(a, alen, share, sizeof(share), &n,
                   sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
        n != sizeof(share))
        return header_fail(d, "malformed X25519 stanza: bad ephemeral share");
    if (s->bodylen != 16 + TAG)
        return header_fail(d, "malformed X25519 stanza: wrong file key size");
    if (crypto_scalarmult(d->sec->shared, sk, share) != 0) {
        rc = header_fail(d, "malformed X25519 stanza: low-order ephemeral "
                            "share");
        goto out;
    }
    memcpy(salt, share, 32);
    memcpy(salt + 32, pk, 32);
    hkdf_sha256(d->sec->wrap, d->sec->shared, sizeof(d->sec->shared), salt,
                sizeof(salt), x25519_label);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(
            d->sec->file_key, NULL, NULL, d->bodies + s->body, s->bodylen,
            NULL, 0, zero_nonce, d->sec->wrap) != 0)
        rc = KZ_EAUTH;
    else
        rc = KZ_OK;

out:
    sodium_memzero(d->sec->shared, sizeof(d->sec->shared));
    sodium_memzero(d->sec->wrap, sizeof(d->sec->wrap));
    return rc;
}

/* Tries a passphrase on the (only) scrypt stanza s, running a work factor of
 * at most max_logn (0: KZ_AGE_SCRYPT_LIMIT_LOGN); as unwrap_x25519. */
static int
unwrap_scrypt(struct dec *d, const struct stanza *s, const char *pass,
              size_t passlen, int max_logn)
{
    unsigned char salt[16];
    const char *a;
    size_t alen, n, i;
    int logn = 0, rc;

    if (max_logn <= 0 || max_logn > KZ_AGE_SCRYPT_MAX_LOGN)
        max_logn = max_logn <= 0 ? KZ_AGE_SCRYPT_LIMIT_LOGN : KZ_AGE_SCRYPT_MAX_LOGN;

    if (stanza_arg(d, s, 1, &a, &alen) != 3)
        return header_fail(d, "malformed scrypt stanza: wrong number of "
                              "arguments");
    if (b64_decode(a, alen, salt, sizeof(salt), &n,
                   sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
        n != sizeof(salt))
        return header_fail(d, "malformed scrypt stanza: bad salt");
    stanza_arg(d, s, 2, &a, &alen);
    if (alen == 0 || a[0] < '1' || a[0] > '9')
        return header_fail(d, "malformed scrypt stanza: bad work factor");
    for (i = 0; i < alen; i++) {
        if (a[i] < '0' || a[i] > '9')
            return header_fail(d, "malformed scrypt stanza: bad work factor");
        if (logn <= KZ_AGE_SCRYPT_MAX_LOGN)
            logn = logn * 10 + (a[i] - '0');
    }
    if (logn > KZ_AGE_SCRYPT_MAX_LOGN)
        return header_fail(d, "scrypt work factor is too large (over 22): "
                              "refusing to spend that much time and memory");
    /* scrypt with r = 8 needs 2^logn KiB: refused before any of it is asked for. */
    if (logn > max_logn)
        return kz_fail(d->err, dfail(d, KZ_AGE_LIMIT),
                       "the file asks for scrypt work factor %d (%d %s of memory), "
                       "above the limit of %d: refusing to spend that",
                       logn, logn >= 10 ? 1 << (logn - 10) : 1 << logn,
                       logn >= 10 ? "MiB" : "KiB", max_logn);
    if (s->bodylen != 16 + TAG)
        return header_fail(d, "malformed scrypt stanza: wrong file key size");
    if (scrypt_wrap(d->sec->wrap, pass, passlen, salt, logn) != 0) {
        rc = kz_fail(d->err, dfail(d, KZ_AGE_IO),
                     "scrypt failed (out of memory?)");
        goto out;
    }
    if (crypto_aead_chacha20poly1305_ietf_decrypt(
            d->sec->file_key, NULL, NULL, d->bodies + s->body, s->bodylen,
            NULL, 0, zero_nonce, d->sec->wrap) != 0)
        rc = KZ_EAUTH;
    else
        rc = KZ_OK;

out:
    sodium_memzero(d->sec->wrap, sizeof(d->sec->wrap));
    return rc;
}

/* Finds the file key with the first identity that opens a stanza. */
static int
unwrap_file_key(struct dec *d, const struct kz_age_identity *ids, size_t nids)
{
    unsigned char pk[32];
    size_t i, j;
    int rc, scrypt_file = 0, has_pass = 0;

    for (j = 0; j < d->nst; j++) {
        if (stanza_is(d, &d->st[j], "scrypt")) {
            if (d->nst != 1)
                return header_fail(d, "malformed age header: a passphrase "
                                      "stanza must be the only one");
            scrypt_file = 1;
        }
    }
    for (i = 0; i < nids; i++) {
        rc = KZ_EAUTH;
        if (ids[i].scrypt) {
            has_pass = 1;
            if (scrypt_file)
                rc = unwrap_scrypt(d, &d->st[0], ids[i].passphrase,
                                   ids[i].passlen, ids[i].max_log_n);
        } else {
            crypto_scalarmult_base(pk, ids[i].sk);
            for (j = 0; j < d->nst && rc == KZ_EAUTH; j++) {
                if (stanza_is(d, &d->st[j], "X25519"))
                    rc = unwrap_x25519(d, &d->st[j], ids[i].sk, pk);
            }
        }
        if (rc != KZ_EAUTH)
            return rc;
    }
    if (scrypt_file)
        return kz_fail(d->err, dfail(d, KZ_AGE_NO_MATCH), "%s",
                       has_pass ? "wrong passphrase"
                                : "the file is protected by a passphrase, "
                                  "and none was given");
    return kz_fail(d->err, dfail(d, KZ_AGE_NO_MATCH), "%s",
                   nids == 0 ? "no key was given to open this file"
                             : "none of the given keys can open this file");
}

/* Decrypts and releases the payload chunk by chunk. */
static int
decrypt_payload(struct dec *d, int (*snk)(void *, const void *, size_t),
                void *sctx)
{
    unsigned char nonce[12], extra;
    unsigned long long plen = 0;
    uint64_t counter = 0;
    size_t got;
    ssize_t r;
    int last, e;

    for (;; counter++) {
        if (src_read_full(d, d->ct, ENC_CHUNK, &got) != 0)
            return status_code(d->status);
        if (got == 0)
            return kz_fail(d->err, dfail(d, KZ_AGE_PAYLOAD), "%s",
                           counter == 0
                               ? "encrypted file is truncated: no payload"
                               : "encrypted file is truncated: the payload "
                                 "ends without a final chunk");
        last = got < ENC_CHUNK;
        if (got < TAG)
            return kz_fail(d->err, dfail(d, KZ_AGE_PAYLOAD),
                           "encrypted file is truncated: the last chunk is "
                           "too short");
        if (last && got == TAG && counter > 0)
            return kz_fail(d->err, dfail(d, KZ_AGE_PAYLOAD),
                           "encrypted file is malformed: empty final chunk");
        chunk_nonce(nonce, counter, last);
        if (crypto_aead_chacha20poly1305_ietf_decrypt(
                d->pt, &plen, NULL, d->ct, got, NULL, 0, nonce,
                d->sec->payload_key) != 0) {
            /* A full chunk may be the last one. */
            if (last)
                goto bad_chunk;
            last = 1;
            chunk_nonce(nonce, counter, 1);
            if (crypto_aead_chacha20poly1305_ietf_decrypt(
                    d->pt, &plen, NULL, d->ct, got, NULL, 0, nonce,
                    d->sec->payload_key) != 0)
                goto bad_chunk;
        }
        errno = 0;
        if (plen > 0 && snk(sctx, d->pt, (size_t)plen) != 0) {
            e = errno;
            sodium_memzero(d->pt, (size_t)plen);
            return kz_fail(d->err, dfail(d, KZ_AGE_IO),
                           "cannot write the decrypted data: %s",
                           e != 0 ? strerror(e) : "output refused");
        }
        sodium_memzero(d->pt, (size_t)plen);
        if (last)
            break;
    }
    /* After a full-size final chunk, the file must end. */
    r = src_read(d, &extra, 1);
    if (r < 0)
        return status_code(d->status);
    if (r > 0)
        return kz_fail(d->err, dfail(d, KZ_AGE_PAYLOAD),
                       "encrypted file is malformed: data after the final "
                       "chunk");
    return KZ_OK;

bad_chunk:
    return kz_fail(d->err, dfail(d, KZ_AGE_PAYLOAD),
                   "encrypted file is damaged or was altered: payload chunk "
                   "%llu does not authenticate",
                   (unsigned long long)counter + 1);
}

static void
dec_free(struct dec *d)
{
    if (d == NULL)
        return;
    kz_secure_free(d->sec);
    kz_secure_free(d->pt);
    free(d->ct);
    free(d->hdr);
    free(d->st);
    free(d->bodies);
    sodium_memzero(d, sizeof(*d));
    free(d);
}

int
kz_age_header_scan(ssize_t (*rd)(void *ctx, void *buf, size_t len), void *rctx,
                   struct kz_age_header_info *info, int *status, struct kz_err *err)
{
    struct dec *d;
    size_t i;
    int rc;

    memset(info, 0, sizeof(*info));
    d = kz_xcalloc(1, sizeof(*d));
    d->read = rd;
    d->rctx = rctx;
    d->err = err;
    d->status = KZ_AGE_OK;
    rc = raw_fill(d);
    if (rc == RD_ERR) {
        rc = status_code(d->status);
        goto out;
    }
    d->armored = rc == 1 && d->raw[0] != 'a';
    info->armored = d->armored;
    if ((rc = parse_header(d)) != KZ_OK)
        goto out;
    for (i = 0; i < d->nst; i++) {
        if (stanza_is(d, &d->st[i], "X25519"))
            info->x25519++;
        else if (stanza_is(d, &d->st[i], "scrypt"))
            info->scrypt++;
        else
            info->other++;
    }
out:
    if (status != NULL)
        *status = rc == KZ_OK ? KZ_AGE_OK : d->status;
    dec_free(d);
    return rc;
}

int
kz_age_decrypt(ssize_t (*rd)(void *ctx, void *buf, size_t len), void *rctx,
               const struct kz_age_identity *ids, size_t nids,
               int (*snk)(void *ctx, const void *buf, size_t len), void *sctx,
               int *status, struct kz_err *err)
{
    struct dec *d = NULL;
    unsigned char mac[32], nonce[16];
    size_t i, got;
    int rc, st = KZ_AGE_USAGE;

    if (rd == NULL || snk == NULL || (ids == NULL && nids != 0)) {
        rc = kz_fail(err, KZ_EUSAGE, "kz_age_decrypt: missing argument");
        goto out;
    }
    for (i = 0; i < nids; i++) {
        if (!ids[i].scrypt && ids[i].sk == NULL) {
            rc = kz_fail(err, KZ_EUSAGE, "identity %zu has no key", i + 1);
            goto out;
        }
    }
    d = kz_xcalloc(1, sizeof(*d));
    d->read = rd;
    d->rctx = rctx;
    d->err = err;
    d->status = KZ_AGE_OK;
    d->sec = kz_secure_alloc(sizeof(*d->sec));
    d->pt = kz_secure_alloc(CHUNK);
    d->ct = kz_xmalloc(ENC_CHUNK);

    /* A binary age file starts with 'a'; anything else must be armor. */
    rc = raw_fill(d);
    if (rc == RD_ERR) {
        rc = status_code(d->status);
        goto out;
    }
    d->armored = rc == 1 && d->raw[0] != 'a';

    rc = parse_header(d);
    if (rc != KZ_OK)
        goto out;
    rc = unwrap_file_key(d, ids, nids);
    if (rc != KZ_OK)
        goto out;
    header_mac(d->sec, d->hdr, d->maclen, mac);
    if (sodium_memcmp(mac, d->mac, sizeof(mac)) != 0) {
        rc = kz_fail(err, dfail(d, KZ_AGE_HMAC),
                     "age header MAC does not match: the file was altered or "
                     "damaged");
        goto out;
    }
    if (src_read_full(d, nonce, sizeof(nonce), &got) != 0) {
        rc = status_code(d->status);
        goto out;
    }
    if (got < sizeof(nonce)) {
        rc = header_fail(d, "encrypted file is truncated: no payload nonce");
        goto out;
    }
    hkdf_sha256(d->sec->payload_key, d->sec->file_key,
                sizeof(d->sec->file_key), nonce, sizeof(nonce), "payload");
    rc = decrypt_payload(d, snk, sctx);

out:
    if (d != NULL)
        st = rc == KZ_OK ? KZ_AGE_OK : d->status;
    if (status != NULL)
        *status = st;
    dec_free(d);
    return rc;
}
