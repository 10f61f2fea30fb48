/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where note text comes from, and confirmations. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "cmds.h"

#define TEXT_FILE_MAX (4 * 1024 * 1024)

/* Set by a Ctrl-C while typed text is read (its own handler, for that read
 * only): ppoll() may report the terminal readable and run the handler in the
 * same call, so its return value alone would lose that Ctrl-C. */
static volatile sig_atomic_t typing_cancelled;

static void
on_typing_sigint(int sig)
{
    (void)sig;
    typing_cancelled = 1;
}

/* Waits until fd can be read with SIGINT let in only meanwhile (ppoll): a
 * Ctrl-C typed just before the wait is not lost while a read blocks.
 * Returns 0 when readable, -1 when a Ctrl-C came, 1 when nothing came within
 * seconds (0: no limit). */
static int
wait_readable(int fd, const sigset_t *let_in, int seconds)
{
    struct pollfd p = {fd, POLLIN, 0};
    struct timespec ts = {seconds, 0};
    int n;

    if (typing_cancelled)
        return -1;
    if ((n = ppoll(&p, 1, seconds > 0 ? &ts : NULL, let_in)) < 0 && errno != EINTR)
        return 0; /* the read says what is wrong */
    if (typing_cancelled)
        return -1;
    return n == 0 ? 1 : 0;
}

/* Reads fd to its end into b (at most max bytes, else KZ_EUSAGE naming it).
 * let_in (a terminal: SIGINT is blocked by the caller) is the mask to wait
 * with, so that Ctrl-C cancels; NULL otherwise. With idle (the shell's idle
 * hooks, let_in given), nothing typed for the idle time locks the vault, the
 * text so far kept for when it is unlocked. */
static int
read_fd_buf(int fd, const char *name, const sigset_t *let_in, struct kz_ui *idle, size_t max,
            struct kz_buf *b, struct kz_err *err)
{
    char chunk[4096];
    ssize_t r;
    int rc = KZ_OK, w, limit = 0;

    if (idle != NULL && let_in != NULL && idle->idle_limit != NULL && idle->idle_relock != NULL)
        limit = idle->idle_limit(idle->idle_ctx);
    if (let_in == NULL) {
        /* A file read through (an import's 5 MB): into the buffer itself, in
         * large reads, its size reserved once when it has one. */
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
            kz_buf_reserve(b, (size_t)sb.st_size < max ? (size_t)sb.st_size + 1 : max + 1);
        for (;;) {
            if (b->len + 1 >= b->cap)
                kz_buf_reserve(b, 65536);
            r = read(fd, b->p + b->len, b->cap - b->len - 1);
            if (r == 0)
                break;
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return kz_fail(err, KZ_ERR, "cannot read %s: %s", name, strerror(errno));
            b->len += (size_t)r;
            b->p[b->len] = '\0';
            if (b->len > max)
                return kz_fail(err, KZ_EUSAGE, "%s is larger than %zu MiB", name, max >> 20);
        }
        return KZ_OK;
    }
    for (;;) {
        w = wait_readable(fd, let_in, limit);
        if (w > 0) {
            /* Nothing ended with Enter for the idle time. A line being typed
             * is typing: kept, and the wait begins again; else the vault
             * locks, the text so far kept for when it is unlocked. */
            if ((r = (ssize_t)kz_ui_typing_pending(chunk, sizeof(chunk))) == 0) {
                if (kz_ui_typing_relock(idle, limit, kz_buf_str(b), b->len) == 0)
                    continue;
                rc = kz_fail(err, KZ_ERR, "the vault locked while the note was typed and was "
                                          "not unlocked; the note was not saved");
                break;
            }
        } else if (w < 0) {
            /* Ctrl-C while typing the text in the shell: nothing is kept. */
            rc = kz_fail(err, KZ_ERR, "cancelled; nothing written");
            break;
        } else {
            r = read(fd, chunk, sizeof(chunk));
            if (r == 0)
                break;
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r < 0) {
                rc = kz_fail(err, KZ_ERR, "cannot read %s: %s", name, strerror(errno));
                break;
            }
        }
        kz_buf_addn(b, chunk, (size_t)r);
        if (b->len > max) {
            rc = kz_fail(err, KZ_EUSAGE, "%s is larger than %zu MiB", name, max >> 20);
            break;
        }
    }
    sodium_memzero(chunk, sizeof(chunk));
    return rc;
}

/* read_fd_buf for a note's text (at most 4 MiB): *out a string. */
static int
read_fd_all(int fd, const char *name, const sigset_t *let_in, struct kz_ui *idle, char **out,
            size_t *len, struct kz_err *err)
{
    struct kz_buf b = {NULL, 0, 0};
    int rc = read_fd_buf(fd, name, let_in, idle, TEXT_FILE_MAX, &b, err);

    if (rc == KZ_OK) {
        *out = kz_xstrdup(kz_buf_str(&b));
        *len = b.len;
    }
    kz_buf_free(&b);
    return rc;
}

/* 1 for a path that names no regular file but a FIFO, a pipe (a process
 * substitution), a device: opening or reading it may wait for whatever
 * writes it, so a change is let go meanwhile. */
static int
stream_path(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && !S_ISREG(sb.st_mode);
}

/* s[0..n) without the blanks (spaces, tabs, line breaks) at either end. */
static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\n' ||
                      (*s)[*n - 1] == '\r'))
        (*n)--;
}

int
kz_cmd_text_empty(const char *text, size_t len, const char *initial)
{
    const char *t = text, *i = initial;
    size_t il = initial != NULL ? strlen(initial) : 0;

    trim(&t, &len);
    if (len == 0)
        return 1;
    if (initial == NULL)
        return 0;
    trim(&i, &il);
    return il == len && memcmp(t, i, len) == 0;
}

/* 1 if standard input is where the script itself is read from (kizuna <
 * script): there "--text-file -" means the lines that follow, up to a lone ".". */
static int
stdin_is_script(const struct kz_state *st)
{
    struct stat a, b;

    if (st->script_in == NULL || st->script_in == stdin || st->script_fd < 0)
        return 0;
    if (fstat(st->script_fd, &a) != 0 || fstat(STDIN_FILENO, &b) != 0)
        return 0;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
kz_cmd_not_vault(const struct kz_state *st, const char *path, struct kz_err *err)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    struct stat a, b;
    char other[PATH_MAX];

    if (st->vault_path == NULL || stat(path, &a) != 0)
        return KZ_OK;
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        snprintf(other, sizeof(other), "%s%s", st->vault_path, sfx[i]);
        if (stat(other, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return kz_fail(err, KZ_EUSAGE,
                           "%s is the vault%s itself, not a file to read (an export, a "
                           "note's text, a key): only SQLite opens it",
                           path, sfx[i][0] != '\0' ? "'s journal" : "");
    }
    return KZ_OK;
}

static int
text_from(struct kz_state *st, const char *initial, const char *text, const char *file,
          int may_lock, char **out, size_t *len, struct kz_err *err)
{
    int rc, fd;

    if (text != NULL) {
        *out = kz_xstrdup(text);
        *len = strlen(text);
        return KZ_OK;
    }
    if (file != NULL) {
        if (strcmp(file, "-") == 0 && stdin_is_script(st))
            return kz_ui_read_inline(st->script_in, NULL, out, len, err);
        if (strcmp(file, "-") == 0 && isatty(STDIN_FILENO)) {
            /* Typed in the shell: SIGINT is blocked before the hint appears and
             * let in only while waiting, so a Ctrl-C typed after the hint
             * always cancels (never lost before the read). */
            sigset_t block, old;
            struct sigaction sa, prev;
            int flags;
            sigemptyset(&block);
            sigaddset(&block, SIGINT);
            sigprocmask(SIG_BLOCK, &block, &old);
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_typing_sigint;
            sigemptyset(&sa.sa_mask);
            typing_cancelled = 0;
            sigaction(SIGINT, &sa, &prev);
            /* Non-blocking reads: a Ctrl-C between ppoll() saying a line is
             * there and the read() flushes that line, and a blocking read
             * would then wait with the Ctrl-C held back. */
            flags = fcntl(STDIN_FILENO, F_GETFL);
            if (flags >= 0)
                fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
            kz_ui_typing_hint();
            rc = read_fd_all(STDIN_FILENO, "standard input", &old, may_lock ? &st->ui : NULL,
                             out, len, err);
            if (flags >= 0)
                fcntl(STDIN_FILENO, F_SETFL, flags);
            sigaction(SIGINT, &prev, NULL);
            sigprocmask(SIG_SETMASK, &old, NULL);
            return rc;
        }
        if (strcmp(file, "-") == 0)
            return read_fd_all(STDIN_FILENO, "standard input", NULL, NULL, out, len, err);
        if ((rc = kz_cmd_not_vault(st, file, err)) != KZ_OK)
            return rc;
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s",
                           file, strerror(errno));
        rc = read_fd_all(fd, file, NULL, NULL, out, len, err);
        close(fd);
        return rc;
    }
    if (st->interactive || kz_ui_have_terminal()) {
        rc = kz_ui_edit(&st->ui, initial != NULL ? initial : "", ".md", may_lock, out, len,
                        err);
        if (rc != KZ_ENOTFOUND)
            return rc;
        kz_ui_warn(&st->ui, "%s; type the text here instead", err->msg);
        return kz_ui_read_inline(stdin, "Text:", out, len, err);
    }
    if (st->script_in != NULL)
        return kz_ui_read_inline(st->script_in, NULL, out, len, err);
    return kz_fail(err, KZ_EUSAGE, "give the text with --text or --text-file");
}

void
kz_cmd_text_forget(struct kz_state *st)
{
    while (st->memo_n > 0) {
        st->memo_n--;
        kz_wipe_free(st->memo[st->memo_n], st->memo_len[st->memo_n] + 1);
        st->memo[st->memo_n] = NULL;
    }
    st->memo_pos = 0;
    kz_secure_free(st->memo_secret);
    st->memo_secret = NULL;
    st->memo_secret_len = 0;
}

/* The person's inputs of a command, in order (kind 't' texts; 'a' a
 * question's answer as "y" or "n", 'c' a choice's key, each followed by the
 * question; 'f' a file's bytes): kept the first time, given back when it
 * runs again. */
static void
memo_add(struct kz_state *st, char kind, const char *p, size_t len)
{
    if (st->memo_n >= (int)(sizeof(st->memo) / sizeof(st->memo[0])))
        return;
    st->memo_kind[st->memo_n] = kind;
    st->memo[st->memo_n] = kz_xmalloc(len + 1);
    memcpy(st->memo[st->memo_n], p, len);
    st->memo[st->memo_n][len] = '\0';
    st->memo_len[st->memo_n++] = len;
    st->memo_pos = st->memo_n;
}

/* Entry i given the new content p (len bytes), its kind kept. */
static void
memo_replace(struct kz_state *st, int i, const char *p, size_t len)
{
    kz_wipe_free(st->memo[i], st->memo_len[i] + 1);
    st->memo[i] = kz_xmalloc(len + 1);
    memcpy(st->memo[i], p, len);
    st->memo[i][len] = '\0';
    st->memo_len[i] = len;
}

/* A question's answer kept as key then the question (kind 'a' or 'c'): in
 * place of the entry just given back when replacing (the question read
 * otherwise this time), else added. */
static void
memo_answer(struct kz_state *st, char kind, char key, const char *question, int replacing)
{
    size_t ql = strlen(question);
    char *kept = kz_xmalloc(ql + 2);

    kept[0] = key;
    memcpy(kept + 1, question, ql + 1);
    if (replacing)
        memo_replace(st, st->memo_pos - 1, kept, ql + 1);
    else
        memo_add(st, kind, kept, ql + 1);
    free(kept);
}

/* The next input kept, or NULL (none left: the person is asked). KZ_EBUSY
 * when it is not of kind: run again from a state another process changed,
 * the command asks otherwise than the first time, and no answer may go to
 * another question. */
static int
memo_next(struct kz_state *st, char kind, const char **p, size_t *len, struct kz_err *err)
{
    *p = NULL;
    if (st->memo_pos >= st->memo_n)
        return KZ_OK;
    if (st->memo_kind[st->memo_pos] != kind)
        return kz_fail(err, KZ_EBUSY, "another process changed the vault while you answered, "
                                      "and the command now asks otherwise; nothing was saved: "
                                      "run it again");
    *len = st->memo_len[st->memo_pos];
    *p = st->memo[st->memo_pos++];
    return KZ_OK;
}

/* The change again after kz_vault_release, waiting out other writers for up
 * to about half a minute (each try waits as the busy timeout allows): the
 * text is in hand and must not be lost to a busy vault. */
static int
retake(struct kz_state *st, int *moved, struct kz_err *err)
{
    int rc, tries;

    for (tries = 0; tries < 6; tries++) {
        if ((rc = kz_vault_retake(st->vault, moved, err)) != KZ_EBUSY)
            return rc;
        if (tries == 0)
            kz_ui_warn(&st->ui, "another kizuna is writing the vault; waiting to save");
        kz_err_clear(err);
    }
    return kz_vault_retake(st->vault, moved, err);
}

/* 1 if text_from will wait for a person or a stream (the editor, typing, a
 * pipe, a named FIFO or process substitution), 0 for --text, a regular file,
 * a script's own lines or no source. */
static int
from_person(const struct kz_state *st, const char *text, const char *file)
{
    if (text != NULL)
        return 0;
    if (file != NULL && strcmp(file, "-") == 0)
        return !stdin_is_script(st);
    if (file != NULL) /* opening a FIFO waits for its writer */
        return stream_path(file);
    return st->interactive || kz_ui_have_terminal(); /* the editor */
}

int
kz_cmd_text(struct kz_state *st, const char *initial, const char *text, const char *file,
            char **out, size_t *len, struct kz_err *err)
{
    int rc, released = 0, moved = 0;
    const char *again;

    *out = NULL;
    *len = 0;
    if ((rc = memo_next(st, 't', &again, len, err)) != KZ_OK)
        return rc;
    if (again != NULL) { /* run again: the text given the first time */
        *out = kz_xmalloc(*len + 1);
        memcpy(*out, again, *len + 1);
        return KZ_OK;
    }
    /* The editor, a terminal or a pipe may take minutes: meanwhile the change,
     * which has written nothing yet, does not keep other processes out. */
    if (from_person(st, text, file) && st->vault != NULL)
        released = kz_vault_release(st->vault);
    /* The idle lock may reach the editor only while the change holds
     * nothing (released): the lock and the unlock write events of their own. */
    st->ui.idle_relocked = 0;
    rc = text_from(st, initial, text, file, released, out, len, err);
    if (released && kz_vault_unlocked(st->vault)) {
        struct kz_err e2;
        int rc2;
        kz_err_clear(&e2);
        if ((rc2 = retake(st, &moved, &e2)) != KZ_OK && rc == KZ_OK) {
            kz_vault_plain_free(*out, *len);
            *out = NULL;
            *len = 0;
            *err = e2;
            return rc2;
        }
    }
    if (rc != KZ_OK)
        return rc;
    memo_add(st, 't', *out, *len);
    /* What the command read before the text may be stale; after a lock, the
     * heads it looked at were wiped and read again. */
    if (moved || st->ui.idle_relocked) {
        kz_vault_plain_free(*out, *len);
        *out = NULL;
        *len = 0;
        return KZ_CMD_AGAIN;
    }
    return KZ_OK;
}

int
kz_cmd_ask(struct kz_state *st, const char *question, const char *typed, int *ok,
           struct kz_err *err)
{
    const char *again;
    size_t len;
    int released, moved = 0, rc, a;

    /* Run again: the answer given the first time, to the same question (kept
     * as "y" or "n" then the question). A question that now reads otherwise
     * (an erase that would take a note added meanwhile) is asked again. */
    if ((rc = memo_next(st, 'a', &again, &len, err)) != KZ_OK)
        return rc;
    if (again != NULL && strcmp(again + 1, question) == 0) {
        *ok = again[0] == 'y';
        return KZ_OK;
    }
    /* A question left open keeps no other process from writing; the idle
     * lock may reach it only then (the lock and the unlock write events). */
    released = st->vault != NULL && kz_vault_release(st->vault);
    st->ui.idle_relocked = 0;
    if ((a = kz_ui_ask(&st->ui, released, question, typed)) < 0)
        return kz_fail(err, KZ_ERR, "the vault locked while the question waited and was not "
                                    "unlocked; nothing was done");
    *ok = a;
    if (released && (rc = retake(st, &moved, err)) != KZ_OK)
        return rc;
    memo_answer(st, 'a', *ok ? 'y' : 'n', question, again != NULL);
    /* After a lock, the heads it looked at were wiped and read again. */
    return *ok && (moved || st->ui.idle_relocked) ? KZ_CMD_AGAIN : KZ_OK;
}

int
kz_cmd_read_input(struct kz_state *st, const char *path, size_t max, struct kz_buf *out,
                  struct kz_err *err)
{
    struct kz_err e2;
    struct stat sb;
    const char *again;
    size_t len;
    int fd, released = 0, moved = 0, rc;

    if ((rc = memo_next(st, 'f', &again, &len, err)) != KZ_OK)
        return rc;
    if (again != NULL) { /* run again: the bytes read the first time */
        kz_buf_addn(out, again, len);
        return KZ_OK;
    }
    if ((rc = kz_cmd_not_vault(st, path, err)) != KZ_OK)
        return rc;
    /* A pipe or a FIFO (rclone cat, a process substitution) may take minutes
     * to deliver, and opening a FIFO waits for its writer: meanwhile the
     * change, which has written nothing yet, does not keep other processes
     * out. */
    if (st->vault != NULL && stream_path(path))
        released = kz_vault_release(st->vault);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", path,
                     strerror(errno));
    } else {
        if (!released && st->vault != NULL && fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode))
            released = kz_vault_release(st->vault); /* became one since */
        rc = read_fd_buf(fd, path, NULL, NULL, max, out, err);
        close(fd);
    }
    kz_err_clear(&e2);
    if (released && retake(st, &moved, &e2) != KZ_OK && rc == KZ_OK) {
        *err = e2;
        rc = e2.code;
    }
    if (rc != KZ_OK)
        return rc;
    /* Nothing was read from the vault before: what another process wrote
     * meanwhile is simply the state the command starts from. A run again
     * (another process wrote while a passphrase was typed) gets these bytes:
     * a pipe gives them once. */
    memo_add(st, 'f', kz_buf_str(out), out->len);
    return KZ_OK;
}

int
kz_cmd_replaying(const struct kz_state *st)
{
    return st->memo_pos < st->memo_n;
}

int
kz_cmd_choose(struct kz_state *st, const char *question, const char *keys, int *choice,
              struct kz_err *err)
{
    const char *again;
    size_t len;
    int released, moved = 0, rc;

    *choice = 0;
    if ((rc = memo_next(st, 'c', &again, &len, err)) != KZ_OK)
        return rc;
    if (again != NULL && strcmp(again + 1, question) == 0) { /* run again */
        *choice = (unsigned char)again[0];
        return KZ_OK;
    }
    /* As kz_cmd_ask: the change let go while the question waits, which lets
     * the idle lock reach it. */
    released = st->vault != NULL && kz_vault_release(st->vault);
    st->ui.idle_relocked = 0;
    if ((*choice = kz_ui_choose(&st->ui, released, question, keys)) < 0) {
        *choice = 0;
        return kz_fail(err, KZ_ERR, "the vault locked while the question waited and was not "
                                    "unlocked; nothing was done");
    }
    if (released && (rc = retake(st, &moved, err)) != KZ_OK)
        return rc;
    if (*choice == 0)
        return KZ_OK;
    memo_answer(st, 'c', (char)*choice, question, again != NULL);
    /* What the command read before may be stale: run it again from the new
     * state, this choice given back. */
    return moved || st->ui.idle_relocked ? KZ_CMD_AGAIN : KZ_OK;
}

/* A secret typed after prompt, or (file not NULL) read from file's first
 * line, with the change let go while it comes: always for the terminal, for
 * a file when it is not a regular one (a FIFO, a process substitution whose
 * program may wait for a PIN). Kept for a run again as kz_cmd_ask_secret
 * says. */
static int
secret_in(struct kz_state *st, const char *prompt, const char *file, char **out, size_t *len,
          struct kz_err *err)
{
    struct kz_err e2;
    int released = 0, moved = 0, rc, rc2;

    *out = NULL;
    *len = 0;
    if (st->memo_secret != NULL) {
        if (st->memo_secret_taken) /* a second one in a run: read, not kept */
            return file != NULL ? kz_ui_read_secret_file(file, out, len, err)
                                : kz_ui_read_secret_tty(prompt, out, len, err);
        *out = kz_secure_strndup(st->memo_secret, st->memo_secret_len); /* run again */
        *len = st->memo_secret_len;
        st->memo_secret_taken = 1;
        return KZ_OK;
    }
    if (file != NULL && (rc = kz_cmd_not_vault(st, file, err)) != KZ_OK)
        return rc;
    if (st->vault != NULL && (file == NULL || stream_path(file)))
        released = kz_vault_release(st->vault);
    rc = file != NULL ? kz_ui_read_secret_file(file, out, len, err)
                      : kz_ui_read_secret_tty(prompt, out, len, err);
    kz_err_clear(&e2);
    if (released && (rc2 = retake(st, &moved, &e2)) != KZ_OK) {
        kz_secure_free(*out);
        *out = NULL;
        *len = 0;
        if (rc == KZ_OK)
            *err = e2;
        return rc == KZ_OK ? rc2 : rc;
    }
    if (rc != KZ_OK)
        return rc;
    st->memo_secret = kz_secure_strndup(*out, *len);
    st->memo_secret_len = *len;
    st->memo_secret_taken = 1;
    if (moved) {
        kz_secure_free(*out);
        *out = NULL;
        *len = 0;
        return KZ_CMD_AGAIN;
    }
    return KZ_OK;
}

int
kz_cmd_ask_secret(struct kz_state *st, const char *prompt, char **out, size_t *len,
                  struct kz_err *err)
{
    return secret_in(st, prompt, NULL, out, len, err);
}

int
kz_cmd_secret_file(struct kz_state *st, const char *file, char **out, size_t *len,
                   struct kz_err *err)
{
    return secret_in(st, NULL, file, out, len, err);
}

int
kz_cmd_confirm(struct kz_state *st, int yes, const char *question, struct kz_err *err)
{
    int ok, rc;

    if (yes)
        return KZ_OK;
    if (!st->interactive && !kz_ui_have_terminal())
        return kz_fail(err, KZ_EUSAGE, "refusing without --yes (this cannot be undone)");
    if ((rc = kz_cmd_ask(st, question, NULL, &ok, err)) != KZ_OK)
        return rc;
    return ok ? KZ_OK : kz_fail(err, KZ_EUSAGE, "not confirmed; nothing changed");
}
