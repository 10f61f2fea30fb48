/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's picture (src/cmd/report_svg.c, issue #15): text escaped for
 * XML whatever the names hold, every coordinate inside the viewBox, an empty
 * series and a single session drawn without dividing by zero, and nothing in
 * the file that reaches outside it. */
#include "testutil.h"

#include "kizuna/buf.h"
#include "kizuna/model.h"
#include "../../src/cmd/report.h"

static const struct kz_measure ors = {"ORS", "Outcome Rating Scale", 0, 40, 25, 5, 1,
                                      KZ_MEASURE_OUTCOME, 1, 4, {"a", "b", "c", "d"}};

static char *
escaped(const char *s, size_t max)
{
    struct kz_buf b = {NULL, 0, 0};
    char *out;

    kz_report_xml_text(&b, s, max);
    out = strdup(kz_buf_str(&b));
    kz_buf_free(&b);
    return out;
}

static void
test_escape(void **state)
{
    char *s;

    (void)state;
    s = escaped("<b>&\"'x", 0);
    assert_string_equal(s, "&lt;b&gt;&amp;&quot;&apos;x");
    free(s);
    /* Non-ASCII kept as it is (UTF-8). */
    s = escaped("J\xc3\xbcrgen \xe5\xb1\xb1\xe7\x94\xb0 \xf0\x9f\x92\x9e", 0);
    assert_string_equal(s, "J\xc3\xbcrgen \xe5\xb1\xb1\xe7\x94\xb0 \xf0\x9f\x92\x9e");
    free(s);
    /* Bytes that are not UTF-8 (a lone continuation, a cut sequence, an
     * overlong '<', a surrogate) and controls become U+FFFD, one each. */
    s = escaped("a\x80" "b\xe5\xb1" "c\xc0\xbc" "d\xed\xa0\x80" "e\x01\x1b" "f", 0);
    assert_null(strchr(s, '<'));
    assert_null(strchr(s, '\x1b'));
    assert_non_null(strstr(s, "a\xef\xbf\xbd" "b"));
    assert_non_null(strstr(s, "e\xef\xbf\xbd\xef\xbf\xbd" "f"));
    free(s);
    /* Cut after max characters (not bytes), never inside one. */
    s = escaped("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f", 2);
    assert_string_equal(s, "\xc3\xa4\xc3\xb6\xe2\x80\xa6");
    free(s);
    s = escaped("<<", 1);
    assert_string_equal(s, "&lt;\xe2\x80\xa6");
    free(s);
    s = escaped("ab", 2);
    assert_string_equal(s, "ab");
    free(s);
}

/* Every number of attr="..." (x, y, cx, points, d ...) within 0..limit. */
static void
check_attr(const char *svg, const char *attr, double limit)
{
    char key[16];
    const char *p = svg;
    size_t seen = 0;

    snprintf(key, sizeof(key), " %s=\"", attr);
    while ((p = strstr(p, key)) != NULL) {
        p += strlen(key);
        while (*p != '"' && *p != '\0') {
            char *end;
            double v;
            if (strchr("MVHL, ", *p) != NULL) {
                p++;
                continue;
            }
            v = strtod(p, &end);
            assert_true(end != p);
            if (v < 0 || v > limit)
                fail_msg("%s=%g outside 0..%g", attr, v, limit);
            p = end;
            seen++;
        }
    }
    (void)seen;
}

static void
check_inside(const char *svg)
{
    static const char *const xs[] = {"x", "cx", "x1", "x2", "width", NULL};
    static const char *const ys[] = {"y", "cy", "y1", "y2", "height", NULL};
    size_t i;

    for (i = 0; xs[i] != NULL; i++)
        check_attr(svg, xs[i], KZ_REPORT_W);
    for (i = 0; ys[i] != NULL; i++)
        check_attr(svg, ys[i], KZ_REPORT_H);
    check_attr(svg, "points", KZ_REPORT_W);
    check_attr(svg, "d", KZ_REPORT_W);
    /* Nothing that could fetch or run anything. */
    assert_null(strstr(svg, "<script"));
    assert_null(strstr(svg, "url("));
    assert_null(strstr(svg, "href"));
    assert_null(strstr(svg, "https:"));
    assert_non_null(strstr(svg, "viewBox=\"0 0 800 560\""));
    /* The one URL is the SVG namespace. */
    {
        const char *h = strstr(svg, "http:");
        assert_non_null(h);
        assert_int_equal(strncmp(h, "http://www.w3.org/2000/svg\"", 27), 0);
        assert_null(strstr(h + 1, "http:"));
    }
}

static char *
render(const struct kz_report *r, int html)
{
    struct kz_buf b = {NULL, 0, 0};
    char *out;

    if (html)
        kz_report_html(r, &b);
    else
        kz_report_svg(r, &b);
    out = strdup(kz_buf_str(&b));
    kz_buf_free(&b);
    return out;
}

static void
test_coordinates_inside(void **state)
{
    /* Out-of-range totals (an imported vault may hold anything) are clamped. */
    struct kz_score_point p1[] = {{1, 20260105, 12, 1}, {2, 20260112, 19.5, 2},
                                  {4, 20260401, 41, 4}, {5, 20260408, -3, 5}};
    struct kz_score_point p2[] = {{1, 20260105, 30, 6}, {3, 20260119, 22, 7}};
    struct kz_report_session ss[] = {{20260105, 0}, {20260112, 1}, {20260119, 2},
                                     {20260401, 0}, {20260408, 0}};
    struct kz_series s = {ors, {p1, p2}, {4, 2}};
    struct kz_report r = {"C014", {"<Ann & \"Bo\">", "Y\xc5\xabki"}, &s, ss, 5, 20260410, 0};
    char *svg = render(&r, 0), *html = render(&r, 1);

    (void)state;
    check_inside(svg);
    check_inside(html);
    assert_int_equal(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44), 0);
    assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
    assert_non_null(strstr(svg, "&lt;Ann &amp; &quot;Bo&quot;&gt;"));
    assert_null(strstr(svg, "<Ann"));
    assert_non_null(strstr(svg, "Y\xc5\xabki alone"));
    assert_non_null(strstr(svg, "cut-off 25"));
    assert_non_null(strstr(svg, "2026-01-05"));
    assert_non_null(strstr(svg, "week 1<"));
    /* 2026-01-19 to 2026-04-01: 72 days, a gap of 10 weeks. */
    assert_non_null(strstr(svg, "10 weeks"));
    assert_non_null(strstr(svg, "1 gap longer than a month"));
    /* Both series: a line each, partner 2's dashed; circles and squares. */
    assert_non_null(strstr(svg, "<polyline fill=\"none\" stroke=\"#1b6ca8\" stroke-width=\"2\" points"));
    assert_non_null(strstr(svg, "stroke=\"#c2410c\" stroke-width=\"2\" stroke-dasharray=\"7 4\" points"));
    /* The html page holds the same picture. */
    assert_non_null(strstr(html, strstr(svg, "<svg ")));
    free(svg);
    free(html);
}

static void
test_empty_and_single(void **state)
{
    struct kz_series s = {ors, {NULL, NULL}, {0, 0}};
    struct kz_report_session one = {20260105, 1};
    struct kz_report r = {"C1", {"Partner 1", "Partner 2"}, &s, NULL, 0, 20260301, 1};
    struct kz_score_point p = {1, 20260105, 20, 1};
    char *svg;

    (void)state;
    svg = render(&r, 0);
    check_inside(svg);
    assert_non_null(strstr(svg, "No scores yet"));
    assert_null(strstr(svg, "<polyline"));
    assert_non_null(strstr(svg, "0 sessions<"));
    free(svg);
    /* No measure at all (r.s NULL): still a picture. */
    r.s = NULL;
    svg = render(&r, 0);
    check_inside(svg);
    assert_non_null(strstr(svg, "No scores yet"));
    free(svg);
    /* One session, one score: the time axis has no length. */
    s.p[0] = &p;
    s.n[0] = 1;
    r.s = &s;
    r.sess = &one;
    r.nsess = 1;
    svg = render(&r, 0);
    check_inside(svg);
    assert_non_null(strstr(svg, "cx=\"460.0\""));
    assert_non_null(strstr(svg, "05.01.2026"));
    assert_non_null(strstr(svg, "1 session<"));
    free(svg);
}

static void
test_many_sessions(void **state)
{
    struct kz_score_point *p = calloc(1000, sizeof(*p));
    struct kz_report_session *ss = calloc(1000, sizeof(*ss));
    struct kz_series s = {ors, {p, p}, {1000, 1000}};
    struct kz_report r = {"C9", {"Partner 1", "Partner 2"}, &s, ss, 1000, 20300101, 0};
    size_t i;
    char *svg;

    (void)state;
    for (i = 0; i < 1000; i++) {
        /* Days 1 to 28 of each month from January 2020, in order. */
        p[i].date = ss[i].date = (uint32_t)((2020 + i / 336) * 10000 + (i / 28 % 12 + 1) * 100 +
                                            i % 28 + 1);
        p[i].total = (double)(i % 41);
        ss[i].who = (int)(i % 3);
    }
    svg = render(&r, 0);
    check_inside(svg);
    free(svg);
    free(p);
    free(ss);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_coordinates_inside),
        cmocka_unit_test(test_empty_and_single),
        cmocka_unit_test(test_many_sessions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
