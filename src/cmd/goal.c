/* SPDX-License-Identifier: GPL-3.0-or-later */
/* goal add|list|show|progress|done|drop: a couple's (or one partner's) goals,
 * followed with dated 0-10 scores shown as a sparkline. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "cmds.h"

#define TITLE_MAX 200
#define TEXT_MAX 4000
#define SPARK_MAX 50 /* entries drawn in the sparkline of goal show (the latest ones) */
#define TARGET_AHEAD 3653 /* days: a target further ahead than ten years asks first */

/* Copies at most max bytes of s into out (max + 1 bytes), cut at a UTF-8 boundary. */
static void
copy_utf8(char *out, const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The head of a goal from its body: kind, short id, couple, target date,
 * partner flags, status and the title (truncated) as tags. */
static void
head_of(const json_t *g, uint32_t num, const unsigned char *cid, struct kz_head_info *hi)
{
    const char *title = json_string_value(json_object_get(g, "title"));
    const char *status = json_string_value(json_object_get(g, "status"));
    json_int_t partner = json_integer_value(json_object_get(g, "partner"));
    int s = status != NULL ? kz_status_parse(status) : KZ_ST_ACTIVE;

    memset(hi, 0, sizeof(*hi));
    hi->kind = KZ_KIND_GOAL;
    hi->num = num;
    memcpy(hi->parent, cid, KZ_RECORD_ID_BYTES);
    hi->date = kz_date_parse(json_string_value(json_object_get(g, "target")));
    hi->flags = partner == 1 ? KZ_HF_PARTNER1 : partner == 2 ? KZ_HF_PARTNER2 : 0;
    hi->status = (uint8_t)(s < 0 ? KZ_ST_ACTIVE : s);
    copy_utf8(hi->tags, title != NULL ? title : "", KZ_TAGS_MAX);
}

static int
save_goal(struct kz_state *st, const unsigned char *id, json_t *g, uint32_t num,
          const unsigned char *cid, struct kz_err *err)
{
    struct kz_head_info hi;
    char now[21];

    kz_time_now(now);
    json_object_set_new(g, "updated", json_string(now));
    head_of(g, num, cid, &hi);
    return kz_rec_save(st, id, &hi, g, err);
}

/* Finds and loads the goal named by arg ("g3" or "3"). */
static int
load_goal(struct kz_state *st, const char *arg, unsigned char *id, struct kz_head_info *hi,
          json_t **g, struct kz_err *err)
{
    int rc;

    *g = NULL;
    if ((rc = kz_rec_find_num(st, KZ_KIND_GOAL, arg, id, hi, err)) != KZ_OK)
        return rc;
    return kz_rec_load(st, id, g, err);
}

/* A UTF-8 text option of at most max bytes as a JSON string, or NULL with err set. */
static json_t *
text_opt(const char *what, const char *value, size_t max, struct kz_err *err)
{
    json_t *s = strlen(value) <= max ? json_string(value) : NULL;

    if (s == NULL)
        kz_fail(err, KZ_EUSAGE, "%s: at most %zu bytes of UTF-8 text", what, max);
    return s;
}

/* Who a goal is for, as people read it: "couple", "partner 1", or the partner's
 * name when the profile has one (c may be NULL). Returns 1 if it is the name. */
static int
for_text(const json_t *c, int partner, char *buf, size_t size)
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

/* 1 if s holds a control character (a title is one line). */
static int
has_control(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    }
    return 0;
}

/* A JSON string's text, "" when it is missing or not a string (an imported
 * record may hold anything): never a NULL for %s. */
static const char *
text_of(const json_t *v)
{
    const char *s = json_string_value(v);

    return s != NULL ? s : "";
}

static int
partner_of(const json_t *g)
{
    json_int_t p = json_integer_value(json_object_get(g, "partner"));

    return p == 1 || p == 2 ? (int)p : 0;
}

/* ---- add ---- */

static int
cmd_add(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *partner_s = NULL, *target_s = NULL, *desc_s = NULL, *rest = NULL;
    int yes = 0;
    const struct kz_opt opts[] = {
        {"partner", 0, 1, &partner_s, NULL},
        {"target", 0, 1, &target_s, NULL},
        {"description", 0, 1, &desc_s, NULL},
        {"yes", 'y', 0, NULL, &yes},
        {"", 0, KZ_OPT_REST, &rest, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES], id[KZ_RECORD_ID_BYTES];
    struct kz_head_info chi;
    char *pos[2], target[11] = "", now[21], hex[2 * KZ_RECORD_ID_BYTES + 1], gid[16];
    json_t *g = NULL, *title = NULL, *desc = NULL;
    uint32_t num;
    int rc, npos, partner = 0;

    if ((rc = kz_cmd_parse(st, "goal add", argc, argv, opts, pos, 2, &npos, err)) != KZ_OK)
        return rc;
    if (rest != NULL && npos == 1)
        pos[npos++] = (char *)rest; /* goal add CODE [options] -- TITLE */
    else if (rest != NULL)
        return kz_fail(err, KZ_EUSAGE, "the title once: as TITLE or after --");
    if (npos != 2)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: goal add CODE TITLE [--partner 1|2] [--target DATE] "
                       "[--description TEXT] (or: goal add CODE [options] -- TITLE)");
    if (kz_cmd_text_empty(pos[1], strlen(pos[1]), NULL))
        return kz_fail(err, KZ_ERR, "nothing written; no goal added (the title is empty)");
    if (has_control(pos[1]) ||
        (title = text_opt("TITLE", pos[1], TITLE_MAX, err)) == NULL) {
        rc = kz_fail(err, KZ_EUSAGE, "a goal's title is one line of 1 to %d bytes of UTF-8 text",
                     TITLE_MAX);
        goto out;
    }
    if (partner_s != NULL) {
        if (strcmp(partner_s, "1") != 0 && strcmp(partner_s, "2") != 0) {
            rc = kz_fail(err, KZ_EUSAGE, "--partner: 1 or 2 (leave it out for the couple)");
            goto out;
        }
        partner = partner_s[0] - '0';
    }
    if (target_s != NULL) {
        uint32_t d;
        if ((rc = kz_cmd_date_read(st, "--target", target_s, &d, err)) != KZ_OK ||
            (rc = kz_cmd_date_check(st, "--target", d, TARGET_AHEAD, yes, err)) != KZ_OK)
            goto out;
        kz_date_format(d, target);
    }
    if ((desc = text_opt("--description", desc_s != NULL ? desc_s : "", TEXT_MAX, err)) ==
        NULL) {
        rc = KZ_EUSAGE;
        goto out;
    }
    if ((rc = kz_rec_find_couple(st, pos[0], cid, &chi, err)) != KZ_OK)
        goto out;
    pos[0] = chi.code; /* as stored, whatever case was typed */
    num = kz_rec_next_num(st, KZ_KIND_GOAL);
    kz_hex(cid, KZ_RECORD_ID_BYTES, hex);
    kz_time_now(now);
    g = json_pack("{s:s,s:i,s:I,s:s,s:i,s:O,s:O,s:s,s:s,s:[],s:s}", "kind", "goal", "v", 1,
                  "id", (json_int_t)num, "couple", hex, "partner", partner, "title", title,
                  "description", desc, "target", target, "status", "active", "progress",
                  "created", now);
    if (g == NULL)
        kz_die("out of memory");
    kz_vault_new_record_id(id);
    if ((rc = save_goal(st, id, g, num, cid, err)) != KZ_OK ||
        (rc = kz_rec_claim_num(st, KZ_KIND_GOAL, num, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_GOAL, num, gid, sizeof(gid));
    snprintf(st->audit_ref, sizeof(st->audit_ref), "%s", gid);
    kz_ui_done(&st->ui, json_pack("{s:s,s:s}", "added", gid, "couple", pos[0]),
               "added goal %s for %s", gid, pos[0]);
out:
    json_decref(title);
    json_decref(desc);
    json_decref(g);
    return rc;
}

/* ---- list ---- */

struct item {
    unsigned char id[KZ_RECORD_ID_BYTES];
    unsigned char parent[KZ_RECORD_ID_BYTES];
    char code[KZ_CODE_MAX + 1];
    uint32_t num;
};

struct listing {
    const unsigned char *couple; /* NULL: every couple */
    int status;                  /* -1: all */
    struct item *items;
    size_t n, cap;
};

static int
gather(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct listing *l = ctx;
    struct item *it;

    if (hi->kind != KZ_KIND_GOAL)
        return 0;
    if (l->couple != NULL && memcmp(hi->parent, l->couple, KZ_RECORD_ID_BYTES) != 0)
        return 0;
    if (l->status >= 0 && hi->status != l->status)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->items = kz_xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    it = &l->items[l->n++];
    memcpy(it->id, id, KZ_RECORD_ID_BYTES);
    memcpy(it->parent, hi->parent, KZ_RECORD_ID_BYTES);
    it->num = hi->num;
    it->code[0] = '\0';
    return 0;
}

static int
by_code_num(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->code, y->code);

    if (c != 0)
        return c;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* The couple bodies a listing needs, each opened once. */
struct couples {
    unsigned char (*ids)[KZ_RECORD_ID_BYTES];
    json_t **docs;
    size_t n;
};

static const json_t *
couple_doc(struct kz_state *st, struct couples *cs, const unsigned char *cid)
{
    json_t *c = NULL;
    size_t i;

    for (i = 0; i < cs->n; i++) {
        if (memcmp(cs->ids[i], cid, KZ_RECORD_ID_BYTES) == 0)
            return cs->docs[i];
    }
    if (kz_rec_load(st, cid, &c, NULL) != KZ_OK)
        c = NULL; /* gone: the goal shows "partner N" */
    cs->ids = kz_xrealloc(cs->ids, (cs->n + 1) * KZ_RECORD_ID_BYTES);
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of json_t pointers */
    cs->docs = kz_xrealloc(cs->docs, (cs->n + 1) * sizeof(*cs->docs));
    memcpy(cs->ids[cs->n], cid, KZ_RECORD_ID_BYTES);
    cs->docs[cs->n] = c;
    return cs->docs[cs->n++];
}

static void
couples_free(struct couples *cs)
{
    size_t i;

    for (i = 0; i < cs->n; i++)
        json_decref(cs->docs[i]);
    free(cs->ids);
    free(cs->docs);
}

static int
cmd_list(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    /* Widths keep a row within 80 columns: 5+8+10+22+10+8+4 and 2 between each. */
    static const struct kz_col cols[] = {
        {"id", "ID", 0},         {"couple", "COUPLE", 8},  {"for", "FOR", 10},
        {"title", "TITLE", 22},  {"target", "TARGET", 10}, {"status", "STATUS", 8},
        {"last", "LAST", 4},     {NULL, NULL, 0},
    };
    const char *status = "active";
    const struct kz_opt opts[] = {{"status", 0, 1, &status, NULL}, {NULL, 0, 0, NULL, NULL}};
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct listing l;
    struct couples cs = {NULL, NULL, 0};
    json_t *rows = NULL, *g = NULL;
    char *pos[1];
    size_t i;
    int rc, npos, style;

    memset(&l, 0, sizeof(l));
    if ((rc = kz_cmd_parse(st, "goal list", argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    l.status = strcmp(status, "all") == 0 ? -1 : kz_status_parse(status);
    if (strcmp(status, "all") != 0 &&
        l.status != KZ_ST_ACTIVE && l.status != KZ_ST_ACHIEVED && l.status != KZ_ST_DROPPED)
        return kz_fail(err, KZ_EUSAGE, "goal list: --status active, achieved, dropped or all");
    if (npos == 1) {
        if ((rc = kz_rec_find_couple(st, pos[0], cid, NULL, err)) != KZ_OK)
            return rc;
        l.couple = cid;
    }
    if ((rc = kz_rec_scan(st, gather, &l, err)) != KZ_OK)
        goto out;
    for (i = 0; i < l.n; i++)
        kz_rec_parent_code(st, l.items[i].parent, l.items[i].code);
    if (l.n > 1) /* items is NULL when there are none */
        qsort(l.items, l.n, sizeof(*l.items), by_code_num);
    rows = json_array();
    style = kz_cmd_date_style(st);
    for (i = 0; i < l.n; i++) {
        char gid[16], who[160], shown[11];
        json_t *progress, *last, *row;
        size_t np;
        int partner;
        if ((rc = kz_rec_load(st, l.items[i].id, &g, err)) != KZ_OK)
            goto out;
        partner = partner_of(g);
        for_text(partner ? couple_doc(st, &cs, l.items[i].parent) : NULL, partner, who,
                 sizeof(who));
        kz_rec_num_text(KZ_KIND_GOAL, l.items[i].num, gid, sizeof(gid));
        progress = json_object_get(g, "progress");
        np = json_array_size(progress);
        last = np > 0 ? json_array_get(progress, np - 1) : NULL;
        row = json_pack("{s:s,s:s,s:i,s:s,s:O,s:O,s:O,s:O,s:O}", "id", gid, "couple",
                        l.items[i].code, "partner", partner, "for", who, "title",
                        json_object_get(g, "title"), "target", json_object_get(g, "target"),
                        "status", json_object_get(g, "status"), "last",
                        last != NULL ? json_object_get(last, "score") : json_null(),
                        "last_date", last != NULL ? json_object_get(last, "date") : json_null());
        if (row == NULL) {
            char hex[17];
            kz_hex(l.items[i].id, 8, hex);
            rc = kz_fail(err, KZ_EINTEGRITY, "goal record %s is missing fields", hex);
            goto out;
        }
        if (style != KZ_DATE_ISO && json_is_string(json_object_get(row, "target")))
            json_object_set_new(row, "target",
                                json_string(kz_cmd_date_shown(
                                    style, json_string_value(json_object_get(row, "target")),
                                    shown)));
        json_array_append_new(rows, row);
        json_decref(g);
        g = NULL;
    }
    kz_ui_table(&st->ui, rows, cols,
                l.status == KZ_ST_ACTIVE ? "no active goals ('goal add CODE TITLE' adds one)"
                                         : "no goals");
    rows = NULL;
out:
    json_decref(g);
    json_decref(rows);
    couples_free(&cs);
    free(l.items);
    return rc;
}

/* ---- show ---- */

/* "2026-01-10 ▂▃▅▆▇ 2026-06-02  (3 → 8)" for the latest SPARK_MAX entries. */
static void
add_sparkline(struct kz_buf *b, const json_t *progress, int style)
{
    char da[11], dz[11];
    size_t n = json_array_size(progress), first = n > SPARK_MAX ? n - SPARK_MAX : 0, i;
    int *scores = kz_xcalloc(n - first, sizeof(*scores));
    char *bars = kz_xmalloc(3 * (n - first) + 2);
    const json_t *a = json_array_get(progress, first), *z = json_array_get(progress, n - 1);

    for (i = first; i < n; i++)
        scores[i - first] = (int)json_integer_value(json_object_get(json_array_get(progress, i),
                                                                    "score"));
    kz_sparkline(scores, n - first, bars, 3 * (n - first) + 2);
    if (n - first == 1)
        kz_buf_printf(b, "%s %s  (%d)",
                      kz_cmd_date_shown(style, text_of(json_object_get(a, "date")), da), bars,
                      scores[0]);
    else
        kz_buf_printf(b, "%s %s %s  (%d \xe2\x86\x92 %d)",
                      kz_cmd_date_shown(style, text_of(json_object_get(a, "date")), da), bars,
                      kz_cmd_date_shown(style, text_of(json_object_get(z, "date")), dz), scores[0],
                      scores[n - first - 1]);
    if (first > 0)
        kz_buf_printf(b, "  the last %d of %zu", SPARK_MAX, n);
    kz_buf_add(b, "\n");
    /* Scores are clinical data too. */
    sodium_memzero(scores, (n - first) * sizeof(*scores));
    sodium_memzero(bars, 3 * (n - first) + 2);
    free(scores);
    free(bars);
}

static int
cmd_show(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    struct kz_buf b = {NULL, 0, 0};
    char *pos[1], gid[16], code[KZ_CODE_MAX + 1], who[160], shown[11];
    json_t *g = NULL, *c = NULL, *progress, *e;
    const char *t;
    size_t i;
    int rc, npos, partner, named, style;

    if ((rc = kz_cmd_parse(st, "goal show", argc, argv, NULL, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: goal show ID");
    if ((rc = load_goal(st, pos[0], id, &hi, &g, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_GOAL, hi.num, gid, sizeof(gid));
    kz_rec_parent_code(st, hi.parent, code);
    partner = partner_of(g);
    if (partner != 0 && kz_rec_load(st, hi.parent, &c, NULL) != KZ_OK)
        c = NULL;
    named = for_text(c, partner, who, sizeof(who));
    if (st->ui.json) {
        /* The shape goal list gives, and more (kizuna(1), JSON output): the
         * id as "g1", the couple's code; no storage fields. */
        size_t np;
        json_t *last;
        progress = json_object_get(g, "progress");
        np = json_array_size(progress);
        last = np > 0 ? json_array_get(progress, np - 1) : NULL;
        json_object_set_new(g, "last", last != NULL ? json_incref(json_object_get(last, "score"))
                                                    : json_null());
        json_object_set_new(g, "last_date", last != NULL
                                                ? json_incref(json_object_get(last, "date"))
                                                : json_null());
        json_object_del(g, "kind");
        json_object_del(g, "v");
        json_object_set_new(g, "id", json_string(gid));
        json_object_set_new(g, "couple", json_string(code));
        json_object_set_new(g, "partner", json_integer(partner));
        json_object_set_new(g, "for", json_string(who));
        kz_ui_show(&st->ui, g, NULL);
        g = NULL;
        goto out;
    }
    kz_buf_printf(&b, "Goal %s — %s\n\n", gid, text_of(json_object_get(g, "title")));
    kz_buf_printf(&b, "couple       %s\n", code);
    if (named)
        kz_buf_printf(&b, "for          %s (partner %d)\n", who, partner);
    else
        kz_buf_printf(&b, "for          %s\n", who);
    style = kz_cmd_date_style(st);
    t = json_string_value(json_object_get(g, "target"));
    kz_buf_printf(&b, "target       %s\n",
                  t != NULL && *t ? kz_cmd_date_shown(style, t, shown) : "none");
    t = json_string_value(json_object_get(g, "closed"));
    kz_buf_printf(&b, "status       %s%s%s\n", text_of(json_object_get(g, "status")),
                  t != NULL ? " on " : "", t != NULL ? kz_cmd_date_shown(style, t, shown) : "");
    t = json_string_value(json_object_get(g, "description"));
    if (t != NULL && *t)
        kz_buf_printf(&b, "\n%s\n", t);
    progress = json_object_get(g, "progress");
    if (json_array_size(progress) == 0) {
        kz_buf_printf(&b, "\nNo progress yet ('goal progress %s SCORE' records one).\n", gid);
    } else {
        kz_buf_add(&b, "\nProgress  ");
        add_sparkline(&b, progress, style);
        kz_buf_add(&b, "\n");
        json_array_foreach(progress, i, e) {
            const char *sess = json_string_value(json_object_get(e, "session"));
            const char *note = json_string_value(json_object_get(e, "note"));
            kz_buf_printf(&b, "  %s  %2" JSON_INTEGER_FORMAT "  %-6s %s\n",
                          kz_cmd_date_shown(style, text_of(json_object_get(e, "date")), shown),
                          json_integer_value(json_object_get(e, "score")),
                          sess != NULL ? sess : "-", note != NULL ? note : "");
        }
    }
    kz_ui_show(&st->ui, json_null(), kz_buf_str(&b));
out:
    kz_buf_free(&b);
    json_decref(c);
    json_decref(g);
    return rc;
}

/* ---- progress ---- */

/* Parses a score: a whole number from 0 to 10, or -1. */
static int
parse_score(const char *s)
{
    if (s[0] >= '0' && s[0] <= '9' && s[1] == '\0')
        return s[0] - '0';
    if (strcmp(s, "10") == 0)
        return 10;
    return -1;
}

static int
cmd_progress(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *session_s = NULL, *note_s = NULL, *date_s = NULL, *rest = NULL;
    int yes = 0;
    const struct kz_opt opts[] = {
        {"session", 0, 1, &session_s, NULL},
        {"note", 0, 1, &note_s, NULL},
        {"date", 0, 1, &date_s, NULL},
        {"yes", 'y', 0, NULL, &yes},
        {"", 0, KZ_OPT_REST, &rest, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    unsigned char id[KZ_RECORD_ID_BYTES], sid_rec[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi, shi;
    char *pos[2], gid[16], sid[16], date[11], shown[11];
    json_t *g = NULL, *note = NULL, *entry = NULL, *progress, *e;
    const char *status;
    uint32_t d;
    size_t i, at;
    int rc, npos, score;

    if ((rc = kz_cmd_parse(st, "goal progress", argc, argv, opts, pos, 2, &npos, err)) != KZ_OK)
        return rc;
    if (rest != NULL && npos == 1) {
        pos[npos++] = (char *)rest; /* goal progress ID -- SCORE (a "-1" is refused as a score) */
    } else if (rest != NULL) {
        if (note_s != NULL)
            return kz_fail(err, KZ_EUSAGE, "the note once: --note or after --");
        note_s = rest; /* goal progress ID SCORE [options] -- NOTE */
    }
    if (npos != 2)
        return kz_fail(err, KZ_EUSAGE,
                       "usage: goal progress ID SCORE [--session ID] [--date D] [--note TEXT | "
                       "-- NOTE]");
    if ((score = parse_score(pos[1])) < 0)
        return kz_fail(err, KZ_EUSAGE, "score must be a whole number from 0 to 10");
    d = kz_date_today();
    if (date_s != NULL && ((rc = kz_cmd_date_read(st, "--date", date_s, &d, err)) != KZ_OK ||
                           (rc = kz_cmd_date_check(st, "--date", d, 1, yes, err)) != KZ_OK))
        return rc;
    kz_date_format(d, date);
    if ((note = text_opt("--note", note_s != NULL ? note_s : "", TEXT_MAX, err)) == NULL)
        return KZ_EUSAGE;
    if ((rc = load_goal(st, pos[0], id, &hi, &g, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_GOAL, hi.num, gid, sizeof(gid));
    entry = json_pack("{s:s,s:i,s:n,s:O}", "date", date, "score", score, "session", "note",
                      note);
    if (session_s != NULL) {
        if ((rc = kz_rec_find_num(st, KZ_KIND_SESSION, session_s, sid_rec, &shi, err)) != KZ_OK)
            goto out;
        kz_rec_num_text(KZ_KIND_SESSION, shi.num, sid, sizeof(sid));
        if (memcmp(shi.parent, hi.parent, KZ_RECORD_ID_BYTES) != 0) {
            char a[KZ_CODE_MAX + 1], b[KZ_CODE_MAX + 1];
            kz_rec_parent_code(st, shi.parent, a);
            kz_rec_parent_code(st, hi.parent, b);
            rc = kz_fail(err, KZ_EUSAGE, "session %s belongs to couple %s, goal %s to %s", sid,
                         a, gid, b);
            goto out;
        }
        json_object_set_new(entry, "session", json_string(sid));
    }
    progress = json_object_get(g, "progress");
    if (!json_is_array(progress)) {
        json_object_set_new(g, "progress", json_array());
        progress = json_object_get(g, "progress");
    }
    /* Kept sorted by date; an entry joins the others of its day at their end. */
    at = json_array_size(progress);
    json_array_foreach(progress, i, e) {
        const char *ed = json_string_value(json_object_get(e, "date"));
        if (ed != NULL && strcmp(ed, date) > 0) {
            at = i;
            break;
        }
    }
    json_array_insert(progress, at, entry);
    status = json_string_value(json_object_get(g, "status"));
    if ((rc = save_goal(st, id, g, hi.num, hi.parent, err)) != KZ_OK)
        goto out;
    if (status != NULL && strcmp(status, "active") != 0)
        kz_ui_warn(&st->ui, "goal %s is %s; the score was recorded all the same", gid, status);
    kz_ui_done(&st->ui, json_pack("{s:s,s:s,s:i}", "goal", gid, "date", date, "score", score),
               "goal %s: %d on %s", gid, score,
               kz_cmd_date_shown(kz_cmd_date_style(st), date, shown));
out:
    json_decref(entry);
    json_decref(note);
    json_decref(g);
    return rc;
}

/* ---- done, drop ---- */

static int
close_goal(struct kz_state *st, const char *name, int to, int argc, char **argv,
           struct kz_err *err)
{
    const char *date_s = NULL;
    int yes = 0;
    const struct kz_opt opts[] = {{"date", 0, 1, &date_s, NULL},
                                  {"yes", 'y', 0, NULL, &yes},
                                  {NULL, 0, 0, NULL, NULL}};
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
    char *pos[1], gid[16], date[11], shown[11];
    const char *now_name = kz_status_name(to), *was;
    json_t *g = NULL;
    uint32_t d;
    int rc, npos;

    if ((rc = kz_cmd_parse(st, name, argc, argv, opts, pos, 1, &npos, err)) != KZ_OK)
        return rc;
    if (npos != 1)
        return kz_fail(err, KZ_EUSAGE, "usage: %s ID [--date DATE]", name);
    d = kz_date_today();
    if (date_s != NULL && ((rc = kz_cmd_date_read(st, "--date", date_s, &d, err)) != KZ_OK ||
                           (rc = kz_cmd_date_check(st, "--date", d, 1, yes, err)) != KZ_OK))
        return rc;
    kz_date_format(d, date);
    if ((rc = load_goal(st, pos[0], id, &hi, &g, err)) != KZ_OK)
        goto out;
    kz_rec_num_text(KZ_KIND_GOAL, hi.num, gid, sizeof(gid));
    was = json_string_value(json_object_get(g, "status"));
    if (was != NULL && strcmp(was, now_name) == 0) {
        rc = kz_fail(err, KZ_EUSAGE, "goal %s is already %s", gid, now_name);
        goto out;
    }
    json_object_set_new(g, "status", json_string(now_name));
    json_object_set_new(g, "closed", json_string(date));
    if ((rc = save_goal(st, id, g, hi.num, hi.parent, err)) != KZ_OK)
        goto out;
    kz_ui_done(&st->ui, json_pack("{s:s,s:s,s:s}", "goal", gid, "status", now_name, "closed", date),
               "goal %s %s on %s", gid, now_name,
               kz_cmd_date_shown(kz_cmd_date_style(st), date, shown));
out:
    json_decref(g);
    return rc;
}

static int
cmd_done(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return close_goal(st, "goal done", KZ_ST_ACHIEVED, argc, argv, err);
}

static int
cmd_drop(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    return close_goal(st, "goal drop", KZ_ST_DROPPED, argc, argv, err);
}

static const char *const add_opts[] = {"--partner", "--target", "--description", "--yes", NULL};
static const char *const list_opts[] = {"--status", NULL};
static const char *const progress_opts[] = {"--session", "--note", "--date", "--yes", NULL};
static const char *const date_opts[] = {"--date", "--yes", NULL};
static const char *const no_opts[] = {NULL};

const struct kz_cmd_entry kz_cmd_goal_add = {
    "goal add", "CODE TITLE [--partner 1|2] [--target DATE] [--description TEXT]",
    "add a goal for the couple, or for one partner",
    "Or the title after a lone '--', no quoting needed: goal add C014 -- Aiko's goal.\n"
    "TITLE is 1-200 bytes (an empty one: nothing written, exit 1). --partner 1|2 makes\n"
    "it one partner's goal; --target is the date it is hoped for (2026-12-01, 1.12.2026,\n"
    "+12w; more than ten years ahead asks first, scripts say --yes). Goals get short\n"
    "ids (g3) that stay.",
    CMD_NEEDS_KEY | CMD_WRITES, add_opts, cmd_add};
const struct kz_cmd_entry kz_cmd_goal_list = {
    "goal list", "[CODE] [--status active|achieved|dropped|all]",
    "the goals (active ones by default) with their latest score", NULL, CMD_NEEDS_KEY,
    list_opts, cmd_list};
const struct kz_cmd_entry kz_cmd_goal_show = {
    "goal show", "ID", "a goal with its progress as a sparkline", NULL, CMD_NEEDS_KEY, no_opts,
    cmd_show};
const struct kz_cmd_entry kz_cmd_goal_progress = {
    "goal progress", "ID SCORE [--session ID] [--note TEXT] [--date DATE]",
    "record a 0-10 score for a goal (today unless --date)",
    "SCORE is a whole number from 0 to 10. The note may follow a lone '--':\n"
    "goal progress g3 7 -- Jonas' idea. --session links the entry to one of the same\n"
    "couple's sessions. Entries are kept in date order. A --date more than a day ahead\n"
    "or before 1950 asks first; scripts say --yes.",
    CMD_NEEDS_KEY | CMD_WRITES, progress_opts, cmd_progress};
const struct kz_cmd_entry kz_cmd_goal_done = {
    "goal done", "ID [--date DATE]", "mark a goal achieved", NULL, CMD_NEEDS_KEY | CMD_WRITES,
    date_opts, cmd_done};
const struct kz_cmd_entry kz_cmd_goal_drop = {
    "goal drop", "ID [--date DATE]", "mark a goal dropped (it stays on record)", NULL,
    CMD_NEEDS_KEY | CMD_WRITES, date_opts, cmd_drop};
