/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pager: output held while a command runs (kz_ui_hold, kz_ui_release) and,
 * when longer than the screen, shown through $PAGER or less. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"
#include "uiint.h"

#define PAGER_ARGS 32
/* While an idle limit applies: how often the terminal's last key is looked at. */
#define PAGER_TICK_MS 250

/* Splits cmd (modified) at blanks into argv (NULL-terminated); returns argc.
 * No quotes and no shell: "less -R", "most", "bat --paging=always" as they are. */
static int
split_blanks(char *cmd, char **argv, int max)
{
    int argc = 0;
    char *p = cmd;

    while (*p != '\0' && argc < max - 1) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (*p == '\0')
            break;
        argv[argc++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
    }
    argv[argc] = NULL;
    return argc;
}

/* The child: stdin from the pipe, the default signal actions (an ignored
 * signal stays ignored across exec), the environment that keeps less from
 * writing (no history file; secure mode: no log file, no shell escapes, no
 * editor, no input preprocessor; LESSOPEN/LESSCLOSE unset all the same), then
 * the pager. On failure the errno goes back through report. */
static void
run_child(int in, int report, char **argv)
{
    sigset_t none;
    int e;

    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(in, STDIN_FILENO) < 0) {
        e = errno;
        goto fail;
    }
    if (setenv("LESSSECURE", "1", 1) != 0 || setenv("LESSHISTFILE", "-", 1) != 0) {
        e = errno;
        goto fail;
    }
    unsetenv("LESSOPEN");
    unsetenv("LESSCLOSE");
    execvp(argv[0], argv);
    e = errno;
fail:
    if (write(report, &e, sizeof(e)) < 0) {
        /* nothing more to say */
    }
    _exit(127);
}

/* Ends a pager left idle: SIGTERM (less puts the terminal back), SIGKILL if
 * it is still there a second later; then the terminal's modes as before. */
static void
end_idle_pager(pid_t pid, const struct termios *modes, int have_modes)
{
    int status, i;

    kill(pid, SIGTERM);
    for (i = 0; i < 1000 / PAGER_TICK_MS * 4; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        poll(NULL, 0, PAGER_TICK_MS / 4);
    }
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (have_modes)
        tcsetattr(STDIN_FILENO, TCSANOW, modes);
}

/* Writes text to the pager as it reads it and waits for the pager to end;
 * with an idle limit, looks at the terminal every tick and ends the pager
 * once no key came for that long. *fd is closed (and -1) when done. */
static void
feed_and_wait(struct kz_ui *ui, pid_t pid, int *fd, const char *text, size_t len)
{
    int limit = ui->idle_limit != NULL ? ui->idle_limit(ui->idle_ctx) : 0, status, have_modes;
    struct timespec t0;
    struct termios modes;
    size_t off = 0;
    pid_t w;

    clock_gettime(CLOCK_REALTIME, &t0);
    have_modes = limit > 0 && tcgetattr(STDIN_FILENO, &modes) == 0;
    if (limit > 0)
        fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
    for (;;) {
        if (*fd >= 0 && off < len) {
            struct pollfd p = {*fd, POLLOUT, 0};
            ssize_t n = 0;
            if (poll(&p, 1, limit > 0 ? PAGER_TICK_MS : -1) > 0) {
                if (p.revents & POLLOUT) {
                    n = write(*fd, text + off, len - off);
                } else {
                    errno = EPIPE; /* POLLERR: the reader has gone */
                    n = -1;
                }
                if (n > 0)
                    off += (size_t)n;
            }
            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                close(*fd); /* EPIPE: the reader has gone (q) */
                *fd = -1;
            }
        } else if (*fd >= 0) {
            close(*fd);
            *fd = -1;
        } else if (limit <= 0) {
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            return;
        } else {
            poll(NULL, 0, PAGER_TICK_MS);
        }
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (limit > 0 && kz_ui_idle_for(kz_ui_seconds(&t0)) >= limit) {
            end_idle_pager(pid, &modes, have_modes);
            ui->idle_expired = 1;
            break;
        }
    }
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Long (about 80 lines): the signal dispositions set before the fork must
 * be put back on every way out, so setup, write and wait stay together. */
int
kz_ui_page(struct kz_ui *ui, const char *text, size_t len)
{
    const char *env = getenv("PAGER");
    struct sigaction ign, old_int, old_quit, old_pipe;
    char *cmd, *argv[PAGER_ARGS];
    int data[2] = {-1, -1}, report[2] = {-1, -1}, e = 0, status, rc = -1;
    ssize_t n;
    pid_t pid;

    if (env == NULL || *env == '\0')
        env = "less -R";
    cmd = kz_xstrdup(env);
    if (split_blanks(cmd, argv, PAGER_ARGS) == 0) {
        kz_ui_warn(ui, "PAGER is blank; printing directly");
        free(cmd);
        return -1;
    }
    if (pipe2(data, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
        kz_ui_warn(ui, "cannot start the pager: %s; printing directly", strerror(errno));
        goto out;
    }
    /* Ctrl-C and Ctrl-\ reach the whole foreground group: while the pager
     * runs they are its own (less redraws, a plain pager may end), never the
     * end of kizuna. A pager that quits before reading everything (q) closes
     * the pipe: write then fails with EPIPE instead of killing kizuna. */
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGPIPE, &ign, &old_pipe);
    fflush(NULL);
    pid = fork();
    if (pid == 0)
        run_child(data[0], report[1], argv);
    close(data[0]);
    close(report[1]);
    data[0] = report[1] = -1;
    if (pid < 0) {
        kz_ui_warn(ui, "cannot start the pager: %s; printing directly", strerror(errno));
        goto restore;
    }
    while ((n = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof(e)) {
        /* exec failed: nothing was shown */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        kz_ui_warn(ui,
                   "cannot start the pager '%s': %s; printing directly (PAGER, or "
                   "--no-pager / 'config set pager off')",
                   argv[0], strerror(e));
        goto restore;
    }
    feed_and_wait(ui, pid, &data[1], text, len);
    rc = 0;
restore:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
out:
    if (data[0] >= 0)
        close(data[0]);
    if (data[1] >= 0)
        close(data[1]);
    if (report[0] >= 0)
        close(report[0]);
    if (report[1] >= 0)
        close(report[1]);
    free(cmd);
    return rc;
}

static ssize_t
held_write(void *cookie, const char *data, size_t len)
{
    kz_buf_addn(cookie, data, len);
    return (ssize_t)len;
}

void
kz_ui_hold(struct kz_ui *ui)
{
    static const cookie_io_functions_t io = {NULL, held_write, NULL, NULL};
    struct kz_buf *b;
    FILE *f;

    if (ui->held != NULL)
        return;
    b = kz_xcalloc(1, sizeof(*b));
    if ((f = fopencookie(b, "w", io)) == NULL)
        kz_die("out of memory");
    /* Unbuffered: the text goes straight to the wiping buffer, and no stdio
     * buffer is left holding a copy. */
    setvbuf(f, NULL, _IONBF, 0);
    ui->held = b;
    ui->real_out = ui->out;
    ui->out = f;
}

/* The terminal's rows (TIOCGWINSZ, else $LINES, else 24). */
static int
screen_rows(void)
{
    struct winsize ws;
    const char *env;
    long v;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    if ((env = getenv("LINES")) != NULL && (v = strtol(env, NULL, 10)) > 0 && v < 10000)
        return (int)v;
    return 24;
}

int
kz_ui_release(struct kz_ui *ui, int show)
{
    struct kz_buf *b = ui->held;
    int rc = 0;

    if (b == NULL)
        return 0;
    fclose(ui->out);
    ui->out = ui->real_out;
    ui->real_out = NULL;
    ui->held = NULL;
    if (show && b->len > 0 && ui->page && !ui->no_pager && !ui->dumb && isatty(fileno(ui->out)) &&
        kz_ui_rows(b->p, b->len, kz_ui_columns()) >= (size_t)screen_rows()) {
        fflush(ui->out);
        if (kz_ui_page(ui, b->p, b->len) == 0)
            show = 0; /* shown */
    }
    if (show && b->len > 0) {
        rc = fwrite(b->p, 1, b->len, ui->out) == b->len ? 0 : -1;
        if (fflush(ui->out) != 0)
            rc = -1;
    }
    kz_buf_free(b); /* wiped */
    free(b);
    return rc;
}
