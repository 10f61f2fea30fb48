/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Wiping what held plaintext: jansson's blocks, dead stack frames. */
#include <jansson.h>
#include <sodium.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/xalloc.h"
#include "kizuna/wipe.h"

/* The header before each block: its size, padded so that the block keeps
 * malloc's alignment. */
#define HDR (alignof(max_align_t) > sizeof(size_t) ? alignof(max_align_t) : sizeof(size_t))

static void *
wipe_malloc(size_t size)
{
    unsigned char *p;

    if (size > SIZE_MAX - HDR)
        return NULL;
    if ((p = malloc(HDR + size)) == NULL)
        return NULL; /* jansson reports it; the caller dies on NULL */
    memcpy(p, &size, sizeof(size));
    return p + HDR;
}

static void
wipe_free(void *block)
{
    unsigned char *p;
    size_t size;

    if (block == NULL)
        return;
    p = (unsigned char *)block - HDR;
    memcpy(&size, p, sizeof(size));
    sodium_memzero(p, HDR + size);
    free(p);
}

void
kz_json_wipe_init(void)
{
    json_set_alloc_funcs(wipe_malloc, wipe_free);
}

void
kz_json_free(char *text)
{
    json_free_t fn = NULL;

    if (text == NULL)
        return;
    json_get_alloc_funcs(NULL, &fn);
    /* Wiped here too when jansson still uses plain free (a test program). */
    sodium_memzero(text, strlen(text));
    fn(text);
}

void *
kz_wipe_grow(void *p, size_t old_size, size_t new_size)
{
    void *q = kz_xmalloc(new_size);

    if (p != NULL) {
        memcpy(q, p, old_size < new_size ? old_size : new_size);
        kz_wipe_free(p, old_size);
    }
    return q;
}

void
kz_wipe_free(void *p, size_t size)
{
    if (p == NULL)
        return;
    sodium_memzero(p, size);
    free(p);
}

/* noinline: its array must lie below the caller's frame, not inside it. */
__attribute__((noinline)) void
kz_stack_wipe(void)
{
    unsigned char area[KZ_STACK_WIPE];

    explicit_bzero(area, sizeof(area));
    __asm__ __volatile__("" : : "r"(area) : "memory"); /* keep the array */
}
