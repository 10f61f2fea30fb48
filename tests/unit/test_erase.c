/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What couple erase counts and says (issue #16, src/model/erase.c): the
 * tally of a couple's children with the signed sessions, the one-line
 * summary, and which audit events are backups since the couple's creation. */
#include "testutil.h"

#include "kizuna/model_erase.h"

static void
add(struct kz_erase_tally *t, int kind, int flags)
{
    struct kz_head_info hi;

    memset(&hi, 0, sizeof(hi));
    hi.kind = kind;
    hi.flags = (uint8_t)flags;
    kz_erase_tally_add(t, &hi);
}

static void
test_tally_and_describe(void **state)
{
    struct kz_erase_tally t = {0, 0, 0, 0};
    char buf[160];
    int i;

    (void)state;
    kz_erase_describe("C014", &t, buf, sizeof(buf));
    assert_string_equal(buf, "C014: 0 sessions, 0 goals, 0 scores, the profile");
    for (i = 0; i < 9; i++)
        add(&t, KZ_KIND_SESSION, i < 7 ? KZ_HF_SIGNED : (i == 7 ? KZ_HF_VOID : 0));
    add(&t, KZ_KIND_GOAL, 0);
    add(&t, KZ_KIND_GOAL, 0);
    for (i = 0; i < 54; i++)
        add(&t, KZ_KIND_SCORE, KZ_HF_PARTNER1);
    add(&t, KZ_KIND_COUPLE, 0); /* not a child: ignored */
    add(&t, KZ_KIND_CONFIG, 0);
    assert_int_equal(t.sessions, 9);
    assert_int_equal(t.signed_sessions, 7);
    kz_erase_describe("C014", &t, buf, sizeof(buf));
    assert_string_equal(buf, "C014: 9 sessions (7 signed), 2 goals, 54 scores, the profile");
    memset(&t, 0, sizeof(t));
    add(&t, KZ_KIND_SESSION, 0);
    add(&t, KZ_KIND_GOAL, 0);
    add(&t, KZ_KIND_SCORE, 0);
    kz_erase_describe("c4", &t, buf, sizeof(buf));
    assert_string_equal(buf, "c4: 1 session (0 signed), 1 goal, 1 score, the profile");
    kz_erase_describe("C014", &t, buf, 10); /* cut, terminated */
    assert_string_equal(buf, "C014: 1 s");
}

static void
test_backup_since(void **state)
{
    static const char *const b1 = "{\"t\":\"2026-01-01T10:00:00Z\",\"event\":\"backup\"}";
    static const char *const b2 = "{\"t\":\"2026-03-01T10:00:00Z\",\"event\":\"backup\","
                                  "\"keyless\":true}";
    static const char *const v = "{\"t\":\"2026-03-01T10:00:00Z\",\"event\":\"view\"}";
    const char *since = "2026-02-01T00:00:00Z";

    (void)state;
    assert_int_equal(kz_erase_backup_since(b1, strlen(b1), since), 0);
    assert_int_equal(kz_erase_backup_since(b2, strlen(b2), since), 1);
    assert_int_equal(kz_erase_backup_since(v, strlen(v), since), 0);
    assert_int_equal(kz_erase_backup_since(b1, strlen(b1), NULL), 1); /* no creation time */
    assert_int_equal(kz_erase_backup_since(b1, strlen(b1), ""), 1);
    assert_int_equal(kz_erase_backup_since(b1, strlen(b1), "2026-01-01T10:00:00Z"), 1);
    assert_int_equal(kz_erase_backup_since("not json", 8, since), 0);
    assert_int_equal(kz_erase_backup_since("{\"event\":\"backup\"}", 18, since), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tally_and_describe),
        cmocka_unit_test(test_backup_since),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
