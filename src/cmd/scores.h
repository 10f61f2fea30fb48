/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: measures and scores for the commands that read them
 * (score, flags, chart, timeline, report, couple show/list, export). */
#ifndef KIZUNA_CMD_SCORES_H
#define KIZUNA_CMD_SCORES_H

#include "cmds.h"
#include "kizuna/model_measure.h"

/* A measure by name (any case): built-in, or the therapist's own from the
 * sealed config record. KZ_ENOTFOUND "no measure NAME (measure list shows
 * them)". */
int kz_measure_find(struct kz_state *st, const char *name, struct kz_measure *out,
                    struct kz_err *err);

/* The names of the measures the couple has scores on (not counting voided
 * sessions), ORS first, then SRS, CSI-4, then the therapist's own by name:
 * up to max into names; returns how many there are. */
size_t kz_scores_measures(struct kz_state *st, const unsigned char *couple,
                          char names[][KZ_MEASURE_NAME_MAX + 1], size_t max);

/* The couple's scores on measure (NULL: ORS when it has ORS scores, else the
 * first of kz_scores_measures) from the heads index alone, per partner.
 * KZ_ENOTFOUND for an unknown measure; a couple without scores gives an empty
 * series (n[0] == n[1] == 0) and KZ_OK. Free with kz_series_free. */
int kz_scores_series(struct kz_state *st, const unsigned char *couple, const char *measure,
                     struct kz_series *out, struct kz_err *err);

#endif
