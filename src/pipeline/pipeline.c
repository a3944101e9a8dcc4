/* pipeline.c - decode, describe, order, match: the one recognize path. */
#include "pipeline_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct lk_pipeline_config lk_pipeline_default_config(void)
{
  struct lk_pipeline_config c;
  memset(&c, 0, sizeof c);
  c.face = lk_face_default_opts();
  c.image = lk_image_default_opts();
  c.calib_center = LK_PIPELINE_CALIB_CENTER;
  c.calib_slope = LK_PIPELINE_CALIB_SLOPE;
  return c;
}

lk_err lk_pipeline_create(struct lk_pipeline **out,
                          struct lk_face_engine *eng, struct lk_store *st,
                          const struct lk_pipeline_config *cfg)
{
  struct lk_pipeline *p;
  *out = NULL;
  if(!eng || !cfg || !(cfg->calib_slope > 0) ||
     lk_face_opts_check(&cfg->face, NULL))
    return LK_ERR_INVAL;
  p = lk_calloc(1, sizeof *p);
  if(!p)
    return LK_ERR_NOMEM;
  p->eng = eng;
  p->st = st;
  p->cfg = *cfg;
  *out = p;
  return LK_OK;
}

void lk_pipeline_destroy(struct lk_pipeline *p)
{
  lk_free(p);
}

struct lk_store *lk_pipeline_store(const struct lk_pipeline *p)
{
  return p->st;
}

float lk_pipeline_confidence(const struct lk_pipeline *p, float distance)
{
  double x = p->cfg.calib_slope * ((double)distance - p->cfg.calib_center);
  return (float)(1.0 / (1.0 + exp(x)));
}

static void lk_why(char *why, const char *fmt, const char *arg)
{
  if(why)
    snprintf(why, LK_PIPELINE_ERRMAX, fmt, arg);
}

static float lk_area(const struct lk_box *b)
{
  return (b->x_max - b->x_min) * (b->y_max - b->y_min);
}

/* Largest box first, as every API lists faces; ties by score. */
static int lk_by_area(const void *a, const void *b)
{
  const struct lk_pipeline_face *x = a, *y = b;
  float ax = lk_area(&x->face.box), ay = lk_area(&y->face.box);
  if(ax != ay)
    return ax < ay ? 1 : -1;
  return x->face.score < y->face.score ? 1 : x->face.score > y->face.score;
}

lk_err lk_pipeline_detect(struct lk_pipeline *p, const void *img, size_t len,
                          int descriptors, float min_score,
                          struct lk_arena *arena,
                          struct lk_pipeline_result *res, char *why)
{
  struct lk_face_opts o = p->cfg.face;
  struct lk_image image;
  struct lk_face *faces;
  char detail[LK_IMAGE_ERRMAX] = "";
  int i, n = 0;
  lk_err err;

  memset(res, 0, sizeof *res);
  if(min_score > 0)
    o.min_score = min_score;
  err = lk_image_decode(img, len, &p->cfg.image, arena, &image, detail);
  if(err) {
    lk_why(why, "%s", detail[0] ? detail : lk_strerror(err));
    return err;
  }
  err = descriptors ? lk_face_describe(p->eng, &image, &o, arena, &faces, &n)
                    : lk_face_detect(p->eng, &image, &o, arena, &faces, &n);
  if(err) {
    lk_why(why, "%s", lk_strerror(err));
    return err;
  }
  res->width = image.width;
  res->height = image.height;
  if(image.scale_denom > 1) {      /* report the file's own size */
    res->width = image.orientation >= 5 ? image.src_height : image.src_width;
    res->height = image.orientation >= 5 ? image.src_width : image.src_height;
  }
  if(!n)
    return LK_OK;
  res->faces = lk_arena_calloc(arena, (size_t)n * sizeof *res->faces);
  if(!res->faces)
    return LK_ERR_NOMEM;
  for(i = 0; i < n; i++)
    res->faces[i].face = faces[i];
  res->n_faces = n;
  qsort(res->faces, (size_t)n, sizeof *res->faces, lk_by_area);
  return LK_OK;
}

static lk_err lk_match_face(struct lk_pipeline *p, struct lk_pipeline_face *f,
                            int top_k, struct lk_arena *arena)
{
  struct lk_store_match *m;
  int i, n = 0;
  lk_err err;
  if(!p->st)
    return LK_OK;
  err = lk_store_match(p->st, f->face.descriptor, top_k, 0, arena, &m, &n);
  if(err || !n)
    return err;
  f->matches = lk_arena_calloc(arena, (size_t)n * sizeof *f->matches);
  if(!f->matches)
    return LK_ERR_NOMEM;
  for(i = 0; i < n; i++) {
    f->matches[i].person = m[i].person;
    f->matches[i].face_id = m[i].face_id;
    f->matches[i].distance = m[i].distance;
    f->matches[i].confidence = lk_pipeline_confidence(p, m[i].distance);
  }
  f->n_matches = n;
  return LK_OK;
}

lk_err lk_pipeline_recognize(struct lk_pipeline *p, const void *img,
                             size_t len, int top_k, struct lk_arena *arena,
                             struct lk_pipeline_result *res, char *why)
{
  lk_err err = lk_pipeline_detect(p, img, len, 1, 0.0f, arena, res, why);
  int i;
  if(top_k < 1)
    top_k = 1;
  for(i = 0; !err && i < res->n_faces; i++)
    err = lk_match_face(p, &res->faces[i], top_k, arena);
  if(err && why && !why[0])
    lk_why(why, "%s", lk_strerror(err));
  return err;
}

/* Lower-case hex SHA-256 of the source image, so a gallery can tell which
 * photo a face came from; 0 if OpenSSL fails (the hash is optional). */
static int lk_sha256_hex(const void *data, size_t len, char hex[65])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0, i;
  if(!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
    return 0;
  for(i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return 1;
}

const char *lk_pipeline_detector_label(const struct lk_pipeline *p)
{
  return p->cfg.face.detector == LK_DETECTOR_TINY ? "tiny" : "ssd";
}

const char *lk_pipeline_align_label(const struct lk_pipeline *p)
{
  return p->cfg.face.align == LK_ALIGN_FACEAPI ? "faceapi" : "similarity";
}

lk_err lk_pipeline_register_result(struct lk_pipeline *p, const char *person,
                                   const void *img, size_t len,
                                   const char *meta, struct lk_arena *arena,
                                   struct lk_pipeline_result *res,
                                   int64_t *face_id, char *why)
{
  struct lk_store_face_new nf;
  char hash[65];
  lk_err err;

  memset(res, 0, sizeof *res);
  if(!p->st)
    return LK_ERR_INVAL;
  err = lk_pipeline_detect(p, img, len, 1, 0.0f, arena, res, why);
  if(err)
    return err;
  if(!res->n_faces) {
    lk_why(why, "%s", "no face detected");
    return LK_ERR_NO_FACE;
  }
  memset(&nf, 0, sizeof nf);
  nf.person = person;
  nf.descriptor = res->faces[0].face.descriptor;
  nf.detector = lk_pipeline_detector_label(p);
  nf.align = lk_pipeline_align_label(p);
  nf.meta = meta;
  nf.sha256 = lk_sha256_hex(img, len, hash) ? hash : NULL;
  err = lk_store_face_add(p->st, &nf, face_id);
  if(err) {
    lk_why(why, "%s", lk_strerror(err));
    return err;
  }
  lk_pipeline_keep_image(p, *face_id, img, len);
  return LK_OK;
}

lk_err lk_pipeline_register(struct lk_pipeline *p, const char *person,
                            const void *img, size_t len, const char *meta,
                            struct lk_arena *arena, int64_t *face_id,
                            char *why)
{
  struct lk_pipeline_result res;
  return lk_pipeline_register_result(p, person, img, len, meta, arena, &res,
                                     face_id, why);
}

lk_err lk_pipeline_compare(struct lk_pipeline *p, const void *a, size_t alen,
                           const void *b, size_t blen, struct lk_arena *arena,
                           float *distance, char *why)
{
  struct lk_pipeline_result ra, rb;
  lk_err err = lk_pipeline_detect(p, a, alen, 1, 0.0f, arena, &ra, why);
  if(!err)
    err = lk_pipeline_detect(p, b, blen, 1, 0.0f, arena, &rb, why);
  if(err)
    return err;
  if(!ra.n_faces || !rb.n_faces) {
    lk_why(why, "no face found in the %s image", ra.n_faces ? "second"
                                                            : "first");
    return LK_ERR_NO_FACE;
  }
  *distance = lk_face_distance(ra.faces[0].face.descriptor,
                               rb.faces[0].face.descriptor);
  return LK_OK;
}
