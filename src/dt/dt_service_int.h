/* dt_service_int.h - what the Double Take service's files share:
 * dt_service.c (intake, MQTT, lifecycle), dt_event.c (one event's
 * attempts and results), dt_reset.c (camera counts back to 0). */
#ifndef LK_DT_SERVICE_INT_H
#define LK_DT_SERVICE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "dt/dt_frigate.h"
#include "dt/dt_queue.h"
#include "dt/dt_remote.h"
#include "dt/dt_service.h"
#include "mqtt/mqtt.h"

/* A job: a Frigate event, or one image (MQTT snapshot topic). */
struct lk_dt_job {
  struct lk_arena *arena;            /* the job's; everything below */
  struct lk_dt_object ev;            /* id, camera, zones (Frigate) */
  int frigate;                       /* index into frigate.url */
  const char *type;                  /* NULL: Frigate polling; else "mqtt" */
  unsigned char *image;              /* type's image */
  size_t len;
  /* HTTP requests (GET /api/recognize?url=, camera webhooks): this URL is
   * fetched up to attempts times as group type; policy NULL: trusted */
  const char *url;
  const struct lk_fetch_policy *policy;
  int attempts;
  int stop_on_match;
  double received;                   /* monotonic seconds */
};

/* What an event came to, for a caller waiting on it (HTTP). Strings and
 * arrays live in the job's arena. */
struct lk_dt_outcome {
  int done;                          /* 1: some image was recognized */
  struct lk_dt_event ev;
  struct lk_dt_summary sum;
  const char *error;                 /* when not done: why */
};

struct lk_dt_resets;

struct lk_dt_service {
  struct lk_dt_service_opts o;
  const struct lk_dt_config *cfg;
  struct lk_dt_topics topics;
  struct lk_mqtt *mqtt;
  struct lk_dt_queue *queue;
  struct lk_dt_resets *resets;
  double connected_at;               /* monotonic s of the last connect */
  pthread_mutex_t lock;              /* seen, last_* */
  double last_event;                 /* Unix s of the last Frigate event */
  char last_camera[128];             /* and its camera */
  size_t seen[10];                   /* last MQTT image sizes (dedup) */
  int n_seen;
  atomic_long received, skipped, processed, dropped, failed, images,
              matched, published, sub_labels;
};

double lk_dt_now(void);              /* monotonic seconds */

/* dt_service.c: jobs. A job owns its arena (and lives in it) and image. */
struct lk_dt_job *lk_dt_job_new(void);
void lk_dt_job_free(struct lk_dt_job *job);          /* NULL is fine */
/* Queue a job (the service owns it from here); a full queue drops the
 * oldest waiting one, counted. */
void lk_dt_push(struct lk_dt_service *s, struct lk_dt_job *job);
/* frigate.* checks as a filter; zones fills up to max entries. */
void lk_dt_filter(const struct lk_dt_config *c,
                  struct lk_dt_frigate_filter *f,
                  struct lk_dt_frigate_zone *zones, size_t max);
/* schedule.disable turns recognition off for camera now. */
int lk_dt_scheduled_off(struct lk_dt_service *s, const char *camera);
/* A Frigate event was accepted, for /api/status/frigate. */
void lk_dt_seen_event(struct lk_dt_service *s, const char *camera);
void lk_dt_uuid(char out[37]);       /* a random (v4) UUID */

/* dt_event.c: run one job on a worker. */
void lk_dt_event_run(struct lk_dt_service *s, struct lk_dt_job *job);
/* The same on the calling thread, telling what came of it; out may be
 * NULL. */
void lk_dt_event_process(struct lk_dt_service *s, struct lk_dt_job *job,
                         struct lk_dt_outcome *out);
/* Publish a list; counts what went out. */
void lk_dt_publish(struct lk_dt_service *s, const struct lk_dt_message *m,
                   size_t n);

/* dt_reset.c: the messages to send reset_s after a camera's last event
 * (copied); a newer event of the camera replaces them. */
lk_err lk_dt_resets_create(struct lk_dt_service *s, struct lk_dt_resets **out);
void lk_dt_resets_schedule(struct lk_dt_resets *r, const char *camera,
                           const struct lk_dt_message *m, size_t n);
/* Sends what is pending now, then stops. */
void lk_dt_resets_destroy(struct lk_dt_resets *r);

#endif
