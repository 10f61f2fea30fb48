/* SPDX-License-Identifier: GPL-3.0-or-later */
/* $EDITOR on tmpfs, as `pass edit` does; inline entry ending with a lone ".". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"

#define SHM "/dev/shm"
#define PREFIX "kizuna-edit-"
#define EDIT_MAX (4 * 1024 * 1024)

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

/* Overwrites the file's bytes with zeros, syncs and unlinks it. */
static void
shred(int fd, const char *path)
{
    struct stat sb;
    char zeros[4096];
    off_t left;

    memset(zeros, 0, sizeof(zeros));
    if (fstat(fd, &sb) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
        for (left = sb.st_size; left > 0; left -= (off_t)sizeof(zeros)) {
            size_t n = left < (off_t)sizeof(zeros) ? (size_t)left : sizeof(zeros);
            if (write_all(fd, zeros, n) != 0)
                break;
        }
        fsync(fd);
    }
    unlink(path);
}

static int
run_editor(const char *path, struct kz_err *err)
{
    const char *ed = getenv("VISUAL");
    struct sigaction ign, old_int, old_quit;
    pid_t pid;
    int status = 0;

    if (ed == NULL || *ed == '\0')
        ed = getenv("EDITOR");
    if (ed == NULL || *ed == '\0')
        ed = "vi";
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        /* The editor may be a command with arguments ("code -w"): let sh split it. */
        setenv("KIZUNA_EDITOR", ed, 1);
        execl("/bin/sh", "sh", "-c", "exec $KIZUNA_EDITOR \"$1\"", "kizuna-editor", path,
              (char *)NULL);
        _exit(127);
    }
    if (pid > 0) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (pid < 0)
        return kz_fail(err, KZ_ERR, "cannot start the editor: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return kz_fail(err, KZ_ERR, "the editor (%s) did not finish cleanly; nothing was saved",
                       ed);
    return KZ_OK;
}

int
kz_ui_edit(const char *initial, const char *suffix, char **out, size_t *len,
           struct kz_err *err)
{
    struct statfs sfs;
    struct stat sb;
    char path[128];
    char *buf = NULL;
    ssize_t r;
    size_t n = 0;
    int fd = -1, rc;

    *out = NULL;
    *len = 0;
    if (statfs(SHM, &sfs) != 0 || sfs.f_type != TMPFS_MAGIC)
        return kz_fail(err, KZ_ENOTFOUND, "no tmpfs at " SHM ": the editor would write the "
                                          "note to disk");
    snprintf(path, sizeof(path), SHM "/" PREFIX "XXXXXX%s", suffix != NULL ? suffix : "");
    fd = mkstemps(path, suffix != NULL ? (int)strlen(suffix) : 0);
    if (fd < 0)
        return kz_fail(err, KZ_ERR, "cannot create a file in " SHM ": %s", strerror(errno));
    if (fchmod(fd, 0600) != 0 || write_all(fd, initial, strlen(initial)) != 0) {
        rc = kz_fail(err, KZ_ERR, "cannot write the editor file: %s", strerror(errno));
        goto out;
    }
    if ((rc = run_editor(path, err)) != KZ_OK)
        goto out;
    /* Editors often replace the file: read it by name, then shred what is there. */
    close(fd);
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
    if (fd >= 0) {
        shred(fd, path);
        close(fd);
    } else {
        unlink(path);
    }
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

int
kz_ui_editor_leftovers(void)
{
    DIR *d = opendir(SHM);
    struct dirent *e;
    int found = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) == 0)
            found++;
    }
    closedir(d);
    return found;
}
