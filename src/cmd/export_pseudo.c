/* SPDX-License-Identifier: GPL-3.0-or-later */
/* export --pseudonymize: the export document through the pseudonymizer
 * (model_pseudo.h), and the list of what it replaced for the therapist. */
#include <string.h>

#include "kizuna/model_pseudo.h"
#include "export_cmd.h"

int
kz_export_pseudonymize(struct kz_state *st, json_t *doc)
{
    struct kz_pseudo p;
    size_t i;

    kz_pseudo_init(&p, kz_pseudo_start(doc), kz_cmd_date_style(st));
    kz_pseudo_profile(&p, json_object_get(doc, "couple"));
    kz_pseudo_doc(&p, doc);
    /* To the therapist (standard error), never into the export itself. */
    kz_ui_note(&st->ui, "pseudonymized: replaced for the supervision copy (check the text):");
    for (i = 0; i < p.n; i++) {
        if (p.names[i].written_out && p.names[i].count == 0)
            continue; /* kizuna's own spelling, not found: nothing to check */
        kz_ui_note(&st->ui, "  %s → %s: %zu time%s%s", p.names[i].name, p.names[i].role,
                   p.names[i].count, p.names[i].count == 1 ? "" : "s",
                   p.names[i].common ? " (also a common word: its other uses were replaced too)"
                                     : "");
    }
    kz_ui_note(&st->ui, "  dates → therapy weeks (week 1 from the first day of therapy): %zu",
               p.dates);
    kz_ui_note(&st->ui, "  left out: export, creation and change times; practice and therapist");
    kz_pseudo_free(&p);
    return KZ_OK;
}
