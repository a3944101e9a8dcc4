/* test_dt_service.c - Double Take in likeness, end to end: a real
 * mosquitto broker (started here), a fake Frigate (fake_frigate.h), the
 * real models and gallery. A Frigate event for a known person ends in
 * double-take/matches/<name> with Double Take's payload, the camera's
 * topics and person count, Home Assistant discovery, and a sub_label POST
 * to Frigate; a stranger goes to unknown; two cameras at once are both
 * processed; the count resets; a broker restart, Frigate errors and a
 * Frigate slower than the image timeout do not stop it; 100 events in a
 * burst are all accounted for. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "conf/conf.h"
#include "dt/dt_matches.h"
#include "dt/dt_service.h"
#include "fake_frigate.h"
#include "http/client.h"
#include "mqtt/broker.h"
#include "mqtt/mqtt.h"
#include "test.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define BIDEN1 LFW "Joseph_Biden/Joseph_Biden_0001.jpg"
#define BIDEN3 LFW "Joseph_Biden/Joseph_Biden_0003.jpg"
#define HALLE LFW "Halle_Berry/Halle_Berry_0002.jpg"

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store;
static struct lk_pipeline *pipe_;
static struct broker broker;
static struct lk_dt_matches *matches;
static struct fake_frigate frigate;
static char dir[] = "/tmp/lk_dtsvc_XXXXXX";

/* ---- what the observer saw on the broker ------------------------------ */

struct msg {
  char topic[160];
  char *payload;
  int retained;
};

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct msg seen[512];
static int n_seen;

static void observe(void *ctx, const char *topic, const void *payload,
                    size_t len, int retained)
{
  (void)ctx;
  pthread_mutex_lock(&seen_lock);
  if(n_seen < 512) {
    struct msg *m = &seen[n_seen++];
    snprintf(m->topic, sizeof m->topic, "%s", topic);
    m->payload = malloc(len + 1);
    if(m->payload) {
      memcpy(m->payload, payload, len);
      m->payload[len] = '\0';
    }
    m->retained = retained;
  }
  pthread_mutex_unlock(&seen_lock);
}

/* The payload of the first message on topic at or after *from (advanced
 * past it), waiting up to ms; NULL if none came. */
static const char *wait_topic(const char *topic, int *from, int ms)
{
  int t, i;
  for(t = 0; t < ms / 20; t++) {
    pthread_mutex_lock(&seen_lock);
    for(i = *from; i < n_seen; i++) {
      if(!strcmp(seen[i].topic, topic)) {
        const char *p = seen[i].payload;
        *from = i + 1;
        pthread_mutex_unlock(&seen_lock);
        return p ? p : "";
      }
    }
    pthread_mutex_unlock(&seen_lock);
    broker_sleep_ms(20);
  }
  return NULL;
}

static int count_topic(const char *topic)
{
  int i, n = 0;
  pthread_mutex_lock(&seen_lock);
  for(i = 0; i < n_seen; i++)
    n += !strcmp(seen[i].topic, topic);
  pthread_mutex_unlock(&seen_lock);
  return n;
}

/* ---- set-up ----------------------------------------------------------- */

static struct lk_mqtt *observer(void)
{
  struct lk_mqtt_config c = lk_mqtt_default_config();
  struct lk_mqtt *m = NULL;
  char why[LK_MQTT_ERRMAX];
  c.host = "127.0.0.1";
  c.port = broker.port;
  c.reconnect_max_s = 1;
  if(lk_mqtt_create(&m, &c, observe, NULL, NULL, why) ||
     lk_mqtt_subscribe(m, "double-take/#", 0) ||
     lk_mqtt_subscribe(m, "homeassistant/#", 0) ||
     lk_mqtt_start(m, why))
    return NULL;
  return m;
}

static int setup_gallery(void)
{
  struct lk_pipeline_config pc = lk_pipeline_default_config();
  struct lk_store_opts so = lk_store_default_opts();
  struct lk_arena *a = lk_arena_create(0);
  char why[512] = "", path[128];
  unsigned char *img;
  size_t len;
  int64_t id;
  lk_err err;

  if(!mkdtemp(dir))
    return -1;
  snprintf(path, sizeof path, "%s/likeness.db", dir);
  if(lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 1) ||
     lk_store_open(&store, path, &so, why) ||
     lk_pipeline_create(&pipe_, engine, store, &pc)) {
    fprintf(stderr, "set-up failed: %s\n", why);
    return -1;
  }
  img = client_slurp(BIDEN1, &len);
  err = lk_pipeline_register(pipe_, "Joe Biden", img, len, NULL, a, &id, why);
  free(img);
  lk_arena_destroy(a);
  return err ? -1 : 0;
}

static struct lk_arena *cfg_arena;
static struct lk_dt_config cfg;

/* A Double Take config.yml for this broker and this Frigate. */
static int load_config(void)
{
  struct lk_conf_node *root;
  char why[LK_CONF_ERRMAX], path[128];
  FILE *f;
  snprintf(path, sizeof path, "%s/config.yml", dir);
  if(!(f = fopen(path, "w")))
    return -1;
  fprintf(f,
    "mqtt:\n  host: 127.0.0.1:%d\n"
    "frigate:\n  url: %s\n  update_sub_labels: true\n"
    "  attempts:\n    latest: 2\n    snapshot: 2\n    mqtt: true\n"
    "  events:\n    slow:\n      attempts:\n        snapshot: 1\n"
    "        latest: 0\n"
    "detect:\n  match:\n    confidence: 60\n    min_area: 1000\n",
    broker.port, frigate.url);
  fclose(f);
  cfg_arena = lk_arena_create(0);
  if(lk_conf_load(path, cfg_arena, &root, why) ||
     lk_dt_config_load(root, path, cfg_arena, &cfg, why)) {
    fprintf(stderr, "config: %s\n", why);
    return -1;
  }
  return 0;
}

static struct lk_dt_service *start_service(int workers, int queue)
{
  struct lk_dt_service_opts o = lk_dt_service_default_opts();
  struct lk_dt_service *s = NULL;
  char why[LK_DT_SERVICE_ERRMAX] = "";
  o.cfg = &cfg;
  o.pipe = pipe_;
  o.save = lk_dt_save_to_store;
  o.save_ctx = matches;
  o.workers = workers;
  o.queue = queue;
  o.reset_s = 1;
  o.jitter_ms = 10;
  if(lk_dt_service_create(&s, &o, why) || lk_dt_service_start(s, why)) {
    fprintf(stderr, "service: %s\n", why);
    lk_dt_service_destroy(s);
    return NULL;
  }
  return s;
}

static void frigate_serves(const char *file)
{
  static unsigned char *img;
  size_t len;
  free(img);
  img = client_slurp(file, &len);
  pthread_mutex_lock(&frigate.lock);
  frigate.image = img;
  frigate.image_len = len;
  pthread_mutex_unlock(&frigate.lock);
}

static void publish_event(struct lk_mqtt *m, const char *type, const char *id,
                          const char *camera)
{
  char json[512];
  int n = snprintf(json, sizeof json,
                   "{\"type\":\"%s\",\"before\":{},\"after\":{\"id\":\"%s\","
                   "\"camera\":\"%s\",\"label\":\"person\",\"area\":40000,"
                   "\"current_zones\":[\"yard\"],\"has_snapshot\":true}}",
                   type, id, camera);
  CHECK(lk_mqtt_publish(m, "frigate/events", json, (size_t)n, 1, 0) ==
        LK_OK);
}

/* ---- tests ------------------------------------------------------------ */

static struct lk_mqtt *obs;
static struct lk_dt_service *svc;

static double lk_dt_test_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_known_person(void)
{
  const char *p;
  double t0;
  int at = 0, at2;
  frigate_serves(BIDEN3);
  /* online (retained) before any event */
  p = wait_topic("double-take/available", &at, 5000);
  CHECK(p && !strcmp(p, "online"));
  at = 0;
  t0 = lk_dt_test_now();
  publish_event(obs, "new", "1700000000.1-abc", "Front");
  p = wait_topic("double-take/matches/joe-biden", &at, 15000);
  CHECK_MSG(p != NULL, "no match published");
  /* for the record, not a check: timings belong to bench/ */
  printf("     event to double-take/matches: %.0f ms\n",
         (lk_dt_test_now() - t0) * 1000);
  if(p) {
    CHECK(strstr(p, "\"id\":\"1700000000.1-abc\"") != NULL);
    CHECK(strstr(p, "\"camera\":\"front\"") != NULL);  /* as DT: lower */
    CHECK(strstr(p, "\"zones\":[\"yard\"]") != NULL);
    CHECK(strstr(p, "\"name\":\"joe biden\"") != NULL);
    CHECK(strstr(p, "\"match\":true") != NULL);
    CHECK(strstr(p, "\"detector\":\"likeness\"") != NULL);
    CHECK(strstr(p, "\"type\":\"snapshot\"") != NULL);
  }
  at2 = 0;
  p = wait_topic("double-take/cameras/front/person", &at2, 5000);
  CHECK(p && !strcmp(p, "1"));
  at2 = 0;
  p = wait_topic("double-take/cameras/front", &at2, 5000);
  CHECK(p && strstr(p, "\"personCount\":1"));
  at2 = 0;
  p = wait_topic("homeassistant/sensor/double-take/joe-biden/config", &at2,
                 5000);
  CHECK_MSG(p && strstr(p, "\"unique_id\":\"double_take_joe_biden\"") &&
            strstr(p, "\"availability_topic\":\"double-take/available\""),
            "%s", p ? p : "no discovery config");
  /* Frigate got the name (sent after the MQTT messages) */
  for(at2 = 0; at2 < 250 && !frigate.n_sub_labels; at2++)
    broker_sleep_ms(20);
  pthread_mutex_lock(&frigate.lock);
  CHECK_MSG(frigate.n_sub_labels == 1 &&
            strstr(frigate.sub_labels[0], "1700000000.1-abc {\"subLabel\":"
                   "\"joe biden\""), "%d: %s", frigate.n_sub_labels,
            frigate.sub_labels[0]);
  pthread_mutex_unlock(&frigate.lock);
  /* the image was kept, with the latest annotated one of the name */
  {
    struct lk_arena *a = lk_arena_create(0);
    struct lk_dt_match_page page;
    const unsigned char *jpg;
    size_t len;
    char name[128];
    CHECK(lk_dt_matches_list(matches, NULL, 0, 1, 50, a, &page) == LK_OK);
    CHECK(page.n >= 1 && page.rows[0].has_match &&
          !strcmp(page.rows[0].event_id, "1700000000.1-abc"));
    CHECK(lk_dt_matches_latest_file(name, sizeof name, "joe biden") > 0);
    CHECK_MSG(lk_dt_matches_latest_read(matches, name, a, &jpg, &len) ==
              LK_OK && len > 1000, "%s", name);
    lk_arena_destroy(a);
  }
  /* and 1 s later the count goes back to 0 */
  at2 = 0;
  wait_topic("double-take/cameras/front/person", &at2, 100);
  p = wait_topic("double-take/cameras/front/person", &at2, 5000);
  CHECK(p && !strcmp(p, "0"));
}

static void test_stranger_and_two_cameras(void)
{
  const char *p;
  int at = n_seen;
  frigate_serves(HALLE);
  publish_event(obs, "new", "e-stranger", "back");
  publish_event(obs, "new", "e-other", "garage");
  p = wait_topic("double-take/matches/unknown", &at, 15000);
  CHECK(p && strstr(p, "\"unknown\":{\"name\":\"unknown\""));
  at = 0;
  CHECK(wait_topic("double-take/cameras/back", &at, 10000) != NULL);
  at = 0;
  CHECK(wait_topic("double-take/cameras/garage", &at, 10000) != NULL);
  CHECK(count_topic("double-take/matches/joe-biden") == 1);
}

static void test_skips(void)
{
  struct lk_arena *a = lk_arena_create(0);
  const char *r;
  struct lk_dt_service_stats before, after;
  lk_dt_service_stats(svc, &before);
  {
    static const char end[] = "{\"type\":\"end\",\"after\":{\"id\":\"x\","
                              "\"camera\":\"c\",\"label\":\"person\"}}";
    r = lk_dt_service_event(svc, end, strlen(end), 0, a);
  }
  CHECK(r && !strcmp(r, "x - skip processing on end events"));
  r = lk_dt_service_event(svc, "not json", 8, 0, a);
  CHECK(r != NULL);
  lk_dt_service_stats(svc, &after);
  CHECK(after.skipped == before.skipped + 2);
  lk_arena_destroy(a);
}

/* Frigate failing: the event ends, reported, and nothing crashes. */
static void test_frigate_errors(void)
{
  struct lk_dt_service_stats before, after;
  int t;
  lk_dt_service_stats(svc, &before);
  pthread_mutex_lock(&frigate.lock);
  frigate.status = 500;
  pthread_mutex_unlock(&frigate.lock);
  publish_event(obs, "new", "e-500", "front");
  for(t = 0; t < 200; t++) {
    lk_dt_service_stats(svc, &after);
    if(after.failed > before.failed)
      break;
    broker_sleep_ms(50);
  }
  CHECK(after.failed == before.failed + 1);
  pthread_mutex_lock(&frigate.lock);
  frigate.status = 0;
  pthread_mutex_unlock(&frigate.lock);
}

/* Frigate takes longer than Double Take's 5 s image timeout: the attempt
 * ends, the event fails, is counted, and says so on double-take/errors. */
static void test_frigate_timeout(void)
{
  struct lk_dt_service_stats before, after;
  const char *p;
  int t, at = n_seen;
  lk_dt_service_stats(svc, &before);
  pthread_mutex_lock(&frigate.lock);
  frigate.delay_ms = 5600;
  pthread_mutex_unlock(&frigate.lock);
  publish_event(obs, "new", "e-slow", "slow");    /* one snapshot, no latest */
  for(t = 0; t < 300; t++) {
    lk_dt_service_stats(svc, &after);
    if(after.failed > before.failed)
      break;
    broker_sleep_ms(50);
  }
  CHECK(after.failed == before.failed + 1);
  p = wait_topic("double-take/errors", &at, 2000);
  CHECK_MSG(p && strstr(p, "timed out"), "%s", p ? p : "no error message");
  pthread_mutex_lock(&frigate.lock);
  frigate.delay_ms = 0;
  pthread_mutex_unlock(&frigate.lock);
}

/* The broker goes away and comes back: the service reconnects and the
 * next event is processed. */
static void test_broker_restart(void)
{
  const char *p;
  int t, at;
  broker_stop(&broker, SIGKILL);
  broker_sleep_ms(300);
  CHECK(broker_start(&broker, NULL) == 0);
  for(t = 0; t < 200; t++) {
    struct lk_dt_service_stats st;
    lk_dt_service_stats(svc, &st);
    if(st.mqtt_connected && lk_mqtt_connected(obs))
      break;
    broker_sleep_ms(50);
  }
  frigate_serves(BIDEN3);
  at = n_seen;
  /* the service subscribes again after its reconnect: until that is
   * through, an event can pass it by, so it is sent again every 2 s */
  for(t = 0, p = NULL; t < 8 && !p; t++) {
    publish_event(obs, "new", "e-after-restart", "front");
    p = wait_topic("double-take/matches/joe-biden", &at, 2000);
  }
  CHECK(p && strstr(p, "e-after-restart"));
}

/* Frigate's frigate/<camera>/person/snapshot JPEGs: recognized as type
 * mqtt; the same picture again is skipped, and so is one over 20 MB. */
static void test_mqtt_snapshot(void)
{
  struct lk_dt_service_stats before, after;
  unsigned char *img, *big;
  const char *p;
  size_t len;
  int at = n_seen;

  broker_sleep_ms(5500);       /* past the window for retained images */
  lk_dt_service_stats(svc, &before);
  img = client_slurp(BIDEN3, &len);
  CHECK(lk_mqtt_publish(obs, "frigate/porch/person/snapshot", img, len, 0,
                        0) == LK_OK);
  p = wait_topic("double-take/matches/joe-biden", &at, 15000);
  CHECK(p && strstr(p, "\"type\":\"mqtt\"") &&
        strstr(p, "\"camera\":\"porch\""));
  CHECK(lk_mqtt_publish(obs, "frigate/porch/person/snapshot", img, len, 0,
                        0) == LK_OK);
  big = calloc(1, (20 << 20) + 1);
  CHECK(big && lk_mqtt_publish(obs, "frigate/porch/person/snapshot", big,
                               (20 << 20) + 1, 0, 0) == LK_OK);
  broker_sleep_ms(1500);
  lk_dt_service_stats(svc, &after);
  CHECK_MSG(after.received == before.received + 3 &&
            after.skipped == before.skipped + 2, "received %ld skipped %ld",
            after.received - before.received,
            after.skipped - before.skipped);
  free(big);
  free(img);
}

/* 100 events at once on 1 worker and 8 places: every one processed or
 * counted as dropped. */
static void test_burst(void)
{
  struct lk_dt_service *b;
  struct lk_dt_service_stats st;
  struct lk_arena *a = lk_arena_create(0);
  char json[256];
  int i, n, queued = 0;
  frigate_serves(BIDEN3);
  b = start_service(1, 8);
  CHECK(b != NULL);
  if(!b)
    return;
  for(i = 0; i < 100; i++) {
    n = snprintf(json, sizeof json, "{\"type\":\"new\",\"after\":{\"id\":"
                 "\"burst-%d\",\"camera\":\"c%d\",\"label\":\"person\"}}",
                 i, i % 4);
    queued += lk_dt_service_event(b, json, (size_t)n, 0, a) == NULL;
  }
  CHECK(queued == 100);
  for(i = 0; i < 600; i++) {
    lk_dt_service_stats(b, &st);
    if(st.processed + st.dropped >= 100)
      break;
    broker_sleep_ms(50);
  }
  CHECK_MSG(st.processed + st.dropped == 100 && st.dropped >= 80,
            "processed %ld dropped %ld", st.processed, st.dropped);
  lk_dt_service_destroy(b);
  lk_arena_destroy(a);
}

int main(void)
{
  size_t mem0;
  int rc;
  lk_log_set_level(LK_LOG_ERROR);
  signal(SIGPIPE, SIG_IGN);
  mem0 = lk_mem_in_use();
  if(setup_gallery() || lk_dt_matches_open(&matches, dir, NULL, NULL) ||
     broker_start(&broker, NULL) ||
     fake_frigate_start(&frigate) || load_config() || !(obs = observer()) ||
     !(svc = start_service(2, 16))) {
    broker_cleanup(&broker);
    return 1;
  }
  RUN(test_known_person);
  RUN(test_stranger_and_two_cameras);
  RUN(test_skips);
  RUN(test_frigate_errors);
  RUN(test_frigate_timeout);
  RUN(test_broker_restart);
  RUN(test_mqtt_snapshot);
  RUN(test_burst);
  lk_dt_service_destroy(svc);
  lk_dt_matches_close(matches);
  lk_mqtt_destroy(obs);
  fake_frigate_stop(&frigate);
  lk_arena_destroy(cfg_arena);
  lk_pipeline_destroy(pipe_);
  lk_store_close(store);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  broker_cleanup(&broker);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes left",
            lk_mem_in_use() - mem0);
  rc = test_report();
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if(system(cmd))
      rc = 1;
  }
  return rc;
}
