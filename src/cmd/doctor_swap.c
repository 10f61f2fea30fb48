/* SPDX-License-Identifier: GPL-3.0-or-later */
/* doctor's swap check: decoded notes, the heads index and search's index live
 * in ordinary memory (only keys and passphrases are locked), so swap that is
 * not encrypted is a way for plaintext to reach a disk. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "doctor.h"

#define SWAP_DEPTH 8 /* device-mapper layers followed (LVM on LUKS is 2) */

/* Whether the block device at sysfs path dir (sys/dev/block/M:m or
 * sys/class/block/NAME) is a dm-crypt mapping or sits on one. */
static int
on_crypt(const char *sys, const char *dir, int depth)
{
    char path[PATH_MAX], uuid[128] = "";
    struct dirent *d;
    FILE *f;
    DIR *dp;
    int yes = 0;

    if (depth > SWAP_DEPTH)
        return 0;
    snprintf(path, sizeof(path), "%s/dm/uuid", dir);
    if ((f = fopen(path, "r")) != NULL) {
        if (fgets(uuid, sizeof(uuid), f) == NULL)
            uuid[0] = '\0';
        fclose(f);
    }
    if (strncmp(uuid, "CRYPT-", 6) == 0)
        return 1;
    snprintf(path, sizeof(path), "%s/slaves", dir);
    if ((dp = opendir(path)) == NULL)
        return 0;
    while (!yes && (d = readdir(dp)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/class/block/%s", sys, d->d_name);
        yes = on_crypt(sys, path, depth + 1);
    }
    closedir(dp);
    return yes;
}

/* /proc/swaps writes a space in a name as \040. */
static void
unescape(char *s)
{
    char *w = s;

    for (; *s != '\0'; s++, w++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *w = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *w = *s;
        }
    }
    *w = '\0';
}

/* One swap area: 1 if it is encrypted or in memory (zram), else 0. */
static int
swap_safe(const char *sys, const char *name, const char *type)
{
    char dir[PATH_MAX];
    struct stat sb;
    dev_t dev;

    if (strncmp(name, "/dev/zram", 9) == 0)
        return 1;
    if (stat(name, &sb) != 0)
        return 0;
    dev = strcmp(type, "partition") == 0 ? sb.st_rdev : sb.st_dev;
    snprintf(dir, sizeof(dir), "%s/dev/block/%u:%u", sys, major(dev), minor(dev));
    return on_crypt(sys, dir, 0);
}

int
kz_doctor_swap_detail(const char *swaps, const char *sys, char *detail, size_t size)
{
    char line[1024], name[PATH_MAX], type[32], plain[256] = "";
    int areas = 0, unsafe = 0;
    size_t used;
    FILE *f = fopen(swaps, "r");

    if (f == NULL) {
        snprintf(detail, size,
                 "cannot read %s: whether memory can be swapped to disk is "
                 "unknown",
                 swaps);
        return 1;
    }
    if (fgets(line, sizeof(line), f) == NULL) /* the heading */
        line[0] = '\0';
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%4095s %31s", name, type) != 2)
            continue;
        unescape(name);
        areas++;
        if (swap_safe(sys, name, type))
            continue;
        unsafe++;
        used = strlen(plain);
        if (used + 2 < sizeof(plain))
            snprintf(plain + used, sizeof(plain) - used, "%s%.120s", used ? ", " : "", name);
    }
    fclose(f);
    if (unsafe > 0) {
        snprintf(detail, size,
                 "swap on %s is not encrypted: decoded notes in ordinary memory could be "
                 "written there (encrypted swap, or none)",
                 plain);
        return 1;
    }
    if (areas == 0)
        snprintf(detail, size, "none: memory is never written to a swap disk");
    else
        snprintf(detail, size, "%d area%s, each encrypted or in memory (zram)", areas,
                 areas == 1 ? "" : "s");
    return 0;
}
