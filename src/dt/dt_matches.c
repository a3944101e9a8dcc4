/* dt_matches.c - the matches store's handle and what adds to it: opening
 * the folders and the database, saving an image with its row, updating a
 * reprocessed row, reading an image back. Deletes, the purge and the sweep
 * are in dt_matches_purge.c, reads of rows in dt_matches_list.c, the SQL
 * in dt_matches_db.c, latest images in dt_latest.c.
 *
 * Order of writes: a save writes its image durably (lk_file_write_durable)
 * before the row commits, so a committed row always has its file; a
 * failed commit removes the file. Rows store file names, never paths, and
 * a name is checked (lk_dt_matches_filename_ok) before a path is built
 * from it. */
#include <cjson/cJSON.h>
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

static lk_err lk_dtm_check_faces(const struct lk_dt_match_face *faces,
                                 int n, char *why)
{
  int i;
  if(n < 0 || n > LK_DT_MATCHES_FACES_MAX || (n && !faces))
    return lk_dtm_bad(why, "faces: 0..256 of them");
  for(i = 0; i < n; i++) {
    const struct lk_dt_match_face *f = &faces[i];
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

/* Kept verbatim, but it must be JSON: the API hands it out as such. */
static lk_err lk_dtm_check_result(const char *result, char *why)
{
  cJSON *j;
  if(!result || strlen(result) > LK_DT_MATCHES_RESULT_MAX)
    return lk_dtm_bad(why, "result must be JSON text of at most 1 MiB");
  j = cJSON_ParseWithOpts(result, NULL, 1);
  if(!j)
    return lk_dtm_bad(why, "result is not JSON");
  cJSON_Delete(j);
  return LK_OK;
}

static lk_err lk_dtm_check_text(const struct lk_dt_match_new *in, char *why)
{
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
  return lk_dtm_check_result(in->result, why);
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

lk_err lk_dtm_json_strings(const char *const *list, int n, char **out)
{
  cJSON *a = n > 0 ? cJSON_CreateStringArray(list, n) : cJSON_CreateArray();
  *out = a ? cJSON_PrintUnformatted(a) : NULL;
  cJSON_Delete(a);
  return *out ? LK_OK : LK_ERR_NOMEM;
}

/* What the row keeps of its faces for the purge and the list. */
static void lk_dtm_stats(const struct lk_dt_match_face *faces, int n,
                         int *any, double *best)
{
  int i;
  *any = 0;
  *best = 0;
  for(i = 0; i < n; i++) {
    *any |= faces[i].match != 0;
    *best = fmax(*best, faces[i].confidence);
  }
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
  double best;
  int any;
  lk_err err = lk_dtm_stmt(d, LK_DTM_INSERT, &st);
  if(err)
    return err;
  lk_dtm_stats(in->faces, in->n_faces, &any, &best);
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

static lk_err lk_dtm_insert_faces(struct lk_dtm_db *d, int64_t id,
                                  const struct lk_dt_match_face *faces,
                                  int n)
{
  int i;
  lk_err err = LK_OK;
  for(i = 0; !err && i < n; i++)
    err = lk_dtm_insert_face(d, id, i, &faces[i]);
  return err;
}

/* The row and its faces in one transaction. */
static lk_err lk_dtm_insert(struct lk_dt_matches *m,
                            const struct lk_dtm_row_in *r, int64_t *id)
{
  lk_err err = lk_dtm_write_begin(m);
  if(err)
    return err;
  err = lk_dtm_insert_row(m->writer, r, id);
  if(!err)
    err = lk_dtm_insert_faces(m->writer, *id, r->in->faces, r->in->n_faces);
  return lk_dtm_write_end(m, err);
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
    int e = errno;
    lk_log(LK_LOG_ERROR, "dt", "cannot write %s/%s: %s", m->matches_dir,
           r->name, strerror(e));
    if(why)
      snprintf(why, LK_DT_MATCHES_ERRMAX, "cannot write the image: %s",
               strerror(e));
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
  if(!in)
    return lk_dtm_bad(why, "nothing to save");
  memset(&r, 0, sizeof r);
  r.in = in;
  err = lk_dtm_check_text(in, why);
  if(!err)
    err = lk_dtm_check_faces(in->faces, in->n_faces, why);
  if(!err)
    err = lk_dtm_check_image(in, &r.width, &r.height, why);
  if(!err)
    err = lk_dtm_json_strings(in->zones, in->n_zones, &zones);
  if(!err)
    err = lk_dtm_new_name(name);
  if(!err) {
    r.name = name;
    r.zones = zones;
    r.now = lk_dtm_now(m);
    err = lk_dtm_store(m, &r, id ? id : &(int64_t){ 0 }, why);
  }
  cJSON_free(zones);
  if(!err && filename)
    memcpy(filename, name, sizeof name);
  return err;
}

/* ---- update ------------------------------------------------------------ */

static lk_err lk_dtm_update_row(struct lk_dtm_db *d, int64_t id,
                                const struct lk_dt_match_face *faces, int n,
                                const char *result, double now)
{
  sqlite3_stmt *st;
  double best;
  int any;
  lk_err err = lk_dtm_stmt(d, LK_DTM_UPDATE, &st);
  if(err)
    return err;
  lk_dtm_stats(faces, n, &any, &best);
  sqlite3_bind_int(st, 1, any);
  sqlite3_bind_double(st, 2, best);
  sqlite3_bind_int(st, 3, n);
  sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 5, now);
  sqlite3_bind_int64(st, 6, id);
  err = lk_dtm_run(d, st, "update match");
  if(!err && !sqlite3_changes(d->db))
    return LK_ERR_NOT_FOUND;
  if(!err)
    err = lk_dtm_stmt(d, LK_DTM_DELETE_FACES, &st);
  if(!err) {
    sqlite3_bind_int64(st, 1, id);
    err = lk_dtm_run(d, st, "replace faces");
  }
  return err ? err : lk_dtm_insert_faces(d, id, faces, n);
}

lk_err lk_dt_matches_update(struct lk_dt_matches *m, int64_t id,
                            const struct lk_dt_match_face *faces, int n_faces,
                            const char *result, char *why)
{
  lk_err err;
  if(why)
    why[0] = '\0';
  err = lk_dtm_check_faces(faces, n_faces, why);
  if(!err)
    err = lk_dtm_check_result(result, why);
  if(!err)
    err = lk_dtm_write_begin(m);
  if(err)
    return err;
  err = lk_dtm_update_row(m->writer, id, faces, n_faces, result,
                          lk_dtm_now(m));
  return lk_dtm_write_end(m, err);
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
