/* test_dt_api_train.c - Double Take's training routes over real HTTP
 * (libcurl against an lk_http server on 127.0.0.1), on the real models,
 * with two detectors: likeness's own gallery and a DeepStack configured
 * under `detectors:` (likeness's own DeepStack adapter, with a gallery of
 * its own, on a second server). Photos uploaded, fetched by URL (behind
 * the SSRF guard) and copied from a kept match are taught to both; the
 * pipeline then recognizes another photo of the person under the folder's
 * name. Moving, untraining, retraining, thumbnails, deletes, validation
 * (422), hostile names and a photo without a face are answered as Double
 * Take answers them. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "conf/conf.h"
#include "dt/dt_api_int.h"
#include "dt/dt_config.h"
#include "dt/dt_matches.h"
#include "dt/dt_train.h"
#include "fetch/fetch.h"
#include "http/api.h"
#include "test.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define BIDEN1 LFW "Joseph_Biden/Joseph_Biden_0001.jpg"
#define BIDEN2 LFW "Joseph_Biden/Joseph_Biden_0002.jpg"
#define BIDEN3 LFW "Joseph_Biden/Joseph_Biden_0003.jpg"
#define HALLE1 LFW "Halle_Berry/Halle_Berry_0001.jpg"
#define HALLE4 LFW "Halle_Berry/Halle_Berry_0004.jpg"
#define HALLE5 LFW "Halle_Berry/Halle_Berry_0005.jpg"
#define LUCY1 LFW "Lucy_Liu/Lucy_Liu_0001.jpg"
#define LUCY2 LFW "Lucy_Liu/Lucy_Liu_0002.jpg"
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"

#define IDLE_MS 120000

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store, *remote_store;
static struct lk_pipeline *pipe_, *remote_pipe;
static struct lk_api_config remote_cfg;
static struct lk_api remote_api;
static struct lk_http_server *srv, *remote_srv;
static struct lk_dt_matches *matches;
static struct lk_dt_train *train;
static struct lk_arena *arena;          /* config and route patterns */
static struct lk_dt_config cfg;
static struct lk_dt_api api;
static struct lk_fetch_policy open_policy;
static unsigned port;
static char dir[] = "/tmp/lk_dtapitrain_XXXXXX";

/* ---- the client --------------------------------------------------------- */

struct res {
  long status;
  char type[64];
  unsigned char *body;
  size_t len;
  cJSON *json;                        /* the body parsed, when JSON */
};

struct upload {
  const char *filename;
  const void *data;
  size_t len;
};

static void res_free(struct res *r)
{
  free(r->body);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof *r);
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
  struct res *r = ud;
  unsigned char *g = realloc(r->body, r->len + size * n + 1);
  if(!g)
    return 0;
  memcpy(g + r->len, p, size * n);
  r->body = g;
  r->len += size * n;
  r->body[r->len] = '\0';
  return size * n;
}

static unsigned char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  unsigned char *b = NULL;
  long n;
  *len = 0;
  if(!f)
    return NULL;
  if(!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
     (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) == (size_t)n)
    *len = (size_t)n;
  fclose(f);
  return b;
}

static curl_mime *mime_of(CURL *c, const struct upload *up, int n)
{
  curl_mime *m = curl_mime_init(c);
  int i;
  for(i = 0; m && i < n; i++) {
    curl_mimepart *p = curl_mime_addpart(m);
    curl_mime_name(p, "files[]");
    curl_mime_filename(p, up[i].filename);
    curl_mime_type(p, "image/jpeg");
    curl_mime_data(p, up[i].data, up[i].len);
  }
  return m;
}

/* One request; json (a body) or up (a multipart form) or neither. */
static void call(const char *method, const char *path, const char *json,
                 const struct upload *up, int n_up, struct res *r)
{
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  curl_mime *m = NULL;
  char url[512];
  const char *type = NULL;
  memset(r, 0, sizeof *r);
  if(!c)
    return;
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  if(json) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
  } else if(up) {
    m = mime_of(c, up, n_up);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  if(curl_easy_perform(c) == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
    snprintf(r->type, sizeof r->type, "%s", type ? type : "");
    if(r->body && strstr(r->type, "json"))
      r->json = cJSON_ParseWithLength((const char *)r->body, r->len);
  }
  curl_mime_free(m);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
}

static long call_status(const char *method, const char *path,
                        const char *json)
{
  struct res r;
  long s;
  call(method, path, json, NULL, 0, &r);
  s = r.status;
  res_free(&r);
  return s;
}

/* Upload photos (paths) to /api/train/add/<enc>; the status. */
static long upload(const char *enc, const char *const *paths, int n)
{
  struct upload up[4];
  unsigned char *data[4];
  char path[256];
  struct res r;
  long s;
  int i;
  for(i = 0; i < n && i < 4; i++) {
    data[i] = slurp(paths[i], &up[i].len);
    up[i].data = data[i];
    up[i].filename = strrchr(paths[i], '/') + 1;
  }
  snprintf(path, sizeof path, "/api/train/add/%s", enc);
  call("POST", path, NULL, up, n, &r);
  s = r.status;
  if(s == 200)
    CHECK(cJSON_IsString(cJSON_GetObjectItem(r.json, "message")) &&
          !strncmp(cJSON_GetObjectItem(r.json, "message")->valuestring,
                   "training queued for ", 20));
  res_free(&r);
  for(i = 0; i < n && i < 4; i++)
    free(data[i]);
  return s;
}

/* errors[0].location of a 422 answer */
static int invalid_at(const struct res *r, const char *location)
{
  const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(r->json, "errors"),
                                      0);
  const cJSON *l = cJSON_GetObjectItem(e, "location");
  return r->status == 422 && cJSON_IsString(l) &&
         !strcmp(l->valuestring, location);
}

static int has_error(const struct res *r, long status)
{
  return r->status == status &&
         cJSON_IsString(cJSON_GetObjectItem(r->json, "error"));
}

static int is_success(const struct res *r)
{
  return r->status == 200 &&
         cJSON_IsTrue(cJSON_GetObjectItem(r->json, "success"));
}

static void idle(void)
{
  CHECK(lk_dt_train_wait_idle(train, IDLE_MS) == LK_OK);
}

static int64_t faces_in(struct lk_store *st, const char *name)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_store_person p;
  int64_t n = lk_store_person_get(st, name, a, &p) ? 0 : p.n_faces;
  lk_arena_destroy(a);
  return n;
}

static int recognized(const char *path, const char *name, float min)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_pipeline_result r;
  char why[LK_PIPELINE_ERRMAX];
  size_t len;
  unsigned char *img = slurp(path, &len);
  int ok = !lk_pipeline_recognize(pipe_, img, len, 1, a, &r, why) &&
           r.n_faces > 0 && r.faces[0].n_matches > 0 &&
           !strcmp(r.faces[0].matches[0].person, name) &&
           r.faces[0].matches[0].confidence >= min;
  free(img);
  lk_arena_destroy(a);
  return ok;
}

/* GET /api/train?name=<enc>: the answer (caller frees). */
static void list(const char *enc, struct res *r)
{
  char path[256];
  snprintf(path, sizeof path, "/api/train?name=%s", enc);
  call("GET", path, NULL, NULL, 0, r);
  CHECK(r->status == 200);
}

static const cJSON *result_for(const cJSON *file, const char *detector)
{
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(file, "results")) {
    const cJSON *d = cJSON_GetObjectItem(x, "detector");
    if(cJSON_IsString(d) && !strcmp(d->valuestring, detector))
      return cJSON_GetObjectItem(x, "result");
  }
  return NULL;
}

/* j is a string that starts with prefix (NULL-safe). */
static int starts(const cJSON *j, const char *prefix)
{
  return cJSON_IsString(j) &&
         !strncmp(j->valuestring, prefix, strlen(prefix));
}

static double status_of(const cJSON *result)
{
  return cJSON_GetNumberValue(cJSON_GetObjectItem(result, "status"));
}

/* ---- tests -------------------------------------------------------------- */

static void test_folders(void)
{
  struct res r;
  const cJSON *x;
  int seen = 0;
  call("POST", "/api/filesystem/folders/Ada%20Lovelace", NULL, NULL, 0, &r);
  CHECK(is_success(&r));
  res_free(&r);
  call("GET", "/api/filesystem/folders", NULL, NULL, 0, &r);
  CHECK(r.status == 200 && cJSON_IsArray(r.json));
  cJSON_ArrayForEach(x, r.json)
    seen += cJSON_IsString(x) && !strcmp(x->valuestring, "Ada Lovelace");
  CHECK(seen == 1);
  res_free(&r);
  call("DELETE", "/api/filesystem/folders/Ada%20Lovelace", NULL, NULL, 0, &r);
  CHECK(is_success(&r));
  res_free(&r);
  call("GET", "/api/filesystem/folders", NULL, NULL, 0, &r);
  CHECK(r.status == 200 && cJSON_GetArraySize(r.json) == 0);
  res_free(&r);
}

/* Names that would leave DATA/train: 400 with an error, nothing made. */
static void test_hostile_names(void)
{
  static const char *const paths[] = {
    "/api/filesystem/folders/%2E%2E", "/api/filesystem/folders/..%2Fetc",
    "/api/filesystem/folders/%2Ehidden", "/api/filesystem/folders/a%00b",
    "/api/train/add/%2E%2E%2F%2E%2E", "/api/train/retrain/..%2F..",
  };
  struct res r;
  size_t i;
  for(i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    call(strstr(paths[i], "retrain") ? "GET" : "POST", paths[i],
         strstr(paths[i], "add") ? "{\"urls\":[]}" : NULL, NULL, 0, &r);
    CHECK_MSG(r.status == 400 || r.status == 404, "%s: %ld", paths[i],
              r.status);
    CHECK(r.status != 400 || has_error(&r, 400));
    res_free(&r);
  }
  call("DELETE", "/api/filesystem/folders/..%2F..%2Ftmp", NULL, NULL, 0, &r);
  CHECK(has_error(&r, 400));
  res_free(&r);
  call("GET", "/api/storage/train/x/..%2F..%2Ftrain.db", NULL, NULL, 0, &r);
  CHECK(has_error(&r, 400));
  res_free(&r);
  call("GET", "/api/storage/train/..%2F..%2Fetc/passwd", NULL, NULL, 0, &r);
  CHECK(has_error(&r, 400));
  res_free(&r);
}

/* Uploads taught to both detectors; the pipeline then recognizes another
 * photo under the folder's name. */
static void test_upload_and_recognize(void)
{
  static const char *const photos[] = { BIDEN1, BIDEN2 };
  const cJSON *files, *f, *file, *lk, *ds, *st;
  struct res r;
  CHECK(!recognized(BIDEN3, "Joe Biden", 0.6f));
  CHECK(upload("Joe%20Biden", photos, 2) == 200);
  idle();
  CHECK(recognized(BIDEN3, "Joe Biden", 0.6f));
  CHECK(faces_in(store, "Joe Biden") == 2);
  CHECK(faces_in(remote_store, "Joe Biden") == 2);     /* DeepStack too */

  list("Joe%20Biden", &r);
  files = cJSON_GetObjectItem(r.json, "files");
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.json, "limit")) == 10);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.json, "total")) == 2);
  CHECK(cJSON_GetArraySize(files) == 2);
  f = cJSON_GetArrayItem(files, 0);
  file = cJSON_GetObjectItem(f, "file");
  CHECK(cJSON_IsNumber(cJSON_GetObjectItem(f, "id")));
  CHECK(starts(cJSON_GetObjectItem(f, "name"), "Joe Biden"));
  CHECK(starts(cJSON_GetObjectItem(file, "key"),
               "train/Joe Biden/Joseph_Biden_0002-"));
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(file, "width")) == 250);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(file, "height")) == 250);
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(f, "token")));
  CHECK(starts(cJSON_GetObjectItem(f, "createdAt"), "20"));
  CHECK(strchr(cJSON_GetStringValue(cJSON_GetObjectItem(f, "createdAt")),
               'Z') != NULL);
  lk = result_for(f, "likeness");
  ds = result_for(f, "deepstack");
  CHECK(status_of(lk) == 200 && status_of(ds) == 200);
  CHECK(cJSON_IsNumber(cJSON_GetObjectItem(lk, "face_id")));
  res_free(&r);

  call("GET", "/api/train/status", NULL, NULL, 0, &r);
  st = cJSON_GetArrayItem(r.json, 0);
  CHECK(r.status == 200 && cJSON_GetArraySize(r.json) == 1);
  CHECK(starts(cJSON_GetObjectItem(st, "name"), "Joe Biden"));
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(st, "trained")) == 4);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(st, "total")) == 4);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(st, "percent")) == 100);
  res_free(&r);
}

static void test_validation(void)
{
  static const unsigned char junk[] = "this is not a photo";
  struct upload up = { "junk.jpg", junk, sizeof junk - 1 };
  struct res r;
  call("POST", "/api/train/add/Junk", NULL, &up, 1, &r);
  CHECK(invalid_at(&r, "files"));
  res_free(&r);
  call("POST", "/api/train/add/Junk", "{}", NULL, 0, &r);
  CHECK(invalid_at(&r, "files"));
  res_free(&r);
  call("POST", "/api/train/add/Junk", "{\"urls\":\"x\"}", NULL, 0, &r);
  CHECK(invalid_at(&r, "body"));
  res_free(&r);
  call("POST", "/api/train/add/Junk", "{\"ids\":[\"a\"]}", NULL, 0, &r);
  CHECK(invalid_at(&r, "body"));
  res_free(&r);
  call("GET", "/api/train?page=0", NULL, NULL, 0, &r);
  CHECK(invalid_at(&r, "query"));
  res_free(&r);
  call("PATCH", "/api/train/abc", "{\"name\":\"x\"}", NULL, 0, &r);
  CHECK(invalid_at(&r, "params"));
  res_free(&r);
  call("PATCH", "/api/train/1", "{}", NULL, 0, &r);
  CHECK(invalid_at(&r, "body"));
  res_free(&r);
  call("PATCH", "/api/train/99999", "{\"name\":\"Someone\"}", NULL, 0, &r);
  CHECK(has_error(&r, 400));
  res_free(&r);
  call("DELETE", "/api/train/remove/Joe%20Biden", "{\"ids\":1}", NULL, 0, &r);
  CHECK(invalid_at(&r, "body"));
  res_free(&r);
  call("DELETE", "/api/storage/train", "{\"files\":7}", NULL, 0, &r);
  CHECK(invalid_at(&r, "body"));
  res_free(&r);
  /* nothing was kept for the refused photo */
  CHECK(call_status("GET", "/api/filesystem/folders", NULL) == 200);
  list("Junk", &r);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.json, "total")) == 0);
  res_free(&r);
}

/* URLs from clients go through the SSRF guard: loopback is refused by
 * default, and fetched once the policy allows it. */
static void test_add_by_url(void)
{
  char body[256];
  struct res r;
  snprintf(body, sizeof body,
           "{\"urls\":[\"http://127.0.0.1:%u/img/halle1.jpg?x=1\"]}", port);
  call("POST", "/api/train/add/Halle%20Berry", body, NULL, 0, &r);
  CHECK(has_error(&r, 400));
  CHECK(r.body && strstr((const char *)r.body, "loopback") != NULL);
  res_free(&r);
  api.fetch = &open_policy;
  call("POST", "/api/train/add/Halle%20Berry", body, NULL, 0, &r);
  CHECK(r.status == 200);
  res_free(&r);
  api.fetch = NULL;
  idle();
  CHECK(recognized(HALLE5, "Halle Berry", 0.6f));
  list("Halle%20Berry", &r);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.json, "total")) == 1);
  CHECK(starts(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
          cJSON_GetObjectItem(r.json, "files"), 0), "file"), "filename"),
               "halle1-"));
  res_free(&r);
}

/* {ids:[..]}: a kept match's image is copied into the folder. */
static void test_add_from_match(void)
{
  struct lk_dt_match_new m;
  char why[LK_DT_MATCHES_ERRMAX] = "", body[128];
  int64_t id = 0;
  struct res r;
  size_t len;
  unsigned char *img = slurp(LUCY1, &len);
  memset(&m, 0, sizeof m);
  m.event_id = "1623906078.684285-5l9hw6";
  m.camera = "front";
  m.type = "latest";
  m.result = "{}";
  m.image = img;
  m.image_len = len;
  CHECK_MSG(lk_dt_matches_save(matches, &m, &id, NULL, why) == LK_OK, "%s",
            why);
  free(img);
  snprintf(body, sizeof body, "{\"ids\":[%lld]}", (long long)id);
  call("POST", "/api/train/add/Lucy%20Liu", body, NULL, 0, &r);
  CHECK(r.status == 200);
  res_free(&r);
  call("POST", "/api/train/add/Lucy%20Liu", "{\"ids\":[777777]}", NULL, 0,
       &r);
  CHECK(has_error(&r, 400));
  res_free(&r);
  idle();
  CHECK(recognized(LUCY2, "Lucy Liu", 0.5f));
  CHECK(faces_in(store, "Lucy Liu") == 1);
}

/* PATCH /api/train/<id>: moved, and taught under the new name. */
static void test_move(void)
{
  static const char *const photo[] = { HALLE4 };
  const cJSON *f;
  char path[64];
  struct res r;
  double id;
  CHECK(upload("Misfiled", photo, 1) == 200);
  idle();
  CHECK(faces_in(store, "Misfiled") == 1);
  list("Misfiled", &r);
  f = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "files"), 0);
  id = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "id"));
  res_free(&r);
  snprintf(path, sizeof path, "/api/train/%.0f", id);
  call("PATCH", path, "{\"name\":\"Halle Berry\"}", NULL, 0, &r);
  CHECK(is_success(&r));
  res_free(&r);
  idle();
  CHECK(faces_in(store, "Misfiled") == 0);
  CHECK(faces_in(store, "Halle Berry") == 2);
  list("Halle%20Berry", &r);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.json, "total")) == 2);
  res_free(&r);
  call("PATCH", path, "{\"name\":\"..\"}", NULL, 0, &r);
  CHECK(has_error(&r, 400));
  res_free(&r);
}

/* The photo back, whole and as a thumbnail of ui.thumbnails.width. */
static void test_storage(void)
{
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_arena *a = lk_arena_create(0);
  const cJSON *f;
  struct lk_image im;
  char path[512], *enc;
  unsigned char *orig;
  size_t n;
  struct res r, img;
  CURL *c = curl_easy_init();

  list("Joe%20Biden", &r);
  f = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "files"), 1);
  enc = curl_easy_escape(c, starts(cJSON_GetObjectItem(cJSON_GetObjectItem(
                                f, "file"), "filename"), "")
                              ? cJSON_GetStringValue(cJSON_GetObjectItem(
                                  cJSON_GetObjectItem(f, "file"), "filename"))
                              : "none", 0);
  snprintf(path, sizeof path, "/api/storage/train/Joe%%20Biden/%s", enc);
  call("GET", path, NULL, NULL, 0, &img);
  orig = slurp(BIDEN1, &n);
  CHECK(img.status == 200 && !strcmp(img.type, "image/jpeg"));
  CHECK(img.len == n && orig && !memcmp(img.body, orig, n));
  res_free(&img);
  strcat(path, "?thumb");
  call("GET", path, NULL, NULL, 0, &img);
  CHECK(img.status == 200 && !strcmp(img.type, "image/jpeg"));
  CHECK(lk_image_decode(img.body, img.len, &o, a, &im, NULL) == LK_OK &&
        im.width == 100 && im.height == 100);
  res_free(&img);
  call("GET", "/api/storage/train/Joe%20Biden/missing.jpg", NULL, NULL, 0,
       &img);
  CHECK(has_error(&img, 404));
  res_free(&img);
  res_free(&r);
  free(orig);
  curl_free(enc);
  curl_easy_cleanup(c);
  lk_arena_destroy(a);
}

/* One photo untrained, then the whole name, then retrained. */
static void test_remove_retrain(void)
{
  char body[64];
  struct res r;
  double id;
  list("Joe%20Biden", &r);
  id = cJSON_GetNumberValue(cJSON_GetObjectItem(
         cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "files"), 0), "id"));
  res_free(&r);
  snprintf(body, sizeof body, "[%.0f]", id);
  call("DELETE", "/api/train/remove/Joe%20Biden", body, NULL, 0, &r);
  CHECK(is_success(&r));
  res_free(&r);
  idle();
  CHECK(faces_in(store, "Joe Biden") == 1);
  /* DeepStack forgot the name and learnt the other photo again */
  CHECK(faces_in(remote_store, "Joe Biden") == 1);

  call("DELETE", "/api/train/remove/Joe%20Biden", NULL, NULL, 0, &r);
  CHECK(is_success(&r));
  res_free(&r);
  idle();
  CHECK(faces_in(store, "Joe Biden") == 0);
  CHECK(faces_in(remote_store, "Joe Biden") == 0);
  CHECK(!recognized(BIDEN3, "Joe Biden", 0.0f));

  call("GET", "/api/train/retrain/Joe%20Biden", NULL, NULL, 0, &r);
  CHECK(is_success(&r));
  res_free(&r);
  idle();
  CHECK(faces_in(store, "Joe Biden") == 2);
  CHECK(faces_in(remote_store, "Joe Biden") == 2);
  CHECK(recognized(BIDEN3, "Joe Biden", 0.6f));
}

/* A photo without a face is kept with failed results; no crash. */
static void test_no_face(void)
{
  static const char *const photo[] = { NOFACE };
  const cJSON *f;
  struct res r;
  CHECK(upload("Nobody", photo, 1) == 200);
  idle();
  list("Nobody", &r);
  f = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "files"), 0);
  CHECK(status_of(result_for(f, "likeness")) == 400);
  CHECK(status_of(result_for(f, "deepstack")) == 500);
  CHECK(starts(cJSON_GetObjectItem(result_for(f, "likeness"), "message"),
               "no face"));
  res_free(&r);
  CHECK(faces_in(store, "Nobody") == 0);
}

/* DELETE /api/storage/train deletes by id; the client's key is ignored,
 * so it cannot name another file. */
static void test_storage_delete(void)
{
  char body[256], probe[200];
  struct res r;
  double id;
  FILE *f;
  snprintf(probe, sizeof probe, "%s/keep.txt", dir);
  f = fopen(probe, "w");
  CHECK(f != NULL);
  if(f)
    fclose(f);
  list("Nobody", &r);
  id = cJSON_GetNumberValue(cJSON_GetObjectItem(
         cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "files"), 0), "id"));
  res_free(&r);
  snprintf(body, sizeof body,
           "{\"files\":[{\"id\":%.0f,\"key\":\"../../keep.txt\"}]}", id);
  call("DELETE", "/api/storage/train", body, NULL, 0, &r);
  CHECK(is_success(&r));
  res_free(&r);
  CHECK(access(probe, F_OK) == 0);
  list("Nobody", &r);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r.json, "total")) == 0);
  res_free(&r);
  CHECK(call_status("DELETE", "/api/filesystem/folders/Nobody", NULL) ==
        200);
}

/* ---- set-up ------------------------------------------------------------- */

/* The test's image server for URL adds: GET /img/<name>. */
static lk_err serve_img(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx)
{
  const char *name = lk_http_req_param(req, "name");
  size_t len;
  unsigned char *img;
  lk_err err;
  (void)ctx;
  if(strcmp(name, "halle1.jpg"))
    return lk_http_resp_bytes(resp, 404, "text/plain", "no", 2);
  img = slurp(HALLE1, &len);
  err = lk_http_resp_bytes(resp, 200, "image/jpeg", img, len);
  free(img);
  return err;
}

static struct lk_http_server *serve(struct lk_http_route *routes, size_t n)
{
  struct lk_http_config hc = lk_http_config_default();
  struct lk_http_server *s = NULL;
  char why[LK_HTTP_ERRMAX] = "";
  hc.bind = "127.0.0.1";
  hc.port = 0;
  if(lk_http_server_create(&s, &hc, routes, n) ||
     lk_http_server_start(s, why)) {
    fprintf(stderr, "server: %s\n", why);
    lk_http_server_destroy(s);
    return NULL;
  }
  return s;
}

static int setup_galleries(void)
{
  struct lk_pipeline_config pc = lk_pipeline_default_config();
  struct lk_store_opts so = lk_store_default_opts();
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  char why[512] = "", path[160];
  size_t n;
  snprintf(path, sizeof path, "%s/likeness.db", dir);
  if(lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 1) ||
     lk_store_open(&store, path, &so, why) ||
     lk_pipeline_create(&pipe_, engine, store, &pc))
    goto fail;
  snprintf(path, sizeof path, "%s/remote.db", dir);
  if(lk_store_open(&remote_store, path, &so, why) ||
     lk_pipeline_create(&remote_pipe, engine, remote_store, &pc))
    goto fail;
  remote_api.pipe = remote_pipe;
  remote_api.cfg = &remote_cfg;
  n = lk_api_deepstack_routes(&remote_api, routes, LK_API_MAX_ROUTES);
  remote_srv = serve(routes, n);
  return remote_srv ? 0 : -1;
fail:
  fprintf(stderr, "set-up failed: %s\n", why);
  return -1;
}

static int setup_config(void)
{
  struct lk_conf_node *root;
  char why[LK_CONF_ERRMAX] = "", path[160];
  FILE *f;
  snprintf(path, sizeof path, "%s/config.yml", dir);
  f = fopen(path, "w");
  if(!f)
    return -1;
  fprintf(f, "detectors:\n  deepstack:\n    url: http://127.0.0.1:%u\n"
          "ui:\n  pagination:\n    limit: 10\n"
          "  thumbnails:\n    width: 100\n    quality: 80\n",
          lk_http_server_port(remote_srv));
  fclose(f);
  if(lk_conf_load(path, arena, &root, why) ||
     lk_dt_config_load(root, path, arena, &cfg, why)) {
    fprintf(stderr, "config: %s\n", why);
    return -1;
  }
  return 0;
}

static int setup_stores(void)
{
  struct lk_dt_train_opts o = lk_dt_train_default_opts();
  char why[LK_DT_TRAIN_ERRMAX] = "", data[160];
  snprintf(data, sizeof data, "%s/data", dir);
  o.cfg = &cfg;
  o.pipe = pipe_;
  if(lk_dt_matches_open(&matches, data, NULL, why) ||
     lk_dt_train_open(&train, data, &o, why)) {
    fprintf(stderr, "stores: %s\n", why);
    return -1;
  }
  return 0;
}

static int setup_server(void)
{
  struct lk_dtapi_table t = lk_dtapi_train_table();
  struct lk_http_route routes[32];
  size_t i;
  api.cfg = &cfg;
  api.matches = matches;
  api.train = train;
  api.pipe = pipe_;
  open_policy = lk_fetch_default_policy();
  open_policy.allow_private = 1;
  for(i = 0; i < t.n && i < 30; i++) {
    routes[i].method = t.rows[i].method;
    routes[i].pattern = t.rows[i].pattern;
    routes[i].handler = t.rows[i].handler;
    routes[i].ctx = &api;
    routes[i].flags = t.rows[i].flags;
    routes[i].on_error = NULL;
  }
  routes[i] = (struct lk_http_route){ "GET", "/img/{name}", serve_img, NULL,
                                      0, NULL };
  srv = serve(routes, i + 1);
  port = srv ? lk_http_server_port(srv) : 0;
  return srv ? 0 : -1;
}

static void teardown(void)
{
  CHECK(lk_http_server_stop(srv, 2000) == LK_OK);
  lk_http_server_destroy(srv);
  lk_dt_train_close(train);
  lk_dt_matches_close(matches);
  lk_http_server_destroy(remote_srv);
  lk_pipeline_destroy(remote_pipe);
  lk_store_close(remote_store);
  lk_pipeline_destroy(pipe_);
  lk_store_close(store);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  lk_arena_destroy(arena);
}

int main(void)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  char cmd[160];
  size_t mem0;
  int rc;
  cJSON_InitHooks(&hooks);
  lk_log_set_level(LK_LOG_ERROR);
  if(lk_fetch_init() || !mkdtemp(dir))
    return 1;
  mem0 = lk_mem_in_use();
  arena = lk_arena_create(0);
  if(setup_galleries() || setup_config() || setup_stores() || setup_server())
    return 1;
  RUN(test_folders);
  RUN(test_hostile_names);
  RUN(test_upload_and_recognize);
  RUN(test_validation);
  RUN(test_add_by_url);
  RUN(test_add_from_match);
  RUN(test_move);
  RUN(test_storage);
  RUN(test_remove_retrain);
  RUN(test_no_face);
  RUN(test_storage_delete);
  teardown();
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes still allocated",
            lk_mem_in_use() - mem0);
  rc = test_report();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? rc : 1;
}
