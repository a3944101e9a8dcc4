/* api.h - the wire-format adapters on top of the HTTP layer: each turns
 * one API's requests into lk_pipeline calls and its results back into that
 * API's JSON, with that API's error strings and status codes. They share
 * one lk_api context and hand their routes to the server.
 *
 * Threads: adapters are stateless; the pipeline they call is thread safe.
 *
 *   struct lk_api api = { pipeline, &cfg };
 *   n = lk_api_deepstack_routes(&api, routes, LK_API_MAX_ROUTES);
 *   lk_http_server_create(&srv, &http_cfg, routes, n);
 */
#ifndef LK_API_H
#define LK_API_H

#include <stddef.h>

#include "http/http.h"
#include "pipeline/pipeline.h"

/* Room for every adapter's routes in one table (cli_serve.c); an adapter
 * given too little room adds none. */
#define LK_API_MAX_ROUTES 128

struct lk_fetch_policy;

struct lk_api_config {
  /* DeepStack's API-KEY: when set, every /v1/vision request must carry
   * form field api_key with this value (401 "Incorrect api key"). */
  const char *deepstack_api_key;
  /* CompreFace's service keys, one per service (recognition, detection,
   * verification): when one is set, requests to that service must carry
   * header x-api-key with that value (400 code 20 when it is missing,
   * 404 code 10 when it differs). NULL: any key, or none, is accepted. */
  const char *compreface_recognition_key;
  const char *compreface_detection_key;
  const char *compreface_verification_key;
  /* Facebox's HTTP Basic credentials: when facebox_user is set, every
   * Facebox route (and /info) must carry them, or gets 401 with
   * WWW-Authenticate. A NULL password is "". */
  const char *facebox_user;
  const char *facebox_password;
  /* Image and state URLs sent by clients (the seed API's image_url,
   * Facebox's url): untrusted, so fetched behind the fetch layer's SSRF
   * guard. NULL: lk_fetch_default_policy(). */
  const struct lk_fetch_policy *fetch;
  /* The native API's key: when set, every /api/v1 native request must
   * carry "Authorization: Bearer <key>" or "X-API-Key: <key>" (401
   * otherwise); /openapi.json and /docs stay open. */
  const char *native_api_key;
};

struct lk_api {
  struct lk_pipeline *pipe;
  const struct lk_api_config *cfg;
};

/* Fill routes[0..max) with an adapter's routes; returns how many (0 when
 * max is too small). Route ctx pointers point at api, which must outlive
 * the server. */
size_t lk_api_deepstack_routes(struct lk_api *api, struct lk_http_route *out,
                               size_t max);
/* DeepStack's error body, {"success":false,"error":message,"duration":0},
 * for lk_http_config.on_error: the layer answers unknown paths (404) with
 * the server's on_error, as no route is there to name one. */
lk_err lk_api_deepstack_error(struct lk_http_req *req,
                              struct lk_http_resp *resp, int status,
                              const char *message, void *ctx);

/* The seed face-sample API (docs/api-seed.md): /face, /face/match,
 * /face/detect, /face/update, /face/delete and the /faces/sync feed for
 * offline clients. */
size_t lk_api_seed_routes(struct lk_api *api, struct lk_http_route *out,
                          size_t max);
/* Its error body, {"error_type":N,"error_message":message}, for
 * lk_http_config.on_error. */
lk_err lk_api_seed_error(struct lk_http_req *req, struct lk_http_resp *resp,
                         int status, const char *message, void *ctx);

/* CompreFace's REST API (docs/api-compreface.md): the recognition service
 * (/api/v1/recognition: subjects, faces, recognize, verify, embeddings),
 * /api/v1/detection/detect, /api/v1/verification/verify and the static
 * image links. */
size_t lk_api_compreface_routes(struct lk_api *api, struct lk_http_route *out,
                                size_t max);
/* Its error body, {"message":message,"code":0}, for lk_http_config.on_error
 * (the layer's own answers: unknown paths, bad bodies, 413, 503). */
lk_err lk_api_compreface_error(struct lk_http_req *req,
                               struct lk_http_resp *resp, int status,
                               const char *message, void *ctx);

/* likeness's own REST API (docs/api-native.md): people, faces, recognize,
 * detect, compare and status under /api/v1, its OpenAPI document at
 * /openapi.json and a page reading it at /docs. */
size_t lk_api_native_routes(struct lk_api *api, struct lk_http_route *out,
                            size_t max);
/* Its error body, {"error":{"code":"not_found","message":...}}, for
 * lk_http_config.on_error. */
lk_err lk_api_native_error(struct lk_http_req *req, struct lk_http_resp *resp,
                           int status, const char *message, void *ctx);

/* Facebox's API (machinebox; docs/api-facebox.md): /facebox/check, teach,
 * rename, similar(s), faceprint, state, and /info. */
size_t lk_api_facebox_routes(struct lk_api *api, struct lk_http_route *out,
                             size_t max);
/* Its error body, {"success":false,"error":message}, for
 * lk_http_config.on_error. */
lk_err lk_api_facebox_error(struct lk_http_req *req,
                            struct lk_http_resp *resp, int status,
                            const char *message, void *ctx);

/* ---- helpers shared by the adapters (api_common.c) ---------------------
 * Small pieces every wire format needs the same way; nothing here knows
 * an API's field names or error strings. */

/* One row of an adapter's route table; lk_api_routes copies a table into
 * the server's routes, each with the adapter's ctx and error shape. */
struct lk_api_route {
  const char *method;
  const char *pattern;
  lk_http_handler handler;
  unsigned flags;           /* LK_HTTP_HEAVY for routes that run inference */
};
/* n routes of table t into out[0..max), ctx api; 0 when max < n. */
size_t lk_api_routes(const struct lk_api_route *t, size_t n,
                     struct lk_api *api, lk_http_error_fn on_error,
                     struct lk_http_route *out, size_t max);

/* One row of an adapter's lk_err -> status + message table. The table
 * ends with a row for LK_ERR_LAST, which answers every code not listed. */
struct lk_api_error {
  lk_err err;
  int status;
  const char *message;
};
const struct lk_api_error *lk_api_error_find(const struct lk_api_error *t,
                                             lk_err err);

/* The first file part (one with a filename) named name, or of any name
 * when name is NULL; NULL when there is none. A plain field of that name
 * is not a file, as for Go's FormFile and Flask's request.files. */
const struct lk_http_part *lk_api_file(const struct lk_http_req *req,
                                       const char *name);
/* Every file part, any name, in body order; *files lives in the request
 * arena (NULL when *n is 0). */
lk_err lk_api_files(struct lk_http_req *req,
                    const struct lk_http_part ***files, size_t *n);

/* Whether a presented key (len bytes, NULs included) equals want, in time
 * that depends only on want's length. given NULL never matches. */
int lk_api_key_equal(const void *given, size_t len, const char *want);

/* A whole string as a number, as Go's strconv.ParseFloat reads one
 * (decimal, exponent, hex, "inf"); no spaces, no trailing text, no NaN. */
lk_err lk_api_number(const char *s, double *out);

/* A box in whole pixels (rounded), clamped to the width x height image:
 * SSD boxes may reach past the right and bottom edges. */
struct lk_api_box {
  int x_min, y_min, x_max, y_max;
};
void lk_api_box_round(const struct lk_box *b, int width, int height,
                      struct lk_api_box *out);

/* f as the double that its 9-digit decimal form reads as, so that JSON
 * carries 0.0512345654 rather than the float's 17-digit double; read back
 * as a float it is f again. For descriptors. */
double lk_api_float(float f);

/* x rounded to 6 decimals, so a float confidence prints as 0.912345 in
 * JSON rather than as its 17-digit double. */
double lk_api_fraction(double x);

/* A request field wherever the client put it: a form field (urlencoded or
 * multipart, not a file), else a JSON object body's member (a string as
 * it is, anything else as compact JSON: true, 5, {"a":1}), else the query
 * string. NULL when absent (or JSON null). Clients mix them: Double Take
 * sends Facebox's name and id in the query beside a multipart file. */
const char *lk_api_field(struct lk_http_req *req, const char *name);

/* Adds item to o under key; frees o (and item) and gives NULL on failure,
 * so a builder can chain calls and check once at the end. */
cJSON *lk_api_json_add(cJSON *o, const char *key, cJSON *item);
/* The same for appending item to array a. */
cJSON *lk_api_json_push(cJSON *a, cJSON *item);

/* Base64 (RFC 4648), for images and descriptors sent as text. encode
 * writes LK_API_BASE64_LEN(n) bytes to out, the last a NUL, and returns
 * the length without it. decode reads the standard and the URL-safe
 * alphabets, padding optional, ASCII white space skipped (MIME-wrapped
 * text); out needs LK_API_BASE64_MAX(len) bytes. LK_ERR_INVAL for any
 * other character, misplaced padding or a dangling 6-bit group. */
#define LK_API_BASE64_LEN(n) (((n) + 2) / 3 * 4 + 1)
#define LK_API_BASE64_MAX(len) ((len) / 4 * 3 + 3)
size_t lk_api_base64_encode(const void *data, size_t n, char *out);
lk_err lk_api_base64_decode(const char *s, size_t len, unsigned char *out,
                            size_t *n);
/* lk_api_base64_decode into memory from arena (LK_ERR_NOMEM past its
 * ceiling). */
lk_err lk_api_base64(const char *s, size_t len, struct lk_arena *arena,
                     unsigned char **out, size_t *n);

#endif
