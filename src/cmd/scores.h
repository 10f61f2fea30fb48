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

/* A couple's sessions and score heads, from which its measures and series
 * are made without another pass over the heads: kz_scores_gather for one
 * couple; a command that wants many couples' (couple list, flags) fills one
 * each from its own single pass with kz_scores_gather_add (every session and
 * score head of that couple; other kinds are ignored), then
 * kz_scores_gather_done (which sorts, or frees a couple without scores: its
 * measures and series are empty). Zeroed to begin; kz_scores_gather_free. */
struct kz_scores_sess;
struct kz_scores_gather {
    struct kz_scores_sess *s;
    size_t ns, caps;
    struct kz_head_info *r;
    size_t nr, capr;
};
int kz_scores_gather(struct kz_state *st, const unsigned char *couple,
                     struct kz_scores_gather *g, struct kz_err *err);
void kz_scores_gather_add(struct kz_scores_gather *g, const struct kz_head_info *hi);
void kz_scores_gather_done(struct kz_scores_gather *g);
void kz_scores_gather_free(struct kz_scores_gather *g);
/* kz_scores_measures and kz_scores_series on what was gathered. */
size_t kz_scores_measures_in(const struct kz_scores_gather *g,
                             char names[][KZ_MEASURE_NAME_MAX + 1], size_t max);
int kz_scores_series_in(struct kz_state *st, const struct kz_scores_gather *g,
                        const char *measure, struct kz_series *out, struct kz_err *err);

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
