/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the session commands share: the options of add and edit, and a note
 * loaded and saved through the model (src/model/session.c). The commands are
 * session_add.c, session_list.c, session_show.c, session_change.c (edit,
 * sign, amend) and session_end.c (void, delete). */
#include <stdlib.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "session.h"

json_t *
kz_sess_split(const char *s)
{
    json_t *arr = json_array();
    const char *p = s;

    while (*p != '\0') {
        const char *q = strchr(p, ',');
        size_t n = q != NULL ? (size_t)(q - p) : strlen(p);
        while (n > 0 && (*p == ' '))
            p++, n--;
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n > 0)
            json_array_append_new(arr, json_stringn(p, n));
        if (q == NULL)
            break;
        p = q + 1;
    }
    return arr;
}

/* The names of a JSON list of strings, for kz_session_set_list (borrowed). */
static void
set_list(char ***list, size_t *n, json_t *arr)
{
    size_t i, count = json_array_size(arr);
    const char **names = kz_xcalloc(count > 0 ? count : 1, sizeof(*names));
    json_t *e;

    json_array_foreach(arr, i, e)
        names[i] = json_string_value(e);
    kz_session_set_list(list, n, names, count);
    free(names);
}

/* --theme a,b: each a theme the vault knows (folded to lower case). */
static int
apply_themes(struct kz_state *st, struct kz_session *s, const char *themes, struct kz_err *err)
{
    json_t *arr = kz_sess_split(themes), *t;
    size_t i;

    json_array_foreach(arr, i, t) {
        char folded[KZ_THEME_BUF];
        json_string_set(t, kz_theme_fold(json_string_value(t), folded, sizeof(folded)));
        if (!kz_themes_known(st, json_string_value(t))) {
            if (kz_theme_check(json_string_value(t)) != 0)
                kz_fail(err, KZ_EUSAGE, "'%s' is not a theme ('themes' lists them)",
                        json_string_value(t));
            else
                kz_fail(err, KZ_EUSAGE, "'%s' is not a theme ('themes' lists them; "
                                        "'themes add %s' adds it)",
                        json_string_value(t), json_string_value(t));
            json_decref(arr);
            return KZ_EUSAGE;
        }
    }
    set_list(&s->themes, &s->nthemes, arr);
    json_decref(arr);
    return KZ_OK;
}

/* --goal g1,2: each a goal of the same couple, stored as "g1". */
static int
apply_goals(struct kz_state *st, struct kz_session *s, const unsigned char *cid,
            const char *goals, struct kz_err *err)
{
    json_t *arr = kz_sess_split(goals), *g, *ids = json_array();
    size_t i;
    int rc = KZ_OK;

    json_array_foreach(arr, i, g) {
        unsigned char gid[KZ_RECORD_ID_BYTES];
        struct kz_head_info hi;
        char text[16];
        rc = kz_rec_find_num(st, KZ_KIND_GOAL, json_string_value(g), gid, &hi, err);
        if (rc == KZ_OK && memcmp(hi.parent, cid, KZ_RECORD_ID_BYTES) != 0)
            rc = kz_fail(err, KZ_EUSAGE, "goal %s belongs to another couple",
                         json_string_value(g));
        if (rc != KZ_OK)
            break;
        kz_rec_num_text(KZ_KIND_GOAL, hi.num, text, sizeof(text));
        json_array_append_new(ids, json_string(text));
    }
    if (rc == KZ_OK)
        set_list(&s->goals, &s->ngoals, ids);
    json_decref(arr);
    json_decref(ids);
    return rc;
}

int
kz_sess_apply(struct kz_state *st, struct kz_session *s, const unsigned char *cid,
              const struct kz_sess_fields *f, struct kz_err *err)
{
    int rc;

    if (f->date != NULL) {
        char buf[11];
        uint32_t d;
        if ((rc = kz_cmd_date_read(st, "--date", f->date, &d, err)) != KZ_OK ||
            (rc = kz_cmd_date_check(st, "--date", d, 1, f->yes, err)) != KZ_OK)
            return rc;
        kz_date_format(d, buf);
        kz_session_set(&s->date, buf);
    }
    if (f->minutes != NULL && (rc = kz_session_set_minutes(s, f->minutes, err)) != KZ_OK)
        return rc;
    if (f->tmpl != NULL) {
        char *t = NULL;
        rc = kz_template_text(st, f->tmpl, &t, err);
        if (rc == KZ_ENOTFOUND)
            return kz_fail(err, KZ_EUSAGE,
                           "--template: free, soap, dap, birp, psychodynamic or one of your own "
                           "('template list' shows them)");
        if (rc != KZ_OK)
            return rc;
        kz_vault_plain_free(t, strlen(t));
        kz_session_set(&s->tmpl, f->tmpl);
    }
    if ((f->themes != NULL && (rc = apply_themes(st, s, f->themes, err)) != KZ_OK) ||
        (f->goals != NULL && (rc = apply_goals(st, s, cid, f->goals, err)) != KZ_OK) ||
        (f->modality != NULL && (rc = kz_session_set_modality(s, f->modality, err)) != KZ_OK) ||
        (f->attended != NULL && (rc = kz_session_set_attended(s, f->attended, err)) != KZ_OK))
        return rc;
    /* Text that is not UTF-8 leaves these fields as they were, as it always did. */
    if (f->language != NULL && kz_session_text_ok(f->language, strlen(f->language)))
        kz_session_set(&s->language, f->language);
    if ((rc = kz_session_set_interpreter(s, f->interpreter, f->no_interpreter, err)) != KZ_OK)
        return rc;
    if (f->interventions != NULL && kz_session_text_ok(f->interventions, strlen(f->interventions)))
        kz_session_set(&s->interventions, f->interventions);
    if (f->homework != NULL && kz_session_text_ok(f->homework, strlen(f->homework)))
        kz_session_set(&s->homework, f->homework);
    if (f->process != NULL && kz_session_text_ok(f->process, strlen(f->process)))
        (void)kz_session_set_process_notes(s, f->process, strlen(f->process), err);
    return KZ_OK;
}

int
kz_sess_has_fields(const struct kz_sess_fields *f)
{
    return f->date || f->minutes || f->tmpl || f->themes || f->goals || f->text || f->text_file ||
           f->modality || f->attended || f->language || f->interventions || f->homework ||
           f->process || f->interpreter || f->no_interpreter;
}

int
kz_sess_parse(const unsigned char *id, uint32_t num, const char *body, size_t len,
              struct kz_session *s, struct kz_err *err)
{
    json_t *doc = NULL;
    char sid[16], what[32];
    int rc;

    if (kz_session_read_sealed(body, len, s))
        return KZ_OK;
    if ((rc = kz_rec_doc(id, body, len, &doc, err)) != KZ_OK)
        return rc;
    kz_rec_num_text(KZ_KIND_SESSION, num, sid, sizeof(sid));
    snprintf(what, sizeof(what), "session %s", sid);
    rc = kz_session_decode(doc, KZ_SESSION_SEALED, what, s, err);
    json_decref(doc);
    return rc;
}

int
kz_sess_load(struct kz_state *st, const char *arg, unsigned char *id, struct kz_head_info *hi,
             char *sid, struct kz_session *s, struct kz_err *err)
{
    char *body = NULL;
    size_t len = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    sid[0] = '\0';
    if ((rc = kz_rec_find_num(st, KZ_KIND_SESSION, arg, id, hi, err)) != KZ_OK ||
        (rc = kz_vault_record_get(st->vault, id, &body, &len, err)) != KZ_OK)
        return rc;
    kz_rec_num_text(KZ_KIND_SESSION, hi->num, sid, 16);
    rc = kz_sess_parse(id, hi->num, body, len, s, err);
    kz_vault_plain_free(body, len);
    return rc;
}

int
kz_sess_save(struct kz_state *st, const unsigned char *id, struct kz_session *s,
             const unsigned char *cid, struct kz_err *err)
{
    struct kz_head_info hi;
    char now[21];
    json_t *doc;
    int rc;

    kz_time_now(now);
    kz_session_set(&s->updated, now);
    kz_session_head(s, cid, &hi);
    doc = kz_session_encode(s, KZ_SESSION_SEALED);
    rc = kz_rec_save(st, id, &hi, doc, err);
    json_decref(doc);
    return rc;
}
