/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A couple's lifecycle (issue #16, src/model/couple_life.c): closing date,
 * reopening, legal hold, retention end, the erase check and its messages,
 * the strict fields, and bodies older than the issue. */
#include "testutil.h"

#include "kizuna/model_couple.h"

static json_t *
couple(const char *status)
{
    json_t *c = kz_couple_new("C014", "2020-01-10");

    json_object_set_new(c, "status", json_string(status));
    return c;
}

static int
decode(const char *text, struct kz_err *err)
{
    json_t *c = NULL;
    int rc;

    kz_err_clear(err);
    rc = kz_couple_decode(text, strlen(text), &c, err);
    json_decref(c);
    return rc;
}

/* c encoded and decoded again as a sealed body. */
static int
round_trip(const json_t *c, struct kz_err *err)
{
    char *text = json_dumps(c, JSON_COMPACT);
    int rc;

    assert_non_null(text);
    rc = decode(text, err);
    free(text);
    return rc;
}

static void
test_close_reopen(void **state)
{
    json_t *c = couple("active");
    struct kz_err err = {0, ""};

    (void)state;
    assert_int_equal(kz_couple_writable(c, &err), KZ_OK);
    assert_int_equal(kz_couple_close(c, 20260615, &err), KZ_OK);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "closed");
    assert_string_equal(json_string_value(json_object_get(c, "closed")), "2026-06-15");
    assert_int_equal(kz_couple_closed_on(c), 20260615);
    assert_int_equal(round_trip(c, &err), KZ_OK);
    assert_int_equal(kz_couple_writable(c, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is closed (archived): couple reopen C014 to change it");
    assert_int_equal(kz_couple_close(c, 20260701, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is already closed since 2026-06-15");
    assert_int_equal(kz_couple_closed_on(c), 20260615); /* not moved */
    assert_int_equal(kz_couple_reopen(c, 20270102, &err), KZ_OK);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "active");
    assert_null(json_object_get(c, "closed"));
    assert_string_equal(json_string_value(json_object_get(c, "reopened")), "2027-01-02");
    assert_int_equal(kz_couple_writable(c, &err), KZ_OK);
    assert_int_equal(round_trip(c, &err), KZ_OK);
    assert_int_equal(kz_couple_reopen(c, 20270103, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is not closed (active)");
    json_decref(c);
}

static void
test_set_status_closes(void **state)
{
    json_t *c = couple("active");
    struct kz_err err = {0, ""};

    (void)state;
    setenv("KIZUNA_TEST_TODAY", "2026-03-04", 1);
    assert_int_equal(kz_couple_set(c, "status", "closed", &err), KZ_OK);
    assert_string_equal(json_string_value(json_object_get(c, "closed")), "2026-03-04");
    assert_int_equal(kz_couple_set(c, "status", "paused", &err), KZ_OK);
    assert_null(json_object_get(c, "closed"));
    assert_int_equal(round_trip(c, &err), KZ_OK);
    unsetenv("KIZUNA_TEST_TODAY");
    json_decref(c);
}

static void
test_hold_release(void **state)
{
    json_t *c = couple("closed");
    struct kz_err err = {0, ""};
    const char *reason = NULL;
    char long_reason[KZ_HOLD_REASON_MAX + 2];

    (void)state;
    assert_false(kz_couple_on_hold(c, &reason));
    assert_null(reason);
    assert_int_equal(kz_couple_hold(c, "", 20260301, &err), KZ_EUSAGE);
    assert_int_equal(kz_couple_hold(c, "two\nlines", 20260301, &err), KZ_EUSAGE);
    memset(long_reason, 'x', sizeof(long_reason) - 1);
    long_reason[sizeof(long_reason) - 1] = '\0';
    assert_int_equal(kz_couple_hold(c, long_reason, 20260301, &err), KZ_EUSAGE);
    assert_null(json_object_get(c, "hold"));
    assert_int_equal(kz_couple_hold(c, "court order 12 O 34/26", 20260301, &err), KZ_OK);
    assert_true(kz_couple_on_hold(c, &reason));
    assert_string_equal(reason, "court order 12 O 34/26");
    assert_int_equal(kz_couple_hold_since(c), 20260301);
    assert_int_equal(round_trip(c, &err), KZ_OK);
    assert_int_equal(kz_couple_hold(c, "again", 20260302, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is already on legal hold since 2026-03-01 (court order "
                                 "12 O 34/26): couple release C014 first");
    assert_int_equal(kz_couple_release(c, &err), KZ_OK);
    assert_false(kz_couple_on_hold(c, NULL));
    assert_int_equal(kz_couple_release(c, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is not on legal hold");
    json_decref(c);
}

static void
test_retention_end(void **state)
{
    json_t *c = couple("active");
    struct kz_err err = {0, ""};

    (void)state;
    /* Active or paused: no end (retention runs once treatment has ended). */
    assert_int_equal(kz_couple_retention_end(c, 20260101, 10), 0);
    json_object_set_new(c, "status", json_string("paused"));
    assert_int_equal(kz_couple_retention_end(c, 20260101, 10), 0);
    /* Closed before closing dates: the last session, else the intake. */
    json_object_set_new(c, "status", json_string("closed"));
    assert_int_equal(kz_couple_retention_end(c, 20230405, 10), 20330405);
    assert_int_equal(kz_couple_retention_end(c, 0, 10), 20300110);
    /* Closed with a date: the date, whatever the sessions say. */
    json_object_set_new(c, "status", json_string("active"));
    assert_int_equal(kz_couple_close(c, 20260615, &err), KZ_OK);
    assert_int_equal(kz_couple_retention_end(c, 20230405, 10), 20360615);
    assert_int_equal(kz_couple_retention_end(c, 20230405, 1), 20270615);
    assert_int_equal(kz_couple_retention_end(c, 20230405, 100), 21260615);
    /* 29 February to a common year. */
    assert_int_equal(kz_date_add_years(20240229, 1), 20250228);
    assert_int_equal(kz_date_add_years(20240229, 4), 20280229);
    assert_int_equal(kz_date_add_years(0, 10), 0);
    json_decref(c);
}

static void
test_erase_check(void **state)
{
    json_t *c = couple("active");
    struct kz_err err = {0, ""};

    (void)state;
    assert_int_equal(kz_couple_erase_check(c, 20260101, 10, 20400101, 1, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is active: couple close C014 first");
    json_object_set_new(c, "status", json_string("paused"));
    assert_int_equal(kz_couple_erase_check(c, 20260101, 10, 20400101, 0, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is paused: couple close C014 first");
    json_object_set_new(c, "status", json_string("active"));
    assert_int_equal(kz_couple_close(c, 20260615, &err), KZ_OK);
    /* On the last day kept: refused; the day after: allowed. */
    assert_int_equal(kz_couple_erase_check(c, 20260101, 10, 20360615, 0, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is kept until 2036-06-15 (10 years after closing, "
                                 "config retention.years): --before-retention --reason TEXT "
                                 "for a client's erasure request");
    assert_int_equal(kz_couple_erase_check(c, 20260101, 10, 20360616, 0, &err), KZ_OK);
    assert_int_equal(kz_couple_erase_check(c, 20260101, 10, 20260616, 1, &err), KZ_OK);
    assert_int_equal(kz_couple_erase_check(c, 20260101, 1, 20260616, 0, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is kept until 2027-06-15 (1 year after closing, "
                                 "config retention.years): --before-retention --reason TEXT "
                                 "for a client's erasure request");
    /* A hold wins over everything, --before-retention too. */
    assert_int_equal(kz_couple_hold(c, "subpoena", 20260301, &err), KZ_OK);
    assert_int_equal(kz_couple_erase_check(c, 20260101, 10, 20400101, 1, &err), KZ_ERR);
    assert_string_equal(err.msg,
                        "C014 is on legal hold since 2026-03-01 (subpoena): couple release "
                        "C014 first");
    assert_int_equal(kz_couple_release(c, &err), KZ_OK);
    /* Closed before closing dates: counted from the last session. */
    json_object_del(c, "closed");
    assert_int_equal(kz_couple_erase_check(c, 20230405, 10, 20330405, 0, &err), KZ_ERR);
    assert_string_equal(err.msg, "C014 is kept until 2033-04-05 (10 years after the last "
                                 "session, config retention.years): --before-retention "
                                 "--reason TEXT for a client's erasure request");
    json_decref(c);
}

static void
test_strict_fields(void **state)
{
    static const char base[] = "{\"kind\":\"couple\",\"v\":1,\"code\":\"C1\",\"status\":\"%s\","
                               "\"partner1\":{},\"partner2\":{}%s}";
    static const struct {
        const char *status, *extra, *msg; /* msg NULL: accepted */
    } cases[] = {
        {"closed", "", NULL}, /* older bodies: none of the new fields */
        {"closed", ",\"closed\":\"2026-06-15\"", NULL},
        {"active", ",\"reopened\":\"2026-06-15\",\"hold\":null", NULL},
        {"active", ",\"hold\":{\"reason\":\"r\",\"since\":\"2026-03-01\"}", NULL},
        {"closed", ",\"closed\":\"2026-02-30\"", "couple record: field 'closed' is not a date "
                                                 "(YYYY-MM-DD)"},
        {"closed", ",\"closed\":20260615", "couple record: field 'closed' is not a string"},
        {"active", ",\"closed\":\"2026-06-15\"",
         "couple record: field 'closed' is set on a couple that is not closed"},
        {"active", ",\"reopened\":\"soon\"",
         "couple record: field 'reopened' is not a date (YYYY-MM-DD)"},
        {"active", ",\"hold\":true", "couple record: field 'hold' is not null or an object"},
        {"active", ",\"hold\":{\"reason\":\"r\"}",
         "couple record: field 'hold.since' is missing or not a date (YYYY-MM-DD)"},
        {"active", ",\"hold\":{\"reason\":\"\",\"since\":\"2026-03-01\"}",
         "couple record: field 'hold.reason' is missing or empty"},
        {"active", ",\"hold\":{\"reason\":\"r\",\"since\":\"2026-03-01\",\"by\":\"x\"}",
         "couple record: field 'hold.by' is unknown"},
    };
    struct kz_err err = {0, ""};
    char text[512];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), base, cases[i].status, cases[i].extra);
        if (cases[i].msg == NULL) {
            if (decode(text, &err) != KZ_OK)
                fail_msg("%s: %s", text, err.msg);
            continue;
        }
        assert_int_equal(decode(text, &err), KZ_EINTEGRITY);
        assert_string_equal(err.msg, cases[i].msg);
    }
    /* An import names the field the import way. */
    {
        json_t *c = json_loads("{\"kind\":\"couple\",\"v\":1,\"status\":\"active\",\"partner1\":"
                               "{},\"partner2\":{},\"closed\":\"2026-01-01\"}",
                               0, NULL);
        assert_int_equal(kz_couple_check(c, KZ_COUPLE_IMPORT, &err), KZ_EUSAGE);
        assert_string_equal(err.msg, "not a kizuna export: the couple's field 'closed' is set "
                                     "on a couple that is not closed");
        json_decref(c);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_reopen),   cmocka_unit_test(test_set_status_closes),
        cmocka_unit_test(test_hold_release),   cmocka_unit_test(test_retention_end),
        cmocka_unit_test(test_erase_check),    cmocka_unit_test(test_strict_fields),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
