/* store_sqlite.c - the SQLite backend: connections, pragmas, the schema and
 * its migrations, error translation and transactions. The queries live in
 * store_sqlite_ops.c.
 *
 * Durability: WAL with synchronous=FULL, so COMMIT returns only after the
 * WAL is fsync'ed; a process killed (or a machine losing power) after a
 * call returned keeps that write. NORMAL would be faster but may lose the
 * last commits on power loss. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "store/sqlite_db.h"
#include "store/store_sqlite.h"

/* "LKST": marks a file as ours, so a stranger's database is refused
 * instead of being "migrated". */
#define LK_SQL_APP_ID 0x4c4b5354

/* Migration i takes the schema from version i to i + 1. Released entries
 * never change; a new layout is a new entry at the end. */
static const char *const lk_migrations[] = {
  /* 0 -> 1: the first layout. */
  "CREATE TABLE people("
  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
  " name TEXT NOT NULL,"
  " created_at REAL NOT NULL,"
  " updated_at REAL NOT NULL,"
  " deleted INTEGER NOT NULL DEFAULT 0,"
  " deleted_at REAL);"
  /* live names are unique; tombstoned people keep theirs */
  "CREATE UNIQUE INDEX people_name ON people(name) WHERE deleted = 0;"
  "CREATE INDEX people_updated ON people(updated_at);"
  "CREATE TABLE faces("
  " id INTEGER PRIMARY KEY AUTOINCREMENT,"   /* AUTOINCREMENT: never reused */
  " person_id INTEGER NOT NULL REFERENCES people(id),"
  " descriptor BLOB NOT NULL CHECK(length(descriptor) = 512),"
  " detector TEXT NOT NULL DEFAULT '',"
  " sha256 TEXT NOT NULL DEFAULT '',"
  " meta TEXT NOT NULL DEFAULT '{}',"
  " created_at REAL NOT NULL,"
  " updated_at REAL NOT NULL,"
  " deleted INTEGER NOT NULL DEFAULT 0,"
  " deleted_at REAL);"
  "CREATE INDEX faces_person ON faces(person_id);"
  /* unique: the sync feed pages by updated_at alone */
  "CREATE UNIQUE INDEX faces_updated ON faces(updated_at);"
  "PRAGMA application_id = 1280004948;",
  /* 1 -> 2: align names, kept images; live faces of a person by index. */
  "ALTER TABLE faces ADD COLUMN align TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE faces ADD COLUMN image_path TEXT;"
  "DROP INDEX faces_person;"
  "CREATE INDEX faces_person ON faces(person_id, deleted);",
};

#define LK_SCHEMA_VERSION \
  ((int)(sizeof lk_migrations / sizeof lk_migrations[0]))

_Static_assert(LK_SQL_APP_ID == 1280004948, "application_id in migration 1");

static const struct lk_sqlite_schema lk_schema = {
  "store", "likeness database", LK_SQL_APP_ID, lk_migrations,
  LK_SCHEMA_VERSION
};

static void lk_sql_why(char *why, const char *path, const char *what)
{
  if(why)
    snprintf(why, LK_STORE_ERRMAX, "%s: %s", path, what);
}

lk_err lk_sql_err(struct lk_store_db *s, int rc, const char *what)
{
  return lk_sqlite_err(s ? s->db : NULL, "store", rc, what);
}

void lk_sql_reset(sqlite3_stmt *st)
{
  lk_sqlite_reset(st);
}

lk_err lk_sql_stmt(struct lk_store_db *s, enum lk_sql_id id,
                   sqlite3_stmt **out)
{
  return lk_sqlite_stmt(s->db, "store", &s->stmt[id], lk_sql_text[id], out);
}

lk_err lk_sql_run(struct lk_store_db *s, sqlite3_stmt *st, const char *what)
{
  return lk_sqlite_run(s->db, "store", st, what);
}

static void lk_sql_close(struct lk_store_db *s)
{
  int i;
  if(!s)
    return;
  for(i = 0; i < LK_SQL_N; i++)
    sqlite3_finalize(s->stmt[i]);
  sqlite3_close(s->db);
  lk_free(s);
}

static lk_err lk_sql_open(struct lk_store_db **out, const char *path,
                          const struct lk_store_opts *o, int writer,
                          char *why)
{
  struct lk_store_db *s;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  int rc;
  lk_err err;
  *out = NULL;
  if(!o->create && access(path, F_OK)) {
    lk_sql_why(why, path, "no such file");
    return LK_ERR_NOT_FOUND;
  }
  if(o->create)
    flags |= SQLITE_OPEN_CREATE;
  s = lk_calloc(1, sizeof *s);
  if(!s)
    return LK_ERR_NOMEM;
  rc = sqlite3_open_v2(path, &s->db, flags, NULL);
  if(rc != SQLITE_OK) {
    err = lk_sql_err(s, rc, path);
    lk_sql_why(why, path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
    lk_sql_close(s);
    return err;
  }
  err = lk_sqlite_setup(s->db, path, &lk_schema, o->busy_timeout_ms, writer,
                        why, LK_STORE_ERRMAX);
  if(err) {
    if(why && !why[0])
      lk_sql_why(why, path, lk_strerror(err));
    lk_sql_close(s);
    return err;
  }
  *out = s;
  return LK_OK;
}

static lk_err lk_sql_begin(struct lk_store_db *s, int write)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, write ? LK_SQL_BEGIN_WRITE : LK_SQL_BEGIN_READ,
                           &st);
  return err ? err : lk_sql_run(s, st, "begin");
}

static lk_err lk_sql_commit(struct lk_store_db *s)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_COMMIT, &st);
  return err ? err : lk_sql_run(s, st, "commit");
}

/* After a failed COMMIT or statement SQLite may already have rolled back;
 * a second ROLLBACK would only log a spurious error. */
static void lk_sql_rollback(struct lk_store_db *s)
{
  sqlite3_stmt *st;
  if(sqlite3_get_autocommit(s->db))
    return;
  if(lk_sql_stmt(s, LK_SQL_ROLLBACK, &st))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  else
    lk_sql_run(s, st, "rollback");
}

static lk_err lk_sql_last_time(struct lk_store_db *s, double *t)
{
  sqlite3_stmt *st;
  int rc;
  lk_err err = lk_sql_stmt(s, LK_SQL_LAST_TIME, &st);
  if(err)
    return err;
  rc = sqlite3_step(st);
  *t = rc == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
  err = rc == SQLITE_ROW ? LK_OK : lk_sql_err(s, rc, "last time");
  lk_sql_reset(st);
  return err;
}

static lk_err lk_sql_load_people(struct lk_store_db *s,
                                 lk_store_load_person_fn fn, void *ctx)
{
  sqlite3_stmt *st;
  int rc;
  lk_err err = lk_sql_stmt(s, LK_SQL_LOAD_PEOPLE, &st);
  if(err)
    return err;
  while(!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
    err = fn(ctx, sqlite3_column_int64(st, 0),
             (const char *)sqlite3_column_text(st, 1));
  if(!err && rc != SQLITE_DONE)
    err = lk_sql_err(s, rc, "load people");
  lk_sql_reset(st);
  return err;
}

static lk_err lk_sql_load_faces(struct lk_store_db *s,
                                lk_store_load_face_fn fn, void *ctx)
{
  sqlite3_stmt *st;
  int rc;
  lk_err err = lk_sql_stmt(s, LK_SQL_LOAD_FACES, &st);
  if(err)
    return err;
  while(!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    float d[LK_STORE_DIM];
    if(sqlite3_column_bytes(st, 2) != (int)LK_STORE_BLOB_BYTES) {
      lk_log(LK_LOG_ERROR, "store", "face %lld: descriptor is damaged",
             (long long)sqlite3_column_int64(st, 0));
      err = LK_ERR_IO;
      break;
    }
    memcpy(d, sqlite3_column_blob(st, 2), sizeof d);
    err = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
             d);
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_sql_err(s, rc, "load faces");
  lk_sql_reset(st);
  return err;
}

/* One read transaction, so the faces loaded belong to the people loaded. */
static lk_err lk_sql_load(struct lk_store_db *s, lk_store_load_person_fn pf,
                          lk_store_load_face_fn ff, void *ctx)
{
  lk_err err = lk_sql_begin(s, 0);
  if(err)
    return err;
  err = lk_sql_load_people(s, pf, ctx);
  if(!err)
    err = lk_sql_load_faces(s, ff, ctx);
  if(!err)
    err = lk_sql_commit(s);
  if(err)
    lk_sql_rollback(s);
  return err;
}

const struct lk_store_backend lk_store_sqlite = {
  "sqlite",
  lk_sql_open,
  lk_sql_close,
  lk_sql_begin,
  lk_sql_commit,
  lk_sql_rollback,
  lk_sql_last_time,
  lk_sql_load,
  lk_sql_person_find,
  lk_sql_person_insert,
  lk_sql_person_rename,
  lk_sql_person_remove,
  lk_sql_person_list,
  lk_sql_person_face_ids,
  lk_sql_face_insert,
  lk_sql_face_update,
  lk_sql_face_move,
  lk_sql_face_remove,
  lk_sql_face_get,
  lk_sql_face_list,
  lk_sql_face_changes,
  lk_sql_counts,
};
