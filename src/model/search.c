/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Matching on UTF-8 text without regard to case or accents, and snippets
 * around a match. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <wctype.h>

#include "kizuna/model.h"
#include "kizuna/secmem.h"

size_t
kz_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
    size_t n, i;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 1;
    if (n == 1 || n > left) {
        *cp = s[0];
        return 1;
    }
    *cp = s[0] & (0x7f >> n);
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = s[0];
            return 1;
        }
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    return n;
}

/* ASCII A-Z to a-z, anything else as it is. */
static inline uint32_t
ascii_lower(uint32_t cp)
{
    return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
}

/* A combining diacritical mark (U+0300-U+036F): what canonical decomposition
 * puts after a Latin, Greek or Cyrillic letter for its accent. */
static int
is_mark(uint32_t cp)
{
    return cp >= 0x300 && cp <= 0x36f;
}

/* The Latin letters with a stroke, and the dotless i, that Unicode does not
 * decompose (no combining stroke is canonical), as their plain letter: "ø"
 * and "Ø" o (Danish, Norwegian), "ł" l (Polish), "đ" d (Croatian,
 * Vietnamese), "ı" i (Turkish), "ħ" h (Maltese), "ŧ" t (Sami). The same
 * partner's name is typed both ways on one keyboard ("Paweł", "Pawel"). */
static uint32_t
stroke_letter(uint32_t cp)
{
    switch (cp) {
    case 0xd8:
    case 0xf8:
        return 'o';
    case 0x141:
    case 0x142:
        return 'l';
    case 0x110:
    case 0x111:
        return 'd';
    case 0x131:
        return 'i';
    case 0x126:
    case 0x127:
        return 'h';
    case 0x166:
    case 0x167:
        return 't';
    default:
        return 0;
    }
}

/* One code point below FOLD_END as the search compares it: ASCII A-Z
 * lowered; a combining mark KZ_UTF8_MARK; a letter whose canonical
 * decomposition (utf8proc) is a letter and combining marks only, that letter
 * ("é" is e + U+0301: e; "Ő", "ș", "ά", "ё" alike); a letter with a stroke,
 * or the dotless i, its plain letter (stroke_letter); then through towlower
 * (the locale's case table). A letter that stands for two (ß, æ, œ, þ) and a
 * decomposition into anything else (Hangul, kana with their voicing marks)
 * are only lowered. */
static uint32_t
fold_slow(uint32_t cp)
{
    utf8proc_int32_t d[8];
    utf8proc_ssize_t n, k;
    int boundclass = 0;

    if (cp < 0x80)
        return ascii_lower(cp);
    if (is_mark(cp))
        return KZ_UTF8_MARK;
    if (stroke_letter(cp) != 0)
        return stroke_letter(cp);
    n = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 8, UTF8PROC_DECOMPOSE, &boundclass);
    if (n >= 2 && n <= 8 && !is_mark((uint32_t)d[0])) {
        for (k = 1; k < n && is_mark((uint32_t)d[k]); k++)
            ;
        if (k == n)
            cp = (uint32_t)d[0];
    }
    return (uint32_t)towlower((wint_t)cp);
}

/* Beyond the table: the full-width forms of ASCII (U+FF01-U+FF5E, what a
 * Japanese or Chinese input method types in its own mode: "Ｊｏｎａｓ",
 * "２０２６") as ASCII, folded as ASCII is, and the ideographic space
 * (U+3000) as a space; anything else through towlower. */
static inline uint32_t
fold_wide(uint32_t cp)
{
    if (cp == 0x3000)
        return ' ';
    if (cp - 0xff01u <= 0xff5eu - 0xff01u) {
        cp -= 0xfee0u;
        return ascii_lower(cp);
    }
    return (uint32_t)towlower((wint_t)cp);
}

/* fold_slow of every code point below FOLD_END (the Latin, Greek and
 * Cyrillic letters with accents among them), made once. Beyond the ASCII
 * characters that other characters fold to (U+00E9 to 'e', U+0130 to 'i',
 * the Kelvin sign U+212A to 'k', U+FF45 to 'e'), for each the lead bytes
 * those start with: two-byte ones as a range, longer ones as two values and
 * a range for any more. A match of a needle starting with such a character
 * may start at one of those, so the pair and memchr skips look there too
 * (every code point with a lower-case mapping lies below U+20000). */
#define FOLD_END 0x2000
static uint32_t fold_table[FOLD_END];
static unsigned char ascii_preimage[128];
static unsigned char lead2_lo[128], lead2_hi[128];
static unsigned char leadn_1[128], leadn_2[128], leadn_lo[128], leadn_hi[128];
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void
lead_add(unsigned char f, unsigned char lead)
{
    if (lead < 0xe0) {
        lead2_lo[f] = lead < lead2_lo[f] ? lead : lead2_lo[f];
        lead2_hi[f] = lead > lead2_hi[f] ? lead : lead2_hi[f];
    } else if (lead == leadn_1[f] || lead == leadn_2[f]) {
        return;
    } else if (leadn_1[f] == 0xff) {
        leadn_1[f] = lead;
    } else if (leadn_2[f] == 0xff) {
        leadn_2[f] = lead;
    } else {
        leadn_lo[f] = lead < leadn_lo[f] ? lead : leadn_lo[f];
        leadn_hi[f] = lead > leadn_hi[f] ? lead : leadn_hi[f];
    }
}

static void
build_fold(void)
{
    uint32_t cp, f;
    unsigned char lead;

    for (cp = 0; cp < FOLD_END; cp++)
        fold_table[cp] = fold_slow(cp);
    memset(lead2_lo, 0xff, sizeof(lead2_lo));
    memset(leadn_lo, 0xff, sizeof(leadn_lo));
    memset(leadn_1, 0xff, sizeof(leadn_1));
    memset(leadn_2, 0xff, sizeof(leadn_2));
    memset(lead2_hi, 0, sizeof(lead2_hi));
    memset(leadn_hi, 0, sizeof(leadn_hi));
    for (cp = 0x80; cp < 0x20000; cp++) {
        f = cp < FOLD_END ? fold_table[cp] : fold_wide(cp);
        if (f == KZ_UTF8_SHARP_S) /* ß and ẞ are "ss": a match of an 's' may hold them */
            f = 's';
        if (f >= 0x80)
            continue;
        ascii_preimage[f] = 1;
        lead = cp < 0x800 ? (unsigned char)(0xc0 | (cp >> 6))
               : cp < 0x10000 ? (unsigned char)(0xe0 | (cp >> 12))
                              : (unsigned char)(0xf0 | (cp >> 18));
        lead_add((unsigned char)f, lead);
    }
}

/* The fold once the table is made (every caller makes sure it is first). */
static inline uint32_t
fold(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_lower(cp);
    return cp < FOLD_END ? fold_table[cp] : fold_wide(cp);
}

uint32_t
kz_utf8_fold(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_lower(cp);
    pthread_once(&fold_once, build_fold);
    return fold(cp);
}

/* kz_utf8_decode_fold once the table is made. */
static inline size_t
decode_fold(const unsigned char *s, size_t left, uint32_t *cp)
{
    size_t n;

    if (s[0] < 0x80) {
        *cp = ascii_lower(s[0]);
        return 1;
    }
    n = kz_utf8_decode(s, left, cp);
    *cp = n == 1 ? KZ_UTF8_STRAY | s[0] : fold(*cp); /* not UTF-8: itself, never a letter */
    return n;
}

size_t
kz_utf8_decode_fold(const unsigned char *s, size_t left, uint32_t *cp)
{
    if (s[0] >= 0x80)
        pthread_once(&fold_once, build_fold);
    return decode_fold(s, left, cp);
}

/* Past the combining marks at hay[pos] (U+0300-U+033F: 0xcc 0x80-0xbf;
 * U+0340-U+036F: 0xcd 0x80-0xaf). */
static inline size_t
skip_marks(const unsigned char *hay, size_t haylen, size_t pos)
{
    while (pos + 1 < haylen &&
           ((hay[pos] == 0xcc && (hay[pos + 1] & 0xc0) == 0x80) ||
            (hay[pos] == 0xcd && hay[pos + 1] >= 0x80 && hay[pos + 1] < 0xb0)))
        pos += 2;
    return pos;
}

/* ß (and ẞ, which lowers to it) is "ss" to the matcher: it compares as two
 * 's', and a match may begin at its second or end at its first ("strasse"
 * finds "Straße", "straße" finds "Strasse", "s" finds "ß"), as in the
 * shell's index, whose words hold it as "ss". Whether hay[i] begins one. */
static inline int
at_sharp_s(const unsigned char *hay, size_t haylen, size_t i)
{
    uint32_t cp;

    return hay[i] >= 0xc0 && decode_fold(hay + i, haylen - i, &cp) > 1 && cp == KZ_UTF8_SHARP_S;
}

/* Does the folded needle (code points, no marks, ß as "ss") match at
 * hay[i]? The marks after each matched character are part of the match (so
 * "jose" matches "Jose" + U+0301 whole). half: hay[i] is a ß whose second
 * 's' alone begins the match. Returns the bytes used or 0. */
static size_t
match_at(const unsigned char *hay, size_t haylen, size_t i, const uint32_t *nd, size_t ndn,
         int half)
{
    size_t k, pos = i;
    int second = 0; /* the second 's' of the ß just read is next */

    for (k = 0; k < ndn; k++) {
        uint32_t cp = 's';
        if (second) {
            second = 0;
        } else {
            if (pos >= haylen)
                return 0;
            pos += decode_fold(hay + pos, haylen - pos, &cp);
            if (cp == KZ_UTF8_SHARP_S) {
                cp = 's';
                second = !(half && k == 0);
            }
        }
        if (cp != nd[k])
            return 0;
        if (!second)
            pos = skip_marks(hay, haylen, pos);
    }
    if (second) /* the match ends inside a ß: the whole ß, and its marks */
        pos = skip_marks(hay, haylen, pos);
    return pos - i;
}

/* A match at hay[i]: from its first character, or from the second 's' of a
 * ß there. */
static inline size_t
match_here(const unsigned char *hay, size_t haylen, size_t i, const uint32_t *nd, size_t ndn)
{
    size_t used = match_at(hay, haylen, i, nd, ndn, 0);

    if (used == 0 && nd[0] == 's' && at_sharp_s(hay, haylen, i))
        used = match_at(hay, haylen, i, nd, ndn, 1);
    return used;
}

/* Where a match of a needle whose first two characters a and b are ASCII
 * can begin: at a byte a (or A) followed by a byte b (or B), by a lead byte
 * of a character that folds to b, or by a combining mark; or at a lead byte
 * of a character that folds to a. The lead bytes are taken as ranges
 * (build_fold), an empty one as 0xff, which UTF-8 never holds. */
struct pair {
    unsigned char a, b, fa, fb;
    /* Leads of what folds to a: a range of two-byte ones; two longer ones and
     * a range of any more. */
    unsigned char a2lo, a2hi, an1, an2, anlo, anhi;
    unsigned char b2lo, b2hi, bn1, bn2, bnlo, bnhi; /* b's, and the marks' */
};

static void
pair_make(struct pair *p, uint32_t a, uint32_t b)
{
    p->a = (unsigned char)a;
    p->b = (unsigned char)b;
    p->fa = (a & 0x20) ? 0x20 : 0;
    p->fb = (b & 0x20) ? 0x20 : 0;
    p->a2lo = lead2_lo[a], p->a2hi = lead2_hi[a];
    p->an1 = leadn_1[a], p->an2 = leadn_2[a];
    p->anlo = leadn_lo[a], p->anhi = leadn_hi[a];
    if (p->a2lo > p->a2hi)
        p->a2lo = p->a2hi = 0xff;
    if (p->anlo > p->anhi)
        p->anlo = p->anhi = 0xff;
    /* 0xcc and 0xcd lead the combining marks. */
    p->b2lo = lead2_lo[b] < 0xcc ? lead2_lo[b] : 0xcc;
    p->b2hi = lead2_hi[b] > 0xcd && lead2_lo[b] <= lead2_hi[b] ? lead2_hi[b] : 0xcd;
    p->bn1 = leadn_1[b], p->bn2 = leadn_2[b];
    p->bnlo = leadn_lo[b], p->bnhi = leadn_hi[b];
    if (p->bnlo > p->bnhi)
        p->bnlo = p->bnhi = 0xff;
}

static inline int
in(unsigned char c, unsigned char lo, unsigned char hi)
{
    return c >= lo && c <= hi;
}

/* The byte-wise form of the test the SSE2 loop makes 16 places at a time. */
static inline int
pair_may(const struct pair *p, const unsigned char *hay, size_t haylen, size_t i)
{
    unsigned char x = hay[i], y = i + 1 < haylen ? hay[i + 1] : 0;

    if (in(x, p->a2lo, p->a2hi) || x == p->an1 || x == p->an2 || in(x, p->anlo, p->anhi))
        return 1;
    return (x | p->fa) == p->a && ((y | p->fb) == p->b || in(y, p->b2lo, p->b2hi) ||
                                   y == p->bn1 || y == p->bn2 || in(y, p->bnlo, p->bnhi));
}

#ifdef __SSE2__
#include <emmintrin.h>

/* x in [lo, lo + span], unsigned, as a byte mask. */
static inline __m128i
in_range(__m128i x, __m128i lo, __m128i span)
{
    return _mm_cmpeq_epi8(_mm_max_epu8(_mm_sub_epi8(x, lo), span), span);
}
#endif

/* The first match, as the byte-wise loop would find it, or -1: candidates
 * from pair_may (16 places at a time with SSE2; OR-ing 0x20 folds a letter's
 * two cases into one, and for a byte with bit 5 clear, such as '@', it also
 * lets other bytes through), each confirmed by match_at. */
static long
find_pair(const unsigned char *hay, size_t haylen, const uint32_t *nd, size_t ndn, size_t *mlen)
{
    struct pair p;
    size_t i = 0, used;

    pair_make(&p, nd[0], nd[1]);
#ifdef __SSE2__
    {
        const __m128i fa = _mm_set1_epi8((char)p.fa), fb = _mm_set1_epi8((char)p.fb);
        const __m128i va = _mm_set1_epi8((char)p.a), vb = _mm_set1_epi8((char)p.b);
        const __m128i a2 = _mm_set1_epi8((char)p.a2lo),
                      a2s = _mm_set1_epi8((char)(p.a2hi - p.a2lo));
        const __m128i an = _mm_set1_epi8((char)p.anlo),
                      ans = _mm_set1_epi8((char)(p.anhi - p.anlo));
        const __m128i b2 = _mm_set1_epi8((char)p.b2lo),
                      b2s = _mm_set1_epi8((char)(p.b2hi - p.b2lo));
        const __m128i bn = _mm_set1_epi8((char)p.bnlo),
                      bns = _mm_set1_epi8((char)(p.bnhi - p.bnlo));
        const __m128i an1 = _mm_set1_epi8((char)p.an1), an2 = _mm_set1_epi8((char)p.an2);
        const __m128i bn1 = _mm_set1_epi8((char)p.bn1), bn2 = _mm_set1_epi8((char)p.bn2);
        for (; i + 17 <= haylen; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(hay + i));
            __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(hay + i + 1));
            __m128i xa = _mm_cmpeq_epi8(_mm_or_si128(x, fa), va);
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_and_si128(xa, _mm_cmpeq_epi8(_mm_or_si128(y, fb), vb)));
            /* The lead bytes only where there are any (most of an English or
             * German note is ASCII, 16 bytes at a time). */
            if (_mm_movemask_epi8(_mm_or_si128(x, y)) != 0) {
                __m128i by = _mm_or_si128(
                    _mm_or_si128(in_range(y, b2, b2s), in_range(y, bn, bns)),
                    _mm_or_si128(_mm_cmpeq_epi8(y, bn1), _mm_cmpeq_epi8(y, bn2)));
                __m128i ax = _mm_or_si128(
                    _mm_or_si128(in_range(x, a2, a2s), in_range(x, an, ans)),
                    _mm_or_si128(_mm_cmpeq_epi8(x, an1), _mm_cmpeq_epi8(x, an2)));
                m |= (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_and_si128(xa, by), ax));
            }
            while (m != 0) {
                size_t at = i + (size_t)__builtin_ctz(m);
                if ((used = match_here(hay, haylen, at, nd, ndn)) > 0) {
                    *mlen = used;
                    return (long)at;
                }
                m &= m - 1;
            }
        }
    }
#endif
    for (; i < haylen; i++) {
        if (pair_may(&p, hay, haylen, i) && (used = match_here(hay, haylen, i, nd, ndn)) > 0) {
            *mlen = used;
            return (long)i;
        }
    }
    return -1;
}

long
kz_find_folded(const char *hay_, size_t haylen, const char *needle_, size_t *mlen)
{
    const unsigned char *hay = (const unsigned char *)hay_;
    const unsigned char *needle = (const unsigned char *)needle_;
    size_t nlen = strlen(needle_), ndn = 0, i, used;
    uint32_t stack[64], *nd = stack, first;
    unsigned char f_lo, f_up;
    long found = -1;

    if (nlen == 0)
        return -1;
    pthread_once(&fold_once, build_fold);
    if (nlen > 64)
        nd = kz_xmalloc(nlen * sizeof(*nd));
    for (i = 0; i < nlen;) {
        uint32_t cp;
        i += decode_fold(needle + i, nlen - i, &cp);
        if (cp == KZ_UTF8_SHARP_S) { /* two or three bytes, two 's': nd has room */
            nd[ndn++] = 's';
            nd[ndn++] = 's';
        } else if (cp != KZ_UTF8_MARK) { /* a needle's marks ask for nothing */
            nd[ndn++] = cp;
        }
    }
    if (ndn == 0)
        goto out;
    first = nd[0];
    if (ndn >= 2 && nd[0] < 0x80 && nd[1] < 0x80) {
        found = find_pair(hay, haylen, nd, ndn, mlen);
        goto out;
    }
    /* Fast skip: an ASCII first character that nothing else folds to has two
     * byte forms; others start with a lead byte we can only compare after
     * decoding, so scan every lead. */
    f_lo = first < 0x80 && !ascii_preimage[first] ? (unsigned char)first : 0;
    f_up = (first >= 'a' && first <= 'z') ? (unsigned char)(first - 32) : f_lo;
    if (f_lo != 0) {
        /* The next place of each case form, searched again only once passed. */
        const unsigned char *p = NULL, *q = NULL;
        const unsigned char *end = hay + haylen;
        int p_done = 0, q_done = f_up == f_lo;
        i = 0;
        for (;;) {
            const unsigned char *c;
            if (!p_done && (p == NULL || p < hay + i)) {
                p = memchr(hay + i, f_lo, (size_t)(end - (hay + i)));
                p_done = p == NULL;
            }
            if (!q_done && (q == NULL || q < hay + i)) {
                q = memchr(hay + i, f_up, (size_t)(end - (hay + i)));
                q_done = q == NULL;
            }
            c = p_done ? (q_done ? NULL : q) : (q_done || p < q) ? p : q;
            if (c == NULL)
                break;
            i = (size_t)(c - hay);
            if ((used = match_here(hay, haylen, i, nd, ndn)) > 0) {
                found = (long)i;
                *mlen = used;
                break;
            }
            i++;
        }
    } else {
        unsigned char a_lo = first < 0x80 ? (unsigned char)first : 0;
        unsigned char a_up = (first >= 'a' && first <= 'z') ? (unsigned char)(first - 32) : a_lo;
        for (i = 0; i < haylen; i++) {
            if (hay[i] < 0xc0 && (a_lo == 0 || (hay[i] != a_lo && hay[i] != a_up)))
                continue; /* not a lead byte, nor the ASCII first character */
            if ((used = match_here(hay, haylen, i, nd, ndn)) > 0) {
                found = (long)i;
                *mlen = used;
                break;
            }
        }
    }
out:
    if (nd != stack)
        free(nd);
    return found;
}

char *
kz_snippet(const char *text, size_t off, size_t mlen, int width, const char *open,
           const char *close)
{
    struct kz_span one = {off, mlen, 1};

    return kz_snippet_spans(text, &one, 1, width, open, close);
}

size_t
kz_find_spans(const char *text, size_t len, const char *const *terms, size_t nterms,
              struct kz_span *spans, size_t max, uint64_t *found)
{
    size_t t, n = 0, i, k;

    *found = 0;
    for (t = 0; t < nterms && t < 64; t++) {
        size_t pos = 0, mlen = 0;
        long off;
        int first = 1;
        while (pos < len && (off = kz_find_folded(text + pos, len - pos, terms[t], &mlen)) >= 0) {
            *found |= (uint64_t)1 << t;
            if (n == max)
                break;
            spans[n].off = pos + (size_t)off;
            spans[n].len = mlen;
            spans[n].first = first;
            first = 0;
            n++;
            pos += (size_t)off + mlen;
        }
    }
    /* Sorted by offset (few spans: insertion sort), overlapping ones merged. */
    for (i = 1; i < n; i++) {
        struct kz_span x = spans[i];
        for (k = i; k > 0 && spans[k - 1].off > x.off; k--)
            spans[k] = spans[k - 1];
        spans[k] = x;
    }
    for (i = 0, k = 0; i < n; i++) {
        if (k > 0 && spans[i].off <= spans[k - 1].off + spans[k - 1].len) {
            size_t e = spans[i].off + spans[i].len;
            if (e > spans[k - 1].off + spans[k - 1].len)
                spans[k - 1].len = e - spans[k - 1].off;
            spans[k - 1].first |= spans[i].first;
            continue;
        }
        spans[k++] = spans[i];
    }
    return k;
}

/* Characters (UTF-8 sequences) in text[a, b). */
static size_t
chars(const char *text, size_t a, size_t b)
{
    size_t n = 0;

    for (; a < b; a++)
        n += ((unsigned char)text[a] & 0xc0) != 0x80;
    return n;
}

/* Moves i back over n characters (not below 0), or forward over n (not past len). */
static size_t
back_chars(const char *text, size_t i, size_t n)
{
    while (i > 0 && n > 0) {
        i--;
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            n--;
    }
    return i;
}

static size_t
fwd_chars(const char *text, size_t len, size_t i, size_t n)
{
    while (i < len && n > 0) {
        i++;
        while (i < len && ((unsigned char)text[i] & 0xc0) == 0x80)
            i++;
        n--;
    }
    return i;
}

#define FRAGS_MAX 8

/* Long (about 115 lines): choosing the fragments around each match, merging
 * those that touch, then writing them with their marks, in one place so the
 * byte offsets of the spans are computed and used side by side. */
char *
kz_snippet_spans(const char *text, const struct kz_span *spans, size_t nspans, int width,
                 const char *open, const char *close)
{
    size_t len = strlen(text), k = 0, i, s, f, nf = 0, anchors = 0, alen = 0, ctx, outlen;
    size_t fs[FRAGS_MAX], fe[FRAGS_MAX];
    size_t olen = strlen(open), clen = strlen(close);
    char *out;

    if (width < 8)
        width = 8;
    for (s = 0; s < nspans; s++) {
        if (spans[s].first || s == 0) {
            anchors++;
            alen += chars(text, spans[s].off, spans[s].off + spans[s].len);
        }
    }
    if (anchors > FRAGS_MAX)
        anchors = FRAGS_MAX;
    if (anchors <= 1) {
        /* One place: about width/2 characters before it, the rest after. */
        size_t off = nspans > 0 ? spans[0].off : 0, mlen = nspans > 0 ? spans[0].len : 0;
        size_t start = back_chars(text, off, (size_t)width / 2);
        long after = (long)width - (long)chars(text, start, off) - (long)mlen;
        fs[0] = start;
        fe[0] = fwd_chars(text, len, off + mlen, after > 0 ? (size_t)after : 0);
        nf = 1;
    } else {
        /* Marks drawn as a colour change (a control byte) take no room. */
        size_t markw = ((unsigned char)open[0] < 0x20 ? 0 : chars(open, 0, olen)) +
                       ((unsigned char)close[0] < 0x20 ? 0 : chars(close, 0, clen));
        size_t first = nspans, last = 0, range, inside = 0;
        for (s = 0; s < nspans; s++) {
            if (spans[s].first || s == 0) {
                first = first == nspans ? s : first;
                last = s;
            }
        }
        for (s = first; s <= last; s++)
            inside++;
        range = chars(text, spans[first].off, spans[last].off + spans[last].len) +
                inside * markw;
        if (range + 2 <= (size_t)width) {
            /* Every term's first place fits in one window: centre it. */
            size_t room = (size_t)width - range - 2;
            fs[0] = back_chars(text, spans[first].off, room / 2);
            room -= chars(text, fs[0], spans[first].off);
            fe[0] = fwd_chars(text, len, spans[last].off + spans[last].len, room);
            nf = 1;
        } else {
            /* A fragment around each term's first place, with what context
             * is left; fragments that (nearly) touch become one. */
            size_t fixed = alen + anchors * (markw + 1) + 1;
            ctx = (size_t)width > fixed ? ((size_t)width - fixed) / (2 * anchors) : 0;
            if (ctx < 1)
                ctx = 1;
            for (s = 0; s < nspans && nf < FRAGS_MAX; s++) {
                size_t a, b;
                if (!spans[s].first && s != 0)
                    continue;
                a = back_chars(text, spans[s].off, ctx);
                b = fwd_chars(text, len, spans[s].off + spans[s].len, ctx);
                if (nf > 0 && a <= fwd_chars(text, len, fe[nf - 1], 2)) {
                    if (b > fe[nf - 1])
                        fe[nf - 1] = b;
                    continue;
                }
                fs[nf] = a;
                fe[nf] = b;
                nf++;
            }
        }
    }
    /* A match that starts inside a fragment is marked whole. */
    for (f = 0, s = 0; f < nf; f++) {
        for (; s < nspans && spans[s].off < fe[f]; s++) {
            if (spans[s].off >= fs[f] && spans[s].off + spans[s].len > fe[f])
                fe[f] = spans[s].off + spans[s].len;
        }
        if (f + 1 < nf && fe[f] > fs[f + 1])
            fs[f + 1] = fe[f];
    }
    outlen = 8;
    for (f = 0; f < nf; f++)
        outlen += (fe[f] > fs[f] ? fe[f] - fs[f] : 0) + 3;
    outlen += nspans * (olen + clen);
    out = kz_xmalloc(outlen);
    for (f = 0, s = 0; f < nf; f++) {
        if (fs[f] > (f > 0 ? fe[f - 1] : 0) || (f == 0 && fs[0] > 0)) {
            memcpy(out + k, "\xe2\x80\xa6", 3); /* … */
            k += 3;
        }
        while (s < nspans && spans[s].off < fs[f])
            s++; /* a span before this fragment (inside a gap) is not shown */
        for (i = fs[f]; i < fe[f]; i++) {
            if (s < nspans && i == spans[s].off) {
                memcpy(out + k, open, olen);
                k += olen;
            }
            /* A line break is a space; any other control in the note a '?'
             * (the highlight marks are the caller's alone). */
            if (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')
                out[k++] = ' ';
            else if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
                out[k++] = '?';
            else
                out[k++] = text[i];
            if (s < nspans && i + 1 == spans[s].off + spans[s].len) {
                memcpy(out + k, close, clen);
                k += clen;
                s++;
            }
        }
    }
    if (nf > 0 && fe[nf - 1] < len) {
        memcpy(out + k, "\xe2\x80\xa6", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}
