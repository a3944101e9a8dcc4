/* facebox_int.h - what the Facebox adapter's files share: facebox.c (errors,
 * Basic auth, images, faceprints, Facebox ids, the routes),
 * facebox_check.c (check, similar, faceprint) and facebox_teach.c (teach,
 * rename, remove, state). Nothing outside src/http includes it.
 *
 * Threads: as api.h; everything here works in the caller's request. */
#ifndef LK_FACEBOX_INT_H
#define LK_FACEBOX_INT_H

#include "api.h"

/* A face counts as recognized ("matched":true) from this calibrated
 * confidence: the curve's centre, distance LK_PIPELINE_CALIB_CENTER. */
#define LK_FB_MATCHED 0.5

/* Where a taught face keeps its Facebox id: its meta JSON,
 * {"facebox_id":"john1.jpg"}. */
#define LK_FB_META_ID "facebox_id"
#define LK_FB_ID_MAX LK_STORE_NAME_MAX    /* bytes of an id */

/* A faceprint: this prefix (the format's version) and the descriptor's
 * 128 float32, little endian, in base64. */
#define LK_FB_FACEPRINT_PREFIX "lk1:"
#define LK_FB_FACEPRINT_BYTES (LK_STORE_DIM * 4)
#define LK_FB_FACEPRINT_SIZE (sizeof LK_FB_FACEPRINT_PREFIX - 1 + \
                              LK_API_BASE64_LEN(LK_FB_FACEPRINT_BYTES))

/* ---- answers (facebox.c) ---------------------------------------------- */

/* An error in Facebox's shape; 503 gets Retry-After. */
lk_err lk_fb_fail(struct lk_http_resp *resp, int status, const char *message);
/* A pipeline, store or fetch failure by the error table; why (may be
 * NULL or "") goes to the log. */
lk_err lk_fb_fail_err(struct lk_http_req *req, struct lk_http_resp *resp,
                      lk_err err, const char *why);
/* {"success":true}, to add to. */
cJSON *lk_fb_ok(void);
/* 1 when the request lacks the configured Basic credentials and was
 * answered 401: every handler asks first. */
int lk_fb_refused(struct lk_http_req *req, struct lk_http_resp *resp,
                  const struct lk_api *api);
/* The gallery, or NULL after answering 500 (a pipeline without one). */
struct lk_store *lk_fb_store(struct lk_http_req *req,
                             struct lk_http_resp *resp,
                             const struct lk_api *api);

/* ---- what clients send: fields, an image, a state file (facebox.c) --- */

/* A field (lk_api_field), NULL when absent or "". */
const char *lk_fb_text(struct lk_http_req *req, const char *name);

struct lk_fb_upload {
  const unsigned char *data;
  size_t len;
  unsigned char *owned;     /* lk_malloc'd (decoded or fetched), or NULL */
};
void lk_fb_upload_free(struct lk_fb_upload *up);

/* Downloads url behind the SSRF guard (api->cfg->fetch); 1 when the
 * request was answered instead (refused, unreachable, too large). */
int lk_fb_fetch(struct lk_http_req *req, struct lk_http_resp *resp,
                const struct lk_api *api, const char *url,
                struct lk_fb_upload *up);
/* Whether the request names an image: form file "file", base64 or url. */
int lk_fb_image_given(struct lk_http_req *req);
/* The image, from the first of those given; 1 when the request was
 * answered instead (none given, bad base64, url refused). */
int lk_fb_image_get(struct lk_http_req *req, struct lk_http_resp *resp,
                    const struct lk_api *api, struct lk_fb_upload *img);

/* ---- faceprints (facebox.c) ------------------------------------------- */

/* out: LK_FB_FACEPRINT_SIZE bytes. */
void lk_fb_faceprint_encode(const float *d, char *out);
/* LK_ERR_INVAL unless s is one of ours with 128 finite values. */
lk_err lk_fb_faceprint_decode(const char *s, float *d);

/* ---- Facebox ids (facebox.c) -------------------------------------------
 * A face taught with an id keeps it in its meta; any other face (taught
 * without one, or added through another API) answers to its person's
 * name, so DELETE /facebox/teach/<name> removes what Double Take taught
 * (it teaches with id=name) and what it registered elsewhere alike. */
struct lk_fb_taught {
  const struct lk_store_face *face;
  const char *id;           /* in the walk's arena */
  int named;                /* the id is the meta's, not the person */
};

/* The meta JSON for a face taught with id (NULL: none) into *meta, in the
 * request arena. */
lk_err lk_fb_meta(struct lk_http_req *req, const char *id,
                  const char **meta);
/* The Facebox id of gallery face face_id (person: its name, the answer
 * when it has no id or cannot be read), in arena. */
const char *lk_fb_face_id(struct lk_store *st, int64_t face_id,
                          const char *person, struct lk_arena *arena);

typedef lk_err (*lk_fb_visit)(const struct lk_fb_taught *t, void *ctx);
/* Calls fn on every live face, by face id, a page at a time; a non-OK
 * return stops the walk and is returned. Listing and filtering in C is a
 * scan of the whole gallery, fine for the hundreds or thousands of faces
 * of a home (the store has no index on meta, and Facebox's id-wide
 * operations are rare: a teach id removed or renamed). */
lk_err lk_fb_each(struct lk_store *st, lk_fb_visit fn, void *ctx);
/* Every face whose Facebox id is id, into *ids (lk_malloc'd; caller frees,
 * NULL when *n is 0). */
lk_err lk_fb_find(struct lk_store *st, const char *id, int64_t **ids,
                  int *n);

/* ---- handlers --------------------------------------------------------- */

lk_err lk_fb_check(struct lk_http_req *req, struct lk_http_resp *resp,
                   void *ctx);
lk_err lk_fb_similar_image(struct lk_http_req *req,
                           struct lk_http_resp *resp, void *ctx);
lk_err lk_fb_similar_id(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx);
lk_err lk_fb_similars(struct lk_http_req *req, struct lk_http_resp *resp,
                      void *ctx);
lk_err lk_fb_faceprint_compare(struct lk_http_req *req,
                               struct lk_http_resp *resp, void *ctx);
lk_err lk_fb_faceprint_check(struct lk_http_req *req,
                             struct lk_http_resp *resp, void *ctx);
lk_err lk_fb_teach(struct lk_http_req *req, struct lk_http_resp *resp,
                   void *ctx);
lk_err lk_fb_teach_rename(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx);
lk_err lk_fb_teach_remove(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx);
lk_err lk_fb_rename(struct lk_http_req *req, struct lk_http_resp *resp,
                    void *ctx);
lk_err lk_fb_state_get(struct lk_http_req *req, struct lk_http_resp *resp,
                       void *ctx);
lk_err lk_fb_state_post(struct lk_http_req *req, struct lk_http_resp *resp,
                        void *ctx);

#endif
