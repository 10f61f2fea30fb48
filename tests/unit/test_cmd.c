/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The command-line tokenizer, the command table lookup, the vetting of keyless
 * audit events. */
#include <sodium.h>

#include "testutil.h"

#include "kizuna/cmd.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"
#include "../../src/cmd/cmds.h"

static void
expect_split(const char *line, int want_argc, const char *const *want)
{
    char **argv = NULL;
    int argc = -1, i;
    struct kz_err err;

    assert_int_equal(kz_cmd_split(line, &argc, &argv, &err), KZ_OK);
    assert_int_equal(argc, want_argc);
    for (i = 0; i < argc; i++)
        assert_string_equal(argv[i], want[i]);
    if (argc > 0)
        assert_null(argv[argc]);
    kz_cmd_free_argv(argc, argv);
}

static void
test_split_words_quotes_escapes_comments(void **state)
{
    static const char *const a[] = {"config", "set", "practice.name", "Praxis am See"};
    static const char *const b[] = {"session", "add", "C014", "--text", "It's \"fine\"\nok"};
    static const char *const c[] = {"help"};
    static const char *const d[] = {"x", "", "Müller 日本語"};

    (void)state;
    expect_split("config set practice.name 'Praxis am See'", 4, a);
    expect_split("  session add C014 --text \"It's \\\"fine\\\"\\nok\"  ", 5, b);
    expect_split("help # a comment", 1, c);
    expect_split("# only a comment", 0, NULL);
    expect_split("   ", 0, NULL);
    expect_split("x '' \"Müller 日本語\"", 3, d);
}

static void
test_split_open_quote_is_usage_error(void **state)
{
    char **argv = NULL;
    int argc = 0;
    struct kz_err err;

    (void)state;
    assert_int_equal(kz_cmd_split("config set a 'open", &argc, &argv, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "unterminated"));
    assert_null(argv);
    assert_int_equal(kz_cmd_split("x \"open", &argc, &argv, &err), KZ_EUSAGE);
}

static void
test_find_exact_prefix_group_and_errors(void **state)
{
    const struct kz_cmd_entry *e = NULL;
    struct kz_err err;
    int used = 0;
    char *a1[] = {"config", "list"}, *a2[] = {"conf", "l"}, *a3[] = {"in"},
         *a4[] = {"config"}, *a5[] = {"frobnicate"}, *a6[] = {"info"}, *a7[] = {"config", "zz"};

    (void)state;
    assert_int_equal(kz_cmd_find(2, a1, &e, &used, &err), KZ_OK);
    assert_string_equal(e->name, "config list");
    assert_int_equal(used, 2);
    assert_int_equal(kz_cmd_find(2, a2, &e, &used, &err), KZ_OK);
    assert_string_equal(e->name, "config list");
    /* "in" is both init and info: ambiguous, and the message names both. */
    assert_int_equal(kz_cmd_find(1, a3, &e, &used, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "ambiguous"));
    assert_non_null(strstr(err.msg, "init"));
    assert_non_null(strstr(err.msg, "info"));
    assert_int_equal(kz_cmd_find(1, a4, &e, &used, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "set"));
    assert_int_equal(kz_cmd_find(1, a5, &e, &used, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown command"));
    assert_int_equal(kz_cmd_find(1, a6, &e, &used, &err), KZ_OK);
    assert_string_equal(e->name, "info");
    assert_int_equal(used, 1);
    assert_int_equal(kz_cmd_find(2, a7, &e, &used, &err), KZ_EUSAGE);
}

/* The word nearest to a mistyped one: a letter dropped, added, changed or two
 * swapped; none when nothing is near, when two are as near, or for the word
 * itself. */
static const char *
nearest(const char *typed, const char *const *words)
{
    struct kz_nearest n;

    kz_nearest_init(&n, typed);
    for (; *words != NULL; words++)
        kz_nearest_offer(&n, *words);
    return kz_nearest_word(&n);
}

static void
test_nearest_names_the_command_or_option_meant(void **state)
{
    static const char *const cmds[] = {"session", "search", "export", "couple", "config",
                                       "goal", "lock", "list", NULL};
    static const char *const two[] = {"lock", "look", NULL};
    const struct kz_cmd_entry *e = NULL;
    struct kz_err err;
    int used = 0, npos = 0;
    const char *limit = NULL;
    const struct kz_opt opts[] = {{"limit", 0, 1, &limit, NULL},
                                  {"theme", 0, 1, &limit, NULL},
                                  {NULL, 0, 0, NULL, NULL}};
    char *a1[] = {"sesion"}, *a2[] = {"session", "lst"}, *a3[] = {"frobnicate"},
         *b1[] = {"--limt=3"}, *b2[] = {"--colour"};
    char *pos[2];
    struct kz_state st;

    (void)state;
    assert_string_equal(nearest("sesion", cmds), "session");  /* dropped */
    assert_string_equal(nearest("seearch", cmds), "search");  /* added */
    assert_string_equal(nearest("exprot", cmds), "export");   /* swapped */
    assert_string_equal(nearest("Couple", cmds), "couple");   /* case alone */
    assert_string_equal(nearest("coupel", cmds), "couple");
    assert_string_equal(nearest("gaol", cmds), "goal");
    assert_null(nearest("session", cmds)); /* the word itself */
    assert_null(nearest("frobnicate", cmds));
    assert_null(nearest("zz", cmds));
    assert_null(nearest("lk", cmds));      /* two letters off: too far for a short word */
    assert_string_equal(nearest("sessn", cmds), "session"); /* two: near for a longer one */
    assert_null(nearest("lokk", two));     /* as near to lock as to look */
    assert_null(nearest("sessionsessionsessionsessionsessionsessionsessionsessionsession", cmds));

    assert_int_equal(kz_cmd_find(1, a1, &e, &used, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown command 'sesion' (did you mean 'session'?"));
    assert_int_equal(kz_cmd_find(2, a2, &e, &used, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "did you mean 'session list'? try 'help session'"));
    assert_int_equal(kz_cmd_find(1, a3, &e, &used, &err), KZ_EUSAGE);
    assert_null(strstr(err.msg, "did you mean"));
    kz_state_init(&st);
    assert_int_equal(kz_cmd_parse(&st, "search", 1, b1, opts, pos, 2, &npos, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "search: unknown option '--limt' "
                                 "(did you mean '--limit'? try 'help search')");
    assert_int_equal(kz_cmd_parse(&st, "search", 1, b2, opts, pos, 2, &npos, &err), KZ_EUSAGE);
    assert_string_equal(err.msg, "search: unknown option '--colour' (try 'help search')");
    kz_cmd_parse_end(&st);
    kz_state_free(&st);
}

static void
test_parse_options(void **state)
{
    const char *mem = NULL, *iter = NULL;
    int yes = 0, npos = 0;
    const struct kz_opt opts[] = {
        {"kdf-memory", 0, 1, &mem, NULL},
        {"kdf-iterations", 'i', 1, &iter, NULL},
        {"yes", 'y', 0, NULL, &yes},
        {NULL, 0, 0, NULL, NULL},
    };
    char *argv[] = {"pos1", "--kdf-memory=8M", "-i", "2", "-y", "--", "--not-an-option"};
    char *bad1[] = {"--nope"}, *bad2[] = {"--kdf-memory"}, *bad3[] = {"a", "b"};
    char *pos[4];
    struct kz_err err;
    struct kz_state st;

    (void)state;
    kz_state_init(&st);
    assert_int_equal(kz_cmd_parse(&st, "t", 7, argv, opts, pos, 4, &npos, &err), KZ_OK);
    assert_string_equal(mem, "8M");
    assert_string_equal(iter, "2");
    assert_int_equal(yes, 1);
    assert_int_equal(npos, 2);
    assert_string_equal(pos[0], "pos1");
    assert_string_equal(pos[1], "--not-an-option");
    /* The record the command names, for the audit trail: the first positional
     * word, not an option's value; a later parse of the same command keeps it. */
    assert_ptr_equal(st.first_positional, argv[0]);
    assert_int_equal(kz_cmd_parse(&st, "t", 2, argv + 5, opts, pos, 4, &npos, &err), KZ_OK);
    assert_ptr_equal(st.first_positional, argv[0]);
    kz_cmd_parse_end(&st);
    assert_null(st.first_positional);
    assert_int_equal(kz_cmd_parse(&st, "t", 4, argv + 1, opts, pos, 4, &npos, &err), KZ_OK);
    assert_int_equal(npos, 0);
    assert_null(st.first_positional); /* "8M" and "2" are values */
    assert_int_equal(kz_cmd_parse(&st, "t", 1, bad1, opts, pos, 4, &npos, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown option '--nope'"));
    assert_int_equal(kz_cmd_parse(&st, "t", 1, bad2, opts, pos, 4, &npos, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "needs a value"));
    assert_int_equal(kz_cmd_parse(&st, "t", 2, bad3, opts, pos, 1, &npos, &err), KZ_EUSAGE);
    kz_state_free(&st);
}

/* Held output reaches the real stream only on release(1); release(0) drops it. */
static void
test_ui_hold_release(void **state)
{
    struct kz_ui ui;
    char got[256];
    size_t n;
    FILE *real = tmpfile();

    (void)state;
    assert_non_null(real);
    kz_ui_init(&ui, 0, 1);
    ui.out = real;
    assert_int_equal(kz_ui_release(&ui, 1), 0); /* nothing held: a no-op */
    kz_ui_hold(&ui);
    assert_ptr_not_equal(ui.out, real);
    kz_ui_done(&ui, NULL, "secret words %d", 1);
    assert_int_equal(ftell(real), 0);
    assert_int_equal(kz_ui_release(&ui, 0), 0);
    assert_ptr_equal(ui.out, real);
    assert_int_equal(ftell(real), 0);
    kz_ui_hold(&ui);
    kz_ui_done(&ui, NULL, "shown %d", 2);
    kz_ui_hold(&ui); /* holding twice keeps the first buffer */
    kz_ui_done(&ui, NULL, "shown %d", 3);
    assert_int_equal(kz_ui_release(&ui, 1), 0);
    rewind(real);
    n = fread(got, 1, sizeof(got) - 1, real);
    got[n] = '\0';
    assert_string_equal(got, "shown 2\nshown 3\n");
    fclose(real);
}

/* vet(json) as a JSON object (the caller decrefs). */
static json_t *
vet(const char *json)
{
    char *text = kz_audit_vet_pending(json, json != NULL ? strlen(json) : 77);
    json_t *e = json_loads(text, 0, NULL);

    free(text);
    assert_non_null(e);
    assert_true(json_is_true(json_object_get(e, "keyless")));
    assert_int_equal(json_string_length(json_object_get(e, "t")), 20);
    return e;
}

static void
test_vet_pending_keeps_only_known_fields(void **state)
{
    json_t *e;

    (void)state;
    /* What kizuna writes without the key survives whole, its time as claimed. */
    e = vet("{\"t\":\"2026-01-02T03:04:05Z\",\"event\":\"unlock_failed\",\"cmd\":\"unlock\","
            "\"how\":\"recovery key\",\"keyless\":true}");
    assert_string_equal(json_string_value(json_object_get(e, "claimed")), "2026-01-02T03:04:05Z");
    assert_string_not_equal(json_string_value(json_object_get(e, "t")), "2026-01-02T03:04:05Z");
    assert_string_equal(json_string_value(json_object_get(e, "how")), "recovery key");
    assert_null(json_object_get(e, "dropped"));
    assert_int_equal(json_object_size(e), 6);
    json_decref(e);
    /* A field of another kind, a number, a malformed time: dropped and counted. */
    e = vet("{\"t\":\"2026-01-02 03:04:05\",\"event\":\"restore\",\"cmd\":\"backup restore\","
            "\"ref\":\"x\",\"how\":7}");
    assert_null(json_object_get(e, "claimed"));
    assert_null(json_object_get(e, "ref"));
    assert_int_equal(json_integer_value(json_object_get(e, "dropped")), 3);
    json_decref(e);
    /* A kind no keyless process writes; something that is not JSON; an unreadable blob. */
    e = vet("{\"event\":\"sign\",\"cmd\":\"session sign\",\"ref\":\"s1\"}");
    assert_string_equal(json_string_value(json_object_get(e, "event")), "pending_invalid");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "pending"), "event")),
                        "sign");
    assert_null(json_object_get(e, "ref"));
    json_decref(e);
    e = vet("{\"event\":\"backup\"");
    assert_string_equal(json_string_value(json_object_get(e, "event")), "pending_invalid");
    assert_null(json_object_get(e, "pending"));
    json_decref(e);
    e = vet(NULL);
    assert_string_equal(json_string_value(json_object_get(e, "event")), "pending_unreadable");
    assert_int_equal(json_integer_value(json_object_get(e, "bytes")), 77);
    json_decref(e);
}

static void
test_unverified_reads_older_folds(void **state)
{
    json_t *e;

    (void)state;
    e = json_loads("{\"t\":\"2026-01-01T00:00:00Z\",\"event\":\"unlock\"}", 0, NULL);
    assert_false(kz_audit_unverified(e));
    json_decref(e);
    /* Folded by an older kizuna: "t" was the claimed time, "folded" the fold's. */
    e = json_loads("{\"t\":\"2001-01-01T00:00:00Z\",\"event\":\"backup\",\"keyless\":true,"
                   "\"folded\":\"2026-05-05T05:05:05Z\"}",
                   0, NULL);
    assert_true(kz_audit_unverified(e));
    assert_string_equal(json_string_value(json_object_get(e, "t")), "2026-05-05T05:05:05Z");
    assert_string_equal(json_string_value(json_object_get(e, "claimed")), "2001-01-01T00:00:00Z");
    assert_null(json_object_get(e, "folded"));
    json_decref(e);
}

/* ---- a run again's inputs (kz_cmd_ask, kz_cmd_text, kz_cmd_ask_secret) ---- */

/* Puts an input of kind into st's memo as the first run left it. */
static void
memo_put(struct kz_state *st, char kind, const char *text)
{
    st->memo_kind[st->memo_n] = kind;
    st->memo[st->memo_n] = kz_xstrdup(text);
    st->memo_len[st->memo_n++] = strlen(text);
}

/* A run again: the same question gets the answer given the first time,
 * asking nothing (no vault, no terminal here); an input of the other kind in
 * its place, a command that now asks otherwise, is exit 5, never an answer
 * given to the wrong question; the passphrase kept is given once a run. */
static void
test_run_again_gives_each_input_to_its_own_question(void **state)
{
    struct kz_state st;
    struct kz_err err;
    char *text = NULL, *pass = NULL;
    size_t len = 0;
    int ok = -1;

    (void)state;
    kz_state_init(&st);
    memo_put(&st, 'a', "ySign s1?");
    memo_put(&st, 'a', "nKeep 2062-03-01?");
    assert_int_equal(kz_cmd_ask(&st, "Sign s1?", NULL, &ok, &err), KZ_OK);
    assert_int_equal(ok, 1);
    assert_int_equal(kz_cmd_ask(&st, "Keep 2062-03-01?", NULL, &ok, &err), KZ_OK);
    assert_int_equal(ok, 0);
    kz_cmd_text_forget(&st);

    memo_put(&st, 'a', "ySign s1?");
    assert_int_equal(kz_cmd_text(&st, NULL, "a note", NULL, &text, &len, &err), KZ_EBUSY);
    assert_null(text);
    assert_non_null(strstr(err.msg, "now asks otherwise; nothing was saved"));
    kz_cmd_text_forget(&st);

    memo_put(&st, 't', "the note typed the first time");
    assert_int_equal(kz_cmd_ask(&st, "Sign s1?", NULL, &ok, &err), KZ_EBUSY);
    kz_cmd_text_forget(&st);

    memo_put(&st, 't', "the note typed the first time");
    assert_int_equal(kz_cmd_text(&st, NULL, NULL, NULL, &text, &len, &err), KZ_OK);
    assert_string_equal(text, "the note typed the first time");
    free(text);
    kz_cmd_text_forget(&st);

    st.memo_secret = kz_secure_strndup("Orchid valley", 13);
    st.memo_secret_len = 13;
    assert_int_equal(kz_cmd_ask_secret(&st, "Backup passphrase: ", &pass, &len, &err), KZ_OK);
    assert_int_equal(len, 13);
    assert_memory_equal(pass, "Orchid valley", 13);
    assert_int_equal(st.memo_secret_taken, 1);
    kz_secure_free(pass);
    kz_cmd_text_forget(&st);
    assert_null(st.memo_secret);
    kz_state_free(&st);
}

/* kz_idmap: every item found by its id, an absent id not; ids sharing their
 * first 8 bytes (the hash) or wrapping round the table still found apart. */
static void
test_idmap_finds_every_id_and_no_other(void **state)
{
    struct item {
        unsigned char id[16];
        int n;
    } items[300];
    unsigned char other[16];
    struct kz_idmap m;
    int i;

    (void)state;
    for (i = 0; i < 300; i++) {
        randombytes_buf(items[i].id, 16);
        items[i].n = i;
    }
    for (i = 200; i < 300; i++) /* the same first 8 bytes as item 0: one long probe run */
        memcpy(items[i].id, items[0].id, 8);
    for (i = 190; i < 200; i++) /* ten at the table's last slot: the run wraps round */
        memset(items[i].id, 0xff, 8);
    kz_idmap_build(&m, items, 300, sizeof(items[0]));
    for (i = 0; i < 300; i++) {
        struct item *it = kz_idmap_find(&m, items[i].id);
        assert_non_null(it);
        assert_int_equal(it->n, i);
    }
    memcpy(other, items[0].id, 16);
    other[15] ^= 1; /* same hash, another id */
    assert_null(kz_idmap_find(&m, other));
    randombytes_buf(other, 16);
    assert_null(kz_idmap_find(&m, other));
    kz_idmap_free(&m);
    kz_idmap_build(&m, items, 0, sizeof(items[0])); /* none */
    assert_null(kz_idmap_find(&m, items[0].id));
    kz_idmap_free(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_words_quotes_escapes_comments),
        cmocka_unit_test(test_run_again_gives_each_input_to_its_own_question),
        cmocka_unit_test(test_split_open_quote_is_usage_error),
        cmocka_unit_test(test_find_exact_prefix_group_and_errors),
        cmocka_unit_test(test_nearest_names_the_command_or_option_meant),
        cmocka_unit_test(test_parse_options),
        cmocka_unit_test(test_ui_hold_release),
        cmocka_unit_test(test_vet_pending_keeps_only_known_fields),
        cmocka_unit_test(test_unverified_reads_older_folds),
        cmocka_unit_test(test_idmap_finds_every_id_and_no_other),
    };

    if (kz_crypto_init() != 0) /* the passphrase kept lives in sodium_malloc'd memory */
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
