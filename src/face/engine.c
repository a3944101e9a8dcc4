/* engine.c - the thread-safe face engine: borrowed per-thread runtimes,
 * detection, and the per-face landmark and descriptor stages.
 *
 * XNNPACK runtimes hold their own activation buffers, so two threads never
 * share one. The engine keeps free lists of "detector sessions" (runtimes
 * on the engine's thread pool; one image at a time uses both cores) and
 * "face workers" (single-threaded runtimes; the faces of one image run one
 * per pool thread, which scales better than splitting small layers). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "face_int.h"

#define LK_TINY_MIN 128
#define LK_TINY_MAX 608
#define LK_TINY_SLOTS ((LK_TINY_MAX - LK_TINY_MIN) / 32 + 1)
/* Borders tried, in order, on each side (times the longest side) when the
 * first pass finds nothing: a face that fills the frame looks, to SSD, like
 * no face at all until it has some context around it. */
static const double lk_refind_pads[] = { 0.5, 0.25, 1.0 };
/* A box this close to an edge (times the longest side) touches it. When
 * every face found touches an edge, the image is likely a tight crop around
 * someone the first pass missed: LFW's Joseph_Biden_0002 is a 250 px crop
 * where SSD finds only a bystander cut by the left edge, and its subject
 * (0.16 there) at 0.95 once the image has a border. */
#define LK_REFIND_EDGE 0.02

struct lk_det_sess {
  struct lk_det_sess *next;
  struct lk_ssd_exec *ssd;
  struct lk_nn_runtime *tiny[LK_TINY_SLOTS];
  float *in;                 /* LK_TINY_MAX^2 * 3 floats: the tiny input */
  float *tiny_out;           /* 19 * 19 * 25 floats at most */
};

struct lk_face_worker {
  struct lk_face_worker *next;
  struct lk_nn_runtime *lmk, *lmk_tiny, *rec;
  float in_lmk[LK_LMK_SIZE * LK_LMK_SIZE * 3];
  float in_rec[LK_REC_SIZE * LK_REC_SIZE * 3];
  float chip_grid[LK_CHIP_GRID * LK_CHIP_GRID * 3];
  float out_lmk[136];
  float out_rec[LK_FACE_DESCRIPTOR_DIM];
};

struct lk_face_engine {
  const struct lk_face_models *m;
  pthreadpool_t pool;        /* NULL when n_threads == 1 */
  int n_threads;
  pthread_mutex_t lock;
  struct lk_det_sess *det_free;
  struct lk_face_worker *work_free;
  int n_workers;             /* built so far */
  int max_workers;           /* 0: no limit; else borrowers wait */
  pthread_cond_t work_cv;    /* a worker came back */
};

struct lk_face_opts lk_face_default_opts(void)
{
  struct lk_face_opts o;
  memset(&o, 0, sizeof o);
  o.detector = LK_DETECTOR_SSD;
  o.min_score = 0.5f;
  o.tiny_input_size = 416;
  o.max_faces = LK_FACE_MAX_FACES;
  o.align = LK_ALIGN_SIMILARITY;
  o.tiny_landmarks = 0;
  o.refind = 1;
  return o;
}

lk_err lk_face_opts_check(const struct lk_face_opts *o, char *why)
{
  const char *msg = NULL;
  if(o->detector != LK_DETECTOR_SSD && o->detector != LK_DETECTOR_TINY)
    msg = "detector must be ssd or tiny";
  else if(!(o->min_score > 0.0f && o->min_score < 1.0f))
    msg = "min score must be between 0 and 1 (exclusive)";
  else if(o->tiny_input_size < LK_TINY_MIN ||
          o->tiny_input_size > LK_TINY_MAX || o->tiny_input_size % 32)
    msg = "tiny input size must be a multiple of 32 from 128 to 608";
  else if(o->max_faces < 1 || o->max_faces > LK_FACE_MAX_FACES)
    msg = "max faces must be from 1 to 100";
  else if(o->align != LK_ALIGN_SIMILARITY && o->align != LK_ALIGN_FACEAPI)
    msg = "align must be faceapi or similarity";
  if(msg && why)
    snprintf(why, LK_FACE_ERRMAX, "%s", msg);
  return msg ? LK_ERR_INVAL : LK_OK;
}

lk_err lk_face_engine_create(struct lk_face_engine **out,
                             const struct lk_face_models *m, int n_threads)
{
  struct lk_face_engine *eng;
  *out = NULL;
  if(!m || n_threads < 1 || n_threads > 256)
    return LK_ERR_INVAL;
  if(lk_nn_init())
    return LK_ERR_NN;
  eng = lk_calloc(1, sizeof *eng);
  if(!eng)
    return LK_ERR_NOMEM;
  eng->m = m;
  eng->n_threads = n_threads;
  if(n_threads > 1 && !(eng->pool = pthreadpool_create((size_t)n_threads))) {
    lk_free(eng);
    return LK_ERR_NOMEM;
  }
  pthread_mutex_init(&eng->lock, NULL);
  pthread_cond_init(&eng->work_cv, NULL);
  *out = eng;
  return LK_OK;
}

static void lk_det_sess_free(struct lk_det_sess *s)
{
  int i;
  lk_ssd_exec_destroy(s->ssd);
  for(i = 0; i < LK_TINY_SLOTS; i++)
    lk_nn_runtime_destroy(s->tiny[i]);
  lk_free(s->in);
  lk_free(s->tiny_out);
  lk_free(s);
}

static void lk_worker_free(struct lk_face_worker *w)
{
  lk_nn_runtime_destroy(w->lmk);
  lk_nn_runtime_destroy(w->lmk_tiny);
  lk_nn_runtime_destroy(w->rec);
  lk_free(w);
}

void lk_face_engine_destroy(struct lk_face_engine *eng)
{
  if(!eng)
    return;
  while(eng->det_free) {
    struct lk_det_sess *s = eng->det_free;
    eng->det_free = s->next;
    lk_det_sess_free(s);
  }
  while(eng->work_free) {
    struct lk_face_worker *w = eng->work_free;
    eng->work_free = w->next;
    lk_worker_free(w);
  }
  if(eng->pool)
    pthreadpool_destroy(eng->pool);
  pthread_cond_destroy(&eng->work_cv);
  pthread_mutex_destroy(&eng->lock);
  lk_free(eng);
}

int lk_face_engine_threads(const struct lk_face_engine *eng)
{
  return eng ? eng->n_threads : 0;
}

/* ---- borrowing ---- */

static struct lk_det_sess *lk_det_borrow(struct lk_face_engine *eng)
{
  struct lk_det_sess *s;
  pthread_mutex_lock(&eng->lock);
  s = eng->det_free;
  if(s)
    eng->det_free = s->next;
  pthread_mutex_unlock(&eng->lock);
  if(s)
    return s;
  s = lk_calloc(1, sizeof *s);
  if(!s)
    return NULL;
  /* XNNPACK may read XNN_EXTRA_BYTES (16) past an input */
  s->in = lk_malloc((size_t)LK_TINY_MAX * LK_TINY_MAX * 3 * sizeof(float) +
                    16);
  s->tiny_out = lk_malloc(19 * 19 * 25 * sizeof(float));
  if(!s->in || !s->tiny_out) {
    lk_det_sess_free(s);
    return NULL;
  }
  return s;
}

static void lk_det_return(struct lk_face_engine *eng, struct lk_det_sess *s)
{
  pthread_mutex_lock(&eng->lock);
  s->next = eng->det_free;
  eng->det_free = s;
  pthread_mutex_unlock(&eng->lock);
}

/* A free worker, a new one, or (at max_workers) the next one returned.
 * No holder of a worker waits for anything, so waiting cannot deadlock. */
static struct lk_face_worker *lk_worker_borrow(struct lk_face_engine *eng)
{
  struct lk_face_worker *w;
  pthread_mutex_lock(&eng->lock);
  while(!eng->work_free && eng->max_workers &&
        eng->n_workers >= eng->max_workers)
    pthread_cond_wait(&eng->work_cv, &eng->lock);
  w = eng->work_free;
  if(w)
    eng->work_free = w->next;
  else if((w = lk_calloc(1, sizeof *w)))
    eng->n_workers++;
  pthread_mutex_unlock(&eng->lock);
  return w;
}

static void lk_worker_return(struct lk_face_engine *eng,
                             struct lk_face_worker *w)
{
  pthread_mutex_lock(&eng->lock);
  w->next = eng->work_free;
  eng->work_free = w;
  pthread_cond_signal(&eng->work_cv);
  pthread_mutex_unlock(&eng->lock);
}

void lk_face_engine_max_workers(struct lk_face_engine *eng, int n)
{
  pthread_mutex_lock(&eng->lock);
  eng->max_workers = n > 0 ? n : 0;
  pthread_cond_broadcast(&eng->work_cv);
  pthread_mutex_unlock(&eng->lock);
}

static lk_err lk_log_nn(lk_err err, const char *what, const char *why)
{
  if(err)
    lk_log(LK_LOG_ERROR, "face", "%s: %s", what, why);
  return err;
}

/* ---- detection ---- */

/* Build the session's runtime for a detector (tiny: at input size) on
 * first use. */
static lk_err lk_det_ready(struct lk_face_engine *eng, struct lk_det_sess *s,
                           enum lk_detector det, int size)
{
  char why[LK_NN_ERRMAX] = "";
  int slot = (size - LK_TINY_MIN) / 32;
  lk_err err = LK_OK;
  if(det == LK_DETECTOR_TINY && !s->tiny[slot])
    err = lk_log_nn(lk_tiny_runtime(&eng->m->tiny, size, eng->pool,
                                    &s->tiny[slot], why), "tiny detector",
                    why);
  else if(det == LK_DETECTOR_SSD && !s->ssd)
    err = lk_log_nn(lk_ssd_exec_create(&eng->m->ssd, eng->pool, &s->ssd,
                                       why), "ssd", why);
  return err;
}

static lk_err lk_run_ssd(struct lk_face_engine *eng, struct lk_det_sess *s,
                         const struct lk_image *img, float min_score, int max,
                         struct lk_det *dets, int *n)
{
  struct lk_window win = { 0, 0, img->width, img->height, 0, 0, 0 };
  lk_err err = lk_det_ready(eng, s, LK_DETECTOR_SSD, LK_TINY_MIN);

  if(err)
    return err;
  win.side = img->width > img->height ? img->width : img->height;
  /* face-api.js pads at the bottom and right; a portrait image runs
   * transposed so that its padding rows can be skipped (ssd.c) */
  if(img->height > img->width) {
    lk_prep_resize_transposed(img, &win, LK_SSD_SIZE, &lk_norm_ssd,
                              lk_ssd_exec_input(s->ssd));
    err = lk_ssd_exec_run(s->ssd, lk_prep_live_rows(win.side, LK_SSD_SIZE,
                                                    img->width), 1);
  } else {
    lk_prep_resize(img, &win, LK_SSD_SIZE, &lk_norm_ssd,
                   lk_ssd_exec_input(s->ssd));
    err = lk_ssd_exec_run(s->ssd, lk_prep_live_rows(win.side, LK_SSD_SIZE,
                                                    img->height), 0);
  }
  if(err)
    return err;
  *n = lk_ssd_decode(&eng->m->ssd, lk_ssd_exec_boxes(s->ssd),
                     lk_ssd_exec_classes(s->ssd), min_score, max,
                     img->width, img->height, dets);
  return LK_OK;
}

static lk_err lk_run_tiny(struct lk_face_engine *eng, struct lk_det_sess *s,
                          const struct lk_image *img,
                          const struct lk_face_opts *o, struct lk_det *dets,
                          int *n)
{
  int size = o->tiny_input_size, slot = (size - LK_TINY_MIN) / 32;
  struct lk_window win = { 0, 0, img->width, img->height, 0, 0, 0 };
  void *bufs[2];
  lk_err err = lk_det_ready(eng, s, LK_DETECTOR_TINY, size);

  if(err)
    return err;
  win.side = img->width > img->height ? img->width : img->height;
  lk_prep_resize(img, &win, size, &lk_norm_tiny, s->in);
  bufs[0] = s->in;
  bufs[1] = s->tiny_out;
  err = lk_nn_runtime_run(s->tiny[slot], bufs);
  if(err)
    return err;
  *n = lk_tiny_decode(s->tiny_out, size / 32, o->min_score, img->width,
                      img->height, size, dets, o->max_faces);
  return LK_OK;
}

static lk_err lk_detect_raw(struct lk_face_engine *eng,
                            const struct lk_image *img,
                            const struct lk_face_opts *o, struct lk_det *dets,
                            int *n)
{
  struct lk_det_sess *s = lk_det_borrow(eng);
  lk_err err;
  if(!s)
    return LK_ERR_NOMEM;
  if(o->detector == LK_DETECTOR_TINY)
    err = lk_run_tiny(eng, s, img, o, dets, n);
  else
    err = lk_run_ssd(eng, s, img, o->min_score, o->max_faces, dets, n);
  lk_det_return(eng, s);
  return err;
}

/* A copy of img inside a black border, for the second detection pass. */
static lk_err lk_pad_image(const struct lk_image *img, double frac,
                           struct lk_arena *arena, struct lk_image *out,
                           int *pad)
{
  int side = img->width > img->height ? img->width : img->height;
  int p = (int)(side * frac), y;
  size_t row = (size_t)img->width * 3;

  *out = *img;
  out->width = img->width + 2 * p;
  out->height = img->height + 2 * p;
  out->rgb = lk_arena_calloc(arena, (size_t)out->width * out->height * 3);
  if(!out->rgb)
    return LK_ERR_NOMEM;
  for(y = 0; y < img->height; y++)
    memcpy(out->rgb + ((size_t)(y + p) * out->width + p) * 3,
           img->rgb + (size_t)y * row, row);
  *pad = p;
  return LK_OK;
}

/* What detection found, best score first. A box is in the pixels of the
 * image it was found in: img itself, or its padded copy when refound. */
struct lk_found {
  struct lk_det dets[LK_FACE_MAX_FACES];
  unsigned char refound[LK_FACE_MAX_FACES];
  int n;
  struct lk_image padded;    /* the copy the refound boxes refer to */
  int pad;                   /* its border, pixels */
};

static int lk_found_shift(const struct lk_found *fd, int i)
{
  return fd->refound[i] ? fd->pad : 0;
}

/* Nothing found: the padded copies in turn, until one has a face. */
static lk_err lk_refind_empty(struct lk_face_engine *eng,
                              const struct lk_image *img,
                              const struct lk_face_opts *o,
                              struct lk_arena *arena, struct lk_found *fd)
{
  lk_err err = LK_OK;
  size_t i;
  for(i = 0; i < sizeof lk_refind_pads / sizeof lk_refind_pads[0]; i++) {
    if(err || fd->n > 0)
      break;
    err = lk_pad_image(img, lk_refind_pads[i], arena, &fd->padded, &fd->pad);
    if(!err)
      err = lk_detect_raw(eng, &fd->padded, o, fd->dets, &fd->n);
  }
  memset(fd->refound, 1, sizeof fd->refound);
  return err;
}

static int lk_touches_edge(const struct lk_det *d, const struct lk_image *img)
{
  double m = LK_REFIND_EDGE * (img->width > img->height ? img->width
                                                        : img->height);
  return d->x < m || d->y < m || d->x + d->w > img->width - m ||
         d->y + d->h > img->height - m;
}

/* Whether the centre of d, shifted by -shift, lies in none of fd's boxes:
 * a face the first pass did not find. */
static int lk_is_new(const struct lk_found *fd, const struct lk_det *d,
                     int shift)
{
  double cx = d->x + d->w / 2 - shift, cy = d->y + d->h / 2 - shift;
  int i;
  for(i = 0; i < fd->n; i++) {
    const struct lk_det *k = &fd->dets[i];
    if(cx >= k->x && cx <= k->x + k->w && cy >= k->y && cy <= k->y + k->h)
      return 0;
  }
  return 1;
}

/* Merge the faces of the padded pass that are new into fd, keeping the
 * order by score and the first pass's faces as they were. */
static void lk_found_merge(struct lk_found *fd, const struct lk_det *more,
                           int n_more, int max)
{
  struct lk_found old = *fd;
  int i = 0, k = 0, take_more;
  fd->n = 0;
  while(fd->n < max && (i < old.n || k < n_more)) {
    take_more = k < n_more &&
                (i == old.n || more[k].score > old.dets[i].score);
    if(k < n_more && !lk_is_new(&old, &more[k], fd->pad)) {
      k++;
    } else if(take_more) {
      fd->refound[fd->n] = 1;
      fd->dets[fd->n++] = more[k++];
    } else {
      fd->refound[fd->n] = 0;
      fd->dets[fd->n++] = old.dets[i++];
    }
  }
}

/* Every face found touches an edge: one padded pass, for faces it finds
 * whose centres lie in no face already found. */
static lk_err lk_refind_more(struct lk_face_engine *eng,
                             const struct lk_image *img,
                             const struct lk_face_opts *o,
                             struct lk_arena *arena, struct lk_found *fd)
{
  struct lk_det more[LK_FACE_MAX_FACES];
  int i, n_more = 0;
  lk_err err;
  for(i = 0; i < fd->n; i++)
    if(!lk_touches_edge(&fd->dets[i], img))
      return LK_OK;
  err = lk_pad_image(img, lk_refind_pads[0], arena, &fd->padded, &fd->pad);
  if(!err)
    err = lk_detect_raw(eng, &fd->padded, o, more, &n_more);
  if(!err)
    lk_found_merge(fd, more, n_more, o->max_faces);
  return err;
}

/* Detect on img; with refind, also on a padded copy when nothing was found
 * or every face found touches an edge. */
static lk_err lk_detect_any(struct lk_face_engine *eng,
                            const struct lk_image *img,
                            const struct lk_face_opts *o,
                            struct lk_arena *arena, struct lk_found *fd)
{
  lk_err err;
  fd->n = 0;
  fd->pad = 0;
  memset(fd->refound, 0, sizeof fd->refound);
  err = lk_detect_raw(eng, img, o, fd->dets, &fd->n);
  if(err || !o->refind)
    return err;
  if(!fd->n)
    return lk_refind_empty(eng, img, o, arena, fd);
  return lk_refind_more(eng, img, o, arena, fd);
}

/* Pixels of the decoded image to pixels of the file: 1 unless the JPEG was
 * decoded smaller in the DCT domain. */
static void lk_scale_back(const struct lk_image *img, float *sx, float *sy)
{
  int sw = img->src_width, sh = img->src_height;
  *sx = *sy = 1.0f;
  if(img->scale_denom <= 1 || sw <= 0 || sh <= 0)
    return;
  if(img->orientation >= 5 && img->orientation <= 8) {  /* 90-degree turns */
    sw = img->src_height;
    sh = img->src_width;
  }
  *sx = (float)sw / (float)img->width;
  *sy = (float)sh / (float)img->height;
}

static void lk_box_out(const struct lk_det *d, int shift, const struct
                       lk_image *img, struct lk_face *f)
{
  float sx, sy;
  f->box.x_min = (float)(d->x - shift);
  f->box.y_min = (float)(d->y - shift);
  f->box.x_max = (float)(d->x + d->w - shift);
  f->box.y_max = (float)(d->y + d->h - shift);
  f->score = d->score;
  f->refound = shift > 0;
  if(shift) {   /* the padded pass may reach into the border */
    f->box.x_min = fmaxf(0.0f, f->box.x_min);
    f->box.y_min = fmaxf(0.0f, f->box.y_min);
    f->box.x_max = fminf((float)img->width, f->box.x_max);
    f->box.y_max = fminf((float)img->height, f->box.y_max);
  }
  lk_scale_back(img, &sx, &sy);
  f->box.x_min *= sx;
  f->box.x_max *= sx;
  f->box.y_min *= sy;
  f->box.y_max *= sy;
}

static lk_err lk_check_args(struct lk_face_engine *eng,
                            const struct lk_image *img,
                            const struct lk_face_opts *o)
{
  if(!eng || !img || !img->rgb || img->width < 1 || img->height < 1)
    return LK_ERR_INVAL;
  return lk_face_opts_check(o, NULL);
}

lk_err lk_face_detect(struct lk_face_engine *eng, const struct lk_image *img,
                      const struct lk_face_opts *o, struct lk_arena *arena,
                      struct lk_face **faces, int *n)
{
  struct lk_found fd;
  int i;
  lk_err err;

  *faces = NULL;
  *n = 0;
  err = lk_check_args(eng, img, o);
  if(!err)
    err = lk_detect_any(eng, img, o, arena, &fd);
  if(err || !fd.n)
    return err;
  *faces = lk_arena_calloc(arena, (size_t)fd.n * sizeof **faces);
  if(!*faces)
    return LK_ERR_NOMEM;
  for(i = 0; i < fd.n; i++)
    lk_box_out(&fd.dets[i], lk_found_shift(&fd, i), img, &(*faces)[i]);
  *n = fd.n;
  return LK_OK;
}

/* ---- per-face stages ---- */

struct lk_face_job {
  struct lk_face_engine *eng;
  const struct lk_image *img;
  const struct lk_face_opts *o;
  const struct lk_found *fd;
  struct lk_face *faces;
  lk_err *errs;
  int *ok;                         /* 0 when the crop was empty */
};

static lk_err lk_worker_ready(struct lk_face_engine *eng,
                              struct lk_face_worker *w, int tiny)
{
  char why[LK_NN_ERRMAX] = "";
  lk_err err = LK_OK;
  if(!tiny && !w->lmk)
    err = lk_lmk_runtime(&eng->m->lmk, NULL, &w->lmk, why);
  if(!err && tiny && !w->lmk_tiny)
    err = lk_lmk_runtime(&eng->m->lmk_tiny, NULL, &w->lmk_tiny, why);
  if(!err && !w->rec)
    err = lk_rec_runtime(&eng->m->rec, NULL, &w->rec, why);
  return lk_log_nn(err, "face nets", why);
}

static lk_err lk_run1(struct lk_nn_runtime *rt, float *in, float *out)
{
  void *bufs[2];
  bufs[0] = in;
  bufs[1] = out;
  return lk_nn_runtime_run(rt, bufs);
}

/* The chip mirrored left to right in place, described, averaged into
 * out_rec (the same buffers, so the runtime needs no new set-up). */
static lk_err lk_describe_flipped(struct lk_face_worker *w)
{
  float keep[LK_FACE_DESCRIPTOR_DIM], *row, t;
  int r, c, k;
  lk_err err;
  memcpy(keep, w->out_rec, sizeof keep);
  for(r = 0; r < LK_REC_SIZE; r++) {
    row = w->in_rec + r * LK_REC_SIZE * 3;
    for(c = 0; c < LK_REC_SIZE / 2; c++)
      for(k = 0; k < 3; k++) {
        t = row[c * 3 + k];
        row[c * 3 + k] = row[(LK_REC_SIZE - 1 - c) * 3 + k];
        row[(LK_REC_SIZE - 1 - c) * 3 + k] = t;
      }
  }
  err = lk_run1(w->rec, w->in_rec, w->out_rec);
  for(k = 0; !err && k < LK_FACE_DESCRIPTOR_DIM; k++)
    w->out_rec[k] = (w->out_rec[k] + keep[k]) * 0.5f;
  return err;
}

/* Landmarks then descriptor for detection i, on worker w. */
static lk_err lk_face_one(struct lk_face_job *job, struct lk_face_worker *w,
                          int i)
{
  const struct lk_det *d = &job->fd->dets[i];
  const struct lk_image *img = job->fd->refound[i] ? &job->fd->padded
                                                   : job->img;
  struct lk_face *f = &job->faces[i];
  struct lk_window win;
  int cx, cy, cw, ch, ax, ay, aw, ah;
  double rx, ry, rw, rh;
  lk_err err;

  if(!lk_box_clip(d->x, d->y, d->w, d->h, img->width, img->height, &cx, &cy,
                  &cw, &ch))
    return LK_OK;
  win = lk_window_centered(cx, cy, cw, ch);
  lk_prep_resize(img, &win, LK_LMK_SIZE, &lk_norm_face, w->in_lmk);
  err = lk_run1(job->o->tiny_landmarks ? w->lmk_tiny : w->lmk, w->in_lmk,
                w->out_lmk);
  if(err)
    return err;
  lk_lmk_postprocess(w->out_lmk, cw, ch, d->x, d->y, f->landmarks);
  if(job->o->align == LK_ALIGN_FACEAPI) {
    lk_align_faceapi_rect(f->landmarks, cw, ch, &rx, &ry, &rw, &rh);
    if(!lk_box_clip(rx, ry, rw, rh, img->width, img->height, &ax, &ay, &aw,
                    &ah))
      return LK_OK;
    win = lk_window_centered(ax, ay, aw, ah);
    lk_prep_resize(img, &win, LK_REC_SIZE, &lk_norm_face, w->in_rec);
  } else {
    lk_align_chip(img, f->landmarks, &lk_norm_face, w->chip_grid, w->in_rec);
  }
  err = lk_run1(w->rec, w->in_rec, w->out_rec);
  if(!err && job->o->flip && job->o->align == LK_ALIGN_SIMILARITY)
    err = lk_describe_flipped(w);
  if(err)
    return err;
  memcpy(f->descriptor, w->out_rec, sizeof f->descriptor);
  job->ok[i] = 1;
  return LK_OK;
}

static void lk_face_task(void *ctx, size_t i)
{
  struct lk_face_job *job = ctx;
  struct lk_face_worker *w = lk_worker_borrow(job->eng);
  lk_err err;
  if(!w) {
    job->errs[i] = LK_ERR_NOMEM;
    return;
  }
  err = lk_worker_ready(job->eng, w, job->o->tiny_landmarks);
  if(!err)
    err = lk_face_one(job, w, (int)i);
  job->errs[i] = err;
  lk_worker_return(job->eng, w);
}

/* Keep the faces whose crops were not empty, in detection order, and move
 * boxes and landmarks of refound faces back from the padded image. */
static int lk_faces_compact(struct lk_face_job *job)
{
  const struct lk_image *img = job->img;
  int i, k, shift, kept = 0;
  float sx, sy;
  lk_scale_back(img, &sx, &sy);
  for(i = 0; i < job->fd->n; i++) {
    struct lk_face *f = &job->faces[i];
    if(!job->ok[i])
      continue;
    shift = lk_found_shift(job->fd, i);
    for(k = 0; k < LK_FACE_LANDMARKS; k++) {
      f->landmarks[k][0] = (f->landmarks[k][0] - (float)shift) * sx;
      f->landmarks[k][1] = (f->landmarks[k][1] - (float)shift) * sy;
    }
    lk_box_out(&job->fd->dets[i], shift, img, f);
    if(kept != i)
      job->faces[kept] = *f;
    kept++;
  }
  return kept;
}

lk_err lk_face_describe(struct lk_face_engine *eng, const struct lk_image *img,
                        const struct lk_face_opts *o, struct lk_arena *arena,
                        struct lk_face **faces, int *n)
{
  struct lk_found fd;
  struct lk_face_job job;
  int i, nd;
  lk_err err;

  *faces = NULL;
  *n = 0;
  err = lk_check_args(eng, img, o);
  if(!err)
    err = lk_detect_any(eng, img, o, arena, &fd);
  if(err || !fd.n)
    return err;
  nd = fd.n;
  memset(&job, 0, sizeof job);
  job.eng = eng;
  job.img = img;
  job.o = o;
  job.fd = &fd;
  job.faces = lk_arena_calloc(arena, (size_t)nd * sizeof *job.faces);
  job.errs = lk_arena_calloc(arena, (size_t)nd * sizeof *job.errs);
  job.ok = lk_arena_calloc(arena, (size_t)nd * sizeof *job.ok);
  if(!job.faces || !job.errs || !job.ok)
    return LK_ERR_NOMEM;
  pthreadpool_parallelize_1d(eng->pool, lk_face_task, &job, (size_t)nd, 0);
  for(i = 0; i < nd; i++)
    if(job.errs[i])
      return job.errs[i];
  *n = lk_faces_compact(&job);
  *faces = job.faces;
  return LK_OK;
}

float lk_face_distance(const float *a, const float *b)
{
  double s = 0.0;
  int i;
  for(i = 0; i < LK_FACE_DESCRIPTOR_DIM; i++) {
    double d = (double)a[i] - b[i];
    s += d * d;
  }
  return (float)sqrt(s);
}

lk_err lk_face_engine_prewarm(struct lk_face_engine *eng, int n,
                              const struct lk_face_opts *o, char *why)
{
  struct lk_det_sess *dets = NULL, *d;
  struct lk_face_worker *works = NULL, *w;
  lk_err err = lk_face_opts_check(o, why);
  int i, n_work;

  pthread_mutex_lock(&eng->lock);
  n_work = eng->max_workers && eng->max_workers < n ? eng->max_workers : n;
  pthread_mutex_unlock(&eng->lock);
  /* borrow them all at once, so that distinct ones get built */
  for(i = 0; !err && i < n; i++) {
    d = lk_det_borrow(eng);
    if(d) {
      d->next = dets;
      dets = d;
    }
    err = d ? lk_det_ready(eng, d, o->detector, o->tiny_input_size)
            : LK_ERR_NOMEM;
  }
  for(i = 0; !err && i < n_work; i++) {
    w = lk_worker_borrow(eng);
    if(w) {
      w->next = works;
      works = w;
    }
    err = w ? lk_worker_ready(eng, w, o->tiny_landmarks) : LK_ERR_NOMEM;
  }
  while((d = dets)) {
    dets = d->next;
    lk_det_return(eng, d);
  }
  while((w = works)) {
    works = w->next;
    lk_worker_return(eng, w);
  }
  if(err && why && !why[0])
    snprintf(why, LK_FACE_ERRMAX, "cannot build the nets' runtimes: %s",
             lk_strerror(err));
  return err;
}
