/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Free text after a lone "--" (issue #13): the tokenizer hands the rest of the
 * line verbatim, kz_cmd_parse joins it into a KZ_OPT_REST option; what counts
 * as nothing written. */
#include "testutil.h"

#include "kizuna/cmd.h"
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
test_split_rest_after_lone_dashes(void **state)
{
    const char *const a[] = {"session", "add", "C1", "--", "Jonas' \"x\" \\n # kept  "};
    const char *const b[] = {"session", "add", "C1", "--"};
    const char *const c[] = {"x", "--y", "a--", "--", "it's"};
    const char *const d[] = {"x", "--", "rest"};
    const char *const e[] = {"x", "it's -- not"};

    (void)state;
    expect_split("session add C1 -- Jonas' \"x\" \\n # kept  ", 5, a);
    expect_split("session add C1 --", 4, b);
    expect_split("session add C1 --   \r\n", 4, b);
    expect_split("x --y a-- -- it's", 5, c);
    expect_split("x\t--\t\trest", 3, d);
    /* Quoted, "--" is a plain word; a comment before it still ends the line. */
    expect_split("x \"it's -- not\"", 2, e);
    expect_split("x # -- rest", 1, d);
}

/* An unquoted ~ or ~/ starting a word is $HOME; quoted, inside a word, ~user
 * or after "--" it stays as typed; a relative $HOME is not used. */
static void
test_split_tilde(void **state)
{
    static const char *const a[] = {"export", "C1", "-o", "/home/t/aiko.md", NULL};
    static const char *const b[] = {"x", "/home/t", "~", "~/q", "a~/b", "~user", NULL};
    static const char *const c[] = {"x", "--", "~/kept", NULL};
    static const char *const d[] = {"x", "~/y", NULL};
    (void)state;
    setenv("HOME", "/home/t", 1);
    expect_split("export C1 -o ~/aiko.md", 4, a);
    expect_split("x ~ '~' \"~/q\" a~/b ~user", 6, b);
    expect_split("x -- ~/kept", 3, c);
    setenv("HOME", "relative", 1);
    expect_split("x ~/y", 2, d);
}

static void
test_parse_rest_joins_and_refuses_twice(void **state)
{
    const char *text = NULL, *date = NULL;
    const struct kz_opt opts[] = {
        {"text", 0, 1, &text, NULL},
        {"date", 0, 1, &date, NULL},
        {"", 0, KZ_OPT_REST, &text, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    char *argv[] = {"C1", "--date", "d", "--", "a", "--date", "b"};
    char *twice[] = {"--text", "t", "--", "x"};
    char *none[] = {"C1", "--"};
    char *rest_named[] = {"--=x"};
    char *pos[2];
    int npos = 0;
    struct kz_err err;
    struct kz_state st;

    (void)state;
    kz_state_init(&st);
    assert_int_equal(kz_cmd_parse(&st, "t", 7, argv, opts, pos, 2, &npos, &err), KZ_OK);
    assert_int_equal(npos, 1);
    assert_string_equal(date, "d");
    assert_string_equal(text, "a --date b");
    text = NULL;
    assert_int_equal(kz_cmd_parse(&st, "t", 2, none, opts, pos, 2, &npos, &err), KZ_OK);
    assert_non_null(text);
    assert_string_equal(text, "");
    text = NULL;
    assert_int_equal(kz_cmd_parse(&st, "t", 4, twice, opts, pos, 2, &npos, &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "given twice"));
    text = NULL;
    /* The rest option has no name to be given as "--=x". */
    assert_int_equal(kz_cmd_parse(&st, "t", 1, rest_named, opts, pos, 2, &npos, &err), KZ_EUSAGE);
    assert_null(text);
    /* The joined text lives in the state until the parse ends. */
    assert_int_equal(kz_cmd_parse(&st, "t", 7, argv, opts, pos, 2, &npos, &err), KZ_OK);
    assert_ptr_equal(text, st.rest_text);
    kz_cmd_parse_end(&st);
    assert_null(st.rest_text);
    kz_state_free(&st);
}

static void
test_text_empty(void **state)
{
    const char *soap = "## S\n\n\n## P\n\n";

    (void)state;
    assert_true(kz_cmd_text_empty("", 0, NULL));
    assert_true(kz_cmd_text_empty(" \t\r\n\n", 5, NULL));
    assert_false(kz_cmd_text_empty(" x ", 3, NULL));
    assert_true(kz_cmd_text_empty("## S\n\n\n## P\n", 12, soap));
    assert_true(kz_cmd_text_empty("\n## S\n\n\n## P\n\n\n", 15, soap));
    assert_false(kz_cmd_text_empty("## S\nx\n\n## P\n", 13, soap));
    assert_true(kz_cmd_text_empty("  ", 2, ""));
    assert_false(kz_cmd_text_empty("x", 1, ""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_rest_after_lone_dashes),
        cmocka_unit_test(test_split_tilde),
        cmocka_unit_test(test_parse_rest_joins_and_refuses_twice),
        cmocka_unit_test(test_text_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
