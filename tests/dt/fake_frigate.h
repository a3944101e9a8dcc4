/* fake_frigate.h - a Frigate for tests, on 127.0.0.1: snapshot.jpg and
 * latest.jpg answer with the bytes a test sets (or a status, or a delay),
 * /api/version answers, and sub_label POSTs are recorded. It runs on our
 * own HTTP layer, in the test's process. Header-only, for tests. */
#ifndef LK_TEST_FAKE_FRIGATE_H
#define LK_TEST_FAKE_FRIGATE_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http.h"

struct fake_frigate {
  struct lk_http_server *srv;
  unsigned port;
  char url[64];                     /* "http://127.0.0.1:PORT" */
  pthread_mutex_t lock;
  /* what the image endpoints answer */
  const unsigned char *image;       /* the test's bytes */
  size_t image_len;
  int status;                       /* 0: 200 with image */
  unsigned delay_ms;                /* before answering */
  /* what came in */
  int snapshots, latests, versions;
  char last_query[256];             /* of the last image request */
  char sub_labels[8][256];          /* "<id> <json body>" */
  int n_sub_labels;
};

static inline void fake_frigate_wait(unsigned ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static inline lk_err fake_frigate_image(struct lk_http_req *req,
                                        struct lk_http_resp *resp, void *ctx)
{
  struct fake_frigate *f = ctx;
  const char *h = lk_http_req_query(req, "h"), *crop;
  int status;
  pthread_mutex_lock(&f->lock);
  if(strstr(lk_http_req_path(req), "snapshot.jpg"))
    f->snapshots++;
  else
    f->latests++;
  crop = lk_http_req_query(req, "crop");
  snprintf(f->last_query, sizeof f->last_query, "h=%s crop=%s",
           h ? h : "-", crop ? crop : "-");
  status = f->status;
  pthread_mutex_unlock(&f->lock);
  if(f->delay_ms)
    fake_frigate_wait(f->delay_ms);
  if(status)
    return lk_http_resp_bytes(resp, status, "text/plain", "error", 5);
  return lk_http_resp_bytes(resp, 200, "image/jpeg", f->image, f->image_len);
}

static inline lk_err fake_frigate_version(struct lk_http_req *req,
                                          struct lk_http_resp *resp,
                                          void *ctx)
{
  struct fake_frigate *f = ctx;
  (void)req;
  pthread_mutex_lock(&f->lock);
  f->versions++;
  pthread_mutex_unlock(&f->lock);
  return lk_http_resp_bytes(resp, 200, "text/plain", "0.14.1-test", 11);
}

/* Frigate 0.14's answers: 404 for an event it does not know ("gone"). */
static inline lk_err fake_frigate_sub_label(struct lk_http_req *req,
                                            struct lk_http_resp *resp,
                                            void *ctx)
{
  struct fake_frigate *f = ctx;
  const char *id = lk_http_req_param(req, "id");
  size_t n = 0;
  const unsigned char *body = lk_http_req_body(req, &n);
  cJSON *o;
  if(!strcmp(id, "gone")) {
    o = cJSON_CreateObject();
    cJSON_AddFalseToObject(o, "success");
    cJSON_AddStringToObject(o, "message", "Event gone not found");
    return lk_http_resp_json(resp, 404, o);
  }
  pthread_mutex_lock(&f->lock);
  if(f->n_sub_labels < 8)
    snprintf(f->sub_labels[f->n_sub_labels++], sizeof f->sub_labels[0],
             "%s %.*s", id, (int)n, body ? (const char *)body : "");
  pthread_mutex_unlock(&f->lock);
  o = cJSON_CreateObject();
  cJSON_AddTrueToObject(o, "success");
  return lk_http_resp_json(resp, 200, o);
}

static inline int fake_frigate_start(struct fake_frigate *f)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct lk_http_route routes[] = {
    { "GET", "/api/events/{id}/snapshot.jpg", fake_frigate_image, f, 0,
      NULL },
    { "GET", "/api/{camera}/latest.jpg", fake_frigate_image, f, 0, NULL },
    { "GET", "/api/version", fake_frigate_version, f, 0, NULL },
    { "POST", "/api/events/{id}/sub_label", fake_frigate_sub_label, f, 0,
      NULL },
  };
  char why[LK_HTTP_ERRMAX];
  pthread_mutex_init(&f->lock, NULL);
  cfg.bind = "127.0.0.1";
  cfg.port = 0;
  cfg.heavy_max = 0;
  if(lk_http_server_create(&f->srv, &cfg, routes,
                           sizeof routes / sizeof routes[0]) ||
     lk_http_server_start(f->srv, why))
    return -1;
  f->port = lk_http_server_port(f->srv);
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", f->port);
  return 0;
}

static inline void fake_frigate_stop(struct fake_frigate *f)
{
  lk_http_server_destroy(f->srv);
  f->srv = NULL;
  pthread_mutex_destroy(&f->lock);
}

#endif
