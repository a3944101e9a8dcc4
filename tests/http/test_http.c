/* test_http.c - the HTTP layer over real sockets on 127.0.0.1: routing and
 * path parameters, 404/405/HEAD/OPTIONS, query strings, headers, and body
 * parsing (multipart with several files, chunked, urlencoded, JSON, raw,
 * malformed), error shapes, keep-alive, CORS, Basic auth and the request
 * log. Limits, concurrency, backpressure and draining are in
 * test_http_limits.c. Every test checks that lk_mem_in_use() returns to
 * where it started once the server is destroyed. */
#include <fcntl.h>

#include "base/log.h"
#include "client.h"
#include "test.h"

static lk_err not_found(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx)
{
  (void)req;
  (void)resp;
  (void)ctx;
  return LK_ERR_NOT_FOUND;
}

static lk_err image(struct lk_http_req *req, struct lk_http_resp *resp,
                    void *ctx)
{
  static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0x00, 0xff, 0xd9 };
  (void)req;
  (void)ctx;
  lk_http_resp_header(resp, "X-Test", "yes");
  if(lk_http_resp_header(resp, "X-Bad", "a\r\nInjected: 1") != LK_ERR_INVAL)
    return LK_ERR_INVAL;
  return lk_http_resp_bytes(resp, 200, "image/jpeg", jpeg, sizeof jpeg);
}

static lk_err bad_status(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  (void)req;
  (void)ctx;
  lk_http_resp_status(resp, 42);
  return LK_OK;
}

static lk_err nothing(struct lk_http_req *req, struct lk_http_resp *resp,
                      void *ctx)
{
  (void)req;
  (void)resp;
  (void)ctx;
  return LK_OK;
}

static lk_err auth(struct lk_http_req *req, struct lk_http_resp *resp,
                   void *ctx)
{
  const char *user, *pass;
  cJSON *o;
  (void)ctx;
  if(lk_http_req_basic_auth(req, &user, &pass)) {
    lk_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"facebox\"");
    return lk_http_resp_error(resp, 401, "authentication required");
  }
  o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "user", user);
  cJSON_AddStringToObject(o, "password", pass);
  return lk_http_resp_json(resp, 200, o);
}

/* CompreFace's error shape, to show an adapter's on_error. */
static lk_err compreface_error(struct lk_http_req *req,
                               struct lk_http_resp *resp, int status,
                               const char *message, void *ctx)
{
  cJSON *o = cJSON_CreateObject();
  (void)req;
  (void)ctx;
  cJSON_AddStringToObject(o, "message", message);
  cJSON_AddNumberToObject(o, "code", status == 400 ? 26 : 0);
  return lk_http_resp_json(resp, status, o);
}

static const struct lk_http_route routes[] = {
  { "GET", "/", echo, NULL, 0, NULL },
  { "GET", "/api/v1/recognition/faces/{image_id}/img", echo, NULL, 0, NULL },
  { "DELETE", "/api/v1/recognition/faces/{image_id}", echo, NULL, 0, NULL },
  { "POST", "/api/v1/recognition/faces/delete", echo, NULL, 0, NULL },
  { "POST", "/echo", echo, NULL, 0, NULL },
  { "PUT", "/echo", echo, NULL, 0, NULL },
  { "GET", "/echo", echo, NULL, 0, NULL },
  { "GET", "/latest/{name}.jpg", echo, NULL, 0, NULL },
  { "GET", "/static/{key}/images/{id}", echo, NULL, LK_HTTP_QUIET_PATH,
    NULL },
  { "GET", "/err", not_found, NULL, 0, NULL },
  { "GET", "/img", image, NULL, 0, NULL },
  { "GET", "/badstatus", bad_status, NULL, 0, NULL },
  { "DELETE", "/nothing", nothing, NULL, 0, NULL },
  { "GET", "/auth", auth, NULL, 0, NULL },
  { "POST", "/compreface", echo, NULL, 0, compreface_error },
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static struct lk_http_server *srv;
static unsigned port;
static size_t mem_start;

static void setup(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  mem_start = lk_mem_in_use();
  cfg.max_body = (size_t)8 << 20;
  srv = test_server(&cfg, routes, N_ROUTES);
  port = srv ? lk_http_server_port(srv) : 0;
}

static void teardown(void)
{
  CHECK(lk_http_server_stop(srv, 2000) == LK_OK);
  lk_http_server_destroy(srv);
  srv = NULL;
  CHECK_MSG(lk_mem_in_use() == mem_start, "%zu bytes leaked",
            lk_mem_in_use() - mem_start);
}

/* GET target; the echo's JSON (NULL unless the status is want). */
static cJSON *get_json(const char *target, int want)
{
  struct reply r;
  cJSON *j = NULL;
  if(http_get(port, target, &r) == 0 && r.status == want)
    j = reply_json(&r);
  CHECK_MSG(r.status == want, "GET %s: %d, want %d", target, r.status, want);
  reply_free(&r);
  return j;
}

static void test_routes_and_params(void)
{
  cJSON *j;
  setup();
  CHECK(port != 0);
  j = get_json("/api/v1/recognition/faces/ab%2Fc%20d/img", 200);
  CHECK(!strcmp(json_str(j, "image_id"), "ab/c d"));
  CHECK(!strcmp(json_str(j, "path"), "/api/v1/recognition/faces/ab/c d/img"));
  cJSON_Delete(j);
  j = get_json("/latest/John%20Smith.jpg", 200);
  CHECK(!strcmp(json_str(j, "name"), "John Smith"));
  cJSON_Delete(j);
  cJSON_Delete(get_json("/latest/.jpg", 404));  /* {name} is never empty */
  /* a NUL would cut "John%00x" to "John": refused, in path and query */
  j = get_json("/latest/John%00x.jpg", 400);
  CHECK(j && strstr(json_str(j, "error"), "NUL") != NULL);
  cJSON_Delete(j);
  cJSON_Delete(get_json("/echo?name=a%00b", 400));
  cJSON_Delete(get_json("/latest/x.png", 404));
  j = get_json("/static/k3y/images/42", 200);
  CHECK(!strcmp(json_str(j, "key"), "k3y") && !strcmp(json_str(j, "id"), "42"));
  cJSON_Delete(j);
  j = get_json("/echo/", 200);             /* trailing slash */
  CHECK(!strcmp(json_str(j, "method"), "GET"));
  cJSON_Delete(j);
  j = get_json("/", 200);
  CHECK(!strcmp(json_str(j, "path"), "/"));
  cJSON_Delete(j);
  cJSON_Delete(get_json("/echo/more", 404));
  cJSON_Delete(get_json("//echo", 404));
  teardown();
}

static void test_method_routing(void)
{
  static const char del[] = "DELETE /api/v1/recognition/faces/delete "
                            "HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  struct reply r;
  cJSON *j;
  setup();
  /* the literal route takes POST; DELETE goes to {image_id} */
  CHECK(http_post(port, "/api/v1/recognition/faces/delete", "application/json",
                  "[\"a\"]", 5, 0, &r) == 0 && r.status == 200);
  j = reply_json(&r);
  CHECK(!cJSON_GetObjectItem(j, "image_id"));
  cJSON_Delete(j);
  reply_free(&r);
  CHECK(http_raw(port, del, sizeof del - 1, &r) == 0 && r.status == 200);
  j = reply_json(&r);
  CHECK(!strcmp(json_str(j, "image_id"), "delete"));
  cJSON_Delete(j);
  reply_free(&r);
  teardown();
}

static void test_404_405_head_options(void)
{
  static const char patch[] = "PATCH /echo HTTP/1.1\r\nHost: t\r\n"
                              "Connection: close\r\n\r\n";
  static const char head[] = "HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n";
  static const char opt[] = "OPTIONS /echo HTTP/1.1\r\nHost: t\r\n"
                            "Connection: close\r\n\r\n";
  static const char opt404[] = "OPTIONS /nope HTTP/1.1\r\nHost: t\r\n"
                               "Connection: close\r\n\r\n";
  char v[256];
  struct reply r;
  cJSON *j;
  int fd;
  setup();
  j = get_json("/nope", 404);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "success")));
  CHECK(!strcmp(json_str(j, "error"), "not found"));
  cJSON_Delete(j);
  CHECK(http_raw(port, patch, sizeof patch - 1, &r) == 0 && r.status == 405);
  CHECK(reply_header(&r, "Allow", v, sizeof v) &&
        !strcmp(v, "POST, PUT, GET, HEAD, OPTIONS"));
  CHECK(strstr((char *)r.body, "method not allowed") != NULL);
  reply_free(&r);
  /* HEAD: GET's headers without the body, and the connection stays open */
  fd = client_connect(port);
  CHECK(client_send(fd, head, sizeof head - 1) == 0);
  CHECK(client_read_reply(fd, &r, 1) == 0 && r.status == 200);
  CHECK(reply_header(&r, "Content-Length", v, sizeof v) && strtol(v, NULL, 10) > 0);
  reply_free(&r);
  CHECK(client_sendf(fd, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  CHECK(client_read_reply(fd, &r, 0) == 0 && r.status == 200 && r.len > 0);
  reply_free(&r);
  close(fd);
  CHECK(http_raw(port, opt, sizeof opt - 1, &r) == 0 && r.status == 204);
  CHECK(reply_header(&r, "Allow", v, sizeof v) && strstr(v, "PUT"));
  CHECK(!reply_header(&r, "Access-Control-Allow-Origin", v, sizeof v));
  reply_free(&r);
  CHECK(http_raw(port, opt404, sizeof opt404 - 1, &r) == 0 && r.status == 404);
  reply_free(&r);
  teardown();
}

static void test_query(void)
{
  static const char *const want[][2] = {
    { "limit", "0" }, { "a", "1" }, { "a", "2" }, { "flag", "" },
    { "sp", "a b+c" }, { "empty", "" }, { "x=y", "z&w" }, { "", "v" },
  };
  cJSON *j, *q;
  int i;
  setup();
  j = get_json("/echo?&limit=0&a=1&a=2&flag&sp=a+b%2Bc&empty=&&x%3Dy=z%26w"
               "&=v&", 200);
  q = cJSON_GetObjectItem(j, "query");
  CHECK(cJSON_GetArraySize(q) == 8);
  for(i = 0; i < 8 && i < cJSON_GetArraySize(q); i++) {
    cJSON *pair = cJSON_GetArrayItem(q, i);
    CHECK_MSG(!strcmp(cJSON_GetArrayItem(pair, 0)->valuestring, want[i][0]) &&
              !strcmp(cJSON_GetArrayItem(pair, 1)->valuestring, want[i][1]),
              "query item %d", i);
  }
  cJSON_Delete(j);
  j = get_json("/echo?", 200);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "query")) == 0);
  cJSON_Delete(j);
  teardown();
}

static void test_headers(void)
{
  static const char req[] = "GET /echo HTTP/1.1\r\nHost: t\r\n"
                            "X-Api-Key: s3cret\r\nConnection: close\r\n\r\n";
  struct reply r;
  cJSON *j;
  setup();
  CHECK(http_raw(port, req, sizeof req - 1, &r) == 0 && r.status == 200);
  j = reply_json(&r);
  CHECK(!strcmp(json_str(j, "x_api_key"), "s3cret"));
  CHECK(json_num(j, "kind") == LK_HTTP_BODY_NONE);
  cJSON_Delete(j);
  reply_free(&r);
  teardown();
}

/* DeepStack register: userid, api_key, image1..image3 (one empty). */
static void multipart_case(int chunked, size_t big)
{
  static const char *const names[] = { "image1", "image2", "image3" };
  const size_t sizes[] = { 1000, big, 0 };
  unsigned char *files[3];
  char hex[24];
  struct mp m = { 0 };
  struct reply r;
  cJSON *j, *parts, *p;
  int i;
  mp_field(&m, "userid", "Idris Elba");
  for(i = 0; i < 3; i++) {
    files[i] = test_bytes(sizes[i], (unsigned)i + 1);
    mp_file(&m, names[i], "face.jpg", "image/jpeg", files[i], sizes[i]);
  }
  mp_field(&m, "api_key", "k\r\ney");
  mp_end(&m);
  CHECK(http_post(port, "/echo", "multipart/form-data; boundary=" MP_BOUNDARY,
                  m.buf, m.len, chunked, &r) == 0);
  CHECK_MSG(r.status == 200, "status %d: %s", r.status, r.body);
  j = reply_json(&r);
  CHECK(json_num(j, "kind") == LK_HTTP_BODY_MULTIPART);
  parts = cJSON_GetObjectItem(j, "parts");
  CHECK(cJSON_GetArraySize(parts) == 5);
  p = cJSON_GetArrayItem(parts, 0);
  CHECK(!strcmp(json_str(p, "name"), "userid") &&
        !strcmp(json_str(p, "value"), "Idris Elba") &&
        !cJSON_GetObjectItem(p, "filename"));
  for(i = 0; i < 3; i++) {
    p = cJSON_GetArrayItem(parts, i + 1);
    snprintf(hex, sizeof hex, "%016llx",
             (unsigned long long)fnv1a(files[i], sizes[i]));
    CHECK_MSG(!strcmp(json_str(p, "name"), names[i]) &&
              !strcmp(json_str(p, "filename"), "face.jpg") &&
              !strcmp(json_str(p, "type"), "image/jpeg") &&
              json_num(p, "size") == (double)sizes[i] &&
              !strcmp(json_str(p, "hash"), hex), "file %d (chunked %d)", i,
              chunked);
    free(files[i]);
  }
  p = cJSON_GetArrayItem(parts, 4);
  CHECK(!strcmp(json_str(p, "value"), "k\r\ney"));
  cJSON_Delete(j);
  reply_free(&r);
  free(m.buf);
}

static void test_multipart(void)
{
  setup();
  multipart_case(0, 70000);
  multipart_case(1, 70000);      /* chunked, no Content-Length */
  multipart_case(0, 3u << 20);   /* a 3 MB file */
  multipart_case(1, 3u << 20);   /* grows the store while streaming */
  teardown();
}

static void test_urlencoded(void)
{
  static const char body[] = "userid=Idris+Elba&api_key=k%26y%3D&min_confidence"
                             "=0.7&note=&userid=second&tag=a&tag=b";
  struct reply r;
  cJSON *j, *parts;
  int chunked;
  setup();
  for(chunked = 0; chunked < 2; chunked++) {
    CHECK(http_post(port, "/echo", "application/x-www-form-urlencoded", body,
                    sizeof body - 1, chunked, &r) == 0 && r.status == 200);
    j = reply_json(&r);
    parts = cJSON_GetObjectItem(j, "parts");
    CHECK(json_num(j, "kind") == LK_HTTP_BODY_FORM);
    CHECK_MSG(cJSON_GetArraySize(parts) == 7, "%s", r.body);
    CHECK(!strcmp(json_str(cJSON_GetArrayItem(parts, 0), "value"),
                  "Idris Elba"));
    CHECK(!strcmp(json_str(cJSON_GetArrayItem(parts, 1), "value"), "k&y="));
    CHECK(!strcmp(json_str(cJSON_GetArrayItem(parts, 2), "value"), "0.7"));
    CHECK(!strcmp(json_str(cJSON_GetArrayItem(parts, 3), "name"), "note") &&
          !strcmp(json_str(cJSON_GetArrayItem(parts, 3), "value"), ""));
    CHECK(!strcmp(json_str(cJSON_GetArrayItem(parts, 4), "value"), "second"));
    CHECK(!strcmp(json_str(cJSON_GetArrayItem(parts, 5), "value"), "a"));
    CHECK(!strcmp(json_str(cJSON_GetArrayItem(parts, 6), "value"), "b"));
    cJSON_Delete(j);
    reply_free(&r);
  }
  teardown();
}

static void test_json_and_raw(void)
{
  static const char body[] = "{\"file\":\"aGVsbG8=\",\"n\":[1,2]}";
  static const char raw[] = "\x00\x01 not json \xff";
  struct reply r;
  cJSON *j, *in;
  char hex[24];
  int chunked;
  setup();
  for(chunked = 0; chunked < 2; chunked++) {
    CHECK(http_post(port, "/echo", "application/json; charset=utf-8", body,
                    sizeof body - 1, chunked, &r) == 0 && r.status == 200);
    j = reply_json(&r);
    in = cJSON_GetObjectItem(j, "json");
    CHECK(json_num(j, "kind") == LK_HTTP_BODY_JSON);
    CHECK(!strcmp(json_str(in, "file"), "aGVsbG8="));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(in, "n")) == 2);
    CHECK(json_num(j, "body_size") == sizeof body - 1);
    cJSON_Delete(j);
    reply_free(&r);
  }
  CHECK(http_post(port, "/echo", "application/json", "{\"a\":", 5, 0, &r) == 0);
  CHECK(r.status == 400 && strstr((char *)r.body, "not valid JSON"));
  reply_free(&r);
  CHECK(http_post(port, "/echo", "application/json", "{} x", 4, 1, &r) == 0);
  CHECK(r.status == 400);
  reply_free(&r);
  CHECK(http_post(port, "/echo", "application/octet-stream", raw,
                  sizeof raw - 1, 1, &r) == 0 && r.status == 200);
  j = reply_json(&r);
  snprintf(hex, sizeof hex, "%016llx",
           (unsigned long long)fnv1a(raw, sizeof raw - 1));
  CHECK(json_num(j, "kind") == LK_HTTP_BODY_RAW);
  CHECK(!strcmp(json_str(j, "body_hash"), hex));
  cJSON_Delete(j);
  reply_free(&r);
  teardown();
}

static void test_malformed_multipart(void)
{
  struct mp m = { 0 };
  struct reply r;
  cJSON *j;
  setup();
  mp_field(&m, "userid", "x");
  mp_end(&m);
  CHECK(http_post(port, "/echo", "multipart/form-data", m.buf, m.len, 0,
                  &r) == 0 && r.status == 400);
  CHECK(strstr((char *)r.body, "boundary") != NULL);
  reply_free(&r);
  CHECK(http_post(port, "/echo", "multipart/form-data; boundary=other", m.buf,
                  m.len, 0, &r) == 0 && r.status == 400);
  CHECK_MSG(strstr((char *)r.body, "no parts") != NULL, "%s", r.body);
  reply_free(&r);
  /* cut inside the part: a complete request whose body stops early */
  CHECK(http_post(port, "/echo", "multipart/form-data; boundary=" MP_BOUNDARY,
                  m.buf, m.len - 30, 1, &r) == 0 && r.status == 400);
  CHECK_MSG(strstr((char *)r.body, "truncated") != NULL, "%s", r.body);
  reply_free(&r);
  /* an adapter's error shape for the same failure */
  CHECK(http_post(port, "/compreface", "multipart/form-data; boundary=zz",
                  m.buf, m.len, 0, &r) == 0 && r.status == 400);
  j = reply_json(&r);
  CHECK(json_num(j, "code") == 26 && strstr(json_str(j, "message"), "no parts"));
  cJSON_Delete(j);
  reply_free(&r);
  free(m.buf);
  cJSON_Delete(get_json("/echo", 200));   /* still serving */
  teardown();
}

static void test_handler_responses(void)
{
  static const char del[] = "DELETE /nothing HTTP/1.1\r\nHost: t\r\n"
                            "Connection: close\r\n\r\n";
  char v[64];
  struct reply r;
  cJSON *j;
  setup();
  j = get_json("/err", 404);
  CHECK(!strcmp(json_str(j, "error"), lk_strerror(LK_ERR_NOT_FOUND)));
  cJSON_Delete(j);
  CHECK(http_get(port, "/img", &r) == 0 && r.status == 200 && r.len == 6);
  CHECK(reply_header(&r, "Content-Type", v, sizeof v) &&
        !strcmp(v, "image/jpeg"));
  CHECK(reply_header(&r, "X-Test", v, sizeof v) && !strcmp(v, "yes"));
  CHECK(!reply_header(&r, "Injected", v, sizeof v));
  CHECK(r.body[0] == 0xff && r.body[5] == 0xd9);
  reply_free(&r);
  cJSON_Delete(get_json("/badstatus", 500));
  CHECK(http_raw(port, del, sizeof del - 1, &r) == 0 && r.status == 204);
  reply_free(&r);
  teardown();
}

static void test_keepalive_pipelined(void)
{
  int fd, i;
  struct reply r;
  setup();
  fd = client_connect(port);
  /* three requests in one write: libmicrohttpd answers them in order */
  CHECK(client_sendf(fd, "GET /echo?i=0 HTTP/1.1\r\nHost: t\r\n\r\n"
                     "POST /echo?i=1 HTTP/1.1\r\nHost: t\r\nContent-Type: "
                     "application/json\r\nContent-Length: 2\r\n\r\n{}"
                     "GET /echo?i=2 HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
  for(i = 0; i < 3; i++) {
    char want[32];
    CHECK(client_read_reply(fd, &r, 0) == 0 && r.status == 200);
    snprintf(want, sizeof want, "[\"i\",\"%d\"]", i);
    CHECK_MSG(strstr((char *)r.body, want) != NULL, "reply %d: %s", i, r.body);
    reply_free(&r);
  }
  close(fd);
  teardown();
}

static void test_basic_auth(void)
{
  /* "facebox:pa:ss" */
  static const char req[] = "GET /auth HTTP/1.1\r\nHost: t\r\nConnection: "
                            "close\r\nAuthorization: Basic "
                            "ZmFjZWJveDpwYTpzcw==\r\n\r\n";
  char v[64];
  struct reply r;
  cJSON *j;
  setup();
  CHECK(http_raw(port, req, sizeof req - 1, &r) == 0 && r.status == 200);
  j = reply_json(&r);
  CHECK(!strcmp(json_str(j, "user"), "facebox") &&
        !strcmp(json_str(j, "password"), "pa:ss"));
  cJSON_Delete(j);
  reply_free(&r);
  CHECK(http_get(port, "/auth", &r) == 0 && r.status == 401);
  CHECK(reply_header(&r, "WWW-Authenticate", v, sizeof v) &&
        !strncmp(v, "Basic", 5));
  reply_free(&r);
  teardown();
}

static void test_cors(void)
{
  static const char pre[] = "OPTIONS /echo HTTP/1.1\r\nHost: t\r\n"
    "Origin: http://ui.local\r\nAccess-Control-Request-Method: POST\r\n"
    "Access-Control-Request-Headers: x-api-key\r\nConnection: close\r\n\r\n";
  static const char other[] = "GET /echo HTTP/1.1\r\nHost: t\r\n"
    "Origin: http://evil.example\r\nConnection: close\r\n\r\n";
  struct lk_http_config cfg = lk_http_config_default();
  char v[128];
  struct reply r;
  mem_start = lk_mem_in_use();
  cfg.cors_origin = "http://ui.local";
  srv = test_server(&cfg, routes, N_ROUTES);
  port = srv ? lk_http_server_port(srv) : 0;
  CHECK(http_raw(port, pre, sizeof pre - 1, &r) == 0 && r.status == 204);
  CHECK(reply_header(&r, "Access-Control-Allow-Origin", v, sizeof v) &&
        !strcmp(v, "http://ui.local"));
  CHECK(reply_header(&r, "Access-Control-Allow-Methods", v, sizeof v) &&
        strstr(v, "POST"));
  CHECK(reply_header(&r, "Access-Control-Allow-Headers", v, sizeof v) &&
        !strcmp(v, "x-api-key"));
  reply_free(&r);
  CHECK(http_raw(port, other, sizeof other - 1, &r) == 0 && r.status == 200);
  CHECK(!reply_header(&r, "Access-Control-Allow-Origin", v, sizeof v));
  CHECK(reply_header(&r, "Vary", v, sizeof v) && !strcmp(v, "Origin"));
  reply_free(&r);
  teardown();
}

/* The log has one line per request, with the path but never the query or
 * the body; QUIET_PATH routes log their pattern. */
static void test_log_lines(void)
{
  char tmpl[] = "/tmp/lk_http_log_XXXXXX";
  char buf[8192];
  int fd = mkstemp(tmpl), saved = dup(2);
  ssize_t n;
  struct reply r;
  CHECK(fd >= 0 && saved >= 0);
  setup();
  fflush(stderr);
  dup2(fd, 2);
  CHECK(http_post(port, "/echo?token=QUERYSECRET", "application/json",
                  "{\"k\":\"BODYSECRET\"}", 18, 0, &r) == 0 && r.status == 200);
  reply_free(&r);
  CHECK(http_get(port, "/static/KEYSECRET/images/7", &r) == 0);
  reply_free(&r);
  CHECK(http_get(port, "/x%0Afake", &r) == 0 && r.status == 404);
  reply_free(&r);
  teardown();   /* completion (and its log line) happens before stop ends */
  dup2(saved, 2);
  close(saved);
  lseek(fd, 0, SEEK_SET);
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  unlink(tmpl);
  buf[n > 0 ? n : 0] = '\0';
  CHECK_MSG(strstr(buf, "http: POST /echo 200 ") != NULL, "log:\n%s", buf);
  CHECK(strstr(buf, "in 18 out ") != NULL);
  CHECK(strstr(buf, "GET /static/{key}/images/{id} 200") != NULL);
  CHECK(strstr(buf, "GET /x?fake 404") != NULL);
  CHECK(!strstr(buf, "SECRET"));
}

int main(void)
{
  lk_log_set_level(LK_LOG_WARN);
  RUN(test_routes_and_params);
  RUN(test_method_routing);
  RUN(test_404_405_head_options);
  RUN(test_query);
  RUN(test_headers);
  RUN(test_multipart);
  RUN(test_urlencoded);
  RUN(test_json_and_raw);
  RUN(test_malformed_multipart);
  RUN(test_handler_responses);
  RUN(test_keepalive_pipelined);
  RUN(test_basic_auth);
  RUN(test_cors);
  lk_log_set_level(LK_LOG_INFO);
  RUN(test_log_lines);
  return test_report();
}
