/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dates as the therapist types and reads them: the forms accepted, the
 * question before an unlikely date is kept, and the style they are shown in. */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"

int
kz_cmd_date_style(struct kz_state *st)
{
    return st->ui.json ? KZ_DATE_ISO : kz_config_date_style(st);
}

int
kz_cmd_date_read(struct kz_state *st, const char *opt, const char *text, uint32_t *out,
                 struct kz_err *err)
{
    char why[96];

    *out = kz_date_read(text, kz_date_today(), kz_config_date_style(st), why, sizeof(why));
    if (*out != 0)
        return KZ_OK;
    if (strcmp(why, "is not a date") == 0 && strchr(text, '/') != NULL)
        return kz_fail(err, KZ_EUSAGE,
                       "%s: '%s' is not a date (dates with '/' are read in the order 'config "
                       "set date-format' shows them, dd/mm/yyyy or mm/dd/yyyy; else write "
                       "1.3.2026 or 2026-03-01)",
                       opt, text);
    if (strcmp(why, "is not a date") == 0)
        return kz_fail(err, KZ_EUSAGE,
                       "%s: '%s' is not a date (write 2026-03-01, 1.3.2026, today, yesterday, "
                       "-3d, -2w or +1d)",
                       opt, text);
    return kz_fail(err, KZ_EUSAGE, "%s: %s %s", opt, text, why);
}

const char *
kz_cmd_date_shown(int style, const char *iso, char *buf)
{
    uint32_t d = kz_date_parse(iso);

    if (style == KZ_DATE_ISO || d == 0)
        return iso != NULL ? iso : "";
    kz_date_format_style(d, style, buf);
    return buf;
}

/* "36 years", "5 months" or "3 days" between a and b (a before b) into buf. */
static void
span(uint32_t a, uint32_t b, char *buf, size_t size)
{
    long days = kz_date_diff(a, b);
    long months = ((long)(b / 10000) * 12 + (long)(b / 100 % 100)) -
                  ((long)(a / 10000) * 12 + (long)(a / 100 % 100)) - (b % 100 < a % 100);
    long years = months / 12;

    if (years >= 2)
        snprintf(buf, size, "%ld years", years);
    else if (months >= 2)
        snprintf(buf, size, "%ld months", months);
    else
        snprintf(buf, size, "%ld day%s", days, days == 1 ? "" : "s");
}

int
kz_cmd_date_check(struct kz_state *st, const char *opt, uint32_t d, long ahead, int yes,
                  struct kz_err *err)
{
    uint32_t today = kz_date_today();
    char shown[11], far[32], question[128];

    if (yes || (d >= KZ_DATE_PLAUSIBLE_FROM && kz_date_diff(today, d) <= ahead))
        return KZ_OK;
    kz_date_format_style(d, kz_config_date_style(st), shown);
    if (d > today) {
        span(today, d, far, sizeof(far));
        snprintf(question, sizeof(question), "%s is %s ahead", shown, far);
    } else {
        span(d, today, far, sizeof(far));
        snprintf(question, sizeof(question), "%s is %s ago", shown, far);
    }
    if (st->interactive || kz_ui_have_terminal()) {
        char ask[160];
        int ok, rc;
        snprintf(ask, sizeof(ask), "%s: keep it?", question);
        if ((rc = kz_cmd_ask(st, ask, NULL, &ok, err)) != KZ_OK || ok)
            return rc;
        return kz_fail(err, KZ_EUSAGE, "%s: %s; not confirmed, nothing saved", opt, question);
    }
    return kz_fail(err, KZ_EUSAGE, "%s: %s; add --yes to keep it (nothing saved)", opt, question);
}
