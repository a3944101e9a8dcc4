/* dt_event.c - one event, on a worker: Double Take's polling loops
 * (process.util.js) and what follows them (recognize.controller.js,
 * mqtt.util.js). For a Frigate event, snapshot.jpg and latest.jpg are
 * fetched round after round up to their attempts; an image equal to the
 * previous one of its kind is skipped; every image goes to likeness's own
 * detector and to the external ones the camera uses; the rounds stop at
 * the first match (frigate.stop_on_match). Then the summary, the MQTT
 * messages, the camera's reset, the kept images and the sub_label. */
#include "dt_service_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/log.h"
#include "dt/dt_notify.h"

#define LK_DT_MAX_ATTEMPTS 100        /* per kind, whatever the config */
#define LK_DT_IMAGE_TIMEOUT_MS 5000L  /* Double Take's image timeout */

/* What one polling loop gathered (one per image kind). */
struct lk_dt_loop {
  struct lk_dt_group group;
  struct lk_dt_attempt *results;      /* grows */
  size_t n, cap;
  unsigned char *last;                /* the previous image (dedup) */
  size_t last_len;
};

struct lk_dt_run {
  struct lk_dt_service *s;
  struct lk_dt_job *job;
  struct lk_dt_camera_view view;
  struct lk_dt_thresholds th;
  struct lk_arena *a;                 /* the job's */
  int matched;
  const char *error;                  /* the last fetch failure */
};

static void lk_dt_sleep(double s)
{
  struct timespec ts;
  if(s <= 0)
    return;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  nanosleep(&ts, NULL);
}

static double lk_dt_jitter(int max_ms)
{
  unsigned r = 0;
  if(max_ms <= 0 || getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
    return 0;
  return (double)(r % (unsigned)max_ms) / 1000.0;
}

void lk_dt_publish(struct lk_dt_service *s, const struct lk_dt_message *m,
                   size_t n)
{
  size_t i;
  for(i = 0; s->mqtt && i < n; i++) {
    if(!lk_mqtt_publish(s->mqtt, m[i].topic, m[i].payload, m[i].len, 0,
                        m[i].retain))
      atomic_fetch_add(&s->published, 1);
  }
}

/* ---- detectors -------------------------------------------------------- */

/* likeness's own engine: every face with its nearest person. */
static lk_err lk_dt_likeness(struct lk_dt_run *r, const unsigned char *img,
                             size_t len, struct lk_dt_raw_face **faces,
                             size_t *n, char *why)
{
  struct lk_pipeline_result res;
  int i;
  lk_err err = lk_pipeline_recognize(r->s->o.pipe, img, len, 1, r->a, &res,
                                     why);
  *faces = NULL;
  *n = 0;
  if(err)
    return err;
  *faces = lk_arena_calloc(r->a, (size_t)(res.n_faces ? res.n_faces : 1) *
                                 sizeof **faces);
  if(!*faces)
    return LK_ERR_NOMEM;
  for(i = 0; i < res.n_faces; i++) {
    const struct lk_pipeline_face *f = &res.faces[i];
    struct lk_dt_raw_face *o = &(*faces)[(*n)++];
    o->detector = "likeness";
    o->subject = f->n_matches ? f->matches[0].person : NULL;
    o->confidence = f->n_matches ? f->matches[0].confidence : 0;
    o->box = lk_dt_box_corners((int)lroundf(f->face.box.x_min),
                               (int)lroundf(f->face.box.y_min),
                               (int)lroundf(f->face.box.x_max),
                               (int)lroundf(f->face.box.y_max));
  }
  return LK_OK;
}

/* Whether a detector works for this camera (detectors.*.cameras). */
static int lk_dt_for_camera(const struct lk_dt_detector *d,
                            const char *camera)
{
  size_t i;
  if(!d->enabled)
    return 0;
  for(i = 0; i < d->cameras.n; i++)
    if(!strcmp(d->cameras.v[i], camera))
      return 1;
  return d->cameras.n == 0;
}

static lk_err lk_dt_remote_run(struct lk_dt_run *r, int kind,
                               const unsigned char *img, size_t len,
                               struct lk_dt_raw_face **faces, size_t *n,
                               char *why)
{
  const struct lk_dt_detector *d = &r->s->cfg->detectors[kind];
  struct lk_dt_remote rem;
  memset(&rem, 0, sizeof rem);
  rem.kind = (enum lk_dt_detector_kind)kind;
  rem.url = d->url;
  rem.key = d->key;
  rem.timeout_s = (int)d->timeout;
  rem.det_prob_threshold = d->det_prob_threshold;
  rem.face_plugins = d->face_plugins;
  return lk_dt_remote_recognize(&rem, img, len, r->a, faces, n, why);
}

/* One detector on one image: its normalized faces as an attempt. */
static lk_err lk_dt_detect(struct lk_dt_run *r, int kind,
                           const unsigned char *img, size_t len, int attempt,
                           struct lk_dt_attempt *out)
{
  struct lk_dt_raw_face *raw = NULL;
  struct lk_dt_face *faces;
  char why[LK_PIPELINE_ERRMAX] = "";
  double t0 = lk_dt_now();
  size_t n = 0, i;
  int kept;
  lk_err err = kind == LK_DT_LIKENESS
               ? lk_dt_likeness(r, img, len, &raw, &n, why)
               : lk_dt_remote_run(r, kind, img, len, &raw, &n, why);
  memset(out, 0, sizeof *out);
  out->detector = lk_dt_detector_name((enum lk_dt_detector_kind)kind);
  out->attempt = attempt;
  out->duration = lk_dt_round2(lk_dt_now() - t0);
  if(err) {
    lk_log(LK_LOG_WARN, "dt", "%s: %s: %s", r->job->ev.id, out->detector,
           why[0] ? why : lk_strerror(err));
    return err;
  }
  faces = lk_arena_calloc(r->a, (n ? n : 1) * sizeof *faces);
  if(!faces)
    return LK_ERR_NOMEM;
  for(i = 0; i < n; i++) {
    err = lk_dt_face_normalize(&raw[i], &r->th, r->a, &faces[out->n_faces],
                               &kept);
    if(err)
      return err;
    r->matched |= kept && faces[out->n_faces].match;
    out->n_faces += (size_t)kept;
  }
  out->faces = faces;
  return LK_OK;
}

/* ---- one image -------------------------------------------------------- */

static lk_err lk_dt_loop_grow(struct lk_dt_run *r, struct lk_dt_loop *l,
                              size_t more)
{
  struct lk_dt_attempt *g;
  if(l->n + more <= l->cap)
    return LK_OK;
  g = lk_arena_alloc(r->a, (l->cap * 2 + more) * sizeof *g);
  if(!g)
    return LK_ERR_NOMEM;
  if(l->n)
    memcpy(g, l->results, l->n * sizeof *g);
  l->results = g;
  l->cap = l->cap * 2 + more;
  return LK_OK;
}

/* Keep the image when Double Take would: a match, or a face with
 * detect.unknown.save. Its name goes into the attempts. */
static void lk_dt_keep(struct lk_dt_run *r, const char *type,
                       const unsigned char *img, size_t len,
                       struct lk_dt_attempt *res, size_t n)
{
  struct lk_dt_save sv;
  char name[64] = "", *copy;
  size_t i, faces = 0;
  int matched = 0;
  for(i = 0; i < n; i++) {
    size_t k;
    faces += res[i].n_faces;
    for(k = 0; k < res[i].n_faces; k++)
      matched |= res[i].faces[k].match;
  }
  if(!r->s->o.save || !faces || (matched ? !r->view.match.save
                                         : !r->view.unknown.save))
    return;
  memset(&sv, 0, sizeof sv);
  sv.event_id = r->job->ev.id;
  sv.camera = r->job->ev.camera;
  sv.zones = r->job->ev.zones;
  sv.n_zones = (size_t)r->job->ev.n_zones;
  sv.type = type;
  sv.image = img;
  sv.len = len;
  sv.results = res;
  sv.n_results = n;
  sv.matched = matched;
  if(r->s->o.save(r->s->o.save_ctx, &sv, name) || !name[0] ||
     !(copy = lk_arena_strdup(r->a, name)))
    return;
  for(i = 0; i < n; i++)
    res[i].filename = copy;
}

/* Every detector the camera uses, on one image. */
static lk_err lk_dt_image(struct lk_dt_run *r, struct lk_dt_loop *l,
                          const unsigned char *img, size_t len)
{
  int kind, attempt = l->group.attempts + 1;
  size_t first = l->n;
  lk_err err = LK_OK;
  for(kind = 0; kind < LK_DT_DETECTORS && !err; kind++) {
    if(kind == LK_DT_REKOGNITION ||
       !lk_dt_for_camera(&r->s->cfg->detectors[kind], r->job->ev.camera))
      continue;
    err = lk_dt_loop_grow(r, l, 1);
    /* one detector failing leaves the others' answers */
    if(!err && !lk_dt_detect(r, kind, img, len, attempt, &l->results[l->n]))
      l->n++;
  }
  l->group.attempts = attempt;
  atomic_fetch_add(&r->s->images, 1);
  if(!err)
    lk_dt_keep(r, l->group.type, img, len, l->results + first, l->n - first);
  return err;
}

/* Fetch url (policy NULL: trusted, from the config); 1 when the image
 * differs from the loop's previous one. */
static int lk_dt_get(struct lk_dt_run *r, struct lk_dt_loop *l,
                     const char *url, const struct lk_fetch_policy *policy,
                     unsigned char **img, size_t *len)
{
  struct lk_fetch_policy p = policy ? *policy : lk_fetch_default_policy();
  char why[LK_FETCH_ERRMAX] = "";
  lk_err err;
  p.timeout_ms = LK_DT_IMAGE_TIMEOUT_MS;
  err = policy ? lk_fetch_url(&p, url, img, len, NULL, why)
               : lk_fetch_trusted(&p, NULL, url, img, len, NULL, why);
  if(err) {
    r->error = lk_arena_strdup(r->a, why[0] ? why : lk_strerror(err));
    lk_log(LK_LOG_INFO, "dt", "%s: %s: %s", r->job->ev.id, url, why);
    return 0;
  }
  if(l->last && *len == l->last_len && !memcmp(*img, l->last, *len)) {
    lk_free(*img);
    return 0;
  }
  lk_free(l->last);
  l->last = lk_malloc(*len);
  l->last_len = *len;
  if(l->last)
    memcpy(l->last, *img, *len);
  return 1;
}

/* Fetch one image of a Frigate event; 1 when it is new. */
static int lk_dt_fetch(struct lk_dt_run *r, struct lk_dt_loop *l,
                       enum lk_dt_frigate_image what, unsigned char **img,
                       size_t *len)
{
  const struct lk_dt_config *c = r->s->cfg;
  const char *custom = what == LK_DT_FRIGATE_SNAPSHOT
                       ? r->view.image.snapshot : r->view.image.latest;
  const char *base = c->frigate.url.n > (size_t)r->job->frigate
                     ? c->frigate.url.v[r->job->frigate] : NULL;
  char url[LK_FETCH_URL_MAX];
  int crop = !r->view.camera || !r->view.camera->masks.coordinates.n;

  if(custom)
    snprintf(url, sizeof url, "%s", custom);
  else if(!base || lk_dt_frigate_url(url, sizeof url, base, &r->job->ev,
                                     what, (int)r->view.image.height,
                                     crop) < 0)
    return 0;
  return lk_dt_get(r, l, url, NULL, img, len);
}

static lk_err lk_dt_round(struct lk_dt_run *r, struct lk_dt_loop *l,
                          enum lk_dt_frigate_image what)
{
  unsigned char *img = NULL;
  size_t len = 0;
  lk_err err;
  if(!lk_dt_fetch(r, l, what, &img, &len))
    return LK_OK;
  err = lk_dt_image(r, l, img, len);
  lk_free(img);
  return err;
}

/* Double Take's two loops, interleaved: snapshot then latest, round after
 * round, until both ran their attempts or a match stops them. */
static lk_err lk_dt_poll(struct lk_dt_run *r, struct lk_dt_loop *loops)
{
  long snap = r->view.attempts.snapshot, latest = r->view.attempts.latest;
  long i, rounds = snap > latest ? snap : latest;
  int stop = r->s->cfg->frigate.stop_on_match;
  lk_err err = LK_OK;
  if(rounds > LK_DT_MAX_ATTEMPTS)
    rounds = LK_DT_MAX_ATTEMPTS;
  for(i = 0; i < rounds && !err && !(stop && r->matched); i++) {
    if(i < snap)
      err = lk_dt_round(r, &loops[0], LK_DT_FRIGATE_SNAPSHOT);
    if(!err && i < latest && !(stop && r->matched))
      err = lk_dt_round(r, &loops[1], LK_DT_FRIGATE_LATEST);
    if(i + 1 < rounds && !(stop && r->matched))
      lk_dt_sleep(r->view.attempts.delay + lk_dt_jitter(r->s->o.jitter_ms));
  }
  return err;
}

/* A URL asked over HTTP (GET /api/recognize?url=, a camera's webhook):
 * fetched up to job->attempts times. An unchanged image is not
 * recognized again; the next try waits half a second, as Double Take
 * waits for the camera's next frame. */
static lk_err lk_dt_url_poll(struct lk_dt_run *r, struct lk_dt_loop *l)
{
  long i, n = r->job->attempts < 1 ? 1 : r->job->attempts;
  lk_err err = LK_OK;
  if(n > LK_DT_MAX_ATTEMPTS)
    n = LK_DT_MAX_ATTEMPTS;
  for(i = 0; i < n && !err && !(r->job->stop_on_match && r->matched); i++) {
    unsigned char *img = NULL;
    size_t len = 0;
    if(!lk_dt_get(r, l, r->job->url, r->job->policy, &img, &len)) {
      if(i + 1 < n)
        lk_dt_sleep(0.5);
      continue;
    }
    err = lk_dt_image(r, l, img, len);
    lk_free(img);
  }
  return err;
}

/* ---- results out ------------------------------------------------------ */

static void lk_dt_timestamp(struct lk_dt_run *r, char *out, size_t size)
{
  struct lk_dt_clock c;
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  c.unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  localtime_r(&ts.tv_sec, &tm);
  c.offset_min = (int)(tm.tm_gmtoff / 60);
  c.utc = c.offset_min == 0;
  if(lk_dt_time_format(&c, r->s->cfg->time.format, out, size))
    snprintf(out, size, "%lld", (long long)ts.tv_sec);
}

static void lk_dt_sub_label(struct lk_dt_run *r, const struct lk_dt_group *g,
                            size_t n)
{
  const struct lk_dt_config *c = r->s->cfg;
  struct lk_dt_vote v;
  char why[LK_DT_FRIGATE_ERRMAX] = "";
  if(!c->frigate.update_sub_labels || r->job->type ||
     c->frigate.url.n <= (size_t)r->job->frigate)
    return;
  lk_dt_vote(g, n, &v);
  if(!v.name)
    return;
  if(lk_dt_frigate_sub_label(NULL, c->frigate.url.v[r->job->frigate],
                             r->job->ev.id, v.name, v.score, why))
    lk_log(LK_LOG_WARN, "dt", "%s: sub_label %s: %s", r->job->ev.id, v.name,
           why);
  else
    atomic_fetch_add(&r->s->sub_labels, 1);
}

/* Gotify and Telegram, last: a slow notifier holds up nothing else. */
static void lk_dt_notices(struct lk_dt_run *r, const struct lk_dt_event *ev,
                          const struct lk_dt_summary *sum)
{
  struct lk_dt_notify_opts o = lk_dt_notify_default_opts();
  if(r->s->o.save == lk_dt_save_to_store) {
    o.image = lk_dt_notify_store_image;     /* the kept image, read back */
    o.image_ctx = r->s->o.save_ctx;
  }
  lk_dt_notify_event(r->s->cfg, &o, ev, sum, r->a, NULL);
}

static void lk_dt_results_out(struct lk_dt_run *r, const struct lk_dt_group *g,
                              size_t n, double t0, struct lk_dt_outcome *out)
{
  struct lk_dt_summary sum;
  struct lk_dt_event ev;
  struct lk_dt_message *m = NULL;
  char stamp[128];
  size_t k = 0;

  if(lk_dt_summarize(g, n, r->a, &sum)) {
    out->error = "out of memory";
    return;
  }
  memset(&ev, 0, sizeof ev);
  lk_dt_timestamp(r, stamp, sizeof stamp);
  ev.timestamp = lk_arena_strdup(r->a, stamp);
  if(!ev.timestamp) {
    out->error = "out of memory";
    return;
  }
  ev.id = r->job->ev.id;
  ev.duration = lk_dt_round2(lk_dt_now() - t0);
  ev.camera = r->job->ev.camera;
  ev.zones = r->job->ev.zones;
  ev.n_zones = (size_t)r->job->ev.n_zones;
  if(sum.n_matches)
    atomic_fetch_add(&r->s->matched, 1);
  /* Double Take publishes only events with a result */
  if(sum.n_matches + sum.n_misses + sum.n_unknowns &&
     !lk_dt_mqtt_messages(&r->s->topics, &ev, &sum, r->a, &m, &k)) {
    lk_dt_publish(r->s, m, k);
    if(!lk_dt_mqtt_reset_messages(&r->s->topics, &ev, &sum, r->a, &m, &k))
      lk_dt_resets_schedule(r->s->resets, ev.camera, m, k);
  }
  lk_dt_sub_label(r, g, n);
  lk_dt_notices(r, &ev, &sum);
  out->done = 1;
  out->ev = ev;
  out->sum = sum;
}

/* The camera's settings and thresholds for one job. */
static void lk_dt_run_init(struct lk_dt_run *r, struct lk_dt_service *s,
                           struct lk_dt_job *job)
{
  memset(r, 0, sizeof *r);
  r->s = s;
  r->job = job;
  r->a = job->arena;
  lk_dt_config_camera(s->cfg, job->ev.camera, &r->view);
  r->th = lk_dt_thresholds_default();
  r->th.match_confidence = r->view.match.confidence;
  r->th.match_min_area = r->view.match.min_area;
  r->th.unknown_confidence = r->view.unknown.confidence;
  r->th.unknown_min_area = r->view.unknown.min_area;
}

lk_err lk_dt_service_image(struct lk_dt_service *s, const char *camera,
                           const unsigned char *img, size_t len,
                           struct lk_arena *arena,
                           struct lk_dt_attempt **out, size_t *n)
{
  struct lk_dt_job job;
  struct lk_dt_run r;
  struct lk_dt_attempt *res;
  int kind;
  *out = NULL;
  *n = 0;
  memset(&job, 0, sizeof job);
  job.arena = arena;
  job.ev.id = "reprocess";
  job.ev.camera = camera;
  lk_dt_run_init(&r, s, &job);
  res = lk_arena_calloc(arena, LK_DT_DETECTORS * sizeof *res);
  if(!res)
    return LK_ERR_NOMEM;
  for(kind = 0; kind < LK_DT_DETECTORS; kind++) {
    if(kind == LK_DT_REKOGNITION ||
       !lk_dt_for_camera(&s->cfg->detectors[kind], camera))
      continue;
    if(!lk_dt_detect(&r, kind, img, len, 1, &res[*n]))
      (*n)++;
  }
  *out = res;
  return *n ? LK_OK : LK_ERR_IMAGE;
}

void lk_dt_event_process(struct lk_dt_service *s, struct lk_dt_job *job,
                         struct lk_dt_outcome *out)
{
  struct lk_dt_outcome scratch;
  struct lk_dt_loop loops[2];
  struct lk_dt_group *groups;
  struct lk_dt_run r;
  double t0 = lk_dt_now();
  size_t n = 0, i;
  lk_err err;

  if(!out)
    out = &scratch;
  memset(out, 0, sizeof *out);
  lk_dt_run_init(&r, s, job);
  memset(loops, 0, sizeof loops);
  /* in the job's arena: the outcome's summary points at them */
  groups = lk_arena_calloc(job->arena, 2 * sizeof *groups);
  if(!groups) {
    out->error = "out of memory";
    atomic_fetch_add(&s->failed, 1);
    atomic_fetch_add(&s->processed, 1);
    return;
  }
  loops[0].group.type = job->type ? job->type : "snapshot";
  loops[1].group.type = "latest";
  if(job->url)
    err = lk_dt_url_poll(&r, &loops[0]);
  else if(job->type)
    err = lk_dt_image(&r, &loops[0], job->image, job->len);
  else
    err = lk_dt_poll(&r, loops);
  for(i = 0; i < 2; i++) {
    loops[i].group.results = loops[i].results;
    loops[i].group.n_results = loops[i].n;
    loops[i].group.duration = lk_dt_round2(lk_dt_now() - t0);
    if(loops[i].group.attempts)
      groups[n++] = loops[i].group;
    lk_free(loops[i].last);
  }
  if(err || !n) {
    out->error = err ? lk_strerror(err) : r.error ? r.error : "no image";
    atomic_fetch_add(&s->failed, 1);
    lk_log(LK_LOG_WARN, "dt", "%s: %s", job->ev.id, out->error);
    if(s->mqtt && (err || r.error))
      lk_mqtt_publish(s->mqtt, "double-take/errors", out->error,
                      strlen(out->error), 0, 0);
  } else {
    lk_dt_results_out(&r, groups, n, t0, out);
  }
  atomic_fetch_add(&s->processed, 1);
}

void lk_dt_event_run(struct lk_dt_service *s, struct lk_dt_job *job)
{
  lk_dt_event_process(s, job, NULL);
}
