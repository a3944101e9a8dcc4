/* native_gallery.c - the native API's people and faces: list, create,
 * rename or merge, delete, register a face from an image, page through
 * faces, read a face and its kept image. Deletes go through the pipeline
 * so kept images go with their faces. docs/api-native.md has the wire
 * format. */
#include "native_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define LK_NAT_BAD_NAME "a name is 1 to 256 bytes of UTF-8"

/* ---- JSON ------------------------------------------------------------- */

static cJSON *lk_nat_person_json(const struct lk_store_person *p)
{
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "name",
                             cJSON_CreateString(p->name));
  o = lk_api_json_add(o, "faces", cJSON_CreateNumber((double)p->n_faces));
  o = lk_api_json_add(o, "created_at", lk_nat_time(p->created_at));
  return lk_api_json_add(o, "updated_at", lk_nat_time(p->updated_at));
}

/* A stored meta ("{}" when none) back as an object. */
static cJSON *lk_nat_meta(const char *meta)
{
  cJSON *o = meta ? cJSON_Parse(meta) : NULL;
  if(!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    o = cJSON_CreateObject();
  }
  return o;
}

/* Where a face's kept image is served, or null when it has none. */
static cJSON *lk_nat_image_url(const struct lk_store_face *f)
{
  char url[64];
  if(!f->image_path)
    return cJSON_CreateNull();
  snprintf(url, sizeof url, "/api/v1/faces/%" PRId64 "/image", f->id);
  return cJSON_CreateString(url);
}

static cJSON *lk_nat_face_json(const struct lk_store_face *f)
{
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "id",
                             cJSON_CreateNumber((double)f->id));
  o = lk_api_json_add(o, "person", cJSON_CreateString(f->person));
  o = lk_api_json_add(o, "created_at", lk_nat_time(f->created_at));
  o = lk_api_json_add(o, "updated_at", lk_nat_time(f->updated_at));
  o = lk_api_json_add(o, "image_url", lk_nat_image_url(f));
  o = lk_api_json_add(o, "sha256", f->sha256[0]
                      ? cJSON_CreateString(f->sha256) : cJSON_CreateNull());
  o = lk_api_json_add(o, "detector", cJSON_CreateString(f->detector));
  o = lk_api_json_add(o, "align", cJSON_CreateString(f->align));
  return lk_api_json_add(o, "metadata", lk_nat_meta(f->meta));
}

/* {"faces":[...],"total":..,"offset":..,"limit":..}: one page. */
static cJSON *lk_nat_page_json(const struct lk_store_face *faces, int n,
                               int64_t total, int64_t offset, int limit)
{
  cJSON *a = cJSON_CreateArray(), *o;
  int i;
  for(i = 0; a && i < n; i++)
    a = lk_api_json_push(a, lk_nat_face_json(&faces[i]));
  o = lk_api_json_add(cJSON_CreateObject(), "faces", a);
  o = lk_api_json_add(o, "total", cJSON_CreateNumber((double)total));
  o = lk_api_json_add(o, "offset", cJSON_CreateNumber((double)offset));
  return lk_api_json_add(o, "limit", cJSON_CreateNumber(limit));
}

/* {"name":..,"deleted_faces":n}, what the deletes answer. */
static cJSON *lk_nat_deleted_json(const char *name, int64_t n)
{
  cJSON *o = lk_api_json_add(cJSON_CreateObject(), "name",
                             cJSON_CreateString(name));
  return lk_api_json_add(o, "deleted_faces", cJSON_CreateNumber((double)n));
}

/* ---- lookups ---------------------------------------------------------- */

/* A 404 for name; a name the gallery could never hold (not UTF-8, too
 * long) is not echoed, so the error body stays valid JSON text. */
static lk_err lk_nat_no_person(struct lk_http_req *req,
                               struct lk_http_resp *resp, const char *name,
                               lk_err err)
{
  if(err == LK_ERR_INVAL)
    return lk_nat_fail(req, resp, 404, LK_NAT_NOT_FOUND,
                       "no person with that name (%s)", LK_NAT_BAD_NAME);
  return lk_nat_fail(req, resp, 404, LK_NAT_NOT_FOUND,
                     "no person named '%s'", name);
}

/* The person the {name} parameter names. 1 when answered. */
static int lk_nat_person_find(struct lk_http_req *req,
                              struct lk_http_resp *resp, struct lk_store *st,
                              struct lk_store_person *p)
{
  const char *name = lk_http_req_param(req, "name");
  lk_err err = lk_store_person_get(st, name, lk_http_req_arena(req), p);
  if(err == LK_ERR_NOT_FOUND || err == LK_ERR_INVAL)
    lk_nat_no_person(req, resp, name, err);
  else if(err)
    lk_nat_fail_err(req, resp, err, NULL);
  return err ? 1 : 0;
}

/* /api/v1/people/<name> with every byte but RFC 3986's unreserved ones
 * percent-encoded, for a Location header; NULL when out of memory. */
static const char *lk_nat_person_url(struct lk_http_req *req,
                                     const char *name)
{
  static const char prefix[] = "/api/v1/people/", hex[] = "0123456789ABCDEF";
  size_t n = strlen(name), k = sizeof prefix - 1, i;
  char *url = lk_arena_alloc(lk_http_req_arena(req), k + 3 * n + 1);
  if(!url)
    return NULL;
  memcpy(url, prefix, k);
  for(i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if(isalnum(c) || strchr("-._~", c)) {
      url[k++] = (char)c;
      continue;
    }
    url[k++] = '%';
    url[k++] = hex[c >> 4];
    url[k++] = hex[c & 15];
  }
  url[k] = '\0';
  return url;
}

/* The person's current record, answered with status (201 and a Location
 * for a new one). */
static lk_err lk_nat_person_send(struct lk_http_req *req,
                                 struct lk_http_resp *resp,
                                 struct lk_store *st, const char *name,
                                 int status)
{
  struct lk_store_person p;
  lk_err err = lk_store_person_get(st, name, lk_http_req_arena(req), &p);
  if(err == LK_ERR_NOT_FOUND)    /* deleted meanwhile */
    return lk_nat_no_person(req, resp, name, err);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  err = lk_http_resp_json(resp, status, lk_nat_person_json(&p));
  if(!err && status == 201) {
    const char *url = lk_nat_person_url(req, p.name);
    err = url ? lk_http_resp_header(resp, "Location", url) : LK_ERR_NOMEM;
  }
  return err;
}

/* A new person's name, or a rename's new name: the field "name". 1 when
 * answered. */
static int lk_nat_new_name(struct lk_http_req *req, struct lk_http_resp *resp,
                           const char **name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(lk_http_req_json(req),
                                                    "name");
  /* lk_api_field would print {"name":[1]} as the name "[1]" */
  *name = v && !cJSON_IsString(v) ? NULL : lk_api_field(req, "name");
  if(*name && **name)
    return 0;
  lk_nat_fail(req, resp, 400, LK_NAT_INVALID, "field name is required (%s)",
              LK_NAT_BAD_NAME);
  return 1;
}

/* ---- people ----------------------------------------------------------- */

lk_err lk_nat_people_list(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_store *st;
  struct lk_store_person *people = NULL;
  cJSON *a;
  int i, n = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, ctx, &st))
    return LK_OK;
  err = lk_store_person_list(st, lk_http_req_arena(req), &people, &n);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  a = cJSON_CreateArray();
  for(i = 0; a && i < n; i++)
    a = lk_api_json_push(a, lk_nat_person_json(&people[i]));
  return lk_http_resp_json(resp, 200, lk_api_json_add(cJSON_CreateObject(),
                                                      "people", a));
}

lk_err lk_nat_people_create(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx)
{
  struct lk_store *st;
  const char *name;
  lk_err err;

  if(lk_nat_begin(req, resp, ctx, &st) || lk_nat_new_name(req, resp, &name))
    return LK_OK;
  err = lk_store_person_create(st, name, NULL);
  if(err == LK_ERR_EXISTS)
    return lk_nat_fail(req, resp, 409, LK_NAT_CONFLICT,
                       "a person named '%s' already exists", name);
  if(err == LK_ERR_INVAL)
    return lk_nat_fail(req, resp, 400, LK_NAT_INVALID, LK_NAT_BAD_NAME);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  return lk_nat_person_send(req, resp, st, name, 201);
}

lk_err lk_nat_person_get(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  struct lk_store *st;
  struct lk_store_person p;
  if(lk_nat_begin(req, resp, ctx, &st) ||
     lk_nat_person_find(req, resp, st, &p))
    return LK_OK;
  return lk_http_resp_json(resp, 200, lk_nat_person_json(&p));
}

/* Rename, or with "merge": true move the faces onto an existing person. */
lk_err lk_nat_person_rename(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx)
{
  struct lk_store *st;
  struct lk_store_person p;
  const char *to;
  int merge = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, ctx, &st) ||
     lk_nat_person_find(req, resp, st, &p) ||
     lk_nat_new_name(req, resp, &to) ||
     lk_nat_bool(req, resp, "merge", &merge))
    return LK_OK;
  err = lk_store_person_rename(st, p.name, to, merge ? LK_STORE_MERGE : 0);
  if(err == LK_ERR_EXISTS)
    return lk_nat_fail(req, resp, 409, LK_NAT_CONFLICT, "a person named "
                       "'%s' already exists: send \"merge\": true to move "
                       "these faces to them", to);
  if(err == LK_ERR_INVAL)
    return lk_nat_fail(req, resp, 400, LK_NAT_INVALID, "new name: "
                       LK_NAT_BAD_NAME);
  if(err == LK_ERR_NOT_FOUND)    /* deleted meanwhile */
    return lk_nat_no_person(req, resp, p.name, err);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  return lk_nat_person_send(req, resp, st, to, 200);
}

/* DELETE a person (clear 0) or only their faces (clear 1). */
static lk_err lk_nat_person_remove(struct lk_http_req *req,
                                   struct lk_http_resp *resp, void *ctx,
                                   int clear)
{
  struct lk_api *api = ctx;
  const char *name = lk_http_req_param(req, "name");
  struct lk_store *st;
  int64_t n = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, api, &st))
    return LK_OK;
  err = lk_pipeline_person_delete(api->pipe, name, clear, &n);
  if(err == LK_ERR_NOT_FOUND || err == LK_ERR_INVAL)
    return lk_nat_no_person(req, resp, name, err);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_nat_deleted_json(name, n));
}

lk_err lk_nat_person_delete(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx)
{
  return lk_nat_person_remove(req, resp, ctx, 0);
}

lk_err lk_nat_person_clear(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  return lk_nat_person_remove(req, resp, ctx, 1);
}

/* ---- faces ------------------------------------------------------------ */

lk_err lk_nat_person_faces(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  struct lk_store *st;
  struct lk_store_person p;
  struct lk_store_face *faces = NULL;
  int64_t offset;
  int limit, n = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, ctx, &st) ||
     lk_nat_person_find(req, resp, st, &p) ||
     lk_nat_page(req, resp, &offset, &limit))
    return LK_OK;
  err = lk_store_face_list(st, p.name, offset, limit, lk_http_req_arena(req),
                           &faces, &n);
  if(err == LK_ERR_NOT_FOUND)
    return lk_nat_no_person(req, resp, p.name, err);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_nat_page_json(faces, n, p.n_faces,
                                                       offset, limit));
}

lk_err lk_nat_faces_list(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  struct lk_store *st;
  struct lk_store_counts c;
  struct lk_store_face *faces = NULL;
  int64_t offset;
  int limit, n = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, ctx, &st) ||
     lk_nat_page(req, resp, &offset, &limit))
    return LK_OK;
  err = lk_store_face_list(st, NULL, offset, limit, lk_http_req_arena(req),
                           &faces, &n);
  if(!err)
    err = lk_store_counts(st, &c);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_nat_page_json(faces, n, c.faces,
                                                       offset, limit));
}

static lk_err lk_nat_no_face(struct lk_http_req *req,
                             struct lk_http_resp *resp, int64_t id)
{
  return lk_nat_fail(req, resp, 404, LK_NAT_NOT_FOUND,
                     "no face with id %" PRId64, id);
}

/* The box, score and face count of the image a face was stored from. */
static cJSON *lk_nat_stored_from(cJSON *o, const struct lk_pipeline_result *r)
{
  const struct lk_face *f = &r->faces[0].face;
  o = lk_api_json_add(o, "box", lk_nat_box(&f->box, r->width, r->height));
  o = lk_api_json_add(o, "score",
                      cJSON_CreateNumber(lk_api_fraction(f->score)));
  return lk_api_json_add(o, "faces_in_image",
                         cJSON_CreateNumber(r->n_faces));
}

/* The face {id}: 200, or for a face just stored from r, 201 with what r
 * says of it and a Location. */
static lk_err lk_nat_face_send(struct lk_http_req *req,
                               struct lk_http_resp *resp, struct lk_store *st,
                               int64_t id, const struct lk_pipeline_result *r)
{
  struct lk_store_face f;
  char where[64];
  cJSON *o;
  lk_err err = lk_store_face_get(st, id, 0, lk_http_req_arena(req), &f);
  if(err == LK_ERR_NOT_FOUND)    /* never, or deleted meanwhile */
    return lk_nat_no_face(req, resp, id);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  o = lk_nat_face_json(&f);
  if(!r)
    return lk_http_resp_json(resp, 200, o);
  err = lk_http_resp_json(resp, 201, lk_nat_stored_from(o, r));
  snprintf(where, sizeof where, "/api/v1/faces/%" PRId64, id);
  return err ? err : lk_http_resp_header(resp, "Location", where);
}

lk_err lk_nat_face_get(struct lk_http_req *req, struct lk_http_resp *resp,
                       void *ctx)
{
  struct lk_store *st;
  int64_t id;
  if(lk_nat_begin(req, resp, ctx, &st) || lk_nat_face_id(req, resp, &id))
    return LK_OK;
  return lk_nat_face_send(req, resp, st, id, NULL);
}

lk_err lk_nat_face_delete(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  int64_t id;
  cJSON *o;
  lk_err err;

  if(lk_nat_begin(req, resp, api, &st) || lk_nat_face_id(req, resp, &id))
    return LK_OK;
  err = lk_pipeline_face_delete(api->pipe, id);
  if(err == LK_ERR_NOT_FOUND)
    return lk_nat_no_face(req, resp, id);
  if(err)
    return lk_nat_fail_err(req, resp, err, NULL);
  o = lk_api_json_add(cJSON_CreateObject(), "id",
                      cJSON_CreateNumber((double)id));
  return lk_http_resp_json(resp, 200, lk_api_json_add(o, "deleted",
                                                      cJSON_CreateTrue()));
}

lk_err lk_nat_face_image(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  struct lk_store_face f;
  const unsigned char *data;
  const char *type;
  size_t len;
  int64_t id;
  lk_err err;

  if(lk_nat_begin(req, resp, api, &st) || lk_nat_face_id(req, resp, &id))
    return LK_OK;
  err = lk_pipeline_face_image(api->pipe, id, lk_http_req_arena(req), &data,
                               &len, &type);
  if(!err)
    return lk_http_resp_bytes(resp, 200, type, data, len);
  if(err != LK_ERR_NOT_FOUND)
    return lk_nat_fail_err(req, resp, err, NULL);
  /* which 404: no such face, or a face registered without kept images */
  if(lk_store_face_get(st, id, 0, lk_http_req_arena(req), &f))
    return lk_nat_no_face(req, resp, id);
  return lk_nat_fail(req, resp, 404, LK_NAT_NOT_FOUND,
                     "face %" PRId64 " has no kept image", id);
}

/* ---- registering ------------------------------------------------------ */

/* The optional metadata field as compact JSON text of an object (*meta
 * NULL when absent). 1 when answered. */
static int lk_nat_metadata(struct lk_http_req *req, struct lk_http_resp *resp,
                           const char **meta)
{
  const char *s = lk_api_field(req, "metadata");
  cJSON *o;
  char *text;
  int answered = 1;

  *meta = NULL;
  if(!s || !*s)
    return 0;
  o = cJSON_Parse(s);
  text = cJSON_IsObject(o) ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if(!text)
    lk_nat_fail(req, resp, 400, LK_NAT_INVALID,
                "metadata must be a JSON object");
  else if(strlen(text) > LK_STORE_META_MAX)
    lk_nat_fail(req, resp, 413, "too_large", "metadata is over %d bytes",
                LK_STORE_META_MAX);
  else if(!(*meta = lk_arena_strdup(lk_http_req_arena(req), text)))
    lk_nat_fail_err(req, resp, LK_ERR_NOMEM, NULL);
  else
    answered = 0;
  cJSON_free(text);
  return answered;
}

lk_err lk_nat_person_register(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  const char *name = lk_http_req_param(req, "name"), *meta;
  char why[LK_PIPELINE_ERRMAX] = "";
  struct lk_pipeline_result r;
  struct lk_store_person p;
  struct lk_nat_image img;
  struct lk_store *st;
  int64_t id = 0;
  lk_err err;

  if(lk_nat_begin(req, resp, api, &st) ||
     lk_nat_metadata(req, resp, &meta))
    return LK_OK;
  /* the store's name rules, checked before the image costs anything */
  if(lk_store_person_get(st, name, lk_http_req_arena(req), &p) ==
     LK_ERR_INVAL)
    return lk_nat_fail(req, resp, 400, LK_NAT_INVALID, LK_NAT_BAD_NAME);
  if(lk_nat_images_get(req, resp, api, &lk_nat_one_image, 1, 1, &img))
    return LK_OK;
  err = lk_pipeline_register_result(api->pipe, name, img.data, img.len, meta,
                                    lk_http_req_arena(req), &r, &id, why);
  lk_nat_image_free(&img);
  if(err)
    return lk_nat_fail_err(req, resp, err, why);
  return lk_nat_face_send(req, resp, st, id, &r);
}
