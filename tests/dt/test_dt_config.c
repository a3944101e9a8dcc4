/* test_dt_config.c - Double Take's config.yml: the examples of its README
 * and its fork's (tests/data/dt) read with the values Double Take would
 * use, !secret among them, defaults for what is absent, one camera's
 * merged settings, the schedule, and every allocation failed in turn with
 * nothing left behind. Bad values: test_dt_config_errors.c; JSON, log
 * lines and unknown keys: test_dt_config_output.c. */
#include "dt_test.h"

/* --- defaults ------------------------------------------------------------ */

static void check_defaults(const struct lk_dt_config *c)
{
  int i;
  CHECK(!c->auth && c->telemetry);
  CHECK_STR(c->token.image.text, "24h");
  CHECK_NEAR(c->token.image.seconds, 86400, 0);
  CHECK(!c->mqtt.present && !c->mqtt.enabled && !c->mqtt.host);
  CHECK(c->mqtt.port == 1883);
  CHECK_STR(c->mqtt.protocol, "mqtt");
  CHECK(!c->mqtt.username && !c->mqtt.password && !c->mqtt.client_id);
  CHECK(!c->mqtt.tls.cert && !c->mqtt.tls.reject_unauthorized);
  CHECK_STRS(c->mqtt.topics.frigate, "frigate/events");
  CHECK(!c->mqtt.topics.frigate.list);
  CHECK_STR(c->mqtt.topics.homeassistant, "homeassistant");
  CHECK_STR(c->mqtt.topics.matches, "double-take/matches");
  CHECK_STR(c->mqtt.topics.cameras, "double-take/cameras");
  CHECK(c->detect.match.save && c->detect.match.base64 == LK_DT_BASE64_FALSE);
  CHECK(c->detect.match.confidence == 60 && c->detect.match.purge == 168);
  CHECK(c->detect.match.min_area == 10000);
  CHECK(c->detect.unknown.save && c->detect.unknown.confidence == 40);
  CHECK(c->detect.unknown.purge == 8 && c->detect.unknown.min_area == 0);
  CHECK(!c->frigate.present && !c->frigate.enabled && !c->frigate.url.n);
  CHECK(!c->frigate.update_sub_labels && c->frigate.stop_on_match);
  CHECK(c->frigate.min_area == 0);
  CHECK_STRS(c->frigate.labels, "person");
  CHECK(c->frigate.attempts.latest == 10);
  CHECK(c->frigate.attempts.snapshot == 10);
  CHECK(c->frigate.attempts.mqtt && c->frigate.attempts.delay == 0);
  CHECK(c->frigate.image.height == 500 && !c->frigate.image.latest);
  CHECK(!c->frigate.cameras.n && !c->frigate.zones.n && !c->frigate.n_events);
  CHECK(c->frigate.device_tracker_timeout == 30);
  CHECK(!c->n_cameras);
  for(i = 0; i < LK_DT_LIKENESS; i++)
    CHECK(!c->detectors[i].present && !c->detectors[i].enabled);
  CHECK(c->detectors[LK_DT_LIKENESS].present);
  CHECK(c->detectors[LK_DT_LIKENESS].enabled);
  CHECK(c->opencv.scale_factor == 1.05 && c->opencv.min_neighbors == 4.5);
  CHECK(c->opencv.min_size_width == 30 && c->opencv.min_size_height == 30);
  CHECK(!c->schedule.n && !c->notify.present && !c->notify.only_unknown);
  CHECK_STRS(c->notify.types, "snapshot", "latest", "mqtt", "frigate",
             "manual");
  CHECK(!c->notify.gotify.present && !c->notify.telegram.present);
  CHECK(!c->time.format);
  CHECK_STR(c->time.timezone, "UTC");
  CHECK(c->logs.level == LK_DT_LOG_INFO && !c->logs.sql);
  CHECK_STR(c->ui.path, "");
  CHECK_STR(c->ui.theme, "bootstrap4-dark-blue");
  CHECK_STR(c->ui.editor_theme, "nord_dark");
  CHECK(c->ui.pagination_limit == 50 && c->ui.thumbnails_quality == 95);
  CHECK(c->ui.thumbnails_width == 500 && c->ui.logs_lines == 500);
}

static void test_defaults(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config cfg;
  CHECK_MSG(load_path(NULL, NULL, NULL, a, &cfg, NULL) == LK_OK, "%s", why);
  check_defaults(&cfg);
  CHECK_MSG(load_text("# nothing\n", NULL, a, &cfg) == LK_OK, "%s", why);
  check_defaults(&cfg);
  /* a key left empty keeps its default, as config.js's customizer does */
  CHECK_MSG(load_text("frigate:\n  attempts:\n    latest:\n  labels: ~\n"
                      "detect:\n  match:\n", NULL, a, &cfg) == LK_OK, "%s",
            why);
  CHECK(cfg.frigate.present && cfg.frigate.attempts.latest == 10);
  CHECK_STRS(cfg.frigate.labels, "person");
  CHECK(cfg.detect.match.confidence == 60);
  lk_arena_destroy(a);
}

/* --- Double Take's own examples ------------------------------------------ */

static void test_readme_examples(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  const struct lk_dt_detector *d = &c.detectors[LK_DT_COMPREFACE];

  CHECK_MSG(load_data("readme-frigate.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  CHECK(c.mqtt.present && c.mqtt.enabled && c.mqtt.port == 1883);
  CHECK_STR(c.mqtt.host, "localhost");
  CHECK_STR(c.mqtt.hostname, "localhost");
  CHECK(c.frigate.present && c.frigate.enabled && !c.frigate.url.list);
  CHECK_STRS(c.frigate.url, "http://localhost:5000");

  /* !secret from secrets.yml beside the file; a URL without a scheme */
  CHECK_MSG(load_data("readme-secrets.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  CHECK_STR(c.mqtt.username, "mqtt");
  CHECK_STR(c.mqtt.password, "s3cret-mqtt");
  CHECK(d->present && d->enabled && d->timeout == 15);
  CHECK_STR(d->url, "http://localhost:8000");
  CHECK_STR(d->key, "00000000-1111-2222-3333-444444444444");
  CHECK(d->det_prob_threshold == 0.8 && !d->opencv_face_required);
  CHECK(c.detectors[LK_DT_LIKENESS].enabled && !c.detectors[1].present);

  CHECK_MSG(load_data("readme-notify.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  CHECK(c.notify.present && c.notify.gotify.present);
  CHECK_STR(c.notify.gotify.url, "http://localhost:8080");
  CHECK(!c.notify.gotify.token && c.notify.gotify.priority == 5);
  CHECK(!c.notify.telegram.present);

  /* published with blanks to fill in: the first one needed is named */
  CHECK(load_data("fork-telegram.yml", NULL, a, &c, NULL) == LK_ERR_INVAL);
  CHECK_STR(why, "fork-telegram.yml:5: notify.telegram.token: missing "
            "(required in notify.telegram)");
  CHECK(load_data("readme-defaults.yml", NULL, a, &c, NULL) == LK_ERR_INVAL);
  CHECK_STR(why, "readme-defaults.yml:181: detectors.compreface.url: "
            "missing (required in detectors.compreface)");
  lk_arena_destroy(a);
}

static void check_reference_cameras(const struct lk_dt_config *c)
{
  const struct lk_dt_camera *cam = &c->cameras[0];
  const struct lk_dt_frigate_event *ev = &c->frigate.events[0];
  CHECK(c->n_cameras == 1 && c->frigate.n_events == 1);
  if(c->n_cameras != 1 || c->frigate.n_events != 1)
    return;
  CHECK_STR(cam->name, "front-door");
  CHECK(cam->line == 77);
  CHECK(cam->masks.coordinates.n == 1 && cam->masks.coordinates.list);
  CHECK(cam->masks.coordinates.v[0].n == 4);
  CHECK(cam->masks.coordinates.v[0].p[1].x == 1920);
  CHECK(cam->masks.coordinates.v[0].p[1].y == 328);
  CHECK(cam->masks.coordinates.v[0].p[3].x == 1646);
  CHECK(cam->masks.visible && cam->masks.size.width == 1920);
  CHECK(cam->masks.size.height == 1080);
  CHECK(cam->match.confidence == 90 && cam->unknown.base64 ==
        LK_DT_BASE64_BOX && cam->unknown.min_area == 10);
  CHECK_STR(cam->snapshot.topic, "kitchen/camera/snapshot");
  CHECK_STR(cam->snapshot.url, "http://camera-url.com/front.jpg");
  CHECK_STR(ev->camera, "front-door");
  CHECK(ev->attempts.latest == 2 && ev->attempts.snapshot == 3);
  CHECK(ev->attempts.mqtt && ev->attempts.delay == 1);
  CHECK(ev->image.height == 1000);
  CHECK_STR(ev->image.latest, "http://camera-url.com/image.jpg");
}

static void check_reference_detectors(const struct lk_dt_config *c)
{
  const struct lk_dt_detector *d = c->detectors;
  CHECK_STR(d[LK_DT_COMPREFACE].url, "http://compreface.lan:8000");
  CHECK(d[LK_DT_COMPREFACE].timeout == 10);
  CHECK(d[LK_DT_COMPREFACE].det_prob_threshold == 0.9);
  CHECK(d[LK_DT_COMPREFACE].opencv_face_required);
  CHECK_STR(d[LK_DT_COMPREFACE].face_plugins, "mask,gender,age");
  CHECK_STRS(d[LK_DT_COMPREFACE].cameras, "front-door", "garage");
  CHECK_STR(d[LK_DT_REKOGNITION].aws_access_key_id, "AKIAEXAMPLE");
  CHECK_STR(d[LK_DT_REKOGNITION].aws_region, "eu-west-1");
  CHECK_STR(d[LK_DT_REKOGNITION].collection_id, "house");
  CHECK(!d[LK_DT_REKOGNITION].opencv_face_required);
  CHECK_STR(d[LK_DT_DEEPSTACK].key, "deepstack-key");
  CHECK(d[LK_DT_DEEPSTACK].timeout == 20);
  CHECK_STR(d[LK_DT_FACEBOX].url, "http://facebox.lan:8080");
  CHECK(d[LK_DT_FACEBOX].enabled && !d[LK_DT_AISERVER].present);
  CHECK(d[LK_DT_LIKENESS].enabled);
}

static void test_reference(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  CHECK_MSG(load_data("readme-reference.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  CHECK(c.auth && !c.telemetry && c.token.image.seconds == 43200);
  CHECK_STR(c.mqtt.hostname, "192.168.1.10");
  CHECK(c.mqtt.port == 1884 && c.mqtt.tls.reject_unauthorized);
  CHECK_STR(c.mqtt.password, "s3cret-mqtt");
  CHECK_STR(c.mqtt.client_id, "double-take-test");
  CHECK_STR(c.mqtt.tls.ca, "/certs/ca.crt");
  CHECK_STR(c.mqtt.topics.homeassistant, "ha");
  CHECK_STR(c.mqtt.topics.cameras, "dt/cameras");
  CHECK(!c.detect.match.save && c.detect.match.base64 == LK_DT_BASE64_BOX);
  CHECK(c.detect.match.confidence == 75.5 && c.detect.match.purge == 24);
  CHECK(c.detect.unknown.base64 == LK_DT_BASE64_TRUE);
  CHECK(c.detect.unknown.min_area == 100 && c.detect.unknown.purge == 2);
  CHECK(c.frigate.update_sub_labels && !c.frigate.stop_on_match);
  CHECK(c.frigate.min_area == 20000);
  CHECK_STRS(c.frigate.labels, "person", "face");
  CHECK(c.frigate.attempts.latest == 5 && c.frigate.attempts.snapshot == 7);
  CHECK(!c.frigate.attempts.mqtt && c.frigate.attempts.delay == 0.5);
  CHECK(c.frigate.image.height == 800);
  CHECK_STRS(c.frigate.cameras, "front-door", "garage");
  CHECK(c.frigate.zones.n == 1);
  CHECK_STR(c.frigate.zones.v[0].camera, "garage");
  CHECK_STR(c.frigate.zones.v[0].zone, "driveway");
  check_reference_cameras(&c);
  check_reference_detectors(&c);
  CHECK(c.opencv.scale_factor == 1.1 && c.opencv.min_size_height == 50);
  CHECK(c.schedule.n == 2);
  if(c.schedule.n == 2) {
    CHECK_STRS(c.schedule.v[1].times, "13:00-15:00", "18:00-20:00");
    CHECK_STRS(c.schedule.v[0].cameras, "office");
  }
  CHECK(c.notify.gotify.priority == 7 && c.notify.gotify.zones.n == 1);
  CHECK_STR(c.time.format, "yyyy-MM-dd HH:mm");
  CHECK_STR(c.time.timezone, "America/Detroit");
  CHECK(c.logs.level == LK_DT_LOG_VERBOSE);
  CHECK_STR(c.ui.path, "/double-take");
  CHECK(c.ui.pagination_limit == 20 && c.ui.thumbnails_quality == 80);
  CHECK(c.ui.thumbnails_width == 300 && c.ui.logs_lines == 100);
  lk_arena_destroy(a);
}

static void test_fork(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  CHECK_MSG(load_data("fork-reference.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  /* user/pass are username/password's other spelling */
  CHECK_STR(c.mqtt.username, "frigate");
  CHECK_STR(c.mqtt.password, "s3cret-mqtt");
  CHECK_STR(c.mqtt.protocol, "mqtts");
  CHECK(c.mqtt.port == 8883);
  CHECK(c.frigate.url.n == 2 && c.frigate.url.list);
  CHECK_STR(c.frigate.url.v[1], "http://frigate-b.lan:5000");
  CHECK(c.mqtt.topics.frigate.n == 2);
  CHECK(c.frigate.device_tracker_timeout == 15);
  CHECK(c.detectors[LK_DT_AISERVER].enabled);
  CHECK(c.detectors[LK_DT_AISERVER].timeout == 30);
  CHECK(c.notify.only_unknown && c.notify.telegram.present);
  CHECK_STRS(c.notify.types, "snapshot", "mqtt");
  CHECK_STR(c.notify.telegram.chat_id, "12345678");
  CHECK_STR(c.notify.telegram.token, "123456:ABC-DEF");
  CHECK(c.n_cameras == 1 && c.cameras[0].snapshot.crop);
  CHECK(c.logs.level == LK_DT_LOG_DEBUG && c.logs.sql && !c.telemetry);
  lk_arena_destroy(a);
}

/* --- one camera ---------------------------------------------------------- */

static const char *const views =
  "detect:\n"
  "  match:\n"
  "    confidence: 70\n"
  "    min_area: 5000\n"
  "  unknown:\n"
  "    confidence: 30\n"
  "frigate:\n"
  "  url: http://frigate:5000\n"
  "  attempts:\n"
  "    latest: 4\n"
  "    delay: 2\n"
  "  image:\n"
  "    height: 600\n"
  "  events:\n"
  "    garage:\n"
  "      attempts:\n"
  "        latest: 1\n"
  "      image:\n"
  "        snapshot: http://cam/snap.jpg\n"
  "cameras:\n"
  "  garage:\n"
  "    detect:\n"
  "      match:\n"
  "        confidence: 90\n"
  "      unknown:\n"
  "        save: false\n"
  "  porch:\n";

static void test_camera_view(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  struct lk_dt_camera_view v;

  CHECK_MSG(load_text(views, NULL, a, &c) == LK_OK, "%s", why);
  lk_dt_config_camera(&c, "garage", &v);
  CHECK_STR(v.name, "garage");
  CHECK(v.camera == &c.cameras[0]);
  CHECK(v.match.confidence == 90 && v.match.min_area == 5000);
  CHECK(v.match.purge == 168 && v.match.save);       /* global */
  CHECK(v.unknown.confidence == 30 && !v.unknown.save);
  CHECK(v.attempts.latest == 1 && v.attempts.snapshot == 10);
  CHECK(v.attempts.delay == 2 && v.attempts.mqtt);
  CHECK(v.image.height == 600 && !v.image.latest);
  CHECK_STR(v.image.snapshot, "http://cam/snap.jpg");
  /* the global values did not move */
  CHECK(c.detect.match.confidence == 70 && c.frigate.attempts.latest == 4);

  lk_dt_config_camera(&c, "porch", &v);       /* "porch:" sets nothing */
  CHECK(v.camera == &c.cameras[1] && v.match.confidence == 70);
  CHECK(v.attempts.latest == 4 && !v.image.snapshot);
  lk_dt_config_camera(&c, "Garage", &v);      /* names match exactly */
  CHECK(!v.camera && v.match.confidence == 70 && v.attempts.latest == 4);
  lk_arena_destroy(a);
}

static void test_schedule(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;

  CHECK_MSG(load_data("readme-reference.yml", NULL, a, &c, NULL) == LK_OK,
            "%s", why);
  /* monday, tuesday 20:00-23:59 office; tuesday, wednesday 13:00-15:00 and
   * 18:00-20:00 living-room */
  CHECK(lk_dt_config_disabled(&c, "office", 0, 20 * 60));
  CHECK(lk_dt_config_disabled(&c, "office", 1, 23 * 60 + 58));
  CHECK(!lk_dt_config_disabled(&c, "office", 1, 23 * 60 + 59));  /* end */
  CHECK(!lk_dt_config_disabled(&c, "office", 0, 19 * 60 + 59));
  CHECK(!lk_dt_config_disabled(&c, "office", 2, 21 * 60));
  CHECK(!lk_dt_config_disabled(&c, "living-room", 0, 21 * 60));
  CHECK(lk_dt_config_disabled(&c, "living-room", 2, 14 * 60));
  CHECK(lk_dt_config_disabled(&c, "living-room", 1, 19 * 60));
  CHECK(!lk_dt_config_disabled(&c, "living-room", 1, 16 * 60));
  CHECK(!lk_dt_config_disabled(&c, "office", 7, 20 * 60));
  CHECK(!lk_dt_config_disabled(&c, "office", -1, 20 * 60));
  lk_arena_destroy(a);
}

/* --- memory -------------------------------------------------------------- */

static void sink(void *ctx, const char *line)
{
  (*(size_t *)ctx) += strlen(line) > 0;
}

/* Everything a server does with a config at start; LK_OK or the first
 * error. */
static lk_err load_all(const char *path)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_conf_node *root = NULL;
  struct lk_dt_config c;
  size_t lines = 0;
  cJSON *j = NULL;
  lk_err err = a ? lk_conf_load(path, a, &root, why) : LK_ERR_NOMEM;
  if(!err)
    err = lk_dt_config_load_env(root, "x.yml", env_get, NULL, a, &c, why);
  if(!err)
    err = (j = lk_dt_config_json(&c, 1)) ? LK_OK : LK_ERR_NOMEM;
  if(!err)
    err = lk_dt_config_lines(&c, sink, &lines);
  cJSON_Delete(j);
  lk_arena_destroy(a);
  return err;
}

static void test_out_of_memory(void)
{
  const char *path = DATA "readme-reference.yml";
  size_t before = lk_mem_in_use();
  long n, failed = 0;
  lk_err err = LK_ERR_NOMEM;

  for(n = 1; n < 100000 && err; n++) {
    lk_mem_fail_after(n);
    err = load_all(path);
    lk_mem_fail_after(0);
    CHECK_MSG(!err || err == LK_ERR_NOMEM, "allocation %ld: %d (%s)", n,
              (int)err, why);
    CHECK_MSG(lk_mem_in_use() == before, "allocation %ld: %zu bytes left",
              n, lk_mem_in_use() - before);
    failed += err != LK_OK;
  }
  CHECK_MSG(!err && failed > 10, "%ld runs failed, the last with %d",
            failed, (int)err);
  CHECK(load_all(path) == LK_OK);
}

int main(void)
{
  dt_test_begin();
  RUN(test_defaults);
  RUN(test_readme_examples);
  RUN(test_reference);
  RUN(test_fork);
  RUN(test_camera_view);
  RUN(test_schedule);
  RUN(test_out_of_memory);
  return dt_test_end();
}
