/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kzmemscan: looks for strings in another process's writable memory (a test
 * tool, not installed). Reads /proc/PID/maps, then every mapping that is both
 * readable and writable (heap, stacks, anonymous maps, libraries' data)
 * through /proc/PID/mem. Needs ptrace access to PID (root, or the process's
 * owner when it is dumpable).
 *
 *   kzmemscan [-c N] PID NEEDLE...
 *
 * Prints one line per hit on stdout: "hit NEEDLE_INDEX ADDRESS PERMS NAME",
 * then "total N". -c N also prints N bytes either side of each hit on stderr
 * (non-printing bytes as '.'), to see which structure kept the copy.
 * Exit 0 when the scan ran (whatever it found), 1 when it could not.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)

static void
context(const unsigned char *buf, size_t len, size_t at, size_t nlen, size_t ctx)
{
    size_t from = at > ctx ? at - ctx : 0, to = at + nlen + ctx < len ? at + nlen + ctx : len;
    size_t i;

    fputs("  [", stderr);
    for (i = from; i < to; i++)
        fputc(buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '.', stderr);
    fputs("]\n", stderr);
}

/* One line of /proc/PID/maps: "START-END PERMS OFFSET DEV INODE [NAME]". */
static int
parse_map(const char *line, uint64_t *start, uint64_t *end, char perms[8], char *name,
          size_t size)
{
    const char *p = line;
    char *q;
    int field;
    size_t n;

    errno = 0;
    *start = strtoull(p, &q, 16);
    if (q == p || *q != '-')
        return -1;
    p = q + 1;
    *end = strtoull(p, &q, 16);
    if (q == p || *q != ' ' || errno != 0)
        return -1;
    p = q + 1;
    n = strcspn(p, " ");
    if (n == 0 || n > 7)
        return -1;
    memcpy(perms, p, n);
    perms[n] = '\0';
    p += n;
    for (field = 0; field < 3; field++) { /* offset, device, inode */
        p += strspn(p, " ");
        p += strcspn(p, " \n");
    }
    p += strspn(p, " ");
    n = strcspn(p, "\n");
    if (n >= size)
        n = size - 1;
    memcpy(name, p, n);
    name[n] = '\0';
    return 0;
}

int
main(int argc, char **argv)
{
    char path[64], line[4096];
    FILE *maps;
    unsigned char *buf;
    size_t maxlen = 0, ctx = 0;
    long total = 0;
    int fd, i, first = 1;

    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        ctx = (size_t)strtoul(argv[2], NULL, 10);
        argv += 2;
        argc -= 2;
    }
    if (argc < 3) {
        fputs("usage: kzmemscan [-c N] PID NEEDLE...\n", stderr);
        return 2;
    }
    first = 2;
    for (i = first; i < argc; i++) {
        if (strlen(argv[i]) == 0) {
            fputs("kzmemscan: empty needle\n", stderr);
            return 2;
        }
        if (strlen(argv[i]) > maxlen)
            maxlen = strlen(argv[i]);
    }
    snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
    if ((maps = fopen(path, "r")) == NULL) {
        fprintf(stderr, "kzmemscan: %s: %s\n", path, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
    if ((fd = open(path, O_RDONLY)) < 0) {
        fprintf(stderr, "kzmemscan: %s: %s\n", path, strerror(errno));
        fclose(maps);
        return 1;
    }
    /* A chunk plus the tail of the one before, so a needle across two reads counts. */
    if ((buf = malloc(CHUNK + maxlen)) == NULL) {
        fclose(maps);
        close(fd);
        return 1;
    }
    while (fgets(line, sizeof(line), maps) != NULL) {
        uint64_t start, end, addr;
        char perms[8] = "", name[4096] = "";
        size_t keep = 0;

        if (parse_map(line, &start, &end, perms, name, sizeof(name)) != 0)
            continue;
        if (perms[0] != 'r' || perms[1] != 'w')
            continue;
        for (addr = start; addr < end;) {
            size_t want = end - addr < CHUNK ? (size_t)(end - addr) : CHUNK, len, at;
            ssize_t n = pread(fd, buf + keep, want, (off_t)addr);
            if (n <= 0)
                break; /* an unreadable mapping (a guard page): next one */
            len = keep + (size_t)n;
            for (i = first; i < argc; i++) {
                size_t nl = strlen(argv[i]);
                for (at = 0; at + nl <= len; at++) {
                    unsigned char *p = memchr(buf + at, argv[i][0], len - at);
                    if (p == NULL)
                        break;
                    at = (size_t)(p - buf);
                    if (at + nl > len)
                        break;
                    /* Hits inside the carried tail were counted with the chunk before. */
                    if (memcmp(p, argv[i], nl) == 0 && at + nl > keep) {
                        total++;
                        printf("hit %d 0x%" PRIx64 " %s %s\n", i - first,
                               addr - keep + at, perms, name[0] ? name : "[anon]");
                        if (ctx > 0)
                            context(buf, len, at, nl, ctx);
                    }
                }
            }
            addr += (uint64_t)n;
            keep = maxlen - 1 < len ? maxlen - 1 : len;
            memmove(buf, buf + len - keep, keep);
        }
    }
    printf("total %ld\n", total);
    free(buf);
    fclose(maps);
    close(fd);
    return 0;
}
