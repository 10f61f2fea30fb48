/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_record: sealed records and what their plaintext goes to.
 *  1. The input as a sealed blob (kz_open, kz_open_into) under a fixed key:
 *     it almost always fails authentication; both must agree.
 *  2. The input sealed under that key (kz_seal) opens back to itself; a flipped
 *     bit, a cut byte or other associated data make it fail.
 *  3. The input as authenticated padded plaintext: the padding check agrees
 *     with libsodium's sodium_unpad.
 *  4. The opened plaintext goes to json_loadb (and a JSON object to the couple
 *     views), kz_head_decode (a head decodes and encodes back to itself),
 *     kz_couple_set with "FIELD=VALUE" lines (every field the couple then lists
 *     must be accepted by kz_couple_set again, as 'couple edit' relies on),
 *     kz_date_parse (a parsed date formats and parses to itself), kz_date_read
 *     (a date typed in any form reads back from its text in each style), and
 *     kz_find_folded/kz_snippet with the first line as needle and the rest as
 *     text (on ASCII, the match is strcasestr's), and search's index of that
 *     text as one field: its answer holds the field wherever kz_find_folded
 *     finds the needle, and only there when it says it is exact (issue #17).
 *  5. The plaintext as a session's body: what kz_session_read_sealed reads,
 *     jansson and kz_session_decode read too, to the same note.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/model.h"
#include "kizuna/model_search_index.h"
#include "kizuna/model_session.h"
#include "kizuna/seal.h"
#include "kizuna/secmem.h"
#include "../unit/same_session.h"
#include "fuzz_util.h"

#define HEAD_FIXED 30 /* bytes before the code length in a head */

static const unsigned char key[KZ_KEY_BYTES] = {
    'k', 'i', 'z', 'u', 'n', 'a', ' ', 'f', 'u', 'z', 'z', ' ', 'r', 'e', 'c', 'o',
    'r', 'd', ' ', 'k', 'e', 'y', ' ', '0', '1', '2', '3', '4', '5', '6', '7', '8',
};
static const unsigned char ad[] = "kizuna record v1 (fuzz)";
#define ADLEN (sizeof(ad) - 1)

static void
open_as_blob(const uint8_t *data, size_t size, size_t block)
{
    unsigned char *pt = NULL, *buf = kz_xmalloc(size + 1);
    size_t ptlen = 0, ptlen2 = 0;
    int secure = (int)((size >> 1) & 1), rc, rc2;
    struct kz_err err;

    rc = kz_open(key, ad, ADLEN, data, size, block, secure, &pt, &ptlen, "fuzz blob", &err);
    rc2 = kz_open_into(key, ad, ADLEN, data, size, block, buf, size + 1, &ptlen2);
    KZF_CHECK(rc == rc2);
    KZF_CHECK(rc == KZ_OK || (rc == KZ_EINTEGRITY && pt == NULL && ptlen == 0));
    if (rc == KZ_OK) {
        KZF_CHECK(ptlen == ptlen2 && memcmp(pt, buf, ptlen) == 0);
        kz_plain_free(pt, ptlen, secure);
    }
    free(buf);
}

/* Seals data; returns the opened plaintext (malloc'd, NUL-terminated). */
static unsigned char *
seal_roundtrip(const uint8_t *data, size_t size, size_t block)
{
    unsigned char *blob = NULL, *pt = NULL, *other = NULL, *buf;
    size_t bloblen = 0, ptlen = 0, ptlen2 = 0, pos;
    struct kz_err err;

    kz_seal(key, ad, ADLEN, data, size, block, &blob, &bloblen);
    KZF_CHECK(bloblen == KZ_SEAL_OVERHEAD + (size / block + 1) * block);
    buf = kz_xmalloc(bloblen);
    KZF_CHECK(kz_open_into(key, ad, ADLEN, blob, bloblen, block, buf, bloblen, &ptlen2) == KZ_OK);
    KZF_CHECK(ptlen2 == size && memcmp(buf, data, size) == 0 && buf[size] == '\0');
    /* A flipped bit anywhere, a missing byte, other associated data: refused. */
    pos = ((size > 0 ? data[0] : 0) * 131u + size) % bloblen;
    blob[pos] ^= (unsigned char)(1u << (size % 8));
    KZF_CHECK(kz_open(key, ad, ADLEN, blob, bloblen, block, 0, &other, &ptlen, "x", &err) ==
              KZ_EINTEGRITY);
    KZF_CHECK(kz_open_into(key, ad, ADLEN, blob, bloblen, block, buf, bloblen, &ptlen2) ==
              KZ_EINTEGRITY);
    blob[pos] ^= (unsigned char)(1u << (size % 8));
    KZF_CHECK(kz_open(key, ad, ADLEN, blob, bloblen - 1, block, 0, &other, &ptlen, "x", &err) ==
              KZ_EINTEGRITY);
    KZF_CHECK(kz_open(key, ad, ADLEN - 1, blob, bloblen, block, 0, &other, &ptlen, "x", &err) ==
              KZ_EINTEGRITY);
    KZF_CHECK(kz_open(key, ad, ADLEN, blob, bloblen, block, 0, &pt, &ptlen, "x", &err) == KZ_OK);
    KZF_CHECK(ptlen == size && memcmp(pt, data, size) == 0 && pt[size] == '\0');
    sodium_memzero(buf, bloblen);
    free(buf);
    free(blob);
    return pt;
}

/* The input as the padded plaintext of an authentic blob. */
static void
unpad(const uint8_t *data, size_t size, size_t block)
{
    unsigned char *blob = kz_xmalloc(KZ_SEAL_OVERHEAD + size), *pt = NULL;
    unsigned long long clen = 0;
    size_t ptlen = 0, ref = 0;
    struct kz_err err;
    int rc, want;

    blob[0] = 0x01;
    memset(blob + 1, 0x5a, KZ_SEAL_NONCE_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(blob + 1 + KZ_SEAL_NONCE_BYTES, &clen, data, size,
                                               ad, ADLEN, NULL, blob + 1, key);
    rc = kz_open(key, ad, ADLEN, blob, 1 + KZ_SEAL_NONCE_BYTES + (size_t)clen, block, 0, &pt,
                 &ptlen, "x", &err);
    want = size > 0 && size % block == 0 && sodium_unpad(&ref, data, size, block) == 0;
    KZF_CHECK((rc == KZ_OK) == want);
    if (rc == KZ_OK) {
        KZF_CHECK(ptlen == ref && memcmp(pt, data, ref) == 0);
        kz_plain_free(pt, ptlen, 0);
    }
    free(blob);
}

static void
count_field(void *ctx, const char *field, const char *value)
{
    KZF_CHECK(field != NULL && value != NULL);
    ++*(size_t *)ctx;
}

static void
json_views(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    char line[512];
    size_t n = 0;

    if (json_is_object(doc)) {
        kz_couple_fields(doc, count_field, &n);
        kz_couple_partners_line(doc, line, sizeof(line));
        KZF_CHECK(strlen(line) < sizeof(line));
    }
    json_decref(doc);
}

static void
head(const unsigned char *in, size_t len)
{
    struct kz_head_info h;
    unsigned char out[KZ_HEAD_MAX];
    size_t cl, tl, n;

    if (kz_head_decode(in, len, &h) != 0)
        return;
    cl = in[HEAD_FIXED];
    tl = (size_t)in[HEAD_FIXED + 1 + cl] | (size_t)in[HEAD_FIXED + 2 + cl] << 8;
    KZF_CHECK(cl <= KZ_CODE_MAX && tl <= KZ_TAGS_MAX && HEAD_FIXED + 3 + cl + tl == len);
    if (strlen(h.code) != cl || strlen(h.tags) != tl)
        return; /* a NUL inside: the encoder stops there */
    n = kz_head_encode(&h, out);
    KZF_CHECK(n == len && memcmp(out, in, len) == 0);
}

static void
reset_field(void *ctx, const char *field, const char *value)
{
    struct kz_err err;
    int rc = kz_couple_set(ctx, field, value, &err);

    /* A list longer than the view's 8 KiB buffer comes back cut. */
    KZF_CHECK(rc == KZ_OK || strlen(value) >= 8191);
}

static void
couple(char *text)
{
    json_t *c = kz_couple_new("C014", "2024-05-01"), *fresh;
    char *line, *save = NULL, *eq, partners[512];
    struct kz_err err;
    int rc;

    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if ((eq = strchr(line, '=')) == NULL)
            continue;
        *eq = '\0';
        kz_err_clear(&err);
        rc = kz_couple_set(c, line, eq + 1, &err);
        KZF_CHECK(rc == KZ_OK || (rc == KZ_EUSAGE && err.msg[0] != '\0'));
    }
    fresh = kz_couple_new("C014", "2024-05-01");
    kz_couple_fields(c, reset_field, fresh);
    kz_couple_partners_line(c, partners, sizeof(partners));
    json_decref(fresh);
    json_decref(c);
}

static void
dates(const char *s)
{
    uint32_t d = kz_date_parse(s);
    char buf[11];

    int style;

    /* What a person types: any date read is a real one, and each style shows
     * it as text that reads back to it in that style. */
    for (style = KZ_DATE_ISO; style <= KZ_DATE_MDY_SLASH; style++) {
        char why[128];
        uint32_t r = kz_date_read(s, 20260301, style, why, sizeof(why));
        if (r == 0) {
            KZF_CHECK(strncmp(why, "is ", 3) == 0);
            continue;
        }
        kz_date_format(r, buf);
        KZF_CHECK(kz_date_parse(buf) == r);
        kz_date_format_style(r, style, buf);
        KZF_CHECK(strlen(buf) == 10 && kz_date_read(buf, 20260301, style, NULL, 0) == r);
    }
    if (d == 0)
        return;
    kz_date_format(d, buf);
    KZF_CHECK(strlen(buf) == 10 && kz_date_parse(buf) == d);
}

static int
ascii(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s >= 0x80)
            return 0;
    }
    return 1;
}

/* Strict UTF-8 as jansson accepts it in a string (a field's text): no
 * overlong form, no surrogate, nothing past U+10FFFF. */
static int
utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t k, len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                     : (c & 0xf8) == 0xf0 ? 4 : 0;
        uint32_t cp;
        if (len == 0 || i + len > n)
            return 0;
        cp = len == 1 ? c : c & (0x7f >> len);
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* The index of hay as one field against kz_find_folded's answer (found). */
static void
index_check(const char *hay, size_t haylen, const char *needle, int found)
{
    static const unsigned char id[16] = {1};
    struct kz_sindex *ix;
    struct kz_sdoc *d;
    uint64_t *bits;
    int exact, in;

    if (!utf8_valid((const unsigned char *)hay, haylen))
        return;
    ix = kz_sindex_new();
    d = kz_sdoc_new(id, 1);
    kz_sdoc_field(d, hay, haylen, 1, 0, 0, 0, NULL);
    kz_sindex_put(ix, d);
    kz_sdoc_free(d);
    bits = kz_xcalloc(kz_sindex_bitmap_words(ix) + 1, sizeof(*bits));
    exact = kz_sindex_term(ix, needle, bits);
    in = exact < 0 || (kz_sindex_nfields(ix) > 0 && (bits[0] & 1) != 0);
    KZF_CHECK(!found || in);            /* never a match left out */
    KZF_CHECK(exact != 1 || in == found); /* exact: nothing more */
    free(bits);
    kz_sindex_free(ix);
}

static void
search(const char *text, size_t size)
{
    const char *nl = strchr(text, '\n'), *hay, *ref;
    char *needle, *snip;
    size_t haylen, mlen = 0;
    long off;

    if (nl == NULL)
        return;
    needle = kzf_strndup((const uint8_t *)text, (size_t)(nl - text));
    hay = nl + 1;
    haylen = strlen(hay);
    off = kz_find_folded(hay, haylen, needle, &mlen);
    if (off >= 0) {
        KZF_CHECK(mlen > 0 && (size_t)off + mlen <= haylen);
        snip = kz_snippet(hay, (size_t)off, mlen, (int)(size % 120), "[", "]");
        KZF_CHECK(snip != NULL && strstr(snip, "[") != NULL);
        free(snip);
    }
    if (*needle != '\0')
        index_check(hay, haylen, needle, off >= 0);
    if (*needle != '\0' && ascii(needle) && ascii(hay)) {
        ref = strcasestr(hay, needle);
        KZF_CHECK(off == (ref != NULL ? ref - hay : -1));
        KZF_CHECK(ref == NULL || mlen == strlen(needle));
    }
    free(needle);
}

/* The quick reader of a session's body never reads one jansson refuses, nor
 * reads one otherwise: the two notes encode to the same JSON. */
static void
session_body(const char *text, size_t len)
{
    struct kz_session q, j;
    json_error_t jerr;
    json_t *doc;
    struct kz_err err;

    if (!kz_session_read_sealed(text, len, &q)) {
        KZF_CHECK(q.text == NULL && q.couple == NULL);
        return;
    }
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    KZF_CHECK(doc != NULL);
    KZF_CHECK(kz_session_decode(doc, KZ_SESSION_SEALED, "session", &j, &err) == KZ_OK);
    json_decref(doc);
    KZF_CHECK(same_session(&q, &j));
    kz_session_free(&q);
    kz_session_free(&j);
}

static void
misc(const uint8_t *data, size_t size, const char *s)
{
    int scores[64];
    char bars[256];
    size_t n, cap = 1 + (size > 0 ? data[0] : 0);

    /* Scores from -128 to 127: the sparkline clamps them to 0-10. */
    for (n = 0; n < size && n < 64; n++)
        scores[n] = (int)data[n] - 128;
    kz_sparkline(scores, n, bars, cap);
    KZF_CHECK(strlen(bars) < cap);
    (void)kz_theme_check(s);
    (void)kz_code_check(s);
    (void)kz_status_name(kz_status_parse(s));
    (void)kz_template_skeleton(s);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kzf_init();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t block = (size & 1) ? KZ_RECORD_PAD : 64;
    unsigned char *pt;
    char *copy;

    open_as_blob(data, size, block);
    unpad(data, size, block);
    unpad(data, size, 1 + size % 300);
    pt = seal_roundtrip(data, size, block);
    json_views((const char *)pt, size);
    session_body((const char *)pt, size);
    head(pt, size);
    copy = kzf_strndup(pt, size);
    dates(copy);
    search(copy, size);
    misc(pt, size, copy);
    couple(copy);
    free(copy);
    kz_plain_free(pt, size, 0);
    return 0;
}
