/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwquality.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <zxcvbn.h>

#include "kizuna/secmem.h"
#include "kizuna/ui.h"
#include "uiint.h"

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

/* The last question on the terminal was ended by Ctrl-C (kz_ui_interrupted). */
static int last_interrupted;

/*
 * A question on /dev/tty. SIGINT is blocked from the start and only let in
 * while ppoll() waits for a key: a Ctrl-C that comes just after the prompt
 * was drawn (before the read) still ends the wait, where a flag checked
 * before read() would miss it and leave the read waiting for good.
 */
struct tty_guard {
    int fd;
    int have_term;
    struct termios old;
    struct sigaction old_int;
    sigset_t old_mask, wait_mask;
};

static int
tty_open(struct tty_guard *g)
{
    struct sigaction sa;
    sigset_t block;

    memset(g, 0, sizeof(*g));
    g->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (g->fd < 0)
        return -1;
    g->have_term = tcgetattr(g->fd, &g->old) == 0;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &g->old_mask);
    g->wait_mask = g->old_mask;
    sigdelset(&g->wait_mask, SIGINT);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint; /* no SA_RESTART: ppoll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    last_interrupted = 0;
    sigaction(SIGINT, &sa, &g->old_int);
    return 0;
}

int
kz_ui_secret_askable(void)
{
    int fd;

    if (kz_ui_have_terminal())
        return 1;
    if (!isatty(STDERR_FILENO))
        return 0;
    if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
        return 0;
    close(fd);
    return 1;
}

static void
tty_close(struct tty_guard *g)
{
    if (g->fd < 0)
        return;
    if (g->have_term)
        tcsetattr(g->fd, TCSAFLUSH, &g->old);
    sigaction(SIGINT, &g->old_int, NULL);
    sigprocmask(SIG_SETMASK, &g->old_mask, NULL);
    last_interrupted = interrupted != 0;
    close(g->fd);
    g->fd = -1;
}

/* One byte from the terminal: 1, 0 at end of input, -1 with errno (EINTR:
 * Ctrl-C; ETIMEDOUT: nothing came within timeout, when one is given). */
static ssize_t
tty_read(struct tty_guard *g, char *c, const struct timespec *timeout)
{
    struct pollfd pfd;
    int n;

    for (;;) {
        pfd.fd = g->fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if ((n = ppoll(&pfd, 1, timeout, &g->wait_mask)) < 0) {
            if (errno == EINTR && !interrupted)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        return read(g->fd, c, 1);
    }
}

int
kz_ui_interrupted(void)
{
    return last_interrupted;
}

/* Reads one line from fd (or the terminal, g) into secure memory, byte by
 * byte (so nothing past the line is consumed from a shared descriptor). On
 * the terminal a Ctrl-C ends it: KZ_EAUTH "cancelled". */
static int
read_line(int fd, struct tty_guard *g, char **out, size_t *len, const char *what,
          struct kz_err *err)
{
    char *buf = kz_secure_alloc(SECRET_MAX + 1);
    size_t n = 0;
    int rc = KZ_OK, got_any = 0;
    char c;

    for (;;) {
        ssize_t r = g != NULL ? tty_read(g, &c, NULL) : read(fd, &c, 1);
        if (r < 0 && errno == EINTR) {
            if (g != NULL && interrupted) {
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
    struct termios quiet;
    struct tty_guard g;
    int rc;

    *out = NULL;
    *len = 0;
    if (tty_open(&g) != 0)
        return kz_fail(err, KZ_EAUTH, "no terminal to ask for the passphrase "
                                      "(use --passphrase-fd or --passphrase-file)");
    if (g.have_term) {
        quiet = g.old;
        quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        quiet.c_lflag |= ICANON | ISIG;
        tcsetattr(g.fd, TCSAFLUSH, &quiet);
    }
    tty_write(g.fd, prompt);
    rc = read_line(g.fd, &g, out, len, "the passphrase", err); /* (fd unused with g) */
    tty_write(g.fd, "\n");
    tty_close(&g);
    return rc;
}

int
kz_ui_read_text_tty(const char *prompt, char **out, size_t *len, struct kz_err *err)
{
    struct tty_guard g;
    int rc;

    *out = NULL;
    *len = 0;
    if (tty_open(&g) != 0)
        return kz_fail(err, KZ_EAUTH, "no terminal to ask on");
    tty_write(g.fd, prompt);
    rc = read_line(g.fd, &g, out, len, "the answer", err);
    tty_close(&g);
    return rc;
}

int
kz_ui_read_secret_fd(int fd, char **out, size_t *len, struct kz_err *err)
{
    *out = NULL;
    *len = 0;
    return read_line(fd, NULL, out, len, "the passphrase", err);
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
    rc = read_line(fd, NULL, out, len, path, err);
    close(fd);
    return rc;
}

static double
mono_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Asks question with hint ("[y/N]") and reads the answer: 1 and the answer in
 * buf when a line was typed, 0 on Ctrl-C, end of input or no terminal. A
 * question left limit seconds without an answer (0: never) is put away (what
 * was typed of the answer flushed, the screen and scrollback cleared): with
 * ui (the shell's idle hooks) the vault locks (ui->idle_relock) and the
 * question is asked again once it is unlocked, -1 when it was not; without,
 * -2. */
static int
ask(struct kz_ui *ui, int limit, const char *question, const char *hint, char *buf,
    size_t size)
{
    struct tty_guard g;
    struct timespec ts;
    double last, left;
    int ended, idle;
    size_t n;
    ssize_t r;
    char c;

    for (;;) {
        buf[0] = '\0';
        n = 0;
        ended = idle = 0;
        if (tty_open(&g) != 0)
            return 0;
        tty_write(g.fd, question);
        tty_write(g.fd, hint);
        last = mono_s();
        for (;;) {
            if (limit > 0) {
                left = last + limit - mono_s();
                left = left > 0 ? left : 0;
                ts.tv_sec = (time_t)left;
                ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
            }
            if ((r = tty_read(&g, &c, limit > 0 ? &ts : NULL)) != 1) {
                idle = r < 0 && errno == ETIMEDOUT;
                break;
            }
            last = mono_s();
            if (c == '\n') {
                ended = 1;
                break;
            }
            if (n < size - 1)
                buf[n++] = c;
        }
        buf[n] = '\0';
        if (!idle) {
            if (!ended)
                tty_write(g.fd, "\n"); /* Ctrl-C or end of input: the line is left clean */
            tty_close(&g);
            return ended;
        }
        /* Not answered: what was typed of a line is dropped (it would run
         * into the passphrase), the screen cleared, the vault locked. */
        tcflush(g.fd, TCIFLUSH);
        tty_write(g.fd, "\n" KZ_UI_CLEAR);
        tty_close(&g);
        if (ui == NULL || ui->idle_relock == NULL)
            return -2;
        ui->idle_relocked = 1;
        if (ui->idle_relock(ui->idle_ctx, limit,
                            "the question waits until the vault is unlocked (Ctrl-C answers "
                            "no)") != 0)
            return -1;
    }
}

/* ask() under ui's idle hooks when may_lock and ui has them, else without a
 * limit. */
static int
ask_idle(struct kz_ui *ui, int may_lock, const char *question, const char *hint, char *buf,
         size_t size)
{
    int hooks = may_lock && ui != NULL && ui->idle_limit != NULL && ui->idle_relock != NULL;

    return ask(hooks ? ui : NULL, hooks ? ui->idle_limit(ui->idle_ctx) : 0, question, hint, buf,
               size);
}

int
kz_ui_ask(struct kz_ui *ui, int may_lock, const char *question, const char *typed)
{
    char answer[64];
    int a = ask_idle(ui, may_lock, question, typed != NULL ? " " : " [y/N] ", answer,
                     sizeof(answer));

    if (a <= 0)
        return a;
    if (typed != NULL)
        return strcmp(answer, typed) == 0;
    return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0;
}

int
kz_ui_choose(struct kz_ui *ui, int may_lock, const char *question, const char *keys)
{
    char answer[64];
    const char *p;
    int a;

    for (;;) {
        if ((a = ask_idle(ui, may_lock, question, " ", answer, sizeof(answer))) <= 0)
            return a == -1 ? -1 : 0;
        for (p = answer; *p == ' '; p++)
            ;
        if (*p != '\0' && strchr(keys, tolower((unsigned char)*p)) != NULL)
            return tolower((unsigned char)*p);
    }
}

int
kz_ui_confirm(const char *question)
{
    return kz_ui_ask(NULL, 0, question, NULL) == 1;
}

int
kz_ui_confirm_yes(const char *question)
{
    return kz_ui_confirm_yes_within(question, 0) == 1;
}

int
kz_ui_confirm_yes_within(const char *question, int seconds)
{
    char answer[16];
    int a = ask(NULL, seconds, question, " [Y/n] ", answer, sizeof(answer));

    if (a < 0)
        return -1;
    return a == 1 && (answer[0] == '\0' || strcmp(answer, "y") == 0 ||
                      strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0);
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

/* Where cracklib's dictionary is when pwquality.conf names none: cracklib's
 * own default on Debian (cracklib-runtime, which libcrack2 only recommends). */
#define CRACKLIB_DICT "/var/cache/cracklib/cracklib_dict"

/* Whether cracklib can open its dictionary. Without it cracklib refuses every
 * password ("error loading dictionary") and prints the missing file's name on
 * stderr, so kizuna asks it nothing: zxcvbn's 50 bits still hold. */
static int
cracklib_dict_present(pwquality_settings_t *pwq)
{
    const char *dir = NULL;
    char file[4096];
    int n;

    if (pwquality_get_str_value(pwq, PWQ_SETTING_DICT_PATH, &dir) != 0 || dir == NULL ||
        *dir == '\0')
        dir = CRACKLIB_DICT;
    n = snprintf(file, sizeof(file), "%s.pwd", dir);
    return n > 0 && (size_t)n < sizeof(file) && access(file, R_OK) == 0;
}

/* cracklib's reason in kizuna's words. libpwquality passes on cracklib's own
 * static message; kizuna leaves LC_MESSAGES alone, so it is cracklib's
 * English, and a message not listed here is quoted as cracklib's. NULL when
 * cracklib could not read its dictionary: that is no verdict on pass. */
static const char *
cracklib_reason(const char *msg, char *buf, size_t size)
{
    if (msg == NULL)
        return "the system's password checker (cracklib) refuses it";
    if (strstr(msg, "error loading dictionary") != NULL)
        return NULL;
    if (strstr(msg, "dictionary word") != NULL)
        return "it is too close to a word in the system's dictionary of common passwords";
    if (strstr(msg, "simplistic/systematic") != NULL)
        return "it has too many characters next to one another in the alphabet or among the "
               "digits, as in 'abcd' or '9876'";
    if (strstr(msg, "DIFFERENT characters") != NULL)
        return "it is made of too few different characters";
    if (strstr(msg, "National Insurance") != NULL)
        return "it looks like a National Insurance number";
    if (strstr(msg, "username") != NULL || strstr(msg, "password entry") != NULL)
        return "it holds your user name or your name";
    if (strchr(msg, '\n') != NULL || strlen(msg) > 120)
        return "the system's password checker (cracklib) refuses it";
    snprintf(buf, size, "the system's password checker (cracklib) says %s", msg);
    return buf;
}

/* libpwquality's verdict in plain words (its own wording is for system
 * passwords and names settings), or NULL when it has nothing against pass.
 * buf holds the words when they are cracklib's. */
static const char *
pwquality_reason(const char *pass, char *buf, size_t size)
{
    pwquality_settings_t *pwq = pwquality_default_settings();
    const char *why = NULL;
    void *aux = NULL;
    int score;

    if (pwq == NULL)
        return NULL;
    pwquality_read_config(pwq, NULL, NULL);
    pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, PASSPHRASE_MIN);
    if (!cracklib_dict_present(pwq))
        pwquality_set_int_value(pwq, PWQ_SETTING_DICT_CHECK, 0);
    /* The auxiliary error is read only for cracklib's refusal, where it is
     * cracklib's static message; for other refusals it is a number cast to a
     * pointer. Never freed: freeing it aborted init and passwd on passphrases
     * such as "harbor lantern abcdefgh quiet". */
    score = pwquality_check(pwq, pass, NULL, NULL, &aux);
    pwquality_free_settings(pwq);
    switch (score) {
    case PWQ_ERROR_CRACKLIB_CHECK:
        why = cracklib_reason((const char *)aux, buf, size);
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
    if ((why = pwquality_reason(pass, reason, sizeof(reason))) != NULL)
        return kz_fail(err, KZ_EUSAGE, "passphrase too weak: %s. " SUGGEST, why);
    return KZ_OK;
}
