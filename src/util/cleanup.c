/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Plaintext files shredded on a fatal signal; shredding; renames that never replace. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kizuna/cleanup.h"
#include "kizuna/err.h"

#define SLOTS 4
#define PATH_SIZE 4224 /* PATH_MAX and ".tmp-XXXXXX" */
#define SIDE_SIZE 256
#define SIDES 4

static const int fatal_signals[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
#define NSIG_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

/*
 * The cleanup registry: the one global state besides the volatile
 * sig_atomic_t flags (STYLE.md). A signal handler gets no context, and it is
 * the handler that must find the files to shred, so they are kept here, in
 * static buffers: the handler may not allocate. Entries change only with the
 * four signals blocked, so the handler never sees one half written.
 */
static struct slot {
    volatile sig_atomic_t used;
    int fd;
    pid_t child;
    int have_tty;
    struct termios tty;
    char path[PATH_SIZE];
    char side[SIDES][SIDE_SIZE];
} slots[SLOTS];
static volatile sig_atomic_t installed;
static struct sigaction saved[NSIG_FATAL]; /* the handlers before ours (the shell's) */

static void
block(sigset_t *old)
{
    sigset_t set;
    size_t i;

    sigemptyset(&set);
    for (i = 0; i < NSIG_FATAL; i++)
        sigaddset(&set, fatal_signals[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

static void
unblock(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

void
kz_shred_fd(int fd)
{
    static const char zeros[4096];
    struct stat sb;
    off_t left;

    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || lseek(fd, 0, SEEK_SET) != 0)
        return;
    for (left = sb.st_size; left > 0;) {
        size_t n = left < (off_t)sizeof(zeros) ? (size_t)left : sizeof(zeros);
        ssize_t w = write(fd, zeros, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        left -= w;
    }
    fsync(fd);
}

int
kz_shred_path(const char *path)
{
    /* O_NONBLOCK: a FIFO put there must not hang a signal handler. */
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ELOOP) /* a symbolic link: removed, its target left alone */
            return unlink(path);
        return -1;
    }
    kz_shred_fd(fd); /* regular files only */
    close(fd);
    return unlink(path);
}

/* Kills and reaps a registered editor, puts the terminal back and shreds every
 * registered file. Async-signal-safe calls only. */
static void
shred_all(void)
{
    int i, k;

    for (i = 0; i < SLOTS; i++) {
        struct slot *s = &slots[i];
        if (!s->used)
            continue;
        if (s->child > 0) {
            kill(s->child, SIGKILL);
            while (waitpid(s->child, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        if (s->have_tty)
            tcsetattr(STDIN_FILENO, TCSANOW, &s->tty);
        if (s->fd >= 0)
            kz_shred_fd(s->fd); /* the file as created, if the editor replaced it */
        kz_shred_path(s->path);
        for (k = 0; k < SIDES && s->side[k][0] != '\0'; k++)
            kz_shred_path(s->side[k]);
    }
}

/* Shreds every registered file, then dies of sig. Async-signal-safe calls only. */
static void
on_fatal(int sig, siginfo_t *si, void *uc)
{
    int i, editing = 0, e = errno;
    sigset_t set;

    (void)uc;
    for (i = 0; i < SLOTS; i++)
        editing |= slots[i].used && slots[i].child > 0;
    /* Ctrl-C or Ctrl-\ typed in an editor that leaves them as signals reach
     * the whole foreground group: they are the editor's to handle. */
    if ((sig == SIGINT || sig == SIGQUIT) && editing && si != NULL && si->si_code == SI_KERNEL) {
        errno = e;
        return;
    }
    shred_all();
    /* Die of the signal itself, so that the parent sees its usual status:
     * the default action (terminate) for all four, delivered at once. */
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

/* SIGBUS: a page of a file mapped into memory lies past the file's end, the
 * file having been cut short under the process (the vault during a walk, or
 * its -shm index: by someone outside kizuna). There is nothing to go back to,
 * and the handler may not return: the registered files are shredded, a line
 * says what happened, and the process exits 4 (integrity). Whatever change was
 * under way was never committed, so the file keeps none of it. */
static void
on_bus(int sig)
{
    static const char msg[] = "kizuna: the vault file was cut short while being read "
                              "(changed outside kizuna); the command under way saved nothing\n";
    ssize_t w;

    (void)sig;
    shred_all();
    w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(KZ_EINTEGRITY);
}

void
kz_cleanup_fault_install(void)
{
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_bus;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < NSIG_FATAL; i++)
        sigaddset(&sa.sa_mask, fatal_signals[i]);
    sigaction(SIGBUS, &sa, NULL);
}

static void
install(void)
{
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < NSIG_FATAL; i++)
        sigaddset(&sa.sa_mask, fatal_signals[i]);
    for (i = 0; i < NSIG_FATAL; i++)
        sigaction(fatal_signals[i], &sa, &saved[i]);
    installed = 1;
}

static void
uninstall(void)
{
    size_t i;

    for (i = 0; i < NSIG_FATAL; i++)
        sigaction(fatal_signals[i], &saved[i], NULL);
    installed = 0;
}

int
kz_cleanup_add(const char *path, int fd)
{
    size_t len = strlen(path);
    sigset_t old;
    int i, h = -1;

    if (len >= PATH_SIZE)
        return -1;
    block(&old);
    for (i = 0; i < SLOTS && h < 0; i++) {
        if (!slots[i].used)
            h = i;
    }
    if (h >= 0) {
        struct slot *s = &slots[h];
        memset(s->side, 0, sizeof(s->side));
        memcpy(s->path, path, len + 1);
        s->fd = fd;
        s->child = 0;
        s->have_tty = 0;
        s->used = 1;
        if (!installed)
            install();
    }
    unblock(&old);
    return h;
}

void
kz_cleanup_side_files(int h, const char *const *paths)
{
    sigset_t old;
    int k;

    if (h < 0 || h >= SLOTS)
        return;
    block(&old);
    for (k = 0; k < SIDES && paths[k] != NULL; k++) {
        if (strlen(paths[k]) < SIDE_SIZE)
            memcpy(slots[h].side[k], paths[k], strlen(paths[k]) + 1);
    }
    unblock(&old);
}

void
kz_cleanup_child(int h, pid_t pid, const struct termios *tty)
{
    sigset_t old;

    if (h < 0 || h >= SLOTS)
        return;
    block(&old);
    slots[h].child = pid;
    slots[h].have_tty = tty != NULL;
    if (tty != NULL)
        slots[h].tty = *tty;
    unblock(&old);
}

void
kz_cleanup_remove(int h)
{
    sigset_t old;
    int i, any = 0;

    if (h < 0 || h >= SLOTS)
        return;
    block(&old);
    slots[h].used = 0;
    slots[h].child = 0;
    slots[h].fd = -1;
    for (i = 0; i < SLOTS; i++)
        any |= slots[i].used;
    if (!any && installed)
        uninstall();
    unblock(&old);
}

/* ---- renames that never replace ---- */

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int
kz_link_noreplace(const char *from, const char *to)
{
    /* link() fails with EEXIST whatever is at to, as renameat2 would. */
    if (link(from, to) != 0)
        return -1;
    unlink(from);
    return 0;
}

/* glibc's renameat2 came in 2.28; before it, the system call itself. */
static int
rename2(const char *from, const char *to, unsigned int flags)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
#elif defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
#else
    (void)from;
    (void)to;
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

int
kz_rename_noreplace(const char *from, const char *to)
{
    if (rename2(from, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* The kernel or the file system cannot (older kernels, some network and
     * FUSE file systems): a hard link refuses an existing name as well. */
    return kz_link_noreplace(from, to);
}
