/* route.c - route patterns: checking them, matching a request's decoded
 * path segments against them, and the Allow list for 405 and OPTIONS.
 * The table is searched in order and the first match wins, so adapters
 * list literal paths ("/faces/delete") before patterns ("/faces/{id}")
 * when both take the same method. Tables are tens of routes: a linear scan
 * costs less than the request parsing around it. */
#include "http_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The next segment of a pattern; 0 at the end (a trailing '/' ends it). */
static int lk_http_pat_next(const char **p, const char **seg, size_t *n)
{
  const char *q = *p;
  if(*q == '/')
    q++;
  if(!*q)
    return 0;
  *seg = q;
  while(*q && *q != '/')
    q++;
  *n = (size_t)(q - *seg);
  *p = q;
  return 1;
}

static lk_err lk_http_seg_check(const char *s, size_t n, char *why)
{
  const char *lb = memchr(s, '{', n);
  const char *rb = memchr(s, '}', n);
  const char *c;
  if(!n)
    snprintf(why, LK_HTTP_ERRMAX, "empty segment");
  else if(!lb && !rb)
    return LK_OK;
  else if(!lb || !rb || rb < lb + 2)
    snprintf(why, LK_HTTP_ERRMAX, "unbalanced or empty {name}");
  else if(memchr(lb + 1, '{', (size_t)(s + n - lb - 1)) ||
          memchr(rb + 1, '}', (size_t)(s + n - rb - 1)))
    snprintf(why, LK_HTTP_ERRMAX, "more than one {name} in a segment");
  else {
    for(c = lb + 1; c < rb; c++)
      if(!isalnum((unsigned char)*c) && *c != '_')
        break;
    if(c == rb)
      return LK_OK;
    snprintf(why, LK_HTTP_ERRMAX, "{name} may hold letters, digits and _");
  }
  return LK_ERR_INVAL;
}

lk_err lk_http_pattern_check(const char *pattern, char *why)
{
  const char *p = pattern, *seg;
  size_t n;
  lk_err err;
  if(!pattern || pattern[0] != '/') {
    snprintf(why, LK_HTTP_ERRMAX, "a pattern starts with '/'");
    return LK_ERR_INVAL;
  }
  while(lk_http_pat_next(&p, &seg, &n)) {
    err = lk_http_seg_check(seg, n, why);
    if(err)
      return err;
  }
  return LK_OK;
}

/* Whether path segment s matches pattern segment pat; the {name} value is
 * returned through val/vlen. */
static int lk_http_seg_match(const char *pat, size_t n, const char *s,
                             const char **val, size_t *vlen)
{
  const char *lb = memchr(pat, '{', n);
  const char *rb;
  size_t pre, suf, len = strlen(s);
  if(!lb)
    return len == n && !memcmp(pat, s, n);
  rb = memchr(lb, '}', n - (size_t)(lb - pat));
  pre = (size_t)(lb - pat);
  suf = n - (size_t)(rb - pat) - 1;
  if(len < pre + suf + 1 || memcmp(s, pat, pre) ||
     memcmp(s + len - suf, rb + 1, suf))
    return 0;
  *val = s + pre;
  *vlen = len - pre - suf;
  return 1;
}

/* Records {name} of pattern segment seg (n bytes) = val (vlen bytes). */
static int lk_http_param_add(struct lk_http_req *req, const char *seg,
                             size_t n, const char *val, size_t vlen)
{
  const char *name = (const char *)memchr(seg, '{', n) + 1;
  size_t nlen = (size_t)((const char *)memchr(seg, '}', n) - name);
  char *k = lk_arena_alloc(req->arena, nlen + 1);
  char *v = lk_arena_alloc(req->arena, vlen + 1);
  if(!k || !v)
    return -1;
  memcpy(k, name, nlen);
  k[nlen] = '\0';
  memcpy(v, val, vlen);
  v[vlen] = '\0';
  req->params[req->n_params].key = k;
  req->params[req->n_params++].value = v;
  return 0;
}

/* 1 when req's path matches r; with capture, fills req->params (-1 when
 * that runs out of memory). */
static int lk_http_path_match(struct lk_http_req *req,
                              const struct lk_http_route *r, int capture)
{
  const char *p = r->pattern, *seg, *val;
  size_t n, vlen, i = 0;
  while(lk_http_pat_next(&p, &seg, &n)) {
    if(i >= req->n_segs ||
       !lk_http_seg_match(seg, n, req->segs[i++], &val, &vlen))
      return 0;
    if(capture && memchr(seg, '{', n) &&
       lk_http_param_add(req, seg, n, val, vlen))
      return -1;
  }
  return i == req->n_segs;
}

static const struct lk_http_route *lk_http_capture(
  struct lk_http_req *req, const struct lk_http_route *r, int *status)
{
  size_t n = 0;
  const char *c;
  for(c = r->pattern; *c; c++)
    n += *c == '{';
  req->n_params = 0;
  req->params = n ? lk_arena_alloc(req->arena, n * sizeof *req->params)
                  : NULL;
  if((n && !req->params) || lk_http_path_match(req, r, 1) != 1) {
    *status = 500;
    return NULL;
  }
  return r;
}

const struct lk_http_route *lk_http_route_find(struct lk_http_req *req,
                                               const struct lk_http_route *r,
                                               size_t n, const char *method,
                                               int *status)
{
  const struct lk_http_route *get = NULL;
  int path_hit = 0;
  size_t i;
  for(i = 0; i < n; i++) {
    if(lk_http_path_match(req, &r[i], 0) != 1)
      continue;
    path_hit = 1;
    if(!strcmp(r[i].method, method))
      return lk_http_capture(req, &r[i], status);
    /* HEAD runs the GET handler; libmicrohttpd drops the body */
    if(!get && !strcmp(method, "HEAD") && !strcmp(r[i].method, "GET"))
      get = &r[i];
  }
  if(get)
    return lk_http_capture(req, get, status);
  *status = path_hit ? 405 : 404;
  return NULL;
}

static int lk_http_has(const char **list, size_t n, const char *m)
{
  size_t i;
  for(i = 0; i < n; i++)
    if(!strcmp(list[i], m))
      return 1;
  return 0;
}

static char *lk_http_join(struct lk_arena *a, const char **list, size_t n)
{
  size_t i, len = 1;
  char *s, *p;
  for(i = 0; i < n; i++)
    len += strlen(list[i]) + 2;
  s = lk_arena_alloc(a, len);
  if(!s)
    return NULL;
  p = s;
  for(i = 0; i < n; i++) {
    size_t m = strlen(list[i]);
    if(i) {
      memcpy(p, ", ", 2);
      p += 2;
    }
    memcpy(p, list[i], m);
    p += m;
  }
  *p = '\0';
  return s;
}

const char *lk_http_route_allow(struct lk_http_req *req,
                                const struct lk_http_route *r, size_t n)
{
  const char **list = lk_arena_alloc(req->arena, (n + 2) * sizeof *list);
  size_t i, k = 0;
  if(!list)
    return NULL;
  for(i = 0; i < n; i++)
    if(lk_http_path_match(req, &r[i], 0) == 1 &&
       !lk_http_has(list, k, r[i].method))
      list[k++] = r[i].method;
  if(!k)
    return NULL;
  if(lk_http_has(list, k, "GET") && !lk_http_has(list, k, "HEAD"))
    list[k++] = "HEAD";
  if(!lk_http_has(list, k, "OPTIONS"))
    list[k++] = "OPTIONS";
  return lk_http_join(req->arena, list, k);
}
