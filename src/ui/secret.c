/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pwquality.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <zxcvbn.h>

#include "kizuna/secmem.h"
#include "kizuna/ui.h"

#define SECRET_MAX 1024
#define PASSPHRASE_MIN 12

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void
tty_write(int fd, const char *s)
{
    size_t n = strlen(s);

    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Reads one line from fd into secure memory, byte by byte (so nothing past the
 * line is consumed from a shared descriptor). stop_on_signal: a SIGINT ends it. */
static int
read_line(int fd, char **out, size_t *len, int stop_on_signal, const char *what,
          struct kz_err *err)
{
    char *buf = kz_secure_alloc(SECRET_MAX + 1);
    size_t n = 0;
    int rc = KZ_OK, got_any = 0;
    char c;

    for (;;) {
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) {
            if (stop_on_signal && interrupted) {
                rc = kz_fail(err, KZ_EAUTH, "cancelled");
                goto out;
            }
            continue;
        }
        if (r < 0) {
            rc = kz_fail(err, KZ_ERR, "cannot read %s: %s", what, strerror(errno));
            goto out;
        }
        if (r == 0 || c == '\n')
            break;
        got_any = 1;
        if (n == SECRET_MAX) {
            rc = kz_fail(err, KZ_EUSAGE, "%s is longer than %d bytes", what, SECRET_MAX);
            goto out;
        }
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (!got_any && n == 0) {
        rc = kz_fail(err, KZ_EAUTH, "%s is empty", what);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    kz_secure_free(buf);
    return rc;
}

int
kz_ui_read_secret_tty(const char *prompt, char **out, size_t *len, struct kz_err *err)
{
    struct termios old, quiet;
    struct sigaction sa, old_int;
    int fd, rc, have_term;

    *out = NULL;
    *len = 0;
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return kz_fail(err, KZ_EAUTH, "no terminal to ask for the passphrase "
                                      "(use --passphrase-fd or --passphrase-file)");
    have_term = tcgetattr(fd, &old) == 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint; /* no SA_RESTART: read() returns EINTR */
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    if (have_term) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        quiet.c_lflag |= ICANON | ISIG;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    tty_write(fd, prompt);
    rc = read_line(fd, out, len, 1, "the passphrase", err);
    if (have_term)
        tcsetattr(fd, TCSAFLUSH, &old);
    tty_write(fd, "\n");
    sigaction(SIGINT, &old_int, NULL);
    close(fd);
    return rc;
}

int
kz_ui_read_secret_fd(int fd, char **out, size_t *len, struct kz_err *err)
{
    *out = NULL;
    *len = 0;
    return read_line(fd, out, len, 0, "the passphrase", err);
}

int
kz_ui_read_secret_file(const char *path, char **out, size_t *len, struct kz_err *err)
{
    int fd, rc;

    *out = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", path,
                       strerror(errno));
    rc = read_line(fd, out, len, 0, path, err);
    close(fd);
    return rc;
}

int
kz_ui_confirm(const char *question)
{
    char answer[16];
    size_t n = 0;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    char c;

    if (fd < 0)
        return 0;
    tty_write(fd, question);
    tty_write(fd, " [y/N] ");
    while (read(fd, &c, 1) == 1 && c != '\n') {
        if (n < sizeof(answer) - 1)
            answer[n++] = c;
    }
    answer[n] = '\0';
    close(fd);
    return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0;
}

/* What zxcvbn found in a weak passphrase, in plain words: the kinds of
 * pattern that cover most of it, longest first (at most two). */
static void
zxcvbn_reason(const ZxcMatch_t *info, char *buf, size_t size)
{
    static const char *const kinds[] = {
        [BRUTE_MATCH] = NULL,
        [DICTIONARY_MATCH] = "common words or passwords",
        [DICT_LEET_MATCH] = "common words with digits or signs for letters",
        [USER_MATCH] = "the name kizuna",
        [USER_LEET_MATCH] = "the name kizuna",
        [REPEATS_MATCH] = "repeated characters",
        [SEQUENCE_MATCH] = "letters or digits in order (abcd, 1234)",
        [SPATIAL_MATCH] = "neighbouring keys on the keyboard (qwertz)",
        [DATE_MATCH] = "a date",
        [YEAR_MATCH] = "a year",
    };
    int cover[sizeof(kinds) / sizeof(kinds[0])] = {0}, repeated = 0, best, second, k;
    const ZxcMatch_t *m;

    for (m = info; m != NULL; m = m->Next) {
        k = (int)(m->Type & ~MULTIPLE_MATCH);
        if (m->Type & MULTIPLE_MATCH)
            repeated = 1;
        if (k > 0 && k < (int)(sizeof(kinds) / sizeof(kinds[0])) && kinds[k] != NULL)
            cover[k] += m->Length;
    }
    best = second = 0;
    for (k = 1; k < (int)(sizeof(cover) / sizeof(cover[0])); k++) {
        if (cover[k] == 0 || (k == USER_LEET_MATCH && cover[USER_MATCH] > 0))
            continue;
        if (best == 0 || cover[k] > cover[best]) {
            second = best;
            best = k;
        } else if (second == 0 || cover[k] > cover[second]) {
            second = k;
        }
    }
    if (best == 0)
        snprintf(buf, size, "it is short for what it is made of");
    else if (second != 0)
        snprintf(buf, size, "it %sis built on %s and %s", repeated ? "repeats itself and " : "",
                 kinds[best], kinds[second]);
    else
        snprintf(buf, size, "it %sis built on %s", repeated ? "repeats itself and " : "",
                 kinds[best]);
}

/* libpwquality's verdict in plain words (its own wording is for system
 * passwords and names settings), or NULL when it has nothing against pass. */
static const char *
pwquality_reason(const char *pass)
{
    pwquality_settings_t *pwq = pwquality_default_settings();
    const char *why = NULL;
    void *aux = NULL;
    int score;

    if (pwq == NULL)
        return NULL;
    pwquality_read_config(pwq, NULL, NULL);
    pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, PASSPHRASE_MIN);
    score = pwquality_check(pwq, pass, NULL, NULL, &aux);
    free(aux); /* a copy of a word for the message, when there is one */
    pwquality_free_settings(pwq);
    switch (score) {
    case PWQ_ERROR_CRACKLIB_CHECK:
        why = "it is too close to a word in the system's dictionary of common passwords";
        break;
    case PWQ_ERROR_PALINDROME:
        why = "it reads the same backwards";
        break;
    case PWQ_ERROR_MAX_CONSECUTIVE:
    case PWQ_ERROR_MAX_CLASS_REPEAT:
    case PWQ_ERROR_MAX_SEQUENCE:
        why = "it repeats a character or a run of characters too often";
        break;
    case PWQ_ERROR_USER_CHECK:
    case PWQ_ERROR_GECOS_CHECK:
        why = "it holds your user name or your name";
        break;
    case PWQ_ERROR_BAD_WORDS:
        why = "it holds a word this computer's policy forbids";
        break;
    case PWQ_ERROR_MIN_DIGITS:
    case PWQ_ERROR_MIN_UPPERS:
    case PWQ_ERROR_MIN_LOWERS:
    case PWQ_ERROR_MIN_OTHERS:
    case PWQ_ERROR_MIN_CLASSES:
        why = "this computer's policy (/etc/security/pwquality.conf) wants more kinds of "
              "characters in it";
        break;
    case PWQ_ERROR_MIN_LENGTH:
        why = "this computer's policy (/etc/security/pwquality.conf) wants it longer";
        break;
    default:
        if (score < 0 && score != PWQ_ERROR_CFGFILE_OPEN && score != PWQ_ERROR_MEM_ALLOC &&
            score != PWQ_ERROR_FATAL_FAILURE)
            why = "this computer's password policy refuses it";
        break;
    }
    return why;
}

#define SUGGEST "Try four or more unrelated words picked at random, such as " \
                "'spoon meadow tax glacier' (not these)."

int
kz_ui_confirm_yes(const char *question)
{
    char answer[16];
    size_t n = 0;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), ended = 0;
    char c;

    if (fd < 0)
        return 0;
    tty_write(fd, question);
    tty_write(fd, " [Y/n] ");
    while (read(fd, &c, 1) == 1) {
        if (c == '\n') {
            ended = 1; /* Enter: the default, unless something else was typed */
            break;
        }
        if (n < sizeof(answer) - 1)
            answer[n++] = c;
    }
    answer[n] = '\0';
    if (!ended)
        tty_write(fd, "\n"); /* Ctrl-C or end of input: no */
    close(fd);
    return ended && (n == 0 || strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 ||
                     strcmp(answer, "yes") == 0);
}

int
kz_ui_check_passphrase(const char *pass, struct kz_err *err)
{
    static const char *user_dict[] = {"kizuna", NULL};
    ZxcMatch_t *info = NULL;
    size_t chars = 0;
    const char *p, *why;
    char reason[192];
    double bits;

    for (p = pass; *p != '\0'; p++) {
        if ((*p & 0xc0) != 0x80) /* count UTF-8 characters, not bytes */
            chars++;
    }
    if (chars < PASSPHRASE_MIN)
        return kz_fail(err, KZ_EUSAGE,
                       "passphrase too short: %zu characters, at least %d needed. " SUGGEST,
                       chars, PASSPHRASE_MIN);
    bits = ZxcvbnMatch(pass, user_dict, &info);
    if (bits < KZ_PASSPHRASE_MIN_BITS) {
        zxcvbn_reason(info, reason, sizeof(reason));
        ZxcvbnFreeInfo(info);
        return kz_fail(err, KZ_EUSAGE,
                       "passphrase too weak: too easy to guess (about %d bit%s; kizuna needs %d): "
                       "%s. " SUGGEST,
                       (int)bits, (int)bits == 1 ? "" : "s", KZ_PASSPHRASE_MIN_BITS, reason);
    }
    ZxcvbnFreeInfo(info);
    if ((why = pwquality_reason(pass)) != NULL)
        return kz_fail(err, KZ_EUSAGE, "passphrase too weak: %s. " SUGGEST, why);
    return KZ_OK;
}
