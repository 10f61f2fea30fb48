/* SPDX-License-Identifier: GPL-3.0-or-later */
/* export: one couple's record as Markdown or JSON, optionally in age (the
 * Markdown in export_md.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/buf.h"
#include "kizuna/cleanup.h"
#include "kizuna/wipe.h"
#include "kizuna/secmem.h"
#include "kizuna/model_session.h"
#include "export_cmd.h"
#include "goal.h"
#include "score.h"
#include "session.h"

static int
by_kind_date(const void *a, const void *b)
{
    return kz_couple_child_cmp(&((const struct kz_rec_child *)a)->hi,
                               &((const struct kz_rec_child *)b)->hi);
}

/* A sealed session as exported: couple by its CODE, short id "s3", the
 * process notes only when asked for. s is freed. */
static json_t *
exported(struct kz_session *s, const char *code, int process)
{
    json_t *r;

    kz_session_set(&s->couple, code);
    s->has_process_notes = process;
    r = kz_session_encode(s, KZ_SESSION_EXPORTED);
    kz_session_free(s);
    return r;
}

/* The sessions' and scores' bodies an export takes, opened ahead on every
 * core (kz_vault_records_open): each kid's note (a session) or score, by
 * its place in kids; the build below takes them in its own order. */
struct ahead {
    const struct kz_rec_child *kids;
    const size_t *at;        /* the opened kids' places, in the order given */
    struct kz_session *sess; /* sessions */
    struct kz_score *scores; /* scores */
};

static int
open_ahead(void *ctx, size_t i, const unsigned char *id, const unsigned char *head,
           size_t headlen, const char *body, size_t bodylen, struct kz_err *err)
{
    struct ahead *a = ctx;
    size_t k = a->at[i];

    (void)head;
    (void)headlen;
    if (a->kids[k].hi.kind == KZ_KIND_SCORE)
        return kz_score_cmd_parse(id, &a->kids[k].hi, body, bodylen, &a->scores[k], err);
    return kz_sess_parse(id, a->kids[k].hi.num, body, bodylen, &a->sess[k], err);
}

/* Opens ahead the sessions and scores of kids that the export keeps (the
 * other partner's are left out when for a partner: other, their flag). */
static int
ahead_open(struct kz_state *st, const struct kz_rec_child *kids, size_t nkids, int other,
           struct ahead *a, struct kz_err *err)
{
    unsigned char (*ids)[KZ_RECORD_ID_BYTES] = kz_xcalloc(nkids ? nkids : 1, sizeof(*ids));
    size_t *at = kz_xcalloc(nkids ? nkids : 1, sizeof(*at)), i, n = 0;
    int rc;

    a->kids = kids;
    a->at = at;
    a->sess = kz_xcalloc(nkids ? nkids : 1, sizeof(*a->sess));
    a->scores = kz_xcalloc(nkids ? nkids : 1, sizeof(*a->scores));
    for (i = 0; i < nkids; i++) {
        if ((kids[i].hi.kind != KZ_KIND_SESSION && kids[i].hi.kind != KZ_KIND_SCORE) ||
            (other != 0 && (kids[i].hi.flags & other)))
            continue;
        memcpy(ids[n], kids[i].id, KZ_RECORD_ID_BYTES);
        at[n++] = i;
    }
    rc = kz_vault_records_open(st->vault, (const unsigned char (*)[KZ_RECORD_ID_BYTES])ids, n,
                               open_ahead, a, err);
    free(ids);
    return rc;
}

static void
ahead_free(struct ahead *a, size_t nkids)
{
    size_t i;

    for (i = 0; a->sess != NULL && i < nkids; i++)
        kz_session_free(&a->sess[i]); /* one taken (exported) is empty: harmless */
    free(a->sess);
    kz_wipe_free(a->scores, (nkids ? nkids : 1) * sizeof(*a->scores));
    free((size_t *)a->at);
    memset(a, 0, sizeof(*a));
}

/* Builds the export document of the couple CODE. for_partner 0: complete.
 * Long: one pass that also cuts the links to what a partner's copy leaves out. */
static int
build(struct kz_state *st, const char *code, int for_partner, int process, json_t **out,
      struct kz_err *err)
{
    unsigned char cid[KZ_RECORD_ID_BYTES], cfgid[KZ_RECORD_ID_BYTES];
    struct kz_rec_child *kids = NULL;
    size_t nkids = 0;
    json_t *doc = NULL, *couple = NULL, *sessions, *goals, *scores, *cfg = NULL, *omitted = NULL;
    struct ahead ahead = {NULL, NULL, NULL, NULL};
    int other = for_partner == 1 ? KZ_HF_PARTNER2 : for_partner == 2 ? KZ_HF_PARTNER1 : 0;
    char now[21], sid[16];
    size_t i;
    int rc;

    *out = NULL;
    if ((rc = kz_rec_find_couple_exact(st, code, cid, NULL, err)) != KZ_OK ||
        (rc = kz_couple_load(st, cid, &couple, err)) != KZ_OK)
        return rc;
    if ((rc = kz_rec_children(st, cid, &kids, &nkids, err)) != KZ_OK)
        goto out;
    if (nkids > 1)
        qsort(kids, nkids, sizeof(*kids), by_kind_date);
    if ((rc = ahead_open(st, kids, nkids, other, &ahead, err)) != KZ_OK)
        goto out;
    kz_time_now(now);
    json_object_del(couple, "kind");
    json_object_del(couple, "v");
    sessions = json_array();
    goals = json_array();
    omitted = json_array();
    doc = json_pack("{s:s,s:i,s:s,s:o,s:b,s:o,s:o,s:o}", "format", EXPORT_FORMAT, "version", 1,
                    "exported", now, "for_partner", for_partner ? json_integer(for_partner) : json_null(),
                    "process_notes", process, "couple", couple, "sessions", sessions, "goals", goals);
    couple = NULL;
    scores = json_array();
    json_object_set_new(doc, "scores", scores);
    if (kz_config_load(st, cfgid, &cfg, NULL) == KZ_OK) {
        if (kz_conf_get(cfg, "practice.name"))
            json_object_set(doc, "practice", kz_conf_get(cfg, "practice.name"));
        if (kz_conf_get(cfg, "therapist.name"))
            json_object_set(doc, "therapist", kz_conf_get(cfg, "therapist.name"));
    }
    for (i = 0; i < nkids; i++) {
        kz_rec_num_text(kids[i].hi.kind, kids[i].hi.num, sid, sizeof(sid));
        /* The other partner's individual sessions and goals are theirs alone. */
        if (other != 0 && (kids[i].hi.flags & other)) {
            json_array_append_new(omitted, json_string(sid)); /* "s3" or "g2" */
            continue;
        }
        /* Goals come after the sessions (by_kind_date): omitted is complete. */
        if (kids[i].hi.kind == KZ_KIND_GOAL) {
            if ((rc = kz_goal_cmd_export(st, &kids[i], code, omitted, goals, err)) != KZ_OK)
                goto out;
            continue;
        }
        /* Scores come last (by_kind_date); the other partner's were left out above. */
        if (kids[i].hi.kind == KZ_KIND_SCORE) {
            json_array_append_new(scores, kz_score_export(&ahead.scores[i], code));
            continue;
        }
        /* The other children are sessions, read through the model ahead. */
        json_array_append_new(sessions, exported(&ahead.sess[i], code, process));
    }
    /* Sessions must not point at goals left out (goal progress lost its links
     * to sessions left out in kz_goal_cmd_export). */
    {
        json_t *g;
        size_t gi, pi;
        json_array_foreach(sessions, gi, g) {
            json_t *links = json_object_get(g, "goals");
            for (pi = 0; pi < json_array_size(links);) {
                const char *l = json_string_value(json_array_get(links, pi));
                size_t k;
                json_t *o;
                int drop = 0;
                json_array_foreach(omitted, k, o) {
                    if (l != NULL && strcmp(l, json_string_value(o)) == 0)
                        drop = 1;
                }
                if (drop)
                    json_array_remove(links, pi);
                else
                    pi++;
            }
        }
    }
    *out = doc;
    doc = NULL;
out:
    ahead_free(&ahead, nkids);
    json_decref(omitted);
    json_decref(doc);
    json_decref(couple);
    json_decref(cfg);
    kz_wipe_free(kids, nkids * sizeof(*kids)); /* goal titles, themes */
    return rc;
}

/* KZ_ERR when something is at path: an export never replaces a file. */
static int
refuse_existing(const char *path, struct kz_err *err)
{
    struct stat sb;

    if (lstat(path, &sb) == 0)
        return kz_fail(err, KZ_ERR, "%s already exists; refusing to overwrite it", path);
    return KZ_OK;
}

static int
write_out(struct kz_state *st, int fd, const char *text, size_t len,
          const struct kz_age_recipient *r, size_t nr, int armor, struct kz_err *err)
{
    if (nr == 0) {
        if (fd < 0)
            return kz_ui_raw(&st->ui, text, len) == 0
                       ? KZ_OK
                       : kz_fail(err, KZ_ERR, "cannot write the export: %s", strerror(errno));
        return kz_age_fd_write(&fd, text, len) == 0
                   ? KZ_OK
                   : kz_fail(err, KZ_ERR, "cannot write the export: %s", strerror(errno));
    }
    if (fd < 0)
        fd = STDOUT_FILENO;
    return kz_cmd_age_write(&fd, text, len, r, nr, armor, err);
}

static int
export_event(struct kz_state *st, const char *code, int pseudo, struct kz_err *err)
{
    int rc;

    if (pseudo) {
        /* The event says what kind of copy left: "reason: pseudonymized". */
        if ((rc = kz_audit_event_reason(st, "export", "export", code, "pseudonymized", err)) !=
            KZ_OK) {
            char why[sizeof(err->msg)];
            snprintf(why, sizeof(why), "%s", err->msg);
            rc = kz_fail(err, rc, "not exported: the audit trail could not note it (%s)", why);
        }
    } else {
        rc = kz_audit_first(st, "export", "export", code, "not exported", err);
    }

    st->audited = rc == KZ_OK;
    return rc;
}

/* Long: the checks come in the order the guarantees need (synced folder, the
 * question, the file made, the audit event, then the bytes). */
static int
cmd_export(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *format = "md", *outpath = NULL, *partner = NULL, *to[KZ_OPT_MAX];
    int nto = 0, process = 0, armor = 0, yes = 0, rc, npos, fp = 0, fd = -1, cleanup = -1;
    int pseudo = 0;
    const struct kz_opt opts[] = {
        {"format", 0, 1, &format, NULL},          {"output", 'o', 1, &outpath, NULL},
        {"to", 0, KZ_OPT_REPEAT, to, &nto},        {"for-partner", 0, 1, &partner, NULL},
        {"include-process-notes", 0, 0, NULL, &process}, {"armor", 'a', 0, NULL, &armor},
        {"yes", 'y', 0, NULL, &yes},
        {"pseudonymize", 0, 0, NULL, &pseudo},     {"process-notes", 0, 0, NULL, &process},
        {NULL, 0, 0, NULL, NULL},
    };
    struct kz_age_recipient *r = NULL;
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], *text = NULL, tmp[4200], shown[4300], where[4300];
    const char *service = NULL;
    size_t nr = 0, len;
    json_t *doc = NULL;

    tmp[0] = '\0';
    if ((rc = kz_cmd_parse(st, "export", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: export CODE [--format md|json] [-o FILE] ...");
    if (strcmp(format, "md") != 0 && strcmp(format, "json") != 0)
        return kz_fail(err, KZ_EUSAGE, "export: --format md or json");
    if (partner != NULL) {
        if (strcmp(partner, "1") != 0 && strcmp(partner, "2") != 0)
            return kz_fail(err, KZ_EUSAGE, "export: --for-partner 1 or 2");
        fp = partner[0] - '0';
    }
    if (nto > 0 && (rc = kz_cmd_parse_recipients(to, nto, &r, &nr, err)) != KZ_OK)
        return rc;
    /* A file already there is refused before the record is read or a
     * question asked (it was refused after both); checked again below. */
    if (outpath != NULL && (rc = refuse_existing(outpath, err)) != KZ_OK)
        goto out;
    if ((rc = build(st, pos[0], fp, process, &doc, err)) != KZ_OK)
        goto out;
    if (pseudo && (rc = kz_export_pseudonymize(st, doc)) != KZ_OK)
        goto out;
    if (strcmp(format, "json") == 0) {
        char *dumped = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        if (dumped == NULL)
            kz_die("out of memory");
        text = kz_xstrdup(dumped); /* one way to free it below, whatever the format */
        kz_json_free(dumped);
        len = strlen(text);
    } else {
        kz_export_markdown(doc, &b);
        text = kz_xstrdup(kz_buf_str(&b));
        len = b.len;
    }
    if (outpath != NULL)
        kz_cmd_abspath(outpath, shown, sizeof(shown));
    if (nr == 0 && outpath != NULL && kz_cmd_sync_folder(outpath, where, sizeof(where), &service)) {
        /* A plain export in a synced folder leaves the computer: asked on a
         * terminal, --yes in a script (whose author chose the folder). */
        char q[5200];
        if (strcmp(service, "git") == 0)
            snprintf(q, sizeof(q), "%s is a git work tree: a commit or push would carry the "
                                   "plain export along.", where);
        else if (strcmp(service, "Syncthing") == 0)
            snprintf(q, sizeof(q), "%s is a Syncthing folder: the plain export would be copied "
                                   "to every device it is shared with.", where);
        else
            snprintf(q, sizeof(q), "%s is a %s folder: the plain export would be copied to "
                                   "%s's servers.", where, service, service);
        if (!yes && (st->interactive || kz_ui_have_terminal())) {
            size_t ql = strlen(q);
            snprintf(q + ql, sizeof(q) - ql, " Export anyway?");
            int ok;
            if ((rc = kz_cmd_ask(st, q, NULL, &ok, err)) != KZ_OK)
                goto out;
            if (!ok) {
                rc = kz_fail(err, KZ_EUSAGE, "not confirmed; nothing written");
                goto out;
            }
        } else if (!yes) {
            rc = kz_fail(err, KZ_EUSAGE, "refusing without --yes: %s (Or encrypt it: --to "
                                         "age1...)", q);
            goto out;
        }
    } else if (nr == 0 && (st->interactive || kz_ui_have_terminal())) {
        char q[5200];
        snprintf(q, sizeof(q),
                 "This writes %s's record UNENCRYPTED to %s. Clients' words in plain text: "
                 "go on?",
                 pos[0], outpath != NULL ? shown : "the screen");
        if ((rc = kz_cmd_confirm(st, yes, q, err)) != KZ_OK)
            goto out;
    }
    if (outpath != NULL) {
        if ((rc = refuse_existing(outpath, err)) != KZ_OK) /* it came while the question was open */
            goto out;
        if ((fd = kz_cmd_tmpfile(outpath, tmp, sizeof(tmp), err)) < 0) {
            rc = err->code;
            goto out;
        }
        /* A fatal signal from here shreds it (a plain export is the record). */
        cleanup = kz_cleanup_add(tmp, -1);
    }
    /* The event is saved before a byte reaches the screen or the file gets its
     * name: an export the audit trail could not note does not happen. */
    if (fd < 0 && (rc = export_event(st, pos[0], pseudo, err)) != KZ_OK)
        goto out;
    if ((rc = write_out(st, fd, text, len, r, nr, armor || (fd < 0 && nr > 0), err)) != KZ_OK)
        goto out;
    if (fd >= 0) {
        /* Never replaces a file, even one that appeared since the check above. */
        if ((rc = export_event(st, pos[0], pseudo, err)) != KZ_OK ||
            (rc = kz_cmd_commit_file(fd, tmp, outpath, 1, err)) != KZ_OK)
            goto out;
        tmp[0] = '\0';
        kz_ui_done(&st->ui,
                   json_pack("{s:s,s:s,s:s,s:b,s:b}", "exported", pos[0], "file", shown,
                             "format", format, "encrypted", nr > 0, "pseudonymized", pseudo),
                   "exported %s (%s%s, %s) to %s", pos[0],
                   strcmp(format, "md") == 0 ? "Markdown" : "JSON",
                   pseudo ? ", pseudonymized" : "",
                   nr > 0 ? "age-encrypted" : "plain text: keep it safe", shown);
    }
out:
    if (tmp[0] != '\0')
        kz_shred_path(tmp);
    kz_cleanup_remove(cleanup);
    if (fd >= 0)
        close(fd);
    if (text != NULL)
        kz_vault_plain_free(text, strlen(text));
    kz_buf_free(&b);
    json_decref(doc);
    free(r);
    return rc;
}

static const char *const export_opts[] = {"--format", "--output", "--to", "--for-partner",
                                          "--include-process-notes", "--armor", "--yes",
                                          "--pseudonymize", "--process-notes", NULL};

const struct kz_cmd_entry kz_cmd_export = {
    "export",
    "CODE [--format md|json] [-o FILE] [--to RECIPIENT ...] [--for-partner 1|2] "
    "[--include-process-notes] [--pseudonymize]",
    "one couple's record as Markdown or JSON, plain (0600) or age-encrypted",
    "--for-partner N leaves out the other partner's individual sessions and goals (their\n"
    "disclosures); process notes stay out unless --include-process-notes. With --to the\n"
    "output is an age file only those recipients open (-a/--armor for text). A plain export\n"
    "asks first on a terminal; scripts say --yes only for the terminal case, or when FILE's\n"
    "folder is a git work tree or synced (Dropbox, OneDrive, Nextcloud, iCloud, Syncthing:\n"
    "found by their marker files; else exit 2). -o FILE never replaces a file, even one\n"
    "that appears while the export is written; the reply names its absolute path.\n"
    "--pseudonymize: a copy for supervision or intervision. The profile's names and places\n"
    "become roles everywhere, in the notes too (any case, whole words, CJK names anywhere):\n"
    "Partner A (Japan), Partner B, Child 1, city in Germany, support person 1, referrer;\n"
    "every date becomes a therapy week (week 1 starts on the intake, or the first session\n"
    "if earlier); creation and change times, practice and therapist are left out. The\n"
    "list of replacements goes to stderr (not into the copy): check it, and the text, for\n"
    "names the profile does not hold. --process-notes is --include-process-notes.",
    CMD_NEEDS_KEY, export_opts, cmd_export};
