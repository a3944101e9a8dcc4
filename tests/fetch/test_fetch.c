/* test_fetch.c - lk_fetch_url and lk_fetch_trusted against the test server
 * in testsrv.h (127.0.0.1 only): limits, redirects, the guard at connect
 * time, credentials, errors, allocation failures and threads.
 *
 * No traffic leaves loopback when the guard works: the only other targets
 * (169.254.169.254, ::1) are refused before a socket exists, and the
 * metadata address uses port 1 with a short connect timeout so a broken
 * guard would cost one SYN, not a hang. */
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "fetch/fetch.h"
#include "test.h"
#include "testsrv.h"

static size_t mem0;         /* lk_mem_in_use once curl is initialised */
static char base[64];       /* "http://127.0.0.1:PORT" */
static char lhost[64];      /* "http://localhost:PORT" */

struct got {
  lk_err err;
  unsigned char *data;
  size_t len;
  char *ctype;
  char why[LK_FETCH_ERRMAX];
};

static void got_url(struct got *g, const struct lk_fetch_policy *p,
                    const char *url)
{
  memset(g, 0, sizeof *g);
  g->err = lk_fetch_url(p, url, &g->data, &g->len, &g->ctype, g->why);
}

static void got_path(struct got *g, const struct lk_fetch_policy *p,
                     const char *path)
{
  char url[LK_FETCH_URL_MAX];
  snprintf(url, sizeof url, "%s%s", base, path);
  got_url(g, p, url);
}

static void got_trusted(struct got *g, const struct lk_fetch_policy *p,
                        const struct lk_fetch_auth *a, const char *path)
{
  char url[1024];
  snprintf(url, sizeof url, "%s%s", base, path);
  memset(g, 0, sizeof *g);
  g->err = lk_fetch_trusted(p, a, url, &g->data, &g->len, &g->ctype,
                            g->why);
}

/* Frees the result and checks that nothing else is left allocated. */
static void got_free(struct got *g)
{
  lk_free(g->data);
  lk_free(g->ctype);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes left after a fetch",
            lk_mem_in_use() - mem0);
}

static int pattern_ok(const unsigned char *d, size_t n)
{
  size_t i;
  for(i = 0; i < n; i++)
    if(d[i] != tsrv_pattern_byte(i))
      return 0;
  return 1;
}

static int got_is(const struct got *g, lk_err e, const char *msg)
{
  return g->err == e && (!msg || !strcmp(g->why, msg));
}

#define CHECK_GOT(g, e, msg) CHECK_MSG(got_is(&(g), (e), (msg)), \
    "got %s \"%s\", want %s \"%s\"", lk_strerror((g).err), \
    (g).err ? (g).why : "", lk_strerror(e), (msg) ? (msg) : "")

static struct lk_fetch_policy private_policy(void)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  p.allow_private = 1;
  return p;
}

static void test_loopback_refused_by_default(void)
{
  struct got g;
  char url[128];
  int before = atomic_load(&tsrv_accepts);
  got_path(&g, NULL, "/small");
  CHECK_GOT(g, LK_ERR_DENIED, "refused: 127.0.0.1 is a loopback address");
  CHECK(g.data == NULL && g.len == 0 && g.ctype == NULL);
  got_free(&g);
  /* a name: refused only once resolved, at connect time */
  snprintf(url, sizeof url, "%s/small", lhost);
  got_url(&g, NULL, url);
  CHECK_MSG(g.err == LK_ERR_DENIED && strstr(g.why, "is a loopback address"),
            "%s", g.why);
  got_free(&g);
  /* curl resolves *.localhost itself, to ::1 and 127.0.0.1 */
  snprintf(url, sizeof url, "http://cam.localhost:%d/small", tsrv_port);
  got_url(&g, NULL, url);
  CHECK_MSG(g.err == LK_ERR_DENIED && strstr(g.why, "is a loopback address"),
            "%s", g.why);
  got_free(&g);
  CHECK_MSG(atomic_load(&tsrv_accepts) == before,
            "the guard let a connection through");
}

static void test_allow_private(void)
{
  struct lk_fetch_policy p = private_policy();
  struct got g;
  got_path(&g, &p, "/small");
  CHECK_GOT(g, LK_OK, NULL);
  CHECK(g.len == 1000 && pattern_ok(g.data, g.len) && g.data[1000] == 0);
  CHECK(g.ctype && !strcmp(g.ctype, "image/jpeg"));
  got_free(&g);
}

static void test_allow_list_cidr(void)
{
  const char *mine[] = { "10.0.0.0/8", "127.0.0.1/32", NULL };
  const char *mapped[] = { "::ffff:127.0.0.0/104", NULL };
  const char *other[] = { "10.0.0.0/8", "127.0.0.2", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  struct got g;
  p.allow = mine;
  got_path(&g, &p, "/small");
  CHECK_GOT(g, LK_OK, NULL);
  got_free(&g);
  p.allow = mapped;
  got_path(&g, &p, "/small");
  CHECK_GOT(g, LK_OK, NULL);
  got_free(&g);
  p.allow = other;
  got_path(&g, &p, "/small");
  CHECK_GOT(g, LK_ERR_DENIED, "refused: 127.0.0.1 is a loopback address");
  got_free(&g);
}

/* A host entry opens the URLs naming that host, checked on every hop. */
static void test_allow_list_host(void)
{
  const char *allow[] = { "LocalHost", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  char url[256];
  struct got g;
  p.allow = allow;
  snprintf(url, sizeof url, "%s/small", lhost);
  got_url(&g, &p, url);
  CHECK_GOT(g, LK_OK, NULL);
  CHECK(g.len == 1000);
  got_free(&g);
  got_path(&g, &p, "/small");
  CHECK_GOT(g, LK_ERR_DENIED, "refused: 127.0.0.1 is a loopback address");
  got_free(&g);
  snprintf(url, sizeof url, "%s/redir?to=%s/small", lhost, base);
  got_url(&g, &p, url);
  CHECK_GOT(g, LK_ERR_DENIED, "refused: 127.0.0.1 is a loopback address");
  got_free(&g);
}

static void test_trusted(void)
{
  struct got g;
  got_trusted(&g, NULL, NULL, "/small");
  CHECK_GOT(g, LK_OK, NULL);
  CHECK(g.len == 1000 && pattern_ok(g.data, g.len));
  got_free(&g);
  got_trusted(&g, NULL, NULL, "/redir?to=/chain/1");
  CHECK_GOT(g, LK_OK, NULL);
  got_free(&g);
  got_trusted(&g, NULL, NULL, "/status/403");
  CHECK_GOT(g, LK_ERR_IO, "HTTP 403");
  got_free(&g);
}

/* A request with a body to an admin-configured URL: the body, its type
 * and extra headers arrive; 4xx is an error unless any_status; no redirect
 * is followed; header injection is refused. */
static void test_trusted_send(void)
{
  static const char *const hdrs[] = { "x-api-key: k3y", NULL };
  static const char *const evil[] = { "x: 1\r\nHost: evil", NULL };
  struct lk_fetch_body b;
  unsigned char *data = NULL;
  size_t len = 0;
  long status = 0;
  char url[128], why[LK_FETCH_ERRMAX] = "";

  memset(&b, 0, sizeof b);
  b.content_type = "application/json";
  b.data = "{\"subLabel\":\"ada\"}";
  b.len = 19;
  snprintf(url, sizeof url, "%s/echo-post", base);
  CHECK_MSG(lk_fetch_trusted_send(NULL, NULL, url, &b, &status, &data, &len,
                                  why) == LK_OK, "%s", why);
  CHECK(status == 200 && data &&
        !strcmp((char *)data, "application/json|{\"subLabel\":\"ada\"}"));
  lk_free(data);
  b.len = 0;
  CHECK(lk_fetch_trusted_send(NULL, NULL, url, &b, NULL, NULL, NULL, why) ==
        LK_OK);
  snprintf(url, sizeof url, "%s/status/400", base);
  b.len = 19;
  CHECK(lk_fetch_trusted_send(NULL, NULL, url, &b, &status, NULL, NULL,
                              why) == LK_ERR_IO && !strcmp(why, "HTTP 400"));
  CHECK(status == 400);
  b.any_status = 1;
  CHECK(lk_fetch_trusted_send(NULL, NULL, url, &b, &status, &data, &len,
                              why) == LK_OK);
  CHECK(status == 400 && len == 11 && !strcmp((char *)data, "status body"));
  lk_free(data);
  b.any_status = 0;
  snprintf(url, sizeof url, "%s/redir?to=/echo-post", base);
  CHECK(lk_fetch_trusted_send(NULL, NULL, url, &b, NULL, NULL, NULL, why) ==
        LK_ERR_IO && !strcmp(why, "HTTP 302"));
  /* DELETE with a header and no body */
  memset(&b, 0, sizeof b);
  b.method = "DELETE";
  b.headers = hdrs;
  snprintf(url, sizeof url, "%s/echo-req", base);
  CHECK(lk_fetch_trusted_send(NULL, NULL, url, &b, &status, &data, &len,
                              why) == LK_OK);
  CHECK(status == 200 && data && !strcmp((char *)data, "DELETE k3y"));
  lk_free(data);
  b.headers = evil;
  CHECK(lk_fetch_trusted_send(NULL, NULL, url, &b, NULL, NULL, NULL, why) ==
        LK_ERR_INVAL);
  CHECK(lk_fetch_trusted_send(NULL, NULL, url, NULL, NULL, NULL, NULL,
                              why) == LK_ERR_INVAL);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes left after a send",
            lk_mem_in_use() - mem0);
}

static void check_size(const struct lk_fetch_policy *p, size_t n,
                       const char *mode, lk_err want, const char *msg)
{
  char path[64];
  struct got g;
  snprintf(path, sizeof path, "/bytes/%zu/%s", n, mode);
  got_path(&g, p, path);
  CHECK_GOT(g, want, msg);
  if(!want)
    CHECK_MSG(g.len == n && pattern_ok(g.data, g.len), "%s: %zu bytes",
              path, g.len);
  got_free(&g);
}

static void test_size_limits(void)
{
  static const char *const modes[] = { "cl", "chunked", "close" };
  struct lk_fetch_policy p = private_policy();
  const char *big = "too large: more than 20971520 bytes";
  size_t i;
  for(i = 0; i < 3; i++) {
    check_size(&p, 0, modes[i], LK_OK, NULL);
    check_size(&p, LK_FETCH_DEFAULT_MAX_BYTES, modes[i], LK_OK, NULL);
    check_size(&p, LK_FETCH_DEFAULT_MAX_BYTES + 1, modes[i],
               LK_ERR_TOO_LARGE, big);
  }
  p.max_bytes = 65536;
  for(i = 0; i < 3; i++) {
    check_size(&p, 65536, modes[i], LK_OK, NULL);
    check_size(&p, 65537, modes[i], LK_ERR_TOO_LARGE,
               "too large: more than 65536 bytes");
    check_size(&p, 10u << 20, modes[i], LK_ERR_TOO_LARGE,
               "too large: more than 65536 bytes");
  }
}

static void test_timeouts(void)
{
  struct lk_fetch_policy p = private_policy();
  struct got g;
  p.timeout_ms = 300;
  got_path(&g, &p, "/slow");
  CHECK_GOT(g, LK_ERR_IO, "timed out after 0.3 s");
  got_free(&g);
  got_path(&g, &p, "/hang");
  CHECK_GOT(g, LK_ERR_IO, "timed out after 0.3 s");
  got_free(&g);
}

static void test_http_status(void)
{
  struct lk_fetch_policy p = private_policy();
  struct got g;
  got_path(&g, &p, "/status/404");
  CHECK_GOT(g, LK_ERR_IO, "HTTP 404");
  got_free(&g);
  got_path(&g, &p, "/no/such/thing");
  CHECK_GOT(g, LK_ERR_IO, "HTTP 404");
  got_free(&g);
  got_path(&g, &p, "/status/500");
  CHECK_GOT(g, LK_ERR_IO, "HTTP 500");
  got_free(&g);
  got_path(&g, &p, "/status/204");
  CHECK_GOT(g, LK_OK, NULL);
  CHECK(g.len == 0 && g.data && g.data[0] == 0);
  got_free(&g);
  got_path(&g, &p, "/notype");
  CHECK_GOT(g, LK_OK, NULL);
  CHECK(g.len == 5 && !memcmp(g.data, "hello", 6) && !g.ctype);
  got_free(&g);
}

static void test_redirects(void)
{
  struct lk_fetch_policy p = private_policy();
  const char *many = "too many redirects (more than 3)";
  struct got g;
  got_path(&g, &p, "/redir?to=/small");
  CHECK_GOT(g, LK_OK, NULL);
  CHECK(g.len == 1000 && pattern_ok(g.data, g.len));
  got_free(&g);
  got_path(&g, &p, "/chain/2");     /* 3 redirects: the limit */
  CHECK_GOT(g, LK_OK, NULL);
  got_free(&g);
  got_path(&g, &p, "/chain/3");
  CHECK_GOT(g, LK_ERR_IO, many);
  got_free(&g);
  got_path(&g, &p, "/loop");
  CHECK_GOT(g, LK_ERR_IO, many);
  got_free(&g);
  p.max_redirects = 0;
  got_path(&g, &p, "/redir?to=/small");
  CHECK_GOT(g, LK_ERR_IO, "HTTP 302");
  got_free(&g);
}

static void check_redirect(const struct lk_fetch_policy *p, const char *to,
                           lk_err want, const char *msg)
{
  char path[512];
  struct got g;
  snprintf(path, sizeof path, "/redir?to=%s", to);
  got_path(&g, p, path);
  CHECK_GOT(g, want, msg);
  got_free(&g);
}

static void test_redirect_refused(void)
{
  const char *allow[] = { "127.0.0.1/32", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  char to[128];
  p.allow = allow;
  p.connect_timeout_ms = 500;
  check_redirect(&p, "file:///etc/passwd", LK_ERR_DENIED,
                 "refused: redirect to scheme file (http and https only)");
  snprintf(to, sizeof to, "gopher://127.0.0.1:%d/", tsrv_port);
  check_redirect(&p, to, LK_ERR_DENIED,
                 "refused: redirect to scheme gopher (http and https only)");
  check_redirect(&p, "http://169.254.169.254:1/latest/meta-data/",
                 LK_ERR_DENIED,
                 "refused: 169.254.169.254 is a link-local address");
  check_redirect(&p, "http://[::ffff:169.254.169.254]:1/", LK_ERR_DENIED,
                 "refused: ::ffff:169.254.169.254 is a link-local address");
  snprintf(to, sizeof to, "http://[::1]:%d/small", tsrv_port);
  check_redirect(&p, to, LK_ERR_DENIED, "refused: ::1 is a loopback address");
  snprintf(to, sizeof to, "http://0x7f.1:%d/small", tsrv_port);
  check_redirect(&p, to, LK_OK, NULL);   /* 127.0.0.1 is on the list */
  p.allow_private = 1;                   /* opens loopback, not metadata */
  check_redirect(&p, "http://169.254.169.254:1/", LK_ERR_DENIED,
                 "refused: 169.254.169.254 is a link-local address");
  p.https_only = 1;
  check_redirect(&p, "/small", LK_ERR_DENIED,
                 "refused: scheme http is not allowed (https only)");
}

static void check_body(struct got *g, const char *want)
{
  CHECK_GOT(*g, LK_OK, NULL);
  CHECK_MSG(g->data && !strcmp((char *)g->data, want), "body \"%s\", want "
            "\"%s\"", g->data ? (char *)g->data : "(none)", want);
  got_free(g);
}

/* Credentials reach the host they were written for, never a redirect's. */
static void test_credentials(void)
{
  struct lk_fetch_policy p = private_policy();
  struct lk_fetch_auth basic = { "u", "p", 0, NULL };
  struct lk_fetch_auth bearer = { NULL, NULL, 0, "tok" };
  char url[256];
  struct got g;
  snprintf(url, sizeof url, "http://u:p@127.0.0.1:%d/echo-auth", tsrv_port);
  got_url(&g, &p, url);
  check_body(&g, "Basic dTpw");
  snprintf(url, sizeof url, "http://u:p@127.0.0.1:%d/redir?to=%s/echo-auth",
           tsrv_port, lhost);
  got_url(&g, &p, url);
  check_body(&g, "-");
  got_trusted(&g, NULL, &basic, "/echo-auth");
  check_body(&g, "Basic dTpw");
  got_trusted(&g, NULL, &bearer, "/echo-auth");
  check_body(&g, "Bearer tok");
  snprintf(url, sizeof url, "/redir?to=%s/echo-auth", lhost);
  got_trusted(&g, NULL, &basic, url);
  check_body(&g, "-");
  basic.password = "p\r\nX-Evil: 1";
  got_trusted(&g, NULL, &basic, "/echo-auth");
  CHECK_GOT(g, LK_ERR_INVAL, "auth password contains a line break");
  got_free(&g);
}

static void test_user_agent(void)
{
  struct lk_fetch_policy p = private_policy();
  struct got g;
  got_path(&g, &p, "/echo-ua");
  check_body(&g, "likeness/" LK_VERSION);
  p.user_agent = "test-agent/1";
  got_path(&g, &p, "/echo-ua");
  check_body(&g, "test-agent/1");
  p.user_agent = "";
  got_path(&g, &p, "/echo-ua");
  check_body(&g, "-");
}

static void check_huge_url(void)
{
  char *huge = lk_malloc(LK_FETCH_URL_MAX + 64);
  unsigned char *d = NULL;
  size_t n;
  char why[LK_FETCH_ERRMAX];
  lk_err err;
  if(!huge)
    return;
  snprintf(huge, LK_FETCH_URL_MAX + 64, "%s/", base);
  memset(huge + strlen(huge), 'a', LK_FETCH_URL_MAX);
  huge[LK_FETCH_URL_MAX + 1] = '\0';
  err = lk_fetch_url(NULL, huge, &d, &n, NULL, why);
  CHECK(err == LK_ERR_INVAL && d == NULL);
  CHECK_MSG(!strcmp(why, "malformed URL: longer than 8192 bytes"), "%s", why);
  err = lk_fetch_trusted(NULL, NULL, huge, &d, &n, NULL, why);
  CHECK(err == LK_ERR_INVAL && d == NULL);
  huge[LK_FETCH_URL_MAX] = '\0';   /* at the limit: parsed, refused */
  err = lk_fetch_url(NULL, huge, &d, &n, NULL, why);
  CHECK_MSG(err == LK_ERR_DENIED, "%s", why);
  lk_free(huge);
}

/* Bad input is refused before any network use, in both modes. */
static void test_malformed_urls(void)
{
  static const char *const bad[] = {
    "", "http://", "ht!tp://x", "example.com/x.jpg", "http://a b/",
    "http://[::1/", "http://[::1]:99999/", "://x", "\x01\x7f\xff garbage",
    "http://\x7f/", "http://exa mple.com/",
    "http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1/",  /* fullwidth 127 */
  };
  struct lk_fetch_policy p = private_policy();
  int before = atomic_load(&tsrv_accepts);
  struct got g;
  size_t i;
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    got_url(&g, &p, bad[i]);
    CHECK_MSG(g.err == LK_ERR_INVAL, "\"%s\": %s %s", bad[i],
              lk_strerror(g.err), g.why);
    got_free(&g);
  }
  got_url(&g, &p, NULL);
  CHECK(g.err == LK_ERR_INVAL);
  got_free(&g);
  check_huge_url();
  CHECK(lk_mem_in_use() == mem0);
  CHECK(atomic_load(&tsrv_accepts) == before);
}

static void check_fail_after(const struct lk_fetch_policy *p,
                             const struct lk_fetch_auth *a, const char *path,
                             lk_err want)
{
  struct got g;
  long n;
  for(n = 1; n < 5000; n++) {
    lk_mem_fail_after(n);
    if(a)
      got_trusted(&g, p, a, path);
    else
      got_path(&g, p, path);
    lk_mem_fail_after(0);
    if(g.err == want)
      break;
    /* curl 7.88 reports a failed copy of the URL as CURLE_URL_MALFORMAT
     * ("No URL set"), which arrives here as INVAL */
    CHECK_MSG(g.err == LK_ERR_NOMEM || g.err == LK_ERR_IO ||
              g.err == LK_ERR_INVAL, "%s, fail at %ld: %s %s", path, n,
              lk_strerror(g.err), g.why);
    got_free(&g);
  }
  CHECK_MSG(g.err == want, "%s never gave %s", path, lk_strerror(want));
  if(!want)
    CHECK(g.len == 1000 && pattern_ok(g.data, g.len));
  printf("     %s: %ld allocations failed in turn\n", path, n - 1);
  got_free(&g);
}

/* Each allocation fails in turn (curl's are routed through lk_malloc too):
 * a clean error every time, never a leak or a crash. */
static void test_alloc_failures(void)
{
  struct lk_fetch_policy p = private_policy();
  struct lk_fetch_auth a = { "u", "p", 0, NULL };
  struct lk_fetch_policy def = lk_fetch_default_policy();
  check_fail_after(&p, NULL, "/redir?to=/small", LK_OK);
  check_fail_after(NULL, &a, "/small", LK_OK);
  check_fail_after(&def, NULL, "/small", LK_ERR_DENIED);
}

static void *thread_fetches(void *arg)
{
  const struct lk_fetch_policy *p = arg;
  struct got g;
  int i;
  long bad = 0;
  for(i = 0; i < 25; i++) {
    got_path(&g, p, i % 5 ? "/small" : "/redir?to=/small");
    bad += g.err || g.len != 1000 || !pattern_ok(g.data, g.len);
    lk_free(g.data);
    lk_free(g.ctype);
  }
  return (void *)bad;
}

static void test_threads(void)
{
  struct lk_fetch_policy p = private_policy();
  pthread_t t[4];
  void *bad;
  int i;
  for(i = 0; i < 4; i++)
    CHECK(!pthread_create(&t[i], NULL, thread_fetches, &p));
  for(i = 0; i < 4; i++) {
    pthread_join(t[i], &bad);
    CHECK_MSG(bad == NULL, "thread %d: %ld failed fetches", i, (long)bad);
  }
  CHECK(lk_mem_in_use() == mem0);
}

int main(void)
{
  size_t start = lk_mem_in_use();
  lk_log_set_level(LK_LOG_WARN);
  if(lk_fetch_init() || tsrv_start()) {
    fprintf(stderr, "could not start curl or the test server\n");
    return 1;
  }
  mem0 = lk_mem_in_use();
  snprintf(base, sizeof base, "http://127.0.0.1:%d", tsrv_port);
  snprintf(lhost, sizeof lhost, "http://localhost:%d", tsrv_port);
  RUN(test_loopback_refused_by_default);
  RUN(test_allow_private);
  RUN(test_allow_list_cidr);
  RUN(test_allow_list_host);
  RUN(test_trusted);
  RUN(test_trusted_send);
  RUN(test_size_limits);
  RUN(test_timeouts);
  RUN(test_http_status);
  RUN(test_redirects);
  RUN(test_redirect_refused);
  RUN(test_credentials);
  RUN(test_user_agent);
  RUN(test_malformed_urls);
  RUN(test_alloc_failures);
  RUN(test_threads);
  tsrv_stop_all();
  printf("     curl keeps %zu bytes after init\n", mem0 - start);
  return test_report();
}
