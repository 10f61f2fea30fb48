/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit trail seen from the commands: which command is which event, and
 * audit log | verify | head. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
    {"recipients remove", "setting"}, {"session void", "void"},   {"session delete", "delete"},
    {"template add", "create"},      {"template remove", "delete"},
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

/* The kinds a process without the key records, with the one command each comes
 * from and the one optional string field it may carry. */
static const struct {
    const char *event, *cmd, *field;
} keyless_kinds[] = {
    {"unlock_failed", "unlock", "how"},
    {"backup", "backup create", "ref"},
    {"restore", "backup restore", NULL},
};

#define VET_FIELD_MAX 1024 /* bytes of a kept string field (a backup's file name) */
#define VET_KIND_MAX 32   /* bytes of an unknown kind kept under pending_invalid */

/* A string field worth keeping: at most max bytes, no control characters. */
static int
vet_string(json_t *v, size_t max)
{
    const char *s = json_string_value(v);
    size_t i, n;

    if (s == NULL || (n = json_string_length(v)) == 0 || n > max || strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    }
    return 1;
}

/* A time as kz_time_now writes it: YYYY-MM-DDTHH:MM:SSZ. */
static int
vet_time(json_t *v)
{
    const char *s = json_string_value(v), *end;
    struct tm tm;

    if (s == NULL || json_string_length(v) != 20)
        return 0;
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return end != NULL && *end == '\0';
}

/* Anyone who can write the vault file can seal an event to its inbox key, so a
 * pending event is taken at none of its words: only the kinds a process without
 * the key records survive, each rebuilt from its known fields (a field of
 * another name, type or shape is dropped and counted); its time is the fold's,
 * the time it claims is kept as "claimed"; it is marked keyless. Anything else
 * becomes "pending_invalid" with its size and, when short and printable, the
 * kind it claimed; json NULL (a blob that did not open) "pending_unreadable". */
char *
kz_audit_vet_pending(const char *json, size_t len)
{
    json_t *e = json != NULL ? json_loadb(json, len, 0, NULL) : NULL, *out, *v;
    const char *ev = json_string_value(json_object_get(e, "event")), *key;
    char now[21], *text, *dumped;
    size_t i, k = sizeof(keyless_kinds) / sizeof(keyless_kinds[0]);
    long dropped = 0;

    for (i = 0; json_is_object(e) && ev != NULL && i < k; i++) {
        if (strcmp(ev, keyless_kinds[i].event) == 0)
            break;
    }
    kz_time_now(now);
    if (json == NULL) {
        out = json_pack("{s:s,s:s,s:s,s:I,s:b}", "t", now, "event", "pending_unreadable", "cmd",
                        "", "bytes", (json_int_t)len, "keyless", 1);
        goto done;
    }
    if (!json_is_object(e) || ev == NULL || i == k) {
        out = json_pack("{s:s,s:s,s:s,s:I,s:b}", "t", now, "event", "pending_invalid", "cmd", "",
                        "bytes", (json_int_t)len, "keyless", 1);
        if (vet_string(json_object_get(e, "event"), VET_KIND_MAX))
            json_object_set_new(out, "pending", json_pack("{s:s}", "event", ev));
        goto done;
    }
    out = json_pack("{s:s,s:s,s:s}", "t", now, "event", keyless_kinds[i].event, "cmd",
                    keyless_kinds[i].cmd);
    json_object_foreach(e, key, v) {
        if (strcmp(key, "event") == 0 || (strcmp(key, "keyless") == 0 && json_is_true(v)))
            continue;
        if (strcmp(key, "cmd") == 0 && json_is_string(v) &&
            strcmp(json_string_value(v), keyless_kinds[i].cmd) == 0)
            continue;
        if (strcmp(key, "t") == 0 && vet_time(v))
            json_object_set(out, "claimed", v);
        else if (keyless_kinds[i].field != NULL && strcmp(key, keyless_kinds[i].field) == 0 &&
                 vet_string(v, VET_FIELD_MAX))
            json_object_set(out, key, v);
        else
            dropped++;
    }
    json_object_set_new(out, "keyless", json_true());
    if (dropped > 0)
        json_object_set_new(out, "dropped", json_integer(dropped));
done:
    json_decref(e);
    if (out == NULL || (dumped = json_dumps(out, JSON_COMPACT)) == NULL)
        kz_die("out of memory");
    json_decref(out);
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
            strcmp(cmd, "search") != 0 && strncmp(cmd, "template", 8) != 0 &&
            strncmp(cmd, "themes", 6) != 0) {
            /* The code as stored (c014 typed is C014); as typed when it is gone. */
            if (kz_rec_find_couple(st, ref, id, &hi, NULL) == KZ_OK)
                snprintf(code, size, "%s", hi.code);
            else
                snprintf(code, size, "%s", ref);
        }
}

static int
audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
            const char *how, const char *reason, struct kz_err *err);

int
kz_audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
               const char *how, struct kz_err *err)
{
    return audit_event(st, event, cmd, ref, how, NULL, err);
}

int
kz_audit_event_reason(struct kz_state *st, const char *event, const char *cmd, const char *ref,
                      const char *reason, struct kz_err *err)
{
    return audit_event(st, event, cmd, ref, NULL, reason, err);
}

static int
audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
            const char *how, const char *reason, struct kz_err *err)
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
    if (reason != NULL)
        json_object_set_new(e, "reason", json_string(reason));
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
    int text; /* a table: the NOTE column */
};

int
kz_audit_unverified(json_t *e)
{
    json_t *folded = json_object_get(e, "folded");

    if (!json_is_true(json_object_get(e, "keyless")))
        return 0;
    /* Folded before the fold kept its own time: "t" is the claimed one. */
    if (json_is_string(folded) && json_object_get(e, "claimed") == NULL) {
        json_object_set(e, "claimed", json_object_get(e, "t"));
        json_object_set(e, "t", folded);
        json_object_del(e, "folded");
    }
    return 1;
}

/* "unverified, claimed 2026-01-01T00:00:00Z, 2 fields dropped" for the table
 * (a kind not taken: "unverified, claimed to be delete"). */
static void
note_of(json_t *e)
{
    const char *claimed = json_string_value(json_object_get(e, "claimed"));
    const char *kind = json_string_value(json_object_get(json_object_get(e, "pending"), "event"));
    json_int_t dropped = json_integer_value(json_object_get(e, "dropped"));
    char note[160];
    int n;

    n = snprintf(note, sizeof(note), "unverified");
    if (claimed != NULL)
        n += snprintf(note + n, sizeof(note) - (size_t)n, ", claimed %.20s", claimed);
    if (kind != NULL)
        n += snprintf(note + n, sizeof(note) - (size_t)n, ", claimed to be %.32s", kind);
    if (dropped > 0)
        snprintf(note + n, sizeof(note) - (size_t)n, ", %lld field%s dropped",
                 (long long)dropped, dropped == 1 ? "" : "s");
    json_object_set_new(e, "note", json_string(note));
}

static int
collect(void *ctx, unsigned long long seq, const char *json, size_t len)
{
    struct logq *q = ctx;
    json_t *e = json_loadb(json, len, 0, NULL);
    const char *t;
    char day[11] = "";
    uint32_t d;
    int unverified;

    if (e == NULL)
        return 0;
    unverified = kz_audit_unverified(e);
    t = json_string_value(json_object_get(e, "t"));
    if (t != NULL) {
        snprintf(day, sizeof(day), "%.10s", t);
        d = kz_date_parse(day);
        if ((q->since && d < q->since) || (q->until && d > q->until))
            goto skip;
    }
    if (q->couple != NULL) {
        const char *c = json_string_value(json_object_get(e, "couple"));
        if (c == NULL || strcasecmp(c, q->couple) != 0) /* codes ignore case */
            goto skip;
    }
    json_object_set_new(e, "seq", json_integer((json_int_t)seq));
    json_object_set_new(e, "unverified", json_boolean(unverified));
    if (unverified && q->text)
        note_of(e);
    else if (q->text && json_is_string(json_object_get(e, "reason")))
        json_object_set_new(e, "note", json_pack("s++", "reason: ",
                                                 json_string_value(json_object_get(e, "reason")),
                                                 ""));
    json_array_append(q->rows, e);
skip:
    json_decref(e);
    return 0;
}

static int
cmd_log(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    /* NOTE (unverified entries) is the last column, shown when a row has one. */
    static const struct kz_col cols[] = {
        {"seq", "SEQ", 0},     {"t", "TIME (UTC)", 0}, {"event", "EVENT", 0},
        {"cmd", "COMMAND", 16}, {"ref", "RECORD", 10},  {"couple", "COUPLE", 8},
        {"note", "NOTE", 0},     {NULL, NULL, 0},
    };
    static const struct kz_col cols_no_note[] = {
        {"seq", "SEQ", 0},     {"t", "TIME (UTC)", 0}, {"event", "EVENT", 0},
        {"cmd", "COMMAND", 16}, {"ref", "RECORD", 10},  {"couple", "COUPLE", 8},
        {NULL, NULL, 0},
    };
    json_t *row;
    const char *since = NULL, *until = NULL, *couple = NULL, *limit = NULL;
    const struct kz_opt opts[] = {
        {"since", 0, 1, &since, NULL}, {"until", 0, 1, &until, NULL},
        {"couple", 0, 1, &couple, NULL}, {"limit", 0, 1, &limit, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    struct logq q = {0, 0, NULL, NULL, 0};
    char *pos[1], *end;
    long lim = 0;
    size_t n;
    int rc, npos;

    if ((rc = kz_cmd_parse("audit log", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((since != NULL && (rc = kz_cmd_date_read(st, "--since", since, &q.since, err)) != KZ_OK) ||
        (until != NULL && (rc = kz_cmd_date_read(st, "--until", until, &q.until, err)) != KZ_OK))
        return rc;
    if (limit != NULL) {
        errno = 0;
        lim = strtol(limit, &end, 10);
        if (errno != 0 || *end != '\0' || lim < 1)
            return kz_fail(err, KZ_EUSAGE, "audit log: --limit takes a positive number");
    }
    q.couple = couple;
    q.text = !st->ui.json;
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
    {
        size_t i;
        int notes = 0;
        json_array_foreach(q.rows, i, row) {
            notes |= json_object_get(row, "note") != NULL;
        }
        kz_ui_table(&st->ui, q.rows, notes ? cols : cols_no_note, "no audit events");
    }
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
    "who did what and when (the chain is verified as it is read)",
    "Events written without the key (a failed unlock, a backup without the passphrase,\n"
    "a restore) are marked unverified (NOTE; \"unverified\": true in JSON): anyone who can\n"
    "write the vault file could have sealed them. Their time is when the next unlock\n"
    "folded them in; the time they claim is shown as claimed; other fields are dropped.",
    CMD_NEEDS_KEY, log_opts, cmd_log};
const struct kz_cmd_entry kz_cmd_audit_verify = {
    "audit verify", "[--expect-head N:HEX]",
    "recompute the whole chain; exit 4 naming the first bad entry",
    "With --expect-head (as 'audit head' printed it earlier, kept outside the vault), a vault\n"
    "rolled back to an older copy, truncated or rewritten is detected too.",
    CMD_NEEDS_KEY, verify_opts, cmd_verify};
const struct kz_cmd_entry kz_cmd_audit_head = {
    "audit head", "", "the newest link (N:HEX), to record outside the vault", NULL, 0, no_opts,
    cmd_head};
