/* dispatch.c - one request from headers to queued response: routing, body
 * set-up and limits, the heavy-route admission gate, the handler call,
 * CORS, and handing the response to libmicrohttpd.
 *
 * libmicrohttpd 0.9.75 lets a response be queued only before the body is
 * read or after all of it was (connection.c refuses one in between). So a
 * Content-Length over the limit is answered 413 at once, and libmicrohttpd
 * closes the connection; a chunked body that passes the limit is no longer
 * stored, the rest is read and dropped, and 413 follows its last chunk. A
 * client still sending at twice the limit is disconnected. */
#include "http_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void lk_http_deadline(struct timespec *ts, unsigned ms)
{
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if(ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

void lk_http_server_error_fn(const struct lk_http_req *req,
                             lk_http_error_fn *fn, void **ctx)
{
  const struct lk_http_route *r = req->route;
  if(r && r->on_error) {
    *fn = r->on_error;
    *ctx = r->ctx;
  } else {
    *fn = req->srv ? req->srv->cfg.on_error : NULL;
    *ctx = req->srv ? req->srv->cfg.error_ctx : NULL;
  }
}

/* Admission for heavy routes: NULL, or why the answer is 503. Waiters
 * hold their connection's thread, which is why max_connections must exceed
 * heavy_max + heavy_queue (checked at create). */
static const char *lk_http_gate_enter(struct lk_http_server *srv)
{
  const struct lk_http_config *c = &srv->cfg;
  const char *busy = NULL;
  struct timespec deadline;
  int rc = 0;
  if(!c->heavy_max)
    return NULL;
  lk_http_deadline(&deadline, c->heavy_wait_ms);
  pthread_mutex_lock(&srv->mu);
  if(srv->stopping)
    busy = "server is shutting down";
  else if(srv->heavy_running < c->heavy_max && !srv->heavy_waiting)
    srv->heavy_running++;
  else if(srv->heavy_waiting >= c->heavy_queue)
    busy = "server busy: the queue is full, retry later";
  else {
    srv->heavy_waiting++;
    while(srv->heavy_running >= c->heavy_max && !srv->stopping &&
          rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&srv->gate_cv, &srv->mu, &deadline);
    srv->heavy_waiting--;
    if(srv->heavy_running < c->heavy_max && !srv->stopping)
      srv->heavy_running++;
    else
      busy = srv->stopping ? "server is shutting down"
                           : "server busy: no free slot in time, retry later";
  }
  pthread_mutex_unlock(&srv->mu);
  return busy;
}

static void lk_http_gate_leave(struct lk_http_server *srv)
{
  pthread_mutex_lock(&srv->mu);
  srv->heavy_running--;
  /* broadcast: a waiter that just timed out must not swallow the wake-up */
  pthread_cond_broadcast(&srv->gate_cv);
  pthread_mutex_unlock(&srv->mu);
}

/* Counts running handlers, which stop must wait for (see server.c). */
static void lk_http_handlers_add(struct lk_http_server *srv, int d)
{
  pthread_mutex_lock(&srv->mu);
  srv->handlers = (unsigned)((int)srv->handlers + d);
  pthread_cond_broadcast(&srv->drain_cv);
  pthread_mutex_unlock(&srv->mu);
}

static void lk_http_add(struct MHD_Response *r, const char *name,
                        const char *value)
{
  if(MHD_add_response_header(r, name, value) != MHD_YES)
    lk_log(LK_LOG_WARN, "http", "libmicrohttpd refused header %s", name);
}

static void lk_http_cors(struct lk_http_req *req, struct MHD_Response *r)
{
  const char *allowed = req->srv->cfg.cors_origin;
  const char *origin = lk_http_req_header(req, "Origin");
  const char *want;
  if(!allowed)
    return;
  if(strcmp(allowed, "*")) {
    lk_http_add(r, "Vary", "Origin");
    if(!origin || strcmp(origin, allowed))
      return;
  }
  lk_http_add(r, "Access-Control-Allow-Origin", allowed);
  if(!req->options || !lk_http_req_header(req, "Access-Control-Request-Method"))
    return;
  want = lk_http_req_header(req, "Access-Control-Request-Headers");
  lk_http_add(r, "Access-Control-Allow-Methods", req->allow);
  lk_http_add(r, "Access-Control-Allow-Headers",
              want ? want : "Content-Type, Authorization, x-api-key");
  lk_http_add(r, "Access-Control-Max-Age", "600");
}

static enum MHD_Result lk_http_send(struct lk_http_req *req)
{
  struct lk_http_resp *resp = &req->resp;
  struct MHD_Response *r;
  struct lk_http_hdr *h;
  enum MHD_Result ret;
  if(resp->status < 100 || resp->status > 599) {
    lk_log(LK_LOG_ERROR, "http", "%s %s: the handler set status %d",
           req->method, req->path, resp->status);
    resp->headers = NULL;
    lk_http_resp_error(resp, 500, "internal error");
  }
  r = MHD_create_response_from_buffer(resp->size, resp->body,
                                      MHD_RESPMEM_PERSISTENT);
  if(!r)
    return MHD_NO;
  if(resp->type)
    lk_http_add(r, "Content-Type", resp->type);
  for(h = resp->headers; h; h = h->next)
    lk_http_add(r, h->name, h->value);
  lk_http_cors(req, r);
  if(atomic_load(&req->srv->draining))
    lk_http_add(r, "Connection", "close");
  ret = MHD_queue_response(req->conn, (unsigned)resp->status, r);
  MHD_destroy_response(r);
  req->phase = LK_HTTP_PHASE_DONE;
  return ret;
}

static enum MHD_Result lk_http_send_error(struct lk_http_req *req)
{
  struct lk_http_resp *resp = &req->resp;
  lk_http_error_fn fn;
  void *ctx;
  int status = req->fail_status;
  lk_http_server_error_fn(req, &fn, &ctx);
  resp->headers = NULL;
  lk_http_resp_error_with(resp, fn, ctx, status, req->fail_msg);
  if(status == 405 && req->allow)
    lk_http_resp_header(resp, "Allow", req->allow);
  if(status == 503)
    lk_http_resp_header(resp, "Retry-After", "1");
  return lk_http_send(req);
}

/* Errors found before the body: answered now if a body follows (so it is
 * never read), else after the request, which keeps the connection open. */
static enum MHD_Result lk_http_early(struct lk_http_req *req)
{
  if(req->fail_status && req->has_body)
    return lk_http_send_error(req);
  return MHD_YES;
}

static enum MHD_Result lk_http_unrouted(struct lk_http_req *req, int status)
{
  struct lk_http_server *srv = req->srv;
  if(status == 405)
    req->allow = lk_http_route_allow(req, srv->routes, srv->n_routes);
  if(status == 405 && !strcmp(req->method, "OPTIONS"))
    req->options = 1;
  else if(status == 405)
    lk_http_req_fail(req, 405, "method not allowed");
  else if(status == 404)
    lk_http_req_fail(req, 404, "not found");
  else
    lk_http_req_fail(req, 500, "out of memory routing the request");
  return lk_http_early(req);
}

/* -1: no body; -2: no Content-Length (chunked). */
static int64_t lk_http_content_length(struct lk_http_req *req)
{
  const char *te = lk_http_req_header(req, "Transfer-Encoding");
  const char *cl = lk_http_req_header(req, "Content-Length");
  unsigned long long n;
  if(te)
    return -2;
  if(!cl)
    return -1;
  /* libmicrohttpd has already refused a malformed Content-Length */
  n = strtoull(cl, NULL, 10);
  return n > INT64_MAX ? INT64_MAX : (int64_t)n;
}

enum MHD_Result lk_http_on_headers(struct lk_http_req *req,
                                   const char *method)
{
  struct lk_http_server *srv = req->srv;
  int status = 0;
  int64_t len;
  req->method = lk_arena_strdup(req->arena, method);
  if(!req->method)
    return MHD_NO;
  req->max_body = srv->cfg.max_body;
  req->max_parts = srv->cfg.max_parts;
  req->phase = LK_HTTP_PHASE_BODY;
  len = lk_http_content_length(req);
  req->has_body = len > 0 || len == -2;
  if(atomic_load(&srv->draining)) {
    lk_http_req_fail(req, 503, "server is shutting down");
    return lk_http_early(req);
  }
  req->route = lk_http_route_find(req, srv->routes, srv->n_routes, method,
                                  &status);
  if(!req->route)
    return lk_http_unrouted(req, status);
  if(len > (int64_t)req->max_body) {
    lk_http_req_fail(req, 413, "request body too large");
    return lk_http_early(req);
  }
  if(req->has_body) {
    req->body_begun = 1;
    lk_http_body_begin(req, lk_http_req_header(req, "Content-Type"),
                       len == -2 ? -1 : len);
  }
  return lk_http_early(req);
}

enum MHD_Result lk_http_on_body(struct lk_http_req *req, const char *data,
                                size_t *size)
{
  if(req->body_begun)
    lk_http_body_feed(req, data, *size);
  else
    req->received += *size;
  *size = 0;
  if(req->fail_status && req->received / 2 > req->max_body) {
    lk_log(LK_LOG_WARN, "http", "%s %s: still sending past twice the body "
           "limit, disconnecting", req->method, req->path);
    return MHD_NO;
  }
  return MHD_YES;
}

static enum MHD_Result lk_http_options(struct lk_http_req *req)
{
  lk_http_resp_status(&req->resp, 204);
  if(req->allow)
    lk_http_resp_header(&req->resp, "Allow", req->allow);
  return lk_http_send(req);
}

static enum MHD_Result lk_http_run(struct lk_http_req *req)
{
  const struct lk_http_route *r = req->route;
  struct lk_http_resp *resp = &req->resp;
  const char *busy = NULL;
  lk_err err;
  int status;
  if(r->flags & LK_HTTP_HEAVY)
    busy = lk_http_gate_enter(req->srv);
  if(busy) {
    lk_http_req_fail(req, 503, busy);
    return lk_http_send_error(req);
  }
  req->heavy = (r->flags & LK_HTTP_HEAVY) && req->srv->cfg.heavy_max;
  lk_http_handlers_add(req->srv, 1);
  err = r->handler(req, resp, r->ctx);
  lk_http_handlers_add(req->srv, -1);
  if(req->heavy)
    lk_http_gate_leave(req->srv);
  req->heavy = 0;
  if(err && resp->status)
    lk_log(LK_LOG_DEBUG, "http", "%s %s: %s (response already set)",
           req->method, req->path, lk_strerror(err));
  if(resp->status)
    return lk_http_send(req);
  if(!err) {
    lk_http_resp_status(resp, 204);
    return lk_http_send(req);
  }
  status = lk_http_status_for(err);
  lk_http_resp_error(resp, status, lk_strerror(err));
  if(status == 503)
    lk_http_resp_header(resp, "Retry-After", "1");
  return lk_http_send(req);
}

enum MHD_Result lk_http_on_complete(struct lk_http_req *req)
{
  if(req->body_begun)
    lk_http_body_end(req);
  if(req->fail_status)
    return lk_http_send_error(req);
  if(req->options)
    return lk_http_options(req);
  return lk_http_run(req);
}
