/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The couple record (include/kizuna/model_couple.h): round trip, every message
 * the setters give, strict decoding of sealed records and imports, the fields
 * older versions wrote, the children's tally and export order. */
#include "testutil.h"

#include "kizuna/model_couple.h"

static json_t *
parse(const char *text)
{
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

    assert_non_null(j);
    return j;
}

/* Decodes text as a sealed body: the return code, and the message in err. */
static int
decode(const char *text, struct kz_err *err)
{
    json_t *c = NULL;
    int rc;

    kz_err_clear(err);
    rc = kz_couple_decode(text, strlen(text), &c, err);
    if (rc == KZ_OK)
        assert_non_null(c);
    else
        assert_null(c);
    json_decref(c);
    return rc;
}

static void
set_ok(json_t *c, const char *field, const char *value)
{
    struct kz_err err = {0, ""};

    if (kz_couple_set(c, field, value, &err) != KZ_OK)
        fail_msg("set %s=%s: %s", field, value, err.msg);
}

static void
test_round_trip(void **state)
{
    json_t *c = kz_couple_new("C014", "2026-01-10"), *back = NULL;
    struct kz_err err = {0, ""};
    struct kz_head_info hi;
    char *text;

    (void)state;
    set_ok(c, "partner1.name", "Aiko");
    set_ok(c, "partner1.pronouns", "she/her");
    set_ok(c, "partner1.origin", "Japan");
    set_ok(c, "partner1.cultures", "Japanese, Kansai");
    set_ok(c, "partner1.languages", "ja:native, de:B2, en");
    set_ok(c, "partner1.local", "no");
    set_ok(c, "partner2.name", "Jonas");
    set_ok(c, "partner2.local", "");
    set_ok(c, "residence", "Berlin");
    set_ok(c, "home_languages", "de, ja");
    set_ok(c, "children_languages", "ja");
    set_ok(c, "children", "Mia:2019:de ja; Ken:2021; Yui");
    set_ok(c, "support", "her sister");
    set_ok(c, "referral", "GP");
    set_ok(c, "intake", "2026-02-01");
    set_ok(c, "status", "paused");
    set_ok(c, "consent.video", "yes");
    set_ok(c, "consent.research", "no");
    set_ok(c, "formulation.problem", "homesickness");
    set_ok(c, "notes", "first line\nsecond line");
    kz_couple_stamp(c, "created", "2026-02-01T10:00:00Z");
    kz_couple_stamp(c, "updated", "2026-02-02T10:00:00Z");
    text = json_dumps(c, JSON_COMPACT); /* as kz_rec_save seals it */
    assert_non_null(text);
    assert_int_equal(kz_couple_decode(text, strlen(text), &back, &err), KZ_OK);
    assert_true(json_equal(c, back));
    /* The order the fields were stored in is kept (show --json, export). */
    {
        char *again = json_dumps(back, JSON_COMPACT);
        assert_string_equal(again, text);
        free(again);
    }
    kz_couple_head(back, &hi);
    assert_int_equal(hi.kind, KZ_KIND_COUPLE);
    assert_string_equal(hi.code, "C014");
    assert_int_equal(hi.status, KZ_ST_PAUSED);
    assert_int_equal(hi.date, 20260201);
    assert_int_equal(kz_couple_status(back), KZ_ST_PAUSED);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(back, "children"), 0), "birth_year")),
                     2019);
    assert_null(json_object_get(json_array_get(json_object_get(back, "children"), 2),
                                "birth_year"));
    free(text);
    json_decref(back);
    json_decref(c);
}

/* Every message kz_couple_set gives, word for word as users see it. */
static void
test_validation_messages(void **state)
{
    static const char *const cases[][3] = {
        {"partner1.languages", "ja:fluentish",
         "partner1.languages: fluency 'fluentish' unknown (native, fluent, good, basic, none, "
         "or A1-C2)"},
        {"children", "Mia:20x9", "children: birth year '20x9' is not a year"},
        {"children", "Mia:1850", "children: birth year '1850' is not a year"},
        {"partner2.local", "maybe",
         "partner2.local: yes or no (does this partner live in their own home country?)"},
        {"partner1.age", "40",
         "unknown field 'partner1.age' (partner fields: name, pronouns, origin, cultures, "
         "languages, local)"},
        {"consent.Video", "yes", "consent.Video: consent names are lower-case words"},
        {"consent.video", "perhaps", "consent.video: yes or no"},
        {"formulation.history", "x",
         "unknown field 'formulation.history' (formulation.problem, .causes, .stressors, "
         ".identity, .coping, .relationship)"},
        {"intake", "31.02.2026", "intake: '31.02.2026' is not a date (February 2026 has 28 days)"},
        {"status", "achieved", "status: active, paused or closed"},
        {"status", "open", "status: active, paused or closed"},
        {"code", "C015", "the CODE cannot be changed with set"},
        {"colour", "blue",
         "unknown field 'colour' (try partner1.name, partner2.origin, residence, "
         "home_languages, children, support, referral, intake, status, consent.*, "
         "formulation.*, notes)"},
        {"residence", "\xff\xfe", "residence: at most 4000 bytes of UTF-8 text"},
    };
    json_t *c = kz_couple_new("C014", "2026-01-10"), *before = json_deep_copy(c);
    struct kz_err err;
    char *long_text = malloc(4002);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kz_err_clear(&err);
        assert_int_equal(kz_couple_set(c, cases[i][0], cases[i][1], &err), KZ_EUSAGE);
        if (strcmp(err.msg, cases[i][2]) != 0)
            fail_msg("%s=%s: got \"%s\"", cases[i][0], cases[i][1], err.msg);
        /* A refused value leaves the couple as it was. */
        assert_true(json_equal(c, before));
    }
    memset(long_text, 'x', 4001);
    long_text[4001] = '\0';
    assert_int_equal(kz_couple_set(c, "notes", long_text, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "notes: at most 4000 bytes of UTF-8 text");
    long_text[4000] = '\0';
    assert_int_equal(kz_couple_set(c, "notes", long_text, &err), KZ_OK);
    free(long_text);
    json_decref(before);
    json_decref(c);
}

#define BASE "\"kind\":\"couple\",\"v\":1,\"code\":\"C014\",\"status\":\"active\","
#define PARTNERS "\"partner1\":{},\"partner2\":{}"

static void
test_strict_decoding(void **state)
{
    static const char *const cases[][2] = {
        /* unknown fields, at every depth */
        {"{" BASE PARTNERS ",\"colour\":\"blue\"}", "couple record: field 'colour' is unknown"},
        {"{" BASE "\"partner1\":{\"age\":40},\"partner2\":{}}",
         "couple record: field 'partner1.age' is unknown"},
        {"{" BASE PARTNERS ",\"children\":[{\"name\":\"Mia\",\"school\":\"x\"}]}",
         "couple record: field 'children[0].school' is unknown"},
        {"{" BASE "\"partner1\":{\"languages\":[{\"lang\":\"ja\",\"level\":\"B2\"}]},"
         "\"partner2\":{}}",
         "couple record: field 'partner1.languages[0].level' is unknown"},
        {"{" BASE PARTNERS ",\"formulation\":{\"history\":\"\"}}",
         "couple record: field 'formulation.history' is unknown"},
        /* wrong types */
        {"{" BASE PARTNERS ",\"residence\":5}", "couple record: field 'residence' is not a string"},
        {"{" BASE "\"partner1\":{\"local\":\"yes\"},\"partner2\":{}}",
         "couple record: field 'partner1.local' is not true, false or null"},
        {"{" BASE PARTNERS ",\"consent\":{\"video\":\"yes\"}}",
         "couple record: field 'consent.video' is not true or false"},
        {"{" BASE PARTNERS ",\"children\":[{\"name\":\"Mia\",\"birth_year\":\"2019\"}]}",
         "couple record: field 'children[0].birth_year' is not a whole number"},
        {"{" BASE PARTNERS ",\"home_languages\":[\"de\",1]}",
         "couple record: field 'home_languages[1]' is not a string"},
        {"{" BASE PARTNERS ",\"children\":\"Mia\"}",
         "couple record: field 'children' is not a list of objects"},
        {"{" BASE PARTNERS ",\"consent\":[]}", "couple record: field 'consent' is not an object"},
        /* what the record is */
        {"{\"kind\":\"goal\",\"v\":1,\"status\":\"active\"," PARTNERS "}",
         "couple record: field 'kind' is not \"couple\""},
        {"{\"kind\":\"couple\",\"v\":2,\"status\":\"active\"," PARTNERS "}",
         "couple record: field 'v' is not 1"},
        {"{\"kind\":\"couple\",\"v\":1,\"status\":\"achieved\"," PARTNERS "}",
         "couple record: status (active, paused or closed) or a partner missing"},
        {"{" BASE "\"partner1\":{}}",
         "couple record: status (active, paused or closed) or a partner missing"},
        {"[1,2]", "couple record: not a JSON object"},
    };
    struct kz_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (decode(cases[i][0], &err) != KZ_EINTEGRITY || strcmp(err.msg, cases[i][1]) != 0)
            fail_msg("case %zu: got %d \"%s\"", i, err.code, err.msg);
    }
    /* A duplicate field, at the top or inside: an integrity error too. */
    assert_int_equal(decode("{" BASE PARTNERS ",\"status\":\"closed\"}", &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "couple record: not JSON"));
    assert_int_equal(decode("{" BASE "\"partner1\":{\"name\":\"A\",\"name\":\"B\"},"
                            "\"partner2\":{}}",
                            &err),
                     KZ_EINTEGRITY);
    assert_int_equal(decode("{" BASE PARTNERS "}", &err), KZ_OK);
}

/* An import names the field and is a usage error (exit 2); a malformed status
 * or partner keeps the message imports always gave. */
static void
test_import_names_the_field(void **state)
{
    json_t *c = parse("{" BASE PARTNERS ",\"hobby\":\"chess\"}");
    struct kz_err err;

    (void)state;
    assert_int_equal(kz_couple_check(c, KZ_COUPLE_IMPORT, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "not a kizuna export: the couple's field 'hobby' is unknown");
    json_decref(c);
    c = parse("{" BASE "\"partner1\":{\"cultures\":\"Japanese\"},\"partner2\":{}}");
    assert_int_equal(kz_couple_check(c, KZ_COUPLE_IMPORT, &err), KZ_EUSAGE);
    assert_string_equal(err.msg,
                        "not a kizuna export: the couple's field 'partner1.cultures' is not a "
                        "list of strings");
    json_decref(c);
    c = parse("{\"kind\":\"couple\",\"v\":1,\"status\":\"\"," PARTNERS "}");
    assert_int_equal(kz_couple_check(c, KZ_COUPLE_IMPORT, &err), KZ_EUSAGE);
    assert_string_equal(err.msg,
                        "not a kizuna export: the couple's status or partners are malformed");
    json_decref(c);
    c = parse("{\"kind\":\"couple\",\"v\":1,\"status\":\"active\",\"partner1\":[]," 
              "\"partner2\":{}}");
    assert_int_equal(kz_couple_check(c, KZ_COUPLE_IMPORT, &err), KZ_EUSAGE);
    assert_string_equal(err.msg,
                        "not a kizuna export: the couple's status or partners are malformed");
    json_decref(c);
}

/* What earlier versions wrote still opens: a couple as 0.1 saved it (every
 * skeleton field, created and updated, local null, a child without a birth
 * year, fluency ""), and a minimal one as an import from a hand-written
 * export stored it. */
static void
test_old_records_accepted(void **state)
{
    static const char *const old[] = {
        "{\"kind\":\"couple\",\"v\":1,\"code\":\"C004\",\"status\":\"closed\","
        "\"intake\":\"2025-11-03\",\"partner1\":{\"name\":\"Aiko\",\"pronouns\":\"\","
        "\"origin\":\"Japan\",\"cultures\":[\"Japanese\"],\"languages\":[{\"lang\":\"ja\","
        "\"fluency\":\"native\"},{\"lang\":\"en\",\"fluency\":\"\"}],\"local\":false},"
        "\"partner2\":{\"name\":\"\",\"pronouns\":\"\",\"origin\":\"\",\"cultures\":[],"
        "\"languages\":[],\"local\":null},\"residence\":\"\",\"home_languages\":[],"
        "\"children_languages\":[],\"children\":[{\"name\":\"Mia\",\"languages\":[]}],"
        "\"support\":\"\",\"referral\":\"\",\"consent\":{\"video\":true},\"formulation\":"
        "{\"problem\":\"\",\"causes\":\"\",\"stressors\":\"\",\"identity\":\"\",\"coping\":\"\","
        "\"relationship\":\"\"},\"notes\":\"\",\"created\":\"2025-11-03T09:00:00Z\","
        "\"updated\":\"2025-11-04T09:00:00Z\"}",
        "{\"kind\":\"couple\",\"v\":1,\"code\":\"C015\",\"status\":\"paused\"," PARTNERS "}",
        /* an imported intake that is no date is kept as text, as before */
        "{" BASE PARTNERS ",\"intake\":\"\"}",
    };
    struct kz_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
        if (decode(old[i], &err) != KZ_OK)
            fail_msg("old record %zu refused: %s", i, err.msg);
    }
    /* kz_couple_new's skeleton itself is a valid record. */
    {
        json_t *c = kz_couple_new("C001", "2026-01-01");
        assert_int_equal(kz_couple_check(c, KZ_COUPLE_SEALED, &err), KZ_OK);
        json_decref(c);
    }
}

static void
test_status_helpers(void **state)
{
    (void)state;
    assert_int_equal(kz_couple_status_parse("active"), KZ_ST_ACTIVE);
    assert_int_equal(kz_couple_status_parse("paused"), KZ_ST_PAUSED);
    assert_int_equal(kz_couple_status_parse("closed"), KZ_ST_CLOSED);
    assert_int_equal(kz_couple_status_parse("achieved"), -1); /* a goal's, not a couple's */
    assert_int_equal(kz_couple_status_parse("dropped"), -1);
    assert_int_equal(kz_couple_status_parse(""), -1);
    assert_int_equal(kz_couple_status_parse(NULL), -1);
}

static struct kz_head_info
child(int kind, uint32_t num, uint32_t date, int status)
{
    struct kz_head_info hi;

    memset(&hi, 0, sizeof(hi));
    hi.kind = kind;
    hi.num = num;
    hi.date = date;
    hi.status = (uint8_t)status;
    return hi;
}

static void
test_children(void **state)
{
    struct kz_head_info kids[6];
    struct kz_couple_tally t;
    size_t i;

    (void)state;
    kids[0] = child(KZ_KIND_GOAL, 2, 0, KZ_ST_ACTIVE);
    kids[1] = child(KZ_KIND_SESSION, 7, 20260301, 0);
    kids[2] = child(KZ_KIND_GOAL, 1, 0, KZ_ST_ACHIEVED);
    kids[3] = child(KZ_KIND_SESSION, 3, 20260110, 0);
    kids[4] = child(KZ_KIND_SESSION, 9, 20260110, 0);
    kids[5] = child(KZ_KIND_COUPLE, 0, 20270101, 0); /* not a child: ignored */
    memset(&t, 0, sizeof(t));
    for (i = 0; i < 6; i++)
        kz_couple_tally_add(&t, &kids[i]);
    assert_int_equal(t.sessions, 3);
    assert_int_equal(t.goals, 2);
    assert_int_equal(t.active_goals, 1);
    assert_int_equal(t.last, 20260301);
    assert_true(kz_couple_is_child(&kids[0]) && kz_couple_is_child(&kids[1]));
    assert_false(kz_couple_is_child(&kids[5]));
    /* Export order: sessions by date then short id, then goals by short id. */
    assert_true(kz_couple_child_cmp(&kids[3], &kids[1]) < 0);
    assert_true(kz_couple_child_cmp(&kids[3], &kids[4]) < 0);
    assert_true(kz_couple_child_cmp(&kids[1], &kids[0]) < 0);
    assert_true(kz_couple_child_cmp(&kids[2], &kids[0]) < 0);
    assert_int_equal(kz_couple_child_cmp(&kids[0], &kids[0]), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_validation_messages),
        cmocka_unit_test(test_strict_decoding),
        cmocka_unit_test(test_import_names_the_field),
        cmocka_unit_test(test_old_records_accepted),
        cmocka_unit_test(test_status_helpers),
        cmocka_unit_test(test_children),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
