/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit trail seen from the commands: which command is which event, and
 * audit log | verify | head. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/wipe.h"
#include "kizuna/secmem.h"
#include "cmds.h"

static const struct {
    const char *cmd;
    const char *event;
} events[] = {
    {"couple add", "create"},        {"session add", "create"},     {"goal add", "create"},
    {"themes add", "create"},        {"couple set", "change"},      {"couple edit", "change"},
    {"couple close", "change"},      {"session edit", "change"},    {"goal progress", "change"},
    {"goal done", "change"},         {"goal drop", "change"},       {"session sign", "sign"},
    {"session amend", "amend"},      {"couple delete", "delete"},   {"couple list", "view"},
    {"couple show", "view"},         {"session list", "view"},      {"session show", "view"},
    {"goal list", "view"},           {"goal show", "view"},         {"search", "view"},
    {"export", "export"},            {"import", "import"},          {"backup create", "backup"},
    {"passwd", "passphrase"},        {"recovery rotate", "passphrase"}, {"rekey", "rekey"},
    {"config set", "setting"},       {"config unset", "setting"},   {"recipients add", "setting"},
    {"recipients remove", "setting"},
};

const char *
kz_audit_event_of(const char *cmd)
{
    size_t i;

    for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (strcmp(events[i].cmd, cmd) == 0)
            return events[i].event;
    }
    return NULL;
}

int
kz_audit_first(struct kz_state *st, const char *event, const char *cmd, const char *ref,
               const char *refused, struct kz_err *err)
{
    char why[sizeof(err->msg)];
    int rc = kz_audit_event(st, event, cmd, ref, NULL, err);

    if (rc == KZ_OK)
        return KZ_OK;
    snprintf(why, sizeof(why), "%s", err->msg);
    return kz_fail(err, rc, "%s: the audit trail could not note it (%s)", refused, why);
}

/* Anyone who can write the vault file can seal an event to its inbox key, so a
 * pending event is marked keyless whatever it says, and one of a kind that no
 * process without the key records is kept whole under "pending_invalid". */
char *
kz_audit_vet_pending(const char *json, size_t len)
{
    static const char *const keyless[] = {"unlock_failed", "backup", "restore", NULL};
    json_t *e = json_loadb(json, len, 0, NULL);
    const char *ev = json_string_value(json_object_get(e, "event"));
    char now[21], *text, *dumped;
    int i, known = 0;

    for (i = 0; ev != NULL && keyless[i] != NULL; i++)
        known |= strcmp(ev, keyless[i]) == 0;
    kz_time_now(now);
    if (!json_is_object(e) || !known) {
        json_t *bad = json_pack("{s:s,s:s,s:s,s:I}", "t", now, "event", "pending_invalid", "cmd",
                                "", "bytes", (json_int_t)len);
        if (json_is_object(e))
            json_object_set(bad, "pending", e);
        json_decref(e);
        e = bad;
    }
    json_object_set_new(e, "keyless", json_true());
    json_object_set_new(e, "folded", json_string(now));
    dumped = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    if (dumped == NULL)
        kz_die("out of memory");
    text = kz_xstrdup(dumped); /* the caller frees it with free() */
    kz_json_free(dumped);
    return text;
}

/* The couple a record reference belongs to ("" when none). */
static void
couple_of(struct kz_state *st, const char *cmd, const char *ref, char *code, size_t size)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    int kind = 0;

    code[0] = '\0';
    if (ref == NULL || *ref == '\0' || st->vault == NULL || !kz_vault_unlocked(st->vault))
        return;
    if (strncmp(cmd, "session", 7) == 0 && (ref[0] == 's' || (ref[0] >= '1' && ref[0] <= '9')))
        kind = KZ_KIND_SESSION;
    else if (strncmp(cmd, "goal", 4) == 0 && (ref[0] == 'g' || (ref[0] >= '1' && ref[0] <= '9')))
        kind = KZ_KIND_GOAL;
    if (kind != 0) {
        char pc[KZ_CODE_MAX + 1];
        if (kz_rec_find_num(st, kind, ref, id, &hi, NULL) == KZ_OK) {
            kz_rec_parent_code(st, hi.parent, pc);
            snprintf(code, size, "%s", pc);
        }
        return;
    }
    if (strncmp(cmd, "couple", 6) == 0 || strcmp(cmd, "export") == 0 ||
        strcmp(cmd, "import") == 0 || kz_code_check(ref) == 0)
        if (strncmp(cmd, "config", 6) != 0 && strncmp(cmd, "recipients", 10) != 0 &&
            strcmp(cmd, "search") != 0)
            snprintf(code, size, "%s", ref);
}

int
kz_audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
               const char *how, struct kz_err *err)
{
    char now[21], code[KZ_CODE_MAX + 1], *text;
    json_t *e;
    int rc, unlocked;

    if (st->vault == NULL)
        return KZ_OK;
    unlocked = kz_vault_unlocked(st->vault);
    kz_time_now(now);
    couple_of(st, cmd, ref, code, sizeof(code));
    e = json_pack("{s:s,s:s,s:s}", "t", now, "event", event, "cmd", cmd);
    if (ref != NULL && *ref != '\0')
        json_object_set_new(e, "ref", json_string(ref));
    if (*code != '\0')
        json_object_set_new(e, "couple", json_string(code));
    if (how != NULL)
        json_object_set_new(e, "how", json_string(how));
    if (!unlocked)
        json_object_set_new(e, "keyless", json_true());
    text = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    if (text == NULL)
        kz_die("out of memory");
    if ((rc = kz_vault_begin(st->vault, err)) == KZ_OK) {
        rc = unlocked ? kz_vault_audit_append(st->vault, text, strlen(text), err)
                      : kz_vault_audit_pending(st->vault, text, strlen(text), err);
        if (rc == KZ_OK)
            rc = kz_vault_commit(st->vault, err);
        else
            kz_vault_rollback(st->vault);
    }
    kz_json_free(text);
    return rc;
}

void
kz_state_lock(struct kz_state *st, const char *how)
{
    struct kz_err err;

    if (st->vault == NULL || !kz_vault_unlocked(st->vault))
        return;
    if (kz_audit_event(st, "lock", "lock", NULL, how, &err) != KZ_OK)
        kz_ui_warn(&st->ui, "the lock was not written to the audit trail: %s", err.msg);
    kz_vault_lock(st->vault);
    kz_ui_wipe_stdout(&st->ui); /* what the views printed */
    kz_stack_wipe();            /* records decoded into locals, printf's buffers */
}

/* ---- audit log ---- */

struct logq {
    uint32_t since, until;
    const char *couple;
    json_t *rows;
};

static int
collect(void *ctx, unsigned long long seq, const char *json, size_t len)
{
    struct logq *q = ctx;
    json_t *e = json_loadb(json, len, 0, NULL);
    const char *t = json_string_value(json_object_get(e, "t"));
    char day[11] = "";
    uint32_t d;

    if (e == NULL)
        return 0;
    if (t != NULL) {
        snprintf(day, sizeof(day), "%.10s", t);
        d = kz_date_parse(day);
        if ((q->since && d < q->since) || (q->until && d > q->until))
            goto skip;
    }
    if (q->couple != NULL) {
        const char *c = json_string_value(json_object_get(e, "couple"));
        if (c == NULL || strcmp(c, q->couple) != 0)
            goto skip;
    }
    json_object_set_new(e, "seq", json_integer((json_int_t)seq));
    json_array_append(q->rows, e);
skip:
    json_decref(e);
    return 0;
}

static int
cmd_log(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"seq", "SEQ", 0},     {"t", "TIME (UTC)", 0}, {"event", "EVENT", 0},
        {"cmd", "COMMAND", 16}, {"ref", "RECORD", 10},  {"couple", "COUPLE", 8},
        {NULL, NULL, 0},
    };
    const char *since = NULL, *until = NULL, *couple = NULL, *limit = NULL;
    const struct kz_opt opts[] = {
        {"since", 0, 1, &since, NULL}, {"until", 0, 1, &until, NULL},
        {"couple", 0, 1, &couple, NULL}, {"limit", 0, 1, &limit, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    struct logq q = {0, 0, NULL, NULL};
    char *pos[1], *end;
    long lim = 0;
    size_t n;
    int rc, npos;

    if ((rc = kz_cmd_parse("audit log", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((since != NULL && (q.since = kz_date_parse(since)) == 0) ||
        (until != NULL && (q.until = kz_date_parse(until)) == 0))
        return kz_fail(err, KZ_EUSAGE, "audit log: dates are YYYY-MM-DD, today or yesterday");
    if (limit != NULL) {
        errno = 0;
        lim = strtol(limit, &end, 10);
        if (errno != 0 || *end != '\0' || lim < 1)
            return kz_fail(err, KZ_EUSAGE, "audit log: --limit takes a positive number");
    }
    q.couple = couple;
    q.rows = json_array();
    if ((rc = kz_vault_audit_walk(st->vault, collect, &q, err)) != KZ_OK) {
        json_decref(q.rows);
        return rc;
    }
    n = json_array_size(q.rows);
    if (lim > 0 && n > (size_t)lim) {
        json_t *tail = json_array();
        size_t i;
        for (i = n - (size_t)lim; i < n; i++)
            json_array_append(tail, json_array_get(q.rows, i));
        json_decref(q.rows);
        q.rows = tail;
    }
    kz_ui_table(&st->ui, q.rows, cols, "no audit events");
    return KZ_OK;
}

static void
head_text(unsigned long long seq, const unsigned char *mac, char *buf, size_t size)
{
    char hex[2 * KZ_AUDIT_MAC_BYTES + 1];

    kz_hex(mac, KZ_AUDIT_MAC_BYTES, hex);
    snprintf(buf, size, "%llu:%s", seq, hex);
}

static int
cmd_head(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char mac[KZ_AUDIT_MAC_BYTES];
    unsigned long long seq = 0;
    char *pos[1], text[128];
    int rc, npos;

    if ((rc = kz_cmd_parse("audit head", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = kz_vault_audit_head(st->vault, &seq, mac, err)) != KZ_OK)
        return rc;
    head_text(seq, mac, text, sizeof(text));
    kz_ui_done(&st->ui, json_pack("{s:s,s:I}", "head", text, "seq", (json_int_t)seq), "%s", text);
    return KZ_OK;
}

struct expect {
    unsigned long long seq;
    unsigned char mac[KZ_AUDIT_MAC_BYTES];
    int found;
};

static int
check_head(void *ctx, unsigned long long seq, const unsigned char *blob, size_t len,
           const unsigned char *mac, size_t maclen)
{
    struct expect *x = ctx;

    (void)blob;
    (void)len;
    if (seq == x->seq && maclen == KZ_AUDIT_MAC_BYTES &&
        sodium_memcmp(mac, x->mac, KZ_AUDIT_MAC_BYTES) == 0)
        x->found = 1;
    return 0;
}

static int
cmd_verify(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *expect = NULL;
    const struct kz_opt opts[] = {{"expect-head", 0, 1, &expect, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char mac[KZ_AUDIT_MAC_BYTES];
    unsigned long long seq = 0;
    struct expect x;
    char *pos[1], text[128];
    int rc, npos;

    memset(&x, 0, sizeof(x));
    if ((rc = kz_cmd_parse("audit verify", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if (expect != NULL) {
        const char *colon = strchr(expect, ':');
        char *end;
        size_t binlen = 0;
        errno = 0;
        x.seq = strtoull(expect, &end, 10);
        if (colon == NULL || end != colon || errno != 0 || x.seq == 0 ||
            sodium_hex2bin(x.mac, sizeof(x.mac), colon + 1, strlen(colon + 1), NULL, &binlen,
                           NULL) != 0 ||
            binlen != sizeof(x.mac))
            return kz_fail(err, KZ_EUSAGE, "audit verify: --expect-head takes N:HEX as 'audit "
                                           "head' prints it");
    }
    if ((rc = kz_vault_audit_walk(st->vault, NULL, NULL, err)) != KZ_OK ||
        (rc = kz_vault_audit_inbox_check(st->vault, err)) != KZ_OK)
        return rc;
    if ((rc = kz_vault_audit_head(st->vault, &seq, mac, err)) != KZ_OK)
        return rc;
    if (expect != NULL) {
        if (seq < x.seq)
            return kz_fail(err, KZ_EINTEGRITY,
                           "audit chain ends at entry %llu but the recorded head is entry %llu: "
                           "the vault was rolled back to an older copy or truncated",
                           seq, x.seq);
        if ((rc = kz_store_audit_foreach(kz_vault_store(st->vault), check_head, &x, err)) !=
            KZ_OK)
            return rc;
        if (!x.found)
            return kz_fail(err, KZ_EINTEGRITY,
                           "audit entry %llu is not the one recorded: the vault was replaced or "
                           "rewritten",
                           x.seq);
    }
    head_text(seq, mac, text, sizeof(text));
    kz_ui_done(&st->ui, json_pack("{s:b,s:I,s:s}", "ok", 1, "entries", (json_int_t)seq, "head", text),
               "audit chain verifies: %llu entries, head %s", seq, text);
    return KZ_OK;
}

static const char *const log_opts[] = {"--since", "--until", "--couple", "--limit", NULL};
static const char *const verify_opts[] = {"--expect-head", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_audit_log = {
    "audit log", "[--since DATE] [--until DATE] [--couple CODE] [--limit N]",
    "who did what and when (the chain is verified as it is read)", NULL, CMD_NEEDS_KEY,
    log_opts, cmd_log};
const struct kz_cmd_entry kz_cmd_audit_verify = {
    "audit verify", "[--expect-head N:HEX]",
    "recompute the whole chain; exit 4 naming the first bad entry",
    "With --expect-head (as 'audit head' printed it earlier, kept outside the vault), a vault\n"
    "rolled back to an older copy, truncated or rewritten is detected too.",
    CMD_NEEDS_KEY, verify_opts, cmd_verify};
const struct kz_cmd_entry kz_cmd_audit_head = {
    "audit head", "", "the newest link (N:HEX), to record outside the vault", NULL, 0, no_opts,
    cmd_head};
