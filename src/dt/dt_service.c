/* dt_service.c - the Double Take service's intake and lifecycle: events
 * from MQTT (frigate/events, frigate/<camera>/person/snapshot, cameras'
 * own topics) or from an HTTP handler, checked and queued; the MQTT link
 * with Double Take's availability topic. */
#include "dt_service_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/log.h"

#define LK_DT_RETAINED_S 5.0   /* MQTT images this soon after a connect
                                  are old, retained ones (Double Take) */
#define LK_DT_JOB_ARENA ((size_t)128 << 20)
/* An MQTT snapshot larger than this is not a camera's JPEG; the HTTP
 * layer's default body limit. */
#define LK_DT_MQTT_IMAGE_MAX ((size_t)20 << 20)

void lk_dt_uuid(char out[37])
{
  unsigned char b[16];
  size_t i;
  int k = 0;
  if(getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
    memset(b, 0, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);    /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);    /* RFC 4122 variant */
  for(i = 0; i < 16; i++) {
    if(i == 4 || i == 6 || i == 8 || i == 10)
      out[k++] = '-';
    k += snprintf(out + k, 3, "%02x", b[i]);
  }
}

double lk_dt_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct lk_dt_service_opts lk_dt_service_default_opts(void)
{
  struct lk_dt_service_opts o;
  memset(&o, 0, sizeof o);
  o.workers = 2;
  o.queue = 32;
  o.reset_s = 30;
  o.jitter_ms = 250;
  return o;
}

void lk_dt_job_free(struct lk_dt_job *job)
{
  if(job) {
    lk_free(job->image);
    lk_arena_destroy(job->arena);   /* job itself lives in it */
  }
}

static void lk_dt_job_run_cb(void *job, void *ctx)
{
  lk_dt_event_run(ctx, job);
  lk_dt_job_free(job);
}

static void lk_dt_job_drop_cb(void *job, void *ctx)
{
  (void)ctx;
  lk_dt_job_free(job);
}

struct lk_dt_job *lk_dt_job_new(void)
{
  struct lk_arena *a = lk_arena_create(LK_DT_JOB_ARENA);
  struct lk_dt_job *job = a ? lk_arena_calloc(a, sizeof *job) : NULL;
  if(!job) {
    lk_arena_destroy(a);
    return NULL;
  }
  job->arena = a;
  job->received = lk_dt_now();
  return job;
}

void lk_dt_push(struct lk_dt_service *s, struct lk_dt_job *job)
{
  struct lk_dt_queue_stats before, after;
  lk_dt_queue_stats(s->queue, &before);
  lk_dt_queue_push(s->queue, job);
  lk_dt_queue_stats(s->queue, &after);
  if(after.dropped > before.dropped) {
    atomic_fetch_add(&s->dropped, after.dropped - before.dropped);
    lk_log(LK_LOG_WARN, "dt", "busy: dropped the oldest waiting event");
  }
}

/* The filter of frigate.* checks. */
void lk_dt_filter(const struct lk_dt_config *c,
                         struct lk_dt_frigate_filter *f,
                         struct lk_dt_frigate_zone *zones, size_t max)
{
  size_t i;
  memset(f, 0, sizeof *f);
  f->labels = c->frigate.labels.n ? c->frigate.labels.v : NULL;
  f->cameras = c->frigate.cameras.n ? c->frigate.cameras.v : NULL;
  for(i = 0; i < c->frigate.zones.n && i < max; i++) {
    zones[i].camera = c->frigate.zones.v[i].camera;
    zones[i].zone = c->frigate.zones.v[i].zone;
  }
  f->zones = zones;
  f->n_zones = (int)i;
  f->min_area = c->frigate.min_area;
}

void lk_dt_seen_event(struct lk_dt_service *s, const char *camera)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  pthread_mutex_lock(&s->lock);
  s->last_event = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  snprintf(s->last_camera, sizeof s->last_camera, "%s", camera);
  pthread_mutex_unlock(&s->lock);
}

/* schedule.disable: recognition off for camera now (local time: the
 * process's TZ, as Double Take's container has it). */
int lk_dt_scheduled_off(struct lk_dt_service *s, const char *camera)
{
  time_t now = time(NULL);
  struct tm tm;
  if(!s->cfg->schedule.n || !localtime_r(&now, &tm))
    return 0;
  return lk_dt_config_disabled(s->cfg, camera, (tm.tm_wday + 6) % 7,
                               tm.tm_hour * 60 + tm.tm_min);
}

const char *lk_dt_service_event(struct lk_dt_service *s, const void *json,
                                size_t len, int frigate,
                                struct lk_arena *arena)
{
  struct lk_dt_frigate_zone zones[64];
  struct lk_dt_frigate_filter f;
  struct lk_dt_job *job = lk_dt_job_new();
  char why[LK_DT_FRIGATE_ERRMAX] = "";
  const char *skip;

  atomic_fetch_add(&s->received, 1);
  if(!job)
    return "out of memory";
  if(lk_dt_frigate_parse(json, len, job->arena, &job->ev, why)) {
    skip = lk_arena_strdup(arena, why);
  } else {
    lk_dt_filter(s->cfg, &f, zones, 64);
    skip = lk_dt_frigate_check(&job->ev, &f, arena);
    if(!skip && lk_dt_scheduled_off(s, job->ev.camera)) {
      snprintf(why, sizeof why, "%.100s - %.100s disabled by schedule",
               job->ev.id, job->ev.camera);
      skip = lk_arena_strdup(arena, why);
    }
  }
  if(skip) {
    atomic_fetch_add(&s->skipped, 1);
    lk_dt_job_free(job);
    return skip;
  }
  job->frigate = frigate;
  lk_dt_seen_event(s, job->ev.camera);
  lk_dt_push(s, job);
  return NULL;
}

/* ---- MQTT ------------------------------------------------------------- */

/* An MQTT image: skipped in the first seconds after a connect (retained)
 * and when its size is one of the last ten seen (the same picture). */
static int lk_dt_image_new(struct lk_dt_service *s, size_t len)
{
  int i, fresh = 1;
  if(lk_dt_now() - s->connected_at < LK_DT_RETAINED_S)
    return 0;
  pthread_mutex_lock(&s->lock);
  for(i = 0; i < s->n_seen; i++)
    if(s->seen[i] == len)
      fresh = 0;
  if(fresh) {
    memmove(s->seen + 1, s->seen, 9 * sizeof s->seen[0]);
    s->seen[0] = len;
    if(s->n_seen < 10)
      s->n_seen++;
  }
  pthread_mutex_unlock(&s->lock);
  return fresh;
}

static void lk_dt_mqtt_image(struct lk_dt_service *s, const char *camera,
                             const void *payload, size_t len)
{
  struct lk_dt_job *job;
  char id[40];
  atomic_fetch_add(&s->received, 1);
  /* an MQTT message may be 256 MB: a queue of those is not bounded */
  if(!len || len > LK_DT_MQTT_IMAGE_MAX || lk_dt_scheduled_off(s, camera) ||
     !lk_dt_image_new(s, len)) {
    atomic_fetch_add(&s->skipped, 1);
    return;
  }
  if(!(job = lk_dt_job_new()))
    return;
  lk_dt_uuid(id);            /* Double Take names such events by UUID */
  job->type = "mqtt";
  job->ev.id = lk_arena_strdup(job->arena, id);
  job->ev.camera = lk_dt_lower(job->arena, camera);
  job->ev.label = "person";
  job->image = lk_malloc(len);
  if(!job->ev.id || !job->ev.camera || !job->image) {
    lk_dt_job_free(job);
    return;
  }
  memcpy(job->image, payload, len);
  job->len = len;
  lk_dt_push(s, job);
}

/* "frigate/front/person/snapshot" under frigate topic "frigate/events":
 * the camera, or NULL. */
static const char *lk_dt_snapshot_camera(const char *frigate_topic,
                                         const char *topic, char *cam,
                                         size_t size)
{
  size_t p = strcspn(frigate_topic, "/"), c;
  const char *rest;
  if(strncmp(topic, frigate_topic, p) || topic[p] != '/')
    return NULL;
  rest = topic + p + 1;
  c = strcspn(rest, "/");
  if(!c || c >= size || strcmp(rest + c, "/person/snapshot"))
    return NULL;
  memcpy(cam, rest, c);
  cam[c] = '\0';
  return cam;
}

static void lk_dt_on_message(void *ctx, const char *topic,
                             const void *payload, size_t len, int retained)
{
  struct lk_dt_service *s = ctx;
  const struct lk_dt_config *c = s->cfg;
  struct lk_arena *a;
  char cam[256];
  size_t i;
  (void)retained;
  for(i = 0; i < c->mqtt.topics.frigate.n; i++) {
    const char *t = c->mqtt.topics.frigate.v[i];
    if(!strcmp(topic, t)) {
      if((a = lk_arena_create(1 << 16))) {
        const char *skip = lk_dt_service_event(s, payload, len, (int)i, a);
        if(skip)
          lk_log(LK_LOG_DEBUG, "dt", "%s", skip);
        lk_arena_destroy(a);
      }
      return;
    }
    if(lk_dt_snapshot_camera(t, topic, cam, sizeof cam)) {
      lk_dt_mqtt_image(s, cam, payload, len);
      return;
    }
  }
  for(i = 0; i < c->n_cameras; i++) {
    if(c->cameras[i].snapshot.topic &&
       !strcmp(c->cameras[i].snapshot.topic, topic)) {
      lk_dt_mqtt_image(s, c->cameras[i].name, payload, len);
      return;
    }
  }
}

static void lk_dt_on_link(void *ctx, int up, const char *why)
{
  struct lk_dt_service *s = ctx;
  if(up)
    s->connected_at = lk_dt_now();
  lk_log(up ? LK_LOG_INFO : LK_LOG_WARN, "dt", "MQTT %s: %s",
         up ? "connected" : "disconnected", why);
}

static lk_err lk_dt_subscribe(struct lk_dt_service *s)
{
  const struct lk_dt_config *c = s->cfg;
  char filter[512];
  size_t i;
  lk_err err = LK_OK;
  for(i = 0; !err && i < c->mqtt.topics.frigate.n; i++) {
    const char *t = c->mqtt.topics.frigate.v[i];
    err = lk_mqtt_subscribe(s->mqtt, t, 0);
    if(!err && c->frigate.attempts.mqtt) {
      snprintf(filter, sizeof filter, "%.*s/+/person/snapshot",
               (int)strcspn(t, "/"), t);
      err = lk_mqtt_subscribe(s->mqtt, filter, 0);
    }
  }
  for(i = 0; !err && i < c->n_cameras; i++)
    if(c->cameras[i].snapshot.topic)
      err = lk_mqtt_subscribe(s->mqtt, c->cameras[i].snapshot.topic, 0);
  return err;
}

lk_err lk_dt_service_start(struct lk_dt_service *s, char *why)
{
  const struct lk_dt_config *c = s->cfg;
  struct lk_mqtt_config mc = lk_mqtt_default_config();
  lk_err err;
  if(!c->mqtt.enabled)
    return LK_OK;
  mc.host = c->mqtt.hostname;
  mc.port = (int)c->mqtt.port;
  mc.username = c->mqtt.username;
  mc.password = c->mqtt.password;
  mc.client_id = c->mqtt.client_id;
  mc.ca_file = c->mqtt.tls.ca;
  mc.cert_file = c->mqtt.tls.cert;
  mc.key_file = c->mqtt.tls.key;
  mc.tls_insecure = !c->mqtt.tls.reject_unauthorized;
  mc.availability_topic = s->topics.available;
  err = lk_mqtt_create(&s->mqtt, &mc, lk_dt_on_message, lk_dt_on_link, s,
                       why);
  if(!err)
    err = lk_dt_subscribe(s);
  if(!err)
    err = lk_mqtt_start(s->mqtt, why);
  return err;
}

lk_err lk_dt_service_create(struct lk_dt_service **out,
                            const struct lk_dt_service_opts *o, char *why)
{
  struct lk_dt_service *s;
  lk_err err;
  *out = NULL;
  if(!o->cfg || !o->pipe || o->workers < 1 || o->queue < 1) {
    if(why)
      snprintf(why, LK_DT_SERVICE_ERRMAX, "Double Take: bad options");
    return LK_ERR_INVAL;
  }
  if(!(s = lk_calloc(1, sizeof *s)))
    return LK_ERR_NOMEM;
  s->o = *o;
  s->cfg = o->cfg;
  pthread_mutex_init(&s->lock, NULL);
  s->topics = lk_dt_topics_default();
  s->topics.matches = s->cfg->mqtt.topics.matches;
  s->topics.cameras = s->cfg->mqtt.topics.cameras;
  s->topics.homeassistant = s->cfg->mqtt.topics.homeassistant;
  err = lk_dt_queue_create(&s->queue, o->workers, o->queue, lk_dt_job_run_cb,
                           lk_dt_job_drop_cb, s);
  if(!err)
    err = lk_dt_resets_create(s, &s->resets);
  if(err) {
    lk_dt_service_destroy(s);
    return err;
  }
  *out = s;
  return LK_OK;
}

void lk_dt_service_stats(struct lk_dt_service *s,
                         struct lk_dt_service_stats *st)
{
  st->received = atomic_load(&s->received);
  st->skipped = atomic_load(&s->skipped);
  st->processed = atomic_load(&s->processed);
  st->dropped = atomic_load(&s->dropped);
  st->failed = atomic_load(&s->failed);
  st->images = atomic_load(&s->images);
  st->matched = atomic_load(&s->matched);
  st->published = atomic_load(&s->published);
  st->sub_labels = atomic_load(&s->sub_labels);
  st->mqtt_connected = s->mqtt ? lk_mqtt_connected(s->mqtt) : 0;
  pthread_mutex_lock(&s->lock);
  st->last_event = s->last_event;
  memcpy(st->last_camera, s->last_camera, sizeof st->last_camera);
  pthread_mutex_unlock(&s->lock);
}

void lk_dt_service_destroy(struct lk_dt_service *s)
{
  if(!s)
    return;
  lk_dt_queue_destroy(s->queue, 1);  /* MQTT still up for their results */
  lk_dt_resets_destroy(s->resets);   /* and the pending resets */
  lk_mqtt_destroy(s->mqtt);          /* offline, disconnect */
  pthread_mutex_destroy(&s->lock);
  lk_free(s);
}
