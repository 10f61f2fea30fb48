/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_vault: opening a vault file whose bytes were changed. Once per process
 * a small seed vault is made (Argon2id t=1, 256 KiB, 1 lane; a couple, three
 * sessions, a goal with progress, a config setting, a backup recipient); the
 * harness draws its random bytes from a fixed stream (fuzz_util.c), so the
 * seed's layout, ids and keys are the same in every run.
 *
 * The input is the vault file:
 *   - if it starts with the SQLite magic ("SQLite format 3\0") it is the whole
 *     file (the committed corpus holds the seed this way, and any crash input
 *     reproduces on its own);
 *   - otherwise it is a patch list for the seed: 4 bytes at a time, a 24-bit
 *     little-endian offset (modulo the seed's size) and a byte XORed there;
 *     2 or 3 bytes left over cut the file at their 16-bit offset.
 * Then: kz_vault_open; kz_vault_unlock with the passphrase, or with the
 * recovery code when the input's size is odd (a cheap path: no Argon2id),
 * and the passphrase only when the header's KDF costs are small (a changed
 * cost cannot open the slot anyway: the costs are bound into it); the heads
 * and every record (plain and parallel walk); the commands that read
 * (listings, search, audit log and verify, recipients) and one that writes;
 * kz_store_integrity. Any failure code is fine; a crash, a leak, a hang or a
 * broken invariant (a record walk that stops without saying why) is not.
 */
#include <stdlib.h>
#include <string.h>

#include "kizuna/cmd.h"
#include "kizuna/model.h"
#include "kizuna/secmem.h"
#include "kizuna/store.h"
#include "fuzz_util.h"

#define KDF_T_MAX 2
#define KDF_M_MAX 1024
#define KDF_LANES_MAX 2

static const char sqlite_magic[16] = "SQLite format 3";

static struct kz_state st;
static char *seed_path, *file_path, *pass_path, *recovery;
static unsigned char *seed;
static size_t seedlen;

static int
run_words(const char *const *words)
{
    char *argv[16];
    int argc = 0, rc, i;

    while (argc < 15 && words[argc] != NULL) {
        argv[argc] = kz_xstrdup(words[argc]);
        argc++;
    }
    argv[argc] = NULL;
    rc = kz_cmd_run(&st, argc, argv);
    for (i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}
#define RUN(...) run_words((const char *const[]){__VA_ARGS__, NULL})

static void
die_run(int rc, const char *what)
{
    if (rc != KZ_OK) {
        fprintf(stderr, "seed vault: '%s' failed (%d)\n", what, rc);
        kzf_fail(__FILE__, __LINE__, "cannot make the seed vault");
    }
}

/* The seed vault, read back into memory. */
static void
make_seed(void)
{
    struct kz_kdf_params kdf = {1, 256, 1, {0}};
    struct kz_vault *v = NULL;
    struct kz_err err;
    FILE *f;
    long n;

    kzf_remove_db(seed_path);
    if (kz_vault_create(seed_path, KZF_VAULT_PASSPHRASE, strlen(KZF_VAULT_PASSPHRASE), &kdf,
                        &recovery, &v, &err) != KZ_OK) {
        fprintf(stderr, "kz_vault_create: %s\n", err.msg);
        kzf_fail(__FILE__, __LINE__, "cannot make the seed vault");
    }
    st.vault = v;
    die_run(RUN("couple", "add", "C014", "partner1.name=Aiko", "partner1.origin=Japan",
                "partner2.name=Jonas", "partner2.local=yes", "children=Mia:2019:de ja"),
            "couple add");
    die_run(RUN("goal", "add", "C014", "Plan the holidays together", "--target", "2026-12-31"),
            "goal add");
    die_run(RUN("session", "add", "C014", "--date", "2026-01-10", "--minutes", "50", "--theme",
                "holidays", "--goal", "g1", "--text", "Joint: winter plans, Müller."),
            "session add");
    die_run(RUN("session", "add", "C014", "--date", "2026-01-17", "--attended", "1", "--text",
                "Aiko alone."),
            "session add");
    die_run(RUN("session", "add", "C014", "--date", "2026-01-24", "--attended", "2", "--text",
                "Jonas alone."),
            "session add");
    die_run(RUN("goal", "progress", "g1", "6", "--date", "2026-01-24", "--session", "s3"),
            "goal progress");
    die_run(RUN("config", "set", "practice.name", "Praxis am See"), "config set");
    die_run(
        RUN("recipients", "add", "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"),
        "recipients add");
    kz_vault_close(st.vault); /* checkpoints the WAL into the file */
    st.vault = NULL;
    if ((f = fopen(seed_path, "rb")) == NULL)
        kzf_fail(__FILE__, __LINE__, "cannot open the seed vault");
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
        kzf_fail(__FILE__, __LINE__, "cannot read the seed vault");
    seedlen = (size_t)n;
    seed = kz_xmalloc(seedlen);
    if (fread(seed, 1, seedlen, f) != seedlen)
        kzf_fail(__FILE__, __LINE__, "cannot read the seed vault");
    fclose(f);
    kzf_remove_db(seed_path);
}

/* The file for this input (see the top of the file); *len its size. */
static unsigned char *
build(const uint8_t *data, size_t size, size_t *len)
{
    unsigned char *out;
    size_t i, off;

    if (size >= sizeof(sqlite_magic) && memcmp(data, sqlite_magic, sizeof(sqlite_magic)) == 0) {
        out = kz_xmalloc(size);
        memcpy(out, data, size);
        *len = size;
        return out;
    }
    out = kz_xmalloc(seedlen);
    memcpy(out, seed, seedlen);
    *len = seedlen;
    for (i = 0; i + 4 <= size; i += 4) {
        off = ((size_t)data[i] | (size_t)data[i + 1] << 8 | (size_t)data[i + 2] << 16) % seedlen;
        out[off] ^= data[i + 3];
    }
    if (size - i >= 2)
        *len = ((size_t)data[i] | (size_t)data[i + 1] << 8) % seedlen;
    return out;
}

struct walk {
    size_t records;
};

static int
visit(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
      const char *body, size_t bodylen)
{
    struct walk *w = ctx;
    struct kz_head_info hi;
    json_error_t jerr;
    json_t *doc;
    size_t mlen = 0;

    (void)id;
    if (w != NULL)
        w->records++; /* the parallel walk passes no context: it runs on two threads */
    (void)kz_head_decode(head, headlen, &hi);
    KZF_CHECK(body[bodylen] == '\0');
    doc = json_loadb(body, bodylen, JSON_REJECT_DUPLICATES, &jerr);
    json_decref(doc);
    (void)kz_find_folded(body, bodylen, "müller", &mlen);
    return 0;
}

static void
walk(struct kz_vault *v)
{
    const struct kz_head *heads = NULL;
    struct kz_head_info hi;
    struct walk w = {0};
    struct kz_err err;
    size_t n = 0, i;
    int rc;

    kz_err_clear(&err);
    if (kz_vault_heads(v, &heads, &n, &err) == KZ_OK) {
        for (i = 0; i < n; i++) {
            (void)kz_head_decode(heads[i].data, heads[i].len, &hi);
            KZF_CHECK(kz_vault_head(v, heads[i].id) != NULL);
        }
    } else {
        KZF_CHECK(err.msg[0] != '\0');
    }
    kz_err_clear(&err);
    rc = kz_vault_record_foreach(v, visit, &w, &err);
    KZF_CHECK(rc == KZ_OK || err.msg[0] != '\0');
    kz_err_clear(&err);
    rc = kz_vault_record_foreach_parallel(v, visit, NULL, &err);
    KZF_CHECK(rc == KZ_OK || err.msg[0] != '\0');
    (void)kz_vault_recipients_check(v, &err);
}

static void
commands(void)
{
    RUN("info");
    RUN("couple", "list", "--status", "all");
    RUN("couple", "show", "C014");
    RUN("session", "list");
    RUN("session", "show", "s1");
    RUN("goal", "list", "--status", "all");
    RUN("goal", "show", "g1");
    RUN("search", "müller");
    RUN("config", "list");
    RUN("themes", "list");
    RUN("recipients", "list");
    RUN("audit", "log");
    RUN("audit", "verify");
    RUN("export", "--format", "md", "--yes", "C014");
    RUN("config", "set", "therapist.name", "Dr. F");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char pass[] = KZF_VAULT_PASSPHRASE "\n";
    const char *out = getenv("KZ_FUZZ_WRITE_SEED");

    (void)argc;
    (void)argv;
    kzf_init();
    seed_path = kzf_path("seed.kz");
    file_path = kzf_path("vault.kz");
    pass_path = kzf_path("pass");
    kzf_write(pass_path, pass, sizeof(pass) - 1);
    kz_state_init(&st);
    st.ui.out = st.ui.errf = kzf_devnull();
    st.vault_path = kz_xstrdup(file_path);
    st.passphrase_file = kz_xstrdup(pass_path); /* never a terminal prompt */
    make_seed();
    if (out != NULL && *out != '\0') {
        /* tests/fuzz/mkcorpus.sh: the seed as a whole-file corpus entry. */
        kzf_write(out, seed, seedlen);
        exit(0);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kz_vault_info info;
    struct kz_vault *v = NULL;
    struct kz_err err;
    unsigned char *file;
    size_t len = 0;
    int rc;

    file = build(data, size, &len);
    kzf_write(file_path, file, len);
    free(file);
    kz_err_clear(&err);
    rc = kz_vault_open(file_path, &v, &err);
    if (rc != KZ_OK) {
        KZF_CHECK(v == NULL && err.msg[0] != '\0');
        goto out;
    }
    if (size & 1) {
        rc = kz_vault_unlock_recovery(v, recovery, strlen(recovery), &err);
    } else if (kz_vault_info(v, &info, &err) == KZ_OK && info.kdf.t <= KDF_T_MAX &&
               info.kdf.m_kib <= KDF_M_MAX && info.kdf.lanes <= KDF_LANES_MAX) {
        rc = kz_vault_unlock(v, KZF_VAULT_PASSPHRASE, strlen(KZF_VAULT_PASSPHRASE), &err);
    } else {
        rc = KZ_EAUTH;
    }
    if (rc == KZ_OK) {
        walk(v);
        st.vault = v;
        commands();
        st.vault = NULL;
    }
    (void)kz_store_integrity(kz_vault_store(v), &err);
    kz_vault_close(v);
out:
    kzf_remove_db(file_path);
    return 0;
}
