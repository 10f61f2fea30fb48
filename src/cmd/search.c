/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search: every note, process note, goal and profile field, opened in memory
 * and matched there. A shell or a script keeps an index of their words in
 * memory (model_search_index.h) from its first search on, brought up to the
 * vault's committed state at every search and wiped whenever the vault locks;
 * a single command from the command line walks every record instead. Nothing
 * about a search is ever written anywhere. */
#include <malloc.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kizuna/model_search_index.h"
#include "kizuna/model_session.h"
#include "kizuna/secmem.h"
#include "kizuna/wipe.h"
#include "cmds.h"
#include "goal.h"

#define SNIPPET_WIDTH 34

#define TERMS_MAX 16  /* words or phrases in one search */
#define SPANS_MAX 64  /* matches marked in one field */

/* The kinds of field (struct field.kind, kz_sfield.kind). */
enum { F_NOTE = 1, F_PROCESS, F_INTERVENTIONS, F_HOMEWORK, F_ADDENDUM, F_GOAL, F_GOAL_DESC,
       F_PROGRESS, F_PROFILE };
static const char *const where_of[] = {"",         "note",          "process notes",
                                       "interventions", "homework", "addendum",
                                       "goal",     "goal description", "goal progress", ""};

/* The index a shell or script keeps (struct kz_state.search). */
struct kz_search_cache {
    struct kz_vault *vault; /* the vault it indexes */
    struct kz_sindex *ix;   /* NULL until built (the second search, or idle time) */
    uint64_t digest[2];     /* of every head's (id, version) when last brought up to date */
    size_t nheads;
    int complete;           /* ix holds every record (digest is then valid) */
    size_t cursor;          /* the idle build's place in the heads */
    int idle_off;           /* the idle build met a record it could not read: the next
                               search reports it; no more idle building */
};

/* One row to be: where it sorts, and its text once made. */
struct hit {
    char code[KZ_CODE_MAX + 1];
    char id[16];
    uint32_t sortdate;
    const char *where;
    unsigned char rec[KZ_RECORD_ID_BYTES]; /* the record, to open it for the row */
    uint8_t kind;
    uint16_t ord;
    json_t *row; /* made in the walk, or NULL: open the record */
    char *where_own; /* a profile value's where, when no row holds it */
};

struct search {
    struct kz_state *st;
    const char *terms[TERMS_MAX]; /* every one must occur in the record (AND) */
    size_t nterms;
    int raw_test[TERMS_MAX]; /* the term reads the same inside JSON: test the body first */
    int all;                 /* --all: voided notes too */
    int archived;            /* --archived (or --couple): closed couples' records too */
    size_t left_out;         /* matches in closed couples' records left out (under mu) */
    size_t nrecords;         /* records with rows (under mu) */
    const unsigned char *couple; /* NULL: every couple */
    int sessions_only;           /* --theme, --from or --to given */
    const char *theme;
    uint32_t from, to;
    int style; /* how the DATE column shows dates (KZ_DATE_*) */
    const char *open, *close;
    struct hit *hits;
    size_t nhits, caphits;
    struct kz_sindex *build; /* the walk indexes every record into it (under mu) */
    long limit;              /* rows shown (0: all): the walk makes only those it must */
    struct parent {          /* couples' codes and status by id (index_hits, one thread) */
        unsigned char id[KZ_RECORD_ID_BYTES];
        char code[KZ_CODE_MAX + 1];
        int closed, used;
    } parents[256];
    pthread_mutex_t mu; /* visit runs on two threads: hits are shared */
    struct kz_err bad;  /* a note the model refused (under mu) */
};

/* One searchable field of a record, and where its row points. */
struct field {
    const char *text, *id, *date, *where;
    char where_buf[96];
    uint32_t sortdate;
    uint8_t kind;
    uint16_t ord;
    uint64_t found; /* bit t: term t occurs in it */
    char *own;      /* text is this copy (a profile value lives only in its callback) */
};

struct record {
    const char *code;
    int archived;    /* a closed couple's record */
    struct field *f; /* field names and pointers into the document only */
    size_t n, cap;
    uint16_t nprofile; /* profile values seen (the ordinal of the next) */
};

/* A record opened and read into fields (they point into what it keeps). */
struct opened {
    struct record r;
    struct kz_session n;
    int has_n;
    json_t *doc;
    struct kz_goal g;
    char (*dates)[11];
    char code[KZ_CODE_MAX + 1], sid[16], date[11];
};

static struct field *
next_field(struct record *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->f = kz_xrealloc(r->f, r->cap * sizeof(*r->f));
    }
    return &r->f[r->n];
}

static void
add_field(struct record *r, const char *text, const char *id, const char *date, int kind,
          size_t ord, uint32_t sortdate)
{
    struct field *f;

    if (text == NULL || *text == '\0')
        return;
    f = next_field(r);
    r->n++;
    f->text = text;
    f->id = id;
    f->date = date != NULL ? date : "";
    f->where = kind == F_PROFILE ? NULL : where_of[kind];
    f->kind = (uint8_t)kind;
    f->ord = (uint16_t)ord;
    f->sortdate = sortdate;
    f->found = 0;
    f->own = NULL;
}

static void
profile_field(void *ctx, const char *field, const char *value)
{
    struct record *r = ctx;
    struct field *f;
    uint16_t ord = r->nprofile++;

    if (value == NULL || *value == '\0')
        return;
    f = next_field(r); /* room for it, so add_field fills this one */
    snprintf(f->where_buf, sizeof(f->where_buf), "profile %s", field);
    add_field(r, value, "", "", F_PROFILE, ord, 0); /* where NULL: where_buf (the array may move) */
    f->own = kz_xstrdup(value);
    f->text = f->own;
}

static const char *
where_text(const struct field *f)
{
    return f->where != NULL ? f->where : f->where_buf;
}

static void
opened_free(struct opened *o)
{
    size_t i;

    for (i = 0; i < o->r.n; i++) {
        if (o->r.f[i].own != NULL)
            kz_wipe_free(o->r.f[i].own, strlen(o->r.f[i].own));
    }
    kz_wipe_free(o->r.f, o->r.cap * sizeof(*o->r.f));
    if (o->has_n)
        kz_session_free(&o->n);
    kz_goal_free(&o->g);
    free(o->dates);
    json_decref(o->doc);
    memset(o, 0, sizeof(*o));
}

/* Reads a searchable record's body into o's fields: 0, or KZ_EINTEGRITY for a
 * note the model refuses (s->bad names it). A goal or profile the model does
 * not read has no fields, as a body that is not JSON. */
static int
record_open(struct search *s, const unsigned char *id, const struct kz_head_info *hi,
            const char *body, size_t bodylen, struct opened *o)
{
    struct kz_err e;
    char what[32];
    size_t i;

    memset(o, 0, sizeof(*o));
    memset(&o->g, 0, sizeof(o->g));
    o->r.archived = hi->kind == KZ_KIND_COUPLE ? hi->status == KZ_ST_CLOSED
                                               : kz_rec_couple_closed(s->st, hi->parent, NULL);
    if (hi->kind == KZ_KIND_COUPLE) {
        snprintf(o->code, sizeof(o->code), "%s", hi->code);
        o->r.code = o->code;
        (void)id;
        if ((o->doc = json_loadb(body, bodylen, 0, NULL)) != NULL)
            kz_couple_fields(o->doc, profile_field, &o->r);
        return 0;
    }
    kz_rec_parent_code(s->st, hi->parent, o->code);
    o->r.code = o->code;
    kz_rec_num_text(hi->kind, hi->num, o->sid, sizeof(o->sid));
    kz_date_format(hi->date, o->date);
    if (hi->kind == KZ_KIND_SESSION) {
        snprintf(what, sizeof(what), "session %s", o->sid);
        if (kz_session_parse(body, bodylen, KZ_SESSION_SEALED, what, &o->n, &e) != KZ_OK) {
            pthread_mutex_lock(&s->mu);
            if (s->bad.code == KZ_OK)
                s->bad = e;
            pthread_mutex_unlock(&s->mu);
            return KZ_EINTEGRITY;
        }
        o->has_n = 1;
        add_field(&o->r, o->n.text, o->sid, o->date, F_NOTE, 0, hi->date);
        add_field(&o->r, o->n.process_notes, o->sid, o->date, F_PROCESS, 0, hi->date);
        add_field(&o->r, o->n.interventions, o->sid, o->date, F_INTERVENTIONS, 0, hi->date);
        add_field(&o->r, o->n.homework, o->sid, o->date, F_HOMEWORK, 0, hi->date);
        for (i = 0; i < o->n.naddenda; i++)
            add_field(&o->r, o->n.addenda[i].text, o->sid, o->n.addenda[i].date, F_ADDENDUM, i,
                      hi->date);
        return 0;
    }
    if ((o->doc = json_loadb(body, bodylen, 0, NULL)) == NULL ||
        kz_goal_decode(o->doc, KZ_GOAL_SEALED, "goal", &o->g, NULL) != KZ_OK)
        return 0;
    o->dates = kz_xcalloc(o->g.nprogress + 1, sizeof(*o->dates));
    add_field(&o->r, o->g.title, o->sid, "", F_GOAL, 0, 0);
    add_field(&o->r, o->g.description, o->sid, "", F_GOAL_DESC, 0, 0);
    for (i = 0; i < o->g.nprogress; i++) {
        kz_date_format(o->g.progress[i].date, o->dates[i]);
        add_field(&o->r, o->g.progress[i].note, o->sid, o->dates[i], F_PROGRESS, i,
                  o->g.progress[i].date);
    }
    return 0;
}

static void
push_hit(struct search *s, const struct record *r, const struct field *f, const unsigned char *rec,
         json_t *row)
{
    struct hit *h;

    if (s->nhits == s->caphits) {
        size_t ncap = s->caphits ? s->caphits * 2 : 256;
        s->hits = kz_wipe_grow(s->hits, s->caphits * sizeof(*s->hits), ncap * sizeof(*s->hits));
        s->caphits = ncap;
    }
    h = &s->hits[s->nhits++];
    memset(h, 0, sizeof(*h));
    memcpy(h->code, r->code, strnlen(r->code, sizeof(h->code) - 1)); /* h is zeroed */
    memcpy(h->id, f->id, strnlen(f->id, sizeof(h->id) - 1));
    h->sortdate = f->sortdate;
    h->where = f->where;
    if (f->where == NULL && row != NULL)
        h->where = json_string_value(json_object_get(row, "where"));
    else if (f->where == NULL)
        h->where = h->where_own = kz_xstrdup(f->where_buf);
    memcpy(h->rec, rec, KZ_RECORD_ID_BYTES);
    h->kind = f->kind;
    h->ord = f->ord;
    h->row = row;
}

/* The row of field f (its snippet marking every term). */
static json_t *
make_row(struct search *s, const struct record *r, const struct field *f)
{
    struct kz_span spans[SPANS_MAX];
    uint64_t found;
    size_t nspans;
    char *snip, shown[11];
    const char *date;
    json_t *row;

    nspans = kz_find_spans(f->text, strlen(f->text), s->terms, s->nterms, spans, SPANS_MAX,
                           &found);
    if (nspans == 0)
        return NULL;
    snip = kz_snippet_spans(f->text, spans, nspans, SNIPPET_WIDTH, s->open, s->close);
    date = kz_cmd_date_shown(s->style, f->date, shown);
    row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s%}", "couple", r->code, "id", f->id, "date", date,
                    "where", where_text(f), "snippet", snip, "match",
                    f->text + spans[0].off, spans[0].len);
    sodium_memzero(snip, strlen(snip));
    free(snip);
    return row;
}

/* A record matches when every term occurs in one of its fields (not
 * necessarily the same one); then each field holding a term is a row. rows:
 * make each row now (else the hit is opened again if shown). */
static void
match_record(struct search *s, struct record *r, const unsigned char *rec, int rows)
{
    struct kz_span spans[1];
    uint64_t all = 0, want;
    size_t i, nrows = 0;

    want = s->nterms >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << s->nterms) - 1;
    for (i = 0; i < r->n; i++) {
        (void)kz_find_spans(r->f[i].text, strlen(r->f[i].text), s->terms, s->nterms, spans, 0,
                            &r->f[i].found);
        all |= r->f[i].found;
    }
    if (all != want)
        return;
    if (r->archived && !s->archived) {
        /* A closed couple is archived: its matches are counted, not shown. */
        for (i = 0; i < r->n; i++)
            nrows += r->f[i].found != 0;
        pthread_mutex_lock(&s->mu);
        s->left_out += nrows;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    for (i = 0; i < r->n; i++) {
        json_t *row = NULL;
        if (r->f[i].found == 0)
            continue;
        if (rows && (row = make_row(s, r, &r->f[i])) == NULL)
            continue;
        pthread_mutex_lock(&s->mu);
        push_hit(s, r, &r->f[i], rec, row);
        s->nrecords += nrows++ == 0;
        pthread_mutex_unlock(&s->mu);
    }
}

/* Whether the search's options keep the record out (from its head). */
static int
filtered_out(const struct search *s, const unsigned char *id, const struct kz_head_info *hi)
{
    if (hi->kind == KZ_KIND_SESSION && (hi->flags & KZ_HF_VOID) && !s->all)
        return 1;
    if (s->couple != NULL &&
        memcmp(hi->kind == KZ_KIND_COUPLE ? id : hi->parent, s->couple, KZ_RECORD_ID_BYTES) != 0)
        return 1;
    if (s->sessions_only)
        return hi->kind != KZ_KIND_SESSION || (s->from && hi->date < s->from) ||
               (s->to && hi->date > s->to) ||
               (s->theme != NULL && !kz_head_has_tag(hi->tags, s->theme));
    return 0;
}

static int
searchable(int kind)
{
    return kind == KZ_KIND_SESSION || kind == KZ_KIND_GOAL || kind == KZ_KIND_COUPLE;
}

/* A record's fields into a document for the index. */
static struct kz_sdoc *
record_doc(const unsigned char *id, uint64_t ver, const struct record *r)
{
    struct kz_sdoc *d = kz_sdoc_new(id, ver);
    size_t i;

    for (i = 0; i < r->n; i++) {
        const struct field *f = &r->f[i];
        kz_sdoc_field(d, f->text, strlen(f->text), f->kind, f->ord, f->sortdate, 0,
                      f->kind == F_PROFILE ? f->where_buf : NULL);
    }
    return d;
}

static int
visit(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
      const char *body, size_t bodylen)
{
    struct search *s = ctx;
    struct kz_head_info hi;
    struct opened o;
    size_t mlen, i;
    int rc, out;

    if (kz_head_decode(head, headlen, &hi) != 0 || !searchable(hi.kind))
        return 0;
    out = filtered_out(s, id, &hi);
    if (s->build == NULL) {
        if (out)
            return 0;
        /* Cheap test on the whole document first: most records lack a term. */
        for (i = 0; i < s->nterms; i++) {
            if (s->raw_test[i] && kz_find_folded(body, bodylen, s->terms[i], &mlen) < 0)
                return 0;
        }
    }
    if ((rc = record_open(s, id, &hi, body, bodylen, &o)) != 0) {
        opened_free(&o);
        return rc;
    }
    if (s->build != NULL) {
        /* Every searchable record goes in, whatever this search asks. */
        const struct kz_head *h = kz_vault_head(s->st->vault, id);
        struct kz_sdoc *d = record_doc(id, h != NULL ? h->ver : 0, &o.r);
        pthread_mutex_lock(&s->mu);
        kz_sindex_put(s->build, d);
        pthread_mutex_unlock(&s->mu);
        kz_sdoc_free(d);
    }
    if (!out)
        match_record(s, &o.r, id, s->limit == 0);
    opened_free(&o);
    return 0;
}

/* ---- the index: kept, brought up to date, wiped ---- */

static void
lock_hook(void *ctx)
{
    kz_search_forget(ctx);
}

void
kz_search_forget(struct kz_state *st)
{
    if (st->search == NULL)
        return;
    kz_sindex_free(st->search->ix);
    sodium_memzero(st->search, sizeof(*st->search));
    free(st->search);
    st->search = NULL;
}

static uint64_t
mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Every head's (id, version), in any order, summed into two lanes: unchanged
 * sums mean an unchanged set of records (ids are random, versions grow). */
static void
heads_digest(const struct kz_head *heads, size_t n, uint64_t d[2])
{
    size_t i;

    d[0] = d[1] = 0;
    for (i = 0; i < n; i++) {
        uint64_t a, b;
        memcpy(&a, heads[i].id, 8);
        memcpy(&b, heads[i].id + 8, 8);
        d[0] += mix64(a ^ mix64(heads[i].ver));
        d[1] += mix64(b + heads[i].ver * 0x9e3779b97f4a7c15ULL);
    }
}

/* Opens one record and puts it in the index (in place of what it had). */
static int
index_one(struct search *s, struct kz_sindex *ix, const struct kz_head *h, struct kz_err *err)
{
    struct kz_head_info hi;
    struct opened o;
    struct kz_sdoc *doc;
    char *body = NULL;
    size_t blen = 0;
    int rc;

    if (kz_head_decode(h->data, h->len, &hi) != 0)
        return KZ_OK;
    if ((rc = kz_vault_record_get(s->st->vault, h->id, &body, &blen, err)) != KZ_OK)
        return rc;
    if ((rc = record_open(s, h->id, &hi, body, blen, &o)) != 0) {
        *err = s->bad;
    } else {
        doc = record_doc(h->id, h->ver, &o.r);
        kz_sindex_put(ix, doc);
        kz_sdoc_free(doc);
    }
    opened_free(&o);
    kz_vault_plain_free(body, blen);
    return rc;
}

/* Indexes the record of h when the index lacks it or holds an older version
 * (and it is of a kind search reads); *slot: where the index had it, or -1. */
static int
index_if_stale(struct search *s, struct kz_sindex *ix, const struct kz_head *h, long *slot,
               struct kz_err *err)
{
    uint64_t ver;
    uint32_t num;
    int kind;

    *slot = kz_sindex_find(ix, h->id, &ver);
    if ((*slot >= 0 && ver == h->ver) || kz_head_peek(h->data, h->len, &kind, &num, NULL) != 0 ||
        !searchable(kind))
        return KZ_OK;
    return index_one(s, ix, h, err);
}

/* Brings the index up to the heads: records new or changed since are opened
 * and indexed again, records gone are dropped. */
static int
refresh(struct search *s, struct kz_search_cache *c, const struct kz_head *heads, size_t n,
        struct kz_err *err)
{
    struct kz_sindex *ix = c->ix;
    unsigned char *seen;
    uint64_t d[2];
    size_t i, nrecs;
    long slot;
    int rc = KZ_OK;

    heads_digest(heads, n, d);
    if (n == c->nheads && d[0] == c->digest[0] && d[1] == c->digest[1])
        return KZ_OK;
    nrecs = kz_sindex_nrecs(ix);
    seen = kz_xcalloc(nrecs + 1, 1);
    for (i = 0; i < n && rc == KZ_OK; i++) {
        rc = index_if_stale(s, ix, &heads[i], &slot, err);
        if (slot >= 0 && (size_t)slot < nrecs)
            seen[slot] = 1;
    }
    for (i = 0; i < nrecs && rc == KZ_OK; i++) {
        const unsigned char *id;
        if (!seen[i] && kz_sindex_rec(ix, i, &id, NULL, NULL, NULL)) {
            unsigned char copy[KZ_RECORD_ID_BYTES];
            memcpy(copy, id, sizeof(copy));
            kz_sindex_drop(ix, copy);
        }
    }
    free(seen);
    if (rc != KZ_OK)
        return rc;
    (void)kz_sindex_compact(ix);
    c->digest[0] = d[0];
    c->digest[1] = d[1];
    c->nheads = n;
    return KZ_OK;
}

/* A couple's code and whether it is closed, from its head (remembered for
 * the search: most records share a few couples). */
static void
parent_info(struct search *s, const unsigned char *parent, char *code, int *closed)
{
    size_t k, i;
    uint64_t h;

    memcpy(&h, parent, sizeof(h));
    for (i = 0, k = (size_t)h & 255; i < 256; i++, k = (k + 1) & 255) {
        struct parent *p = &s->parents[k];
        if (p->used && memcmp(p->id, parent, KZ_RECORD_ID_BYTES) == 0) {
            memcpy(code, p->code, sizeof(p->code));
            *closed = p->closed;
            return;
        }
        if (!p->used) {
            kz_rec_parent_code(s->st, parent, p->code);
            p->closed = kz_rec_couple_closed(s->st, parent, NULL);
            memcpy(p->id, parent, KZ_RECORD_ID_BYTES);
            p->used = 1;
            memcpy(code, p->code, sizeof(p->code));
            *closed = p->closed;
            return;
        }
    }
    kz_rec_parent_code(s->st, parent, code);
    *closed = kz_rec_couple_closed(s->st, parent, NULL);
}

/* The hits of the index: candidate fields from the words, records kept out
 * by the options dropped from their heads, records opened where a term's
 * answer is only a superset. */
static int
index_hits(struct search *s, struct kz_sindex *ix, struct kz_err *err)
{
    size_t nw = kz_sindex_bitmap_words(ix), t, w, f;
    uint64_t *bits = kz_xcalloc(s->nterms * nw + 1, sizeof(*bits));
    uint64_t *any = kz_xcalloc(nw + 1, sizeof(*any));
    int exact = 1, rc = KZ_OK;

    for (t = 0; t < s->nterms; t++) {
        if (kz_sindex_term(ix, s->terms[t], bits + t * nw) != 1)
            exact = 0;
        for (w = 0; w < nw; w++)
            any[w] |= bits[t * nw + w];
    }
    for (w = 0; w < nw && rc == KZ_OK; w++) {
        while (any[w] != 0 && rc == KZ_OK) {
            const struct kz_sfield *sf;
            const struct kz_head *h;
            const unsigned char *id;
            struct kz_head_info hi;
            uint32_t first, n, k;
            uint64_t mask = 0;
            f = w * 64 + (size_t)__builtin_ctzll(any[w]);
            any[w] &= ~((uint64_t)1 << (f % 64));
            sf = kz_sindex_field(ix, f);
            if (sf->dead)
                continue; /* its record changed: its fields now are others */
            (void)kz_sindex_rec(ix, sf->rec, &id, NULL, &first, &n);
            /* The record's fields are first .. first+n-1: all taken now. */
            for (k = first; k < first + n; k++)
                any[k / 64] &= ~((uint64_t)1 << (k % 64));
            if ((h = kz_vault_head(s->st->vault, id)) == NULL ||
                kz_head_decode(h->data, h->len, &hi) != 0 || filtered_out(s, id, &hi))
                continue;
            for (k = first; k < first + n; k++) {
                for (t = 0; t < s->nterms; t++) {
                    if ((bits[t * nw + k / 64] >> (k % 64)) & 1)
                        mask |= (uint64_t)1 << t;
                }
            }
            if (mask != (s->nterms >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << s->nterms) - 1))
                continue;
            if (!exact) {
                /* Open it: the words only say where the terms may be. */
                struct opened o;
                char *body = NULL;
                size_t blen = 0;
                if ((rc = kz_vault_record_get(s->st->vault, id, &body, &blen, err)) != KZ_OK)
                    break;
                if ((rc = record_open(s, id, &hi, body, blen, &o)) != 0)
                    *err = s->bad;
                else
                    match_record(s, &o.r, id, 0);
                opened_free(&o);
                kz_vault_plain_free(body, blen);
                continue;
            }
            {
                struct record r;
                struct field fl;
                char code[KZ_CODE_MAX + 1], sid[16];
                size_t rows = 0;
                int archived;
                memset(&r, 0, sizeof(r));
                if (hi.kind == KZ_KIND_COUPLE) {
                    snprintf(code, sizeof(code), "%s", hi.code);
                    archived = hi.status == KZ_ST_CLOSED;
                    sid[0] = '\0';
                } else {
                    parent_info(s, hi.parent, code, &archived);
                    kz_rec_num_text(hi.kind, hi.num, sid, sizeof(sid));
                }
                r.code = code;
                for (k = first; k < first + n; k++) {
                    const struct kz_sfield *g = kz_sindex_field(ix, k);
                    int in = 0;
                    for (t = 0; t < s->nterms && !in; t++)
                        in = (int)((bits[t * nw + k / 64] >> (k % 64)) & 1);
                    if (!in)
                        continue;
                    rows++;
                    if (archived && !s->archived)
                        continue;
                    memset(&fl, 0, sizeof(fl));
                    fl.id = sid;
                    fl.sortdate = g->sortdate;
                    fl.kind = g->kind;
                    fl.ord = g->ord;
                    fl.where = g->kind == F_PROFILE ? kz_sindex_name(ix, g->name)
                                                    : where_of[g->kind < F_PROFILE ? g->kind : 0];
                    push_hit(s, &r, &fl, id, NULL);
                }
                if (archived && !s->archived)
                    s->left_out += rows;
                else if (rows > 0)
                    s->nrecords++;
            }
        }
    }
    kz_wipe_free(bits, (s->nterms * nw + 1) * sizeof(*bits));
    kz_wipe_free(any, (nw + 1) * sizeof(*any));
    return rc;
}

static int
by_couple_date(const void *a, const void *b)
{
    const struct hit *x = *(const struct hit *const *)a, *y = *(const struct hit *const *)b;
    int c = strcmp(x->code, y->code);
    size_t lx, ly;

    if (c != 0)
        return c;
    if (x->sortdate != y->sortdate)
        return x->sortdate < y->sortdate ? -1 : 1;
    /* Same couple, same day: by id (s2 before s10), then where it matched, so
     * that the order never depends on the file's or the threads' order. */
    if (x->id[0] != y->id[0])
        return (unsigned char)x->id[0] < (unsigned char)y->id[0] ? -1 : 1;
    lx = strlen(x->id);
    ly = strlen(y->id);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    if ((c = strcmp(x->id, y->id)) != 0)
        return c;
    return strcmp(x->where != NULL ? x->where : "", y->where != NULL ? y->where : "");
}

/* The row of a hit the walk did not make: its record opened again. */
static json_t *
hit_row(struct search *s, const struct hit *h, struct kz_err *err, int *rc)
{
    const struct kz_head *head = kz_vault_head(s->st->vault, h->rec);
    struct kz_head_info hi;
    struct opened o;
    char *body = NULL;
    size_t blen = 0, i;
    json_t *row = NULL;

    if (head == NULL || kz_head_decode(head->data, head->len, &hi) != 0)
        return NULL;
    if ((*rc = kz_vault_record_get(s->st->vault, h->rec, &body, &blen, err)) != KZ_OK)
        return NULL;
    if ((*rc = record_open(s, h->rec, &hi, body, blen, &o)) != 0) {
        *err = s->bad;
    } else {
        for (i = 0; i < o.r.n && row == NULL; i++) {
            if (o.r.f[i].kind == h->kind && o.r.f[i].ord == h->ord)
                row = make_row(s, &o.r, &o.r.f[i]);
        }
    }
    opened_free(&o);
    kz_vault_plain_free(body, blen);
    return row;
}

/* The rows: sorted, the first limit of them made and shown, then how many
 * there are when some were left out. */
static int
show(struct search *s, long limit, struct kz_err *err)
{
    static const struct kz_col cols[] = {
        {"couple", "COUPLE", 8}, {"id", "ID", 0},          {"date", "DATE", 0},
        {"where", "WHERE", 14},  {"snippet", "MATCH", 36}, {NULL, NULL, 0},
    };
    struct hit **sorted;
    size_t i, n = s->nhits, shown;
    json_t *out = json_array();
    int rc = KZ_OK;

    sorted = kz_xcalloc(n + 1, sizeof(*sorted)); /* NOLINT(bugprone-sizeof-expression): pointers */
    for (i = 0; i < n; i++)
        sorted[i] = &s->hits[i];
    if (n > 1)
        qsort(sorted, n, sizeof(*sorted), /* NOLINT(bugprone-sizeof-expression): pointers */
              by_couple_date);
    shown = limit > 0 && (size_t)limit < n ? (size_t)limit : n;
    for (i = 0; i < shown && rc == KZ_OK; i++) {
        json_t *row = sorted[i]->row;
        if (row != NULL)
            json_incref(row);
        else
            row = hit_row(s, sorted[i], err, &rc);
        if (row != NULL)
            json_array_append_new(out, row);
    }
    free(sorted);
    if (rc == KZ_OK) {
        char a[32], b[32];
        kz_ui_table(&s->st->ui, out, cols, "no match"); /* takes out */
        out = NULL;
        if (shown < n)
            kz_ui_say(&s->st->ui, "%s matches in %s record%s; the first %zu shown: --limit 0 for all\n",
                      kz_cmd_grouped(n, a, sizeof(a)), kz_cmd_grouped(s->nrecords, b, sizeof(b)),
                      s->nrecords == 1 ? "" : "s", shown);
        if (s->left_out > 0)
            kz_ui_say(&s->st->ui,
                      "%zu match%s in closed (archived) couples left out: add --archived\n",
                      s->left_out, s->left_out == 1 ? "" : "es");
    }
    json_decref(out);
    return rc;
}

/* A quote, backslash or control is escaped inside the JSON body: a term
 * holding what folds to one (the full-width ＂ and ＼ too) is looked for in
 * the fields only. */
static int
raw_testable(const char *term)
{
    const unsigned char *t = (const unsigned char *)term;
    size_t i = 0, len = strlen(term);
    uint32_t cp;

    while (i < len) {
        i += kz_utf8_decode_fold(t + i, len - i, &cp);
        if (cp == '"' || cp == '\\' || cp < 0x20 || cp == 0x7f)
            return 0;
    }
    return 1;
}

/* Before a body is opened: a walk that builds no index opens only the
 * searchable records its filters keep (--couple, --from, --to, --theme, a
 * voided note without --all). */
static int
keeps(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen)
{
    const struct search *s = ctx;
    struct kz_head_info hi;

    if (s->build != NULL || kz_head_decode(head, headlen, &hi) != 0)
        return 1; /* every record for the index; a head it cannot read, as visit does */
    return searchable(hi.kind) && !filtered_out(s, id, &hi);
}

/* The walk: every record read, on every core; those a search keeps opened
 * (with build, every searchable one, indexed too). */
static int
walk(struct search *s, struct kz_err *err)
{
    int rc = kz_vault_record_foreach_some(s->st->vault, keeps, visit, s, err);

    if (rc != KZ_OK && s->bad.code != KZ_OK)
        *err = s->bad;
    return rc;
}

static void
count_word(void *ctx, const char *word, size_t wlen)
{
    (void)word;
    (void)wlen;
    (*(size_t *)ctx)++;
}

/* The index's place in the state, made at the first search (or in idle
 * time) with the lock hook that wipes it. */
static struct kz_search_cache *
cache_of(struct kz_state *st)
{
    if (st->search != NULL && st->search->vault != st->vault)
        kz_search_forget(st);
    if (st->search == NULL) {
        st->search = kz_xcalloc(1, sizeof(*st->search));
        st->search->vault = st->vault;
        kz_vault_set_lock_hook(st->vault, lock_hook, st);
    }
    return st->search;
}

/* The search through the index. The first search of a state walks every
 * record as a one-shot process does (a script with one search pays nothing
 * for an index); the shell builds the index in idle time (kz_search_idle) and
 * walks again while that is unfinished; a script's second search builds it
 * in its walk. */
static int
search_indexed(struct search *s, struct kz_err *err)
{
    struct kz_state *st = s->st;
    struct kz_search_cache *c;
    const struct kz_head *heads;
    size_t n, t;
    int rc, first = st->search == NULL || st->search->vault != st->vault;

    c = cache_of(st);
    if ((rc = kz_vault_heads(st->vault, &heads, &n, err)) != KZ_OK)
        return rc;
    if (first || (!c->complete && st->interactive && c->ix != NULL && !c->idle_off))
        return walk(s, err); /* in the shell, the idle build goes on after it */
    if (!c->complete) {
        kz_sindex_free(c->ix);
        c->ix = NULL;
        s->build = kz_sindex_new();
        if ((rc = walk(s, err)) != KZ_OK) {
            kz_sindex_free(s->build);
            s->build = NULL;
            return rc;
        }
        c->ix = s->build;
        s->build = NULL;
        /* Heads were loaded before the walk, in this snapshot: the index is theirs. */
        if ((rc = kz_vault_heads(st->vault, &heads, &n, err)) != KZ_OK)
            return rc;
        heads_digest(heads, n, c->digest);
        c->nheads = n;
        c->complete = 1;
        return KZ_OK; /* the walk made the rows */
    }
    if ((rc = refresh(s, c, heads, n, err)) != KZ_OK) {
        kz_search_forget(st);
        return rc;
    }
    for (t = 0; t < s->nterms; t++) {
        /* A term of punctuation only says nothing through words: walk. */
        size_t words = 0;
        kz_sindex_tokens(s->terms[t], strlen(s->terms[t]), count_word, &words);
        if (words == 0)
            return walk(s, err);
    }
    return index_hits(s, c->ix, err);
}

static double
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One slice of the idle build: records not yet in the index (or changed)
 * opened and indexed in heads order from the cursor, in one read snapshot,
 * until budget_ms have passed; at the end of the heads, one refresh makes it
 * whole (what changed meanwhile, what went). */
int
kz_search_idle(struct kz_state *st, double budget_ms)
{
    struct kz_search_cache *c;
    const struct kz_head *heads;
    struct search s;
    struct kz_err err;
    double until = mono_ms() + budget_ms;
    size_t n;
    long slot;
    int rc = KZ_OK;

    if (st->one_shot || st->vault == NULL || !kz_vault_unlocked(st->vault))
        return 0;
    if (st->search != NULL && st->search->vault == st->vault &&
        (st->search->complete || st->search->idle_off))
        return 0;
    /* Another process committed: the next command takes that in (and says
     * so if it re-keyed the vault); a pause never does, since what it meets
     * would go unreported. */
    if (kz_vault_begin_idle(st->vault, &err) != KZ_OK)
        return 0;
    c = cache_of(st);
    memset(&s, 0, sizeof(s));
    s.st = st;
    pthread_mutex_init(&s.mu, NULL);
    if (c->ix == NULL)
        c->ix = kz_sindex_new();
    if ((rc = kz_vault_heads(st->vault, &heads, &n, &err)) != KZ_OK)
        goto out;
    for (; c->cursor < n && mono_ms() < until; c->cursor++)
        if ((rc = index_if_stale(&s, c->ix, &heads[c->cursor], &slot, &err)) != KZ_OK)
            goto out;
    if (c->cursor >= n && (rc = refresh(&s, c, heads, n, &err)) == KZ_OK) {
        c->complete = 1;
        malloc_trim(0); /* what the build parsed and freed goes back to the system */
    }
out:
    kz_vault_end_read(st->vault);
    if (rc != KZ_OK) {
        /* The next search meets the same record and says what is wrong. */
        kz_sindex_free(c->ix);
        c->ix = NULL;
        c->idle_off = 1;
    }
    sodium_memzero(s.parents, sizeof(s.parents));
    pthread_mutex_destroy(&s.mu);
    return rc == KZ_OK && !c->complete;
}

/* Long (about 90 lines) because it is the options, the terms and their
 * checks, the search and the table in the order a reader follows them; each
 * part is a few lines over helpers. */
static int
cmd_search(struct kz_state *st, int argc, char **argv, struct kz_err *err)
{
    const char *code = NULL, *theme = NULL, *from = NULL, *to = NULL, *limit_s = NULL;
    int all = 0, archived = 0;
    const struct kz_opt opts[] = {
        {"couple", 0, 1, &code, NULL}, {"theme", 0, 1, &theme, NULL},
        {"from", 0, 1, &from, NULL},   {"to", 0, 1, &to, NULL},
        {"since", 0, 1, &from, NULL},  {"until", 0, 1, &to, NULL}, /* audit log's names */
        {"all", 0, 0, NULL, &all},     {"archived", 0, 0, NULL, &archived},
        {"limit", 0, 1, &limit_s, NULL}, {NULL, 0, 0, NULL, NULL},
    };
    unsigned char cid[KZ_RECORD_ID_BYTES];
    struct search s;
    char *pos[TERMS_MAX + 1], folded[KZ_THEME_BUF];
    size_t i;
    long limit = 0;
    int rc, npos;

    memset(&s, 0, sizeof(s));
    if ((rc = kz_cmd_parse(st, "search", argc, argv, opts, pos, TERMS_MAX + 1, &npos, err)) !=
        KZ_OK)
        return rc;
    if (npos == 0)
        return kz_fail(err, KZ_EUSAGE, "usage: search WORD... [--couple CODE] [--theme T] "
                                       "[--from DATE] [--to DATE] [--all] [--archived] "
                                       "[--limit N]");
    if (npos > TERMS_MAX)
        return kz_fail(err, KZ_EUSAGE, "search: at most %d words or phrases", TERMS_MAX);
    if ((rc = kz_cmd_limit(st, "search", limit_s, &limit, err)) != KZ_OK)
        return rc;
    for (i = 0; i < (size_t)npos; i++) {
        const char *p = pos[i];
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '\0')
            return kz_fail(err, KZ_EUSAGE, "search: an empty word or phrase");
        s.terms[i] = pos[i];
        s.raw_test[i] = raw_testable(pos[i]);
    }
    s.nterms = (size_t)npos;
    s.all = all;
    s.archived = archived || code != NULL; /* a couple named is searched, closed or not */
    if (theme != NULL && *theme == '\0')
        return kz_fail(err, KZ_EUSAGE, "search: --theme needs a theme name");
    if ((from != NULL && (rc = kz_cmd_date_read(st, "--from", from, &s.from, err)) != KZ_OK) ||
        (to != NULL && (rc = kz_cmd_date_read(st, "--to", to, &s.to, err)) != KZ_OK))
        return rc;
    if (code != NULL) {
        if ((rc = kz_rec_find_couple(st, code, cid, NULL, err)) != KZ_OK)
            return rc;
        s.couple = cid;
    }
    s.st = st;
    s.style = kz_cmd_date_style(st);
    s.theme = theme != NULL ? kz_theme_fold(theme, folded, sizeof(folded)) : NULL;
    s.sessions_only = theme != NULL || from != NULL || to != NULL;
    s.open = st->ui.color && !st->ui.json ? KZ_UI_MARK : "\xc2\xab";     /* « */
    s.close = st->ui.color && !st->ui.json ? KZ_UI_UNMARK : "\xc2\xbb";  /* » */
    s.limit = limit;
    pthread_mutex_init(&s.mu, NULL);
    if (st->one_shot) {
        /* Nothing runs after this command: no index worth its making. The
         * walk's threads only read the heads index (parent codes): load it first. */
        const struct kz_head *heads;
        size_t n;
        if ((rc = kz_vault_heads(st->vault, &heads, &n, err)) == KZ_OK)
            rc = walk(&s, err);
    } else {
        rc = search_indexed(&s, err);
    }
    if (rc == KZ_OK)
        rc = show(&s, limit, err);
    for (i = 0; i < s.nhits; i++) {
        json_decref(s.hits[i].row);
        if (s.hits[i].where_own != NULL)
            kz_wipe_free(s.hits[i].where_own, strlen(s.hits[i].where_own));
    }
    kz_wipe_free(s.hits, s.caphits * sizeof(*s.hits));
    sodium_memzero(s.parents, sizeof(s.parents));
    pthread_mutex_destroy(&s.mu);
    if (!st->one_shot)
        malloc_trim(0); /* the walk's threads freed their bodies in arenas of their own */
    return rc;
}

static const char *const search_opts[] = {"--couple", "--theme", "--from", "--to", "--all",
                                          "--archived", "--limit", NULL};

const struct kz_cmd_entry kz_cmd_search = {
    "search",
    "WORD... [--couple CODE] [--theme T] [--from DATE] [--to DATE] [--all] [--archived] "
    "[--limit N]",
    "find words in notes, process notes, goals and profiles (in memory only)",
    "Without regard to case or accents (Müller finds MÜLLER, jose finds José), and\n"
    "full-width letters are ASCII (jonas finds Ｊｏｎａｓ). Several words find the records\n"
    "that hold all of them, in any order; \"quoted words\" are one phrase. Every match is\n"
    "marked. --theme, --from and --to limit the search to sessions; voided notes are left\n"
    "out unless --all. Closed (archived) couples are left out, with a count of their\n"
    "matches, unless --archived or --couple names one. --limit N shows the first N rows\n"
    "(0: all) and says how many matches there are; on a terminal a screenful is the\n"
    "default, in scripts and pipes all. The shell and scripts keep an index of the notes'\n"
    "words in memory from their first search on (wiped at lock, never written anywhere),\n"
    "so later searches are quick; everything is decrypted in memory only.",
    CMD_NEEDS_KEY, search_opts, cmd_search};
