/* dt_service.h - Double Take inside likeness: Frigate's events in (MQTT or
 * POST /api/recognize), each one polled on its own worker (snapshot.jpg
 * and latest.jpg, up to the configured attempts, with a delay and jitter,
 * stopping on a match), every image asked of likeness's own engine and of
 * any external detector in `detectors:`, Double Take's rules applied
 * (dt_result), and the results out: MQTT topics and Home Assistant
 * discovery exactly as Double Take publishes them, the camera counts reset
 * 30 s later, Frigate's sub_label from an area-weighted vote, and the
 * images kept through a save hook. docs/doubletake.md has the design.
 *
 * Threads: events are taken from any thread (MQTT's, HTTP's); they run on
 * the service's workers; stats may be read from anywhere.
 *
 *   struct lk_dt_service_opts o = lk_dt_service_default_opts();
 *   o.cfg = &cfg;  o.pipe = pipe;
 *   err = lk_dt_service_create(&s, &o, why);
 *   err = lk_dt_service_start(s, why);          MQTT, when mqtt.host is set
 *   skip = lk_dt_service_event(s, json, len, arena);   POST /api/recognize
 *   lk_dt_service_destroy(s);                   drains, says offline
 */
#ifndef LK_DT_SERVICE_H
#define LK_DT_SERVICE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "dt/dt_config.h"
#include "dt/dt_result.h"
#include "pipeline/pipeline.h"

#define LK_DT_SERVICE_ERRMAX 256

/* One image worth keeping: any match, or a face with detect.unknown.save.
 * The hook stores it and names the file ("<uuid>.jpg", up to 63 bytes);
 * results point at it from then on. */
struct lk_dt_save {
  const char *event_id;
  const char *camera;
  const char *const *zones;          /* Frigate's current_zones */
  size_t n_zones;
  const char *type;                  /* snapshot, latest, mqtt, ... */
  const unsigned char *image;        /* as fetched */
  size_t len;
  const struct lk_dt_attempt *results;   /* every detector on this image */
  size_t n_results;
  int matched;
};
typedef lk_err (*lk_dt_save_fn)(void *ctx, const struct lk_dt_save *what,
                                char filename[64]);

struct lk_dt_matches;
/* The save hook onto the matches store (ctx: struct lk_dt_matches *):
 * the image and a row per image, and the annotated latest images of the
 * matched names, the camera and "unknown" (dt_keep.c). */
lk_err lk_dt_save_to_store(void *ctx, const struct lk_dt_save *what,
                           char filename[64]);

struct lk_dt_service_opts {
  const struct lk_dt_config *cfg;    /* must outlive the service */
  struct lk_pipeline *pipe;          /* the built-in "likeness" detector */
  lk_dt_save_fn save;                /* NULL: no image is kept */
  void *save_ctx;
  int workers;                       /* events at once (2) */
  int queue;                         /* events waiting; more drop the
                                        oldest (32) */
  int reset_s;                       /* camera counts back to 0 (30) */
  int jitter_ms;                     /* up to this between rounds (250) */
};

struct lk_dt_service_opts lk_dt_service_default_opts(void);

struct lk_dt_service;

lk_err lk_dt_service_create(struct lk_dt_service **out,
                            const struct lk_dt_service_opts *o, char *why);
/* Connect to the broker (mqtt.host), subscribe to Frigate's topics and
 * start announcing; a broker that is away is retried. LK_OK and nothing
 * to do without mqtt.host. */
lk_err lk_dt_service_start(struct lk_dt_service *s, char *why);

/* A Frigate event (frigate/events JSON): NULL when queued, else why not,
 * in arena, in Double Take's words ("<id> - front not on approved list").
 * frigate: which frigate.url it came from (0 for the first). */
const char *lk_dt_service_event(struct lk_dt_service *s, const void *json,
                                size_t len, int frigate,
                                struct lk_arena *arena);

/* A recognition asked over HTTP (compat-apis.md §1.5): an image URL
 * fetched up to attempts times (GET /api/recognize?url=, a camera's
 * webhook), one image (an upload), or a Frigate event (POST
 * /api/recognize). Its results go out as an event's do (MQTT, kept
 * images, Frigate's sub_label for an event). */
struct lk_dt_request {
  const char *camera;        /* NULL: "manual" */
  const char *type;          /* NULL: "manual"; "camera-event", ... */
  const char *url;           /* fetched up to attempts times, or */
  const struct lk_fetch_policy *policy;  /* url's guard; NULL: trusted */
  const unsigned char *image;            /* one image, or */
  size_t len;
  const void *event;         /* Frigate's event JSON, polled as from MQTT */
  size_t event_len;
  int attempts;              /* url: 1..100 (0: 1) */
  int stop_on_match;         /* url: stop at the first match (break) */
};

/* Run rq on the calling thread and give Double Take's answer (§1.6;
 * with all_results its "results" too) in *out, for the caller to
 * cJSON_Delete. LK_ERR_INVAL: the event's checks refused it, or a bad
 * request; LK_ERR_IO: no image could be fetched or read; why
 * (LK_DT_SERVICE_ERRMAX bytes) has Double Take's words or the fetch
 * error. */
lk_err lk_dt_service_recognize(struct lk_dt_service *s,
                               const struct lk_dt_request *rq,
                               int all_results, cJSON **out, char *why);

/* Queue an image request (rq->image, copied) as an event of its own:
 * POST /api/recognize/upload answers at once. */
lk_err lk_dt_service_submit(struct lk_dt_service *s,
                            const struct lk_dt_request *rq);

/* Every detector camera uses, on one image, on the calling thread: one
 * attempt per detector that answered (a failing one is left out, as in
 * an event), faces classified with camera's thresholds. Nothing is
 * published or kept. For PATCH /api/match/reprocess. Attempts live in
 * arena. LK_ERR_IMAGE when no detector could read the image. */
lk_err lk_dt_service_image(struct lk_dt_service *s, const char *camera,
                           const unsigned char *img, size_t len,
                           struct lk_arena *arena,
                           struct lk_dt_attempt **out, size_t *n);

struct lk_dt_service_stats {
  long received;     /* events and MQTT images taken in */
  long skipped;      /* refused by the checks */
  long processed;    /* finished */
  long dropped;      /* pushed out of a full queue */
  long failed;       /* finished without any image */
  long images;       /* images fetched and recognized */
  long matched;      /* events with a match */
  long published;    /* MQTT messages sent */
  long sub_labels;   /* Frigate sub_labels set */
  int mqtt_connected;
  double last_event;       /* Unix s of the last Frigate event taken; 0 */
  char last_camera[128];   /* its camera */
};
void lk_dt_service_stats(struct lk_dt_service *s,
                         struct lk_dt_service_stats *st);

/* Finish the queued events, send the pending camera resets, say offline,
 * disconnect, free. NULL is fine. */
void lk_dt_service_destroy(struct lk_dt_service *s);

#endif
