/* SPDX-License-Identifier: GPL-3.0-or-later */
/* export's Markdown: the export document as a readable record. */
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/model_score.h"
#include "export_cmd.h"

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

/* Long: the document in reading order, one heading after another. */
/* The scores as one table: session, date, partner, measure, subscales, total. */
static void
md_scores(struct kz_buf *b, const json_t *doc)
{
    const json_t *scores = json_object_get(doc, "scores"), *s, *v;
    size_t i, k;
    char num[16];

    kz_buf_add(b, "\n## Scores\n");
    if (json_array_size(scores) == 0) {
        kz_buf_add(b, "\nNone.\n");
        return;
    }
    kz_buf_add(b, "\n| Score | Session | Date | Partner | Measure | Subscales | Total |\n"
                  "|---|---|---|---|---|---|---|\n");
    json_array_foreach(scores, i, s) {
        char key[9];
        const char *name;
        snprintf(key, sizeof(key), "partner%d",
                 (int)json_integer_value(json_object_get(s, "partner")) == 2 ? 2 : 1);
        name = str(json_object_get(json_object_get(doc, "couple"), key), "name");
        kz_buf_printf(b, "| %s | %s | %s | %s | %s | ", str(s, "id"), str(s, "session"),
                      str(s, "date"), *name ? name : key, str(s, "measure"));
        json_array_foreach(json_object_get(s, "values"), k, v) {
            kz_score_fmt(json_number_value(v), num, sizeof(num));
            kz_buf_printf(b, "%s%s", k ? " " : "", num);
        }
        kz_score_fmt(json_number_value(json_object_get(s, "total")), num, sizeof(num));
        kz_buf_printf(b, " | %s |\n", num);
    }
}

void
kz_export_markdown(const json_t *doc, struct kz_buf *b)
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
    md_scores(b, doc);
}
