/* test_native_vision.c - the native API's image routes over real HTTP
 * (native_fixture.h), on a gallery of two people: recognize naming the
 * right person with every candidate, null for a stranger, its options and
 * their refusals; detect with landmarks and min_score; compare by files,
 * named parts and base64; images by URL refused by the SSRF guard, then
 * allowed by a policy; 503 with Retry-After when the gate is full; and
 * concurrent registrations losing nothing. */
#include <pthread.h>

#include "native_fixture.h"

static void test_gallery(void)
{
  CHECK(add_face("Tony%20Blair", TONY(1)) >= 1);
  CHECK(add_face("Tony%20Blair", TONY(2)) >= 1);
  CHECK(add_face("Tony%20Blair", TONY(4)) >= 1);
  CHECK(add_face("Halle%20Berry", HALLE(1)) >= 1);
  CHECK(add_face("Halle%20Berry", HALLE(2)) >= 1);
  CHECK(live_faces() == 5);
}

/* ---- recognize, detect, compare --------------------------------------- */

static void test_recognize(void)
{
  const cJSON *f, *c;
  cJSON *j;

  CHECK(post_form("/api/v1/recognize", &j, "image=@" TONY(3), NULL) == 200);
  CHECK(json_num(j, "width") == 250 && json_num(j, "height") == 250);
  CHECK(count(j, "faces") == 1);
  f = at(j, "faces", 0);
  CHECK(box_ok(item(f, "box"), 250, 250) && json_num(f, "score") >= 0.5);
  CHECK_MSG(!strcmp(json_str(f, "person"), "Tony Blair"), "person %s",
            json_str(f, "person"));
  CHECK(json_num(f, "confidence") >= 0.5 && json_num(f, "distance") > 0);
  /* every person with faces is a candidate, nearest first */
  CHECK(count(f, "candidates") == 2);
  c = at(f, "candidates", 0);
  CHECK(!strcmp(json_str(c, "person"), "Tony Blair") &&
        json_num(c, "face_id") >= 1 &&
        json_num(c, "confidence") == json_num(f, "confidence"));
  c = at(f, "candidates", 1);
  CHECK(!strcmp(json_str(c, "person"), "Halle Berry") &&
        json_num(c, "confidence") < 0.5 &&
        json_num(c, "distance") > json_num(f, "distance"));
  cJSON_Delete(j);

  /* a stranger: null, never the nearest name, candidates still listed */
  CHECK(post_file("/api/v1/recognize", "image/jpeg", AGASSI, &j) == 200);
  f = at(j, "faces", 0);
  CHECK(cJSON_IsNull(item(f, "person")) && cJSON_IsNull(item(f, "confidence"))
        && cJSON_IsNull(item(f, "distance")));
  CHECK(count(f, "candidates") == 2);
  cJSON_Delete(j);
  /* threshold 0 accepts the nearest; max_distance decides by distance */
  CHECK(post_base64("/api/v1/recognize", "image", "", AGASSI,
                    ",\"threshold\":0,\"top_k\":1", &j) == 200);
  f = at(j, "faces", 0);
  CHECK(json_str(f, "person")[0] && count(f, "candidates") == 1);
  cJSON_Delete(j);
  CHECK(post_form("/api/v1/recognize?threshold=1", &j, "image=@" TONY(3),
                  NULL) == 200);
  CHECK(cJSON_IsNull(item(at(j, "faces", 0), "person")));
  cJSON_Delete(j);
  CHECK(post_form("/api/v1/recognize?max_distance=0.6", &j, "image=@" TONY(3),
                  NULL) == 200);
  CHECK(!strcmp(json_str(at(j, "faces", 0), "person"), "Tony Blair"));
  cJSON_Delete(j);
  CHECK(post_form("/api/v1/recognize", &j, "image=@" TONY(3),
                  "max_distance=0.01", NULL) == 200);
  CHECK(cJSON_IsNull(item(at(j, "faces", 0), "person")));
  cJSON_Delete(j);
  /* no face: an empty list; a group: largest first */
  CHECK(post_form("/api/v1/recognize", &j, "image=@" NOFACE, NULL) == 200);
  CHECK(count(j, "faces") == 0);
  cJSON_Delete(j);
}

static double area(const cJSON *face)
{
  const cJSON *b = item(face, "box");
  return (json_num(b, "x_max") - json_num(b, "x_min")) *
         (json_num(b, "y_max") - json_num(b, "y_min"));
}

/* Faces of a 710x473 photo: largest first within a rounding's slack. */
static int ordered(const cJSON *j)
{
  const cJSON *f;
  double last = 1e12;
  int ok = 1;
  cJSON_ArrayForEach(f, item(j, "faces")) {
    ok &= box_ok(item(f, "box"), 710, 473) && area(f) <= last + 800;
    last = area(f);
  }
  return ok;
}

static void test_recognize_options(void)
{
  static const char *const bad[] = { "top_k=0", "top_k=101", "top_k=1.5",
    "top_k=abc", "threshold=2", "threshold=-0.1", "threshold=nan",
    "max_distance=-1", "max_distance=5", "min_score=x",
    "threshold=0.5&max_distance=0.5" };
  char target[128];
  cJSON *j;
  size_t i;
  int all;

  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(target, sizeof target, "/api/v1/recognize?%s", bad[i]);
    CHECK_ERR(post_form(target, &j, "image=@" TONY(3), NULL), j, 400,
              "invalid_request");
  }
  CHECK(post_form("/api/v1/recognize", &j, "image=@" GROUP, NULL) == 200);
  all = count(j, "faces");
  CHECK_MSG(all >= 5, "%d faces", all);
  CHECK(ordered(j));
  CHECK(count(at(j, "faces", 0), "candidates") == 2);
  cJSON_Delete(j);
  CHECK(post_form("/api/v1/recognize", &j, "image=@" GROUP, "min_score=0.9",
                  "top_k=1", NULL) == 200);
  CHECK(count(j, "faces") >= 1 && count(j, "faces") <= all);
  CHECK(count(at(j, "faces", 0), "candidates") == 1);
  {
    const cJSON *f;
    cJSON_ArrayForEach(f, item(j, "faces"))
      CHECK(json_num(f, "score") >= 0.9);
  }
  cJSON_Delete(j);
}

static void test_detect(void)
{
  const cJSON *f;
  cJSON *j;
  int n;

  CHECK(post_form("/api/v1/detect", &j, "image=@" GROUP, NULL) == 200);
  n = count(j, "faces");
  CHECK(n >= 5 && ordered(j));
  CHECK(json_num(j, "width") == 710 && json_num(j, "height") == 473);
  cJSON_ArrayForEach(f, item(j, "faces"))
    CHECK(json_num(f, "score") >= 0.5 && !item(f, "landmarks") &&
          !item(f, "person"));
  cJSON_Delete(j);
  CHECK(post_form("/api/v1/detect?landmarks=true", &j, "image=@" GROUP,
                  NULL) == 200);
  CHECK(count(j, "faces") == n);
  cJSON_ArrayForEach(f, item(j, "faces")) {
    const cJSON *p = at(f, "landmarks", 30);    /* the nose tip */
    const cJSON *b = item(f, "box");
    double x = cJSON_GetArrayItem(p, 0) ? cJSON_GetArrayItem(p, 0)->valuedouble
                                        : -1;
    CHECK(count(f, "landmarks") == 68 && cJSON_GetArraySize(p) == 2);
    CHECK(x > json_num(b, "x_min") && x < json_num(b, "x_max"));
  }
  cJSON_Delete(j);
  CHECK(post_form("/api/v1/detect", &j, "image=@" GROUP, "min_score=0.9",
                  NULL) == 200);
  CHECK(count(j, "faces") >= 1 && count(j, "faces") <= n);
  cJSON_ArrayForEach(f, item(j, "faces"))
    CHECK(json_num(f, "score") >= 0.9);
  cJSON_Delete(j);
  CHECK(post_form("/api/v1/detect", &j, "image=@" GROUP, "min_score=0",
                  NULL) == 200);
  CHECK(count(j, "faces") >= n && count(j, "faces") <= LK_FACE_MAX_FACES);
  cJSON_Delete(j);
  CHECK_ERR(post_form("/api/v1/detect", &j, "image=@" GROUP,
                      "landmarks=maybe", NULL), j, 400, "invalid_request");
  CHECK_ERR(post_form("/api/v1/detect", &j, "image=@" GROUP, "min_score=2",
                      NULL), j, 400, "invalid_request");
  CHECK_ERR(post_form("/api/v1/detect", &j, "image=@" TRUNCATED, NULL), j,
            400, "invalid_image");
}

static void test_compare(void)
{
  char *a = base64_file(HALLE(4)), *b = base64_file(TONY(5));
  size_t n = strlen(a) + strlen(b) + 64;
  char *body = malloc(n);
  cJSON *j;

  CHECK(post_form("/api/v1/compare", &j, "image1=@" HALLE(4),
                  "image2=@" HALLE(5), NULL) == 200);
  CHECK(cJSON_IsTrue(item(j, "same")) && json_num(j, "confidence") >= 0.5 &&
        json_num(j, "distance") > 0 && json_num(j, "distance") < 0.46);
  cJSON_Delete(j);
  snprintf(body, n, "{\"image1\":\"%s\",\"image2\":\"%s\"}", a, b);
  CHECK(send_json("POST", "/api/v1/compare", body, &j) == 200);
  CHECK(cJSON_IsFalse(item(j, "same")) && json_num(j, "confidence") < 0.1);
  cJSON_Delete(j);
  /* any two files; a threshold of 0 calls anyone the same */
  CHECK(post_form("/api/v1/compare?threshold=0", &j, "a=@" HALLE(4),
                  "b=@" TONY(5), NULL) == 200);
  CHECK(cJSON_IsTrue(item(j, "same")));
  cJSON_Delete(j);
  /* named parts win over body order: image2 comes first here */
  CHECK_ERR(post_form("/api/v1/compare", &j, "image2=@" NOFACE,
                      "image1=@" GROUP, NULL), j, 400, "no_face");
  CHECK(post_form("/api/v1/compare", &j, "image2=@" NOFACE, "image1=@" GROUP,
                  NULL) == 400 &&
        strstr(json_str(item(j, "error"), "message"), "second"));
  cJSON_Delete(j);
  CHECK_ERR(post_form("/api/v1/compare", &j, "image1=@" GROUP, NULL), j, 400,
            "invalid_request");
  CHECK_ERR(send_json("POST", "/api/v1/compare", "{\"image1\":\"\"}", &j), j,
            400, "invalid_request");
  free(a);
  free(b);
  free(body);
}

/* ---- URLs ------------------------------------------------------------- */

static int post_url(const char *target, const char *url, cJSON **out)
{
  char body[512];
  snprintf(body, sizeof body, "{\"url\":\"%s\"}", url);
  return send_json("POST", target, body, out);
}

static void test_urls(void)
{
  static const char *const hostile[] = { "http://169.254.169.254/latest",
    "http://[::1]/x", "http://0x7f000001/x", "http://10.0.0.1/x",
    "http://localhost:1/x" };
  static const char *const allow[] = { "127.0.0.0/8", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  char url[256];
  double id, src;
  size_t i;
  cJSON *j;

  CHECK(get("/api/v1/faces?limit=1", &j) == 200);
  src = json_num(at(j, "faces", 0), "id");
  cJSON_Delete(j);
  snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/faces/%.0f/image",
           port, src);
  /* the default policy: loopback and private addresses are refused */
  CHECK_ERR(post_url("/api/v1/people/U/faces", url, &j), j, 400,
            "url_refused");
  CHECK_ERR(post_url("/api/v1/recognize", url, &j), j, 400, "url_refused");
  for(i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
    CHECK_ERR(post_url("/api/v1/detect", hostile[i], &j), j, 400,
              "url_refused");
  CHECK(post_url("/api/v1/detect", "file:///etc/passwd", &j) == 400 &&
        (!strcmp(error_code(j), "url_refused") ||
         !strcmp(error_code(j), "invalid_request")));
  cJSON_Delete(j);
  CHECK_ERR(post_url("/api/v1/detect", "not a url", &j), j, 400,
            "invalid_request");
  /* allowed: the face's own kept image, fetched back from this server */
  p.allow = allow;
  api_cfg.fetch = &p;
  CHECK(post_url("/api/v1/people/U/faces", url, &j) == 201);
  id = json_num(j, "id");
  cJSON_Delete(j);
  snprintf(url, sizeof url, "/api/v1/faces/%.0f", id);
  CHECK(get(url, &j) == 200);
  {
    char want[128];
    cJSON *s;
    snprintf(want, sizeof want, "/api/v1/faces/%.0f", src);
    CHECK(get(want, &s) == 200);
    CHECK(!strcmp(json_str(j, "sha256"), json_str(s, "sha256")));
    cJSON_Delete(s);
  }
  cJSON_Delete(j);
  snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/faces/%.0f/image",
           port, src);
  CHECK(post_url("/api/v1/recognize", url, &j) == 200);
  CHECK(!strcmp(json_str(at(j, "faces", 0), "person"), "Tony Blair"));
  cJSON_Delete(j);
  snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/nope", port);
  CHECK_ERR(post_url("/api/v1/recognize", url, &j), j, 400, "fetch_failed");
  api_cfg.fetch = NULL;
  CHECK(del("/api/v1/people/U", &j) == 200);
  cJSON_Delete(j);
}

/* /slow holds the one heavy slot of a second server: a recognize fetches
 * it and waits until released, so the next heavy request finds the gate
 * full. */
static pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cv = PTHREAD_COND_INITIALIZER;
static int slow_entered, slow_released;

static lk_err slow(struct lk_http_req *req, struct lk_http_resp *resp,
                   void *ctx)
{
  size_t n;
  unsigned char *d = client_slurp(TONY(4), &n);
  lk_err err;
  (void)req;
  (void)ctx;
  pthread_mutex_lock(&slow_mu);
  slow_entered = 1;
  pthread_cond_broadcast(&slow_cv);
  while(!slow_released)
    pthread_cond_wait(&slow_cv, &slow_mu);
  pthread_mutex_unlock(&slow_mu);
  err = lk_http_resp_bytes(resp, 200, "image/jpeg", d, n);
  free(d);
  return err;
}

struct busy_call {
  unsigned port;
  int status;
};

static void *busy_first(void *arg)
{
  struct busy_call *c = arg;
  char body[128];
  cJSON *j;
  snprintf(body, sizeof body, "{\"url\":\"http://127.0.0.1:%u/slow\"}",
           c->port);
  c->status = call_on(c->port, "POST", "/api/v1/recognize", JSON, body,
                      strlen(body), NULL, &j, NULL);
  cJSON_Delete(j);
  return NULL;
}

static void test_busy(void)
{
  static const char *const allow[] = { "127.0.0.0/8", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  struct lk_http_config hc = lk_http_config_default();
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  struct lk_http_server *one;
  struct busy_call first = { 0, 0 };
  struct reply r;
  char retry[16];
  pthread_t t;
  size_t n = lk_api_native_routes(&api, routes, LK_API_MAX_ROUTES - 1);
  cJSON *j;

  routes[n] = (struct lk_http_route){ "GET", "/slow", slow, NULL, 0, NULL };
  hc.heavy_max = 1;
  hc.heavy_queue = 0;
  hc.on_error = lk_api_native_error;
  one = test_server(&hc, routes, n + 1);
  CHECK(one != NULL);
  if(!one)
    return;
  p.allow = allow;
  api_cfg.fetch = &p;
  first.port = lk_http_server_port(one);
  CHECK(pthread_create(&t, NULL, busy_first, &first) == 0);
  pthread_mutex_lock(&slow_mu);
  while(!slow_entered)
    pthread_cond_wait(&slow_cv, &slow_mu);
  pthread_mutex_unlock(&slow_mu);
  CHECK(call_on(first.port, "POST", "/api/v1/detect", JSON, "{}", 2, NULL,
                &j, &r) == 503);
  CHECK(reply_header(&r, "Retry-After", retry, sizeof retry) &&
        strtol(retry, NULL, 10) >= 1);
  reply_free(&r);
  CHECK_ERR(503, j, 503, "busy");
  /* light routes are not gated */
  CHECK(call_on(first.port, "GET", "/api/v1/status", NULL, NULL, 0, NULL, &j,
                NULL) == 200);
  cJSON_Delete(j);
  pthread_mutex_lock(&slow_mu);
  slow_released = 1;
  pthread_cond_broadcast(&slow_cv);
  pthread_mutex_unlock(&slow_mu);
  pthread_join(t, NULL);
  CHECK(first.status == 200);
  api_cfg.fetch = NULL;
  CHECK(lk_http_server_stop(one, 2000) == LK_OK);
  lk_http_server_destroy(one);
}

/* ---- concurrency ------------------------------------------------------ */

#define WRITERS 4
#define PER_WRITER 3

static const char *const crowd[WRITERS][PER_WRITER] = {
  { LFW "Abdullah_Gul/Abdullah_Gul_0001.jpg",
    LFW "Abdullah_Gul/Abdullah_Gul_0002.jpg",
    LFW "Abdullah_Gul/Abdullah_Gul_0003.jpg" },
  { LFW "Benazir_Bhutto/Benazir_Bhutto_0001.jpg",
    LFW "Benazir_Bhutto/Benazir_Bhutto_0002.jpg",
    LFW "Benazir_Bhutto/Benazir_Bhutto_0003.jpg" },
  { LFW "Lucy_Liu/Lucy_Liu_0001.jpg", LFW "Lucy_Liu/Lucy_Liu_0002.jpg",
    LFW "Lucy_Liu/Lucy_Liu_0003.jpg" },
  { LFW "Jack_Straw/Jack_Straw_0001.jpg", LFW "Jack_Straw/Jack_Straw_0002.jpg",
    LFW "Jack_Straw/Jack_Straw_0003.jpg" },
};

struct writer {
  int index;
  double ids[PER_WRITER];
  int ok;
};

/* Half the writers add to one shared person, half to their own. */
static void *write_faces(void *arg)
{
  struct writer *w = arg;
  char target[128], field[300];
  int k;
  cJSON *j;
  if(w->index % 2)
    snprintf(target, sizeof target, "/api/v1/people/Crowd/faces");
  else
    snprintf(target, sizeof target, "/api/v1/people/Writer%d/faces",
             w->index);
  for(k = 0; k < PER_WRITER; k++) {
    snprintf(field, sizeof field, "image=@%s", crowd[w->index][k]);
    w->ok += post_form(target, &j, field, NULL) == 201;
    w->ids[k] = json_num(j, "id");
    cJSON_Delete(j);
  }
  return NULL;
}

static void test_concurrent_writes(void)
{
  struct writer w[WRITERS];
  pthread_t t[WRITERS];
  int64_t before = live_faces();
  int i, k, m, distinct = 1;
  cJSON *j;

  for(i = 0; i < WRITERS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].index = i;
    CHECK(pthread_create(&t[i], NULL, write_faces, &w[i]) == 0);
  }
  for(i = 0; i < WRITERS; i++) {
    pthread_join(t[i], NULL);
    CHECK_MSG(w[i].ok == PER_WRITER, "writer %d: %d of %d stored", i,
              w[i].ok, PER_WRITER);
  }
  for(i = 0; i < WRITERS * PER_WRITER; i++)
    for(m = i + 1; m < WRITERS * PER_WRITER; m++)
      distinct &= w[i / PER_WRITER].ids[i % PER_WRITER] !=
                  w[m / PER_WRITER].ids[m % PER_WRITER];
  CHECK(distinct);
  CHECK(live_faces() == before + WRITERS * PER_WRITER);
  CHECK(person_faces("Crowd") == PER_WRITER * (WRITERS / 2));
  CHECK(person_faces("Writer0") == PER_WRITER);
  CHECK(get("/api/v1/faces?limit=1000", &j) == 200);
  CHECK(json_num(j, "total") == (double)live_faces() &&
        count(j, "faces") == (int)live_faces());
  cJSON_Delete(j);
  for(k = 0; k < WRITERS; k += 2) {
    char target[64];
    snprintf(target, sizeof target, "/api/v1/people/Writer%d", k);
    CHECK(del(target, &j) == 200);
    cJSON_Delete(j);
  }
  CHECK(del("/api/v1/people/Crowd", &j) == 200);
  CHECK(json_num(j, "deleted_faces") == PER_WRITER * (WRITERS / 2));
  cJSON_Delete(j);
  CHECK(live_faces() == before);
}

int main(void)
{
  if(native_start("native_vision"))
    return 1;
  RUN(test_gallery);
  RUN(test_recognize);
  RUN(test_recognize_options);
  RUN(test_detect);
  RUN(test_compare);
  RUN(test_urls);
  RUN(test_busy);
  RUN(test_concurrent_writes);
  RUN(test_teardown);
  return fixture_end();
}
