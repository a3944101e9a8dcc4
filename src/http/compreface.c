/* compreface.c - CompreFace's REST API on the pipeline: the route table,
 * error answers in its {"message","code"} shape, the per-service
 * x-api-key check, image inputs (multipart or base64 JSON), the query
 * parameters the image endpoints share, and face ids as UUID strings.
 * The endpoints are in compreface_faces.c (the face collection) and
 * compreface_match.c (recognize, detect, verify, embeddings). Codes,
 * messages and statuses are CompreFace's (exadel-inc/CompreFace:
 * java/common/.../CommonExceptionCode.java, ResponseExceptionHandler.java,
 * the api module's controllers and SecurityValidationFilter.java), as
 * Double Take and the CompreFace SDKs read them. docs/api-compreface.md
 * lists where we differ and why. */
#include "compreface_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"

/* Room for a message with a subject name (256 bytes) or an echoed id. */
#define LK_CF_MSGMAX 640
/* The prefix of every image id (compreface_int.h). */
#define LK_CF_ID_PREFIX "00000000-0000-4000-8000-"
#define LK_CF_ID_PREFIX_LEN 24
/* The face layer wants a detector threshold above 0; det_prob_threshold=0
 * means every candidate box, which this floor gives (at most
 * LK_FACE_MAX_FACES of them). */
#define LK_CF_SCORE_FLOOR 1e-6f
/* ResponseExceptionHandler.handleUndefinedExceptions's words */
#define LK_CF_UNDEFINED_MSG "Something went wrong, please try again"

/* Status, code and message for each lk_err a pipeline call returns. */
static const struct {
  lk_err err;
  int status;
  int code;
  const char *message;
} lk_cf_errors[] = {
  /* NoFaceFoundError of the embedding calculator */
  { LK_ERR_NO_FACE, 400, LK_CF_NO_FACES,
    "No face is found in the given image" },
  /* CompreFace's Java side turns every 400 of its calculator, a broken
   * image included, into code 28: kept, so clients act the same; the
   * message is the calculator's own for a broken image */
  { LK_ERR_IMAGE, 400, LK_CF_NO_FACES,
    "Image has incorrect format or is broken" },
  /* BMP, GIF, TIFF, ICO: CompreFace reads them, likeness does not */
  { LK_ERR_UNSUPPORTED, 400, LK_CF_BAD_FILE,
    "Image format is not supported: send JPEG, PNG or WebP" },
  { LK_ERR_TOO_LARGE, 413, LK_CF_UNDEFINED, "Image is too large" },
  { LK_ERR_BUSY, 503, LK_CF_UNDEFINED, "Server busy, retry later" },
  { LK_ERR_LAST, 500, LK_CF_UNDEFINED, LK_CF_UNDEFINED_MSG },
};

static cJSON *lk_cf_error_body(const char *message, int code)
{
  cJSON *o = cJSON_CreateObject();
  if(o && (!cJSON_AddStringToObject(o, "message", message) ||
           !cJSON_AddNumberToObject(o, "code", code))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

lk_err lk_api_compreface_error(struct lk_http_req *req,
                               struct lk_http_resp *resp, int status,
                               const char *message, void *ctx)
{
  (void)req;
  (void)ctx;
  /* the layer's refusals (unknown path, malformed body, 413, 503) have no
   * CompreFace code: UNDEFINED, as its catch-all handler answers */
  return lk_http_resp_json(resp, status,
                           lk_cf_error_body(message, LK_CF_UNDEFINED));
}

/* Logs (with the reason, when there is one) and answers. */
static lk_err lk_cf_answer(struct lk_http_req *req, struct lk_http_resp *resp,
                           int status, int code, const char *msg,
                           const char *why)
{
  lk_err err;
  lk_log(status >= 500 ? LK_LOG_WARN : LK_LOG_DEBUG, "compreface",
         "%s: %d %s%s%s", lk_http_req_path(req), code, msg,
         why && why[0] ? ": " : "", why ? why : "");
  err = lk_http_resp_json(resp, status, lk_cf_error_body(msg, code));
  if(!err && status == 503)
    err = lk_http_resp_header(resp, "Retry-After", "1");
  return err;
}

lk_err lk_cf_fail(struct lk_http_req *req, struct lk_http_resp *resp,
                  int status, int code, const char *fmt, ...)
{
  char msg[LK_CF_MSGMAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return lk_cf_answer(req, resp, status, code, msg, NULL);
}

lk_err lk_cf_fail_err(struct lk_http_req *req, struct lk_http_resp *resp,
                      lk_err err, const char *why)
{
  size_t i = 0;
  while(lk_cf_errors[i].err != LK_ERR_LAST && lk_cf_errors[i].err != err)
    i++;
  return lk_cf_answer(req, resp, lk_cf_errors[i].status, lk_cf_errors[i].code,
                      lk_cf_errors[i].message, why);
}

lk_err lk_cf_send(struct lk_http_resp *resp, int status, cJSON *o)
{
  if(!o)    /* a cJSON allocation failed while building the answer */
    return lk_http_resp_json(resp, 500, lk_cf_error_body(LK_CF_UNDEFINED_MSG,
                                                         LK_CF_UNDEFINED));
  return lk_http_resp_json(resp, status, o);
}

/* ---- request checks ---------------------------------------------------- */

static const char *lk_cf_key_of(const struct lk_api *api,
                                enum lk_cf_service s)
{
  if(!api->cfg)
    return NULL;
  if(s == LK_CF_DETECTION)
    return api->cfg->compreface_detection_key;
  if(s == LK_CF_VERIFICATION)
    return api->cfg->compreface_verification_key;
  return api->cfg->compreface_recognition_key;
}

/* SecurityValidationFilter: no header is 400 code 20; a key no service
 * has is ModelNotFoundException, 404 code 10, naming service and key. */
int lk_cf_refused(struct lk_http_req *req, struct lk_http_resp *resp,
                  const struct lk_api *api, enum lk_cf_service s)
{
  static const char *const names[] = { "Recognition", "Detection",
                                       "Verification" };
  const char *want = lk_cf_key_of(api, s);
  const char *key = lk_http_req_header(req, "x-api-key");
  if(!want || !*want)
    return 0;
  if(!key) {
    lk_cf_fail(req, resp, 400, LK_CF_MISSING_HEADER,
               "Missing header: x-api-key");
    return 1;
  }
  if(lk_api_key_equal(key, strlen(key), want))
    return 0;
  lk_cf_fail(req, resp, 404, LK_CF_MODEL_NOT_FOUND,
             "%s service with API Key %.100s not found", names[s], key);
  return 1;
}

int lk_cf_no_store(struct lk_http_req *req, struct lk_http_resp *resp,
                   const struct lk_api *api, struct lk_store **st)
{
  *st = lk_pipeline_store(api->pipe);
  if(*st)
    return 0;
  lk_cf_fail_err(req, resp, LK_ERR_INVAL, "the pipeline has no gallery");
  return 1;
}

int lk_cf_json(struct lk_http_req *req, struct lk_http_resp *resp,
               const cJSON **json)
{
  const char *type = lk_http_req_content_type(req);
  *json = lk_http_req_json(req);
  if(*json)
    return 0;
  if(lk_http_req_body_kind(req) == LK_HTTP_BODY_NONE) {
    /* Spring's HttpMessageNotReadableException */
    lk_cf_fail(req, resp, 400, LK_CF_UNDEFINED,
               "Required request body is missing");
    return 1;
  }
  /* HttpMediaTypeNotSupportedException, in Spring's words */
  lk_cf_fail(req, resp, 415, LK_CF_UNDEFINED,
             "Content type '%.100s' not supported", type ? type : "");
  return 1;
}

static int lk_cf_base64(struct lk_http_req *req, struct lk_http_resp *resp,
                        const cJSON *json, const char *name,
                        struct lk_cf_image *img)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, name);
  unsigned char *data;
  lk_err err;
  if(!cJSON_IsString(v)) {
    /* @NotNull on the DTO: EmptyRequiredFieldException */
    lk_cf_fail(req, resp, 400, LK_CF_EMPTY_FIELD,
               "Field %s cannot be empty", name);
    return 1;
  }
  err = lk_api_base64(v->valuestring, strlen(v->valuestring),
                      lk_http_req_arena(req), &data, &img->size);
  if(err == LK_ERR_INVAL) {
    lk_cf_fail(req, resp, 400, LK_CF_BAD_FILE,
               "Provided value is not Base64");
    return 1;
  }
  if(err) {
    lk_cf_fail_err(req, resp, err, "decoding base64");
    return 1;
  }
  img->data = data;
  return 0;
}

int lk_cf_image(struct lk_http_req *req, struct lk_http_resp *resp,
                const char *name, struct lk_cf_image *img)
{
  enum lk_http_body kind = lk_http_req_body_kind(req);
  const struct lk_http_part *part;
  const cJSON *json;
  if(kind == LK_HTTP_BODY_JSON) {
    if(lk_cf_json(req, resp, &json))
      return 1;
    return lk_cf_base64(req, resp, json, name, img);
  }
  if(kind == LK_HTTP_BODY_RAW)
    return lk_cf_json(req, resp, &json);    /* answers 415 */
  part = lk_api_file(req, name);
  if(!part) {
    /* MissingServletRequestPartException */
    lk_cf_fail(req, resp, 400, LK_CF_MISSING_PART,
               "Required part %s is missing", name);
    return 1;
  }
  img->data = part->data;
  img->size = part->size;
  return 0;
}

const char *lk_cf_param(const struct lk_http_req *req, const char *name)
{
  const char *v = lk_http_req_query(req, name);
  const struct lk_http_part *part;
  if(v)
    return v;
  part = lk_http_req_part(req, name);
  return part && !part->filename ? (const char *)part->data : NULL;
}

/* An Integer parameter: absent or "" is def (Spring binds "" as null);
 * not a whole number is a type mismatch; under min is the @Min message,
 * which the ConstraintViolation handler ends with "; ". */
static int lk_cf_int(struct lk_http_req *req, struct lk_http_resp *resp,
                     const char *name, int def, int min,
                     const char *min_msg, int *out)
{
  const char *s = lk_cf_param(req, name);
  double v;
  *out = def;
  if(!s || !*s)
    return 0;
  if(lk_api_number(s, &v) || v > 2147483647.0 || v < -2147483648.0 ||
     v != floor(v)) {
    lk_cf_fail(req, resp, 400, LK_CF_VALIDATION,
               "Validation for field %s failed: must be an integer", name);
    return 1;
  }
  *out = (int)v;
  if(*out >= min)
    return 0;
  lk_cf_fail(req, resp, 400, LK_CF_VALIDATION, "%s; ", min_msg);
  return 1;
}

/* A Boolean parameter, as Spring converts one (any case). */
static int lk_cf_bool(struct lk_http_req *req, struct lk_http_resp *resp,
                      const char *name, int def, int *out)
{
  static const char *const yes[] = { "true", "on", "yes", "1" };
  static const char *const no[] = { "false", "off", "no", "0" };
  const char *s = lk_cf_param(req, name);
  size_t i;
  *out = def;
  if(!s || !*s)
    return 0;
  for(i = 0; i < 4; i++) {
    if(!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
      *out = !strcasecmp(s, yes[i]);
      return 0;
    }
  }
  lk_cf_fail(req, resp, 400, LK_CF_VALIDATION,
             "Validation for field %s failed: must be true or false", name);
  return 1;
}

int lk_cf_det_prob(struct lk_http_req *req, struct lk_http_resp *resp,
                   double *out)
{
  const char *s = lk_cf_param(req, "det_prob_threshold");
  *out = -1;
  if(!s || !*s)
    return 0;
  /* the calculator's check (_endpoints.py _get_det_prob_threshold) */
  if(lk_api_number(s, out) || *out < 0 || *out > 1) {
    lk_cf_fail(req, resp, 400, LK_CF_VALIDATION,
               "Detection threshold incorrect (0 <= det_prob_threshold "
               "<= 1)");
    return 1;
  }
  return 0;
}

/* Comma-separated slugs; the ones likeness cannot answer (age, gender,
 * mask, pose) and unknown ones (Double Take's "undefined") are skipped,
 * as the calculator's plugin filter skips unknown slugs. */
static unsigned lk_cf_plugins(const char *s)
{
  unsigned bits = 0;
  while(s && *s) {
    size_t n;
    s += strspn(s, " ,");
    n = strcspn(s, " ,");
    if(n == 9 && !strncmp(s, "landmarks", n))
      bits |= LK_CF_LANDMARKS;
    else if(n == 10 && !strncmp(s, "calculator", n))
      bits |= LK_CF_CALCULATOR;
    s += n;
  }
  return bits;
}

int lk_cf_prediction_count(struct lk_http_req *req,
                           struct lk_http_resp *resp, int *n)
{
  return lk_cf_int(req, resp, "prediction_count", 1, 1,
                   "prediction_count should be equal or greater than 1", n);
}

/* In the order of the controllers' parameters; the ones an endpoint does
 * not take are not looked at, as Spring ignores them. */
int lk_cf_params(struct lk_http_req *req, struct lk_http_resp *resp,
                 unsigned which, struct lk_cf_params *p)
{
  int detect_faces;
  memset(p, 0, sizeof *p);
  p->prediction_count = 1;
  p->plugins = lk_cf_plugins(lk_cf_param(req, "face_plugins"));
  /* detect_faces is checked but cannot be honoured (docs) */
  return lk_cf_int(req, resp, "limit", 0, 0,
                   "Limit should be equal or greater than 0", &p->limit) ||
         ((which & LK_CF_WITH_PREDICTIONS) &&
          lk_cf_prediction_count(req, resp, &p->prediction_count)) ||
         lk_cf_det_prob(req, resp, &p->det_prob) ||
         lk_cf_bool(req, resp, "status", 0, &p->status) ||
         ((which & LK_CF_WITH_DETECT_FACES) &&
          lk_cf_bool(req, resp, "detect_faces", 1, &detect_faces));
}

float lk_cf_score(double t)
{
  float f = (float)t;
  if(t < 0 || f >= 1.0f)
    return 0.0f;
  return f < LK_CF_SCORE_FLOOR ? LK_CF_SCORE_FLOOR : f;
}

int lk_cf_listed(const struct lk_pipeline_result *r, int i, double t)
{
  struct lk_api_box b;
  lk_api_box_round(&r->faces[i].face.box, r->width, r->height, &b);
  if(b.x_max <= b.x_min || b.y_max <= b.y_min)
    return 0;
  return t < 0 || (double)r->faces[i].face.score >= t;
}

/* ---- image ids and JSON ------------------------------------------------- */

void lk_cf_id_format(int64_t id, char out[LK_CF_ID_SIZE])
{
  /* 12 hex digits: face ids below 2^48, far beyond any gallery */
  snprintf(out, LK_CF_ID_SIZE, LK_CF_ID_PREFIX "%012llx",
           (unsigned long long)id & 0xffffffffffffull);
}

int lk_cf_id_parse(const char *s, int64_t *id)
{
  int64_t v = 0;
  int i;
  if(!s || strlen(s) != LK_CF_ID_SIZE - 1 ||
     strncasecmp(s, LK_CF_ID_PREFIX, LK_CF_ID_PREFIX_LEN))
    return 0;
  for(i = LK_CF_ID_PREFIX_LEN; i < LK_CF_ID_SIZE - 1; i++) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0'
          : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if(d < 0)
      return 0;
    v = v << 4 | d;
  }
  *id = v;
  return v > 0;
}

lk_err lk_cf_no_image(struct lk_http_req *req, struct lk_http_resp *resp,
                      const char *id)
{
  /* EmbeddingNotFoundException */
  return lk_cf_fail(req, resp, 404, LK_CF_EMBEDDING_NOT_FOUND,
                    "Image %.100s not found", id);
}

int lk_cf_put(cJSON *o, const char *key, cJSON *item)
{
  if(o && item && cJSON_AddItemToObject(o, key, item))
    return 1;
  cJSON_Delete(item);
  return 0;
}

int lk_cf_push(cJSON *a, cJSON *item)
{
  if(a && item && cJSON_AddItemToArray(a, item))
    return 1;
  cJSON_Delete(item);
  return 0;
}

double lk_cf_round5(double x)
{
  /* BigDecimal.setScale(5, HALF_UP) */
  return round(x * 1e5) / 1e5;
}

cJSON *lk_cf_face_ref(int64_t id, const char *subject)
{
  char uuid[LK_CF_ID_SIZE];
  cJSON *o = cJSON_CreateObject();
  lk_cf_id_format(id, uuid);
  if(!lk_cf_put(o, "image_id", cJSON_CreateString(uuid)) ||
     !lk_cf_put(o, "subject", cJSON_CreateString(subject))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* ---- routes ------------------------------------------------------------- */

struct lk_cf_route {
  const char *method;
  const char *pattern;
  lk_http_handler handler;
  unsigned flags;
};

#define LK_CF_REC "/api/v1/recognition"

/* Literals before patterns that could match the same path
 * (/faces/delete before /faces/{image_id}); inference is heavy. */
static const struct lk_cf_route lk_cf_routes[] = {
  { "POST", LK_CF_REC "/subjects", lk_cf_subject_add, 0 },
  { "GET", LK_CF_REC "/subjects", lk_cf_subjects_list, 0 },
  { "DELETE", LK_CF_REC "/subjects", lk_cf_subjects_delete, 0 },
  { "PUT", LK_CF_REC "/subjects/{subject}", lk_cf_subject_rename, 0 },
  { "DELETE", LK_CF_REC "/subjects/{subject}", lk_cf_subject_delete, 0 },
  { "POST", LK_CF_REC "/faces", lk_cf_face_add, LK_HTTP_HEAVY },
  { "GET", LK_CF_REC "/faces", lk_cf_faces_list, 0 },
  { "DELETE", LK_CF_REC "/faces", lk_cf_faces_delete, 0 },
  { "POST", LK_CF_REC "/faces/delete", lk_cf_faces_delete_ids, 0 },
  { "DELETE", LK_CF_REC "/faces/{image_id}", lk_cf_face_delete, 0 },
  { "GET", LK_CF_REC "/faces/{image_id}/img", lk_cf_face_img, 0 },
  { "POST", LK_CF_REC "/faces/{image_id}/verify", lk_cf_face_verify,
    LK_HTTP_HEAVY },
  { "POST", LK_CF_REC "/recognize", lk_cf_recognize, LK_HTTP_HEAVY },
  { "POST", LK_CF_REC "/embeddings/recognize", lk_cf_embeddings_recognize,
    0 },
  { "POST", LK_CF_REC "/embeddings/faces/{image_id}/verify",
    lk_cf_embeddings_face_verify, 0 },
  { "GET", "/api/v1/static/{api_key}/images/{image_id}", lk_cf_static_img,
    LK_HTTP_QUIET_PATH },
  { "POST", "/api/v1/detection/detect", lk_cf_detect, LK_HTTP_HEAVY },
  { "POST", "/api/v1/verification/verify", lk_cf_verification,
    LK_HTTP_HEAVY },
  { "POST", "/api/v1/verification/embeddings/verify",
    lk_cf_embeddings_verification, 0 },
};

#define LK_CF_N_ROUTES (sizeof lk_cf_routes / sizeof lk_cf_routes[0])

size_t lk_api_compreface_routes(struct lk_api *api, struct lk_http_route *out,
                                size_t max)
{
  size_t i;
  if(max < LK_CF_N_ROUTES)
    return 0;
  for(i = 0; i < LK_CF_N_ROUTES; i++) {
    out[i].method = lk_cf_routes[i].method;
    out[i].pattern = lk_cf_routes[i].pattern;
    out[i].handler = lk_cf_routes[i].handler;
    out[i].ctx = api;
    out[i].flags = lk_cf_routes[i].flags;
    out[i].on_error = lk_api_compreface_error;
  }
  return LK_CF_N_ROUTES;
}
