/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Renames that never replace (kz_rename_noreplace and its link() fallback),
 * shredding (kz_shred_path), and jansson's wiping allocator: each block it
 * frees is wiped first, size and all. The wipe is seen through a
 * sodium_memzero defined here, which records what it was given while the
 * block still holds its text, then wipes (as test_secmem.c does).
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kizuna/cleanup.h"
#include "kizuna/wipe.h"

#define CANARY "kzcUNITcanary0123456789"
/* What the hook looks for: the canary's tail (the parser's buffer keeps the
 * string token with its first bytes overwritten by the next token). */
#define NEEDLE "canary0123456789"

/* ---- the hook ---- */

static int saw_canary, logging;
static size_t last_len;

void
sodium_memzero(void *const pnt, const size_t len)
{
    if (logging && len >= sizeof(NEEDLE) - 1 && memmem(pnt, len, NEEDLE, sizeof(NEEDLE) - 1)) {
        saw_canary++;
        last_len = len;
    }
    explicit_bzero(pnt, len);
}

/* ---- helpers ---- */

struct fx {
    char dir[256];
    char a[300], b[300], c[300];
};

static void
put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* The file's bytes as text (at most size - 1). */
static void
get(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    assert_true(fd >= 0);
    n = read(fd, buf, size - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    close(fd);
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    tu_tmpdir(f->dir, sizeof(f->dir));
    snprintf(f->a, sizeof(f->a), "%s/a.kz", f->dir);
    snprintf(f->b, sizeof(f->b), "%s/b.kz", f->dir);
    snprintf(f->c, sizeof(f->c), "%s/a.kz-wal", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    tu_rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- renames ---- */

static void
test_rename_noreplace_moves_to_a_free_name(void **state)
{
    struct fx *f = *state;
    char buf[64];

    put(f->a, "new");
    assert_int_equal(kz_rename_noreplace(f->a, f->b), 0);
    assert_int_equal(access(f->a, F_OK), -1);
    get(f->b, buf, sizeof(buf));
    assert_string_equal(buf, "new");
}

/* Whatever is at the destination, however late it came, stays. */
static void
test_rename_noreplace_refuses_an_existing_file(void **state)
{
    struct fx *f = *state;
    char buf[64];

    put(f->a, "new");
    put(f->b, "the therapist's");
    errno = 0;
    assert_int_equal(kz_rename_noreplace(f->a, f->b), -1);
    assert_int_equal(errno, EEXIST);
    get(f->b, buf, sizeof(buf));
    assert_string_equal(buf, "the therapist's");
    get(f->a, buf, sizeof(buf));
    assert_string_equal(buf, "new");
}

/* A dangling symbolic link at the destination is a name too: not followed. */
static void
test_rename_noreplace_refuses_a_symlink(void **state)
{
    struct fx *f = *state;

    put(f->a, "new");
    assert_int_equal(symlink(f->c, f->b), 0);
    assert_int_equal(kz_rename_noreplace(f->a, f->b), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(access(f->c, F_OK), -1); /* nothing written through it */
    unlink(f->b);
}

/* The fallback for file systems without RENAME_NOREPLACE. */
static void
test_link_fallback_behaves_the_same(void **state)
{
    struct fx *f = *state;
    char buf[64];

    put(f->a, "new");
    put(f->b, "the therapist's");
    assert_int_equal(kz_link_noreplace(f->a, f->b), -1);
    assert_int_equal(errno, EEXIST);
    get(f->b, buf, sizeof(buf));
    assert_string_equal(buf, "the therapist's");
    unlink(f->b);
    assert_int_equal(kz_link_noreplace(f->a, f->b), 0);
    assert_int_equal(access(f->a, F_OK), -1);
    get(f->b, buf, sizeof(buf));
    assert_string_equal(buf, "new");
}

/* ---- shredding ---- */

/* A second name for the same file shows what was left in it: zeros. */
static void
test_shred_path_zeroes_then_unlinks(void **state)
{
    struct fx *f = *state;
    char buf[64];
    size_t i;

    put(f->a, CANARY);
    assert_int_equal(link(f->a, f->b), 0);
    assert_int_equal(kz_shred_path(f->a), 0);
    assert_int_equal(access(f->a, F_OK), -1);
    memset(buf, 'x', sizeof(buf));
    get(f->b, buf, sizeof(buf));
    for (i = 0; i < sizeof(CANARY) - 1; i++)
        assert_int_equal(buf[i], 0);
}

static void
test_shred_path_removes_a_symlink_not_its_target(void **state)
{
    struct fx *f = *state;
    char buf[64];

    put(f->b, "target");
    assert_int_equal(symlink(f->b, f->a), 0);
    assert_int_equal(kz_shred_path(f->a), 0);
    assert_int_equal(access(f->a, F_OK), -1);
    get(f->b, buf, sizeof(buf));
    assert_string_equal(buf, "target");
    assert_int_equal(kz_shred_path(f->a), -1);
    assert_int_equal(errno, ENOENT);
}

/* ---- a mapped file cut short ---- */

/* A child maps a file, has it cut short under the mapping, and reads it: the
 * handler kz_cleanup_fault_install sets shreds the registered file, says so
 * on stderr, and exits 4 (integrity) where the child would die of SIGBUS. */
static void
test_sigbus_shreds_and_exits_4(void **state)
{
    struct fx *f = *state;
    char buf[256], errpath[300];
    pid_t pid;
    int status = 0;
    size_t i;

    snprintf(errpath, sizeof(errpath), "%s/stderr", f->dir);
    put(f->a, CANARY);
    assert_int_equal(link(f->a, f->b), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static char page[8192];
        volatile const char *map;
        int fd = open(f->c, O_RDWR | O_CREAT | O_TRUNC, 0600), efd;
        if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
            _exit(90);
        if ((efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || dup2(efd, 2) < 0)
            _exit(91);
        kz_cleanup_fault_install();
        if (kz_cleanup_add(f->a, -1) < 0)
            _exit(92);
        map = mmap(NULL, sizeof(page), PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED || ftruncate(fd, 0) != 0)
            _exit(93);
        (void)map[4096]; /* past the end now */
        _exit(94);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 4);
    get(errpath, buf, sizeof(buf));
    assert_non_null(strstr(buf, "kizuna: the vault file was cut short while being read"));
    assert_int_equal(access(f->a, F_OK), -1);
    memset(buf, 'x', sizeof(buf));
    get(f->b, buf, sizeof(buf));
    for (i = 0; i < sizeof(CANARY) - 1; i++)
        assert_int_equal(buf[i], 0);
}

/* ---- jansson ---- */

static void
test_json_blocks_are_wiped_whole_when_freed(void **state)
{
    json_t *doc;
    char *text;

    (void)state;
    kz_json_wipe_init();
    logging = 1;
    saw_canary = 0;
    doc = json_pack("{s:s}", "text", CANARY);
    json_decref(doc); /* the string's block */
    assert_true(saw_canary >= 1);
    assert_true(last_len >= sizeof(CANARY)); /* the text, its NUL and the header */
    saw_canary = 0;
    doc = json_loads("{\"text\": \"" CANARY "\"}", 0, NULL); /* the parser's buffers too */
    assert_non_null(doc);
    assert_true(saw_canary >= 1);
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    saw_canary = 0;
    kz_json_free(text);
    assert_true(saw_canary >= 1);
    logging = 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rename_noreplace_moves_to_a_free_name, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rename_noreplace_refuses_an_existing_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rename_noreplace_refuses_a_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_fallback_behaves_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shred_path_zeroes_then_unlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shred_path_removes_a_symlink_not_its_target, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sigbus_shreds_and_exits_4, setup, teardown),
        cmocka_unit_test(test_json_blocks_are_wiped_whole_when_freed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
