/* SPDX-License-Identifier: GPL-3.0-or-later */
/* doctor's last-backup check (src/cmd/doctor_backup.c): which backup events in
 * the audit chain count, and the row it makes of them. */
#include "testutil.h"

#include <time.h>

#include "kizuna/cmd.h"
#include "../../src/cmd/cmds.h"
#include "../../src/cmd/doctor.h"

/* An ISO time days days before now into buf (32 bytes). */
static const char *
ago(long days, char *buf)
{
    time_t t = time(NULL) - (time_t)days * 86400 - 60;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static void
feed(struct kz_last_backup *lb, const char *json)
{
    assert_int_equal(kz_doctor_find_backup(lb, 1, json, strlen(json)), 0);
}

static void
test_find_backup_only_keyed_events_count(void **state)
{
    struct kz_last_backup lb = {"", "", ""};

    (void)state;
    /* Other events, a backup without a time, and what is no JSON are passed over. */
    feed(&lb, "{\"t\":\"2026-01-01T09:00:00Z\",\"event\":\"export\",\"cmd\":\"export\"}");
    feed(&lb, "{\"event\":\"backup\",\"cmd\":\"backup create\"}");
    feed(&lb, "not json");
    assert_string_equal(lb.t, "");
    assert_string_equal(lb.keyless, "");
    feed(&lb, "{\"t\":\"2026-01-02T09:00:00Z\",\"event\":\"backup\",\"cmd\":\"backup create\"}");
    assert_string_equal(lb.t, "2026-01-02T09:00:00Z");
    assert_string_equal(lb.keyless, "");
    /* The attack: anyone who can write the file seals a newer backup event to
     * the inbox key. It is noted as keyless, with the time it claimed, and the
     * keyed one stays the last that counts. */
    feed(&lb, "{\"t\":\"2026-01-09T09:00:00Z\",\"event\":\"backup\",\"cmd\":\"backup create\","
              "\"keyless\":true,\"claimed\":\"2026-01-08T23:00:00Z\"}");
    assert_string_equal(lb.t, "2026-01-02T09:00:00Z");
    assert_string_equal(lb.keyless, "2026-01-09T09:00:00Z");
    assert_string_equal(lb.claimed, "2026-01-08T23:00:00Z");
    /* A keyed backup after it: the keyless one no longer matters. */
    feed(&lb, "{\"t\":\"2026-01-10T09:00:00Z\",\"event\":\"backup\",\"cmd\":\"backup create\"}");
    assert_string_equal(lb.t, "2026-01-10T09:00:00Z");
    assert_string_equal(lb.keyless, "");
    assert_string_equal(lb.claimed, "");
    /* A keyless event as an older kizuna folded it ("t" claimed, "folded" the
     * fold's time): the fold time is the one shown, the claim kept apart. */
    feed(&lb, "{\"t\":\"2030-01-01T00:00:00Z\",\"event\":\"backup\",\"keyless\":true,"
              "\"folded\":\"2026-01-11T09:00:00Z\"}");
    assert_string_equal(lb.t, "2026-01-10T09:00:00Z");
    assert_string_equal(lb.keyless, "2026-01-11T09:00:00Z");
    assert_string_equal(lb.claimed, "2030-01-01T00:00:00Z");
    /* Only "keyless": true marks an event: the fold sets it on every pending
     * event it takes (and drops a "keyless" a writer planted), so a chain event
     * without it, or with false, was written with the key. */
    feed(&lb, "{\"t\":\"2026-01-12T09:00:00Z\",\"event\":\"backup\",\"keyless\":false}");
    assert_string_equal(lb.t, "2026-01-12T09:00:00Z");
    assert_string_equal(lb.keyless, "");
}

static void
test_backup_detail_rows(void **state)
{
    struct kz_last_backup lb = {"", "", ""};
    char detail[512], t[32], want[300];

    (void)state;
    assert_int_equal(kz_doctor_backup_detail(&lb, 7, detail, sizeof(detail)), 1);
    assert_string_equal(detail, "no backup recorded yet ('backup create FILE')");

    snprintf(lb.keyless, sizeof(lb.keyless), "2026-02-01T10:00:00Z");
    snprintf(lb.claimed, sizeof(lb.claimed), "2026-01-05T10:00:00Z");
    assert_int_equal(kz_doctor_backup_detail(&lb, 7, detail, sizeof(detail)), 1);
    assert_string_equal(detail,
                        "only keyless backups are recorded; the last backup event (folded "
                        "2026-02-01, claimed 2026-01-05) is unverified: it was written without "
                        "the key, as anyone who can write the vault file can ('backup create' "
                        "in the unlocked shell records one with the key; 'backup verify FILE' "
                        "checks a file)");

    /* A keyed backup today, a keyless one after it: ok, the keyless named. */
    snprintf(lb.t, sizeof(lb.t), "%s", ago(0, t));
    lb.claimed[0] = '\0';
    assert_int_equal(kz_doctor_backup_detail(&lb, 7, detail, sizeof(detail)), 0);
    snprintf(want, sizeof(want),
             "0 days ago (%.10s); the last backup event (folded 2026-02-01) is unverified: it "
             "was written without the key, as anyone who can write the vault file can",
             t);
    assert_string_equal(detail, want);

    lb.keyless[0] = '\0';
    snprintf(lb.t, sizeof(lb.t), "%s", ago(1, t));
    assert_int_equal(kz_doctor_backup_detail(&lb, 7, detail, sizeof(detail)), 0);
    snprintf(want, sizeof(want), "1 day ago (%.10s)", t);
    assert_string_equal(detail, want);

    /* The threshold: more than warn_days days warns, exactly warn_days does not. */
    snprintf(lb.t, sizeof(lb.t), "%s", ago(7, t));
    assert_int_equal(kz_doctor_backup_detail(&lb, 7, detail, sizeof(detail)), 0);
    snprintf(lb.t, sizeof(lb.t), "%s", ago(8, t));
    assert_int_equal(kz_doctor_backup_detail(&lb, 7, detail, sizeof(detail)), 1);
    snprintf(want, sizeof(want), "8 days ago (%.10s)", t);
    assert_string_equal(detail, want);
    assert_int_equal(kz_doctor_backup_detail(&lb, 30, detail, sizeof(detail)), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_backup_only_keyed_events_count),
        cmocka_unit_test(test_backup_detail_rows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
