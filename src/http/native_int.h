/* native_int.h - what the native API's files share: native.c (errors, the
 * key, request fields, images, the route table, /openapi.json and /docs),
 * native_gallery.c (people and faces) and native_vision.c (recognize,
 * detect, compare, status). Nothing outside src/http/native*.c includes
 * it.
 *
 * Helpers that may answer the request return 1 when they did (an error
 * is set on resp); the handler then returns LK_OK:
 *
 *   if(lk_nat_begin(req, resp, ctx, &st) || lk_nat_face_id(req, resp, &id))
 *     return LK_OK;
 */
#ifndef LK_NATIVE_INT_H
#define LK_NATIVE_INT_H

#include <stdint.h>

#include "api.h"

/* Error codes clients switch on; each documented in docs/api-native.md
 * and the OpenAPI document. */
#define LK_NAT_INVALID "invalid_request"
#define LK_NAT_NOT_FOUND "not_found"
#define LK_NAT_CONFLICT "conflict"

/* ---- native.c ---------------------------------------------------------- */

/* Answers {"error":{"code":code,"message":...}} with status (plus
 * Retry-After for 503); the message is printf-formatted. Returns what
 * setting the response returned. */
lk_err lk_nat_fail(struct lk_http_req *req, struct lk_http_resp *resp,
                   int status, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 5, 6)));
/* Answers a pipeline or store failure from the one table; why (may be
 * NULL or "") is the message for the client's own mistakes and goes to
 * the log only for the server's (5xx). */
lk_err lk_nat_fail_err(struct lk_http_req *req, struct lk_http_resp *resp,
                       lk_err err, const char *why);

/* The start of every /api/v1 handler: the API key, and when st is not
 * NULL the gallery (a pipeline may have none). 1 when answered. */
int lk_nat_begin(struct lk_http_req *req, struct lk_http_resp *resp,
                 const struct lk_api *api, struct lk_store **st);

/* Request fields (lk_api_field: form, JSON body, query). Absent fields
 * leave *out as the caller set it (the default). */
int lk_nat_number(struct lk_http_req *req, struct lk_http_resp *resp,
                  const char *name, double lo, double hi, double *out);
int lk_nat_whole(struct lk_http_req *req, struct lk_http_resp *resp,
                 const char *name, int64_t lo, int64_t hi, int64_t *out);
int lk_nat_bool(struct lk_http_req *req, struct lk_http_resp *resp,
                const char *name, int *out);
/* The {id} path parameter: a face id, 1 or more. */
int lk_nat_face_id(struct lk_http_req *req, struct lk_http_resp *resp,
                   int64_t *id);
/* offset (0 up) and limit (1..LK_NAT_PAGE_MAX, default LK_NAT_PAGE). */
#define LK_NAT_PAGE 100
#define LK_NAT_PAGE_MAX 1000
int lk_nat_page(struct lk_http_req *req, struct lk_http_resp *resp,
                int64_t *offset, int *limit);

/* An image from the request: a file part, base64 text, a URL (through
 * the SSRF guard) or a raw image body. */
struct lk_nat_image {
  const unsigned char *data;
  size_t len;
  unsigned char *fetched;   /* lk_malloc'd by the fetch layer, or NULL */
};
/* The fields of one image: a file part named field (else the next file
 * part of any name), else field as base64 text (a data: URL too), else
 * url_field. */
struct lk_nat_source {
  const char *field;
  const char *url_field;
};
extern const struct lk_nat_source lk_nat_one_image;    /* image, url */
#define LK_NAT_MAX_IMAGES 2      /* compare's two */
/* n (1..LK_NAT_MAX_IMAGES) images from src[0..n); raw: with n 1, a raw
 * image body (image/..., application/octet-stream) counts too. 1 when
 * answered; else free each with lk_nat_image_free. */
int lk_nat_images_get(struct lk_http_req *req, struct lk_http_resp *resp,
                      const struct lk_api *api,
                      const struct lk_nat_source *src, int n, int raw,
                      struct lk_nat_image *img);
void lk_nat_image_free(struct lk_nat_image *img);

/* JSON pieces; NULL when out of memory. Handlers build with
 * lk_api_json_add and send with lk_http_resp_json, whose NULL (a failed
 * build) becomes a 500 in this API's shape. */
cJSON *lk_nat_time(double unix_seconds);    /* "2025-01-01T10:00:00.123Z" */
cJSON *lk_nat_box(const struct lk_box *b, int width, int height);

/* ---- handlers (native_gallery.c, native_vision.c) --------------------- */
lk_err lk_nat_people_list(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx);
lk_err lk_nat_people_create(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx);
lk_err lk_nat_person_get(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx);
lk_err lk_nat_person_rename(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx);
lk_err lk_nat_person_delete(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx);
lk_err lk_nat_person_faces(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx);
lk_err lk_nat_person_register(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx);
lk_err lk_nat_person_clear(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx);
lk_err lk_nat_faces_list(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx);
lk_err lk_nat_face_get(struct lk_http_req *req, struct lk_http_resp *resp,
                       void *ctx);
lk_err lk_nat_face_delete(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx);
lk_err lk_nat_face_image(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx);
lk_err lk_nat_recognize(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx);
lk_err lk_nat_detect(struct lk_http_req *req, struct lk_http_resp *resp,
                     void *ctx);
lk_err lk_nat_compare(struct lk_http_req *req, struct lk_http_resp *resp,
                      void *ctx);
lk_err lk_nat_status(struct lk_http_req *req, struct lk_http_resp *resp,
                     void *ctx);

#endif
