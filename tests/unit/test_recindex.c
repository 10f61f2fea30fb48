/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lookups kept over the heads (src/cmd/recindex.c) against a scan of every
 * head, after each step of a run of changes: this process's adds and deletes,
 * another process's (a second state on the same file), a lock and unlock, a
 * rollback. A change the vault did not tell of leaves them stale, and the
 * comparison fails. */
#include "testutil.h"
#include "tu_cmd.h"

#include <sodium.h>

#include "kizuna/cmd.h"
#include "kizuna/model.h"
#include "kizuna/secmem.h"
#include "kizuna/vault.h"
#include "kizuna/xalloc.h"
#include "../../src/cmd/cmds.h"

#define PASS "Tulip harbor lantern 42"

/* What a scan of every head says. */
struct truth {
    uint32_t max[8];
    size_t nnum;
    struct {
        int kind;
        uint32_t num;
        unsigned char id[KZ_RECORD_ID_BYTES];
    } num[512];
    size_t ncouples;
    unsigned char couple[64][KZ_RECORD_ID_BYTES];
};

static int
tally(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct truth *t = ctx;

    if (hi->kind == KZ_KIND_COUPLE) {
        assert_true(t->ncouples < 64);
        memcpy(t->couple[t->ncouples++], id, KZ_RECORD_ID_BYTES);
    }
    if (hi->num != 0) {
        assert_true(t->nnum < 512 && hi->kind < 8);
        t->num[t->nnum].kind = hi->kind;
        t->num[t->nnum].num = hi->num;
        memcpy(t->num[t->nnum++].id, id, KZ_RECORD_ID_BYTES);
        if (hi->num > t->max[hi->kind])
            t->max[hi->kind] = hi->num;
    }
    return 0;
}

/* The lookups agree with the scan: each kind's largest short id, every short
 * id's one head, short ids not held, and the couples (as a set). */
static void
agree(struct kz_state *st, const char *after)
{
    static const int kinds[] = {KZ_KIND_SESSION, KZ_KIND_GOAL, KZ_KIND_SCORE};
    struct truth t;
    struct kz_err err;
    const unsigned char(*couples)[KZ_RECORD_ID_BYTES];
    unsigned char id[KZ_RECORD_ID_BYTES];
    uint32_t max, count;
    size_t i, k, n;
    int known;

    memset(&t, 0, sizeof(t));
    assert_int_equal(kz_rec_scan(st, tally, &t, &err), KZ_OK);
    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        assert_int_equal(kz_recix_max(st, kinds[k], &max, &err), KZ_OK);
        if (max != t.max[kinds[k]])
            fail_msg("after %s: kind %d largest %u, the heads say %u", after, kinds[k], max,
                     t.max[kinds[k]]);
        /* one past the largest is held by nobody */
        assert_int_equal(kz_recix_num(st, kinds[k], max + 1, &count, id, &known, &err), KZ_OK);
        assert_int_equal(count, 0);
    }
    for (i = 0; i < t.nnum; i++) {
        assert_int_equal(
            kz_recix_num(st, t.num[i].kind, t.num[i].num, &count, id, &known, &err), KZ_OK);
        if (count != 1 || !known || memcmp(id, t.num[i].id, KZ_RECORD_ID_BYTES) != 0)
            fail_msg("after %s: kind %d short id %u: count %u, known %d", after, t.num[i].kind,
                     t.num[i].num, count, known);
    }
    assert_int_equal(kz_recix_couples(st, &couples, &n, &err), KZ_OK);
    if (n != t.ncouples)
        fail_msg("after %s: %zu couples kept, the heads hold %zu", after, n, t.ncouples);
    for (i = 0; i < t.ncouples; i++) {
        for (k = 0; k < n && memcmp(couples[k], t.couple[i], KZ_RECORD_ID_BYTES) != 0; k++)
            ;
        if (k == n)
            fail_msg("after %s: a couple is missing from the lookups", after);
    }
}

static void
open_state(struct kz_state *st, const char *path)
{
    struct kz_err err;

    kz_state_init(st);
    st->ui.out = fopen("/dev/null", "w");
    st->ui.errf = getenv("RECIX_DEBUG") ? stderr : st->ui.out;
    st->vault_path = kz_xstrdup(path);
    assert_int_equal(kz_vault_open(path, &st->vault, &err), KZ_OK);
    assert_int_equal(kz_vault_unlock(st->vault, PASS, strlen(PASS), &err), KZ_OK);
}

static void
close_state(struct kz_state *st)
{
    FILE *out = st->ui.out;

    kz_state_free(st);
    fclose(out);
}

static void
test_lookups_follow_every_change(void **state)
{
    struct kz_kdf_params kdf = {1, 256, 1, {0}};
    struct kz_state a, b;
    struct kz_err err;
    struct kz_vault *v = NULL;
    char dir[256], path[300], line[128], *recovery = NULL;
    int i;

    (void)state;
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.kz", dir);
    assert_int_equal(kz_vault_create(path, PASS, strlen(PASS), &kdf, &recovery, &v, &err), KZ_OK);
    kz_secure_free(recovery);
    kz_vault_close(v);
    open_state(&a, path);
    open_state(&b, path);

    assert_int_equal(tu_run(&a, "couple add C001"), KZ_OK);
    agree(&a, "a couple added");
    assert_int_equal(tu_run(&a, "couple add C002"), KZ_OK);
    for (i = 0; i < 12; i++) {
        snprintf(line, sizeof(line), "session add C00%d -- note %d", 1 + i % 2, i);
        assert_int_equal(tu_run(&a, line), KZ_OK);
    }
    agree(&a, "twelve notes");
    assert_int_equal(tu_run(&a, "goal add C001 Listening"), KZ_OK);
    agree(&a, "a goal");

    /* The largest deleted: the next largest is found again. */
    assert_int_equal(tu_run(&a, "session delete s12 --yes"), KZ_OK);
    agree(&a, "the largest deleted");
    assert_int_equal(tu_run(&a, "session delete s3 --yes"), KZ_OK);
    agree(&a, "one in the middle deleted");
    assert_int_equal(tu_run(&a, "session add C001 -- after the deletes"), KZ_OK);
    agree(&a, "an add after deletes");
    assert_int_equal(tu_run(&a, "session show s13"), KZ_OK); /* never s12 again */

    /* Another process adds, deletes and adds a couple: a's lookups follow. */
    assert_int_equal(tu_run(&b, "session add C002 -- from b"), KZ_OK);
    assert_int_equal(tu_run(&b, "session delete s5 --yes"), KZ_OK);
    assert_int_equal(tu_run(&b, "couple add C003"), KZ_OK);
    assert_int_equal(tu_run(&a, "session add C003 -- in a, after b"), KZ_OK);
    agree(&a, "another process's changes");
    assert_int_equal(tu_run(&a, "session show s15"), KZ_OK);
    assert_int_equal(tu_run(&a, "session show s5"), KZ_ENOTFOUND);
    assert_int_equal(tu_run(&a, "session add C003 -- and after that"), KZ_OK);
    agree(&b, "the other process, after a's");

    /* A change that fails rolls back: the lookups hold none of it. */
    assert_int_equal(tu_run(&a, "session add C009 -- no such couple"), KZ_ENOTFOUND);
    agree(&a, "a failed change");

    /* Locked and unlocked again. */
    kz_vault_lock(a.vault);
    assert_int_equal(kz_vault_unlock(a.vault, PASS, strlen(PASS), &err), KZ_OK);
    agree(&a, "lock and unlock");
    assert_int_equal(tu_run(&a, "couple close C003"), KZ_OK);
    assert_int_equal(tu_run(&a, "couple erase C003 --before-retention --reason test --yes"), KZ_OK);
    agree(&a, "a couple erased");

    close_state(&b);
    close_state(&a);
    tu_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_follow_every_change),
    };

    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
