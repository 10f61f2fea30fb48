/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The custodian key slot: K of N shares open it, fewer do not, shares of
 * another setup or vault are named, revoke (a rekey) voids the old set, and
 * the slot's rows are checked against their MAC and the commitment. */
#include "testutil.h"

#include <sodium.h>

#include "kizuna/secmem.h"
#include "kizuna/shamir.h"
#include "kizuna/store.h"
#include "kizuna/vault.h"

#define PASS "Tulip harbor lantern 42"

struct fx {
    char dir[256], a[300], b[300];
    char *recovery;
    struct kz_kdf_params kdf;
    struct kz_share *s; /* 10 shares, secure memory */
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    tu_tmpdir(f->dir, sizeof(f->dir));
    snprintf(f->a, sizeof(f->a), "%s/a.kz", f->dir);
    snprintf(f->b, sizeof(f->b), "%s/b.kz", f->dir);
    f->kdf.t = 1;
    f->kdf.m_kib = 256;
    f->kdf.lanes = 1;
    f->s = kz_secure_alloc(KZ_SHAMIR_MAX * sizeof(*f->s));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    kz_secure_free(f->recovery);
    kz_secure_free(f->s);
    tu_rmdir(f->dir);
    free(f);
    return 0;
}

static struct kz_vault *
make_vault(struct fx *f, const char *path)
{
    struct kz_vault *v = NULL;
    struct kz_err err;

    kz_secure_free(f->recovery);
    f->recovery = NULL;
    assert_int_equal(kz_vault_create(path, PASS, strlen(PASS), &f->kdf, &f->recovery, &v, &err),
                     KZ_OK);
    return v;
}

static struct kz_vault *
reopen(const char *path)
{
    struct kz_vault *v = NULL;
    struct kz_err err;

    assert_int_equal(kz_vault_open(path, &v, &err), KZ_OK);
    return v;
}

/* Unlocks a locked copy of the vault at path with the shares picked by mask. */
static int
try_mask(const char *path, const struct kz_share *s, unsigned n, unsigned mask,
         struct kz_err *err)
{
    struct kz_share pick[KZ_SHAMIR_MAX];
    struct kz_vault *v = reopen(path);
    size_t m = 0;
    unsigned i;
    int rc;

    for (i = 0; i < n; i++) {
        if (mask & (1u << i))
            pick[m++] = s[i];
    }
    rc = kz_vault_unlock_shares(v, pick, m, err);
    assert_int_equal(kz_vault_unlocked(v), rc == KZ_OK);
    sodium_memzero(pick, sizeof(pick));
    kz_vault_close(v);
    return rc;
}

static void
test_every_k_subset_opens_and_fewer_do_not(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    struct kz_custodian_info ci;
    struct kz_err err;
    unsigned mask, opened = 0, refused = 0;

    assert_int_equal(kz_vault_custodian_setup(v, 3, 5, f->s, &err), KZ_OK);
    assert_int_equal(kz_vault_custodian_info(v, &ci, &err), KZ_OK);
    assert_true(ci.present);
    assert_int_equal(ci.k, 3);
    assert_int_equal(ci.n, 5);
    assert_memory_equal(ci.setup_id, f->s[0].setup_id, KZ_SHARE_SETUP_ID);
    assert_int_equal(kz_vault_slots_check(v, &err), KZ_OK);
    kz_vault_close(v);
    for (mask = 1; mask < 32; mask++) {
        int bits = __builtin_popcount(mask), rc = try_mask(f->a, f->s, 5, mask, &err);
        if (bits >= 3) {
            assert_int_equal(rc, KZ_OK);
            opened += bits == 3;
        } else {
            assert_int_equal(rc, KZ_EAUTH);
            assert_non_null(strstr(err.msg, "3 shares needed"));
            refused += bits == 2;
        }
    }
    assert_int_equal(opened, 10);  /* C(5,3) */
    assert_int_equal(refused, 10); /* C(5,2) */
}

static void
test_k_minus_one_with_a_forged_share_does_not_open(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    struct kz_err err;

    assert_int_equal(kz_vault_custodian_setup(v, 3, 5, f->s, &err), KZ_OK);
    kz_vault_close(v);
    /* Two real shares and the third's number with made-up bytes. */
    randombytes_buf(f->s[2].y, sizeof(f->s[2].y));
    assert_int_equal(try_mask(f->a, f->s, 5, 0x7, &err), KZ_EAUTH);
    assert_string_equal(err.msg, "these shares do not open the custodian slot");
    /* The same share twice counts once. */
    f->s[2] = f->s[1];
    assert_int_equal(try_mask(f->a, f->s, 5, 0x7, &err), KZ_EAUTH);
    assert_non_null(strstr(err.msg, "3 shares needed, 2 given"));
}

static void
test_other_setup_and_other_vault_named(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a), *w = make_vault(f, f->b);
    struct kz_share *old = kz_secure_alloc(5 * sizeof(*old));
    struct kz_err err;

    assert_int_equal(kz_vault_custodian_setup(w, 2, 3, f->s, &err), KZ_OK);
    kz_vault_close(w);
    assert_int_equal(kz_vault_custodian_setup(v, 2, 3, old, &err), KZ_OK);
    /* b's shares at a: another vault. */
    kz_vault_lock(v);
    assert_int_equal(kz_vault_unlock_shares(v, f->s, 2, &err), KZ_EAUTH);
    assert_non_null(strstr(err.msg, "a share of another vault"));
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    /* A new setup at a: the old shares are from another setup. */
    assert_int_equal(kz_vault_custodian_setup(v, 2, 3, f->s, &err), KZ_OK);
    kz_vault_lock(v);
    assert_int_equal(kz_vault_unlock_shares(v, old, 2, &err), KZ_EAUTH);
    assert_non_null(strstr(err.msg, "from another custodian setup (revoked or replaced)"));
    assert_int_equal(kz_vault_unlock_shares(v, f->s + 1, 2, &err), KZ_OK);
    assert_int_equal(kz_vault_unlock_shares(v, f->s, 0, &err), KZ_EUSAGE);
    kz_secure_free(old);
    kz_vault_close(v);
}

static void
test_revoke_by_rekey_voids_the_set(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    struct kz_custodian_info ci;
    char *rec = NULL;
    struct kz_err err;

    assert_int_equal(kz_vault_custodian_setup(v, 2, 2, f->s, &err), KZ_OK);
    assert_int_equal(
        kz_vault_rekey(v, PASS, strlen(PASS), NULL, 0, &rec, NULL, NULL, &err), KZ_OK);
    kz_secure_free(rec);
    assert_int_equal(kz_vault_custodian_info(v, &ci, &err), KZ_OK);
    assert_false(ci.present);
    assert_int_equal(kz_vault_slots_check(v, &err), KZ_OK);
    kz_vault_close(v);
    assert_int_equal(try_mask(f->a, f->s, 2, 0x3, &err), KZ_EAUTH);
    assert_non_null(strstr(err.msg, "no custodian setup"));
    /* A vault without a setup opens as before. */
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    kz_vault_close(v);
}

static void
test_bad_k_n_refused(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    struct kz_custodian_info ci;
    struct kz_err err;

    assert_int_equal(kz_vault_custodian_setup(v, 1, 3, f->s, &err), KZ_EUSAGE);
    assert_int_equal(kz_vault_custodian_setup(v, 4, 3, f->s, &err), KZ_EUSAGE);
    assert_int_equal(kz_vault_custodian_setup(v, 3, 11, f->s, &err), KZ_EUSAGE);
    assert_int_equal(kz_vault_custodian_info(v, &ci, &err), KZ_OK);
    assert_false(ci.present);
    kz_vault_close(v);
}

/* Someone with write access alters, plants or removes the slot's rows: the
 * unlock with the passphrase fails the commitment and names the slot. */
static void
tamper(struct fx *f, const char *row, int how)
{
    struct kz_vault *v = make_vault(f, f->a);
    struct kz_store *st = NULL;
    unsigned char *val = NULL;
    size_t len = 0;
    struct kz_err err;

    if (how != 2) /* 2 plants a slot in a vault without one */
        assert_int_equal(kz_vault_custodian_setup(v, 2, 3, f->s, &err), KZ_OK);
    kz_vault_close(v);
    assert_int_equal(kz_store_open(f->a, 0, &st, &err), KZ_OK);
    if (how == 0) {
        assert_int_equal(kz_store_header_get(st, row, &val, &len, &err), KZ_OK);
        val[len - 1] ^= 1;
        assert_int_equal(kz_store_header_put(st, row, val, len, &err), KZ_OK);
        free(val);
    } else if (how == 1) {
        assert_int_equal(kz_store_header_delete(st, row, &err), KZ_OK);
    } else {
        unsigned char junk[64];
        randombytes_buf(junk, sizeof(junk));
        assert_int_equal(kz_store_header_put(st, row, junk, sizeof(junk), &err), KZ_OK);
    }
    kz_store_close(st);
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "custodian"));
    kz_vault_close(v);
    remove(f->a);
}

static void
test_slot_rows_altered_planted_removed(void **state)
{
    struct fx *f = *state;

    tamper(f, "slot.custodian", 0);
    tamper(f, "slot.custodian.mac", 0);
    tamper(f, "custodian", 0);
    tamper(f, "slot.custodian", 1);
    tamper(f, "slot.custodian.mac", 1);
    tamper(f, "custodian", 1);
    tamper(f, "slot.custodian", 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_k_subset_opens_and_fewer_do_not, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_k_minus_one_with_a_forged_share_does_not_open,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_setup_and_other_vault_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_by_rekey_voids_the_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_k_n_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_rows_altered_planted_removed, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
