/* dt_config.h - Double Take's config.yml, read as Double Take reads it:
 * every key of jakowenko/double-take v1.13.1 (and of the skrashevich fork)
 * with its default when absent, Double Take's early environment variables
 * (MQTT_HOST, FRIGATE_URL, CONFIDENCE, ...) on top, stricter checks, the
 * effective config as GET /api/config shows it, and what applies to one
 * camera. docs/dt-config.md lists every key.
 *
 * Threads: a loaded config is read-only; every function here may run
 * concurrently on it. It lives in the caller's arena, next to the tree.
 *
 *   struct lk_conf_node *root;  struct lk_dt_config cfg;
 *   char why[LK_CONF_ERRMAX];
 *   err = lk_conf_load("config.yml", arena, &root, why);
 *   if(!err) err = lk_dt_config_load(root, "config.yml", arena, &cfg, why);
 *   if(err) { fprintf(stderr, "%s\n", why); ... }
 *   lk_conf_unknown(root, lk_dt_config_paths(), warn, ctx);  (merged list)
 *   lk_dt_config_camera(&cfg, "front-door", &cam);
 *   cJSON *j = lk_dt_config_json(&cfg, 1);  cJSON_Delete(j);
 */
#ifndef LK_DT_CONFIG_H
#define LK_DT_CONFIG_H

#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"
#include "conf/conf.h"

struct cJSON;

/* What a redacted value prints as (Double Take's redact-secrets.util.js). */
#define LK_DT_REDACTED "********"

/* Text values, in file order. A scalar in the file is one item (list 0);
 * Double Take echoes it back as a scalar. n == 0: not given. */
struct lk_dt_strs {
  const char *const *v;
  size_t n;
  int list;                      /* written as a YAML list */
};

enum lk_dt_base64 { LK_DT_BASE64_FALSE, LK_DT_BASE64_TRUE, LK_DT_BASE64_BOX };

/* winston's levels, quietest first (logs.level) */
enum lk_dt_log_level {
  LK_DT_LOG_SILENT, LK_DT_LOG_ERROR, LK_DT_LOG_WARN, LK_DT_LOG_INFO,
  LK_DT_LOG_HTTP, LK_DT_LOG_VERBOSE, LK_DT_LOG_DEBUG, LK_DT_LOG_SILLY
};

/* detect.match / detect.unknown, and their cameras.<cam>.detect override */
struct lk_dt_detect {
  int save;                      /* keep the image */
  enum lk_dt_base64 base64;      /* image in API results and MQTT */
  double confidence;             /* percent, 0..100 */
  double purge;                  /* hours images are kept (global only) */
  double min_area;               /* px² of the face box */
};

/* frigate.attempts and frigate.events.<cam>.attempts */
struct lk_dt_attempts {
  long latest;                   /* latest.jpg requests per event */
  long snapshot;                 /* snapshot.jpg requests per event */
  int mqtt;                      /* process frigate/<cam>/person/snapshot */
  double delay;                  /* seconds between two loop rounds */
};

/* frigate.image and frigate.events.<cam>.image */
struct lk_dt_image {
  long height;                   /* h= asked of Frigate, pixels */
  const char *latest;            /* URL used instead of latest.jpg, or NULL */
  const char *snapshot;          /* ... of snapshot.jpg, or NULL */
};

struct lk_dt_zone {
  const char *camera;
  const char *zone;
};
struct lk_dt_zones {             /* frigate.zones, notify.*.zones */
  struct lk_dt_zone *v;
  size_t n;                      /* 0: every zone */
};

struct lk_dt_mqtt {
  int present;                   /* in the file, or set from the environment */
  int enabled;                   /* host given: connect */
  const char *host;              /* as written, maybe with :port */
  const char *hostname;          /* host without the port */
  long port;                     /* host's :port, else mqtt.port, else
                                    1883 (8883 for mqtts) */
  const char *protocol;          /* fork: mqtt, mqtts, tcp, tls, ws, wss */
  const char *username;          /* alias user */
  const char *password;          /* alias pass */
  const char *client_id;         /* NULL: "double-take-" + 8 random hex */
  struct {
    const char *cert, *key, *ca; /* PEM file paths, or NULL */
    int reject_unauthorized;
  } tls;
  struct {
    struct lk_dt_strs frigate;   /* one per Frigate instance */
    const char *homeassistant;   /* discovery prefix; NULL: no discovery */
    const char *matches;
    const char *cameras;
  } topics;
};

/* frigate.events.<cam>: what overrides frigate.attempts/image */
struct lk_dt_frigate_event {
  const char *camera;
  int line;
  struct lk_dt_attempts attempts;
  struct lk_dt_image image;
  unsigned attempts_set, image_set;  /* internal: which fields were given */
};

struct lk_dt_frigate {
  int present;
  int enabled;                   /* url given */
  struct lk_dt_strs url;         /* pairs with mqtt.topics.frigate */
  int update_sub_labels;
  int stop_on_match;
  double min_area;               /* of Frigate's person box, px² */
  struct lk_dt_strs labels;
  struct lk_dt_attempts attempts;
  struct lk_dt_image image;
  struct lk_dt_strs cameras;     /* n == 0: every camera */
  struct lk_dt_zones zones;
  long device_tracker_timeout;   /* fork: minutes until not_home */
  struct lk_dt_frigate_event *events;
  size_t n_events;
};

struct lk_dt_point {
  double x, y;
};
struct lk_dt_polygon {           /* one "x1,y1,x2,y2,..." mask */
  const char *text;
  struct lk_dt_point *p;
  size_t n;                      /* 3 or more */
};
struct lk_dt_polygons {
  struct lk_dt_polygon *v;
  size_t n;
  int list;
};

struct lk_dt_size {              /* "1920x1080" */
  const char *text;
  long width, height;
};

struct lk_dt_masks {
  struct lk_dt_polygons coordinates;  /* in size's pixels */
  int visible;                   /* drawn on the saved image */
  struct lk_dt_size size;        /* of the stream the points were taken on */
};

/* cameras.<cam> */
struct lk_dt_camera {
  const char *name;
  int line;
  struct lk_dt_masks masks;       /* masks.coordinates.n == 0: none */
  struct {
    const char *topic;           /* any JPEG MQTT topic */
    const char *url;             /* HTTP image for GET /api/camera/<cam> */
    int crop;                    /* fork, read only */
  } snapshot;
  struct lk_dt_detect match, unknown;   /* only the fields given */
  unsigned set, match_set, unknown_set; /* internal: which were given */
};

enum lk_dt_detector_kind {
  LK_DT_COMPREFACE, LK_DT_DEEPSTACK, LK_DT_FACEBOX, LK_DT_REKOGNITION,
  LK_DT_AISERVER,                /* fork: CodeProject.AI */
  LK_DT_LIKENESS,                /* ours, built in, on unless disabled */
  LK_DT_DETECTORS                /* how many */
};

struct lk_dt_detector {
  int present;                   /* configured (file or environment) */
  int enabled;                   /* present, allowed by DETECTORS, and for
                                    likeness not switched off */
  const char *url;
  const char *key;               /* compreface x-api-key, deepstack api_key */
  double timeout;                /* seconds */
  double det_prob_threshold;     /* compreface, 0..1 */
  const char *face_plugins;      /* compreface, "mask,gender,age" */
  int opencv_face_required;
  struct lk_dt_strs cameras;     /* n == 0: every camera */
  const char *aws_access_key_id, *aws_secret_access_key, *aws_region;
  const char *collection_id;     /* rekognition */
};

/* schedule.disable[]: no recognition on these days, times and cameras */
struct lk_dt_schedule_rule {
  struct lk_dt_strs days;        /* monday..sunday, lower case */
  struct lk_dt_strs times;       /* "HH:MM-HH:MM", start before end */
  struct lk_dt_strs cameras;
};
struct lk_dt_schedule {
  struct lk_dt_schedule_rule *v;
  size_t n;
};

struct lk_dt_notifier {          /* notify.gotify, notify.telegram (fork) */
  int present;
  const char *url;               /* gotify */
  const char *token;
  const char *chat_id;           /* telegram */
  long priority;
  struct lk_dt_strs cameras;
  struct lk_dt_zones zones;
};

struct lk_dt_duration {
  const char *text;              /* as written: "24h", "3600" */
  double seconds;
};

struct lk_dt_origins;            /* internal: where each value came from */

struct lk_dt_config {
  const char *file;              /* for messages; may be NULL */
  int auth;
  struct { struct lk_dt_duration image; } token;
  int telemetry;                 /* read; likeness never phones home */
  struct lk_dt_mqtt mqtt;
  struct { struct lk_dt_detect match, unknown; } detect;
  struct lk_dt_frigate frigate;
  struct lk_dt_camera *cameras;
  size_t n_cameras;
  struct lk_dt_detector detectors[LK_DT_DETECTORS];
  int opencv_present;            /* opencv: in the file */
  struct {
    double scale_factor, min_neighbors;
    long min_size_width, min_size_height;
  } opencv;
  struct lk_dt_schedule schedule;
  struct {
    int present;
    int only_unknown;            /* fork */
    struct lk_dt_strs types;     /* fork: snapshot latest mqtt frigate
                                    manual: which results notify */
    struct lk_dt_notifier gotify, telegram;
  } notify;
  struct {
    const char *format;          /* luxon tokens; NULL: ISO 8601 */
    const char *timezone;
  } time;
  struct {
    enum lk_dt_log_level level;
    int sql;                     /* fork */
  } logs;
  struct {
    const char *path;            /* "" or "/base", no trailing slash */
    const char *theme, *editor_theme;
    long pagination_limit;
    long thumbnails_quality, thumbnails_width;
    long logs_lines;
  } ui;
  struct lk_dt_origins *origins;
};

/* Reads the environment through getenv-like fn (NULL when unset). */
typedef const char *(*lk_dt_getenv_fn)(void *ctx, const char *name);

/* Fill out from root (NULL: no file, defaults and environment only), with
 * Double Take's defaults for what is absent and its environment variables
 * (process environment) over the file. file names the file in messages.
 * Everything out points to lives in arena (and in root's arena).
 * LK_ERR_INVAL with why (LK_CONF_ERRMAX bytes) naming file, line and key:
 * "config.yml:12: frigate.attempts.latest: expected a whole number >= 0,
 * got 'ten'", or the variable: "LATEST_RETRIES (frigate.attempts.latest):
 * ..."; LK_ERR_NOMEM. */
lk_err lk_dt_config_load(const struct lk_conf_node *root, const char *file,
                         struct lk_arena *arena, struct lk_dt_config *out,
                         char *why);

/* The same, with the environment read through fn(ctx, name). */
lk_err lk_dt_config_load_env(const struct lk_conf_node *root,
                             const char *file, lk_dt_getenv_fn fn, void *ctx,
                             struct lk_arena *arena, struct lk_dt_config *out,
                             char *why);

/* Every key this module reads, NULL-terminated, for lk_conf_unknown ("*"
 * marks a name the user chooses: "cameras.*.masks.size"). Static. */
const char *const *lk_dt_config_paths(void);

/* What applies to one camera: thresholds are detect.* with
 * cameras.<cam>.detect.* over them; attempts and image are frigate.* with
 * frigate.events.<cam>.* over them; camera is cameras.<cam> or NULL.
 * Names match exactly, as in Double Take. */
struct lk_dt_camera_view {
  const char *name;
  struct lk_dt_detect match, unknown;
  struct lk_dt_attempts attempts;
  struct lk_dt_image image;
  const struct lk_dt_camera *camera;
};
void lk_dt_config_camera(const struct lk_dt_config *c, const char *name,
                         struct lk_dt_camera_view *out);

/* 1 when schedule.disable turns recognition off for camera on weekday
 * (0 = monday .. 6 = sunday) at minute of the day (0..1439), in
 * time.timezone, which the caller applies. */
int lk_dt_config_disabled(const struct lk_dt_config *c, const char *camera,
                          int weekday, int minute);

/* "compreface", ..., "likeness"; NULL out of range. */
const char *lk_dt_detector_name(enum lk_dt_detector_kind kind);

/* The effective config in GET /api/config's shape: the file merged with
 * the defaults, sections Double Take leaves out when unused (mqtt,
 * frigate, token, opencv, detectors, notify) left out likewise. redact:
 * passwords, keys, tokens, secrets (by key name, as Double Take) and
 * values from !secret or URL passwords become LK_DT_REDACTED. Caller
 * frees with cJSON_Delete; NULL when out of memory. */
struct cJSON *lk_dt_config_json(const struct lk_dt_config *c, int redact);

/* The effective config as "key = value (where from)" lines, secrets
 * redacted, one call of fn per line: "frigate.attempts.latest = 5
 * (config.yml:14)", "mqtt.host = broker (MQTT_HOST)", "... (default)".
 * LK_ERR_NOMEM. */
lk_err lk_dt_config_lines(const struct lk_dt_config *c,
                          void (*fn)(void *ctx, const char *line), void *ctx);

/* Those lines to the log (info, module "config"). */
lk_err lk_dt_config_log(const struct lk_dt_config *c);

#endif
