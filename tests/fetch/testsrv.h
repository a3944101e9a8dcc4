/* testsrv.h - a tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the
 * fetch tests: one thread accepting, one detached thread per connection,
 * every response "Connection: close". Nothing here uses lk_malloc, so the
 * tests' leak counts see only the code under test.
 *
 * Routes (N = byte count):
 *   /small                 1000 pattern bytes, image/jpeg
 *   /bytes/N/cl|chunked|close   N pattern bytes, framed that way
 *   /slow                  headers, then a byte every 50 ms for 10 s
 *   /hang                  reads the request, never answers
 *   /status/S              status S, short body
 *   /notype                5 bytes, no Content-Type
 *   /redir?to=URL          302 Location: URL (taken verbatim)
 *   /chain/K               302 to /chain/K-1 ... /chain/0 = /small
 *   /loop                  302 to /loop
 *   /echo-auth             body = the Authorization header, or "-"
 *   /echo-ua               body = the User-Agent header, or "-"
 *   POST /echo-post        body = "<Content-Type>|<request body>"
 *   POST /status/S         status S (the body read first)
 *   POST /redir?to=URL     302 Location: URL
 *   ANY /echo-req          body = "<METHOD> <x-api-key header or ->"
 */
#ifndef LK_TESTSRV_H
#define LK_TESTSRV_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int tsrv_port;
static int tsrv_fd = -1;
static pthread_t tsrv_thread;
static atomic_int tsrv_stop;
static atomic_int tsrv_active;   /* connection threads still running */
static atomic_int tsrv_requests;
static atomic_int tsrv_accepts;   /* connections ever accepted */

static unsigned char tsrv_pattern_byte(size_t i)
{
  return (unsigned char)(i * 31 + 7);
}

static void tsrv_sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static int tsrv_send(int fd, const void *p, size_t n)
{
  const char *c = p;
  while(n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if(w < 0 && errno == EINTR)
      continue;
    if(w <= 0)
      return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int tsrv_printf(int fd, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

static int tsrv_printf(int fd, const char *fmt, ...)
{
  char buf[4096];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if(n < 0 || (size_t)n >= sizeof buf)
    return -1;
  return tsrv_send(fd, buf, (size_t)n);
}

static void tsrv_reply(int fd, int status, const char *extra,
                       const char *body)
{
  tsrv_printf(fd, "HTTP/1.1 %d X\r\nConnection: close\r\n%s"
              "Content-Length: %zu\r\n\r\n%s", status, extra, strlen(body),
              body);
}

/* N pattern bytes: with Content-Length, chunked, or until close. */
static void tsrv_bytes(int fd, size_t n, const char *mode)
{
  unsigned char buf[16384];
  size_t i, off = 0, k;
  int chunked = !strcmp(mode, "chunked");
  if(!strcmp(mode, "cl"))
    tsrv_printf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                "Content-Length: %zu\r\n\r\n", n);
  else
    tsrv_printf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n%s\r\n",
                chunked ? "Transfer-Encoding: chunked\r\n" : "");
  while(off < n) {
    k = n - off < sizeof buf ? n - off : sizeof buf;
    for(i = 0; i < k; i++)
      buf[i] = tsrv_pattern_byte(off + i);
    if(chunked && tsrv_printf(fd, "%zx\r\n", k))
      return;
    if(tsrv_send(fd, buf, k) || (chunked && tsrv_send(fd, "\r\n", 2)))
      return;
    off += k;
  }
  if(chunked)
    tsrv_send(fd, "0\r\n\r\n", 5);
}

static void tsrv_slow(int fd)
{
  int i;
  if(tsrv_printf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                 "Content-Length: 200\r\n\r\n"))
    return;
  for(i = 0; i < 200 && !atomic_load(&tsrv_stop); i++) {
    if(tsrv_send(fd, "x", 1))
      return;
    tsrv_sleep_ms(50);
  }
}

/* Waits until the client gives up (or the server stops). */
static void tsrv_hang(int fd)
{
  struct pollfd p = { fd, POLLIN, 0 };
  char c;
  int i;
  for(i = 0; i < 200 && !atomic_load(&tsrv_stop); i++)
    if(poll(&p, 1, 50) > 0 && recv(fd, &c, 1, 0) <= 0)
      return;
}

/* Value of header name in req (a copy into out), or "-". */
static void tsrv_header(const char *req, const char *name, char *out,
                        size_t size)
{
  const char *p = req;
  size_t n = strlen(name), k;
  snprintf(out, size, "-");
  for(p = strstr(p, "\r\n"); p; p = strstr(p, "\r\n")) {
    p += 2;
    if(!strncasecmp(p, name, n) && p[n] == ':') {
      p += n + 1;
      while(*p == ' ')
        p++;
      k = strcspn(p, "\r\n");
      snprintf(out, size, "%.*s", (int)k, p);
      return;
    }
  }
}

static void tsrv_route_redirects(int fd, const char *path)
{
  char loc[2100];
  unsigned long k;
  if(!strncmp(path, "/redir?to=", 10)) {
    snprintf(loc, sizeof loc, "Location: %s\r\n", path + 10);
    tsrv_reply(fd, 302, loc, "moved");
  } else if(!strncmp(path, "/chain/", 7)) {
    k = strtoul(path + 7, NULL, 10);
    if(k)
      snprintf(loc, sizeof loc, "Location: /chain/%lu\r\n", k - 1);
    else
      snprintf(loc, sizeof loc, "Location: /small\r\n");
    tsrv_reply(fd, 302, loc, "moved");
  } else {
    tsrv_reply(fd, 302, "Location: /loop\r\n", "again");
  }
}

static void tsrv_route(int fd, const char *path, const char *req)
{
  char hdr[512], mode[16];
  unsigned char body[1000];
  size_t i;
  if(!strcmp(path, "/small")) {
    for(i = 0; i < sizeof body; i++)
      body[i] = tsrv_pattern_byte(i);
    if(!tsrv_printf(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                    "Content-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n",
                    sizeof body))
      tsrv_send(fd, body, sizeof body);
  } else if(!strncmp(path, "/bytes/", 7)) {
    char *end;
    size_t n = strtoul(path + 7, &end, 10);
    snprintf(mode, sizeof mode, "%s", *end == '/' ? end + 1 : "cl");
    tsrv_bytes(fd, n, mode);
  } else if(!strcmp(path, "/slow")) {
    tsrv_slow(fd);
  } else if(!strcmp(path, "/hang")) {
    tsrv_hang(fd);
  } else if(!strncmp(path, "/status/", 8)) {
    tsrv_reply(fd, (int)strtol(path + 8, NULL, 10), "", "status body");
  } else if(!strcmp(path, "/notype")) {
    tsrv_reply(fd, 200, "", "hello");
  } else if(!strcmp(path, "/echo-auth") || !strcmp(path, "/echo-ua")) {
    tsrv_header(req, path[6] == 'a' ? "Authorization" : "User-Agent", hdr,
                sizeof hdr);
    tsrv_reply(fd, 200, "Content-Type: text/plain\r\n", hdr);
  } else if(!strncmp(path, "/redir?", 7) || !strncmp(path, "/chain/", 7) ||
            !strcmp(path, "/loop")) {
    tsrv_route_redirects(fd, path);
  } else {
    tsrv_reply(fd, 404, "", "no such path");
  }
}

/* Reads the request head; returns its length, or -1. */
static int tsrv_read_request(int fd, char *buf, size_t size)
{
  size_t got = 0;
  struct timeval tv = { 5, 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while(got + 1 < size) {
    ssize_t r = recv(fd, buf + got, size - 1 - got, 0);
    if(r <= 0)
      return -1;
    got += (size_t)r;
    buf[got] = '\0';
    if(strstr(buf, "\r\n\r\n"))
      return (int)got;
  }
  return -1;
}

/* A POST's body after the head already in req (len bytes read so far):
 * Content-Length bytes, read to the end; NULL-terminated in body. */
static int tsrv_read_body(int fd, const char *req, int len, char *body,
                          size_t size)
{
  char cl[32];
  const char *start = strstr(req, "\r\n\r\n") + 4;
  size_t want, got = (size_t)(len - (start - req));
  tsrv_header(req, "Content-Length", cl, sizeof cl);
  want = strtoul(cl, NULL, 10);
  if(want >= size || got > want)
    return -1;
  memcpy(body, start, got);
  while(got < want) {
    ssize_t r = recv(fd, body + got, want - got, 0);
    if(r <= 0)
      return -1;
    got += (size_t)r;
  }
  body[got] = '\0';
  return 0;
}

static void tsrv_post(int fd, const char *path, const char *req, int len)
{
  char body[4096], type[256], out[4400];
  if(tsrv_read_body(fd, req, len, body, sizeof body)) {
    tsrv_reply(fd, 400, "", "bad body");
    return;
  }
  if(!strncmp(path, "/status/", 8)) {
    tsrv_reply(fd, (int)strtol(path + 8, NULL, 10), "", "status body");
    return;
  }
  if(!strncmp(path, "/redir?", 7)) {
    tsrv_route_redirects(fd, path);
    return;
  }
  tsrv_header(req, "Content-Type", type, sizeof type);
  snprintf(out, sizeof out, "%s|%s", type, body);
  tsrv_reply(fd, strcmp(path, "/echo-post") ? 404 : 200, "", out);
}

static void *tsrv_conn(void *arg)
{
  int fd = (int)(intptr_t)arg;
  char req[8192], path[2048], method[16];
  int len = tsrv_read_request(fd, req, sizeof req);
  if(len > 0 && sscanf(req, "GET %2047s HTTP/1.1", path) == 1) {
    atomic_fetch_add(&tsrv_requests, 1);
    tsrv_route(fd, path, req);
  } else if(len > 0 && sscanf(req, "POST %2047s HTTP/1.1", path) == 1) {
    atomic_fetch_add(&tsrv_requests, 1);
    tsrv_post(fd, path, req, len);
  } else if(len > 0 && sscanf(req, "%15s %2047s HTTP/1.1", method, path) == 2
            && !strcmp(path, "/echo-req")) {
    char key[256], out[300];
    atomic_fetch_add(&tsrv_requests, 1);
    tsrv_header(req, "x-api-key", key, sizeof key);
    snprintf(out, sizeof out, "%s %s", method, key);
    tsrv_reply(fd, 200, "", out);
  }
  close(fd);
  atomic_fetch_sub(&tsrv_active, 1);
  return NULL;
}

static void *tsrv_accept_loop(void *arg)
{
  struct pollfd p = { tsrv_fd, POLLIN, 0 };
  pthread_attr_t attr;
  pthread_t t;
  (void)arg;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  while(!atomic_load(&tsrv_stop)) {
    int fd;
    if(poll(&p, 1, 50) <= 0)
      continue;
    fd = accept(tsrv_fd, NULL, NULL);
    if(fd < 0)
      continue;
    atomic_fetch_add(&tsrv_accepts, 1);
    atomic_fetch_add(&tsrv_active, 1);
    if(pthread_create(&t, &attr, tsrv_conn, (void *)(intptr_t)fd)) {
      close(fd);
      atomic_fetch_sub(&tsrv_active, 1);
    }
  }
  pthread_attr_destroy(&attr);
  return NULL;
}

static int tsrv_start(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int one = 1;
  tsrv_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if(tsrv_fd < 0)
    return -1;
  setsockopt(tsrv_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if(bind(tsrv_fd, (struct sockaddr *)&a, sizeof a) ||
     listen(tsrv_fd, 64) ||
     getsockname(tsrv_fd, (struct sockaddr *)&a, &len))
    return -1;
  tsrv_port = ntohs(a.sin_port);
  return pthread_create(&tsrv_thread, NULL, tsrv_accept_loop, NULL) ? -1 : 0;
}

static void tsrv_stop_all(void)
{
  int i;
  atomic_store(&tsrv_stop, 1);
  pthread_join(tsrv_thread, NULL);
  close(tsrv_fd);
  for(i = 0; i < 200 && atomic_load(&tsrv_active); i++)
    tsrv_sleep_ms(50);
}

#endif
