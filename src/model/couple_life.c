/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A couple's lifecycle (issue #16): closing archives it (read-only), reopening
 * opens it again, a legal hold blocks erasure, and retention counts from the
 * closing date. Pure functions over the couple body (model_couple.h). */
#include <stdio.h>
#include <string.h>

#include "kizuna/model_couple.h"

static const char *
code_of(const json_t *c)
{
    const char *code = json_string_value(json_object_get(c, "code"));

    return code != NULL ? code : "?";
}

uint32_t
kz_couple_closed_on(const json_t *c)
{
    if (kz_couple_status(c) != KZ_ST_CLOSED)
        return 0;
    return kz_date_parse(json_string_value(json_object_get(c, "closed")));
}

uint32_t
kz_date_add_years(uint32_t d, int years)
{
    uint32_t y = d / 10000 + (uint32_t)years, md = d % 10000;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (d == 0)
        return 0;
    if (md == 229 && !leap)
        md = 228;
    return y * 10000 + md;
}

uint32_t
kz_couple_retention_end(const json_t *c, uint32_t last_session, int years)
{
    uint32_t from;

    if (kz_couple_status(c) != KZ_ST_CLOSED)
        return 0;
    from = kz_couple_closed_on(c);
    if (from == 0)
        from = last_session;
    if (from == 0)
        from = kz_date_parse(json_string_value(json_object_get(c, "intake")));
    return kz_date_add_years(from, years);
}

int
kz_couple_on_hold(const json_t *c, const char **reason)
{
    const json_t *hold = json_object_get(c, "hold");

    if (!json_is_object(hold))
        return 0;
    if (reason != NULL)
        *reason = json_string_value(json_object_get(hold, "reason"));
    return 1;
}

uint32_t
kz_couple_hold_since(const json_t *c)
{
    return kz_date_parse(json_string_value(json_object_get(json_object_get(c, "hold"), "since")));
}

int
kz_couple_writable(const json_t *c, struct kz_err *err)
{
    if (kz_couple_status(c) != KZ_ST_CLOSED)
        return KZ_OK;
    return kz_fail(err, KZ_ERR, "%s is closed (archived): couple reopen %s to change it",
                   code_of(c), code_of(c));
}

/* What the retention end counts from, for the message. */
static const char *
counted_from(const json_t *c, uint32_t last_session)
{
    if (kz_couple_closed_on(c) != 0)
        return "closing";
    return last_session != 0 ? "the last session" : "intake";
}

int
kz_couple_erase_check(const json_t *c, uint32_t last_session, int years, uint32_t today,
                      int before_retention, struct kz_err *err)
{
    const char *reason = NULL, *code = code_of(c);
    char day[11];
    uint32_t end;
    int st = kz_couple_status(c);

    if (kz_couple_on_hold(c, &reason)) {
        kz_date_format(kz_couple_hold_since(c), day);
        return kz_fail(err, KZ_ERR,
                       "%s is on legal hold since %s (%s): couple release %s first", code, day,
                       reason != NULL ? reason : "", code);
    }
    if (st != KZ_ST_CLOSED)
        return kz_fail(err, KZ_ERR, "%s is %s: couple close %s first", code,
                       st < 0 ? "not closed" : kz_status_name(st), code);
    end = kz_couple_retention_end(c, last_session, years);
    if (before_retention || today > end)
        return KZ_OK;
    kz_date_format(end, day);
    return kz_fail(err, KZ_ERR,
                   "%s is kept until %s (%d year%s after %s, config retention.years): "
                   "--before-retention --reason TEXT for a client's erasure request",
                   code, day, years, years == 1 ? "" : "s", counted_from(c, last_session));
}

int
kz_couple_close(json_t *c, uint32_t today, struct kz_err *err)
{
    char day[11];

    if (kz_couple_status(c) == KZ_ST_CLOSED) {
        kz_date_format(kz_couple_closed_on(c), day);
        return kz_fail(err, KZ_ERR, "%s is already closed%s%s", code_of(c),
                       *day ? " since " : "", day);
    }
    kz_date_format(today, day);
    json_object_set_new(c, "status", json_string("closed"));
    json_object_set_new(c, "closed", json_string(day));
    return KZ_OK;
}

int
kz_couple_reopen(json_t *c, uint32_t today, struct kz_err *err)
{
    char day[11];
    int st = kz_couple_status(c);

    if (st != KZ_ST_CLOSED)
        return kz_fail(err, KZ_ERR, "%s is not closed (%s)", code_of(c),
                       st < 0 ? "?" : kz_status_name(st));
    kz_date_format(today, day);
    json_object_set_new(c, "status", json_string("active"));
    json_object_del(c, "closed");
    json_object_set_new(c, "reopened", json_string(day));
    return KZ_OK;
}

int
kz_couple_hold(json_t *c, const char *reason, uint32_t today, struct kz_err *err)
{
    const char *old = NULL;
    const unsigned char *p;
    char day[11];

    if (reason == NULL || *reason == '\0')
        return kz_fail(err, KZ_EUSAGE, "couple hold: --reason TEXT is required (why the hold)");
    if (strlen(reason) > KZ_HOLD_REASON_MAX)
        return kz_fail(err, KZ_EUSAGE, "couple hold: the reason is longer than %d bytes",
                       KZ_HOLD_REASON_MAX);
    for (p = (const unsigned char *)reason; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return kz_fail(err, KZ_EUSAGE, "couple hold: the reason must be one line of text");
    }
    if (kz_couple_on_hold(c, &old)) {
        kz_date_format(kz_couple_hold_since(c), day);
        return kz_fail(err, KZ_ERR,
                       "%s is already on legal hold since %s (%s): couple release %s first",
                       code_of(c), day, old != NULL ? old : "", code_of(c));
    }
    kz_date_format(today, day);
    json_object_set_new(c, "hold", json_pack("{s:s,s:s}", "reason", reason, "since", day));
    return KZ_OK;
}

int
kz_couple_release(json_t *c, struct kz_err *err)
{
    if (!kz_couple_on_hold(c, NULL))
        return kz_fail(err, KZ_ERR, "%s is not on legal hold", code_of(c));
    json_object_del(c, "hold");
    return KZ_OK;
}
