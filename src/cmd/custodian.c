/* SPDX-License-Identifier: GPL-3.0-or-later */
/* custodian setup, status, revoke and acknowledge: emergency access (a
 * professional will) through K of N Shamir shares of a third key slot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "kizuna/shamir.h"
#include "cmds.h"

#define CLEAR_SCREEN "\033[H\033[2J\033[3J"

struct opening {
    char *t, *how;
    size_t tsize, howsize;
    int pending;
};

static int
find_opening(void *ctx, unsigned long long seq, const char *json, size_t len)
{
    struct opening *o = ctx;
    json_t *e = json_loadb(json, len, 0, NULL);
    const char *ev = json_string_value(json_object_get(e, "event"));
    const char *cmd = json_string_value(json_object_get(e, "cmd"));
    const char *how = json_string_value(json_object_get(e, "how"));
    const char *t = json_string_value(json_object_get(e, "t"));

    (void)seq;
    if (ev != NULL && !json_is_true(json_object_get(e, "keyless"))) {
        if (strcmp(ev, "unlock") == 0 && how != NULL && strncmp(how, "custodian shares", 16) == 0) {
            snprintf(o->t, o->tsize, "%s", t != NULL ? t : "?");
            snprintf(o->how, o->howsize, "%s", how);
            o->pending = 1;
        } else if (cmd != NULL && strcmp(cmd, "custodian acknowledge") == 0) {
            o->pending = 0;
        }
    }
    json_decref(e);
    return 0;
}

int
kz_cmd_custodian_opening(struct kz_state *st, char *t, size_t tsize, char *how, size_t howsize,
                         int *pending, struct kz_err *err)
{
    struct opening o = {t, how, tsize, howsize, 0};

    t[0] = how[0] = '\0';
    *pending = 0;
    if (kz_vault_audit_walk(st->vault, find_opening, &o, err) != KZ_OK)
        return err->code;
    *pending = o.pending;
    return KZ_OK;
}

static int
parse_count(const char *opt, const char *s, unsigned *out, struct kz_err *err)
{
    char *end;
    long v;

    errno = 0;
    v = s != NULL ? strtol(s, &end, 10) : -1;
    if (s == NULL || errno != 0 || *end != '\0' || v < 2 || v > KZ_SHAMIR_MAX)
        return kz_fail(err, KZ_EUSAGE, "custodian setup: %s takes a number from 2 to %d", opt,
                       KZ_SHAMIR_MAX);
    *out = (unsigned)v;
    return KZ_OK;
}

/* Where the sheets go: the folder exists, is not synced elsewhere, and holds
 * none of the sheet files yet. */
static int
check_out(const char *dir, unsigned n, struct kz_err *err)
{
    char path[4096], where[4096];
    const char *service = NULL;
    struct stat sb;
    unsigned i;

    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return kz_fail(err, KZ_ENOTFOUND, "custodian setup: %s is not a folder", dir);
    snprintf(path, sizeof(path), "%s/custodian-share-1-of-%u.txt", dir, n);
    if (kz_cmd_sync_folder(path, where, sizeof(where), &service))
        return kz_fail(err, KZ_EUSAGE,
                       "custodian setup: %s is a %s folder: share sheets are key material and "
                       "must not leave this computer that way (choose another --out)",
                       where, service);
    for (i = 1; i <= n; i++) {
        snprintf(path, sizeof(path), "%s/custodian-share-%u-of-%u.txt", dir, i, n);
        if (lstat(path, &sb) == 0)
            return kz_fail(err, KZ_ERR, "custodian setup: %s exists; refusing to overwrite it",
                           path);
    }
    return KZ_OK;
}

static int
write_sheet(const char *dir, const struct kz_share *s, const char *sheet, struct kz_err *err)
{
    char path[4096], tmp[4200];
    size_t len = strlen(sheet);
    int fd, rc;

    snprintf(path, sizeof(path), "%s/custodian-share-%u-of-%u.txt", dir, s->x, s->n);
    if ((fd = kz_cmd_tmpfile(path, tmp, sizeof(tmp), err)) < 0)
        return err->code;
    rc = write(fd, sheet, len) == (ssize_t)len
             ? kz_cmd_commit_file(fd, tmp, path, 1, err)
             : kz_fail(err, KZ_ERR, "cannot write %s: %s", path, strerror(errno));
    if (rc != KZ_OK)
        unlink(tmp);
    close(fd);
    return rc;
}

/* One sheet at a time on the terminal: shown, Enter, cleared. */
static int
show_sheet(struct kz_state *st, const struct kz_share *s, const char *sheet, struct kz_err *err)
{
    /* A sheet is key material: not left on the screen past the idle time. */
    int idle = kz_state_idle_seconds(st), a;
    char q[128];

    snprintf(q, sizeof(q), "Sheet %u of %u: printed or copied? Enter clears it", s->x, s->n);
    for (;;) {
        kz_ui_raw(&st->ui, CLEAR_SCREEN, strlen(CLEAR_SCREEN));
        kz_ui_say(&st->ui, "%s\n", sheet);
        if ((a = kz_ui_confirm_yes_within(q, idle)) > 0)
            break;
        if (a < 0)
            return kz_fail(err, KZ_ERR,
                           "sheet %u was left on the screen for %d s: cleared; the shares are "
                           "incomplete: run 'custodian setup --force' again",
                           s->x, idle);
        if (kz_ui_interrupted())
            return kz_fail(err, KZ_ERR,
                           "not every sheet was shown: the shares are incomplete; run "
                           "'custodian setup --force' again");
    }
    kz_ui_raw(&st->ui, CLEAR_SCREEN, strlen(CLEAR_SCREEN));
    return KZ_OK;
}

/* Share s's one-line text as a QR code into qr (emptied first): its text,
 * or NULL when it does not fit one. */
static const char *
share_qr(const struct kz_share *s, struct kz_buf *qr)
{
    char *text = kz_secure_alloc(KZ_SHARE_TEXT_SIZE);
    int w = -1;

    kz_buf_clear(qr);
    if (kz_share_encode(s, text, KZ_SHARE_TEXT_SIZE) == 0)
        w = kz_ui_qr_text(text, qr, 1);
    kz_secure_free(text);
    return w > 0 ? kz_buf_str(qr) : NULL;
}

static int
give_sheets(struct kz_state *st, const char *out, struct kz_share *s, unsigned n,
            long long created, struct kz_err *err)
{
    char *sheet = kz_secure_alloc(KZ_SHARE_SHEET_MAX);
    struct kz_buf qr = {NULL, 0, 0};
    unsigned i;
    int rc = KZ_OK;

    for (i = 0; i < n && rc == KZ_OK; i++) {
        if (kz_cmd_share_sheet(&s[i], created, share_qr(&s[i], &qr), sheet,
                               KZ_SHARE_SHEET_MAX) != 0)
            rc = kz_fail(err, KZ_ERR, "internal error: share sheet too long");
        else if (out != NULL)
            rc = write_sheet(out, &s[i], sheet, err);
        else
            rc = show_sheet(st, &s[i], sheet, err);
    }
    kz_buf_clear(&qr); /* wipes the code: it is the share */
    kz_buf_free(&qr);
    kz_secure_free(sheet);
    return rc;
}

static int
replace_ok(struct kz_state *st, int force, struct kz_err *err)
{
    struct kz_custodian_info ci;
    char q[256], date[16];
    int rc;

    if ((rc = kz_vault_custodian_info(st->vault, &ci, err)) != KZ_OK || !ci.present || force)
        return rc;
    kz_cmd_share_date(ci.created, date, sizeof(date));
    snprintf(q, sizeof(q), "A custodian setup exists (any %u of %u shares, made %s). Replace "
                           "it? Its shares then open nothing",
             ci.k, ci.n, date);
    if (st->interactive || kz_ui_have_terminal()) {
        int ok;
        if ((rc = kz_cmd_ask(st, q, NULL, &ok, err)) != KZ_OK || ok)
            return rc;
    }
    return kz_fail(err, KZ_EUSAGE, "a custodian setup exists (any %u of %u shares, made %s): "
                                   "--force replaces it",
                   ci.k, ci.n, date);
}

static int
cmd_setup(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *shares_s = NULL, *k_s = NULL, *out = NULL;
    int force = 0, rc, npos;
    const struct kz_opt opts[] = {{"shares", 0, 1, &shares_s, NULL},
                                  {"threshold", 0, 1, &k_s, NULL},
                                  {"out", 'o', 1, &out, NULL},
                                  {"force", 0, 0, NULL, &force},
                                  {NULL, 0, 0, NULL, NULL}};
    struct kz_custodian_info ci;
    struct kz_share *s = NULL;
    unsigned n = 0, k = 0;
    char *pos[1], setup[2 * KZ_SHARE_SETUP_ID + 1];

    if ((rc = kz_cmd_parse(st, "custodian setup", argc, argv, opts, pos, 0, &npos, err)) !=
            KZ_OK ||
        (rc = parse_count("--shares", shares_s, &n, err)) != KZ_OK ||
        (rc = parse_count("--threshold", k_s, &k, err)) != KZ_OK)
        return rc;
    if (k > n)
        return kz_fail(err, KZ_EUSAGE, "custodian setup: --threshold %u is more than --shares %u",
                       k, n);
    if (out == NULL && (st->ui.json || !(st->interactive || kz_ui_have_terminal())))
        return kz_fail(err, KZ_EUSAGE, "custodian setup: without a terminal, give --out DIR "
                                       "(one sheet file per share)");
    if ((out != NULL && (rc = check_out(out, n, err)) != KZ_OK) ||
        (rc = replace_ok(st, force, err)) != KZ_OK)
        return rc;
    s = kz_secure_alloc(n * sizeof(*s));
    if ((rc = kz_vault_custodian_setup(st->vault, k, n, s, err)) != KZ_OK ||
        (rc = kz_vault_custodian_info(st->vault, &ci, err)) != KZ_OK)
        goto out;
    kz_hex(ci.setup_id, sizeof(ci.setup_id), setup);
    snprintf(st->audit_ref, sizeof(st->audit_ref), "setup %s, any %u of %u", setup, k, n);
    if ((rc = give_sheets(st, out, s, n, ci.created, err)) != KZ_OK)
        goto out;
    if (out != NULL)
        kz_ui_note(&st->ui, "the sheets are key material: print them, hand them over in sealed "
                            "envelopes, then shred the files (shred -u %s/custodian-share-*)",
                   out);
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:i,s:i,s:s?}", "setup_id", setup, "threshold", k, "shares", n,
                         "out", out),
               "custodian setup %s: %u shares, any %u open the vault%s%s", setup, n, k,
               out != NULL ? "; sheets in " : "", out != NULL ? out : "");
out:
    kz_secure_free(s);
    return rc;
}

static int
cmd_status(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    struct kz_custodian_info ci;
    char *pos[1], setup[2 * KZ_SHARE_SETUP_ID + 1] = "", date[16] = "", t[32], how[96];
    int rc, npos, pending;
    json_t *doc;

    if ((rc = kz_cmd_parse(st, "custodian status", argc, argv, NULL, pos, 0, &npos, err)) !=
            KZ_OK ||
        (rc = kz_vault_custodian_info(st->vault, &ci, err)) != KZ_OK ||
        (rc = kz_cmd_custodian_opening(st, t, sizeof(t), how, sizeof(how), &pending, err)) !=
            KZ_OK)
        return rc;
    if (ci.present) {
        kz_hex(ci.setup_id, sizeof(ci.setup_id), setup);
        kz_cmd_share_date(ci.created, date, sizeof(date));
    }
    doc = json_pack("{s:b}", "setup", ci.present);
    if (ci.present)
        json_object_update_new(doc, json_pack("{s:s,s:i,s:i,s:s}", "setup_id", setup,
                                              "threshold", ci.k, "shares", ci.n, "created",
                                              date));
    json_object_set_new(doc, "opened", *t != '\0' ? json_string(t) : json_null());
    if (*t != '\0')
        json_object_set_new(doc, "opened_how", json_string(how));
    json_object_set_new(doc, "acknowledged", json_boolean(!pending));
    if (st->ui.json) {
        kz_ui_object(&st->ui, doc, NULL);
        return KZ_OK;
    }
    json_decref(doc);
    if (ci.present)
        kz_ui_say(&st->ui, "custodian setup %s: %u shares, any %u open the vault (made %s)\n",
                  setup, ci.n, ci.k, date);
    else
        kz_ui_say(&st->ui, "no custodian setup ('custodian setup --shares N --threshold K')\n");
    if (*t != '\0')
        kz_ui_say(&st->ui, "last opened with %s at %s: %s\n", how, t,
                  pending ? "not acknowledged ('custodian acknowledge')" : "acknowledged");
    return KZ_OK;
}

static int
cmd_revoke(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    int rc, npos, yes = 0;
    const struct kz_opt opts[] = {{"yes", 0, 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};
    struct kz_custodian_info ci;
    char *pos[1];

    if ((rc = kz_cmd_parse(st, "custodian revoke", argc, argv, opts, pos, 0, &npos, err)) !=
            KZ_OK ||
        (rc = kz_vault_custodian_info(st->vault, &ci, err)) != KZ_OK)
        return rc;
    if (!ci.present)
        return kz_fail(err, KZ_ENOTFOUND, "there is no custodian setup to revoke");
    if ((rc = kz_cmd_confirm(st, yes,
                             "Revoke the custodian setup? Its shares then open nothing; a new "
                             "master key re-seals every record and a new recovery key is shown",
                             err)) != KZ_OK)
        return rc;
    return kz_cmd_rekey_and_say(st, "custodian revoke", NULL, 0, 0,
                                "The custodian's shares no longer open this vault, and nothing\n"
                                "written from now on opens with the master key they unwrapped.\n"
                                "The old recovery key no longer opens it either.",
                                err);
}

static int
cmd_acknowledge(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1], t[32], how[96];
    int rc, npos, pending;

    if ((rc = kz_cmd_parse(st, "custodian acknowledge", argc, argv, NULL, pos, 0, &npos, err)) !=
            KZ_OK ||
        (rc = kz_cmd_custodian_opening(st, t, sizeof(t), how, sizeof(how), &pending, err)) !=
            KZ_OK)
        return rc;
    if (!pending) {
        kz_ui_done(&st->ui, json_pack("{s:b}", "acknowledged", 0),
                   "no opening by custodian shares waits to be acknowledged");
        return KZ_OK;
    }
    kz_ui_done(&st->ui, json_pack("{s:b,s:s}", "acknowledged", 1, "opened", t),
               "acknowledged: the opening with %s at %s", how, t);
    return KZ_OK;
}

static const char *const setup_opts[] = {"--shares", "--threshold", "--out", "--force", NULL};
static const char *const no_opts[] = {NULL};
static const char *const revoke_opts[] = {"--yes", NULL};

const struct kz_cmd_entry kz_cmd_custodian_setup = {
    "custodian setup", "--shares N --threshold K [--out DIR] [--force]",
    "emergency access: split a custodian key into N shares, any K open the vault",
    "A professional will: a third key slot whose key is split into N Shamir shares\n"
    "(2 <= K <= N <= 10); each share is a printable sheet (vault id, share number, K and\n"
    "N, the share in groups with a check character each, what to do with it). On a\n"
    "terminal the sheets are shown one at a time (Enter clears each); --out DIR writes\n"
    "custodian-share-X-of-N.txt files (0600; not in a synced folder) to print and shred.\n"
    "Fewer than K shares reveal nothing. A new setup replaces the old one (asked, or\n"
    "--force): the old shares then open nothing. rekey and 'custodian revoke' end it.",
    CMD_NEEDS_KEY, setup_opts, cmd_setup};
const struct kz_cmd_entry kz_cmd_custodian_status = {
    "custodian status", "", "the custodian setup (K of N, made) and the last opening by shares",
    "Also with --json: setup, setup_id, threshold, shares, created, opened, opened_how,\n"
    "acknowledged.",
    CMD_NEEDS_KEY, no_opts, cmd_status};
const struct kz_cmd_entry kz_cmd_custodian_revoke = {
    "custodian revoke", "[--yes]", "end the custodian setup: a new master key, the shares void",
    "A new master key as 'rekey' makes (the passphrase asked again, a new recovery key\n"
    "shown once) and the custodian slot removed, so that the old shares open nothing\n"
    "written from now on, even with an old copy of the vault.",
    CMD_NEEDS_KEY, revoke_opts, cmd_revoke};
const struct kz_cmd_entry kz_cmd_custodian_acknowledge = {
    "custodian acknowledge", "", "note that you have seen an opening by custodian shares",
    "After the vault was opened with custodian shares, 'doctor' warns until this is run\n"
    "(an audit event).",
    CMD_NEEDS_KEY, no_opts, cmd_acknowledge};
