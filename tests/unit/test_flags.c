/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Feedback flags (src/model/flags.c): each flag from a constructed history,
 * its edges (exactly the reliable change, the cut-off itself, 3 against 4
 * scores, decimal totals, lower-is-better measures, a partner without
 * scores), histories that must raise nothing, and the texts. The measures
 * are built here, with the published figures, so that this test needs
 * nothing but the model. */
#include "testutil.h"

#include "kizuna/model_flags.h"

/* ORS: outcome, 0-40, cut-off 25, reliable change 5, higher is better. */
static struct kz_measure
ors(void)
{
    struct kz_measure m;

    memset(&m, 0, sizeof(m));
    snprintf(m.name, sizeof(m.name), "ORS");
    m.min = 0;
    m.max = 40;
    m.cutoff = 25;
    m.rci = 5;
    m.higher_is_better = 1;
    m.role = KZ_MEASURE_OUTCOME;
    return m;
}

/* SRS: alliance, 0-40, below 36 flags, reliable change 5 (for the drop). */
static struct kz_measure
srs(void)
{
    struct kz_measure m = ors();

    snprintf(m.name, sizeof(m.name), "SRS");
    m.cutoff = 36;
    m.role = KZ_MEASURE_ALLIANCE;
    return m;
}

/* A therapist's own outcome measure where lower is better (a symptom scale):
 * 0-27, cut-off 10, reliable change 6. */
static struct kz_measure
low(void)
{
    struct kz_measure m = ors();

    snprintf(m.name, sizeof(m.name), "SYM");
    m.max = 27;
    m.cutoff = 10;
    m.rci = 6;
    m.higher_is_better = 0;
    return m;
}

#define NPTS 16

struct hist {
    struct kz_series s;
    struct kz_score_point pts[2][NPTS];
};

/* A history: partner 1's totals a[0..na), partner 2's b[0..nb); session k is
 * on day k (partner 2's sessions numbered from 100, a day later). */
static void
build(struct hist *h, struct kz_measure m, const double *a, size_t na, const double *b,
      size_t nb)
{
    size_t i;

    memset(h, 0, sizeof(*h));
    h->s.m = m;
    assert_true(na <= NPTS && nb <= NPTS);
    for (i = 0; i < na; i++)
        h->pts[0][i] = (struct kz_score_point){(uint32_t)(i + 1), 20260101 + (uint32_t)i,
                                               a[i], (uint32_t)(i + 1)};
    for (i = 0; i < nb; i++)
        h->pts[1][i] = (struct kz_score_point){(uint32_t)(100 + i), 20260102 + (uint32_t)i,
                                               b[i], (uint32_t)(50 + i)};
    h->s.p[0] = na ? h->pts[0] : NULL;
    h->s.p[1] = nb ? h->pts[1] : NULL;
    h->s.n[0] = na;
    h->s.n[1] = nb;
}

static size_t
run(const struct hist *h, struct kz_flag *out)
{
    memset(out, 0xa5, KZ_FLAGS_MAX * sizeof(*out));
    return kz_flags_compute(&h->s, out, KZ_FLAGS_MAX);
}

#define N(x) (sizeof(x) / sizeof((x)[0]))

/* ---- no improvement ---- */

static void
test_no_improvement(void **state)
{
    static const double flat[] = {22, 23, 21, 24, 24};
    static const double three[] = {22, 23, 24};
    static const double four[] = {22, 23, 24, 25};
    static const double exact[] = {22, 23, 24, 27};     /* +5: reliable */
    static const double almost[] = {22, 23, 24, 26.999}; /* +4.999: not */
    static const double equal[] = {20, 20, 20, 20};
    static const double worse[] = {30, 28, 27, 26};    /* worse, no single drop of 5 */
    static const double dec[] = {3.2, 4, 5, 8.2};      /* +5 in decimals */
    struct kz_flag f[KZ_FLAGS_MAX];
    struct hist h;

    (void)state;
    build(&h, ors(), flat, N(flat), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    assert_int_equal(f[0].partner, 1);
    assert_string_equal(f[0].measure, "ORS");
    assert_true(f[0].from == 22 && f[0].to == 24);
    assert_int_equal(f[0].count, 5);
    assert_int_equal(f[0].session, 5);
    assert_true(f[0].rci == 5);

    build(&h, ors(), three, N(three), NULL, 0); /* 3 scores: too early to say */
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), four, N(four), NULL, 0); /* the 4th: +3 is not reliable */
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    assert_int_equal(f[0].count, 4);
    build(&h, ors(), exact, N(exact), NULL, 0); /* exactly the reliable change */
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), almost, N(almost), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    build(&h, ors(), equal, N(equal), NULL, 0); /* totals equal: no change, no drop */
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    build(&h, ors(), worse, N(worse), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    assert_true(f[0].from == 30 && f[0].to == 26);
    build(&h, ors(), dec, N(dec), NULL, 0); /* 8.2 - 3.2 < 5 in binary; 5 in thousandths */
    assert_true(8.2 - 3.2 < 5.0);
    assert_int_equal(run(&h, f), 0);

    /* An alliance measure never raises it (SRS 37 flat: no flag at all). */
    {
        static const double ok[] = {37, 37, 37, 37, 37};
        build(&h, srs(), ok, N(ok), NULL, 0);
        assert_int_equal(run(&h, f), 0);
    }
}

static void
test_no_improvement_lower_is_better(void **state)
{
    static const double better[] = {20, 18, 16, 14}; /* -6: reliable for lower-is-better */
    static const double little[] = {20, 18, 16, 15}; /* -5 < 6 */
    static const double rising[] = {14, 16, 18, 20}; /* +6 is worse here */
    struct kz_flag f[KZ_FLAGS_MAX];
    struct hist h;

    (void)state;
    build(&h, low(), better, N(better), NULL, 0);
    assert_int_equal(run(&h, f), 0);
    build(&h, low(), little, N(little), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    build(&h, low(), rising, N(rising), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    assert_true(f[0].from == 14 && f[0].to == 20);
}

/* ---- drop ---- */

static void
test_drop(void **state)
{
    static const double drop[] = {28, 22};     /* -6 */
    static const double exact[] = {28, 23};    /* -5: exactly, counts */
    static const double almost[] = {28, 23.5}; /* -4.5 */
    static const double dec[] = {8.2, 3.2};    /* -5 in decimals */
    static const double earlier[] = {30, 24, 25}; /* a drop before the latest: not now */
    static const double one[] = {10};
    struct kz_flag f[KZ_FLAGS_MAX];
    struct hist h;

    (void)state;
    build(&h, ors(), drop, N(drop), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_DROP);
    assert_true(f[0].from == 28 && f[0].to == 22);
    assert_int_equal(f[0].count, 2);
    assert_int_equal(f[0].session, 2);
    build(&h, ors(), exact, N(exact), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_DROP);
    build(&h, ors(), almost, N(almost), NULL, 0);
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), dec, N(dec), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_DROP);
    build(&h, ors(), earlier, N(earlier), NULL, 0);
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), one, N(one), NULL, 0); /* one score: nothing to compare */
    assert_int_equal(run(&h, f), 0);

    /* Any measure: SRS 40 -> 35 is a drop (and below 36). */
    {
        static const double s[] = {40, 35};
        build(&h, srs(), s, N(s), NULL, 0);
        assert_int_equal(run(&h, f), 2);
        assert_int_equal(f[0].kind, KZ_FLAG_DROP);
        assert_int_equal(f[1].kind, KZ_FLAG_LOW_ALLIANCE);
    }
    /* Lower is better: a rise by 6 is the drop, a fall is not. */
    {
        static const double up[] = {8, 14}, down[] = {14, 8};
        build(&h, low(), up, N(up), NULL, 0);
        assert_int_equal(run(&h, f), 1);
        assert_int_equal(f[0].kind, KZ_FLAG_DROP);
        build(&h, low(), down, N(down), NULL, 0);
        assert_int_equal(run(&h, f), 0);
    }
    /* With 4+ scores a late drop raises both. */
    {
        static const double s[] = {20, 26, 30, 24};
        build(&h, ors(), s, N(s), NULL, 0);
        assert_int_equal(run(&h, f), 2);
        assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
        assert_int_equal(f[1].kind, KZ_FLAG_DROP);
        assert_int_equal(f[1].count, 2); /* the two compared, not the history */
        assert_true(f[1].from == 30 && f[1].to == 24);
    }
}

/* Every total in tenths from 0.0 to 35.0 and the same plus 5: always exactly
 * the reliable change (an improvement, or a drop the other way round), however
 * the binary fractions fall. */
static void
test_decimal_totals(void **state)
{
    struct kz_flag f[KZ_FLAGS_MAX];
    struct hist h;
    char a[16], b[16];
    double up[4], down[2];
    int i;

    (void)state;
    for (i = 0; i <= 350; i++) {
        snprintf(a, sizeof(a), "%d.%d", i / 10, i % 10);
        snprintf(b, sizeof(b), "%d.%d", i / 10 + 5, i % 10);
        up[0] = strtod(a, NULL);
        up[1] = up[2] = up[0];
        up[3] = strtod(b, NULL);
        build(&h, ors(), up, 4, NULL, 0);
        assert_int_equal(run(&h, f), 0);
        down[0] = up[3];
        down[1] = up[0];
        build(&h, ors(), down, 2, NULL, 0);
        assert_int_equal(run(&h, f), 1);
        assert_int_equal(f[0].kind, KZ_FLAG_DROP);
    }
}

/* ---- low alliance ---- */

static void
test_low_alliance(void **state)
{
    static const double below[] = {35};
    static const double at[] = {36};         /* the cut-off itself is not below it */
    static const double just[] = {35.999};
    static const double recovered[] = {30, 38}; /* only the latest counts */
    static const double slipped[] = {38, 35};   /* -3: no drop, but below */
    struct kz_flag f[KZ_FLAGS_MAX];
    struct hist h;

    (void)state;
    build(&h, srs(), below, N(below), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_LOW_ALLIANCE);
    assert_true(f[0].to == 35 && f[0].cutoff == 36);
    assert_int_equal(f[0].count, 1);
    build(&h, srs(), at, N(at), NULL, 0);
    assert_int_equal(run(&h, f), 0);
    build(&h, srs(), just, N(just), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    build(&h, srs(), recovered, N(recovered), NULL, 0);
    assert_int_equal(run(&h, f), 0);
    build(&h, srs(), slipped, N(slipped), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_LOW_ALLIANCE);

    /* Partner 2 alone, partner 1 without SRS scores. */
    build(&h, srs(), NULL, 0, below, N(below));
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].partner, 2);
    assert_int_equal(f[0].session, 100);

    /* An outcome measure under its cut-off is not an alliance flag. */
    build(&h, ors(), below, N(below), NULL, 0);
    h.pts[0][0].total = 10;
    assert_int_equal(run(&h, f), 0);

    /* A lower-is-better alliance measure: above the cut-off is the wrong side. */
    {
        struct kz_measure m = srs();
        static const double hi[] = {12}, eq[] = {10}, lo[] = {8};
        m.higher_is_better = 0;
        m.cutoff = 10;
        build(&h, m, hi, 1, NULL, 0);
        assert_int_equal(run(&h, f), 1);
        assert_int_equal(f[0].kind, KZ_FLAG_LOW_ALLIANCE);
        build(&h, m, eq, 1, NULL, 0);
        assert_int_equal(run(&h, f), 0);
        build(&h, m, lo, 1, NULL, 0);
        assert_int_equal(run(&h, f), 0);
    }
}

/* ---- diverging ---- */

static void
test_diverging(void **state)
{
    static const double up[] = {18, 26};      /* +8 */
    static const double flat[] = {20, 21};    /* +1 */
    static const double exact[] = {20, 25};   /* +5: reliable too */
    static const double almost[] = {20, 24.9};
    static const double one[] = {20};
    struct kz_flag f[KZ_FLAGS_MAX];
    struct hist h;

    (void)state;
    build(&h, ors(), up, N(up), flat, N(flat));
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_DIVERGING);
    assert_int_equal(f[0].partner, 1);
    assert_true(f[0].from == 18 && f[0].to == 26 && f[0].count == 2);
    assert_true(f[0].other_from == 20 && f[0].other_to == 21 && f[0].other_count == 2);
    assert_int_equal(f[0].session, 101); /* partner 2's latest is a day later */

    build(&h, ors(), flat, N(flat), up, N(up)); /* the other way round */
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_DIVERGING);
    assert_int_equal(f[0].partner, 2);
    assert_true(f[0].other_from == 20 && f[0].other_to == 21);

    /* The latest session of the two: partner 1's when it is later, and on
     * the same day the higher session number. */
    h.pts[0][1].date = 20260110;
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].session, 2);
    h.pts[0][1].date = h.pts[1][1].date;
    h.pts[0][1].session = 150;
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].session, 150);
    h.pts[0][1].session = 60;
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].session, 101);

    build(&h, ors(), up, N(up), exact, N(exact)); /* both improved reliably */
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), up, N(up), almost, N(almost));
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_DIVERGING);
    build(&h, ors(), flat, N(flat), flat, N(flat)); /* neither */
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), up, N(up), one, N(one)); /* partner 2 has one score only */
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), up, N(up), NULL, 0); /* partner 2 has none */
    assert_int_equal(run(&h, f), 0);

    /* The other partner dropped: a drop and the divergence. */
    {
        static const double fell[] = {26, 20};
        build(&h, ors(), up, N(up), fell, N(fell));
        assert_int_equal(run(&h, f), 2);
        assert_int_equal(f[0].kind, KZ_FLAG_DROP);
        assert_int_equal(f[0].partner, 2);
        assert_int_equal(f[1].kind, KZ_FLAG_DIVERGING);
        assert_int_equal(f[1].partner, 1);
    }
    /* Alliance measures never diverge. */
    {
        static const double a[] = {30, 38}, b[] = {37, 37};
        build(&h, srs(), a, N(a), b, N(b));
        assert_int_equal(run(&h, f), 0);
    }
    /* Lower is better: partner 2 fell by 6 (improved), partner 1 did not. */
    {
        static const double a[] = {15, 14}, b[] = {20, 14};
        build(&h, low(), a, N(a), b, N(b));
        assert_int_equal(run(&h, f), 1);
        assert_int_equal(f[0].kind, KZ_FLAG_DIVERGING);
        assert_int_equal(f[0].partner, 2);
    }
}

/* Healthy histories raise nothing; every flag at once in its order; max. */
static void
test_healthy_and_order(void **state)
{
    static const double ors1[] = {19, 22, 25, 27, 30}, ors2[] = {21, 23, 26, 28};
    static const double srs1[] = {37, 38, 39}, srs2[] = {36, 38, 40};
    static const double bad1[] = {20, 21, 22, 15}, bad2[] = {10, 16};
    struct kz_flag f[KZ_FLAGS_MAX], few[2];
    struct hist h;
    struct kz_measure m;

    (void)state;
    build(&h, ors(), ors1, N(ors1), ors2, N(ors2));
    assert_int_equal(run(&h, f), 0);
    build(&h, srs(), srs1, N(srs1), srs2, N(srs2));
    assert_int_equal(run(&h, f), 0);
    build(&h, ors(), NULL, 0, NULL, 0); /* no scores at all */
    assert_int_equal(run(&h, f), 0);

    /* Partner 1: no improvement (20 -> 15) and a drop (22 -> 15); partner 2
     * improved (10 -> 16): diverging. */
    build(&h, ors(), bad1, N(bad1), bad2, N(bad2));
    assert_int_equal(run(&h, f), 3);
    assert_int_equal(f[0].kind, KZ_FLAG_NO_IMPROVEMENT);
    assert_int_equal(f[1].kind, KZ_FLAG_DROP);
    assert_int_equal(f[2].kind, KZ_FLAG_DIVERGING);
    assert_int_equal(f[2].partner, 2);
    /* Room for 2: the count is still 3, the first two written, nothing past. */
    memset(few, 0, sizeof(few));
    assert_int_equal(kz_flags_compute(&h.s, few, 2), 3);
    assert_int_equal(few[1].kind, KZ_FLAG_DROP);
    assert_int_equal(kz_flags_compute(&h.s, NULL, 0), 3);
    assert_int_equal(kz_flags_compute(NULL, f, KZ_FLAGS_MAX), 0);

    /* An rci that is not positive judges no change; the cut-off still counts. */
    m = srs();
    m.rci = 0;
    build(&h, m, bad1, N(bad1), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    assert_int_equal(f[0].kind, KZ_FLAG_LOW_ALLIANCE);
}

/* ---- texts ---- */

static void
test_texts(void **state)
{
    static const double flat[] = {22, 23, 21, 24, 24}, drop[] = {28, 22.5};
    static const double up[] = {18, 26}, stay[] = {20, 21}, low1[] = {32};
    struct kz_flag f[KZ_FLAGS_MAX];
    struct hist h;
    char buf[400], tiny[8];

    (void)state;
    build(&h, ors(), flat, N(flat), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    kz_flag_text(&f[0], "Aiko", "Jonas", buf, sizeof(buf));
    assert_string_equal(buf, "Aiko: ORS has not improved reliably over 5 sessions (22 → 24; "
                             "reliable change is 5): worth asking together what is and is "
                             "not helping.");
    build(&h, ors(), NULL, 0, drop, N(drop));
    assert_int_equal(run(&h, f), 1);
    kz_flag_text(&f[0], "Aiko", "Jonas", buf, sizeof(buf));
    assert_string_equal(buf, "Jonas: ORS fell by 5.5 since the session before (28 → 22.5; "
                             "reliable change is 5): worth asking what has changed since "
                             "then.");
    build(&h, srs(), low1, N(low1), NULL, 0);
    assert_int_equal(run(&h, f), 1);
    kz_flag_text(&f[0], NULL, "", buf, sizeof(buf)); /* no names: Partner 1 */
    assert_string_equal(buf, "Partner 1: SRS at the last session was 32, below the cut-off "
                             "of 36: worth asking how the sessions are working for them and "
                             "what could change.");
    build(&h, ors(), stay, N(stay), up, N(up));
    assert_int_equal(run(&h, f), 1);
    kz_flag_text(&f[0], "Aiko", "Jonas", buf, sizeof(buf));
    assert_string_equal(buf, "Jonas's ORS improved reliably (18 → 26) while Aiko's did not "
                         "(20 → 21; reliable change is 5): worth talking together about how "
                         "each of them sees what is changing.");
    /* A rise that is the drop on a lower-is-better measure says "rose". */
    {
        static const double r[] = {8, 14};
        build(&h, low(), r, N(r), NULL, 0);
        assert_int_equal(run(&h, f), 1);
        kz_flag_text(&f[0], "Aiko", "Jonas", buf, sizeof(buf));
        assert_non_null(strstr(buf, "Aiko: SYM rose by 6 since the session before (8 → 14; "
                                    "reliable change is 6)"));
    }
    /* Never a diagnosis: no clinical labels in any text. */
    kz_flag_text(&f[0], "Aiko", "Jonas", buf, sizeof(buf));
    assert_null(strstr(buf, "deteriorat"));
    assert_null(strstr(buf, "diagnos"));
    /* Cut to the buffer, always terminated; an unknown kind still a line. */
    kz_flag_text(&f[0], "Aiko", "Jonas", tiny, sizeof(tiny));
    assert_string_equal(tiny, "Aiko: S");
    f[0].kind = 99;
    kz_flag_text(&f[0], "Aiko", "Jonas", buf, sizeof(buf));
    assert_non_null(strstr(buf, "Aiko: SYM"));
    assert_string_equal(kz_flag_kind_name(KZ_FLAG_DIVERGING), "diverging");
    assert_string_equal(kz_flag_kind_name(KZ_FLAG_NO_IMPROVEMENT), "no_improvement");
    assert_string_equal(kz_flag_kind_name(KZ_FLAG_DROP), "drop");
    assert_string_equal(kz_flag_kind_name(KZ_FLAG_LOW_ALLIANCE), "low_alliance");
    assert_string_equal(kz_flag_kind_name(0), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_improvement),
        cmocka_unit_test(test_no_improvement_lower_is_better),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_decimal_totals),
        cmocka_unit_test(test_low_alliance),
        cmocka_unit_test(test_diverging),
        cmocka_unit_test(test_healthy_and_order),
        cmocka_unit_test(test_texts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
