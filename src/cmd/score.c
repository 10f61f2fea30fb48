/* SPDX-License-Identifier: GPL-3.0-or-later */
/* score add and remove, and score records for session delete, export and
 * import (score.h). The views are in score_view.c. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/secmem.h"
#include "score.h"

int
kz_score_cmd_parse(const unsigned char *id, const struct kz_head_info *hi, const char *body,
                   size_t len, struct kz_score *s, struct kz_err *err)
{
    char hex[17], label[40];
    int rc;

    memset(s, 0, sizeof(*s));
    kz_hex(id, 8, hex);
    snprintf(label, sizeof(label), "score record %s", hex);
    rc = kz_score_parse(body, len, label, s, err);
    if (rc == KZ_OK && hi != NULL)
        s->num = hi->num; /* the head's short id is the one people use */
    return rc;
}

int
kz_score_cmd_read(struct kz_state *st, const unsigned char *id, const struct kz_head_info *hi,
                  struct kz_score *s, struct kz_err *err)
{
    char *body = NULL;
    size_t len = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    if ((rc = kz_vault_record_get(st->vault, id, &body, &len, err)) != KZ_OK)
        return rc;
    rc = kz_score_cmd_parse(id, hi, body, len, s, err);
    kz_vault_plain_free(body, len);
    return rc;
}

/* The scores of one couple's session (all of them, or one partner's on one
 * measure): ids and heads. */
struct match {
    const unsigned char *couple;
    uint32_t session;
    int partner;         /* 0: any */
    const char *measure; /* NULL: any */
    struct kz_rec_child *c;
    size_t n;
};

static int
match_score(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct match *m = ctx;
    char name[KZ_MEASURE_NAME_MAX + 1];
    uint32_t sn;
    double total;

    if (hi->kind != KZ_KIND_SCORE || memcmp(hi->parent, m->couple, KZ_RECORD_ID_BYTES) != 0 ||
        kz_score_tags(hi->tags, name, &sn, &total) != 0 || sn != m->session)
        return 0;
    if (m->partner != 0 &&
        !(hi->flags & (m->partner == 1 ? KZ_HF_PARTNER1 : KZ_HF_PARTNER2)))
        return 0;
    if (m->measure != NULL && strcasecmp(name, m->measure) != 0)
        return 0;
    m->c = kz_xrealloc(m->c, (m->n + 1) * sizeof(*m->c));
    memcpy(m->c[m->n].id, id, KZ_RECORD_ID_BYTES);
    m->c[m->n].hi = *hi;
    m->n++;
    return 0;
}

int
kz_score_cmd_drop_session(struct kz_state *st, const unsigned char *couple, uint32_t num,
                          int *n, struct kz_err *err)
{
    struct match m = {couple, num, 0, NULL, NULL, 0};
    size_t i;
    int rc;

    *n = 0;
    if ((rc = kz_rec_scan_kind(st, KZ_KIND_SCORE, m.couple, match_score, &m, err)) == KZ_OK) {
        for (i = 0; i < m.n && rc == KZ_OK; i++)
            rc = kz_vault_record_delete(st->vault, m.c[i].id, err);
        *n = (int)m.n;
    }
    free(m.c);
    return rc;
}

/* ---- add ---- */

/* The session sid may take partner's score on m: not void, attended by the
 * partner, none there yet. */
static int
check_session(struct kz_state *st, const struct kz_head_info *shi, const char *sid, int partner,
              const struct kz_measure *m, struct kz_err *err)
{
    struct match dup = {shi->parent, shi->num, partner, m->name, NULL, 0};
    char rid[16];
    int rc, other = partner == 1 ? KZ_HF_PARTNER2 : KZ_HF_PARTNER1;

    if (shi->flags & KZ_HF_VOID)
        return kz_fail(err, KZ_EUSAGE, "session %s is void; no score is added to it", sid);
    if (shi->flags & other)
        return kz_fail(err, KZ_EUSAGE,
                       "session %s was partner %d's alone: only partner %d's score belongs to it",
                       sid, 3 - partner, 3 - partner);
    if ((rc = kz_rec_scan_kind(st, KZ_KIND_SCORE, dup.couple, match_score, &dup, err)) != KZ_OK) {
        free(dup.c);
        return rc;
    }
    if (dup.n > 0) {
        kz_score_id_text(dup.c[0].hi.num, rid, sizeof(rid));
        free(dup.c);
        return kz_fail(err, KZ_EUSAGE,
                       "partner %d already has a score on %s for session %s: %s ('score remove %s' "
                       "first to replace it)",
                       partner, m->name, sid, rid, rid);
    }
    return KZ_OK;
}

static int
save(struct kz_state *st, const struct kz_score *s, const unsigned char *parent,
     struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    json_t *doc = kz_score_encode(s);
    int rc;

    kz_score_head(s, parent, &hi);
    kz_vault_new_record_id(id);
    rc = kz_rec_save(st, id, &hi, doc, err);
    json_decref(doc);
    return rc;
}

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *partner_s = NULL, *measure_s = NULL;
    const struct kz_opt opts[] = {
        {"partner", 0, 1, &partner_s, NULL},
        {"measure", 0, 1, &measure_s, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char sidrec[KZ_RECORD_ID_BYTES];
    struct kz_head_info shi;
    struct kz_measure m;
    struct kz_score s;
    char *pos[2 + KZ_MEASURE_SUB_MAX], sid[16], rid[16], total[16], code[KZ_CODE_MAX + 1];
    int rc, npos;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "score add", argc, argv, opts, pos, 2 + KZ_MEASURE_SUB_MAX,
                           &npos, err)) != KZ_OK)
        return rc;
    if (npos > 2) /* "ORS 7.5 6 5.5 8": the values as words */
        return kz_fail(err, KZ_EUSAGE,
                       "score add: VALUES is one word, its numbers comma-separated (%s,%s%s), "
                       "or the total alone",
                       pos[1], pos[2], npos > 3 ? ",..." : "");
    if (npos != 2 || partner_s == NULL || measure_s == NULL)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: score add SESSION --partner 1|2 --measure NAME VALUES");
    if (strcmp(partner_s, "1") != 0 && strcmp(partner_s, "2") != 0)
        return kz_fail(err, KZ_EUSAGE, "--partner: 1 or 2");
    s.partner = partner_s[0] - '0';
    if ((rc = kz_measure_find(st, measure_s, &m, err)) != KZ_OK ||
        (rc = kz_score_set_values(&s, &m, pos[1], err)) != KZ_OK ||
        (rc = kz_rec_find_num(st, KZ_KIND_SESSION, pos[0], sidrec, &shi, err)) != KZ_OK)
        return rc;
    kz_rec_num_text(KZ_KIND_SESSION, shi.num, sid, sizeof(sid));
    if ((rc = check_session(st, &shi, sid, s.partner, &m, err)) != KZ_OK)
        return rc;
    s.num = kz_rec_next_num(st, KZ_KIND_SCORE);
    kz_hex(shi.parent, KZ_RECORD_ID_BYTES, s.couple);
    s.session = shi.num;
    s.date = shi.date;
    snprintf(s.measure, sizeof(s.measure), "%s", m.name);
    kz_time_now(s.created);
    if ((rc = save(st, &s, shi.parent, err)) != KZ_OK ||
        (rc = kz_rec_claim_num(st, KZ_KIND_SCORE, s.num, err)) != KZ_OK)
        return rc;
    kz_score_id_text(s.num, rid, sizeof(rid));
    kz_score_fmt(s.total, total, sizeof(total));
    kz_rec_parent_code(st, shi.parent, code);
    snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", rid);
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:s,s:s,s:i,s:s,s:f,s:b}", "added", rid, "couple", code, "session",
                         sid, "partner", s.partner, "measure", m.name, "total", s.total,
                         "beyond_cutoff", kz_measure_beyond_cutoff(&m, s.total)),
               "added score %s: %s %s for partner %d at session %s of %s%s", rid, m.name, total,
               s.partner, sid, code,
               kz_measure_beyond_cutoff(&m, s.total) ? " (beyond the cut-off)" : "");
    return KZ_OK;
}

/* ---- remove ---- */

static int
cmd_remove(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_score s;
    char *pos[1], rid[16], code[KZ_CODE_MAX + 1], total[16], question[200];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "score remove", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: score remove ID [--yes]");
    if ((rc = kz_rec_find_num(st, KZ_KIND_SCORE, pos[0], id, &hi, err)) != KZ_OK ||
        (rc = kz_rec_child_writable(st, &hi, err)) != KZ_OK ||
        (rc = kz_score_cmd_read(st, id, &hi, &s, err)) != KZ_OK)
        return rc;
    kz_score_id_text(hi.num, rid, sizeof(rid));
    kz_rec_parent_code(st, hi.parent, code);
    kz_score_fmt(s.total, total, sizeof(total));
    snprintf(question, sizeof(question),
             "Remove score %s (%s %s, partner %d, session s%u of %s) for good?", rid, s.measure,
             total, s.partner, s.session, code);
    if ((rc = kz_cmd_confirm(st, yes, question, err)) != KZ_OK)
        return rc;
    /* The event first, while the score (and so its couple) can still be named. */
    if ((rc = kz_audit_event(st, "delete", "score remove", rid, NULL, err)) != KZ_OK)
        return rc;
    st->audited = 1;
    if ((rc = kz_vault_record_delete(st->vault, id, err)) != KZ_OK)
        return rc;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "removed", rid, "couple", code),
               "removed score %s of %s", rid, code);
    return KZ_OK;
}

/* ---- export and import ---- */

/* The imported score s against what it refers to: its session in the export
 * (map), its measure here, one per session, partner and measure. */
static int
import_check(struct kz_state *st, struct kz_score *s, const char *label, const json_t *sessions,
             json_t *seen, struct kz_err *err)
{
    char sid[16], key[64];
    const json_t *to;
    const char *att;
    struct kz_measure m;
    int rc;

    snprintf(sid, sizeof(sid), "s%u", s->session);
    if ((to = json_object_get(sessions, sid)) == NULL)
        return kz_fail(err, KZ_EUSAGE, "%s: its session %s is not in the export", label, sid);
    if ((rc = kz_measure_find(st, s->measure, &m, err)) != KZ_OK)
        return rc == KZ_ENOTFOUND ? kz_fail(err, KZ_EUSAGE,
                                            "%s: no measure %s in this vault ('measure define "
                                            "%s ...' first)",
                                            label, s->measure, s->measure)
                                  : rc;
    if (kz_score_check(s, &m, err) != KZ_OK) {
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        return kz_fail(err, KZ_EUSAGE, "%s: %s", label, why);
    }
    att = json_string_value(json_object_get(to, "attended"));
    if (att != NULL && strcmp(att, s->partner == 1 ? "partner2" : "partner1") == 0)
        return kz_fail(err, KZ_EUSAGE, "%s: session %s was the other partner's alone", label,
                       sid);
    snprintf(key, sizeof(key), "%s/%d/%s", sid, s->partner, m.name);
    if (json_object_get(seen, key) != NULL)
        return kz_fail(err, KZ_EUSAGE, "%s: a second %s score of partner %d for session %s",
                       label, m.name, s->partner, sid);
    json_object_set_new(seen, key, json_true());
    snprintf(s->measure, sizeof(s->measure), "%s", m.name);
    s->session = (uint32_t)json_integer_value(json_object_get(to, "num"));
    s->date = kz_date_parse(json_string_value(json_object_get(to, "date")));
    return KZ_OK;
}

int
kz_score_cmd_import(struct kz_state *st, const json_t *e, size_t at, uint32_t num,
                    const unsigned char *cid, const json_t *sessions, json_t *seen,
                    struct kz_err *err)
{
    const char *was = json_string_value(json_object_get(e, "id"));
    char label[96];
    struct kz_score s;
    int rc;

    if (was != NULL)
        snprintf(label, sizeof(label), "not a kizuna export: score %.20s", was);
    else
        snprintf(label, sizeof(label), "not a kizuna export: score %zu of the scores", at + 1);
    if ((rc = kz_score_decode(e, KZ_SCORE_IMPORT, label, &s, err)) != KZ_OK ||
        (rc = import_check(st, &s, label, sessions, seen, err)) != KZ_OK)
        return rc;
    s.num = num;
    kz_hex(cid, KZ_RECORD_ID_BYTES, s.couple);
    if (s.created[0] == '\0')
        kz_time_now(s.created);
    return save(st, &s, cid, err);
}

static const char *const add_opts[] = {"--partner", "--measure", NULL};
static const char *const remove_opts[] = {"--yes", NULL};

const struct kz_cmd_entry kz_cmd_score_add = {
    "score add", "SESSION --partner 1|2 --measure NAME VALUES",
    "record a partner's score on a measure (ORS, SRS, CSI-4, your own) at a session",
    "VALUES is one number per subscale, comma-separated (ORS 6.5,7,5,8: the total is\n"
    "their sum), or the total alone; at most one decimal place, each within its range\n"
    "(a subscale: the measure's range divided by the subscales). One score per session,\n"
    "partner and measure; a partner scores only sessions they attended, never a void one.\n"
    "Scores get short ids (r3) that stay. 'measure list' shows the measures.",
    CMD_NEEDS_KEY | CMD_WRITES, add_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_score_remove = {
    "score remove", "ID [--yes]", "remove a score for good",
    "Asks on a terminal; scripts must say --yes.", CMD_NEEDS_KEY | CMD_WRITES, remove_opts,
    cmd_remove};
