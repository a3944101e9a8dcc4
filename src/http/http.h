/* http.h - the HTTP server every API adapter sits on: libmicrohttpd with a
 * route table, request bodies parsed by content type (multipart, urlencoded
 * forms, JSON, raw), cJSON responses, a size ceiling on everything and a
 * bounded admission gate for heavy (inference) routes. docs/http.md has
 * the design.
 *
 * Threads: handlers run concurrently, each on its connection's
 * libmicrohttpd thread; a request, its response and its arena belong to
 * that thread. lk_http_server_* calls are made by one controlling thread.
 *
 *   static lk_err hello(struct lk_http_req *req, struct lk_http_resp *resp,
 *                       void *ctx)
 *   {
 *     cJSON *o = cJSON_CreateObject();
 *     cJSON_AddStringToObject(o, "id", lk_http_req_param(req, "id"));
 *     return lk_http_resp_json(resp, 200, o);        takes o, even on error
 *   }
 *   struct lk_http_route routes[] = {
 *     { "GET", "/faces/{id}", hello, NULL, 0, NULL },
 *   };
 *   struct lk_http_config cfg = lk_http_config_default();
 *   err = lk_http_server_create(&srv, &cfg, routes, 1);
 *   err = lk_http_server_start(srv, why);            why: "port 5000 ..."
 *   ...
 *   lk_http_server_stop(srv, 5000);                  drain for up to 5 s
 *   lk_http_server_destroy(srv);
 */
#ifndef LK_HTTP_H
#define LK_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/mem.h"

#define LK_HTTP_ERRMAX 256

struct lk_http_server;
struct lk_http_req;    /* valid only during the handler call */
struct lk_http_resp;

typedef lk_err (*lk_http_handler)(struct lk_http_req *req,
                                  struct lk_http_resp *resp, void *ctx);

/* Builds the body of an error the layer answers itself (404, 405, 400 for a
 * malformed body, 413, 503) in an API's own shape. It must set resp (e.g.
 * with lk_http_resp_json); if it fails the default body is used:
 * {"success":false,"error":message}. */
typedef lk_err (*lk_http_error_fn)(struct lk_http_req *req,
                                   struct lk_http_resp *resp, int status,
                                   const char *message, void *ctx);

/* Route flags. */
#define LK_HTTP_HEAVY 1u        /* goes through the admission gate */
#define LK_HTTP_QUIET_PATH 2u   /* log the pattern, not the path (secrets
                                   in paths, like CompreFace's static key) */

struct lk_http_route {
  const char *method;         /* "GET", "POST", ... (exact, upper case) */
  /* Segments are literals or hold one {name}, optionally with a literal
   * prefix/suffix: "/faces/{image_id}/img", "/latest/{name}.jpg". A
   * {name} matches one non-empty segment, percent-decoded. A trailing
   * slash is ignored on both sides. */
  const char *pattern;
  lk_http_handler handler;
  void *ctx;                  /* given to handler and on_error */
  unsigned flags;             /* LK_HTTP_HEAVY | LK_HTTP_QUIET_PATH */
  lk_http_error_fn on_error;  /* NULL: the server's */
};

struct lk_http_config {
  const char *bind;         /* "0.0.0.0"; an IPv6 address, "::" dual stack */
  unsigned port;            /* 5000; 0 picks a free one (see _port) */
  /* One libmicrohttpd thread per connection (docs/http.md says why not a
   * pool), so this also caps threads; it must exceed heavy_max +
   * heavy_queue, leaving connections for light routes and 503 answers.
   * Each connection may hold a body: memory is bounded by this times
   * about 2 * max_body. */
  unsigned max_connections; /* 64 */
  size_t max_body;          /* 20 MiB; larger bodies get 413 */
  size_t max_header;        /* 32 KiB for the request line and headers
                               (libmicrohttpd answers 431 or 414) */
  unsigned max_parts;       /* 256 form fields and files per request */
  unsigned timeout_s;       /* 30: idle connections are closed */
  unsigned heavy_max;       /* 2 heavy handlers at once; 0: no gate */
  unsigned heavy_queue;     /* 8 waiting for a slot; more get 503 */
  unsigned heavy_wait_ms;   /* 30000: a waiting request gives up (503) */
  size_t arena_bytes;       /* 64 MiB ceiling of lk_http_req_arena */
  const char *cors_origin;  /* NULL: no CORS; "*" or one origin */
  lk_http_error_fn on_error; /* NULL: {"success":false,"error":...} */
  void *error_ctx;
};

struct lk_http_config lk_http_config_default(void);

/* Checks the config and the patterns and copies both; starts nothing. */
lk_err lk_http_server_create(struct lk_http_server **out,
                             const struct lk_http_config *cfg,
                             const struct lk_http_route *routes,
                             size_t n_routes);
/* Binds and starts serving. LK_ERR_IO when the address cannot be bound
 * (port taken: why says so), LK_ERR_INVAL for a bad bind address. why may
 * be NULL, else LK_HTTP_ERRMAX bytes. */
lk_err lk_http_server_start(struct lk_http_server *srv, char *why);
unsigned lk_http_server_port(const struct lk_http_server *srv);
/* Stops accepting, answers 503 (Connection: close) to new requests on open
 * connections, waits up to drain_ms for requests in flight, then closes
 * everything. At the deadline, requests still waiting for a heavy slot get
 * 503 (with up to 200 ms to send it); a handler already running is waited
 * for, as it cannot be abandoned; uploads still arriving are cut off.
 * LK_ERR_BUSY when the deadline passed with requests in flight. Safe to
 * call twice; the server can be started again. */
lk_err lk_http_server_stop(struct lk_http_server *srv, unsigned drain_ms);
void lk_http_server_destroy(struct lk_http_server *srv);  /* stops; NULL ok */

/* Request. Strings are NUL-terminated and live until the request ends. */
enum lk_http_body {
  LK_HTTP_BODY_NONE = 0,    /* no body bytes */
  LK_HTTP_BODY_RAW,         /* any other content type: _body() */
  LK_HTTP_BODY_FORM,        /* application/x-www-form-urlencoded: parts */
  LK_HTTP_BODY_MULTIPART,   /* multipart/form-data: parts */
  LK_HTTP_BODY_JSON,        /* application/json, *+json: _json(), _body() */
};

struct lk_http_kv {
  const char *key;
  const char *value;        /* "" for "?flag" */
};

struct lk_http_part {
  const char *name;         /* form field name */
  const char *filename;     /* NULL for plain fields */
  const char *content_type; /* NULL when the part has none */
  const unsigned char *data;/* NUL-terminated (not counted in size) */
  size_t size;
};

const char *lk_http_req_method(const struct lk_http_req *req);
const char *lk_http_req_path(const struct lk_http_req *req);  /* decoded */
/* {name} from the route pattern; NULL if the pattern has none. */
const char *lk_http_req_param(const struct lk_http_req *req, const char *name);
/* First value of a query key ("" for a bare key); NULL if absent. */
const char *lk_http_req_query(const struct lk_http_req *req, const char *key);
/* All query pairs in order, repeated keys included. */
size_t lk_http_req_queries(const struct lk_http_req *req,
                           const struct lk_http_kv **kv);
/* Case-insensitive; NULL if absent. */
const char *lk_http_req_header(const struct lk_http_req *req,
                               const char *name);
/* HTTP Basic credentials; LK_ERR_NOT_FOUND when there are none. */
lk_err lk_http_req_basic_auth(struct lk_http_req *req, const char **user,
                              const char **password);
enum lk_http_body lk_http_req_body_kind(const struct lk_http_req *req);
const char *lk_http_req_content_type(const struct lk_http_req *req);
/* Raw body for RAW and JSON bodies (NULL and 0 otherwise). */
const unsigned char *lk_http_req_body(const struct lk_http_req *req,
                                      size_t *size);
/* Parsed JSON body, owned by the request; NULL unless JSON. */
const cJSON *lk_http_req_json(const struct lk_http_req *req);
/* Form fields and files (urlencoded or multipart), in body order. */
size_t lk_http_req_parts(const struct lk_http_req *req,
                         const struct lk_http_part **parts);
/* First part with that name; NULL if none. */
const struct lk_http_part *lk_http_req_part(const struct lk_http_req *req,
                                            const char *name);
/* The first part's bytes as a string; NULL if absent. */
const char *lk_http_req_form(const struct lk_http_req *req, const char *name);
/* Scratch memory freed when the request ends (ceiling: arena_bytes). */
struct lk_arena *lk_http_req_arena(struct lk_http_req *req);

/* Response. Each setter replaces the body set before. */
/* Serialises json (compact) and frees it, also on failure; a NULL json
 * (a failed cJSON_Create*) gives LK_ERR_NOMEM, so handlers can return the
 * call directly. */
lk_err lk_http_resp_json(struct lk_http_resp *resp, int status, cJSON *json);
/* Copies data; type like "image/jpeg". */
lk_err lk_http_resp_bytes(struct lk_http_resp *resp, int status,
                          const char *type, const void *data, size_t size);
/* Status with an empty body (204, or 200 with headers only). */
void lk_http_resp_status(struct lk_http_resp *resp, int status);
/* Adds a header (Retry-After, WWW-Authenticate, Location, ...); copied. */
lk_err lk_http_resp_header(struct lk_http_resp *resp, const char *name,
                           const char *value);
/* An error body in the route's shape (its on_error, else the server's). */
lk_err lk_http_resp_error(struct lk_http_resp *resp, int status,
                          const char *message);

/* Status for an lk_err a handler returns without setting a response:
 * INVAL, IMAGE, NO_FACE 400; DENIED 403; NOT_FOUND 404; TOO_LARGE 413;
 * UNSUPPORTED 415; BUSY 503; others 500. */
int lk_http_status_for(lk_err err);

#endif
