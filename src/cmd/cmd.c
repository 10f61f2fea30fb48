/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "cmds.h"

#define UNLOCK_TRIES 3

void
kz_state_init(struct kz_state *st)
{
    memset(st, 0, sizeof(*st));
    kz_ui_init(&st->ui, 0, 0);
    st->passphrase_fd = -1;
    st->script_fd = -1;
    st->idle_lock = -1;
}

void
kz_state_free(struct kz_state *st)
{
    kz_vault_close(st->vault);
    st->vault = NULL;
    free(st->vault_path);
    free(st->passphrase_file);
    free(st->recovery_file);
    st->vault_path = st->passphrase_file = st->recovery_file = NULL;
    kz_ui_wipe_stdout(&st->ui);
}

/* First word of an entry's name into buf; returns a pointer to the second word or NULL. */
static const char *
split_name(const char *name, char *buf, size_t size)
{
    const char *sp = strchr(name, ' ');
    size_t n = sp != NULL ? (size_t)(sp - name) : strlen(name);

    if (n >= size)
        n = size - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return sp != NULL ? sp + 1 : NULL;
}

static int
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Chooses among the words of entries (level 0: first word; 1: second word of
 * group). Returns the chosen word in out, or a kz code. */
static int
choose(const struct kz_cmd_entry *const *t, const char *group, const char *token, char *out,
       size_t outsize, struct kz_err *err)
{
    char names[512] = "", w[64];
    int matches = 0, exact = 0, i;
    size_t used = 0;

    for (i = 0; t[i] != NULL; i++) {
        const char *second = split_name(t[i]->name, w, sizeof(w));
        const char *word = w;
        if (group != NULL) {
            if (strcmp(w, group) != 0 || second == NULL)
                continue;
            word = second;
        }
        if (!starts_with(word, token))
            continue;
        if (strcmp(word, token) == 0) {
            exact = 1;
            snprintf(out, outsize, "%s", word);
            break;
        }
        if (names[0] != '\0' && strstr(names, word) != NULL) {
            /* already listed (a group's first word appears once per member) */
            const char *p = names;
            int dup = 0;
            size_t wl = strlen(word);
            while ((p = strstr(p, word)) != NULL) {
                if ((p == names || p[-1] == ' ') && (p[wl] == ',' || p[wl] == '\0'))
                    dup = 1;
                p += wl;
            }
            if (dup)
                continue;
        }
        used = strlen(names);
        snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", word);
        if (matches++ == 0)
            snprintf(out, outsize, "%s", word);
    }
    if (exact || matches == 1)
        return KZ_OK;
    if (matches == 0)
        return group != NULL
                   ? kz_fail(err, KZ_EUSAGE, "unknown command '%s %s' (try 'help %s')", group,
                             token, group)
                   : kz_fail(err, KZ_EUSAGE, "unknown command '%s' (try 'help')", token);
    return kz_fail(err, KZ_EUSAGE, "ambiguous command '%s': %s", token, names);
}

int
kz_cmd_find(int argc, char **argv, const struct kz_cmd_entry **out, int *used,
            struct kz_err *err)
{
    const struct kz_cmd_entry *const *t = kz_cmd_table();
    const struct kz_cmd_entry *bare = NULL;
    char first[64], second[64], w[64], subs[256] = "";
    int i, rc, grouped = 0;

    *out = NULL;
    *used = 0;
    if (argc < 1)
        return kz_fail(err, KZ_EUSAGE, "no command given (try 'help')");
    if ((rc = choose(t, NULL, argv[0], first, sizeof(first), err)) != KZ_OK)
        return rc;
    for (i = 0; t[i] != NULL; i++) {
        const char *sub = split_name(t[i]->name, w, sizeof(w));
        if (strcmp(w, first) != 0)
            continue;
        if (sub == NULL) {
            bare = t[i];
        } else {
            size_t n = strlen(subs);
            grouped = 1;
            snprintf(subs + n, sizeof(subs) - n, "%s%s", n ? ", " : "", sub);
        }
    }
    if (!grouped || (bare != NULL && argc < 2)) {
        *out = bare;
        *used = 1;
        return KZ_OK;
    }
    if (argc < 2)
        return kz_fail(err, KZ_EUSAGE, "'%s' needs one of: %s", first, subs);
    if ((rc = choose(t, first, argv[1], second, sizeof(second), err)) != KZ_OK) {
        if (bare != NULL) {
            *out = bare;
            *used = 1;
            return KZ_OK;
        }
        return rc;
    }
    for (i = 0; t[i] != NULL; i++) {
        const char *sub = split_name(t[i]->name, w, sizeof(w));
        if (strcmp(w, first) == 0 && sub != NULL && strcmp(sub, second) == 0) {
            *out = t[i];
            *used = 2;
            return KZ_OK;
        }
    }
    return kz_fail(err, KZ_EUSAGE, "unknown command '%s %s'", first, argv[1]);
}

/* The first positional argument that kz_cmd_parse gave the running command:
 * the record it names, for the audit trail when the command set no audit_ref.
 * Only kz_cmd_parse knows which words are option values (export -o FILE C014,
 * couple delete --yes C014). */
static const char *first_positional;

/* The free text after "--" (KZ_OPT_REST) of the running command. */
static char *rest_text;

static void
rest_free(void)
{
    if (rest_text != NULL) {
        explicit_bzero(rest_text, strlen(rest_text));
        free(rest_text);
        rest_text = NULL;
    }
}

/* Everything after "--": the words joined by single spaces into *o->value. */
static int
take_rest(const char *cmd, const struct kz_opt *o, int argc, char **argv, struct kz_err *err)
{
    size_t n = 1, k = 0;
    int i;

    if (*o->value != NULL)
        return kz_fail(err, KZ_EUSAGE, "%s: the text is given twice (--text and after --)",
                       cmd);
    for (i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    rest_text = kz_xmalloc(n);
    for (i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]);
        if (i > 0)
            rest_text[k++] = ' ';
        memcpy(rest_text + k, argv[i], l);
        k += l;
    }
    rest_text[k] = '\0';
    *o->value = rest_text;
    if (o->flag != NULL)
        *o->flag = 1;
    return KZ_OK;
}

int
kz_cmd_parse(const char *cmd, int argc, char **argv, const struct kz_opt *opts, char **pos,
             int maxpos, int *npos, struct kz_err *err)
{
    const struct kz_opt *o;
    int i, only_pos = 0;

    *npos = 0;
    rest_free();
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *eq = NULL, *name;
        size_t nlen;
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (*npos >= maxpos) {
                for (o = opts; o != NULL && o->name != NULL; o++) {
                    if (o->has_arg == KZ_OPT_REST)
                        return kz_fail(err, KZ_EUSAGE,
                                       "%s: unexpected argument '%s' (free text goes after a "
                                       "lone '--': %s ... -- TEXT)",
                                       cmd, a, cmd);
                }
                return kz_fail(err, KZ_EUSAGE, "%s: unexpected argument '%s'", cmd, a);
            }
            if (first_positional == NULL)
                first_positional = argv[i];
            pos[(*npos)++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            for (o = opts; o != NULL && o->name != NULL; o++) {
                if (o->has_arg == KZ_OPT_REST)
                    return take_rest(cmd, o, argc - i - 1, argv + i + 1, err);
            }
            only_pos = 1;
            continue;
        }
        if (a[1] == '-') {
            name = a + 2;
            eq = strchr(name, '=');
            nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
            for (o = opts; o != NULL && o->name != NULL; o++) {
                if (o->has_arg != KZ_OPT_REST && strlen(o->name) == nlen &&
                    strncmp(o->name, name, nlen) == 0)
                    break;
            }
        } else {
            if (a[2] != '\0')
                return kz_fail(err, KZ_EUSAGE, "%s: unknown option '%s'", cmd, a);
            for (o = opts; o != NULL && o->name != NULL; o++) {
                if (o->short_name != 0 && o->short_name == a[1])
                    break;
            }
        }
        if (o == NULL || o->name == NULL)
            return kz_fail(err, KZ_EUSAGE, "%s: unknown option '%s' (try 'help %s')", cmd, a,
                           cmd);
        if (o->has_arg) {
            const char *val;
            if (eq != NULL)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return kz_fail(err, KZ_EUSAGE, "%s: option --%s needs a value", cmd, o->name);
            if (o->has_arg == KZ_OPT_REPEAT) {
                if (*o->flag >= KZ_OPT_MAX)
                    return kz_fail(err, KZ_EUSAGE, "%s: --%s given more than %d times", cmd,
                                   o->name, KZ_OPT_MAX);
                o->value[(*o->flag)++] = val;
            } else {
                *o->value = val;
            }
        } else {
            if (eq != NULL)
                return kz_fail(err, KZ_EUSAGE, "%s: option --%s takes no value", cmd, o->name);
            *o->flag = 1;
        }
    }
    return KZ_OK;
}

int
kz_state_open(struct kz_state *st, struct kz_err *err)
{
    int rc;

    if (st->vault != NULL)
        return KZ_OK;
    rc = kz_vault_open(st->vault_path, &st->vault, err);
    if (rc == KZ_ENOTFOUND)
        kz_fail(err, KZ_ENOTFOUND, "no vault at %s (create one with 'kizuna init')",
                st->vault_path);
    return rc;
}

static int
unlock_with(struct kz_state *st, int recovery, const char *secret, size_t len,
            struct kz_err *err)
{
    return recovery ? kz_vault_unlock_recovery(st->vault, secret, len, err)
                    : kz_vault_unlock(st->vault, secret, len, err);
}

/* After an unlock: the events recorded without the key join the chain, then
 * the unlock itself. A failure here is reported but does not undo the unlock,
 * and a fold that fails (a damaged inbox key) does not keep the unlock out.
 * KZ_EAUTH when another process re-keyed the vault meanwhile (the key just
 * opened is no longer the vault's, and the vault locked itself): unlock again. */
static int
after_unlock(struct kz_state *st, const char *how)
{
    struct kz_err err;
    int folded = 0, rc;

    kz_err_clear(&err);
    if ((rc = kz_vault_begin(st->vault, &err)) == KZ_OK) {
        if ((rc = kz_vault_audit_fold(st->vault, kz_audit_vet_pending, &folded, &err)) == KZ_OK)
            rc = kz_vault_commit(st->vault, &err);
        else
            kz_vault_rollback(st->vault);
    }
    if (!kz_vault_unlocked(st->vault))
        return KZ_EAUTH;
    if (rc != KZ_OK)
        kz_ui_warn(&st->ui, "audit trail: %s", err.msg);
    kz_err_clear(&err);
    rc = kz_audit_event(st, "unlock", "unlock", NULL, how, &err);
    if (!kz_vault_unlocked(st->vault))
        return KZ_EAUTH;
    if (rc != KZ_OK)
        kz_ui_warn(&st->ui, "audit trail: %s", err.msg);
    /* The slot not used to unlock cannot vouch for itself: its MAC does. */
    kz_err_clear(&err);
    if (kz_vault_slots_check(st->vault, &err) != KZ_OK)
        kz_ui_warn(&st->ui, "%s; 'doctor' checks the vault", err.msg);
    return KZ_OK;
}

static void
failed_unlock(struct kz_state *st, const char *how)
{
    struct kz_err err;

    if (kz_audit_event(st, "unlock_failed", "unlock", NULL, how, &err) != KZ_OK)
        kz_ui_warn(&st->ui, "audit trail: %s", err.msg);
}

/* Unlocks with secret and settles the unlock (after_unlock); a rekey by
 * another process between the two is met by unlocking again, a few times.
 * A wrong secret is recorded as a failed unlock; a rekey race is not one. */
static int
unlock_settled(struct kz_state *st, int recovery, const char *secret, size_t len,
               const char *how, struct kz_err *err)
{
    int rc, attempt;

    for (attempt = 0; attempt < 3; attempt++) {
        if ((rc = unlock_with(st, recovery, secret, len, err)) != KZ_OK) {
            if (rc == KZ_EAUTH && len > 0)
                failed_unlock(st, how);
            return rc;
        }
        if (after_unlock(st, how) == KZ_OK)
            return KZ_OK;
    }
    return kz_fail(err, KZ_EAUTH, "the vault was re-keyed by another process: unlock it again");
}

int
kz_state_unlock(struct kz_state *st, struct kz_err *err)
{
    char *secret = NULL, prompt[768];
    size_t len = 0;
    int rc, tries, use_recovery;

    if ((rc = kz_state_open(st, err)) != KZ_OK)
        return rc;
    if (kz_vault_unlocked(st->vault))
        return KZ_OK;
    if (st->recovery_file != NULL ||
        (!st->want_recovery && (st->passphrase_file != NULL || st->passphrase_fd >= 0))) {
        int recovery = st->recovery_file != NULL;
        const char *how = recovery ? "recovery key" : "passphrase";
        if (recovery)
            rc = kz_ui_read_secret_file(st->recovery_file, &secret, &len, err);
        else if (st->passphrase_file != NULL)
            rc = kz_ui_read_secret_file(st->passphrase_file, &secret, &len, err);
        else
            rc = kz_ui_read_secret_fd(st->passphrase_fd, &secret, &len, err);
        if (rc == KZ_OK)
            rc = unlock_settled(st, recovery, secret, len, how, err);
        kz_secure_free(secret);
        st->offer_passwd = recovery && rc == KZ_OK;
        return rc;
    }
    if (!st->interactive && !kz_ui_have_terminal())
        return kz_fail(err, KZ_EAUTH,
                       st->want_recovery
                           ? "no terminal to ask for the recovery key (use --recovery-key-file)"
                           : "the vault is locked and there is no terminal to ask for the "
                             "passphrase (use --passphrase-fd or --passphrase-file)");
    {
        /* A header the passphrase cannot be used with (key-derivation costs
         * beyond kizuna's limits, say) is refused before the passphrase is asked. */
        struct kz_vault_info info;
        if ((rc = kz_vault_info(st->vault, &info, err)) == KZ_EINTEGRITY)
            return rc;
    }
    /* On a terminal the recovery key is one Enter away: an empty line at the
     * passphrase prompt asks for it instead (unlock --recovery goes there at once). */
    use_recovery = st->want_recovery;
    for (tries = 0; tries < UNLOCK_TRIES; tries++) {
        if (use_recovery)
            snprintf(prompt, sizeof(prompt), "Recovery key for %s: ", st->vault_path);
        else if (st->interactive && !st->unlock_hint_shown)
            snprintf(prompt, sizeof(prompt),
                     "(Passphrase forgotten? Press Enter on the empty line for the recovery "
                     "key.)\nPassphrase for %s: ",
                     st->vault_path);
        else
            snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", st->vault_path);
        st->unlock_hint_shown = 1;
        rc = kz_ui_read_secret_tty(prompt, &secret, &len, err);
        if (rc == KZ_OK) {
            rc = unlock_settled(st, use_recovery, secret, len,
                                use_recovery ? "recovery key" : "passphrase", err);
            kz_secure_free(secret);
            secret = NULL;
            if (rc == KZ_OK) {
                st->offer_passwd = use_recovery;
                return KZ_OK;
            }
            if (rc == KZ_EAUTH && !use_recovery && strcmp(err->msg, "wrong passphrase") == 0)
                kz_fail(err, KZ_EAUTH, "wrong passphrase (forgotten? press Enter on the empty "
                                       "line for the recovery key)");
        } else if (strcmp(err->msg, "cancelled") == 0) {
            return rc; /* Ctrl-C */
        } else if (rc == KZ_EAUTH && !use_recovery) {
            use_recovery = 1; /* Enter alone: the recovery key, not a try */
            tries--;
            continue;
        } else if (rc == KZ_EAUTH) {
            kz_fail(err, KZ_EAUTH, "no recovery key given"); /* a stray Enter: one try */
        }
        if (rc != KZ_EAUTH)
            return rc;
        if (tries + 1 < UNLOCK_TRIES)
            kz_ui_error(&st->ui, err);
    }
    if (rc == KZ_EAUTH && !use_recovery && strncmp(err->msg, "wrong passphrase", 16) == 0)
        kz_fail(err, KZ_EAUTH, "wrong passphrase ('kizuna unlock --recovery' asks for the "
                               "recovery key)");
    return rc;
}

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
    int prc;

    if (!st->offer_passwd || rc != KZ_OK || st->vault == NULL || !kz_vault_unlocked(st->vault))
        return rc;
    st->offer_passwd = 0;
    if (st->script_name != NULL || st->script_in != NULL ||
        !(st->interactive || kz_ui_have_terminal()))
        return rc;
    if (!kz_ui_confirm_yes("Unlocked with the recovery key. Set a new passphrase now?")) {
        kz_ui_say(&st->ui, "The passphrase is unchanged; 'passwd' sets a new one.\n");
        return rc;
    }
    prc = kz_cmd_run(st, 1, passwd_argv);
    return prc != KZ_OK ? prc : rc;
}

int
kz_cmd_run(struct kz_state *st, int argc, char **argv)
{
    const struct kz_cmd_entry *e = NULL;
    const char *event;
    struct kz_err err;
    int rc, used = 0, began = 0, no_pager, nargs = 0;
    char **args = NULL;

    kz_err_clear(&err);
    st->ui.emitted = 0;
    st->ui.page = 0;
    if ((rc = kz_cmd_find(argc, argv, &e, &used, &err)) != KZ_OK)
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
    if (!(e->flags & CMD_NO_VAULT)) {
        rc = (e->flags & CMD_NEEDS_KEY) ? kz_state_unlock(st, &err) : kz_state_open(st, &err);
        if (rc != KZ_OK)
            goto out;
    }
    /* Every command that uses the key starts from the committed state: a change
     * in one write transaction, anything else in one read snapshot. */
    if ((e->flags & CMD_NEEDS_KEY) && st->vault != NULL) {
        rc = (e->flags & CMD_WRITES) ? kz_vault_begin(st->vault, &err)
                                     : kz_vault_begin_read(st->vault, &err);
        if (rc == KZ_EAUTH && !kz_vault_unlocked(st->vault) && st->interactive) {
            /* Re-keyed by another process: this shell's key is gone; ask again. */
            kz_ui_warn(&st->ui, "%s", err.msg);
            kz_err_clear(&err);
            if ((rc = kz_state_unlock(st, &err)) == KZ_OK)
                rc = (e->flags & CMD_WRITES) ? kz_vault_begin(st->vault, &err)
                                             : kz_vault_begin_read(st->vault, &err);
        }
        if (rc != KZ_OK)
            goto out;
        began = (e->flags & CMD_WRITES) ? 1 : 2;
    }
    st->audit_ref[0] = '\0';
    st->audited = 0;
    first_positional = NULL;
    event = kz_audit_event_of(e->name);
    /* What a view or a change prints is held until its transaction is saved:
     * a view no audit event could note is not shown (fail closed), and a change
     * whose commit failed (a full disk) does not say it was made. */
    /* The pager (src/ui/pager.c): on a terminal, unless --no-pager or
     * 'config set pager off' said otherwise (read whenever the vault is
     * unlocked; kept for the commands run while it is locked). */
    if (!no_pager && !st->ui.no_pager && isatty(STDOUT_FILENO)) {
        int on = kz_config_pager(st);
        if (on >= 0)
            st->pager_setting = on ? 1 : 2;
        st->ui.page = st->pager_setting != 2;
    }
    if (began == 1 || (event != NULL && strcmp(event, "view") == 0) ||
        (st->ui.page && paged_anyway(e->name)))
        kz_ui_hold(&st->ui);
    rc = e->exec(st, nargs, args, &err);
    if (rc == KZ_OK && event != NULL && !st->audited && st->vault != NULL) {
        /* The event joins the command's own transaction: both or neither. */
        const char *ref = st->audit_ref;
        if (*ref == '\0' && strcmp(e->name, "search") != 0 && first_positional != NULL)
            ref = first_positional; /* never the search query */
        rc = strcmp(event, "view") == 0
                 ? kz_audit_first(st, event, e->name, ref, "not shown", &err)
                 : kz_audit_event(st, event, e->name, ref, NULL, &err);
    }
    first_positional = NULL;
    rest_free();
    if (began == 1) {
        if (rc == KZ_OK)
            rc = kz_vault_commit(st->vault, &err);
        else
            kz_vault_rollback(st->vault);
    } else if (began == 2) {
        kz_vault_end_read(st->vault);
    }
    if (kz_ui_release(&st->ui, rc == KZ_OK) != 0 && rc == KZ_OK)
        rc = kz_fail(&err, KZ_ERR, "cannot write the output: %s", strerror(errno));
out:
    if (rc != KZ_OK) {
        if (err.msg[0] == '\0')
            kz_fail(&err, rc, "%s failed", argc > 0 ? argv[0] : "command");
        err.code = rc;
        if (st->script_name != NULL) {
            char msg[sizeof(err.msg)];
            int at = snprintf(msg, sizeof(msg), "%s:%d: ", st->script_name, st->script_line);
            size_t n = strlen(err.msg);
            if (at > 0 && (size_t)at < sizeof(msg)) {
                if (n > sizeof(msg) - (size_t)at - 1)
                    n = sizeof(msg) - (size_t)at - 1;
                memcpy(msg + at, err.msg, n);
                msg[(size_t)at + n] = '\0';
                memcpy(err.msg, msg, sizeof(msg));
            }
            explicit_bzero(msg, sizeof(msg));
        }
        kz_ui_error(&st->ui, &err);
    }
    free(args);
    st->ui.page = 0;
    return offer_new_passphrase(st, rc);
}

static void
push(char ***argv, int *argc, int *cap, char *word)
{
    if (*argc + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *argv = kz_xrealloc(*argv, (size_t)*cap * sizeof(**argv));
    }
    (*argv)[(*argc)++] = word;
    (*argv)[*argc] = NULL;
}

int
kz_cmd_split(const char *line, int *argc, char ***argv, struct kz_err *err)
{
    size_t n = strlen(line), k = 0, home_len;
    char *word = NULL;
    int cap = 0, in_word = 0;
    char quote = 0;
    const char *p, *home = getenv("HOME");

    *argc = 0;
    *argv = NULL;
    push(argv, argc, &cap, NULL);
    *argc = 0;
    home_len = home != NULL && home[0] == '/' ? strlen(home) : 0;
    for (p = line;; p++) {
        char c = *p;
        if (quote == 0 && (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            if (in_word) {
                word[k] = '\0';
                push(argv, argc, &cap, word);
                word = NULL;
                in_word = 0;
            }
            if (c == '\0')
                break;
            continue;
        }
        if (!in_word) {
            if (quote == 0 && c == '#')
                break;
            if (quote == 0 && c == '-' && p[1] == '-' &&
                (p[2] == '\0' || p[2] == ' ' || p[2] == '\t')) {
                /* A lone "--": the rest of the line is the text, verbatim. */
                const char *rest = p + 2;
                size_t rl;
                push(argv, argc, &cap, kz_xstrdup("--"));
                while (*rest == ' ' || *rest == '\t')
                    rest++;
                rl = strlen(rest);
                while (rl > 0 && (rest[rl - 1] == '\n' || rest[rl - 1] == '\r'))
                    rl--;
                if (rl > 0) {
                    word = kz_xmalloc(rl + 1);
                    memcpy(word, rest, rl);
                    word[rl] = '\0';
                    push(argv, argc, &cap, word);
                }
                break;
            }
            word = kz_xmalloc(n + 1 + home_len);
            k = 0;
            in_word = 1;
            if (quote == 0 && c == '~' && home_len > 0 &&
                (p[1] == '/' || p[1] == '\0' || p[1] == ' ' || p[1] == '\t')) {
                /* An unquoted ~ or ~/ starting a word is the home folder, as in sh. */
                memcpy(word, home, home_len);
                k = home_len;
                continue;
            }
        }
        if (quote == 0 && (c == '\'' || c == '"')) {
            quote = c;
        } else if (quote != 0 && c == quote) {
            quote = 0;
        } else if (c == '\0') {
            explicit_bzero(word, n + 1 + home_len);
            free(word);
            kz_cmd_free_argv(*argc, *argv);
            *argc = 0;
            *argv = NULL;
            return kz_fail(err, KZ_EUSAGE,
                           "unterminated %s quote (free text needs no quotes after a lone '--')",
                           quote == '"' ? "double" : "single");
        } else if (c == '\\' && quote != '\'' && p[1] != '\0') {
            p++;
            if (*p == 'n' && quote == '"')
                word[k++] = '\n';
            else
                word[k++] = *p;
        } else {
            word[k++] = c;
        }
    }
    return KZ_OK;
}

void
kz_cmd_free_argv(int argc, char **argv)
{
    int i;

    if (argv == NULL)
        return;
    for (i = 0; i < argc; i++) {
        if (argv[i] != NULL) {
            explicit_bzero(argv[i], strlen(argv[i]));
            free(argv[i]);
        }
    }
    free(argv);
}

/* A script read through a counter of the line ends it gave: the lines a
 * command read as its note (up to a lone '.') count too, so that an error
 * names the line of the script it came from. */
struct script_src {
    int fd;
    long newlines;
};

static ssize_t
script_read(void *cookie, char *buf, size_t size)
{
    struct script_src *src = cookie;
    ssize_t n, i;

    do
        n = read(src->fd, buf, size);
    while (n < 0 && errno == EINTR);
    for (i = 0; i < n; i++)
        src->newlines += buf[i] == '\n';
    return n;
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
    struct script_src src = {-1, 0};
    FILE *f = NULL;
    struct kz_buf line = {NULL, 0, 0};
    int status = KZ_OK, lineno = 0, dupfd;

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
     * --text, search words) where nothing wipes them; line wipes its own. */
    setvbuf(f, NULL, _IONBF, 0);
    st->script_in = f;
    st->script_fd = fd;
    while (!st->quit && (lineno = (int)src.newlines + 1, kz_ui_read_line(f, &line))) {
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
    st->script_in = NULL;
    st->script_fd = -1;
    st->script_name = NULL;
    fclose(f);
    return status;
}
