/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sodium.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "kizuna/buf.h"
#include "kizuna/wipe.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"

/* Whether the user's locale (LC_ALL, else LC_CTYPE, else LANG, as setlocale
 * reads them) is UTF-8. main switches LC_CTYPE to C.UTF-8 whatever the user
 * chose (notes are UTF-8), so the environment says what the terminal shows. */
static int
locale_is_utf8(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    size_t i;

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]), *dot;
        if (v == NULL || *v == '\0')
            continue;
        dot = strchr(v, '.');
        return dot != NULL && (strncasecmp(dot + 1, "utf-8", 5) == 0 ||
                               strncasecmp(dot + 1, "utf8", 4) == 0);
    }
    return 0;
}

void
kz_ui_init(struct kz_ui *ui, int json, int no_color)
{
    const char *nc = getenv("NO_COLOR");

    memset(ui, 0, sizeof(*ui));
    ui->json = json;
    ui->out = stdout;
    ui->errf = stderr;
    ui->color = !no_color && (nc == NULL || *nc == '\0') && isatty(STDOUT_FILENO);
    ui->ascii = !locale_is_utf8();
}

void
kz_ui_own_stdout(struct kz_ui *ui)
{
    size_t size = BUFSIZ;

    ui->outbuf = kz_secure_alloc(size);
    if (setvbuf(stdout, ui->outbuf, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, size) != 0) {
        kz_secure_free(ui->outbuf); /* stdio keeps its own buffer then */
        ui->outbuf = NULL;
        return;
    }
    ui->outbuf_size = size;
}

void
kz_ui_wipe_stdout(struct kz_ui *ui)
{
    fflush(stdout);
    __fpurge(stdout); /* what could not be written is dropped, not kept */
    if (ui->outbuf != NULL)
        sodium_memzero(ui->outbuf, ui->outbuf_size);
}

static ssize_t
held_write(void *cookie, const char *data, size_t len)
{
    kz_buf_addn(cookie, data, len);
    return (ssize_t)len;
}

void
kz_ui_hold(struct kz_ui *ui)
{
    static const cookie_io_functions_t io = {NULL, held_write, NULL, NULL};
    struct kz_buf *b;
    FILE *f;

    if (ui->held != NULL)
        return;
    b = kz_xcalloc(1, sizeof(*b));
    if ((f = fopencookie(b, "w", io)) == NULL)
        kz_die("out of memory");
    /* Unbuffered: the text goes straight to the wiping buffer, and no stdio
     * buffer is left holding a copy. */
    setvbuf(f, NULL, _IONBF, 0);
    ui->held = b;
    ui->real_out = ui->out;
    ui->out = f;
}

int
kz_ui_columns(void)
{
    struct winsize ws;
    const char *env;
    long v;

    if (!isatty(STDOUT_FILENO))
        return 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if ((env = getenv("COLUMNS")) != NULL && (v = strtol(env, NULL, 10)) > 0 && v < 10000)
        return (int)v;
    return 80;
}

/* The terminal's rows (TIOCGWINSZ, else $LINES, else 24). */
static int
screen_rows(void)
{
    struct winsize ws;
    const char *env;
    long v;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    if ((env = getenv("LINES")) != NULL && (v = strtol(env, NULL, 10)) > 0 && v < 10000)
        return (int)v;
    return 24;
}

int
kz_ui_release(struct kz_ui *ui, int show)
{
    struct kz_buf *b = ui->held;
    int rc = 0;

    if (b == NULL)
        return 0;
    fclose(ui->out);
    ui->out = ui->real_out;
    ui->real_out = NULL;
    ui->held = NULL;
    if (show && b->len > 0 && ui->page && !ui->no_pager && isatty(fileno(ui->out)) &&
        kz_ui_rows(b->p, b->len, kz_ui_columns()) >= (size_t)screen_rows()) {
        char why[512];
        fflush(ui->out);
        if (kz_ui_page(b->p, b->len, why, sizeof(why)) == 0)
            show = 0; /* shown */
        else
            kz_ui_warn(ui, "%s", why);
    }
    if (show && b->len > 0) {
        rc = fwrite(b->p, 1, b->len, ui->out) == b->len ? 0 : -1;
        if (fflush(ui->out) != 0)
            rc = -1;
    }
    kz_buf_free(b); /* wiped */
    free(b);
    return rc;
}

int
kz_ui_have_terminal(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* Decodes one UTF-8 sequence at s; returns its length (1 for a bad byte). */
static size_t
utf8_next(const char *s, unsigned int *cp)
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
    int w = wcwidth((wchar_t)cp);

    if (cp == (unsigned char)KZ_UI_MARK[0] || cp == (unsigned char)KZ_UI_UNMARK[0] ||
        cp == (unsigned char)KZ_UI_STRIKE[0] || cp == (unsigned char)KZ_UI_UNSTRIKE[0])
        return 0; /* drawn as a colour change */

    return w < 0 ? 1 : w;
}

/* Display width of a UTF-8 string on a terminal. */
static int
text_width(const char *s)
{
    unsigned int cp;
    int w = 0;

    while (*s != '\0') {
        s += utf8_next(s, &cp);
        w += cp_width(cp);
    }
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
        n = utf8_next(ch, &cp);
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
static void
put_cell(FILE *f, const char *s, int max, int pad, int color, int ascii)
{
    unsigned int cp;
    int w = 0, total = text_width(s), cut = max > 0 && total > max, marked = 0;
    int ell = ascii ? 3 : 1, room = max - (max > ell ? ell : 0);
    size_t n;

    while (*s != '\0') {
        n = utf8_next(s, &cp);
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

static void
emit_json(struct kz_ui *ui, json_t *doc)
{
    if (json_dumpf(doc, ui->out, JSON_COMPACT) != 0)
        kz_die("cannot write output");
    fputc('\n', ui->out);
    fflush(ui->out);
    ui->emitted = 1;
}

void
kz_ui_object(struct kz_ui *ui, json_t *doc, const struct kz_field *fields)
{
    const struct kz_field *f;
    const char *key;
    json_t *v;
    int w = 0;

    if (ui->json) {
        emit_json(ui, doc);
        json_decref(doc);
        return;
    }
    if (fields != NULL) {
        for (f = fields; f->key != NULL; f++) {
            if (json_object_get(doc, f->key) != NULL && text_width(f->label) > w)
                w = text_width(f->label);
        }
        for (f = fields; f->key != NULL; f++) {
            char *t;
            if ((v = json_object_get(doc, f->key)) == NULL)
                continue;
            t = value_text(v);
            put_cell(ui->out, f->label, 0, w + 2, ui->color, ui->ascii);
            fprintf(ui->out, "%s\n", t);
            text_free(t);
        }
    } else {
        json_object_foreach(doc, key, v) {
            if (text_width(key) > w)
                w = text_width(key);
        }
        json_object_foreach(doc, key, v) {
            char *t = value_text(v);
            put_cell(ui->out, key, 0, w + 2, ui->color, ui->ascii);
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
            int floor = text_width(cols[k].heading) > 6 ? text_width(cols[k].heading) : 6;
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
    int *w;
    json_t *row;

    if (ui->json) {
        emit_json(ui, rows);
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
        w[c] = text_width(cols[c].heading);
    json_array_foreach(rows, i, row) {
        for (c = 0; c < ncols; c++) {
            char *t = value_text(json_object_get(row, cols[c].key));
            int tw = text_width(t);
            if (tw > w[c])
                w[c] = tw;
            text_free(t);
        }
    }
    fit_columns(cols, ncols, w);
    for (c = 0; c < ncols; c++)
        put_cell(ui->out, cols[c].heading, w[c], c + 1 < ncols ? w[c] + 2 : 0, ui->color,
                 ui->ascii);
    fputc('\n', ui->out);
    json_array_foreach(rows, i, row) {
        for (c = 0; c < ncols; c++) {
            char *t = value_text(json_object_get(row, cols[c].key));
            put_cell(ui->out, t, cols[c].max > 0 ? w[c] : 0, c + 1 < ncols ? w[c] + 2 : 0,
                     ui->color, ui->ascii);
            text_free(t);
        }
        fputc('\n', ui->out);
    }
    fflush(ui->out);
    free(w);
    json_decref(rows);
}

void
kz_ui_done(struct kz_ui *ui, json_t *doc, const char *fmt, ...)
{
    va_list ap;

    if (ui->json) {
        if (doc == NULL)
            doc = json_pack("{s:b}", "ok", 1);
        emit_json(ui, doc);
        json_decref(doc);
        return;
    }
    json_decref(doc);
    va_start(ap, fmt);
    vfprintf(ui->out, fmt, ap);
    va_end(ap);
    fputc('\n', ui->out);
    fflush(ui->out);
    ui->emitted = 1;
}

void
kz_ui_say(struct kz_ui *ui, const char *fmt, ...)
{
    va_list ap;

    if (ui->json)
        return;
    va_start(ap, fmt);
    vfprintf(ui->out, fmt, ap);
    va_end(ap);
    fflush(ui->out);
}

/* Writes a one-line message with every terminal control (C0, DEL, C1) shown
 * as '?': messages quote file names, JSON parse errors and other bytes kizuna
 * did not write, which must not drive the terminal. */
static void
put_message(FILE *f, const char *msg)
{
    const unsigned char *u = (const unsigned char *)msg;

    for (; *u != '\0'; u++) {
        if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) {
            fputc('?', f);
            u++;
        } else if (*u < 0x20 || *u == 0x7f) {
            fputc('?', f);
        } else {
            fputc(*u, f);
        }
    }
}

void
kz_ui_warn(struct kz_ui *ui, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ui->json) {
        json_t *w = json_pack("{s:s}", "warning", msg);
        json_dumpf(w, ui->errf, JSON_COMPACT);
        fputc('\n', ui->errf);
        json_decref(w);
    } else {
        fputs("kizuna: warning: ", ui->errf);
        put_message(ui->errf, msg);
        fputc('\n', ui->errf);
    }
    fflush(ui->errf);
}

void
kz_ui_error(struct kz_ui *ui, const struct kz_err *err)
{
    const char *msg = err->msg[0] != '\0' ? err->msg : "failed";

    if (ui->json) {
        json_t *e = json_pack("{s:{s:s,s:s,s:i}}", "error", "code", kz_code_name(err->code),
                              "message", msg, "exit", err->code);
        json_dumpf(e, ui->errf, JSON_COMPACT);
        fputc('\n', ui->errf);
        json_decref(e);
    } else {
        fputs("kizuna: ", ui->errf);
        put_message(ui->errf, msg);
        fputc('\n', ui->errf);
    }
    fflush(ui->errf);
}

void
kz_ui_show(struct kz_ui *ui, json_t *doc, const char *text)
{
    if (ui->json) {
        emit_json(ui, doc);
    } else {
        fputs(text, ui->out);
        fflush(ui->out);
        ui->emitted = 1;
    }
    json_decref(doc);
}

void
kz_ui_text(struct kz_ui *ui, const char *text)
{
    if (ui->json)
        return;
    fputs(text, ui->out);
    fflush(ui->out);
    ui->emitted = 1;
}

int
kz_ui_raw(struct kz_ui *ui, const void *buf, size_t len)
{
    if (len > 0 && fwrite(buf, 1, len, ui->out) != len)
        return -1;
    ui->emitted = 1;
    return fflush(ui->out) == 0 ? 0 : -1;
}

void
kz_ui_progress(struct kz_ui *ui, const char *label, unsigned long long done,
               unsigned long long total)
{
    static const int width = 30;
    int filled, i;

    if (!isatty(fileno(ui->errf)) || total == 0)
        return;
    filled = (int)((done * (unsigned long long)width) / total);
    fprintf(ui->errf, "\r%s [", label);
    for (i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', ui->errf);
    fprintf(ui->errf, "] %3d%%", (int)((done * 100) / total));
    if (done >= total)
        fputc('\n', ui->errf);
    fflush(ui->errf);
}
