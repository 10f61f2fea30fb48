/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: the sealed config record (settings, templates) read and
 * written through the model (include/kizuna/model_config.h). */
#ifndef KIZUNA_CMD_CONFIG_CMD_H
#define KIZUNA_CMD_CONFIG_CMD_H

#include "kizuna/model_config.h"
#include "cmds.h"

/* The config record into *cfg with its id, decoded strictly (kz_conf_decode:
 * a body that is not a config as kizuna writes it is KZ_EINTEGRITY naming the
 * record and the field); none yet: a new one (kz_conf_new) with a fresh id.
 * err may be NULL. */
int kz_config_load(struct kz_state *st, unsigned char *id, json_t **cfg, struct kz_err *err);
/* Seals cfg under id with a config head. */
int kz_config_save(struct kz_state *st, const unsigned char *id, json_t *cfg,
                   struct kz_err *err);

/* config retention.years (1-100, KZ_RETENTION_YEARS_DEFAULT unset) into
 * *years; a config record the model refuses is its error (the default then). */
int kz_config_retention_years(struct kz_state *st, int *years, struct kz_err *err);

#endif
