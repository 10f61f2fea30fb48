/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A chart of two series over sessions for the terminal (ui.h, kz_ui_chart):
 * braille lines with a marker at each point, the cut-off as a row, the
 * reliable-change bands shaded, the axes and a legend. Pure: it composes text
 * into a buffer and touches no terminal. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "kizuna/buf.h"
#include "kizuna/ui.h"
#include "kizuna/xalloc.h"
#include "uiint.h"

#define CHART_MAX_WIDTH 1000
#define CHART_MAX_HEIGHT 200
#define LABEL_MAX 24  /* bytes of a y label */
#define NAME_COLS 20  /* a name in the legend is cut to this many columns */

/* Colours (SGR): series 1, series 2, both in one cell, the cut-off, the band. */
static const char *const sgr[] = {"", "\033[36m", "\033[33m", "\033[35m", "\033[31m",
                                  "\033[2m"};
enum { C_NONE, C_S1, C_S2, C_BOTH, C_CUT, C_BAND };

struct cell {
    unsigned char dots[2]; /* braille bits of each series' line */
    unsigned char mark;    /* bit 0: a point of series 1, bit 1: of series 2 */
    unsigned char band;    /* bit 0: inside series 1's band, bit 1: series 2's */
};

struct plot {
    const struct kz_chart *c;
    int w, h;       /* the plot in cells */
    int labw;       /* columns of the y labels */
    int cut_row;    /* the cut-off's row, or -1 */
    struct cell *cells;
    char (*ylab)[LABEL_MAX];
};

/* ---- text ---- */

/* Display columns of s as add_text shows it. */
static int
text_cols(const char *s)
{
    return kz_ui_label_width(s);
}

/* Appends s with every control (C0, DEL, C1) and bad byte as '?', cut to at
 * most max columns (an ellipsis ends a cut text; never half a character) and
 * padded with blanks to pad columns. Returns the columns written. */
static int
add_text(struct kz_buf *b, const char *s, int max, int pad, int ascii)
{
    return kz_ui_label_add(b, s, max, pad, ascii ? "..." : "…", ascii ? 3 : 1);
}

static void
add_blanks(struct kz_buf *b, int n)
{
    for (; n > 0; n--)
        kz_buf_add(b, " ");
}

/* ---- geometry ---- */

/* The dot row (0 at the top, 4h - 1 at the bottom) of value y, clamped. */
static int
dot_row(const struct plot *pl, double y)
{
    const struct kz_chart *c = pl->c;
    double f = (c->ymax - y) / (c->ymax - c->ymin);

    if (!(f > 0))
        f = 0;
    if (f > 1)
        f = 1;
    return (int)(f * (4 * pl->h - 1) + 0.5);
}

/* The cell column of x position x: spread over the width when there are no
 * more positions than columns, else several positions to a column. */
static int
col_of(const struct plot *pl, size_t x)
{
    size_t nx = pl->c->nx, w = (size_t)pl->w;

    if (x >= nx)
        x = nx > 0 ? nx - 1 : 0;
    if (nx <= 1)
        return 0;
    if (nx <= w)
        return (int)((x * (w - 1) + (nx - 1) / 2) / (nx - 1));
    return (int)(x * w / nx);
}

static struct cell *
cell_at(struct plot *pl, int row, int col)
{
    return &pl->cells[(size_t)row * (size_t)pl->w + (size_t)col];
}

/* Sets the braille dot (dx, dy) in dot coordinates for series k. */
static void
set_dot(struct plot *pl, int k, int dx, int dy)
{
    static const unsigned char bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20},
                                            {0x40, 0x80}};

    if (dx < 0 || dy < 0 || dx >= 2 * pl->w || dy >= 4 * pl->h)
        return;
    cell_at(pl, dy / 4, dx / 2)->dots[k] |= bit[dy % 4][dx % 2];
}

/* A straight line of dots for series k (Bresenham). */
static void
line(struct plot *pl, int k, int x0, int y0, int x1, int y1)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;

    for (;;) {
        int e2 = 2 * e;
        set_dot(pl, k, x0, y0);
        if (x0 == x1 && y0 == y1)
            break;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

/* Series k: its points grouped by column (the mean of a column's values), a
 * marker in each such cell, a line of dots from one to the next, and its band
 * shaded from its first column on. */
static void
draw_series(struct plot *pl, int k)
{
    const struct kz_chart_series *s = &pl->c->s[k];
    int prev_col = -1, prev_row = 0, first_col;
    size_t i = 0;

    if (s->n == 0)
        return;
    first_col = col_of(pl, s->p[0].x);
    while (i < s->n) {
        int col = col_of(pl, s->p[i].x), row;
        double sum = 0;
        size_t m = 0;
        for (; i < s->n && col_of(pl, s->p[i].x) == col; i++, m++)
            sum += s->p[i].y;
        row = dot_row(pl, sum / (double)m);
        cell_at(pl, row / 4, col)->mark |= (unsigned char)(1 << k);
        if (prev_col >= 0)
            line(pl, k, 2 * prev_col + 1, prev_row, 2 * col, row);
        prev_col = col;
        prev_row = row;
    }
    if (s->band_lo <= s->band_hi && s->band_hi >= pl->c->ymin && s->band_lo <= pl->c->ymax) {
        int r0 = dot_row(pl, s->band_hi) / 4, r1 = dot_row(pl, s->band_lo) / 4, r, col;
        for (r = r0; r <= r1; r++)
            for (col = first_col; col < pl->w; col++)
                cell_at(pl, r, col)->band |= (unsigned char)(1 << k);
    }
}

/* ---- y labels ---- */

static void
set_label(struct plot *pl, int row, double v, int near)
{
    int r;

    for (r = row - near; r <= row + near; r++)
        if (r >= 0 && r < pl->h && pl->ylab[r][0] != '\0')
            return;
    snprintf(pl->ylab[row], LABEL_MAX, "%g", v);
}

/* Labels: the cut-off's row first, then the top and bottom, then round values
 * (a step of 1, 2 or 5 times a power of ten, about every other row) on rows
 * that have no labelled neighbour. */
static void
y_labels(struct plot *pl)
{
    const struct kz_chart *c = pl->c;
    double span = c->ymax - c->ymin, step = 1e-6, v;
    long long j;
    int r, i = 0;

    if (pl->cut_row >= 0)
        set_label(pl, pl->cut_row, c->cutoff, 0);
    set_label(pl, 0, c->ymax, 0);
    set_label(pl, pl->h - 1, c->ymin, 0);
    while (span / step > pl->h / 2.0 && step < 1e12)
        step *= (i++ % 3 == 1) ? 2.5 : 2; /* 1, 2, 5, 10, 20, 50, ... */
    for (j = (long long)(c->ymin / step); (v = (double)j * step) <= c->ymax; j++) {
        if (v >= c->ymin)
            set_label(pl, dot_row(pl, v) / 4, v, 1);
    }
    pl->labw = 1;
    for (r = 0; r < pl->h; r++) {
        int n = (int)strlen(pl->ylab[r]);
        if (n > pl->labw)
            pl->labw = n;
    }
}

/* ---- drawing ---- */

static void
set_color(struct kz_buf *b, const struct kz_chart *c, int *cur, int want)
{
    if (!c->color || *cur == want)
        return;
    kz_buf_add(b, "\033[0m");
    kz_buf_add(b, sgr[want]);
    *cur = want;
}

static void
add_braille(struct kz_buf *b, unsigned int bits)
{
    char u[4];

    u[0] = (char)0xe2;
    u[1] = (char)(0xa0 | (bits >> 6));
    u[2] = (char)(0x80 | (bits & 0x3f));
    u[3] = '\0';
    kz_buf_add(b, u);
}

/* One cell: a marker over a line over the cut-off over a band over nothing. */
static void
put_cell(struct kz_buf *b, const struct plot *pl, const struct cell *x, int row, int *cur)
{
    const struct kz_chart *c = pl->c;
    static const char *const mark_u[] = {"", "●", "○", "◆"}, *const mark_a[] = {"", "*", "o", "#"};
    unsigned int dots = x->dots[0] | x->dots[1];

    if (x->mark != 0) {
        set_color(b, c, cur, x->mark & 3);
        kz_buf_add(b, c->ascii ? mark_a[x->mark & 3] : mark_u[x->mark & 3]);
    } else if (dots != 0) {
        set_color(b, c, cur, x->dots[0] && x->dots[1] ? C_BOTH : x->dots[0] ? C_S1 : C_S2);
        if (c->ascii)
            kz_buf_add(b, ".");
        else
            add_braille(b, dots);
    } else if (row == pl->cut_row) {
        set_color(b, c, cur, C_CUT);
        kz_buf_add(b, c->ascii ? "-" : "┄");
    } else if (x->band != 0) {
        set_color(b, c, cur, C_BAND);
        kz_buf_add(b, c->ascii ? ":" : "░");
    } else {
        set_color(b, c, cur, C_NONE);
        kz_buf_add(b, " ");
    }
}

/* The columns from which "cut-off N" fits at the end of the cut-off row
 * without covering a point or a line, or -1. */
static int
cut_label_at(const struct plot *pl, const char *label)
{
    int n = (int)strlen(label) + 1, col;

    if (pl->cut_row < 0 || n + 4 > pl->w)
        return -1;
    for (col = pl->w - n; col < pl->w; col++) {
        const struct cell *x = &pl->cells[(size_t)pl->cut_row * (size_t)pl->w + (size_t)col];
        if (x->mark != 0 || x->dots[0] != 0 || x->dots[1] != 0)
            return -1;
    }
    return pl->w - n;
}

static void
draw_rows(struct kz_buf *b, const struct plot *pl)
{
    const struct kz_chart *c = pl->c;
    char label[48];
    int row, col, cur = C_NONE, from, last;

    snprintf(label, sizeof(label), "cut-off %g", c->cutoff);
    from = cut_label_at(pl, label);
    for (row = 0; row < pl->h; row++) {
        int labelled = pl->ylab[row][0] != '\0';
        add_blanks(b, pl->labw - (int)strlen(pl->ylab[row]));
        kz_buf_add(b, pl->ylab[row]);
        kz_buf_add(b, c->ascii ? (labelled ? " +" : " |") : (labelled ? " ┤" : " │"));
        for (last = pl->w; last > 0 && row != pl->cut_row; last--) {
            const struct cell *x = &pl->cells[(size_t)row * (size_t)pl->w + (size_t)last - 1];
            if (x->mark != 0 || x->dots[0] != 0 || x->dots[1] != 0 || x->band != 0)
                break; /* a line ends at its last drawn cell: no trailing blanks */
        }
        for (col = 0; col < last; col++) {
            if (row == pl->cut_row && from >= 0 && col == from) {
                set_color(b, c, &cur, C_CUT);
                kz_buf_add(b, " ");
                kz_buf_add(b, label);
                break;
            }
            put_cell(b, pl, &pl->cells[(size_t)row * (size_t)pl->w + (size_t)col], row, &cur);
        }
        set_color(b, c, &cur, C_NONE); /* each line ends plain */
        kz_buf_add(b, "\n");
    }
}

/* The label of x position i ("1", "2", ... without labels). */
static const char *
x_label(const struct kz_chart *c, size_t i, char *buf, size_t size)
{
    if (c->xlabels != NULL && c->xlabels[i] != NULL)
        return c->xlabels[i];
    snprintf(buf, size, "%zu", i + 1);
    return buf;
}

/* The next labelled position after i: the first, then every k-th (k, 2k, ...
 * counting from 1). */
static size_t
x_next(size_t i, size_t k)
{
    return (i == 0 && k > 1) ? k - 1 : i + k;
}

/* Where the label of position i starts (kept inside the plot), its width in *w. */
static int
x_label_start(const struct plot *pl, size_t i, const char *t, int *w)
{
    int col = col_of(pl, i);

    *w = text_cols(t);
    if (*w > pl->w)
        *w = pl->w;
    return col + *w > pl->w ? pl->w - *w : col;
}

/* Whether the labels of every k-th position (and the first) fit with a blank
 * between each two. */
static int
x_labels_fit(const struct plot *pl, size_t k)
{
    char num[24];
    int end = -1, start, w;
    size_t i;

    for (i = 0; i < pl->c->nx; i = x_next(i, k)) {
        start = x_label_start(pl, i, x_label(pl->c, i, num, sizeof(num)), &w);
        if (start <= end)
            return 0;
        end = start + w;
    }
    return 1;
}

/* The axis line with a tick under each labelled column, then the labels, the
 * fewest thinned out that fit (k = 1, 2, 5, 10, 20, 50, ...). */
static void
draw_x_axis(struct kz_buf *b, const struct plot *pl)
{
    const struct kz_chart *c = pl->c;
    static const size_t mult[] = {2, 5, 10};
    unsigned char *tick = kz_xmalloc((size_t)pl->w);
    size_t i, j = 0, k = 1, base = 1;
    int col, end = 0, start, w;
    char num[24];

    while (k <= c->nx && !x_labels_fit(pl, k)) {
        k = base * mult[j];
        if (++j == 3) {
            j = 0;
            base *= 10;
        }
    }
    memset(tick, 0, (size_t)pl->w);
    for (i = 0; i < c->nx; i = x_next(i, k))
        tick[col_of(pl, i)] = 1;
    add_blanks(b, pl->labw + 1);
    kz_buf_add(b, c->ascii ? "+" : "└");
    for (col = 0; col < pl->w; col++)
        kz_buf_add(b, tick[col] ? (c->ascii ? "+" : "┬") : (c->ascii ? "-" : "─"));
    kz_buf_add(b, "\n");
    free(tick);
    if (c->nx == 0)
        return;
    add_blanks(b, pl->labw + 2);
    for (i = 0; i < c->nx; i = x_next(i, k)) {
        const char *t = x_label(c, i, num, sizeof(num));
        start = x_label_start(pl, i, t, &w);
        if (start < end + (i > 0 ? 1 : 0))
            continue; /* only when nothing fits: the first label alone */
        add_blanks(b, start - end);
        end = start + add_text(b, t, pl->w - start, 0, c->ascii);
    }
    kz_buf_add(b, "\n");
}

/* ---- legend ---- */

/* "Aiko   18 → 27  +9, reliably better" for series k, after its marker. */
static void
legend_series(struct kz_buf *b, const struct kz_chart *c, int k, int namew)
{
    const struct kz_chart_series *s = &c->s[k];
    static const char *const mark_u[] = {"●", "○"}, *const mark_a[] = {"*", "o"};
    struct kz_buf t = {NULL, 0, 0};
    double first, last, d;

    kz_buf_add(b, "  ");
    if (c->color)
        kz_buf_add(b, sgr[k + 1]);
    kz_buf_add(b, c->ascii ? mark_a[k] : mark_u[k]);
    if (c->color)
        kz_buf_add(b, "\033[0m");
    kz_buf_add(b, " ");
    add_text(&t, s->name != NULL ? s->name : "", namew, namew, c->ascii);
    kz_buf_add(&t, "  ");
    if (s->n == 0) {
        kz_buf_add(&t, "no scores");
    } else if (s->n == 1) {
        kz_buf_printf(&t, "%g (one score)", s->p[0].y);
    } else {
        first = s->p[0].y;
        last = s->p[s->n - 1].y;
        d = last - first;
        kz_buf_printf(&t, "%g %s %g  %s%g", first, c->ascii ? "->" : "→", last,
                      d > 0 ? "+" : d < 0 ? "-" : "", d < 0 ? -d : d);
        if (c->rci > 0 && (d >= c->rci - 1e-9 || -d >= c->rci - 1e-9))
            kz_buf_add(&t, (d > 0) == (c->higher_is_better != 0) ? " reliably better"
                                                                   : " reliably worse");
        else
            kz_buf_add(&t, " no reliable change");
    }
    add_text(b, kz_buf_str(&t), c->width - 4, 0, c->ascii);
    kz_buf_add(b, "\n");
    kz_buf_free(&t);
}

/* A line of the key, cut to the width. */
static void
key_line(struct kz_buf *b, const struct kz_chart *c, const char *text)
{
    kz_buf_add(b, "  ");
    add_text(b, text, c->width - 2, 0, c->ascii);
    kz_buf_add(b, "\n");
}

/* The key to the cut-off and the bands, when drawn: on one line when it fits,
 * else on two. */
static void
legend_key(struct kz_buf *b, const struct plot *pl, int banded)
{
    const struct kz_chart *c = pl->c;
    char cut[64], band[96], both[170];

    snprintf(cut, sizeof(cut), "%s cut-off %g", c->ascii ? "-" : "┄", c->cutoff);
    snprintf(band, sizeof(band), "%s first score ± %g (no reliable change)",
             c->ascii ? ":" : "░", c->rci);
    if (c->ascii)
        snprintf(band, sizeof(band), ": first score +/- %g (no reliable change)", c->rci);
    snprintf(both, sizeof(both), "%s   %s", cut, band);
    if (pl->cut_row >= 0 && banded && text_cols(both) + 2 <= c->width) {
        key_line(b, c, both);
        return;
    }
    if (pl->cut_row >= 0)
        key_line(b, c, cut);
    if (banded)
        key_line(b, c, band);
}

static void
draw_legend(struct kz_buf *b, const struct plot *pl)
{
    const struct kz_chart *c = pl->c;
    int k, namew = 1, banded = 0;

    for (k = 0; k < 2; k++) {
        int w = text_cols(c->s[k].name != NULL ? c->s[k].name : "");
        if (w > namew)
            namew = w;
        if (c->s[k].n > 0 && c->s[k].band_lo <= c->s[k].band_hi)
            banded = 1;
    }
    if (namew > NAME_COLS)
        namew = NAME_COLS;
    for (k = 0; k < 2; k++)
        legend_series(b, c, k, namew);
    legend_key(b, pl, banded);
}

void
kz_ui_chart(const struct kz_chart *chart, struct kz_buf *out)
{
    struct kz_chart c = *chart;
    struct plot pl;

    if (c.width < 20)
        c.width = 20;
    if (c.width > CHART_MAX_WIDTH)
        c.width = CHART_MAX_WIDTH;
    if (c.height < 3)
        c.height = 3;
    if (c.height > CHART_MAX_HEIGHT)
        c.height = CHART_MAX_HEIGHT;
    if (!(c.ymax > c.ymin))
        c.ymax = c.ymin + 1;
    memset(&pl, 0, sizeof(pl));
    pl.c = &c;
    pl.h = c.height;
    pl.cut_row = -1;
    if (c.has_cutoff && c.cutoff >= c.ymin && c.cutoff <= c.ymax)
        pl.cut_row = dot_row(&pl, c.cutoff) / 4;
    pl.ylab = kz_xcalloc((size_t)pl.h, sizeof(*pl.ylab));
    y_labels(&pl);
    pl.w = c.width - pl.labw - 2;
    pl.cells = kz_xcalloc((size_t)pl.w * (size_t)pl.h, sizeof(*pl.cells));
    draw_series(&pl, 0);
    draw_series(&pl, 1);
    if (c.title != NULL) {
        add_text(out, c.title, c.width, 0, c.ascii);
        kz_buf_add(out, "\n\n");
    }
    draw_rows(out, &pl);
    draw_x_axis(out, &pl);
    if (c.xcaption != NULL && *c.xcaption != '\0') {
        add_blanks(out, pl.labw + 2);
        add_text(out, c.xcaption, pl.w, 0, c.ascii);
        kz_buf_add(out, "\n");
    }
    draw_legend(out, &pl);
    /* where the points lay tells the scores: wiped like the text */
    sodium_memzero(pl.cells, (size_t)pl.w * (size_t)pl.h * sizeof(*pl.cells));
    free(pl.cells);
    free(pl.ylab);
}
