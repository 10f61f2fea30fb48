/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Records for the commands: lookups over the heads index, JSON bodies in and out. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/wipe.h"
#include "kizuna/model_couple.h"
#include "kizuna/secmem.h"
#include "cmds.h"

/* The heads of one kind (any: kind < 0), short id (any: want 0) and parent
 * (any: NULL), decoded, to cb; the others are only peeked at. */
static int
scan(struct kz_state *st, int kind, uint32_t want, const unsigned char *parent,
     int (*cb)(void *ctx, const unsigned char *id, const struct kz_head_info *hi), void *ctx,
     struct kz_err *err)
{
    const struct kz_head *heads;
    const unsigned char *par;
    struct kz_head_info hi;
    size_t n, i;
    uint32_t num;
    int rc, k, peek = kind >= 0 || parent != NULL;

    if ((rc = kz_vault_heads(st->vault, &heads, &n, err)) != KZ_OK)
        return rc;
    for (i = 0; i < n; i++) {
        if (peek && kz_head_peek(heads[i].data, heads[i].len, &k, &num, &par) == 0 &&
            ((kind >= 0 && k != kind) || (want != 0 && num != want) ||
             (parent != NULL && memcmp(par, parent, KZ_RECORD_ID_BYTES) != 0)))
            continue;
        if (kz_head_decode(heads[i].data, heads[i].len, &hi) != 0)
            return kz_rec_malformed(&heads[i], err);
        if ((rc = cb(ctx, heads[i].id, &hi)) != 0)
            return rc;
    }
    return KZ_OK;
}

int
kz_rec_scan(struct kz_state *st,
            int (*cb)(void *ctx, const unsigned char *id, const struct kz_head_info *hi),
            void *ctx, struct kz_err *err)
{
    return scan(st, -1, 0, NULL, cb, ctx, err);
}

int
kz_rec_scan_kind(struct kz_state *st, int kind, const unsigned char *parent,
                 int (*cb)(void *ctx, const unsigned char *id, const struct kz_head_info *hi),
                 void *ctx, struct kz_err *err)
{
    return scan(st, kind, 0, parent, cb, ctx, err);
}

void
kz_idmap_build(struct kz_idmap *m, const void *items, size_t n, size_t stride)
{
    size_t size = 16, i, k;
    uint64_t h;

    while (size < 2 * n)
        size *= 2;
    m->slot = kz_xcalloc(size, sizeof(*m->slot));
    m->mask = size - 1;
    m->items = items;
    m->stride = stride;
    for (i = 0; i < n; i++) {
        memcpy(&h, (const unsigned char *)items + i * stride, sizeof(h));
        for (k = (size_t)h & m->mask; m->slot[k] != 0; k = (k + 1) & m->mask)
            ;
        m->slot[k] = (uint32_t)i + 1;
    }
}

void *
kz_idmap_find(const struct kz_idmap *m, const unsigned char *id)
{
    uint64_t h;
    size_t k;

    memcpy(&h, id, sizeof(h));
    for (k = (size_t)h & m->mask; m->slot[k] != 0; k = (k + 1) & m->mask) {
        const unsigned char *item = m->items + (size_t)(m->slot[k] - 1) * m->stride;
        if (memcmp(item, id, KZ_RECORD_ID_BYTES) == 0)
            return (void *)(uintptr_t)item;
    }
    return NULL;
}

void
kz_idmap_free(struct kz_idmap *m)
{
    free(m->slot);
    memset(m, 0, sizeof(*m));
}

struct children {
    const unsigned char *parent;
    struct kz_rec_child *c;
    size_t n, cap;
};

static int
collect_child(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct children *ch = ctx;

    if (!kz_couple_is_child(hi) ||
        (ch->parent != NULL && memcmp(hi->parent, ch->parent, KZ_RECORD_ID_BYTES) != 0))
        return 0;
    if (ch->n == ch->cap) {
        size_t cap = ch->cap ? ch->cap * 2 : 64;
        ch->c = kz_wipe_grow(ch->c, ch->cap * sizeof(*ch->c), cap * sizeof(*ch->c));
        ch->cap = cap;
    }
    memcpy(ch->c[ch->n].id, id, KZ_RECORD_ID_BYTES);
    ch->c[ch->n].hi = *hi;
    ch->n++;
    return 0;
}

int
kz_rec_children(struct kz_state *st, const unsigned char *couple, struct kz_rec_child **out,
                size_t *n, struct kz_err *err)
{
    struct children ch = {couple, NULL, 0, 0};
    int rc = kz_rec_scan(st, collect_child, &ch, err);

    if (rc != KZ_OK) {
        kz_wipe_free(ch.c, ch.n * sizeof(*ch.c));
        ch.c = NULL;
        ch.n = 0;
    }
    *out = ch.c;
    *n = ch.n;
    return rc;
}

struct find {
    int kind;
    const char *code;
    uint32_t num;
    unsigned char *id;
    struct kz_head_info *hi;
};

static int
match(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct find *f = ctx;

    if (hi->kind != f->kind)
        return 0;
    if (f->code != NULL && strcmp(hi->code, f->code) != 0)
        return 0;
    if (f->num != 0 && hi->num != f->num)
        return 0;
    memcpy(f->id, id, KZ_RECORD_ID_BYTES);
    if (f->hi != NULL)
        *f->hi = *hi;
    return 1;
}

static int
find(struct kz_state *st, struct find *f, struct kz_err *err)
{
    const struct kz_head *h;
    struct kz_head_info hi;
    uint32_t count = 0;
    int rc, known = 0;

    /* By short id: from the lookups kept, unless they cannot say which head. */
    if (f->num != 0 && f->code == NULL) {
        if ((rc = kz_recix_num(st, f->kind, f->num, &count, f->id, &known, err)) != KZ_OK)
            return rc;
        if (count == 0)
            return KZ_ENOTFOUND;
        if (known && (h = kz_vault_head(st->vault, f->id)) != NULL) {
            if (kz_head_decode(h->data, h->len, &hi) != 0)
                return kz_rec_malformed(h, err);
            if (f->hi != NULL)
                *f->hi = hi;
            return KZ_OK;
        }
    }
    rc = scan(st, f->kind, f->num, NULL, match, f, err);
    return rc == 1 ? KZ_OK : rc != KZ_OK ? rc : KZ_ENOTFOUND;
}

int
kz_rec_find_kind(struct kz_state *st, int kind, unsigned char *id, struct kz_head_info *hi,
                 struct kz_err *err)
{
    struct find f = {kind, NULL, 0, id, hi};

    return find(st, &f, err);
}

/* The couples whose code equals code without regard to case. */
struct couple_find {
    const char *code;
    unsigned char *id;
    struct kz_head_info *hi;
    int n, exact;             /* matches; one matched byte for byte */
    char names[160];          /* their codes, for the message */
};

static int
match_couple(void *ctx, const unsigned char *id, const struct kz_head_info *hi)
{
    struct couple_find *f = ctx;
    size_t used;

    if (hi->kind != KZ_KIND_COUPLE || strcasecmp(hi->code, f->code) != 0)
        return 0;
    used = strlen(f->names);
    snprintf(f->names + used, sizeof(f->names) - used, "%s%s", used ? ", " : "", hi->code);
    /* The first match, or the byte-exact one (kz_rec_find_couple_exact). */
    if (f->n++ == 0 || (!f->exact && strcmp(hi->code, f->code) == 0)) {
        memcpy(f->id, id, KZ_RECORD_ID_BYTES);
        if (f->hi != NULL)
            *f->hi = *hi;
    }
    if (strcmp(hi->code, f->code) == 0)
        f->exact = 1;
    return 0;
}

static int
find_couple(struct kz_state *st, const char *code, int exact_wins, unsigned char *id,
            struct kz_head_info *hi, struct kz_err *err)
{
    unsigned char scratch[KZ_RECORD_ID_BYTES];
    const unsigned char(*couples)[KZ_RECORD_ID_BYTES];
    struct couple_find f;
    size_t n, i;
    int rc;

    memset(&f, 0, sizeof(f));
    f.code = code;
    f.id = id != NULL ? id : scratch;
    f.hi = hi;
    /* The couples alone, from the lookups kept (not a scan of every head). */
    if ((rc = kz_recix_couples(st, &couples, &n, err)) != KZ_OK)
        return rc;
    for (i = 0; i < n; i++) {
        const struct kz_head *h = kz_vault_head(st->vault, couples[i]);
        struct kz_head_info chi;
        if (h == NULL)
            return kz_fail(err, KZ_ERR, "internal error: a couple kept is not in the heads");
        if (kz_head_decode(h->data, h->len, &chi) != 0)
            return kz_rec_malformed(h, err);
        match_couple(&f, couples[i], &chi);
    }
    if (f.n == 0)
        return kz_fail(err, KZ_ENOTFOUND, "no couple %s (see 'couple list')", code);
    if (f.n > 1 && !(exact_wins && f.exact))
        return kz_fail(err, KZ_ERR,
                       "couple code %s is ambiguous: %s differ only in case (made before "
                       "codes ignored case); export one by its exact code, import it with "
                       "--as NEWCODE, then 'couple delete' it by its exact code",
                       code, f.names);
    return KZ_OK;
}

int
kz_rec_find_couple(struct kz_state *st, const char *code, unsigned char *id,
                   struct kz_head_info *hi, struct kz_err *err)
{
    return find_couple(st, code, 0, id, hi, err);
}

int
kz_rec_find_couple_exact(struct kz_state *st, const char *code, unsigned char *id,
                         struct kz_head_info *hi, struct kz_err *err)
{
    return find_couple(st, code, 1, id, hi, err);
}

int
kz_rec_find_num(struct kz_state *st, int kind, const char *arg, unsigned char *id,
                struct kz_head_info *hi, struct kz_err *err)
{
    const char *what = kind == KZ_KIND_SESSION ? "session"
                       : kind == KZ_KIND_SCORE ? "score"
                                               : "goal";
    const char *prefixes = kind == KZ_KIND_SESSION ? "s" : kind == KZ_KIND_SCORE ? "r" : "g";
    char prefix = prefixes[0];
    const char *p = arg;
    char *end;
    unsigned long v;
    struct find f = {kind, NULL, 0, id, hi};
    int rc;

    if (*p == prefix || *p == (char)(prefix - 32))
        p++;
    v = (*p >= '1' && *p <= '9') ? strtoul(p, &end, 10) : 0;
    if (v == 0 || *end != '\0' || v > 0xffffffffUL)
        return kz_fail(err, KZ_EUSAGE, "'%s' is not a %s id (like %c12)", arg, what, prefix);
    f.num = (uint32_t)v;
    rc = find(st, &f, err);
    if (rc == KZ_ENOTFOUND)
        kz_fail(err, KZ_ENOTFOUND, "no %s %c%lu", what, prefix, v);
    return rc;
}

void
kz_rec_parent_code(struct kz_state *st, const unsigned char *parent, char *code)
{
    const struct kz_head *h = kz_vault_head(st->vault, parent);
    struct kz_head_info hi;

    if (h != NULL && kz_head_decode(h->data, h->len, &hi) == 0 && hi.kind == KZ_KIND_COUPLE) {
        memcpy(code, hi.code, sizeof(hi.code));
        return;
    }
    code[0] = '?';
    code[1] = '\0';
}

int
kz_rec_load_as(struct kz_state *st, const unsigned char *id,
               int (*decode)(const char *text, size_t len, json_t **out, struct kz_err *err),
               json_t **doc, struct kz_err *err)
{
    char *body = NULL, hex[17];
    size_t len = 0;
    int rc;

    *doc = NULL;
    if ((rc = kz_vault_record_get(st->vault, id, &body, &len, err)) != KZ_OK)
        return rc;
    rc = decode(body, len, doc, err);
    kz_vault_plain_free(body, len);
    if (rc != KZ_OK && err != NULL) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        kz_hex(id, 8, hex);
        kz_fail(err, rc, "record %s: %s", hex, msg);
    }
    return rc;
}

int
kz_rec_doc(const unsigned char *id, const char *body, size_t len, json_t **doc,
           struct kz_err *err)
{
    json_error_t jerr;

    *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(*doc)) {
        char hex[17];
        json_decref(*doc);
        *doc = NULL;
        kz_hex(id, 8, hex);
        return kz_fail(err, KZ_EINTEGRITY, "record %s does not hold a JSON document", hex);
    }
    return KZ_OK;
}

int
kz_rec_load(struct kz_state *st, const unsigned char *id, json_t **doc, struct kz_err *err)
{
    char *body = NULL;
    size_t len = 0;
    int rc;

    *doc = NULL;
    if ((rc = kz_vault_record_get(st->vault, id, &body, &len, err)) != KZ_OK)
        return rc;
    rc = kz_rec_doc(id, body, len, doc, err);
    kz_vault_plain_free(body, len);
    return rc;
}

int
kz_rec_couple_closed(struct kz_state *st, const unsigned char *couple, char *code)
{
    const struct kz_head *h = kz_vault_head(st->vault, couple);
    struct kz_head_info ci;

    if (h == NULL || kz_head_decode(h->data, h->len, &ci) != 0 ||
        ci.kind != KZ_KIND_COUPLE || ci.status != KZ_ST_CLOSED)
        return 0;
    if (code != NULL)
        memcpy(code, ci.code, sizeof(ci.code));
    return 1;
}

int
kz_rec_child_writable(struct kz_state *st, const struct kz_head_info *hi, struct kz_err *err)
{
    char code[KZ_CODE_MAX + 1];

    if (!kz_couple_is_child(hi) || !kz_rec_couple_closed(st, hi->parent, code))
        return KZ_OK;
    return kz_fail(err, KZ_ERR, "%s is closed (archived): couple reopen %s to change it", code,
                   code);
}

int
kz_rec_save(struct kz_state *st, const unsigned char *id, const struct kz_head_info *hi,
            json_t *doc, struct kz_err *err)
{
    unsigned char head[KZ_HEAD_MAX];
    size_t hlen;
    char *text;
    int rc;

    /* A closed couple is archived: no session, goal or score of it changes. */
    if ((rc = kz_rec_child_writable(st, hi, err)) != KZ_OK)
        return rc;
    hlen = kz_head_encode(hi, head);
    text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (text == NULL)
        kz_die("out of memory");
    rc = kz_vault_record_put(st->vault, id, head, hlen, text, strlen(text), err);
    kz_json_free(text);
    return rc;
}

void
kz_rec_num_text(int kind, uint32_t num, char *buf, size_t size)
{
    snprintf(buf, size, "%c%u",
             kind == KZ_KIND_SESSION ? 's' : kind == KZ_KIND_SCORE ? 'r' : 'g', num);
}
