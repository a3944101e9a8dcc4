/* bench/load.c: HTTP load generator for `likeness serve` (127.0.0.1 only).
 *
 *   cc -O2 -pthread -o load bench/load.c
 *   load --port P --image FILE [--clients N] [--duration S]
 *        [--max-requests M] [--timeout-ms T] [--path /v1/...] [--no-retry-wait]
 *
 * Each client thread keeps one HTTP/1.1 keep-alive connection to
 * 127.0.0.1:P and POSTs the same prebuilt multipart body (one `image` part)
 * in a loop until the duration is over or the requests run out. It records
 * each request's latency and status. A 503 with Retry-After makes that client
 * sleep for it (at most 5 s) like a polite client would, unless
 * --no-retry-wait. A request with no answer within --timeout-ms counts as a
 * timeout and its connection is dropped and reopened.
 *
 * Prints one human-readable summary and, last, one line
 *   RESULT clients=N seconds=S requests=R ok=A busy=B other=C errors=E
 *          timeouts=T rps=X ok_rps=Y p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
 * where the percentiles are over the 200 answers only.
 * Not part of the test run; see bench/README.md ("Load").
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef LOAD_CFLAGS
#define LOAD_CFLAGS "unknown"
#endif

#define MAX_CLIENTS 256
#define MAX_DURATION_S 60.0
#define MAX_REQUESTS_CAP 1000000L
#define MAX_IMAGE (20L * 1024 * 1024)
#define HDR_MAX 16384

enum outcome { OK_200, BUSY_503, OTHER_STATUS, NET_ERROR, TIMED_OUT };

struct client {
  pthread_t tid;
  int idx;
  double *lat_ms;       /* latencies of 200 answers */
  size_t n_lat, cap_lat;
  long n[5];            /* by enum outcome */
  double max_any_ms;    /* slowest answer of any status */
  long reconnects;
};

static unsigned short g_port;
static const char *g_request;   /* headers + body, prebuilt */
static size_t g_request_len;
static double g_deadline;       /* monotonic seconds */
static long g_max_requests;
static atomic_long g_issued;
static int g_timeout_ms = 30000;
static int g_retry_wait = 1;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
  struct timespec ts;
  if(s <= 0)
    return;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  while(nanosleep(&ts, &ts) && errno == EINTR)
    ;
}

static int connect_local(void)
{
  struct sockaddr_in sa;
  struct timeval tv;
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if(fd < 0)
    return -1;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(g_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1, nothing else */
  tv.tv_sec = g_timeout_ms / 1000;
  tv.tv_usec = (g_timeout_ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if(connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    close(fd);
    return -1;
  }
  return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
  while(n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads into buf[*len..cap); -1 error, -2 timeout, 0 EOF, else bytes. */
static ssize_t recv_some(int fd, char *buf, size_t *len, size_t cap)
{
  ssize_t r;
  if(*len >= cap)
    return -1;
  do
    r = recv(fd, buf + *len, cap - *len, 0);
  while(r < 0 && errno == EINTR);
  if(r < 0)
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? -2 : -1;
  *len += (size_t)r;
  return r;
}

static const char *find_hdr(const char *hdrs, const char *end,
                            const char *name)
{
  size_t nl = strlen(name);
  const char *p = hdrs;
  while(p < end) {
    const char *eol = strstr(p, "\r\n");
    if(!eol || eol > end)
      eol = end;
    if((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
      p += nl + 1;
      while(*p == ' ' || *p == '\t')
        p++;
      return p;
    }
    p = eol + 2;
  }
  return NULL;
}

/* Skips `n` body bytes, some of which may already be in buf[off..len). */
static int skip_body(int fd, char *buf, size_t off, size_t len, long n,
                     int *timed_out)
{
  long have = (long)(len - off);
  n -= have < n ? have : n;
  while(n > 0) {
    size_t l = 0;
    ssize_t r = recv_some(fd, buf, &l, (size_t)(n < HDR_MAX ? n : HDR_MAX));
    if(r <= 0) {
      *timed_out = r == -2;
      return -1;
    }
    n -= r;
  }
  return 0;
}

/* Reads one response. Returns the status, or -1 on error (*timed_out set for
 * a timeout). *close_after: the server will close the connection. */
static int read_response(int fd, int *close_after, double *retry_after,
                         int *timed_out)
{
  char buf[HDR_MAX + 1];
  size_t len = 0;
  char *eoh;
  int status;
  const char *v, *end;
  long clen = -1;

  *timed_out = 0;
  *close_after = 0;
  *retry_after = 0;
  for(;;) {
    ssize_t r = recv_some(fd, buf, &len, HDR_MAX);
    if(r <= 0) {
      *timed_out = r == -2;
      return -1;
    }
    buf[len] = 0;
    if((eoh = strstr(buf, "\r\n\r\n")))
      break;
  }
  if(sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
    return -1;
  end = eoh + 2;
  if((v = find_hdr(buf, end, "Connection")) && !strncasecmp(v, "close", 5))
    *close_after = 1;
  if((v = find_hdr(buf, end, "Retry-After")))
    *retry_after = atof(v);
  if((v = find_hdr(buf, end, "Content-Length")))
    clen = atol(v);
  if(clen >= 0)
    return skip_body(fd, buf, (size_t)(eoh + 4 - buf), len, clen, timed_out)
           ? -1 : status;
  if((v = find_hdr(buf, end, "Transfer-Encoding")) &&
     !strncasecmp(v, "chunked", 7)) {
    /* Shift the unread bytes to the front and walk the chunks. */
    size_t off = (size_t)(eoh + 4 - buf);
    memmove(buf, buf + off, len - off);
    len -= off;
    for(;;) {
      char *crlf;
      long sz;
      buf[len] = 0;
      while(!(crlf = strstr(buf, "\r\n"))) {
        ssize_t r = recv_some(fd, buf, &len, HDR_MAX);
        if(r <= 0) {
          *timed_out = r == -2;
          return -1;
        }
        buf[len] = 0;
      }
      sz = strtol(buf, NULL, 16);
      off = (size_t)(crlf + 2 - buf);
      if(sz == 0) {
        /* Trailer: we expect none, just the final CRLF. */
        while(len - off < 2) {
          ssize_t r = recv_some(fd, buf, &len, HDR_MAX);
          if(r <= 0) {
            *timed_out = r == -2;
            return -1;
          }
        }
        return status;
      }
      {
        long want = sz + 2; /* data + CRLF */
        long have = (long)(len - off);
        if(have >= want) {
          memmove(buf, buf + off + want, (size_t)(have - want));
          len = (size_t)(have - want);
        } else {
          if(skip_body(fd, buf, off, len, want, timed_out))
            return -1;
          len = 0;
        }
      }
    }
  }
  /* No length: the body runs to the end of the connection. */
  *close_after = 1;
  for(;;) {
    size_t l = 0;
    ssize_t r = recv_some(fd, buf, &l, HDR_MAX);
    if(r == 0)
      return status;
    if(r < 0) {
      *timed_out = r == -2;
      return -1;
    }
  }
}

static void record(struct client *c, enum outcome o, double ms)
{
  c->n[o]++;
  if(o != NET_ERROR && o != TIMED_OUT && ms > c->max_any_ms)
    c->max_any_ms = ms;
  if(o != OK_200)
    return;
  if(c->n_lat == c->cap_lat) {
    size_t cap = c->cap_lat ? c->cap_lat * 2 : 1024;
    double *p = realloc(c->lat_ms, cap * sizeof *p);
    if(!p) {
      perror("load: realloc");
      exit(2);
    }
    c->lat_ms = p;
    c->cap_lat = cap;
  }
  c->lat_ms[c->n_lat++] = ms;
}

static void *client_main(void *arg)
{
  struct client *c = arg;
  int fd = -1;

  while(now_s() < g_deadline) {
    double t0, ms, retry_after;
    int status, close_after, timed_out;

    if(atomic_fetch_add(&g_issued, 1) >= g_max_requests)
      break;
    if(fd < 0) {
      if((fd = connect_local()) < 0) {
        record(c, NET_ERROR, 0);
        sleep_s(0.1);
        continue;
      }
      c->reconnects++;
    }
    t0 = now_s();
    if(send_all(fd, g_request, g_request_len)) {
      record(c, (errno == EAGAIN || errno == EWOULDBLOCK) ? TIMED_OUT
                                                          : NET_ERROR, 0);
      close(fd);
      fd = -1;
      continue;
    }
    status = read_response(fd, &close_after, &retry_after, &timed_out);
    ms = (now_s() - t0) * 1e3;
    if(status < 0) {
      record(c, timed_out ? TIMED_OUT : NET_ERROR, ms);
      close(fd);
      fd = -1;
      continue;
    }
    record(c, status == 200 ? OK_200 : status == 503 ? BUSY_503
                                                     : OTHER_STATUS, ms);
    if(close_after) {
      close(fd);
      fd = -1;
    }
    if(status == 503 && g_retry_wait && retry_after > 0) {
      double left = g_deadline - now_s();
      double w = retry_after > 5 ? 5 : retry_after;
      sleep_s(w < left ? w : left);
    }
  }
  if(fd >= 0)
    close(fd);
  return NULL;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
  size_t i;
  if(!n)
    return 0;
  i = (size_t)(p / 100.0 * (double)n + 0.999999);
  if(i < 1)
    i = 1;
  return v[(i > n ? n : i) - 1]; /* nearest rank */
}

static char *read_file(const char *path, size_t *n)
{
  FILE *f = fopen(path, "rb");
  char *p;
  long sz;
  if(!f)
    return NULL;
  if(fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || sz > MAX_IMAGE ||
     fseek(f, 0, SEEK_SET) || !(p = malloc((size_t)sz + 1))) {
    fclose(f);
    return NULL;
  }
  if(fread(p, 1, (size_t)sz, f) != (size_t)sz) {
    free(p);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *n = (size_t)sz;
  return p;
}

static void build_request(const char *path, const char *img, size_t img_len)
{
  static const char boundary[] = "likenessload7d3f1c9a2b";
  char head[512], part[512], tail[64], *p;
  int hl, pl, tl;
  size_t body;

  pl = snprintf(part, sizeof part,
                "--%s\r\nContent-Disposition: form-data; name=\"image\"; "
                "filename=\"face.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n",
                boundary);
  tl = snprintf(tail, sizeof tail, "\r\n--%s--\r\n", boundary);
  body = (size_t)pl + img_len + (size_t)tl;
  hl = snprintf(head, sizeof head,
                "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                "User-Agent: likeness-bench-load\r\n"
                "Content-Type: multipart/form-data; boundary=%s\r\n"
                "Content-Length: %zu\r\n\r\n",
                path, (unsigned)g_port, boundary, body);
  g_request_len = (size_t)hl + body;
  if(!(p = malloc(g_request_len))) {
    perror("load: malloc");
    exit(2);
  }
  memcpy(p, head, (size_t)hl);
  memcpy(p + hl, part, (size_t)pl);
  memcpy(p + hl + pl, img, img_len);
  memcpy(p + hl + pl + img_len, tail, (size_t)tl);
  g_request = p;
}

static void usage(void)
{
  fprintf(stderr,
          "usage: load --port P --image FILE [--clients N (1..%d)] "
          "[--duration S (<= %.0f)]\n"
          "            [--max-requests M] [--timeout-ms T] [--path PATH] "
          "[--no-retry-wait]\n",
          MAX_CLIENTS, MAX_DURATION_S);
  exit(2);
}

int main(int argc, char **argv)
{
  const char *image = NULL, *path = "/v1/vision/face/recognize";
  int clients = 1, i;
  double duration = 10, t0, elapsed, max_any = 0;
  long port = 0, tot[5] = {0}, reconnects = 0, requests;
  struct client *cs;
  double *all;
  size_t n_all = 0, img_len;
  char *img;

  g_max_requests = 100000;
  for(i = 1; i < argc; i++) {
    const char *a = argv[i];
    if(!strcmp(a, "--no-retry-wait")) {
      g_retry_wait = 0;
      continue;
    }
    if(i + 1 >= argc)
      usage();
    if(!strcmp(a, "--port"))
      port = atol(argv[++i]);
    else if(!strcmp(a, "--image"))
      image = argv[++i];
    else if(!strcmp(a, "--clients"))
      clients = atoi(argv[++i]);
    else if(!strcmp(a, "--duration"))
      duration = atof(argv[++i]);
    else if(!strcmp(a, "--max-requests"))
      g_max_requests = atol(argv[++i]);
    else if(!strcmp(a, "--timeout-ms"))
      g_timeout_ms = atoi(argv[++i]);
    else if(!strcmp(a, "--path"))
      path = argv[++i];
    else
      usage();
  }
  if(!image || port < 1 || port > 65535 || clients < 1 ||
     clients > MAX_CLIENTS || !(duration > 0) || duration > MAX_DURATION_S ||
     g_max_requests < 1 || g_max_requests > MAX_REQUESTS_CAP ||
     g_timeout_ms < 1 || path[0] != '/')
    usage();
  g_port = (unsigned short)port;
  if(!(img = read_file(image, &img_len))) {
    fprintf(stderr, "load: cannot read %s (or over %ld bytes)\n", image,
            MAX_IMAGE);
    return 2;
  }
  build_request(path, img, img_len);
  free(img);

  cs = calloc((size_t)clients, sizeof *cs);
  if(!cs)
    return 2;
  t0 = now_s();
  g_deadline = t0 + duration;
  for(i = 0; i < clients; i++) {
    cs[i].idx = i;
    if(pthread_create(&cs[i].tid, NULL, client_main, &cs[i])) {
      fprintf(stderr, "load: pthread_create failed\n");
      return 2;
    }
  }
  for(i = 0; i < clients; i++)
    pthread_join(cs[i].tid, NULL);
  elapsed = now_s() - t0;

  for(i = 0; i < clients; i++)
    n_all += cs[i].n_lat;
  all = malloc((n_all ? n_all : 1) * sizeof *all);
  if(!all)
    return 2;
  n_all = 0;
  for(i = 0; i < clients; i++) {
    int k;
    memcpy(all + n_all, cs[i].lat_ms, cs[i].n_lat * sizeof *all);
    n_all += cs[i].n_lat;
    for(k = 0; k < 5; k++)
      tot[k] += cs[i].n[k];
    reconnects += cs[i].reconnects;
    if(cs[i].max_any_ms > max_any)
      max_any = cs[i].max_any_ms;
    free(cs[i].lat_ms);
  }
  qsort(all, n_all, sizeof *all, cmp_double);
  requests = tot[0] + tot[1] + tot[2] + tot[3] + tot[4];

  printf("load: %d client thread%s, %s, %.1f s, %zu-byte request, "
         "timeout %d ms, 503 %s\n",
         clients, clients == 1 ? "" : "s", path, elapsed, g_request_len,
         g_timeout_ms, g_retry_wait ? "honours Retry-After" : "retried at once");
  printf("load: built %s, cc %s\n", LOAD_CFLAGS, __VERSION__);
  printf("load: %ld requests (%.1f req/s), 200: %ld (%.1f req/s), 503: %ld, "
         "other: %ld, errors: %ld, timeouts: %ld, connections: %ld\n",
         requests, requests / elapsed, tot[OK_200], tot[OK_200] / elapsed,
         tot[BUSY_503], tot[OTHER_STATUS], tot[NET_ERROR], tot[TIMED_OUT],
         reconnects);
  printf("load: 200 latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f "
         "(slowest answer of any status %.1f)\n",
         pct(all, n_all, 50), pct(all, n_all, 90), pct(all, n_all, 99),
         n_all ? all[n_all - 1] : 0.0, max_any);
  printf("RESULT clients=%d seconds=%.2f requests=%ld ok=%ld busy=%ld "
         "other=%ld errors=%ld timeouts=%ld rps=%.2f ok_rps=%.2f "
         "p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
         clients, elapsed, requests, tot[OK_200], tot[BUSY_503],
         tot[OTHER_STATUS], tot[NET_ERROR], tot[TIMED_OUT], requests / elapsed,
         tot[OK_200] / elapsed, pct(all, n_all, 50), pct(all, n_all, 90),
         pct(all, n_all, 99), n_all ? all[n_all - 1] : 0.0);
  free(all);
  free(cs);
  free((void *)g_request);
  return tot[NET_ERROR] || tot[TIMED_OUT] || tot[OTHER_STATUS] ? 1 : 0;
}
