/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <argon2.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kizuna/bytes.h"
#include "kizuna/kdf.h"
#include "kizuna/secmem.h"

#define KDF_VERSION 1
#define KDF_ALG_ARGON2ID 1

int
kz_kdf_argon2id_raw(uint32_t t, uint32_t m_kib, uint32_t lanes, const void *pwd,
                    size_t pwdlen, const void *salt, size_t saltlen, const void *secret,
                    size_t secretlen, const void *ad, size_t adlen, unsigned char *out,
                    size_t outlen)
{
    argon2_context ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.out = out;
    ctx.outlen = (uint32_t)outlen;
    ctx.pwd = (uint8_t *)(uintptr_t)pwd;
    ctx.pwdlen = (uint32_t)pwdlen;
    ctx.salt = (uint8_t *)(uintptr_t)salt;
    ctx.saltlen = (uint32_t)saltlen;
    ctx.secret = (uint8_t *)(uintptr_t)secret;
    ctx.secretlen = (uint32_t)secretlen;
    ctx.ad = (uint8_t *)(uintptr_t)ad;
    ctx.adlen = (uint32_t)adlen;
    ctx.t_cost = t;
    ctx.m_cost = m_kib;
    ctx.lanes = lanes;
    ctx.threads = lanes;
    ctx.version = ARGON2_VERSION_13;
    ctx.flags = ARGON2_DEFAULT_FLAGS; /* the library wipes its own memory */
    return argon2id_ctx(&ctx);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The costs and the time of this process's last derivation (kz_kdf_seconds).
 * One derivation runs at a time: an unlock, a slot written, a measurement. */
static struct {
    uint32_t t, m_kib, lanes;
    double seconds; /* 0: none yet */
} last;

int
kz_kdf_derive(const struct kz_kdf_params *p, const char *pass, size_t passlen,
              unsigned char *out, struct kz_err *err)
{
    double t0 = now_s();
    int rc = kz_kdf_argon2id_raw(p->t, p->m_kib, p->lanes, pass, passlen, p->salt,
                                 sizeof(p->salt), NULL, 0, NULL, 0, out, KZ_KDF_KEY_BYTES);

    if (rc != ARGON2_OK) {
        sodium_memzero(out, KZ_KDF_KEY_BYTES);
        return kz_fail(err, KZ_ERR, "key derivation failed: %s", argon2_error_message(rc));
    }
    last.t = p->t;
    last.m_kib = p->m_kib;
    last.lanes = p->lanes;
    last.seconds = now_s() - t0;
    if (last.seconds <= 0)
        last.seconds = 1e-9;
    return KZ_OK;
}

double
kz_kdf_measure(const struct kz_kdf_params *p)
{
    static const char probe[] = "kizuna calibration probe";
    unsigned char *out = kz_secure_alloc(KZ_KDF_KEY_BYTES);
    double dt = -1.0;

    if (kz_kdf_derive(p, probe, sizeof(probe) - 1, out, NULL) == KZ_OK)
        dt = last.seconds;
    kz_secure_free(out);
    return dt;
}

double
kz_kdf_seconds(const struct kz_kdf_params *p)
{
    if (last.seconds > 0 && last.t == p->t && last.m_kib == p->m_kib && last.lanes == p->lanes)
        return last.seconds;
    return kz_kdf_measure(p);
}

int
kz_kdf_calibrate(double target_s, struct kz_kdf_params *p, struct kz_err *err)
{
    double dt;

    p->t = KZ_KDF_FLOOR_T;
    p->m_kib = KZ_KDF_FLOOR_M_KIB;
    p->lanes = KZ_KDF_FLOOR_LANES;
    randombytes_buf(p->salt, sizeof(p->salt));
    dt = kz_kdf_measure(p);
    if (dt < 0)
        return kz_fail(err, KZ_ERR, "cannot run Argon2id with 64 MiB: not enough memory");
    /* Spend more memory first (the better defence), up to 1 GiB, then more passes,
     * measuring again until the time is within 20% of the target (or 3 rounds). */
    while (dt > 0 && dt * 1.9 < target_s && p->m_kib < 1024u * 1024u) {
        p->m_kib *= 2;
        dt = kz_kdf_measure(p);
    }
    for (int round = 0; round < 3 && dt > 0 && dt < 0.8 * target_s; round++) {
        uint32_t t = (uint32_t)((double)p->t * target_s / dt + 0.5);
        if (t <= p->t)
            break;
        p->t = t > KZ_KDF_MAX_T ? KZ_KDF_MAX_T : t;
        dt = kz_kdf_measure(p);
    }
    return KZ_OK;
}

int
kz_kdf_below_floor(const struct kz_kdf_params *p)
{
    /* Hardness is time x memory; fewer lanes alone do not weaken the key. */
    return p->t < KZ_KDF_FLOOR_T || p->m_kib < KZ_KDF_FLOOR_M_KIB;
}

void
kz_kdf_encode(const struct kz_kdf_params *p, unsigned char out[KZ_KDF_ENCODED_BYTES])
{
    out[0] = KDF_VERSION;
    out[1] = KDF_ALG_ARGON2ID;
    kz_put32(out + 2, p->t);
    kz_put32(out + 6, p->m_kib);
    kz_put32(out + 10, p->lanes);
    memcpy(out + 14, p->salt, KZ_KDF_SALT_BYTES);
}

int
kz_kdf_decode(const unsigned char *in, size_t len, struct kz_kdf_params *p, struct kz_err *err)
{
    if (len != KZ_KDF_ENCODED_BYTES || in[0] != KDF_VERSION || in[1] != KDF_ALG_ARGON2ID)
        return kz_fail(err, KZ_EINTEGRITY, "vault header: unknown key-derivation format");
    p->t = kz_get32(in + 2);
    p->m_kib = kz_get32(in + 6);
    p->lanes = kz_get32(in + 10);
    memcpy(p->salt, in + 14, KZ_KDF_SALT_BYTES);
    /* Checked before any allocation: a header asking for more than init could
     * have chosen would otherwise cost that much memory and time per attempt. */
    if (p->m_kib > KZ_KDF_MAX_M_KIB)
        return kz_fail(err, KZ_EINTEGRITY,
                       "vault header: key-derivation memory %u MiB is above the %u MiB kizuna "
                       "allows; refusing it (the header was altered)",
                       p->m_kib / 1024, KZ_KDF_MAX_M_KIB / 1024);
    if (p->t < 1 || p->t > KZ_KDF_MAX_T)
        return kz_fail(err, KZ_EINTEGRITY,
                       "vault header: key-derivation iterations %u are outside 1 to %u; "
                       "refusing them (the header was altered)",
                       p->t, KZ_KDF_MAX_T);
    if (p->lanes < 1 || p->lanes > KZ_KDF_MAX_LANES)
        return kz_fail(err, KZ_EINTEGRITY,
                       "vault header: key-derivation lanes %u are outside 1 to %u; refusing "
                       "them (the header was altered)",
                       p->lanes, KZ_KDF_MAX_LANES);
    if (p->m_kib < 8 * p->lanes)
        return kz_fail(err, KZ_EINTEGRITY,
                       "vault header: key-derivation memory %u KiB is below 8 KiB per lane "
                       "(the header was altered)",
                       p->m_kib);
    return KZ_OK;
}

long long
kz_kdf_parse_size(const char *s)
{
    char *end;
    long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || v <= 0)
        return -1;
    if (*end == '\0' || ((*end == 'K' || *end == 'k') && end[1] == '\0'))
        return v;
    if ((*end == 'M' || *end == 'm') && end[1] == '\0')
        return v > (1LL << 40) ? -1 : v * 1024;
    if ((*end == 'G' || *end == 'g') && end[1] == '\0')
        return v > (1LL << 30) ? -1 : v * 1024 * 1024;
    return -1;
}
