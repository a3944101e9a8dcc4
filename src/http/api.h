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
  /* The seed API's image_url downloads: untrusted URLs, so behind the
   * fetch layer's SSRF guard. NULL: lk_fetch_default_policy(). */
  const struct lk_fetch_policy *fetch;
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

/* ---- helpers shared by the adapters (api_common.c) ---------------------
 * Small pieces every wire format needs the same way; nothing here knows
 * an API's field names or error strings. */

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

/* Base64 text (len bytes; the standard or the URL-safe alphabet, RFC 4648
 * sections 4 and 5) decoded into the arena. White space is skipped; '='
 * padding is optional but only at the end. LK_ERR_INVAL for anything
 * else, LK_ERR_NOMEM past the arena's ceiling. */
lk_err lk_api_base64(const char *s, size_t len, struct lk_arena *arena,
                     unsigned char **out, size_t *n);

/* f as the double that its 9-digit decimal form reads as, so that JSON
 * carries 0.0512345654 rather than the float's 17-digit double; read back
 * as a float it is f again. For descriptors. */
double lk_api_float(float f);

/* x rounded to 6 decimals, so a float confidence prints as 0.912345 in
 * JSON rather than as its 17-digit double. */
double lk_api_fraction(double x);

#endif
