/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Lookups a command makes over the heads every time: the largest short id of
 * a kind, how many heads hold one short id (and which), the couples. A scan of
 * every head for each cost four scans a `session add`, 1.5 ms of its 2 at
 * 100,000 notes; kept here, they cost the same at 100 notes and at 100,000.
 *
 * Built from the heads on first use and kept by the vault (they live as long
 * as it, whichever state uses it), which then tells of every head it sets or
 * deletes (kz_vault_set_heads_hook), and of the index dropped (lock, another
 * process's change, a rollback): the lookups are built again on next use. Where they cannot answer for sure (a short id held twice: the file
 * lies), the callers scan as before. Holds kinds, short ids and record ids:
 * wiped when dropped. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/model.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "cmds.h"

struct numslot {
    uint64_t key;   /* kind << 32 | short id; 0: empty (short id 0 is never kept) */
    uint32_t count; /* heads with this kind and short id (over 1: the file lies) */
    uint32_t live;  /* id is one of them (it may be gone when count was over 1) */
    unsigned char id[KZ_RECORD_ID_BYTES];
};

struct kz_recix {
    int valid;
    struct numslot *slot;
    size_t nslots, used;   /* nslots a power of two, or 0 */
    uint32_t max[256];     /* the largest short id of each kind */
    unsigned char stale[256]; /* max[kind] left by a delete: found again on use */
    unsigned char (*couple)[KZ_RECORD_ID_BYTES];
    size_t ncouples, capcouples;
};

int
kz_rec_malformed(const struct kz_head *h, struct kz_err *err)
{
    char hex[17];

    kz_hex(h->id, 8, hex);
    return kz_fail(err, KZ_EINTEGRITY, "record %s has a malformed head", hex);
}

static void
ix_clear(struct kz_recix *x)
{
    if (x->slot != NULL) {
        sodium_memzero(x->slot, x->nslots * sizeof(*x->slot));
        free(x->slot);
    }
    if (x->couple != NULL) {
        sodium_memzero(x->couple, x->capcouples * sizeof(*x->couple));
        free(x->couple);
    }
    sodium_memzero(x, sizeof(*x)); /* valid = 0 */
}

/* Where key's probe starts. */
static size_t
home_of(const struct kz_recix *x, uint64_t key)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (x->nslots - 1);
}

static size_t
slot_of(const struct kz_recix *x, uint64_t key)
{
    size_t mask = x->nslots - 1, i = home_of(x, key);

    while (x->slot[i].key != 0 && x->slot[i].key != key)
        i = (i + 1) & mask;
    return i;
}

static void
ix_rehash(struct kz_recix *x, size_t nslots)
{
    struct numslot *old = x->slot;
    size_t n = x->nslots, i;

    x->slot = kz_xcalloc(nslots, sizeof(*x->slot));
    x->nslots = nslots;
    for (i = 0; i < n; i++) {
        if (old[i].key != 0)
            x->slot[slot_of(x, old[i].key)] = old[i];
    }
    if (old != NULL) {
        sodium_memzero(old, n * sizeof(*old));
        free(old);
    }
}

/* Deletes slot i, moving later ones of its run back (linear probing keeps no
 * tombstones). */
static void
slot_delete(struct kz_recix *x, size_t i)
{
    size_t mask = x->nslots - 1, j = i, home;

    for (;;) {
        j = (j + 1) & mask;
        if (x->slot[j].key == 0)
            break;
        home = home_of(x, x->slot[j].key);
        /* j's entry may fill the hole at i unless its home lies in (i, j]. */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            x->slot[i] = x->slot[j];
            i = j;
        }
    }
    sodium_memzero(&x->slot[i], sizeof(x->slot[i]));
    x->used--;
}

static void
couple_add(struct kz_recix *x, const unsigned char *id)
{
    if (x->ncouples == x->capcouples) {
        size_t cap = x->capcouples ? x->capcouples * 2 : 64;
        x->couple = kz_wipe_grow(x->couple, x->capcouples * sizeof(*x->couple),
                                 cap * sizeof(*x->couple));
        x->capcouples = cap;
    }
    memcpy(x->couple[x->ncouples++], id, KZ_RECORD_ID_BYTES);
}

static int
couple_del(struct kz_recix *x, const unsigned char *id)
{
    size_t i;

    for (i = 0; i < x->ncouples; i++) {
        if (memcmp(x->couple[i], id, KZ_RECORD_ID_BYTES) == 0) {
            memmove(x->couple[i], x->couple[i + 1], (x->ncouples - i - 1) * sizeof(*x->couple));
            sodium_memzero(x->couple[--x->ncouples], KZ_RECORD_ID_BYTES);
            return 0;
        }
    }
    return -1;
}

/* One head into the lookups; -1 if it is malformed. */
static int
ix_add(struct kz_recix *x, const unsigned char *id, const unsigned char *head, size_t len)
{
    struct numslot *s;
    uint32_t num;
    uint64_t key;
    int kind;

    if (kz_head_peek(head, len, &kind, &num, NULL) != 0)
        return -1;
    if (kind == KZ_KIND_COUPLE)
        couple_add(x, id);
    if (num == 0)
        return 0;
    if ((x->used + 1) * 5 > x->nslots * 4) /* at most 4/5 full */
        ix_rehash(x, x->nslots ? x->nslots * 2 : 1024);
    key = (uint64_t)(kind & 0xff) << 32 | num;
    s = &x->slot[slot_of(x, key)];
    if (s->key == 0) {
        s->key = key;
        memcpy(s->id, id, KZ_RECORD_ID_BYTES);
        s->live = 1;
        x->used++;
    }
    s->count++;
    if (num > x->max[kind & 0xff])
        x->max[kind & 0xff] = num;
    return 0;
}

/* One head out of the lookups; -1 if it was never in them. */
static int
ix_del(struct kz_recix *x, const unsigned char *id, const unsigned char *head, size_t len)
{
    struct numslot *s;
    uint32_t num;
    uint64_t key;
    size_t i;
    int kind;

    if (kz_head_peek(head, len, &kind, &num, NULL) != 0)
        return -1;
    if (kind == KZ_KIND_COUPLE && couple_del(x, id) != 0)
        return -1;
    if (num == 0)
        return 0;
    key = (uint64_t)(kind & 0xff) << 32 | num;
    if (x->nslots == 0 || (s = &x->slot[i = slot_of(x, key)])->key != key)
        return -1;
    if (memcmp(s->id, id, KZ_RECORD_ID_BYTES) == 0)
        s->live = 0;
    if (--s->count == 0) {
        slot_delete(x, i);
        if (num == x->max[kind & 0xff])
            x->stale[kind & 0xff] = 1;
    }
    return 0;
}

static void
heads_changed(void *ctx, const unsigned char *id, const unsigned char *old, size_t oldlen,
              const unsigned char *now, size_t nowlen)
{
    struct kz_recix *x = ctx;

    if (!x->valid)
        return;
    /* Dropped, or a change the lookups cannot follow: built again on use. */
    if (id == NULL || (old != NULL && ix_del(x, id, old, oldlen) != 0) ||
        (now != NULL && ix_add(x, id, now, nowlen) != 0))
        ix_clear(x);
}

static void
recix_free(void *ctx)
{
    ix_clear(ctx);
    free(ctx);
}

/* The vault's lookups, up to date with its heads: NULL with *rc and err when
 * the heads cannot be had (locked, altered). */
static struct kz_recix *
recix(struct kz_state *st, int *rc, struct kz_err *err)
{
    struct kz_recix *x = kz_vault_heads_hook_ctx(st->vault, heads_changed);
    const struct kz_head *heads;
    size_t n, i, nslots = 1024;

    if (x == NULL) {
        x = kz_xcalloc(1, sizeof(*x));
        kz_vault_set_heads_hook(st->vault, heads_changed, x, recix_free);
    }
    if (x->valid)
        return x;
    if ((*rc = kz_vault_heads(st->vault, &heads, &n, err)) != KZ_OK)
        return NULL;
    ix_clear(x); /* loading the heads may have told of a drop */
    while (nslots * 4 < n * 5)
        nslots *= 2;
    ix_rehash(x, nslots);
    for (i = 0; i < n; i++) {
        if (ix_add(x, heads[i].id, heads[i].data, heads[i].len) != 0) {
            ix_clear(x);
            *rc = kz_rec_malformed(&heads[i], err);
            return NULL;
        }
    }
    x->valid = 1;
    return x;
}

int
kz_recix_max(struct kz_state *st, int kind, uint32_t *max, struct kz_err *err)
{
    struct kz_recix *x;
    uint64_t k = (uint64_t)(kind & 0xff) << 32;
    size_t i;
    int rc = KZ_OK;

    *max = 0;
    if ((x = recix(st, &rc, err)) == NULL)
        return rc;
    if (x->stale[kind & 0xff]) {
        x->max[kind & 0xff] = 0;
        for (i = 0; i < x->nslots; i++) {
            if ((x->slot[i].key & ~(uint64_t)0xffffffffU) == k &&
                (uint32_t)x->slot[i].key > x->max[kind & 0xff])
                x->max[kind & 0xff] = (uint32_t)x->slot[i].key;
        }
        x->stale[kind & 0xff] = 0;
    }
    *max = x->max[kind & 0xff];
    return KZ_OK;
}

int
kz_recix_num(struct kz_state *st, int kind, uint32_t num, uint32_t *count, unsigned char *id,
             int *known, struct kz_err *err)
{
    struct kz_recix *x;
    struct numslot *s;
    uint64_t key = (uint64_t)(kind & 0xff) << 32 | num;
    int rc = KZ_OK;

    *count = 0;
    *known = 0;
    if ((x = recix(st, &rc, err)) == NULL)
        return rc;
    if (num == 0 || x->nslots == 0 || (s = &x->slot[slot_of(x, key)])->key != key)
        return KZ_OK;
    *count = s->count;
    /* Held twice once, the head kept may be the one gone: a scan tells. */
    if (s->count == 1 && s->live) {
        memcpy(id, s->id, KZ_RECORD_ID_BYTES);
        *known = 1;
    }
    return KZ_OK;
}

int
kz_recix_couples(struct kz_state *st, const unsigned char (**ids)[KZ_RECORD_ID_BYTES],
                 size_t *n, struct kz_err *err)
{
    struct kz_recix *x;
    int rc = KZ_OK;

    *ids = NULL;
    *n = 0;
    if ((x = recix(st, &rc, err)) == NULL)
        return rc;
    *ids = (const unsigned char(*)[KZ_RECORD_ID_BYTES])x->couple;
    *n = x->ncouples;
    return KZ_OK;
}
