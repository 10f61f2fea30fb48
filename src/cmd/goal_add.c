/* SPDX-License-Identifier: GPL-3.0-or-later */
/* goal add, progress, done and drop: the goal commands that write. They parse
 * their options, change the goal through the model and print. */
#include <string.h>

#include "goal.h"

/* ---- add ---- */

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *partner_s = NULL, *target_s = NULL, *desc_s = NULL, *rest = NULL;
    int yes = 0;
    const struct kz_opt opts[] = {
        {"partner", 0, 1, &partner_s, NULL},
        {"target", 0, 1, &target_s, NULL},
        {"description", 0, 1, &desc_s, NULL},
        {"yes", 'y', 0, NULL, &yes},
        {"", 0, KZ_OPT_REST, &rest, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES], id[KZ_RECORD_ID_BYTES];
    struct kz_head_info chi;
    struct kz_goal g;
    char *pos[2], gid[16];
    int rc, npos;

    kz_goal_init(&g, 0, "");
    if ((rc = kz_cmd_parse(st, "goal add", argc, argv, opts, pos, 2, &npos, err)) != KZ_OK)
        goto out;
    if (rest != NULL && npos == 1) {
        pos[npos++] = (char *)rest; /* goal add CODE [options] -- TITLE */
    } else if (rest != NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "the title once: as TITLE or after --");
        goto out;
    }
    if (npos != 2) {
        rc = kz_fail(err, KZ_EUSAGE,
                     "usage: goal add CODE TITLE [--partner 1|2] [--target DATE] "
                     "[--description TEXT] (or: goal add CODE [options] -- TITLE)");
        goto out;
    }
    if ((rc = kz_goal_set_title(&g, pos[1], err)) != KZ_OK ||
        (rc = kz_goal_set_partner(&g, partner_s, err)) != KZ_OK)
        goto out;
    if (target_s != NULL &&
        ((rc = kz_cmd_date_read(st, "--target", target_s, &g.target, err)) != KZ_OK ||
         (rc = kz_cmd_date_check(st, "--target", g.target, KZ_GOAL_TARGET_AHEAD, yes, err)) !=
             KZ_OK))
        goto out;
    if ((rc = kz_goal_set_description(&g, desc_s, err)) != KZ_OK ||
        (rc = kz_rec_find_couple(st, pos[0], cid, &chi, err)) != KZ_OK)
        goto out;
    pos[0] = chi.code; /* as stored, whatever case was typed */
    g.num = kz_rec_next_num(st, KZ_KIND_GOAL);
    kz_hex(cid, KZ_RECORD_ID_BYTES, g.couple);
    kz_time_now(g.created);
    kz_vault_new_record_id(id);
    if ((rc = kz_goal_cmd_save(st, id, &g, cid, err)) != KZ_OK ||
        (rc = kz_rec_claim_num(st, KZ_KIND_GOAL, g.num, err)) != KZ_OK)
        goto out;
    kz_goal_id_text(g.num, gid, sizeof(gid));
    snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", gid);
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "added", gid, "couple", pos[0]),
               "added goal %s for %s", gid, pos[0]);
out:
    kz_goal_free(&g);
    return rc;
}

/* ---- progress ---- */

/* The session --session names, as "s3" into sid: KZ_EUSAGE when it belongs
 * to another couple than the goal's (parent). */
static int
same_couple_session(struct kz_state *st, const char *arg, const struct kz_head_info *goal,
                    char *sid, size_t size, struct kz_err *err)
{
    unsigned char rec[KZ_RECORD_ID_BYTES];
    struct kz_head_info shi;
    char gid[16], a[KZ_CODE_MAX + 1], b[KZ_CODE_MAX + 1];
    int rc;

    if ((rc = kz_rec_find_num(st, KZ_KIND_SESSION, arg, rec, &shi, err)) != KZ_OK)
        return rc;
    kz_rec_num_text(KZ_KIND_SESSION, shi.num, sid, size);
    if (memcmp(shi.parent, goal->parent, KZ_RECORD_ID_BYTES) == 0)
        return KZ_OK;
    kz_goal_id_text(goal->num, gid, sizeof(gid));
    kz_rec_parent_code(st, shi.parent, a);
    kz_rec_parent_code(st, goal->parent, b);
    return kz_fail(err, KZ_EUSAGE, "session %s belongs to couple %s, goal %s to %s", sid, a, gid,
                   b);
}

static int
cmd_progress(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *session_s = NULL, *note_s = NULL, *date_s = NULL, *rest = NULL;
    int yes = 0;
    const struct kz_opt opts[] = {
        {"session", 0, 1, &session_s, NULL},
        {"note", 0, 1, &note_s, NULL},
        {"date", 0, 1, &date_s, NULL},
        {"yes", 'y', 0, NULL, &yes},
        {"", 0, KZ_OPT_REST, &rest, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_goal g;
    char *pos[2], gid[16], sid[16] = "", date[11], shown[11];
    uint32_t d;
    int rc, npos, score;

    memset(&g, 0, sizeof(g));
    if ((rc = kz_cmd_parse(st, "goal progress", argc, argv, opts, pos, 2, &npos, err)) != KZ_OK)
        return rc;
    if (rest != NULL && npos == 1) {
        pos[npos++] = (char *)rest; /* goal progress ID -- SCORE (a "-1" is refused as a score) */
    } else if (rest != NULL) {
        if (note_s != NULL)
            return kz_fail(err, KZ_EUSAGE, "the note once: --note or after --");
        note_s = rest; /* goal progress ID SCORE [options] -- NOTE */
    }
    if (npos != 2)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: goal progress ID SCORE [--session ID] [--date D] [--note TEXT | "
                       "-- NOTE]");
    if ((rc = kz_goal_score_parse(pos[1], &score, err)) != KZ_OK)
        return rc;
    d = kz_date_today();
    if (date_s != NULL && ((rc = kz_cmd_date_read(st, "--date", date_s, &d, err)) != KZ_OK ||
                           (rc = kz_cmd_date_check(st, "--date", d, 1, yes, err)) != KZ_OK))
        return rc;
    kz_date_format(d, date);
    if ((rc = kz_goal_note_check(note_s, err)) != KZ_OK ||
        (rc = kz_goal_cmd_load(st, pos[0], id, &hi, &g, err)) != KZ_OK)
        goto out;
    kz_goal_id_text(hi.num, gid, sizeof(gid));
    if (session_s != NULL &&
        (rc = same_couple_session(st, session_s, &hi, sid, sizeof(sid), err)) != KZ_OK)
        goto out;
    kz_goal_add_progress(&g, d, score, sid, note_s);
    if ((rc = kz_goal_cmd_save(st, id, &g, hi.parent, err)) != KZ_OK)
        goto out;
    if (g.status != KZ_ST_ACTIVE)
        kz_ui_warn(&st->ui, "goal %s is %s; the score was recorded all the same", gid,
                   kz_status_name(g.status));
    kz_ui_done(&st->ui, json_pack("{s:s,s:s,s:i}", "goal", gid, "date", date, "score", score),
               "goal %s: %d on %s", gid, score,
               kz_cmd_date_shown(kz_cmd_date_style(st), date, shown));
out:
    kz_goal_free(&g);
    return rc;
}

/* ---- done, drop ---- */

static int
close_goal(struct kz_state *st, const char *name, int to, int argc, char **argv,
           struct kz_err *err)
{
    const char *date_s = NULL;
    int yes = 0;
    const struct kz_opt opts[] = {{"date", 0, 1, &date_s, NULL},
                                  {"yes", 'y', 0, NULL, &yes},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_goal g;
    char *pos[1], gid[16], date[11], shown[11];
    const char *now_name = kz_status_name(to);
    uint32_t d;
    int rc, npos;

    memset(&g, 0, sizeof(g));
    if ((rc = kz_cmd_parse(st, name, argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: %s ID [--date DATE]", name);
    d = kz_date_today();
    if (date_s != NULL && ((rc = kz_cmd_date_read(st, "--date", date_s, &d, err)) != KZ_OK ||
                           (rc = kz_cmd_date_check(st, "--date", d, 1, yes, err)) != KZ_OK))
        return rc;
    kz_date_format(d, date);
    if ((rc = kz_goal_cmd_load(st, pos[0], id, &hi, &g, err)) != KZ_OK ||
        (rc = kz_goal_close(&g, to, d, err)) != KZ_OK ||
        (rc = kz_goal_cmd_save(st, id, &g, hi.parent, err)) != KZ_OK)
        goto out;
    kz_goal_id_text(hi.num, gid, sizeof(gid));
    kz_ui_done(&st->ui, json_pack("{s:s,s:s,s:s}", "goal", gid, "status", now_name, "closed", date),
               "goal %s %s on %s", gid, now_name,
               kz_cmd_date_shown(kz_cmd_date_style(st), date, shown));
out:
    kz_goal_free(&g);
    return rc;
}

static int
cmd_done(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return close_goal(st, "goal done", KZ_ST_ACHIEVED, argc, argv, err);
}

static int
cmd_drop(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return close_goal(st, "goal drop", KZ_ST_DROPPED, argc, argv, err);
}

static const char *const add_opts[] = {"--partner", "--target", "--description", "--yes", NULL};
static const char *const progress_opts[] = {"--session", "--note", "--date", "--yes", NULL};
static const char *const date_opts[] = {"--date", "--yes", NULL};

const struct kz_cmd_entry kz_cmd_goal_add = {
    "goal add", "CODE TITLE [--partner 1|2] [--target DATE] [--description TEXT]",
    "add a goal for the couple, or for one partner",
    "Or the title after a lone '--', no quoting needed: goal add C014 -- Aiko's goal.\n"
    "TITLE is 1-200 bytes (an empty one: nothing written, exit 1). --partner 1|2 makes\n"
    "it one partner's goal; --target is the date it is hoped for (2026-12-01, 1.12.2026,\n"
    "+12w; more than ten years ahead asks first, scripts say --yes). Goals get short\n"
    "ids (g3) that stay.",
    CMD_NEEDS_KEY | CMD_WRITES, add_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_goal_progress = {
    "goal progress", "ID SCORE [--session ID] [--note TEXT] [--date DATE]",
    "record a 0-10 score for a goal (today unless --date)",
    "SCORE is a whole number from 0 to 10. The note may follow a lone '--':\n"
    "goal progress g3 7 -- Jonas' idea. --session links the entry to one of the same\n"
    "couple's sessions. Entries are kept in date order. A --date more than a day ahead\n"
    "or before 1950 asks first; scripts say --yes.",
    CMD_NEEDS_KEY | CMD_WRITES, progress_opts, cmd_progress};
const struct kz_cmd_entry kz_cmd_goal_done = {
    "goal done", "ID [--date DATE]", "mark a goal achieved", NULL, CMD_NEEDS_KEY | CMD_WRITES,
    date_opts, cmd_done};
const struct kz_cmd_entry kz_cmd_goal_drop = {
    "goal drop", "ID [--date DATE]", "mark a goal dropped (it stays on record)", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, date_opts, cmd_drop};
