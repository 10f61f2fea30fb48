/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_WIPE_H
#define KIZUNA_WIPE_H

#include <stddef.h>

/*
 * Memory that held plaintext, wiped before it is given back: what a locked
 * kizuna keeps must hold no note (tests/cli/memory.bats scans for them).
 */

/*
 * jansson's memory: records are parsed into jansson values, so its objects,
 * strings and parser and dump buffers hold notes. kz_json_wipe_init makes
 * jansson allocate through functions that wipe each block before it is freed
 * (json_set_alloc_funcs; its free gets no size, so each block carries its
 * size in a header). Call it before any other jansson call (main does).
 */
void kz_json_wipe_init(void);

/* Wipes and frees text that jansson allocated (json_dumps), through the free
 * function jansson uses; NULL is a no-op. Never free() such text. */
void kz_json_free(char *text);

/* Arrays of decoded heads or rows (themes, goal titles): kz_wipe_grow makes
 * a block of new_size bytes holding the old_size bytes of p, then wipes and
 * frees p (realloc would leave the old block behind); kz_wipe_free wipes size
 * bytes and frees. NULL p is fine for both. */
void *kz_wipe_grow(void *p, size_t old_size, size_t new_size);
void kz_wipe_free(void *p, size_t size);

/* Zeroes the next KZ_STACK_WIPE bytes of the calling thread's stack below
 * the caller's frame: the dead frames of the functions that ran there (a
 * record decoded into a local, printf's buffer for an unbuffered stream).
 * Called at lock, and by worker threads before they end (glibc keeps the
 * stacks of ended threads for the next ones). */
#define KZ_STACK_WIPE (256 * 1024)
void kz_stack_wipe(void);

#endif
