/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What couple erase counts and says (model_erase.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "kizuna/model_erase.h"

void
kz_erase_tally_add(struct kz_erase_tally *t, const struct kz_head_info *child)
{
    if (child->kind == KZ_KIND_SESSION) {
        t->sessions++;
        t->signed_sessions += (child->flags & KZ_HF_SIGNED) != 0;
    } else if (child->kind == KZ_KIND_GOAL) {
        t->goals++;
    } else if (child->kind == KZ_KIND_SCORE) {
        t->scores++;
    }
}

void
kz_erase_describe(const char *code, const struct kz_erase_tally *t, char *buf, size_t size)
{
    char sig[32] = "";

    if (size == 0)
        return;
    if (t->sessions > 0)
        snprintf(sig, sizeof(sig), " (%d signed)", t->signed_sessions);
    snprintf(buf, size, "%s: %d session%s%s, %d goal%s, %d score%s, the profile", code,
             t->sessions, t->sessions == 1 ? "" : "s", sig, t->goals, t->goals == 1 ? "" : "s",
             t->scores, t->scores == 1 ? "" : "s");
}

int
kz_erase_backup_since(const char *json, size_t len, const char *since)
{
    json_t *e = json_loadb(json, len, 0, NULL);
    const char *ev = json_string_value(json_object_get(e, "event"));
    const char *t = json_string_value(json_object_get(e, "t"));
    int yes = 0;

    if (ev != NULL && strcmp(ev, "backup") == 0)
        yes = since == NULL || *since == '\0' || (t != NULL && strcmp(t, since) >= 0);
    json_decref(e);
    return yes;
}
