/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tables and field views of JSON rows (kz_ui_table, kz_ui_object), or the
 * JSON itself in --json mode. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/wipe.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"
#include "uiint.h"

/* Wipes and frees a value_text (it may hold a note). */
static void
text_free(char *t)
{
    sodium_memzero(t, strlen(t));
    free(t);
}

/* Text for a JSON value in a table or field view (malloc'd; text_free it). */
static char *
value_text(json_t *v)
{
    char buf[64];

    if (v == NULL || json_is_null(v))
        return kz_xstrdup("");
    if (json_is_string(v))
        return kz_xstrdup(json_string_value(v));
    if (json_is_true(v))
        return kz_xstrdup("yes");
    if (json_is_false(v))
        return kz_xstrdup("no");
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return kz_xstrdup(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%g", json_real_value(v));
        return kz_xstrdup(buf);
    }
    if (json_is_array(v)) {
        struct kz_buf b = {NULL, 0, 0}; /* wipes what it outgrows */
        size_t i;
        char *out;
        json_t *e;
        json_array_foreach(v, i, e) {
            char *t = value_text(e);
            if (i > 0)
                kz_buf_add(&b, ", ");
            kz_buf_add(&b, t);
            text_free(t);
        }
        out = kz_xstrdup(kz_buf_str(&b));
        kz_buf_free(&b);
        return out;
    }
    {
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS), *copy;
        if (s == NULL)
            kz_die("out of memory");
        copy = kz_xstrdup(s); /* callers free() it */
        kz_json_free(s);
        return copy;
    }
}

void
kz_ui_object(struct kz_ui *ui, json_t *doc, const struct kz_field *fields)
{
    const struct kz_field *f;
    const char *key;
    json_t *v;
    int w = 0;

    if (ui->json) {
        kz_ui_emit_json(ui, doc);
        json_decref(doc);
        return;
    }
    if (fields != NULL) {
        for (f = fields; f->key != NULL; f++) {
            if (json_object_get(doc, f->key) != NULL && kz_ui_text_width(f->label) > w)
                w = kz_ui_text_width(f->label);
        }
        for (f = fields; f->key != NULL; f++) {
            char *t;
            if ((v = json_object_get(doc, f->key)) == NULL)
                continue;
            t = value_text(v);
            kz_ui_put_cell(ui->out, f->label, 0, w + 2, ui->color, ui->ascii);
            fprintf(ui->out, "%s\n", t);
            text_free(t);
        }
    } else {
        json_object_foreach(doc, key, v) {
            if (kz_ui_text_width(key) > w)
                w = kz_ui_text_width(key);
        }
        json_object_foreach(doc, key, v) {
            char *t = value_text(v);
            kz_ui_put_cell(ui->out, key, 0, w + 2, ui->color, ui->ascii);
            fprintf(ui->out, "%s\n", t);
            text_free(t);
        }
    }
    fflush(ui->out);
    ui->emitted = 1;
    json_decref(doc);
}

/* The free-text column (max > 0) that gives way next: the widest of those
 * above limit[c]; -1 if none. */
static int
widest_free(const struct kz_col *cols, size_t ncols, const int *w, const int *limit)
{
    int best = -1;
    size_t c;

    for (c = 0; c < ncols; c++) {
        if (cols[c].max > 0 && w[c] > limit[c] && (best < 0 || w[c] > w[best]))
            best = (int)c;
    }
    return best;
}

/* Column widths for rows within the terminal's width (struct kz_col): each
 * column as wide as its widest cell, then, while a row is too wide, the widest
 * free-text column gives way, first down to its max, then down to a floor. */
static void
fit_columns(const struct kz_col *cols, size_t ncols, int *w)
{
    int *limit = kz_xcalloc(ncols, sizeof(*limit)), total = 0, width = kz_ui_columns(), pass, c;
    size_t k;

    for (k = 0; k < ncols; k++)
        total += w[k] + (k + 1 < ncols ? 2 : 0);
    for (pass = 0; pass < 2 && total > width; pass++) {
        for (k = 0; k < ncols; k++) {
            int floor =
                kz_ui_text_width(cols[k].heading) > 6 ? kz_ui_text_width(cols[k].heading) : 6;
            limit[k] = pass == 0 && cols[k].max > floor ? cols[k].max : floor;
        }
        while (total > width && (c = widest_free(cols, ncols, w, limit)) >= 0) {
            w[c]--;
            total--;
        }
    }
    free(limit);
}

void
kz_ui_table(struct kz_ui *ui, json_t *rows, const struct kz_col *cols, const char *empty)
{
    size_t ncols = 0, i, c;
    int *w, screen;
    json_t *row;

    if (ui->json) {
        kz_ui_emit_json(ui, rows);
        json_decref(rows);
        return;
    }
    ui->emitted = 1;
    if (json_array_size(rows) == 0) {
        if (empty != NULL)
            fprintf(ui->out, "%s\n", empty);
        json_decref(rows);
        return;
    }
    while (cols[ncols].key != NULL)
        ncols++;
    w = kz_xcalloc(ncols, sizeof(*w));
    for (c = 0; c < ncols; c++)
        w[c] = kz_ui_text_width(cols[c].heading);
    /* A free-text column (max > 0) is never wider than the terminal once
     * fitted, so its cells are measured no further than that. */
    screen = kz_ui_columns();
    json_array_foreach(rows, i, row) {
        for (c = 0; c < ncols; c++) {
            json_t *v = json_object_get(row, cols[c].key);
            char *t = json_is_string(v) ? NULL : value_text(v);
            const char *text = t != NULL ? t : json_string_value(v);
            int tw = cols[c].max > 0 ? kz_ui_text_width_upto(text, screen + 1)
                                     : kz_ui_text_width(text);
            if (tw > w[c])
                w[c] = tw;
            if (t != NULL)
                text_free(t);
        }
    }
    fit_columns(cols, ncols, w);
    for (c = 0; c < ncols; c++)
        kz_ui_put_cell(ui->out, cols[c].heading, w[c], c + 1 < ncols ? w[c] + 2 : 0, ui->color,
                 ui->ascii);
    fputc('\n', ui->out);
    json_array_foreach(rows, i, row) {
        for (c = 0; c < ncols; c++) {
            json_t *v = json_object_get(row, cols[c].key);
            char *t = json_is_string(v) ? NULL : value_text(v);
            kz_ui_put_cell(ui->out, t != NULL ? t : json_string_value(v),
                           cols[c].max > 0 ? w[c] : 0, c + 1 < ncols ? w[c] + 2 : 0, ui->color,
                           ui->ascii);
            if (t != NULL)
                text_free(t);
        }
        fputc('\n', ui->out);
    }
    fflush(ui->out);
    free(w);
    json_decref(rows);
}

