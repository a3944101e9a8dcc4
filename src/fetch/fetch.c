/* fetch.c - one GET into memory: curl handle setup, streaming with a
 * ceiling, and CURLcode/HTTP status translated to lk_err with a sentence.
 * The guard's rules live in guard.c. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "fetch_int.h"

#define LK_FETCH_FIRST_CHUNK ((size_t)16 << 10)

lk_err lk_fetch_fail(char *why, lk_err err, const char *fmt, ...)
{
  va_list ap;
  if(why) {
    va_start(ap, fmt);
    vsnprintf(why, LK_FETCH_ERRMAX, fmt, ap);
    va_end(ap);
  }
  return err;
}

struct lk_fetch_policy lk_fetch_default_policy(void)
{
  struct lk_fetch_policy p;
  memset(&p, 0, sizeof p);
  p.max_bytes = LK_FETCH_DEFAULT_MAX_BYTES;
  p.connect_timeout_ms = LK_FETCH_DEFAULT_CONNECT_TIMEOUT_MS;
  p.timeout_ms = LK_FETCH_DEFAULT_TIMEOUT_MS;
  p.max_redirects = LK_FETCH_DEFAULT_MAX_REDIRECTS;
  return p;
}

/* Set once inside pthread_once and only read afterwards, which
 * pthread_once orders for every caller. */
static pthread_once_t lk_fetch_once = PTHREAD_ONCE_INIT;
static lk_err lk_fetch_init_result = LK_ERR_IO;

static void lk_fetch_global_init(void)
{
  /* curl's allocations go through the counted allocator, so /metrics sees
   * them and tests can fail them; curl only takes these callbacks before
   * its first initialisation in the process */
  CURLcode rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, lk_malloc, lk_free,
                                     lk_realloc, lk_strdup, lk_calloc);
  if(rc) {
    lk_log(LK_LOG_ERROR, "fetch", "curl_global_init: %s",
           curl_easy_strerror(rc));
    lk_fetch_init_result = rc == CURLE_OUT_OF_MEMORY ? LK_ERR_NOMEM
                                                     : LK_ERR_IO;
    return;
  }
  lk_fetch_init_result = LK_OK;
}

lk_err lk_fetch_init(void)
{
  pthread_once(&lk_fetch_once, lk_fetch_global_init);
  return lk_fetch_init_result;
}

/* Header values: a CR or LF would start a header of the caller's choice. */
static lk_err lk_header_safe(const char *what, const char *s, char *why)
{
  if(s && strpbrk(s, "\r\n"))
    return lk_fetch_fail(why, LK_ERR_INVAL, "%s contains a line break",
                         what);
  return LK_OK;
}

/* A config value quoted in why: one line of printable text, cut short. */
static void lk_quote(const char *s, char *out, size_t size)
{
  size_t i;
  for(i = 0; s[i] && i + 1 < size; i++)
    out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
  out[i] = '\0';
}

static lk_err lk_allow_bad(const char *entry, char *why)
{
  char q[65];
  lk_quote(entry, q, sizeof q);
  return lk_fetch_fail(why, LK_ERR_INVAL, "allow entry \"%s\" is neither a "
                       "CIDR (a.b.c.d/n, v6/n) nor a host name", q);
}

lk_err lk_fetch_policy_check(const struct lk_fetch_policy *p, char *why)
{
  size_t i;
  if(!p)
    return LK_OK;
  if(!p->max_bytes || p->max_bytes > SIZE_MAX / 2)
    return lk_fetch_fail(why, LK_ERR_INVAL,
                         "max_bytes must be > 0 and < SIZE_MAX / 2");
  if(p->timeout_ms <= 0 || p->connect_timeout_ms < 0)
    return lk_fetch_fail(why, LK_ERR_INVAL,
                         "timeouts must be > 0 ms (connect: >= 0)");
  if(p->max_redirects < 0 || p->max_redirects > LK_FETCH_MAX_REDIRECTS)
    return lk_fetch_fail(why, LK_ERR_INVAL,
                         "max_redirects must be 0..%d, not %d",
                         LK_FETCH_MAX_REDIRECTS, p->max_redirects);
  for(i = 0; p->allow && p->allow[i]; i++)
    if(lk_fetch_allow_valid(p->allow[i]) < 0)
      return lk_allow_bad(p->allow[i], why);
  return lk_header_safe("user_agent", p->user_agent, why);
}

static lk_err lk_auth_check(const struct lk_fetch_auth *a, char *why)
{
  lk_err err;
  if(!a)
    return LK_OK;
  if(a->bearer && (a->user || a->password))
    return lk_fetch_fail(why, LK_ERR_INVAL,
                         "auth: either user/password or bearer, not both");
  err = lk_header_safe("auth user", a->user, why);
  if(!err)
    err = lk_header_safe("auth password", a->password, why);
  if(!err)
    err = lk_header_safe("auth bearer", a->bearer, why);
  return err;
}

/* Grows job->data to hold at least need bytes, doubling, never past
 * max_bytes + 1 (the +1 is the terminating NUL). */
static int lk_fetch_grow(struct lk_fetch_job *job, size_t need)
{
  size_t ceiling = job->policy->max_bytes + 1;
  size_t cap = job->cap ? job->cap : LK_FETCH_FIRST_CHUNK;
  unsigned char *d;
  while(cap < need)
    cap = cap > ceiling / 2 ? ceiling : cap * 2;
  if(cap > ceiling)
    cap = need > ceiling ? need : ceiling;
  d = lk_realloc(job->data, cap);
  if(!d)
    return -1;
  job->data = d;
  job->cap = cap;
  return 0;
}

/* The ceiling holds however the body arrives (Content-Length, chunked,
 * until close): a missing or lying length cannot get past it. */
static size_t lk_fetch_write(char *ptr, size_t size, size_t nmemb,
                             void *userdata)
{
  struct lk_fetch_job *job = userdata;
  size_t n = size * nmemb;
  if(n > job->policy->max_bytes - job->len) {
    job->too_large = 1;
    return CURL_WRITEFUNC_ERROR;
  }
  if(job->len + n + 1 > job->cap && lk_fetch_grow(job, job->len + n + 1)) {
    job->nomem = 1;
    return CURL_WRITEFUNC_ERROR;
  }
  memcpy(job->data + job->len, ptr, n);
  job->len += n;
  return n;
}

static CURLcode lk_fetch_setup_auth(CURL *c, const struct lk_fetch_auth *a)
{
  CURLcode rc = CURLE_OK;
  if(!a)
    return CURLE_OK;
  if(a->bearer) {
    rc = curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    if(!rc)
      rc = curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, a->bearer);
    return rc;
  }
  if(!a->user)
    return CURLE_OK;
  rc = curl_easy_setopt(c, CURLOPT_HTTPAUTH,
                        a->digest ? CURLAUTH_DIGEST : CURLAUTH_BASIC);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_USERNAME, a->user);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_PASSWORD,
                          a->password ? a->password : "");
  return rc;
}

static CURLcode lk_fetch_setup_limits(CURL *c, const struct lk_fetch_policy *p)
{
  const char *protocols = p->https_only ? "https" : "http,https";
  long follow = p->max_redirects ? 1L : 0L;
  CURLcode rc;
  rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)p->max_redirects);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, p->timeout_ms);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, p->connect_timeout_ms);
  /* refuses early when Content-Length admits to more; the write callback
   * holds the line when it does not */
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                          (curl_off_t)p->max_bytes);
  return rc;
}

static CURLcode lk_fetch_setup_guard(struct lk_fetch_job *job)
{
  CURLcode rc;
  if(!job->guarded)
    return CURLE_OK;
  rc = curl_easy_setopt(job->curl, CURLOPT_OPENSOCKETFUNCTION,
                        lk_fetch_opensocket);
  if(!rc)
    rc = curl_easy_setopt(job->curl, CURLOPT_OPENSOCKETDATA, job);
  return rc;
}

/* Content-Type and the caller's header lines. */
static CURLcode lk_fetch_setup_headers(struct lk_fetch_job *job)
{
  const struct lk_fetch_body *b = job->body;
  struct curl_slist *l;
  char line[256];
  size_t i;
  if(b->content_type) {
    snprintf(line, sizeof line, "Content-Type: %s", b->content_type);
    if(!(l = curl_slist_append(job->headers, line)))
      return CURLE_OUT_OF_MEMORY;
    job->headers = l;
  }
  for(i = 0; b->headers && b->headers[i]; i++) {
    if(!(l = curl_slist_append(job->headers, b->headers[i])))
      return CURLE_OUT_OF_MEMORY;
    job->headers = l;
  }
  return job->headers ? curl_easy_setopt(job->curl, CURLOPT_HTTPHEADER,
                                         job->headers) : CURLE_OK;
}

static CURLcode lk_fetch_setup_body(struct lk_fetch_job *job)
{
  const struct lk_fetch_body *b = job->body;
  const char *method = b->method ? b->method : "POST";
  CURL *c = job->curl;
  CURLcode rc = lk_fetch_setup_headers(job);
  if(!rc && b->content_type)
    rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
  if(!rc && b->content_type)  /* not COPYPOSTFIELDS: the caller's bytes
                                 outlive the call */
    rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, b->len ? b->data : "");
  if(!rc && strcmp(method, "POST"))
    rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  if(!rc && b->any_status)  /* read the answer whatever its status */
    rc = curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
  return rc;
}

static CURLcode lk_fetch_setup(struct lk_fetch_job *job, CURLU *u,
                               const struct lk_fetch_auth *auth)
{
  const struct lk_fetch_policy *p = job->policy;
  const char *ua = p->user_agent ? p->user_agent : "likeness/" LK_VERSION;
  CURL *c = job->curl;
  CURLcode rc;
  rc = curl_easy_setopt(c, CURLOPT_CURLU, u);
  if(!rc)  /* threads: no SIGALRM-based DNS timeouts */
    rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  /* an environment proxy would make the guard vet the proxy's address
   * instead of the target's */
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_PROXY, "");
  if(!rc)  /* credentials stay with the host they were written for */
    rc = curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  if(!rc)  /* 4xx/5xx end the transfer at the headers, body unread */
    rc = curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, job->errbuf);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, lk_fetch_write);
  if(!rc)
    rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, job);
  if(!rc && *ua)
    rc = curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
  if(!rc)
    rc = lk_fetch_setup_limits(c, p);
  if(!rc)
    rc = lk_fetch_setup_guard(job);
  if(!rc)
    rc = lk_fetch_setup_auth(c, auth);
  if(!rc && job->body)
    rc = lk_fetch_setup_body(job);
  return rc;
}

/* "10 s", "0.25 s" */
static double lk_seconds(long ms)
{
  return (double)ms / 1000.0;
}

static lk_err lk_fetch_timeout(struct lk_fetch_job *job, char *why)
{
  const struct lk_fetch_policy *p = job->policy;
  curl_off_t connected = 0;
  long limit = p->timeout_ms;
  curl_easy_getinfo(job->curl, CURLINFO_CONNECT_TIME_T, &connected);
  if(!connected && p->connect_timeout_ms && p->connect_timeout_ms < limit)
    return lk_fetch_fail(why, LK_ERR_IO, "connect timed out after %g s",
                         lk_seconds(p->connect_timeout_ms));
  return lk_fetch_fail(why, LK_ERR_IO, "timed out after %g s",
                       lk_seconds(limit));
}

/* A redirect to a scheme outside the policy: name the scheme. */
static lk_err lk_fetch_bad_redirect(struct lk_fetch_job *job, char *why)
{
  char *url = NULL, scheme[33] = "?";
  size_t n = 0;
  curl_easy_getinfo(job->curl, CURLINFO_EFFECTIVE_URL, &url);
  if(url)
    n = strcspn(url, ":");
  if(n && url[n]) {
    n = n < 32 ? n : 32;
    memcpy(scheme, url, n);
    scheme[n] = '\0';
    lk_quote(scheme, scheme, sizeof scheme);
  }
  return lk_fetch_fail(why, LK_ERR_DENIED,
                       "refused: redirect to scheme %s (%s only)", scheme,
                       job->policy->https_only ? "https" : "http and https");
}

/* The URL API accepted it but curl could not use it (a host IDN rejects),
 * or a redirect's Location was broken. */
static lk_err lk_fetch_malformed(struct lk_fetch_job *job, char *why)
{
  long hops = 0;
  curl_easy_getinfo(job->curl, CURLINFO_REDIRECT_COUNT, &hops);
  if(hops)
    return lk_fetch_fail(why, LK_ERR_IO, "malformed redirect URL: %s",
                         job->errbuf[0] ? job->errbuf : "bad Location");
  return lk_fetch_fail(why, LK_ERR_INVAL, "malformed URL: %s",
                       job->errbuf[0] ? job->errbuf : "bad format");
}

static lk_err lk_fetch_status(struct lk_fetch_job *job, char *why)
{
  long status = 0;
  curl_easy_getinfo(job->curl, CURLINFO_RESPONSE_CODE, &status);
  job->status = status;
  if((status >= 200 && status < 300) || (job->body && job->body->any_status))
    return LK_OK;
  return lk_fetch_fail(why, LK_ERR_IO, "HTTP %ld", status);
}

/* CURLcode to lk_err at the module border; curl's own text goes to the
 * log, the caller gets a sentence of ours. */
static lk_err lk_fetch_result(struct lk_fetch_job *job, CURLcode rc,
                              char *why)
{
  const struct lk_fetch_policy *p = job->policy;
  if(rc == CURLE_OK)
    return lk_fetch_status(job, why);
  lk_log(LK_LOG_INFO, "fetch", "curl error %d: %s", (int)rc,
         job->errbuf[0] ? job->errbuf : curl_easy_strerror(rc));
  if(job->denied && rc == CURLE_COULDNT_CONNECT)
    return lk_fetch_fail(why, LK_ERR_DENIED, "%s", job->denied_why);
  if(job->nomem || rc == CURLE_OUT_OF_MEMORY)
    return lk_fetch_fail(why, LK_ERR_NOMEM, "out of memory");
  switch(rc) {
  case CURLE_WRITE_ERROR:
  case CURLE_FILESIZE_EXCEEDED:
    if(job->too_large || rc == CURLE_FILESIZE_EXCEEDED)
      return lk_fetch_fail(why, LK_ERR_TOO_LARGE,
                           "too large: more than %zu bytes", p->max_bytes);
    break;
  case CURLE_HTTP_RETURNED_ERROR:
    return lk_fetch_status(job, why);
  case CURLE_OPERATION_TIMEDOUT:
    return lk_fetch_timeout(job, why);
  case CURLE_TOO_MANY_REDIRECTS:
    return lk_fetch_fail(why, LK_ERR_IO, "too many redirects (more than %d)",
                         p->max_redirects);
  case CURLE_UNSUPPORTED_PROTOCOL:
    return lk_fetch_bad_redirect(job, why);
  case CURLE_URL_MALFORMAT:
    return lk_fetch_malformed(job, why);
  default:
    break;
  }
  return lk_fetch_fail(why, LK_ERR_IO, "%s",
                       job->errbuf[0] ? job->errbuf : curl_easy_strerror(rc));
}

/* Hands the body (NUL-terminated) and content type to the caller. */
static lk_err lk_fetch_take(struct lk_fetch_job *job, unsigned char **data,
                            size_t *len, char **content_type, char *why)
{
  char *ct = NULL;
  if(job->len + 1 > job->cap && lk_fetch_grow(job, job->len + 1))
    return lk_fetch_fail(why, LK_ERR_NOMEM, "out of memory");
  if(content_type) {
    curl_easy_getinfo(job->curl, CURLINFO_CONTENT_TYPE, &ct);
    *content_type = ct ? lk_strdup(ct) : NULL;
    if(ct && !*content_type)
      return lk_fetch_fail(why, LK_ERR_NOMEM, "out of memory");
  }
  job->data[job->len] = '\0';
  *data = job->data;
  *len = job->len;
  job->data = NULL;
  return LK_OK;
}

static lk_err lk_fetch_run(const struct lk_fetch_policy *p,
                           const struct lk_fetch_auth *auth, int guarded,
                           const struct lk_fetch_body *body, long *status,
                           const char *url, unsigned char **data, size_t *len,
                           char **content_type, char *why)
{
  struct lk_fetch_job job;
  CURLU *u = NULL;
  CURLcode rc;
  lk_err err;
  memset(&job, 0, sizeof job);
  job.policy = p;
  job.guarded = guarded;
  job.body = body;
  err = lk_fetch_url_parse(p, url, guarded, &u, why);
  if(err)
    return err;
  job.curl = curl_easy_init();
  if(!job.curl) {
    err = lk_fetch_fail(why, LK_ERR_NOMEM, "out of memory");
    goto out;
  }
  rc = lk_fetch_setup(&job, u, auth);
  if(rc) {
    err = lk_fetch_fail(why, rc == CURLE_OUT_OF_MEMORY ? LK_ERR_NOMEM
                        : LK_ERR_IO, "could not configure libcurl: %s",
                        curl_easy_strerror(rc));
    goto out;
  }
  err = lk_fetch_result(&job, curl_easy_perform(job.curl), why);
  if(status)
    *status = job.status;
  if(!err)
    err = lk_fetch_take(&job, data, len, content_type, why);
out:
  curl_easy_cleanup(job.curl);
  curl_slist_free_all(job.headers);
  curl_url_cleanup(u);
  lk_free(job.data);
  return err;
}

static lk_err lk_fetch_start(const struct lk_fetch_policy *p,
                             const struct lk_fetch_auth *auth, int guarded,
                             const struct lk_fetch_body *body, long *status,
                             const char *url, unsigned char **data,
                             size_t *len, char **content_type, char *why)
{
  struct lk_fetch_policy def = lk_fetch_default_policy();
  lk_err err;
  if(!data || !len)
    return lk_fetch_fail(why, LK_ERR_INVAL, "no place for the result");
  *data = NULL;
  *len = 0;
  if(content_type)
    *content_type = NULL;
  err = lk_fetch_init();
  if(err)
    return lk_fetch_fail(why, err, "libcurl could not be initialised");
  if(!p)
    p = &def;
  err = lk_fetch_policy_check(p, why);
  if(!err)
    err = lk_auth_check(auth, why);
  if(!err)
    err = lk_fetch_run(p, auth, guarded, body, status, url, data, len,
                       content_type, why);
  return err;
}

lk_err lk_fetch_url(const struct lk_fetch_policy *p, const char *url,
                    unsigned char **data, size_t *len, char **content_type,
                    char *why)
{
  return lk_fetch_start(p, NULL, 1, NULL, NULL, url, data, len, content_type,
                        why);
}

lk_err lk_fetch_trusted(const struct lk_fetch_policy *p,
                        const struct lk_fetch_auth *auth, const char *url,
                        unsigned char **data, size_t *len,
                        char **content_type, char *why)
{
  return lk_fetch_start(p, auth, 0, NULL, NULL, url, data, len, content_type,
                        why);
}

/* No line breaks where they would start a header of their own. */
static lk_err lk_fetch_body_check(const struct lk_fetch_body *b, char *why)
{
  size_t i;
  lk_err err = LK_OK;
  if(b->method)
    err = lk_header_safe("method", b->method, why);
  if(!err && b->content_type)
    err = lk_header_safe("content type", b->content_type, why);
  for(i = 0; !err && b->headers && b->headers[i]; i++)
    err = lk_header_safe("header", b->headers[i], why);
  return err;
}

lk_err lk_fetch_trusted_send(const struct lk_fetch_policy *p,
                             const struct lk_fetch_auth *auth,
                             const char *url, const struct lk_fetch_body *body,
                             long *status, unsigned char **data, size_t *len,
                             char *why)
{
  unsigned char *answer = NULL;
  size_t n = 0;
  lk_err err;
  if(status)
    *status = 0;
  if(!body || (body->content_type && body->len && !body->data))
    return lk_fetch_fail(why, LK_ERR_INVAL, "no request to send");
  err = lk_fetch_body_check(body, why);
  if(err)
    return err;
  err = lk_fetch_start(p, auth, 0, body, status, url, &answer, &n, NULL, why);
  if(data && len && !err) {
    *data = answer;
    *len = n;
  } else {
    lk_free(answer);
  }
  return err;
}
