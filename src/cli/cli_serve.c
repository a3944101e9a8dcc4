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
  struct lk_arena *conf;          /* config values live here */
  struct lk_fetch_policy fetch;
  struct lk_store *store;
  struct lk_pipeline *pipe;
  struct lk_api_config api_cfg;
  struct lk_api api;
  struct lk_http_route routes[LK_API_MAX_ROUTES + 1];
  size_t n_routes;
  struct lk_http_server *http;
};

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
  s->api.pipe = s->pipe;
  s->api.cfg = &s->api_cfg;
  s->routes[0].method = "GET";
  s->routes[0].pattern = "/healthz";
  s->routes[0].handler = cli_healthz;
  s->n_routes = 1 + lk_api_deepstack_routes(&s->api, s->routes + 1,
                                            LK_API_MAX_ROUTES);
  s->n_routes += lk_api_seed_routes(&s->api, s->routes + s->n_routes,
                                    LK_API_MAX_ROUTES + 1 - s->n_routes);
  return CLI_EXIT_OK;
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
  /* errors without a route (404) in DeepStack's shape, the only API yet */
  hc.on_error = lk_api_deepstack_error;
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
    rc = cli_serve_start(c, &s);
  if(!rc) {
    sigwait(&set, &sig);
    lk_log(LK_LOG_INFO, "serve", "signal %d: draining", sig);
    if(lk_http_server_stop(s.http, CLI_SERVE_DRAIN_MS) == LK_ERR_BUSY)
      lk_log(LK_LOG_WARN, "serve", "requests still running at the "
             "drain deadline");
  }
  lk_http_server_destroy(s.http);
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
  "--native-key", CLI_OPTS_FACE, CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_serve = {
  "serve", cli_serve_run, "[--port P] [--data DIR] [options]",
  "the HTTP server: health check, DeepStack and face-sample APIs",
  "Serve the face APIs over HTTP on the gallery kept in DIR/likeness.db:\n"
  "  GET  /healthz                   {\"status\":\"ok\"} once models are loaded\n"
  "  POST /v1/vision/face[/recognize|/register|/list|/delete|/match]\n"
  "                                  DeepStack's face API (docs/api-deepstack.md)\n"
  "  POST /face, GET /face, GET /faces/sync,\n"
  "  POST /face/{match,detect,update,delete}\n"
  "                                  face samples with offline sync\n"
  "                                  (docs/api-seed.md)\n"
  "One log line per request. At most one inference per CPU runs at once,\n"
  "a few more wait, and the rest get 503 with Retry-After. SIGTERM or\n"
  "SIGINT finishes the requests in flight (up to 10 s) and exits 0.",
  cli_serve_opts, 0, 0
};
