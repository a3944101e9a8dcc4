/* dt_matches_int.h - what the matches store's files share: the handle,
 * SQLite connections with their prepared statements, and the pool of
 * readers. Nothing outside src/dt/dt_matches*.c and dt_latest.c includes
 * it. Internal names use the lk_dtm_ prefix.
 *
 * Locks, always taken in this order:
 *   files       rwlock: saves and latest writes share it, the sweep holds
 *               it alone, so the sweep never sees a file whose row is
 *               still being written;
 *   write_lock  mutex around the one writer connection;
 *   pool_lock   mutex and condition for borrowing a reader. */
#ifndef LK_DT_MATCHES_INT_H
#define LK_DT_MATCHES_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "dt/dt_matches.h"
#include "store/sqlite_db.h"

#define LK_DTM_READERS_MAX 16

typedef char lk_dtm_name[LK_DT_MATCHES_FILE_SIZE];    /* "<uuid>.jpg" */

/* Every statement the store runs; texts in dt_matches_db.c. */
enum lk_dtm_sql {
  LK_DTM_BEGIN_READ,
  LK_DTM_BEGIN_WRITE,
  LK_DTM_COMMIT,
  LK_DTM_ROLLBACK,
  LK_DTM_INSERT,
  LK_DTM_INSERT_FACE,
  LK_DTM_UPDATE,          /* a reprocessed row's result */
  LK_DTM_DELETE_FACES,    /* a row's faces, before new ones go in */
  LK_DTM_DELETE,          /* one id, RETURNING filename */
  LK_DTM_PURGE,           /* a batch of expired rows, RETURNING filename */
  LK_DTM_GET,
  LK_DTM_GET_FILE,
  LK_DTM_FACES,
  LK_DTM_HAS_FILE,
  LK_DTM_LIST,
  LK_DTM_COUNT,
  LK_DTM_TOTAL,
  LK_DTM_NAMES,
  LK_DTM_MATCHES,
  LK_DTM_DETECTORS,
  LK_DTM_CAMERAS,
  LK_DTM_TYPES,
  LK_DTM_SQL_N
};

/* One connection, used by one thread at a time. */
struct lk_dtm_db {
  sqlite3 *db;
  sqlite3_stmt *stmt[LK_DTM_SQL_N];
};

struct lk_dt_matches {
  struct lk_dt_matches_opts opts;
  char *db_path;
  char *matches_dir;
  char *latest_dir;
  pthread_rwlock_t files;
  pthread_mutex_t write_lock;
  struct lk_dtm_db *writer;
  pthread_mutex_t pool_lock;
  pthread_cond_t pool_freed;
  struct lk_dtm_db *readers[LK_DTM_READERS_MAX];
  struct lk_dtm_db *idle[LK_DTM_READERS_MAX];
  int n_readers;
  int n_idle;
};

/* ---- dt_matches_db.c: connections ------------------------------------ */

/* Open path; the writer creates and migrates the schema, a reader is
 * query-only and checks the version. why: LK_DT_MATCHES_ERRMAX bytes. */
lk_err lk_dtm_db_open(struct lk_dtm_db **out, const char *path,
                      const struct lk_dt_matches_opts *o, int writer,
                      char *why);
void lk_dtm_db_close(struct lk_dtm_db *d);

/* SQLite's rc as an lk_err, its message logged; SQLITE_OK, ROW and DONE
 * are LK_OK. */
lk_err lk_dtm_err(struct lk_dtm_db *d, int rc, const char *what);
/* The prepared statement id (prepared on first use, kept), reset and
 * with no bindings. */
lk_err lk_dtm_stmt(struct lk_dtm_db *d, enum lk_dtm_sql id,
                   sqlite3_stmt **out);
/* Step st to its end (a statement with no rows), then reset it. */
lk_err lk_dtm_run(struct lk_dtm_db *d, sqlite3_stmt *st, const char *what);
void lk_dtm_reset(sqlite3_stmt *st);

lk_err lk_dtm_begin(struct lk_dtm_db *d, int write);
lk_err lk_dtm_commit(struct lk_dtm_db *d);
void lk_dtm_rollback(struct lk_dtm_db *d);   /* no-op outside one */

/* One write transaction on the writer, under the write lock: begin
 * takes the lock (and does not hold it when it fails); end commits when
 * err is LK_OK, else rolls back, releases the lock and returns the
 * outcome. */
lk_err lk_dtm_write_begin(struct lk_dt_matches *m);
lk_err lk_dtm_write_end(struct lk_dt_matches *m, lk_err err);
/* The same for one read transaction (one snapshot) on a borrowed
 * reader. */
lk_err lk_dtm_read_begin(struct lk_dt_matches *m, struct lk_dtm_db **d);
lk_err lk_dtm_read_end(struct lk_dt_matches *m, struct lk_dtm_db *d,
                       lk_err err);

/* Borrow a reader (waiting while all are out) and give it back. */
struct lk_dtm_db *lk_dtm_reader_get(struct lk_dt_matches *m);
void lk_dtm_reader_put(struct lk_dt_matches *m, struct lk_dtm_db *d);


/* ---- dt_matches.c ------------------------------------------------------ */

double lk_dtm_now(const struct lk_dt_matches *m);
/* list (n strings; NULL when n is 0) as a JSON array, cJSON-allocated
 * (cJSON_free). Zones are stored and filters bound this way. */
lk_err lk_dtm_json_strings(const char *const *list, int n, char **out);
/* Remove dir/name, logging failures other than "already gone". */
void lk_dtm_unlink(const char *dir, const char *name);

#endif
