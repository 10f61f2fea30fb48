/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit command: audit log | verify | head (recording events is
 * src/cmd/events.c). */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"

/* ---- audit log ---- */

/* An entry kept for the table: its sequence number and its text, parsed
 * only once it is known to be shown (at 100,000 entries 'audit log --limit
 * 20' parsed and kept every one: 0.44 s, where the chain's check is 0.16 s). */
struct kept {
    unsigned long long seq;
    char *json; /* plaintext: wiped when freed */
    size_t len, cap;
};

struct logq {
    uint32_t since, until;
    const char *couple;
    int couple_plain; /* couple is letters, digits, '-' and '_': as the JSON writes it */
    int text; /* a table: the NOTE column */
    size_t limit;  /* 0: every entry */
    struct kept *ring; /* the latest limit entries that pass (all when limit is 0) */
    size_t cap, n; /* cap: the ring's slots; n: how many passed, kept or not */
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

/* Whether entry e passes --since, --until and --couple. */
static int
passes(const struct logq *q, json_t *e)
{
    const char *t = json_string_value(json_object_get(e, "t"));

    if (t != NULL) {
        char day[11];
        uint32_t d;
        snprintf(day, sizeof(day), "%.10s", t);
        d = kz_date_parse(day);
        if ((q->since && d < q->since) || (q->until && d > q->until))
            return 0;
    }
    if (q->couple != NULL) {
        const char *c = json_string_value(json_object_get(e, "couple"));
        if (c == NULL || strcasecmp(c, q->couple) != 0) /* codes ignore case */
            return 0;
    }
    return 1;
}

static int
collect(void *ctx, unsigned long long seq, const char *json, size_t len)
{
    struct logq *q = ctx;
    struct kept *k;
    size_t mlen;

    /* An entry that never names the code (case and accents folded, as
     * search folds them) is another couple's: not parsed to find out. */
    if (q->couple_plain && kz_find_folded(json, len, q->couple, &mlen) < 0)
        return 0;
    if (q->since || q->until || q->couple != NULL) {
        json_t *e = json_loadb(json, len, 0, NULL);
        int ok = e != NULL && passes(q, e);
        json_decref(e);
        if (!ok)
            return 0;
    }
    if (q->limit == 0 && q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        q->ring = kz_wipe_grow(q->ring, q->cap * sizeof(*q->ring), cap * sizeof(*q->ring));
        memset(q->ring + q->cap, 0, (cap - q->cap) * sizeof(*q->ring));
        q->cap = cap;
    }
    /* With a limit, entry n takes the slot of entry n - limit: the latest stay. */
    k = &q->ring[q->limit ? q->n % q->limit : q->n];
    if (len + 1 > k->cap) {
        kz_wipe_free(k->json, k->cap);
        k->cap = len + 64;
        k->json = kz_xmalloc(k->cap);
    }
    memcpy(k->json, json, len);
    k->json[len] = '\0';
    k->len = len;
    k->seq = seq;
    q->n++;
    return 0;
}

/* Kept entry k as a row of the table (NULL: not a JSON object, left out as
 * before). */
static json_t *
row_of(const struct logq *q, const struct kept *k)
{
    json_t *e = json_loadb(k->json, k->len, 0, NULL);
    int unverified;

    if (e == NULL)
        return NULL;
    unverified = kz_audit_unverified(e);
    json_object_set_new(e, "seq", json_integer((json_int_t)k->seq));
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
    return e;
}

static void
kept_free(struct logq *q)
{
    size_t i;

    for (i = 0; q->ring != NULL && i < q->cap; i++)
        kz_wipe_free(q->ring[i].json, q->ring[i].cap);
    kz_wipe_free(q->ring, q->cap * sizeof(*q->ring));
    q->ring = NULL;
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
    json_t *rows, *row;
    const char *since = NULL, *until = NULL, *couple = NULL, *limit_s = NULL;
    const struct kz_opt opts[] = {
        {"since", 0, 1, &since, NULL}, {"until", 0, 1, &until, NULL},
        /* session list's and search's names for the same */
        {"from", 0, 1, &since, NULL},  {"to", 0, 1, &until, NULL},
        {"couple", 0, 1, &couple, NULL}, {"limit", 0, 1, &limit_s, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    struct logq q;
    char *pos[1];
    long limit;
    size_t i, shown;
    int rc, npos, notes = 0;

    memset(&q, 0, sizeof(q));
    if ((rc = kz_cmd_parse(st, "audit log", argc, argv, opts, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((since != NULL && (rc = kz_cmd_date_read(st, "--since", since, &q.since, err)) != KZ_OK) ||
        (until != NULL && (rc = kz_cmd_date_read(st, "--until", until, &q.until, err)) != KZ_OK))
        return rc;
    /* --limit N: the latest N (0: all); a terminal's default is the latest
     * screenful, a script's every entry. */
    if ((rc = kz_cmd_limit(st, "audit log", limit_s, &limit, err)) != KZ_OK)
        return rc;
    q.couple = couple;
    q.couple_plain = couple != NULL && *couple != '\0' &&
                     strspn(couple, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_") == strlen(couple);
    q.text = !st->ui.json;
    q.limit = (size_t)limit;
    if (q.limit > 0) {
        q.ring = kz_xcalloc(q.limit, sizeof(*q.ring));
        q.cap = q.limit;
    }
    if ((rc = kz_vault_audit_walk(st->vault, collect, &q, err)) != KZ_OK) {
        kept_free(&q);
        return rc;
    }
    shown = q.limit && q.n > q.limit ? q.limit : q.n;
    rows = json_array();
    for (i = q.n - shown; i < q.n; i++) {
        if ((row = row_of(&q, &q.ring[q.limit ? i % q.limit : i])) == NULL)
            continue;
        notes |= json_object_get(row, "note") != NULL;
        json_array_append_new(rows, row);
    }
    kept_free(&q);
    kz_ui_table(&st->ui, rows, notes ? cols : cols_no_note, "no audit events");
    if (shown < q.n && kz_ui_screen_rows() > 0) {
        char n[32];
        kz_ui_say(&st->ui, "%s events; the latest %zu shown: --limit 0 for all\n",
                  kz_cmd_grouped(q.n, n, sizeof(n)), shown);
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
    "--limit N shows the latest N (0: all); a terminal gets the latest screenful without it,\n"
    "scripts and --json every entry.\n"
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
