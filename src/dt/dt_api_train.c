/* dt_api_train.c - Double Take's training routes (compat-apis.md §1.5):
 * /api/filesystem/folders, /api/train and /api/storage/train, as thin
 * adapters over the training store (dt_train.h), which does the work;
 * teaching runs on its worker, so no route here runs inference and none
 * is heavy. docs/dt-train.md lists every answer and where we differ.
 *
 * Photos sent as URLs are the client's: fetched behind api->fetch, the
 * SSRF guard. Photos sent as match ids are copied from the matches
 * store. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dt/dt_config.h"
#include "dt/dt_matches.h"
#include "dt/dt_result.h"
#include "dt/dt_train.h"
#include "dt_api_int.h"
#include "fetch/fetch.h"

#define LK_DTAT_URLS_MAX 100            /* URLs in one add */
#define LK_DTAT_IDS_MAX 1000            /* match ids in one add */
#define LK_DTAT_BAD_NAME \
  "invalid name: 1 to 200 bytes of UTF-8, without '/', '..', control " \
  "characters or a leading '.'"

/* The store, or NULL after answering 500 (a server without one). */
static struct lk_dt_train *lk_dtat_store(struct lk_http_resp *resp,
                                         void *ctx)
{
  struct lk_dt_train *t = LK_DTAPI(ctx)->train;
  if(!t)
    lk_dtapi_error(resp, 500, "training is not available");
  return t;
}

/* The {name} parameter when it is a valid folder name; NULL after
 * answering 400. */
static const char *lk_dtat_name(struct lk_http_req *req,
                                struct lk_http_resp *resp)
{
  const char *name = lk_http_req_param(req, "name");
  if(lk_dt_train_name_ok(name))
    return name;
  lk_dtapi_error(resp, 400, LK_DTAT_BAD_NAME);
  return NULL;
}

/* The store's errors as Double Take answers them; a 422 is a refused
 * photo ({"errors":[{"location":"files",...}]}). */
static const struct lk_api_error lk_dtat_errors[] = {
  { LK_ERR_INVAL, 400, LK_DTAT_BAD_NAME },
  { LK_ERR_NOT_FOUND, 404, "no such file" },
  { LK_ERR_EXISTS, 400, "that folder already has a file of this name" },
  { LK_ERR_BUSY, 503, "the training queue is full" },
  { LK_ERR_IMAGE, 422, "not a JPEG or PNG image" },
  { LK_ERR_UNSUPPORTED, 422, "only JPEG and PNG are taken" },
  { LK_ERR_TOO_LARGE, 422, "the photo is too large" },
  { LK_ERR_LAST, 500, NULL },          /* lk_strerror's sentence */
};

/* err answered from the table; why, when given, says more. */
static lk_err lk_dtat_fail(struct lk_http_resp *resp, lk_err err,
                           const char *why)
{
  const struct lk_api_error *e = lk_api_error_find(lk_dtat_errors, err);
  const char *msg = why && why[0] ? why
                    : e->message ? e->message : lk_strerror(err);
  if(e->status == 422)
    return lk_dtapi_invalid(resp, "files", "files[]", msg);
  return lk_dtapi_error(resp, e->status, msg);
}

/* Unix seconds as Double Take's createdAt: luxon's ISO text in UTC. */
static cJSON *lk_dtat_time(double t)
{
  struct lk_dt_clock c = { (int64_t)(t * 1000.0), 0, 1 };
  char text[64];
  if(lk_dt_time_format(&c, NULL, text, sizeof text))
    return NULL;
  return cJSON_CreateString(text);
}

/* A whole number >= 1 from text or a JSON number; 0 for anything else. */
static int64_t lk_dtat_id_text(const char *s)
{
  char *end;
  long long x;
  if(!s || *s < '0' || *s > '9')
    return 0;
  errno = 0;
  x = strtoll(s, &end, 10);
  return *end || errno || x < 1 ? 0 : (int64_t)x;
}

static int64_t lk_dtat_id_json(const cJSON *j)
{
  double d;
  if(cJSON_IsString(j))
    return lk_dtat_id_text(j->valuestring);
  if(!cJSON_IsNumber(j))
    return 0;
  d = j->valuedouble;
  return d >= 1 && d <= 9007199254740991.0 && d == (double)(int64_t)d
         ? (int64_t)d : 0;
}

/* ---- /api/filesystem/folders ------------------------------------------ */

static lk_err lk_dtat_folders(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const char **names;
  cJSON *a;
  int n, i;
  lk_err err;
  if(!t)
    return LK_OK;
  err = lk_dt_train_folders(t, lk_http_req_arena(req), &names, &n);
  if(err)
    return lk_dtat_fail(resp, err, NULL);
  a = cJSON_CreateArray();
  for(i = 0; a && i < n; i++)
    a = lk_api_json_push(a, cJSON_CreateString(names[i]));
  return lk_http_resp_json(resp, 200, a);
}

static lk_err lk_dtat_folder_create(struct lk_http_req *req,
                                    struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const char *name = t ? lk_dtat_name(req, resp) : NULL;
  lk_err err;
  if(!name)
    return LK_OK;
  err = lk_dt_train_folder_create(t, name);
  return err ? lk_dtat_fail(resp, err, NULL) : lk_dtapi_success(resp);
}

static lk_err lk_dtat_folder_delete(struct lk_http_req *req,
                                    struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const char *name = t ? lk_dtat_name(req, resp) : NULL;
  lk_err err;
  if(!name)
    return LK_OK;
  err = lk_dt_train_folder_delete(t, name, NULL);
  return err ? lk_dtat_fail(resp, err, NULL) : lk_dtapi_success(resp);
}

/* ---- GET /api/train ----------------------------------------------------- */

static cJSON *lk_dtat_results_json(const struct lk_dt_train_file *f)
{
  cJSON *a = cJSON_CreateArray(), *o, *r;
  int i;
  for(i = 0; a && i < f->n_results; i++) {
    const struct lk_dt_train_result *x = &f->results[i];
    /* queued rows have no result yet: null, as Double Take's meta */
    r = x->queued ? cJSON_CreateNull() : cJSON_Parse(x->result);
    o = lk_api_json_add(cJSON_CreateObject(), "detector",
                        cJSON_CreateString(x->detector));
    o = lk_api_json_add(o, "result", r ? r : cJSON_CreateNull());
    o = lk_api_json_add(o, "createdAt", lk_dtat_time(x->created_at));
    a = lk_api_json_push(a, o);
  }
  return a;
}

static cJSON *lk_dtat_file_json(const struct lk_dt_train_file *f,
                                struct lk_arena *arena)
{
  size_t n = strlen(f->name) + strlen(f->filename) + 8;
  char *key = lk_arena_alloc(arena, n);
  cJSON *file, *o;
  if(!key)
    return NULL;
  snprintf(key, n, "train/%s/%s", f->name, f->filename);
  file = lk_api_json_add(cJSON_CreateObject(), "key", cJSON_CreateString(key));
  file = lk_api_json_add(file, "filename", cJSON_CreateString(f->filename));
  file = lk_api_json_add(file, "width", cJSON_CreateNumber(f->width));
  file = lk_api_json_add(file, "height", cJSON_CreateNumber(f->height));
  o = lk_api_json_add(cJSON_CreateObject(), "id",
                      cJSON_CreateNumber((double)f->id));
  o = lk_api_json_add(o, "name", cJSON_CreateString(f->name));
  o = lk_api_json_add(o, "file", file);
  o = lk_api_json_add(o, "results", lk_dtat_results_json(f));
  o = lk_api_json_add(o, "createdAt", lk_dtat_time(f->created_at));
  /* a storage token only exists with auth, which likeness leaves to a
   * proxy: null, as Double Take without auth */
  return lk_api_json_add(o, "token", cJSON_CreateNull());
}

static lk_err lk_dtat_list(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const struct lk_dt_config *cfg = LK_DTAPI(ctx)->cfg;
  const char *name = lk_http_req_query(req, "name");
  struct lk_dt_train_page p;
  long page, limit = cfg ? cfg->ui.pagination_limit : 50;
  cJSON *o, *files;
  lk_err err;
  int i;

  if(!t)
    return LK_OK;
  if(lk_dtapi_query_int(req, "page", 1, 1000000, 1, &page))
    return lk_dtapi_invalid(resp, "query", "page",
                            "must be a whole number of at least 1");
  limit = limit < 1 ? 1 : limit > LK_DT_TRAIN_PAGE_MAX
                          ? LK_DT_TRAIN_PAGE_MAX : limit;
  err = lk_dt_train_list(t, name && name[0] ? name : NULL, (int)page,
                         (int)limit, lk_http_req_arena(req), &p);
  if(err)
    return lk_dtat_fail(resp, err, NULL);
  files = cJSON_CreateArray();
  for(i = 0; files && i < p.n; i++)
    files = lk_api_json_push(files, lk_dtat_file_json(&p.files[i],
                                                      lk_http_req_arena(req)));
  o = lk_api_json_add(cJSON_CreateObject(), "limit",
                      cJSON_CreateNumber((double)limit));
  o = lk_api_json_add(o, "total", cJSON_CreateNumber((double)p.total));
  o = lk_api_json_add(o, "files", files);
  return lk_http_resp_json(resp, 200, o);
}

/* ---- PATCH /api/train/{id}, GET /api/train/status ---------------------- */

static lk_err lk_dtat_move(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  int64_t id = lk_dtat_id_text(lk_http_req_param(req, "id"));
  const char *name = lk_api_field(req, "name");
  lk_err err;
  if(!t)
    return LK_OK;
  if(!id)
    return lk_dtapi_invalid(resp, "params", "id",
                            "must be a whole number of at least 1");
  if(!name || !name[0])
    return lk_dtapi_invalid(resp, "body", "name", "is required");
  if(!lk_dt_train_name_ok(name))
    return lk_dtapi_error(resp, 400, LK_DTAT_BAD_NAME);
  err = lk_dt_train_move(t, id, name);
  /* Double Take's words and status for an unknown id */
  if(err == LK_ERR_NOT_FOUND)
    return lk_dtapi_error(resp, 400, "no file found");
  return err ? lk_dtat_fail(resp, err, NULL) : lk_dtapi_success(resp);
}

static lk_err lk_dtat_status(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  struct lk_dt_train_status *s;
  cJSON *a, *o;
  int n, i;
  lk_err err;
  if(!t)
    return LK_OK;
  err = lk_dt_train_status(t, lk_http_req_arena(req), &s, &n);
  if(err)
    return lk_dtat_fail(resp, err, NULL);
  a = cJSON_CreateArray();
  for(i = 0; a && i < n; i++) {
    o = lk_api_json_add(cJSON_CreateObject(), "name",
                        cJSON_CreateString(s[i].name));
    o = lk_api_json_add(o, "trained", cJSON_CreateNumber((double)s[i].trained));
    o = lk_api_json_add(o, "total", cJSON_CreateNumber((double)s[i].total));
    o = lk_api_json_add(o, "percent", cJSON_CreateNumber(s[i].percent));
    a = lk_api_json_push(a, o);
  }
  return lk_http_resp_json(resp, 200, a);
}

/* ---- POST /api/train/add/{name} ----------------------------------------- */

/* The last path segment of url, without query or fragment: the name the
 * photo is kept under, as Double Take names fetched files. */
static const char *lk_dtat_url_file(const char *url, struct lk_arena *a)
{
  size_t end = strcspn(url, "?#"), start = end;
  while(start && url[start - 1] != '/')
    start--;
  return lk_arena_strndup(a, url + start, end - start);
}

/* Each uploaded file; 1 when answered with an error. */
static int lk_dtat_add_files(struct lk_http_resp *resp, struct lk_dt_train *t,
                             const char *name,
                             const struct lk_http_part *const *files,
                             size_t n)
{
  char why[LK_DT_TRAIN_ERRMAX], msg[LK_DT_TRAIN_ERRMAX + 64];
  size_t i;
  lk_err err;
  for(i = 0; i < n; i++) {
    err = lk_dt_train_add(t, name, files[i]->data, files[i]->size,
                          files[i]->filename, NULL, why);
    if(!err)
      continue;
    snprintf(msg, sizeof msg, "%.60s: %s", files[i]->filename, why[0] ? why :
             lk_strerror(err));
    lk_dtat_fail(resp, err, msg);
    return 1;
  }
  return 0;
}

/* One photo by URL, behind the SSRF guard; 1 when answered. */
static int lk_dtat_add_url(struct lk_http_req *req, struct lk_http_resp *resp,
                           struct lk_dt_api *api, const char *name,
                           const char *url)
{
  struct lk_fetch_policy def = lk_fetch_default_policy();
  char why[LK_FETCH_ERRMAX] = "", msg[LK_FETCH_ERRMAX + 128];
  unsigned char *img = NULL;
  size_t len = 0;
  lk_err err = lk_fetch_url(api->fetch ? api->fetch : &def, url, &img, &len,
                            NULL, why);
  if(err) {
    snprintf(msg, sizeof msg, "%.100s: %s", url, why[0] ? why :
             lk_strerror(err));
    lk_dtapi_error(resp, err == LK_ERR_NOMEM ? 500 : 400, msg);
    return 1;
  }
  err = lk_dt_train_add(api->train, name, img, len,
                        lk_dtat_url_file(url, lk_http_req_arena(req)), NULL,
                        why);
  lk_free(img);
  if(!err)
    return 0;
  snprintf(msg, sizeof msg, "%.100s: %s", url, why[0] ? why :
           lk_strerror(err));
  lk_dtat_fail(resp, err, msg);
  return 1;
}

/* One kept match's image, copied (Double Take's "train from matches"). */
static int lk_dtat_add_match(struct lk_http_req *req,
                             struct lk_http_resp *resp, struct lk_dt_api *api,
                             const char *name, int64_t id)
{
  struct lk_arena *a = lk_http_req_arena(req);
  struct lk_dt_match m;
  const unsigned char *img;
  char why[LK_DT_TRAIN_ERRMAX] = "", msg[LK_DT_TRAIN_ERRMAX + 64];
  size_t len;
  lk_err err = lk_dt_matches_get(api->matches, id, a, &m);
  if(!err)
    err = lk_dt_matches_image(api->matches, m.filename, a, &img, &len);
  if(err == LK_ERR_NOT_FOUND || err == LK_ERR_DENIED) {
    snprintf(msg, sizeof msg, "match %lld not found", (long long)id);
    lk_dtapi_error(resp, 400, msg);
    return 1;
  }
  if(!err)
    err = lk_dt_train_add(api->train, name, img, len, m.filename, NULL, why);
  if(!err)
    return 0;
  snprintf(msg, sizeof msg, "match %lld: %s", (long long)id, why[0] ? why :
           lk_strerror(err));
  lk_dtat_fail(resp, err, msg);
  return 1;
}

/* {urls:[..]}: every entry checked before any is fetched; 1 when
 * answered. */
static int lk_dtat_add_urls(struct lk_http_req *req,
                            struct lk_http_resp *resp, struct lk_dt_api *api,
                            const char *name, const cJSON *urls)
{
  const cJSON *x;
  if(!cJSON_IsArray(urls) || cJSON_GetArraySize(urls) > LK_DTAT_URLS_MAX) {
    lk_dtapi_invalid(resp, "body", "urls",
                     "must be an array of up to 100 URLs");
    return 1;
  }
  cJSON_ArrayForEach(x, urls) {
    if(!cJSON_IsString(x)) {
      lk_dtapi_invalid(resp, "body", "urls", "must be strings");
      return 1;
    }
  }
  cJSON_ArrayForEach(x, urls) {
    if(lk_dtat_add_url(req, resp, api, name, x->valuestring))
      return 1;
  }
  return 0;
}

/* {ids:[..]}: match ids; 1 when answered. */
static int lk_dtat_add_matches(struct lk_http_req *req,
                               struct lk_http_resp *resp,
                               struct lk_dt_api *api, const char *name,
                               const cJSON *ids)
{
  const cJSON *x;
  if(!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) > LK_DTAT_IDS_MAX) {
    lk_dtapi_invalid(resp, "body", "ids",
                     "must be an array of up to 1000 match ids");
    return 1;
  }
  cJSON_ArrayForEach(x, ids) {
    if(!lk_dtat_id_json(x)) {
      lk_dtapi_invalid(resp, "body", "ids", "must be match ids");
      return 1;
    }
  }
  if(!api->matches) {
    lk_dtapi_error(resp, 500, "matches are not kept");
    return 1;
  }
  cJSON_ArrayForEach(x, ids) {
    if(lk_dtat_add_match(req, resp, api, name, lk_dtat_id_json(x)))
      return 1;
  }
  return 0;
}

static lk_err lk_dtat_add(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const char *name = t ? lk_dtat_name(req, resp) : NULL;
  const cJSON *body = lk_http_req_json(req);
  const cJSON *urls = cJSON_GetObjectItemCaseSensitive(body, "urls");
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive(body, "ids");
  const struct lk_http_part **files;
  char msg[LK_DT_TRAIN_NAME_MAX + 32];
  size_t n = 0;
  cJSON *o;

  if(!name)
    return LK_OK;
  if(lk_api_files(req, &files, &n))
    return LK_ERR_NOMEM;
  if(n) {
    if(lk_dtat_add_files(resp, t, name, files, n))
      return LK_OK;
  } else if(urls) {
    if(lk_dtat_add_urls(req, resp, LK_DTAPI(ctx), name, urls))
      return LK_OK;
  } else if(ids) {
    if(lk_dtat_add_matches(req, resp, LK_DTAPI(ctx), name, ids))
      return LK_OK;
  } else {
    return lk_dtapi_invalid(resp, "files", "files[]",
                            "send files[] (JPEG or PNG), {urls:[..]} or "
                            "{ids:[..]}");
  }
  snprintf(msg, sizeof msg, "training queued for %s", name);
  o = lk_api_json_add(cJSON_CreateObject(), "message",
                      cJSON_CreateString(msg));
  return lk_http_resp_json(resp, 200, o);
}

/* ---- DELETE /api/train/remove/{name}, GET /api/train/retrain/{name} ---- */

/* Photo ids from a JSON array: of ids, or (objects) of {id, key}
 * objects; 1 when answered with 422 naming key. */
static int lk_dtat_ids(struct lk_http_req *req, struct lk_http_resp *resp,
                       const cJSON *arr, const char *key, int objects,
                       int64_t **ids, int *n)
{
  const cJSON *x;
  int count = cJSON_GetArraySize(arr), i = 0;
  *ids = NULL;
  *n = 0;
  if(!cJSON_IsArray(arr) || count > LK_DT_TRAIN_IDS_MAX) {
    lk_dtapi_invalid(resp, "body", key, "must be an array of file ids");
    return 1;
  }
  *ids = lk_arena_alloc(lk_http_req_arena(req),
                        (size_t)(count ? count : 1) * sizeof **ids);
  if(!*ids) {
    lk_dtapi_error(resp, 500, lk_strerror(LK_ERR_NOMEM));
    return 1;
  }
  cJSON_ArrayForEach(x, arr) {
    (*ids)[i] = lk_dtat_id_json(objects
                                ? cJSON_GetObjectItemCaseSensitive(x, "id")
                                : x);
    if(!(*ids)[i++]) {
      lk_dtapi_invalid(resp, "body", key, "must be an array of file ids");
      return 1;
    }
  }
  *n = count;
  return 0;
}

static lk_err lk_dtat_remove(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const char *name = t ? lk_dtat_name(req, resp) : NULL;
  const cJSON *body = lk_http_req_json(req);
  int64_t *ids = NULL;
  int n = 0;
  lk_err err;
  if(!name)
    return LK_OK;
  /* no body, or not JSON: the whole name, as Double Take without ids */
  if(body && lk_dtat_ids(req, resp, body, "ids", 0, &ids, &n))
    return LK_OK;
  err = lk_dt_train_remove(t, name, ids, n);
  return err ? lk_dtat_fail(resp, err, NULL) : lk_dtapi_success(resp);
}

static lk_err lk_dtat_retrain(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const char *name = t ? lk_dtat_name(req, resp) : NULL;
  lk_err err;
  if(!name)
    return LK_OK;
  err = lk_dt_train_retrain(t, name);
  return err ? lk_dtat_fail(resp, err, NULL) : lk_dtapi_success(resp);
}

/* ---- /api/storage/train -------------------------------------------------- */

static lk_err lk_dtat_image(struct lk_http_req *req, struct lk_http_resp *resp,
                            void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const struct lk_dt_config *cfg = LK_DTAPI(ctx)->cfg;
  const char *name = t ? lk_dtat_name(req, resp) : NULL;
  const char *file = lk_http_req_param(req, "filename");
  const char *thumb = lk_http_req_query(req, "thumb");
  const unsigned char *data;
  const char *type;
  size_t len;
  int width = 0, quality = 95;
  lk_err err;

  if(!name)
    return LK_OK;
  /* Double Take: a bare ?thumb; "false" and "0" are read as no */
  if(thumb && strcmp(thumb, "false") && strcmp(thumb, "0")) {
    width = cfg ? (int)cfg->ui.thumbnails_width : 500;
    quality = cfg ? (int)cfg->ui.thumbnails_quality : 95;
    width = width < 1 ? 500 : width;
    quality = quality < 1 ? 1 : quality > 100 ? 100 : quality;
  }
  err = lk_dt_train_image(t, name, file, width, quality,
                          lk_http_req_arena(req), &data, &len, &type);
  if(err == LK_ERR_INVAL)
    return lk_dtat_fail(resp, err, "invalid file name");
  /* a thumbnail of a file that is not an image: the request is fine */
  if(err == LK_ERR_IMAGE || err == LK_ERR_UNSUPPORTED)
    return lk_dtapi_error(resp, 400, "the file is not an image");
  if(err)
    return lk_dtat_fail(resp, err, NULL);
  return lk_http_resp_bytes(resp, 200, type, data, len);
}

static lk_err lk_dtat_delete(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_train *t = lk_dtat_store(resp, ctx);
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(lk_http_req_json(req),
                                                        "files");
  int64_t *ids;
  int n;
  lk_err err;
  if(!t)
    return LK_OK;
  /* the row's own path is deleted: a client's key is never a path here */
  if(lk_dtat_ids(req, resp, files, "files", 1, &ids, &n))
    return LK_OK;
  err = lk_dt_train_delete(t, ids, n, NULL);
  return err ? lk_dtat_fail(resp, err, NULL) : lk_dtapi_success(resp);
}

/* ---- the table ------------------------------------------------------------ */

static const struct lk_api_route lk_dtat_rows[] = {
  { "GET", "/api/filesystem/folders", lk_dtat_folders, 0 },
  { "POST", "/api/filesystem/folders/{name}", lk_dtat_folder_create, 0 },
  { "DELETE", "/api/filesystem/folders/{name}", lk_dtat_folder_delete, 0 },
  { "GET", "/api/train", lk_dtat_list, 0 },
  { "GET", "/api/train/status", lk_dtat_status, 0 },
  { "PATCH", "/api/train/{id}", lk_dtat_move, 0 },
  { "POST", "/api/train/add/{name}", lk_dtat_add, 0 },
  { "DELETE", "/api/train/remove/{name}", lk_dtat_remove, 0 },
  { "GET", "/api/train/retrain/{name}", lk_dtat_retrain, 0 },
  { "GET", "/api/storage/train/{name}/{filename}", lk_dtat_image, 0 },
  { "DELETE", "/api/storage/train", lk_dtat_delete, 0 },
};

struct lk_dtapi_table lk_dtapi_train_table(void)
{
  struct lk_dtapi_table t = { lk_dtat_rows,
                              sizeof lk_dtat_rows / sizeof lk_dtat_rows[0] };
  return t;
}
