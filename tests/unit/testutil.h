/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small helpers shared by the cmocka tests (header-only). */
#ifndef KIZUNA_TESTUTIL_H
#define KIZUNA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* A fresh temporary folder; path written into buf. */
static inline void
tu_tmpdir(char *buf, size_t size)
{
    const char *base = getenv("TMPDIR");

    snprintf(buf, size, "%s/kizuna-unit.XXXXXX", base != NULL ? base : "/tmp");
    assert_non_null(mkdtemp(buf));
}

/* Removes a folder tree made by a test (files one level deep are enough here). */
static inline void
tu_rmdir(const char *dir)
{
    /* No system(): unlink the known vault files, then the folder. */
    static const char *const names[] = {"a.kz", "a.kz-wal", "a.kz-shm", "a.kz-journal",
                                        "b.kz", "b.kz-wal", "b.kz-shm", "b.kz-journal",
                                        "stderr", NULL};
    char path[4200];
    int i;

    for (i = 0; names[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

#endif
