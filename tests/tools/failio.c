/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * failio.so: a test tool (not installed), loaded with LD_PRELOAD, that makes
 * one chosen call on the vault's files fail, as SQLite's own I/O-error tests
 * do with their test VFS (tests/cli/ioerror.bats drives it). Only calls on the
 * vault file, its -wal and its -journal count; a descriptor's file is read
 * from /proc/self/fd once and kept per descriptor (checked against the
 * descriptor's device and inode at each call).
 *
 *   FAILIO_PATH     the vault file (an absolute path); unset: the shim does nothing
 *   FAILIO_KIND     write (write, pwrite, pwrite64, writev, pwritev),
 *                   fsync (fsync, fdatasync) or truncate (ftruncate, ftruncate64)
 *   FAILIO_N        the Nth call of that kind fails (from 1); unset or 0: only count
 *   FAILIO_ERRNO    EIO (default) or ENOSPC: the error the failed call reports
 *   FAILIO_PERSIST  1: every call of the kind from the Nth on fails, not just the Nth
 *   FAILIO_REPORT   a file to which each process appends one line at exit:
 *                   "failio write=W fsync=F truncate=T failed=KIND:N:FILE|none",
 *                   the matching calls it saw of each kind (the failed ones too)
 *                   and the first call it failed (FILE: db, wal or journal)
 *
 * A failed call does nothing: no byte is written, no sync or truncation is
 * made. The counters are atomic and the descriptor cache is behind a mutex,
 * so the threads of one process share the numbering.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum kind { K_WRITE, K_FSYNC, K_TRUNCATE, NKINDS };
enum file { F_UNKNOWN, F_OTHER, F_DB, F_WAL, F_JOURNAL };

static const char *const kind_names[NKINDS] = {"write", "fsync", "truncate"};
static const char *const file_names[] = {"?", "other", "db", "wal", "journal"};

#define MAX_FDS 1024

static struct {
    int active;
    char path[PATH_MAX];
    size_t pathlen;
    int kind;
    unsigned long n;
    int err;
    int persist;
    const char *report;
} cfg;

static unsigned long counts[NKINDS];
static unsigned long failed_n;
static int failed_kind = -1, failed_file;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int file;
    dev_t dev;
    ino_t ino;
} cache[MAX_FDS];

/* The next definition of a libc function (libc's own, or a sanitizer's). */
static void *
real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);

    if (f == NULL)
        abort();
    return f;
}

#define REAL(type, name)                                                                         \
    static type real_fn = NULL;                                                                  \
    if (__atomic_load_n(&real_fn, __ATOMIC_ACQUIRE) == NULL)                                     \
        __atomic_store_n(&real_fn, (type)real(name), __ATOMIC_RELEASE)

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef int (*sync_fn)(int);
typedef int (*trunc_fn)(int, off_t);
typedef int (*trunc64_fn)(int, off64_t);
typedef int (*close_fn)(int);

/* FAILIO_PATH with its folder resolved, as /proc/self/fd shows it. */
static void
set_path(const char *p)
{
    char dir[PATH_MAX], *slash;
    const char *base;
    int n;

    slash = strrchr(p, '/');
    if (slash == NULL || (size_t)(slash - p) >= sizeof(dir)) {
        n = snprintf(cfg.path, sizeof(cfg.path), "%s", p);
    } else {
        char real_dir[PATH_MAX];
        memcpy(dir, p, (size_t)(slash - p));
        dir[slash - p] = '\0';
        base = slash + 1;
        if (realpath(dir[0] != '\0' ? dir : "/", real_dir) != NULL)
            n = snprintf(cfg.path, sizeof(cfg.path), "%s/%s",
                         strcmp(real_dir, "/") == 0 ? "" : real_dir, base);
        else
            n = snprintf(cfg.path, sizeof(cfg.path), "%s", p);
    }
    if (n > 0 && (size_t)n < sizeof(cfg.path) - sizeof("-journal")) {
        cfg.pathlen = (size_t)n;
        cfg.active = 1;
    }
}

__attribute__((constructor)) static void
failio_init(void)
{
    const char *s;
    int i;

    cfg.kind = -1;
    cfg.err = EIO;
    cfg.report = getenv("FAILIO_REPORT");
    s = getenv("FAILIO_KIND");
    for (i = 0; s != NULL && i < NKINDS; i++) {
        if (strcmp(s, kind_names[i]) == 0)
            cfg.kind = i;
    }
    s = getenv("FAILIO_N");
    if (s != NULL)
        cfg.n = strtoul(s, NULL, 10);
    s = getenv("FAILIO_ERRNO");
    if (s != NULL && strcmp(s, "ENOSPC") == 0)
        cfg.err = ENOSPC;
    s = getenv("FAILIO_PERSIST");
    cfg.persist = s != NULL && strcmp(s, "1") == 0;
    s = getenv("FAILIO_PATH");
    if (s != NULL && s[0] == '/')
        set_path(s);
}

/* Which of the vault's files fd is: F_DB, F_WAL, F_JOURNAL, else F_OTHER. */
static int
classify(int fd)
{
    char link[64], target[PATH_MAX];
    ssize_t len;
    size_t rest;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    len = readlink(link, target, sizeof(target) - 1);
    if (len < 0 || (size_t)len < cfg.pathlen || memcmp(target, cfg.path, cfg.pathlen) != 0)
        return F_OTHER;
    target[len] = '\0';
    rest = (size_t)len - cfg.pathlen;
    if (rest == 0)
        return F_DB;
    if (strcmp(target + cfg.pathlen, "-wal") == 0)
        return F_WAL;
    if (strcmp(target + cfg.pathlen, "-journal") == 0)
        return F_JOURNAL;
    return F_OTHER;
}

static int
file_of(int fd)
{
    struct stat sb;
    int f;

    if (!cfg.active || fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        return F_OTHER;
    if (fd >= MAX_FDS)
        return classify(fd);
    pthread_mutex_lock(&cache_lock);
    if (cache[fd].file == F_UNKNOWN || cache[fd].dev != sb.st_dev || cache[fd].ino != sb.st_ino) {
        cache[fd].file = classify(fd);
        cache[fd].dev = sb.st_dev;
        cache[fd].ino = sb.st_ino;
    }
    f = cache[fd].file;
    pthread_mutex_unlock(&cache_lock);
    return f;
}

/* Counts a call of kind k on fd; nonzero (errno set) when it is to fail.
 * Otherwise errno is as the caller left it. */
static int
fail_now(int fd, int k)
{
    unsigned long c;
    int saved = errno, f = file_of(fd);

    errno = saved;
    if (f == F_OTHER)
        return 0;
    c = __atomic_add_fetch(&counts[k], 1, __ATOMIC_SEQ_CST);
    if (k != cfg.kind || cfg.n == 0 || c < cfg.n || (c > cfg.n && !cfg.persist))
        return 0;
    if (c == cfg.n) {
        failed_n = c;
        failed_kind = k;
        failed_file = f;
    }
    errno = cfg.err;
    return 1;
}

/* Parameter names as glibc's headers give them. */
ssize_t
write(int fd, const void *buf, size_t n)
{
    REAL(write_fn, "write");
    return fail_now(fd, K_WRITE) ? -1 : real_fn(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t offset)
{
    REAL(pwrite_fn, "pwrite");
    return fail_now(fd, K_WRITE) ? -1 : real_fn(fd, buf, n, offset);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t offset)
{
    REAL(pwrite64_fn, "pwrite64");
    return fail_now(fd, K_WRITE) ? -1 : real_fn(fd, buf, n, offset);
}

ssize_t
writev(int fd, const struct iovec *iovec, int count)
{
    REAL(writev_fn, "writev");
    return fail_now(fd, K_WRITE) ? -1 : real_fn(fd, iovec, count);
}

ssize_t
pwritev(int fd, const struct iovec *iovec, int count, off_t offset)
{
    REAL(pwritev_fn, "pwritev");
    return fail_now(fd, K_WRITE) ? -1 : real_fn(fd, iovec, count, offset);
}

int
fsync(int fd)
{
    REAL(sync_fn, "fsync");
    return fail_now(fd, K_FSYNC) ? -1 : real_fn(fd);
}

int
fdatasync(int fildes)
{
    REAL(sync_fn, "fdatasync");
    return fail_now(fildes, K_FSYNC) ? -1 : real_fn(fildes);
}

int
ftruncate(int fd, off_t length)
{
    REAL(trunc_fn, "ftruncate");
    return fail_now(fd, K_TRUNCATE) ? -1 : real_fn(fd, length);
}

int
ftruncate64(int fd, off64_t length)
{
    REAL(trunc64_fn, "ftruncate64");
    return fail_now(fd, K_TRUNCATE) ? -1 : real_fn(fd, length);
}

/* A closed descriptor's number may come back on another file. */
int
close(int fd)
{
    REAL(close_fn, "close");
    if (fd >= 0 && fd < MAX_FDS) {
        pthread_mutex_lock(&cache_lock);
        cache[fd].file = F_UNKNOWN;
        pthread_mutex_unlock(&cache_lock);
    }
    return real_fn(fd);
}

__attribute__((destructor)) static void
failio_report(void)
{
    char line[256];
    int fd, n;

    if (cfg.report == NULL || cfg.report[0] == '\0')
        return;
    if (failed_kind >= 0)
        n = snprintf(line, sizeof(line), "failio write=%lu fsync=%lu truncate=%lu failed=%s:%lu:%s\n",
                     counts[K_WRITE], counts[K_FSYNC], counts[K_TRUNCATE],
                     kind_names[failed_kind], failed_n, file_names[failed_file]);
    else
        n = snprintf(line, sizeof(line), "failio write=%lu fsync=%lu truncate=%lu failed=none\n",
                     counts[K_WRITE], counts[K_FSYNC], counts[K_TRUNCATE]);
    if (n <= 0 || (size_t)n >= sizeof(line))
        return;
    fd = open(cfg.report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) != n)
        fprintf(stderr, "failio: cannot write %s\n", cfg.report);
    close(fd);
}
