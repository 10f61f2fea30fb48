/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_FLAGS_H
#define KIZUNA_MODEL_FLAGS_H

#include <stddef.h>

#include "kizuna/model_measure.h"

/*
 * Feedback flags from one measure's series, per partner, the way routine
 * outcome monitoring (PCOMS: ORS and SRS) uses them: prompts to talk about
 * it with the couple, never a diagnosis. Pure: no printing, no vault.
 *
 * Each partner's points are taken in the series' order (session date, then
 * session number); "first" is the earliest, "latest" the last, "previous"
 * the one before the latest. "Better" follows the measure's direction:
 * higher totals for higher_is_better, lower ones otherwise.
 *
 * Totals, the cut-off and the reliable-change amount (rci) are compared in
 * thousandths, rounded: 3.2 -> 8.2 is a change of exactly 5, although the
 * binary fractions differ by 4.9999999999999991.
 *
 *   KZ_FLAG_NO_IMPROVEMENT  outcome measures: a partner with 4 or more scores
 *       whose latest is not better than their first by rci or more (equal
 *       totals, a change of less than rci, or a change for the worse).
 *       from = first, to = latest, count = the partner's scores.
 *   KZ_FLAG_DROP  any measure: a partner's latest is worse than their
 *       previous by rci or more (exactly rci counts). from = previous,
 *       to = latest, count = 2.
 *   KZ_FLAG_LOW_ALLIANCE  alliance measures: a partner's latest is on the
 *       wrong side of the cut-off: below it when higher is better, above it
 *       otherwise; a total equal to the cut-off is not flagged. from = to =
 *       the latest, cutoff the cut-off, count = 1.
 *   KZ_FLAG_DIVERGING  outcome measures: both partners have 2 or more scores,
 *       one of them improved reliably (latest better than first by rci or
 *       more) and the other did not. partner = the one who improved, from/to
 *       their first and latest, count their scores; other_from, other_to and
 *       other_count the other partner's.
 *
 * A partner with no scores raises nothing, and no DIVERGING; one score raises
 * only LOW_ALLIANCE. A measure whose rci is not a positive number raises
 * only LOW_ALLIANCE (a change cannot be judged reliable against it).
 * session is the session of the latest score considered (for DIVERGING the
 * later of the two partners' latest); rci and cutoff are the measure's.
 *
 * Order: partner 1's flags, then partner 2's, each in the order above
 * (NO_IMPROVEMENT, DROP, LOW_ALLIANCE), then DIVERGING.
 */

#define KZ_FLAGS_MAX 8 /* one series never raises more (2 partners x 2, + 1) */

/* The flags series s raises: up to max into out; returns how many it
 * raises (which may be more than max; never more than KZ_FLAGS_MAX). */
size_t kz_flags_compute(const struct kz_series *s, struct kz_flag *out, size_t max);

/* One flag as a line worded as a prompt to talk about it, with its figures,
 * into buf (always terminated, cut to size): "Aiko: ORS has not improved
 * reliably over 5 sessions (22 → 24; reliable change is 5): worth asking
 * together what is and is not helping." name1 and name2 are the partners'
 * names; NULL or "" reads "Partner 1" or "Partner 2". */
void kz_flag_text(const struct kz_flag *f, const char *name1, const char *name2, char *buf,
                  size_t size);

/* A flag kind's name for JSON and tests: "no_improvement", "drop",
 * "low_alliance", "diverging"; "unknown" for anything else. */
const char *kz_flag_kind_name(int kind);

#endif
