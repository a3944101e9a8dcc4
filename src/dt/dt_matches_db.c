/* dt_matches_db.c - the matches store's SQLite side: the schema and its
 * migrations, every SQL text, connections, errors, transactions and the
 * reader pool. The same conventions as the gallery (docs/store.md): WAL
 * with synchronous=FULL, user_version migrations in one transaction, an
 * application_id that marks the file, prepared statements kept per
 * connection. The gallery's file and this one never share a schema.
 *
 * Double Take's match table keeps faces only inside its response JSON and
 * filters with json_each over every row; here each face is a row of
 * match_faces, so filters are indexed joins and the JSON is kept only to
 * be handed back. */
#include <stdio.h>
#include <string.h>

#include "dt_matches_int.h"
#include "store/sqlite_db.h"

/* "LKDT": marks a file as the Double Take matches store, so the gallery's
 * file (or anyone's) is refused rather than "migrated". */
#define LK_DTM_APP_ID 0x4c4b4454

/* Migration i takes the schema from version i to i + 1. Released entries
 * never change; a new layout is a new entry at the end. */
static const char *const lk_dtm_migrations[] = {
  /* 0 -> 1: the first layout. */
  "CREATE TABLE matches("
  " id INTEGER PRIMARY KEY AUTOINCREMENT,"    /* ids are never reused */
  " filename TEXT NOT NULL UNIQUE,"
  " event_id TEXT NOT NULL,"
  " camera TEXT NOT NULL,"
  " type TEXT NOT NULL,"
  " zones TEXT NOT NULL DEFAULT '[]',"        /* a JSON array */
  " has_match INTEGER NOT NULL,"
  " best_confidence REAL NOT NULL,"
  " n_faces INTEGER NOT NULL,"
  " width INTEGER NOT NULL,"
  " height INTEGER NOT NULL,"
  " duration REAL NOT NULL,"
  " attempt INTEGER NOT NULL,"
  " result TEXT NOT NULL,"
  " created_at REAL NOT NULL,"
  " updated_at REAL);"                        /* set when reprocessed */
  "CREATE INDEX matches_created ON matches(created_at);"
  "CREATE INDEX matches_purge ON matches(has_match, created_at);"
  "CREATE TABLE match_faces("
  " match_id INTEGER NOT NULL REFERENCES matches(id) ON DELETE CASCADE,"
  " idx INTEGER NOT NULL,"
  " detector TEXT NOT NULL,"
  " name TEXT NOT NULL,"
  " confidence REAL NOT NULL,"
  " matched INTEGER NOT NULL,"
  " box_left INTEGER NOT NULL,"
  " box_top INTEGER NOT NULL,"
  " box_width INTEGER NOT NULL,"
  " box_height INTEGER NOT NULL,"
  " PRIMARY KEY(match_id, idx)) WITHOUT ROWID;"
  "CREATE INDEX match_faces_name ON match_faces(name);"
  "PRAGMA application_id = 1280001108;",
};

#define LK_DTM_SCHEMA_VERSION \
  ((int)(sizeof lk_dtm_migrations / sizeof lk_dtm_migrations[0]))

_Static_assert(LK_DTM_APP_ID == 1280001108, "application_id in migration 1");

#define LK_DTM_COLS \
  "id, filename, event_id, camera, type, zones, has_match, " \
  "best_confidence, width, height, duration, attempt, result, created_at, " \
  "n_faces, updated_at"

/* A filter's list is bound as a JSON array (NULL: no filter), so one
 * prepared statement serves every combination. ?4 says whether any face
 * filter is given: without one, rows without faces pass too. */
#define LK_DTM_WHERE \
  " WHERE m.id > ?1" \
  " AND (?2 IS NULL OR m.camera IN (SELECT value FROM json_each(?2)))" \
  " AND (?3 IS NULL OR m.type IN (SELECT value FROM json_each(?3)))" \
  " AND (?4 = 0 OR EXISTS (SELECT 1 FROM match_faces f" \
  "  WHERE f.match_id = m.id" \
  "  AND (?5 IS NULL OR f.name IN (SELECT value FROM json_each(?5)))" \
  "  AND (?6 IS NULL OR (CASE f.matched WHEN 1 THEN 'match' ELSE 'miss'" \
  "   END) IN (SELECT value FROM json_each(?6)))" \
  "  AND (?7 IS NULL OR f.detector IN (SELECT value FROM json_each(?7)))" \
  "  AND f.confidence >= ?8 AND f.box_width >= ?9" \
  "  AND f.box_height >= ?10))"

static const char *const lk_dtm_sql_text[LK_DTM_SQL_N] = {
  [LK_DTM_BEGIN_READ] = "BEGIN",
  [LK_DTM_BEGIN_WRITE] = "BEGIN IMMEDIATE",
  [LK_DTM_COMMIT] = "COMMIT",
  [LK_DTM_ROLLBACK] = "ROLLBACK",
  [LK_DTM_INSERT] =
    "INSERT INTO matches(filename, event_id, camera, type, zones,"
    " has_match, best_confidence, n_faces, width, height, duration,"
    " attempt, result, created_at)"
    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  [LK_DTM_INSERT_FACE] =
    "INSERT INTO match_faces(match_id, idx, detector, name, confidence,"
    " matched, box_left, box_top, box_width, box_height)"
    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  [LK_DTM_UPDATE] =
    "UPDATE matches SET has_match = ?, best_confidence = ?, n_faces = ?,"
    " result = ?, updated_at = ? WHERE id = ?",
  [LK_DTM_DELETE_FACES] = "DELETE FROM match_faces WHERE match_id = ?",
  [LK_DTM_DELETE] = "DELETE FROM matches WHERE id = ? RETURNING filename",
  /* NULL cut-offs (purge disabled) compare as false */
  [LK_DTM_PURGE] =
    "DELETE FROM matches WHERE id IN (SELECT id FROM matches"
    " WHERE (has_match = 1 AND created_at <= ?1)"
    " OR (has_match = 0 AND created_at <= ?2) LIMIT ?3)"
    " RETURNING filename",
  [LK_DTM_GET] = "SELECT " LK_DTM_COLS " FROM matches WHERE id = ?",
  [LK_DTM_GET_FILE] =
    "SELECT " LK_DTM_COLS " FROM matches WHERE filename = ?",
  [LK_DTM_FACES] =
    "SELECT detector, name, confidence, matched, box_left, box_top,"
    " box_width, box_height FROM match_faces WHERE match_id = ?"
    " ORDER BY idx",
  [LK_DTM_HAS_FILE] = "SELECT 1 FROM matches WHERE filename = ?",
  [LK_DTM_LIST] =
    "SELECT " LK_DTM_COLS " FROM matches m" LK_DTM_WHERE
    " ORDER BY m.created_at DESC, m.id DESC LIMIT ?11 OFFSET ?12",
  [LK_DTM_COUNT] = "SELECT count(*) FROM matches m" LK_DTM_WHERE,
  [LK_DTM_TOTAL] = "SELECT count(*) FROM matches",
  [LK_DTM_NAMES] = "SELECT DISTINCT name FROM match_faces ORDER BY 1",
  [LK_DTM_MATCHES] =
    "SELECT DISTINCT CASE matched WHEN 1 THEN 'match' ELSE 'miss' END"
    " FROM match_faces ORDER BY 1",
  [LK_DTM_DETECTORS] =
    "SELECT DISTINCT detector FROM match_faces ORDER BY 1",
  [LK_DTM_CAMERAS] = "SELECT DISTINCT camera FROM matches ORDER BY 1",
  [LK_DTM_TYPES] = "SELECT DISTINCT type FROM matches ORDER BY 1",
};

static void lk_dtm_why(char *why, const char *path, const char *what)
{
  if(why)
    snprintf(why, LK_DT_MATCHES_ERRMAX, "%s: %s", path, what);
}

lk_err lk_dtm_err(struct lk_dtm_db *d, int rc, const char *what)
{
  return lk_sqlite_err(d ? d->db : NULL, "dt", rc, what);
}

void lk_dtm_reset(sqlite3_stmt *st)
{
  lk_sqlite_reset(st);
}

lk_err lk_dtm_stmt(struct lk_dtm_db *d, enum lk_dtm_sql id,
                   sqlite3_stmt **out)
{
  return lk_sqlite_stmt(d->db, "dt", &d->stmt[id], lk_dtm_sql_text[id], out);
}

lk_err lk_dtm_run(struct lk_dtm_db *d, sqlite3_stmt *st, const char *what)
{
  return lk_sqlite_run(d->db, "dt", st, what);
}

static lk_err lk_dtm_simple(struct lk_dtm_db *d, enum lk_dtm_sql id,
                            const char *what)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtm_stmt(d, id, &st);
  return err ? err : lk_dtm_run(d, st, what);
}

lk_err lk_dtm_begin(struct lk_dtm_db *d, int write)
{
  return lk_dtm_simple(d, write ? LK_DTM_BEGIN_WRITE : LK_DTM_BEGIN_READ,
                       "begin");
}

lk_err lk_dtm_commit(struct lk_dtm_db *d)
{
  return lk_dtm_simple(d, LK_DTM_COMMIT, "commit");
}

/* After a failed statement or COMMIT SQLite may have rolled back already;
 * a second ROLLBACK would only log a spurious error. */
void lk_dtm_rollback(struct lk_dtm_db *d)
{
  if(!sqlite3_get_autocommit(d->db))
    lk_dtm_simple(d, LK_DTM_ROLLBACK, "rollback");
}

/* ---- opening ----------------------------------------------------------- */

static const struct lk_sqlite_schema lk_dtm_schema = {
  "dt", "likeness matches database", LK_DTM_APP_ID, lk_dtm_migrations,
  LK_DTM_SCHEMA_VERSION
};

void lk_dtm_db_close(struct lk_dtm_db *d)
{
  int i;
  if(!d)
    return;
  for(i = 0; i < LK_DTM_SQL_N; i++)
    sqlite3_finalize(d->stmt[i]);
  sqlite3_close(d->db);
  lk_free(d);
}

lk_err lk_dtm_db_open(struct lk_dtm_db **out, const char *path,
                      const struct lk_dt_matches_opts *o, int writer,
                      char *why)
{
  struct lk_dtm_db *d = lk_calloc(1, sizeof *d);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
              (writer ? SQLITE_OPEN_CREATE : 0);
  int rc;
  lk_err err;

  *out = NULL;
  if(!d)
    return LK_ERR_NOMEM;
  rc = sqlite3_open_v2(path, &d->db, flags, NULL);
  err = rc == SQLITE_OK
        ? lk_sqlite_setup(d->db, path, &lk_dtm_schema, o->busy_timeout_ms,
                          writer, why, LK_DT_MATCHES_ERRMAX)
        : lk_dtm_err(d, rc, path);
  if(err) {
    if(why && !why[0])
      lk_dtm_why(why, path, d->db ? sqlite3_errmsg(d->db)
                                  : lk_strerror(err));
    lk_dtm_db_close(d);
    return err;
  }
  *out = d;
  return LK_OK;
}

/* ---- the reader pool ---------------------------------------------------- */

struct lk_dtm_db *lk_dtm_reader_get(struct lk_dt_matches *m)
{
  struct lk_dtm_db *d;
  pthread_mutex_lock(&m->pool_lock);
  while(!m->n_idle)
    pthread_cond_wait(&m->pool_freed, &m->pool_lock);
  d = m->idle[--m->n_idle];
  pthread_mutex_unlock(&m->pool_lock);
  return d;
}

void lk_dtm_reader_put(struct lk_dt_matches *m, struct lk_dtm_db *d)
{
  pthread_mutex_lock(&m->pool_lock);
  m->idle[m->n_idle++] = d;
  pthread_cond_signal(&m->pool_freed);
  pthread_mutex_unlock(&m->pool_lock);
}

/* ---- transactions on the handle ---------------------------------------- */

lk_err lk_dtm_write_begin(struct lk_dt_matches *m)
{
  lk_err err;
  pthread_mutex_lock(&m->write_lock);
  err = lk_dtm_begin(m->writer, 1);
  if(err)
    pthread_mutex_unlock(&m->write_lock);
  return err;
}

lk_err lk_dtm_write_end(struct lk_dt_matches *m, lk_err err)
{
  if(!err)
    err = lk_dtm_commit(m->writer);
  if(err)
    lk_dtm_rollback(m->writer);
  pthread_mutex_unlock(&m->write_lock);
  return err;
}

lk_err lk_dtm_read_begin(struct lk_dt_matches *m, struct lk_dtm_db **d)
{
  lk_err err;
  *d = lk_dtm_reader_get(m);
  err = lk_dtm_begin(*d, 0);
  if(err) {
    lk_dtm_reader_put(m, *d);
    *d = NULL;
  }
  return err;
}

lk_err lk_dtm_read_end(struct lk_dt_matches *m, struct lk_dtm_db *d,
                       lk_err err)
{
  if(!err)
    err = lk_dtm_commit(d);
  if(err)
    lk_dtm_rollback(d);
  lk_dtm_reader_put(m, d);
  return err;
}
