/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple erase (and couple delete, its alias): every record of a couple goes
 * in one transaction, then the vault's log is emptied into the file so that
 * no byte of the sealed records stays in the file, the log or free pages. */
#include <string.h>

#include "kizuna/model_erase.h"
#include "kizuna/store.h"
#include "kizuna/wipe.h"
#include "config_cmd.h"
#include "couple_cmd.h"
#include "events.h"

#define REASON_MAX 200 /* bytes of --reason kept in the audit trail */

struct erase_req {
    const char *cmd; /* "couple erase" or "couple delete": the audit event says which */
    int yes, before, finish;
    const char *reason;
    const char *arg;             /* the code as typed */
    char code[KZ_CODE_MAX + 1]; /* the code as stored, once found */
};

/* The backups the audit trail records since the couple was created. */
struct backups {
    const char *since;
    int n;
};

static int
count_backup(void *ctx, unsigned long long seq, const char *json, size_t len)
{
    struct backups *b = ctx;

    (void)seq;
    b->n += kz_erase_backup_since(json, len, b->since);
    return 0;
}

/* A reason fit for the audit trail: 1..REASON_MAX bytes, no control characters. */
static int
check_reason(const char *r, struct kz_err *err)
{
    size_t i, n = r != NULL ? strlen(r) : 0;

    if (n == 0 || strspn(r, " \t") == n)
        return kz_fail(err, KZ_EUSAGE,
                       "--before-retention needs --reason TEXT (why the record goes before its "
                       "time, e.g. \"client's request of 2026-03-02\"; no client details)");
    if (n > REASON_MAX)
        return kz_fail(err, KZ_EUSAGE, "--reason is %zu bytes; at most %d", n, REASON_MAX);
    for (i = 0; i < n; i++) {
        if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f)
            return kz_fail(err, KZ_EUSAGE, "--reason holds a control character");
    }
    return KZ_OK;
}

/* May the couple c go now (kz_couple_erase_check): not under a legal hold;
 * closed and past its retention (config retention.years from its closing
 * date, else its last session), or early with --before-retention. */
static int
erase_allowed(struct kz_state *st, const json_t *c, uint32_t last_session,
              const struct erase_req *rq, struct kz_err *err)
{
    unsigned char cid[KZ_RECORD_ID_BYTES];
    json_t *cfg = NULL;
    int rc, years;

    if ((rc = kz_config_load(st, cid, &cfg, err)) != KZ_OK)
        return rc;
    years = kz_conf_retention_years(cfg);
    json_decref(cfg);
    return kz_couple_erase_check(c, last_session, years, kz_date_today(), rq->before, err);
}

/* Asks on a terminal for the code typed again; a script must have said --yes. */
static int
confirm_erase(struct kz_state *st, const struct erase_req *rq, const char *what,
              struct kz_err *err)
{
    char question[512];
    int ok, rc;

    if (rq->yes)
        return KZ_OK;
    if (!(st->interactive || kz_ui_have_terminal()))
        return kz_fail(err, KZ_EUSAGE, "refusing without --yes (this cannot be undone)");
    snprintf(question, sizeof(question),
             "Erase for good %s.\nBackups keep them until destroyed. Type %s to erase it:", what,
             rq->code);
    if ((rc = kz_cmd_ask(st, question, rq->code, &ok, err)) != KZ_OK)
        return rc;
    if (!ok)
        return kz_fail(err, KZ_EUSAGE, "not confirmed (the code was not typed); nothing erased");
    return KZ_OK;
}

/* Removes the couple id and its children in the command's transaction, with
 * the audit event; then commits, so that the log can be emptied after. */
static int
remove_all(struct kz_state *st, const struct erase_req *rq, const unsigned char *id,
           const struct kz_rec_child *kids, size_t n, json_t *counts, struct kz_err *err)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if ((rc = kz_vault_record_delete(st->vault, kids[i].id, err)) != KZ_OK)
            return rc;
    }
    if ((rc = kz_vault_record_delete(st->vault, id, err)) != KZ_OK)
        return rc;
    if ((rc = kz_audit_event_extra(st, "erase", rq->cmd, rq->code, rq->reason, counts, err)) !=
        KZ_OK)
        return rc;
    st->audited = 1;
    return kz_vault_commit(st->vault, err);
}

/* Empties the log into the file: KZ_OK, or KZ_EBUSY saying what stays where. */
static int
scrub(struct kz_state *st, const char *done, struct kz_err *err)
{
    struct kz_err e;

    kz_err_clear(&e);
    if (kz_store_wal_truncate(kz_vault_store(st->vault), &e) == KZ_OK)
        return KZ_OK;
    return kz_fail(err, e.code == KZ_EBUSY ? KZ_EBUSY : e.code,
                   "%s, but %s: until it ends, the erased records' sealed pages stay in the "
                   "vault file and its log; close it, then run 'couple erase --finish'",
                   done, e.code == KZ_EBUSY ? "another process holds the vault open" : e.msg);
}

static int
erase_couple(struct kz_state *st, struct erase_req *rq, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_rec_child *kids = NULL;
    struct kz_erase_tally t = {0, 0, 0, 0};
    struct backups b = {NULL, 0};
    struct kz_head_info hi;
    char what[160], done[256];
    json_t *c = NULL, *counts = NULL;
    uint32_t last = 0;
    size_t i, n = 0;
    int rc;

    /* Among two codes that differ only in case the exact one: the way out. */
    if ((rc = kz_rec_find_couple_exact(st, rq->arg, id, &hi, err)) != KZ_OK)
        return rc;
    memcpy(rq->code, hi.code, sizeof(rq->code));
    if ((rc = kz_couple_load(st, id, &c, err)) != KZ_OK ||
        (rc = kz_rec_children(st, id, &kids, &n, err)) != KZ_OK)
        goto out;
    for (i = 0; i < n; i++) {
        kz_erase_tally_add(&t, &kids[i].hi);
        if (kids[i].hi.kind == KZ_KIND_SESSION && kids[i].hi.date > last)
            last = kids[i].hi.date;
    }
    if ((rc = erase_allowed(st, c, last, rq, err)) != KZ_OK)
        goto out;
    b.since = json_string_value(json_object_get(c, "created"));
    if ((rc = kz_vault_audit_walk(st->vault, count_backup, &b, err)) != KZ_OK)
        goto out;
    kz_erase_describe(rq->code, &t, what, sizeof(what));
    if ((rc = confirm_erase(st, rq, what, err)) != KZ_OK)
        goto out;
    counts = json_pack("{s:i,s:i,s:i,s:i,s:b,s:i}", "sessions", t.sessions, "signed",
                       t.signed_sessions, "goals", t.goals, "scores", t.scores,
                       "before_retention", rq->before, "backups", b.n);
    if ((rc = remove_all(st, rq, id, kids, n, counts, err)) != KZ_OK)
        goto out;
    snprintf(done, sizeof(done), "erased %s", what);
    if ((rc = scrub(st, done, err)) != KZ_OK)
        goto out;
    json_object_set_new(counts, "erased", json_string(rq->code));
    if (b.n == 0)
        kz_ui_done(&st->ui, json_incref(counts),
                   "%s\nThe audit trail records no backup since the couple was created; a copy "
                   "made otherwise keeps its records until destroyed.",
                   done);
    else
        kz_ui_done(&st->ui, json_incref(counts),
                   "%s\nThe audit trail records %d backup%s since the couple was created: %s "
                   "its records until %s destroyed.",
                   done, b.n, b.n == 1 ? "" : "s", b.n == 1 ? "it keeps" : "they keep",
                   b.n == 1 ? "it is" : "they are");
out:
    json_decref(counts);
    json_decref(c);
    kz_wipe_free(kids, n * sizeof(*kids)); /* goal titles, themes */
    return rc;
}

/* --finish: only empties the log (after an erase another process held up). */
static int
erase_finish(struct kz_state *st, struct kz_err *err)
{
    struct kz_err e;
    int rc;

    kz_vault_rollback(st->vault); /* the command's change: nothing in it */
    st->audited = 1;              /* nothing viewed or changed */
    kz_err_clear(&e);
    if ((rc = kz_store_wal_truncate(kz_vault_store(st->vault), &e)) != KZ_OK)
        return kz_fail(err, rc, "%s: the log could not be emptied yet; try again when it "
                                "has closed", e.msg);
    kz_ui_done(&st->ui, json_pack("{s:b}", "log_empty", 1),
               "the vault's log is empty: what was erased is in neither the file nor the log");
    return KZ_OK;
}

static int
run_erase(struct kz_state *st, const char *cmd, int argc, char **argv, struct kz_err *err)
{
    struct erase_req rq = {cmd, 0, 0, 0, NULL, NULL, ""};
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &rq.yes},
                                  {"before-retention", 0, 0, NULL, &rq.before},
                                  {"reason", 0, 1, &rq.reason, NULL},
                                  {"finish", 0, 0, NULL, &rq.finish},
                                  {NULL, 0, 0, NULL, NULL}};
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, cmd, argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (rq.finish && npos == 0 && !rq.before && rq.reason == NULL)
        return erase_finish(st, err);
    if (npos != 1 || rq.finish)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: %s CODE [--before-retention --reason TEXT] [--yes] | %s --finish",
                       cmd, cmd);
    if ((rq.before || rq.reason != NULL) && (rc = check_reason(rq.reason, err)) != KZ_OK)
        return rc;
    rq.arg = pos[0];
    return erase_couple(st, &rq, err);
}

static int
cmd_erase(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return run_erase(st, "couple erase", argc, argv, err);
}

static int
cmd_delete(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return run_erase(st, "couple delete", argc, argv, err);
}

static const char *const erase_opts[] = {"--before-retention", "--reason", "--yes", "--finish",
                                         NULL};

#define ERASE_DETAIL                                                                           \
    "Removes every record of the couple (profile, sessions signed or not, goals, scores) in\n" \
    "one transaction, then empties the vault's log into the file: no byte of them stays in\n" \
    "the file, its log or free pages. Only a closed couple (past its retention), or one\n"     \
    "asked for early with --before-retention --reason TEXT (a client's erasure request;\n"   \
    "the reason goes to the audit trail: no client details). On a terminal it names what\n"  \
    "goes and asks for the code typed again; scripts must say --yes. Says how many backups\n" \
    "the audit trail records since the couple was created: they keep it until destroyed.\n"  \
    "Exit 5 when another process holding the vault open kept the log from emptying (the\n"   \
    "couple is gone; run 'couple erase --finish' once it has closed). The audit trail\n"     \
    "keeps the code and the counts, never content. Two couples whose codes differ only in\n" \
    "case (from an older kizuna) are refused as ambiguous everywhere; export and erase take\n" \
    "the code spelt exactly as stored: export one, import it --as a new code, erase it."

const struct kz_cmd_entry kz_cmd_couple_erase = {
    "couple erase", "CODE [--before-retention --reason TEXT] [--yes] | --finish",
    "erase a couple and every record of it for good", ERASE_DETAIL,
    CMD_NEEDS_KEY | CMD_WRITES, erase_opts, cmd_erase};
const struct kz_cmd_entry kz_cmd_couple_delete = {
    "couple delete", "CODE [--before-retention --reason TEXT] [--yes] | --finish",
    "the same as couple erase (same checks and questions)",
    ERASE_DETAIL,
    CMD_NEEDS_KEY | CMD_WRITES, erase_opts, cmd_delete};
