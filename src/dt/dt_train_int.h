/* dt_train_int.h - what the training store's files share: the handle,
 * its one SQLite connection with prepared statements, and the worker's
 * state. Nothing outside src/dt/dt_train*.c includes it. Internal names
 * use the lk_dtt_ prefix.
 *
 * Locks, always taken in this order:
 *   gallery  held by the worker while it teaches one row, and by every
 *            call that untrains, moves or deletes photos: a row is never
 *            removed while its face is being registered;
 *   db       the connection and the folders under DATA/train (a file and
 *            its row change together);
 *   q        the worker's wake-ups and the idle flag. */
#ifndef LK_DT_TRAIN_INT_H
#define LK_DT_TRAIN_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "dt/dt_config.h"
#include "dt/dt_train.h"
#include "store/sqlite_db.h"

/* Every statement the store runs; texts in dt_train_db.c. */
enum lk_dtt_sql {
  LK_DTT_BEGIN,
  LK_DTT_COMMIT,
  LK_DTT_ROLLBACK,
  LK_DTT_SEQ_MAX,           /* where the queue order goes on at open */
  LK_DTT_FILE_INSERT,
  LK_DTT_FILE_GET,          /* by id */
  LK_DTT_FILE_FIND,         /* by name and filename */
  LK_DTT_FILE_DELETE,       /* by id */
  LK_DTT_FILE_RENAME,       /* a moved photo's folder */
  LK_DTT_FILES_OF,          /* ids of one name */
  LK_DTT_FILES_ALL,         /* id, name, filename of every row */
  LK_DTT_FILES_DROP_NAME,   /* every row of a name */
  LK_DTT_LIST,
  LK_DTT_COUNT,
  LK_DTT_RESULTS,           /* one photo's rows */
  LK_DTT_STATUS,
  LK_DTT_QUEUE,             /* queue (or queue again) one photo x detector */
  LK_DTT_QUEUED,            /* rows waiting */
  LK_DTT_NEXT,              /* the oldest waiting row */
  LK_DTT_DONE,              /* a taught row's outcome */
  LK_DTT_FACES_OF,          /* likeness face ids of a name's rows */
  LK_DTT_FACE_OF,           /* ... of one photo */
  LK_DTT_UNTRAIN_NAME,      /* every result row of a name */
  LK_DTT_UNTRAIN_FILE,      /* every result row of one photo */
  LK_DTT_REQUEUE,           /* one detector's rows of a name, again */
  LK_DTT_SQL_N
};

struct lk_dt_train {
  struct lk_dt_train_opts opts;
  char *train_dir;                   /* DATA/train */
  char *db_path;                     /* DATA/train.db */
  /* the detectors that train, in lk_dt_detector_kind order */
  enum lk_dt_detector_kind kinds[LK_DT_DETECTORS];
  int n_kinds;
  int64_t last_ms;                   /* the newest file name's time */
  int64_t seq;                       /* the last queue order given */

  pthread_mutex_t gallery;
  pthread_mutex_t db;
  sqlite3 *conn;
  sqlite3_stmt *stmt[LK_DTT_SQL_N];

  pthread_mutex_t q;
  pthread_cond_t wake;               /* rows queued, or stop */
  pthread_cond_t idle_cv;            /* the worker found nothing to do */
  unsigned long kicks;               /* bumped at every queueing */
  int idle;                          /* the worker waits, at kicks */
  int stop;
  int started;
  pthread_t worker;
};

/* ---- dt_train_db.c ---------------------------------------------------- */

/* Open data_dir/train.db, set up and migrated (sqlite_db.h). */
lk_err lk_dtt_db_open(struct lk_dt_train *t, char *why);
void lk_dtt_db_close(struct lk_dt_train *t);
/* The prepared statement id, reset and unbound. */
lk_err lk_dtt_stmt(struct lk_dt_train *t, enum lk_dtt_sql id,
                   sqlite3_stmt **out);
/* Step a statement that returns no rows, then reset it. */
lk_err lk_dtt_run(struct lk_dt_train *t, sqlite3_stmt *st, const char *what);
lk_err lk_dtt_err(struct lk_dt_train *t, int rc, const char *what);
void lk_dtt_reset(sqlite3_stmt *st);
/* One write transaction; end commits when err is LK_OK, else rolls back,
 * and returns the outcome. The caller holds the db lock. */
lk_err lk_dtt_begin(struct lk_dt_train *t);
lk_err lk_dtt_end(struct lk_dt_train *t, lk_err err);

/* ---- dt_train.c ------------------------------------------------------- */

double lk_dtt_now(void);                       /* Unix seconds */
/* dir/a[/b] into buf; -1 when it does not fit. */
int lk_dtt_path(char *buf, size_t size, const char *dir, const char *a,
                const char *b);
/* Whether s is a file name the store may open: the rules of
 * lk_dt_train_name_ok with max bytes. */
int lk_dtt_segment_ok(const char *s, size_t max);
/* Width and height as displayed, and the format, by decoding (scaled
 * down when the format allows): LK_ERR_IMAGE, LK_ERR_UNSUPPORTED for
 * anything but JPEG and PNG. */
lk_err lk_dtt_probe(const void *img, size_t len, int *width, int *height,
                    const char **ext, char *why);
/* Queue photo id for every detector, inside the caller's transaction. */
lk_err lk_dtt_queue_file(struct lk_dt_train *t, int64_t id);
/* LK_ERR_BUSY when more rows would wait than queue_max. */
lk_err lk_dtt_queue_room(struct lk_dt_train *t, long more);

/* ---- dt_train_worker.c ------------------------------------------------ */

lk_err lk_dtt_worker_start(struct lk_dt_train *t);
void lk_dtt_worker_stop(struct lk_dt_train *t);
/* Rows were queued: wake the worker. */
void lk_dtt_kick(struct lk_dt_train *t);
/* lk_dt_train_remove's work: the caller holds the gallery lock, not the
 * db lock. */
lk_err lk_dtt_untrain(struct lk_dt_train *t, const char *name,
                    const int64_t *ids, int n);

#endif
