/* SPDX-License-Identifier: GPL-3.0-or-later */
/* export and import: one couple's record as Markdown or JSON, optionally in age. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
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
#include "cmds.h"
#include "goal.h"

#define EXPORT_FORMAT "kizuna-export"
#define IMPORT_MAX (64 * 1024 * 1024)

static int
by_kind_date(const void *a, const void *b)
{
    const struct kz_head_info *x = &((const struct kz_rec_child *)a)->hi;
    const struct kz_head_info *y = &((const struct kz_rec_child *)b)->hi;

    if (x->kind != y->kind)
        return x->kind - y->kind;
    if (x->kind == KZ_KIND_SESSION && x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* A sealed session *r as exported: couple by its CODE, short id "s3", the
 * process notes only when asked for (the body read through the model:
 * strict, KZ_EINTEGRITY naming the session). */
static int
export_session(json_t **r, const char *sid, const char *code, int process, struct kz_err *err)
{
    struct kz_session s;
    char what[32];
    int rc;

    snprintf(what, sizeof(what), "session %s", sid);
    if ((rc = kz_session_decode(*r, KZ_SESSION_SEALED, what, &s, err)) != KZ_OK)
        return rc;
    kz_session_set(&s.couple, code);
    s.has_process_notes = process;
    json_decref(*r);
    *r = kz_session_encode(&s, KZ_SESSION_EXPORTED);
    kz_session_free(&s);
    return KZ_OK;
}

/* Builds the export document of the couple CODE. for_partner 0: complete. */
static int
build(struct kz_state *st, const char *code, int for_partner, int process, json_t **out,
      struct kz_err *err)
{
    unsigned char cid[KZ_RECORD_ID_BYTES], cfgid[KZ_RECORD_ID_BYTES];
    struct kz_rec_child *kids = NULL;
    size_t nkids = 0;
    json_t *doc = NULL, *couple = NULL, *sessions, *goals, *cfg = NULL, *omitted = NULL;
    char now[21], sid[16];
    size_t i;
    int rc;

    *out = NULL;
    if ((rc = kz_rec_find_couple_exact(st, code, cid, NULL, err)) != KZ_OK ||
        (rc = kz_rec_load(st, cid, &couple, err)) != KZ_OK)
        return rc;
    if ((rc = kz_rec_children(st, cid, &kids, &nkids, err)) != KZ_OK)
        goto out;
    if (nkids > 1)
        qsort(kids, nkids, sizeof(*kids), by_kind_date);
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
    if (kz_rec_find_kind(st, KZ_KIND_CONFIG, cfgid, NULL, NULL) == KZ_OK &&
        kz_rec_load(st, cfgid, &cfg, NULL) == KZ_OK) {
        json_t *set = json_object_get(cfg, "settings");
        if (json_object_get(set, "practice.name"))
            json_object_set(doc, "practice", json_object_get(set, "practice.name"));
        if (json_object_get(set, "therapist.name"))
            json_object_set(doc, "therapist", json_object_get(set, "therapist.name"));
    }
    for (i = 0; i < nkids; i++) {
        json_t *r = NULL;
        int other = for_partner == 1 ? KZ_HF_PARTNER2 : for_partner == 2 ? KZ_HF_PARTNER1 : 0;
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
        /* The other children are sessions, through the model (export_session). */
        if ((rc = kz_rec_load(st, kids[i].id, &r, err)) != KZ_OK)
            goto out;
        if ((rc = export_session(&r, sid, code, process, err)) != KZ_OK) {
            json_decref(r);
            goto out;
        }
        json_array_append_new(sessions, r);
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
    json_decref(omitted);
    json_decref(doc);
    json_decref(couple);
    json_decref(cfg);
    kz_wipe_free(kids, nkids * sizeof(*kids)); /* goal titles, themes */
    return rc;
}

static const char *
str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

static void
md_list(struct kz_buf *b, const char *label, const json_t *arr)
{
    size_t i;
    json_t *e;

    if (json_array_size(arr) == 0)
        return;
    kz_buf_printf(b, "- **%s:** ", label);
    json_array_foreach(arr, i, e) {
        if (json_is_string(e)) {
            kz_buf_printf(b, "%s%s", i ? ", " : "", json_string_value(e));
        } else if (json_object_get(e, "lang") != NULL) {
            kz_buf_printf(b, "%s%s%s%s%s", i ? ", " : "", str(e, "lang"),
                          *str(e, "fluency") ? " (" : "", str(e, "fluency"),
                          *str(e, "fluency") ? ")" : "");
        } else {
            kz_buf_printf(b, "%s%s", i ? "; " : "", str(e, "name"));
            if (json_is_integer(json_object_get(e, "birth_year")))
                kz_buf_printf(b, " (born %" JSON_INTEGER_FORMAT ")",
                              json_integer_value(json_object_get(e, "birth_year")));
        }
    }
    kz_buf_add(b, "\n");
}

static void
md_partner(struct kz_buf *b, const json_t *p, int k)
{
    json_t *local = json_object_get(p, "local");

    kz_buf_printf(b, "\n### Partner %d: %s", k, *str(p, "name") ? str(p, "name") : "(no name)");
    if (*str(p, "pronouns"))
        kz_buf_printf(b, " (%s)", str(p, "pronouns"));
    kz_buf_add(b, "\n\n");
    if (*str(p, "origin"))
        kz_buf_printf(b, "- **From:** %s%s\n", str(p, "origin"),
                      json_is_true(local)    ? ", living in their own home country"
                      : json_is_false(local) ? ", living abroad"
                                             : "");
    md_list(b, "Cultures", json_object_get(p, "cultures"));
    md_list(b, "Languages", json_object_get(p, "languages"));
}

static void
markdown(const json_t *doc, struct kz_buf *b)
{
    static const char *const cfi[][2] = {
        {"problem", "Cultural definition of the problem"},
        {"causes", "Perceived causes, context and support"},
        {"stressors", "Stressors and supports"},
        {"identity", "Role of cultural identity"},
        {"coping", "Coping and help seeking"},
        {"relationship", "Therapist-client relationship"},
    };
    const json_t *c = json_object_get(doc, "couple"), *f = json_object_get(c, "formulation");
    json_t *s, *e, *fp = json_object_get(doc, "for_partner");
    size_t i, k;

    kz_buf_printf(b, "# Couple record %s\n\n", str(c, "code"));
    kz_buf_printf(b, "Exported %.10s", str(doc, "exported"));
    if (*str(doc, "therapist"))
        kz_buf_printf(b, " by %s", str(doc, "therapist"));
    if (*str(doc, "practice"))
        kz_buf_printf(b, ", %s", str(doc, "practice"));
    if (json_is_integer(fp))
        kz_buf_printf(b, ". Copy for partner %" JSON_INTEGER_FORMAT
                         ": the other partner's individual sessions are not included.\n",
                      json_integer_value(fp));
    else
        kz_buf_add(b, ". Complete record.\n");
    kz_buf_add(b, "\n## Profile\n");
    md_partner(b, json_object_get(c, "partner1"), 1);
    md_partner(b, json_object_get(c, "partner2"), 2);
    kz_buf_add(b, "\n### The couple\n\n");
    kz_buf_printf(b, "- **Status:** %s, intake %s\n", str(c, "status"), str(c, "intake"));
    if (*str(c, "residence"))
        kz_buf_printf(b, "- **Living in:** %s\n", str(c, "residence"));
    md_list(b, "Languages at home", json_object_get(c, "home_languages"));
    md_list(b, "Languages with the children", json_object_get(c, "children_languages"));
    md_list(b, "Children", json_object_get(c, "children"));
    if (*str(c, "support"))
        kz_buf_printf(b, "- **Support network:** %s\n", str(c, "support"));
    if (*str(c, "referral"))
        kz_buf_printf(b, "- **Referral:** %s\n", str(c, "referral"));
    kz_buf_add(b, "\n## Cultural formulation\n");
    for (i = 0; i < sizeof(cfi) / sizeof(cfi[0]); i++) {
        if (*str(f, cfi[i][0]))
            kz_buf_printf(b, "\n### %s\n\n%s\n", cfi[i][1], str(f, cfi[i][0]));
    }
    kz_buf_add(b, "\n## Goals\n");
    if (json_array_size(json_object_get(doc, "goals")) == 0)
        kz_buf_add(b, "\nNone.\n");
    json_array_foreach(json_object_get(doc, "goals"), i, s) {
        kz_buf_printf(b, "\n### %s: %s\n\n", str(s, "id"), str(s, "title"));
        kz_buf_printf(b, "- **Status:** %s", str(s, "status"));
        if (*str(s, "target"))
            kz_buf_printf(b, ", target %s", str(s, "target"));
        kz_buf_add(b, "\n");
        if (*str(s, "description"))
            kz_buf_printf(b, "\n%s\n", str(s, "description"));
        json_array_foreach(json_object_get(s, "progress"), k, e) {
            kz_buf_printf(b, "%s- %s: %" JSON_INTEGER_FORMAT "/10%s%s\n", k == 0 ? "\n" : "",
                          str(e, "date"), json_integer_value(json_object_get(e, "score")),
                          *str(e, "note") ? " — " : "", str(e, "note"));
        }
    }
    kz_buf_add(b, "\n## Sessions\n");
    if (json_array_size(json_object_get(doc, "sessions")) == 0)
        kz_buf_add(b, "\nNone.\n");
    json_array_foreach(json_object_get(doc, "sessions"), i, s) {
        kz_buf_printf(b, "\n### Session %s: %s%s\n\n", str(s, "id"), str(s, "date"),
                      json_is_object(json_object_get(s, "void")) ? " (VOID)" : "");
        if (json_is_object(json_object_get(s, "void")))
            kz_buf_printf(b, "**VOID** since %s — reason: %s\n\n",
                          str(json_object_get(s, "void"), "time"),
                          str(json_object_get(s, "void"), "reason"));
        kz_buf_printf(b, "- %" JSON_INTEGER_FORMAT " minutes, %s, attended by %s%s\n",
                      json_integer_value(json_object_get(s, "minutes")), str(s, "modality"),
                      strcmp(str(s, "attended"), "both") == 0 ? "both partners"
                      : strcmp(str(s, "attended"), "partner1") == 0 ? "partner 1 alone"
                                                                     : "partner 2 alone",
                      json_is_string(json_object_get(s, "signed")) ? "; signed" : "");
        md_list(b, "Themes", json_object_get(s, "themes"));
        kz_buf_printf(b, "\n%s\n", str(s, "text"));
        if (*str(s, "interventions"))
            kz_buf_printf(b, "\n**Interventions:** %s\n", str(s, "interventions"));
        if (*str(s, "homework"))
            kz_buf_printf(b, "\n**Homework:** %s\n", str(s, "homework"));
        if (*str(s, "process_notes"))
            kz_buf_printf(b, "\n**Process notes:** %s\n", str(s, "process_notes"));
        json_array_foreach(json_object_get(s, "addenda"), k, e)
            kz_buf_printf(b, "\n#### Addendum %s\n\n%s\n", str(e, "date"), str(e, "text"));
    }
}

static int
write_out(struct kz_state *st, int fd, const char *text, size_t len,
          const struct kz_age_recipient *r, size_t nr, int armor, struct kz_err *err)
{
    struct kz_age_enc *enc = NULL;
    int rc;

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
    if ((rc = kz_age_enc_begin(&enc, r, nr, armor, kz_age_fd_write, &fd, err)) != KZ_OK)
        return rc;
    if ((rc = kz_age_enc_update(enc, text, len, err)) != KZ_OK) {
        kz_age_enc_abort(enc);
        return rc;
    }
    return kz_age_enc_final(enc, err);
}

static int
export_event(struct kz_state *st, const char *code, struct kz_err *err)
{
    int rc = kz_audit_first(st, "export", "export", code, "not exported", err);

    st->audited = rc == KZ_OK;
    return rc;
}

static int
cmd_export(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *format = "md", *outpath = NULL, *partner = NULL, *to[KZ_OPT_MAX];
    int nto = 0, process = 0, armor = 0, yes = 0, rc, npos, fp = 0, fd = -1, cleanup = -1;
    const struct kz_opt opts[] = {
        {"format", 0, 1, &format, NULL},          {"output", 'o', 1, &outpath, NULL},
        {"to", 0, KZ_OPT_REPEAT, to, &nto},        {"for-partner", 0, 1, &partner, NULL},
        {"include-process-notes", 0, 0, NULL, &process}, {"armor", 'a', 0, NULL, &armor},
        {"yes", 'y', 0, NULL, &yes},               {NULL, 0, 0, NULL, NULL},
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
    if ((rc = build(st, pos[0], fp, process, &doc, err)) != KZ_OK)
        goto out;
    if (strcmp(format, "json") == 0) {
        char *dumped = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (dumped == NULL)
            kz_die("out of memory");
        text = kz_xstrdup(dumped); /* one way to free it below, whatever the format */
        kz_json_free(dumped);
        len = strlen(text);
    } else {
        markdown(doc, &b);
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
            if (!kz_ui_confirm(q)) {
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
        struct stat sb;
        if (lstat(outpath, &sb) == 0) {
            rc = kz_fail(err, KZ_ERR, "%s already exists; refusing to overwrite it", outpath);
            goto out;
        }
        if ((fd = kz_cmd_tmpfile(outpath, tmp, sizeof(tmp), err)) < 0) {
            rc = err->code;
            goto out;
        }
        /* A fatal signal from here shreds it (a plain export is the record). */
        cleanup = kz_cleanup_add(tmp, -1);
    }
    /* The event is saved before a byte reaches the screen or the file gets its
     * name: an export the audit trail could not note does not happen. */
    if (fd < 0 && (rc = export_event(st, pos[0], err)) != KZ_OK)
        goto out;
    if ((rc = write_out(st, fd, text, len, r, nr, armor || (fd < 0 && nr > 0), err)) != KZ_OK)
        goto out;
    if (fd >= 0) {
        /* Never replaces a file, even one that appeared since the check above. */
        if ((rc = export_event(st, pos[0], err)) != KZ_OK ||
            (rc = kz_cmd_commit_file(fd, tmp, outpath, 1, err)) != KZ_OK)
            goto out;
        tmp[0] = '\0';
        kz_ui_done(&st->ui,
                   json_pack("{s:s,s:s,s:s,s:b}", "exported", pos[0], "file", shown, "format",
                             format, "encrypted", nr > 0),
                   "exported %s (%s, %s) to %s", pos[0],
                   strcmp(format, "md") == 0 ? "Markdown" : "JSON",
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

/* ---- import ---- */

struct sinkbuf {
    struct kz_buf b;
};

static int
sink_mem(void *ctx, const void *buf, size_t len)
{
    struct sinkbuf *s = ctx;

    if (s->b.len + len > IMPORT_MAX)
        return -1;
    kz_buf_addn(&s->b, buf, len);
    return 0;
}

static int
read_import(struct kz_state *st, const char *path, const char *identity, const char *passfile,
            const char *max_work, struct kz_buf *out, struct kz_err *err)
{
    struct kz_age_identity *ids = NULL;
    struct sinkbuf s = {{NULL, 0, 0}};
    struct kz_cmd_agein ai = {-1, NULL, 0, 0, 0, 1};
    size_t nids = 0, i = 0;
    char head[1100];
    ssize_t n;
    int fd, rc, status = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", path,
                       strerror(errno));
    n = read(fd, head, sizeof(head));
    lseek(fd, 0, SEEK_SET);
    /* Armor may follow blank lines (LF or CRLF), as age and backup verify
     * accept: up to 1 KiB of whitespace. */
    while (n > 0 && i < (size_t)n && i < 1024 &&
           (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if ((n >= 18 && memcmp(head, "age-encryption.org", 18) == 0) ||
        (n > 0 && (size_t)n - i >= 14 && memcmp(head + i, "-----BEGIN AGE", 14) == 0)) {
        ai.fd = fd;
        if ((rc = kz_cmd_age_needs(st, path, &ai, identity, passfile, &status, err)) != KZ_OK ||
            (rc = kz_cmd_identities(st, identity, passfile, max_work, &ids, &nids, err)) !=
                KZ_OK)
            goto out;
        rc = kz_age_decrypt(kz_cmd_agein_read, &ai, ids, nids, sink_mem, &s, &status, err);
        if (rc != KZ_OK) {
            rc = kz_cmd_age_limit(path, status, err);
            goto out;
        }
        *out = s.b;
        s.b.p = NULL;
    } else {
        char chunk[65536];
        while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
            if (out->len + (size_t)n > IMPORT_MAX) {
                rc = kz_fail(err, KZ_EUSAGE, "%s is larger than 64 MiB", path);
                goto out;
            }
            kz_buf_addn(out, chunk, (size_t)n);
        }
        sodium_memzero(chunk, sizeof(chunk));
        if (n < 0) {
            rc = kz_fail(err, KZ_ERR, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
    }
    rc = KZ_OK;
out:
    kz_buf_free(&s.b);
    kz_cmd_identities_free(ids, nids);
    kz_cmd_agein_free(&ai);
    close(fd);
    return rc;
}

/* Maps an exported short id ("s3") to the new one. */
static const char *
remap(json_t *map, const char *old)
{
    return old != NULL ? json_string_value(json_object_get(map, old)) : NULL;
}

/* 1 for a byte that starts a terminal control: C0 (but tab and newline), DEL,
 * and the UTF-8 lead of C1 (U+0080-U+009F, 0xC2 0x80-0x9F). */
static int
control_at(const unsigned char *s)
{
    return (*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f ||
           (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f);
}

/* A copy of s (len bytes) with terminal controls dropped (CR) or made U+FFFD;
 * NULL if s holds none. *outlen gets the copy's length. */
static char *
defang_text(const char *s, size_t len, size_t *outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out;
    size_t i, k = 0;

    for (i = 0; i < len && !control_at(u + i); i++)
        ;
    if (i == len)
        return NULL;
    out = kz_xmalloc(3 * len + 1);
    for (i = 0; i < len; i++) {
        if (!control_at(u + i)) {
            out[k++] = s[i];
            continue;
        }
        if (u[i] == 0xc2)
            i++; /* the C1 character's second byte */
        if (u[i] != '\r') {
            memcpy(out + k, "\xef\xbf\xbd", 3);
            k += 3;
        }
    }
    out[k] = '\0';
    *outlen = k;
    return out;
}

/* An export is someone else's file: its text must not drive the terminal when
 * kizuna shows it (ESC sequences rewrite the screen, set the title, or write
 * the clipboard). Drops CR and replaces the other controls, in every string
 * and key of v. */
static void
defang(json_t *v)
{
    const char *key;
    json_t *e, *renamed;
    size_t i, len = 0;
    char *clean;

    if (json_is_string(v)) {
        clean = defang_text(json_string_value(v), json_string_length(v), &len);
        if (clean != NULL) {
            json_string_setn(v, clean, len);
            sodium_memzero(clean, len); /* clients' words */
            free(clean);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
            defang(e);
    } else if (json_is_object(v)) {
        /* Keys are changed after the walk: an object must not change under it. */
        renamed = json_object();
        json_object_foreach(v, key, e) {
            defang(e);
            if ((clean = defang_text(key, strlen(key), &len)) != NULL) {
                json_object_set_new(renamed, key, json_string(clean));
                sodium_memzero(clean, len);
                free(clean);
            }
        }
        json_object_foreach(renamed, key, e) {
            json_t *val = json_incref(json_object_get(v, key));
            json_object_del(v, key);
            json_object_set_new(v, json_string_value(e), val);
        }
        json_decref(renamed);
    }
}

static int
bad(struct kz_err *err, const char *what)
{
    return kz_fail(err, KZ_EUSAGE, "not a kizuna export: %s", what);
}

/* An exported session e as sealed under the short id num of the couple cid
 * (hex: its record id): read strictly through the model (a field it does not
 * know is named, exit 2), its goal links mapped to the new short ids (links
 * to goals not imported dropped). *out: the body; hi: its head. */
static int
import_session(const json_t *e, json_t *map, const unsigned char *cid, const char *hex,
               uint32_t num, struct kz_head_info *hi, json_t **out, struct kz_err *err)
{
    struct kz_session s;
    const char **links;
    size_t k, n = 0;
    int rc;

    *out = NULL;
    if ((rc = kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, err)) != KZ_OK)
        return rc;
    links = kz_xcalloc(s.ngoals + 1, sizeof(*links));
    for (k = 0; k < s.ngoals; k++) {
        const char *g = remap(map, s.goals[k]);
        if (g != NULL)
            links[n++] = g;
    }
    kz_session_set_list(&s.goals, &s.ngoals, links, n);
    free(links);
    s.num = num;
    kz_session_set(&s.couple, hex);
    kz_session_head(&s, cid, hi);
    *out = kz_session_encode(&s, KZ_SESSION_SEALED);
    kz_session_free(&s);
    return KZ_OK;
}

static int
cmd_import(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *identity = NULL, *newcode = NULL, *passfile = NULL, *max_work = NULL;
    const struct kz_opt opts[] = {
        {"identity", 'i', 1, &identity, NULL},
        {"as", 0, 1, &newcode, NULL},
        {"backup-passphrase-file", 0, 1, &passfile, NULL},
        {"max-work-factor", 0, 1, &max_work, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES], id[KZ_RECORD_ID_BYTES];
    struct kz_buf in = {NULL, 0, 0};
    json_t *doc = NULL, *couple, *e, *map = json_object();
    const char *code;
    char *pos[1], hex[2 * KZ_RECORD_ID_BYTES + 1], text[16], codebuf[KZ_CODE_MAX + 1];
    uint32_t snum, gnum;
    struct kz_head_info hi;
    size_t i, total, done = 0;
    json_error_t jerr;
    int rc, npos, pass;

    if ((rc = kz_cmd_parse(st, "import", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        goto out;
    if (npos != 1) {
        rc = kz_fail(err, KZ_EUSAGE, "usage: import FILE [--identity FILE] [--as NEWCODE]");
        goto out;
    }
    if ((rc = read_import(st, pos[0], identity, passfile, max_work, &in, err)) != KZ_OK)
        goto out;
    doc = json_loadb(kz_buf_str(&in), in.len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "%s is not JSON (line %d: %s)", pos[0], jerr.line,
                     jerr.text);
        goto out;
    }
    defang(doc);
    couple = json_object_get(doc, "couple");
    if (strcmp(str(doc, "format"), EXPORT_FORMAT) != 0 || !json_is_object(couple) ||
        !json_is_array(json_object_get(doc, "sessions")) ||
        !json_is_array(json_object_get(doc, "goals"))) {
        rc = bad(err, "format, couple, sessions or goals missing");
        goto out;
    }
    code = newcode != NULL ? newcode : str(couple, "code");
    if (kz_code_check(code) != 0) {
        rc = kz_fail(err, KZ_EUSAGE, "'%s' is not a couple code", code);
        goto out;
    }
    /* A copy: setting "code" below frees the string str() pointed into. */
    snprintf(codebuf, sizeof(codebuf), "%s", code);
    code = codebuf;
    if ((rc = kz_rec_find_couple(st, code, cid, NULL, err)) == KZ_OK) {
        rc = kz_fail(err, KZ_EUSAGE, "couple %s already exists; import it under another code "
                                     "with --as NEWCODE",
                     code);
        goto out;
    }
    if (rc != KZ_ENOTFOUND)
        goto out;
    kz_err_clear(err);
    /* The couple: a fresh record, its profile as exported. */
    kz_vault_new_record_id(cid);
    kz_hex(cid, KZ_RECORD_ID_BYTES, hex);
    json_object_set_new(couple, "kind", json_string("couple"));
    json_object_set_new(couple, "v", json_integer(1));
    json_object_set_new(couple, "code", json_string(code));
    {
        /* Reuse couple add's validation: every field must read back. */
        json_t *probe = kz_couple_new(code, "");
        int st_ok = kz_status_parse(str(couple, "status"));
        json_decref(probe);
        if (st_ok < 0 || st_ok > KZ_ST_CLOSED || !json_is_object(json_object_get(couple, "partner1")) ||
            !json_is_object(json_object_get(couple, "partner2"))) {
            rc = bad(err, "the couple's status or partners are malformed");
            goto out;
        }
    }
    memset(&hi, 0, sizeof(hi));
    hi.kind = KZ_KIND_COUPLE;
    hi.status = (uint8_t)kz_status_parse(str(couple, "status"));
    hi.date = kz_date_parse(str(couple, "intake"));
    snprintf(hi.code, sizeof(hi.code), "%s", code);
    if ((rc = kz_rec_save(st, cid, &hi, couple, err)) != KZ_OK)
        goto out;
    /* New short ids for goals and sessions, mapped from the exported ones. */
    snum = kz_rec_next_num(st, KZ_KIND_SESSION);
    gnum = kz_rec_next_num(st, KZ_KIND_GOAL);
    total = json_array_size(json_object_get(doc, "sessions")) +
            json_array_size(json_object_get(doc, "goals"));
    json_array_foreach(json_object_get(doc, "goals"), i, e) {
        kz_rec_num_text(KZ_KIND_GOAL, gnum + (uint32_t)i, text, sizeof(text));
        json_object_set_new(map, str(e, "id"), json_string(text));
    }
    json_array_foreach(json_object_get(doc, "sessions"), i, e) {
        kz_rec_num_text(KZ_KIND_SESSION, snum + (uint32_t)i, text, sizeof(text));
        json_object_set_new(map, str(e, "id"), json_string(text));
    }
    for (pass = 0; pass < 2; pass++) {
        json_t *arr = json_object_get(doc, pass == 0 ? "goals" : "sessions");
        json_array_foreach(arr, i, e) {
            json_t *body = NULL;
            if (pass == 0) {
                /* A goal goes through the model: read strictly, sealed. */
                if ((rc = kz_goal_cmd_import(st, e, i, gnum + (uint32_t)i, cid, map, err)) !=
                    KZ_OK)
                    goto out;
                kz_ui_progress(&st->ui, "importing", ++done, total);
                continue;
            }
            if (!json_is_object(e) || kz_date_parse(str(e, "date")) == 0) {
                rc = bad(err, "a session without a date");
                goto out;
            }
            /* A session goes through the model too (import_session). */
            if ((rc = import_session(e, map, cid, hex, snum + (uint32_t)i, &hi, &body, err)) !=
                KZ_OK)
                goto out;
            kz_vault_new_record_id(id);
            rc = kz_rec_save(st, id, &hi, body, err);
            json_decref(body);
            if (rc != KZ_OK)
                goto out;
            kz_ui_progress(&st->ui, "importing", ++done, total);
        }
    }
    if ((json_array_size(json_object_get(doc, "sessions")) > 0 &&
         (rc = kz_rec_claim_num(st, KZ_KIND_SESSION,
                                snum + (uint32_t)json_array_size(json_object_get(doc, "sessions")) - 1,
                                err)) != KZ_OK) ||
        (json_array_size(json_object_get(doc, "goals")) > 0 &&
         (rc = kz_rec_claim_num(st, KZ_KIND_GOAL,
                                gnum + (uint32_t)json_array_size(json_object_get(doc, "goals")) - 1,
                                err)) != KZ_OK))
        goto out;
    snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", code);
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:I,s:I}", "imported", code, "sessions",
                         (json_int_t)json_array_size(json_object_get(doc, "sessions")), "goals",
                         (json_int_t)json_array_size(json_object_get(doc, "goals"))),
               "imported couple %s with %zu session%s and %zu goal%s", code,
               json_array_size(json_object_get(doc, "sessions")),
               json_array_size(json_object_get(doc, "sessions")) == 1 ? "" : "s",
               json_array_size(json_object_get(doc, "goals")),
               json_array_size(json_object_get(doc, "goals")) == 1 ? "" : "s");
out:
    kz_buf_free(&in);
    json_decref(doc);
    json_decref(map);
    return rc;
}

static const char *const export_opts[] = {"--format", "--output", "--to", "--for-partner",
                                          "--include-process-notes", "--armor", "--yes", NULL};
static const char *const import_opts[] = {"--identity", "--as", "--backup-passphrase-file",
                                          "--max-work-factor", NULL};

const struct kz_cmd_entry kz_cmd_export = {
    "export",
    "CODE [--format md|json] [-o FILE] [--to RECIPIENT ...] [--for-partner 1|2] "
    "[--include-process-notes]",
    "one couple's record as Markdown or JSON, plain (0600) or age-encrypted",
    "--for-partner N leaves out the other partner's individual sessions and goals (their\n"
    "disclosures); process notes stay out unless --include-process-notes. With --to the\n"
    "output is an age file only those recipients open (-a/--armor for text). A plain export\n"
    "asks first on a terminal; scripts say --yes only for the terminal case, or when FILE's\n"
    "folder is a git work tree or synced (Dropbox, OneDrive, Nextcloud, iCloud, Syncthing:\n"
    "found by their marker files; else exit 2). -o FILE never replaces a file, even one\n"
    "that appears while the export is written; the reply names its absolute path.",
    CMD_NEEDS_KEY, export_opts, cmd_export};
const struct kz_cmd_entry kz_cmd_import = {
    "import", "FILE [--identity FILE] [--as NEWCODE] [--max-work-factor N]",
    "read a couple exported as JSON (plain or age) in one transaction",
    "A couple whose CODE exists is refused unless --as NEWCODE. Sessions and goals get new\n"
    "ids; the links between them follow. A session with a field kizuna never writes (or\n"
    "of the wrong type) is refused, naming the field (exit 2). An age file (armor may\n"
    "follow blank lines) opens\n"
    "with --identity or, if it has one, a passphrase;\n"
    "an scrypt work factor above 20 is refused (exit 1) unless --max-work-factor N allows it.\n"
    "A goal with an unknown field, or a field goal add would refuse, is named (exit 2).",
    CMD_NEEDS_KEY | CMD_WRITES, import_opts, cmd_import};
