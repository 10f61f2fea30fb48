/* SPDX-License-Identifier: GPL-3.0-or-later */
/* $EDITOR on tmpfs, as `pass edit` does; inline entry ending with a lone ".". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/cleanup.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"
#include "uiint.h"

#define SHM "/dev/shm"
#define PREFIX "kizuna-edit-"
#define EDIT_MAX (4 * 1024 * 1024)
/* While the idle lock applies: how often the terminal's last key is looked at. */
#define EDIT_TICK_MS 250

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 if name is an executable in $PATH; its resolved path (links followed) in
 * real if given, which must hold PATH_MAX bytes (realpath). */
static int
in_path(const char *name, char *real, size_t size)
{
    const char *path = getenv("PATH"), *p, *end;
    char cand[4096];

    if (strchr(name, '/') != NULL) {
        if (access(name, X_OK) != 0)
            return 0;
        snprintf(cand, sizeof(cand), "%s", name);
        goto found;
    }
    for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = *end ? end + 1 : end) {
        end = strchr(p, ':');
        if (end == NULL)
            end = p + strlen(p);
        /* An empty entry is the current folder. */
        if ((size_t)snprintf(cand, sizeof(cand), "%.*s/%s", end > p ? (int)(end - p) : 1,
                             end > p ? p : ".", name) >= sizeof(cand))
            continue;
        if (access(cand, X_OK) == 0)
            goto found;
    }
    return 0;
found:
    if (real != NULL && realpath(cand, real) == NULL)
        snprintf(real, size, "%s", cand);
    return 1;
}

enum editor_kind { ED_OTHER, ED_VIM, ED_NANO };

/* Which editor the command runs: its first word, resolved through $PATH and
 * links (Debian's vi is often vim.basic or vim.tiny behind alternatives). */
static enum editor_kind
editor_kind(const char *cmd)
{
    char word[1024], real[PATH_MAX];
    const char *base;
    size_t n = strcspn(cmd, " \t");

    if (n == 0 || n >= sizeof(word))
        return ED_OTHER;
    memcpy(word, cmd, n);
    word[n] = '\0';
    if (!in_path(word, real, sizeof(real)))
        snprintf(real, sizeof(real), "%s", word);
    base = strrchr(real, '/') != NULL ? strrchr(real, '/') + 1 : real;
    if (strncmp(base, "vim", 3) == 0 || strncmp(base, "gvim", 4) == 0 ||
        strncmp(base, "rvim", 4) == 0 || strncmp(base, "nvim", 4) == 0)
        return ED_VIM;
    if (strcmp(base, "nano") == 0 || strcmp(base, "rnano") == 0)
        return ED_NANO;
    return ED_OTHER;
}

/* The command line the shell runs: the editor, the options that keep it from
 * writing the text elsewhere, the file ("$1"). vim and neovim: no viminfo or
 * shada (registers, search history), no swap, undo or backup file. nano:
 * restricted mode, which writes no history and no backup file. */
static const char *
editor_script(enum editor_kind kind)
{
    switch (kind) {
    case ED_VIM:
        return "exec $KIZUNA_EDITOR -i NONE -n -c 'set nobackup nowritebackup noundofile' "
               "\"$1\"";
    case ED_NANO:
        return "exec $KIZUNA_EDITOR -R \"$1\"";
    default:
        return "exec $KIZUNA_EDITOR \"$1\"";
    }
}

/* $VISUAL, else $EDITOR, else nano when installed, else vi. */
static const char *
choose_editor(void)
{
    const char *ed = getenv("VISUAL");

    if (ed == NULL || *ed == '\0')
        ed = getenv("EDITOR");
    if (ed == NULL || *ed == '\0')
        ed = in_path("nano", NULL, 0) ? "nano" : "vi";
    return ed;
}

/* The idle lock's hand on a running editor. */
struct idle {
    struct kz_ui *ui; /* NULL: no idle lock */
    int limit;        /* seconds without a key */
};

/* Escape sequences to the terminal the editor draws on (xterm's, which the
 * terminals kizuna meets honour; nothing when it is not a terminal). */
static void
to_terminal(const char *seq)
{
    if (isatty(STDOUT_FILENO))
        (void)write_all(STDOUT_FILENO, seq, strlen(seq));
}

/* The idle lock reaches the editor: it is stopped (SIGSTOP: no editor can
 * refuse it, and none writes its text anywhere on the way), its screen put
 * away (its terminal modes turned off, the main screen again, the terminal's
 * modes as kizuna had them) and the terminal cleared with its scrollback.
 * ui->idle_relock then locks and asks for the passphrase. On 0 the editor
 * comes back (its screen and application keys, its modes, SIGCONT, and
 * SIGWINCH so that it draws its text again; mouse, focus and paste reports
 * stay off, since an editor that had not asked for them would take them for
 * typing); otherwise it is killed, nothing of the text kept. Returns 0 when
 * it goes on, 1 when it ended (*status), -1 when it was ended here. */
static int
idle_lock_editor(pid_t pid, const struct idle *id, const struct termios *ours, int have_ours,
                 int *status)
{
    struct termios theirs;
    struct sigaction ign, old_tstp;
    int have_theirs, w, back;

    if (kill(pid, SIGSTOP) != 0)
        return 0; /* already gone: the next look finds its status */
    while ((w = waitpid(pid, status, WUNTRACED)) < 0 && errno == EINTR)
        ;
    if (w == pid && !WIFSTOPPED(*status))
        return 1; /* it ended on its own just before */
    have_theirs = tcgetattr(STDIN_FILENO, &theirs) == 0;
    /* What an editor turns on and the passphrase prompt must not have:
     * mouse and focus reports, bracketed paste and modifyOtherKeys (each
     * would put escape sequences into the passphrase), a hidden cursor,
     * colours, application keys; then its screen is left. */
    to_terminal("\033[m\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?1015l"
                "\033[?1004l\033[?2004l\033[>4;m\033[?1l\033>\033[?25h\033[?1049l");
    if (have_ours)
        tcsetattr(STDIN_FILENO, TCSANOW, ours);
    to_terminal(KZ_UI_CLEAR);
    id->ui->idle_relocked = 1;
    /* Ctrl-Z at the passphrase would stop kizuna with the editor, and the
     * login shell's fg would continue both: the editor would read the
     * passphrase as text. Ignored while asking (the editor, stopped already,
     * drops it at SIGCONT). */
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGTSTP, &ign, &old_tstp);
    back = id->ui->idle_relock(id->ui->idle_ctx, id->limit,
                               "the note being typed waits in the editor until the vault is "
                               "unlocked (Ctrl-C drops it)");
    sigaction(SIGTSTP, &old_tstp, NULL);
    if (back != 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
        return -1;
    }
    to_terminal("\033[?1049h\033[?1h\033=");
    if (have_theirs)
        tcsetattr(STDIN_FILENO, TCSANOW, &theirs);
    kill(pid, SIGCONT);
    kill(pid, SIGWINCH);
    return 0;
}

/* Waits for the editor to end. With an idle lock, looks at the terminal
 * every tick: once no key has come for the limit, idle_lock_editor. 0 when
 * it ended (*status), -1 when the idle lock ended it. */
static int
wait_editor(pid_t pid, const struct idle *id, const struct termios *ours, int have_ours,
            int *status)
{
    struct timespec t0;
    pid_t w;
    int r;

    if (id->ui == NULL || id->limit <= 0) {
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
        return 0;
    }
    clock_gettime(CLOCK_REALTIME, &t0);
    for (;;) {
        w = waitpid(pid, status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            return 0;
        if (kz_ui_idle_for(kz_ui_seconds(&t0)) >= id->limit) {
            if ((r = idle_lock_editor(pid, id, ours, have_ours, status)) != 0)
                return r > 0 ? 0 : -1;
            clock_gettime(CLOCK_REALTIME, &t0); /* back: the wait starts again */
        }
        poll(NULL, 0, EDIT_TICK_MS);
    }
}

/* Runs the editor on path; h is the file's cleanup entry, which learns the
 * editor's process so that a fatal signal kills it before the shred. */
static int
run_editor(const char *path, int h, const struct idle *id, struct kz_err *err)
{
    const char *ed = choose_editor();
    struct termios tty;
    sigset_t sigs, old;
    pid_t pid;
    int status = 0, have_tty = tcgetattr(STDIN_FILENO, &tty) == 0, ended = 0;

    /* Blocked from fork until the entry knows the process: a signal in
     * between would shred the file while the editor goes on writing it. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGQUIT);
    sigprocmask(SIG_BLOCK, &sigs, &old);
    pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        /* The editor may be a command with arguments ("code -w"): let sh split it. */
        setenv("KIZUNA_EDITOR", ed, 1);
        execl("/bin/sh", "sh", "-c", editor_script(editor_kind(ed)), "kizuna-editor", path,
              (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        kz_cleanup_child(h, pid, have_tty ? &tty : NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid > 0) {
        /* Ctrl-C and Ctrl-\ typed in the editor are the editor's: the cleanup
         * handler leaves those that come from the terminal. */
        ended = wait_editor(pid, id, &tty, have_tty, &status);
        kz_cleanup_child(h, 0, NULL);
    }
    if (pid < 0)
        return kz_fail(err, KZ_ERR, "cannot start the editor: %s", strerror(errno));
    if (ended < 0)
        return kz_fail(err, KZ_ERR, "the vault locked while the note was typed and was not "
                                    "unlocked; the note was not saved");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return kz_fail(err, KZ_ERR, "the editor (%s) did not finish cleanly; nothing was saved",
                       ed);
    return KZ_OK;
}

/* The files an editor may leave beside path: a backup (path~), nano's
 * emergency file (path.save), vim's swap file (.NAME.swp) and emacs's
 * auto-save file (#NAME#). */
static void
side_files(const char *path, char side[4][192])
{
    const char *name = strrchr(path, '/') + 1;

    snprintf(side[0], 192, "%s~", path);
    snprintf(side[1], 192, "%s.save", path);
    snprintf(side[2], 192, SHM "/.%s.swp", name);
    snprintf(side[3], 192, SHM "/#%s#", name);
}

int
kz_ui_edit(struct kz_ui *ui, const char *initial, const char *suffix, int may_lock, char **out,
           size_t *len, struct kz_err *err)
{
    struct idle id = {NULL, 0};
    struct statfs sfs;
    struct stat sb;
    char path[128], side[4][192];
    const char *sides[5];
    char *buf = NULL;
    ssize_t r;
    size_t n = 0, k;
    int fd = -1, first = -1, rc, h = -1;

    *out = NULL;
    *len = 0;
    if (statfs(SHM, &sfs) != 0 || sfs.f_type != TMPFS_MAGIC)
        return kz_fail(err, KZ_ENOTFOUND, "no tmpfs at " SHM ": the editor would write the "
                                          "note to disk");
    /* The process id in the name: doctor leaves the file of a running kizuna alone. */
    snprintf(path, sizeof(path), SHM "/" PREFIX "%ld-XXXXXX%s", (long)getpid(),
             suffix != NULL ? suffix : "");
    fd = mkstemps(path, suffix != NULL ? (int)strlen(suffix) : 0);
    if (fd < 0)
        return kz_fail(err, KZ_ERR, "cannot create a file in " SHM ": %s", strerror(errno));
    /* From here a fatal signal shreds it (src/util/cleanup.c). */
    h = kz_cleanup_add(path, fd);
    side_files(path, side);
    for (k = 0; k < 4; k++)
        sides[k] = side[k];
    sides[4] = NULL;
    kz_cleanup_side_files(h, sides);
    if (fchmod(fd, 0600) != 0 || write_all(fd, initial, strlen(initial)) != 0) {
        rc = kz_fail(err, KZ_ERR, "cannot write the editor file: %s", strerror(errno));
        goto out;
    }
    if (may_lock && ui->idle_limit != NULL && ui->idle_relock != NULL) {
        id.ui = ui;
        id.limit = ui->idle_limit(ui->idle_ctx);
    }
    if ((rc = run_editor(path, h, &id, err)) != KZ_OK)
        goto out;
    /* Editors often replace the file: read it by name, then shred what is
     * there and the file as created. */
    first = fd;
    fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = kz_fail(err, KZ_ERR, "the editor file disappeared; nothing was saved");
        goto out;
    }
    if (sb.st_size > EDIT_MAX) {
        rc = kz_fail(err, KZ_EUSAGE, "the text is larger than 4 MiB");
        goto out;
    }
    buf = kz_xmalloc((size_t)sb.st_size + 1);
    while (n < (size_t)sb.st_size && (r = read(fd, buf + n, (size_t)sb.st_size - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = kz_fail(err, KZ_ERR, "cannot read the editor file: %s", strerror(errno));
            goto out;
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    rc = KZ_OK;
out:
    if (first >= 0) {
        kz_shred_fd(first);
        close(first);
    }
    if (fd >= 0) {
        kz_shred_fd(fd);
        close(fd);
    }
    if (unlink(path) != 0 && errno != ENOENT)
        kz_shred_path(path);
    for (k = 0; k < 4; k++)
        kz_shred_path(side[k]); /* most often there is none */
    kz_cleanup_remove(h);
    if (buf != NULL) {
        sodium_memzero(buf, n);
        free(buf);
    }
    return rc;
}

int
kz_ui_read_line(FILE *in, struct kz_buf *line)
{
    int c, got = 0;
    char ch;

    kz_buf_clear(line);
    while ((c = getc(in)) != EOF) {
        got = 1;
        if (c == '\n')
            break;
        ch = (char)c;
        kz_buf_addn(line, &ch, 1);
    }
    if (line->len > 0 && line->p[line->len - 1] == '\r')
        line->p[--line->len] = '\0';
    return got;
}

void
kz_ui_typing_hint(void)
{
    if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO))
        fputs("Type the text; Ctrl-D on a line of its own ends it.\n", stderr);
}

size_t
kz_ui_typing_pending(char *buf, size_t cap)
{
    struct termios cooked, raw;
    size_t n = 0;
    ssize_t r;

    if (tcgetattr(STDIN_FILENO, &cooked) != 0 || !(cooked.c_lflag & ICANON))
        return 0;
    /* Without ICANON the terminal gives what its line editing holds. */
    raw = cooked;
    raw.c_lflag &= ~(tcflag_t)ICANON;
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
        return 0;
    while (n < cap && (r = read(STDIN_FILENO, buf + n, cap - n)) > 0)
        n += (size_t)r;
    tcsetattr(STDIN_FILENO, TCSANOW, &cooked);
    return n;
}

int
kz_ui_typing_relock(struct kz_ui *ui, int seconds, const char *typed, size_t len)
{
    /* Whatever came in since the caller looked would join the passphrase. */
    tcflush(STDIN_FILENO, TCIFLUSH);
    to_terminal("\n" KZ_UI_CLEAR);
    ui->idle_relocked = 1;
    if (ui->idle_relock(ui->idle_ctx, seconds,
                        "the text typed so far waits until the vault is unlocked (Ctrl-C "
                        "drops it)") != 0)
        return -1;
    kz_ui_typing_hint();
    if (isatty(STDOUT_FILENO))
        (void)write_all(STDOUT_FILENO, typed, len);
    return 0;
}

int
kz_ui_read_inline(FILE *in, const char *intro, char **out, size_t *len, struct kz_err *err)
{
    struct kz_buf b = {NULL, 0, 0}, line = {NULL, 0, 0};
    int tty = isatty(fileno(in)), rc = KZ_OK;

    *out = NULL;
    *len = 0;
    if (tty && intro != NULL)
        fprintf(stderr, "%s\n(end with a line holding only \".\")\n", intro);
    while (kz_ui_read_line(in, &line)) {
        if (strcmp(kz_buf_str(&line), ".") == 0)
            break;
        kz_buf_addn(&b, kz_buf_str(&line), line.len);
        kz_buf_add(&b, "\n");
        if (b.len > EDIT_MAX) {
            rc = kz_fail(err, KZ_EUSAGE, "the text is larger than 4 MiB");
            goto out;
        }
    }
    *out = kz_xstrdup(kz_buf_str(&b));
    *len = b.len;
out:
    kz_buf_free(&line);
    kz_buf_free(&b);
    return rc;
}

/* The process that made an editor file, from its name (kizuna-edit-PID-...),
 * or 0 for a name without one. */
static long
file_pid(const char *rest)
{
    char *end;
    long pid = strtol(rest, &end, 10);

    return end != rest && *end == '-' && pid > 0 ? pid : 0;
}

int
kz_ui_editor_leftovers(int fix, int *fixed)
{
    DIR *d = opendir(SHM);
    struct dirent *e;
    char path[512];
    int found = 0;

    if (fixed != NULL)
        *fixed = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        /* Also an editor's side files: .NAME.swp, #NAME#, NAME~, NAME.save. */
        const char *name = e->d_name + (e->d_name[0] == '.' || e->d_name[0] == '#');
        long pid;
        if (strncmp(name, PREFIX, strlen(PREFIX)) != 0)
            continue;
        pid = file_pid(name + strlen(PREFIX));
        if (pid > 0 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            continue; /* a kizuna still editing it */
        found++;
        if (fix && (size_t)snprintf(path, sizeof(path), SHM "/%s", e->d_name) < sizeof(path) &&
            kz_shred_path(path) == 0 && fixed != NULL)
            (*fixed)++;
    }
    closedir(d);
    return found;
}
