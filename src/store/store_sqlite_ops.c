/* store_sqlite_ops.c - the SQL of every store operation, and turning rows
 * into structs in the caller's arena. Each statement is prepared once per
 * connection and reset after use, so no read transaction is left open. */
#include <string.h>

#include "base/log.h"
#include "store/store_sqlite.h"

#define LK_FACE_SELECT \
  "SELECT f.id, f.person_id, p.name, f.descriptor, f.detector, f.align," \
  " f.sha256, f.meta, f.image_path, f.created_at, f.updated_at," \
  " f.deleted, f.deleted_at FROM faces f JOIN people p ON p.id = f.person_id "

#define LK_LIVE_FACES(p) \
  "(SELECT count(*) FROM faces f WHERE f.person_id = " p " AND f.deleted = 0)"

const char *const lk_sql_text[LK_SQL_N] = {
  [LK_SQL_BEGIN_READ] = "BEGIN",
  /* IMMEDIATE: take the write lock now (waiting busy_timeout for it), not
   * at the first write, where a busy error could not be retried */
  [LK_SQL_BEGIN_WRITE] = "BEGIN IMMEDIATE",
  [LK_SQL_COMMIT] = "COMMIT",
  [LK_SQL_ROLLBACK] = "ROLLBACK",
  [LK_SQL_LAST_TIME] =
    "SELECT max(coalesce((SELECT max(updated_at) FROM faces), 0),"
    " coalesce((SELECT max(updated_at) FROM people), 0))",
  [LK_SQL_LOAD_PEOPLE] = "SELECT id, name FROM people WHERE deleted = 0",
  [LK_SQL_LOAD_FACES] =
    "SELECT id, person_id, descriptor FROM faces WHERE deleted = 0",
  [LK_SQL_PERSON_FIND] =
    "SELECT id, created_at, updated_at, " LK_LIVE_FACES("people.id")
    " FROM people WHERE name = ?1 AND deleted = 0",
  [LK_SQL_PERSON_INSERT] =
    "INSERT INTO people(name, created_at, updated_at) VALUES(?1, ?2, ?2)",
  [LK_SQL_PERSON_RENAME] =
    "UPDATE people SET name = ?2, updated_at = ?3"
    " WHERE id = ?1 AND deleted = 0",
  [LK_SQL_PERSON_REMOVE] =
    "UPDATE people SET deleted = 1, deleted_at = ?2, updated_at = ?2"
    " WHERE id = ?1 AND deleted = 0",
  [LK_SQL_PERSON_LIST] =
    "SELECT p.id, p.name, p.created_at, p.updated_at, " LK_LIVE_FACES("p.id")
    " FROM people p WHERE p.deleted = 0 ORDER BY p.name",
  [LK_SQL_PERSON_FACE_IDS] =
    "SELECT id FROM faces WHERE person_id = ?1 AND deleted = 0 ORDER BY id",
  [LK_SQL_FACE_INSERT] =
    "INSERT INTO faces(person_id, descriptor, detector, align, sha256, meta,"
    " image_path, created_at, updated_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
  /* a NULL parameter keeps the column; image_path '' removes it */
  [LK_SQL_FACE_UPDATE] =
    "UPDATE faces SET person_id = coalesce(?2, person_id),"
    " descriptor = coalesce(?3, descriptor),"
    " detector = coalesce(?4, detector),"
    " align = coalesce(?5, align), sha256 = coalesce(?6, sha256),"
    " meta = coalesce(?7, meta),"
    " image_path = CASE WHEN ?8 IS NULL THEN image_path"
    "  WHEN ?8 = '' THEN NULL ELSE ?8 END,"
    " updated_at = ?9 WHERE id = ?1 AND deleted = 0",
  [LK_SQL_FACE_MOVE] =
    "UPDATE faces SET person_id = ?2, updated_at = ?3"
    " WHERE id = ?1 AND deleted = 0",
  [LK_SQL_FACE_REMOVE] =
    "UPDATE faces SET deleted = 1, deleted_at = ?2, updated_at = ?2"
    " WHERE id = ?1 AND deleted = 0",
  [LK_SQL_FACE_GET] = LK_FACE_SELECT "WHERE f.id = ?1",
  [LK_SQL_FACE_LIST_ALL] =
    LK_FACE_SELECT "WHERE f.deleted = 0 ORDER BY f.id LIMIT ?2 OFFSET ?1",
  [LK_SQL_FACE_LIST_PERSON] =
    LK_FACE_SELECT "WHERE f.person_id = ?3 AND f.deleted = 0"
    " ORDER BY f.id LIMIT ?2 OFFSET ?1",
  [LK_SQL_FACE_CHANGES] =
    LK_FACE_SELECT "WHERE f.updated_at > ?1 ORDER BY f.updated_at LIMIT ?2",
  [LK_SQL_COUNTS] =
    "SELECT (SELECT count(*) FROM people WHERE deleted = 0),"
    " (SELECT count(*) FROM faces WHERE deleted = 0),"
    " (SELECT count(*) FROM faces WHERE deleted = 1)",
};

/* ---- helpers ----------------------------------------------------------- */

/* NULL stays NULL; an out-of-memory column read is an error. */
static lk_err lk_sql_text_col(sqlite3_stmt *st, int col, struct lk_arena *a,
                              const char **out)
{
  const char *t = (const char *)sqlite3_column_text(st, col);
  *out = NULL;
  if(!t) {
    if(sqlite3_column_type(st, col) == SQLITE_NULL)
      return LK_OK;
    return LK_ERR_NOMEM;
  }
  *out = lk_arena_strdup(a, t);
  return *out ? LK_OK : LK_ERR_NOMEM;
}

static lk_err lk_sql_descriptor(sqlite3_stmt *st, int col, int64_t id,
                                float *d)
{
  if(sqlite3_column_bytes(st, col) != (int)LK_STORE_BLOB_BYTES) {
    lk_log(LK_LOG_ERROR, "store", "face %lld: descriptor is damaged",
           (long long)id);
    return LK_ERR_IO;
  }
  memcpy(d, sqlite3_column_blob(st, col), LK_STORE_BLOB_BYTES);
  return LK_OK;
}

static lk_err lk_sql_face_row(sqlite3_stmt *st, struct lk_arena *a,
                              struct lk_store_face *f)
{
  const char *sha = (const char *)sqlite3_column_text(st, 6);
  lk_err err;
  memset(f, 0, sizeof *f);
  f->id = sqlite3_column_int64(st, 0);
  f->person_id = sqlite3_column_int64(st, 1);
  err = lk_sql_descriptor(st, 3, f->id, f->descriptor);
  if(!err)
    err = lk_sql_text_col(st, 2, a, &f->person);
  if(!err)
    err = lk_sql_text_col(st, 4, a, &f->detector);
  if(!err)
    err = lk_sql_text_col(st, 5, a, &f->align);
  if(!err)
    err = lk_sql_text_col(st, 7, a, &f->meta);
  if(!err)
    err = lk_sql_text_col(st, 8, a, &f->image_path);
  if(sha && strlen(sha) == 64)
    memcpy(f->sha256, sha, 65);
  f->created_at = sqlite3_column_double(st, 9);
  f->updated_at = sqlite3_column_double(st, 10);
  f->deleted = sqlite3_column_int(st, 11) != 0;
  f->deleted_at = sqlite3_column_double(st, 12);
  return err;
}

/* An array in the arena that doubles; the outgrown copies stay in the
 * arena until it is reset, at most as much again as the final array. */
static void *lk_sql_grow(struct lk_arena *a, void *old, int n, int *cap,
                         size_t size)
{
  int cap2 = *cap ? *cap * 2 : 16;
  void *p = lk_arena_alloc(a, (size_t)cap2 * size);
  if(!p)
    return NULL;
  if(n)
    memcpy(p, old, (size_t)n * size);
  *cap = cap2;
  return p;
}

/* Step a face query to the end, collecting rows. */
static lk_err lk_sql_face_rows(struct lk_store_db *s, sqlite3_stmt *st,
                               struct lk_arena *a, struct lk_store_face **out,
                               int *n)
{
  struct lk_store_face *f = NULL;
  int cap = 0, rc;
  lk_err err = LK_OK;
  *n = 0;
  while((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if(*n == cap && !(f = lk_sql_grow(a, f, *n, &cap, sizeof *f))) {
      err = LK_ERR_NOMEM;
      break;
    }
    err = lk_sql_face_row(st, a, &f[*n]);
    if(err)
      break;
    (*n)++;
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_sql_err(s, rc, "read faces");
  lk_sql_reset(st);
  *out = f;
  return err;
}

/* ---- people ------------------------------------------------------------ */

lk_err lk_sql_person_find(struct lk_store_db *s, const char *name,
                          struct lk_store_person *p)
{
  sqlite3_stmt *st;
  int rc;
  lk_err err = lk_sql_stmt(s, LK_SQL_PERSON_FIND, &st);
  if(err)
    return err;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if(rc == SQLITE_ROW) {
    p->id = sqlite3_column_int64(st, 0);
    p->name = NULL;
    p->created_at = sqlite3_column_double(st, 1);
    p->updated_at = sqlite3_column_double(st, 2);
    p->n_faces = sqlite3_column_int64(st, 3);
  }
  err = rc == SQLITE_ROW ? LK_OK
        : rc == SQLITE_DONE ? LK_ERR_NOT_FOUND : lk_sql_err(s, rc, "person");
  lk_sql_reset(st);
  return err;
}

lk_err lk_sql_person_insert(struct lk_store_db *s, const char *name,
                            double ts, int64_t *id)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_PERSON_INSERT, &st);
  if(err)
    return err;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 2, ts);
  err = lk_sql_run(s, st, "add person");
  if(!err)
    *id = sqlite3_last_insert_rowid(s->db);
  return err;
}

/* An UPDATE of a live row: no row changed means it is gone. */
static lk_err lk_sql_run_one(struct lk_store_db *s, sqlite3_stmt *st,
                             const char *what)
{
  lk_err err = lk_sql_run(s, st, what);
  if(!err && sqlite3_changes(s->db) != 1)
    err = LK_ERR_NOT_FOUND;
  return err;
}

lk_err lk_sql_person_rename(struct lk_store_db *s, int64_t id,
                            const char *name, double ts)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_PERSON_RENAME, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 3, ts);
  return lk_sql_run_one(s, st, "rename person");
}

lk_err lk_sql_person_remove(struct lk_store_db *s, int64_t id, double ts)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_PERSON_REMOVE, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_double(st, 2, ts);
  return lk_sql_run_one(s, st, "delete person");
}

lk_err lk_sql_person_list(struct lk_store_db *s, struct lk_arena *a,
                          struct lk_store_person **out, int *n)
{
  struct lk_store_person *p = NULL;
  sqlite3_stmt *st;
  int cap = 0, rc;
  lk_err err = lk_sql_stmt(s, LK_SQL_PERSON_LIST, &st);
  *n = 0;
  if(err)
    return err;
  while((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if(*n == cap && !(p = lk_sql_grow(a, p, *n, &cap, sizeof *p))) {
      err = LK_ERR_NOMEM;
      break;
    }
    p[*n].id = sqlite3_column_int64(st, 0);
    err = lk_sql_text_col(st, 1, a, &p[*n].name);
    p[*n].created_at = sqlite3_column_double(st, 2);
    p[*n].updated_at = sqlite3_column_double(st, 3);
    p[*n].n_faces = sqlite3_column_int64(st, 4);
    if(err)
      break;
    (*n)++;
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_sql_err(s, rc, "list people");
  lk_sql_reset(st);
  *out = p;
  return err;
}

lk_err lk_sql_person_face_ids(struct lk_store_db *s, int64_t person_id,
                              struct lk_arena *a, int64_t **ids, int *n)
{
  int64_t *v = NULL;
  sqlite3_stmt *st;
  int cap = 0, rc;
  lk_err err = lk_sql_stmt(s, LK_SQL_PERSON_FACE_IDS, &st);
  *n = 0;
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, person_id);
  while((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if(*n == cap && !(v = lk_sql_grow(a, v, *n, &cap, sizeof *v))) {
      err = LK_ERR_NOMEM;
      break;
    }
    v[(*n)++] = sqlite3_column_int64(st, 0);
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_sql_err(s, rc, "faces of person");
  lk_sql_reset(st);
  *ids = v;
  return err;
}

/* ---- faces ------------------------------------------------------------- */

lk_err lk_sql_face_insert(struct lk_store_db *s,
                          const struct lk_store_face_new *f,
                          int64_t person_id, double ts, int64_t *id)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_FACE_INSERT, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, person_id);
  sqlite3_bind_blob(st, 2, f->descriptor, (int)LK_STORE_BLOB_BYTES,
                    SQLITE_STATIC);
  sqlite3_bind_text(st, 3, f->detector ? f->detector : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, f->align ? f->align : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, f->sha256 ? f->sha256 : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, f->meta ? f->meta : "{}", -1, SQLITE_STATIC);
  if(f->image_path && f->image_path[0])
    sqlite3_bind_text(st, 7, f->image_path, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 8, ts);
  err = lk_sql_run(s, st, "add face");
  if(!err)
    *id = sqlite3_last_insert_rowid(s->db);
  return err;
}

static void lk_sql_bind_opt(sqlite3_stmt *st, int i, const char *v)
{
  if(v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

lk_err lk_sql_face_update(struct lk_store_db *s, int64_t id,
                          const struct lk_store_face_update *u,
                          int64_t person_id, double ts)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_FACE_UPDATE, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  if(person_id)
    sqlite3_bind_int64(st, 2, person_id);
  if(u->descriptor)
    sqlite3_bind_blob(st, 3, u->descriptor, (int)LK_STORE_BLOB_BYTES,
                      SQLITE_STATIC);
  lk_sql_bind_opt(st, 4, u->detector);
  lk_sql_bind_opt(st, 5, u->align);
  lk_sql_bind_opt(st, 6, u->sha256);
  lk_sql_bind_opt(st, 7, u->meta);
  lk_sql_bind_opt(st, 8, u->image_path);
  sqlite3_bind_double(st, 9, ts);
  return lk_sql_run_one(s, st, "update face");
}

lk_err lk_sql_face_move(struct lk_store_db *s, int64_t id, int64_t person_id,
                        double ts)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_FACE_MOVE, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, person_id);
  sqlite3_bind_double(st, 3, ts);
  return lk_sql_run_one(s, st, "move face");
}

lk_err lk_sql_face_remove(struct lk_store_db *s, int64_t id, double ts)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_FACE_REMOVE, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_double(st, 2, ts);
  return lk_sql_run_one(s, st, "delete face");
}

lk_err lk_sql_face_get(struct lk_store_db *s, int64_t id, struct lk_arena *a,
                       struct lk_store_face *f)
{
  struct lk_store_face *rows;
  sqlite3_stmt *st;
  int n;
  lk_err err = lk_sql_stmt(s, LK_SQL_FACE_GET, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  err = lk_sql_face_rows(s, st, a, &rows, &n);
  if(!err && !n)
    err = LK_ERR_NOT_FOUND;
  if(!err)
    *f = rows[0];
  return err;
}

lk_err lk_sql_face_list(struct lk_store_db *s, int64_t person_id,
                        int64_t offset, int limit, struct lk_arena *a,
                        struct lk_store_face **out, int *n)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, person_id ? LK_SQL_FACE_LIST_PERSON
                                        : LK_SQL_FACE_LIST_ALL, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, offset);
  sqlite3_bind_int(st, 2, limit);
  if(person_id)
    sqlite3_bind_int64(st, 3, person_id);
  return lk_sql_face_rows(s, st, a, out, n);
}

lk_err lk_sql_face_changes(struct lk_store_db *s, double since, int limit,
                           struct lk_arena *a, struct lk_store_face **out,
                           int *n)
{
  sqlite3_stmt *st;
  lk_err err = lk_sql_stmt(s, LK_SQL_FACE_CHANGES, &st);
  if(err)
    return err;
  sqlite3_bind_double(st, 1, since);
  sqlite3_bind_int(st, 2, limit);
  return lk_sql_face_rows(s, st, a, out, n);
}

lk_err lk_sql_counts(struct lk_store_db *s, struct lk_store_counts *c)
{
  sqlite3_stmt *st;
  int rc;
  lk_err err = lk_sql_stmt(s, LK_SQL_COUNTS, &st);
  if(err)
    return err;
  rc = sqlite3_step(st);
  if(rc == SQLITE_ROW) {
    c->people = sqlite3_column_int64(st, 0);
    c->faces = sqlite3_column_int64(st, 1);
    c->deleted_faces = sqlite3_column_int64(st, 2);
  }
  err = rc == SQLITE_ROW ? LK_OK : lk_sql_err(s, rc, "counts");
  lk_sql_reset(st);
  return err;
}
