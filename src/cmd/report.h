/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to report (report.c) and its unit test: the printable picture of a
 * couple's scores and sessions as SVG or HTML text (report_svg.c, pure: no
 * vault, no printing). */
#ifndef KIZUNA_CMD_REPORT_H
#define KIZUNA_CMD_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kizuna/model_measure.h"

struct kz_buf;

/* A session on the timeline strip: its date and who came (0 both, 1 or 2 the
 * partner alone). Voided sessions are not given. */
struct kz_report_session {
    uint32_t date; /* yyyymmdd */
    int who;
};

/* What the picture shows, and all it shows: the couple's code, the two labels
 * the partners go by ("Partner 1", or a first name with report --names), the
 * scores on one measure, the sessions' dates and who came, the date it was
 * made and the date style. Nothing else from the vault reaches the file. */
struct kz_report {
    const char *code;
    const char *label[2];
    const struct kz_series *s;
    const struct kz_report_session *sess; /* sorted by date */
    size_t nsess;
    uint32_t made;  /* yyyymmdd */
    int date_style; /* KZ_DATE_* */
};

/* The picture's size in SVG user units (its viewBox is 0 0 W H). */
#define KZ_REPORT_W 800
#define KZ_REPORT_H 560

/* Text into b for XML character data or an attribute value: & < > " ' as
 * entities, control characters and bytes that are not UTF-8 as U+FFFD, cut
 * after max characters with "…" (0: no limit). */
void kz_report_xml_text(struct kz_buf *b, const char *s, size_t max);
/* A standalone SVG document (UTF-8, XML declaration first). */
void kz_report_svg(const struct kz_report *r, struct kz_buf *b);
/* An HTML page with the same SVG inline: no script, no link, no external
 * anything; well-formed as XML too. */
void kz_report_html(const struct kz_report *r, struct kz_buf *b);

#endif
