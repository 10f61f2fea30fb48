/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Themes, note templates, sparklines. */
#include <string.h>
#include <strings.h>

#include "kizuna/model.h"

const char *const kz_starter_themes[] = {
    "isolation", "dependency", "language", "bridge-role", "autonomy", "parenting", "holidays",
    "affection", "conflict", "family-of-origin", "silence", "identity", "migration", NULL,
};

int
kz_theme_check(const char *name)
{
    size_t n = strlen(name), i;

    if (n == 0 || n > 40)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x80)
            continue; /* UTF-8 letters: a theme may be "familia" or "家族" */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return -1;
    }
    return name[0] == '-' ? -1 : 0;
}

const char *
kz_attended_parse(const char *s)
{
    static const char *const forms[][4] = {
        {"both", "both", NULL, NULL},
        {"partner1", "1", "p1", "P1 alone"},
        {"partner2", "2", "p2", "P2 alone"},
    };
    size_t i, k;

    if (s == NULL)
        return NULL;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        for (k = 0; k < 4 && forms[i][k] != NULL; k++) {
            if (strcasecmp(s, forms[i][k]) == 0)
                return forms[i][0];
        }
    }
    return NULL;
}

const char *const kz_template_names[] = {"free", "soap", "dap", "birp", "psychodynamic", NULL};

const char *
kz_template_skeleton(const char *name)
{
    if (strcmp(name, "free") == 0)
        return "";
    if (strcmp(name, "soap") == 0)
        return "## Subjective\n\n\n## Objective\n\n\n## Assessment\n\n\n## Plan\n\n";
    if (strcmp(name, "dap") == 0)
        return "## Data\n\n\n## Assessment\n\n\n## Plan\n\n";
    if (strcmp(name, "birp") == 0)
        return "## Behaviour\n\n\n## Intervention\n\n\n## Response\n\n\n## Plan\n\n";
    if (strcmp(name, "psychodynamic") == 0)
        return "## Material (what each partner brought, in their words and languages)\n\n\n"
               "## Transference and countertransference\n\n\n"
               "## Cultural frame (family codes, bridge role, language of conflict)\n\n\n"
               "## Interpretation and working hypothesis\n\n\n"
               "## Next\n\n";
    return NULL;
}

void
kz_sparkline(const int *scores, size_t n, char *buf, size_t size)
{
    static const char *const bars[] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                       "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                       "\xe2\x96\x87", "\xe2\x96\x88"};
    size_t i, k = 0;

    for (i = 0; i < n && k + 4 <= size; i++) {
        int s = scores[i] < 0 ? 0 : scores[i] > 10 ? 10 : scores[i];
        const char *b = bars[(s * 7 + 5) / 10]; /* 0 -> lowest, 10 -> full */
        memcpy(buf + k, b, 3);
        k += 3;
    }
    buf[k] = '\0';
}
