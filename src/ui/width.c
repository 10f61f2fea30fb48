/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Text on a terminal: display widths of UTF-8, cells cut and padded to a
 * width, and how many rows a text takes (for the pager). */
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "kizuna/buf.h"
#include "kizuna/ui.h"
#include "uiint.h"

size_t
kz_ui_utf8_next(const char *s, unsigned int *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n, i;

    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    n = (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3 : (u[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = u[0] & (0x7f >> n);
    for (i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        *cp = (*cp << 6) | (u[i] & 0x3f);
    }
    return n;
}

static int
cp_width(unsigned int cp)
{
    int w;

    if (cp >= 0x20 && cp < 0x7f)
        return 1; /* printable ASCII, most of a table: no wcwidth() call */
    w = wcwidth((wchar_t)cp);

    if (cp == (unsigned char)KZ_UI_MARK[0] || cp == (unsigned char)KZ_UI_UNMARK[0] ||
        cp == (unsigned char)KZ_UI_STRIKE[0] || cp == (unsigned char)KZ_UI_UNSTRIKE[0])
        return 0; /* drawn as a colour change */

    return w < 0 ? 1 : w;
}

/* Display width of a UTF-8 string on a terminal. */
int
kz_ui_text_width(const char *s)
{
    unsigned int cp;
    int w = 0;

    while (*s != '\0') {
        s += kz_ui_utf8_next(s, &cp);
        w += cp_width(cp);
    }
    return w;
}

/* The display width of s, or limit when it is at least that wide: a cell
 * cut to a column's width is not read to its end (a note's first line may be
 * a whole paragraph). */
int
kz_ui_text_width_upto(const char *s, int limit)
{
    unsigned int cp;
    int w = 0;

    while (*s != '\0' && w < limit) {
        s += kz_ui_utf8_next(s, &cp);
        w += cp_width(cp);
    }
    return w < limit ? w : limit;
}

static int
is_control(unsigned int cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0xfffd;
}

/* A label's character: a control or bad byte is one column ('?'). */
static int
label_cols(unsigned int cp)
{
    int w;

    if (is_control(cp))
        return 1;
    w = wcwidth((wchar_t)cp);
    return w < 0 ? 1 : w;
}

int
kz_ui_label_width(const char *s)
{
    unsigned int cp;
    int w = 0;

    while (*s != '\0') {
        s += kz_ui_utf8_next(s, &cp);
        w += label_cols(cp);
    }
    return w;
}

int
kz_ui_label_add(struct kz_buf *b, const char *s, int max, int pad, const char *ellipsis,
                int ellw)
{
    int w = 0, cut = kz_ui_label_width(s) > max;
    unsigned int cp;

    while (*s != '\0') {
        size_t n = kz_ui_utf8_next(s, &cp);
        int cw = label_cols(cp);
        if (w + cw > max - (cut ? ellw : 0))
            break;
        if (is_control(cp))
            kz_buf_add(b, "?");
        else
            kz_buf_addn(b, s, n);
        w += cw;
        s += n;
    }
    if (cut && max >= ellw) {
        kz_buf_add(b, ellipsis);
        w += ellw;
    }
    for (; w < pad; w++)
        kz_buf_add(b, " ");
    return w;
}

/* One character of a cell: a line break or tab becomes a space, the marks
 * around a highlight (KZ_UI_MARK) reverse video on a colour terminal (around
 * KZ_UI_STRIKE struck through), any
 * other terminal control (C0, DEL, C1: an escape sequence in an imported note
 * or a forged audit field) a '?', so that no cell drives the terminal. */
static void
put_cell_char(FILE *f, const char *s, size_t n, int color)
{
    const unsigned char *u = (const unsigned char *)s;

    if (n == 1 && *u == (unsigned char)KZ_UI_MARK[0])
        fputs(color ? "\033[1;7m" : "", f);
    else if (n == 1 && *u == (unsigned char)KZ_UI_STRIKE[0])
        fputs(color ? "\033[9m" : "", f);
    else if (n == 1 && (*u == (unsigned char)KZ_UI_UNMARK[0] ||
                        *u == (unsigned char)KZ_UI_UNSTRIKE[0]))
        fputs(color ? "\033[0m" : "", f);
    else if (n == 1 && (*u == '\n' || *u == '\r' || *u == '\t'))
        fputc(' ', f);
    else if ((n == 1 && (*u < 0x20 || *u == 0x7f)) ||
             (n == 2 && u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f))
        fputc('?', f);
    else
        fwrite(s, 1, n, f);
}

size_t
kz_ui_rows(const char *text, size_t len, int cols)
{
    size_t rows = 0, i = 0, w = 0;
    unsigned int cp;
    char ch[5];

    if (cols < 1)
        cols = 80;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        size_t k, n;
        if (c == '\n') {
            rows += w == 0 ? 1 : (w + (size_t)cols - 1) / (size_t)cols;
            w = 0;
            i++;
            continue;
        }
        if (c == 0x1b) { /* ESC [ ... final byte: a colour, no width */
            i++;
            if (i < len && text[i] == '[') {
                for (i++; i < len && !((unsigned char)text[i] >= 0x40 &&
                                       (unsigned char)text[i] <= 0x7e); i++)
                    ;
                i++;
            }
            continue;
        }
        if (c == '\t') {
            w += 8 - w % 8;
            i++;
            continue;
        }
        for (k = 0; k < 4 && i + k < len; k++)
            ch[k] = text[i + k];
        ch[k] = '\0';
        n = kz_ui_utf8_next(ch, &cp);
        w += (size_t)cp_width(cp);
        i += n;
    }
    if (w > 0)
        rows += (w + (size_t)cols - 1) / (size_t)cols;
    return rows;
}

/* Prints s cut to at most max columns (0: no limit) and padded to pad. A cut
 * cell ends with an ellipsis ("…", or "..." outside UTF-8) and never splits a
 * UTF-8 sequence or a double-width character; a highlight it cuts short is
 * ended before the ellipsis, so that it never runs into the next cell. */
void
kz_ui_put_cell(FILE *f, const char *s, int max, int pad, int color, int ascii)
{
    unsigned int cp;
    int w = 0, total = max > 0 ? kz_ui_text_width_upto(s, max + 1) : kz_ui_text_width(s);
    int cut = max > 0 && total > max, marked = 0;
    int ell = ascii ? 3 : 1, room = max - (max > ell ? ell : 0);
    size_t n;

    while (*s != '\0') {
        n = kz_ui_utf8_next(s, &cp);
        if (cut && w + cp_width(cp) > room)
            break;
        if (n == 1 && *s == KZ_UI_MARK[0])
            marked = 1;
        else if (n == 1 && *s == KZ_UI_UNMARK[0])
            marked = 0;
        put_cell_char(f, s, n, color);
        w += cp_width(cp);
        s += n;
    }
    if (cut) {
        if (color && marked)
            fputs("\033[0m", f); /* a highlight cut short ends here */
        if (max > ell) {
            fputs(ascii ? "..." : "\xe2\x80\xa6", f); /* … */
            w += ell;
        }
    } else {
        w = total;
    }
    for (; w < pad; w++)
        fputc(' ', f);
}

