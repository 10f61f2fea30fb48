/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kzpause.so: an LD_PRELOAD shim for the CLI tests (not installed). It holds
 * kizuna at the worst moment of writing a file: the temporary file is
 * written and synced, and about to get its name. Before renaming or linking
 * a file whose name holds ".tmp-", it writes that name to the file
 * $KZPAUSE_READY, then waits until the file $KZPAUSE_GO exists (checked every
 * 10 ms; without KZPAUSE_GO, until a signal ends the process). The test then
 * kills kizuna there, or puts a file at the destination before letting it go.
 * (No <stdio.h>: its own declarations of rename and renameat2 are not needed.)
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
hold(const char *from)
{
    const char *ready = getenv("KZPAUSE_READY"), *go = getenv("KZPAUSE_GO");
    struct timespec ts = {0, 10 * 1000 * 1000};
    int fd;

    if (ready == NULL || strstr(from, ".tmp-") == NULL)
        return;
    fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, from, strlen(from)) < 0 || write(fd, "\n", 1) < 0) {
            /* the test times out on its own */
        }
        close(fd);
    }
    while (go == NULL || access(go, F_OK) != 0)
        nanosleep(&ts, NULL);
}

int renameat2(int olddirfd, const char *from, int newdirfd, const char *to, unsigned int flags);
int
renameat2(int olddirfd, const char *from, int newdirfd, const char *to, unsigned int flags)
{
    int (*real)(int, const char *, int, const char *, unsigned int) =
        (int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT,
                                                                            "renameat2");

    hold(from);
    return real(olddirfd, from, newdirfd, to, flags);
}

int rename(const char *from, const char *to);
int
rename(const char *from, const char *to)
{
    int (*real)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");

    hold(from);
    return real(from, to);
}

int
link(const char *from, const char *to)
{
    int (*real)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");

    hold(from);
    return real(from, to);
}
