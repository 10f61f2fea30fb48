/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Case-insensitive matching on UTF-8 text, and snippets around a match. */
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "kizuna/model.h"
#include "kizuna/secmem.h"

/* Decodes one code point; returns its byte length (1 for a stray byte). */
static size_t
utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
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

static uint32_t
fold(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    return (uint32_t)towlower((wint_t)cp);
}

/* Does the folded needle (code points) match at hay[i]? Returns the bytes used or 0. */
static size_t
match_at(const unsigned char *hay, size_t haylen, size_t i, const uint32_t *nd, size_t ndn)
{
    size_t k, pos = i;

    for (k = 0; k < ndn; k++) {
        uint32_t cp;
        if (pos >= haylen)
            return 0;
        if (hay[pos] < 0x80) {
            cp = hay[pos] >= 'A' && hay[pos] <= 'Z' ? hay[pos] + 32u : hay[pos];
            pos++;
        } else {
            pos += utf8_decode(hay + pos, haylen - pos, &cp);
            cp = fold(cp);
        }
        if (cp != nd[k])
            return 0;
    }
    return pos - i;
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
    if (nlen > 64)
        nd = kz_xmalloc(nlen * sizeof(*nd));
    for (i = 0; i < nlen;) {
        uint32_t cp;
        i += utf8_decode(needle + i, nlen - i, &cp);
        nd[ndn++] = fold(cp);
    }
    first = nd[0];
    /* Fast skip: an ASCII first character has two byte forms; others start
     * with a lead byte we can only compare after decoding, so scan every lead. */
    f_lo = first < 0x80 ? (unsigned char)first : 0;
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
            if ((used = match_at(hay, haylen, i, nd, ndn)) > 0) {
                found = (long)i;
                *mlen = used;
                break;
            }
            i++;
        }
    } else {
        for (i = 0; i < haylen; i++) {
            if (hay[i] < 0xc0)
                continue; /* not a lead byte */
            if ((used = match_at(hay, haylen, i, nd, ndn)) > 0) {
                found = (long)i;
                *mlen = used;
                break;
            }
        }
    }
    if (nd != stack)
        free(nd);
    return found;
}

char *
kz_snippet(const char *text, size_t off, size_t mlen, int width, const char *open,
           const char *close)
{
    size_t len = strlen(text), start = off, end = off + mlen, k = 0, i;
    int before = width / 2, after;
    char *out;

    /* Walk back about width/2 characters (not splitting UTF-8 sequences). */
    while (start > 0 && before > 0) {
        start--;
        if (((unsigned char)text[start] & 0xc0) != 0x80)
            before--;
    }
    after = width - (width / 2 - before) - (int)mlen;
    while (end < len && after > 0) {
        end++;
        while (end < len && ((unsigned char)text[end] & 0xc0) == 0x80)
            end++;
        after--;
    }
    out = kz_xmalloc((end - start) + strlen(open) + strlen(close) + 8);
    if (start > 0) {
        memcpy(out + k, "\xe2\x80\xa6", 3);
        k += 3;
    }
    for (i = start; i < end; i++) {
        if (i == off) {
            memcpy(out + k, open, strlen(open));
            k += strlen(open);
        }
        /* A line break is a space; any other control in the note a '?' (the
         * highlight marks are the caller's alone). */
        if (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')
            out[k++] = ' ';
        else if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            out[k++] = '?';
        else
            out[k++] = text[i];
        if (i + 1 == off + mlen) {
            memcpy(out + k, close, strlen(close));
            k += strlen(close);
        }
    }
    if (end < len) {
        memcpy(out + k, "\xe2\x80\xa6", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}
