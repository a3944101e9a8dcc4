/* dt_train.c - the training store's handle and what adds to it: opening,
 * names and paths, the folders, adding a photo, and reading one back
 * (whole or as a thumbnail). Listing, moving, untraining and the sync
 * from disk are in dt_train_ops.c, the worker in dt_train_worker.c, the
 * SQL in dt_train_db.c.
 *
 * Every name that becomes a path passes lk_dtt_segment_ok first, so a
 * folder or file name from a request or from disk never leaves
 * DATA/train. A photo is written durably (lk_file_write_durable) before
 * its row commits; a failed commit removes the file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "dt_train_int.h"
#include "image/image.h"
#include "pipeline/pipeline.h"

#define LK_DTT_STEM_MAX 100       /* bytes of the client's name we keep */
#define LK_DTT_PATH_MAX 4096

/* why buffers are handed to the image decoder and back */
_Static_assert(LK_DT_TRAIN_ERRMAX >= LK_IMAGE_ERRMAX, "why sizes");

struct lk_dt_train_opts lk_dt_train_default_opts(void)
{
  struct lk_dt_train_opts o;
  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = 5000;
  o.queue_max = 100000;
  return o;
}

double lk_dtt_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int lk_dtt_path(char *buf, size_t size, const char *dir, const char *a,
                const char *b)
{
  int n = b ? snprintf(buf, size, "%s/%s/%s", dir, a, b)
            : snprintf(buf, size, "%s/%s", dir, a);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- names -------------------------------------------------------------- */

/* Bytes in the UTF-8 character at s (n bytes left); 0 when it is not a
 * valid one (overlong forms, surrogates, past U+10FFFF included). */
static size_t lk_dtt_utf8(const unsigned char *s, size_t n)
{
  unsigned c = s[0], cp;
  size_t k, i;
  if(c < 0x80)
    return 1;
  if(c >= 0xc2 && c <= 0xdf)
    k = 2, cp = c & 0x1f;
  else if(c >= 0xe0 && c <= 0xef)
    k = 3, cp = c & 0x0f;
  else if(c >= 0xf0 && c <= 0xf4)
    k = 4, cp = c & 0x07;
  else
    return 0;
  if(k > n)
    return 0;
  for(i = 1; i < k; i++) {
    if((s[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3fu);
  }
  if((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
     (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return k;
}

int lk_dtt_segment_ok(const char *s, size_t max)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t n, i, k;
  if(!s || !s[0] || s[0] == '.' || strstr(s, ".."))
    return 0;
  n = strlen(s);
  if(n > max)
    return 0;
  for(i = 0; i < n; i += k) {
    k = lk_dtt_utf8(u + i, n - i);
    /* a backslash is a separator to Windows clients of the UI */
    if(!k || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f || u[i] == '/' ||
                         u[i] == '\\')))
      return 0;
  }
  return 1;
}

int lk_dt_train_name_ok(const char *name)
{
  return lk_dtt_segment_ok(name, LK_DT_TRAIN_NAME_MAX);
}

static int lk_dtt_plain(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ' ';
}

/* The client's file name without folders or extension, kept to letters,
 * digits, "-", "_", spaces and whole UTF-8 characters (any other byte
 * becomes "_"), at most LK_DTT_STEM_MAX bytes; "image" when nothing is
 * left. out: LK_DTT_STEM_MAX + 1 bytes. */
static void lk_dtt_stem(char *out, const char *orig)
{
  const char *b = orig ? orig : "", *dot, *p;
  size_t n = 0, k, end, i;
  for(p = b; *p; p++)
    if(*p == '/' || *p == '\\')
      b = p + 1;
  dot = strrchr(b, '.');
  end = dot && dot > b ? (size_t)(dot - b) : strlen(b);
  for(i = 0; i < end; i += k) {
    k = lk_dtt_utf8((const unsigned char *)b + i, end - i);
    if(k > 1) {
      if(n + k <= LK_DTT_STEM_MAX)
        memcpy(out + n, b + i, k);
      n += n + k <= LK_DTT_STEM_MAX ? k : 0;
      continue;
    }
    k = 1;
    if(n < LK_DTT_STEM_MAX)
      out[n++] = lk_dtt_plain(b[i]) ? b[i] : '_';
  }
  out[n] = '\0';
  if(!n)
    snprintf(out, LK_DTT_STEM_MAX + 1, "image");
}

/* ---- images ------------------------------------------------------------- */

lk_err lk_dtt_probe(const void *img, size_t len, int *width, int *height,
                    const char **ext, char *why)
{
  enum lk_image_format f = lk_image_sniff(img, len);
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_arena *a;
  struct lk_image im;
  lk_err err;

  *width = *height = 0;
  if(f != LK_IMAGE_JPEG && f != LK_IMAGE_PNG) {
    if(why)
      snprintf(why, LK_DT_TRAIN_ERRMAX, "%s: only JPEG and PNG are taken",
               f ? lk_image_format_name(f) : "not an image");
    return f ? LK_ERR_UNSUPPORTED : LK_ERR_IMAGE;
  }
  /* JPEGs decode scaled down in the DCT domain: every byte is still read
   * and checked, at a fraction of the memory */
  o.min_side = 16;
  a = lk_arena_create(0);
  if(!a)
    return LK_ERR_NOMEM;
  err = lk_image_decode(img, len, &o, a, &im, why);
  if(!err) {
    int turned = im.orientation >= 5;      /* 5..8 swap the sides */
    *width = turned ? im.src_height : im.src_width;
    *height = turned ? im.src_width : im.src_height;
    *ext = f == LK_IMAGE_PNG ? "png" : "jpg";
  }
  lk_arena_destroy(a);
  return err;
}

/* The mean of in's pixels in [x0, x1) x [y0, y1) into px. */
static void lk_dtt_box(const struct lk_image *in, int x0, int x1, int y0,
                       int y1, unsigned char *px)
{
  unsigned long sum[3] = { 0, 0, 0 }, n = (unsigned long)(x1 - x0) *
                                          (unsigned long)(y1 - y0);
  int x, y, c;
  for(y = y0; y < y1; y++) {
    const unsigned char *row = in->rgb + ((size_t)y * in->width + x0) * 3;
    for(x = 0; x < (x1 - x0) * 3; x += 3)
      for(c = 0; c < 3; c++)
        sum[c] += row[x + c];
  }
  for(c = 0; c < 3; c++)
    px[c] = (unsigned char)((sum[c] + n / 2) / n);
}

/* Area-average downscale: every source pixel counts once, so thumbnails
 * of photos do not alias. */
static void lk_dtt_shrink(const struct lk_image *in, struct lk_image *out)
{
  int x, y;
  for(y = 0; y < out->height; y++) {
    int y0 = (int)((long long)y * in->height / out->height);
    int y1 = (int)((long long)(y + 1) * in->height / out->height);
    for(x = 0; x < out->width; x++) {
      int x0 = (int)((long long)x * in->width / out->width);
      int x1 = (int)((long long)(x + 1) * in->width / out->width);
      lk_dtt_box(in, x0, x1 > x0 ? x1 : x0 + 1, y0, y1 > y0 ? y1 : y0 + 1,
                 out->rgb + ((size_t)y * out->width + x) * 3);
    }
  }
}

/* Double Take's ?thumb (sharp: resize(width), jpeg(quality)), except that
 * a smaller photo is not enlarged. */
static lk_err lk_dtt_thumb(const unsigned char *src, size_t n, int width,
                           int quality, struct lk_arena *arena,
                           const unsigned char **data, size_t *len)
{
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_image in, out;
  unsigned char *jpg = NULL, *copy;
  size_t jlen = 0;
  lk_err err;

  o.min_side = width;
  err = lk_image_decode(src, n, &o, arena, &in, NULL);
  if(err)
    return err;
  out = in;
  if(in.width > width) {
    out.width = width;
    out.height = (int)(((long long)in.height * width + in.width / 2) /
                       in.width);
    out.height = out.height > 0 ? out.height : 1;
    out.rgb = lk_arena_alloc(arena, (size_t)out.width * out.height * 3);
    if(!out.rgb)
      return LK_ERR_NOMEM;
    lk_dtt_shrink(&in, &out);
  }
  err = lk_image_encode_jpeg(&out, quality, &jpg, &jlen);
  copy = err ? NULL : lk_arena_alloc(arena, jlen);
  if(copy)
    memcpy(copy, jpg, jlen);
  lk_free(jpg);
  if(!err && !copy)
    return LK_ERR_NOMEM;
  *data = copy;
  *len = jlen;
  return err;
}

lk_err lk_dt_train_image(struct lk_dt_train *t, const char *name,
                         const char *filename, int thumb_width, int quality,
                         struct lk_arena *arena, const unsigned char **data,
                         size_t *len, const char **type)
{
  char path[LK_DTT_PATH_MAX];
  enum lk_image_format f;
  lk_err err;

  *data = NULL;
  *len = 0;
  *type = NULL;
  if(!lk_dt_train_name_ok(name) ||
     !lk_dtt_segment_ok(filename, LK_DT_TRAIN_FILE_MAX) ||
     (thumb_width > 0 && (quality < 1 || quality > 100)))
    return LK_ERR_INVAL;
  if(lk_dtt_path(path, sizeof path, t->train_dir, name, filename))
    return LK_ERR_NOT_FOUND;
  err = lk_file_read_arena(path, LK_IMAGE_MAX_BYTES, arena, data, len);
  if(err)
    return err;
  f = lk_image_sniff(*data, *len);
  *type = f == LK_IMAGE_PNG ? "image/png"
          : f == LK_IMAGE_JPEG ? "image/jpeg" : "application/octet-stream";
  if(thumb_width <= 0)
    return LK_OK;
  *type = "image/jpeg";
  return lk_dtt_thumb(*data, *len, thumb_width, quality, arena, data, len);
}

/* ---- the queue ---------------------------------------------------------- */

static lk_err lk_dtt_count(struct lk_dt_train *t, enum lk_dtt_sql id,
                           int64_t *n)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, id, &st);
  int rc;
  if(err)
    return err;
  rc = sqlite3_step(st);
  *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  lk_dtt_reset(st);
  return rc == SQLITE_ROW ? LK_OK : lk_dtt_err(t, rc, "count");
}

lk_err lk_dtt_queue_room(struct lk_dt_train *t, long more)
{
  int64_t n = 0;
  lk_err err = lk_dtt_count(t, LK_DTT_QUEUED, &n);
  if(!err && n + more > t->opts.queue_max)
    err = LK_ERR_BUSY;
  return err;
}

lk_err lk_dtt_queue_file(struct lk_dt_train *t, int64_t id)
{
  sqlite3_stmt *st;
  double now = lk_dtt_now();
  lk_err err = LK_OK;
  int i;
  for(i = 0; i < t->n_kinds && !err; i++) {
    err = lk_dtt_stmt(t, LK_DTT_QUEUE, &st);
    if(err)
      break;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, lk_dt_detector_name(t->kinds[i]), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ++t->seq);
    sqlite3_bind_double(st, 4, now);
    err = lk_dtt_run(t, st, "queue");
  }
  return err;
}

/* ---- folders ------------------------------------------------------------ */

/* Folders of face photos: only this user may read them. */
static lk_err lk_dtt_mkdir(const char *path, char *why)
{
  struct stat sb;
  if(!mkdir(path, 0700) || (errno == EEXIST && !stat(path, &sb) &&
                            S_ISDIR(sb.st_mode)))
    return LK_OK;
  if(why)
    snprintf(why, LK_DT_TRAIN_ERRMAX, "%.160s: %s", path,
             errno == EEXIST ? "not a folder" : strerror(errno));
  return LK_ERR_IO;
}

lk_err lk_dt_train_folder_create(struct lk_dt_train *t, const char *name)
{
  char path[LK_DTT_PATH_MAX], why[LK_DT_TRAIN_ERRMAX];
  lk_err err;
  if(!lk_dt_train_name_ok(name))
    return LK_ERR_INVAL;
  if(lk_dtt_path(path, sizeof path, t->train_dir, name, NULL))
    return LK_ERR_INVAL;
  pthread_mutex_lock(&t->db);
  err = lk_dtt_mkdir(path, why);
  pthread_mutex_unlock(&t->db);
  if(err)
    lk_log(LK_LOG_ERROR, "dt", "%s", why);
  return err;
}

static int lk_dtt_is_dir(const char *dir, const struct dirent *e)
{
  char path[LK_DTT_PATH_MAX];
  struct stat sb;
  if(e->d_type != DT_UNKNOWN)
    return e->d_type == DT_DIR;
  return !lk_dtt_path(path, sizeof path, dir, e->d_name, NULL) &&
         !lstat(path, &sb) && S_ISDIR(sb.st_mode);
}

static int lk_dtt_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

lk_err lk_dt_train_folders(struct lk_dt_train *t, struct lk_arena *arena,
                           const char ***names, int *n)
{
  const char **v = NULL, **g;
  struct dirent *e;
  int cap = 0;
  DIR *d = opendir(t->train_dir);
  lk_err err = d ? LK_OK : LK_ERR_IO;

  *names = NULL;
  *n = 0;
  while(!err && (e = readdir(d))) {
    if(!lk_dt_train_name_ok(e->d_name) || !lk_dtt_is_dir(t->train_dir, e))
      continue;
    if(*n == cap) {
      cap = cap ? cap * 2 : 16;
      g = lk_arena_alloc(arena, (size_t)cap * sizeof *g);
      if(g && *n)
        memcpy(g, v, (size_t)*n * sizeof *g);
      v = g;
    }
    if(v)
      v[*n] = lk_arena_strdup(arena, e->d_name);
    if(!v || !v[*n])
      err = LK_ERR_NOMEM;
    else
      (*n)++;
  }
  if(d)
    closedir(d);
  if(!err && *n)
    qsort(v, (size_t)*n, sizeof *v, lk_dtt_cmp);
  *names = err ? NULL : v;
  *n = err ? 0 : *n;
  return err;
}

/* ---- adding a photo ----------------------------------------------------- */

/* A file name that is not taken: <stem>-<unixms>.<ext>, the time moved on
 * by a millisecond for each name already used (two uploads in one ms).
 * The caller holds the db lock. */
static lk_err lk_dtt_new_file(struct lk_dt_train *t, const char *dir,
                              const char *stem, const char *ext,
                              char file[LK_DT_TRAIN_FILE_MAX + 1])
{
  char path[LK_DTT_PATH_MAX];
  int64_t ms = (int64_t)(lk_dtt_now() * 1000.0);
  int tries;
  for(tries = 0; tries < 1000; tries++) {
    ms = ms > t->last_ms ? ms : t->last_ms + 1;
    t->last_ms = ms;
    snprintf(file, LK_DT_TRAIN_FILE_MAX + 1, "%s-%lld.%s", stem,
             (long long)ms, ext);
    if(lk_dtt_path(path, sizeof path, dir, file, NULL))
      return LK_ERR_INVAL;
    if(access(path, F_OK) && errno == ENOENT)
      return LK_OK;
  }
  return LK_ERR_EXISTS;
}

/* The photo's row and its queued rows, in one transaction. */
static lk_err lk_dtt_insert(struct lk_dt_train *t, const char *name,
                            const char *file, int w, int h, int64_t *id)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_begin(t);
  if(!err)
    err = lk_dtt_stmt(t, LK_DTT_FILE_INSERT, &st);
  if(!err) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, w);
    sqlite3_bind_int(st, 4, h);
    sqlite3_bind_double(st, 5, lk_dtt_now());
    err = lk_dtt_run(t, st, "add photo");
  }
  if(!err) {
    *id = sqlite3_last_insert_rowid(t->conn);
    err = lk_dtt_queue_file(t, *id);
  }
  return lk_dtt_end(t, err);
}

/* Under the db lock: room in the queue, the folder, the file, the rows. */
static lk_err lk_dtt_add_locked(struct lk_dt_train *t, const char *name,
                                const void *img, size_t len,
                                const char *stem, const char *ext, int w,
                                int h, int64_t *id, char *why)
{
  char dir[LK_DTT_PATH_MAX], file[LK_DT_TRAIN_FILE_MAX + 1];
  char path[LK_DTT_PATH_MAX];
  lk_err err = lk_dtt_queue_room(t, t->n_kinds);
  if(err) {
    if(why && err == LK_ERR_BUSY)
      snprintf(why, LK_DT_TRAIN_ERRMAX, "the training queue is full");
    return err;
  }
  if(lk_dtt_path(dir, sizeof dir, t->train_dir, name, NULL))
    return LK_ERR_INVAL;
  err = lk_dtt_mkdir(dir, why);
  if(!err)
    err = lk_dtt_new_file(t, dir, stem, ext, file);
  if(!err && lk_file_write_durable(dir, file, img, len)) {
    if(why)
      snprintf(why, LK_DT_TRAIN_ERRMAX, "%.100s/%.100s: %s", dir, file,
               strerror(errno));
    err = LK_ERR_IO;
  }
  if(err)
    return err;
  err = lk_dtt_insert(t, name, file, w, h, id);
  if(err && !lk_dtt_path(path, sizeof path, dir, file, NULL))
    unlink(path);
  return err;
}

lk_err lk_dt_train_add(struct lk_dt_train *t, const char *name,
                       const void *img, size_t len, const char *orig,
                       int64_t *id, char *why)
{
  char stem[LK_DTT_STEM_MAX + 1];
  const char *ext = NULL;
  int64_t rid = 0;
  int w, h;
  lk_err err;

  if(why)
    why[0] = '\0';
  if(id)
    *id = 0;
  if(!lk_dt_train_name_ok(name)) {
    if(why)
      snprintf(why, LK_DT_TRAIN_ERRMAX, "invalid name");
    return LK_ERR_INVAL;
  }
  err = lk_dtt_probe(img, len, &w, &h, &ext, why);
  if(err)
    return err;
  lk_dtt_stem(stem, orig);
  pthread_mutex_lock(&t->db);
  err = lk_dtt_add_locked(t, name, img, len, stem, ext, w, h, &rid, why);
  pthread_mutex_unlock(&t->db);
  if(err)
    return err;
  if(id)
    *id = rid;
  lk_dtt_kick(t);
  return LK_OK;
}

/* ---- open and close ----------------------------------------------------- */

static char *lk_dtt_join(const char *dir, const char *name)
{
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = lk_malloc(n);
  if(p)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Every enabled detector this store can teach: rekognition has no client
 * here (as in the event path), likeness needs the pipeline. */
static void lk_dtt_kinds(struct lk_dt_train *t)
{
  const struct lk_dt_config *c = t->opts.cfg;
  int k;
  for(k = 0; k < LK_DT_DETECTORS; k++) {
    if(!c->detectors[k].enabled || k == LK_DT_REKOGNITION ||
       (k == LK_DT_LIKENESS ? !t->opts.pipe : !c->detectors[k].url))
      continue;
    t->kinds[t->n_kinds++] = (enum lk_dt_detector_kind)k;
  }
}

static lk_err lk_dtt_check_opts(const struct lk_dt_train_opts *o,
                                const char *dir, char *why)
{
  const char *bad = NULL;
  if(!dir || !dir[0])
    bad = "no data folder";
  else if(!o->cfg)
    bad = "no Double Take config";
  else if(o->busy_timeout_ms < 0)
    bad = "negative busy timeout";
  else if(o->queue_max < 1)
    bad = "queue_max must be at least 1";
  if(bad && why)
    snprintf(why, LK_DT_TRAIN_ERRMAX, "%s", bad);
  return bad ? LK_ERR_INVAL : LK_OK;
}

static lk_err lk_dtt_open_all(struct lk_dt_train *t, const char *dir,
                              char *why)
{
  lk_err err;
  t->train_dir = lk_dtt_join(dir, "train");
  t->db_path = lk_dtt_join(dir, "train.db");
  if(!t->train_dir || !t->db_path)
    return LK_ERR_NOMEM;
  err = lk_dtt_mkdir(dir, why);
  if(!err)
    err = lk_dtt_mkdir(t->train_dir, why);
  if(!err)
    err = lk_dtt_db_open(t, why);
  if(!err) {
    err = lk_dt_train_sync(t, NULL, NULL);
    if(err && why)
      snprintf(why, LK_DT_TRAIN_ERRMAX, "%.200s: sync: %s", t->train_dir,
               lk_strerror(err));
  }
  if(!err)
    err = lk_dtt_worker_start(t);
  return err;
}

lk_err lk_dt_train_open(struct lk_dt_train **out, const char *data_dir,
                        const struct lk_dt_train_opts *opts, char *why)
{
  struct lk_dt_train *t;
  lk_err err;

  *out = NULL;
  if(why)
    why[0] = '\0';
  if(!opts) {
    if(why)
      snprintf(why, LK_DT_TRAIN_ERRMAX, "no options");
    return LK_ERR_INVAL;
  }
  err = lk_dtt_check_opts(opts, data_dir, why);
  if(err)
    return err;
  t = lk_calloc(1, sizeof *t);
  if(!t)
    return LK_ERR_NOMEM;
  t->opts = *opts;
  lk_dtt_kinds(t);
  pthread_mutex_init(&t->gallery, NULL);
  pthread_mutex_init(&t->db, NULL);
  pthread_mutex_init(&t->q, NULL);
  pthread_cond_init(&t->wake, NULL);
  pthread_cond_init(&t->idle_cv, NULL);
  err = lk_dtt_open_all(t, data_dir, why);
  if(err) {
    lk_dt_train_close(t);
    return err;
  }
  *out = t;
  return LK_OK;
}

void lk_dt_train_close(struct lk_dt_train *t)
{
  if(!t)
    return;
  lk_dtt_worker_stop(t);
  lk_dtt_db_close(t);
  pthread_cond_destroy(&t->idle_cv);
  pthread_cond_destroy(&t->wake);
  pthread_mutex_destroy(&t->q);
  pthread_mutex_destroy(&t->db);
  pthread_mutex_destroy(&t->gallery);
  lk_free(t->train_dir);
  lk_free(t->db_path);
  lk_free(t);
}
