/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_tokenizer: the command line reader. The whole input and each of its
 * lines go to kz_cmd_split; the words to kz_cmd_find, kz_cmd_parse (against
 * an option table with flags, values and repeated values) and kz_cmd_complete
 * (no vault). Invariants:
 *   - argv is NULL-terminated with argc words; a failure leaves nothing;
 *   - the words, quoted again in single quotes, split back to the same words;
 *   - a command found names a table entry and used 1 or 2 words;
 *   - parsed positionals are arguments of the line, at most maxpos of them.
 */
#include <stdlib.h>
#include <string.h>

#include "kizuna/cmd.h"
#include "kizuna/secmem.h"
#include "fuzz_util.h"

#define MAXPOS 4

static struct kz_state st;

static void
add_word(void *ctx, const char *word)
{
    KZF_CHECK(word != NULL);
    ++*(size_t *)ctx;
}

/* 'word' with each ' written as '\'' */
static char *
requote(int argc, char **argv)
{
    size_t n = 1, k = 0;
    char *out, *p;
    int a;

    for (a = 0; a < argc; a++)
        n += 3 + 4 * strlen(argv[a]);
    out = kz_xmalloc(n);
    for (a = 0; a < argc; a++) {
        if (a > 0)
            out[k++] = ' ';
        out[k++] = '\'';
        for (p = argv[a]; *p != '\0'; p++) {
            if (*p == '\'') {
                memcpy(out + k, "'\\''", 4);
                k += 4;
            } else {
                out[k++] = *p;
            }
        }
        out[k++] = '\'';
    }
    out[k] = '\0';
    KZF_CHECK(k < n);
    return out;
}

static void
parse(const char *name, int argc, char **argv)
{
    const char *value = NULL, *format = NULL, *to[KZ_OPT_MAX];
    int yes = 0, nto = 0, json = 0, npos = 0, rc, i, j;
    const struct kz_opt opts[] = {
        {"yes", 'y', 0, NULL, &yes},        {"json", 0, 0, NULL, &json},
        {"format", 0, 1, &format, NULL},    {"output", 'o', 1, &value, NULL},
        {"to", 0, KZ_OPT_REPEAT, to, &nto}, {NULL, 0, 0, NULL, NULL},
    };
    char *pos[MAXPOS];
    struct kz_err err;

    kz_err_clear(&err);
    rc = kz_cmd_parse(&st, name, argc, argv, opts, pos, MAXPOS, &npos, &err);
    KZF_CHECK(rc == KZ_OK || (rc == KZ_EUSAGE && err.msg[0] != '\0'));
    KZF_CHECK(npos >= 0 && npos <= MAXPOS && nto >= 0 && nto <= KZ_OPT_MAX);
    for (i = 0; i < npos; i++) {
        for (j = 0; j < argc && argv[j] != pos[i]; j++)
            ;
        KZF_CHECK(j < argc);
    }
    /* Without options every dash word is unknown. */
    kz_err_clear(&err);
    (void)kz_cmd_parse(&st, name, argc, argv, NULL, pos, MAXPOS, &npos, &err);
}

static void
line(const char *text)
{
    const struct kz_cmd_entry *e = NULL;
    const struct kz_cmd_entry *const *t;
    char **argv = NULL, **again = NULL, *q;
    int argc = -1, argc2 = -1, used = -1, rc, i, known;
    size_t words = 0;
    struct kz_err err;

    kz_err_clear(&err);
    rc = kz_cmd_split(text, &argc, &argv, &err);
    if (rc != KZ_OK) {
        KZF_CHECK(rc == KZ_EUSAGE && argc == 0 && argv == NULL && err.msg[0] != '\0');
        return;
    }
    KZF_CHECK(argc >= 0 && argv != NULL && argv[argc] == NULL);
    for (i = 0; i < argc; i++)
        KZF_CHECK(argv[i] != NULL);
    q = requote(argc, argv);
    KZF_CHECK(kz_cmd_split(q, &argc2, &again, &err) == KZ_OK && argc2 == argc);
    for (i = 0; i < argc; i++)
        KZF_CHECK(strcmp(argv[i], again[i]) == 0);
    kz_cmd_free_argv(argc2, again);
    free(q);

    kz_err_clear(&err);
    rc = kz_cmd_find(argc, argv, &e, &used, &err);
    if (rc == KZ_OK) {
        KZF_CHECK(e != NULL && e->exec != NULL && used >= 1 && used <= 2 && used <= argc);
        for (t = kz_cmd_table(), known = 0; *t != NULL; t++)
            known |= *t == e;
        KZF_CHECK(known);
        parse(e->name, argc - used, argv + used);
    } else {
        KZF_CHECK(rc == KZ_EUSAGE && e == NULL && err.msg[0] != '\0');
    }
    parse("fuzz", argc, argv);
    kz_cmd_complete(&st, argc, argv, add_word, &words);
    if (argc > 0)
        kz_cmd_complete(&st, argc - 1, argv, add_word, &words);
    kz_cmd_free_argv(argc, argv);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kzf_init();
    kz_state_init(&st);
    st.ui.out = st.ui.errf = kzf_devnull();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = kzf_strndup(data, size), *p, *nl;

    line(s);
    if (strchr(s, '\n') != NULL) {
        for (p = s; p != NULL; p = nl) {
            if ((nl = strchr(p, '\n')) != NULL)
                *nl++ = '\0';
            line(p);
        }
    }
    free(s);
    return 0;
}
