/* SPDX-License-Identifier: GPL-3.0-or-later */
/* info: the vault's header facts (no passphrase); how key derivation is described. */
#include <stdio.h>
#include <sys/stat.h>

#include "kizuna/kdf.h"
#include "cmds.h"
#include "vaultcmd.h"

json_t *
kz_cmd_kdf_json(const struct kz_kdf_params *k)
{
    return json_pack("{s:s,s:i,s:i,s:i}", "algorithm", "argon2id", "iterations", (int)k->t,
                     "memory_kib", (int)k->m_kib, "lanes", (int)k->lanes);
}

void
kz_cmd_kdf_text(const struct kz_kdf_params *k, char *buf, size_t size)
{
    if (k->m_kib % 1024 == 0)
        snprintf(buf, size, "Argon2id, t=%u, m=%u MiB, %u lanes", k->t, k->m_kib / 1024,
                 k->lanes);
    else
        snprintf(buf, size, "Argon2id, t=%u, m=%u KiB, %u lanes", k->t, k->m_kib, k->lanes);
}

static int
cmd_info(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    static const struct kz_field fields[] = {
        {"vault", "vault"},       {"format", "format"},   {"vault_id", "vault id"},
        {"kdf_text", "key derivation"}, {"slots", "key slots"}, {"records", "records"},
        {"size", "file size"},    {"state", "state"},     {NULL, NULL},
    };
    struct kz_vault_info info;
    char id[2 * KZ_VAULT_ID_BYTES + 1], kdesc[128];
    struct stat sb;
    json_t *doc, *slots;
    char *pos[1];
    int rc, npos;

    if ((rc = kz_cmd_parse(st, "info", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    if ((rc = kz_vault_info(st->vault, &info, err)) != KZ_OK)
        return rc;
    kz_hex(info.id, sizeof(info.id), id);
    kz_cmd_kdf_text(&info.kdf, kdesc, sizeof(kdesc));
    slots = json_array();
    if (info.passphrase_slot)
        json_array_append_new(slots, json_string("passphrase"));
    if (info.recovery_slot)
        json_array_append_new(slots, json_string("recovery"));
    doc = json_pack("{s:s,s:i,s:s,s:o,s:o,s:I,s:i,s:s}", "vault", st->vault_path, "format",
                    info.format, "vault_id", id, "kdf", kz_cmd_kdf_json(&info.kdf), "slots", slots,
                    "records", (json_int_t)info.records, "key_epoch", (int)info.epoch, "state",
                    kz_vault_unlocked(st->vault) ? "unlocked" : "locked");
    if (stat(st->vault_path, &sb) == 0)
        json_object_set_new(doc, "size", json_integer((json_int_t)sb.st_size));
    if (!st->ui.json)
        json_object_set_new(doc, "kdf_text", json_string(kdesc));
    kz_ui_object(&st->ui, doc, fields);
    return KZ_OK;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_info = {
    "info", "", "header facts: format, key derivation, slots, record count (no passphrase)",
    NULL, 0, no_opts, cmd_info};
