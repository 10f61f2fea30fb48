/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Short ids (s12, g3): the next one to give, and claiming one inside the
 * write transaction. Apart from records.c so that the config record's loader
 * (config_rec.c), which uses records.c, is not used by it in turn. */
#include "cmds.h"
#include "config_cmd.h"

static int
counter_of(int kind)
{
    return kind == KZ_KIND_SESSION ? KZ_COUNTER_SESSION
           : kind == KZ_KIND_SCORE ? KZ_COUNTER_SCORE
                                   : KZ_COUNTER_GOAL;
}

uint32_t
kz_rec_next_num(struct kz_state *st, int kind)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *cfg = NULL;
    uint32_t used = 0, committed = 0, max = 0;

    kz_recix_max(st, kind, &max, NULL); /* the heads' largest */
    /* Ids once given are never given again, even after a delete: the
     * commitment's counter holds the largest given. Vaults from before the
     * counters moved there kept it in the config record, whose counters no
     * change raises since (every claim goes through here), so once the
     * commitment's counter is not 0 it is above the config's, and the config
     * need not be opened. */
    if (kz_vault_counter(st->vault, counter_of(kind), &committed, NULL) == KZ_OK &&
        committed > max)
        max = committed;
    if (committed == 0) {
        if (kz_config_load(st, id, &cfg, NULL) == KZ_OK)
            used = kz_conf_counter(cfg, kind);
        json_decref(cfg);
        if (used > max)
            max = used;
    }
    return max + 1;
}

int
kz_rec_claim_num(struct kz_state *st, int kind, uint32_t num, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    uint32_t count = 0;
    char text[16];
    int rc, known;

    /* A short id given twice fails the whole change: the write transaction
     * started from the committed state, so this holds unless the file lies. */
    if ((rc = kz_recix_num(st, kind, num, &count, id, &known, err)) != KZ_OK)
        return rc;
    if (count > 1) {
        kz_rec_num_text(kind, num, text, sizeof(text));
        return kz_fail(err, KZ_EINTEGRITY, "short id %s would be given twice; nothing was saved",
                       text);
    }
    /* Kept in the vault's commitment, which every change rewrites (a counter in
     * a record of its own would show which changes add sessions or goals). */
    return kz_vault_counter_claim(st->vault, counter_of(kind), num, err);
}
