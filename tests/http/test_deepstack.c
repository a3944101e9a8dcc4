/* test_deepstack.c - DeepStack's face API over real HTTP on 127.0.0.1, on
 * the real models and a real SQLite gallery: register (added, updated, any
 * field names, all or nothing), list, recognize (calibrated confidence,
 * unknown at 0), detect (largest first, whole pixels, min_confidence),
 * match, delete, the API key, and every DeepStack error string with its
 * status. Also the adapters' shared helpers (api_common.c). Memory in use
 * returns to where it started once everything is torn down. */
#include <stdarg.h>

#include "api_fixture.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define TONY1 "image=@" LFW "Tony_Blair/Tony_Blair_0001.jpg"
#define GROUP LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg"     /* 710x473 */
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"
#define TRUNCATED LK_TESTDATA "/compreface_samples/_formats/truncated.jpg"

static int chunked;      /* send the next requests chunked (Double Take) */

/* A form POST as curl -F builds it: see client_vpost_form in client.h. */
static int post(const char *target, cJSON **out, ...)
{
  va_list ap;
  int status;
  va_start(ap, out);
  status = client_vpost_form(port, chunked, target, out, ap);
  va_end(ap);
  return status;
}

static int post_raw(const char *target, const char *type, const void *body,
                    size_t n, cJSON **out)
{
  struct reply r;
  int status = http_post(port, target, type, body, n, 0, &r) ? 0 : r.status;
  *out = reply_json(&r);
  reply_free(&r);
  return status;
}

static int is_true(const cJSON *o, const char *key)
{
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* DeepStack's error shape: {"success":false,"error":...,"duration":0}. */
#define CHECK_ERROR(status, j, want_status, want_error) do { \
    CHECK_MSG((status) == (want_status), "status %d, want %d", (status), \
              (want_status)); \
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "success"))); \
    CHECK_MSG(!strcmp(json_str(j, "error"), want_error), "error '%s', " \
              "want '%s'", json_str(j, "error"), want_error); \
    CHECK(json_num(j, "duration") == 0); \
    cJSON_Delete(j); \
  } while(0)

/* Gallery size: the store's max_faces, so a register can run out. */
#define MAX_FACES 5

static int64_t live_faces(void)
{
  struct lk_store_counts c;
  CHECK(lk_store_counts(store, &c) == LK_OK);
  return c.faces;
}

static int64_t tombstones(void)
{
  struct lk_store_counts c;
  CHECK(lk_store_counts(store, &c) == LK_OK);
  return c.deleted_faces;
}

/* The names /list returns, joined with "|". */
static void list_names(char *out, size_t size)
{
  cJSON *j, *a, *it;
  size_t len = 0;
  out[0] = '\0';
  CHECK(post("/v1/vision/face/list", &j, NULL) == 200);
  CHECK(is_true(j, "success") && json_num(j, "duration") == 0);
  a = cJSON_GetObjectItemCaseSensitive(j, "faces");
  CHECK(cJSON_IsArray(a));
  cJSON_ArrayForEach(it, a) {
    int n = snprintf(out + len, size - len, "%s%s", len ? "|" : "",
                     cJSON_IsString(it) ? it->valuestring : "?");
    if(n > 0 && (size_t)n < size - len)
      len += (size_t)n;
  }
  cJSON_Delete(j);
}

static const cJSON *prediction(const cJSON *j, int i)
{
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j,
                                                             "predictions"),
                            i);
}

static int n_predictions(const cJSON *j)
{
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "predictions");
  return cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
}

static void test_register(void)
{
  cJSON *j;
  char names[256];
  CHECK(post("/v1/vision/face/register", &j, "userid=Tony Blair", TONY1,
             NULL) == 200);
  CHECK(is_true(j, "success") && json_num(j, "duration") == 0);
  CHECK(!strcmp(json_str(j, "message"), "face added"));
  cJSON_Delete(j);
  /* any field name; an existing userid gains a sample */
  CHECK(post("/v1/vision/face/register", &j, "userid=Tony Blair",
             "face=@" LFW "Tony_Blair/Tony_Blair_0002.jpg", NULL) == 200);
  CHECK(!strcmp(json_str(j, "message"), "face updated"));
  cJSON_Delete(j);
  /* two photos in one request, as DeepStack's image1, image2 */
  CHECK(post("/v1/vision/face/register", &j,
             "image1=@" LFW "Halle_Berry/Halle_Berry_0001.jpg",
             "image2=@" LFW "Halle_Berry/Halle_Berry_0002.jpg",
             "userid=Halle Berry", NULL) == 200);
  CHECK(!strcmp(json_str(j, "message"), "face added"));
  cJSON_Delete(j);
  CHECK(live_faces() == 4);
  list_names(names, sizeof names);
  CHECK_MSG(!strcmp(names, "Halle Berry|Tony Blair"), "list: %s", names);
}

/* Register stores nothing unless every photo has a face; a bad photo is
 * found before anything is stored (no tombstones either). */
static void test_register_all_or_nothing(void)
{
  cJSON *j;
  char names[256];
  int64_t before = live_faces(), deleted = tombstones();
  CHECK_ERROR(post("/v1/vision/face/register", &j, "userid=Ghost",
                   "image=@" NOFACE, NULL), j, 400, "no face detected");
  CHECK_ERROR(post("/v1/vision/face/register", &j, "userid=Ghost",
                   "a=@" LFW "Andre_Agassi/Andre_Agassi_0001.jpg",
                   "b=@" NOFACE, NULL), j, 400, "no face detected");
  CHECK_ERROR(post("/v1/vision/face/register", &j, "userid=Tony Blair",
                   "a=@" LFW "Tony_Blair/Tony_Blair_0003.jpg",
                   "b=@" TRUNCATED, NULL), j, 400, "invalid image");
  CHECK(live_faces() == before);
  CHECK(tombstones() == deleted);
  list_names(names, sizeof names);
  CHECK_MSG(!strcmp(names, "Halle Berry|Tony Blair"), "list: %s", names);
}

/* A failure after some faces were stored takes them back: the gallery
 * has room for one more face and the request brings two. */
static void test_register_rollback(void)
{
  cJSON *j;
  char names[256];
  int64_t before = live_faces(), deleted = tombstones();
  CHECK(before == MAX_FACES - 1);
  CHECK_ERROR(post("/v1/vision/face/register", &j, "userid=Ghost",
                   "a=@" LFW "Andre_Agassi/Andre_Agassi_0001.jpg",
                   "b=@" LFW "Andre_Agassi/Andre_Agassi_0002.jpg", NULL), j,
              413, "image too large or gallery full");
  CHECK(live_faces() == before);
  CHECK(tombstones() == deleted + 1);
  list_names(names, sizeof names);
  CHECK_MSG(!strcmp(names, "Halle Berry|Tony Blair"), "list: %s", names);
}

static void test_recognize(void)
{
  cJSON *j;
  const cJSON *p;
  chunked = 1;    /* Double Take's axios uploads have no Content-Length */
  CHECK(post("/v1/vision/face/recognize", &j,
             "image=@" LFW "Tony_Blair/Tony_Blair_0003.jpg", NULL) == 200);
  chunked = 0;
  CHECK(is_true(j, "success") && json_num(j, "duration") == 0);
  p = prediction(j, 0);
  CHECK_MSG(!strcmp(json_str(p, "userid"), "Tony Blair"), "userid %s",
            json_str(p, "userid"));
  CHECK_MSG(json_num(p, "confidence") >= 0.67 &&
            json_num(p, "confidence") <= 1.0, "confidence %g",
            json_num(p, "confidence"));
  CHECK(json_num(p, "x_min") >= 0 && json_num(p, "x_max") <= 250 &&
        json_num(p, "x_min") < json_num(p, "x_max") &&
        json_num(p, "y_max") <= 250 && json_num(p, "y_min") >= 0);
  CHECK(json_num(p, "x_min") == (int)json_num(p, "x_min"));
  cJSON_Delete(j);

  /* a stranger: every face unknown at 0 */
  CHECK(post("/v1/vision/face/recognize", &j,
             "image=@" LFW "Andre_Agassi/Andre_Agassi_0001.jpg", NULL) == 200);
  p = prediction(j, 0);
  CHECK(n_predictions(j) >= 1);
  CHECK(!strcmp(json_str(p, "userid"), "unknown"));
  CHECK(json_num(p, "confidence") == 0);
  cJSON_Delete(j);
  /* min_confidence 0 names even a stranger, with its low confidence */
  CHECK(post("/v1/vision/face/recognize", &j, "min_confidence=0",
             "image=@" LFW "Andre_Agassi/Andre_Agassi_0001.jpg", NULL) == 200);
  p = prediction(j, 0);
  CHECK(strcmp(json_str(p, "userid"), "unknown") != 0);
  CHECK(json_num(p, "confidence") < 0.5);
  cJSON_Delete(j);
  /* min_confidence 1: nobody reaches it */
  CHECK(post("/v1/vision/face/recognize", &j, "min_confidence=1",
             "image=@" LFW "Tony_Blair/Tony_Blair_0003.jpg", NULL) == 200);
  CHECK(!strcmp(json_str(prediction(j, 0), "userid"), "unknown"));
  cJSON_Delete(j);
  /* no face: an empty list, not an error */
  CHECK(post("/v1/vision/face/recognize", &j, "image=@" NOFACE, NULL) ==
        200);
  CHECK(is_true(j, "success") && n_predictions(j) == 0);
  cJSON_Delete(j);
}

/* Detections: whole pixels inside the 710x473 photo, none empty, each
 * above min_confidence, no userid; ordered: largest first. 1 when all of
 * that holds. The order is of the boxes before rounding and clamping, so
 * two faces of nearly equal size may swap by up to a rounding's worth of
 * area (bbt4.jpg has such a pair); at min_confidence 0 noise boxes reach
 * far past the edges, and clamping reorders them entirely. */
static int detections_ok(const cJSON *j, double min, int ordered)
{
  const cJSON *p;
  double last = 1e12, slack = 0;
  int ok = is_true(j, "success") && n_predictions(j) >= 0;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(j, "predictions")) {
    double x0 = json_num(p, "x_min"), y0 = json_num(p, "y_min");
    double x1 = json_num(p, "x_max"), y1 = json_num(p, "y_max");
    double area = (x1 - x0) * (y1 - y0);
    ok = ok && x0 == (int)x0 && y0 == (int)y0 && x1 == (int)x1 &&
         y1 == (int)y1 && x0 >= 0 && y0 >= 0 && x1 <= 710 && y1 <= 473 &&
         x0 < x1 && y0 < y1 && (!ordered || area <= last + slack) &&
         json_num(p, "confidence") > min &&
         json_num(p, "confidence") <= 1 &&
         !cJSON_GetObjectItemCaseSensitive(p, "userid");
    last = area;
    slack = (x1 - x0) + (y1 - y0) + 1;
  }
  return ok;
}

static void test_detect(void)
{
  cJSON *j;
  int n_default, n;
  /* server.go's own route is "/v1/vision/face/" */
  CHECK(post("/v1/vision/face/", &j, "image=@" GROUP, NULL) == 200);
  n_default = n_predictions(j);
  CHECK_MSG(n_default >= 5, "%d faces", n_default);
  CHECK(detections_ok(j, 0.55, 1));
  CHECK(json_num(j, "duration") == 0);
  cJSON_Delete(j);
  CHECK(post("/v1/vision/face", &j, "image=@" GROUP, "min_confidence=0.9",
             NULL) == 200);
  n = n_predictions(j);
  CHECK(n >= 1 && n <= n_default && detections_ok(j, 0.9, 1));
  cJSON_Delete(j);
  CHECK(post("/v1/vision/face", &j, "image=@" GROUP, "min_confidence=0",
             NULL) == 200);
  n = n_predictions(j);
  CHECK_MSG(n >= n_default && n <= LK_FACE_MAX_FACES, "%d faces", n);
  CHECK(detections_ok(j, 0, 0));
  cJSON_Delete(j);
  CHECK(post("/v1/vision/face", &j, "image=@" GROUP, "min_confidence=1",
             NULL) == 200);
  CHECK(n_predictions(j) == 0);
  cJSON_Delete(j);
}

static double match(const char *a, const char *b)
{
  cJSON *j;
  double s = -1;
  if(post("/v1/vision/face/match", &j, a, b, NULL) == 200 &&
     is_true(j, "success") && json_num(j, "duration") == 0)
    s = json_num(j, "similarity");
  cJSON_Delete(j);
  return s;
}

static void test_match(void)
{
  double same = match("image1=@" LFW "Halle_Berry/Halle_Berry_0004.jpg",
                      "image2=@" LFW "Halle_Berry/Halle_Berry_0005.jpg");
  double other = match("image1=@" LFW "Halle_Berry/Halle_Berry_0003.jpg",
                       "image2=@" LFW "Tony_Blair/Tony_Blair_0003.jpg");
  cJSON *j;
  CHECK_MSG(same >= 0.67 && same <= 1, "same person: %g", same);
  CHECK_MSG(other >= 0 && other < 0.1, "different people: %g", other);
  CHECK_ERROR(post("/v1/vision/face/match", &j, "image1=@" GROUP,
                   "image2=@" NOFACE, NULL), j, 400, "no face found");
  CHECK_ERROR(post("/v1/vision/face/match", &j, "image1=@" GROUP,
                   "image2=@" TRUNCATED, NULL), j, 400, "invalid image");
}

static void test_delete(void)
{
  cJSON *j;
  char names[256];
  static const char form[] = "userid=Tony+Blair";
  CHECK(post("/v1/vision/face/delete", &j, "userid=Halle Berry", NULL) ==
        200);
  CHECK(is_true(j, "success") && json_num(j, "duration") == 0);
  cJSON_Delete(j);
  list_names(names, sizeof names);
  CHECK_MSG(!strcmp(names, "Tony Blair"), "list: %s", names);
  /* urlencoded, as no file is needed */
  CHECK(post_raw("/v1/vision/face/delete",
                 "application/x-www-form-urlencoded", form, strlen(form),
                 &j) == 200);
  CHECK(is_true(j, "success"));
  cJSON_Delete(j);
  /* idempotent: names it never had are fine too */
  CHECK(post("/v1/vision/face/delete", &j, "userid=Tony Blair", NULL) ==
        200);
  CHECK(is_true(j, "success"));
  cJSON_Delete(j);
  list_names(names, sizeof names);
  CHECK_MSG(!strcmp(names, ""), "list: %s", names);
  CHECK(live_faces() == 0);
  /* an empty gallery: faces come back unknown */
  CHECK(post("/v1/vision/face/recognize", &j, TONY1, NULL) == 200);
  CHECK(!strcmp(json_str(prediction(j, 0), "userid"), "unknown"));
  CHECK(json_num(prediction(j, 0), "confidence") == 0);
  cJSON_Delete(j);
}

static void test_errors(void)
{
  static const char *const paths[] = { "/v1/vision/face",
                                       "/v1/vision/face/recognize",
                                       "/v1/vision/face/register" };
  static const char form[] = "userid=x&min_confidence=0.5";
  cJSON *j;
  size_t i;
  for(i = 0; i < 3; i++) {
    /* no file, a plain field named image, a urlencoded body */
    CHECK_ERROR(post(paths[i], &j, "userid=x", NULL), j, 400,
                "No valid image file found");
    CHECK_ERROR(post(paths[i], &j, "userid=x", "image=abc", NULL), j, 400,
                "No valid image file found");
    CHECK_ERROR(post_raw(paths[i], "application/x-www-form-urlencoded",
                         form, strlen(form), &j), j, 400,
                "No valid image file found");
    CHECK_ERROR(post(paths[i], &j, "userid=x", "image=@" TRUNCATED, NULL),
                j, 400, "invalid image");
  }
  CHECK_ERROR(post("/v1/vision/face/register", &j, TONY1, NULL), j, 400,
              "userid not specified");
  CHECK_ERROR(post("/v1/vision/face/register", &j, TONY1, "userid=", NULL),
              j, 400, "userid not specified");
  CHECK_ERROR(post("/v1/vision/face/delete", &j, "x=y", NULL), j, 400,
              "userid not specified");
  CHECK_ERROR(post("/v1/vision/face/match", &j, "x=y", NULL), j, 400,
              "No valid image file found");
  CHECK_ERROR(post("/v1/vision/face/match", &j, "image=@" GROUP, NULL), j,
              400, "expected two image files, only one found");
  CHECK_ERROR(post("/v1/vision/face/match", &j, "a=@" GROUP, "b=@" GROUP,
                   "c=@" GROUP, NULL), j, 400, "only two images allowed");
  CHECK(live_faces() == 0);
}

static void test_min_confidence(void)
{
  static const char *const bad[] = { "abc", " 0.5", "0.5 ", "nan", "1e400",
                                     "0.5x" };
  static const char *const big[] = { "1.5", "inf", "1.0000001", "2e0" };
  char field[64];
  cJSON *j;
  size_t i;
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(field, sizeof field, "min_confidence=%s", bad[i]);
    CHECK_ERROR(post("/v1/vision/face/recognize", &j, TONY1, field, NULL),
                j, 400, "Invalid value for min_confidence");
  }
  for(i = 0; i < sizeof big / sizeof big[0]; i++) {
    snprintf(field, sizeof field, "min_confidence=%s", big[i]);
    CHECK_ERROR(post("/v1/vision/face", &j, TONY1, field, NULL), j, 400,
                "min_confidence cannot be greater than 1");
  }
  /* the image is checked first, as in server.go */
  CHECK_ERROR(post("/v1/vision/face", &j, "min_confidence=abc", NULL), j,
              400, "No valid image file found");
  /* empty is the default */
  CHECK(post("/v1/vision/face", &j, TONY1, "min_confidence=", NULL) == 200);
  cJSON_Delete(j);
}

static void test_api_key(void)
{
  static const char nul_key[] = "--" MP_BOUNDARY "\r\nContent-Disposition: "
    "form-data; name=\"api_key\"\r\n\r\ns3cret\0x\r\n--" MP_BOUNDARY "--\r\n";
  cJSON *j;
  api_cfg.deepstack_api_key = "s3cret";
  CHECK_ERROR(post("/v1/vision/face/list", &j, NULL), j, 401,
              "Incorrect api key");
  CHECK_ERROR(post("/v1/vision/face/list", &j, "api_key=s3cre", NULL), j,
              401, "Incorrect api key");
  CHECK_ERROR(post("/v1/vision/face/list", &j, "api_key=s3crets", NULL), j,
              401, "Incorrect api key");
  CHECK_ERROR(post_raw("/v1/vision/face/list", "multipart/form-data; "
                       "boundary=" MP_BOUNDARY, nul_key, sizeof nul_key - 1,
                       &j), j, 401, "Incorrect api key");
  /* the key is checked before anything else */
  CHECK_ERROR(post("/v1/vision/face/recognize", &j, NULL), j, 401,
              "Incorrect api key");
  CHECK_ERROR(post("/v1/vision/face/delete", &j, "api_key=nope", NULL), j,
              401, "Incorrect api key");
  CHECK(post("/v1/vision/face/list", &j, "api_key=s3cret", NULL) == 200);
  CHECK(is_true(j, "success"));
  cJSON_Delete(j);
  CHECK(post("/v1/vision/face", &j, "api_key=s3cret", TONY1, NULL) == 200);
  CHECK(n_predictions(j) >= 1);
  cJSON_Delete(j);
  /* deepstack-python always sends api_key, "" when it has none */
  api_cfg.deepstack_api_key = NULL;
  CHECK(post("/v1/vision/face/list", &j, "api_key=", NULL) == 200);
  cJSON_Delete(j);
}

/* The layer's own errors come in DeepStack's shape too. */
static void test_layer_errors(void)
{
  struct reply r;
  cJSON *j;
  CHECK_ERROR(post("/v1/vision/face/nope", &j, "x=y", NULL), j, 404,
              "not found");
  CHECK(http_get(port, "/v1/vision/face/list", &r) == 0);
  j = reply_json(&r);
  CHECK_ERROR(r.status, j, 405, "method not allowed");
  reply_free(&r);
}

static void test_routes(void)
{
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  size_t i, n = lk_api_deepstack_routes(&api, routes, LK_API_MAX_ROUTES);
  CHECK(n == 6);
  CHECK(lk_api_deepstack_routes(&api, routes, 5) == 0);
  for(i = 0; i < n; i++) {
    int heavy = !strstr(routes[i].pattern, "/list") &&
                !strstr(routes[i].pattern, "/delete");
    CHECK(!strcmp(routes[i].method, "POST"));
    CHECK(routes[i].ctx == &api);
    CHECK(routes[i].on_error == lk_api_deepstack_error);
    CHECK_MSG(!!(routes[i].flags & LK_HTTP_HEAVY) == heavy, "%s",
              routes[i].pattern);
  }
}

static void test_helpers(void)
{
  struct lk_box box = { -3.4f, 10.5f, 712.6f, 1e30f };
  struct lk_api_box b;
  double v = -1;
  CHECK(lk_api_number("0.5", &v) == LK_OK && v == 0.5);
  CHECK(lk_api_number("-2", &v) == LK_OK && v == -2);
  CHECK(lk_api_number("1e-3", &v) == LK_OK && v == 1e-3);
  CHECK(lk_api_number("0x1p-1", &v) == LK_OK && v == 0.5);
  CHECK(lk_api_number("+Inf", &v) == LK_OK && isinf(v));
  CHECK(lk_api_number("", &v) == LK_ERR_INVAL);
  CHECK(lk_api_number(NULL, &v) == LK_ERR_INVAL);
  CHECK(lk_api_number("\t1", &v) == LK_ERR_INVAL);
  CHECK(lk_api_number("NaN", &v) == LK_ERR_INVAL);
  CHECK(lk_api_key_equal("abc", 3, "abc"));
  CHECK(!lk_api_key_equal("abc", 2, "abc"));
  CHECK(!lk_api_key_equal("abd", 3, "abc"));
  CHECK(!lk_api_key_equal("abc\0", 4, "abc"));
  CHECK(!lk_api_key_equal(NULL, 0, "abc"));
  CHECK(lk_api_key_equal("", 0, ""));
  lk_api_box_round(&box, 710, 473, &b);
  CHECK(b.x_min == 0 && b.y_min == 11 && b.x_max == 710 && b.y_max == 473);
  CHECK(lk_api_fraction(0.12345678) == 0.123457);
  CHECK(lk_api_error_find((const struct lk_api_error[]){
          { LK_ERR_IMAGE, 400, "a" }, { LK_ERR_LAST, 500, "b" } },
          LK_ERR_NOMEM)->status == 500);
}

int main(void)
{
  static const struct fixture f = {
    "deepstack", lk_api_deepstack_routes, lk_api_deepstack_error, NULL, 0,
    MAX_FACES
  };
  if(fixture_start(&f))
    return 1;
  RUN(test_routes);
  RUN(test_helpers);
  RUN(test_register);
  RUN(test_register_all_or_nothing);
  RUN(test_register_rollback);
  RUN(test_recognize);
  RUN(test_detect);
  RUN(test_match);
  RUN(test_delete);
  RUN(test_errors);
  RUN(test_min_confidence);
  RUN(test_api_key);
  RUN(test_layer_errors);
  RUN(test_teardown);
  return fixture_end();
}
