/* facebox_harness.h - what the Facebox tests share: the test images, an
 * in-process server with the Facebox routes on the real models and a real
 * SQLite gallery (plus GET /served, a test's own file server for urls),
 * requests with any method and an optional Authorization line, and
 * checks of Facebox's answers. Included by one test file each; test-side
 * memory uses malloc, so lk_mem_in_use() counts only the server's. */
#ifndef LK_TEST_FACEBOX_HARNESS_H
#define LK_TEST_FACEBOX_HARNESS_H

#include <stdarg.h>

#include "api_fixture.h"
#include "fetch/fetch.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define FR LK_TESTDATA "/face_recognition/"
#define TONY(n) LFW "Tony_Blair/Tony_Blair_000" #n ".jpg"
#define BIDEN(n) LFW "Joseph_Biden/Joseph_Biden_000" #n ".jpg"
#define HALLE(n) LFW "Halle_Berry/Halle_Berry_000" #n ".jpg"
#define ANDRE(n) LFW "Andre_Agassi/Andre_Agassi_000" #n ".jpg"
#define LUCY(n) LFW "Lucy_Liu/Lucy_Liu_000" #n ".jpg"
#define KIT1 FR "kit_harington/john1.jpeg"
#define KIT2 FR "kit_harington/john2.jpeg"
#define LIN FR "lin_manuel_miranda/lin-manuel-miranda.png"
#define GROUP LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg"     /* 710x473 */
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"
#define TRUNCATED LK_TESTDATA "/compreface_samples/_formats/truncated.jpg"
#define FP_LEN 688   /* "lk1:" and 512 bytes in base64 */

/* Gallery size: the store's max_faces, so a state upload can run out;
 * BULK faces take the gallery past the adapter's page of 500 faces, so
 * its walks cross pages. */
#define MAX_FACES 560
#define BULK 520

static const char *auth = "";      /* an Authorization header line */
static char *served;               /* what GET /served answers */
static size_t served_len;

/* ---- requests ---------------------------------------------------------- */

/* Any method, any body; the status (0: no answer), the body as JSON in
 * *out (NULL when not JSON) and, when raw is not NULL, the reply. */
static inline int call(const char *method, const char *target,
                       const char *type, const void *body, size_t n,
                       cJSON **out, struct reply *raw)
{
  struct reply r;
  int fd = client_connect(port), rc = -1, status;
  memset(&r, 0, sizeof r);
  if(fd >= 0) {
    rc = client_sendf(fd, "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close"
                      "\r\n%s", method, target, auth);
    if(!rc && type)
      rc = client_sendf(fd, "Content-Type: %s\r\n", type);
    if(!rc)
      rc = client_sendf(fd, "Content-Length: %zu\r\n\r\n", n);
    if(!rc && n)
      rc = client_send(fd, body, n);
    if(!rc)
      rc = client_read_reply(fd, &r, 0);
    close(fd);
  }
  status = rc ? 0 : r.status;
  *out = rc ? NULL : reply_json(&r);
  if(raw)
    *raw = r;
  else
    reply_free(&r);
  return status;
}

static inline int get(const char *target, cJSON **out)
{
  return call("GET", target, NULL, NULL, 0, out, NULL);
}

static inline int form(const char *method, const char *target,
                       const char *body, cJSON **out)
{
  return call(method, target, "application/x-www-form-urlencoded", body,
              strlen(body), out, NULL);
}

static inline int json(const char *target, const char *body, cJSON **out)
{
  return call("POST", target, "application/json; charset=utf-8", body,
              strlen(body), out, NULL);
}

/* A multipart POST as curl -F builds it: see client_vpost_form. */
static inline int post(const char *target, cJSON **out, ...)
{
  va_list ap;
  int status;
  va_start(ap, out);
  status = client_vpost_form(port, 0, target, out, ap);
  va_end(ap);
  return status;
}

/* A file's bytes in base64, malloc'd. */
static inline char *b64_file(const char *path)
{
  size_t n;
  unsigned char *d = client_slurp(path, &n);
  char *s = malloc(LK_API_BASE64_LEN(n));
  lk_api_base64_encode(d, n, s);
  free(d);
  return s;
}

/* Percent-encoded for a form or a query, malloc'd. */
static inline char *urlenc(const char *s)
{
  char *out = malloc(3 * strlen(s) + 1), *p = out;
  for(; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')
      *p++ = (char)c;
    else
      p += sprintf(p, "%%%02X", c);
  }
  *p = '\0';
  return out;
}

/* {"key":"<file in base64>",<rest>} */
static inline char *json_b64(const char *key, const char *path,
                             const char *rest)
{
  char *b = b64_file(path), *s = malloc(strlen(b) + strlen(rest) + 64);
  sprintf(s, "{\"%s\":\"%s\"%s%s}", key, b, rest[0] ? "," : "", rest);
  free(b);
  return s;
}

/* ---- answers ----------------------------------------------------------- */

static inline const cJSON *item(const cJSON *o, const char *key)
{
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static inline int is_true(const cJSON *o, const char *key)
{
  return cJSON_IsTrue(item(o, key));
}

/* Whether o's keys are exactly list ("a,b,c"), in that order. */
static inline int keys_are(const cJSON *o, const char *list)
{
  const cJSON *it;
  char got[256] = "";
  size_t len = 0;
  cJSON_ArrayForEach(it, o) {
    int n = snprintf(got + len, sizeof got - len, "%s%s", len ? "," : "",
                     it->string ? it->string : "?");
    if(n > 0 && (size_t)n < sizeof got - len)
      len += (size_t)n;
  }
  if(strcmp(got, list))
    fprintf(stderr, "keys %s, want %s\n", got, list);
  return !strcmp(got, list);
}

/* Facebox's error: exactly {"success":false,"error":want}. */
#define CHECK_ERROR(status, j, want_status, want_error) do { \
    CHECK_MSG((status) == (want_status), "status %d, want %d", (status), \
              (want_status)); \
    CHECK(keys_are(j, "success,error")); \
    CHECK(cJSON_IsFalse(item(j, "success"))); \
    CHECK_MSG(!strcmp(json_str(j, "error"), want_error), "error '%s', " \
              "want '%s'", json_str(j, "error"), want_error); \
    cJSON_Delete(j); \
  } while(0)

/* Exactly {"success":true}. */
#define CHECK_OK(status, j) do { \
    CHECK_MSG((status) == 200, "status %d: %s", (status), \
              json_str(j, "error")); \
    CHECK(keys_are(j, "success") && is_true(j, "success")); \
    cJSON_Delete(j); \
  } while(0)

static inline const cJSON *nth(const cJSON *j, const char *array, int i)
{
  return cJSON_GetArrayItem(item(j, array), i);
}

static inline int count(const cJSON *j, const char *array)
{
  const cJSON *a = item(j, array);
  return cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
}

/* A confidence: a fraction with at most 6 decimals. */
static inline int fraction_ok(double c)
{
  return c >= 0 && c <= 1 && fabs(c * 1e6 - round(c * 1e6)) < 1e-6;
}

/* A rect in whole pixels inside a w x h image, not empty. */
static inline int rect_ok(const cJSON *rect, int w, int h)
{
  double t = json_num(rect, "top"), l = json_num(rect, "left");
  double wd = json_num(rect, "width"), ht = json_num(rect, "height");
  return keys_are(rect, "top,left,width,height") && t == floor(t) &&
         l == floor(l) && wd == floor(wd) && ht == floor(ht) && t >= 0 &&
         l >= 0 && wd > 0 && ht > 0 && l + wd <= w && t + ht <= h;
}

/* A matched face of check: name, one of the ids (a|b|...), confidence. */
static inline void check_matched(const cJSON *f, const char *name,
                                 const char *ids)
{
  char want[256], got[300];
  snprintf(want, sizeof want, "|%s|", ids);
  snprintf(got, sizeof got, "|%s|", json_str(f, "id"));
  CHECK(keys_are(f, "rect,id,name,matched,confidence"));
  CHECK(is_true(f, "matched"));
  CHECK_MSG(!strcmp(json_str(f, "name"), name), "name '%s', want '%s'",
            json_str(f, "name"), name);
  CHECK_MSG(strstr(want, got) != NULL, "id '%s', want one of %s",
            json_str(f, "id"), ids);
  CHECK_MSG(json_num(f, "confidence") >= 0.5 &&
            fraction_ok(json_num(f, "confidence")), "confidence %g",
            json_num(f, "confidence"));
}

/* An unmatched face: no name, no id, confidence 0, as Facebox. */
static inline void check_unmatched(const cJSON *f)
{
  CHECK(keys_are(f, "rect,matched,confidence"));
  CHECK(cJSON_IsFalse(item(f, "matched")));
  CHECK(json_num(f, "confidence") == 0);
}

/* POST /facebox/check with one file; the answer, after its shape is
 * checked (facesCount = the faces listed). */
static inline cJSON *check_file(const char *path)
{
  char field[512];
  cJSON *j;
  snprintf(field, sizeof field, "file=@%s", path);
  CHECK(post("/facebox/check", &j, field, NULL) == 200);
  CHECK(is_true(j, "success"));
  CHECK(keys_are(j, "success,facesCount,faces"));
  CHECK(json_num(j, "facesCount") == count(j, "faces"));
  return j;
}

static inline int64_t live_faces(void)
{
  struct lk_store_counts c;
  CHECK(lk_store_counts(store, &c) == LK_OK);
  return c.faces;
}

static inline int64_t tombstones(void)
{
  struct lk_store_counts c;
  CHECK(lk_store_counts(store, &c) == LK_OK);
  return c.deleted_faces;
}

/* Live faces of a person (-1: no such person). */
static inline int64_t faces_of(const char *name)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_store_person p;
  int64_t n = lk_store_person_get(store, name, a, &p) ? -1 : p.n_faces;
  lk_arena_destroy(a);
  return n;
}

/* A faceprint made here, apart from the server's code: the documented
 * format, "lk1:" and the 128 values as float32 little endian, base64. */
static inline void make_faceprint(const float *d, char *out)
{
  unsigned char b[512];
  uint32_t v;
  int i;
  for(i = 0; i < 128; i++) {
    memcpy(&v, &d[i], 4);
    b[4 * i] = (unsigned char)v;
    b[4 * i + 1] = (unsigned char)(v >> 8);
    b[4 * i + 2] = (unsigned char)(v >> 16);
    b[4 * i + 3] = (unsigned char)(v >> 24);
  }
  memcpy(out, "lk1:", 4);
  lk_api_base64_encode(b, sizeof b, out + 4);
}

/* The faceprint of an image's largest face, from check (malloc'd). */
static inline char *faceprint_of(const char *path)
{
  char field[512], *fp;
  cJSON *j;
  snprintf(field, sizeof field, "file=@%s", path);
  CHECK(post("/facebox/check", &j, field, "faceprint=true", NULL) == 200);
  fp = strdup(json_str(nth(j, "faces", 0), "faceprint"));
  CHECK_MSG(strlen(fp) == FP_LEN && !strncmp(fp, "lk1:", 4), "fp %s", fp);
  cJSON_Delete(j);
  return fp;
}

/* The test's image server: /served answers what a test put there. */
static inline lk_err serve(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  (void)req;
  (void)ctx;
  return lk_http_resp_bytes(resp, 200, "application/octet-stream", served,
                            served_len);
}

/* The Facebox routes and GET /served; a gallery of MAX_FACES. 0 when
 * ready. */
static inline int facebox_start(const char *name)
{
  static const struct lk_http_route extra[] = {
    { "GET", "/served", serve, NULL, 0, NULL },
  };
  struct fixture f = {
    name, lk_api_facebox_routes, lk_api_facebox_error, extra, 1, MAX_FACES
  };
  return fixture_start(&f);
}

/* The test's own buffer, then the fixture's checks. */
static inline int facebox_end(void)
{
  free(served);
  return fixture_end();
}

#endif
