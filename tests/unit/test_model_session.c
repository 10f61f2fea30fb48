/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The session note's model (src/model/session.c): round trips in both forms,
 * every validation message, strict decoding, and the bodies older versions
 * wrote. */
#include "same_session.h"
#include "testutil.h"
#include "tu_cmd.h"

#include "kizuna/cmd.h"
#include "kizuna/model_session.h"
#include "kizuna/secmem.h"
#include "kizuna/vault.h"
#include "kizuna/wipe.h"

#define HEX "00112233445566778899aabbccddeeff"

/* A sealed body exactly as kizuna 0.1 wrote it (tests/cli/fixtures/v1.kz, s1). */
static const char v1_body[] =
    "{\"kind\":\"session\",\"v\":1,\"id\":1,\"couple\":\"" HEX "\",\"date\":\"2026-01-10\","
    "\"minutes\":50,\"modality\":\"in-person\",\"attended\":\"both\",\"language\":\"\","
    "\"interpreter\":false,\"template\":\"free\",\"themes\":[],\"goals\":[],"
    "\"interventions\":\"\",\"homework\":\"\",\"process_notes\":\"\","
    "\"signed\":\"2026-12-02T00:59:33Z\",\"addenda\":[],\"created\":\"2026-12-02T00:59:33Z\","
    "\"text\":\"First joint session, format one\",\"updated\":\"2026-12-02T00:59:33Z\"}";

/* A full note: every field set, signed, amended, voided. */
static void
full(struct kz_session *s)
{
    static const char *const themes[] = {"holidays", "in-laws"};
    static const char *const goals[] = {"g1", "g3"};
    struct kz_err err;

    kz_session_init(s, 7, HEX, "2026-03-01", "2026-03-01T10:00:00Z");
    assert_int_equal(kz_session_set_minutes(s, "75", &err), KZ_OK);
    assert_int_equal(kz_session_set_modality(s, "video", &err), KZ_OK);
    assert_int_equal(kz_session_set_attended(s, "2", &err), KZ_OK);
    assert_int_equal(kz_session_set_interpreter(s, 1, 0, &err), KZ_OK);
    kz_session_set(&s->language, "ja");
    kz_session_set(&s->tmpl, "soap");
    kz_session_set_list(&s->themes, &s->nthemes, themes, 2);
    kz_session_set_list(&s->goals, &s->ngoals, goals, 2);
    kz_session_set(&s->interventions, "reframing");
    kz_session_set(&s->homework, "a walk");
    assert_int_equal(kz_session_set_process_notes(s, "my countertransference", 22, &err), KZ_OK);
    assert_int_equal(kz_session_set_text(s, "Jonas' mother visited", 21, &err), KZ_OK);
    kz_session_sign(s, "2026-03-01T11:00:00Z");
    assert_int_equal(kz_session_amend(s, "2026-03-02", "2026-03-02T09:00:00Z", "Also: Müller.", 14,
                                      &err),
                     KZ_OK);
    assert_int_equal(kz_session_void(s, "s7", "wrong couple", 12, "2026-03-03T08:00:00Z", &err),
                     KZ_OK);
}

/* ---- round trips ---- */

static void
test_round_trip_sealed(void **state)
{
    struct kz_session s, back;
    struct kz_err err;
    json_t *a, *b;
    char *text;

    (void)state;
    full(&s);
    a = kz_session_encode(&s, KZ_SESSION_SEALED);
    assert_string_equal(json_string_value(json_object_get(a, "kind")), "session");
    assert_int_equal(json_integer_value(json_object_get(a, "id")), 7);
    assert_string_equal(json_string_value(json_object_get(a, "attended")), "partner2");
    /* Through JSON text and back: the same note, the same body. */
    text = json_dumps(a, JSON_COMPACT);
    assert_int_equal(kz_session_parse(text, strlen(text), KZ_SESSION_SEALED, "session s7", &back,
                                      &err),
                     KZ_OK);
    kz_json_free(text);
    assert_int_equal(back.num, 7);
    assert_int_equal(back.minutes, 75);
    assert_true(back.interpreter);
    assert_int_equal(back.nthemes, 2);
    assert_string_equal(back.themes[1], "in-laws");
    assert_string_equal(back.goals[0], "g1");
    assert_int_equal(back.text_len, 21);
    assert_string_equal(back.text, "Jonas' mother visited");
    assert_int_equal(back.naddenda, 1);
    assert_string_equal(back.addenda[0].text, "Also: Müller.");
    assert_true(kz_session_is_signed(&back));
    assert_true(kz_session_is_void(&back));
    assert_string_equal(back.void_reason, "wrong couple");
    b = kz_session_encode(&back, KZ_SESSION_SEALED);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    kz_session_free(&back);
    kz_session_free(&s);
    kz_session_free(&s); /* twice is harmless */
}

static void
test_round_trip_exported(void **state)
{
    struct kz_session s, back;
    struct kz_err err;
    json_t *a, *b;

    (void)state;
    full(&s);
    kz_session_set(&s.couple, "C014");
    a = kz_session_encode(&s, KZ_SESSION_EXPORTED);
    /* No storage fields; the short id as people type it. */
    assert_null(json_object_get(a, "kind"));
    assert_null(json_object_get(a, "v"));
    assert_string_equal(json_string_value(json_object_get(a, "id")), "s7");
    assert_string_equal(json_string_value(json_object_get(a, "couple")), "C014");
    assert_non_null(json_object_get(a, "process_notes"));
    assert_int_equal(kz_session_decode(a, KZ_SESSION_EXPORTED, NULL, &back, &err), KZ_OK);
    back.num = 7;
    b = kz_session_encode(&back, KZ_SESSION_EXPORTED);
    assert_true(json_equal(a, b));
    json_decref(b);
    kz_session_free(&back);
    json_decref(a);
    /* Without --include-process-notes they are left out. */
    s.has_process_notes = 0;
    a = kz_session_encode(&s, KZ_SESSION_EXPORTED);
    assert_null(json_object_get(a, "process_notes"));
    assert_int_equal(kz_session_decode(a, KZ_SESSION_EXPORTED, NULL, &back, &err), KZ_OK);
    assert_false(back.has_process_notes);
    assert_string_equal(back.process_notes, "");
    kz_session_free(&back);
    json_decref(a);
    kz_session_free(&s);
}

static void
test_init_is_what_session_add_writes(void **state)
{
    static const char *const keys[] = {
        "kind",     "v",        "id",           "couple",    "date",          "minutes",
        "modality", "attended", "language",     "interpreter", "template",    "themes",
        "goals",    "interventions", "homework", "process_notes", "signed",    "addenda",
        "created",  "text",     "updated",      NULL};
    struct kz_session s;
    const char *key;
    json_t *doc, *v;
    size_t i = 0;

    (void)state;
    kz_session_init(&s, 3, HEX, "2026-03-01", "2026-03-01T10:00:00Z");
    kz_session_set(&s.updated, "2026-03-01T10:00:01Z");
    doc = kz_session_encode(&s, KZ_SESSION_SEALED);
    /* Every field, in the order kizuna has always written them. */
    json_object_foreach(doc, key, v) {
        assert_non_null(keys[i]);
        assert_string_equal(key, keys[i]);
        i++;
    }
    assert_null(keys[i]);
    assert_int_equal(json_integer_value(json_object_get(doc, "minutes")), 50);
    assert_string_equal(json_string_value(json_object_get(doc, "modality")), "in-person");
    assert_string_equal(json_string_value(json_object_get(doc, "attended")), "both");
    assert_string_equal(json_string_value(json_object_get(doc, "template")), "free");
    assert_true(json_is_null(json_object_get(doc, "signed")));
    assert_null(json_object_get(doc, "void"));
    json_decref(doc);
    kz_session_free(&s);
}

static void
test_head(void **state)
{
    static const char *const themes[] = {"holidays", "", "in-laws"};
    struct kz_session s;
    struct kz_head_info hi;
    unsigned char cid[16];
    struct kz_err err;

    (void)state;
    memset(cid, 0xab, sizeof(cid));
    kz_session_init(&s, 12, HEX, "2026-03-01", "2026-03-01T10:00:00Z");
    kz_session_set_list(&s.themes, &s.nthemes, themes, 3);
    assert_int_equal(kz_session_set_attended(&s, "P1 alone", &err), KZ_OK);
    kz_session_head(&s, cid, &hi);
    assert_int_equal(hi.kind, KZ_KIND_SESSION);
    assert_int_equal(hi.num, 12);
    assert_int_equal(hi.date, 20260301);
    assert_int_equal(hi.minutes, 50);
    assert_int_equal(hi.flags, KZ_HF_PARTNER1);
    assert_memory_equal(hi.parent, cid, 16);
    assert_string_equal(hi.tags, "holidays,in-laws"); /* the empty name skipped */
    assert_true(kz_head_has_tag(hi.tags, "in-laws"));
    kz_session_sign(&s, "2026-03-01T11:00:00Z");
    assert_int_equal(kz_session_void(&s, "s12", "x", 1, "2026-03-01T12:00:00Z", &err), KZ_OK);
    kz_session_head(&s, cid, &hi);
    assert_int_equal(hi.flags, KZ_HF_PARTNER1 | KZ_HF_SIGNED | KZ_HF_VOID);
    assert_string_equal(kz_session_who(hi.flags), "partner1");
    assert_string_equal(kz_session_who(KZ_HF_PARTNER2), "partner2");
    assert_string_equal(kz_session_who(0), "both");
    kz_session_free(&s);
}

/* ---- validation: the messages people see (tests/cli check them too) ---- */

#define FAILS(call, code_, text)                                                                 \
    do {                                                                                         \
        kz_err_clear(&err);                                                                      \
        assert_int_equal((call), (code_));                                                       \
        assert_string_equal(err.msg, (text));                                                    \
    } while (0)

static void
test_field_messages(void **state)
{
    static const char *const bad_minutes[] = {"0", "601", "abc", "5x", "", "-3", "99999999999999999999"};
    struct kz_session s;
    struct kz_err err;
    size_t i;

    (void)state;
    kz_session_init(&s, 1, HEX, "2026-03-01", "2026-03-01T10:00:00Z");
    for (i = 0; i < sizeof(bad_minutes) / sizeof(bad_minutes[0]); i++)
        FAILS(kz_session_set_minutes(&s, bad_minutes[i], &err), KZ_EUSAGE,
              "--minutes: a whole number from 1 to 600");
    assert_int_equal(s.minutes, 50); /* unchanged */
    assert_int_equal(kz_session_set_minutes(&s, "600", &err), KZ_OK);
    assert_int_equal(kz_session_set_minutes(&s, "1", &err), KZ_OK);
    FAILS(kz_session_set_modality(&s, "Video", &err), KZ_EUSAGE,
          "--modality: in-person, video or phone");
    FAILS(kz_session_set_attended(&s, "3", &err), KZ_EUSAGE,
          "--attended: both, partner1 or partner2 (1, 2)");
    assert_string_equal(s.attended, "both");
    assert_int_equal(kz_session_set_attended(&s, "PARTNER2", &err), KZ_OK);
    assert_string_equal(s.attended, "partner2");
    FAILS(kz_session_set_interpreter(&s, 1, 1, &err), KZ_EUSAGE,
          "--interpreter or --no-interpreter, not both");
    assert_int_equal(kz_session_set_interpreter(&s, 0, 0, &err), KZ_OK);
    assert_false(s.interpreter);
    FAILS(kz_session_set_text(&s, "bad \xff byte", 10, &err), KZ_EUSAGE,
          "the note is not valid UTF-8 text");
    FAILS(kz_session_set_process_notes(&s, "\xc3", 1, &err), KZ_EUSAGE,
          "the note is not valid UTF-8 text");
    assert_string_equal(s.text, "");
    assert_false(kz_session_text_ok("\xc3(", 2));
    assert_true(kz_session_text_ok("Müller", strlen("Müller")));
    kz_session_free(&s);
}

static void
test_status_messages(void **state)
{
    struct kz_session s;
    struct kz_err err;

    (void)state;
    kz_session_init(&s, 3, HEX, "2026-03-01", "2026-03-01T10:00:00Z");
    /* Unsigned: it may change, sign and be deleted, not amended. */
    assert_int_equal(kz_session_check_change(&s, "s3", &err), KZ_OK);
    assert_int_equal(kz_session_check_sign(&s, "s3", &err), KZ_OK);
    assert_int_equal(kz_session_check_delete(&s, "s3", &err), KZ_OK);
    FAILS(kz_session_check_amend(&s, "s3", &err), KZ_EUSAGE,
          "session s3 is not signed: change it with 'session edit s3'");
    kz_session_sign(&s, "2026-03-01T11:00:00Z");
    FAILS(kz_session_check_change(&s, "s3", &err), KZ_EUSAGE,
          "session s3 is signed and cannot change; add a dated addendum with 'session amend s3'");
    FAILS(kz_session_check_sign(&s, "s3", &err), KZ_EUSAGE,
          "session s3 was already signed on 2026-03-01T11:00:00Z");
    FAILS(kz_session_check_delete(&s, "s3", &err), KZ_EUSAGE,
          "session s3 is signed and cannot be deleted; 'session void s3 --reason TEXT' marks it "
          "void and keeps it");
    assert_int_equal(kz_session_check_amend(&s, "s3", &err), KZ_OK);
    FAILS(kz_session_amend(&s, "2026-03-02", "2026-03-02T09:00:00Z", "\xe2\x82", 2, &err),
          KZ_EUSAGE, "the addendum is not valid UTF-8 text");
    assert_int_equal(s.naddenda, 0);
    FAILS(kz_session_void(&s, "s3", "bad \xff", 5, "2026-03-03T08:00:00Z", &err), KZ_EUSAGE,
          "session void: the reason is not valid UTF-8 text");
    assert_false(kz_session_is_void(&s));
    assert_int_equal(kz_session_void(&s, "s3", "wrong couple", 12, "2026-03-03T08:00:00Z", &err),
                     KZ_OK);
    /* Void: final, whatever is tried next. */
    FAILS(kz_session_void(&s, "s3", "again", 5, "2026-03-03T08:00:00Z", &err), KZ_EUSAGE,
          "session s3 is already void");
    FAILS(kz_session_check_change(&s, "s3", &err), KZ_EUSAGE,
          "session s3 is void and cannot change ('session show s3')");
    FAILS(kz_session_check_sign(&s, "s3", &err), KZ_EUSAGE,
          "session s3 is void and cannot change ('session show s3')");
    FAILS(kz_session_check_amend(&s, "s3", &err), KZ_EUSAGE,
          "session s3 is void and cannot change ('session show s3')");
    kz_session_free(&s);
    /* A voided note that was never signed is kept too. */
    kz_session_init(&s, 4, HEX, "2026-03-01", "2026-03-01T10:00:00Z");
    assert_int_equal(kz_session_void(&s, "s4", "dup", 3, "2026-03-03T08:00:00Z", &err), KZ_OK);
    FAILS(kz_session_check_delete(&s, "s4", &err), KZ_EUSAGE,
          "session s4 is void: a voided note is kept");
    kz_session_free(&s);
}

static void
test_void_reason_messages(void **state)
{
    char longer[KZ_SESSION_REASON_MAX + 2];
    struct kz_err err;
    const char *r = NULL;
    size_t n = 0;

    (void)state;
    assert_int_equal(kz_session_void_reason("  wrong couple \t", &r, &n, &err), KZ_OK);
    assert_int_equal(n, 12);
    assert_memory_equal(r, "wrong couple", 12);
    FAILS(kz_session_void_reason(" \t ", &r, &n, &err), KZ_EUSAGE,
          "session void: --reason needs some text");
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    FAILS(kz_session_void_reason(longer, &r, &n, &err), KZ_EUSAGE,
          "session void: the reason is longer than 500 bytes");
    longer[KZ_SESSION_REASON_MAX] = '\0'; /* exactly 500: fine */
    assert_int_equal(kz_session_void_reason(longer, &r, &n, &err), KZ_OK);
    FAILS(kz_session_void_reason("two\nlines", &r, &n, &err), KZ_EUSAGE,
          "session void: the reason is one line of text");
    FAILS(kz_session_void_reason("esc \x1b[2J", &r, &n, &err), KZ_EUSAGE,
          "session void: the reason is one line of text");
}

/* ---- strict decoding ---- */

/* v1_body with FROM replaced by TO (the first place). */
static char *
edited(const char *from, const char *to)
{
    const char *at = strstr(v1_body, from);
    size_t n = strlen(v1_body) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);

    assert_non_null(at);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - v1_body), v1_body, to, at + strlen(from));
    return out;
}

static void
expect_refused(const char *from, const char *to, const char *sealed_msg)
{
    struct kz_session s;
    struct kz_err err;
    char *body = edited(from, to);

    kz_err_clear(&err);
    assert_int_equal(kz_session_parse(body, strlen(body), KZ_SESSION_SEALED, "session s1", &s,
                                      &err),
                     KZ_EINTEGRITY);
    assert_string_equal(err.msg, sealed_msg);
    assert_null(s.text); /* nothing half-read is left */
    free(body);
}

static void
test_sealed_unknown_duplicate_wrong_type(void **state)
{
    (void)state;
    expect_refused("\"minutes\":50", "\"minutes\":50,\"mood\":\"good\"",
                   "session s1 holds an unknown field 'mood'");
    expect_refused("\"minutes\":50", "\"minutes\":50,\"minutes\":55",
                   "session s1 holds no JSON object (duplicate object key near '\"minutes\"')");
    expect_refused("\"minutes\":50", "\"minutes\":\"50\"",
                   "session s1 holds 'minutes' not a whole number");
    expect_refused("\"interpreter\":false", "\"interpreter\":0",
                   "session s1 holds 'interpreter' not true or false");
    expect_refused("\"themes\":[]", "\"themes\":[\"a\",1]",
                   "session s1 holds 'themes' not a list of text");
    expect_refused("\"goals\":[]", "\"goals\":\"g1\"", "session s1 holds 'goals' not a list of text");
    expect_refused("\"text\":\"First", "\"text\":5,\"x\":\"First",
                   "session s1 holds 'text' not text");
    expect_refused("\"signed\":\"2026-12-02T00:59:33Z\"", "\"signed\":false",
                   "session s1 holds 'signed' not a time or null");
    expect_refused("\"addenda\":[]", "\"addenda\":[{\"date\":\"2026-01-11\",\"by\":\"me\"}]",
                   "session s1 holds an unknown field 'addenda.by'");
    expect_refused("\"addenda\":[]", "\"addenda\":[\"text\"]",
                   "session s1 holds an addendum not an object");
    expect_refused("\"addenda\":[]", "\"addenda\":[{\"text\":1}]",
                   "session s1 holds 'addenda.text' not text");
    expect_refused("\"updated\"", "\"void\":\"yes\",\"updated\"",
                   "session s1 holds 'void' not an object");
    expect_refused("\"updated\"", "\"void\":{\"reason\":\"x\",\"who\":\"me\"},\"updated\"",
                   "session s1 holds an unknown field 'void.who'");
    expect_refused("\"kind\":\"session\"", "\"kind\":\"goal\"",
                   "session s1 holds 'kind' not \"session\"");
    expect_refused("\"v\":1", "\"v\":2", "session s1 holds 'v' not 1 (a version this kizuna reads)");
    expect_refused("\"id\":1", "\"id\":\"s1\"", "session s1 holds 'id' not a short id's number");
    expect_refused("\"couple\":\"", "\"couple\":7,\"x\":\"", "session s1 holds 'couple' not text");
}

static void
test_exported_names_the_field(void **state)
{
    struct kz_session s;
    struct kz_err err;
    json_t *e;

    (void)state;
    e = json_pack("{s:s,s:s,s:s,s:s}", "id", "s1", "date", "2026-01-10", "text", "x", "mood",
                  "good");
    FAILS(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_EUSAGE,
          "not a kizuna export: a session with an unknown field 'mood'");
    json_decref(e);
    /* An export never holds the storage fields. */
    e = json_pack("{s:s,s:s,s:i}", "date", "2026-01-10", "kind", "session", "v", 1);
    FAILS(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_EUSAGE,
          "not a kizuna export: a session with an unknown field 'kind'");
    json_decref(e);
    e = json_pack("{s:s,s:i}", "date", "2026-01-10", "id", 3);
    FAILS(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_EUSAGE,
          "not a kizuna export: a session with 'id' not text");
    json_decref(e);
    e = json_pack("{s:s,s:s}", "date", "2026-01-10", "minutes", "fifty");
    FAILS(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_EUSAGE,
          "not a kizuna export: a session with 'minutes' not a whole number");
    json_decref(e);
    e = json_pack("{s:s,s:s}", "date", "2026-01-10", "attended", "someone");
    FAILS(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_EUSAGE,
          "not a kizuna export: a session's 'attended' is not both, partner1 or partner2");
    json_decref(e);
    FAILS(kz_session_parse("{\"date\":\"2026-01-10\",\"date\":\"2026-01-11\"}", 43,
                           KZ_SESSION_EXPORTED, NULL, &s, &err),
          KZ_EUSAGE,
          "not a kizuna export: a session with no JSON object (duplicate object key near "
          "'\"date\"')");
    e = json_pack("[]");
    FAILS(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_EUSAGE,
          "not a kizuna export: a session with a body that is not an object");
    json_decref(e);
}

/* ---- what older versions wrote ---- */

static void
test_old_bodies_accepted(void **state)
{
    struct kz_session s;
    struct kz_head_info hi;
    unsigned char cid[16] = {0};
    struct kz_err err;
    json_t *e, *doc;

    (void)state;
    /* kizuna 0.1's body: every field read, nothing refused. */
    assert_int_equal(kz_session_parse(v1_body, strlen(v1_body), KZ_SESSION_SEALED, "session s1",
                                      &s, &err),
                     KZ_OK);
    assert_int_equal(s.num, 1);
    assert_string_equal(s.couple, HEX);
    assert_string_equal(s.signed_at, "2026-12-02T00:59:33Z");
    assert_string_equal(s.text, "First joint session, format one");
    /* Encoded again: the very same body (same fields, same order). */
    doc = kz_session_encode(&s, KZ_SESSION_SEALED);
    {
        char *text = json_dumps(doc, JSON_COMPACT);
        assert_string_equal(text, v1_body);
        kz_json_free(text);
    }
    json_decref(doc);
    kz_session_free(&s);
    /* A body a tool wrote with few fields (tests/bench): the rest as readers
     * always saw them, and "signed": null, "void": null are not signed, not void. */
    assert_int_equal(
        kz_session_parse("{\"kind\":\"session\",\"v\":1,\"id\":4,\"date\":\"2020-01-05\","
                         "\"minutes\":50,\"themes\":[\"conflict\"],\"text\":\"t\","
                         "\"process_notes\":\"\",\"signed\":null,\"void\":null}",
                         strlen("{\"kind\":\"session\",\"v\":1,\"id\":4,\"date\":\"2020-01-05\","
                                "\"minutes\":50,\"themes\":[\"conflict\"],\"text\":\"t\","
                                "\"process_notes\":\"\",\"signed\":null,\"void\":null}"),
                         KZ_SESSION_SEALED, "session s4", &s, &err),
        KZ_OK);
    assert_string_equal(s.attended, "both");
    assert_string_equal(s.modality, "");
    assert_false(kz_session_is_signed(&s));
    assert_false(kz_session_is_void(&s));
    assert_null(s.created);
    doc = kz_session_encode(&s, KZ_SESSION_SEALED);
    assert_null(json_object_get(doc, "created")); /* absent stays absent */
    json_decref(doc);
    kz_session_free(&s);
    /* A sealed note keeps the words of "attended" imported before 0.2; its head reads them. */
    assert_int_equal(kz_session_decode(e = json_pack("{s:s,s:s}", "date", "2026-01-10",
                                                     "attended", "P2 alone"),
                                       KZ_SESSION_SEALED, "session s2", &s, &err),
                     KZ_OK);
    json_decref(e);
    assert_string_equal(s.attended, "P2 alone");
    kz_session_head(&s, cid, &hi);
    assert_int_equal(hi.flags, KZ_HF_PARTNER2);
    kz_session_free(&s);
    /* An export with the short words is read as today's vocabulary; one
     * without "attended" or "process_notes" (older exports) too. */
    e = json_pack("{s:s,s:s,s:s}", "id", "s2", "date", "2026-01-10", "attended", "1");
    assert_int_equal(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_OK);
    assert_string_equal(s.attended, "partner1");
    assert_false(s.has_process_notes);
    kz_session_free(&s);
    json_decref(e);
    e = json_pack("{s:s}", "date", "2026-01-10");
    assert_int_equal(kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, &err), KZ_OK);
    assert_string_equal(s.attended, "both");
    kz_session_free(&s);
    json_decref(e);
}

/* ---- the attack: a sealed body the model does not know ---- */

/* Replaces the body of the only session with FROM -> TO in its JSON text,
 * sealed with the key as kizuna seals (someone who holds the key, or an older
 * or foreign tool): the vault's own checks all pass. */
static void
forge_session(struct kz_state *st, const char *from, const char *to)
{
    const struct kz_head *heads;
    struct kz_head_info hi;
    struct kz_err err;
    unsigned char id[KZ_RECORD_ID_BYTES], head[KZ_HEAD_MAX];
    size_t n, i, hlen = 0, len;
    char *body = NULL, *at, forged[4096];

    assert_int_equal(kz_vault_heads(st->vault, &heads, &n, &err), KZ_OK);
    for (i = 0; i < n; i++) {
        assert_int_equal(kz_head_decode(heads[i].data, heads[i].len, &hi), 0);
        if (hi.kind == KZ_KIND_SESSION) {
            memcpy(id, heads[i].id, sizeof(id));
            hlen = heads[i].len;
            memcpy(head, heads[i].data, hlen);
        }
    }
    assert_true(hlen > 0);
    assert_int_equal(kz_vault_record_get(st->vault, id, &body, &len, &err), KZ_OK);
    at = strstr(body, from);
    assert_non_null(at);
    snprintf(forged, sizeof(forged), "%.*s%s%s", (int)(at - body), body, to, at + strlen(from));
    kz_vault_plain_free(body, len);
    assert_int_equal(kz_vault_begin(st->vault, &err), KZ_OK);
    assert_int_equal(kz_vault_record_put(st->vault, id, head, hlen, forged, strlen(forged), &err),
                     KZ_OK);
    assert_int_equal(kz_vault_commit(st->vault, &err), KZ_OK);
}

static void
test_attack_sealed_unknown_or_duplicate_field(void **state)
{
    static const char *const forgeries[][2] = {
        {"\"minutes\":50", "\"minutes\":50,\"mood\":\"good\""}, /* unknown */
        {"\"minutes\":50,\"mood\":\"good\"", "\"minutes\":50,\"minutes\":55"}, /* twice */
        {"\"minutes\":50,\"minutes\":55", "\"minutes\":\"50\""}, /* wrong type */
    };
    static const char *const views[] = {
        "session show s1", "session list", "search hello", "export C001 --format json --yes",
        "session edit s1 --minutes 40", "session sign s1 --yes", "session delete s1 --yes",
    };
    struct kz_kdf_params kdf = {1, 256, 1, {0}};
    struct kz_state st;
    struct kz_err err;
    char dir[256], path[300], *recovery = NULL;
    size_t f, i;

    (void)state;
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a.kz", dir);
    kz_state_init(&st);
    st.ui.out = fopen("/dev/null", "w");
    st.ui.errf = st.ui.out; /* nothing to see: every result is the exit code */
    assert_int_equal(kz_vault_create(path, "attack test pass", 16, &kdf, &recovery, &st.vault,
                                     &err),
                     KZ_OK);
    kz_secure_free(recovery);
    st.vault_path = kz_xstrdup(path);
    assert_int_equal(tu_run(&st, "couple add C001"), KZ_OK);
    assert_int_equal(tu_run(&st, "session add C001 --text hello"), KZ_OK);
    assert_int_equal(tu_run(&st, "session show s1"), KZ_OK);
    for (f = 0; f < sizeof(forgeries) / sizeof(forgeries[0]); f++) {
        forge_session(&st, forgeries[f][0], forgeries[f][1]);
        /* Every view and change of the note refuses it, as tampering. */
        for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
            if (tu_run(&st, views[i]) != KZ_EINTEGRITY)
                fail_msg("forgery %zu: '%s' did not exit 4", f, views[i]);
        }
    }
    /* And the forged body is still there, unchanged by the refused changes. */
    forge_session(&st, "\"minutes\":\"50\"", "\"minutes\":50");
    assert_int_equal(tu_run(&st, "session show s1"), KZ_OK);
    /* A body in another form than kizuna's own (a blank after a colon): the
     * quick reader leaves it, jansson reads it, and every view shows it. */
    forge_session(&st, "\"minutes\":50", "\"minutes\": 50");
    for (i = 0; i < 4; i++) {
        if (tu_run(&st, views[i]) != KZ_OK)
            fail_msg("'%s' did not read a body with a blank", views[i]);
    }
    {
        FILE *out = st.ui.out;
        kz_state_free(&st);
        fclose(out);
    }
    tu_rmdir(dir);
}

/* ---- the quick reader (kz_session_read_sealed) ---- */

/* The quick reader against jansson and kz_session_decode on body: when it
 * reads it, they read it too, to a note that encodes to the same JSON; when
 * it leaves it, nothing is left in s. Returns whether it read it. */
static int
agree(const char *body, size_t len)
{
    struct kz_session q, j;
    json_error_t jerr;
    json_t *doc;
    struct kz_err err;
    int quick = kz_session_read_sealed(body, len, &q), rc;

    doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    rc = doc != NULL ? kz_session_decode(doc, KZ_SESSION_SEALED, "session s1", &j, &err)
                     : KZ_EINTEGRITY;
    json_decref(doc);
    if (!quick) {
        assert_null(q.text);
        assert_null(q.couple);
        if (rc == KZ_OK)
            kz_session_free(&j);
        return 0;
    }
    assert_int_equal(rc, KZ_OK);
    assert_true(same_session(&q, &j));
    kz_session_free(&q);
    kz_session_free(&j);
    return 1;
}

/* s dumped with flags: read by the quick reader (want 1) or left (0). */
static void
dumped(const struct kz_session *s, size_t flags, int want)
{
    json_t *doc = kz_session_encode(s, KZ_SESSION_SEALED);
    char *text = json_dumps(doc, flags);

    assert_int_equal(agree(text, strlen(text)), want);
    kz_json_free(text);
    json_decref(doc);
}

static void
test_quick_reader_reads_what_kizuna_writes(void **state)
{
    static const char tricky[] = "quote \" backslash \\ slash / \b\f\n\r\t ctl \x01\x1b\x1f "
                                 "del \x7f Müller 日本語 🙂 ünd\xc2\xa0nbsp";
    struct kz_session s;
    struct kz_err err;
    char *big;
    size_t i;

    (void)state;
    /* Every field set, and what records.c seals with (JSON_COMPACT). */
    full(&s);
    dumped(&s, JSON_COMPACT, 1);
    dumped(&s, JSON_COMPACT | JSON_ENSURE_ASCII, 1); /* \u escapes, a surrogate pair */
    dumped(&s, JSON_COMPACT | JSON_ESCAPE_SLASH, 1);
    dumped(&s, JSON_INDENT(2), 0); /* blanks: jansson's */
    assert_int_equal(kz_session_set_text(&s, tricky, sizeof(tricky) - 1, &err), KZ_OK);
    assert_int_equal(kz_session_amend(&s, "2026-03-04", "2026-03-04T09:00:00Z", tricky,
                                      sizeof(tricky) - 1, &err),
                     KZ_OK);
    kz_session_set(&s.homework, tricky);
    dumped(&s, JSON_COMPACT, 1);
    dumped(&s, JSON_COMPACT | JSON_ENSURE_ASCII, 1);
    /* A long note. */
    big = kz_xmalloc(70000);
    for (i = 0; i < 69999; i++)
        big[i] = "ab\"c\\d\ne "[i % 9];
    big[69999] = '\0';
    assert_int_equal(kz_session_set_text(&s, big, 69999, &err), KZ_OK);
    dumped(&s, JSON_COMPACT, 1);
    free(big);
    kz_session_free(&s);
    /* A new note, and kizuna 0.1's body. */
    kz_session_init(&s, 1, HEX, "2026-01-10", "2026-01-10T10:00:00Z");
    dumped(&s, JSON_COMPACT, 1);
    kz_session_free(&s);
    assert_int_equal(agree(v1_body, strlen(v1_body)), 1);
    assert_int_equal(agree("{}", 2), 1);
}

/* Bodies kizuna never wrote: each is left to jansson (which refuses it or
 * reads it), never read otherwise. */
static void
test_quick_reader_leaves_other_forms(void **state)
{
    static const char *const left[] = {
        "{\"minutes\":50,\"minutes\":55}",                  /* given twice */
        "{\"void\":{\"reason\":\"a\",\"reason\":\"b\"}}",  /* twice inside */
        "{\"addenda\":[{\"text\":\"a\",\"text\":\"b\"}]}", /* twice inside */
        "{\"mood\":\"good\"}",                              /* unknown */
        "{\"text\":\"a\\u0000b\"}",                         /* NUL: jansson refuses it */
        "{\"text\":\"\\ud800\"}",                           /* a lone surrogate */
        "{\"text\":\"\\udc00\\ud800\"}",
        "{\"text\":\"\\ud800\\u0041\"}",
        "{\"text\":\"\\x\"}",                               /* no such escape */
        "{\"text\":\"\\u12\"}",
        "{\"text\":\"\\u12g4\"}",
        "{\"text\":\"a\\\"}",                               /* unterminated */
        "{\"text\":\"\xc0\x80\"}",                          /* overlong */
        "{\"text\":\"\xed\xa0\x80\"}",                      /* a surrogate in UTF-8 */
        "{\"text\":\"\xf4\x90\x80\x80\"}",                  /* past U+10FFFF */
        "{\"text\":\"\xe6\x97\"}",                          /* cut short */
        "{\"text\":\"\x80\"}",
        "{\"text\":\"tab\tinside\"}",                       /* a raw control character */
        "{\"minutes\":50.0}",                               /* a real */
        "{\"minutes\":5e1}",
        "{\"minutes\":050}",                                /* a leading zero */
        "{\"minutes\":-}",
        "{\"minutes\":1234567890123456789}",                /* 19 digits */
        "{\"id\":4294967296}",                              /* not a short id's number */
        "{\"id\":-1}",
        "{\"v\":2}",
        "{\"kind\":\"goal\"}",
        "{\"interpreter\":0}",
        "{\"interpreter\":truex}",
        "{\"themes\":[\"a\",1]}",
        "{\"themes\":[\"a\",]}",
        "{\"signed\":false}",
        "{\"void\":\"yes\"}",
        "{\"void\":{\"who\":\"me\"}}",
        "{\"addenda\":[\"text\"]}",
        "{\"addenda\":[{\"by\":\"me\"}]}",
        "{\"text\":\"a\"} ",                                /* blanks after: jansson reads it */
        "{\"text\":\"a\"}x",
        "{\"text\":\"a\"}{}",
        " {\"text\":\"a\"}",
        "{\"text\" :\"a\"}",
        "{\"te\\u0078t\":\"a\"}",                           /* an escaped key */
        "{\"text\":\"a\",}",
        "[]",
        "",
        "{",
        "\"text\"",
    };
    size_t i, cut;

    (void)state;
    for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        if (agree(left[i], strlen(left[i])) != 0)
            fail_msg("read: %s", left[i]);
    }
    /* Every cut of a real body, and every byte of it changed to each of a
     * few others: never read as something jansson would not read, or read
     * otherwise (agree asserts it). */
    for (cut = 0; cut < strlen(v1_body); cut++)
        assert_int_equal(agree(v1_body, cut), 0);
    for (i = 0; i < strlen(v1_body); i++) {
        static const char swap[] = "\"\\{}[],:0-9.eu \x01\x7f\xc3\xa9";
        char body[sizeof(v1_body)];
        size_t k;
        for (k = 0; k < sizeof(swap) - 1; k++) {
            memcpy(body, v1_body, sizeof(v1_body));
            body[i] = swap[k];
            (void)agree(body, strlen(v1_body));
        }
    }
}

static void
test_first_line(void **state)
{
    char *l;

    (void)state;
    l = kz_note_first_line("## Subjective\n\n   Jonas' mother visited  \nmore");
    assert_string_equal(l, "Jonas' mother visited");
    free(l);
    l = kz_note_first_line("# only headings\n\n");
    assert_string_equal(l, "");
    free(l);
    l = kz_note_first_line(NULL);
    assert_string_equal(l, "");
    free(l);
    l = kz_note_first_line("bell\a and esc\x1b[2J");
    assert_string_equal(l, "bell? and esc?[2J");
    free(l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_sealed),
        cmocka_unit_test(test_round_trip_exported),
        cmocka_unit_test(test_init_is_what_session_add_writes),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_field_messages),
        cmocka_unit_test(test_status_messages),
        cmocka_unit_test(test_void_reason_messages),
        cmocka_unit_test(test_sealed_unknown_duplicate_wrong_type),
        cmocka_unit_test(test_exported_names_the_field),
        cmocka_unit_test(test_old_bodies_accepted),
        cmocka_unit_test(test_attack_sealed_unknown_or_duplicate_field),
        cmocka_unit_test(test_first_line),
        cmocka_unit_test(test_quick_reader_reads_what_kizuna_writes),
        cmocka_unit_test(test_quick_reader_leaves_other_forms),
    };

    kz_json_wipe_init();
    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
