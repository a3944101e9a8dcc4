/* fetch.h - download a URL into memory with libcurl, under size and time
 * limits, and (for URLs that arrive in API requests) behind an SSRF guard
 * that vets every address curl is about to connect to. docs/fetch.md has
 * the rules.
 *
 * Two entry points, so a reviewer can see which trust a call site grants:
 *   lk_fetch_url      untrusted URLs (API requests): http/https only, every
 *                     resolved address must be public unless the policy
 *                     allows it; redirects and each resolution re-checked.
 *   lk_fetch_trusted  URLs the admin wrote in the config file (Frigate,
 *                     camera snapshots on the LAN): same limits, no address
 *                     guard, optional basic/digest/bearer auth. Retrying is
 *                     the caller's business.
 *
 * Threads: every function may be called from any number of threads at
 * once. Each call uses its own curl easy handle, so no connection outlives
 * a call (a connection vetted under one policy never serves another).
 * curl_global_init runs once (pthread_once) on first use, with curl's
 * allocations routed through lk_malloc; call lk_fetch_init() at startup to
 * get its error early. The process should ignore SIGPIPE, as servers do.
 *
 *   struct lk_fetch_policy p = lk_fetch_default_policy();
 *   unsigned char *img;  size_t n;  char why[LK_FETCH_ERRMAX];
 *   err = lk_fetch_url(&p, url, &img, &n, NULL, why);
 *   if(err) reply(400, why);            "refused: 127.0.0.1 is a loopback..."
 *   ...  lk_free(img);
 */
#ifndef LK_FETCH_H
#define LK_FETCH_H

#include <stddef.h>

#include "base/err.h"

#define LK_FETCH_ERRMAX 256
#define LK_FETCH_URL_MAX 8192       /* longer URLs are refused (INVAL) */
#define LK_FETCH_DEFAULT_MAX_BYTES ((size_t)20 << 20)   /* 20 MiB */
#define LK_FETCH_DEFAULT_TIMEOUT_MS 10000L
#define LK_FETCH_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define LK_FETCH_DEFAULT_MAX_REDIRECTS 3
#define LK_FETCH_MAX_REDIRECTS 20   /* policy values above are refused */

struct lk_fetch_policy {
  size_t max_bytes;         /* body ceiling, enforced while streaming (> 0) */
  long connect_timeout_ms;  /* per connection; 0 = only timeout_ms */
  long timeout_ms;          /* whole transfer incl. redirects (> 0) */
  int max_redirects;        /* 0 = do not follow; at most 20 */
  int https_only;           /* refuse plain http, also on redirects */
  /* Untrusted calls only. allow_private opens loopback, private (RFC 1918,
   * fc00::/7) and CGNAT addresses; allow is a NULL-terminated list of
   * CIDRs ("192.168.1.0/24", "127.0.0.1", "fd00::/8") whose addresses, or
   * host names ("frigate.lan", exact match) whose URLs, may reach any
   * address except unspecified, multicast and broadcast ones. */
  int allow_private;
  const char *const *allow;
  const char *user_agent;   /* NULL: "likeness/<version>"; "": none */
};

/* Credentials for lk_fetch_trusted; sent only to the URL's own host, never
 * along a redirect to another host. */
struct lk_fetch_auth {
  const char *user;         /* with password: HTTP basic (or digest) */
  const char *password;
  int digest;               /* use HTTP digest instead of basic */
  const char *bearer;       /* "Authorization: Bearer <token>" instead */
};

struct lk_fetch_policy lk_fetch_default_policy(void);

/* Initialise libcurl once; later calls return the first result. */
lk_err lk_fetch_init(void);

/* Check a policy (limits, allow entries, no CR/LF in strings), e.g. once
 * at startup: LK_ERR_INVAL with the offending value in why. */
lk_err lk_fetch_policy_check(const struct lk_fetch_policy *p, char *why);

/* GET url (policy NULL = defaults). On LK_OK *data holds *len bytes plus a
 * terminating NUL (lk_malloc'd, never NULL) and *content_type (if not NULL)
 * an lk_malloc'd copy of the header or NULL. Caller frees both with
 * lk_free. why (NULL, or LK_FETCH_ERRMAX bytes) gets one line on failure:
 *   LK_ERR_INVAL      malformed URL or policy
 *   LK_ERR_DENIED     the guard refused a scheme or address (incl. after a
 *                     redirect): "refused: 10.0.0.1 is a private address"
 *   LK_ERR_TOO_LARGE  "too large: more than 20971520 bytes"
 *   LK_ERR_IO         network or HTTP: "HTTP 404", "timed out after 10 s",
 *                     "too many redirects (more than 3)"
 *   LK_ERR_NOMEM */
lk_err lk_fetch_url(const struct lk_fetch_policy *p, const char *url,
                    unsigned char **data, size_t *len, char **content_type,
                    char *why);

/* As lk_fetch_url, without the address guard, for admin-configured URLs;
 * auth may be NULL. Scheme, size, time and redirect limits still apply. */
lk_err lk_fetch_trusted(const struct lk_fetch_policy *p,
                        const struct lk_fetch_auth *auth, const char *url,
                        unsigned char **data, size_t *len,
                        char **content_type, char *why);

/* A request other than a plain GET, to an admin-configured server. */
struct lk_fetch_body {
  const char *method;          /* NULL: "POST"; "DELETE", "PUT", ... */
  const char *content_type;    /* NULL: no body (data and len unused) */
  const void *data;
  size_t len;
  const char *const *headers;  /* NULL, or NULL-terminated "Name: value" */
  /* 0: a 4xx/5xx answer is LK_ERR_IO "HTTP 400". 1: any answer is LK_OK
   * with its status and body (CompreFace's {"code":28} is an answer). */
  int any_status;
};

/* lk_fetch_trusted with a method, headers and maybe a body (Frigate's
 * sub_label, Gotify and Telegram, remote detectors); *status (may be
 * NULL) gets the answer's HTTP status, *data its body as for GET (data
 * and len may be NULL when not wanted). Redirects are not followed: a
 * request's body does not travel with one (a 3xx is "HTTP 302"). */
lk_err lk_fetch_trusted_send(const struct lk_fetch_policy *p,
                             const struct lk_fetch_auth *auth,
                             const char *url, const struct lk_fetch_body *body,
                             long *status, unsigned char **data, size_t *len,
                             char *why);

/* The guard's part that needs no network: parse url with curl's URL API,
 * check the scheme and, when the host is an IP literal in any spelling
 * ("2130706433", "0x7f.1", "[::ffff:127.0.0.1]"), its address. LK_OK means
 * only "not refused yet": names are checked once resolved. */
lk_err lk_fetch_url_check(const struct lk_fetch_policy *p, const char *url,
                          char *why);

/* Address classes; only LK_FETCH_ADDR_PUBLIC passes the guard unaided. */
enum lk_fetch_addr {
  LK_FETCH_ADDR_PUBLIC = 0,
  LK_FETCH_ADDR_LOOPBACK,     /* 127/8, ::1 */
  LK_FETCH_ADDR_PRIVATE,      /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
  LK_FETCH_ADDR_LINK_LOCAL,   /* 169.254/16 (cloud metadata), fe80::/10 */
  LK_FETCH_ADDR_UNSPECIFIED,  /* 0/8, :: */
  LK_FETCH_ADDR_MULTICAST,    /* 224/4, ff00::/8 */
  LK_FETCH_ADDR_BROADCAST,    /* 255.255.255.255 */
  LK_FETCH_ADDR_SHARED,       /* 100.64/10 (CGNAT) */
  LK_FETCH_ADDR_RESERVED      /* documentation, benchmarking, 240/4, ... */
};

/* Classify 4 (IPv4) or 16 (IPv6) bytes in network order; IPv4-mapped,
 * NAT64 and 6to4 forms take their embedded IPv4 address's class. Other
 * lengths are LK_FETCH_ADDR_RESERVED. */
enum lk_fetch_addr lk_fetch_addr_classify(const unsigned char *ip, size_t n);
const char *lk_fetch_addr_name(enum lk_fetch_addr c);   /* "loopback" */

#endif
