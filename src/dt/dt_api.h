/* dt_api.h - Double Take's REST API (compat-apis.md §1.5) on likeness's
 * HTTP layer, under <ui.path>/api: recognize (a URL, a Frigate event,
 * uploads), the camera webhooks and their annotated latest images, the
 * kept matches (list, filters, delete, reprocess), stored images, training
 * folders, the config and the status. Its clients are Double Take's web
 * UI, Home Assistant automations (image URLs in MQTT payloads) and
 * scripts written against Double Take. docs/dt-api.md has every route.
 *
 * Errors are Double Take's: {"error":"<message>"} with 400/404/500, and
 * 422 {"errors":[{"location":..,"key":..,"error":..}]} for a request that
 * fails validation.
 *
 * Threads: handlers run on the HTTP threads; everything they reach (the
 * service, the stores, the pipeline) is thread safe.
 *
 *   struct lk_dt_api api = { &cfg, svc, matches, train, pipe, &policy };
 *   n = lk_dt_api_routes(&api, arena, routes, max);
 */
#ifndef LK_DT_API_H
#define LK_DT_API_H

#include <stddef.h>

#include "base/mem.h"
#include "http/http.h"

struct lk_dt_config;
struct lk_dt_service;
struct lk_dt_matches;
struct lk_dt_train;
struct lk_pipeline;
struct lk_fetch_policy;

struct lk_dt_api {
  const struct lk_dt_config *cfg;
  struct lk_dt_service *svc;          /* recognize, camera webhooks */
  struct lk_dt_matches *matches;      /* /match, /storage/{matches,latest} */
  struct lk_dt_train *train;          /* /train, /filesystem, /storage/train */
  struct lk_pipeline *pipe;           /* the built-in detector's gallery */
  /* URLs sent by clients (GET /recognize?url=, /train/add {urls}) are
   * untrusted and fetched behind this guard; camera and Frigate URLs come
   * from the config and are trusted. NULL: lk_fetch_default_policy(). */
  const struct lk_fetch_policy *fetch;
};

/* Every route, prefixed with cfg->ui.path ("" or "/base"); patterns are
 * built in arena, which must outlive the server. Returns how many (0 when
 * max is too small or arena is out of memory). */
size_t lk_dt_api_routes(struct lk_dt_api *api, struct lk_arena *arena,
                        struct lk_http_route *out, size_t max);

/* Double Take's error body {"error":message}, for lk_http_config.on_error
 * (unknown paths under /api: "<url> not found", as Double Take words it). */
lk_err lk_dt_api_error(struct lk_http_req *req, struct lk_http_resp *resp,
                       int status, const char *message, void *ctx);

#endif
