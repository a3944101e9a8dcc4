/* test_http_limits.c - the HTTP layer's limits and life cycle over real
 * sockets: body and header ceilings (with and without Content-Length),
 * too many parts, 20 concurrent clients, the heavy-route gate (503 +
 * Retry-After when flooded, light routes unaffected), draining on stop,
 * a taken port, and bad configurations. Servers are destroyed and
 * lk_mem_in_use() must return to where it started. */
#include <pthread.h>
#include <stdatomic.h>

#include "base/log.h"
#include "client.h"
#include "test.h"

/* The heavy handler blocks until the test releases it, so the gate's
 * state is known when the flood arrives (no timing guesses). */
static atomic_int heavy_running;
static atomic_int heavy_entered;
static atomic_int heavy_release;

static lk_err heavy(struct lk_http_req *req, struct lk_http_resp *resp,
                    void *ctx)
{
  int i;
  (void)req;
  (void)ctx;
  atomic_fetch_add(&heavy_running, 1);
  atomic_fetch_add(&heavy_entered, 1);
  for(i = 0; i < 20000 && !atomic_load(&heavy_release); i++)
    sleep_ms(1);
  atomic_fetch_sub(&heavy_running, 1);
  return lk_http_resp_json(resp, 200, cJSON_CreateObject());
}

static const struct lk_http_route routes[] = {
  { "POST", "/echo", echo, NULL, 0, NULL },
  { "GET", "/echo", echo, NULL, 0, NULL },
  { "POST", "/heavy", heavy, NULL, LK_HTTP_HEAVY, NULL },
  { "GET", "/slow", heavy, NULL, 0, NULL },
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static struct lk_http_server *srv;
static unsigned port;
static size_t mem_start;

static void setup_with(struct lk_http_config *cfg)
{
  mem_start = lk_mem_in_use();
  atomic_store(&heavy_running, 0);
  atomic_store(&heavy_entered, 0);
  atomic_store(&heavy_release, 0);
  srv = test_server(cfg, routes, N_ROUTES);
  port = srv ? lk_http_server_port(srv) : 0;
  CHECK(srv != NULL);
}

static void teardown(void)
{
  atomic_store(&heavy_release, 1);
  lk_http_server_destroy(srv);
  srv = NULL;
  CHECK_MSG(lk_mem_in_use() == mem_start, "%zu bytes leaked",
            lk_mem_in_use() - mem_start);
}

static int wait_for(atomic_int *v, int want)
{
  int i;
  for(i = 0; i < 10000 && atomic_load(v) < want; i++)
    sleep_ms(1);
  return atomic_load(v) >= want;
}

static void still_serving(void)
{
  struct reply r;
  CHECK(http_get(port, "/echo", &r) == 0 && r.status == 200);
  reply_free(&r);
}

static void test_body_limit_content_length(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  unsigned char *junk = test_bytes(4096, 9);
  struct reply r;
  int fd;
  cfg.max_body = 64 * 1024;
  setup_with(&cfg);
  /* answered from the headers, before the body is read */
  fd = client_connect(port);
  CHECK(client_sendf(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
                     "application/octet-stream\r\nContent-Length: 100000"
                     "\r\n\r\n") == 0);
  CHECK(client_send(fd, junk, 4096) == 0);
  CHECK(client_read_reply(fd, &r, 0) == 0 && r.status == 413);
  reply_free(&r);
  close(fd);
  /* with Expect: 100-continue the body is never sent */
  fd = client_connect(port);
  CHECK(client_sendf(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
                     "image/jpeg\r\nContent-Length: 999999999\r\n"
                     "Expect: 100-continue\r\n\r\n") == 0);
  CHECK(client_read_reply(fd, &r, 0) == 0 && r.status == 413);
  reply_free(&r);
  close(fd);
  /* exactly the limit is fine */
  free(junk);
  junk = test_bytes(cfg.max_body, 3);
  CHECK(http_post(port, "/echo", "application/octet-stream", junk,
                  cfg.max_body, 0, &r) == 0 && r.status == 200);
  reply_free(&r);
  free(junk);
  still_serving();
  teardown();
}

static void test_body_limit_chunked(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  size_t n = 100 * 1024;
  unsigned char *junk = test_bytes(4 * n, 5);
  struct mp m = { 0 };
  struct reply r;
  int fd, i, rc = 0;
  cfg.max_body = 64 * 1024;
  setup_with(&cfg);
  CHECK(http_post(port, "/echo", "application/octet-stream", junk, n, 1,
                  &r) == 0 && r.status == 413);
  CHECK(strstr((char *)r.body, "larger than 65536 bytes") != NULL);
  reply_free(&r);
  mp_file(&m, "image", "a.jpg", "image/jpeg", junk, n);
  mp_end(&m);
  CHECK(http_post(port, "/echo", "multipart/form-data; boundary=" MP_BOUNDARY,
                  m.buf, m.len, 1, &r) == 0 && r.status == 413);
  reply_free(&r);
  free(m.buf);
  /* a client that keeps going is cut off at twice the limit */
  fd = client_connect(port);
  CHECK(client_sendf(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
                     "image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
  for(i = 0; i < 400 && !rc; i++) {
    rc = client_sendf(fd, "1000\r\n");
    if(!rc)
      rc = client_send(fd, junk, 4096);
    if(!rc)
      rc = client_send(fd, "\r\n", 2);
  }
  CHECK_MSG(rc != 0 || client_read_reply(fd, &r, 0) != 0,
            "the server read %d chunks of 4 KiB", i);
  close(fd);
  free(junk);
  still_serving();
  teardown();
}

static void test_too_many_parts_and_headers(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  static char big[40 * 1024];
  struct mp m = { 0 };
  struct reply r;
  int i, fd;
  cfg.max_parts = 4;
  setup_with(&cfg);
  for(i = 0; i < 5; i++)
    mp_field(&m, "f", "v");
  mp_end(&m);
  CHECK(http_post(port, "/echo", "multipart/form-data; boundary=" MP_BOUNDARY,
                  m.buf, m.len, 0, &r) == 0 && r.status == 413);
  CHECK(strstr((char *)r.body, "too many form fields") != NULL);
  reply_free(&r);
  free(m.buf);
  CHECK(http_post(port, "/echo", "application/x-www-form-urlencoded",
                  "a=1&b=2&c=3&d=4", 15, 0, &r) == 0 && r.status == 200);
  reply_free(&r);
  /* headers past max_header (32 KiB): libmicrohttpd answers 431 */
  memset(big, 'a', sizeof big - 1);
  fd = client_connect(port);
  CHECK(client_sendf(fd, "GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: ") == 0);
  CHECK(client_send(fd, big, sizeof big - 1) == 0 || 1);
  client_send(fd, "\r\n\r\n", 4);
  CHECK(client_read_reply(fd, &r, 0) == 0 && r.status == 431);
  reply_free(&r);
  close(fd);
  still_serving();
  teardown();
}

/* 20 clients at once, each checking its own echo. */
struct client_job {
  unsigned port;
  int id;
  int ok;
};

static void *client_thread(void *arg)
{
  struct client_job *job = arg;
  unsigned char *data = test_bytes(20000 + (size_t)job->id * 997,
                                   (unsigned)job->id);
  size_t n = 20000 + (size_t)job->id * 997;
  char hex[24], want[64];
  struct mp m = { 0 };
  struct reply r;
  int i;
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fnv1a(data, n));
  snprintf(want, sizeof want, "\"hash\":\"%s\"", hex);
  mp_file(&m, "image", "f.jpg", "image/jpeg", data, n);
  mp_end(&m);
  job->ok = 1;
  for(i = 0; i < 5; i++) {
    if(http_post(job->port, "/echo", "multipart/form-data; boundary="
                 MP_BOUNDARY, m.buf, m.len, (job->id + i) & 1, &r) ||
       r.status != 200 || !strstr((char *)r.body, want))
      job->ok = 0;
    reply_free(&r);
  }
  free(m.buf);
  free(data);
  return NULL;
}

static void test_concurrent_clients(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct client_job jobs[20];
  pthread_t t[20];
  int i, ok = 0;
  setup_with(&cfg);
  for(i = 0; i < 20; i++) {
    jobs[i].port = port;
    jobs[i].id = i;
    pthread_create(&t[i], NULL, client_thread, &jobs[i]);
  }
  for(i = 0; i < 20; i++) {
    pthread_join(t[i], NULL);
    ok += jobs[i].ok;
  }
  CHECK_MSG(ok == 20, "%d of 20 clients got all their echoes", ok);
  teardown();
}

/* POST /heavy from a thread; records status and Retry-After. */
struct heavy_job {
  unsigned port;
  int status;
  int retry_after;
};

static atomic_int heavy_done;

static void *heavy_thread(void *arg)
{
  struct heavy_job *job = arg;
  char v[16];
  struct reply r;
  job->status = http_post(job->port, "/heavy", "image/jpeg", "x", 1, 0, &r)
                ? -1 : r.status;
  job->retry_after = reply_header(&r, "Retry-After", v, sizeof v) &&
                     !strcmp(v, "1");
  reply_free(&r);
  atomic_fetch_add(&heavy_done, 1);
  return NULL;
}

static void test_heavy_gate(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct heavy_job jobs[6];
  pthread_t t[6];
  int i, ok = 0, busy = 0;
  cfg.heavy_max = 1;
  cfg.heavy_queue = 1;
  setup_with(&cfg);
  atomic_store(&heavy_done, 0);
  for(i = 0; i < 6; i++) {
    jobs[i].port = port;
    pthread_create(&t[i], NULL, heavy_thread, &jobs[i]);
    if(!i)   /* the first one holds the only slot */
      CHECK(wait_for(&heavy_entered, 1));
  }
  /* 1 running + 1 waiting; the other 4 are refused without waiting */
  CHECK(wait_for(&heavy_done, 4));
  CHECK(atomic_load(&heavy_running) == 1);
  still_serving();   /* light routes are not behind the gate */
  CHECK(atomic_load(&heavy_running) == 1);
  atomic_store(&heavy_release, 1);
  for(i = 0; i < 6; i++) {
    pthread_join(t[i], NULL);
    ok += jobs[i].status == 200;
    busy += jobs[i].status == 503 && jobs[i].retry_after;
  }
  CHECK_MSG(ok == 2 && busy == 4, "%d ok, %d busy with Retry-After", ok, busy);
  CHECK(atomic_load(&heavy_entered) == 2);
  teardown();
}

static void test_heavy_wait_timeout(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct heavy_job jobs[2];
  pthread_t t[2];
  cfg.heavy_max = 1;
  cfg.heavy_queue = 4;
  cfg.heavy_wait_ms = 100;
  setup_with(&cfg);
  jobs[0].port = jobs[1].port = port;
  pthread_create(&t[0], NULL, heavy_thread, &jobs[0]);
  CHECK(wait_for(&heavy_entered, 1));
  pthread_create(&t[1], NULL, heavy_thread, &jobs[1]);
  pthread_join(t[1], NULL);   /* gives up after 100 ms in the queue */
  CHECK(jobs[1].status == 503 && jobs[1].retry_after);
  atomic_store(&heavy_release, 1);
  pthread_join(t[0], NULL);
  CHECK(jobs[0].status == 200);
  teardown();
}

struct stop_job {
  struct lk_http_server *srv;
  unsigned drain_ms;
  lk_err err;
};

static void *stop_thread(void *arg)
{
  struct stop_job *job = arg;
  job->err = lk_http_server_stop(job->srv, job->drain_ms);
  return NULL;
}

static void *slow_thread(void *arg)
{
  struct heavy_job *job = arg;
  struct reply r;
  job->status = http_get(job->port, "/slow", &r) ? -1 : r.status;
  reply_free(&r);
  return NULL;
}

/* stop: no new connections, 503 + close on kept-alive ones, the request
 * in flight finishes with 200. */
static void test_stop_drains(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct heavy_job slow = { 0, 0, 0 };
  struct stop_job stop;
  pthread_t ts, tstop;
  struct reply r;
  char v[16];
  int fd, refused = 0, i;
  setup_with(&cfg);
  fd = client_connect(port);
  CHECK(client_sendf(fd, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(client_read_reply(fd, &r, 0) == 0 && r.status == 200);
  reply_free(&r);
  slow.port = port;
  pthread_create(&ts, NULL, slow_thread, &slow);
  CHECK(wait_for(&heavy_entered, 1));
  stop.srv = srv;
  stop.drain_ms = 10000;
  pthread_create(&tstop, NULL, stop_thread, &stop);
  for(i = 0; i < 5000 && !refused; i++) {
    int c = client_connect(port);
    refused = c < 0;
    if(c >= 0)
      close(c);
    else
      break;
    sleep_ms(1);
  }
  CHECK(refused);
  CHECK(client_sendf(fd, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(client_read_reply(fd, &r, 0) == 0 && r.status == 503);
  CHECK(reply_header(&r, "Connection", v, sizeof v) && !strcmp(v, "close"));
  reply_free(&r);
  close(fd);
  atomic_store(&heavy_release, 1);
  pthread_join(ts, NULL);
  pthread_join(tstop, NULL);
  CHECK(slow.status == 200);
  CHECK(stop.err == LK_OK);
  CHECK(lk_http_server_stop(srv, 0) == LK_OK);   /* twice is fine */
  teardown();
}

/* A drain deadline shorter than the running handler: the request waiting
 * for a heavy slot gets 503 at the deadline, stop reports LK_ERR_BUSY,
 * waits for the running handler anyway, and frees everything. */
static void test_stop_deadline(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct heavy_job jobs[2];
  struct stop_job stop;
  pthread_t t[2], tstop;
  cfg.heavy_max = 1;
  cfg.heavy_queue = 1;
  setup_with(&cfg);
  atomic_store(&heavy_done, 0);
  jobs[0].port = jobs[1].port = port;
  pthread_create(&t[0], NULL, heavy_thread, &jobs[0]);
  CHECK(wait_for(&heavy_entered, 1));
  pthread_create(&t[1], NULL, heavy_thread, &jobs[1]);
  sleep_ms(100);   /* let it reach the queue; no check depends on this */
  stop.srv = srv;
  stop.drain_ms = 50;
  pthread_create(&tstop, NULL, stop_thread, &stop);
  pthread_join(t[1], NULL);   /* answered while the slot is still held */
  CHECK(jobs[1].status == 503 && jobs[1].retry_after);
  CHECK(atomic_load(&heavy_running) == 1);
  atomic_store(&heavy_release, 1);
  pthread_join(tstop, NULL);
  pthread_join(t[0], NULL);
  CHECK(stop.err == LK_ERR_BUSY);
  CHECK(atomic_load(&heavy_entered) == 1);
  teardown();
}

/* An idle or stalled connection is closed after timeout_s. */
static void test_idle_timeout(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  char c;
  int fd;
  cfg.timeout_s = 1;
  setup_with(&cfg);
  fd = client_connect(port);
  CHECK(client_sendf(fd, "GET /echo HTTP/1.1\r\nHost") == 0);
  CHECK(recv(fd, &c, 1, 0) == 0);   /* EOF long before the 20 s guard */
  close(fd);
  still_serving();
  teardown();
}

static void test_port_taken(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct lk_http_server *other = NULL;
  char why[LK_HTTP_ERRMAX];
  setup_with(&cfg);
  cfg.bind = "127.0.0.1";
  cfg.port = port;
  CHECK(lk_http_server_create(&other, &cfg, routes, N_ROUTES) == LK_OK);
  CHECK(lk_http_server_start(other, why) == LK_ERR_IO);
  CHECK_MSG(strstr(why, "Address already in use") != NULL, "%s", why);
  lk_http_server_destroy(other);
  still_serving();
  teardown();
}

static void test_bad_config(void)
{
  static const struct lk_http_route bad[] = {
    { "GET", "/a/{x", echo, NULL, 0, NULL },
  };
  static const struct lk_http_route bad2[] = {
    { "GET", "/a/{x}{y}", echo, NULL, 0, NULL },
  };
  static const struct lk_http_route bad3[] = {
    { "GET", "no-slash", echo, NULL, 0, NULL },
  };
  struct lk_http_config cfg = lk_http_config_default();
  struct lk_http_server *s = NULL;
  char why[LK_HTTP_ERRMAX];
  size_t before = lk_mem_in_use();
  fprintf(stderr, "(errors below are expected)\n");
  CHECK(lk_http_server_create(&s, &cfg, bad, 1) == LK_ERR_INVAL && !s);
  CHECK(lk_http_server_create(&s, &cfg, bad2, 1) == LK_ERR_INVAL);
  CHECK(lk_http_server_create(&s, &cfg, bad3, 1) == LK_ERR_INVAL);
  cfg.max_connections = 10;   /* not more than heavy_max 2 + queue 8 */
  CHECK(lk_http_server_create(&s, &cfg, routes, N_ROUTES) == LK_ERR_INVAL);
  cfg = lk_http_config_default();
  cfg.max_body = 0;
  CHECK(lk_http_server_create(&s, &cfg, routes, N_ROUTES) == LK_ERR_INVAL);
  cfg = lk_http_config_default();
  cfg.bind = "localhost";   /* addresses only, no name lookups */
  CHECK(lk_http_server_create(&s, &cfg, routes, N_ROUTES) == LK_OK);
  CHECK(lk_http_server_start(s, why) == LK_ERR_INVAL);
  CHECK(strstr(why, "localhost") != NULL);
  lk_http_server_destroy(s);
  CHECK(lk_mem_in_use() == before);
}

static void test_ipv6_and_restart(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct lk_http_server *s = NULL;
  char why[LK_HTTP_ERRMAX];
  size_t before = lk_mem_in_use();
  struct reply r;
  cfg.bind = "::";
  cfg.port = 0;
  CHECK(lk_http_server_create(&s, &cfg, routes, N_ROUTES) == LK_OK);
  CHECK_MSG(lk_http_server_start(s, why) == LK_OK, "%s", why);
  port = lk_http_server_port(s);
  /* dual stack: the IPv4 client reaches it */
  CHECK(http_get(port, "/echo", &r) == 0 && r.status == 200);
  reply_free(&r);
  CHECK(lk_http_server_stop(s, 1000) == LK_OK);
  CHECK(http_get(port, "/echo", &r) != 0);
  reply_free(&r);
  CHECK(lk_http_server_start(s, why) == LK_OK);
  port = lk_http_server_port(s);
  CHECK(http_get(port, "/echo", &r) == 0 && r.status == 200);
  reply_free(&r);
  lk_http_server_destroy(s);
  CHECK(lk_mem_in_use() == before);
}

/* Allocation N fails (and every later one) for N = 1.. while a multipart
 * request is served: every outcome must be an answer or a closed
 * connection, and nothing may leak (run it in the sanitizer build). */
static void test_alloc_failures(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  unsigned char *data = test_bytes(100000, 11);
  struct mp m = { 0 };
  struct reply r;
  int n, answered = 0, ok = 0;
  setup_with(&cfg);
  mp_field(&m, "userid", "x");
  mp_file(&m, "image", "a.jpg", "image/jpeg", data, 100000);
  mp_end(&m);
  for(n = 1; n <= 40; n++) {
    int chunked = n & 1;
    lk_mem_fail_after(n);
    if(!http_post(port, "/echo?a=1", "multipart/form-data; boundary="
                  MP_BOUNDARY, m.buf, m.len, chunked, &r)) {
      answered++;
      ok += r.status == 200;
      CHECK_MSG(r.status == 200 || r.status >= 500, "N=%d: %d", n, r.status);
    }
    reply_free(&r);
    lk_mem_fail_after(0);
    still_serving();
  }
  CHECK(ok > 0 && answered > ok);   /* both outcomes were reached */
  free(m.buf);
  free(data);
  teardown();
}

int main(void)
{
  lk_log_set_level(LK_LOG_WARN);
  RUN(test_body_limit_content_length);
  RUN(test_body_limit_chunked);
  RUN(test_too_many_parts_and_headers);
  RUN(test_concurrent_clients);
  RUN(test_heavy_gate);
  RUN(test_heavy_wait_timeout);
  RUN(test_stop_drains);
  RUN(test_stop_deadline);
  RUN(test_idle_timeout);
  RUN(test_port_taken);
  RUN(test_bad_config);
  RUN(test_ipv6_and_restart);
  RUN(test_alloc_failures);
  return test_report();
}
