/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Output through one door: messages, done lines, progress, standard output in
 * wiped memory. Tables: grid.c; widths: width.c; held output: pager.c. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/wipe.h"
#include "kizuna/secmem.h"
#include "kizuna/ui.h"
#include "uiint.h"

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

/* TERM=dumb (Emacs's shell, some editors' consoles) shows escape sequences as
 * text and cannot run a full-screen pager: no colour and no pager there. */
static int
term_is_dumb(void)
{
    const char *t = getenv("TERM");

    return t != NULL && strcmp(t, "dumb") == 0;
}

void
kz_ui_init(struct kz_ui *ui, int json, int no_color)
{
    const char *nc = getenv("NO_COLOR");

    memset(ui, 0, sizeof(*ui));
    ui->json = json;
    ui->out = stdout;
    ui->errf = stderr;
    ui->dumb = term_is_dumb();
    ui->color = !no_color && (nc == NULL || *nc == '\0') && !ui->dumb && isatty(STDOUT_FILENO);
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

int
kz_ui_screen_rows(void)
{
    struct winsize ws;
    const char *env;
    long v;

    if (!isatty(STDOUT_FILENO))
        return 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    if ((env = getenv("LINES")) != NULL && (v = strtol(env, NULL, 10)) > 0 && v < 10000)
        return (int)v;
    return 24;
}

int
kz_ui_have_terminal(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

void
kz_ui_emit_json(struct kz_ui *ui, json_t *doc)
{
    if (json_dumpf(doc, ui->out, JSON_COMPACT | JSON_REAL_PRECISION(12)) != 0)
        kz_die("cannot write output");
    fputc('\n', ui->out);
    fflush(ui->out);
    ui->emitted = 1;
}

void
kz_ui_done(struct kz_ui *ui, json_t *doc, const char *fmt, ...)
{
    va_list ap;

    if (ui->json) {
        if (doc == NULL)
            doc = json_pack("{s:b}", "ok", 1);
        kz_ui_emit_json(ui, doc);
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

double
kz_ui_seconds(const struct timespec *t)
{
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

double
kz_ui_idle_for(double since)
{
    struct stat sb;
    struct timespec now;
    double last = since;

    clock_gettime(CLOCK_REALTIME, &now);
    if (fstat(STDIN_FILENO, &sb) == 0 && S_ISCHR(sb.st_mode) && kz_ui_seconds(&sb.st_atim) > last)
        last = kz_ui_seconds(&sb.st_atim);
    return kz_ui_seconds(&now) - last;
}

int
kz_ui_clear_screen(struct kz_ui *ui)
{
    if (ui->json || !isatty(fileno(ui->out)))
        return 0;
    fputs(KZ_UI_CLEAR, ui->out);
    fflush(ui->out);
    return 1;
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

/* A line on stderr: in JSON mode {key: msg}, else prefix and msg. */
static void say_err(struct kz_ui *ui, const char *key, const char *prefix, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

static void
say_err(struct kz_ui *ui, const char *key, const char *prefix, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (ui->json) {
        json_t *w = json_pack("{s:s}", key, msg);
        json_dumpf(w, ui->errf, JSON_COMPACT);
        fputc('\n', ui->errf);
        json_decref(w);
    } else {
        fputs(prefix, ui->errf);
        put_message(ui->errf, msg);
        fputc('\n', ui->errf);
    }
    fflush(ui->errf);
}

void
kz_ui_warn(struct kz_ui *ui, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say_err(ui, "warning", "kizuna: warning: ", fmt, ap);
    va_end(ap);
}

void
kz_ui_note(struct kz_ui *ui, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say_err(ui, "note", "", fmt, ap);
    va_end(ap);
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
        kz_ui_emit_json(ui, doc);
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
