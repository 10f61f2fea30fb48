/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pseudonymization (src/model/pseudo.c): whole words, folding, CJK,
 * possessives, overlapping names, common words, dates to weeks, the profile's
 * roles and the whole export document. */
#include <locale.h>

#include "testutil.h"

#include "kizuna/model.h"
#include "kizuna/model_pseudo.h"

/* text through p: asserts the result equals want. */
static void
check(struct kz_pseudo *p, const char *text, const char *want)
{
    size_t n;
    char *out = kz_pseudo_text(p, text, strlen(text), &n);

    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    free(out);
}

static size_t
count_of(const struct kz_pseudo *p, const char *name)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        if (strcmp(p->names[i].name, name) == 0)
            return p->names[i].count;
    }
    fail_msg("no name %s", name);
    return 0;
}

static void
test_whole_words(void **state)
{
    struct kz_pseudo p;

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_add(&p, "Ken", "Child 2");
    check(&p, "Ken went to Kenya with a token, Ken.", "Child 2 went to Kenya with a token, Child 2.");
    check(&p, "Kendra, Bken, ken_x, ken2", "Kendra, Bken, ken_x, ken2");
    check(&p, "(Ken) \"Ken\" Ken-chan", "(Child 2) \"Child 2\" Child 2-chan");
    check(&p, "Kenは学校", "Child 2は学校"); /* next to kana: a boundary */
    check(&p, "Kené", "Kené");   /* an accented letter is a letter, not a boundary */
    check(&p, "Kén", "Child 2"); /* and matches as the search matches: without its accent */
    assert_int_equal(count_of(&p, "Ken"), 7);
    kz_pseudo_free(&p);
}

static void
test_folding(void **state)
{
    struct kz_pseudo p;

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_add(&p, "Äiko", "Partner A (Japan)");
    kz_pseudo_add(&p, "Jonas Müller", "Partner B (Germany)");
    check(&p, "ÄIKO, äiko and Äiko", "Partner A (Japan), Partner A (Japan) and Partner A (Japan)");
    check(&p, "MÜLLER and müller; JONAS MÜLLER", "Partner B (Germany) and Partner B (Germany); "
                                                  "Partner B (Germany)");
    assert_int_equal(count_of(&p, "Jonas Müller"), 1);
    assert_int_equal(count_of(&p, "Müller"), 2);
    assert_int_equal(count_of(&p, "Jonas"), 0);
    kz_pseudo_free(&p);
}

/* A name is also found as it is written without its letters for two
 * (Juergen, Soeren, Aase: the fold alone would leave them in the copy; Gross
 * the matching reads as Groß) and, by the fold, without its strokes and dots
 * (Pawel, Isil). */
static void
test_written_out_and_stroked(void **state)
{
    struct kz_pseudo p;
    size_t i;
    int shown = 0;

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_add(&p, "Jürgen Groß", "Partner A (Germany)");
    kz_pseudo_add(&p, "Søren", "Partner B (Denmark)");
    kz_pseudo_add(&p, "Åse", "Child 1");
    kz_pseudo_add(&p, "Paweł", "Child 2");
    kz_pseudo_add(&p, "Işıl", "Child 3");
    kz_pseudo_add(&p, "Mu\xcc\x88ller", "Child 4"); /* decomposed ü */
    check(&p, "Juergen Gross met JUERGEN; Jurgen and Gross; Groß.",
          "Partner A (Germany) met Partner A (Germany); Partner A (Germany) and "
          "Partner A (Germany); Partner A (Germany).");
    check(&p, "Soeren, Soren, SØREN, Aase, Ase", "Partner B (Denmark), Partner B (Denmark), "
                                                  "Partner B (Denmark), Child 1, Child 1");
    check(&p, "Pawel, PAWEL, Isil, ISIL", "Child 2, Child 2, Child 3, Child 3");
    check(&p, "Mueller, Muller, Müller", "Child 4, Child 4, Child 4");
    /* Words that only look alike stay. */
    check(&p, "Soerensen and Aasen", "Soerensen and Aasen");
    assert_int_equal(count_of(&p, "Juergen Groß"), 1);
    assert_int_equal(count_of(&p, "Soeren"), 1);
    assert_int_equal(count_of(&p, "Mueller"), 1); /* from the decomposed ü */
    for (i = 0; i < p.n; i++) {
        if (strcmp(p.names[i].name, "Juergen Groß") == 0)
            shown = p.names[i].written_out;
        if (strcmp(p.names[i].name, "Jürgen Groß") == 0)
            assert_int_equal(p.names[i].written_out, 0);
    }
    assert_int_equal(shown, 1);
    kz_pseudo_free(&p);
}

static void
test_cjk(void **state)
{
    struct kz_pseudo p;

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_add(&p, "田中 愛子", "Partner A (Japan)");
    kz_pseudo_add(&p, "ゆき", "Child 1");
    /* No spaces in Japanese: a CJK name matches inside a run of text. */
    check(&p, "愛子さんは田中愛子です。ゆきちゃん", "Partner A (Japan)さんはPartner A (Japan)Partner A (Japan)です。Child 1ちゃん");
    check(&p, "田中 愛子が来た", "Partner A (Japan)が来た");
    kz_pseudo_free(&p);
}

static void
test_possessives(void **state)
{
    struct kz_pseudo p;

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_add(&p, "Aiko", "Partner A (Japan)");
    kz_pseudo_add(&p, "Jonas", "Partner B (Germany)");
    check(&p, "Aiko's mother, Aiko’s job, Jonas' car", "Partner A (Japan)'s mother, Partner A "
                                                        "(Japan)’s job, Partner B (Germany)' car");
    check(&p, "Aikos Mutter und AIKOS Vater", "Partner A (Japan)'s Mutter und Partner A (Japan)'s Vater");
    check(&p, "Aikoso", "Aikoso"); /* the s goes on: another word */
    kz_pseudo_free(&p);
}

static void
test_overlapping_longest_first(void **state)
{
    struct kz_pseudo p;

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_add(&p, "Anna", "Child 1");
    kz_pseudo_add(&p, "Annabelle", "Child 2"); /* added after: still tried first */
    assert_string_equal(p.names[0].name, "Annabelle");
    check(&p, "Annabelle and Anna; anna-belle", "Child 2 and Child 1; Child 1-belle");
    assert_int_equal(count_of(&p, "Annabelle"), 1);
    assert_int_equal(count_of(&p, "Anna"), 2);
    kz_pseudo_add(&p, "ANNA", "Partner A"); /* the same name: keeps its first role */
    assert_int_equal(p.n, 2);
    kz_pseudo_add(&p, "  ", "x"); /* blank: ignored */
    assert_int_equal(p.n, 2);
    kz_pseudo_free(&p);
}

static void
test_common_words(void **state)
{
    struct kz_pseudo p;

    (void)state;
    assert_true(kz_pseudo_common_word("Will"));
    assert_true(kz_pseudo_common_word("MAY"));
    assert_true(kz_pseudo_common_word("Yuki"));
    assert_false(kz_pseudo_common_word("Aiko"));
    assert_false(kz_pseudo_common_word("Willow"));
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_add(&p, "Will", "Child 1");
    kz_pseudo_add(&p, "Aiko", "Partner A");
    assert_true(p.names[0].common || p.names[1].common);
    assert_int_equal(p.names[strcmp(p.names[0].name, "Will") == 0 ? 0 : 1].common, 1);
    assert_int_equal(p.names[strcmp(p.names[0].name, "Aiko") == 0 ? 0 : 1].common, 0);
    /* Replaced all the same (safety first): the report names it. */
    check(&p, "Will will come", "Child 1 Child 1 come");
    kz_pseudo_free(&p);
}

static void
test_dates(void **state)
{
    struct kz_pseudo p;
    char wk[48];

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_DMY_DOT);
    kz_pseudo_week(&p, 20260110, wk, sizeof(wk));
    assert_string_equal(wk, "week 1");
    kz_pseudo_week(&p, 20260116, wk, sizeof(wk));
    assert_string_equal(wk, "week 1");
    kz_pseudo_week(&p, 20260117, wk, sizeof(wk));
    assert_string_equal(wk, "week 2");
    kz_pseudo_week(&p, 20260103, wk, sizeof(wk));
    assert_string_equal(wk, "1 week before the start");
    kz_pseudo_week(&p, 20251220, wk, sizeof(wk));
    assert_string_equal(wk, "3 weeks before the start");
    check(&p, "on 2026-01-24, 24.1.2026, 24/01/2026 and 2026年1月24日.",
          "on week 3, week 3, week 3 and week 3.");
    check(&p, "at 2026-01-24T09:30:00Z sharp", "at week 3 sharp");
    check(&p, "2026-02-30 and 31.13.2026", "[date] and [date]"); /* no calendar day */
    check(&p, "ID 12026-01-240, v1.2.20261, 3.5 hours, 2026", "ID 12026-01-240, v1.2.20261, 3.5 hours, 2026");
    assert_int_equal(p.dates, 7);
    kz_pseudo_free(&p);
    kz_pseudo_init(&p, 20260110, KZ_DATE_MDY_SLASH);
    check(&p, "1/24/2026", "week 3"); /* month first when the vault shows dates so */
    kz_pseudo_free(&p);
    kz_pseudo_init(&p, 0, KZ_DATE_ISO);
    check(&p, "2026-01-24", "[date]");
    kz_pseudo_free(&p);
}

static json_t *
load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);

    assert_non_null(j);
    return j;
}

static void
test_profile_roles(void **state)
{
    json_t *c = load("{\"partner1\":{\"name\":\"Aiko Tanaka\",\"origin\":\"Japan\"},"
                     "\"partner2\":{\"name\":\"Jonas\",\"origin\":\"\"},"
                     "\"residence\":\"Leipzig, Germany\","
                     "\"children\":[{\"name\":\"Mia\"},{\"name\":\"Ken\"}],"
                     "\"support\":\"Her sister Yuki and Dr. Schmidt; friends from church\","
                     "\"referral\":\"GP Weber via NHS\"}");
    struct kz_pseudo p;

    (void)state;
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_profile(&p, c);
    check(&p, "Aiko, Tanaka, Jonas, Leipzig, Mia, Ken, Yuki, Schmidt, Weber; Her sister, GP, NHS, Dr.",
          "Partner A (Japan), Partner A (Japan), Partner B, city in Germany, Child 1, Child 2, "
          "support person 1, support person 2, referrer; Her sister, GP, NHS, Dr.");
    kz_pseudo_free(&p);
    /* A residence that is a partner's country stays; another single word is a city. */
    json_object_set_new(c, "residence", json_string("japan"));
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_profile(&p, c);
    check(&p, "japan", "japan");
    kz_pseudo_free(&p);
    json_object_set_new(c, "residence", json_string("Kyoto"));
    kz_pseudo_init(&p, 20260110, KZ_DATE_ISO);
    kz_pseudo_profile(&p, c);
    check(&p, "Kyoto", "a city");
    kz_pseudo_free(&p);
    json_decref(c);
}

static void
test_document(void **state)
{
    json_t *doc = load(
        "{\"format\":\"kizuna-export\",\"exported\":\"2026-03-20T10:00:00Z\",\"therapist\":\"Dr X\","
        "\"practice\":\"Praxis Leipzig\",\"couple\":{\"code\":\"C014\",\"intake\":\"2026-01-12\","
        "\"partner1\":{\"name\":\"Aiko\",\"origin\":\"Japan\"},\"partner2\":{\"name\":\"Jonas\","
        "\"origin\":\"Germany\"},\"residence\":\"Leipzig, Germany\",\"children\":[{\"name\":\"Mia\","
        "\"birth_year\":2019}],\"created\":\"2026-01-12T08:00:00Z\"},"
        "\"sessions\":[{\"id\":\"s1\",\"date\":\"2026-01-10\",\"signed\":\"2026-01-11T09:00:00Z\","
        "\"text\":\"Aiko and Mia in Leipzig on 12.1.2026\",\"addenda\":[{\"date\":\"2026-01-31\","
        "\"at\":\"2026-01-31T10:00:00Z\",\"text\":\"Jonas\"}]}],"
        "\"goals\":[{\"title\":\"Mia's school\",\"target\":\"2026-06-01\",\"progress\":[{\"date\":"
        "\"2026-01-20\",\"score\":5,\"note\":\"JONAS\"}],\"updated\":\"2026-01-20T08:00:00Z\"}]}");
    struct kz_pseudo p;
    char *text;

    (void)state;
    kz_pseudo_init(&p, kz_pseudo_start(doc), KZ_DATE_ISO);
    assert_int_equal(p.start, 20260110); /* the session came before the intake */
    kz_pseudo_profile(&p, json_object_get(doc, "couple"));
    kz_pseudo_doc(&p, doc);
    text = json_dumps(doc, JSON_SORT_KEYS);
    assert_non_null(text);
    assert_null(strstr(text, "Aiko"));
    assert_null(strstr(text, "Jonas"));
    assert_null(strstr(text, "JONAS"));
    assert_null(strstr(text, "Mia"));
    assert_null(strstr(text, "Leipzig"));
    assert_null(strstr(text, "2026"));
    assert_null(strstr(text, "2019"));
    assert_null(strstr(text, "Dr X"));
    assert_non_null(strstr(text, "\"format\": \"kizuna-export-pseudonymized\""));
    assert_non_null(strstr(text, "\"intake\": \"week 1\""));
    assert_non_null(strstr(text, "\"age_at_start\": 7"));
    assert_non_null(strstr(text, "\"residence\": \"city in Germany\""));
    assert_non_null(strstr(text, "\"text\": \"Partner A (Japan) and Child 1 in city in Germany on week 1\""));
    assert_non_null(strstr(text, "\"target\": \"week 21\""));
    assert_null(strstr(text, "\"created\""));
    assert_null(strstr(text, "\"updated\""));
    assert_null(strstr(text, "\"at\""));
    assert_null(strstr(text, "\"exported\""));
    assert_int_equal(count_of(&p, "Jonas"), 3); /* the profile, an addendum, a note */
    free(text);
    json_decref(doc);
    kz_pseudo_free(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_words),
        cmocka_unit_test(test_folding),
        cmocka_unit_test(test_written_out_and_stroked),
        cmocka_unit_test(test_cjk),
        cmocka_unit_test(test_possessives),
        cmocka_unit_test(test_overlapping_longest_first),
        cmocka_unit_test(test_common_words),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_profile_roles),
        cmocka_unit_test(test_document),
    };

    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "C.utf8");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
