/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The config record in the vault, and the settings the program acts on. */
#include <string.h>

#include "config_cmd.h"

int
kz_config_load(struct kz_state *st, unsigned char *id, json_t **cfg, struct kz_err *err)
{
    int rc;

    *cfg = NULL;
    rc = kz_rec_find_kind(st, KZ_KIND_CONFIG, id, NULL, err);
    if (rc == KZ_ENOTFOUND) {
        kz_err_clear(err);
        kz_vault_new_record_id(id);
        *cfg = kz_conf_new();
        return KZ_OK;
    }
    if (rc != KZ_OK)
        return rc;
    return kz_rec_load_as(st, id, kz_conf_decode, cfg, err);
}

int
kz_config_save(struct kz_state *st, const unsigned char *id, json_t *cfg, struct kz_err *err)
{
    struct kz_head_info hi;

    memset(&hi, 0, sizeof(hi));
    hi.kind = KZ_KIND_CONFIG;
    return kz_rec_save(st, id, &hi, cfg, err);
}

/* The config record when the vault is open, else NULL (and the defaults apply). */
static json_t *
config_of(struct kz_state *st)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *cfg = NULL;

    if (st->vault == NULL || !kz_vault_unlocked(st->vault) ||
        kz_config_load(st, id, &cfg, NULL) != KZ_OK)
        return NULL;
    return cfg;
}

int
kz_config_idle_lock(struct kz_state *st)
{
    json_t *cfg = config_of(st);
    int secs = cfg != NULL ? kz_conf_idle_lock(cfg) : -1;

    json_decref(cfg);
    return secs;
}

int
kz_config_date_style(struct kz_state *st)
{
    json_t *cfg = config_of(st);
    int style = cfg != NULL ? kz_conf_date_style(cfg) : KZ_DATE_ISO;

    json_decref(cfg);
    return style;
}

int
kz_config_pager(struct kz_state *st)
{
    json_t *cfg = config_of(st);
    int on = cfg != NULL ? kz_conf_pager(cfg) : -1;

    json_decref(cfg);
    return on;
}

int
kz_config_retention_years(struct kz_state *st, int *years, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    json_t *cfg = NULL;
    int rc = kz_config_load(st, id, &cfg, err);

    *years = rc == KZ_OK ? kz_conf_retention_years(cfg) : KZ_RETENTION_YEARS_DEFAULT;
    json_decref(cfg);
    return rc;
}
