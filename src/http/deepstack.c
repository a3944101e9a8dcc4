/* deepstack.c - DeepStack's face API on the pipeline: /v1/vision/face
 * (detect), /face/recognize, /face/register, /face/list, /face/delete and
 * /face/match. Field names, defaults, error strings and status codes are
 * DeepStack's (johnolafenwa/DeepStack: server/server.go,
 * server/middlewares/middlewares.go, intelligencelayer/shared/face.py), as
 * deepstack-python, HASS-Deepstack-face and Double Take read them.
 * docs/api-deepstack.md lists where we differ and why. */
#include "api.h"

#include <string.h>

#include "base/log.h"

#define LK_DS_DETECT_MIN 0.55     /* server.go facedetection() default */
#define LK_DS_RECOGNIZE_MIN 0.67  /* server.go facerecognition() default */
/* The face layer wants a detector threshold above 0. DeepStack handed
 * min_confidence <= 0 to its detector as is, i.e. "every box", so that is
 * what this floor gives (at most LK_FACE_MAX_FACES of them). */
#define LK_DS_SCORE_FLOOR 1e-6f
/* Scratch for one image of a register request, reset between images so a
 * request with several photos needs one image's memory, not the sum; the
 * size of the HTTP layer's default per-request arena. */
#define LK_DS_SCRATCH_BYTES ((size_t)64 << 20)

#define LK_DS_NO_IMAGE "No valid image file found"

/* Status and text for each lk_err a pipeline or store call can return. */
static const struct lk_api_error lk_ds_errors[] = {
  { LK_ERR_IMAGE, 400, "invalid image" },
  /* BMP, GIF, TIFF, HEIC: DeepStack's PIL read some; to a client this is
   * the same "cannot read your image" */
  { LK_ERR_UNSUPPORTED, 400, "invalid image" },
  { LK_ERR_NO_FACE, 400, "no face detected" },
  { LK_ERR_TOO_LARGE, 413, "image too large" },
  { LK_ERR_BUSY, 503, "server busy, retry later" },
  /* face.py's words for every other failure, spelling included */
  { LK_ERR_LAST, 500, "error occured on the server" },
};

lk_err lk_api_deepstack_error(struct lk_http_req *req,
                              struct lk_http_resp *resp, int status,
                              const char *message, void *ctx)
{
  cJSON *o = cJSON_CreateObject();
  (void)req;
  (void)ctx;
  /* response.go's ErrorResponse: success, error, duration */
  if(o && (!cJSON_AddFalseToObject(o, "success") ||
           !cJSON_AddStringToObject(o, "error", message) ||
           !cJSON_AddNumberToObject(o, "duration", 0))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return lk_http_resp_json(resp, status, o);
}

static lk_err lk_ds_fail(struct lk_http_resp *resp, int status,
                         const char *message)
{
  lk_err err = lk_http_resp_error(resp, status, message);
  if(!err && status == 503)
    err = lk_http_resp_header(resp, "Retry-After", "1");
  return err;
}

static lk_err lk_ds_fail_err(struct lk_http_req *req,
                             struct lk_http_resp *resp, lk_err err,
                             const char *why)
{
  const struct lk_api_error *e = lk_api_error_find(lk_ds_errors, err);
  lk_log(e->status >= 500 ? LK_LOG_WARN : LK_LOG_DEBUG, "deepstack",
         "%s: %s", lk_http_req_path(req),
         why && why[0] ? why : lk_strerror(err));
  return lk_ds_fail(resp, e->status, e->message);
}

static cJSON *lk_ds_ok(void)
{
  cJSON *o = cJSON_CreateObject();
  if(o && !cJSON_AddTrueToObject(o, "success")) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* Every DeepStack body ends with "duration" (response.go); 0, as it
 * mostly was there. Takes o, NULL included (a failed build). */
static lk_err lk_ds_send(struct lk_http_resp *resp, cJSON *o)
{
  if(o && !cJSON_AddNumberToObject(o, "duration", 0)) {
    cJSON_Delete(o);
    o = NULL;
  }
  return lk_http_resp_json(resp, 200, o);
}

static lk_err lk_ds_send_message(struct lk_http_resp *resp, const char *msg)
{
  cJSON *o = lk_ds_ok();
  if(o && !cJSON_AddStringToObject(o, "message", msg)) {
    cJSON_Delete(o);
    o = NULL;
  }
  return lk_ds_send(resp, o);
}

/* middlewares.go CheckApiKey: form field api_key, checked before anything
 * else under /v1/vision. 1 when the request was answered (401). */
static int lk_ds_refused(struct lk_http_req *req, struct lk_http_resp *resp,
                         const struct lk_api *api)
{
  const char *want = api->cfg ? api->cfg->deepstack_api_key : NULL;
  const struct lk_http_part *key;
  if(!want || !*want)
    return 0;
  key = lk_http_req_part(req, "api_key");
  if(key && !key->filename && lk_api_key_equal(key->data, key->size, want))
    return 0;
  lk_ds_fail(resp, 401, "Incorrect api key");
  return 1;
}

/* middlewares.go CheckConfidence: absent or "" is the default, a number
 * over 1 is refused, anything lower (0, negatives) is taken as given.
 * 1 when the request was answered (400). */
static int lk_ds_min_confidence(struct lk_http_req *req,
                                struct lk_http_resp *resp, double def,
                                double *out)
{
  const char *s = lk_http_req_form(req, "min_confidence");
  *out = def;
  if(!s || !*s)
    return 0;
  if(lk_api_number(s, out)) {
    lk_ds_fail(resp, 400, "Invalid value for min_confidence");
    return 1;
  }
  if(*out > 1.0) {
    lk_ds_fail(resp, 400, "min_confidence cannot be greater than 1");
    return 1;
  }
  return 0;
}

static const char *lk_ds_userid(struct lk_http_req *req)
{
  const char *u = lk_http_req_form(req, "userid");
  return u && *u ? u : NULL;
}

/* One prediction; userid NULL for detection, which has none. */
static cJSON *lk_ds_prediction(const struct lk_pipeline_result *r, int i,
                               double confidence, const char *userid)
{
  struct lk_api_box b;
  cJSON *o = cJSON_CreateObject();
  lk_api_box_round(&r->faces[i].face.box, r->width, r->height, &b);
  if(o && (!cJSON_AddNumberToObject(o, "confidence",
                                    lk_api_fraction(confidence)) ||
           (userid && !cJSON_AddStringToObject(o, "userid", userid)) ||
           !cJSON_AddNumberToObject(o, "x_min", b.x_min) ||
           !cJSON_AddNumberToObject(o, "y_min", b.y_min) ||
           !cJSON_AddNumberToObject(o, "x_max", b.x_max) ||
           !cJSON_AddNumberToObject(o, "y_max", b.y_max))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* Whether face i is listed: detection (recognize 0) lists faces scoring
 * above t. A box with nothing inside the image once clamped is noise the
 * detector scores near 0 (min_confidence 0), never a face to crop. */
static int lk_ds_listed(const struct lk_pipeline_result *r, int i,
                        int recognize, double t)
{
  struct lk_api_box b;
  lk_api_box_round(&r->faces[i].face.box, r->width, r->height, &b);
  if(b.x_max <= b.x_min || b.y_max <= b.y_min)
    return 0;
  return recognize || (double)r->faces[i].face.score > t;
}

/* Recognition names a face whose best match reaches t, else "unknown" at
 * 0, as face.py does. */
static cJSON *lk_ds_face(const struct lk_pipeline_result *r, int i,
                         int recognize, double t)
{
  const struct lk_pipeline_face *f = &r->faces[i];
  const struct lk_pipeline_match *m = f->n_matches ? f->matches : NULL;
  if(!recognize)
    return lk_ds_prediction(r, i, f->face.score, NULL);
  if(m && (double)m->confidence >= t)
    return lk_ds_prediction(r, i, m->confidence, m->person);
  return lk_ds_prediction(r, i, 0, "unknown");
}

/* {"success":true,"predictions":[...]}, largest face first. */
static cJSON *lk_ds_predictions(const struct lk_pipeline_result *r,
                                int recognize, double t)
{
  cJSON *o = lk_ds_ok();
  cJSON *a = o ? cJSON_AddArrayToObject(o, "predictions") : NULL;
  int i;
  for(i = 0; a && i < r->n_faces; i++) {
    cJSON *p;
    if(!lk_ds_listed(r, i, recognize, t))
      continue;
    p = lk_ds_face(r, i, recognize, t);
    if(!p || !cJSON_AddItemToArray(a, p)) {
      cJSON_Delete(p);
      a = NULL;
    }
  }
  if(!a) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* The detector threshold for min_confidence t: the face layer takes
 * (0, 1); a t of 1 or more runs at the default and lk_ds_listed then
 * drops every face, as DeepStack's detector did. */
static float lk_ds_score(double t)
{
  float f = (float)t;
  if(f >= 1.0f)
    return 0.0f;
  return f < LK_DS_SCORE_FLOOR ? LK_DS_SCORE_FLOOR : f;
}

/* The checks detect and recognize share, in DeepStack's order: key, image,
 * min_confidence. 1 when the response is already an error. */
static int lk_ds_image_request(struct lk_http_req *req,
                               struct lk_http_resp *resp, struct lk_api *api,
                               double def, const struct lk_http_part **img,
                               double *t)
{
  if(lk_ds_refused(req, resp, api))
    return 1;
  *img = lk_api_file(req, "image");
  if(!*img) {
    lk_ds_fail(resp, 400, LK_DS_NO_IMAGE);
    return 1;
  }
  return lk_ds_min_confidence(req, resp, def, t) ? 1 : 0;
}

static lk_err lk_ds_detect(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  struct lk_api *api = ctx;
  const struct lk_http_part *img;
  struct lk_pipeline_result r;
  char why[LK_PIPELINE_ERRMAX] = "";
  double t;
  lk_err err;

  if(lk_ds_image_request(req, resp, api, LK_DS_DETECT_MIN, &img, &t))
    return LK_OK;
  err = lk_pipeline_detect(api->pipe, img->data, img->size, 0,
                           lk_ds_score(t), lk_http_req_arena(req), &r, why);
  if(err)
    return lk_ds_fail_err(req, resp, err, why);
  return lk_ds_send(resp, lk_ds_predictions(&r, 0, t));
}

static lk_err lk_ds_recognize(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  const struct lk_http_part *img;
  struct lk_pipeline_result r;
  char why[LK_PIPELINE_ERRMAX] = "";
  double t;
  lk_err err;

  if(lk_ds_image_request(req, resp, api, LK_DS_RECOGNIZE_MIN, &img, &t))
    return LK_OK;
  err = lk_pipeline_recognize(api->pipe, img->data, img->size, 1,
                              lk_http_req_arena(req), &r, why);
  if(err)
    return lk_ds_fail_err(req, resp, err, why);
  return lk_ds_send(resp, lk_ds_predictions(&r, 1, t));
}

/* Register is all or nothing: a second photo without a face must not
 * leave the first one stored. With one photo the register call itself
 * is that check; with several, each is detected first (boxes only), one
 * detection more per photo, so that a bad photo costs no store-and-take-
 * back: that would put faces and tombstones in the sync feed, and let a
 * recognize in between match a face the request then refuses. */
static lk_err lk_ds_all_have_faces(struct lk_pipeline *p,
                                   const struct lk_http_part **files,
                                   size_t n, struct lk_arena *scratch,
                                   char *why)
{
  struct lk_pipeline_result r;
  size_t i;
  lk_err err = LK_OK;
  if(n < 2)
    return LK_OK;
  for(i = 0; !err && i < n; i++) {
    lk_arena_reset(scratch);
    err = lk_pipeline_detect(p, files[i]->data, files[i]->size, 0, 0.0f,
                             scratch, &r, why);
    if(!err && !r.n_faces)
      err = LK_ERR_NO_FACE;
  }
  return err;
}

/* Stores each photo's largest face; on a failure takes back the faces
 * this request added. */
static lk_err lk_ds_add_all(struct lk_pipeline *p, const char *userid,
                            const struct lk_http_part **files, size_t n,
                            int64_t *ids, struct lk_arena *scratch,
                            char *why)
{
  size_t i, added;
  lk_err err = LK_OK;
  for(added = 0; added < n; added++) {
    lk_arena_reset(scratch);
    err = lk_pipeline_register(p, userid, files[added]->data,
                               files[added]->size, NULL, scratch,
                               &ids[added], why);
    if(err)
      break;
  }
  for(i = 0; err && i < added; i++) {
    if(lk_pipeline_face_delete(p, ids[i]))
      lk_log(LK_LOG_ERROR, "deepstack", "register %s: face %lld stays "
             "after a failed request", userid, (long long)ids[i]);
  }
  return err;
}

/* Whether userid has live faces, for "face updated" vs "face added". */
static lk_err lk_ds_known(struct lk_store *st, const char *userid,
                          struct lk_arena *arena, int *known)
{
  struct lk_store_person person;
  lk_err err = lk_store_person_get(st, userid, arena, &person);
  *known = !err && person.n_faces > 0;
  return err == LK_ERR_NOT_FOUND ? LK_OK : err;
}

static lk_err lk_ds_register_files(struct lk_http_req *req,
                                   struct lk_http_resp *resp,
                                   struct lk_api *api, const char *userid,
                                   const struct lk_http_part **files,
                                   size_t n)
{
  struct lk_arena *a = lk_http_req_arena(req);
  struct lk_arena *scratch = lk_arena_create(LK_DS_SCRATCH_BYTES);
  int64_t *ids = lk_arena_alloc(a, n * sizeof *ids);
  char why[LK_PIPELINE_ERRMAX] = "";
  int known = 0;
  lk_err err = scratch && ids ? LK_OK : LK_ERR_NOMEM;

  if(!err)
    err = lk_ds_known(lk_pipeline_store(api->pipe), userid, a, &known);
  if(err == LK_ERR_INVAL) {    /* the store's name rules (docs/store.md) */
    lk_arena_destroy(scratch);
    return lk_ds_fail(resp, 400, "invalid userid");
  }
  if(!err)
    err = lk_ds_all_have_faces(api->pipe, files, n, scratch, why);
  if(!err)
    err = lk_ds_add_all(api->pipe, userid, files, n, ids, scratch, why);
  lk_arena_destroy(scratch);
  if(err == LK_ERR_TOO_LARGE)    /* here also the store's max_faces */
    return lk_ds_fail(resp, 413, "image too large or gallery full");
  if(err)
    return lk_ds_fail_err(req, resp, err, why);
  return lk_ds_send_message(resp, known ? "face updated" : "face added");
}

static lk_err lk_ds_register(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  const struct lk_http_part **files;
  const char *userid;
  size_t n;
  lk_err err;

  if(lk_ds_refused(req, resp, api))
    return LK_OK;
  if(!lk_pipeline_store(api->pipe))
    return lk_ds_fail_err(req, resp, LK_ERR_INVAL, "no gallery");
  err = lk_api_files(req, &files, &n);
  if(err)
    return lk_ds_fail_err(req, resp, err, NULL);
  /* server.go checks the images (CheckMultiImage) before the userid */
  if(!n)
    return lk_ds_fail(resp, 400, LK_DS_NO_IMAGE);
  userid = lk_ds_userid(req);
  if(!userid)
    return lk_ds_fail(resp, 400, "userid not specified");
  return lk_ds_register_files(req, resp, api, userid, files, n);
}

static cJSON *lk_ds_names(const struct lk_store_person *people, int n)
{
  cJSON *o = lk_ds_ok(), *a = o ? cJSON_AddArrayToObject(o, "faces") : NULL;
  int i;
  for(i = 0; a && i < n; i++) {
    cJSON *s;
    if(people[i].n_faces < 1)   /* a person whose faces were all removed */
      continue;
    s = cJSON_CreateString(people[i].name);
    if(!s || !cJSON_AddItemToArray(a, s)) {
      cJSON_Delete(s);
      a = NULL;
    }
  }
  if(!a) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

static lk_err lk_ds_list(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st = lk_pipeline_store(api->pipe);
  struct lk_store_person *people = NULL;
  int n = 0;
  lk_err err;

  if(lk_ds_refused(req, resp, api))
    return LK_OK;
  err = st ? lk_store_person_list(st, lk_http_req_arena(req), &people, &n)
           : LK_OK;
  if(err)
    return lk_ds_fail_err(req, resp, err, NULL);
  return lk_ds_send(resp, lk_ds_names(people, n));
}

static lk_err lk_ds_delete(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st = lk_pipeline_store(api->pipe);
  const char *userid;
  lk_err err = LK_OK;

  if(lk_ds_refused(req, resp, api))
    return LK_OK;
  userid = lk_ds_userid(req);
  if(!userid)
    return lk_ds_fail(resp, 400, "userid not specified");
  if(st)
    err = lk_pipeline_person_delete(api->pipe, userid, 0, NULL);
  /* DeepStack answers success for a name it never had (a DELETE of no
   * rows); a name the store could never hold is one of those */
  if(err && err != LK_ERR_NOT_FOUND && err != LK_ERR_INVAL)
    return lk_ds_fail_err(req, resp, err, NULL);
  return lk_ds_send(resp, lk_ds_ok());
}

static lk_err lk_ds_match(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_api *api = ctx;
  const struct lk_http_part **f;
  char why[LK_PIPELINE_ERRMAX] = "";
  float d = 0;
  size_t n;
  cJSON *o;
  lk_err err;

  if(lk_ds_refused(req, resp, api))
    return LK_OK;
  err = lk_api_files(req, &f, &n);
  if(err)
    return lk_ds_fail_err(req, resp, err, NULL);
  if(n != 2)    /* middlewares.go CheckFaceMatch */
    return lk_ds_fail(resp, 400, !n ? LK_DS_NO_IMAGE
                      : n == 1 ? "expected two image files, only one found"
                               : "only two images allowed");
  err = lk_pipeline_compare(api->pipe, f[0]->data, f[0]->size, f[1]->data,
                            f[1]->size, lk_http_req_arena(req), &d, why);
  if(err == LK_ERR_NO_FACE)    /* face.py's match words differ */
    return lk_ds_fail(resp, 400, "no face found");
  if(err)
    return lk_ds_fail_err(req, resp, err, why);
  o = lk_ds_ok();
  if(o && !cJSON_AddNumberToObject(o, "similarity", lk_api_fraction(
         lk_pipeline_confidence(api->pipe, d)))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return lk_ds_send(resp, o);
}

/* All POST, as in server.go; the layer ignores a trailing slash, so
 * "/v1/vision/face/" (server.go's own spelling) is the detect route. */
static const struct lk_api_route lk_ds_routes[] = {
  { "POST", "/v1/vision/face", lk_ds_detect, LK_HTTP_HEAVY },
  { "POST", "/v1/vision/face/recognize", lk_ds_recognize, LK_HTTP_HEAVY },
  { "POST", "/v1/vision/face/register", lk_ds_register, LK_HTTP_HEAVY },
  { "POST", "/v1/vision/face/match", lk_ds_match, LK_HTTP_HEAVY },
  { "POST", "/v1/vision/face/list", lk_ds_list, 0 },
  { "POST", "/v1/vision/face/delete", lk_ds_delete, 0 },
};

size_t lk_api_deepstack_routes(struct lk_api *api, struct lk_http_route *out,
                               size_t max)
{
  return lk_api_routes(lk_ds_routes, sizeof lk_ds_routes /
                       sizeof lk_ds_routes[0], api, lk_api_deepstack_error,
                       out, max);
}
