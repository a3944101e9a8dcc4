/* body.c - request bodies by content type: multipart/form-data and
 * application/x-www-form-urlencoded through libmicrohttpd's post processor
 * (chunked uploads included, it sees the de-chunked bytes), JSON through
 * cJSON, anything else kept raw. Bytes go to the request's bulk store
 * (bulk.c), part names and headers to its arena. */
#include "http_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The post processor's window: part headers must fit in it, and part data
 * arrives in pieces of at most this size. */
#define LK_HTTP_PP_BUFFER ((size_t)64 * 1024)
/* Slack over max_body for the bulk store, whose blocks may hold an item
 * twice while it moves (see bulk.c). */
#define LK_HTTP_BULK_SLACK ((size_t)64 * 1024)

static int lk_http_media_is(const char *ct, const char *type)
{
  size_t n = strlen(type);
  while(*ct == ' ' || *ct == '\t')
    ct++;
  if(strncasecmp(ct, type, n))
    return 0;
  ct += n;
  while(*ct == ' ' || *ct == '\t')
    ct++;
  return !*ct || *ct == ';';
}

/* application/json, text/json and any "+json" suffix type */
static int lk_http_media_is_json(const char *ct)
{
  const char *semi = strchr(ct, ';');
  size_t n = semi ? (size_t)(semi - ct) : strlen(ct);
  while(n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
    n--;
  if(lk_http_media_is(ct, "application/json") ||
     lk_http_media_is(ct, "text/json"))
    return 1;
  return n >= 5 && !strncasecmp(ct + n - 5, "+json", 5);
}

static enum lk_http_body lk_http_kind_of(const char *ct)
{
  if(!ct)
    return LK_HTTP_BODY_RAW;
  if(lk_http_media_is(ct, "multipart/form-data"))
    return LK_HTTP_BODY_MULTIPART;
  if(lk_http_media_is(ct, "application/x-www-form-urlencoded"))
    return LK_HTTP_BODY_FORM;
  if(lk_http_media_is_json(ct))
    return LK_HTTP_BODY_JSON;
  return LK_HTTP_BODY_RAW;
}

static void lk_http_fail_err(struct lk_http_req *req, lk_err err)
{
  if(err == LK_ERR_TOO_LARGE)
    lk_http_req_fail(req, 413, "request body too large");
  else
    lk_http_req_fail(req, 500, "out of memory reading the request body");
}

static void lk_http_fail_too_large(struct lk_http_req *req)
{
  char *msg = lk_arena_alloc(req->arena, 80);
  if(msg)
    snprintf(msg, 80, "request body larger than %zu bytes", req->max_body);
  lk_http_req_fail(req, 413, msg ? msg : "request body too large");
}

static lk_err lk_http_part_close(struct lk_http_req *req)
{
  struct lk_http_part *p;
  if(!req->bulk.open)
    return LK_OK;
  p = &req->part_tail->part;
  return lk_http_bulk_close(&req->bulk, &p->data, &p->size);
}

static int lk_http_str_eq(const char *a, const char *b)
{
  if(!a || !b)
    return a == b;
  return !strcmp(a, b);
}

/* The post processor has no "part ended" event: a value starts at off 0.
 * It may also report an empty first piece (off 0, size 0) before the rest
 * arrives at off 0 again, so an empty open part with the same name is
 * continued. The cost: an empty field followed by a same-named field reads
 * as one field. */
static int lk_http_part_is_new(const struct lk_http_req *req, const char *key,
                               const char *filename, uint64_t off)
{
  const struct lk_http_part *p;
  if(off)
    return 0;
  if(!req->bulk.open)
    return 1;
  p = &req->part_tail->part;
  return lk_http_bulk_open_size(&req->bulk) || !lk_http_str_eq(p->name, key) ||
         !lk_http_str_eq(p->filename, filename);
}

static lk_err lk_http_part_add(struct lk_http_req *req, const char *key,
                               const char *filename, const char *type)
{
  struct lk_http_partnode *n = lk_arena_calloc(req->arena, sizeof *n);
  if(!n)
    return LK_ERR_NOMEM;
  n->part.name = lk_arena_strdup(req->arena, key ? key : "");
  n->part.filename = filename ? lk_arena_strdup(req->arena, filename)
                              : NULL;
  n->part.content_type = type ? lk_arena_strdup(req->arena, type) : NULL;
  if(!n->part.name || (filename && !n->part.filename) ||
     (type && !n->part.content_type))
    return LK_ERR_NOMEM;
  if(req->part_tail)
    req->part_tail->next = n;
  else
    req->part_head = n;
  req->part_tail = n;
  req->n_parts++;
  lk_http_bulk_open(&req->bulk);
  return LK_OK;
}

static enum MHD_Result lk_http_pp_iter(void *cls, enum MHD_ValueKind kind,
                                       const char *key, const char *filename,
                                       const char *type, const char *encoding,
                                       const char *data, uint64_t off,
                                       size_t size)
{
  struct lk_http_req *req = cls;
  lk_err err = LK_OK;
  (void)kind;
  (void)encoding;
  if(lk_http_part_is_new(req, key, filename, off)) {
    err = lk_http_part_close(req);
    if(!err && req->n_parts >= req->max_parts) {
      lk_http_req_fail(req, 413, "too many form fields");
      return MHD_NO;
    }
    if(!err)
      err = lk_http_part_add(req, key, filename, type);
  }
  if(!err && size)
    err = lk_http_bulk_put(&req->bulk, data, size);
  if(err) {
    lk_http_fail_err(req, err);
    return MHD_NO;
  }
  return MHD_YES;
}

void lk_http_body_begin(struct lk_http_req *req, const char *content_type,
                        int64_t content_length)
{
  size_t hint = 0;
  if(content_length >= 0 && (uint64_t)content_length <= req->max_body)
    hint = (size_t)content_length + 16;
  lk_http_bulk_init(&req->bulk, 2 * req->max_body + LK_HTTP_BULK_SLACK, hint);
  req->content_type = content_type ? lk_arena_strdup(req->arena,
                                                     content_type)
                                   : NULL;
  req->kind = lk_http_kind_of(content_type);
  if(req->kind != LK_HTTP_BODY_MULTIPART && req->kind != LK_HTTP_BODY_FORM) {
    lk_http_bulk_open(&req->bulk);
    return;
  }
  req->pp = MHD_create_post_processor(req->conn, LK_HTTP_PP_BUFFER,
                                      lk_http_pp_iter, req);
  if(!req->pp)
    lk_http_req_fail(req, 400, req->kind == LK_HTTP_BODY_MULTIPART
      ? "multipart/form-data without a usable boundary parameter"
      : "cannot parse this form body");
}

void lk_http_body_feed(struct lk_http_req *req, const char *data, size_t n)
{
  lk_err err;
  req->received += n;
  if(req->fail_status)
    return;
  if(req->received > req->max_body) {
    lk_http_fail_too_large(req);
    return;
  }
  if(req->pp) {
    if(MHD_post_process(req->pp, data, n) != MHD_YES)
      lk_http_req_fail(req, 400, req->kind == LK_HTTP_BODY_MULTIPART
                       ? "malformed multipart/form-data body"
                       : "malformed form body");
    return;
  }
  err = lk_http_bulk_put(&req->bulk, data, n);
  if(err)
    lk_http_fail_err(req, err);
}

static void lk_http_form_end(struct lk_http_req *req)
{
  struct lk_http_partnode *n;
  size_t i = 0;
  int ok = MHD_destroy_post_processor(req->pp) == MHD_YES;
  lk_err err;
  req->pp = NULL;
  if(req->fail_status)
    return;
  if(!ok) {
    lk_http_req_fail(req, 400, req->kind == LK_HTTP_BODY_MULTIPART
                     ? "truncated or malformed multipart/form-data body"
                     : "malformed form body");
    return;
  }
  /* the post processor skips everything before the first boundary, so a
   * wrong boundary reads as a body with no parts */
  if(req->kind == LK_HTTP_BODY_MULTIPART && req->received && !req->n_parts) {
    lk_http_req_fail(req, 400, "multipart/form-data body has no parts: "
                     "its boundary does not match the Content-Type");
    return;
  }
  err = lk_http_part_close(req);
  req->parts = req->n_parts ? lk_arena_alloc(req->arena, req->n_parts *
                                             sizeof *req->parts) : NULL;
  if(err || (req->n_parts && !req->parts)) {
    lk_http_fail_err(req, err ? err : LK_ERR_NOMEM);
    return;
  }
  for(n = req->part_head; n; n = n->next)
    req->parts[i++] = n->part;
}

static void lk_http_json_end(struct lk_http_req *req)
{
  if(req->kind != LK_HTTP_BODY_JSON)
    return;
  /* The length covers the closing NUL so that require_null_terminated can
   * refuse "{} trailing junk". */
  req->json = cJSON_ParseWithLengthOpts((const char *)req->body,
                                        req->body_size + 1, NULL, 1);
  if(!req->json)
    lk_http_req_fail(req, 400, "request body is not valid JSON");
}

void lk_http_body_end(struct lk_http_req *req)
{
  lk_err err;
  if(req->pp)
    lk_http_form_end(req);
  else if(req->bulk.open && !req->fail_status) {
    err = lk_http_bulk_close(&req->bulk, &req->body, &req->body_size);
    if(err)
      lk_http_fail_err(req, err);
    else if(req->body_size)
      lk_http_json_end(req);
  }
  if(!req->received)
    req->kind = LK_HTTP_BODY_NONE;
}
