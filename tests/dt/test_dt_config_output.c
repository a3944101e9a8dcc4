/* test_dt_config_output.c - what a loaded Double Take config gives back:
 * GET /api/config's JSON (defaults merged, unused sections left out as
 * config.js leaves them out) with and without redaction, the
 * "key = value (origin)" log lines, and the keys lk_dt_config_paths lets
 * lk_conf_unknown report (the home_assistant: and objects.face keys people
 * paste, a Frigate camera block, per-camera purge). */
#include "dt_test.h"

static cJSON *at(const cJSON *j, const char *path)
{
  char key[128];
  while(j && *path) {
    size_t len = strcspn(path, ".");
    snprintf(key, sizeof key, "%.*s", (int)len, path);
    j = cJSON_GetObjectItemCaseSensitive(j, key);
    path += len;
    path += *path == '.';
  }
  return (cJSON *)j;
}

static const char *str_at(const cJSON *j, const char *path)
{
  const cJSON *v = at(j, path);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *j, const char *path)
{
  const cJSON *v = at(j, path);
  return cJSON_IsNumber(v) ? v->valuedouble : -12345;
}

static int bool_at(const cJSON *j, const char *path)
{
  const cJSON *v = at(j, path);
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static void test_json_defaults(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  cJSON *j;
  CHECK_MSG(load_path(NULL, NULL, NULL, a, &c, NULL) == LK_OK, "%s", why);
  j = lk_dt_config_json(&c, 0);
  CHECK(j != NULL);
  CHECK(bool_at(j, "auth") == 0 && bool_at(j, "telemetry") == 1);
  /* config.js: no token without auth, no mqtt/frigate unless configured,
   * no opencv unless a detector wants it */
  CHECK(!at(j, "token") && !at(j, "mqtt") && !at(j, "frigate"));
  CHECK(!at(j, "opencv") && !at(j, "schedule") && !at(j, "notify"));
  CHECK(!at(j, "cameras"));
  CHECK(num_at(j, "detect.match.confidence") == 60);
  CHECK(num_at(j, "detect.unknown.purge") == 8);
  CHECK(bool_at(j, "detect.match.base64") == 0);
  CHECK(cJSON_GetArraySize(at(j, "detectors")) == 1);
  CHECK(bool_at(j, "detectors.likeness.enabled") == 1);
  CHECK_STR(str_at(j, "time.timezone"), "UTC");
  CHECK(!at(j, "time.format"));
  CHECK_STR(str_at(j, "logs.level"), "info");
  CHECK_STR(str_at(j, "ui.path"), "");
  CHECK_STR(str_at(j, "ui.editor.theme"), "nord_dark");
  CHECK(num_at(j, "ui.thumbnails.quality") == 95);
  cJSON_Delete(j);
  lk_arena_destroy(a);
}

static void check_reference_json(const cJSON *j)
{
  const cJSON *cam = at(j, "cameras.front-door");
  CHECK_STR(str_at(j, "token.image"), "12h");
  CHECK_STR(str_at(j, "mqtt.host"), "192.168.1.10:1884");
  CHECK(num_at(j, "mqtt.port") == 1884);
  CHECK_STR(str_at(j, "mqtt.username"), "mqtt");
  CHECK_STR(str_at(j, "mqtt.topics.frigate"), "frigate/events");
  CHECK_STR(str_at(j, "detect.match.base64"), "box");
  CHECK(bool_at(j, "detect.unknown.base64") == 1);
  CHECK_STR(str_at(j, "frigate.url"), "http://frigate.lan:5000");
  CHECK(cJSON_GetArraySize(at(j, "frigate.labels")) == 2);
  CHECK_STR(str_at(cJSON_GetArrayItem(at(j, "frigate.zones"), 0), "zone"),
            "driveway");
  CHECK(num_at(j, "frigate.attempts.delay") == 0.5);
  CHECK(num_at(j, "frigate.events.front-door.attempts.latest") == 2);
  CHECK(num_at(j, "frigate.events.front-door.image.height") == 1000);
  CHECK(cJSON_IsArray(at(cam, "masks.coordinates")));
  CHECK_STR(str_at(cam, "masks.size"), "1920x1080");
  CHECK(bool_at(cam, "masks.visible") == 1);
  CHECK(num_at(cam, "detect.match.confidence") == 90);
  CHECK(!at(cam, "detect.match.purge"));       /* detect(camera) drops it */
  CHECK_STR(str_at(cam, "snapshot.topic"), "kitchen/camera/snapshot");
  CHECK(num_at(j, "opencv.min_size_height") == 50);
  CHECK_STR(str_at(j, "detectors.compreface.url"),
            "http://compreface.lan:8000");
  CHECK(num_at(j, "detectors.rekognition.opencv_face_required") == -12345);
  CHECK(bool_at(j, "detectors.rekognition.opencv_face_required") == 0);
  CHECK(!at(j, "detectors.aiserver"));
  CHECK(cJSON_GetArraySize(at(j, "schedule.disable")) == 2);
  CHECK(num_at(j, "notify.gotify.priority") == 7);
  CHECK_STR(str_at(j, "logs.level"), "verbose");
  CHECK_STR(str_at(j, "ui.path"), "/double-take");
}

static void test_json_reference(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  cJSON *j, *r;
  CHECK_MSG(load_data("readme-reference.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  j = lk_dt_config_json(&c, 0);
  r = lk_dt_config_json(&c, 1);
  CHECK(j && r);
  check_reference_json(j);
  check_reference_json(r);     /* the same, but for what is hidden */
  CHECK_STR(str_at(j, "mqtt.password"), "s3cret-mqtt");
  CHECK_STR(str_at(r, "mqtt.password"), LK_DT_REDACTED);
  CHECK_STR(str_at(j, "detectors.compreface.key"),
            "00000000-1111-2222-3333-444444444444");
  CHECK_STR(str_at(r, "detectors.compreface.key"), LK_DT_REDACTED);
  CHECK_STR(str_at(r, "detectors.deepstack.key"), LK_DT_REDACTED);
  CHECK_STR(str_at(r, "detectors.rekognition.aws_access_key_id"),
            LK_DT_REDACTED);
  CHECK_STR(str_at(r, "detectors.rekognition.aws_secret_access_key"),
            LK_DT_REDACTED);
  CHECK_STR(str_at(r, "notify.gotify.token"), LK_DT_REDACTED);
  CHECK_STR(str_at(j, "notify.gotify.token"), "gotify-token");
  /* Double Take hides mqtt.tls.key by its name too */
  CHECK_STR(str_at(r, "mqtt.tls.key"), LK_DT_REDACTED);
  CHECK_STR(str_at(r, "mqtt.tls.cert"), "/certs/client.crt");
  CHECK_STR(str_at(j, "frigate.events.front-door.image.snapshot"),
            "http://user:hunter2@camera-url.com/snap.jpg");
  CHECK_STR(str_at(r, "frigate.events.front-door.image.snapshot"),
            "http://user:" LK_DT_REDACTED "@camera-url.com/snap.jpg");
  cJSON_Delete(j);
  cJSON_Delete(r);
  lk_arena_destroy(a);
}

static void test_json_shapes(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  cJSON *j = NULL;
  CHECK_MSG(load_text("auth: true\ntoken:\n  image: 3600\nmqtt:\n"
                      "  host: !secret broker\n  user: u\n  pass: p\n"
                      "  topics:\n    homeassistant: off\n"
                      "    frigate: [a/events]\n", NULL, a, &c) == LK_OK,
            "%s", why);
  j = lk_dt_config_json(&c, 1);
  CHECK(num_at(j, "token.image") == 3600);     /* a number stays one */
  CHECK(bool_at(j, "mqtt.topics.homeassistant") == 0);
  CHECK(cJSON_IsArray(at(j, "mqtt.topics.frigate")));  /* as written */
  /* from !secret: hidden whatever its name */
  CHECK_STR(str_at(j, "mqtt.host"), LK_DT_REDACTED);
  CHECK_STR(str_at(j, "mqtt.username"), "u");  /* user, shown as username */
  CHECK(!at(j, "mqtt.user") && !at(j, "mqtt.pass"));
  CHECK_STR(str_at(j, "mqtt.password"), LK_DT_REDACTED);
  cJSON_Delete(j);

  CHECK_MSG(load_data("fork-reference.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  j = lk_dt_config_json(&c, 1);
  CHECK(cJSON_GetArraySize(at(j, "frigate.url")) == 2);
  CHECK(num_at(j, "frigate.device_tracker_timeout") == 15);
  CHECK_STR(str_at(j, "mqtt.protocol"), "mqtts");
  CHECK(num_at(j, "mqtt.port") == 8883);
  CHECK_STR(str_at(j, "notify.telegram.chat_id"), "12345678");
  CHECK_STR(str_at(j, "notify.telegram.token"), LK_DT_REDACTED);
  CHECK(bool_at(j, "notify.only_unknown") == 1);
  CHECK(cJSON_GetArraySize(at(j, "notify.types")) == 2);
  CHECK(num_at(j, "detectors.aiserver.timeout") == 30);
  CHECK(bool_at(j, "cameras.porch.snapshot.crop") == 1);
  CHECK(bool_at(j, "logs.sql") == 1);
  cJSON_Delete(j);
  lk_arena_destroy(a);
}

/* --- lines --------------------------------------------------------------- */

struct lines {
  char text[400][200];
  int n;
};

static void keep(void *ctx, const char *line)
{
  struct lines *l = ctx;
  if(l->n < 400)
    snprintf(l->text[l->n++], sizeof l->text[0], "%s", line);
}

static int has_line(const struct lines *l, const char *want)
{
  int i;
  for(i = 0; i < l->n; i++) {
    if(!strcmp(l->text[i], want))
      return 1;
  }
  return 0;
}

#define CHECK_LINE(l, want) CHECK_MSG(has_line(l, want), "no line '%s'", want)

static void test_lines(void)
{
  static const struct env e = { { "MQTT_USERNAME", "env-user", NULL } };
  static struct lines l;
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  int i;

  CHECK_MSG(load_data("readme-reference.yml", &e, a, &c, NULL) == LK_OK,
            "%s", why);
  CHECK(lk_dt_config_lines(&c, keep, &l) == LK_OK);
  CHECK(l.n > 100 && l.n < 400);
  CHECK_LINE(&l, "frigate.attempts.latest = 5 (readme-reference.yml:52)");
  CHECK_LINE(&l, "mqtt.password = ******** (readme-reference.yml:13)");
  CHECK_LINE(&l, "mqtt.username = env-user (MQTT_USERNAME)");
  CHECK_LINE(&l, "mqtt.port = 1884 (readme-reference.yml:11)");
  CHECK_LINE(&l, "logs.sql = false (default)");
  CHECK_LINE(&l, "detect.match.min_area = 5000 (readme-reference.yml:34)");
  CHECK_LINE(&l, "ui.path = /double-take (readme-reference.yml:178)");
  CHECK_LINE(&l, "frigate.labels = [\"person\",\"face\"] "
             "(readme-reference.yml:49)");
  CHECK_LINE(&l, "cameras.front-door.masks.size = 1920x1080 "
             "(readme-reference.yml:82)");
  CHECK_LINE(&l, "detectors.likeness.enabled = true (default)");
  for(i = 0; i < l.n; i++)     /* no secret in the log */
    CHECK_MSG(!strstr(l.text[i], "s3cret") && !strstr(l.text[i], "hunter2")
              && !strstr(l.text[i], "AKIA"), "%s", l.text[i]);
  CHECK(lk_dt_config_log(&c) == LK_OK);
  lk_arena_destroy(a);
}

/* --- unknown keys -------------------------------------------------------- */

struct seen {
  char paths[16][128];
  int lines[16];
  int n;
};

static void remember(void *ctx, const char *path, int line)
{
  struct seen *s = ctx;
  if(s->n < 16) {
    snprintf(s->paths[s->n], sizeof s->paths[0], "%s", path);
    s->lines[s->n++] = line;
  }
}

static const char *const pasted =
  "home_assistant:\n"                  /* 1: issue #227 */
  "  url: http://ha:8123\n"
  "  token: abc\n"
  "objects:\n"                         /* 4: issue #90 */
  "  face:\n"
  "    min_area_match: 5000\n"
  "mqtt:\n"
  "  host: broker\n"
  "  hots: typo\n"                     /* 9 */
  "cameras:\n"
  "  front-door:\n"
  "    mqtt:\n"                        /* 12: Frigate's camera block */
  "      timestamp: False\n"
  "    detect:\n"
  "      match:\n"
  "        purge: 5\n"                 /* 16: global only */
  "        confidence: 80\n"
  "frigate:\n"
  "  url: http://frigate:5000\n"
  "  events:\n"
  "    front-door:\n"
  "      attempts:\n"
  "        retries: 3\n"               /* 23 */
  "detectors:\n"
  "  compreface:\n"
  "    url: http://cf\n"
  "    key: k\n"
  "    api_key: x\n"                   /* 28 */
  "server:\n"
  "  port: 5000\n";

static void test_unknown_keys(void)
{
  static const char *const want[] = {
    "home_assistant", "objects", "mqtt.hots", "cameras.front-door.mqtt",
    "cameras.front-door.detect.match.purge",
    "frigate.events.front-door.attempts.retries",
    "detectors.compreface.api_key"
  };
  static const int lines[] = { 1, 4, 9, 12, 16, 23, 28 };
  const char *merged[300];
  const char *const *dt = lk_dt_config_paths();
  struct lk_arena *a = lk_arena_create(0);
  struct lk_conf_node *root = NULL;
  struct lk_dt_config c;
  struct seen s;
  size_t n = 0, i;

  /* the coordinator's walk: likeness's keys and these in one list */
  while(dt[n] && n < 298) {
    merged[n] = dt[n];
    n++;
  }
  merged[n++] = "server.port";
  merged[n] = NULL;
  memset(&s, 0, sizeof s);
  CHECK_MSG(load_path(put("config.yml", pasted), "config.yml", NULL, a, &c,
                      &root) == LK_OK, "%s", why);
  CHECK(c.cameras[0].match.confidence == 80 && c.cameras[0].match_set != 0);
  lk_conf_unknown(root, merged, remember, &s);
  CHECK_MSG(s.n == 7, "%d unknown keys", s.n);
  for(i = 0; i < 7 && (int)i < s.n; i++)
    CHECK_MSG(!strcmp(s.paths[i], want[i]) && s.lines[i] == lines[i],
              "%s:%d", s.paths[i], s.lines[i]);

  /* every key of both references is known */
  CHECK(load_data("readme-reference.yml", NULL, a, &c, &root) == LK_OK);
  memset(&s, 0, sizeof s);
  lk_conf_unknown(root, dt, remember, &s);
  CHECK_MSG(s.n == 0, "%s", s.paths[0]);
  CHECK(load_data("fork-reference.yml", NULL, a, &c, &root) == LK_OK);
  lk_conf_unknown(root, dt, remember, &s);
  CHECK_MSG(s.n == 0, "%s", s.paths[0]);
  lk_arena_destroy(a);
}

int main(void)
{
  dt_test_begin();
  RUN(test_json_defaults);
  RUN(test_json_reference);
  RUN(test_json_shapes);
  RUN(test_lines);
  RUN(test_unknown_keys);
  return dt_test_end();
}
