/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Measures and scores (src/model/measure.c, score.c): the built-ins, the
 * checks of `measure define`, the config record's "measures", values as typed
 * and their ranges, and strict decoding of score bodies, sealed and imported. */
#include "testutil.h"

#include "kizuna/model_config.h"
#include "kizuna/model_score.h"

#define HEX "00112233445566778899aabbccddeeff"

static const char body_text[] =
    "{\"kind\":\"score\",\"v\":1,\"id\":3,\"couple\":\"" HEX "\",\"session\":\"s12\","
    "\"date\":\"2026-03-09\",\"partner\":1,\"measure\":\"ORS\",\"values\":[6.5,7,5,8],"
    "\"total\":26.5,\"created\":\"2026-03-09T10:00:00Z\"}";

static json_t *
body(const char *text)
{
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);

    assert_non_null(j);
    return j;
}

static void
test_builtins(void **state)
{
    const struct kz_measure *b, *ors = kz_measure_builtin("ors"), *srs = kz_measure_builtin("SRS"),
                                *csi = kz_measure_builtin("csi-4");
    size_t n, i;

    (void)state;
    b = kz_measure_builtins(&n);
    assert_int_equal(n, 3);
    assert_string_equal(b[0].name, "ORS");
    assert_non_null(ors);
    assert_true(ors->min == 0 && ors->max == 40 && ors->cutoff == 25 && ors->rci == 5);
    assert_int_equal(ors->nsub, 4);
    assert_string_equal(ors->sub[0], "individual");
    assert_string_equal(ors->sub[3], "overall");
    assert_int_equal(ors->role, KZ_MEASURE_OUTCOME);
    assert_true(srs->cutoff == 36 && srs->role == KZ_MEASURE_ALLIANCE && srs->nsub == 4);
    assert_string_equal(srs->sub[0], "relationship");
    assert_true(csi->max == 21 && csi->cutoff == 13.5 && csi->rci == 4.8 && csi->nsub == 0);
    for (i = 0; i < n; i++) {
        struct kz_err err;
        assert_true(b[i].builtin && b[i].higher_is_better);
        /* a built-in is a valid definition, but its name is taken */
        assert_int_equal(kz_measure_check(&b[i], &err), KZ_EUSAGE);
        assert_non_null(strstr(err.msg, "built-in"));
    }
    assert_null(kz_measure_builtin("PHQ-9"));
    assert_true(kz_measure_beyond_cutoff(ors, 24.5));
    assert_false(kz_measure_beyond_cutoff(ors, 25));
    assert_true(kz_measure_beyond_cutoff(srs, 35.9));
}

static struct kz_measure
own(void)
{
    struct kz_measure m;

    memset(&m, 0, sizeof(m));
    snprintf(m.name, sizeof(m.name), "FB-DE");
    m.min = 0;
    m.max = 30;
    m.cutoff = 12;
    m.rci = 4;
    m.higher_is_better = 0;
    return m;
}

static void
expect(const struct kz_measure *m, const char *words)
{
    struct kz_err err;

    kz_err_clear(&err);
    assert_int_equal(kz_measure_check(m, &err), KZ_EUSAGE);
    if (strstr(err.msg, words) == NULL)
        fail_msg("'%s' does not say '%s'", err.msg, words);
}

static void
test_define_checks(void **state)
{
    struct kz_measure m = own();
    struct kz_err err;
    double v;

    (void)state;
    assert_int_equal(kz_measure_check(&m, &err), KZ_OK);
    m.max = 0;
    expect(&m, "--min must be below --max");
    m = own();
    m.cutoff = 31;
    expect(&m, "--cutoff must lie within");
    m = own();
    m.rci = 0;
    expect(&m, "--rci must be above 0");
    m.rci = 30;
    expect(&m, "--rci must be above 0 and below the range");
    m = own();
    snprintf(m.name, sizeof(m.name), "Or s");
    expect(&m, "letters, digits");
    snprintf(m.name, sizeof(m.name), "srs");
    expect(&m, "SRS is a built-in");
    m = own();
    assert_int_equal(kz_measure_set_subscales(&m, "a,b,A", &err), KZ_OK);
    expect(&m, "named twice");
    assert_int_equal(kz_measure_set_subscales(&m, "a,b,c,d,e,f,g,h,i", &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "at most 8"));
    assert_int_equal(kz_measure_set_subscales(&m, "a,,b", &err), KZ_EUSAGE);
    assert_int_equal(kz_measure_set_subscales(&m, "a,b,", &err), KZ_EUSAGE);
    assert_int_equal(kz_measure_set_subscales(&m, "body,mind", &err), KZ_OK);
    assert_int_equal(m.nsub, 2);
    assert_string_equal(m.sub[1], "mind");
    snprintf(m.title, sizeof(m.title), "two\nlines");
    expect(&m, "--title is one line");
    assert_int_equal(kz_measure_number("--min", "13.5", &v, &err), KZ_OK);
    assert_true(v == 13.5);
    assert_int_equal(kz_measure_number("--min", "-2", &v, &err), KZ_OK);
    assert_true(v == -2);
    assert_int_equal(kz_measure_number("--rci", "1.25", &v, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "--rci: '1.25' is not a number"));
    assert_int_equal(kz_measure_number("--max", "x", &v, &err), KZ_EUSAGE);
    assert_int_equal(kz_measure_number("--max", "", &v, &err), KZ_EUSAGE);
}

static void
test_config_measures(void **state)
{
    json_t *cfg = kz_conf_new(), *again;
    struct kz_measure m = own(), got;
    struct kz_err err;
    char *text;

    (void)state;
    assert_int_equal(kz_measure_conf_add(cfg, &m, "2026-01-01T00:00:00Z", &err), KZ_OK);
    snprintf(m.name, sizeof(m.name), "fb-de");
    assert_int_equal(kz_measure_conf_add(cfg, &m, "2026-01-01T00:00:00Z", &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "measure FB-DE already exists"));
    assert_int_equal(kz_measure_conf_get(cfg, "fb-DE", &got), 0);
    assert_string_equal(got.name, "FB-DE");
    assert_true(got.max == 30 && got.cutoff == 12 && !got.higher_is_better && !got.builtin);
    /* the whole config record round-trips through the strict decoder */
    text = json_dumps(cfg, JSON_COMPACT);
    assert_int_equal(kz_conf_decode(text, strlen(text), &again, &err), KZ_OK);
    json_decref(again);
    free(text);
    /* an unknown field, a wrong type, a bad definition: refused, named */
    json_object_set_new(json_object_get(json_object_get(cfg, "measures"), "FB-DE"), "x",
                        json_true());
    assert_int_equal(kz_conf_check(cfg, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "'measures.FB-DE.x'"));
    json_object_del(json_object_get(json_object_get(cfg, "measures"), "FB-DE"), "x");
    json_object_set_new(json_object_get(json_object_get(cfg, "measures"), "FB-DE"), "min",
                        json_string("0"));
    assert_int_equal(kz_conf_check(cfg, &err), KZ_EINTEGRITY);
    json_object_set_new(json_object_get(json_object_get(cfg, "measures"), "FB-DE"), "min",
                        json_real(40));
    assert_int_equal(kz_conf_check(cfg, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "--min must be below --max"));
    json_object_set_new(json_object_get(json_object_get(cfg, "measures"), "FB-DE"), "min",
                        json_integer(0));
    assert_int_equal(kz_conf_check(cfg, &err), KZ_OK);
    json_object_set_new(json_object_get(cfg, "measures"), "ORS",
                        json_deep_copy(json_object_get(json_object_get(cfg, "measures"), "FB-DE")));
    assert_int_equal(kz_conf_check(cfg, &err), KZ_EINTEGRITY); /* a built-in's name */
    json_object_del(json_object_get(cfg, "measures"), "ORS");
    assert_int_equal(kz_measure_conf_remove(cfg, "fb-de"), 0);
    assert_int_equal(kz_measure_conf_remove(cfg, "fb-de"), -1);
    assert_int_equal(kz_measure_conf_get(cfg, "FB-DE", &got), -1);
    /* an old config without "measures" still reads */
    json_object_del(cfg, "measures");
    assert_int_equal(kz_conf_check(cfg, &err), KZ_OK);
    json_decref(cfg);
}

static void
test_values(void **state)
{
    const struct kz_measure *ors = kz_measure_builtin("ORS"), *csi = kz_measure_builtin("CSI-4");
    struct kz_score s;
    struct kz_err err;
    char buf[16];

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(kz_score_set_values(&s, ors, "6.5,7,5,8", &err), KZ_OK);
    assert_int_equal(s.nvalues, 4);
    assert_true(s.total == 26.5 && s.values[0] == 6.5);
    assert_int_equal(kz_score_set_values(&s, ors, "31.5", &err), KZ_OK);
    assert_int_equal(s.nvalues, 0);
    assert_true(s.total == 31.5);
    assert_int_equal(kz_score_set_values(&s, ors, "10,10,10,10", &err), KZ_OK);
    assert_true(s.total == 40);
    assert_int_equal(kz_score_set_values(&s, ors, "0", &err), KZ_OK);
    assert_int_equal(kz_score_set_values(&s, ors, "10.5,7,5,8", &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "ORS individual: 10.5 is outside 0 to 10");
    assert_int_equal(kz_score_set_values(&s, ors, "41", &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "ORS total: 41 is outside 0 to 40");
    assert_int_equal(kz_score_set_values(&s, ors, "6,7,5", &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "ORS takes 4 values"));
    assert_int_equal(kz_score_set_values(&s, ors, "6.55,7,5,8", &err), KZ_EUSAGE);
    assert_int_equal(kz_score_set_values(&s, ors, "-1", &err), KZ_EUSAGE);
    assert_int_equal(kz_score_set_values(&s, ors, "6,,5,8", &err), KZ_EUSAGE);
    assert_int_equal(kz_score_set_values(&s, ors, "", &err), KZ_EUSAGE);
    assert_int_equal(kz_score_set_values(&s, ors, "1e1", &err), KZ_EUSAGE);
    assert_int_equal(kz_score_set_values(&s, csi, "13.5", &err), KZ_OK);
    assert_int_equal(kz_score_set_values(&s, csi, "21.1", &err), KZ_EUSAGE);
    assert_int_equal(kz_score_set_values(&s, csi, "5,5", &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "no subscales"));
    kz_score_fmt(26.5, buf, sizeof(buf));
    assert_string_equal(buf, "26.5");
    kz_score_fmt(7, buf, sizeof(buf));
    assert_string_equal(buf, "7");
    kz_score_fmt(-0.5, buf, sizeof(buf));
    assert_string_equal(buf, "-0.5");
}

static void
test_round_trip_and_head(void **state)
{
    static const unsigned char parent[16] = {1, 2, 3};
    struct kz_score s, back;
    struct kz_head_info hi;
    struct kz_err err;
    json_t *doc, *ex;
    char m[KZ_MEASURE_NAME_MAX + 1];
    uint32_t sn;
    double total;
    char *text;

    (void)state;
    assert_int_equal(kz_score_parse(body_text, strlen(body_text), "score record 0011", &s, &err),
                     KZ_OK);
    assert_int_equal(s.num, 3);
    assert_int_equal(s.session, 12);
    assert_int_equal(s.date, 20260309);
    assert_string_equal(s.measure, "ORS");
    doc = kz_score_encode(&s);
    text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(12));
    assert_int_equal(kz_score_parse(text, strlen(text), "x", &back, &err), KZ_OK);
    assert_memory_equal(&s, &back, sizeof(s));
    free(text);
    json_decref(doc);
    kz_score_head(&s, parent, &hi);
    assert_int_equal(hi.kind, KZ_KIND_SCORE);
    assert_int_equal(hi.num, 3);
    assert_int_equal(hi.flags, KZ_HF_PARTNER1);
    assert_string_equal(hi.tags, "ORS s12 26.5");
    assert_int_equal(kz_score_tags(hi.tags, m, &sn, &total), 0);
    assert_string_equal(m, "ORS");
    assert_true(sn == 12 && total == 26.5);
    assert_int_equal(kz_score_tags("ORS 12 26.5", m, &sn, &total), -1);
    assert_int_equal(kz_score_tags("ORS s12", m, &sn, &total), -1);
    assert_int_equal(kz_score_tags("ORS s12 x", m, &sn, &total), -1);
    /* the export form imports back */
    ex = kz_score_export(&s, "C014");
    assert_string_equal(json_string_value(json_object_get(ex, "id")), "r3");
    assert_null(json_object_get(ex, "kind"));
    assert_int_equal(kz_score_decode(ex, KZ_SCORE_IMPORT, "imp", &back, &err), KZ_OK);
    assert_true(back.total == 26.5 && back.partner == 1 && back.nvalues == 4);
    json_decref(ex);
}

/* The sealed body with one field set to value (JSON text) or removed (NULL). */
static int
sealed_with(const char *field, const char *value, struct kz_err *err)
{
    json_t *doc = body(body_text);
    struct kz_score s;
    int rc;

    if (value == NULL)
        json_object_del(doc, field);
    else
        json_object_set_new(doc, field, body(value));
    kz_err_clear(err);
    rc = kz_score_decode(doc, KZ_SCORE_SEALED, "score record 0011", &s, err);
    json_decref(doc);
    return rc;
}

static void
test_sealed_strict(void **state)
{
    struct kz_err err;
    struct kz_score s;
    static const char *const wrong[][2] = {
        {"partner", "\"1\""}, {"partner", "3"},        {"total", "\"26.5\""},
        {"values", "{}"},     {"values", "[\"6\"]"},   {"session", "12"},
        {"session", "\"x\""}, {"date", "\"9.3.2026\""}, {"measure", "\"a b\""},
        {"id", "\"r3\""},     {"kind", "\"goal\""},    {"v", "2"},
        {"created", "1"},
    };
    size_t i;
    char dup[sizeof(body_text) + 32];

    (void)state;
    assert_int_equal(sealed_with("extra", "1", &err), KZ_EINTEGRITY);
    assert_string_equal(err.msg, "score record 0011 has an unknown field 'extra'");
    for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        if (sealed_with(wrong[i][0], wrong[i][1], &err) != KZ_EINTEGRITY)
            fail_msg("%s=%s was taken", wrong[i][0], wrong[i][1]);
        assert_non_null(strstr(err.msg, wrong[i][0]));
    }
    assert_int_equal(sealed_with("total", NULL, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "has no 'total'"));
    assert_int_equal(sealed_with("kind", NULL, &err), KZ_EINTEGRITY);
    /* a field given twice */
    snprintf(dup, sizeof(dup), "%.*s,\"total\":40}", (int)strlen(body_text) - 1, body_text);
    assert_int_equal(kz_score_parse(dup, strlen(dup), "score record 0011", &s, &err),
                     KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "total"));
    assert_int_equal(kz_score_parse("[1]", 3, "score record 0011", &s, &err), KZ_EINTEGRITY);
}

static void
test_import_strict(void **state)
{
    json_t *doc = body(body_text);
    struct kz_score s;
    struct kz_err err;

    (void)state;
    json_object_del(doc, "kind");
    json_object_del(doc, "v");
    json_object_set_new(doc, "id", json_string("r3"));
    json_object_set_new(doc, "couple", json_string("C014"));
    assert_int_equal(kz_score_decode(doc, KZ_SCORE_IMPORT, "imp", &s, &err), KZ_OK);
    json_object_set_new(doc, "id", json_integer(3));
    assert_int_equal(kz_score_decode(doc, KZ_SCORE_IMPORT, "imp", &s, &err), KZ_EUSAGE);
    json_object_set_new(doc, "id", json_string("r3"));
    json_object_set_new(doc, "mood", json_string("fine"));
    assert_int_equal(kz_score_decode(doc, KZ_SCORE_IMPORT, "imp", &s, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "imp has an unknown field 'mood'");
    json_object_del(doc, "mood");
    json_object_set_new(doc, "partner", json_integer(0));
    assert_int_equal(kz_score_decode(doc, KZ_SCORE_IMPORT, "imp", &s, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "'partner' is not 1 or 2"));
    json_decref(doc);
    /* the checks an import applies against the measure */
    memset(&s, 0, sizeof(s));
    s.nvalues = 4;
    s.values[0] = 11;
    s.total = 11;
    assert_int_equal(kz_score_check(&s, kz_measure_builtin("ORS"), &err), KZ_EUSAGE);
    s.values[0] = 5;
    s.total = 30; /* not the sum */
    assert_int_equal(kz_score_check(&s, kz_measure_builtin("ORS"), &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "not the sum"));
}

static void
test_series_free(void **state)
{
    struct kz_series s;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.p[0] = calloc(2, sizeof(*s.p[0]));
    s.n[0] = 2;
    kz_series_free(&s);
    assert_null(s.p[0]);
    assert_int_equal(s.n[0], 0);
    kz_series_free(&s); /* twice is harmless */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins),        cmocka_unit_test(test_define_checks),
        cmocka_unit_test(test_config_measures), cmocka_unit_test(test_values),
        cmocka_unit_test(test_round_trip_and_head), cmocka_unit_test(test_sealed_strict),
        cmocka_unit_test(test_import_strict),   cmocka_unit_test(test_series_free),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
