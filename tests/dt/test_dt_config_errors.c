/* test_dt_config_errors.c - every kind of bad value in a Double Take
 * config.yml, each with its exact "file:line: key: what was wrong"; the
 * early environment variables (MQTT_HOST, CONFIDENCE, DETECTORS, ...)
 * winning over the file, and their errors naming the variable. */
#include "dt_test.h"

struct bad {
  const char *yaml;
  const char *why;
};

static const struct bad bad[] = {
  /* types and ranges */
  { "frigate:\n  attempts:\n    latest: ten\n",
    "config.yml:3: frigate.attempts.latest: expected a whole number >= 0, "
    "got 'ten'" },
  { "frigate:\n  attempts:\n    snapshot: -1\n",
    "config.yml:3: frigate.attempts.snapshot: expected a whole number >= 0, "
    "got '-1'" },
  { "frigate:\n  attempts:\n    latest: 2.5\n",
    "config.yml:3: frigate.attempts.latest: expected a whole number >= 0, "
    "got '2.5'" },
  { "detect:\n  match:\n    confidence: 101\n",
    "config.yml:3: detect.match.confidence: expected a number from 0 to 100, "
    "got '101'" },
  { "detect:\n  unknown:\n    confidence: 0x20\n",
    "config.yml:3: detect.unknown.confidence: expected a number from 0 to "
    "100, got '0x20'" },
  { "detect:\n  match:\n    purge: -5\n",
    "config.yml:3: detect.match.purge: expected a number >= 0, got '-5'" },
  { "auth: maybe\n",
    "config.yml:1: auth: expected true or false, got 'maybe'" },
  { "auth: [true]\n",
    "config.yml:1: auth: expected true or false, got a list" },
  { "detect:\n  unknown:\n    base64: boxed\n",
    "config.yml:3: detect.unknown.base64: expected true, false or box, got "
    "'boxed'" },
  { "mqtt:\n  port: 70000\n",
    "config.yml:2: mqtt.port: expected a whole number from -1 to 65535, got "
    "'70000'" },
  { "mqtt:\n  port: 0\n",
    "config.yml:2: mqtt.port: expected -1 (the protocol's port) or a port "
    "from 1 to 65535, got '0'" },
  { "frigate:\n  image:\n    height: 0\n",
    "config.yml:3: frigate.image.height: expected a whole number from 1 to "
    "10000, got '0'" },
  { "frigate:\n  device_tracker_timeout: 0\n",
    "config.yml:2: frigate.device_tracker_timeout: expected a whole number "
    ">= 1, got '0'" },
  { "opencv:\n  scale_factor: 1\n",
    "config.yml:2: opencv.scale_factor: expected a number > 1, got '1'" },
  { "ui:\n  thumbnails:\n    quality: 101\n",
    "config.yml:3: ui.thumbnails.quality: expected a whole number from 0 to "
    "100, got '101'" },
  { "token:\n  image: forever\n",
    "config.yml:2: token.image: expected seconds, or a time span such as 24h "
    "or 30m, got 'forever'" },
  { "logs:\n  level: loud\n",
    "config.yml:2: logs.level: expected silent, error, warn, info, http, "
    "verbose, debug or silly, got 'loud'" },
  { "time:\n  timezone: Europe Berlin\n",
    "config.yml:2: time.timezone: expected a time zone name such as UTC or "
    "Europe/Berlin, got 'Europe Berlin'" },
  /* a secret's text is never echoed */
  { "mqtt:\n  port: !secret port\n",
    "config.yml:2: mqtt.port: expected a whole number from -1 to 65535, got "
    "a secret value" },
  { "mqtt:\n  protocol: !secret port\n",
    "config.yml:2: mqtt.protocol: expected mqtt, mqtts, tcp, tls, ws or wss, "
    "got a secret value" },
  /* maps and lists where they do not belong */
  { "mqtt: localhost\n",
    "config.yml:1: mqtt: expected a map of keys, got a single value" },
  { "frigate:\n  attempts: 5\n",
    "config.yml:2: frigate.attempts: expected a map of keys, got a single "
    "value" },
  { "frigate:\n  labels:\n    - person\n    - [a, b]\n",
    "config.yml:4: frigate.labels: item 2: expected a value, got a list" },
  { "frigate:\n  labels:\n    person: yes\n",
    "config.yml:3: frigate.labels: expected a value or a list of values, got "
    "a map" },
  { "frigate:\n  zones: garage\n",
    "config.yml:2: frigate.zones: expected a list of maps, got 'garage'" },
  { "frigate:\n  zones:\n    - garage\n",
    "config.yml:3: frigate.zones[0]: expected a map, got 'garage'" },
  { "frigate:\n  zones:\n    - zone: driveway\n",
    "config.yml:3: frigate.zones[0].camera: missing (required in "
    "frigate.zones[0])" },
  { "frigate:\n  zones:\n    - camera: garage\n      zone: a\n"
    "    - camera: porch\n      zonee: b\n",
    "config.yml:6: frigate.zones[1]: unknown key 'zonee' (expected camera, "
    "zone)" },
  { "cameras: [front, back]\n",
    "config.yml:1: cameras: expected a map of camera names, got a list" },
  { "cameras:\n  front: yes\n",
    "config.yml:2: cameras.front: expected a map of keys, got a single "
    "value" },
  /* masks */
  { "cameras:\n  front:\n    masks:\n      coordinates: 1,2,3\n"
    "      size: 1920x1080\n",
    "config.yml:4: cameras.front.masks.coordinates: expected x,y pairs of "
    "numbers >= 0 for 3 or more points (\"0,0,100,0,100,80\"), or a list of "
    "them, got '1,2,3'" },
  { "cameras:\n  front:\n    masks:\n      coordinates:\n        - 0,0,9,0,9,9"
    "\n        - 0,0,9,0,x,9\n      size: 1920x1080\n",
    "config.yml:6: cameras.front.masks.coordinates: expected x,y pairs of "
    "numbers >= 0 for 3 or more points (\"0,0,100,0,100,80\"), or a list of "
    "them, got '0,0,9,0,x,9'" },
  { "cameras:\n  front:\n    masks:\n      coordinates: 0,0,10,0,10,10\n",
    "config.yml:4: cameras.front.masks.size: missing (required in "
    "cameras.front.masks)" },
  { "cameras:\n  front:\n    masks:\n      coordinates: 0,0,10,0,10,10\n"
    "      size: big\n",
    "config.yml:5: cameras.front.masks.size: expected WIDTHxHEIGHT such as "
    "1920x1080, got 'big'" },
  { "cameras:\n  front:\n    detect:\n      match:\n        confidence: "
    "high\n",
    "config.yml:5: cameras.front.detect.match.confidence: expected a number "
    "from 0 to 100, got 'high'" },
  { "frigate:\n  events:\n    front:\n      attempts:\n        latest: x\n",
    "config.yml:5: frigate.events.front.attempts.latest: expected a whole "
    "number >= 0, got 'x'" },
  /* URLs, hosts, topics */
  { "frigate:\n  url: ftp://frigate\n",
    "config.yml:2: frigate.url: expected an http:// or https:// URL, got "
    "'ftp://frigate'" },
  { "cameras:\n  front:\n    snapshot:\n      url: http://\n",
    "config.yml:4: cameras.front.snapshot.url: expected an http:// or "
    "https:// URL, got 'http://'" },
  { "frigate:\n  url: [http://a:5000, http://b:5000]\n",
    "config.yml:2: frigate.url: 2 URLs, but mqtt.topics.frigate has 1 "
    "topic; they pair up by position" },
  { "mqtt:\n  host: mqtt://broker\n",
    "config.yml:2: mqtt.host: expected host or host:port, without a scheme "
    "(mqtt.protocol picks mqtts), got 'mqtt://broker'" },
  { "mqtt:\n  host: broker:99999\n",
    "config.yml:2: mqtt.host: expected host or host:port with a port from 1 "
    "to 65535, got 'broker:99999'" },
  { "mqtt:\n  host: broker:1883\n  port: 1884\n",
    "config.yml:3: mqtt.port: 1884, but mqtt.host says port 1883" },
  { "mqtt:\n  protocol: amqp\n",
    "config.yml:2: mqtt.protocol: expected mqtt, mqtts, tcp, tls, ws or wss, "
    "got 'amqp'" },
  { "mqtt:\n  topics:\n    homeassistant: true\n",
    "config.yml:3: mqtt.topics.homeassistant: expected a topic prefix, or "
    "false for no discovery, got 'true'" },
  { "mqtt:\n  topics:\n    matches: dt/#\n",
    "config.yml:3: mqtt.topics.matches: expected an MQTT topic without "
    "wildcards (+ #), got 'dt/#'" },
  /* detectors and notifiers */
  { "detectors:\n  deepstack:\n    timeout: 5\n",
    "config.yml:3: detectors.deepstack.url: missing (required in "
    "detectors.deepstack)" },
  { "detectors:\n  compreface: {url: 'http://cf:8000'}\n",
    "config.yml:2: detectors.compreface.key: missing (required in "
    "detectors.compreface)" },
  { "detectors:\n  facebox:\n    url: http://fb\n    timeout: 0\n",
    "config.yml:4: detectors.facebox.timeout: expected a number > 0, got "
    "'0'" },
  { "detectors:\n  compreface:\n    url: http://cf\n    key: k\n"
    "    det_prob_threshold: 2\n",
    "config.yml:5: detectors.compreface.det_prob_threshold: expected a "
    "number from 0 to 1, got '2'" },
  { "detectors:\n  rekognition:\n    aws_access_key_id: a\n"
    "    aws_secret_access_key: b\n",
    "config.yml:3: detectors.rekognition.aws_region: missing (required in "
    "detectors.rekognition)" },
  { "notify:\n  gotify:\n    token: t\n",
    "config.yml:3: notify.gotify.url: missing (required in notify.gotify)" },
  { "notify:\n  telegram:\n    token: t\n    chat_id: my-chat\n",
    "config.yml:4: notify.telegram.chat_id: expected a chat number (quoted, "
    "\"12345678\") or an @channel name, got 'my-chat'" },
  { "notify:\n  types: [snapshot, email]\n",
    "config.yml:2: notify.types: expected snapshot, latest, mqtt, frigate or "
    "manual, got 'email'" },
  /* schedule */
  { "schedule:\n  disable:\n    - days: [funday]\n      times: [20:00-23:59]"
    "\n      cameras: [office]\n",
    "config.yml:3: schedule.disable[0].days: expected a day of the week "
    "(monday .. sunday), got 'funday'" },
  { "schedule:\n  disable:\n    - days: [monday]\n      times: [23:00-01:00]"
    "\n      cameras: [office]\n",
    "config.yml:4: schedule.disable[0].times: expected HH:MM-HH:MM with the "
    "start before the end (split a range over midnight in two), got "
    "'23:00-01:00'" },
  { "schedule:\n  disable:\n    - days: [monday]\n      times: [20:00-23:59]"
    "\n",
    "config.yml:3: schedule.disable[0].cameras: missing (required in "
    "schedule.disable[0])" },
};

static void test_errors(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  size_t i;
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lk_err err = load_text(bad[i].yaml, NULL, a, &c);
    CHECK_MSG(err == LK_ERR_INVAL, "case %zu: %d", i, (int)err);
    CHECK_MSG(!strcmp(why, bad[i].why), "case %zu:\n got  %s\n want %s", i,
              why, bad[i].why);
  }
  lk_arena_destroy(a);
}

/* What Double Take takes that a stricter reader might refuse. */
static void test_lenient(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  CHECK_MSG(load_text(
    "auth: yes\n"                        /* YAML 1.1 booleans */
    "telemetry: off\n"
    "mqtt:\n"
    "  host: '[fd00::5]:1885'\n"
    "  topics:\n"
    "    homeassistant: false\n"         /* falsy: no discovery */
    "detect:\n"
    "  match:\n"
    "    base64: yes\n"
    "    confidence: '65'\n"             /* quoted numbers */
    "logs:\n"
    "  level: INFO\n"
    "notify:\n"
    "  telegram:\n"
    "    token: t\n"
    "    chat_id: -1001234\n"            /* unquoted works here */
    "schedule:\n"
    "  disable:\n"
    "    - days: Monday\n"               /* one value for a list */
    "      times: 9:00-17:30\n"
    "      cameras: office\n"
    "ui:\n"
    "  path: /dt///\n", NULL, a, &c) == LK_OK, "%s", why);
  CHECK(c.auth && !c.telemetry && c.mqtt.port == 1885);
  CHECK_STR(c.mqtt.hostname, "fd00::5");
  CHECK(!c.mqtt.topics.homeassistant);
  CHECK(c.detect.match.base64 == LK_DT_BASE64_TRUE);
  CHECK(c.detect.match.confidence == 65 && c.logs.level == LK_DT_LOG_INFO);
  CHECK_STR(c.notify.telegram.chat_id, "-1001234");
  CHECK(c.schedule.n == 1 && lk_dt_config_disabled(&c, "office", 0, 9 * 60));
  CHECK_STRS(c.schedule.v[0].days, "monday");
  CHECK_STR(c.ui.path, "/dt");
  lk_arena_destroy(a);
}

/* --- the environment ----------------------------------------------------- */

static const char *const env_file =
  "mqtt:\n"
  "  host: file-broker\n"
  "  username: file-user\n"
  "frigate:\n"
  "  url: http://file-frigate:5000\n"
  "  attempts:\n"
  "    latest: 3\n"
  "detectors:\n"
  "  deepstack:\n"
  "    url: http://deepstack:5001\n"
  "  facebox:\n"
  "    url: http://facebox:8080\n";

static void test_env(void)
{
  static const struct env e = { {
    "MQTT_HOST", "env-broker:1884", "MQTT_USERNAME", "env-user",
    "MQTT_PASSWORD", "env-pass", "MQTT_TOPIC", "frigate/events",
    "MQTT_TOPIC_MATCHES", "home/matches", "FRIGATE_URL", "frigate.lan:5000",
    "FRIGATE_CAMERAS", "front-door, garage,,", "FRIGATE_IMAGE_HEIGHT", "800",
    "SNAPSHOT_RETRIES", "20", "LATEST_RETRIES", "21", "CONFIDENCE", "65",
    "SAVE_UNKNOWN", "false", "COMPREFACE_URL", "http://cf:8000",
    "COMPREFACE_API_KEY", "cf-key", "LOGS", "verbose",
    "TZ", "Europe/Berlin", "DATE_TIME_FORMAT", "dd.MM.yyyy",
    "DETECTORS", "compreface, facebox", "DEEPSTACK_URL", "", NULL } };
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  const struct lk_dt_detector *d = c.detectors;

  CHECK_MSG(load_text(env_file, &e, a, &c) == LK_OK, "%s", why);
  CHECK_STR(c.mqtt.hostname, "env-broker");
  CHECK(c.mqtt.port == 1884 && c.mqtt.enabled);
  CHECK_STR(c.mqtt.username, "env-user");
  CHECK_STR(c.mqtt.password, "env-pass");
  CHECK_STR(c.mqtt.topics.matches, "home/matches");
  CHECK_STRS(c.frigate.url, "http://frigate.lan:5000");
  CHECK_STRS(c.frigate.cameras, "front-door", "garage");
  CHECK(c.frigate.image.height == 800 && c.frigate.attempts.snapshot == 20);
  CHECK(c.frigate.attempts.latest == 21);
  CHECK(c.detect.match.confidence == 65 && !c.detect.unknown.save);
  CHECK(c.logs.level == LK_DT_LOG_VERBOSE);
  CHECK_STR(c.time.timezone, "Europe/Berlin");
  CHECK_STR(c.time.format, "dd.MM.yyyy");
  /* DETECTORS: exactly those; an empty variable is unset */
  CHECK(d[LK_DT_COMPREFACE].present && d[LK_DT_COMPREFACE].enabled);
  CHECK_STR(d[LK_DT_COMPREFACE].key, "cf-key");
  CHECK(d[LK_DT_FACEBOX].enabled);
  CHECK(d[LK_DT_DEEPSTACK].present && !d[LK_DT_DEEPSTACK].enabled);
  CHECK_STR(d[LK_DT_DEEPSTACK].url, "http://deepstack:5001");
  CHECK(!d[LK_DT_LIKENESS].enabled);
  lk_arena_destroy(a);
}

static void test_env_sections(void)
{
  static const struct env only = { { "MQTT_HOST", "broker",
                                     "FRIGATE_URL", "http://f:5000",
                                     "DETECTORS", "likeness", NULL } };
  static const struct env off = { { "DETECTORS", "likeness", NULL } };
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  /* no file: the variables alone make mqtt and frigate present */
  CHECK_MSG(load_path(NULL, NULL, &only, a, &c, NULL) == LK_OK, "%s", why);
  CHECK(c.mqtt.present && c.mqtt.enabled && c.frigate.enabled);
  CHECK(c.detectors[LK_DT_LIKENESS].enabled);
  /* the variable wins over likeness.enabled */
  CHECK_MSG(load_text("detectors:\n  likeness:\n    enabled: false\n", &off,
                      a, &c) == LK_OK, "%s", why);
  CHECK(c.detectors[LK_DT_LIKENESS].enabled);
  CHECK_MSG(load_text("detectors:\n  likeness:\n    enabled: false\n", NULL,
                      a, &c) == LK_OK, "%s", why);
  CHECK(!c.detectors[LK_DT_LIKENESS].enabled);
  lk_arena_destroy(a);
}

static void test_env_errors(void)
{
  static const struct { const char *name, *value, *why; } bad[] = {
    { "LATEST_RETRIES", "ten", "LATEST_RETRIES (frigate.attempts.latest): "
      "expected a whole number >= 0, got 'ten'" },
    { "CONFIDENCE", "200", "CONFIDENCE (detect.match.confidence): expected "
      "a number from 0 to 100, got '200'" },
    { "SAVE_UNKNOWN", "sometimes", "SAVE_UNKNOWN (detect.unknown.save): "
      "expected true or false, got 'sometimes'" },
    { "FRIGATE_IMAGE_HEIGHT", "tall", "FRIGATE_IMAGE_HEIGHT "
      "(frigate.image.height): expected a whole number from 1 to 10000, got "
      "'tall'" },
    { "FRIGATE_URL", "ftp://f", "FRIGATE_URL (frigate.url): expected an "
      "http:// or https:// URL, got 'ftp://f'" },
    { "MQTT_HOST", "mqtt://b", "MQTT_HOST (mqtt.host): expected host or "
      "host:port, without a scheme (mqtt.protocol picks mqtts), got "
      "'mqtt://b'" },
    { "LOGS", "chatty", "LOGS (logs.level): expected silent, error, warn, "
      "info, http, verbose, debug or silly, got 'chatty'" },
    { "TZ", "Mars Base", "TZ (time.timezone): expected a time zone name "
      "such as UTC or Europe/Berlin, got 'Mars Base'" },
    { "MQTT_TOPIC_MATCHES", "a/+", "MQTT_TOPIC_MATCHES "
      "(mqtt.topics.matches): expected an MQTT topic without wildcards "
      "(+ #), got 'a/+'" },
    { "DETECTORS", "compreface,doubletake", "DETECTORS (detectors): unknown "
      "detector 'doubletake' (compreface, deepstack, facebox, rekognition, "
      "aiserver or likeness)" },
    { "DETECTORS", "deepstack", "DETECTORS (detectors): deepstack is listed, "
      "but detectors.deepstack is not configured" },
    { "COMPREFACE_URL", "http://cf", "detectors.compreface.key: missing "
      "(required in detectors.compreface)" },
  };
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  size_t i;
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct env e = { { bad[i].name, bad[i].value,
                       "COMPREFACE_API_KEY", bad[i].name[0] == 'D' ? "k" : "",
                       "COMPREFACE_URL", bad[i].name[0] == 'D' ? "http://c"
                       : "", NULL } };
    lk_err err = load_text("frigate:\n  attempts:\n    latest: 4\n", &e, a,
                           &c);
    CHECK_MSG(err == LK_ERR_INVAL, "%s: %d", bad[i].name, (int)err);
    CHECK_MSG(!strcmp(why, bad[i].why), "%s:\n got  %s\n want %s",
              bad[i].name, why, bad[i].why);
  }
  lk_arena_destroy(a);
}

int main(void)
{
  dt_test_begin();
  RUN(test_errors);
  RUN(test_lenient);
  RUN(test_env);
  RUN(test_env_sections);
  RUN(test_env_errors);
  return dt_test_end();
}
