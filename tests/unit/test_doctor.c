/* SPDX-License-Identifier: GPL-3.0-or-later */
/* doctor's last-backup check (src/cmd/doctor_backup.c): which backup events in
 * the audit chain count, and the row it makes of them. */
#include "testutil.h"

#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* ---- the swap check (src/cmd/doctor_swap.c), against a made-up sysfs ---- */

static void
put(const char *dir, const char *rel, const char *text)
{
    char path[4200], *slash;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    for (slash = strchr(path + strlen(dir) + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0700);
        *slash = '/';
    }
    if (text == NULL) { /* a folder */
        mkdir(path, 0700);
        return;
    }
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* /proc/swaps holding name (type file) with the heading, into dir/swaps. */
static void
swaps_with(const char *dir, const char *line)
{
    char text[1024];

    snprintf(text, sizeof(text), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n%s", line);
    put(dir, "swaps", text);
}

static void
test_swap_detail(void **state)
{
    char dir[256], swaps[300], sys[300], file[300], line[600], rel[300], detail[512];
    struct stat sb;

    (void)state;
    tu_tmpdir(dir, sizeof(dir));
    snprintf(swaps, sizeof(swaps), "%s/swaps", dir);
    snprintf(sys, sizeof(sys), "%s/sys", dir);
    /* No swap at all; a swaps file that cannot be read warns. */
    swaps_with(dir, "");
    assert_int_equal(kz_doctor_swap_detail(swaps, sys, detail, sizeof(detail)), 0);
    assert_string_equal(detail, "none: memory is never written to a swap disk");
    assert_int_equal(kz_doctor_swap_detail("/nonexistent/swaps", sys, detail, sizeof(detail)), 1);
    assert_non_null(strstr(detail, "cannot read /nonexistent/swaps"));
    /* zram is memory. */
    swaps_with(dir, "/dev/zram0\tpartition\t1048572\t0\t100\n");
    assert_int_equal(kz_doctor_swap_detail(swaps, sys, detail, sizeof(detail)), 0);
    assert_string_equal(detail, "1 area, each encrypted or in memory (zram)");
    /* A swap file (its name with a space, as /proc/swaps escapes it) on a
     * file system whose device is a plain disk: the warning names it. */
    snprintf(file, sizeof(file), "%s/swap file", dir);
    put(dir, "swap file", "");
    assert_int_equal(stat(file, &sb), 0);
    snprintf(line, sizeof(line), "%s/swap\\040file\tfile\t1048572\t0\t-2\n", dir);
    swaps_with(dir, line);
    snprintf(rel, sizeof(rel), "sys/dev/block/%u:%u", major(sb.st_dev), minor(sb.st_dev));
    put(dir, rel, NULL);
    assert_int_equal(kz_doctor_swap_detail(swaps, sys, detail, sizeof(detail)), 1);
    snprintf(line, sizeof(line),
             "swap on %s is not encrypted: decoded notes in ordinary memory could be written "
             "there (encrypted swap, or none)",
             file);
    assert_string_equal(detail, line);
    /* LVM on a plain partition: still not encrypted. */
    snprintf(line, sizeof(line), "%s/dm/uuid", rel);
    put(dir, line, "LVM-Jx1\n");
    snprintf(line, sizeof(line), "%s/slaves/sda3", rel);
    put(dir, line, "");
    put(dir, "sys/class/block/sda3/size", "100\n");
    assert_int_equal(kz_doctor_swap_detail(swaps, sys, detail, sizeof(detail)), 1);
    /* LVM on LUKS: the layer below is dm-crypt. */
    snprintf(line, sizeof(line), "%s/slaves/dm-0", rel);
    put(dir, line, "");
    put(dir, "sys/class/block/dm-0/dm/uuid", "CRYPT-LUKS2-5d1e-luks\n");
    assert_int_equal(kz_doctor_swap_detail(swaps, sys, detail, sizeof(detail)), 0);
    assert_string_equal(detail, "1 area, each encrypted or in memory (zram)");
    /* dm-crypt itself (plain swap encrypted at boot with a random key). */
    snprintf(line, sizeof(line), "%s/dm/uuid", rel);
    put(dir, line, "CRYPT-PLAIN-swap\n");
    assert_int_equal(kz_doctor_swap_detail(swaps, sys, detail, sizeof(detail)), 0);
    /* One encrypted area and one that is not: the warning names only that one. */
    snprintf(line, sizeof(line),
             "%s/swap\\040file\tfile\t1048572\t0\t-2\n/dev/kz-missing\tpartition\t1\t0\t-3\n", dir);
    swaps_with(dir, line);
    assert_int_equal(kz_doctor_swap_detail(swaps, sys, detail, sizeof(detail)), 1);
    assert_non_null(strstr(detail, "swap on /dev/kz-missing is not encrypted"));
    assert_null(strstr(detail, "swap file"));
    assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_backup_only_keyed_events_count),
        cmocka_unit_test(test_backup_detail_rows),
        cmocka_unit_test(test_swap_detail),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
