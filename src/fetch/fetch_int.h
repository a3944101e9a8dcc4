/* fetch_int.h - shared inside src/fetch only: one transfer's state, and the
 * guard's hooks that fetch.c installs on the curl handle. */
#ifndef LK_FETCH_INT_H
#define LK_FETCH_INT_H

#include <curl/curl.h>

#include "fetch.h"

/* One call of lk_fetch_url / lk_fetch_trusted; lives on its stack. */
struct lk_fetch_job {
  CURL *curl;
  const struct lk_fetch_policy *policy;
  int guarded;              /* untrusted: every address is vetted */
  unsigned char *data;      /* body so far, lk_malloc'd */
  size_t len, cap;
  int too_large;            /* the write callback hit max_bytes */
  int nomem;                /* the write callback could not grow data */
  int denied;               /* the guard refused an address ... */
  char denied_why[LK_FETCH_ERRMAX];   /* ... and said why */
  char errbuf[CURL_ERROR_SIZE];       /* curl's own text, for the log */
  const struct lk_fetch_body *body;   /* NULL: GET; else this request */
  struct curl_slist *headers;         /* Content-Type and the body's */
  long status;                        /* the answer's HTTP status */
};

/* snprintf into why (when not NULL) and return err. */
lk_err lk_fetch_fail(char *why, lk_err err, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* Parse url with the URL API and apply the checks that need no network
 * (length, scheme, literal addresses when guarded). *out is the parsed
 * handle for CURLOPT_CURLU; free it with curl_url_cleanup. */
lk_err lk_fetch_url_parse(const struct lk_fetch_policy *p, const char *url,
                          int guarded, CURLU **out, char *why);

/* CURLOPT_OPENSOCKETFUNCTION for guarded jobs (clientp = the job): opens
 * the socket only for an allowed address, else records why in the job. */
curl_socket_t lk_fetch_opensocket(void *clientp, curlsocktype purpose,
                                  struct curl_sockaddr *address);

/* Allow-list entries: 1 = CIDR, 0 = host name, -1 = invalid. */
int lk_fetch_allow_valid(const char *entry);

#endif
