/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: a couple's feedback flags (model_flags.h) over every
 * measure it has scores on, for the flags command, couple show and couple
 * list (src/cmd/flags.c). Heads only: no score body is opened. */
#ifndef KIZUNA_CMD_FLAGS_H
#define KIZUNA_CMD_FLAGS_H

#include <jansson.h>

#include "kizuna/buf.h"
#include "kizuna/model_flags.h"
#include "cmds.h"

/* The couple's flags, measure by measure in kz_scores_measures' order (ORS,
 * SRS, CSI-4, then the therapist's own), each measure's in
 * kz_flags_compute's order: *out malloc'd (free it; NULL when none), *n. */
int kz_couple_flags(struct kz_state *st, const unsigned char *couple, struct kz_flag **out,
                    size_t *n, struct kz_err *err);
/* The same from a couple's gathered sessions and scores (scores.h): a
 * command showing many couples' flags makes one pass over the heads for
 * them all, not three a couple. */
struct kz_scores_gather;
int kz_couple_flags_in(struct kz_state *st, const struct kz_scores_gather *g,
                       struct kz_flag **out, size_t *n, struct kz_err *err);

/* The flags as the JSON objects kizuna(1) documents ("JSON output", flags),
 * for the couple code with body c (the partners' names): a new array. */
json_t *kz_flags_json(struct kz_state *st, const char *code, const json_t *c,
                      const struct kz_flag *f, size_t n);

/* The flags as lines into b, each starting with prefix (a couple's code and
 * blanks, or ""). */
void kz_flags_lines(struct kz_state *st, struct kz_buf *b, const char *prefix, const json_t *c,
                    const struct kz_flag *f, size_t n);

/* The mark couple list puts beside a couple with flags: "⚑", or "!" where the
 * locale is not UTF-8. */
const char *kz_flags_mark(const struct kz_state *st);

#endif
