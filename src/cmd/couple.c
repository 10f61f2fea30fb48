/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple close, and couple records in the vault for the other couple
 * commands, export and import (couple_cmd.h). */
#include <stdlib.h>
#include <string.h>

#include "kizuna/wipe.h"
#include "couple_cmd.h"

int
kz_couple_load(struct kz_state *st, const unsigned char *id, json_t **c, struct kz_err *err)
{
    return kz_rec_load_as(st, id, kz_couple_decode, c, err);
}

int
kz_couple_find_load(struct kz_state *st, char **code, char *canon, unsigned char *id,
                    json_t **c, struct kz_err *err)
{
    struct kz_head_info hi;
    int rc;

    *c = NULL;
    if ((rc = kz_rec_find_couple(st, *code, id, &hi, err)) != KZ_OK)
        return rc;
    memcpy(canon, hi.code, sizeof(hi.code));
    *code = canon;
    return kz_couple_load(st, id, c, err);
}

int
kz_couple_save(struct kz_state *st, const unsigned char *id, json_t *c, struct kz_err *err)
{
    char code[KZ_CODE_MAX + 1];

    /* A closed couple is archived: only its lifecycle commands change it. */
    if (kz_rec_couple_closed(st, id, code))
        return kz_fail(err, KZ_ERR, "%s is closed (archived): couple reopen %s to change it",
                       code, code);
    return kz_couple_save_life(st, id, c, err);
}

int
kz_couple_save_life(struct kz_state *st, const unsigned char *id, json_t *c, struct kz_err *err)
{
    struct kz_head_info hi;
    char now[21];

    kz_time_now(now);
    kz_couple_stamp(c, "updated", now);
    kz_couple_head(c, &hi);
    return kz_rec_save(st, id, &hi, c, err);
}

int
kz_couple_count(struct kz_state *st, const unsigned char *id, struct kz_couple_tally *t,
                struct kz_err *err)
{
    struct kz_rec_child *kids = NULL;
    size_t i, n = 0;
    int rc;

    memset(t, 0, sizeof(*t));
    if ((rc = kz_rec_children(st, id, &kids, &n, err)) != KZ_OK)
        return rc;
    for (i = 0; i < n; i++)
        kz_couple_tally_add(t, &kids[i].hi);
    kz_wipe_free(kids, n * sizeof(*kids)); /* goal titles, themes */
    return KZ_OK;
}

static int
cmd_close(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *pos[1], canon[KZ_CODE_MAX + 1];
    struct kz_head_info hi;
    json_t *c = NULL;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "couple close", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple close CODE");
    /* Exact among case twins, as erase: closing is the way to erasing one. */
    if ((rc = kz_rec_find_couple_exact(st, pos[0], id, &hi, err)) != KZ_OK)
        goto out;
    memcpy(canon, hi.code, sizeof(hi.code));
    pos[0] = canon;
    if ((rc = kz_couple_load(st, id, &c, err)) != KZ_OK)
        goto out;
    if ((rc = kz_couple_close(c, kz_date_today(), err)) != KZ_OK ||
        (rc = kz_couple_save_life(st, id, c, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:s,s:s}", "code", pos[0], "status", "closed", "closed",
                         json_string_value(json_object_get(c, "closed"))),
               "closed couple %s: archived (read-only, hidden from lists; its records stay; "
               "'couple reopen %s' opens it again)",
               pos[0], pos[0]);
out:
    json_decref(c);
    return rc;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_couple_close = {
    "couple close", "CODE", "close the couple's therapy: archived, read-only, hidden",
    "Records the closing date (retention counts from it: config retention.years, see\n"
    "retention). Nothing of a closed couple changes until couple reopen; lists leave it\n"
    "out unless --status all, search unless --archived.",
    CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_close};
