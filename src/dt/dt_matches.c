/* dt_matches.c - the matches store's handle and its writes: opening the
 * folders and the database, saving an image with its row, deletes, the
 * age purge and the sweep of orphans. Reads are in dt_matches_list.c, the
 * SQL in dt_matches_db.c, latest images in dt_latest.c.
 *
 * Order of writes: a save writes its image durably (lk_file_write_durable)
 * before the row commits, so a committed row always has its file; a
 * failed commit removes the file. Deletes and purges commit first and
 * remove files after, so a crash can only leave files without rows, never
 * rows without files; lk_dt_matches_sweep removes those. Rows store file
 * names, never paths, and a stored name is checked before it is opened or
 * removed. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "dt_matches_int.h"
#include "image/image.h"

#define LK_DTM_PURGE_BATCH 256    /* rows per purge transaction */

typedef char lk_dtm_name[LK_DT_MATCHES_FILE_SIZE];

struct lk_dt_matches_opts lk_dt_matches_default_opts(void)
{
  struct lk_dt_matches_opts o;
  memset(&o, 0, sizeof o);
  o.readers = 2;
  o.busy_timeout_ms = 5000;
  o.jpeg_quality = 90;
  return o;
}

double lk_dtm_now(const struct lk_dt_matches *m)
{
  struct timespec ts;
  if(m->opts.now)
    return m->opts.now(m->opts.now_ctx);
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lk_dtm_unlink(const char *dir, const char *name)
{
  char path[4096];
  if(snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
    return;
  if(unlink(path) && errno != ENOENT)
    lk_log(LK_LOG_WARN, "dt", "cannot remove %s: %s", path, strerror(errno));
}

int lk_dt_matches_filename_ok(const char *name)
{
  static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.jpg";
  size_t i;
  if(!name || strlen(name) != sizeof shape - 1)
    return 0;
  for(i = 0; i < sizeof shape - 1; i++) {
    char c = name[i];
    if(shape[i] == 'x' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                       : c != shape[i])
      return 0;
  }
  return 1;
}

/* A random (version 4) UUID file name, as Double Take names its images. */
static lk_err lk_dtm_new_name(lk_dtm_name name)
{
  unsigned char b[16];
  size_t got = 0;
  while(got < sizeof b) {
    ssize_t r = getrandom(b + got, sizeof b - got, 0);
    if(r < 0 && errno == EINTR)
      continue;
    if(r <= 0)
      return LK_ERR_IO;
    got += (size_t)r;
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);    /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);    /* RFC 4122 variant */
  snprintf(name, LK_DT_MATCHES_FILE_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
           "%02x%02x-%02x%02x%02x%02x%02x%02x.jpg", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
           b[14], b[15]);
  return LK_OK;
}

/* ---- open and close ---------------------------------------------------- */

static char *lk_dtm_join(const char *dir, const char *name)
{
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = lk_malloc(n);
  if(p)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Folders of face images: only this user may read them. */
static lk_err lk_dtm_mkdir(const char *path, char *why)
{
  struct stat sb;
  if(!mkdir(path, 0700) || (errno == EEXIST && !stat(path, &sb) &&
                            S_ISDIR(sb.st_mode)))
    return LK_OK;
  if(why)
    snprintf(why, LK_DT_MATCHES_ERRMAX, "%s: %s", path,
             errno == EEXIST ? "not a folder" : strerror(errno));
  return LK_ERR_IO;
}

static lk_err lk_dtm_check_opts(const struct lk_dt_matches_opts *o,
                                const char *dir, char *why)
{
  const char *bad = NULL;
  if(!dir || !dir[0])
    bad = "no data folder";
  else if(o->readers < 1 || o->readers > LK_DTM_READERS_MAX)
    bad = "readers must be 1..16";
  else if(o->busy_timeout_ms < 0)
    bad = "negative busy timeout";
  else if(o->jpeg_quality < 1 || o->jpeg_quality > 100)
    bad = "jpeg_quality must be 1..100";
  if(bad && why)
    snprintf(why, LK_DT_MATCHES_ERRMAX, "%s", bad);
  return bad ? LK_ERR_INVAL : LK_OK;
}

/* The sweep must not wait behind an endless stream of saves. */
static lk_err lk_dtm_locks_init(struct lk_dt_matches *m)
{
  pthread_rwlockattr_t attr;
  int rc;
  if(pthread_rwlockattr_init(&attr))
    return LK_ERR_NOMEM;
  pthread_rwlockattr_setkind_np(&attr,
                                PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  rc = pthread_rwlock_init(&m->files, &attr);
  pthread_rwlockattr_destroy(&attr);
  if(rc)
    return LK_ERR_NOMEM;
  pthread_mutex_init(&m->write_lock, NULL);
  pthread_mutex_init(&m->pool_lock, NULL);
  pthread_cond_init(&m->pool_freed, NULL);
  return LK_OK;
}

static lk_err lk_dtm_open_all(struct lk_dt_matches *m, const char *dir,
                              char *why)
{
  lk_err err;
  m->db_path = lk_dtm_join(dir, "matches.db");
  m->matches_dir = lk_dtm_join(dir, "matches");
  m->latest_dir = lk_dtm_join(dir, "latest");
  if(!m->db_path || !m->matches_dir || !m->latest_dir)
    return LK_ERR_NOMEM;
  err = lk_dtm_mkdir(dir, why);
  if(!err)
    err = lk_dtm_mkdir(m->matches_dir, why);
  if(!err)
    err = lk_dtm_mkdir(m->latest_dir, why);
  if(!err)
    err = lk_dtm_db_open(&m->writer, m->db_path, &m->opts, 1, why);
  while(!err && m->n_readers < m->opts.readers) {
    err = lk_dtm_db_open(&m->readers[m->n_readers], m->db_path, &m->opts, 0,
                         why);
    if(!err)
      m->idle[m->n_idle++] = m->readers[m->n_readers++];
  }
  return err;
}

lk_err lk_dt_matches_open(struct lk_dt_matches **out, const char *data_dir,
                          const struct lk_dt_matches_opts *opts, char *why)
{
  struct lk_dt_matches *m;
  lk_err err;

  *out = NULL;
  if(why)
    why[0] = '\0';
  m = lk_calloc(1, sizeof *m);
  if(!m)
    return LK_ERR_NOMEM;
  m->opts = opts ? *opts : lk_dt_matches_default_opts();
  err = lk_dtm_check_opts(&m->opts, data_dir, why);
  if(err) {
    lk_free(m);
    return err;
  }
  err = lk_dtm_locks_init(m);
  if(err) {
    lk_free(m);
    return err;
  }
  err = lk_dtm_open_all(m, data_dir, why);
  if(err) {
    lk_dt_matches_close(m);
    return err;
  }
  *out = m;
  return LK_OK;
}

void lk_dt_matches_close(struct lk_dt_matches *m)
{
  int i;
  if(!m)
    return;
  for(i = 0; i < m->n_readers; i++)
    lk_dtm_db_close(m->readers[i]);
  lk_dtm_db_close(m->writer);
  pthread_cond_destroy(&m->pool_freed);
  pthread_mutex_destroy(&m->pool_lock);
  pthread_mutex_destroy(&m->write_lock);
  pthread_rwlock_destroy(&m->files);
  lk_free(m->db_path);
  lk_free(m->matches_dir);
  lk_free(m->latest_dir);
  lk_free(m);
}

/* ---- save -------------------------------------------------------------- */

static lk_err lk_dtm_bad(char *why, const char *what)
{
  if(why)
    snprintf(why, LK_DT_MATCHES_ERRMAX, "%s", what);
  return LK_ERR_INVAL;
}

static int lk_dtm_text_ok(const char *s)
{
  return s && s[0] && strlen(s) <= LK_DT_MATCHES_TEXT_MAX;
}

static lk_err lk_dtm_check_faces(const struct lk_dt_match_new *in, char *why)
{
  int i;
  if(in->n_faces < 0 || in->n_faces > LK_DT_MATCHES_FACES_MAX ||
     (in->n_faces && !in->faces))
    return lk_dtm_bad(why, "faces: 0..256 of them");
  for(i = 0; i < in->n_faces; i++) {
    const struct lk_dt_match_face *f = &in->faces[i];
    if(!lk_dtm_text_ok(f->name) || !lk_dtm_text_ok(f->detector))
      return lk_dtm_bad(why, "a face needs a name and a detector (1..256 "
                        "bytes)");
    if(!(f->confidence >= 0 && f->confidence <= 100))
      return lk_dtm_bad(why, "a face's confidence must be 0..100");
    if(f->width < 0 || f->height < 0)
      return lk_dtm_bad(why, "a face's box has a negative side");
  }
  return LK_OK;
}

static lk_err lk_dtm_check_text(const struct lk_dt_match_new *in, char *why)
{
  cJSON *j;
  int i;
  if(!lk_dtm_text_ok(in->event_id) || !lk_dtm_text_ok(in->camera) ||
     !lk_dtm_text_ok(in->type))
    return lk_dtm_bad(why, "event id, camera and type must be 1..256 bytes");
  if(in->n_zones < 0 || in->n_zones > LK_DT_MATCHES_ZONES_MAX ||
     (in->n_zones && !in->zones))
    return lk_dtm_bad(why, "zones: 0..64 of them");
  for(i = 0; i < in->n_zones; i++)
    if(!lk_dtm_text_ok(in->zones[i]))
      return lk_dtm_bad(why, "a zone must be 1..256 bytes");
  if(!in->result || strlen(in->result) > LK_DT_MATCHES_RESULT_MAX)
    return lk_dtm_bad(why, "result must be JSON text of at most 1 MiB");
  j = cJSON_ParseWithOpts(in->result, NULL, 1);
  if(!j)
    return lk_dtm_bad(why, "result is not JSON");
  cJSON_Delete(j);
  return LK_OK;
}

static lk_err lk_dtm_check_image(const struct lk_dt_match_new *in, int *w,
                                 int *h, char *why)
{
  enum lk_image_format fmt = LK_IMAGE_UNKNOWN;
  if(!in->image || !in->image_len || in->image_len > LK_IMAGE_MAX_BYTES ||
     lk_image_probe(in->image, in->image_len, &fmt, w, h) ||
     fmt != LK_IMAGE_JPEG) {
    if(why)
      snprintf(why, LK_DT_MATCHES_ERRMAX, "image is not a JPEG");
    return LK_ERR_IMAGE;
  }
  return LK_OK;
}

/* The zones as a JSON array, cJSON-allocated. */
static lk_err lk_dtm_zones_json(const struct lk_dt_match_new *in,
                                char **out)
{
  cJSON *a = cJSON_CreateArray(), *s;
  int i;
  *out = NULL;
  for(i = 0; a && i < in->n_zones; i++) {
    s = cJSON_CreateString(in->zones[i]);
    if(!s || !cJSON_AddItemToArray(a, s)) {
      cJSON_Delete(s);
      break;
    }
  }
  if(a && i == in->n_zones)
    *out = cJSON_PrintUnformatted(a);
  cJSON_Delete(a);
  return *out ? LK_OK : LK_ERR_NOMEM;
}

static lk_err lk_dtm_insert_face(struct lk_dtm_db *d, int64_t id, int idx,
                                 const struct lk_dt_match_face *f)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtm_stmt(d, LK_DTM_INSERT_FACE, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int(st, 2, idx);
  sqlite3_bind_text(st, 3, f->detector, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, f->name, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 5, f->confidence);
  sqlite3_bind_int(st, 6, f->match ? 1 : 0);
  sqlite3_bind_int(st, 7, f->left);
  sqlite3_bind_int(st, 8, f->top);
  sqlite3_bind_int(st, 9, f->width);
  sqlite3_bind_int(st, 10, f->height);
  return lk_dtm_run(d, st, "insert face");
}

struct lk_dtm_row_in {
  const struct lk_dt_match_new *in;
  const char *name;
  const char *zones;
  int width, height;
  double now;
};

static lk_err lk_dtm_insert_row(struct lk_dtm_db *d,
                                const struct lk_dtm_row_in *r, int64_t *id)
{
  const struct lk_dt_match_new *in = r->in;
  sqlite3_stmt *st;
  double best = 0;
  int i, any = 0;
  lk_err err = lk_dtm_stmt(d, LK_DTM_INSERT, &st);
  if(err)
    return err;
  for(i = 0; i < in->n_faces; i++) {
    any |= in->faces[i].match != 0;
    best = fmax(best, in->faces[i].confidence);
  }
  sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, in->event_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, in->camera, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, in->type, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, r->zones, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 6, any);
  sqlite3_bind_double(st, 7, best);
  sqlite3_bind_int(st, 8, in->n_faces);
  sqlite3_bind_int(st, 9, r->width);
  sqlite3_bind_int(st, 10, r->height);
  sqlite3_bind_double(st, 11, isfinite(in->duration) ? in->duration : 0);
  sqlite3_bind_int(st, 12, in->attempt);
  sqlite3_bind_text(st, 13, in->result, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 14, r->now);
  err = lk_dtm_run(d, st, "insert match");
  *id = sqlite3_last_insert_rowid(d->db);
  return err;
}

/* The row and its faces in one transaction. */
static lk_err lk_dtm_insert(struct lk_dt_matches *m,
                            const struct lk_dtm_row_in *r, int64_t *id)
{
  int i;
  lk_err err;
  pthread_mutex_lock(&m->write_lock);
  err = lk_dtm_begin(m->writer, 1);
  if(!err)
    err = lk_dtm_insert_row(m->writer, r, id);
  for(i = 0; !err && i < r->in->n_faces; i++)
    err = lk_dtm_insert_face(m->writer, *id, i, &r->in->faces[i]);
  if(!err)
    err = lk_dtm_commit(m->writer);
  if(err)
    lk_dtm_rollback(m->writer);
  pthread_mutex_unlock(&m->write_lock);
  return err;
}

/* The file first, fsync'ed, then the row; the shared files lock keeps
 * the sweep from taking the file in between. */
static lk_err lk_dtm_store(struct lk_dt_matches *m,
                           const struct lk_dtm_row_in *r, int64_t *id,
                           char *why)
{
  lk_err err;
  pthread_rwlock_rdlock(&m->files);
  err = lk_file_write_durable(m->matches_dir, r->name, r->in->image,
                              r->in->image_len);
  if(err) {
    lk_log(LK_LOG_ERROR, "dt", "cannot write %s/%s: %s", m->matches_dir,
           r->name, strerror(errno));
    if(why)
      snprintf(why, LK_DT_MATCHES_ERRMAX, "cannot write the image: %s",
               strerror(errno));
    err = LK_ERR_IO;
  } else {
    err = lk_dtm_insert(m, r, id);
    if(err) {
      lk_dtm_unlink(m->matches_dir, r->name);
      if(why)
        snprintf(why, LK_DT_MATCHES_ERRMAX, "cannot record the match: %s",
                 lk_strerror(err));
    }
  }
  pthread_rwlock_unlock(&m->files);
  return err;
}

lk_err lk_dt_matches_save(struct lk_dt_matches *m,
                          const struct lk_dt_match_new *in, int64_t *id,
                          char *filename, char *why)
{
  struct lk_dtm_row_in r;
  lk_dtm_name name;
  char *zones = NULL;
  lk_err err;

  if(why)
    why[0] = '\0';
  memset(&r, 0, sizeof r);
  r.in = in;
  err = lk_dtm_check_text(in, why);
  if(!err)
    err = lk_dtm_check_faces(in, why);
  if(!err)
    err = lk_dtm_check_image(in, &r.width, &r.height, why);
  if(!err)
    err = lk_dtm_zones_json(in, &zones);
  if(!err)
    err = lk_dtm_new_name(name);
  if(!err) {
    r.name = name;
    r.zones = zones;
    r.now = lk_dtm_now(m);
    err = lk_dtm_store(m, &r, id, why);
  }
  cJSON_free(zones);
  if(!err)
    memcpy(filename, name, sizeof name);
  return err;
}

/* ---- delete, purge ----------------------------------------------------- */

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
  lk_err err;
  pthread_mutex_lock(&m->write_lock);
  err = lk_dtm_begin(m->writer, 1);
  if(!err)
    err = lk_dtm_stmt(m->writer, LK_DTM_DELETE, &st);
  for(i = 0; !err && i < n; i++) {
    sqlite3_bind_int64(st, 1, ids[i]);
    err = lk_dtm_take(m->writer, st, names, n, n_names, rows);
  }
  if(!err)
    err = lk_dtm_commit(m->writer);
  if(err)
    lk_dtm_rollback(m->writer);
  pthread_mutex_unlock(&m->write_lock);
  return err;
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
  lk_err err;
  pthread_mutex_lock(&m->write_lock);
  err = lk_dtm_begin(m->writer, 1);
  if(!err)
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
  if(!err)
    err = lk_dtm_commit(m->writer);
  if(err)
    lk_dtm_rollback(m->writer);
  pthread_mutex_unlock(&m->write_lock);
  return err;
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

lk_err lk_dt_matches_image(struct lk_dt_matches *m, const char *filename,
                           struct lk_arena *arena,
                           const unsigned char **data, size_t *len)
{
  char path[4096];
  *data = NULL;
  *len = 0;
  if(!lk_dt_matches_filename_ok(filename))
    return LK_ERR_DENIED;
  if(snprintf(path, sizeof path, "%s/%s", m->matches_dir, filename) >=
     (int)sizeof path)
    return LK_ERR_NOT_FOUND;
  return lk_file_read_arena(path, LK_IMAGE_MAX_BYTES, arena, data, len);
}
