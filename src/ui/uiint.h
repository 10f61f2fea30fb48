/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/ui: what output.c, grid.c and width.c share. */
#ifndef KIZUNA_UI_UIINT_H
#define KIZUNA_UI_UIINT_H

#include <stdio.h>

#include <jansson.h>

struct kz_ui;

/* ---- src/ui/output.c ---- */
/* doc as one compact line of JSON on ui->out (dies if it cannot be written). */
void kz_ui_emit_json(struct kz_ui *ui, json_t *doc);

/* ---- src/ui/width.c ---- */
/* Display width of a UTF-8 string on a terminal. */
int kz_ui_text_width(const char *s);
/* Prints s cut to at most max columns (0: no limit) and padded to pad. A cut
 * cell ends with an ellipsis ("…", or "..." when ascii) and never splits a
 * UTF-8 sequence or a double-width character; a highlight it cuts short is
 * ended before the ellipsis, so that it never runs into the next cell. */
void kz_ui_put_cell(FILE *f, const char *s, int max, int pad, int color, int ascii);

#endif
