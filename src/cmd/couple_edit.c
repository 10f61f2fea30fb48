/* SPDX-License-Identifier: GPL-3.0-or-later */
/* couple edit: the profile as "field = value" lines in $EDITOR. */
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "couple_cmd.h"

static void
add_line(void *ctx, const char *field, const char *value)
{
    kz_buf_printf(ctx, "%s = %s\n", field, value);
}

struct diff {
    json_t *orig;
    const char *field;
    const char *value;
    int same;
};

static void
find_value(void *ctx, const char *field, const char *value)
{
    struct diff *d = ctx;

    if (strcmp(field, d->field) == 0 && strcmp(value, d->value) == 0)
        d->same = 1;
}

/* Applies the edited "field = value" lines, changing only what differs. */
static int
apply_edited(json_t *c, char *text, struct kz_err *err)
{
    json_t *orig = json_deep_copy(c);
    char *line = text, *next;
    int rc = KZ_OK, lineno = 0;

    for (; line != NULL && *line != '\0'; line = next) {
        char *eq, *f, *v, *e;
        struct diff d;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '#' || *line == '\0')
            continue;
        if ((eq = strchr(line, '=')) == NULL) {
            rc = kz_fail(err, KZ_EUSAGE, "line %d: expected 'field = value'", lineno);
            break;
        }
        *eq = '\0';
        f = line;
        v = eq + 1;
        for (e = eq; e > f && (e[-1] == ' ' || e[-1] == '\t'); e--)
            e[-1] = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
            e[-1] = '\0';
        d.orig = orig;
        d.field = f;
        d.value = v;
        d.same = 0;
        kz_couple_fields(orig, find_value, &d);
        if (d.same)
            continue;
        if ((rc = kz_couple_set(c, f, v, err)) != KZ_OK) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            kz_fail(err, rc, "line %d: %s", lineno, msg);
            break;
        }
    }
    json_decref(orig);
    return rc;
}

/* couple edit on a terminal, like crontab -e and visudo: a line that is
 * refused is shown, and the therapist edits the text as left again or
 * abandons; in a script the edit fails (exit 2) and nothing is kept. */
static int
cmd_edit(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], *text = NULL, *initial = NULL, canon[KZ_CODE_MAX + 1];
    size_t len = 0, ilen = 0;
    json_t *c = NULL, *work = NULL;
    int rc, npos, choice, on_terminal = st->interactive || kz_ui_have_terminal();

    if ((rc = kz_cmd_parse(st, "couple edit", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: couple edit CODE");
    if ((rc = kz_couple_find_load(st, &pos[0], canon, id, &c, err)) != KZ_OK ||
        (rc = kz_couple_writable(c, err)) != KZ_OK) /* before the editor opens */
        goto out;
    kz_buf_printf(&b, "# Couple %s. Change the values after '='; lines starting with # are "
                      "ignored.\n# Lists: a, b, c   languages: ja:native, de:B2   children: "
                      "Mia:2019:de ja; Ken:2021\n# consent.NAME = yes/no adds a consent.\n",
                  pos[0]);
    kz_couple_fields(c, add_line, &b);
    for (;;) {
        char *scratch;
        if ((rc = kz_cmd_text(st, initial != NULL ? initial : kz_buf_str(&b), NULL, NULL, &text,
                              &len, err)) != KZ_OK)
            goto out;
        work = json_deep_copy(c);
        scratch = kz_xstrdup(text); /* apply_edited cuts it into lines */
        rc = apply_edited(work, scratch, err);
        kz_vault_plain_free(scratch, strlen(scratch));
        if (rc == KZ_OK)
            break;
        json_decref(work);
        work = NULL;
        if (!on_terminal)
            goto out; /* a script: exit 2, nothing kept */
        if (!kz_cmd_replaying(st)) /* shown the first time */
            kz_ui_error(&st->ui, err);
        kz_err_clear(err);
        if ((rc = kz_cmd_choose(st, "e(dit again) / a(bandon)?", "ea", &choice, err)) != KZ_OK)
            goto out; /* KZ_CMD_AGAIN: from the couple as it is now, the choice kept */
        if (choice != 'e') {
            rc = kz_fail(err, KZ_ERR, "edit abandoned; couple %s unchanged", pos[0]);
            goto out;
        }
        if (initial != NULL)
            kz_vault_plain_free(initial, ilen);
        initial = text; /* the editor opens on the text as the therapist left it */
        ilen = len;
        text = NULL;
        len = 0;
    }
    if (json_equal(work, c)) {
        st->audited = 1; /* nothing written: no new version, no event */
        kz_ui_done(&st->ui, json_pack("{s:s,s:b}", "couple", pos[0], "changed", 0), "no change");
        goto out;
    }
    if ((rc = kz_couple_save(st, id, work, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s}", "updated", pos[0]), "updated couple %s", pos[0]);
out:
    if (text != NULL)
        kz_vault_plain_free(text, len);
    if (initial != NULL)
        kz_vault_plain_free(initial, ilen);
    kz_buf_free(&b);
    json_decref(work);
    json_decref(c);
    return rc;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_couple_edit = {
    "couple edit", "CODE", "edit the profile in $EDITOR (a file in /dev/shm, shredded after)",
    "A line that cannot be taken is shown; on a terminal 'e' edits the text as left\n"
    "again, 'a' abandons (nothing kept). In a script: exit 2, nothing kept. An edit\n"
    "that changes nothing says 'no change' and writes nothing.", CMD_NEEDS_KEY | CMD_WRITES, no_opts, cmd_edit};
