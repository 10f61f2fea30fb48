/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the libFuzzer harnesses. */
#include <fcntl.h>
#include <ftw.h>
#include <langinfo.h>
#include <locale.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/secmem.h"
#include "fuzz_util.h"

/* ---- a deterministic randombytes implementation ---- */

static const unsigned char rng_key[32] = "kizuna fuzz: not random at all";
static uint64_t rng_calls;

static const char *
rng_name(void)
{
    return "kizuna-fuzz-deterministic";
}

/* Each call gets the ChaCha20 stream under a fixed key and the call number. */
static void
rng_buf(void *const buf, const size_t size)
{
    unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
    uint64_t n = rng_calls++;
    int i;

    for (i = 0; i < 8; i++)
        nonce[i] = (unsigned char)(n >> (8 * i));
    crypto_stream_chacha20_ietf(buf, size, nonce, rng_key);
}

static uint32_t
rng_random(void)
{
    uint32_t v;

    rng_buf(&v, sizeof(v));
    return v;
}

static randombytes_implementation rng = {
    rng_name, rng_random, NULL, NULL, rng_buf, NULL,
};

/* ---- the scratch folder ---- */

static char tmpdir[4096];

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void
tmpdir_cleanup(void)
{
    if (tmpdir[0] != '\0')
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
kzf_init(void)
{
    const char *cs;
    int fd;

    /* kizuna picks libsodium's generator in kz_crypto_init; ours replaces it
     * afterwards (libsodium only reads the pointer when it draws). */
    if (kz_crypto_init() != 0)
        kzf_fail(__FILE__, __LINE__, "libsodium did not initialise");
    randombytes_set_implementation(&rng);
    /* No terminal: no command may stop to ask for a passphrase or a yes. */
    if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
        dup2(fd, STDIN_FILENO);
        close(fd);
    }
    setlocale(LC_CTYPE, "");
    cs = nl_langinfo(CODESET);
    if (cs == NULL || strcmp(cs, "UTF-8") != 0)
        setlocale(LC_CTYPE, "C.UTF-8");
    umask(077);
}

const char *
kzf_tmpdir(void)
{
    const char *base = getenv("KZ_FUZZ_TMP");
    struct stat sb;

    if (tmpdir[0] != '\0')
        return tmpdir;
    if (base == NULL || *base == '\0')
        base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
    if ((size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/kz-fuzz-XXXXXX", base) >= sizeof(tmpdir) ||
        mkdtemp(tmpdir) == NULL) {
        tmpdir[0] = '\0';
        kzf_fail(__FILE__, __LINE__, "cannot make a scratch folder");
    }
    atexit(tmpdir_cleanup);
    return tmpdir;
}

char *
kzf_path(const char *name)
{
    const char *dir = kzf_tmpdir();
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = kz_xmalloc(n);

    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void
kzf_write(const char *path, const void *data, size_t size)
{
    const unsigned char *p = data;
    int fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        kzf_fail(__FILE__, __LINE__, "cannot create a scratch file");
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w <= 0)
            kzf_fail(__FILE__, __LINE__, "cannot write a scratch file");
        p += w;
        size -= (size_t)w;
    }
    close(fd);
}

void
kzf_remove_db(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal", NULL};
    char buf[4200];
    int i;

    for (i = 0; suffix[i] != NULL; i++) {
        snprintf(buf, sizeof(buf), "%s%s", path, suffix[i]);
        unlink(buf);
    }
}

char *
kzf_strndup(const uint8_t *data, size_t size)
{
    char *s = kz_xmalloc(size + 1);

    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

FILE *
kzf_devnull(void)
{
    static FILE *f;

    if (f == NULL && (f = fopen("/dev/null", "w")) == NULL)
        kzf_fail(__FILE__, __LINE__, "cannot open /dev/null");
    return f;
}

/* Largest all-digit word (saturating at 99) of lines that mention scrypt. */
static int
logn_in(const unsigned char *t, size_t n)
{
    size_t i = 0, start, end, k;
    int best = 0;

    while (i < n) {
        const unsigned char *nl = memchr(t + i, '\n', n - i);
        start = i;
        end = nl != NULL ? (size_t)(nl - t) : n;
        i = end + 1;
        if (memmem(t + start, end - start, "scrypt", 6) == NULL)
            continue;
        for (k = start; k < end;) {
            size_t w = k;
            int v = 0, digits = 1;
            while (w < end && t[w] != ' ') {
                if (t[w] < '0' || t[w] > '9')
                    digits = 0;
                else if (v < 99)
                    v = v * 10 + (t[w] - '0');
                w++;
            }
            if (digits && w > k && v > best)
                best = v > 99 ? 99 : v;
            k = w + 1;
        }
    }
    return best;
}

int
kzf_scrypt_logn(const uint8_t *data, size_t size)
{
    unsigned char *text, line[64];
    size_t i = 0, tlen = 0, n;
    int best;

    if (size > 0 && data[0] == 'a')
        return logn_in(data, size);
    /* Armor: each base64 line on its own, as the reader decodes it. */
    text = kz_xmalloc(size + 1);
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t start = i, len = (nl != NULL ? (size_t)(nl - data) : size) - i;
        const char *end = NULL;
        i += len + 1;
        if (len > 0 && data[start + len - 1] == '\r')
            len--;
        if (len == 0 || (len >= 5 && memcmp(data + start, "-----", 5) == 0))
            continue;
        if (sodium_base642bin(line, sizeof(line), (const char *)data + start, len, NULL, &n, &end,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            end != (const char *)data + start + len)
            continue; /* the reader stops here; whitespace lines it skips */
        memcpy(text + tlen, line, n);
        tlen += n;
    }
    best = logn_in(text, tlen);
    free(text);
    return best;
}

_Noreturn void
kzf_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", file, line, what);
    abort();
}
