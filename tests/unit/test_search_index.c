/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search's in-memory token index: its words, exactness against the matcher
 * (kz_find_folded) on mixed scripts, replaced and dropped records, compaction. */
#include "testutil.h"

#include <locale.h>

#include "kizuna/model.h"
#include "kizuna/model_search_index.h"

struct words {
    char w[32][64];
    size_t n;
};

static void
collect(void *ctx, const char *w, size_t wl)
{
    struct words *ws = ctx;

    assert_true(wl < 64);
    assert_int_equal(strlen(w), wl);
    if (ws->n < 32)
        memcpy(ws->w[ws->n++], w, wl + 1);
}

static void
test_tokens(void **state)
{
    static const char text[] = "M\xc3\x9cLLER-L\xc3\xbc" "denscheid, "
                               "\xe5\xae\xb6\xe6\x97\x8f\xe3\x81\xa8KATZE 42x \xd0\x9f\xd0\xb0\xd0\xbf\xd0\xb0 "
                               "Jose\xcc\x81 \xc3\xb8l \xef\xbc\xac\xef\xbc\xa9\xef\xbc\xae\xef\xbc\xa5\xe3\x81\xa7"
                               "\xe3\x80\x80x Stra\xc3\x9f" "e GRO\xe1\xba\x9e";
    struct words ws;

    (void)state;
    memset(&ws, 0, sizeof(ws));
    kz_sindex_tokens(text, strlen(text), collect, &ws);
    assert_int_equal(ws.n, 15);
    assert_string_equal(ws.w[0], "muller");      /* MÜLLER: without its accent */
    assert_string_equal(ws.w[1], "ludenscheid"); /* Lüdenscheid */
    assert_string_equal(ws.w[2], "\xe5\xae\xb6");        /* 家: one word each */
    assert_string_equal(ws.w[3], "\xe6\x97\x8f");        /* 族 */
    assert_string_equal(ws.w[4], "\xe3\x81\xa8");        /* と */
    assert_string_equal(ws.w[5], "katze");
    assert_string_equal(ws.w[6], "42x");
    assert_string_equal(ws.w[7], "\xd0\xbf\xd0\xb0\xd0\xbf\xd0\xb0"); /* папа */
    assert_string_equal(ws.w[8], "jose");        /* the combining acute dropped */
    assert_string_equal(ws.w[9], "ol");          /* øl: ø is o */
    assert_string_equal(ws.w[10], "line");        /* ＬＩＮＥ: full-width is ASCII */
    assert_string_equal(ws.w[11], "\xe3\x81\xa7"); /* で */
    assert_string_equal(ws.w[12], "x");              /* after U+3000, a space */
    assert_string_equal(ws.w[13], "strasse");        /* Straße: ß is "ss" */
    assert_string_equal(ws.w[14], "gross");          /* GROẞ */
}

/* Index and one field per text; returns the index. */
static struct kz_sindex *
index_texts(const char *const *texts, size_t n, uint8_t rec_of_each)
{
    struct kz_sindex *ix = kz_sindex_new();
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char id[16] = {0};
        struct kz_sdoc *d;
        id[0] = (unsigned char)(rec_of_each ? i / rec_of_each : i);
        id[1] = (unsigned char)i;
        id[2] = 7;
        d = kz_sdoc_new(id, 1);
        kz_sdoc_field(d, texts[i], strlen(texts[i]), 1, 0, 0, 0, NULL);
        kz_sindex_put(ix, d);
        kz_sdoc_free(d);
    }
    return ix;
}

static int
bit(const uint64_t *b, size_t f)
{
    return (int)((b[f / 64] >> (f % 64)) & 1);
}

static uint64_t seed = 0x2545f4914f6cdd1dULL;

static unsigned
rnd(unsigned n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)(seed % n);
}

/* Random texts from words of four scripts, with case forms, punctuation,
 * U+0130 and the Kelvin sign (which fold to ASCII); random terms cut from
 * them or made up. For each term: exact answers equal the matcher's, and a
 * superset holds every field the matcher finds. */
static void
test_exact_property(void **state)
{
    static const char *const atoms[] = {
        "holiday", "Holidays", "MOTHER", "m\xc3\xbctter", "M\xc3\x9cTTER", "stra\xc3\x9f" "e",
        "\xc3\x84rger", "\xe5\xae\xb6\xe6\x97\x8f", "\xe8\xa9\xb1\xe3\x81\x97\xe3\x81\x9f",
        "\xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a", "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2",
        "\xd0\xbc\xd0\xb8\xd1\x80", "\xc4\xb0stanbul", "\xe2\x84\xaa" "elvin", "kitchen", "x7",
        "\xed\x95\x9c\xea\xb5\xad", "caf\xc3\xa9", "CAF\xc3\x89", "e-mail"};
    static const char *const seps[] = {" ", "  ", ", ", ".", "-", "\n", "", "'", "\xe3\x80\x82"};
    char texts[60][400];
    const char *tp[60];
    struct kz_sindex *ix;
    uint64_t *bits;
    size_t i, f, t, nexact = 0, nsuper = 0;

    (void)state;
    for (i = 0; i < 60; i++) {
        size_t k = 0;
        unsigned nw = 1 + rnd(12), w;
        for (w = 0; w < nw; w++)
            k += (size_t)snprintf(texts[i] + k, sizeof(texts[i]) - k, "%s%s",
                                  atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))],
                                  seps[rnd(sizeof(seps) / sizeof(seps[0]))]);
        tp[i] = texts[i];
    }
    ix = index_texts(tp, 60, 0);
    bits = calloc(kz_sindex_bitmap_words(ix) + 1, sizeof(*bits));
    for (t = 0; t < 3000; t++) {
        char term[200];
        const char *src;
        size_t len, off, tl, mlen;
        int rc;
        if (t % 3 == 0) {
            src = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
        } else {
            src = texts[rnd(60)];
        }
        len = strlen(src);
        off = rnd((unsigned)len);
        tl = 1 + rnd(t % 3 == 0 ? (unsigned)len : 12);
        if (off + tl > len)
            tl = len - off;
        memcpy(term, src + off, tl);
        term[tl] = '\0';
        rc = kz_sindex_term(ix, term, bits);
        if (rc < 0)
            continue; /* only punctuation: the caller scans */
        for (f = 0; f < kz_sindex_nfields(ix); f++) {
            int found = kz_find_folded(texts[f], strlen(texts[f]), term, &mlen) >= 0;
            if (rc == 1) {
                if (found != bit(bits, f))
                    fail_msg("term '%s', text '%s': matcher %d, index %d", term, texts[f], found,
                             bit(bits, f));
            } else if (found && !bit(bits, f)) {
                fail_msg("term '%s', text '%s': the superset misses it", term, texts[f]);
            }
        }
        if (rc == 1)
            nexact++;
        else
            nsuper++;
    }
    assert_true(nexact > 500); /* both kinds of answer were tried */
    assert_true(nsuper > 200);
    free(bits);
    kz_sindex_free(ix);
}

static void
test_exactness_rules(void **state)
{
    static const char *const texts[] = {"Wir waren in \xc4\xb0STANBUL bei ihrer Familie",
                                        "\xe5\xae\xb6\xe6\x97\x8f\xe3\x81\xa8\xe8\xa9\xb1\xe3\x81\x97\xe3\x81\x9f",
                                        "e-mail to the KELVIN lab"};
    struct kz_sindex *ix = index_texts(texts, 3, 0);
    uint64_t b[1];
    size_t mlen;

    (void)state;
    assert_int_equal(kz_sindex_term(ix, "istanbul", b), 1);
    assert_int_equal(b[0], 1);
    /* The matcher agrees: a match may start at a letter folding to ASCII. */
    assert_true(kz_find_folded(texts[0], strlen(texts[0]), "istanbul", &mlen) == 13);
    assert_int_equal(kz_sindex_term(ix, "\xe5\xae\xb6", b), 1); /* one CJK character */
    assert_int_equal(b[0], 2);
    assert_int_equal(kz_sindex_term(ix, "\xe5\xae\xb6\xe6\x97\x8f", b), 0); /* two: a superset */
    assert_int_equal(b[0], 2);
    assert_int_equal(kz_sindex_term(ix, "e-mail", b), 0);
    assert_int_equal(b[0], 4);
    assert_int_equal(kz_sindex_term(ix, "ihrer familie", b), 0);
    assert_int_equal(b[0], 1);
    assert_int_equal(kz_sindex_term(ix, "a\xff", b), 0); /* a stray byte: verified */
    assert_int_equal(kz_sindex_term(ix, " - ", b), -1);
    assert_int_equal(kz_sindex_term(ix, "nowhere", b), 1);
    assert_int_equal(b[0], 0);
    kz_sindex_free(ix);
}

static void
put_text(struct kz_sindex *ix, unsigned char idbyte, uint64_t ver, const char *a, const char *b)
{
    unsigned char id[16] = {0};
    struct kz_sdoc *d;

    id[0] = idbyte;
    id[9] = 3;
    d = kz_sdoc_new(id, ver);
    kz_sdoc_field(d, a, strlen(a), 1, 0, 20260101, 20260101, NULL);
    if (b != NULL)
        kz_sdoc_field(d, b, strlen(b), 2, 3, 20260101, 20260202, "profile consent.Frau X");
    kz_sindex_put(ix, d);
    kz_sdoc_free(d);
}

/* The live fields holding term, as record id bytes (bit id[0]). */
static unsigned
live(struct kz_sindex *ix, const char *term)
{
    uint64_t *b = calloc(kz_sindex_bitmap_words(ix) + 1, sizeof(*b));
    unsigned out = 0;
    size_t f;

    assert_true(kz_sindex_term(ix, term, b) >= 0);
    for (f = 0; f < kz_sindex_nfields(ix); f++) {
        const struct kz_sfield *sf = kz_sindex_field(ix, f);
        const unsigned char *id;
        if (!bit(b, f) || sf->dead)
            continue;
        assert_true(kz_sindex_rec(ix, sf->rec, &id, NULL, NULL, NULL));
        out |= 1u << id[0];
    }
    free(b);
    return out;
}

static void
test_replace_drop_compact(void **state)
{
    struct kz_sindex *ix = kz_sindex_new();
    unsigned char id[16] = {0};
    uint64_t ver = 0;
    const struct kz_sfield *sf;
    const unsigned char *rid;
    uint32_t first, n;
    int i;

    (void)state;
    put_text(ix, 1, 1, "apple pie", "banana");
    put_text(ix, 2, 1, "apple tart", NULL);
    put_text(ix, 3, 1, "cherry", NULL);
    assert_int_equal(live(ix, "apple"), (1u << 1) | (1u << 2));
    assert_int_equal(live(ix, "banana"), 1u << 1);
    /* Replaced: its old words answer no more. */
    put_text(ix, 1, 2, "plum", NULL);
    assert_int_equal(live(ix, "apple"), 1u << 2);
    assert_int_equal(live(ix, "banana"), 0);
    assert_int_equal(live(ix, "plum"), 1u << 1);
    id[0] = 1;
    id[9] = 3;
    assert_true(kz_sindex_find(ix, id, &ver) >= 0);
    assert_int_equal(ver, 2);
    /* Dropped. */
    id[0] = 2;
    kz_sindex_drop(ix, id);
    assert_true(kz_sindex_find(ix, id, NULL) < 0);
    assert_int_equal(live(ix, "apple"), 0);
    assert_int_equal(live(ix, "tart"), 0);
    /* Many changes: compaction keeps the answers and drops dead words. */
    for (i = 0; i < 50; i++)
        put_text(ix, 4, (uint64_t)i + 1, i % 2 ? "grape juice" : "melon", "kiwi consent");
    assert_int_equal(kz_sindex_compact(ix), 1);
    assert_int_equal(kz_sindex_nfields(ix), 4); /* 1: plum; 3: cherry; 4: two fields */
    assert_int_equal(live(ix, "plum"), 1u << 1);
    assert_int_equal(live(ix, "cherry"), 1u << 3);
    assert_int_equal(live(ix, "grape"), 1u << 4);
    assert_int_equal(live(ix, "melon"), 0);
    assert_int_equal(live(ix, "apple"), 0);
    assert_int_equal(live(ix, "kiwi"), 1u << 4);
    id[0] = 4;
    assert_true(kz_sindex_find(ix, id, &ver) >= 0);
    assert_int_equal(ver, 50);
    assert_true(kz_sindex_rec(ix, (size_t)kz_sindex_find(ix, id, NULL), &rid, NULL, &first, &n));
    assert_int_equal(n, 2);
    sf = kz_sindex_field(ix, first + 1);
    assert_int_equal(sf->kind, 2);
    assert_int_equal(sf->ord, 3);
    assert_int_equal(sf->showdate, 20260202);
    assert_string_equal(kz_sindex_name(ix, sf->name), "profile consent.Frau X");
    assert_true(kz_sindex_bytes(ix) > 0);
    kz_sindex_free(ix);
}

/* A word in most fields turns into a bitmap, and stays right through it. */
static void
test_dense_words(void **state)
{
    struct kz_sindex *ix = kz_sindex_new();
    size_t i, n;
    uint64_t *b;

    (void)state;
    for (i = 0; i < 3000; i++) {
        unsigned char id[16] = {0};
        struct kz_sdoc *d;
        char text[64];
        memcpy(id, &i, sizeof(i));
        id[15] = 1;
        snprintf(text, sizeof(text), "common word%zu %s", i, i % 3 == 0 ? "third" : "");
        d = kz_sdoc_new(id, 1);
        kz_sdoc_field(d, text, strlen(text), 1, 0, 0, 0, NULL);
        kz_sindex_put(ix, d);
        kz_sdoc_free(d);
    }
    b = calloc(kz_sindex_bitmap_words(ix) + 1, sizeof(*b));
    assert_int_equal(kz_sindex_term(ix, "COMMON", b), 1);
    for (i = 0, n = 0; i < 3000; i++)
        n += (size_t)bit(b, i);
    assert_int_equal(n, 3000);
    assert_int_equal(kz_sindex_term(ix, "third", b), 1);
    for (i = 0, n = 0; i < 3000; i++)
        n += (size_t)(bit(b, i) == (i % 3 == 0));
    assert_int_equal(n, 3000);
    assert_int_equal(kz_sindex_term(ix, "word2999", b), 1);
    assert_int_equal(bit(b, 2999), 1);
    assert_int_equal(bit(b, 299), 0);
    assert_int_equal(kz_sindex_term(ix, "rd29", b), 1); /* inside words */
    for (i = 0, n = 0; i < 3000; i++)
        n += (size_t)bit(b, i);
    assert_int_equal(n, 111); /* word29, word290-299, word2900-2999 */
    free(b);
    kz_sindex_free(ix);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_exact_property),
        cmocka_unit_test(test_exactness_rules),
        cmocka_unit_test(test_replace_drop_compact),
        cmocka_unit_test(test_dense_words),
    };

    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "C.utf8");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
