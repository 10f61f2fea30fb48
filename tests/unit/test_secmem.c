/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Secrets are wiped: secure memory before it is unmapped, the master and
 * record keys at lock and by kz_vault_wipe_all, the heads index at lock, a
 * record's plaintext before it is freed.
 *
 * Freed memory cannot be read afterwards, so this test looks at it at the last
 * moment instead: it defines munmap(2) and sodium_memzero itself. The dynamic
 * linker binds libsodium's (and kizuna's) calls to these definitions in the
 * executable; they record what they saw and then do the real work (the
 * munmap system call; a real wipe). Each check also asserts that the hook ran,
 * so a hook that is bypassed fails the test rather than passing it.
 *
 * The vault's keys are private to src/vault: the test reads them through
 * src/vault/internal.h (white box), read-only.
 */
#include "testutil.h"

#include <sodium.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../../src/vault/internal.h"
#include "kizuna/secmem.h"
#include "kizuna/store.h"
#include "kizuna/vault.h"

#define PASS "Tulip harbor lantern 42"

/* ---- the hooks ---- */

/* Regions watched until they are unmapped: were they all zero at that moment? */
#define WATCH_MAX 8
static struct watch {
    const unsigned char *p;
    size_t n;
    int active, seen, zero;
} watches[WATCH_MAX];

static int
all_zero(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;
    size_t i;

    for (i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static struct watch *
watch(const void *p, size_t n)
{
    int i;

    for (i = 0; i < WATCH_MAX; i++) {
        if (!watches[i].active) {
            watches[i] = (struct watch){p, n, 1, 0, 0};
            return &watches[i];
        }
    }
    fail_msg("too many watches");
    return NULL;
}

static void
unwatch_all(void)
{
    memset(watches, 0, sizeof(watches));
}

int munmap(void *addr, size_t len);
int
munmap(void *addr, size_t len)
{
    const unsigned char *a = addr;
    int i;

    for (i = 0; i < WATCH_MAX; i++) {
        struct watch *w = &watches[i];
        if (w->active && w->p >= a && w->p + w->n <= a + len) {
            w->zero = all_zero(w->p, w->n); /* still mapped: the last look */
            w->seen = 1;
            w->active = 0;
        }
    }
    return (int)syscall(SYS_munmap, addr, len);
}

/* Calls of sodium_memzero while logging is on: which ranges were wiped. */
#define WIPE_MAX 4096
static struct {
    const unsigned char *p;
    size_t n;
} wipes[WIPE_MAX];
static size_t nwipes;
static int logging;

void
sodium_memzero(void *const pnt, const size_t len)
{
    if (logging && nwipes < WIPE_MAX) {
        wipes[nwipes].p = pnt;
        wipes[nwipes].n = len;
        nwipes++;
    }
    explicit_bzero(pnt, len);
}

static void
log_wipes(void)
{
    nwipes = 0;
    logging = 1;
}

/* Was [p, p+n) inside one logged wipe? */
static int
wiped(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    for (i = 0; i < nwipes; i++) {
        if (wipes[i].p <= b && b + n <= wipes[i].p + wipes[i].n)
            return 1;
    }
    return 0;
}

/* ---- fixtures ---- */

struct fx {
    char dir[256];
    char a[300];
    char b[300];
    struct kz_kdf_params kdf;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_int_equal(kz_crypto_init(), 0);
    tu_tmpdir(f->dir, sizeof(f->dir));
    snprintf(f->a, sizeof(f->a), "%s/a.kz", f->dir);
    snprintf(f->b, sizeof(f->b), "%s/b.kz", f->dir);
    f->kdf.t = 1;
    f->kdf.m_kib = 256;
    f->kdf.lanes = 1;
    unwatch_all();
    logging = 0;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    unwatch_all();
    logging = 0;
    tu_rmdir(f->dir);
    free(f);
    return 0;
}

static struct kz_vault *
make_vault(struct fx *f, const char *path)
{
    struct kz_vault *v = NULL;
    struct kz_err err;
    char *recovery = NULL;

    assert_int_equal(kz_vault_create(path, PASS, strlen(PASS), &f->kdf, &recovery, &v, &err),
                     KZ_OK);
    kz_secure_free(recovery);
    assert_true(kz_vault_unlocked(v));
    return v;
}

static void
put(struct kz_vault *v, unsigned char *id, const char *head, const char *text)
{
    struct kz_err err;

    kz_vault_new_record_id(id);
    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    assert_int_equal(kz_vault_record_put(v, id, head, strlen(head), text, strlen(text), &err),
                     KZ_OK);
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
}

/* ---- tests ---- */

/* The hook sees an unmapping, and tells a wiped region from one that was not. */
static void
test_the_munmap_hook_sees_unwiped_memory(void **state)
{
    size_t n = 3 * 4096;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct watch *w;

    (void)state;
    assert_true(p != MAP_FAILED);
    memset(p, 0xa5, n);
    w = watch(p + 100, 500);
    assert_int_equal(munmap(p, n), 0);
    assert_true(w->seen);
    assert_false(w->zero); /* not wiped: the hook says so */
}

/* kz_secure_alloc'd memory (keys, passphrases) is zero before its pages go. */
static void
test_secure_free_wipes_before_unmapping(void **state)
{
    static const size_t sizes[] = {1, 32, 4096, 4096 * 3 + 123};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = kz_secure_alloc(sizes[i]);
        struct watch *w;
        memset(p, 0xa5, sizes[i]);
        w = watch(p, sizes[i]);
        kz_secure_free(p);
        assert_true(w->seen); /* it was unmapped, through the hook */
        assert_true(w->zero);
    }
    {
        char *s = kz_secure_strndup("Tulip harbor lantern 42", 23);
        struct watch *w = watch(s, 24);
        kz_secure_free(s);
        assert_true(w->seen);
        assert_true(w->zero);
    }
}

/* Lock wipes the master and record keys (and lets them go); nothing opens after. */
static void
test_lock_wipes_the_keys(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct watch *wm, *wr;
    struct kz_err err;
    char *body = NULL;
    size_t len = 0;

    put(v, id, "head", "Christmas at her parents again");
    assert_non_null(v->master);
    assert_non_null(v->record_key);
    assert_false(all_zero(v->master, KZ_KEY_BYTES));
    assert_false(all_zero(v->record_key, KZ_KEY_BYTES));
    wm = watch(v->master, KZ_KEY_BYTES);
    wr = watch(v->record_key, KZ_KEY_BYTES);
    kz_vault_lock(v);
    assert_true(wm->seen);
    assert_true(wm->zero);
    assert_true(wr->seen);
    assert_true(wr->zero);
    assert_null(v->master);
    assert_null(v->record_key);
    assert_false(kz_vault_unlocked(v));
    assert_int_not_equal(kz_vault_record_get(v, id, &body, &len, &err), KZ_OK);
    assert_null(body);
    kz_vault_close(v);
}

/* kz_vault_wipe_all (the fatal paths) zeroes the keys of every open vault in
 * place: a record no longer opens. */
static void
test_wipe_all_zeroes_the_keys_of_every_open_vault(void **state)
{
    struct fx *f = *state;
    struct kz_vault *a = make_vault(f, f->a), *b = make_vault(f, f->b);
    unsigned char ida[KZ_RECORD_ID_BYTES], idb[KZ_RECORD_ID_BYTES];
    struct kz_err err;
    char *body = NULL;
    size_t len = 0;

    put(a, ida, "head", "Note A: his mother's visit");
    put(b, idb, "head", "Note B: her sister's wedding");
    assert_int_equal(kz_vault_record_get(a, ida, &body, &len, &err), KZ_OK);
    kz_vault_plain_free(body, len);
    body = NULL;
    kz_vault_wipe_all();
    assert_true(all_zero(a->master, KZ_KEY_BYTES));
    assert_true(all_zero(a->record_key, KZ_KEY_BYTES));
    assert_true(all_zero(b->master, KZ_KEY_BYTES));
    assert_true(all_zero(b->record_key, KZ_KEY_BYTES));
    assert_int_not_equal(kz_vault_record_get(a, ida, &body, &len, &err), KZ_OK);
    assert_null(body);
    assert_int_not_equal(kz_vault_record_get(b, idb, &body, &len, &err), KZ_OK);
    assert_null(body);
    kz_vault_close(b);
    kz_vault_close(a);
}

/* Lock wipes the index of heads (kinds, dates, relations) before freeing it. */
static void
test_lock_wipes_the_heads_index(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES];
    const struct kz_head *heads;
    struct {
        const unsigned char *p;
        size_t n;
    } seen[3];
    struct kz_err err;
    size_t n, i;

    put(v, id, "session 2031-07-19 C014", "one");
    put(v, id, "goal C014", "two");
    put(v, id, "couple C014", "three");
    assert_int_equal(kz_vault_heads(v, &heads, &n, &err), KZ_OK);
    assert_int_equal(n, 3);
    for (i = 0; i < n; i++) {
        assert_true(heads[i].len > 0);
        seen[i].p = heads[i].data;
        seen[i].n = heads[i].len;
    }
    log_wipes();
    kz_vault_lock(v);
    logging = 0;
    for (i = 0; i < n; i++)
        assert_true(wiped(seen[i].p, seen[i].n));
    assert_int_not_equal(kz_vault_heads(v, &heads, &n, &err), KZ_OK);
    kz_vault_close(v);
}

/* A record's plaintext is wiped before it is freed. */
static void
test_plaintext_is_wiped_before_free(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_err err;
    char *body = NULL;
    size_t len = 0;
    const char *p;

    put(v, id, "head", "She calls it homesickness; he calls it sulking");
    assert_int_equal(kz_vault_record_get(v, id, &body, &len, &err), KZ_OK);
    assert_string_equal(body, "She calls it homesickness; he calls it sulking");
    p = body;
    log_wipes();
    kz_vault_plain_free(body, len);
    logging = 0;
    assert_true(wiped(p, len));
    kz_vault_close(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_munmap_hook_sees_unwiped_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_secure_free_wipes_before_unmapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_wipes_the_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wipe_all_zeroes_the_keys_of_every_open_vault, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lock_wipes_the_heads_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plaintext_is_wiped_before_free, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
