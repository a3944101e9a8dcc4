/* cli_serve.c - likeness serve: the HTTP server on the gallery in DATA.
 *
 * The engine runs one request per core (each call single-threaded, at most
 * one heavy request per online CPU at once, a bounded queue behind them,
 * 503 past it): the layout that gives the most requests per second.
 * SIGTERM or SIGINT drains the requests in flight and exits 0. */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "cli.h"
#include "dt/dt_api.h"
#include "dt/dt_matches.h"
#include "dt/dt_service.h"
#include "dt/dt_train.h"
#include "fetch/fetch.h"
#include "http/api.h"

#define CLI_SERVE_DRAIN_MS 10000

static lk_err cli_healthz(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  cJSON *o = cJSON_CreateObject();
  char host[256] = "";
  (void)req;
  (void)ctx;
  /* Home Assistant's machinebox check reads "hostname" from the health
   * answer of a Facebox it talks to */
  if(gethostname(host, sizeof host - 1))
    host[0] = '\0';
  if(o && (!cJSON_AddStringToObject(o, "status", "ok") ||
           !cJSON_AddStringToObject(o, "hostname", host))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return lk_http_resp_json(resp, 200, o);
}

/* A folder with owner-only access; an existing folder is fine. */
static int cli_serve_mkdir(const struct cli_ctx *c, const char *dir)
{
  struct stat sb;
  if(mkdir(dir, 0700) && errno != EEXIST) {
    cli_error(c, "cannot create the data folder '%s': %s", dir,
              strerror(errno));
    return CLI_EXIT_FAIL;
  }
  if(stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
    cli_error(c, "'%s' is not a folder", dir);
    return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
}

/* DATA and DATA/images (the registered faces' source images). */
static int cli_serve_data_dir(const struct cli_ctx *c, char *images,
                              size_t size)
{
  if(snprintf(images, size, "%s/images", c->data_dir) >= (int)size)
    return cli_usage_error(c, "--data path too long");
  if(cli_serve_mkdir(c, c->data_dir))
    return CLI_EXIT_FAIL;
  return cli_serve_mkdir(c, images);
}

struct cli_server {
  char images[4096];
  struct lk_dt_config dt_cfg;         /* Double Take's keys (and env) */
  struct lk_dt_service *dt;           /* events: MQTT, Frigate, /api */
  struct lk_dt_matches *matches;      /* its kept images, DATA/matches */
  struct lk_dt_train *train;          /* its training folders, DATA/train */
  struct lk_dt_api dt_api;            /* Double Take's REST API */
  struct lk_arena *conf;          /* config values live here */
  struct lk_fetch_policy fetch;
  struct lk_store *store;
  struct lk_pipeline *pipe;
  struct lk_api_config api_cfg;
  struct lk_api api;
  struct lk_http_route routes[4 * LK_API_MAX_ROUTES];
  size_t n_routes;
  struct lk_http_server *http;
};

typedef size_t (*cli_routes_fn)(struct lk_api *, struct lk_http_route *,
                                size_t);

/* /healthz, then every API's routes into one table, Double Take's
 * last. */
static int cli_serve_routes(struct cli_ctx *c, struct cli_server *s)
{
  static const cli_routes_fn apis[] = {
    lk_api_deepstack_routes, lk_api_seed_routes, lk_api_compreface_routes,
    lk_api_native_routes, lk_api_facebox_routes,
  };
  size_t i, max = sizeof s->routes / sizeof s->routes[0], n;
  s->routes[0].method = "GET";
  s->routes[0].pattern = "/healthz";
  s->routes[0].handler = cli_healthz;
  s->n_routes = 1;
  for(i = 0; i < sizeof apis / sizeof apis[0]; i++) {
    n = apis[i](&s->api, s->routes + s->n_routes, max - s->n_routes);
    if(!n) {               /* a table too small: a build mistake */
      cli_error(c, "the route table is full");
      return CLI_EXIT_FAIL;
    }
    s->n_routes += n;
  }
  n = lk_dt_api_routes(&s->dt_api, s->conf, s->routes + s->n_routes,
                       max - s->n_routes);
  if(!n) {
    cli_error(c, "the route table is full");
    return CLI_EXIT_FAIL;
  }
  s->n_routes += n;
  return CLI_EXIT_OK;
}

static int cli_serve_open(struct cli_ctx *c, struct cli_server *s)
{
  struct lk_store_opts so = lk_store_default_opts();
  struct lk_pipeline_config pc = lk_pipeline_default_config();
  char path[4096], why[LK_STORE_ERRMAX] = "";
  long swept;
  lk_err err;

  if(snprintf(path, sizeof path, "%s/likeness.db", c->data_dir) >=
     (int)sizeof path)
    return cli_usage_error(c, "--data path too long");
  err = lk_store_open(&s->store, path, &so, why);
  if(err) {
    cli_error(c, "cannot open the gallery %s: %s", path,
              why[0] ? why : lk_strerror(err));
    return CLI_EXIT_FAIL;
  }
  pc.face = c->face;
  pc.image = c->image;
  pc.image_dir = s->images;
  pc.calib_center = c->match_distance;
  if(lk_pipeline_create(&s->pipe, c->eng, s->store, &pc)) {
    cli_error(c, "cannot set up the pipeline");
    return CLI_EXIT_FAIL;
  }
  /* images a crash left behind a delete */
  swept = lk_pipeline_image_sweep(s->pipe);
  if(swept < 0)
    lk_log(LK_LOG_WARN, "serve", "cannot read %s", s->images);
  else if(swept > 0)
    lk_log(LK_LOG_INFO, "serve", "removed %ld images of deleted faces "
           "from %s", swept, s->images);
  s->fetch = lk_fetch_default_policy();
  s->fetch.allow_private = c->allow_private_urls;
  s->api_cfg.fetch = &s->fetch;
  s->api_cfg.deepstack_api_key = c->api_key;
  s->api_cfg.compreface_recognition_key = c->cf_recognition_key;
  s->api_cfg.compreface_detection_key = c->cf_detection_key;
  s->api_cfg.compreface_verification_key = c->cf_verification_key;
  s->api_cfg.native_api_key = c->native_key;
  s->api_cfg.facebox_user = c->facebox_user;
  s->api_cfg.facebox_password = c->facebox_password;
  s->api.pipe = s->pipe;
  s->api.cfg = &s->api_cfg;
  return CLI_EXIT_OK;
}

/* An unrouted request's error in its API's shape, by path prefix;
 * DeepStack's for the rest (its clients read "error" from any answer). */
static lk_err cli_serve_error(struct lk_http_req *req,
                              struct lk_http_resp *resp, int status,
                              const char *message, void *ctx)
{
  static const struct {
    const char *prefix;
    lk_http_error_fn fn;
  } shapes[] = {
    { "/api/v1/recognition/", lk_api_compreface_error },
    { "/api/v1/detection/", lk_api_compreface_error },
    { "/api/v1/verification/", lk_api_compreface_error },
    { "/api/v1/static/", lk_api_compreface_error },
    { "/api/v1/", lk_api_native_error },
    { "/facebox/", lk_api_facebox_error },
    { "/info", lk_api_facebox_error },
    { "/face", lk_api_seed_error },
    { "/api/", lk_dt_api_error },
  };
  const char *path = lk_http_req_path(req);
  size_t i;
  for(i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    if(!strncmp(path, shapes[i].prefix, strlen(shapes[i].prefix)))
      return shapes[i].fn(req, resp, status, message, ctx);
  }
  if(strstr(path, "/api/"))          /* Double Take's under ui.path */
    return lk_dt_api_error(req, resp, status, message, ctx);
  return lk_api_deepstack_error(req, resp, status, message, ctx);
}

static int cli_serve_slots(const struct cli_ctx *c)
{
  return c->slots > 0 ? c->slots : cli_online_cpus();
}

static int cli_serve_start(struct cli_ctx *c, struct cli_server *s)
{
  struct lk_http_config hc = lk_http_config_default();
  char why[LK_HTTP_ERRMAX] = "";
  lk_err err;

  hc.bind = c->bind;
  hc.port = (unsigned)c->port;
  hc.heavy_max = (unsigned)cli_serve_slots(c);
  hc.heavy_queue = (unsigned)c->queue;
  /* room for every slot and queued request, and light routes beside */
  if(hc.max_connections < hc.heavy_max + hc.heavy_queue + 16)
    hc.max_connections = hc.heavy_max + hc.heavy_queue + 16;
  hc.max_body = (size_t)c->max_body_mb << 20;
  hc.cors_origin = c->cors_origin;
  /* errors without a route (404, 405) in the shape of the API the path
   * belongs to */
  hc.on_error = cli_serve_error;
  err = lk_http_server_create(&s->http, &hc, s->routes, s->n_routes);
  if(!err)
    err = lk_http_server_start(s->http, why);
  if(err) {
    cli_error(c, "cannot start the server on %s port %d: %s", c->bind,
              c->port, why[0] ? why : lk_strerror(err));
    return CLI_EXIT_FAIL;
  }
  lk_log(LK_LOG_INFO, "serve", "listening on %s port %u (data %s, %d "
         "inference slots, %d queued at most)", c->bind,
         lk_http_server_port(s->http), c->data_dir, cli_serve_slots(c),
         c->queue);
  printf("listening on port %u\n", lk_http_server_port(s->http));
  fflush(stdout);
  return CLI_EXIT_OK;
}

/* Every slot's runtimes now, not during the first requests. Faces take
 * about a tenth of a request (SSD the rest), so two slots share one
 * landmark + descriptor set: 33 MB less, a few ms of waiting at worst. */
static int cli_serve_prewarm(struct cli_ctx *c)
{
  char why[LK_FACE_ERRMAX] = "";
  lk_face_engine_max_workers(c->eng, (cli_serve_slots(c) + 1) / 2);
  if(lk_face_engine_prewarm(c->eng, cli_serve_slots(c), &c->face, why)) {
    cli_error(c, "%s", why);
    return CLI_EXIT_FAIL;
  }
#ifdef __GLIBC__
  malloc_trim(0);     /* the graph-building scratch, several MB per slot */
#endif
  return CLI_EXIT_OK;
}

/* Images a crash left without their row. */
static void cli_serve_sweep(struct lk_dt_matches *m)
{
  long n = 0;
  if(lk_dt_matches_sweep(m, &n))
    lk_log(LK_LOG_WARN, "serve", "cannot sweep the Double Take images");
  else if(n > 0)
    lk_log(LK_LOG_INFO, "serve", "removed %ld Double Take images without "
           "a row", n);
}

/* Double Take's training folders; their queue resumes where it was. */
static int cli_serve_train(struct cli_ctx *c, struct cli_server *s)
{
  struct lk_dt_train_opts o = lk_dt_train_default_opts();
  char why[LK_DT_TRAIN_ERRMAX] = "";
  o.cfg = &s->dt_cfg;
  o.pipe = s->pipe;
  if(lk_dt_train_open(&s->train, c->data_dir, &o, why)) {
    cli_error(c, "%s", why[0] ? why : "cannot open DATA/train");
    return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
}

/* Double Take's side: its REST API always; MQTT and Frigate's events
 * when the config (or MQTT_HOST, FRIGATE_URL, ...) sets them up
 * (docs/doubletake.md). */
static int cli_serve_dt(struct cli_ctx *c, struct cli_server *s)
{
  struct lk_dt_service_opts o = lk_dt_service_default_opts();
  char why[LK_CONF_ERRMAX] = "";
  if(lk_dt_config_load(c->conf_root, c->config, s->conf, &s->dt_cfg, why)) {
    cli_error(c, "%s", why);
    return CLI_EXIT_USAGE;
  }
  if(s->dt_cfg.mqtt.enabled || s->dt_cfg.frigate.enabled)
    lk_dt_config_log(&s->dt_cfg);
  if(lk_dt_matches_open(&s->matches, c->data_dir, NULL, why)) {
    cli_error(c, "%s", why);
    return CLI_EXIT_FAIL;
  }
  cli_serve_sweep(s->matches);
  if(cli_serve_train(c, s))
    return CLI_EXIT_FAIL;
  o.cfg = &s->dt_cfg;
  o.pipe = s->pipe;
  o.save = lk_dt_save_to_store;
  o.save_ctx = s->matches;
  if(lk_dt_service_create(&s->dt, &o, why) ||
     lk_dt_service_start(s->dt, why)) {
    cli_error(c, "Double Take: %s", why[0] ? why : "cannot start");
    return CLI_EXIT_FAIL;
  }
  s->dt_api.cfg = &s->dt_cfg;
  s->dt_api.svc = s->dt;
  s->dt_api.matches = s->matches;
  s->dt_api.train = s->train;
  s->dt_api.pipe = s->pipe;
  s->dt_api.fetch = &s->fetch;
  return CLI_EXIT_OK;
}

/* Wait for SIGTERM or SIGINT; meanwhile, once a minute, purge the kept
 * Double Take images past detect.match.purge / detect.unknown.purge
 * hours, as Double Take does. */
static int cli_serve_wait(struct cli_server *s, const sigset_t *set)
{
  struct timespec minute = { 60, 0 };
  int sig;
  while((sig = sigtimedwait(set, NULL, &minute)) < 0) {
    long n = 0;
    if(errno != EAGAIN && errno != EINTR)
      return SIGTERM;
    if(!s->matches)
      continue;
    lk_dt_matches_purge(s->matches, s->dt_cfg.detect.match.purge,
                        s->dt_cfg.detect.unknown.purge, &n);
    if(n > 0)
      lk_log(LK_LOG_INFO, "serve", "purged %ld old Double Take images", n);
  }
  return sig;
}

static int cli_serve_run(struct cli_ctx *c)
{
  struct cli_server s;
  sigset_t set;
  int rc, sig = 0;

  memset(&s, 0, sizeof s);
  lk_log_set_level(LK_LOG_INFO);   /* a server logs every request */
#ifdef __GLIBC__
  /* Request buffers (bodies, decoded images) come and go by the MB on
   * many threads. glibc's default raises its mmap threshold as such
   * blocks are freed, after which they come from per-thread heaps that
   * keep their pages: RSS under 16 clients grew ~45 MB past idle. A
   * fixed threshold returns every large block to the system on free. */
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  s.conf = lk_arena_create((size_t)16 << 20);
  if(!s.conf)
    return CLI_EXIT_FAIL;
  /* server threads inherit this mask; the main thread waits for them */
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  rc = cli_config_apply(c, s.conf);
  if(!rc)
    rc = cli_serve_data_dir(c, s.images, sizeof s.images);
  if(!rc)
    rc = cli_engine_open(c, 1);
  if(!rc)
    rc = cli_serve_prewarm(c);
  if(!rc)
    rc = cli_serve_open(c, &s);
  if(!rc)
    rc = cli_serve_dt(c, &s);
  if(!rc)
    rc = cli_serve_routes(c, &s);
  if(!rc)
    rc = cli_serve_start(c, &s);
  if(!rc) {
    sig = cli_serve_wait(&s, &set);
    lk_log(LK_LOG_INFO, "serve", "signal %d: draining", sig);
    if(lk_http_server_stop(s.http, CLI_SERVE_DRAIN_MS) == LK_ERR_BUSY)
      lk_log(LK_LOG_WARN, "serve", "requests still running at the "
             "drain deadline");
  }
  lk_http_server_destroy(s.http);
  lk_dt_service_destroy(s.dt);        /* drains its events first */
  lk_dt_train_close(s.train);         /* finishes the photo in hand */
  lk_dt_matches_close(s.matches);
  lk_pipeline_destroy(s.pipe);
  lk_store_close(s.store);
  lk_arena_destroy(s.conf);
  return rc;
}

static const char *const cli_serve_opts[] = {
  "--port", "--bind", "--data", "--config", "--log-level", "--slots",
  "--queue", "--max-body-mb", "--cors-origin", "--allow-private-urls",
  "--api-key", "--compreface-recognition-key", "--compreface-detection-key",
  "--compreface-verification-key", "--facebox-user", "--facebox-password",
  "--native-key", "--match-distance", CLI_OPTS_FACE, CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_serve = {
  "serve", cli_serve_run, "[--port P] [--data DIR] [--config FILE] [options]",
  "the HTTP server: native, DeepStack, CompreFace, Facebox, face-sample "
  "and Double Take APIs",
  "Serve the face APIs over HTTP on the gallery kept in DIR/likeness.db\n"
  "(registered faces' images in DIR/images):\n"
  "  GET  /healthz                   {\"status\":\"ok\",\"hostname\":..} once\n"
  "                                  models are loaded\n"
  "  /api/v1/people, /faces, /recognize, /detect, /compare, /status\n"
  "                                  the native API (docs/api-native.md);\n"
  "                                  GET /openapi.json, GET /docs\n"
  "  POST /v1/vision/face[/recognize|/register|/list|/delete|/match]\n"
  "                                  DeepStack's face API (docs/api-deepstack.md)\n"
  "  /api/v1/recognition/..., /api/v1/detection/detect,\n"
  "  /api/v1/verification/verify     CompreFace's API (docs/api-compreface.md)\n"
  "  /facebox/check, /facebox/teach, ..., GET /info\n"
  "                                  Facebox's API (docs/api-facebox.md)\n"
  "  POST /face, GET /face, GET /faces/sync,\n"
  "  POST /face/{match,detect,update,delete}\n"
  "                                  face samples with offline sync\n"
  "                                  (docs/api-seed.md)\n"
  "  /api/recognize, /api/camera/<cam>, /api/match, /api/train, ...\n"
  "                                  Double Take's REST API (docs/dt-api.md);\n"
  "                                  with mqtt or frigate in the config, its\n"
  "                                  events and MQTT too (docs/doubletake.md)\n"
  "Settings come from the command line, LIKENESS_* variables and the YAML\n"
  "file of --config, in that order (docs/config.md); the effective ones are\n"
  "logged at start. One log line per request. At most one inference per\n"
  "CPU runs at once (--slots), a few more wait (--queue), the rest get 503\n"
  "with Retry-After. SIGTERM or SIGINT finishes the requests in flight (up\n"
  "to 10 s) and exits 0.",
  cli_serve_opts, 0, 0
};
