/* SPDX-License-Identifier: GPL-3.0-or-later */
/* report: a couple's scores and sessions as a picture to print or keep in the
 * couple's file (SVG, or an HTML page with the SVG inline), plain or through
 * age. What it shows comes from the heads index alone (the picture itself is
 * drawn in report_svg.c); partners are "Partner 1" and "Partner 2" unless
 * --names asks for their first names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/buf.h"
#include "kizuna/cleanup.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"
#include "couple_cmd.h"
#include "report.h"
#include "scores.h"

static int
ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);

    return n > k && strcasecmp(s + n - k, tail) == 0;
}

/* *html from FILE's name: .svg or .html/.htm, each optionally followed by
 * .age (only with --to). */
static int
format_of(const char *file, int encrypted, int *html, struct kz_err *err)
{
    char name[4200];
    size_t n;

    snprintf(name, sizeof(name), "%s", file);
    n = strlen(name);
    if (ends_with(name, ".age")) {
        if (!encrypted)
            return kz_fail(err, KZ_EUSAGE, "report: %s is named for an age file: give --to "
                                           "age1... (or name it .svg or .html)", file);
        name[n - 4] = '\0';
    }
    *html = ends_with(name, ".html") || ends_with(name, ".htm");
    if (!*html && !ends_with(name, ".svg"))
        return kz_fail(err, KZ_EUSAGE, "report: -o FILE.svg or FILE.html (a picture, or a "
                                       "page with it)");
    return KZ_OK;
}

/* The first word of partner p's name in the couple record: the most a report
 * names anyone (--names). */
static void
first_name(json_t *couple, const char *p, char *out, size_t size)
{
    const char *s = json_string_value(json_object_get(json_object_get(couple, p), "name"));
    size_t n;

    if (s == NULL)
        s = "";
    s += strspn(s, " \t");
    n = strcspn(s, " \t");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), s);
}

/* The couple's sessions for the strip: dates and who came, voided ones left
 * out, by date. */
static int
sessions(struct kz_state *st, const unsigned char *cid, struct kz_report_session **out,
         size_t *n, struct kz_err *err)
{
    struct kz_rec_child *kids = NULL;
    size_t nk = 0, i;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = kz_rec_children(st, cid, &kids, &nk, err)) != KZ_OK)
        return rc;
    *out = kz_xcalloc(nk > 0 ? nk : 1, sizeof(**out));
    for (i = 0; i < nk; i++) {
        const struct kz_head_info *hi = &kids[i].hi;
        if (hi->kind != KZ_KIND_SESSION || (hi->flags & KZ_HF_VOID))
            continue;
        (*out)[*n].date = hi->date;
        (*out)[*n].who = (hi->flags & KZ_HF_PARTNER1) ? 1 : (hi->flags & KZ_HF_PARTNER2) ? 2 : 0;
        (*n)++;
    }
    kz_wipe_free(kids, nk * sizeof(*kids));
    /* Insertion sort: index order is nearly by date already. */
    for (i = 1; i < *n; i++) {
        struct kz_report_session t = (*out)[i];
        size_t j = i;
        for (; j > 0 && (*out)[j - 1].date > t.date; j--)
            (*out)[j] = (*out)[j - 1];
        (*out)[j] = t;
    }
    return KZ_OK;
}

/* The picture of the couple CODE into b; *code_out the code as stored. */
static int
draw(struct kz_state *st, const char *code, const char *measure, int names, int html,
     struct kz_buf *b, char *canon, struct kz_err *err)
{
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_series s;
    struct kz_report r;
    struct kz_report_session *ss = NULL;
    char n1[64] = "Partner 1", n2[64] = "Partner 2";
    json_t *couple = NULL;
    int rc;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_rec_find_couple_exact(st, code, cid, &hi, err)) != KZ_OK)
        return rc;
    snprintf(canon, KZ_CODE_MAX + 1, "%s", hi.code);
    if ((rc = kz_scores_series(st, cid, measure, &s, err)) != KZ_OK)
        return rc;
    if ((rc = sessions(st, cid, &ss, &r.nsess, err)) != KZ_OK)
        goto out;
    if (names) {
        if ((rc = kz_couple_load(st, cid, &couple, err)) != KZ_OK)
            goto out;
        first_name(couple, "partner1", n1, sizeof(n1));
        first_name(couple, "partner2", n2, sizeof(n2));
    }
    r.code = canon;
    r.label[0] = n1[0] != '\0' ? n1 : "Partner 1";
    r.label[1] = n2[0] != '\0' ? n2 : "Partner 2";
    r.s = &s;
    r.sess = ss;
    r.made = kz_date_today();
    r.date_style = kz_config_date_style(st);
    if (html)
        kz_report_html(&r, b);
    else
        kz_report_svg(&r, b);
out:
    json_decref(couple);
    free(ss);
    kz_series_free(&s);
    return rc;
}

/* A plain report lands in a synced folder only when the therapist says so
 * (asked on a terminal, --yes in a script), as a plain export does; an
 * existing FILE is replaced only so too (--force), as backup create does. */
static int
may_write(struct kz_state *st, const char *file, const char *shown, int plain, int yes,
          int force, int *replace, struct kz_err *err)
{
    char where[4300], q[5200];
    const char *service = NULL;
    int asking = st->interactive || kz_ui_have_terminal(), ok = 0, rc = KZ_OK;
    struct stat sb;

    *replace = 0;
    if (plain && kz_cmd_sync_folder(file, where, sizeof(where), &service)) {
        size_t ql;
        snprintf(q, sizeof(q), "%s is a %s %s: a plain report there leaves this computer.",
                 where, service, strcmp(service, "git") == 0 ? "work tree" : "folder");
        if (!yes && !asking)
            return kz_fail(err, KZ_EUSAGE, "refusing without --yes: %s (Or encrypt it: --to "
                                           "age1...)", q);
        ql = strlen(q);
        snprintf(q + ql, sizeof(q) - ql, " Write it anyway?");
        if (!yes && ((rc = kz_cmd_ask(st, q, NULL, &ok, err)) != KZ_OK || !ok))
            return rc != KZ_OK ? rc : kz_fail(err, KZ_EUSAGE, "not confirmed; nothing written");
    }
    if (lstat(file, &sb) != 0)
        return KZ_OK;
    if (S_ISDIR(sb.st_mode))
        return kz_fail(err, KZ_EUSAGE, "%s is a folder; give a file name in it", shown);
    if (!force && !asking)
        return kz_fail(err, KZ_EUSAGE, "%s already exists; give --force to replace it", shown);
    snprintf(q, sizeof(q), "%s already exists (%lld bytes). Replace it with this report?", shown,
             (long long)sb.st_size);
    if (!force && ((rc = kz_cmd_ask(st, q, NULL, &ok, err)) != KZ_OK || !ok))
        return rc != KZ_OK ? rc
                           : kz_fail(err, KZ_EUSAGE, "not confirmed; %s left as it was", shown);
    *replace = 1;
    return KZ_OK;
}

/* The report's bytes at a temporary name beside file, the event, the name. */
static int
write_file(struct kz_state *st, const char *file, const char *code, const struct kz_buf *b,
           const struct kz_age_recipient *r, size_t nr, int armor, int replace,
           struct kz_err *err)
{
    char tmp[4200];
    int fd, rc, cleanup;

    if ((fd = kz_cmd_tmpfile(file, tmp, sizeof(tmp), err)) < 0)
        return err->code;
    cleanup = kz_cleanup_add(tmp, -1);
    if (nr > 0)
        rc = kz_cmd_age_write(&fd, b->p, b->len, r, nr, armor, err);
    else
        rc = kz_age_fd_write(&fd, b->p, b->len) == 0
                 ? KZ_OK
                 : kz_fail(err, KZ_ERR, "cannot write %s: %s", tmp, strerror(errno));
    /* An event the audit trail could not note: no report. */
    if (rc == KZ_OK && (rc = kz_audit_first(st, "export", "report", code, "not written", err)) ==
                           KZ_OK)
        st->audited = 1;
    if (rc == KZ_OK && (rc = kz_cmd_commit_file(fd, tmp, file, !replace, err)) == KZ_OK)
        tmp[0] = '\0';
    if (tmp[0] != '\0')
        kz_shred_path(tmp);
    kz_cleanup_remove(cleanup);
    close(fd);
    return rc;
}

static int
cmd_report(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *outpath = NULL, *measure = NULL, *to[KZ_OPT_MAX];
    int nto = 0, names = 0, armor = 0, yes = 0, force = 0, html = 0, replace = 0, rc, npos;
    const struct kz_opt opts[] = {
        {"output", 'o', 1, &outpath, NULL}, {"measure", 'm', 1, &measure, NULL},
        {"to", 0, KZ_OPT_REPEAT, to, &nto}, {"names", 0, 0, NULL, &names},
        {"armor", 'a', 0, NULL, &armor},    {"yes", 'y', 0, NULL, &yes},
        {"force", 'f', 0, NULL, &force},    {NULL, 0, 0, NULL, NULL},
    };
    struct kz_age_recipient *r = NULL;
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], shown[4300], code[KZ_CODE_MAX + 1];
    size_t nr = 0;

    if ((rc = kz_cmd_parse(st, "report", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1 || outpath == NULL)
        return kz_fail(err, KZ_EUSAGE, "usage: report CODE -o FILE.svg|FILE.html [--measure "
                                       "NAME] [--to age1...] [--names]");
    if ((rc = format_of(outpath, nto > 0, &html, err)) != KZ_OK)
        return rc;
    if (nto > 0 && (rc = kz_cmd_parse_recipients(to, nto, &r, &nr, err)) != KZ_OK)
        return rc;
    kz_cmd_abspath(outpath, shown, sizeof(shown));
    if ((rc = draw(st, pos[0], measure, names, html, &b, code, err)) != KZ_OK ||
        (rc = may_write(st, outpath, shown, nr == 0, yes, force, &replace, err)) != KZ_OK ||
        (rc = write_file(st, outpath, pos[0], &b, r, nr, armor, replace, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:s,s:s,s:b,s:b}", "report", code, "file", shown, "format",
                         html ? "html" : "svg", "encrypted", nr > 0, "names", names),
               "report on %s (%s%s, %s) written to %s", code, html ? "HTML" : "SVG",
               names ? ", first names" : "",
               nr > 0 ? "age-encrypted" : "plain: keep it safe", shown);
out:
    kz_buf_free(&b);
    free(r);
    return rc;
}

static const char *const report_opts[] = {"--output", "--measure", "--to", "--names",
                                          "--armor", "--yes", "--force", NULL};

const struct kz_cmd_entry kz_cmd_report = {
    "report",
    "CODE -o FILE.svg|FILE.html [--measure NAME] [--to RECIPIENT ...] [--names]",
    "a couple's scores and sessions as a picture to print (SVG or HTML), plain or in age",
    "Both partners' totals on one measure (ORS when the couple has ORS scores) across the\n"
    "sessions: the cut-off a labelled line, the band of no reliable change around each\n"
    "partner's first score shaded, dates and weeks on the axis; under it a strip of the\n"
    "sessions (both partners, or one alone) with gaps longer than a month. Colours, line\n"
    "patterns and marker shapes differ, so it prints in black and white. Self-contained:\n"
    "no script, no link, no font or image from elsewhere. It names the couple's code and\n"
    "\"Partner 1\"/\"Partner 2\"; --names puts the partners' first names instead; nothing\n"
    "else from the profile, no theme, no note. With --to the file is an age file only those\n"
    "recipients open (-a/--armor for text; name it FILE.svg.age if you like). A plain\n"
    "report in a git work tree or synced folder asks first (--yes in a script); an\n"
    "existing FILE is replaced only when you say so (asked, or -f/--force). The reply\n"
    "names the file's absolute path.",
    CMD_NEEDS_KEY, report_opts, cmd_report};
