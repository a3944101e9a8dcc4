/* dt_train_sync.c - the rows made to match DATA/train, as Double Take's
 * resync.files does at start and before each training: a photo dropped
 * into a folder by hand gets a row (untrained until a retrain, as Double
 * Take lists it), a row whose file is gone goes, and a temporary file a
 * crash left behind is deleted. Only regular files named *.jpg, *.jpeg
 * or *.png (any case) whose names pass lk_dtt_segment_ok count; links
 * and anything else are left alone. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "dt_train_int.h"
#include "image/image.h"

#define LK_DTT_PATH_MAX 4096

/* Rows whose file is gone (or whose names could not be a path). */
static lk_err lk_dtt_gone(struct lk_dt_train *t, int64_t **ids, long *n)
{
  char path[LK_DTT_PATH_MAX];
  sqlite3_stmt *st;
  int64_t *g;
  long cap = 0;
  int rc = SQLITE_DONE;
  lk_err err = lk_dtt_stmt(t, LK_DTT_FILES_ALL, &st);
  if(err)
    return err;
  while(!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 1);
    const char *file = (const char *)sqlite3_column_text(st, 2);
    if(lk_dt_train_name_ok(name) &&
       lk_dtt_segment_ok(file, LK_DT_TRAIN_FILE_MAX) &&
       !lk_dtt_path(path, sizeof path, t->train_dir, name, file) &&
       !access(path, F_OK))
      continue;
    if(*n == cap) {
      cap = cap ? cap * 2 : 32;
      g = lk_realloc(*ids, (size_t)cap * sizeof *g);
      if(!g)
        err = LK_ERR_NOMEM;
      *ids = g ? g : *ids;
    }
    if(!err)
      (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_dtt_err(t, rc, "sync");
  lk_dtt_reset(st);
  return err;
}

static lk_err lk_dtt_sync_gone(struct lk_dt_train *t, long *removed)
{
  int64_t *ids = NULL;
  sqlite3_stmt *st;
  long n = 0, i;
  lk_err err = lk_dtt_gone(t, &ids, &n);
  if(!err && n)
    err = lk_dtt_begin(t);
  if(!err && n) {
    for(i = 0; i < n && !err; i++) {
      err = lk_dtt_stmt(t, LK_DTT_FILE_DELETE, &st);
      if(!err) {
        sqlite3_bind_int64(st, 1, ids[i]);
        err = lk_dtt_run(t, st, "sync");
      }
    }
    err = lk_dtt_end(t, err);
  }
  lk_free(ids);
  *removed = err ? 0 : n;
  return err;
}

static int lk_dtt_image_name(const char *file)
{
  const char *dot = strrchr(file, '.');
  return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
                 !strcasecmp(dot, ".png"));
}

static lk_err lk_dtt_known(struct lk_dt_train *t, const char *name,
                           const char *file, int *known)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, LK_DTT_FILE_FIND, &st);
  int rc;
  if(err)
    return err;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  *known = rc == SQLITE_ROW;
  lk_dtt_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? LK_OK
                                               : lk_dtt_err(t, rc, "sync");
}

/* A row for one photo found on disk; its size as displayed when it
 * decodes (0 x 0 otherwise: training will record why). */
static lk_err lk_dtt_sync_file(struct lk_dt_train *t, const char *name,
                               const char *dir, const char *file,
                               struct lk_arena *a, long *added)
{
  char path[LK_DTT_PATH_MAX];
  const unsigned char *img;
  const char *ext;
  sqlite3_stmt *st;
  struct stat sb;
  size_t len;
  int known = 0, w = 0, h = 0;
  lk_err err = lk_dtt_known(t, name, file, &known);
  if(err || known || lk_dtt_path(path, sizeof path, dir, file, NULL) ||
     lstat(path, &sb) || !S_ISREG(sb.st_mode))
    return err;
  if(!lk_file_read_arena(path, LK_IMAGE_MAX_BYTES, a, &img, &len))
    lk_dtt_probe(img, len, &w, &h, &ext, NULL);
  err = lk_dtt_stmt(t, LK_DTT_FILE_INSERT, &st);
  if(err)
    return err;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, w);
  sqlite3_bind_int(st, 4, h);
  sqlite3_bind_double(st, 5, (double)sb.st_mtim.tv_sec +
                             (double)sb.st_mtim.tv_nsec * 1e-9);
  err = lk_dtt_run(t, st, "sync");
  *added += !err;
  return err;
}

static lk_err lk_dtt_sync_folder(struct lk_dt_train *t, const char *name,
                                 struct lk_arena *a, long *added)
{
  char dir[LK_DTT_PATH_MAX], path[LK_DTT_PATH_MAX];
  struct dirent *e;
  lk_err err = LK_OK;
  DIR *d;
  if(lk_dtt_path(dir, sizeof dir, t->train_dir, name, NULL))
    return LK_OK;
  d = opendir(dir);
  if(!d)
    return LK_OK;                         /* not a folder after all */
  while(!err && (e = readdir(d))) {
    if(lk_file_is_tmp(e->d_name)) {       /* a write a crash cut short */
      if(!lk_dtt_path(path, sizeof path, dir, e->d_name, NULL))
        unlink(path);
      continue;
    }
    if(lk_dtt_segment_ok(e->d_name, LK_DT_TRAIN_FILE_MAX) &&
       lk_dtt_image_name(e->d_name))
      err = lk_dtt_sync_file(t, name, dir, e->d_name, a, added);
    lk_arena_reset(a);
  }
  closedir(d);
  return err;
}

static lk_err lk_dtt_sync_found(struct lk_dt_train *t, long *added)
{
  struct lk_arena *a = lk_arena_create(0);
  struct dirent *e;
  DIR *d = opendir(t->train_dir);
  lk_err err = !d ? LK_ERR_IO : a ? lk_dtt_begin(t) : LK_ERR_NOMEM;
  if(!err) {
    while(!err && (e = readdir(d)))
      if(lk_dt_train_name_ok(e->d_name))
        err = lk_dtt_sync_folder(t, e->d_name, a, added);
    err = lk_dtt_end(t, err);
  }
  if(d)
    closedir(d);
  lk_arena_destroy(a);
  return err;
}

lk_err lk_dt_train_sync(struct lk_dt_train *t, long *added, long *removed)
{
  long in = 0, out = 0;
  lk_err err;
  pthread_mutex_lock(&t->db);
  err = lk_dtt_sync_gone(t, &out);
  if(!err)
    err = lk_dtt_sync_found(t, &in);
  pthread_mutex_unlock(&t->db);
  if(in || out)
    lk_log(LK_LOG_INFO, "dt", "%s: %ld photo(s) found, %ld gone",
           t->train_dir, in, out);
  if(added)
    *added = err ? 0 : in;
  if(removed)
    *removed = out;
  return err;
}
