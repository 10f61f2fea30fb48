/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_MODEL_SEARCH_INDEX_H
#define KIZUNA_MODEL_SEARCH_INDEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * search's in-memory token index (issue #17). It maps each word of the
 * searchable fields of records (a note, a goal's title, a profile value:
 * whatever the caller calls a field) to the fields that hold it, so that a
 * repeated search opens only the records it shows. It holds words of the
 * notes and the fields' dates: plaintext. It lives in ordinary memory, is
 * never written anywhere, and every byte of it is wiped before it is freed
 * (kz_sindex_free, and the old blocks of everything that grows).
 *
 * Words: the text folded code point by code point exactly as kz_find_folded
 * folds (kz_utf8_decode, kz_utf8_fold) and encoded again as UTF-8, split at
 * every ASCII character that is not a letter or digit; a CJK character (Han,
 * Hiragana, Katakana, Hangul, CJK punctuation, full-width forms) is a word of
 * its own, so that a Japanese sentence is not one word.
 *
 * A term is split the same way into pieces; the fields that hold it are among
 * those that hold, for every piece, a word containing the piece. When the
 * term is one piece equal to the whole folded term (no blank, punctuation or
 * second CJK character, valid UTF-8) the answer is exact: a field is in it if
 * and only if kz_find_folded finds the term in the field's text.
 */

/* Calls tok(ctx, word, len) for each word of text[0..len) in order (word is
 * scratch memory, valid during the call, NUL-terminated). */
void kz_sindex_tokens(const char *text, size_t len,
                      void (*tok)(void *ctx, const char *word, size_t wlen), void *ctx);

struct kz_sindex;
struct kz_sdoc;

/* A field as the index keeps it: which record and what the caller says of it. */
struct kz_sfield {
    uint32_t rec;      /* the record's slot (kz_sindex_rec) */
    uint32_t sortdate; /* the caller's */
    uint32_t showdate; /* the caller's */
    uint32_t name;     /* its name (kz_sindex_name), 0 if none */
    uint16_t ord;      /* the caller's ordinal (which addendum, which profile value) */
    uint8_t kind;      /* the caller's kind */
    uint8_t dead;      /* its record changed or went: no longer an answer */
};

/* A record's fields, cut into words by the caller's thread without any lock
 * (two walkers each fill their own), then handed to kz_sindex_put. */
struct kz_sdoc *kz_sdoc_new(const unsigned char id[16], uint64_t ver);
/* Adds a field (text[0..len) cut into its distinct words now; name may be NULL). */
void kz_sdoc_field(struct kz_sdoc *d, const char *text, size_t len, uint8_t kind, uint16_t ord,
                   uint32_t sortdate, uint32_t showdate, const char *name);
/* Wipes and frees; NULL is a no-op. */
void kz_sdoc_free(struct kz_sdoc *d);

struct kz_sindex *kz_sindex_new(void);
/* Wipes every byte and frees; NULL is a no-op. */
void kz_sindex_free(struct kz_sindex *ix);

/* Puts d's record (id, version, fields) in, in place of what the index had
 * for that id (its old fields become dead). Not thread-safe: callers hold
 * their lock. d stays the caller's. */
void kz_sindex_put(struct kz_sindex *ix, const struct kz_sdoc *d);
/* Takes a record out (its fields become dead); an unknown id is a no-op. */
void kz_sindex_drop(struct kz_sindex *ix, const unsigned char id[16]);
/* The slot of the record with id, and its version, or -1. */
long kz_sindex_find(const struct kz_sindex *ix, const unsigned char id[16], uint64_t *ver);
/* Record slots are 0 .. kz_sindex_nrecs - 1; kz_sindex_rec gives a slot's id
 * and version and returns 1 if the record is in (0: dropped). */
size_t kz_sindex_nrecs(const struct kz_sindex *ix);
int kz_sindex_rec(const struct kz_sindex *ix, size_t slot, const unsigned char **id,
                  uint64_t *ver, uint32_t *first, uint32_t *nfields);

/* Fields are 0 .. kz_sindex_nfields - 1 (dead ones included). */
size_t kz_sindex_nfields(const struct kz_sindex *ix);
const struct kz_sfield *kz_sindex_field(const struct kz_sindex *ix, size_t f);
const char *kz_sindex_name(const struct kz_sindex *ix, uint32_t name);
/* Dead fields make up more than half: renumbers the fields and records
 * (field numbers and slots given before are void); returns 1 if it did. */
int kz_sindex_compact(struct kz_sindex *ix);

/* The fields that may hold term: out gets a bitmap of kz_sindex_nfields bits
 * (kz_sindex_bitmap_words uint64_t words, bit f of field f; dead fields may
 * be set). Returns 1 when exact, 0 when a superset (verify each field with
 * kz_find_folded), -1 when the term has no piece (only blanks and
 * punctuation: every field may hold it). */
size_t kz_sindex_bitmap_words(const struct kz_sindex *ix);
int kz_sindex_term(const struct kz_sindex *ix, const char *term, uint64_t *out);

/* Bytes the index holds (its allocations), and how many words it knows. */
size_t kz_sindex_bytes(const struct kz_sindex *ix);
size_t kz_sindex_nwords(const struct kz_sindex *ix);

#endif
