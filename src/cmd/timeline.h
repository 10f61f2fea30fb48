/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: what timeline.c gathers and timeline_json.c gives
 * for --json. */
#ifndef KIZUNA_CMD_TIMELINE_H
#define KIZUNA_CMD_TIMELINE_H

#include "goal.h"
#include "scores.h"

#define TL_LABEL 80

/* What the timeline is drawn from; everything here is freed by tl_free. */
struct tl_data {
    struct kz_rec_child *kids;
    size_t nkids;
    struct kz_tl_session *s;
    size_t ns;
    struct kz_tl_line *goals, *scores;
    size_t ngoals, nscores;
    struct kz_goal *g;          /* the goals as read, for --json */
    struct kz_series *series;   /* per measure */
    size_t nseries;
    char (*labels)[TL_LABEL];   /* goals' then scores' labels */
    int style;
};

/* The --json document (kizuna(1), JSON output): sessions, gaps, themes,
 * goals and scores of the couple code. */
json_t *kz_timeline_json(const char *code, const struct tl_data *d);

#endif
