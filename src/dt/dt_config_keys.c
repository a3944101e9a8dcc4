/* dt_config_keys.c - every key of Double Take's config.yml as data: type,
 * place in struct lk_dt_config, default (api/src/constants/defaults.js of
 * v1.13.1, fork additions from skrashevich/double-take), range and early
 * environment variable (the v0.x README's table). The sections list says
 * in which order they are read and when GET /api/config shows them. */
#include <ctype.h>
#include <string.h>

#include "dt_config_int.h"

#define CFG(f) offsetof(struct lk_dt_config, f)
#define DET(f) offsetof(struct lk_dt_detector, f)
#define NOTE(f) offsetof(struct lk_dt_notifier, f)

/* typed lists are written as { void *v; size_t n; } by dt_list */
_Static_assert(offsetof(struct lk_dt_zones, n) == sizeof(void *) &&
               offsetof(struct lk_dt_schedule, n) == sizeof(void *),
               "lists are { pointer, count }");

/* --- checks -------------------------------------------------------------- */

static const char *dt_check_sub_topic(struct dt_load *l, const char *in,
                                      const char **out)
{
  (void)l;
  *out = in;
  return in[0] ? NULL : "an MQTT topic";
}

/* mqtt.js's protocols a broker URL may name (fork: mqtt.protocol) */
static const char *dt_check_protocol(struct dt_load *l, const char *in,
                                     const char **out)
{
  static const char *const names[] = { "mqtt", "mqtts", "tcp", "tls", "ws",
                                       "wss", NULL };
  size_t i;
  (void)l;
  for(i = 0; names[i]; i++) {
    if(!strcasecmp(in, names[i])) {
      *out = names[i];
      return NULL;
    }
  }
  return "mqtt, mqtts, tcp, tls, ws or wss";
}

/* luxon takes IANA names ("Europe/Berlin"), UTC and offsets ("UTC+3");
 * a POSIX TZ a container already has ("CET-1CEST,M3.5.0,M10.5.0/3") is
 * let through for the time code to judge, rather than stop the server. */
static const char *dt_check_tz(struct dt_load *l, const char *in,
                               const char **out)
{
  (void)l;
  *out = in;
  if(!in[0] || in[strspn(in, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                         "TUVWXYZ0123456789/_+-:.,<>")])
    return "a time zone name such as UTC or Europe/Berlin";
  return NULL;
}

/* schedule.util.js compares with luxon's lower-case weekday names */
static const char *dt_check_day(struct dt_load *l, const char *in,
                                const char **out)
{
  static const char *const days[] = { "monday", "tuesday", "wednesday",
                                      "thursday", "friday", "saturday",
                                      "sunday", NULL };
  size_t i;
  (void)l;
  for(i = 0; days[i]; i++) {
    if(!strcasecmp(in, days[i])) {
      *out = days[i];
      return NULL;
    }
  }
  return "a day of the week (monday .. sunday)";
}

static int dt_hhmm(const char *s, int *minute)
{
  int h, m;
  if(!isdigit((unsigned char)s[0]))
    return 0;
  h = s[0] - '0';
  s++;
  if(isdigit((unsigned char)s[0]))
    h = h * 10 + *s++ - '0';
  if(s[0] != ':' || !isdigit((unsigned char)s[1]) ||
     !isdigit((unsigned char)s[2]) || s[3])
    return 0;
  m = (s[1] - '0') * 10 + s[2] - '0';
  if(h > 24 || m > 59 || (h == 24 && m))
    return 0;
  *minute = h * 60 + m;
  return 1;
}

int dt_time_range(const char *s, int *start, int *end)
{
  char a[8], b[8];
  size_t n = strcspn(s, "-");
  if(!s[n] || n >= sizeof a || strlen(s + n + 1) >= sizeof b)
    return 0;
  memcpy(a, s, n);
  a[n] = '\0';
  memcpy(b, s + n + 1, strlen(s + n + 1) + 1);
  return dt_hhmm(a, start) && dt_hhmm(b, end) && *start < *end;
}

static const char *dt_check_times(struct dt_load *l, const char *in,
                                  const char **out)
{
  int start, end;
  (void)l;
  *out = in;
  if(!dt_time_range(in, &start, &end))
    return "HH:MM-HH:MM with the start before the end (split a range "
           "over midnight in two)";
  return NULL;
}

static const char *dt_check_notify_type(struct dt_load *l, const char *in,
                                        const char **out)
{
  static const char *const types[] = { "snapshot", "latest", "mqtt",
                                       "frigate", "manual", NULL };
  size_t i;
  (void)l;
  for(i = 0; types[i]; i++) {
    if(!strcmp(in, types[i])) {
      *out = types[i];
      return NULL;
    }
  }
  return "snapshot, latest, mqtt, frigate or manual";
}

/* Telegram: a chat's number ("-100123") or a channel's @name */
static const char *dt_check_chat_id(struct dt_load *l, const char *in,
                                    const char **out)
{
  const char *p = in + (in[0] == '-');
  (void)l;
  *out = in;
  if(in[0] == '@' && in[1] && !in[1 + strspn(in + 1, "abcdefghijklmnopqrst"
                                             "uvwxyzABCDEFGHIJKLMNOPQRSTUVW"
                                             "XYZ0123456789_")])
    return NULL;
  if(p[0] && !p[strspn(p, "0123456789")])
    return NULL;
  return "a chat number (quoted, \"12345678\") or an @channel name";
}

/* --- tables -------------------------------------------------------------- */

static const char *const dt_levels[] = {
  "silent", "error", "warn", "info", "http", "verbose", "debug", "silly",
  NULL
};

static const struct dt_key dt_root_keys[] = {
  { DT_KEY("auth", DT_BOOL, CFG(auth), "false") },
  /* upstream's default; the fork's is false. likeness sends nothing. */
  { DT_KEY("telemetry", DT_BOOL, CFG(telemetry), "true") },
};

static const struct dt_key dt_token_keys[] = {
  { DT_KEY("image", DT_DURATION, CFG(token.image), "24h") },
};

static const struct dt_key dt_mqtt_keys[] = {
  { DT_KEY("host", DT_STR, CFG(mqtt.host), NULL), .env = "MQTT_HOST",
    .check = dt_check_nonempty },
  { DT_KEY("port", DT_WHOLE, CFG(mqtt.port), "-1"), DT_RANGE(-1, 65535) },
  { DT_KEY("protocol", DT_STR, CFG(mqtt.protocol), "mqtt"),
    .check = dt_check_protocol },
  /* mqtt.util.js: username || user, password || pass */
  { DT_KEY("user", DT_STR, CFG(mqtt.username), NULL), .flags = DT_ALIAS,
    .as = "username" },
  { DT_KEY("username", DT_STR, CFG(mqtt.username), NULL),
    .env = "MQTT_USERNAME" },
  { DT_KEY("pass", DT_STR, CFG(mqtt.password), NULL), .flags = DT_ALIAS,
    .as = "password" },
  { DT_KEY("password", DT_STR, CFG(mqtt.password), NULL),
    .env = "MQTT_PASSWORD" },
  { DT_KEY("client_id", DT_STR, CFG(mqtt.client_id), NULL),
    .check = dt_check_nonempty },
  { DT_KEY("tls.cert", DT_STR, CFG(mqtt.tls.cert), NULL),
    .check = dt_check_nonempty },
  { DT_KEY("tls.key", DT_STR, CFG(mqtt.tls.key), NULL),
    .check = dt_check_nonempty },
  { DT_KEY("tls.ca", DT_STR, CFG(mqtt.tls.ca), NULL),
    .check = dt_check_nonempty },
  { DT_KEY("tls.reject_unauthorized", DT_BOOL,
           CFG(mqtt.tls.reject_unauthorized), "false") },
  { DT_KEY("topics.frigate", DT_STRS, CFG(mqtt.topics.frigate),
           "frigate/events"), .env = "MQTT_TOPIC",
    .check = dt_check_sub_topic },
  { DT_KEY("topics.homeassistant", DT_HA, CFG(mqtt.topics.homeassistant),
           "homeassistant") },
  { DT_KEY("topics.matches", DT_STR, CFG(mqtt.topics.matches),
           "double-take/matches"), .env = "MQTT_TOPIC_MATCHES",
    .check = dt_check_topic },
  { DT_KEY("topics.cameras", DT_STR, CFG(mqtt.topics.cameras),
           "double-take/cameras"), .check = dt_check_topic },
};

#define DETECT(f) offsetof(struct lk_dt_detect, f)
static const struct dt_key dt_match_keys[] = {
  { DT_KEY("save", DT_BOOL, DETECT(save), "true") },
  { DT_KEY("base64", DT_BASE64, DETECT(base64), "false") },
  { DT_KEY("confidence", DT_NUM, DETECT(confidence), "60"), DT_RANGE(0, 100),
    .env = "CONFIDENCE" },
  { DT_KEY("purge", DT_NUM, DETECT(purge), "168"), DT_ATLEAST(0),
    .flags = DT_GLOBAL },
  { DT_KEY("min_area", DT_NUM, DETECT(min_area), "10000"), DT_ATLEAST(0) },
};
static const struct dt_key dt_unknown_keys[] = {
  { DT_KEY("save", DT_BOOL, DETECT(save), "true"), .env = "SAVE_UNKNOWN" },
  { DT_KEY("base64", DT_BASE64, DETECT(base64), "false") },
  { DT_KEY("confidence", DT_NUM, DETECT(confidence), "40"), DT_RANGE(0, 100) },
  { DT_KEY("purge", DT_NUM, DETECT(purge), "8"), DT_ATLEAST(0),
    .flags = DT_GLOBAL },
  { DT_KEY("min_area", DT_NUM, DETECT(min_area), "0"), DT_ATLEAST(0) },
};
const struct dt_table dt_match_table = DT_TABLE(dt_match_keys,
                                                struct lk_dt_detect);
const struct dt_table dt_unknown_table = DT_TABLE(dt_unknown_keys,
                                                  struct lk_dt_detect);

#define ATT(f) offsetof(struct lk_dt_attempts, f)
static const struct dt_key dt_attempts_keys[] = {
  { DT_KEY("latest", DT_WHOLE, ATT(latest), "10"), DT_ATLEAST(0),
    .env = "LATEST_RETRIES" },
  { DT_KEY("snapshot", DT_WHOLE, ATT(snapshot), "10"), DT_ATLEAST(0),
    .env = "SNAPSHOT_RETRIES" },
  { DT_KEY("mqtt", DT_BOOL, ATT(mqtt), "true") },
  { DT_KEY("delay", DT_NUM, ATT(delay), "0"), DT_ATLEAST(0) },
};
const struct dt_table dt_attempts_table = DT_TABLE(dt_attempts_keys,
                                                   struct lk_dt_attempts);

#define IMG(f) offsetof(struct lk_dt_image, f)
static const struct dt_key dt_image_keys[] = {
  { DT_KEY("height", DT_WHOLE, IMG(height), "500"), DT_RANGE(1, 10000),
    .env = "FRIGATE_IMAGE_HEIGHT" },
  { DT_KEY("latest", DT_STR, IMG(latest), NULL), .check = dt_check_url },
  { DT_KEY("snapshot", DT_STR, IMG(snapshot), NULL), .check = dt_check_url },
};
const struct dt_table dt_image_table = DT_TABLE(dt_image_keys,
                                                struct lk_dt_image);

static const struct dt_key dt_zone_keys[] = {
  { DT_KEY("camera", DT_STR, offsetof(struct lk_dt_zone, camera), NULL),
    .check = dt_check_nonempty, .flags = DT_REQUIRED },
  { DT_KEY("zone", DT_STR, offsetof(struct lk_dt_zone, zone), NULL),
    .check = dt_check_nonempty, .flags = DT_REQUIRED },
};
static const struct dt_table dt_zone_table = DT_TABLE(dt_zone_keys,
                                                      struct lk_dt_zone);

static const struct dt_key dt_frigate_keys[] = {
  /* a list pairs with mqtt.topics.frigate (frigate.util.js topicURL) */
  { DT_KEY("url", DT_STRS, CFG(frigate.url), NULL), .env = "FRIGATE_URL",
    .check = dt_check_url },
  { DT_KEY("update_sub_labels", DT_BOOL, CFG(frigate.update_sub_labels),
           "false") },
  { DT_KEY("stop_on_match", DT_BOOL, CFG(frigate.stop_on_match), "true") },
  { DT_KEY("min_area", DT_NUM, CFG(frigate.min_area), "0"), DT_ATLEAST(0) },
  { DT_KEY("labels", DT_STRS, CFG(frigate.labels), "[person]"),
    .check = dt_check_nonempty },
  { DT_KEY("cameras", DT_STRS, CFG(frigate.cameras), NULL),
    .env = "FRIGATE_CAMERAS", .check = dt_check_nonempty },
  { DT_KEY("zones", DT_LIST, CFG(frigate.zones), NULL),
    .sub = &dt_zone_table },
  { DT_KEY("device_tracker_timeout", DT_WHOLE,
           CFG(frigate.device_tracker_timeout), "30"), DT_ATLEAST(1) },
};

#define MASK(f) offsetof(struct lk_dt_masks, f)
static const struct dt_key dt_masks_keys[] = {
  { DT_KEY("coordinates", DT_MASKS, MASK(coordinates), NULL),
    .flags = DT_REQUIRED },
  { DT_KEY("visible", DT_BOOL, MASK(visible), "false") },
  { DT_KEY("size", DT_SIZE, MASK(size), NULL), .flags = DT_REQUIRED },
};
static const struct dt_table dt_masks_table = DT_TABLE(dt_masks_keys,
                                                       struct lk_dt_masks);

#define CAM(f) offsetof(struct lk_dt_camera, f)
static const struct dt_key dt_camera_keys[] = {
  { DT_KEY("masks", DT_MAP, CAM(masks), NULL), .sub = &dt_masks_table },
  { DT_KEY("snapshot.topic", DT_STR, CAM(snapshot.topic), NULL),
    .check = dt_check_topic },
  { DT_KEY("snapshot.url", DT_STR, CAM(snapshot.url), NULL),
    .check = dt_check_url },
  { DT_KEY("snapshot.crop", DT_BOOL, CAM(snapshot.crop), NULL) },
};
const struct dt_table dt_camera_table = DT_TABLE(dt_camera_keys,
                                                 struct lk_dt_camera);

#define DT_DETECTOR_COMMON(opencv) \
  { DT_KEY("opencv_face_required", DT_BOOL, DET(opencv_face_required), \
           opencv) }, \
  { DT_KEY("cameras", DT_STRS, DET(cameras), NULL), \
    .check = dt_check_nonempty }
#define DT_TIMEOUT \
  { DT_KEY("timeout", DT_NUM, DET(timeout), "15"), DT_ABOVE(0) }

static const struct dt_key dt_compreface_keys[] = {
  { DT_KEY("url", DT_STR, DET(url), NULL), .env = "COMPREFACE_URL",
    .check = dt_check_url, .flags = DT_REQUIRED },
  { DT_KEY("key", DT_STR, DET(key), NULL), .env = "COMPREFACE_API_KEY",
    .check = dt_check_nonempty, .flags = DT_REQUIRED },
  DT_TIMEOUT,
  { DT_KEY("det_prob_threshold", DT_NUM, DET(det_prob_threshold), "0.8"),
    DT_RANGE(0, 1) },
  { DT_KEY("face_plugins", DT_STR, DET(face_plugins), NULL),
    .check = dt_check_nonempty },
  DT_DETECTOR_COMMON("false"),
};
static const struct dt_key dt_deepstack_keys[] = {
  { DT_KEY("url", DT_STR, DET(url), NULL), .env = "DEEPSTACK_URL",
    .check = dt_check_url, .flags = DT_REQUIRED },
  { DT_KEY("key", DT_STR, DET(key), NULL) },
  DT_TIMEOUT,
  DT_DETECTOR_COMMON("false"),
};
static const struct dt_key dt_facebox_keys[] = {
  { DT_KEY("url", DT_STR, DET(url), NULL), .env = "FACEBOX_URL",
    .check = dt_check_url, .flags = DT_REQUIRED },
  DT_TIMEOUT,
  DT_DETECTOR_COMMON("false"),
};
static const struct dt_key dt_rekognition_keys[] = {
  { DT_KEY("aws_access_key_id", DT_STR, DET(aws_access_key_id), NULL),
    .check = dt_check_nonempty, .flags = DT_REQUIRED },
  { DT_KEY("aws_secret_access_key", DT_STR, DET(aws_secret_access_key), NULL),
    .check = dt_check_nonempty, .flags = DT_REQUIRED },
  { DT_KEY("aws_region", DT_STR, DET(aws_region), NULL),
    .check = dt_check_nonempty, .flags = DT_REQUIRED },
  { DT_KEY("collection_id", DT_STR, DET(collection_id), "double-take"),
    .check = dt_check_nonempty },
  DT_DETECTOR_COMMON("true"),
};
static const struct dt_key dt_aiserver_keys[] = {
  { DT_KEY("url", DT_STR, DET(url), NULL), .check = dt_check_url,
    .flags = DT_REQUIRED },
  DT_TIMEOUT,
  DT_DETECTOR_COMMON("false"),
};
static const struct dt_key dt_likeness_keys[] = {
  { DT_KEY("enabled", DT_BOOL, DET(enabled), "true") },
  { DT_KEY("cameras", DT_STRS, DET(cameras), NULL),
    .check = dt_check_nonempty },
};

static const struct dt_key dt_opencv_keys[] = {
  /* OpenCV's detectMultiScale refuses a scale factor of 1 or less */
  { DT_KEY("scale_factor", DT_NUM, CFG(opencv.scale_factor), "1.05"),
    DT_ABOVE(1) },
  { DT_KEY("min_neighbors", DT_NUM, CFG(opencv.min_neighbors), "4.5"),
    DT_ATLEAST(0) },
  { DT_KEY("min_size_width", DT_WHOLE, CFG(opencv.min_size_width), "30"),
    DT_ATLEAST(1) },
  { DT_KEY("min_size_height", DT_WHOLE, CFG(opencv.min_size_height), "30"),
    DT_ATLEAST(1) },
};

#define RULE(f) offsetof(struct lk_dt_schedule_rule, f)
static const struct dt_key dt_rule_keys[] = {
  { DT_KEY("days", DT_STRS, RULE(days), NULL), .check = dt_check_day,
    .flags = DT_REQUIRED },
  { DT_KEY("times", DT_STRS, RULE(times), NULL), .check = dt_check_times,
    .flags = DT_REQUIRED },
  { DT_KEY("cameras", DT_STRS, RULE(cameras), NULL),
    .check = dt_check_nonempty, .flags = DT_REQUIRED },
};
static const struct dt_table dt_rule_table =
  DT_TABLE(dt_rule_keys, struct lk_dt_schedule_rule);
static const struct dt_key dt_schedule_keys[] = {
  { DT_KEY("disable", DT_LIST, 0, NULL), .sub = &dt_rule_table },
};

static const struct dt_key dt_notify_keys[] = {
  { DT_KEY("only_unknown", DT_BOOL, CFG(notify.only_unknown), "false") },
  { DT_KEY("types", DT_STRS, CFG(notify.types),
           "[snapshot,latest,mqtt,frigate,manual]"),
    .check = dt_check_notify_type },
};
static const struct dt_key dt_gotify_keys[] = {
  { DT_KEY("url", DT_STR, NOTE(url), NULL), .check = dt_check_url,
    .flags = DT_REQUIRED },
  { DT_KEY("token", DT_STR, NOTE(token), NULL) },
  /* upstream's 5; the fork sends 10 */
  { DT_KEY("priority", DT_WHOLE, NOTE(priority), "5"), DT_ATLEAST(0) },
  { DT_KEY("cameras", DT_STRS, NOTE(cameras), NULL),
    .check = dt_check_nonempty },
  { DT_KEY("zones", DT_LIST, NOTE(zones), NULL), .sub = &dt_zone_table },
};
static const struct dt_key dt_telegram_keys[] = {
  { DT_KEY("token", DT_STR, NOTE(token), NULL), .check = dt_check_nonempty,
    .flags = DT_REQUIRED },
  { DT_KEY("chat_id", DT_STR, NOTE(chat_id), NULL), .check = dt_check_chat_id,
    .flags = DT_REQUIRED },
  { DT_KEY("priority", DT_WHOLE, NOTE(priority), "5"), DT_ATLEAST(0) },
  { DT_KEY("cameras", DT_STRS, NOTE(cameras), NULL),
    .check = dt_check_nonempty },
  { DT_KEY("zones", DT_LIST, NOTE(zones), NULL), .sub = &dt_zone_table },
};

static const struct dt_key dt_time_keys[] = {
  { DT_KEY("format", DT_STR, CFG(time.format), NULL),
    .env = "DATE_TIME_FORMAT" },
  { DT_KEY("timezone", DT_STR, CFG(time.timezone), "UTC"), .env = "TZ",
    .check = dt_check_tz },
};

static const struct dt_key dt_logs_keys[] = {
  { DT_KEY("level", DT_ENUM, CFG(logs.level), "info"), .env = "LOGS",
    .names = dt_levels },
  { DT_KEY("sql", DT_BOOL, CFG(logs.sql), "false") },
};

static const struct dt_key dt_ui_keys[] = {
  { DT_KEY("path", DT_STR, CFG(ui.path), "") },
  { DT_KEY("theme", DT_STR, CFG(ui.theme), "bootstrap4-dark-blue"),
    .check = dt_check_nonempty },
  { DT_KEY("editor.theme", DT_STR, CFG(ui.editor_theme), "nord_dark"),
    .check = dt_check_nonempty },
  { DT_KEY("pagination.limit", DT_WHOLE, CFG(ui.pagination_limit), "50"),
    DT_ATLEAST(1) },
  { DT_KEY("thumbnails.quality", DT_WHOLE, CFG(ui.thumbnails_quality), "95"),
    DT_RANGE(0, 100) },
  { DT_KEY("thumbnails.width", DT_WHOLE, CFG(ui.thumbnails_width), "500"),
    DT_ATLEAST(1) },
  { DT_KEY("logs.lines", DT_WHOLE, CFG(ui.logs_lines), "500"), DT_ATLEAST(1) },
};

#define TABLE(keys, type) static const struct dt_table keys##_t = \
  DT_TABLE(keys, type)
TABLE(dt_root_keys, struct lk_dt_config);
TABLE(dt_token_keys, struct lk_dt_config);
TABLE(dt_mqtt_keys, struct lk_dt_config);
TABLE(dt_frigate_keys, struct lk_dt_config);
TABLE(dt_compreface_keys, struct lk_dt_detector);
TABLE(dt_deepstack_keys, struct lk_dt_detector);
TABLE(dt_facebox_keys, struct lk_dt_detector);
TABLE(dt_rekognition_keys, struct lk_dt_detector);
TABLE(dt_aiserver_keys, struct lk_dt_detector);
TABLE(dt_likeness_keys, struct lk_dt_detector);
TABLE(dt_opencv_keys, struct lk_dt_config);
TABLE(dt_schedule_keys, struct lk_dt_schedule);
TABLE(dt_notify_keys, struct lk_dt_config);
TABLE(dt_gotify_keys, struct lk_dt_notifier);
TABLE(dt_telegram_keys, struct lk_dt_notifier);
TABLE(dt_time_keys, struct lk_dt_config);
TABLE(dt_logs_keys, struct lk_dt_config);
TABLE(dt_ui_keys, struct lk_dt_config);

/* --- sections ------------------------------------------------------------ */

static int dt_shown_present(const struct lk_dt_config *c,
                            const struct dt_section *s)
{
  return *(const int *)((const char *)c + s->present);
}

static int dt_shown_token(const struct lk_dt_config *c,
                          const struct dt_section *s)
{
  (void)s;
  return c->auth;                /* config.js drops token without auth */
}

static int dt_shown_detector(const struct lk_dt_config *c,
                             const struct dt_section *s)
{
  return ((const struct lk_dt_detector *)((const char *)c + s->off))->enabled;
}

/* config.js keeps opencv's defaults only when a detector needs opencv */
static int dt_shown_opencv(const struct lk_dt_config *c,
                           const struct dt_section *s)
{
  int i;
  (void)s;
  for(i = 0; i < LK_DT_DETECTORS; i++) {
    if(c->detectors[i].enabled && c->detectors[i].opencv_face_required)
      return 1;
  }
  return c->opencv_present;
}

static int dt_shown_schedule(const struct lk_dt_config *c,
                             const struct dt_section *s)
{
  (void)s;
  return c->schedule.n > 0;
}

#define SEC_DET(name, kind) \
  { "detectors." #name, &dt_##name##_keys_t, CFG(detectors[kind]), \
    CFG(detectors[kind].present), DT_SEC_MENTIONED, dt_shown_detector }

const struct dt_section dt_sections[] = {
  { "", &dt_root_keys_t, 0, DT_NOFLAG, 0, NULL },
  { "token", &dt_token_keys_t, 0, DT_NOFLAG, 0, dt_shown_token },
  { "mqtt", &dt_mqtt_keys_t, 0, CFG(mqtt.present), 0, dt_shown_present },
  { "detect.match", &dt_match_table, CFG(detect.match), DT_NOFLAG, 0, NULL },
  { "detect.unknown", &dt_unknown_table, CFG(detect.unknown), DT_NOFLAG, 0,
    NULL },
  { "frigate", &dt_frigate_keys_t, 0, CFG(frigate.present), 0,
    dt_shown_present },
  { "frigate.attempts", &dt_attempts_table, CFG(frigate.attempts),
    CFG(frigate.present), 0, dt_shown_present },
  { "frigate.image", &dt_image_table, CFG(frigate.image),
    CFG(frigate.present), 0, dt_shown_present },
  SEC_DET(compreface, LK_DT_COMPREFACE),
  SEC_DET(deepstack, LK_DT_DEEPSTACK),
  SEC_DET(facebox, LK_DT_FACEBOX),
  SEC_DET(rekognition, LK_DT_REKOGNITION),
  SEC_DET(aiserver, LK_DT_AISERVER),
  { "detectors.likeness", &dt_likeness_keys_t, CFG(detectors[LK_DT_LIKENESS]),
    CFG(detectors[LK_DT_LIKENESS].present), DT_SEC_ALWAYS,
    dt_shown_detector },
  { "opencv", &dt_opencv_keys_t, 0, CFG(opencv_present), 0,
    dt_shown_opencv },
  { "schedule", &dt_schedule_keys_t, CFG(schedule), DT_NOFLAG, 0,
    dt_shown_schedule },
  { "notify", &dt_notify_keys_t, 0, CFG(notify.present), 0,
    dt_shown_present },
  { "notify.gotify", &dt_gotify_keys_t, CFG(notify.gotify),
    CFG(notify.gotify.present), DT_SEC_MENTIONED, dt_shown_present },
  { "notify.telegram", &dt_telegram_keys_t, CFG(notify.telegram),
    CFG(notify.telegram.present), DT_SEC_MENTIONED, dt_shown_present },
  { "time", &dt_time_keys_t, 0, DT_NOFLAG, 0, NULL },
  { "logs", &dt_logs_keys_t, 0, DT_NOFLAG, 0, NULL },
  { "ui", &dt_ui_keys_t, 0, DT_NOFLAG, 0, NULL },
};
const size_t dt_n_sections = sizeof dt_sections / sizeof dt_sections[0];

/* --- known paths --------------------------------------------------------- */

/* For lk_conf_unknown; tests/dt checks that a file with every key raises
 * no warning. Leaves are listed one by one so a typo below them is
 * reported; list items (zones, schedule.disable) are checked by the
 * loader itself. */
static const char *const dt_paths[] = {
  "auth", "token.image", "telemetry",
  "mqtt.host", "mqtt.port", "mqtt.protocol", "mqtt.user", "mqtt.username",
  "mqtt.pass", "mqtt.password", "mqtt.client_id", "mqtt.tls.cert",
  "mqtt.tls.key", "mqtt.tls.ca", "mqtt.tls.reject_unauthorized",
  "mqtt.topics.frigate", "mqtt.topics.homeassistant", "mqtt.topics.matches",
  "mqtt.topics.cameras",
  "detect.match.save", "detect.match.base64", "detect.match.confidence",
  "detect.match.purge", "detect.match.min_area",
  "detect.unknown.save", "detect.unknown.base64", "detect.unknown.confidence",
  "detect.unknown.purge", "detect.unknown.min_area",
  "frigate.url", "frigate.update_sub_labels", "frigate.stop_on_match",
  "frigate.min_area", "frigate.labels", "frigate.cameras", "frigate.zones",
  "frigate.device_tracker_timeout",
  "frigate.attempts.latest", "frigate.attempts.snapshot",
  "frigate.attempts.mqtt", "frigate.attempts.delay",
  "frigate.image.height", "frigate.image.latest", "frigate.image.snapshot",
  "frigate.events.*.attempts.latest", "frigate.events.*.attempts.snapshot",
  "frigate.events.*.attempts.mqtt", "frigate.events.*.attempts.delay",
  "frigate.events.*.image.height", "frigate.events.*.image.latest",
  "frigate.events.*.image.snapshot",
  "cameras.*.masks.coordinates", "cameras.*.masks.visible",
  "cameras.*.masks.size",
  "cameras.*.detect.match.save", "cameras.*.detect.match.base64",
  "cameras.*.detect.match.confidence", "cameras.*.detect.match.min_area",
  "cameras.*.detect.unknown.save", "cameras.*.detect.unknown.base64",
  "cameras.*.detect.unknown.confidence", "cameras.*.detect.unknown.min_area",
  "cameras.*.snapshot.topic", "cameras.*.snapshot.url",
  "cameras.*.snapshot.crop",
  "detectors.compreface.url", "detectors.compreface.key",
  "detectors.compreface.timeout", "detectors.compreface.det_prob_threshold",
  "detectors.compreface.face_plugins",
  "detectors.compreface.opencv_face_required", "detectors.compreface.cameras",
  "detectors.deepstack.url", "detectors.deepstack.key",
  "detectors.deepstack.timeout", "detectors.deepstack.opencv_face_required",
  "detectors.deepstack.cameras",
  "detectors.facebox.url", "detectors.facebox.timeout",
  "detectors.facebox.opencv_face_required", "detectors.facebox.cameras",
  "detectors.rekognition.aws_access_key_id",
  "detectors.rekognition.aws_secret_access_key",
  "detectors.rekognition.aws_region", "detectors.rekognition.collection_id",
  "detectors.rekognition.opencv_face_required",
  "detectors.rekognition.cameras",
  "detectors.aiserver.url", "detectors.aiserver.timeout",
  "detectors.aiserver.opencv_face_required", "detectors.aiserver.cameras",
  "detectors.likeness.enabled", "detectors.likeness.cameras",
  "opencv.scale_factor", "opencv.min_neighbors", "opencv.min_size_width",
  "opencv.min_size_height",
  "schedule.disable",
  "notify.only_unknown", "notify.types",
  "notify.gotify.url", "notify.gotify.token", "notify.gotify.priority",
  "notify.gotify.cameras", "notify.gotify.zones",
  "notify.telegram.token", "notify.telegram.chat_id",
  "notify.telegram.priority", "notify.telegram.cameras",
  "notify.telegram.zones",
  "time.format", "time.timezone",
  "logs.level", "logs.sql",
  "ui.path", "ui.theme", "ui.editor.theme", "ui.pagination.limit",
  "ui.thumbnails.quality", "ui.thumbnails.width", "ui.logs.lines",
  NULL
};

const char *const *lk_dt_config_paths(void)
{
  return dt_paths;
}
