/* store_int.h - what the store's files share: the backend interface (one
 * per database engine, as sqlite hides os_unix.c behind its VFS), the
 * handle, the in-memory index and input checks. Nothing outside src/store/
 * includes this. */
#ifndef LK_STORE_INT_H
#define LK_STORE_INT_H

#include <pthread.h>
#include <stddef.h>

#include "store/store.h"

#define LK_STORE_BLOB_BYTES (LK_STORE_DIM * sizeof(float))
#define LK_STORE_MAX_READERS 64

/* ---- backend ----------------------------------------------------------
 * One connection per struct lk_store_db, used by one thread at a time.
 * Every call returns LK_OK or a translated lk_err, having logged the
 * engine's own message. Times are Unix seconds chosen by the core; the
 * backend never reads a clock. Writes happen between begin(db, 1) and
 * commit/rollback; the core holds its write lock throughout. */
struct lk_store_db;

typedef lk_err (*lk_store_load_person_fn)(void *ctx, int64_t id,
                                          const char *name);
typedef lk_err (*lk_store_load_face_fn)(void *ctx, int64_t id,
                                        int64_t person_id, const float *d);

struct lk_store_backend {
  const char *name;
  /* writer: also creates and migrates the schema; readers only check it. */
  lk_err (*open)(struct lk_store_db **out, const char *path,
                 const struct lk_store_opts *o, int writer, char *why);
  void (*close)(struct lk_store_db *db);
  lk_err (*begin)(struct lk_store_db *db, int write);
  lk_err (*commit)(struct lk_store_db *db);
  void (*rollback)(struct lk_store_db *db);
  /* The latest created/updated/deleted time in the database, 0 if none. */
  lk_err (*last_time)(struct lk_store_db *db, double *t);
  /* Every live person, then every live face. */
  lk_err (*load)(struct lk_store_db *db, lk_store_load_person_fn person,
                 lk_store_load_face_fn face, void *ctx);

  /* A live person by name; p->name is left NULL. */
  lk_err (*person_find)(struct lk_store_db *db, const char *name,
                        struct lk_store_person *p);
  lk_err (*person_insert)(struct lk_store_db *db, const char *name,
                          double ts, int64_t *id);
  lk_err (*person_rename)(struct lk_store_db *db, int64_t id,
                          const char *name, double ts);
  lk_err (*person_remove)(struct lk_store_db *db, int64_t id, double ts);
  lk_err (*person_list)(struct lk_store_db *db, struct lk_arena *a,
                        struct lk_store_person **out, int *n);
  /* Ids of a person's live faces, ascending, in the arena. */
  lk_err (*person_face_ids)(struct lk_store_db *db, int64_t person_id,
                            struct lk_arena *a, int64_t **ids, int *n);

  /* f is checked and normalised; f->person is ignored for person_id. */
  lk_err (*face_insert)(struct lk_store_db *db,
                        const struct lk_store_face_new *f, int64_t person_id,
                        double ts, int64_t *id);
  /* NULL fields keep; person_id 0 keeps; NOT_FOUND unless live. */
  lk_err (*face_update)(struct lk_store_db *db, int64_t id,
                        const struct lk_store_face_update *u,
                        int64_t person_id, double ts);
  /* Set person_id and updated_at of a live face (a move, or a touch). */
  lk_err (*face_move)(struct lk_store_db *db, int64_t id, int64_t person_id,
                      double ts);
  /* Tombstone a live face; NOT_FOUND unless live. */
  lk_err (*face_remove)(struct lk_store_db *db, int64_t id, double ts);
  /* Any face, tombstones included. */
  lk_err (*face_get)(struct lk_store_db *db, int64_t id, struct lk_arena *a,
                     struct lk_store_face *f);
  /* person_id 0: everyone's. */
  lk_err (*face_list)(struct lk_store_db *db, int64_t person_id,
                      int64_t offset, int limit, struct lk_arena *a,
                      struct lk_store_face **out, int *n);
  lk_err (*face_changes)(struct lk_store_db *db, double since, int limit,
                         struct lk_arena *a, struct lk_store_face **out,
                         int *n);
  lk_err (*counts)(struct lk_store_db *db, struct lk_store_counts *c);
};

extern const struct lk_store_backend lk_store_sqlite;

/* ---- index (index.c) --------------------------------------------------
 * Changes are two-phase so that the index can never fail after the
 * database has committed: lk_index_reserve (may fail, takes the lock
 * itself) before commit, then lk_index_wrlock, the *_put/_drop/... calls
 * (never fail, never allocate, except for what reserve promised), and
 * lk_index_unlock. */
struct lk_index;

lk_err lk_index_create(struct lk_index **out, long max_faces);
void lk_index_destroy(struct lk_index *ix);
/* Room for `faces` more faces and `people` more people. */
lk_err lk_index_reserve(struct lk_index *ix, long faces, long people);
void lk_index_wrlock(struct lk_index *ix);
void lk_index_unlock(struct lk_index *ix);
/* name is lk_malloc'd and now owned by the index. */
void lk_index_person_put(struct lk_index *ix, int64_t id, char *name);
void lk_index_person_rename(struct lk_index *ix, int64_t id, char *name);
/* Drops the person and any faces still filed under them. */
void lk_index_person_drop(struct lk_index *ix, int64_t id);
/* Moves every face of from to to. */
void lk_index_person_merge(struct lk_index *ix, int64_t from, int64_t to);
void lk_index_face_put(struct lk_index *ix, int64_t id, int64_t person_id,
                       const float *d);
void lk_index_face_set(struct lk_index *ix, int64_t id, int64_t person_id,
                       const float *d);    /* person 0 / d NULL: keep */
void lk_index_face_drop(struct lk_index *ix, int64_t id);
void lk_index_person_clear(struct lk_index *ix, int64_t id);

lk_err lk_index_match(struct lk_index *ix, const float *d, int k,
                      unsigned flags, struct lk_arena *a,
                      struct lk_store_match **out, int *n);
lk_err lk_index_match_person(struct lk_index *ix, const float *d,
                             const char *person, struct lk_arena *a,
                             struct lk_store_match **out, int *n);

/* ---- the handle (store.c) ---------------------------------------------- */
struct lk_store_pool {
  pthread_mutex_t lock;
  pthread_cond_t freed;
  int n;
  int n_free;
  struct lk_store_db *db[LK_STORE_MAX_READERS];
  struct lk_store_db *free[LK_STORE_MAX_READERS];
};

struct lk_store {
  const struct lk_store_backend *be;
  struct lk_store_opts opts;
  pthread_mutex_t write_lock;   /* one writer; also guards last_ts */
  struct lk_store_db *writer;
  double last_ts;               /* the newest time handed out */
  struct lk_store_pool pool;
  struct lk_index *ix;
};

/* The next write time: max(now, last + 1 us); caller holds write_lock. */
double lk_store_tick(struct lk_store *st);
struct lk_store_db *lk_store_reader_get(struct lk_store *st);
void lk_store_reader_put(struct lk_store *st, struct lk_store_db *db);
/* Take write_lock and begin; on error write_lock is released. */
lk_err lk_store_write_begin(struct lk_store *st);
/* Commit when err is LK_OK, else roll back; write_lock stays held. */
lk_err lk_store_write_commit(struct lk_store *st, lk_err err);
void lk_store_write_unlock(struct lk_store *st);

/* ---- checks (store_check.c) -------------------------------------------- */
lk_err lk_store_check_name(const char *name);
lk_err lk_store_check_label(const char *label, const char *what);
lk_err lk_store_check_descriptor(const float *d);
lk_err lk_store_check_meta(const char *json);
lk_err lk_store_check_path(const char *path);
/* 64 hex digits (or "" when allow_empty) into lower case out[65]. */
lk_err lk_store_check_sha256(const char *hex, int allow_empty, char *out);
int lk_store_utf8_valid(const char *s, size_t len);

#endif
