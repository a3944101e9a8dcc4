/* sqlite_db.c - the SQLite conventions the gallery and the matches store
 * share (sqlite_db.h). */
#include "store/sqlite_db.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"

lk_err lk_sqlite_err(sqlite3 *db, const char *module, int rc,
                     const char *what)
{
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  lk_err err;
  switch(rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_ROW:
  case SQLITE_DONE:
    return LK_OK;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    err = LK_ERR_BUSY;
    break;
  case SQLITE_NOMEM:
    err = LK_ERR_NOMEM;
    break;
  case SQLITE_TOOBIG:
    err = LK_ERR_TOO_LARGE;
    break;
  default:
    err = LK_ERR_IO;
  }
  lk_log(err == LK_ERR_BUSY ? LK_LOG_WARN : LK_LOG_ERROR, module,
         "%s: %s (sqlite code %d)", what, msg, rc);
  return err;
}

void lk_sqlite_reset(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

lk_err lk_sqlite_stmt(sqlite3 *db, const char *module, sqlite3_stmt **slot,
                      const char *text, sqlite3_stmt **out)
{
  int rc;
  *out = NULL;
  if(!*slot) {
    rc = sqlite3_prepare_v3(db, text, -1, SQLITE_PREPARE_PERSISTENT, slot,
                            NULL);
    if(rc != SQLITE_OK)
      return lk_sqlite_err(db, module, rc, "prepare");
  }
  *out = *slot;
  return LK_OK;
}

lk_err lk_sqlite_run(sqlite3 *db, const char *module, sqlite3_stmt *st,
                     const char *what)
{
  int rc = sqlite3_step(st);
  lk_err err = rc == SQLITE_DONE ? LK_OK
                                 : lk_sqlite_err(db, module, rc, what);
  lk_sqlite_reset(st);
  return err;
}

/* ---- opening ----------------------------------------------------------- */

struct lk_sqlite_open {
  sqlite3 *db;
  const char *path;
  const struct lk_sqlite_schema *s;
  char *why;
  size_t whymax;
};

static void lk_sqlite_why(const struct lk_sqlite_open *o, const char *what)
{
  if(o->why && o->whymax)
    snprintf(o->why, o->whymax, "%s: %s", o->path, what);
}

/* One integer from a statement without parameters (PRAGMA, count). */
static lk_err lk_sqlite_int(const struct lk_sqlite_open *o, const char *sql,
                            int *out)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(o->db, sql, -1, &st, NULL);
  if(rc != SQLITE_OK)
    return lk_sqlite_err(o->db, o->s->module, rc, sql);
  rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE
         ? LK_OK : lk_sqlite_err(o->db, o->s->module, rc, sql);
}

static lk_err lk_sqlite_exec(const struct lk_sqlite_open *o, const char *sql,
                             const char *what)
{
  int rc = sqlite3_exec(o->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? LK_OK
                         : lk_sqlite_err(o->db, o->s->module, rc, what);
}

/* journal_mode answers with the mode it ended in: "memory" for :memory:,
 * "delete" when WAL is impossible (some network file systems). */
static lk_err lk_sqlite_wal(const struct lk_sqlite_open *o)
{
  sqlite3_stmt *st;
  const unsigned char *mode;
  lk_err err = LK_OK;
  int rc = sqlite3_prepare_v2(o->db, "PRAGMA journal_mode = WAL", -1, &st,
                              NULL);
  if(rc != SQLITE_OK)
    return lk_sqlite_err(o->db, o->s->module, rc, "journal_mode");
  rc = sqlite3_step(st);
  mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
  if(rc != SQLITE_ROW) {
    err = lk_sqlite_err(o->db, o->s->module, rc, "journal_mode");
    lk_sqlite_why(o, sqlite3_errmsg(o->db));
  } else if(!mode || strcmp((const char *)mode, "wal")) {
    err = LK_ERR_IO;
    lk_sqlite_why(o, "cannot use WAL journaling here (a file system "
                  "without shared memory, or not a file)");
  }
  sqlite3_finalize(st);
  return err;
}

/* Refuse what we must not touch: a newer schema, or someone else's file. */
static lk_err lk_sqlite_owner(const struct lk_sqlite_open *o, int version)
{
  int app = 0, tables = 0;
  char msg[160];
  lk_err err = lk_sqlite_int(o, "PRAGMA application_id", &app);
  if(!err)
    err = lk_sqlite_int(o, "SELECT count(*) FROM sqlite_master", &tables);
  if(err)
    return err;
  if(version > o->s->n_migrations) {
    snprintf(msg, sizeof msg, "schema version %d is newer than this "
             "build's %d; use a newer likeness", version,
             o->s->n_migrations);
    lk_sqlite_why(o, msg);
    return LK_ERR_UNSUPPORTED;
  }
  if((version > 0 && app != o->s->app_id) || (!version && tables)) {
    snprintf(msg, sizeof msg, "not a %s", o->s->kind);
    lk_sqlite_why(o, msg);
    return LK_ERR_UNSUPPORTED;
  }
  return LK_OK;
}

/* Every step of an upgrade runs in one transaction with the version bump:
 * a crash leaves the old version or the new one, never half. */
static lk_err lk_sqlite_migrate(const struct lk_sqlite_open *o)
{
  const struct lk_sqlite_schema *s = o->s;
  char sql[64];
  int version = 0, v;
  lk_err err = lk_sqlite_exec(o, "BEGIN IMMEDIATE", "begin migration");
  if(!err)
    err = lk_sqlite_int(o, "PRAGMA user_version", &version);
  if(!err)
    err = lk_sqlite_owner(o, version);
  for(v = version; !err && v < s->n_migrations; v++)
    err = lk_sqlite_exec(o, s->migrations[v], "migration");
  if(!err && version < s->n_migrations) {
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", s->n_migrations);
    err = lk_sqlite_exec(o, sql, "user_version");
  }
  if(!err)
    err = lk_sqlite_exec(o, "COMMIT", "commit migration");
  if(err) {
    if(!sqlite3_get_autocommit(o->db))
      sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
    if(o->why && !o->why[0])
      lk_sqlite_why(o, "could not create or upgrade the schema");
    return err;
  }
  if(version < s->n_migrations)
    lk_log(LK_LOG_INFO, s->module, "%s: schema %d -> %d", o->path, version,
           s->n_migrations);
  return LK_OK;
}

static lk_err lk_sqlite_check_version(const struct lk_sqlite_open *o)
{
  int version = 0;
  lk_err err = lk_sqlite_int(o, "PRAGMA user_version", &version);
  if(!err && version != o->s->n_migrations) {
    lk_sqlite_why(o, "schema changed under a reader");
    err = LK_ERR_UNSUPPORTED;
  }
  return err;
}

lk_err lk_sqlite_setup(sqlite3 *db, const char *path,
                       const struct lk_sqlite_schema *s, int busy_ms,
                       int writer, char *why, size_t whymax)
{
  struct lk_sqlite_open o = { db, path, s, why, whymax };
  lk_err err;
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_ms);
  /* foreign_keys: ON DELETE CASCADE and references hold */
  err = lk_sqlite_exec(&o, "PRAGMA foreign_keys = ON; "
                       "PRAGMA synchronous = FULL; "
                       "PRAGMA trusted_schema = OFF", "pragmas");
  if(err) {
    lk_sqlite_why(&o, sqlite3_errmsg(db));
    return err;
  }
  if(!writer) {
    err = lk_sqlite_exec(&o, "PRAGMA query_only = ON", "query_only");
    return err ? err : lk_sqlite_check_version(&o);
  }
  err = lk_sqlite_wal(&o);
  return err ? err : lk_sqlite_migrate(&o);
}

char *lk_sqlite_col_text(sqlite3_stmt *st, int i, struct lk_arena *a)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  size_t n = (size_t)sqlite3_column_bytes(st, i);
  char *s = lk_arena_alloc(a, n + 1);
  if(!s)
    return NULL;
  if(t)
    memcpy(s, t, n);
  s[t ? n : 0] = '\0';
  return s;
}
