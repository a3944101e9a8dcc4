/* dt_api_match.c - Double Take's kept matches over REST: the Matches
 * page's list (paged, filtered, sinceId for live updates) and its filter
 * choices, deletes, a stored image recognized again with today's
 * detectors, and the images themselves: each match's (as stored, with its
 * boxes drawn, as a thumbnail) and the latest per name, camera and
 * unknown. compat-apis.md §1.5, §1.10; docs/dt-api.md. */
#include "dt_api_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dt/dt_config.h"
#include "dt/dt_matches.h"
#include "dt/dt_result.h"
#include "dt/dt_service.h"
#include "image/image.h"

#define LK_DTAPI_NO_MATCH "No match found"     /* Double Take's words */
#define LK_DTAPI_BOX_QUALITY 90      /* ?box=true, as the latest images */
#define LK_DTAPI_ID_MAX 9007199254740992.0    /* 2^53: exact in JSON */
#define LK_DTAPI_SIDE_MAX 1000000    /* px: filters' width and height */
#define LK_DTAPI_MISSING_MAX 200     /* bytes of a name quoted in a 404 */

/* ---- one match as Double Take formats it ------------------------------ */

static cJSON *lk_dtapi_strings(const char *const *v, int n)
{
  cJSON *a = cJSON_CreateArray();
  int i;
  for(i = 0; a && i < n; i++)
    a = lk_api_json_push(a, cJSON_CreateString(v[i]));
  return a;
}

/* The row's result as Double Take's response. Each detector's entry names
 * the image, as in Double Take's rows: the event worker writes the result
 * before the store has named the file, so the name is added here. NULL
 * when the stored text does not parse (or memory ran out). */
static cJSON *lk_dtapi_response(const struct lk_dt_match *r)
{
  cJSON *res = cJSON_ParseWithOpts(r->result ? r->result : "", NULL, 1), *e;
  if(!cJSON_IsArray(res))
    return res;
  cJSON_ArrayForEach(e, res) {
    if(!cJSON_IsObject(e) || cJSON_HasObjectItem(e, "filename"))
      continue;
    if(!cJSON_AddStringToObject(e, "filename", r->filename)) {
      cJSON_Delete(res);
      return NULL;
    }
  }
  return res;
}

static cJSON *lk_dtapi_file_json(const struct lk_dt_match *r)
{
  char key[sizeof "matches/" + LK_DT_MATCHES_TEXT_MAX];
  cJSON *o = cJSON_CreateObject();
  snprintf(key, sizeof key, "matches/%s", r->filename);
  o = lk_api_json_add(o, "key", cJSON_CreateString(key));
  o = lk_api_json_add(o, "filename", cJSON_CreateString(r->filename));
  o = lk_api_json_add(o, "width", cJSON_CreateNumber(r->width));
  return lk_api_json_add(o, "height", cJSON_CreateNumber(r->height));
}

/* One match as /api/match lists it, in Double Take's order. isTrained is
 * the train module's to know; token is null as there is no auth. NULL
 * when out of memory or the stored result is unreadable. */
static cJSON *lk_dtapi_match_json(const struct lk_dt_match *r)
{
  cJSON *response = lk_dtapi_response(r), *o;
  if(!response)
    return NULL;
  o = lk_api_json_add(cJSON_CreateObject(), "id",
                      cJSON_CreateNumber((double)r->id));
  o = lk_api_json_add(o, "camera", cJSON_CreateString(r->camera));
  o = lk_api_json_add(o, "type", cJSON_CreateString(r->type));
  o = lk_api_json_add(o, "zones", lk_dtapi_strings(r->zones, r->n_zones));
  o = lk_api_json_add(o, "file", lk_dtapi_file_json(r));
  o = lk_api_json_add(o, "isTrained", cJSON_CreateFalse());
  o = lk_api_json_add(o, "response", response);
  o = lk_api_json_add(o, "createdAt", lk_dtapi_time(r->created_at));
  o = lk_api_json_add(o, "updatedAt", lk_dtapi_time(r->updated_at));
  return lk_api_json_add(o, "token", cJSON_CreateNull());
}

/* 500 for a row whose stored result is not JSON: a damaged database is
 * reported, not served half-formatted. */
static lk_err lk_dtapi_bad_row(struct lk_http_resp *resp, int64_t id)
{
  char text[128];
  snprintf(text, sizeof text, "the stored result of match %lld cannot be "
           "read", (long long)id);
  return lk_dtapi_error(resp, 500, text);
}

/* ---- GET /api/match ---------------------------------------------------- */

/* A filter list: absent or null allows anything (NULL); an array of
 * strings, even an empty one, allows only those. The strings stay in the
 * parsed filters. */
static lk_err lk_dtapi_filter_list(const cJSON *o, const char *key,
                                   struct lk_arena *a,
                                   const char *const **out, int *n)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *e;
  const char **list;
  int i = 0;
  *out = NULL;
  *n = 0;
  if(!v || cJSON_IsNull(v))
    return LK_OK;
  if(!cJSON_IsArray(v))
    return LK_ERR_INVAL;
  list = lk_arena_alloc(a, (size_t)cJSON_GetArraySize(v) * sizeof *list + 1);
  if(!list)
    return LK_ERR_NOMEM;
  cJSON_ArrayForEach(e, v) {
    if(!cJSON_IsString(e))
      return LK_ERR_INVAL;
    list[i++] = e->valuestring;
  }
  *out = list;
  *n = i;
  return LK_OK;
}

/* A minimum: absent or null is 0 (any), else a number in 0..max. */
static lk_err lk_dtapi_filter_min(const cJSON *o, const char *key,
                                  double max, double *out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = 0;
  if(!v || cJSON_IsNull(v))
    return LK_OK;
  if(!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= max))
    return LK_ERR_INVAL;
  *out = v->valuedouble;
  return LK_OK;
}

/* Double Take's filters JSON into f; *tree (NULL without filters) holds
 * f's strings and is the caller's to free. LK_ERR_INVAL for text that is
 * not such an object. */
static lk_err lk_dtapi_filters_read(const char *text, struct lk_arena *a,
                                    struct lk_dt_match_filter *f,
                                    cJSON **tree)
{
  double width = 0, height = 0;
  cJSON *o;
  lk_err err;
  memset(f, 0, sizeof *f);
  *tree = NULL;
  if(!text || !*text)
    return LK_OK;
  o = cJSON_ParseWithOpts(text, NULL, 1);
  if(!cJSON_IsObject(o))
    err = LK_ERR_INVAL;
  else if(!(err = lk_dtapi_filter_list(o, "names", a, &f->names,
                                       &f->n_names)) &&
          !(err = lk_dtapi_filter_list(o, "matches", a, &f->matches,
                                       &f->n_matches)) &&
          !(err = lk_dtapi_filter_list(o, "cameras", a, &f->cameras,
                                       &f->n_cameras)) &&
          !(err = lk_dtapi_filter_list(o, "types", a, &f->types,
                                       &f->n_types)) &&
          !(err = lk_dtapi_filter_list(o, "detectors", a, &f->detectors,
                                       &f->n_detectors)) &&
          !(err = lk_dtapi_filter_min(o, "confidence", 100,
                                      &f->min_confidence)) &&
          !(err = lk_dtapi_filter_min(o, "width", LK_DTAPI_SIDE_MAX,
                                      &width)))
    err = lk_dtapi_filter_min(o, "height", LK_DTAPI_SIDE_MAX, &height);
  if(err) {
    cJSON_Delete(o);
    return err;
  }
  f->min_width = (int)ceil(width);      /* box sides are whole pixels */
  f->min_height = (int)ceil(height);
  *tree = o;
  return LK_OK;
}

/* ui.pagination.limit, within what the store pages. */
static int lk_dtapi_limit(const struct lk_dt_config *cfg)
{
  long n = cfg->ui.pagination_limit;
  return n < 1 ? 1 : n > LK_DT_MATCHES_PAGE_MAX ? LK_DT_MATCHES_PAGE_MAX
                                                : (int)n;
}

static lk_err lk_dtapi_page_answer(struct lk_http_resp *resp,
                                   const struct lk_dt_match_page *p,
                                   int limit)
{
  cJSON *list = cJSON_CreateArray(), *o;
  int i;
  for(i = 0; list && i < p->n; i++) {
    cJSON *m = lk_dtapi_match_json(&p->rows[i]);
    if(!m) {
      cJSON_Delete(list);
      return lk_dtapi_bad_row(resp, p->rows[i].id);
    }
    list = lk_api_json_push(list, m);
  }
  o = lk_api_json_add(cJSON_CreateObject(), "total",
                      cJSON_CreateNumber((double)p->total));
  o = lk_api_json_add(o, "limit", cJSON_CreateNumber(limit));
  o = lk_api_json_add(o, "matches", list);
  return lk_http_resp_json(resp, 200, o);
}

/* GET /api/match?page=&sinceId=&filters= */
static lk_err lk_dtapi_match_list(struct lk_http_req *req,
                                  struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_arena *arena = lk_http_req_arena(req);
  struct lk_dt_match_filter f;
  struct lk_dt_match_page page;
  int limit = lk_dtapi_limit(api->cfg);
  cJSON *tree;
  long pg, since;
  lk_err err;

  if(lk_dtapi_query_int(req, "page", 1, INT_MAX, 1, &pg))
    return lk_dtapi_invalid(resp, "query", "page", "Invalid value");
  if(lk_dtapi_query_int(req, "sinceId", 0, LONG_MAX, 0, &since))
    return lk_dtapi_invalid(resp, "query", "sinceId", "Invalid value");
  err = lk_dtapi_filters_read(lk_http_req_query(req, "filters"), arena, &f,
                              &tree);
  if(err == LK_ERR_INVAL)
    return lk_dtapi_invalid(resp, "query", "filters", "Invalid value");
  if(err)
    return err;
  err = lk_dt_matches_list(api->matches, tree ? &f : NULL, since, (int)pg,
                           limit, arena, &page);
  cJSON_Delete(tree);
  if(err)
    return err;
  return lk_dtapi_page_answer(resp, &page, limit);
}

/* ---- DELETE /api/match, GET /api/match/filters ------------------------- */

/* An id as JSON carries it: a whole number. */
static int lk_dtapi_json_id(const cJSON *v, int64_t *out)
{
  double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
  if(!(fabs(x) <= LK_DTAPI_ID_MAX) || floor(x) != x)
    return 0;
  *out = (int64_t)x;
  return 1;
}

/* DELETE /api/match {"ids":[1,2]}: rows and files; ids that do not exist
 * are skipped, as Double Take's DELETE ... IN () does. */
static lk_err lk_dtapi_match_delete(struct lk_http_req *req,
                                    struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive(lk_http_req_json(req),
                                                      "ids"), *e;
  int64_t *v;
  int n = 0;
  lk_err err;

  if(!cJSON_IsArray(ids) ||
     cJSON_GetArraySize(ids) > LK_DT_MATCHES_DELETE_MAX)
    return lk_dtapi_invalid(resp, "body", "ids", "Invalid value");
  v = lk_arena_alloc(lk_http_req_arena(req),
                     (size_t)cJSON_GetArraySize(ids) * sizeof *v + 1);
  if(!v)
    return LK_ERR_NOMEM;
  cJSON_ArrayForEach(e, ids) {
    if(!lk_dtapi_json_id(e, &v[n++]))
      return lk_dtapi_invalid(resp, "body", "ids", "Invalid value");
  }
  if((err = lk_dt_matches_delete(api->matches, v, n, NULL)))
    return err;
  return lk_dtapi_success(resp);
}

/* GET /api/match/filters: what the filter bar offers. */
static lk_err lk_dtapi_match_filters(struct lk_http_req *req,
                                     struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_dt_match_filters f;
  cJSON *o;
  lk_err err = lk_dt_matches_filters(api->matches, lk_http_req_arena(req),
                                     &f);
  if(err)
    return err;
  o = lk_api_json_add(cJSON_CreateObject(), "total",
                      cJSON_CreateNumber((double)f.total));
  o = lk_api_json_add(o, "detectors",
                      lk_dtapi_strings(f.detectors, f.n_detectors));
  o = lk_api_json_add(o, "names", lk_dtapi_strings(f.names, f.n_names));
  o = lk_api_json_add(o, "matches",
                      lk_dtapi_strings(f.matches, f.n_matches));
  o = lk_api_json_add(o, "cameras",
                      lk_dtapi_strings(f.cameras, f.n_cameras));
  o = lk_api_json_add(o, "types", lk_dtapi_strings(f.types, f.n_types));
  return lk_http_resp_json(resp, 200, o);
}

/* ---- PATCH /api/match/reprocess/{matchId} ------------------------------ */

/* Every detector's faces in the store's shape (as dt_keep.c saves them),
 * up to what a row keeps. */
static int lk_dtapi_faces(const struct lk_dt_attempt *at, size_t n_at,
                          struct lk_dt_match_face *out)
{
  size_t i, k;
  int n = 0;
  for(i = 0; i < n_at; i++) {
    for(k = 0; k < at[i].n_faces && n < LK_DT_MATCHES_FACES_MAX; k++) {
      const struct lk_dt_face *f = &at[i].faces[k];
      struct lk_dt_match_face *o = &out[n++];
      o->detector = at[i].detector;
      o->name = f->name;
      o->confidence = f->confidence;
      o->match = f->match;
      o->left = f->box.left;
      o->top = f->box.top;
      o->width = f->box.width;
      o->height = f->box.height;
    }
  }
  return n;
}

/* Double Take's response column: each detector's answer on the image;
 * cJSON-allocated text (cJSON_free), NULL when out of memory. */
static char *lk_dtapi_result_text(const struct lk_dt_attempt *at,
                                  size_t n_at, const char *filename)
{
  cJSON *a = cJSON_CreateArray();
  char *text;
  size_t i, k;
  for(i = 0; a && i < n_at; i++) {
    cJSON *o = cJSON_CreateObject(), *faces = cJSON_CreateArray();
    for(k = 0; faces && k < at[i].n_faces; k++)
      faces = lk_api_json_push(faces, lk_dt_face_json(&at[i].faces[k], 0));
    o = lk_api_json_add(o, "detector", cJSON_CreateString(at[i].detector));
    o = lk_api_json_add(o, "duration", cJSON_CreateNumber(at[i].duration));
    o = lk_api_json_add(o, "attempt", cJSON_CreateNumber(at[i].attempt));
    o = lk_api_json_add(o, "results", faces);
    o = lk_api_json_add(o, "filename", cJSON_CreateString(filename));
    a = lk_api_json_push(a, o);
  }
  text = a ? cJSON_PrintUnformatted(a) : NULL;
  cJSON_Delete(a);
  return text;
}

/* The row's faces and result replaced by what the detectors said now. */
static lk_err lk_dtapi_update(struct lk_dt_api *api,
                              const struct lk_dt_match *row,
                              const struct lk_dt_attempt *at, size_t n_at,
                              struct lk_arena *arena, char *why)
{
  struct lk_dt_match_face *faces =
      lk_arena_calloc(arena, LK_DT_MATCHES_FACES_MAX * sizeof *faces);
  char *text = lk_dtapi_result_text(at, n_at, row->filename);
  lk_err err = LK_ERR_NOMEM;
  if(faces && text)
    err = lk_dt_matches_update(api->matches, row->id, faces,
                               lk_dtapi_faces(at, n_at, faces), text, why);
  cJSON_free(text);
  return err;
}

/* The route's id: a whole number from 1; 0 for anything else. */
static int64_t lk_dtapi_param_id(struct lk_http_req *req, const char *name)
{
  const char *s = lk_http_req_param(req, name);
  char *end;
  long long v;
  if(!s || *s < '0' || *s > '9')
    return 0;
  errno = 0;
  v = strtoll(s, &end, 10);
  return *end || errno || v < 1 ? 0 : (int64_t)v;
}

/* One row read again and answered as a list item. */
static lk_err lk_dtapi_match_answer(struct lk_dt_api *api, int64_t id,
                                    struct lk_arena *arena,
                                    struct lk_http_resp *resp)
{
  struct lk_dt_match row;
  cJSON *o;
  lk_err err = lk_dt_matches_get(api->matches, id, arena, &row);
  if(err == LK_ERR_NOT_FOUND)    /* deleted meanwhile */
    return lk_dtapi_error(resp, 404, "No match found post-processing");
  if(err)
    return err;
  if(!(o = lk_dtapi_match_json(&row)))
    return lk_dtapi_bad_row(resp, id);
  return lk_http_resp_json(resp, 200, o);
}

/* PATCH /api/match/reprocess/<id>: the stored image through every
 * detector of the row's camera, on this thread (a heavy route); the row
 * keeps its image, id and times, and gets updatedAt. */
static lk_err lk_dtapi_reprocess(struct lk_http_req *req,
                                 struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_arena *arena = lk_http_req_arena(req);
  struct lk_dt_attempt *at;
  struct lk_dt_match row;
  const unsigned char *img;
  char why[LK_DT_MATCHES_ERRMAX] = "";
  int64_t id = lk_dtapi_param_id(req, "matchId");
  size_t len, n_at;
  lk_err err;

  if(!id)
    return lk_dtapi_invalid(resp, "params", "matchId", "Invalid value");
  if(!api->svc)
    return lk_dtapi_error(resp, 400, "no detectors configured");
  err = lk_dt_matches_get(api->matches, id, arena, &row);
  if(err == LK_ERR_NOT_FOUND)
    return lk_dtapi_error(resp, 404, LK_DTAPI_NO_MATCH);
  if(!err)
    err = lk_dt_matches_image(api->matches, row.filename, arena, &img, &len);
  if(err == LK_ERR_NOT_FOUND || err == LK_ERR_DENIED)
    return lk_dtapi_error(resp, 500, "the match's image is missing");
  if(err)
    return err;
  err = lk_dt_service_image(api->svc, row.camera, img, len, arena, &at,
                            &n_at);
  if(!err)
    err = lk_dtapi_update(api, &row, at, n_at, arena, why);
  if(err == LK_ERR_NOT_FOUND)
    return lk_dtapi_error(resp, 404, LK_DTAPI_NO_MATCH);
  if(err == LK_ERR_NOMEM)
    return err;
  if(err) {
    lk_log(LK_LOG_WARN, "dt", "reprocess %lld: %s", (long long)id,
           why[0] ? why : lk_strerror(err));
    return lk_dtapi_error(resp, 500, "Processing failure");
  }
  return lk_dtapi_match_answer(api, id, arena, resp);
}

/* ---- stored images ----------------------------------------------------- */

/* One image to answer with. */
struct lk_dtapi_pic {
  const unsigned char *data;      /* the JPEG as stored */
  size_t len;
  int box;                        /* draw faces */
  const struct lk_dt_match_face *faces;
  int n_faces;
  int thumb;                      /* ?thumb: ui.thumbnails.width wide */
  const char *cache;              /* Cache-Control */
};

/* The mean of src's pixels in columns x0..x1-1 of rows y0..y1-1. */
static void lk_dtapi_mean(const struct lk_image *src, int x0, int x1,
                          int y0, int y1, unsigned char *out)
{
  unsigned long sum[3] = { 0, 0, 0 };
  unsigned long n = (unsigned long)(x1 - x0) * (unsigned long)(y1 - y0);
  int x, y;
  for(y = y0; y < y1; y++) {
    const unsigned char *p = src->rgb + ((size_t)y * src->width + x0) * 3;
    for(x = 0; x < x1 - x0; x++, p += 3) {
      sum[0] += p[0];
      sum[1] += p[1];
      sum[2] += p[2];
    }
  }
  for(x = 0; x < 3; x++)
    out[x] = (unsigned char)((sum[x] + n / 2) / n);
}

/* src shrunk to w x h (in arena) by averaging the pixels under each new
 * pixel: a box filter, which does not alias when a 1920-px frame becomes
 * a 500-px thumbnail, as sampling would. */
static lk_err lk_dtapi_shrink(const struct lk_image *src, int w, int h,
                              struct lk_arena *a, struct lk_image *dst)
{
  int x, y;
  *dst = *src;
  dst->width = w;
  dst->height = h;
  dst->rgb = lk_arena_alloc(a, (size_t)w * (size_t)h * 3);
  if(!dst->rgb)
    return LK_ERR_NOMEM;
  for(y = 0; y < h; y++) {
    int y0 = (int)((int64_t)y * src->height / h);
    int y1 = (int)((int64_t)(y + 1) * src->height / h);
    for(x = 0; x < w; x++) {
      int x0 = (int)((int64_t)x * src->width / w);
      int x1 = (int)((int64_t)(x + 1) * src->width / w);
      lk_dtapi_mean(src, x0, x1 > x0 ? x1 : x0 + 1, y0,
                    y1 > y0 ? y1 : y0 + 1,
                    dst->rgb + ((size_t)y * w + x) * 3);
    }
  }
  return LK_OK;
}

/* The thumbnail of img: ui.thumbnails.width wide, never wider than the
 * image as stored, with the image's aspect (from its full size, so a
 * DCT-scaled decode gives the same size as a full one). */
static lk_err lk_dtapi_thumb(const struct lk_dt_config *cfg,
                             const struct lk_image *img, struct lk_arena *a,
                             struct lk_image *out)
{
  int swap = img->orientation >= 5;   /* EXIF turned it a quarter */
  int w = swap ? img->src_height : img->src_width;
  int h = swap ? img->src_width : img->src_height;
  long max = cfg->ui.thumbnails_width;
  int tw = max < w ? (int)max : w, th;
  tw = tw < 1 ? 1 : tw;
  th = (int)lround((double)h * tw / w);
  th = th < 1 ? 1 : th;
  if(tw == img->width && th == img->height) {
    *out = *img;
    return LK_OK;
  }
  return lk_dtapi_shrink(img, tw, th, a, out);
}

/* p decoded, its faces drawn, scaled down for a thumbnail. */
static lk_err lk_dtapi_render(const struct lk_dt_config *cfg,
                              const struct lk_dtapi_pic *p,
                              struct lk_arena *a, struct lk_image *out,
                              char *why)
{
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_image img;
  lk_err err;
  /* without drawings, a thumbnail may come from a JPEG decoded at 1/2,
   * 1/4 or 1/8 of its size, no smaller than the thumbnail: far cheaper */
  if(p->thumb && !p->box)
    o.min_side = cfg->ui.thumbnails_width < INT_MAX
                 ? (int)cfg->ui.thumbnails_width : INT_MAX;
  if((err = lk_image_decode(p->data, p->len, &o, a, &img, why)))
    return err;
  if(p->box && lk_dt_matches_annotate(&img, p->faces, p->n_faces))
    lk_log(LK_LOG_WARN, "dt", "a stored face's box is out of range; "
           "the image is served without boxes");
  if(!p->thumb) {
    *out = img;
    return LK_OK;
  }
  return lk_dtapi_thumb(cfg, &img, a, out);
}

/* p as the answer: the stored bytes, or rendered and encoded again. */
static lk_err lk_dtapi_send_image(struct lk_dt_api *api,
                                  struct lk_http_req *req,
                                  struct lk_http_resp *resp,
                                  const struct lk_dtapi_pic *p)
{
  long q = p->thumb ? api->cfg->ui.thumbnails_quality : LK_DTAPI_BOX_QUALITY;
  char why[LK_IMAGE_ERRMAX] = "", text[LK_IMAGE_ERRMAX + 64];
  struct lk_image img;
  unsigned char *out = NULL;
  size_t len = 0;
  lk_err err = LK_OK;

  if(p->box || p->thumb) {
    err = lk_dtapi_render(api->cfg, p, lk_http_req_arena(req), &img, why);
    if(err == LK_ERR_NOMEM)
      return err;
    if(err) {
      snprintf(text, sizeof text, "the stored image cannot be read: %s",
               why[0] ? why : lk_strerror(err));
      return lk_dtapi_error(resp, 500, text);
    }
    err = lk_image_encode_jpeg(&img, q < 1 ? 1 : q > 100 ? 100 : (int)q,
                               &out, &len);
  }
  if(!err)
    err = lk_http_resp_header(resp, "Cache-Control", p->cache);
  if(!err)
    err = lk_http_resp_bytes(resp, 200, "image/jpeg", out ? out : p->data,
                             out ? len : p->len);
  lk_free(out);
  return err;
}

/* 404 {"error":"<folder>/<name> does not exist"}, Double Take's words
 * without its storage path. */
static lk_err lk_dtapi_missing(struct lk_http_resp *resp, const char *folder,
                               const char *name)
{
  char text[LK_DTAPI_MISSING_MAX + 64];
  snprintf(text, sizeof text, "%s/%.*s does not exist", folder,
           LK_DTAPI_MISSING_MAX, name);
  return lk_dtapi_error(resp, 404, text);
}

/* GET /api/storage/matches/<uuid>.jpg?box=true&thumb. The name is checked
 * before any path is built from it. An image changes only when its row is
 * reprocessed, which moves its boxes: plain images may be kept a day,
 * drawn ones are asked for again. */
static lk_err lk_dtapi_storage_match(struct lk_http_req *req,
                                     struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_arena *arena = lk_http_req_arena(req);
  const char *name = lk_http_req_param(req, "filename");
  struct lk_dtapi_pic p;
  struct lk_dt_match row;
  lk_err err;

  memset(&p, 0, sizeof p);
  p.box = lk_dtapi_query_bool(req, "box", 0);
  p.thumb = lk_http_req_query(req, "thumb") != NULL;
  p.cache = p.box ? "private, no-cache" : "private, max-age=86400";
  if(p.box < 0)
    return lk_dtapi_invalid(resp, "query", "box", "Invalid value");
  if(!lk_dt_matches_filename_ok(name))
    return lk_dtapi_error(resp, 404, "no such image");
  err = lk_dt_matches_image(api->matches, name, arena, &p.data, &p.len);
  if(err == LK_ERR_NOT_FOUND)
    return lk_dtapi_missing(resp, "matches", name);
  if(err)
    return err;
  /* a file whose row is gone is served without boxes, as Double Take */
  if(p.box && !(err = lk_dt_matches_get_file(api->matches, name, arena,
                                             &row))) {
    p.faces = row.faces;
    p.n_faces = row.n_faces;
  }
  if(err && err != LK_ERR_NOT_FOUND)
    return err;
  return lk_dtapi_send_image(api, req, resp, &p);
}

/* GET /api/storage/latest/<key>.jpg?thumb: drawn when written, so ?box
 * changes nothing; the next event replaces it, so it is never cached. */
static lk_err lk_dtapi_storage_latest(struct lk_http_req *req,
                                      struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  const char *name = lk_http_req_param(req, "filename");
  struct lk_dtapi_pic p;
  lk_err err;

  memset(&p, 0, sizeof p);
  p.thumb = lk_http_req_query(req, "thumb") != NULL;
  p.cache = "no-store";
  err = lk_dt_matches_latest_read(api->matches, name, lk_http_req_arena(req),
                                  &p.data, &p.len);
  if(err == LK_ERR_NOT_FOUND)
    return lk_dtapi_missing(resp, "latest", name);
  if(err)
    return err;
  return lk_dtapi_send_image(api, req, resp, &p);
}

/* ---- the table --------------------------------------------------------- */

static const struct lk_api_route lk_dtapi_match_rows[] = {
  { "GET", "/api/match", lk_dtapi_match_list, 0 },
  { "DELETE", "/api/match", lk_dtapi_match_delete, 0 },
  { "GET", "/api/match/filters", lk_dtapi_match_filters, 0 },
  { "PATCH", "/api/match/reprocess/{matchId}", lk_dtapi_reprocess,
    LK_HTTP_HEAVY },
  { "GET", "/api/storage/matches/{filename}", lk_dtapi_storage_match, 0 },
  { "GET", "/api/storage/latest/{filename}", lk_dtapi_storage_latest, 0 },
};

struct lk_dtapi_table lk_dtapi_match_table(void)
{
  struct lk_dtapi_table t = {
    lk_dtapi_match_rows,
    sizeof lk_dtapi_match_rows / sizeof lk_dtapi_match_rows[0]
  };
  return t;
}
