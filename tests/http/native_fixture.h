/* native_fixture.h - what the native API's two tests share: a server with
 * the native routes on 127.0.0.1 over the real models, a SQLite gallery
 * and a folder of kept images; a client for any method, body and header;
 * readers for answers and the error shape. Memory in use returns to where
 * it started once test_teardown has run. */
#ifndef LK_TEST_NATIVE_FIXTURE_H
#define LK_TEST_NATIVE_FIXTURE_H

#include <stdarg.h>

#include "api_fixture.h"
#include "fetch/fetch.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define TONY(n) LFW "Tony_Blair/Tony_Blair_000" #n ".jpg"
#define HALLE(n) LFW "Halle_Berry/Halle_Berry_000" #n ".jpg"
#define AGASSI LFW "Andre_Agassi/Andre_Agassi_0001.jpg"
#define GROUP LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg"     /* 710x473 */
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"
#define FORMATS LK_TESTDATA "/compreface_samples/_formats/"
#define TRUNCATED FORMATS "truncated.jpg"
#define JSON "application/json"


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
  snprintf(path, sizeof path, "%s/%.0f.jpg", image_dir, id);
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

/* The native routes on a fresh gallery; 0 when ready. */
static inline int native_start(const char *name)
{
  struct fixture f = {
    name, lk_api_native_routes, lk_api_native_error, NULL, 0, 0
  };
  return fixture_start(&f);
}

#endif
