/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The timeline drawn (kz_tl_render): a title, the axis, a row of marks for
 * joint sessions and one for each partner's own, the themes band, goals and
 * scores as bars over the same columns, the gaps named, and a legend; rows
 * left out to fit the screen are counted in their section's heading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "kizuna/buf.h"
#include "kizuna/ui.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "uiint.h"

#define THEMES_MAX 24 /* theme rows considered */
#define GAPS_MAX 16

/* Glyphs: UTF-8 and ASCII. Session marks by rank: 1 void, 2 signed, 3 unsigned. */
struct glyphs {
    const char *mark[3][4]; /* [who][rank] */
    const char *shade[4], *bars[8], *arrow;
};
static const struct glyphs utf8_glyphs = {
    {{" ", "\xc3\x97", "\xe2\x97\x8f", "\xe2\x97\x8b"},  /* × ● ○ */
     {" ", "\xc3\x97", "\xe2\x97\x90", "\xe2\x97\x8b"},  /* × ◐ ○ */
     {" ", "\xc3\x97", "\xe2\x97\x91", "\xe2\x97\x8b"}}, /* × ◑ ○ */
    {"\xe2\x96\x91", "\xe2\x96\x92", "\xe2\x96\x93", "\xe2\x96\x88"}, /* ░ ▒ ▓ █ */
    {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85",
     "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"}, /* ▁ .. █ */
    "\xe2\x86\x92",                                   /* → */
};
static const struct glyphs ascii_glyphs = {
    {{" ", "x", "*", "o"}, {" ", "x", "1", "o"}, {" ", "x", "2", "o"}},
    {".", ":", "+", "#"},
    {"_", ".", "-", "=", "+", "*", "#", "@"},
    "->",
};

/* Colours by rank for each row of sessions, then themes and headings. */
#define C_RESET "\033[0m"
static const char *const rank_color[4] = {"", "\033[2m", "", "\033[33m"};
static const char *const who_color[3] = {"", "\033[36m", "\033[35m"};
#define C_THEME "\033[34m"
#define C_HEAD "\033[1m"

struct draw {
    const struct kz_tl *t;
    const struct glyphs *g;
    int color, width;
    int lw, rw, aw; /* label, axis and summary widths */
    struct kz_tl_axis ax;
    unsigned char *cells; /* aw of them, one row at a time */
    size_t *held, *hits;  /* per column: sessions held, of them with a theme */
    struct kz_buf *out;
};

/* ---- text cut to a width ---- */

/* Display width of s. */
static int
text_width(const char *s)
{
    return kz_ui_label_width(s);
}

/* s cut to max columns (ending "…" or "." when cut) and padded to pad;
 * controls drawn as '?', so that no label drives the terminal. */
static void
put_text(struct draw *d, const char *s, int max, int pad)
{
    int ascii = d->g == &ascii_glyphs;

    kz_ui_label_add(d->out, s, max, pad, ascii ? "." : "\xe2\x80\xa6", 1);
}

static void
colored(struct draw *d, const char *color, const char *s)
{
    if (d->color && *color)
        kz_buf_printf(d->out, "%s%s%s", color, s, C_RESET);
    else
        kz_buf_add(d->out, s);
}

/* ---- rows ---- */

/* label, the cells drawn by glyph(), the summary; then a newline. */
static void
put_row(struct draw *d, const char *label, const char *(*glyph)(struct draw *, int, int,
                                                               const char **),
        int arg, const char *summary)
{
    const char *color;
    int c, last = -1;

    put_text(d, label, d->lw, d->lw + 1);
    for (c = 0; c < d->aw; c++) {
        if (d->cells[c] != 0)
            last = c;
    }
    for (c = 0; c < d->aw; c++) {
        const char *s = glyph(d, arg, d->cells[c], &color);
        if (summary == NULL && c > last)
            break;
        colored(d, color, s);
    }
    if (summary != NULL) {
        kz_buf_add(d->out, " ");
        put_text(d, summary, d->rw, 0);
    }
    kz_buf_add(d->out, "\n");
}

static const char *
session_glyph(struct draw *d, int who, int rank, const char **color)
{
    *color = rank == 2 ? who_color[who] : rank_color[rank];
    return d->g->mark[who][rank];
}

static const char *
theme_glyph(struct draw *d, int arg, int v, const char **color)
{
    (void)arg;
    *color = C_THEME;
    return v ? d->g->shade[v - 1] : " ";
}

static const char *
bar_glyph(struct draw *d, int arg, int v, const char **color)
{
    (void)arg;
    *color = "";
    return v ? d->g->bars[v - 1] : " ";
}

static void
clear_cells(struct draw *d)
{
    memset(d->cells, 0, (size_t)d->aw);
}

static void
mark(struct draw *d, uint32_t date, unsigned char v, int keep_max)
{
    int c = kz_tl_col(&d->ax, date);

    if (date == 0 || c < 0 || c >= d->aw)
        return;
    if (!keep_max || v > d->cells[c])
        d->cells[c] = v;
}

static void
sessions_row(struct draw *d, int who, const char *label)
{
    static const unsigned char rank[3] = {2, 3, 1}; /* by KZ_TL_SIGNED, UNSIGNED, VOID */
    const struct kz_tl *t = d->t;
    char sum[24];
    size_t i, n = 0;

    clear_cells(d);
    for (i = 0; i < t->ns; i++) {
        if (t->s[i].who != who)
            continue;
        mark(d, t->s[i].date, rank[t->s[i].state], 1);
        n += t->s[i].state != KZ_TL_VOID;
    }
    snprintf(sum, sizeof(sum), "%zu", n);
    put_row(d, label, session_glyph, who, sum);
}

/* A theme's cells: how many of a column's sessions have it, in four shades
 * (a column of one session is either blank or full). */
static void
theme_row(struct draw *d, const struct kz_tl_theme *th)
{
    const struct kz_tl *t = d->t;
    char sum[24];
    size_t i;
    int c;

    memset(d->hits, 0, (size_t)d->aw * sizeof(*d->hits));
    for (i = 0; i < t->ns; i++) {
        c = kz_tl_col(&d->ax, t->s[i].date);
        if (t->s[i].state != KZ_TL_VOID && t->s[i].tags != NULL && c >= 0 && c < d->aw &&
            kz_tl_has_tag(t->s[i].tags, th->name))
            d->hits[c]++;
    }
    for (c = 0; c < d->aw; c++)
        d->cells[c] = d->hits[c] == 0 ? 0
                      : (unsigned char)((d->hits[c] * 4 + d->held[c] - 1) / d->held[c]);
    snprintf(sum, sizeof(sum), "%zu", th->count);
    put_row(d, th->name, theme_glyph, 0, sum);
}

/* Sessions held (not void) in each column: the themes' denominators. */
static void
count_held(struct draw *d)
{
    size_t i;
    int c;

    for (i = 0; i < d->t->ns; i++) {
        c = kz_tl_col(&d->ax, d->t->s[i].date);
        if (d->t->s[i].state != KZ_TL_VOID && c >= 0 && c < d->aw)
            d->held[c]++;
    }
}

static unsigned char
level(const struct kz_tl_line *l, double v)
{
    double span = l->max - l->min, f = span > 0 ? (v - l->min) / span : 0;

    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    return (unsigned char)(1 + (int)(f * 7 + 0.5));
}

/* "3→8 active", "18→27", "4", "no scores". */
static void
line_summary(struct draw *d, const struct kz_tl_line *l, char *buf, size_t size)
{
    const char *st = l->status != NULL ? l->status : "";
    const char *sp = *st ? " " : "";

    if (l->n == 0)
        snprintf(buf, size, "%s", *st ? st : "-");
    else if (l->n == 1)
        snprintf(buf, size, "%g%s%s", l->p[0].value, sp, st);
    else
        snprintf(buf, size, "%g%s%g%s%s", l->p[0].value, d->g->arrow, l->p[l->n - 1].value, sp,
                 st);
}

static void
value_row(struct draw *d, const struct kz_tl_line *l)
{
    char sum[64];
    size_t i;

    clear_cells(d);
    for (i = 0; i < l->n; i++)
        mark(d, l->p[i].date, level(l, l->p[i].value), 0);
    line_summary(d, l, sum, sizeof(sum));
    put_row(d, l->label, bar_glyph, 0, sum);
}

/* ---- the axis ---- */

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Writes label at column c of line (aw columns, spaces) if it fits after
 * *free_from; returns 1 if written. */
static int
place(char *line, int aw, int c, const char *label, int *free_from)
{
    int n = (int)strlen(label);

    if (c < *free_from || c < 0 || c + n > aw)
        return 0;
    memcpy(line + c, label, (size_t)n);
    *free_from = c + n + 1;
    return 1;
}

static void
put_axis_line(struct draw *d, const char *line)
{
    int n = d->aw;

    while (n > 0 && line[n - 1] == ' ')
        n--;
    put_text(d, "", 0, d->lw + 1);
    kz_buf_addn(d->out, line, (size_t)n);
    kz_buf_add(d->out, "\n");
}

/* The years over the axis, and with columns a part of a month the months. */
static void
axis_lines(struct draw *d)
{
    static const int steps[] = {1, 2, 3, 4, 6, 12};
    char *line = kz_xmalloc((size_t)d->aw + 1);
    long m, end = d->ax.cpm > 0 ? d->ax.start_month + d->ax.ncols / d->ax.cpm
                                : d->ax.start_month + (long)d->ax.ncols * d->ax.mpc;
    int free_from = 0, step = 12, first, c;
    size_t i;
    char year[24];

    memset(line, ' ', (size_t)d->aw);
    line[d->aw] = '\0';
    for (m = d->ax.start_month; m < end; m++) {
        first = m == d->ax.start_month;
        if (m % 12 != 0 && !first)
            continue;
        c = kz_tl_col(&d->ax, (uint32_t)(m / 12 * 10000 + (m % 12 + 1) * 100 + 1));
        snprintf(year, sizeof(year), "%ld", m / 12);
        /* The first year only when the next one leaves it room. */
        if (first && m % 12 != 0 && kz_tl_col(&d->ax, (uint32_t)((m / 12 + 1) * 10000 + 101)) < 5)
            continue;
        place(line, d->aw, c, year, &free_from);
    }
    put_axis_line(d, line);
    if (d->ax.cpm > 0) {
        for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
            if (steps[i] * d->ax.cpm >= 4) {
                step = steps[i];
                break;
            }
        }
        memset(line, ' ', (size_t)d->aw);
        free_from = 0;
        for (m = d->ax.start_month; m < end; m++) {
            if (m % 12 % step == 0)
                place(line, d->aw, (int)(m - d->ax.start_month) * d->ax.cpm,
                      month_names[m % 12], &free_from);
        }
        put_axis_line(d, line);
    }
    free(line);
}

/* ---- title, gaps, legend ---- */

static const char *
date_text(const struct kz_tl *t, uint32_t date, char *buf)
{
    if (t->date_text != NULL)
        return t->date_text(t->date_ctx, date, buf);
    snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)(date / 10000) % 10000,
             (unsigned)(date / 100 % 100), (unsigned)(date % 100));
    return buf;
}

/* A line of text cut to the width. */
static void
put_line(struct draw *d, const char *color, const char *text)
{
    if (d->color && *color)
        kz_buf_add(d->out, color);
    put_text(d, text, d->width, 0);
    if (d->color && *color)
        kz_buf_add(d->out, C_RESET);
    kz_buf_add(d->out, "\n");
}

struct counts {
    size_t held, unsig, voided;  /* sessions not void; of them unsigned; void */
    uint32_t first, last;        /* of sessions not void */
    uint32_t lo, hi;             /* every date drawn */
    int who[3];                  /* a row for joint, partner 1, partner 2 */
};

static void
stretch(struct counts *k, uint32_t date)
{
    if (date == 0)
        return;
    if (k->lo == 0 || date < k->lo)
        k->lo = date;
    if (date > k->hi)
        k->hi = date;
}

static void
count(const struct kz_tl *t, struct counts *k)
{
    size_t i, j;

    memset(k, 0, sizeof(*k));
    for (i = 0; i < t->ns; i++) {
        const struct kz_tl_session *s = &t->s[i];
        stretch(k, s->date);
        k->who[s->who >= 0 && s->who <= 2 ? s->who : 0] = 1;
        if (s->state == KZ_TL_VOID) {
            k->voided++;
            continue;
        }
        k->held++;
        k->unsig += s->state == KZ_TL_UNSIGNED;
        if (k->first == 0)
            k->first = s->date;
        k->last = s->date;
    }
    for (i = 0; i < t->ngoals; i++) {
        for (j = 0; j < t->goals[i].n; j++)
            stretch(k, t->goals[i].p[j].date);
    }
    for (i = 0; i < t->nscores; i++) {
        for (j = 0; j < t->scores[i].n; j++)
            stretch(k, t->scores[i].p[j].date);
    }
}

static void
title(struct draw *d, const struct counts *k)
{
    char a[11], z[11], line[256], more[64];
    int n;

    if (k->held == 0)
        n = snprintf(line, sizeof(line), "%s: no sessions", d->t->code);
    else
        n = snprintf(line, sizeof(line), "%s: %zu session%s, %s %s %s", d->t->code, k->held,
                     k->held == 1 ? "" : "s", date_text(d->t, k->first, a), d->g->arrow,
                     date_text(d->t, k->last, z));
    snprintf(more, sizeof(more), "; %zu unsigned, %zu void", k->unsig, k->voided);
    /* The counts when they fit. */
    if ((k->unsig || k->voided) && n > 0 && (size_t)n < sizeof(line) &&
        text_width(line) + text_width(more) <= d->width)
        snprintf(line + n, sizeof(line) - (size_t)n, "%s", more);
    put_line(d, C_HEAD, line);
}

static void
gap_line(struct draw *d, const struct kz_tl_gap *g)
{
    char a[11], z[11], len[32], line[128];

    kz_tl_span_text(g->days, len, sizeof(len));
    snprintf(line, sizeof(line), "gap: %s, %s %s %s", len, date_text(d->t, g->from, a),
             d->g->arrow, date_text(d->t, g->to, z));
    put_line(d, "", line);
}

/* "no session since 2026-04-13 (7 weeks)" when the last was over a month ago. */
static int
since_line(struct draw *d, const struct counts *k, int draw)
{
    char a[11], len[32], line[128];
    long days;

    if (k->last == 0 || d->t->today <= k->last || (days = kz_tl_days(k->last, d->t->today)) <= 31)
        return 0;
    if (draw) {
        kz_tl_span_text(days, len, sizeof(len));
        snprintf(line, sizeof(line), "no session since %s (%s)", date_text(d->t, k->last, a),
                 len);
        put_line(d, "", line);
    }
    return 1;
}

/* The legend: the pieces that fit, in order. */
static void
legend(struct draw *d, int values)
{
    const struct glyphs *g = d->g;
    char piece[64];
    int w = 0, pw, i;

    for (i = 0; i < (values ? 5 : 4); i++) {
        switch (i) {
        case 0: snprintf(piece, sizeof(piece), "%s signed", g->mark[0][2]); break;
        case 1: snprintf(piece, sizeof(piece), "%s unsigned", g->mark[0][3]); break;
        case 2: snprintf(piece, sizeof(piece), "%s void", g->mark[0][1]); break;
        case 3:
            snprintf(piece, sizeof(piece), "%s %s partner 1, 2 alone", g->mark[1][2],
                     g->mark[2][2]);
            break;
        default:
            snprintf(piece, sizeof(piece), "%s%s%s low to high", g->bars[0], g->bars[3],
                     g->bars[7]);
            break;
        }
        pw = text_width(piece);
        if (w + (w ? 2 : 0) + pw > d->width)
            break;
        kz_buf_add(d->out, w ? "  " : "");
        kz_buf_add(d->out, piece);
        w += (w ? 2 : 0) + pw;
    }
    kz_buf_add(d->out, "\n");
}

/* ---- fitting it all on the screen ---- */

enum { SEC_SCORES, SEC_GOALS, SEC_GAPS, SEC_THEMES, NSEC };

/* Lines for each section out of avail: a few of each first, then more (the
 * themes first), then all that fit; a section's heading takes a line with its
 * first row. */
static void
allot(const size_t *need, int avail, size_t *got)
{
    static const size_t caps[2][NSEC] = {{4, 3, 2, 3}, {8, 6, 4, 8}};
    static const int head[NSEC] = {1, 1, 0, 1};
    static const int order[3][NSEC] = {{SEC_SCORES, SEC_GOALS, SEC_GAPS, SEC_THEMES},
                                       {SEC_THEMES, SEC_GOALS, SEC_GAPS, SEC_SCORES},
                                       {SEC_THEMES, SEC_GOALS, SEC_SCORES, SEC_GAPS}};
    size_t want;
    int r, i, s, cost;

    for (r = 0; r < 3; r++) {
        for (i = 0; i < NSEC; i++) {
            s = order[r][i];
            want = r < 2 && caps[r][s] < need[s] ? caps[r][s] : need[s];
            while (got[s] < want) {
                cost = got[s] == 0 && head[s] ? 2 : 1;
                if (avail < cost)
                    break;
                avail -= cost;
                got[s]++;
            }
        }
    }
}

static int
clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void
widen(int *w, const char *s)
{
    int n = text_width(s);

    if (n > *w)
        *w = n;
}

/* The label and summary columns; the axis has the rest. */
static void
columns(struct draw *d, const struct counts *k, const struct kz_tl_theme *th, size_t nth)
{
    const struct kz_tl *t = d->t;
    char sum[64];
    int lw = 0, rw = 1;
    size_t i;

    for (i = 0; i < 3; i++)
        if (k->who[i])
            widen(&lw, i == 0 ? "joint" : "partner 1");
    snprintf(sum, sizeof(sum), "%zu", t->ns);
    widen(&rw, sum);
    for (i = 0; i < nth; i++)
        widen(&lw, th[i].name);
    for (i = 0; i < t->ngoals + t->nscores; i++) {
        const struct kz_tl_line *l = i < t->ngoals ? &t->goals[i] : &t->scores[i - t->ngoals];
        widen(&lw, l->label);
        line_summary(d, l, sum, sizeof(sum));
        widen(&rw, sum);
    }
    d->lw = clamp(lw, 9, d->width / 4 < 18 ? d->width / 4 : 18);
    d->rw = clamp(rw, 1, d->width / 5 < 14 ? d->width / 5 : 14);
    d->aw = d->width - d->lw - d->rw - 2;
}

static void
heading(struct draw *d, const char *name, size_t shown, size_t all)
{
    char line[64];

    if (shown < all)
        snprintf(line, sizeof(line), "%s (%zu of %zu)", name, shown, all);
    else
        snprintf(line, sizeof(line), "%s", name);
    put_line(d, C_HEAD, line);
}

static void
lines_section(struct draw *d, const char *name, const struct kz_tl_line *l, size_t n,
              size_t shown)
{
    size_t i;

    if (shown == 0)
        return;
    heading(d, name, shown, n);
    for (i = 0; i < shown; i++)
        value_row(d, &l[i]);
}

static void
gaps_section(struct draw *d, const struct kz_tl_gap *g, size_t n, size_t shown)
{
    char line[96];
    size_t i;

    if (shown == 0 && n > 0) /* no room: a word in the title line's place is enough */
        return;
    for (i = 0; i < shown && (shown == n || i + 1 < shown); i++)
        gap_line(d, &g[i]);
    if (shown < n && shown > 0) {
        if (shown == 1)
            snprintf(line, sizeof(line), "%zu gaps longer than a month (--json lists them)", n);
        else
            snprintf(line, sizeof(line), "and %zu more gaps (--json lists them)", n - i);
        put_line(d, "", line);
    }
}

void
kz_tl_render(const struct kz_tl *t, int width, int lines, int ascii, int color,
             struct kz_buf *out)
{
    static const char *const who_label[3] = {"joint", "partner 1", "partner 2"};
    struct kz_tl_theme *th = kz_xcalloc(THEMES_MAX, sizeof(*th));
    struct kz_tl_gap gaps[GAPS_MAX];
    struct counts k;
    struct draw d;
    size_t nth, ngap, need[NSEC], got[NSEC] = {0, 0, 0, 0}, i;
    int fixed, w;

    memset(&d, 0, sizeof(d));
    d.t = t;
    d.g = ascii ? &ascii_glyphs : &utf8_glyphs;
    d.color = color;
    d.width = width < 40 ? 40 : width;
    d.out = out;
    count(t, &k);
    title(&d, &k);
    if (k.lo == 0)
        goto out;
    nth = kz_tl_themes(t->s, t->ns, th, THEMES_MAX);
    ngap = kz_tl_gaps(t->s, t->ns, gaps, GAPS_MAX);
    columns(&d, &k, th, nth < THEMES_MAX ? nth : THEMES_MAX);
    kz_tl_axis_fit(k.lo, k.hi, d.aw, &d.ax);
    if (d.ax.ncols < d.aw)
        d.aw = d.ax.ncols; /* the summaries follow the axis */
    d.cells = kz_xcalloc((size_t)d.aw, 1);
    d.held = kz_xcalloc((size_t)d.aw, sizeof(*d.held));
    d.hits = kz_xcalloc((size_t)d.aw, sizeof(*d.hits));
    count_held(&d);
    fixed = 3 + (d.ax.cpm > 0) + k.who[0] + k.who[1] + k.who[2] + since_line(&d, &k, 0);
    need[SEC_SCORES] = t->nscores;
    need[SEC_GOALS] = t->ngoals;
    need[SEC_GAPS] = ngap < GAPS_MAX ? ngap : GAPS_MAX;
    need[SEC_THEMES] = nth < THEMES_MAX ? nth : THEMES_MAX;
    allot(need, (lines < 16 ? 16 : lines) - fixed, got);
    axis_lines(&d);
    for (w = 0; w < 3; w++)
        if (k.who[w])
            sessions_row(&d, w, who_label[w]);
    if (got[SEC_THEMES] > 0) {
        heading(&d, "themes", got[SEC_THEMES], nth);
        for (i = 0; i < got[SEC_THEMES]; i++)
            theme_row(&d, &th[i]);
    }
    lines_section(&d, "goals", t->goals, t->ngoals, got[SEC_GOALS]);
    lines_section(&d, "scores", t->scores, t->nscores, got[SEC_SCORES]);
    gaps_section(&d, gaps, ngap, got[SEC_GAPS]);
    since_line(&d, &k, 1);
    legend(&d, t->ngoals + t->nscores > 0);
out:
    kz_wipe_free(th, THEMES_MAX * sizeof(*th));
    free(d.cells);
    free(d.held);
    free(d.hits);
}
