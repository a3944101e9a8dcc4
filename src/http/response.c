/* response.c - what a handler answers: status, one body (JSON, bytes or
 * none) and extra headers. The body is lk_malloc'd (not in the arena, see
 * bulk.c for why) and handed to libmicrohttpd without a copy; it is freed
 * when the request completes, after libmicrohttpd has sent it. */
#include "http_int.h"

#include <string.h>

void lk_http_resp_clear(struct lk_http_resp *resp)
{
  lk_free(resp->body);
  resp->body = NULL;
  resp->size = 0;
  resp->type = NULL;
}

static lk_err lk_http_resp_set(struct lk_http_resp *resp, int status,
                               const char *type, const void *data, size_t n)
{
  unsigned char *body = lk_malloc(n ? n : 1);
  if(!body)
    return LK_ERR_NOMEM;
  if(n)
    memcpy(body, data, n);
  lk_http_resp_clear(resp);
  resp->body = body;
  resp->size = n;
  resp->type = type;
  resp->status = status;
  return LK_OK;
}

lk_err lk_http_resp_json(struct lk_http_resp *resp, int status, cJSON *json)
{
  char *text;
  lk_err err;
  if(!json)
    return LK_ERR_NOMEM;
  text = cJSON_PrintUnformatted(json);
  cJSON_Delete(json);
  if(!text)
    return LK_ERR_NOMEM;
  err = lk_http_resp_set(resp, status, "application/json", text,
                         strlen(text));
  cJSON_free(text);
  return err;
}

lk_err lk_http_resp_bytes(struct lk_http_resp *resp, int status,
                          const char *type, const void *data, size_t size)
{
  const char *t = type ? lk_arena_strdup(resp->req->arena, type) : NULL;
  if(type && !t)
    return LK_ERR_NOMEM;
  return lk_http_resp_set(resp, status, t, data, size);
}

void lk_http_resp_status(struct lk_http_resp *resp, int status)
{
  lk_http_resp_clear(resp);
  resp->status = status;
}

/* CR or LF in a header would let a value start a new header. */
static int lk_http_header_ok(const char *s)
{
  return s && !strpbrk(s, "\r\n");
}

lk_err lk_http_resp_header(struct lk_http_resp *resp, const char *name,
                           const char *value)
{
  struct lk_arena *a = resp->req->arena;
  struct lk_http_hdr *h, **tail;
  if(!lk_http_header_ok(name) || !*name || strchr(name, ':') ||
     !lk_http_header_ok(value))
    return LK_ERR_INVAL;
  h = lk_arena_alloc(a, sizeof *h);
  if(!h)
    return LK_ERR_NOMEM;
  h->next = NULL;
  h->name = lk_arena_strdup(a, name);
  h->value = lk_arena_strdup(a, value);
  if(!h->name || !h->value)
    return LK_ERR_NOMEM;
  /* in the order given, as a reader of the wire would expect */
  for(tail = &resp->headers; *tail; tail = &(*tail)->next)
    ;
  *tail = h;
  return LK_OK;
}

static void lk_http_resp_error_default(struct lk_http_resp *resp, int status,
                                       const char *message)
{
  cJSON *o = cJSON_CreateObject();
  if(o && (!cJSON_AddFalseToObject(o, "success") ||
           !cJSON_AddStringToObject(o, "error", message))) {
    cJSON_Delete(o);
    o = NULL;
  }
  if(lk_http_resp_json(resp, status, o))
    lk_http_resp_status(resp, status);   /* no memory: status alone */
}

void lk_http_resp_error_with(struct lk_http_resp *resp, lk_http_error_fn fn,
                             void *ctx, int status, const char *message)
{
  lk_err err = LK_ERR_INVAL;
  lk_http_resp_status(resp, 0);
  /* an on_error that calls lk_http_resp_error gets the default shape
   * instead of recursing */
  if(fn && !resp->in_error) {
    resp->in_error = 1;
    err = fn(resp->req, resp, status, message, ctx);
    resp->in_error = 0;
  }
  if(!err && resp->status)
    return;
  lk_http_resp_error_default(resp, status, message);
}

lk_err lk_http_resp_error(struct lk_http_resp *resp, int status,
                          const char *message)
{
  lk_http_error_fn fn;
  void *ctx;
  lk_http_server_error_fn(resp->req, &fn, &ctx);
  lk_http_resp_error_with(resp, fn, ctx, status, message);
  return resp->body ? LK_OK : LK_ERR_NOMEM;
}

int lk_http_status_for(lk_err err)
{
  switch(err) {
  case LK_OK:
    return 200;
  case LK_ERR_INVAL:
  case LK_ERR_IMAGE:
  case LK_ERR_NO_FACE:
    return 400;
  case LK_ERR_DENIED:
    return 403;
  case LK_ERR_NOT_FOUND:
    return 404;
  case LK_ERR_TOO_LARGE:
    return 413;
  case LK_ERR_UNSUPPORTED:
    return 415;
  case LK_ERR_BUSY:
    return 503;
  default:
    return 500;
  }
}
