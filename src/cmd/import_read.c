/* SPDX-License-Identifier: GPL-3.0-or-later */
/* import's reader: the file (plain or age) into memory, and its text made
 * harmless for the terminal. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/age.h"
#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "export_cmd.h"

#define IMPORT_MAX (64 * 1024 * 1024)

struct sinkbuf {
    struct kz_buf b;
};

static int
sink_mem(void *ctx, const void *buf, size_t len)
{
    struct sinkbuf *s = ctx;

    if (s->b.len + len > IMPORT_MAX)
        return -1;
    kz_buf_addn(&s->b, buf, len);
    return 0;
}

/* An age file of IMPORT_MAX of plaintext, armored (4/3), with room for its
 * header. */
#define IMPORT_RAW_MAX (IMPORT_MAX / 3 * 4 + 1024 * 1024)

int
kz_import_read(struct kz_state *st, const char *path, const char *identity,
               const char *passfile, const char *max_work, struct kz_buf *out,
               struct kz_err *err)
{
    struct kz_age_identity *ids = NULL;
    struct sinkbuf s = {{NULL, 0, 0}};
    struct kz_cmd_agein ai = {-1, NULL, 0, 0, 0, 0};
    struct kz_buf raw = {NULL, 0, 0};
    size_t nids = 0, i = 0;
    const char *head;
    int rc, status = 0;

    /* The whole file first: a pipe cannot be read twice (the type is told by
     * its first bytes), and it is read with the change let go. */
    if ((rc = kz_cmd_read_input(st, path, IMPORT_RAW_MAX, &raw, err)) != KZ_OK)
        goto out; /* also too large even for an armored age file (86 MiB) */
    head = kz_buf_str(&raw);
    /* Armor may follow blank lines (LF or CRLF), as age and backup verify
     * accept: up to 1 KiB of whitespace. */
    while (i < raw.len && i < 1024 &&
           (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if ((raw.len >= 18 && memcmp(head, "age-encryption.org", 18) == 0) ||
        (raw.len - i >= 14 && memcmp(head + i, "-----BEGIN AGE", 14) == 0)) {
        ai.buf = (unsigned char *)raw.p; /* read from memory; agein_free frees it */
        ai.len = raw.len;
        ai.cap = raw.cap;
        raw.p = NULL;
        raw.len = raw.cap = 0;
        if ((rc = kz_cmd_age_needs(st, path, &ai, identity, passfile, &status, err)) != KZ_OK ||
            (rc = kz_cmd_identities(st, identity, passfile, max_work, &ids, &nids, err)) !=
                KZ_OK)
            goto out;
        rc = kz_age_decrypt(kz_cmd_agein_read, &ai, ids, nids, sink_mem, &s, &status, err);
        if (rc != KZ_OK) {
            rc = kz_cmd_age_limit(path, status, err);
            goto out;
        }
        *out = s.b;
        s.b.p = NULL;
    } else if (raw.len > IMPORT_MAX) {
        rc = kz_fail(err, KZ_EUSAGE, "%s is larger than 64 MiB", path);
        goto out;
    } else {
        *out = raw;
        raw.p = NULL;
    }
    rc = KZ_OK;
out:
    kz_buf_free(&raw);
    kz_buf_free(&s.b);
    kz_cmd_identities_free(ids, nids);
    kz_cmd_agein_free(&ai);
    return rc;
}

/* 1 for a byte that starts a terminal control: C0 (but tab and newline), DEL,
 * and the UTF-8 lead of C1 (U+0080-U+009F, 0xC2 0x80-0x9F). */
static int
control_at(const unsigned char *s)
{
    return (*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f ||
           (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f);
}

/* A copy of s (len bytes) with terminal controls dropped (CR) or made U+FFFD;
 * NULL if s holds none. *outlen gets the copy's length. */
static char *
defang_text(const char *s, size_t len, size_t *outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out;
    size_t i, k = 0;

    for (i = 0; i < len && !control_at(u + i); i++)
        ;
    if (i == len)
        return NULL;
    out = kz_xmalloc(3 * len + 1);
    for (i = 0; i < len; i++) {
        if (!control_at(u + i)) {
            out[k++] = s[i];
            continue;
        }
        if (u[i] == 0xc2)
            i++; /* the C1 character's second byte */
        if (u[i] != '\r') {
            memcpy(out + k, "\xef\xbf\xbd", 3);
            k += 3;
        }
    }
    out[k] = '\0';
    *outlen = k;
    return out;
}

/* An export is someone else's file: its text must not drive the terminal when
 * kizuna shows it (ESC sequences rewrite the screen, set the title, or write
 * the clipboard). Drops CR and replaces the other controls, in every string
 * and key of v. */
void
kz_import_defang(json_t *v)
{
    const char *key;
    json_t *e, *renamed;
    size_t i, len = 0;
    char *clean;

    if (json_is_string(v)) {
        clean = defang_text(json_string_value(v), json_string_length(v), &len);
        if (clean != NULL) {
            json_string_setn(v, clean, len);
            sodium_memzero(clean, len); /* clients' words */
            free(clean);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
            kz_import_defang(e);
    } else if (json_is_object(v)) {
        /* Keys are changed after the walk: an object must not change under it. */
        renamed = json_object();
        json_object_foreach(v, key, e) {
            kz_import_defang(e);
            if ((clean = defang_text(key, strlen(key), &len)) != NULL) {
                json_object_set_new(renamed, key, json_string(clean));
                sodium_memzero(clean, len);
                free(clean);
            }
        }
        json_object_foreach(renamed, key, e) {
            json_t *val = json_incref(json_object_get(v, key));
            json_object_del(v, key);
            json_object_set_new(v, json_string_value(e), val);
        }
        json_decref(renamed);
    }
}
