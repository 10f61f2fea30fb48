/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search's in-memory token index: words -> fields (model_search_index.h).
 * Everything it allocates holds plaintext or is derived from it, so every
 * block is wiped before it is freed or replaced (kz_wipe_free, kz_wipe_grow). */
#include <stdlib.h>
#include <string.h>

#include "kizuna/model.h"
#include "kizuna/model_search_index.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"

/* ---- the words of a text ---- */

static int
cjk(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x11ff) ||   /* Hangul Jamo */
           (cp >= 0x2e80 && cp <= 0x2fdf) ||   /* CJK radicals */
           (cp >= 0x3000 && cp <= 0x30ff) ||   /* CJK punctuation, Hiragana, Katakana */
           (cp >= 0x3130 && cp <= 0x318f) ||   /* Hangul compatibility Jamo */
           (cp >= 0x31f0 && cp <= 0x31ff) ||   /* Katakana extensions */
           (cp >= 0x3400 && cp <= 0x4dbf) ||   /* Han extension A */
           (cp >= 0x4e00 && cp <= 0x9fff) ||   /* Han */
           (cp >= 0xac00 && cp <= 0xd7af) ||   /* Hangul syllables */
           (cp >= 0xf900 && cp <= 0xfaff) ||   /* Han compatibility */
           (cp >= 0xff00 && cp <= 0xffef) ||   /* full- and half-width forms */
           (cp >= 0x20000 && cp <= 0x3ffff);   /* Han extensions B.. */
}

static int
ascii_alnum(uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

static size_t
utf8_put(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | ((cp >> 18) & 0x07));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The word being cut, twice as large (the old block wiped unless it is the
 * caller's stack buffer). */
static unsigned char *
word_grow(unsigned char *w, size_t wl, size_t *cap, const unsigned char *stackbuf)
{
    unsigned char *nw = kz_xmalloc(*cap * 2);

    memcpy(nw, w, wl);
    if (w != stackbuf)
        kz_wipe_free(w, *cap);
    *cap *= 2;
    return nw;
}

/* Folds text into words; *whole is set to 1 when the text is exactly one
 * word equal to the folded text (no delimiter, at most one CJK character
 * alone, no stray byte). */
static void
tokens(const char *text_, size_t len, void (*tok)(void *ctx, const char *w, size_t n), void *ctx,
       int *whole)
{
    const unsigned char *text = (const unsigned char *)text_;
    unsigned char stackbuf[256], *w = stackbuf;
    size_t wl = 0, i = 0, nwords = 0, cap = sizeof(stackbuf);
    int clean = 1;

    while (i < len) {
        uint32_t cp;
        size_t n, k;
        if (text[i] < 0x80) {
            /* ASCII, most of most notes: a letter or digit goes on the word
             * as kz_utf8_fold folds it, anything else ends the word. */
            unsigned char c = text[i++];
            if (ascii_alnum(c)) {
                if (wl + 5 >= cap)
                    w = word_grow(w, wl, &cap, stackbuf);
                w[wl++] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
                continue;
            }
            clean = 0;
            if (wl > 0) {
                w[wl] = '\0';
                tok(ctx, (const char *)w, wl);
                nwords++;
                wl = 0;
            }
            continue;
        }
        n = kz_utf8_decode_fold(text + i, len - i, &cp);
        if (n == 1 && text[i] >= 0x80)
            clean = 0; /* a stray byte: the matcher reads it as KZ_UTF8_STRAY | byte */
        i += n;
        if (cp == KZ_UTF8_MARK)
            continue; /* an accent's combining mark: the word goes on without it */
        if (cp < 0x80 && !ascii_alnum(cp)) {
            clean = 0;
            if (wl > 0) {
                w[wl] = '\0';
                tok(ctx, (const char *)w, wl);
                nwords++;
                wl = 0;
            }
            continue;
        }
        if (wl + 5 >= cap)
            w = word_grow(w, wl, &cap, stackbuf);
        if (cp == KZ_UTF8_SHARP_S) { /* ß is "ss", as the matcher reads it */
            w[wl++] = 's';
            w[wl++] = 's';
            continue;
        }
        if (cjk(cp)) {
            if (wl > 0) {
                w[wl] = '\0';
                tok(ctx, (const char *)w, wl);
                nwords++;
                wl = 0;
            }
            k = utf8_put(cp, w);
            w[k] = '\0';
            tok(ctx, (const char *)w, k);
            nwords++;
            continue;
        }
        wl += utf8_put(cp, w + wl);
    }
    if (wl > 0) {
        w[wl] = '\0';
        tok(ctx, (const char *)w, wl);
        nwords++;
    }
    if (whole != NULL)
        *whole = clean && nwords == 1;
    if (w != stackbuf)
        kz_wipe_free(w, cap);
    explicit_bzero(stackbuf, sizeof(stackbuf));
}

void
kz_sindex_tokens(const char *text, size_t len, void (*tok)(void *ctx, const char *w, size_t n),
                 void *ctx)
{
    tokens(text, len, tok, ctx, NULL);
}

static uint64_t
hash_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

/* ---- a record's fields cut into words (the caller's thread) ---- */

struct dfield {
    uint32_t tok_start, tok_end; /* its distinct words in buf */
    uint32_t sortdate, showdate;
    uint32_t name;               /* offset+1 of its name in buf, 0 none */
    uint16_t ord;
    uint8_t kind;
};

struct kz_sdoc {
    unsigned char id[16];
    uint64_t ver;
    unsigned char *buf; /* words: u32 length, bytes; names: NUL-terminated */
    size_t len, cap;
    struct dfield *f;
    size_t n, fcap;
    uint32_t *set; /* this field's words (offset+1 in buf), open addressing */
    size_t nset, setcap;
};

static void
doc_reserve(struct kz_sdoc *d, size_t more)
{
    size_t cap = d->cap ? d->cap : 1024;

    while (d->len + more > cap)
        cap *= 2;
    if (cap != d->cap) {
        d->buf = kz_wipe_grow(d->buf, d->cap, cap);
        d->cap = cap;
    }
}

static void
set_grow(struct kz_sdoc *d)
{
    size_t ncap = d->setcap ? d->setcap * 2 : 256, i;
    uint32_t *ns = kz_xcalloc(ncap, sizeof(*ns));

    for (i = 0; i < d->setcap; i++) {
        uint32_t o = d->set[i], l;
        size_t k;
        if (o == 0)
            continue;
        memcpy(&l, d->buf + o - 1, 4);
        k = hash_bytes(d->buf + o - 1 + 4, l) & (ncap - 1);
        while (ns[k] != 0)
            k = (k + 1) & (ncap - 1);
        ns[k] = o;
    }
    kz_wipe_free(d->set, d->setcap * sizeof(*d->set));
    d->set = ns;
    d->setcap = ncap;
}

static void
doc_word(void *ctx, const char *w, size_t wl)
{
    struct kz_sdoc *d = ctx;
    uint32_t l = (uint32_t)wl;
    size_t k;

    if ((d->nset + 1) * 2 > d->setcap)
        set_grow(d);
    k = hash_bytes((const unsigned char *)w, wl) & (d->setcap - 1);
    for (; d->set[k] != 0; k = (k + 1) & (d->setcap - 1)) {
        uint32_t ol;
        memcpy(&ol, d->buf + d->set[k] - 1, 4);
        if (ol == l && memcmp(d->buf + d->set[k] - 1 + 4, w, wl) == 0)
            return; /* already there */
    }
    doc_reserve(d, 4 + wl);
    d->set[k] = (uint32_t)d->len + 1;
    memcpy(d->buf + d->len, &l, 4);
    memcpy(d->buf + d->len + 4, w, wl);
    d->len += 4 + wl;
    d->nset++;
}

struct kz_sdoc *
kz_sdoc_new(const unsigned char id[16], uint64_t ver)
{
    struct kz_sdoc *d = kz_xcalloc(1, sizeof(*d));

    memcpy(d->id, id, 16);
    d->ver = ver;
    return d;
}

void
kz_sdoc_field(struct kz_sdoc *d, const char *text, size_t len, uint8_t kind, uint16_t ord,
              uint32_t sortdate, uint32_t showdate, const char *name)
{
    struct dfield *f;

    if (d->n == d->fcap) {
        size_t ncap = d->fcap ? d->fcap * 2 : 8;
        d->f = kz_wipe_grow(d->f, d->fcap * sizeof(*d->f), ncap * sizeof(*d->f));
        d->fcap = ncap;
    }
    f = &d->f[d->n++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->ord = ord;
    f->sortdate = sortdate;
    f->showdate = showdate;
    if (name != NULL) {
        size_t nl = strlen(name) + 1;
        doc_reserve(d, nl);
        memcpy(d->buf + d->len, name, nl);
        f->name = (uint32_t)d->len + 1;
        d->len += nl;
    }
    if (d->setcap > 0)
        memset(d->set, 0, d->setcap * sizeof(*d->set));
    d->nset = 0;
    f->tok_start = (uint32_t)d->len;
    tokens(text, len, doc_word, d, NULL);
    f->tok_end = (uint32_t)d->len;
}

void
kz_sdoc_free(struct kz_sdoc *d)
{
    if (d == NULL)
        return;
    kz_wipe_free(d->buf, d->cap);
    kz_wipe_free(d->f, d->fcap * sizeof(*d->f));
    kz_wipe_free(d->set, d->setcap * sizeof(*d->set));
    kz_wipe_free(d, sizeof(*d));
}

/* ---- the index ---- */

struct word {
    uint32_t off, len;  /* in the vocabulary: off is the first byte, a NUL before and after */
    uint32_t last;      /* the last field appended + 1 (0: none) */
    uint32_t count;     /* fields appended */
    unsigned char *post; /* delta varints of field + 1, or NULL when bits */
    uint32_t plen, pcap;
    uint64_t *bits;     /* a bitmap of fields once that is smaller */
    uint32_t nbits;     /* words of bits */
};

struct rec {
    unsigned char id[16];
    uint64_t ver;
    uint32_t first, n;
    int alive;
};

struct kz_sindex {
    char *vocab;  /* "\0w1\0w2\0...": memmem finds a piece inside any word */
    size_t vlen, vcap;
    struct word *w;
    size_t nw, wcap;
    uint32_t *wh; /* word hash: index + 1 */
    size_t whcap;
    struct kz_sfield *f;
    size_t nf, fcap, ndead;
    struct rec *r;
    size_t nr, rcap;
    uint32_t *rh; /* record hash: slot + 1 */
    size_t rhcap;
    char *names; /* field names, NUL-terminated; offset 0 is "" */
    size_t nlen, ncap;
};

struct kz_sindex *
kz_sindex_new(void)
{
    struct kz_sindex *ix = kz_xcalloc(1, sizeof(*ix));

    ix->vcap = 4096;
    ix->vocab = kz_xcalloc(1, ix->vcap);
    ix->vlen = 1; /* the leading NUL */
    ix->ncap = 256;
    ix->names = kz_xcalloc(1, ix->ncap);
    ix->nlen = 1;
    return ix;
}

static void
words_free(struct word *w, size_t nw, size_t wcap)
{
    size_t i;

    for (i = 0; i < nw; i++) {
        kz_wipe_free(w[i].post, w[i].pcap);
        kz_wipe_free(w[i].bits, (size_t)w[i].nbits * 8);
    }
    kz_wipe_free(w, wcap * sizeof(*w));
}

void
kz_sindex_free(struct kz_sindex *ix)
{
    if (ix == NULL)
        return;
    words_free(ix->w, ix->nw, ix->wcap);
    kz_wipe_free(ix->vocab, ix->vcap);
    kz_wipe_free(ix->wh, ix->whcap * sizeof(*ix->wh));
    kz_wipe_free(ix->f, ix->fcap * sizeof(*ix->f));
    kz_wipe_free(ix->r, ix->rcap * sizeof(*ix->r));
    kz_wipe_free(ix->rh, ix->rhcap * sizeof(*ix->rh));
    kz_wipe_free(ix->names, ix->ncap);
    kz_wipe_free(ix, sizeof(*ix));
}

/* -- records by id -- */

static size_t
id_hash(const unsigned char *id)
{
    uint64_t h;

    memcpy(&h, id, sizeof(h)); /* record ids are random */
    return (size_t)h;
}

/* The two hash tables (records by id, words by their bytes) hold an index + 1
 * per slot (0: free), probed in turn from the key's hash; same() tells
 * whether entry i is the key. cap is a power of two, at most half full. */
static uint32_t *
probe(const struct kz_sindex *ix, uint32_t *table, size_t cap, size_t hash,
      int (*same)(const struct kz_sindex *ix, uint32_t i, const unsigned char *key, size_t len),
      const unsigned char *key, size_t len)
{
    size_t mask = cap - 1, k = hash & mask;

    for (;; k = (k + 1) & mask)
        if (table[k] == 0 || same(ix, table[k] - 1, key, len))
            return &table[k];
}

/* A table of cap free slots in place of *table (of *oldcap). */
static void
table_reset(uint32_t **table, size_t *oldcap, size_t cap)
{
    kz_wipe_free(*table, *oldcap * sizeof(**table));
    *oldcap = cap;
    *table = kz_xcalloc(cap, sizeof(**table));
}

static int
rec_same(const struct kz_sindex *ix, uint32_t i, const unsigned char *id, size_t len)
{
    (void)len;
    return memcmp(ix->r[i].id, id, 16) == 0;
}

static uint32_t *
rec_slot(const struct kz_sindex *ix, const unsigned char *id)
{
    return probe(ix, ix->rh, ix->rhcap, id_hash(id), rec_same, id, 16);
}

static void
rec_rehash(struct kz_sindex *ix, size_t cap)
{
    size_t i;

    table_reset(&ix->rh, &ix->rhcap, cap);
    for (i = 0; i < ix->nr; i++)
        *rec_slot(ix, ix->r[i].id) = (uint32_t)i + 1;
}

long
kz_sindex_find(const struct kz_sindex *ix, const unsigned char id[16], uint64_t *ver)
{
    uint32_t s;

    if (ix->rhcap == 0 || (s = *rec_slot(ix, id)) == 0 || !ix->r[s - 1].alive)
        return -1;
    if (ver != NULL)
        *ver = ix->r[s - 1].ver;
    return (long)s - 1;
}

size_t
kz_sindex_nrecs(const struct kz_sindex *ix)
{
    return ix->nr;
}

int
kz_sindex_rec(const struct kz_sindex *ix, size_t slot, const unsigned char **id, uint64_t *ver,
              uint32_t *first, uint32_t *nfields)
{
    const struct rec *r = &ix->r[slot];

    if (id != NULL)
        *id = r->id;
    if (ver != NULL)
        *ver = r->ver;
    if (first != NULL)
        *first = r->first;
    if (nfields != NULL)
        *nfields = r->n;
    return r->alive;
}

size_t
kz_sindex_nfields(const struct kz_sindex *ix)
{
    return ix->nf;
}

const struct kz_sfield *
kz_sindex_field(const struct kz_sindex *ix, size_t f)
{
    return &ix->f[f];
}

const char *
kz_sindex_name(const struct kz_sindex *ix, uint32_t name)
{
    return name < ix->nlen ? ix->names + name : "";
}

size_t
kz_sindex_nwords(const struct kz_sindex *ix)
{
    return ix->nw;
}

/* -- words -- */

static int
word_same(const struct kz_sindex *ix, uint32_t i, const unsigned char *w, size_t wl)
{
    /* wh and w are made before any word is looked up (word_get): a slot
     * that is set names a word of w */
    return ix->w[i].len == wl && /* NOLINT(clang-analyzer-core.NullDereference) */
           memcmp(ix->vocab + ix->w[i].off, w, wl) == 0;
}

static uint32_t *
word_slot(const struct kz_sindex *ix, const unsigned char *w, size_t wl)
{
    return probe(ix, ix->wh, ix->whcap, hash_bytes(w, wl), word_same, w, wl);
}

static void
word_rehash(struct kz_sindex *ix, size_t cap)
{
    size_t i;

    table_reset(&ix->wh, &ix->whcap, cap);
    for (i = 0; i < ix->nw; i++)
        *word_slot(ix, (const unsigned char *)ix->vocab + ix->w[i].off, ix->w[i].len) =
            (uint32_t)i + 1;
}

static struct word *
word_get(struct kz_sindex *ix, const unsigned char *w, size_t wl)
{
    uint32_t *s;
    struct word *nw;

    if ((ix->nw + 1) * 2 > ix->whcap)
        word_rehash(ix, ix->whcap ? ix->whcap * 2 : 4096);
    s = word_slot(ix, w, wl);
    if (*s != 0)
        return &ix->w[*s - 1];
    if (ix->nw == ix->wcap) {
        size_t ncap = ix->wcap ? ix->wcap * 2 : 1024;
        ix->w = kz_wipe_grow(ix->w, ix->wcap * sizeof(*ix->w), ncap * sizeof(*ix->w));
        ix->wcap = ncap;
    }
    if (ix->vlen + wl + 1 > ix->vcap) {
        size_t ncap = ix->vcap;
        while (ix->vlen + wl + 1 > ncap)
            ncap *= 2;
        ix->vocab = kz_wipe_grow(ix->vocab, ix->vcap, ncap);
        memset(ix->vocab + ix->vcap, 0, ncap - ix->vcap);
        ix->vcap = ncap;
    }
    nw = &ix->w[ix->nw];
    memset(nw, 0, sizeof(*nw));
    nw->off = (uint32_t)ix->vlen;
    nw->len = (uint32_t)wl;
    memcpy(ix->vocab + ix->vlen, w, wl);
    ix->vocab[ix->vlen + wl] = '\0';
    ix->vlen += wl + 1;
    *s = (uint32_t)++ix->nw;
    return nw;
}

static void
bits_set(struct word *w, uint32_t f)
{
    uint32_t need = f / 64 + 1;

    if (need > w->nbits) {
        uint32_t n = w->nbits ? w->nbits : 16;
        while (n < need)
            n *= 2;
        w->bits = kz_wipe_grow(w->bits, (size_t)w->nbits * 8, (size_t)n * 8);
        memset(w->bits + w->nbits, 0, (size_t)(n - w->nbits) * 8);
        w->nbits = n;
    }
    /* kz_wipe_grow of a nonzero size never returns NULL (it exits first) */
    w->bits[f / 64] |= (uint64_t)1 << (f % 64); /* NOLINT(clang-analyzer-core.NullDereference) */
}

/* Calls fn(ctx, field) for each field of w, in order. */
#define POST_FOREACH(w, fvar, body)                                                           \
    do {                                                                                      \
        if ((w)->bits != NULL) {                                                              \
            uint32_t bi_;                                                                     \
            for (bi_ = 0; bi_ < (w)->nbits; bi_++) {                                          \
                uint64_t x_ = (w)->bits[bi_];                                                 \
                while (x_ != 0) {                                                             \
                    uint32_t fvar = bi_ * 64 + (uint32_t)__builtin_ctzll(x_);                 \
                    x_ &= x_ - 1;                                                             \
                    body;                                                                     \
                }                                                                             \
            }                                                                                 \
        } else {                                                                              \
            uint32_t pi_ = 0, acc_ = 0;                                                       \
            while (pi_ < (w)->plen) {                                                         \
                uint32_t d_ = 0, sh_ = 0, fvar;                                               \
                unsigned char b_;                                                             \
                do {                                                                          \
                    b_ = (w)->post[pi_++];                                                    \
                    d_ |= (uint32_t)(b_ & 0x7f) << sh_;                                       \
                    sh_ += 7;                                                                 \
                } while (b_ & 0x80);                                                          \
                acc_ += d_;                                                                   \
                fvar = acc_ - 1; /* NOLINT(bugprone-macro-parentheses): a name */            \
                body;                                                                         \
            }                                                                                 \
        }                                                                                     \
    } while (0)

/* Appends field f (larger than every field w has) to w's postings; a list
 * that grows beyond a bitmap of the fields so far becomes that bitmap. */
static void
post_add(struct word *w, uint32_t f)
{
    uint32_t d;

    if (w->last == f + 1)
        return;
    w->count++;
    if (w->bits != NULL) {
        bits_set(w, f);
        w->last = f + 1;
        return;
    }
    d = f + 1 - w->last;
    if (w->plen + 5 > w->pcap) {
        uint32_t n = w->pcap ? w->pcap * 2 : 8;
        w->post = kz_wipe_grow(w->post, w->pcap, n);
        w->pcap = n;
    }
    while (d >= 0x80) {
        w->post[w->plen++] = (unsigned char)(d | 0x80);
        d >>= 7;
    }
    w->post[w->plen++] = (unsigned char)d;
    w->last = f + 1;
    if (w->plen > 64 && (size_t)w->plen * 8 > (size_t)f + 64) {
        struct word tmp = *w;
        w->bits = NULL;
        w->nbits = 0;
        POST_FOREACH(&tmp, g, bits_set(w, g));
        kz_wipe_free(w->post, w->pcap);
        w->post = NULL;
        w->plen = w->pcap = 0;
    }
}

static uint32_t
name_add(struct kz_sindex *ix, const char *name)
{
    size_t nl = strlen(name) + 1;
    uint32_t off;

    if (ix->nlen + nl > ix->ncap) {
        size_t ncap = ix->ncap;
        while (ix->nlen + nl > ncap)
            ncap *= 2;
        ix->names = kz_wipe_grow(ix->names, ix->ncap, ncap);
        ix->ncap = ncap;
    }
    off = (uint32_t)ix->nlen;
    memcpy(ix->names + ix->nlen, name, nl);
    ix->nlen += nl;
    return off;
}

static void
rec_kill(struct kz_sindex *ix, struct rec *r)
{
    uint32_t i;

    for (i = 0; i < r->n; i++) {
        if (!ix->f[r->first + i].dead) {
            ix->f[r->first + i].dead = 1;
            ix->ndead++;
        }
    }
    r->n = 0;
}

void
kz_sindex_put(struct kz_sindex *ix, const struct kz_sdoc *d)
{
    uint32_t *s, slot;
    struct rec *r;
    size_t i;

    if ((ix->nr + 1) * 2 > ix->rhcap)
        rec_rehash(ix, ix->rhcap ? ix->rhcap * 2 : 1024);
    s = rec_slot(ix, d->id);
    if (*s == 0) {
        if (ix->nr == ix->rcap) {
            size_t ncap = ix->rcap ? ix->rcap * 2 : 1024;
            ix->r = kz_wipe_grow(ix->r, ix->rcap * sizeof(*ix->r), ncap * sizeof(*ix->r));
            ix->rcap = ncap;
        }
        memset(&ix->r[ix->nr], 0, sizeof(*ix->r));
        memcpy(ix->r[ix->nr].id, d->id, 16);
        *s = (uint32_t)++ix->nr;
    }
    slot = *s - 1;
    r = &ix->r[slot];
    rec_kill(ix, r);
    r->alive = 1;
    r->ver = d->ver;
    r->first = (uint32_t)ix->nf;
    r->n = (uint32_t)d->n;
    if (ix->nf + d->n > ix->fcap) {
        size_t ncap = ix->fcap ? ix->fcap : 4096;
        while (ix->nf + d->n > ncap)
            ncap *= 2;
        ix->f = kz_wipe_grow(ix->f, ix->fcap * sizeof(*ix->f), ncap * sizeof(*ix->f));
        ix->fcap = ncap;
    }
    for (i = 0; i < d->n; i++) {
        const struct dfield *df = &d->f[i];
        struct kz_sfield *f = &ix->f[ix->nf];
        uint32_t fn = (uint32_t)ix->nf++, p;
        memset(f, 0, sizeof(*f));
        f->rec = slot;
        f->kind = df->kind;
        f->ord = df->ord;
        f->sortdate = df->sortdate;
        f->showdate = df->showdate;
        f->name = df->name ? name_add(ix, (const char *)d->buf + df->name - 1) : 0;
        for (p = df->tok_start; p < df->tok_end;) {
            uint32_t l;
            memcpy(&l, d->buf + p, 4);
            post_add(word_get(ix, d->buf + p + 4, l), fn);
            p += 4 + l;
        }
    }
}

void
kz_sindex_drop(struct kz_sindex *ix, const unsigned char id[16])
{
    long slot = kz_sindex_find(ix, id, NULL);

    if (slot < 0)
        return;
    rec_kill(ix, &ix->r[slot]);
    ix->r[slot].alive = 0;
}

/* Long (about 80 lines): fields, records, names and words renumbered in one
 * pass each, the maps between them side by side. */
int
kz_sindex_compact(struct kz_sindex *ix)
{
    uint32_t *fmap, *rmap, nf = 0, nr = 0;
    size_t old_nf = ix->nf, old_nr = ix->nr;
    struct word *ow = ix->w;
    size_t onw = ix->nw, owcap = ix->wcap, i;
    char *ovocab = ix->vocab, *onames = ix->names;
    size_t ovcap = ix->vcap, oncap = ix->ncap;

    if (ix->ndead == 0 || ix->ndead * 2 < ix->nf)
        return 0;
    rmap = kz_xcalloc(ix->nr + 1, sizeof(*rmap));
    for (i = 0; i < ix->nr; i++) {
        rmap[i] = ix->r[i].alive ? nr : UINT32_MAX;
        if (ix->r[i].alive)
            ix->r[nr++] = ix->r[i];
    }
    memset(ix->r + nr, 0, (ix->nr - nr) * sizeof(*ix->r));
    ix->nr = nr;
    rec_rehash(ix, ix->rhcap);
    fmap = kz_xcalloc(ix->nf + 1, sizeof(*fmap));
    ix->names = kz_xcalloc(1, oncap);
    ix->nlen = 1;
    for (i = 0; i < ix->nf; i++) {
        struct kz_sfield f = ix->f[i];
        if (f.dead) {
            fmap[i] = UINT32_MAX;
            continue;
        }
        fmap[i] = nf;
        f.rec = rmap[f.rec];
        if (f.name != 0)
            f.name = name_add(ix, onames + f.name);
        ix->f[nf++] = f;
    }
    memset(ix->f + nf, 0, (ix->nf - nf) * sizeof(*ix->f));
    for (i = 0; i < ix->nr; i++) {
        if (ix->r[i].n > 0)
            ix->r[i].first = fmap[ix->r[i].first];
    }
    ix->nf = nf;
    ix->ndead = 0;
    /* Words again, from the old ones, without those no live field holds. */
    ix->w = NULL;
    ix->nw = ix->wcap = 0;
    ix->vcap = 4096;
    ix->vocab = kz_xcalloc(1, ix->vcap);
    ix->vlen = 1;
    kz_wipe_free(ix->wh, ix->whcap * sizeof(*ix->wh));
    ix->wh = NULL;
    ix->whcap = 0;
    for (i = 0; i < onw; i++) {
        struct word *w = NULL;
        POST_FOREACH(&ow[i], g, {
            if (fmap[g] != UINT32_MAX) {
                if (w == NULL)
                    w = word_get(ix, (const unsigned char *)ovocab + ow[i].off, ow[i].len);
                post_add(w, fmap[g]);
            }
        });
    }
    words_free(ow, onw, owcap);
    kz_wipe_free(ovocab, ovcap);
    kz_wipe_free(onames, oncap);
    kz_wipe_free(fmap, (old_nf + 1) * sizeof(*fmap));
    kz_wipe_free(rmap, (old_nr + 1) * sizeof(*rmap));
    return 1;
}

/* -- queries -- */

size_t
kz_sindex_bitmap_words(const struct kz_sindex *ix)
{
    return (ix->nf + 63) / 64;
}

struct pieces {
    char **p;
    size_t *len;
    size_t n, cap;
};

static void
piece(void *ctx, const char *w, size_t wl)
{
    struct pieces *ps = ctx;

    if (ps->n == ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 8;
        ps->p = kz_xrealloc(ps->p, ncap * sizeof(*ps->p));
        ps->len = kz_xrealloc(ps->len, ncap * sizeof(*ps->len));
        ps->cap = ncap;
    }
    ps->p[ps->n] = kz_xmalloc(wl + 1);
    memcpy(ps->p[ps->n], w, wl + 1);
    ps->len[ps->n++] = wl;
}

/* Sets in out the fields of every word that holds p. */
static void
piece_fields(const struct kz_sindex *ix, const char *p, size_t pl, uint64_t *out, size_t nwords)
{
    const char *v = ix->vocab, *end = ix->vocab + ix->vlen, *hit;
    size_t lo, hi, k;

    while (v < end && (hit = memmem(v, (size_t)(end - v), p, pl)) != NULL) {
        uint32_t off = (uint32_t)(hit - ix->vocab);
        const struct word *w;
        /* The word holding it: the last one starting at or before it. */
        lo = 0;
        hi = ix->nw;
        while (hi - lo > 1) {
            k = lo + (hi - lo) / 2;
            if (ix->w[k].off <= off)
                lo = k;
            else
                hi = k;
        }
        w = &ix->w[lo];
        if (w->bits != NULL) {
            for (k = 0; k < w->nbits && k < nwords; k++)
                out[k] |= w->bits[k];
        } else {
            POST_FOREACH(w, g, out[g / 64] |= (uint64_t)1 << (g % 64));
        }
        v = ix->vocab + w->off + w->len + 1;
    }
}

int
kz_sindex_term(const struct kz_sindex *ix, const char *term, uint64_t *out)
{
    struct pieces ps = {NULL, NULL, 0, 0};
    size_t nwords = kz_sindex_bitmap_words(ix), i, k;
    uint64_t *tmp = NULL;
    int whole = 0, rc;

    memset(out, 0, nwords * sizeof(*out));
    tokens(term, strlen(term), piece, &ps, &whole);
    if (ps.n == 0) {
        rc = -1;
        goto out;
    }
    rc = whole && ps.n == 1 ? 1 : 0;
    if (ix->nw == 0)
        goto out;
    piece_fields(ix, ps.p[0], ps.len[0], out, nwords);
    if (ps.n > 1)
        tmp = kz_xcalloc(nwords + 1, sizeof(*tmp));
    for (i = 1; i < ps.n; i++) {
        memset(tmp, 0, nwords * sizeof(*tmp));
        piece_fields(ix, ps.p[i], ps.len[i], tmp, nwords);
        for (k = 0; k < nwords; k++)
            out[k] &= tmp[k];
    }
out:
    for (i = 0; i < ps.n; i++)
        kz_wipe_free(ps.p[i], ps.len[i] + 1);
    free(ps.p);
    free(ps.len);
    kz_wipe_free(tmp, (nwords + 1) * sizeof(*tmp));
    return rc;
}

size_t
kz_sindex_bytes(const struct kz_sindex *ix)
{
    size_t b = sizeof(*ix) + ix->vcap + ix->wcap * sizeof(*ix->w) +
               ix->whcap * sizeof(*ix->wh) + ix->fcap * sizeof(*ix->f) +
               ix->rcap * sizeof(*ix->r) + ix->rhcap * sizeof(*ix->rh) + ix->ncap, i;

    for (i = 0; i < ix->nw; i++)
        b += ix->w[i].pcap + (size_t)ix->w[i].nbits * 8;
    return b;
}
