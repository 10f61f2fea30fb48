/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Goals for the commands: reading and sealing goal records through the model.
 * The verbs live in goal_add.c (add, progress, done, drop) and goal_view.c
 * (list, show). */
#include <string.h>

#include "kizuna/secmem.h"
#include "goal.h"

int
kz_goal_cmd_read(struct kz_state *st, const unsigned char *id, struct kz_goal *g,
                 struct kz_err *err)
{
    char *body = NULL, hex[17], label[40];
    size_t len = 0;
    int rc;

    memset(g, 0, sizeof(*g));
    if ((rc = kz_vault_record_get(st->vault, id, &body, &len, err)) != KZ_OK)
        return rc;
    kz_hex(id, 8, hex);
    snprintf(label, sizeof(label), "goal record %s", hex);
    rc = kz_goal_parse(body, len, label, g, err);
    kz_vault_plain_free(body, len);
    return rc;
}

int
kz_goal_cmd_load(struct kz_state *st, const char *arg, unsigned char *id,
                 struct kz_head_info *hi, struct kz_goal *g, struct kz_err *err)
{
    int rc;

    memset(g, 0, sizeof(*g));
    if ((rc = kz_rec_find_num(st, KZ_KIND_GOAL, arg, id, hi, err)) != KZ_OK)
        return rc;
    if ((rc = kz_goal_cmd_read(st, id, g, err)) == KZ_OK)
        g->num = hi->num; /* the head's short id is the one people use */
    return rc;
}

/* Seals g under id with its head, as it is (an import keeps its times). */
static int
save_as_is(struct kz_state *st, const unsigned char *id, const struct kz_goal *g,
           const unsigned char *parent, struct kz_err *err)
{
    struct kz_head_info hi;
    json_t *doc;
    int rc;

    kz_goal_head(g, parent, &hi);
    doc = kz_goal_encode(g);
    rc = kz_rec_save(st, id, &hi, doc, err);
    json_decref(doc);
    return rc;
}

int
kz_goal_cmd_save(struct kz_state *st, const unsigned char *id, struct kz_goal *g,
                 const unsigned char *parent, struct kz_err *err)
{
    kz_time_now(g->updated);
    return save_as_is(st, id, g, parent, err);
}

int
kz_goal_cmd_for_text(const json_t *c, int partner, char *buf, size_t size)
{
    const char *name;
    char key[9];

    if (partner != 1 && partner != 2) {
        snprintf(buf, size, "couple");
        return 0;
    }
    snprintf(key, sizeof(key), "partner%d", partner);
    name = json_string_value(json_object_get(json_object_get(c, key), "name"));
    if (name != NULL && *name != '\0') {
        snprintf(buf, size, "%s", name);
        return 1;
    }
    snprintf(buf, size, "partner %d", partner);
    return 0;
}

int
kz_goal_cmd_export(struct kz_state *st, const struct kz_rec_child *kid, const char *code,
                   const json_t *omitted, json_t *goals, struct kz_err *err)
{
    struct kz_goal g;
    const json_t *o;
    size_t i;
    int rc;

    if ((rc = kz_goal_cmd_read(st, kid->id, &g, err)) != KZ_OK)
        return rc;
    g.num = kid->hi.num;
    json_array_foreach(omitted, i, o)
        kz_goal_unlink_session(&g, json_string_value(o));
    json_array_append_new(goals, kz_goal_export(&g, code));
    kz_goal_free(&g);
    return KZ_OK;
}

int
kz_goal_cmd_import(struct kz_state *st, const json_t *e, size_t at, uint32_t num,
                   const unsigned char *cid, const json_t *map, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    const char *was = json_string_value(json_object_get(e, "id"));
    char label[96];
    struct kz_goal g;
    int rc;

    if (was != NULL)
        snprintf(label, sizeof(label), "not a kizuna export: goal %s", was);
    else
        snprintf(label, sizeof(label), "not a kizuna export: goal %zu of the goals", at + 1);
    if ((rc = kz_goal_decode(e, KZ_GOAL_IMPORT, label, &g, err)) != KZ_OK)
        return rc;
    g.num = num;
    kz_hex(cid, KZ_RECORD_ID_BYTES, g.couple);
    kz_goal_remap_sessions(&g, map);
    kz_vault_new_record_id(id);
    rc = save_as_is(st, id, &g, cid, err);
    kz_goal_free(&g);
    return rc;
}
