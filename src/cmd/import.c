/* SPDX-License-Identifier: GPL-3.0-or-later */
/* import: a couple exported as JSON (plain or age) in one transaction (the
 * file read in import_read.c). */
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "export_cmd.h"

/* Maps an exported short id ("s3") to the new one. */
static const char *
remap(json_t *map, const char *old)
{
    return old != NULL ? json_string_value(json_object_get(map, old)) : NULL;
}

static int
bad(struct kz_err *err, const char *what)
{
    return kz_fail(err, KZ_EUSAGE, "not a kizuna export: %s", what);
}

/* Long: one transaction, the couple then goals then sessions with their ids
 * mapped, every refusal before anything is kept. */
static int
cmd_import(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *identity = NULL, *newcode = NULL, *passfile = NULL, *max_work = NULL;
    const struct kz_opt opts[] = {
        {"identity", 'i', 1, &identity, NULL},
        {"as", 0, 1, &newcode, NULL},
        {"backup-passphrase-file", 0, 1, &passfile, NULL},
        {"max-work-factor", 0, 1, &max_work, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES], id[KZ_RECORD_ID_BYTES];
    struct kz_buf in = {NULL, 0, 0};
    json_t *doc = NULL, *couple, *e, *map = json_object();
    const char *code;
    char *pos[1], hex[2 * KZ_RECORD_ID_BYTES + 1], text[16], codebuf[KZ_CODE_MAX + 1];
    uint32_t snum, gnum;
    struct kz_head_info hi;
    size_t i, k, total, done = 0;
    json_error_t jerr;
    int rc, npos, pass;

    if ((rc = kz_cmd_parse("import", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        goto out;
    if (npos != 1) {
        rc = kz_fail(err, KZ_EUSAGE, "usage: import FILE [--identity FILE] [--as NEWCODE]");
        goto out;
    }
    if ((rc = kz_import_read(st, pos[0], identity, passfile, max_work, &in, err)) != KZ_OK)
        goto out;
    doc = json_loadb(kz_buf_str(&in), in.len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "%s is not JSON (line %d: %s)", pos[0], jerr.line,
                     jerr.text);
        goto out;
    }
    kz_import_defang(doc);
    couple = json_object_get(doc, "couple");
    if (strcmp(str(doc, "format"), EXPORT_FORMAT) != 0 || !json_is_object(couple) ||
        !json_is_array(json_object_get(doc, "sessions")) ||
        !json_is_array(json_object_get(doc, "goals"))) {
        rc = bad(err, "format, couple, sessions or goals missing");
        goto out;
    }
    code = newcode != NULL ? newcode : str(couple, "code");
    if (kz_code_check(code) != 0) {
        rc = kz_fail(err, KZ_EUSAGE, "'%s' is not a couple code", code);
        goto out;
    }
    /* A copy: setting "code" below frees the string str() pointed into. */
    snprintf(codebuf, sizeof(codebuf), "%s", code);
    code = codebuf;
    if ((rc = kz_rec_find_couple(st, code, cid, NULL, err)) == KZ_OK) {
        rc = kz_fail(err, KZ_EUSAGE, "couple %s already exists; import it under another code "
                                     "with --as NEWCODE",
                     code);
        goto out;
    }
    if (rc != KZ_ENOTFOUND)
        goto out;
    kz_err_clear(err);
    /* The couple: a fresh record, its profile as exported. */
    kz_vault_new_record_id(cid);
    kz_hex(cid, KZ_RECORD_ID_BYTES, hex);
    json_object_set_new(couple, "kind", json_string("couple"));
    json_object_set_new(couple, "v", json_integer(1));
    json_object_set_new(couple, "code", json_string(code));
    /* The profile as couple add would have it: every field known, of its
     * type (an unknown one is named: exit 2). */
    if ((rc = kz_couple_check(couple, KZ_COUPLE_IMPORT, err)) != KZ_OK)
        goto out;
    kz_couple_head(couple, &hi);
    if ((rc = kz_rec_save(st, cid, &hi, couple, err)) != KZ_OK)
        goto out;
    /* New short ids for goals and sessions, mapped from the exported ones. */
    snum = kz_rec_next_num(st, KZ_KIND_SESSION);
    gnum = kz_rec_next_num(st, KZ_KIND_GOAL);
    total = json_array_size(json_object_get(doc, "sessions")) +
            json_array_size(json_object_get(doc, "goals"));
    json_array_foreach(json_object_get(doc, "goals"), i, e) {
        kz_rec_num_text(KZ_KIND_GOAL, gnum + (uint32_t)i, text, sizeof(text));
        json_object_set_new(map, str(e, "id"), json_string(text));
    }
    json_array_foreach(json_object_get(doc, "sessions"), i, e) {
        kz_rec_num_text(KZ_KIND_SESSION, snum + (uint32_t)i, text, sizeof(text));
        json_object_set_new(map, str(e, "id"), json_string(text));
    }
    for (pass = 0; pass < 2; pass++) {
        json_t *arr = json_object_get(doc, pass == 0 ? "goals" : "sessions");
        json_array_foreach(arr, i, e) {
            json_t *links, *l;
            if (!json_is_object(e) || (pass == 1 && kz_date_parse(str(e, "date")) == 0) ||
                (pass == 0 && *str(e, "title") == '\0')) {
                rc = bad(err, pass == 0 ? "a goal without a title" : "a session without a date");
                goto out;
            }
            memset(&hi, 0, sizeof(hi));
            hi.kind = pass == 0 ? KZ_KIND_GOAL : KZ_KIND_SESSION;
            hi.num = (pass == 0 ? gnum : snum) + (uint32_t)i;
            memcpy(hi.parent, cid, KZ_RECORD_ID_BYTES);
            json_object_set_new(e, "kind", json_string(pass == 0 ? "goal" : "session"));
            json_object_set_new(e, "v", json_integer(1));
            json_object_set_new(e, "id", json_integer(hi.num));
            json_object_set_new(e, "couple", json_string(hex));
            if (pass == 0) {
                const char *st_name = str(e, "status");
                int gs = kz_status_parse(st_name);
                json_int_t partner = json_integer_value(json_object_get(e, "partner"));
                hi.date = kz_date_parse(str(e, "target"));
                hi.status = (uint8_t)(gs == KZ_ST_ACHIEVED || gs == KZ_ST_DROPPED ? gs : 0);
                hi.flags = partner == 1 ? KZ_HF_PARTNER1 : partner == 2 ? KZ_HF_PARTNER2 : 0;
                snprintf(hi.tags, sizeof(hi.tags), "%s", str(e, "title"));
                json_array_foreach(json_object_get(e, "progress"), k, l) {
                    const char *s = remap(map, json_string_value(json_object_get(l, "session")));
                    json_object_set_new(l, "session", s ? json_string(s) : json_null());
                }
            } else {
                /* One vocabulary (kz_attended_parse): an individual
                 * session must stay one, or it would reach the other
                 * partner's export. */
                const char *att = json_object_get(e, "attended") == NULL
                                      ? "both"
                                      : kz_attended_parse(str(e, "attended"));
                size_t n = 0;
                json_t *t;
                if (att == NULL) {
                    rc = bad(err, "a session's 'attended' is not both, partner1 or partner2");
                    goto out;
                }
                json_object_set_new(e, "attended", json_string(att));
                hi.date = kz_date_parse(str(e, "date"));
                hi.minutes = (uint16_t)json_integer_value(json_object_get(e, "minutes"));
                hi.flags = (json_is_string(json_object_get(e, "signed")) ? KZ_HF_SIGNED : 0) |
                           (json_is_object(json_object_get(e, "void")) ? KZ_HF_VOID : 0) |
                           (strcmp(att, "partner1") == 0 ? KZ_HF_PARTNER1 : 0) |
                           (strcmp(att, "partner2") == 0 ? KZ_HF_PARTNER2 : 0);
                json_array_foreach(json_object_get(e, "themes"), k, t) {
                    const char *name = json_string_value(t);
                    size_t tl = name != NULL ? strlen(name) : 0;
                    if (tl == 0 || n + tl + 2 > sizeof(hi.tags))
                        continue;
                    if (n > 0)
                        hi.tags[n++] = ',';
                    memcpy(hi.tags + n, name, tl);
                    n += tl;
                }
                hi.tags[n] = '\0';
                links = json_array();
                json_array_foreach(json_object_get(e, "goals"), k, l) {
                    const char *g = remap(map, json_string_value(l));
                    if (g != NULL)
                        json_array_append_new(links, json_string(g));
                }
                json_object_set_new(e, "goals", links);
                if (json_object_get(e, "process_notes") == NULL)
                    json_object_set_new(e, "process_notes", json_string(""));
            }
            kz_vault_new_record_id(id);
            if ((rc = kz_rec_save(st, id, &hi, e, err)) != KZ_OK)
                goto out;
            kz_ui_progress(&st->ui, "importing", ++done, total);
        }
    }
    if ((json_array_size(json_object_get(doc, "sessions")) > 0 &&
         (rc = kz_rec_claim_num(st, KZ_KIND_SESSION,
                                snum + (uint32_t)json_array_size(json_object_get(doc, "sessions")) - 1,
                                err)) != KZ_OK) ||
        (json_array_size(json_object_get(doc, "goals")) > 0 &&
         (rc = kz_rec_claim_num(st, KZ_KIND_GOAL,
                                gnum + (uint32_t)json_array_size(json_object_get(doc, "goals")) - 1,
                                err)) != KZ_OK))
        goto out;
    snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", code);
    kz_ui_done(&st->ui,
               json_pack("{s:s,s:I,s:I}", "imported", code, "sessions",
                         (json_int_t)json_array_size(json_object_get(doc, "sessions")), "goals",
                         (json_int_t)json_array_size(json_object_get(doc, "goals"))),
               "imported couple %s with %zu session%s and %zu goal%s", code,
               json_array_size(json_object_get(doc, "sessions")),
               json_array_size(json_object_get(doc, "sessions")) == 1 ? "" : "s",
               json_array_size(json_object_get(doc, "goals")),
               json_array_size(json_object_get(doc, "goals")) == 1 ? "" : "s");
out:
    kz_buf_free(&in);
    json_decref(doc);
    json_decref(map);
    return rc;
}

static const char *const import_opts[] = {"--identity", "--as", "--backup-passphrase-file",
                                          "--max-work-factor", NULL};

const struct kz_cmd_entry kz_cmd_import = {
    "import", "FILE [--identity FILE] [--as NEWCODE] [--max-work-factor N]",
    "read a couple exported as JSON (plain or age) in one transaction",
    "A couple whose CODE exists is refused unless --as NEWCODE. Sessions and goals get new\n"
    "ids; the links between them follow. An age file (armor may follow blank lines) opens\n"
    "with --identity or, if it has one, a passphrase;\n"
    "an scrypt work factor above 20 is refused (exit 1) unless --max-work-factor N allows it.",
    CMD_NEEDS_KEY | CMD_WRITES, import_opts, cmd_import};
