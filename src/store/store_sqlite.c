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

static void lk_sql_why(char *why, const char *path, const char *what)
{
  if(why)
    snprintf(why, LK_STORE_ERRMAX, "%s: %s", path, what);
}

lk_err lk_sql_err(struct lk_store_db *s, int rc, const char *what)
{
  const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
  switch(rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_ROW:
  case SQLITE_DONE:
    return LK_OK;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    lk_log(LK_LOG_WARN, "store", "%s: %s", what, msg);
    return LK_ERR_BUSY;
  case SQLITE_NOMEM:
    lk_log(LK_LOG_ERROR, "store", "%s: %s", what, msg);
    return LK_ERR_NOMEM;
  case SQLITE_TOOBIG:
    lk_log(LK_LOG_ERROR, "store", "%s: %s", what, msg);
    return LK_ERR_TOO_LARGE;
  default:
    lk_log(LK_LOG_ERROR, "store", "%s: %s (sqlite code %d)", what, msg, rc);
    return LK_ERR_IO;
  }
}

void lk_sql_reset(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

lk_err lk_sql_stmt(struct lk_store_db *s, enum lk_sql_id id,
                   sqlite3_stmt **out)
{
  int rc;
  *out = NULL;
  if(!s->stmt[id]) {
    rc = sqlite3_prepare_v3(s->db, lk_sql_text[id], -1,
                            SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL);
    if(rc != SQLITE_OK)
      return lk_sql_err(s, rc, "prepare");
  }
  *out = s->stmt[id];
  return LK_OK;
}

lk_err lk_sql_run(struct lk_store_db *s, sqlite3_stmt *st, const char *what)
{
  int rc = sqlite3_step(st);
  lk_err err = rc == SQLITE_DONE ? LK_OK : lk_sql_err(s, rc, what);
  lk_sql_reset(st);
  return err;
}

/* One integer from a PRAGMA or query with no parameters. */
static lk_err lk_sql_int(struct lk_store_db *s, const char *sql, int *out)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if(rc != SQLITE_OK)
    return lk_sql_err(s, rc, sql);
  rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? LK_OK
                                               : lk_sql_err(s, rc, sql);
}

static lk_err lk_sql_exec(struct lk_store_db *s, const char *sql,
                          const char *what)
{
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? LK_OK : lk_sql_err(s, rc, what);
}

/* journal_mode answers with the mode it ended in: "memory" for :memory:,
 * "delete" when WAL is impossible (some network file systems). */
static lk_err lk_sql_wal(struct lk_store_db *s, const char *path, char *why)
{
  sqlite3_stmt *st;
  const unsigned char *mode;
  lk_err err = LK_OK;
  int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
                              NULL);
  if(rc != SQLITE_OK)
    return lk_sql_err(s, rc, "journal_mode");
  rc = sqlite3_step(st);
  mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
  if(rc != SQLITE_ROW) {
    err = lk_sql_err(s, rc, "journal_mode");
    lk_sql_why(why, path, sqlite3_errmsg(s->db));
  } else if(!mode || strcmp((const char *)mode, "wal")) {
    err = LK_ERR_IO;
    lk_sql_why(why, path, "cannot use WAL journaling here (a file system "
               "without shared memory, or not a file)");
  }
  sqlite3_finalize(st);
  return err;
}

/* Refuse what we must not touch: a newer schema, or someone else's file. */
static lk_err lk_sql_check_owner(struct lk_store_db *s, int version,
                                 const char *path, char *why)
{
  int app = 0, tables = 0;
  char msg[160];
  lk_err err = lk_sql_int(s, "PRAGMA application_id", &app);
  if(!err)
    err = lk_sql_int(s, "SELECT count(*) FROM sqlite_master", &tables);
  if(err)
    return err;
  if(version > LK_SCHEMA_VERSION) {
    snprintf(msg, sizeof msg, "schema version %d is newer than this "
             "build's %d; use a newer likeness", version, LK_SCHEMA_VERSION);
    lk_sql_why(why, path, msg);
    return LK_ERR_UNSUPPORTED;
  }
  if((version > 0 && app != LK_SQL_APP_ID) || (!version && tables)) {
    lk_sql_why(why, path, "not a likeness database");
    return LK_ERR_UNSUPPORTED;
  }
  return LK_OK;
}

/* Every step of an upgrade runs in one transaction with the version bump:
 * a crash leaves the old version or the new one, never half. */
static lk_err lk_sql_migrate(struct lk_store_db *s, const char *path,
                             char *why)
{
  char sql[64];
  int version = 0, v;
  lk_err err = lk_sql_exec(s, "BEGIN IMMEDIATE", "begin migration");
  if(!err)
    err = lk_sql_int(s, "PRAGMA user_version", &version);
  if(!err)
    err = lk_sql_check_owner(s, version, path, why);
  for(v = version; !err && v < LK_SCHEMA_VERSION; v++)
    err = lk_sql_exec(s, lk_migrations[v], "migration");
  if(!err && version < LK_SCHEMA_VERSION) {
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", LK_SCHEMA_VERSION);
    err = lk_sql_exec(s, sql, "user_version");
  }
  if(!err)
    err = lk_sql_exec(s, "COMMIT", "commit migration");
  if(err) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if(why && !why[0])
      lk_sql_why(why, path, "could not create or upgrade the schema");
    return err;
  }
  if(version < LK_SCHEMA_VERSION)
    lk_log(LK_LOG_INFO, "store", "%s: schema %d -> %d", path, version,
           LK_SCHEMA_VERSION);
  return LK_OK;
}

static lk_err lk_sql_check_version(struct lk_store_db *s, const char *path,
                                   char *why)
{
  int version = 0;
  lk_err err = lk_sql_int(s, "PRAGMA user_version", &version);
  if(!err && version != LK_SCHEMA_VERSION) {
    lk_sql_why(why, path, "schema changed under a reader");
    err = LK_ERR_UNSUPPORTED;
  }
  return err;
}

static lk_err lk_sql_setup(struct lk_store_db *s, const char *path,
                           const struct lk_store_opts *o, int writer,
                           char *why)
{
  lk_err err;
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, o->busy_timeout_ms);
  err = lk_sql_exec(s, "PRAGMA foreign_keys = ON; "
                    "PRAGMA synchronous = FULL; "
                    "PRAGMA trusted_schema = OFF", "pragmas");
  if(err) {
    lk_sql_why(why, path, sqlite3_errmsg(s->db));
    return err;
  }
  if(!writer) {
    err = lk_sql_exec(s, "PRAGMA query_only = ON", "query_only");
    return err ? err : lk_sql_check_version(s, path, why);
  }
  err = lk_sql_wal(s, path, why);
  return err ? err : lk_sql_migrate(s, path, why);
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
  err = lk_sql_setup(s, path, o, writer, why);
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
