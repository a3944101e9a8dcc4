/* test_compreface.c - CompreFace's REST API over real HTTP on 127.0.0.1,
 * on the real models, a real SQLite gallery and a folder of kept images:
 * Double Take's flow (train with ?subject=, recognize with
 * face_plugins=undefined&det_prob_threshold=0.8, code 28, untrain), faces
 * by multipart, chunked and base64 JSON, paging, the stored image bytes,
 * subjects (add, rename, merge, delete), deletes by id and by list,
 * recognize with its parameters and plugins, verify, the embedding
 * endpoints, the detection and verification services, the x-api-key of
 * each service, and bad input of every kind with CompreFace's code,
 * message and status. Memory in use returns to where it started. */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "api_fixture.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define TONY(n) LFW "Tony_Blair/Tony_Blair_000" #n ".jpg"
#define HALLE(n) LFW "Halle_Berry/Halle_Berry_000" #n ".jpg"
#define AGASSI LFW "Andre_Agassi/Andre_Agassi_0002.jpg"
#define GROUP LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg"     /* 710x473 */
#define SAMPLES LK_TESTDATA "/compreface_samples/"
#define NOFACE SAMPLES "_detection/017_0.jpg"
#define FORMATS SAMPLES "_formats/"
#define REC "/api/v1/recognition"
#define DETECT "/api/v1/detection/detect"
#define VERIFY "/api/v1/verification/verify"
#define ID_PREFIX "00000000-0000-4000-8000-"
#define NO_FACE_MSG "No face is found in the given image"
#define BROKEN_MSG "Image has incorrect format or is broken"
#define JSON_TYPE "application/json"
/* U+1F600 in UTF-8 and as a JSON surrogate pair; 25 of them */
#define EMOJI "\xF0\x9F\x98\x80"
#define EMOJI5 EMOJI EMOJI EMOJI EMOJI EMOJI
#define EMOJI25 EMOJI5 EMOJI5 EMOJI5 EMOJI5 EMOJI5
#define EMOJI_JSON "\\ud83d\\ude00"
#define EMOJI5_JSON EMOJI_JSON EMOJI_JSON EMOJI_JSON EMOJI_JSON EMOJI_JSON
#define EMOJI25_JSON \
  EMOJI5_JSON EMOJI5_JSON EMOJI5_JSON EMOJI5_JSON EMOJI5_JSON

static const char *key_hdr;   /* header lines sent with every request */
static int chunked;           /* send bodies chunked (Double Take) */
/* The standard gallery of reset(): Tony Blair 1 and 2, Halle Berry 4
 * and 2. Probes: Tony Blair 3 (0.43 from 1: similarity 0.77) and Halle
 * Berry 5 (0.40 from 4: 0.92); other pairs of LFW's photos of one person
 * are mostly 0.5 apart, which the calibrated curve puts near 0.2. */
static char ids[4][40];

/* ---- requests ----------------------------------------------------------- */

static int call(const char *method, const char *target, const char *type,
                const void *body, size_t n, cJSON **out)
{
  struct reply r;
  int status = http_request(port, method, target, key_hdr, type, body, n,
                            chunked, &r) ? 0 : r.status;
  *out = reply_json(&r);
  reply_free(&r);
  return status;
}

static int get(const char *target, cJSON **out)
{
  return call("GET", target, NULL, NULL, 0, out);
}

static int del(const char *target, cJSON **out)
{
  return call("DELETE", target, NULL, NULL, 0, out);
}

static int send_json(const char *method, const char *target,
                     const char *text, cJSON **out)
{
  return call(method, target, JSON_TYPE, text, strlen(text), out);
}

/* A multipart POST as curl -F builds it: "name=@path" or "name=value". */
static int form(const char *target, cJSON **out, ...)
{
  va_list ap;
  int status;
  va_start(ap, out);
  status = client_vsend_form(port, key_hdr, chunked, target, out, ap);
  va_end(ap);
  return status;
}

/* A file as base64 (malloc'd). */
static char *b64_file(const char *path)
{
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                               "tuvwxyz0123456789+/";
  size_t n, i, k = 0;
  unsigned char *d = client_slurp(path, &n);
  char *s = malloc(n / 3 * 4 + 5);
  for(i = 0; d && i < n; i += 3) {
    unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? d[i + 1] : 0) << 8 |
                 (i + 2 < n ? d[i + 2] : 0);
    s[k++] = digits[v >> 18];
    s[k++] = digits[v >> 12 & 63];
    s[k++] = i + 1 < n ? digits[v >> 6 & 63] : '=';
    s[k++] = i + 2 < n ? digits[v & 63] : '=';
  }
  s[k] = '\0';
  free(d);
  return s;
}

/* {"<field>":"<base64 of path>"} (malloc'd). */
static char *b64_body(const char *field, const char *path)
{
  char *b = b64_file(path);
  size_t n = strlen(b) + strlen(field) + 16;
  char *s = malloc(n);
  snprintf(s, n, "{\"%s\":\"%s\"}", field, b);
  free(b);
  return s;
}

static int post_b64(const char *target, const char *path, cJSON **out)
{
  char *body = b64_body("file", path);
  int status = send_json("POST", target, body, out);
  free(body);
  return status;
}

/* ---- checks ------------------------------------------------------------- */

/* CompreFace's error shape, exactly: {"message":...,"code":N}. */
#define CHECK_CF(status, j, want_status, want_code, want_msg) do { \
    int s_ = (status); \
    cJSON *j_ = (j); \
    CHECK_MSG(s_ == (want_status), "status %d, want %d", s_, (want_status)); \
    CHECK_MSG(json_num(j_, "code") == (want_code), "code %g, want %d", \
              json_num(j_, "code"), (want_code)); \
    CHECK_MSG(!strcmp(json_str(j_, "message"), want_msg), "message '%s', " \
              "want '%s'", json_str(j_, "message"), want_msg); \
    CHECK(cJSON_GetArraySize(j_) == 2); \
    cJSON_Delete(j_); \
  } while(0)

static const cJSON *item(const cJSON *o, const char *key)
{
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const cJSON *nth(const cJSON *o, const char *key, int i)
{
  return cJSON_GetArrayItem(item(o, key), i);
}

static int count(const cJSON *o, const char *key)
{
  const cJSON *a = item(o, key);
  return cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
}

/* 00000000-0000-4000-8000- and 12 lower-case hex digits. */
static int is_image_id(const char *s)
{
  size_t i;
  if(strlen(s) != 36 || strncmp(s, ID_PREFIX, 24))
    return 0;
  for(i = 24; i < 36; i++)
    if(!strchr("0123456789abcdef", s[i]))
      return 0;
  return 1;
}

/* {"image_id":<an id>,"subject":subject}; the id copied to id. */
static int is_face_ref(const cJSON *o, const char *subject, char *id)
{
  if(id)
    snprintf(id, 40, "%s", json_str(o, "image_id"));
  return cJSON_GetArraySize(o) == 2 && is_image_id(json_str(o, "image_id")) &&
         !strcmp(json_str(o, "subject"), subject);
}

static int is_int(const cJSON *v)
{
  return cJSON_IsNumber(v) && v->valuedouble == (int)v->valuedouble;
}

/* Faces of a result: whole-pixel boxes inside w x h, a probability over
 * min, none empty, largest first (two boxes of about the same size may
 * swap by a rounding's worth of area). */
static int boxes_ok(const cJSON *faces, int w, int h, double min)
{
  const cJSON *f;
  double last = 1e12, slack = 0;
  int ok = cJSON_IsArray(faces);
  cJSON_ArrayForEach(f, faces) {
    const cJSON *b = item(f, "box");
    double x0 = json_num(b, "x_min"), y0 = json_num(b, "y_min");
    double x1 = json_num(b, "x_max"), y1 = json_num(b, "y_max");
    double p = json_num(b, "probability");
    ok = ok && cJSON_GetArraySize(b) == 5 && is_int(item(b, "x_min")) &&
         is_int(item(b, "y_min")) && is_int(item(b, "x_max")) &&
         is_int(item(b, "y_max")) && x0 >= 0 && y0 >= 0 && x1 <= w &&
         y1 <= h && x0 < x1 && y0 < y1 && p >= min && p <= 1 &&
         p == round(p * 1e5) / 1e5 &&
         (x1 - x0) * (y1 - y0) <= last + slack;
    last = (x1 - x0) * (y1 - y0);
    slack = (x1 - x0) + (y1 - y0) + 1;
  }
  return ok;
}

/* 5 whole-pixel points, each inside the face's box grown by 10 %. */
static int landmarks_ok(const cJSON *face)
{
  const cJSON *a = item(face, "landmarks"), *b = item(face, "box"), *p;
  double x0 = json_num(b, "x_min"), x1 = json_num(b, "x_max");
  double y0 = json_num(b, "y_min"), y1 = json_num(b, "y_max");
  double mx = (x1 - x0) / 10, my = (y1 - y0) / 10;
  int ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == 5;
  cJSON_ArrayForEach(p, a) {
    const cJSON *x = cJSON_GetArrayItem(p, 0), *y = cJSON_GetArrayItem(p, 1);
    ok = ok && cJSON_GetArraySize(p) == 2 && is_int(x) && is_int(y) &&
         x->valuedouble >= x0 - mx && x->valuedouble <= x1 + mx &&
         y->valuedouble >= y0 - my && y->valuedouble <= y1 + my;
  }
  /* the first eye is left of the second, the nose below both eyes */
  return ok &&
         cJSON_GetArrayItem(cJSON_GetArrayItem(a, 0), 0)->valuedouble <
         cJSON_GetArrayItem(cJSON_GetArrayItem(a, 1), 0)->valuedouble &&
         cJSON_GetArrayItem(cJSON_GetArrayItem(a, 2), 1)->valuedouble >
         cJSON_GetArrayItem(cJSON_GetArrayItem(a, 0), 1)->valuedouble;
}

static int embedding_ok(const cJSON *face)
{
  const cJSON *a = item(face, "embedding"), *v;
  int ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == 128;
  cJSON_ArrayForEach(v, a)
    ok = ok && cJSON_IsNumber(v) && fabs(v->valuedouble) < 1;
  return ok;
}

/* similarity is a number in [lo, hi] printed with 5 decimals at most. */
static int similarity_in(const cJSON *o, double lo, double hi)
{
  double s = json_num(o, "similarity");
  return s >= lo && s <= hi && s == round(s * 1e5) / 1e5;
}

static int64_t live_faces(void)
{
  struct lk_store_counts c;
  CHECK(lk_store_counts(store, &c) == LK_OK);
  return c.faces;
}

/* Files in the kept-image folder. */
static int kept_images(void)
{
  DIR *d = opendir(image_dir);
  struct dirent *e;
  int n = 0;
  while(d && (e = readdir(d)))
    n += e->d_name[0] != '.';
  if(d)
    closedir(d);
  return n;
}

/* The subjects GET /subjects lists, joined with "|". */
static void subjects(char *out, size_t size)
{
  cJSON *j, *it;
  size_t len = 0;
  out[0] = '\0';
  CHECK(get(REC "/subjects", &j) == 200 && cJSON_GetArraySize(j) == 1);
  cJSON_ArrayForEach(it, item(j, "subjects")) {
    int n = snprintf(out + len, size - len, "%s%s", len ? "|" : "",
                     cJSON_IsString(it) ? it->valuestring : "?");
    if(n > 0 && (size_t)n < size - len)
      len += (size_t)n;
  }
  cJSON_Delete(j);
}

/* Adds path under the (URL-encoded) subject; its id to id (may be NULL). */
static void add_face(const char *subject_q, const char *subject,
                     const char *path, char *id)
{
  char target[256], file[300];
  cJSON *j;
  snprintf(target, sizeof target, REC "/faces?subject=%s", subject_q);
  snprintf(file, sizeof file, "file=@%s", path);
  CHECK_MSG(form(target, &j, file, NULL) == 201, "%s", path);
  CHECK(is_face_ref(j, subject, id));
  cJSON_Delete(j);
}

/* An empty gallery, then the standard one (ids[]). */
static void reset(void)
{
  cJSON *j;
  CHECK(del(REC "/subjects", &j) == 200 && cJSON_GetArraySize(j) == 1);
  cJSON_Delete(j);
  CHECK(live_faces() == 0 && kept_images() == 0);
  /* Tony_Blair_0001's second face scores 0.77 */
  add_face("Tony%20Blair&det_prob_threshold=0.8", "Tony Blair", TONY(1),
           ids[0]);
  add_face("Tony%20Blair", "Tony Blair", TONY(2), ids[1]);
  add_face("Halle%20Berry", "Halle Berry", HALLE(4), ids[2]);
  add_face("Halle%20Berry", "Halle Berry", HALLE(2), ids[3]);
}

/* ---- tests -------------------------------------------------------------- */

static void test_routes(void)
{
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  size_t i, n = lk_api_compreface_routes(&api, routes, LK_API_MAX_ROUTES);
  CHECK(n == 19);
  CHECK(lk_api_compreface_routes(&api, routes, n - 1) == 0);
  for(i = 0; i < n; i++) {
    const char *p = routes[i].pattern;
    int inference = !strstr(p, "/embeddings/") &&
                    (strstr(p, "/recognize") || strstr(p, "/verify") ||
                     strstr(p, "/detect") ||
                     (!strcmp(routes[i].method, "POST") &&
                      !strcmp(p, REC "/faces")));
    CHECK(routes[i].ctx == &api);
    CHECK(routes[i].on_error == lk_api_compreface_error);
    CHECK_MSG(!!(routes[i].flags & LK_HTTP_HEAVY) == inference, "%s", p);
    CHECK_MSG(!!(routes[i].flags & LK_HTTP_QUIET_PATH) ==
              !!strstr(p, "/static/"), "%s", p);
  }
  /* the three adapters fit one table */
  CHECK(n + lk_api_deepstack_routes(&api, routes, LK_API_MAX_ROUTES) +
        lk_api_seed_routes(&api, routes, LK_API_MAX_ROUTES) <=
        LK_API_MAX_ROUTES);
}

static void test_helpers(void)
{
  static const char *const bad[] = { "a", "aGVsbG8=x", "aGVsbG8===",
                                     "AAAA====", "a!bc", "aGVsbA=A",
                                     "data:image/jpeg;base64,AAAA" };
  static const float values[] = { 0.1f, -0.0123456789f, 1e-7f, 0.5f };
  struct lk_arena *a = lk_arena_create(1 << 20);
  unsigned char *out;
  size_t n, i;
  CHECK(lk_api_base64("aGVsbG8=", 8, a, &out, &n) == LK_OK && n == 5 &&
        !memcmp(out, "hello", 5));
  CHECK(lk_api_base64("aGVs\r\n bG8", 10, a, &out, &n) == LK_OK && n == 5 &&
        !memcmp(out, "hello", 5));
  CHECK(lk_api_base64("-_8=", 4, a, &out, &n) == LK_OK && n == 2 &&
        out[0] == 0xfb && out[1] == 0xff);
  CHECK(lk_api_base64("+/8", 3, a, &out, &n) == LK_OK && n == 2 &&
        out[0] == 0xfb && out[1] == 0xff);
  CHECK(lk_api_base64("", 0, a, &out, &n) == LK_OK && n == 0);
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_MSG(lk_api_base64(bad[i], strlen(bad[i]), a, &out, &n) ==
              LK_ERR_INVAL, "%s", bad[i]);
  lk_arena_destroy(a);
  for(i = 0; i < sizeof values / sizeof values[0]; i++) {
    cJSON *v = cJSON_CreateNumber(lk_api_float(values[i]));
    char *s = cJSON_PrintUnformatted(v);
    CHECK((float)lk_api_float(values[i]) == values[i]);
    CHECK_MSG(strlen(s) <= 15, "%s", s);
    CHECK((float)strtod(s, NULL) == values[i]);
    cJSON_free(s);
    cJSON_Delete(v);
  }
}

/* Double Take's calls (api/src/util/detectors/compreface.js): chunked
 * multipart uploads with a file name, ?subject= to train, recognize with
 * face_plugins=undefined&det_prob_threshold=0.8, code 28 read as "no
 * faces", DELETE ?subject= to untrain. */
static void test_double_take(void)
{
  cJSON *j;
  const cJSON *face, *s;
  char id[40], names[64];
  chunked = 1;
  add_face("Tony%20Blair", "Tony Blair", TONY(2), id);
  add_face("Tony%20Blair", "Tony Blair", TONY(3), NULL);
  CHECK(live_faces() == 2 && kept_images() == 2);
  /* Tony_Blair_0001's second face (0.77) is under the threshold */
  CHECK(form(REC "/recognize?face_plugins=undefined&det_prob_threshold=0.8",
             &j, "file=@" TONY(1), NULL) == 200);
  CHECK(cJSON_GetArraySize(j) == 1 && count(j, "result") == 1);
  face = nth(j, "result", 0);
  CHECK(boxes_ok(item(j, "result"), 250, 250, 0.8));
  /* box and subjects only: no plugin asked for anything else */
  CHECK(cJSON_GetArraySize(face) == 2 && count(face, "subjects") == 1);
  s = nth(face, "subjects", 0);
  CHECK(cJSON_GetArraySize(s) == 2);
  CHECK(!strcmp(json_str(s, "subject"), "Tony Blair"));
  CHECK_MSG(similarity_in(s, 0.67, 1), "similarity %g",
            json_num(s, "similarity"));
  cJSON_Delete(j);
  CHECK_CF(form(REC "/recognize?face_plugins=undefined&det_prob_threshold="
                "0.8", &j, "file=@" NOFACE, NULL), j, 400, 28, NO_FACE_MSG);
  CHECK(del(REC "/faces?subject=Tony%20Blair", &j) == 200);
  CHECK(json_num(j, "deleted") == 2 && cJSON_GetArraySize(j) == 1);
  cJSON_Delete(j);
  /* the subject goes with its faces, as in CompreFace */
  subjects(names, sizeof names);
  CHECK_MSG(!strcmp(names, ""), "%s", names);
  CHECK(live_faces() == 0 && kept_images() == 0);
  chunked = 0;
}

/* The kept image comes back byte for byte, with its media type. */
static void check_img(const char *target, const char *path)
{
  struct reply r;
  char type[64], cache[64];
  size_t n;
  unsigned char *want = client_slurp(path, &n);
  CHECK(http_request(port, "GET", target, key_hdr, NULL, NULL, 0, 0, &r) ==
        0);
  CHECK_MSG(r.status == 200, "%s: %d", target, r.status);
  CHECK(r.len == n && want && !memcmp(r.body, want, n));
  CHECK(reply_header(&r, "Content-Type", type, sizeof type) &&
        !strcmp(type, "image/jpeg"));
  CHECK(reply_header(&r, "Cache-Control", cache, sizeof cache) &&
        !strcmp(cache, "public, max-age=31536000"));
  reply_free(&r);
  free(want);
}

/* GET /faces?<query>: checks the paging fields; the faces in *out. */
static void page(const char *query, int n, int number, int size,
                 int total, cJSON **out)
{
  char target[200];
  cJSON *j;
  snprintf(target, sizeof target, REC "/faces%s", query);
  CHECK(get(target, &j) == 200);
  CHECK(cJSON_GetArraySize(j) == 5);
  CHECK_MSG(count(j, "faces") == n, "%s: %d faces", query, count(j, "faces"));
  CHECK_MSG(json_num(j, "page_number") == number, "%s", query);
  CHECK_MSG(json_num(j, "page_size") == size, "%s", query);
  CHECK_MSG(json_num(j, "total_elements") == total, "%s", query);
  CHECK_MSG(json_num(j, "total_pages") == (total + size - 1) / size, "%s",
            query);
  if(out)
    *out = j;
  else
    cJSON_Delete(j);
}

static void test_faces(void)
{
  char id[40], target[200], idu[40], h3[40];
  const cJSON *f;
  cJSON *j;
  size_t i;
  /* base64 in JSON, then its stored image, also by the static link and
   * with the id in upper case */
  CHECK(post_b64(REC "/faces?subject=Halle%20Berry", HALLE(2), &j) == 201);
  CHECK(is_face_ref(j, "Halle Berry", id));
  cJSON_Delete(j);
  snprintf(target, sizeof target, REC "/faces/%s/img", id);
  check_img(target, HALLE(2));
  snprintf(target, sizeof target, "/api/v1/static/any/images/%s", id);
  check_img(target, HALLE(2));
  for(i = 0; i < sizeof idu; i++)
    idu[i] = (char)toupper((unsigned char)id[i]);
  snprintf(target, sizeof target, REC "/faces/%s/img", idu);
  check_img(target, HALLE(2));
  add_face("Halle%20Berry", "Halle Berry", HALLE(3), h3);
  add_face("Halle%20Berry&det_prob_threshold=0.8", "Halle Berry", HALLE(5),
           NULL);
  add_face("Tony%20Blair", "Tony Blair", TONY(2), NULL);
  add_face("Andre%20Agassi", "Andre Agassi", AGASSI, NULL);
  /* by id, oldest first, 20 a page by default */
  page("", 5, 0, 20, 5, &j);
  CHECK(!strcmp(json_str(nth(j, "faces", 0), "image_id"), id));
  CHECK(!strcmp(json_str(nth(j, "faces", 1), "image_id"), h3));
  CHECK(is_face_ref(nth(j, "faces", 4), "Andre Agassi", NULL));
  cJSON_Delete(j);
  page("?page=1&size=2", 2, 1, 2, 5, &j);
  CHECK(is_face_ref(nth(j, "faces", 0), "Halle Berry", NULL));
  CHECK(is_face_ref(nth(j, "faces", 1), "Tony Blair", NULL));
  cJSON_Delete(j);
  page("?page=2&size=2", 1, 2, 2, 5, NULL);
  page("?page=9&size=2", 0, 9, 2, 5, NULL);
  page("?subject=Halle%20Berry", 3, 0, 20, 3, &j);
  cJSON_ArrayForEach(f, item(j, "faces"))
    CHECK(is_face_ref(f, "Halle Berry", NULL));
  cJSON_Delete(j);
  page("?subject=Nobody", 0, 0, 20, 0, NULL);
  /* Spring's Pageable: bad numbers fall back, sizes are capped */
  page("?size=0", 5, 0, 20, 5, NULL);
  page("?size=5000", 5, 0, 2000, 5, NULL);
  page("?page=-3&size=abc", 5, 0, 20, 5, NULL);
  /* one face per example: Tony_Blair_0001 shows a second face, which
   * scores 0.77 */
  CHECK_CF(form(REC "/faces?subject=Tony%20Blair", &j, "file=@" TONY(1),
                NULL), j, 400, 31, "More than one face in the source image");
  add_face("Tony%20Blair&det_prob_threshold=0.8", "Tony Blair", TONY(1),
           NULL);
  CHECK_CF(form(REC "/faces?subject=Tony%20Blair", &j, "file=@" NOFACE,
                NULL), j, 400, 28, NO_FACE_MSG);
  CHECK_CF(form(REC "/faces", &j, "file=@" TONY(2), NULL), j, 400, 33,
           "Required parameter subject is missing");
  CHECK_CF(form(REC "/faces?subject=%20", &j, "file=@" TONY(2), NULL), j,
           400, 26, "Subject name is empty; ");
  CHECK_CF(form(REC "/faces?subject=x", &j, "image=@" TONY(2), NULL), j,
           400, 34, "Required part file is missing");
  CHECK_CF(form(REC "/faces?subject=x&det_prob_threshold=2", &j,
                "file=@" TONY(2), NULL), j, 400, 26,
           "Detection threshold incorrect (0 <= det_prob_threshold <= 1)");
  CHECK_CF(form(REC "/faces?subject=%FF", &j, "file=@" TONY(2), NULL), j,
           400, 26, "Subject name must be valid UTF-8 of at most 256 bytes");
  /* subject as a form field, as Spring's @RequestParam reads it */
  CHECK(form(REC "/faces", &j, "subject=Form Field", "file=@" HALLE(3),
             NULL) == 201);
  CHECK(is_face_ref(j, "Form Field", NULL));
  cJSON_Delete(j);
  CHECK(live_faces() == 7 && kept_images() == 7);
}

static void test_subjects(void)
{
  char names[512], target[200], moved[40];
  cJSON *j;
  subjects(names, sizeof names);
  CHECK_MSG(!strcmp(names, "Andre Agassi|Form Field|Halle Berry|Tony Blair"),
            "%s", names);
  CHECK(send_json("POST", REC "/subjects", "{\"subject\":\"Zoë 李\"}", &j) ==
        201);
  CHECK(cJSON_GetArraySize(j) == 1 && !strcmp(json_str(j, "subject"),
                                              "Zoë 李"));
  cJSON_Delete(j);
  CHECK_CF(send_json("POST", REC "/subjects", "{\"subject\":\"Zoë 李\"}",
                     &j), j, 400, 43, "Subject already exists");
  CHECK_CF(send_json("POST", REC "/subjects", "{\"subject\":\" \"}", &j), j,
           400, 26, "Subject name cannot be empty");
  CHECK_CF(send_json("POST", REC "/subjects", "{\"name\":\"x\"}", &j), j,
           400, 26, "Subject name cannot be empty");
  CHECK_CF(send_json("POST", REC "/subjects", "{\"subject\":5}", &j), j,
           400, 26, "Subject name cannot be empty");
  /* 50 UTF-16 units fit: 25 emoji (as JSON escapes) are 50, 26 are 52 */
  CHECK(send_json("POST", REC "/subjects", "{\"subject\":\"" EMOJI25_JSON
                  "\"}", &j) == 201);
  CHECK(!strcmp(json_str(j, "subject"), EMOJI25));
  cJSON_Delete(j);
  CHECK_CF(send_json("POST", REC "/subjects", "{\"subject\":\""
                     EMOJI25_JSON EMOJI_JSON "\"}", &j), j, 400, 26,
           "Subject name size must be between 1 and 50");
  CHECK_CF(send_json("POST", REC "/subjects", "{\"subject\":\"a/b\"}", &j), j,
           400, 36, "The name cannot contain the following special "
           "characters: ';', '/', '\\'");
  CHECK_CF(call("POST", REC "/subjects", "text/plain", "x", 1, &j), j, 415, 0,
           "Content type 'text/plain' not supported");
  CHECK_CF(call("POST", REC "/subjects", NULL, NULL, 0, &j), j, 400, 0,
           "Required request body is missing");
  /* path-like and unicode names are names (/faces takes '/') */
  add_face("..%2Fetc%2Fpasswd", "../etc/passwd", TONY(3), NULL);
  page("?subject=..%2Fetc%2Fpasswd", 1, 0, 20, 1, NULL);
  CHECK(del(REC "/subjects/..%2Fetc%2Fpasswd", &j) == 200);
  CHECK(!strcmp(json_str(j, "subject"), "../etc/passwd"));
  cJSON_Delete(j);
  CHECK(kept_images() == 7);
  /* rename; the same name changes nothing; an unknown one is 404 */
  CHECK(send_json("PUT", REC "/subjects/Zo%C3%AB%20%E6%9D%8E",
                  "{\"subject\":\"Zoe\"}", &j) == 200);
  CHECK(cJSON_IsTrue(item(j, "updated")) && cJSON_GetArraySize(j) == 1);
  cJSON_Delete(j);
  CHECK(send_json("PUT", REC "/subjects/Zoe", "{\"subject\":\"Zoe\"}", &j) ==
        200);
  CHECK(cJSON_IsFalse(item(j, "updated")));
  cJSON_Delete(j);
  CHECK_CF(send_json("PUT", REC "/subjects/Nobody", "{\"subject\":\"X\"}", &j),
           j, 404, 42, "Subject Nobody not found");
  CHECK_CF(send_json("PUT", REC "/subjects/Zoe", "{\"subject\":\"a;b\"}", &j),
           j, 400, 36, "The name cannot contain the following special "
           "characters: ';', '/', '\\'");
  /* onto an existing name: the faces move, the old subject goes */
  page("?subject=Form%20Field", 1, 0, 20, 1, &j);
  snprintf(moved, sizeof moved, "%s", json_str(nth(j, "faces", 0),
                                               "image_id"));
  cJSON_Delete(j);
  CHECK(send_json("PUT", REC "/subjects/Form%20Field",
                  "{\"subject\":\"Halle Berry\"}", &j) == 200);
  CHECK(cJSON_IsTrue(item(j, "updated")));
  cJSON_Delete(j);
  page("?subject=Halle%20Berry", 4, 0, 20, 4, NULL);
  snprintf(target, sizeof target, REC "/faces/%s/img", moved);
  check_img(target, HALLE(3));
  subjects(names, sizeof names);
  CHECK_MSG(!strcmp(names, "Andre Agassi|Halle Berry|Tony Blair|Zoe|"
                    EMOJI25), "%s", names);
  CHECK(del(REC "/subjects/Zoe", &j) == 200);
  CHECK(cJSON_GetArraySize(j) == 1 && !strcmp(json_str(j, "subject"), "Zoe"));
  cJSON_Delete(j);
  CHECK_CF(del(REC "/subjects/Zoe", &j), j, 404, 42, "Subject Zoe not found");
  CHECK_CF(del(REC "/subjects/%20", &j), j, 400, 26,
           "Subject name is empty; ");
  CHECK_CF(del(REC "/faces?subject=", &j), j, 400, 26,
           "Subject name is empty; ");
  /* an unknown subject deletes nothing */
  CHECK(del(REC "/faces?subject=Nobody", &j) == 200);
  CHECK(json_num(j, "deleted") == 0);
  cJSON_Delete(j);
  CHECK(live_faces() == 7);
}

static void test_faces_delete(void)
{
  char a[40], b[40], target[200], body[300];
  cJSON *j;
  size_t i;
  page("?size=2", 2, 0, 2, 7, &j);
  snprintf(a, sizeof a, "%s", json_str(nth(j, "faces", 0), "image_id"));
  snprintf(b, sizeof b, "%s", json_str(nth(j, "faces", 1), "image_id"));
  cJSON_Delete(j);
  snprintf(target, sizeof target, REC "/faces/%s", a);
  CHECK(del(target, &j) == 200);
  CHECK(is_face_ref(j, "Halle Berry", NULL));
  CHECK(!strcmp(json_str(j, "image_id"), a));
  cJSON_Delete(j);
  CHECK(get(REC "/faces?size=1", &j) == 200 &&
        json_num(j, "total_elements") == 6);
  cJSON_Delete(j);
  {
    char msg[100];
    snprintf(msg, sizeof msg, "Image %s not found", a);
    CHECK_CF(del(target, &j), j, 404, 44, msg);
    snprintf(target, sizeof target, REC "/faces/%s/img", a);
    CHECK_CF(get(target, &j), j, 404, 44, msg);
  }
  CHECK_CF(del(REC "/faces/not-a-uuid", &j), j, 404, 44,
           "Image not-a-uuid not found");
  CHECK_CF(del(REC "/faces/" ID_PREFIX "000000000000", &j), j, 404, 44,
           "Image " ID_PREFIX "000000000000 not found");
  CHECK_CF(del(REC "/faces/6b135f5b-a365-4522-b1f1-4c9ac2dd0728", &j), j, 404,
           44, "Image 6b135f5b-a365-4522-b1f1-4c9ac2dd0728 not found");
  /* a list: unknown, repeated and malformed ids are skipped */
  for(i = 0; b[i]; i++)
    b[i] = (char)toupper((unsigned char)b[i]);
  snprintf(body, sizeof body, "[\"%s\",\"bogus\",\"%s\",\"%s\"]", a, b, b);
  CHECK(send_json("POST", REC "/faces/delete", body, &j) == 200);
  CHECK(cJSON_GetArraySize(j) == 1);
  CHECK(is_face_ref(cJSON_GetArrayItem(j, 0), "Halle Berry", NULL));
  cJSON_Delete(j);
  CHECK(send_json("POST", REC "/faces/delete", "[]", &j) == 200);
  CHECK(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 0);
  cJSON_Delete(j);
  CHECK_CF(send_json("POST", REC "/faces/delete", "{\"ids\":[]}", &j), j, 400,
           0, "JSON parse error: the body must be an array of image ids");
  CHECK_CF(send_json("POST", REC "/faces/delete", "[1]", &j), j, 400, 0,
           "JSON parse error: the body must be an array of image ids");
  CHECK(live_faces() == 5 && kept_images() == 5);
}

static void test_recognize(void)
{
  const cJSON *face, *s0, *s1, *t, *v;
  char *body;
  cJSON *j;
  reset();
  /* prediction_count 2: both people, best first; more: still both */
  CHECK(form(REC "/recognize?prediction_count=2", &j, "file=@" TONY(3),
             NULL) == 200);
  face = nth(j, "result", 0);
  s0 = nth(face, "subjects", 0);
  s1 = nth(face, "subjects", 1);
  CHECK(count(face, "subjects") == 2);
  CHECK(!strcmp(json_str(s0, "subject"), "Tony Blair") &&
        !strcmp(json_str(s1, "subject"), "Halle Berry"));
  CHECK(similarity_in(s0, 0.67, 1) && similarity_in(s1, 0, 0.1));
  cJSON_Delete(j);
  CHECK(form(REC "/recognize?prediction_count=9", &j, "file=@" TONY(3),
             NULL) == 200);
  CHECK(count(nth(j, "result", 0), "subjects") == 2);
  cJSON_Delete(j);
  /* a group: every face, largest first; limit keeps the largest */
  CHECK(form(REC "/recognize", &j, "file=@" GROUP, NULL) == 200);
  CHECK_MSG(count(j, "result") == 6, "%d faces", count(j, "result"));
  CHECK(boxes_ok(item(j, "result"), 710, 473, 0.5));
  cJSON_Delete(j);
  CHECK(form(REC "/recognize?limit=2", &j, "file=@" GROUP, NULL) == 200);
  CHECK(count(j, "result") == 2 && boxes_ok(item(j, "result"), 710, 473,
                                            0.5));
  CHECK(count(nth(j, "result", 1), "subjects") == 1);
  cJSON_Delete(j);
  /* the Python SDK's query: "?&", status=True, both plugins */
  CHECK(form(REC "/recognize?&limit=0&status=True&face_plugins="
             "landmarks,calculator", &j, "file=@" TONY(3), NULL) == 200);
  face = nth(j, "result", 0);
  CHECK(landmarks_ok(face) && embedding_ok(face));
  t = item(face, "execution_time");
  CHECK(cJSON_GetArraySize(t) == 2 && json_num(t, "detector") > 0 &&
        json_num(t, "matcher") >= 0);
  v = item(j, "plugins_versions");
  CHECK(cJSON_GetArraySize(v) == 2 &&
        !strcmp(json_str(v, "detector"), "faceapi.FaceDetector") &&
        !strcmp(json_str(v, "calculator"), "faceapi.FaceRecognitionNet"));
  CHECK(cJSON_GetArraySize(face) == 5);
  cJSON_Delete(j);
  /* plugins likeness lacks are absent; detect_faces=false detects */
  CHECK(form(REC "/recognize?face_plugins=age,gender,mask,pose&"
             "detect_faces=false", &j, "file=@" TONY(3), NULL) == 200);
  face = nth(j, "result", 0);
  CHECK(count(j, "result") == 1 && cJSON_GetArraySize(face) == 2 &&
        item(face, "box") && item(face, "subjects"));
  cJSON_Delete(j);
  body = b64_body("file", TONY(3));
  CHECK(send_json("POST", REC "/recognize?prediction_count=1", body, &j) ==
        200);
  CHECK(!strcmp(json_str(nth(nth(j, "result", 0), "subjects", 0), "subject"),
                "Tony Blair"));
  cJSON_Delete(j);
  free(body);
  CHECK_CF(form(REC "/recognize?limit=-1", &j, "file=@" TONY(3), NULL), j,
           400, 26, "Limit should be equal or greater than 0; ");
  CHECK_CF(form(REC "/recognize?limit=1.5", &j, "file=@" TONY(3), NULL), j,
           400, 26, "Validation for field limit failed: must be an integer");
  CHECK_CF(form(REC "/recognize?prediction_count=0", &j, "file=@" TONY(3),
                NULL), j, 400, 26,
           "prediction_count should be equal or greater than 1; ");
  CHECK_CF(form(REC "/recognize?det_prob_threshold=abc", &j, "file=@" TONY(3),
                NULL), j, 400, 26,
           "Detection threshold incorrect (0 <= det_prob_threshold <= 1)");
  CHECK_CF(form(REC "/recognize?status=maybe", &j, "file=@" TONY(3), NULL), j,
           400, 26, "Validation for field status failed: must be true or "
           "false");
  CHECK_CF(form(REC "/recognize?detect_faces=2", &j, "file=@" TONY(3), NULL),
           j, 400, 26, "Validation for field detect_faces failed: must be "
           "true or false");
}

static void test_verify(void)
{
  char target[200];
  const cJSON *r;
  cJSON *j;
  char *body;
  snprintf(target, sizeof target, REC "/faces/%s/verify", ids[0]);
  CHECK(form(target, &j, "file=@" TONY(3), NULL) == 200);
  CHECK(cJSON_GetArraySize(j) == 1 && count(j, "result") == 1);
  r = nth(j, "result", 0);
  CHECK(cJSON_GetArraySize(r) == 3 && item(r, "box") &&
        !strcmp(json_str(r, "subject"), "Tony Blair") &&
        similarity_in(r, 0.67, 1));
  cJSON_Delete(j);
  snprintf(target, sizeof target, REC "/faces/%s/verify?limit=3&status=true",
           ids[2]);
  CHECK(form(target, &j, "file=@" GROUP, NULL) == 200);
  CHECK(count(j, "result") == 3 && item(j, "plugins_versions"));
  cJSON_ArrayForEach(r, item(j, "result"))
    CHECK(!strcmp(json_str(r, "subject"), "Halle Berry") &&
          similarity_in(r, 0, 0.5) && json_num(item(r, "execution_time"),
                                               "detector") > 0);
  cJSON_Delete(j);
  body = b64_body("file", TONY(3));
  snprintf(target, sizeof target, REC "/faces/%s/verify", ids[0]);
  CHECK(send_json("POST", target, body, &j) == 200);
  CHECK(similarity_in(nth(j, "result", 0), 0.67, 1));
  cJSON_Delete(j);
  free(body);
  CHECK_CF(form(REC "/faces/" ID_PREFIX "00000000ffff/verify", &j,
                "file=@" TONY(3), NULL), j, 404, 44,
           "Image " ID_PREFIX "00000000ffff not found");
  CHECK_CF(form(target, &j, "file=@" NOFACE, NULL), j, 400, 28, NO_FACE_MSG);
  CHECK_CF(form(target, &j, "x=y", NULL), j, 400, 34,
           "Required part file is missing");
}

/* The calculator's embedding of path's face. */
static char *embedding_of(const char *path)
{
  char file[300];
  cJSON *j;
  char *s = NULL;
  snprintf(file, sizeof file, "file=@%s", path);
  CHECK(form(DETECT "?face_plugins=calculator", &j, file, NULL) == 200);
  if(embedding_ok(nth(j, "result", 0)))
    s = cJSON_PrintUnformatted(item(nth(j, "result", 0), "embedding"));
  cJSON_Delete(j);
  return s;
}

static void test_embeddings(void)
{
  char *tony = embedding_of(TONY(3)), *halle = embedding_of(HALLE(5));
  char body[8192], target[200];
  const cJSON *r;
  cJSON *j, *k;
  double sim;
  /* the same similarity as /recognize gives for the image */
  CHECK(form(REC "/recognize", &j, "file=@" TONY(3), NULL) == 200);
  sim = json_num(nth(nth(j, "result", 0), "subjects", 0), "similarity");
  cJSON_Delete(j);
  snprintf(body, sizeof body, "{\"embeddings\":[%s,%s]}", tony, halle);
  CHECK(send_json("POST", REC "/embeddings/recognize?prediction_count=2",
                  body, &j) == 200);
  CHECK(cJSON_GetArraySize(j) == 1 && count(j, "result") == 2);
  r = nth(j, "result", 0);
  k = cJSON_Parse(tony);
  CHECK(cJSON_Compare(item(r, "embedding"), k, 1));
  cJSON_Delete(k);
  CHECK(count(r, "similarities") == 2);
  CHECK(!strcmp(json_str(nth(r, "similarities", 0), "subject"),
                "Tony Blair"));
  CHECK_MSG(json_num(nth(r, "similarities", 0), "similarity") == sim,
            "%g vs %g", json_num(nth(r, "similarities", 0), "similarity"),
            sim);
  CHECK(!strcmp(json_str(nth(nth(j, "result", 1), "similarities", 0),
                         "subject"), "Halle Berry"));
  cJSON_Delete(j);
  /* against one stored face: most similar first */
  snprintf(target, sizeof target, REC "/embeddings/faces/%s/verify", ids[0]);
  CHECK(send_json("POST", target, body + 0, &j) == 200);
  r = nth(j, "result", 0);
  CHECK(count(j, "result") == 2 && cJSON_GetArraySize(r) == 2);
  CHECK(similarity_in(r, 0.67, 1) &&
        similarity_in(nth(j, "result", 1), 0, 0.1));
  cJSON_Delete(j);
  snprintf(body, sizeof body, "{\"embeddings\":[%s,%s]}", halle, tony);
  CHECK(send_json("POST", target, body, &j) == 200);
  k = cJSON_Parse(tony);
  CHECK(cJSON_Compare(item(nth(j, "result", 0), "embedding"), k, 1));
  cJSON_Delete(k);
  cJSON_Delete(j);
  /* the verification service: source against targets */
  snprintf(body, sizeof body, "{\"source\":%s,\"targets\":[%s,%s]}", tony,
           halle, tony);
  CHECK(send_json("POST", "/api/v1/verification/embeddings/verify", body,
                  &j) == 200);
  CHECK(count(j, "result") == 2 && json_num(nth(j, "result", 0),
                                            "similarity") == 1);
  CHECK(similarity_in(nth(j, "result", 1), 0, 0.1));
  cJSON_Delete(j);
  CHECK_CF(send_json("POST", REC "/embeddings/recognize", "{}", &j), j, 400, 5,
           "Field embeddings cannot be empty");
  CHECK_CF(send_json("POST", REC "/embeddings/recognize",
                     "{\"embeddings\":[]}", &j), j, 400, 5,
           "Field embeddings cannot be empty");
  CHECK_CF(send_json("POST", REC "/embeddings/recognize",
                     "{\"embeddings\":[[1,2,3]]}", &j), j, 400, 26,
           "Validation for field embeddings failed: an embedding is an "
           "array of 128 numbers");
  CHECK_CF(send_json("POST", REC "/embeddings/recognize?prediction_count=0",
                     "{\"embeddings\":[[1]]}", &j), j, 400, 26,
           "prediction_count should be equal or greater than 1; ");
  CHECK_CF(form(REC "/embeddings/recognize", &j, "embeddings=[]", NULL), j,
           415, 0, "Content type 'multipart/form-data; boundary=" MP_BOUNDARY
           "' not supported");
  snprintf(body, sizeof body, "{\"embeddings\":[%s]}", tony);
  CHECK_CF(send_json("POST", REC "/embeddings/faces/" ID_PREFIX
                     "00000000ffff/verify", body, &j), j, 404, 44,
           "Image " ID_PREFIX "00000000ffff not found");
  snprintf(body, sizeof body, "{\"targets\":[%s]}", tony);
  CHECK_CF(send_json("POST", "/api/v1/verification/embeddings/verify", body,
                     &j), j, 400, 5, "Field source cannot be empty");
  snprintf(body, sizeof body, "{\"source\":%s,\"targets\":%s}", tony, tony);
  CHECK_CF(send_json("POST", "/api/v1/verification/embeddings/verify", body,
                     &j), j, 400, 26, "Validation for field targets failed: "
           "an embedding is an array of 128 numbers");
  free(tony);
  free(halle);
}

static void test_detection(void)
{
  const cJSON *f;
  cJSON *j;
  char *body;
  int n;
  CHECK(form(DETECT, &j, "file=@" GROUP, NULL) == 200);
  n = count(j, "result");
  CHECK_MSG(n == 6, "%d faces", n);
  CHECK(cJSON_GetArraySize(j) == 1 && boxes_ok(item(j, "result"), 710, 473,
                                               0.5));
  cJSON_ArrayForEach(f, item(j, "result"))
    CHECK(cJSON_GetArraySize(f) == 1);    /* the box alone */
  cJSON_Delete(j);
  CHECK(form(DETECT "?limit=2", &j, "file=@" GROUP, NULL) == 200);
  CHECK(count(j, "result") == 2);
  cJSON_Delete(j);
  CHECK(form(DETECT "?det_prob_threshold=0.9", &j, "file=@" GROUP, NULL) ==
        200);
  CHECK(count(j, "result") >= 1 && count(j, "result") < n &&
        boxes_ok(item(j, "result"), 710, 473, 0.9));
  cJSON_Delete(j);
  CHECK(form(DETECT "?face_plugins=landmarks,calculator&status=true", &j,
             "file=@" GROUP, NULL) == 200);
  cJSON_ArrayForEach(f, item(j, "result"))
    CHECK(landmarks_ok(f) && embedding_ok(f) &&
          cJSON_GetArraySize(item(f, "execution_time")) == 1);
  CHECK(cJSON_GetArraySize(item(j, "plugins_versions")) == 2);
  cJSON_Delete(j);
  CHECK(form(DETECT "?status=true", &j, "file=@" TONY(5), NULL) == 200);
  CHECK(cJSON_GetArraySize(item(j, "plugins_versions")) == 1 &&
        !strcmp(json_str(item(j, "plugins_versions"), "detector"),
                "faceapi.FaceDetector"));
  cJSON_Delete(j);
  body = b64_body("file", TONY(5));
  CHECK(send_json("POST", DETECT, body, &j) == 200);
  CHECK(count(j, "result") == 1 && boxes_ok(item(j, "result"), 250, 250,
                                            0.5));
  cJSON_Delete(j);
  free(body);
  CHECK_CF(form(DETECT, &j, "file=@" NOFACE, NULL), j, 400, 28, NO_FACE_MSG);
}

static void test_verification(void)
{
  const cJSON *r, *m;
  cJSON *j;
  char *src, *dst, *body;
  size_t n;
  CHECK(form(VERIFY, &j, "source_image=@" HALLE(4), "target_image=@" HALLE(5),
             NULL) == 200);
  CHECK(cJSON_GetArraySize(j) == 1 && count(j, "result") == 1);
  r = nth(j, "result", 0);
  CHECK(cJSON_GetArraySize(r) == 2);
  CHECK(cJSON_GetArraySize(item(r, "source_image_face")) == 1 &&
        item(item(r, "source_image_face"), "box"));
  CHECK(count(r, "face_matches") == 1);
  m = nth(r, "face_matches", 0);
  CHECK(cJSON_GetArraySize(m) == 2 && similarity_in(m, 0.67, 1));
  cJSON_Delete(j);
  CHECK(form(VERIFY "?status=true&face_plugins=landmarks", &j,
             "source_image=@" TONY(2), "target_image=@" GROUP, NULL) == 200);
  r = nth(j, "result", 0);
  CHECK(count(r, "face_matches") == 6 && item(r, "plugins_versions"));
  CHECK(landmarks_ok(item(r, "source_image_face")));
  CHECK(boxes_ok(item(r, "face_matches"), 710, 473, 0.5));
  cJSON_ArrayForEach(m, item(r, "face_matches"))
    CHECK(similarity_in(m, 0, 0.5) && landmarks_ok(m));
  cJSON_Delete(j);
  CHECK_CF(form(VERIFY, &j, "source_image=@" GROUP, "target_image=@" TONY(5),
                NULL), j, 400, 31, "More than one face in the source image");
  CHECK(form(VERIFY "?limit=1", &j, "source_image=@" GROUP,
             "target_image=@" TONY(5), NULL) == 200);
  cJSON_Delete(j);
  CHECK_CF(form(VERIFY, &j, "source_image=@" TONY(2), "target_image=@" NOFACE,
                NULL), j, 400, 28, NO_FACE_MSG);
  CHECK_CF(form(VERIFY, &j, "source_image=@" TONY(2), "file=@" TONY(5),
                NULL), j, 400, 34, "Required part target_image is missing");
  src = b64_file(HALLE(5));
  dst = b64_file(HALLE(4));
  n = strlen(src) + strlen(dst) + 64;
  body = malloc(n);
  snprintf(body, n, "{\"source_image\":\"%s\",\"target_image\":\"%s\"}",
           src, dst);
  CHECK(send_json("POST", VERIFY, body, &j) == 200);
  CHECK(similarity_in(nth(nth(j, "result", 0), "face_matches", 0), 0.67, 1));
  cJSON_Delete(j);
  snprintf(body, n, "{\"source_image\":\"%s\"}", src);
  CHECK_CF(send_json("POST", VERIFY, body, &j), j, 400, 5,
           "Field target_image cannot be empty");
  free(body);
  free(src);
  free(dst);
}

static void test_api_keys(void)
{
  char target[200];
  cJSON *j;
  api_cfg.compreface_recognition_key = "rec-key";
  api_cfg.compreface_detection_key = "det-key";
  api_cfg.compreface_verification_key = "ver-key";
  key_hdr = NULL;
  CHECK_CF(get(REC "/subjects", &j), j, 400, 20, "Missing header: x-api-key");
  /* checked before anything else: no file is needed to be refused */
  CHECK_CF(form(REC "/recognize", &j, "x=y", NULL), j, 400, 20,
           "Missing header: x-api-key");
  key_hdr = "x-api-key: nope\r\n";
  CHECK_CF(get(REC "/subjects", &j), j, 404, 10,
           "Recognition service with API Key nope not found");
  CHECK_CF(del(REC "/faces?subject=Tony%20Blair", &j), j, 404, 10,
           "Recognition service with API Key nope not found");
  key_hdr = "x-api-key: det-key\r\n";
  CHECK_CF(get(REC "/subjects", &j), j, 404, 10,
           "Recognition service with API Key det-key not found");
  CHECK(form(DETECT, &j, "file=@" TONY(5), NULL) == 200);
  cJSON_Delete(j);
  CHECK_CF(form(VERIFY, &j, "x=y", NULL), j, 404, 10,
           "Verification service with API Key det-key not found");
  key_hdr = "X-Api-Key: rec-key\r\n";     /* any case */
  CHECK(get(REC "/subjects", &j) == 200);
  cJSON_Delete(j);
  CHECK_CF(form(DETECT, &j, "file=@" TONY(5), NULL), j, 404, 10,
           "Detection service with API Key rec-key not found");
  key_hdr = "x-api-key: rec-key\r\n";
  snprintf(target, sizeof target, REC "/faces/%s/img", ids[0]);
  check_img(target, TONY(1));
  key_hdr = "x-api-key: ver-key\r\n";
  CHECK_CF(send_json("POST", "/api/v1/verification/embeddings/verify", "{}",
                     &j), j, 400, 5, "Field source cannot be empty");
  /* the static link carries the key in its path */
  key_hdr = NULL;
  snprintf(target, sizeof target, "/api/v1/static/rec-key/images/%s", ids[0]);
  check_img(target, TONY(1));
  snprintf(target, sizeof target, "/api/v1/static/rec-ke/images/%s", ids[0]);
  CHECK_CF(get(target, &j), j, 404, 10,
           "Recognition service with API Key rec-ke not found");
  /* no keys set: any key, or none */
  api_cfg.compreface_recognition_key = NULL;
  api_cfg.compreface_detection_key = NULL;
  api_cfg.compreface_verification_key = NULL;
  key_hdr = "x-api-key: 00000000-0000-0000-0000-000000000002\r\n";
  CHECK(get(REC "/subjects", &j) == 200);
  cJSON_Delete(j);
  key_hdr = NULL;
}

/* A JPEG whose header claims 40000 x 40000 pixels. */
static unsigned char *huge_jpeg(size_t *n)
{
  unsigned char *d = client_slurp(FORMATS "einstein.jpeg", n);
  size_t i;
  for(i = 0; d && i + 9 < *n; i++) {
    if(d[i] == 0xff && (d[i + 1] == 0xc0 || d[i + 1] == 0xc2)) {
      /* height and width 40000 (0x9c40): 1600 MP */
      d[i + 5] = d[i + 7] = 0x9c;
      d[i + 6] = d[i + 8] = 0x40;
      break;
    }
  }
  return d;
}

static void test_bad_input(void)
{
  static const char *const broken[] = { "truncated.jpg", "corrupted.png",
                                        "empty.png" };
  static const char *const other[] = { "einstein.bmp", "einstein.gif",
                                       "einstein.tiff" };
  char file[300];
  struct mp m = { NULL, 0, 0 };
  unsigned char *big;
  size_t i, n;
  cJSON *j;
  for(i = 0; i < 3; i++) {
    snprintf(file, sizeof file, "file=@" FORMATS "%s", broken[i]);
    CHECK_CF(form(REC "/recognize", &j, file, NULL), j, 400, 28, BROKEN_MSG);
    snprintf(file, sizeof file, "file=@" FORMATS "%s", other[i]);
    CHECK_CF(form(DETECT, &j, file, NULL), j, 400, 21,
             "Image format is not supported: send JPEG, PNG or WebP");
  }
  big = huge_jpeg(&n);
  mp_file(&m, "file", "huge.jpg", "image/jpeg", big, n);
  mp_end(&m);
  CHECK_CF(call("POST", REC "/recognize", "multipart/form-data; boundary="
                MP_BOUNDARY, m.buf, m.len, &j), j, 413, 0,
           "Image is too large");
  CHECK_CF(call("POST", REC "/faces?subject=x", "image/jpeg", big, n, &j), j,
           415, 0, "Content type 'image/jpeg' not supported");
  free(big);
  free(m.buf);
  /* a field called file that is not a file; no body at all */
  CHECK_CF(form(REC "/recognize", &j, "file=abc", NULL), j, 400, 34,
           "Required part file is missing");
  CHECK_CF(call("POST", DETECT, NULL, NULL, 0, &j), j, 400, 34,
           "Required part file is missing");
  CHECK_CF(send_json("POST", REC "/recognize", "{\"file\":", &j), j, 400, 0,
           "request body is not valid JSON");
  CHECK_CF(send_json("POST", REC "/recognize", "{\"file\":5}", &j), j, 400, 5,
           "Field file cannot be empty");
  CHECK_CF(send_json("POST", DETECT, "[\"aGVsbG8=\"]", &j), j, 400, 5,
           "Field file cannot be empty");
  CHECK_CF(send_json("POST", REC "/faces?subject=x",
                     "{\"image\":\"aGVsbG8=\"}", &j), j, 400, 5,
           "Field file cannot be empty");
  CHECK_CF(send_json("POST", REC "/recognize", "{\"file\":\"not base64!\"}",
                     &j), j, 400, 21, "Provided value is not Base64");
  CHECK_CF(send_json("POST", DETECT, "{\"file\":\"data:image/jpeg;base64,"
                     "aGVsbG8=\"}", &j), j, 400, 21,
           "Provided value is not Base64");
  CHECK_CF(send_json("POST", DETECT, "{\"file\":\"aGVsbG8=\"}", &j), j, 400,
           28, BROKEN_MSG);
  CHECK_CF(send_json("POST", DETECT, "{\"file\":\"\"}", &j), j, 400, 28,
           BROKEN_MSG);
  CHECK(live_faces() == 4);
}

static void test_empty_gallery(void)
{
  cJSON *j;
  char names[64];
  CHECK(del(REC "/faces", &j) == 200 && json_num(j, "deleted") == 4);
  cJSON_Delete(j);
  subjects(names, sizeof names);
  CHECK(!strcmp(names, "") && live_faces() == 0 && kept_images() == 0);
  CHECK(form(REC "/recognize", &j, "file=@" TONY(5), NULL) == 200);
  CHECK(count(nth(j, "result", 0), "subjects") == 0);
  cJSON_Delete(j);
  CHECK(del(REC "/subjects", &j) == 200 && json_num(j, "deleted") == 0);
  cJSON_Delete(j);
}

/* The layer's own answers come in CompreFace's shape too. */
static void test_layer_errors(void)
{
  cJSON *j;
  CHECK_CF(get(REC "/nope", &j), j, 404, 0, "not found");
  CHECK_CF(get(REC "/recognize", &j), j, 405, 0, "method not allowed");
}

int main(void)
{
  static const struct fixture f = {
    "compreface", lk_api_compreface_routes, lk_api_compreface_error, NULL, 0,
    0
  };
  if(fixture_start(&f))
    return 1;
  RUN(test_routes);
  RUN(test_helpers);
  RUN(test_double_take);
  RUN(test_faces);
  RUN(test_subjects);
  RUN(test_faces_delete);
  RUN(test_recognize);
  RUN(test_verify);
  RUN(test_embeddings);
  RUN(test_detection);
  RUN(test_verification);
  RUN(test_api_keys);
  RUN(test_bad_input);
  RUN(test_empty_gallery);
  RUN(test_layer_errors);
  RUN(test_teardown);
  return fixture_end();
}
