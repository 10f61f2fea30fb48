/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The interactive shell: GNU readline's callback interface inside a select()
 * loop, so that the vault can lock itself after idle time while a prompt is
 * waiting. No history file is ever written; Ctrl-C cancels the line; Ctrl-D
 * or quit locks and leaves.
 */
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

static void
on_signal(int sig)
{
    got_signal = (sig == SIGINT) ? 1 : 2;
}

/* Wipes the line being edited (and its undo list), then leaves it empty. */
static void
wipe_line_buffer(void)
{
    if (rl_line_buffer != NULL && rl_end > 0)
        explicit_bzero(rl_line_buffer, (size_t)rl_end);
    rl_point = rl_end = 0;
    rl_free_undo_list();
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

static int
idle_seconds(struct kz_state *st)
{
    int cfg;

    if (st->idle_lock >= 0)
        return st->idle_lock;
    cfg = kz_config_idle_lock(st);
    return cfg >= 0 ? cfg : KZ_IDLE_LOCK_DEFAULT;
}

static const char *
prompt_for(struct kz_state *st)
{
    return kz_vault_unlocked(st->vault) ? "kizuna> " : "kizuna (locked)> ";
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
        kz_ui_say(&st->ui, "Nothing created. 'kizuna --vault PATH' opens another vault.\n");
        return KZ_ENOTFOUND;
    }
    return kz_cmd_run(st, 1, init_argv);
}

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

int
kz_shell_run(struct kz_state *st)
{
    char *unlock_argv[] = {"unlock", NULL};
    double last_input;
    sigset_t sigs, unblocked;
    int rc;

    completing = st;
    rl_readline_name = "kizuna";
    rl_attempted_completion_function = complete;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 1;
    install_signals();
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
    rl_callback_handler_install(prompt_for(st), on_line);
    while (!st->quit) {
        fd_set fds;
        struct timespec ts, *tsp = NULL;
        int idle = kz_vault_unlocked(st->vault) ? idle_seconds(st) : 0, n, was_unlocked, e;

        if (idle > 0) {
            double left = last_input + idle - now_s();
            if (left < 0)
                left = 0;
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
        if (n == 0) {
            /* Idle: wipe the keys, whatever was half typed and the history. */
            rl_callback_handler_remove();
            wipe_line_buffer();
            wipe_history();
            kz_state_lock(st, "idle");
            st->locked_by_idle = 1;
            kz_ui_say(&st->ui, "\nvault locked after %d s idle; the next command asks for the "
                               "passphrase\n", idle);
            rl_callback_handler_install(prompt_for(st), on_line);
            continue;
        }
        last_input = now_s();
        rl_callback_read_char();
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
            if (was_unlocked && !kz_vault_unlocked(st->vault))
                wipe_history(); /* 'lock' forgets the lines as the idle lock does */
            if (got_signal == 1)
                got_signal = 0; /* a Ctrl-C while the command ran is spent */
            last_input = now_s();
            if (!st->quit)
                rl_callback_handler_install(prompt_for(st), on_line);
        }
    }
    rl_callback_handler_remove();
    kz_state_lock(st, "quit");
    wipe_history();
    words_reset();
    return KZ_OK;
}
