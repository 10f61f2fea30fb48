/* SPDX-License-Identifier: GPL-3.0-or-later */
/* help and quit: read the command table, the one source of truth. */
#include <stdlib.h>
#include <string.h>

#include "kizuna/secmem.h"
#include "cmds.h"

/* help dates: the forms a date may be typed in (kizuna(1), Dates). */
static const char dates_help[] =
    "Dates may be typed as\n"
    "  2026-03-01          ISO, year first\n"
    "  1.3.2026            day first, with dots (01.03.2026 too); four-digit year\n"
    "  today, yesterday    the local calendar day\n"
    "  -3d +1d -2w +12w    days or weeks before (-) or after (+) today\n"
    "  01/03/2026          only with config date-format dd/mm/yyyy or mm/dd/yyyy,\n"
    "                      in that order\n"
    "They are stored as ISO. A date to be recorded more than a day ahead or before 1950\n"
    "(a goal target: more than ten years ahead) asks on a terminal; scripts say --yes,\n"
    "else exit 2 with nothing saved. 'config set date-format dd.mm.yyyy' (or iso,\n"
    "dd/mm/yyyy, mm/dd/yyyy) chooses how dates are shown; --json shows ISO always.\n";

static json_t *
entry_json(const struct kz_cmd_entry *e)
{
    return json_pack("{s:s,s:s,s:s}", "name", e->name, "usage", e->usage, "summary",
                     e->summary);
}

static void
append(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);

    *buf = kz_xrealloc(*buf, *len + n + 1);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

static int
cmd_help(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const struct kz_cmd_entry *const *t = st->cmds; /* kz_cmd_run sets it */
    const struct kz_cmd_entry *e = NULL;
    char *text = NULL, line[512];
    size_t len = 0;
    int i, used = 0, rc, shown = 0;
    json_t *arr;

    if (argc == 0) {
        if (st->ui.json) {
            arr = json_array();
            for (i = 0; t[i] != NULL; i++)
                json_array_append_new(arr, entry_json(t[i]));
            kz_ui_table(&st->ui, arr, NULL, NULL);
            return KZ_OK;
        }
        int w = 0;
        append(&text, &len, "Commands (any unique prefix works; 'help COMMAND' for more):\n");
        for (i = 0; t[i] != NULL; i++)
            if ((int)strlen(t[i]->name) > w)
                w = (int)strlen(t[i]->name);
        for (i = 0; t[i] != NULL; i++) {
            snprintf(line, sizeof(line), "  %-*s  %s\n", w, t[i]->name, t[i]->summary);
            append(&text, &len, line);
        }
        kz_ui_text(&st->ui, text);
        free(text);
        return KZ_OK;
    }
    if (argc == 1 && strcmp(argv[0], "dates") == 0) {
        kz_ui_show(&st->ui, json_pack("{s:s,s:s}", "topic", "dates", "text", dates_help),
                   dates_help);
        return KZ_OK;
    }
    /* "help config" lists the group; "help config set" shows one entry. */
    if ((rc = kz_cmd_find_in(t, argc, argv, &e, &used, err)) != KZ_OK) {
        size_t plen = strlen(argv[0]);
        arr = json_array();
        for (i = 0; t[i] != NULL; i++) {
            if (strncmp(t[i]->name, argv[0], plen) == 0 && t[i]->name[plen] == ' ') {
                json_array_append_new(arr, entry_json(t[i]));
                snprintf(line, sizeof(line), "  %s %s\n      %s\n", t[i]->name, t[i]->usage,
                         t[i]->summary);
                append(&text, &len, line);
                shown++;
            }
        }
        if (shown == 0) {
            json_decref(arr);
            return rc;
        }
        kz_err_clear(err);
        if (st->ui.json)
            kz_ui_table(&st->ui, arr, NULL, NULL);
        else
            json_decref(arr);
        kz_ui_text(&st->ui, text);
        free(text);
        return KZ_OK;
    }
    if (st->ui.json) {
        json_t *doc = entry_json(e);
        if (e->detail != NULL)
            json_object_set_new(doc, "detail", json_string(e->detail));
        kz_ui_object(&st->ui, doc, NULL);
        return KZ_OK;
    }
    snprintf(line, sizeof(line), "usage: %s%s%s\n  %s\n", e->name, e->usage[0] ? " " : "",
             e->usage, e->summary);
    append(&text, &len, line);
    if (e->detail != NULL) {
        append(&text, &len, "\n");
        append(&text, &len, e->detail);
        append(&text, &len, "\n");
    }
    kz_ui_text(&st->ui, text);
    free(text);
    return KZ_OK;
}

static int
cmd_quit(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    char *pos[1];
    int npos, rc;

    if ((rc = kz_cmd_parse(st, "quit", argc, argv, NULL, pos, 0, &npos, err)) != KZ_OK)
        return rc;
    st->quit = 1;
    return KZ_OK;
}

static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_help = {
    "help", "[COMMAND]", "list the commands, or explain one",
    "Tables take the terminal's width (80 columns in a pipe). Output longer than the\n"
    "screen goes through $PAGER (default less -R); q returns here. --no-pager after\n"
    "any command, or 'config set pager off', prints it directly.",
    CMD_NO_VAULT, no_opts,
    cmd_help};
const struct kz_cmd_entry kz_cmd_quit = {
    "quit", "", "lock the vault and leave",
    "In the shell, an unlocked vault first says how many notes from past days are\n"
    "unsigned ('session list --unsigned' lists them).",
    CMD_NO_VAULT, no_opts, cmd_quit};
