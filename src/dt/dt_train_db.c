/* dt_train_db.c - the training store's SQLite side: the schema and its
 * migrations, every SQL text, the one connection and its transactions.
 * The conventions of the gallery and the matches store (sqlite_db.h,
 * docs/store.md): WAL with synchronous=FULL, user_version migrations in
 * one transaction, an application_id of its own.
 *
 * Double Take's two tables (compat-apis.md §1.10) with three changes: a
 * row's name lives only in `file` (a moved photo keeps its id), a queued
 * row is one whose status is NULL and seq orders the queue, and
 * likeness's rows keep the gallery face they registered. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "dt_train_int.h"
#include "store/sqlite_db.h"

/* "LKTR": marks the file as the training store, so the gallery's or the
 * matches store's file is refused rather than "migrated". */
#define LK_DTT_APP_ID 0x4c4b5452

/* Migration i takes the schema from version i to i + 1. Released entries
 * never change; a new layout is a new entry at the end. */
static const char *const lk_dtt_migrations[] = {
  /* 0 -> 1: the first layout. */
  "CREATE TABLE file("
  " id INTEGER PRIMARY KEY AUTOINCREMENT,"    /* ids are never reused */
  " name TEXT NOT NULL,"                      /* the folder: a person */
  " filename TEXT NOT NULL,"
  " width INTEGER NOT NULL DEFAULT 0,"        /* as displayed */
  " height INTEGER NOT NULL DEFAULT 0,"
  " created_at REAL NOT NULL,"                /* Unix seconds */
  " UNIQUE(name, filename));"
  "CREATE TABLE train("
  " file_id INTEGER NOT NULL REFERENCES file(id) ON DELETE CASCADE,"
  " detector TEXT NOT NULL,"
  " seq INTEGER NOT NULL,"                    /* queue order */
  " status INTEGER,"                          /* NULL: queued */
  " result TEXT,"                             /* JSON object once taught */
  " face_id INTEGER,"                         /* likeness's gallery face */
  " created_at REAL NOT NULL,"
  " PRIMARY KEY(file_id, detector)) WITHOUT ROWID;"
  "CREATE INDEX train_queue ON train(seq) WHERE status IS NULL;"
  "PRAGMA application_id = 1280005202;",
};

#define LK_DTT_SCHEMA_VERSION \
  ((int)(sizeof lk_dtt_migrations / sizeof lk_dtt_migrations[0]))

_Static_assert(LK_DTT_APP_ID == 1280005202, "application_id in migration 1");

#define LK_DTT_FILE_COLS "id, name, filename, width, height, created_at"
#define LK_DTT_OF_NAME "(SELECT id FROM file WHERE name = ?)"

static const char *const lk_dtt_sql_text[LK_DTT_SQL_N] = {
  [LK_DTT_BEGIN] = "BEGIN IMMEDIATE",
  [LK_DTT_COMMIT] = "COMMIT",
  [LK_DTT_ROLLBACK] = "ROLLBACK",
  [LK_DTT_SEQ_MAX] = "SELECT IFNULL(MAX(seq), 0) FROM train",
  [LK_DTT_FILE_INSERT] =
    "INSERT INTO file(name, filename, width, height, created_at)"
    " VALUES(?, ?, ?, ?, ?)",
  [LK_DTT_FILE_GET] = "SELECT " LK_DTT_FILE_COLS " FROM file WHERE id = ?",
  [LK_DTT_FILE_FIND] = "SELECT id FROM file WHERE name = ? AND filename = ?",
  [LK_DTT_FILE_DELETE] = "DELETE FROM file WHERE id = ?",
  [LK_DTT_FILE_RENAME] = "UPDATE file SET name = ? WHERE id = ?",
  [LK_DTT_FILES_OF] = "SELECT id FROM file WHERE name = ? ORDER BY id",
  [LK_DTT_FILES_ALL] = "SELECT id, name, filename FROM file ORDER BY id",
  [LK_DTT_FILES_DROP_NAME] = "DELETE FROM file WHERE name = ?",
  [LK_DTT_LIST] =
    "SELECT " LK_DTT_FILE_COLS " FROM file WHERE (?1 IS NULL OR name = ?1)"
    " ORDER BY id DESC LIMIT ?2 OFFSET ?3",
  [LK_DTT_COUNT] =
    "SELECT count(*) FROM file WHERE (?1 IS NULL OR name = ?1)",
  [LK_DTT_RESULTS] =
    "SELECT detector, status, result, created_at FROM train"
    " WHERE file_id = ? ORDER BY detector",
  /* count(status) skips the NULLs: rows still queued */
  [LK_DTT_STATUS] =
    "SELECT f.name, count(t.status), count(*) FROM train t"
    " JOIN file f ON f.id = t.file_id GROUP BY f.name ORDER BY f.name",
  /* face_id stays: the worker deletes the old face before a new one */
  [LK_DTT_QUEUE] =
    "INSERT INTO train(file_id, detector, seq, created_at)"
    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(file_id, detector) DO UPDATE"
    " SET seq = excluded.seq, status = NULL, result = NULL,"
    " created_at = excluded.created_at",
  [LK_DTT_QUEUED] = "SELECT count(*) FROM train WHERE status IS NULL",
  [LK_DTT_NEXT] =
    "SELECT t.file_id, t.detector, t.seq, t.face_id, f.name, f.filename"
    " FROM train t JOIN file f ON f.id = t.file_id"
    " WHERE t.status IS NULL ORDER BY t.seq, t.file_id LIMIT 1",
  [LK_DTT_DONE] =
    "UPDATE train SET status = ?1, result = ?2, face_id = ?3,"
    " created_at = ?4 WHERE file_id = ?5 AND detector = ?6 AND seq = ?7",
  [LK_DTT_FACES_OF] =
    "SELECT face_id FROM train WHERE detector = 'likeness'"
    " AND face_id IS NOT NULL AND file_id IN " LK_DTT_OF_NAME,
  [LK_DTT_FACE_OF] =
    "SELECT face_id FROM train WHERE detector = 'likeness'"
    " AND face_id IS NOT NULL AND file_id = ?",
  [LK_DTT_UNTRAIN_NAME] = "DELETE FROM train WHERE file_id IN "
                          LK_DTT_OF_NAME,
  [LK_DTT_UNTRAIN_FILE] = "DELETE FROM train WHERE file_id = ?",
  [LK_DTT_REQUEUE] =
    "UPDATE train SET status = NULL, result = NULL, seq = ?1,"
    " created_at = ?2 WHERE detector = ?3 AND file_id IN"
    " (SELECT id FROM file WHERE name = ?4)",
};

lk_err lk_dtt_err(struct lk_dt_train *t, int rc, const char *what)
{
  return lk_sqlite_err(t ? t->conn : NULL, "dt", rc, what);
}

void lk_dtt_reset(sqlite3_stmt *st)
{
  lk_sqlite_reset(st);
}

lk_err lk_dtt_stmt(struct lk_dt_train *t, enum lk_dtt_sql id,
                   sqlite3_stmt **out)
{
  return lk_sqlite_stmt(t->conn, "dt", &t->stmt[id], lk_dtt_sql_text[id],
                        out);
}

lk_err lk_dtt_run(struct lk_dt_train *t, sqlite3_stmt *st, const char *what)
{
  return lk_sqlite_run(t->conn, "dt", st, what);
}

static lk_err lk_dtt_simple(struct lk_dt_train *t, enum lk_dtt_sql id,
                            const char *what)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, id, &st);
  return err ? err : lk_dtt_run(t, st, what);
}

lk_err lk_dtt_begin(struct lk_dt_train *t)
{
  return lk_dtt_simple(t, LK_DTT_BEGIN, "begin");
}

/* After a failed statement or COMMIT SQLite may have rolled back already;
 * a second ROLLBACK would only log a spurious error. */
lk_err lk_dtt_end(struct lk_dt_train *t, lk_err err)
{
  if(!err)
    err = lk_dtt_simple(t, LK_DTT_COMMIT, "commit");
  if(err && !sqlite3_get_autocommit(t->conn))
    lk_dtt_simple(t, LK_DTT_ROLLBACK, "rollback");
  return err;
}

/* ---- opening ----------------------------------------------------------- */

static const struct lk_sqlite_schema lk_dtt_schema = {
  "dt", "likeness training database", LK_DTT_APP_ID, lk_dtt_migrations,
  LK_DTT_SCHEMA_VERSION
};

/* The queue continues after the highest seq a restart left. */
static lk_err lk_dtt_seq_load(struct lk_dt_train *t)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, LK_DTT_SEQ_MAX, &st);
  int rc;
  if(err)
    return err;
  rc = sqlite3_step(st);
  if(rc == SQLITE_ROW)
    t->seq = sqlite3_column_int64(st, 0);
  lk_dtt_reset(st);
  return rc == SQLITE_ROW ? LK_OK : lk_dtt_err(t, rc, "queue order");
}

void lk_dtt_db_close(struct lk_dt_train *t)
{
  int i;
  for(i = 0; i < LK_DTT_SQL_N; i++) {
    sqlite3_finalize(t->stmt[i]);
    t->stmt[i] = NULL;
  }
  sqlite3_close(t->conn);
  t->conn = NULL;
}

lk_err lk_dtt_db_open(struct lk_dt_train *t, char *why)
{
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
              SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(t->db_path, &t->conn, flags, NULL);
  lk_err err = rc == SQLITE_OK
               ? lk_sqlite_setup(t->conn, t->db_path, &lk_dtt_schema,
                                 t->opts.busy_timeout_ms, 1, why,
                                 why ? LK_DT_TRAIN_ERRMAX : 0)
               : lk_dtt_err(t, rc, t->db_path);
  if(!err)
    err = lk_dtt_seq_load(t);
  if(err && why && !why[0])
    snprintf(why, LK_DT_TRAIN_ERRMAX, "%s: %s", t->db_path,
             t->conn ? sqlite3_errmsg(t->conn) : lk_strerror(err));
  return err;
}
