/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's picture as SVG text: both partners' totals on one measure
 * across the sessions (the cut-off a labelled line, the reliable-change band
 * around each partner's first score shaded) over a strip of the sessions by
 * date (both partners or one alone; gaps longer than a month shaded and
 * named). Two series differ by colour AND by line pattern and marker shape, so
 * a black-and-white print still tells them apart. Pure: text into a kz_buf. */
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/model.h"
#include "kizuna/xalloc.h"
#include "report.h"

/* The plot area, in user units of the 0 0 KZ_REPORT_W KZ_REPORT_H viewBox. */
#define PL 150.0 /* left: room for the row labels of the strip */
#define PR 770.0
#define PT 70.0
#define PB 290.0
#define PAD 10.0 /* first and last session stand off the axes */
#define ROW0 348.0 /* strip rows: both, partner 1 alone, partner 2 alone */
#define ROWH 20.0
#define GAP_DAYS 31 /* a gap "longer than a month" */

static const char *const colour[2] = {"#1b6ca8", "#c2410c"};
static const char *const dash[2] = {"", " stroke-dasharray=\"7 4\""};

void
kz_report_xml_text(struct kz_buf *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;

    while (*p != '\0') {
        unsigned long c = *p;
        size_t len, i;
        if (max > 0 && chars == max) {
            kz_buf_add(b, "\xe2\x80\xa6");
            return;
        }
        chars++;
        if (c >= 0x80) {
            unsigned long min;
            len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
            min = len == 4 ? 0x10000 : len == 3 ? 0x800 : 0x80;
            c &= len == 4 ? 0x07 : len == 3 ? 0x0f : 0x1f;
            for (i = 1; i < len && (p[i] & 0xc0) == 0x80; i++)
                c = (c << 6) | (p[i] & 0x3f);
            if (len == 0 || i < len || c < min || c > 0x10ffff ||
                (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff) {
                kz_buf_add(b, "\xef\xbf\xbd"); /* U+FFFD for the bad byte */
                p++;
                continue;
            }
            kz_buf_addn(b, (const char *)p, len);
            p += len;
            continue;
        }
        if (c == '&')
            kz_buf_add(b, "&amp;");
        else if (c == '<')
            kz_buf_add(b, "&lt;");
        else if (c == '>')
            kz_buf_add(b, "&gt;");
        else if (c == '"')
            kz_buf_add(b, "&quot;");
        else if (c == '\'')
            kz_buf_add(b, "&apos;");
        else if (c < 0x20 || c == 0x7f)
            kz_buf_add(b, "\xef\xbf\xbd");
        else
            kz_buf_addn(b, (const char *)p, 1);
        p++;
    }
}

/* The time axis: from the first to the last date of a session or a score. */
struct axis {
    uint32_t t0;
    long span; /* days */
    double lo, hi; /* the measure's range */
};

static double
xpos(const struct axis *a, uint32_t date)
{
    long d = kz_date_diff(a->t0, date);

    if (a->span <= 0)
        return (PL + PR) / 2;
    if (d < 0)
        d = 0;
    if (d > a->span)
        d = a->span;
    return PL + PAD + (PR - PL - 2 * PAD) * (double)d / (double)a->span;
}

static double
ypos(const struct axis *a, double v)
{
    if (a->hi <= a->lo)
        return (PT + PB) / 2;
    if (v < a->lo)
        v = a->lo;
    if (v > a->hi)
        v = a->hi;
    return PB - (PB - PT) * (v - a->lo) / (a->hi - a->lo);
}

/* A number as a label: at most one decimal, none when whole ("25", "13.5"). */
static void
num(struct kz_buf *b, double v)
{
    long tenths = (long)(v * 10 + (v < 0 ? -0.5 : 0.5));

    if (tenths % 10 == 0)
        kz_buf_printf(b, "%ld", tenths / 10);
    else
        kz_buf_printf(b, "%s%ld.%ld", tenths < 0 ? "-" : "", labs(tenths) / 10,
                      labs(tenths) % 10);
}

static int
by_date(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;

    return a < c ? -1 : a > c;
}

/* Every date on the time axis (sessions and scores), sorted, each once. */
static uint32_t *
all_dates(const struct kz_report *r, size_t *n)
{
    size_t total = r->nsess, i, k = 0, p;
    uint32_t *d;

    for (p = 0; p < 2; p++)
        total += r->s != NULL ? r->s->n[p] : 0;
    d = kz_xcalloc(total > 0 ? total : 1, sizeof(*d));
    for (i = 0; i < r->nsess; i++)
        d[k++] = r->sess[i].date;
    for (p = 0; p < 2 && r->s != NULL; p++)
        for (i = 0; i < r->s->n[p]; i++)
            d[k++] = r->s->p[p][i].date;
    qsort(d, k, sizeof(*d), by_date);
    for (i = 0, p = 0; i < k; i++)
        if (p == 0 || d[p - 1] != d[i])
            d[p++] = d[i];
    *n = p;
    return d;
}

static void
marker(struct kz_buf *b, int p, double x, double y, const char *fill)
{
    if (p == 0)
        kz_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x, y,
                      fill != NULL ? fill : colour[0]);
    else
        kz_buf_printf(b,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"#fff\" "
                      "stroke=\"%s\" stroke-width=\"2\"/>\n",
                      x - 4, y - 4, colour[1]);
}

/* Axes, the value grid and labels, and the date/week labels under the plot. */
static void
axes(struct kz_buf *b, const struct axis *a, const uint32_t *dates, size_t nd, int style)
{
    size_t i, last = (size_t)-1;
    double lastx = -1000;
    char shown[11];

    for (i = 0; i <= 4; i++) {
        double v = a->lo + (a->hi - a->lo) * (double)i / 4, y = ypos(a, v);
        kz_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                      PL, y, PR, y);
        kz_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", PL - 8, y + 4);
        num(b, v);
        kz_buf_add(b, "</text>\n");
    }
    kz_buf_printf(b, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#000\"/>\n", PL,
                  PT, PB, PR);
    /* Six dates at most, the first and the last among them. */
    for (i = 0; i < nd && i < 6; i++) {
        size_t j = nd <= 6 ? i : i * (nd - 1) / 5;
        double x;
        if (j == last)
            continue;
        last = j;
        x = xpos(a, dates[j]);
        if (x - lastx < 72) /* labels a date wide apart */
            continue;
        lastx = x;
        kz_date_format_style(dates[j], style, shown);
        kz_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">"
                      "week %ld</text>\n",
                      x, PB, x, PB + 4, x, PB + 18, shown, x, PB + 32,
                      kz_date_diff(dates[0], dates[j]) / 7 + 1);
    }
}

/* The band around partner p's first score within which a change is not
 * reliable, and the cut-off line. */
static void
bands(struct kz_buf *b, const struct axis *a, const struct kz_series *s)
{
    const struct kz_measure *m = &s->m;
    int p;

    for (p = 0; p < 2; p++) {
        double first, y0, y1;
        if (s->n[p] == 0)
            continue;
        first = s->p[p][0].total;
        y0 = ypos(a, first + m->rci);
        y1 = ypos(a, first - m->rci);
        kz_buf_printf(b,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                      "fill-opacity=\"0.12\"/>\n",
                      PL, y0, PR - PL, y1 - y0, colour[p]);
        kz_buf_printf(b,
                      "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fH%.1f\" stroke=\"%s\" "
                      "stroke-width=\"0.75\" fill=\"none\"%s/>\n",
                      PL, y0, PR, PL, y1, PR, colour[p], dash[p]);
    }
    if (m->cutoff >= m->min && m->cutoff <= m->max) {
        double y = ypos(a, m->cutoff);
        kz_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" "
                      "stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">cut-off ",
                      PL, y, PR, y, PR - 2, y - 4);
        num(b, m->cutoff);
        kz_buf_add(b, "</text>\n");
    }
}

static void
series(struct kz_buf *b, const struct axis *a, const struct kz_series *s)
{
    size_t i;
    int p;

    for (p = 0; p < 2; p++) {
        if (s->n[p] >= 2) {
            kz_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                          colour[p], dash[p]);
            for (i = 0; i < s->n[p]; i++)
                kz_buf_printf(b, "%s%.1f,%.1f", i > 0 ? " " : "", xpos(a, s->p[p][i].date),
                              ypos(a, s->p[p][i].total));
            kz_buf_add(b, "\"/>\n");
        }
        for (i = 0; i < s->n[p]; i++)
            marker(b, p, xpos(a, s->p[p][i].date), ypos(a, s->p[p][i].total), NULL);
    }
}

/* The strip: a row per who came, a mark per session, gaps longer than a
 * month shaded and their length written under them. */
static void
strip(struct kz_buf *b, const struct axis *a, const struct kz_report *r)
{
    static const char *const row[3] = {"Both partners", NULL, NULL};
    size_t i, gaps = 0;
    long longest = 0;
    int k;

    for (i = 1; i < r->nsess; i++) {
        long d = kz_date_diff(r->sess[i - 1].date, r->sess[i].date);
        double x0 = xpos(a, r->sess[i - 1].date), x1 = xpos(a, r->sess[i].date);
        if (d <= GAP_DAYS)
            continue;
        gaps++;
        longest = d > longest ? d : longest;
        kz_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                         "fill=\"#e5e5e5\"/>\n", x0, ROW0 - 10, x1 - x0, 3 * ROWH);
        if (x1 - x0 >= 40)
            kz_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                             "font-size=\"10\">%ld weeks</text>\n",
                          (x0 + x1) / 2, ROW0 + 3 * ROWH + 4, d / 7);
    }
    for (k = 0; k < 3; k++) {
        double y = ROW0 + k * ROWH;
        kz_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\"/>\n"
                         "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">",
                      PL, y, PR, y, PL - 8, y + 4);
        if (row[k] != NULL)
            kz_buf_add(b, row[k]);
        else {
            kz_report_xml_text(b, r->label[k - 1], 14);
            kz_buf_add(b, " alone");
        }
        kz_buf_add(b, "</text>\n");
    }
    for (i = 0; i < r->nsess; i++) {
        int who = r->sess[i].who >= 1 && r->sess[i].who <= 2 ? r->sess[i].who : 0;
        double x = xpos(a, r->sess[i].date), y = ROW0 + who * ROWH;
        if (who == 0)
            kz_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"12\" "
                             "fill=\"#333\"/>\n", x - 1.5, y - 6);
        else
            marker(b, who - 1, x, y, NULL);
    }
    kz_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%zu session%s", PL,
                  ROW0 + 3 * ROWH + 24, r->nsess, r->nsess == 1 ? "" : "s");
    if (gaps > 0)
        kz_buf_printf(b, "; %zu gap%s longer than a month (shaded; the longest %ld weeks)", gaps,
                      gaps == 1 ? "" : "s", longest / 7);
    kz_buf_add(b, "</text>\n");
}

/* Which line is whose, the shading and the cut-off, in words. */
static void
legend(struct kz_buf *b, const struct kz_report *r)
{
    const struct kz_measure *m = &r->s->m;
    const double y = 470;
    int p;

    for (p = 0; p < 2; p++) {
        double x = PL + p * 230.0;
        kz_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                         "stroke-width=\"2\"%s/>\n", x, y, x + 28, y, colour[p], dash[p]);
        marker(b, p, x + 14, y, NULL);
        kz_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 36, y + 4);
        kz_report_xml_text(b, r->label[p], 24);
        kz_buf_add(b, "</text>\n");
    }
    kz_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"28\" height=\"12\" fill=\"#888\" "
                     "fill-opacity=\"0.25\"/>\n<text x=\"%.1f\" y=\"%.1f\">within ",
                  PL, y + 16, PL + 36, y + 26);
    num(b, m->rci);
    kz_buf_add(b, " of a partner's first score: no reliable change (");
    kz_buf_add(b, m->higher_is_better ? "higher" : "lower");
    kz_buf_add(b, " is better)</text>\n");
}

/* The title, the chart and the strip: the <svg> element itself. */
static void
picture(struct kz_buf *b, const struct kz_report *r)
{
    static const struct kz_series none;
    const struct kz_series *s = r->s != NULL ? r->s : &none;
    struct kz_report rr = *r;
    struct axis a;
    size_t nd;
    uint32_t *dates;
    char made[11];

    rr.s = s;
    dates = all_dates(&rr, &nd);
    a.t0 = nd > 0 ? dates[0] : r->made;
    a.span = nd > 0 ? kz_date_diff(dates[0], dates[nd - 1]) : 0;
    a.lo = s->m.min;
    a.hi = s->m.max;
    kz_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                  KZ_REPORT_W, KZ_REPORT_H, KZ_REPORT_W, KZ_REPORT_H);
    kz_buf_add(b, "<title>");
    kz_report_xml_text(b, r->code, 0);
    kz_buf_add(b, ": scores and sessions</title>\n");
    kz_buf_printf(b, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", KZ_REPORT_W,
                  KZ_REPORT_H);
    kz_buf_add(b, "<text x=\"20\" y=\"30\" font-size=\"18\" font-weight=\"bold\">Couple ");
    kz_report_xml_text(b, r->code, 0);
    kz_buf_add(b, ": ");
    kz_report_xml_text(b, s->m.name[0] != '\0' ? s->m.name : "no measure", 0);
    if (s->m.title[0] != '\0') {
        kz_buf_add(b, " (");
        kz_report_xml_text(b, s->m.title, 0);
        kz_buf_add(b, ")");
    }
    kz_date_format_style(r->made, r->date_style, made);
    kz_buf_printf(b, "</text>\n<text x=\"20\" y=\"50\" font-size=\"11\" fill=\"#444\">Made %s. "
                     "Totals per partner and session; a prompt to talk it over, never a "
                     "diagnosis.</text>\n", made);
    axes(b, &a, dates, nd, r->date_style);
    bands(b, &a, s);
    series(b, &a, s);
    if (s->n[0] + s->n[1] == 0) {
        kz_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\">"
                         "No scores yet</text>\n", (PL + PR) / 2, (PT + PB) / 2);
    }
    strip(b, &a, &rr);
    legend(b, &rr);
    kz_buf_add(b, "</svg>\n");
    free(dates);
}

void
kz_report_svg(const struct kz_report *r, struct kz_buf *b)
{
    kz_buf_add(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    picture(b, r);
}

void
kz_report_html(const struct kz_report *r, struct kz_buf *b)
{
    kz_buf_add(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                  "<title>Couple ");
    kz_report_xml_text(b, r->code, 0);
    kz_buf_add(b, ": scores and sessions</title>\n<style>body{font-family:sans-serif;"
                  "margin:1em}svg{max-width:100%;height:auto}"
                  "@media print{body{margin:0}}</style>\n</head>\n<body>\n");
    picture(b, r);
    kz_buf_add(b, "</body>\n</html>\n");
}
