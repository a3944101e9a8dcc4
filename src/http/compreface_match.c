/* compreface_match.c - CompreFace's image and embedding endpoints on the
 * recognize core: POST /api/v1/recognition/recognize, /faces/{image_id}/
 * verify, /embeddings/recognize and /embeddings/faces/{image_id}/verify,
 * /api/v1/detection/detect, /api/v1/verification/verify and
 * /verification/embeddings/verify. Response shapes follow CompreFace's
 * DTOs (FacesRecognitionResponseDto, FaceVerification, VerifyFacesResponse,
 * Embeddings*Response); similarity is lk_pipeline_confidence, the one
 * calibrated curve, rounded to 5 decimals as CompreFace rounds it. */
#include "compreface_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* plugins_versions: CompreFace names its plugins module.Class; these are
 * face-api.js's networks, whichever detector the server runs. */
#define LK_CF_DETECTOR_NAME "faceapi.FaceDetector"
#define LK_CF_CALCULATOR_NAME "faceapi.FaceRecognitionNet"

/* One image through the pipeline: the faces answered, largest first. */
struct lk_cf_run {
  struct lk_pipeline_result r;
  int *faces;           /* indices into r.faces, at most limit of them */
  int n;
  double ms;            /* decode, detect and (if asked) describe */
};

static double lk_cf_ms_since(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* LK_ERR_NO_FACE when no face is answered, as the calculator raises
 * NoFaceFoundError; descriptors also gives landmarks. */
static lk_err lk_cf_run(struct lk_http_req *req, struct lk_api *api,
                        const struct lk_cf_image *img,
                        const struct lk_cf_params *p, int descriptors,
                        struct lk_cf_run *run, char *why)
{
  struct lk_arena *a = lk_http_req_arena(req);
  struct timespec t0;
  int i;
  lk_err err;

  memset(run, 0, sizeof *run);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  err = lk_pipeline_detect(api->pipe, img->data, img->size, descriptors,
                           lk_cf_score(p->det_prob), a, &run->r, why);
  run->ms = lk_cf_ms_since(&t0);
  if(err)
    return err;
  run->faces = lk_arena_alloc(a, (size_t)(run->r.n_faces + 1) *
                                 sizeof *run->faces);
  if(!run->faces)
    return LK_ERR_NOMEM;
  for(i = 0; i < run->r.n_faces && (!p->limit || run->n < p->limit); i++) {
    if(lk_cf_listed(&run->r, i, p->det_prob))
      run->faces[run->n++] = i;
  }
  return run->n ? LK_OK : LK_ERR_NO_FACE;
}

static cJSON *lk_cf_floats(const float *v, int n)
{
  cJSON *a = cJSON_CreateArray();
  int i;
  for(i = 0; a && i < n; i++) {
    if(!lk_cf_push(a, cJSON_CreateNumber(lk_api_float(v[i])))) {
      cJSON_Delete(a);
      a = NULL;
    }
  }
  return a;
}

static cJSON *lk_cf_box(const struct lk_pipeline_result *r, int i)
{
  struct lk_api_box b;
  cJSON *o = cJSON_CreateObject();
  lk_api_box_round(&r->faces[i].face.box, r->width, r->height, &b);
  if(!lk_cf_put(o, "probability", cJSON_CreateNumber(
                  lk_cf_round5(r->faces[i].face.score))) ||
     !lk_cf_put(o, "x_max", cJSON_CreateNumber(b.x_max)) ||
     !lk_cf_put(o, "y_max", cJSON_CreateNumber(b.y_max)) ||
     !lk_cf_put(o, "x_min", cJSON_CreateNumber(b.x_min)) ||
     !lk_cf_put(o, "y_min", cJSON_CreateNumber(b.y_min))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* [x, y] in whole pixels: the mean of 68-point landmarks from..to. */
static cJSON *lk_cf_point(const struct lk_face *f, int from, int to)
{
  float x = 0, y = 0, n = (float)(to - from + 1);
  int i;
  cJSON *a = cJSON_CreateArray();
  for(i = from; i <= to; i++) {
    x += f->landmarks[i][0];
    y += f->landmarks[i][1];
  }
  if(!lk_cf_push(a, cJSON_CreateNumber((double)lroundf(x / n))) ||
     !lk_cf_push(a, cJSON_CreateNumber((double)lroundf(y / n)))) {
    cJSON_Delete(a);
    a = NULL;
  }
  return a;
}

/* CompreFace's 5 points from the 68 (iBUG numbering): the eye on the
 * image's left (36-41) and right (42-47), the nose tip (30), the mouth's
 * left (48) and right (54) corners. */
static cJSON *lk_cf_landmarks(const struct lk_face *f)
{
  static const int span[5][2] = { { 36, 41 }, { 42, 47 }, { 30, 30 },
                                  { 48, 48 }, { 54, 54 } };
  cJSON *a = cJSON_CreateArray();
  int i;
  for(i = 0; a && i < 5; i++) {
    if(!lk_cf_push(a, lk_cf_point(f, span[i][0], span[i][1]))) {
      cJSON_Delete(a);
      a = NULL;
    }
  }
  return a;
}

/* One face: embedding (calculator), box, landmarks (landmarks). */
static cJSON *lk_cf_face(const struct lk_pipeline_result *r, int i,
                         unsigned plugins)
{
  const struct lk_face *f = &r->faces[i].face;
  cJSON *o = cJSON_CreateObject();
  if(!o ||
     ((plugins & LK_CF_CALCULATOR) &&
      !lk_cf_put(o, "embedding", lk_cf_floats(f->descriptor,
                                              LK_FACE_DESCRIPTOR_DIM))) ||
     !lk_cf_put(o, "box", lk_cf_box(r, i)) ||
     ((plugins & LK_CF_LANDMARKS) &&
      !lk_cf_put(o, "landmarks", lk_cf_landmarks(f)))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

static double lk_cf_ms(double ms)
{
  return round(ms * 10) / 10;
}

/* status=true: execution_time in ms. The detector, landmarks and the
 * descriptor are one pipeline call, timed as "detector"; matcher_ms < 0
 * means no gallery search. Takes o; NULL when it fails. */
static cJSON *lk_cf_times(cJSON *o, const struct lk_cf_params *p,
                          double detector_ms, double matcher_ms)
{
  cJSON *t;
  if(!o || !p->status)
    return o;
  t = cJSON_CreateObject();
  if(!lk_cf_put(t, "detector", cJSON_CreateNumber(lk_cf_ms(detector_ms))) ||
     (matcher_ms >= 0 &&
      !lk_cf_put(t, "matcher", cJSON_CreateNumber(lk_cf_ms(matcher_ms)))) ||
     !lk_cf_put(o, "execution_time", t)) {
    cJSON_Delete(t);
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

static cJSON *lk_cf_versions(int calculator)
{
  cJSON *o = cJSON_CreateObject();
  if(!lk_cf_put(o, "detector", cJSON_CreateString(LK_CF_DETECTOR_NAME)) ||
     (calculator && !lk_cf_put(o, "calculator", cJSON_CreateString(
                                  LK_CF_CALCULATOR_NAME)))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* {"result":result} and, with status, plugins_versions. Takes result. */
static cJSON *lk_cf_result(cJSON *result, const struct lk_cf_params *p,
                           int calculator)
{
  cJSON *o = cJSON_CreateObject();
  if(!lk_cf_put(o, "result", result) ||
     (p->status &&
      !lk_cf_put(o, "plugins_versions", lk_cf_versions(calculator)))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

static cJSON *lk_cf_similar(const char *subject, float distance,
                            const struct lk_api *api)
{
  cJSON *o = cJSON_CreateObject();
  double s = lk_cf_round5(lk_pipeline_confidence(api->pipe, distance));
  if(!lk_cf_put(o, "similarity", cJSON_CreateNumber(s)) ||
     !lk_cf_put(o, "subject", cJSON_CreateString(subject))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* The k nearest subjects of a descriptor, best first. */
static lk_err lk_cf_subjects(struct lk_http_req *req, struct lk_api *api,
                             const float *d, int k, cJSON **out)
{
  struct lk_store_match *m;
  int i, n = 0;
  lk_err err = lk_store_match(lk_pipeline_store(api->pipe), d, k, 0,
                              lk_http_req_arena(req), &m, &n);
  *out = err ? NULL : cJSON_CreateArray();
  for(i = 0; *out && i < n; i++) {
    if(!lk_cf_push(*out, lk_cf_similar(m[i].person, m[i].distance, api))) {
      cJSON_Delete(*out);
      *out = NULL;
    }
  }
  return err ? err : *out ? LK_OK : LK_ERR_NOMEM;
}

/* The image endpoints' common start: key, image, parameters. */
static int lk_cf_image_request(struct lk_http_req *req,
                               struct lk_http_resp *resp, struct lk_api *api,
                               enum lk_cf_service s, unsigned which,
                               struct lk_cf_image *img,
                               struct lk_cf_params *p)
{
  struct lk_store *st;
  return lk_cf_refused(req, resp, api, s) ||
         (s == LK_CF_RECOGNITION && lk_cf_no_store(req, resp, api, &st)) ||
         lk_cf_image(req, resp, "file", img) ||
         lk_cf_params(req, resp, which, p);
}

static cJSON *lk_cf_recognized(struct lk_http_req *req, struct lk_api *api,
                               const struct lk_cf_run *run,
                               const struct lk_cf_params *p, lk_err *err)
{
  cJSON *a = cJSON_CreateArray();
  int k;
  for(k = 0; a && !*err && k < run->n; k++) {
    const struct lk_pipeline_result *r = &run->r;
    cJSON *o = lk_cf_face(r, run->faces[k], p->plugins), *subjects;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *err = lk_cf_subjects(req, api, r->faces[run->faces[k]].face.descriptor,
                          p->prediction_count, &subjects);
    if(*err) {
      cJSON_Delete(o);
      break;
    }
    if(!lk_cf_put(o, "subjects", subjects)) {
      cJSON_Delete(o);
      o = NULL;
    }
    if(!lk_cf_push(a, lk_cf_times(o, p, run->ms, lk_cf_ms_since(&t0))))
      *err = LK_ERR_NOMEM;
  }
  if(!a && !*err)
    *err = LK_ERR_NOMEM;
  if(*err) {
    cJSON_Delete(a);
    a = NULL;
  }
  return a;
}

/* POST /recognize: each face with its prediction_count nearest subjects.
 * A face with no subject near is still listed, its subjects empty only
 * when the gallery is. */
lk_err lk_cf_recognize(struct lk_http_req *req, struct lk_http_resp *resp,
                       void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_cf_image img;
  struct lk_cf_params p;
  struct lk_cf_run run;
  char why[LK_PIPELINE_ERRMAX] = "";
  cJSON *a;
  lk_err err;

  if(lk_cf_image_request(req, resp, api, LK_CF_RECOGNITION,
                         LK_CF_WITH_PREDICTIONS | LK_CF_WITH_DETECT_FACES,
                         &img, &p))
    return LK_OK;
  err = lk_cf_run(req, api, &img, &p, 1, &run, why);
  a = err ? NULL : lk_cf_recognized(req, api, &run, &p, &err);
  if(err)
    return lk_cf_fail_err(req, resp, err, why);
  return lk_cf_send(resp, 200, lk_cf_result(a, &p, 1));
}

/* Faces as they are, plus what add (NULL: nothing) puts in each. */
static cJSON *lk_cf_faces(const struct lk_cf_run *run,
                          const struct lk_cf_params *p,
                          cJSON *(*add)(cJSON *o, const float *d,
                                        const void *arg),
                          const void *arg)
{
  cJSON *a = cJSON_CreateArray();
  int k;
  for(k = 0; a && k < run->n; k++) {
    const struct lk_pipeline_result *r = &run->r;
    cJSON *o = lk_cf_face(r, run->faces[k], p->plugins);
    if(add)
      o = add(o, r->faces[run->faces[k]].face.descriptor, arg);
    if(!lk_cf_push(a, lk_cf_times(o, p, run->ms, -1))) {
      cJSON_Delete(a);
      a = NULL;
    }
  }
  return a;
}

/* POST /api/v1/detection/detect: descriptors only when a plugin needs
 * them, so plain detection costs no landmark or descriptor net. */
lk_err lk_cf_detect(struct lk_http_req *req, struct lk_http_resp *resp,
                    void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_cf_image img;
  struct lk_cf_params p;
  struct lk_cf_run run;
  char why[LK_PIPELINE_ERRMAX] = "";
  int describe;
  lk_err err;

  if(lk_cf_image_request(req, resp, api, LK_CF_DETECTION, 0, &img, &p))
    return LK_OK;
  describe = (p.plugins & (LK_CF_LANDMARKS | LK_CF_CALCULATOR)) != 0;
  err = lk_cf_run(req, api, &img, &p, describe, &run, why);
  if(err)
    return lk_cf_fail_err(req, resp, err, why);
  return lk_cf_send(resp, 200, lk_cf_result(lk_cf_faces(&run, &p, NULL,
                                                         NULL), &p,
                                            describe));
}

/* A gallery face to compare with: the one an image id names. */
struct lk_cf_target {
  const float *descriptor;
  const char *subject;        /* NULL: no "subject" field */
  const struct lk_api *api;
};

static cJSON *lk_cf_add_similarity(cJSON *o, const float *d,
                                   const void *arg)
{
  const struct lk_cf_target *t = arg;
  double s = lk_cf_round5(lk_pipeline_confidence(
               t->api->pipe, lk_store_distance(d, t->descriptor)));
  if((t->subject && !lk_cf_put(o, "subject", cJSON_CreateString(
                                  t->subject))) ||
     !lk_cf_put(o, "similarity", cJSON_CreateNumber(s))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* The stored face an image_id names; 1 when answered (404 code 44). */
static int lk_cf_image_face(struct lk_http_req *req,
                            struct lk_http_resp *resp, struct lk_api *api,
                            struct lk_store_face *f)
{
  const char *uuid = lk_http_req_param(req, "image_id");
  int64_t id;
  lk_err err = LK_ERR_NOT_FOUND;
  if(lk_cf_id_parse(uuid, &id))
    err = lk_store_face_get(lk_pipeline_store(api->pipe), id, 0,
                            lk_http_req_arena(req), f);
  if(err == LK_ERR_NOT_FOUND)
    lk_cf_no_image(req, resp, uuid);
  else if(err)
    lk_cf_fail_err(req, resp, err, "reading a face");
  return err != LK_OK;
}

/* POST /faces/{image_id}/verify: each face of the image against one
 * stored face. The id is checked before any inference. */
lk_err lk_cf_face_verify(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_cf_image img;
  struct lk_cf_params p;
  struct lk_cf_run run;
  struct lk_store_face f;
  struct lk_cf_target t;
  char why[LK_PIPELINE_ERRMAX] = "";
  lk_err err;

  if(lk_cf_image_request(req, resp, api, LK_CF_RECOGNITION, 0, &img, &p) ||
     lk_cf_image_face(req, resp, api, &f))
    return LK_OK;
  err = lk_cf_run(req, api, &img, &p, 1, &run, why);
  if(err)
    return lk_cf_fail_err(req, resp, err, why);
  t.descriptor = f.descriptor;
  t.subject = f.person;
  t.api = api;
  return lk_cf_send(resp, 200, lk_cf_result(lk_cf_faces(
                      &run, &p, lk_cf_add_similarity, &t), &p, 1));
}

static cJSON *lk_cf_verified(const struct lk_cf_run *src,
                             const struct lk_cf_run *dst,
                             const struct lk_cf_params *p,
                             const struct lk_api *api)
{
  const struct lk_pipeline_result *r = &src->r;
  struct lk_cf_target t = { r->faces[src->faces[0]].face.descriptor, NULL,
                            api };
  cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
  if(!lk_cf_put(o, "source_image_face", lk_cf_times(lk_cf_face(
                  r, src->faces[0], p->plugins), p, src->ms, -1)) ||
     !lk_cf_put(o, "face_matches", lk_cf_faces(dst, p, lk_cf_add_similarity,
                                               &t)) ||
     (p->status && !lk_cf_put(o, "plugins_versions", lk_cf_versions(1)))) {
    cJSON_Delete(o);
    o = NULL;
  }
  if(!lk_cf_push(a, o)) {
    cJSON_Delete(a);
    a = NULL;
  }
  return a;
}

/* POST /api/v1/verification/verify: the source image must show one face
 * (after limit), each face of the target is compared with it. */
lk_err lk_cf_verification(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_cf_image src, dst;
  struct lk_cf_params p;
  struct lk_cf_run rs, rd;
  char why[LK_PIPELINE_ERRMAX] = "";
  cJSON *o;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_VERIFICATION) ||
     lk_cf_image(req, resp, "source_image", &src) ||
     lk_cf_image(req, resp, "target_image", &dst) ||
     lk_cf_params(req, resp, 0, &p))
    return LK_OK;
  err = lk_cf_run(req, api, &src, &p, 1, &rs, why);
  if(!err && rs.n > 1)
    return lk_cf_fail(req, resp, 400, LK_CF_TOO_MANY_FACES,
                      "More than one face in the source image");
  if(!err)
    err = lk_cf_run(req, api, &dst, &p, 1, &rd, why);
  if(err)
    return lk_cf_fail_err(req, resp, err, why);
  /* the one result sits in a list, plugins_versions inside it */
  o = cJSON_CreateObject();
  if(!lk_cf_put(o, "result", lk_cf_verified(&rs, &rd, &p, api))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return lk_cf_send(resp, 200, o);
}

/* ---- embeddings --------------------------------------------------------- */

/* An array of LK_FACE_DESCRIPTOR_DIM finite numbers, into out. */
static int lk_cf_embedding(const cJSON *a, float *out)
{
  const cJSON *v;
  int i = 0;
  if(!cJSON_IsArray(a))
    return 0;
  cJSON_ArrayForEach(v, a) {
    if(i == LK_FACE_DESCRIPTOR_DIM || !cJSON_IsNumber(v) ||
       !isfinite(v->valuedouble))
      return 0;
    out[i++] = (float)v->valuedouble;
  }
  return i == LK_FACE_DESCRIPTOR_DIM;
}

/* Field name of the body: one embedding (list 0) or a non-empty list of
 * them (list 1), each read into out (the first) to check it. */
static int lk_cf_embeddings(struct lk_http_req *req,
                            struct lk_http_resp *resp, const cJSON *json,
                            const char *name, int list, float *out)
{
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(json, name), *v;
  int ok = 1;
  if(!cJSON_IsArray(a) || !a->child) {
    /* @NotEmpty: EmptyRequiredFieldException */
    lk_cf_fail(req, resp, 400, LK_CF_EMPTY_FIELD,
               "Field %s cannot be empty", name);
    return 1;
  }
  if(!list)
    ok = lk_cf_embedding(a, out);
  for(v = list ? a->child : NULL; ok && v; v = v->next)
    ok = lk_cf_embedding(v, out);
  if(ok)
    return 0;
  lk_cf_fail(req, resp, 400, LK_CF_VALIDATION,
             "Validation for field %s failed: an embedding is an array of "
             "%d numbers", name, LK_FACE_DESCRIPTOR_DIM);
  return 1;
}

static cJSON *lk_cf_echo(const cJSON *embedding, const char *key,
                         cJSON *item)
{
  cJSON *o = cJSON_CreateObject();
  if(!lk_cf_put(o, "embedding", cJSON_Duplicate(embedding, 1)) ||
     !lk_cf_put(o, key, item)) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* POST /embeddings/recognize {"embeddings":[[...]]}: the nearest
 * subjects of each, as /recognize gives them for a face. */
lk_err lk_cf_embeddings_recognize(struct lk_http_req *req,
                                  struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  const cJSON *json, *v;
  float d[LK_FACE_DESCRIPTOR_DIM];
  cJSON *a, *subjects;
  int k;
  lk_err err = LK_OK;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) ||
     lk_cf_prediction_count(req, resp, &k) || lk_cf_json(req, resp, &json) ||
     lk_cf_embeddings(req, resp, json, "embeddings", 1, d))
    return LK_OK;
  a = cJSON_CreateArray();
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(json,
                                                         "embeddings")) {
    lk_cf_embedding(v, d);
    err = lk_cf_subjects(req, api, d, k, &subjects);
    if(!err && !lk_cf_push(a, lk_cf_echo(v, "similarities", subjects)))
      err = LK_ERR_NOMEM;
    if(err)
      break;
  }
  if(err) {
    cJSON_Delete(a);
    return lk_cf_fail_err(req, resp, err, "matching embeddings");
  }
  return lk_cf_send(resp, 200, lk_cf_result(a, &(struct lk_cf_params){ 0 },
                                            0));
}

struct lk_cf_scored {
  const cJSON *embedding;
  double similarity;
  int order;
};

/* Most similar first; ties keep the request's order. */
static int lk_cf_by_similarity(const void *a, const void *b)
{
  const struct lk_cf_scored *x = a, *y = b;
  if(x->similarity != y->similarity)
    return x->similarity < y->similarity ? 1 : -1;
  return x->order - y->order;
}

/* {"result":[{"embedding","similarity"}]} of every target against ref,
 * most similar first (EmbeddingsVerificationProcessServiceImpl). */
static lk_err lk_cf_send_similarities(struct lk_http_req *req,
                                      struct lk_http_resp *resp,
                                      const struct lk_api *api,
                                      const float *ref, const cJSON *targets)
{
  struct lk_cf_scored *s;
  const cJSON *v;
  float d[LK_FACE_DESCRIPTOR_DIM];
  cJSON *a;
  int i, n = cJSON_GetArraySize(targets);

  s = lk_arena_alloc(lk_http_req_arena(req), (size_t)n * sizeof *s);
  if(!s)
    return lk_cf_fail_err(req, resp, LK_ERR_NOMEM, "scoring embeddings");
  i = 0;
  cJSON_ArrayForEach(v, targets) {
    lk_cf_embedding(v, d);
    s[i].embedding = v;
    s[i].similarity = lk_cf_round5(lk_pipeline_confidence(
                        api->pipe, lk_store_distance(ref, d)));
    s[i].order = i;
    i++;
  }
  qsort(s, (size_t)n, sizeof *s, lk_cf_by_similarity);
  a = cJSON_CreateArray();
  for(i = 0; a && i < n; i++) {
    if(!lk_cf_push(a, lk_cf_echo(s[i].embedding, "similarity",
                                 cJSON_CreateNumber(s[i].similarity)))) {
      cJSON_Delete(a);
      a = NULL;
    }
  }
  return lk_cf_send(resp, 200, lk_cf_result(a, &(struct lk_cf_params){ 0 },
                                            0));
}

/* POST /embeddings/faces/{image_id}/verify {"embeddings":[[...]]}. */
lk_err lk_cf_embeddings_face_verify(struct lk_http_req *req,
                                    struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  struct lk_store_face f;
  const cJSON *json;
  float d[LK_FACE_DESCRIPTOR_DIM];

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) || lk_cf_json(req, resp, &json) ||
     lk_cf_embeddings(req, resp, json, "embeddings", 1, d) ||
     lk_cf_image_face(req, resp, api, &f))
    return LK_OK;
  return lk_cf_send_similarities(req, resp, api, f.descriptor,
                                 cJSON_GetObjectItemCaseSensitive(
                                   json, "embeddings"));
}

/* POST /api/v1/verification/embeddings/verify {"source":[...],
 * "targets":[[...]]}. */
lk_err lk_cf_embeddings_verification(struct lk_http_req *req,
                                     struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  const cJSON *json;
  float src[LK_FACE_DESCRIPTOR_DIM], d[LK_FACE_DESCRIPTOR_DIM];

  if(lk_cf_refused(req, resp, api, LK_CF_VERIFICATION) ||
     lk_cf_json(req, resp, &json) ||
     lk_cf_embeddings(req, resp, json, "source", 0, src) ||
     lk_cf_embeddings(req, resp, json, "targets", 1, d))
    return LK_OK;
  return lk_cf_send_similarities(req, resp, api, src,
                                 cJSON_GetObjectItemCaseSensitive(
                                   json, "targets"));
}
