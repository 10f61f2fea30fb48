/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/ui: what output.c, grid.c and width.c share. */
#ifndef KIZUNA_UI_UIINT_H
#define KIZUNA_UI_UIINT_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

struct kz_ui;
struct kz_buf;

/* ---- src/ui/output.c ---- */
/* Home, clear the screen, clear the scrollback (xterm's 3J, which
 * xterm-like terminals honour). */
#define KZ_UI_CLEAR "\033[H\033[2J\033[3J"
/* doc as one compact line of JSON on ui->out (dies if it cannot be written). */
void kz_ui_emit_json(struct kz_ui *ui, json_t *doc);

/* t in seconds. */
double kz_ui_seconds(const struct timespec *t);
/* Seconds since the last key on the terminal, or since since (whichever is
 * later): the terminal's access time, which the kernel moves when a key is
 * read, by whoever reads it (the pager, the editor), in steps of 8 seconds. */
double kz_ui_idle_for(double since);

/* ---- src/ui/width.c ---- */
/* Display width of a UTF-8 string on a terminal. */
int kz_ui_text_width(const char *s);
int kz_ui_text_width_upto(const char *s, int limit);
/* Prints s cut to at most max columns (0: no limit) and padded to pad. A cut
 * cell ends with an ellipsis ("…", or "..." when ascii) and never splits a
 * UTF-8 sequence or a double-width character; a highlight it cuts short is
 * ended before the ellipsis, so that it never runs into the next cell. */
void kz_ui_put_cell(FILE *f, const char *s, int max, int pad, int color, int ascii);
/* Decodes one UTF-8 sequence at s into *cp; returns its length (1, with
 * U+FFFD, for a bad byte). */
size_t kz_ui_utf8_next(const char *s, unsigned int *cp);
/* A label drawn into a picture (chart, timeline): its columns when every
 * control (C0, DEL, C1) and bad byte is shown as '?'. */
int kz_ui_label_width(const char *s);
/* Appends s as kz_ui_label_width counts it, cut to at most max columns
 * (never half a character; a cut label ends with ellipsis, ellw columns
 * wide, when max leaves room for it) and padded with blanks to pad columns.
 * Returns the columns written. */
int kz_ui_label_add(struct kz_buf *b, const char *s, int max, int pad, const char *ellipsis,
                    int ellw);

#endif
