/* native_fixture.h - what the native API's two tests share: a server with
 * the native routes on 127.0.0.1 over the real models, a SQLite gallery
 * and a folder of kept images; a client for any method, body and header;
 * readers for answers and the error shape. Memory in use returns to where
 * it started once test_teardown has run. */
#ifndef LK_TEST_NATIVE_FIXTURE_H
#define LK_TEST_NATIVE_FIXTURE_H

#include <stdarg.h>
#include <sys/stat.h>

#include "base/log.h"
#include "client.h"
#include "fetch/fetch.h"
#include "http/api.h"
#include "test.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define TONY(n) LFW "Tony_Blair/Tony_Blair_000" #n ".jpg"
#define HALLE(n) LFW "Halle_Berry/Halle_Berry_000" #n ".jpg"
#define AGASSI LFW "Andre_Agassi/Andre_Agassi_0001.jpg"
#define GROUP LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg"     /* 710x473 */
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"
#define FORMATS LK_TESTDATA "/compreface_samples/_formats/"
#define TRUNCATED FORMATS "truncated.jpg"
#define JSON "application/json"

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store;
static struct lk_pipeline *pipe_;
static struct lk_api_config api_cfg;
static struct lk_api api;
static struct lk_http_server *srv;
static unsigned port;
static size_t mem_start;
static char images[256];       /* the pipeline's image_dir */

/* ---- the client ------------------------------------------------------- */

/* One request on a fresh connection: type NULL sends no body; headers
 * are extra "Name: value\r\n" lines. Returns the status (0: no answer);
 * *out gets the body parsed as JSON (NULL if it is not), raw (if not
 * NULL) the whole reply. */
static inline int call_on(unsigned to, const char *method, const char *target,
                          const char *type, const void *body, size_t n,
                          const char *headers, cJSON **out, struct reply *raw)
{
  struct mp req = { NULL, 0, 0 };
  struct reply r;
  int status;
  mp_addf(&req, "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s",
          method, target, headers ? headers : "");
  if(type)
    mp_addf(&req, "Content-Type: %s\r\nContent-Length: %zu\r\n", type, n);
  mp_add(&req, "\r\n", 2);
  if(type)
    mp_add(&req, body, n);
  status = http_raw(to, req.buf, req.len, &r) ? 0 : r.status;
  free(req.buf);
  if(out)
    *out = reply_json(&r);
  if(raw)
    *raw = r;
  else
    reply_free(&r);
  return status;
}

static inline int call(const char *method, const char *target,
                       const char *type, const void *body, size_t n,
                       cJSON **out)
{
  return call_on(port, method, target, type, body, n, NULL, out, NULL);
}

static inline int get(const char *target, cJSON **out)
{
  return call("GET", target, NULL, NULL, 0, out);
}

static inline int del(const char *target, cJSON **out)
{
  return call("DELETE", target, NULL, NULL, 0, out);
}

static inline int send_json(const char *method, const char *target,
                            const char *text, cJSON **out)
{
  return call(method, target, JSON, text, strlen(text), out);
}

static inline int send_form(const char *method, const char *target,
                            const char *text, cJSON **out)
{
  return call(method, target, "application/x-www-form-urlencoded", text,
              strlen(text), out);
}

/* A multipart POST as curl -F builds it (client.h). */
static inline int post_form(const char *target, cJSON **out, ...)
{
  va_list ap;
  int status;
  va_start(ap, out);
  status = client_vpost_form(port, 0, target, out, ap);
  va_end(ap);
  return status;
}

/* A file as the raw body, typed type. */
static inline int post_file(const char *target, const char *type,
                            const char *path, cJSON **out)
{
  size_t n;
  unsigned char *d = client_slurp(path, &n);
  int status = d ? call("POST", target, type, d, n, out) : 0;
  free(d);
  return status;
}

/* A file as base64 text, malloc'd. */
static inline char *base64_file(const char *path)
{
  size_t n;
  unsigned char *d = client_slurp(path, &n);
  char *b = d ? malloc(LK_API_BASE64_LEN(n)) : NULL;
  if(b)
    lk_api_base64_encode(d, n, b);
  free(d);
  return b;
}

/* POST {"<field>":"<base64 of path>"<rest>} (rest: "" or ",..."). */
static inline int post_base64(const char *target, const char *field,
                              const char *prefix, const char *path,
                              const char *rest, cJSON **out)
{
  char *b = base64_file(path);
  size_t n = b ? strlen(b) + strlen(rest) + 256 : 0;
  char *body = b ? malloc(n) : NULL;
  int status = 0;
  if(body) {
    snprintf(body, n, "{\"%s\":\"%s%s\"%s}", field, prefix, b, rest);
    status = send_json("POST", target, body, out);
  }
  free(body);
  free(b);
  return status;
}

/* ---- reading answers -------------------------------------------------- */

static inline const cJSON *item(const cJSON *o, const char *key)
{
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static inline const cJSON *at(const cJSON *o, const char *key, int i)
{
  return cJSON_GetArrayItem(item(o, key), i);
}

static inline int count(const cJSON *o, const char *key)
{
  const cJSON *a = item(o, key);
  return cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
}

static inline const char *error_code(const cJSON *j)
{
  return json_str(item(j, "error"), "code");
}

/* The native error shape with a status, a code and a message. */
#define CHECK_ERR(status, j, want_status, want_code) do { \
    int s_ = (status); \
    CHECK_MSG(s_ == (want_status), "status %d, want %d", s_, (want_status)); \
    CHECK_MSG(!strcmp(error_code(j), want_code), "code '%s', want '%s'", \
              error_code(j), want_code); \
    CHECK(strlen(json_str(item(j, "error"), "message")) > 5); \
    CHECK(cJSON_GetArraySize(j) == 1); \
    cJSON_Delete(j); \
  } while(0)

static inline int64_t live_faces(void)
{
  struct lk_store_counts c;
  CHECK(lk_store_counts(store, &c) == LK_OK);
  return c.faces;
}

/* faces of name per GET /api/v1/people/{name} (-1 when absent). */
static inline double person_faces(const char *escaped)
{
  char target[512];
  cJSON *j;
  double n = -1;
  snprintf(target, sizeof target, "/api/v1/people/%s", escaped);
  if(get(target, &j) == 200)
    n = json_num(j, "faces");
  cJSON_Delete(j);
  return n;
}

static inline int file_exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

static inline int kept_image_exists(double id)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%.0f.jpg", images, id);
  return file_exists(path);
}

/* A whole-pixel box inside a w x h image. */
static inline int box_ok(const cJSON *box, int w, int h)
{
  double x0 = json_num(box, "x_min"), y0 = json_num(box, "y_min");
  double x1 = json_num(box, "x_max"), y1 = json_num(box, "y_max");
  return x0 == (int)x0 && y0 == (int)y0 && x1 == (int)x1 && y1 == (int)y1 &&
         x0 >= 0 && y0 >= 0 && x1 <= w && y1 <= h && x0 < x1 && y0 < y1;
}

/* POST one file to /api/v1/people/<escaped>/faces; the new face's id,
 * or -1. */
static inline double add_face(const char *escaped, const char *path)
{
  char target[256], field[512];
  double id = -1;
  cJSON *j;
  snprintf(target, sizeof target, "/api/v1/people/%s/faces", escaped);
  snprintf(field, sizeof field, "image=@%s", path);
  if(post_form(target, &j, field, NULL) == 201)
    id = json_num(j, "id");
  cJSON_Delete(j);
  return id;
}

/* ---- set-up ----------------------------------------------------------- */

static inline int native_setup(const char *dir)
{
  struct lk_pipeline_config pc = lk_pipeline_default_config();
  struct lk_store_opts so = lk_store_default_opts();
  struct lk_http_config hc = lk_http_config_default();
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  char why[512] = "", path[256];
  size_t n;

  snprintf(path, sizeof path, "%s/likeness.db", dir);
  snprintf(images, sizeof images, "%s/images", dir);
  if(mkdir(images, 0700))
    return -1;
  pc.image_dir = images;
  if(lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 1) ||
     lk_store_open(&store, path, &so, why) ||
     lk_pipeline_create(&pipe_, engine, store, &pc)) {
    fprintf(stderr, "set-up failed: %s\n", why);
    return -1;
  }
  api.pipe = pipe_;
  api.cfg = &api_cfg;
  n = lk_api_native_routes(&api, routes, LK_API_MAX_ROUTES);
  /* unknown paths have no route to name an on_error */
  hc.on_error = lk_api_native_error;
  srv = test_server(&hc, routes, n);
  port = srv ? lk_http_server_port(srv) : 0;
  return srv ? 0 : -1;
}

/* Request arenas, bodies, responses and fetches all freed: memory in use
 * is back where it was before the models loaded. */
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

/* The start of main: quiet logs, the memory baseline, a fresh folder
 * (dir, a mkdtemp template) and the server. 0 when ready. */
static inline int native_start(char *dir)
{
  lk_log_set_level(LK_LOG_WARN);
  mem_start = lk_mem_in_use();
  if(!mkdtemp(dir))
    return -1;
  return native_setup(dir);
}

/* The end of main: the report, and the folder removed. */
static inline int native_finish(const char *dir)
{
  char cmd[300];
  int rc = test_report();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? rc : 1;
}

#endif
