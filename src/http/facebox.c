/* facebox.c - Facebox's API (machinebox's closed-source box, port 8080) on
 * the pipeline: the pieces every Facebox route shares (the error shape,
 * HTTP Basic auth, images as a file, base64 or url, faceprints, taught
 * ids), /info and the route table. The routes themselves are in
 * facebox_check.c (check, similar, similars, faceprint) and
 * facebox_teach.c (teach, rename, remove, state). Field names and shapes
 * are those machinebox/sdk-go (the facebox and boxutil packages), Home
 * Assistant's facebox integration and Double Take's facebox detector read
 * and send; docs/api-facebox.md lists where we differ and why. */
#include "facebox_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "fetch/fetch.h"

/* /info's version: boxutil.Info reads an integer. */
#define LK_FB_INFO_VERSION 1
/* Faces per store read while walking the gallery: the store pages by
 * OFFSET, so each page rescans the ones before it; 500 keeps a walk of
 * 10,000 faces near 40 ms. The scratch arena holds one page: about 1 KB a
 * face, but a face may carry up to LK_STORE_META_MAX (64 KiB) of another
 * API's meta, 32 MiB for a page in the worst case. */
#define LK_FB_PAGE 500
#define LK_FB_PAGE_BYTES ((size_t)64 << 20)

/* Status and text for each lk_err a pipeline or store call can return. */
static const struct lk_api_error lk_fb_errors[] = {
  { LK_ERR_IMAGE, 400, "invalid image" },
  /* BMP, GIF, TIFF, HEIC: to a client the same "cannot read it" */
  { LK_ERR_UNSUPPORTED, 400, "invalid image" },
  { LK_ERR_NO_FACE, 400, "no face found in the image" },
  { LK_ERR_TOO_LARGE, 413, "image too large" },
  { LK_ERR_NOT_FOUND, 404, "not found" },
  { LK_ERR_BUSY, 503, "server busy, retry later" },
  { LK_ERR_LAST, 500, "internal error" },
};

lk_err lk_api_facebox_error(struct lk_http_req *req,
                            struct lk_http_resp *resp, int status,
                            const char *message, void *ctx)
{
  cJSON *o = cJSON_CreateObject();
  (void)req;
  (void)ctx;
  /* mbhttp.DoUnmarshal reads success and error from every answer */
  o = lk_api_json_add(o, "success", cJSON_CreateFalse());
  return lk_http_resp_json(resp, status, lk_api_json_add(o, "error",
                           cJSON_CreateString(message)));
}

lk_err lk_fb_fail(struct lk_http_resp *resp, int status, const char *message)
{
  lk_err err = lk_http_resp_error(resp, status, message);
  if(!err && status == 503)
    err = lk_http_resp_header(resp, "Retry-After", "1");
  return err;
}

lk_err lk_fb_fail_err(struct lk_http_req *req, struct lk_http_resp *resp,
                      lk_err err, const char *why)
{
  const struct lk_api_error *e = lk_api_error_find(lk_fb_errors, err);
  lk_log(e->status >= 500 ? LK_LOG_WARN : LK_LOG_DEBUG, "facebox",
         "%s: %s", lk_http_req_path(req),
         why && why[0] ? why : lk_strerror(err));
  return lk_fb_fail(resp, e->status, e->message);
}

cJSON *lk_fb_ok(void)
{
  return lk_api_json_add(cJSON_CreateObject(), "success",
                         cJSON_CreateTrue());
}

/* Both halves are always compared, so the time tells nothing about which
 * one was wrong. */
static int lk_fb_credentials_ok(struct lk_http_req *req,
                                const struct lk_api_config *cfg)
{
  const char *user, *pass;
  const char *want = cfg->facebox_password ? cfg->facebox_password : "";
  int ok;
  if(lk_http_req_basic_auth(req, &user, &pass))
    return 0;
  ok = lk_api_key_equal(user, strlen(user), cfg->facebox_user);
  ok &= lk_api_key_equal(pass, strlen(pass), want);
  return ok;
}

int lk_fb_refused(struct lk_http_req *req, struct lk_http_resp *resp,
                  const struct lk_api *api)
{
  if(!api->cfg || !api->cfg->facebox_user || !api->cfg->facebox_user[0] ||
     lk_fb_credentials_ok(req, api->cfg))
    return 0;
  /* Home Assistant's integration tells 401 apart ("AuthenticationError");
   * the challenge lets a browser or curl --anyauth ask for credentials */
  if(!lk_fb_fail(resp, 401, "unauthorized"))
    lk_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"facebox\"");
  return 1;
}

struct lk_store *lk_fb_store(struct lk_http_req *req,
                             struct lk_http_resp *resp,
                             const struct lk_api *api)
{
  struct lk_store *st = lk_pipeline_store(api->pipe);
  if(!st)
    lk_fb_fail_err(req, resp, LK_ERR_INVAL, "no gallery");
  return st;
}

/* ---- what clients send ------------------------------------------------ */

void lk_fb_upload_free(struct lk_fb_upload *up)
{
  lk_free(up->owned);
  memset(up, 0, sizeof *up);
}

int lk_fb_fetch(struct lk_http_req *req, struct lk_http_resp *resp,
                const struct lk_api *api, const char *url,
                struct lk_fb_upload *up)
{
  char why[LK_FETCH_ERRMAX] = "", msg[LK_FETCH_ERRMAX + 32];
  lk_err err = lk_fetch_url(api->cfg ? api->cfg->fetch : NULL, url,
                            &up->owned, &up->len, NULL, why);
  if(!err) {
    up->data = up->owned;
    return 0;
  }
  if(err == LK_ERR_NOMEM) {
    lk_fb_fail_err(req, resp, err, why);
    return 1;
  }
  /* the guard's and the network's reasons are the client's to see:
   * "refused: 10.0.0.1 is a private address", "HTTP 404" */
  snprintf(msg, sizeof msg, "cannot fetch url: %s", why[0] ? why
           : lk_strerror(err));
  lk_log(LK_LOG_DEBUG, "facebox", "%s: %s", lk_http_req_path(req), msg);
  lk_fb_fail(resp, err == LK_ERR_TOO_LARGE ? 413 : 400, msg);
  return 1;
}

/* base64 text, also as a data: URI (a browser's readAsDataURL). */
static lk_err lk_fb_base64(const char *s, struct lk_fb_upload *up)
{
  const char *comma = strchr(s, ',');
  size_t len;
  lk_err err;
  if(!strncmp(s, "data:", 5) && comma)
    s = comma + 1;
  len = strlen(s);
  up->owned = lk_malloc(LK_API_BASE64_MAX(len));
  if(!up->owned)
    return LK_ERR_NOMEM;
  err = lk_api_base64_decode(s, len, up->owned, &up->len);
  up->data = up->owned;
  return err;
}

const char *lk_fb_text(struct lk_http_req *req, const char *name)
{
  const char *v = lk_api_field(req, name);
  return v && v[0] ? v : NULL;
}

int lk_fb_image_given(struct lk_http_req *req)
{
  return lk_api_file(req, "file") || lk_fb_text(req, "base64") ||
         lk_fb_text(req, "url");
}

int lk_fb_image_get(struct lk_http_req *req, struct lk_http_resp *resp,
                    const struct lk_api *api, struct lk_fb_upload *img)
{
  const struct lk_http_part *file = lk_api_file(req, "file");
  const char *b64 = lk_fb_text(req, "base64");
  const char *url = lk_fb_text(req, "url");
  lk_err err;
  memset(img, 0, sizeof *img);
  if(file) {
    img->data = file->data;
    img->len = file->size;
    return 0;
  }
  if(!b64 && !url) {
    /* a file under another name (DeepStack's "image") is the likely
     * mistake: say which name Facebox reads */
    lk_fb_fail(resp, 400, lk_api_file(req, NULL)
               ? "no image: the form file must be named file"
               : "no image: send a form file named file, url or base64");
    return 1;
  }
  if(!b64)
    return lk_fb_fetch(req, resp, api, url, img);
  err = lk_fb_base64(b64, img);
  if(!err)
    return 0;
  lk_fb_upload_free(img);
  if(err == LK_ERR_INVAL)
    lk_fb_fail(resp, 400, "base64 is not valid base64");
  else
    lk_fb_fail_err(req, resp, err, NULL);
  return 1;
}

/* ---- faceprints ------------------------------------------------------- */

#define LK_FB_PREFIX_LEN (sizeof LK_FB_FACEPRINT_PREFIX - 1)

void lk_fb_faceprint_encode(const float *d, char *out)
{
  unsigned char b[LK_FB_FACEPRINT_BYTES];
  uint32_t v;
  int i, k;
  /* little endian whatever the host, so a faceprint moves between
   * machines */
  for(i = 0; i < LK_STORE_DIM; i++) {
    memcpy(&v, &d[i], sizeof v);
    for(k = 0; k < 4; k++)
      b[4 * i + k] = (unsigned char)(v >> (8 * k));
  }
  memcpy(out, LK_FB_FACEPRINT_PREFIX, LK_FB_PREFIX_LEN);
  lk_api_base64_encode(b, sizeof b, out + LK_FB_PREFIX_LEN);
}

lk_err lk_fb_faceprint_decode(const char *s, float *d)
{
  unsigned char b[LK_API_BASE64_MAX(LK_FB_FACEPRINT_SIZE)];
  size_t len, n;
  uint32_t v;
  int i, k;
  if(!s || strncmp(s, LK_FB_FACEPRINT_PREFIX, LK_FB_PREFIX_LEN))
    return LK_ERR_INVAL;
  s += LK_FB_PREFIX_LEN;
  /* longer text than ours is not ours; the bound keeps b on the stack */
  len = strnlen(s, LK_FB_FACEPRINT_SIZE);
  if(len == LK_FB_FACEPRINT_SIZE || lk_api_base64_decode(s, len, b, &n) ||
     n != LK_FB_FACEPRINT_BYTES)
    return LK_ERR_INVAL;
  for(i = 0; i < LK_STORE_DIM; i++) {
    for(v = 0, k = 0; k < 4; k++)
      v |= (uint32_t)b[4 * i + k] << (8 * k);
    memcpy(&d[i], &v, sizeof v);
    if(!isfinite(d[i]))
      return LK_ERR_INVAL;
  }
  return LK_OK;
}

/* ---- Facebox ids ------------------------------------------------------ */

lk_err lk_fb_meta(struct lk_http_req *req, const char *id,
                  const char **meta)
{
  cJSON *o;
  char *text;
  *meta = NULL;
  if(!id)
    return LK_OK;
  o = lk_api_json_add(cJSON_CreateObject(), LK_FB_META_ID,
                      cJSON_CreateString(id));
  text = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  *meta = text ? lk_arena_strdup(lk_http_req_arena(req), text) : NULL;
  cJSON_free(text);
  return *meta ? LK_OK : LK_ERR_NOMEM;
}

/* The id in a face's meta, copied into arena, else person (*named 0).
 * NULL when out of memory. */
static const char *lk_fb_id_of(const char *meta, const char *person,
                               struct lk_arena *arena, int *named)
{
  cJSON *o;
  const cJSON *v;
  char *id;
  *named = 0;
  /* most metas are "{}" or another API's: no parse for those */
  if(!meta || !strstr(meta, "\"" LK_FB_META_ID "\""))
    return person;
  o = cJSON_Parse(meta);
  v = cJSON_GetObjectItemCaseSensitive(o, LK_FB_META_ID);
  if(!cJSON_IsString(v)) {
    cJSON_Delete(o);
    return person;
  }
  id = lk_arena_strdup(arena, v->valuestring);
  cJSON_Delete(o);
  *named = 1;
  return id;
}

const char *lk_fb_face_id(struct lk_store *st, int64_t face_id,
                          const char *person, struct lk_arena *arena)
{
  struct lk_store_face f;
  const char *id;
  int named;
  /* a face deleted since it matched is still its person's */
  if(lk_store_face_get(st, face_id, 0, arena, &f))
    return person;
  id = lk_fb_id_of(f.meta, person, arena, &named);
  return id ? id : person;
}

static lk_err lk_fb_visit_page(const struct lk_store_face *faces, int n,
                               struct lk_arena *arena, lk_fb_visit fn,
                               void *ctx)
{
  struct lk_fb_taught t;
  lk_err err = LK_OK;
  int i;
  for(i = 0; !err && i < n; i++) {
    t.face = &faces[i];
    t.id = lk_fb_id_of(faces[i].meta, faces[i].person, arena, &t.named);
    err = t.id ? fn(&t, ctx) : LK_ERR_NOMEM;
  }
  return err;
}

lk_err lk_fb_each(struct lk_store *st, lk_fb_visit fn, void *ctx)
{
  struct lk_arena *arena = lk_arena_create(LK_FB_PAGE_BYTES);
  struct lk_store_face *faces;
  int64_t offset = 0;
  int n = LK_FB_PAGE;
  lk_err err = arena ? LK_OK : LK_ERR_NOMEM;
  /* pages by offset: a face deleted meanwhile may hide one face from a
   * later page, as any listing that runs beside writes */
  while(!err && n == LK_FB_PAGE) {
    lk_arena_reset(arena);
    err = lk_store_face_list(st, NULL, offset, LK_FB_PAGE, arena, &faces,
                             &n);
    if(!err)
      err = lk_fb_visit_page(faces, n, arena, fn, ctx);
    offset += n;
  }
  lk_arena_destroy(arena);
  return err;
}

struct lk_fb_found {
  const char *id;
  int64_t *ids;             /* lk_malloc'd */
  int n, cap;
};

static lk_err lk_fb_collect(const struct lk_fb_taught *t, void *ctx)
{
  struct lk_fb_found *f = ctx;
  int64_t *grown;
  if(strcmp(t->id, f->id))
    return LK_OK;
  if(f->n == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 16;
    grown = lk_realloc(f->ids, (size_t)f->cap * sizeof *grown);
    if(!grown)
      return LK_ERR_NOMEM;
    f->ids = grown;
  }
  f->ids[f->n++] = t->face->id;
  return LK_OK;
}

lk_err lk_fb_find(struct lk_store *st, const char *id, int64_t **ids,
                  int *n)
{
  struct lk_fb_found f = { id, NULL, 0, 0 };
  lk_err err = lk_fb_each(st, lk_fb_collect, &f);
  if(err) {
    lk_free(f.ids);
    f.ids = NULL;
    f.n = 0;
  }
  *ids = f.ids;
  *n = f.n;
  return err;
}

/* ---- /info and the routes --------------------------------------------- */

/* boxutil.Info: name, version (an integer), build, status; the SDK's
 * WaitForReady polls until status is "ready", which it is as soon as the
 * server answers (the models load before it starts). */
static lk_err lk_fb_info(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  cJSON *o;
  if(lk_fb_refused(req, resp, ctx))
    return LK_OK;
  o = lk_api_json_add(lk_fb_ok(), "name", cJSON_CreateString("facebox"));
  o = lk_api_json_add(o, "version", cJSON_CreateNumber(LK_FB_INFO_VERSION));
  o = lk_api_json_add(o, "build", cJSON_CreateString("likeness "
                                                     LK_VERSION));
  o = lk_api_json_add(o, "status", cJSON_CreateString("ready"));
  return lk_http_resp_json(resp, 200, o);
}

/* Heavy: every route that decodes an image, or matches many faceprints
 * against the whole gallery. */
static const struct lk_api_route lk_fb_routes[] = {
  { "POST", "/facebox/check", lk_fb_check, LK_HTTP_HEAVY },
  { "POST", "/facebox/teach", lk_fb_teach, LK_HTTP_HEAVY },
  { "PATCH", "/facebox/teach/{id}", lk_fb_teach_rename, 0 },
  { "DELETE", "/facebox/teach/{id}", lk_fb_teach_remove, 0 },
  { "POST", "/facebox/rename", lk_fb_rename, 0 },
  { "POST", "/facebox/similar", lk_fb_similar_image, LK_HTTP_HEAVY },
  { "GET", "/facebox/similar", lk_fb_similar_id, 0 },
  { "POST", "/facebox/similars", lk_fb_similars, LK_HTTP_HEAVY },
  { "POST", "/facebox/faceprint/compare", lk_fb_faceprint_compare, 0 },
  { "POST", "/facebox/faceprint/check", lk_fb_faceprint_check,
    LK_HTTP_HEAVY },
  { "GET", "/facebox/state", lk_fb_state_get, 0 },
  { "POST", "/facebox/state", lk_fb_state_post, 0 },
  { "GET", "/info", lk_fb_info, 0 },
};

size_t lk_api_facebox_routes(struct lk_api *api, struct lk_http_route *out,
                             size_t max)
{
  return lk_api_routes(lk_fb_routes, sizeof lk_fb_routes /
                       sizeof lk_fb_routes[0], api, lk_api_facebox_error,
                       out, max);
}
