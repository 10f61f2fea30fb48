/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The interactive shell: GNU readline's callback interface inside a select()
 * loop, so that the vault can lock itself after idle time while a prompt is
 * waiting. No history file is ever written; Ctrl-C cancels the line; Ctrl-D
 * or quit locks and leaves.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "kizuna/secmem.h"
#include "kizuna/shell.h"

static volatile sig_atomic_t got_signal; /* SIGINT: 1; SIGTERM/SIGHUP: 2 */

/* readline's callbacks take no context: the line handler hands its line here. */
static char *pending_line;
static int pending_eof;
/* The longest the line being edited has been: deleting leaves bytes past
 * rl_end in readline's buffer, and its size is not public. */
static int line_high;
/* The longest line readline has drawn (prompt and text), for wipe_display. */
static int display_high;

static void
on_signal(int sig)
{
    got_signal = (sig == SIGINT) ? 1 : 2;
}

/* Wipes the text readline's undo list keeps of deletions, and frees it. */
static void
wipe_undo_list(void)
{
    UNDO_LIST *u;

    for (u = rl_undo_list; u != NULL; u = u->next) {
        if (u->text != NULL)
            explicit_bzero(u->text, strlen(u->text));
    }
    rl_free_undo_list();
}

/* Wipes the line being edited, every byte it has used, and the text its undo
 * list keeps of deletions, then leaves it empty. */
static void
wipe_line_buffer(void)
{
    if (rl_end > line_high)
        line_high = rl_end;
    if (rl_line_buffer != NULL && line_high > 0)
        explicit_bzero(rl_line_buffer, (size_t)line_high);
    line_high = 0;
    rl_point = rl_end = 0;
    wipe_undo_list();
}

/* Enter: readline frees the undo list (the text of deletions) unwiped when it
 * accepts a line, so it is wiped here first; then readline's own newline. */
static int
accept_line(int count, int key)
{
    wipe_undo_list();
    return rl_newline(count, key);
}

/*
 * readline's kill commands keep what they erase in its kill ring, which no
 * public call wipes: the usual ones (Ctrl-U, Ctrl-K, Ctrl-W, Meta-Backspace,
 * Meta-D) are rebound to deletions that keep nothing, so Ctrl-Y has nothing
 * to yank; the copy the undo list takes is wiped at once (undo cannot bring
 * erased text back).
 */
static int
word_char(char c)
{
    return isalnum((unsigned char)c) || (unsigned char)c >= 0x80; /* UTF-8 letters */
}

static int
erase(int from, int to)
{
    if (from < to) {
        rl_delete_text(from, to);
        wipe_undo_list(); /* the erased text: no undo brings it back */
    }
    rl_point = from;
    return 0;
}

static int
erase_to_start(int count, int key)
{
    (void)count;
    (void)key;
    return erase(0, rl_point);
}

static int
erase_to_end(int count, int key)
{
    (void)count;
    (void)key;
    return erase(rl_point, rl_end);
}

static int
erase_line(int count, int key)
{
    (void)count;
    (void)key;
    return erase(0, rl_end);
}

static int
erase_blank_word_back(int count, int key)
{
    int p = rl_point;

    (void)count;
    (void)key;
    while (p > 0 && isspace((unsigned char)rl_line_buffer[p - 1]))
        p--;
    while (p > 0 && !isspace((unsigned char)rl_line_buffer[p - 1]))
        p--;
    return erase(p, rl_point);
}

static int
erase_word_back(int count, int key)
{
    int p = rl_point;

    (void)count;
    (void)key;
    while (p > 0 && !word_char(rl_line_buffer[p - 1]))
        p--;
    while (p > 0 && word_char(rl_line_buffer[p - 1]))
        p--;
    return erase(p, rl_point);
}

static int
erase_word(int count, int key)
{
    int p = rl_point, from = rl_point;

    (void)count;
    (void)key;
    while (p < rl_end && !word_char(rl_line_buffer[p]))
        p++;
    while (p < rl_end && word_char(rl_line_buffer[p]))
        p++;
    erase(from, p);
    return 0;
}

/* Enter and the erasing keys, in the emacs and vi keymaps: called after
 * readline has read ~/.inputrc and bound the terminal's own erase keys. */
static void
bind_keys(void)
{
    static const struct {
        rl_command_func_t *was, *now;
    } erasers[] = {
        {rl_unix_line_discard, erase_to_start}, {rl_backward_kill_line, erase_to_start},
        {rl_kill_line, erase_to_end},           {rl_kill_full_line, erase_line},
        {rl_unix_word_rubout, erase_blank_word_back},
        {rl_backward_kill_word, erase_word_back}, {rl_kill_word, erase_word},
    };
    /* The top keymaps: the sequences found include their Meta and Ctrl-X maps. */
    Keymap maps[] = {emacs_standard_keymap, vi_insertion_keymap, vi_movement_keymap};
    size_t i, k, j;

    for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        rl_bind_key_in_map('\r', accept_line, maps[i]);
        rl_bind_key_in_map('\n', accept_line, maps[i]);
        for (k = 0; k < sizeof(erasers) / sizeof(erasers[0]); k++) {
            char **seqs = rl_invoking_keyseqs_in_map(erasers[k].was, maps[i]);
            for (j = 0; seqs != NULL && seqs[j] != NULL; j++) {
                rl_bind_keyseq_in_map(seqs[j], erasers[k].now, maps[i]);
                free(seqs[j]);
            }
            free(seqs);
        }
    }
}

static void
on_line(char *line)
{
    /* Removed here, inside the callback: readline otherwise prepares the terminal
     * again and prints a fresh prompt as soon as this returns, before the command
     * has run (a stray "kizuna> " ahead of every command's output). */
    rl_callback_handler_remove();
    wipe_line_buffer(); /* line is readline's copy of it */
    if (line == NULL)
        pending_eof = 1;
    else
        pending_line = line;
}

/* ---- completion: everything comes from the command table ---- */

static char **completion_words;
static size_t completion_count;

static void
words_reset(void)
{
    size_t i;

    for (i = 0; i < completion_count; i++)
        free(completion_words[i]);
    free(completion_words);
    completion_words = NULL;
    completion_count = 0;
}

static void
words_add(const char *w, size_t n)
{
    size_t i;

    for (i = 0; i < completion_count; i++) {
        if (strlen(completion_words[i]) == n && strncmp(completion_words[i], w, n) == 0)
            return;
    }
    completion_words = kz_xrealloc(completion_words, (completion_count + 1) * sizeof(char *));
    completion_words[completion_count] = kz_xmalloc(n + 1);
    memcpy(completion_words[completion_count], w, n);
    completion_words[completion_count][n] = '\0';
    completion_count++;
}

static char *
generator(const char *text, int state)
{
    static size_t next;
    size_t len = strlen(text);

    if (state == 0)
        next = 0;
    while (next < completion_count) {
        const char *w = completion_words[next++];
        if (strncmp(w, text, len) == 0)
            return kz_xstrdup(w);
    }
    return NULL;
}

static struct kz_state *completing; /* the state completion reads (readline has no context) */

static void
add_word(void *ctx, const char *w)
{
    (void)ctx;
    words_add(w, strlen(w));
}

static char **
complete(const char *text, int start, int end)
{
    char *prefix = kz_xmalloc((size_t)start + 1);
    char **argv = NULL, **matches;
    int argc = 0;

    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    memcpy(prefix, rl_line_buffer, (size_t)start);
    prefix[start] = '\0';
    words_reset();
    if (kz_cmd_split(prefix, &argc, &argv, NULL) == KZ_OK)
        kz_cmd_complete(completing, argc, argv, add_word, NULL);
    kz_cmd_free_argv(argc, argv);
    free(prefix);
    matches = rl_completion_matches(text, generator);
    words_reset();
    return matches;
}

/* ---- the loop ---- */

/* The idle limit of a pager, an editor, a question or inline typing left
 * open (the ui asks when it starts): the idle lock's, while the vault is
 * unlocked. */
static int
pager_idle_limit(void *ctx)
{
    struct kz_state *st = ctx;

    return kz_vault_unlocked(st->vault) ? kz_state_idle_seconds(st) : 0;
}

static void forget_typed(void);

/* The idle lock: the keys, whatever was half typed and the history wiped,
 * and the screen cleared (the notes shown before were left on display). */
static void
lock_idle(struct kz_state *st, int idle)
{
    forget_typed();
    kz_state_lock(st, "idle");
    st->locked_by_idle = 1;
    kz_ui_say(&st->ui, "%svault locked after %d s idle; the next command asks for the "
                       "passphrase\n",
              kz_ui_clear_screen(&st->ui) ? "" : "\n", idle);
}

static const char *
prompt_for(struct kz_state *st)
{
    return kz_vault_unlocked(st->vault) ? "kizuna> " : "kizuna (locked)> ";
}

/* A fresh prompt: readline prepares the terminal and binds the terminal's own
 * erase keys (Ctrl-U, Ctrl-W) to its kill commands again each time, so the
 * keys are bound anew after it. */
static void
show_prompt(struct kz_state *st)
{
    rl_callback_handler_install(prompt_for(st), on_line);
    bind_keys();
}

/* Forgets the lines typed so far (they may hold note text, codes, names), so that
 * Up-arrow on a locked shell shows nothing; history lives in memory only. */
static void
wipe_history(void)
{
    HIST_ENTRY **h = history_list();
    int i;

    for (i = 0; h != NULL && h[i] != NULL; i++) {
        if (h[i]->line != NULL)
            explicit_bzero(h[i]->line, strlen(h[i]->line));
    }
    clear_history();
}

/* readline keeps the lines it drew in two display buffers of its own (what
 * the screen shows and the next frame), and a shorter line leaves the end of
 * a longer one behind: two frames of a blank line as long as any drawn, drawn
 * to /dev/null, overwrite both. The screen keeps what it shows. */
static void
wipe_display(void)
{
    FILE *out = rl_outstream, *null = fopen("/dev/null", "w");
    size_t n = (size_t)display_high + 16;
    char *blank;
    int i;

    if (null == NULL)
        return;
    blank = kz_xmalloc(n + 1);
    memset(blank, ' ', n);
    blank[n] = '\0';
    rl_outstream = null;
    for (i = 0; i < 2; i++) {
        rl_replace_line(blank, 1);
        rl_point = rl_end;
        rl_forced_update_display();
    }
    rl_replace_line("", 1);
    rl_point = rl_end = 0;
    explicit_bzero(rl_line_buffer, n);
    rl_on_new_line(); /* what the screen shows is as it was */
    rl_outstream = out;
    fclose(null);
    free(blank);
    display_high = 0;
}

/* At lock and quit: the history, the display buffers, the line. */
static void
forget_typed(void)
{
    wipe_history();
    wipe_display();
    wipe_line_buffer();
}

static void
run_line(struct kz_state *st, char *line)
{
    char **argv = NULL;
    struct kz_err err;
    int argc = 0;

    kz_err_clear(&err);
    if (kz_cmd_split(line, &argc, &argv, &err) != KZ_OK) {
        kz_ui_error(&st->ui, &err);
        return;
    }
    if (argc > 0) {
        add_history(line); /* in memory only: no history file is ever written */
        kz_cmd_run(st, argc, argv);
    }
    kz_cmd_free_argv(argc, argv);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Offers to create a vault when there is none; returns KZ_OK to go on. */
static int
first_run(struct kz_state *st)
{
    struct stat sb;
    char *init_argv[] = {"init", NULL};

    if (stat(st->vault_path, &sb) == 0)
        return KZ_OK;
    kz_ui_say(&st->ui, "There is no vault at %s yet.\n", st->vault_path);
    if (!kz_ui_confirm("Create a new vault there?")) {
        /* n, Enter or Ctrl-C (kizuna then exits 130): nothing is made */
        kz_ui_say(&st->ui, "Nothing created. 'kizuna --vault PATH' opens another vault.\n");
        return KZ_ENOTFOUND;
    }
    return kz_cmd_run(st, 1, init_argv);
}

/* The pauses of the typing (BUILD_PAUSE seconds without a key) settle the
 * vault file after a command (its WAL checkpoint, kept off the reply) and
 * build search's index after unlock, in slices of about BUILD_SLICE_MS one
 * after the other until a key comes (which then waits at most one slice). */
#define BUILD_PAUSE 0.05
#define BUILD_SLICE_MS 20.0

static void
install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* At quit and Ctrl-D, while unlocked: the notes from past days still unsigned. */
static void
remind_unsigned(struct kz_state *st)
{
    size_t n = 0;

    if (kz_cmd_unsigned_past(st, &n) != KZ_OK || n == 0)
        return;
    kz_ui_say(&st->ui, "%zu note%s from past days %s unsigned: session list --unsigned\n", n,
              n == 1 ? "" : "s", n == 1 ? "is" : "are");
}

/* The idle lock reaching what a command waits on (a note in the editor or
 * typed inline, a question; the screen cleared): the lock as at the prompt,
 * saying what waits, then the passphrase until the vault opens again. -1
 * when the person gives up (Ctrl-C, or an unlock that cannot ask a person):
 * the note is dropped or the question answered no. */
static int
relock_waiting(void *ctx, int seconds, const char *waiting)
{
    struct kz_state *st = ctx;
    struct kz_err err;
    int rc;

    if (st->interactive)
        forget_typed(); /* a one-shot command has no readline to wipe */
    kz_state_lock(st, "idle");
    st->locked_by_idle = 1;
    kz_ui_note(&st->ui, "vault locked after %d s idle; %s", seconds, waiting);
    for (;;) {
        kz_err_clear(&err);
        if ((rc = kz_state_unlock(st, &err)) == KZ_OK) {
            st->locked_by_idle = 0;
            return 0;
        }
        if (strcmp(err.msg, "cancelled") == 0)
            return -1;
        kz_ui_error(&st->ui, &err); /* a vault altered meanwhile says so (exit 4's words) */
        /* Asked again after a wrong passphrase or a busy vault (a backup
         * writing), and only where a person answers: a passphrase file that
         * failed once fails the same way each time. */
        if ((rc != KZ_EAUTH && rc != KZ_EBUSY) || !kz_state_unlock_asks(st))
            return -1;
    }
}

void
kz_shell_guard_one_shot(struct kz_state *st)
{
    if (!kz_state_unlock_asks(st))
        return;
    st->ui.idle_limit = pager_idle_limit;
    st->ui.idle_relock = relock_waiting;
    st->ui.idle_ctx = st;
}

/* Long (about 115 lines): the readline loop with its idle lock, signals,
 * re-prompt after a rekey and wiping, kept as one loop so the order of those
 * steps each turn can be read at once. */
int
kz_shell_run(struct kz_state *st)
{
    char *unlock_argv[] = {"unlock", NULL};
    double last_input;
    sigset_t sigs, unblocked;
    int rc, build_more = 1, sliced = 0;

    completing = st;
    st->settle_later = 1; /* in the pauses: kz_cmd_pause */
    rl_readline_name = "kizuna";
    rl_attempted_completion_function = complete;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 1;
    install_signals();
    st->ui.idle_limit = pager_idle_limit; /* a pager or an editor left open locks too */
    st->ui.idle_relock = relock_waiting;
    st->ui.idle_ctx = st;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);

    if ((rc = first_run(st)) != KZ_OK)
        return rc;
    kz_ui_say(&st->ui, "kizuna — %s\n'help' lists the commands; Ctrl-D locks and leaves.\n",
              st->vault_path);
    if (!kz_vault_unlocked(st->vault) && (rc = kz_cmd_run(st, 1, unlock_argv)) != KZ_OK)
        return rc;

    last_input = now_s();
    show_prompt(st);
    while (!st->quit) {
        fd_set fds;
        struct timespec ts, *tsp = NULL;
        int idle = kz_vault_unlocked(st->vault) ? kz_state_idle_seconds(st) : 0;
        int n, was_unlocked, e;
        int building = build_more;

        if (idle > 0 || building) {
            double left = idle > 0 ? last_input + idle - now_s() : BUILD_PAUSE;
            if (left < 0)
                left = 0;
            if (building && left > (sliced ? 0 : BUILD_PAUSE))
                left = sliced ? 0 : BUILD_PAUSE; /* then a slice of search's index */
            ts.tv_sec = (time_t)left;
            ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
            tsp = &ts;
        }
        FD_ZERO(&fds);
        FD_SET(fileno(rl_instream), &fds);
        /* The signals stay blocked from the check of got_signal until pselect()
         * waits: one that came just before (while a key or a command was being
         * handled) is seen now, not after the next key. */
        sigprocmask(SIG_BLOCK, &sigs, &unblocked);
        if (got_signal != 0) {
            n = -1;
            e = EINTR;
        } else {
            n = pselect(fileno(rl_instream) + 1, &fds, NULL, NULL, tsp, &unblocked);
            e = errno;
        }
        sigprocmask(SIG_SETMASK, &unblocked, NULL);
        if (n < 0 && e == EINTR) {
            if (got_signal == 2)
                break;
            if (got_signal == 1) {
                /* Ctrl-C: drop the line being typed, fresh prompt. */
                got_signal = 0;
                wipe_line_buffer();
                rl_replace_line("", 1);
                rl_crlf();
                rl_on_new_line();
                rl_redisplay();
            }
            continue;
        }
        if (n < 0)
            break;
        if (n == 0 && building && (idle <= 0 || now_s() < last_input + idle)) {
            /* A pause in the typing: a slice of search's in-memory index. */
            build_more = kz_cmd_pause(st, BUILD_SLICE_MS);
            sliced = 1;
            continue;
        }
        if (n == 0) {
            /* Idle: wipe the keys, whatever was half typed and the history. */
            rl_callback_handler_remove();
            lock_idle(st, idle);
            build_more = 1; /* the lock's audit event: settled in the next pause */
            show_prompt(st);
            continue;
        }
        last_input = now_s();
        sliced = 0; /* a key: the next slice waits for a pause again */
        rl_callback_read_char();
        if (rl_end > line_high)
            line_high = rl_end;
        if (rl_end + 32 > display_high)
            display_high = rl_end + 32; /* and the prompt */
        if (pending_eof) {
            kz_ui_say(&st->ui, "\n");
            break;
        }
        if (pending_line != NULL) {
            char *line = pending_line;
            pending_line = NULL;
            /* on_line gave the terminal back: the command may ask a passphrase. */
            was_unlocked = kz_vault_unlocked(st->vault);
            run_line(st, line);
            explicit_bzero(line, strlen(line));
            free(line);
            if (st->ui.idle_expired) { /* its output was left in the pager that long */
                st->ui.idle_expired = 0;
                if (kz_vault_unlocked(st->vault))
                    lock_idle(st, kz_state_idle_seconds(st));
            }
            if (was_unlocked && !kz_vault_unlocked(st->vault))
                forget_typed(); /* 'lock' forgets the lines as the idle lock does */
            if (got_signal == 1)
                got_signal = 0; /* a Ctrl-C while the command ran is spent */
            build_more = 1; /* it may have unlocked, locked or changed records */
            last_input = now_s();
            if (!st->quit)
                show_prompt(st);
        }
    }
    rl_callback_handler_remove();
    if (got_signal != 2)
        remind_unsigned(st);
    kz_state_lock(st, "quit");
    forget_typed();
    words_reset();
    return KZ_OK;
}
