/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pseudonymization: names and places to roles, dates to therapy weeks
 * (model_pseudo.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "kizuna/buf.h"
#include "kizuna/model.h"
#include "kizuna/model_pseudo.h"
#include "kizuna/wipe.h"
#include "kizuna/xalloc.h"

/* Words that are no name of a person (skipped in the support and referral
 * fields) and are common: function words, titles, kin, months, days. */
static const char *const stop_words[] = {
    "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "by", "for", "from", "with",
    "her", "his", "their", "our", "my", "your", "she", "he", "they", "we", "i", "it", "is",
    "was", "are", "be", "no", "not", "some", "both", "all", "also", "who", "via", "through",
    "dr", "mr", "mrs", "ms", "miss", "prof", "rev", "gp", "doctor", "therapist", "nurse",
    "pastor", "priest", "counsellor", "counselor", "teacher", "colleague", "colleagues",
    "mother", "father", "mum", "mom", "dad", "sister", "brother", "sisters", "brothers",
    "aunt", "uncle", "cousin", "grandmother", "grandfather", "grandma", "grandpa", "friend",
    "friends", "neighbour", "neighbor", "neighbours", "neighbors", "family", "parents",
    "church", "school", "work", "none", "self", "hospital", "clinic", "practice", "center",
    "centre", "community", "group", "online", "website", "internet", "self-referred",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday",
    "der", "die", "das", "und", "oder", "von", "mit", "bei", "ihre", "ihr", "sein", "seine",
    "frau", "herr", "mutter", "vater", "schwester", "bruder", "tante", "onkel", "oma", "opa",
    "freund", "freundin", "freunde", "nachbarin", "nachbar", "kollegin", "kollege", "hausarzt",
    "hausärztin", "ärztin", "arzt", "kirche", "schule", "familie", "eltern",
    NULL,
};
/* Names that are also words: replaced (they are names here), but reported. */
static const char *const name_words[] = {
    "will", "may", "june", "april", "august", "grace", "hope", "joy", "faith", "mark", "rose",
    "summer", "art", "bill", "pat", "sue", "frank", "rich", "dawn", "ray", "jack", "ken",
    "max", "rob", "don", "guy", "lily", "iris", "ivy", "sunny", "angel", "penny", "amber",
    "ruby", "pearl", "crystal", "holly", "heather", "violet", "olive", "hunter", "chase",
    "cliff", "dean", "drew", "gene", "gil", "miles", "norm", "page", "reed", "wade", "win",
    "yuki", "hana", "sora", "kei", "hiro", "aki", "haru", "natsu", "umi", "kai", "ai", "mai",
    "rin", "ren", "sake", "kiku", "momo", "ume", "ebi",
    "ernst", "klar", "frieda", "kurz", "lang", "weiss", "wolf", "fuchs", "bär", "vogel", "jung",
    "alt", "hans", "hein", "mai", "rosa",
    NULL,
};

static int
in_list(const char *const *list, const char *w)
{
    size_t n = strlen(w), mlen;

    for (; *list != NULL; list++) {
        /* Folded equality: the whole word matches the whole entry. */
        if (kz_find_folded(w, n, *list, &mlen) == 0 && mlen == n)
            return 1;
    }
    return 0;
}

int
kz_pseudo_common_word(const char *word)
{
    return in_list(stop_words, word) || in_list(name_words, word);
}

/* ---- UTF-8 ---- */

/* The code point that ends before text[i] (0 at the start). */
static uint32_t
prev_cp(const char *text, size_t i)
{
    size_t j = i;
    uint32_t cp = 0;

    if (i == 0)
        return 0;
    j--;
    while (j > 0 && i - j < 4 && ((unsigned char)text[j] & 0xc0) == 0x80)
        j--;
    kz_utf8_decode((const unsigned char *)text + j, i - j, &cp);
    return cp;
}

static uint32_t
next_cp(const char *text, size_t len, size_t i)
{
    uint32_t cp = 0;

    if (i < len)
        kz_utf8_decode((const unsigned char *)text + i, len - i, &cp);
    return cp;
}

/* Scripts written without spaces between words. */
static int
is_cjk(uint32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
           (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0xff66 && cp <= 0xff9f) ||
           (cp >= 0x20000 && cp <= 0x2ffff);
}

/* A letter or digit of a script with spaces: what a whole word must not touch. */
static int
is_word(uint32_t cp)
{
    if (cp == 0)
        return 0;
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               cp == '_';
    return !is_cjk(cp) && iswalnum((wint_t)cp);
}

/* ---- the table ---- */

void
kz_pseudo_init(struct kz_pseudo *p, uint32_t start, int style)
{
    memset(p, 0, sizeof(*p));
    p->start = start;
    p->style = style;
}

void
kz_pseudo_free(struct kz_pseudo *p)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        kz_wipe_free(p->names[i].name, strlen(p->names[i].name));
        free(p->names[i].role);
    }
    free(p->names);
    memset(p, 0, sizeof(*p));
}

/* What a letter that stands for two is written out as, at s (left bytes
 * there); *used its bytes. NULL for any other character. A decomposed
 * umlaut or ring (a letter and U+0308 or U+030A) counts as the letter. Not
 * ß: the matching itself reads it as "ss" (kz_find_folded). */
static const char *
written_out_at(const unsigned char *s, size_t left, size_t *used)
{
    static const struct {
        const char *utf8, *as;
    } two[] = {
        {"\xc3\xa4", "ae"}, {"\xc3\x84", "Ae"}, {"\xc3\xb6", "oe"}, {"\xc3\x96", "Oe"},
        {"\xc3\xbc", "ue"}, {"\xc3\x9c", "Ue"}, {"\xc3\xa6", "ae"}, {"\xc3\x86", "Ae"},
        {"\xc5\x93", "oe"}, {"\xc5\x92", "Oe"}, {"\xc3\xb8", "oe"}, {"\xc3\x98", "Oe"},
        {"\xc3\xa5", "aa"}, {"\xc3\x85", "Aa"}, {"\xc3\xbe", "th"}, {"\xc3\x9e", "Th"},
    };
    static const char *const umlaut[] = {"ae", "oe", "ue", "Ae", "Oe", "Ue"};
    size_t i, n;

    for (i = 0; i < sizeof(two) / sizeof(two[0]); i++) {
        n = strlen(two[i].utf8);
        if (n <= left && memcmp(s, two[i].utf8, n) == 0) {
            *used = n;
            return two[i].as;
        }
    }
    if (left >= 3 && s[1] == 0xcc && (s[2] == 0x88 || s[2] == 0x8a)) {
        const char *at = strchr("aouAOU", s[0]);
        if (s[0] != '\0' && at != NULL && (s[2] == 0x88 || (s[0] | 0x20) == 'a')) {
            *used = 3;
            return s[2] == 0x8a ? (s[0] == 'a' ? "aa" : "Aa") : umlaut[at - "aouAOU"];
        }
    }
    return NULL;
}

/* name written out (written_out_at), or NULL when it holds no such letter;
 * its length in *outlen. Wiped by the caller. */
static char *
written_out(const char *name, size_t len, size_t *outlen)
{
    struct kz_buf b = {NULL, 0, 0};
    size_t i = 0, used;
    int any = 0;
    char *out;

    kz_buf_add(&b, "");
    while (i < len) {
        const char *as = written_out_at((const unsigned char *)name + i, len - i, &used);
        if (as != NULL) {
            kz_buf_add(&b, as);
            i += used;
            any = 1;
        } else {
            kz_buf_addn(&b, name + i, 1);
            i++;
        }
    }
    if (!any) {
        kz_buf_free(&b);
        return NULL;
    }
    *outlen = b.len;
    out = kz_xmalloc(b.len + 1);
    memcpy(out, kz_buf_str(&b), b.len + 1);
    kz_buf_free(&b);
    return out;
}

static void
add_one(struct kz_pseudo *p, const char *name, size_t len, const char *role, int written)
{
    size_t i, at, mlen;
    char *copy;

    while (len > 0 && (name[0] == ' ' || name[0] == '\t')) {
        name++;
        len--;
    }
    while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    if (len == 0)
        return;
    copy = kz_xmalloc(len + 1);
    memcpy(copy, name, len);
    copy[len] = '\0';
    for (i = 0; i < p->n; i++) {
        size_t nl = strlen(p->names[i].name);
        if (nl == len && kz_find_folded(copy, len, p->names[i].name, &mlen) == 0 && mlen == len) {
            kz_wipe_free(copy, len);
            return;
        }
    }
    /* Longest first: where two names overlap, the longer one is tried first. */
    for (at = 0; at < p->n && strlen(p->names[at].name) >= len; at++)
        ;
    p->names = kz_xrealloc(p->names, (p->n + 1) * sizeof(*p->names));
    memmove(p->names + at + 1, p->names + at, (p->n - at) * sizeof(*p->names));
    p->names[at].name = copy;
    p->names[at].role = kz_xstrdup(role);
    p->names[at].count = 0;
    p->names[at].common = kz_pseudo_common_word(copy);
    p->names[at].written_out = written;
    p->n++;
}

/* name, and name written out when that differs. */
static void
add_name(struct kz_pseudo *p, const char *name, size_t len, const char *role)
{
    size_t wl = 0;
    char *w;

    add_one(p, name, len, role, 0);
    if ((w = written_out(name, len, &wl)) != NULL) {
        add_one(p, w, wl, role, 1);
        kz_wipe_free(w, wl);
    }
}

/* Characters in name (a rough count: code points). */
static size_t
ncp(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

void
kz_pseudo_add(struct kz_pseudo *p, const char *name, const char *role)
{
    const char *s = name, *e;

    if (name == NULL)
        return;
    add_name(p, name, strlen(name), role);
    /* Each word of a name of several ("Aiko Tanaka", "Jean-Luc Picard"). */
    if (strpbrk(name, " \t") == NULL)
        return;
    while (*s != '\0') {
        while (*s == ' ' || *s == '\t')
            s++;
        for (e = s; *e != '\0' && *e != ' ' && *e != '\t'; e++)
            ;
        if (ncp(s, (size_t)(e - s)) >= 2)
            add_name(p, s, (size_t)(e - s), role);
        s = e;
    }
}

/* ---- dates ---- */

void
kz_pseudo_week(const struct kz_pseudo *p, uint32_t date, char *buf, size_t size)
{
    long d;

    if (p->start == 0 || date == 0) {
        snprintf(buf, size, "[date]");
        return;
    }
    d = kz_date_diff(p->start, date);
    if (d >= 0)
        snprintf(buf, size, "week %ld", d / 7 + 1);
    else
        snprintf(buf, size, "%ld week%s before the start", (-d + 6) / 7,
                 (-d + 6) / 7 == 1 ? "" : "s");
}

static size_t
digits(const char *s, size_t len, size_t i, size_t max)
{
    size_t n = 0;

    while (i + n < len && n < max + 1 && s[i + n] >= '0' && s[i + n] <= '9')
        n++;
    return n;
}

static uint32_t
ymd(long y, long m, long d)
{
    char iso[16];

    if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    snprintf(iso, sizeof(iso), "%04ld-%02ld-%02ld", y, m, d);
    return kz_date_parse(iso);
}

static long
num(const char *s, size_t n)
{
    long v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* A date written at text[i] (digits, not after a digit): its length, the day
 * in *date (0: date-shaped but no calendar day). 0 when there is none. */
static size_t
date_at(const struct kz_pseudo *p, const char *t, size_t len, size_t i, uint32_t *date)
{
    size_t a = digits(t, len, i, 4), b, c, j;

    if (a == 4 && i + 4 < len && (t[i + 4] == '-' || t[i + 4] == '/')) {
        char sep = t[i + 4];
        b = digits(t, len, i + 5, 2);
        if (b >= 1 && b <= 2 && i + 5 + b < len && t[i + 5 + b] == sep) {
            j = i + 6 + b;
            c = digits(t, len, j, 2);
            if (c >= 1 && c <= 2) {
                *date = ymd(num(t + i, 4), num(t + i + 5, b), num(t + j, c));
                j += c;
                /* A timestamp: the time goes with the date. */
                if (j < len && t[j] == 'T' && digits(t, len, j + 1, 2) == 2) {
                    j++;
                    while (j < len && ((t[j] >= '0' && t[j] <= '9') || t[j] == ':' ||
                                       t[j] == '.'))
                        j++;
                    if (j < len && t[j] == 'Z')
                        j++;
                }
                return j;
            }
        }
    }
    /* 2026年1月12日 */
    if (a == 4 && i + 7 <= len && memcmp(t + i + 4, "\xe5\xb9\xb4", 3) == 0) {
        j = i + 7;
        b = digits(t, len, j, 2);
        if (b >= 1 && b <= 2 && j + b + 3 <= len && memcmp(t + j + b, "\xe6\x9c\x88", 3) == 0) {
            size_t k = j + b + 3;
            c = digits(t, len, k, 2);
            if (c >= 1 && c <= 2 && k + c + 3 <= len &&
                memcmp(t + k + c, "\xe6\x97\xa5", 3) == 0) {
                *date = ymd(num(t + i, 4), num(t + j, b), num(t + k, c));
                return k + c + 3;
            }
        }
    }
    /* D.M.YYYY, DD.MM.YYYY, D/M/YYYY (day first unless the vault shows M/D). */
    if (a >= 1 && a <= 2 && i + a < len && (t[i + a] == '.' || t[i + a] == '/')) {
        char sep = t[i + a];
        j = i + a + 1;
        b = digits(t, len, j, 2);
        if (b >= 1 && b <= 2 && j + b < len && t[j + b] == sep) {
            size_t k = j + b + 1;
            c = digits(t, len, k, 4);
            if (c == 4) {
                long x = num(t + i, a), y = num(t + j, b);
                if (sep == '/' && p->style == KZ_DATE_MDY_SLASH)
                    *date = ymd(num(t + k, 4), x, y);
                else
                    *date = ymd(num(t + k, 4), y, x);
                return k + 4;
            }
        }
    }
    return 0;
}

/* ---- names ---- */

struct hit {
    size_t off, len; /* in the text: the name (and a German genitive s) */
    size_t name;     /* index into p->names */
    int genitive;    /* "Aikos": the role gets "'s" */
};

static int
by_place(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;

    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1; /* the longest first */
    return 0;
}

/* Whole-word places of name k in text, appended to *hits. */
static void
find_name(const struct kz_pseudo *p, size_t k, const char *text, size_t len, struct hit **hits,
          size_t *n, size_t *cap)
{
    const char *name = p->names[k].name;
    size_t nl = strlen(name), pos = 0, mlen;
    uint32_t first = next_cp(name, nl, 0), last = prev_cp(name, nl);
    long off;

    while (pos < len && (off = kz_find_folded(text + pos, len - pos, name, &mlen)) >= 0) {
        size_t at = pos + (size_t)off, end = at + mlen;
        int gen = 0;
        pos = at + 1;
        if (!is_cjk(first) && is_word(prev_cp(text, at)))
            continue;
        if (!is_cjk(last) && is_word(next_cp(text, len, end))) {
            /* "Aikos Mutter": a German genitive, unless the s goes on. */
            if ((text[end] == 's' || text[end] == 'S') && !is_word(next_cp(text, len, end + 1)))
                gen = 1;
            else
                continue;
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *hits = kz_xrealloc(*hits, *cap * sizeof(**hits));
        }
        (*hits)[*n].off = at;
        (*hits)[*n].len = mlen + (size_t)gen;
        (*hits)[*n].name = k;
        (*hits)[*n].genitive = gen;
        (*n)++;
    }
}

char *
kz_pseudo_text(struct kz_pseudo *p, const char *text, size_t len, size_t *outlen)
{
    struct kz_buf b = {NULL, 0, 0};
    struct hit *hits = NULL;
    size_t n = 0, cap = 0, k, i = 0, h = 0;
    char *out;

    for (k = 0; k < p->n; k++)
        find_name(p, k, text, len, &hits, &n, &cap);
    if (n > 1)
        qsort(hits, n, sizeof(*hits), by_place);
    kz_buf_add(&b, "");
    while (i < len) {
        uint32_t date = 0;
        size_t dl;
        while (h < n && hits[h].off < i)
            h++; /* overlapped by one taken */
        if (h < n && hits[h].off == i) {
            struct kz_pseudo_name *nm = &p->names[hits[h].name];
            kz_buf_add(&b, nm->role);
            if (hits[h].genitive)
                kz_buf_add(&b, "'s");
            nm->count++;
            i += hits[h].len;
            continue;
        }
        if (text[i] >= '0' && text[i] <= '9' && (i == 0 || text[i - 1] < '0' || text[i - 1] > '9') &&
            (dl = date_at(p, text, len, i, &date)) > i && !(dl < len && text[dl] >= '0' &&
                                                              text[dl] <= '9')) {
            char wk[48];
            kz_pseudo_week(p, date, wk, sizeof(wk));
            kz_buf_add(&b, wk);
            p->dates++;
            i = dl;
            continue;
        }
        kz_buf_addn(&b, text + i, 1);
        i++;
    }
    free(hits);
    if (outlen != NULL)
        *outlen = b.len;
    out = kz_xmalloc(b.len + 1);
    memcpy(out, kz_buf_str(&b), b.len + 1); /* a note may hold a NUL */
    kz_buf_free(&b);
    return out;
}

/* ---- the profile and the document ---- */

/* The role of partner k (1 or 2): "Partner A (Japan)". */
static void
partner_role(const json_t *couple, int k, char *buf, size_t size)
{
    const json_t *pt = json_object_get(couple, k == 1 ? "partner1" : "partner2");
    const char *origin = json_string_value(json_object_get(pt, "origin"));

    if (origin != NULL && *origin != '\0')
        snprintf(buf, size, "Partner %c (%s)", k == 1 ? 'A' : 'B', origin);
    else
        snprintf(buf, size, "Partner %c", k == 1 ? 'A' : 'B');
}

/* The residence's role: "city in Germany", "a city", or NULL when it is
 * one of the partners' countries of origin (kept as it is). */
static char *
residence_role(const json_t *couple, const char *res, char **city)
{
    const char *comma = strrchr(res, ',');
    int k;

    *city = NULL;
    if (comma != NULL) {
        const char *c = comma + 1;
        char role[300];
        while (*c == ' ')
            c++;
        *city = kz_xmalloc((size_t)(comma - res) + 1);
        memcpy(*city, res, (size_t)(comma - res));
        (*city)[comma - res] = '\0';
        snprintf(role, sizeof(role), *c ? "city in %s" : "a city", c);
        return kz_xstrdup(role);
    }
    for (k = 1; k <= 2; k++) {
        const json_t *pt = json_object_get(couple, k == 1 ? "partner1" : "partner2");
        const char *o = json_string_value(json_object_get(pt, "origin"));
        size_t mlen;
        if (o != NULL && *o && strlen(o) == strlen(res) &&
            kz_find_folded(res, strlen(res), o, &mlen) == 0)
            return NULL;
    }
    *city = kz_xstrdup(res);
    return kz_xstrdup("a city");
}

/* The capitalized words of a free-text field that are no common word: names. */
static void
field_names(struct kz_pseudo *p, const char *text, const char *role, int number_first)
{
    const char *s = text;
    int k = 0;

    while (s != NULL && *s != '\0') {
        const char *e = s;
        uint32_t cp, c0;
        size_t l;
        char word[128];
        l = kz_utf8_decode((const unsigned char *)s, strlen(s), &c0);
        if (!is_word(c0)) {
            s += l;
            continue;
        }
        while (*e != '\0' && (kz_utf8_decode((const unsigned char *)e, strlen(e), &cp), is_word(cp) ||
                              cp == '-'))
            e += kz_utf8_decode((const unsigned char *)e, strlen(e), &cp);
        snprintf(word, sizeof(word), "%.*s", (int)(e - s), s);
        s = e;
        /* A name starts upper case and is no abbreviation (GP, NHS). */
        if (!iswupper((wint_t)c0) || ncp(word, strlen(word)) < 2 || in_list(stop_words, word))
            continue;
        {
            size_t i, upper = 0, all = 0, mlen, known = 0;
            for (i = 0; word[i] != '\0'; i++) {
                all++;
                upper += word[i] >= 'A' && word[i] <= 'Z';
            }
            if (upper == all)
                continue;
            for (i = 0; i < p->n; i++)
                known |= strlen(p->names[i].name) == strlen(word) &&
                         kz_find_folded(word, strlen(word), p->names[i].name, &mlen) == 0;
            if (known)
                continue;
        }
        {
            char r[160];
            k++;
            if (k == 1 && !number_first)
                snprintf(r, sizeof(r), "%s", role);
            else
                snprintf(r, sizeof(r), "%s %d", role, k);
            kz_pseudo_add(p, word, r);
        }
    }
}

void
kz_pseudo_profile(struct kz_pseudo *p, const json_t *couple)
{
    const json_t *kids = json_object_get(couple, "children"), *c;
    const char *res = json_string_value(json_object_get(couple, "residence"));
    char role[300];
    size_t i;
    int k;

    for (k = 1; k <= 2; k++) {
        const json_t *pt = json_object_get(couple, k == 1 ? "partner1" : "partner2");
        partner_role(couple, k, role, sizeof(role));
        kz_pseudo_add(p, json_string_value(json_object_get(pt, "name")), role);
    }
    json_array_foreach(kids, i, c) {
        snprintf(role, sizeof(role), "Child %zu", i + 1);
        kz_pseudo_add(p, json_string_value(json_object_get(c, "name")), role);
    }
    if (res != NULL && *res != '\0') {
        char *city, *r = residence_role(couple, res, &city);
        if (r != NULL)
            kz_pseudo_add(p, city, r);
        free(city);
        free(r);
    }
    field_names(p, json_string_value(json_object_get(couple, "support")), "support person", 1);
    field_names(p, json_string_value(json_object_get(couple, "referral")), "referrer", 0);
}

uint32_t
kz_pseudo_start(const json_t *doc)
{
    const json_t *s;
    const char *in = json_string_value(json_object_get(json_object_get(doc, "couple"), "intake"));
    uint32_t start = in != NULL ? kz_date_parse(in) : 0;
    size_t i;

    json_array_foreach(json_object_get(doc, "sessions"), i, s) {
        const char *d = json_string_value(json_object_get(s, "date"));
        uint32_t v = d != NULL ? kz_date_parse(d) : 0;
        if (v != 0 && (start == 0 || v < start))
            start = v;
    }
    return start;
}

/* A string that is one date or timestamp and nothing else: its day, or 0. */
static int
whole_date(const struct kz_pseudo *p, const char *s, size_t len, uint32_t *date)
{
    *date = 0;
    return len > 0 && s[0] >= '0' && s[0] <= '9' && date_at(p, s, len, 0, date) == len;
}

static void walk(struct kz_pseudo *p, json_t *v);

static void
walk_object(struct kz_pseudo *p, json_t *o)
{
    static const char *const times[] = {"created", "updated", "exported", "at", NULL};
    const char *key;
    json_t *v;
    void *tmp;
    size_t i;

    for (i = 0; times[i] != NULL; i++)
        json_object_del(o, times[i]);
    json_object_foreach_safe(o, tmp, key, v) {
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            size_t len = json_string_length(v), outlen;
            uint32_t d;
            char wk[48], *t;
            if (whole_date(p, s, len, &d)) {
                kz_pseudo_week(p, d, wk, sizeof(wk));
                p->dates++;
                json_object_set_new(o, key, json_string(wk));
                continue;
            }
            t = kz_pseudo_text(p, s, len, &outlen);
            json_object_set_new(o, key, json_stringn(t, outlen));
            kz_wipe_free(t, outlen);
        } else {
            walk(p, v);
        }
    }
}

static void
walk(struct kz_pseudo *p, json_t *v)
{
    size_t i;

    if (json_is_object(v)) {
        walk_object(p, v);
    } else if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++) {
            json_t *e = json_array_get(v, i);
            if (json_is_string(e)) {
                size_t outlen;
                char *t = kz_pseudo_text(p, json_string_value(e), json_string_length(e), &outlen);
                json_array_set_new(v, i, json_stringn(t, outlen));
                kz_wipe_free(t, outlen);
            } else {
                walk(p, e);
            }
        }
    }
}

void
kz_pseudo_doc(struct kz_pseudo *p, json_t *doc)
{
    json_t *couple = json_object_get(doc, "couple"), *c;
    const char *res = json_string_value(json_object_get(couple, "residence"));
    size_t i;

    json_object_set_new(doc, "format", json_string("kizuna-export-pseudonymized"));
    json_object_del(doc, "practice");
    json_object_del(doc, "therapist");
    if (res != NULL && *res != '\0') {
        char *city, *r = residence_role(couple, res, &city);
        if (r != NULL)
            json_object_set_new(couple, "residence", json_string(r));
        free(city);
        free(r);
    }
    json_array_foreach(json_object_get(couple, "children"), i, c) {
        json_t *by = json_object_get(c, "birth_year");
        if (json_is_integer(by) && p->start != 0)
            json_object_set_new(c, "age_at_start",
                                json_integer((json_int_t)(p->start / 10000) - json_integer_value(by)));
        json_object_del(c, "birth_year");
    }
    walk(p, doc);
    json_object_set_new(doc, "pseudonymized",
                        json_pack("{s:s}", "week_1", "the week from the first day of therapy "
                                                     "(the intake, or the first session if earlier)"));
}
