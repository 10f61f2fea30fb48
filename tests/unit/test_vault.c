/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Key slots, record binding (record id, vault, key epoch), locking. */
#include "testutil.h"

#include <sodium.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kizuna/cleanup.h"
#include "kizuna/secmem.h"
#include "kizuna/store.h"
#include "kizuna/vault.h"

#define PASS "Tulip harbor lantern 42"

struct fx {
    char dir[256];
    char a[300];
    char b[300];
    char *recovery;
    struct kz_kdf_params kdf;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    tu_tmpdir(f->dir, sizeof(f->dir));
    snprintf(f->a, sizeof(f->a), "%s/a.kz", f->dir);
    snprintf(f->b, sizeof(f->b), "%s/b.kz", f->dir);
    f->kdf.t = 1;
    f->kdf.m_kib = 256;
    f->kdf.lanes = 1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    kz_secure_free(f->recovery);
    tu_rmdir(f->dir);
    free(f);
    return 0;
}

static struct kz_vault *
make_vault(struct fx *f, const char *path)
{
    struct kz_vault *v = NULL;
    struct kz_err err;

    kz_secure_free(f->recovery);
    f->recovery = NULL;
    assert_int_equal(kz_vault_create(path, PASS, strlen(PASS), &f->kdf, &f->recovery, &v, &err),
                     KZ_OK);
    assert_true(kz_vault_unlocked(v));
    return v;
}

static struct kz_vault *
reopen(const char *path)
{
    struct kz_vault *v = NULL;
    struct kz_err err;

    assert_int_equal(kz_vault_open(path, &v, &err), KZ_OK);
    assert_false(kz_vault_unlocked(v));
    return v;
}

static void
put(struct kz_vault *v, const unsigned char *id, const char *text)
{
    struct kz_err err;

    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    assert_int_equal(kz_vault_record_put(v, id, "head", 4, text, strlen(text), &err), KZ_OK);
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
}

static void
test_create_refuses_existing_and_is_0600(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a), *w = NULL;
    char *rec = NULL;
    struct kz_err err;
    struct stat sb;

    assert_int_equal(stat(f->a, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(kz_vault_create(f->a, PASS, strlen(PASS), &f->kdf, &rec, &w, &err), KZ_ERR);
    assert_non_null(strstr(err.msg, "refusing to overwrite"));
    assert_null(w);
    kz_vault_close(v);
    /* The existing vault is untouched: it still opens. */
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    kz_vault_close(v);
}

static void
test_passphrase_and_recovery_unlock(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES];
    char *plain = NULL;
    size_t len = 0;
    struct kz_err err;

    kz_vault_new_record_id(id);
    put(v, id, "{\"kind\":\"config\"}");
    kz_vault_close(v);

    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, "Tulip harbor lantern 43", 23, &err), KZ_EAUTH);
    assert_string_equal(err.msg, "wrong passphrase");
    assert_false(kz_vault_unlocked(v));
    assert_int_equal(kz_vault_record_get(v, id, &plain, &len, &err), KZ_EAUTH);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    assert_int_equal(kz_vault_record_get(v, id, &plain, &len, &err), KZ_OK);
    assert_string_equal(plain, "{\"kind\":\"config\"}");
    kz_vault_plain_free(plain, len);
    kz_vault_lock(v);
    assert_false(kz_vault_unlocked(v));
    assert_int_equal(kz_vault_record_get(v, id, &plain, &len, &err), KZ_EAUTH);

    /* The recovery code, in lower case and without hyphens, opens the same key. */
    {
        char code[64];
        size_t i, k = 0;
        for (i = 0; f->recovery[i] != '\0'; i++) {
            if (f->recovery[i] != '-')
                code[k++] = (char)(f->recovery[i] | 0x20);
        }
        code[k] = '\0';
        assert_int_equal(kz_vault_unlock_recovery(v, code, k, &err), KZ_OK);
        code[3] = code[3] == '0' ? '1' : '0';
        kz_vault_lock(v);
        assert_int_equal(kz_vault_unlock_recovery(v, code, k, &err), KZ_EAUTH);
        assert_int_equal(kz_vault_unlock_recovery(v, "nonsense", 8, &err), KZ_EAUTH);
    }
    kz_vault_close(v);
}

static void
test_changed_kdf_parameter_fails_auth(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char *enc = NULL;
    size_t len = 0;
    struct kz_err err;
    int i;

    kz_vault_close(v);
    /* Weaken each cost in turn (t, m, lanes): the slot must refuse, not open weaker. */
    for (i = 0; i < 3; i++) {
        struct kz_store *st = NULL;
        unsigned char saved[KZ_KDF_ENCODED_BYTES];
        assert_int_equal(kz_store_open(f->a, 0, &st, &err), KZ_OK);
        assert_int_equal(kz_store_header_get(st, "kdf", &enc, &len, &err), KZ_OK);
        assert_int_equal(len, KZ_KDF_ENCODED_BYTES);
        memcpy(saved, enc, len);
        if (i == 0)
            enc[2] = 2; /* t: 1 -> 2 (a change either way breaks the binding) */
        else if (i == 1)
            enc[7] = 0, enc[6] = 128; /* m: 256 -> 128 KiB */
        else
            enc[10] = 2; /* lanes 1 -> 2 */
        assert_int_equal(kz_store_header_put(st, "kdf", enc, len, &err), KZ_OK);
        kz_store_close(st);
        free(enc);
        v = reopen(f->a);
        assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EAUTH);
        kz_vault_close(v);
        assert_int_equal(kz_store_open(f->a, 0, &st, &err), KZ_OK);
        assert_int_equal(kz_store_header_put(st, "kdf", saved, sizeof(saved), &err), KZ_OK);
        kz_store_close(st);
    }
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    kz_vault_close(v);
}

static void
test_record_moved_to_another_id_vault_or_epoch_fails(void **state)
{
    struct fx *f = *state;
    struct kz_vault *va = make_vault(f, f->a), *vb = make_vault(f, f->b);
    unsigned char id1[KZ_RECORD_ID_BYTES], id2[KZ_RECORD_ID_BYTES], *blob = NULL, b4[4];
    unsigned char *head = NULL, *head2 = NULL, *body2 = NULL;
    char *plain = NULL;
    size_t len = 0, bloblen = 0, headlen = 0, head2len = 0, body2len = 0;
    struct kz_store *st = NULL;
    struct kz_err err;

    kz_vault_new_record_id(id1);
    kz_vault_new_record_id(id2);
    put(va, id1, "{\"kind\":\"session\",\"text\":\"one\"}");
    put(va, id2, "{\"kind\":\"session\",\"text\":\"two\"}");
    put(vb, id1, "{\"kind\":\"session\",\"text\":\"other vault\"}");

    /* Another record id in the same vault: the body alone, then head and body. */
    assert_int_equal(kz_store_record_get(kz_vault_store(va), id1, &head, &headlen, &blob,
                                         &bloblen, &err),
                     KZ_OK);
    assert_int_equal(kz_store_record_get(kz_vault_store(va), id2, &head2, &head2len, &body2,
                                         &body2len, &err),
                     KZ_OK);
    assert_int_equal(kz_store_record_put(kz_vault_store(va), id2, head2, head2len, blob, bloblen,
                                         &err),
                     KZ_OK);
    assert_int_equal(kz_vault_record_get(va, id2, &plain, &len, &err), KZ_EINTEGRITY);
    assert_null(plain);
    assert_non_null(strstr(err.msg, "failed authentication"));
    /* A head swapped in from another record fails when the index loads. */
    assert_int_equal(kz_store_record_put(kz_vault_store(va), id2, head, headlen, body2, body2len,
                                         &err),
                     KZ_OK);
    kz_vault_lock(va);
    assert_int_equal(kz_vault_unlock(va, PASS, strlen(PASS), &err), KZ_EINTEGRITY);
    assert_false(kz_vault_unlocked(va));
    assert_int_equal(kz_store_record_put(kz_vault_store(va), id2, head2, head2len, body2,
                                         body2len, &err),
                     KZ_OK);
    assert_int_equal(kz_vault_unlock(va, PASS, strlen(PASS), &err), KZ_OK);
    /* Another vault, same record id. */
    assert_int_equal(kz_store_record_put(kz_vault_store(vb), id1, head, headlen, blob, bloblen,
                                         &err),
                     KZ_OK);
    assert_int_equal(kz_vault_record_get(vb, id1, &plain, &len, &err), KZ_EINTEGRITY);
    free(blob);
    free(head);
    free(head2);
    free(body2);
    /* The original still reads. */
    assert_int_equal(kz_vault_record_get(va, id1, &plain, &len, &err), KZ_OK);
    kz_vault_plain_free(plain, len);
    kz_vault_close(va);
    kz_vault_close(vb);

    /* Another key epoch: the header says 2, the blob was sealed under 1. */
    assert_int_equal(kz_store_open(f->a, 0, &st, &err), KZ_OK);
    b4[0] = 2, b4[1] = b4[2] = b4[3] = 0;
    assert_int_equal(kz_store_header_put(st, "epoch", b4, 4, &err), KZ_OK);
    kz_store_close(st);
    va = reopen(f->a);
    /* The header no longer matches the commitment (which covers the epoch). */
    assert_int_equal(kz_vault_unlock(va, PASS, strlen(PASS), &err), KZ_EINTEGRITY);
    assert_int_equal(kz_vault_record_get(va, id1, &plain, &len, &err), KZ_EAUTH);
    kz_vault_close(va);
}

static int
count_cb(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
         const char *plain, size_t len)
{
    (void)id;
    (void)head;
    (void)headlen;
    (void)plain;
    (void)len;
    (*(int *)ctx)++;
    return 0;
}

static void
test_foreach_stops_at_a_tampered_record(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES], *blob = NULL, *head = NULL;
    size_t bloblen = 0, headlen = 0;
    const struct kz_head *heads;
    struct kz_err err;
    size_t nh = 0;
    int n = 0, i;

    for (i = 0; i < 5; i++) {
        kz_vault_new_record_id(id);
        put(v, id, "{\"kind\":\"goal\"}");
    }
    assert_int_equal(kz_vault_record_foreach(v, count_cb, &n, &err), KZ_OK);
    assert_int_equal(n, 5);
    assert_int_equal(kz_vault_heads(v, &heads, &nh, &err), KZ_OK);
    assert_int_equal(nh, 5);
    assert_int_equal(heads[0].len, 4);
    assert_memory_equal(heads[0].data, "head", 4);
    assert_non_null(kz_vault_head(v, id));
    assert_int_equal(kz_store_record_get(kz_vault_store(v), id, &head, &headlen, &blob, &bloblen,
                                         &err),
                     KZ_OK);
    blob[bloblen - 1] ^= 1;
    assert_int_equal(kz_store_record_put(kz_vault_store(v), id, head, headlen, blob, bloblen,
                                         &err),
                     KZ_OK);
    free(blob);
    free(head);
    n = 0;
    assert_int_equal(kz_vault_record_foreach(v, count_cb, &n, &err), KZ_EINTEGRITY);
    assert_true(n < 5); /* the walk stopped at it (rows come in id order: any place) */
    kz_vault_close(v);
}

/* The attack on the mapped walk: the file cut short (truncate, by path: no
 * descriptor of ours) while a walk reads it. The walk reads through a mapping
 * (kz_store_walk_next), where a page past the end raises SIGBUS: the
 * child must say so and exit 4, not die of the signal without a word. */
static int
truncate_cb(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
            const char *plain, size_t len)
{
    (void)id;
    (void)head;
    (void)headlen;
    (void)plain;
    (void)len;
    return truncate(ctx, 0) == 0 ? 0 : -1;
}

static void
test_vault_cut_short_under_a_walk_exits_4(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES];
    char body[2100], errpath[300], msg[512];
    struct kz_err err;
    pid_t pid;
    int status = 0, i, fd;
    ssize_t n;

    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    for (i = 0; i < 40; i++) { /* bodies on several pages of the file */
        kz_vault_new_record_id(id);
        put(v, id, body);
    }
    kz_vault_close(v); /* the last connection: the WAL goes into the file */
    snprintf(errpath, sizeof(errpath), "%s/stderr", f->dir);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (efd < 0 || dup2(efd, 2) < 0)
            _exit(90);
        kz_cleanup_fault_install();
        v = reopen(f->a);
        if (kz_vault_unlock(v, PASS, strlen(PASS), &err) != KZ_OK)
            _exit(91);
        _exit(kz_vault_record_foreach(v, truncate_cb, f->a, &err) == KZ_OK ? 92 : 93);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 4);
    fd = open(errpath, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, msg, sizeof(msg) - 1);
    close(fd);
    assert_true(n > 0);
    msg[n] = '\0';
    assert_non_null(strstr(msg, "the vault file was cut short while being read"));
}

/* Whether this process maps the file at path (/proc/self/maps). */
static int
maps_file(const char *path)
{
    char line[4096], real[PATH_MAX];
    FILE *m = fopen("/proc/self/maps", "r");
    int found = 0;

    assert_non_null(m);
    assert_non_null(realpath(path, real));
    while (fgets(line, sizeof(line), m) != NULL) {
        char *p = strchr(line, '/');
        if (p != NULL && strncmp(p, real, strlen(real)) == 0 && p[strlen(real)] == '\n')
            found = 1;
    }
    fclose(m);
    return found;
}

/* Records read one by one: after the first few of a transaction the rest are
 * read through a mapping of the file, which ends with the transaction (an idle
 * process maps nothing). The attack: the file cut short while it is mapped;
 * the next read raises SIGBUS, and the child says so and exits 4. */
static void
test_vault_record_reads_mapped_then_unmapped_cut_short_exits_4(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char ids[40][KZ_RECORD_ID_BYTES];
    char body[2100], errpath[300], msg[512], *got = NULL;
    struct kz_err err;
    size_t len = 0;
    pid_t pid;
    int status = 0, i, fd;
    ssize_t n;

    memset(body, 'y', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    for (i = 0; i < 40; i++) {
        kz_vault_new_record_id(ids[i]);
        put(v, ids[i], body);
    }
    kz_vault_close(v); /* the last connection: the WAL goes into the file */
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    /* Two reads: no mapping; twenty: the file is mapped until the end. */
    assert_int_equal(kz_vault_begin_read(v, &err), KZ_OK);
    for (i = 0; i < 20; i++) {
        assert_int_equal(kz_vault_record_get(v, ids[i], &got, &len, &err), KZ_OK);
        assert_int_equal(len, strlen(body));
        assert_memory_equal(got, body, len);
        kz_vault_plain_free(got, len);
        if (i == 1)
            assert_false(maps_file(f->a));
    }
    assert_true(maps_file(f->a));
    kz_vault_end_read(v);
    assert_false(maps_file(f->a));
    kz_vault_close(v);
    snprintf(errpath, sizeof(errpath), "%s/stderr", f->dir);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (efd < 0 || dup2(efd, 2) < 0)
            _exit(90);
        kz_cleanup_fault_install();
        v = reopen(f->a);
        if (kz_vault_unlock(v, PASS, strlen(PASS), &err) != KZ_OK ||
            kz_vault_begin_read(v, &err) != KZ_OK)
            _exit(91);
        for (i = 0; i < 20; i++) {
            if (kz_vault_record_get(v, ids[i], &got, &len, &err) != KZ_OK)
                _exit(92);
            kz_vault_plain_free(got, len);
        }
        if (!maps_file(f->a) || truncate(f->a, 0) != 0)
            _exit(93);
        for (i = 20; i < 40; i++) { /* pages not yet read: past the end now */
            if (kz_vault_record_get(v, ids[i], &got, &len, &err) != KZ_OK)
                _exit(94);
            kz_vault_plain_free(got, len);
        }
        _exit(95);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 4);
    fd = open(errpath, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, msg, sizeof(msg) - 1);
    close(fd);
    assert_true(n > 0);
    msg[n] = '\0';
    assert_non_null(strstr(msg, "the vault file was cut short while being read"));
}

/* Each body holds its record id in hex (then dots, or nothing): the parallel
 * walk checks every one. */
static int
body_is_id_cb(void *ctx, const unsigned char *id, const unsigned char *head, size_t headlen,
              const char *body, size_t bodylen)
{
    char hex[2 * KZ_RECORD_ID_BYTES + 1];

    size_t i;

    (void)head;
    (void)headlen;
    sodium_bin2hex(hex, sizeof(hex), id, KZ_RECORD_ID_BYTES);
    if (bodylen < strlen(hex) || memcmp(body, hex, strlen(hex)) != 0)
        return 7;
    for (i = strlen(hex); i < bodylen; i++) /* and dots, to fill pages */
        if (body[i] != '.')
            return 7;
    __atomic_add_fetch((int *)ctx, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* The audit chain as the walk hands it on: each entry's seq in order, and
 * the events' numbers ("n":K) in order, the transitions counted apart. */
struct chain_seen {
    unsigned long long last;
    long events, transitions, next_n;
    int bad;
};

static int
chain_cb(void *ctx, unsigned long long seq, const char *json, size_t len)
{
    struct chain_seen *c = ctx;
    const char *n = strstr(json, "\"n\":");

    if (seq != c->last + 1 || strlen(json) != len)
        c->bad = 1;
    c->last = seq;
    if (strstr(json, "\"key_transition\"") != NULL) {
        c->transitions++;
    } else if (n != NULL) {
        if (atol(n + 4) != c->next_n)
            c->bad = 1;
        c->next_n++;
        c->events++;
    }
    return 0;
}

/* n events, numbered from *k on, in one change. */
static void
append_events(struct kz_vault *v, long n, long *k)
{
    struct kz_err err;
    char ev[160];

    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    for (long i = 0; i < n; i++, (*k)++) {
        int l = snprintf(ev, sizeof(ev),
                         "{\"t\":\"2026-12-04T10:00:00Z\",\"event\":\"view\",\"cmd\":"
                         "\"session show\",\"n\":%ld}",
                         *k);
        assert_int_equal(kz_vault_audit_append(v, ev, (size_t)l, &err), KZ_OK);
    }
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
}

static unsigned long long
chain_head(struct kz_vault *v)
{
    unsigned char mac[64];
    unsigned long long seq = 0;
    struct kz_err err;

    assert_int_equal(kz_vault_audit_head(v, &seq, mac, &err), KZ_OK);
    return seq;
}

/* Runs sql on the vault file from a connection of its own (the attacker). */
static void
tamper(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The chain is checked a batch at a time on every core and handed on in
 * order: over several batches and both parts of each, with a rekey's
 * transition inside a batch and another as the first entry of one, every
 * entry comes once and in order. The attacks, each found at its entry as a
 * sequential reading finds it: an entry altered in the second part of a later
 * batch, one removed at a batch's first place, two swapped across parts. */
static void
test_audit_chain_in_batches_on_every_core(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    struct chain_seen c;
    struct kz_err err;
    char *rec = NULL, sql[256];
    long k = 0;
    unsigned long long head;

    append_events(v, 1500, &k);
    assert_int_equal(kz_vault_rekey(v, PASS, strlen(PASS), NULL, 0, &rec, NULL, NULL, &err),
                     KZ_OK); /* a transition inside the first batch (4,096) */
    kz_secure_free(rec);
    rec = NULL;
    append_events(v, (long)(4096 - chain_head(v)), &k);
    assert_int_equal(chain_head(v), 4096);
    assert_int_equal(kz_vault_rekey(v, PASS, strlen(PASS), NULL, 0, &rec, NULL, NULL, &err),
                     KZ_OK); /* entry 4,097: the first of the second batch */
    kz_secure_free(rec);
    append_events(v, 5000, &k);
    head = chain_head(v);
    memset(&c, 0, sizeof(c));
    assert_int_equal(kz_vault_audit_walk(v, chain_cb, &c, &err), KZ_OK);
    assert_false(c.bad);
    assert_int_equal(c.last, head);
    assert_int_equal(c.transitions, 2);
    assert_int_equal(c.events, k);
    kz_vault_close(v);

    /* Entry 7,000 altered (the second batch's second part). */
    snprintf(sql, sizeof(sql),
             "UPDATE audit SET blob = substr(blob, 1, 40) || randomblob(8) || substr(blob, 49) "
             "WHERE seq = 7000");
    tamper(f->a, sql);
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK); /* the head is whole */
    memset(&c, 0, sizeof(c));
    assert_int_equal(kz_vault_audit_walk(v, chain_cb, &c, &err), KZ_EINTEGRITY);
    assert_string_equal(err.msg, "audit chain broken at entry 7000: its link does not verify "
                                 "(altered, removed or reordered entries)");
    assert_int_equal(c.last, 6999); /* handed on up to the entry before */
    kz_vault_close(v);
    /* Entry 6,145 (the first of the second batch's second part) removed: found
     * before 7,000. */
    tamper(f->a, "DELETE FROM audit WHERE seq = 6145");
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    memset(&c, 0, sizeof(c));
    assert_int_equal(kz_vault_audit_walk(v, chain_cb, &c, &err), KZ_EINTEGRITY);
    assert_string_equal(err.msg, "audit chain broken: entry 6145 is missing");
    assert_int_equal(c.last, 6144);
    kz_vault_close(v);
    /* Entries 100 and 1,500 (the first batch's two parts) swapped whole. */
    tamper(f->a, "UPDATE audit SET seq = -1 WHERE seq = 100;"
                 "UPDATE audit SET seq = 100 WHERE seq = 1500;"
                 "UPDATE audit SET seq = 1500 WHERE seq = -1");
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    assert_int_equal(kz_vault_audit_walk(v, NULL, NULL, &err), KZ_EINTEGRITY);
    assert_string_equal(err.msg, "audit chain broken at entry 100: its link does not verify "
                                 "(altered, removed or reordered entries)");
    kz_vault_close(v);
}

/* The attack the fuzzer found: a head emptied in the file (SQLite hands a
 * zero-length blob over as NULL). The unlock's loaders copied it as NULL + 0,
 * undefined behaviour that UBSan stops on; now the record is named, exit 4. */
static void
test_empty_head_blob_is_named(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES];
    char hex[2 * KZ_RECORD_ID_BYTES + 1], sql[200];
    struct kz_err err;
    long k = 0;

    kz_vault_new_record_id(id);
    put(v, id, "{\"kind\":\"goal\"}");
    kz_vault_close(v);
    sodium_bin2hex(hex, sizeof(hex), id, KZ_RECORD_ID_BYTES);
    snprintf(sql, sizeof(sql), "UPDATE heads SET head = X'' WHERE id = X'%s'", hex);
    tamper(f->a, sql);
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EINTEGRITY);
    hex[16] = '\0';
    assert_non_null(strstr(err.msg, hex));
    kz_vault_close(v);
    /* An audit entry emptied the same way: the chain names it. */
    v = make_vault(f, f->b);
    append_events(v, 3, &k);
    kz_vault_close(v);
    tamper(f->b, "UPDATE audit SET blob = X'' WHERE seq = 2");
    v = reopen(f->b);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    assert_int_equal(kz_vault_audit_walk(v, NULL, NULL, &err), KZ_EINTEGRITY);
    assert_string_equal(err.msg, "audit chain broken at entry 2: its link does not verify "
                                 "(altered, removed or reordered entries)");
    kz_vault_close(v);
}

/* kz_vault_records_open's callback: body i must hold ids[i] in hex (then
 * dots), and each i comes once; 'stop' as the body's first character (none
 * here) or i == stop_at makes it fail with its own error. */
struct opened {
    const unsigned char (*ids)[KZ_RECORD_ID_BYTES];
    int *seen;
    size_t stop_at;
};

static int
opened_cb(void *ctx, size_t i, const unsigned char *id, const unsigned char *head,
          size_t headlen, const char *body, size_t bodylen, struct kz_err *err)
{
    struct opened *o = ctx;
    char hex[2 * KZ_RECORD_ID_BYTES + 1];
    size_t k;

    sodium_bin2hex(hex, sizeof(hex), o->ids[i], KZ_RECORD_ID_BYTES);
    if (memcmp(id, o->ids[i], KZ_RECORD_ID_BYTES) != 0 || headlen != 8 ||
        memcmp(head, hex, 8) != 0 || bodylen < strlen(hex) || memcmp(body, hex, strlen(hex)) != 0)
        return kz_fail(err, KZ_ERR, "record %zu is not its own", i);
    for (k = strlen(hex); k < bodylen; k++) {
        if (body[k] != '.')
            return kz_fail(err, KZ_ERR, "record %zu is not its own", i);
    }
    if (i == o->stop_at)
        return kz_fail(err, 77, "stopped at %zu", i);
    __atomic_add_fetch(&o->seen[i], 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* Records opened by id on every core (session list's notes): each given id
 * once, with its place, whatever their order (a file of 3 MiB: two parts);
 * an id twice is opened twice; an id the vault lacks is KZ_ENOTFOUND; the
 * callback's error stops the rest; a body altered in the file stops them with
 * KZ_EINTEGRITY naming that record, and put back they open again. */
static void
test_records_open_by_id_on_every_core(void **state)
{
    enum { N = 1200 };
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    static unsigned char ids[N][KZ_RECORD_ID_BYTES], pick[N][KZ_RECORD_ID_BYTES];
    static int seen[N];
    char hex[2 * KZ_RECORD_ID_BYTES + 1], body[2600];
    unsigned char *blob = NULL, *head = NULL;
    size_t bloblen = 0, headlen = 0, i, n;
    struct opened o = {(const unsigned char (*)[KZ_RECORD_ID_BYTES])pick, seen, (size_t)-1};
    struct kz_err err;

    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    for (i = 0; i < N; i++) {
        kz_vault_new_record_id(ids[i]);
        sodium_bin2hex(hex, sizeof(hex), ids[i], KZ_RECORD_ID_BYTES);
        memset(body, '.', sizeof(body));
        memcpy(body, hex, strlen(hex));
        assert_int_equal(kz_vault_record_put(v, ids[i], hex, 8, body, sizeof(body), &err), KZ_OK);
    }
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
    /* Every other record, from the last down (not in id order). */
    for (n = 0, i = N; i-- > 0;) {
        if (i % 2 == 0)
            memcpy(pick[n++], ids[i], KZ_RECORD_ID_BYTES);
    }
    memset(seen, 0, sizeof(seen));
    assert_int_equal(kz_vault_records_open(v, o.ids, n, opened_cb, &o, &err), KZ_OK);
    for (i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(seen[n], 0);
    /* The same id twice, and a few (one part). */
    memcpy(pick[1], pick[0], KZ_RECORD_ID_BYTES);
    memset(seen, 0, sizeof(seen));
    assert_int_equal(kz_vault_records_open(v, o.ids, 3, opened_cb, &o, &err), KZ_OK);
    assert_int_equal(seen[0] + seen[1] + seen[2], 3);
    assert_int_equal(kz_vault_records_open(v, o.ids, 0, opened_cb, &o, &err), KZ_OK);
    /* An id the vault does not hold. */
    kz_vault_new_record_id(pick[300]);
    assert_int_equal(kz_vault_records_open(v, o.ids, 400, opened_cb, &o, &err), KZ_ENOTFOUND);
    memcpy(pick[300], ids[1], KZ_RECORD_ID_BYTES);
    /* The callback's own error. */
    o.stop_at = 250;
    assert_int_equal(kz_vault_records_open(v, o.ids, 400, opened_cb, &o, &err), 77);
    assert_string_equal(err.msg, "stopped at 250");
    o.stop_at = (size_t)-1;
    /* A body altered in the file: exit 4 naming it; put back, all open. */
    assert_int_equal(kz_store_record_get(kz_vault_store(v), pick[200], &head, &headlen, &blob,
                                         &bloblen, &err),
                     KZ_OK);
    blob[bloblen / 2] ^= 1;
    assert_int_equal(kz_store_record_put(kz_vault_store(v), pick[200], head, headlen, blob,
                                         bloblen, &err),
                     KZ_OK);
    sodium_bin2hex(hex, sizeof(hex), pick[200], 8);
    assert_int_equal(kz_vault_records_open(v, o.ids, 400, opened_cb, &o, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, hex));
    blob[bloblen / 2] ^= 1;
    assert_int_equal(kz_store_record_put(kz_vault_store(v), pick[200], head, headlen, blob,
                                         bloblen, &err),
                     KZ_OK);
    assert_int_equal(kz_vault_records_open(v, o.ids, 400, opened_cb, &o, &err), KZ_OK);
    /* The attack: another process deletes 16 of them after this command's
     * snapshot began (some in each part's half, but for 2 in 65,536). Every
     * part reads that snapshot (a connection that would see the deletions is
     * not used), so they are still opened. */
    {
        struct kz_vault *b = reopen(f->a);
        assert_int_equal(kz_vault_unlock(b, PASS, strlen(PASS), &err), KZ_OK);
        assert_int_equal(kz_vault_begin_read(v, &err), KZ_OK);
        assert_int_equal(kz_vault_begin(b, &err), KZ_OK);
        for (i = 5; i < 21; i++)
            assert_int_equal(kz_vault_record_delete(b, pick[i], &err), KZ_OK);
        assert_int_equal(kz_vault_commit(b, &err), KZ_OK);
        memset(seen, 0, sizeof(seen));
        assert_int_equal(kz_vault_records_open(v, o.ids, 400, opened_cb, &o, &err), KZ_OK);
        for (i = 5; i < 21; i++)
            assert_int_equal(seen[i], 1);
        kz_vault_end_read(v);
        /* The next command sees it gone. */
        assert_int_equal(kz_vault_begin_read(v, &err), KZ_OK);
        assert_int_equal(kz_vault_records_open(v, o.ids, 400, opened_cb, &o, &err), KZ_ENOTFOUND);
        kz_vault_end_read(v);
        kz_vault_close(b);
    }
    free(blob);
    free(head);
    kz_vault_close(v);
}

/* More records than one batch of the workers (512) and more batches than are
 * in flight at once: the index loads them all on every core and checks the
 * commitment, the parallel walk opens each body once, rekey re-seals them all
 * in order; a head altered in the middle stops the unlock naming that record,
 * and put back the vault opens again. */
/* Work between commands (the shell's pauses) reads in a snapshot that takes
 * no news: another handle's commit, even a rekey, leaves this one as it was
 * (unlocked, its heads unread) with KZ_EBUSY until its next command's begin
 * takes the news in and reports it. */
static void
test_begin_idle_leaves_news_to_the_next_command(void **state)
{
    struct fx *f = *state;
    struct kz_vault *a = make_vault(f, f->a), *b = reopen(f->a);
    unsigned char id1[KZ_RECORD_ID_BYTES], id2[KZ_RECORD_ID_BYTES];
    const struct kz_head *heads;
    char *rec = NULL;
    size_t n = 0;
    struct kz_err err;

    kz_vault_new_record_id(id1);
    kz_vault_new_record_id(id2);
    put(a, id1, "one");
    assert_int_equal(kz_vault_begin_idle(a, &err), KZ_OK); /* nothing new */
    assert_int_equal(kz_vault_heads(a, &heads, &n, &err), KZ_OK);
    assert_int_equal(n, 1);
    kz_vault_end_read(a);
    assert_int_equal(kz_vault_unlock(b, PASS, strlen(PASS), &err), KZ_OK);
    put(b, id2, "two");
    assert_int_equal(kz_vault_begin_idle(a, &err), KZ_EBUSY);
    assert_int_equal(kz_vault_begin_idle(a, &err), KZ_EBUSY); /* until a begin reads it */
    assert_int_equal(kz_vault_begin_read(a, &err), KZ_OK);
    assert_int_equal(kz_vault_heads(a, &heads, &n, &err), KZ_OK);
    assert_int_equal(n, 2);
    kz_vault_end_read(a);
    assert_int_equal(kz_vault_begin_idle(a, &err), KZ_OK);
    kz_vault_end_read(a);
    /* A rekey elsewhere: the pause leaves a unlocked and says nothing... */
    assert_int_equal(kz_vault_rekey(b, PASS, strlen(PASS), PASS, strlen(PASS), &rec, NULL, NULL,
                                    &err),
                     KZ_OK);
    kz_secure_free(rec);
    assert_int_equal(kz_vault_begin_idle(a, &err), KZ_EBUSY);
    assert_true(kz_vault_unlocked(a));
    /* ...and the next command's begin finds it and locks, with the reason. */
    assert_int_equal(kz_vault_begin_read(a, &err), KZ_EAUTH);
    assert_false(kz_vault_unlocked(a));
    kz_vault_close(b);
    kz_vault_close(a);
}

static void
test_many_records_on_all_cores(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    enum { N = 7000 };
    unsigned char (*ids)[KZ_RECORD_ID_BYTES] = calloc(N, KZ_RECORD_ID_BYTES);
    unsigned char *blob = NULL, *head = NULL, *bad;
    size_t bloblen = 0, headlen = 0, nh = 0;
    const struct kz_head *heads;
    char hex[2 * KZ_RECORD_ID_BYTES + 1], *rec = NULL;
    unsigned long long gen = 0, count = 0;
    struct kz_err err;
    int i, n = 0;

    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    for (i = 0; i < N; i++) {
        kz_vault_new_record_id(ids[i]);
        sodium_bin2hex(hex, sizeof(hex), ids[i], KZ_RECORD_ID_BYTES);
        assert_int_equal(kz_vault_record_put(v, ids[i], hex, 8, hex, strlen(hex), &err), KZ_OK);
    }
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
    assert_int_equal(kz_vault_commitment_check(v, &gen, &count, &err), KZ_OK);
    assert_int_equal(count, N);
    assert_int_equal(kz_vault_heads(v, &heads, &nh, &err), KZ_OK);
    assert_int_equal(nh, N);
    for (i = 0; i < N; i += 97) {
        const struct kz_head *h = kz_vault_head(v, ids[i]);
        sodium_bin2hex(hex, sizeof(hex), ids[i], KZ_RECORD_ID_BYTES);
        assert_non_null(h);
        assert_int_equal(h->len, 8);
        assert_memory_equal(h->data, hex, 8);
        assert_int_equal(h->data[8], '\0');
    }
    assert_int_equal(kz_vault_record_foreach_parallel(v, body_is_id_cb, &n, &err), KZ_OK);
    assert_int_equal(n, N);
    /* A record replaced after the load (its head a malloc of its own) and one
     * deleted: the index and the commitment follow. */
    sodium_bin2hex(hex, sizeof(hex), ids[5], KZ_RECORD_ID_BYTES);
    put(v, ids[5], hex);
    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    assert_int_equal(kz_vault_record_delete(v, ids[6], &err), KZ_OK);
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
    assert_int_equal(kz_vault_commitment_check(v, &gen, &count, &err), KZ_OK);
    assert_int_equal(count, N - 1);
    assert_int_equal(kz_vault_rekey(v, PASS, strlen(PASS), NULL, 0, &rec, NULL, NULL, &err),
                     KZ_OK);
    kz_secure_free(rec);
    kz_vault_lock(v);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    n = 0;
    assert_int_equal(kz_vault_record_foreach_parallel(v, body_is_id_cb, &n, &err), KZ_OK);
    assert_int_equal(n, N - 1);
    /* One head altered in the middle of the file. */
    assert_int_equal(kz_store_record_get(kz_vault_store(v), ids[N / 2], &head, &headlen, &blob,
                                         &bloblen, &err),
                     KZ_OK);
    bad = malloc(headlen);
    memcpy(bad, head, headlen);
    bad[headlen / 2] ^= 1;
    assert_int_equal(kz_store_record_put(kz_vault_store(v), ids[N / 2], bad, headlen, blob,
                                         bloblen, &err),
                     KZ_OK);
    kz_vault_lock(v);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EINTEGRITY);
    sodium_bin2hex(hex, sizeof(hex), ids[N / 2], 8);
    assert_non_null(strstr(err.msg, hex));
    assert_non_null(strstr(err.msg, "(head) failed authentication"));
    assert_false(kz_vault_unlocked(v));
    assert_int_equal(kz_store_record_put(kz_vault_store(v), ids[N / 2], head, headlen, blob,
                                         bloblen, &err),
                     KZ_OK);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_OK);
    free(bad);
    free(head);
    free(blob);
    free(ids);
    kz_vault_close(v);
}

/* The walk in parts: every row once, each part in id order within its key
 * range, all of them one snapshot. The attack: another connection commits
 * after this one's snapshot began and before the walk opens its other
 * connections; they would see the new record, so the walk must fall back to
 * one part (fails if the parts do not compare the commitment row). */
static int
cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, KZ_RECORD_ID_BYTES);
}

static size_t
walk_parts(struct kz_store *st, int want, const char *same_row, int *parts,
           unsigned char (*got)[KZ_RECORD_ID_BYTES], size_t cap)
{
    struct kz_store_walk *w = NULL;
    const unsigned char *id, *blob;
    size_t len, n = 0;
    struct kz_err err;
    int k;

    kz_err_clear(&err);
    assert_int_equal(kz_store_walk_open(st, 1, want, same_row, &w, &err), KZ_OK);
    *parts = kz_store_walk_parts(w);
    for (k = 0; k < *parts; k++) {
        size_t first = n;
        while (kz_store_walk_next(w, k, &id, &blob, &len, &err) == KZ_OK && id != NULL) {
            assert_true(n < cap);
            assert_non_null(blob);
            /* Its own key range, in order. */
            assert_true(id[0] >= 256 * k / *parts);
            assert_true(id[0] < 256 * (k + 1) / *parts || k == *parts - 1);
            assert_true(n == first || memcmp(got[n - 1], id, KZ_RECORD_ID_BYTES) < 0);
            memcpy(got[n++], id, KZ_RECORD_ID_BYTES);
        }
        assert_int_equal(err.code, KZ_OK);
    }
    kz_store_walk_close(w);
    return n;
}

static void
test_walk_parts_are_one_snapshot(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a), *b;
    enum { N = 600 };
    unsigned char (*ids)[KZ_RECORD_ID_BYTES] = calloc(N + 1, KZ_RECORD_ID_BYTES);
    unsigned char (*got)[KZ_RECORD_ID_BYTES] = calloc(N + 8, KZ_RECORD_ID_BYTES);
    struct kz_store *st = kz_vault_store(v);
    unsigned char *head = NULL, *blob = NULL;
    size_t headlen = 0, bloblen = 0;
    char hex[2 * KZ_RECORD_ID_BYTES + 1], body[2048];
    struct kz_err err;
    long long count = 0;
    int parts = 0, i, n = 0;

    /* Bodies of 2 KiB: a file over the 1 MiB below which one part reads it. */
    memset(body, '.', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    for (i = 0; i < N; i++) {
        kz_vault_new_record_id(ids[i]);
        sodium_bin2hex(hex, sizeof(hex), ids[i], KZ_RECORD_ID_BYTES);
        memcpy(body, hex, strlen(hex));
        assert_int_equal(kz_vault_record_put(v, ids[i], hex, 8, body, strlen(body), &err), KZ_OK);
    }
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
    qsort(ids, N, KZ_RECORD_ID_BYTES, cmp_id);

    /* Four parts on one thread, in turn: together every row once. */
    assert_int_equal(walk_parts(st, 4, "commit", &parts, got, N + 8), N);
    assert_int_equal(parts, 4);
    qsort(got, N, KZ_RECORD_ID_BYTES, cmp_id);
    assert_memory_equal(got, ids, (size_t)N * KZ_RECORD_ID_BYTES);
    /* Without a row to compare, or inside a change that wrote a row: one
     * part. A change that wrote nothing yet holds the write lock: parts. */
    assert_int_equal(walk_parts(st, 4, NULL, &parts, got, N + 8), N);
    assert_int_equal(parts, 1);
    assert_int_equal(kz_store_begin(st, &err), KZ_OK);
    assert_int_equal(walk_parts(st, 4, "commit", &parts, got, N + 8), N);
    assert_int_equal(parts, 4);
    kz_vault_new_record_id(ids[N]);
    assert_int_equal(kz_store_record_put(st, ids[N], "h", 1, "b", 1, &err), KZ_OK);
    assert_int_equal(walk_parts(st, 4, "commit", &parts, got, N + 8), N + 1);
    assert_int_equal(parts, 1);
    kz_store_rollback(st);

    /* The attack: a commit between this connection's snapshot and the walk. */
    b = reopen(f->a);
    assert_int_equal(kz_vault_unlock(b, PASS, strlen(PASS), &err), KZ_OK);
    assert_int_equal(kz_store_begin_read(st, &err), KZ_OK);
    assert_int_equal(kz_store_record_count(st, &count, &err), KZ_OK); /* the snapshot begins */
    assert_int_equal(count, N);
    kz_vault_new_record_id(ids[N]);
    put(b, ids[N], "written meanwhile");
    assert_int_equal(walk_parts(st, 4, "commit", &parts, got, N + 8), N);
    assert_int_equal(parts, 1);
    kz_store_end(st);
    assert_int_equal(walk_parts(st, 4, "commit", &parts, got, N + 8), N + 1);
    assert_int_equal(parts, 4);
    kz_vault_close(b);

    /* The parallel walk over them (on every core): a body altered in the last
     * key range stops it, naming that record, whichever thread opened it. */
    assert_int_equal(kz_vault_begin_read(v, &err), KZ_OK); /* takes b's record in */
    kz_vault_end_read(v);
    n = 0;
    /* b's record holds other text: the callback's own return stops the walk. */
    assert_int_equal(kz_vault_record_foreach_parallel(v, body_is_id_cb, &n, &err), 7);
    /* Its id put in it, the walk is clean. */
    sodium_bin2hex(hex, sizeof(hex), ids[N], KZ_RECORD_ID_BYTES);
    put(v, ids[N], hex);
    n = 0;
    assert_int_equal(kz_vault_record_foreach_parallel(v, body_is_id_cb, &n, &err), KZ_OK);
    assert_int_equal(n, N + 1);
    memcpy(got[0], ids[N - 1], KZ_RECORD_ID_BYTES); /* the largest of the first N */
    if (memcmp(ids[N], got[0], KZ_RECORD_ID_BYTES) > 0)
        memcpy(got[0], ids[N], KZ_RECORD_ID_BYTES);
    assert_int_equal(kz_store_record_get(st, got[0], &head, &headlen, &blob, &bloblen, &err),
                     KZ_OK);
    blob[bloblen - 1] ^= 1;
    assert_int_equal(kz_store_record_put(st, got[0], head, headlen, blob, bloblen, &err), KZ_OK);
    n = 0;
    assert_int_equal(kz_vault_record_foreach_parallel(v, body_is_id_cb, &n, &err), KZ_EINTEGRITY);
    sodium_bin2hex(hex, sizeof(hex), got[0], 8);
    assert_non_null(strstr(err.msg, hex));
    blob[bloblen - 1] ^= 1; /* put back: the walk is clean again */
    assert_int_equal(kz_store_record_put(st, got[0], head, headlen, blob, bloblen, &err), KZ_OK);
    n = 0;
    assert_int_equal(kz_vault_record_foreach_parallel(v, body_is_id_cb, &n, &err), KZ_OK);
    assert_int_equal(n, N + 1);
    free(head);
    free(blob);

    /* SQL planted while the vault is open (sqlite3 with write access, the
     * commitment row untouched): the bodies a view over a table of the
     * attacker's. No connection of the walk reads it. */
    {
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(f->a, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                                      "ALTER TABLE bodies RENAME TO b2;"
                                      "CREATE VIEW bodies AS SELECT id, body FROM b2",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
    }
    n = 0;
    assert_int_not_equal(kz_vault_record_foreach_parallel(v, body_is_id_cb, &n, &err), KZ_OK);
    assert_int_equal(n, 0);
    free(got);
    free(ids);
    kz_vault_close(v);
}

/* A record the index lists that the file cannot find by its id (a damaged
 * id index, a row gone behind the vault's back) is an integrity failure,
 * never "no such record", and an update never quietly inserts it anew. */
static void
test_listed_record_missing_from_the_file_is_integrity(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char id[KZ_RECORD_ID_BYTES], other[KZ_RECORD_ID_BYTES];
    const struct kz_head *heads;
    struct kz_err err;
    size_t nh = 0, len = 0;
    char *body = NULL;
    long long n = 0;

    kz_vault_new_record_id(id);
    kz_vault_new_record_id(other);
    put(v, id, "{\"kind\":\"goal\"}");
    assert_int_equal(kz_vault_heads(v, &heads, &nh, &err), KZ_OK);
    assert_int_equal(nh, 1);
    /* An id the index never had is simply not there. */
    assert_int_equal(kz_vault_record_get(v, other, &body, &len, &err), KZ_ENOTFOUND);
    assert_int_equal(kz_store_record_replace(kz_vault_store(v), other, "h", 1, "b", 1, &err),
                     KZ_ENOTFOUND);
    /* In one snapshot with the index (as every command runs) it is damage. */
    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    assert_int_equal(kz_store_record_delete(kz_vault_store(v), id, &err), KZ_OK);
    assert_int_equal(kz_vault_record_get(v, id, &body, &len, &err), KZ_EINTEGRITY);
    assert_null(body);
    assert_non_null(strstr(err.msg, "damaged"));
    assert_int_equal(kz_vault_record_put(v, id, "head", 4, "{}", 2, &err), KZ_EINTEGRITY);
    assert_int_equal(kz_store_record_count(kz_vault_store(v), &n, &err), KZ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kz_vault_record_delete(v, id, &err), KZ_EINTEGRITY);
    assert_int_equal(kz_vault_commit(v, &err), KZ_OK);
    /* Saved that way, the record set no longer matches the commitment. */
    kz_vault_lock(v);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "a record was deleted"));
    kz_vault_close(v);
}

/* Each key slot carries a MAC under the master key: the slot not used to
 * unlock is checked too; rewriting it (recovery rotate) mends it. */
static void
test_slot_macs(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    unsigned char *blob = NULL;
    size_t len = 0;
    char *fresh = NULL;
    struct kz_err err;

    assert_int_equal(kz_vault_slots_check(v, &err), KZ_OK);
    assert_int_equal(kz_store_header_get(kz_vault_store(v), "slot.recovery", &blob, &len, &err),
                     KZ_OK);
    blob[len / 2] ^= 0x20;
    assert_int_equal(kz_store_header_put(kz_vault_store(v), "slot.recovery", blob, len, &err),
                     KZ_OK);
    free(blob);
    assert_int_equal(kz_vault_slots_check(v, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "recovery key slot was altered"));
    /* The header as a whole is in the commitment: the next unlock refuses. */
    kz_vault_lock(v);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "recovery key slot was altered"));
    (void)fresh;
    kz_vault_close(v);
    v = make_vault(f, f->b);
    assert_int_equal(kz_store_header_put(kz_vault_store(v), "slot.passphrase.mac", "x", 1, &err),
                     KZ_OK);
    assert_int_equal(kz_vault_slots_check(v, &err), KZ_EINTEGRITY);
    assert_non_null(strstr(err.msg, "passphrase slot was altered"));
    kz_vault_lock(v);
    assert_int_equal(kz_vault_slots_check(v, &err), KZ_EAUTH); /* needs the key */
    kz_vault_close(v);
}

/* A header format this kizuna does not read is not trusted: exit 4. */
static void
test_unknown_format_is_integrity(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    const unsigned char three[4] = {3, 0, 0, 0};
    struct kz_err err;

    assert_int_equal(kz_store_header_put(kz_vault_store(v), "format", three, 4, &err), KZ_OK);
    kz_vault_close(v);
    v = NULL;
    assert_int_equal(kz_vault_open(f->a, &v, &err), KZ_EINTEGRITY);
    assert_null(v);
    assert_non_null(strstr(err.msg, "format 3"));
}

static void
test_passwd_rewraps_and_rollback_keeps_old(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    const char *np = "Orchid valley compass 77";
    struct kz_err err;

    assert_int_equal(kz_vault_set_passphrase(v, np, strlen(np), NULL, &err), KZ_OK);
    kz_vault_close(v);
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EAUTH);
    assert_int_equal(kz_vault_unlock(v, np, strlen(np), &err), KZ_OK);
    /* Inside a transaction that is rolled back, the change is gone. */
    assert_int_equal(kz_vault_begin(v, &err), KZ_OK);
    assert_int_equal(kz_vault_set_passphrase(v, PASS, strlen(PASS), NULL, &err), KZ_OK);
    kz_vault_rollback(v);
    kz_vault_close(v);
    v = reopen(f->a);
    assert_int_equal(kz_vault_unlock(v, PASS, strlen(PASS), &err), KZ_EAUTH);
    assert_int_equal(kz_vault_unlock(v, np, strlen(np), &err), KZ_OK);
    kz_vault_close(v);
}

static void
test_recovery_rotate_retires_old_code(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = make_vault(f, f->a);
    char *fresh = NULL;
    struct kz_err err;

    /* A new master key: the old code with an old copy of its slot would open
     * nothing written afterwards. */
    assert_int_equal(kz_vault_rekey(v, PASS, strlen(PASS), NULL, 0, &fresh, NULL, NULL, &err),
                     KZ_OK);
    kz_vault_lock(v);
    assert_int_equal(kz_vault_unlock_recovery(v, f->recovery, strlen(f->recovery), &err),
                     KZ_EAUTH);
    assert_int_equal(kz_vault_unlock_recovery(v, fresh, strlen(fresh), &err), KZ_OK);
    kz_secure_free(fresh);
    kz_vault_close(v);
}

static void
test_not_a_vault(void **state)
{
    struct fx *f = *state;
    struct kz_vault *v = NULL;
    struct kz_err err;
    FILE *fp = fopen(f->a, "w");

    assert_non_null(fp);
    fputs("this is not a database, just some words about nothing in particular......\n", fp);
    fclose(fp);
    assert_int_equal(kz_vault_open(f->a, &v, &err), KZ_EINTEGRITY);
    assert_int_equal(kz_vault_open(f->b, &v, &err), KZ_ENOTFOUND);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_refuses_existing_and_is_0600, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passphrase_and_recovery_unlock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_kdf_parameter_fails_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_moved_to_another_id_vault_or_epoch_fails,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_stops_at_a_tampered_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listed_record_missing_from_the_file_is_integrity,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_records_on_all_cores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_parts_are_one_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_idle_leaves_news_to_the_next_command, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_format_is_integrity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_macs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passwd_rewraps_and_rollback_keeps_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recovery_rotate_retires_old_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_vault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vault_record_reads_mapped_then_unmapped_cut_short_exits_4,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_open_by_id_on_every_core, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_head_blob_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain_in_batches_on_every_core, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vault_cut_short_under_a_walk_exits_4, setup,
                                        teardown),
    };

    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
