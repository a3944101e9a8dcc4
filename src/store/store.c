/* store.c - the store handle: opening (backend, schema, index), the pool
 * of read connections, the write clock and every read-only call. Writes
 * are in store_write.c, the SQL in store_sqlite*.c, the index in index.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "store/store_int.h"

/* The smallest step between two write times. A double holds about 2e-7 s
 * of resolution near today's Unix time, so 1 us always makes a distinct,
 * larger value. */
#define LK_STORE_TICK 1e-6

struct lk_store_opts lk_store_default_opts(void)
{
  struct lk_store_opts o;
  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = 5000;
  o.readers = 4;
  o.max_faces = 1000000;
  o.create = 1;
  return o;
}

/* ---- clock and write transactions -------------------------------------- */

static double lk_store_now(const struct lk_store *st)
{
  struct timespec ts;
  if(st->opts.now)
    return st->opts.now(st->opts.now_ctx);
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Never equal, never backwards, even when the wall clock is stepped back or
 * many writes land in one clock tick: sync by "updated_at > T" relies on
 * it. */
double lk_store_tick(struct lk_store *st)
{
  double now = lk_store_now(st);
  double t = st->last_ts + LK_STORE_TICK;
  if(now > t)
    t = now;
  if(!(t > st->last_ts))
    t = nextafter(st->last_ts, INFINITY);
  st->last_ts = t;
  return t;
}

lk_err lk_store_write_begin(struct lk_store *st)
{
  lk_err err;
  pthread_mutex_lock(&st->write_lock);
  err = st->be->begin(st->writer, 1);
  if(err)
    pthread_mutex_unlock(&st->write_lock);
  return err;
}

lk_err lk_store_write_commit(struct lk_store *st, lk_err err)
{
  if(!err)
    err = st->be->commit(st->writer);
  if(err)
    st->be->rollback(st->writer);
  return err;
}

void lk_store_write_unlock(struct lk_store *st)
{
  pthread_mutex_unlock(&st->write_lock);
}

/* ---- read connections -------------------------------------------------- */

struct lk_store_db *lk_store_reader_get(struct lk_store *st)
{
  struct lk_store_pool *p = &st->pool;
  struct lk_store_db *db;
  pthread_mutex_lock(&p->lock);
  while(!p->n_free)
    pthread_cond_wait(&p->freed, &p->lock);
  db = p->free[--p->n_free];
  pthread_mutex_unlock(&p->lock);
  return db;
}

void lk_store_reader_put(struct lk_store *st, struct lk_store_db *db)
{
  struct lk_store_pool *p = &st->pool;
  pthread_mutex_lock(&p->lock);
  p->free[p->n_free++] = db;
  pthread_cond_signal(&p->freed);
  pthread_mutex_unlock(&p->lock);
}

/* ---- open and close ---------------------------------------------------- */

static lk_err lk_store_load_person(void *ctx, int64_t id, const char *name)
{
  struct lk_store *st = ctx;
  char *copy;
  lk_err err = lk_index_reserve(st->ix, 0, 1);
  if(err)
    return err;
  copy = name ? lk_strdup(name) : NULL;
  if(!copy)
    return LK_ERR_NOMEM;
  lk_index_wrlock(st->ix);
  lk_index_person_put(st->ix, id, copy);
  lk_index_unlock(st->ix);
  return LK_OK;
}

static lk_err lk_store_load_face(void *ctx, int64_t id, int64_t person_id,
                                 const float *d)
{
  struct lk_store *st = ctx;
  lk_err err = lk_index_reserve(st->ix, 1, 0);
  if(err)
    return err;
  lk_index_wrlock(st->ix);
  lk_index_face_put(st->ix, id, person_id, d);
  lk_index_unlock(st->ix);
  return LK_OK;
}

static lk_err lk_store_check_opts(const struct lk_store_opts *o,
                                  const char *path, char *why)
{
  const char *bad = NULL;
  if(!path || !path[0])
    bad = "no database path";
  else if(!strcmp(path, ":memory:"))
    bad = "an in-memory database cannot be shared by connections";
  else if(o->readers < 1 || o->readers > LK_STORE_MAX_READERS)
    bad = "readers must be 1..64";
  else if(o->busy_timeout_ms < 0 || o->max_faces < 1)
    bad = "negative busy timeout or max_faces below 1";
  if(bad && why)
    snprintf(why, LK_STORE_ERRMAX, "%s", bad);
  if(!bad && (!strncmp(path, "postgres://", 11) ||
              !strncmp(path, "postgresql://", 13))) {
    if(why)
      snprintf(why, LK_STORE_ERRMAX, "PostgreSQL is not supported yet");
    return LK_ERR_UNSUPPORTED;
  }
  return bad ? LK_ERR_INVAL : LK_OK;
}

static lk_err lk_store_open_readers(struct lk_store *st, const char *path,
                                    char *why)
{
  struct lk_store_pool *p = &st->pool;
  lk_err err = LK_OK;
  while(!err && p->n < st->opts.readers) {
    err = st->be->open(&p->db[p->n], path, &st->opts, 0, why);
    if(!err) {
      p->free[p->n_free++] = p->db[p->n];
      p->n++;
    }
  }
  return err;
}

static lk_err lk_store_open_all(struct lk_store *st, const char *path,
                                char *why)
{
  lk_err err = st->be->open(&st->writer, path, &st->opts, 1, why);
  if(!err)
    err = st->be->last_time(st->writer, &st->last_ts);
  if(!err)
    err = lk_index_create(&st->ix, st->opts.max_faces);
  if(!err)
    err = st->be->load(st->writer, lk_store_load_person, lk_store_load_face,
                       st);
  if(err == LK_ERR_TOO_LARGE && why)
    snprintf(why, LK_STORE_ERRMAX, "%s: more live faces than max_faces %ld",
             path, st->opts.max_faces);
  if(!err)
    err = lk_store_open_readers(st, path, why);
  return err;
}

lk_err lk_store_open(struct lk_store **out, const char *path,
                     const struct lk_store_opts *opts, char *why)
{
  struct lk_store *st;
  lk_err err;
  *out = NULL;
  if(why)
    why[0] = '\0';
  st = lk_calloc(1, sizeof *st);
  if(!st)
    return LK_ERR_NOMEM;
  st->opts = opts ? *opts : lk_store_default_opts();
  st->be = &lk_store_sqlite;
  pthread_mutex_init(&st->write_lock, NULL);
  pthread_mutex_init(&st->pool.lock, NULL);
  pthread_cond_init(&st->pool.freed, NULL);
  err = lk_store_check_opts(&st->opts, path, why);
  if(!err)
    err = lk_store_open_all(st, path, why);
  if(err) {
    if(why && !why[0])
      snprintf(why, LK_STORE_ERRMAX, "%s: %s", path ? path : "",
               lk_strerror(err));
    lk_store_close(st);
    return err;
  }
  *out = st;
  return LK_OK;
}

void lk_store_close(struct lk_store *st)
{
  int i;
  if(!st)
    return;
  for(i = 0; i < st->pool.n; i++)
    st->be->close(st->pool.db[i]);
  if(st->writer)
    st->be->close(st->writer);
  lk_index_destroy(st->ix);
  pthread_cond_destroy(&st->pool.freed);
  pthread_mutex_destroy(&st->pool.lock);
  pthread_mutex_destroy(&st->write_lock);
  lk_free(st);
}

/* ---- reads ------------------------------------------------------------- */

lk_err lk_store_person_get(struct lk_store *st, const char *name,
                           struct lk_arena *arena, struct lk_store_person *p)
{
  struct lk_store_db *db;
  lk_err err = lk_store_check_name(name);
  if(err || !arena)
    return err ? err : LK_ERR_INVAL;
  db = lk_store_reader_get(st);
  err = st->be->person_find(db, name, p);
  lk_store_reader_put(st, db);
  if(!err) {
    p->name = lk_arena_strdup(arena, name);
    err = p->name ? LK_OK : LK_ERR_NOMEM;
  }
  return err;
}

lk_err lk_store_person_list(struct lk_store *st, struct lk_arena *arena,
                            struct lk_store_person **people, int *n)
{
  struct lk_store_db *db;
  lk_err err;
  *n = 0;
  if(!arena)
    return LK_ERR_INVAL;
  db = lk_store_reader_get(st);
  err = st->be->person_list(db, arena, people, n);
  lk_store_reader_put(st, db);
  return err;
}

lk_err lk_store_face_get(struct lk_store *st, int64_t id, unsigned flags,
                         struct lk_arena *arena, struct lk_store_face *f)
{
  struct lk_store_db *db;
  lk_err err;
  if(!arena)
    return LK_ERR_INVAL;
  if(id <= 0)
    return LK_ERR_NOT_FOUND;
  db = lk_store_reader_get(st);
  err = st->be->face_get(db, id, arena, f);
  lk_store_reader_put(st, db);
  if(!err && f->deleted && !(flags & LK_STORE_WITH_DELETED))
    err = LK_ERR_NOT_FOUND;
  return err;
}

/* Person lookup and listing in one read transaction (one snapshot). */
static lk_err lk_store_list_of(struct lk_store *st, struct lk_store_db *db,
                               const char *person, int64_t offset, int limit,
                               struct lk_arena *arena,
                               struct lk_store_face **faces, int *n)
{
  struct lk_store_person p;
  lk_err err = st->be->begin(db, 0);
  if(err)
    return err;
  err = st->be->person_find(db, person, &p);
  if(!err)
    err = st->be->face_list(db, p.id, offset, limit, arena, faces, n);
  if(!err)
    err = st->be->commit(db);
  if(err)
    st->be->rollback(db);
  return err;
}

lk_err lk_store_face_list(struct lk_store *st, const char *person,
                          int64_t offset, int limit, struct lk_arena *arena,
                          struct lk_store_face **faces, int *n)
{
  struct lk_store_db *db;
  lk_err err = person ? lk_store_check_name(person) : LK_OK;
  *n = 0;
  if(err)
    return err;
  if(!arena || offset < 0 || limit < 1 || limit > LK_STORE_PAGE_MAX)
    return LK_ERR_INVAL;
  db = lk_store_reader_get(st);
  if(person)
    err = lk_store_list_of(st, db, person, offset, limit, arena, faces, n);
  else
    err = st->be->face_list(db, 0, offset, limit, arena, faces, n);
  lk_store_reader_put(st, db);
  return err;
}

lk_err lk_store_face_changes(struct lk_store *st, double since, int limit,
                             struct lk_arena *arena,
                             struct lk_store_face **faces, int *n)
{
  struct lk_store_db *db;
  lk_err err;
  *n = 0;
  if(!arena || isnan(since) || limit < 1 || limit > LK_STORE_PAGE_MAX)
    return LK_ERR_INVAL;
  db = lk_store_reader_get(st);
  err = st->be->face_changes(db, since, limit, arena, faces, n);
  lk_store_reader_put(st, db);
  return err;
}

lk_err lk_store_counts(struct lk_store *st, struct lk_store_counts *c)
{
  struct lk_store_db *db = lk_store_reader_get(st);
  lk_err err = st->be->counts(db, c);
  lk_store_reader_put(st, db);
  return err;
}

lk_err lk_store_match(struct lk_store *st, const float *descriptor, int k,
                      unsigned flags, struct lk_arena *arena,
                      struct lk_store_match **out, int *n)
{
  lk_err err = lk_store_check_descriptor(descriptor);
  *n = 0;
  if(err || !arena)
    return err ? err : LK_ERR_INVAL;
  return lk_index_match(st->ix, descriptor, k, flags, arena, out, n);
}

lk_err lk_store_match_person(struct lk_store *st, const float *descriptor,
                             const char *person, struct lk_arena *arena,
                             struct lk_store_match **out, int *n)
{
  lk_err err = lk_store_check_descriptor(descriptor);
  *n = 0;
  if(!err)
    err = lk_store_check_name(person);
  if(err || !arena)
    return err ? err : LK_ERR_INVAL;
  return lk_index_match_person(st->ix, descriptor, person, arena, out, n);
}
