/* SPDX-License-Identifier: GPL-3.0-or-later */
/* import's reader: the file (plain or age) into memory, and its text made
 * harmless for the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int
kz_import_read(struct kz_state *st, const char *path, const char *identity,
               const char *passfile, const char *max_work, struct kz_buf *out,
               struct kz_err *err)
{
    struct kz_age_identity *ids = NULL;
    struct sinkbuf s = {{NULL, 0, 0}};
    struct kz_cmd_agein ai = {-1, NULL, 0, 0, 0, 1};
    size_t nids = 0, i = 0;
    char head[1100];
    ssize_t n;
    int fd, rc, status = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", path,
                       strerror(errno));
    n = read(fd, head, sizeof(head));
    lseek(fd, 0, SEEK_SET);
    /* Armor may follow blank lines (LF or CRLF), as age and backup verify
     * accept: up to 1 KiB of whitespace. */
    while (n > 0 && i < (size_t)n && i < 1024 &&
           (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if ((n >= 18 && memcmp(head, "age-encryption.org", 18) == 0) ||
        (n > 0 && (size_t)n - i >= 14 && memcmp(head + i, "-----BEGIN AGE", 14) == 0)) {
        ai.fd = fd;
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
    } else {
        char chunk[65536];
        while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
            if (out->len + (size_t)n > IMPORT_MAX) {
                rc = kz_fail(err, KZ_EUSAGE, "%s is larger than 64 MiB", path);
                goto out;
            }
            kz_buf_addn(out, chunk, (size_t)n);
        }
        sodium_memzero(chunk, sizeof(chunk));
        if (n < 0) {
            rc = kz_fail(err, KZ_ERR, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
    }
    rc = KZ_OK;
out:
    kz_buf_free(&s.b);
    kz_cmd_identities_free(ids, nids);
    kz_cmd_agein_free(&ai);
    close(fd);
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
