/* http_int.h - shared by the files of src/http only. */
#ifndef LK_HTTP_INT_H
#define LK_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "base/log.h"
#include "http.h"

/* Bulk bytes of a request (part data, raw bodies): lk_malloc'd blocks, each
 * item contiguous, NUL-terminated, and never moved once closed. They are
 * kept out of lk_arena, which makes every new block twice the last: one
 * 5 MB upload followed by a 40-byte allocation would cost 15 MB. */
struct lk_http_blk;
struct lk_http_bulk {
  struct lk_http_blk *head;  /* the block being filled */
  size_t item;               /* offset of the open item in head */
  int open;
  size_t live;               /* bytes in blocks, the ceiling's measure */
  size_t ceiling;
  size_t hint;               /* first block size; 0: start at 64 KiB */
};

void lk_http_bulk_init(struct lk_http_bulk *b, size_t ceiling, size_t hint);
void lk_http_bulk_clear(struct lk_http_bulk *b);
void lk_http_bulk_open(struct lk_http_bulk *b);
/* LK_ERR_TOO_LARGE past the ceiling, LK_ERR_NOMEM when malloc fails. */
lk_err lk_http_bulk_put(struct lk_http_bulk *b, const void *data, size_t n);
size_t lk_http_bulk_open_size(const struct lk_http_bulk *b);
lk_err lk_http_bulk_close(struct lk_http_bulk *b, const unsigned char **data,
                          size_t *size);

struct lk_http_hdr {
  struct lk_http_hdr *next;
  const char *name;
  const char *value;
};

struct lk_http_resp {
  struct lk_http_req *req;
  int status;                /* 0: not set */
  unsigned char *body;       /* lk_malloc'd, freed with the request */
  size_t size;
  const char *type;
  struct lk_http_hdr *headers;
  int in_error;              /* inside an on_error callback */
};

struct lk_http_partnode {
  struct lk_http_partnode *next;
  struct lk_http_part part;
};

enum lk_http_phase {
  LK_HTTP_PHASE_NEW = 0,     /* URI seen, headers not yet */
  LK_HTTP_PHASE_BODY,        /* routed, reading the body */
  LK_HTTP_PHASE_DONE,        /* response queued */
};

struct lk_http_req {
  struct lk_http_server *srv;
  struct MHD_Connection *conn;
  struct lk_arena *arena;
  struct timespec t0;
  enum lk_http_phase phase;
  const char *method;
  const char *path;          /* decoded */
  char **segs;               /* decoded path segments, trailing "" dropped */
  size_t n_segs;
  struct lk_http_kv *query;
  size_t n_query;
  struct lk_http_kv *params;
  size_t n_params;
  const struct lk_http_route *route;
  const char *allow;         /* Allow header for 405 and OPTIONS */
  int options;               /* OPTIONS answered by the layer */
  int heavy;                 /* holds a heavy slot */
  int has_body;              /* Content-Length > 0 or chunked */
  int body_begun;
  /* body */
  size_t max_body;
  unsigned max_parts;
  enum lk_http_body kind;
  const char *content_type;
  struct MHD_PostProcessor *pp;
  struct lk_http_bulk bulk;
  struct lk_http_partnode *part_head;
  struct lk_http_partnode *part_tail;
  size_t n_parts;
  struct lk_http_part *parts;   /* array built when the body ends */
  const unsigned char *body;
  size_t body_size;
  cJSON *json;
  uint64_t received;
  int fail_status;           /* first error found in the body, 0: none */
  const char *fail_msg;
  struct lk_http_resp resp;
};

struct lk_http_server {
  struct lk_http_config cfg;    /* strings point at the copies below */
  char *bind;
  char *cors_origin;
  struct lk_http_route *routes; /* copied, with copied strings */
  size_t n_routes;
  struct MHD_Daemon *mhd;
  unsigned port;
  pthread_mutex_t mu;
  pthread_cond_t drain_cv;      /* in_flight or handlers dropped */
  pthread_cond_t gate_cv;       /* a heavy slot freed, or stopping */
  unsigned in_flight;           /* requests between URI and completion */
  unsigned handlers;            /* handlers running now */
  unsigned heavy_running;
  unsigned heavy_waiting;
  int stopping;                 /* drain deadline passed (under mu) */
  atomic_int draining;          /* stop began: new requests get 503 */
};

/* request.c */
struct lk_http_req *lk_http_req_create(struct lk_http_server *srv,
                                       struct MHD_Connection *conn,
                                       const char *uri, size_t arena_bytes);
void lk_http_req_destroy(struct lk_http_req *req);
void lk_http_req_fail(struct lk_http_req *req, int status, const char *msg);

/* body.c: content_length is -1 when unknown (chunked). The first failure is
 * recorded with lk_http_req_fail; later data is then ignored. */
void lk_http_body_begin(struct lk_http_req *req, const char *content_type,
                        int64_t content_length);
void lk_http_body_feed(struct lk_http_req *req, const char *data, size_t n);
void lk_http_body_end(struct lk_http_req *req);

/* route.c */
lk_err lk_http_pattern_check(const char *pattern, char *why);
/* The route for method and req's path, setting req->params; NULL with
 * *status 404 (no path matches) or 405 (path matches, method does not). */
const struct lk_http_route *lk_http_route_find(struct lk_http_req *req,
                                               const struct lk_http_route *r,
                                               size_t n, const char *method,
                                               int *status);
/* "GET, HEAD, POST, OPTIONS" for the methods routed at req's path, in the
 * arena; NULL when no route matches the path. */
const char *lk_http_route_allow(struct lk_http_req *req,
                                const struct lk_http_route *r, size_t n);

/* response.c */
void lk_http_resp_clear(struct lk_http_resp *resp);
/* Error body from fn, falling back to the default shape. */
void lk_http_resp_error_with(struct lk_http_resp *resp, lk_http_error_fn fn,
                             void *ctx, int status, const char *message);

/* dispatch.c: the access handler's three steps. */
enum MHD_Result lk_http_on_headers(struct lk_http_req *req,
                                   const char *method);
enum MHD_Result lk_http_on_body(struct lk_http_req *req, const char *data,
                                size_t *size);
enum MHD_Result lk_http_on_complete(struct lk_http_req *req);
/* The error formatter for req (its route's, else the server's). */
void lk_http_server_error_fn(const struct lk_http_req *req,
                             lk_http_error_fn *fn, void **ctx);
/* An absolute CLOCK_MONOTONIC time ms from now. */
void lk_http_deadline(struct timespec *ts, unsigned ms);

#endif
