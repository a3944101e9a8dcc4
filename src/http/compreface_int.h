/* compreface_int.h - what the CompreFace adapter's three files share:
 * compreface.c (errors, the x-api-key check, inputs, query parameters,
 * image ids, the route table), compreface_faces.c (the face collection:
 * subjects, faces, stored images) and compreface_match.c (recognize,
 * detect, verify and the embedding endpoints). Nothing outside
 * src/http/compreface*.c includes it. */
#ifndef LK_COMPREFACE_INT_H
#define LK_COMPREFACE_INT_H

#include <stdint.h>

#include "api.h"

/* CompreFace's error codes (java/common/.../CommonExceptionCode.java);
 * clients switch on them (Double Take: 28 means "no faces"). */
enum lk_cf_code {
  LK_CF_UNDEFINED = 0,
  LK_CF_EMPTY_FIELD = 5,            /* EMPTY_REQUIRED_FIELD */
  LK_CF_MODEL_NOT_FOUND = 10,       /* no service with that API key */
  LK_CF_MISSING_HEADER = 20,
  LK_CF_BAD_FILE = 21,              /* UNAVAILABLE_FILE_EXTENSION, base64 */
  LK_CF_VALIDATION = 26,            /* VALIDATION_CONSTRAINT_VIOLATION */
  LK_CF_NO_FACES = 28,
  LK_CF_TOO_MANY_FACES = 31,
  LK_CF_MISSING_PARAM = 33,
  LK_CF_MISSING_PART = 34,
  LK_CF_INCORRECT_ARGUMENT = 36,
  LK_CF_SUBJECT_NOT_FOUND = 42,
  LK_CF_SUBJECT_EXISTS = 43,
  LK_CF_EMBEDDING_NOT_FOUND = 44    /* an unknown image_id */
};

/* The three services; each may have its own key. */
enum lk_cf_service {
  LK_CF_RECOGNITION,
  LK_CF_DETECTION,
  LK_CF_VERIFICATION
};

/* face_plugins that likeness can answer. */
#define LK_CF_LANDMARKS 1u
#define LK_CF_CALCULATOR 2u

/* Query parameters of the image endpoints, CompreFace's defaults. */
struct lk_cf_params {
  int limit;             /* faces listed, largest first; 0: all */
  int prediction_count;  /* subjects per face (recognize) */
  double det_prob;       /* detector threshold; < 0: the detector's own */
  unsigned plugins;      /* LK_CF_LANDMARKS | LK_CF_CALCULATOR */
  int status;            /* add execution_time and plugins_versions */
};

/* An image from the request: a file part or decoded base64. */
struct lk_cf_image {
  const unsigned char *data;
  size_t size;
};

#define LK_CF_ID_SIZE 37   /* a UUID's 36 characters and the NUL */

/* ---- answers (compreface.c) -------------------------------------------
 * Each answers the request and returns what to return from the handler. */

/* {"message":...,"code":code} with that status; message is printf-like. */
lk_err lk_cf_fail(struct lk_http_req *req, struct lk_http_resp *resp,
                  int status, int code, const char *fmt, ...);
/* The error table's answer for a pipeline or store error; why is logged. */
lk_err lk_cf_fail_err(struct lk_http_req *req, struct lk_http_resp *resp,
                      lk_err err, const char *why);
/* Sends o (NULL: a failed build, answered 500) with status. */
lk_err lk_cf_send(struct lk_http_resp *resp, int status, cJSON *o);

/* ---- request checks (compreface.c) ------------------------------------
 * Each returns 1 when it has answered the request with an error. */

/* The x-api-key check of service s. */
int lk_cf_refused(struct lk_http_req *req, struct lk_http_resp *resp,
                  const struct lk_api *api, enum lk_cf_service s);
/* The gallery, or 1 (answered 500) when the pipeline has none. */
int lk_cf_no_store(struct lk_http_req *req, struct lk_http_resp *resp,
                   const struct lk_api *api, struct lk_store **st);
/* Image `name`: a multipart file part, or a base64 string of that name in
 * a JSON body. */
int lk_cf_image(struct lk_http_req *req, struct lk_http_resp *resp,
                const char *name, struct lk_cf_image *img);
/* The JSON body (415 when the body is not JSON). */
int lk_cf_json(struct lk_http_req *req, struct lk_http_resp *resp,
               const cJSON **json);
/* limit, det_prob_threshold, face_plugins, status and, as which asks,
 * prediction_count and detect_faces. */
#define LK_CF_WITH_PREDICTIONS 1u
#define LK_CF_WITH_DETECT_FACES 2u
int lk_cf_params(struct lk_http_req *req, struct lk_http_resp *resp,
                 unsigned which, struct lk_cf_params *p);
/* prediction_count alone (1 when absent). */
int lk_cf_prediction_count(struct lk_http_req *req,
                           struct lk_http_resp *resp, int *n);
/* det_prob_threshold alone (-1 when absent). */
int lk_cf_det_prob(struct lk_http_req *req, struct lk_http_resp *resp,
                   double *out);
/* The face layer's threshold for det_prob_threshold t: 0 (the detector's
 * default) when t is absent or 1, whose faces lk_cf_listed then drops. */
float lk_cf_score(double t);
/* Whether face i is answered: its box keeps some area once clamped to the
 * image (noise boxes at threshold 0 may not), and it scores t or more. */
int lk_cf_listed(const struct lk_pipeline_result *r, int i, double t);
/* A query parameter or, as Spring's @RequestParam reads it, a plain form
 * field; NULL when neither is there. */
const char *lk_cf_param(const struct lk_http_req *req, const char *name);

/* ---- image ids (compreface.c) -----------------------------------------
 * CompreFace's ids are UUIDs; a face id n is 00000000-0000-4000-8000-
 * followed by n as 12 hex digits: a valid version 4 UUID form. */
void lk_cf_id_format(int64_t id, char out[LK_CF_ID_SIZE]);
/* 1 and *id for an id of that form (any case), else 0. */
int lk_cf_id_parse(const char *s, int64_t *id);
/* 404 code 44 "Image <id> not found". */
lk_err lk_cf_no_image(struct lk_http_req *req, struct lk_http_resp *resp,
                      const char *id);

/* ---- cJSON ------------------------------------------------------------
 * Both take item (freed when the add fails) and return 0 on failure, so a
 * chain of them can stop at the first. */
int lk_cf_put(cJSON *o, const char *key, cJSON *item);
int lk_cf_push(cJSON *a, cJSON *item);
/* A similarity or probability as CompreFace prints it: 5 decimals. */
double lk_cf_round5(double x);
/* {"image_id":...,"subject":...} */
cJSON *lk_cf_face_ref(int64_t id, const char *subject);

/* ---- handlers ----------------------------------------------------------
 * compreface_faces.c: the face collection. */
lk_err lk_cf_subject_add(struct lk_http_req *, struct lk_http_resp *, void *);
lk_err lk_cf_subject_rename(struct lk_http_req *, struct lk_http_resp *,
                            void *);
lk_err lk_cf_subject_delete(struct lk_http_req *, struct lk_http_resp *,
                            void *);
lk_err lk_cf_subjects_delete(struct lk_http_req *, struct lk_http_resp *,
                             void *);
lk_err lk_cf_subjects_list(struct lk_http_req *, struct lk_http_resp *,
                           void *);
lk_err lk_cf_face_add(struct lk_http_req *, struct lk_http_resp *, void *);
lk_err lk_cf_faces_list(struct lk_http_req *, struct lk_http_resp *, void *);
lk_err lk_cf_faces_delete(struct lk_http_req *, struct lk_http_resp *,
                          void *);
lk_err lk_cf_face_delete(struct lk_http_req *, struct lk_http_resp *, void *);
lk_err lk_cf_faces_delete_ids(struct lk_http_req *, struct lk_http_resp *,
                              void *);
lk_err lk_cf_face_img(struct lk_http_req *, struct lk_http_resp *, void *);
lk_err lk_cf_static_img(struct lk_http_req *, struct lk_http_resp *, void *);

/* compreface_match.c: inference and embeddings. */
lk_err lk_cf_recognize(struct lk_http_req *, struct lk_http_resp *, void *);
lk_err lk_cf_detect(struct lk_http_req *, struct lk_http_resp *, void *);
lk_err lk_cf_face_verify(struct lk_http_req *, struct lk_http_resp *,
                         void *);
lk_err lk_cf_verification(struct lk_http_req *, struct lk_http_resp *,
                          void *);
lk_err lk_cf_embeddings_recognize(struct lk_http_req *,
                                  struct lk_http_resp *, void *);
lk_err lk_cf_embeddings_face_verify(struct lk_http_req *,
                                    struct lk_http_resp *, void *);
lk_err lk_cf_embeddings_verification(struct lk_http_req *,
                                     struct lk_http_resp *, void *);

#endif
