/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Custodian shares as people hold them: the printable sheet, a share read
 * back from a sheet file or typed from one, and the unlock with them. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kizuna/secmem.h"
#include "kizuna/shamir.h"
#include "cmds.h"

#define SHEET_FILE_MAX 32768

static void
add(char *out, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends to out (size bytes, secure memory), truncating at its end. */
static void
add(char *out, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*len + 1 >= size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(out + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = (size_t)n < size - *len ? *len + (size_t)n : size - 1;
}

void
kz_cmd_share_date(long long t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, size, "?");
}

int
kz_cmd_share_sheet(const struct kz_share *s, long long created, const char *qr, char *out,
                   size_t size)
{
    char vid[2 * 16 + 1], setup[2 * KZ_SHARE_SETUP_ID + 1], date[16];
    char lines[KZ_SHARE_LINES_SIZE];
    size_t len = 0;

    if (size == 0 || kz_share_encode_lines(s, lines, sizeof(lines)) != 0)
        return -1;
    out[0] = '\0';
    kz_hex(s->vault_id, sizeof(s->vault_id), vid);
    kz_hex(s->setup_id, sizeof(s->setup_id), setup);
    kz_cmd_share_date(created, date, sizeof(date));
    add(out, size, &len,
        "KIZUNA - CUSTODIAN SHARE (emergency access to a therapist's session notes)\n"
        "==========================================================================\n\n"
        "Vault     %.8s  (full id %s)\n"
        "Share     %u of %u, any %u open the vault\n"
        "Setup     %s\n"
        "Made      %s\n\n"
        "The share (type it exactly; each group of 5 ends in a check character):\n\n%s\n",
        vid, vid, s->x, s->n, s->k, setup, date, lines);
    if (qr != NULL)
        add(out, size, &len, "The same share as a QR code (it is the share: keep it as "
                             "sealed as the text):\n\n%s\n", qr);
    else
        add(out, size, &len, "(No QR code: this kizuna was built without one; type the share.)\n\n");
    add(out, size, &len,
        "What this is\n"
        "  The therapist named you as a custodian in their professional will: if they die\n"
        "  or cannot work, the custodians together can reach the session notes, tell the\n"
        "  clients and hand the records on. Alone this sheet reveals nothing at all;\n"
        "  any %u of the %u sheets together open the vault, and with it every record.\n\n"
        "Keep it\n"
        "  Sealed in an envelope, somewhere safe, apart from the other sheets. Do not copy\n"
        "  or photograph it. Do not open the envelope unless it is needed.\n\n"
        "Use it (only when the records must be reached)\n"
        "  Meet %u custodians at the computer that holds the vault, then run\n"
        "      kizuna unlock --shares\n"
        "  and type each share when asked (a mistyped group is named and asked again),\n"
        "  or with each sheet (or the share's text, or what its QR code reads) in a file:\n"
        "      kizuna --share-file A --share-file B ... unlock\n"
        "  kizuna then asks you to set a new passphrase.\n\n"
        "What is logged\n"
        "  The opening is written to the vault's audit trail (when, which share numbers;\n"
        "  never the shares) and the therapist's 'doctor' reports it until they\n"
        "  acknowledge it. After 'custodian revoke' or a new setup this sheet opens\n"
        "  nothing any more: then shred it.\n",
        s->k, s->n, s->k);
    sodium_memzero(lines, sizeof(lines));
    return len + 1 < size ? 0 : -1;
}

/* The share in a sheet file's text: its numbered lines ("1: GGGGG ..."), else
 * the first line that is not empty (a share's one-line text). In place. */
static void
share_text_of(char *text)
{
    char *src = text, *dst = text, *line, *nl;
    int numbered = 0;

    for (line = src; *line != '\0'; line = nl != NULL ? nl + 1 : line + strlen(line)) {
        const char *p = line;
        nl = strchr(line, '\n');
        while (*p == ' ')
            p++;
        if (p[0] >= '1' && p[0] <= '9' && p[1] == ':' && (p[2] == ' ' || p[2] == '\t'))
            numbered = 1;
    }
    for (line = src; *line != '\0'; line = nl != NULL ? nl + 1 : line + strlen(line)) {
        const char *p = line;
        size_t n;
        nl = strchr(line, '\n');
        n = nl != NULL ? (size_t)(nl - line) : strlen(line);
        while (*p == ' ')
            p++;
        if (numbered ? !(p[0] >= '1' && p[0] <= '9' && p[1] == ':' &&
                         (p[2] == ' ' || p[2] == '\t'))
                     : n == 0)
            continue;
        memmove(dst, line, n);
        dst += n;
        *dst++ = ' ';
        if (!numbered)
            break;
    }
    *dst = '\0';
}

/* Reads the share in file (a sheet, or the share's text) into s. */
static int
share_from_file(const char *file, struct kz_share *s, struct kz_err *err)
{
    char *buf = kz_secure_alloc(SHEET_FILE_MAX + 1);
    size_t n = 0;
    ssize_t r;
    int fd = open(file, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0) {
        kz_secure_free(buf);
        return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", file,
                       strerror(errno));
    }
    while (n < SHEET_FILE_MAX && (r = read(fd, buf + n, SHEET_FILE_MAX - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    share_text_of(buf);
    rc = kz_share_decode(buf, s, err);
    if (rc != KZ_OK) {
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        kz_fail(err, rc, "%s: %s", file, why);
    }
    kz_secure_free(buf);
    return rc;
}

/* Asks for shares on the terminal until need of them are in: each decoded as
 * typed, a mistyped one named and asked again (three tries each). */
static int
shares_from_terminal(struct kz_state *st, unsigned need, unsigned n, struct kz_share *s,
                     size_t *count, struct kz_err *err)
{
    char prompt[96], *text = NULL;
    size_t len = 0;
    int rc = KZ_OK, tries;

    kz_ui_say(&st->ui, "Custodian shares: %u of the %u are needed. Type each share as on its "
                       "sheet (spaces and line numbers may be left out).\n",
              need, n);
    for (*count = 0; *count < need; (*count)++) {
        for (tries = 0; tries < 3; tries++) {
            snprintf(prompt, sizeof(prompt), "Share %zu of %u%s: ", *count + 1, need,
                     tries > 0 ? " (again)" : "");
            if ((rc = kz_ui_read_text_tty(prompt, &text, &len, err)) != KZ_OK)
                return rc;
            rc = kz_share_decode(text, &s[*count], err);
            kz_secure_free(text);
            text = NULL;
            if (rc != KZ_EUSAGE)
                break;
            if (tries + 1 < 3)
                kz_ui_error(&st->ui, err);
        }
        if (rc != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

void
kz_cmd_shares_how(const struct kz_share *s, size_t count, char *how, size_t size)
{
    size_t i, len = 0;

    add(how, size, &len, "custodian shares");
    for (i = 0; i < count; i++)
        add(how, size, &len, "%s%u", i == 0 ? " " : ", ", s[i].x);
}

int
kz_cmd_read_shares(struct kz_state *st, struct kz_share *s, size_t *count, struct kz_err *err)
{
    struct kz_custodian_info ci;
    int rc = KZ_OK, i;

    *count = 0;
    if (st->nshare_files > 0) {
        for (i = 0; i < st->nshare_files && rc == KZ_OK; i++)
            rc = share_from_file(st->share_files[i], &s[(*count)++], err);
        return rc;
    }
    if (!st->interactive && !kz_ui_have_terminal())
        return kz_fail(err, KZ_EAUTH, "no terminal to ask for the shares (use --share-file, "
                                      "once per share)");
    if ((rc = kz_vault_custodian_info(st->vault, &ci, err)) != KZ_OK)
        return rc;
    if (!ci.present)
        return kz_fail(err, KZ_EAUTH, "this vault has no custodian setup (revoked, or never "
                                      "made): shares open nothing");
    return shares_from_terminal(st, ci.k, ci.n, s, count, err);
}
