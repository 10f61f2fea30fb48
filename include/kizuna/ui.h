/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_UI_H
#define KIZUNA_UI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kizuna/err.h"

/*
 * The one door to the terminal: commands hand documents (jansson values) to
 * these functions, which render them as a table or aligned fields for people,
 * or as one JSON document for scripts. Nothing below src/ui writes to a terminal.
 */
struct kz_ui {
    int json;     /* --json: one JSON document per command on stdout */
    int color;    /* colour allowed (terminal, no --no-color, NO_COLOR or TERM=dumb) */
    int dumb;     /* TERM=dumb: a terminal that shows escapes as text; no pager */
    int emitted;  /* a document was printed for the current command */
    FILE *out;
    FILE *errf;
    FILE *real_out; /* while held: where out goes at kz_ui_release */
    void *held;     /* while held: the text so far (a wiping buffer) */
    char *outbuf;   /* stdout's buffer (kz_ui_own_stdout), or NULL */
    size_t outbuf_size;
    int no_pager;   /* --no-pager before the command: never page */
    int page;       /* this command's held output may go through the pager */
    int ascii;      /* the locale is not UTF-8: "..." for a cut cell, not "…" */
    /* The shell's idle lock while the pager shows a command's output or the
     * editor is open: the seconds without a key after which the pager is
     * ended or the editor stopped (0: never), asked when it starts;
     * idle_expired says the pager was (the shell then locks). */
    int (*idle_limit)(void *ctx);
    void *idle_ctx;
    int idle_expired;
    /* The idle lock reaching an editor or a question left open (kz_ui_edit
     * has stopped the editor; the screen is cleared): locks, saying that
     * waiting (what waits, and what Ctrl-C does), then asks for the
     * passphrase until the vault opens again; 0 to bring the editor or the
     * question back, -1 to drop the note or answer no. idle_relocked says it
     * ran (the command's view of the vault is stale). */
    int (*idle_relock)(void *ctx, int seconds, const char *waiting);
    int idle_relocked;
};

/* One column of a table: the key in each row object, and its heading. */
/* Tables take the terminal's width (TIOCGWINSZ, else $COLUMNS; 80 when stdout
 * is not a terminal, so that scripts see the same lines everywhere). A column
 * with max > 0 is free text: when a row would be wider than that, the widest
 * free-text column gives way first, down to its max, then all of them evenly
 * (never below their heading or 6 columns); a cut cell ends with an ellipsis
 * and never splits a UTF-8 or double-width character or a highlight. Columns
 * with max 0 (ids, dates, numbers) are never cut. */
struct kz_col {
    const char *key;
    const char *heading;
    int max; /* free text: the width it gives way to first; 0 = never cut */
};

/* One line of a field view: the key in the object and its label. */
struct kz_field {
    const char *key;
    const char *label;
};

void kz_ui_init(struct kz_ui *ui, int json, int no_color);
/* In a table cell, the part between these two bytes is highlighted (reverse
 * video on a colour terminal): commands mark, only src/ui draws. */
#define KZ_UI_MARK "\x01"
#define KZ_UI_UNMARK "\x02"
/* The part between these two is struck through where the terminal allows (a
 * voided note); nothing is drawn for them without colour. */
#define KZ_UI_STRIKE "\x03"
#define KZ_UI_UNSTRIKE "\x04"

/* Gives stdout a buffer in secure memory (setvbuf) instead of the one stdio
 * would malloc, so that what was printed (notes) can be wiped: call before
 * anything is written to stdout. kz_ui_wipe_stdout flushes stdout and zeroes
 * that buffer (at lock and exit); the buffer itself lives until the process
 * ends, as stdio may touch it up to exit. */
void kz_ui_own_stdout(struct kz_ui *ui);
void kz_ui_wipe_stdout(struct kz_ui *ui);

/* Prints doc (stolen: the call takes its reference). Text mode: obj as aligned
 * "label  value" lines in fields' order (all keys if fields is NULL). */
void kz_ui_object(struct kz_ui *ui, json_t *doc, const struct kz_field *fields);
/* Text mode: rows (an array of objects) as a table; heading-only message when empty. */
void kz_ui_table(struct kz_ui *ui, json_t *rows, const struct kz_col *cols, const char *empty);
/* Text mode: the printf-style sentence; JSON mode: doc (stolen; {"ok":true} if NULL). */
void kz_ui_done(struct kz_ui *ui, json_t *doc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Human-only text on stdout (nothing in JSON mode). */
void kz_ui_say(struct kz_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* On a terminal: clears the screen and the scrollback that terminals keep
 * (xterm's ESC [ 3 J), so that what was shown is not left on display; 1
 * when it did (0: not a terminal, or JSON mode). */
int kz_ui_clear_screen(struct kz_ui *ui);
/* A warning on stderr, in both modes (JSON mode: {"warning": "..."} line). */
void kz_ui_warn(struct kz_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line for the person at the keyboard on stderr, in both modes, never in
 * what a command writes to stdout (JSON mode: {"note": "..."} line). */
void kz_ui_note(struct kz_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The error as one line on stderr ("kizuna: msg", or the JSON error object). */
void kz_ui_error(struct kz_ui *ui, const struct kz_err *err);
/* A composed view: JSON mode prints doc, text mode prints text. Steals doc. */
void kz_ui_show(struct kz_ui *ui, json_t *doc, const char *text);
/* Bytes for standard output as they are (an export written to stdout), in both
 * modes. Returns 0, or -1 if the write failed. */
int kz_ui_raw(struct kz_ui *ui, const void *buf, size_t len);
/* A progress bar on stderr when stderr is a terminal (nothing otherwise);
 * done == total ends the line. */
void kz_ui_progress(struct kz_ui *ui, const char *label, unsigned long long done,
                    unsigned long long total);
/* Raw text for help pages and the like (text mode), unchanged. */
void kz_ui_text(struct kz_ui *ui, const char *text);

/* The width tables take: the terminal's columns when stdout is one, else 80. */
int kz_ui_columns(void);

/* The terminal's rows when stdout is one (TIOCGWINSZ, else $LINES, else 24),
 * else 0. */
int kz_ui_screen_rows(void);
/* True when stdin and stdout are terminals (a person is there to ask). */
int kz_ui_have_terminal(void);
/* True when a passphrase or a key can be asked on the terminal: stdin and
 * stdout are one, or, when they carry data (search ... | less, cat f.age |
 * kizuna import /dev/stdin), standard error is one and the process has a
 * controlling terminal to ask on, as ssh, sudo and age ask. Never from cron
 * (no controlling terminal) nor with standard error sent elsewhere. */
int kz_ui_secret_askable(void);

/* Holds what the command prints to out (not errf) in memory until release:
 * a view is shown only once its audit event is saved. release(ui, 1) prints
 * it, release(ui, 0) wipes it unseen; both are no-ops when nothing is held. */
void kz_ui_hold(struct kz_ui *ui);
int kz_ui_release(struct kz_ui *ui, int show);

/*
 * A chart of two series over sessions (src/ui/chart.c), for `chart`: plain
 * values, no model types. Each series is a line of braille dots (U+2800..,
 * 2x4 dots a cell) with a marker at each plotted point (partner 1 "●",
 * partner 2 "○", both in one cell "◆"; ASCII: '*', 'o', '#', lines '.'), so
 * that the two are told apart without colour too (with colour: cyan and
 * yellow). The cut-off is a row of "┄" ('-') labelled "cut-off N" at its
 * right end where free; each series' reliable-change band (its first score
 * ± rci) is shaded "░" where no point or line is drawn ("▒" where both bands
 * lie; ASCII ':'). More sessions than columns: several sessions share a
 * column and its point is their mean. Below: the x axis with labels thinned
 * to fit (the first, then every k-th, k in 1, 2, 5, 10, 20, 50, ...), and a
 * legend with each series' first -> latest value and the change.
 */
struct kz_chart_point {
    size_t x; /* the position on the x axis, 0 .. nx - 1 (ascending in a series) */
    double y;
};
struct kz_chart_series {
    const char *name;                 /* for the legend (controls shown as '?') */
    const struct kz_chart_point *p;   /* n points, x ascending */
    size_t n;
    double band_lo, band_hi;          /* the reliable-change band; lo > hi: none */
};
struct kz_chart {
    const char *title;          /* the first line and a blank one (NULL: none) */
    double ymin, ymax;          /* the y range (ymin < ymax) */
    double cutoff;              /* drawn when has_cutoff */
    int has_cutoff;
    double rci;                 /* a change this large is "reliable" in the legend (0: never) */
    int higher_is_better;       /* which way a reliable change is better */
    struct kz_chart_series s[2];
    const char *const *xlabels; /* nx labels, one per x position (NULL: 1, 2, 3, ...) */
    size_t nx;
    const char *xcaption;       /* a line under the x labels (NULL: none) */
    int width;                  /* columns of every line (at least 20) */
    int height;                 /* rows of the plot (at least 3) */
    int color;                  /* ANSI colours */
    int ascii;                  /* no UTF-8: ASCII characters only */
};
/* Appends the chart to out as lines, each at most c->width columns. */
struct kz_buf;
void kz_ui_chart(const struct kz_chart *c, struct kz_buf *out);

/*
 * The pager (src/ui/pager.c). kz_ui_release shows held text through it when
 * ui->page is set, stdout is a terminal and the text would not fit on the
 * screen. The program is $PAGER split at blanks (no shell, no quotes), else
 * "less -R", run with fork/execvp, its stdin a pipe from the held text, with
 * LESSSECURE=1 and LESSHISTFILE=- set and LESSOPEN/LESSCLOSE unset, so that
 * neither less nor an input preprocessor writes anything to disk. Ctrl-C and
 * Ctrl-\ belong to the pager meanwhile, and a pager that quits early (q) is
 * no error (SIGPIPE is ignored while writing).
 */
/* How many screen rows text takes at cols columns (escape sequences take none). */
size_t kz_ui_rows(const char *text, size_t len, int cols);
/* Shows text through the pager: 0 when shown, -1 when no pager could be
 * started (the caller prints the text itself; a warning has said why). With
 * ui->idle_limit, a terminal left without a key that long ends the pager
 * (SIGTERM, then SIGKILL; less leaves its screen) and sets ui->idle_expired. */
int kz_ui_page(struct kz_ui *ui, const char *text, size_t len);

/*
 * Secrets. Each returns a NUL-terminated string in secure memory (free with
 * kz_secure_free) and its length, or a kz code with a message.
 */
/* Prompts on /dev/tty with echo off; Ctrl-C cancels (KZ_EAUTH "cancelled"). */
int kz_ui_read_secret_tty(const char *prompt, char **out, size_t *len, struct kz_err *err);
/* The same with echo (a custodian share typed from its sheet: the person
 * sees what they type); secure memory all the same. */
int kz_ui_read_text_tty(const char *prompt, char **out, size_t *len, struct kz_err *err);
/* First line of a file descriptor or file (newline stripped). */
int kz_ui_read_secret_fd(int fd, char **out, size_t *len, struct kz_err *err);
int kz_ui_read_secret_file(const char *path, char **out, size_t *len, struct kz_err *err);

/* Asks a yes/no question on /dev/tty; returns 1 for yes. No terminal: 0. */
int kz_ui_confirm(const char *question);
/* Asks question on /dev/tty, "[y/N]", or (typed not NULL) to be answered by
 * typing typed exactly: 1 yes, 0 no (also Ctrl-C, end of input, no
 * terminal). With may_lock and ui's idle hooks (the shell's idle lock), a
 * question not answered within the idle time locks the vault and is asked
 * again once it is unlocked (ui->idle_relocked set); -1 when it was not
 * unlocked (Ctrl-C at the passphrase prompt). */
int kz_ui_ask(struct kz_ui *ui, int may_lock, const char *question, const char *typed);
/* The same, "[Y/n]": Enter alone is yes; Ctrl-C, end of input or no terminal: 0. */
int kz_ui_confirm_yes(const char *question);
/* kz_ui_confirm_yes, unanswered for at most seconds (0: no limit): then what
 * was typed of the answer is dropped, the screen and scrollback cleared, and
 * -1 returned. */
int kz_ui_confirm_yes_within(const char *question, int seconds);
/* True when the last question or secret prompt on the terminal was ended by
 * Ctrl-C (the process then exits 130 when it ends because of it). */
int kz_ui_interrupted(void);

/* Checks a new passphrase: at least 12 characters, at least
 * KZ_PASSPHRASE_MIN_BITS of guessing work by zxcvbn's estimate (KeePassXC's
 * meter calls below 40 "poor"; notes on couples ask for more), and accepted by
 * libpwquality. Returns KZ_OK or KZ_EUSAGE with the reason in plain words and
 * a suggestion (never the libraries' own wording). */
#define KZ_PASSPHRASE_MIN_BITS 50
int kz_ui_check_passphrase(const char *pass, struct kz_err *err);

/*
 * Text entry for notes. kz_ui_edit opens $VISUAL, else $EDITOR, else nano if
 * installed, else vi on a file in /dev/shm (tmpfs: never on disk), 0600,
 * which is overwritten and unlinked afterwards, or on a fatal signal
 * (kizuna/cleanup.h). vim, neovim and nano are started so that they keep no
 * copy (no viminfo or shada, swap, undo or backup files; nano restricted).
 * KZ_ENOTFOUND if there is no tmpfs at /dev/shm (the caller falls back to
 * inline entry); KZ_ERR if the editor fails.
 * *out is malloc'd; the caller wipes it.
 *
 * With may_lock, ui->idle_limit and ui->idle_relock (the shell's idle
 * lock), an editor left without a key for that long is stopped, its screen
 * put away and the terminal cleared with its scrollback; then
 * ui->idle_relock locks and asks for the passphrase. When it returns 0 the
 * editor comes back with the text as it was; otherwise the editor is killed
 * and kz_ui_edit fails (KZ_ERR), the text dropped.
 */
int kz_ui_edit(struct kz_ui *ui, const char *initial, const char *suffix, int may_lock,
               char **out, size_t *len, struct kz_err *err);
/* When standard input is a terminal, says on it (stderr) how typed text ends:
 * for "--text-file -" in the shell, Ctrl-D on a line of its own. */
void kz_ui_typing_hint(void);
/* Text typed at the terminal (standard input, in the terminal's line
 * editing) but not yet ended with Enter: taken out of the terminal's input
 * into buf (up to cap bytes; what is taken can no longer be erased with
 * Backspace). The number of bytes; 0 when none, or not a terminal. */
size_t kz_ui_typing_pending(char *buf, size_t cap);
/* The idle lock reaching text typed at the terminal (the caller read nothing
 * for seconds, the idle time of ui's hooks, and nothing is pending): the
 * screen cleared, and ui->idle_relock locks and asks for the passphrase. 0
 * once the vault is unlocked again (the hint and what was typed,
 * typed[0..len), shown again for the typing to go on); -1 when it was not
 * (the caller drops the text). */
int kz_ui_typing_relock(struct kz_ui *ui, int seconds, const char *typed, size_t len);
/* Asks question on the terminal (/dev/tty) until the answer starts with one of
 * keys (any case): returns that key, or 0 on Ctrl-C, at end of input or
 * without a terminal. For "e(dit again) / a(bandon)?" after a rejected edit.
 * With may_lock and ui's idle hooks, left unanswered for the idle time it
 * locks the vault as kz_ui_ask does (ui->idle_relocked set), and is asked
 * again once the vault is unlocked; -1 when it was not. */
int kz_ui_choose(struct kz_ui *ui, int may_lock, const char *question, const char *keys);
/* Reads one line from in into line (emptied and wiped first), without its
 * newline and CR: 1 if a line (or a last one without newline) was read, 0 at
 * end of input. No copy outlives it: line wipes what it outgrows, where
 * getline's realloc would leave the old block behind. */
struct kz_buf;
int kz_ui_read_line(FILE *in, struct kz_buf *line);
/* Reads lines from in until a line holding a lone "." (or EOF); prompts on a
 * terminal. *out malloc'd (wipe it). */
int kz_ui_read_inline(FILE *in, const char *intro, char **out, size_t *len, struct kz_err *err);
/* The editor files left in /dev/shm by a kizuna that is gone (doctor); with
 * fix, each is shredded and removed, and *fixed (may be NULL) says how many. */
int kz_ui_editor_leftovers(int fix, int *fixed);

/*
 * The timeline of one couple (src/ui/timeline.c, the `timeline` command): one
 * screen with the sessions along a time axis, the most frequent themes as a
 * band over the same axis, goals' progress and scores as rows of bars, and the
 * gaps of more than a month named. Plain data in, text out: the command fills
 * struct kz_tl from the heads index (dates are yyyymmdd numbers).
 */
enum { KZ_TL_JOINT = 0, KZ_TL_P1 = 1, KZ_TL_P2 = 2 };          /* who attended */
enum { KZ_TL_SIGNED = 0, KZ_TL_UNSIGNED = 1, KZ_TL_VOID = 2 }; /* a note's state */
struct kz_tl_session {
    uint32_t num, date;
    int who;          /* KZ_TL_JOINT, KZ_TL_P1, KZ_TL_P2 */
    int state;        /* KZ_TL_SIGNED, KZ_TL_UNSIGNED, KZ_TL_VOID */
    const char *tags; /* themes "a,b" as the head holds them */
};
struct kz_tl_point {
    uint32_t date;
    double value;
};
/* A row of values over the axis: a goal's 0-10 scores or a partner's totals
 * on a measure, drawn between min and max. */
struct kz_tl_line {
    const char *label;  /* "g1 Fewer fights", "ORS P1" */
    const char *status; /* a goal's status, or NULL */
    const struct kz_tl_point *p; /* sorted by date */
    size_t n;
    double min, max;
};
#define KZ_TL_THEME_MAX 164 /* bytes of a theme name and its NUL */
struct kz_tl_theme {
    char name[KZ_TL_THEME_MAX];
    size_t count;         /* sessions (not void) with the theme */
    uint32_t first, last; /* their dates */
};
struct kz_tl_gap {
    uint32_t from, to; /* the sessions either side */
    long days;
};
/* The axis: columns from the month start_month (year * 12 + month - 1) on,
 * either cpm columns per month (each a part of it) or mpc months per column. */
struct kz_tl_axis {
    long start_month;
    int cpm, mpc;
    int ncols;
};
struct kz_tl {
    const char *code;
    uint32_t today;
    const struct kz_tl_session *s; /* sorted by date, then number */
    size_t ns;
    const struct kz_tl_line *goals, *scores;
    size_t ngoals, nscores;
    /* A date as the therapist reads it (buf: 11 bytes); NULL: YYYY-MM-DD. */
    const char *(*date_text)(void *ctx, uint32_t date, char *buf);
    void *date_ctx;
};
/* The axis for dates first..last in at most avail columns: the finest of 31
 * (a day each), 16, 8, 6, 4, 3, 2 or 1 columns a month that fits, else 2, 3, 4, 6, 12, 24, 60 or
 * 120 months a column (aligned to a year's start). */
void kz_tl_axis_fit(uint32_t first, uint32_t last, int avail, struct kz_tl_axis *ax);
/* The column of date on the axis (may fall outside 0..ncols-1). */
int kz_tl_col(const struct kz_tl_axis *ax, uint32_t date);
/* Days from a to b (both yyyymmdd). */
long kz_tl_days(uint32_t a, uint32_t b);
/* The gaps of more than 31 days between sessions that are not void (s sorted
 * by date): up to max into out, longest first (then the earliest); returns
 * how many there are. */
size_t kz_tl_gaps(const struct kz_tl_session *s, size_t n, struct kz_tl_gap *out, size_t max);
/* 1 if the comma-separated tags hold theme as a whole tag (never for ""). */
int kz_tl_has_tag(const char *tags, const char *theme);
/* "6 weeks", "4 months" for a gap of days into buf. */
void kz_tl_span_text(long days, char *buf, size_t size);
/* The themes of sessions that are not void: up to max into out, the most
 * frequent first (then by name); returns how many different ones there are. */
size_t kz_tl_themes(const struct kz_tl_session *s, size_t n, struct kz_tl_theme *out,
                    size_t max);
/* The timeline as text in width columns (at least 40) and at most lines
 * lines (at least 16): rows are left out (the least frequent themes, then
 * goals, gaps and scores beyond the first few) to fit, and say so. ascii: no
 * character beyond ASCII; color: ANSI colours. Appended to out. */
struct kz_buf;
void kz_tl_render(const struct kz_tl *t, int width, int lines, int ascii, int color,
                  struct kz_buf *out);


/*
 * A QR code as text (src/ui/qr.c, libqrencode), for a custodian share's
 * sheet: error correction level M, the smallest version that holds payload,
 * and the quiet zone of 4 modules around it. utf8: two module rows per line
 * in half blocks ("\u2580" upper, "\u2584" lower, "\u2588" both, space for
 * none), (w + 8) columns by (w + 9) / 2 lines; else "##" for a dark module and
 * two spaces for a light one, 2 (w + 8) columns by w + 8 lines. Dark is ink.
 * Returns the symbol's width w in modules (17 + 4 * version), or -1 when the
 * payload does not fit a QR code (nothing appended).
 */
struct kz_buf;
int kz_ui_qr_text(const char *payload, struct kz_buf *out, int utf8);
/* The drawing alone, of a width x width matrix (row by row, bit 0 of each
 * byte set for a dark module, as libqrencode gives it). */
void kz_ui_qr_draw(const unsigned char *m, int width, struct kz_buf *out, int utf8);

#endif
