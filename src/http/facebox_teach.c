/* facebox_teach.c - Facebox's writing side: POST /facebox/teach (an image
 * with one face, or a faceprint, under a name and an id), PATCH and DELETE
 * /facebox/teach/{id}, POST /facebox/rename, and the state file: GET
 * /facebox/state downloads every taught face, POST adds a file's faces to
 * the gallery (never replaces it). Teaching an id again adds a sample:
 * Double Take teaches every photo of a person with id=name. */
#include "facebox_int.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"

/* Scratch for the face count before a teach: the pixels of a decode,
 * freed before register decodes again; the HTTP layer's arena size. */
#define LK_FB_SCRATCH_BYTES ((size_t)64 << 20)

/* The state file's own format (docs/api-facebox.md): Facebox's files were
 * an undocumented binary, so ours is plain JSON with our faceprints. */
#define LK_FB_STATE_FORMAT "likeness-facebox-state"
#define LK_FB_STATE_VERSION 1
#define LK_FB_STATE_MSGMAX 160

/* Answers a teach: success, or why the face was not stored. */
static lk_err lk_fb_taught(struct lk_http_req *req,
                           struct lk_http_resp *resp, lk_err err,
                           const char *why)
{
  if(err == LK_ERR_INVAL)    /* the store's name and meta rules */
    return lk_fb_fail(resp, 400, "invalid name or id: 1 to 256 bytes of "
                      "UTF-8");
  if(err == LK_ERR_TOO_LARGE)    /* here also the store's max_faces */
    return lk_fb_fail(resp, 413, "image too large or gallery full");
  if(err)
    return lk_fb_fail_err(req, resp, err, why);
  return lk_http_resp_json(resp, 200, lk_fb_ok());
}

/* How many faces the image holds, counted on boxes alone (no landmarks or
 * descriptors), in a scratch arena freed before the register. */
static lk_err lk_fb_count(struct lk_pipeline *p,
                          const struct lk_fb_upload *img, int *n, char *why)
{
  struct lk_arena *scratch = lk_arena_create(LK_FB_SCRATCH_BYTES);
  struct lk_pipeline_result r;
  lk_err err = scratch ? LK_OK : LK_ERR_NOMEM;
  if(!err)
    err = lk_pipeline_detect(p, img->data, img->len, 0, 0.0f, scratch, &r,
                             why);
  *n = err ? 0 : r.n_faces;
  lk_arena_destroy(scratch);
  return err;
}

/* Facebox refused a teaching image without exactly one face: a group
 * photo would teach whoever is largest under the name. */
static lk_err lk_fb_teach_image(struct lk_http_req *req,
                                struct lk_http_resp *resp,
                                const struct lk_api *api, const char *name,
                                const char *meta)
{
  char why[LK_PIPELINE_ERRMAX] = "";
  struct lk_fb_upload img;
  int64_t id;
  int n = 0;
  lk_err err;

  if(lk_fb_image_get(req, resp, api, &img))
    return LK_OK;
  err = lk_fb_count(api->pipe, &img, &n, why);
  if(!err && n == 1)
    err = lk_pipeline_register(api->pipe, name, img.data, img.len, meta,
                               lk_http_req_arena(req), &id, why);
  lk_fb_upload_free(&img);
  if(!err && n == 0)
    return lk_fb_fail(resp, 400, "no face found in the image");
  if(!err && n > 1)
    return lk_fb_fail(resp, 400, "more than one face in the image: teach "
                      "needs exactly one");
  return lk_fb_taught(req, resp, err, why);
}

static lk_err lk_fb_teach_faceprint(struct lk_http_req *req,
                                    struct lk_http_resp *resp,
                                    struct lk_store *st, const char *name,
                                    const char *meta, const char *fp)
{
  struct lk_store_face_new nf;
  float d[LK_STORE_DIM];
  int64_t id;
  if(lk_fb_faceprint_decode(fp, d))
    return lk_fb_fail(resp, 400, "faceprint is not a faceprint");
  memset(&nf, 0, sizeof nf);
  nf.person = name;
  nf.descriptor = d;
  nf.meta = meta;
  return lk_fb_taught(req, resp, lk_store_face_add(st, &nf, &id), NULL);
}

lk_err lk_fb_teach(struct lk_http_req *req, struct lk_http_resp *resp,
                   void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  const char *name = lk_fb_text(req, "name"), *id = lk_fb_text(req, "id");
  const char *fp = lk_fb_text(req, "faceprint"), *meta;
  lk_err err;

  if(lk_fb_refused(req, resp, api) || !(st = lk_fb_store(req, resp, api)))
    return LK_OK;
  if(!name)
    return lk_fb_fail(resp, 400, "name required");
  /* refused before an image is decoded; the store checks the rest */
  if(strlen(name) > LK_STORE_NAME_MAX)
    return lk_fb_taught(req, resp, LK_ERR_INVAL, NULL);
  if(id && strlen(id) > LK_FB_ID_MAX)
    return lk_fb_fail(resp, 400, "id longer than 256 bytes");
  err = lk_fb_meta(req, id, &meta);
  if(err)
    return lk_fb_fail_err(req, resp, err, NULL);
  if(fp && !lk_fb_image_given(req) && !lk_api_file(req, NULL))
    return lk_fb_teach_faceprint(req, resp, st, name, meta, fp);
  return lk_fb_teach_image(req, resp, api, name, meta);
}

/* ---- by id: rename and remove ----------------------------------------- */

/* The faces taught as {id}; NULL after answering (404 when none). */
static int64_t *lk_fb_taught_as(struct lk_http_req *req,
                                struct lk_http_resp *resp,
                                struct lk_store *st, int *n)
{
  int64_t *ids = NULL;
  lk_err err = lk_fb_find(st, lk_http_req_param(req, "id"), &ids, n);
  if(err)
    lk_fb_fail_err(req, resp, err, NULL);
  else if(!*n)
    lk_fb_fail(resp, 404, "id not found");
  return ids;
}

/* Moves every face taught as {id} to the person name; SDK's Rename. */
lk_err lk_fb_teach_rename(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store_face_update u;
  struct lk_store *st;
  int64_t *ids;
  int n = 0, i;
  lk_err err = LK_OK;

  if(lk_fb_refused(req, resp, api) || !(st = lk_fb_store(req, resp, api)))
    return LK_OK;
  memset(&u, 0, sizeof u);
  u.person = lk_fb_text(req, "name");
  if(!u.person)
    return lk_fb_fail(resp, 400, "name required");
  if(!(ids = lk_fb_taught_as(req, resp, st, &n)))
    return LK_OK;
  /* one face at a time, each durable: a failure part-way leaves the
   * faces before it moved, and repeating the request finishes the job */
  for(i = 0; i < n && (!err || err == LK_ERR_NOT_FOUND); i++)
    err = lk_store_face_update(st, ids[i], &u);
  lk_free(ids);
  if(err == LK_ERR_INVAL)
    return lk_fb_fail(resp, 400, "invalid name: 1 to 256 bytes of UTF-8");
  if(err && err != LK_ERR_NOT_FOUND)    /* deleted meanwhile: gone anyway */
    return lk_fb_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_fb_ok());
}

/* Forgets every face taught as {id}; SDK's Remove, Double Take's untrain
 * (DELETE /facebox/teach/<name>). */
lk_err lk_fb_teach_remove(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  int64_t *ids;
  int n = 0, i;
  lk_err err = LK_OK;

  if(lk_fb_refused(req, resp, api) || !(st = lk_fb_store(req, resp, api)) ||
     !(ids = lk_fb_taught_as(req, resp, st, &n)))
    return LK_OK;
  for(i = 0; i < n && (!err || err == LK_ERR_NOT_FOUND); i++)
    err = lk_store_face_delete(st, ids[i]);
  lk_free(ids);
  if(err && err != LK_ERR_NOT_FOUND)
    return lk_fb_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_fb_ok());
}

/* Every face of person from becomes to's; onto an existing name the faces
 * merge (SDK's RenameAll). */
lk_err lk_fb_rename(struct lk_http_req *req, struct lk_http_resp *resp,
                    void *ctx)
{
  struct lk_api *api = ctx;
  const char *from = lk_fb_text(req, "from"), *to = lk_fb_text(req, "to");
  struct lk_store *st;
  lk_err err;

  if(lk_fb_refused(req, resp, api) || !(st = lk_fb_store(req, resp, api)))
    return LK_OK;
  if(!from || !to)
    return lk_fb_fail(resp, 400, "from and to required");
  err = lk_store_person_rename(st, from, to, LK_STORE_MERGE);
  if(err == LK_ERR_NOT_FOUND)
    return lk_fb_fail(resp, 404, "name not found");
  if(err == LK_ERR_INVAL)
    return lk_fb_fail(resp, 400, "invalid name: 1 to 256 bytes of UTF-8");
  if(err)
    return lk_fb_fail_err(req, resp, err, NULL);
  return lk_http_resp_json(resp, 200, lk_fb_ok());
}

/* ---- the state file: download ----------------------------------------- */

/* One face of the file; "id" only for faces taught with one, so a face
 * that answers to its person's name still does once uploaded. */
static lk_err lk_fb_dump(const struct lk_fb_taught *t, void *ctx)
{
  cJSON **faces = ctx;
  char fp[LK_FB_FACEPRINT_SIZE];
  cJSON *o = cJSON_CreateObject();
  lk_fb_faceprint_encode(t->face->descriptor, fp);
  if(t->named)
    o = lk_api_json_add(o, "id", cJSON_CreateString(t->id));
  o = lk_api_json_add(o, "name", cJSON_CreateString(t->face->person));
  o = lk_api_json_add(o, "faceprint", cJSON_CreateString(fp));
  *faces = lk_api_json_push(*faces, o);
  return *faces ? LK_OK : LK_ERR_NOMEM;
}

lk_err lk_fb_state_get(struct lk_http_req *req, struct lk_http_resp *resp,
                       void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_store *st;
  cJSON *faces, *o;
  lk_err err;

  if(lk_fb_refused(req, resp, api) || !(st = lk_fb_store(req, resp, api)))
    return LK_OK;
  faces = cJSON_CreateArray();
  err = faces ? lk_fb_each(st, lk_fb_dump, &faces) : LK_ERR_NOMEM;
  if(err) {
    cJSON_Delete(faces);
    return lk_fb_fail_err(req, resp, err, NULL);
  }
  o = lk_api_json_add(cJSON_CreateObject(), "format",
                      cJSON_CreateString(LK_FB_STATE_FORMAT));
  o = lk_api_json_add(o, "version", cJSON_CreateNumber(LK_FB_STATE_VERSION));
  err = lk_http_resp_json(resp, 200, lk_api_json_add(o, "faces", faces));
  /* a download, as Facebox's was: browsers save it as a file */
  if(!err)
    err = lk_http_resp_header(resp, "Content-Disposition",
                              "attachment; filename=\"state.facebox\"");
  return err;
}

/* ---- the state file: upload ------------------------------------------- */

struct lk_fb_entry {
  const char *name;         /* in the parsed file */
  const char *id;           /* NULL: none */
  float d[LK_STORE_DIM];
};

/* Entry i of the file, checked; 0 when good, else msg says why. */
static int lk_fb_entry_read(const cJSON *e, int i, struct lk_fb_entry *out,
                            char *msg)
{
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
  const cJSON *fp = cJSON_GetObjectItemCaseSensitive(e, "faceprint");
  const char *why = NULL;
  if(!cJSON_IsString(name) || !name->valuestring[0] ||
     strlen(name->valuestring) > LK_STORE_NAME_MAX)
    why = "no name, or a name over 256 bytes";
  else if(id && (!cJSON_IsString(id) || !id->valuestring[0] ||
                 strlen(id->valuestring) > LK_FB_ID_MAX))
    why = "id not a string of 1 to 256 bytes";
  else if(!cJSON_IsString(fp) || lk_fb_faceprint_decode(fp->valuestring,
                                                        out->d))
    why = "no faceprint, or not one of ours";
  if(why) {
    snprintf(msg, LK_FB_STATE_MSGMAX, "state file: faces[%d]: %s", i, why);
    return 1;
  }
  out->name = name->valuestring;
  out->id = id ? id->valuestring : NULL;
  return 0;
}

/* The file's faces array, or NULL when root is not a state file of our
 * format and version (msg says so). */
static const cJSON *lk_fb_state_faces(const cJSON *root, char *msg)
{
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
  const cJSON *faces = cJSON_GetObjectItemCaseSensitive(root, "faces");
  if(!cJSON_IsString(format) || strcmp(format->valuestring,
                                       LK_FB_STATE_FORMAT)) {
    snprintf(msg, LK_FB_STATE_MSGMAX, "not a likeness state file "
             "(Facebox's own state files cannot be read)");
    return NULL;
  }
  if(!cJSON_IsNumber(version) ||
     version->valuedouble != LK_FB_STATE_VERSION || !cJSON_IsArray(faces)) {
    snprintf(msg, LK_FB_STATE_MSGMAX, "state file: version %d with a faces "
             "array expected", LK_FB_STATE_VERSION);
    return NULL;
  }
  return faces;
}

/* The whole file checked before anything is stored, into *entries (in
 * the request arena); 0 when good, else msg says why. */
static int lk_fb_state_read(struct lk_http_req *req, const cJSON *root,
                            struct lk_fb_entry **entries, int *n, char *msg)
{
  const cJSON *faces = lk_fb_state_faces(root, msg), *e;
  int i = 0;
  if(!faces)
    return 1;
  *n = cJSON_GetArraySize(faces);
  *entries = lk_arena_alloc(lk_http_req_arena(req),
                            (size_t)(*n ? *n : 1) * sizeof **entries);
  if(!*entries) {
    snprintf(msg, LK_FB_STATE_MSGMAX, "state file too large");
    return 1;
  }
  cJSON_ArrayForEach(e, faces) {
    if(lk_fb_entry_read(e, i, &(*entries)[i], msg))
      return 1;
    i++;
  }
  return 0;
}

/* Whether name already has a face with exactly this descriptor: the same
 * file uploaded twice adds its faces once. */
static int lk_fb_known(struct lk_store *st, const struct lk_fb_entry *e,
                       struct lk_arena *scratch)
{
  struct lk_store_match *m;
  int n;
  lk_arena_reset(scratch);
  return !lk_store_match_person(st, e->d, e->name, scratch, &m, &n) &&
         n > 0 && m[0].distance == 0.0f;
}

struct lk_fb_restore {
  int64_t *added;           /* face ids, for taking them back */
  int n_added, n_skipped;
};

/* Adds the entries the gallery lacks; on a failure takes back the faces
 * this upload added, as a refused file must leave the gallery as it was. */
static lk_err lk_fb_state_add(struct lk_http_req *req, struct lk_store *st,
                              const struct lk_fb_entry *e, int n,
                              struct lk_fb_restore *r)
{
  struct lk_arena *scratch = lk_arena_create(LK_FB_SCRATCH_BYTES);
  struct lk_store_face_new nf;
  int i;
  lk_err err = scratch ? LK_OK : LK_ERR_NOMEM;
  memset(&nf, 0, sizeof nf);
  for(i = 0; !err && i < n; i++) {
    if(lk_fb_known(st, &e[i], scratch)) {
      r->n_skipped++;
      continue;
    }
    nf.person = e[i].name;
    nf.descriptor = e[i].d;
    err = lk_fb_meta(req, e[i].id, &nf.meta);
    if(!err)
      err = lk_store_face_add(st, &nf, &r->added[r->n_added]);
    r->n_added += !err;
  }
  for(i = 0; err && i < r->n_added; i++) {
    if(lk_store_face_delete(st, r->added[i]))
      lk_log(LK_LOG_ERROR, "facebox", "state upload: face %lld stays "
             "after a failed upload", (long long)r->added[i]);
  }
  lk_arena_destroy(scratch);
  return err;
}

/* The file: form file "file" (SDK's PostState) or url (PostStateURL). */
static int lk_fb_state_source(struct lk_http_req *req,
                              struct lk_http_resp *resp,
                              const struct lk_api *api,
                              struct lk_fb_upload *up)
{
  const struct lk_http_part *file = lk_api_file(req, "file");
  const char *url = lk_fb_text(req, "url");
  memset(up, 0, sizeof *up);
  if(file) {
    up->data = file->data;
    up->len = file->size;
    return 0;
  }
  if(url)
    return lk_fb_fetch(req, resp, api, url, up);
  lk_fb_fail(resp, 400, "no state file: send a form file named file, or "
             "url");
  return 1;
}

static lk_err lk_fb_state_answer(struct lk_http_req *req,
                                 struct lk_http_resp *resp,
                                 const struct lk_fb_restore *r, lk_err err)
{
  cJSON *o;
  if(err == LK_ERR_INVAL)
    return lk_fb_fail(resp, 400, "state file: a name the gallery cannot "
                      "hold (not UTF-8)");
  if(err == LK_ERR_TOO_LARGE)
    return lk_fb_fail(resp, 413, "gallery full");
  if(err)
    return lk_fb_fail_err(req, resp, err, NULL);
  o = lk_api_json_add(lk_fb_ok(), "added", cJSON_CreateNumber(r->n_added));
  return lk_http_resp_json(resp, 200, lk_api_json_add(o, "skipped",
                           cJSON_CreateNumber(r->n_skipped)));
}

lk_err lk_fb_state_post(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx)
{
  struct lk_api *api = ctx;
  struct lk_fb_restore r = { NULL, 0, 0 };
  struct lk_fb_entry *entries;
  struct lk_fb_upload up;
  struct lk_store *st;
  char msg[LK_FB_STATE_MSGMAX] = "";
  cJSON *root;
  int n = 0;
  lk_err err;

  if(lk_fb_refused(req, resp, api) || !(st = lk_fb_store(req, resp, api)) ||
     lk_fb_state_source(req, resp, api, &up))
    return LK_OK;
  root = cJSON_ParseWithLength((const char *)up.data, up.len);
  lk_fb_upload_free(&up);
  if(!root || lk_fb_state_read(req, root, &entries, &n, msg)) {
    cJSON_Delete(root);
    return lk_fb_fail(resp, 400, msg[0] ? msg : "state file is not JSON");
  }
  r.added = lk_arena_alloc(lk_http_req_arena(req),
                           (size_t)(n ? n : 1) * sizeof *r.added);
  err = r.added ? lk_fb_state_add(req, st, entries, n, &r) : LK_ERR_NOMEM;
  cJSON_Delete(root);
  return lk_fb_state_answer(req, resp, &r, err);
}
