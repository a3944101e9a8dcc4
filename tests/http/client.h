/* client.h - a raw HTTP/1.1 client over POSIX sockets for the http tests,
 * plus the echo handler's routes and request builders. Raw bytes let the
 * tests send exactly what they mean: chunked uploads without a
 * Content-Length, truncated bodies, oversized headers, pipelined requests.
 * Test-side memory uses malloc, so lk_mem_in_use() counts only the
 * server's. */
#ifndef LK_TEST_HTTP_CLIENT_H
#define LK_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"

struct reply {
  int status;              /* 0: no status line came back */
  char head[16384];        /* status line and headers */
  unsigned char *body;
  size_t len;
};

static inline void reply_free(struct reply *r)
{
  free(r->body);
  memset(r, 0, sizeof *r);
}

static inline int client_connect(unsigned port)
{
  struct sockaddr_in a;
  struct timeval tv = { 20, 0 };   /* a hung server fails the test */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if(fd < 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if(connect(fd, (struct sockaddr *)&a, sizeof a)) {
    close(fd);
    return -1;
  }
  return fd;
}

static inline int client_send(int fd, const void *data, size_t n)
{
  const char *p = data;
  while(n) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if(k <= 0)
      return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static inline int client_sendf(int fd, const char *fmt, ...)
{
  char buf[8192];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if(n < 0 || (size_t)n >= sizeof buf)
    return -1;
  return client_send(fd, buf, (size_t)n);
}

/* The value of header name in r->head (case-insensitive), copied to out. */
static inline const char *reply_header(const struct reply *r, const char *name,
                                char *out, size_t outsz)
{
  size_t n = strlen(name);
  const char *p = strstr(r->head, "\r\n");
  while(p && p[2]) {
    const char *line = p + 2, *end = strstr(line, "\r\n");
    if(!end)
      break;
    if(!strncasecmp(line, name, n) && line[n] == ':') {
      const char *v = line + n + 1;
      size_t len;
      while(*v == ' ')
        v++;
      len = (size_t)(end - v) < outsz - 1 ? (size_t)(end - v) : outsz - 1;
      memcpy(out, v, len);
      out[len] = '\0';
      return out;
    }
    p = end;
  }
  return NULL;
}

/* Reads one response: headers, then Content-Length bytes (none for HEAD),
 * or up to EOF. 0 on success. */
static inline int client_read_reply(int fd, struct reply *r, int head_only)
{
  char cl[32];
  size_t hl = 0, want = SIZE_MAX, cap = 0;
  char *end = NULL;
  memset(r, 0, sizeof *r);
  while(!end && hl < sizeof r->head - 1) {
    ssize_t k = recv(fd, r->head + hl, 1, 0);   /* bytewise: stop at body */
    if(k <= 0)
      return -1;
    hl++;
    r->head[hl] = '\0';
    end = hl >= 4 ? strstr(r->head + hl - 4, "\r\n\r\n") : NULL;
  }
  if(!end || sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
    return -1;
  if(reply_header(r, "Content-Length", cl, sizeof cl))
    want = strtoul(cl, NULL, 10);
  if(head_only || r->status == 204 || r->status == 304)
    want = 0;
  while(r->len < want) {
    ssize_t k;
    if(r->len == cap) {
      cap = cap ? cap * 2 : 4096;
      r->body = realloc(r->body, cap + 1);
    }
    k = recv(fd, r->body + r->len, cap - r->len < want - r->len
             ? cap - r->len : want - r->len, 0);
    if(k < 0)
      return want == SIZE_MAX ? 0 : -1;
    if(k == 0)
      break;
    r->len += (size_t)k;
  }
  if(!r->body)
    r->body = malloc(1);
  r->body[r->len] = '\0';
  return want == SIZE_MAX || r->len == want ? 0 : -1;
}

/* One request on a fresh connection. */
static inline int http_raw(unsigned port, const void *req, size_t n, struct reply *r)
{
  int fd = client_connect(port), rc;
  memset(r, 0, sizeof *r);
  if(fd < 0)
    return -1;
  rc = client_send(fd, req, n);
  if(!rc)
    rc = client_read_reply(fd, r, 0);
  close(fd);
  return rc;
}

static inline int http_get(unsigned port, const char *target, struct reply *r)
{
  char buf[4096];
  int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: t\r\n"
                   "Connection: close\r\n\r\n", target);
  return http_raw(port, buf, (size_t)n, r);
}

/* Any method, with extra header lines (each ending in "\r\n"; NULL for
 * none) and a body of content type type (NULL: no body) sent with a
 * Content-Length, or chunked (chunk sizes cycle through odd values so
 * boundaries and escapes fall across chunks). */
static inline int http_request(unsigned port, const char *method,
                               const char *target, const char *headers,
                               const char *type, const void *body, size_t n,
                               int chunked, struct reply *r)
{
  static const size_t sizes[] = { 1, 7, 3, 100, 4093, 17, 65536, 2 };
  const unsigned char *p = body;
  size_t off = 0, i = 0;
  int fd = client_connect(port), rc;
  memset(r, 0, sizeof *r);
  if(fd < 0)
    return -1;
  rc = client_sendf(fd, "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                    "%s", method, target, headers ? headers : "");
  if(!rc && type)
    rc = client_sendf(fd, "Content-Type: %s\r\n", type);
  if(!rc && !chunked)
    rc = client_sendf(fd, "Content-Length: %zu\r\n\r\n", type ? n : 0);
  if(!rc && chunked)
    rc = client_sendf(fd, "Transfer-Encoding: chunked\r\n\r\n");
  if(!rc && !chunked && type)
    rc = client_send(fd, body, n);
  while(!rc && chunked && off < n) {
    size_t k = sizes[i++ % 8];
    if(k > n - off)
      k = n - off;
    rc = client_sendf(fd, "%zx\r\n", k);
    if(!rc)
      rc = client_send(fd, p + off, k);
    if(!rc)
      rc = client_send(fd, "\r\n", 2);
    off += k;
  }
  if(!rc && chunked)
    rc = client_send(fd, "0\r\n\r\n", 5);
  if(!rc)
    rc = client_read_reply(fd, r, !strcmp(method, "HEAD"));
  close(fd);
  return rc;
}

/* POST with a body: Content-Length, or chunked. */
static inline int http_post(unsigned port, const char *target, const char *type,
                     const void *body, size_t n, int chunked, struct reply *r)
{
  return http_request(port, "POST", target, NULL, type, body, n, chunked, r);
}

/* A growable multipart/form-data body. */
#define MP_BOUNDARY "----lkTestBoundary7MA4YWxkTrZu0gW"

struct mp {
  char *buf;
  size_t len;
  size_t cap;
};

static inline void mp_add(struct mp *m, const void *data, size_t n)
{
  if(m->len + n + 1 > m->cap) {
    m->cap = (m->len + n + 1) * 2;
    m->buf = realloc(m->buf, m->cap);
  }
  memcpy(m->buf + m->len, data, n);
  m->len += n;
  m->buf[m->len] = '\0';
}

static inline void mp_addf(struct mp *m, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  mp_add(m, buf, (size_t)n);
}

static inline void mp_field(struct mp *m, const char *name, const char *value)
{
  mp_addf(m, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n",
          MP_BOUNDARY, name);
  mp_add(m, value, strlen(value));
  mp_add(m, "\r\n", 2);
}

static inline void mp_file(struct mp *m, const char *name, const char *filename,
                    const char *type, const void *data, size_t n)
{
  mp_addf(m, "--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
          "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n", MP_BOUNDARY, name,
          filename, type);
  mp_add(m, data, n);
  mp_add(m, "\r\n", 2);
}

static inline void mp_end(struct mp *m)
{
  mp_addf(m, "--%s--\r\n", MP_BOUNDARY);
}

/* Bytes that look like multipart syntax, NULs and CRLFs included: the
 * boundary less its last character (a real boundary never occurs in data,
 * RFC 2046 5.1.1). */
static inline unsigned char *test_bytes(size_t n, unsigned seed)
{
  static const char trap[] = "\r\n------lkTestBoundary7MA4YWxkTrZu0g\r\n"
                             "\0%41+&=";
  unsigned char *p = malloc(n ? n : 1);
  uint32_t x = seed * 2654435761u + 1;
  size_t i;
  for(i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = (unsigned char)(x >> 16);
    if((x >> 8) % 251 == 0 && i + sizeof trap < n) {
      memcpy(p + i, trap, sizeof trap - 1);
      i += sizeof trap - 2;
    }
  }
  return p;
}

static inline uint64_t fnv1a(const void *data, size_t n)
{
  const unsigned char *p = data;
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for(i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

static inline void sleep_ms(unsigned ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

/* The echo handler: the request as JSON, bytes as size + FNV-1a hash. */
static inline void echo_hex(cJSON *o, const char *key, const void *data, size_t n)
{
  char hex[24];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fnv1a(data, n));
  cJSON_AddStringToObject(o, key, hex);
}

static inline cJSON *echo_parts(const struct lk_http_req *req)
{
  const struct lk_http_part *parts;
  size_t i, n = lk_http_req_parts(req, &parts);
  cJSON *a = cJSON_CreateArray();
  for(i = 0; a && i < n; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", parts[i].name);
    if(parts[i].filename)
      cJSON_AddStringToObject(p, "filename", parts[i].filename);
    if(parts[i].content_type)
      cJSON_AddStringToObject(p, "type", parts[i].content_type);
    cJSON_AddNumberToObject(p, "size", (double)parts[i].size);
    echo_hex(p, "hash", parts[i].data, parts[i].size);
    if(parts[i].size < 200 && !parts[i].filename)
      cJSON_AddStringToObject(p, "value", (const char *)parts[i].data);
    cJSON_AddItemToArray(a, p);
  }
  return a;
}

static inline lk_err echo(struct lk_http_req *req, struct lk_http_resp *resp,
                   void *ctx)
{
  static const char *const params[] = { "image_id", "name", "key", "id" };
  const struct lk_http_kv *kv;
  const unsigned char *body;
  size_t i, n = lk_http_req_queries(req, &kv), size;
  cJSON *o = cJSON_CreateObject(), *q = cJSON_CreateArray();
  (void)ctx;
  cJSON_AddStringToObject(o, "method", lk_http_req_method(req));
  cJSON_AddStringToObject(o, "path", lk_http_req_path(req));
  for(i = 0; i < 4; i++)
    if(lk_http_req_param(req, params[i]))
      cJSON_AddStringToObject(o, params[i], lk_http_req_param(req, params[i]));
  for(i = 0; i < n; i++) {
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(kv[i].key));
    cJSON_AddItemToArray(pair, cJSON_CreateString(kv[i].value));
    cJSON_AddItemToArray(q, pair);
  }
  cJSON_AddItemToObject(o, "query", q);
  cJSON_AddNumberToObject(o, "kind", lk_http_req_body_kind(req));
  if(lk_http_req_header(req, "x-api-key"))
    cJSON_AddStringToObject(o, "x_api_key", lk_http_req_header(req, "X-API-KEY"));
  cJSON_AddItemToObject(o, "parts", echo_parts(req));
  body = lk_http_req_body(req, &size);
  cJSON_AddNumberToObject(o, "body_size", (double)size);
  echo_hex(o, "body_hash", body, size);
  if(lk_http_req_json(req))
    cJSON_AddItemToObject(o, "json", cJSON_Duplicate(lk_http_req_json(req), 1));
  return lk_http_resp_json(resp, 200, o);
}

static inline cJSON *reply_json(const struct reply *r)
{
  return r->body ? cJSON_ParseWithLength((const char *)r->body, r->len) : NULL;
}

/* A whole file in malloc'd memory (NULL and *len 0 when unreadable). */
static inline unsigned char *client_slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  unsigned char *p = NULL;
  long n;
  *len = 0;
  if(f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 &&
     !fseek(f, 0, SEEK_SET) && (p = malloc((size_t)n + 1)) &&
     fread(p, 1, (size_t)n, f) == (size_t)n)
    *len = (size_t)n;
  if(f)
    fclose(f);
  if(!*len)
    fprintf(stderr, "cannot read %s\n", path);
  return p;
}

/* One POST as curl -F builds it from ap: "name=value" is a field,
 * "name=@path" a file, NULL ends the list; headers as for http_request.
 * No fields: an empty urlencoded body, as requests.post(url) sends.
 * Returns the status (0: no answer or an unreadable file) and the body
 * parsed as JSON in *out. */
static inline int client_vsend_form(unsigned port, const char *headers,
                                    int chunked, const char *target,
                                    cJSON **out, va_list ap)
{
  struct mp m = { NULL, 0, 0 };
  struct reply r;
  const char *arg;
  int status, unreadable = 0;
  while((arg = va_arg(ap, const char *))) {
    const char *eq = strchr(arg, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
    if(eq[1] == '@') {
      size_t n;
      unsigned char *d = client_slurp(eq + 2, &n);
      unreadable |= !d;
      mp_file(&m, name, strrchr(eq, '/') + 1, "image/jpeg",
              d ? d : (const unsigned char *)"", n);
      free(d);
    } else {
      mp_field(&m, name, eq + 1);
    }
  }
  if(m.len)
    mp_end(&m);
  status = http_request(port, "POST", target, headers,
                        m.len ? "multipart/form-data; boundary=" MP_BOUNDARY
                              : "application/x-www-form-urlencoded",
                        m.buf ? m.buf : "", m.len, chunked, &r)
           ? 0 : r.status;
  *out = reply_json(&r);
  reply_free(&r);
  free(m.buf);
  return unreadable ? 0 : status;
}

static inline int client_vpost_form(unsigned port, int chunked,
                                    const char *target, cJSON **out,
                                    va_list ap)
{
  return client_vsend_form(port, NULL, chunked, target, out, ap);
}

static inline const char *json_str(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static inline double json_num(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* A server on 127.0.0.1 and a free port, log quiet unless asked. */
static inline struct lk_http_server *test_server(struct lk_http_config *cfg,
                                          const struct lk_http_route *routes,
                                          size_t n)
{
  struct lk_http_server *srv = NULL;
  char why[LK_HTTP_ERRMAX];
  cfg->bind = "127.0.0.1";
  cfg->port = 0;
  if(lk_http_server_create(&srv, cfg, routes, n))
    return NULL;
  if(lk_http_server_start(srv, why)) {
    fprintf(stderr, "start: %s\n", why);
    lk_http_server_destroy(srv);
    return NULL;
  }
  return srv;
}

#endif
