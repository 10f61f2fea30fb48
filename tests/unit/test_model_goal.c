/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The goal record (src/model/goal.c): round trips, every message goal add,
 * progress, done, drop and list give, strict decoding of sealed bodies and of
 * imports, and the bodies earlier versions wrote. */
#include "testutil.h"

#include "kizuna/model_goal.h"

#define HEX "00112233445566778899aabbccddeeff"

/* The goal body kizuna 0.1 wrote (tests/cli/fixtures/v1.kz, goal g1). */
static const char v1_body[] =
    "{\"kind\":\"goal\",\"v\":1,\"id\":1,\"couple\":\"" HEX "\",\"partner\":0,"
    "\"title\":\"Plan the holidays together\",\"description\":\"\",\"target\":\"\","
    "\"status\":\"active\",\"progress\":[{\"date\":\"2026-12-02\",\"score\":4,"
    "\"session\":\"s1\",\"note\":\"\"}],\"created\":\"2026-12-02T00:59:33Z\","
    "\"updated\":\"2026-12-02T00:59:33Z\"}";

static json_t *
body(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);

    assert_non_null(j);
    return j;
}

/* Decodes text (sealed): the code, the message in err. */
static int
sealed(const char *text, struct kz_err *err)
{
    struct kz_goal g;
    int rc;

    kz_err_clear(err);
    rc = kz_goal_parse(text, strlen(text), "goal record 0011", &g, err);
    kz_goal_free(&g);
    return rc;
}

/* Decodes the v1 body with one field set to value (JSON text), or removed
 * (value NULL), as a sealed record. */
static int
sealed_with(const char *field, const char *value, struct kz_err *err)
{
    json_t *doc = body(v1_body);
    struct kz_goal g;
    int rc;

    if (value == NULL)
        json_object_del(doc, field);
    else
        json_object_set_new(doc, field, body(value));
    kz_err_clear(err);
    rc = kz_goal_decode(doc, KZ_GOAL_SEALED, "goal record 0011", &g, err);
    kz_goal_free(&g);
    json_decref(doc);
    return rc;
}

/* An exported goal (as export gives it) with field set to value, imported. */
static int
import_with(const char *field, const char *value, struct kz_err *err)
{
    json_t *doc = body(v1_body);
    struct kz_goal g;
    int rc;

    json_object_del(doc, "kind");
    json_object_del(doc, "v");
    json_object_set_new(doc, "id", json_string("g3"));
    json_object_set_new(doc, "couple", json_string("C014"));
    if (field != NULL && value == NULL)
        json_object_del(doc, field);
    else if (field != NULL)
        json_object_set_new(doc, field, body(value));
    kz_err_clear(err);
    rc = kz_goal_decode(doc, KZ_GOAL_IMPORT, "not a kizuna export: goal g3", &g, err);
    kz_goal_free(&g);
    json_decref(doc);
    return rc;
}

/* A goal as goal add, progress and done make it. */
static void
made(struct kz_goal *g)
{
    struct kz_err err;

    kz_goal_init(g, 3, HEX);
    assert_int_equal(kz_goal_set_title(g, "Plan the holidays", &err), KZ_OK);
    assert_int_equal(kz_goal_set_partner(g, "2", &err), KZ_OK);
    assert_int_equal(kz_goal_set_description(g, "Without blame \xc3\xbc", &err), KZ_OK);
    g->target = 20261201;
    kz_goal_add_progress(g, 20260301, 7, "s1", "They planned Christmas");
    kz_goal_add_progress(g, 20260105, 0, NULL, NULL);
    kz_goal_add_progress(g, 20260301, 8, "", "later the same day");
    kz_goal_add_progress(g, 20260201, 10, "s2", "");
    assert_int_equal(kz_goal_close(g, KZ_ST_ACHIEVED, 20260402, &err), KZ_OK);
}

/* ---- round trip ---- */

static void
test_round_trip(void **state)
{
    struct kz_goal g, back;
    struct kz_err err;
    json_t *doc, *again;
    char *text;

    (void)state;
    made(&g);
    doc = kz_goal_encode(&g);
    text = json_dumps(doc, JSON_COMPACT);
    assert_int_equal(kz_goal_parse(text, strlen(text), "x", &back, &err), KZ_OK);
    assert_int_equal(back.num, 3);
    assert_string_equal(back.couple, HEX);
    assert_int_equal(back.partner, 2);
    assert_string_equal(back.title, "Plan the holidays");
    assert_string_equal(back.description, "Without blame \xc3\xbc");
    assert_int_equal(back.target, 20261201);
    assert_int_equal(back.status, KZ_ST_ACHIEVED);
    assert_int_equal(back.closed, 20260402);
    assert_string_equal(back.created, g.created);
    /* Date order; an entry joins the others of its day at their end. */
    assert_int_equal(back.nprogress, 4);
    assert_int_equal(back.progress[0].date, 20260105);
    assert_int_equal(back.progress[0].score, 0);
    assert_string_equal(back.progress[0].session, "");
    assert_string_equal(back.progress[0].note, "");
    assert_int_equal(back.progress[1].score, 10);
    assert_int_equal(back.progress[2].score, 7);
    assert_string_equal(back.progress[2].session, "s1");
    assert_string_equal(back.progress[3].note, "later the same day");
    again = kz_goal_encode(&back);
    assert_true(json_equal(doc, again));
    free(text);
    json_decref(again);
    json_decref(doc);
    kz_goal_free(&back);
    kz_goal_free(&g);
}

/* The sealed body holds every field in the order goal add writes them, and a
 * null for a progress entry without a session. */
static void
test_encode_shape(void **state)
{
    static const char *const order[] = {"kind",   "v",        "id",      "couple",  "partner",
                                        "title",  "description", "target", "status", "progress",
                                        "created", "updated", "closed",  NULL};
    struct kz_goal g;
    json_t *doc, *v;
    const char *key;
    size_t i = 0;

    (void)state;
    made(&g);
    doc = kz_goal_encode(&g);
    json_object_foreach(doc, key, v) {
        assert_non_null(order[i]);
        assert_string_equal(key, order[i++]);
    }
    assert_null(order[i]);
    assert_string_equal(json_string_value(json_object_get(doc, "kind")), "goal");
    assert_string_equal(json_string_value(json_object_get(doc, "target")), "2026-12-01");
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "achieved");
    assert_string_equal(json_string_value(json_object_get(doc, "closed")), "2026-04-02");
    v = json_array_get(json_object_get(doc, "progress"), 0);
    assert_true(json_is_null(json_object_get(v, "session")));
    assert_string_equal(json_string_value(json_object_get(v, "date")), "2026-01-05");
    json_decref(doc);
    /* An open goal has no closed field; no target is "". */
    kz_goal_free(&g);
    kz_goal_init(&g, 1, HEX);
    doc = kz_goal_encode(&g);
    assert_null(json_object_get(doc, "closed"));
    assert_string_equal(json_string_value(json_object_get(doc, "target")), "");
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "active");
    assert_int_equal(json_array_size(json_object_get(doc, "progress")), 0);
    json_decref(doc);
    kz_goal_free(&g);
}

/* Export: no storage fields, the short id and the couple's code; an export
 * imports back to the same goal. */
static void
test_export_imports_back(void **state)
{
    struct kz_goal g, back;
    struct kz_err err;
    json_t *doc, *a, *b;

    (void)state;
    made(&g);
    doc = kz_goal_export(&g, "C014");
    assert_null(json_object_get(doc, "kind"));
    assert_null(json_object_get(doc, "v"));
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "g3");
    assert_string_equal(json_string_value(json_object_get(doc, "couple")), "C014");
    assert_int_equal(kz_goal_decode(doc, KZ_GOAL_IMPORT, "imp", &back, &err), KZ_OK);
    back.num = g.num;
    memcpy(back.couple, g.couple, sizeof(g.couple));
    a = kz_goal_encode(&g);
    b = kz_goal_encode(&back);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    json_decref(doc);
    kz_goal_free(&back);
    kz_goal_free(&g);
}

/* ---- what the commands check, with their messages ---- */

static void
test_title_messages(void **state)
{
    struct kz_goal g;
    struct kz_err err;
    char big[300];

    (void)state;
    kz_goal_init(&g, 1, HEX);
    assert_int_equal(kz_goal_set_title(&g, "", &err), KZ_ERR);
    assert_string_equal(err.msg, "nothing written; no goal added (the title is empty)");
    assert_int_equal(kz_goal_set_title(&g, " \t\r\n ", &err), KZ_ERR);
    assert_string_equal(err.msg, "nothing written; no goal added (the title is empty)");
    assert_int_equal(kz_goal_set_title(&g, "two\nlines", &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "a goal's title is one line of 1 to 200 bytes of UTF-8 text");
    assert_int_equal(kz_goal_set_title(&g, "a\x1b[2Jb", &err), KZ_EUSAGE);
    assert_int_equal(kz_goal_set_title(&g, "bad \xff utf-8", &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "a goal's title is one line of 1 to 200 bytes of UTF-8 text");
    memset(big, 'x', 201);
    big[201] = '\0';
    assert_int_equal(kz_goal_set_title(&g, big, &err), KZ_EUSAGE);
    big[200] = '\0';
    assert_int_equal(kz_goal_set_title(&g, big, &err), KZ_OK);
    assert_string_equal(g.title, big);
    /* 100 ü are 200 bytes; 101 are too many. */
    for (int i = 0; i < 101; i++)
        memcpy(big + 2 * i, "\xc3\xbc", 2);
    big[202] = '\0';
    assert_int_equal(kz_goal_set_title(&g, big, &err), KZ_EUSAGE);
    big[200] = '\0';
    assert_int_equal(kz_goal_set_title(&g, big, &err), KZ_OK);
    kz_goal_free(&g);
}

static void
test_option_messages(void **state)
{
    struct kz_goal g;
    struct kz_err err;
    char *big = calloc(1, 4002);
    int score = -1;

    (void)state;
    kz_goal_init(&g, 1, HEX);
    assert_int_equal(kz_goal_set_partner(&g, "3", &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "--partner: 1 or 2 (leave it out for the couple)");
    assert_int_equal(kz_goal_set_partner(&g, "0", &err), KZ_EUSAGE);
    assert_int_equal(kz_goal_set_partner(&g, "1", &err), KZ_OK);
    assert_int_equal(g.partner, 1);
    assert_int_equal(kz_goal_set_partner(&g, NULL, &err), KZ_OK);
    assert_int_equal(g.partner, 0);

    memset(big, 'd', 4001);
    assert_int_equal(kz_goal_set_description(&g, big, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "--description: at most 4000 bytes of UTF-8 text");
    assert_int_equal(kz_goal_note_check(big, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "--note: at most 4000 bytes of UTF-8 text");
    assert_int_equal(kz_goal_note_check("\xc3", &err), KZ_EUSAGE);
    big[4000] = '\0';
    assert_int_equal(kz_goal_set_description(&g, big, &err), KZ_OK);
    assert_int_equal(kz_goal_note_check(big, &err), KZ_OK);
    assert_int_equal(kz_goal_note_check(NULL, &err), KZ_OK);
    assert_int_equal(kz_goal_set_description(&g, NULL, &err), KZ_OK);
    assert_string_equal(g.description, "");

    for (const char *const *bad = (const char *const[]){"11", "-1", "07", "", "x", "1.5", " 3",
                                                       "100", NULL};
         *bad != NULL; bad++) {
        assert_int_equal(kz_goal_score_parse(*bad, &score, &err), KZ_EUSAGE);
        assert_string_equal(err.msg, "score must be a whole number from 0 to 10");
    }
    assert_int_equal(kz_goal_score_parse("0", &score, &err), KZ_OK);
    assert_int_equal(score, 0);
    assert_int_equal(kz_goal_score_parse("10", &score, &err), KZ_OK);
    assert_int_equal(score, 10);
    free(big);
    kz_goal_free(&g);
}

static void
test_close_and_status_messages(void **state)
{
    struct kz_goal g;
    struct kz_err err;
    int st = 99;

    (void)state;
    kz_goal_init(&g, 3, HEX);
    assert_int_equal(kz_goal_close(&g, KZ_ST_DROPPED, 20260501, &err), KZ_OK);
    assert_int_equal(kz_goal_close(&g, KZ_ST_DROPPED, 20260502, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "goal g3 is already dropped");
    assert_int_equal(g.closed, 20260501); /* refused: unchanged */
    /* A dropped goal can still be marked achieved. */
    assert_int_equal(kz_goal_close(&g, KZ_ST_ACHIEVED, 20260601, &err), KZ_OK);
    assert_int_equal(kz_goal_close(&g, KZ_ST_ACHIEVED, 20260601, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "goal g3 is already achieved");
    assert_int_equal(g.status, KZ_ST_ACHIEVED);
    assert_int_equal(g.closed, 20260601);
    kz_goal_free(&g);

    for (const char *const *bad = (const char *const[]){"paused", "closed", "someday", "",
                                                       "Active", NULL};
         *bad != NULL; bad++) {
        assert_int_equal(kz_goal_status_filter(*bad, &st, &err), KZ_EUSAGE);
        assert_string_equal(err.msg, "goal list: --status active, achieved, dropped or all");
    }
    assert_int_equal(kz_goal_status_filter("all", &st, &err), KZ_OK);
    assert_int_equal(st, -1);
    assert_int_equal(kz_goal_status_filter("achieved", &st, &err), KZ_OK);
    assert_int_equal(st, KZ_ST_ACHIEVED);
}

/* ---- strict decoding of a sealed body ---- */

static void
test_sealed_unknown_and_duplicate_fields(void **state)
{
    struct kz_err err;
    char text[1200];

    (void)state;
    assert_int_equal(sealed(v1_body, &err), KZ_OK);
    assert_int_equal(sealed_with("colour", "\"red\"", &err), KZ_EINTEGRITY);
    assert_string_equal(err.msg, "goal record 0011 has an unknown field 'colour'");
    /* Fields of other kinds are unknown to a goal too. */
    assert_int_equal(sealed_with("text", "\"a note\"", &err), KZ_EINTEGRITY);
    assert_int_equal(sealed_with("code", "\"C014\"", &err), KZ_EINTEGRITY);
    assert_int_equal(sealed_with("progress",
                                 "[{\"date\":\"2026-01-01\",\"score\":3,\"session\":null,"
                                 "\"mood\":\"good\"}]",
                                 &err),
                     KZ_EINTEGRITY);
    assert_string_equal(err.msg, "goal record 0011 has an unknown field 'progress[0].mood'");
    /* A field given twice is named too. */
    snprintf(text, sizeof(text), "{\"title\":\"b\",%s", v1_body + 1);
    assert_int_equal(sealed(text, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "goal record 0011"));
    assert_non_null(strstr(err.msg, "duplicate"));
    assert_non_null(strstr(err.msg, "title"));
    assert_int_equal(sealed("{\"kind\":\"goal\",\"progress\":[{\"score\":1,\"score\":2}]}", &err),
                     KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "score"));
    assert_int_equal(sealed("not json", &err), KZ_EINTEGRITY);
    assert_int_equal(sealed("[1,2]", &err), KZ_EINTEGRITY);
    assert_string_equal(err.msg, "goal record 0011 does not hold a JSON document");
}

static void
test_sealed_wrong_types(void **state)
{
    static const struct {
        const char *field, *value, *msg;
    } cases[] = {
        {"title", "7", "goal record 0011: 'title' is not a string"},
        {"description", "null", "goal record 0011: 'description' is not a string"},
        {"target", "20261201", "goal record 0011: 'target' is not a string"},
        {"status", "3", "goal record 0011: 'status' is not a string"},
        {"partner", "\"1\"", "goal record 0011: 'partner' is not a whole number"},
        {"id", "\"g1\"", "goal record 0011: 'id' is not a whole number"},
        {"v", "\"1\"", "goal record 0011: 'v' is not a whole number"},
        {"progress", "{}", "goal record 0011: 'progress' is not a list"},
        {"created", "true", "goal record 0011: 'created' is not a string"},
        {"closed", "null", "goal record 0011: 'closed' is not a string"},
        {"progress", "[[]]", "goal record 0011: 'progress[0]' is not an entry (an object)"},
        {"progress", "[{\"date\":\"2026-01-01\",\"score\":\"7\"}]",
         "goal record 0011: 'progress[0].score' is not a whole number"},
        {"progress", "[{\"date\":\"2026-01-01\",\"score\":7.5}]",
         "goal record 0011: 'progress[0].score' is not a whole number"},
        {"progress", "[{\"date\":\"2026-01-01\",\"score\":7,\"session\":3}]",
         "goal record 0011: 'progress[0].session' is not a string or null"},
        {"progress", "[{\"date\":20260101,\"score\":7}]",
         "goal record 0011: 'progress[0].date' is not a string"},
        {"progress", "[{\"date\":\"2026-01-01\",\"score\":7,\"note\":null}]",
         "goal record 0011: 'progress[0].note' is not a string"},
        {"kind", "\"session\"", "goal record 0011: 'kind' is not \"goal\""},
        {"kind", NULL, "goal record 0011: 'kind' is not \"goal\""},
        {"v", "2", "goal record 0011: 'v' is not 1 (a newer kizuna wrote it?)"},
    };
    struct kz_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(sealed_with(cases[i].field, cases[i].value, &err), KZ_EINTEGRITY);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

/* ---- what earlier versions wrote ---- */

static void
test_old_bodies_read(void **state)
{
    struct kz_goal g;
    struct kz_err err;
    json_t *doc = body(v1_body), *again;

    (void)state;
    /* kizuna 0.1's body reads, and encodes back byte for byte. */
    assert_int_equal(kz_goal_decode(doc, KZ_GOAL_SEALED, "x", &g, &err), KZ_OK);
    assert_int_equal(g.num, 1);
    assert_string_equal(g.title, "Plan the holidays together");
    assert_int_equal(g.target, 0);
    assert_int_equal(g.nprogress, 1);
    assert_string_equal(g.progress[0].session, "s1");
    assert_string_equal(g.created, "2026-12-02T00:59:33Z");
    again = kz_goal_encode(&g);
    assert_true(json_equal(doc, again));
    json_decref(again);
    kz_goal_free(&g);
    json_decref(doc);

    /* Done or dropped: closed. Imported from an export for one partner: an
     * entry without note (and its session null). */
    assert_int_equal(sealed_with("closed", "\"2026-05-01\"", &err), KZ_OK);
    assert_int_equal(sealed_with("progress", "[{\"date\":\"2026-01-01\",\"score\":6,"
                                             "\"session\":null}]",
                                 &err),
                     KZ_OK);
    doc = body(v1_body);
    json_object_set_new(doc, "progress",
                        body("[{\"date\":\"2026-01-01\",\"score\":6,\"session\":null}]"));
    assert_int_equal(kz_goal_decode(doc, KZ_GOAL_SEALED, "x", &g, &err), KZ_OK);
    assert_null(g.progress[0].note);
    again = kz_goal_encode(&g);
    assert_true(json_equal(doc, again)); /* still no note */
    json_decref(again);
    kz_goal_free(&g);
    json_decref(doc);

    /* What an earlier import stored unchecked reads as the commands read it:
     * the couple's goal, active, no target; missing fields as a new goal's. */
    doc = body("{\"kind\":\"goal\",\"v\":1,\"id\":4,\"couple\":\"" HEX "\",\"partner\":7,"
               "\"title\":\"t\",\"target\":\"soon\",\"status\":\"someday\"}");
    assert_int_equal(kz_goal_decode(doc, KZ_GOAL_SEALED, "x", &g, &err), KZ_OK);
    assert_int_equal(g.partner, 0);
    assert_int_equal(g.status, KZ_ST_ACTIVE);
    assert_int_equal(g.target, 0);
    assert_string_equal(g.description, "");
    assert_int_equal(g.nprogress, 0);
    kz_goal_free(&g);
    json_decref(doc);
}

/* ---- an import: strict, naming the field, exit 2 ---- */

static void
test_import_strict(void **state)
{
    static const struct {
        const char *field, *value, *msg;
    } cases[] = {
        {"colour", "\"red\"", "not a kizuna export: goal g3 has an unknown field 'colour'"},
        {"id", "3", "not a kizuna export: goal g3: 'id' is not a string"},
        {"title", "\"\"", "not a kizuna export: a goal without a title"},
        {"title", NULL, "not a kizuna export: a goal without a title"},
        {"title", "\"two\\nlines\"", "not a kizuna export: goal g3: 'title' is not one line of 1 "
                                     "to 200 bytes"},
        {"partner", "3", "not a kizuna export: goal g3: 'partner' is not 0, 1 or 2"},
        {"status", "\"paused\"",
         "not a kizuna export: goal g3: 'status' is not active, achieved or dropped"},
        {"target", "\"today\"", "not a kizuna export: goal g3: 'target' is not a date (YYYY-MM-DD)"},
        {"closed", "\"2026-02-30\"",
         "not a kizuna export: goal g3: 'closed' is not a date (YYYY-MM-DD)"},
        {"created", "\"" HEX HEX "\"", "not a kizuna export: goal g3: 'created' is not a time"},
        {"progress", "[{\"date\":\"2026-01-01\",\"score\":11,\"session\":null}]",
         "not a kizuna export: goal g3: 'progress[0].score' is not a whole number from 0 to 10"},
        {"progress", "[{\"date\":\"2026-01-01\",\"session\":null}]",
         "not a kizuna export: goal g3: 'progress[0].score' is not a whole number from 0 to 10"},
        {"progress", "[{\"score\":1}]",
         "not a kizuna export: goal g3: 'progress[0].date' is not a date (YYYY-MM-DD)"},
        {"progress", "[{\"date\":\"2026-01-01\",\"score\":1,\"session\":\"" HEX "\"}]",
         "not a kizuna export: goal g3: 'progress[0].session' is not a session id"},
        {"progress", "[{\"date\":\"2026-01-01\",\"score\":1,\"by\":\"me\"}]",
         "not a kizuna export: goal g3 has an unknown field 'progress[0].by'"},
    };
    struct kz_goal g;
    struct kz_err err;
    json_t *doc;
    size_t i;

    (void)state;
    assert_int_equal(import_with(NULL, NULL, &err), KZ_OK);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(import_with(cases[i].field, cases[i].value, &err), KZ_EUSAGE);
        assert_string_equal(err.msg, cases[i].msg);
    }
    doc = json_string("a goal?");
    assert_int_equal(kz_goal_decode(doc, KZ_GOAL_IMPORT, "imp", &g, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "not a kizuna export: a goal without a title");
    json_decref(doc);
    /* kind and v may be there (ignored); missing fields are a new goal's. */
    doc = body("{\"kind\":\"goal\",\"v\":1,\"title\":\"Only a title\"}");
    assert_int_equal(kz_goal_decode(doc, KZ_GOAL_IMPORT, "imp", &g, &err), KZ_OK);
    assert_int_equal(g.status, KZ_ST_ACTIVE);
    assert_int_equal(g.nprogress, 0);
    kz_goal_free(&g);
    json_decref(doc);
}

/* ---- helpers ---- */

static void
test_helpers(void **state)
{
    struct kz_goal g;
    struct kz_head_info hi;
    unsigned char parent[16];
    json_t *map;
    char gid[16], title[KZ_GOAL_TITLE_MAX + 1];
    int i;

    (void)state;
    kz_goal_init(&g, 7, HEX);
    assert_null(kz_goal_latest(&g));
    assert_int_equal(kz_goal_spark_first(&g, KZ_GOAL_SPARK_MAX), 0);
    for (i = 0; i < 55; i++)
        kz_goal_add_progress(&g, 20260101 + (uint32_t)(i % 28), i % 11, i == 3 ? "s9" : "s2",
                             "n");
    assert_int_equal(kz_goal_spark_first(&g, KZ_GOAL_SPARK_MAX), 5);
    assert_int_equal(kz_goal_latest(&g)->date, 20260128);
    /* Unlinking a session left out drops the link and the note, keeps the score. */
    kz_goal_unlink_session(&g, "s2");
    for (i = 0; i < 55; i++) {
        if (strcmp(g.progress[i].session, "s9") == 0) {
            assert_string_equal(g.progress[i].note, "n");
            continue;
        }
        assert_string_equal(g.progress[i].session, "");
        assert_null(g.progress[i].note);
    }
    /* An import renumbers the links it knows and drops the others. */
    map = body("{\"s9\":\"s40\"}");
    kz_goal_add_progress(&g, 20260301, 5, "s77", NULL);
    kz_goal_remap_sessions(&g, map);
    assert_string_equal(kz_goal_latest(&g)->session, "");
    for (i = 0, title[0] = '\0'; i < 56; i++) {
        if (g.progress[i].session[0] != '\0')
            snprintf(title, sizeof(title), "%s", g.progress[i].session);
    }
    assert_string_equal(title, "s40");
    json_decref(map);
    /* The head: kind, number, couple, target, partner flag, status, title. */
    memset(parent, 0xab, sizeof(parent));
    g.partner = 1;
    g.target = 20261231;
    g.status = KZ_ST_DROPPED;
    memset(title, 'a', 199);
    memcpy(title + 198, "\xc3\xbc", 3); /* ends with a two-byte character */
    assert_int_equal(kz_goal_set_title(&g, title, NULL), KZ_OK);
    kz_goal_head(&g, parent, &hi);
    assert_int_equal(hi.kind, KZ_KIND_GOAL);
    assert_int_equal(hi.num, 7);
    assert_memory_equal(hi.parent, parent, 16);
    assert_int_equal(hi.date, 20261231);
    assert_int_equal(hi.flags, KZ_HF_PARTNER1);
    assert_int_equal(hi.status, KZ_ST_DROPPED);
    assert_string_equal(hi.tags, title);
    kz_goal_id_text(g.num, gid, sizeof(gid));
    assert_string_equal(gid, "g7");
    kz_goal_free(&g);
    kz_goal_free(&g); /* twice is harmless */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_shape),
        cmocka_unit_test(test_export_imports_back),
        cmocka_unit_test(test_title_messages),
        cmocka_unit_test(test_option_messages),
        cmocka_unit_test(test_close_and_status_messages),
        cmocka_unit_test(test_sealed_unknown_and_duplicate_fields),
        cmocka_unit_test(test_sealed_wrong_types),
        cmocka_unit_test(test_old_bodies_read),
        cmocka_unit_test(test_import_strict),
        cmocka_unit_test(test_helpers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
