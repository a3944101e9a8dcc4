/* request.c - the request object: URI parsing (path segments, query) and
 * the accessors handlers use. The body is parsed in body.c.
 *
 * The URI is taken raw from libmicrohttpd's URI-log callback and decoded
 * here, one segment or query item at a time, because libmicrohttpd decodes
 * the whole path first (so "%2F" inside an id would split a segment) and
 * leaves '+' in query values (form encoding, which clients such as python
 * requests and axios use for spaces, says it is a space). */
#include "http_int.h"

#include <string.h>

/* Percent-decoding in place; '+' is a space only in query strings. */
static void lk_http_unescape(char *s, int plus)
{
  char *p;
  if(plus)
    for(p = s; *p; p++)
      if(*p == '+')
        *p = ' ';
  MHD_http_unescape(s);
}

static lk_err lk_http_parse_path(struct lk_http_req *req, const char *raw,
                                 size_t len)
{
  size_t i, n = 1, start;
  char *path = lk_arena_strndup(req->arena, raw, len);
  if(!path)
    return LK_ERR_NOMEM;
  for(i = 0; i < len; i++)
    n += raw[i] == '/';
  req->segs = lk_arena_alloc(req->arena, n * sizeof *req->segs);
  if(!req->segs)
    return LK_ERR_NOMEM;
  start = len && raw[0] == '/' ? 1 : 0;
  for(i = start; i <= len; i++) {
    if(i < len && raw[i] != '/')
      continue;
    req->segs[req->n_segs] = lk_arena_strndup(req->arena, raw + start,
                                              i - start);
    if(!req->segs[req->n_segs])
      return LK_ERR_NOMEM;
    lk_http_unescape(req->segs[req->n_segs++], 0);
    start = i + 1;
  }
  /* "/a/b/" routes like "/a/b"; "/" has no segments */
  if(req->n_segs && !req->segs[req->n_segs - 1][0])
    req->n_segs--;
  lk_http_unescape(path, 0);
  req->path = path;
  return LK_OK;
}

static lk_err lk_http_query_item(struct lk_http_req *req, const char *s,
                                 size_t len)
{
  struct lk_http_kv *kv = &req->query[req->n_query];
  const char *eq = memchr(s, '=', len);
  size_t klen = eq ? (size_t)(eq - s) : len;
  char *key = lk_arena_strndup(req->arena, s, klen);
  char *value = eq ? lk_arena_strndup(req->arena, eq + 1, len - klen - 1)
                   : lk_arena_strdup(req->arena, "");
  if(!key || !value)
    return LK_ERR_NOMEM;
  lk_http_unescape(key, 1);
  lk_http_unescape(value, 1);
  kv->key = key;
  kv->value = value;
  req->n_query++;
  return LK_OK;
}

/* Empty items ("?&limit=0", "a&&b", a trailing '&') are skipped. */
static lk_err lk_http_parse_query(struct lk_http_req *req, const char *q)
{
  size_t i, n = 1, len = strlen(q), start = 0;
  lk_err err;
  for(i = 0; i < len; i++)
    n += q[i] == '&';
  req->query = lk_arena_alloc(req->arena, n * sizeof *req->query);
  if(!req->query)
    return LK_ERR_NOMEM;
  for(i = 0; i <= len; i++) {
    if(i < len && q[i] != '&')
      continue;
    if(i > start) {
      err = lk_http_query_item(req, q + start, i - start);
      if(err)
        return err;
    }
    start = i + 1;
  }
  return LK_OK;
}

struct lk_http_req *lk_http_req_create(struct lk_http_server *srv,
                                       struct MHD_Connection *conn,
                                       const char *uri, size_t arena_bytes)
{
  struct lk_arena *arena = lk_arena_create(arena_bytes);
  struct lk_http_req *req;
  const char *q;
  if(!arena)
    return NULL;
  req = lk_arena_calloc(arena, sizeof *req);
  if(!req) {
    lk_arena_destroy(arena);
    return NULL;
  }
  req->srv = srv;
  req->conn = conn;
  req->arena = arena;
  req->resp.req = req;
  clock_gettime(CLOCK_MONOTONIC, &req->t0);
  if(!uri)
    uri = "";
  q = strchr(uri, '?');
  /* decoded, a NUL would cut a name short: "Ada%00x" would act on "Ada" */
  if(strstr(uri, "%00"))
    lk_http_req_fail(req, 400, "the URL holds a NUL byte (%00)");
  if(lk_http_parse_path(req, uri, q ? (size_t)(q - uri) : strlen(uri)) ||
     (q && lk_http_parse_query(req, q + 1))) {
    lk_http_req_destroy(req);
    return NULL;
  }
  return req;
}

void lk_http_req_destroy(struct lk_http_req *req)
{
  if(!req)
    return;
  if(req->pp)
    MHD_destroy_post_processor(req->pp);
  cJSON_Delete(req->json);
  lk_http_bulk_clear(&req->bulk);
  lk_http_resp_clear(&req->resp);
  lk_arena_destroy(req->arena);   /* req itself lives in it */
}

void lk_http_req_fail(struct lk_http_req *req, int status, const char *msg)
{
  if(req->fail_status)
    return;   /* the first problem is the one worth reporting */
  req->fail_status = status;
  req->fail_msg = msg;
}

const char *lk_http_req_method(const struct lk_http_req *req)
{
  return req->method ? req->method : "";
}

const char *lk_http_req_path(const struct lk_http_req *req)
{
  return req->path;
}

const char *lk_http_req_param(const struct lk_http_req *req, const char *name)
{
  size_t i;
  for(i = 0; i < req->n_params; i++)
    if(!strcmp(req->params[i].key, name))
      return req->params[i].value;
  return NULL;
}

const char *lk_http_req_query(const struct lk_http_req *req, const char *key)
{
  size_t i;
  for(i = 0; i < req->n_query; i++)
    if(!strcmp(req->query[i].key, key))
      return req->query[i].value;
  return NULL;
}

size_t lk_http_req_queries(const struct lk_http_req *req,
                           const struct lk_http_kv **kv)
{
  *kv = req->query;
  return req->n_query;
}

const char *lk_http_req_header(const struct lk_http_req *req,
                               const char *name)
{
  if(!req->conn)
    return NULL;
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

lk_err lk_http_req_basic_auth(struct lk_http_req *req, const char **user,
                              const char **password)
{
  char *pass = NULL;
  char *name = NULL;
  lk_err err = LK_ERR_NOT_FOUND;
  if(req->conn)
    name = MHD_basic_auth_get_username_password(req->conn, &pass);
  if(name) {
    *user = lk_arena_strdup(req->arena, name);
    *password = lk_arena_strdup(req->arena, pass ? pass : "");
    err = *user && *password ? LK_OK : LK_ERR_NOMEM;
  }
  MHD_free(name);
  MHD_free(pass);
  return err;
}

enum lk_http_body lk_http_req_body_kind(const struct lk_http_req *req)
{
  return req->kind;
}

const char *lk_http_req_content_type(const struct lk_http_req *req)
{
  return req->content_type;
}

const unsigned char *lk_http_req_body(const struct lk_http_req *req,
                                      size_t *size)
{
  *size = req->body ? req->body_size : 0;
  return req->body;
}

const cJSON *lk_http_req_json(const struct lk_http_req *req)
{
  return req->json;
}

size_t lk_http_req_parts(const struct lk_http_req *req,
                         const struct lk_http_part **parts)
{
  *parts = req->parts;
  return req->parts ? req->n_parts : 0;
}

const struct lk_http_part *lk_http_req_part(const struct lk_http_req *req,
                                            const char *name)
{
  size_t i;
  if(!req->parts)
    return NULL;
  for(i = 0; i < req->n_parts; i++)
    if(!strcmp(req->parts[i].name, name))
      return &req->parts[i];
  return NULL;
}

const char *lk_http_req_form(const struct lk_http_req *req, const char *name)
{
  const struct lk_http_part *p = lk_http_req_part(req, name);
  return p ? (const char *)p->data : NULL;
}

struct lk_arena *lk_http_req_arena(struct lk_http_req *req)
{
  return req->arena;
}
