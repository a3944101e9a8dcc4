/* facebox_check.c - Facebox's reading side: /facebox/check (faces and who
 * they are), /facebox/similar and /similars (the nearest taught faces) and
 * /facebox/faceprint/compare and /check (the same on faceprints, no
 * image). Shapes as machinebox/sdk-go's Face, Similar and SimilarFace. */
#include "facebox_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Similar faces per face: the SDK's Similars default, and a ceiling that
 * keeps one answer small. */
#define LK_FB_LIMIT_DEFAULT 5
#define LK_FB_LIMIT_MAX 100

/* Room for "faceprints[12345] is not a faceprint". */
#define LK_FB_FP_MSGMAX 96

/* Rect: whole pixels clamped to the image; NULL r, zeros (a faceprint has
 * no place in an image). */
static cJSON *lk_fb_rect(const struct lk_pipeline_result *r, int i)
{
  struct lk_api_box b = { 0, 0, 0, 0 };
  cJSON *o = cJSON_CreateObject();
  if(r)
    lk_api_box_round(&r->faces[i].face.box, r->width, r->height, &b);
  o = lk_api_json_add(o, "top", cJSON_CreateNumber(b.y_min));
  o = lk_api_json_add(o, "left", cJSON_CreateNumber(b.x_min));
  o = lk_api_json_add(o, "width", cJSON_CreateNumber(b.x_max - b.x_min));
  return lk_api_json_add(o, "height", cJSON_CreateNumber(b.y_max - b.y_min));
}

/* One face as check lists it. A matched face names its person and taught
 * id; any other says only "matched":false with confidence 0, as Facebox
 * did (Home Assistant reads confidence on every face). d: also its
 * faceprint. */
static cJSON *lk_fb_face(struct lk_http_req *req, struct lk_store *st,
                         cJSON *rect, const struct lk_pipeline_match *m,
                         const float *d)
{
  int matched = m && (double)m->confidence >= LK_FB_MATCHED;
  char fp[LK_FB_FACEPRINT_SIZE];
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "rect", rect);
  if(matched) {
    o = lk_api_json_add(o, "id", cJSON_CreateString(lk_fb_face_id(st,
                        m->face_id, m->person, lk_http_req_arena(req))));
    o = lk_api_json_add(o, "name", cJSON_CreateString(m->person));
  }
  o = lk_api_json_add(o, "matched", cJSON_CreateBool(matched));
  o = lk_api_json_add(o, "confidence", cJSON_CreateNumber(matched
                      ? lk_api_fraction(m->confidence) : 0));
  if(d) {
    lk_fb_faceprint_encode(d, fp);
    o = lk_api_json_add(o, "faceprint", cJSON_CreateString(fp));
  }
  return o;
}

/* {"success":true,"facesCount":N,"faces":[...]}, largest first. */
static cJSON *lk_fb_faces(struct lk_http_req *req, const struct lk_api *api,
                          const struct lk_pipeline_result *r, int prints)
{
  struct lk_store *st = lk_pipeline_store(api->pipe);
  cJSON *a = cJSON_CreateArray(), *o;
  int i;
  for(i = 0; a && i < r->n_faces; i++) {
    const struct lk_pipeline_face *f = &r->faces[i];
    a = lk_api_json_push(a, lk_fb_face(req, st, lk_fb_rect(r, i),
                         f->n_matches ? f->matches : NULL,
                         prints ? f->face.descriptor : NULL));
  }
  o = lk_api_json_add(lk_fb_ok(), "facesCount",
                      cJSON_CreateNumber(r->n_faces));
  return lk_api_json_add(o, "faces", a);
}

/* check's faceprint flag, true or false as Go's strconv.ParseBool reads
 * the usual spellings; absent or "" is false. 1 when the request was
 * answered (400). */
static int lk_fb_faceprint_flag(struct lk_http_req *req,
                                struct lk_http_resp *resp, int *on)
{
  const char *s = lk_fb_text(req, "faceprint");
  *on = s && (!strcasecmp(s, "true") || !strcasecmp(s, "t") ||
              !strcmp(s, "1"));
  if(!s || *on || !strcasecmp(s, "false") || !strcasecmp(s, "f") ||
     !strcmp(s, "0"))
    return 0;
  lk_fb_fail(resp, 400, "faceprint must be true or false");
  return 1;
}

lk_err lk_fb_check(struct lk_http_req *req, struct lk_http_resp *resp,
                   void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_pipeline_result r;
  struct lk_fb_upload img;
  char why[LK_PIPELINE_ERRMAX] = "";
  int prints;
  lk_err err;

  if(lk_fb_refused(req, resp, api) ||
     lk_fb_faceprint_flag(req, resp, &prints) ||
     lk_fb_image_get(req, resp, api, &img))
    return LK_OK;
  err = lk_pipeline_recognize(api->pipe, img.data, img.len, 1,
                              lk_http_req_arena(req), &r, why);
  lk_fb_upload_free(&img);
  if(err)
    return lk_fb_fail_err(req, resp, err, why);
  return lk_http_resp_json(resp, 200, lk_fb_faces(req, api, &r, prints));
}

/* ---- similar ---------------------------------------------------------- */

/* limit, from the query or the form; absent or "" is 5. 1 when the
 * request was answered (400). */
static int lk_fb_limit(struct lk_http_req *req, struct lk_http_resp *resp,
                       int *limit)
{
  const char *s = lk_fb_text(req, "limit");
  double v;
  *limit = LK_FB_LIMIT_DEFAULT;
  if(!s)
    return 0;
  if(lk_api_number(s, &v) || !(v >= 1) || v > LK_FB_LIMIT_MAX ||
     v != floor(v)) {
    lk_fb_fail(resp, 400, "limit must be a whole number from 1 to 100");
    return 1;
  }
  *limit = (int)v;
  return 0;
}

static cJSON *lk_fb_similar_one(struct lk_http_req *req,
                                const struct lk_api *api,
                                const struct lk_store_match *m)
{
  struct lk_store *st = lk_pipeline_store(api->pipe);
  double c = lk_pipeline_confidence(api->pipe, m->distance);
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "id",
                             cJSON_CreateString(lk_fb_face_id(st,
                             m->face_id, m->person,
                             lk_http_req_arena(req))));
  o = lk_api_json_add(o, "name", cJSON_CreateString(m->person));
  return lk_api_json_add(o, "confidence",
                         cJSON_CreateNumber(lk_api_fraction(c)));
}

static int lk_fb_listed(int64_t id, const int64_t *ids, int n)
{
  int i;
  for(i = 0; i < n; i++)
    if(ids[i] == id)
      return 1;
  return 0;
}

/* The taught faces nearest d, nearest first, at most limit, leaving out
 * the faces in skip (those of the id asked about), into *out. */
static lk_err lk_fb_similar_faces(struct lk_http_req *req,
                                  const struct lk_api *api, const float *d,
                                  int limit, const int64_t *skip, int n_skip,
                                  cJSON **out)
{
  struct lk_store_match *m;
  int n, i, k = 0;
  cJSON *a = cJSON_CreateArray();
  lk_err err = lk_store_match(lk_pipeline_store(api->pipe), d,
                              limit + n_skip, LK_STORE_MATCH_FACES,
                              lk_http_req_arena(req), &m, &n);
  for(i = 0; !err && a && i < n && k < limit; i++) {
    if(lk_fb_listed(m[i].face_id, skip, n_skip))
      continue;
    a = lk_api_json_push(a, lk_fb_similar_one(req, api, &m[i]));
    k++;
  }
  if(!err && !a)
    err = LK_ERR_NOMEM;
  if(err)
    cJSON_Delete(a);
  *out = err ? NULL : a;
  return err;
}

/* The faces similar to the taught face id (its first sample), the id's
 * own faces left out. */
static lk_err lk_fb_similar_to(struct lk_http_req *req,
                               struct lk_http_resp *resp,
                               const struct lk_api *api, const char *id,
                               int limit)
{
  struct lk_store *st = lk_pipeline_store(api->pipe);
  struct lk_store_face f;
  int64_t *ids;
  cJSON *a = NULL;
  int n;
  lk_err err = lk_fb_find(st, id, &ids, &n);
  if(!err && !n)
    return lk_fb_fail(resp, 404, "id not found");
  if(!err)
    err = lk_store_face_get(st, ids[0], 0, lk_http_req_arena(req), &f);
  if(!err)
    err = lk_fb_similar_faces(req, api, f.descriptor, limit, ids, n, &a);
  lk_free(ids);
  if(err)
    return lk_fb_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_api_json_add(lk_fb_ok(),
                           "similar", a));
}

/* The request's image with its faces described, not matched; 1 when the
 * request was answered instead. */
static int lk_fb_described(struct lk_http_req *req, struct lk_http_resp *resp,
                           const struct lk_api *api,
                           struct lk_pipeline_result *r)
{
  char why[LK_PIPELINE_ERRMAX] = "";
  struct lk_fb_upload img;
  lk_err err;
  if(lk_fb_image_get(req, resp, api, &img))
    return 1;
  err = lk_pipeline_detect(api->pipe, img.data, img.len, 1, 0.0f,
                           lk_http_req_arena(req), r, why);
  lk_fb_upload_free(&img);
  if(err)
    lk_fb_fail_err(req, resp, err, why);
  return err != LK_OK;
}

/* The faces similar to the image's largest face. */
static lk_err lk_fb_similar_to_image(struct lk_http_req *req,
                                     struct lk_http_resp *resp,
                                     const struct lk_api *api, int limit)
{
  struct lk_pipeline_result r;
  cJSON *a = NULL, *o;
  lk_err err = LK_OK;
  if(lk_fb_described(req, resp, api, &r))
    return LK_OK;
  if(r.n_faces)
    err = lk_fb_similar_faces(req, api, r.faces[0].face.descriptor, limit,
                              NULL, 0, &a);
  else
    a = cJSON_CreateArray();
  if(err)
    return lk_fb_fail_err(req, resp, err, NULL);
  o = lk_api_json_add(lk_fb_ok(), "facesCount",
                      cJSON_CreateNumber(r.n_faces));
  return lk_http_resp_json(resp, 200, lk_api_json_add(o, "similar", a));
}

/* An image (POST only), or the id of a taught face. */
static lk_err lk_fb_similar(struct lk_http_req *req,
                            struct lk_http_resp *resp, struct lk_api *api,
                            int image_ok)
{
  const char *id = lk_fb_text(req, "id");
  int limit;
  if(lk_fb_refused(req, resp, api) || !lk_fb_store(req, resp, api) ||
     lk_fb_limit(req, resp, &limit))
    return LK_OK;
  if(image_ok && (!id || lk_fb_image_given(req)))
    return lk_fb_similar_to_image(req, resp, api, limit);
  if(!id)
    return lk_fb_fail(resp, 400, "id required");
  return lk_fb_similar_to(req, resp, api, id, limit);
}

lk_err lk_fb_similar_image(struct lk_http_req *req,
                           struct lk_http_resp *resp, void *ctx)
{
  return lk_fb_similar(req, resp, ctx, 1);
}

/* GET ?id=: the SDK's SimilarID. */
lk_err lk_fb_similar_id(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx)
{
  return lk_fb_similar(req, resp, ctx, 0);
}

/* Every face of the image with its similar faces. */
static lk_err lk_fb_similars_of(struct lk_http_req *req,
                                const struct lk_api *api,
                                const struct lk_pipeline_result *r,
                                int limit, cJSON **out)
{
  cJSON *a = cJSON_CreateArray(), *face, *similar;
  lk_err err = LK_OK;
  int i;
  for(i = 0; a && i < r->n_faces; i++) {
    err = lk_fb_similar_faces(req, api, r->faces[i].face.descriptor, limit,
                              NULL, 0, &similar);
    if(err)
      break;
    face = lk_api_json_add(cJSON_CreateObject(), "rect", lk_fb_rect(r, i));
    a = lk_api_json_push(a, lk_api_json_add(face, "similar_faces",
                                            similar));
  }
  if(!err && !a)
    err = LK_ERR_NOMEM;
  if(err)
    cJSON_Delete(a);
  *out = err ? NULL : a;
  return err;
}

lk_err lk_fb_similars(struct lk_http_req *req, struct lk_http_resp *resp,
                      void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_pipeline_result r;
  cJSON *a = NULL, *o;
  int limit;
  lk_err err;

  if(lk_fb_refused(req, resp, api) || !lk_fb_store(req, resp, api) ||
     lk_fb_limit(req, resp, &limit) || lk_fb_described(req, resp, api, &r))
    return LK_OK;
  err = lk_fb_similars_of(req, api, &r, limit, &a);
  if(err)
    return lk_fb_fail_err(req, resp, err, NULL);
  o = lk_api_json_add(lk_fb_ok(), "facesCount",
                      cJSON_CreateNumber(r.n_faces));
  return lk_http_resp_json(resp, 200, lk_api_json_add(o, "faces", a));
}

/* ---- faceprints ------------------------------------------------------- */

/* The JSON body's array of faceprints; NULL after answering 400. */
static const cJSON *lk_fb_faceprints(struct lk_http_req *req,
                                     struct lk_http_resp *resp)
{
  const cJSON *j = lk_http_req_json(req);
  const cJSON *a = cJSON_IsObject(j)
                   ? cJSON_GetObjectItemCaseSensitive(j, "faceprints") : NULL;
  if(!cJSON_IsObject(j))
    lk_fb_fail(resp, 400, "send a JSON object with faceprints");
  else if(!cJSON_IsArray(a))
    lk_fb_fail(resp, 400, "faceprints must be an array of faceprints");
  return cJSON_IsArray(a) ? a : NULL;
}

/* Faceprint i of the array into d; 1 when the request was answered. */
static int lk_fb_faceprint_at(struct lk_http_resp *resp, const cJSON *item,
                              int i, float *d)
{
  char msg[LK_FB_FP_MSGMAX];
  if(cJSON_IsString(item) && !lk_fb_faceprint_decode(item->valuestring, d))
    return 0;
  snprintf(msg, sizeof msg, "faceprints[%d] is not a faceprint", i);
  lk_fb_fail(resp, 400, msg);
  return 1;
}

/* {"target":fp,"faceprints":[fp...]} -> each one's confidence that it is
 * the target's person, in order. */
lk_err lk_fb_faceprint_compare(struct lk_http_req *req,
                               struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  const cJSON *fps, *it, *target;
  float t[LK_STORE_DIM], d[LK_STORE_DIM];
  cJSON *a;
  int i = 0;

  if(lk_fb_refused(req, resp, api) || !(fps = lk_fb_faceprints(req, resp)))
    return LK_OK;
  target = cJSON_GetObjectItemCaseSensitive(lk_http_req_json(req),
                                            "target");
  if(!cJSON_IsString(target) || lk_fb_faceprint_decode(target->valuestring,
                                                       t))
    return lk_fb_fail(resp, 400, "target is not a faceprint");
  a = cJSON_CreateArray();
  cJSON_ArrayForEach(it, fps) {
    if(lk_fb_faceprint_at(resp, it, i++, d)) {
      cJSON_Delete(a);
      return LK_OK;
    }
    a = lk_api_json_push(a, cJSON_CreateNumber(lk_api_fraction(
          lk_pipeline_confidence(api->pipe, lk_store_distance(t, d)))));
  }
  return lk_http_resp_json(resp, 200, lk_api_json_add(lk_fb_ok(),
                           "confidences", a));
}

/* One faceprint matched against the gallery, as check's face. */
static lk_err lk_fb_faceprint_face(struct lk_http_req *req,
                                   const struct lk_api *api, const float *d,
                                   cJSON **out)
{
  struct lk_store *st = lk_pipeline_store(api->pipe);
  struct lk_pipeline_match pm;
  struct lk_store_match *m;
  int n;
  lk_err err = lk_store_match(st, d, 1, 0, lk_http_req_arena(req), &m, &n);
  *out = NULL;
  if(err)
    return err;
  if(n) {
    pm.person = m[0].person;
    pm.face_id = m[0].face_id;
    pm.distance = m[0].distance;
    pm.confidence = lk_pipeline_confidence(api->pipe, m[0].distance);
  }
  *out = lk_fb_face(req, st, lk_fb_rect(NULL, 0), n ? &pm : NULL, NULL);
  return *out ? LK_OK : LK_ERR_NOMEM;
}

/* {"faceprints":[fp...]} -> {"faceprints":[Face...]}, in order. */
lk_err lk_fb_faceprint_check(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  const cJSON *fps, *it;
  float d[LK_STORE_DIM];
  cJSON *a, *face;
  lk_err err = LK_OK;
  int i = 0;

  if(lk_fb_refused(req, resp, api) || !lk_fb_store(req, resp, api) ||
     !(fps = lk_fb_faceprints(req, resp)))
    return LK_OK;
  a = cJSON_CreateArray();
  cJSON_ArrayForEach(it, fps) {
    if(lk_fb_faceprint_at(resp, it, i++, d)) {
      cJSON_Delete(a);
      return LK_OK;
    }
    err = lk_fb_faceprint_face(req, api, d, &face);
    if(err)
      break;
    a = lk_api_json_push(a, face);
  }
  if(err) {
    cJSON_Delete(a);
    return lk_fb_fail_err(req, resp, err, NULL);
  }
  return lk_http_resp_json(resp, 200, lk_api_json_add(lk_fb_ok(),
                           "faceprints", a));
}
