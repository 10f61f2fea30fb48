/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_CMD_H
#define KIZUNA_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "kizuna/err.h"
#include "kizuna/ui.h"
#include "kizuna/vault.h"

/*
 * The command table: one source of truth for the shell, one-shot mode,
 * scripts, help and completion (STYLE.md, after tmux's cmd_entry).
 */
enum {
    CMD_NEEDS_KEY = 1 << 0,   /* unlock first */
    CMD_WRITES = 1 << 1,      /* runs inside one write transaction */
    CMD_NO_VAULT = 1 << 2,    /* does not open the vault first (init, help, quit, keygen) */
    CMD_SHELL = 1 << 3,       /* meaningful in the interactive shell only */
};

struct kz_cmd_entry;

/* The one state every command receives first (after SQLite's ShellState). */
struct kz_state {
    struct kz_ui ui;
    struct kz_vault *vault;     /* opened on first need */
    char *vault_path;
    int passphrase_fd;          /* -1 if not given */
    char *passphrase_file;
    char *recovery_file;
    int interactive;            /* the readline shell on a terminal */
    int idle_lock;              /* seconds, 0 = never; -1 = not set on the command line */
    int keep_going;
    int quit;                   /* set by quit: the shell or script stops */
    int locked_by_idle;         /* the shell locked the vault after idle time */
    FILE *script_in;            /* where inline text comes from (script or piped stdin) */
    int script_fd;              /* the descriptor a script is read from, -1 if none */
    size_t script_ahead;        /* bytes of it read ahead, not yet taken */
    int want_recovery;          /* unlock --recovery: the terminal asks for the recovery key */
    int offer_passwd;           /* unlocked with the recovery key (1) or custodian shares
                                   (2): offer a new passphrase */
    int want_shares;            /* unlock --shares: the terminal asks for custodian shares */
    char *share_files[16];      /* --share-file F, repeated: custodian shares (scripts) */
    int nshare_files;
    int unlock_hint_shown;      /* the shell said how to reach the recovery key */
    const char *script_name;    /* while a script runs: its name and the line being run, */
    int script_line;            /* which start each error message ("nightly.kz:3: ...") */
    char audit_ref[64];         /* the record a command touched, for the audit trail */
    int audited;                /* the command saved its own event (export: before its
                                   file or bytes appear) */
    int pager_setting;          /* config pager as last read: 0 unknown, 1 on, 2 off */
    const struct kz_cmd_entry *const *cmds; /* the command table (kz_cmd_run sets it;
                                               help reads it) */
    /* The parser's state for the running command (kz_cmd_parse; kz_cmd_run
     * clears it before and after the command): */
    const char *first_positional; /* the first positional argument it gave: the record
                                     it names, for the audit trail when the command
                                     set no audit_ref (only kz_cmd_parse knows which
                                     words are option values: export -o FILE C014) */
    char *rest_text;            /* the free text after "--" (KZ_OPT_REST), wiped */
    int settle_later;           /* the shell: a command's WAL checkpoint waits for the
                                   pause after its reply (kz_cmd_pause) */
    int one_shot;               /* one command from the command line: nothing is kept
                                   for a later command (search builds no index) */
    char *unlock_pass;          /* the passphrase the running command unlocked with
                                   (secure memory), so that a rekey need not ask for
                                   it again; wiped when the command ends */
    size_t unlock_passlen;
    int hold_pass;              /* kz_cmd_run: an unlock keeps its passphrase */
    /* The texts the running command was given (kz_cmd_text), in order, so
     * that a run again (another process wrote while it waited for a person)
     * gets the same ones; wiped when the command ends. */
    char *memo[8];
    size_t memo_len[8];
    char memo_kind[8];          /* 't' a text, 'a' a question's answer, 'c' a
                                   choice, 'f' a file's bytes */
    char *memo_secret;          /* a passphrase typed for the command (secure memory) */
    size_t memo_secret_len;
    int memo_secret_taken;      /* this run has had it (one per command) */
    int memo_n, memo_pos;
    struct kz_search_cache *search; /* search's in-memory index of the notes' words
                                       (src/cmd/search.c): wiped whenever the vault
                                       locks, and at kz_state_free; never on disk */
};

struct kz_cmd_entry {
    const char *name;           /* "init", "config set": one or two words */
    const char *usage;          /* arguments after the name */
    const char *summary;        /* one line */
    const char *detail;         /* further lines for help CMD, or NULL */
    int flags;
    const char *const *options; /* "--json"-style names for completion, NULL-terminated */
    int (*exec)(struct kz_state *st, int argc, char **argv, struct kz_err *err);
};

/* Option parsing inside a command. */
struct kz_opt {
    const char *name;     /* long name without dashes, e.g. "kdf-memory" */
    char short_name;      /* e.g. 'o', or 0 */
    int has_arg;          /* 0 flag, 1 value, KZ_OPT_REPEAT: value may repeat */
    const char **value;   /* set to the argument; REPEAT: an array of KZ_OPT_MAX */
    int *flag;            /* set to 1 when present; REPEAT: the count */
};
#define KZ_OPT_REPEAT 2
#define KZ_OPT_MAX 16
/* has_arg KZ_OPT_REST (name ""): everything after a lone "--" is one free text,
 * the remaining words joined by single spaces (the shell and scripts hand the
 * raw rest of the line as one word); value is set to it ("" when nothing
 * follows). It may share value with a --text option: given both, a usage error. */
#define KZ_OPT_REST 3

void kz_state_init(struct kz_state *st);
/* Locks and closes the vault, wipes and frees everything the state holds. */
void kz_state_free(struct kz_state *st);
/* Wipes the passphrase the running command unlocked with (kz_cmd_run, as
 * each command ends). */
void kz_state_drop_pass(struct kz_state *st);

/* The whole table: entry pointers in help order, NULL-terminated. */
const struct kz_cmd_entry *const *kz_cmd_table(void);

/* Finds the entry for argv (unique prefixes allowed: "conf l" is "config list").
 * On success *used is the number of words the name took. KZ_EUSAGE when unknown
 * or ambiguous, naming the candidates. */
int kz_cmd_find(int argc, char **argv, const struct kz_cmd_entry **out, int *used,
                struct kz_err *err);
/* The same in the table t (a command that reads the table, help, gets it from
 * st->cmds). */
int kz_cmd_find_in(const struct kz_cmd_entry *const *t, int argc, char **argv,
                   const struct kz_cmd_entry **out, int *used, struct kz_err *err);

/* "Did you mean": offer each known word, then ask for the one nearest to
 * typed (a letter or two added, dropped, changed or swapped; fewer for short
 * words; case does not count). NULL when none is near, two are equally near,
 * or typed is one of them. */
struct kz_nearest {
    const char *typed, *best;
    unsigned dist;
    int tied;
};
void kz_nearest_init(struct kz_nearest *n, const char *typed);
/* The same for a long option as typed ("--limt" or "--limt=5"): its name,
 * without the dashes and any value, goes into buf (size bytes, cut if
 * longer), which n then reads. */
void kz_nearest_init_option(struct kz_nearest *n, const char *arg, char *buf, size_t size);
void kz_nearest_offer(struct kz_nearest *n, const char *word);
const char *kz_nearest_word(const struct kz_nearest *n);

/* Runs one command line (argv already split). Returns its kz code; on failure
 * the error has been reported through st->ui. */
int kz_cmd_run(struct kz_state *st, int argc, char **argv);

/* Splits a line like a POSIX shell does for words: blanks separate, '...'
 * and "..." quote, backslash escapes; '#' at a word start begins a comment;
 * an unquoted ~ or ~/ starting a word is $HOME (an absolute one), as in sh.
 * A lone unquoted "--" ends the splitting: it is a word, and the rest of the
 * line after it (and the blanks that follow it) is one more word, verbatim
 * (quotes, backslashes, '#' kept), unless it is empty.
 * Returns KZ_OK (argv malloc'd, argc may be 0) or KZ_EUSAGE for an open quote. */
int kz_cmd_split(const char *line, int *argc, char ***argv, struct kz_err *err);
void kz_cmd_free_argv(int argc, char **argv);

/* Runs commands from fd (a pipe or -f file), one a line; stops at the first
 * failure unless keep_going. Returns the status of the last failing command. */
int kz_cmd_run_script(struct kz_state *st, int fd, const char *name);

/* Makes sure the vault is open (KZ_ENOTFOUND if there is none) / unlocked
 * (asks for the passphrase through the configured route). */
int kz_state_open(struct kz_state *st, struct kz_err *err);
int kz_state_unlock(struct kz_state *st, struct kz_err *err);
/* 1 when kz_state_unlock would ask a person on the terminal: no secret given
 * by option (a passphrase file or descriptor, a recovery-key or share file),
 * and a terminal to ask on. An idle lock is worth making only then: an
 * unlock from a file reads it again, and nobody has to come back. */
int kz_state_unlock_asks(const struct kz_state *st);
/* The idle lock's time in seconds (0: never): --idle-lock, else the
 * idle-lock setting, else KZ_IDLE_LOCK_DEFAULT. */
#define KZ_IDLE_LOCK_DEFAULT 600
int kz_state_idle_seconds(struct kz_state *st);

/* Parses argv against opts; positional arguments are gathered into pos
 * (at most maxpos). KZ_EUSAGE with a message naming the command otherwise.
 * After "--": the free text (KZ_OPT_REST) if opts has one, else positionals
 * only. The free text (st->rest_text) lives until the next parse or
 * kz_cmd_parse_end; the first positional of the command is kept in
 * st->first_positional. */
int kz_cmd_parse(struct kz_state *st, const char *cmd, int argc, char **argv,
                 const struct kz_opt *opts, char **pos, int maxpos, int *npos,
                 struct kz_err *err);
/* Wipes the free text and forgets the first positional (kz_cmd_run calls it
 * before and after each command). */
void kz_cmd_parse_end(struct kz_state *st);

/* Completion: calls add for each word that may come after argv: command words,
 * the entry's options, and while unlocked couple CODEs, session and goal ids
 * and themes where the command takes them. Never asks for a passphrase. */
void kz_cmd_complete(struct kz_state *st, int argc, char **argv,
                     void (*add)(void *ctx, const char *word), void *ctx);

/* Logs the lock (how: "manual", "idle", "quit") and wipes the keys. */
void kz_state_lock(struct kz_state *st, const char *how);

/* How many notes dated before today are neither signed nor void, closed (archived)
 * couples' left out (they cannot be signed) (the shell's
 * reminder at quit): KZ_OK and *n, or a kz code (KZ_EAUTH when locked). Only
 * reads; asks nothing. */
int kz_cmd_unsigned_past(struct kz_state *st, size_t *n);

/* Sealed settings (config): the idle-lock time in seconds, or -1 if unset. */
int kz_config_idle_lock(struct kz_state *st);
/* The pager setting: 1 on (the default), 0 off; -1 when the vault is locked. */
int kz_config_pager(struct kz_state *st);

/* The shell's idle time: builds search's in-memory index a slice at a time
 * (about budget_ms of work) after unlock, so that a search needs only the
 * index. Returns 1 while there is more to do, 0 when it is whole (or there
 * is nothing to build: locked, a one-shot process). */
int kz_search_idle(struct kz_state *st, double budget_ms);
/* The shell's pause after a reply (no key for a moment): the vault file
 * brought up to date (kz_vault_settle: the WAL checkpoint a one-shot or a
 * script makes before it replies, kept off the shell's reply), SQLite's page
 * cache given back (kz_vault_trim, which a script does after each command),
 * then a slice of kz_search_idle. Returns what kz_search_idle returns. */
int kz_cmd_pause(struct kz_state *st, double budget_ms);

#endif
