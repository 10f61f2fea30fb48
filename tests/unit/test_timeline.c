/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The timeline's layout (src/ui/timeline.c, timeline_draw.c): the axis fitted
 * to 40, 80 and 120 columns, month boundaries, gaps, the marks for joint,
 * individual, void and unsigned sessions, the theme band's order, and 1,000
 * sessions on one screen. */
#include "testutil.h"

#include "kizuna/buf.h"
#include "kizuna/ui.h"

/* ---- helpers ---- */

static struct kz_tl_session
sess(uint32_t num, uint32_t date, int who, int state, const char *tags)
{
    struct kz_tl_session s;

    s.num = num;
    s.date = date;
    s.who = who;
    s.state = state;
    s.tags = tags;
    return s;
}

/* Lines in text, and the widest in display columns (ASCII rendering: bytes;
 * UTF-8: code points not continuation bytes, every glyph here one column). */
static int
count_lines(const char *text, int *widest)
{
    int lines = 0, w = 0;
    const unsigned char *u;

    *widest = 0;
    for (u = (const unsigned char *)text; *u != '\0'; u++) {
        if (*u == '\n') {
            lines++;
            w = 0;
            continue;
        }
        if ((*u & 0xc0) != 0x80 && ++w > *widest)
            *widest = w;
    }
    return lines;
}

/* The line of text starting with prefix (its copy in buf), or NULL. */
static const char *
line_of(const char *text, const char *prefix, char *buf, size_t size)
{
    const char *p = text;
    size_t n = strlen(prefix), len;

    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n');
        len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (len >= n && strncmp(p, prefix, n) == 0) {
            snprintf(buf, size, "%.*s", (int)len, p);
            return buf;
        }
        p = nl != NULL ? nl + 1 : NULL;
    }
    return NULL;
}

static void
render(const struct kz_tl *t, int width, int ascii, struct kz_buf *b)
{
    kz_buf_clear(b);
    kz_tl_render(t, width, 24, ascii, 0, b);
}

/* A small couple: joint sessions weekly in January and February 2026, a gap
 * of six weeks, then March to May; partner 1 alone once, partner 2 once, one
 * void, two unsigned; themes; a goal; ORS totals for each partner. */
static struct kz_tl_session small_s[32];
static size_t small_n;
static const struct kz_tl_point goal_p[] = {{20260107, 3}, {20260204, 5}, {20260506, 8}};
static const struct kz_tl_point ors1_p[] = {{20260107, 18}, {20260204, 21.5}, {20260506, 27}};
static const struct kz_tl_point ors2_p[] = {{20260107, 22}, {20260506, 24}};
static struct kz_tl_line small_goals[1], small_scores[2];

static void
small(struct kz_tl *t)
{
    static const uint32_t dates[] = {20260107, 20260114, 20260121, 20260128, 20260204,
                                     20260211, 20260302, 20260413, 20260420, 20260427,
                                     20260506, 20260513};
    size_t i;

    small_n = 0;
    for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
        small_s[small_n++] = sess((uint32_t)i + 1, dates[i], KZ_TL_JOINT, KZ_TL_SIGNED,
                                  i % 3 == 0 ? "conflict,communication" : "communication");
    small_s[2].tags = "conflict,in-laws";
    small_s[10].state = KZ_TL_UNSIGNED;
    small_s[11].state = KZ_TL_UNSIGNED;
    small_s[5].state = KZ_TL_VOID; /* 2026-02-11 */
    small_s[5].tags = "void-only";
    /* Individual sessions, inserted in date order. */
    small_s[small_n++] = sess(20, 20260520, KZ_TL_P1, KZ_TL_SIGNED, "trust");
    small_s[small_n++] = sess(21, 20260527, KZ_TL_P2, KZ_TL_SIGNED, "");
    small_goals[0] = (struct kz_tl_line){"g1 Fewer fights at dinner", "active", goal_p, 3, 0, 10};
    small_scores[0] = (struct kz_tl_line){"ORS P1", NULL, ors1_p, 3, 0, 40};
    small_scores[1] = (struct kz_tl_line){"ORS P2", NULL, ors2_p, 2, 0, 40};
    memset(t, 0, sizeof(*t));
    t->code = "C7";
    t->today = 20260601;
    t->s = small_s;
    t->ns = small_n;
    t->goals = small_goals;
    t->ngoals = 1;
    t->scores = small_scores;
    t->nscores = 2;
}

/* The marks of a row (its label first): the characters after the label, blanks left out. */
static void
row_marks(const char *text, const char *label, char *out, size_t size)
{
    char line[512];
    const char *l = line_of(text, label, line, sizeof(line));
    size_t n = 0;

    assert_non_null(l);
    for (l += strlen(label); *l != '\0' && n + 1 < size; l++) {
        if (*l != ' ')
            out[n++] = *l;
    }
    out[n] = '\0';
}

/* ---- the axis ---- */

static void
test_axis_fit(void **state)
{
    struct kz_tl_axis ax;

    (void)state;
    /* Five months at 40, 80 and 120 columns (the axis gets what labels and
     * summaries leave: about 22, 54 and 94). */
    kz_tl_axis_fit(20260107, 20260527, 22, &ax);
    assert_int_equal(ax.cpm, 4);
    assert_int_equal(ax.ncols, 20);
    kz_tl_axis_fit(20260107, 20260527, 54, &ax);
    assert_int_equal(ax.cpm, 8);
    assert_int_equal(ax.ncols, 40);
    kz_tl_axis_fit(20260107, 20260527, 94, &ax);
    assert_int_equal(ax.cpm, 16);
    assert_int_equal(ax.ncols, 80);
    /* Two days: a column a day. */
    kz_tl_axis_fit(20260301, 20260302, 54, &ax);
    assert_int_equal(ax.cpm, 31);
    assert_int_equal(kz_tl_col(&ax, 20260302), 1);
    /* Twenty years: six months a column at 54, a year at 22, two months at 120. */
    kz_tl_axis_fit(20060110, 20251220, 54, &ax);
    assert_int_equal(ax.cpm, 0);
    assert_int_equal(ax.mpc, 6);
    assert_int_equal(ax.ncols, 40);
    kz_tl_axis_fit(20060110, 20251220, 22, &ax);
    assert_int_equal(ax.mpc, 12);
    assert_int_equal(ax.ncols, 20);
    kz_tl_axis_fit(20060110, 20251220, 120, &ax);
    assert_int_equal(ax.mpc, 2);
    assert_int_equal(ax.ncols, 120);
    /* Columns of several months start with a year's (or half-year's) start. */
    kz_tl_axis_fit(20050810, 20251220, 22, &ax);
    assert_int_equal(ax.mpc, 12);
    assert_int_equal(ax.start_month, 2005L * 12);
    assert_int_equal(ax.ncols, 21);
}

static void
test_month_boundaries(void **state)
{
    struct kz_tl_axis ax;

    (void)state;
    kz_tl_axis_fit(20260107, 20260527, 22, &ax); /* 4 columns a month */
    assert_int_equal(kz_tl_col(&ax, 20260101), 0);
    assert_int_equal(kz_tl_col(&ax, 20260108), 0);
    assert_int_equal(kz_tl_col(&ax, 20260109), 1);
    assert_int_equal(kz_tl_col(&ax, 20260131), 3);
    assert_int_equal(kz_tl_col(&ax, 20260201), 4); /* a month starts a column */
    assert_int_equal(kz_tl_col(&ax, 20260228), 7);
    assert_int_equal(kz_tl_col(&ax, 20260301), 8);
    assert_int_equal(kz_tl_col(&ax, 20260531), 19);
    kz_tl_axis_fit(20260107, 20260527, 5, &ax); /* one column a month */
    assert_int_equal(ax.cpm, 1);
    assert_int_equal(kz_tl_col(&ax, 20260131), 0);
    assert_int_equal(kz_tl_col(&ax, 20260201), 1);
    kz_tl_axis_fit(20060110, 20251220, 54, &ax); /* six months a column */
    assert_int_equal(kz_tl_col(&ax, 20060630), 0);
    assert_int_equal(kz_tl_col(&ax, 20060701), 1);
    assert_int_equal(kz_tl_col(&ax, 20251231), 39);
    /* Across a year's end, and a leap day. */
    kz_tl_axis_fit(20231215, 20240315, 30, &ax);
    assert_int_equal(ax.cpm, 6);
    assert_int_equal(kz_tl_col(&ax, 20231231), 5);
    assert_int_equal(kz_tl_col(&ax, 20240101), 6);
    assert_int_equal(kz_tl_col(&ax, 20240229), 17);
    assert_int_equal(kz_tl_days(20240228, 20240301), 2);
    assert_int_equal(kz_tl_days(20231231, 20240101), 1);
}

/* ---- gaps ---- */

static void
test_gaps(void **state)
{
    struct kz_tl_session s[6];
    struct kz_tl_gap g[4];
    char text[32];

    (void)state;
    s[0] = sess(1, 20260302, KZ_TL_JOINT, KZ_TL_SIGNED, "");
    s[1] = sess(2, 20260320, KZ_TL_JOINT, KZ_TL_VOID, ""); /* void: no session */
    s[2] = sess(3, 20260413, KZ_TL_P1, KZ_TL_UNSIGNED, "");
    s[3] = sess(4, 20260514, KZ_TL_JOINT, KZ_TL_SIGNED, ""); /* 31 days: no gap */
    s[4] = sess(5, 20260615, KZ_TL_JOINT, KZ_TL_SIGNED, ""); /* 32 days: a gap */
    s[5] = sess(6, 20261201, KZ_TL_P2, KZ_TL_SIGNED, "");
    assert_int_equal(kz_tl_gaps(s, 6, g, 4), 3);
    /* Longest first. */
    assert_int_equal(g[0].from, 20260615);
    assert_int_equal(g[0].to, 20261201);
    assert_int_equal(g[0].days, 169);
    assert_int_equal(g[1].from, 20260302);
    assert_int_equal(g[1].to, 20260413);
    assert_int_equal(g[1].days, 42);
    assert_int_equal(g[2].from, 20260514);
    assert_int_equal(g[2].days, 32);
    /* max only limits what is copied. */
    assert_int_equal(kz_tl_gaps(s, 6, g, 1), 3);
    assert_int_equal(kz_tl_gaps(s, 6, NULL, 0), 3);
    assert_int_equal(kz_tl_gaps(s, 1, g, 4), 0);
    kz_tl_span_text(42, text, sizeof(text));
    assert_string_equal(text, "6 weeks");
    kz_tl_span_text(32, text, sizeof(text));
    assert_string_equal(text, "5 weeks");
    kz_tl_span_text(7, text, sizeof(text));
    assert_string_equal(text, "1 week");
    kz_tl_span_text(169, text, sizeof(text));
    assert_string_equal(text, "6 months");
    kz_tl_span_text(800, text, sizeof(text));
    assert_string_equal(text, "2 years");
}

static void
test_gap_named(void **state)
{
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};
    char line[256];

    (void)state;
    small(&t);
    render(&t, 80, 0, &b);
    assert_non_null(line_of(kz_buf_str(&b), "gap: ", line, sizeof(line)));
    assert_string_equal(line, "gap: 6 weeks, 2026-03-02 \xe2\x86\x92 2026-04-13");
    /* The date style the command gives. */
    t.today = 20260801;
    render(&t, 80, 1, &b);
    assert_non_null(line_of(kz_buf_str(&b), "no session since", line, sizeof(line)));
    assert_string_equal(line, "no session since 2026-05-27 (9 weeks)");
    kz_buf_free(&b);
}

/* ---- marks ---- */

static void
test_marks(void **state)
{
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};
    char marks[256];
    const unsigned char *u;

    (void)state;
    small(&t);
    render(&t, 80, 1, &b);
    /* s1-s5 signed, s6 void, s7-s10 signed, s11 and s12 unsigned; then the count
     * of sessions held (void left out). */
    row_marks(kz_buf_str(&b), "joint", marks, sizeof(marks));
    assert_string_equal(marks, "*****x****oo11");
    row_marks(kz_buf_str(&b), "partner 1", marks, sizeof(marks));
    assert_string_equal(marks, "11");
    row_marks(kz_buf_str(&b), "partner 2", marks, sizeof(marks));
    assert_string_equal(marks, "21");
    for (u = (const unsigned char *)kz_buf_str(&b); *u != '\0'; u++)
        assert_true(*u < 0x80); /* ASCII only */
    assert_null(strchr(kz_buf_str(&b), '\033')); /* no colour */
    render(&t, 80, 0, &b);
    row_marks(kz_buf_str(&b), "joint", marks, sizeof(marks));
    assert_string_equal(marks, "\xe2\x97\x8f\xe2\x97\x8f\xe2\x97\x8f\xe2\x97\x8f\xe2\x97\x8f"
                               "\xc3\x97"
                               "\xe2\x97\x8f\xe2\x97\x8f\xe2\x97\x8f\xe2\x97\x8f"
                               "\xe2\x97\x8b\xe2\x97\x8b"
                               "11");
    row_marks(kz_buf_str(&b), "partner 1", marks, sizeof(marks));
    assert_string_equal(marks, "\xe2\x97\x90" "1"); /* ◐ */
    row_marks(kz_buf_str(&b), "partner 2", marks, sizeof(marks));
    assert_string_equal(marks, "\xe2\x97\x91" "1"); /* ◑ */
    /* Colour only when asked. */
    kz_buf_clear(&b);
    kz_tl_render(&t, 80, 24, 0, 1, &b);
    assert_non_null(strstr(kz_buf_str(&b), "\033[33m\xe2\x97\x8b\033[0m")); /* unsigned */
    kz_buf_free(&b);
}

/* In one column: unsigned shows over signed, signed over void; no partner
 * row without a partner's session. */
static void
test_marks_merge(void **state)
{
    struct kz_tl_session s[5];
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};
    char marks[64], line[256];

    (void)state;
    s[0] = sess(1, 20260105, KZ_TL_JOINT, KZ_TL_SIGNED, "");
    s[1] = sess(2, 20260105, KZ_TL_JOINT, KZ_TL_UNSIGNED, "");
    s[2] = sess(3, 20260305, KZ_TL_JOINT, KZ_TL_VOID, "");
    s[3] = sess(4, 20260305, KZ_TL_JOINT, KZ_TL_SIGNED, "");
    s[4] = sess(5, 20260520, KZ_TL_JOINT, KZ_TL_VOID, "");
    memset(&t, 0, sizeof(t));
    t.code = "M";
    t.s = s;
    t.ns = 5;
    render(&t, 40, 1, &b);
    row_marks(kz_buf_str(&b), "joint", marks, sizeof(marks));
    assert_string_equal(marks, "o*x3");
    assert_null(line_of(kz_buf_str(&b), "partner", line, sizeof(line)));
    assert_non_null(line_of(kz_buf_str(&b), "M: 3 sessions", line, sizeof(line)));
    kz_buf_free(&b);
}

/* ---- themes ---- */

static void
test_themes(void **state)
{
    struct kz_tl t;
    struct kz_tl_theme th[8];
    struct kz_buf b = {NULL, 0, 0};
    const char *text, *a, *c, *i, *tr;
    char marks[128];

    (void)state;
    small(&t);
    /* communication 10 (s6 is void), conflict 5, then in-laws and trust (1
     * each) by name; the void session's own theme is no theme. */
    assert_int_equal(kz_tl_themes(t.s, t.ns, th, 8), 4);
    assert_string_equal(th[0].name, "communication");
    assert_int_equal(th[0].count, 10);
    assert_int_equal(th[0].first, 20260107);
    assert_int_equal(th[0].last, 20260513);
    assert_string_equal(th[1].name, "conflict");
    assert_int_equal(th[1].count, 5);
    assert_string_equal(th[2].name, "in-laws");
    assert_string_equal(th[3].name, "trust");
    assert_int_equal(kz_tl_themes(t.s, t.ns, NULL, 0), 4);
    /* The band in that order, each mark where the theme occurs. */
    render(&t, 80, 1, &b);
    text = kz_buf_str(&b);
    a = strstr(text, "\ncommunication ");
    c = strstr(text, "\nconflict ");
    i = strstr(text, "\nin-laws ");
    tr = strstr(text, "\ntrust ");
    assert_true(a != NULL && c != NULL && i != NULL && tr != NULL);
    assert_true(a < c && c < i && i < tr);
    assert_null(strstr(text, "void-only"));
    row_marks(text, "conflict", marks, sizeof(marks));
    assert_string_equal(marks, "#####5");
    row_marks(text, "in-laws", marks, sizeof(marks));
    assert_string_equal(marks, "#1");
    /* Whole tags only. */
    assert_true(kz_tl_has_tag("conflict,in-laws", "in-laws"));
    assert_false(kz_tl_has_tag("conflict,in-laws", "laws"));
    assert_false(kz_tl_has_tag("conflicts", "conflict"));
    assert_false(kz_tl_has_tag("a", ""));
    kz_buf_free(&b);
}

/* ---- goals and scores ---- */

static void
test_values(void **state)
{
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};
    char marks[128];

    (void)state;
    small(&t);
    render(&t, 80, 1, &b);
    /* 3, 5, 8 of 0-10 on 8 levels: '-' '=' '*' ... 3/10*7=2.1 -> 3rd, 5 -> 4.5 -> 5th (+),
     * 8 -> 5.6 -> 7th (#). */
    row_marks(kz_buf_str(&b), "g1 Fewer", marks, sizeof(marks));
    assert_non_null(strstr(marks, "-+#3->8active"));
    row_marks(kz_buf_str(&b), "ORS P1", marks, sizeof(marks));
    assert_string_equal(marks, "=+*18->27");
    row_marks(kz_buf_str(&b), "ORS P2", marks, sizeof(marks));
    assert_string_equal(marks, "++22->24");
    kz_buf_free(&b);
}

/* ---- widths and the screen ---- */

static void
test_widths(void **state)
{
    static const int widths[] = {40, 60, 80, 120};
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};
    int w, lines, ascii;
    size_t i;

    (void)state;
    small(&t);
    for (ascii = 0; ascii < 2; ascii++) {
        for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
            render(&t, widths[i], ascii, &b);
            lines = count_lines(kz_buf_str(&b), &w);
            assert_true(w <= widths[i]);
            assert_true(lines <= 24);
            assert_int_equal(lines, 18);
        }
    }
    /* Below 40 the screen is drawn at 40. */
    render(&t, 10, 1, &b);
    count_lines(kz_buf_str(&b), &w);
    assert_true(w <= 40 && w > 30);
    kz_buf_free(&b);
}

/* 1,000 sessions over 19 years, 30 themes, 5 goals, 4 score lines, many
 * gaps: one screen at every width, the left out rows counted. */
static void
test_thousand(void **state)
{
    static char tags[30][16];
    struct kz_tl_session *s = calloc(1000, sizeof(*s));
    struct kz_tl_point *p = calloc(1000, sizeof(*p));
    struct kz_tl_line goals[5], scores[4];
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};
    char line[256];
    int w, width;
    size_t i;
    long day = 0;

    (void)state;
    assert_non_null(s);
    assert_non_null(p);
    for (i = 0; i < 30; i++)
        snprintf(tags[i], sizeof(tags[i]), "theme-%02zu", i);
    for (i = 0; i < 1000; i++) {
        uint32_t y, m, d;
        day += i % 50 == 49 ? 60 : 7; /* a gap of two months every 50 sessions */
        y = 2007 + (uint32_t)(day / 365);
        m = 1 + (uint32_t)(day % 365) / 31;
        d = 1 + (uint32_t)(day % 365) % 31 % 28;
        s[i] = sess((uint32_t)i + 1, y * 10000 + m * 100 + d,
                    i % 10 == 3 ? KZ_TL_P1 : i % 10 == 7 ? KZ_TL_P2 : KZ_TL_JOINT,
                    i % 97 == 0 ? KZ_TL_VOID : i > 990 ? KZ_TL_UNSIGNED : KZ_TL_SIGNED,
                    tags[(i * 7 + i / 100) % 30]);
        p[i].date = s[i].date;
        p[i].value = (double)(i % 41);
    }
    for (i = 0; i < 5; i++)
        goals[i] = (struct kz_tl_line){"g9 A goal", "active", p + i * 100, 100, 0, 10};
    for (i = 0; i < 4; i++)
        scores[i] = (struct kz_tl_line){"ORS P1", NULL, p, 1000, 0, 40};
    memset(&t, 0, sizeof(t));
    t.code = "BIG";
    t.today = 20300101;
    t.s = s;
    t.ns = 1000;
    t.goals = goals;
    t.ngoals = 5;
    t.scores = scores;
    t.nscores = 4;
    for (width = 40; width <= 120; width += 20) {
        render(&t, width, width % 40 == 0, &b);
        assert_true(count_lines(kz_buf_str(&b), &w) <= 24);
        assert_true(w <= width);
    }
    render(&t, 80, 1, &b);
    if (getenv("TL_SHOW"))
        fputs(kz_buf_str(&b), stderr);
    assert_non_null(line_of(kz_buf_str(&b), "BIG: 989 sessions", line, sizeof(line)));
    assert_non_null(line_of(kz_buf_str(&b), "themes (", line, sizeof(line)));
    assert_non_null(strstr(line, " of 30)"));
    assert_non_null(line_of(kz_buf_str(&b), "goals (", line, sizeof(line)));
    assert_non_null(line_of(kz_buf_str(&b), "and ", line, sizeof(line)));
    assert_non_null(strstr(line, "more gaps (--json lists them)"));
    assert_non_null(line_of(kz_buf_str(&b), "no session since", line, sizeof(line)));
    free(s);
    free(p);
    kz_buf_free(&b);
}

static void
test_empty(void **state)
{
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};

    (void)state;
    memset(&t, 0, sizeof(t));
    t.code = "E";
    render(&t, 80, 0, &b);
    assert_string_equal(kz_buf_str(&b), "E: no sessions\n");
    kz_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axis_fit),   cmocka_unit_test(test_month_boundaries),
        cmocka_unit_test(test_gaps),       cmocka_unit_test(test_gap_named),
        cmocka_unit_test(test_marks),      cmocka_unit_test(test_marks_merge),
        cmocka_unit_test(test_themes),     cmocka_unit_test(test_values),
        cmocka_unit_test(test_widths),     cmocka_unit_test(test_thousand),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
