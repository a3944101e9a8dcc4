/* api_fixture.h - the server every API test talks to: the real models, a
 * SQLite gallery and a kept-images folder in a scratch folder, and one
 * adapter's routes (plus a test's own) on 127.0.0.1. main() starts it with
 * fixture_start, runs its tests, then RUN(test_teardown), which checks
 * that memory in use is back where it was before the models loaded, and
 * returns fixture_end(). Header-only; included by one test file each. */
#ifndef LK_TEST_API_FIXTURE_H
#define LK_TEST_API_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/log.h"
#include "client.h"
#include "http/api.h"
#include "test.h"

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store;
static struct lk_pipeline *pipe_;
static struct lk_api_config api_cfg;
static struct lk_api api;
static struct lk_http_server *srv;
static unsigned port;
static size_t mem_start;
static char fixture_dir[64];
static char image_dir[128];          /* the pipeline's kept images */

typedef size_t (*fixture_routes_fn)(struct lk_api *, struct lk_http_route *,
                                    size_t);

struct fixture {
  const char *name;                  /* scratch folder /tmp/lk_NAME_XXXXXX */
  fixture_routes_fn routes;          /* the adapter under test */
  lk_http_error_fn on_error;         /* for paths no route names */
  const struct lk_http_route *extra; /* a test's own routes, or NULL */
  size_t n_extra;
  long max_faces;                    /* the gallery's; 0: the default */
};

static inline int fixture_server(const struct fixture *f)
{
  struct lk_http_config hc = lk_http_config_default();
  struct lk_http_route routes[LK_API_MAX_ROUTES + 8];
  size_t i, n;

  api.pipe = pipe_;
  api.cfg = &api_cfg;
  n = f->routes(&api, routes, LK_API_MAX_ROUTES);
  for(i = 0; i < f->n_extra && i < 8; i++)
    routes[n++] = f->extra[i];
  hc.on_error = f->on_error;
  srv = test_server(&hc, routes, n);
  port = srv ? lk_http_server_port(srv) : 0;
  return srv ? 0 : -1;
}

/* Quiet logs, the memory baseline, the scratch folder, the gallery and
 * the server; 0 when ready. */
static inline int fixture_start(const struct fixture *f)
{
  struct lk_pipeline_config pc = lk_pipeline_default_config();
  struct lk_store_opts so = lk_store_default_opts();
  char why[512] = "", path[192];

  lk_log_set_level(LK_LOG_WARN);
  mem_start = lk_mem_in_use();
  snprintf(fixture_dir, sizeof fixture_dir, "/tmp/lk_%s_XXXXXX", f->name);
  if(!mkdtemp(fixture_dir))
    return -1;
  snprintf(path, sizeof path, "%s/likeness.db", fixture_dir);
  snprintf(image_dir, sizeof image_dir, "%s/images", fixture_dir);
  if(f->max_faces)
    so.max_faces = f->max_faces;
  pc.image_dir = image_dir;
  if(mkdir(image_dir, 0700) ||
     lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 1) ||
     lk_store_open(&store, path, &so, why) ||
     lk_pipeline_create(&pipe_, engine, store, &pc)) {
    fprintf(stderr, "set-up failed: %s\n", why);
    return -1;
  }
  return fixture_server(f);
}

/* Request arenas, bodies, responses, fetched and decoded images all
 * freed: memory in use is back where it was before the models loaded. */
static inline void test_teardown(void)
{
  CHECK(lk_http_server_stop(srv, 2000) == LK_OK);
  lk_http_server_destroy(srv);
  lk_pipeline_destroy(pipe_);
  lk_store_close(store);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  CHECK_MSG(lk_mem_in_use() == mem_start, "%zu bytes leaked",
            lk_mem_in_use() - mem_start);
}

/* The scratch folder goes; the exit status of the test program. */
static inline int fixture_end(void)
{
  char cmd[128];
  int rc = test_report();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_dir);
  return system(cmd) == 0 ? rc : 1;
}

#endif
