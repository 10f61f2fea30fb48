/* SPDX-License-Identifier: GPL-3.0-or-later */
/* import: a couple exported as JSON (plain or age) in one transaction (the
 * file read in import_read.c). */
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/model_session.h"
#include "kizuna/secmem.h"
#include "export_cmd.h"
#include "goal.h"
#include "score.h"

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

/* An exported session e as sealed under the short id num of the couple cid
 * (hex: its record id): read strictly through the model (a field it does not
 * know is named, exit 2), its goal links mapped to the new short ids (links
 * to goals not imported dropped). *out: the body; hi: its head. */
static int
import_session(const json_t *e, json_t *map, const unsigned char *cid, const char *hex,
               uint32_t num, struct kz_head_info *hi, json_t **out, struct kz_err *err)
{
    struct kz_session s;
    const char **links;
    size_t k, n = 0;
    int rc;

    *out = NULL;
    if ((rc = kz_session_decode(e, KZ_SESSION_EXPORTED, NULL, &s, err)) != KZ_OK)
        return rc;
    links = kz_xcalloc(s.ngoals + 1, sizeof(*links));
    for (k = 0; k < s.ngoals; k++) {
        const char *g = remap(map, s.goals[k]);
        if (g != NULL)
            links[n++] = g;
    }
    kz_session_set_list(&s.goals, &s.ngoals, links, n);
    free(links);
    s.num = num;
    kz_session_set(&s.couple, hex);
    kz_session_head(&s, cid, hi);
    *out = kz_session_encode(&s, KZ_SESSION_SEALED);
    kz_session_free(&s);
    return KZ_OK;
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
    json_t *doc = NULL, *couple, *e, *map = json_object(), *smap = json_object(),
           *seen = json_object(), *scores = NULL;
    const char *code;
    char *pos[1], hex[2 * KZ_RECORD_ID_BYTES + 1], text[16], codebuf[KZ_CODE_MAX + 1];
    uint32_t snum, gnum, rnum;
    struct kz_head_info hi;
    size_t i, total, done = 0;
    json_error_t jerr;
    int rc, npos, pass, closed;

    if ((rc = kz_cmd_parse(st, "import", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
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
    /* Exports before scores have none. */
    if ((scores = json_object_get(doc, "scores")) != NULL && !json_is_array(scores)) {
        rc = bad(err, "'scores' is not a list");
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
    /* A closed couple is read-only: its records go in while it is open, and
     * its head says closed at the end (one transaction: nobody sees between). */
    closed = hi.status == KZ_ST_CLOSED;
    if (closed)
        hi.status = KZ_ST_ACTIVE;
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
        /* What a score of it needs: its new number, its date, who attended. */
        json_object_set_new(smap, str(e, "id"),
                            json_pack("{s:I,s:s,s:s}", "num", (json_int_t)snum + (json_int_t)i,
                                      "date", str(e, "date"), "attended", str(e, "attended")));
    }
    total += json_array_size(scores);
    for (pass = 0; pass < 2; pass++) {
        json_t *arr = json_object_get(doc, pass == 0 ? "goals" : "sessions");
        json_array_foreach(arr, i, e) {
            json_t *body = NULL;
            if (pass == 0) {
                /* A goal goes through the model: read strictly, sealed. */
                if ((rc = kz_goal_cmd_import(st, e, i, gnum + (uint32_t)i, cid, map, err)) !=
                    KZ_OK)
                    goto out;
                kz_ui_progress(&st->ui, "importing", ++done, total);
                continue;
            }
            if (!json_is_object(e) || kz_date_parse(str(e, "date")) == 0) {
                rc = bad(err, "a session without a date");
                goto out;
            }
            /* A session goes through the model too (import_session). */
            if ((rc = import_session(e, map, cid, hex, snum + (uint32_t)i, &hi, &body, err)) !=
                KZ_OK)
                goto out;
            kz_vault_new_record_id(id);
            rc = kz_rec_save(st, id, &hi, body, err);
            json_decref(body);
            if (rc != KZ_OK)
                goto out;
            kz_ui_progress(&st->ui, "importing", ++done, total);
        }
    }
    rnum = kz_rec_next_num(st, KZ_KIND_SCORE);
    json_array_foreach(scores, i, e) {
        /* After the sessions: read strictly, mapped to them, sealed. */
        if ((rc = kz_score_cmd_import(st, e, i, rnum + (uint32_t)i, cid, smap, seen, err)) !=
            KZ_OK)
            goto out;
        kz_ui_progress(&st->ui, "importing", ++done, total);
    }
    if (json_array_size(scores) > 0 &&
        (rc = kz_rec_claim_num(st, KZ_KIND_SCORE, rnum + (uint32_t)json_array_size(scores) - 1,
                               err)) != KZ_OK)
        goto out;
    if ((json_array_size(json_object_get(doc, "sessions")) > 0 &&
         (rc = kz_rec_claim_num(st, KZ_KIND_SESSION,
                                snum + (uint32_t)json_array_size(json_object_get(doc, "sessions")) - 1,
                                err)) != KZ_OK) ||
        (json_array_size(json_object_get(doc, "goals")) > 0 &&
         (rc = kz_rec_claim_num(st, KZ_KIND_GOAL,
                                gnum + (uint32_t)json_array_size(json_object_get(doc, "goals")) - 1,
                                err)) != KZ_OK))
        goto out;
    kz_couple_head(couple, &hi);
    if (closed && (rc = kz_rec_save(st, cid, &hi, couple, err)) != KZ_OK)
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
    json_decref(smap);
    json_decref(seen);
    return rc;
}

static const char *const import_opts[] = {"--identity", "--as", "--backup-passphrase-file",
                                          "--max-work-factor", NULL};

const struct kz_cmd_entry kz_cmd_import = {
    "import", "FILE [--identity FILE] [--as NEWCODE] [--max-work-factor N]",
    "read a couple exported as JSON (plain or age) in one transaction",
    "A couple whose CODE exists is refused unless --as NEWCODE. Sessions and goals get new\n"
    "ids; the links between them follow. A session with a field kizuna never writes (or\n"
    "of the wrong type) is refused, naming the field (exit 2). An age file (armor may\n"
    "follow blank lines) opens\n"
    "with --identity or, if it has one, a passphrase;\n"
    "an scrypt work factor above 20 is refused (exit 1) unless --max-work-factor N allows it.\n"
    "A goal with an unknown field, or a field goal add would refuse, is named (exit 2);\n"
    "so is a couple profile field kizuna never writes, or one of the wrong type.",
    CMD_NEEDS_KEY | CMD_WRITES, import_opts, cmd_import};
