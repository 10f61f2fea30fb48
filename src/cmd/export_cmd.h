/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to export and import (export.c, export_md.c, import.c, import_read.c). */
#ifndef KIZUNA_CMD_EXPORT_CMD_H
#define KIZUNA_CMD_EXPORT_CMD_H

#include "config_cmd.h"
#include "couple_cmd.h"

struct kz_buf;

#define EXPORT_FORMAT "kizuna-export"

/* A string field's text, "" when it is missing or not a string (an export
 * file may hold anything): never a NULL for %s. */
static inline const char *
str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

/* The export document doc as Markdown into b (export_md.c). */
void kz_export_markdown(const json_t *doc, struct kz_buf *b);
/* export --pseudonymize: doc (an export document) with names, places and
 * dates replaced (model_pseudo.h); the replacements listed on stderr. */
int kz_export_pseudonymize(struct kz_state *st, json_t *doc);
/* Reads the file at path, plain or age (opened with identity, or a passphrase
 * from passfile or the terminal, scrypt work factor up to max_work), into out:
 * at most 64 MiB (import_read.c). */
int kz_import_read(struct kz_state *st, const char *path, const char *identity,
                   const char *passfile, const char *max_work, struct kz_buf *out,
                   struct kz_err *err);
/* An export is someone else's file: drops CR and replaces the other terminal
 * controls in every string and key of v (import_read.c). */
void kz_import_defang(json_t *v);

#endif
