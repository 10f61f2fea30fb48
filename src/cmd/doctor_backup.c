/* SPDX-License-Identifier: GPL-3.0-or-later */
/* doctor's last-backup check: which backup events in the audit chain count,
 * and how long ago the last one was. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "doctor.h"

int
kz_doctor_find_backup(void *ctx, unsigned long long seq, const char *json, size_t len)
{
    struct kz_last_backup *lb = ctx;
    json_t *e = json_loadb(json, len, 0, NULL);
    const char *ev = json_string_value(json_object_get(e, "event"));
    const char *t, *claimed;

    (void)seq;
    if (ev != NULL && strcmp(ev, "backup") == 0) {
        int unverified = kz_audit_unverified(e);
        t = json_string_value(json_object_get(e, "t"));
        claimed = json_string_value(json_object_get(e, "claimed"));
        if (t != NULL && !unverified) {
            snprintf(lb->t, sizeof(lb->t), "%s", t);
            lb->keyless[0] = lb->claimed[0] = '\0'; /* only a keyless one after it counts */
        } else if (t != NULL) {
            snprintf(lb->keyless, sizeof(lb->keyless), "%s", t);
            snprintf(lb->claimed, sizeof(lb->claimed), "%s", claimed != NULL ? claimed : "");
        }
    }
    json_decref(e);
    return 0;
}

static long
days_since(const char *iso)
{
    struct tm tm;
    time_t then;

    memset(&tm, 0, sizeof(tm));
    if (strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
        return -1;
    then = timegm(&tm);
    return (long)((time(NULL) - then) / 86400);
}

long
kz_doctor_warn_days(struct kz_state *st)
{
    unsigned char cid[KZ_RECORD_ID_BYTES];
    json_t *cfg = NULL;
    long warn_days = KZ_DOCTOR_BACKUP_WARN_DAYS;

    if (kz_rec_find_kind(st, KZ_KIND_CONFIG, cid, NULL, NULL) == KZ_OK &&
        kz_rec_load(st, cid, &cfg, NULL) == KZ_OK) {
        json_t *w = json_object_get(json_object_get(cfg, "settings"), "backup.warn-days");
        if (json_is_integer(w))
            warn_days = (long)json_integer_value(w);
    }
    json_decref(cfg);
    return warn_days;
}

/* Days since the last backup recorded with the key; a backup event recorded
 * without it is named but satisfies nothing (warn). */
int
kz_doctor_backup_detail(const struct kz_last_backup *lb, long warn_days, char *detail,
                        size_t size)
{
    char unverified[160] = "";
    long days;

    if (lb->keyless[0] != '\0')
        snprintf(unverified, sizeof(unverified),
                 "the last backup event (folded %.10s%s%.10s) is unverified: it was written "
                 "without the key, as anyone who can write the vault file can",
                 lb->keyless, lb->claimed[0] != '\0' ? ", claimed " : "", lb->claimed);
    if (lb->t[0] == '\0') {
        if (unverified[0] != '\0')
            snprintf(detail, size,
                     "only keyless backups are recorded; %s ('backup create' in the unlocked "
                     "shell records one with the key; 'backup verify FILE' checks a file)",
                     unverified);
        else
            snprintf(detail, size, "no backup recorded yet ('backup create FILE')");
        return 1;
    }
    days = days_since(lb->t);
    snprintf(detail, size, "%ld day%s ago (%.10s)%s%s", days, days == 1 ? "" : "s", lb->t,
             unverified[0] != '\0' ? "; " : "", unverified);
    return days > warn_days;
}
