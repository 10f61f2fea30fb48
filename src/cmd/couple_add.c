/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple add|set: a new couple, and profile fields changed by FIELD=VALUE. */
#include <string.h>

#include "couple_cmd.h"

#define MAX_FIELDS 64

/* Applies FIELD=VALUE words to c. */
static int
apply(json_t *c, int n, char **words, struct kz_err *err)
{
    int i, rc;

    for (i = 0; i < n; i++) {
        char *eq = strchr(words[i], '=');
        char field[128];
        size_t flen;
        if (eq == NULL || eq == words[i])
            return kz_fail(err, KZ_EUSAGE, "'%s' is not FIELD=VALUE", words[i]);
        flen = (size_t)(eq - words[i]);
        if (flen >= sizeof(field))
            return kz_fail(err, KZ_EUSAGE, "field name too long");
        memcpy(field, words[i], flen);
        field[flen] = '\0';
        if ((rc = kz_couple_set(c, field, eq + 1, err)) != KZ_OK)
            return rc;
    }
    return KZ_OK;
}

/* An intake date that FIELD=VALUE words changed from before asks first when
 * it is unlikely (kz_cmd_date_check). */
static int
check_intake(struct kz_state *st, const json_t *c, const char *before, int yes,
             struct kz_err *err)
{
    const char *now = json_string_value(json_object_get(c, "intake"));
    uint32_t d = kz_date_parse(now);

    if (d == 0 || strcmp(before, now) == 0)
        return KZ_OK;
    return kz_cmd_date_check(st, "intake", d, 1, yes, err);
}


static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[MAX_FIELDS + 1], today[11];
    json_t *c = NULL;
    int rc, npos, yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};

    if ((rc = kz_cmd_parse(st, "couple add", argc, argv, opts, pos, MAX_FIELDS + 1, &npos, err)) !=
        KZ_OK)
        return rc;
    if (npos < 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple add CODE [FIELD=VALUE ...]");
    if (kz_code_check(pos[0]) != 0)
        return kz_fail(err, KZ_EUSAGE,
                       "'%s' is not a couple code: 1-32 letters, digits, '-' or '_', not "
                       "starting with '-' (a pseudonym such as C014, never a name)",
                       pos[0]);
    {
        /* Codes are matched without regard to case: c004 beside C004 is refused. */
        struct kz_head_info have;
        rc = kz_rec_find_couple(st, pos[0], id, &have, err);
        if (rc == KZ_OK && strcmp(have.code, pos[0]) != 0)
            return kz_fail(err, KZ_EUSAGE,
                           "couple %s already exists (codes are matched without regard to "
                           "case: %s is %s)",
                           have.code, pos[0], have.code);
        if (rc == KZ_OK)
            return kz_fail(err, KZ_EUSAGE, "couple %s already exists", pos[0]);
        if (rc != KZ_ENOTFOUND)
            return rc;
    }
    kz_err_clear(err);
    kz_date_format(kz_date_today(), today);
    c = kz_couple_new(pos[0], today);
    if ((rc = apply(c, npos - 1, pos + 1, err)) != KZ_OK ||
        (rc = check_intake(st, c, today, yes, err)) != KZ_OK)
        goto out;
    {
        char now[21];
        kz_time_now(now);
        kz_couple_stamp(c, "created", now);
    }
    kz_vault_new_record_id(id);
    if ((rc = kz_couple_save(st, id, c, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "added", pos[0]), "added couple %s", pos[0]);
out:
    json_decref(c);
    return rc;
}

/* Finds the couple *code names (any case) and loads it; *code then points to
 * the code as stored (in canon, KZ_CODE_MAX + 1 bytes), for the messages. */
static int
cmd_set(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[MAX_FIELDS + 1], before[16], canon[KZ_CODE_MAX + 1];
    json_t *c = NULL;
    int rc, npos, yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};

    if ((rc = kz_cmd_parse(st, "couple set", argc, argv, opts, pos, MAX_FIELDS + 1, &npos, err)) !=
        KZ_OK)
        return rc;
    if (npos < 2)
        return kz_fail(err, KZ_EUSAGE, "usage: couple set CODE FIELD=VALUE ...");
    if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK ||
        (rc = kz_couple_writable(c, err)) != KZ_OK)
        goto out;
    snprintf(before, sizeof(before), "%s",
             json_is_string(json_object_get(c, "intake"))
                 ? json_string_value(json_object_get(c, "intake"))
                 : "");
    if ((rc = apply(c, npos - 1, pos + 1, err)) != KZ_OK ||
        (rc = check_intake(st, c, before, yes, err)) != KZ_OK ||
        (rc = kz_couple_save(st, id, c, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:i}", "updated", pos[0], "fields", npos - 1),
               "updated couple %s (%d field%s)", pos[0], npos - 1, npos == 2 ? "" : "s");
out:
    json_decref(c);
    return rc;
}

static const char *const yes_opts[] = {"--yes", NULL};

const struct kz_cmd_entry kz_cmd_couple_add = {
    "couple add", "CODE [FIELD=VALUE ...]", "add a couple under a pseudonymous CODE",
    "FIELDs are dotted paths: partner1.name, partner1.pronouns, partner1.origin,\n"
    "partner1.cultures (a, b), partner1.languages (ja:native, de:B2), partner1.local\n"
    "(yes: lives in their own home country), partner2.*, residence, home_languages,\n"
    "children_languages, children (Mia:2019:de ja; Ken:2021), support, referral, intake,\n"
    "status, consent.NAME (yes/no), formulation.problem|causes|stressors|identity|coping|\n"
    "relationship (DSM-5 Cultural Formulation Interview), notes.\n"
    "An intake date more than a day ahead or before 1950 asks first (scripts: --yes).",
    CMD_NEEDS_KEY | CMD_WRITES, yes_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_couple_set = {
    "couple set", "CODE FIELD=VALUE ... [--yes]", "change profile fields (see 'help couple add')",
    NULL, CMD_NEEDS_KEY | CMD_WRITES, yes_opts, cmd_set};
