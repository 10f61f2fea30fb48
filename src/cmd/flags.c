/* SPDX-License-Identifier: GPL-3.0-or-later */
/* flags: the feedback flags (model_flags.h) of one couple, or of every active
 * couple, over every measure they have scores on; and the helpers couple show
 * and couple list use for their Flags section and mark (flags.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "couple_cmd.h"
#include "flags.h"
#include "scores.h"

#define MEASURES_MAX 64 /* measures one couple's flags look at, at most */
#define FLAG_LINE_MAX 640

int
kz_couple_flags_in(struct kz_state *st, const struct kz_scores_gather *g, struct kz_flag **out,
                   size_t *n, struct kz_err *err)
{
    char(*names)[KZ_MEASURE_NAME_MAX + 1] = kz_xcalloc(MEASURES_MAX, sizeof(*names));
    struct kz_flag got[KZ_FLAGS_MAX];
    struct kz_series s;
    size_t i, k, m, have = 0;
    int rc = KZ_OK;

    *out = NULL;
    *n = 0;
    m = kz_scores_measures_in(g, names, MEASURES_MAX);
    if (m > MEASURES_MAX)
        m = MEASURES_MAX;
    for (i = 0; i < m; i++) {
        memset(&s, 0, sizeof(s));
        if ((rc = kz_scores_series_in(st, g, names[i], &s, err)) != KZ_OK)
            break;
        k = kz_flags_compute(&s, got, KZ_FLAGS_MAX);
        kz_series_free(&s);
        if (k > KZ_FLAGS_MAX)
            k = KZ_FLAGS_MAX;
        if (k == 0)
            continue;
        *out = kz_wipe_grow(*out, have * sizeof(**out), (have + k) * sizeof(**out));
        memcpy(*out + have, got, k * sizeof(*got));
        have += k;
    }
    kz_wipe_free(names, MEASURES_MAX * sizeof(*names));
    if (rc != KZ_OK) {
        kz_wipe_free(*out, have * sizeof(**out));
        *out = NULL;
        return rc;
    }
    *n = have;
    return KZ_OK;
}

int
kz_couple_flags(struct kz_state *st, const unsigned char *couple, struct kz_flag **out,
                size_t *n, struct kz_err *err)
{
    struct kz_scores_gather g;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = kz_scores_gather(st, couple, &g, err)) != KZ_OK)
        return rc;
    rc = kz_couple_flags_in(st, &g, out, n, err);
    kz_scores_gather_free(&g);
    return rc;
}

/* Partner k's name in the couple body ("" when it has none). */
static const char *
partner_name(const json_t *c, int k)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(c, k == 1 ? "partner1" : "partner2"), "name"));

    return s != NULL ? s : "";
}

/* The flag's line; "->" for the arrow where the locale is not UTF-8. */
static void
flag_line(struct kz_state *st, const struct kz_flag *f, const json_t *c, char *line,
          size_t size)
{
    char *p;

    kz_flag_text(f, partner_name(c, 1), partner_name(c, 2), line, size);
    while (st->ui.ascii && (p = strstr(line, "\xe2\x86\x92")) != NULL) {
        p[0] = '-';
        p[1] = '>';
        memmove(p + 2, p + 3, strlen(p + 3) + 1);
    }
}

/* A total for JSON: whole numbers as integers, else as reals. */
static json_t *
number(double x)
{
    if (x == (double)(json_int_t)x && x > -1e15 && x < 1e15)
        return json_integer((json_int_t)x);
    return json_real(x);
}

json_t *
kz_flags_json(struct kz_state *st, const char *code, const json_t *c, const struct kz_flag *f,
              size_t n)
{
    json_t *a = json_array(), *o;
    char line[FLAG_LINE_MAX], sid[16];
    size_t i;

    for (i = 0; i < n; i++) {
        flag_line(st, &f[i], c, line, sizeof(line));
        kz_rec_num_text(KZ_KIND_SESSION, f[i].session, sid, sizeof(sid));
        o = json_pack("{s:s,s:s,s:i,s:s,s:o,s:o,s:I,s:s,s:o,s:s}", "couple", code, "kind",
                      kz_flag_kind_name(f[i].kind), "partner", f[i].partner, "measure",
                      f[i].measure, "from", number(f[i].from), "to", number(f[i].to), "count",
                      (json_int_t)f[i].count, "session", sid, "rci", number(f[i].rci), "text",
                      line);
        if (f[i].kind == KZ_FLAG_LOW_ALLIANCE)
            json_object_set_new(o, "cutoff", number(f[i].cutoff));
        if (f[i].kind == KZ_FLAG_DIVERGING) {
            json_object_set_new(o, "other_from", number(f[i].other_from));
            json_object_set_new(o, "other_to", number(f[i].other_to));
            json_object_set_new(o, "other_count", json_integer((json_int_t)f[i].other_count));
        }
        json_array_append_new(a, o);
    }
    explicit_bzero(line, sizeof(line));
    return a;
}

void
kz_flags_lines(struct kz_state *st, struct kz_buf *b, const char *prefix, const json_t *c,
               const struct kz_flag *f, size_t n)
{
    char line[FLAG_LINE_MAX];
    size_t i;

    for (i = 0; i < n; i++) {
        flag_line(st, &f[i], c, line, sizeof(line));
        kz_buf_printf(b, "%s%s\n", prefix, line);
    }
    explicit_bzero(line, sizeof(line));
}

const char *
kz_flags_mark(const struct kz_state *st)
{
    return st->ui.ascii ? "!" : "\xe2\x9a\x91"; /* U+2691 BLACK FLAG */
}

/* ---- the command ---- */

struct couple_ref {
    unsigned char id[KZ_RECORD_ID_BYTES];
    char code[KZ_CODE_MAX + 1];
    struct kz_scores_gather sg; /* its sessions and scores */
};

struct active {
    struct couple_ref *c;
    size_t n, cap;
    struct kz_idmap map; /* id -> c[k], while gathering scores */
};

static int
gather_active(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct active *a = ctx;

    if (hi->kind != KZ_KIND_COUPLE || hi->status != KZ_ST_ACTIVE)
        return 0;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->c = kz_xrealloc(a->c, a->cap * sizeof(*a->c));
    }
    memset(&a->c[a->n], 0, sizeof(a->c[a->n]));
    memcpy(a->c[a->n].id, id, KZ_RECORD_ID_BYTES);
    memcpy(a->c[a->n].code, hi->code, sizeof(hi->code));
    a->n++;
    return 0;
}

/* Each session and score head to its couple's gathering. */
static int
gather_scores(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct active *a = ctx;
    struct couple_ref *c;

    (void)id;
    if (hi->kind != KZ_KIND_SESSION && hi->kind != KZ_KIND_SCORE)
        return 0;
    if ((c = kz_idmap_find(&a->map, hi->parent)) != NULL)
        kz_scores_gather_add(&c->sg, hi);
    return 0;
}

static int
by_code(const void *x, const void *y)
{
    const char *a = ((const struct couple_ref *)x)->code;
    const char *b = ((const struct couple_ref *)y)->code;
    int c = strcasecmp(a, b);

    return c != 0 ? c : strcmp(a, b);
}

/* One couple's flags, from its gathered sessions and scores, into doc (JSON)
 * and text, each line after prefix. */
static int
add_couple(struct kz_state *st, const struct kz_scores_gather *sg, const char *code,
           const json_t *c, const char *prefix, json_t *doc, struct kz_buf *text,
           struct kz_err *err)
{
    struct kz_flag *f = NULL;
    size_t n = 0;
    int rc;

    if ((rc = kz_couple_flags_in(st, sg, &f, &n, err)) != KZ_OK)
        return rc;
    if (st->ui.json) {
        json_t *got = kz_flags_json(st, code, c, f, n);
        json_array_extend(doc, got);
        json_decref(got);
    } else
        kz_flags_lines(st, text, prefix, c, f, n);
    kz_wipe_free(f, n * sizeof(*f));
    return KZ_OK;
}

/* Every active couple's flags, by code, each line after the couple's code. */
static int
all_couples(struct kz_state *st, json_t *doc, struct kz_buf *text, struct kz_err *err)
{
    struct active a = {NULL, 0, 0, {NULL, 0, NULL, 0}};
    char prefix[KZ_CODE_MAX + 4];
    json_t *c;
    size_t i;
    int rc;

    if ((rc = kz_rec_scan_kind(st, KZ_KIND_COUPLE, NULL, gather_active, &a, err)) != KZ_OK)
        goto out;
    /* Every couple's sessions and scores in one more pass, not three a couple. */
    if (a.n > 0) {
        kz_idmap_build(&a.map, a.c, a.n, sizeof(*a.c));
        rc = kz_rec_scan(st, gather_scores, &a, err);
        kz_idmap_free(&a.map);
        if (rc != KZ_OK)
            goto out;
    }
    for (i = 0; i < a.n; i++)
        kz_scores_gather_done(&a.c[i].sg);
    if (a.n > 1)
        qsort(a.c, a.n, sizeof(*a.c), by_code);
    for (i = 0; i < a.n; i++) {
        c = NULL;
        if ((rc = kz_couple_load(st, a.c[i].id, &c, err)) != KZ_OK)
            goto out;
        snprintf(prefix, sizeof(prefix), "%-8s  ", a.c[i].code);
        rc = add_couple(st, &a.c[i].sg, a.c[i].code, c, prefix, doc, text, err);
        json_decref(c);
        if (rc != KZ_OK)
            goto out;
    }
out:
    for (i = 0; i < a.n; i++)
        kz_scores_gather_free(&a.c[i].sg);
    free(a.c);
    return rc;
}

static int
cmd_flags(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_buf text = {NULL, 0, 0};
    char *pos[1], canon[KZ_CODE_MAX + 1];
    json_t *c = NULL, *doc = json_array();
    struct kz_scores_gather sg;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "flags", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        goto out;
    if (npos == 0) {
        rc = all_couples(st, doc, &text, err);
    } else {
        if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK)
            goto out;
        snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", pos[0]); /* as stored */
        if ((rc = kz_scores_gather(st, id, &sg, err)) != KZ_OK)
            goto out;
        rc = add_couple(st, &sg, pos[0], c, "", doc, &text, err);
        kz_scores_gather_free(&sg);
    }
    if (rc != KZ_OK)
        goto out;
    if (text.len == 0)
        kz_buf_add(&text, "no flags\n");
    kz_ui_show(&st->ui, doc, kz_buf_str(&text));
    doc = NULL;
out:
    kz_buf_free(&text);
    json_decref(doc);
    json_decref(c);
    return rc;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_flags = {
    "flags", "[CODE]", "feedback flags per partner: prompts to talk about, never a diagnosis",
    "From the scores (score add), per partner and measure: no reliable improvement by the\n"
    "4th score (outcome measures), a drop by the reliable-change amount since the score\n"
    "before, the alliance (SRS) below its cut-off at the last session, and partners\n"
    "diverging (one improved reliably, the other not). Exactly the reliable change counts;\n"
    "voided sessions' scores are left out. Without CODE: every active couple's, a line\n"
    "each after its code. couple show lists them too, couple list marks the couple.",
    CMD_NEEDS_KEY, no_opts, cmd_flags};
