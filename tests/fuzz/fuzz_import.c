/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_import: the import reader, run in-process as the shell runs it. Once per
 * process a scratch vault is made in /dev/shm (Argon2id t=1, 256 KiB, 1 lane),
 * unlocked. Each input is written to a file and read with 'import FILE'
 * through kz_cmd_run (output to /dev/null; text or JSON mode by the input's
 * size), offering the passphrase of the age test vectors when the file has a
 * cheap scrypt stanza and their X25519 identity otherwise. A failed import
 * must leave no couple behind (its transaction rolled back). An import that
 * succeeds is then shown the way a therapist would look at it (couple show
 * and list, session and goal lists and views, search, export as Markdown and
 * JSON, also for one partner), changed (session edit, sign and amend, goal
 * progress and done, couple set and close) and deleted again with 'couple
 * delete CODE --yes', which must work; every 2048 inputs the vault is made anew so that
 * what the commands append (counters, audit entries) stays small.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kizuna/age.h"
#include "kizuna/cmd.h"
#include "kizuna/model.h"
#include "kizuna/secmem.h"
#include "fuzz_util.h"

#define RENEW_EVERY 2048
#define SHOW_MAX 6

static struct kz_state st;
static char *vault_path, *input_path, *pass_path, *id_path;
static unsigned long runs;
static char *outbuf, *errbuf;
static size_t outlen, errlen;

/* 1 if the text holds a terminal control kizuna must never print: C0 but tab
 * and newline, DEL, C1 (U+0080-U+009F). */
static int
has_terminal_control(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i;

    for (i = 0; i < len; i++) {
        if ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\n') || u[i] == 0x7f ||
            (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f))
            return 1;
    }
    return 0;
}

static void
make_vault(void)
{
    struct kz_kdf_params kdf = {1, 256, 1, {0}};
    struct kz_vault *v = NULL;
    struct kz_err err;
    char *recovery = NULL;

    kz_vault_close(st.vault);
    st.vault = NULL;
    kzf_remove_db(vault_path);
    if (kz_vault_create(vault_path, KZF_VAULT_PASSPHRASE, strlen(KZF_VAULT_PASSPHRASE), &kdf,
                        &recovery, &v, &err) != KZ_OK) {
        fprintf(stderr, "kz_vault_create: %s\n", err.msg);
        kzf_fail(__FILE__, __LINE__, "cannot make the scratch vault");
    }
    kz_secure_free(recovery);
    st.vault = v;
}

/* Runs one command line given as words (NULL-terminated). */
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
    KZF_CHECK(kz_vault_unlocked(st.vault));
    return rc;
}
#define RUN(...) run_words((const char *const[]){__VA_ARGS__, NULL})

struct found {
    char code[KZ_CODE_MAX + 1];
    int couples;
    char ids[2 * SHOW_MAX][16];
    int nids;
};

static int
scan(void *ctx, const unsigned char *id, const unsigned char *head, size_t len, const char *body,
     size_t bodylen)
{
    struct found *f = ctx;
    struct kz_head_info hi;

    (void)id;
    (void)body;
    (void)bodylen;
    KZF_CHECK(kz_head_decode(head, len, &hi) == 0);
    if (hi.kind == KZ_KIND_COUPLE) {
        f->couples++;
        memcpy(f->code, hi.code, sizeof(f->code));
    } else if ((hi.kind == KZ_KIND_SESSION || hi.kind == KZ_KIND_GOAL) && f->nids < 2 * SHOW_MAX) {
        snprintf(f->ids[f->nids++], sizeof(f->ids[0]), "%c%u",
                 hi.kind == KZ_KIND_SESSION ? 's' : 'g', hi.num);
    }
    return 0;
}

static void
find(struct found *f)
{
    struct kz_err err;

    memset(f, 0, sizeof(*f));
    KZF_CHECK(kz_vault_record_foreach(st.vault, scan, f, &err) == KZ_OK);
}

/* What a therapist would do with the imported couple: look at it, then change
 * it (each change rewrites a record from the imported JSON). */
static void
look_at(const struct found *f)
{
    const char *code = f->code;
    int i;

    /* "--" before the code: a code may start with '-'. */
    RUN("couple", "show", "--", code);
    RUN("couple", "list", "--status", "all");
    RUN("session", "list", "--", code);
    RUN("goal", "list", "--status", "all", "--", code);
    for (i = 0; i < f->nids; i++)
        RUN(f->ids[i][0] == 's' ? "session" : "goal", "show", f->ids[i]);
    RUN("search", "e");
    RUN("search", "--couple", code, "--from", "2000-01-01", "--", "a");
    RUN("themes", "list");
    RUN("export", "--format", "md", "--yes", "--", code);
    RUN("export", "--format", "json", "--yes", "--", code);
    RUN("export", "--for-partner", "2", "--yes", "--", code);
    for (i = 0; i < f->nids; i++) {
        if (f->ids[i][0] == 's') {
            RUN("session", "edit", f->ids[i], "--minutes", "45");
            RUN("session", "sign", f->ids[i]);
            RUN("session", "amend", f->ids[i], "--text", "Addendum.");
        } else {
            RUN("goal", "progress", f->ids[i], "7", "--date", "2026-02-01", "--note", "ok");
            RUN("goal", "done", f->ids[i]);
        }
    }
    RUN("couple", "set", "--", code, "notes=seen", "partner1.name=A");
    RUN("couple", "close", "--", code);
}

static int
fd_write(void *ctx, const void *buf, size_t len)
{
    return kz_age_fd_write(ctx, buf, len);
}

/* in encrypted to the test vectors' X25519 key (armored) or passphrase
 * (scrypt 2^10, binary) into out. */
static void
encrypt_file(const char *in, const char *out, int scrypt)
{
    struct kz_age_recipient r;
    struct kz_age_enc *e = NULL;
    struct kz_err err;
    unsigned char buf[4096];
    ssize_t n;
    int ifd = open(in, O_RDONLY | O_CLOEXEC), ofd;

    memset(&r, 0, sizeof(r));
    if (scrypt) {
        r.scrypt = 1;
        r.passphrase = KZF_PASSPHRASE;
        r.passlen = strlen(KZF_PASSPHRASE);
        r.log_n = KZF_MAX_LOGN;
    } else {
        KZF_CHECK(kz_age_recipient_parse(KZF_RECIPIENT, r.pk, &err) == KZ_OK);
    }
    unlink(out);
    ofd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    KZF_CHECK(ifd >= 0 && ofd >= 0);
    KZF_CHECK(kz_age_enc_begin(&e, &r, 1, !scrypt, fd_write, &ofd, &err) == KZ_OK);
    while ((n = read(ifd, buf, sizeof(buf))) > 0)
        KZF_CHECK(kz_age_enc_update(e, buf, (size_t)n, &err) == KZ_OK);
    KZF_CHECK(kz_age_enc_final(e, &err) == KZ_OK);
    close(ifd);
    close(ofd);
}

/* tests/fuzz/mkcorpus.sh: exports of a couple (plain and age) into dir. */
static void
write_seeds(const char *dir)
{
    char p[4][4200];
    int i;

    snprintf(p[0], sizeof(p[0]), "%s/export.json", dir);
    snprintf(p[1], sizeof(p[1]), "%s/export-partner1.json", dir);
    snprintf(p[2], sizeof(p[2]), "%s/export-x25519.age.asc", dir);
    snprintf(p[3], sizeof(p[3]), "%s/export-scrypt.age", dir);
    for (i = 0; i < 4; i++)
        unlink(p[i]);
    KZF_CHECK(RUN("couple", "add", "C014", "partner1.name=Aiko", "partner1.origin=Japan",
                  "partner1.languages=ja:native, de:B2", "partner2.name=Jonas",
                  "partner2.local=yes", "children=Mia:2019:de ja; Ken:2021", "consent.research=no",
                  "formulation.problem=Homesickness") == KZ_OK);
    KZF_CHECK(RUN("goal", "add", "C014", "Plan the holidays together") == KZ_OK);
    KZF_CHECK(RUN("goal", "add", "C014", "Name his anger", "--partner", "2") == KZ_OK);
    KZF_CHECK(RUN("session", "add", "C014", "--date", "2026-01-10", "--minutes", "50", "--theme",
                  "holidays", "--goal", "g1", "--text", "Joint: winter plans.", "--process-notes",
                  "PJ", "--homework", "A list") == KZ_OK);
    KZF_CHECK(RUN("session", "add", "C014", "--date", "2026-01-24", "--attended", "2", "--goal",
                  "g2", "--text", "Jonas alone.") == KZ_OK);
    KZF_CHECK(RUN("session", "sign", "s1") == KZ_OK);
    KZF_CHECK(RUN("goal", "progress", "g1", "6", "--date", "2026-01-24", "--session", "s2",
                  "--note", "better") == KZ_OK);
    KZF_CHECK(RUN("export", "C014", "--format", "json", "--include-process-notes", "--yes", "-o",
                  p[0]) == KZ_OK);
    KZF_CHECK(RUN("export", "C014", "--format", "json", "--for-partner", "1", "--yes", "-o",
                  p[1]) == KZ_OK);
    encrypt_file(p[1], p[2], 0);
    encrypt_file(p[0], p[3], 1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char pass[] = KZF_PASSPHRASE "\n", ident[] = KZF_IDENTITY "\n";

    (void)argc;
    (void)argv;
    kzf_init();
    vault_path = kzf_path("vault.kz");
    input_path = kzf_path("import.json");
    pass_path = kzf_path("pass");
    id_path = kzf_path("identity");
    kzf_write(pass_path, pass, sizeof(pass) - 1);
    kzf_write(id_path, ident, sizeof(ident) - 1);
    kz_state_init(&st);
    st.ui.out = st.ui.errf = kzf_devnull();
    st.vault_path = kz_xstrdup(vault_path);
    make_vault();
    if (getenv("KZ_FUZZ_WRITE_SEED") != NULL) {
        write_seeds(getenv("KZ_FUZZ_WRITE_SEED"));
        exit(0);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct found f;
    int rc, pass;

    pass = memmem(data, size, "scrypt", 6) != NULL && kzf_scrypt_logn(data, size) <= KZF_MAX_LOGN;
    kzf_write(input_path, data, size);
    st.ui.json = (int)(size & 1);
    /* What the person at the terminal would see. */
    st.ui.out = open_memstream(&outbuf, &outlen);
    st.ui.errf = open_memstream(&errbuf, &errlen);
    KZF_CHECK(st.ui.out != NULL && st.ui.errf != NULL);
    rc = RUN("import", pass ? "--backup-passphrase-file" : "--identity", pass ? pass_path : id_path,
             "--", input_path);
    find(&f);
    if (rc != KZ_OK) {
        KZF_CHECK(f.couples == 0);
    } else {
        KZF_CHECK(f.couples == 1);
        look_at(&f);
        /* An import may bring a closed couple, or one under legal hold:
         * either way it is erased as a client's request is (issue #16). */
        (void)RUN("couple", "release", "--", f.code);
        (void)RUN("couple", "close", "--", f.code);
        KZF_CHECK(RUN("couple", "erase", "--before-retention", "--reason", "fuzz", "--yes", "--",
                      f.code) == KZ_OK);
        find(&f);
        KZF_CHECK(f.couples == 0 && f.nids == 0);
    }
    fclose(st.ui.out);
    fclose(st.ui.errf);
    st.ui.out = st.ui.errf = kzf_devnull();
    /* Nothing an imported file holds may reach the terminal as a control (in
     * JSON mode jansson escapes C0; the output is for programs). */
    KZF_CHECK(st.ui.json || !has_terminal_control(outbuf, outlen));
    KZF_CHECK(st.ui.json || !has_terminal_control(errbuf, errlen));
    free(outbuf);
    free(errbuf);
    outbuf = errbuf = NULL;
    unlink(input_path);
    if (++runs % RENEW_EVERY == 0)
        make_vault();
    if (getenv("KZ_FUZZ_WRITE_SEED") != NULL) {
        write_seeds(getenv("KZ_FUZZ_WRITE_SEED"));
        exit(0);
    }
    return 0;
}
