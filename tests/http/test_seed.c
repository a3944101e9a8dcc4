/* test_seed.c - the seed face-sample API over real HTTP on 127.0.0.1, on
 * the real models and a real SQLite gallery: create by upload and by
 * image_url (refused by the SSRF guard, then allowed by the policy), get,
 * the sync feed (from 0, from a middle time, tombstones, updates), match,
 * detect, update, delete, and every error_type with its status. Memory in
 * use returns to where it started once everything is torn down. */
#include <stdarg.h>

#include "api_fixture.h"
#include "fetch/fetch.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define TONY1 LFW "Tony_Blair/Tony_Blair_0001.jpg"
#define TONY3 LFW "Tony_Blair/Tony_Blair_0003.jpg"   /* held out */
#define HALLE1 LFW "Halle_Berry/Halle_Berry_0001.jpg"
#define ANDRE1 LFW "Andre_Agassi/Andre_Agassi_0001.jpg"
#define GROUP LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg"
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"
#define TRUNCATED LK_TESTDATA "/compreface_samples/_formats/truncated.jpg"

static int64_t tony_id, halle_id, andre_id;

static unsigned char *slurp(const char *path, size_t *len)
{
  unsigned char *p = client_slurp(path, len);
  CHECK_MSG(*len > 0, "cannot read %s", path);
  return p;
}

/* A form POST as curl -F builds it: see client_vpost_form in client.h. */
static int post(const char *target, cJSON **out, ...)
{
  va_list ap;
  int status;
  va_start(ap, out);
  status = client_vpost_form(port, 0, target, out, ap);
  va_end(ap);
  return status;
}

static int post_raw(const char *target, const char *type, const char *body,
                    cJSON **out)
{
  struct reply r;
  int status = http_post(port, target, type, body, strlen(body), 0, &r)
               ? 0 : r.status;
  *out = reply_json(&r);
  reply_free(&r);
  return status;
}

static int get(const char *target, cJSON **out)
{
  struct reply r;
  int status = http_get(port, target, &r) ? 0 : r.status;
  *out = reply_json(&r);
  reply_free(&r);
  return status;
}

#define CHECK_ERROR(status, j, want_status, want_type) do { \
    CHECK_MSG((status) == (want_status), "status %d, want %d", (status), \
              (want_status)); \
    CHECK_MSG(json_num(j, "error_type") == (want_type), "error_type %g, " \
              "want %d (%s)", json_num(j, "error_type"), (want_type), \
              json_str(j, "error_message")); \
    CHECK(json_str(j, "error_message")[0]); \
    cJSON_Delete(j); \
  } while(0)

/* An encoding is 128 comma-joined numbers. */
static int encoding_ok(const char *s)
{
  int n = 0;
  char *end;
  while(*s) {
    strtod(s, &end);
    if(end == s)
      return 0;
    n++;
    s = *end == ',' ? end + 1 : end;
    if(*end && *end != ',')
      return 0;
  }
  return n == LK_STORE_DIM;
}

static const cJSON *item(const cJSON *o, const char *key)
{
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int64_t create(const char *path, const char *args)
{
  char file[512];
  cJSON *j;
  int64_t id;
  snprintf(file, sizeof file, "image=@%s", path);
  CHECK(post("/face", &j, file, args, NULL) == 200);
  id = (int64_t)json_num(j, "face_id");
  CHECK(id > 0);
  CHECK(encoding_ok(json_str(j, "face_encoding")));
  cJSON_Delete(j);
  return id;
}

/* GET /faces/sync from since; returns the parsed body. */
static cJSON *sync_from(double since)
{
  char target[128];
  cJSON *j;
  snprintf(target, sizeof target, "/faces/sync?last_updated_at=%.17g",
           since);
  CHECK(get(target, &j) == 200);
  CHECK(cJSON_IsArray(item(j, "faces")));
  CHECK(cJSON_IsFalse(item(j, "more")));
  return j;
}

static void test_create_get(void)
{
  cJSON *j, *args;
  char target[64];
  tony_id = create(TONY1,
                   "unique_args={\"user_id\":\"t1\",\"user_name\":\"Tony\"}");
  halle_id = create(HALLE1, "unique_args={\"user_name\":\"Halle\"}");
  andre_id = create(ANDRE1, NULL);
  CHECK(tony_id < halle_id && halle_id < andre_id);
  snprintf(target, sizeof target, "/face?face_id=%lld", (long long)tony_id);
  CHECK(get(target, &j) == 200);
  CHECK(json_num(j, "face_id") == (double)tony_id);
  CHECK(encoding_ok(json_str(j, "face_encoding")));
  args = cJSON_GetObjectItemCaseSensitive(j, "unique_args");
  CHECK(!strcmp(json_str(args, "user_name"), "Tony"));
  cJSON_Delete(j);
  snprintf(target, sizeof target, "/face?face_id=%lld", (long long)andre_id);
  CHECK(get(target, &j) == 200);
  CHECK(cJSON_IsObject(item(j, "unique_args")));
  CHECK(cJSON_GetArraySize(item(j, "unique_args")) == 0);
  cJSON_Delete(j);
}

/* The feed from 0 has every face oldest first; from a face's updatedAt,
 * only what changed after it. */
static void test_sync(void)
{
  cJSON *j = sync_from(0), *f;
  const cJSON *a = item(j, "faces");
  double t_tony, last = 0;
  int64_t want[3] = { tony_id, halle_id, andre_id };
  int i = 0;
  CHECK(cJSON_GetArraySize(a) == 3);
  cJSON_ArrayForEach(f, a) {
    CHECK(json_num(f, "faceId") == (double)want[i]);
    CHECK(json_num(f, "updatedAt") > last);
    CHECK(cJSON_IsFalse(item(f, "deleted")));
    CHECK(encoding_ok(json_str(f, "faceEncoding")));
    CHECK(cJSON_IsObject(item(f, "uniqueArgs")));
    last = json_num(f, "updatedAt");
    i++;
  }
  t_tony = json_num(cJSON_GetArrayItem(a, 0), "updatedAt");
  cJSON_Delete(j);
  j = sync_from(t_tony);
  a = item(j, "faces");
  CHECK(cJSON_GetArraySize(a) == 2);
  CHECK(json_num(cJSON_GetArrayItem(a, 0), "faceId") == (double)halle_id);
  cJSON_Delete(j);
  j = sync_from(last);    /* drained */
  CHECK(cJSON_GetArraySize(item(j, "faces")) == 0);
  cJSON_Delete(j);
  /* missing means everything */
  CHECK(get("/faces/sync", &j) == 200);
  CHECK(cJSON_GetArraySize(item(j, "faces")) == 3);
  cJSON_Delete(j);
}

/* The newest updatedAt in the feed. */
static double sync_last(void)
{
  cJSON *j = sync_from(0);
  const cJSON *a = item(j, "faces");
  double t = json_num(cJSON_GetArrayItem(a, cJSON_GetArraySize(a) - 1),
                      "updatedAt");
  cJSON_Delete(j);
  return t;
}

static void test_update(void)
{
  double t = sync_last();
  char id[32];
  cJSON *j, *f;
  snprintf(id, sizeof id, "face_id=%lld", (long long)halle_id);
  CHECK(post("/face/update", &j, id,
             "unique_args={\"user_name\":\"Halle B\"}", NULL) == 200);
  CHECK(json_num(j, "face_id") == (double)halle_id);
  CHECK(encoding_ok(json_str(j, "face_encoding")));
  cJSON_Delete(j);
  j = sync_from(t);
  CHECK(cJSON_GetArraySize(item(j, "faces")) == 1);
  f = cJSON_GetArrayItem(item(j, "faces"), 0);
  CHECK(json_num(f, "faceId") == (double)halle_id);
  CHECK(json_num(f, "updatedAt") > t);
  CHECK(!strcmp(json_str(item(f, "uniqueArgs"), "user_name"), "Halle B"));
  cJSON_Delete(j);
  /* a new image re-describes the face */
  CHECK(post("/face/update", &j, id,
             "image=@" LFW "Halle_Berry/Halle_Berry_0002.jpg", NULL) == 200);
  CHECK(encoding_ok(json_str(j, "face_encoding")));
  cJSON_Delete(j);
  CHECK_ERROR(post("/face/update", &j, id, NULL), j, 400, 1);
  CHECK_ERROR(post("/face/update", &j, "face_id=999999",
                   "unique_args={}", NULL), j, 404, 4);
  CHECK_ERROR(post("/face/update", &j, id, "image=@" NOFACE, NULL), j, 422,
              3);
}

static void test_delete(void)
{
  double t = sync_last();
  char id[32], target[64];
  cJSON *j, *f;
  snprintf(id, sizeof id, "face_id=%lld", (long long)andre_id);
  CHECK(post("/face/delete", &j, id, NULL) == 200);
  CHECK(json_num(j, "face_id") == (double)andre_id);
  CHECK(cJSON_IsTrue(item(j, "deleted")));
  cJSON_Delete(j);
  j = sync_from(t);
  CHECK(cJSON_GetArraySize(item(j, "faces")) == 1);
  f = cJSON_GetArrayItem(item(j, "faces"), 0);
  CHECK(json_num(f, "faceId") == (double)andre_id);
  CHECK(cJSON_IsTrue(item(f, "deleted")));
  CHECK(!item(f, "faceEncoding"));
  cJSON_Delete(j);
  snprintf(target, sizeof target, "/face?face_id=%lld", (long long)andre_id);
  CHECK_ERROR(get(target, &j), j, 404, 4);
  CHECK_ERROR(post("/face/delete", &j, id, NULL), j, 404, 4);
}

static void test_match(void)
{
  cJSON *j, *f, *pos;
  CHECK(post("/face/match", &j, "image=@" TONY3, NULL) == 200);
  CHECK(cJSON_GetArraySize(item(j, "faces")) == 1);
  f = cJSON_GetArrayItem(item(j, "faces"), 0);
  CHECK_MSG(json_num(f, "face_id") == (double)tony_id, "face_id %g",
            json_num(f, "face_id"));
  CHECK_MSG(json_num(f, "trust") >= 67 && json_num(f, "trust") <= 100,
            "trust %g", json_num(f, "trust"));
  CHECK(!strcmp(json_str(item(f, "unique_args"), "user_id"), "t1"));
  pos = cJSON_GetObjectItemCaseSensitive(f, "position");
  CHECK(json_num(pos, "bottom") > json_num(pos, "top"));
  CHECK(json_num(pos, "right") > json_num(pos, "left"));
  cJSON_Delete(j);
}

static void test_detect(void)
{
  cJSON *j, *f;
  double last_area = 1e30, slack = 0;
  CHECK(post("/face/detect", &j, "image=@" GROUP, NULL) == 200);
  CHECK_MSG(cJSON_GetArraySize(item(j, "faces")) >= 3, "%d faces",
            cJSON_GetArraySize(item(j, "faces")));
  cJSON_ArrayForEach(f, item(j, "faces")) {
    const cJSON *p = item(f, "position");
    double area = (json_num(p, "right") - json_num(p, "left")) *
                  (json_num(p, "bottom") - json_num(p, "top"));
    CHECK(encoding_ok(json_str(f, "face_encoding")));
    /* largest first, by the boxes before rounding: two faces of nearly
     * equal size may swap by a rounding's worth of area (as in bbt4) */
    CHECK(area > 0 && area <= last_area + slack);
    last_area = area;
    slack = json_num(p, "right") - json_num(p, "left") +
            json_num(p, "bottom") - json_num(p, "top") + 1;
  }
  cJSON_Delete(j);
}

/* GET /img/tony: the test's own image server, on the same port. */
static lk_err serve_tony(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  size_t n;
  unsigned char *d = slurp(TONY1, &n);
  lk_err err = lk_http_resp_bytes(resp, 200, "image/jpeg", d, n);
  (void)req;
  (void)ctx;
  free(d);
  return err;
}

static void test_image_url(void)
{
  static const char *const allow[] = { "127.0.0.0/8", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  char url[128], body[256];
  cJSON *j;
  snprintf(url, sizeof url, "image_url=http://127.0.0.1:%u/img/tony", port);
  CHECK_ERROR(post("/face", &j, url, NULL), j, 400, 5);
  CHECK_ERROR(post("/face/match", &j, url, NULL), j, 400, 5);
  p.allow = allow;
  api_cfg.fetch = &p;
  CHECK(post("/face/match", &j, url, NULL) == 200);
  CHECK(json_num(cJSON_GetArrayItem(item(j, "faces"), 0), "face_id") ==
        (double)tony_id);
  cJSON_Delete(j);
  /* urlencoded, and the seed sample's own spelling image-url */
  snprintf(body, sizeof body, "image-url=http://127.0.0.1:%u/img/tony&"
           "unique_args=%%7B%%22user_id%%22%%3A7%%7D", port);
  CHECK(post_raw("/face", "application/x-www-form-urlencoded", body, &j)
        == 200);
  CHECK(json_num(j, "face_id") > (double)andre_id);
  cJSON_Delete(j);
  /* a JSON body, unique_args as an object */
  snprintf(body, sizeof body, "{\"image_url\":\"http://127.0.0.1:%u/img/"
           "tony\",\"unique_args\":{\"user_name\":\"T\"}}", port);
  CHECK(post_raw("/face", "application/json", body, &j) == 200);
  CHECK(json_num(j, "face_id") > 0);
  cJSON_Delete(j);
  snprintf(url, sizeof url, "image_url=http://127.0.0.1:%u/nope", port);
  CHECK_ERROR(post("/face", &j, url, NULL), j, 422, 6);
  api_cfg.fetch = NULL;
}

static void test_errors(void)
{
  cJSON *j;
  CHECK_ERROR(post("/face", &j, "unique_args={}", NULL), j, 400, 1);
  CHECK_ERROR(post("/face/match", &j, "x=y", NULL), j, 400, 1);
  CHECK_ERROR(post("/face/detect", &j, NULL), j, 400, 1);
  CHECK_ERROR(post("/face", &j, "image=@" TRUNCATED, NULL), j, 400, 2);
  CHECK_ERROR(post("/face/match", &j, "image=@" TRUNCATED, NULL), j, 400,
              2);
  CHECK_ERROR(post("/face", &j, "image=@" NOFACE, NULL), j, 422, 3);
  CHECK_ERROR(post("/face", &j, "image=@" TONY1, "unique_args={oops",
                   NULL), j, 400, 7);
  CHECK_ERROR(post("/face", &j, "image=@" TONY1, "unique_args=[1]", NULL),
              j, 400, 7);
  CHECK_ERROR(get("/face?face_id=999999", &j), j, 404, 4);
  CHECK_ERROR(get("/face?face_id=abc", &j), j, 400, 1);
  CHECK_ERROR(get("/face", &j), j, 400, 1);
  CHECK_ERROR(get("/faces/sync?last_updated_at=soon", &j), j, 400, 1);
  CHECK_ERROR(post("/face/delete", &j, NULL), j, 400, 1);
  CHECK_ERROR(post_raw("/face", "application/json", "{oops", &j), j, 400,
              1);
  /* the layer's own answers in this API's shape */
  CHECK_ERROR(get("/face/match", &j), j, 405, 1);
  CHECK_ERROR(get("/nope", &j), j, 404, 4);
}

static void test_routes(void)
{
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  size_t i, n = lk_api_seed_routes(&api, routes, LK_API_MAX_ROUTES);
  CHECK(n == 7);
  CHECK(lk_api_seed_routes(&api, routes, 6) == 0);
  for(i = 0; i < n; i++) {
    int heavy = !strcmp(routes[i].method, "POST") &&
                !strstr(routes[i].pattern, "/delete");
    CHECK(routes[i].ctx == &api);
    CHECK(routes[i].on_error == lk_api_seed_error);
    CHECK_MSG(!!(routes[i].flags & LK_HTTP_HEAVY) == heavy, "%s",
              routes[i].pattern);
  }
}

int main(void)
{
  /* /img/tony for image_url; the gate's 2 slots leave it free for the
   * fetch from inside a heavy handler */
  static const struct lk_http_route img[] = {
    { "GET", "/img/tony", serve_tony, NULL, 0, NULL },
  };
  static const struct fixture f = {
    "seed", lk_api_seed_routes, lk_api_seed_error, img, 1, 0
  };
  if(fixture_start(&f))
    return 1;
  RUN(test_routes);
  RUN(test_create_get);
  RUN(test_sync);
  RUN(test_update);
  RUN(test_delete);
  RUN(test_match);
  RUN(test_detect);
  RUN(test_image_url);
  RUN(test_errors);
  RUN(test_teardown);
  return fixture_end();
}
