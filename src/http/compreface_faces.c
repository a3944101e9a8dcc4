/* compreface_faces.c - CompreFace's face collection on the gallery:
 * /api/v1/recognition/subjects (add, rename with merge, delete, list),
 * /faces (add an example, page through them, delete by subject, by id or
 * by a list of ids), the stored image of an example, and its static link.
 * Behaviour follows CompreFace's SubjectController, EmbeddingController,
 * StaticController, SubjectService and SubjectDao. Deletes go through the
 * pipeline so that the kept images go with the faces. */
#include "compreface_int.h"

#include <math.h>
#include <string.h>

/* Spring Data's default and largest page sizes (GET /faces). */
#define LK_CF_PAGE_SIZE 20
#define LK_CF_PAGE_MAX 2000
/* SubjectDto's @Size(max = 50), counted in UTF-16 units as Java does. */
#define LK_CF_SUBJECT_MAX 50

/* White space only (or empty), as Java's String.isBlank sees ASCII. */
static int lk_cf_blank(const char *s)
{
  for(; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if(c != ' ' && (c < '\t' || c > '\r') && (c < 0x1c || c > 0x1f))
      return 0;
  }
  return 1;
}

/* UTF-16 units of UTF-8 text: one per character, two above U+FFFF. */
static size_t lk_cf_utf16_len(const char *s)
{
  size_t n = 0;
  for(; *s; s++) {
    unsigned char c = (unsigned char)*s;
    n += (c & 0xc0) != 0x80;
    n += c >= 0xf0;
  }
  return n;
}

/* @NotBlank on a path variable or a query parameter: the violation's
 * message, ended with "; " by the ConstraintViolation handler. */
static int lk_cf_empty_subject(struct lk_http_req *req,
                               struct lk_http_resp *resp, const char *s)
{
  if(!lk_cf_blank(s))
    return 0;
  lk_cf_fail(req, resp, 400, LK_CF_VALIDATION, "Subject name is empty; ");
  return 1;
}

/* A name the gallery cannot hold (docs/store.md): not UTF-8, or over
 * LK_STORE_NAME_MAX bytes. CompreFace has no such case. */
static lk_err lk_cf_bad_name(struct lk_http_req *req,
                             struct lk_http_resp *resp)
{
  return lk_cf_fail(req, resp, 400, LK_CF_VALIDATION,
                    "Subject name must be valid UTF-8 of at most %d bytes",
                    LK_STORE_NAME_MAX);
}

static lk_err lk_cf_no_subject(struct lk_http_req *req,
                               struct lk_http_resp *resp, const char *name)
{
  return lk_cf_fail(req, resp, 404, LK_CF_SUBJECT_NOT_FOUND,
                    "Subject %.300s not found", name);
}

/* The "subject" of a JSON body, checked as SubjectDto checks it. */
static int lk_cf_subject_body(struct lk_http_req *req,
                              struct lk_http_resp *resp, const char **name)
{
  const cJSON *json, *v;
  if(lk_cf_json(req, resp, &json))
    return 1;
  v = cJSON_GetObjectItemCaseSensitive(json, "subject");
  *name = cJSON_IsString(v) ? v->valuestring : NULL;
  if(!*name || lk_cf_blank(*name))
    lk_cf_fail(req, resp, 400, LK_CF_VALIDATION,
               "Subject name cannot be empty");
  else if(lk_cf_utf16_len(*name) > LK_CF_SUBJECT_MAX)
    lk_cf_fail(req, resp, 400, LK_CF_VALIDATION,
               "Subject name size must be between 1 and 50");
  else if(strpbrk(*name, ";/\\"))
    lk_cf_fail(req, resp, 400, LK_CF_INCORRECT_ARGUMENT,
               "The name cannot contain the following special "
               "characters: ';', '/', '\\'");
  else
    return 0;
  return 1;
}

static cJSON *lk_cf_one(const char *key, cJSON *item)
{
  cJSON *o = cJSON_CreateObject();
  if(!lk_cf_put(o, key, item)) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* ---- subjects ----------------------------------------------------------- */

lk_err lk_cf_subject_add(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  const char *name;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) ||
     lk_cf_subject_body(req, resp, &name))
    return LK_OK;
  err = lk_store_person_create(st, name, NULL);
  if(err == LK_STORE_ERR_EXISTS)
    return lk_cf_fail(req, resp, 400, LK_CF_SUBJECT_EXISTS,
                      "Subject already exists");
  if(err == LK_ERR_INVAL)
    return lk_cf_bad_name(req, resp);
  if(err)
    return lk_cf_fail_err(req, resp, err, "creating a subject");
  return lk_cf_send(resp, 201, lk_cf_one("subject",
                                          cJSON_CreateString(name)));
}

/* PUT: a new name that exists merges the two (SubjectDao
 * updateSubjectName); the same name is {"updated":false}. */
lk_err lk_cf_subject_rename(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  struct lk_store_person p;
  const char *from = lk_http_req_param(req, "subject"), *to;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) ||
     lk_cf_empty_subject(req, resp, from) ||
     lk_cf_subject_body(req, resp, &to))
    return LK_OK;
  if(!strcmp(from, to))
    return lk_cf_send(resp, 200, lk_cf_one("updated", cJSON_CreateFalse()));
  err = lk_store_person_rename(st, from, to, LK_STORE_MERGE);
  /* INVAL is either name: a from the gallery cannot hold is not there */
  if(err == LK_ERR_INVAL &&
     !lk_store_person_get(st, from, lk_http_req_arena(req), &p))
    return lk_cf_bad_name(req, resp);
  if(err == LK_ERR_NOT_FOUND || err == LK_ERR_INVAL)
    return lk_cf_no_subject(req, resp, from);
  if(err)
    return lk_cf_fail_err(req, resp, err, "renaming a subject");
  return lk_cf_send(resp, 200, lk_cf_one("updated", cJSON_CreateTrue()));
}

lk_err lk_cf_subject_delete(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  const char *name = lk_http_req_param(req, "subject");
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) ||
     lk_cf_empty_subject(req, resp, name))
    return LK_OK;
  err = lk_pipeline_person_delete(api->pipe, name, 0, NULL);
  if(err == LK_ERR_NOT_FOUND || err == LK_ERR_INVAL)
    return lk_cf_no_subject(req, resp, name);
  if(err)
    return lk_cf_fail_err(req, resp, err, "deleting a subject");
  return lk_cf_send(resp, 200, lk_cf_one("subject",
                                          cJSON_CreateString(name)));
}

/* Deletes every subject with their faces and kept images; counts both. A
 * subject deleted meanwhile by another request is not counted. */
static lk_err lk_cf_delete_all(struct lk_http_req *req, struct lk_api *api,
                               struct lk_store *st, int64_t *people,
                               int64_t *faces)
{
  struct lk_store_person *list;
  int i, n = 0;
  lk_err err = lk_store_person_list(st, lk_http_req_arena(req), &list, &n);
  *people = 0;
  *faces = 0;
  for(i = 0; !err && i < n; i++) {
    int64_t k = 0;
    err = lk_pipeline_person_delete(api->pipe, list[i].name, 0, &k);
    if(err == LK_ERR_NOT_FOUND) {
      err = LK_OK;
      continue;
    }
    *people += !err;
    *faces += k;
  }
  return err;
}

lk_err lk_cf_subjects_delete(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  int64_t people, faces;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st))
    return LK_OK;
  err = lk_cf_delete_all(req, api, st, &people, &faces);
  if(err)
    return lk_cf_fail_err(req, resp, err, "deleting every subject");
  return lk_cf_send(resp, 200, lk_cf_one("deleted",
                                          cJSON_CreateNumber((double)people)));
}

/* Every subject, those without faces too (POST /subjects makes them). */
lk_err lk_cf_subjects_list(struct lk_http_req *req, struct lk_http_resp *resp,
                           void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  struct lk_store_person *people;
  cJSON *a;
  int i, n = 0;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st))
    return LK_OK;
  err = lk_store_person_list(st, lk_http_req_arena(req), &people, &n);
  if(err)
    return lk_cf_fail_err(req, resp, err, "listing subjects");
  a = cJSON_CreateArray();
  for(i = 0; a && i < n; i++) {
    if(!lk_cf_push(a, cJSON_CreateString(people[i].name))) {
      cJSON_Delete(a);
      a = NULL;
    }
  }
  return lk_cf_send(resp, 200, lk_cf_one("subjects", a));
}

/* ---- faces -------------------------------------------------------------- */

/* Faces the detector answers at det_prob_threshold t: an example must
 * have exactly one (SubjectService saveCalculatedEmbedding). */
static lk_err lk_cf_count_faces(struct lk_http_req *req, struct lk_api *api,
                                const struct lk_cf_image *img, double t,
                                int *count, char *why)
{
  struct lk_pipeline_result r;
  int i;
  lk_err err = lk_pipeline_detect(api->pipe, img->data, img->size, 0,
                                  lk_cf_score(t), lk_http_req_arena(req), &r,
                                  why);
  *count = 0;
  for(i = 0; !err && i < r.n_faces; i++)
    *count += lk_cf_listed(&r, i, t);
  return err;
}

/* The subject query parameter of POST /faces: required, not blank, and a
 * name the gallery can hold (checked before any inference). */
static int lk_cf_face_subject(struct lk_http_req *req,
                              struct lk_http_resp *resp, struct lk_store *st,
                              const char **name)
{
  struct lk_store_person p;
  *name = lk_cf_param(req, "subject");
  if(!*name) {
    lk_cf_fail(req, resp, 400, LK_CF_MISSING_PARAM,
               "Required parameter subject is missing");
    return 1;
  }
  if(lk_cf_empty_subject(req, resp, *name))
    return 1;
  if(lk_store_person_get(st, *name, lk_http_req_arena(req), &p) !=
     LK_ERR_INVAL)
    return 0;
  lk_cf_bad_name(req, resp);
  return 1;
}

/* POST /faces: one face per image, counted first (one detection more);
 * then register keeps the largest face and the image as sent. */
lk_err lk_cf_face_add(struct lk_http_req *req, struct lk_http_resp *resp,
                      void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  struct lk_cf_image img;
  char why[LK_PIPELINE_ERRMAX] = "";
  const char *subject;
  double t;
  int64_t id;
  int count;
  lk_err err;

  /* EmbeddingController's order: file, subject, det_prob_threshold */
  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) ||
     lk_cf_image(req, resp, "file", &img) ||
     lk_cf_face_subject(req, resp, st, &subject) ||
     lk_cf_det_prob(req, resp, &t))
    return LK_OK;
  err = lk_cf_count_faces(req, api, &img, t, &count, why);
  if(!err && !count)
    err = LK_ERR_NO_FACE;
  if(!err && count > 1)
    return lk_cf_fail(req, resp, 400, LK_CF_TOO_MANY_FACES,
                      "More than one face in the source image");
  if(!err)
    err = lk_pipeline_register(api->pipe, subject, img.data, img.size, NULL,
                               lk_http_req_arena(req), &id, why);
  if(err == LK_ERR_TOO_LARGE)     /* here also the store's max_faces */
    return lk_cf_fail(req, resp, 413, LK_CF_UNDEFINED,
                      "Image is too large, or the gallery is full");
  if(err)
    return lk_cf_fail_err(req, resp, err, why);
  return lk_cf_send(resp, 201, lk_cf_face_ref(id, subject));
}

/* Spring's Pageable: a missing or unreadable number is def, negatives
 * are 0 (page) or def (size), sizes over max are max. */
static int64_t lk_cf_page_arg(const struct lk_http_req *req,
                              const char *name, int64_t def, int64_t max)
{
  const char *s = lk_cf_param(req, name);
  double v;
  if(!s || lk_api_number(s, &v) || v != floor(v))
    return def;
  if(v < 0)
    return 0;
  return v > (double)max ? max : (int64_t)v;
}

/* Live faces of subject (NULL: everyone); an unknown subject has none. */
static lk_err lk_cf_total(struct lk_http_req *req, struct lk_store *st,
                          const char *subject, int64_t *total)
{
  struct lk_store_person p;
  struct lk_store_counts c;
  lk_err err;
  *total = 0;
  if(!subject) {
    err = lk_store_counts(st, &c);
    *total = c.faces;
    return err;
  }
  err = lk_store_person_get(st, subject, lk_http_req_arena(req), &p);
  if(!err)
    *total = p.n_faces;
  return err == LK_ERR_NOT_FOUND || err == LK_ERR_INVAL ? LK_OK : err;
}

static cJSON *lk_cf_page(const struct lk_store_face *f, int n, int64_t page,
                         int64_t size, int64_t total)
{
  cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
  int i, ok = lk_cf_put(o, "faces", a);
  for(i = 0; ok && i < n; i++)
    ok = lk_cf_push(a, lk_cf_face_ref(f[i].id, f[i].person));
  ok = ok &&
       lk_cf_put(o, "page_number", cJSON_CreateNumber((double)page)) &&
       lk_cf_put(o, "page_size", cJSON_CreateNumber((double)size)) &&
       lk_cf_put(o, "total_pages", cJSON_CreateNumber(
                   (double)((total + size - 1) / size))) &&
       lk_cf_put(o, "total_elements", cJSON_CreateNumber((double)total));
  if(!ok) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

/* GET /faces?page=&size=&subject=: by id, oldest first. */
lk_err lk_cf_faces_list(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  struct lk_store_face *faces = NULL;
  const char *subject = lk_cf_param(req, "subject");
  int64_t page, size, total;
  int n = 0;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st))
    return LK_OK;
  if(subject && !*subject)
    subject = NULL;
  /* a page as far as INT32_MAX pages of the largest size still fits */
  page = lk_cf_page_arg(req, "page", 0, 2147483647);
  size = lk_cf_page_arg(req, "size", LK_CF_PAGE_SIZE, LK_CF_PAGE_MAX);
  if(size < 1)
    size = LK_CF_PAGE_SIZE;
  err = lk_cf_total(req, st, subject, &total);
  if(!err && page * size < total)
    err = lk_store_face_list(st, subject, page * size, (int)size,
                             lk_http_req_arena(req), &faces, &n);
  if(err == LK_ERR_NOT_FOUND)    /* the subject went meanwhile */
    err = LK_OK;
  if(err)
    return lk_cf_fail_err(req, resp, err, "listing faces");
  return lk_cf_send(resp, 200, lk_cf_page(faces, n, page, size, total));
}

/* DELETE /faces?subject=: the subject's faces and the subject itself
 * (SubjectDao removeAllSubjectEmbeddings); no subject: everyone. An
 * unknown subject deletes 0. */
lk_err lk_cf_faces_delete(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  const char *subject = lk_cf_param(req, "subject");
  int64_t people, faces = 0;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) ||
     (subject && lk_cf_empty_subject(req, resp, subject)))
    return LK_OK;
  if(subject)
    err = lk_pipeline_person_delete(api->pipe, subject, 0, &faces);
  else
    err = lk_cf_delete_all(req, api, st, &people, &faces);
  if(err == LK_ERR_NOT_FOUND || err == LK_ERR_INVAL)
    err = LK_OK;
  if(err)
    return lk_cf_fail_err(req, resp, err, "deleting faces");
  return lk_cf_send(resp, 200, lk_cf_one("deleted",
                                          cJSON_CreateNumber((double)faces)));
}

/* Deletes the face an image id names; its subject in *subject.
 * LK_ERR_NOT_FOUND for an id that is not ours or not there. */
static lk_err lk_cf_delete_id(struct lk_http_req *req, struct lk_api *api,
                              struct lk_store *st, const char *uuid,
                              int64_t *id, const char **subject)
{
  struct lk_store_face f;
  lk_err err;
  *subject = NULL;
  if(!lk_cf_id_parse(uuid, id))
    return LK_ERR_NOT_FOUND;
  err = lk_store_face_get(st, *id, 0, lk_http_req_arena(req), &f);
  if(!err)
    err = lk_pipeline_face_delete(api->pipe, *id);
  if(!err)
    *subject = f.person;
  return err;
}

lk_err lk_cf_face_delete(struct lk_http_req *req, struct lk_http_resp *resp,
                         void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  const char *uuid = lk_http_req_param(req, "image_id"), *subject;
  int64_t id;
  lk_err err;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st))
    return LK_OK;
  err = lk_cf_delete_id(req, api, st, uuid, &id, &subject);
  if(err == LK_ERR_NOT_FOUND)
    return lk_cf_no_image(req, resp, uuid);
  if(err)
    return lk_cf_fail_err(req, resp, err, "deleting a face");
  return lk_cf_send(resp, 200, lk_cf_face_ref(id, subject));
}

/* POST /faces/delete ["id", ...]: the faces deleted; unknown ids are
 * skipped (SubjectService removeSubjectEmbeddings). */
lk_err lk_cf_faces_delete_ids(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  const cJSON *json, *it;
  cJSON *a;
  lk_err err = LK_OK;

  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION) ||
     lk_cf_no_store(req, resp, api, &st) || lk_cf_json(req, resp, &json))
    return LK_OK;
  /* Jackson's List<UUID> takes nothing else */
  for(it = cJSON_IsArray(json) ? json->child : NULL; it; it = it->next)
    if(!cJSON_IsString(it))
      break;
  if(!cJSON_IsArray(json) || it)
    return lk_cf_fail(req, resp, 400, LK_CF_UNDEFINED, "JSON parse error: "
                      "the body must be an array of image ids");
  a = cJSON_CreateArray();
  cJSON_ArrayForEach(it, json) {
    const char *subject;
    int64_t id;
    err = lk_cf_delete_id(req, api, st, it->valuestring, &id, &subject);
    if(!err && !lk_cf_push(a, lk_cf_face_ref(id, subject)))
      err = LK_ERR_NOMEM;
    if(err && err != LK_ERR_NOT_FOUND)
      break;
    err = LK_OK;
  }
  if(err) {
    cJSON_Delete(a);
    return lk_cf_fail_err(req, resp, err, "deleting faces by id");
  }
  return lk_cf_send(resp, 200, a);
}

/* The image kept for the face, as uploaded. */
static lk_err lk_cf_send_img(struct lk_http_req *req,
                             struct lk_http_resp *resp, struct lk_api *api)
{
  const char *uuid = lk_http_req_param(req, "image_id"), *type;
  const unsigned char *data;
  size_t len;
  int64_t id;
  lk_err err;

  if(!lk_cf_id_parse(uuid, &id))
    return lk_cf_no_image(req, resp, uuid);
  err = lk_pipeline_face_image(api->pipe, id, lk_http_req_arena(req), &data,
                               &len, &type);
  if(err == LK_ERR_NOT_FOUND)
    return lk_cf_no_image(req, resp, uuid);
  if(!err)
    err = lk_http_resp_bytes(resp, 200, type, data, len);
  /* CompreFace's value: an id never names another image */
  if(!err)
    err = lk_http_resp_header(resp, "Cache-Control",
                              "public, max-age=31536000");
  return err ? lk_cf_fail_err(req, resp, err, "reading a kept image") : err;
}

lk_err lk_cf_face_img(struct lk_http_req *req, struct lk_http_resp *resp,
                      void *ctx)
{
  struct lk_api *api = ctx;
  if(lk_cf_refused(req, resp, api, LK_CF_RECOGNITION))
    return LK_OK;
  return lk_cf_send_img(req, resp, api);
}

/* /api/v1/static/{api_key}/images/{image_id}: for <img src>, so the key
 * is in the path (the route logs its pattern, not the key). */
lk_err lk_cf_static_img(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx)
{
  struct lk_api *api = ctx;
  const char *want = api->cfg ? api->cfg->compreface_recognition_key : NULL;
  const char *key = lk_http_req_param(req, "api_key");
  if(want && *want && !lk_api_key_equal(key, strlen(key), want))
    return lk_cf_fail(req, resp, 404, LK_CF_MODEL_NOT_FOUND,
                      "Recognition service with API Key %.100s not found",
                      key);
  return lk_cf_send_img(req, resp, api);
}
