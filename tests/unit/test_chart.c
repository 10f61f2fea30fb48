/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The terminal chart (src/ui/chart.c, kz_ui_chart) with hand-built series:
 * where each glyph lands, the cut-off row, the bands, the legend, widths,
 * UTF-8 and ASCII, colour and none, one point, no points, 1,000 points. */
#include <locale.h>
#include <time.h>
#include <wchar.h>

#include "testutil.h"

#include "kizuna/buf.h"
#include "kizuna/ui.h"

#define NMAX 1000

static struct kz_chart_point p1[NMAX], p2[NMAX];

/* A chart 0..40, cut-off 25, rci 5, series of n1 and n2 points over nx. */
static void
setup_chart(struct kz_chart *c, size_t n1, size_t n2, size_t nx, int width)
{
    size_t i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < NMAX; i++) {
        p1[i].x = i;
        p1[i].y = 10 + (double)(i % 7) * 3; /* 10 .. 28 */
        p2[i].x = i;
        p2[i].y = 30;
    }
    c->ymin = 0;
    c->ymax = 40;
    c->cutoff = 25;
    c->has_cutoff = 1;
    c->rci = 5;
    c->higher_is_better = 1;
    c->s[0].name = "Aiko";
    c->s[0].p = p1;
    c->s[0].n = n1;
    c->s[0].band_lo = n1 ? p1[0].y - 5 : 1;
    c->s[0].band_hi = n1 ? p1[0].y + 5 : 0;
    c->s[1].name = "Jonas";
    c->s[1].p = p2;
    c->s[1].n = n2;
    c->s[1].band_lo = 1;
    c->s[1].band_hi = 0;
    c->nx = nx;
    c->width = width;
    c->height = 10;
}

/* The chart as text (malloc'd). */
static char *
render(const struct kz_chart *c)
{
    struct kz_buf b = {NULL, 0, 0};
    char *s;

    kz_ui_chart(c, &b);
    s = strdup(kz_buf_str(&b));
    kz_buf_free(&b);
    return s;
}

/* Line n (0-based) of text into buf. */
static const char *
line_of(const char *text, int n, char *buf, size_t size)
{
    const char *e;

    for (; n > 0 && text != NULL; n--) {
        text = strchr(text, '\n');
        if (text != NULL)
            text++;
    }
    assert_non_null(text);
    e = strchr(text, '\n');
    assert_non_null(e);
    assert_true((size_t)(e - text) < size);
    memcpy(buf, text, (size_t)(e - text));
    buf[e - text] = '\0';
    return buf;
}

/* Display columns of one line (no escapes in it). */
static int
cols(const char *s)
{
    wchar_t w[2048];
    size_t n = mbstowcs(w, s, 2048);

    assert_true(n != (size_t)-1);
    return wcswidth(w, n);
}

/* Every line at most width columns, and the text has no escape. */
static void
assert_fits(const char *text, int width)
{
    char buf[8192];
    int i, n = 0;
    const char *p;

    for (p = text; *p; p++)
        n += *p == '\n';
    assert_null(strchr(text, '\033'));
    for (i = 0; i < n; i++)
        assert_true(cols(line_of(text, i, buf, sizeof(buf))) <= width);
}

static int
count_of(const char *text, const char *needle)
{
    int n = 0;
    const char *p = text;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

/* The glyph (UTF-8 bytes) at display column col of line. */
static void
glyph_at(const char *line, int col, char *out)
{
    mbstate_t st;
    wchar_t wc;
    int c = 0;

    memset(&st, 0, sizeof(st));
    while (*line) {
        size_t n = mbrtowc(&wc, line, 8, &st);
        assert_true(n > 0 && n < 8);
        if (c == col) {
            memcpy(out, line, n);
            out[n] = '\0';
            return;
        }
        c += wcwidth(wc);
        line += n;
    }
    out[0] = '\0';
}

static void
test_markers_cutoff_and_axis(void **state)
{
    struct kz_chart c;
    char *t, buf[4096], g[8];

    (void)state;
    setup_chart(&c, 3, 3, 3, 40);
    p1[0].y = 40; /* top row */
    p1[1].y = 0;  /* bottom row */
    p1[2].y = 20;
    t = render(&c);
    assert_fits(t, 40);
    /* gutter "40 ┤": the plot starts at column 4; 3 positions over 36 columns. */
    glyph_at(line_of(t, 0, buf, sizeof(buf)), 4, g);
    assert_string_equal(g, "●");
    assert_true(strncmp(line_of(t, 0, buf, sizeof(buf)), "40 ┤●", 8) == 0);
    glyph_at(line_of(t, 9, buf, sizeof(buf)), 4 + 18, g);
    assert_string_equal(g, "●"); /* the middle point, at the bottom, column 18 */
    glyph_at(line_of(t, 9, buf, sizeof(buf)), 0, g);
    assert_string_equal(g, " ");
    assert_true(strncmp(line_of(t, 9, buf, sizeof(buf)), " 0 ┤", 6) == 0);
    /* Jonas at 30 on row 2 ((40-30)/40*39 = 9.75 -> dot 10 -> row 2) */
    glyph_at(line_of(t, 2, buf, sizeof(buf)), 4, g);
    assert_string_equal(g, "○");
    glyph_at(line_of(t, 2, buf, sizeof(buf)), 4 + 35, g);
    assert_string_equal(g, "○");
    /* the cut-off: 25 -> dot 15 -> row 3, labelled "25" and "cut-off 25" at its end */
    line_of(t, 3, buf, sizeof(buf));
    assert_true(strncmp(buf, "25 ┤", 6) == 0);
    assert_non_null(strstr(buf, "┄┄┄"));
    assert_non_null(strstr(buf, " cut-off 25"));
    assert_int_equal(cols(buf), 40);
    /* a braille dot of the line between points somewhere */
    assert_true(count_of(t, "\xe2\xa0") + count_of(t, "\xe2\xa1") + count_of(t, "\xe2\xa2") +
                    count_of(t, "\xe2\xa3") > 0);
    /* x axis: ticks under the three points, labels 1 2 3 */
    line_of(t, 10, buf, sizeof(buf));
    assert_true(strncmp(buf, "   └┬", 5) == 0 || strncmp(buf, "   └", 3) == 0);
    assert_int_equal(count_of(buf, "┬"), 3);
    line_of(t, 11, buf, sizeof(buf));
    assert_string_equal(buf, "    1                 2                3");
    free(t);
}

static void
test_band_shaded_only_where_free(void **state)
{
    struct kz_chart c;
    char *t, buf[4096], g[8];

    (void)state;
    setup_chart(&c, 2, 0, 2, 60);
    p1[0].y = 10; /* band 5 .. 15: rows of dots 24..34 -> rows 6..8 */
    p1[1].y = 10;
    t = render(&c);
    assert_fits(t, 60);
    line_of(t, 7, buf, sizeof(buf));
    glyph_at(buf, 4, g);
    assert_string_equal(g, "●"); /* the point, not the band */
    glyph_at(buf, 10, g);
    assert_true(strcmp(g, "░") != 0); /* the line between the points passes here */
    line_of(t, 8, buf, sizeof(buf));
    glyph_at(buf, 10, g);
    assert_string_equal(g, "░");
    line_of(t, 1, buf, sizeof(buf));
    assert_null(strstr(buf, "░")); /* far outside the band */
    assert_non_null(strstr(t, "░ first score ± 5 (no reliable change)"));
    free(t);
}

static void
test_legend(void **state)
{
    struct kz_chart c;
    char *t;

    (void)state;
    setup_chart(&c, 3, 2, 3, 80);
    p1[0].y = 14;
    p1[2].y = 27;
    p2[0].y = 22;
    p2[1].y = 21.5;
    t = render(&c);
    assert_non_null(strstr(t, "  ● Aiko   14 → 27  +13 reliably better\n"));
    assert_non_null(strstr(t, "  ○ Jonas  22 → 21.5  -0.5 no reliable change\n"));
    assert_non_null(strstr(t, "  ┄ cut-off 25   ░ first score ± 5"));
    c.higher_is_better = 0;
    free(t);
    t = render(&c);
    assert_non_null(strstr(t, "+13 reliably worse"));
    free(t);
}

static void
test_widths(void **state)
{
    static const int w[] = {40, 80, 120, 200};
    struct kz_chart c;
    char *t, buf[8192];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        setup_chart(&c, 30, 30, 30, w[i]);
        t = render(&c);
        assert_fits(t, w[i]);
        /* the x axis takes the whole width */
        assert_int_equal(cols(line_of(t, 10, buf, sizeof(buf))), w[i]);
        /* labels thinned: the first and the last do not run together */
        line_of(t, 11, buf, sizeof(buf));
        assert_true(strncmp(buf, "    1 ", 6) == 0);
        {
            /* labels ascending, a blank between each two */
            long prev = 0, v;
            char *p = buf, *end;
            while (*p) {
                v = strtol(p, &end, 10);
                if (end == p) {
                    p++;
                    continue;
                }
                assert_true(v > prev);
                prev = v;
                p = end;
            }
            assert_true(prev >= 25);
        }
        free(t);
    }
    /* 40 columns: 30 sessions labelled every 5th */
    setup_chart(&c, 30, 30, 30, 40);
    t = render(&c);
    assert_string_equal(line_of(t, 11, buf, sizeof(buf)), "    1    5     10    15    20    25   30");
    free(t);
}

static void
test_ascii(void **state)
{
    struct kz_chart c;
    char *t;
    const unsigned char *u;

    (void)state;
    setup_chart(&c, 8, 8, 8, 60);
    c.ascii = 1;
    t = render(&c);
    for (u = (const unsigned char *)t; *u; u++)
        assert_true(*u < 0x80);
    assert_non_null(strstr(t, "  * Aiko "));
    assert_non_null(strstr(t, "  o Jonas "));
    assert_non_null(strstr(t, "25 +"));
    assert_non_null(strstr(t, "---"));
    assert_non_null(strstr(t, "   ++"));
    assert_non_null(strstr(t, "->"));
    free(t);
}

static void
test_colour(void **state)
{
    struct kz_chart c;
    char *t, *plain;

    (void)state;
    setup_chart(&c, 8, 8, 8, 80);
    plain = render(&c);
    assert_null(strchr(plain, '\033'));
    c.color = 1;
    t = render(&c);
    assert_non_null(strstr(t, "\033[36m●"));
    assert_non_null(strstr(t, "\033[33m○"));
    assert_non_null(strstr(t, "\033[31m┄"));
    /* no line ends inside a colour */
    assert_null(strstr(t, "\033[36m\n"));
    assert_null(strstr(t, "\033[2m\n"));
    {
        /* without the escapes the text is the plain chart */
        char *d = t, *s = t;
        while (*s) {
            if (*s == '\033') {
                while (*s && *s != 'm')
                    s++;
                s++;
                continue;
            }
            *d++ = *s++;
        }
        *d = '\0';
        assert_string_equal(t, plain);
    }
    free(t);
    free(plain);
}

static void
test_one_point_and_none(void **state)
{
    struct kz_chart c;
    char *t;

    (void)state;
    setup_chart(&c, 1, 0, 1, 80);
    t = render(&c);
    assert_fits(t, 80);
    assert_int_equal(count_of(t, "●"), 2); /* the point and the legend */
    assert_int_equal(count_of(t, "○"), 1); /* the legend only */
    assert_non_null(strstr(t, "● Aiko   10 (one score)\n"));
    assert_non_null(strstr(t, "○ Jonas  no scores\n"));
    free(t);
    setup_chart(&c, 0, 0, 0, 80);
    t = render(&c);
    assert_fits(t, 80);
    assert_non_null(strstr(t, "Aiko   no scores"));
    assert_null(strstr(t, "░ first score"));
    free(t);
}

static void
test_thousand_points(void **state)
{
    struct kz_chart c;
    char *t, buf[8192];
    int w;
    struct timespec a, b;

    (void)state;
    for (w = 40; w <= 200; w += 80) {
        setup_chart(&c, NMAX, NMAX, NMAX, w);
        clock_gettime(CLOCK_MONOTONIC, &a);
        t = render(&c);
        clock_gettime(CLOCK_MONOTONIC, &b);
        print_message("1,000 points at %d columns: %.3f ms\n", w,
                      (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
        assert_fits(t, w);
        /* one marker per column and series at most: both series fill every column */
        assert_true(count_of(t, "●") + count_of(t, "◆") <= w + 2);
        line_of(t, 11, buf, sizeof(buf));
        assert_true(strncmp(buf, "    1 ", 6) == 0);
        free(t);
    }
}

static void
test_names_cut_and_controls(void **state)
{
    struct kz_chart c;
    char *t;

    (void)state;
    setup_chart(&c, 2, 2, 2, 80);
    c.s[0].name = "Aiko-Marie Tanaka-Schmidt von Hohenberg";
    c.s[1].name = "J\033[31mnas";
    t = render(&c);
    assert_null(strchr(t, '\033'));
    assert_non_null(strstr(t, "J?[31mnas"));
    assert_non_null(strstr(t, "Aiko-Marie Tanaka-S…  "));
    free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markers_cutoff_and_axis),
        cmocka_unit_test(test_band_shaded_only_where_free),
        cmocka_unit_test(test_legend),
        cmocka_unit_test(test_widths),
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_colour),
        cmocka_unit_test(test_one_point_and_none),
        cmocka_unit_test(test_thousand_points),
        cmocka_unit_test(test_names_cut_and_controls),
    };

    setlocale(LC_CTYPE, "C.UTF-8");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
