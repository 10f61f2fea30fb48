/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The dispatcher: runs one command line through the table (kz_cmd_run): finds
 * the entry, opens or unlocks the vault, holds the command in one transaction
 * with its audit event, reports its error; and runs scripts line by line.
 * Everything a command calls lives below it (parse.c, state.c, events.c, ...):
 * the dispatcher -> the table -> the command files -> their helpers, one way. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/xalloc.h"
#include "cmds.h"

/* Commands whose output is held (for the pager) although they neither write
 * nor are views: long texts a person reads on a terminal. */
static int
paged_anyway(const char *name)
{
    static const char *const names[] = {"help", "audit log", "themes", "themes list",
                                        "config list", NULL};
    size_t i;

    for (i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], name) == 0)
            return 1;
    }
    return 0;
}

/* Takes --no-pager out of a command's words (up to a "--"): every command
 * accepts it. Returns 1 if it was there; argv keeps the other words in order. */
static int
take_no_pager(int *argc, char **argv)
{
    int i, k, found = 0;

    for (i = k = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < *argc)
                argv[k++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--no-pager") == 0)
            found = 1;
        else
            argv[k++] = argv[i];
    }
    *argc = k;
    argv[k] = NULL;
    return found;
}

/* After a command that unlocked with the recovery key, a person at the
 * terminal is offered a new passphrase at once (passwd). Returns rc, or what
 * passwd returned when it failed. */
static int
offer_new_passphrase(struct kz_state *st, int rc)
{
    char *passwd_argv[] = {"passwd", NULL};
    int prc, shares = st->offer_passwd == 2, idle, yes;

    if (st->offer_passwd == 0 || rc != KZ_OK || st->vault == NULL ||
        !kz_vault_unlocked(st->vault))
        return rc;
    st->offer_passwd = 0;
    if (st->script_name != NULL || st->script_in != NULL ||
        !(st->interactive || kz_ui_have_terminal()))
        return rc;
    /* Unanswered for the idle time, the offer is declined: it must not keep
     * the vault unlocked for as long as nobody comes back. */
    idle = kz_state_idle_seconds(st);
    if ((yes = kz_ui_confirm_yes_within(
             shares ? "Unlocked with custodian shares. Set a new passphrase now?"
                    : "Unlocked with the recovery key. Set a new passphrase now?",
             idle)) <= 0) {
        if (yes < 0)
            kz_ui_say(&st->ui, "No answer within %d s: ", idle);
        kz_ui_say(&st->ui, "The passphrase is unchanged; 'passwd' sets a new one.\n");
        return rc;
    }
    prc = kz_cmd_run(st, 1, passwd_argv);
    return prc != KZ_OK ? prc : rc;
}

/* Opens or unlocks the vault as e needs, then begins the transaction every
 * command that uses the key runs in: a change in one write transaction,
 * anything else in one read snapshot. *began: 1 write, 2 read, 0 none. */
static int
begin_command(struct kz_state *st, const struct kz_cmd_entry *e, int *began,
              struct kz_err *err)
{
    int rc, writes = (e->flags & CMD_WRITES) != 0;

    *began = 0;
    if (!(e->flags & CMD_NO_VAULT)) {
        rc = (e->flags & CMD_NEEDS_KEY) ? kz_state_unlock(st, err) : kz_state_open(st, err);
        if (rc != KZ_OK)
            return rc;
    }
    if (!(e->flags & CMD_NEEDS_KEY) || st->vault == NULL)
        return KZ_OK;
    rc = writes ? kz_vault_begin(st->vault, err) : kz_vault_begin_read(st->vault, err);
    if (rc == KZ_EAUTH && !kz_vault_unlocked(st->vault) && st->interactive) {
        /* Re-keyed by another process: this shell's key is gone; ask again. */
        kz_ui_warn(&st->ui, "%s", err->msg);
        kz_err_clear(err);
        if ((rc = kz_state_unlock(st, err)) == KZ_OK)
            rc = writes ? kz_vault_begin(st->vault, err) : kz_vault_begin_read(st->vault, err);
    }
    if (rc == KZ_OK)
        *began = writes ? 1 : 2;
    return rc;
}

/* Holds what the command prints until its transaction is saved: a view no
 * audit event could note is not shown (fail closed), and a change whose
 * commit failed (a full disk) does not say it was made. The pager
 * (src/ui/pager.c): on a terminal, unless --no-pager or 'config set pager
 * off' said otherwise (read whenever the vault is unlocked; kept for the
 * commands run while it is locked). */
static void
hold_output(struct kz_state *st, const struct kz_cmd_entry *e, const char *event, int began,
            int no_pager)
{
    if (!no_pager && !st->ui.no_pager && isatty(STDOUT_FILENO)) {
        int on = kz_config_pager(st);
        if (on >= 0)
            st->pager_setting = on ? 1 : 2;
        st->ui.page = st->pager_setting != 2;
    }
    if (began == 1 || (event != NULL && strcmp(event, "view") == 0) ||
        (st->ui.page && paged_anyway(e->name)))
        kz_ui_hold(&st->ui);
}

/* After a command that succeeded: its audit event, unless it saved its own.
 * The event joins the command's own transaction: both or neither. */
static int
record_event(struct kz_state *st, const struct kz_cmd_entry *e, const char *event,
             struct kz_err *err)
{
    const char *ref = st->audit_ref;

    if (event == NULL || st->audited || st->vault == NULL)
        return KZ_OK;
    if (*ref == '\0' && strcmp(e->name, "search") != 0 && st->first_positional != NULL)
        ref = st->first_positional; /* never the search query */
    return strcmp(event, "view") == 0 ? kz_audit_first(st, event, e->name, ref, "not shown", err)
                                      : kz_audit_event(st, event, e->name, ref, NULL, err);
}

/* Reports a failed command through st->ui, prefixed with the script's name
 * and line while a script runs. */
static void
report_failure(struct kz_state *st, int argc, char **argv, int rc, struct kz_err *err)
{
    if (err->msg[0] == '\0')
        kz_fail(err, rc, "%s failed", argc > 0 ? argv[0] : "command");
    err->code = rc;
    if (st->script_name != NULL) {
        char msg[sizeof(err->msg)];
        int at = snprintf(msg, sizeof(msg), "%s:%d: ", st->script_name, st->script_line);
        size_t n = strlen(err->msg);
        if (at > 0 && (size_t)at < sizeof(msg)) {
            if (n > sizeof(msg) - (size_t)at - 1)
                n = sizeof(msg) - (size_t)at - 1;
            memcpy(msg + at, err->msg, n);
            msg[(size_t)at + n] = '\0';
            memcpy(err->msg, msg, sizeof(msg));
        }
        explicit_bzero(msg, sizeof(msg));
    }
    kz_ui_error(&st->ui, err);
}

/* When no command follows at once (the shell waits for a person, a one-shot
 * command ends, a script's next line has not come yet), the changes made so
 * far go from the log into the vault file itself: a vault moved or copied
 * now is whole. Within a script whose lines are already there, commits do
 * this at most every 500 ms (kz_store_checkpoint), and its end does the rest. */
static void
settle_if_idle(struct kz_state *st)
{
    struct pollfd p = {st->script_fd, POLLIN, 0};
    struct stat sb;
    int more = 0;

    if (st->vault == NULL || st->settle_later)
        return; /* the shell settles in the pause after its reply (kz_cmd_pause) */
    if (st->script_name != NULL && st->script_fd >= 0) {
        if (st->script_ahead > 0)
            more = 1;
        else if (fstat(st->script_fd, &sb) == 0 && S_ISREG(sb.st_mode))
            more = lseek(st->script_fd, 0, SEEK_CUR) < sb.st_size;
        else
            more = poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
    }
    if (!more)
        kz_vault_settle(st->vault);
}

int
kz_cmd_pause(struct kz_state *st, double budget_ms)
{
    if (st->vault != NULL) {
        kz_vault_settle(st->vault);
        kz_vault_trim(st->vault, 0); /* nor the shell, in its pause */
    }
    return kz_search_idle(st, budget_ms);
}

int
kz_cmd_run(struct kz_state *st, int argc, char **argv)
{
    const struct kz_cmd_entry *e = NULL;
    const char *event;
    struct kz_err err;
    int rc, used = 0, began = 0, no_pager, nargs = 0, attempt;
    char **args = NULL;

    kz_err_clear(&err);
    st->ui.emitted = 0;
    st->ui.page = 0;
    st->cmds = kz_cmd_table();
    if ((rc = kz_cmd_find_in(st->cmds, argc, argv, &e, &used, &err)) != KZ_OK)
        goto out;
    /* The command's own words, without --no-pager (a copy of the pointers:
     * the caller frees argv as it gave it). */
    nargs = argc - used;
    args = kz_xcalloc((size_t)nargs + 1, sizeof(*args));
    memcpy(args, argv + used, (size_t)nargs * sizeof(*args));
    no_pager = take_no_pager(&nargs, args);
    if (e == NULL) { /* kz_cmd_find never does this; the analyzer cannot tell */
        rc = kz_fail(&err, KZ_EUSAGE, "unknown command '%s' (try 'help')", argv[0]);
        goto out;
    }
    st->hold_pass = 1; /* an unlock by this command keeps its passphrase until it ends */
    for (attempt = 0;; attempt++) {
        if ((rc = begin_command(st, e, &began, &err)) != KZ_OK)
            goto out;
        st->audit_ref[0] = '\0';
        st->audited = 0;
        kz_cmd_parse_end(st);
        event = kz_audit_event_of(e->name);
        hold_output(st, e, event, began, no_pager);
        st->memo_pos = 0;
        st->memo_secret_taken = 0;
        rc = e->exec(st, nargs, args, &err);
        if (rc != KZ_CMD_AGAIN)
            break;
        /* Another process wrote while the command waited for its text (the
         * editor): it runs again from the new state with the same text, and
         * what it printed the first time is not shown. */
        kz_cmd_parse_end(st);
        if (began == 1)
            kz_vault_rollback(st->vault);
        else if (began == 2)
            kz_vault_end_read(st->vault);
        kz_ui_release(&st->ui, 0);
        kz_err_clear(&err);
        if (attempt == 4) {
            rc = kz_fail(&err, KZ_EBUSY, "the vault kept changing while the text was typed; "
                                         "nothing was saved");
            goto out;
        }
    }
    if (rc == KZ_OK)
        rc = record_event(st, e, event, &err);
    kz_cmd_parse_end(st);
    if (began == 1) {
        if (rc == KZ_OK)
            rc = kz_vault_commit(st->vault, &err);
        else
            kz_vault_rollback(st->vault);
    } else if (began == 2) {
        kz_vault_end_read(st->vault);
    }
    settle_if_idle(st); /* before the command says it is done */
    if (!st->one_shot && !st->settle_later && st->vault != NULL)
        kz_vault_trim(st->vault, 1); /* a script keeps no walk's pages resident */
    if (kz_ui_release(&st->ui, rc == KZ_OK) != 0 && rc == KZ_OK)
        rc = kz_fail(&err, KZ_ERR, "cannot write the output: %s", strerror(errno));
out:
    st->hold_pass = 0;
    kz_state_drop_pass(st);
    kz_cmd_text_forget(st);
    settle_if_idle(st);
    if (rc != KZ_OK)
        report_failure(st, argc, argv, rc, &err);
    free(args);
    st->ui.page = 0;
    return offer_new_passphrase(st, rc);
}


/* A script read through a counter of the line ends it gave: the lines a
 * command read as its note (up to a lone '.') count too, so that an error
 * names the line of the script it came from. A script file is read ahead
 * into buf (ours, wiped at the end); stdio itself buffers nothing. */
struct script_src {
    int fd;
    long newlines;
    char *buf;
    size_t pos, len;
    struct kz_state *st; /* its script_ahead follows pos and len */
};

#define SCRIPT_BUF 65536

static ssize_t
script_read(void *cookie, char *buf, size_t size)
{
    struct script_src *src = cookie;
    ssize_t n, i;

    if (src->buf != NULL && src->pos == src->len) {
        do
            n = read(src->fd, src->buf, SCRIPT_BUF);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
            return n;
        src->pos = 0;
        src->len = (size_t)n;
    }
    if (src->buf != NULL) {
        n = (ssize_t)(size < src->len - src->pos ? size : src->len - src->pos);
        memcpy(buf, src->buf + src->pos, (size_t)n);
        src->pos += (size_t)n;
        src->st->script_ahead = src->len - src->pos;
    } else {
        do
            n = read(src->fd, buf, size);
        while (n < 0 && errno == EINTR);
    }
    for (i = 0; i < n; i++)
        src->newlines += buf[i] == '\n';
    return n;
}

/* The next line of a script read ahead (src->buf), as kz_ui_read_line reads
 * one from the stream: without its '\n' (nor a '\r' before it); 0 at the
 * end. Taken from the buffer in chunks, not a byte at a time through stdio
 * (the stream is unbuffered, so the two never hold the same bytes). */
static int
script_line(struct script_src *src, struct kz_buf *line)
{
    int got = 0;

    kz_buf_clear(line);
    for (;;) {
        const char *p, *nl;
        size_t n;
        ssize_t r;
        if (src->pos == src->len) {
            do
                r = read(src->fd, src->buf, SCRIPT_BUF);
            while (r < 0 && errno == EINTR);
            if (r <= 0)
                break;
            src->pos = 0;
            src->len = (size_t)r;
        }
        p = src->buf + src->pos;
        nl = memchr(p, '\n', src->len - src->pos);
        n = nl != NULL ? (size_t)(nl - p) : src->len - src->pos;
        kz_buf_addn(line, p, n);
        src->pos += n + (nl != NULL);
        src->st->script_ahead = src->len - src->pos;
        got = 1;
        if (nl != NULL) {
            src->newlines++;
            break;
        }
    }
    if (line->len > 0 && line->p[line->len - 1] == '\r')
        line->p[--line->len] = '\0';
    return got;
}

static int
script_close(void *cookie)
{
    return close(((struct script_src *)cookie)->fd);
}

int
kz_cmd_run_script(struct kz_state *st, int fd, const char *name)
{
    static const cookie_io_functions_t io = {script_read, NULL, NULL, script_close};
    struct script_src src = {-1, 0, NULL, 0, 0, st};
    FILE *f = NULL;
    struct kz_buf line = {NULL, 0, 0};
    int status = KZ_OK, lineno = 0, dupfd;
    struct stat sb;

    dupfd = src.fd = dup(fd);
    if (dupfd < 0 || (f = fopencookie(&src, "r", io)) == NULL) {
        struct kz_err err;
        kz_fail(&err, KZ_ERR, "cannot read %s: %s", name, strerror(errno));
        kz_ui_error(&st->ui, &err);
        if (dupfd >= 0)
            close(dupfd);
        return KZ_ERR;
    }
    /* Unbuffered: stdio's buffer would keep the lines read (notes given with
     * --text, search words) where nothing wipes them; line wipes its own. A
     * script file (-f) is read ahead into src.buf, wiped at the end; a script
     * on standard input a byte at a time, so that a command reading standard
     * input itself (backup restore -) gets what follows its line. */
    setvbuf(f, NULL, _IONBF, 0);
    if (fd != STDIN_FILENO && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        src.buf = kz_xmalloc(SCRIPT_BUF);
    st->script_in = f;
    st->script_fd = fd;
    while (!st->quit && (lineno = (int)src.newlines + 1,
                         src.buf != NULL ? script_line(&src, &line) : kz_ui_read_line(f, &line))) {
        struct kz_err err;
        char **argv = NULL;
        int argc = 0, rc;
        st->script_name = name;
        st->script_line = lineno;
        kz_err_clear(&err);
        if (kz_cmd_split(kz_buf_str(&line), &argc, &argv, &err) != KZ_OK) {
            kz_fail(&err, KZ_EUSAGE, "%s:%d: unterminated quote", name, lineno);
            kz_ui_error(&st->ui, &err);
            rc = KZ_EUSAGE;
        } else if (argc == 0) {
            rc = KZ_OK;
        } else {
            rc = kz_cmd_run(st, argc, argv);
        }
        kz_cmd_free_argv(argc, argv);
        if (rc != KZ_OK) {
            status = rc;
            if (!st->keep_going)
                break;
        }
    }
    kz_buf_free(&line);
    if (st->vault != NULL)
        kz_vault_settle(st->vault);
    st->script_in = NULL;
    st->script_fd = -1;
    st->script_ahead = 0;
    st->script_name = NULL;
    fclose(f);
    if (src.buf != NULL) {
        explicit_bzero(src.buf, SCRIPT_BUF);
        free(src.buf);
    }
    return status;
}
