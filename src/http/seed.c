/* seed.c - the face-sample API of the seed spec (face_recognition_backend:
 * a backend that collects face samples and an offline Android client that
 * pulls them): POST /face, GET /face, GET /faces/sync, POST /face/match,
 * /face/detect, /face/update and /face/delete. Faces are stored one by one
 * (face ids, not people); unique_args is kept as the face's meta.
 * docs/api-seed.md has the wire format, the error_type table and the
 * sync rules. */
#include "api.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "fetch/fetch.h"

/* One sync page; the client asks again from the last updatedAt. */
#define LK_SEED_SYNC_LIMIT 1000
/* Person of a face whose unique_args names no user_id or user_name: the
 * store groups faces under a person, this API does not. */
#define LK_SEED_ANONYMOUS "seed-anonymous"
/* Width of one %.8g value with its comma ("-1.2345678e-05,"), as the CLI
 * dataset format writes descriptors. */
#define LK_SEED_VALUE_CHARS 16

/* Room for a pipeline's or the fetch layer's reason. */
#define LK_SEED_WHYMAX (LK_PIPELINE_ERRMAX > LK_FETCH_ERRMAX ? \
                        LK_PIPELINE_ERRMAX : LK_FETCH_ERRMAX)

/* error_type values: stable, clients switch on them. */
enum lk_seed_type {
  LK_SEED_OK = 0,
  LK_SEED_MISSING = 1,      /* a field absent or malformed; a bad request */
  LK_SEED_BAD_IMAGE = 2,    /* undecodable, unsupported or too large */
  LK_SEED_NO_FACE = 3,
  LK_SEED_NOT_FOUND = 4,    /* no such face_id (or deleted) */
  LK_SEED_URL_REFUSED = 5,  /* the SSRF guard refused image_url */
  LK_SEED_FETCH_FAILED = 6, /* image_url could not be downloaded */
  LK_SEED_BAD_ARGS = 7,     /* unique_args is not a JSON object */
  LK_SEED_INTERNAL = 8,
  LK_SEED_BUSY = 9,         /* try again later */
  LK_SEED_LAST
};

/* The one table: status and default message of each error_type. */
static const struct {
  int status;
  const char *message;
} lk_seed_errors[LK_SEED_LAST] = {
  [LK_SEED_OK] = { 200, "" },
  [LK_SEED_MISSING] = { 400, "missing or invalid field" },
  [LK_SEED_BAD_IMAGE] = { 400, "invalid image" },
  [LK_SEED_NO_FACE] = { 422, "no face detected" },
  [LK_SEED_NOT_FOUND] = { 404, "face not found" },
  [LK_SEED_URL_REFUSED] = { 400, "image_url refused" },
  [LK_SEED_FETCH_FAILED] = { 422, "cannot fetch image_url" },
  [LK_SEED_BAD_ARGS] = { 400, "unique_args must be a JSON object" },
  [LK_SEED_INTERNAL] = { 500, "internal error" },
  [LK_SEED_BUSY] = { 503, "server busy, retry later" },
};

static enum lk_seed_type lk_seed_type_for(lk_err err)
{
  switch(err) {
  case LK_OK:
    return LK_SEED_OK;
  case LK_ERR_IMAGE:
  case LK_ERR_UNSUPPORTED:
  case LK_ERR_TOO_LARGE:
    return LK_SEED_BAD_IMAGE;
  case LK_ERR_NO_FACE:
    return LK_SEED_NO_FACE;
  case LK_ERR_NOT_FOUND:
    return LK_SEED_NOT_FOUND;
  case LK_ERR_BUSY:
    return LK_SEED_BUSY;
  default:
    return LK_SEED_INTERNAL;
  }
}

static cJSON *lk_seed_error_body(enum lk_seed_type type, const char *msg)
{
  cJSON *o = cJSON_CreateObject();
  if(o && (!cJSON_AddNumberToObject(o, "error_type", type) ||
           !cJSON_AddStringToObject(o, "error_message", msg))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

lk_err lk_api_seed_error(struct lk_http_req *req, struct lk_http_resp *resp,
                         int status, const char *message, void *ctx)
{
  enum lk_seed_type type = LK_SEED_INTERNAL;
  (void)req;
  (void)ctx;
  /* the layer's own refusals: a malformed body, a body over max_body, a
   * full admission gate, an unknown path */
  if(status == 413)
    type = LK_SEED_BAD_IMAGE;
  else if(status == 503)
    type = LK_SEED_BUSY;
  else if(status == 404)
    type = LK_SEED_NOT_FOUND;
  else if(status >= 400 && status < 500)   /* 400, 405 */
    type = LK_SEED_MISSING;
  return lk_http_resp_json(resp, status, lk_seed_error_body(type, message));
}

/* Answers with error_type type; msg NULL: the table's words. */
static lk_err lk_seed_fail(struct lk_http_req *req, struct lk_http_resp *resp,
                           enum lk_seed_type type, const char *msg)
{
  int status = lk_seed_errors[type].status;
  lk_err err;
  lk_log(status >= 500 ? LK_LOG_WARN : LK_LOG_DEBUG, "seed", "%s: %s",
         lk_http_req_path(req), msg ? msg : lk_seed_errors[type].message);
  err = lk_http_resp_json(resp, status, lk_seed_error_body(type, msg ? msg
                          : lk_seed_errors[type].message));
  if(!err && status == 503)
    err = lk_http_resp_header(resp, "Retry-After", "1");
  return err;
}

/* A pipeline or store failure; why (may be "") goes to the log only. */
static lk_err lk_seed_fail_err(struct lk_http_req *req,
                               struct lk_http_resp *resp, lk_err err,
                               const char *why)
{
  enum lk_seed_type type = lk_seed_type_for(err);
  if(why && why[0])
    lk_log(LK_LOG_DEBUG, "seed", "%s: %s", lk_http_req_path(req), why);
  if(err == LK_ERR_TOO_LARGE)
    return lk_seed_fail(req, resp, type, "image too large");
  return lk_seed_fail(req, resp, type, NULL);
}

/* ---- request fields ---------------------------------------------------- */

/* face_id as a positive whole number; 0 when absent or malformed. */
static int64_t lk_seed_face_id(struct lk_http_req *req)
{
  double v;
  if(lk_api_number(lk_api_field(req, "face_id"), &v) || !(v >= 1) ||
     v > 9007199254740992.0 || v != floor(v))
    return 0;
  return (int64_t)v;
}

/* The person a face is stored under: unique_args' user_id, else its
 * user_name, else one shared anonymous person. *name NULL, LK_OK: no
 * unique_args; LK_ERR_INVAL: not a JSON object. */
static lk_err lk_seed_person(struct lk_http_req *req, const char *args,
                             const char **name)
{
  cJSON *o = args ? cJSON_Parse(args) : NULL;
  const cJSON *id, *user;
  char num[32];
  *name = NULL;
  if(!args)
    return LK_OK;
  if(!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return LK_ERR_INVAL;
  }
  id = cJSON_GetObjectItemCaseSensitive(o, "user_id");
  user = cJSON_GetObjectItemCaseSensitive(o, "user_name");
  *name = LK_SEED_ANONYMOUS;
  if(cJSON_IsString(id) && id->valuestring[0])
    *name = lk_arena_strdup(lk_http_req_arena(req), id->valuestring);
  else if(cJSON_IsNumber(id) && isfinite(id->valuedouble)) {
    snprintf(num, sizeof num, "%.17g", id->valuedouble);
    *name = lk_arena_strdup(lk_http_req_arena(req), num);
  }
  else if(cJSON_IsString(user) && user->valuestring[0])
    *name = lk_arena_strdup(lk_http_req_arena(req), user->valuestring);
  cJSON_Delete(o);
  return *name ? LK_OK : LK_ERR_NOMEM;
}

/* ---- the image: an upload or image_url -------------------------------- */

struct lk_seed_image {
  const unsigned char *data;
  size_t len;
  unsigned char *fetched;   /* lk_malloc'd by the fetch layer, or NULL */
};

static void lk_seed_image_free(struct lk_seed_image *img)
{
  lk_free(img->fetched);
  img->fetched = NULL;
}

static enum lk_seed_type lk_seed_fetch_type(lk_err err)
{
  if(err == LK_ERR_DENIED)
    return LK_SEED_URL_REFUSED;
  if(err == LK_ERR_TOO_LARGE)
    return LK_SEED_BAD_IMAGE;
  if(err == LK_ERR_NOMEM)
    return LK_SEED_INTERNAL;
  return LK_SEED_FETCH_FAILED;     /* a malformed URL, network, HTTP */
}

/* The request's image: any uploaded file, else image_url (the seed's own
 * sample spells it image-url). LK_SEED_MISSING when neither is given;
 * on failure *why holds the fetch layer's reason. */
static enum lk_seed_type lk_seed_image_get(struct lk_http_req *req,
                                           const struct lk_api *api,
                                           struct lk_seed_image *img,
                                           char *why)
{
  const struct lk_http_part *file = lk_api_file(req, NULL);
  const char *url = lk_api_field(req, "image_url");
  lk_err err;
  memset(img, 0, sizeof *img);
  if(file) {
    img->data = file->data;
    img->len = file->size;
    return LK_SEED_OK;
  }
  if(!url || !*url)
    url = lk_api_field(req, "image-url");
  if(!url || !*url)
    return LK_SEED_MISSING;
  err = lk_fetch_url(api->cfg ? api->cfg->fetch : NULL, url, &img->fetched,
                     &img->len, NULL, why);
  if(err)
    return lk_seed_fetch_type(err);
  img->data = img->fetched;
  return LK_SEED_OK;
}

/* Answers a failed lk_seed_image_get. */
static lk_err lk_seed_image_fail(struct lk_http_req *req,
                                 struct lk_http_resp *resp,
                                 enum lk_seed_type type, const char *why)
{
  if(type == LK_SEED_MISSING)
    return lk_seed_fail(req, resp, type, "image or image_url required");
  return lk_seed_fail(req, resp, type, why[0] ? why : NULL);
}

/* ---- JSON pieces ------------------------------------------------------ */

/* The descriptor as comma-joined %.8g text, the CLI dataset format. */
static cJSON *lk_seed_encoding(const float *d)
{
  char text[LK_STORE_DIM * LK_SEED_VALUE_CHARS];
  size_t used = 0;
  int k, n;
  for(k = 0; k < LK_STORE_DIM; k++) {
    n = snprintf(text + used, sizeof text - used, "%s%.8g", k ? "," : "",
                 (double)d[k]);
    if(n < 0 || (size_t)n >= sizeof text - used)
      return NULL;
    used += (size_t)n;
  }
  return cJSON_CreateString(text);
}

/* A stored meta ("{}" when none) back as an object. */
static cJSON *lk_seed_args(const char *meta)
{
  cJSON *o = meta ? cJSON_Parse(meta) : NULL;
  if(!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    o = cJSON_CreateObject();
  }
  return o;
}

static cJSON *lk_seed_position(const struct lk_pipeline_result *r, int i)
{
  struct lk_api_box b;
  cJSON *o = cJSON_CreateObject();
  lk_api_box_round(&r->faces[i].face.box, r->width, r->height, &b);
  o = lk_api_json_add(o, "top", cJSON_CreateNumber(b.y_min));
  o = lk_api_json_add(o, "left", cJSON_CreateNumber(b.x_min));
  o = lk_api_json_add(o, "bottom", cJSON_CreateNumber(b.y_max));
  return lk_api_json_add(o, "right", cJSON_CreateNumber(b.x_max));
}

/* {"face_id":..,"face_encoding":".."} of a stored face, and with_args:
 * its unique_args. */
static lk_err lk_seed_send_face(struct lk_http_req *req,
                                struct lk_http_resp *resp,
                                const struct lk_api *api, int64_t id,
                                int with_args)
{
  struct lk_store_face f;
  cJSON *o;
  lk_err err = lk_store_face_get(lk_pipeline_store(api->pipe), id, 0,
                                 lk_http_req_arena(req), &f);
  if(err)
    return lk_seed_fail_err(req, resp, err, NULL);
  o = lk_api_json_add(cJSON_CreateObject(), "face_id",
                      cJSON_CreateNumber((double)f.id));
  o = lk_api_json_add(o, "face_encoding", lk_seed_encoding(f.descriptor));
  if(with_args)
    o = lk_api_json_add(o, "unique_args", lk_seed_args(f.meta));
  return lk_http_resp_json(resp, 200, o);
}

/* ---- handlers --------------------------------------------------------- */

static lk_err lk_seed_create(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  const char *args = lk_api_field(req, "unique_args"), *person;
  char why[LK_SEED_WHYMAX] = "";
  struct lk_seed_image img;
  enum lk_seed_type type;
  int64_t id = 0;
  lk_err err;

  if(!lk_pipeline_store(api->pipe))
    return lk_seed_fail(req, resp, LK_SEED_INTERNAL, "no gallery");
  err = lk_seed_person(req, args, &person);
  if(err)
    return err == LK_ERR_INVAL ? lk_seed_fail(req, resp, LK_SEED_BAD_ARGS,
                                              NULL)
                               : lk_seed_fail_err(req, resp, err, NULL);
  type = lk_seed_image_get(req, api, &img, why);
  if(type)
    return lk_seed_image_fail(req, resp, type, why);
  err = lk_pipeline_register(api->pipe, person ? person : LK_SEED_ANONYMOUS,
                             img.data, img.len, args,
                             lk_http_req_arena(req), &id, why);
  lk_seed_image_free(&img);
  if(err == LK_ERR_INVAL)    /* the store's name or meta rules */
    return lk_seed_fail(req, resp, LK_SEED_BAD_ARGS, "unique_args refused "
                        "(user_id or user_name not a valid name)");
  if(err == LK_ERR_TOO_LARGE)    /* here also the store's max_faces */
    return lk_seed_fail(req, resp, LK_SEED_BAD_IMAGE,
                        "image too large or gallery full");
  if(err)
    return lk_seed_fail_err(req, resp, err, why);
  return lk_seed_send_face(req, resp, api, id, 0);
}

static lk_err lk_seed_get(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_api *api = ctx;
  int64_t id = lk_seed_face_id(req);
  if(!id)
    return lk_seed_fail(req, resp, LK_SEED_MISSING, "face_id required");
  if(!lk_pipeline_store(api->pipe))
    return lk_seed_fail(req, resp, LK_SEED_NOT_FOUND, NULL);
  return lk_seed_send_face(req, resp, api, id, 1);
}

/* One sync entry; a tombstone carries no encoding. */
static cJSON *lk_seed_change(const struct lk_store_face *f)
{
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "faceId",
                             cJSON_CreateNumber((double)f->id));
  if(!f->deleted)
    o = lk_api_json_add(o, "faceEncoding", lk_seed_encoding(f->descriptor));
  /* cJSON's own printing may drop the last bit (it accepts 15 digits when
   * they read back within DBL_EPSILON relative), and a client passing
   * that back as last_updated_at would see the same change again: print
   * all 17 digits, which always read back exactly */
  {
    char num[32];
    snprintf(num, sizeof num, "%.17g", f->updated_at);
    o = lk_api_json_add(o, "updatedAt", cJSON_CreateRaw(num));
  }
  if(!f->deleted)
    o = lk_api_json_add(o, "uniqueArgs", lk_seed_args(f->meta));
  return lk_api_json_add(o, "deleted", cJSON_CreateBool(f->deleted));
}

static cJSON *lk_seed_changes(const struct lk_store_face *faces, int n,
                              int more)
{
  cJSON *o = cJSON_CreateObject();
  cJSON *a = cJSON_CreateArray();
  int i;
  for(i = 0; a && i < n; i++) {
    cJSON *c = lk_seed_change(&faces[i]);
    if(!c || !cJSON_AddItemToArray(a, c)) {
      cJSON_Delete(c);
      cJSON_Delete(a);
      a = NULL;
    }
  }
  o = lk_api_json_add(o, "faces", a);
  return lk_api_json_add(o, "more", cJSON_CreateBool(more));
}

static lk_err lk_seed_sync(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st = lk_pipeline_store(api->pipe);
  const char *s = lk_api_field(req, "last_updated_at");
  struct lk_store_face *faces = NULL;
  double since = 0;
  int n = 0;
  lk_err err;

  if(s && *s && (lk_api_number(s, &since) || !isfinite(since)))
    return lk_seed_fail(req, resp, LK_SEED_MISSING,
                        "last_updated_at must be Unix seconds");
  err = st ? lk_store_face_changes(st, since, LK_SEED_SYNC_LIMIT,
                                   lk_http_req_arena(req), &faces, &n)
           : LK_OK;
  if(err)
    return lk_seed_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_seed_changes(faces, n,
                           n == LK_SEED_SYNC_LIMIT));
}

/* One match entry: the face's best gallery face, or face_id null and
 * trust 0 when the gallery is empty. */
static cJSON *lk_seed_matched(struct lk_http_req *req,
                              const struct lk_api *api,
                              const struct lk_pipeline_result *r, int i)
{
  const struct lk_pipeline_face *f = &r->faces[i];
  const struct lk_pipeline_match *m = f->n_matches ? f->matches : NULL;
  struct lk_store_face g;
  const char *meta = NULL;
  cJSON *o = cJSON_CreateObject();
  if(m && !lk_store_face_get(lk_pipeline_store(api->pipe), m->face_id, 0,
                             lk_http_req_arena(req), &g))
    meta = g.meta;
  o = lk_api_json_add(o, "face_id", m ? cJSON_CreateNumber((double)
                      m->face_id) : cJSON_CreateNull());
  o = lk_api_json_add(o, "trust", cJSON_CreateNumber(m ? round(100.0 *
                      (double)m->confidence) : 0));
  o = lk_api_json_add(o, "unique_args", lk_seed_args(meta));
  return lk_api_json_add(o, "position", lk_seed_position(r, i));
}

static cJSON *lk_seed_detected(const struct lk_pipeline_result *r, int i)
{
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "face_encoding",
                             lk_seed_encoding(r->faces[i].face.descriptor));
  return lk_api_json_add(o, "position", lk_seed_position(r, i));
}

/* {"faces":[...]}, largest face first; match: with gallery matches. */
static cJSON *lk_seed_faces(struct lk_http_req *req, const struct lk_api *api,
                            const struct lk_pipeline_result *r, int match)
{
  cJSON *a = cJSON_CreateArray();
  int i;
  for(i = 0; a && i < r->n_faces; i++) {
    cJSON *f = match ? lk_seed_matched(req, api, r, i)
                     : lk_seed_detected(r, i);
    if(!f || !cJSON_AddItemToArray(a, f)) {
      cJSON_Delete(f);
      cJSON_Delete(a);
      a = NULL;
    }
  }
  return lk_api_json_add(cJSON_CreateObject(), "faces", a);
}

/* /face/match and /face/detect: the same request, two answers. */
static lk_err lk_seed_look(struct lk_http_req *req, struct lk_http_resp *resp,
                           struct lk_api *api, int match)
{
  char why[LK_SEED_WHYMAX] = "";
  struct lk_pipeline_result r;
  struct lk_seed_image img;
  enum lk_seed_type type = lk_seed_image_get(req, api, &img, why);
  lk_err err;

  if(type)
    return lk_seed_image_fail(req, resp, type, why);
  if(match)
    err = lk_pipeline_recognize(api->pipe, img.data, img.len, 1,
                                lk_http_req_arena(req), &r, why);
  else
    err = lk_pipeline_detect(api->pipe, img.data, img.len, 1, 0.0f,
                             lk_http_req_arena(req), &r, why);
  lk_seed_image_free(&img);
  if(err)
    return lk_seed_fail_err(req, resp, err, why);
  return lk_http_resp_json(resp, 200, lk_seed_faces(req, api, &r, match));
}

static lk_err lk_seed_match(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx)
{
  return lk_seed_look(req, resp, ctx, 1);
}

static lk_err lk_seed_detect(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  return lk_seed_look(req, resp, ctx, 0);
}

/* The largest face's descriptor of the update's new image, into d. */
static lk_err lk_seed_describe(struct lk_http_req *req,
                               struct lk_http_resp *resp, struct lk_api *api,
                               float *d, int *answered)
{
  char why[LK_SEED_WHYMAX] = "";
  struct lk_pipeline_result r;
  struct lk_seed_image img;
  enum lk_seed_type type = lk_seed_image_get(req, api, &img, why);
  lk_err err;

  *answered = 1;
  if(type)
    return lk_seed_image_fail(req, resp, type, why);
  err = lk_pipeline_detect(api->pipe, img.data, img.len, 1, 0.0f,
                           lk_http_req_arena(req), &r, why);
  lk_seed_image_free(&img);
  if(!err && !r.n_faces)
    err = LK_ERR_NO_FACE;
  if(err)
    return lk_seed_fail_err(req, resp, err, why);
  memcpy(d, r.faces[0].face.descriptor, LK_STORE_DIM * sizeof *d);
  *answered = 0;
  return LK_OK;
}

/* Whether the request brings a new image. */
static int lk_seed_has_image(struct lk_http_req *req)
{
  const char *u = lk_api_field(req, "image_url");
  const char *h = lk_api_field(req, "image-url");
  return lk_api_file(req, NULL) || (u && *u) || (h && *h);
}

static lk_err lk_seed_update(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st = lk_pipeline_store(api->pipe);
  struct lk_store_face_update u = { 0 };
  struct lk_store_face f;
  float d[LK_STORE_DIM];
  int64_t id = lk_seed_face_id(req);
  int answered = 0;
  lk_err err;

  if(!id)
    return lk_seed_fail(req, resp, LK_SEED_MISSING, "face_id required");
  u.meta = lk_api_field(req, "unique_args");
  if(!lk_seed_has_image(req) && !u.meta)
    return lk_seed_fail(req, resp, LK_SEED_MISSING,
                        "image, image_url or unique_args required");
  if(lk_seed_person(req, u.meta, &u.person) == LK_ERR_INVAL)
    return lk_seed_fail(req, resp, LK_SEED_BAD_ARGS, NULL);
  /* an unknown face is refused before an image is fetched or decoded */
  err = st ? lk_store_face_get(st, id, 0, lk_http_req_arena(req), &f)
           : LK_ERR_NOT_FOUND;
  if(err)
    return lk_seed_fail_err(req, resp, err, NULL);
  if(lk_seed_has_image(req)) {
    err = lk_seed_describe(req, resp, api, d, &answered);
    if(answered)
      return err;
    u.descriptor = d;
    u.sha256 = "";    /* the old image's hash no longer applies */
  }
  err = lk_store_face_update(st, id, &u);
  if(err == LK_ERR_INVAL)
    return lk_seed_fail(req, resp, LK_SEED_BAD_ARGS, NULL);
  if(err)
    return lk_seed_fail_err(req, resp, err, NULL);
  return lk_seed_send_face(req, resp, api, id, 0);
}

static lk_err lk_seed_delete(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st = lk_pipeline_store(api->pipe);
  int64_t id = lk_seed_face_id(req);
  cJSON *o;
  lk_err err;

  if(!id)
    return lk_seed_fail(req, resp, LK_SEED_MISSING, "face_id required");
  err = st ? lk_pipeline_face_delete(api->pipe, id) : LK_ERR_NOT_FOUND;
  if(err)
    return lk_seed_fail_err(req, resp, err, NULL);
  o = lk_api_json_add(cJSON_CreateObject(), "face_id",
                      cJSON_CreateNumber((double)id));
  return lk_http_resp_json(resp, 200, lk_api_json_add(o, "deleted",
                                                      cJSON_CreateTrue()));
}

/* Heavy: every route that may decode an image (and fetch image_url). */
static const struct lk_api_route lk_seed_routes[] = {
  { "POST", "/face", lk_seed_create, LK_HTTP_HEAVY },
  { "GET", "/face", lk_seed_get, 0 },
  { "GET", "/faces/sync", lk_seed_sync, 0 },
  { "POST", "/face/match", lk_seed_match, LK_HTTP_HEAVY },
  { "POST", "/face/detect", lk_seed_detect, LK_HTTP_HEAVY },
  { "POST", "/face/update", lk_seed_update, LK_HTTP_HEAVY },
  { "POST", "/face/delete", lk_seed_delete, 0 },
};

size_t lk_api_seed_routes(struct lk_api *api, struct lk_http_route *out,
                          size_t max)
{
  return lk_api_routes(lk_seed_routes, sizeof lk_seed_routes /
                       sizeof lk_seed_routes[0], api, lk_api_seed_error, out,
                       max);
}
