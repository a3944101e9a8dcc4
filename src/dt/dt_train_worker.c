/* dt_train_worker.c - the training store's worker and the detector side:
 * teaching one queued row (photo x detector) at a time, oldest first, as
 * Double Take's train.util queue does, and untraining a name.
 *
 * likeness registers the photo's largest face under the folder's name and
 * tags it in the gallery ({"source":"dt-train","file_id":N}), so an
 * untrain removes exactly the faces this store made, even those whose
 * rows a folder delete dropped, and never faces another API added.
 * External detectors are asked through dt_remote, one image per call. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "base/log.h"
#include "dt/dt_remote.h"
#include "dt_train_int.h"
#include "image/image.h"
#include "pipeline/pipeline.h"

#define LK_DTT_SOURCE "dt-train"          /* the tag on our gallery faces */
#define LK_DTT_ARENA_MAX ((size_t)1 << 30) /* one photo's decode and nets */
#define LK_DTT_RETRY_S 1                   /* after a database error */
#define LK_DTT_PAGE 500                    /* gallery faces read at once */
#define LK_DTT_PATH_MAX 4096

/* One queued row, as the worker took it. */
struct lk_dtt_job {
  int64_t file_id;
  const char *detector;
  int64_t seq;
  int64_t face_id;          /* likeness's face from before; 0: none */
  const char *name;
  const char *filename;
};

/* What teaching one row gave. */
struct lk_dtt_outcome {
  int status;
  cJSON *result;            /* {"status":...}; NULL: out of memory */
  int64_t face_id;
};

/* A growing list of ids (faces to delete). */
struct lk_dtt_ids {
  int64_t *v;
  long n, cap;
};

static lk_err lk_dtt_ids_push(struct lk_dtt_ids *l, int64_t id)
{
  int64_t *g;
  if(l->n == l->cap) {
    long cap = l->cap ? l->cap * 2 : 32;
    g = lk_realloc(l->v, (size_t)cap * sizeof *g);
    if(!g)
      return LK_ERR_NOMEM;
    l->v = g;
    l->cap = cap;
  }
  l->v[l->n++] = id;
  return LK_OK;
}

static void lk_dtt_remote(struct lk_dt_train *t, enum lk_dt_detector_kind k,
                          struct lk_dt_remote *r)
{
  const struct lk_dt_detector *d = &t->opts.cfg->detectors[k];
  memset(r, 0, sizeof *r);
  r->kind = k;
  r->url = d->url;
  r->key = d->key;
  r->timeout_s = (int)d->timeout;
  r->det_prob_threshold = d->det_prob_threshold;
  r->face_plugins = d->face_plugins;
}

/* ---- teaching one row --------------------------------------------------- */

static void lk_dtt_outcome(struct lk_dtt_outcome *o, int status,
                           const char *message)
{
  o->status = status;
  o->result = cJSON_CreateObject();
  if(o->result && (!cJSON_AddNumberToObject(o->result, "status", status) ||
                   (message &&
                    !cJSON_AddStringToObject(o->result, "message", message)))) {
    cJSON_Delete(o->result);
    o->result = NULL;
  }
}

static void lk_dtt_likeness(struct lk_dt_train *t,
                            const struct lk_dtt_job *job,
                            const unsigned char *img, size_t len,
                            struct lk_arena *a, struct lk_dtt_outcome *o)
{
  struct lk_pipeline_result res;
  char meta[96], why[LK_PIPELINE_ERRMAX] = "";
  int64_t id = 0;
  lk_err err;

  /* trained again (moved, retrained): the old face goes first */
  if(job->face_id) {
    err = lk_pipeline_face_delete(t->opts.pipe, job->face_id);
    if(err && err != LK_ERR_NOT_FOUND)
      lk_log(LK_LOG_WARN, "dt", "train: face %lld stays: %s",
             (long long)job->face_id, lk_strerror(err));
  }
  snprintf(meta, sizeof meta, "{\"source\":\"" LK_DTT_SOURCE "\","
           "\"file_id\":%lld}", (long long)job->file_id);
  err = lk_pipeline_register_result(t->opts.pipe, job->name, img, len, meta,
                                    a, &res, &id, why);
  if(err == LK_ERR_NO_FACE)
    lk_dtt_outcome(o, 400, "no face found in the image");
  else if(err == LK_ERR_IMAGE || err == LK_ERR_UNSUPPORTED ||
          err == LK_ERR_TOO_LARGE)
    lk_dtt_outcome(o, 400, why[0] ? why : lk_strerror(err));
  else if(err)
    lk_dtt_outcome(o, 500, why[0] ? why : lk_strerror(err));
  else
    lk_dtt_outcome(o, 200, NULL);
  if(err || !o->result)
    return;
  o->face_id = id;
  if(!cJSON_AddStringToObject(o->result, "subject", job->name) ||
     !cJSON_AddNumberToObject(o->result, "face_id", (double)id) ||
     !cJSON_AddNumberToObject(o->result, "faces", res.n_faces)) {
    cJSON_Delete(o->result);
    o->result = NULL;
  }
}

static void lk_dtt_external(struct lk_dt_train *t, enum lk_dt_detector_kind k,
                            const struct lk_dtt_job *job,
                            const unsigned char *img, size_t len,
                            struct lk_dtt_outcome *o)
{
  struct lk_dt_remote r;
  char why[LK_DT_REMOTE_ERRMAX] = "", bad[LK_DT_TRAIN_ERRMAX] = "";
  const char *ext;
  int w, h;
  lk_err err;
  /* a photo dropped in by hand may be anything: no detector is asked
   * about bytes that are not an image */
  if(lk_dtt_probe(img, len, &w, &h, &ext, bad)) {
    lk_dtt_outcome(o, 400, bad);
    return;
  }
  lk_dtt_remote(t, k, &r);
  err = lk_dt_remote_train(&r, job->name, img, len, why);
  lk_dtt_outcome(o, err ? 500 : 200,
                 err ? (why[0] ? why : lk_strerror(err)) : NULL);
}

static void lk_dtt_teach(struct lk_dt_train *t, const struct lk_dtt_job *job,
                         struct lk_arena *a, struct lk_dtt_outcome *o)
{
  char path[LK_DTT_PATH_MAX], msg[LK_DTT_PATH_MAX + 32];
  const unsigned char *img = NULL;
  size_t len = 0;
  int i;
  lk_err err = lk_dtt_path(path, sizeof path, t->train_dir, job->name,
                           job->filename)
               ? LK_ERR_NOT_FOUND
               : lk_file_read_arena(path, LK_IMAGE_MAX_BYTES, a, &img, &len);

  memset(o, 0, sizeof *o);
  if(err) {
    snprintf(msg, sizeof msg, "%s/%s: %s", job->name, job->filename,
             lk_strerror(err));
    lk_dtt_outcome(o, err == LK_ERR_NOT_FOUND ? 404 : 500, msg);
    return;
  }
  for(i = 0; i < t->n_kinds; i++) {
    if(strcmp(lk_dt_detector_name(t->kinds[i]), job->detector))
      continue;
    if(t->kinds[i] == LK_DT_LIKENESS)
      lk_dtt_likeness(t, job, img, len, a, o);
    else
      lk_dtt_external(t, t->kinds[i], job, img, len, o);
    return;
  }
  /* queued before a restart with another config */
  snprintf(msg, sizeof msg, "%s is not enabled", job->detector);
  lk_dtt_outcome(o, 500, msg);
}

/* The oldest queued row: 1, 0 when none, -1 on a database error. */
static int lk_dtt_next(struct lk_dt_train *t, struct lk_arena *a,
                       struct lk_dtt_job *job)
{
  sqlite3_stmt *st;
  int rc = SQLITE_ERROR, got = -1;
  pthread_mutex_lock(&t->db);
  if(!lk_dtt_stmt(t, LK_DTT_NEXT, &st)) {
    rc = sqlite3_step(st);
    if(rc == SQLITE_ROW) {
      job->file_id = sqlite3_column_int64(st, 0);
      job->detector = lk_sqlite_col_text(st, 1, a);
      job->seq = sqlite3_column_int64(st, 2);
      job->face_id = sqlite3_column_int64(st, 3);
      job->name = lk_sqlite_col_text(st, 4, a);
      job->filename = lk_sqlite_col_text(st, 5, a);
      got = job->detector && job->name && job->filename ? 1 : -1;
    } else {
      got = rc == SQLITE_DONE ? 0 : -1;
      if(got < 0)
        lk_dtt_err(t, rc, "next");
    }
    lk_dtt_reset(st);
  }
  pthread_mutex_unlock(&t->db);
  return got;
}

/* The row's outcome; 0 rows changed means it was queued again
 * meanwhile, and the face just made is not anyone's. */
static lk_err lk_dtt_record(struct lk_dt_train *t,
                            const struct lk_dtt_job *job,
                            const struct lk_dtt_outcome *o)
{
  char *text = o->result ? cJSON_PrintUnformatted(o->result) : NULL;
  sqlite3_stmt *st;
  lk_err err = text ? LK_OK : LK_ERR_NOMEM;
  int changed = 0;
  pthread_mutex_lock(&t->db);
  if(!err)
    err = lk_dtt_stmt(t, LK_DTT_DONE, &st);
  if(!err) {
    sqlite3_bind_int(st, 1, o->status);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    if(o->face_id)
      sqlite3_bind_int64(st, 3, o->face_id);
    sqlite3_bind_double(st, 4, lk_dtt_now());
    sqlite3_bind_int64(st, 5, job->file_id);
    sqlite3_bind_text(st, 6, job->detector, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, job->seq);
    err = lk_dtt_run(t, st, "training result");
    changed = sqlite3_changes(t->conn);
  }
  pthread_mutex_unlock(&t->db);
  cJSON_free(text);
  if(o->face_id && (err || !changed))
    lk_pipeline_face_delete(t->opts.pipe, o->face_id);
  return err;
}

/* Teach the oldest queued row: 1 done, 0 none queued, -1 error. */
static int lk_dtt_work_one(struct lk_dt_train *t, struct lk_arena *a)
{
  struct lk_dtt_outcome o;
  struct lk_dtt_job job;
  int got;
  lk_err err;
  pthread_mutex_lock(&t->gallery);
  got = lk_dtt_next(t, a, &job);
  if(got > 0) {
    lk_dtt_teach(t, &job, a, &o);
    err = lk_dtt_record(t, &job, &o);
    if(o.status != 200)
      lk_log(LK_LOG_INFO, "dt", "train %s/%s on %s: status %d",
             job.name, job.filename, job.detector, o.status);
    cJSON_Delete(o.result);
    got = err ? -1 : 1;
  }
  pthread_mutex_unlock(&t->gallery);
  return got;
}

/* ---- the thread --------------------------------------------------------- */

static void lk_dtt_pause(struct lk_dt_train *t)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += LK_DTT_RETRY_S;
  if(!t->stop)
    pthread_cond_timedwait(&t->wake, &t->q, &ts);
}

static void *lk_dtt_main(void *arg)
{
  struct lk_dt_train *t = arg;
  struct lk_arena *a = lk_arena_create(LK_DTT_ARENA_MAX);
  unsigned long seen;
  int got;
  pthread_mutex_lock(&t->q);
  while(!t->stop) {
    seen = t->kicks;
    pthread_mutex_unlock(&t->q);
    got = a ? lk_dtt_work_one(t, a) : -1;
    lk_arena_reset(a);
    pthread_mutex_lock(&t->q);
    if(got < 0)
      lk_dtt_pause(t);
    if(got || seen != t->kicks)
      continue;
    t->idle = 1;
    pthread_cond_broadcast(&t->idle_cv);
    while(!t->stop && seen == t->kicks)
      pthread_cond_wait(&t->wake, &t->q);
    t->idle = 0;
  }
  pthread_mutex_unlock(&t->q);
  lk_arena_destroy(a);
  return NULL;
}

lk_err lk_dtt_worker_start(struct lk_dt_train *t)
{
  if(pthread_create(&t->worker, NULL, lk_dtt_main, t))
    return LK_ERR_NOMEM;
  t->started = 1;
  return LK_OK;
}

void lk_dtt_worker_stop(struct lk_dt_train *t)
{
  if(!t->started)
    return;
  pthread_mutex_lock(&t->q);
  t->stop = 1;
  pthread_cond_broadcast(&t->wake);
  pthread_cond_broadcast(&t->idle_cv);
  pthread_mutex_unlock(&t->q);
  pthread_join(t->worker, NULL);
  t->started = 0;
}

void lk_dtt_kick(struct lk_dt_train *t)
{
  pthread_mutex_lock(&t->q);
  t->kicks++;
  t->idle = 0;
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->q);
}

lk_err lk_dt_train_wait_idle(struct lk_dt_train *t, int timeout_ms)
{
  struct timespec ts;
  int idle;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if(ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&t->q);
  while(!t->idle && !t->stop &&
        pthread_cond_timedwait(&t->idle_cv, &t->q, &ts) != ETIMEDOUT)
    ;
  idle = t->idle;
  pthread_mutex_unlock(&t->q);
  return idle ? LK_OK : LK_ERR_BUSY;
}

/* ---- untraining --------------------------------------------------------- */

static int lk_dtt_ours(const char *meta)
{
  cJSON *o = meta ? cJSON_Parse(meta) : NULL;
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "source");
  int ours = cJSON_IsString(s) && !strcmp(s->valuestring, LK_DTT_SOURCE);
  cJSON_Delete(o);
  return ours;
}

/* Every live gallery face of name that this store registered. */
static lk_err lk_dtt_tagged(struct lk_dt_train *t, const char *name,
                            struct lk_dtt_ids *out)
{
  struct lk_store *st = lk_pipeline_store(t->opts.pipe);
  struct lk_arena *a = lk_arena_create(0);
  struct lk_store_face *f;
  int64_t offset = 0;
  int n = LK_DTT_PAGE, i;
  lk_err err = a && st ? LK_OK : LK_ERR_NOMEM;
  while(!err && n == LK_DTT_PAGE) {
    err = lk_store_face_list(st, name, offset, LK_DTT_PAGE, a, &f, &n);
    for(i = 0; !err && i < n; i++)
      err = lk_dtt_ours(f[i].meta) ? lk_dtt_ids_push(out, f[i].id) : LK_OK;
    offset += n;
    lk_arena_reset(a);
  }
  lk_arena_destroy(a);
  return err == LK_ERR_NOT_FOUND ? LK_OK : err;      /* no such person */
}

/* Of photos ids, those that belong to name. */
static lk_err lk_dtt_owned(struct lk_dt_train *t, const char *name,
                           const int64_t *ids, int n, struct lk_dtt_ids *own)
{
  sqlite3_stmt *st;
  const unsigned char *owner;
  lk_err err = LK_OK;
  int i;
  for(i = 0; !err && i < n; i++) {
    err = lk_dtt_stmt(t, LK_DTT_FILE_GET, &st);
    if(err)
      break;
    sqlite3_bind_int64(st, 1, ids[i]);
    owner = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 1) : NULL;
    if(owner && !strcmp((const char *)owner, name))
      err = lk_dtt_ids_push(own, ids[i]);
    lk_dtt_reset(st);
  }
  return err;
}

/* The likeness faces recorded for one photo (file > 0) or for every
 * photo of name. */
static lk_err lk_dtt_recorded(struct lk_dt_train *t, const char *name,
                              int64_t file, struct lk_dtt_ids *faces)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, file ? LK_DTT_FACE_OF : LK_DTT_FACES_OF, &st);
  int rc = SQLITE_DONE;
  if(err)
    return err;
  if(file)
    sqlite3_bind_int64(st, 1, file);
  else
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  while(!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
    err = lk_dtt_ids_push(faces, sqlite3_column_int64(st, 0));
  if(!err && rc != SQLITE_DONE)
    err = lk_dtt_err(t, rc, "recorded faces");
  lk_dtt_reset(st);
  return err;
}

/* What an untrain touches, read under the db lock: the photos of ids
 * that are name's (n > 0) and the likeness faces to delete. */
static lk_err lk_dtt_untrain_plan(struct lk_dt_train *t, const char *name,
                                  const int64_t *ids, int n,
                                  struct lk_dtt_ids *faces,
                                  struct lk_dtt_ids *own)
{
  lk_err err;
  long i;
  pthread_mutex_lock(&t->db);
  err = lk_dtt_owned(t, name, ids, n, own);
  if(!err && !n)
    err = lk_dtt_recorded(t, name, 0, faces);
  for(i = 0; !err && i < own->n; i++)
    err = lk_dtt_recorded(t, name, own->v[i], faces);
  pthread_mutex_unlock(&t->db);
  return err;
}

static lk_err lk_dtt_requeue(struct lk_dt_train *t, const char *name,
                             enum lk_dt_detector_kind k, double now)
{
  sqlite3_stmt *st;
  lk_err err = lk_dtt_stmt(t, LK_DTT_REQUEUE, &st);
  if(err)
    return err;
  sqlite3_bind_int64(st, 1, ++t->seq);
  sqlite3_bind_double(st, 2, now);
  sqlite3_bind_text(st, 3, lk_dt_detector_name(k), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
  return lk_dtt_run(t, st, "train again");
}

/* The rows: all of name's, or those of own with the external detectors'
 * rows of name queued again (they forgot name and learn the rest). */
static lk_err lk_dtt_untrain_rows(struct lk_dt_train *t, const char *name,
                                  int all, const struct lk_dtt_ids *own)
{
  sqlite3_stmt *st;
  double now = lk_dtt_now();
  lk_err err = lk_dtt_begin(t);
  long i;
  for(i = 0; !err && i < (all ? 1 : own->n); i++) {
    err = lk_dtt_stmt(t, all ? LK_DTT_UNTRAIN_NAME : LK_DTT_UNTRAIN_FILE, &st);
    if(err)
      break;
    if(all)
      sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    else
      sqlite3_bind_int64(st, 1, own->v[i]);
    err = lk_dtt_run(t, st, "untrain");
  }
  for(i = 0; !err && !all && i < t->n_kinds; i++)
    if(t->kinds[i] != LK_DT_LIKENESS)
      err = lk_dtt_requeue(t, name, t->kinds[i], now);
  return lk_dtt_end(t, err);
}

static void lk_dtt_untrain_external(struct lk_dt_train *t, const char *name)
{
  struct lk_dt_remote r;
  char why[LK_DT_REMOTE_ERRMAX];
  int i;
  for(i = 0; i < t->n_kinds; i++) {
    if(t->kinds[i] == LK_DT_LIKENESS)
      continue;
    why[0] = '\0';
    lk_dtt_remote(t, t->kinds[i], &r);
    if(lk_dt_remote_untrain(&r, name, why))
      lk_log(LK_LOG_WARN, "dt", "untrain %s on %s: %s", name,
             lk_dt_detector_name(t->kinds[i]), why);
  }
}

static void lk_dtt_faces_delete(struct lk_dt_train *t, const char *name,
                                const struct lk_dtt_ids *faces)
{
  long i;
  for(i = 0; t->opts.pipe && i < faces->n; i++) {
    lk_err e = lk_pipeline_face_delete(t->opts.pipe, faces->v[i]);
    if(e && e != LK_ERR_NOT_FOUND)
      lk_log(LK_LOG_WARN, "dt", "untrain %s: face %lld: %s", name,
             (long long)faces->v[i], lk_strerror(e));
  }
}

lk_err lk_dtt_untrain(struct lk_dt_train *t, const char *name,
                      const int64_t *ids, int n)
{
  struct lk_dtt_ids faces = { NULL, 0, 0 }, own = { NULL, 0, 0 };
  lk_err err = lk_dtt_untrain_plan(t, name, ids, n, &faces, &own);
  if(!err && !n && t->opts.pipe)
    err = lk_dtt_tagged(t, name, &faces);
  /* ids of other names only: nothing of name changes */
  if(!err && (!n || own.n)) {
    lk_dtt_faces_delete(t, name, &faces);
    lk_dtt_untrain_external(t, name);
    pthread_mutex_lock(&t->db);
    err = lk_dtt_untrain_rows(t, name, !n, &own);
    pthread_mutex_unlock(&t->db);
  }
  if(err)
    lk_log(LK_LOG_ERROR, "dt", "untrain %s: %s", name, lk_strerror(err));
  lk_free(faces.v);
  lk_free(own.v);
  return err;
}
