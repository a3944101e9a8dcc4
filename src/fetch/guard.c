/* guard.c - the SSRF guard: which schemes and addresses an untrusted URL
 * may reach.
 *
 * The authoritative check is lk_fetch_opensocket, run by curl for every
 * address it is about to connect to: after each DNS resolution, for each
 * address tried, and on every redirect hop. Checking the host string
 * instead would miss DNS rebinding (a name that resolves to a public
 * address for the check and to 127.0.0.1 for the connect) and names that
 * simply point inside. lk_fetch_url_parse adds an early check of literal
 * addresses, so "http://0x7f.1/" is refused with a clear message before
 * any network use; it can only refuse, never allow. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fetch_int.h"

/* A prefix of an address; n is 4 (IPv4) or 16 (IPv6). */
struct lk_cidr {
  unsigned char ip[16];
  unsigned char n;
  unsigned char bits;
};

struct lk_range {
  unsigned char pfx[16];
  unsigned char bits;
  unsigned char cls;            /* enum lk_fetch_addr */
};

/* IANA special-purpose registries (RFC 6890 and successors); first match
 * wins, no match is public. */
static const struct lk_range lk_v4_ranges[] = {
  { {0}, 8, LK_FETCH_ADDR_UNSPECIFIED },      /* "this network" */
  { {10}, 8, LK_FETCH_ADDR_PRIVATE },
  { {100, 64}, 10, LK_FETCH_ADDR_SHARED },
  { {127}, 8, LK_FETCH_ADDR_LOOPBACK },
  { {169, 254}, 16, LK_FETCH_ADDR_LINK_LOCAL },
  { {172, 16}, 12, LK_FETCH_ADDR_PRIVATE },
  { {192, 0, 0}, 24, LK_FETCH_ADDR_RESERVED },   /* IETF assignments */
  { {192, 0, 2}, 24, LK_FETCH_ADDR_RESERVED },   /* TEST-NET-1 */
  { {192, 168}, 16, LK_FETCH_ADDR_PRIVATE },
  { {198, 18}, 15, LK_FETCH_ADDR_RESERVED },     /* benchmarking */
  { {198, 51, 100}, 24, LK_FETCH_ADDR_RESERVED },  /* TEST-NET-2 */
  { {203, 0, 113}, 24, LK_FETCH_ADDR_RESERVED },   /* TEST-NET-3 */
  { {255, 255, 255, 255}, 32, LK_FETCH_ADDR_BROADCAST },
  { {224}, 4, LK_FETCH_ADDR_MULTICAST },
  { {240}, 4, LK_FETCH_ADDR_RESERVED },
};

/* Embedded IPv4 forms (mapped, NAT64, 6to4) are handled before this
 * table. Only global unicast (2000::/3) is public; the rest is unassigned
 * or special, so it ends the table as reserved. */
static const struct lk_range lk_v6_ranges[] = {
  { {0}, 128, LK_FETCH_ADDR_UNSPECIFIED },
  { {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128,
    LK_FETCH_ADDR_LOOPBACK },
  { {0, 0x64, 0xff, 0x9b, 0, 1}, 48, LK_FETCH_ADDR_PRIVATE },  /* NAT64 */
  { {0x20, 0x01, 0, 0}, 32, LK_FETCH_ADDR_RESERVED },         /* Teredo */
  { {0x20, 0x01, 0x0d, 0xb8}, 32, LK_FETCH_ADDR_RESERVED },   /* docs */
  { {0x20}, 3, LK_FETCH_ADDR_PUBLIC },
  { {0xfc}, 7, LK_FETCH_ADDR_PRIVATE },                  /* unique local */
  { {0xfe, 0x80}, 10, LK_FETCH_ADDR_LINK_LOCAL },
  { {0xfe, 0xc0}, 10, LK_FETCH_ADDR_PRIVATE },   /* site-local (obsolete) */
  { {0xff}, 8, LK_FETCH_ADDR_MULTICAST },
  { {0}, 0, LK_FETCH_ADDR_RESERVED },
};

static const char *const lk_addr_names[] = {
  "public", "loopback", "private", "link-local", "unspecified",
  "multicast", "broadcast", "shared (CGNAT)", "reserved",
};

static int lk_prefix_match(const unsigned char *pfx, unsigned bits,
                           const unsigned char *ip)
{
  unsigned full = bits / 8, rest = bits % 8;
  if(memcmp(pfx, ip, full))
    return 0;
  return !rest || !((pfx[full] ^ ip[full]) & (0xff00u >> rest) & 0xffu);
}

static enum lk_fetch_addr lk_range_find(const struct lk_range *r, size_t n,
                                        const unsigned char *ip)
{
  size_t i;
  for(i = 0; i < n; i++)
    if(lk_prefix_match(r[i].pfx, r[i].bits, ip))
      return (enum lk_fetch_addr)r[i].cls;
  return LK_FETCH_ADDR_PUBLIC;
}

/* ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket; 1 if ip is one. */
static int lk_addr_is_mapped(const unsigned char *ip)
{
  static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                            0xff, 0xff };
  return !memcmp(ip, mapped, sizeof mapped);
}

enum lk_fetch_addr lk_fetch_addr_classify(const unsigned char *ip, size_t n)
{
  static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
  if(!ip)
    return LK_FETCH_ADDR_RESERVED;
  if(n == 4)
    return lk_range_find(lk_v4_ranges, sizeof lk_v4_ranges /
                         sizeof lk_v4_ranges[0], ip);
  if(n != 16)
    return LK_FETCH_ADDR_RESERVED;
  /* a NAT64 or 6to4 gateway forwards to the embedded IPv4 address, so
   * 64:ff9b::7f00:1 reaches 127.0.0.1 wherever such a gateway exists */
  if(lk_addr_is_mapped(ip) || !memcmp(ip, nat64, sizeof nat64))
    return lk_fetch_addr_classify(ip + 12, 4);
  if(ip[0] == 0x20 && ip[1] == 0x02)
    return lk_fetch_addr_classify(ip + 2, 4);
  return lk_range_find(lk_v6_ranges, sizeof lk_v6_ranges /
                       sizeof lk_v6_ranges[0], ip);
}

const char *lk_fetch_addr_name(enum lk_fetch_addr c)
{
  if((unsigned)c >= sizeof lk_addr_names / sizeof lk_addr_names[0])
    return "unknown";
  return lk_addr_names[c];
}

/* Never reachable by allow-list or flag: no HTTP server lives there, and
 * 0.0.0.0 is another way to say this host. */
static int lk_addr_never(enum lk_fetch_addr c)
{
  return c == LK_FETCH_ADDR_UNSPECIFIED || c == LK_FETCH_ADDR_MULTICAST ||
         c == LK_FETCH_ADDR_BROADCAST;
}

static lk_err lk_addr_refuse(char *why, const unsigned char *ip, size_t n,
                             enum lk_fetch_addr c)
{
  char text[INET6_ADDRSTRLEN];
  const char *name = lk_fetch_addr_name(c);
  if(!inet_ntop(n == 4 ? AF_INET : AF_INET6, ip, text, sizeof text))
    text[0] = '\0';
  return lk_fetch_fail(why, LK_ERR_DENIED, "refused: %s is %s %s address",
                       text, strchr("aeiou", name[0]) ? "an" : "a", name);
}

/* Allow-list entries ------------------------------------------------- */

static int lk_prefix_parse(const char *s, struct lk_cidr *c)
{
  unsigned v = 0;
  size_t i;
  for(i = 0; s[i]; i++) {
    if(i >= 3 || s[i] < '0' || s[i] > '9')
      return 0;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if(!i || v > c->n * 8u)
    return 0;
  c->bits = (unsigned char)v;
  return 1;
}

/* Names only: an entry the resolver would read as an IPv4 address in a
 * legacy spelling ("127.1", "0x7f.1") must be written as a.b.c.d. */
static int lk_host_name_ok(const char *h)
{
  char buf[256];
  struct in_addr a;
  size_t i, n = strlen(h);
  if(!n || n > 253 || h[0] == '.' || h[0] == '-')
    return 0;
  for(i = 0; i < n; i++)
    if(!isalnum((unsigned char)h[i]) && !strchr(".-_", h[i]))
      return 0;
  memcpy(buf, h, n + 1);
  if(buf[n - 1] == '.')
    buf[n - 1] = '\0';
  return !inet_aton(buf, &a);
}

/* 1 = CIDR in *c (mapped IPv6 prefixes become IPv4), 0 = host name,
 * -1 = invalid. */
static int lk_allow_parse(const char *e, struct lk_cidr *c)
{
  const char *slash = strchr(e, '/');
  size_t n = slash ? (size_t)(slash - e) : strlen(e);
  char buf[INET6_ADDRSTRLEN + 1];
  c->n = 0;
  if(n && n < sizeof buf) {
    memcpy(buf, e, n);
    buf[n] = '\0';
    if(inet_pton(AF_INET, buf, c->ip) == 1)
      c->n = 4;
    else if(inet_pton(AF_INET6, buf, c->ip) == 1)
      c->n = 16;
  }
  if(!c->n)
    return !slash && lk_host_name_ok(e) ? 0 : -1;
  c->bits = (unsigned char)(c->n * 8);
  if(slash && !lk_prefix_parse(slash + 1, c))
    return -1;
  if(c->n == 16 && c->bits >= 96 && lk_addr_is_mapped(c->ip)) {
    memmove(c->ip, c->ip + 12, 4);
    c->n = 4;
    c->bits = (unsigned char)(c->bits - 96);
  }
  return 1;
}

int lk_fetch_allow_valid(const char *entry)
{
  struct lk_cidr c;
  return lk_allow_parse(entry, &c);
}

/* Case-insensitive, one trailing dot ignored on either side. */
static int lk_host_eq(const char *a, const char *b)
{
  size_t na = strlen(a), nb = strlen(b);
  if(na && a[na - 1] == '.')
    na--;
  if(nb && b[nb - 1] == '.')
    nb--;
  return na == nb && !strncasecmp(a, b, na);
}

static int lk_allow_host(const struct lk_fetch_policy *p, const char *host)
{
  struct lk_cidr c;
  size_t i;
  for(i = 0; host && p->allow && p->allow[i]; i++)
    if(!lk_allow_parse(p->allow[i], &c) && lk_host_eq(p->allow[i], host))
      return 1;
  return 0;
}

static int lk_allow_has_hosts(const struct lk_fetch_policy *p)
{
  struct lk_cidr c;
  size_t i;
  for(i = 0; p->allow && p->allow[i]; i++)
    if(!lk_allow_parse(p->allow[i], &c))
      return 1;
  return 0;
}

/* 1 when allow_private or a CIDR entry opens ip (class c). */
static int lk_allow_addr(const struct lk_fetch_policy *p,
                         const unsigned char *ip, size_t n,
                         enum lk_fetch_addr c)
{
  struct lk_cidr e;
  size_t i;
  if(p->allow_private && (c == LK_FETCH_ADDR_LOOPBACK ||
                          c == LK_FETCH_ADDR_PRIVATE ||
                          c == LK_FETCH_ADDR_SHARED))
    return 1;
  if(n == 16 && lk_addr_is_mapped(ip)) {
    ip += 12;
    n = 4;
  }
  for(i = 0; p->allow && p->allow[i]; i++)
    if(lk_allow_parse(p->allow[i], &e) == 1 && e.n == n &&
       lk_prefix_match(e.ip, e.bits, ip))
      return 1;
  return 0;
}

/* URL checks before any network use ---------------------------------- */

/* The address a URL host names, read as the resolver would: "[v6]", or
 * IPv4 in any inet_aton spelling with one trailing dot. 0 for names. */
static size_t lk_host_literal(const char *host, unsigned char *ip)
{
  char buf[64];
  struct in_addr a;
  size_t n = strlen(host);
  if(host[0] == '[') {
    if(n < 3 || n - 2 >= sizeof buf || host[n - 1] != ']')
      return 0;
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    return inet_pton(AF_INET6, buf, ip) == 1 ? 16 : 0;
  }
  if(n && host[n - 1] == '.')
    n--;
  if(!n || n >= sizeof buf)
    return 0;
  memcpy(buf, host, n);
  buf[n] = '\0';
  if(!inet_aton(buf, &a))
    return 0;
  memcpy(ip, &a, 4);
  return 4;
}

static lk_err lk_guard_literal(const struct lk_fetch_policy *p,
                               const char *host, char *why)
{
  unsigned char ip[16];
  size_t n = lk_host_literal(host, ip);
  enum lk_fetch_addr c;
  if(!n)
    return LK_OK;
  c = lk_fetch_addr_classify(ip, n);
  if(c == LK_FETCH_ADDR_PUBLIC)
    return LK_OK;
  if(!lk_addr_never(c) && (lk_allow_addr(p, ip, n, c) ||
                           lk_allow_host(p, host)))
    return LK_OK;
  return lk_addr_refuse(why, ip, n, c);
}

static lk_err lk_guard_scheme(const struct lk_fetch_policy *p,
                              const char *scheme, char *why)
{
  if(!strcmp(scheme, "https") || (!p->https_only && !strcmp(scheme, "http")))
    return LK_OK;
  return lk_fetch_fail(why, LK_ERR_DENIED,
                       "refused: scheme %.32s is not allowed (%s only)",
                       scheme, p->https_only ? "https" : "http and https");
}

static lk_err lk_url_error(CURLUcode rc, char *why)
{
  if(rc == CURLUE_OUT_OF_MEMORY)
    return lk_fetch_fail(why, LK_ERR_NOMEM, "out of memory parsing URL");
  return lk_fetch_fail(why, LK_ERR_INVAL, "malformed URL: %s",
                       curl_url_strerror(rc));
}

/* Parts of a parsed URL the checks need; freed by the caller. */
static lk_err lk_url_checks(const struct lk_fetch_policy *p, CURLU *u,
                            int guarded, char *why)
{
  char *scheme = NULL, *host = NULL;
  CURLUcode rc;
  lk_err err;
  rc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  if(rc) {
    err = lk_url_error(rc, why);
    goto out;
  }
  err = lk_guard_scheme(p, scheme, why);
  if(err)
    goto out;
  rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  if(rc)
    err = lk_url_error(rc, why);
  else if(guarded)
    err = lk_guard_literal(p, host, why);
out:
  curl_free(host);
  curl_free(scheme);
  return err;
}

lk_err lk_fetch_url_parse(const struct lk_fetch_policy *p, const char *url,
                          int guarded, CURLU **out, char *why)
{
  CURLU *u;
  CURLUcode rc;
  lk_err err;
  *out = NULL;
  if(!url || !*url)
    return lk_fetch_fail(why, LK_ERR_INVAL, "malformed URL: empty");
  if(strnlen(url, LK_FETCH_URL_MAX + 1) > LK_FETCH_URL_MAX)
    return lk_fetch_fail(why, LK_ERR_INVAL,
                         "malformed URL: longer than %d bytes",
                         LK_FETCH_URL_MAX);
  u = curl_url();
  if(!u)
    return lk_fetch_fail(why, LK_ERR_NOMEM, "out of memory parsing URL");
  /* NON_SUPPORT_SCHEME: "foo://x" parses, so the scheme check can name
   * it instead of calling it malformed */
  rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
  err = rc ? lk_url_error(rc, why) : lk_url_checks(p, u, guarded, why);
  if(err) {
    curl_url_cleanup(u);
    return err;
  }
  *out = u;
  return LK_OK;
}

lk_err lk_fetch_url_check(const struct lk_fetch_policy *p, const char *url,
                          char *why)
{
  struct lk_fetch_policy def = lk_fetch_default_policy();
  CURLU *u;
  lk_err err = lk_fetch_init();
  if(err)
    return lk_fetch_fail(why, err, "libcurl could not be initialised");
  if(!p)
    p = &def;
  err = lk_fetch_policy_check(p, why);
  if(!err)
    err = lk_fetch_url_parse(p, url, 1, &u, why);
  if(!err)
    curl_url_cleanup(u);
  return err;
}

/* Connect-time check ------------------------------------------------- */

/* Host of the URL curl is connecting for now: on a redirect, curl has
 * already made the new URL effective when it opens the socket. */
static int lk_hop_host_allowed(struct lk_fetch_job *job)
{
  char *url = NULL, *host = NULL;
  CURLU *u;
  int ok = 0;
  if(!lk_allow_has_hosts(job->policy))
    return 0;
  if(curl_easy_getinfo(job->curl, CURLINFO_EFFECTIVE_URL, &url) || !url)
    return 0;
  u = curl_url();
  if(!u)
    return 0;
  if(!curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) &&
     !curl_url_get(u, CURLUPART_HOST, &host, 0))
    ok = lk_allow_host(job->policy, host);
  curl_free(host);
  curl_url_cleanup(u);
  return ok;
}

static size_t lk_sockaddr_ip(const struct curl_sockaddr *a, unsigned char *ip)
{
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
  if(a->family == AF_INET && a->addrlen >= sizeof in4) {
    memcpy(&in4, &a->addr, sizeof in4);
    memcpy(ip, &in4.sin_addr, 4);
    return 4;
  }
  if(a->family == AF_INET6 && a->addrlen >= sizeof in6) {
    memcpy(&in6, &a->addr, sizeof in6);
    memcpy(ip, &in6.sin6_addr, 16);
    return 16;
  }
  return 0;
}

static int lk_connect_allowed(struct lk_fetch_job *job,
                              const struct curl_sockaddr *a)
{
  unsigned char ip[16];
  size_t n = lk_sockaddr_ip(a, ip);
  enum lk_fetch_addr c;
  if(!n) {
    lk_fetch_fail(job->denied_why, LK_ERR_DENIED,
                  "refused: address family %d is not IP", a->family);
    return 0;
  }
  c = lk_fetch_addr_classify(ip, n);
  if(c == LK_FETCH_ADDR_PUBLIC)
    return 1;
  if(!lk_addr_never(c) && (lk_allow_addr(job->policy, ip, n, c) ||
                           lk_hop_host_allowed(job)))
    return 1;
  lk_addr_refuse(job->denied_why, ip, n, c);
  return 0;
}

curl_socket_t lk_fetch_opensocket(void *clientp, curlsocktype purpose,
                                  struct curl_sockaddr *address)
{
  struct lk_fetch_job *job = clientp;
  if(purpose != CURLSOCKTYPE_IPCXN) {
    lk_fetch_fail(job->denied_why, LK_ERR_DENIED,
                  "refused: not an outgoing connection");
    job->denied = 1;
    return CURL_SOCKET_BAD;
  }
  if(!lk_connect_allowed(job, address)) {
    job->denied = 1;
    return CURL_SOCKET_BAD;
  }
  /* CLOEXEC: a helper the server forks must not inherit the connection */
  return socket(address->family, address->socktype | SOCK_CLOEXEC,
                address->protocol);
}
