/* dt_result.h - Double Take's results, as pure logic: how a detector's face
 * is classified (name, match, miss reasons), how every attempt of an event
 * is summed up (matches, misses, unknowns, counts), the one name we give
 * Frigate for the event, and every JSON payload and MQTT topic Double Take
 * publishes, field for field (Home Assistant automations read them).
 * No I/O: callers fetch images, run detectors and publish. The rules and
 * every place we differ from Double Take v1.13.1: docs/dt-results.md.
 *
 * Threads: no state; every call may run concurrently on its own data.
 * Memory: faces, summaries, strings and message lists live in the caller's
 * arena (an event's); they point into the inputs they were built from,
 * which must outlive them. JSON builders return cJSON trees the caller
 * frees with cJSON_Delete (NULL when out of memory).
 *
 *   struct lk_dt_thresholds th = lk_dt_thresholds_default();
 *   lk_dt_face_normalize(&raw, &th, arena, &faces[n], &kept);  n += kept
 *   ... one lk_dt_attempt per detector and image, lk_dt_group per loop ...
 *   lk_dt_summarize(groups, n_groups, arena, &sum);
 *   json = lk_dt_result_json(&event, &sum, 0);            the API answer
 *   lk_dt_mqtt_messages(&topics, &event, &sum, arena, &msgs, &n_msgs);
 *   lk_dt_vote(groups, n_groups, &vote);     vote.name: Frigate's sub_label
 */
#ifndef LK_DT_RESULT_H
#define LK_DT_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/mem.h"

/* ---- classifying one face ------------------------------------------- */

/* A face box in whole pixels, as Double Take writes it. */
struct lk_dt_box {
  int top, left, width, height;
};

/* A box from its corners (x_max, y_max exclusive, as detectors give). */
struct lk_dt_box lk_dt_box_corners(int x_min, int y_min, int x_max,
                                   int y_max);

/* One face as a detector answered, before Double Take's rules. */
struct lk_dt_raw_face {
  /* "likeness", "compreface", "deepstack", "facebox": DeepStack's subject
   * "unknown" and Facebox's matched = 0 mean "no one" */
  const char *detector;
  const char *subject;      /* the nearest person; NULL: no one */
  double confidence;        /* the detector's 0..1 for subject */
  int matched;              /* Facebox's matched flag; others ignore it */
  struct lk_dt_box box;
};

/* detect.match / detect.unknown of config.yml, with the camera's
 * overrides already applied by the caller. */
struct lk_dt_thresholds {
  double match_confidence;    /* % (60): a match from here ... */
  double match_min_area;      /* px² (10000): ... with a box this large */
  double unknown_confidence;  /* % (40): Double Take names faces from here */
  double unknown_min_area;    /* px² (0): smaller unknown faces are dropped */
  /* 0 (ours): a face under match_confidence is "unknown", never the
   * nearest name. 1: Double Take's rule, which keeps the nearest name as a
   * miss from unknown_confidence up. */
  int name_below_match;
};

struct lk_dt_thresholds lk_dt_thresholds_default(void);

/* A face after Double Take's rules; the fields after checks are set only
 * in a summary's faces (from the attempt they came from). */
struct lk_dt_face {
  const char *name;         /* lower-cased subject, or "unknown" */
  double confidence;        /* 0..100, 2 decimals */
  int match;
  struct lk_dt_box box;
  const char *checks[2];    /* why not a match, as Double Take words it */
  int n_checks;
  const char *type;         /* latest, snapshot, mqtt, manual, ... */
  double duration;          /* s, the detector's time on that image */
  const char *detector;
  const char *filename;
  const char *base64;       /* NULL: null */
};

/* Double Take's normalize() for one face: *kept is 0 (and *out untouched)
 * for an unknown face under unknown_min_area, which Double Take drops.
 * Strings go to arena: LK_ERR_NOMEM; LK_ERR_INVAL for NULL arguments. */
lk_err lk_dt_face_normalize(const struct lk_dt_raw_face *raw,
                            const struct lk_dt_thresholds *th,
                            struct lk_arena *arena, struct lk_dt_face *out,
                            int *kept);

/* ---- an event: every attempt, summed up ----------------------------- */

/* One detector's answer for one image. */
struct lk_dt_attempt {
  const char *detector;
  double duration;          /* s */
  int attempt;              /* 1-based, within its group */
  const char *filename;     /* the saved image, "<uuid>.jpg" */
  const char *base64;       /* the image when detect.*.base64; else NULL */
  const struct lk_dt_face *faces;   /* normalized */
  size_t n_faces;
};

/* One polling loop (Frigate's latest, its snapshot, an MQTT image, a
 * manual request): its detectors' answers, image after image. */
struct lk_dt_group {
  const char *type;         /* latest | snapshot | mqtt | manual | ... */
  double duration;          /* s */
  int attempts;             /* images taken */
  const struct lk_dt_attempt *results;
  size_t n_results;
};

struct lk_dt_counts {
  int person, match, miss, unknown;
};

/* recognize.util.js normalize(): the best match per name, the best miss
 * per name (in the order names first matched, as a JavaScript object
 * keeps them), every unknown by confidence (highest first), and counts.
 * Faces are copies in the arena; their strings point into groups. */
struct lk_dt_summary {
  struct lk_dt_face *matches;
  size_t n_matches;
  struct lk_dt_face *misses;
  size_t n_misses;
  struct lk_dt_face *unknowns;
  size_t n_unknowns;
  struct lk_dt_counts counts;
  int attempts;             /* summed over groups */
  const struct lk_dt_group *groups;   /* the input, for ?results=all */
  size_t n_groups;
};

lk_err lk_dt_summarize(const struct lk_dt_group *groups, size_t n_groups,
                       struct lk_arena *arena, struct lk_dt_summary *out);

/* The event's one name for Frigate's sub_label, by a vote that weighs each
 * face by its box area: a name gets area × confidence of its matches, and
 * "unknown" gets area × (1 - confidence) of its unknown faces (their
 * confidence is likeness to the nearest person, evidence against
 * "unknown"). The heaviest name wins only if it outweighs unknown and no
 * other name ties it, so one lucky frame cannot name a stranger. */
struct lk_dt_vote {
  const char *name;         /* NULL: no name (points into groups) */
  double score;             /* 0..1: name's area-weighted confidence */
  double weight;            /* name's votes, px² */
  double unknown_weight;    /* unknown's votes, px² */
};

void lk_dt_vote(const struct lk_dt_group *groups, size_t n_groups,
                struct lk_dt_vote *out);

/* Frigate's POST /api/events/<id>/sub_label body for a vote with a name:
 * {"subLabel":name,"subLabelScore":score} (score to 4 decimals). */
cJSON *lk_dt_sublabel_json(const struct lk_dt_vote *v);

/* ---- JSON, field for field ------------------------------------------ */

/* What Double Take knows of the event beside its faces. */
struct lk_dt_event {
  const char *id;           /* Frigate's event id, or a UUID */
  double duration;          /* s; printed to 2 decimals */
  const char *timestamp;    /* lk_dt_time_format's text */
  const char *camera;       /* as named; MQTT payloads lower-case it */
  const char *const *zones; /* Frigate's current_zones */
  size_t n_zones;
  const char *token;        /* storage JWT when auth is on; NULL: none */
};

/* One face: name, confidence, match, box, [checks], and for a summary's
 * faces (summarized = 1) type, duration, detector, filename, base64. */
cJSON *lk_dt_face_json(const struct lk_dt_face *f, int summarized);

/* The /recognize answer: id, duration, timestamp, attempts, camera,
 * zones, counts, matches, misses, unknowns, [token], and with
 * all_results (?results=all) every group's raw answers as "results". */
cJSON *lk_dt_result_json(const struct lk_dt_event *ev,
                         const struct lk_dt_summary *s, int all_results);

/* double-take/matches/<name>: the event and s->matches[i] as "match". */
cJSON *lk_dt_match_json(const struct lk_dt_event *ev,
                        const struct lk_dt_summary *s, size_t i);
/* double-take/matches/unknown: "unknown" (the first) and "unknowns". */
cJSON *lk_dt_unknown_json(const struct lk_dt_event *ev,
                          const struct lk_dt_summary *s);
/* double-take/cameras/<camera>: matches, misses, unknowns, personCount,
 * counts; reset = 1 gives the payload sent 30 s later (personCount and
 * counts at 0, the faces kept, as Double Take does). */
cJSON *lk_dt_camera_json(const struct lk_dt_event *ev,
                         const struct lk_dt_summary *s, int reset);

/* ---- MQTT topics ------------------------------------------------------ */

/* mqtt.topics.* of config.yml. */
struct lk_dt_topics {
  const char *matches;        /* "double-take/matches" */
  const char *cameras;        /* "double-take/cameras" */
  const char *homeassistant;  /* "homeassistant"; NULL or "": no discovery */
  const char *available;      /* "double-take/available" (fixed in DT) */
};

struct lk_dt_topics lk_dt_topics_default(void);

/* A person's name as one topic level (#239): runs of white space become
 * "-", then everything but [A-Za-z0-9-] goes. A name left with no letter
 * or digit (empty, "-", or all non-Latin: Double Take would publish to
 * "double-take/matches/") becomes "name-" + 8 hex digits of its FNV-1a
 * hash: stable, non-empty, and different for different names. */
char *lk_dt_topic_name(struct lk_arena *arena, const char *name);
/* A camera as one topic level: lower-cased (#163); "+", "#" and "/",
 * which would break the topic, become "-". NULL for an empty camera. */
char *lk_dt_topic_camera(struct lk_arena *arena, const char *camera);

enum lk_dt_topic {
  LK_DT_TOPIC_MATCH,          /* <matches>/<name> */
  LK_DT_TOPIC_UNKNOWN,        /* <matches>/unknown (name unused) */
  LK_DT_TOPIC_CAMERA,         /* <cameras>/<camera> */
  LK_DT_TOPIC_CAMERA_PERSON   /* <cameras>/<camera>/person */
};
/* The topic, name or camera sanitised as above; NULL when out of memory
 * or for an empty camera. */
char *lk_dt_topic(struct lk_arena *arena, const struct lk_dt_topics *t,
                  enum lk_dt_topic kind, const char *name);

/* Home Assistant's sensors: one per person matched, one for unknown, one
 * per camera. */
enum lk_dt_sensor {
  LK_DT_SENSOR_PERSON,
  LK_DT_SENSOR_UNKNOWN,
  LK_DT_SENSOR_CAMERA
};
/* <homeassistant>/sensor/double-take/<level>/config (state = 0) or /state
 * (state = 1); NULL when discovery is off or out of memory. */
char *lk_dt_ha_topic(struct lk_arena *arena, const struct lk_dt_topics *t,
                     enum lk_dt_sensor kind, const char *name, int state);
/* The discovery config: name, icon, value_template, state_topic,
 * json_attributes_topic, availability_topic, unique_id (Double Take's
 * order); name is the person or the camera (unused for unknown). */
cJSON *lk_dt_ha_config_json(struct lk_arena *arena,
                            const struct lk_dt_topics *t,
                            enum lk_dt_sensor kind, const char *name);

/* One message to publish; strings in the arena. */
struct lk_dt_message {
  const char *topic;
  const char *payload;      /* NUL-terminated */
  size_t len;
  int retain;
};

/* Every message Double Take's mqtt.recognize() publishes for an event, in
 * its order and with its retain flags: the camera's person count, the
 * unknown payload and its sensor, each match and its sensor, the camera
 * payload and its sensor (discovery messages only with homeassistant
 * set). */
lk_err lk_dt_mqtt_messages(const struct lk_dt_topics *t,
                           const struct lk_dt_event *ev,
                           const struct lk_dt_summary *s,
                           struct lk_arena *arena,
                           struct lk_dt_message **out, size_t *n);
/* The messages sent 30 s after a camera's last event: person count "0"
 * and, with discovery, the camera sensor's reset state. */
lk_err lk_dt_mqtt_reset_messages(const struct lk_dt_topics *t,
                                 const struct lk_dt_event *ev,
                                 const struct lk_dt_summary *s,
                                 struct lk_arena *arena,
                                 struct lk_dt_message **out, size_t *n);

/* ---- numbers, text and time as Double Take prints them --------------- */

/* parseFloat(x.toFixed(2)): halves round away from zero, as JavaScript's
 * toFixed does on the exact binary value (1.125 -> 1.13, 1.005 -> 1). */
double lk_dt_round2(double x);

/* x as JavaScript's String(x) writes it (shortest text that reads back
 * as x: 66.07, 1e+21, 1e-7); out needs LK_DT_NUMBER_MAX bytes. */
#define LK_DT_NUMBER_MAX 32
void lk_dt_number_text(double x, char *out);

/* s lower-cased as JavaScript's toLowerCase does for Latin, Greek,
 * Cyrillic and Armenian letters (others unchanged); in the arena. */
char *lk_dt_lower(struct lk_arena *arena, const char *s);

/* An instant and its time zone (time.timezone, resolved by the caller). */
struct lk_dt_clock {
  int64_t unix_ms;          /* ms since 1970-01-01T00:00:00Z */
  int offset_min;           /* local time minus UTC then, minutes */
  int utc;                  /* the zone is UTC: ISO text ends in "Z" */
};

/* The timestamp Double Take writes: format NULL or "" gives luxon's ISO
 * text, 2021-06-17T05:01:36.030Z (or ...036.030+02:00); else time.format
 * with luxon's tokens y yy yyyy yyyyyy, M MM MMM MMMM MMMMM (and L...),
 * d dd, E EEE EEEE EEEEE (and c...), q qq, H HH h hh m mm s ss S SSS a,
 * Z ZZ ZZZ, X x; text in single quotes is kept as it is, and any other
 * run of letters is copied (luxon's locale macros such as D or t are not
 * supported). LK_ERR_TOO_LARGE when out (cap bytes) is too small. */
lk_err lk_dt_time_format(const struct lk_dt_clock *c, const char *format,
                         char *out, size_t cap);

#endif
