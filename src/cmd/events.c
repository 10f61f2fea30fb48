/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recording audit events for commands (events.h): which command is which
 * event, the event itself (in the chain when unlocked, else sealed to the
 * inbox), the vetting of keyless events as they join the chain. The
 * dispatcher, the state (unlock, lock) and the commands all use it; it uses
 * no command. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "cmds.h"

static const struct {
    const char *cmd;
    const char *event;
} events[] = {
    {"couple add", "create"},        {"session add", "create"},     {"goal add", "create"},
    {"themes add", "create"},        {"couple set", "change"},      {"couple edit", "change"},
    {"couple close", "change"},      {"session edit", "change"},    {"goal progress", "change"},
    {"goal done", "change"},         {"goal drop", "change"},       {"session sign", "sign"},
    {"session amend", "amend"},      {"couple delete", "erase"},    {"couple list", "view"},
    {"couple show", "view"},         {"session list", "view"},      {"session show", "view"},
    {"goal list", "view"},           {"goal show", "view"},         {"search", "view"},
    {"export", "export"},            {"import", "import"},          {"backup create", "backup"},
    {"passwd", "passphrase"},        {"recovery rotate", "passphrase"}, {"rekey", "rekey"},
    {"config set", "setting"},       {"config unset", "setting"},   {"recipients add", "setting"},
    {"recipients remove", "setting"}, {"session void", "void"},   {"session delete", "delete"},
    {"template add", "create"},      {"template remove", "delete"},
    {"score add", "create"},         {"score remove", "delete"},    {"score list", "view"},
    {"score show", "view"},          {"measure define", "create"},  {"measure remove", "delete"},
    {"flags", "view"}, /* the flags name partners and carry their scores */
    {"timeline", "view"},
    {"report", "export"},
    {"chart", "view"},
    {"couple erase", "erase"}, /* couple_erase.c records its own, with the counts */
    {"couple reopen", "change"},    {"couple hold", "hold"},      {"couple release", "release"},
    {"retention", "view"}, /* names closed couples and their dates */
    {"custodian setup", "custodian"}, {"custodian revoke", "rekey"},
    {"custodian acknowledge", "custodian"},
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
    else if (strcmp(cmd, "score add") == 0 || strcmp(cmd, "score show") == 0 ||
             strcmp(cmd, "score remove") == 0)
        kind = KZ_KIND_SCORE;
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
            strncmp(cmd, "themes", 6) != 0 && strncmp(cmd, "measure", 7) != 0) {
            /* The code as stored (c014 typed is C014); as typed when it is gone. */
            if (kz_rec_find_couple(st, ref, id, &hi, NULL) == KZ_OK)
                snprintf(code, size, "%s", hi.code);
            else
                snprintf(code, size, "%s", ref);
        }
}

static int
audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
            const char *how, const char *reason, json_t *extra, struct kz_err *err);

int
kz_audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
               const char *how, struct kz_err *err)
{
    return audit_event(st, event, cmd, ref, how, NULL, NULL, err);
}

int
kz_audit_event_reason(struct kz_state *st, const char *event, const char *cmd, const char *ref,
                      const char *reason, struct kz_err *err)
{
    return audit_event(st, event, cmd, ref, NULL, reason, NULL, err);
}

int
kz_audit_event_extra(struct kz_state *st, const char *event, const char *cmd, const char *ref,
                     const char *reason, json_t *extra, struct kz_err *err)
{
    return audit_event(st, event, cmd, ref, NULL, reason, extra, err);
}

static int
audit_event(struct kz_state *st, const char *event, const char *cmd, const char *ref,
            const char *how, const char *reason, json_t *extra, struct kz_err *err)
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
    if (extra != NULL)
        json_object_update_missing(e, extra);
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
