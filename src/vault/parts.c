/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Work split into parts, one a core: the vault's walks, the unlock's heads,
 * records opened by id, and the audit chain's checks (vault.c, audit.c). */
#include <pthread.h>
#include <unistd.h>

#include "kizuna/wipe.h"
#include "internal.h"

struct part_call {
    void (*fn)(void *arg);
    void *arg;
};

static void *
part_thread(void *p)
{
    const struct part_call *c = p;

    c->fn(c->arg);
    kz_stack_wipe(); /* the opening's frames: glibc keeps this stack for the next thread */
    return NULL;
}

/* fn on each of the n parts' arguments (args, size bytes apart): the first on
 * this thread, every other on a thread of its own (or after the first here,
 * when a thread cannot start); returns when all are done. */
void
kz_vault_parts_run(void (*fn)(void *arg), void *args, size_t size, int n)
{
    struct part_call calls[KZ_STORE_WALK_PARTS];
    pthread_t th[KZ_STORE_WALK_PARTS];
    int started[KZ_STORE_WALK_PARTS] = {0}, k;

    for (k = 1; k < n; k++) {
        calls[k].fn = fn;
        calls[k].arg = (char *)args + (size_t)k * size;
        started[k] = pthread_create(&th[k], NULL, part_thread, &calls[k]) == 0;
    }
    fn(args);
    for (k = 1; k < n; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            fn((char *)args + (size_t)k * size);
    }
}

/* Parts for a walk: one a core online, as many as a walk may have. */
int
kz_vault_parts_wanted(void)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    return ncpu < 1 ? 1 : ncpu > KZ_STORE_WALK_PARTS ? KZ_STORE_WALK_PARTS : (int)ncpu;
}
