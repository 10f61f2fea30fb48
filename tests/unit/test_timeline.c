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

static void
test_print(void **state)
{
    struct kz_tl t;
    struct kz_buf b = {NULL, 0, 0};

    (void)state;
    small(&t);
    render(&t, 80, 0, &b);
    fputs(kz_buf_str(&b), stdout);
    render(&t, 40, 1, &b);
    fputs(kz_buf_str(&b), stdout);
    {
        int w = 0, nl;
        char buf[256];
        nl = count_lines(kz_buf_str(&b), &w);
        printf("%d %d %s\n", nl, w, line_of(kz_buf_str(&b), "joint", buf, sizeof(buf)));
    }
    kz_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
