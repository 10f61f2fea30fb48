/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The config record (include/kizuna/model_config.h): round trip, every message
 * a setting or template gives, strict decoding, the counters older vaults kept. */
#include "testutil.h"

#include "kizuna/model.h"
#include "kizuna/model_config.h"

static int
decode(const char *text, struct kz_err *err)
{
    json_t *c = NULL;
    int rc;

    kz_err_clear(err);
    rc = kz_conf_decode(text, strlen(text), &c, err);
    if (rc != KZ_OK)
        assert_null(c);
    json_decref(c);
    return rc;
}

static void
put(json_t *cfg, const char *key, const char *text)
{
    struct kz_err err = {0, ""};
    const struct kz_setting *s = kz_setting_lookup(key, &err);
    json_t *v;

    assert_non_null(s);
    if ((v = kz_setting_parse(s, text, &err)) == NULL)
        fail_msg("%s %s: %s", key, text, err.msg);
    kz_conf_put(cfg, s->key, v);
}

static void
test_round_trip(void **state)
{
    json_t *cfg = kz_conf_new(), *back = NULL;
    struct kz_err err = {0, ""};
    char *text;

    (void)state;
    put(cfg, "practice.name", "Praxis Mitte");
    put(cfg, "therapist.name", "Dr. Sato");
    put(cfg, "idle-lock", "10m");
    put(cfg, "backup.warn-days", "14");
    put(cfg, "date-format", "DD.MM.YYYY");
    put(cfg, "pager", "off");
    assert_int_equal(kz_conf_template_add(cfg, "ifs-parts", "## Parts\n## Self\n", 17,
                                          "2026-02-01T10:00:00Z", &err),
                     KZ_OK);
    text = json_dumps(cfg, JSON_COMPACT);
    assert_int_equal(kz_conf_decode(text, strlen(text), &back, &err), KZ_OK);
    assert_true(json_equal(cfg, back));
    assert_int_equal(kz_conf_idle_lock(back), 600);
    assert_int_equal(kz_conf_warn_days(back, 7), 14);
    assert_int_equal(kz_conf_date_style(back), KZ_DATE_DMY_DOT);
    assert_string_equal(json_string_value(kz_conf_get(back, "date-format")), "dd.mm.yyyy");
    assert_int_equal(kz_conf_pager(back), 0);
    assert_string_equal(kz_conf_template(back, "ifs-parts"), "## Parts\n## Self\n");
    /* Unset: the defaults apply again. */
    kz_conf_put(back, "idle-lock", NULL);
    kz_conf_put(back, "backup.warn-days", NULL);
    kz_conf_put(back, "date-format", NULL);
    kz_conf_put(back, "pager", NULL);
    assert_int_equal(kz_conf_idle_lock(back), -1);
    assert_int_equal(kz_conf_warn_days(back, 7), 7);
    assert_int_equal(kz_conf_date_style(back), KZ_DATE_ISO);
    assert_int_equal(kz_conf_pager(back), 1);
    assert_int_equal(kz_conf_template_remove(back, "ifs-parts"), 0);
    assert_int_equal(kz_conf_template_remove(back, "ifs-parts"), -1);
    assert_null(kz_conf_template(back, "ifs-parts"));
    free(text);
    json_decref(back);
    json_decref(cfg);
}

static void
test_setting_messages(void **state)
{
    static const char *const cases[][3] = {
        {"pager", "yes",
         "pager: on or off (the program is $PAGER, else less -R; set PAGER to choose it)"},
        {"date-format", "yyyy/mm/dd",
         "date-format: iso (2026-03-01, the default), dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy"},
        {"idle-lock", "10x", "idle-lock: takes seconds (or 10m, 1h), at most a day; 0 means never"},
        {"idle-lock", "25h", "idle-lock: takes seconds (or 10m, 1h), at most a day; 0 means never"},
        {"idle-lock", "-5", "idle-lock: takes seconds (or 10m, 1h), at most a day; 0 means never"},
        {"backup.warn-days", "3651", "backup.warn-days: takes a number of days from 0 to 3650"},
        {"backup.warn-days", "7d", "backup.warn-days: takes a number of days from 0 to 3650"},
        {"practice.name", "\xff", "practice.name: at most 200 bytes of UTF-8 text"},
        {"retention.years", "0", "retention.years: takes a number of years from 1 to 100 (the "
                                  "default 10 is Germany's, 630f BGB)"},
        {"retention.years", "101", "retention.years: takes a number of years from 1 to 100 (the "
                                    "default 10 is Germany's, 630f BGB)"},
        {"retention.years", "10y", "retention.years: takes a number of years from 1 to 100 (the "
                                    "default 10 is Germany's, 630f BGB)"},
        {"retention.years", "-3", "retention.years: takes a number of years from 1 to 100 (the "
                                   "default 10 is Germany's, 630f BGB)"},
    };
    struct kz_err err;
    char long_name[202];
    json_t *v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kz_err_clear(&err);
        v = kz_setting_parse(kz_setting_lookup(cases[i][0], NULL), cases[i][1], &err);
        assert_null(v);
        assert_int_equal(err.code, KZ_EUSAGE);
        if (strcmp(err.msg, cases[i][2]) != 0)
            fail_msg("%s %s: got \"%s\"", cases[i][0], cases[i][1], err.msg);
    }
    memset(long_name, 'a', 201);
    long_name[201] = '\0';
    assert_null(kz_setting_parse(kz_setting_lookup("practice.name", NULL), long_name, &err));
    long_name[200] = '\0';
    v = kz_setting_parse(kz_setting_lookup("practice.name", NULL), long_name, &err);
    assert_non_null(v);
    json_decref(v);
    v = kz_setting_parse(kz_setting_lookup("idle-lock", NULL), "1h", &err);
    assert_int_equal(json_integer_value(v), 3600);
    json_decref(v);
    assert_null(kz_setting_lookup("colour", &err));
    assert_int_equal(err.code, KZ_EUSAGE);
    assert_string_equal(err.msg, "unknown setting 'colour' (known: practice.name, "
                                 "therapist.name, idle-lock, backup.warn-days, date-format, "
                                 "pager, retention.years)");
    /* retention.years: 1 to 100, 10 when unset. */
    {
        json_t *cfg = kz_conf_new();
        assert_int_equal(kz_conf_retention_years(cfg), KZ_RETENTION_YEARS_DEFAULT);
        v = kz_setting_parse(kz_setting_lookup("retention.years", NULL), "1", &err);
        assert_non_null(v);
        kz_conf_put(cfg, "retention.years", v);
        assert_int_equal(kz_conf_retention_years(cfg), 1);
        v = kz_setting_parse(kz_setting_lookup("retention.years", NULL), "100", &err);
        kz_conf_put(cfg, "retention.years", v);
        assert_int_equal(kz_conf_retention_years(cfg), 100);
        json_decref(cfg);
    }
}

static void
test_template_messages(void **state)
{
    json_t *cfg = kz_conf_new();
    struct kz_err err;
    char *big = malloc(KZ_TEMPLATE_MAX + 2);

    (void)state;
    assert_int_equal(kz_conf_template_add(cfg, "intake", "## A\n", 5, "t", &err), KZ_OK);
    assert_int_equal(kz_conf_template_add(cfg, "intake", "## B\n", 5, "t", &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "template intake already exists ('template remove intake' "
                                 "first)");
    memset(big, '#', KZ_TEMPLATE_MAX + 1);
    big[KZ_TEMPLATE_MAX + 1] = '\0';
    assert_int_equal(kz_conf_template_add(cfg, "big", big, KZ_TEMPLATE_MAX + 1, "t", &err),
                     KZ_EUSAGE);
    assert_string_equal(err.msg, "a template is at most 16 KiB");
    assert_int_equal(kz_conf_template_add(cfg, "bin", "\xc3\x28", 2, "t", &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "the template is not valid UTF-8 text");
    assert_null(kz_conf_template(cfg, "big"));
    assert_null(kz_conf_template(cfg, "bin"));
    assert_true(kz_template_name_ok("ifs-parts"));
    assert_true(kz_template_name_ok("a2"));
    assert_false(kz_template_name_ok(""));
    assert_false(kz_template_name_ok("-x"));
    assert_false(kz_template_name_ok("Intake"));
    assert_false(kz_template_name_ok("my notes"));
    assert_false(kz_template_name_ok("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
    assert_true(kz_template_name_ok("abcdefghijklmnopqrstuvwxyz012345"));  /* 32 */
    free(big);
    json_decref(cfg);
}

#define HEAD "\"kind\":\"config\",\"v\":1"

static void
test_strict_decoding(void **state)
{
    static const char *const cases[][2] = {
        {"{" HEAD ",\"theme\":\"dark\"}", "config record: unknown field 'theme'"},
        {"{" HEAD ",\"settings\":{\"colour\":\"blue\"}}", "config record: unknown setting 'colour'"},
        {"{" HEAD ",\"settings\":{\"idle-lock\":\"600\"}}",
         "config record: setting 'idle-lock' is not a whole number"},
        {"{" HEAD ",\"settings\":{\"pager\":0}}", "config record: setting 'pager' is not a string"},
        {"{" HEAD ",\"settings\":[]}", "config record: field 'settings' is not an object"},
        {"{" HEAD ",\"templates\":{\"x\":{\"text\":\"a\",\"author\":\"me\"}}}",
         "config record: unknown field 'templates.x.author'"},
        {"{" HEAD ",\"templates\":{\"x\":{\"created\":\"t\"}}}",
         "config record: template 'x' has no text"},
        {"{" HEAD ",\"templates\":{\"x\":{\"text\":\"a\",\"created\":5}}}",
         "config record: field 'templates.x.created' is not a string"},
        {"{" HEAD ",\"counters\":{\"note\":3}}", "config record: unknown field 'counters.note'"},
        {"{" HEAD ",\"counters\":{\"session\":\"3\"}}",
         "config record: field 'counters.session' is not a whole number"},
        {"{\"kind\":\"themes\",\"v\":1}", "config record: field 'kind' is not \"config\""},
        {"{\"kind\":\"config\",\"v\":2}", "config record: field 'v' is not 1"},
        {"[\"config\"]", "config record: not a JSON object"},
    };
    struct kz_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (decode(cases[i][0], &err) != KZ_EINTEGRITY || strcmp(err.msg, cases[i][1]) != 0)
            fail_msg("case %zu: got %d \"%s\"", i, err.code, err.msg);
    }
    assert_int_equal(decode("{" HEAD ",\"settings\":{\"pager\":\"on\",\"pager\":\"off\"}}", &err),
                     KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "config record: not JSON"));
    assert_int_equal(decode("{" HEAD ",\"v\":1}", &err), KZ_EINTEGRITY);
}

/* Older vaults: the short-id counters kept in the config record before they
 * moved to the commitment, and records without settings or templates. */
static void
test_old_records_accepted(void **state)
{
    const char *old = "{" HEAD ",\"settings\":{\"practice.name\":\"P\"},"
                      "\"counters\":{\"session\":12,\"goal\":3}}";
    struct kz_err err;
    json_t *cfg = NULL;

    (void)state;
    assert_int_equal(kz_conf_decode(old, strlen(old), &cfg, &err), KZ_OK);
    assert_int_equal(kz_conf_counter(cfg, KZ_KIND_SESSION), 12);
    assert_int_equal(kz_conf_counter(cfg, KZ_KIND_GOAL), 3);
    json_decref(cfg);
    assert_int_equal(decode("{" HEAD "}", &err), KZ_OK);
    assert_int_equal(decode("{" HEAD ",\"settings\":{},\"templates\":{}}", &err), KZ_OK);
    cfg = kz_conf_new();
    assert_int_equal(kz_conf_counter(cfg, KZ_KIND_SESSION), 0);
    assert_int_equal(kz_conf_check(cfg, &err), KZ_OK);
    json_decref(cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_setting_messages),
        cmocka_unit_test(test_template_messages),
        cmocka_unit_test(test_strict_decoding),
        cmocka_unit_test(test_old_records_accepted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
