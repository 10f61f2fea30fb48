/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit command: audit log | verify | head (recording events is
 * src/cmd/events.c). */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds.h"

/* ---- audit log ---- */

struct logq {
    uint32_t since, until;
    const char *couple;
    json_t *rows;
    int text; /* a table: the NOTE column */
};

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
    else if (q->text && json_is_string(json_object_get(e, "how")) &&
             strncmp(json_string_value(json_object_get(e, "how")), "custodian shares", 16) == 0)
        json_object_set(e, "note", json_object_get(e, "how")); /* an emergency opening */
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

    if ((rc = kz_cmd_parse(st, "audit log", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
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

    if ((rc = kz_cmd_parse(st, "audit head", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
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
    if ((rc = kz_cmd_parse(st, "audit verify", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
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
