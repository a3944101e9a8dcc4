/* native_vision.c - the native API's image routes and status: recognize
 * (every face, largest first, with all its candidates and a decided
 * person or null), detect (boxes, scores, landmarks on request), compare
 * (two images: distance, confidence, same) and the gallery's status.
 * docs/api-native.md has the wire format. */
#include "native_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LK_NAT_TOP_K 3
#define LK_NAT_TOP_K_MAX 100
/* The confidence a match needs unless the request says otherwise:
 * CompreFace's default, distance 0.46 on the shared curve
 * (docs/pipeline.md). */
#define LK_NAT_THRESHOLD 0.5
/* Descriptor distances run from 0 to about 1.5 (docs/pipeline.md); past
 * 4 a max_distance means nothing. */
#define LK_NAT_DISTANCE_MAX 4.0
/* The face layer wants a detector threshold above 0; this floor is "every
 * box" (at most LK_FACE_MAX_FACES), as min_score 0 asks. */
#define LK_NAT_SCORE_FLOOR 1e-6f

/* How a match is decided: confidence >= threshold, or with max_distance
 * given, distance <= max_distance. */
struct lk_nat_rule {
  double threshold;
  double max_distance;     /* 0: not given */
};

/* threshold or max_distance, not both. 1 when answered. */
static int lk_nat_rule_get(struct lk_http_req *req, struct lk_http_resp *resp,
                           struct lk_nat_rule *rule)
{
  const char *t = lk_api_field(req, "threshold");
  const char *d = lk_api_field(req, "max_distance");
  rule->threshold = LK_NAT_THRESHOLD;
  rule->max_distance = 0;
  if(t && *t && d && *d) {
    lk_nat_fail(req, resp, 400, LK_NAT_INVALID,
                "give threshold or max_distance, not both");
    return 1;
  }
  if(lk_nat_number(req, resp, "threshold", 0, 1, &rule->threshold) ||
     lk_nat_number(req, resp, "max_distance", 0, LK_NAT_DISTANCE_MAX,
                   &rule->max_distance))
    return 1;
  return 0;
}

static int lk_nat_accepts(const struct lk_nat_rule *rule, float distance,
                          float confidence)
{
  if(rule->max_distance > 0)
    return (double)distance <= rule->max_distance;
  return (double)confidence >= rule->threshold;
}

/* Whether face i is listed: scoring min_score or more, with something
 * inside the image once clamped (boxes at the score floor reach past the
 * edges). */
static int lk_nat_listed(const struct lk_pipeline_result *r, int i,
                         double min_score)
{
  struct lk_api_box b;
  lk_api_box_round(&r->faces[i].face.box, r->width, r->height, &b);
  return b.x_max > b.x_min && b.y_max > b.y_min &&
         (double)r->faces[i].face.score >= min_score;
}

/* How one listed face is shown: recognized, or detected. */
typedef cJSON *(*lk_nat_face_fn)(const struct lk_pipeline_result *r, int i,
                                 const void *arg);

/* {"width":..,"height":..,"faces":[...]}, each face built by one. */
static cJSON *lk_nat_faces_json(const struct lk_pipeline_result *r,
                                double min_score, lk_nat_face_fn one,
                                const void *arg)
{
  cJSON *a = cJSON_CreateArray(), *o;
  int i;
  for(i = 0; a && i < r->n_faces; i++) {
    if(lk_nat_listed(r, i, min_score))
      a = lk_api_json_push(a, one(r, i, arg));
  }
  o = lk_api_json_add(cJSON_CreateObject(), "width",
                      cJSON_CreateNumber(r->width));
  o = lk_api_json_add(o, "height", cJSON_CreateNumber(r->height));
  return lk_api_json_add(o, "faces", a);
}

/* Box and score, what every listed face starts with. */
static cJSON *lk_nat_face_base(const struct lk_pipeline_result *r, int i)
{
  const struct lk_face *f = &r->faces[i].face;
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "box",
                             lk_nat_box(&f->box, r->width, r->height));
  return lk_api_json_add(o, "score",
                         cJSON_CreateNumber(lk_api_fraction(f->score)));
}

/* ---- recognize -------------------------------------------------------- */

static cJSON *lk_nat_candidate(const struct lk_pipeline_match *m)
{
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "person",
                             cJSON_CreateString(m->person));
  o = lk_api_json_add(o, "face_id", cJSON_CreateNumber((double)m->face_id));
  o = lk_api_json_add(o, "distance",
                      cJSON_CreateNumber(lk_api_fraction(m->distance)));
  return lk_api_json_add(o, "confidence",
                         cJSON_CreateNumber(lk_api_fraction(m->confidence)));
}

static cJSON *lk_nat_number_or_null(const struct lk_pipeline_match *m,
                                    double x)
{
  return m ? cJSON_CreateNumber(lk_api_fraction(x)) : cJSON_CreateNull();
}

/* A face with every candidate, and the person the rule decides on: the
 * best candidate when it passes, else null (never the nearest name). */
static cJSON *lk_nat_recognized(const struct lk_pipeline_result *r, int i,
                                const void *arg)
{
  const struct lk_nat_rule *rule = arg;
  const struct lk_pipeline_face *f = &r->faces[i];
  const struct lk_pipeline_match *m = f->n_matches ? f->matches : NULL;
  cJSON *o = lk_nat_face_base(r, i), *a = cJSON_CreateArray();
  int k;
  if(m && !lk_nat_accepts(rule, m->distance, m->confidence))
    m = NULL;
  o = lk_api_json_add(o, "person", m ? cJSON_CreateString(m->person)
                                     : cJSON_CreateNull());
  o = lk_api_json_add(o, "confidence",
                      lk_nat_number_or_null(m, m ? m->confidence : 0));
  o = lk_api_json_add(o, "distance",
                      lk_nat_number_or_null(m, m ? m->distance : 0));
  for(k = 0; a && k < f->n_matches; k++)
    a = lk_api_json_push(a, lk_nat_candidate(&f->matches[k]));
  return lk_api_json_add(o, "candidates", a);
}

lk_err lk_nat_recognize(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx)
{
  struct lk_api *api = ctx;
  char why[LK_PIPELINE_ERRMAX] = "";
  struct lk_pipeline_result r;
  struct lk_nat_image img;
  struct lk_nat_rule rule;
  int64_t top_k = LK_NAT_TOP_K;
  double min_score = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, api, NULL) ||
     lk_nat_whole(req, resp, "top_k", 1, LK_NAT_TOP_K_MAX, &top_k) ||
     lk_nat_rule_get(req, resp, &rule) ||
     lk_nat_number(req, resp, "min_score", 0, 1, &min_score) ||
     lk_nat_images_get(req, resp, api, &lk_nat_one_image, 1, 1, &img))
    return LK_OK;
  err = lk_pipeline_recognize(api->pipe, img.data, img.len, (int)top_k,
                              lk_http_req_arena(req), &r, why);
  lk_nat_image_free(&img);
  if(err)
    return lk_nat_fail_err(req, resp, err, why);
  return lk_http_resp_json(resp, 200, lk_nat_faces_json(&r, min_score,
                                                        lk_nat_recognized,
                                                        &rule));
}

/* ---- detect ----------------------------------------------------------- */

static cJSON *lk_nat_landmarks(const struct lk_face *f)
{
  cJSON *a = cJSON_CreateArray();
  int k;
  for(k = 0; a && k < LK_FACE_LANDMARKS; k++) {
    /* a hundredth of a pixel is finer than the nets resolve */
    double xy[2] = { round(f->landmarks[k][0] * 100.0) / 100.0,
                     round(f->landmarks[k][1] * 100.0) / 100.0 };
    a = lk_api_json_push(a, cJSON_CreateDoubleArray(xy, 2));
  }
  return a;
}

static cJSON *lk_nat_detected(const struct lk_pipeline_result *r, int i,
                              const void *arg)
{
  const int *landmarks = arg;
  cJSON *o = lk_nat_face_base(r, i);
  if(*landmarks)
    o = lk_api_json_add(o, "landmarks", lk_nat_landmarks(&r->faces[i].face));
  return o;
}

/* The detector threshold for min_score s: 0 is the floor (every box),
 * 1 the detector's default, after which only perfect scores are listed. */
static float lk_nat_detector_score(double s)
{
  if(s >= 1.0)
    return 0.0f;
  return (float)s < LK_NAT_SCORE_FLOOR ? LK_NAT_SCORE_FLOOR : (float)s;
}

lk_err lk_nat_detect(struct lk_http_req *req, struct lk_http_resp *resp,
                     void *ctx)
{
  struct lk_api *api = ctx;
  char why[LK_PIPELINE_ERRMAX] = "";
  struct lk_pipeline_result r;
  struct lk_nat_image img;
  double min_score = -1;     /* not given: the detector's own */
  int landmarks = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, api, NULL) ||
     lk_nat_number(req, resp, "min_score", 0, 1, &min_score) ||
     lk_nat_bool(req, resp, "landmarks", &landmarks) ||
     lk_nat_images_get(req, resp, api, &lk_nat_one_image, 1, 1, &img))
    return LK_OK;
  /* landmarks come with the descriptor pass, which costs more */
  err = lk_pipeline_detect(api->pipe, img.data, img.len, landmarks,
                           min_score < 0 ? 0.0f
                                         : lk_nat_detector_score(min_score),
                           lk_http_req_arena(req), &r, why);
  lk_nat_image_free(&img);
  if(err)
    return lk_nat_fail_err(req, resp, err, why);
  return lk_http_resp_json(resp, 200, lk_nat_faces_json(&r, min_score,
                                                        lk_nat_detected,
                                                        &landmarks));
}

/* ---- compare ---------------------------------------------------------- */

static const struct lk_nat_source lk_nat_two_images[LK_NAT_MAX_IMAGES] = {
  { "image1", "url1" },
  { "image2", "url2" },
};

lk_err lk_nat_compare(struct lk_http_req *req, struct lk_http_resp *resp,
                      void *ctx)
{
  struct lk_api *api = ctx;
  char why[LK_PIPELINE_ERRMAX] = "";
  struct lk_nat_image img[LK_NAT_MAX_IMAGES];
  struct lk_nat_rule rule;
  float d = 0, c;
  cJSON *o;
  lk_err err;

  if(lk_nat_begin(req, resp, api, NULL) ||
     lk_nat_rule_get(req, resp, &rule) ||
     lk_nat_images_get(req, resp, api, lk_nat_two_images, 2, 0, img))
    return LK_OK;
  err = lk_pipeline_compare(api->pipe, img[0].data, img[0].len, img[1].data,
                            img[1].len, lk_http_req_arena(req), &d, why);
  lk_nat_image_free(&img[0]);
  lk_nat_image_free(&img[1]);
  if(err)
    return lk_nat_fail_err(req, resp, err, why);
  c = lk_pipeline_confidence(api->pipe, d);
  o = lk_api_json_add(cJSON_CreateObject(), "distance",
                      cJSON_CreateNumber(lk_api_fraction(d)));
  o = lk_api_json_add(o, "confidence",
                      cJSON_CreateNumber(lk_api_fraction(c)));
  return lk_http_resp_json(resp, 200, lk_api_json_add(o, "same",
                           cJSON_CreateBool(lk_nat_accepts(&rule, d, c))));
}

/* ---- status ----------------------------------------------------------- */

lk_err lk_nat_status(struct lk_http_req *req, struct lk_http_resp *resp,
                     void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st = lk_pipeline_store(api->pipe);
  struct lk_store_counts c = { 0, 0, 0 };
  cJSON *o;
  lk_err err;

  if(lk_nat_begin(req, resp, api, NULL))
    return LK_OK;
  err = st ? lk_store_counts(st, &c) : LK_OK;
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  o = lk_api_json_add(cJSON_CreateObject(), "version",
                      cJSON_CreateString(LK_VERSION));
  o = lk_api_json_add(o, "people", cJSON_CreateNumber((double)c.people));
  o = lk_api_json_add(o, "faces", cJSON_CreateNumber((double)c.faces));
  o = lk_api_json_add(o, "deleted_faces",
                      cJSON_CreateNumber((double)c.deleted_faces));
  o = lk_api_json_add(o, "detector", cJSON_CreateString(
                      lk_pipeline_detector_label(api->pipe)));
  return lk_http_resp_json(resp, 200, lk_api_json_add(o, "align",
                           cJSON_CreateString(lk_pipeline_align_label(
                             api->pipe))));
}
