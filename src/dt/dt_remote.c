/* dt_remote.c - Double Take's detector clients (api/src/util/detectors/
 * compreface.js, deepstack.js, facebox.js, aiserver.js): the same
 * endpoints, fields and readings of the answers. Requests are multipart
 * bodies built here, sent with lk_fetch_trusted_send. */
#include "dt_remote.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/fetch.h"

#define LK_DT_BOUNDARY "likeness-7d0b3c1e9a5f42"
#define LK_DT_TIMEOUT_S 15          /* Double Take's detector default */
#define LK_DT_DET_PROB 0.8          /* Double Take's CompreFace default */

static lk_err lk_dt_why(char *why, lk_err err, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

static lk_err lk_dt_why(char *why, lk_err err, const char *fmt, ...)
{
  va_list ap;
  if(why) {
    va_start(ap, fmt);
    vsnprintf(why, LK_DT_REMOTE_ERRMAX, fmt, ap);
    va_end(ap);
  }
  return err;
}

/* ---- requests --------------------------------------------------------- */

/* A multipart/form-data body: text fields, then at most one file. */
struct lk_dt_form {
  char *buf;
  size_t len, cap;
  int failed;
};

static void lk_dt_form_add(struct lk_dt_form *f, const void *p, size_t n)
{
  if(f->failed)
    return;
  if(f->len + n > f->cap) {
    size_t cap = (f->len + n) * 2 + 256;
    char *b = lk_realloc(f->buf, cap);
    if(!b) {
      f->failed = 1;
      return;
    }
    f->buf = b;
    f->cap = cap;
  }
  memcpy(f->buf + f->len, p, n);
  f->len += n;
}

static void lk_dt_form_text(struct lk_dt_form *f, const char *s)
{
  lk_dt_form_add(f, s, strlen(s));
}

static void lk_dt_form_field(struct lk_dt_form *f, const char *name,
                             const char *value)
{
  lk_dt_form_text(f, "--" LK_DT_BOUNDARY "\r\nContent-Disposition: "
                  "form-data; name=\"");
  lk_dt_form_text(f, name);
  lk_dt_form_text(f, "\"\r\n\r\n");
  lk_dt_form_text(f, value);
  lk_dt_form_text(f, "\r\n");
}

static void lk_dt_form_file(struct lk_dt_form *f, const char *name,
                            const void *img, size_t len)
{
  lk_dt_form_text(f, "--" LK_DT_BOUNDARY "\r\nContent-Disposition: "
                  "form-data; name=\"");
  lk_dt_form_text(f, name);
  lk_dt_form_text(f, "\"; filename=\"image.jpg\"\r\nContent-Type: "
                  "image/jpeg\r\n\r\n");
  lk_dt_form_add(f, img, len);
  lk_dt_form_text(f, "\r\n");
}

static void lk_dt_form_end(struct lk_dt_form *f)
{
  lk_dt_form_text(f, "--" LK_DT_BOUNDARY "--\r\n");
}

/* s percent-encoded for a query value or a path segment. */
static void lk_dt_escape(char *out, size_t size, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t k = 0;
  for(; *s && k + 4 < size; s++) {
    unsigned char c = (unsigned char)*s;
    if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
       c == '~') {
      out[k++] = (char)c;
    } else {
      out[k++] = '%';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 15];
    }
  }
  out[k] = '\0';
}

/* base + the rest, without a doubled slash. */
static int lk_dt_url(char *out, size_t size, const char *base,
                     const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

static int lk_dt_url(char *out, size_t size, const char *base,
                     const char *fmt, ...)
{
  va_list ap;
  size_t n = strlen(base);
  int k;
  while(n && base[n - 1] == '/')
    n--;
  if(n >= size)
    return -1;
  memcpy(out, base, n);
  va_start(ap, fmt);
  k = vsnprintf(out + n, size - n, fmt, ap);
  va_end(ap);
  return k < 0 || (size_t)k >= size - n ? -1 : 0;
}

struct lk_dt_answer {
  long status;
  cJSON *json;                  /* NULL when the body is not JSON */
};

/* Send a request; the answer's JSON whatever its status. */
static lk_err lk_dt_send(const struct lk_dt_remote *r, const char *method,
                         const char *url, const struct lk_dt_form *form,
                         struct lk_dt_answer *ans, char *why)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  struct lk_fetch_body b;
  const char *headers[2] = { NULL, NULL };
  char key[512];
  unsigned char *data = NULL;
  size_t len = 0;
  lk_err err;

  memset(&b, 0, sizeof b);
  memset(ans, 0, sizeof *ans);
  p.timeout_ms = 1000L * (r->timeout_s > 0 ? r->timeout_s : LK_DT_TIMEOUT_S);
  b.method = method;
  b.any_status = 1;
  if(form) {
    b.content_type = "multipart/form-data; boundary=" LK_DT_BOUNDARY;
    b.data = form->buf;
    b.len = form->len;
  }
  if(r->kind == LK_DT_COMPREFACE && r->key) {
    snprintf(key, sizeof key, "x-api-key: %s", r->key);
    headers[0] = key;
    b.headers = headers;
  }
  err = lk_fetch_trusted_send(&p, NULL, url, &b, &ans->status, &data, &len,
                              why);
  if(!err)
    ans->json = cJSON_ParseWithLength((const char *)data, len);
  lk_free(data);
  return err;
}

/* A form with the image under field, plus DeepStack's api_key. */
static lk_err lk_dt_image_form(const struct lk_dt_remote *r,
                               const char *field, const void *img,
                               size_t len, const char *userid,
                               struct lk_dt_form *f)
{
  memset(f, 0, sizeof *f);
  if(img)
    lk_dt_form_file(f, field, img, len);
  if(userid)
    lk_dt_form_field(f, "userid", userid);
  if((r->kind == LK_DT_DEEPSTACK || r->kind == LK_DT_AISERVER) && r->key)
    lk_dt_form_field(f, "api_key", r->key);
  lk_dt_form_end(f);
  return f->failed ? LK_ERR_NOMEM : LK_OK;
}

/* ---- answers ---------------------------------------------------------- */

static double lk_dt_num(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *lk_dt_text(const cJSON *o, const char *key,
                              struct lk_arena *a)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? lk_arena_strdup(a, v->valuestring) : NULL;
}

static lk_err lk_dt_faces_alloc(struct lk_arena *a, int n,
                                struct lk_dt_raw_face **faces)
{
  *faces = lk_arena_calloc(a, (size_t)(n > 0 ? n : 1) * sizeof **faces);
  return *faces ? LK_OK : LK_ERR_NOMEM;
}

/* The detector's own error text, or the HTTP status. */
static lk_err lk_dt_refused(const struct lk_dt_remote *r,
                            const struct lk_dt_answer *ans, const char *key,
                            char *why)
{
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(ans->json, key);
  if(cJSON_IsString(m))
    return lk_dt_why(why, LK_ERR_IO, "%s: %s", lk_dt_detector_name(r->kind),
                     m->valuestring);
  return lk_dt_why(why, LK_ERR_IO, "%s: HTTP %ld", lk_dt_detector_name(r->kind),
                   ans->status);
}

/* {"result":[{"box":{...},"subjects":[{"subject","similarity"}]}]}; code
 * 28 is "no face". */
static lk_err lk_dt_compreface_faces(const struct lk_dt_remote *r,
                                     const struct lk_dt_answer *ans,
                                     struct lk_arena *a,
                                     struct lk_dt_raw_face **faces,
                                     size_t *n, char *why)
{
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(ans->json, "result");
  const cJSON *f;
  if(lk_dt_num(ans->json, "code") == 28)
    return LK_OK;
  if(ans->status != 200 || !cJSON_IsArray(res))
    return lk_dt_refused(r, ans, "message", why);
  if(lk_dt_faces_alloc(a, cJSON_GetArraySize(res), faces))
    return LK_ERR_NOMEM;
  cJSON_ArrayForEach(f, res) {
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(f, "box");
    const cJSON *s0 = cJSON_GetArrayItem(
      cJSON_GetObjectItemCaseSensitive(f, "subjects"), 0);
    struct lk_dt_raw_face *o = &(*faces)[(*n)++];
    o->detector = "compreface";
    o->subject = lk_dt_text(s0, "subject", a);
    o->confidence = lk_dt_num(s0, "similarity");
    o->box = lk_dt_box_corners((int)lk_dt_num(box, "x_min"),
                               (int)lk_dt_num(box, "y_min"),
                               (int)lk_dt_num(box, "x_max"),
                               (int)lk_dt_num(box, "y_max"));
  }
  return LK_OK;
}

/* {"success":true,"predictions":[{"userid","confidence","x_min",...}]};
 * success:false (and aiserver's "No face found in image") is no face. */
static lk_err lk_dt_deepstack_faces(const struct lk_dt_remote *r,
                                    const struct lk_dt_answer *ans,
                                    struct lk_arena *a,
                                    struct lk_dt_raw_face **faces,
                                    size_t *n, char *why)
{
  const cJSON *pred = cJSON_GetObjectItemCaseSensitive(ans->json,
                                                       "predictions");
  const cJSON *p;
  if(!ans->json)
    return lk_dt_refused(r, ans, "error", why);
  if(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans->json, "success")) ||
     !cJSON_IsArray(pred))
    return LK_OK;
  if(lk_dt_faces_alloc(a, cJSON_GetArraySize(pred), faces))
    return LK_ERR_NOMEM;
  cJSON_ArrayForEach(p, pred) {
    struct lk_dt_raw_face *o = &(*faces)[(*n)++];
    o->detector = lk_dt_detector_name(r->kind);
    o->subject = lk_dt_text(p, "userid", a);
    o->confidence = lk_dt_num(p, "confidence");
    o->box = lk_dt_box_corners((int)lk_dt_num(p, "x_min"),
                               (int)lk_dt_num(p, "y_min"),
                               (int)lk_dt_num(p, "x_max"),
                               (int)lk_dt_num(p, "y_max"));
  }
  return LK_OK;
}

/* {"success":true,"faces":[{"rect":{top,left,width,height},"name",
 * "matched","confidence"}]}; success:false is an error (data.error). */
static lk_err lk_dt_facebox_faces(const struct lk_dt_remote *r,
                                  const struct lk_dt_answer *ans,
                                  struct lk_arena *a,
                                  struct lk_dt_raw_face **faces, size_t *n,
                                  char *why)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(ans->json, "faces");
  const cJSON *f;
  if(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans->json, "success")))
    return lk_dt_refused(r, ans, "error", why);
  if(!cJSON_IsArray(list))
    return LK_OK;
  if(lk_dt_faces_alloc(a, cJSON_GetArraySize(list), faces))
    return LK_ERR_NOMEM;
  cJSON_ArrayForEach(f, list) {
    const cJSON *rect = cJSON_GetObjectItemCaseSensitive(f, "rect");
    struct lk_dt_raw_face *o = &(*faces)[(*n)++];
    o->detector = "facebox";
    o->matched = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f,
                                                               "matched"));
    o->subject = o->matched ? lk_dt_text(f, "name", a) : NULL;
    o->confidence = lk_dt_num(f, "confidence");
    o->box.top = (int)lk_dt_num(rect, "top");
    o->box.left = (int)lk_dt_num(rect, "left");
    o->box.width = (int)lk_dt_num(rect, "width");
    o->box.height = (int)lk_dt_num(rect, "height");
  }
  return LK_OK;
}

/* ---- the three calls -------------------------------------------------- */

lk_err lk_dt_remote_recognize(const struct lk_dt_remote *r, const void *img,
                              size_t len, struct lk_arena *arena,
                              struct lk_dt_raw_face **faces, size_t *n,
                              char *why)
{
  char url[LK_FETCH_URL_MAX], plugins[256] = "";
  struct lk_dt_form form;
  struct lk_dt_answer ans;
  int bad = 0;
  lk_err err;

  *faces = NULL;
  *n = 0;
  if(r->kind == LK_DT_COMPREFACE) {
    if(r->face_plugins)
      lk_dt_escape(plugins, sizeof plugins, r->face_plugins);
    bad = lk_dt_url(url, sizeof url, r->url, "/api/v1/recognition/recognize"
                    "?face_plugins=%s&det_prob_threshold=%g", plugins,
                    r->det_prob_threshold > 0 ? r->det_prob_threshold
                                              : LK_DT_DET_PROB);
  } else if(r->kind == LK_DT_FACEBOX) {
    bad = lk_dt_url(url, sizeof url, r->url, "/facebox/check");
  } else {
    bad = lk_dt_url(url, sizeof url, r->url, "/v1/vision/face/recognize");
  }
  if(bad)
    return lk_dt_why(why, LK_ERR_INVAL, "detector URL too long");
  err = lk_dt_image_form(r, r->kind == LK_DT_COMPREFACE ||
                         r->kind == LK_DT_FACEBOX ? "file" : "image", img,
                         len, NULL, &form);
  if(!err)
    err = lk_dt_send(r, "POST", url, &form, &ans, why);
  lk_free(form.buf);
  if(err)
    return err;
  if(r->kind == LK_DT_COMPREFACE)
    err = lk_dt_compreface_faces(r, &ans, arena, faces, n, why);
  else if(r->kind == LK_DT_FACEBOX)
    err = lk_dt_facebox_faces(r, &ans, arena, faces, n, why);
  else
    err = lk_dt_deepstack_faces(r, &ans, arena, faces, n, why);
  cJSON_Delete(ans.json);
  return err;
}

/* 2xx, and for DeepStack and Facebox "success": true. */
static lk_err lk_dt_accepted(const struct lk_dt_remote *r,
                             struct lk_dt_answer *ans, char *why)
{
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(ans->json, "success");
  lk_err err = LK_OK;
  if(ans->status < 200 || ans->status >= 300 || cJSON_IsFalse(ok))
    err = lk_dt_refused(r, ans, r->kind == LK_DT_COMPREFACE ? "message"
                                                             : "error", why);
  cJSON_Delete(ans->json);
  ans->json = NULL;
  return err;
}

lk_err lk_dt_remote_train(const struct lk_dt_remote *r, const char *name,
                          const void *img, size_t len, char *why)
{
  char url[LK_FETCH_URL_MAX], esc[1024];
  struct lk_dt_form form;
  struct lk_dt_answer ans;
  int bad;
  lk_err err;

  lk_dt_escape(esc, sizeof esc, name);
  if(r->kind == LK_DT_COMPREFACE)
    bad = lk_dt_url(url, sizeof url, r->url,
                    "/api/v1/recognition/faces?subject=%s", esc);
  else if(r->kind == LK_DT_FACEBOX)
    bad = lk_dt_url(url, sizeof url, r->url, "/facebox/teach?name=%s&id=%s",
                    esc, esc);
  else
    bad = lk_dt_url(url, sizeof url, r->url, "/v1/vision/face/register");
  if(bad)
    return lk_dt_why(why, LK_ERR_INVAL, "detector URL too long");
  err = lk_dt_image_form(r, r->kind == LK_DT_COMPREFACE ||
                         r->kind == LK_DT_FACEBOX ? "file" : "image", img,
                         len, r->kind == LK_DT_DEEPSTACK ||
                         r->kind == LK_DT_AISERVER ? name : NULL, &form);
  if(!err)
    err = lk_dt_send(r, "POST", url, &form, &ans, why);
  lk_free(form.buf);
  return err ? err : lk_dt_accepted(r, &ans, why);
}

lk_err lk_dt_remote_untrain(const struct lk_dt_remote *r, const char *name,
                            char *why)
{
  char url[LK_FETCH_URL_MAX], esc[1024];
  struct lk_dt_form form;
  struct lk_dt_answer ans;
  const char *method = "DELETE";
  int bad;
  lk_err err = LK_OK;

  memset(&form, 0, sizeof form);
  lk_dt_escape(esc, sizeof esc, name);
  if(r->kind == LK_DT_COMPREFACE) {
    bad = lk_dt_url(url, sizeof url, r->url,
                    "/api/v1/recognition/faces?subject=%s", esc);
  } else if(r->kind == LK_DT_FACEBOX) {
    bad = lk_dt_url(url, sizeof url, r->url, "/facebox/teach/%s", esc);
  } else {
    bad = lk_dt_url(url, sizeof url, r->url, "/v1/vision/face/delete");
    method = "POST";
    err = lk_dt_image_form(r, NULL, NULL, 0, name, &form);
  }
  if(bad)
    err = lk_dt_why(why, LK_ERR_INVAL, "detector URL too long");
  if(!err)
    err = lk_dt_send(r, method, url, form.buf ? &form : NULL, &ans, why);
  lk_free(form.buf);
  return err ? err : lk_dt_accepted(r, &ans, why);
}
