/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The domain model: sparklines, dates, record heads, themes, UTF-8 search and
 * snippets, couple fields. */
#include "testutil.h"

#include <locale.h>
#include <time.h>

#include "kizuna/model.h"

#define BAR_LOW "\xe2\x96\x81"  /* ▁ */
#define BAR_MID "\xe2\x96\x85"  /* ▅ */
#define BAR_FULL "\xe2\x96\x88" /* █ */

/* 1 if s[0..len) is well-formed UTF-8 (no stray or cut sequences). */
static int
valid_utf8(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n, k;

    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        n = (u[i] & 0xe0) == 0xc0 ? 2 : (u[i] & 0xf0) == 0xe0 ? 3 : (u[i] & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || i + n > len)
            return 0;
        for (k = 1; k < n; k++) {
            if ((u[i + k] & 0xc0) != 0x80)
                return 0;
        }
        i += n;
    }
    return 1;
}

/* ---- sparkline ---- */

static void
test_sparkline_maps_scores_to_bars(void **state)
{
    const int scores[] = {0, 5, 10, -3, 15};
    char buf[64];

    (void)state;
    kz_sparkline(scores, 5, buf, sizeof(buf));
    /* 0 is the lowest bar, 10 the full one, out-of-range scores are clamped. */
    assert_string_equal(buf, BAR_LOW BAR_MID BAR_FULL BAR_LOW BAR_FULL);
    kz_sparkline(scores, 0, buf, sizeof(buf));
    assert_string_equal(buf, "");
}

static void
test_sparkline_rises_with_the_score(void **state)
{
    int scores[11], i;
    char buf[64];

    (void)state;
    for (i = 0; i <= 10; i++)
        scores[i] = i;
    kz_sparkline(scores, 11, buf, sizeof(buf));
    assert_int_equal(strlen(buf), 33);
    /* Each bar is U+2581..U+2588: its last byte never falls as the score rises. */
    for (i = 1; i <= 10; i++)
        assert_true((unsigned char)buf[3 * i + 2] >= (unsigned char)buf[3 * (i - 1) + 2]);
    assert_memory_equal(buf, BAR_LOW, 3);
    assert_memory_equal(buf + 30, BAR_FULL, 3);
}

static void
test_sparkline_never_overflows_or_cuts_a_bar(void **state)
{
    const int scores[] = {1, 2, 3, 4, 5, 6, 7, 8};
    char buf[32];
    size_t size;

    (void)state;
    for (size = 1; size <= 26; size++) {
        memset(buf, 'X', sizeof(buf));
        kz_sparkline(scores, 8, buf, size);
        assert_true(strlen(buf) < size);
        assert_int_equal(strlen(buf) % 3, 0);
        assert_true(valid_utf8(buf, strlen(buf)));
        assert_int_equal(buf[size], 'X'); /* nothing written past size */
    }
}

/* ---- dates ---- */

static void
test_date_parse_calendar(void **state)
{
    (void)state;
    assert_int_equal(kz_date_parse("2026-01-10"), 20260110);
    assert_int_equal(kz_date_parse("2024-02-29"), 20240229); /* leap year */
    assert_int_equal(kz_date_parse("2000-02-29"), 20000229); /* divisible by 400 */
    assert_int_equal(kz_date_parse("2023-02-29"), 0);
    assert_int_equal(kz_date_parse("1900-02-29"), 0);        /* divisible by 100 only */
    assert_int_equal(kz_date_parse("2100-02-29"), 0);
    assert_int_equal(kz_date_parse("2026-02-28"), 20260228);
    assert_int_equal(kz_date_parse("2026-04-30"), 20260430);
    assert_int_equal(kz_date_parse("2026-04-31"), 0);
    assert_int_equal(kz_date_parse("2026-12-31"), 20261231);
    assert_int_equal(kz_date_parse("2026-12-32"), 0);
}

static void
test_date_parse_rejects_malformed(void **state)
{
    static const char *const bad[] = {
        "",           "2026-13-01", "2026-00-10", "2026-01-00", "2026-1-10",  "2026-01-1",
        "2026/01/10", "20260110",   "2026-01-10x", " 2026-01-10", "2026-01-1a", "+026-01-10",
        "1899-12-31", "2201-01-01", "Today",      "tomorrow",   "2026-01--1", NULL,
    };
    int i;

    (void)state;
    for (i = 0; bad[i] != NULL; i++) {
        if (kz_date_parse(bad[i]) != 0)
            fail_msg("'%s' was taken for a date", bad[i]);
    }
    assert_int_equal(kz_date_parse(NULL), 0);
}

static void
test_date_today_yesterday_and_format(void **state)
{
    time_t now = time(NULL), then = now - 86400;
    struct tm t, y;
    uint32_t today, yesterday;
    char buf[11];

    (void)state;
    localtime_r(&now, &t);
    localtime_r(&then, &y);
    today = (uint32_t)((t.tm_year + 1900) * 10000 + (t.tm_mon + 1) * 100 + t.tm_mday);
    yesterday = (uint32_t)((y.tm_year + 1900) * 10000 + (y.tm_mon + 1) * 100 + y.tm_mday);
    unsetenv("KIZUNA_TEST_TODAY");
    assert_int_equal(kz_date_today(), today);
    assert_int_equal(kz_date_read("today", kz_date_today(), KZ_DATE_ISO, NULL, 0), today);
    assert_int_equal(kz_date_read("yesterday", kz_date_today(), KZ_DATE_ISO, NULL, 0),
                     yesterday);
    /* A stored date is strict ISO: the words are for typing, never for records. */
    assert_int_equal(kz_date_parse("today"), 0);
    assert_int_equal(kz_date_parse("yesterday"), 0);
    assert_int_equal(kz_date_parse("1.3.2026"), 0);
    assert_int_equal(kz_date_parse("-3d"), 0);
    kz_date_format(20240229, buf);
    assert_string_equal(buf, "2024-02-29");
    assert_int_equal(kz_date_parse(buf), 20240229);
    kz_date_format(20260105, buf);
    assert_string_equal(buf, "2026-01-05");
    kz_date_format(0, buf);
    assert_string_equal(buf, "");
}

static void
test_date_read_forms(void **state)
{
    static const struct {
        const char *in;
        int style;
        uint32_t want;
    } ok[] = {
        {"2026-03-01", KZ_DATE_ISO, 20260301},   {"01.03.2026", KZ_DATE_ISO, 20260301},
        {"1.3.2026", KZ_DATE_ISO, 20260301},     {"31.12.2025", KZ_DATE_ISO, 20251231},
        {"29.2.2024", KZ_DATE_ISO, 20240229},    {"today", KZ_DATE_ISO, 20260301},
        {"yesterday", KZ_DATE_ISO, 20260228},    {"-1d", KZ_DATE_ISO, 20260228},
        {"-3d", KZ_DATE_ISO, 20260226},          {"+1d", KZ_DATE_ISO, 20260302},
        {"-0d", KZ_DATE_ISO, 20260301},          {"-2w", KZ_DATE_ISO, 20260215},
        {"+12w", KZ_DATE_ISO, 20260524},         {"-365d", KZ_DATE_ISO, 20250301},
        {"+306d", KZ_DATE_ISO, 20270101},        {"01/03/2026", KZ_DATE_DMY_SLASH, 20260301},
        {"03/01/2026", KZ_DATE_MDY_SLASH, 20260301}, {"1.3.2026", KZ_DATE_MDY_SLASH, 20260301},
        {"12/31/2026", KZ_DATE_MDY_SLASH, 20261231},
    };
    static const char *const bad[] = {
        "",         "Today",     "tomorrow",  "3d",        "-3",        "-3m",      "-3y",
        "-d",       "--3d",      "-3dd",      "- 3d",      "-12345d",   "1.3.26",   "1.3.",
        "1.3",      "1..2026",   "001.3.2026", "1.3.20266", "1-3-2026", "1.3/2026", " 1.3.2026",
        "1.3.2026 ", "01/03/2026", "2026-3-1", "20260301",  "1,3,2026",  NULL,
    };
    char why[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint32_t got = kz_date_read(ok[i].in, 20260301, ok[i].style, why, sizeof(why));
        if (got != ok[i].want)
            fail_msg("'%s' (style %d) read as %u, not %u", ok[i].in, ok[i].style, got,
                     ok[i].want);
    }
    for (i = 0; bad[i] != NULL; i++) {
        if (kz_date_read(bad[i], 20260301, KZ_DATE_ISO, why, sizeof(why)) != 0)
            fail_msg("'%s' was taken for a date", bad[i]);
        assert_string_equal(why, "is not a date");
    }
    /* Slashes only in the order dates are shown in: 13/01 is no month-first date. */
    assert_int_equal(kz_date_read("13/01/2026", 20260301, KZ_DATE_MDY_SLASH, why, sizeof(why)),
                     0);
    assert_string_equal(why, "is not a date (there is no month 13)");
    assert_int_equal(kz_date_read("13/01/2026", 20260301, KZ_DATE_DMY_SLASH, NULL, 0), 20260113);
    assert_int_equal(kz_date_read("1/3/2026", 20260301, KZ_DATE_DMY_DOT, NULL, 0), 0);
    assert_int_equal(kz_date_read(NULL, 20260301, KZ_DATE_ISO, NULL, 0), 0);
    /* Across a leap day and a year's end. */
    assert_int_equal(kz_date_read("+1d", 20240228, KZ_DATE_ISO, NULL, 0), 20240229);
    assert_int_equal(kz_date_read("yesterday", 20260101, KZ_DATE_ISO, NULL, 0), 20251231);
    assert_int_equal(kz_date_read("-1w", 20240305, KZ_DATE_ISO, NULL, 0), 20240227);
}

static void
test_date_read_says_why(void **state)
{
    char why[128];

    (void)state;
    assert_int_equal(kz_date_read("31.02.2026", 20260301, KZ_DATE_ISO, why, sizeof(why)), 0);
    assert_string_equal(why, "is not a date (February 2026 has 28 days)");
    assert_int_equal(kz_date_read("29.02.2024", 20260301, KZ_DATE_ISO, why, sizeof(why)),
                     20240229);
    assert_int_equal(kz_date_read("2026-04-31", 20260301, KZ_DATE_ISO, why, sizeof(why)), 0);
    assert_string_equal(why, "is not a date (April 2026 has 30 days)");
    assert_int_equal(kz_date_read("1.13.2026", 20260301, KZ_DATE_ISO, why, sizeof(why)), 0);
    assert_string_equal(why, "is not a date (there is no month 13)");
    assert_int_equal(kz_date_read("0.1.2026", 20260301, KZ_DATE_ISO, why, sizeof(why)), 0);
    assert_string_equal(why, "is not a date (there is no day 0)");
    assert_int_equal(kz_date_read("1.1.1899", 20260301, KZ_DATE_ISO, why, sizeof(why)), 0);
    assert_string_equal(why, "is outside the years 1900 to 2200");
    assert_int_equal(kz_date_read("-9999w", 20260301, KZ_DATE_ISO, why, sizeof(why)), 0);
    assert_string_equal(why, "is outside the years 1900 to 2200");
    assert_int_equal(kz_date_read("+9999w", 20260301, KZ_DATE_ISO, why, sizeof(why)), 0);
}

static void
test_date_styles_and_today_override(void **state)
{
    char buf[11];

    (void)state;
    assert_int_equal(kz_date_style_parse("iso"), KZ_DATE_ISO);
    assert_int_equal(kz_date_style_parse("YYYY-MM-DD"), KZ_DATE_ISO);
    assert_int_equal(kz_date_style_parse("DD.MM.YYYY"), KZ_DATE_DMY_DOT);
    assert_int_equal(kz_date_style_parse("dd/mm/yyyy"), KZ_DATE_DMY_SLASH);
    assert_int_equal(kz_date_style_parse("mm/dd/yyyy"), KZ_DATE_MDY_SLASH);
    assert_int_equal(kz_date_style_parse("d.m.yyyy"), -1);
    assert_int_equal(kz_date_style_parse("german"), -1);
    assert_int_equal(kz_date_style_parse(""), -1);
    assert_int_equal(kz_date_style_parse(NULL), -1);
    assert_string_equal(kz_date_style_name(KZ_DATE_DMY_DOT), "dd.mm.yyyy");
    assert_string_equal(kz_date_style_name(7), "iso");
    kz_date_format_style(20260305, KZ_DATE_ISO, buf);
    assert_string_equal(buf, "2026-03-05");
    kz_date_format_style(20260305, KZ_DATE_DMY_DOT, buf);
    assert_string_equal(buf, "05.03.2026");
    kz_date_format_style(20260305, KZ_DATE_DMY_SLASH, buf);
    assert_string_equal(buf, "05/03/2026");
    kz_date_format_style(20260305, KZ_DATE_MDY_SLASH, buf);
    assert_string_equal(buf, "03/05/2026");
    kz_date_format_style(0, KZ_DATE_DMY_DOT, buf);
    assert_string_equal(buf, "");
    /* What is shown reads back the same in its own style. */
    kz_date_format_style(20261231, KZ_DATE_MDY_SLASH, buf);
    assert_int_equal(kz_date_read(buf, 20260301, KZ_DATE_MDY_SLASH, NULL, 0), 20261231);
    assert_int_equal(kz_date_diff(20260301, 20620301), 13149);
    assert_int_equal(kz_date_diff(20260301, 20260228), -1);
    /* The test-only override: a strict ISO date, else ignored. */
    setenv("KIZUNA_TEST_TODAY", "2031-07-04", 1);
    assert_int_equal(kz_date_today(), 20310704);
    setenv("KIZUNA_TEST_TODAY", "yesterday", 1);
    assert_int_not_equal(kz_date_today(), 0);
    assert_true(kz_date_today() != 20310704);
    setenv("KIZUNA_TEST_TODAY", "31.02.2031", 1);
    assert_true(kz_date_today() != 20310302 && kz_date_today() != 0);
    unsetenv("KIZUNA_TEST_TODAY");
}

static void
test_status_names(void **state)
{
    (void)state;
    assert_int_equal(kz_status_parse("active"), KZ_ST_ACTIVE);
    assert_int_equal(kz_status_parse("achieved"), KZ_ST_ACHIEVED);
    assert_int_equal(kz_status_parse("dropped"), KZ_ST_DROPPED);
    assert_int_equal(kz_status_parse("Achieved"), -1);
    assert_string_equal(kz_status_name(KZ_ST_DROPPED), "dropped");
    assert_string_equal(kz_status_name(99), "?");
}

/* ---- heads ---- */

static void
full_head(struct kz_head_info *h)
{
    int i;

    memset(h, 0, sizeof(*h));
    h->kind = KZ_KIND_GOAL;
    h->num = 0x01020304;
    for (i = 0; i < 16; i++)
        h->parent[i] = (unsigned char)(0xa0 + i);
    h->date = 20260602;
    h->minutes = 0xbeef;
    h->flags = KZ_HF_PARTNER2 | KZ_HF_SIGNED;
    h->status = KZ_ST_ACHIEVED;
    memset(h->code, 'C', KZ_CODE_MAX);
    h->code[KZ_CODE_MAX] = '\0';
    memset(h->tags, 't', KZ_TAGS_MAX);
    h->tags[KZ_TAGS_MAX] = '\0';
}

static void
test_head_round_trip(void **state)
{
    struct kz_head_info h, d;
    unsigned char buf[KZ_HEAD_MAX];
    size_t n;

    (void)state;
    full_head(&h);
    n = kz_head_encode(&h, buf);
    assert_true(n <= KZ_HEAD_MAX);
    memset(&d, 0x55, sizeof(d));
    assert_int_equal(kz_head_decode(buf, n, &d), 0);
    assert_int_equal(d.kind, h.kind);
    assert_int_equal(d.num, h.num);
    assert_memory_equal(d.parent, h.parent, 16);
    assert_int_equal(d.date, h.date);
    assert_int_equal(d.minutes, h.minutes);
    assert_int_equal(d.flags, h.flags);
    assert_int_equal(d.status, h.status);
    assert_string_equal(d.code, h.code);
    assert_string_equal(d.tags, h.tags);
    /* Little-endian on disk whatever the machine: num 0x01020304 after 4 bytes. */
    assert_int_equal(buf[4], 0x04);
    assert_int_equal(buf[7], 0x01);

    /* Short strings, UTF-8 tags. */
    memset(&h, 0, sizeof(h));
    h.kind = KZ_KIND_SESSION;
    h.num = 12;
    snprintf(h.code, sizeof(h.code), "C014");
    snprintf(h.tags, sizeof(h.tags), "holidays,家族");
    n = kz_head_encode(&h, buf);
    assert_int_equal(kz_head_decode(buf, n, &d), 0);
    assert_string_equal(d.code, "C014");
    assert_string_equal(d.tags, "holidays,家族");
    assert_int_equal(d.num, 12);
}

/* A theme matches whole tags only; "" matches nothing and returns. */
static void
test_head_has_tag(void **state)
{
    (void)state;
    assert_true(kz_head_has_tag("holidays,in-laws", "holidays"));
    assert_true(kz_head_has_tag("holidays,in-laws", "in-laws"));
    assert_true(kz_head_has_tag("laws,in-laws", "laws"));
    assert_false(kz_head_has_tag("in-laws", "laws"));
    assert_false(kz_head_has_tag("holidays2,xholidays", "holidays"));
    assert_false(kz_head_has_tag("", "holidays"));
    assert_false(kz_head_has_tag("holidays,in-laws", ""));
    assert_false(kz_head_has_tag("", ""));
}

/* The peek the scans use agrees with the full decode on every kind, short id
 * and parent, and refuses what is too short to hold them or of another
 * version (a scan then fails the head as malformed). */
static void
test_head_peek(void **state)
{
    struct kz_head_info h, d;
    unsigned char buf[KZ_HEAD_MAX];
    const unsigned char *parent = NULL;
    uint32_t num = 0;
    size_t n, cut;
    int kind = -1;

    (void)state;
    full_head(&h);
    n = kz_head_encode(&h, buf);
    assert_int_equal(kz_head_decode(buf, n, &d), 0);
    assert_int_equal(kz_head_peek(buf, n, &kind, &num, &parent), 0);
    assert_int_equal(kind, d.kind);
    assert_int_equal(num, d.num);
    assert_non_null(parent);
    assert_memory_equal(parent, d.parent, 16);
    assert_int_equal(kz_head_peek(buf, n, &kind, &num, NULL), 0);
    memset(&h, 0, sizeof(h));
    h.kind = KZ_KIND_SCORE;
    h.num = 70000;
    memset(h.parent, 0xa5, sizeof(h.parent));
    n = kz_head_encode(&h, buf);
    assert_int_equal(kz_head_peek(buf, n, &kind, &num, &parent), 0);
    assert_int_equal(kind, KZ_KIND_SCORE);
    assert_int_equal(num, 70000);
    assert_memory_equal(parent, h.parent, 16);
    /* The fixed part and both string lengths must be there. */
    for (cut = 0; cut < n; cut++)
        assert_int_equal(kz_head_peek(buf, cut, &kind, &num, &parent), -1);
    buf[0] = 2;
    assert_int_equal(kz_head_peek(buf, n, &kind, &num, &parent), -1);
}

static void
test_head_decode_rejects_malformed(void **state)
{
    struct kz_head_info h, d;
    unsigned char buf[KZ_HEAD_MAX + 8], bad[KZ_HEAD_MAX + 8];
    size_t n, cut, code_at = 1 + 1 + 1 + 1 + 4 + 4 + 2 + 16;

    (void)state;
    full_head(&h);
    snprintf(h.code, sizeof(h.code), "C014");
    snprintf(h.tags, sizeof(h.tags), "language");
    n = kz_head_encode(&h, buf);
    /* Every truncation fails, and so does a trailing byte. */
    for (cut = 0; cut < n; cut++) {
        if (kz_head_decode(buf, cut, &d) != -1)
            fail_msg("a head cut to %zu of %zu bytes decoded", cut, n);
    }
    memcpy(bad, buf, n);
    bad[n] = 0;
    assert_int_equal(kz_head_decode(bad, n + 1, &d), -1);
    /* Unknown version. */
    memcpy(bad, buf, n);
    bad[0] = 2;
    assert_int_equal(kz_head_decode(bad, n, &d), -1);
    /* A code longer than KZ_CODE_MAX. */
    memcpy(bad, buf, n);
    bad[code_at] = KZ_CODE_MAX + 1;
    assert_int_equal(kz_head_decode(bad, n, &d), -1);
    /* A code length running past the end. */
    memcpy(bad, buf, n);
    bad[code_at] = 30;
    assert_int_equal(kz_head_decode(bad, n, &d), -1);
    /* A tags length that disagrees with the size, or exceeds KZ_TAGS_MAX. */
    memcpy(bad, buf, n);
    bad[code_at + 1 + 4] = 9;
    assert_int_equal(kz_head_decode(bad, n, &d), -1);
    memcpy(bad, buf, n);
    bad[code_at + 1 + 4] = (unsigned char)((KZ_TAGS_MAX + 1) & 0xff);
    bad[code_at + 1 + 4 + 1] = (unsigned char)((KZ_TAGS_MAX + 1) >> 8);
    assert_int_equal(kz_head_decode(bad, n, &d), -1);
    /* The untouched original still decodes. */
    assert_int_equal(kz_head_decode(buf, n, &d), 0);
    assert_string_equal(d.tags, "language");
}

/* ---- themes ---- */

static void
test_theme_check(void **state)
{
    static const char *const good[] = {"holidays", "in-laws", "family-of-origin", "a", "2nd-child",
                                       "家族", "familia", "müll", NULL};
    static const char *const bad[] = {"", "Holidays", "in laws", "-x", "a_b", "a,b",
                                      "tab\there", "x.y", "ß/", NULL};
    char long_ok[41], too_long[42];
    int i;

    (void)state;
    for (i = 0; good[i] != NULL; i++) {
        if (kz_theme_check(good[i]) != 0)
            fail_msg("'%s' refused", good[i]);
    }
    for (i = 0; bad[i] != NULL; i++) {
        if (kz_theme_check(bad[i]) == 0)
            fail_msg("'%s' accepted", bad[i]);
    }
    memset(long_ok, 'a', 40);
    long_ok[40] = '\0';
    assert_int_equal(kz_theme_check(long_ok), 0);
    memset(too_long, 'a', 41);
    too_long[41] = '\0';
    assert_int_not_equal(kz_theme_check(too_long), 0);
    /* Every starter theme passes its own check. */
    for (i = 0; kz_starter_themes[i] != NULL; i++)
        assert_int_equal(kz_theme_check(kz_starter_themes[i]), 0);
    assert_true(i >= 12);
}

/* ---- search ---- */

static long
find(const char *hay, const char *needle, size_t *mlen)
{
    *mlen = 0;
    return kz_find_folded(hay, strlen(hay), needle, mlen);
}

static void
test_find_folded_utf8(void **state)
{
    const char *hay = "Notiz: Herr MÜLLER kam später.";
    const char *ja = "今日は日本語で話しました";
    size_t mlen;
    long off;

    (void)state;
    off = find(hay, "müller", &mlen);
    assert_int_equal(off, 12);
    assert_int_equal(mlen, strlen("MÜLLER"));
    assert_memory_equal(hay + off, "MÜLLER", mlen);
    /* The other way round too: an upper-case needle finds lower-case text. */
    off = find("bei müllers", "MÜLLER", &mlen);
    assert_int_equal(off, 4);
    /* Japanese inside Japanese text, byte offsets. */
    off = find(ja, "日本語", &mlen);
    assert_int_equal(off, (long)strlen("今日は"));
    assert_int_equal(mlen, strlen("日本語"));
    assert_int_equal(find(ja, "中国語", &mlen), -1);
    /* Accented capitals fold: É / é. */
    assert_int_equal(find("ÉTÉ À PARIS", "été", &mlen), 0);
    assert_int_equal(mlen, strlen("ÉTÉ"));
}

/* Accents: a letter with one matches the letter without it, composed (é) or
 * decomposed (e + U+0301), either way round; the combining marks after a
 * matched letter are part of the match. Letters of their own do not fold. */
static void
test_find_folded_accents(void **state)
{
    size_t mlen;

    (void)state;
    assert_int_equal(find("Mit José und Zoë", "jose", &mlen), 4);
    assert_int_equal(mlen, strlen("José"));
    assert_int_equal(find("Mit José und Zoë", "ZOE", &mlen), 14);
    assert_int_equal(mlen, strlen("Zoë"));
    assert_int_equal(find("JOSE", "josé", &mlen), 0); /* the needle's accent too */
    assert_int_equal(mlen, 4);
    /* Decomposed: the mark goes with its letter, inside the match and at its end. */
    assert_int_equal(find("Jose\xcc\x81 came", "josé", &mlen), 0);
    assert_int_equal(mlen, 6);
    assert_int_equal(find("Jo\xcc\x81se", "jose", &mlen), 0);
    assert_int_equal(mlen, 6);
    assert_int_equal(find("Zoe\xcc\x88\xcc\x81!", "zoë", &mlen), 0);
    assert_int_equal(mlen, 7);
    /* Vietnamese, Romanian, Hungarian, Turkish, Greek, Cyrillic. */
    assert_int_equal(find("anh Nguyễn", "nguyen", &mlen), 4);
    assert_int_equal(find("din București", "bucuresti", &mlen), 4);
    assert_int_equal(find("Győr", "gyor", &mlen), 0);
    assert_int_equal(find("Kaş ve Çeşme", "cesme", &mlen), strlen("Kaş ve "));
    assert_int_equal(find("Αθήνα", "αθηνα", &mlen), 0);
    assert_int_equal(find("ёлка", "елка", &mlen), 0);
    /* Letters with a stroke and the dotless i, which Unicode does not
     * decompose, are their plain letter: Danish, Polish, Croatian, Turkish,
     * Maltese, Sami; capitals too, and the other way round. */
    assert_int_equal(find("at Øresund", "oresund", &mlen), 3);
    assert_int_equal(mlen, strlen("Øresund"));
    assert_int_equal(find("Łódź", "lodz", &mlen), 0);
    assert_int_equal(find("Paweł, PAWEŁ", "pawel", &mlen), 0);
    assert_int_equal(find("Lodz", "Łódź", &mlen), 0);
    assert_int_equal(find("Đorđe", "djordje", &mlen), -1); /* a stroke is not "dj" */
    assert_int_equal(find("Đorđe", "dorde", &mlen), 0);
    assert_int_equal(find("Işıl, Kırmızı", "kirmizi", &mlen), strlen("Işıl, "));
    assert_int_equal(find("Ħamrun", "hamrun", &mlen), 0);
    assert_int_equal(find("Ŧ", "t", &mlen), 0);
    /* ß is "ss" both ways (Swiss German writes only "ss"); a match may begin
     * at its second 's' or end at its first, and takes the whole ß. */
    assert_int_equal(find("die Straße", "strasse", &mlen), 4);
    assert_int_equal(mlen, strlen("Straße"));
    assert_int_equal(find("die Strasse", "STRAßE", &mlen), 4);
    assert_int_equal(find("Straße", "STRAẞE", &mlen), 0); /* capital ẞ lowers to ß */
    assert_int_equal(find("GROẞ", "gross", &mlen), 0);
    assert_int_equal(mlen, strlen("GROẞ"));
    assert_int_equal(find("Maße", "sse", &mlen), 2); /* from its first 's' */
    assert_int_equal(mlen, strlen("ße"));
    assert_int_equal(find("Maße", "se", &mlen), 2); /* from its second */
    assert_int_equal(mlen, strlen("ße"));
    assert_int_equal(find("Maß.", "mas", &mlen), 0); /* up to its first */
    assert_int_equal(mlen, strlen("Maß"));
    assert_int_equal(find("Maß", "masss", &mlen), -1);
    assert_int_equal(find("Mase", "maße", &mlen), -1); /* ß is two 's', never one */
    /* Other letters for two (æ, œ, þ) are only lowered, and kana's voicing
     * mark is not a Latin accent. */
    assert_int_equal(find("Ærø", "aero", &mlen), -1);
    assert_int_equal(find("がっこう", "かっこう", &mlen), -1);
    /* Full-width forms (a Japanese input method's own mode) are ASCII. */
    assert_int_equal(find("昨日Ｊｏｎａｓさんと", "jonas", &mlen), strlen("昨日"));
    assert_int_equal(mlen, strlen("Ｊｏｎａｓ"));
    assert_int_equal(find("line 2026", "ＬＩＮＥ　２０２６", &mlen), 0); /* U+3000 a space */
    assert_int_equal(mlen, 9);
    assert_int_equal(find("ＪＯＳＥ　さんと", "jose さん", &mlen), 0);
    assert_int_equal(mlen, strlen("ＪＯＳＥ　さん"));
    assert_int_equal(find("LINE２０２６！", "line2026!", &mlen), 0);
    assert_int_equal(kz_utf8_fold(0xff2a), 'j');
    assert_int_equal(kz_utf8_fold(0xff5f), 0xff5f); /* past U+FF5E: not ASCII */
    /* A needle of marks alone asks for nothing: no match. */
    assert_int_equal(find("e\xcc\x81", "\xcc\x81", &mlen), -1);
    assert_int_equal(kz_utf8_fold(0x301), KZ_UTF8_MARK);
    assert_int_equal(kz_utf8_fold(0xc9), 'e');  /* É */
    assert_int_equal(kz_utf8_fold(0xf8), 'o');  /* ø */
    assert_int_equal(kz_utf8_fold(0x141), 'l'); /* Ł */
    assert_int_equal(kz_utf8_fold(0x131), 'i'); /* ı */
    assert_int_equal(kz_utf8_fold(0xdf), 0xdf); /* ß: "ss" to the matcher, not a fold */
    assert_int_equal(kz_utf8_fold(0xe6), 0xe6); /* æ */
}

static void
test_find_folded_ascii(void **state)
{
    size_t mlen;

    (void)state;
    assert_int_equal(find("We spoke about the HoLiDaYs again", "holidays", &mlen), 19);
    assert_int_equal(mlen, 8);
    assert_int_equal(find("holidays", "HOLIDAYS", &mlen), 0);
    assert_int_equal(find("x", "HOLIDAYS", &mlen), -1);
    /* The first place wins, whichever case it is in. */
    assert_int_equal(find("aXa xa XA", "xa", &mlen), 1);
    assert_int_equal(find("hay", "", &mlen), -1);
    assert_int_equal(find("", "a", &mlen), -1);
    /* Letters fold, other characters do not: '[' is not '{'. */
    assert_int_equal(find("a{b", "A[B", &mlen), -1);
    assert_int_equal(find("@", "`", &mlen), -1);
}

static void
test_find_folded_no_match_across_partial_utf8(void **state)
{
    char cut[32];
    size_t mlen;

    (void)state;
    /* A lone continuation byte never matches inside a character. */
    assert_int_equal(find("Müller", "\xbc", &mlen), -1);
    /* The needle's lead byte alone (a cut character) does not match ü. */
    assert_int_equal(find("Müller", "\xc3", &mlen), -1);
    /* A character cut at the end of the text is not the whole character. */
    snprintf(cut, sizeof(cut), "Mo\xc3");
    assert_int_equal(find(cut, "ß", &mlen), -1);
    /* 日 cut after two bytes, then 本語: "日本語" must not match. */
    snprintf(cut, sizeof(cut), "\xe6\x97" "本語");
    assert_int_equal(find(cut, "日本語", &mlen), -1);
    assert_int_equal(find(cut, "本語", &mlen), 2);
    /* 本 (E6 9C AC) and 木 (E6 9C A8) share their first bytes: no match. */
    assert_int_equal(find("木曜日", "本", &mlen), -1);
    /* Stray bytes in the text do not hide a later match. */
    assert_int_equal(find("\xff\xfe MÜLLER", "müller", &mlen), 3);
}

static void
test_find_folded_long_needle(void **state)
{
    char hay[400], needle[200];
    size_t mlen;

    (void)state;
    /* More than 64 characters: the needle no longer fits the stack buffer. */
    memset(needle, 'a', 100);
    memcpy(needle + 100, "ÜBER", sizeof("ÜBER"));
    memset(hay, 'A', 150);
    memcpy(hay + 150, "über!", sizeof("über!"));
    assert_int_equal(kz_find_folded(hay, strlen(hay), needle, &mlen), 50);
    assert_int_equal(mlen, strlen(needle));
    hay[154] = 'X'; /* "übXr": no longer there */
    assert_int_equal(kz_find_folded(hay, strlen(hay), needle, &mlen), -1);
}

/* The matcher against a plain one written here (the text and the needle as
 * the folded letters they read as, marks dropped and ß as two 's', compared
 * at every place, a match taking the whole characters its letters come from
 * and the marks after them), on texts and
 * needles drawn from pieces that try its fast paths: both cases of ASCII
 * letters, bytes that OR 0x20 folds together ('@' and '`', '[' and '{'),
 * characters that fold to ASCII (é, U+0130 to 'i', the Kelvin sign to 'k',
 * ệ's three bytes, full-width ｅ, Ｅ, ！ and ０, the ideographic space), a CJK
 * character, combining marks (U+0301, U+0345) and a character just
 * past them (U+0370), a letter of its own (ø), other UTF-8, lone lead bytes
 * (one before ASCII: a byte that is not UTF-8 matches only itself), and
 * matches at the very end. */
static int
plain_mark(const unsigned char *s, size_t left, size_t *n)
{
    uint32_t cp;

    *n = kz_utf8_decode(s, left, &cp);
    return *n > 1 && cp >= 0x300 && cp <= 0x36f;
}

static long
find_plain(const char *hay_, size_t haylen, const char *needle_, size_t *mlen)
{
    const unsigned char *hay = (const unsigned char *)hay_, *nd = (const unsigned char *)needle_;
    size_t nlen = strlen(needle_), i, n;
    uint32_t want[64];
    size_t nw = 0, q = 0;

    while (q < nlen) {
        uint32_t b;
        if (plain_mark(nd + q, nlen - q, &n)) {
            q += n;
            continue;
        }
        q += kz_utf8_decode_fold(nd + q, nlen - q, &b);
        if (b == 0xdf) { /* ß is "ss" */
            want[nw++] = 's';
            b = 's';
        }
        want[nw++] = b;
    }
    if (nw == 0)
        return -1;
    /* The text as the folded letters it reads as (ß two 's'), each with the
     * bytes of the character it comes from, marks after it included. */
    {
        uint32_t cps[1024];
        size_t from[1024] = {0}, to[1024] = {0}, nc = 0, j, k;
        for (i = 0; i < haylen;) {
            uint32_t a;
            size_t start = i;
            if (plain_mark(hay + i, haylen - i, &n)) {
                i += n;
                if (nc > 0 && to[nc - 1] == start)
                    to[nc - 1] = i;
                if (nc > 1 && cps[nc - 1] == 's' && from[nc - 2] == from[nc - 1])
                    to[nc - 2] = i;
                continue;
            }
            i += kz_utf8_decode_fold(hay + i, haylen - i, &a);
            if (a == 0xdf) {
                cps[nc] = 's', from[nc] = start, to[nc++] = i;
                a = 's';
            }
            cps[nc] = a, from[nc] = start, to[nc++] = i;
        }
        for (j = 0; j + nw <= nc; j++) {
            if (hay[from[j]] >= 0x80 && hay[from[j]] < 0xc0)
                continue; /* a stray continuation byte begins nothing */
            for (k = 0; k < nw && cps[j + k] == want[k]; k++)
                ;
            if (k == nw) {
                *mlen = to[j + nw - 1] - from[j];
                return (long)from[j];
            }
        }
    }
    return -1;
}

static void
test_find_folded_against_a_plain_search(void **state)
{
    static const char *const pieces[] = {
        "w", "W", "e", "E", "we", "WE", "@", "`", "[", "{", " ", "\xc3\xa9", "\xc3\x89",
        "\xc3\x9f", "\xc4\xb0", "\xe2\x84\xaa", "k", "K", "i", "I", "\xc4\xb1", "\xc3", "0",
        "\x10", "x", "X", "o", "\xc3\xb6", "\xc3\xb8", "\xcc\x81", "\xcd\x85", "\xcd\xb0",
        "\xe1\xbb\x87", "\xcc", "\xef\xbd\x85", "\xef\xbc\xa5", "\xef\xbc\x81",
        "\xef\xbc\x90", "\xe6\x97\xa5", "\xe3\x80\x80", "s", "S", "ss", "\xe1\xba\x9e",
        "markt",
    };
    const size_t np = sizeof(pieces) / sizeof(pieces[0]);
    uint64_t r = 0x9e3779b97f4a7c15ULL;
    char hay[512], needle[64];
    size_t mlen, wlen = 0;
    int t, checked = 0;

    (void)state;
    for (t = 0; t < 40000; t++) {
        size_t hl = 0, nl = 0;
        int k, nh, nn;
        long want, got;
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        nh = (int)(r % 60);
        nn = 2 + (int)((r >> 8) % 3);
        for (k = 0; k < nh; k++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            const char *p = pieces[r % np];
            memcpy(hay + hl, p, strlen(p));
            hl += strlen(p);
        }
        for (k = 0; k < nn; k++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            const char *p = pieces[r % (np - 1)]; /* "markt" stays in the text */
            memcpy(needle + nl, p, strlen(p));
            nl += strlen(p);
        }
        needle[nl] = '\0';
        want = find_plain(hay, hl, needle, &wlen);
        got = kz_find_folded(hay, hl, needle, &mlen);
        if (got != want || (got >= 0 && mlen != wlen))
            fail_msg("text '%.*s', needle '%s': found at %ld (%zu bytes), the plain search at "
                     "%ld (%zu)",
                     (int)hl, hay, needle, got, mlen, want, wlen);
        checked += want >= 0;
    }
    assert_true(checked > 1000); /* many of them a match */
}

static void
test_snippet_marks_match_and_keeps_utf8(void **state)
{
    const char *text = "Erster Satz.\nDann kam Herr MÜLLER mit\tden Kindern nach Hause, spät.";
    const char *ja = "昨日の面談で日本語と独語の問題について長く話しました。";
    size_t mlen;
    long off;
    char *s;
    int w;

    (void)state;
    off = find(text, "müller", &mlen);
    assert_true(off > 0);
    s = kz_snippet(text, (size_t)off, mlen, 24, "[", "]");
    assert_non_null(strstr(s, "[MÜLLER]"));
    assert_memory_equal(s, "\xe2\x80\xa6", 3);                  /* cut before: … */
    assert_string_equal(s + strlen(s) - 3, "\xe2\x80\xa6");      /* cut after: … */
    assert_null(strchr(s, '\n'));
    assert_null(strchr(s, '\t'));
    assert_true(valid_utf8(s, strlen(s)));
    free(s);

    /* The whole text fits: no ellipsis, newlines folded to spaces. */
    off = find(text, "erster", &mlen);
    assert_int_equal(off, 0);
    s = kz_snippet(text, 0, mlen, 200, "<", ">");
    assert_memory_equal(s, "<Erster>", 8);
    assert_non_null(strstr(s, "Satz. Dann"));
    assert_null(strstr(s, "\xe2\x80\xa6"));
    free(s);

    /* Japanese: every width gives whole characters around the marked match. */
    off = find(ja, "日本語", &mlen);
    assert_true(off > 0);
    for (w = 4; w <= 40; w++) {
        s = kz_snippet(ja, (size_t)off, mlen, w, "**", "**");
        assert_non_null(strstr(s, "**日本語**"));
        assert_true(valid_utf8(s, strlen(s)));
        free(s);
    }
}

/* ---- couples ---- */

static void
test_couple_languages(void **state)
{
    json_t *c = kz_couple_new("C014", "2026-01-10"), *langs;
    struct kz_err err;

    (void)state;
    assert_int_equal(kz_couple_set(c, "partner1.languages", "ja:native,de:B2", &err), KZ_OK);
    langs = json_object_get(json_object_get(c, "partner1"), "languages");
    assert_int_equal(json_array_size(langs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 0), "lang")), "ja");
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 0), "fluency")),
                        "native");
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 1), "lang")), "de");
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 1), "fluency")),
                        "B2");
    /* Spaces are trimmed, a language without fluency has "". */
    assert_int_equal(kz_couple_set(c, "partner2.languages", " de : native , en ", &err), KZ_OK);
    langs = json_object_get(json_object_get(c, "partner2"), "languages");
    assert_int_equal(json_array_size(langs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 0), "fluency")),
                        "native");
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 1), "lang")), "en");
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 1), "fluency")),
                        "");
    /* An unknown fluency is refused and leaves the old value. */
    assert_int_equal(kz_couple_set(c, "partner1.languages", "ja:fluentish", &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "fluentish"));
    langs = json_object_get(json_object_get(c, "partner1"), "languages");
    assert_int_equal(json_array_size(langs), 2);
    json_decref(c);
}

static void
test_couple_unknown_fields(void **state)
{
    static const char *const bad[] = {"partner3.name", "partner1.age", "nofield", "code",
                                      "formulation.mood", "partner1", "consent.Bad Name", NULL};
    json_t *c = kz_couple_new("C014", "2026-01-10");
    struct kz_err err;
    char *before = json_dumps(c, JSON_SORT_KEYS), *after;
    int i;

    (void)state;
    for (i = 0; bad[i] != NULL; i++) {
        kz_err_clear(&err);
        if (kz_couple_set(c, bad[i], "x", &err) != KZ_EUSAGE)
            fail_msg("field '%s' accepted", bad[i]);
        assert_int_equal(err.code, KZ_EUSAGE);
        assert_true(err.msg[0] != '\0');
    }
    after = json_dumps(c, JSON_SORT_KEYS);
    assert_string_equal(before, after); /* nothing changed */
    free(before);
    free(after);
    json_decref(c);
}

static void
test_couple_children(void **state)
{
    json_t *c = kz_couple_new("C014", "2026-01-10"), *ch, *k;
    struct kz_err err;

    (void)state;
    assert_int_equal(kz_couple_set(c, "children", "Mia:2019:de ja; Ken:2021; Yuki", &err), KZ_OK);
    ch = json_object_get(c, "children");
    assert_int_equal(json_array_size(ch), 3);
    k = json_array_get(ch, 0);
    assert_string_equal(json_string_value(json_object_get(k, "name")), "Mia");
    assert_int_equal(json_integer_value(json_object_get(k, "birth_year")), 2019);
    assert_int_equal(json_array_size(json_object_get(k, "languages")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(k, "languages"), 1)),
                        "ja");
    k = json_array_get(ch, 1);
    assert_string_equal(json_string_value(json_object_get(k, "name")), "Ken");
    assert_int_equal(json_integer_value(json_object_get(k, "birth_year")), 2021);
    assert_int_equal(json_array_size(json_object_get(k, "languages")), 0);
    k = json_array_get(ch, 2);
    assert_string_equal(json_string_value(json_object_get(k, "name")), "Yuki");
    assert_null(json_object_get(k, "birth_year"));
    /* A year that is not a year is refused; the children stay as they were. */
    assert_int_equal(kz_couple_set(c, "children", "Mia:19x", &err), KZ_EUSAGE);
    assert_int_equal(kz_couple_set(c, "children", "Mia:1850", &err), KZ_EUSAGE);
    assert_int_equal(json_array_size(json_object_get(c, "children")), 3);
    json_decref(c);
}

static void
test_couple_intake_date(void **state)
{
    json_t *c = kz_couple_new("C014", "2026-01-10");
    struct kz_err err;
    char today[11];

    (void)state;
    assert_int_equal(kz_couple_set(c, "intake", "2024-02-29", &err), KZ_OK);
    assert_string_equal(json_string_value(json_object_get(c, "intake")), "2024-02-29");
    assert_int_equal(kz_couple_set(c, "intake", "2026-02-30", &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "intake"));
    assert_int_equal(kz_couple_set(c, "intake", "soon", &err), KZ_EUSAGE);
    assert_int_equal(kz_couple_set(c, "intake", "31.02.2026", &err), KZ_EUSAGE);
    assert_non_null(strstr(err.msg, "February 2026 has 28 days"));
    assert_string_equal(json_string_value(json_object_get(c, "intake")), "2024-02-29");
    /* "today" is stored as the date it means. */
    assert_int_equal(kz_couple_set(c, "intake", "today", &err), KZ_OK);
    kz_date_format(kz_date_today(), today);
    assert_string_equal(json_string_value(json_object_get(c, "intake")), today);
    /* The day-first form is stored as ISO. */
    assert_int_equal(kz_couple_set(c, "intake", "5.1.2026", &err), KZ_OK);
    assert_string_equal(json_string_value(json_object_get(c, "intake")), "2026-01-05");
    json_decref(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparkline_maps_scores_to_bars),
        cmocka_unit_test(test_sparkline_rises_with_the_score),
        cmocka_unit_test(test_sparkline_never_overflows_or_cuts_a_bar),
        cmocka_unit_test(test_date_parse_calendar),
        cmocka_unit_test(test_date_parse_rejects_malformed),
        cmocka_unit_test(test_date_today_yesterday_and_format),
        cmocka_unit_test(test_date_read_forms),
        cmocka_unit_test(test_date_read_says_why),
        cmocka_unit_test(test_date_styles_and_today_override),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_head_round_trip),
        cmocka_unit_test(test_head_decode_rejects_malformed),
        cmocka_unit_test(test_head_peek),
        cmocka_unit_test(test_head_has_tag),
        cmocka_unit_test(test_theme_check),
        cmocka_unit_test(test_find_folded_utf8),
        cmocka_unit_test(test_find_folded_accents),
        cmocka_unit_test(test_find_folded_ascii),
        cmocka_unit_test(test_find_folded_no_match_across_partial_utf8),
        cmocka_unit_test(test_find_folded_long_needle),
        cmocka_unit_test(test_find_folded_against_a_plain_search),
        cmocka_unit_test(test_snippet_marks_match_and_keeps_utf8),
        cmocka_unit_test(test_couple_languages),
        cmocka_unit_test(test_couple_unknown_fields),
        cmocka_unit_test(test_couple_children),
        cmocka_unit_test(test_couple_intake_date),
    };

    /* Case folding beyond ASCII needs a UTF-8 locale, as kizuna's main sets one. */
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "C.utf8");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
