/* dt_matches_purge.c - what takes from the matches store: deletes by id,
 * Double Take's age purge and the sweep of orphan files after a crash.
 *
 * Deletes and purges commit first and remove files after, so a crash can
 * only leave files without rows, never rows without files; the sweep
 * removes those, holding the files lock alone so that no save is between
 * its file and its row meanwhile. A name read back from a row is checked
 * before it is removed. */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "base/file.h"
#include "base/log.h"
#include "dt_matches_int.h"

#define LK_DTM_PURGE_BATCH 256    /* rows per purge transaction */

/* Step a DELETE ... RETURNING filename to its end, adding each valid
 * name to names (cap of them) and counting rows. */
static lk_err lk_dtm_take(struct lk_dtm_db *d, sqlite3_stmt *st,
                          lk_dtm_name *names, int cap, int *n_names,
                          long *rows)
{
  int rc;
  while((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *f = (const char *)sqlite3_column_text(st, 0);
    (*rows)++;
    if(f && lk_dt_matches_filename_ok(f) && *n_names < cap)
      memcpy(names[(*n_names)++], f, LK_DT_MATCHES_FILE_SIZE);
  }
  lk_dtm_reset(st);
  return rc == SQLITE_DONE ? LK_OK : lk_dtm_err(d, rc, "delete");
}

static lk_err lk_dtm_delete_rows(struct lk_dt_matches *m, const int64_t *ids,
                                 int n, lk_dtm_name *names, int *n_names,
                                 long *rows)
{
  sqlite3_stmt *st;
  int i;
  lk_err err = lk_dtm_write_begin(m);
  if(err)
    return err;
  err = lk_dtm_stmt(m->writer, LK_DTM_DELETE, &st);
  for(i = 0; !err && i < n; i++) {
    sqlite3_bind_int64(st, 1, ids[i]);
    err = lk_dtm_take(m->writer, st, names, n, n_names, rows);
  }
  return lk_dtm_write_end(m, err);
}

lk_err lk_dt_matches_delete(struct lk_dt_matches *m, const int64_t *ids,
                            int n, int *deleted)
{
  lk_dtm_name *names;
  int n_names = 0, i;
  long rows = 0;
  lk_err err;

  if(deleted)
    *deleted = 0;
  if(n < 0 || n > LK_DT_MATCHES_DELETE_MAX || (n && !ids))
    return LK_ERR_INVAL;
  if(!n)
    return LK_OK;
  names = lk_malloc((size_t)n * sizeof *names);
  if(!names)
    return LK_ERR_NOMEM;
  err = lk_dtm_delete_rows(m, ids, n, names, &n_names, &rows);
  for(i = 0; !err && i < n_names; i++)
    lk_dtm_unlink(m->matches_dir, names[i]);
  lk_free(names);
  if(!err && deleted)
    *deleted = (int)rows;
  return err;
}

/* One batch: at most LK_DTM_PURGE_BATCH rows in one short transaction. */
static lk_err lk_dtm_purge_batch(struct lk_dt_matches *m, double now,
                                 double match_hours, double unknown_hours,
                                 lk_dtm_name *names, int *n_names,
                                 long *rows)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtm_write_begin(m);
  if(err)
    return err;
  err = lk_dtm_stmt(m->writer, LK_DTM_PURGE, &st);
  if(!err) {
    if(match_hours >= 0)
      sqlite3_bind_double(st, 1, now - match_hours * 3600);
    if(unknown_hours >= 0)
      sqlite3_bind_double(st, 2, now - unknown_hours * 3600);
    sqlite3_bind_int(st, 3, LK_DTM_PURGE_BATCH);
    err = lk_dtm_take(m->writer, st, names, LK_DTM_PURGE_BATCH, n_names,
                      rows);
  }
  return lk_dtm_write_end(m, err);
}

lk_err lk_dt_matches_purge(struct lk_dt_matches *m, double match_hours,
                           double unknown_hours, long *purged)
{
  lk_dtm_name *names = lk_malloc(LK_DTM_PURGE_BATCH * sizeof *names);
  double now = lk_dtm_now(m);
  long total = 0, rows;
  int n_names, i;
  lk_err err = names ? LK_OK : LK_ERR_NOMEM;

  if(purged)
    *purged = 0;
  do {
    rows = 0;
    n_names = 0;
    if(!err)
      err = lk_dtm_purge_batch(m, now, match_hours, unknown_hours, names,
                               &n_names, &rows);
    for(i = 0; !err && i < n_names; i++)
      lk_dtm_unlink(m->matches_dir, names[i]);
    total += err ? 0 : rows;
  } while(!err && rows == LK_DTM_PURGE_BATCH);
  lk_free(names);
  if(total)
    lk_log(LK_LOG_INFO, "dt", "purged %ld match(es)", total);
  if(purged)
    *purged = total;
  return err;
}

/* ---- sweep ------------------------------------------------------------- */

/* Whether a file in DATA/matches is an orphan: a temporary file, or a
 * "<uuid>.jpg" no row names. A store error keeps the file. */
static int lk_dtm_orphan(struct lk_dtm_db *d, const char *name)
{
  sqlite3_stmt *st;
  int rc;
  if(lk_file_is_tmp(name))
    return 1;
  if(!lk_dt_matches_filename_ok(name) || lk_dtm_stmt(d, LK_DTM_HAS_FILE, &st))
    return 0;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  lk_dtm_reset(st);
  if(rc != SQLITE_ROW && rc != SQLITE_DONE)
    lk_dtm_err(d, rc, "sweep");
  return rc == SQLITE_DONE;
}

static lk_err lk_dtm_sweep_dir(const char *dir, struct lk_dtm_db *d,
                               long *removed)
{
  struct dirent *e;
  DIR *dp = opendir(dir);
  if(!dp) {
    lk_log(LK_LOG_ERROR, "dt", "cannot sweep %s: %s", dir, strerror(errno));
    return LK_ERR_IO;
  }
  while((e = readdir(dp))) {
    if(e->d_name[0] == '.' ||
       !(d ? lk_dtm_orphan(d, e->d_name) : lk_file_is_tmp(e->d_name)))
      continue;
    lk_dtm_unlink(dir, e->d_name);
    (*removed)++;
  }
  closedir(dp);
  return LK_OK;
}

lk_err lk_dt_matches_sweep(struct lk_dt_matches *m, long *removed)
{
  struct lk_dtm_db *d;
  long n = 0;
  lk_err err;

  pthread_rwlock_wrlock(&m->files);
  d = lk_dtm_reader_get(m);
  err = lk_dtm_sweep_dir(m->matches_dir, d, &n);
  if(!err)
    err = lk_dtm_sweep_dir(m->latest_dir, NULL, &n);
  lk_dtm_reader_put(m, d);
  pthread_rwlock_unlock(&m->files);
  if(n)
    lk_log(LK_LOG_INFO, "dt", "swept %ld orphan file(s)", n);
  if(removed)
    *removed = n;
  return err;
}
