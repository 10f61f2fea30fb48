/* SPDX-License-Identifier: GPL-3.0-or-later */
/* measure define, list, show and remove: the built-in measures and the
 * therapist's own (kept in the sealed config record). */
#include <string.h>
#include <strings.h>

#include "kizuna/buf.h"
#include "config_cmd.h"
#include "score.h"

static int
cmd_define(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *min_s = NULL, *max_s = NULL, *cut_s = NULL, *rci_s = NULL, *subs_s = NULL,
               *title_s = NULL;
    int higher = 0, lower = 0, alliance = 0;
    const struct kz_opt opts[] = {
        {"min", 0, 1, &min_s, NULL},           {"max", 0, 1, &max_s, NULL},
        {"cutoff", 0, 1, &cut_s, NULL},        {"rci", 0, 1, &rci_s, NULL},
        {"subscales", 0, 1, &subs_s, NULL},    {"title", 0, 1, &title_s, NULL},
        {"higher-is-better", 0, 0, NULL, &higher}, {"lower-is-better", 0, 0, NULL, &lower},
        {"alliance", 0, 0, NULL, &alliance},   {NULL, 0, 0, NULL, NULL},
    };
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_measure m;
    json_t *cfg = NULL;
    char *pos[1], now[21];
    int rc, npos;

    memset(&m, 0, sizeof(m));
    if ((rc = kz_cmd_parse(st, "measure define", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1 || min_s == NULL || max_s == NULL || cut_s == NULL || rci_s == NULL ||
        higher == lower)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: measure define NAME --min N --max N --cutoff N --rci N "
                       "--higher-is-better|--lower-is-better [--subscales a,b,c] [--alliance] "
                       "[--title TEXT]");
    if (strlen(pos[0]) > KZ_MEASURE_NAME_MAX || !kz_measure_name_ok(pos[0]))
        return kz_fail(err, KZ_EUSAGE,
                       "a measure's name is 1-%d letters, digits, '-' and '_'",
                       KZ_MEASURE_NAME_MAX);
    snprintf(m.name, sizeof(m.name), "%s", pos[0]);
    if (title_s != NULL && strlen(title_s) > KZ_MEASURE_TITLE_MAX)
        return kz_fail(err, KZ_EUSAGE, "--title: at most %d bytes", KZ_MEASURE_TITLE_MAX);
    snprintf(m.title, sizeof(m.title), "%s", title_s != NULL ? title_s : "");
    m.higher_is_better = higher;
    m.role = alliance ? KZ_MEASURE_ALLIANCE : KZ_MEASURE_OUTCOME;
    if ((rc = kz_measure_number("--min", min_s, &m.min, err)) != KZ_OK ||
        (rc = kz_measure_number("--max", max_s, &m.max, err)) != KZ_OK ||
        (rc = kz_measure_number("--cutoff", cut_s, &m.cutoff, err)) != KZ_OK ||
        (rc = kz_measure_number("--rci", rci_s, &m.rci, err)) != KZ_OK ||
        (subs_s != NULL && (rc = kz_measure_set_subscales(&m, subs_s, err)) != KZ_OK) ||
        (rc = kz_measure_check(&m, err)) != KZ_OK)
        return rc;
    kz_time_now(now);
    if ((rc = kz_config_load(st, id, &cfg, err)) != KZ_OK ||
        (rc = kz_measure_conf_add(cfg, &m, now, err)) != KZ_OK ||
        (rc = kz_config_save(st, id, cfg, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "defined", m.name), "defined measure %s", m.name);
out:
    json_decref(cfg);
    return rc;
}

static void
add_row(void *ctx, const struct kz_measure *m)
{
    json_t *rows = ctx, *o = kz_measure_json(m);
    char a[16], b[16], r[40], subs[KZ_MEASURE_SUB_MAX * (KZ_MEASURE_SUBNAME_MAX + 1) + 1];
    size_t i, used = 0;

    kz_score_fmt(m->min, a, sizeof(a));
    kz_score_fmt(m->max, b, sizeof(b));
    snprintf(r, sizeof(r), "%s-%s", a, b);
    json_object_set_new(o, "range", json_string(r));
    kz_score_fmt(m->cutoff, a, sizeof(a));
    json_object_set_new(o, "cut", json_string(a));
    kz_score_fmt(m->rci, a, sizeof(a));
    json_object_set_new(o, "rc", json_string(a));
    subs[0] = '\0';
    for (i = 0; i < m->nsub; i++)
        used += (size_t)snprintf(subs + used, sizeof(subs) - used, "%s%s", i ? "," : "",
                                 m->sub[i]);
    json_object_set_new(o, "subs", json_string(m->nsub ? subs : "-"));
    json_array_append_new(rows, o);
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"name", "NAME", 0}, {"range", "RANGE", 0},   {"cut", "CUT-OFF", 0}, {"rc", "RC", 0},
        {"better", "BETTER", 0}, {"role", "ROLE", 0}, {"subs", "SUBSCALES", 40},
        {NULL, NULL, 0},
    };
    unsigned char id[KZ_RECORD_ID_BYTES];
    const struct kz_measure *b;
    json_t *rows = json_array(), *cfg = NULL, *o;
    size_t i, n;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "measure list", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK ||
        (rc = kz_config_load(st, id, &cfg, err)) != KZ_OK) {
        json_decref(rows);
        return rc;
    }
    b = kz_measure_builtins(&n);
    for (i = 0; i < n; i++)
        add_row(rows, &b[i]);
    kz_measure_conf_each(cfg, add_row, rows);
    json_decref(cfg);
    if (st->ui.json) {
        json_array_foreach(rows, i, o) {
            json_object_del(o, "range");
            json_object_del(o, "cut");
            json_object_del(o, "rc");
            json_object_del(o, "subs");
        }
    }
    kz_ui_table(&st->ui, rows, cols, "no measures");
    return KZ_OK;
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    struct kz_buf b = {NULL, 0, 0};
    struct kz_measure m;
    char *pos[1], a[16], z[16];
    size_t i;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "measure show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: measure show NAME");
    if ((rc = kz_measure_find(st, pos[0], &m, err)) != KZ_OK)
        return rc;
    if (st->ui.json) {
        kz_ui_show(&st->ui, kz_measure_json(&m), NULL);
        return KZ_OK;
    }
    kz_buf_printf(&b, "Measure %s%s%s%s\n\n", m.name, *m.title ? " — " : "", m.title,
                  m.builtin ? " (built in)" : "");
    kz_score_fmt(m.min, a, sizeof(a));
    kz_score_fmt(m.max, z, sizeof(z));
    kz_buf_printf(&b, "total        %s to %s, %s is better\n", a, z,
                  m.higher_is_better ? "higher" : "lower");
    kz_score_fmt(m.cutoff, a, sizeof(a));
    kz_buf_printf(&b, "cut-off      %s\n", a);
    kz_score_fmt(m.rci, a, sizeof(a));
    kz_buf_printf(&b, "reliable     a change of %s or more\n", a);
    kz_buf_printf(&b, "role         %s\n", m.role == KZ_MEASURE_ALLIANCE ? "alliance" : "outcome");
    for (i = 0; i < m.nsub; i++) {
        kz_score_fmt(m.min / (double)m.nsub, a, sizeof(a));
        kz_score_fmt(m.max / (double)m.nsub, z, sizeof(z));
        kz_buf_printf(&b, "%-12s %s (%s to %s)\n", i == 0 ? "subscales" : "", m.sub[i], a, z);
    }
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
    kz_buf_free(&b);
    return KZ_OK;
}

/* Counts the scores on measure name (any couple). */
struct uses {
    const char *name;
    int n;
};

static int
count_use(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct uses *u = ctx;
    char name[KZ_MEASURE_NAME_MAX + 1];
    uint32_t sn;
    double total;

    (void)id;
    if (hi->kind == KZ_KIND_SCORE && kz_score_tags(hi->tags, name, &sn, &total) == 0 &&
        strcasecmp(name, u->name) == 0)
        u->n++;
    return 0;
}

static int
cmd_remove(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_measure m;
    struct uses u;
    json_t *cfg = NULL;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "measure remove", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: measure remove NAME");
    if (kz_measure_builtin(pos[0]) != NULL)
        return kz_fail(err, KZ_EUSAGE, "%s is built in; it cannot be removed",
                       kz_measure_builtin(pos[0])->name);
    if ((rc = kz_measure_find(st, pos[0], &m, err)) != KZ_OK)
        return rc;
    u.name = m.name;
    u.n = 0;
    if ((rc = kz_rec_scan_kind(st, KZ_KIND_SCORE, NULL, count_use, &u, err)) != KZ_OK)
        return rc;
    if (u.n > 0)
        return kz_fail(err, KZ_EUSAGE,
                       "measure %s has %d score%s; it stays while they do ('score remove ID')",
                       m.name, u.n, u.n == 1 ? "" : "s");
    if ((rc = kz_config_load(st, id, &cfg, err)) != KZ_OK)
        return rc;
    kz_measure_conf_remove(cfg, m.name);
    if ((rc = kz_config_save(st, id, cfg, err)) == KZ_OK)
        kz_ui_done(&st->ui, json_pack("{s:s}", "removed", m.name), "removed measure %s",
                   m.name);
    json_decref(cfg);
    return rc;
}

static const char *const define_opts[] = {"--min", "--max", "--cutoff", "--rci",
                                          "--higher-is-better", "--lower-is-better",
                                          "--subscales", "--alliance", "--title", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_measure_define = {
    "measure define",
    "NAME --min N --max N --cutoff N --rci N --higher-is-better|--lower-is-better "
    "[--subscales a,b,c] [--alliance] [--title TEXT]",
    "define a measure of your own (a scale in another language, say)",
    "Scoring only: the total's range, the clinical cut-off, the reliable-change amount,\n"
    "which way is better, up to 8 subscales (each ranges over min/n to max/n; the total is\n"
    "their sum). --alliance marks an alliance measure (like SRS). NAME: 1-24 letters,\n"
    "digits, '-' and '_', not a built-in's, unique without regard to case. Kept in the\n"
    "sealed config record.",
    CMD_NEEDS_KEY | CMD_WRITES, define_opts, cmd_define};
const struct kz_cmd_entry kz_cmd_measure_list = {
    "measure list", "", "the measures: ORS, SRS, CSI-4 and your own", NULL, CMD_NEEDS_KEY,
    no_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_measure_show = {
    "measure show", "NAME", "a measure's range, cut-off, reliable change and subscales", NULL,
    CMD_NEEDS_KEY, no_opts, cmd_show};
const struct kz_cmd_entry kz_cmd_measure_remove = {
    "measure remove", "NAME", "remove a measure of your own (refused while scores use it)",
    NULL, CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_remove};
