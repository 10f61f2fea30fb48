/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scores: what score add checks, and the strict JSON decoding and encoding
 * of a score record (include/kizuna/model_score.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kizuna/model.h"
#include "kizuna/model_score.h"
#include "kizuna/secmem.h"

void
kz_score_id_text(uint32_t num, char *buf, size_t size)
{
    snprintf(buf, size, "r%u", num);
}

void
kz_score_fmt(double v, char *buf, size_t size)
{
    long tenths = (long)(v * 10.0 + (v < 0 ? -0.5 : 0.5));

    if (tenths % 10 == 0)
        snprintf(buf, size, "%ld", tenths / 10);
    else
        snprintf(buf, size, "%s%ld.%ld", tenths < 0 ? "-" : "", labs(tenths) / 10,
                 labs(tenths) % 10);
}

/* A value as typed: digits with at most one decimal place -> tenths. */
static int
tenths_of(const char *s, size_t len, long *out)
{
    size_t i = 0;
    long whole = 0;
    int digits = 0;

    for (; i < len && s[i] >= '0' && s[i] <= '9' && digits < 6; i++, digits++)
        whole = whole * 10 + (s[i] - '0');
    *out = whole * 10;
    if (digits > 0 && i + 2 == len && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
        *out += s[i + 1] - '0';
        i += 2;
    }
    return digits > 0 && i == len ? 0 : -1;
}

/* The range of one subscale of m, and of the total. */
static void
sub_range(const struct kz_measure *m, double *lo, double *hi)
{
    *lo = m->min / (double)m->nsub;
    *hi = m->max / (double)m->nsub;
}

static int
out_of(const struct kz_measure *m, const char *what, double v, double lo, double hi,
       struct kz_err *err)
{
    char a[16], b[16], c[16];

    kz_score_fmt(v, a, sizeof(a));
    kz_score_fmt(lo, b, sizeof(b));
    kz_score_fmt(hi, c, sizeof(c));
    return kz_fail(err, KZ_EUSAGE, "%s %s: %s is outside %s to %s", m->name, what, a, b, c);
}

int
kz_score_check(const struct kz_score *s, const struct kz_measure *m, struct kz_err *err)
{
    double lo, hi, sum = 0;
    size_t i;

    if (s->nvalues != 0 && s->nvalues != m->nsub)
        return kz_fail(err, KZ_EUSAGE, "%s takes %zu values (%s%s) or a single total", m->name,
                       m->nsub, m->sub[0], m->nsub > 1 ? ", ..." : "");
    for (i = 0; i < s->nvalues; i++) {
        sub_range(m, &lo, &hi);
        if (!(s->values[i] >= lo - 1e-9 && s->values[i] <= hi + 1e-9))
            return out_of(m, m->sub[i], s->values[i], lo, hi, err);
        sum += s->values[i];
    }
    if (s->nvalues > 0 && fabs(sum - s->total) > 0.05)
        return kz_fail(err, KZ_EUSAGE, "%s: the total is not the sum of the subscales", m->name);
    if (!(s->total >= m->min - 1e-9 && s->total <= m->max + 1e-9))
        return out_of(m, "total", s->total, m->min, m->max, err);
    return KZ_OK;
}

int
kz_score_set_values(struct kz_score *s, const struct kz_measure *m, const char *text,
                    struct kz_err *err)
{
    const char *p = text, *comma;
    long t, sum = 0;
    size_t n = 0, len;

    for (;;) {
        comma = strchr(p, ',');
        len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == KZ_MEASURE_SUB_MAX || tenths_of(p, len, &t) != 0)
            return kz_fail(err, KZ_EUSAGE,
                           "'%s' is not a score: numbers with at most one decimal place, one per "
                           "subscale (6.5,7,5,8) or a total",
                           text);
        s->values[n++] = (double)t / 10.0;
        sum += t;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (n == 1 && m->nsub != 1) {
        s->nvalues = 0; /* a total */
        s->total = s->values[0];
        s->values[0] = 0;
    } else {
        s->nvalues = n;
        s->total = (double)sum / 10.0;
        if (m->nsub == 0)
            return kz_fail(err, KZ_EUSAGE, "%s has no subscales: give its total only", m->name);
    }
    return kz_score_check(s, m, err);
}

/* ---- decoding ---- */

struct rd {
    int mode;
    const char *label;
    struct kz_err *err;
};

static int
code_of(const struct rd *r)
{
    return r->mode == KZ_SCORE_SEALED ? KZ_EINTEGRITY : KZ_EUSAGE;
}

static int
not_a(const struct rd *r, const char *field, const char *what)
{
    return kz_fail(r->err, code_of(r), "%s: '%s' is not %s", r->label, field, what);
}

static const struct {
    const char *name;
    int type; /* JSON_STRING, JSON_INTEGER, JSON_ARRAY; JSON_REAL: any number */
} fields[] = {
    {"kind", JSON_STRING},    {"v", JSON_INTEGER},      {"id", JSON_INTEGER},
    {"couple", JSON_STRING},  {"session", JSON_STRING}, {"date", JSON_STRING},
    {"partner", JSON_INTEGER}, {"measure", JSON_STRING}, {"values", JSON_ARRAY},
    {"total", JSON_REAL},     {"created", JSON_STRING},
};

static int
check_shape(const struct rd *r, const json_t *doc)
{
    const char *key;
    json_t *v;
    size_t i, n = sizeof(fields) / sizeof(fields[0]);

    json_object_foreach((json_t *)doc, key, v) {
        int type, ok;
        for (i = 0; i < n && strcmp(fields[i].name, key) != 0; i++)
            ;
        if (i == n)
            return kz_fail(r->err, code_of(r), "%s has an unknown field '%s'", r->label, key);
        type = fields[i].type;
        if (strcmp(key, "id") == 0 && r->mode == KZ_SCORE_IMPORT)
            type = JSON_STRING;
        ok = type == JSON_REAL ? json_is_number(v) && isfinite(json_number_value(v))
                               : (int)json_typeof(v) == type;
        if (!ok)
            return not_a(r, key,
                         type == JSON_STRING    ? "a string"
                         : type == JSON_INTEGER ? "a whole number"
                         : type == JSON_ARRAY   ? "a list"
                                                : "a number");
    }
    for (i = 0; i < n; i++) {
        int need = strcmp(fields[i].name, "kind") != 0 && strcmp(fields[i].name, "v") != 0 &&
                   strcmp(fields[i].name, "created") != 0 &&
                   (r->mode == KZ_SCORE_SEALED || strcmp(fields[i].name, "couple") != 0);
        if (r->mode == KZ_SCORE_SEALED && strcmp(fields[i].name, "kind") == 0)
            need = 1;
        if (need && json_object_get(doc, fields[i].name) == NULL)
            return kz_fail(r->err, code_of(r), "%s has no '%s'", r->label, fields[i].name);
    }
    return KZ_OK;
}

static const char *
str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

/* "s12" -> 12, or 0. */
static uint32_t
sid_num(const char *s)
{
    char *end;
    unsigned long v;

    if (s[0] != 's' || s[1] < '1' || s[1] > '9')
        return 0;
    v = strtoul(s + 1, &end, 10);
    return *end == '\0' && v <= 0xffffffffUL ? (uint32_t)v : 0;
}

static int
read_values(const struct rd *r, const json_t *doc, struct kz_score *s)
{
    const json_t *vals = json_object_get(doc, "values");
    size_t i;
    char name[32];

    if (json_array_size(vals) > KZ_MEASURE_SUB_MAX)
        return not_a(r, "values", "a list of at most 8 numbers");
    for (i = 0; i < json_array_size(vals); i++) {
        const json_t *v = json_array_get(vals, i);
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            snprintf(name, sizeof(name), "values[%zu]", i);
            return not_a(r, name, "a number");
        }
        s->values[i] = json_number_value(v);
    }
    s->nvalues = i;
    s->total = json_number_value(json_object_get(doc, "total"));
    return KZ_OK;
}

static int
read_body(const struct rd *r, const json_t *doc, struct kz_score *s)
{
    const char *measure = str_of(doc, "measure"), *id = str_of(doc, "id");
    json_int_t p = json_integer_value(json_object_get(doc, "partner"));
    char *end;

    if (r->mode == KZ_SCORE_SEALED) {
        const json_t *v = json_object_get(doc, "v");
        if (strcmp(str_of(doc, "kind"), "score") != 0)
            return not_a(r, "kind", "\"score\"");
        if (v != NULL && json_integer_value(v) != 1)
            return not_a(r, "v", "1 (a newer kizuna wrote it?)");
        s->num = (uint32_t)json_integer_value(json_object_get(doc, "id"));
        snprintf(s->couple, sizeof(s->couple), "%.32s", str_of(doc, "couple"));
    } else {
        unsigned long n = id[0] == 'r' ? strtoul(id + 1, &end, 10) : 0;
        if (n == 0 || *end != '\0' || n > 0xffffffffUL)
            return not_a(r, "id", "a score id (r3)");
        s->num = (uint32_t)n;
    }
    if ((s->session = sid_num(str_of(doc, "session"))) == 0)
        return not_a(r, "session", "a session id (s12)");
    if ((s->date = kz_date_parse(str_of(doc, "date"))) == 0)
        return not_a(r, "date", "a date (YYYY-MM-DD)");
    if (p != 1 && p != 2)
        return not_a(r, "partner", "1 or 2");
    s->partner = (int)p;
    if (!kz_measure_name_ok(measure))
        return not_a(r, "measure", "a measure's name");
    snprintf(s->measure, sizeof(s->measure), "%s", measure);
    if (strlen(str_of(doc, "created")) >= sizeof(s->created))
        return not_a(r, "created", "a time");
    snprintf(s->created, sizeof(s->created), "%s", str_of(doc, "created"));
    return read_values(r, doc, s);
}

int
kz_score_decode(const json_t *doc, int mode, const char *label, struct kz_score *s,
                struct kz_err *err)
{
    struct rd r = {mode, label, err};
    int rc;

    memset(s, 0, sizeof(*s));
    if (!json_is_object(doc))
        return kz_fail(err, code_of(&r), "%s is not a score (a JSON object)", label);
    if ((rc = check_shape(&r, doc)) != KZ_OK || (rc = read_body(&r, doc, s)) != KZ_OK) {
        memset(s, 0, sizeof(*s));
        return rc;
    }
    return KZ_OK;
}

int
kz_score_parse(const char *text, size_t len, const char *label, struct kz_score *s,
               struct kz_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc;

    if (doc == NULL) {
        memset(s, 0, sizeof(*s));
        return kz_fail(err, KZ_EINTEGRITY, "%s does not hold a score (%s)", label, jerr.text);
    }
    rc = kz_score_decode(doc, KZ_SCORE_SEALED, label, s, err);
    json_decref(doc);
    return rc;
}

/* ---- encoding ---- */

json_t *
kz_score_encode(const struct kz_score *s)
{
    json_t *vals = json_array(), *doc;
    char date[11], sid[16];
    size_t i;

    for (i = 0; i < s->nvalues; i++)
        json_array_append_new(vals, json_real(s->values[i]));
    kz_date_format(s->date, date);
    snprintf(sid, sizeof(sid), "s%u", s->session);
    doc = json_pack("{s:s,s:i,s:I,s:s,s:s,s:s,s:i,s:s,s:o,s:f,s:s}", "kind", "score", "v", 1,
                    "id", (json_int_t)s->num, "couple", s->couple, "session", sid, "date", date,
                    "partner", s->partner, "measure", s->measure, "values", vals, "total",
                    s->total, "created", s->created);
    if (doc == NULL)
        kz_die("out of memory");
    return doc;
}

json_t *
kz_score_export(const struct kz_score *s, const char *code)
{
    json_t *doc = kz_score_encode(s);
    char rid[16];

    kz_score_id_text(s->num, rid, sizeof(rid));
    json_object_del(doc, "kind");
    json_object_del(doc, "v");
    json_object_set_new(doc, "id", json_string(rid));
    json_object_set_new(doc, "couple", json_string(code));
    return doc;
}

void
kz_score_head(const struct kz_score *s, const unsigned char *parent, struct kz_head_info *hi)
{
    char total[16];

    memset(hi, 0, sizeof(*hi));
    hi->kind = KZ_KIND_SCORE;
    hi->num = s->num;
    memcpy(hi->parent, parent, sizeof(hi->parent));
    hi->date = s->date;
    hi->flags = s->partner == 1 ? KZ_HF_PARTNER1 : KZ_HF_PARTNER2;
    kz_score_fmt(s->total, total, sizeof(total));
    snprintf(hi->tags, sizeof(hi->tags), "%s s%u %s", s->measure, s->session, total);
}

int
kz_score_tags(const char *tags, char *measure, uint32_t *session, double *total)
{
    const char *sp = strchr(tags, ' '), *sp2;
    char *end;
    unsigned long n;
    size_t len;

    if (sp == NULL || (len = (size_t)(sp - tags)) == 0 || len > KZ_MEASURE_NAME_MAX ||
        sp[1] != 's' || (sp2 = strchr(sp + 2, ' ')) == NULL)
        return -1;
    n = strtoul(sp + 2, &end, 10);
    if (end != sp2 || n == 0 || n > 0xffffffffUL)
        return -1;
    *total = strtod(sp2 + 1, &end);
    if (*end != '\0' || end == sp2 + 1 || !isfinite(*total))
        return -1;
    memcpy(measure, tags, len);
    measure[len] = '\0';
    *session = (uint32_t)n;
    return 0;
}
