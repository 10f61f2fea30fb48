/* SPDX-License-Identifier: GPL-3.0-or-later */
/* session show: one note, as text or JSON. */
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/wipe.h"
#include "session.h"

static const char *
partner_name(struct kz_state *st, const unsigned char *cid, int which, char *buf, size_t size)
{
    json_t *c = NULL;
    char key[9];
    const char *n;

    snprintf(buf, size, "partner %d", which);
    if (kz_rec_load(st, cid, &c, NULL) != KZ_OK)
        return buf;
    snprintf(key, sizeof(key), "partner%d", which);
    n = json_string_value(json_object_get(json_object_get(c, key), "name"));
    if (n != NULL && *n != '\0')
        snprintf(buf, size, "partner %d (%s)", which, n);
    json_decref(c);
    return buf;
}

/* "2026-03-02T10:15:00Z" as "2026-03-02 10:15 UTC" into buf. */
static void
time_text(const char *t, char *buf, size_t size)
{
    if (t != NULL && strlen(t) == 20 && t[10] == 'T' && t[19] == 'Z')
        snprintf(buf, size, "%.10s %.5s UTC", t, t + 11);
    else
        snprintf(buf, size, "%s", t != NULL ? t : "?");
}

/* The shape session list gives, and more (kizuna(1), JSON output): ids and
 * couple codes as typed, attended in one vocabulary, signed a boolean with the
 * time beside it; no storage fields. */
static json_t *
show_json(const struct kz_session *s, const struct kz_head_info *hi, int alone)
{
    json_t *doc = kz_session_encode(s, KZ_SESSION_EXPORTED);
    char *first = kz_note_first_line(s->text);

    json_object_set_new(doc, "signed_at",
                        s->signed_at != NULL ? json_string(s->signed_at) : json_null());
    json_object_set_new(doc, "signed", json_boolean((hi->flags & KZ_HF_SIGNED) != 0));
    json_object_set_new(doc, "attended", json_string(kz_session_who(hi->flags)));
    json_object_set_new(doc, "individual", alone ? json_integer(alone) : json_null());
    if (!s->voided)
        json_object_set_new(doc, "void", json_null());
    json_object_set_new(doc, "first_line", json_string(first));
    kz_wipe_free(first, strlen(first) + 1);
    return doc;
}

static void
show_list(struct kz_buf *b, const char *label, char *const *list, size_t n)
{
    size_t i;

    if (n == 0)
        return;
    kz_buf_add(b, label);
    for (i = 0; i < n; i++)
        kz_buf_printf(b, "%s%s", i ? ", " : "", list[i]);
    kz_buf_add(b, "\n");
}

/* The note for people: heading, void and signature, who, then the texts. */
static void
show_text(struct kz_state *st, const struct kz_session *s, const struct kz_head_info *hi,
          const char *sid, const char *code, int alone, struct kz_buf *b)
{
    int style = kz_cmd_date_style(st);
    char shown[11], when[32], pname[160];
    size_t i;

    kz_buf_printf(b, "%sSession %s — %s, %s, %" JSON_INTEGER_FORMAT " min, %s%s\n",
                  s->voided ? "VOID: " : "", sid, code, kz_cmd_date_shown(style, s->date, shown),
                  s->minutes, s->modality, s->signed_at != NULL ? ", signed" : "");
    if (s->voided) {
        time_text(s->void_time, when, sizeof(when));
        kz_buf_printf(b, "VOID       voided %s: %s\n", when, s->void_reason);
    }
    if (s->signed_at != NULL) {
        time_text(s->signed_at, when, sizeof(when));
        kz_buf_printf(b, "signed     %s\n", when);
    }
    if (alone)
        kz_buf_printf(b,
                      "Individual session with %s: this is their disclosure, left out of the "
                      "other partner's export.\n",
                      partner_name(st, hi->parent, alone, pname, sizeof(pname)));
    if (*s->language)
        kz_buf_printf(b, "language   %s%s\n", s->language,
                      s->interpreter ? " (with interpreter)" : "");
    else if (s->interpreter)
        kz_buf_add(b, "interpreter present\n");
    kz_buf_printf(b, "template   %s\n", s->tmpl);
    show_list(b, "themes     ", s->themes, s->nthemes);
    show_list(b, "goals      ", s->goals, s->ngoals);
    kz_buf_printf(b, "\n%s\n", s->text);
    if (*s->interventions)
        kz_buf_printf(b, "\nInterventions\n  %s\n", s->interventions);
    if (*s->homework)
        kz_buf_printf(b, "\nHomework\n  %s\n", s->homework);
    if (*s->process_notes)
        kz_buf_printf(b, "\nProcess notes (private, not part of the record)\n  %s\n",
                      s->process_notes);
    for (i = 0; i < s->naddenda; i++)
        kz_buf_printf(b, "\nAddendum %s\n  %s\n",
                      kz_cmd_date_shown(style, s->addenda[i].date, shown), s->addenda[i].text);
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf b = {NULL, 0, 0};
    struct kz_session s;
    char *pos[1], sid[16], code[KZ_CODE_MAX + 1];
    int rc, npos, alone;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "session show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: session show ID");
    if ((rc = kz_sess_load(st, pos[0], id, &hi, sid, &s, err)) != KZ_OK)
        goto out;
    kz_rec_parent_code(st, hi.parent, code);
    kz_session_set(&s.couple, code);
    alone = (hi.flags & KZ_HF_PARTNER1) ? 1 : (hi.flags & KZ_HF_PARTNER2) ? 2 : 0;
    if (st->ui.json) {
        kz_ui_show(&st->ui, show_json(&s, &hi, alone), NULL);
        goto out;
    }
    show_text(st, &s, &hi, sid, code, alone, &b);
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_buf_free(&b);
    kz_session_free(&s);
    return rc;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_session_show = {
    "session show", "ID", "one session: note, process notes, addenda, when it was signed",
    "A voided note is shown with VOID, its reason and when it was voided.", CMD_NEEDS_KEY,
    no_opts, cmd_show};
