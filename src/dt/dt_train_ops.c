/* dt_train_ops.c - the training store's reads and the calls that change
 * photos already kept: listing with results, progress per name, moving a
 * photo to another person, untraining, retraining, deleting photos and
 * folders, and the sync of the rows with the folders on disk.
 *
 * Order of changes: a deleted photo's file goes before its row, so a
 * crash in between leaves a row without a file, which the next sync
 * removes (the other order would bring the photo back as a new one). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "dt_train_int.h"

#define LK_DTT_PATH_MAX 4096

/* ---- reading rows ------------------------------------------------------- */

static lk_err lk_dtt_file_row(sqlite3_stmt *st, struct lk_arena *a,
                              struct lk_dt_train_file *f)
{
  memset(f, 0, sizeof *f);
  f->id = sqlite3_column_int64(st, 0);
  f->name = lk_sqlite_col_text(st, 1, a);
  f->filename = lk_sqlite_col_text(st, 2, a);
  f->width = sqlite3_column_int(st, 3);
  f->height = sqlite3_column_int(st, 4);
  f->created_at = sqlite3_column_double(st, 5);
  return f->name && f->filename ? LK_OK : LK_ERR_NOMEM;
}

/* A photo's results: one row per detector name, so at most
 * LK_DT_DETECTORS. */
static lk_err lk_dtt_results(struct lk_dt_train *t, struct lk_arena *a,
                             struct lk_dt_train_file *f)
{
  struct lk_dt_train_result *r;
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, LK_DTT_RESULTS, &st);
  int rc;
  if(err)
    return err;
  f->results = r = lk_arena_calloc(a, LK_DT_DETECTORS * sizeof *r);
  sqlite3_bind_int64(st, 1, f->id);
  while(r && f->n_results < LK_DT_DETECTORS &&
        (rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct lk_dt_train_result *x = &r[f->n_results++];
    x->detector = lk_sqlite_col_text(st, 0, a);
    x->queued = sqlite3_column_type(st, 1) == SQLITE_NULL;
    x->status = sqlite3_column_int(st, 1);
    x->result = x->queued ? NULL : lk_sqlite_col_text(st, 2, a);
    x->created_at = sqlite3_column_double(st, 3);
    if(!x->detector || (!x->queued && !x->result))
      err = LK_ERR_NOMEM;
  }
  if(!r)
    err = LK_ERR_NOMEM;
  else if(!err && f->n_results < LK_DT_DETECTORS && rc != SQLITE_DONE)
    err = lk_dtt_err(t, rc, "results");
  lk_dtt_reset(st);
  return err;
}

static lk_err lk_dtt_get(struct lk_dt_train *t, int64_t id,
                         struct lk_arena *a, struct lk_dt_train_file *out)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, LK_DTT_FILE_GET, &st);
  int rc;
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  rc = sqlite3_step(st);
  if(rc == SQLITE_ROW)
    err = lk_dtt_file_row(st, a, out);
  else
    err = rc == SQLITE_DONE ? LK_ERR_NOT_FOUND : lk_dtt_err(t, rc, "get");
  lk_dtt_reset(st);
  return err;
}

lk_err lk_dt_train_get(struct lk_dt_train *t, int64_t id,
                       struct lk_arena *arena, struct lk_dt_train_file *out)
{
  lk_err err;
  pthread_mutex_lock(&t->db);
  err = lk_dtt_get(t, id, arena, out);
  if(!err)
    err = lk_dtt_results(t, arena, out);
  pthread_mutex_unlock(&t->db);
  return err;
}

static lk_err lk_dtt_total(struct lk_dt_train *t, const char *name,
                           int64_t *total)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, LK_DTT_COUNT, &st);
  int rc;
  if(err)
    return err;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);    /* NULL: all */
  rc = sqlite3_step(st);
  *total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  lk_dtt_reset(st);
  return rc == SQLITE_ROW ? LK_OK : lk_dtt_err(t, rc, "count");
}

static lk_err lk_dtt_page(struct lk_dt_train *t, const char *name, int page,
                          int limit, struct lk_arena *a,
                          struct lk_dt_train_page *out)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_total(t, name, &out->total);
  int rc = SQLITE_DONE, i;
  if(!err)
    err = lk_dtt_stmt(t, LK_DTT_LIST, &st);
  if(err)
    return err;
  out->files = lk_arena_calloc(a, (size_t)limit * sizeof *out->files);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, limit);
  sqlite3_bind_int64(st, 3, (int64_t)(page - 1) * limit);
  while(out->files && !err && (rc = sqlite3_step(st)) == SQLITE_ROW)
    err = lk_dtt_file_row(st, a, &out->files[out->n++]);
  if(!out->files)
    err = LK_ERR_NOMEM;
  else if(!err && rc != SQLITE_DONE)
    err = lk_dtt_err(t, rc, "list");
  lk_dtt_reset(st);
  for(i = 0; !err && i < out->n; i++)
    err = lk_dtt_results(t, a, &out->files[i]);
  return err;
}

lk_err lk_dt_train_list(struct lk_dt_train *t, const char *name, int page,
                        int limit, struct lk_arena *arena,
                        struct lk_dt_train_page *out)
{
  lk_err err;
  memset(out, 0, sizeof *out);
  if(page < 1 || limit < 1 || limit > LK_DT_TRAIN_PAGE_MAX ||
     (int64_t)(page - 1) * limit > INT64_MAX / 2)
    return LK_ERR_INVAL;
  pthread_mutex_lock(&t->db);
  err = lk_dtt_page(t, name, page, limit, arena, out);
  pthread_mutex_unlock(&t->db);
  if(err)
    memset(out, 0, sizeof *out);
  return err;
}

static lk_err lk_dtt_status(struct lk_dt_train *t, struct lk_arena *a,
                            struct lk_dt_train_status **out, int *n)
{
  struct lk_dt_train_status *v = NULL, *g;
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, LK_DTT_STATUS, &st);
  int rc = SQLITE_DONE, cap = 0;
  if(err)
    return err;
  while(!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if(*n == cap) {
      cap = cap ? cap * 2 : 16;
      g = lk_arena_alloc(a, (size_t)cap * sizeof *g);
      if(g && *n)
        memcpy(g, v, (size_t)*n * sizeof *g);
      v = g;
    }
    if(v)
      v[*n].name = lk_sqlite_col_text(st, 0, a);
    if(!v || !v[*n].name) {
      err = LK_ERR_NOMEM;
      break;
    }
    v[*n].trained = sqlite3_column_int64(st, 1);
    v[*n].total = sqlite3_column_int64(st, 2);
    /* Double Take: parseFloat((trained / total * 100).toFixed(0)) */
    v[*n].percent = (int)floor(100.0 * (double)v[*n].trained /
                               (double)v[*n].total + 0.5);
    (*n)++;
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_dtt_err(t, rc, "status");
  lk_dtt_reset(st);
  *out = v;
  return err;
}

lk_err lk_dt_train_status(struct lk_dt_train *t, struct lk_arena *arena,
                          struct lk_dt_train_status **out, int *n)
{
  lk_err err;
  *out = NULL;
  *n = 0;
  pthread_mutex_lock(&t->db);
  err = lk_dtt_status(t, arena, out, n);
  pthread_mutex_unlock(&t->db);
  if(err) {
    *out = NULL;
    *n = 0;
  }
  return err;
}

/* ---- moving a photo ----------------------------------------------------- */

/* A rename's folder entries reach the disk. */
static void lk_dtt_sync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* link() rather than rename(): an existing file of that name in the new
 * folder is refused, not replaced. */
static lk_err lk_dtt_link(struct lk_dt_train *t, const char *from,
                          const char *to, const char *file, char *newpath)
{
  char dir[LK_DTT_PATH_MAX], old[LK_DTT_PATH_MAX];
  if(lk_dtt_path(dir, sizeof dir, t->train_dir, to, NULL) ||
     lk_dtt_path(old, sizeof old, t->train_dir, from, file) ||
     lk_dtt_path(newpath, LK_DTT_PATH_MAX, dir, file, NULL))
    return LK_ERR_INVAL;
  if(mkdir(dir, 0700) && errno != EEXIST)
    return LK_ERR_IO;
  if(!link(old, newpath)) {
    lk_dtt_sync_dir(dir);
    return LK_OK;
  }
  if(errno == EEXIST)
    return LK_ERR_EXISTS;
  return errno == ENOENT ? LK_ERR_NOT_FOUND : LK_ERR_IO;
}

static lk_err lk_dtt_rename_row(struct lk_dt_train *t, int64_t id,
                                const char *name)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_begin(t);
  if(!err)
    err = lk_dtt_stmt(t, LK_DTT_FILE_RENAME, &st);
  if(!err) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    err = lk_dtt_run(t, st, "move");
  }
  if(!err)
    err = lk_dtt_queue_file(t, id);
  return lk_dtt_end(t, err);
}

static lk_err lk_dtt_move(struct lk_dt_train *t, int64_t id, const char *name,
                          struct lk_arena *a)
{
  struct lk_dt_train_file f;
  char newpath[LK_DTT_PATH_MAX], old[LK_DTT_PATH_MAX], dir[LK_DTT_PATH_MAX];
  lk_err err = lk_dtt_get(t, id, a, &f);
  if(!err)
    err = lk_dtt_queue_room(t, t->n_kinds);
  if(err)
    return err;
  if(!strcmp(f.name, name))               /* the same folder: train again */
    return lk_dtt_rename_row(t, id, name);
  err = lk_dtt_link(t, f.name, name, f.filename, newpath);
  if(!err)
    err = lk_dtt_rename_row(t, id, name);
  if(err && err != LK_ERR_EXISTS && err != LK_ERR_NOT_FOUND)
    unlink(newpath);
  if(err || lk_dtt_path(old, sizeof old, t->train_dir, f.name, f.filename))
    return err;
  if(unlink(old))
    lk_log(LK_LOG_WARN, "dt", "%s: %s", old, strerror(errno));
  if(!lk_dtt_path(dir, sizeof dir, t->train_dir, f.name, NULL))
    lk_dtt_sync_dir(dir);
  return LK_OK;
}

lk_err lk_dt_train_move(struct lk_dt_train *t, int64_t id, const char *name)
{
  struct lk_arena *a;
  lk_err err;
  if(!lk_dt_train_name_ok(name))
    return LK_ERR_INVAL;
  a = lk_arena_create(0);
  if(!a)
    return LK_ERR_NOMEM;
  pthread_mutex_lock(&t->gallery);
  pthread_mutex_lock(&t->db);
  err = lk_dtt_move(t, id, name, a);
  pthread_mutex_unlock(&t->db);
  pthread_mutex_unlock(&t->gallery);
  lk_arena_destroy(a);
  if(!err)
    lk_dtt_kick(t);
  return err;
}

/* ---- untraining and retraining ------------------------------------------ */

lk_err lk_dt_train_remove(struct lk_dt_train *t, const char *name,
                          const int64_t *ids, int n)
{
  lk_err err;
  if(!lk_dt_train_name_ok(name) || n < 0 || n > LK_DT_TRAIN_IDS_MAX ||
     (n && !ids))
    return LK_ERR_INVAL;
  pthread_mutex_lock(&t->gallery);
  err = lk_dtt_untrain(t, name, ids, n);
  pthread_mutex_unlock(&t->gallery);
  lk_dtt_kick(t);                 /* external detectors learn the rest */
  return err;
}

/* The ids of name's photos, lk_malloc'd (NULL when *n is 0). */
static lk_err lk_dtt_ids_of(struct lk_dt_train *t, const char *name,
                            int64_t **ids, long *n)
{
  sqlite3_stmt *st;
  int64_t *v = NULL, *g;
  long cap = 0;
  int rc = SQLITE_DONE;
  lk_err err = lk_dtt_stmt(t, LK_DTT_FILES_OF, &st);
  *ids = NULL;
  *n = 0;
  if(err)
    return err;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  while(!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if(*n == cap) {
      cap = cap ? cap * 2 : 64;
      g = lk_realloc(v, (size_t)cap * sizeof *v);
      if(!g)
        err = LK_ERR_NOMEM;
      v = g ? g : v;
    }
    if(!err)
      v[(*n)++] = sqlite3_column_int64(st, 0);
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_dtt_err(t, rc, "photos of a name");
  lk_dtt_reset(st);
  if(err)
    lk_free(v);
  *ids = err ? NULL : v;
  *n = err ? 0 : *n;
  return err;
}

static lk_err lk_dtt_queue_name(struct lk_dt_train *t, const char *name)
{
  int64_t *ids;
  long n, i;
  lk_err err = lk_dtt_ids_of(t, name, &ids, &n);
  if(!err)
    err = lk_dtt_queue_room(t, n * t->n_kinds);
  if(!err)
    err = lk_dtt_begin(t);
  if(err) {
    lk_free(ids);
    return err;
  }
  for(i = 0; i < n && !err; i++)
    err = lk_dtt_queue_file(t, ids[i]);
  lk_free(ids);
  return lk_dtt_end(t, err);
}

lk_err lk_dt_train_retrain(struct lk_dt_train *t, const char *name)
{
  lk_err err;
  if(!lk_dt_train_name_ok(name))
    return LK_ERR_INVAL;
  /* Double Take re-reads the folders before it queues (train.util add) */
  err = lk_dt_train_sync(t, NULL, NULL);
  if(err)
    return err;
  pthread_mutex_lock(&t->gallery);
  err = lk_dtt_untrain(t, name, NULL, 0);
  pthread_mutex_lock(&t->db);
  if(!err)
    err = lk_dtt_queue_name(t, name);
  pthread_mutex_unlock(&t->db);
  pthread_mutex_unlock(&t->gallery);
  lk_dtt_kick(t);
  return err;
}

/* ---- deleting photos and folders ---------------------------------------- */

static lk_err lk_dtt_delete_one(struct lk_dt_train *t, int64_t id,
                                struct lk_arena *a, long *deleted)
{
  struct lk_dt_train_file f;
  char path[LK_DTT_PATH_MAX];
  sqlite3_stmt *st;
  lk_err err = lk_dtt_get(t, id, a, &f);
  if(err)
    return err == LK_ERR_NOT_FOUND ? LK_OK : err;
  if(!lk_dtt_path(path, sizeof path, t->train_dir, f.name, f.filename) &&
     unlink(path) && errno != ENOENT)
    lk_log(LK_LOG_WARN, "dt", "%s: %s", path, strerror(errno));
  err = lk_dtt_stmt(t, LK_DTT_FILE_DELETE, &st);
  if(!err) {
    sqlite3_bind_int64(st, 1, id);
    err = lk_dtt_run(t, st, "delete photo");
  }
  *deleted += !err && sqlite3_changes(t->conn) > 0;
  return err;
}

lk_err lk_dt_train_delete(struct lk_dt_train *t, const int64_t *ids, int n,
                          long *deleted)
{
  struct lk_arena *a;
  long count = 0;
  lk_err err;
  int i;
  if(deleted)
    *deleted = 0;
  if(n < 0 || n > LK_DT_TRAIN_IDS_MAX || (n && !ids))
    return LK_ERR_INVAL;
  a = lk_arena_create(0);
  if(!a)
    return LK_ERR_NOMEM;
  pthread_mutex_lock(&t->gallery);
  pthread_mutex_lock(&t->db);
  err = lk_dtt_begin(t);
  if(!err) {
    for(i = 0; i < n && !err; i++, lk_arena_reset(a))
      err = lk_dtt_delete_one(t, ids[i], a, &count);
    err = lk_dtt_end(t, err);
  }
  pthread_mutex_unlock(&t->db);
  pthread_mutex_unlock(&t->gallery);
  lk_arena_destroy(a);
  if(deleted && !err)
    *deleted = count;
  return err;
}

static int lk_dtt_rm(const char *path, const struct stat *sb, int flag,
                     struct FTW *ftw)
{
  (void)sb;
  (void)ftw;
  if((flag == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT) {
    lk_log(LK_LOG_WARN, "dt", "%s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

static lk_err lk_dtt_drop_name(struct lk_dt_train *t, const char *name,
                               long *files)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_begin(t);
  if(!err)
    err = lk_dtt_stmt(t, LK_DTT_FILES_DROP_NAME, &st);
  if(!err) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    err = lk_dtt_run(t, st, "delete folder");
  }
  if(!err && files)
    *files = sqlite3_changes(t->conn);
  return lk_dtt_end(t, err);
}

lk_err lk_dt_train_folder_delete(struct lk_dt_train *t, const char *name,
                                 long *files)
{
  char dir[LK_DTT_PATH_MAX];
  lk_err err = LK_OK;
  if(files)
    *files = 0;
  if(!lk_dt_train_name_ok(name) ||
     lk_dtt_path(dir, sizeof dir, t->train_dir, name, NULL))
    return LK_ERR_INVAL;
  pthread_mutex_lock(&t->gallery);
  pthread_mutex_lock(&t->db);
  /* no symlinks followed, no other file system entered */
  if(nftw(dir, lk_dtt_rm, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) &&
     errno != ENOENT)
    err = LK_ERR_IO;
  if(!err)
    err = lk_dtt_drop_name(t, name, files);
  pthread_mutex_unlock(&t->db);
  pthread_mutex_unlock(&t->gallery);
  return err;
}
