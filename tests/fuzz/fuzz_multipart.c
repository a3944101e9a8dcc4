/* fuzz_multipart.c - libFuzzer target for the HTTP request-body parser:
 * each input becomes one POST to a real lk_http server on 127.0.0.1, so
 * the bytes go through the same path as a client's (libmicrohttpd's
 * de-chunking and post processor, our part store, the cJSON parse, the
 * query parser). libmicrohttpd's post processor needs a live connection
 * (it reads Content-Type from it), which is why this is not a plain
 * function call.
 *
 * Input: byte 0 picks the framing (bit 0: chunked, else Content-Length)
 * and the content type (bits 1-3, see lk_fuzz_types); then a query line up
 * to '\n'; for types that take one, a content-type parameter line; the
 * rest is the body. The handler reads every part and body byte and
 * checks the NUL after each, so ASan sees a short buffer, and decodes each
 * as base64, as clients send images (encode + decode must give the same
 * bytes back).
 *
 * Built with -DLK_FUZZ=ON (clang) as tests/fuzz/fuzz_multipart; without
 * it, tests/http/test_http_fuzzcheck.c includes this file and replays its
 * seeds and tests/fuzz/corpus/multipart/ through the same function. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/log.h"
#include "http/api.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lk_http_server *lk_fuzz_srv;

/* Stops the server (at exit, and in the replay test before it checks
 * lk_mem_in_use()). */
static void lk_fuzz_stop(void)
{
  lk_http_server_destroy(lk_fuzz_srv);
  lk_fuzz_srv = NULL;
}

static unsigned lk_fuzz_touch(const unsigned char *p, size_t n)
{
  unsigned sum = 0;
  size_t i;
  for(i = 0; i < n; i++)
    sum += p[i];
  if(p && p[n])
    abort();   /* every part and body is NUL-terminated */
  return sum;
}

/* Every part and body is also base64 text as clients send images: a
 * decode that succeeds must survive encode + decode unchanged. */
static void lk_fuzz_base64(struct lk_http_req *req, const unsigned char *p,
                           size_t n)
{
  struct lk_arena *a = lk_http_req_arena(req);
  unsigned char *bin, *again;
  char *text;
  size_t len, len2;
  if(!p || lk_api_base64((const char *)p, n, a, &bin, &len))
    return;
  text = lk_arena_alloc(a, LK_API_BASE64_LEN(len));
  if(!text)
    return;
  if(lk_api_base64_encode(bin, len, text) != LK_API_BASE64_LEN(len) - 1 ||
     lk_api_base64(text, strlen(text), a, &again, &len2) || len2 != len ||
     memcmp(bin, again, len))
    abort();
}

static lk_err lk_fuzz_handler(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  const struct lk_http_part *parts;
  const struct lk_http_kv *kv;
  const unsigned char *body;
  size_t i, n = lk_http_req_parts(req, &parts), bsize;
  unsigned sum = 0;
  char *text;
  (void)ctx;
  for(i = 0; i < n; i++) {
    sum += lk_fuzz_touch(parts[i].data, parts[i].size) +
           (unsigned)strlen(parts[i].name) +
           (parts[i].filename ? (unsigned)strlen(parts[i].filename) : 0);
    lk_fuzz_base64(req, parts[i].data, parts[i].size);
  }
  body = lk_http_req_body(req, &bsize);
  sum += lk_fuzz_touch(body, bsize);
  lk_fuzz_base64(req, body, bsize);
  n = lk_http_req_queries(req, &kv);
  for(i = 0; i < n; i++)
    sum += (unsigned)strlen(kv[i].key) + (unsigned)strlen(kv[i].value);
  text = lk_http_req_json(req) ? cJSON_PrintUnformatted(lk_http_req_json(req))
                               : NULL;
  cJSON_free(text);
  return lk_http_resp_json(resp, 200, cJSON_CreateNumber(sum));
}

static const struct lk_http_route lk_fuzz_routes[] = {
  { "POST", "/f", lk_fuzz_handler, NULL, 0, NULL },
  { "POST", "/f/{id}", lk_fuzz_handler, NULL, 0, NULL },
};

static int lk_fuzz_start(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  char why[LK_HTTP_ERRMAX];
  if(lk_fuzz_srv)
    return 0;
  lk_log_set_level(LK_LOG_ERROR);
  cfg.bind = "127.0.0.1";
  cfg.port = 0;
  cfg.max_body = 1 << 20;
  cfg.max_parts = 64;
  cfg.max_connections = 8;
  cfg.heavy_max = 0;
  if(lk_http_server_create(&lk_fuzz_srv, &cfg, lk_fuzz_routes, 2) ||
     lk_http_server_start(lk_fuzz_srv, why)) {
    fprintf(stderr, "fuzz_multipart: cannot start the server: %s\n", why);
    abort();
  }
  atexit(lk_fuzz_stop);
  return 0;
}

/* Copies up to '\n' (or the end) into out, keeping only bytes that may
 * appear in a request line or header (keep_space: also ' '). */
static size_t lk_fuzz_line(const uint8_t *d, size_t n, char *out, size_t max,
                           int keep_space)
{
  size_t i, k = 0;
  for(i = 0; i < n && d[i] != '\n'; i++)
    if(k < max - 1 && ((d[i] > 0x20 && d[i] < 0x7f) ||
                       (keep_space && d[i] == ' ')))
      out[k++] = (char)d[i];
  out[k] = '\0';
  return i < n ? i + 1 : i;
}

static const char *const lk_fuzz_types[8] = {
  "multipart/form-data; boundary=BB",
  "multipart/form-data; boundary=%s",
  "application/x-www-form-urlencoded",
  "application/json",
  "multipart/form-data; boundary=\"%s\"",
  "%s",
  "application/octet-stream",
  NULL,
};

static int lk_fuzz_send(int fd, const void *p, size_t n)
{
  const char *c = p;
  while(n) {
    ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
    if(k <= 0)
      return -1;
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

static int lk_fuzz_connect(void)
{
  struct sockaddr_in a;
  struct timeval tv = { 20, 0 };
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if(fd < 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)lk_http_server_port(lk_fuzz_srv));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if(connect(fd, (struct sockaddr *)&a, sizeof a)) {
    close(fd);
    return -1;
  }
  return fd;
}

/* The body, in chunks whose sizes come from the body's own length so a
 * crash replays the same way. */
static int lk_fuzz_body(int fd, const uint8_t *d, size_t n, int chunked)
{
  char line[32];
  size_t off = 0, k;
  if(!chunked)
    return lk_fuzz_send(fd, d, n);
  while(off < n) {
    k = 1 + (off * 7 + n) % 61;
    if(k > n - off)
      k = n - off;
    snprintf(line, sizeof line, "%zx\r\n", k);
    if(lk_fuzz_send(fd, line, strlen(line)) || lk_fuzz_send(fd, d + off, k) ||
       lk_fuzz_send(fd, "\r\n", 2))
      return -1;
    off += k;
  }
  return lk_fuzz_send(fd, "0\r\n\r\n", 5);
}

/* Reads the whole response (the server closes: Connection: close); a
 * server that never answers is a bug. */
static void lk_fuzz_drain(int fd)
{
  char buf[4096];
  ssize_t k;
  while((k = recv(fd, buf, sizeof buf, 0)) > 0)
    ;
  if(k < 0) {
    fprintf(stderr, "fuzz_multipart: no response from the server\n");
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char query[2048], param[256], type[512], head[4096];
  size_t used;
  int flags, fd, n;
  const char *fmt;
  if(!size || lk_fuzz_start())
    return 0;
  flags = data[0];
  used = 1 + lk_fuzz_line(data + 1, size - 1, query, sizeof query, 0);
  fmt = lk_fuzz_types[(flags >> 1) & 7];
  param[0] = '\0';
  if(fmt && strstr(fmt, "%s"))
    used += lk_fuzz_line(data + used, size - used, param, sizeof param, 1);
  if(fmt)
    snprintf(type, sizeof type, fmt, param);
  n = snprintf(head, sizeof head, "POST /f%s%s HTTP/1.1\r\nHost: f\r\n"
               "Connection: close\r\n", query[0] == '/' ? "" : "?", query);
  if(fmt)
    n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\n",
                  type);
  if(flags & 1)
    n += snprintf(head + n, sizeof head - (size_t)n,
                  "Transfer-Encoding: chunked\r\n\r\n");
  else
    n += snprintf(head + n, sizeof head - (size_t)n,
                  "Content-Length: %zu\r\n\r\n", size - used);
  fd = lk_fuzz_connect();
  if(fd < 0)
    abort();
  if(!lk_fuzz_send(fd, head, (size_t)n) &&
     !lk_fuzz_body(fd, data + used, size - used, flags & 1))
    lk_fuzz_drain(fd);
  close(fd);
  return 0;
}
