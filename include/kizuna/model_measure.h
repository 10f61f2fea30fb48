/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_MEASURE_H
#define KIZUNA_MODEL_MEASURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kizuna/err.h"
#include "kizuna/model.h"

/*
 * Outcome and alliance measures, the scores partners give, and the flags that
 * feedback practice raises from them (issue #15).
 *
 * A measure is a definition with published scoring only: names, the total's
 * range, a clinical cut-off and a reliable-change amount, never an
 * instrument's item texts. Three are built in (ORS, SRS, CSI-4); the therapist
 * defines others (`measure define`), kept in the sealed config record.
 *
 * A score is a sealed record of kind KZ_KIND_SCORE, one per (session,
 * partner, measure): short id "r<num>", its couple as parent, the session's
 * date as date, KZ_HF_PARTNER1 or KZ_HF_PARTNER2 as flags, and in tags
 * "MEASURE s<session> TOTAL" (for example "ORS s12 26.5", the total as "%g"),
 * so that charts, flags and the timeline read heads only, never a body.
 *
 * The model never prints and never touches the vault.
 */

#define KZ_MEASURE_NAME_MAX 24   /* letters, digits, '-' and '_'; matched without regard to case */
#define KZ_MEASURE_SUB_MAX 8     /* subscales at most */
#define KZ_MEASURE_SUBNAME_MAX 24
#define KZ_MEASURE_TITLE_MAX 64

enum { KZ_MEASURE_OUTCOME = 0, KZ_MEASURE_ALLIANCE = 1 };

struct kz_measure {
    char name[KZ_MEASURE_NAME_MAX + 1];   /* "ORS", "CSI-4", as defined */
    char title[KZ_MEASURE_TITLE_MAX + 1]; /* "Outcome Rating Scale"; "" for the therapist's own */
    double min, max;      /* the total's range */
    double cutoff;        /* clinical cut-off on the total (ORS 25, SRS 36, CSI-4 13.5) */
    double rci;           /* reliable-change amount on the total (> 0) */
    int higher_is_better; /* 1: higher totals are better; 0: lower are */
    int role;             /* KZ_MEASURE_OUTCOME or KZ_MEASURE_ALLIANCE (SRS) */
    int builtin;          /* 1 for ORS, SRS, CSI-4 */
    size_t nsub;          /* 0: a total only; else the total is the subscales' sum and
                           * each subscale ranges over (min/nsub .. max/nsub) */
    char sub[KZ_MEASURE_SUB_MAX][KZ_MEASURE_SUBNAME_MAX + 1];
};

/* The built-in measures, n of them. */
const struct kz_measure *kz_measure_builtins(size_t *n);
/* A built-in measure by name (any case), or NULL. */
const struct kz_measure *kz_measure_builtin(const char *name);

/* A score as sealed. */
#define KZ_SCORE_TIME_MAX 32
struct kz_score {
    uint32_t num;                        /* short id: r<num> */
    char couple[33];                     /* the couple record's id in hex */
    uint32_t session;                    /* the session's short id number (s<session>) */
    uint32_t date;                       /* the session's date, yyyymmdd */
    int partner;                         /* 1 or 2 */
    char measure[KZ_MEASURE_NAME_MAX + 1];
    size_t nvalues;                      /* 0: the total was given; else measure.nsub */
    double values[KZ_MEASURE_SUB_MAX];
    double total;
    char created[KZ_SCORE_TIME_MAX];
};

/* A couple's scores on one measure, per partner, for charts, flags, the
 * timeline and reports. Points sorted by session date, then session number;
 * scores of voided sessions are left out. */
struct kz_score_point {
    uint32_t session; /* session short id number */
    uint32_t date;    /* yyyymmdd */
    double total;
    uint32_t score;   /* the score's short id number */
};
struct kz_series {
    struct kz_measure m;
    struct kz_score_point *p[2]; /* [0] partner 1, [1] partner 2 (malloc'd, may be NULL) */
    size_t n[2];
};
void kz_series_free(struct kz_series *s);

/* ---- flags: prompts to talk about it, never a diagnosis ---- */
enum {
    KZ_FLAG_NO_IMPROVEMENT = 1, /* outcome: 4+ scores, latest not reliably better than the first */
    KZ_FLAG_DROP = 2,           /* latest worse than the one before by the reliable change or more */
    KZ_FLAG_LOW_ALLIANCE = 3,   /* alliance: the latest score on the wrong side of the cut-off */
    KZ_FLAG_DIVERGING = 4,      /* outcome: one partner improved reliably, the other not */
};
struct kz_flag {
    int kind;
    int partner;          /* 1 or 2; for DIVERGING the partner who improved */
    char measure[KZ_MEASURE_NAME_MAX + 1];
    double from, to;      /* the totals compared */
    uint32_t session;     /* the session of the latest score considered */
    size_t count;         /* scores considered */
    /* Added for the texts (kz_flag_text, model_flags.h): */
    double rci;           /* the measure's reliable-change amount */
    double cutoff;        /* the measure's cut-off (LOW_ALLIANCE) */
    double other_from, other_to; /* DIVERGING: the other partner's first and latest */
    size_t other_count;   /* DIVERGING: the other partner's scores */
};

#endif
