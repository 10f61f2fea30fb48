/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Measures: the built-in definitions (scoring only, never item texts), the
 * therapist's own as kept in the config record, and their checks
 * (include/kizuna/model_score.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kizuna/model.h"
#include "kizuna/model_score.h"
#include "kizuna/secmem.h"

/*
 * Where the figures come from:
 * - ORS (Miller, Duncan, Brown, Sparks & Claud 2003): four visual-analogue
 *   lines of 0-10, total 0-40; clinical cut-off 25 for adults; reliable
 *   change 5 points (the figure the authors' feedback practice uses).
 * - SRS (Duncan, Miller, Sparks et al. 2003): four lines of 0-10, total
 *   0-40; a total below 36 is the cut-off feedback practice uses to raise
 *   the alliance. A reliable-change index for the SRS is rarely used; 5 is
 *   chosen here to match the ORS (same scale format) and is only used to
 *   shade a band in charts, never to raise an alliance flag.
 * - CSI-4 (Funk & Rogge 2007): four items, total 0-21; below 13.5 indicates
 *   relationship distress. Reliable change 4.8: the figure this project
 *   chose for the CSI-4's critical difference; it could not be checked
 *   against the paper while writing this, so treat it as a documented choice.
 */
static const struct kz_measure builtins[] = {
    {"ORS", "Outcome Rating Scale", 0, 40, 25, 5, 1, KZ_MEASURE_OUTCOME, 1, 4,
     {"individual", "interpersonal", "social", "overall"}},
    {"SRS", "Session Rating Scale", 0, 40, 36, 5, 1, KZ_MEASURE_ALLIANCE, 1, 4,
     {"relationship", "goals", "approach", "overall"}},
    {"CSI-4", "Couples Satisfaction Index (4 items)", 0, 21, 13.5, 4.8, 1, KZ_MEASURE_OUTCOME, 1,
     0, {""}},
};

const struct kz_measure *
kz_measure_builtins(size_t *n)
{
    *n = sizeof(builtins) / sizeof(builtins[0]);
    return builtins;
}

const struct kz_measure *
kz_measure_builtin(const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strcasecmp(builtins[i].name, name) == 0)
            return &builtins[i];
    }
    return NULL;
}

int
kz_measure_name_ok(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > KZ_MEASURE_NAME_MAX || name[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int
kz_measure_beyond_cutoff(const struct kz_measure *m, double total)
{
    return m->higher_is_better ? total < m->cutoff : total > m->cutoff;
}

/* 1 if s holds a control character or is not UTF-8 (a title is one line). */
static int
bad_line(const char *s)
{
    json_t *j = json_string(s);
    const char *p;

    json_decref(j);
    if (j == NULL)
        return 1;
    for (p = s; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 1;
    }
    return 0;
}

int
kz_measure_check(const struct kz_measure *m, struct kz_err *err)
{
    size_t i, k;

    if (!kz_measure_name_ok(m->name))
        return kz_fail(err, KZ_EUSAGE,
                       "a measure's name is 1-%d letters, digits, '-' and '_' ('%s' is not)",
                       KZ_MEASURE_NAME_MAX, m->name);
    if (kz_measure_builtin(m->name) != NULL)
        return kz_fail(err, KZ_EUSAGE, "%s is a built-in measure; choose another name",
                       kz_measure_builtin(m->name)->name);
    if (!(m->min < m->max))
        return kz_fail(err, KZ_EUSAGE, "measure %s: --min must be below --max", m->name);
    if (!(m->cutoff >= m->min && m->cutoff <= m->max))
        return kz_fail(err, KZ_EUSAGE, "measure %s: --cutoff must lie within --min and --max",
                       m->name);
    if (!(m->rci > 0 && m->rci < m->max - m->min))
        return kz_fail(err, KZ_EUSAGE,
                       "measure %s: --rci must be above 0 and below the range (max - min)",
                       m->name);
    if (m->nsub > KZ_MEASURE_SUB_MAX)
        return kz_fail(err, KZ_EUSAGE, "measure %s: at most %d subscales", m->name,
                       KZ_MEASURE_SUB_MAX);
    for (i = 0; i < m->nsub; i++) {
        if (!kz_measure_name_ok(m->sub[i]))
            return kz_fail(err, KZ_EUSAGE,
                           "measure %s: subscale '%s' is not 1-%d letters, digits, '-' and '_'",
                           m->name, m->sub[i], KZ_MEASURE_SUBNAME_MAX);
        for (k = 0; k < i; k++) {
            if (strcasecmp(m->sub[k], m->sub[i]) == 0)
                return kz_fail(err, KZ_EUSAGE, "measure %s: subscale '%s' is named twice",
                               m->name, m->sub[i]);
        }
    }
    if (bad_line(m->title))
        return kz_fail(err, KZ_EUSAGE, "measure %s: --title is one line of UTF-8 text", m->name);
    if (m->higher_is_better != 0 && m->higher_is_better != 1)
        return kz_fail(err, KZ_EUSAGE, "measure %s: higher or lower is better", m->name);
    return KZ_OK;
}

int
kz_measure_number(const char *opt, const char *text, double *out, struct kz_err *err)
{
    const char *p = text;
    long whole = 0, tenth = 0;
    int neg = 0, digits = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    for (; *p >= '0' && *p <= '9' && digits < 7; p++, digits++)
        whole = whole * 10 + (*p - '0');
    if (digits > 0 && *p == '.' && p[1] >= '0' && p[1] <= '9') {
        tenth = p[1] - '0';
        p += 2;
    }
    if (digits == 0 || *p != '\0' || whole > 100000)
        return kz_fail(err, KZ_EUSAGE,
                       "%s: '%s' is not a number (at most one decimal place, like 13.5)", opt,
                       text);
    *out = (double)(whole * 10 + tenth) / 10.0 * (neg ? -1 : 1);
    return KZ_OK;
}

int
kz_measure_set_subscales(struct kz_measure *m, const char *list, struct kz_err *err)
{
    const char *p = list, *comma;
    size_t n = 0, len;

    m->nsub = 0;
    while (*p != '\0') {
        comma = strchr(p, ',');
        len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == KZ_MEASURE_SUB_MAX)
            return kz_fail(err, KZ_EUSAGE, "--subscales: at most %d names",
                           KZ_MEASURE_SUB_MAX);
        if (len == 0 || len > KZ_MEASURE_SUBNAME_MAX)
            return kz_fail(err, KZ_EUSAGE,
                           "--subscales: names of 1-%d letters, digits, '-' and '_', "
                           "separated by commas",
                           KZ_MEASURE_SUBNAME_MAX);
        memcpy(m->sub[n], p, len);
        m->sub[n][len] = '\0';
        n++;
        if (comma == NULL)
            break;
        p = comma + 1;
        if (*p == '\0')
            return kz_fail(err, KZ_EUSAGE, "--subscales: a name after the last comma");
    }
    m->nsub = n;
    return KZ_OK;
}

/* ---- the config record's "measures" ---- */

static const char *const conf_fields[] = {"title",  "min",      "max",       "cutoff",
                                          "rci",    "higher_is_better", "alliance",
                                          "subscales", "created", NULL};

/* One definition from the config record into m (after the shape was checked). */
static void
from_conf(const char *name, const json_t *d, struct kz_measure *m)
{
    const json_t *subs = json_object_get(d, "subscales");
    const char *title = json_string_value(json_object_get(d, "title"));
    size_t i;

    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->title, sizeof(m->title), "%s", title != NULL ? title : "");
    m->min = json_number_value(json_object_get(d, "min"));
    m->max = json_number_value(json_object_get(d, "max"));
    m->cutoff = json_number_value(json_object_get(d, "cutoff"));
    m->rci = json_number_value(json_object_get(d, "rci"));
    m->higher_is_better = json_is_true(json_object_get(d, "higher_is_better"));
    m->role = json_is_true(json_object_get(d, "alliance")) ? KZ_MEASURE_ALLIANCE
                                                           : KZ_MEASURE_OUTCOME;
    for (i = 0; i < json_array_size(subs) && i < KZ_MEASURE_SUB_MAX; i++)
        snprintf(m->sub[i], sizeof(m->sub[i]), "%s", json_string_value(json_array_get(subs, i)));
    m->nsub = i;
}

/* The shape of one definition: known fields of their types. */
static int
check_def(const char *name, const json_t *d, struct kz_err *err)
{
    const char *key;
    json_t *v;
    size_t i;

    if (!json_is_object(d))
        return kz_fail(err, KZ_EINTEGRITY, "config record: measure '%s' is not an object", name);
    json_object_foreach((json_t *)d, key, v) {
        int ok;
        for (i = 0; conf_fields[i] != NULL && strcmp(conf_fields[i], key) != 0; i++)
            ;
        if (conf_fields[i] == NULL)
            return kz_fail(err, KZ_EINTEGRITY, "config record: unknown field 'measures.%s.%s'",
                           name, key);
        if (strcmp(key, "title") == 0 || strcmp(key, "created") == 0)
            ok = json_is_string(v);
        else if (strcmp(key, "higher_is_better") == 0 || strcmp(key, "alliance") == 0)
            ok = json_is_boolean(v);
        else if (strcmp(key, "subscales") == 0) {
            ok = json_is_array(v) && json_array_size(v) <= KZ_MEASURE_SUB_MAX;
            for (i = 0; ok && i < json_array_size(v); i++)
                ok = json_is_string(json_array_get(v, i)) &&
                     strlen(json_string_value(json_array_get(v, i))) <= KZ_MEASURE_SUBNAME_MAX;
        } else
            ok = json_is_number(v) && isfinite(json_number_value(v));
        if (!ok)
            return kz_fail(err, KZ_EINTEGRITY,
                           "config record: field 'measures.%s.%s' is not of its type", name, key);
    }
    for (i = 1; i <= 4; i++) { /* min, max, cutoff, rci are required */
        if (json_object_get(d, conf_fields[i]) == NULL)
            return kz_fail(err, KZ_EINTEGRITY, "config record: measure '%s' has no '%s'", name,
                           conf_fields[i]);
    }
    return KZ_OK;
}

int
kz_measure_conf_check(const json_t *measures, struct kz_err *err)
{
    struct kz_measure m;
    struct kz_err why;
    const char *name, *other;
    json_t *d, *o;
    int rc;

    if (!json_is_object(measures))
        return kz_fail(err, KZ_EINTEGRITY, "config record: field 'measures' is not an object");
    json_object_foreach((json_t *)measures, name, d) {
        if ((rc = check_def(name, d, err)) != KZ_OK)
            return rc;
        if (strlen(name) > KZ_MEASURE_NAME_MAX)
            return kz_fail(err, KZ_EINTEGRITY, "config record: measure name '%s' is too long",
                           name);
        from_conf(name, d, &m);
        kz_err_clear(&why);
        if (kz_measure_check(&m, &why) != KZ_OK)
            return kz_fail(err, KZ_EINTEGRITY, "config record: %s", why.msg);
        json_object_foreach((json_t *)measures, other, o) {
            if (other != name && strcasecmp(other, name) == 0)
                return kz_fail(err, KZ_EINTEGRITY,
                               "config record: measures '%s' and '%s' differ only in case", name,
                               other);
            if (other == name)
                break;
        }
    }
    return KZ_OK;
}

/* The key of the therapist's measure name (any case) in cfg, or NULL. */
static const char *
conf_key(const json_t *cfg, const char *name)
{
    const char *key;
    json_t *d;

    json_object_foreach(json_object_get(cfg, "measures"), key, d) {
        if (strcasecmp(key, name) == 0)
            return key;
    }
    return NULL;
}

int
kz_measure_conf_get(const json_t *cfg, const char *name, struct kz_measure *out)
{
    const char *key = conf_key(cfg, name);

    if (key == NULL)
        return -1;
    from_conf(key, json_object_get(json_object_get(cfg, "measures"), key), out);
    return 0;
}

void
kz_measure_conf_each(const json_t *cfg, void (*cb)(void *ctx, const struct kz_measure *m),
                     void *ctx)
{
    struct kz_measure m;
    const char *key;
    json_t *d;

    json_object_foreach(json_object_get(cfg, "measures"), key, d) {
        from_conf(key, d, &m);
        cb(ctx, &m);
    }
}

int
kz_measure_conf_add(json_t *cfg, const struct kz_measure *m, const char *now,
                    struct kz_err *err)
{
    json_t *all = json_object_get(cfg, "measures"), *d, *subs;
    const char *had;
    size_t i;
    int rc;

    if ((rc = kz_measure_check(m, err)) != KZ_OK)
        return rc;
    if ((had = conf_key(cfg, m->name)) != NULL)
        return kz_fail(err, KZ_EUSAGE, "measure %s already exists ('measure remove %s' first)",
                       had, had);
    subs = json_array();
    for (i = 0; i < m->nsub; i++)
        json_array_append_new(subs, json_string(m->sub[i]));
    d = json_pack("{s:s,s:f,s:f,s:f,s:f,s:b,s:b,s:o,s:s}", "title", m->title, "min", m->min,
                  "max", m->max, "cutoff", m->cutoff, "rci", m->rci, "higher_is_better",
                  m->higher_is_better, "alliance", m->role == KZ_MEASURE_ALLIANCE, "subscales",
                  subs, "created", now);
    if (d == NULL)
        kz_die("out of memory");
    if (!json_is_object(all)) {
        all = json_object();
        json_object_set_new(cfg, "measures", all);
    }
    json_object_set_new(all, m->name, d);
    return KZ_OK;
}

int
kz_measure_conf_remove(json_t *cfg, const char *name)
{
    const char *key = conf_key(cfg, name);

    return key != NULL && json_object_del(json_object_get(cfg, "measures"), key) == 0 ? 0 : -1;
}

json_t *
kz_measure_json(const struct kz_measure *m)
{
    json_t *subs = json_array(), *o;
    size_t i;

    for (i = 0; i < m->nsub; i++)
        json_array_append_new(subs, json_string(m->sub[i]));
    o = json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:s,s:s,s:o,s:b}", "name", m->name, "title",
                  m->title, "min", m->min, "max", m->max, "cutoff", m->cutoff, "rci", m->rci,
                  "better", m->higher_is_better ? "higher" : "lower", "role",
                  m->role == KZ_MEASURE_ALLIANCE ? "alliance" : "outcome", "subscales", subs,
                  "builtin", m->builtin);
    if (o == NULL)
        kz_die("out of memory");
    return o;
}

void
kz_series_free(struct kz_series *s)
{
    free(s->p[0]);
    free(s->p[1]);
    s->p[0] = s->p[1] = NULL;
    s->n[0] = s->n[1] = 0;
}
