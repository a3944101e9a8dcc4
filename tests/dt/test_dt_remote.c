/* test_dt_remote.c - Double Take's detector clients against real servers
 * of those APIs: likeness's own DeepStack, CompreFace and Facebox adapters,
 * in this process, on the real models. Each client trains a person the
 * way Double Take does, recognizes them and a stranger, reads "no face"
 * answers as no faces, sends its API key, and untrains; errors carry the
 * detector's own words. */
#include <string.h>

#include "base/log.h"
#include "dt/dt_remote.h"
#include "http/api.h"
#include "http/client.h"
#include "test.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define BIDEN1 LFW "Joseph_Biden/Joseph_Biden_0001.jpg"
#define BIDEN3 LFW "Joseph_Biden/Joseph_Biden_0003.jpg"
#define HALLE LFW "Halle_Berry/Halle_Berry_0002.jpg"
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store;
static struct lk_pipeline *pipe_;
static struct lk_api_config api_cfg;
static struct lk_api api;
static struct lk_http_server *srv;
static char base[64];
static char dir[] = "/tmp/lk_remote_XXXXXX";

static int setup(void)
{
  struct lk_pipeline_config pc = lk_pipeline_default_config();
  struct lk_store_opts so = lk_store_default_opts();
  struct lk_http_config hc = lk_http_config_default();
  struct lk_http_route routes[3 * LK_API_MAX_ROUTES];
  char why[512] = "", path[128];
  size_t n;

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
  api_cfg.deepstack_api_key = "ds-key";
  api_cfg.compreface_recognition_key = "cf-key";
  api.pipe = pipe_;
  api.cfg = &api_cfg;
  n = lk_api_deepstack_routes(&api, routes, LK_API_MAX_ROUTES);
  n += lk_api_compreface_routes(&api, routes + n, LK_API_MAX_ROUTES);
  n += lk_api_facebox_routes(&api, routes + n, LK_API_MAX_ROUTES);
  srv = test_server(&hc, routes, n);
  if(!srv)
    return -1;
  snprintf(base, sizeof base, "http://127.0.0.1:%u/",
           lk_http_server_port(srv));
  return 0;
}

static void teardown(void)
{
  char cmd[128];
  lk_http_server_destroy(srv);
  lk_pipeline_destroy(pipe_);
  lk_store_close(store);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if(system(cmd))
    fprintf(stderr, "cannot remove %s\n", dir);
}

/* The faces a detector sees in a file (-1 on error). */
static int recognize(const struct lk_dt_remote *r, const char *file,
                     struct lk_arena *a, struct lk_dt_raw_face **faces)
{
  unsigned char *img;
  size_t len, n = 0;
  char why[LK_DT_REMOTE_ERRMAX] = "";
  lk_err err;
  img = client_slurp(file, &len);
  err = lk_dt_remote_recognize(r, img, len, a, faces, &n, why);
  free(img);
  CHECK_MSG(!err, "%s: %s", lk_dt_detector_name(r->kind), why);
  return err ? -1 : (int)n;
}

static lk_err train(const struct lk_dt_remote *r, const char *name,
                    const char *file, char *why)
{
  size_t len;
  unsigned char *img = client_slurp(file, &len);
  lk_err err = lk_dt_remote_train(r, name, img, len, why);
  free(img);
  return err;
}

/* Train Biden, see him in another photo, not see him in a stranger's,
 * no face in a landscape, untrain. */
static void round_trip(const struct lk_dt_remote *r)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_raw_face *f = NULL;
  char why[LK_DT_REMOTE_ERRMAX] = "";
  const char *d = lk_dt_detector_name(r->kind);
  int n;

  CHECK_MSG(train(r, "Joe Biden", BIDEN1, why) == LK_OK, "%s: %s", d, why);
  n = recognize(r, BIDEN3, a, &f);
  CHECK_MSG(n == 1 && f[0].subject && !strcmp(f[0].subject, "Joe Biden") &&
            !strcmp(f[0].detector, d), "%s: %d faces, %s", d, n,
            n > 0 && f[0].subject ? f[0].subject : "-");
  CHECK(n == 1 && f[0].confidence > 0.5 && f[0].confidence <= 1);
  CHECK(n == 1 && f[0].box.width > 40 && f[0].box.height > 40 &&
        f[0].box.left > 0 && f[0].box.top > 0);
  if(r->kind == LK_DT_FACEBOX)
    CHECK(n == 1 && f[0].matched);
  n = recognize(r, HALLE, a, &f);
  CHECK_MSG(n == 1 && (!f[0].subject || !strcmp(f[0].subject, "unknown") ||
                       f[0].confidence < 0.5 ||
                       (r->kind == LK_DT_FACEBOX && !f[0].matched)),
            "%s: a stranger named %s", d, n == 1 && f[0].subject ?
            f[0].subject : "-");
  CHECK_MSG(recognize(r, NOFACE, a, &f) == 0, "%s: faces in a landscape", d);
  CHECK_MSG(lk_dt_remote_untrain(r, "Joe Biden", why) == LK_OK, "%s: %s", d,
            why);
  n = recognize(r, BIDEN3, a, &f);
  CHECK_MSG(n == 1 && (!f[0].subject || strcmp(f[0].subject, "Joe Biden")),
            "%s: still known after untrain", d);
  lk_arena_destroy(a);
}

static void test_compreface(void)
{
  struct lk_dt_remote r = { LK_DT_COMPREFACE, base, "cf-key", 0, 0, NULL };
  char why[LK_DT_REMOTE_ERRMAX] = "";
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_raw_face *f;
  size_t n;
  round_trip(&r);
  /* a wrong key: CompreFace's own words come back */
  r.key = "wrong";
  CHECK(lk_dt_remote_recognize(&r, "x", 1, a, &f, &n, why) == LK_ERR_IO);
  CHECK_MSG(strstr(why, "compreface: Recognition service with API Key wrong "
                   "not found") != NULL, "%s", why);
  lk_arena_destroy(a);
}

static void test_deepstack(void)
{
  struct lk_dt_remote r = { LK_DT_DEEPSTACK, base, "ds-key", 0, 0, NULL };
  char why[LK_DT_REMOTE_ERRMAX] = "";
  round_trip(&r);
  r.key = NULL;
  CHECK(train(&r, "x", BIDEN1, why) == LK_ERR_IO);
  CHECK_MSG(!strcmp(why, "deepstack: Incorrect api key"), "%s", why);
}

static void test_facebox(void)
{
  struct lk_dt_remote r = { LK_DT_FACEBOX, base, NULL, 0, 0, NULL };
  char why[LK_DT_REMOTE_ERRMAX] = "";
  round_trip(&r);
  CHECK(train(&r, "Two", NOFACE, why) == LK_ERR_IO);
  CHECK_MSG(!strncmp(why, "facebox: ", 9), "%s", why);
}

static void test_unreachable(void)
{
  struct lk_dt_remote r = { LK_DT_DEEPSTACK, "http://127.0.0.1:1", NULL, 2, 0,
                            NULL };
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_raw_face *f;
  char why[LK_DT_REMOTE_ERRMAX] = "";
  size_t n;
  CHECK(lk_dt_remote_recognize(&r, "x", 1, a, &f, &n, why) == LK_ERR_IO);
  CHECK(n == 0 && why[0]);
  CHECK(!strcmp(lk_dt_detector_name(LK_DT_AISERVER), "aiserver"));
  lk_arena_destroy(a);
}

int main(void)
{
  size_t mem0;
  lk_log_set_level(LK_LOG_ERROR);
  mem0 = lk_mem_in_use();
  if(setup())
    return 1;
  RUN(test_compreface);
  RUN(test_deepstack);
  RUN(test_facebox);
  RUN(test_unreachable);
  teardown();
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes left",
            lk_mem_in_use() - mem0);
  return test_report();
}
