/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kizuna/buf.h"
#include "kizuna/xalloc.h"
#include "kizuna/store.h"

#define APPLICATION_ID 0x4b5a4e41 /* "KZNA" */
#define DEFAULT_BUSY_MS 5000

#define STMT_CACHE 24
/* A script's changes come faster than this: their checkpoints are spaced so
 * (see kz_store_checkpoint). */
#define CHECKPOINT_MS 500
/* Records read one at a time in a transaction before the rest are read
 * through a mapping of the file (get_blob). */
#define MAP_AFTER_READS 8

struct kz_store {
    sqlite3 *db;
    char *path;
    int depth; /* transaction nesting */
    int mode;  /* KZ_TXN_READ or KZ_TXN_WRITE while depth > 0 */
    /* A change committed since the last checkpoint, and when that ran. */
    int ckpt_due;
    long long ckpt_ms;
    int trim_mark; /* the page cache's size when kz_store_trim last looked */
    sqlite3_int64 changes0; /* rows changed by this connection when the change began */
    /* Records read one by one in this transaction, and whether their reads
     * now go through a mapping of the file (see get_blob). */
    int reads, mapped;
    /* Prepared statements kept for reuse, by the address of their SQL text. */
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
        int busy;
    } cache[STMT_CACHE];
};

static void walk_map(sqlite3 *db, int on);

/* Schema steps; user_version is the number of steps applied. */
static const char *const migrations[] = {
    /* 1: header, records, audit */
    "CREATE TABLE header (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE records (rowid INTEGER PRIMARY KEY,"
    "  id BLOB NOT NULL UNIQUE CHECK (length(id) = 16), head BLOB NOT NULL, body BLOB NOT NULL);"
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, blob BLOB NOT NULL, mac BLOB NOT NULL);"
    "CREATE TABLE audit_pending (id INTEGER PRIMARY KEY, blob BLOB NOT NULL);",
    /* 2: records keyed by their random id alone (the file keeps no creation
     * order), heads and bodies in tables of their own (the index loads fast) */
    "CREATE TABLE heads (id BLOB PRIMARY KEY CHECK (length(id) = 16), head BLOB NOT NULL)"
    "  WITHOUT ROWID;"
    "CREATE TABLE bodies (id BLOB PRIMARY KEY CHECK (length(id) = 16), body BLOB NOT NULL)"
    "  WITHOUT ROWID;"
    "INSERT INTO heads (id, head) SELECT id, head FROM records;"
    "INSERT INTO bodies (id, body) SELECT id, body FROM records;"
    "DROP TABLE records;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static long long
mono_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An SQLite error of connection db (NULL: none to ask) as kizuna's code and
 * one line. */
static int
db_fail(sqlite3 *db, struct kz_err *err, int rc, const char *what)
{
    int prim = rc & 0xff;

    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return kz_fail(err, KZ_EBUSY, "vault is busy: another kizuna is writing it (%s)", what);
    if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
        return kz_fail(err, KZ_EINTEGRITY, "vault file is corrupt or not a kizuna vault (%s)",
                       what);
    /* A failed fsync may have left the change on disk (POSIX does not say what
     * it wrote): never "nothing was changed" then. */
    if (rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC)
        return kz_fail(err, KZ_ERR,
                       "storage error while %s: the disk could not confirm the write (it may "
                       "or may not be saved)",
                       what);
    if (prim == SQLITE_FULL ||
        (prim == SQLITE_IOERR && db != NULL &&
         (sqlite3_system_errno(db) == ENOSPC || sqlite3_system_errno(db) == EDQUOT)))
        return kz_fail(err, KZ_ERR, "disk full while %s; nothing was changed", what);
    /* Record ids are random and audit sequence numbers follow the last entry:
     * a row that is already there can only come from a damaged file. */
    if (prim == SQLITE_CONSTRAINT)
        return kz_fail(err, KZ_EINTEGRITY, "vault file is damaged (%s: %s)", what,
                       db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return kz_fail(err, KZ_ERR, "storage error while %s: %s", what,
                   db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int
sql_fail(struct kz_store *st, struct kz_err *err, int rc, const char *what)
{
    return db_fail(st != NULL ? st->db : NULL, err, rc, what);
}

static int
exec(struct kz_store *st, const char *sql, const char *what, struct kz_err *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? KZ_OK : sql_fail(st, err, rc, what);
}

/* A prepared statement for sql (a string literal): from the cache when one is
 * free, else newly prepared. Give it back with release(). */
static int
prepare(struct kz_store *st, const char *sql, sqlite3_stmt **stmt, struct kz_err *err)
{
    int rc, i, slot = -1;

    for (i = 0; i < STMT_CACHE; i++) {
        if (st->cache[i].sql == sql && !st->cache[i].busy) {
            st->cache[i].busy = 1;
            *stmt = st->cache[i].stmt;
            return KZ_OK;
        }
        if (slot < 0 && st->cache[i].sql == NULL)
            slot = i;
    }
    rc = sqlite3_prepare_v3(st->db, sql, -1, slot >= 0 ? SQLITE_PREPARE_PERSISTENT : 0, stmt,
                            NULL);
    if (rc != SQLITE_OK)
        return sql_fail(st, err, rc, "preparing a statement");
    if (slot >= 0) {
        st->cache[slot].sql = sql;
        st->cache[slot].stmt = *stmt;
        st->cache[slot].busy = 1;
    }
    return KZ_OK;
}

static void
release(struct kz_store *st, sqlite3_stmt *stmt)
{
    int i;

    if (stmt == NULL)
        return;
    for (i = 0; i < STMT_CACHE; i++) {
        if (st->cache[i].stmt == stmt) {
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
            st->cache[i].busy = 0;
            return;
        }
    }
    sqlite3_finalize(stmt);
}

/* A statement of no rows (a literal: BEGIN, COMMIT) through the statement
 * cache: every command runs two, and parsing them each time was 5% of a
 * scripted session add's user time. */
static int
control(struct kz_store *st, const char *sql, const char *what, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, sql, &stmt, err)) != KZ_OK)
        return rc;
    rc = sqlite3_step(stmt);
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, what);
    release(st, stmt);
    return rc;
}

/* The first column of the first row of sql (a literal) as an integer. */
static int
query_int64(struct kz_store *st, const char *sql, long long *val, const char *what,
            struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    *val = 0;
    if ((rc = prepare(st, sql, &stmt, err)) != KZ_OK)
        return rc;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *val = sqlite3_column_int64(stmt, 0);
        rc = KZ_OK;
    } else {
        rc = sql_fail(st, err, rc, what);
    }
    release(st, stmt);
    return rc;
}

static int
pragma_int(struct kz_store *st, const char *sql, int *val, struct kz_err *err)
{
    long long v = 0;
    int rc = query_int64(st, sql, &v, "reading the vault format", err);

    *val = (int)v;
    return rc;
}

/* The schema as text (type, name, table and SQL of every object, in order). */
static int
schema_text(sqlite3 *db, struct kz_buf *out)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    rc = sqlite3_prepare_v2(db,
                            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema "
                            "ORDER BY type, name",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int i;
        for (i = 0; i < 4; i++) {
            const char *t = (const char *)sqlite3_column_text(stmt, i);
            kz_buf_add(out, t != NULL ? t : "");
            kz_buf_add(out, i < 3 ? "|" : "\n");
        }
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The vault's schema must be exactly what the first `version` migrations
 * make (run on an empty database in memory): no trigger, view, index or table
 * of anyone else's. Triggers and views are off on the connection anyway; this
 * names the planted object instead of ignoring it. */
static int
schema_check(struct kz_store *st, int version, struct kz_err *err)
{
    struct kz_buf want = {NULL, 0, 0}, have = {NULL, 0, 0};
    sqlite3 *mem = NULL;
    int rc, i;

    if (version <= 0)
        return KZ_OK;
    if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = kz_fail(err, KZ_ERR, "cannot check the vault's schema: out of memory");
        goto out;
    }
    for (i = 0; i < version && i < NMIGRATIONS; i++) {
        if (sqlite3_exec(mem, migrations[i], NULL, NULL, NULL) != SQLITE_OK) {
            rc = kz_fail(err, KZ_ERR, "cannot check the vault's schema");
            goto out;
        }
    }
    if (schema_text(mem, &want) != SQLITE_OK) {
        rc = kz_fail(err, KZ_ERR, "cannot check the vault's schema");
        goto out;
    }
    if ((rc = schema_text(st->db, &have)) != SQLITE_OK) {
        rc = sql_fail(st, err, rc, "reading the vault's schema");
        goto out;
    }
    if (want.len != have.len || memcmp(kz_buf_str(&want), kz_buf_str(&have), want.len) != 0) {
        /* Name the first object that differs. */
        const char *a = kz_buf_str(&want), *b = kz_buf_str(&have);
        size_t k = 0, line = 0;
        char what[120];
        while (a[k] != '\0' && a[k] == b[k])
            k++;
        for (line = k; line > 0 && b[line - 1] != '\n';)
            line--;
        snprintf(what, sizeof(what), "%.*s", (int)strcspn(b + line, "|\n"), b + line);
        if (b[line] != '\0') {
            size_t t = strcspn(b + line, "|");
            const char *name = b + line + t + (b[line + t] != '\0');
            snprintf(what, sizeof(what), "%.*s %.*s", (int)t, b + line,
                     (int)strcspn(name, "|\n"), name);
        } else {
            snprintf(what, sizeof(what), "a missing table or index");
        }
        rc = kz_fail(err, KZ_EINTEGRITY,
                     "the vault's schema was altered outside kizuna (%s): not opened", what);
        goto out;
    }
    rc = KZ_OK;
out:
    if (mem != NULL)
        sqlite3_close(mem);
    kz_buf_free(&want);
    kz_buf_free(&have);
    return rc;
}

static int
migrate(struct kz_store *st, int create, struct kz_err *err)
{
    int version = 0, appid = 0, rc, i;
    char sql[64];

    if ((rc = pragma_int(st, "PRAGMA user_version", &version, err)) != KZ_OK)
        return rc;
    if ((rc = pragma_int(st, "PRAGMA application_id", &appid, err)) != KZ_OK)
        return rc;
    if (!create && (appid != APPLICATION_ID || version < 1))
        return kz_fail(err, KZ_EINTEGRITY, "%s is not a kizuna vault", st->path);
    if (version > NMIGRATIONS)
        return kz_fail(err, KZ_ERR, "vault format %d is newer than this kizuna (%d): upgrade",
                       version, NMIGRATIONS);
    if ((rc = schema_check(st, version, err)) != KZ_OK)
        return rc;
    if (version == NMIGRATIONS)
        return KZ_OK;
    if ((rc = kz_store_begin(st, err)) != KZ_OK)
        return rc;
    /* Another process may have upgraded it while this one waited for the lock. */
    if ((rc = pragma_int(st, "PRAGMA user_version", &version, err)) != KZ_OK)
        goto fail;
    if (version == NMIGRATIONS)
        return kz_store_commit(st, err);
    for (i = version; i < NMIGRATIONS; i++) {
        if ((rc = exec(st, migrations[i], "upgrading the vault format", err)) != KZ_OK)
            goto fail;
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", NMIGRATIONS);
    if ((rc = exec(st, sql, "upgrading the vault format", err)) != KZ_OK)
        goto fail;
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", APPLICATION_ID);
    if ((rc = exec(st, sql, "upgrading the vault format", err)) != KZ_OK ||
        (rc = schema_check(st, NMIGRATIONS, err)) != KZ_OK)
        goto fail;
    return kz_store_commit(st, err);
fail:
    kz_store_rollback(st);
    return rc;
}

int
kz_store_companions(const char *path, struct kz_err *err)
{
    static const char *const ext[] = {"-wal", "-shm", "-journal"};
    char p[4200];
    struct stat sb;
    size_t i;

    for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, ext[i]);
        if (lstat(p, &sb) == 0)
            return kz_fail(err, KZ_ERR,
                           "%s exists: the log of a vault that was at %s (moved away, maybe still "
                           "in use); refusing to put a vault there",
                           p, path);
    }
    return KZ_OK;
}

static int
busy_ms(void)
{
    const char *s = getenv("KIZUNA_BUSY_TIMEOUT_MS");
    long v;
    char *end;

    if (s == NULL || *s == '\0')
        return DEFAULT_BUSY_MS;
    v = strtol(s, &end, 10);
    return (*end != '\0' || v < 0 || v > 600000) ? DEFAULT_BUSY_MS : (int)v;
}

/* Every connection to a vault, the walks' own included: nothing in the file
 * runs (no triggers, no views, no functions the schema asks for, no writes to
 * the schema itself: the attacker's SQL stays text, and schema_check names
 * it); errors carry their extended codes; a lock held by another process is
 * waited for. SQLITE_OK, or the code of the step that failed. */
static int
guard(sqlite3 *db)
{
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_ms());
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    return sqlite3_exec(db, "PRAGMA trusted_schema = OFF", NULL, NULL, NULL);
}

int
kz_store_open(const char *path, int create, struct kz_store **out, struct kz_err *err)
{
    struct kz_store *st = NULL;
    struct stat sb;
    int rc, fd, flags;

    *out = NULL;
    if (create) {
        /* A new vault must not pick up another one's log (SQLite would). */
        if (lstat(path, &sb) == 0)
            return kz_fail(err, KZ_ERR, "%s already exists; refusing to overwrite it", path);
        if ((rc = kz_store_companions(path, err)) != KZ_OK)
            return rc;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST)
                return kz_fail(err, KZ_ERR, "%s already exists; refusing to overwrite it", path);
            return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot create %s: %s",
                           path, strerror(errno));
        }
        close(fd);
    } else {
        if (lstat(path, &sb) != 0)
            return kz_fail(err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "no vault at %s%s%s",
                           path, errno == ENOENT ? "" : ": ", errno == ENOENT ? "" : strerror(errno));
        if (!S_ISREG(sb.st_mode))
            return kz_fail(err, KZ_ERR, "%s is not a regular file", path);
    }
    st = kz_xcalloc(1, sizeof(*st));
    st->path = kz_xstrdup(path);
    st->ckpt_ms = mono_ms();
    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;
    rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = sql_fail(st, err, rc, "opening the vault");
        goto fail;
    }
    if ((rc = guard(st->db)) != SQLITE_OK) {
        rc = sql_fail(st, err, rc, "opening the vault");
        goto fail;
    }
    /* secure_delete: freed pages are zeroed; WAL: readers never block the writer. */
    /* 16 KiB pages (set before the first table): a padded record (a 512-byte
     * head and a body of 2 KiB or more) then sits whole in its b-tree page,
     * several to a page; with 4 KiB pages every row spilled into an overflow
     * page of its own and the file was 2.8 times the notes' size. */
    if (create && (rc = exec(st, "PRAGMA page_size = 16384", "creating the vault", err)) != KZ_OK)
        goto fail;
    if ((rc = exec(st, "PRAGMA secure_delete = ON", "opening the vault", err)) != KZ_OK ||
        (rc = exec(st, "PRAGMA foreign_keys = ON", "opening the vault", err)) != KZ_OK ||
        (rc = exec(st, "PRAGMA journal_mode = WAL", "opening the vault", err)) != KZ_OK ||
        (rc = exec(st, "PRAGMA synchronous = FULL", "opening the vault", err)) != KZ_OK ||
        (rc = exec(st, "PRAGMA cache_size = -32768", "opening the vault", err)) != KZ_OK ||
        (rc = migrate(st, create, err)) != KZ_OK)
        goto fail;
    *out = st;
    return KZ_OK;
fail:
    kz_store_close(st);
    if (create)
        unlink(path);
    return rc;
}

void
kz_store_close(struct kz_store *st)
{
    if (st == NULL)
        return;
    kz_store_settle(st); /* SQLite's own at close runs only for the last connection */
    for (int i = 0; i < STMT_CACHE; i++) {
        if (st->cache[i].stmt != NULL)
            sqlite3_finalize(st->cache[i].stmt);
    }
    if (st->db != NULL)
        sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

int
kz_store_begin(struct kz_store *st, struct kz_err *err)
{
    int rc;

    if (st->depth > 0) {
        if (st->mode != KZ_TXN_WRITE)
            return kz_fail(err, KZ_ERR, "internal error: a change inside a read snapshot");
        st->depth++;
        return KZ_OK;
    }
    if ((rc = control(st, "BEGIN IMMEDIATE", "starting a change", err)) != KZ_OK)
        return rc;
    st->depth = 1;
    st->mode = KZ_TXN_WRITE;
    st->changes0 = sqlite3_total_changes64(st->db);
    return KZ_OK;
}

int
kz_store_unwritten(const struct kz_store *st)
{
    return st->depth == 1 && st->mode == KZ_TXN_WRITE &&
           sqlite3_total_changes64(st->db) == st->changes0;
}

int
kz_store_begin_read(struct kz_store *st, struct kz_err *err)
{
    int rc;

    if (st->depth > 0) {
        st->depth++;
        return KZ_OK;
    }
    if ((rc = control(st, "BEGIN", "reading the vault", err)) != KZ_OK)
        return rc;
    st->depth = 1;
    st->mode = KZ_TXN_READ;
    return KZ_OK;
}

int
kz_store_moved(struct kz_store *st)
{
    int moved = 0;

    if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
        return 0;
    return moved;
}

void
kz_store_checkpoint(struct kz_store *st)
{
    st->ckpt_due = 1;
    if (mono_ms() - st->ckpt_ms >= CHECKPOINT_MS)
        kz_store_settle(st);
}

void
kz_store_settle(struct kz_store *st)
{
    /* Never inside a transaction (its snapshot would hold the checkpoint
     * back), nor into a file moved away: another kizuna may have it open
     * under its new name, with a log and an index of its own. */
    if (st == NULL || st->db == NULL || !st->ckpt_due || st->depth > 0 ||
        !sqlite3_get_autocommit(st->db) || kz_store_moved(st))
        return;
    /* PASSIVE: copies what no reader still needs, never waits, never blocks. */
    sqlite3_exec(st->db, "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL, NULL);
    st->ckpt_due = 0;
    st->ckpt_ms = mono_ms();
}

/* The size of the WAL file through SQLite's own handle (never a descriptor of
 * ours): -1 when SQLite cannot tell. */
static sqlite3_int64
wal_size(struct kz_store *st)
{
    sqlite3_file *wal = NULL;
    sqlite3_int64 n = 0;

    if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
        wal == NULL)
        return -1;
    if (wal->pMethods == NULL) /* no WAL open: nothing in one */
        return 0;
    return wal->pMethods->xFileSize(wal, &n) == SQLITE_OK ? n : -1;
}

int
kz_store_wal_truncate(struct kz_store *st, struct kz_err *err)
{
    int rc = SQLITE_BUSY, tries;

    if (st->depth > 0 || !sqlite3_get_autocommit(st->db))
        return kz_fail(err, KZ_ERR, "internal error: emptying the log inside a transaction");
    /* TRUNCATE waits through the busy handler for readers of older snapshots
     * and for a writer; twice, a moment apart, then it is another process's. */
    for (tries = 0; tries < 2 && (rc & 0xff) == SQLITE_BUSY; tries++) {
        if (tries > 0)
            sqlite3_sleep(250);
        rc = sqlite3_wal_checkpoint_v2(st->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return kz_fail(err, KZ_EBUSY, "another process is reading the vault");
    if (rc != SQLITE_OK)
        return sql_fail(st, err, rc, "emptying the vault's log");
    if (wal_size(st) != 0)
        return kz_fail(err, KZ_EBUSY, "the vault's log did not empty (another process wrote)");
    return KZ_OK;
}

int
kz_store_depth(const struct kz_store *st)
{
    return st->depth;
}

int
kz_store_txn(const struct kz_store *st)
{
    return st->depth > 0 ? st->mode : KZ_TXN_NONE;
}

/* The end of a transaction: the reads' mapping, if any, ends too. */
static void
reads_unmap(struct kz_store *st)
{
    if (st->mapped)
        walk_map(st->db, 0);
    st->mapped = st->reads = 0;
}

int
kz_store_commit(struct kz_store *st, struct kz_err *err)
{
    int rc;

    if (st->depth > 1) {
        st->depth--;
        return KZ_OK;
    }
    if (st->depth == 0)
        return KZ_OK;
    if ((rc = control(st, "COMMIT", "saving the change", err)) != KZ_OK) {
        kz_store_rollback(st);
        return rc;
    }
    st->depth = 0;
    st->mode = KZ_TXN_NONE;
    reads_unmap(st);
    return KZ_OK;
}

/* Ends the outermost transaction at any depth with sql (ROLLBACK or COMMIT). */
static void
finish(struct kz_store *st, const char *sql)
{
    if (st->depth == 0)
        return;
    st->depth = 0;
    st->mode = KZ_TXN_NONE;
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    reads_unmap(st);
}

void
kz_store_rollback(struct kz_store *st)
{
    finish(st, "ROLLBACK");
}

void
kz_store_end(struct kz_store *st)
{
    finish(st, "COMMIT");
}

void
kz_store_trim(struct kz_store *st, size_t keep, int growth)
{
    int cur = 0, high = 0;

    if (st->db == NULL || kz_store_txn(st) != KZ_TXN_NONE ||
        sqlite3_db_status(st->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &high, 0) != SQLITE_OK)
        return;
    /* growth: what one command read in bulk (a walk over the bodies) goes
     * back, the few pages each change touches stay (cache_size bounds them),
     * or every command of a script of adds would read its b-tree pages again. */
    if (growth ? cur > st->trim_mark && (size_t)(cur - st->trim_mark) > keep : (size_t)cur > keep) {
        sqlite3_db_release_memory(st->db);
        malloc_trim(0); /* the pages went back to malloc: give them to the system */
        if (sqlite3_db_status(st->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &high, 0) != SQLITE_OK)
            cur = 0;
    }
    st->trim_mark = cur;
}

int
kz_store_data_version(struct kz_store *st, long long *dv, struct kz_err *err)
{
    return query_int64(st, "PRAGMA data_version", dv, "reading the vault", err);
}

static unsigned char *
dup_blob(const void *p, int n)
{
    unsigned char *b = kz_xmalloc((size_t)n + 1);

    if (n > 0)
        memcpy(b, p, (size_t)n);
    b[n] = '\0';
    return b;
}

int
kz_store_header_get(struct kz_store *st, const char *name, unsigned char **val, size_t *len,
                    struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    *val = NULL;
    *len = 0;
    if ((rc = prepare(st, "SELECT value FROM header WHERE name = ?1", &stmt, err)) != KZ_OK)
        return rc;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_bytes(stmt, 0);
        *val = dup_blob(sqlite3_column_blob(stmt, 0), n);
        *len = (size_t)n;
        rc = KZ_OK;
    } else if (rc == SQLITE_DONE) {
        rc = kz_fail(err, KZ_ENOTFOUND, "vault header has no %s", name);
    } else {
        rc = sql_fail(st, err, rc, "reading the vault header");
    }
    release(st, stmt);
    return rc;
}

int
kz_store_header_put(struct kz_store *st, const char *name, const void *val, size_t len,
                    struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "INSERT OR REPLACE INTO header (name, value) VALUES (?1, ?2)", &stmt,
                      err)) != KZ_OK)
        return rc;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 2, len ? val : "", (int)len, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "writing the vault header");
    release(st, stmt);
    return rc;
}

int
kz_store_header_delete(struct kz_store *st, const char *name, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "DELETE FROM header WHERE name = ?1", &stmt, err)) != KZ_OK)
        return rc;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "writing the vault header");
    release(st, stmt);
    return rc;
}

int
kz_store_header_foreach(struct kz_store *st, const char *prefix,
                        int (*cb)(void *ctx, const char *name, const unsigned char *val,
                                  size_t len),
                        void *ctx, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    size_t plen = strlen(prefix);
    int rc;

    if ((rc = prepare(st, "SELECT name, value FROM header ORDER BY name", &stmt, err)) != KZ_OK)
        return rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        if (name == NULL || strncmp(name, prefix, plen) != 0)
            continue;
        rc = cb(ctx, name, sqlite3_column_blob(stmt, 1),
                (size_t)sqlite3_column_bytes(stmt, 1));
        if (rc != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "reading the vault header");
out:
    release(st, stmt);
    return rc;
}

/* One statement on a record's row of one table: binds id (and blob when given),
 * steps, and says how many rows changed. */
static int
row_step(struct kz_store *st, const char *sql, const unsigned char *id, const void *blob,
         size_t len, int *changed, const char *what, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, sql, &stmt, err)) != KZ_OK)
        return rc;
    sqlite3_bind_blob(stmt, 1, id, KZ_RECORD_ID_BYTES, SQLITE_STATIC);
    if (blob != NULL)
        sqlite3_bind_blob(stmt, 2, len ? blob : "", (int)len, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        if (changed != NULL)
            *changed = sqlite3_changes(st->db);
        rc = KZ_OK;
    } else {
        rc = sql_fail(st, err, rc, what);
    }
    release(st, stmt);
    return rc;
}

int
kz_store_record_put(struct kz_store *st, const unsigned char *id, const void *head,
                    size_t headlen, const void *body, size_t bodylen, struct kz_err *err)
{
    int rc;

    if ((rc = row_step(st,
                       "INSERT INTO heads (id, head) VALUES (?1, ?2)"
                       " ON CONFLICT (id) DO UPDATE SET head = excluded.head",
                       id, head, headlen, NULL, "writing a record", err)) != KZ_OK)
        return rc;
    return row_step(st,
                    "INSERT INTO bodies (id, body) VALUES (?1, ?2)"
                    " ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                    id, body, bodylen, NULL, "writing a record", err);
}

int
kz_store_record_replace(struct kz_store *st, const unsigned char *id, const void *head,
                        size_t headlen, const void *body, size_t bodylen, struct kz_err *err)
{
    int rc, n = 0;

    if ((rc = row_step(st, "UPDATE heads SET head = ?2 WHERE id = ?1", id, head, headlen, &n,
                       "writing a record", err)) != KZ_OK)
        return rc;
    if (n != 1)
        return kz_fail(err, KZ_ENOTFOUND, "no such record");
    if ((rc = row_step(st, "UPDATE bodies SET body = ?2 WHERE id = ?1", id, body, bodylen, &n,
                       "writing a record", err)) != KZ_OK)
        return rc;
    return n == 1 ? KZ_OK : kz_fail(err, KZ_ENOTFOUND, "no such record");
}

/* The blob of column 0 of "SELECT x FROM table WHERE id = ?1" into *out. */
static int
get_blob(struct kz_store *st, const char *sql, const unsigned char *id, unsigned char **out,
         size_t *len, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, sql, &stmt, err)) != KZ_OK)
        return rc;
    sqlite3_bind_blob(stmt, 1, id, KZ_RECORD_ID_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_bytes(stmt, 0);
        *out = dup_blob(sqlite3_column_blob(stmt, 0), n);
        *len = (size_t)n;
        rc = KZ_OK;
    } else if (rc == SQLITE_DONE) {
        rc = kz_fail(err, KZ_ENOTFOUND, "no such record");
    } else {
        rc = sql_fail(st, err, rc, "reading a record");
    }
    release(st, stmt);
    /* A command that reads many records one by one (the rows a search
     * shows from the shell's index, score list, export's goals) reads them
     * through a mapping after the first few: SQLite then takes each page in
     * place, where it copied every 16 KiB page a record sat on into its cache
     * (80 MB for 5,000 records). The mapping ends with the transaction
     * (reads_unmap), after every statement is reset. */
    if (++st->reads == MAP_AFTER_READS && !st->mapped && st->depth > 0) {
        walk_map(st->db, 1);
        st->mapped = 1;
    }
    return rc;
}

int
kz_store_record_get(struct kz_store *st, const unsigned char *id, unsigned char **head,
                    size_t *headlen, unsigned char **body, size_t *bodylen, struct kz_err *err)
{
    int rc = KZ_OK;

    if (head != NULL)
        *head = NULL, *headlen = 0;
    if (body != NULL)
        *body = NULL, *bodylen = 0;
    if (head != NULL &&
        (rc = get_blob(st, "SELECT head FROM heads WHERE id = ?1", id, head, headlen, err)) !=
            KZ_OK)
        return rc;
    if (body != NULL &&
        (rc = get_blob(st, "SELECT body FROM bodies WHERE id = ?1", id, body, bodylen, err)) !=
            KZ_OK && head != NULL) {
        free(*head);
        *head = NULL;
        *headlen = 0;
    }
    return rc;
}

int
kz_store_record_delete(struct kz_store *st, const unsigned char *id, struct kz_err *err)
{
    int rc, nh = 0, nb = 0;

    if ((rc = row_step(st, "DELETE FROM heads WHERE id = ?1", id, NULL, 0, &nh,
                       "deleting a record", err)) != KZ_OK ||
        (rc = row_step(st, "DELETE FROM bodies WHERE id = ?1", id, NULL, 0, &nb,
                       "deleting a record", err)) != KZ_OK)
        return rc;
    return nh > 0 && nb > 0 ? KZ_OK : kz_fail(err, KZ_ENOTFOUND, "no such record");
}

static int
count_rows(struct kz_store *st, const char *sql, long long *n, struct kz_err *err)
{
    return query_int64(st, sql, n, "counting records", err);
}

int
kz_store_body_batch(struct kz_store *st, const unsigned char *after, int limit,
                    int (*cb)(void *ctx, const unsigned char *id, const unsigned char *blob,
                              size_t len),
                    void *ctx, int *n, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    *n = 0;
    if ((rc = prepare(st,
                      after != NULL ? "SELECT id, body FROM bodies WHERE id > ?1 ORDER BY id LIMIT ?2"
                                    : "SELECT id, body FROM bodies ORDER BY id LIMIT ?2",
                      &stmt, err)) != KZ_OK)
        return rc;
    if (after != NULL)
        sqlite3_bind_blob(stmt, 1, after, KZ_RECORD_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, limit);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_blob(stmt, 0);
        if (id == NULL || sqlite3_column_bytes(stmt, 0) != KZ_RECORD_ID_BYTES) {
            rc = kz_fail(err, KZ_EINTEGRITY, "vault has a record with a malformed id");
            goto out;
        }
        (*n)++;
        if ((rc = cb(ctx, id, sqlite3_column_blob(stmt, 1),
                     (size_t)sqlite3_column_bytes(stmt, 1))) != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "reading records");
out:
    release(st, stmt);
    return rc;
}

int
kz_store_record_count(struct kz_store *st, long long *n, struct kz_err *err)
{
    return count_rows(st, "SELECT count(*) FROM heads", n, err);
}

int
kz_store_record_strays(struct kz_store *st, long long *n, struct kz_err *err)
{
    long long a = 0, b = 0;
    int rc;

    *n = 0;
    if ((rc = count_rows(st,
                         "SELECT count(*) FROM heads WHERE NOT EXISTS "
                         "(SELECT 1 FROM bodies WHERE bodies.id = heads.id)",
                         &a, err)) != KZ_OK ||
        (rc = count_rows(st,
                         "SELECT count(*) FROM bodies WHERE NOT EXISTS "
                         "(SELECT 1 FROM heads WHERE heads.id = bodies.id)",
                         &b, err)) != KZ_OK)
        return rc;
    *n = a + b;
    return KZ_OK;
}

/* A walk over every body reads the file through a mapping: SQLite then takes
 * each page in place from the kernel's cache, where otherwise it copies every
 * page into its own (a search at 100,000 notes: 0.200 s, 0.175 s mapped). The
 * mapping ends with the walk, so an idle shell maps nothing. A file cut short
 * under the mapping raises SIGBUS, never an error SQLite could return: main's
 * handler says so and exits 4 (kz_cleanup_fault_install). 2147418112 is the
 * most SQLite maps as Debian builds it; a larger file is read past it as
 * before. */
static void
walk_map(sqlite3 *db, int on)
{
    sqlite3_exec(db, on ? "PRAGMA mmap_size = 2147418112" : "PRAGMA mmap_size = 0", NULL,
                 NULL, NULL);
}

/* The key range of part k of n: ids whose first byte is in [256k/n,
 * 256(k+1)/n), the first part from below everything (an id that is not a
 * 16-byte blob sorts there, and is reported), the last to above it. */
static const char *const walk_sql[3][4] = {
    {"SELECT id, head FROM heads ORDER BY id", "SELECT id, head FROM heads WHERE id < ?2 ORDER BY id",
     "SELECT id, head FROM heads WHERE id >= ?1 AND id < ?2 ORDER BY id",
     "SELECT id, head FROM heads WHERE id >= ?1 ORDER BY id"},
    {"SELECT id, body FROM bodies ORDER BY id", "SELECT id, body FROM bodies WHERE id < ?2 ORDER BY id",
     "SELECT id, body FROM bodies WHERE id >= ?1 AND id < ?2 ORDER BY id",
     "SELECT id, body FROM bodies WHERE id >= ?1 ORDER BY id"},
    /* KZ_WALK_POINT: one body at a time, by its id (kz_store_walk_get) */
    {"SELECT id, body FROM bodies WHERE id = ?1", "SELECT id, body FROM bodies WHERE id = ?1",
     "SELECT id, body FROM bodies WHERE id = ?1", "SELECT id, body FROM bodies WHERE id = ?1"},
};

#define WALK_PARTS_MIN_BYTES (1 << 20)

struct kz_store_walk {
    struct kz_store *st;
    int table, nparts;
    /* Part 0 reads on the store's connection, in its transaction; every
     * other part on a connection of its own (a connection's calls take turns
     * on its mutex: two threads stepping one spend their time waiting). */
    sqlite3 *db[KZ_STORE_WALK_PARTS];
    sqlite3_stmt *stmt[KZ_STORE_WALK_PARTS];
};

static int
walk_bind(sqlite3_stmt *stmt, int k, int nparts, int form)
{
    unsigned char lo = (unsigned char)(256 * k / nparts), hi = (unsigned char)(256 * (k + 1) / nparts);

    if ((form == 2 || form == 3) && sqlite3_bind_blob(stmt, 1, &lo, 1, SQLITE_TRANSIENT) != SQLITE_OK)
        return -1;
    if ((form == 1 || form == 2) && sqlite3_bind_blob(stmt, 2, &hi, 1, SQLITE_TRANSIENT) != SQLITE_OK)
        return -1;
    return 0;
}

/* Header row same_row as one connection's snapshot sees it: 1 when it is
 * there and equal to (val, len). */
static int
walk_same(sqlite3 *db, const char *same_row, const unsigned char *val, size_t len)
{
    sqlite3_stmt *stmt = NULL;
    int same = 0;

    if (sqlite3_prepare_v2(db, "SELECT value FROM header WHERE name = ?1", -1, &stmt, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(stmt, 1, same_row, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW && (size_t)sqlite3_column_bytes(stmt, 0) == len &&
        len > 0 && memcmp(sqlite3_column_blob(stmt, 0), val, len) == 0)
        same = 1;
    sqlite3_finalize(stmt);
    return same;
}

/* A connection of its own for a part, in a read transaction whose snapshot
 * holds the same header row same_row as the store's (val, len): SQLite opens
 * the file (its unix VFS shares the process's locks between connections and
 * keeps a closed one's descriptor until they are released). NULL when it
 * cannot, or another process committed in between. */
static sqlite3 *
walk_conn(struct kz_store *st, const char *same_row, const unsigned char *val, size_t len)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(st->path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK)
        goto fail;
    if (guard(db) != SQLITE_OK || sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (!walk_same(db, same_row, val, len)) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        goto fail;
    }
    return db;
fail:
    sqlite3_close(db);
    return NULL;
}

int
kz_store_walk_open(struct kz_store *st, int table, int nparts, const char *same_row,
                   struct kz_store_walk **out, struct kz_err *err)
{
    struct kz_store_walk *w;
    unsigned char *val = NULL;
    size_t len = 0;
    long long pages = 0, pagesize = 0;
    int rc, k;

    *out = NULL;
    if (nparts < 1 || nparts > KZ_STORE_WALK_PARTS)
        nparts = 1;
    /* Every part in one snapshot: the store's own in a read transaction
     * (nested in the caller's when there is one), each other connection's
     * begun after it and holding the same same_row, which every commit that
     * changes a record rewrites. Rows the caller's change wrote are its
     * connection's alone: one part then (a change that wrote nothing yet
     * holds the write lock, so the others see what it sees). */
    if (same_row == NULL || kz_store_moved(st) ||
        (kz_store_txn(st) == KZ_TXN_WRITE && sqlite3_total_changes64(st->db) != st->changes0))
        nparts = 1;
    if ((rc = kz_store_begin_read(st, err)) != KZ_OK)
        return rc;
    /* A small file is read faster than another connection opens. */
    if (nparts > 1 && (query_int64(st, "PRAGMA page_count", &pages, "reading the vault", NULL) !=
                           KZ_OK ||
                       query_int64(st, "PRAGMA page_size", &pagesize, "reading the vault", NULL) !=
                           KZ_OK ||
                       pages * pagesize < WALK_PARTS_MIN_BYTES))
        nparts = 1;
    if (nparts > 1 && kz_store_header_get(st, same_row, &val, &len, NULL) != KZ_OK)
        nparts = 1;
    w = kz_xcalloc(1, sizeof(*w));
    w->st = st;
    w->table = table == KZ_WALK_POINT ? 2 : table != 0;
    w->db[0] = st->db;
    for (k = 1; k < nparts; k++) {
        if ((w->db[k] = walk_conn(st, same_row, val, len)) == NULL)
            break;
        w->nparts = k + 1;
    }
    free(val);
    nparts = w->nparts > 1 ? w->nparts : 1;
    for (k = 0; k < nparts; k++) {
        int form = nparts == 1 ? 0 : k == 0 ? 1 : k == nparts - 1 ? 3 : 2;
        if (k == 0)
            rc = prepare(st, walk_sql[w->table][form], &w->stmt[0], err);
        else if ((rc = sqlite3_prepare_v2(w->db[k], walk_sql[w->table][form], -1, &w->stmt[k],
                                          NULL)) != SQLITE_OK)
            rc = db_fail(w->db[k], err, rc, "reading records");
        if (rc == KZ_OK && w->table != 2 && walk_bind(w->stmt[k], k, nparts, form) != 0)
            rc = kz_fail(err, KZ_ERR, "internal error: cannot bind a walk's key range");
        if (rc != KZ_OK) {
            w->nparts = nparts;
            kz_store_walk_close(w);
            return rc;
        }
        if (w->table != 0)
            walk_map(w->db[k], 1);
    }
    w->nparts = nparts;
    *out = w;
    return KZ_OK;
}

int
kz_store_walk_parts(const struct kz_store_walk *w)
{
    return w->nparts;
}

int
kz_store_walk_next(struct kz_store_walk *w, int part, const unsigned char **id,
                   const unsigned char **blob, size_t *len, struct kz_err *err)
{
    sqlite3_stmt *stmt = w->stmt[part];
    int rc;

    *id = *blob = NULL;
    *len = 0;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const unsigned char *key = sqlite3_column_blob(stmt, 0);
        if (key == NULL || sqlite3_column_bytes(stmt, 0) != KZ_RECORD_ID_BYTES)
            return kz_fail(err, KZ_EINTEGRITY, "vault has a record with a malformed id");
        *id = key;
        *blob = sqlite3_column_blob(stmt, 1);
        *len = (size_t)sqlite3_column_bytes(stmt, 1);
        return KZ_OK;
    }
    if (rc == SQLITE_DONE)
        return KZ_OK;
    return db_fail(part == 0 ? w->st->db : w->db[part], err, rc, "reading records");
}

int
kz_store_walk_get(struct kz_store_walk *w, int part, const unsigned char *id,
                  const unsigned char **blob, size_t *len, struct kz_err *err)
{
    sqlite3_stmt *stmt = w->stmt[part];
    int rc;

    *blob = NULL;
    *len = 0;
    sqlite3_reset(stmt); /* the last row's blob goes; the snapshot stays */
    sqlite3_bind_blob(stmt, 1, id, KZ_RECORD_ID_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *blob = sqlite3_column_blob(stmt, 1);
        *len = (size_t)sqlite3_column_bytes(stmt, 1);
        return *blob != NULL ? KZ_OK : kz_fail(err, KZ_EINTEGRITY, "vault has an empty body");
    }
    if (rc == SQLITE_DONE)
        return kz_fail(err, KZ_ENOTFOUND, "no such record");
    return db_fail(part == 0 ? w->st->db : w->db[part], err, rc, "reading records");
}

void
kz_store_walk_end_part(struct kz_store_walk *w, int part)
{
    if (part == 0) {
        release(w->st, w->stmt[0]);
        if (w->table != 0)
            walk_map(w->st->db, 0); /* after the reset: no page of the mapping is held */
    } else {
        sqlite3_finalize(w->stmt[part]);
        if (w->db[part] != NULL) {
            sqlite3_exec(w->db[part], "COMMIT", NULL, NULL, NULL);
            sqlite3_close(w->db[part]); /* its mapping with it */
        }
    }
    w->db[part] = NULL; /* the store's own for part 0: only forgotten */
    w->stmt[part] = NULL;
}

void
kz_store_walk_close(struct kz_store_walk *w)
{
    int k;

    if (w == NULL)
        return;
    for (k = 0; k < KZ_STORE_WALK_PARTS; k++) {
        if (w->stmt[k] != NULL || w->db[k] != NULL)
            kz_store_walk_end_part(w, k);
    }
    kz_store_commit(w->st, NULL); /* the read transaction, or one level of the caller's */
    free(w);
}

int
kz_store_stream(struct kz_store *st, int (*sink)(void *ctx, const void *buf, size_t len),
                void *ctx, unsigned long long *total, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    sqlite3_file *db = NULL, *wal = NULL;
    unsigned char *chunk = NULL;
    sqlite3_int64 size = 0, walsize = 0, off;
    int rc, busy = 1, in_txn = 0;

    *total = 0;
    /* 1. Empty the WAL into the file. */
    if ((rc = prepare(st, "PRAGMA wal_checkpoint(TRUNCATE)", &stmt, err)) != KZ_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        busy = sqlite3_column_int(stmt, 0);
    release(st, stmt);
    if (busy)
        return kz_fail(err, KZ_EBUSY, "the vault is in use: cannot stream it directly");
    /* 2. A read transaction: from here no checkpoint may write into the file. */
    if ((rc = exec(st, "BEGIN", "starting a snapshot", err)) != KZ_OK)
        return rc;
    in_txn = 1;
    if ((rc = exec(st, "SELECT count(*) FROM header", "starting a snapshot", err)) != KZ_OK)
        goto out;
    /* The file is read through SQLite's own handles, never a descriptor of ours:
     * closing any descriptor on the vault would drop every POSIX lock this
     * process holds on it, SQLite's included, and another process would then
     * take itself for the last connection and delete the WAL under us. */
    if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_FILE_POINTER, &db) != SQLITE_OK ||
        db == NULL || db->pMethods == NULL ||
        db->pMethods->xFileSize(db, &size) != SQLITE_OK || size < 0) {
        rc = kz_fail(err, KZ_ERR, "cannot read %s through SQLite", st->path);
        goto out;
    }
    /* 3. Had a writer slipped in between, our snapshot would include WAL frames. */
    if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
        wal != NULL && wal->pMethods != NULL &&
        (wal->pMethods->xFileSize(wal, &walsize) != SQLITE_OK || walsize != 0)) {
        rc = kz_fail(err, KZ_EBUSY, "the vault changed while starting the snapshot");
        goto out;
    }
    *total = (unsigned long long)size;
    chunk = kz_xmalloc(65536);
    for (off = 0; off < size;) {
        int n = size - off > 65536 ? 65536 : (int)(size - off);
        if ((rc = db->pMethods->xRead(db, chunk, n, off)) != SQLITE_OK) {
            rc = kz_fail(err, KZ_ERR, "cannot read %s: %s", st->path, sqlite3_errstr(rc));
            goto out;
        }
        if (sink(ctx, chunk, (size_t)n) != 0) {
            rc = err != NULL && err->code != KZ_OK ? err->code
                                                    : kz_fail(err, KZ_ERR, "cannot write the copy");
            goto out;
        }
        off += n;
    }
    rc = KZ_OK;
out:
    free(chunk);
    if (in_txn)
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int
kz_store_snapshot(struct kz_store *st, const char *dest, struct kz_err *err)
{
    sqlite3 *out = NULL;
    sqlite3_backup *bk;
    int rc;

    rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                         SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        rc = kz_fail(err, KZ_ERR, "cannot create the snapshot %s: %s", dest, sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_busy_timeout(out, busy_ms());
    if ((bk = sqlite3_backup_init(out, "main", st->db, "main")) == NULL) {
        rc = kz_fail(err, KZ_ERR, "cannot take a snapshot: %s", sqlite3_errmsg(out));
        goto out;
    }
    /* All pages in one step: a reader's snapshot, consistent whatever writers do. */
    rc = sqlite3_backup_step(bk, -1);
    sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE) {
        int prim = rc & 0xff;
        rc = prim == SQLITE_BUSY || prim == SQLITE_LOCKED
                 ? kz_fail(err, KZ_EBUSY, "vault is busy: cannot take a snapshot")
             : prim == SQLITE_FULL
                 ? kz_fail(err, KZ_ERR, "disk full while taking a snapshot")
                 : kz_fail(err, KZ_ERR, "cannot take a snapshot: %s", sqlite3_errstr(rc));
        goto out;
    }
    /* A plain rollback-journal file: one file holds everything. */
    rc = sqlite3_exec(out, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    rc = rc == SQLITE_OK ? KZ_OK : kz_fail(err, KZ_ERR, "cannot finish the snapshot");
out:
    if (out != NULL)
        sqlite3_close(out);
    return rc;
}

int
kz_store_integrity(struct kz_store *st, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "PRAGMA integrity_check", &stmt, err)) != KZ_OK)
        return rc;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(stmt, 0);
        rc = (r != NULL && strcmp(r, "ok") == 0)
                 ? KZ_OK
                 : kz_fail(err, KZ_EINTEGRITY, "SQLite integrity check: %s", r ? r : "?");
    } else {
        rc = sql_fail(st, err, rc, "checking integrity");
    }
    release(st, stmt);
    return rc;
}

int
kz_store_secure_delete(struct kz_store *st)
{
    int v = 0;

    return pragma_int(st, "PRAGMA secure_delete", &v, NULL) == KZ_OK ? v : 0;
}

const char *
kz_store_path(const struct kz_store *st)
{
    return st->path;
}

/* ---- the audit chain ---- */

int
kz_store_audit_append(struct kz_store *st, unsigned long long seq, const void *blob,
                      size_t len, const unsigned char *mac, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "INSERT INTO audit (seq, blob, mac) VALUES (?1, ?2, ?3)", &stmt,
                      err)) != KZ_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)seq);
    sqlite3_bind_blob(stmt, 2, blob, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 3, mac, KZ_AUDIT_MAC_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "writing the audit trail");
    release(st, stmt);
    return rc;
}

int
kz_store_audit_last(struct kz_store *st, unsigned long long *seq, unsigned char *mac,
                    struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    *seq = 0;
    memset(mac, 0, KZ_AUDIT_MAC_BYTES);
    if ((rc = prepare(st, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1", &stmt, err)) !=
        KZ_OK)
        return rc;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *seq = (unsigned long long)sqlite3_column_int64(stmt, 0);
        if (sqlite3_column_bytes(stmt, 1) == KZ_AUDIT_MAC_BYTES)
            memcpy(mac, sqlite3_column_blob(stmt, 1), KZ_AUDIT_MAC_BYTES);
        rc = KZ_OK;
    } else {
        rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "reading the audit trail");
    }
    release(st, stmt);
    return rc;
}

int
kz_store_audit_foreach(struct kz_store *st,
                       int (*cb)(void *ctx, unsigned long long seq, const unsigned char *blob,
                                 size_t len, const unsigned char *mac, size_t maclen),
                       void *ctx, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "SELECT seq, blob, mac FROM audit ORDER BY seq", &stmt, err)) != KZ_OK)
        return rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        rc = cb(ctx, (unsigned long long)sqlite3_column_int64(stmt, 0),
                sqlite3_column_blob(stmt, 1), (size_t)sqlite3_column_bytes(stmt, 1),
                sqlite3_column_blob(stmt, 2), (size_t)sqlite3_column_bytes(stmt, 2));
        if (rc != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "reading the audit trail");
out:
    release(st, stmt);
    return rc;
}

int
kz_store_pending_add(struct kz_store *st, const void *blob, size_t len, struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "INSERT INTO audit_pending (blob) VALUES (?1)", &stmt, err)) != KZ_OK)
        return rc;
    sqlite3_bind_blob(stmt, 1, blob, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "writing the audit trail");
    release(st, stmt);
    return rc;
}

int
kz_store_pending_take(struct kz_store *st,
                      int (*cb)(void *ctx, const unsigned char *blob, size_t len), void *ctx,
                      struct kz_err *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "SELECT blob FROM audit_pending ORDER BY id", &stmt, err)) != KZ_OK)
        return rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        rc = cb(ctx, sqlite3_column_blob(stmt, 0), (size_t)sqlite3_column_bytes(stmt, 0));
        if (rc != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? KZ_OK : sql_fail(st, err, rc, "reading the audit trail");
out:
    release(st, stmt);
    if (rc == KZ_OK)
        rc = exec(st, "DELETE FROM audit_pending", "folding the audit trail", err);
    return rc;
}
