/* test_dt_api_match.c - Double Take's /api/match and /api/storage routes
 * on a real server, a real matches store (with the fake clock of
 * matches_fixture.h) and, for reprocess, the real models and a gallery
 * with one registered person. Every answer is compared field by field:
 * pages, totals, filters, times, the response column, deletes down to the
 * files, a stranger's stored image reprocessed into a name, images plain,
 * with boxes and as thumbnails (decoded and measured), and every name that
 * must not reach the file system. */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "conf/conf.h"
#include "dt/dt_api_int.h"
#include "dt/dt_config.h"
#include "dt/dt_service.h"
#include "http/client.h"
#include "matches_fixture.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define BIDEN1 LFW "Joseph_Biden/Joseph_Biden_0001.jpg"
#define BIDEN3 LFW "Joseph_Biden/Joseph_Biden_0003.jpg"
#define N_ROWS 7
#define GRAY 128

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store;
static struct lk_pipeline *pipe_;
static struct lk_dt_matches *matches;
static struct lk_dt_service *svc;
static struct lk_arena *cfg_arena;
static struct lk_dt_config cfg;
static struct lk_dt_api api;
static struct lk_http_server *srv;
static unsigned port;

static int64_t ids[N_ROWS];
static char files[N_ROWS][LK_DT_MATCHES_FILE_SIZE];

/* ---- the client side ---------------------------------------------------- */

/* The test's on_error: Double Take's {"error":..} for the layer's own
 * answers (dt_api.c's lk_dt_api_error is not part of this module). */
static lk_err test_error(struct lk_http_req *req, struct lk_http_resp *resp,
                         int status, const char *message, void *ctx)
{
  (void)req;
  (void)ctx;
  return lk_dtapi_error(resp, status, message);
}

/* s percent-encoded for a query value. */
static const char *qenc(const char *s)
{
  static char out[4096];
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for(; *s && o + 4 < sizeof out; s++) {
    unsigned char c = (unsigned char)*s;
    if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = '\0';
  return out;
}

/* method target [JSON body]: the status, the body parsed in *out (NULL
 * when it is not JSON; the caller deletes it). */
static int call(const char *method, const char *target, const char *body,
                cJSON **out)
{
  struct reply r;
  int status = http_request(port, method, target, NULL,
                            body ? "application/json" : NULL, body,
                            body ? strlen(body) : 0, 0, &r) ? 0 : r.status;
  *out = reply_json(&r);
  reply_free(&r);
  return status;
}

static int get(const char *target, cJSON **out)
{
  return call("GET", target, NULL, out);
}

/* GET target into r (the caller frees it); the status. */
static int get_raw(const char *target, struct reply *r)
{
  return http_get(port, target, r) ? 0 : r->status;
}

static const cJSON *item(const cJSON *o, const char *key)
{
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* The ids listed in a page, newest first, as text: "7,6,5". */
static const char *page_ids(const cJSON *page)
{
  static char text[256];
  const cJSON *m;
  size_t o = 0;
  text[0] = '\0';
  cJSON_ArrayForEach(m, item(page, "matches")) {
    o += (size_t)snprintf(text + o, sizeof text - o, "%s%lld", o ? "," : "",
                          (long long)json_num(m, "id"));
    if(o >= sizeof text)
      break;
  }
  return text;
}

/* "ids[a],ids[b],..." for row numbers given as text "5,3,0". */
static const char *want_ids(const char *rows)
{
  static char text[256];
  size_t o = 0;
  const char *p = rows;
  text[0] = '\0';
  while(*p) {
    int i = (int)strtol(p, (char **)&p, 10);
    o += (size_t)snprintf(text + o, sizeof text - o, "%s%lld", o ? "," : "",
                          (long long)ids[i]);
    if(*p == ',')
      p++;
  }
  return text;
}

/* The 422 body names location and key. */
static int is_invalid(const cJSON *o, const char *location, const char *key)
{
  const cJSON *e = cJSON_GetArrayItem(item(o, "errors"), 0);
  return e && !strcmp(json_str(e, "location"), location) &&
         !strcmp(json_str(e, "key"), key) &&
         !strcmp(json_str(e, "error"), "Invalid value");
}

/* A decoded JPEG answer; LK_OK when r->body is one. */
static lk_err decode(const struct reply *r, struct lk_arena *a,
                     struct lk_image *img)
{
  struct lk_image_opts o = lk_image_default_opts();
  return lk_image_decode(r->body, r->len, &o, a, img, NULL);
}

static const unsigned char *px(const struct lk_image *img, int x, int y)
{
  return img->rgb + ((size_t)y * img->width + x) * 3;
}

static int near(const unsigned char *p, int r, int g, int b, int tol)
{
  return abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
}

/* a JSON array of strings equals want, "a,b,c" */
static int strings_are(const cJSON *a, const char *want)
{
  char text[256] = "";
  const cJSON *e;
  size_t o = 0;
  cJSON_ArrayForEach(e, a)
    o += (size_t)snprintf(text + o, sizeof text - o, "%s%s", o ? "," : "",
                          cJSON_IsString(e) ? e->valuestring : "?");
  return !strcmp(text, want);
}

/* ---- rows --------------------------------------------------------------- */

static struct lk_dt_match_face face(const char *detector, const char *name,
                                    double conf, int match, int left, int top,
                                    int side)
{
  struct lk_dt_match_face f;
  memset(&f, 0, sizeof f);
  f.detector = detector;
  f.name = name;
  f.confidence = conf;
  f.match = match;
  f.left = left;
  f.top = top;
  f.width = side;
  f.height = side;
  return f;
}

/* Seven rows, a second apart, each with a result Double Take's shape
 * (without the file name, as the service writes it). Row 4 has no face. */
static void save_rows(void)
{
  static const char *const cameras[N_ROWS] = {
    "front", "back", "front", "front", "garage", "back", "front" };
  static const char *const types[N_ROWS] = {
    "snapshot", "latest", "mqtt", "snapshot", "manual", "snapshot", "latest" };
  static const char *const zones[] = { "yard", "porch" };
  struct lk_dt_match_face f[N_ROWS][2] = {
    { face("compreface", "ada", 95, 1, 100, 60, 120) },
    { face("compreface", "bob", 50, 0, 10, 10, 80) },
    { face("compreface", "unknown", 20, 0, 10, 10, 40) },
    { face("compreface", "ada", 70, 1, 100, 60, 120),
      face("compreface", "bob", 91, 1, 10, 150, 60) },
    { face("compreface", "x", 0, 0, 0, 0, 0) },
    { face("deepstack", "ada", 99, 1, 10, 10, 200) },
    { face("compreface", "carl", 65, 1, 10, 10, 100) },
  };
  static const int n_faces[N_ROWS] = { 1, 1, 1, 2, 0, 1, 1 };
  char result[256], why[LK_DT_MATCHES_ERRMAX] = "";
  size_t len;
  unsigned char *jpg = mf_jpeg(320, 240, GRAY, GRAY, GRAY, &len);
  int i;
  for(i = 0; i < N_ROWS; i++) {
    struct lk_dt_match_new r = mf_row("ev", cameras[i], types[i], f[i],
                                      n_faces[i], jpg, len);
    snprintf(result, sizeof result, "[{\"detector\":\"compreface\","
             "\"duration\":%d.5,\"attempt\":1,\"results\":[]}]", i);
    r.result = result;
    r.zones = zones;
    r.n_zones = i == 0 ? 2 : 0;
    mf_clock = MF_T0 + i + 0.25;
    CHECK_MSG(lk_dt_matches_save(matches, &r, &ids[i], files[i], why) ==
              LK_OK, "%s", why);
  }
  lk_free(jpg);
}

/* ---- tests -------------------------------------------------------------- */

static void test_list_fields(void)
{
  cJSON *o;
  const cJSON *m, *file, *resp0;
  char key[64];
  CHECK(get("/api/match", &o) == 200);
  CHECK(json_num(o, "total") == N_ROWS);
  CHECK(json_num(o, "limit") == 3);         /* ui.pagination.limit */
  CHECK_MSG(!strcmp(page_ids(o), want_ids("6,5,4")), "%s", page_ids(o));
  cJSON_Delete(o);

  CHECK(get("/api/match?page=3", &o) == 200);
  CHECK_MSG(!strcmp(page_ids(o), want_ids("0")), "%s", page_ids(o));
  m = cJSON_GetArrayItem(item(o, "matches"), 0);
  CHECK(!strcmp(json_str(m, "camera"), "front"));
  CHECK(!strcmp(json_str(m, "type"), "snapshot"));
  CHECK(strings_are(item(m, "zones"), "yard,porch"));
  file = item(m, "file");
  snprintf(key, sizeof key, "matches/%s", files[0]);
  CHECK(!strcmp(json_str(file, "key"), key));
  CHECK(!strcmp(json_str(file, "filename"), files[0]));
  CHECK(json_num(file, "width") == 320 && json_num(file, "height") == 240);
  CHECK(cJSON_IsFalse(item(m, "isTrained")));
  CHECK(!strcmp(json_str(m, "createdAt"), "2023-11-14T22:13:20.250Z"));
  CHECK(cJSON_IsNull(item(m, "updatedAt")));
  CHECK(cJSON_IsNull(item(m, "token")));
  resp0 = cJSON_GetArrayItem(item(m, "response"), 0);
  CHECK(!strcmp(json_str(resp0, "detector"), "compreface"));
  CHECK(json_num(resp0, "duration") == 0.5);
  CHECK(cJSON_IsArray(item(resp0, "results")));
  CHECK(!strcmp(json_str(resp0, "filename"), files[0]));
  cJSON_Delete(o);

  CHECK(get("/api/match?page=2", &o) == 200);
  CHECK_MSG(!strcmp(page_ids(o), want_ids("3,2,1")), "%s", page_ids(o));
  cJSON_Delete(o);
  CHECK(get("/api/match?page=4", &o) == 200);
  CHECK(json_num(o, "total") == N_ROWS);
  CHECK(cJSON_GetArraySize(item(o, "matches")) == 0);
  cJSON_Delete(o);
}

static void test_list_since(void)
{
  char target[128];
  cJSON *o;
  snprintf(target, sizeof target, "/api/match?sinceId=%lld",
           (long long)ids[4]);
  CHECK(get(target, &o) == 200);
  CHECK(json_num(o, "total") == 2);
  CHECK_MSG(!strcmp(page_ids(o), want_ids("6,5")), "%s", page_ids(o));
  cJSON_Delete(o);
}

/* filters, then the rows (newest first) and total it must give. */
static void check_filter(const char *filters, long long since,
                         const char *rows, int total)
{
  char target[4200];
  cJSON *o;
  snprintf(target, sizeof target, "/api/match?sinceId=%lld&filters=%s",
           since, qenc(filters));
  CHECK_MSG(get(target, &o) == 200, "%s", filters);
  CHECK_MSG(json_num(o, "total") == total, "%s: total %g", filters,
            json_num(o, "total"));
  CHECK_MSG(!strcmp(page_ids(o), want_ids(rows)), "%s: %s", filters,
            page_ids(o));
  cJSON_Delete(o);
}

static void test_list_filters(void)
{
  check_filter("{\"names\":[\"ada\"]}", 0, "5,3,0", 3);
  /* all face rules on one face: row 3's ada is at 70, its bob at 91 */
  check_filter("{\"names\":[\"ada\"],\"confidence\":90}", 0, "5,0", 2);
  check_filter("{\"names\":[\"ada\",\"bob\"],\"confidence\":90}", 0,
               "5,3,0", 3);
  check_filter("{\"names\":[\"ada\"],\"confidence\":90,\"width\":150}", 0,
               "5", 1);
  check_filter("{\"matches\":[\"miss\"]}", 0, "2,1", 2);
  check_filter("{\"cameras\":[\"back\"]}", 0, "5,1", 2);
  check_filter("{\"types\":[\"snapshot\"],\"cameras\":[\"front\"]}", 0,
               "3,0", 2);
  check_filter("{\"detectors\":[\"deepstack\"]}", 0, "5", 1);
  check_filter("{\"height\":130.5}", 0, "5", 1);
  check_filter("{\"names\":[]}", 0, "", 0);      /* Double Take's IN () */
  check_filter("{}", 0, "6,5,4", N_ROWS);
  check_filter("{\"names\":null,\"cameras\":[\"front\"]}", 0, "6,3,2", 4);
  check_filter("{\"names\":[\"ada\"]}", (long long)ids[0], "5,3", 2);
}

static void test_list_invalid(void)
{
  static const char *const bad_filters[] = {
    "not json", "[1]", "\"ada\"", "{\"names\":\"ada\"}", "{\"names\":[1]}",
    "{\"confidence\":\"90\"}", "{\"confidence\":101}", "{\"width\":-1}",
    "{\"names\":[\"ada\"]} trailing", "{\"types\":{}}",
  };
  static const char *const bad_query[][2] = {
    { "/api/match?page=0", "page" }, { "/api/match?page=x", "page" },
    { "/api/match?page=1.5", "page" }, { "/api/match?page=", "page" },
    { "/api/match?page=99999999999", "page" },
    { "/api/match?sinceId=-1", "sinceId" },
    { "/api/match?sinceId=abc", "sinceId" },
  };
  char target[512];
  size_t i;
  cJSON *o;
  for(i = 0; i < sizeof bad_filters / sizeof bad_filters[0]; i++) {
    snprintf(target, sizeof target, "/api/match?filters=%s",
             qenc(bad_filters[i]));
    CHECK_MSG(get(target, &o) == 422, "%s", bad_filters[i]);
    CHECK_MSG(is_invalid(o, "query", "filters"), "%s", bad_filters[i]);
    cJSON_Delete(o);
  }
  for(i = 0; i < sizeof bad_query / sizeof bad_query[0]; i++) {
    CHECK_MSG(get(bad_query[i][0], &o) == 422, "%s", bad_query[i][0]);
    CHECK_MSG(is_invalid(o, "query", bad_query[i][1]), "%s",
              bad_query[i][0]);
    cJSON_Delete(o);
  }
}

static void test_filters_route(void)
{
  cJSON *o;
  CHECK(get("/api/match/filters", &o) == 200);
  CHECK(json_num(o, "total") == N_ROWS);
  CHECK(strings_are(item(o, "detectors"), "compreface,deepstack"));
  CHECK(strings_are(item(o, "names"), "ada,bob,carl,unknown"));
  CHECK(strings_are(item(o, "matches"), "match,miss"));
  CHECK(strings_are(item(o, "cameras"), "back,front,garage"));
  CHECK(strings_are(item(o, "types"), "latest,manual,mqtt,snapshot"));
  cJSON_Delete(o);
}

static void test_storage_plain_and_thumb(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_image img;
  struct reply r;
  char target[128], path[512], h[128];
  unsigned char *disk;
  size_t len;

  snprintf(target, sizeof target, "/api/storage/matches/%s", files[0]);
  CHECK(get_raw(target, &r) == 200);
  mf_path(path, sizeof path, "matches", files[0]);
  disk = client_slurp(path, &len);
  CHECK(disk && r.len == len && !memcmp(r.body, disk, len));
  CHECK(reply_header(&r, "Content-Type", h, sizeof h) &&
        !strcmp(h, "image/jpeg"));
  CHECK(reply_header(&r, "Cache-Control", h, sizeof h) &&
        !strcmp(h, "private, max-age=86400"));
  free(disk);
  reply_free(&r);

  /* 320 x 240 at ui.thumbnails.width 64: 64 x 48, still gray */
  snprintf(target, sizeof target, "/api/storage/matches/%s?thumb", files[0]);
  CHECK(get_raw(target, &r) == 200);
  CHECK(decode(&r, a, &img) == LK_OK);
  CHECK_MSG(img.width == 64 && img.height == 48, "%dx%d", img.width,
            img.height);
  CHECK(near(px(&img, 32, 24), GRAY, GRAY, GRAY, 6));
  reply_free(&r);
  lk_arena_destroy(a);
}

/* A 40 x 30 image is narrower than the thumbnail: never scaled up. */
static void test_thumb_never_upscales(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_match_new row;
  struct lk_image img;
  struct reply r;
  char target[128], file[LK_DT_MATCHES_FILE_SIZE];
  size_t len;
  unsigned char *jpg = mf_jpeg(40, 30, 10, 200, 10, &len);
  int64_t id;
  row = mf_row("small", "front", "manual", NULL, 0, jpg, len);
  row.result = "[]";
  CHECK(lk_dt_matches_save(matches, &row, &id, file, NULL) == LK_OK);
  snprintf(target, sizeof target, "/api/storage/matches/%s?thumb", file);
  CHECK(get_raw(target, &r) == 200);
  CHECK(decode(&r, a, &img) == LK_OK);
  CHECK_MSG(img.width == 40 && img.height == 30, "%dx%d", img.width,
            img.height);
  reply_free(&r);
  CHECK(lk_dt_matches_delete(matches, &id, 1, NULL) == LK_OK);
  lk_free(jpg);
  lk_arena_destroy(a);
}

static void test_storage_box(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_image img;
  struct reply r;
  char target[128], h[64];
  cJSON *o;

  /* row 0: ada, a match, box 100,60 120 x 120 with 2-px green lines */
  snprintf(target, sizeof target, "/api/storage/matches/%s?box=true",
           files[0]);
  CHECK(get_raw(target, &r) == 200);
  CHECK(reply_header(&r, "Cache-Control", h, sizeof h) &&
        !strcmp(h, "private, no-cache"));
  CHECK(decode(&r, a, &img) == LK_OK);
  CHECK(img.width == 320 && img.height == 240);
  CHECK_MSG(near(px(&img, 100, 120), 20, 170, 60, 40), "left edge %d,%d,%d",
            px(&img, 100, 120)[0], px(&img, 100, 120)[1],
            px(&img, 100, 120)[2]);
  CHECK(near(px(&img, 219, 120), 20, 170, 60, 40));     /* right edge */
  CHECK(near(px(&img, 160, 120), GRAY, GRAY, GRAY, 8)); /* inside */
  CHECK(near(px(&img, 300, 230), GRAY, GRAY, GRAY, 8)); /* outside */
  reply_free(&r);

  /* row 1: bob below the threshold, orange */
  snprintf(target, sizeof target, "/api/storage/matches/%s?box=1",
           files[1]);
  CHECK(get_raw(target, &r) == 200);
  CHECK(decode(&r, a, &img) == LK_OK);
  CHECK(near(px(&img, 10, 50), 240, 140, 0, 40));
  reply_free(&r);

  /* box=false is the stored file; thumb with boxes is 64 wide */
  snprintf(target, sizeof target, "/api/storage/matches/%s?box=false&thumb",
           files[0]);
  CHECK(get_raw(target, &r) == 200);
  CHECK(decode(&r, a, &img) == LK_OK && img.width == 64);
  CHECK(near(px(&img, 5, 5), GRAY, GRAY, GRAY, 6));
  reply_free(&r);
  snprintf(target, sizeof target, "/api/storage/matches/%s?box=true&thumb",
           files[0]);
  CHECK(get_raw(target, &r) == 200);
  CHECK(decode(&r, a, &img) == LK_OK && img.width == 64 &&
        img.height == 48);
  CHECK(!near(px(&img, 20, 24), GRAY, GRAY, GRAY, 6));  /* 100/5: the line */
  reply_free(&r);

  snprintf(target, sizeof target, "/api/storage/matches/%s?box=maybe",
           files[0]);
  CHECK(get(target, &o) == 422 && is_invalid(o, "query", "box"));
  cJSON_Delete(o);
  lk_arena_destroy(a);
}

static void test_latest(void)
{
  static const char *const keys[] = { "ada", "front" };
  struct lk_dt_match_face f = face("compreface", "ada", 95, 1, 100, 60, 120);
  struct lk_arena *a = lk_arena_create(0);
  struct lk_image img;
  struct reply r, boxed;
  unsigned char *disk, *jpg;
  char path[512], h[64];
  size_t len, dlen;
  cJSON *o;

  jpg = mf_jpeg(320, 240, GRAY, GRAY, GRAY, &len);
  CHECK(lk_dt_matches_latest_save(matches, keys, 2, jpg, len, &f, 1, a) ==
        LK_OK);
  lk_free(jpg);
  CHECK(get_raw("/api/storage/latest/ada.jpg", &r) == 200);
  mf_path(path, sizeof path, "latest", "ada.jpg");
  disk = client_slurp(path, &dlen);
  CHECK(disk && r.len == dlen && !memcmp(r.body, disk, dlen));
  CHECK(reply_header(&r, "Cache-Control", h, sizeof h) &&
        !strcmp(h, "no-store"));
  /* drawn when written: ?box=true is the same image */
  CHECK(get_raw("/api/storage/latest/ada.jpg?box=true", &boxed) == 200);
  CHECK(boxed.len == r.len && !memcmp(boxed.body, r.body, r.len));
  reply_free(&boxed);
  reply_free(&r);
  free(disk);

  CHECK(get_raw("/api/storage/latest/front.jpg?thumb", &r) == 200);
  CHECK(decode(&r, a, &img) == LK_OK && img.width == 64 &&
        img.height == 48);
  reply_free(&r);

  CHECK(get("/api/storage/latest/nobody.jpg", &o) == 404);
  CHECK(!strcmp(json_str(o, "error"), "latest/nobody.jpg does not exist"));
  cJSON_Delete(o);
  CHECK(get("/api/storage/latest/ada.png", &o) == 404);
  cJSON_Delete(o);
  lk_arena_destroy(a);
}

/* Names that must never reach the file system, and a valid name with no
 * file: 404 in Double Take's shape, never an image. */
static void test_hostile_names(void)
{
  static const char *const targets[] = {
    "/api/storage/matches/..%2Fmatches.db",
    "/api/storage/matches/%2e%2e",
    "/api/storage/matches/%2e%2e%2fmatches.db",
    "/api/storage/matches/..%2F..%2F..%2Fetc%2Fpasswd",
    "/api/storage/matches/../matches.db",
    "/api/storage/matches/..",
    "/api/storage/matches/%2Ftmp%2Fx.jpg",
    "/api/storage/matches/0123ABCD-0000-4000-8000-000000000000.jpg",
    "/api/storage/matches/01234567-0000-4000-8000-000000000000.jpg",
    "/api/storage/latest/..%2Fsecret.jpg",
    "/api/storage/latest/%2e%2e%2fsecret.jpg",
    "/api/storage/latest/..%2F..%2Fsecret.jpg",
    "/api/storage/latest/%2Fetc%2Fpasswd",
  };
  char target[2048], h[64];
  struct reply r;
  size_t i;
  mf_put("", "secret.jpg", "not for the web");
  mf_put("latest", ".hidden.jpg", "nor this");
  for(i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    CHECK_MSG(get_raw(targets[i], &r) == 404, "%s: %d", targets[i],
              r.status);
    CHECK_MSG(!reply_header(&r, "Content-Type", h, sizeof h) ||
              strcmp(h, "image/jpeg"), "%s", targets[i]);
    CHECK_MSG(r.body && strstr((char *)r.body, "\"error\""), "%s",
              targets[i]);
    reply_free(&r);
  }
  CHECK(get_raw("/api/storage/latest/.hidden.jpg", &r) == 404);
  reply_free(&r);
  /* a NUL in the path: the HTTP layer refuses it before any route */
  CHECK(get_raw("/api/storage/matches/"
                "01234567-0000-4000-8000-000000000000.jpg%00.png", &r) == 400);
  CHECK(!reply_header(&r, "Content-Type", h, sizeof h) ||
        strcmp(h, "image/jpeg"));
  reply_free(&r);
  /* a long name: refused by its shape, and quoted in no answer at length */
  memcpy(target, "/api/storage/matches/", 21);
  memset(target + 21, 'a', 1500);
  memcpy(target + 1521, ".jpg", 5);
  CHECK(get_raw(target, &r) == 404);
  reply_free(&r);
  memcpy(target, "/api/storage/latest/", 20);
  memset(target + 20, 'b', 1500);
  memcpy(target + 1520, ".jpg", 5);
  CHECK(get_raw(target, &r) == 404);
  CHECK(r.len < 400);
  reply_free(&r);
}

static void test_delete(void)
{
  char body[128];
  cJSON *o;
  int64_t all;
  snprintf(body, sizeof body, "{\"ids\":[%lld,%lld,999999]}",
           (long long)ids[1], (long long)ids[2]);
  CHECK(call("DELETE", "/api/match", body, &o) == 200);
  CHECK(cJSON_IsTrue(item(o, "success")));
  cJSON_Delete(o);
  CHECK(!mf_exists("matches", files[1]) && !mf_exists("matches", files[2]));
  CHECK(mf_exists("matches", files[0]) && mf_exists("matches", files[3]));
  CHECK(mf_disk_matches_rows(matches));
  CHECK(get("/api/match?page=2", &o) == 200);
  CHECK(json_num(o, "total") == N_ROWS - 2);
  CHECK_MSG(!strcmp(page_ids(o), want_ids("3,0")), "%s", page_ids(o));
  cJSON_Delete(o);

  CHECK(call("DELETE", "/api/match", "{\"ids\":[]}", &o) == 200);
  cJSON_Delete(o);
  CHECK(call("DELETE", "/api/match", "{\"ids\":\"1\"}", &o) == 422);
  CHECK(is_invalid(o, "body", "ids"));
  cJSON_Delete(o);
  CHECK(call("DELETE", "/api/match", "{\"ids\":[1.5]}", &o) == 422);
  cJSON_Delete(o);
  CHECK(call("DELETE", "/api/match", "{\"ids\":[\"3\"]}", &o) == 422);
  cJSON_Delete(o);
  CHECK(call("DELETE", "/api/match", "[1]", &o) == 422);
  cJSON_Delete(o);
  CHECK(call("DELETE", "/api/match", NULL, &o) == 422);
  cJSON_Delete(o);
  /* nothing else went */
  all = N_ROWS - 2;
  CHECK(get("/api/match", &o) == 200 && json_num(o, "total") == all);
  cJSON_Delete(o);
}

/* A stranger's saved image of a registered person: reprocessed, the row
 * names him. */
static void test_reprocess(void)
{
  struct lk_dt_match_face f = face("compreface", "unknown", 12, 0, 1, 1, 50);
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_match_new row;
  struct lk_dt_match got;
  char target[128], file[LK_DT_MATCHES_FILE_SIZE];
  const cJSON *r0, *face0;
  size_t len;
  unsigned char *jpg = client_slurp(BIDEN3, &len);
  int64_t id;
  cJSON *o;

  row = mf_row("e9", "front", "snapshot", &f, 1, jpg, len);
  row.result = "[]";
  mf_clock = MF_T0 + 50;
  CHECK(lk_dt_matches_save(matches, &row, &id, file, NULL) == LK_OK);
  free(jpg);
  mf_clock = MF_T0 + 100.5;
  snprintf(target, sizeof target, "/api/match/reprocess/%lld", (long long)id);
  CHECK(call("PATCH", target, NULL, &o) == 200);
  CHECK(json_num(o, "id") == (double)id);
  CHECK(!strcmp(json_str(o, "camera"), "front"));
  CHECK(!strcmp(json_str(o, "createdAt"), "2023-11-14T22:14:10.000Z"));
  CHECK(!strcmp(json_str(o, "updatedAt"), "2023-11-14T22:15:00.500Z"));
  r0 = cJSON_GetArrayItem(item(o, "response"), 0);
  face0 = cJSON_GetArrayItem(item(r0, "results"), 0);
  CHECK(!strcmp(json_str(r0, "detector"), "likeness"));
  CHECK(!strcmp(json_str(r0, "filename"), file));
  CHECK(json_num(r0, "attempt") == 1);
  CHECK_MSG(!strcmp(json_str(face0, "name"), "joe biden"), "%s",
            json_str(face0, "name"));
  CHECK(cJSON_IsTrue(item(face0, "match")));
  CHECK(json_num(face0, "confidence") >= 60);
  CHECK(json_num(item(face0, "box"), "width") > 30);
  cJSON_Delete(o);

  /* the row itself: faces for filters and boxes */
  CHECK(lk_dt_matches_get(matches, id, a, &got) == LK_OK);
  CHECK(got.n_faces == 1 && !strcmp(got.faces[0].name, "joe biden") &&
        got.faces[0].match && !strcmp(got.faces[0].detector, "likeness"));
  CHECK(get("/api/match/filters", &o) == 200);
  CHECK(strings_are(item(o, "names"), "ada,bob,carl,joe biden"));
  cJSON_Delete(o);

  CHECK(call("PATCH", "/api/match/reprocess/999999", NULL, &o) == 404);
  CHECK(!strcmp(json_str(o, "error"), "No match found"));
  cJSON_Delete(o);
  CHECK(call("PATCH", "/api/match/reprocess/abc", NULL, &o) == 422);
  CHECK(is_invalid(o, "params", "matchId"));
  cJSON_Delete(o);
  CHECK(call("PATCH", "/api/match/reprocess/-3", NULL, &o) == 422);
  cJSON_Delete(o);
  CHECK(lk_dt_matches_delete(matches, &id, 1, NULL) == LK_OK);
  lk_arena_destroy(a);
}

/* Run sql on the store's database behind its back, as damage would. */
static void tamper(const char *sql)
{
  char path[512];
  sqlite3 *db = NULL;
  snprintf(path, sizeof path, "%s/matches.db", mf_dir);
  CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  CHECK_MSG(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s",
            sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* Damaged rows and files give clear 500s, never a crash or a half
 * answer; the other routes keep working. */
static void test_damage(void)
{
  char sql[256], target[128], want[128];
  struct lk_arena *a = lk_arena_create(0);
  struct lk_image img;
  struct reply r;
  cJSON *o;

  snprintf(sql, sizeof sql, "UPDATE matches SET result = '{bad' "
           "WHERE id = %lld", (long long)ids[6]);
  tamper(sql);
  CHECK(get("/api/match", &o) == 500);
  snprintf(want, sizeof want, "the stored result of match %lld cannot be "
           "read", (long long)ids[6]);
  CHECK(!strcmp(json_str(o, "error"), want));
  cJSON_Delete(o);
  CHECK(get("/api/match?page=2", &o) == 200);     /* other pages are fine */
  cJSON_Delete(o);

  /* a box past any image: served without boxes */
  snprintf(sql, sizeof sql, "UPDATE match_faces SET box_left = 2000000000 "
           "WHERE match_id = %lld", (long long)ids[0]);
  tamper(sql);
  snprintf(target, sizeof target, "/api/storage/matches/%s?box=true",
           files[0]);
  CHECK(get_raw(target, &r) == 200);
  CHECK(decode(&r, a, &img) == LK_OK);
  CHECK(near(px(&img, 100, 120), GRAY, GRAY, GRAY, 8));
  reply_free(&r);

  /* an image that is no JPEG: as stored plain, 500 when it must decode */
  mf_put("matches", files[3], "garbage, not a JPEG");
  snprintf(target, sizeof target, "/api/storage/matches/%s", files[3]);
  CHECK(get_raw(target, &r) == 200 && r.len == 19);
  reply_free(&r);
  snprintf(target, sizeof target, "/api/storage/matches/%s?thumb", files[3]);
  CHECK(get(target, &o) == 500);
  CHECK(!strncmp(json_str(o, "error"), "the stored image cannot be read",
                 31));
  cJSON_Delete(o);
  snprintf(target, sizeof target, "/api/match/reprocess/%lld",
           (long long)ids[3]);
  CHECK(call("PATCH", target, NULL, &o) == 500);
  CHECK(!strcmp(json_str(o, "error"), "Processing failure"));
  cJSON_Delete(o);
  lk_arena_destroy(a);
}

/* ---- set-up ------------------------------------------------------------- */

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

  snprintf(path, sizeof path, "%s/likeness.db", mf_dir);
  if(lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 1) ||
     lk_store_open(&store, path, &so, why) ||
     lk_pipeline_create(&pipe_, engine, store, &pc)) {
    fprintf(stderr, "set-up failed: %s\n", why);
    lk_arena_destroy(a);
    return -1;
  }
  img = client_slurp(BIDEN1, &len);
  err = lk_pipeline_register(pipe_, "Joe Biden", img, len, NULL, a, &id, why);
  free(img);
  lk_arena_destroy(a);
  return err ? -1 : 0;
}

/* A config.yml with small pages and thumbnails. */
static int load_config(void)
{
  struct lk_conf_node *root;
  char why[LK_CONF_ERRMAX], path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/config.yml", mf_dir);
  if(!(f = fopen(path, "w")))
    return -1;
  fputs("detect:\n  match:\n    confidence: 60\n    min_area: 1000\n"
        "ui:\n  pagination:\n    limit: 3\n"
        "  thumbnails:\n    width: 64\n    quality: 80\n", f);
  fclose(f);
  cfg_arena = lk_arena_create(0);
  if(lk_conf_load(path, cfg_arena, &root, why) ||
     lk_dt_config_load(root, path, cfg_arena, &cfg, why)) {
    fprintf(stderr, "config: %s\n", why);
    return -1;
  }
  return 0;
}

static int setup_server(void)
{
  struct lk_dt_service_opts o = lk_dt_service_default_opts();
  struct lk_dtapi_table t = lk_dtapi_match_table();
  struct lk_http_route routes[16];
  struct lk_http_config hc = lk_http_config_default();
  char why[LK_DT_SERVICE_ERRMAX] = "";
  size_t i;

  o.cfg = &cfg;
  o.pipe = pipe_;
  if(lk_dt_service_create(&svc, &o, why)) {
    fprintf(stderr, "service: %s\n", why);
    return -1;
  }
  api.cfg = &cfg;
  api.svc = svc;
  api.matches = matches;
  api.pipe = pipe_;
  for(i = 0; i < t.n && i < 16; i++) {
    routes[i].method = t.rows[i].method;
    routes[i].pattern = t.rows[i].pattern;
    routes[i].handler = t.rows[i].handler;
    routes[i].ctx = &api;
    routes[i].flags = t.rows[i].flags;
    routes[i].on_error = test_error;
  }
  hc.on_error = test_error;
  srv = test_server(&hc, routes, i);
  port = srv ? lk_http_server_port(srv) : 0;
  return srv ? 0 : -1;
}

static void test_routes(void)
{
  struct lk_dtapi_table t = lk_dtapi_match_table();
  size_t i;
  int heavy = 0;
  CHECK(t.n == 6);
  for(i = 0; i < t.n; i++)
    if(t.rows[i].flags & LK_HTTP_HEAVY)
      heavy += !strcmp(t.rows[i].pattern, "/api/match/reprocess/{matchId}");
  CHECK(heavy == 1);      /* inference goes through the admission gate */
}

int main(void)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  size_t mem0;
  int rc;
  cJSON_InitHooks(&hooks);    /* the server's JSON counted too */
  lk_log_set_level(LK_LOG_ERROR);
  signal(SIGPIPE, SIG_IGN);
  mem0 = lk_mem_in_use();
  mf_setup();
  matches = mf_open();
  if(!matches || setup_gallery() || load_config() || setup_server())
    return 1;
  save_rows();
  RUN(test_routes);
  RUN(test_list_fields);
  RUN(test_list_since);
  RUN(test_list_filters);
  RUN(test_list_invalid);
  RUN(test_filters_route);
  RUN(test_storage_plain_and_thumb);
  RUN(test_thumb_never_upscales);
  RUN(test_storage_box);
  RUN(test_latest);
  RUN(test_hostile_names);
  RUN(test_delete);
  RUN(test_reprocess);
  RUN(test_damage);
  CHECK(lk_http_server_stop(srv, 2000) == LK_OK);
  lk_http_server_destroy(srv);
  lk_dt_service_destroy(svc);
  lk_dt_matches_close(matches);
  lk_arena_destroy(cfg_arena);
  lk_pipeline_destroy(pipe_);
  lk_store_close(store);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes left",
            lk_mem_in_use() - mem0);
  rc = test_report();
  mf_teardown();
  return rc;
}
