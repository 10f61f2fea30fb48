/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pwquality.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

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

int
kz_ui_check_passphrase(const char *pass, struct kz_err *err)
{
    pwquality_settings_t *pwq;
    void *aux = NULL;
    size_t chars = 0;
    const char *p;
    char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
    int score, rc = KZ_OK;

    for (p = pass; *p != '\0'; p++) {
        if ((*p & 0xc0) != 0x80) /* count UTF-8 characters, not bytes */
            chars++;
    }
    if (chars < PASSPHRASE_MIN)
        return kz_fail(err, KZ_EUSAGE,
                       "passphrase too short: %zu characters, at least %d needed "
                       "(a few unrelated words work well)",
                       chars, PASSPHRASE_MIN);
    pwq = pwquality_default_settings();
    if (pwq == NULL)
        return KZ_OK; /* the length rule still holds */
    pwquality_read_config(pwq, NULL, NULL);
    pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, PASSPHRASE_MIN);
    score = pwquality_check(pwq, pass, NULL, NULL, &aux);
    if (score < 0)
        rc = kz_fail(err, KZ_EUSAGE, "passphrase too weak: %s",
                     pwquality_strerror(buf, sizeof(buf), score, aux));
    pwquality_free_settings(pwq);
    return rc;
}
