/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whether two session notes are the same note (header-only): shared by
 * test_model_session and fuzz_record, which hold the quick reader
 * (kz_session_read_sealed) to jansson and kz_session_decode with it. */
#ifndef KIZUNA_SAME_SESSION_H
#define KIZUNA_SAME_SESSION_H

#include <jansson.h>

#include "kizuna/model_session.h"

/* 1 when q and j encode to the same JSON and agree on the lengths, the void
 * flag, the addenda count and whether there are process notes. */
static inline int
same_session(const struct kz_session *q, const struct kz_session *j)
{
    json_t *a = kz_session_encode(q, KZ_SESSION_SEALED);
    json_t *b = kz_session_encode(j, KZ_SESSION_SEALED);
    int same = a != NULL && b != NULL && json_equal(a, b) && q->text_len == j->text_len &&
               q->process_notes_len == j->process_notes_len && q->voided == j->voided &&
               q->naddenda == j->naddenda && q->has_process_notes == j->has_process_notes;

    json_decref(a);
    json_decref(b);
    return same;
}

#endif
