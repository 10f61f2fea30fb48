/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple show: the whole profile, partners and cultural formulation. */
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/wipe.h"
#include "couple_cmd.h"
#include "flags.h"

/* A JSON string's text, "" when it is missing or not a string (an imported
 * record may hold anything): never a NULL for %s. */
static const char *
text_of(const json_t *v)
{
    const char *s = json_string_value(v);

    return s != NULL ? s : "";
}

static void
add_partner(struct kz_buf *b, const json_t *p, int k)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *pron = json_string_value(json_object_get(p, "pronouns"));
    const char *origin = json_string_value(json_object_get(p, "origin"));
    json_t *local = json_object_get(p, "local"), *e;
    size_t i;

    kz_buf_printf(b, "Partner %d   %s%s%s%s\n", k, name && *name ? name : "(no name)",
                  pron && *pron ? " (" : "", pron && *pron ? pron : "", pron && *pron ? ")" : "");
    if (origin && *origin)
        kz_buf_printf(b, "  from       %s%s\n", origin,
                      json_is_true(local)    ? " — lives in their own home country (local)"
                      : json_is_false(local) ? " — lives abroad (the foreign partner)"
                                             : "");
    if (json_array_size(json_object_get(p, "cultures")) > 0) {
        kz_buf_add(b, "  cultures   ");
        json_array_foreach(json_object_get(p, "cultures"), i, e)
            kz_buf_printf(b, "%s%s", i ? ", " : "", text_of(e));
        kz_buf_add(b, "\n");
    }
    if (json_array_size(json_object_get(p, "languages")) > 0) {
        kz_buf_add(b, "  languages  ");
        json_array_foreach(json_object_get(p, "languages"), i, e) {
            const char *fl = json_string_value(json_object_get(e, "fluency"));
            kz_buf_printf(b, "%s%s%s%s%s", i ? ", " : "",
                          text_of(json_object_get(e, "lang")), fl && *fl ? " (" : "",
                          fl && *fl ? fl : "", fl && *fl ? ")" : "");
        }
        kz_buf_add(b, "\n");
    }
}

struct show_ctx {
    struct kz_buf *b;
    int style; /* how dates are shown (KZ_DATE_*) */
};

static void
add_field(void *ctx, const char *field, const char *value)
{
    struct show_ctx *sc = ctx;
    char shown[11];

    if (strncmp(field, "partner", 7) == 0 || *value == '\0' || strcmp(field, "status") == 0)
        return;
    if (strncmp(field, "formulation.", 12) == 0)
        return;
    if (strcmp(field, "intake") == 0)
        value = kz_cmd_date_shown(sc->style, value, shown);
    kz_buf_printf(sc->b, "%-19s %s\n", field, value);
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const char *const cfi[][2] = {
        {"problem", "Cultural definition of the problem"},
        {"causes", "Perceived causes, context and support"},
        {"stressors", "Stressors and supports"},
        {"identity", "Role of cultural identity"},
        {"coping", "Coping and help seeking"},
        {"relationship", "Therapist-client relationship"},
    };
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_buf b = {NULL, 0, 0};
    struct kz_couple_tally n;
    struct kz_flag *flags = NULL;
    size_t nflags = 0;
    json_t *c = NULL, *f;
    char *pos[1], last[11], intake[11], canon[KZ_CODE_MAX + 1];
    int rc, npos, style;
    size_t i;

    if ((rc = kz_cmd_parse(st, "couple show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple show CODE");
    if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK)
        goto out;
    if ((rc = kz_couple_count(st, id, &n, err)) != KZ_OK)
        goto out;
    if ((rc = kz_couple_flags(st, id, &flags, &nflags, err)) != KZ_OK)
        goto out;
    kz_date_format(n.last, last);
    if (st->ui.json) {
        /* The shape couple list gives, and more (kizuna(1), JSON output). */
        char line[512];
        kz_couple_partners_line(c, line, sizeof(line));
        json_object_del(c, "kind");
        json_object_del(c, "v");
        json_object_set_new(c, "code", json_string(pos[0]));
        json_object_set_new(c, "partners", json_string(line));
        json_object_set_new(c, "sessions", json_integer(n.sessions));
        json_object_set_new(c, "active_goals", json_integer(n.active_goals));
        json_object_set_new(c, "last_session", json_string(last));
        json_object_set_new(c, "flags", kz_flags_json(st, pos[0], c, flags, nflags));
        kz_ui_show(&st->ui, c, NULL);
        c = NULL;
        goto out;
    }
    style = kz_cmd_date_style(st);
    kz_date_format_style(n.last, style, last);
    kz_buf_printf(&b, "Couple %s — %s, intake %s\n\n", pos[0],
                  json_string_value(json_object_get(c, "status")),
                  kz_cmd_date_shown(style, json_string_value(json_object_get(c, "intake")),
                                    intake));
    kz_retention_lines(st, c, n.last, style, &b); /* closed, hold (issue #16) */
    add_partner(&b, json_object_get(c, "partner1"), 1);
    add_partner(&b, json_object_get(c, "partner2"), 2);
    kz_buf_add(&b, "\n");
    {
        struct show_ctx sc = {&b, style};
        kz_couple_fields(c, add_field, &sc);
    }
    f = json_object_get(c, "formulation");
    for (i = 0; i < sizeof(cfi) / sizeof(cfi[0]); i++) {
        const char *t = json_string_value(json_object_get(f, cfi[i][0]));
        if (t != NULL && *t != '\0')
            kz_buf_printf(&b, "\n%s\n  %s\n", cfi[i][1], t);
    }
    kz_buf_printf(&b, "\n%d session%s (last %s), %d active goal%s\n", n.sessions,
                  n.sessions == 1 ? "" : "s", *last ? last : "none", n.active_goals,
                  n.active_goals == 1 ? "" : "s");
    if (nflags > 0) {
        kz_buf_add(&b, "\nFlags\n");
        kz_flags_lines(st, &b, "  ", c, flags, nflags);
    }
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_wipe_free(flags, nflags * sizeof(*flags));
    kz_buf_free(&b);
    json_decref(c);
    return rc;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_couple_show = {
    "couple show", "CODE", "the whole profile, partners and cultural formulation", NULL,
    CMD_NEEDS_KEY, no_opts, cmd_show};
