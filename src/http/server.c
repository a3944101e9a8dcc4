/* server.c - the server's life: config, the listening socket, the
 * libmicrohttpd daemon and its callbacks, the request log, and draining.
 *
 * libmicrohttpd runs a thread per connection, not a worker pool: handlers
 * block (inference, or waiting for a heavy slot), and a pooled epoll
 * worker accepts up to 10 connections in a row (daemon.c, MHD_epoll), all
 * of which would then wait behind the one that blocks, 503s included.
 *
 * We bind the socket ourselves and hand it to libmicrohttpd: bind(2)'s
 * errno gives a clear "port taken" message, and port 0 can be read back.
 * Requests are counted from the URI callback (the first moment
 * libmicrohttpd knows of one) to the completion callback, which
 * libmicrohttpd always calls once the URI callback has run; that count is
 * what lk_http_server_stop waits on. */
#include "http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct lk_http_config lk_http_config_default(void)
{
  struct lk_http_config c;
  memset(&c, 0, sizeof c);
  c.bind = "0.0.0.0";
  c.port = 5000;
  c.max_connections = 64;
  c.max_body = (size_t)20 << 20;
  c.max_header = (size_t)32 << 10;
  c.max_parts = 256;
  c.timeout_s = 30;
  c.heavy_max = 2;
  c.heavy_queue = 8;
  c.heavy_wait_ms = 30000;
  c.arena_bytes = (size_t)64 << 20;
  return c;
}

static lk_err lk_http_config_check(const struct lk_http_config *c)
{
  unsigned gate = c->heavy_max ? c->heavy_max + c->heavy_queue : 0;
  if(!c->max_body || c->max_body > SIZE_MAX / 4 || !c->max_parts ||
     !c->arena_bytes || c->max_header < 4096 || c->port > 65535) {
    lk_log(LK_LOG_ERROR, "http", "invalid limits: max_body %zu, max_parts "
           "%u, arena_bytes %zu, max_header %zu (>= 4096), port %u",
           c->max_body, c->max_parts, c->arena_bytes, c->max_header, c->port);
    return LK_ERR_INVAL;
  }
  if(c->max_connections <= gate) {
    /* each running or waiting heavy request holds a connection's thread;
     * light routes and the 503 answers need connections of their own */
    lk_log(LK_LOG_ERROR, "http", "max_connections (%u) must exceed "
           "heavy_max + heavy_queue (%u)", c->max_connections, gate);
    return LK_ERR_INVAL;
  }
  return LK_OK;
}

static lk_err lk_http_routes_copy(struct lk_http_server *srv,
                                  const struct lk_http_route *routes,
                                  size_t n)
{
  char why[LK_HTTP_ERRMAX];
  size_t i;
  srv->routes = n ? lk_calloc(n, sizeof *srv->routes) : NULL;
  if(n && !srv->routes)
    return LK_ERR_NOMEM;
  srv->n_routes = n;
  for(i = 0; i < n; i++) {
    struct lk_http_route *r = &srv->routes[i];
    if(!routes[i].method || !routes[i].method[0] || !routes[i].handler ||
       lk_http_pattern_check(routes[i].pattern, why)) {
      lk_log(LK_LOG_ERROR, "http", "route %zu (%s %s): %s", i,
             routes[i].method ? routes[i].method : "(null)",
             routes[i].pattern ? routes[i].pattern : "(null)",
             routes[i].handler ? why : "no handler");
      return LK_ERR_INVAL;
    }
    *r = routes[i];
    r->method = lk_strdup(routes[i].method);
    r->pattern = lk_strdup(routes[i].pattern);
    if(!r->method || !r->pattern)
      return LK_ERR_NOMEM;
  }
  return LK_OK;
}

static lk_err lk_http_sync_init(struct lk_http_server *srv)
{
  pthread_condattr_t attr;
  int ok;
  if(pthread_condattr_init(&attr))
    return LK_ERR_NOMEM;
  /* deadlines must not move with the wall clock */
  ok = !pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) &&
       !pthread_cond_init(&srv->drain_cv, &attr);
  ok = ok && !pthread_cond_init(&srv->gate_cv, &attr);
  pthread_condattr_destroy(&attr);
  return ok ? LK_OK : LK_ERR_NOMEM;
}

lk_err lk_http_server_create(struct lk_http_server **out,
                             const struct lk_http_config *cfg,
                             const struct lk_http_route *routes,
                             size_t n_routes)
{
  struct lk_http_server *srv;
  lk_err err;
  *out = NULL;
  if(!cfg || (n_routes && !routes))
    return LK_ERR_INVAL;
  srv = lk_calloc(1, sizeof *srv);
  if(!srv)
    return LK_ERR_NOMEM;
  pthread_mutex_init(&srv->mu, NULL);
  srv->cfg = *cfg;
  err = lk_http_sync_init(srv);
  if(!err)
    err = lk_http_config_check(&srv->cfg);
  if(!err) {
    srv->bind = lk_strdup(cfg->bind ? cfg->bind : "0.0.0.0");
    srv->cors_origin = cfg->cors_origin ? lk_strdup(cfg->cors_origin) : NULL;
    if(!srv->bind || (cfg->cors_origin && !srv->cors_origin))
      err = LK_ERR_NOMEM;
    srv->cfg.bind = srv->bind;
    srv->cfg.cors_origin = srv->cors_origin;
  }
  if(!err)
    err = lk_http_routes_copy(srv, routes, n_routes);
  if(err) {
    lk_http_server_destroy(srv);
    return err;
  }
  *out = srv;
  return LK_OK;
}

/* A listening socket on cfg.bind:cfg.port; -1 with why on failure. */
static int lk_http_listen(struct lk_http_server *srv, lk_err *err, char *why)
{
  union { struct sockaddr sa; struct sockaddr_in v4; struct sockaddr_in6 v6;
          struct sockaddr_storage ss; } a;
  socklen_t len;
  char ebuf[128];
  int fd, one = 1, zero = 0;
  memset(&a, 0, sizeof a);
  if(inet_pton(AF_INET, srv->bind, &a.v4.sin_addr) == 1) {
    a.v4.sin_family = AF_INET;
    a.v4.sin_port = htons((uint16_t)srv->cfg.port);
    len = sizeof a.v4;
  } else if(inet_pton(AF_INET6, srv->bind, &a.v6.sin6_addr) == 1) {
    a.v6.sin6_family = AF_INET6;
    a.v6.sin6_port = htons((uint16_t)srv->cfg.port);
    len = sizeof a.v6;
  } else {
    snprintf(why, LK_HTTP_ERRMAX, "bind address '%s' is not an IPv4 or "
             "IPv6 address", srv->bind);
    *err = LK_ERR_INVAL;
    return -1;
  }
  fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if(fd >= 0) {
    /* restart while old connections sit in TIME_WAIT */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if(a.sa.sa_family == AF_INET6)  /* "::" takes IPv4 too */
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if(fd < 0 || bind(fd, &a.sa, len) || listen(fd, 128) ||
     getsockname(fd, &a.sa, &len)) {
    snprintf(why, LK_HTTP_ERRMAX, "cannot listen on %s port %u: %s",
             srv->bind, srv->cfg.port, strerror_r(errno, ebuf, sizeof ebuf));
    if(fd >= 0)
      close(fd);
    *err = LK_ERR_IO;
    return -1;
  }
  srv->port = ntohs(a.sa.sa_family == AF_INET ? a.v4.sin_port
                                              : a.v6.sin6_port);
  return fd;
}

static void lk_http_mhd_log(void *cls, const char *fmt, va_list ap)
{
  char line[512];
  size_t n;
  (void)cls;
  vsnprintf(line, sizeof line, fmt, ap);
  n = strlen(line);
  while(n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  lk_log(LK_LOG_INFO, "http", "libmicrohttpd: %s", line);
}

static void *lk_http_uri_cb(void *cls, const char *uri,
                            struct MHD_Connection *conn)
{
  struct lk_http_server *srv = cls;
  struct lk_http_req *req = lk_http_req_create(srv, conn, uri,
                                               srv->cfg.arena_bytes);
  if(!req) {
    lk_log(LK_LOG_WARN, "http", "no memory for a new request");
    return NULL;
  }
  pthread_mutex_lock(&srv->mu);
  srv->in_flight++;
  pthread_mutex_unlock(&srv->mu);
  return req;
}

static enum MHD_Result lk_http_access(void *cls, struct MHD_Connection *conn,
                                      const char *url, const char *method,
                                      const char *version, const char *data,
                                      size_t *size, void **con_cls)
{
  static const char nomem[] = "{\"success\":false,\"error\":\"out of memory\"}";
  struct lk_http_req *req = *con_cls;
  struct MHD_Response *r;
  enum MHD_Result ret;
  (void)cls;
  (void)url;
  (void)version;
  if(!req) {
    r = MHD_create_response_from_buffer(sizeof nomem - 1, (void *)nomem,
                                        MHD_RESPMEM_PERSISTENT);
    if(!r)
      return MHD_NO;
    ret = MHD_queue_response(conn, 503, r);
    MHD_destroy_response(r);
    return ret;
  }
  switch(req->phase) {
  case LK_HTTP_PHASE_NEW:
    return lk_http_on_headers(req, method);
  case LK_HTTP_PHASE_BODY:
    if(*size)
      return lk_http_on_body(req, data, size);
    return lk_http_on_complete(req);
  default:
    *size = 0;
    return MHD_YES;
  }
}

static const char *lk_http_toe_name(enum MHD_RequestTerminationCode toe)
{
  switch(toe) {
  case MHD_REQUEST_TERMINATED_COMPLETED_OK:
    return "";
  case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
    return " (timed out)";
  case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
    return " (server stopped)";
  case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
  case MHD_REQUEST_TERMINATED_READ_ERROR:
    return " (client went away)";
  default:
    return " (connection error)";
  }
}

/* One line per request; the path only (queries may carry tokens), with
 * control bytes replaced so a decoded %0A cannot forge a log line. */
static void lk_http_log_request(const struct lk_http_req *req,
                                enum MHD_RequestTerminationCode toe)
{
  const struct lk_http_route *r = req->route;
  const char *p = r && (r->flags & LK_HTTP_QUIET_PATH) ? r->pattern
                                                       : req->path;
  char path[256], status[8] = "-";
  struct timespec now;
  double ms;
  size_t i;
  for(i = 0; p && p[i] && i < sizeof path - 1; i++)
    path[i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i];
  path[i] = '\0';
  if(req->phase == LK_HTTP_PHASE_DONE)
    snprintf(status, sizeof status, "%d", req->resp.status);
  clock_gettime(CLOCK_MONOTONIC, &now);
  ms = (double)(now.tv_sec - req->t0.tv_sec) * 1e3 +
       (double)(now.tv_nsec - req->t0.tv_nsec) / 1e6;
  lk_log(LK_LOG_INFO, "http", "%s %s %s %.1f ms in %llu out %zu%s",
         req->method ? req->method : "-", path, status, ms,
         (unsigned long long)req->received,
         req->phase == LK_HTTP_PHASE_DONE ? req->resp.size : 0,
         lk_http_toe_name(toe));
}

static void lk_http_completed(void *cls, struct MHD_Connection *conn,
                              void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
  struct lk_http_server *srv = cls;
  struct lk_http_req *req = *con_cls;
  (void)conn;
  if(!req)
    return;
  *con_cls = NULL;
  lk_http_log_request(req, toe);
  lk_http_req_destroy(req);
  pthread_mutex_lock(&srv->mu);
  srv->in_flight--;
  pthread_cond_broadcast(&srv->drain_cv);
  pthread_mutex_unlock(&srv->mu);
}

lk_err lk_http_server_start(struct lk_http_server *srv, char *why)
{
  char buf[LK_HTTP_ERRMAX];
  const struct lk_http_config *c = &srv->cfg;
  lk_err err = LK_OK;
  int fd;
  if(!why)
    why = buf;
  why[0] = '\0';
  if(srv->mhd) {
    snprintf(why, LK_HTTP_ERRMAX, "the server is already running");
    return LK_ERR_INVAL;
  }
  fd = lk_http_listen(srv, &err, why);
  if(fd < 0) {
    lk_log(LK_LOG_ERROR, "http", "%s", why);
    return err;
  }
  srv->stopping = 0;
  atomic_store(&srv->draining, 0);
  srv->mhd = MHD_start_daemon(
    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
    MHD_USE_ITC | MHD_USE_ERROR_LOG,
    0, NULL, NULL, lk_http_access, srv,
    MHD_OPTION_EXTERNAL_LOGGER, lk_http_mhd_log, srv,
    MHD_OPTION_LISTEN_SOCKET, fd,
    MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
    MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_s,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->max_header,
    MHD_OPTION_NOTIFY_COMPLETED, lk_http_completed, srv,
    MHD_OPTION_URI_LOG_CALLBACK, lk_http_uri_cb, srv,
    MHD_OPTION_END);
  if(!srv->mhd) {
    close(fd);
    snprintf(why, LK_HTTP_ERRMAX, "libmicrohttpd could not start (see "
             "its message above)");
    lk_log(LK_LOG_ERROR, "http", "%s", why);
    return LK_ERR_IO;
  }
  lk_log(LK_LOG_INFO, "http", "listening on %s port %u (up to %u "
         "connections)", srv->bind, srv->port, c->max_connections);
  return LK_OK;
}

unsigned lk_http_server_port(const struct lk_http_server *srv)
{
  return srv->port;
}

/* After the drain deadline, requests waiting for a heavy slot are told to
 * give up; this is how long their 503s get to reach the client before
 * libmicrohttpd closes every connection. */
#define LK_HTTP_STOP_GRACE_MS 200

/* Waits for in-flight requests until the deadline; returns how many were
 * left then. */
static unsigned lk_http_drain(struct lk_http_server *srv, unsigned drain_ms)
{
  struct timespec deadline;
  unsigned left;
  int rc = 0;
  lk_http_deadline(&deadline, drain_ms);
  pthread_mutex_lock(&srv->mu);
  while(srv->in_flight && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&srv->drain_cv, &srv->mu, &deadline);
  left = srv->in_flight;
  srv->stopping = 1;
  pthread_cond_broadcast(&srv->gate_cv);
  lk_http_deadline(&deadline, LK_HTTP_STOP_GRACE_MS);
  rc = 0;
  while(srv->in_flight > srv->handlers && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&srv->drain_cv, &srv->mu, &deadline);
  pthread_mutex_unlock(&srv->mu);
  return left;
}

lk_err lk_http_server_stop(struct lk_http_server *srv, unsigned drain_ms)
{
  MHD_socket fd;
  unsigned left;
  if(!srv || !srv->mhd)
    return LK_OK;
  atomic_store(&srv->draining, 1);
  fd = MHD_quiesce_daemon(srv->mhd);
  if(fd != MHD_INVALID_SOCKET)
    close(fd);   /* new connections are refused from here on */
  left = lk_http_drain(srv, drain_ms);
  if(left)
    lk_log(LK_LOG_WARN, "http", "stopping with %u requests in flight after "
           "%u ms", left, drain_ms);
  /* joins the workers: a handler still running is waited for */
  MHD_stop_daemon(srv->mhd);
  srv->mhd = NULL;
  lk_log(LK_LOG_INFO, "http", "stopped");
  return left ? LK_ERR_BUSY : LK_OK;
}

void lk_http_server_destroy(struct lk_http_server *srv)
{
  size_t i;
  if(!srv)
    return;
  lk_http_server_stop(srv, 0);
  for(i = 0; srv->routes && i < srv->n_routes; i++) {
    lk_free((char *)srv->routes[i].method);
    lk_free((char *)srv->routes[i].pattern);
  }
  lk_free(srv->routes);
  lk_free(srv->bind);
  lk_free(srv->cors_origin);
  pthread_cond_destroy(&srv->drain_cv);
  pthread_cond_destroy(&srv->gate_cv);
  pthread_mutex_destroy(&srv->mu);
  lk_free(srv);
}
