/* SPDX-License-Identifier: GPL-3.0-or-later */
/* session edit, sign and amend: a note changes until it is signed, then
 * gains addenda. */
#include <string.h>

#include "session.h"

/* edit's note or process notes from --text, --text-file or the editor. */
static int
edit_text(struct kz_state *st, struct kz_session *s, const struct kz_sess_fields *f,
          int edit_process, const char *sid, struct kz_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    if ((rc = kz_cmd_text(st, edit_process ? s->process_notes : s->text, f->text, f->text_file,
                          &text, &len, err)) != KZ_OK)
        return rc;
    /* The note itself is never emptied by an edit (process notes may be). */
    if (!edit_process && kz_cmd_text_empty(text, len, NULL))
        rc = kz_fail(err, KZ_ERR, "nothing written; session %s left as it was (a note is "
                                  "not emptied)",
                     sid);
    else if (edit_process)
        rc = kz_session_set_process_notes(s, text, len, err);
    else
        rc = kz_session_set_text(s, text, len, err);
    kz_vault_plain_free(text, len);
    return rc;
}

static int
cmd_edit(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    struct kz_sess_fields f;
    int edit_process = 0;
    const struct kz_opt opts[] = {KZ_SESS_FIELD_OPTS(f),
                                  {"edit-process-notes", 0, 0, NULL, &edit_process},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_session s;
    char *pos[1], sid[16];
    json_t *before = NULL, *after = NULL;
    int rc, npos;

    memset(&f, 0, sizeof(f));
    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "session edit", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session edit ID [options]");
    if (f.text != NULL && f.text_file != NULL)
        return kz_fail(err, KZ_EUSAGE, "the text once: --text, --text-file or after --");
    if ((rc = kz_sess_load(st, pos[0], id, &hi, sid, &s, err)) != KZ_OK ||
        (rc = kz_session_check_change(&s, sid, err)) != KZ_OK)
        goto out;
    before = kz_session_encode(&s, KZ_SESSION_SEALED);
    if ((rc = kz_sess_apply(st, &s, hi.parent, &f, err)) != KZ_OK)
        goto out;
    if ((f.text != NULL || f.text_file != NULL || !kz_sess_has_fields(&f)) &&
        (rc = edit_text(st, &s, &f, edit_process, sid, err)) != KZ_OK)
        goto out;
    after = kz_session_encode(&s, KZ_SESSION_SEALED);
    if (json_equal(before, after)) {
        st->audited = 1; /* nothing changed: no new version, no event */
        kz_ui_done(&st->ui, json_pack("{s:s,s:b}", "session", sid, "changed", 0),
                   "no change");
        goto out;
    }
    if ((rc = kz_sess_save(st, id, &s, hi.parent, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "updated", sid), "updated session %s", sid);
out:
    json_decref(before);
    json_decref(after);
    kz_session_free(&s);
    return rc;
}

static int
cmd_sign(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_session s;
    char *pos[1], sid[16], now[21], question[128];
    int rc, npos, yes = 0;
    const struct kz_opt opts[] = {{"yes", 'y', 0, NULL, &yes}, {NULL, 0, 0, NULL, NULL}};

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "session sign", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session sign ID [--yes]");
    if ((rc = kz_sess_load(st, pos[0], id, &hi, sid, &s, err)) != KZ_OK ||
        (rc = kz_session_check_sign(&s, sid, err)) != KZ_OK)
        goto out;
    /* A person at the terminal is asked; a script (-f, piped) signs as it always did. */
    snprintf(question, sizeof(question),
             "Sign %s? A signed note can't be edited, only amended.", sid);
    if (!yes && st->script_name == NULL && st->script_in == NULL &&
        (st->interactive || kz_ui_have_terminal())) {
        int ok;
        if ((rc = kz_cmd_ask(st, question, NULL, &ok, err)) != KZ_OK)
            goto out;
        if (!ok) {
            rc = kz_fail(err, KZ_EUSAGE, "not signed; %s is unchanged", sid);
            goto out;
        }
    }
    kz_time_now(now);
    kz_session_sign(&s, now);
    if ((rc = kz_sess_save(st, id, &s, hi.parent, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "signed", sid, "at", now),
               "signed session %s: it can no longer change; 'session amend %s' adds addenda",
               sid, sid);
out:
    kz_session_free(&s);
    return rc;
}

static int
cmd_amend(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *text_opt = NULL, *file = NULL;
    const struct kz_opt opts[] = {{"text", 0, 1, &text_opt, NULL},
                                  {"text-file", 0, 1, &file, NULL},
                                  {"", 0, KZ_OPT_REST, &text_opt, NULL},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_session s;
    char *pos[1], *text = NULL, sid[16], today[11], now[21];
    size_t len = 0;
    int rc, npos;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "session amend", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: session amend ID [--text TEXT | --text-file F | -- TEXT]");
    if (text_opt != NULL && file != NULL)
        return kz_fail(err, KZ_EUSAGE, "the text once: --text, --text-file or after --");
    if ((rc = kz_sess_load(st, pos[0], id, &hi, sid, &s, err)) != KZ_OK ||
        (rc = kz_session_check_amend(&s, sid, err)) != KZ_OK ||
        (rc = kz_cmd_text(st, "", text_opt, file, &text, &len, err)) != KZ_OK)
        goto out;
    if (kz_cmd_text_empty(text, len, NULL)) {
        rc = kz_fail(err, KZ_ERR, "nothing written; no amendment added");
        goto out;
    }
    kz_date_format(kz_date_today(), today);
    kz_time_now(now);
    if ((rc = kz_session_amend(&s, today, now, text, len, err)) != KZ_OK ||
        (rc = kz_sess_save(st, id, &s, hi.parent, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "amended", sid, "date", today),
               "added an addendum to session %s", sid);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    kz_session_free(&s);
    return rc;
}

static const char *const edit_opts[] = {
    "--yes",      "--date",     "--minutes",  "--template",      "--theme",         "--goal",
    "--text",     "--text-file", "--modality",     "--attended",      "--language",
    "--interpreter", "--no-interpreter", "--interventions", "--homework", "--process-notes",
    "--edit-process-notes", NULL};
static const char *const sign_opts[] = {"--yes", NULL};
static const char *const amend_opts[] = {"--text", "--text-file", NULL};

const struct kz_cmd_entry kz_cmd_session_edit = {
    "session edit", "ID [options of session add] [--edit-process-notes] [-- TEXT...]",
    "change an unsigned session (the note in $EDITOR when no option is given)",
    "A note is not emptied (exit 1); an edit that changes nothing says 'no change'\n"
    "and writes nothing.",
    CMD_NEEDS_KEY | CMD_WRITES, edit_opts, cmd_edit};
const struct kz_cmd_entry kz_cmd_session_sign = {
    "session sign", "ID [--yes]", "sign a note: it becomes immutable",
    "On a terminal asks first (\"Sign s3? ... [y/N]\"); --yes does not ask. Scripts\n"
    "(-f, commands piped in) sign without asking.",
    CMD_NEEDS_KEY | CMD_WRITES, sign_opts, cmd_sign};
const struct kz_cmd_entry kz_cmd_session_amend = {
    "session amend", "ID [--text TEXT | --text-file FILE | -- TEXT...]",
    "add a dated addendum to a signed note",
    "An empty addendum is refused: 'nothing written; no amendment added' (exit 1).",
    CMD_NEEDS_KEY | CMD_WRITES, amend_opts, cmd_amend};
