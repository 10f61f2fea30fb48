/* SPDX-License-Identifier: GPL-3.0-or-later */
/* session add: a new note. */
#include <string.h>

#include "session.h"

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    struct kz_sess_fields f;
    const struct kz_opt opts[] = {KZ_SESS_FIELD_OPTS(f), {NULL, 0, 0, NULL, NULL}};
    unsigned char cid[KZ_RECORD_ID_BYTES], id[KZ_RECORD_ID_BYTES];
    struct kz_head_info chi;
    struct kz_session s;
    char *pos[1], *text = NULL, *skel = NULL, today[11], now[21], sid[16];
    char hex[2 * KZ_RECORD_ID_BYTES + 1];
    size_t len = 0;
    uint32_t num;
    int rc, npos;

    memset(&f, 0, sizeof(f));
    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "session add", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session add CODE [--date D] [--text TEXT] ...");
    if (f.text != NULL && f.text_file != NULL)
        return kz_fail(err, KZ_EUSAGE, "the text once: --text, --text-file or after --");
    if ((rc = kz_rec_find_couple(st, pos[0], cid, &chi, err)) != KZ_OK)
        return rc;
    pos[0] = chi.code; /* as stored, whatever case was typed */
    kz_date_format(kz_date_today(), today);
    kz_time_now(now);
    num = kz_rec_next_num(st, KZ_KIND_SESSION);
    kz_hex(cid, KZ_RECORD_ID_BYTES, hex);
    kz_session_init(&s, num, hex, today, now);
    if ((rc = kz_sess_apply(st, &s, cid, &f, err)) != KZ_OK)
        goto out;
    if ((rc = kz_template_text(st, s.tmpl, &skel, err)) != KZ_OK ||
        (rc = kz_cmd_text(st, skel != NULL ? skel : "", f.text, f.text_file, &text, &len, err)) !=
        KZ_OK)
        goto out;
    /* An emptied editor file, an unchanged template, no input: nothing is saved,
     * no short id is taken, no event recorded (the transaction rolls back). */
    if (kz_cmd_text_empty(text, len, skel)) {
        rc = kz_fail(err, KZ_ERR, "nothing written; no note added");
        goto out;
    }
    if ((rc = kz_session_set_text(&s, text, len, err)) != KZ_OK)
        goto out;
    kz_vault_new_record_id(id);
    if ((rc = kz_sess_save(st, id, &s, cid, err)) != KZ_OK ||
        (rc = kz_rec_claim_num(st, KZ_KIND_SESSION, num, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_SESSION, num, sid, sizeof(sid));
    snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", sid);
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "added", sid, "couple", pos[0]),
               "added session %s for %s", sid, pos[0]);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    if (skel != NULL)
        kz_vault_plain_free(skel, strlen(skel));
    kz_session_free(&s);
    return rc;
}

static const char *const add_opts[] = {
    "--yes",      "--date",     "--minutes",  "--template",      "--theme",         "--goal",
    "--text",     "--text-file", "--modality",     "--attended",      "--language",
    "--interpreter", "--no-interpreter", "--interventions", "--homework", "--process-notes",
    NULL};

const struct kz_cmd_entry kz_cmd_session_add = {
    "session add",
    "CODE [--date D] [--minutes N] [--template T] [--theme T,...] [--goal ID,...] "
    "[--text TEXT | --text-file FILE | -- TEXT...]",
    "write a session note ($EDITOR on a terminal when no text is given)",
    "Everything after a lone '--' is the note, as typed, no quoting needed:\n"
    "  session add C014 --theme holidays -- Jonas' mother visited\n"
    "Several lines: leave the text out (the editor), or --text-file - (in the shell,\n"
    "end with Ctrl-D). A note with nothing written is refused (exit 1), nothing saved.\n"
    "Dates: 2026-03-01, 1.3.2026, today, yesterday, -3d, +1d, -2w ('help dates'). A date\n"
    "more than a day ahead or before 1950 asks first; scripts say --yes.\n"
    "Templates: free, soap, dap, birp, psychodynamic and your own ('template list').\n"
    "Also --modality in-person|video|phone, --attended both|partner1|partner2 (or 1, 2; an\n"
    "individual session is that partner's disclosure), --language L, --interpreter,\n"
    "--interventions TEXT,\n"
    "--homework TEXT, --process-notes TEXT (private working notes, kept apart).\n"
    "In a script without --text, the lines that follow are the note, up to a lone '.'.\n"
    "From a system shell, --text (and text after --) lands in its history and in\n"
    "/proc/PID/cmdline (any user can read it): prefer --text-file - (standard\n"
    "input), the editor, or the kizuna shell.",
    CMD_NEEDS_KEY | CMD_WRITES, add_opts, cmd_add};
